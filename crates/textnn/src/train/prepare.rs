//! The passes before the first epoch: examples in, vocabulary, labels and
//! feature ids out, on several threads, a block of examples at a time.
//!
//! ```text
//! pass 0 (only with --valid-split): first labels counted ─▶ Splitter
//! pass A, each block: the Splitter sets validation examples aside;
//!   contiguous chunks (one per thread): tokenize ─▶ own Counter
//!   (provisional ids in first-seen order) + token numbers; counters merged
//!   in chunk order, token numbers renumbered to the merged ids ─▶ token
//!   cache (with each example's labels as provisional ids)
//! vocabulary (min-count), labels, word n-gram setting, trainer threads
//! pass B, from the cache alone: token numbers ─▶ feature ids, labels ─▶
//!   gold ids ─▶ store; or, with character n-grams (they need the text) or
//!   a split (its held-out examples), each block read again: chunk k:
//!   token numbers from the cache ─▶ feature ids (character n-grams
//!   tokenize again), gold labels ─▶ store; validation examples ─▶ theirs
//! ```
//!
//! Merging the chunk counters in order, each taking its names in the order
//! that chunk first saw them, hands out exactly the provisional ids one
//! counter gives when it reads all examples in order. So the vocabulary,
//! the feature ids and the model bytes depend neither on the number of
//! threads nor on how the examples are cut into blocks: examples in memory
//! (one block) and a file read in blocks train the same model. The token
//! cache and the stores are in memory or in temporary files
//! ([`Storage`]); only a block's examples are ever held.

use super::plan::{DataShape, Plan};
use super::source::{Examples, Splitter};
use super::store::{Prepared, Storage, Writer};
use super::{known_labels, TrainConfig};
use crate::data::{Example, ReadReport};
use crate::features::{word_hash, Featurizer};
use crate::text::TextPipeline;
use crate::vocab::{Counter, Dictionary};
use crate::{Error, Result};

/// Everything training needs from the examples before the first epoch.
pub(super) struct Preparation {
    /// The tokenizer the model keeps.
    pub pipeline: TextPipeline,
    /// Words kept (min-count), ids by decreasing count then word.
    pub vocab: Dictionary,
    /// Labels of the training examples.
    pub labels: Dictionary,
    /// Feature extraction over `vocab`.
    pub featurizer: Featurizer,
    /// The settings with what the data decides filled in ([`Plan::resolve`]
    /// on what pass A measured).
    pub plan: Plan,
    /// Feature ids and gold label ids of every training example, in order.
    pub data: Prepared,
    /// The same for the validation examples that have a known label.
    pub valid: Prepared,
    /// Examples read (validation split included) and what reading the
    /// training data skipped or repaired.
    pub read: (usize, ReadReport),
}

