//! `textnn predict MODEL [INPUT|-]`: top labels of each input line.

use crate::output;
use anyhow::Context;
use clap::Args;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use textnn::data::{split_fasttext_line, DataFormat, ReadOptions};
use textnn::Classifier;

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
}

pub fn run(args: PredictArgs) -> anyhow::Result<ExitCode> {
    let model = Classifier::load(&args.model)?;
    let threshold = args.rank.threshold_for(&model);
    let mut scratch = model.scratch();
    let mut out = output::stdout();
    let mut emit = |text: &str, out: &mut dyn Write| -> anyhow::Result<()> {
        let ranked = model.predict_with(text, args.rank.k, threshold, &mut scratch);
        if args.json {
            let labels: Vec<_> = ranked
                .iter()
                .map(
                    |&(id, p)| serde_json::json!({"label": model.label_name(id), "probability": p}),
                )
                .collect();
            writeln!(out, "{}", serde_json::json!({ "labels": labels }))?;
        } else {
            let line: Vec<String> = ranked
                .iter()
                .map(|&(id, p)| format!("{} {}", model.label_name(id), p))
                .collect();
            writeln!(out, "{}", line.join(" "))?;
        }
        Ok(())
    };

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
        for example in textnn::data::read_file(&path, &options)? {
            emit(&example.text, &mut out)?;
        }
        output::finish(out)?;
        return Ok(ExitCode::SUCCESS);
    }

    let (reader, source): (Box<dyn BufRead>, String) = match &path {
        Some(p) => (
            Box::new(std::io::BufReader::new(
                std::fs::File::open(p).map_err(|e| textnn::Error::io(p, e))?,
            )),
            p.display().to_string(),
        ),
        None => (Box::new(std::io::stdin().lock()), "<stdin>".to_string()),
    };
    let mut line = Vec::new();
    let mut reader = reader;
    let mut number = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| textnn::Error::io(&source, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        let text = std::str::from_utf8(&line).map_err(|e| textnn::Error::Data {
            path: source.clone(),
            line: number,
            message: format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()),
        })?;
        let (_labels, text) = split_fasttext_line(text, &args.read.label_prefix);
        emit(&text, &mut out)?;
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}
