//! fastText's format: `__label__a __label__b some text`, one example a line.
//!
//! The file arrives as checked UTF-8 and is cut into lines and words
//! without copying; each example costs one `String` for its text and one
//! for each label, so a line of any length is read in linear time.

use super::{push_unique, Example, ReadOptions, ReadReport};
use crate::{Error, Result};

/// Whether `c` separates words: the whitespace tokenizer's rule
/// ([`crate::text`]), Unicode white space plus NUL. It holds fastText's
/// own separators from `Dictionary::readWord` in `src/dictionary.cc`
/// (space, tab, newline, carriage return, vertical tab, form feed, NUL);
/// fastText stops at ASCII, but no-break and other Unicode spaces (U+00A0,
/// U+2003, U+3000) separate here too, because a no-break space pasted
/// after a label would otherwise glue the next word to the label.
fn is_separator(c: char) -> bool {
    crate::text::is_word_separator(c)
}

/// Splits one fastText-format line into (labels, text): words starting with
/// `label_prefix` anywhere in the line are labels (prefix removed, order
/// kept, repeats dropped), the remaining words joined by single spaces are
/// the text. Words are separated by Unicode white space and NUL (a superset
/// of fastText's `' '`, `'\t'`, `'\n'`, `'\r'`, `'\x0B'`, `'\x0C'`,
/// `'\0'`). A bare prefix yields an empty label, which the caller may
/// refuse; [`parse_bytes`](super::parse_bytes) does.
///
/// ```
/// use textnn::data::split_fasttext_line;
///
/// let (labels, text) = split_fasttext_line("__label__a  good\tday __label__b __label__a\r", "__label__");
/// assert_eq!(labels, ["a", "b"]);
/// assert_eq!(text, "good day");
/// let (labels, text) = split_fasttext_line("__label__a\u{A0}good\u{3000}day", "__label__");
/// assert_eq!((labels, text.as_str()), (vec!["a"], "good day"));
/// ```
pub fn split_fasttext_line<'a>(line: &'a str, label_prefix: &str) -> (Vec<&'a str>, String) {
    let mut labels = Vec::new();
    let mut text = String::new();
    split_into(line, label_prefix, &mut labels, &mut text);
    (labels, text)
}

/// The text of a fastText line whose labels all come first, borrowed
/// instead of rebuilt: the line after its leading label words, when no
/// later word starts with `label_prefix` (`None` otherwise, and for an
/// empty prefix: then [`split_fasttext_line`] is needed). Its words are
/// the words of [`split_fasttext_line`]'s text, apart by the line's own
/// separators instead of single spaces, so the whitespace tokenizer
/// ([`crate::text::TokenizerKind::Whitespace`]) gives both the same tokens.
///
/// ```
/// use textnn::data::text_after_leading_labels;
/// assert_eq!(text_after_leading_labels("__label__a  __label__b good\tday", "__label__"), Some("good\tday"));
/// assert_eq!(text_after_leading_labels("good __label__a day", "__label__"), None);
/// ```
pub fn text_after_leading_labels<'a>(line: &'a str, label_prefix: &str) -> Option<&'a str> {
    if label_prefix.is_empty() {
        return None;
    }
    let mut rest = line.trim_start_matches(is_separator);
    while let Some(label) = rest.strip_prefix(label_prefix) {
        let end = label.find(is_separator).unwrap_or(label.len());
        rest = label[end..].trim_start_matches(is_separator);
    }
    (!rest.contains(label_prefix)).then_some(rest)
}

/// [`split_fasttext_line`] into buffers the caller owns, so that parsing a
/// file reuses one label buffer for all its lines.
fn split_into<'a>(line: &'a str, label_prefix: &str, labels: &mut Vec<&'a str>, text: &mut String) {
    for word in line.split(is_separator).filter(|word| !word.is_empty()) {
        match word.strip_prefix(label_prefix) {
            Some(label) => {
                if !labels.contains(&label) {
                    labels.push(label);
                }
            }
            None => {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(word);
            }
        }
    }
}

