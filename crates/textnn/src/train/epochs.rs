//! The epoch loop: shuffle, train segment by segment (the sliced trainer
//! or the general forward/backward/optimizer path), evaluate, checkpoint
//! or stop, and report each epoch.

use super::state::{EpochTotals, LoopState};
use super::store::{Order, Prepared};
use super::{
    checkpoint, diagnostics, sliced, Batch, EpochStats, Evaluation, Reduction, RunOptions,
    TrainConfig, TrainEvent,
};
use crate::nn::{Gradients, Network, Workspace};
use crate::optim::Optimizer;
use crate::{Error, Result};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Seed of the sliced trainer's dropout masks, drawn from the run's seed.
pub(super) fn dropout_seed(seed: u64) -> u64 {
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
pub(super) fn run_epochs(
    config: &TrainConfig,
    data: &Prepared,
    valid: &Prepared,
    network: &mut Network,
    rng: &mut ChaCha8Rng,
    run: &RunOptions,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<()> {
    let context = LoopContext {
        config,
        data,
        valid,
        run,
        fingerprint: fingerprint(data, valid),
    };
    let mut epochs = Epochs::start(context, network, rng, observer)?;
    while epochs.state.epoch <= config.epochs {
        epochs.train_epoch()?;
        let stats = epochs.end_epoch();
        let stopped = epochs.stops_early(&stats);
        if stopped || run.after_epoch.is_some_and(|go_on| !go_on(&stats)) {
            break;
        }
        epochs.state.epoch += 1;
        epochs.state.position = 0;
        let more = epochs.state.epoch <= config.epochs;
        if more {
            epochs.checkpoint_or_stop(stats.epoch)?;
        }
    }
    epochs.finish()
}

/// The loop's working state: the network and what trains it, the example
/// order, the running totals and the early-stopping best.
struct Epochs<'a, 'o> {
    context: LoopContext<'a>,
    network: &'a mut Network,
    rng: &'a mut ChaCha8Rng,
    observer: &'o mut dyn FnMut(&TrainEvent),
    workspace: Workspace,
    /// Gradient buffers and optimizer state: the general path only (the
    /// sliced trainer updates in place); `Gradients` alone holds a slot
    /// per input row.
    general: Option<(Gradients, Optimizer)>,
    order: Order,
    state: LoopState,
    /// Early stopping: the best validation loss so far and its weights.
    best: Option<(f64, Network)>,
    probe: Option<diagnostics::Probe>,
    scheduler: sliced::Scheduler,
    checkpoint_due: bool,
    batch_size: usize,
    /// Examples over all epochs (the schedule's horizon).
    total: f64,
    /// Examples between progress events: about 100 per epoch, none for
    /// small epochs.
    progress_every: usize,
}

impl<'a, 'o> Epochs<'a, 'o> {
    /// The loop before its first epoch, or where the checkpoint to resume
    /// from left it.
    fn start(
        context: LoopContext<'a>,
        network: &'a mut Network,
        rng: &'a mut ChaCha8Rng,
        observer: &'o mut dyn FnMut(&TrainEvent),
    ) -> Result<Self> {
        let (config, run) = (context.config, context.run);
        let n = context.data.len();
        let general = sliced::supported(config).is_err().then(|| {
            (
                Gradients::new(network),
                Optimizer::new(config.optimizer.clone(), network),
            )
        });
        let mut state = LoopState::start();
        state.learning_rate = config.learning_rate;
        let mut epochs = Epochs {
            workspace: Workspace::new(network),
            general,
            order: Order::identity(n, &run.storage())?,
            state,
            best: None,
            probe: run
                .diagnostics
                .then(|| diagnostics::Probe::new(network, context.data)),
            scheduler: sliced::Scheduler::new(run.execution),
            checkpoint_due: false,
            batch_size: match config.batch {
                Batch::Size(b) => b.min(n),
                Batch::Full => n,
            },
            total: (config.epochs as f64) * (n as f64),
            progress_every: (n / 100).max(1_000),
            context,
            network,
            rng,
            observer,
        };
        if let Some(path) = run.resume {
            epochs.resume(path)?;
        }
        Ok(epochs)
    }

    /// Takes up the checkpoint at `path`: weights, optimizer moments,
    /// random generator, order, totals and the early-stopping best.
    fn resume(&mut self, path: &std::path::Path) -> Result<()> {
        let bad = |message: String| Error::BadModel {
            path: path.display().to_string(),
            message,
        };
        let n = self.context.data.len();
        let (config, fingerprint) = (self.context.config, self.context.fingerprint);
        let restored = checkpoint::load(path, config, fingerprint, n, self.network)?;
        if let Some((_, optimizer)) = self.general.as_mut() {
            let (steps, moments) = &restored.optimizer;
            optimizer.restore(*steps, moments).map_err(bad)?;
        }
        *self.rng = restored
            .state
            .rng()
            .ok_or_else(|| bad("the random generator's state is not valid".into()))?;
        self.order.copy_from_slice(&restored.order);
        (self.state, self.best) = (restored.state, restored.best);
        (self.observer)(&TrainEvent::Resumed {
            epoch: self.state.epoch,
            done: self.state.position,
            total: n,
        });
        Ok(())
    }

    /// Trains the rest of the current epoch, segment by segment, with a
    /// progress report, an evaluation, a checkpoint or a stop check
    /// between segments as they fall due.
    fn train_epoch(&mut self) -> Result<()> {
        let n = self.context.data.len();
        let run = self.context.run;
        if self.state.position == 0 {
            self.order.shuffle(self.rng);
            self.state.epoch_totals = EpochTotals::default();
            self.state.epoch_seconds = 0.0;
        }
        let started = Instant::now();
        let seconds_before = self.state.epoch_seconds;
        let every = |k: Option<usize>, before: usize, after: usize| {
            k.is_some_and(|k| after / k > before / k)
        };
        let checkpoint_every = run.checkpoint.as_ref().map(|c| c.every);
        while self.state.position < n {
            let (from, to) = (self.state.position, self.segment_end(checkpoint_every));
            if self.general.is_none() {
                self.train_sliced(from..to)?;
            } else {
                self.train_general(from..to)?;
            }
            let before = self.state.seen - (to - from);
            self.state.position = to;
            self.state.since_evaluation.count += to - from;
            self.checkpoint_due |= every(checkpoint_every, before, self.state.seen);
            if to == n {
                break; // the epoch's end reports (`end_epoch`)
            }
            self.state.epoch_seconds = seconds_before + started.elapsed().as_secs_f64();
            if to / self.progress_every > from / self.progress_every {
                (self.observer)(&TrainEvent::Progress {
                    epoch: self.state.epoch,
                    epochs: self.context.config.epochs,
                    done: to,
                    total: n,
                    mean_loss: self.state.epoch_totals.loss / to as f64,
                    learning_rate: self.state.learning_rate,
                });
            }
            if every(run.eval_every, before, self.state.seen) {
                let evaluation = self.evaluate();
                (self.observer)(&TrainEvent::Evaluation(evaluation));
            }
            self.checkpoint_or_stop(self.state.epoch)?;
        }
        self.state.epoch_seconds = seconds_before + started.elapsed().as_secs_f64();
        Ok(())
    }

    /// Where the segment starting at the current position ends: the next
    /// progress report, evaluation or checkpoint (counted over all
    /// epochs), or the epoch's end; for the general path, on a batch
    /// boundary.
    fn segment_end(&self, checkpoint_every: Option<usize>) -> usize {
        let n = self.context.data.len();
        let from = self.state.position;
        let epoch_start = self.state.seen - from;
        let next_multiple = |k: usize| ((self.state.seen / k) + 1) * k - epoch_start;
        let mut to = n.min(from + self.progress_every);
        for k in [self.context.run.eval_every, checkpoint_every]
            .into_iter()
            .flatten()
        {
            to = to.min(next_multiple(k));
        }
        if to < n {
            to = (to.div_ceil(self.batch_size) * self.batch_size).min(n);
        }
        to
    }

    /// The sliced trainer on the examples `range` of this epoch's order.
    fn train_sliced(&mut self, range: std::ops::Range<usize>) -> Result<()> {
        let config = self.context.config;
        let plan = sliced::EpochPlan {
            order: &self.order,
            data: self.context.data,
            seen_before: self.state.seen - range.start,
            total: self.total,
            config,
            dropout_seed: dropout_seed(config.seed),
        };
        let count = range.len();
        let totals = sliced::run_epoch(
            self.network,
            config.threads,
            &plan,
            range,
            &mut self.scheduler,
        );
        if let Some(value) = totals.diverged {
            return Err(Error::Diverged {
                epoch: self.state.epoch,
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
        self.state.add(totals.loss_sum, abs_error, wrong);
        self.state.learning_rate = totals.learning_rate;
        self.state.seen += count;
        Ok(())
    }

    /// Forward, loss, backward and an optimizer step per batch, on the
    /// examples `range` of this epoch's order.
    fn train_general(&mut self, range: std::ops::Range<usize>) -> Result<()> {
        let config = self.context.config;
        let data = self.context.data;
        let (dropout, epoch) = (config.dropout, self.state.epoch);
        let Some((grads, optimizer)) = self.general.as_mut() else {
            return Ok(());
        };
        for batch in self.order[range].chunks(self.batch_size) {
            let scale = match config.reduction {
                Reduction::Mean => 1.0 / batch.len() as f32,
                Reduction::Sum => 1.0,
            };
            let (mut loss_sum, mut abs_error_sum, mut wrong) = (0.0_f64, 0.0_f64, 0.0_f64);
            for &i in batch {
                let (ids, gold) = (data.features(i), data.gold(i));
                if dropout > 0.0 {
                    let rng: &mut ChaCha8Rng = self.rng;
                    self.network
                        .forward(ids, &mut self.workspace, Some((dropout, rng)));
                } else {
                    self.network.forward_eval(ids, &mut self.workspace);
                }
                let loss = self.network.loss(&self.workspace, gold);
                if !loss.is_finite() {
                    return Err(Error::Diverged {
                        epoch,
                        what: "loss",
                        value: loss as f32,
                        learning_rate: self.state.learning_rate,
                    });
                }
                loss_sum += loss;
                let probs = self.workspace.probabilities();
                abs_error_sum += probs
                    .iter()
                    .enumerate()
                    .map(|(k, &p)| (config.network.loss.target::<f64>(k, gold) - p as f64).abs())
                    .sum::<f64>();
                if !gold.contains(&argmax(probs)) {
                    wrong += 1.0;
                }
                self.network
                    .backward(ids, gold, &mut self.workspace, grads, scale);
            }
            self.state.add(loss_sum, abs_error_sum, wrong);
            self.state.seen += batch.len();
            self.state.learning_rate = config.schedule.rate(
                config.learning_rate,
                self.state.seen,
                self.total,
                config.epochs,
            );
            optimizer.step(self.network, grads, self.state.learning_rate);
        }
        Ok(())
    }

    /// The epoch's figures, with the validation measured: reported as an
    /// epoch and as an end-of-epoch evaluation.
    fn end_epoch(&mut self) -> EpochStats {
        let n = self.context.data.len();
        let n_labels = self.network.config().n_labels;
        let totals = self.state.epoch_totals;
        let mut stats = EpochStats {
            epoch: self.state.epoch,
            epochs: self.context.config.epochs,
            mean_loss: totals.loss / n as f64,
            mean_abs_error: totals.abs_error / (n * n_labels) as f64,
            error_rate: totals.wrong / n as f64,
            learning_rate: self.state.learning_rate,
            examples_per_second: if self.state.epoch_seconds > 0.0 {
                n as f64 / self.state.epoch_seconds
            } else {
                f64::INFINITY
            },
            valid_loss: None,
            valid_accuracy: None,
        };
        let mut evaluation = self.evaluate();
        evaluation.epoch_end = true;
        stats.valid_loss = evaluation.valid_loss;
        stats.valid_accuracy = evaluation.valid_accuracy;
        (self.observer)(&TrainEvent::Epoch(stats.clone()));
        (self.observer)(&TrainEvent::Evaluation(evaluation));
        stats
    }

    /// Whether the run stops after this epoch: early stopping (the
    /// validation loss has not improved for `early_stopping` epochs; the
    /// best weights are kept) or the blog's rule (the mean absolute
    /// error rose since the last check).
    fn stops_early(&mut self, stats: &EpochStats) -> bool {
        let config = self.context.config;
        let epoch = stats.epoch;
        let mut stopped = false;
        if let (Some(patience), Some(loss)) = (config.early_stopping, stats.valid_loss) {
            if self.best.as_ref().is_none_or(|(b, _)| loss < *b) {
                self.best = Some((loss, self.network.clone()));
                self.state.epochs_since_best = 0;
            } else {
                self.state.epochs_since_best += 1;
                if self.state.epochs_since_best >= patience {
                    let best_loss = self.best.as_ref().map_or(f64::NAN, |(b, _)| *b);
                    (self.observer)(&TrainEvent::StoppedEarly {
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
            let last_reported_error = f64::from_bits(self.state.last_reported_error);
            if !stopped && epoch % every == 0 {
                if stats.mean_abs_error > last_reported_error {
                    (self.observer)(&TrainEvent::StoppedEarly {
                        epoch,
                        reason: format!(
                            "mean absolute error rose from {last_reported_error:.6} to {:.6}",
                            stats.mean_abs_error
                        ),
                    });
                    stopped = true;
                }
                self.state.last_reported_error = stats.mean_abs_error.to_bits();
            }
        }
        stopped
    }

    /// Writes a checkpoint when one is due or a stop was asked for, then
    /// stops (`Error::Interrupted`, naming `epoch`) if asked to.
    fn checkpoint_or_stop(&mut self, epoch: usize) -> Result<()> {
        let run = self.context.run;
        let stop = run.stop_requested();
        if std::mem::take(&mut self.checkpoint_due) || stop {
            self.state.keep_rng(self.rng);
            let optimizer = self.general.as_ref().map(|(_, o)| o);
            self.context.checkpoint(
                &self.state,
                &self.order,
                self.network,
                optimizer,
                self.best.as_ref(),
            )?;
        }
        if stop {
            return Err(Error::Interrupted {
                epoch,
                checkpoint: run.checkpoint.as_ref().map(|c| c.path.clone()),
            });
        }
        Ok(())
    }

    /// Measures the network now ([`LoopContext::evaluate`]).
    fn evaluate(&mut self) -> Evaluation {
        self.context.evaluate(
            self.network,
            &mut self.workspace,
            &mut self.probe,
            &mut self.state,
        )
    }

    /// Ends the run: the early-stopping best replaces the weights, and
    /// weights that are not finite are an error.
    fn finish(self) -> Result<()> {
        let config = self.context.config;
        if let Some((_, best_network)) = self.best {
            *self.network = best_network;
        }
        if let Some(bad) = self
            .network
            .embedding
            .as_slice()
            .iter()
            .find(|v| !v.is_finite())
        {
            return Err(Error::Diverged {
                epoch: config.epochs,
                what: "weights",
                value: *bad,
                learning_rate: config.learning_rate,
            });
        }
        Ok(())
    }
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
        let since = std::mem::take(&mut state.since_evaluation);
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
            train_loss: since.loss_sum / since.count.max(1) as f64,
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
pub(super) fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}
