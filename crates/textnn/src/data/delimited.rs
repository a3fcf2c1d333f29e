//! CSV and TSV with a header row, read with the `csv` crate.
//!
//! Columns are found by header name; quoting (`"a, b"`, `""`, newlines in
//! quotes) follows RFC 4180 for both delimiters, as pandas and Python's
//! `csv` module do for TSV. A record with an empty text cell, or an empty
//! label cell when labels are required, is skipped and counted.

use super::{input_error, Example, ReadOptions, ReadReport};
use crate::{Error, Result};

/// Parses a whole CSV (`delimiter` `b','`) or TSV (`b'\t'`) file.
pub(super) fn parse(
    source: &str,
    content: &str,
    delimiter: u8,
    options: &ReadOptions,
    report: &mut ReadReport,
) -> Result<Vec<Example>> {
    let text_column = options.text_column.as_str();
    let label_column = options.label_column.as_str();
    if text_column == label_column {
        return Err(Error::InvalidConfig(format!(
            "the text column and the label column must differ, both are {text_column:?}"
        )));
    }
    let bytes = content.as_bytes();
    // The csv crate would read an empty file as an empty header; say what
    // is really wrong instead of "no column".
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }

    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let mut lines = LineCounter::new(bytes);
    let header = reader
        .headers()
        .map_err(|e| csv_error(source, &mut lines, 1, e))?
        .clone();
    let find = |name: &str| -> Result<Option<usize>> {
        let mut matches = header
            .iter()
            .enumerate()
            .filter(|(_, column)| column.trim() == name);
        let first = matches.next().map(|(index, _)| index);
        if let Some((second, _)) = matches.next() {
            return Err(input_error(
                source,
                format!(
                    "the header names column {name:?} twice (columns {} and {})",
                    first.unwrap_or(0) + 1,
                    second + 1
                ),
            ));
        }
        Ok(first)
    };
    let missing = |name: &str| -> Error {
        let columns: Vec<String> = header.iter().map(|column| format!("{column:?}")).collect();
        let mut message = format!(
            "no column named {name:?}; the header has: {}",
            columns.join(", ")
        );
        if header.len() == 1 {
            let delimiter_name = if delimiter == b'\t' { "tab" } else { "comma" };
            message.push_str(&format!(
                " (only one column: is the file really split by a {delimiter_name}?)"
            ));
        }
        input_error(source, message)
    };
    let text_index = find(text_column)?.ok_or_else(|| missing(text_column))?;
    let label_index = find(label_column)?;
    if label_index.is_none() && options.require_labels {
        return Err(missing(label_column));
    }

    let mut examples = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line_before = lines.line_of(reader.position());
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            // An error without a position falls back on the line where the
            // reader stood before the record.
            Err(e) => return Err(csv_error(source, &mut lines, line_before, e)),
        }
        let line = record.position().map_or(line_before, |p| lines.line_of(p));
        // `flexible(false)` guarantees every record has the header's width,
        // so both indexes are in range; `get` keeps that a non-panic anyway.
        let text = record.get(text_index).unwrap_or("");
        if text.trim().is_empty() {
            report.without_text.add(line);
            continue;
        }
        let label = label_index
            .and_then(|index| record.get(index))
            .unwrap_or("")
            .trim();
        let labels = if label.is_empty() {
            if options.require_labels {
                report.without_label.add(line);
                continue;
            }
            Vec::new()
        } else {
            vec![label.to_string()]
        };
        examples.push(Example {
            text: text.to_string(),
            labels,
            line,
        });
    }
    Ok(examples)
}

