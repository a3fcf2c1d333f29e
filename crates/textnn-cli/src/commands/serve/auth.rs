//! `--token-file`: a bearer token required on every endpoint but `/` and
//! `/health`, compared in constant time.
//!
//! The token may come as `Authorization: Bearer TOKEN` or as Rasa's
//! `?token=TOKEN`. The query form is percent-decoded the way Rasa's web
//! framework (Sanic, through Python's `urllib.parse`) decodes it: `%XX` is
//! the byte XX, `+` is a space, and a `%` not followed by two hex digits is
//! kept as is. So a token holding `+`, `/` or `=` (base64) must be sent
//! percent-encoded in the query (`%2B`, `%2F`, `%3D`); the header needs no
//! encoding.

use super::errors::ApiError;
use super::state::AppState;
use anyhow::Context;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;
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

/// The value of the first `token=` pair of a query string, decoded as an
/// HTML form field (`application/x-www-form-urlencoded`): `+` is a space,
/// `%XX` a byte; a malformed `%` escape stays as written.
fn query_token(query: &str) -> Option<Cow<'_, [u8]>> {
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))?;
    Some(form_decode(raw.as_bytes()))
}

/// Form-decodes `raw`, borrowing it when there is nothing to decode.
fn form_decode(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return Cow::Borrowed(raw);
    }
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut decoded = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => decoded.push(b' '),
            b'%' => {
                let escaped = raw
                    .get(i + 1..i + 3)
                    .and_then(|pair| Some(hex(pair[0])? << 4 | hex(pair[1])?));
                if let Some(byte) = escaped {
                    decoded.push(byte);
                    i += 2;
                } else {
                    decoded.push(b'%');
                }
            }
            other => decoded.push(other),
        }
        i += 1;
    }
    Cow::Owned(decoded)
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

/// With a token set, answers 401 unless the request carries it as
/// `Authorization: Bearer TOKEN` or as `?token=TOKEN` (form-decoded);
/// `/` and `/health` stay open for probes.
pub(super) async fn authenticate(
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
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| Cow::Borrowed(v.as_bytes()));
    let given = bearer.or_else(|| request.uri().query().and_then(query_token));
    if given
        .as_deref()
        .is_some_and(|given| constant_time_eq(token.as_bytes(), trim_ascii(given)))
    {
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
    fn query_tokens_are_form_decoded() {
        // (query, decoded token)
        let table: [(&str, Option<&[u8]>); 9] = [
            ("token=abc", Some(b"abc")),
            ("a=1&token=abc&b=2", Some(b"abc")),
            ("token=a%2Bb%2Fc%3D%3D", Some(b"a+b/c==")),
            ("token=a+b", Some(b"a b")),
            ("token=%e2%82%ac", Some("€".as_bytes())),
            // Malformed escapes stay as written, as Python's unquote keeps them.
            ("token=100%", Some(b"100%")),
            ("token=%zz%4", Some(b"%zz%4")),
            ("token=", Some(b"")),
            ("tokens=abc", None),
        ];
        for (query, expected) in table {
            assert_eq!(query_token(query).as_deref(), expected, "{query}");
        }
    }

    #[test]
    fn trimming_removes_only_surrounding_whitespace() {
        assert_eq!(trim_ascii(b"  a b \n"), b"a b");
        assert_eq!(trim_ascii(b" \t "), b"");
        assert_eq!(trim_ascii(b"x"), b"x");
    }
}
