//! `--token-file` and `--jwt-secret`: credentials required on every
//! endpoint but `/`, `/health`, `/version` and `/openapi.json`.
//!
//! In Rasa's order: a right `?token=TOKEN` (the token file's) is enough,
//! whatever else the request carries. Otherwise `Authorization: Bearer X`
//! is checked: with `--jwt-secret`, a JWT signed with it (HS256; `exp` and
//! `nbf` checked when present) lets in a user whose payload says
//! `{"user": {"role": "admin"}}` and is refused with 403 otherwise, as
//! Rasa's scope check does on these endpoints; with `--token-file`, `X`
//! equal to the token is also accepted (textnn's older form). Anything
//! else is 401. Tokens are compared in constant time.
//!
//! The query form is percent-decoded the way Rasa's web
//! framework (Sanic, through Python's `urllib.parse`) decodes it: `%XX` is
//! the byte XX, `+` is a space, and a `%` not followed by two hex digits is
//! kept as is. So a token holding `+`, `/` or `=` (base64) must be sent
//! percent-encoded in the query (`%2B`, `%2F`, `%3D`); the header needs no
//! encoding.

use super::errors::ApiError;
use super::query;
use super::state::AppState;
use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::path::Path;
use std::sync::Arc;

/// Reads the token of `--token-file`, refusing an empty one.
pub(super) fn read_token(path: &Path) -> anyhow::Result<String> {
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

/// What a request's credentials amount to.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Let in.
    Allowed,
    /// A valid JWT of a user who is not an admin: 403.
    Forbidden,
    /// No credential, or a wrong one: 401; `true` when one was given.
    Unauthenticated(bool),
}

/// Whether `bearer` is a JWT signed with `secret` (HS256) whose payload
/// names an admin (`Some(true)`) or another user (`Some(false)`); `None`
/// when it is no valid JWT (bad signature, expired, malformed).
fn jwt_is_admin(bearer: &str, secret: &str) -> Option<bool> {
    use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
    let mut validation = Validation::new(Algorithm::HS256);
    // Rasa's tokens need not carry `exp`; it is still checked when present.
    validation.required_spec_claims.clear();
    validation.validate_nbf = true;
    let key = DecodingKey::from_secret(secret.as_bytes());
    let claims = decode::<serde_json::Value>(bearer, &key, &validation).ok()?;
    Some(claims.claims["user"]["role"] == "admin")
}

/// Rasa's order: the query token, then a JWT, then textnn's bearer token.
fn verdict(
    token: Option<&str>,
    jwt_secret: Option<&str>,
    query: Option<&[u8]>,
    bearer: Option<&str>,
) -> Verdict {
    if let (Some(token), Some(given)) = (token, query) {
        if constant_time_eq(token.as_bytes(), trim_ascii(given)) {
            return Verdict::Allowed;
        }
    }
    if let (Some(secret), Some(bearer)) = (jwt_secret, bearer) {
        match jwt_is_admin(bearer, secret) {
            Some(true) => return Verdict::Allowed,
            Some(false) => return Verdict::Forbidden,
            None => {}
        }
    }
    if let (Some(token), Some(bearer)) = (token, bearer) {
        if constant_time_eq(token.as_bytes(), trim_ascii(bearer.as_bytes())) {
            return Verdict::Allowed;
        }
    }
    Verdict::Unauthenticated(query.is_some() || bearer.is_some())
}

/// Whether `a` equals `b`, taking the same time for every `b` of `a`'s
/// length, so that response times do not reveal how much of a guessed
/// token is right. (The length itself may leak; it is not the secret.)
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// Removes ASCII whitespace around `bytes`, as the token file's token is
/// trimmed.
fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace());
    match (start, end) {
        (Some(start), Some(end)) => &bytes[start..=end],
        _ => &[],
    }
}

/// The paths open without credentials: the probes Rasa leaves open, and
/// the API description.
fn is_open(path: &str) -> bool {
    matches!(path, "/" | "/health" | "/version" | "/openapi.json")
}

