//! `textnn train INPUT -o MODEL [options]`.

use crate::args::{self, OrNone, ReadArgs, Widths, WordNgrams};
use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use textnn::nn::{Activation, Combine, Loss};
use textnn::optim::OptimizerKind;
use textnn::text::{StemLanguage, TokenizerKind};
use textnn::train::auto_epochs::{train_choosing as train_choosing_with, AutoEpochs, AutoEvent};
use textnn::train::plan::Decision;
use textnn::train::{Batch, Reduction, Schedule, TrainEvent};
use textnn::TrainConfig;

/// Options of `textnn train`. Every model setting is optional: unset ones
/// take the preset's value (table at the end of `--help`).
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Labelled training data.
    pub input: PathBuf,
    /// Where to write the model.
    #[arg(short, long, value_name = "MODEL")]
    pub output: PathBuf,
    /// Starting settings: default, fasttext or blog.
    #[arg(long, default_value = "default")]
    pub preset: String,
    /// Write one JSON record per epoch and per evaluation (losses, error rates, learning rate, validation figures, gradient norms and saturation per layer) to this file.
    #[arg(long, value_name = "FILE.jsonl")]
    pub log: Option<PathBuf>,
    /// Also evaluate every N training examples (counted over all epochs), not only at each epoch's end: more points on the curves of --log and --report.
    #[arg(long, value_name = "N")]
    pub eval_every: Option<usize>,
    /// Write a checkpoint every N training examples (and on Ctrl-C), atomically, to --checkpoint.
    #[arg(long, value_name = "N")]
    pub checkpoint_every: Option<usize>,
    /// Checkpoint file [default: MODEL.checkpoint]; removed once the model is saved.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Go on from a checkpoint: run the interrupted command again with this option; the result is the same as an uninterrupted run (epochs chosen on a validation slice are read from the checkpoint, not chosen again).
    #[arg(long, value_name = "CHECKPOINT")]
    pub resume: Option<PathBuf>,
    /// Validation data (same format options as INPUT): loss and accuracy after every epoch.
    #[arg(long, value_name = "FILE")]
    pub valid: Option<PathBuf>,
    /// Folder for the training cache: the token numbers and feature ids of the training data, in unnamed temporary files read through a memory map, so memory does not grow with the corpus [default: the model's folder].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Write plots of the run (loss, error rate, learning rate, gradient norm and saturated units per layer) and an index.html explaining them to this folder.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print only errors and warnings (such as lines skipped in the data).
    #[arg(short, long)]
    pub quiet: bool,
}

