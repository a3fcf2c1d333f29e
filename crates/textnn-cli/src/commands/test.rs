//! `textnn test MODEL INPUT`: how well a model does on labelled data, and
//! which labels it confuses (the matrix, the top confused pairs with
//! example texts; `--report DIR` draws the matrix as a heatmap).

use crate::args::ReadArgs;
use crate::output;
use clap::Args;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use textnn::any_model::AnyModel;
use textnn::confusion::ConfusionBuilder;
use textnn::metrics::{Evaluator, Report};

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
    /// Write the figures, the confusion matrix as a heatmap (confusion.svg) and the confused pairs to an index.html in this folder.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub read: ReadArgs,
}

pub fn run(args: TestArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.report {
        // Found out before the model runs.
        crate::report::prepare_dir(dir)?;
    }
    let model = AnyModel::load(&args.model)?;
    let threshold = args.rank.threshold_for(&model);
    let examples = args.read.read(&args.input, true)?.examples;
    let mut evaluator = Evaluator::new(model.labels().names().to_vec(), args.rank.k);
    let mut confusion = ConfusionBuilder::new(
        model.labels().names().to_vec(),
        crate::confusion::EXAMPLES_PER_PAIR,
    );
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
        confusion.add(&gold, predicted.first().map(|p| p.0), example);
    }
    let report = evaluator.finish();
    let confusion = confusion.finish();
    let mut out = output::stdout();
    if args.json {
        let json = TestJson {
            report: &report,
            confusion: crate::confusion::ConfusionJson {
                file: args.input.display().to_string(),
                confusion: &confusion,
            },
        };
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", report.to_text())?;
        write!(
            out,
            "{}",
            crate::confusion::to_text(&confusion, &args.input)
        )?;
    }
    output::finish(out)?;
    if let Some(dir) = &args.report {
        let on = crate::report::ConfusionOn {
            file: &args.input,
            confusion: &confusion,
        };
        let index = crate::report::write_test_report(dir, &args.model, &report, &on)?;
        eprintln!("wrote the test report {}", index.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// What `textnn test --json` prints: the figures, and the confusion.
#[derive(Serialize)]
struct TestJson<'a> {
    #[serde(flatten)]
    report: &'a Report,
    confusion: crate::confusion::ConfusionJson<'a>,
}
