//! `textnn train --report DIR`: plots of a training run as SVG files and an
//! `index.html` that shows them with a few words on how to read each one.
//!
//! A [`Recorder`] collects points from the [`TrainEvent`]s the trainer
//! sends; x is always the number of training examples seen so far, so runs
//! with different epoch counts or data sizes can be compared. Losses,
//! validation error rates and the per-layer diagnostics come from the
//! `Evaluation` events (each epoch's end, and every `--eval-every N`
//! examples); the training error rate and the per-epoch table from the
//! `Epoch` events. Values that are not finite (the training error rate
//! under hierarchical softmax is NaN) are left out of the plots rather than
//! drawn as gaps or spikes.
//!
//! Each series' line in an SVG carries `class="SERIES"` (`train-loss`,
//! `valid-loss`, `train-error-rate`, `valid-error-rate`, `learning-rate`,
//! and per layer `gradient-norm-LAYER` and `saturated-LAYER`, where LAYER is
//! `embedding`, `hidden-1`, …, `output`) so that tests and scripts can find
//! it.
//!
//! Modules: [`recorder`] (the points and the plots made of them), [`plot`]
//! (SVG line plots), [`page`] (`index.html` from askama templates).

mod page;
mod plot;
mod recorder;

use anyhow::Context;
use std::path::Path;

pub use recorder::Recorder;

/// Makes sure `dir` can hold the report before training starts: refuses a
/// path that exists and is not a folder, creates the folder if missing.
pub fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "--report {}: exists and is not a folder; give a folder for the report",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating the report folder {}", dir.display()))
}

/// What the report says about the run besides the plots.
pub struct RunInfo<'a> {
    /// The training data.
    pub input: &'a Path,
    /// Where the validation figures come from, e.g. `valid.txt` or `20% of
    /// the training data`, if there are any.
    pub validation: Option<String>,
    /// The preset the settings started from.
    pub preset: &'a str,
    /// The model file, or `None` when training failed.
    pub model: Option<&'a Path>,
}