/// Settings that override the preset.
#[derive(Args, Debug, Default)]
pub struct ModelArgs {
    /// Tokenizer: unicode (NFC, word boundaries, keeps numbers and emoji) or whitespace (fastText's split).
    #[arg(long)]
    pub tokenizer: Option<TokenizerKind>,
    /// Lowercase the text (true or false).
    #[arg(long, value_name = "BOOL")]
    pub lowercase: Option<bool>,
    /// Snowball stemmer language, or none.
    #[arg(long, value_name = "LANG|none", value_parser = args::parse_stem)]
    pub stem: Option<OrNone<StemLanguage>>,
    /// Drop words seen fewer times than this.
    #[arg(long)]
    pub min_count: Option<u64>,
    /// Longest word n-gram (1 = words only), or auto (bigrams for corpora of 1.5 M tokens or more).
    #[arg(long, value_name = "N|auto", value_parser = args::parse_word_ngrams)]
    pub word_ngrams: Option<WordNgrams>,
    /// Character n-gram lengths MIN-MAX, or none.
    #[arg(long, value_name = "MIN-MAX|none", value_parser = args::parse_char_ngrams)]
    pub char_ngrams: Option<OrNone<(usize, usize)>>,
    /// Hash buckets for word and character n-grams.
    #[arg(long)]
    pub buckets: Option<usize>,
    /// Count each feature once per text (true or false).
    #[arg(long, value_name = "BOOL")]
    pub binary: Option<bool>,
    /// Weight a feature seen c times in a text by 1 + ln c instead of c (true or false; with --binary false).
    #[arg(long, value_name = "BOOL")]
    pub sublinear_tf: Option<bool>,
    /// Embedding dimension.
    #[arg(long)]
    pub dim: Option<usize>,
    /// How the embedding bag combines rows: mean, sum, or l2 (unit-length input vector, like TF-IDF).
    #[arg(long)]
    pub combine: Option<Combine>,
    /// Weight features by inverse document frequency (true or false).
    #[arg(long, value_name = "BOOL")]
    pub idf: Option<bool>,
    /// Activation after the embedding bag.
    #[arg(long, value_name = "ACTIVATION")]
    pub embedding_activation: Option<Activation>,
    /// Hidden layer widths, e.g. 64,32, or none.
    #[arg(long, value_name = "W1,W2,...|none", value_parser = args::parse_hidden)]
    pub hidden: Option<Widths>,
    /// Activation of hidden layers: identity, sigmoid, tanh, relu, leaky-relu, softplus.
    #[arg(long)]
    pub activation: Option<Activation>,
    /// Output and loss: softmax (cross-entropy), ova (sigmoid + binary cross-entropy), squared (sigmoid + squared error), hs (hierarchical softmax: Huffman tree of labels, fast with many labels), huber (one score per label, modified Huber margin loss as scikit-learn's SGDClassifier; try --lr 0.02).
    #[arg(long)]
    pub loss: Option<Loss>,
    /// Bias in dense layers (true or false).
    #[arg(long, value_name = "BOOL")]
    pub bias: Option<bool>,
    /// Update rule: sgd, momentum or adam.
    #[arg(long)]
    pub optimizer: Option<OptimizerKind>,
    /// Initial learning rate.
    #[arg(long)]
    pub lr: Option<f32>,
    /// Learning-rate schedule: linear (decay to 0), constant, or inverse (lr / (1 + epochs done): 1/t decay).
    #[arg(long)]
    pub schedule: Option<Schedule>,
    /// Passes over the training data. The default preset without this option chooses them: 40 epochs on 90% of INPUT, measuring the other 10% after each; the epoch of the best validation accuracy (averaged over 5 epochs around it; ties to the lower loss; at least 5) is how many epochs then train on all of INPUT (single-label data; multi-label data trains 25).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Examples per step: a number, or full (full-batch gradient descent).
    #[arg(long, value_name = "N|full")]
    pub batch: Option<Batch>,
    /// Batch gradient: mean or sum of the examples' gradients.
    #[arg(long)]
    pub reduction: Option<Reduction>,
    /// Dropout rate on the embedding output and hidden layers [default: 0].
    #[arg(long)]
    pub dropout: Option<f32>,
    /// L2 penalty λ: each step adds λ·w to the gradient of the weights it updates (dense weights and biases, and the embedding rows of the step's features; other rows are not decayed) [default: 0].
    #[arg(long)]
    pub l2: Option<f32>,
    /// Largest gradient L2 norm [default: no clipping].
    #[arg(long)]
    pub clip_grad: Option<f32>,
    /// Random seed [default: 1].
    #[arg(long)]
    pub seed: Option<u64>,
    /// Training threads; the same seed and thread count give the same model [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Hold out this fraction of INPUT (stratified, seeded) as validation data [default: none].
    #[arg(long, value_name = "FRACTION")]
    pub valid_split: Option<f32>,
    /// Stop when validation loss has not improved for this many epochs; keep the best epoch's weights [default: off].
    #[arg(long, value_name = "PATIENCE")]
    pub early_stopping: Option<usize>,
    /// Default probability threshold stored with the model.
    #[arg(long, value_parser = args::parse_threshold)]
    pub threshold: Option<f32>,
}

