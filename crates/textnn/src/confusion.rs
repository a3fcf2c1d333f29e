//! Which labels a model mistakes for which: the confusion matrix, its
//! labels ordered so that labels confused with each other sit together,
//! and the most confused pairs with example texts.
//!
//! Each example adds one count at `(gold, predicted)`: `predicted` is the
//! model's top label (or none, when a threshold left no label); `gold` is
//! the predicted label when it is one of the example's gold labels (a hit
//! on the diagonal), else the example's first gold label known to the model.
//! Examples without a known gold label are not counted.
//!
//! ```
//! use textnn::confusion::ConfusionBuilder;
//! use textnn::data::Example;
//!
//! let labels = vec!["on".to_string(), "off".to_string()];
//! let mut builder = ConfusionBuilder::new(labels, 2);
//! let example = |text: &str, line| Example { text: text.into(), labels: vec![], line };
//! builder.add(&[0], Some(0), &example("lights on", 1));
//! builder.add(&[0], Some(1), &example("lights on please", 2));
//! builder.add(&[1], Some(1), &example("lights off", 3));
//! let confusion = builder.finish();
//! assert_eq!(confusion.counts[0][1], 1);
//! assert_eq!(confusion.pairs[0].gold, "on");
//! assert_eq!(confusion.pairs[0].examples[0].line, 2);
//! ```

use serde::Serialize;

use crate::data::Example;
use crate::Classifier;

/// The confusion of `model`'s top label (no threshold) on `examples`,
/// keeping `examples_per_pair` texts per confused pair.
pub fn measure(model: &Classifier, examples: &[Example], examples_per_pair: usize) -> Confusion {
    let mut builder = ConfusionBuilder::new(model.labels().names().to_vec(), examples_per_pair);
    let mut scratch = model.scratch();
    let (mut gold, mut unseen) = (Vec::new(), Vec::new());
    for example in examples {
        model
            .labels()
            .split_known(&example.labels, &mut gold, &mut unseen);
        let top = model.predict_with(&example.text, 1, 0.0, &mut scratch);
        builder.add(&gold, top.first().map(|p| p.0), example);
    }
    builder.finish()
}

/// Counts `(gold, predicted)` one example at a time; see the module docs.
#[derive(Clone, Debug)]
pub struct ConfusionBuilder {
    labels: Vec<String>,
    /// Row-major `n_labels × n_labels`: `counts[gold * n + predicted]`.
    counts: Vec<usize>,
    /// Per gold label: examples with no prediction at all.
    no_prediction: Vec<usize>,
    /// Examples kept per off-diagonal cell.
    examples_per_pair: usize,
    /// Per off-diagonal cell that has examples: its first examples.
    examples: std::collections::BTreeMap<(usize, usize), Vec<PairExample>>,
}

/// The confusion of a model on a set of examples.
#[derive(Clone, Debug, Serialize)]
pub struct Confusion {
    /// The model's labels, by index.
    pub labels: Vec<String>,
    /// `counts[gold][predicted]`, by label index.
    pub counts: Vec<Vec<usize>>,
    /// Per gold label: examples for which no label was returned.
    pub no_prediction: Vec<usize>,
    /// Label indices in display order: labels confused with each other are
    /// neighbours (see [`order_labels`]).
    pub order: Vec<usize>,
    /// Off-diagonal cells with a count, most examples first (ties: gold,
    /// then predicted label index).
    pub pairs: Vec<ConfusedPair>,
}

/// One off-diagonal cell of the matrix: examples of `gold` predicted as
/// `predicted`.
#[derive(Clone, Debug, Serialize)]
pub struct ConfusedPair {
    /// The gold label.
    pub gold: String,
    /// The label predicted instead.
    pub predicted: String,
    /// How many examples.
    pub count: usize,
    /// `count` as a fraction of the gold label's examples.
    pub rate: f64,
    /// The first examples (in the order added).
    pub examples: Vec<PairExample>,
}

/// An example of a confused pair.
#[derive(Clone, Debug, Serialize)]
pub struct PairExample {
    /// Line of the example in its file (1-based).
    pub line: usize,
    /// Its text.
    pub text: String,
}

impl ConfusionBuilder {
    /// An empty matrix over `labels`, keeping up to `examples_per_pair`
    /// example texts per confused pair.
    pub fn new(labels: Vec<String>, examples_per_pair: usize) -> Self {
        let n = labels.len();
        ConfusionBuilder {
            labels,
            counts: vec![0; n * n],
            no_prediction: vec![0; n],
            examples_per_pair,
            examples: std::collections::BTreeMap::new(),
        }
    }

    /// Adds one example: `gold` holds the indices of its gold labels known
    /// to the model, `predicted` the model's top label.
    ///
    /// # Panics
    ///
    /// If an index is not one of the labels' (a bug in the caller).
    pub fn add(&mut self, gold: &[usize], predicted: Option<usize>, example: &Example) {
        let n = self.labels.len();
        let Some(&first) = gold.first() else {
            return;
        };
        assert!(
            gold.iter().chain(&predicted).all(|&i| i < n),
            "label index out of range"
        );
        let Some(predicted) = predicted else {
            self.no_prediction[first] += 1;
            return;
        };
        let row = if gold.contains(&predicted) {
            predicted
        } else {
            first
        };
        self.counts[row * n + predicted] += 1;
        if row != predicted {
            let kept = self.examples.entry((row, predicted)).or_default();
            if kept.len() < self.examples_per_pair {
                kept.push(PairExample {
                    line: example.line,
                    text: example.text.clone(),
                });
            }
        }
    }