/// Tokenizes, counts and featurizes `examples` (and `valid`, or the
/// `config.valid_split` share of `examples` when `valid` is `None`) on
/// `config.threads` threads; the result is the same for any thread count
/// and block size.
pub(super) fn prepare(
    config: &TrainConfig,
    examples: &Examples,
    valid: Option<&[Example]>,
    storage: &Storage,
) -> Result<Preparation> {
    let threads = config.threads.max(1);
    let pipeline = TextPipeline::new(config.text.clone());
    let splitter = match (valid, config.valid_split) {
        (None, Some(fraction)) => Some(Splitter::count(examples, fraction, config.seed)?),
        _ => None,
    };

    // Pass A: count words and labels, keep each token as a number.
    let mut counter = Counter::default();
    let mut word_hashes: Vec<u64> = Vec::new();
    let mut label_counter = Counter::default();
    let mut cache = Writer::new(storage)?;
    let (mut total_tokens, mut read, mut training) = (0u64, 0usize, 0usize);
    let mut multi_label = false;
    let mut split_a = splitter.clone();
    let report = examples.for_each_block(&mut |block| {
        read += block.len();
        let train = training_part(block, &mut split_a).0;
        if let Some(bad) = train.iter().find(|e| e.labels.is_empty()) {
            return Err(Error::InvalidConfig(format!(
                "training example on line {} has no label",
                bad.line
            )));
        }
        // Each example's labels as provisional ids (repeats dropped).
        let mut block_gold = Prepared::new();
        let mut gold = Vec::new();
        for example in &train {
            gold.clear();
            for label in &example.labels {
                let id = label_counter.add(label).0 as usize;
                if !gold.contains(&id) {
                    gold.push(id);
                }
            }
            multi_label |= gold.len() > 1;
            block_gold.push(&[], &gold);
        }
        let mut example = 0;
        training += train.len();
        let counted = in_parallel(split(&train, threads), |chunk| {
            count_chunk(&pipeline, chunk)
        });
        let mut merged_numbers = Vec::new();
        for chunk in counted {
            total_tokens += chunk.numbers.all_features().len() as u64;
            let to_merged = counter.merge(chunk.counter);
            // New merged ids come in the chunk's first-seen order.
            for (&merged, &hash) in to_merged.iter().zip(&chunk.word_hashes) {
                if merged as usize == word_hashes.len() {
                    word_hashes.push(hash);
                }
            }
            for i in 0..chunk.numbers.len() {
                merged_numbers.clear();
                merged_numbers.extend(
                    chunk
                        .numbers
                        .features(i)
                        .iter()
                        .map(|&n| to_merged[n as usize]),
                );
                cache.push(&merged_numbers, block_gold.gold(example))?;
                example += 1;
            }
        }
        Ok(())
    })?;
    if training == 0 {
        return Err(Error::InvalidConfig(
            "there are no training examples".into(),
        ));
    }
    let cache = cache.finish()?;

    let shape = DataShape {
        examples: training,
        tokens: total_tokens,
        multi_label,
    };
    let plan = Plan::resolve(config, &shape);
    let config = &plan.config;
    let (vocab, word_ids) = counter.finish_with_ids(config.min_count);
    let (labels, label_ids) = label_counter.finish_with_ids(1);
    let featurizer = Featurizer::new(config.features.clone(), vocab.len());
    let context = Context {
        pipeline: &pipeline,
        vocab: &vocab,
        labels: &labels,
        featurizer: &featurizer,
        word_ids: &word_ids,
        word_hashes: &word_hashes,
    };

    // Pass B: feature ids and gold labels.
    let mut data = Writer::new(storage)?;
    let mut valid_data = Writer::new(storage)?;
    // Character n-grams need the text and a split needs the held-out
    // examples: then the examples are read again; otherwise everything
    // is in the cache.
    let reread = splitter.is_some() || config.features.char_ngrams.is_some();
    if !reread {
        for first in (0..cache.len()).step_by(CACHED_EXAMPLES_AT_ONCE) {
            let end = (first + CACHED_EXAMPLES_AT_ONCE).min(cache.len());
            let step = chunk_len(end - first, threads);
            let jobs = (first..end)
                .step_by(step)
                .map(|from| from..(from + step).min(end))
                .collect();
            for part in in_parallel(jobs, |range| {
                context.featurize_cached(&cache, range, &label_ids)
            }) {
                data.append(&part)?;
            }
        }
    } else {
        let mut split_b = splitter.clone();
        let mut next = 0usize;
        examples.for_each_block(&mut |block| {
            let (train, held_out) = training_part(block, &mut split_b);
            let mut jobs = Vec::new();
            for chunk in split(&train, threads) {
                jobs.push((next, chunk));
                next += chunk.len();
            }
            for part in in_parallel(jobs, |(first, chunk)| {
                context.featurize_chunk(chunk, &cache, first)
            }) {
                data.append(&part)?;
            }
            for part in in_parallel(split(&held_out, threads), |chunk| {
                context.featurize_valid(chunk)
            }) {
                valid_data.append(&part)?;
            }
            Ok(())
        })?;
    }
    if let Some(valid) = valid {
        let valid: Vec<&Example> = valid.iter().collect();
        for part in in_parallel(split(&valid, threads), |chunk| {
            context.featurize_valid(chunk)
        }) {
            valid_data.append(&part)?;
        }
    }

    Ok(Preparation {
        pipeline,
        vocab,
        labels,
        featurizer,
        plan,
        data: data.finish()?,
        valid: valid_data.finish()?,
        read: (read, report),
    })
}