impl ModelArgs {
    /// `base` with every given option applied.
    pub fn apply(&self, mut c: TrainConfig) -> TrainConfig {
        macro_rules! set {
            ($field:expr, $value:expr) => {
                if let Some(v) = $value.clone() {
                    $field = v;
                }
            };
        }
        // The settings for multi-label data: a loss of the user's turns
        // them off (their learning rate is the loss's); a learning rate,
        // schedule or dim of the user's replaces theirs.
        if self.loss.is_some() {
            c.multi_label = None;
        }
        if let Some(rule) = &mut c.multi_label {
            set!(rule.learning_rate, self.lr);
            set!(rule.schedule, self.schedule);
            set!(rule.dim, self.dim);
        }
        // The representations the default preset chooses among: any option
        // of the tokens or features turns the choice off (the user decides).
        if self.tokenizer.is_some()
            || self.lowercase.is_some()
            || self.stem.is_some()
            || self.word_ngrams.is_some()
            || self.char_ngrams.is_some()
        {
            c.representations = None;
        }
        set!(c.text.tokenizer, self.tokenizer);
        set!(c.text.lowercase, self.lowercase);
        if let Some(OrNone(stem)) = self.stem {
            c.text.stem = stem;
        }
        set!(c.min_count, self.min_count);
        match self.word_ngrams {
            Some(WordNgrams::Auto) => {
                c.bigrams_from_tokens = Some(textnn::train::DEFAULT_BIGRAMS_FROM_TOKENS)
            }
            Some(WordNgrams::Fixed(n)) => {
                c.features.word_ngrams = n;
                c.bigrams_from_tokens = None;
            }
            None => {}
        }
        if let Some(OrNone(ngrams)) = self.char_ngrams {
            c.features.char_ngrams = ngrams;
        }
        set!(c.features.buckets, self.buckets);
        set!(c.features.binary, self.binary);
        set!(c.network.dim, self.dim);
        set!(c.network.combine, self.combine);
        set!(c.network.idf, self.idf);
        set!(c.network.sublinear_tf, self.sublinear_tf);
        set!(c.network.embedding_activation, self.embedding_activation);
        if let Some(Widths(hidden)) = &self.hidden {
            c.network.hidden = hidden.clone();
        }
        set!(c.network.hidden_activation, self.activation);
        set!(c.network.loss, self.loss);
        set!(c.network.bias, self.bias);
        set!(c.optimizer.kind, self.optimizer);
        set!(c.learning_rate, self.lr);
        set!(c.schedule, self.schedule);
        set!(c.epochs, self.epochs);
        set!(c.batch, self.batch);
        set!(c.reduction, self.reduction);
        set!(c.dropout, self.dropout);
        set!(c.optimizer.l2, self.l2);
        if self.clip_grad.is_some() {
            c.optimizer.clip_grad = self.clip_grad;
        }
        set!(c.seed, self.seed);
        c.threads = self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        if self.valid_split.is_some() {
            c.valid_split = self.valid_split;
        }
        if self.early_stopping.is_some() {
            c.early_stopping = self.early_stopping;
        }
        set!(c.threshold, self.threshold);
        c
    }
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let config = args.model.apply(TrainConfig::preset(&args.preset)?);
    config.validate()?;
    if config.early_stopping.is_some() && args.valid.is_none() && config.valid_split.is_none() {
        anyhow::bail!("early stopping needs validation data: give --valid FILE or --valid-split F");
    }
    if let Some(dir) = &args.report {
        crate::report::prepare_dir(dir)?;
    }
    // The training file is read a block at a time (once; again for
    // character n-grams or --valid-split); skipped lines are reported
    // after training, where the summary is seen.
    let read_options = args.read.options(true);
    let examples = textnn::train::Examples::file(&args.input, &read_options);
    let model_folder = folder_of(&args.output).to_path_buf();
    // Found out now, not after training.
    if !model_folder.is_dir() {
        anyhow::bail!(
            "saving the model: {}: the folder does not exist",
            model_folder.display()
        );
    }
    let cache_dir = args.cache_dir.clone().unwrap_or(model_folder);
    let mut train_report = textnn::data::ReadReport::default();
    let quiet = args.quiet;
    let (valid, valid_report) = match &args.valid {
        Some(path) => {
            let dataset = textnn::data::read_dataset(path, &args.read.options(true))?;
            (Some(dataset.examples), dataset.report)
        }
        None => (None, textnn::data::ReadReport::default()),
    };
    let print_every = print_interval(&config);
    let started = std::time::Instant::now();
    let mut log = match &args.log {
        Some(path) => Some(TrainingLog::create(path)?),
        None => None,
    };
    let mut log_error = None;
    let reporter = Reporter::new(print_every);
    let mut recorder = args.report.as_ref().map(|_| crate::report::Recorder::new());
    let checkpoint = match (args.checkpoint_every, &args.checkpoint) {
        (Some(every), path) => Some(textnn::train::CheckpointPolicy {
            path: path
                .clone()
                .unwrap_or_else(|| default_checkpoint_path(&args.output)),
            every,
        }),
        (None, Some(_)) => anyhow::bail!("--checkpoint needs --checkpoint-every N"),
        (None, None) => None,
    };
    if let Some(policy) = &checkpoint {
        // Found out now, not at the first checkpoint hours into the run.
        let folder = folder_of(&policy.path);
        if !folder.is_dir() {
            anyhow::bail!(
                "{}: the checkpoint's folder does not exist",
                policy.path.display()
            );
        }
    }
    let stop = crate::interrupt::install()?;
    let run = textnn::train::RunOptions {
        valid: valid.as_deref(),
        eval_every: args.eval_every,
        diagnostics: args.log.is_some() || args.report.is_some(),
        checkpoint: checkpoint.clone(),
        resume: args.resume.as_deref(),
        stop: Some(&stop),
        cache_dir: Some(&cache_dir),
        execution: crate::environment::execution(),
        after_epoch: None,
    };
    let mut on_event = |event: &TrainEvent| {
        if let TrainEvent::Read { examples, report } = event {
            train_report = report.clone();
            if !quiet {
                reporter.line(format!(
                    "read {examples} examples from {}",
                    args.input.display()
                ));
            }
        }
        if !quiet {
            reporter.report(event);
        }
        if let Some(recorder) = recorder.as_mut() {
            recorder.record(event);
        }
        if let Some(log) = log.as_mut() {
            let seconds = started.elapsed().as_secs_f64();
            let written = match event {
                TrainEvent::Epoch(stats) => log.record(stats, seconds),
                TrainEvent::Evaluation(evaluation) => log.evaluation(evaluation, seconds),
                _ => Ok(()),
            };
            if let Err(e) = written {
                log_error.get_or_insert(e);
            }
        }
    };
    let auto = auto_epochs(&args, config.preset);
    let trained = if auto.is_some() || config.representations.is_some() {
        train_choosing(
            &config,
            &examples,
            auto.as_ref(),
            &run,
            quiet,
            &mut on_event,
        )
    } else {
        textnn::train::train_from(&config, &examples, &run, &mut on_event)
    };
    reporter.finish();
    args::warn_about(&args.input, &train_report);
    if let Some(path) = &args.valid {
        args::warn_about(path, &valid_report);
    }
    let write_report = |model: Option<&std::path::Path>,
                        confusion: Option<&textnn::confusion::Confusion>|
     -> anyhow::Result<()> {
        let (Some(dir), Some(recorder)) = (&args.report, &recorder) else {
            return Ok(());
        };
        let validation = match (&args.valid, config.valid_split) {
            (Some(path), _) => Some(path.display().to_string()),
            (None, Some(fraction)) => Some(format!(
                "held out from the training data (--valid-split {fraction})"
            )),
            (None, None) => None,
        };
        let info = crate::report::RunInfo {
            input: &args.input,
            validation,
            preset: config.preset.name(),
            model,
            confusion: args
                .valid
                .as_deref()
                .zip(confusion)
                .map(|(file, confusion)| crate::report::ConfusionOn { file, confusion }),
        };
        let index = recorder
            .write(dir, &info)
            .with_context(|| format!("writing the training report to {}", dir.display()))?;
        if !quiet {
            eprintln!("wrote the training report {}", index.display());
        }
        Ok(())
    };
    let model = match trained {
        Ok(model) => model,
        Err(e) => {
            // The plots of a run that failed (a diverging loss) help to
            // see why; the training error is still the one reported.
            if let Err(report_error) = write_report(None, None) {
                eprintln!("textnn: warning: {report_error:#}");
            }
            return Err(e.into());
        }
    };
    let unseen = match (&args.valid, &valid) {
        (Some(path), Some(examples)) => {
            let unseen = UnseenLabels::count(model.labels(), examples);
            unseen.warn(path);
            unseen
        }
        _ => UnseenLabels::default(),
    };
    if let Some(log) = log.as_mut() {
        if let Err(e) = log.data_summary(&train_report, &valid_report, &unseen) {
            log_error.get_or_insert(e);
        }
    }
    if let Some(e) = log_error {
        return Err(e.context("writing the training log"));
    }
    // Streams the weights to the file: no copy of the model in memory.
    model
        .save(&args.output)
        .with_context(|| "saving the model".to_string())?;
    if !quiet {
        let size = std::fs::metadata(&args.output).map_or(0, |m| m.len());
        eprintln!(
            "trained in {:.2}s; saved {} ({size} bytes)",
            started.elapsed().as_secs_f64(),
            args.output.display(),
        );
    }
    if let Some(policy) = &checkpoint {
        // The model holds everything the checkpoint did.
        match std::fs::remove_file(&policy.path) {
            Ok(()) if !quiet => eprintln!("removed the checkpoint {}", policy.path.display()),
            _ => {}
        }
    }
    let confusion = (valid.as_deref())
        .filter(|_| args.report.is_some())
        .map(|v| textnn::confusion::measure(&model, v, crate::confusion::EXAMPLES_PER_PAIR));
    write_report(Some(&args.output), confusion.as_ref())?;
    Ok(ExitCode::SUCCESS)
}

