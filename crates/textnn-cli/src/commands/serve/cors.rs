//! `--cors ORIGINS`: cross-origin requests from browsers, as Rasa's
//! `--cors` allows them.
//!
//! `ORIGINS` is a comma-separated list of origins (`https://a.example`) or
//! `*` for any. Preflights (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) are answered 200 before the token is
//! checked, since browsers send them without credentials; the answers of
//! allowed origins carry `Access-Control-Allow-Origin`. Without `--cors` no
//! such header is sent and `OPTIONS` is 405.

use axum::http::{HeaderValue, Method};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// The origins `--cors` allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// `*`: any origin.
    Any,
    /// These origins only.
    List(Vec<HeaderValue>),
}

/// Parses `--cors`: `*`, or origins separated by commas.
pub fn parse_origins(value: &str) -> Result<CorsOrigins, String> {
    if value.trim() == "*" {
        return Ok(CorsOrigins::Any);
    }
    let origins: Vec<HeaderValue> = value
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|origin| {
            if origin == "*" {
                return Err("* must stand alone".to_string());
            }
            if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(format!(
                    "origin {origin:?} must start with http:// or https://"
                ));
            }
            HeaderValue::from_str(origin.trim_end_matches('/'))
                .map_err(|_| format!("origin {origin:?} is not a valid header value"))
        })
        .collect::<Result<_, _>>()?;
    if origins.is_empty() {
        return Err("expected * or a comma-separated list of origins".into());
    }
    Ok(CorsOrigins::List(origins))
}

/// The CORS layer for `origins`: GET, POST and OPTIONS, any request header
/// (Content-Type, Authorization, ...), preflights cached for an hour.
pub(super) fn layer(origins: &CorsOrigins) -> CorsLayer {
    let allow_origin = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => AllowOrigin::list(list.iter().cloned()),
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .max_age(std::time::Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_as_a_list_or_any() {
        assert_eq!(parse_origins("*"), Ok(CorsOrigins::Any));
        assert_eq!(
            parse_origins("https://a.example, http://b.example:8080/"),
            Ok(CorsOrigins::List(vec![
                HeaderValue::from_static("https://a.example"),
                HeaderValue::from_static("http://b.example:8080"),
            ]))
        );
        for bad in [
            "",
            " , ",
            "a.example",
            "https://a.example,*",
            "https://a\nb",
        ] {
            assert!(parse_origins(bad).is_err(), "{bad:?}");
        }
    }
}
