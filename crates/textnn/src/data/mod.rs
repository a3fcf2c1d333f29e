//! Readers that turn labelled-text files into [`Example`]s.
//!
//! Each reader reads the whole file with one bulk read, parses it in memory
//! and stops at the first malformed line with an [`Error::Data`] that names
//! `FILE:LINE` and what is wrong there. A file that yields no example at all
//! is an [`Error::Input`] ("no examples"). [`DataFormat::from_path`] picks
//! the format from the extension unless [`ReadOptions::format`] says otherwise.
//!
//! The whole file must be UTF-8: the first invalid byte is an error naming
//! its line and its byte offset in that line, unless [`ReadOptions::lossy`]
//! replaces each invalid sequence with U+FFFD (and counts the lines it
//! repaired). A UTF-8 byte-order mark is ignored in every format.
//!
//! Texts are kept as written, except that fastText joins words with single
//! spaces. Labels from CSV, TSV and JSON lose surrounding whitespace, and an
//! empty label given explicitly (`__label__` alone, `"label": ""`) is an
//! error. A record whose text is missing or blank, or (with
//! [`ReadOptions::require_labels`], the default for training and test
//! files) that has no label, is **skipped and counted** in the
//! [`ReadReport`] that [`read_dataset`] and [`parse_dataset`] return, as
//! fastText skips such lines; a value of the wrong type is an error.
//! Blank lines (and blank chatbot patterns) are skipped without counting.
//! The table of every case is in `docs/input-formats.md`.
//!
//! # fastText (`.txt` and anything not listed below)
//!
//! One example a line. Words starting with the label prefix (`__label__`)
//! are labels wherever they stand, several labels make a multi-label example
//! (order kept, repeats dropped); the other words, joined by single spaces,
//! are the text. Words are split on Unicode white space (fastText's ASCII
//! separators `' '`, `'\t'`, `'\r'`, `'\x0B'`, `'\x0C'`, plus no-break and
//! other Unicode spaces such as U+00A0, U+2003 and U+3000) and on NUL, so
//! CRLF line ends work and a no-break space after a label does not glue the
//! next word to it; blank lines are skipped.
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

mod blocks;
mod delimited;
mod fasttext;
mod intents;
mod json;
mod jsonl;
#[cfg(test)]
mod test_support;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::{Error, Result};

pub use blocks::{read_blocks, BLOCK_BYTES};
pub use fasttext::{split_fasttext_line, text_after_leading_labels};

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
    /// training and test files): a record without one is skipped and
    /// counted. False for prediction input, where the CSV label column may
    /// also be missing.
    pub require_labels: bool,
    /// Replace each invalid UTF-8 sequence with U+FFFD (and count the lines
    /// repaired) instead of refusing the file (default false).
    pub lossy: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: None,
            label_prefix: "__label__".to_string(),
            text_column: "text".to_string(),
            label_column: "label".to_string(),
            require_labels: true,
            lossy: false,
        }
    }
}

/// Some lines of a file: how many, and the first few line numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineSample {
    /// How many lines.
    pub count: usize,
    /// The 1-based numbers of the first [`LineSample::KEPT`] of them, in
    /// file order (a count, not a list, keeps a file of millions of bad
    /// lines from costing memory).
    pub first: Vec<usize>,
}

impl LineSample {
    /// How many line numbers [`LineSample::first`] keeps.
    pub const KEPT: usize = 5;

    /// Counts line `line`.
    fn add(&mut self, line: usize) {
        self.count += 1;
        if self.first.len() < Self::KEPT {
            self.first.push(line);
        }
    }

    /// `2 without text (lines 4, 9)`, or `1 without label (line 7)`, or
    /// `7 ... (lines 1, 2, 3, 4, 5, ...)` when some numbers were not kept.
    fn describe(&self, what: &str) -> String {
        let numbers: Vec<String> = self.first.iter().map(usize::to_string).collect();
        let more = if self.count > self.first.len() {
            ", ..."
        } else {
            ""
        };
        let noun = if self.count == 1 { "line" } else { "lines" };
        format!(
            "{} {what} ({noun} {}{more})",
            self.count,
            numbers.join(", ")
        )
    }
}