/// The default preset chooses its number of epochs on a validation slice
/// unless the command line sets `--epochs`, or `--early-stopping` (a rule
/// of its own).
fn auto_epochs(args: &TrainArgs, preset: textnn::Preset) -> Option<AutoEpochs> {
    (preset == textnn::Preset::Default
        && args.model.epochs.is_none()
        && args.model.early_stopping.is_none())
    .then(AutoEpochs::default)
}

/// Trains with the representation and (with `auto`) the number of epochs
/// chosen on a validation slice: prints the trials' scores, the probe
/// run's epochs (with their validation figures) and the choices; the final
/// run's events go to `on_event`, as without the choice.
fn train_choosing(
    config: &TrainConfig,
    examples: &textnn::train::Examples,
    auto: Option<&AutoEpochs>,
    run: &textnn::train::RunOptions,
    quiet: bool,
    on_event: &mut dyn FnMut(&TrainEvent),
) -> textnn::Result<textnn::Classifier> {
    let probe = Reporter::new(1);
    let settings = textnn::train::race::RaceSettings::default();
    let (mut racing, mut probing) = (false, false);
    let trained = train_choosing_with(config, examples, auto, run, &mut |event| {
        match event {
            AutoEvent::Probe(event) if !quiet => {
                // Said once the data has been read, so that an error in it
                // is the first line; the final run reports what it read.
                if !std::mem::replace(&mut probing, true) {
                    if let Some(auto) = auto {
                        probe.line(format!(
            "choosing the number of epochs: up to {} on {:.0}% of the examples, validation on the other {:.0}%, stopping once the validation accuracy has peaked",
            auto.max_epochs,
            100.0 * (1.0 - auto.fraction),
            100.0 * auto.fraction
        ));
                    }
                }
                if !matches!(event, TrainEvent::Read { .. }) {
                    probe.report(event);
                }
            }
            AutoEvent::Probe(_) => {}
            AutoEvent::Trial(_, TrainEvent::Read { .. }) if !quiet => {
                if !std::mem::replace(&mut racing, true) {
                    let names: Vec<String> = config
                        .representations
                        .iter()
                        .flatten()
                        .map(|r| format!("{r} ({})", r.describe()))
                        .collect();
                    probe.line(format!(
            "choosing the representation on a {:.0}% validation slice: {} train on the other {:.0}%; after {} epochs, and each time the epochs double, the better half goes on",
            100.0 * settings.fraction,
            names.join(", "),
            100.0 * (1.0 - settings.fraction),
            settings.first_round,
        ));
                }
            }
            AutoEvent::Trial(..) => {}
            AutoEvent::Round(round) if !quiet => {
                let scores: Vec<String> = round
                    .scores
                    .iter()
                    .map(|s| format!("{} {:.4}", s.representation, s.valid_accuracy))
                    .collect();
                let kept: Vec<&str> = round.kept.iter().map(|r| r.name()).collect();
                probe.line(format!(
                    "  after {} epochs, valid accuracy (mean of the last two epochs): {}; {} {} on",
                    round.epochs,
                    scores.join(", "),
                    kept.join(" and "),
                    if kept.len() == 1 { "goes" } else { "go" }
                ));
            }
            AutoEvent::Round(_) => {}
            AutoEvent::RepresentationChosen(record) if !quiet => {
                let others: Vec<String> = record
                    .scores
                    .iter()
                    .filter(|s| s.representation != record.chosen)
                    .map(|s| s.to_string())
                    .collect();
                probe.line(format!(
                "plan: representation {} ({}), because it scored best on a {:.0}% validation slice (against {})",
                record.chosen,
                record.chosen.describe(),
                100.0 * record.fraction,
                others.join(", ")
            ));
            }
            AutoEvent::RepresentationChosen(_) => {}
            AutoEvent::Chosen(choice) => {
                probe.finish();
                if !quiet {
                    eprintln!(
                    "chose {} epochs on a {:.0}% validation slice (valid loss {:.6}, valid accuracy {:.4} at epoch {} of the {} the probe ran, at most {})",
                    choice.chosen.epoch,
                    100.0 * choice.auto.fraction,
                    choice.chosen.valid_loss,
                    choice.chosen.valid_accuracy,
                    choice.chosen.epoch,
                    choice.curve.last().map_or(0, |p| p.epoch),
                    choice.auto.max_epochs
                );
                }
            }
            AutoEvent::MultiLabel => {
                probe.finish();
                if !quiet {
                    eprintln!(
                    "multi-label data: one score per label (modified Huber loss), {} epochs; the epochs are not chosen on a validation slice for multi-label data",
                    config.epochs
                );
                }
            }
            AutoEvent::ChosenBefore { epochs, record } => {
                probe.finish();
                if !quiet {
                    eprintln!(
                    "resuming with the {epochs} epochs chosen before the interruption (valid accuracy {:.4} on a {:.0}% slice); the choice is not made again",
                    record.valid_accuracy,
                    100.0 * record.fraction
                );
                }
            }
            AutoEvent::NoSlice => {
                probe.finish();
                if !quiet {
                    eprintln!(
                        "no example could be held out (one per label); training {} epochs",
                        config.epochs
                    );
                }
            }
            AutoEvent::Final(event) => on_event(event),
        }
    });
    probe.finish();
    trained.map(|(model, _)| model)
}

