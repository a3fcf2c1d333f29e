//! What the trainer reports while it works: [`TrainEvent`], and the
//! figures of an epoch ([`EpochStats`]) and of an evaluation
//! ([`Evaluation`]).

use super::diagnostics::LayerDiagnostics;
use super::plan;

/// What the trainer reports while it works.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainEvent {
    /// The training data has been read (a file: once through, a block at
    /// a time).
    Read {
        /// Examples read, a validation split's included.
        examples: usize,
        /// What reading skipped or repaired (nothing for examples given
        /// in memory).
        report: crate::data::ReadReport,
    },
    /// The settings decided from the data ([`plan::Plan::resolve`]): what
    /// the rest of the run trains with.
    Planned(Box<plan::Plan>),
    /// Data is tokenized and the network built.
    Prepared {
        /// Training examples.
        examples: usize,
        /// Vocabulary size (after min-count).
        words: usize,
        /// Number of labels.
        labels: usize,
        /// Rows of the embedding matrix.
        input_rows: usize,
        /// Total number of weights.
        parameters: usize,
        /// Threads training will use.
        threads: usize,
    },
    /// One epoch finished.
    Epoch(EpochStats),
    /// Part of an epoch is done (sent about every 1% of a large epoch, for
    /// progress bars).
    Progress {
        /// 1-based epoch in progress.
        epoch: usize,
        /// Planned number of epochs.
        epochs: usize,
        /// Examples done in this epoch.
        done: usize,
        /// Examples in an epoch.
        total: usize,
        /// Mean loss over the examples done so far in this epoch.
        mean_loss: f64,
        /// Current learning rate.
        learning_rate: f32,
    },
    /// A measurement at an evaluation point: every `--eval-every`
    /// examples and at the end of every epoch.
    Evaluation(Evaluation),
    /// Training goes on from a checkpoint.
    Resumed {
        /// The epoch it goes on in.
        epoch: usize,
        /// Examples of that epoch already done.
        done: usize,
        /// Examples in an epoch.
        total: usize,
    },
    /// Training stopped before the last epoch.
    StoppedEarly {
        /// The last epoch run.
        epoch: usize,
        /// Why.
        reason: String,
    },
}

/// Figures of one epoch, measured during its forward passes.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Planned number of epochs.
    pub epochs: usize,
    /// Mean loss over the epoch's examples: the error measure being minimised.
    pub mean_loss: f64,
    /// Mean of `|t_k - p_k|` over examples and labels (the blog's "error").
    pub mean_abs_error: f64,
    /// Fraction of examples whose top label was not one of theirs.
    pub error_rate: f64,
    /// Learning rate at the end of the epoch.
    pub learning_rate: f32,
    /// Examples per second in this epoch.
    pub examples_per_second: f64,
    /// Mean loss on the validation examples after this epoch, if any.
    pub valid_loss: Option<f64>,
    /// Accuracy (top label is a gold label) on the validation examples, if any.
    pub valid_accuracy: Option<f64>,
}

/// What the network looks like at one evaluation point.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// 1-based epoch in progress.
    pub epoch: usize,
    /// Training examples seen so far, over all epochs (the x axis of curves).
    pub examples_seen: usize,
    /// Whether this evaluation closes an epoch (else `--eval-every` asked for it).
    pub epoch_end: bool,
    /// Mean training loss over the examples since the previous evaluation
    /// (measured during their forward passes, before their updates).
    pub train_loss: f64,
    /// Learning rate now.
    pub learning_rate: f32,
    /// Mean loss on the validation examples, if any.
    pub valid_loss: Option<f64>,
    /// Accuracy on the validation examples, if any (error rate = 1 − accuracy).
    pub valid_accuracy: Option<f64>,
    /// Gradient norm and saturation per layer, when diagnostics are on.
    pub layers: Vec<LayerDiagnostics>,
}
