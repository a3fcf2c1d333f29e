//! The one error schema: every refusal, whatever its source (body limit,
//! content type, JSON, unknown route, wrong method, token, load shedding,
//! timeout, panic), is answered as
//! `{"version", "status": "failure", "code", "reason", "message", "details",
//! "help"}`, Rasa's error shape: `details` is an object (empty unless the
//! error has more to say, such as the parameter at fault), `help` a hint on
//! what to do instead, or `null`.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered in the one JSON schema.
#[derive(Debug)]
pub(super) struct ApiError {
    pub(super) status: StatusCode,
    pub(super) message: String,
    /// Rasa's `details`: an object, `{}` unless set.
    details: serde_json::Value,
    /// Rasa's `help`: what to do instead, or `null`.
    help: Option<String>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            details: serde_json::Value::Object(serde_json::Map::new()),
            help: None,
        }
    }

    /// The same error with `details` (an object, as Rasa's are).
    pub(super) fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// The same error with a `help` hint.
    pub(super) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Rasa's `reason`: the status's name in CamelCase (`BadRequest`), with
/// Rasa's own names for 401 and 403.
pub(super) fn reason(status: StatusCode) -> String {
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
            "details": self.details,
            "help": self.help,
        });
        (self.status, Json(body)).into_response()
    }
}

/// The fallback for paths no route matches: 404.
pub(super) async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no endpoint at {}", request.uri().path()),
    )
}

/// The fallback for a known path asked with the wrong method: 405 (axum
/// adds the `Allow` header).
pub(super) async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} does not answer {}",
            request.uri().path(),
            request.method()
        ),
    )
}

/// What a panicking handler answers: a logged JSON 500; the service lives on.
pub(super) fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into());
    tracing::error!(detail = %detail, "a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error while handling the request",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_camel_case_status_names() {
        let table = [
            (StatusCode::UNAUTHORIZED, "NotAuthenticated"),
            (StatusCode::FORBIDDEN, "NotAuthorized"),
            (StatusCode::BAD_REQUEST, "BadRequest"),
            (StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge"),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType"),
            (StatusCode::REQUEST_TIMEOUT, "RequestTimeout"),
            (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
        ];
        for (status, expected) in table {
            assert_eq!(reason(status), expected);
        }
    }
}
