//! Readers that turn labelled-text files into [`Example`]s.
//!
//! Each reader reads the whole file with one bulk read, parses it in memory
//! and stops at the first malformed line with an [`Error::Data`] that names
//! `FILE:LINE` and what is wrong there. A file that yields no example at all
//! is an [`Error::Input`] ("no examples"). [`DataFormat::from_path`] picks
//! the format from the extension unless [`ReadOptions::format`] says otherwise.
//!
//! Texts are kept as written, except that fastText joins words with single
//! spaces; a text that is empty or only whitespace is an error. Labels from
//! CSV, TSV and JSON lose surrounding whitespace, and an empty label given
//! explicitly (`__label__` alone, `"label": ""`) is an error.
//! With [`ReadOptions::require_labels`] (the default, for training and test
//! files) every example needs at least one label; prediction input may have
//! none.
//!
//! # fastText (`.txt` and anything not listed below)
//!
//! One example a line. Words starting with the label prefix (`__label__`)
//! are labels wherever they stand, several labels make a multi-label example
//! (order kept, repeats dropped); the other words, joined by single spaces,
//! are the text. Words are split on the same bytes as in fastText
//! (`' '`, `'\t'`, `'\n'`, `'\r'`, `'\x0B'`, `'\x0C'`, `'\0'`), so CRLF line
//! ends work; blank lines are skipped and a byte-order mark is ignored.
//!
//! ```
//! use textnn::data::{parse_bytes, DataFormat, ReadOptions};
//!
//! let file = "__label__greeting hello  there\n\n__label__a how are you __label__b\n";
//! let examples = parse_bytes("train.txt", file.as_bytes(), DataFormat::FastText,
//!                            &ReadOptions::default())?;
//! assert_eq!(examples[0].text, "hello there");
//! assert_eq!(examples[0].labels, ["greeting"]);
//! assert_eq!((examples[1].labels.len(), examples[1].line), (2, 3));
//! # Ok::<(), textnn::Error>(())
//! ```
//!
//! # CSV (`.csv`) and TSV (`.tsv`, `.tab`)
//!
//! A header row names the columns; the text is read from the column named
//! [`ReadOptions::text_column`] (`text`), the label from
//! [`ReadOptions::label_column`] (`label`), other columns are ignored. A cell
//! holds one label, taken whole (a comma in it is not a separator). Quoted
//! fields may hold commas, quotes (`""`) and newlines, in TSV as in CSV;
//! [`Example::line`] is the line where the record starts. Every record must
//! have as many fields as the header.
//!
//! ```
//! use textnn::data::{parse_bytes, DataFormat, ReadOptions};
//!
//! let file = "id,text,label\n1,\"hello, you\",greeting\n2,\"two\nlines\",other\n";
//! let examples = parse_bytes("train.csv", file.as_bytes(), DataFormat::Csv,
//!                            &ReadOptions::default())?;
//! assert_eq!(examples[0].text, "hello, you");
//! assert_eq!((examples[1].text.as_str(), examples[1].line), ("two\nlines", 3));
//! # Ok::<(), textnn::Error>(())
//! ```
//!
//! # JSON Lines (`.jsonl`, `.ndjson`)
//!
//! One JSON object a line, with a string `"text"` and either `"label"` (one
//! label) or `"labels"` (an array of them). A label may also be an integer,
//! which becomes its decimal digits, as in many published data sets; a
//! `null` label counts as none. Other keys are ignored, blank lines skipped.
//!
//! ```
//! use textnn::data::{parse_bytes, DataFormat, ReadOptions};
//!
//! let file = r#"{"text": "hello there", "label": "greeting"}
//! {"text": "red and blue", "labels": ["red", "blue"], "id": 7}
//! {"text": "five stars", "label": 5}
//! "#;
//! let examples = parse_bytes("train.jsonl", file.as_bytes(), DataFormat::Jsonl,
//!                            &ReadOptions::default())?;
//! assert_eq!(examples[1].labels, ["red", "blue"]);
//! assert_eq!(examples[2].labels, ["5"]);
//! # Ok::<(), textnn::Error>(())
//! ```
//!
//! # Intents JSON (`.json`)
//!
//! Either the classic blog's array of `{"class": ..., "sentence": ...}`
//! objects, or the chatbot format `{"intents": [{"tag": ..., "patterns":
//! [...]}, ...]}` in which every pattern is one example labelled with its
//! tag (other keys such as `"responses"` are ignored, and a blank pattern is
//! skipped like a blank line). [`Example::line`] is the line where the
//! array item starts (classic) or where the pattern string stands
//! (chatbot); the file is scanned once more to find these, since serde_json
//! does not report positions of values.
//!
//! ```
//! use textnn::data::{parse_bytes, DataFormat, ReadOptions};
//!
//! let classic = r#"[
//!   {"class": "greeting", "sentence": "how are you?"},
//!   {"class": "goodbye", "sentence": "see you later"}
//! ]"#;
//! let chatbot = r#"{"intents": [
//!   {"tag": "greeting", "patterns": ["hi", "hello"], "responses": ["Hey!"]}
//! ]}"#;
//! let options = ReadOptions::default();
//! let examples = parse_bytes("blog.json", classic.as_bytes(), DataFormat::Intents, &options)?;
//! assert_eq!((examples[1].labels[0].as_str(), examples[1].line), ("goodbye", 3));
//! let examples = parse_bytes("bot.json", chatbot.as_bytes(), DataFormat::Intents, &options)?;
//! assert_eq!(examples.len(), 2);
//! assert_eq!(examples[1].text, "hello");
//! # Ok::<(), textnn::Error>(())
//! ```

