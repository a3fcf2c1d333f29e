//! `textnn cv DATA --folds K [train options]`: K-fold cross-validation.
//! Each fold's model is trained in turn (on `--threads`, with `train`'s
//! settings and options), scored on its fold; each metric's mean ± standard
//! deviation is printed; `--predictions FILE` writes every example's
//! out-of-fold prediction as JSONL; `--models DIR` keeps the fold models.

use crate::args::ReadArgs;
use crate::commands::train::ModelArgs;
use crate::output;
use anyhow::Context;
use clap::Args;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use textnn::cv::CrossValidation;
use textnn::data::Example;
use textnn::train::auto_epochs::{train_choosing, AutoEpochs};
use textnn::train::{Examples, RunOptions};
use textnn::TrainConfig;

/// The data, the folds and the training settings: what `cv` and `audit`
/// share.
#[derive(Args, Debug)]
pub struct FoldArgs {
    /// Labelled data.
    pub input: PathBuf,
    /// Number of folds (stratified by first label, shuffled with --seed).
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub folds: usize,
    /// Starting settings of every fold's model: default, fasttext or blog.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Save each fold's model as DIR/fold-N.textnn (N from 1).
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print only the results, errors and warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Options of `textnn cv`.
#[derive(Args, Debug)]
pub struct CvArgs {
    #[command(flatten)]
    pub fold: FoldArgs,
    /// Write each example's out-of-fold prediction as JSON lines: file, line, text, gold labels, predicted label, its probability, the given label's probability, fold.
    #[arg(long, value_name = "FILE.jsonl")]
    pub predictions: Option<PathBuf>,
    /// Print one JSON object (per-fold figures and the summary) instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl FoldArgs {
    /// Reads the data and cross-validates it, printing each fold's
    /// accuracy on stderr unless quiet; returns the examples and the
    /// result.
    pub fn cross_validate(&self) -> anyhow::Result<(Vec<Example>, CrossValidation)> {
        let config = self.model.apply(TrainConfig::preset(&self.preset)?);
        config.validate()?;
        if config.early_stopping.is_some() && config.valid_split.is_none() {
            anyhow::bail!("early stopping needs validation data: give --valid-split F");
        }
        if let Some(dir) = &self.models {
            if !dir.is_dir() {
                anyhow::bail!("--models {}: the folder does not exist", dir.display());
            }
        }
        let examples = self.read.read(&self.input, true)?.examples;
        textnn::cv::check_folds(self.folds, examples.len())?;
        // The default preset chooses its epochs per fold, as `train` does.
        let auto = (config.preset == textnn::Preset::Default
            && self.model.epochs.is_none()
            && self.model.early_stopping.is_none())
        .then(AutoEpochs::default);
        let k = self.folds;
        if !self.quiet {
            eprintln!(
                "{k}-fold cross-validation of {} examples from {} ({} preset, {} threads, seed {})",
                examples.len(),
                self.input.display(),
                config.preset.name(),
                config.threads,
                config.seed
            );
        }
        let started = std::time::Instant::now();
        let mut train = |_fold: usize, training: &[Example]| {
            let run = RunOptions::default();
            train_choosing(
                &config,
                &Examples::Memory(training),
                auto.as_ref(),
                &run,
                &mut |_| {},
            )
            .map(|(model, _)| model)
        };
        let mut fold_done =
            |fold: usize, model: &textnn::Classifier, report: &textnn::metrics::Report| {
                if let Some(dir) = &self.models {
                    model.save(&dir.join(format!("fold-{}.textnn", fold + 1)))?;
                }
                if !self.quiet {
                    eprintln!(
                        "fold {}/{k}: {} held out, accuracy {:.4}, macro F1 {:.4} ({:.1}s)",
                        fold + 1,
                        report.examples,
                        report.accuracy,
                        report.macro_f1,
                        started.elapsed().as_secs_f64()
                    );
                }
                Ok(())
            };
        let result =
            textnn::cv::cross_validate(&examples, k, config.seed, &mut train, &mut fold_done)?;
        Ok((examples, result))
    }
}

pub fn run(args: CvArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.predictions {
        check_folder(path)?;
    }
    let (examples, result) = args.fold.cross_validate()?;
    if let Some(path) = &args.predictions {
        write_predictions(path, &args.fold.input, &examples, &result)?;
    }
    let mut out = output::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &result)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{:<14}{:>18}   per fold", "metric", "mean ± sd")?;
        for metric in &result.summary {
            let folds: Vec<String> = metric.folds.iter().map(|v| format!("{v:.4}")).collect();
            writeln!(
                out,
                "{:<14}{:>18}   {}",
                metric.metric.replace('_', " "),
                format!("{:.4} ± {:.4}", metric.mean, metric.sd),
                folds.join(" ")
            )?;
        }
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}

/// Refuses an output path whose folder does not exist, before training.
pub fn check_folder(path: &Path) -> anyhow::Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        anyhow::bail!("{}: the folder does not exist", path.display());
    }
    Ok(())
}

/// One line of `--predictions`.
#[derive(Serialize)]
struct PredictionLine<'a> {
    file: &'a str,
    line: usize,
    text: &'a str,
    labels: &'a [String],
    predicted: Option<&'a str>,
    probability: f32,
    given_probability: f32,
    fold: usize,
}

/// Writes the out-of-fold predictions as JSON lines, in data order,
/// atomically.
fn write_predictions(
    path: &Path,
    input: &Path,
    examples: &[Example],
    result: &CrossValidation,
) -> anyhow::Result<()> {
    let file = input.display().to_string();
    let mut text = Vec::new();
    for (example, prediction) in examples.iter().zip(&result.predictions) {
        let line = PredictionLine {
            file: &file,
            line: example.line,
            text: &example.text,
            labels: &example.labels,
            predicted: prediction.predicted.as_deref(),
            probability: prediction.probability,
            given_probability: prediction.given_probability,
            fold: prediction.fold + 1,
        };
        serde_json::to_writer(&mut text, &line)?;
        text.push(b'\n');
    }
    textnn::format::write_atomically(path, &text)
        .with_context(|| format!("writing {}", path.display()))
}