/// Parses a whole fastText file. A line of labels only is skipped as
/// without text, a line without a label (when labels are required) as
/// without label; both are counted in `report`.
pub(super) fn parse(
    source: &str,
    content: &str,
    first_line: usize,
    options: &ReadOptions,
    report: &mut ReadReport,
) -> Result<Vec<Example>> {
    let prefix = options.label_prefix.as_str();
    // An empty prefix would make every word a label, and one containing a
    // separator could never match a word: both are setting mistakes.
    if prefix.is_empty() || prefix.contains(is_separator) {
        return Err(Error::InvalidConfig(format!(
            "the label prefix must be non-empty and contain no whitespace, got {prefix:?}"
        )));
    }

    let line_count = content.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut examples = Vec::with_capacity(line_count);
    let mut labels: Vec<&str> = Vec::new();
    for (index, line) in content.split('\n').enumerate() {
        let line_number = first_line + index;
        labels.clear();
        let mut text = String::with_capacity(line.len());
        split_into(line, prefix, &mut labels, &mut text);
        if labels.is_empty() && text.is_empty() {
            continue;
        }
        if labels.iter().any(|label| label.is_empty()) {
            return Err(Error::data(
                source,
                line_number,
                format!("empty label: a word {prefix:?} with nothing after the prefix"),
            ));
        }
        if text.is_empty() {
            report.without_text.add(line_number);
            continue;
        }
        if labels.is_empty() && options.require_labels {
            report.without_label.add(line_number);
            continue;
        }
        let mut owned_labels = Vec::with_capacity(labels.len());
        for label in &labels {
            push_unique(&mut owned_labels, label);
        }
        examples.push(Example {
            text,
            labels: owned_labels,
            line: line_number,
        });
    }
    Ok(examples)
}