mod delimited;
mod fasttext;
mod intents;
mod json;
mod jsonl;
#[cfg(test)]
mod test_support;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::{Error, Result};

pub use fasttext::split_fasttext_line;

/// One labelled text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    /// The text to classify.
    pub text: String,
    /// Its labels without the label prefix, in file order, without repeats;
    /// empty only when [`ReadOptions::require_labels`] is false.
    pub labels: Vec<String>,
    /// 1-based line where the record starts (see each format for details).
    pub line: usize,
}

/// The supported input formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFormat {
    /// `__label__a __label__b some text`, one example a line.
    FastText,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// One JSON object a line: `{"text": ..., "label": ...}`.
    Jsonl,
    /// A JSON array of `{"class", "sentence"}` objects, or `{"intents": [...]}`.
    Intents,
}

/// Every format, in the order error messages list them.
const ALL_FORMATS: [DataFormat; 5] = [
    DataFormat::FastText,
    DataFormat::Csv,
    DataFormat::Tsv,
    DataFormat::Jsonl,
    DataFormat::Intents,
];

impl DataFormat {
    /// Guesses the format from the extension (case-insensitive): `.csv` →
    /// Csv, `.tsv`/`.tab` → Tsv, `.jsonl`/`.ndjson` → Jsonl, `.json` →
    /// Intents, anything else (`.txt`, none) → FastText, as fastText's own
    /// files have no fixed extension.
    pub fn from_path(path: &Path) -> DataFormat {
        let Some(extension) = path.extension().and_then(|e| e.to_str()) else {
            return DataFormat::FastText;
        };
        let is = |name: &str| extension.eq_ignore_ascii_case(name);
        if is("csv") {
            DataFormat::Csv
        } else if is("tsv") || is("tab") {
            DataFormat::Tsv
        } else if is("jsonl") || is("ndjson") {
            DataFormat::Jsonl
        } else if is("json") {
            DataFormat::Intents
        } else {
            DataFormat::FastText
        }
    }

    /// The name that [`FromStr`] accepts and [`fmt::Display`] prints.
    fn name(self) -> &'static str {
        match self {
            DataFormat::FastText => "fasttext",
            DataFormat::Csv => "csv",
            DataFormat::Tsv => "tsv",
            DataFormat::Jsonl => "jsonl",
            DataFormat::Intents => "intents",
        }
    }
}

impl FromStr for DataFormat {
    type Err = Error;

    /// Parses `fasttext`, `csv`, `tsv`, `jsonl` or `intents`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        ALL_FORMATS
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let choices: Vec<&str> = ALL_FORMATS.iter().map(|format| format.name()).collect();
                Error::InvalidConfig(format!(
                    "unknown data format {s:?}, expected one of: {}",
                    choices.join(", ")
                ))
            })
    }
}

