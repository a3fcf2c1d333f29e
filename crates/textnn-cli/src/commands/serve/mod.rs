//! `textnn serve MODEL`: classify text over HTTP.
//!
//! Endpoints:
//!
//! - `POST /model/parse` `{"text": "...", "message_id": "..."}` answers in
//!   Rasa's `ParseResult` shape, so a chatbot framework that speaks Rasa's
//!   NLU HTTP interface can use textnn as its intent classifier.
//! - `POST /v1/classify` `{"texts": [...], "k": 3, "threshold": 0.2}` answers
//!   `{"results": [[{"label", "confidence"}, ...], ...]}`, one ranked list per text.
//!   The body is read as JSON whatever its `Content-Type`; `text` may be a
//!   list (its first element is the text); `?emulation_mode=WIT|LUIS|DIALOGFLOW`
//!   answers in those services' shapes ([`emulation`]); a button payload
//!   `/intent{"entity": "value"}` answers that intent ([`slash`]).
//! - `GET /health` (the process answers), `GET /ready` (a model is in
//!   service: it is loaded before the port is bound, so always once
//!   reachable), `GET /version` (with the model in service), `GET /status`
//!   (Rasa's), `GET /metrics` (Prometheus text), `GET /openapi.json` (the
//!   OpenAPI document of all of these, [`openapi`]), `GET /` (Rasa's
//!   greeting).
//! - `POST /admin/reload` (only with `--token-file`; 403 without) and
//!   SIGHUP: load the model file again; see [`state`].
//!
//! Every error, whatever its source, is one JSON object (see [`errors`]).
//!
//! Limits: `--max-body-bytes` (413, at once when `Content-Length` announces
//! more), `--max-text-chars` and `--max-batch` (413 too: like the body
//! limit, they bound the size of the work asked for), `--max-concurrency`
//! (503 at once, no queue) and `--request-timeout-ms` (408); see
//! [`limits`]. `--header-read-timeout-ms` closes a connection whose request
//! head does not arrive in time ([`server`]); `--body-read-timeout-ms`
//! answers 408 to a body that does not ([`body`]). `--token-file` and
//! `--jwt-secret` require credentials everywhere but `/`, `/health`,
//! `/version` and `/openapi.json` (401, 403); see [`auth`]. `--cors`
//! allows browsers of other origins ([`cors`]). Logs go to stderr
//! ([`logging`]). SIGTERM and SIGINT stop accepting, let the requests in
//! flight finish and exit 0.
//!
//! One file per job: `server` (connections), `state` (shared state, hot
//! reload), `handlers` (endpoints and the metrics middleware), `slash`
//! (button payloads), `emulation` (other services' shapes), `body` (JSON
//! bodies), `errors` (the error schema), `query` (query parameters), `auth`, `cors`, `limits`,
//! `metrics` (the figures), `openapi`, `logging`.

mod auth;
mod body;
mod cors;
mod emulation;
mod errors;
mod handlers;
mod limits;
mod logging;
mod metrics;
mod openapi;
mod query;
mod server;
mod slash;
mod state;

pub use cors::CorsOrigins;
pub use logging::LogFormat;

use anyhow::Context;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use clap::Args;
use state::{AppState, Settings};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use textnn::any_model::AnyModel;

