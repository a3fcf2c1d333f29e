//! Multi-threaded SGD that is exact and reproducible: every thread works
//! on every example, each on its own slice of the embedding dimensions.
//!
//! With no hidden layer the network is `z = W a(Σ_i x_i E[id_i]) + b`.
//! Split the `dim` columns of `E` and `W` into one range per thread:
//! thread `t` sums its columns of the rows (`h_t`), applies the activation
//! and dropout to them (elementwise, so the slice is all it needs) and
//! computes its share of the logits, `z_t = W[:, t] a_t`. The threads meet
//! at a barrier, each adds the shares in thread order (`z = Σ_t z_t + b`),
//! and from there every thread computes the same probabilities, loss and
//! `δ = dL/dz`. Each then updates its own columns: `W[:, t] -= η δ a_tᵀ`
//! and, after `W[:, t]ᵀ δ` went back through dropout and the activation
//! derivative, its columns of the example's embedding rows. The bias is
//! updated by every thread on its own copy, identically.
//!
//! This is plain per-example SGD, the same updates as one thread makes:
//! nothing is stale and nothing is averaged, so accuracy does not depend
//! on the thread count, and since no two threads write the same number and
//! the shares are added in a fixed order, the same seed, data and thread
//! count give bit-identical weights. The cost is one barrier per example
//! (the shares are double-buffered, so one suffices) and the small
//! per-example work that every thread repeats (feature weights, softmax).
//!
//! Meeting once per example needs every thread on a core at once; on a
//! busy machine one descheduled thread stalls the others. So the
//! [`Scheduler`] runs chunks of examples either with one OS thread per
//! slice or with all slices in turn on the caller's thread, times both now
//! and then, and keeps the faster. Both give the same bits: the slices,
//! not the OS threads, decide the arithmetic. [`RunOptions::execution`](super::RunOptions::execution)
//! pins the mode (for benchmarks; the CLI's `TEXTNN_EXECUTION`).

use super::barrier::{PoisonOnPanic, SpinBarrier};
use super::columns::{split_columns, ColumnSlice, Prefetcher};
use super::epochs::argmax;
use super::{Batch, Prepared, TrainConfig};
use crate::linalg::{add_scaled, dot};
use crate::nn::huffman::HuffmanTree;
use crate::nn::{Activation, Loss, Network, NetworkConfig};
use crate::optim::OptimizerKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

/// Fewest embedding columns a thread gets; thinner slices cost more in
/// meetings than they save.
pub(super) const MIN_COLUMNS_PER_THREAD: usize = 8;

/// Whether `config` trains with the sliced trainer; `Err` says why not.
/// The sliced trainer runs plain SGD, one example per step, without L2
/// or clipping, on networks without hidden layers.
pub(super) fn supported(config: &TrainConfig) -> Result<(), String> {
    let o = &config.optimizer;
    if o.kind != OptimizerKind::Sgd {
        return Err(format!("optimizer {} keeps per-weight state", o.kind));
    }
    if o.l2 != 0.0 || o.clip_grad.is_some() {
        return Err("l2 and gradient clipping need the whole gradient".into());
    }
    if config.batch != Batch::Size(1) {
        return Err(format!("batch {} is not 1", config.batch));
    }
    if !config.network.hidden.is_empty() {
        return Err("the network has hidden layers".into());
    }
    Ok(())
}

/// Threads actually used for `requested` threads and embedding width `dim`.
pub(super) fn effective_threads(requested: usize, dim: usize) -> usize {
    requested.clamp(1, (dim / MIN_COLUMNS_PER_THREAD).max(1))
}

/// Column bounds `0 = b_0 ≤ … ≤ b_T = dim`, interior ones on multiples of 8
/// floats (32 bytes) where the width allows.
fn column_bounds(dim: usize, threads: usize) -> Vec<usize> {
    let mut bounds: Vec<usize> = (0..=threads)
        .map(|t| {
            let b = dim * t / threads;
            if t == 0 || t == threads {
                b
            } else {
                (b / 8 * 8).max(1)
            }
        })
        .collect();
    for t in 1..bounds.len() {
        bounds[t] = bounds[t].max(bounds[t - 1]);
    }
    bounds
}

