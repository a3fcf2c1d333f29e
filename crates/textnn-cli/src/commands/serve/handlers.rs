//! The endpoints: Rasa's greeting, `/model/parse` (with emulation modes and
//! button payloads), `/status` and `/version`, `/v1/classify`, the probes,
//! `/metrics` and `/admin/reload`; and the middleware that records every
//! answer in the metrics.
//!
//! A classification handler takes one snapshot of the model in service and
//! answers from it alone, so that a reload during the request cannot mix
//! two models in one answer.

use super::body::JsonBody;
use super::emulation::{Emulation, Parsed};
use super::errors::ApiError;
use super::metrics::route_index;
use super::slash::{self, Entity};
use super::state::{AppState, LoadedModel};
use axum::extract::{FromRequestParts, RawQuery, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};
use textnn::any_model::AnyModel;

/// Labels in Rasa's `intent_ranking`, as Rasa's own classifiers report.
const RASA_RANKING_LENGTH: usize = 10;

/// The intent Rasa's FallbackClassifier predicts.
const FALLBACK_INTENT: &str = "nlu_fallback";

/// `GET /`: Rasa's greeting.
pub(super) async fn greeting() -> &'static str {
    concat!("Hello from textnn: ", env!("CARGO_PKG_VERSION"))
}

/// `GET /health`: the process answers.
pub(super) async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// `GET /ready`: a model is in service.
pub(super) async fn ready() -> Json<serde_json::Value> {
    // The model is loaded before the port is bound and a reload only ever
    // replaces it with another verified one, so a server that answers is
    // ready.
    Json(serde_json::json!({"status": "ready"}))
}

/// What `/version` and `/admin/reload` say about the model in service.
fn model_description(state: &AppState, model: &LoadedModel) -> serde_json::Value {
    let loaded_at = model
        .loaded_at
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    serde_json::json!({
        "path": state.model_path.display().to_string(),
        "generation": model.generation,
        "loaded_at_unix_seconds": loaded_at,
    })
}

/// `GET /version`: program and format versions, and the model in service
/// (file, generation, labels, sizes, training settings). Open without a
/// token, as Rasa's is.
pub(super) async fn version(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let model = state.snapshot();
    let mut answer = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "minimum_compatible_version": env!("CARGO_PKG_VERSION"),
        "format_version": textnn::format::FORMAT_VERSION,
        "oldest_readable_format_version": textnn::format::OLDEST_READABLE_VERSION,
        "model": model_description(&state, &model),
        "labels": model.classifier.labels().names(),
        "n_labels": model.classifier.labels().len(),
    });
    let sizes = match &model.classifier {
        AnyModel::Textnn(classifier) => {
            let network = classifier.network().config();
            // The stored training settings hold the network settings as asked for,
            // before the data fixed the input rows and label count: report the
            // network's own, as `textnn info` does.
            let mut settings = serde_json::to_value(classifier.settings()).unwrap_or_default();
            if let Some(stored) = settings.get_mut("network") {
                *stored = serde_json::to_value(network).unwrap_or_default();
            }
            serde_json::json!({
                "words": classifier.vocabulary().len(),
                "input_rows": network.input_rows,
                "dim": network.dim,
                "hidden": network.hidden,
                "settings": settings,
            })
        }
        // A fastText model: its own stored settings, and no hidden layer.
        AnyModel::FastText(fasttext) => serde_json::json!({
            "words": fasttext.n_words(),
            "input_rows": fasttext.input_rows(),
            "dim": fasttext.args().dim,
            "hidden": [],
            "settings": {"fasttext": fasttext.args(), "quantized": fasttext.is_quantized()},
        }),
    };
    if let (Some(answer), serde_json::Value::Object(sizes)) = (answer.as_object_mut(), sizes) {
        answer.extend(sizes);
    }
    Json(answer)
}