    /// The matrix, its display order and its confused pairs.
    pub fn finish(mut self) -> Confusion {
        let n = self.labels.len();
        let counts: Vec<Vec<usize>> = if n == 0 {
            Vec::new()
        } else {
            self.counts.chunks(n).map(<[usize]>::to_vec).collect()
        };
        let row_totals: Vec<usize> = counts
            .iter()
            .zip(&self.no_prediction)
            .map(|(row, none)| row.iter().sum::<usize>() + none)
            .collect();
        let mut pairs = Vec::new();
        for gold in 0..n {
            for predicted in (0..n).filter(|&p| p != gold) {
                let count = counts[gold][predicted];
                if count == 0 {
                    continue;
                }
                pairs.push(ConfusedPair {
                    gold: self.labels[gold].clone(),
                    predicted: self.labels[predicted].clone(),
                    count,
                    rate: count as f64 / row_totals[gold] as f64,
                    examples: self.examples.remove(&(gold, predicted)).unwrap_or_default(),
                });
            }
        }
        // Stable: ties stay in (gold, predicted) order.
        pairs.sort_by_key(|p| std::cmp::Reverse(p.count));
        Confusion {
            order: order_labels(&counts),
            labels: self.labels,
            counts,
            no_prediction: self.no_prediction,
            pairs,
        }
    }
}

/// Label indices ordered so that confused labels are neighbours: a chain
/// starts at the label with the most confusion (both ways, off the
/// diagonal) and goes on to the unplaced label most confused with the
/// chain's last label; when that label is confused with none left, a new
/// chain starts at the most confused unplaced label. Labels with no
/// confusion come last, in index order. Ties go to the lower index.
pub fn order_labels(counts: &[Vec<usize>]) -> Vec<usize> {
    let n = counts.len();
    let between = |a: usize, b: usize| counts[a][b] + counts[b][a];
    let confusion_of = |a: usize| {
        (0..n)
            .filter(|&b| b != a)
            .map(|b| between(a, b))
            .sum::<usize>()
    };
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let last = order.last().copied();
        let next = last
            .and_then(|last| {
                (0..n)
                    .filter(|&b| !placed[b] && between(last, b) > 0)
                    .max_by_key(|&b| (between(last, b), std::cmp::Reverse(b)))
            })
            .or_else(|| {
                (0..n)
                    .filter(|&b| !placed[b])
                    .max_by_key(|&b| (confusion_of(b), std::cmp::Reverse(b)))
            })
            .expect("an unplaced label is left while the order is short");
        placed[next] = true;
        order.push(next);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(line: usize) -> Example {
        Example {
            text: format!("text {line}"),
            labels: Vec::new(),
            line,
        }
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("l{i}")).collect()
    }

    #[test]
    fn counts_rows_by_gold_and_columns_by_prediction() {
        let mut builder = ConfusionBuilder::new(names(3), 1);
        builder.add(&[0], Some(0), &example(1));
        builder.add(&[0], Some(2), &example(2));
        builder.add(&[0], Some(2), &example(3));
        builder.add(&[1], None, &example(4));
        builder.add(&[], Some(1), &example(5));
        // Multi-label: a hit on any gold label is on the diagonal.
        builder.add(&[2, 1], Some(1), &example(6));
        let confusion = builder.finish();
        assert_eq!(
            confusion.counts,
            vec![vec![1, 0, 2], vec![0, 1, 0], vec![0, 0, 0]]
        );
        assert_eq!(confusion.no_prediction, vec![0, 1, 0]);
        assert_eq!(confusion.pairs.len(), 1);
        let pair = &confusion.pairs[0];
        assert_eq!(
            (pair.gold.as_str(), pair.predicted.as_str(), pair.count),
            ("l0", "l2", 2)
        );
        assert!((pair.rate - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(pair.examples.len(), 1, "one example kept per pair");
        assert_eq!(pair.examples[0].line, 2);
    }

    #[test]
    fn confused_labels_are_neighbours() {
        // 0 and 3 are confused, 1 and 2 are confused; 4 with nothing.
        let mut counts = vec![vec![0; 5]; 5];
        counts[0][3] = 5;
        counts[3][0] = 1;
        counts[2][1] = 3;
        let order = order_labels(&counts);
        assert_eq!(order, vec![0, 3, 1, 2, 4]);
    }

    #[test]
    fn pairs_are_sorted_by_count() {
        let mut builder = ConfusionBuilder::new(names(3), 3);
        builder.add(&[0], Some(1), &example(1));
        for line in 2..5 {
            builder.add(&[2], Some(0), &example(line));
        }
        let confusion = builder.finish();
        let counts: Vec<usize> = confusion.pairs.iter().map(|p| p.count).collect();
        assert_eq!(counts, vec![3, 1]);
        assert_eq!(confusion.pairs[0].examples.len(), 3);
    }
}
