//! Rasa's button payloads: a message `/intent_name{"entity": "value"}`
//! names its intent (and entities) instead of being classified.
//!
//! The shape, as Rasa reads it: a `/`, the intent name (up to the first `{`
//! or `@`, surrounding spaces removed), an optional `@0.8` confidence
//! (1.0 otherwise), and an optional JSON object of entities; a value that
//! is a list gives one entity per element. Each entity spans the JSON
//! object (`start`, `end` in characters), as in Rasa. Anything after the
//! object is ignored, as Rasa ignores it (with a warning).
//!
//! ```text
//! /greet                          → greet, 1.0, no entities
//! /inform{"city": "Paris"}        → inform, 1.0, city = Paris (start 7, end 23)
//! /inform@0.5{"n": [1, 2]}        → inform, 0.5, n = 1 and n = 2
//! ```

use serde::Serialize;

/// One entity of a button payload, in Rasa's `entities` shape.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub(super) struct Entity {
    /// The entity's name (the JSON key).
    pub(super) entity: String,
    /// Its value, as the JSON gave it (usually a string).
    pub(super) value: serde_json::Value,
    /// Start of the JSON object in the text, in characters.
    pub(super) start: usize,
    /// End of the JSON object in the text (exclusive), in characters.
    pub(super) end: usize,
    /// 1.0: the payload stated it.
    pub(super) confidence: f32,
}

/// A parsed button payload.
#[derive(Debug, PartialEq)]
pub(super) struct SlashIntent<'a> {
    /// The intent the payload names.
    pub(super) intent: &'a str,
    /// `@0.8`'s confidence, 1.0 without one.
    pub(super) confidence: f32,
    /// The entities of its JSON object (none when absent or malformed).
    pub(super) entities: Vec<Entity>,
}

/// `text` as a button payload, or `None` when it is not one (it does not
/// start with `/`, or names no intent).
pub(super) fn parse(text: &str) -> Option<SlashIntent<'_>> {
    let rest = text.strip_prefix('/')?;
    let name_end = rest.find(['{', '@']).unwrap_or(rest.len());
    let intent = rest[..name_end].trim();
    if intent.is_empty() {
        return None;
    }
    let mut after = &rest[name_end..];
    let mut confidence = 1.0;
    if let Some(cutoff) = after.strip_prefix('@') {
        let digits = cutoff
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(cutoff.len());
        // A malformed confidence is ignored, as Rasa ignores it (1.0).
        if let Ok(value) = cutoff[..digits].parse::<f32>() {
            if (0.0..=1.0).contains(&value) {
                confidence = value;
            }
        }
        after = &cutoff[digits..];
    }
    let entities = match (after.find('{'), after.rfind('}')) {
        (Some(0), Some(close)) => {
            let json = &after[..=close];
            let start = text.len() - after.len();
            entities_of(json, char_offset(text, start))
        }
        _ => Vec::new(),
    };
    Some(SlashIntent {
        intent,
        confidence,
        entities,
    })
}

/// The characters before byte `index` of `text`.
fn char_offset(text: &str, index: usize) -> usize {
    text[..index].chars().count()
}

/// The entities of the JSON object `json`, which starts at character
/// `start` of the message; none when it is not a JSON object (Rasa warns and
/// goes on without them).
fn entities_of(json: &str, start: usize) -> Vec<Entity> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(json) else {
        tracing::warn!(
            payload = json,
            "ignoring the entities of a button payload: not a JSON object"
        );
        return Vec::new();
    };
    let end = start + json.chars().count();
    let entity = |name: &str, value: serde_json::Value| Entity {
        entity: name.to_string(),
        value,
        start,
        end,
        confidence: 1.0,
    };
    map.into_iter()
        .flat_map(|(name, value)| match value {
            serde_json::Value::Array(values) => {
                values.into_iter().map(|v| entity(&name, v)).collect()
            }
            value => vec![entity(&name, value)],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payloads_name_intent_confidence_and_entities() {
        // (text, intent, confidence, [(entity, value, start, end)])
        #[allow(clippy::type_complexity)]
        let table: [(&str, &str, f32, &[(&str, serde_json::Value, usize, usize)]); 7] = [
            ("/greet", "greet", 1.0, &[]),
            ("/ greet ", "greet", 1.0, &[]),
            (
                r#"/inform{"city": "Paris"}"#,
                "inform",
                1.0,
                &[("city", json!("Paris"), 7, 24)],
            ),
            (
                r#"/inform@0.5{"n": [1, 2]}"#,
                "inform",
                0.5,
                &[("n", json!(1), 11, 24), ("n", json!(2), 11, 24)],
            ),
            // Offsets count characters, not bytes.
            (r#"/é{"a": "ü"}"#, "é", 1.0, &[("a", json!("ü"), 2, 12)]),
            // Malformed JSON or confidence: the intent alone.
            (r#"/inform{"city": }"#, "inform", 1.0, &[]),
            ("/inform@high", "inform", 1.0, &[]),
        ];
        for (text, intent, confidence, entities) in table {
            let parsed = parse(text).unwrap_or_else(|| panic!("{text} is a payload"));
            assert_eq!(parsed.intent, intent, "{text}");
            assert_eq!(parsed.confidence, confidence, "{text}");
            let expected: Vec<Entity> = entities
                .iter()
                .map(|(entity, value, start, end)| Entity {
                    entity: entity.to_string(),
                    value: value.clone(),
                    start: *start,
                    end: *end,
                    confidence: 1.0,
                })
                .collect();
            assert_eq!(parsed.entities, expected, "{text}");
        }
    }

    #[test]
    fn plain_text_is_no_payload() {
        for text in ["greet", "", "/", "/ ", "/{\"a\": 1}", "a/greet"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
