//! The settings the search may change, and a seeded sampler that proposes
//! them: first each starting preset, then mutations of the best settings
//! found so far, as fastText's autotune does (`src/autotune.cc`,
//! `AutotuneStrategy::ask`).
//!
//! Every mutation draws a normal step whose spread narrows as the time
//! budget is used, with fastText's schedule (`t` = fraction of the budget
//! used, σ from `σ_start` to `σ_end`):
//!
//! ```text
//! σ(t)        = σ_start − (σ_start − σ_end) / 0.5 · clamp(t − 0.25, 0, 0.5)
//! scale value = clamp(value · 2^N(0, σ), min, max)      learning rate, epochs, dim, buckets
//! step value  = clamp(value + trunc(N(0, σ)), min, max) word n-grams, indices of ordered choices
//! ```
//!
//! ```
//! use textnn::autotune::{Sampler, SearchSpace};
//! use textnn::TrainConfig;
//! let starts = vec![TrainConfig::default_preset(), TrainConfig::fasttext()];
//! let mut sampler = Sampler::new(SearchSpace::default(), starts, 7);
//! let best = TrainConfig::fasttext();
//! assert_eq!(sampler.propose(&best, 0.0).preset, "default");
//! assert_eq!(sampler.propose(&best, 0.0).preset, "fasttext");
//! let mutated = sampler.propose(&best, 0.5);
//! assert!((1..=100).contains(&mutated.epochs));
//! ```

use crate::nn::{Activation, Loss};
use crate::TrainConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Ranges and choices of each setting the search changes. Settings not
/// listed here (tokenizer, lowercasing, how rows are combined, idf) keep
/// the values of the starting preset that the best trial descends from.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchSpace {
    /// Initial learning rate, `(min, max)`.
    pub learning_rate: (f32, f32),
    /// Passes over the training data, `(min, max)`.
    pub epochs: (usize, usize),
    /// Embedding dimension, `(min, max)`.
    pub dim: (usize, usize),
    /// Longest word n-gram, `(min, max)`.
    pub word_ngrams: (usize, usize),
    /// Character n-gram settings, from cheapest to most expensive.
    pub char_ngrams: Vec<Option<(usize, usize)>>,
    /// Hash buckets for n-grams, `(min, max)`.
    pub buckets: (usize, usize),
    /// Most hashed weights (`buckets × dim`) a trial may have; buckets are
    /// lowered to fit, so that no trial needs gigabytes.
    pub max_hashed_weights: usize,
    /// Hidden layer shapes, from none to widest.
    pub hidden: Vec<Vec<usize>>,
    /// Activations tried for hidden layers.
    pub activations: Vec<Activation>,
    /// Losses tried.
    pub losses: Vec<Loss>,
    /// Dropout rate, `(min, max)`.
    pub dropout: (f32, f32),
}

impl Default for SearchSpace {
    /// fastText's ranges for learning rate (0.01–5), epochs (1–100) and
    /// buckets (from 10,000); dimensions up to 300, word n-grams up to 4 and
    /// buckets up to 2 M to keep trials small; hidden layers, activations,
    /// losses and dropout, which fastText does not have.
    fn default() -> Self {
        SearchSpace {
            learning_rate: (0.01, 5.0),
            epochs: (1, 100),
            dim: (10, 300),
            word_ngrams: (1, 4),
            char_ngrams: vec![None, Some((3, 4)), Some((3, 5)), Some((2, 5)), Some((3, 6))],
            buckets: (10_000, 2_000_000),
            max_hashed_weights: 100_000_000,
            hidden: vec![
                Vec::new(),
                vec![32],
                vec![64],
                vec![128],
                vec![256],
                vec![256, 128],
            ],
            activations: vec![Activation::Relu, Activation::Tanh, Activation::Sigmoid],
            losses: vec![Loss::Softmax, Loss::Ova, Loss::Hs, Loss::Huber],
            dropout: (0.0, 0.5),
        }
    }
}

