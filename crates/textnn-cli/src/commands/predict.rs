//! `textnn predict MODEL [INPUT|-]`: top labels of each input line.

use crate::output;
use anyhow::Context;
use clap::Args;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use textnn::any_model::AnyModel;
use textnn::data::{split_fasttext_line, text_after_leading_labels, DataFormat, ReadOptions};
use textnn::text::TokenizerKind;

/// Options of `textnn predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// Model file.
    pub model: PathBuf,
    /// Text to classify, one per line (fastText-style labels in a line are ignored); `-` or nothing reads stdin. A .csv/.tsv/.jsonl/.json file is read as that format.
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub rank: crate::args::RankArgs,
    /// One JSON object per line: {"labels":[{"label":..,"probability":..},..]}.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: crate::args::ReadArgs,
    /// Threads classifying lines (output keeps the input order) [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// Most lines classified together; on stdin a batch also ends where the
/// input read so far ends, so lines typed at a terminal (or sent by a
/// program that waits for each answer) are answered at once. A named file
/// is read in whole batches: every batch waits for its slowest thread,
/// which on a busy machine can be one not yet given a core.
const BATCH_LINES: usize = 4096;

pub fn run(args: PredictArgs) -> anyhow::Result<ExitCode> {
    let model = AnyModel::load(&args.model)?;
    let threshold = args.rank.threshold_for(&model);
    let threads = args
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        })
        .max(1);
    let classifier = LineClassifier {
        model: &model,
        k: args.rank.k,
        threshold,
        json: args.json,
        label_prefix: None,
        whitespace_tokens: model
            .as_classifier()
            .is_some_and(|c| c.pipeline().config().tokenizer == TokenizerKind::Whitespace),
    };
    let mut out = output::stdout();

    let path = args.input.filter(|p| p.as_os_str() != "-");
    let format = args
        .read
        .format
        .or_else(|| path.as_deref().map(DataFormat::from_path))
        .unwrap_or(DataFormat::FastText);
    if format != DataFormat::FastText {
        let path = path.context("CSV, TSV, JSONL and intents input must be a file, not stdin")?;
        let options = ReadOptions {
            format: Some(format),
            ..args.read.options(false)
        };
        let dataset = textnn::data::read_dataset(&path, &options)?;
        crate::args::warn_about(&path, &dataset.report);
        for chunk in dataset.examples.chunks(BATCH_LINES) {
            let texts: Vec<&str> = chunk.iter().map(|e| e.text.as_str()).collect();
            for line in classifier.classify(&texts, threads) {
                out.write_all(line.as_bytes())?;
            }
        }
        output::finish(out)?;
        return Ok(ExitCode::SUCCESS);
    }

    let (input, source): (Box<dyn Read>, String) = match &path {
        Some(p) => (
            Box::new(std::fs::File::open(p).map_err(|e| textnn::Error::io(p, e))?),
            p.display().to_string(),
        ),
        None => (Box::new(std::io::stdin().lock()), "<stdin>".to_string()),
    };
    let interactive = path.is_none();
    let mut reader = BufReader::with_capacity(1 << 18, input);
    // Lines may carry fastText labels: drop them before classifying.
    let fasttext_lines = LineClassifier {
        label_prefix: Some(&args.read.label_prefix),
        ..classifier
    };
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut number = 0usize;
    loop {
        // Gather lines while they are already in the buffer.
        let mut filled = 0;
        loop {
            if filled == lines.len() {
                lines.push(Vec::new());
            }
            let line = &mut lines[filled];
            line.clear();
            let n = reader
                .read_until(b'\n', line)
                .map_err(|e| textnn::Error::io(&source, e))?;
            if n == 0 {
                break;
            }
            filled += 1;
            if filled == BATCH_LINES || (interactive && reader.buffer().is_empty()) {
                break;
            }
        }
        if filled == 0 {
            break;
        }
        let mut texts = Vec::with_capacity(filled);
        for line in &lines[..filled] {
            number += 1;
            let text = match std::str::from_utf8(line) {
                Ok(text) => Cow::Borrowed(text),
                // --lossy: replace invalid UTF-8 with U+FFFD, as the file readers do.
                Err(_) if args.read.lossy => String::from_utf8_lossy(line),
                Err(e) => {
                    // Answer the lines before the bad one, then fail.
                    let refs: Vec<&str> = texts.iter().map(|t: &Cow<str>| t.as_ref()).collect();
                    for line in fasttext_lines.classify(&refs, threads) {
                        out.write_all(line.as_bytes())?;
                    }
                    out.flush()?;
                    return Err(textnn::Error::Data {
                        path: source.clone(),
                        line: number,
                        message: format!(
                            "invalid UTF-8 at byte offset {} of the line (use --lossy to replace invalid bytes with U+FFFD)",
                            e.valid_up_to()
                        ),
                    }
                    .into());
                }
            };
            texts.push(text);
        }
        let refs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
        for line in fasttext_lines.classify(&refs, threads) {
            out.write_all(line.as_bytes())?;
        }
        out.flush()?;
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}

/// Turns texts into output lines.
struct LineClassifier<'m> {
    model: &'m AnyModel,
    k: usize,
    threshold: f32,
    json: bool,
    /// When set, fastText labels with this prefix are removed from each text first.
    label_prefix: Option<&'m str>,
    /// The model splits text at white space only, so a line's text can be
    /// taken as it stands once its leading labels are skipped.
    whitespace_tokens: bool,
}

impl LineClassifier<'_> {
    /// One output line (with its newline) per text, in order, computed on
    /// up to `threads` threads (the library's batch threading).
    fn classify(&self, texts: &[&str], threads: usize) -> Vec<String> {
        textnn::batch::map_in_order(
            texts,
            threads,
            || self.model.scratch(),
            |text, scratch| self.line(text, scratch),
        )
    }

    fn line(&self, text: &str, scratch: &mut textnn::any_model::AnyScratch) -> String {
        let model = self.model;
        let stripped;
        let text = match self.label_prefix {
            Some(prefix) => {
                // Labels first, as in fastText files: the rest of the line
                // is the text for a whitespace-tokenized model, as is.
                let borrowed = self
                    .whitespace_tokens
                    .then(|| text_after_leading_labels(text, prefix))
                    .flatten();
                match borrowed {
                    Some(rest) => rest,
                    None => {
                        stripped = split_fasttext_line(text, prefix).1;
                        stripped.as_str()
                    }
                }
            }
            None => text,
        };
        let ranked = model.predict_with(text, self.k, self.threshold, scratch);
        let mut line = if self.json {
            let labels: Vec<_> = ranked
                .iter()
                .map(
                    |&(id, p)| serde_json::json!({"label": model.label_name(id), "probability": p}),
                )
                .collect();
            serde_json::json!({ "labels": labels }).to_string()
        } else {
            let mut line = String::new();
            for (i, &(id, p)) in ranked.iter().enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                let _ = write!(line, "{} {}", model.label_name(id), p);
            }
            line
        };
        line.push('\n');
        line
    }
}
