//! `POST /model/parse?emulation_mode=WIT|LUIS|DIALOGFLOW`: the answer in
//! another NLU service's shape, as Rasa 3's emulators give it (the mode is
//! case-insensitive; any other is refused with 400).
//!
//! - `WIT` (wit.ai's `GET /message`, API version 20200513):
//!   `{"text", "intents": [{"id", "name", "confidence"}], "entities":
//!   {"NAME:ROLE": [{"id", "name", "role", "start", "end", "body", "value",
//!   "confidence", "entities": []}]}, "traits": {}}`, the top intent only.
//! - `LUIS` (LUIS prediction API v3.0): `{"query", "prediction":
//!   {"normalizedQuery", "topIntent", "intents": {NAME: {"score"}},
//!   "entities": {NAME: [VALUE], "$instance": {NAME: [{"role", "type",
//!   "text", "startIndex", "length", "score", "modelType"}]}}}}`, the whole
//!   ranking.
//! - `DIALOGFLOW` (Dialogflow ES v2 `DetectIntentResponse`):
//!   `{"responseId", "queryResult": {"queryText", "action", "parameters":
//!   {NAME: [VALUE]}, "fulfillmentText": "", "fulfillmentMessages": [],
//!   "outputContexts": [], "intent": {"name", "displayName"},
//!   "intentDetectionConfidence"}}`.

use super::errors::ApiError;
use super::query;
use super::slash::Entity;
use axum::http::StatusCode;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// A response shape other than Rasa's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Emulation {
    Wit,
    Luis,
    Dialogflow,
}

impl Emulation {
    /// The mode of `?emulation_mode=` (`None` when absent); an unknown mode
    /// is a 400 that names the parameter, as Rasa answers it.
    pub(super) fn from_query(query: Option<&str>) -> Result<Option<Emulation>, ApiError> {
        let Some(raw) = query.and_then(|q| query::param(q, "emulation_mode")) else {
            return Ok(None);
        };
        let value = String::from_utf8_lossy(&raw);
        match value.to_ascii_lowercase().as_str() {
            "wit" => Ok(Some(Emulation::Wit)),
            "luis" => Ok(Some(Emulation::Luis)),
            "dialogflow" => Ok(Some(Emulation::Dialogflow)),
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "invalid parameter value for 'emulation_mode': {value:?}; should be one of 'WIT', 'LUIS', 'DIALOGFLOW'"
                ),
            )
            .with_details(json!({"parameter": "emulation_mode", "in": "query"}))),
        }
    }
}

/// What every shape is made from: Rasa's parse result.
pub(super) struct Parsed<'a> {
    pub(super) text: &'a str,
    /// The top intent and its confidence.
    pub(super) intent: (&'a str, f32),
    /// Every ranked intent, highest first.
    pub(super) ranking: &'a [(&'a str, f32)],
    pub(super) entities: &'a [Entity],
}

/// `confidence` as JSON with the digits an `f32` prints (widening to `f64`
/// would print `0.8999999761581421` for `0.9`).
fn number(confidence: f32) -> Value {
    confidence
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// The text an entity spans (its characters `start..end`).
fn body_of(text: &str, entity: &Entity) -> String {
    text.chars()
        .skip(entity.start)
        .take(entity.end.saturating_sub(entity.start))
        .collect()
}

/// A fresh identifier for the `responseId` of a Dialogflow answer: the
/// time and a counter, so that two answers never share one.
fn response_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("textnn-{nanos:x}-{n:x}")
}

impl Emulation {
    /// `parsed` in this shape.
    pub(super) fn render(self, parsed: &Parsed) -> Value {
        match self {
            Emulation::Wit => wit(parsed),
            Emulation::Luis => luis(parsed),
            Emulation::Dialogflow => dialogflow(parsed),
        }
    }
}

fn wit(parsed: &Parsed) -> Value {
    let mut entities: Map<String, Value> = Map::new();
    for entity in parsed.entities {
        // textnn's entities have no role: the role is the name, as Rasa's
        // emulator does for an entity without one.
        let key = format!("{}:{}", entity.entity, entity.entity);
        let list = entities.entry(key).or_insert_with(|| json!([]));
        if let Value::Array(list) = list {
            list.push(json!({
                "id": null,
                "name": entity.entity,
                "role": entity.entity,
                "start": entity.start,
                "end": entity.end,
                "body": body_of(parsed.text, entity),
                "value": entity.value,
                "confidence": number(entity.confidence),
                "entities": [],
            }));
        }
    }
    let (name, confidence) = parsed.intent;
    json!({
        "text": parsed.text,
        "intents": [{"id": null, "name": name, "confidence": number(confidence)}],
        "entities": entities,
        "traits": {},
    })
}

