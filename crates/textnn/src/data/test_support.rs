//! The table-driven harness the readers' tests share: each row names a
//! case, gives the file contents and says what parsing them must give.

use super::{parse_bytes, DataFormat, ReadOptions};

/// What a table row expects: the examples as (text, labels, line), or
/// pieces the error message must contain.
pub(crate) enum Expect {
    Examples(&'static [(&'static str, &'static [&'static str], usize)]),
    Error(&'static [&'static str]),
}
pub(crate) use Expect::{Error as Fails, Examples as Gives};

/// The options for prediction input, where labels may be missing.
pub(crate) fn unlabelled() -> ReadOptions {
    ReadOptions {
        require_labels: false,
        ..ReadOptions::default()
    }
}

/// Parses each row's input as `format`, named `source` in messages, and
/// checks that it gives exactly the expected examples (texts, all labels in
/// order, lines) or fails with a message holding every expected piece.
pub(crate) fn check<I: AsRef<[u8]>>(
    format: DataFormat,
    source: &str,
    cases: &[(&str, I, Expect)],
    options: &ReadOptions,
) {
    for (name, input, expect) in cases {
        let result = parse_bytes(source, input.as_ref(), format, options);
        match (expect, result) {
            (Gives(expected), Ok(examples)) => {
                let got: Vec<(&str, Vec<&str>, usize)> = examples
                    .iter()
                    .map(|e| {
                        (
                            e.text.as_str(),
                            e.labels.iter().map(String::as_str).collect(),
                            e.line,
                        )
                    })
                    .collect();
                let want: Vec<(&str, Vec<&str>, usize)> = expected
                    .iter()
                    .map(|(t, l, n)| (*t, l.to_vec(), *n))
                    .collect();
                assert_eq!(got, want, "{name}");
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
