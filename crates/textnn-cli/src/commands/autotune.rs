//! `textnn autotune TRAIN --valid FILE --duration SECONDS -o MODEL`: a
//! time-boxed search over training settings, one table line per trial as
//! it finishes, then the best trial, the `train` flags that reproduce it,
//! and its model saved.

use crate::args::{self, ReadArgs};
use crate::output;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use textnn::autotune::{autotune, AutotuneConfig, Metric, Trial};
use textnn::TrainConfig;

/// Options of `textnn autotune`.
#[derive(Args, Debug)]
pub struct AutotuneArgs {
    /// Labelled training data.
    pub input: PathBuf,
    /// Where to write the best model.
    #[arg(short, long, value_name = "MODEL")]
    pub output: PathBuf,
    /// Validation data that scores every trial (same format options as INPUT).
    #[arg(long, value_name = "FILE", required_unless_present = "valid_split")]
    pub valid: Option<PathBuf>,
    /// Hold out this fraction of INPUT (stratified, seeded) to score the trials instead of --valid.
    #[arg(long, value_name = "FRACTION", conflicts_with = "valid")]
    pub valid_split: Option<f32>,
    /// Time budget of the search in seconds (no trial starts that is not expected to end in time).
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = parse_seconds)]
    pub duration: Duration,
    /// What to maximise on the validation data: accuracy, f1 (macro) or f1:LABEL.
    #[arg(long, value_name = "accuracy|f1|f1:LABEL", default_value = "accuracy", value_parser = parse_metric)]
    pub metric: Metric,
    /// Training threads of every trial [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Seed of the search and of every trial.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stop after this many trials even with time left.
    #[arg(long, value_name = "N")]
    pub max_trials: Option<usize>,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Print only the table, errors and warnings.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Parses a positive, finite number of seconds.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(Duration::from_secs_f64(v)),
        _ => Err(format!(
            "duration must be a positive number of seconds, got {s:?}"
        )),
    }
}

/// Parses `accuracy`, `f1` or `f1:LABEL`.
fn parse_metric(s: &str) -> Result<Metric, String> {
    s.parse().map_err(|e: textnn::Error| e.to_string())
}

