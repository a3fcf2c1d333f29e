//! `textnn convert MODEL.bin -o MODEL.textnn`: a fastText model (`.bin` or
//! `.ftz`) stored in textnn's checksummed container, which every textnn
//! command reads and which predicts exactly as the fastText file does.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use textnn::any_model::{AnyModel, ModelKind};

/// Options of `textnn convert`.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The fastText model (.bin or .ftz) to convert.
    pub model: PathBuf,
    /// Where to write the textnn model (written atomically).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

pub fn run(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    let kind = ModelKind::of_file(&args.model)?;
    let model = match AnyModel::load(&args.model)? {
        AnyModel::FastText(model) => model,
        AnyModel::Textnn(_) => anyhow::bail!(
            "{}: already a textnn model; convert reads fastText .bin and .ftz models",
            args.model.display()
        ),
    };
    model
        .save(&args.output)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let from = match kind {
        ModelKind::FastTextContainer => "a converted fastText model",
        _ if model.is_quantized() => "a quantized fastText model (decoded into dense weights)",
        _ => "a fastText model",
    };
    eprintln!(
        "textnn: wrote {} from {from} ({} labels, {} loss, dim {})",
        args.output.display(),
        model.labels().len(),
        model.args().loss.name(),
        model.args().dim
    );
    Ok(ExitCode::SUCCESS)
}
