//! `textnn serve MODEL`: classify text over HTTP.
//!
//! Endpoints:
//!
//! - `POST /model/parse` `{"text": "...", "message_id": "..."}` answers in
//!   Rasa's `ParseResult` shape, so a chatbot framework that speaks Rasa's
//!   NLU HTTP interface can use textnn as its intent classifier.
//! - `POST /v1/classify` `{"texts": [...], "k": 3, "threshold": 0.2}` answers
//!   `{"results": [[{"label", "confidence"}, ...], ...]}`, one ranked list per text.
//! - `GET /health` (the process answers), `GET /ready` (the model is loaded;
//!   it is loaded before the port is bound, so always once reachable),
//!   `GET /version`, `GET /metrics` (Prometheus text), `GET /` (Rasa's greeting).
//!
//! Every error, whatever its source (body limit, content type, JSON, unknown
//! route, wrong method, panic), is one JSON object:
//! `{"version", "status": "failure", "code", "reason", "message"}`.
//!
//! Limits: `--max-body-bytes` (413), `--max-text-chars` and `--max-batch`
//! (413 too: like the body limit, they bound the size of the work asked
//! for). `--token-file` requires a bearer token everywhere but `/` and
//! `/health` (401).
//!
//! The model is loaded and fully verified once, before binding, and shared
//! read-only (`Arc<Classifier>`) by every request.

use anyhow::Context;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use clap::Args;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use textnn::model::Scratch;
use textnn::Classifier;

/// Options of `textnn serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Model file.
    pub model: PathBuf,
    /// Address to listen on; port 0 picks a free port. The bound address is printed first on stderr.
    #[arg(long, default_value = "127.0.0.1:5005")]
    pub addr: SocketAddr,
    /// /model/parse answers the intent nlu_fallback (with this confidence) when the top confidence is below it, as Rasa's FallbackClassifier does.
    #[arg(long, value_parser = crate::args::parse_threshold)]
    pub fallback_threshold: Option<f32>,
    /// /model/parse answers nlu_fallback when the top two confidences differ by less than this.
    #[arg(long, value_parser = crate::args::parse_threshold)]
    pub ambiguity_threshold: Option<f32>,
    /// Largest request body in bytes; a larger one is refused with 413.
    #[arg(long, default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Longest text in characters; a longer one is refused with 413.
    #[arg(long, default_value_t = 10_000)]
    pub max_text_chars: usize,
    /// Most texts in one /v1/classify request; more are refused with 413.
    #[arg(long, default_value_t = 1_000)]
    pub max_batch: usize,
    /// Require this file's token (surrounding whitespace removed) as `Authorization: Bearer TOKEN` or Rasa's `?token=TOKEN` on every endpoint but / and /health; others answer 401.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
}

/// Labels in Rasa's `intent_ranking`, as Rasa's own classifiers report.
const RASA_RANKING_LENGTH: usize = 10;

/// The intent Rasa's FallbackClassifier predicts.
const FALLBACK_INTENT: &str = "nlu_fallback";

/// The routes, in the order `/metrics` lists them; any other path is
/// counted as `other` so that scanners cannot grow the metrics without bound.
const ROUTES: [&str; 8] = [
    "/",
    "/health",
    "/ready",
    "/version",
    "/metrics",
    "/model/parse",
    "/v1/classify",
    "other",
];

/// Upper bounds, in seconds, of the latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// What every request shares.
struct AppState {
    model: Arc<Classifier>,
    /// Scratch buffers returned by finished requests, so that a request
    /// usually allocates only its answer.
    scratch_pool: Mutex<Vec<Scratch>>,
    fallback_threshold: Option<f32>,
    ambiguity_threshold: Option<f32>,
    max_text_chars: usize,
    max_batch: usize,
    /// The bearer token, when `--token-file` is given.
    token: Option<String>,
    metrics: Metrics,
}

impl AppState {
    /// Runs `f` with a scratch buffer from the pool (a new one if empty).
    fn with_scratch<R>(&self, f: impl FnOnce(&Classifier, &mut Scratch) -> R) -> R {
        let taken = lock(&self.scratch_pool).pop();
        let mut scratch = taken.unwrap_or_else(|| self.model.scratch());
        let result = f(&self.model, &mut scratch);
        lock(&self.scratch_pool).push(scratch);
        result
    }

    fn check_text(&self, text: &str) -> Result<(), ApiError> {
        // Counting characters is linear, but the body limit already bounds it.
        let chars = text.chars().count();
        if chars > self.max_text_chars {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "text holds {chars} characters, more than the limit of {} (--max-text-chars)",
                    self.max_text_chars
                ),
            ));
        }
        Ok(())
    }
}