pub fn run(args: AutotuneArgs) -> anyhow::Result<ExitCode> {
    if args.threads == Some(0) {
        anyhow::bail!("threads must be at least 1, got 0");
    }
    let train_data = args.read.read(&args.input, true)?;
    let (train, valid, valid_name) = match (&args.valid, args.valid_split) {
        (Some(path), _) => {
            let valid = args.read.read(path, true)?.examples;
            (train_data.examples, valid, path.display().to_string())
        }
        (None, Some(fraction)) => {
            let (train, valid) =
                textnn::autotune::split_validation(&train_data.examples, fraction, args.seed)?;
            let name = format!("{fraction} of {}", args.input.display());
            (train, valid, name)
        }
        // clap requires one of the two.
        (None, None) => anyhow::bail!("give --valid FILE or --valid-split F"),
    };
    let config = AutotuneConfig {
        seed: args.seed,
        threads: args.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }),
        max_trials: args.max_trials,
        ..AutotuneConfig::new(args.duration, args.metric.clone())
    };
    config.validate()?;
    args.metric.check_labels(&train)?;
    if !args.quiet {
        eprintln!(
            "searching for {:.0} s: {} training examples, {} validation examples ({valid_name}), metric {}",
            args.duration.as_secs_f64(),
            train.len(),
            valid.len(),
            args.metric
        );
    }
    let mut out = output::stdout();
    writeln!(out, "{}", header())?;
    out.flush()?;
    let mut write_error = None;
    let outcome = autotune(&config, &train, &valid, &mut |trial| {
        if write_error.is_none() {
            if let Err(e) = writeln!(out, "{}", row(trial)).and_then(|()| out.flush()) {
                write_error = Some(e);
            }
        }
    })?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    let best = outcome.best_trial();
    let score = best.score.as_ref().copied().unwrap_or(f64::NAN);
    writeln!(
        out,
        "\nbest: trial {} of {}, {} {score:.4} on {valid_name}; searched for {:.1} s",
        best.number,
        outcome.trials.len(),
        args.metric,
        outcome.seconds
    )?;
    writeln!(
        out,
        "same model: textnn train {} -o {}{} {} --seed {} --threads {}",
        args.input.display(),
        args.output.display(),
        read_flags(&args.read),
        train_flags(&best.config),
        args.seed,
        config.threads
    )?;
    output::finish(out)?;
    // Streams the weights to a temporary file, then renames it.
    outcome
        .model
        .save(&args.output)
        .with_context(|| "saving the model".to_string())?;
    if !args.quiet {
        let size = std::fs::metadata(&args.output).map_or(0, |m| m.len());
        eprintln!("saved {} ({size} bytes)", args.output.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Column headings of the trial table.
fn header() -> String {
    format!(
        "{:>5}  {:>7}  {:>6}  {:<8}  {:>8}  {:>6}  {:>4}  {:>6}  {:>5}  {:>8}  {:<8}  {:<7}  {:<7}  {:>7}",
        "trial", "score", "secs", "preset", "lr", "epochs", "dim", "ngrams", "chars", "buckets",
        "hidden", "act", "loss", "dropout"
    )
}

/// One trial as a table line; a failed trial shows `failed` and why.
fn row(trial: &Trial) -> String {
    let c = &trial.config;
    let score = match &trial.score {
        Ok(score) => format!("{score:.4}"),
        Err(_) => "failed".into(),
    };
    let chars = c
        .features
        .char_ngrams
        .map_or("none".into(), |(a, b)| format!("{a}-{b}"));
    let buckets = if c.features.uses_buckets() {
        c.features.buckets.to_string()
    } else {
        "-".into()
    };
    let activation = if c.network.hidden.is_empty() {
        "-".into()
    } else {
        c.network.hidden_activation.to_string()
    };
    let mut line = format!(
        "{:>5}  {score:>7}  {:>6.1}  {:<8}  {:>8.4}  {:>6}  {:>4}  {:>6}  {chars:>5}  {buckets:>8}  {:<8}  {activation:<7}  {:<7}  {:>7.3}",
        trial.number,
        trial.seconds,
        c.preset,
        c.learning_rate,
        c.epochs,
        c.network.dim,
        c.features.word_ngrams,
        args::hidden_to_string(&c.network.hidden),
        c.network.loss,
        c.dropout
    );
    if let Err(reason) = &trial.score {
        line.push_str(&format!("  ({reason})"));
    }
    line
}

/// The reading options given on the command line, each with a leading
/// space (none for the defaults), quoted for a POSIX shell where needed.
fn read_flags(read: &ReadArgs) -> String {
    let quote = |value: &str| {
        let plain = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
        if plain {
            value.to_string()
        } else {
            format!("'{}'", value.replace('\'', r"'\''"))
        }
    };
    let defaults = [
        ("--label-prefix", "__label__"),
        ("--text-column", "text"),
        ("--label-column", "label"),
    ];
    let values = [&read.label_prefix, &read.text_column, &read.label_column];
    let mut flags = String::new();
    if let Some(format) = read.format {
        flags.push_str(&format!(" --format {format}"));
    }
    for ((option, default), value) in defaults.into_iter().zip(values) {
        if value != default {
            flags.push_str(&format!(" {option} {}", quote(value)));
        }
    }
    if read.lossy {
        flags.push_str(" --lossy");
    }
    flags
}

/// The `textnn train` options that, on top of `--preset`, give `config`'s
/// searched settings.
fn train_flags(c: &TrainConfig) -> String {
    let chars = c
        .features
        .char_ngrams
        .map_or("none".into(), |(a, b)| format!("{a}-{b}"));
    // A starting preset may have let the data decide the word n-grams;
    // `auto` records the same settings as that run.
    let word_ngrams = match c.bigrams_from_tokens {
        Some(_) => "auto".to_string(),
        None => c.features.word_ngrams.to_string(),
    };
    let mut flags = format!(
        "--preset {} --lr {} --epochs {} --dim {} --word-ngrams {word_ngrams} --char-ngrams {chars} --buckets {} --hidden {} --loss {} --dropout {}",
        c.preset,
        c.learning_rate,
        c.epochs,
        c.network.dim,
        c.features.buckets,
        args::hidden_to_string(&c.network.hidden),
        c.network.loss,
        c.dropout
    );
    if !c.network.hidden.is_empty() {
        flags.push_str(&format!(" --activation {}", c.network.hidden_activation));
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_metrics_parse() {
        assert_eq!(parse_seconds("2.5").unwrap(), Duration::from_millis(2500));
        for bad in ["0", "-1", "inf", "NaN", "soon"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_metric("f1").unwrap(), Metric::MacroF1);
        assert!(parse_metric("recall").is_err());
    }

    #[test]
    fn read_flags_repeat_only_what_was_given() {
        let mut read = ReadArgs {
            format: None,
            label_prefix: "__label__".into(),
            text_column: "text".into(),
            label_column: "label".into(),
            lossy: false,
        };
        assert_eq!(read_flags(&read), "");
        read.format = Some(textnn::data::DataFormat::Csv);
        read.text_column = "the text".into();
        read.label_column = "it's".into();
        read.lossy = true;
        assert_eq!(
            read_flags(&read),
            r" --format csv --text-column 'the text' --label-column 'it'\''s' --lossy"
        );
    }

    #[test]
    fn flags_name_every_searched_setting() {
        let mut c = TrainConfig::fasttext();
        c.network.hidden = vec![64];
        c.features.char_ngrams = Some((3, 5));
        let flags = train_flags(&c);
        for piece in [
            "--preset fasttext",
            "--lr 0.1",
            "--epochs 5",
            "--dim 100",
            "--word-ngrams 1",
            "--char-ngrams 3-5",
            "--hidden 64",
            "--activation identity",
            "--loss softmax",
        ] {
            assert!(flags.contains(piece), "{piece} missing from {flags}");
        }
        let header_columns = header().split_whitespace().count();
        let trial = Trial {
            number: 1,
            config: c,
            score: Ok(0.5),
            started_at: 0.0,
            seconds: 1.0,
        };
        assert_eq!(row(&trial).split_whitespace().count(), header_columns);
        let default = train_flags(&TrainConfig::default_preset());
        assert!(default.contains("--word-ngrams auto"), "{default}");
        assert!(!default.contains("--activation"), "{default}");
    }
}