/// What one epoch needs to know.
pub(super) struct EpochPlan<'a> {
    /// Example indices in this epoch's order.
    pub order: &'a [usize],
    /// The training data.
    pub data: &'a Prepared,
    /// Examples seen in earlier epochs.
    pub seen_before: usize,
    /// Examples in all epochs (for the linear schedule).
    pub total: f64,
    /// Settings.
    pub config: &'a TrainConfig,
    /// Seed of the run's dropout masks. Each example draws its masks from
    /// its own stream (its position in the whole run), so a run cut into
    /// pieces — evaluations, checkpoints, a resume — draws the same masks.
    pub dropout_seed: u64,
}

/// What one epoch measured (thread 0's view; all threads agree).
#[derive(Default)]
pub(super) struct EpochTotals {
    pub loss_sum: f64,
    pub abs_error_sum: f64,
    pub wrong: usize,
    /// Whether `abs_error_sum` and `wrong` were measured (not with
    /// hierarchical softmax).
    pub error_measured: bool,
    pub learning_rate: f32,
    /// The first non-finite loss, if training diverged.
    pub diverged: Option<f64>,
}

/// The per-thread logit shares, double-buffered by example parity. Stored
/// as `f32` bits in atomics: relaxed stores and loads compile to plain
/// moves, and the barrier orders them.
struct Shares {
    threads: usize,
    stride: usize,
    values: Vec<AtomicU32>,
}

impl Shares {
    fn new(threads: usize, labels: usize) -> Self {
        // Pad each thread's row to whole cache lines (16 floats).
        let stride = labels.div_ceil(16) * 16;
        Shares {
            threads,
            stride,
            values: (0..2 * threads * stride)
                .map(|_| AtomicU32::new(0))
                .collect(),
        }
    }

    fn write(&self, parity: usize, thread: usize, share: &[f32]) {
        let start = (parity * self.threads + thread) * self.stride;
        for (slot, &v) in self.values[start..start + share.len()].iter().zip(share) {
            slot.store(v.to_bits(), Ordering::Relaxed);
        }
    }

    /// `out[k] = Σ_t share_t[k]`, added in thread order.
    fn sum(&self, parity: usize, out: &mut [f32]) {
        out.fill(0.0);
        let len = out.len();
        for t in 0..self.threads {
            let start = (parity * self.threads + t) * self.stride;
            for (o, slot) in out.iter_mut().zip(&self.values[start..start + len]) {
                *o += f32::from_bits(slot.load(Ordering::Relaxed));
            }
        }
    }
}

/// How the slices of a chunk of examples are executed. Never changes the
/// result: only the number of slices (the thread count) and the fixed
/// order of adding their shares decide the numbers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Execution {
    /// Time chunks both ways now and then and use the faster: one OS
    /// thread per slice when the cores are free, all slices on the
    /// caller's thread when the machine is so busy that threads meeting
    /// once per example would mostly wait for each other.
    #[default]
    Adaptive,
    /// One OS thread per slice.
    Parallel,
    /// All slices one after the other on the caller's thread.
    Serial,
}

/// Picks serial or parallel execution for each chunk of examples and
/// learns from the timings; kept across epochs.
pub(super) struct Scheduler {
    execution: Execution,
    /// Seconds per example last measured in each mode: `[serial, parallel]`.
    timing: [f64; 2],
    /// Chunks to run in the faster mode before timing the other again.
    probe_interval: u32,
    chunks_until_probe: u32,
}

/// Longest run of chunks between two timings of the slower mode.
const MAX_PROBE_INTERVAL: u32 = 64;

impl Scheduler {
    /// A scheduler with no timings yet.
    pub(super) fn new(execution: Execution) -> Self {
        Scheduler {
            execution,
            timing: [f64::NAN; 2],
            probe_interval: 4,
            chunks_until_probe: 4,
        }
    }

