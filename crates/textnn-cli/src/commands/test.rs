//! `textnn test MODEL INPUT`: how well a model does on labelled data.

use crate::args::ReadArgs;
use crate::output;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use textnn::any_model::AnyModel;
use textnn::metrics::Evaluator;

/// Options of `textnn test`.
#[derive(Args, Debug)]
pub struct TestArgs {
    /// Model file.
    pub model: PathBuf,
    /// Labelled test data.
    pub input: PathBuf,
    #[command(flatten)]
    pub rank: crate::args::RankArgs,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    let model = AnyModel::load(&args.model)?;
    let threshold = args.rank.threshold_for(&model);
    let examples = args.read.read(&args.input, true)?.examples;
    let mut evaluator = Evaluator::new(model.labels().names().to_vec(), args.rank.k);
    let mut scratch = model.scratch();
    let (mut gold, mut unseen) = (Vec::new(), Vec::new());
    for example in &examples {
        model
            .labels()
            .split_known(&example.labels, &mut gold, &mut unseen);
        // The loss is defined against known labels only.
        let loss = (!gold.is_empty()).then(|| model.loss_with(&example.text, &gold, &mut scratch));
        let predicted = model.predict_with(&example.text, args.rank.k, threshold, &mut scratch);
        evaluator.add(&gold, &unseen, &predicted, loss);
    }
    let report = evaluator.finish();
    let mut out = output::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", report.to_text())?;
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}
