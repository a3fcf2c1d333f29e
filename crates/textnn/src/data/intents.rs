//! Intents JSON: the classic blog's `[{"class": ..., "sentence": ...}]`, or
//! the chatbot format `{"intents": [{"tag": ..., "patterns": [...]}]}`.
//!
//! serde_json reports positions only for syntax errors, so after parsing,
//! [`value_lines`] scans the (now known to be valid) bytes once more to find
//! the line where each array item or pattern starts.
//!
//! A value of the wrong type, or a document of the wrong shape, is an
//! error; a missing or blank sentence, or a missing class or tag when
//! labels are required, skips the example and counts it.

use serde_json::Value;

use super::{input_error, json, Example, ReadOptions, ReadReport};
use crate::{Error, Result};

/// What a file must look like, for shape errors.
const EXPECTED: &str = "expected a JSON array of {\"class\": ..., \"sentence\": ...} objects \
                        or an object with an \"intents\" array of {\"tag\": ..., \"patterns\": [...]}";

/// Parses a whole intents file.
pub(super) fn parse(
    source: &str,
    content: &str,
    options: &ReadOptions,
    report: &mut ReadReport,
) -> Result<Vec<Example>> {
    let bytes = content.as_bytes();
    if bytes
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    {
        return Ok(Vec::new());
    }
    let document: Value = serde_json::from_str(content).map_err(|error| {
        Error::data(
            source,
            error.line().max(1),
            json::syntax_message(&error, "end of file"),
        )
    })?;
    match document {
        Value::Array(items) => classic(source, &items, &value_lines(bytes), options, report),
        Value::Object(object) => match object.get("intents") {
            Some(Value::Array(intents)) => {
                chatbot(source, intents, &value_lines(bytes), options, report)
            }
            Some(other) => Err(input_error(
                source,
                format!("\"intents\" must be an array, got {}", json::kind(other)),
            )),
            None => {
                let keys: Vec<String> = object.keys().map(|key| format!("{key:?}")).collect();
                Err(input_error(
                    source,
                    format!("{EXPECTED}; found an object with keys {}", keys.join(", ")),
                ))
            }
        },
        other => Err(input_error(
            source,
            format!("{EXPECTED}; found {}", json::kind(&other)),
        )),
    }
}

/// The blog's format: every item is one example.
fn classic(
    source: &str,
    items: &[Value],
    lines: &Lines,
    options: &ReadOptions,
    report: &mut ReadReport,
) -> Result<Vec<Example>> {
    let mut examples = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let line = lines.item(index);
        let fail =
            |message: String| Error::data(source, line, format!("item {}: {message}", index + 1));
        let Value::Object(object) = item else {
            return Err(fail(format!(
                "expected an object like {{\"class\": \"...\", \"sentence\": \"...\"}}, got {}",
                json::kind(item)
            )));
        };
        let text = json::text(object.get("sentence"), "sentence").map_err(fail)?;
        let labels = match object.get("class").filter(|value| !value.is_null()) {
            Some(value) => vec![json::label(value, "\"class\"").map_err(fail)?],
            None => Vec::new(),
        };
        match text {
            None => report.without_text.add(line),
            Some(_) if labels.is_empty() && options.require_labels => {
                report.without_label.add(line)
            }
            Some(text) => examples.push(Example { text, labels, line }),
        }
    }
    Ok(examples)
}