/// The folder a file is (to be) written in: its parent, or `.`.
fn folder_of(path: &std::path::Path) -> &std::path::Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    }
}

/// `MODEL.checkpoint` beside the model.
fn default_checkpoint_path(model: &std::path::Path) -> PathBuf {
    let mut name = model.as_os_str().to_owned();
    name.push(".checkpoint");
    PathBuf::from(name)
}

/// Validation examples whose labels the model never saw in training.
#[derive(Debug, Default)]
struct UnseenLabels {
    /// Examples with at least one unseen label.
    examples: usize,
    /// Of those, the ones with no known label at all, which training leaves
    /// out of the validation figures.
    left_out: usize,
    /// Each unseen label and how many examples carry it, by name.
    labels: std::collections::BTreeMap<String, usize>,
}

impl UnseenLabels {
    /// Counts the labels of `examples` that `known` lacks.
    fn count(known: &textnn::vocab::Dictionary, examples: &[textnn::data::Example]) -> Self {
        let mut unseen = UnseenLabels::default();
        for example in examples {
            let mut any_known = false;
            let mut any_unseen = false;
            for label in &example.labels {
                if known.id(label).is_some() {
                    any_known = true;
                } else {
                    any_unseen = true;
                    *unseen.labels.entry(label.clone()).or_insert(0) += 1;
                }
            }
            if any_unseen {
                unseen.examples += 1;
                if !any_known {
                    unseen.left_out += 1;
                }
            }
        }
        unseen
    }

