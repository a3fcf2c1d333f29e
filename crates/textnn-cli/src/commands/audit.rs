//! `textnn audit DATA [--folds K] [train options]`: cross-validates DATA
//! (as `textnn cv`), then lists what in the data deserves a look: likely
//! mislabelled examples with the label the model suggests, duplicates
//! under different labels, labels with too few examples, and label pairs
//! the model cannot tell apart; each finding with its `FILE:LINE`.

use crate::commands::cv::FoldArgs;
use crate::confusion::shorten;
use crate::output;
use clap::Args;
use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;
use textnn::audit::{audit, Audit, AuditSettings, Match};

/// Options of `textnn audit`.
#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub fold: FoldArgs,
    /// Report labels with fewer examples than this.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_examples: usize,
    /// Report label pairs whose examples are predicted as each other at least at this rate (0 to 1) as merge candidates.
    #[arg(long, value_name = "RATE", default_value_t = 0.2)]
    pub merge_rate: f64,
    /// Likely mislabelled examples listed in the table (--json lists them all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Print one JSON object instead of tables; every finding has its file and line.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    if !(0.0..=1.0).contains(&args.merge_rate) {
        anyhow::bail!(
            "--merge-rate must be between 0 and 1, got {}",
            args.merge_rate
        );
    }
    let (examples, cv) = args.fold.cross_validate()?;
    let settings = AuditSettings {
        min_examples: args.min_examples,
        merge_rate: args.merge_rate,
    };
    let found = audit(&examples, &cv, &settings);
    let file = args.fold.input.display().to_string();
    let mut out = output::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &to_json(&found, &file, examples.len())?)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", to_text(&found, &file, &args))?;
    }
    output::finish(out)?;
    Ok(ExitCode::SUCCESS)
}

/// The audit as JSON: `file` and `examples` at the top, and `file` in
/// every finding.
fn to_json(found: &Audit, file: &str, examples: usize) -> anyhow::Result<serde_json::Value> {
    let mut json = serde_json::to_value(found)?;
    if let Some(sections) = json.as_object_mut() {
        for findings in sections.values_mut().filter_map(|v| v.as_array_mut()) {
            for finding in findings.iter_mut().filter_map(|f| f.as_object_mut()) {
                finding.insert("file".into(), file.into());
            }
        }
        sections.insert("file".into(), file.into());
        sections.insert("examples".into(), examples.into());
    }
    Ok(json)
}

/// The four sections as tables.
fn to_text(found: &Audit, file: &str, args: &AuditArgs) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = write_text(&mut out, found, file, args);
    out
}

fn write_text(out: &mut String, found: &Audit, file: &str, args: &AuditArgs) -> std::fmt::Result {
    writeln!(
        out,
        "likely mislabelled: {} examples whose out-of-fold prediction disagrees, most confident first",
        found.mislabelled.len()
    )?;
    if !found.mislabelled.is_empty() {
        writeln!(
            out,
            "  {:>4}  {:<24} {:>7} {:>7}  given -> suggested: text",
            "rank", "where", "p(given)", "p(sugg)"
        )?;
    }
    for (rank, suspect) in found.mislabelled.iter().take(args.top).enumerate() {
        writeln!(
            out,
            "  {:>4}  {:<24} {:>8.3} {:>7.3}  {} -> {}: {}",
            rank + 1,
            format!("{file}:{}", suspect.line),
            suspect.given_probability,
            suspect.suggested_probability,
            suspect.given.join(","),
            suspect.suggested,
            shorten(&suspect.text)
        )?;
    }
    if found.mislabelled.len() > args.top {
        writeln!(
            out,
            "  and {} more (--top N, or --json for all)",
            found.mislabelled.len() - args.top
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "duplicates under different labels: {} groups",
        found.duplicates.len()
    )?;
    for group in &found.duplicates {
        let kind = match group.kind {
            Match::Exact => "exact",
            Match::Near => "near (same words)",
        };
        writeln!(out, "  {kind}: {}", shorten(&group.key))?;
        for member in &group.members {
            writeln!(
                out,
                "      {file}:{}  {}: {}",
                member.line,
                member.labels.join(","),
                shorten(&member.text)
            )?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "labels with fewer than {} examples: {}",
        args.min_examples,
        found.small_labels.len()
    )?;
    for small in &found.small_labels {
        let lines: Vec<String> = small.lines.iter().map(|l| l.to_string()).collect();
        writeln!(
            out,
            "  {} ({}): {file}:{}",
            small.label,
            small.count,
            lines.join(",")
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "merge candidates (labels predicted as each other in at least {:.0}% of their examples): {}",
        100.0 * args.merge_rate,
        found.merge_candidates.len()
    )?;
    for pair in &found.merge_candidates {
        let lines: Vec<String> = pair.lines.iter().take(10).map(|l| l.to_string()).collect();
        writeln!(
            out,
            "  {} <-> {}: {} as {}, {} as {} ({:.1}%); {file}:{}{}",
            pair.first,
            pair.second,
            pair.first_as_second,
            pair.second,
            pair.second_as_first,
            pair.first,
            100.0 * pair.rate,
            lines.join(","),
            if pair.lines.len() > 10 { ",…" } else { "" }
        )?;
    }
    Ok(())
}