    /// Whether the next chunk runs one OS thread per slice.
    fn parallel(&mut self, slices: usize) -> bool {
        if slices < 2 {
            return false;
        }
        match self.execution {
            Execution::Parallel => true,
            Execution::Serial => false,
            Execution::Adaptive => {
                let [serial, parallel] = self.timing;
                if parallel.is_nan() {
                    return true;
                }
                if serial.is_nan() {
                    return false;
                }
                let faster = parallel < serial;
                if self.chunks_until_probe == 0 {
                    self.chunks_until_probe = self.probe_interval;
                    return !faster;
                }
                self.chunks_until_probe -= 1;
                faster
            }
        }
    }

    /// Records how long a chunk took per example.
    fn record(&mut self, parallel: bool, seconds_per_example: f64) {
        let [serial_before, parallel_before] = self.timing;
        let was_faster = if parallel {
            parallel_before < serial_before
        } else {
            serial_before <= parallel_before
        };
        self.timing[parallel as usize] = seconds_per_example;
        let [serial, parallel_now] = self.timing;
        let is_faster = if parallel {
            parallel_now < serial
        } else {
            serial <= parallel_now
        };
        // A probe of the slower mode that lost again: wait longer before
        // the next one; one that won: the modes swap, probe soon.
        if !was_faster && !serial.is_nan() && !parallel_now.is_nan() {
            self.probe_interval = if is_faster {
                4
            } else {
                (self.probe_interval * 2).min(MAX_PROBE_INTERVAL)
            };
            self.chunks_until_probe = self.probe_interval;
        }
    }
}

/// Runs examples `positions` of the epoch (indices into `plan.order`) by
/// per-example SGD with `threads` slices; the totals cover those examples.
/// Running an epoch in pieces gives the same bits as running it whole.
pub(super) fn run_epoch(
    network: &mut Network,
    threads: usize,
    plan: &EpochPlan,
    positions: Range<usize>,
    scheduler: &mut Scheduler,
) -> EpochTotals {
    let crate::nn::network::PartsMut {
        config: net_config,
        feature_weights,
        tree,
        embedding,
        layers,
    } = network.parts_mut();
    let output = &mut layers[0];
    let bounds = column_bounds(net_config.dim, threads);
    let threads = bounds.len() - 1;
    let labels = output.weights.rows();
    let shares = Shares::new(threads, labels);
    let bias = output.bias.clone();
    let mut slices: Vec<Slice> = split_columns(embedding, &bounds)
        .into_iter()
        .zip(split_columns(&mut output.weights, &bounds))
        .enumerate()
        .map(|(index, (embedding, output))| {
            Slice::new(index, embedding, output, bias.clone(), plan)
        })
        .collect();
    let context = Context {
        plan,
        tree,
        net_config,
        feature_weights,
        shares: &shares,
    };
    let n = plan.order.len();
    let chunk = (n / 20).clamp(256, 4096);
    let end = positions.end.min(n);
    let mut totals = EpochTotals {
        learning_rate: plan.config.learning_rate,
        error_measured: tree.is_none(),
        ..EpochTotals::default()
    };
    for start in (positions.start..end).step_by(chunk) {
        let range = start..(start + chunk).min(end);
        let parallel = scheduler.parallel(threads);
        let started = Instant::now();
        let outcome = if parallel {
            run_parallel(&mut slices, &context, range.clone())
        } else {
            run_serial(&mut slices, &context, range.clone())
        };
        scheduler.record(
            parallel,
            started.elapsed().as_secs_f64() / range.len() as f64,
        );
        let first = &slices[0];
        totals.loss_sum = first.loss_sum;
        totals.abs_error_sum = first.abs_error_sum;
        totals.wrong = first.wrong;
        totals.learning_rate = first.learning_rate;
        if let Err(value) = outcome {
            totals.diverged = Some(value);
            break;
        }
    }
    output.bias = std::mem::take(&mut slices[0].bias);
    totals
}

/// What every slice reads and nobody writes during an epoch.
struct Context<'a> {
    plan: &'a EpochPlan<'a>,
    tree: Option<&'a HuffmanTree>,
    net_config: &'a NetworkConfig,
    feature_weights: &'a [f32],
    shares: &'a Shares,
}