    /// `textnn: warning: FILE: 2 examples have labels unseen in training
    /// ("x" 1, "y" 1); 1 of them has no known label and is left out of
    /// validation`, unless there are none.
    fn warn(&self, path: &std::path::Path) {
        if self.examples == 0 {
            return;
        }
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(label, count)| format!("{label:?} {count}"))
            .collect();
        let (noun, verb) = if self.examples == 1 {
            ("example", "has")
        } else {
            ("examples", "have")
        };
        eprintln!(
            "textnn: warning: {}: {} {noun} {verb} labels unseen in training ({}); \
             {} of them {} no known label and {} left out of validation",
            path.display(),
            self.examples,
            labels.join(", "),
            self.left_out,
            if self.left_out == 1 { "has" } else { "have" },
            if self.left_out == 1 { "is" } else { "are" },
        );
    }
}

/// `--log FILE.jsonl`: one JSON object per epoch, flushed as it is written
/// so an interrupted run keeps every finished epoch.
struct TrainingLog {
    file: std::io::BufWriter<std::fs::File>,
    /// An epoch's record, written with the evaluation that follows it.
    epoch: Option<serde_json::Value>,
}

impl TrainingLog {
    fn create(path: &std::path::Path) -> anyhow::Result<Self> {
        let file = std::fs::File::create(path).map_err(|e| textnn::Error::io(path, e))?;
        Ok(TrainingLog {
            file: std::io::BufWriter::new(file),
            epoch: None,
        })
    }