/// Locks `mutex`, ignoring poisoning: the data behind our mutexes (a pool of
/// buffers, counters) stays valid even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // Load and verify before binding: a bad model must never get a port.
    let model = Classifier::load(&args.model)?;
    let token = match &args.token_file {
        Some(path) => Some(read_token(path)?),
        None => None,
    };
    let state = Arc::new(AppState {
        model: Arc::new(model),
        scratch_pool: Mutex::new(Vec::new()),
        fallback_threshold: args.fallback_threshold,
        ambiguity_threshold: args.ambiguity_threshold,
        max_text_chars: args.max_text_chars,
        max_batch: args.max_batch,
        token,
        metrics: Metrics::default(),
    });
    let app = router(state, args.max_body_bytes);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()
        .context("starting the HTTP runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("binding {}", args.addr))?;
        let bound = listener.local_addr().context("reading the bound address")?;
        // The first line on stderr, which scripts and tests read for the port.
        eprintln!("textnn: serving {} on http://{bound}", args.model.display());
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving HTTP")?;
        eprintln!("textnn: shut down");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT or SIGTERM; axum then stops accepting, lets in-flight
/// requests finish and returns.
async fn shutdown_signal() {
    let interrupt = async {
        // If the handler cannot be installed, wait for the other signal only.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    // Whichever signal comes first (tokio's select! would need its macros).
    let mut interrupt = std::pin::pin!(interrupt);
    let mut terminate = std::pin::pin!(terminate);
    std::future::poll_fn(|cx| {
        if interrupt.as_mut().poll(cx).is_ready() || terminate.as_mut().poll(cx).is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

/// The whole service: routes, JSON fallbacks and layers.
fn router(state: Arc<AppState>, max_body_bytes: usize) -> Router {
    let routes = Router::new()
        .route("/", get(greeting))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/version", get(version))
        .route("/metrics", get(metrics))
        .route("/model/parse", post(parse))
        .route("/v1/classify", post(classify));
    with_layers(routes, state, max_body_bytes)
}

/// JSON fallbacks for unknown routes and methods, the body limit, panic
/// recovery and metrics, applied to `routes`.
fn with_layers(
    routes: Router<Arc<AppState>>,
    state: Arc<AppState>,
    max_body_bytes: usize,
) -> Router {
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        // Outermost, so that it counts and times every answer, panics included.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            record_metrics,
        ))
        .with_state(state)
}

/// Reads the token of `--token-file`, refusing an empty one.
fn read_token(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the token file {}", path.display()))?;
    let token = text.trim();
    anyhow::ensure!(
        !token.is_empty(),
        "the token file {} is empty",
        path.display()
    );
    Ok(token.to_string())
}

/// Whether `a` equals `b`, taking the same time for every `b` of `a`'s
/// length, so that response times do not reveal how much of a guessed
/// token is right. (The length itself may leak; it is not the secret.)
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// With a token set, answers 401 unless the request carries it as
/// `Authorization: Bearer TOKEN` or as Rasa's `?token=TOKEN` (taken as is,
/// not percent-decoded); `/` and `/health` stay open for probes.
async fn authenticate(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = &state.token else {
        return next.run(request).await;
    };
    let path = request.uri().path();
    if path == "/" || path == "/health" {
        return next.run(request).await;
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let query = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("token=")));
    let given = bearer.or(query);
    if given.is_some_and(|given| constant_time_eq(token.as_bytes(), given.trim().as_bytes())) {
        return next.run(request).await;
    }
    let message = if given.is_some() {
        "the token is wrong"
    } else {
        "this endpoint needs a token: Authorization: Bearer TOKEN or ?token=TOKEN"
    };
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// An error answered as `{"version", "status": "failure", "code", "reason", "message"}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

/// Rasa's `reason`: the status's name in CamelCase (`BadRequest`), with
/// Rasa's own names for 401 and 403.
fn reason(status: StatusCode) -> String {
    match status {
        StatusCode::UNAUTHORIZED => return "NotAuthenticated".into(),
        StatusCode::FORBIDDEN => return "NotAuthorized".into(),
        _ => {}
    }
    status
        .canonical_reason()
        .unwrap_or("Error")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "status": "failure",
            "code": self.status.as_u16(),
            "reason": reason(self.status),
            "message": self.message,
        });
        (self.status, Json(body)).into_response()
    }
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no endpoint at {}", request.uri().path()),
    )
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} does not answer {}",
            request.uri().path(),
            request.method()
        ),
    )
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into());
    eprintln!("textnn: a request handler panicked: {detail}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error while handling the request",
    )
    .into_response()
}