/// Runs examples `range` of the epoch with one OS thread per slice.
/// `Err` carries the first non-finite loss.
fn run_parallel(slices: &mut [Slice], context: &Context, range: Range<usize>) -> Result<(), f64> {
    let barrier = SpinBarrier::new(slices.len());
    std::thread::scope(|s| {
        let (first, others) = slices.split_first_mut().expect("at least one slice");
        let handles: Vec<_> = others
            .iter_mut()
            .map(|slice| {
                let (barrier, range) = (&barrier, range.clone());
                s.spawn(move || slice.run_alone(context, barrier, range))
            })
            .collect();
        let mine = first.run_alone(context, &barrier, range);
        for handle in handles {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
        mine
    })
}

/// Runs examples `range` of the epoch with every slice on this thread.
fn run_serial(slices: &mut [Slice], context: &Context, range: Range<usize>) -> Result<(), f64> {
    let (mut bag_weights, mut sorted) = (Vec::new(), Vec::new());
    for i in range {
        let example = context.plan.order[i];
        let ids = context.plan.data.features(example);
        crate::nn::network::bag_weights(
            context.net_config,
            context.feature_weights,
            ids,
            &mut bag_weights,
            &mut sorted,
        );
        for slice in slices.iter_mut() {
            slice.share(context, i, ids, &bag_weights);
        }
        for slice in slices.iter_mut() {
            slice.learn(context, i, ids, &bag_weights)?;
        }
    }
    Ok(())
}

/// One slice of the embedding columns, with everything its updates need.
struct Slice<'a> {
    index: usize,
    embedding: ColumnSlice<'a>,
    output: ColumnSlice<'a>,
    /// This slice's copy of the output bias (all copies stay equal).
    bias: Vec<f32>,
    rng: ChaCha8Rng,
    bag_weights: Vec<f32>,
    sorted: Vec<u32>,
    hidden: Vec<f32>,
    mask: Vec<f32>,
    dropped: Vec<f32>,
    down: Vec<f32>,
    /// Output rows in play for the current example (all of them unless
    /// hierarchical softmax picks the gold paths' nodes).
    rows: Vec<u32>,
    share: Vec<f32>,
    logits: Vec<f32>,
    probs: Vec<f32>,
    delta: Vec<f32>,
    // Epoch figures, kept by slice 0.
    loss_sum: f64,
    abs_error_sum: f64,
    wrong: usize,
    learning_rate: f32,
}

impl<'a> Slice<'a> {
    fn new(
        index: usize,
        embedding: ColumnSlice<'a>,
        output: ColumnSlice<'a>,
        bias: Vec<f32>,
        plan: &EpochPlan,
    ) -> Self {
        let (width, labels) = (embedding.width(), output.rows());
        let seed = plan.dropout_seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Slice {
            index,
            embedding,
            output,
            bias,
            rng: ChaCha8Rng::seed_from_u64(seed),
            bag_weights: Vec::new(),
            sorted: Vec::new(),
            hidden: vec![0.0; width],
            mask: vec![0.0; width],
            dropped: vec![0.0; width],
            down: vec![0.0; width],
            rows: (0..labels as u32).collect(),
            share: vec![0.0; labels],
            logits: vec![0.0; labels],
            probs: vec![0.0; labels],
            delta: vec![0.0; labels],
            loss_sum: 0.0,
            abs_error_sum: 0.0,
            wrong: 0,
            learning_rate: plan.config.learning_rate,
        }
    }

