//! The table-driven harness the readers' tests share: each row names a
//! case, gives the file contents and says what parsing them must give.

use super::{parse_dataset, DataFormat, ReadOptions};

/// Examples as (text, labels, line).
pub(crate) type Rows = &'static [(&'static str, &'static [&'static str], usize)];

/// What a table row expects: the examples from a file with nothing skipped
/// or repaired; the examples and the lines skipped without text and without
/// label; or pieces the error message must contain.
pub(crate) enum Expect {
    Examples(Rows),
    Skipping(Rows, &'static [usize], &'static [usize]),
    Error(&'static [&'static str]),
}
pub(crate) use Expect::{Error as Fails, Examples as Gives, Skipping as Skips};

/// The options for prediction input, where labels may be missing.
pub(crate) fn unlabelled() -> ReadOptions {
    ReadOptions {
        require_labels: false,
        ..ReadOptions::default()
    }
}

/// (text, labels, line) of each example, for comparisons.
fn rows(examples: &[super::Example]) -> Vec<(&str, Vec<&str>, usize)> {
    examples
        .iter()
        .map(|e| {
            (
                e.text.as_str(),
                e.labels.iter().map(String::as_str).collect(),
                e.line,
            )
        })
        .collect()
}

/// The expected rows in the same shape as [`rows`].
fn wanted(expected: Rows) -> Vec<(&'static str, Vec<&'static str>, usize)> {
    expected
        .iter()
        .map(|(t, l, n)| (*t, l.to_vec(), *n))
        .collect()
}

/// Parses each row's input as `format`, named `source` in messages, and
/// checks that it gives exactly the expected examples (texts, all labels in
/// order, lines) and skips exactly the expected lines, or fails with a
/// message holding every expected piece.
pub(crate) fn check<I: AsRef<[u8]>>(
    format: DataFormat,
    source: &str,
    cases: &[(&str, I, Expect)],
    options: &ReadOptions,
) {
    for (name, input, expect) in cases {
        let result = parse_dataset(source, input.as_ref(), format, options);
        match (expect, result) {
            (Gives(expected), Ok(dataset)) => {
                assert_eq!(rows(&dataset.examples), wanted(expected), "{name}");
                assert!(dataset.report.is_clean(), "{name}: {:?}", dataset.report);
            }
            (Skips(expected, without_text, without_label), Ok(dataset)) => {
                assert_eq!(rows(&dataset.examples), wanted(expected), "{name}");
                let report = &dataset.report;
                assert_eq!(report.without_text.first, *without_text, "{name}");
                assert_eq!(report.without_text.count, without_text.len(), "{name}");
                assert_eq!(report.without_label.first, *without_label, "{name}");
                assert_eq!(report.without_label.count, without_label.len(), "{name}");
                assert_eq!(report.replaced_utf8.count, 0, "{name}");
            }
            (Fails(pieces), Err(error)) => {
                let message = error.to_string();
                for piece in *pieces {
                    assert!(
                        message.contains(piece),
                        "{name}: {message:?} lacks {piece:?}"
                    );
                }
            }
            (_, result) => panic!("{name}: unexpected {result:?}"),
        }
    }
}
