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
//! `textnn test --report DIR` writes the confusion heatmap
//! (`confusion.svg`) and an `index.html` with the test figures, the
//! confused pairs and the per-label table; the training report has the
//! same confusion section when there is a validation file.
//!
//! Modules: [`recorder`] (the points and the plots made of them), [`plot`]
//! (SVG line plots), [`heatmap`] (the confusion matrix as SVG), [`page`]
//! (`index.html` from askama templates).

mod heatmap;
mod page;
mod plot;
mod recorder;

use anyhow::Context;
use askama::Template;
use std::path::{Path, PathBuf};
use textnn::confusion::Confusion;
use textnn::metrics::Report;

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
    /// The trained model's confusion on the validation file, if any.
    pub confusion: Option<ConfusionOn<'a>>,
}

/// A model's confusion on the examples of a file.
pub struct ConfusionOn<'a> {
    /// The file the examples (and their lines) come from.
    pub file: &'a Path,
    /// The confusion.
    pub confusion: &'a Confusion,
}

impl ConfusionOn<'_> {
    /// Writes the heatmap into `dir` and returns the page's section.
    fn write(&self, dir: &Path, source: String) -> anyhow::Result<page::ConfusionView> {
        let path = dir.join(heatmap::HEATMAP_FILE);
        let svg = heatmap::render(self.confusion)?;
        textnn::format::write_atomically(&path, svg.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(page::ConfusionView::new(
            self.confusion,
            self.file,
            source,
            heatmap::HEATMAP_FILE,
            heatmap::size(self.confusion.order.len()),
        ))
    }
}

/// Writes the report of `textnn test --report DIR` into `dir` (made ready
/// by [`prepare_dir`]): the heatmap, then
/// `index.html` (last), each atomically; returns the path of `index.html`.
pub fn write_test_report(
    dir: &Path,
    model: &Path,
    report: &Report,
    confusion: &ConfusionOn,
) -> anyhow::Result<PathBuf> {
    let source = format!(
        "The predictions of {} on {}.",
        model.display(),
        confusion.file.display()
    );
    let section = confusion.write(dir, source)?;
    let figure = page::figure;
    let summary = vec![
        ("model", model.display().to_string()),
        ("examples", report.examples.to_string()),
        ("accuracy", figure(report.accuracy)),
        ("error rate", figure(report.error_rate)),
        ("mean loss", figure(report.loss)),
        ("macro F1", figure(report.macro_f1)),
        ("weighted F1", figure(report.weighted_f1)),
        (
            "unseen labels",
            if report.unseen_labels.is_empty() {
                "none".to_string()
            } else {
                format!(
                    "{} in {} examples",
                    report.unseen_labels.len(),
                    report.examples_with_unseen_labels
                )
            },
        ),
    ];
    let mut labels: Vec<_> = report.labels.iter().collect();
    labels.sort_by_key(|l| std::cmp::Reverse(l.support));
    let page = page::TestPage {
        input: confusion.file.display().to_string(),
        summary,
        confusion: section,
        labels: labels
            .into_iter()
            .map(|l| {
                [
                    l.label.clone(),
                    figure(l.precision),
                    figure(l.recall),
                    figure(l.f1),
                    l.support.to_string(),
                ]
            })
            .collect(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let index = dir.join("index.html");
    textnn::format::write_atomically(&index, page.render()?.as_bytes())
        .with_context(|| format!("writing {}", index.display()))?;
    Ok(index)
}
