//! Query parameters as Rasa's web framework (Sanic, through Python's
//! `urllib.parse`) reads them: the first `NAME=value` pair, form-decoded —
//! `%XX` is the byte XX, `+` is a space, and a `%` not followed by two hex
//! digits is kept as is.

use std::borrow::Cow;

/// The value of the first `NAME=` pair of a query string, decoded as an
/// HTML form field (`application/x-www-form-urlencoded`): `+` is a space,
/// `%XX` a byte; a malformed `%` escape stays as written.
pub(super) fn param<'a>(query: &'a str, name: &str) -> Option<Cow<'a, [u8]>> {
    let raw = query.split('&').find_map(|pair| {
        pair.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(param(query, "token").as_deref(), expected, "{query}");
        }
    }
}