    /// Runs examples `range` on this thread, meeting the other slices'
    /// threads at `barrier` once per example.
    fn run_alone(
        &mut self,
        context: &Context,
        barrier: &SpinBarrier,
        range: Range<usize>,
    ) -> Result<(), f64> {
        let _guard = PoisonOnPanic(barrier);
        let (mut bag_weights, mut sorted) = (
            std::mem::take(&mut self.bag_weights),
            std::mem::take(&mut self.sorted),
        );
        let mut outcome = Ok(());
        for i in range {
            let example = context.plan.order[i];
            let ids = context.plan.data.features(example);
            crate::nn::network::bag_weights(
                context.net_config,
                context.feature_weights,
                ids,
                &mut bag_weights,
                &mut sorted,
            );
            self.share(context, i, ids, &bag_weights);
            barrier.wait();
            // Every slice sees the same loss, so all stop together.
            outcome = self.learn(context, i, ids, &bag_weights);
            if outcome.is_err() {
                break;
            }
        }
        (self.bag_weights, self.sorted) = (bag_weights, sorted);
        outcome
    }

    /// Forward for example number `i` of the epoch: this slice's columns
    /// of the bag, the activation, dropout, and its share of the logits.
    fn share(&mut self, context: &Context, i: usize, ids: &[u32], bag_weights: &[f32]) {
        let config = context.plan.config;
        // Odd slices walk rows backwards, so two threads rarely write the
        // cache line their columns share at the same moment.
        let backwards = self.index % 2 == 1;
        self.hidden.fill(0.0);
        for_each_occurrence(
            ids,
            bag_weights,
            backwards,
            self.embedding.prefetcher(),
            |id, x| {
                add_scaled(&mut self.hidden, x, self.embedding.row(id));
            },
        );
        context
            .net_config
            .embedding_activation
            .apply_in_place(&mut self.hidden);
        if config.dropout > 0.0 {
            // This example's own stream of this slice's generator.
            self.rng.set_stream((context.plan.seen_before + i) as u64);
            self.rng.set_word_pos(0);
            let keep = 1.0 - config.dropout;
            let scale = 1.0 / keep;
            for ((m, d), &h) in self
                .mask
                .iter_mut()
                .zip(&mut self.dropped)
                .zip(&self.hidden)
            {
                *m = if self.rng.gen::<f32>() < keep {
                    scale
                } else {
                    0.0
                };
                *d = h * *m;
            }
        }
        let input = if config.dropout > 0.0 {
            &self.dropped
        } else {
            &self.hidden
        };
        // The output rows in play: every label, or with hierarchical
        // softmax only the tree nodes on the gold labels' paths.
        if let Some(tree) = context.tree {
            self.rows.clear();
            let gold = context.plan.data.gold(context.plan.order[i]);
            for &g in gold {
                for &(node, _) in tree.path(g) {
                    if !self.rows.contains(&node) {
                        self.rows.push(node);
                    }
                }
            }
        }
        let len = self.rows.len();
        for (s, &row) in self.share[..len].iter_mut().zip(&self.rows) {
            *s = dot(self.output.row(row as usize), input);
        }
        context.shares.write(i % 2, self.index, &self.share[..len]);
    }