/// The chatbot format: every pattern of an intent is one example labelled
/// with the intent's tag. A blank pattern is skipped without counting, like
/// a blank line, since published files use `[""]` for intents without
/// patterns; the patterns of an intent without a tag are skipped and
/// counted when labels are required.
fn chatbot(
    source: &str,
    intents: &[Value],
    lines: &Lines,
    options: &ReadOptions,
    report: &mut ReadReport,
) -> Result<Vec<Example>> {
    let mut examples = Vec::new();
    for (index, intent) in intents.iter().enumerate() {
        let line = lines.item(index);
        let name = match intent.get("tag") {
            Some(Value::String(tag)) => format!("intent {tag:?}"),
            _ => format!("intent {}", index + 1),
        };
        let fail = |message: String| Error::data(source, line, format!("{name}: {message}"));
        let Value::Object(object) = intent else {
            return Err(fail(format!(
                "expected an object like {{\"tag\": \"...\", \"patterns\": [\"...\"]}}, got {}",
                json::kind(intent)
            )));
        };
        let labels = match object.get("tag").filter(|value| !value.is_null()) {
            Some(value) => vec![json::label(value, "\"tag\"").map_err(fail)?],
            None => Vec::new(),
        };
        let without_label = labels.is_empty() && options.require_labels;
        let patterns = match object.get("patterns") {
            Some(Value::Array(patterns)) => patterns,
            None | Some(Value::Null) => {
                return Err(fail(
                    "missing \"patterns\" (an array of example sentences)".to_string(),
                ))
            }
            Some(other) => {
                return Err(fail(format!(
                    "\"patterns\" must be an array of strings, got {}",
                    json::kind(other)
                )))
            }
        };
        for (pattern_index, pattern) in patterns.iter().enumerate() {
            let pattern_line = lines.pattern(index, pattern_index).unwrap_or(line);
            match pattern {
                Value::String(text) if text.trim().is_empty() => {}
                Value::String(_) if without_label => report.without_label.add(pattern_line),
                Value::String(text) => examples.push(Example {
                    text: text.clone(),
                    labels: labels.clone(),
                    line: pattern_line,
                }),
                other => {
                    return Err(Error::data(
                        source,
                        pattern_line,
                        format!(
                            "{name}: pattern {} must be a string, got {}",
                            pattern_index + 1,
                            json::kind(other)
                        ),
                    ))
                }
            }
        }
    }
    Ok(examples)
}

/// Start lines of the values the readers report: `items[i]` for the i-th
/// item of the top-level array or of `"intents"`, `patterns[i][j]` for the
/// j-th pattern of intent i. Zero means not found.
#[derive(Debug, Default, PartialEq)]
struct Lines {
    items: Vec<usize>,
    patterns: Vec<Vec<usize>>,
}

impl Lines {
    /// Line of item `index`, or 1 if the scan missed it (it cannot for a
    /// document serde_json accepted, but a wrong line beats a panic).
    fn item(&self, index: usize) -> usize {
        self.items
            .get(index)
            .copied()
            .filter(|&line| line > 0)
            .unwrap_or(1)
    }

    /// Line of pattern `pattern` of intent `intent`, if the scan found it.
    fn pattern(&self, intent: usize, pattern: usize) -> Option<usize> {
        let line = *self.patterns.get(intent)?.get(pattern)?;
        (line > 0).then_some(line)
    }
}

/// Sets `lines[index] = line`, growing `lines` as needed.
fn set(lines: &mut Vec<usize>, index: usize, line: usize) {
    if lines.len() <= index {
        lines.resize(index + 1, 0);
    }
    lines[index] = line;
}

/// Finds the lines [`Lines`] holds. A key that occurs twice is reported at
/// its last occurrence, the one whose value serde_json keeps.
fn value_lines(bytes: &[u8]) -> Lines {
    let mut lines = Lines::default();
    visit_values(bytes, 4, |path, line| match path {
        [Step::Index(item)] => set(&mut lines.items, *item, line),
        [Step::Key(intents), Step::Index(item)] if intents == "intents" => {
            set(&mut lines.items, *item, line)
        }
        [Step::Key(intents), Step::Index(item), Step::Key(patterns), Step::Index(pattern)]
            if intents == "intents" && patterns == "patterns" =>
        {
            if lines.patterns.len() <= *item {
                lines.patterns.resize_with(item + 1, Vec::new);
            }
            set(&mut lines.patterns[*item], *pattern, line);
        }
        _ => {}
    });
    lines
}

/// One step from a container to a value inside it.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// The value's 0-based position in an array.
    Index(usize),
    /// The value's key in an object (decoded; empty below the depth of interest).
    Key(String),
}

/// A container the scanner is inside of.
enum Container {
    /// An array and the index of its current element.
    Array { index: usize },
    /// An object, its current key, and whether a key comes next.
    Object { key: String, awaiting_key: bool },
}

