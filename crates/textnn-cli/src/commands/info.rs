//! `textnn info MODEL`: what a model file holds.

use crate::args::hidden_to_string;
use crate::output;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use textnn::any_model::{AnyModel, ModelKind};
use textnn::fasttext_model::{FastTextLoss, FastTextModel};

/// Options of `textnn info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Model file.
    pub model: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: InfoArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::metadata(&args.model).map(|m| m.len()).unwrap_or(0);
    let model = match AnyModel::load(&args.model)? {
        AnyModel::Textnn(model) => model,
        AnyModel::FastText(model) => return fasttext_info(&args, &model, bytes),
    };
    let version = file_format_version(&args.model)?;
    let net = model.network().config();
    let settings = model.settings();
    let mut out = output::stdout();
    if args.json {
        let value = serde_json::json!({
            "format_version": version,
            "bytes": bytes,
            "preset": settings.preset,
            "architecture": net.describe(),
            "words": model.vocabulary().len(),
            "labels": model.labels().names(),
            "input_rows": net.input_rows,
            "dim": net.dim,
            "hidden": net.hidden,
            "settings": settings,
        });
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "file            {} ({bytes} bytes)",
            args.model.display()
        )?;
        writeln!(out, "format version  {version}")?;
        writeln!(out, "preset          {}", settings.preset)?;
        writeln!(out, "architecture    {}", net.describe())?;
        writeln!(out, "vocabulary      {} words", model.vocabulary().len())?;
        writeln!(out, "labels          {}", model.labels().len())?;
        writeln!(
            out,
            "input rows      {} ({} words + {} buckets)",
            net.input_rows,
            model.vocabulary().len(),
            net.input_rows - model.vocabulary().len()
        )?;
        writeln!(out, "dim             {}", net.dim)?;
        writeln!(out, "hidden          {}", hidden_to_string(&net.hidden))?;
        writeln!(
            out,
            "tokenizer       {} (lowercase {}, stem {})",
            settings.text.tokenizer,
            settings.text.lowercase,
            settings.text.stem.map_or("none".into(), |s| s.to_string())
        )?;
        writeln!(
            out,
            "features        word n-grams {}, char n-grams {}, binary {}, sublinear tf {}, min count {}",
            match settings.bigrams_from_tokens {
                Some(t) => format!(
                    "{} (auto: 2 from {t} training tokens)",
                    settings.features.word_ngrams
                ),
                None => settings.features.word_ngrams.to_string(),
            },
            settings
                .features
                .char_ngrams
                .map_or("none".into(), |(a, b)| format!("{a}-{b}")),
            settings.features.binary,
            settings.network.sublinear_tf,
            settings.min_count
        )?;
        writeln!(out, "training        {} lr {} ({} schedule), {} epochs, batch {} ({} of gradients), dropout {}, l2 {}, seed {}, {} thread{}",
            settings.optimizer.kind, settings.learning_rate, settings.schedule, settings.epochs,
            settings.batch, settings.reduction, settings.dropout, settings.optimizer.l2, settings.seed,
            settings.threads, if settings.threads == 1 { "" } else { "s" })?;
        if let Some(chosen) = &settings.epochs_chosen {
            writeln!(
                out,
                "epochs chosen   {} of {} on a {:.0}% validation slice (valid accuracy {:.4}, valid loss {:.6})",
                settings.epochs,
                chosen.max_epochs,
                100.0 * chosen.fraction,
                chosen.valid_accuracy,
                chosen.valid_loss
            )?;
        }
        if let Some(chosen) = &settings.representation_chosen {
            let scores: Vec<String> = chosen.scores.iter().map(|s| s.to_string()).collect();
            writeln!(
                out,
                "representation  {} ({}), chosen on a {:.0}% validation slice, first round {} epochs (valid accuracy: {})",
                chosen.chosen,
                chosen.chosen.describe(),
                100.0 * chosen.fraction,
                chosen.trial_epochs,
                scores.join(", ")
            )?;
        }
        writeln!(out, "threshold       {}", settings.threshold)?;
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}