/// A JSON request body: `Content-Type: application/json` (else 415), within
/// the body limit (else 413), parsed into `T` (else 400). Unlike axum's
/// `Json`, every refusal is an [`ApiError`].
struct JsonBody<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("the body must be application/json, got {content_type:?}"),
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                let status = rejection.status();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        status,
                        "the request body is larger than the limit (--max-body-bytes)",
                    )
                } else {
                    ApiError::new(
                        status,
                        format!("reading the request body: {}", rejection.body_text()),
                    )
                }
            })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not the JSON this endpoint expects: {e}"),
            )
        })
    }
}

async fn greeting() -> &'static str {
    concat!("Hello from textnn: ", env!("CARGO_PKG_VERSION"))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn ready() -> Json<serde_json::Value> {
    // The model is loaded before the port is bound, so a server that
    // answers is ready.
    Json(serde_json::json!({"status": "ready"}))
}

async fn version(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let model = &state.model;
    Json(serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "minimum_compatible_version": env!("CARGO_PKG_VERSION"),
        "format_version": textnn::format::FORMAT_VERSION,
        "oldest_readable_format_version": textnn::format::OLDEST_READABLE_VERSION,
        "labels": model.labels().names(),
        "settings": model.settings(),
    }))
}

/// `/model/parse`'s request: Rasa's.
#[derive(Deserialize)]
struct ParseRequest {
    text: String,
    #[allow(dead_code)] // accepted as Rasa does; nothing to do with it yet
    message_id: Option<String>,
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
    entities: [(); 0],
}

async fn parse(
    State(state): State<Arc<AppState>>,
    JsonBody(request): JsonBody<ParseRequest>,
) -> Result<Response, ApiError> {
    state.check_text(&request.text)?;
    // Inference takes microseconds and never waits on I/O, so it runs right
    // here on the async worker rather than through spawn_blocking.
    let ranked = state.with_scratch(|model, scratch| {
        model.predict_with(&request.text, RASA_RANKING_LENGTH, 0.0, scratch)
    });
    let model = &state.model;
    let mut ranking: Vec<Intent> = ranked
        .iter()
        .map(|&(id, p)| Intent {
            name: model.label_name(id),
            confidence: p,
        })
        .collect();
    apply_fallback(
        &mut ranking,
        state.fallback_threshold,
        state.ambiguity_threshold,
    );
    let intent = match ranking.first() {
        Some(top) => Intent { ..*top },
        None => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the model has no labels",
            ))
        }
    };
    Ok(Json(ParseResponse {
        text: &request.text,
        intent,
        intent_ranking: ranking,
        entities: [],
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
struct ClassifyRequest {
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

async fn classify(
    State(state): State<Arc<AppState>>,
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
    let threshold = request
        .threshold
        .unwrap_or(state.model.settings().threshold);
    if !(0.0..=1.0).contains(&threshold) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("threshold must be a number in [0, 1], got {threshold}"),
        ));
    }
    for text in &request.texts {
        state.check_text(text)?;
    }
    // As in `parse`: microseconds of CPU per text, run on the worker itself.
    let ranked: Vec<Vec<(usize, f32)>> = state.with_scratch(|model, scratch| {
        request
            .texts
            .iter()
            .map(|text| model.predict_with(text, request.k, threshold, scratch))
            .collect()
    });
    let model = &state.model;
    let results: Vec<Vec<Label>> = ranked
        .iter()
        .map(|labels| {
            labels
                .iter()
                .map(|&(id, p)| Label {
                    label: model.label_name(id),
                    confidence: p,
                })
                .collect()
        })
        .collect();
    Ok(Json(ClassifyResponse { results }).into_response())
}

/// Request counts by endpoint and status, and a latency histogram by endpoint.
#[derive(Default)]
struct Metrics {
    by_route: Mutex<BTreeMap<&'static str, RouteStats>>,
}

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    /// Non-cumulative counts per bucket of [`LATENCY_BUCKETS`], then +Inf.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    seconds: f64,
    count: u64,
}