/// Calls `visit(path, line)` with the path and 1-based start line of every
/// value of a JSON document no deeper than `max_depth` (the root has depth
/// 0). It trusts the document to be valid JSON and never panics on one that
/// is not; it keeps its own stack rather than recursing.
fn visit_values(bytes: &[u8], max_depth: usize, mut visit: impl FnMut(&[Step], usize)) {
    let mut line = 1;
    let mut stack: Vec<Container> = Vec::new();
    let mut path: Vec<Step> = Vec::new();
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\n' => {
                line += 1;
                at += 1;
            }
            b' ' | b'\t' | b'\r' | b':' => at += 1,
            b',' => {
                match stack.last_mut() {
                    Some(Container::Array { index }) => *index += 1,
                    Some(Container::Object { awaiting_key, .. }) => *awaiting_key = true,
                    None => {}
                }
                at += 1;
            }
            b']' | b'}' => {
                stack.pop();
                // The root container has no step of its own to drop.
                if !stack.is_empty() {
                    path.pop();
                }
                at += 1;
            }
            b'"' if matches!(
                stack.last(),
                Some(Container::Object {
                    awaiting_key: true,
                    ..
                })
            ) =>
            {
                let end = string_end(bytes, at);
                let wanted = stack.len() <= max_depth;
                if let Some(Container::Object { key, awaiting_key }) = stack.last_mut() {
                    *key = if wanted {
                        decode_key(&bytes[at..end])
                    } else {
                        String::new()
                    };
                    *awaiting_key = false;
                }
                at = end;
            }
            _ => {
                let step = match stack.last() {
                    None => None,
                    Some(Container::Array { index }) => Some(Step::Index(*index)),
                    Some(Container::Object { key, .. }) => Some(Step::Key(key.clone())),
                };
                let nested = step.is_some();
                path.extend(step);
                if path.len() <= max_depth {
                    visit(&path, line);
                }
                match byte {
                    b'[' => {
                        stack.push(Container::Array { index: 0 });
                        at += 1;
                    }
                    b'{' => {
                        stack.push(Container::Object {
                            key: String::new(),
                            awaiting_key: true,
                        });
                        at += 1;
                    }
                    scalar => {
                        at = if scalar == b'"' {
                            string_end(bytes, at)
                        } else {
                            // Numbers, true, false, null: up to the next delimiter.
                            let rest = &bytes[at..];
                            at + rest
                                .iter()
                                .position(|b| {
                                    matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
                                })
                                .unwrap_or(rest.len())
                        };
                        if nested {
                            path.pop();
                        }
                    }
                }
            }
        }
    }
}

