//! Training: examples in, a [`Classifier`] out.
//!
//! ```text
//! examples ─▶ tokenize ─▶ vocabulary + labels ─▶ feature ids
//!          ─▶ for each epoch: shuffle, then for each batch:
//!                forward ─▶ loss ─▶ backward (gradients) ─▶ optimizer step (learning rate η_t)
//! ```
//!
//! The learning rate follows fastText's linear decay
//! `η_t = η₀ (1 - t/T)` over the `T` examples of all epochs, or stays
//! constant. A batch's gradient is the mean (or, as in the classic blog,
//! the sum) of its examples' gradients. Everything random (initial
//! weights, shuffling, dropout) comes from [`TrainConfig::seed`], so the
//! same data and settings give a bit-identical model.
//!
//! ```
//! use textnn::data::Example;
//! use textnn::train::{train, TrainConfig};
//! let ex = |text: &str, label: &str| Example { text: text.into(), labels: vec![label.into()], line: 1 };
//! let examples = vec![ex("good morning", "greet"), ex("bye now", "bye"), ex("hello there", "greet")];
//! let config = TrainConfig { epochs: 50, learning_rate: 0.5, ..TrainConfig::fasttext() };
//! let model = train(&config, &examples, &mut |_| {}).unwrap();
//! let top = &model.predict("good morning", 1, 0.0)[0];
//! assert_eq!(model.label_name(top.0), "greet");
//! ```

pub mod auto_epochs;
mod barrier;
mod checkpoint;
mod columns;
pub mod diagnostics;
pub mod plan;
mod prepare;
pub mod race;
mod sliced;
mod source;
mod store;

pub use crate::config::{
    Batch, MultiLabelSettings, Preset, Reduction, Schedule, TrainConfig,
    DEFAULT_BIGRAMS_FROM_TOKENS,
};
pub use checkpoint::CheckpointPolicy;
pub use diagnostics::LayerDiagnostics;
pub use sliced::Execution;
pub(crate) use source::stratified_split;
pub use source::Examples;
use store::{Order, Prepared, Storage};

use crate::data::Example;
use crate::model::Classifier;
use crate::nn::{Gradients, Init, Loss, Network, NetworkConfig, Workspace};
use crate::optim::Optimizer;
use crate::vocab::Dictionary;
use crate::{Error, Result};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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

/// How a run is watched, saved and stopped. None of it changes what is
/// learnt: the same settings and data give the same model with or without
/// evaluations, checkpoints or a resume.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Validation examples (instead of `TrainConfig::valid_split`).
    pub valid: Option<&'a [Example]>,
    /// Also evaluate every this many training examples (counted over all
    /// epochs), besides each epoch's end.
    pub eval_every: Option<usize>,
    /// Measure each layer's gradient norm and saturation at evaluations.
    pub diagnostics: bool,
    /// Write checkpoints.
    pub checkpoint: Option<CheckpointPolicy>,
    /// Go on from this checkpoint (same settings and data).
    pub resume: Option<&'a Path>,
    /// Set (e.g. by a Ctrl-C handler) to stop at the next segment boundary,
    /// after writing a checkpoint when checkpoints are on.
    pub stop: Option<&'a AtomicBool>,
    /// Keep the prepared training data (token numbers, feature ids) in
    /// unnamed temporary files in this folder, memory-mapped for the
    /// epochs, instead of in memory: with [`Examples::File`], memory then
    /// grows with the vocabulary and the model, not with the corpus.
    pub cache_dir: Option<&'a Path>,
    /// How the sliced trainer runs its column slices on several threads
    /// (never changes the weights).
    pub execution: Execution,
    /// Asked after every epoch, once the epoch is reported: `false` ends
    /// the run there, with the weights as they are (a caller that races
    /// runs against each other pauses one by not answering yet; see
    /// [`race`]).
    pub after_epoch: Option<&'a AfterEpoch<'a>>,
}

/// The question [`RunOptions::after_epoch`] asks: go on after this epoch?
pub type AfterEpoch<'a> = dyn Fn(&EpochStats) -> bool + Sync + 'a;

impl RunOptions<'_> {
    fn stop_requested(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
    }

    /// Where the prepared data and the example order live.
    fn storage(&self) -> Storage {
        match self.cache_dir {
            Some(folder) => Storage::Files(folder.to_path_buf()),
            None => Storage::Memory,
        }
    }
}

