//! `textnn`: train, test and use neural-network text classifiers.
//!
//! `main` parses the command line, runs one command and turns its result
//! into an exit code: 0 success, 1 runtime or data error, 2 usage error
//! (clap's own). Errors go to stderr as `textnn: FILE:LINE: reason`. A
//! closed stdout (`textnn predict ... | head`) is not an error.

mod args;
mod commands;
mod confusion;
mod environment;
mod interrupt;
mod output;
mod report;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// Neural-network text classification: one engine for the classic blog
/// network and fastText's model.
#[derive(Parser, Debug)]
#[command(name = "textnn", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a classifier on labelled text and save it.
    Train(Box<commands::train::TrainArgs>),
    /// Search training settings for the best validation score within a time budget, and save the best model.
    Autotune(Box<commands::autotune::AutotuneArgs>),
    /// Score a model on labelled text: accuracy, loss, P@k, R@k, per-label F1.
    Test(commands::test::TestArgs),
    /// Cross-validate: train one model per fold (train's options), print each metric's mean ± sd, write out-of-fold predictions.
    Cv(Box<commands::cv::CvArgs>),
    /// Find likely mislabelled examples, duplicates under different labels, labels with too few examples and labels to merge.
    Audit(Box<commands::audit::AuditArgs>),
    /// Print the top labels of each input line.
    Predict(commands::predict::PredictArgs),
    /// Classify text over HTTP: Rasa's /model/parse, /v1/classify, health, version and metrics.
    Serve(commands::serve::ServeArgs),
    /// Explain a prediction (each token's contribution), or trace the chain rule of one training step.
    Explain(commands::explain::ExplainArgs),
    /// Describe a model file: format, architecture, sizes, training settings.
    Info(commands::info::InfoArgs),
    /// Store a fastText .bin or .ftz model in a textnn model file that predicts the same.
    Convert(commands::convert::ConvertArgs),
    /// Prove backpropagation against finite differences for every activation × loss × depth × combine.
    Gradcheck(commands::gradcheck::GradcheckArgs),
    /// Train on the bundled Home Assistant intents, report test accuracy and classify a few commands.
    Demo(commands::demo::DemoArgs),
}

fn main() -> ExitCode {
    let command = Cli::command()
        .mut_subcommand("train", |c| c.after_help(args::preset_table()))
        .mut_subcommand("cv", |c| c.after_help(args::preset_table()))
        .mut_subcommand("audit", |c| c.after_help(args::preset_table()));
    let matches = command.get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The environment is read here, not in the library: TEXTNN_KERNELS picks
    // the f32 kernels before any work; a misspelt value is a usage error.
    if let Err(e) = environment::select_kernels() {
        eprintln!("textnn: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Train(a) => commands::train::run(*a),
        Command::Autotune(a) => commands::autotune::run(*a),
        Command::Test(a) => commands::test::run(a),
        Command::Cv(a) => commands::cv::run(*a),
        Command::Audit(a) => commands::audit::run(*a),
        Command::Predict(a) => commands::predict::run(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Explain(a) => commands::explain::run(a),
        Command::Info(a) => commands::info::run(a),
        Command::Convert(a) => commands::convert::run(a),
        Command::Gradcheck(a) => commands::gradcheck::run(a),
        Command::Demo(a) => commands::demo::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e)
            if e.downcast_ref::<textnn::Error>()
                .is_some_and(textnn::Error::is_interruption) =>
        {
            // The shell's code for "ended by Ctrl-C" (128 + SIGINT).
            eprintln!("textnn: {e:#}");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("textnn: {e:#}");
            ExitCode::from(1)
        }
    }
}
