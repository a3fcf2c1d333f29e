//! Helpers shared by the JSON Lines and intents readers: messages that
//! name the field and the JSON type, and the label and text rules.

use serde_json::Value;

/// The JSON type of `value` with its article, for messages such as
/// `"text" must be a string, got a number`.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// serde_json's description of a syntax error, with the column but not its
/// " at line L column C" suffix (the caller reports the line), and with
/// "EOF" spelled out as `end` ("end of line" in JSON Lines, where the
/// parser's end of input is the end of a line).
pub(super) fn syntax_message(error: &serde_json::Error, end: &str) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let bare = full
        .strip_suffix(&suffix)
        .unwrap_or(&full)
        .replace("EOF", end);
    format!("invalid JSON at column {}: {bare}", error.column())
}

/// The text held in `value`, the field named `key`: a string that is not
/// only whitespace, kept as written; `None` when the field is missing,
/// `null` or blank (the record is then skipped as without text); an error
/// when it holds another type.
pub(super) fn text(value: Option<&Value>, key: &str) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(other) => Err(format!("{key:?} must be a string, got {}", kind(other))),
    }
}

/// One label: a string, trimmed and non-empty, or an integer, which becomes
/// its decimal digits because many published data sets number their
/// classes. `what` names the place in messages (`"label"`).
pub(super) fn label(value: &Value, what: &str) -> Result<String, String> {
    match value {
        Value::String(label) if label.trim().is_empty() => Err(format!("empty label in {what}")),
        Value::String(label) => Ok(label.trim().to_string()),
        Value::Number(number) if number.is_i64() || number.is_u64() => Ok(number.to_string()),
        other => Err(format!("{what} must be a string, got {}", kind(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_are_strings_or_integers() {
        let cases = [
            (json!("a"), Ok("a")),
            (json!("  a b "), Ok("a b")),
            (json!(3), Ok("3")),
            (json!(-1), Ok("-1")),
            (json!(""), Err("empty label in \"label\"")),
            (json!(" "), Err("empty label in \"label\"")),
            (json!(1.5), Err("\"label\" must be a string, got a number")),
            (
                json!(true),
                Err("\"label\" must be a string, got a boolean"),
            ),
            (
                json!(["a"]),
                Err("\"label\" must be a string, got an array"),
            ),
            (json!({}), Err("\"label\" must be a string, got an object")),
        ];
        for (value, expected) in cases {
            let expected = expected.map(str::to_string).map_err(str::to_string);
            assert_eq!(label(&value, "\"label\""), expected, "{value}");
        }
    }

    #[test]
    fn texts_are_non_blank_strings_or_absent() {
        let cases = [
            (Some(json!(" hi ")), Ok(Some(" hi "))),
            (None, Ok(None)),
            (Some(json!(null)), Ok(None)),
            (Some(json!(" \n")), Ok(None)),
            (
                Some(json!(4)),
                Err("\"text\" must be a string, got a number"),
            ),
        ];
        for (value, expected) in cases {
            let expected = expected
                .map(|text| text.map(str::to_string))
                .map_err(str::to_string);
            assert_eq!(text(value.as_ref(), "text"), expected, "{value:?}");
        }
    }

    #[test]
    fn syntax_messages_keep_the_column_and_drop_eof() {
        let cases = [
            (
                "{\"text\": ",
                "end of line",
                "invalid JSON at column 9: end of line while parsing a value",
            ),
            (
                "{} x",
                "end of line",
                "invalid JSON at column 4: trailing characters",
            ),
            (
                "{'a': 1}",
                "end of file",
                "invalid JSON at column 2: key must be a string",
            ),
        ];
        for (input, end, expected) in cases {
            let error = serde_json::from_str::<Value>(input).unwrap_err();
            assert_eq!(syntax_message(&error, end), expected, "{input}");
        }
    }
}