/// How many cached examples pass B featurizes between two appends to the
/// store (split over the threads).
const CACHED_EXAMPLES_AT_ONCE: usize = 1 << 16;

/// A block's (training, validation) examples, in order; all training
/// without a splitter.
fn training_part<'a>(
    block: &'a [Example],
    splitter: &mut Option<Splitter>,
) -> (Vec<&'a Example>, Vec<&'a Example>) {
    match splitter {
        Some(splitter) => block.iter().partition(|e| !splitter.is_valid(e)),
        None => (block.iter().collect(), Vec::new()),
    }
}

/// What one thread learns from its chunk of examples.
struct CountedChunk {
    /// The chunk's names, provisional ids in the order the chunk saw them.
    counter: Counter,
    /// Each example's tokens as provisional ids of `counter`.
    numbers: Prepared,
    /// [`word_hash`] of each provisional id.
    word_hashes: Vec<u64>,
}

/// Tokenizes and counts one chunk, keeping each token as a number.
fn count_chunk(pipeline: &TextPipeline, chunk: &[&Example]) -> CountedChunk {
    let mut counter = Counter::default();
    let mut word_hashes = Vec::new();
    let mut numbers = Prepared::new();
    let mut tokens = Vec::new();
    let mut example_numbers = Vec::new();
    for example in chunk {
        pipeline.tokenize_into(&example.text, &mut tokens);
        example_numbers.clear();
        for token in &tokens {
            let (number, first_time) = counter.add(token);
            if first_time {
                word_hashes.push(word_hash(token));
            }
            example_numbers.push(number);
        }
        numbers.push(&example_numbers, &[]);
    }
    CountedChunk {
        counter,
        numbers,
        word_hashes,
    }
}

/// The finished tables every featurizing thread reads.
struct Context<'a> {
    pipeline: &'a TextPipeline,
    vocab: &'a Dictionary,
    labels: &'a Dictionary,
    featurizer: &'a Featurizer,
    /// The vocabulary id of each merged provisional id (`None`: below min-count).
    word_ids: &'a [Option<u32>],
    /// [`word_hash`] of each merged provisional id.
    word_hashes: &'a [u64],
}