/// `GET /status`: Rasa's status of the model in service (`model_file`,
/// `model_id`, `num_active_training_jobs`: always 0, textnn trains offline),
/// with its generation. Needs the token when one is set, as in Rasa.
pub(super) async fn status(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let model = state.snapshot();
    let stem = state
        .model_path
        .file_stem()
        .map_or_else(|| "model".into(), |s| s.to_string_lossy());
    Json(serde_json::json!({
        "model_file": state.model_path.display().to_string(),
        "model_id": format!("{stem}@{}", model.generation),
        "num_active_training_jobs": 0,
        "generation": model.generation,
    }))
}

/// `POST /admin/reload`: loads the model file again, as SIGHUP does, and
/// answers once the new model serves (200) or was refused (500, the old one
/// still serving). Only with `--token-file` or `--jwt-secret` (the auth
/// middleware has already checked the credentials); without either it is
/// refused with 403, since anyone who can reach the port could otherwise
/// make the service read files.
pub(super) async fn admin_reload(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    if !state.auth_enabled() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "POST /admin/reload needs authentication (--token-file or --jwt-secret)",
        )
        .with_help("send SIGHUP to the process to reload without authentication"));
    }
    match state.reload("POST /admin/reload").await {
        Ok(model) => Ok(Json(serde_json::json!({
            "status": "ok",
            "model": model_description(&state, &model),
            "labels": model.classifier.labels().names(),
        }))
        .into_response()),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "reload refused, still serving generation {}: {e:#}",
                state.snapshot().generation
            ),
        )),
    }
}

/// Test-only (`--debug-delays`): the `X-Debug-Delay-Ms` header's delay,
/// slept after the model snapshot is taken, so that tests can hold a
/// request in flight while they reload, shed, time out or shut down.
pub(super) struct DebugDelay(Option<Duration>);

impl FromRequestParts<Arc<AppState>> for DebugDelay {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        if !state.debug_delays {
            return Ok(DebugDelay(None));
        }
        let delay = parts
            .headers
            .get("x-debug-delay-ms")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis);
        Ok(DebugDelay(delay))
    }
}

impl DebugDelay {
    async fn wait(self) {
        if let Some(delay) = self.0 {
            tokio::time::sleep(delay).await;
        }
    }
}

/// Refuses a text longer than `--max-text-chars` with 413.
fn check_text(state: &AppState, text: &str) -> Result<(), ApiError> {
    // Counting characters is linear, but the body limit already bounds it.
    let chars = text.chars().count();
    if chars > state.max_text_chars {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "text holds {chars} characters, more than the limit of {} (--max-text-chars)",
                state.max_text_chars
            ),
        ));
    }
    Ok(())
}

/// `/model/parse`'s request: Rasa's. `text` is a string or, as Rasa
/// accepts it, a list whose first element is the text.
#[derive(Deserialize)]
pub(super) struct ParseRequest {
    text: serde_json::Value,
    #[allow(dead_code)] // accepted as Rasa does; nothing to do with it yet
    message_id: Option<String>,
}

impl ParseRequest {
    /// The text: the string, or the first element of a list of strings.
    /// (Rasa looks only at the first element; a list holding anything but
    /// strings is refused here, as the OpenAPI document says.)
    fn text(&self) -> Result<&str, ApiError> {
        let text = match &self.text {
            serde_json::Value::Array(list) if list.iter().all(|t| t.is_string()) => list.first(),
            serde_json::Value::Array(_) => None,
            text => Some(text),
        };
        text.and_then(|t| t.as_str()).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "text must be a string, or a non-empty list of strings whose first element is the text",
            )
            .with_details(serde_json::json!({"parameter": "text", "in": "body"}))
        })
    }
}

/// One label and its probability.
#[derive(Serialize, Debug, PartialEq)]
struct Intent<'a> {
    name: &'a str,
    confidence: f32,
}

