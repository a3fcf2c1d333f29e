//! JSON Lines: one `{"text": ..., "label": ...}` object a line.
//!
//! A value of the wrong type is an error; a missing, `null` or blank
//! `"text"`, or a missing label when labels are required, skips the line
//! and counts it.

use serde_json::Value;

use super::{json, push_unique, Example, ReadOptions, ReadReport};
use crate::{Error, Result};

/// What one line holds.
enum Record {
    /// A usable example: (text, labels).
    Example(String, Vec<String>),
    /// No text: skipped.
    WithoutText,
    /// Text but no label, while labels are required: skipped.
    WithoutLabel,
}

/// Parses a whole JSON Lines file, one line at a time, so that an error
/// names its line and a bad line cannot swallow the ones after it.
pub(super) fn parse(
    source: &str,
    content: &str,
    first_line: usize,
    options: &ReadOptions,
    report: &mut ReadReport,
) -> Result<Vec<Example>> {
    let mut examples = Vec::new();
    for (index, line) in content.split('\n').enumerate() {
        let line_number = first_line + index;
        // JSON's own whitespace; a CR before the newline is part of it.
        if line.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            continue;
        }
        match parse_line(line, options)
            .map_err(|message| Error::data(source, line_number, message))?
        {
            Record::Example(text, labels) => examples.push(Example {
                text,
                labels,
                line: line_number,
            }),
            Record::WithoutText => report.without_text.add(line_number),
            Record::WithoutLabel => report.without_label.add(line_number),
        }
    }
    Ok(examples)
}

