//! `textnn demo`: the bundled Home Assistant intents, end to end.
//!
//! The dataset is compiled into the binary, so the demo runs from any
//! folder with nothing to download.

use crate::output;
use clap::Args;
use std::io::Write;
use std::process::ExitCode;
use textnn::data::{parse_bytes, DataFormat, ReadOptions};
use textnn::metrics::Evaluator;
use textnn::TrainConfig;

const TRAIN: &[u8] = include_bytes!("../../../../data/ha_intents/train.txt");
const TEST: &[u8] = include_bytes!("../../../../data/ha_intents/test.txt");

/// Commands a user might say to a voice assistant.
const EXAMPLES: [&str; 6] = [
    "turn on the kitchen lights",
    "set a timer for 10 minutes",
    "what's the weather like",
    "turn the volume down",
    "is the front door locked",
    "pause the music",
];

/// Options of `textnn demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Also save the trained model here.
    #[arg(short, long, value_name = "MODEL")]
    pub output: Option<std::path::PathBuf>,
    /// Settings preset to train with.
    #[arg(long, default_value = "default")]
    pub preset: String,
}

pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let options = ReadOptions::default();
    let train = parse_bytes(
        "data/ha_intents/train.txt",
        TRAIN,
        DataFormat::FastText,
        &options,
    )?;
    let test = parse_bytes(
        "data/ha_intents/test.txt",
        TEST,
        DataFormat::FastText,
        &options,
    )?;
    let config = TrainConfig::preset(&args.preset)?;
    eprintln!(
        "Home Assistant intents: {} training and {} test commands, {} preset",
        train.len(),
        test.len(),
        config.preset
    );
    let started = std::time::Instant::now();
    let model = textnn::train(&config, &train, &mut |_| {})?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = &args.output {
        model.save(path)?;
    }

    let mut evaluator = Evaluator::new(model.labels().names().to_vec(), 1);
    let mut scratch = model.scratch();
    for example in &test {
        let gold: Vec<usize> = example
            .labels
            .iter()
            .filter_map(|l| model.labels().id(l).map(|id| id as usize))
            .collect();
        let loss = (!gold.is_empty()).then(|| model.loss_with(&example.text, &gold, &mut scratch));
        let predicted = model.predict_with(&example.text, 1, 0.0, &mut scratch);
        evaluator.add(&gold, &[], &predicted, loss);
    }
    let report = evaluator.finish();
    let mut out = output::stdout();
    writeln!(
        out,
        "trained in {seconds:.2}s: {}",
        model.network().config().describe()
    )?;
    writeln!(
        out,
        "test accuracy {:.4} (error rate {:.4}, mean loss {:.4}) on {} commands",
        report.accuracy, report.error_rate, report.loss, report.examples
    )?;
    writeln!(out)?;
    for text in EXAMPLES {
        let ranked = model.predict(text, 2, 0.0);
        let shown: Vec<String> = ranked
            .iter()
            .map(|&(id, p)| format!("{} {:.3}", model.label_name(id), p))
            .collect();
        writeln!(out, "{text:<32} → {}", shown.join(", "))?;
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}
