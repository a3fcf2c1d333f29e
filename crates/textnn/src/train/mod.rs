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
mod epochs;
mod events;
pub mod plan;
mod prepare;
pub mod race;
mod sliced;
mod source;
mod state;
mod store;

pub use crate::config::{
    Batch, MultiLabelSettings, Preset, Reduction, Schedule, TrainConfig,
    DEFAULT_BIGRAMS_FROM_TOKENS,
};
pub use checkpoint::CheckpointPolicy;
pub use diagnostics::LayerDiagnostics;
pub use events::{EpochStats, Evaluation, TrainEvent};
pub use sliced::Execution;
pub(crate) use source::stratified_split;
pub use source::Examples;
use store::{Prepared, Storage};

use crate::data::Example;
use crate::model::Classifier;
use crate::nn::{Init, Loss, Network, NetworkConfig};
use crate::vocab::Dictionary;
use crate::{Error, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

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

    epochs::run_epochs(
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