/// Chance that a mutation switches to another loss.
const LOSS_SWITCH_PROBABILITY: f64 = 0.1;
/// Chance that a mutation switches the hidden activation.
const ACTIVATION_SWITCH_PROBABILITY: f64 = 0.2;

/// Proposes trial settings. Given the same seed, starts and sequence of
/// `(best, progress)` arguments it proposes the same settings.
#[derive(Clone, Debug)]
pub struct Sampler {
    space: SearchSpace,
    starts: Vec<TrainConfig>,
    rng: ChaCha8Rng,
    proposed: usize,
}

impl Sampler {
    /// A sampler that first proposes each of `starts`, then mutations.
    pub fn new(space: SearchSpace, starts: Vec<TrainConfig>, seed: u64) -> Self {
        Sampler {
            space,
            starts,
            // A stream of its own, so that the search and training (which
            // also starts from `seed`) do not draw the same numbers.
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6175_746f_7475_6e65),
            proposed: 0,
        }
    }

    /// The next settings to try: the next starting preset while any is
    /// left, else a mutation of `best` with the spread for `progress` (the
    /// fraction of the time budget used, 0 to 1).
    pub fn propose(&mut self, best: &TrainConfig, progress: f64) -> TrainConfig {
        self.proposed += 1;
        if let Some(start) = self.starts.get(self.proposed - 1) {
            return start.clone();
        }
        self.mutate(best, progress.clamp(0.0, 1.0))
    }

    fn mutate(&mut self, best: &TrainConfig, t: f64) -> TrainConfig {
        let space = &self.space;
        let rng = &mut self.rng;
        let mut c = best.clone();
        // The search sets word n-grams itself (the trial recorded the value
        // the data decided).
        c.bigrams_from_tokens = None;
        // It sets the loss, learning rate and dim itself too.
        c.multi_label = None;
        c.learning_rate = scale(
            c.learning_rate as f64,
            space.learning_rate,
            (1.9, 1.0),
            t,
            rng,
        );
        c.epochs = scale(c.epochs as f64, space.epochs, (2.8, 2.5), t, rng);
        c.network.dim = scale(c.network.dim as f64, space.dim, (1.4, 0.3), t, rng);
        c.features.word_ngrams = step(
            c.features.word_ngrams,
            space.word_ngrams,
            (4.3, 2.4),
            t,
            rng,
        );
        let char_index = position(&space.char_ngrams, &c.features.char_ngrams);
        let char_index = step(
            char_index,
            (0, space.char_ngrams.len() - 1),
            (1.5, 1.0),
            t,
            rng,
        );
        c.features.char_ngrams = space.char_ngrams[char_index];
        let buckets = scale(
            c.features.buckets.max(1) as f64,
            space.buckets,
            (2.0, 1.5),
            t,
            rng,
        );
        let fitting = space.max_hashed_weights / c.network.dim.max(1);
        c.features.buckets = buckets.min(fitting).max(1);
        let had_hidden = !c.network.hidden.is_empty();
        let hidden_index = position(&space.hidden, &c.network.hidden);
        let hidden_index = step(
            hidden_index,
            (0, space.hidden.len() - 1),
            (1.0, 0.5),
            t,
            rng,
        );
        c.network.hidden = space.hidden[hidden_index].clone();
        let new_hidden = !had_hidden && !c.network.hidden.is_empty();
        if !space.activations.is_empty()
            && (new_hidden || rng.gen_bool(ACTIVATION_SWITCH_PROBABILITY))
        {
            c.network.hidden_activation =
                space.activations[rng.gen_range(0..space.activations.len())];
        }
        if !space.losses.is_empty() && rng.gen_bool(LOSS_SWITCH_PROBABILITY) {
            let loss = space.losses[rng.gen_range(0..space.losses.len())];
            switch_loss(&mut c, loss, space.learning_rate);
        }
        let dropout = c.dropout as f64 + normal((0.1, 0.05), t, rng);
        c.dropout = (dropout as f32).clamp(space.dropout.0, space.dropout.1);
        c
    }
}

