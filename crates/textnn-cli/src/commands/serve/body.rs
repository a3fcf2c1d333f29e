//! JSON request bodies whose every refusal is an [`ApiError`].
//!
//! The body is parsed as JSON whatever its `Content-Type` says, as Rasa
//! does: Rasa's own documented `curl` call sends none (curl then says
//! `application/x-www-form-urlencoded`). A body that is not JSON is still
//! refused, with 400.

use super::errors::ApiError;
use super::state::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// A JSON request body: read within `--body-read-timeout-ms` (else 408) and
/// the body limit (else 413), parsed into `T` (else 400). Unlike axum's
/// `Json`, every refusal is an [`ApiError`], and the content type is not
/// checked.
pub(super) struct JsonBody<T>(pub(super) T);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let read = axum::body::Bytes::from_request(request, state);
        let bytes = match tokio::time::timeout(state.body_read_timeout, read).await {
            Ok(read) => read.map_err(|rejection| {
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
            })?,
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the request body did not arrive within {} ms (--body-read-timeout-ms)",
                        state.body_read_timeout.as_millis()
                    ),
                ))
            }
        };
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not the JSON this endpoint expects: {e}"),
            )
            .with_help("send a JSON object such as {\"text\": \"hello\"} (see GET /openapi.json)")
        })
    }
}