impl Metrics {
    fn record(&self, route: &'static str, status: u16, seconds: f64) {
        let mut routes = lock(&self.by_route);
        let stats = routes.entry(route).or_default();
        *stats.by_status.entry(status).or_default() += 1;
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|&le| seconds <= le)
            .unwrap_or(LATENCY_BUCKETS.len());
        stats.buckets[bucket] += 1;
        stats.seconds += seconds;
        stats.count += 1;
    }

    /// The Prometheus text exposition format, version 0.0.4.
    fn render(&self) -> String {
        use std::fmt::Write;
        let routes = lock(&self.by_route);
        let mut out = String::new();
        // Writing to a String cannot fail, hence the ignored results.
        out.push_str(
            "# HELP textnn_http_requests_total HTTP requests answered, by endpoint and status.\n",
        );
        out.push_str("# TYPE textnn_http_requests_total counter\n");
        for (route, stats) in routes.iter() {
            for (status, n) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "textnn_http_requests_total{{endpoint=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP textnn_http_request_duration_seconds Time to answer HTTP requests, by endpoint.\n");
        out.push_str("# TYPE textnn_http_request_duration_seconds histogram\n");
        for (route, stats) in routes.iter() {
            let mut cumulative = 0;
            for (i, n) in stats.buckets.iter().enumerate() {
                cumulative += n;
                let le = LATENCY_BUCKETS
                    .get(i)
                    .map_or("+Inf".to_string(), |b| b.to_string());
                let _ = writeln!(
                    out,
                    "textnn_http_request_duration_seconds_bucket{{endpoint=\"{route}\",le=\"{le}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "textnn_http_request_duration_seconds_sum{{endpoint=\"{route}\"}} {}",
                stats.seconds
            );
            let _ = writeln!(
                out,
                "textnn_http_request_duration_seconds_count{{endpoint=\"{route}\"}} {}",
                stats.count
            );
        }
        out
    }
}

async fn record_metrics(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let route = ROUTES
        .iter()
        .copied()
        .find(|&r| r == path)
        .unwrap_or("other");
    let start = Instant::now();
    let response = next.run(request).await;
    state.metrics.record(
        route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
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

    /// A handler that panics answers a JSON 500, and the same service then
    /// answers the next request.
    #[test]
    fn a_panic_becomes_a_json_500_and_the_service_lives_on() {
        use tower::ServiceExt;
        let examples: Vec<textnn::data::Example> = ["hello there", "bye now"]
            .iter()
            .zip(["greet", "bye"])
            .map(|(text, label)| textnn::data::Example {
                text: text.to_string(),
                labels: vec![label.to_string()],
                line: 1,
            })
            .collect();
        let mut config = textnn::TrainConfig::fasttext();
        config.epochs = 2;
        config.features.buckets = 100;
        config.network.dim = 4;
        let model = textnn::train(&config, &examples, &mut |_| {}).unwrap();
        let state = Arc::new(AppState {
            model: Arc::new(model),
            scratch_pool: Mutex::new(Vec::new()),
            fallback_threshold: None,
            ambiguity_threshold: None,
            max_text_chars: 100,
            max_batch: 10,
            token: None,
            metrics: Metrics::default(),
        });
        async fn boom() -> &'static str {
            panic!("deliberate test panic")
        }
        let routes = Router::new()
            .route("/boom", get(boom))
            .route("/health", get(health));
        let app = with_layers(routes, state.clone(), 1000);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let get = |path: &str| Request::get(path).body(axum::body::Body::empty()).unwrap();
            let response = app.clone().oneshot(get("/boom")).await.unwrap();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let body = axum::body::to_bytes(response.into_body(), 10_000)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["status"], "failure");
            assert_eq!(body["code"], 500);
            let response = app.oneshot(get("/health")).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        });
        assert!(state
            .metrics
            .render()
            .contains("endpoint=\"other\",status=\"500\"} 1"));
    }

    #[test]
    fn token_comparison_needs_every_byte() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret "));
        assert!(!constant_time_eq(b"secret", b""));
    }

    #[test]
    fn reasons_are_camel_case_status_names() {
        assert_eq!(reason(StatusCode::UNAUTHORIZED), "NotAuthenticated");
        assert_eq!(reason(StatusCode::BAD_REQUEST), "BadRequest");
        assert_eq!(reason(StatusCode::PAYLOAD_TOO_LARGE), "PayloadTooLarge");
        assert_eq!(
            reason(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            "UnsupportedMediaType"
        );
    }

    #[test]
    fn metrics_histogram_is_cumulative() {
        let metrics = Metrics::default();
        metrics.record("/health", 200, 0.0002);
        metrics.record("/health", 200, 2.0);
        metrics.record("/health", 404, 0.00005);
        let text = metrics.render();
        assert!(text.contains("textnn_http_requests_total{endpoint=\"/health\",status=\"200\"} 2"));
        assert!(text.contains("textnn_http_requests_total{endpoint=\"/health\",status=\"404\"} 1"));
        assert!(text.contains("le=\"0.0001\"} 1\n"));
        assert!(text.contains("le=\"0.00025\"} 2\n"));
        assert!(text.contains("le=\"1\"} 2\n"));
        assert!(text.contains("le=\"+Inf\"} 3\n"));
        assert!(text.contains("textnn_http_request_duration_seconds_count{endpoint=\"/health\"} 3"));
    }
}
