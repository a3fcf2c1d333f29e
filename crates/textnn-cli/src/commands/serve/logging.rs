//! Logs on stderr through `tracing`: lifecycle events (serving, reloads,
//! shutdown, panics) always, one line per request only with
//! `--access-log`.
//!
//! `--log-format text` (the default) writes `TIMESTAMP LEVEL message
//! key=value...`; `--log-format json` writes one JSON object per line with
//! the fields at the top level (`timestamp`, `level`, `message`, then the
//! event's own fields). The first line is always the `serving MODEL on
//! http://ADDR` event, which scripts read for the port.
//!
//! The access log is off by default because a line per request is a
//! `write` to stderr per request, which costs throughput on small
//! machines. With it on, each request also gets an id: the client's
//! `X-Request-Id` if it sent a usable one (1–128 visible ASCII characters),
//! else a new one; the answer carries it back in `X-Request-Id`, and the
//! access line and any log written while answering (a panic) name it.

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tracing::Instrument;

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `TIMESTAMP LEVEL message key=value...`, coloured on a terminal.
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the stderr logger (level info and above) in `format`.
pub(super) fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_max_level(tracing::Level::INFO);
    let result = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    // A logger is already installed only when the service runs inside a
    // test harness that set its own; that one is kept.
    let _ = result;
}

/// The `X-Request-Id` header.
static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Makes request ids unique within this process (the counter) and across
/// restarts (the prefix, from the start time and process id).
pub(super) struct RequestIds {
    prefix: u32,
    counter: AtomicU64,
}

impl RequestIds {
    pub(super) fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32));
        RequestIds {
            prefix: nanos ^ std::process::id().rotate_left(16),
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> HeaderValue {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("{:08x}-{n:x}", self.prefix);
        // Hex digits and a dash are always a valid header value.
        HeaderValue::from_str(&id).expect("hex request ids are valid header values")
    }
}

/// Whether a client's request id may be used as ours: short and visible
/// ASCII, so that it cannot forge log lines.
fn usable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=128).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_graphic())
}

/// `--access-log`: one info line per request (method, path, status,
/// latency in microseconds, request id), and the id in the answer.
pub(super) async fn access_log(
    State(ids): State<Arc<RequestIds>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|v| usable_request_id(v))
        .cloned()
        .unwrap_or_else(|| ids.next());
    // Only visible ASCII reaches here, so this is the id itself.
    let id_text = String::from_utf8_lossy(id.as_bytes()).into_owned();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id_text);
    let mut response = next.run(request).instrument(span).await;
    let latency_us = start.elapsed().as_micros() as u64;
    tracing::info!(
        method = %method,
        path = %path,
        status = response.status().as_u16(),
        latency_us,
        request_id = %id_text,
        "request"
    );
    response.headers_mut().insert(REQUEST_ID.clone(), id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_request_ids_are_used_only_when_harmless() {
        let table: [(&[u8], bool); 5] = [
            (b"abc-123", true),
            (b"", false),
            (b"two words", false),
            (&[b'x'; 129], false),
            (&[b'x'; 128], true),
        ];
        for (bytes, usable) in table {
            let value = HeaderValue::from_bytes(bytes).unwrap();
            assert_eq!(usable_request_id(&value), usable, "{bytes:?}");
        }
    }

    #[test]
    fn generated_request_ids_differ() {
        let ids = RequestIds::new();
        let (a, b) = (ids.next(), ids.next());
        assert_ne!(a, b);
        assert!(usable_request_id(&a) && usable_request_id(&b));
    }
}
