//! Options shared by several commands, each defined once.

use clap::Args;
use textnn::data::{DataFormat, ReadOptions};
use textnn::TrainConfig;

/// How to read a data file.
#[derive(Args, Debug, Clone)]
pub struct ReadArgs {
    /// Input format [default: from the extension: .csv, .tsv, .jsonl, .json (intents), else fasttext].
    #[arg(long, value_name = "fasttext|csv|tsv|jsonl|intents")]
    pub format: Option<DataFormat>,
    /// Prefix that marks labels in fastText-format lines.
    #[arg(long, default_value = "__label__")]
    pub label_prefix: String,
    /// CSV/TSV column holding the text.
    #[arg(long, default_value = "text")]
    pub text_column: String,
    /// CSV/TSV column holding the label.
    #[arg(long, default_value = "label")]
    pub label_column: String,
    /// Replace invalid UTF-8 with U+FFFD (and count the lines) instead of stopping at the first bad byte.
    #[arg(long)]
    pub lossy: bool,
}

impl ReadArgs {
    /// Reader options; `require_labels` for training and testing.
    pub fn options(&self, require_labels: bool) -> ReadOptions {
        ReadOptions {
            format: self.format,
            label_prefix: self.label_prefix.clone(),
            text_column: self.text_column.clone(),
            label_column: self.label_column.clone(),
            require_labels,
            lossy: self.lossy,
        }
    }

    /// Reads `path` with these options and warns on stderr about the
    /// records it skipped or repaired, as `textnn: warning: FILE: skipped 3
    /// lines: 2 without text (lines 4, 9), 1 without label (line 7)`.
    pub fn read(
        &self,
        path: &std::path::Path,
        require_labels: bool,
    ) -> textnn::Result<textnn::data::Dataset> {
        let dataset = textnn::data::read_dataset(path, &self.options(require_labels))?;
        warn_about(path, &dataset.report);
        Ok(dataset)
    }
}

/// Prints `report` as a warning about `path` on stderr, unless it is clean.
/// Warnings are printed even with `--quiet`: they say that data was left out.
pub fn warn_about(path: &std::path::Path, report: &textnn::data::ReadReport) {
    if !report.is_clean() {
        eprintln!("textnn: warning: {}: {report}", path.display());
    }
}

/// How many labels to return per text, and from what probability.
#[derive(Args, Debug, Clone)]
pub struct RankArgs {
    /// Labels per text (0 = all); `test` scores P@k, R@k and per-label figures on them.
    #[arg(short, long, default_value_t = 1)]
    pub k: usize,
    /// Leave out labels below this probability [default: the model's, 0 unless trained with --preset blog].
    #[arg(short, long, value_parser = parse_threshold)]
    pub threshold: Option<f32>,
}

impl RankArgs {
    /// The threshold to use with `model`: the option, else the model's own.
    pub fn threshold_for(&self, model: &textnn::any_model::AnyModel) -> f32 {
        self.threshold.unwrap_or(model.default_threshold())
    }
}

/// The value of each setting in each preset, printed under `train --help`
/// from the presets themselves so the help never drifts from the code.
pub fn preset_table() -> String {
    let presets = [
        TrainConfig::default_preset(),
        TrainConfig::fasttext(),
        TrainConfig::blog(),
    ];
    type Getter = fn(&TrainConfig) -> String;
    let rows: [(&str, Getter); 24] = [
        ("--tokenizer", |c| c.text.tokenizer.to_string()),
        ("--lowercase", |c| c.text.lowercase.to_string()),
        ("--stem", |c| {
            c.text.stem.map_or("none".into(), |s| s.to_string())
        }),
        ("--min-count", |c| c.min_count.to_string()),
        ("--word-ngrams", |c| match c.bigrams_from_tokens {
            Some(_) => "auto".into(),
            None => c.features.word_ngrams.to_string(),
        }),
        ("--char-ngrams", |c| {
            c.features
                .char_ngrams
                .map_or("none".into(), |(a, b)| format!("{a}-{b}"))
        }),
        ("--buckets", |c| c.features.buckets.to_string()),
        ("--binary", |c| c.features.binary.to_string()),
        ("--dim", |c| c.network.dim.to_string()),
        ("--combine", |c| c.network.combine.to_string()),
        ("--idf", |c| c.network.idf.to_string()),
        ("--sublinear-tf", |c| c.network.sublinear_tf.to_string()),
        ("--embedding-activation", |c| {
            c.network.embedding_activation.to_string()
        }),
        ("--hidden", |c| hidden_to_string(&c.network.hidden)),
        ("--activation", |c| c.network.hidden_activation.to_string()),
        ("--loss", |c| c.network.loss.to_string()),
        ("--bias", |c| c.network.bias.to_string()),
        ("--optimizer", |c| c.optimizer.kind.to_string()),
        ("--lr", |c| c.learning_rate.to_string()),
        ("--schedule", |c| c.schedule.to_string()),
        ("--epochs", |c| c.epochs.to_string()),
        ("--batch", |c| c.batch.to_string()),
        ("--reduction", |c| c.reduction.to_string()),
        ("--threshold", |c| c.threshold.to_string()),
    ];
    let mut out =
        String::from("Defaults of each preset (an option given on the command line wins):\n\n");
    out.push_str(&format!(
        "  {:<24}{:>12}{:>12}{:>12}\n",
        "option", "default", "fasttext", "blog"
    ));
    for (name, get) in rows {
        out.push_str(&format!("  {name:<24}"));
        for p in &presets {
            out.push_str(&format!("{:>12}", get(p)));
        }
        out.push('\n');
    }
    out.push_str(
        "\nAll presets: --l2 0, no --clip-grad, --seed 1; --dropout 0 except default 0.1.
Word n-grams \"auto\": 2 (words and bigrams) when the training texts hold at
least 1,500,000 tokens, else 1 (words only).
Epochs of the default preset: unless --epochs or --early-stopping is given,
chosen on a 10% validation slice of INPUT (5 to 40, the probe stopping once the
validation accuracy has peaked; see --epochs); the 25 above only when no example
can be held out.
Representation of the default preset: the tokens and features above are one of
three candidates (words: as above; symbols: --tokenizer symbols --lowercase false;
chars: --tokenizer whitespace --lowercase false --char-ngrams 1-4 --word-ngrams 2),
raced on 90% of INPUT and measured on the other 10% (single-label data): after 2
epochs, and each time the epochs double, the better half goes on (less any
clearly behind); the last one left is the epoch probe. Giving any of the
options --tokenizer, --lowercase, --stem, --word-ngrams or --char-ngrams
decides it.
Multi-label data (some text has several labels) under the default preset
trains with --loss huber --lr 0.02 --schedule linear --dim 300 and its 25
epochs: --lr, --schedule and --dim replace these values, --loss all four.\n\
         The blog preset also prints the mean absolute error every 10000 epochs and stops when it rises.",
    );
    out
}