impl Context<'_> {
    /// Feature ids and gold labels of a chunk of training examples, from
    /// their token numbers in `cache` (from example `first` on).
    /// Character n-grams need the text, so with them each example is
    /// tokenized again.
    fn featurize_chunk(&self, chunk: &[&Example], cache: &Prepared, first: usize) -> Prepared {
        let mut data = Prepared::new();
        let (mut tokens, mut features, mut gold) = (Vec::new(), Vec::new(), Vec::new());
        for (i, example) in chunk.iter().enumerate() {
            if self.featurizer.config().char_ngrams.is_some() {
                self.pipeline.tokenize_into(&example.text, &mut tokens);
                self.featurizer.extract(self.vocab, &tokens, &mut features);
            } else {
                self.featurizer.extract_numbered(
                    cache.features(first + i),
                    self.word_ids,
                    self.word_hashes,
                    &mut features,
                );
            }
            known_labels(self.labels, &example.labels, &mut gold);
            data.push(&features, &gold);
        }
        data
    }

    /// Feature ids and gold labels of the cached examples in `range`, from
    /// their token numbers and provisional label ids (`label_ids`: each
    /// one's final id).
    fn featurize_cached(
        &self,
        cache: &Prepared,
        range: std::ops::Range<usize>,
        label_ids: &[Option<u32>],
    ) -> Prepared {
        let mut data = Prepared::new();
        let (mut features, mut gold) = (Vec::new(), Vec::new());
        for i in range {
            self.featurizer.extract_numbered(
                cache.features(i),
                self.word_ids,
                self.word_hashes,
                &mut features,
            );
            gold.clear();
            gold.extend(
                cache
                    .gold(i)
                    .iter()
                    .filter_map(|&label| label_ids[label].map(|id| id as usize)),
            );
            data.push(&features, &gold);
        }
        data
    }

    /// Feature ids and gold labels of a chunk of validation examples,
    /// skipping those without a label known from training.
    fn featurize_valid(&self, chunk: &[&Example]) -> Prepared {
        let mut data = Prepared::new();
        let (mut tokens, mut features, mut gold) = (Vec::new(), Vec::new(), Vec::new());
        for example in chunk {
            known_labels(self.labels, &example.labels, &mut gold);
            if gold.is_empty() {
                continue;
            }
            self.pipeline.tokenize_into(&example.text, &mut tokens);
            self.featurizer.extract(self.vocab, &tokens, &mut features);
            data.push(&features, &gold);
        }
        data
    }
}

/// `items` cut into at most `parts` contiguous chunks of nearly equal
/// length, in order; always at least one chunk (empty for no items).
fn split<T>(items: &[T], parts: usize) -> Vec<&[T]> {
    if items.is_empty() {
        return vec![items];
    }
    items.chunks(chunk_len(items.len(), parts)).collect()
}

/// The length of each of at most `parts` nearly equal contiguous chunks
/// of `n` items (at least 1).
fn chunk_len(n: usize, parts: usize) -> usize {
    n.div_ceil(parts.max(1)).max(1)
}

