//! The confusion analysis as `textnn test` prints it: the matrix (labels
//! ordered so that confused ones sit together) when there are few labels,
//! then the most confused pairs with example texts and their `FILE:LINE`.

use serde::Serialize;
use std::fmt::{self, Write};
use std::path::Path;
use textnn::confusion::Confusion;

/// Labels up to which the whole matrix is printed; beyond, only the
/// confused pairs (a matrix that wide no longer fits a terminal).
pub const MAX_MATRIX_LABELS: usize = 20;

/// Confused pairs printed.
pub const PAIRS_SHOWN: usize = 10;

/// Example texts kept (and printed) per confused pair.
pub const EXAMPLES_PER_PAIR: usize = 3;

/// Characters of an example's text printed before `…`.
const TEXT_CHARS: usize = 80;

/// The confusion with the file its example lines refer to, as `--json`
/// writes it.
#[derive(Serialize)]
pub struct ConfusionJson<'a> {
    /// The data file the examples' lines are in.
    pub file: String,
    /// The matrix, its order and its pairs.
    #[serde(flatten)]
    pub confusion: &'a Confusion,
}

/// The matrix (or a note that it is too wide) and the top confused pairs.
pub fn to_text(confusion: &Confusion, file: &Path) -> String {
    let mut out = String::new();
    write_text(&mut out, confusion, file).expect("writing to a String never fails");
    out
}

fn write_text(out: &mut String, confusion: &Confusion, file: &Path) -> fmt::Result {
    let n = confusion.labels.len();
    writeln!(out)?;
    if n <= MAX_MATRIX_LABELS {
        write_matrix(out, confusion)?;
    } else {
        writeln!(
            out,
            "confusion matrix: {n} labels, more than {MAX_MATRIX_LABELS}: only the confused pairs (--json has the matrix)"
        )?;
    }
    writeln!(out)?;
    if confusion.pairs.is_empty() {
        return writeln!(out, "confused pairs: none");
    }
    writeln!(
        out,
        "top confused pairs (gold -> predicted: examples, share of the gold label's examples)"
    )?;
    for pair in confusion.pairs.iter().take(PAIRS_SHOWN) {
        writeln!(
            out,
            "  {} -> {}: {} ({:.1}%)",
            pair.gold,
            pair.predicted,
            pair.count,
            100.0 * pair.rate
        )?;
        for example in &pair.examples {
            writeln!(
                out,
                "      {}:{}  {}",
                file.display(),
                example.line,
                shorten(&example.text)
            )?;
        }
    }
    if confusion.pairs.len() > PAIRS_SHOWN {
        writeln!(
            out,
            "  and {} more pairs",
            confusion.pairs.len() - PAIRS_SHOWN
        )?;
    }
    Ok(())
}

/// Rows are gold labels, columns predicted ones, both in the confusion's
/// order and numbered; `.` is 0.
fn write_matrix(out: &mut String, confusion: &Confusion) -> fmt::Result {
    let order = &confusion.order;
    let max = confusion
        .counts
        .iter()
        .flatten()
        .chain(&confusion.no_prediction)
        .max()
        .copied()
        .unwrap_or(0);
    let width = max.to_string().len().max(order.len().to_string().len()) + 1;
    let label_width = order
        .iter()
        .map(|&i| confusion.labels[i].chars().count())
        .max()
        .unwrap_or(0);
    let number_width = order.len().to_string().len();
    let show_none = confusion.no_prediction.iter().any(|&c| c > 0);
    writeln!(
        out,
        "confusion matrix (rows: gold, columns: predicted, numbered as the rows; confused labels sit together)"
    )?;
    write!(out, "{:>w$}", "", w = number_width + label_width + 3)?;
    for column in 1..=order.len() {
        write!(out, "{column:>width$}")?;
    }
    if show_none {
        write!(out, "  none")?;
    }
    writeln!(out)?;
    for (row_number, &row) in order.iter().enumerate() {
        write!(
            out,
            "{:>number_width$} {:<label_width$}  ",
            row_number + 1,
            confusion.labels[row]
        )?;
        for &column in order {
            let count = confusion.counts[row][column];
            if count == 0 {
                write!(out, "{:>width$}", ".")?;
            } else {
                write!(out, "{count:>width$}")?;
            }
        }
        if show_none {
            write!(out, "  {:>4}", confusion.no_prediction[row])?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// `text` on one line, cut to [`TEXT_CHARS`] characters.
pub fn shorten(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= TEXT_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(TEXT_CHARS - 1).collect();
    format!("{cut}…")
}