    /// After the last epoch, one `{"data": {"train": ..., "valid": ...}}`
    /// record with the lines skipped or repaired in each file and the
    /// validation examples with unseen labels; written only when there is
    /// something to say, so a clean run logs only epochs.
    fn data_summary(
        &mut self,
        train: &textnn::data::ReadReport,
        valid: &textnn::data::ReadReport,
        unseen: &UnseenLabels,
    ) -> anyhow::Result<()> {
        use std::io::Write;
        if train.is_clean() && valid.is_clean() && unseen.examples == 0 {
            return Ok(());
        }
        let file = |report: &textnn::data::ReadReport| {
            serde_json::json!({
                "skipped": report.skipped(),
                "without_text": report.without_text.count,
                "without_label": report.without_label.count,
                "replaced_utf8": report.replaced_utf8.count,
                "summary": report.to_string(),
            })
        };
        let mut valid = file(valid);
        valid["unseen_label_examples"] = unseen.examples.into();
        valid["unseen_labels"] = serde_json::json!(unseen.labels);
        valid["left_out"] = unseen.left_out.into();
        let record = serde_json::json!({ "data": { "train": file(train), "valid": valid } });
        writeln!(self.file, "{record}")?;
        self.file.flush()?;
        Ok(())
    }

    /// One record per evaluation point, with each layer's gradient norm
    /// and saturation: `{"kind": "evaluation", ...}` inside an epoch
    /// (`--eval-every`), or the epoch's record with `examples_seen` and
    /// `layers` added at its end.
    fn evaluation(&mut self, e: &textnn::train::Evaluation, seconds: f64) -> anyhow::Result<()> {
        use std::io::Write;
        let layers: Vec<_> = e
            .layers
            .iter()
            .map(|l| {
                serde_json::json!({
                    "layer": l.layer,
                    "gradient_norm": l.gradient_norm,
                    "saturated": l.saturated,
                })
            })
            .collect();
        let mut record = serde_json::json!({
            "kind": "evaluation",
            "epoch": e.epoch,
            "examples_seen": e.examples_seen,
            "epoch_end": e.epoch_end,
            "seconds": seconds,
            "train_loss": e.train_loss,
            "learning_rate": e.learning_rate,
            "valid_loss": e.valid_loss,
            "valid_accuracy": e.valid_accuracy,
            "valid_error_rate": e.valid_accuracy.map(|a| 1.0 - a),
            "layers": layers,
        });
        let record = match self.epoch.take() {
            Some(mut epoch) if e.epoch_end => {
                epoch["examples_seen"] = e.examples_seen.into();
                epoch["layers"] = record["layers"].take();
                epoch
            }
            _ => record,
        };
        writeln!(self.file, "{record}")?;
        self.file.flush()?;
        Ok(())
    }

    /// Keeps the epoch's record until the evaluation that closes it.
    fn record(&mut self, s: &textnn::train::EpochStats, seconds: f64) -> anyhow::Result<()> {
        let record = serde_json::json!({
            "kind": "epoch",
            "epoch": s.epoch,
            "epochs": s.epochs,
            "seconds": seconds,
            "train_loss": s.mean_loss,
            "train_error_rate": s.error_rate,
            "train_mean_abs_error": s.mean_abs_error,
            "learning_rate": s.learning_rate,
            "valid_loss": s.valid_loss,
            "valid_accuracy": s.valid_accuracy,
            "valid_error_rate": s.valid_accuracy.map(|a| 1.0 - a),
            "examples_per_second": s.examples_per_second,
        });
        self.epoch = Some(record);
        Ok(())
    }
}

/// Epochs between progress lines: every epoch up to 100 epochs, else a
/// tenth of them (the blog preset: its error-check interval).
pub fn print_interval(config: &TrainConfig) -> usize {
    config
        .stop_when_error_rises_every
        .unwrap_or(if config.epochs <= 100 {
            1
        } else {
            config.epochs / 10
        })
}