/// With `--token-file` or `--jwt-secret`, answers 401 (or 403) unless the
/// request's credentials pass, in Rasa's order (see the module
/// documentation); the open paths need none.
pub(super) async fn authenticate(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if !state.auth_enabled() || is_open(request.uri().path()) {
        return next.run(request).await;
    }
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let query = request.uri().query().and_then(|q| query::param(q, "token"));
    let verdict = verdict(
        state.token.as_deref(),
        state.jwt_secret.as_deref(),
        query.as_deref(),
        bearer,
    );
    let given = match verdict {
        Verdict::Allowed => return next.run(request).await,
        Verdict::Forbidden => return ApiError::new(
            StatusCode::FORBIDDEN,
            "User has insufficient permissions.",
        )
        .with_help(
            "this endpoint needs a JWT whose payload holds {\"user\": {\"role\": \"admin\"}}",
        )
        .into_response(),
        Verdict::Unauthenticated(given) => given,
    };
    let message = if given {
        "User is not authenticated: the credentials are wrong"
    } else {
        "User is not authenticated: this endpoint needs credentials"
    };
    let mut help = Vec::new();
    if state.token.is_some() {
        help.push("?token=TOKEN (the --token-file's token, percent-encoded)");
    }
    if state.jwt_secret.is_some() {
        help.push("Authorization: Bearer JWT (HS256, signed with --jwt-secret)");
    }
    let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message)
        .with_help(format!("send {}", help.join(" or ")))
        .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_comparison_needs_every_byte() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret "));
        assert!(!constant_time_eq(b"secret", b""));
    }

    #[test]
    fn rasa_order_query_token_then_jwt_then_bearer_token() {
        use jsonwebtoken::{encode, EncodingKey, Header};
        let sign = |claims: serde_json::Value, secret: &str| {
            encode(
                &Header::default(),
                &claims,
                &EncodingKey::from_secret(secret.as_bytes()),
            )
            .unwrap()
        };
        let admin = sign(serde_json::json!({"user": {"role": "admin"}}), "key");
        let user = sign(serde_json::json!({"user": {"username": "u"}}), "key");
        let forged = sign(serde_json::json!({"user": {"role": "admin"}}), "other");
        let expired = sign(
            serde_json::json!({"user": {"role": "admin"}, "exp": 1_000_000_000}),
            "key",
        );
        use Verdict::*;
        // (token, jwt secret, query token, bearer, verdict)
        #[allow(clippy::type_complexity)]
        let table: [(
            Option<&str>,
            Option<&str>,
            Option<&[u8]>,
            Option<&str>,
            Verdict,
        ); 12] = [
            (Some("t"), None, Some(b"t"), None, Allowed),
            // The query token wins over a wrong header, as in Rasa.
            (Some("t"), None, Some(b"t"), Some("wrong"), Allowed),
            (Some("t"), None, None, Some("t"), Allowed),
            (Some("t"), None, Some(b"x"), Some("t"), Allowed),
            (Some("t"), None, Some(b"x"), None, Unauthenticated(true)),
            (Some("t"), None, None, None, Unauthenticated(false)),
            (None, Some("key"), None, Some(&admin), Allowed),
            (None, Some("key"), None, Some(&user), Forbidden),
            (
                None,
                Some("key"),
                None,
                Some(&forged),
                Unauthenticated(true),
            ),
            (
                None,
                Some("key"),
                None,
                Some(&expired),
                Unauthenticated(true),
            ),
            // A query token means nothing without --token-file.
            (None, Some("key"), Some(b"key"), None, Unauthenticated(true)),
            (Some("t"), Some("key"), Some(b"t"), Some(&user), Allowed),
        ];
        for (i, (token, secret, query, bearer, expected)) in table.into_iter().enumerate() {
            assert_eq!(verdict(token, secret, query, bearer), expected, "row {i}");
        }
    }

    #[test]
    fn trimming_removes_only_surrounding_whitespace() {
        assert_eq!(trim_ascii(b"  a b \n"), b"a b");
        assert_eq!(trim_ascii(b" \t "), b"");
        assert_eq!(trim_ascii(b"x"), b"x");
    }
}
