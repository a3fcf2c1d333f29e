//! How long a trial will take, estimated from the trials already run, so
//! that the search starts no trial it cannot finish within its budget.
//!
//! A trial's cost has two parts: preparing the data and scoring the model
//! (roughly the same for every trial), and building and training the
//! network, which grows with the work `W` of the settings — the
//! multiply-adds of all epochs' forward and backward passes, plus the
//! setting up of every embedding weight (word rows are drawn, hashed rows
//! zeroed; millions of rows cost time even when the data is tiny, so this
//! term errs on the long side for buckets):
//!
//! ```text
//! W            = epochs · examples · (3 · features · dim + 3 · Σ dense in·out)
//!                + INIT_COST · (words + buckets if n-grams are on) · dim
//! features     = tokens · word_ngrams + tokens · Σ_{n=min..max} max(0, chars + 3 − n)
//! estimate     = overhead + W · rate      (the largest of the last RECENT trials)
//! ```
//!
//! `chars + 2` is the length of `<word>`; the output layer has one unit per
//! label, or `⌈log₂ labels⌉` on the label's path with hierarchical softmax.
//! The slowest recent rate is used, so the estimate errs on the long side,
//! and an outlier is forgotten after a few trials.

use crate::data::Example;
use crate::nn::Loss;
use crate::TrainConfig;
use std::collections::VecDeque;

/// Cost of setting up one initial weight, in multiply-adds.
pub const INIT_COST: f64 = 4.0;
/// How many recent trials the estimate looks at.
pub const RECENT: usize = 5;

/// Sizes of the training data that the cost depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DataShape {
    /// Training examples.
    pub examples: usize,
    /// Mean whitespace-separated tokens per example.
    pub tokens_per_example: f64,
    /// Mean characters per token.
    pub chars_per_token: f64,
    /// Distinct labels.
    pub labels: usize,
    /// Distinct whitespace-separated tokens (about the vocabulary).
    pub words: usize,
}

impl DataShape {
    /// Measures `examples` (whitespace tokens: close enough for an estimate).
    pub fn measure(examples: &[Example]) -> Self {
        let (mut tokens, mut chars) = (0usize, 0usize);
        let mut labels = std::collections::BTreeSet::new();
        let mut words = std::collections::HashSet::new();
        for example in examples {
            for token in example.text.split_whitespace() {
                tokens += 1;
                chars += token.chars().count();
                words.insert(token);
            }
            labels.extend(example.labels.iter().map(String::as_str));
        }
        DataShape {
            examples: examples.len(),
            tokens_per_example: tokens as f64 / examples.len().max(1) as f64,
            chars_per_token: chars as f64 / tokens.max(1) as f64,
            labels: labels.len(),
            words: words.len(),
        }
    }

    /// The work `W` of training with `config` (see the module docs).
    pub fn work(&self, config: &TrainConfig) -> f64 {
        let tokens = self.tokens_per_example;
        let mut features = tokens * config.features.word_ngrams as f64;
        if let Some((min, max)) = config.features.char_ngrams {
            let per_word: f64 = (min..=max)
                .map(|n| (self.chars_per_token + 3.0 - n as f64).max(0.0))
                .sum();
            features += tokens * per_word;
        }
        let network = &config.network;
        let outputs = match network.loss {
            Loss::Hs => (self.labels.max(2) as f64).log2().ceil(),
            _ => self.labels.max(1) as f64,
        };
        let mut dense = 0.0;
        let mut width = network.dim as f64;
        for &next in &network.hidden {
            dense += width * next as f64;
            width = next as f64;
        }
        dense += width * outputs;
        let per_example = 3.0 * features * network.dim as f64 + 3.0 * dense;
        let mut rows = self.words as f64;
        if config.features.uses_buckets() {
            rows += config.features.buckets as f64;
        }
        config.epochs as f64 * self.examples as f64 * per_example
            + INIT_COST * rows * network.dim as f64
    }
}

/// Running estimate of trial durations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CostModel {
    /// Seconds per unit of work and overhead seconds of the last
    /// [`RECENT`] trials, oldest first.
    recent: VecDeque<(f64, f64)>,
}

impl CostModel {
    /// Records a finished trial: `work` units built and trained in
    /// `training` seconds, plus `overhead` seconds of preparation and
    /// scoring. Values that are not finite are ignored.
    pub fn record(&mut self, work: f64, training: f64, overhead: f64) {
        if !(work > 0.0 && training.is_finite() && training >= 0.0 && overhead.is_finite()) {
            return;
        }
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back((training / work, overhead.max(0.0)));
    }

    /// Estimated seconds of a trial of `work` units; `None` before any
    /// trial has been recorded.
    pub fn estimate(&self, work: f64) -> Option<f64> {
        let rate = self.recent.iter().map(|r| r.0).reduce(f64::max)?;
        let overhead = self.recent.iter().map(|r| r.1).fold(0.0, f64::max);
        Some(overhead + rate * work)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autotune::ex;

    #[test]
    fn shape_counts_tokens_chars_and_labels() {
        let shape = DataShape::measure(&[ex("ab cd", "x"), ex("ef", "y"), ex("ij kl mn", "x")]);
        assert_eq!(shape.examples, 3);
        assert!((shape.tokens_per_example - 2.0).abs() < 1e-12);
        assert!((shape.chars_per_token - 2.0).abs() < 1e-12);
        assert_eq!(shape.labels, 2);
        assert_eq!(shape.words, 6);
    }

    #[test]
    fn work_follows_the_formula() {
        let shape = DataShape {
            examples: 10,
            tokens_per_example: 4.0,
            chars_per_token: 5.0,
            labels: 8,
            words: 50,
        };
        // Drawing 50 word rows of 10 weights.
        let init = INIT_COST * 500.0;
        let mut c = TrainConfig::fasttext();
        c.epochs = 2;
        c.network.dim = 10;
        // features 4; dense 10 × 8 = 80; per example 3·4·10 + 3·80 = 360.
        assert_eq!(shape.work(&c), 2.0 * 10.0 * 360.0 + init);
        // Character 3-4-grams of a 5-letter word: 5 + 4 = 9 per token, so
        // features 4 + 36 = 40; hs has ⌈log₂ 8⌉ = 3 outputs: dense 30.
        // Hashed rows count once n-grams are on: 50 words + 1000 buckets.
        c.features.char_ngrams = Some((3, 4));
        c.features.buckets = 1000;
        c.network.loss = Loss::Hs;
        let init = INIT_COST * 1050.0 * 10.0;
        assert_eq!(
            shape.work(&c),
            2.0 * 10.0 * (3.0 * 40.0 * 10.0 + 90.0) + init
        );
        // A hidden layer of 5: 10·5 + 5·3.
        c.network.hidden = vec![5];
        assert_eq!(
            shape.work(&c),
            2.0 * 10.0 * (3.0 * 40.0 * 10.0 + 3.0 * 65.0) + init
        );
    }

    #[test]
    fn estimate_uses_the_slowest_recent_rate_and_longest_overhead() {
        let mut cost = CostModel::default();
        assert_eq!(cost.estimate(100.0), None);
        cost.record(100.0, 1.0, 0.5);
        cost.record(100.0, 2.0, 0.25);
        cost.record(0.0, 5.0, 9.0);
        cost.record(100.0, f64::NAN, 9.0);
        assert_eq!(cost.estimate(50.0), Some(0.5 + 1.0));
        // The slow trial is forgotten after RECENT faster ones.
        for _ in 0..RECENT {
            cost.record(100.0, 0.5, 0.125);
        }
        assert_eq!(cost.estimate(50.0), Some(0.125 + 0.25));
    }
}