/// Turns csv byte offsets into 1-based line numbers. The csv crate's own
/// `Position::line` lags one line behind after CRLF line ends (it places a
/// record at the LF that ends the line before), so lines are counted here,
/// ending at LF, CRLF or a lone CR as csv's records do. Offsets usually
/// come in increasing order, so counting resumes where it stopped.
struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            counted_to: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `position` that is not a
    /// line end, which is where the record really starts.
    fn line_of(&mut self, position: &csv::Position) -> usize {
        let bytes = self.bytes;
        let mut start = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start < self.counted_to {
            self.counted_to = 0;
            self.line = 1;
        }
        for (offset, byte) in bytes[self.counted_to..start].iter().enumerate() {
            let next = bytes.get(self.counted_to + offset + 1);
            if *byte == b'\n' || (*byte == b'\r' && next != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.counted_to = start;
        self.line
    }
}

/// Turns a csv error into ours, at the line of the position the csv crate
/// gives or else at `fallback_line`.
fn csv_error(
    source: &str,
    lines: &mut LineCounter<'_>,
    fallback_line: usize,
    error: csv::Error,
) -> Error {
    let line = error
        .position()
        .map_or(fallback_line, |position| lines.line_of(position));
    let described = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::data(
            source,
            line,
            format!(
                "expected {expected_len} fields like the header, found {len} \
                 (quote fields that contain the delimiter)"
            ),
        ),
        csv::ErrorKind::Utf8 { err, .. } => Error::data(
            source,
            line,
            format!(
                "invalid UTF-8 in field {} at byte offset {} of the field (save the file as UTF-8)",
                err.field() + 1,
                err.valid_up_to()
            ),
        ),
        csv::ErrorKind::Io(e) => Error::io(source, e),
        _ => Error::data(source, line, described),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_bytes;
    use super::*;
    use crate::data::test_support::{check, unlabelled, Expect, Fails, Gives, Skips};
    use crate::data::DataFormat;

    #[test]
    fn csv_records_become_examples() {
        let cases: &[(&str, &str, Expect)] = &[
            (
                "plain",
                "text,label\nhello,a\nbye,b\n",
                Gives(&[("hello", &["a"], 2), ("bye", &["b"], 3)]),
            ),
            (
                "columns by name, others ignored",
                "id,label,text\n7,a,hello\n",
                Gives(&[("hello", &["a"], 2)]),
            ),
            (
                "header names trimmed",
                "text , label\nhello,a\n",
                Gives(&[("hello", &["a"], 2)]),
            ),
            (
                "label trimmed, text kept",
                "text,label\n  hi  , a \n",
                Gives(&[("  hi  ", &["a"], 2)]),
            ),
            (
                "one label a cell, not split",
                "text,label\nx,\"a,b\"\n",
                Gives(&[("x", &["a,b"], 2)]),
            ),
            (
                "quotes",
                "text,label\n\"say \"\"hi\"\", you\",a\n",
                Gives(&[("say \"hi\", you", &["a"], 2)]),
            ),
            (
                "embedded newline keeps the start line",
                "text,label\n\"two\nlines\",a\nnext,b\n",
                Gives(&[("two\nlines", &["a"], 2), ("next", &["b"], 4)]),
            ),
            (
                "crlf, no final newline, bom",
                "\u{FEFF}text,label\r\nhello,a\r\nbye,b",
                Gives(&[("hello", &["a"], 2), ("bye", &["b"], 3)]),
            ),
            (
                "empty lines skipped",
                "text,label\n\nhello,a\n\n",
                Gives(&[("hello", &["a"], 3)]),
            ),
            (
                "missing text column",
                "body,label\nx,a\n",
                Fails(&["t.csv: no column named \"text\"", "\"body\", \"label\""]),
            ),
            (
                "missing label column",
                "text,class\nx,a\n",
                Fails(&["t.csv: no column named \"label\"", "\"text\", \"class\""]),
            ),
            (
                "wrong delimiter hint",
                "text\tlabel\nx\ta\n",
                Fails(&["t.csv: no column named \"text\"", "only one column"]),
            ),
            (
                "duplicate column",
                "text,label,text\nx,a,y\n",
                Fails(&["t.csv: the header names column \"text\" twice (columns 1 and 3)"]),
            ),
            (
                "too few fields",
                "text,label\nx,a\ny\n",
                Fails(&["t.csv:3:", "expected 2 fields like the header, found 1"]),
            ),
            (
                "too many fields",
                "text,label\nx,a\n\"q\nr\",a,b\n",
                Fails(&["t.csv:3:", "found 3"]),
            ),
            (
                "empty label: skipped",
                "text,label\nx,a\ny,\n",
                Skips(&[("x", &["a"], 2)], &[], &[3]),
            ),
            (
                "empty text: skipped",
                "text,label\nx,a\n  ,b\n",
                Skips(&[("x", &["a"], 2)], &[3], &[]),
            ),
            (
                "skips after embedded newlines name physical lines",
                "text,label\n\"a\nb\nc\",x\n,y\n\"d\r\ne\",\nf,z\n",
                Skips(&[("a\nb\nc", &["x"], 2), ("f", &["z"], 8)], &[5], &[6]),
            ),
            (
                "only skipped records",
                "text,label\n,a\n",
                Fails(&[
                    "t.csv: no examples: skipped 1 line: 1 without text (line 2)",
                    "texts come from column \"text\"",
                ]),
            ),
            (
                "header only",
                "text,label\n",
                Fails(&["t.csv: no examples"]),
            ),
            ("empty file", "", Fails(&["t.csv: no examples"])),
        ];
        check(DataFormat::Csv, "t.csv", cases, &ReadOptions::default());
    }

    #[test]
    fn tsv_uses_tabs_and_the_same_rules() {
        let cases: &[(&str, &str, Expect)] = &[
            (
                "plain",
                "label\ttext\na\thello, world\n",
                Gives(&[("hello, world", &["a"], 2)]),
            ),
            (
                "quoted tab",
                "text\tlabel\n\"x\ty\"\ta\n",
                Gives(&[("x\ty", &["a"], 2)]),
            ),
            (
                "too few fields",
                "text\tlabel\nx\n",
                Fails(&["t.csv:2:", "expected 2 fields"]),
            ),
            (
                "wrong delimiter hint",
                "text,label\nx,a\n",
                Fails(&["no column named \"text\"", "split by a tab"]),
            ),
        ];
        check(DataFormat::Tsv, "t.csv", cases, &ReadOptions::default());
    }

    #[test]
    fn prediction_input_needs_no_label_column() {
        let cases: &[(&str, &str, Expect)] = &[
            (
                "no label column",
                "id,text\n1,hello\n",
                Gives(&[("hello", &[], 2)]),
            ),
            (
                "empty label cell",
                "text,label\nhello,\nbye,b\n",
                Gives(&[("hello", &[], 2), ("bye", &["b"], 3)]),
            ),
            (
                "empty text still skipped",
                "id,text\n1,\n2,x\n",
                Skips(&[("x", &[], 3)], &[2], &[]),
            ),
        ];
        check(DataFormat::Csv, "t.csv", cases, &unlabelled());
    }

    #[test]
    fn column_names_are_configurable() {
        let options = ReadOptions {
            text_column: "review".to_string(),
            label_column: "stars".to_string(),
            ..ReadOptions::default()
        };
        let cases: &[(&str, &str, Expect)] = &[
            (
                "renamed",
                "stars,review\n5,great\n",
                Gives(&[("great", &["5"], 2)]),
            ),
            (
                "error names the column",
                "stars,text\n5,great\n",
                Fails(&["no column named \"review\""]),
            ),
        ];
        check(DataFormat::Csv, "t.csv", cases, &options);

        let same = ReadOptions {
            label_column: "text".to_string(),
            ..ReadOptions::default()
        };
        let error = parse_bytes("t.csv", b"text\nx\n", DataFormat::Csv, &same).unwrap_err();
        assert!(
            error.to_string().contains("must differ, both are \"text\""),
            "{error}"
        );
    }

    #[test]
    fn invalid_utf8_names_the_physical_line_and_offset() {
        // The third record starts on line 3 and spans two lines; the bad
        // byte is on line 4.
        let error = parse_bytes(
            "t.csv",
            b"text,label\nok,a\n\"two\nab\xFF\",b\n",
            DataFormat::Csv,
            &ReadOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("t.csv:4:"), "{error}");
        assert!(
            error.contains("invalid UTF-8 at byte offset 2 of the line"),
            "{error}"
        );
    }
}