/// Options of `textnn serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Model file. SIGHUP or POST /admin/reload loads it again: a file that fails verification is refused and the old model keeps serving.
    pub model: PathBuf,
    /// Address to listen on; port 0 picks a free port. The first log line on stderr names the bound address (`... on http://ADDR`).
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
    /// Most classification requests (/model/parse, /v1/classify) answered at once; one more is refused at once with 503 and Retry-After: 1 (no queue).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrency: u32,
    /// Longest a classification request may take, body upload included; a slower one is answered 408.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_ms: u64,
    /// Longest the upload of a request body may take; a slower one is answered 408.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout_ms: u64,
    /// Longest a connection may take to send a request's headers (also while a kept-alive connection waits for its next request); a slower connection is closed.
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,
    /// Require this file's token (surrounding whitespace removed) as Rasa's `?token=TOKEN` (percent-decoded), which is checked first, or as `Authorization: Bearer TOKEN`, on every endpoint but /, /health, /version and /openapi.json; others answer 401. Also enables POST /admin/reload.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Accept `Authorization: Bearer JWT` signed with this secret (HS256), as Rasa's --jwt-secret: a payload with {"user": {"role": "admin"}} is let in, another valid one gets 403. Also enables POST /admin/reload.
    #[arg(long, value_name = "SECRET", value_parser = parse_secret)]
    pub jwt_secret: Option<String>,
    /// Allow cross-origin requests from these origins (comma-separated, or * for any), as Rasa's --cors; OPTIONS preflights are answered.
    #[arg(long, value_name = "ORIGINS", value_parser = cors::parse_origins)]
    pub cors: Option<CorsOrigins>,
    /// Log line format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log one line per request (method, path, status, latency, request id) and answer with X-Request-Id; off by default for throughput.
    #[arg(long)]
    pub access_log: bool,
    /// HTTP worker threads [default: one per CPU].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<u32>,
    /// Test only: honour an `X-Debug-Delay-Ms: N` header on /model/parse and /v1/classify by sleeping N ms after taking the model snapshot.
    #[arg(long, hide = true)]
    pub debug_delays: bool,
}

/// Refuses an empty `--jwt-secret`, which would let anyone sign tokens.
fn parse_secret(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err("the JWT secret must not be empty".into());
    }
    Ok(value.to_string())
}

/// Runs the service until SIGTERM or SIGINT.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // Load and verify before binding: a bad model must never get a port.
    let classifier = AnyModel::load(&args.model)?;
    let token = match &args.token_file {
        Some(path) => Some(auth::read_token(path)?),
        None => None,
    };
    logging::init(args.log_format);
    let state = Arc::new(AppState::new(
        classifier,
        Settings {
            model_path: args.model.clone(),
            fallback_threshold: args.fallback_threshold,
            ambiguity_threshold: args.ambiguity_threshold,
            max_text_chars: args.max_text_chars,
            max_batch: args.max_batch,
            token,
            jwt_secret: args.jwt_secret.clone(),
            max_body_bytes: args.max_body_bytes,
            body_read_timeout: Duration::from_millis(args.body_read_timeout_ms),
            max_concurrency: args.max_concurrency as usize,
            request_timeout: Duration::from_millis(args.request_timeout_ms),
            debug_delays: args.debug_delays,
        },
    ));
    let app = router(
        Arc::clone(&state),
        args.max_body_bytes,
        args.cors.as_ref(),
        args.access_log,
    );
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads as usize);
    }
    let runtime = runtime
        .enable_all()
        .build()
        .context("starting the HTTP runtime")?;
    runtime.block_on(async {
        // Installed before the port is announced, so that a SIGHUP sent as
        // soon as the service answers reloads rather than kills it.
        spawn_reload_on_sighup(Arc::clone(&state))?;
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("binding {}", args.addr))?;
        let bound = listener.local_addr().context("reading the bound address")?;
        // The first line on stderr, which scripts and tests read for the port.
        tracing::info!(
            model = %args.model.display(),
            generation = 1,
            "serving {} on http://{bound}",
            args.model.display()
        );
        server::serve(
            listener,
            app,
            Duration::from_millis(args.header_read_timeout_ms),
            shutdown_signal(),
        )
        .await;
        tracing::info!("shut down");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Reloads the model on every SIGHUP, for as long as the runtime runs.
fn spawn_reload_on_sighup(state: Arc<AppState>) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = signal(SignalKind::hangup()).context("listening for SIGHUP")?;
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                // The outcome is logged and counted by `reload`.
                let _ = state.reload("SIGHUP").await;
            }
        });
    }
    #[cfg(not(unix))]
    let _ = state;
    Ok(())
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
    .await;
    tracing::info!("stopping: finishing the requests in flight");
}