#[cfg(test)]
mod tests {
    use super::super::parse_bytes;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Where the borrowed text is offered, the whitespace tokenizer
        /// finds in it the tokens of the rebuilt text.
        #[test]
        fn borrowed_text_tokenizes_as_the_split_text(
            line in "((__label__|__lab|x|é|\\.)[a-z]{0,3}|[ \t\u{a0}\u{3000}\u{0}]{1,2}){0,12}",
        ) {
            let pipeline = crate::text::TextPipeline::new(crate::text::TextConfig {
                tokenizer: crate::text::TokenizerKind::Whitespace,
                lowercase: false,
                stem: None,
            });
            let (_, text) = split_fasttext_line(&line, "__label__");
            if let Some(borrowed) = text_after_leading_labels(&line, "__label__") {
                prop_assert_eq!(pipeline.tokenize(borrowed), pipeline.tokenize(&text));
            } else {
                prop_assert!(line.contains("__label__"));
            }
        }
    }
    use crate::data::test_support::{check, unlabelled, Expect, Fails, Gives, Skips};
    use crate::data::DataFormat;

    #[test]
    fn lines_become_examples() {
        let cases: &[(&str, &[u8], Expect)] = &[
            (
                "one label",
                b"__label__a hello world\n",
                Gives(&[("hello world", &["a"], 1)]),
            ),
            (
                "labels anywhere",
                b"hello __label__b world __label__a",
                Gives(&[("hello world", &["b", "a"], 1)]),
            ),
            (
                "repeated label dropped",
                b"__label__a __label__a x __label__a",
                Gives(&[("x", &["a"], 1)]),
            ),
            (
                "all separators",
                b"__label__a\tx\x0By\x0Cz\0w  v\r",
                Gives(&[("x y z w v", &["a"], 1)]),
            ),
            (
                "crlf and no final newline",
                b"__label__a x\r\n__label__b y",
                Gives(&[("x", &["a"], 1), ("y", &["b"], 2)]),
            ),
            (
                "blank lines skipped, numbers kept",
                b"\n  \n__label__a x\n\t\r\n__label__b y\n\n",
                Gives(&[("x", &["a"], 3), ("y", &["b"], 5)]),
            ),
            (
                "byte-order mark",
                b"\xEF\xBB\xBF__label__a x\n",
                Gives(&[("x", &["a"], 1)]),
            ),
            (
                "unicode words",
                "__label__été çà  va\n".as_bytes(),
                Gives(&[("çà va", &["été"], 1)]),
            ),
            (
                "prefix inside a word is text",
                b"__label__a x__label__b\n",
                Gives(&[("x__label__b", &["a"], 1)]),
            ),
            (
                "no label: skipped",
                b"__label__a x\nhello there\n",
                Skips(&[("x", &["a"], 1)], &[], &[2]),
            ),
            (
                "labels but no text: skipped",
                b"__label__a x\n\n__label__a __label__b\n",
                Skips(&[("x", &["a"], 1)], &[3], &[]),
            ),
            (
                "unicode spaces separate words and labels",
                "__label__a\u{A0}x\u{2003}y\u{3000}z\u{202F}w\n".as_bytes(),
                Gives(&[("x y z w", &["a"], 1)]),
            ),
            (
                "nothing but skipped lines",
                b"hello\n__label__a\nthere\n",
                Fails(&[
                    "t.txt: no examples: skipped 3 lines: 1 without text (line 2), 2 without label (lines 1, 3)",
                    "labels from words starting with \"__label__\"",
                ]),
            ),
            (
                "empty label",
                b"__label__ x\n",
                Fails(&["t.txt:1:", "empty label", "\"__label__\""]),
            ),
            (
                "invalid utf-8",
                b"__label__a x\n__label__a ab\xFFc\n",
                Fails(&["t.txt:2:", "invalid UTF-8 at byte offset 13 of the line", "--lossy"]),
            ),
            (
                "truncated utf-8 at the end",
                b"__label__a x\xC3",
                Fails(&["t.txt:1:", "byte offset 12"]),
            ),
            ("only blank lines", b" \n\n", Fails(&["t.txt: no examples"])),
        ];
        check(
            DataFormat::FastText,
            "t.txt",
            cases,
            &ReadOptions::default(),
        );
    }

    #[test]
    fn prediction_input_may_lack_labels_but_not_text() {
        let cases: &[(&str, &[u8], Expect)] = &[
            (
                "unlabelled",
                b"hello there\n__label__a x\n",
                Gives(&[("hello there", &[], 1), ("x", &["a"], 2)]),
            ),
            (
                "labels but no text",
                b"x\n__label__a\n",
                Skips(&[("x", &[], 1)], &[2], &[]),
            ),
        ];
        check(DataFormat::FastText, "t.txt", cases, &unlabelled());
    }

    #[test]
    fn label_prefix_is_configurable() {
        let options = ReadOptions {
            label_prefix: "#".to_string(),
            ..ReadOptions::default()
        };
        let cases: &[(&str, &[u8], Expect)] = &[
            (
                "custom prefix",
                b"#spam buy now __label__x\n",
                Gives(&[("buy now __label__x", &["spam"], 1)]),
            ),
            (
                "error names the prefix",
                b"buy now\n",
                Fails(&[
                    "t.txt: no examples",
                    "1 without label (line 1)",
                    "words starting with \"#\"",
                ]),
            ),
        ];
        check(DataFormat::FastText, "t.txt", cases, &options);
    }

    #[test]
    fn unusable_prefixes_are_refused() {
        for prefix in ["", "__ label", "a\tb", "a\u{A0}b"] {
            let options = ReadOptions {
                label_prefix: prefix.to_string(),
                ..ReadOptions::default()
            };
            let error = parse_bytes("t.txt", b"x\n", DataFormat::FastText, &options).unwrap_err();
            assert!(
                matches!(error, Error::InvalidConfig(_)),
                "{prefix:?}: {error:?}"
            );
            assert!(
                error.to_string().contains(&format!("{prefix:?}")),
                "{error}"
            );
        }
    }

    #[test]
    fn split_fasttext_line_examples() {
        let cases: [(&str, &[&str], &str); 7] = [
            ("__label__a hello", &["a"], "hello"),
            ("hello   world", &[], "hello world"),
            ("", &[], ""),
            ("__label__a __label__b __label__a", &["a", "b"], ""),
            ("__label__ x", &[""], "x"),
            (" x\t__label__y\r\n", &["y"], "x"),
            ("\u{3000}x\u{A0}__label__y\u{2003}z\0", &["y"], "x z"),
        ];
        for (line, labels, text) in cases {
            assert_eq!(
                split_fasttext_line(line, "__label__"),
                (labels.to_vec(), text.to_string()),
                "{line:?}"
            );
        }
    }

    proptest::proptest! {
        /// Labels and words scattered with any separators come back as the
        /// labels in order without repeats and the words joined by spaces.
        #[test]
        fn scattered_labels_and_words_round_trip(
            tokens in proptest::collection::vec(
                (proptest::bool::ANY, "[a-zé0-9]{1,4}", "[ \t\x0B\x0C\r\x00]{1,3}"),
                1..12,
            ),
        ) {
            let mut line = String::new();
            let mut labels: Vec<String> = Vec::new();
            let mut words: Vec<&str> = Vec::new();
            for (is_label, word, separator) in &tokens {
                if *is_label {
                    line.push_str("__label__");
                    if !labels.contains(word) {
                        labels.push(word.clone());
                    }
                } else {
                    words.push(word);
                }
                line.push_str(word);
                line.push_str(separator);
            }
            let (got_labels, got_text) = split_fasttext_line(&line, "__label__");
            proptest::prop_assert_eq!(&got_labels, &labels);
            proptest::prop_assert_eq!(&got_text, &words.join(" "));

            let options = ReadOptions { require_labels: false, ..ReadOptions::default() };
            let file = format!("\n{line}\r\n");
            match parse_bytes("p.txt", file.as_bytes(), DataFormat::FastText, &options) {
                Ok(examples) => {
                    proptest::prop_assert_eq!(examples.len(), 1);
                    proptest::prop_assert_eq!(&examples[0].labels, &labels);
                    proptest::prop_assert_eq!(&examples[0].text, &words.join(" "));
                    proptest::prop_assert_eq!(examples[0].line, 2);
                }
                Err(error) => {
                    proptest::prop_assert!(words.is_empty(), "{}", error);
                    proptest::prop_assert!(
                        error.to_string().contains("p.txt: no examples: skipped 1 line: 1 without text (line 2)"),
                        "{}", error
                    );
                }
            }
        }
    }

    /// Not a unit test: times `parse_bytes` on a large real file.
    /// `TEXTNN_BENCH_FILE=... cargo test --release -p textnn --lib large_file -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn large_file_parses_quickly() {
        let Ok(path) = std::env::var("TEXTNN_BENCH_FILE") else {
            return;
        };
        let bytes = std::fs::read(&path).unwrap();
        // The best of a few runs, as the machine may be busy.
        let mut best = std::time::Duration::MAX;
        let mut count = 0;
        for _ in 0..5 {
            let start = std::time::Instant::now();
            let examples =
                parse_bytes(&path, &bytes, DataFormat::FastText, &ReadOptions::default()).unwrap();
            best = best.min(start.elapsed());
            count = examples.len();
        }
        let megabytes = bytes.len() as f64 / 1e6;
        println!(
            "{count} examples, {megabytes:.1} MB in {best:?} ({:.0} MB/s)",
            megabytes / best.as_secs_f64()
        );
    }
}