/// `64,32`, or `none` for no hidden layer.
pub fn hidden_to_string(hidden: &[usize]) -> String {
    if hidden.is_empty() {
        "none".into()
    } else {
        hidden
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Hidden layer widths as one option value (clap would read a bare
/// `Vec` as a list of separate values).
#[derive(Clone, Debug, PartialEq)]
pub struct Widths(pub Vec<usize>);

/// `--word-ngrams`: a number, or `auto` (bigrams only for large corpora).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WordNgrams {
    /// Decided by the amount of training text.
    Auto,
    /// This longest n-gram.
    Fixed(usize),
}

/// Parses `auto` or a positive number.
pub fn parse_word_ngrams(s: &str) -> Result<WordNgrams, String> {
    if s == "auto" {
        return Ok(WordNgrams::Auto);
    }
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(WordNgrams::Fixed(n)),
        _ => Err(format!(
            "word n-grams must be a positive number or auto, got {s:?}"
        )),
    }
}

/// Parses a probability threshold in [0, 1].
pub fn parse_threshold(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err(format!("threshold must be a number in [0, 1], got {s:?}")),
    }
}

/// Parses `64,32` or `none`.
pub fn parse_hidden(s: &str) -> Result<Widths, String> {
    if s == "none" || s.is_empty() {
        return Ok(Widths(Vec::new()));
    }
    s.split(',')
        .map(|w| match w.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "hidden layer widths must be positive integers separated by commas, got {w:?}"
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Widths)
}

/// An option whose value may be `none`. (clap reads a bare
/// `Option<Option<T>>` as "flag with an optional value", so the inner
/// option gets its own type.)
#[derive(Clone, Debug, PartialEq)]
pub struct OrNone<T>(pub Option<T>);

/// Parses `MIN-MAX` (or `none`) for character n-grams.
pub fn parse_char_ngrams(s: &str) -> Result<OrNone<(usize, usize)>, String> {
    if s == "none" || s == "0" {
        return Ok(OrNone(None));
    }
    let err = || format!("character n-grams must be MIN-MAX like 3-6, or none; got {s:?}");
    let (a, b) = s.split_once('-').ok_or_else(err)?;
    let (a, b) = (
        a.parse::<usize>().map_err(|_| err())?,
        b.parse::<usize>().map_err(|_| err())?,
    );
    Ok(OrNone(Some((a, b))))
}

/// Parses `none` or a Snowball language.
pub fn parse_stem(s: &str) -> Result<OrNone<textnn::text::StemLanguage>, String> {
    if s == "none" {
        Ok(OrNone(None))
    } else {
        s.parse()
            .map(|l| OrNone(Some(l)))
            .map_err(|e: textnn::Error| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stem_parses_languages_and_none() {
        assert_eq!(parse_stem("none").unwrap(), OrNone(None));
        assert_eq!(
            parse_stem("english").unwrap(),
            OrNone(Some(textnn::text::StemLanguage::English))
        );
        assert!(parse_stem("klingon").is_err());
    }

    #[test]
    fn hidden_and_char_ngrams_parse() {
        assert_eq!(parse_hidden("64,32").unwrap(), Widths(vec![64, 32]));
        assert_eq!(parse_hidden("none").unwrap(), Widths(Vec::new()));
        assert!(parse_threshold("0.2").is_ok());
        assert!(parse_threshold("2").is_err() && parse_threshold("NaN").is_err());
        assert!(parse_hidden("64,0").is_err());
        assert_eq!(parse_char_ngrams("3-6").unwrap(), OrNone(Some((3, 6))));
        assert_eq!(parse_char_ngrams("none").unwrap(), OrNone(None));
        assert!(parse_char_ngrams("3").is_err());
    }

    #[test]
    fn preset_table_lists_every_preset_value() {
        let table = preset_table();
        assert!(table.contains("--dim") && table.contains("fasttext") && table.contains("squared"));
    }
}