/// A learning rate that suits `loss` on the default preset's features:
/// the cross-entropy losses learn at rates around 0.5, the modified Huber
/// loss diverges there (its gradient does not shrink as a label becomes
/// right, only at the margin) and works at 0.02–0.05 (BENCHMARKS.md).
fn typical_learning_rate(loss: Loss) -> f64 {
    if loss == Loss::Huber {
        0.03
    } else {
        0.5
    }
}

/// Sets `config`'s loss to `loss`, carrying the learning rate over in
/// proportion: a rate twice the old loss's typical one stays twice the
/// new loss's, within `range`.
fn switch_loss(config: &mut TrainConfig, loss: Loss, range: (f32, f32)) {
    let ratio = typical_learning_rate(loss) / typical_learning_rate(config.network.loss);
    config.learning_rate = ((config.learning_rate as f64 * ratio) as f32).clamp(range.0, range.1);
    config.network.loss = loss;
}

/// fastText's annealed spread: `start` for the first quarter of the
/// budget, then linearly to `end` at three quarters.
fn sigma(start: f64, end: f64, t: f64) -> f64 {
    start - (start - end) / 0.5 * (t - 0.25).clamp(0.0, 0.5)
}

/// One draw of `N(0, σ(t))`.
fn normal(spread: (f64, f64), t: f64, rng: &mut ChaCha8Rng) -> f64 {
    // σ is positive and finite for every t in [0, 1], so `Normal::new`
    // cannot fail; 0 keeps the value if it ever did.
    Normal::new(0.0, sigma(spread.0, spread.1, t)).map_or(0.0, |n| n.sample(rng))
}

/// `value · 2^N(0, σ)` clamped to `range` (a multiplicative step, for
/// settings that matter by their order of magnitude).
fn scale<T: Bounds>(
    value: f64,
    range: (T, T),
    spread: (f64, f64),
    t: f64,
    rng: &mut ChaCha8Rng,
) -> T {
    let moved = value * 2f64.powf(normal(spread, t, rng));
    T::from_f64(moved.clamp(range.0.to_f64(), range.1.to_f64()))
}

/// `value + trunc(N(0, σ))` clamped to `range` (fastText truncates the step
/// towards zero, so small draws keep the value).
fn step(
    value: usize,
    range: (usize, usize),
    spread: (f64, f64),
    t: f64,
    rng: &mut ChaCha8Rng,
) -> usize {
    let moved = value as f64 + normal(spread, t, rng).trunc();
    moved.clamp(range.0 as f64, range.1 as f64) as usize
}

/// Index of `value` among `choices`; the first one (the cheapest) when
/// the starting preset holds a value the list lacks.
fn position<T: PartialEq>(choices: &[T], value: &T) -> usize {
    choices.iter().position(|c| c == value).unwrap_or(0)
}

/// Numbers the scaled settings come in.
trait Bounds: Copy {
    fn to_f64(self) -> f64;
    fn from_f64(value: f64) -> Self;
}

impl Bounds for f32 {
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64(value: f64) -> Self {
        value as f32
    }
}