#[derive(Serialize)]
struct ParseResponse<'a> {
    text: &'a str,
    intent: Intent<'a>,
    intent_ranking: Vec<Intent<'a>>,
    entities: &'a [Entity],
}

/// `POST /model/parse`: Rasa's `ParseResult`, with `nlu_fallback` rules,
/// in another service's shape with `?emulation_mode=` (see
/// [`super::emulation`]). A button payload `/intent{"entity": "value"}`
/// naming one of the model's labels answers that intent at its stated
/// confidence (1.0 by default) with its entities, unclassified, as Rasa
/// does; one naming an unknown intent is logged and classified as text, as
/// Rasa does with an intent outside its domain.
pub(super) async fn parse(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    delay: DebugDelay,
    JsonBody(request): JsonBody<ParseRequest>,
) -> Result<Response, ApiError> {
    let emulation = Emulation::from_query(query.as_deref())?;
    let text = request.text()?;
    check_text(&state, text)?;
    let model = state.snapshot();
    delay.wait().await;
    let classifier = &model.classifier;
    let payload = slash::parse(text).filter(|payload| {
        let known = classifier.labels().id(payload.intent).is_some();
        if !known {
            tracing::warn!(
                intent = payload.intent,
                "a button payload names an intent the model does not know; classifying it as text"
            );
        }
        known
    });
    let (ranking, entities) = match payload {
        Some(payload) => {
            let intent = Intent {
                name: payload.intent,
                confidence: payload.confidence,
            };
            (vec![intent], payload.entities)
        }
        None => {
            // Inference takes microseconds and never waits on I/O, so it
            // runs right here on the async worker rather than through
            // spawn_blocking.
            let ranked = model.with_scratch(|classifier, scratch| {
                classifier.predict_with(text, RASA_RANKING_LENGTH, 0.0, scratch)
            });
            let mut ranking: Vec<Intent> = ranked
                .iter()
                .map(|&(id, p)| Intent {
                    name: classifier.label_name(id),
                    confidence: p,
                })
                .collect();
            apply_fallback(
                &mut ranking,
                state.fallback_threshold,
                state.ambiguity_threshold,
            );
            (ranking, Vec::new())
        }
    };
    let intent = match ranking.first() {
        Some(top) => Intent { ..*top },
        None => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the model has no labels",
            ))
        }
    };
    if let Some(emulation) = emulation {
        let pairs: Vec<(&str, f32)> = ranking.iter().map(|i| (i.name, i.confidence)).collect();
        let parsed = Parsed {
            text,
            intent: (intent.name, intent.confidence),
            ranking: &pairs,
            entities: &entities,
        };
        return Ok(Json(emulation.render(&parsed)).into_response());
    }
    Ok(Json(ParseResponse {
        text,
        intent,
        intent_ranking: ranking,
        entities: &entities,
    })
    .into_response())
}

/// Puts `nlu_fallback` first when the top confidence is below `threshold`
/// or the top two differ by less than `ambiguity`, as Rasa's
/// FallbackClassifier does: its confidence is the threshold (0 when only
/// the ambiguity threshold is set), and the ranking keeps the other intents
/// after it.
fn apply_fallback(ranking: &mut Vec<Intent>, threshold: Option<f32>, ambiguity: Option<f32>) {
    let top = ranking.first().map_or(0.0, |i| i.confidence);
    let below = threshold.is_some_and(|t| top < t);
    let ambiguous = ambiguity
        .is_some_and(|a| ranking.len() >= 2 && ranking[0].confidence - ranking[1].confidence < a);
    if below || ambiguous {
        ranking.insert(
            0,
            Intent {
                name: FALLBACK_INTENT,
                confidence: threshold.unwrap_or(0.0),
            },
        );
    }
}

/// `/v1/classify`'s request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClassifyRequest {
    texts: Vec<String>,
    /// Labels per text (0 = all).
    #[serde(default = "one")]
    k: usize,
    /// Leave out labels below this probability; the model's own by default.
    threshold: Option<f32>,
}