/// `work` applied to every input, one scoped thread per input after the
/// first (which the calling thread takes); results in input order. A panic
/// in `work` is passed on to the caller.
fn in_parallel<I: Send, R: Send>(inputs: Vec<I>, work: impl Fn(I) -> R + Sync) -> Vec<R> {
    let mut inputs = inputs.into_iter();
    let Some(first) = inputs.next() else {
        return Vec::new();
    };
    let work = &work;
    std::thread::scope(|scope| {
        let others: Vec<_> = inputs
            .map(|input| scope.spawn(move || work(input)))
            .collect();
        let mut results = Vec::with_capacity(others.len() + 1);
        results.push(work(first));
        for handle in others {
            match handle.join() {
                Ok(result) => results.push(result),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureConfig;
    use crate::train::Batch;

    fn examples() -> Vec<Example> {
        let texts = [
            ("the cat sat on the mat", "pets"),
            ("a dog and a cat", "pets"),
            ("stocks fell sharply today", "money"),
            ("the bank raised rates", "money"),
            ("rates and stocks and the cat", "money"),
            ("my dog ate the homework", "pets"),
            ("Über café naïve façade", "words"),
            ("", "empty"),
            ("bank bank bank", "money"),
        ];
        texts
            .iter()
            .enumerate()
            .map(|(i, (text, label))| Example {
                text: (*text).into(),
                labels: vec![(*label).into(), "any".into()],
                line: i + 1,
            })
            .collect()
    }

    /// The `fasttext` preset with these features (1,000 buckets, counts).
    fn with_features(
        word_ngrams: usize,
        char_ngrams: Option<(usize, usize)>,
        min_count: u64,
    ) -> TrainConfig {
        TrainConfig {
            features: FeatureConfig {
                word_ngrams,
                char_ngrams,
                buckets: 1_000,
                binary: false,
            },
            min_count,
            ..TrainConfig::fasttext()
        }
    }

    /// Everything `prepare` decides, except the threads training will use.
    fn outcome(p: &Preparation) -> impl PartialEq + std::fmt::Debug {
        let all = |d: &Prepared| {
            (0..d.len())
                .map(|i| (d.features(i).to_vec(), d.gold(i).to_vec()))
                .collect::<Vec<_>>()
        };
        (
            p.vocab.names().to_vec(),
            p.vocab.counts().to_vec(),
            p.labels.names().to_vec(),
            p.featurizer.clone(),
            p.plan.config.features.clone(),
            all(&p.data),
            all(&p.valid),
        )
    }

    #[test]
    fn any_thread_count_prepares_the_same_data() {
        let all = examples();
        let (train, valid) = (Examples::Memory(&all), Some(&all[2..6]));
        // (word n-grams, character n-grams, min count, words decided by data)
        let settings = [
            (1, None, 1, None),
            (2, None, 1, None),
            (3, None, 2, None),
            (1, Some((2, 4)), 1, None),
            (1, None, 1, Some(10)),
            (1, None, 1, Some(1_000)),
        ];
        for (word_ngrams, char_ngrams, min_count, bigrams_from_tokens) in settings {
            let config = TrainConfig {
                bigrams_from_tokens,
                ..with_features(word_ngrams, char_ngrams, min_count)
            };
            let one = prepare(&config, &train, valid, &Storage::Memory).unwrap();
            assert_eq!(one.data.len(), all.len());
            assert_eq!(one.valid.len(), 4);
            for threads in [2, 3, 4, 9, 20] {
                let many = prepare(
                    &TrainConfig {
                        threads,
                        ..config.clone()
                    },
                    &train,
                    valid,
                    &Storage::Memory,
                )
                .unwrap();
                assert_eq!(
                    outcome(&many),
                    outcome(&one),
                    "{threads} threads, word n-grams {word_ngrams}, char n-grams {char_ngrams:?}"
                );
            }
        }
    }

    #[test]
    fn the_data_decides_bigrams_and_the_trainer_decides_threads() {
        let all = examples();
        let train = Examples::Memory(&all);
        // The examples hold 37 tokens; the sliced trainer (batch 1) uses
        // the threads asked for, the general one (batch 2) one thread.
        // (bigrams from tokens, batch, requested threads, word n-grams, threads)
        let table = [
            (Some(37), 1, 3, 2, 3),
            (Some(38), 1, 3, 1, 3),
            (None, 1, 2, 1, 2),
            (None, 2, 2, 1, 1),
        ];
        for (bigrams_from_tokens, batch, threads, word_ngrams, used) in table {
            let config = TrainConfig {
                bigrams_from_tokens,
                batch: Batch::Size(batch),
                threads,
                ..TrainConfig::fasttext()
            };
            let p = prepare(&config, &train, None, &Storage::Memory).unwrap();
            assert_eq!(
                p.plan.config.features.word_ngrams, word_ngrams,
                "{bigrams_from_tokens:?}"
            );
            assert_eq!(p.plan.config.threads, used, "batch {batch}");
        }
    }

    #[test]
    fn validation_keeps_only_examples_with_known_labels() {
        let all = examples();
        let train = Examples::Memory(&all[..4]);
        let unknown = Example {
            text: "a dog".into(),
            labels: vec!["never seen".into()],
            line: 1,
        };
        let valid = vec![all[4].clone(), unknown, all[5].clone()];
        for threads in [1, 2, 3] {
            let p = prepare(
                &TrainConfig {
                    threads,
                    ..TrainConfig::fasttext()
                },
                &train,
                Some(&valid),
                &Storage::Memory,
            )
            .unwrap();
            assert_eq!(p.valid.len(), 2, "{threads} threads");
            let money = p.labels.id("money").unwrap() as usize;
            let pets = p.labels.id("pets").unwrap() as usize;
            let any = p.labels.id("any").unwrap() as usize;
            assert_eq!(p.valid.gold(0), [money, any]);
            assert_eq!(p.valid.gold(1), [pets, any]);
        }
    }

    #[test]
    fn split_gives_contiguous_chunks_in_order() {
        // (items, parts, chunk lengths)
        let table: [(usize, usize, &[usize]); 6] = [
            (0, 3, &[0]),
            (1, 3, &[1]),
            (5, 1, &[5]),
            (5, 2, &[3, 2]),
            (6, 3, &[2, 2, 2]),
            (7, 3, &[3, 3, 1]),
        ];
        for (n, parts, lengths) in table {
            let items: Vec<usize> = (0..n).collect();
            let chunks = split(&items, parts);
            let got: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
            assert_eq!(got, lengths, "{n} items in {parts} parts");
            assert_eq!(chunks.concat(), items);
        }
    }

    #[test]
    fn in_parallel_keeps_input_order() {
        let squares = in_parallel((0..7u64).collect(), |x| x * x);
        assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36]);
        assert!(in_parallel(Vec::<u8>::new(), |x| x).is_empty());
    }

    #[test]
    fn features_and_gold_labels_are_those_of_each_example() {
        // Labels repeated within an example and across examples, several
        // per example: the cache's provisional ids must give the gold ids
        // `known_labels` gives, and its token numbers the featurizer's ids.
        let mut all = examples();
        all[0].labels = vec!["pets".into(), "any".into(), "pets".into()];
        all[3].labels = vec!["any".into()];
        for (word_ngrams, char_ngrams, min_count) in
            [(2, None, 1), (1, None, 2), (2, Some((2, 3)), 1)]
        {
            let config = TrainConfig {
                threads: 2,
                ..with_features(word_ngrams, char_ngrams, min_count)
            };
            let p = prepare(&config, &Examples::Memory(&all), None, &Storage::Memory).unwrap();
            let (mut tokens, mut features, mut gold) = (Vec::new(), Vec::new(), Vec::new());
            for (i, example) in all.iter().enumerate() {
                p.pipeline.tokenize_into(&example.text, &mut tokens);
                p.featurizer.extract(&p.vocab, &tokens, &mut features);
                known_labels(&p.labels, &example.labels, &mut gold);
                assert_eq!(p.data.features(i), features, "example {i}");
                assert_eq!(p.data.gold(i), gold, "example {i}");
            }
        }
    }

    #[test]
    fn a_file_read_in_blocks_prepares_what_memory_prepares() {
        let all: Vec<Example> = examples()
            .into_iter()
            .filter(|e| !e.text.is_empty())
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("train.txt");
        let lines: Vec<String> = all
            .iter()
            .map(|e| {
                format!(
                    "__label__{} __label__{} {}\n",
                    e.labels[0], e.labels[1], e.text
                )
            })
            .collect();
        std::fs::write(&path, lines.concat()).unwrap();
        let read = crate::data::read_dataset(&path, &Default::default()).unwrap();
        let options = crate::data::ReadOptions::default();
        for (valid_split, char_ngrams) in
            [(None, None), (Some(0.3), None), (Some(0.3), Some((2, 3)))]
        {
            let config = TrainConfig {
                valid_split,
                threads: 2,
                ..with_features(2, char_ngrams, 1)
            };
            let memory = prepare(
                &config,
                &Examples::Memory(&read.examples),
                None,
                &Storage::Memory,
            )
            .unwrap();
            if valid_split.is_some() {
                assert!(memory.valid.len() > 0);
            }
            for block_bytes in [1, 40, 1 << 20] {
                let file = Examples::File {
                    path: &path,
                    options: &options,
                    block_bytes,
                };
                let cache = Storage::Files(dir.path().to_path_buf());
                let streamed = prepare(&config, &file, None, &cache).unwrap();
                assert_eq!(
                    outcome(&streamed),
                    outcome(&memory),
                    "blocks of {block_bytes} bytes, split {valid_split:?}, char n-grams {char_ngrams:?}"
                );
                assert_eq!(streamed.read.0, all.len());
            }
        }
    }
}
