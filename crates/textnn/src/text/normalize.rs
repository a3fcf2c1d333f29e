//! Normalization: NFC composition, then optional Unicode lowercasing.
//!
//! `normalize("E\u{301}TE\u{301}", true)` is `"été"`: the combining acute
//! accents compose with their letters (NFC), then the letters are
//! lowercased. Both steps borrow the input when they would not change it,
//! so already-clean text costs one scan and no allocation.

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// NFC form of `text`, then its lowercase form if `lowercase` is set.
pub(crate) fn normalize(text: &str, lowercase: bool) -> Cow<'_, str> {
    let composed = nfc(text);
    if lowercase {
        to_lowercase(composed)
    } else {
        composed
    }
}

/// NFC form of `text`, borrowed when `text` is already in NFC.
pub(crate) fn nfc(text: &str) -> Cow<'_, str> {
    // ASCII has no combining marks, so it is always in NFC.
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    // The quick check answers "maybe" for a few characters; only then, or
    // on "no", is the full composition worth its allocation.
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        IsNormalized::No | IsNormalized::Maybe => Cow::Owned(text.nfc().collect()),
    }
}

/// Unicode lowercase form of `text`, reusing its buffer where possible.
///
/// The whole text is lowercased at once (not token by token) so that
/// `str::to_lowercase` sees the context it needs for the Greek final sigma.
pub(crate) fn to_lowercase(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.chars().any(changes_when_lowercased) {
        return text;
    }
    if text.is_ascii() {
        // ASCII lowercasing keeps every byte in place, so an owned buffer
        // needs no second allocation.
        let mut owned = text.into_owned();
        owned.make_ascii_lowercase();
        return Cow::Owned(owned);
    }
    Cow::Owned(text.to_lowercase())
}

/// Lowercases one token in place (ASCII) or by replacement (other text).
///
/// Equal to lowercasing the whole text whenever the tokens are separated by
/// characters that are not case-ignorable, such as spaces and control
/// characters: the final-sigma rule never looks across those.
pub(crate) fn lowercase_token(token: &mut String) {
    if token.is_ascii() {
        token.make_ascii_lowercase();
    } else if token.chars().any(changes_when_lowercased) {
        *token = token.to_lowercase();
    }
}

/// True when `c` is not its own lowercase form.
///
/// This is wider than `char::is_uppercase`: titlecase letters such as 'ǅ'
/// also change. If no character changes, `str::to_lowercase` returns the
/// text unchanged, because its one contextual rule (final sigma) only
/// applies to the capital 'Σ', which changes anyway.
fn changes_when_lowercased(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    let mut lower = c.to_lowercase();
    lower.next() != Some(c) || lower.next().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_text() {
        // (input, lowercase, expected, borrowed: whether no allocation was needed)
        let cases: &[(&str, bool, &str, bool)] = &[
            ("hello world", true, "hello world", true),
            ("Hello World", true, "hello world", false),
            ("Hello World", false, "Hello World", true),
            ("e\u{301}te\u{301}", false, "\u{e9}t\u{e9}", false),
            ("E\u{301}TE\u{301}", true, "\u{e9}t\u{e9}", false),
            ("\u{e9}t\u{e9}", true, "\u{e9}t\u{e9}", true),
            ("\u{c9}T\u{c9}", true, "\u{e9}t\u{e9}", false),
            // Final sigma: a capital sigma that ends a word becomes "\u{3c2}".
            ("ΟΔΟΣ ΣΟΦΟΣ", true, "οδο\u{3c2} σοφο\u{3c2}", false),
            ("\u{1c5}ungla", true, "\u{1c6}ungla", false),
            ("STRASSE", true, "strasse", false),
            ("İ", true, "i\u{307}", false),
            ("我爱北京", true, "我爱北京", true),
            ("", true, "", true),
        ];
        for &(input, lowercase, expected, borrowed) in cases {
            let got = normalize(input, lowercase);
            assert_eq!(got, expected, "{input:?} lowercase={lowercase}");
            assert_eq!(
                matches!(got, Cow::Borrowed(_)),
                borrowed,
                "{input:?} lowercase={lowercase}: borrowed"
            );
        }
    }

    #[test]
    fn lowercases_tokens() {
        let cases: &[(&str, &str)] = &[
            ("ABC", "abc"),
            ("abc", "abc"),
            ("ÉTÉ", "été"),
            ("ΟΔΟΣ", "οδο\u{3c2}"),
            ("ǅ", "ǆ"),
            ("You?", "you?"),
        ];
        for &(input, expected) in cases {
            let mut token = input.to_string();
            lowercase_token(&mut token);
            assert_eq!(token, expected, "{input:?}");
        }
    }
}