impl Bounds for usize {
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64(value: f64) -> Self {
        value.round() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts() -> Vec<TrainConfig> {
        vec![TrainConfig::default_preset(), TrainConfig::fasttext()]
    }

    #[test]
    fn a_loss_switch_carries_the_learning_rate_over_in_proportion() {
        let range = SearchSpace::default().learning_rate;
        let mut c = TrainConfig::default_preset();
        c.learning_rate = 1.0;
        switch_loss(&mut c, Loss::Huber, range);
        assert_eq!(c.network.loss, Loss::Huber);
        assert!((c.learning_rate - 0.06).abs() < 1e-6, "{}", c.learning_rate);
        switch_loss(&mut c, Loss::Ova, range);
        assert!((c.learning_rate - 1.0).abs() < 1e-6, "{}", c.learning_rate);
        // Between the cross-entropy losses the rate stays; the range holds.
        switch_loss(&mut c, Loss::Hs, range);
        assert!((c.learning_rate - 1.0).abs() < 1e-6);
        c.learning_rate = 0.01;
        switch_loss(&mut c, Loss::Huber, range);
        assert_eq!(c.learning_rate, range.0);
    }

    #[test]
    fn mutations_reach_every_loss_and_huber_at_its_own_rates() {
        let mut sampler = Sampler::new(SearchSpace::default(), Vec::new(), 3);
        let best = TrainConfig::default_preset();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..2000 {
            let c = sampler.propose(&best, 0.9);
            seen.insert(c.network.loss.name());
            if c.network.loss == Loss::Huber {
                // 0.5 · 2^N(0, σ ≤ 1.9) scaled by 0.03 / 0.5.
                assert!(c.learning_rate < 0.5, "{}", c.learning_rate);
            }
        }
        assert_eq!(seen.len(), 4, "{seen:?}");
    }

    #[test]
    fn same_seed_proposes_the_same_sequence() {
        let run = |seed| {
            let mut sampler = Sampler::new(SearchSpace::default(), starts(), seed);
            let best = TrainConfig::fasttext();
            (0..30)
                .map(|i| sampler.propose(&best, i as f64 / 30.0))
                .collect::<Vec<_>>()
        };
        let (a, b, other) = (run(3), run(3), run(4));
        assert_eq!(a, b);
        assert_eq!(a[..2], starts()[..]);
        assert_ne!(a[2..], other[2..]);
        // Mutations do move away from the best settings.
        assert!(a[2..].iter().any(|c| c.learning_rate != 0.1));
        assert!(a[2..].iter().any(|c| c.network.dim != 100));
    }

    #[test]
    fn every_proposal_is_valid_and_inside_the_space() {
        let space = SearchSpace::default();
        let mut sampler = Sampler::new(space.clone(), starts(), 11);
        let mut best = TrainConfig::default_preset();
        for i in 0..500 {
            let c = sampler.propose(&best, (i % 100) as f64 / 100.0);
            c.validate().unwrap();
            if i < 2 {
                continue;
            }
            assert!((space.learning_rate.0..=space.learning_rate.1).contains(&c.learning_rate));
            assert!((space.epochs.0..=space.epochs.1).contains(&c.epochs));
            assert!((space.dim.0..=space.dim.1).contains(&c.network.dim));
            assert!((space.word_ngrams.0..=space.word_ngrams.1).contains(&c.features.word_ngrams));
            assert!(space.char_ngrams.contains(&c.features.char_ngrams));
            assert!(space.hidden.contains(&c.network.hidden));
            assert!(c.features.buckets * c.network.dim <= space.max_hashed_weights);
            assert!((space.dropout.0..=space.dropout.1).contains(&c.dropout));
            assert_eq!(c.bigrams_from_tokens, None);
            // Walk: every tenth proposal becomes the new best.
            if i % 10 == 0 {
                best = c;
            }
        }
    }

    #[test]
    fn spread_narrows_with_fastexts_schedule() {
        let cases = [
            (0.0, 2.8),
            (0.25, 2.8),
            (0.5, 2.65),
            (0.75, 2.5),
            (1.0, 2.5),
        ];
        for (t, expected) in cases {
            assert!((sigma(2.8, 2.5, t) - expected).abs() < 1e-12, "t = {t}");
        }
    }

    #[test]
    fn steps_truncate_and_clamp() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..200 {
            let v = step(2, (1, 4), (4.3, 2.4), 0.0, &mut rng);
            assert!((1..=4).contains(&v));
            let s: usize = scale(50.0, (10, 300), (1.4, 0.3), 1.0, &mut rng);
            assert!((10..=300).contains(&s));
        }
        // A spread far below 1 never moves a step setting.
        for _ in 0..200 {
            assert_eq!(step(3, (1, 5), (0.01, 0.01), 0.0, &mut rng), 3);
        }
    }
}