impl fmt::Display for DataFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How to read a file.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The format; `None` guesses it with [`DataFormat::from_path`].
    pub format: Option<DataFormat>,
    /// fastText only: words starting with this are labels (default `__label__`).
    pub label_prefix: String,
    /// CSV/TSV only: header name of the text column (default `text`).
    pub text_column: String,
    /// CSV/TSV only: header name of the label column (default `label`).
    pub label_column: String,
    /// Every example must have at least one label (default true, for
    /// training and test files); false for prediction input, where the CSV
    /// label column may also be missing.
    pub require_labels: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            label_prefix: "__label__".to_string(),
            text_column: "text".to_string(),
            label_column: "label".to_string(),
            require_labels: true,
        }
    }
}

/// Reads a whole file with one bulk read and parses it in the format given
/// by `options` (or guessed from the extension). `path` is shown in errors
/// as given. A missing file is an [`Error::Io`], a directory an
/// [`Error::Input`].
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<Vec<Example>> {
    let source = path.display().to_string();
    // Reading a directory fails only at `read` with a terse "Is a directory"
    // on Linux and differently elsewhere, so say it plainly first.
    if path.is_dir() {
        return Err(Error::Input {
            path: source,
            message: "is a directory, expected a data file".to_string(),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let format = options
        .format
        .unwrap_or_else(|| DataFormat::from_path(path));
    parse_bytes(&source, &bytes, format, options)
}

/// Parses file contents already in memory; `source` is the name used in
/// error messages. Fails on the first malformed record, and with
/// [`Error::Input`] "no examples" when nothing but blank lines (or a CSV
/// header) was found.
pub fn parse_bytes(
    source: &str,
    bytes: &[u8],
    format: DataFormat,
    options: &ReadOptions,
) -> Result<Vec<Example>> {
    let examples = match format {
        DataFormat::FastText => fasttext::parse(source, bytes, options)?,
        DataFormat::Csv => delimited::parse(source, bytes, b',', options)?,
        DataFormat::Tsv => delimited::parse(source, bytes, b'\t', options)?,
        DataFormat::Jsonl => jsonl::parse(source, bytes, options)?,
        DataFormat::Intents => intents::parse(source, bytes, options)?,
    };
    if examples.is_empty() {
        let why = match format {
            DataFormat::Csv | DataFormat::Tsv => "the file is empty or has only a header",
            DataFormat::Intents => "the file lists no sentences",
            DataFormat::FastText | DataFormat::Jsonl => "the file is empty or has only blank lines",
        };
        return Err(input_error(source, format!("no examples ({why})")));
    }
    Ok(examples)
}

/// Builds an [`Error::Input`] for `source`.
fn input_error(source: &str, message: impl Into<String>) -> Error {
    Error::Input {
        path: source.to_string(),
        message: message.into(),
    }
}

/// Drops a UTF-8 byte-order mark, which some editors on Windows write at
/// the start of text files.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Appends `label` unless it is already there: a repeated label adds
/// nothing to a multi-label target. Linear, as examples have few labels.
fn push_unique(labels: &mut Vec<String>, label: &str) {
    if !labels.iter().any(|known| known == label) {
        labels.push(label.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn from_path_follows_the_extension() {
        let cases = [
            ("train.csv", DataFormat::Csv),
            ("DATA.CSV", DataFormat::Csv),
            ("a/b.tsv", DataFormat::Tsv),
            ("x.tab", DataFormat::Tsv),
            ("x.jsonl", DataFormat::Jsonl),
            ("x.ndjson", DataFormat::Jsonl),
            ("intents.json", DataFormat::Intents),
            ("train.txt", DataFormat::FastText),
            ("train", DataFormat::FastText),
            ("train.csv.txt", DataFormat::FastText),
            (".csv", DataFormat::FastText), // a hidden file named ".csv" has no extension
        ];
        for (path, expected) in cases {
            assert_eq!(DataFormat::from_path(Path::new(path)), expected, "{path}");
        }
    }

    #[test]
    fn format_names_round_trip_and_unknown_names_list_the_choices() {
        let names = ["fasttext", "csv", "tsv", "jsonl", "intents"];
        for (format, name) in ALL_FORMATS.into_iter().zip(names) {
            assert_eq!(format.to_string(), name);
            assert_eq!(name.parse::<DataFormat>().unwrap(), format);
            assert_eq!(name.to_uppercase().parse::<DataFormat>().unwrap(), format);
        }
        let message = "xml".parse::<DataFormat>().unwrap_err().to_string();
        assert!(message.contains("\"xml\""), "{message}");
        assert!(
            message.contains("fasttext, csv, tsv, jsonl, intents"),
            "{message}"
        );
    }

    #[test]
    fn empty_input_is_no_examples_in_every_format() {
        let inputs: [&[u8]; 5] = [b"", b"\n", b"  \r\n\t\n", b"\xEF\xBB\xBF", b"\n\n\n"];
        for format in ALL_FORMATS {
            for bytes in inputs {
                let error = parse_bytes("e.x", bytes, format, &ReadOptions::default())
                    .unwrap_err()
                    .to_string();
                assert!(
                    error.starts_with("e.x: no examples"),
                    "{format} {bytes:?}: {error}"
                );
            }
        }
    }

    #[test]
    fn read_file_reads_each_format_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        // (file name, content, line of the one example)
        let cases = [
            ("t.txt", "__label__a hello\n", 1),
            ("t.csv", "text,label\nhello,a\n", 2),
            ("t.tsv", "label\ttext\na\thello\n", 2),
            ("t.jsonl", "{\"text\":\"hello\",\"label\":\"a\"}\n", 1),
            ("t.json", "[{\"class\":\"a\",\"sentence\":\"hello\"}]", 1),
        ];
        for (name, content, line) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            let examples = read_file(&path, &ReadOptions::default()).unwrap();
            let expected = Example {
                text: "hello".to_string(),
                labels: vec!["a".to_string()],
                line,
            };
            assert_eq!(examples, [expected], "{name}");
        }
    }

    #[test]
    fn read_file_honours_an_explicit_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.txt");
        std::fs::write(&path, "text,label\nhello,a\n").unwrap();
        let options = ReadOptions {
            format: Some(DataFormat::Csv),
            ..ReadOptions::default()
        };
        let examples = read_file(&path, &options).unwrap();
        assert_eq!(examples[0].labels, ["a"]);
    }

    #[test]
    fn read_file_reports_missing_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.txt");
        let error = read_file(&missing, &ReadOptions::default()).unwrap_err();
        assert!(matches!(error, Error::Io { .. }), "{error:?}");
        assert!(error.to_string().contains("missing.txt"), "{error}");

        let error = read_file(dir.path(), &ReadOptions::default()).unwrap_err();
        assert!(matches!(error, Error::Input { .. }), "{error:?}");
        assert!(error.to_string().contains("is a directory"), "{error}");
    }

    /// Options with and without required labels, for the no-panic properties.
    fn both_options() -> [ReadOptions; 2] {
        let lenient = ReadOptions {
            require_labels: false,
            ..ReadOptions::default()
        };
        [ReadOptions::default(), lenient]
    }

    /// Pieces that reach deep into every parser, so that random inputs are
    /// not all rejected on their first byte.
    fn fragments() -> impl Strategy<Value = Vec<u8>> {
        let pieces: Vec<&'static [u8]> = vec![
            b"__label__",
            b"__label__a",
            b"text",
            b"label",
            b"labels",
            b"class",
            b"sentence",
            b"intents",
            b"tag",
            b"patterns",
            b"\"",
            b"\\",
            b"\\u00e9",
            b",",
            b"\t",
            b" ",
            b"\n",
            b"\r\n",
            b"\r",
            b"\0",
            b"{",
            b"}",
            b"[",
            b"]",
            b":",
            b"1",
            b"null",
            b"\xEF\xBB\xBF",
            b"\xC3\xA9",
            b"\xFF",
            b"\xE2\x82",
            b"word",
        ];
        proptest::collection::vec(proptest::sample::select(pieces), 0..64)
            .prop_map(|chosen| chosen.concat())
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            for format in ALL_FORMATS {
                for options in both_options() {
                    let _ = parse_bytes("p", &bytes, format, &options);
                }
            }
        }

        #[test]
        fn arbitrary_fragments_never_panic(bytes in fragments()) {
            for format in ALL_FORMATS {
                for options in both_options() {
                    if let Ok(examples) = parse_bytes("p", &bytes, format, &options) {
                        for example in examples {
                            prop_assert!(!example.text.trim().is_empty());
                            prop_assert!(example.line >= 1);
                            prop_assert!(!options.require_labels || !example.labels.is_empty());
                        }
                    }
                }
            }
        }
    }
}