fn luis(parsed: &Parsed) -> Value {
    let intents: Map<String, Value> = parsed
        .ranking
        .iter()
        .map(|&(name, confidence)| (name.to_string(), json!({"score": number(confidence)})))
        .collect();
    let mut values: Map<String, Value> = Map::new();
    let mut instances: Map<String, Value> = Map::new();
    for entity in parsed.entities {
        if let Value::Array(list) = values
            .entry(entity.entity.clone())
            .or_insert_with(|| json!([]))
        {
            list.push(entity.value.clone());
        }
        if let Value::Array(list) = instances
            .entry(entity.entity.clone())
            .or_insert_with(|| json!([]))
        {
            list.push(json!({
                "role": null,
                "type": entity.entity,
                "text": body_of(parsed.text, entity),
                "startIndex": entity.start,
                "length": entity.end - entity.start,
                "score": number(entity.confidence),
                "modelType": null,
            }));
        }
    }
    values.insert("$instance".to_string(), Value::Object(instances));
    json!({
        "query": parsed.text,
        "prediction": {
            "normalizedQuery": parsed.text,
            "topIntent": parsed.intent.0,
            "intents": intents,
            "entities": values,
        },
    })
}

fn dialogflow(parsed: &Parsed) -> Value {
    let mut parameters: Map<String, Value> = Map::new();
    for entity in parsed.entities {
        if let Value::Array(list) = parameters
            .entry(entity.entity.clone())
            .or_insert_with(|| json!([]))
        {
            list.push(entity.value.clone());
        }
    }
    let (name, confidence) = parsed.intent;
    json!({
        "responseId": response_id(),
        "queryResult": {
            "queryText": parsed.text,
            "action": name,
            "parameters": parameters,
            "fulfillmentText": "",
            "fulfillmentMessages": [],
            "outputContexts": [],
            "intent": {"name": name, "displayName": name},
            "intentDetectionConfidence": number(confidence),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_case_insensitive_and_unknown_ones_refused() {
        // (query, mode)
        let table = [
            (None, Some(None)),
            (Some("token=x"), Some(None)),
            (Some("emulation_mode=WIT"), Some(Some(Emulation::Wit))),
            (Some("a=1&emulation_mode=luis"), Some(Some(Emulation::Luis))),
            (
                Some("emulation_mode=Dialogflow"),
                Some(Some(Emulation::Dialogflow)),
            ),
            (Some("emulation_mode=%57it"), Some(Some(Emulation::Wit))),
            (Some("emulation_modes=wit"), Some(None)),
            (Some("emulation_mode=rasa"), None),
            (Some("emulation_mode="), None),
        ];
        for (query, expected) in table {
            match (Emulation::from_query(query), expected) {
                (Ok(mode), Some(expected)) => assert_eq!(mode, expected, "{query:?}"),
                (Err(e), None) => assert_eq!(e.status, StatusCode::BAD_REQUEST),
                (got, _) => panic!("{query:?}: {got:?}"),
            }
        }
    }

    fn example() -> (Vec<Entity>, [(&'static str, f32); 2]) {
        let entities = vec![Entity {
            entity: "city".into(),
            value: json!("Paris"),
            start: 7,
            end: 24,
            confidence: 1.0,
        }];
        (entities, [("inform", 0.9), ("greet", 0.1)])
    }

    #[test]
    fn every_shape_carries_the_intent_and_entities() {
        let (entities, ranking) = example();
        let text = r#"/inform{"city": "Paris"}"#;
        let parsed = Parsed {
            text,
            intent: ranking[0],
            ranking: &ranking,
            entities: &entities,
        };
        let wit = Emulation::Wit.render(&parsed);
        assert_eq!(wit["text"], text);
        assert_eq!(wit["intents"][0]["name"], "inform");
        assert_eq!(wit["intents"][0]["confidence"], json!(0.9));
        assert_eq!(wit["entities"]["city:city"][0]["value"], "Paris");
        assert_eq!(
            wit["entities"]["city:city"][0]["body"],
            r#"{"city": "Paris"}"#
        );
        assert_eq!(wit["traits"], json!({}));

        let luis = Emulation::Luis.render(&parsed);
        assert_eq!(luis["query"], text);
        assert_eq!(luis["prediction"]["topIntent"], "inform");
        assert_eq!(luis["prediction"]["intents"]["greet"]["score"], json!(0.1));
        assert_eq!(luis["prediction"]["entities"]["city"], json!(["Paris"]));
        assert_eq!(
            luis["prediction"]["entities"]["$instance"]["city"][0]["length"],
            17
        );

        let dialogflow = Emulation::Dialogflow.render(&parsed);
        let result = &dialogflow["queryResult"];
        assert_eq!(result["queryText"], text);
        assert_eq!(result["action"], "inform");
        assert_eq!(result["intent"]["displayName"], "inform");
        assert_eq!(result["intentDetectionConfidence"], json!(0.9));
        assert_eq!(result["parameters"], json!({"city": ["Paris"]}));
        assert_ne!(
            dialogflow["responseId"],
            Emulation::Dialogflow.render(&parsed)["responseId"]
        );
    }
}