/// Reads one object, or says what is wrong with it. Every field is checked
/// before a missing one skips the line, so a wrong type is never hidden.
fn parse_line(line: &str, options: &ReadOptions) -> Result<Record, String> {
    let value: Value = serde_json::from_str(line).map_err(|error| {
        let mut message = json::syntax_message(&error, "end of line");
        if message.ends_with("trailing characters") {
            message.push_str(" after the object (one JSON object a line)");
        }
        message
    })?;
    let Value::Object(object) = value else {
        return Err(format!(
            "expected a JSON object like {{\"text\": \"...\", \"label\": \"...\"}}, got {}",
            json::kind(&value)
        ));
    };
    let text = json::text(object.get("text"), "text")?;

    let label = object.get("label").filter(|value| !value.is_null());
    let many = object.get("labels").filter(|value| !value.is_null());
    let mut labels = Vec::new();
    match (label, many) {
        (Some(_), Some(_)) => {
            return Err("both \"label\" and \"labels\"; give one of them".to_string())
        }
        (Some(Value::Array(_)), None) => {
            return Err(
                "\"label\" must be a string, got an array (use \"labels\" for several)".to_string(),
            )
        }
        (Some(value), None) => labels.push(json::label(value, "\"label\"")?),
        (None, Some(Value::Array(items))) => {
            for (index, item) in items.iter().enumerate() {
                let label = json::label(item, &format!("item {} of \"labels\"", index + 1))?;
                push_unique(&mut labels, &label);
            }
        }
        (None, Some(other)) => {
            return Err(format!(
                "\"labels\" must be an array of strings, got {} (use \"label\" for one)",
                json::kind(other)
            ))
        }
        (None, None) => {}
    }
    Ok(match text {
        None => Record::WithoutText,
        Some(_) if labels.is_empty() && options.require_labels => Record::WithoutLabel,
        Some(text) => Record::Example(text, labels),
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse_bytes;
    use super::*;
    use crate::data::test_support::{check, unlabelled, Expect, Fails, Gives, Skips};
    use crate::data::DataFormat;

    #[test]
    fn lines_become_examples() {
        let cases: &[(&str, &str, Expect)] = &[
            ("one label", r#"{"text": "hi there", "label": "a"}"#, Gives(&[("hi there", &["a"], 1)])),
            ("several labels, repeats dropped", r#"{"text": "x", "labels": ["b", "a", "b"]}"#, Gives(&[("x", &["b", "a"], 1)])),
            ("integer label", r#"{"text": "x", "label": 4}"#, Gives(&[("x", &["4"], 1)])),
            ("other keys ignored", r#"{"id": 1, "text": "x", "label": "a", "meta": {"k": [1]}}"#, Gives(&[("x", &["a"], 1)])),
            ("escapes and unicode", r#"{"text": "caf\u00e9 \"q\"\n", "label": "é"}"#, Gives(&[("café \"q\"\n", &["é"], 1)])),
            ("blank lines, crlf, bom", "\u{FEFF}\n{\"text\":\"x\",\"label\":\"a\"}\r\n  \r\n{\"text\":\"y\",\"label\":\"b\"}", Gives(&[("x", &["a"], 2), ("y", &["b"], 4)])),
            ("invalid json", "{\"text\":\"x\",\"label\":\"a\"}\n{\"text\": x}\n", Fails(&["t.jsonl:2:", "invalid JSON at column 10: expected value"])),
            ("unfinished object", "{\"text\": \"x\"", Fails(&["t.jsonl:1:", "column 12", "end of line while parsing an object"])),
            ("trailing garbage", "{\"text\":\"x\",\"label\":\"a\"} extra\n", Fails(&["t.jsonl:1:", "column 26", "trailing characters after the object"])),
            ("two objects on a line", "{\"text\":\"x\",\"label\":\"a\"}{\"text\":\"y\"}\n", Fails(&["t.jsonl:1:", "trailing characters"])),
            ("not an object", "[\"x\", \"a\"]\n", Fails(&["t.jsonl:1:", "expected a JSON object", "got an array"])),
            ("missing text: skipped", "{\"label\": \"a\"}\n{\"text\":\"x\",\"label\":\"a\"}\n", Skips(&[("x", &["a"], 2)], &[1], &[])),
            ("text not a string", "\n{\"text\": 3, \"label\": \"a\"}\n", Fails(&["t.jsonl:2:", "\"text\" must be a string, got a number"])),
            ("wrong label type even without text", "{\"label\": true}\n", Fails(&["t.jsonl:1:", "\"label\" must be a string, got a boolean"])),
            ("empty and null text: skipped", "{\"text\": \" \", \"label\": \"a\"}\n{\"text\": null, \"label\": \"a\"}\n{\"text\":\"x\",\"label\":\"a\"}", Skips(&[("x", &["a"], 3)], &[1, 2], &[])),
            ("no label, null label, empty labels: skipped", "{\"text\": \"x\"}\n{\"text\": \"x\", \"label\": null}\n{\"text\": \"x\", \"labels\": []}\n{\"text\":\"y\",\"label\":\"a\"}\n", Skips(&[("y", &["a"], 4)], &[], &[1, 2, 3])),
            ("only skipped lines", "{\"text\": \"x\"}\n", Fails(&["t.jsonl: no examples: skipped 1 line: 1 without label (line 1)", "labels from \"label\" or \"labels\""])),
            ("raw NUL in a string", "{\"text\": \"a\u{0}b\", \"label\": \"a\"}\n", Fails(&["t.jsonl:1:", "control character"])),
            ("escaped NUL kept", "{\"text\": \"a\\u0000b\", \"label\": \"a\"}\n", Gives(&[("a\u{0}b", &["a"], 1)])),
            ("label not a string", "{\"text\": \"x\", \"label\": true}\n", Fails(&["t.jsonl:1:", "\"label\" must be a string, got a boolean"])),
            ("label as array", "{\"text\": \"x\", \"label\": [\"a\"]}\n", Fails(&["t.jsonl:1:", "use \"labels\""])),
            ("labels not an array", "{\"text\": \"x\", \"labels\": \"a\"}\n", Fails(&["t.jsonl:1:", "\"labels\" must be an array of strings, got a string"])),
            ("bad item in labels", "{\"text\": \"x\", \"labels\": [\"a\", {}]}\n", Fails(&["t.jsonl:1:", "item 2 of \"labels\" must be a string, got an object"])),
            ("empty label", "{\"text\": \"x\", \"label\": \"\"}\n", Fails(&["t.jsonl:1:", "empty label in \"label\""])),
            ("both label keys", "{\"text\": \"x\", \"label\": \"a\", \"labels\": [\"b\"]}\n", Fails(&["t.jsonl:1:", "both \"label\" and \"labels\""])),
            ("only blank lines", "\n \n", Fails(&["t.jsonl: no examples"])),
        ];
        check(DataFormat::Jsonl, "t.jsonl", cases, &ReadOptions::default());
    }

    #[test]
    fn invalid_utf8_names_the_line_and_byte() {
        let bytes =
            b"{\"text\": \"x\", \"label\": \"a\"}\n{\"text\": \"a\xFF\", \"label\": \"a\"}\n";
        let error = parse_bytes("t.jsonl", bytes, DataFormat::Jsonl, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("t.jsonl:2:"), "{error}");
        assert!(
            error.contains("invalid UTF-8 at byte offset 11 of the line"),
            "{error}"
        );
    }

    #[test]
    fn prediction_input_may_lack_labels() {
        let cases: &[(&str, &str, Expect)] = &[
            (
                "no label key",
                "{\"text\": \"x\"}\n{\"text\": \"y\", \"labels\": []}",
                Gives(&[("x", &[], 1), ("y", &[], 2)]),
            ),
            (
                "text still required",
                "{\"label\": \"a\"}\n{\"text\": \"y\"}",
                Skips(&[("y", &[], 2)], &[1], &[]),
            ),
        ];
        check(DataFormat::Jsonl, "t.jsonl", cases, &unlabelled());
    }
}
