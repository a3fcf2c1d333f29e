//! `GET /openapi.json`: the OpenAPI 3.0 description of every endpoint.
//!
//! The document is kept by hand beside the handlers (`openapi.json`) and
//! held to them by tests: here, that it is valid JSON, names this version
//! and lists exactly the endpoints the router answers; in
//! `tests/serve.rs`, that the live service's answers (successes and
//! refusals, every emulation mode) match its schemas.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub(super) const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /openapi.json`.
pub(super) async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::serve::metrics::ROUTES;

    fn document() -> serde_json::Value {
        serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
    }

    #[test]
    fn the_document_names_this_version_and_every_endpoint() {
        let document = document();
        assert_eq!(document["openapi"], "3.0.3");
        assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
        let paths: Vec<&str> = document["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(String::as_str)
            .collect();
        // The metrics table lists every endpoint (and `other`).
        let mut endpoints: Vec<&str> = ROUTES.iter().copied().filter(|&r| r != "other").collect();
        let mut documented = paths.clone();
        endpoints.sort_unstable();
        documented.sort_unstable();
        assert_eq!(documented, endpoints);
    }

    #[test]
    fn every_reference_resolves() {
        let document = document();
        let mut pending = vec![&document];
        let mut references = 0;
        while let Some(value) = pending.pop() {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(reference) = map.get("$ref").and_then(|r| r.as_str()) {
                        let pointer = reference.strip_prefix('#').expect("a local reference");
                        assert!(document.pointer(pointer).is_some(), "{reference}");
                        references += 1;
                    }
                    pending.extend(map.values());
                }
                serde_json::Value::Array(list) => pending.extend(list),
                _ => {}
            }
        }
        assert!(references > 20, "{references} references");
    }
}
