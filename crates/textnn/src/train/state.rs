//! The epoch loop's state between two examples, named: what a checkpoint
//! keeps besides the example order, the weights and the optimizer.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The epoch loop's state between two examples: what a checkpoint keeps
/// (with the example order, the weights and the optimizer's moments).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct LoopState {
    /// 1-based epoch in progress (or about to start).
    pub(super) epoch: usize,
    /// Examples of this epoch done; 0 = the epoch's order is not drawn yet.
    pub(super) position: usize,
    /// Examples done over all epochs.
    pub(super) seen: usize,
    pub(super) learning_rate: f32,
    /// This epoch's sums so far, and its seconds so far.
    pub(super) epoch_totals: EpochTotals,
    pub(super) epoch_seconds: f64,
    /// Training loss since the last evaluation.
    pub(super) since_evaluation: SinceEvaluation,
    /// The blog's error-rise check: the last reported mean absolute error (bits).
    pub(super) last_reported_error: u64,
    /// Early stopping: the best validation loss (bits), epochs since it.
    pub(super) best_loss: Option<u64>,
    pub(super) epochs_since_best: usize,
    /// The random generator: seed, stream, word position (decimal).
    pub(super) rng_seed: [u8; 32],
    pub(super) rng_stream: u64,
    pub(super) rng_word_pos: String,
    /// Optimizer steps taken (momentum, Adam).
    pub(super) optimizer_steps: u64,
}

impl LoopState {
    pub(super) fn start() -> Self {
        LoopState {
            epoch: 1,
            last_reported_error: f64::INFINITY.to_bits(),
            rng_word_pos: "0".into(),
            ..LoopState::default()
        }
    }

    /// Adds a segment's sums to the epoch's and the loss to the sum since
    /// the last evaluation (whose count the caller advances).
    pub(super) fn add(&mut self, loss: f64, abs_error: f64, wrong: f64) {
        let totals = &mut self.epoch_totals;
        totals.loss += loss;
        totals.abs_error += abs_error;
        totals.wrong += wrong;
        self.since_evaluation.loss_sum += loss;
    }

    pub(super) fn keep_rng(&mut self, rng: &ChaCha8Rng) {
        self.rng_seed = rng.get_seed();
        self.rng_stream = rng.get_stream();
        self.rng_word_pos = rng.get_word_pos().to_string();
    }

    pub(super) fn rng(&self) -> Option<ChaCha8Rng> {
        let mut rng = ChaCha8Rng::from_seed(self.rng_seed);
        rng.set_stream(self.rng_stream);
        rng.set_word_pos(self.rng_word_pos.parse().ok()?);
        Some(rng)
    }
}

/// An epoch's running sums: loss, absolute error (NaN where the sliced
/// trainer does not measure it) and examples whose top label was wrong.
/// A checkpoint keeps them as f64 bits, so a resume is exact (NaN too).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "[u64; 3]", into = "[u64; 3]")]
pub(crate) struct EpochTotals {
    pub(super) loss: f64,
    pub(super) abs_error: f64,
    pub(super) wrong: f64,
}

impl From<[u64; 3]> for EpochTotals {
    fn from([loss, abs_error, wrong]: [u64; 3]) -> Self {
        EpochTotals {
            loss: f64::from_bits(loss),
            abs_error: f64::from_bits(abs_error),
            wrong: f64::from_bits(wrong),
        }
    }
}

impl From<EpochTotals> for [u64; 3] {
    fn from(t: EpochTotals) -> Self {
        [t.loss.to_bits(), t.abs_error.to_bits(), t.wrong.to_bits()]
    }
}

/// The training loss summed over the examples since the last evaluation,
/// and their count (kept as f64 bits and a count in a checkpoint).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "(u64, usize)", into = "(u64, usize)")]
pub(crate) struct SinceEvaluation {
    pub(super) loss_sum: f64,
    pub(super) count: usize,
}

impl From<(u64, usize)> for SinceEvaluation {
    fn from((loss_sum, count): (u64, usize)) -> Self {
        SinceEvaluation {
            loss_sum: f64::from_bits(loss_sum),
            count,
        }
    }
}

impl From<SinceEvaluation> for (u64, usize) {
    fn from(s: SinceEvaluation) -> Self {
        (s.loss_sum.to_bits(), s.count)
    }
}