fn one() -> usize {
    1
}

/// `/v1/classify`'s answer, serialised directly so that confidences keep
/// their `f32` digits (going through `serde_json::Value` would widen them).
#[derive(Serialize)]
struct ClassifyResponse<'a> {
    results: Vec<Vec<Label<'a>>>,
}

#[derive(Serialize)]
struct Label<'a> {
    label: &'a str,
    confidence: f32,
}

/// `POST /v1/classify`: one ranked list per text.
pub(super) async fn classify(
    State(state): State<Arc<AppState>>,
    delay: DebugDelay,
    JsonBody(request): JsonBody<ClassifyRequest>,
) -> Result<Response, ApiError> {
    if request.texts.len() > state.max_batch {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} texts in one request, more than the limit of {} (--max-batch)",
                request.texts.len(),
                state.max_batch
            ),
        ));
    }
    let model = state.snapshot();
    let threshold = request
        .threshold
        .unwrap_or(model.classifier.default_threshold());
    if !(0.0..=1.0).contains(&threshold) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("threshold must be a number in [0, 1], got {threshold}"),
        ));
    }
    for text in &request.texts {
        check_text(&state, text)?;
    }
    delay.wait().await;
    // As in `parse`: microseconds of CPU per text, run on the worker itself.
    let ranked: Vec<Vec<(usize, f32)>> = model.with_scratch(|classifier, scratch| {
        request
            .texts
            .iter()
            .map(|text| classifier.predict_with(text, request.k, threshold, scratch))
            .collect()
    });
    let classifier = &model.classifier;
    let results: Vec<Vec<Label>> = ranked
        .iter()
        .map(|labels| {
            labels
                .iter()
                .map(|&(id, p)| Label {
                    label: classifier.label_name(id),
                    confidence: p,
                })
                .collect()
        })
        .collect();
    Ok(Json(ClassifyResponse { results }).into_response())
}

/// Counts and times every answer. Outermost but for CORS and the access
/// log, so that refusals (401, 408, 413, 503) and panics are counted too.
pub(super) async fn record_metrics(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let route = route_index(request.uri().path());
    let start = Instant::now();
    let response = next.run(request).await;
    state.metrics.record(
        route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// `GET /metrics`: Prometheus text (see [`super::metrics`]).
pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intents(confidences: &[f32]) -> Vec<Intent<'static>> {
        const NAMES: [&str; 3] = ["a", "b", "c"];
        confidences
            .iter()
            .zip(NAMES)
            .map(|(&confidence, name)| Intent { name, confidence })
            .collect()
    }

    #[test]
    #[allow(clippy::type_complexity)] // one tuple per table row reads best here
    fn fallback_follows_rasa_rules() {
        // (confidences, threshold, ambiguity, expected first name and confidence)
        let table: [(&[f32], Option<f32>, Option<f32>, (&str, f32)); 6] = [
            (&[0.6, 0.3, 0.1], None, None, ("a", 0.6)),
            (&[0.6, 0.3, 0.1], Some(0.7), None, ("nlu_fallback", 0.7)),
            (&[0.6, 0.3, 0.1], Some(0.5), None, ("a", 0.6)),
            (
                &[0.45, 0.4, 0.15],
                Some(0.3),
                Some(0.1),
                ("nlu_fallback", 0.3),
            ),
            (&[0.45, 0.4, 0.15], None, Some(0.01), ("a", 0.45)),
            (&[0.5], None, Some(0.9), ("a", 0.5)),
        ];
        for (confidences, threshold, ambiguity, (name, confidence)) in table {
            let mut ranking = intents(confidences);
            apply_fallback(&mut ranking, threshold, ambiguity);
            assert_eq!(ranking[0], Intent { name, confidence });
            let fell_back = name == FALLBACK_INTENT;
            assert_eq!(ranking.len(), confidences.len() + usize::from(fell_back));
        }
    }
}