/// Shows training progress on stderr: a live bar (epoch, %, examples/s,
/// loss, learning rate, ETA) when stderr is a terminal, plain epoch lines
/// otherwise (logs, CI, pipes).
pub struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    every: usize,
}

impl Reporter {
    /// A reporter printing an epoch line every `every` epochs.
    pub fn new(every: usize) -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {percent:>3}%  {msg}  ETA {eta}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar
        });
        Reporter { bar, every }
    }

    /// Prints a line above the bar (or plainly).
    pub fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// Shows one training event.
    pub fn report(&self, event: &TrainEvent) {
        match event {
            TrainEvent::Planned(plan) => {
                for decision in &plan.decisions {
                    // Threads are on the next line unless fewer than asked.
                    if !matches!(decision, Decision::Threads { why: None, .. }) {
                        self.line(format!("plan: {decision}"));
                    }
                }
            }
            TrainEvent::Prepared {
                examples,
                words,
                labels,
                input_rows,
                parameters,
                threads,
            } => self.line(format!(
                "{examples} examples, {words} words, {labels} labels; {input_rows} input rows, {parameters} weights; {threads} thread{}",
                if *threads == 1 { "" } else { "s" }
            )),
            TrainEvent::Progress {
                epoch,
                epochs,
                done,
                total,
                mean_loss,
                learning_rate,
            } => {
                if let Some(bar) = &self.bar {
                    bar.set_length((*epochs * *total) as u64);
                    bar.set_position(((*epoch - 1) * *total + *done) as u64);
                    bar.set_prefix(format!("epoch {epoch}/{epochs}"));
                    bar.set_message(format!(
                        "{:.0} examples/s  loss {mean_loss:.4}  lr {learning_rate:.5}",
                        bar.per_sec()
                    ));
                }
            }
            TrainEvent::Epoch(s) => {
                if let Some(bar) = &self.bar {
                    bar.set_prefix(format!("epoch {}/{}", s.epoch, s.epochs));
                    bar.set_message(format!(
                        "{:.0} examples/s  loss {:.4}  lr {:.5}",
                        s.examples_per_second, s.mean_loss, s.learning_rate
                    ));
                    if bar.length() == Some(0) {
                        bar.set_length(s.epochs as u64);
                    }
                    let length = bar.length().unwrap_or(0);
                    bar.set_position(length * s.epoch as u64 / s.epochs as u64);
                }
                if s.epoch % self.every == 0 || s.epoch == s.epochs || s.valid_loss.is_some() {
                    let valid = match (s.valid_loss, s.valid_accuracy) {
                        (Some(l), Some(a)) => format!("  valid loss {l:.6}  valid accuracy {a:.4}"),
                        _ => String::new(),
                    };
                    // Hierarchical softmax does not measure the training
                    // error (it would cost every label's probability).
                    let error = if s.error_rate.is_nan() {
                        String::new()
                    } else {
                        format!(
                            "  mean |t - p| {:.6}  training error rate {:.4}",
                            s.mean_abs_error, s.error_rate
                        )
                    };
                    self.line(format!(
                        "epoch {:>w$}/{}  loss {:.6}{error}  lr {:.6}  {:.0} examples/s{valid}",
                        s.epoch,
                        s.epochs,
                        s.mean_loss,
                        s.learning_rate,
                        s.examples_per_second,
                        w = s.epochs.to_string().len()
                    ));
                }
            }
            TrainEvent::StoppedEarly { epoch, reason } => {
                self.line(format!("stopped after epoch {epoch}: {reason}"))
            }
            TrainEvent::Evaluation(e) if !e.epoch_end => {
                let valid = match (e.valid_loss, e.valid_accuracy) {
                    (Some(l), Some(a)) => format!("  valid loss {l:.6}  valid accuracy {a:.4}"),
                    _ => String::new(),
                };
                self.line(format!(
                    "  after {} examples: loss {:.6}{valid}  lr {:.6}",
                    e.examples_seen, e.train_loss, e.learning_rate
                ));
            }
            TrainEvent::Read { .. } | TrainEvent::Evaluation(_) => {}
            TrainEvent::Resumed { epoch, done, total } => self.line(format!(
                "resuming from the checkpoint: epoch {epoch}, {done} of {total} examples done"
            )),
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