    /// After every slice shared example `i`: the logits, probabilities,
    /// loss and δ (the same in every slice), then this slice's updates.
    /// `Err` carries a non-finite loss.
    fn learn(
        &mut self,
        context: &Context,
        i: usize,
        ids: &[u32],
        bag_weights: &[f32],
    ) -> Result<(), f64> {
        let (plan, config) = (context.plan, context.plan.config);
        let loss: Loss = context.net_config.loss;
        let activation: Activation = context.net_config.embedding_activation;
        let example = plan.order[i];
        let gold = plan.data.gold(example);
        let len = self.rows.len();
        context.shares.sum(i % 2, &mut self.logits[..len]);
        if !self.bias.is_empty() {
            for (z, &row) in self.logits[..len].iter_mut().zip(&self.rows) {
                *z += self.bias[row as usize];
            }
        }
        let value = match context.tree {
            None => {
                loss.probabilities(&self.logits, &mut self.probs);
                loss.value(&self.logits, &self.probs, gold)
            }
            Some(tree) => {
                // L and δ over the path nodes only (see nn::huffman).
                let m = gold.len().max(1) as f32;
                self.delta[..len].fill(0.0);
                let mut value = 0.0f64;
                for &g in gold {
                    for &(node, right) in tree.path(g) {
                        let j = self
                            .rows
                            .iter()
                            .position(|&r| r == node)
                            .expect("node in play");
                        let z = self.logits[j];
                        value +=
                            crate::nn::loss::softplus(if right { -z as f64 } else { z as f64 })
                                / m as f64;
                        let target = if right { 1.0 } else { 0.0 };
                        self.delta[j] += (crate::nn::activation::sigmoid(z) - target) / m;
                    }
                }
                value
            }
        };
        if !value.is_finite() {
            return Err(value);
        }
        let seen = plan.seen_before + i + 1;
        let learning_rate =
            config
                .schedule
                .rate(config.learning_rate, seen, plan.total, config.epochs);
        self.learning_rate = learning_rate;
        if self.index == 0 && context.tree.is_some() {
            // Measuring the error rate would need every label's
            // probability: the full cost hierarchical softmax avoids.
            self.loss_sum += value;
        } else if self.index == 0 {
            self.loss_sum += value;
            self.abs_error_sum += self
                .probs
                .iter()
                .enumerate()
                .map(|(k, &p)| (loss.target::<f64>(k, gold) - p as f64).abs())
                .sum::<f64>();
            if !gold.contains(&argmax(&self.probs)) {
                self.wrong += 1;
            }
        }
        if context.tree.is_none() {
            loss.gradient(&self.logits, &self.probs, gold, &mut self.delta);
        }
        // dL/d(input) = W[:, slice]ᵀ δ before W changes; then the output
        // weights and bias; then back through dropout and f'.
        let input = if config.dropout > 0.0 {
            &self.dropped
        } else {
            &self.hidden
        };
        self.down.fill(0.0);
        for (&row, &d) in self.rows.iter().zip(&self.delta[..len]) {
            if d != 0.0 {
                add_scaled(&mut self.down, d, self.output.row(row as usize));
            }
        }
        for (&row, &d) in self.rows.iter().zip(&self.delta[..len]) {
            if d != 0.0 {
                add_scaled(self.output.row_mut(row as usize), -learning_rate * d, input);
            }
        }
        if !self.bias.is_empty() {
            for (&row, &d) in self.rows.iter().zip(&self.delta[..len]) {
                self.bias[row as usize] -= learning_rate * d;
            }
        }
        if config.dropout > 0.0 {
            for (g, &m) in self.down.iter_mut().zip(&self.mask) {
                *g *= m;
            }
        }
        activation.backward_in_place(&self.hidden, &mut self.down);
        let backwards = self.index % 2 == 1;
        for_each_occurrence(
            ids,
            bag_weights,
            backwards,
            self.embedding.prefetcher(),
            |id, x| {
                add_scaled(self.embedding.row_mut(id), -learning_rate * x, &self.down);
            },
        );
        Ok(())
    }
}

/// Rows fetched ahead of their use in the bag loops.
const PREFETCH_AHEAD: usize = 6;

