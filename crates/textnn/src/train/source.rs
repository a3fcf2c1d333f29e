//! Where training examples come from (memory, or a file read in blocks),
//! and the stratified validation split decided one example at a time.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;

use crate::data::{read_blocks, Example, ReadOptions, ReadReport, BLOCK_BYTES};
use crate::Result;

/// The training examples [`train_from`](super::train_from) reads.
#[derive(Clone, Copy, Debug)]
pub enum Examples<'a> {
    /// Examples already in memory.
    Memory(&'a [Example]),
    /// A data file, read a block of about `block_bytes` at a time (see
    /// [`read_blocks`]) in each pass over it (one pass; three with a
    /// validation split; two with character n-grams); never held whole.
    File {
        /// The file.
        path: &'a Path,
        /// How to read it.
        options: &'a ReadOptions,
        /// Bytes per block ([`BLOCK_BYTES`] unless testing).
        block_bytes: usize,
    },
}

impl<'a> Examples<'a> {
    /// The file at `path`, read in blocks of [`BLOCK_BYTES`].
    pub fn file(path: &'a Path, options: &'a ReadOptions) -> Self {
        Examples::File {
            path,
            options,
            block_bytes: BLOCK_BYTES,
        }
    }

    /// Whether some example has several labels (one pass over a file).
    pub fn any_multi_label(&self) -> Result<bool> {
        let mut multi = false;
        self.for_each_block(&mut |block| {
            multi = multi || block.iter().any(|e| e.labels.len() > 1);
            Ok(())
        })?;
        Ok(multi)
    }

    /// Calls `each` with every block of examples in order; returns what
    /// reading skipped or repaired (nothing, in memory).
    pub(super) fn for_each_block(
        &self,
        each: &mut dyn FnMut(&[Example]) -> Result<()>,
    ) -> Result<ReadReport> {
        match *self {
            Examples::Memory(examples) => {
                each(examples)?;
                Ok(ReadReport::default())
            }
            Examples::File {
                path,
                options,
                block_bytes,
            } => read_blocks(path, options, block_bytes, &mut |block| each(&block)),
        }
    }
}

/// The stratified, seeded validation split, decided example by example in
/// file order, so that it needs no list of the examples: within each
/// first label (examples without one form a group of their own),
/// `round(fraction × n)` of the group's `n` examples go to validation,
/// leaving at least one for training, each choice of that many equally
/// likely (selection sampling: an example is taken with probability
/// still needed / still to come).
#[derive(Clone, Debug)]
pub(crate) struct Splitter {
    groups: FxHashMap<String, Group>,
    rng: ChaCha8Rng,
}

/// One group's state: examples still to take, examples still to come.
#[derive(Clone, Copy, Debug)]
struct Group {
    take: usize,
    left: usize,
}

impl Splitter {
    /// A splitter for groups of the given sizes.
    pub fn new(sizes: FxHashMap<String, usize>, fraction: f32, seed: u64) -> Self {
        let groups = sizes
            .into_iter()
            .map(|(name, n)| {
                let take = ((n as f64 * fraction as f64).round() as usize).min(n.saturating_sub(1));
                (name, Group { take, left: n })
            })
            .collect();
        Splitter {
            groups,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x7661_6c69_6421),
        }
    }

    /// Counts the groups of `examples` (a pass over a file) and makes the
    /// splitter for them.
    pub fn count(examples: &Examples, fraction: f32, seed: u64) -> Result<Self> {
        let mut sizes: FxHashMap<String, usize> = FxHashMap::default();
        examples.for_each_block(&mut |block| {
            for example in block {
                let group = group_of(example);
                match sizes.get_mut(group) {
                    Some(n) => *n += 1,
                    None => {
                        sizes.insert(group.to_string(), 1);
                    }
                }
            }
            Ok(())
        })?;
        Ok(Splitter::new(sizes, fraction, seed))
    }

    /// Whether the next example (in the order counted) goes to validation.
    pub fn is_valid(&mut self, example: &Example) -> bool {
        let Some(group) = self.groups.get_mut(group_of(example)) else {
            return false;
        };
        if group.left == 0 {
            return false;
        }
        let taken = group.take > 0 && self.rng.gen_range(0..group.left) < group.take;
        group.left -= 1;
        if taken {
            group.take -= 1;
        }
        taken
    }
}

/// The group an example is stratified by: its first label.
fn group_of(example: &Example) -> &str {
    example.labels.first().map_or("", String::as_str)
}

/// Splits `examples` into (training, validation) with a [`Splitter`]:
/// the split `--valid-split` makes, for examples in memory.
pub(crate) fn stratified_split(
    examples: &[Example],
    fraction: f32,
    seed: u64,
) -> (Vec<&Example>, Vec<&Example>) {
    let all = Examples::Memory(examples);
    let mut splitter = Splitter::count(&all, fraction, seed).expect("memory cannot fail");
    examples.iter().partition(|e| !splitter.is_valid(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(label: &str, i: usize) -> Example {
        Example {
            text: format!("text {i}"),
            labels: if label.is_empty() {
                Vec::new()
            } else {
                vec![label.into()]
            },
            line: i + 1,
        }
    }

    #[test]
    fn each_group_gives_its_share_and_keeps_one_for_training() {
        let mut examples = Vec::new();
        for (label, n) in [("a", 50), ("b", 7), ("c", 1), ("", 10)] {
            let first = examples.len();
            examples.extend((0..n).map(|i| example(label, first + i)));
        }
        let (train, valid) = stratified_split(&examples, 0.2, 3);
        let count =
            |part: &[&Example], label: &str| part.iter().filter(|e| group_of(e) == label).count();
        for (label, n, expected) in [("a", 50, 10), ("b", 7, 1), ("c", 1, 0), ("", 10, 2)] {
            assert_eq!(count(&valid, label), expected, "{label}");
            assert_eq!(count(&train, label), n - expected, "{label}");
        }
        // Both parts keep file order.
        assert!(valid.windows(2).all(|w| w[0].line < w[1].line));
        assert!(train.windows(2).all(|w| w[0].line < w[1].line));
    }

    #[test]
    fn the_seed_chooses_which_examples() {
        let examples: Vec<Example> = (0..100).map(|i| example("a", i)).collect();
        let lines = |seed| -> Vec<usize> {
            stratified_split(&examples, 0.1, seed)
                .1
                .iter()
                .map(|e| e.line)
                .collect()
        };
        assert_eq!(lines(1), lines(1));
        assert_ne!(lines(1), lines(2));
        assert_eq!(lines(1).len(), 10);
    }

    #[test]
    fn every_choice_is_possible() {
        // Over many seeds every one of 6 examples lands in validation.
        let examples: Vec<Example> = (0..6).map(|i| example("a", i)).collect();
        let mut seen = [false; 6];
        for seed in 0..200 {
            for e in stratified_split(&examples, 0.5, seed).1 {
                seen[e.line - 1] = true;
            }
        }
        assert_eq!(seen, [true; 6]);
    }
}