/// What reading a file left out or repaired. A clean file gives the
/// default, empty report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadReport {
    /// Records skipped because their text is missing or blank (a fastText
    /// line of labels only, an empty CSV cell, `"text": ""`).
    pub without_text: LineSample,
    /// Records skipped because they have no label while
    /// [`ReadOptions::require_labels`] asks for one.
    pub without_label: LineSample,
    /// Lines kept after their invalid UTF-8 was replaced with U+FFFD
    /// ([`ReadOptions::lossy`]).
    pub replaced_utf8: LineSample,
}

impl ReadReport {
    /// How many records were skipped, for any reason.
    pub fn skipped(&self) -> usize {
        self.without_text.count + self.without_label.count
    }

    /// Whether nothing was skipped or repaired.
    pub fn is_clean(&self) -> bool {
        self.skipped() == 0 && self.replaced_utf8.count == 0
    }
}

/// `skipped 3 lines: 2 without text (lines 4, 9), 1 without label (line 7);
/// replaced invalid UTF-8 with U+FFFD on 1 line (line 2)`; empty for a
/// clean report.
impl fmt::Display for ReadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if self.skipped() > 0 {
            let reasons: Vec<String> = [
                (&self.without_text, "without text"),
                (&self.without_label, "without label"),
            ]
            .into_iter()
            .filter(|(sample, _)| sample.count > 0)
            .map(|(sample, what)| sample.describe(what))
            .collect();
            let noun = if self.skipped() == 1 { "line" } else { "lines" };
            parts.push(format!(
                "skipped {} {noun}: {}",
                self.skipped(),
                reasons.join(", ")
            ));
        }
        if self.replaced_utf8.count > 0 {
            let noun = if self.replaced_utf8.count == 1 {
                "line"
            } else {
                "lines"
            };
            parts.push(format!(
                "replaced invalid UTF-8 with U+FFFD on {}",
                self.replaced_utf8.describe(noun)
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

/// The examples of a file and what reading it left out or repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dataset {
    /// The examples, in file order.
    pub examples: Vec<Example>,
    /// The records skipped and the lines repaired.
    pub report: ReadReport,
}

/// Reads a whole file with one bulk read and parses it in the format given
/// by `options` (or guessed from the extension). `path` is shown in errors
/// as given. A missing file is an [`Error::Io`], a directory an
/// [`Error::Input`]; both name the path.
pub fn read_dataset(path: &Path, options: &ReadOptions) -> Result<Dataset> {
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
    parse_dataset(&source, &bytes, format, options)
}

/// [`read_dataset`] without the [`ReadReport`]: for files known to be
/// clean, such as bundled data. Skipped records are still left out.
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<Vec<Example>> {
    read_dataset(path, options).map(|dataset| dataset.examples)
}

/// Parses file contents already in memory; `source` is the name used in
/// error messages. Fails on the first malformed record, and with
/// [`Error::Input`] "no examples" when nothing was left (the message then
/// says which records were skipped and why).
pub fn parse_dataset(
    source: &str,
    bytes: &[u8],
    format: DataFormat,
    options: &ReadOptions,
) -> Result<Dataset> {
    let mut report = ReadReport::default();
    let examples = parse_part(source, bytes, 1, format, options, &mut report)?;
    if examples.is_empty() {
        return Err(input_error(source, no_examples(format, options, &report)));
    }
    Ok(Dataset { examples, report })
}

/// Parses part of a file: the whole of it, or (fastText and JSONL) a run
/// of whole lines starting at line `first_line` (a byte-order mark is
/// skipped only at line 1). What is skipped or repaired is added to
/// `report`; line numbers in examples, errors and `report` count from
/// `first_line`.
fn parse_part(
    source: &str,
    bytes: &[u8],
    first_line: usize,
    format: DataFormat,
    options: &ReadOptions,
    report: &mut ReadReport,
) -> Result<Vec<Example>> {
    let text = decode(source, bytes, first_line, options.lossy, report)?;
    let text = match first_line {
        1 => text.strip_prefix('\u{FEFF}').unwrap_or(&text),
        _ => &text,
    };
    match format {
        DataFormat::FastText => fasttext::parse(source, text, first_line, options, report),
        DataFormat::Csv => delimited::parse(source, text, b',', options, report),
        DataFormat::Tsv => delimited::parse(source, text, b'\t', options, report),
        DataFormat::Jsonl => jsonl::parse(source, text, first_line, options, report),
        DataFormat::Intents => intents::parse(source, text, options, report),
    }
}

/// [`parse_dataset`] without the [`ReadReport`].
pub fn parse_bytes(
    source: &str,
    bytes: &[u8],
    format: DataFormat,
    options: &ReadOptions,
) -> Result<Vec<Example>> {
    parse_dataset(source, bytes, format, options).map(|dataset| dataset.examples)
}

/// The message for a file that gave no example: why, and where each
/// format looks for what was missing.
fn no_examples(format: DataFormat, options: &ReadOptions, report: &ReadReport) -> String {
    if report.skipped() == 0 {
        let why = match format {
            DataFormat::Csv | DataFormat::Tsv => "the file is empty or has only a header",
            DataFormat::Intents => "the file lists no sentences",
            DataFormat::FastText | DataFormat::Jsonl => "the file is empty or has only blank lines",
        };
        return format!("no examples ({why})");
    }
    let (text, label) = match format {
        DataFormat::FastText => (
            "the words that are not labels".to_string(),
            format!("words starting with {:?}", options.label_prefix),
        ),
        DataFormat::Csv | DataFormat::Tsv => (
            format!("column {:?}", options.text_column),
            format!("column {:?}", options.label_column),
        ),
        DataFormat::Jsonl => (
            "\"text\"".to_string(),
            "\"label\" or \"labels\"".to_string(),
        ),
        DataFormat::Intents => (
            "\"sentence\" or \"patterns\"".to_string(),
            "\"class\" or \"tag\"".to_string(),
        ),
    };
    let mut hints = Vec::new();
    if report.without_text.count > 0 {
        hints.push(format!("texts come from {text}"));
    }
    if report.without_label.count > 0 {
        hints.push(format!("labels from {label}"));
    }
    format!("no examples: {report} ({})", hints.join(", "))
}

/// The file as text: borrowed when it is valid UTF-8; otherwise an error
/// naming the line and byte of the first invalid sequence or, when
/// `lossy`, a copy with each invalid sequence replaced by U+FFFD (as
/// [`String::from_utf8_lossy`] does) and the lines repaired counted in
/// `report`.
fn decode<'a>(
    source: &str,
    bytes: &'a [u8],
    first_line: usize,
    lossy: bool,
    report: &mut ReadReport,
) -> Result<Cow<'a, str>> {
    let error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(Cow::Borrowed(text)),
        Err(error) => error,
    };
    if !lossy {
        return Err(utf8_error(source, bytes, first_line, error));
    }
    let mut text = String::with_capacity(bytes.len() + 2);
    let (mut line, mut last_counted) = (first_line, 0);
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        line += valid.bytes().filter(|&b| b == b'\n').count();
        text.push_str(valid);
        // An invalid sequence never holds a newline (ASCII is always valid),
        // so it lies on `line`.
        if !chunk.invalid().is_empty() {
            text.push(char::REPLACEMENT_CHARACTER);
            if last_counted != line {
                report.replaced_utf8.add(line);
                last_counted = line;
            }
        }
    }
    Ok(Cow::Owned(text))
}

/// Names the line and the byte within it where the UTF-8 check failed;
/// the byte offset counts from 0 at the start of that line.
fn utf8_error(source: &str, bytes: &[u8], first_line: usize, error: std::str::Utf8Error) -> Error {
    let position = error.valid_up_to();
    let before = &bytes[..position];
    let line = before.iter().filter(|&&b| b == b'\n').count() + first_line;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |newline| newline + 1);
    Error::data(
        source,
        line,
        format!(
            "invalid UTF-8 at byte offset {} of the line (save the file as UTF-8, \
             or use --lossy to replace invalid bytes with U+FFFD)",
            position - line_start
        ),
    )
}

/// Builds an [`Error::Input`] for `source`.
fn input_error(source: &str, message: impl Into<String>) -> Error {
    Error::Input {
        path: source.to_string(),
        message: message.into(),
    }
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
