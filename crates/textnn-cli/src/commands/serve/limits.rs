//! Load shedding and the request timeout, for the classification endpoints
//! (`/model/parse`, `/v1/classify`) only: the probes, `/metrics`,
//! `/version` and `/admin/reload` must answer even while the service is
//! saturated.
//!
//! - At most `--max-concurrency` classification requests are answered at
//!   once; one more is refused at once with 503 and `Retry-After: 1`. There
//!   is no queue: under overload a client learns in microseconds that it
//!   should back off or try another replica, instead of waiting in a queue
//!   that only grows (tower's `ConcurrencyLimit` would queue).
//! - A classification request that takes longer than `--request-timeout-ms`
//!   (reading its body included, so a client that sends slowly cannot hold
//!   a slot for ever) is answered 408. Inference itself runs without an
//!   await point, so the timeout fires between the steps of a request, not
//!   inside one prediction.
//!
//! On every endpoint, a request whose `Content-Length` announces more than
//! `--max-body-bytes` is refused with 413 at once, before any of the body
//! is read (and the connection is closed, so the rest is never read).

use super::errors::ApiError;
use super::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Whether `path` is a classification endpoint, which the limits cover.
fn is_limited(path: &str) -> bool {
    path == "/model/parse" || path == "/v1/classify"
}

/// One admitted request, counted in `in_flight` until dropped.
struct Permit<'a> {
    in_flight: &'a AtomicUsize,
}

impl<'a> Permit<'a> {
    /// A permit if fewer than `max` are out; `None` at once otherwise.
    fn try_acquire(in_flight: &'a AtomicUsize, max: usize) -> Option<Self> {
        // Add first, then check: two requests racing for the last slot can
        // both see it taken and both be refused, but never both admitted.
        if in_flight.fetch_add(1, Ordering::AcqRel) >= max {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Permit { in_flight })
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Refuses at once, with 413 and `Connection: close`, a request whose
/// announced `Content-Length` is above `--max-body-bytes`.
pub(super) async fn refuse_large_bodies(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match announced {
        Some(length) if length > state.max_body_bytes as u64 => {
            let mut response = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request announces a body of {length} bytes, more than the limit of {} (--max-body-bytes)",
                    state.max_body_bytes
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
        _ => next.run(request).await,
    }
}

/// Sheds classification requests beyond `--max-concurrency` (503) and ends
/// those that outlast `--request-timeout-ms` (408).
pub(super) async fn limit(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if !is_limited(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(_permit) = Permit::try_acquire(&state.metrics.in_flight, state.max_concurrency) else {
        let mut response = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "already answering {} classification requests, the limit (--max-concurrency); try again shortly",
                state.max_concurrency
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request took longer than {} ms (--request-timeout-ms)",
                state.request_timeout.as_millis()
            ),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permits_stop_at_the_limit_and_come_back_when_dropped() {
        let in_flight = AtomicUsize::new(0);
        let first = Permit::try_acquire(&in_flight, 2).expect("1 of 2");
        let second = Permit::try_acquire(&in_flight, 2).expect("2 of 2");
        assert!(Permit::try_acquire(&in_flight, 2).is_none());
        assert_eq!(in_flight.load(Ordering::Relaxed), 2);
        drop(first);
        let third = Permit::try_acquire(&in_flight, 2).expect("a slot came back");
        drop((second, third));
        assert_eq!(in_flight.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn only_classification_is_limited() {
        for (path, limited) in [
            ("/model/parse", true),
            ("/v1/classify", true),
            ("/health", false),
            ("/metrics", false),
            ("/admin/reload", false),
            ("/model/parse/x", false),
        ] {
            assert_eq!(is_limited(path), limited, "{path}");
        }
    }
}