/// `info` of a fastText model, read from a `.bin`/`.ftz` or from the textnn
/// container `textnn convert` writes.
fn fasttext_info(args: &InfoArgs, model: &FastTextModel, bytes: u64) -> anyhow::Result<ExitCode> {
    let container = ModelKind::of_file(&args.model)? == ModelKind::FastTextContainer;
    let a = model.args();
    let format = if container {
        format!(
            "fastText model (version {}) in a textnn container (format version {})",
            textnn::fasttext_model::VERSION,
            file_format_version(&args.model)?
        )
    } else {
        format!(
            "fastText model, version {}",
            textnn::fasttext_model::VERSION
        )
    };
    let quantized = match (model.is_quantized(), model.is_output_quantized()) {
        (false, _) => "no".to_string(),
        (true, output) => format!(
            "yes: product-quantized input{}{}; decoded into dense weights at load",
            if output { " and output" } else { "" },
            if model.is_pruned() {
                ", n-gram rows pruned"
            } else {
                ""
            }
        ),
    };
    let char_ngrams = if a.maxn == 0 {
        "none".to_string()
    } else {
        format!("{}-{}", a.minn, a.maxn)
    };
    let buckets = model.input_rows() - model.n_words();
    let mut out = output::stdout();
    if args.json {
        let value = serde_json::json!({
            "kind": "fasttext",
            "format": format,
            "bytes": bytes,
            "loss": a.loss,
            "dim": a.dim,
            "word_ngrams": a.word_ngrams,
            "minn": a.minn,
            "maxn": a.maxn,
            "bucket": a.bucket,
            "quantized": model.is_quantized(),
            "output_quantized": model.is_output_quantized(),
            "pruned": model.is_pruned(),
            "words": model.n_words(),
            "labels": model.labels().names(),
            "input_rows": model.input_rows(),
            "args": a,
        });
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "file            {} ({bytes} bytes)",
            args.model.display()
        )?;
        writeln!(out, "format          {format}")?;
        writeln!(out, "quantized       {quantized}")?;
        let output_layer = match a.loss {
            FastTextLoss::Softmax => "softmax",
            FastTextLoss::Hs => "hierarchical softmax (Huffman tree)",
            FastTextLoss::Ova => "one sigmoid per label (one-vs-all)",
            FastTextLoss::Ns => "one sigmoid per label (negative sampling)",
        };
        writeln!(
            out,
            "architecture    mean of the input rows → {} labels, {output_layer}; loss {}",
            model.labels().len(),
            a.loss.name()
        )?;
        writeln!(out, "vocabulary      {} words (with </s>)", model.n_words())?;
        writeln!(out, "labels          {}", model.labels().len())?;
        writeln!(
            out,
            "input rows      {} ({} words + {buckets} {})",
            model.input_rows(),
            model.n_words(),
            if model.is_pruned() {
                "kept n-gram rows"
            } else {
                "buckets"
            }
        )?;
        writeln!(out, "dim             {}", a.dim)?;
        writeln!(
            out,
            "features        word n-grams {}, char n-grams {char_ngrams}, bucket {}",
            a.word_ngrams, a.bucket
        )?;
        writeln!(
            out,
            "training        epoch {}, minCount {}, neg {}, ws {}, lrUpdateRate {}, t {}",
            a.epoch, a.min_count, a.neg, a.ws, a.lr_update_rate, a.t
        )?;
        writeln!(out, "threshold       0 (fastText's default)")?;
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}

/// The format version in the header of the model file at `path` (which
/// has just loaded, so the header is there).
fn file_format_version(path: &std::path::Path) -> anyhow::Result<u32> {
    use std::io::Read;
    let mut head = [0u8; 12];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|e| textnn::Error::io(path, e))?;
    Ok(u32::from_le_bytes(head[8..12].try_into().expect("4 bytes")))
}