/// The whole service: routes, JSON fallbacks and layers.
fn router(
    state: Arc<AppState>,
    max_body_bytes: usize,
    cors: Option<&CorsOrigins>,
    access_log: bool,
) -> Router {
    let routes = Router::new()
        .route("/", get(handlers::greeting))
        .route("/health", get(handlers::health))
        .route("/ready", get(handlers::ready))
        .route("/version", get(handlers::version))
        .route("/status", get(handlers::status))
        .route("/metrics", get(handlers::metrics))
        .route("/openapi.json", get(openapi::openapi))
        .route("/model/parse", post(handlers::parse))
        .route("/v1/classify", post(handlers::classify))
        .route("/admin/reload", post(handlers::admin_reload));
    let mut app = with_layers(routes, state, max_body_bytes);
    if let Some(origins) = cors {
        // Outside the token check: browsers send preflights without
        // credentials.
        app = app.layer(cors::layer(origins));
    }
    if access_log {
        app.layer(middleware::from_fn_with_state(
            Arc::new(logging::RequestIds::new()),
            logging::access_log,
        ))
    } else {
        app
    }
}

/// JSON fallbacks for unknown routes and methods, the body limit, panic
/// recovery, the timeout and load shedding, the announced body size, the
/// credentials and metrics, applied to `routes`. The last layer added runs
/// first.
fn with_layers(
    routes: Router<Arc<AppState>>,
    state: Arc<AppState>,
    max_body_bytes: usize,
) -> Router {
    let mut app = routes
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(max_body_bytes))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            errors::panic_response,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), limits::limit))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::refuse_large_bodies,
        ));
    // Without credentials there is nothing to check: no layer, no cost.
    if state.auth_enabled() {
        app = app.layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    }
    // Outermost, so that it counts and times every answer, refusals and
    // panics included.
    app.layer(middleware::from_fn_with_state(
        state.clone(),
        handlers::record_metrics,
    ))
    .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::Request;
    use axum::http::StatusCode;

    /// The state of a service for a two-label model trained in a blink.
    fn tiny_state() -> Arc<AppState> {
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
        Arc::new(AppState::new(
            AnyModel::Textnn(model),
            Settings {
                model_path: PathBuf::from("unused.textnn"),
                fallback_threshold: None,
                ambiguity_threshold: None,
                max_text_chars: 100,
                max_batch: 10,
                token: None,
                jwt_secret: None,
                max_body_bytes: 1000,
                body_read_timeout: Duration::from_secs(10),
                max_concurrency: 4,
                request_timeout: Duration::from_secs(10),
                debug_delays: false,
            },
        ))
    }

    /// Every path and method the OpenAPI document lists is answered by the
    /// router (neither 404 nor 405).
    #[test]
    fn the_router_answers_every_documented_operation() {
        use tower::ServiceExt;
        let app = router(tiny_state(), 1000, None, false);
        let document: serde_json::Value = serde_json::from_str(openapi::DOCUMENT).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut operations = 0;
        for (path, methods) in document["paths"].as_object().unwrap() {
            for method in methods.as_object().unwrap().keys() {
                let request = Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(path)
                    .body(axum::body::Body::from("{}"))
                    .unwrap();
                let status = runtime
                    .block_on(app.clone().oneshot(request))
                    .unwrap()
                    .status();
                assert_ne!(status, StatusCode::NOT_FOUND, "{method} {path}");
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                operations += 1;
            }
        }
        assert_eq!(operations, 10);
    }

    /// A handler that panics answers a JSON 500, and the same service then
    /// answers the next request.
    #[test]
    fn a_panic_becomes_a_json_500_and_the_service_lives_on() {
        use tower::ServiceExt;
        let state = tiny_state();
        async fn boom() -> &'static str {
            panic!("deliberate test panic")
        }
        let routes = Router::new()
            .route("/boom", get(boom))
            .route("/health", get(handlers::health));
        let app = with_layers(routes, state.clone(), 1000);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
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
}