/// Trains a classifier on `examples`, calling `observer` with progress.
/// With `config.valid_split`, part of `examples` is held out for validation.
pub fn train(
    config: &TrainConfig,
    examples: &[Example],
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<Classifier> {
    train_validated(config, examples, None, observer)
}

/// [`train`] with an explicit validation set (labels unseen in training
/// are ignored there; examples left without a known label are skipped).
pub fn train_validated(
    config: &TrainConfig,
    examples: &[Example],
    valid: Option<&[Example]>,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<Classifier> {
    let run = RunOptions {
        valid,
        ..RunOptions::default()
    };
    train_with(config, examples, &run, observer)
}

/// [`train`] with everything [`RunOptions`] offers: a validation set,
/// evaluations, diagnostics, checkpoints, resuming and stopping.
pub fn train_with(
    config: &TrainConfig,
    examples: &[Example],
    run: &RunOptions,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<Classifier> {
    train_from(config, &Examples::Memory(examples), run, observer)
}

/// [`train_with`] on examples in memory or in a file read a block at a
/// time: the same examples give the same model either way.
pub fn train_from(
    config: &TrainConfig,
    examples: &Examples,
    run: &RunOptions,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<Classifier> {
    config.validate()?;
    if run.eval_every == Some(0) || run.checkpoint.as_ref().is_some_and(|c| c.every == 0) {
        return Err(Error::InvalidConfig(
            "evaluation and checkpoint intervals must be at least 1 example".into(),
        ));
    }
    let no_validation = || {
        Error::InvalidConfig(
            "early stopping needs validation data: give --valid FILE or --valid-split F".into(),
        )
    };
    let validation_given = match run.valid {
        Some(valid) => !valid.is_empty(),
        None => config.valid_split.is_some(),
    };
    if config.early_stopping.is_some() && !validation_given {
        return Err(no_validation());
    }
    // Tokenize, count and extract features on the threads asked for; the
    // result does not depend on how many (see `prepare`).
    let storage = run.storage();
    let requested_threads = config.threads;
    let prepare::Preparation {
        pipeline,
        vocab,
        labels,
        featurizer,
        plan,
        data,
        valid: valid_data,
        read: (read, report),
    } = prepare::prepare(config, examples, run.valid, &storage)?;
    observer(&TrainEvent::Read {
        examples: read,
        report,
    });
    observer(&TrainEvent::Planned(Box::new(plan.clone())));
    let config = plan.config;
    if config.early_stopping.is_some() && valid_data.len() == 0 {
        return Err(no_validation());
    }
    let config = &config;

    let network_config = NetworkConfig {
        input_rows: featurizer.input_rows(),
        n_labels: labels.len(),
        // Hierarchical softmax shapes its tree by the label counts.
        label_counts: if config.network.loss == Loss::Hs {
            labels.counts().to_vec()
        } else {
            Vec::new()
        },
        // Buckets start at zero (see `NetworkConfig::random_rows`).
        random_rows: (config.features.uses_buckets() && config.network.init == Init::Default)
            .then_some(vocab.len()),
        ..config.network.clone()
    };
    let parameters = network_config.validate()?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut network: Network = Network::new_parallel(network_config, &mut rng, requested_threads)?;
    if config.network.idf {
        network
            .set_feature_weights(inverse_document_frequencies(&data, featurizer.input_rows()))?;
    }
    observer(&TrainEvent::Prepared {
        examples: data.len(),
        words: vocab.len(),
        labels: labels.len(),
        input_rows: featurizer.input_rows(),
        parameters,
        threads: config.threads,
    });

    run_epochs(
        config,
        &data,
        &valid_data,
        &mut network,
        &mut rng,
        run,
        observer,
    )?;
    Ok(Classifier::new(
        pipeline,
        vocab,
        labels,
        featurizer,
        network,
        config.clone(),
    ))
}

/// The epoch loop's state between two examples: what a checkpoint keeps
/// (with the example order, the weights and the optimizer's moments).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct LoopState {
    /// 1-based epoch in progress (or about to start).
    epoch: usize,
    /// Examples of this epoch done; 0 = the epoch's order is not drawn yet.
    position: usize,
    /// Examples done over all epochs.
    seen: usize,
    learning_rate: f32,
    /// This epoch's sums so far (f64 bits, so a resume is exact): loss,
    /// absolute error, wrong top labels; and its seconds so far.
    epoch_sums: [u64; 3],
    epoch_seconds: f64,
    /// Loss sum and count since the last evaluation (f64 bits, count).
    since_evaluation: (u64, usize),
    /// The blog's error-rise check: the last reported mean absolute error (bits).
    last_reported_error: u64,
    /// Early stopping: the best validation loss (bits), epochs since it.
    best_loss: Option<u64>,
    epochs_since_best: usize,
    /// The random generator: seed, stream, word position (decimal).
    rng_seed: [u8; 32],
    rng_stream: u64,
    rng_word_pos: String,
    /// Optimizer steps taken (momentum, Adam).
    optimizer_steps: u64,
}

impl LoopState {
    fn start() -> Self {
        LoopState {
            epoch: 1,
            last_reported_error: f64::INFINITY.to_bits(),
            rng_word_pos: "0".into(),
            ..LoopState::default()
        }
    }

    fn sum(&self, k: usize) -> f64 {
        f64::from_bits(self.epoch_sums[k])
    }

    fn add(&mut self, loss: f64, abs_error: f64, wrong: f64) {
        for (k, v) in [loss, abs_error, wrong].into_iter().enumerate() {
            self.epoch_sums[k] = (self.sum(k) + v).to_bits();
        }
        let (sum, count) = self.since_evaluation;
        self.since_evaluation = ((f64::from_bits(sum) + loss).to_bits(), count);
    }

    fn keep_rng(&mut self, rng: &ChaCha8Rng) {
        self.rng_seed = rng.get_seed();
        self.rng_stream = rng.get_stream();
        self.rng_word_pos = rng.get_word_pos().to_string();
    }

    fn rng(&self) -> Option<ChaCha8Rng> {
        let mut rng = ChaCha8Rng::from_seed(self.rng_seed);
        rng.set_stream(self.rng_stream);
        rng.set_word_pos(self.rng_word_pos.parse().ok()?);
        Some(rng)
    }
}

/// Seed of the sliced trainer's dropout masks, drawn from the run's seed.
fn dropout_seed(seed: u64) -> u64 {
    seed ^ 0x6472_6f70_6f75_7400
}

/// A fingerprint of the prepared data and the settings that shaped it: a
/// checkpoint only resumes on the same.
fn fingerprint(data: &Prepared, valid: &Prepared) -> u64 {
    let mut hasher = crc32fast::Hasher::new();
    let mut second = crc32fast::Hasher::new_with_initial(0x7465_7874);
    let mut bytes = Vec::with_capacity(1 << 16);
    let mut flush = |bytes: &mut Vec<u8>, force: bool| {
        if force || bytes.len() >= 1 << 16 {
            hasher.update(bytes);
            second.update(bytes);
            bytes.clear();
        }
    };
    for prepared in [data, valid] {
        for &id in prepared.all_features() {
            bytes.extend_from_slice(&id.to_le_bytes());
            flush(&mut bytes, false);
        }
        // Each example's length and gold labels.
        for i in 0..prepared.len() {
            bytes.extend_from_slice(&(prepared.features(i).len() as u32).to_le_bytes());
            for &g in prepared.gold(i) {
                bytes.extend_from_slice(&(g as u32).to_le_bytes());
            }
            bytes.extend_from_slice(&u32::MAX.to_le_bytes());
            flush(&mut bytes, false);
        }
        bytes.extend_from_slice(&(prepared.len() as u64).to_le_bytes());
    }
    flush(&mut bytes, true);
    ((hasher.finalize() as u64) << 32) | second.finalize() as u64
}

/// The optimisation loop proper: epochs cut into segments at every
/// progress report, evaluation, checkpoint and stop check. Segments never
/// change the arithmetic, so evaluating, checkpointing or resuming gives
/// the same weights as one uninterrupted run.
fn run_epochs(
    config: &TrainConfig,
    data: &Prepared,
    valid: &Prepared,
    network: &mut Network,
    rng: &mut ChaCha8Rng,
    run: &RunOptions,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<()> {
    let n = data.len();
    let batch_size = match config.batch {
        Batch::Size(b) => b.min(n),
        Batch::Full => n,
    };
    let mut workspace = Workspace::new(network);
    // Gradient buffers and optimizer state serve the general path only
    // (the sliced trainer updates in place); `Gradients` alone holds a
    // slot per input row.
    let use_sliced = sliced::supported(config).is_ok();
    let mut general = (!use_sliced).then(|| {
        (
            Gradients::new(network),
            Optimizer::new(config.optimizer.clone(), network),
        )
    });
    let fingerprint = fingerprint(data, valid);
    let mut order = Order::identity(n, &run.storage())?;
    let mut state = LoopState::start();
    state.learning_rate = config.learning_rate;
    // Early stopping: the best validation loss so far and its weights.
    let mut best: Option<(f64, Network)> = None;
    if let Some(path) = run.resume {
        let restored = checkpoint::load(path, config, fingerprint, n, network)?;
        if let Some((_, optimizer)) = general.as_mut() {
            let (steps, moments) = &restored.optimizer;
            optimizer
                .restore(*steps, moments)
                .map_err(|m| Error::BadModel {
                    path: path.display().to_string(),
                    message: m,
                })?;
        }
        *rng = restored.state.rng().ok_or_else(|| Error::BadModel {
            path: path.display().to_string(),
            message: "the random generator's state is not valid".into(),
        })?;
        order.copy_from_slice(&restored.order);
        (state, best) = (restored.state, restored.best);
        observer(&TrainEvent::Resumed {
            epoch: state.epoch,
            done: state.position,
            total: n,
        });
    }
    let total = (config.epochs as f64) * (n as f64);
    let n_labels = network.config().n_labels;
    let dropout = config.dropout;
    // Progress events: about 100 per epoch, none for small epochs.
    let progress_every = (n / 100).max(1_000);
    let mut probe = run
        .diagnostics
        .then(|| diagnostics::Probe::new(network, data));
    let mut scheduler = sliced::Scheduler::new(run.execution);
    let every =
        |k: Option<usize>, before: usize, after: usize| k.is_some_and(|k| after / k > before / k);
    let checkpoint_every = run.checkpoint.as_ref().map(|c| c.every);
    let mut checkpoint_due = false;
    let lp = LoopContext {
        config,
        data,
        valid,
        run,
        fingerprint,
    };

    while state.epoch <= config.epochs {
        let epoch = state.epoch;
        if state.position == 0 {
            order.shuffle(rng);
            state.epoch_sums = [0.0f64.to_bits(); 3];
            state.epoch_seconds = 0.0;
        }
        let started = Instant::now();
        let seconds_before = state.epoch_seconds;
        while state.position < n {
            // The next stop: a progress report, an evaluation, a checkpoint
            // (counted over all epochs), or the epoch's end; for the
            // general path, at a batch boundary.
            let from = state.position;
            let epoch_start = state.seen - from;
            let next_multiple = |k: usize| ((state.seen / k) + 1) * k - epoch_start;
            let mut to = n.min(from + progress_every);
            for k in [run.eval_every, checkpoint_every].into_iter().flatten() {
                to = to.min(next_multiple(k));
            }
            if to < n {
                to = (to.div_ceil(batch_size) * batch_size).min(n);
            }
            if use_sliced {
                let plan = sliced::EpochPlan {
                    order: &order,
                    data,
                    seen_before: epoch_start,
                    total,
                    config,
                    dropout_seed: dropout_seed(config.seed),
                };
                let totals =
                    sliced::run_epoch(network, config.threads, &plan, from..to, &mut scheduler);
                if let Some(value) = totals.diverged {
                    return Err(Error::Diverged {
                        epoch,
                        what: "loss",
                        value: value as f32,
                        learning_rate: totals.learning_rate,
                    });
                }
                let (abs_error, wrong) = if totals.error_measured {
                    (totals.abs_error_sum, totals.wrong as f64)
                } else {
                    (f64::NAN, f64::NAN)
                };
                state.add(totals.loss_sum, abs_error, wrong);
                state.learning_rate = totals.learning_rate;
                state.seen += to - from;
            }
            for batch in order[from..to].chunks(batch_size) {
                let Some((grads, optimizer)) = general.as_mut() else {
                    break; // the sliced trainer ran this segment
                };
                let scale = match config.reduction {
                    Reduction::Mean => 1.0 / batch.len() as f32,
                    Reduction::Sum => 1.0,
                };
                let (mut loss_sum, mut abs_error_sum, mut wrong) = (0.0_f64, 0.0_f64, 0.0_f64);
                for &i in batch {
                    let (ids, gold) = (data.features(i), data.gold(i));
                    if dropout > 0.0 {
                        network.forward(ids, &mut workspace, Some((dropout, &mut *rng)));
                    } else {
                        network.forward_eval(ids, &mut workspace);
                    }
                    let loss = network.loss(&workspace, gold);
                    if !loss.is_finite() {
                        return Err(Error::Diverged {
                            epoch,
                            what: "loss",
                            value: loss as f32,
                            learning_rate: state.learning_rate,
                        });
                    }
                    loss_sum += loss;
                    let probs = workspace.probabilities();
                    abs_error_sum += probs
                        .iter()
                        .enumerate()
                        .map(|(k, &p)| {
                            (config.network.loss.target::<f64>(k, gold) - p as f64).abs()
                        })
                        .sum::<f64>();
                    if !gold.contains(&argmax(probs)) {
                        wrong += 1.0;
                    }
                    network.backward(ids, gold, &mut workspace, grads, scale);
                }
                state.add(loss_sum, abs_error_sum, wrong);
                state.seen += batch.len();
                state.learning_rate =
                    config
                        .schedule
                        .rate(config.learning_rate, state.seen, total, config.epochs);
                optimizer.step(network, grads, state.learning_rate);
            }
            let before = state.seen - (to - from);
            state.position = to;
            state.since_evaluation.1 += to - from;
            checkpoint_due |= every(checkpoint_every, before, state.seen);
            if to == n {
                break; // the epoch's end reports below
            }
            state.epoch_seconds = seconds_before + started.elapsed().as_secs_f64();
            if to / progress_every > from / progress_every {
                observer(&TrainEvent::Progress {
                    epoch,
                    epochs: config.epochs,
                    done: to,
                    total: n,
                    mean_loss: state.sum(0) / to as f64,
                    learning_rate: state.learning_rate,
                });
            }
            if every(run.eval_every, before, state.seen) {
                let evaluation = lp.evaluate(network, &mut workspace, &mut probe, &mut state);
                observer(&TrainEvent::Evaluation(evaluation));
            }
            let stop = run.stop_requested();
            if std::mem::take(&mut checkpoint_due) || stop {
                state.keep_rng(rng);
                let optimizer = general.as_ref().map(|(_, o)| o);
                lp.checkpoint(&state, &order, network, optimizer, best.as_ref())?;
            }
            if stop {
                return Err(Error::Interrupted {
                    epoch,
                    checkpoint: run.checkpoint.as_ref().map(|c| c.path.clone()),
                });
            }
        }
        state.epoch_seconds = seconds_before + started.elapsed().as_secs_f64();
        let mut stats = EpochStats {
            epoch,
            epochs: config.epochs,
            mean_loss: state.sum(0) / n as f64,
            mean_abs_error: state.sum(1) / (n * n_labels) as f64,
            error_rate: state.sum(2) / n as f64,
            learning_rate: state.learning_rate,
            examples_per_second: if state.epoch_seconds > 0.0 {
                n as f64 / state.epoch_seconds
            } else {
                f64::INFINITY
            },
            valid_loss: None,
            valid_accuracy: None,
        };
        let mut evaluation = lp.evaluate(network, &mut workspace, &mut probe, &mut state);
        evaluation.epoch_end = true;
        stats.valid_loss = evaluation.valid_loss;
        stats.valid_accuracy = evaluation.valid_accuracy;
        observer(&TrainEvent::Epoch(stats.clone()));
        observer(&TrainEvent::Evaluation(evaluation));
        let mut stopped = false;
        if let (Some(patience), Some(loss)) = (config.early_stopping, stats.valid_loss) {
            if best.as_ref().is_none_or(|(b, _)| loss < *b) {
                best = Some((loss, network.clone()));
                state.epochs_since_best = 0;
            } else {
                state.epochs_since_best += 1;
                if state.epochs_since_best >= patience {
                    let best_loss = best.as_ref().map_or(f64::NAN, |(b, _)| *b);
                    observer(&TrainEvent::StoppedEarly {
                        epoch,
                        reason: format!(
                            "validation loss has not improved for {patience} epochs; keeping epoch {} (validation loss {best_loss:.6})",
                            epoch - patience
                        ),
                    });
                    stopped = true;
                }
            }
        }
        if let Some(every) = config.stop_when_error_rises_every {
            let last_reported_error = f64::from_bits(state.last_reported_error);
            if !stopped && epoch % every == 0 {
                if stats.mean_abs_error > last_reported_error {
                    observer(&TrainEvent::StoppedEarly {
                        epoch,
                        reason: format!(
                            "mean absolute error rose from {last_reported_error:.6} to {:.6}",
                            stats.mean_abs_error
                        ),
                    });
                    stopped = true;
                }
                state.last_reported_error = stats.mean_abs_error.to_bits();
            }
        }
        if stopped || run.after_epoch.is_some_and(|go_on| !go_on(&stats)) {
            break;
        }
        state.epoch += 1;
        state.position = 0;
        let stop = run.stop_requested();
        let more = state.epoch <= config.epochs;
        if (std::mem::take(&mut checkpoint_due) || stop) && more {
            state.keep_rng(rng);
            let optimizer = general.as_ref().map(|(_, o)| o);
            lp.checkpoint(&state, &order, network, optimizer, best.as_ref())?;
        }
        if stop && more {
            return Err(Error::Interrupted {
                epoch,
                checkpoint: run.checkpoint.as_ref().map(|c| c.path.clone()),
            });
        }
    }
    if let Some((_, best_network)) = best {
        *network = best_network;
    }
    if let Some(bad) = network.embedding.as_slice().iter().find(|v| !v.is_finite()) {
        return Err(Error::Diverged {
            epoch: config.epochs,
            what: "weights",
            value: *bad,
            learning_rate: config.learning_rate,
        });
    }
    Ok(())
}

/// What the loop's reports and checkpoints read.
struct LoopContext<'a> {
    config: &'a TrainConfig,
    data: &'a Prepared,
    valid: &'a Prepared,
    run: &'a RunOptions<'a>,
    fingerprint: u64,
}

impl LoopContext<'_> {
    /// Measures the network now: the training loss since the last
    /// evaluation, validation loss and accuracy, and with diagnostics the
    /// gradient norm and saturation of each layer.
    fn evaluate(
        &self,
        network: &Network,
        workspace: &mut Workspace,
        probe: &mut Option<diagnostics::Probe>,
        state: &mut LoopState,
    ) -> Evaluation {
        let (sum, count) = std::mem::take(&mut state.since_evaluation);
        let (valid_loss, valid_accuracy) = if self.valid.len() != 0 {
            let (loss, accuracy) = evaluate(network, self.valid, workspace);
            (Some(loss), Some(accuracy))
        } else {
            (None, None)
        };
        Evaluation {
            epoch: state.epoch,
            examples_seen: state.seen,
            epoch_end: false,
            train_loss: f64::from_bits(sum) / count.max(1) as f64,
            learning_rate: state.learning_rate,
            valid_loss,
            valid_accuracy,
            layers: probe
                .as_mut()
                .map(|p| p.measure(network, self.data))
                .unwrap_or_default(),
        }
    }

    /// Writes a checkpoint of the loop as it stands (if checkpoints are on).
    fn checkpoint(
        &self,
        state: &LoopState,
        order: &[usize],
        network: &Network,
        optimizer: Option<&Optimizer>,
        best: Option<&(f64, Network)>,
    ) -> Result<()> {
        let Some(policy) = &self.run.checkpoint else {
            return Ok(());
        };
        checkpoint::save(
            &policy.path,
            &checkpoint::Snapshot {
                settings: self.config,
                fingerprint: self.fingerprint,
                state,
                order,
                network,
                optimizer,
                best,
            },
        )
    }
}

/// `idf_j = ln((1 + N) / (1 + df_j)) + 1` for every input row `j`, where
/// `df_j` counts the training examples that contain feature `j`
/// (scikit-learn's smoothed idf; a row never seen gets the largest value).
fn inverse_document_frequencies(data: &Prepared, rows: usize) -> Vec<f32> {
    let mut df = vec![0u32; rows];
    let mut last_seen = vec![u32::MAX; rows];
    for i in 0..data.len() {
        for &id in data.features(i) {
            if last_seen[id as usize] != i as u32 {
                last_seen[id as usize] = i as u32;
                df[id as usize] += 1;
            }
        }
    }
    let n = data.len() as f64;
    df.iter()
        .map(|&d| (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32)
        .collect()
}

/// Clears `out`, then pushes the ids of the `names` that `labels` knows,
/// each once, in order.
fn known_labels(labels: &Dictionary, names: &[String], out: &mut Vec<usize>) {
    out.clear();
    for id in names.iter().filter_map(|n| labels.id(n)) {
        if !out.contains(&(id as usize)) {
            out.push(id as usize);
        }
    }
}

/// Mean loss and accuracy of `network` on `data` (no dropout).
fn evaluate(network: &Network, data: &Prepared, workspace: &mut Workspace) -> (f64, f64) {
    let (mut loss, mut correct) = (0.0, 0usize);
    for i in 0..data.len() {
        let (ids, gold) = (data.features(i), data.gold(i));
        network.forward_eval(ids, workspace);
        loss += network.loss(workspace, gold);
        if gold.contains(&argmax(workspace.probabilities())) {
            correct += 1;
        }
    }
    let n = data.len().max(1) as f64;
    (loss / n, correct as f64 / n)
}

/// Index of the largest value (the first one on ties).
fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}
