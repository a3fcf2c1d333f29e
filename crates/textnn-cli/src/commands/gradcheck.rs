//! `textnn gradcheck`: backpropagation against finite differences.

use crate::output;
use clap::Args;
use std::io::Write;
use std::process::ExitCode;
use textnn::nn::gradcheck::{all_cases, check, TOLERANCE};

/// Options of `textnn gradcheck`.
#[derive(Args, Debug)]
pub struct GradcheckArgs {
    /// Seed of the random networks.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: GradcheckArgs) -> anyhow::Result<ExitCode> {
    let mut out = output::stdout();
    writeln!(
        out,
        "max relative error |analytic - numeric| / max(|a|, |n|, 1e-6·max(1, |L|)) per parameter block (f64, central differences, h = 1e-5; pass < {TOLERANCE:e})"
    )?;
    writeln!(
        out,
        "{:<40} {:>11} {:>11} {:>11} {:>11} {:>11}  result",
        "combine + hidden + activation + loss",
        "embedding",
        "hidden 1",
        "hidden 2",
        "output W",
        "output b"
    )?;
    let mut failed = 0;
    let cases = all_cases();
    for (i, case) in cases.iter().enumerate() {
        let report = check(case, args.seed.wrapping_add(i as u64));
        let get = |name: &str| {
            report
                .blocks
                .iter()
                .filter(|b| b.block.starts_with(name))
                .map(|b| b.max_relative_error)
                .reduce(f64::max)
                .map_or("-".to_string(), |e| format!("{e:.2e}"))
        };
        let passed = report.passed();
        if !passed {
            failed += 1;
        }
        writeln!(
            out,
            "{:<40} {:>11} {:>11} {:>11} {:>11} {:>11}  {}",
            case.to_string(),
            get("embedding"),
            get("hidden 1"),
            get("hidden 2"),
            get("output weights"),
            get("output bias"),
            if passed { "ok" } else { "FAILED" }
        )?;
    }
    writeln!(
        out,
        "{} of {} combinations passed",
        cases.len() - failed,
        cases.len()
    )?;
    output::finish(out)?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