/// The index just past the string starting with the quote at `start`.
/// JSON strings hold no raw newlines, so lines need no counting inside.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The text of a quoted key; escapes are rare in keys, so only then is
/// serde_json asked to decode it.
fn decode_key(quoted: &[u8]) -> String {
    if quoted.contains(&b'\\') {
        serde_json::from_slice(quoted).unwrap_or_default()
    } else {
        let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or(&[]);
        String::from_utf8_lossy(inner).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_bytes;
    use super::*;
    use crate::data::test_support::{check, unlabelled, Expect, Fails, Gives, Skips};
    use crate::data::DataFormat;

    /// The blog's file, /work/shared/datasets/blog_intents/blog-intents.json,
    /// copied so that the tests read nothing outside the crate.
    const BLOG: &str = r#"[
  {"class": "greeting", "sentence": "how are you?"},
  {"class": "greeting", "sentence": "how is your day?"},
  {"class": "greeting", "sentence": "good day"},
  {"class": "greeting", "sentence": "how is it going today?"},
  {"class": "goodbye", "sentence": "have a nice day"},
  {"class": "goodbye", "sentence": "see you later"},
  {"class": "goodbye", "sentence": "have a nice day"},
  {"class": "goodbye", "sentence": "talk to you soon"},
  {"class": "sandwich", "sentence": "make me a sandwich"},
  {"class": "sandwich", "sentence": "can you make a sandwich?"},
  {"class": "sandwich", "sentence": "having a sandwich today?"},
  {"class": "sandwich", "sentence": "what's for lunch?"}
]
"#;

    /// The chatbot format, spread over lines as such files usually are.
    const CHATBOT: &str = r#"{"intents": [
  {"tag": "greeting",
   "patterns": ["Hi", "How are you",
                "Is anyone there?"],
   "responses": ["Hello!"],
   "context_set": ""},
  {"tag": "noanswer", "patterns": [""], "responses": ["Sorry?"]},
  {"tag": "goodbye",
   "patterns": [
     "Bye",
     "See you later"
   ]}
]}
"#;

    #[test]
    fn the_blog_file_gives_twelve_examples_on_their_lines() {
        let examples = parse_bytes(
            "blog-intents.json",
            BLOG.as_bytes(),
            DataFormat::Intents,
            &ReadOptions::default(),
        )
        .unwrap();
        assert_eq!(examples.len(), 12);
        for (index, example) in examples.iter().enumerate() {
            assert_eq!(example.line, index + 2, "{example:?}");
        }
        assert_eq!(examples[0].text, "how are you?");
        assert_eq!(examples[0].labels, ["greeting"]);
        assert_eq!(examples[11].text, "what's for lunch?");
        assert_eq!(examples[11].labels, ["sandwich"]);
        let classes: Vec<&str> = examples.iter().map(|e| e.labels[0].as_str()).collect();
        assert_eq!(classes.iter().filter(|&&c| c == "goodbye").count(), 4);
    }

    #[test]
    fn the_chatbot_format_gives_one_example_per_pattern() {
        let expected: &[(&str, &[&str], usize)] = &[
            ("Hi", &["greeting"], 3),
            ("How are you", &["greeting"], 3),
            ("Is anyone there?", &["greeting"], 4),
            ("Bye", &["goodbye"], 10),
            ("See you later", &["goodbye"], 11),
        ];
        check(
            DataFormat::Intents,
            "t.json",
            &[("chatbot", CHATBOT, Gives(expected))],
            &ReadOptions::default(),
        );
    }

    #[test]
    fn shapes_and_fields_are_checked() {
        let cases: &[(&str, &str, Expect)] = &[
            ("one line", r#"[{"class": "a", "sentence": "x"}, {"sentence": "y", "class": "b"}]"#, Gives(&[("x", &["a"], 1), ("y", &["b"], 1)])),
            ("bom and integer class", "\u{FEFF}[\n{\"class\": 2, \"sentence\": \"x\"}]", Gives(&[("x", &["2"], 2)])),
            ("nested values do not confuse lines", "[\n{\"sentence\": \"x\", \"meta\": [{\"a\": [1,\n2]}, \"]\"],\n \"class\": \"a\"},\n{\"class\": \"b\", \"sentence\": \"y\\\"\"}\n]", Gives(&[("x", &["a"], 2), ("y\"", &["b"], 5)])),
            ("escaped intents key", "{\"int\\u0065nts\": [\n{\"tag\": \"t\", \"patterns\": [\n\"x\"]}]}", Gives(&[("x", &["t"], 3)])),
            ("duplicate key: the last one counts", "{\"intents\": [{\"tag\": \"old\", \"patterns\": [\"o\"]}],\n\"intents\": [\n{\"tag\": \"new\", \"patterns\": [\"n\"]}]}", Gives(&[("n", &["new"], 3)])),
            ("syntax error names its line", "[\n{\"class\": \"a\", \"sentence\": \"x\"},\n{\"class\": \"a\" \"sentence\": \"y\"}\n]", Fails(&["t.json:3:", "invalid JSON at column 15: expected `,` or `}`"])),
            ("unfinished file", "[\n{\"class\": \"a\",", Fails(&["t.json:2:", "end of file while parsing"])),
            ("wrong top level", "\"hello\"", Fails(&["t.json: expected a JSON array", "found a string"])),
            ("object without intents", "{\"data\": []}", Fails(&["t.json: expected a JSON array", "keys \"data\""])),
            ("intents not an array", "{\"intents\": {}}", Fails(&["t.json: \"intents\" must be an array, got an object"])),
            ("item not an object", "[\n{\"class\": \"a\", \"sentence\": \"x\"},\n[\"a\", \"y\"]]", Fails(&["t.json:3:", "item 2: expected an object", "got an array"])),
            ("missing sentence: skipped", "[\n{\"class\": \"a\", \"text\": \"x\"},\n{\"class\": \"a\", \"sentence\": \"y\"}]", Skips(&[("y", &["a"], 3)], &[2], &[])),
            ("only skipped items", "[\n{\"class\": \"a\", \"text\": \"x\"}]", Fails(&["t.json: no examples: skipped 1 line: 1 without text (line 2)", "texts come from \"sentence\" or \"patterns\""])),
            ("sentence not a string", "[\n\n{\"class\": \"a\", \"sentence\": 1}]", Fails(&["t.json:3:", "item 1: \"sentence\" must be a string, got a number"])),
            ("empty sentence: skipped", "[{\"class\": \"a\", \"sentence\": \"\"},\n{\"class\": \"a\", \"sentence\": \"y\"}]", Skips(&[("y", &["a"], 2)], &[1], &[])),
            ("missing class: skipped", "[\n{\"sentence\": \"x\"},\n{\"class\": \"a\", \"sentence\": \"y\"}]", Skips(&[("y", &["a"], 3)], &[], &[2])),
            ("wrong class type even without sentence", "[\n{\"class\": 1.5}]", Fails(&["t.json:2:", "item 1: \"class\" must be a string, got a number"])),
            ("class not a string", "[{\"sentence\": \"x\", \"class\": [\"a\"]}]", Fails(&["t.json:1:", "\"class\" must be a string, got an array"])),
            ("intent not an object", "{\"intents\": [\n\"greeting\"]}", Fails(&["t.json:2:", "intent 1: expected an object"])),
            ("missing tag: its patterns skipped", "{\"intents\": [\n{\"patterns\": [\"x\",\n\"y\"]},\n{\"tag\": \"a\", \"patterns\": [\"z\"]}]}", Skips(&[("z", &["a"], 4)], &[], &[2, 3])),
            ("missing patterns", "{\"intents\": [\n{\"tag\": \"a\"}]}", Fails(&["t.json:2:", "intent \"a\": missing \"patterns\""])),
            ("patterns not an array", "{\"intents\": [\n{\"tag\": \"a\", \"patterns\": \"x\"}]}", Fails(&["t.json:2:", "\"patterns\" must be an array of strings, got a string"])),
            ("pattern not a string", "{\"intents\": [{\"tag\": \"a\", \"patterns\": [\n\"x\",\n3]}]}", Fails(&["t.json:3:", "intent \"a\": pattern 2 must be a string, got a number"])),
            ("empty array", "[]", Fails(&["t.json: no examples"])),
            ("only blank patterns", "{\"intents\": [{\"tag\": \"a\", \"patterns\": [\" \"]}]}", Fails(&["t.json: no examples"])),
            ("empty file", "\n", Fails(&["t.json: no examples"])),
        ];
        check(
            DataFormat::Intents,
            "t.json",
            cases,
            &ReadOptions::default(),
        );
    }

    #[test]
    fn prediction_input_may_lack_classes_and_tags() {
        let cases: &[(&str, &str, Expect)] = &[
            (
                "no class",
                "[{\"sentence\": \"x\"}]",
                Gives(&[("x", &[], 1)]),
            ),
            (
                "no tag",
                "{\"intents\": [{\"patterns\": [\"x\"]}]}",
                Gives(&[("x", &[], 1)]),
            ),
        ];
        check(DataFormat::Intents, "t.json", cases, &unlabelled());
    }

    #[test]
    fn visit_values_reports_paths_and_lines() {
        use Step::{Index as I, Key as K};
        /// The (path, line) pairs `visit_values` reports, in document order.
        type Visits = Vec<(Vec<Step>, usize)>;
        // (document, max_depth, expected visits)
        let cases: [(&str, usize, Visits); 5] = [
            ("1", 4, vec![(vec![], 1)]),
            (
                "[1,\n\"a\"]",
                4,
                vec![(vec![], 1), (vec![I(0)], 1), (vec![I(1)], 2)],
            ),
            (
                "{\"k\": [\n{\"j\": \"v,]}\"}\n]}",
                4,
                vec![
                    (vec![], 1),
                    (vec![K("k".into())], 1),
                    (vec![K("k".into()), I(0)], 2),
                    (vec![K("k".into()), I(0), K("j".into())], 2),
                ],
            ),
            (
                "[[], {}, [[2]]]",
                2,
                vec![
                    (vec![], 1),
                    (vec![I(0)], 1),
                    (vec![I(1)], 1),
                    (vec![I(2)], 1),
                    (vec![I(2), I(0)], 1),
                ],
            ),
            (
                "{\"a\": {\"b\": 1}, \"c\": 2}",
                1,
                vec![
                    (vec![], 1),
                    (vec![K("a".into())], 1),
                    (vec![K("c".into())], 1),
                ],
            ),
        ];
        for (input, max_depth, expected) in cases {
            let mut seen = Vec::new();
            visit_values(input.as_bytes(), max_depth, |path, line| {
                seen.push((path.to_vec(), line))
            });
            assert_eq!(seen, expected, "{input}");
        }
    }
}