/// Calls `f(id, x)` for each feature occurrence, in order or backwards,
/// asking for the row `PREFETCH_AHEAD` occurrences later to be loaded.
#[inline]
fn for_each_occurrence(
    ids: &[u32],
    weights: &[f32],
    backwards: bool,
    prefetcher: Prefetcher,
    mut f: impl FnMut(usize, f32),
) {
    let n = ids.len().min(weights.len());
    let at = |k: usize| if backwards { n - 1 - k } else { k };
    for k in 0..n {
        if k + PREFETCH_AHEAD < n {
            prefetcher.prefetch(ids[at(k + PREFETCH_AHEAD)] as usize);
        }
        let i = at(k);
        f(ids[i] as usize, weights[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::{Combine, NetworkConfig};

    /// A small network and 600 examples whose label follows their ids.
    fn setup(activation: Activation, loss: Loss) -> (Network, Prepared) {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let config = NetworkConfig {
            input_rows: 400,
            dim: 40,
            n_labels: 6,
            combine: Combine::L2,
            embedding_activation: activation,
            loss,
            bias: true,
            ..NetworkConfig::default()
        };
        let network = Network::new(config, &mut rng).unwrap();
        let mut data = Prepared::new();
        for _ in 0..600 {
            let label = rng.gen_range(0..6usize);
            let ids: Vec<u32> = (0..rng.gen_range(1..15))
                .map(|_| (label as u32) * 60 + rng.gen_range(0..80))
                .collect();
            data.push(&ids, &[label]);
        }
        (network, data)
    }

    fn weights(network: &Network) -> Vec<u32> {
        let mut all: Vec<u32> = network
            .embedding
            .as_slice()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        for layer in &network.layers {
            all.extend(layer.weights.as_slice().iter().map(|v| v.to_bits()));
            all.extend(layer.bias.iter().map(|v| v.to_bits()));
        }
        all
    }

    #[test]
    fn how_slices_are_executed_never_changes_the_weights() {
        let config = TrainConfig {
            dropout: 0.2,
            epochs: 1,
            ..TrainConfig::default_preset()
        };
        for (activation, loss) in [
            (Activation::Identity, Loss::Softmax),
            (Activation::Tanh, Loss::Ova),
            (Activation::Sigmoid, Loss::Squared),
        ] {
            let (network, data) = setup(activation, loss);
            let order: Vec<usize> = (0..data.len()).rev().collect();
            let plan = EpochPlan {
                order: &order,
                data: &data,
                seen_before: 0,
                total: data.len() as f64,
                config: &config,
                dropout_seed: 11,
            };
            for threads in [2, 3] {
                let mut results = Vec::new();
                for execution in [Execution::Serial, Execution::Parallel, Execution::Adaptive] {
                    let mut trained = network.clone();
                    let mut scheduler = Scheduler::new(execution);
                    let totals =
                        run_epoch(&mut trained, threads, &plan, 0..data.len(), &mut scheduler);
                    assert!(totals.diverged.is_none());
                    assert!(totals.loss_sum > 0.0);
                    results.push((weights(&trained), totals.loss_sum.to_bits(), totals.wrong));
                }
                // The same epoch in three pieces (as evaluations, checkpoints
                // and resumes cut it): the same weights and the same sums.
                let mut trained = network.clone();
                let mut scheduler = Scheduler::new(Execution::Adaptive);
                let (mut loss_sum, mut wrong) = (0.0, 0);
                for piece in [0..250, 250..251, 251..data.len()] {
                    let totals = run_epoch(&mut trained, threads, &plan, piece, &mut scheduler);
                    loss_sum += totals.loss_sum;
                    wrong += totals.wrong;
                }
                assert_eq!(weights(&trained), results[0].0, "pieces change the weights");
                assert!((loss_sum - f64::from_bits(results[0].1)).abs() < 1e-9);
                assert_eq!(wrong, results[0].2);
                assert!(
                    results[0] != (weights(&network), 0, 0),
                    "nothing was learnt"
                );
                assert!(
                    results.iter().all(|r| *r == results[0]),
                    "{activation:?}/{loss:?}, {threads} threads: serial, parallel and adaptive execution differ"
                );
            }
        }
    }

    #[test]
    fn column_bounds_partition_the_width() {
        assert_eq!(column_bounds(100, 1), vec![0, 100]);
        assert_eq!(column_bounds(100, 2), vec![0, 48, 100]);
        assert_eq!(column_bounds(100, 3), vec![0, 32, 64, 100]);
        assert_eq!(column_bounds(10, 2), vec![0, 1, 10]);
        for dim in 1..80 {
            for threads in 1..6 {
                let b = column_bounds(dim, threads);
                assert_eq!((b[0], *b.last().unwrap(), b.len()), (0, dim, threads + 1));
                assert!(b.windows(2).all(|w| w[0] <= w[1]));
            }
        }
    }

    #[test]
    fn thread_count_is_limited_by_the_width() {
        assert_eq!(effective_threads(4, 100), 4);
        assert_eq!(effective_threads(64, 100), 12);
        assert_eq!(effective_threads(2, 10), 1);
        assert_eq!(effective_threads(0, 100), 1);
    }
}
