//! Tokenizers: where one token ends and the next begins.
//!
//! - [`TokenizerKind::Whitespace`] splits like fastText, at white space
//!   ([`is_word_separator`]: fastText's seven ASCII separators and the
//!   Unicode spaces); punctuation stays attached (`"how are you?"` → `how`,
//!   `are`, `you?`).
//! - [`TokenizerKind::Unicode`] cuts at the word boundaries of UAX #29
//!   (Unicode Text Segmentation) and keeps the segments that hold a letter,
//!   a digit or an emoji (`"how are you? 🙂"` → `how`, `are`, `you`, `🙂`).
//! - [`TokenizerKind::Symbols`] cuts where `Unicode` does and keeps the
//!   punctuation and symbol segments too, one character each
//!   (`"a->b; :-)"` → `a`, `-`, `>`, `b`, `;`, `:`, `-`, `)`): the operators
//!   of code and the strokes of emoticons are signal there.
//!
//! Both functions here only cut; normalization, lowercasing and stemming are
//! done by [`super::TextPipeline`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use super::emoji::is_emoji_char;

/// Which tokenizer splits the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenizerKind {
    /// NFC, then UAX #29 word boundaries; keeps words, numbers and emoji and
    /// drops spaces and punctuation. Each Han ideograph and each hiragana
    /// is its own token; a run of katakana is one token; Thai and other
    /// scripts written without spaces fall apart into single letters (with
    /// their attached marks), since no dictionary is used.
    Unicode,
    /// fastText's splitting, with no normalization; punctuation stays in
    /// the tokens. Splits at fastText's ' ', '\n', '\r', '\t', '\x0B',
    /// '\x0C' and '\0', and also at the Unicode spaces (no-break, em,
    /// ideographic… every character with the Unicode `White_Space` property), as the fastText-format
    /// reader does.
    Whitespace,
    /// NFC, then UAX #29 word boundaries like `Unicode`, keeping every
    /// segment that is not white space: words, numbers and emoji as
    /// `Unicode` keeps them, and each punctuation or symbol character as a
    /// token of its own.
    Symbols,
}

impl TokenizerKind {
    /// Every kind, in the order error messages list them.
    const ALL: [TokenizerKind; 3] = [
        TokenizerKind::Unicode,
        TokenizerKind::Whitespace,
        TokenizerKind::Symbols,
    ];

    /// The name used on the command line and in model files.
    fn name(self) -> &'static str {
        match self {
            TokenizerKind::Unicode => "unicode",
            TokenizerKind::Whitespace => "whitespace",
            TokenizerKind::Symbols => "symbols",
        }
    }
}

impl fmt::Display for TokenizerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TokenizerKind {
    type Err = crate::Error;

    /// Parses a name such as `"unicode"`, ignoring ASCII case.
    fn from_str(s: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let choices: Vec<&str> = Self::ALL.iter().map(|kind| kind.name()).collect();
                crate::Error::InvalidConfig(format!(
                    "unknown tokenizer {s:?}, expected one of: {}",
                    choices.join(", ")
                ))
            })
    }
}

/// Whether `c` separates words, for the whitespace tokenizer and for the
/// fastText-format reader alike: Unicode white space (`White_Space`,
/// [`char::is_whitespace`]) or NUL.
///
/// fastText's `Dictionary::readWord` (`src/dictionary.cc`) stops a word
/// at ' ', '\n', '\r', '\t', '\x0B', '\x0C' and '\0' only, so a no-break
/// space (U+00A0), an em space (U+2003), a narrow no-break space (U+202F,
/// French before '?' and ':') or the ideographic space (U+3000) glues two
/// words into one token there. Here they separate words, because readers
/// see a space, because the reader must split `__label__a` + U+00A0 +
/// `word` into a label and a word, and because a training text and a
/// prediction text must give the same tokens whichever reader or
/// tokenizer saw them. The set also holds U+0085 (next line), U+1680,
/// U+2000–U+200A, U+2028, U+2029 and U+205F. Zero-width characters are
/// not white space and stay inside tokens: U+200B ZERO WIDTH SPACE,
/// U+2060 WORD JOINER, U+FEFF. fastText's end-of-sentence token `</s>` for
/// '\n' is not made, because one example is one line and a trailing
/// newline must not change its tokens.
pub(crate) fn is_word_separator(c: char) -> bool {
    c.is_whitespace() || c == '\0'
}

/// The non-empty pieces of `text` between word separators.
pub(crate) fn whitespace_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_word_separator)
        .filter(|piece| !piece.is_empty())
}

/// The UAX #29 word segments of `text` that are words, numbers or emoji.
///
/// Segments are cut again at every white-space character, for two reasons.
/// UAX #29 makes U+202F NARROW NO-BREAK SPACE a word connector (class
/// ExtendNumLet, for Mongolian), so `"a\u{202f}b"` is one segment, yet it is
/// a space to readers, and in French it comes before '?' and ':'. And rule
/// WB4 glues a combining mark or joiner to the space before it
/// (`" \u{345}"`), which must give the same token as at the start of the
/// text.
pub(crate) fn unicode_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split_word_bounds()
        .flat_map(|segment| segment.split(char::is_whitespace))
        .filter(|piece| is_token(piece))
}

/// The UAX #29 word segments of `text` that are not white space, cut
/// again at white space as in [`unicode_tokens`].
pub(crate) fn symbol_tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split_word_bounds()
        .flat_map(|segment| segment.split(char::is_whitespace))
        .filter(|piece| !piece.is_empty())
}

/// [`unicode_tokens`] for ASCII `text`, about four times faster.
///
/// unicode-segmentation's `unicode_words` has an ASCII fast path, and on
/// ASCII it keeps exactly our segments: ASCII holds no emoji, and ASCII
/// white space never shares a segment with a letter or digit.
pub(crate) fn ascii_unicode_tokens(text: &str) -> impl Iterator<Item = &str> {
    debug_assert!(text.is_ascii());
    text.unicode_words()
}

/// True when a segment holds a letter, a digit or an emoji character.
///
/// UAX #29 keeps "what's", "3.14" and "10,000" in one segment each, so they
/// pass whole; segments of spaces or punctuation ("?", "...", "—") fail.
fn is_token(segment: &str) -> bool {
    segment
        .chars()
        .any(|c| c.is_alphanumeric() || is_emoji_char(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_splits_like_fasttext() {
        let cases: &[(&str, &[&str])] = &[
            ("how are you?", &["how", "are", "you?"]),
            ("  leading and  double  ", &["leading", "and", "double"]),
            (
                "a\tb\nc\rd\x0Be\x0Cf\0g",
                &["a", "b", "c", "d", "e", "f", "g"],
            ),
            ("line\r\n", &["line"]),
            // Unicode spaces split too (fastText keeps them in the token).
            ("a\u{a0}b c\u{3000}d", &["a", "b", "c", "d"]),
            (
                "a\u{2000}b\u{2003}c\u{200a}d\u{202f}e\u{205f}f\u{1680}g\u{85}h",
                &["a", "b", "c", "d", "e", "f", "g", "h"],
            ),
            ("a\u{2028}b\u{2029}c", &["a", "b", "c"]),
            // Zero-width characters are not white space.
            (
                "a\u{200b}b c\u{2060}d\u{feff}",
                &["a\u{200b}b", "c\u{2060}d\u{feff}"],
            ),
            ("Don't STOP", &["Don't", "STOP"]),
            ("", &[]),
            (" \n\t", &[]),
        ];
        for &(input, expected) in cases {
            let got: Vec<&str> = whitespace_tokens(input).collect();
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn symbols_keeps_punctuation_and_symbols_as_tokens() {
        let cases: &[(&str, &[&str])] = &[
            ("how are you?", &["how", "are", "you", "?"]),
            (
                "if (x := f(y)) { return a->b; }",
                &[
                    "if", "(", "x", ":", "=", "f", "(", "y", ")", ")", "{", "return", "a", "-",
                    ">", "b", ";", "}",
                ],
            ),
            ("(^_^) :-)", &["(", "^", "_", "^", ")", ":", "-", ")"]),
            ("what's 3.14", &["what's", "3.14"]),
            ("great🙂", &["great", "🙂"]),
            ("日本語です。", &["日", "本", "語", "で", "す", "。"]),
            ("a\u{a0}b\u{202f}c", &["a", "b", "c"]),
            ("", &[]),
            (" \n\t", &[]),
        ];
        for &(input, expected) in cases {
            let got: Vec<&str> = symbol_tokens(input).collect();
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn unicode_keeps_words_numbers_and_emoji() {
        let cases: &[(&str, &[&str])] = &[
            ("how are you?", &["how", "are", "you"]),
            ("Hello, world!", &["Hello", "world"]),
            ("what's up", &["what's", "up"]),
            ("what\u{2019}s up", &["what\u{2019}s", "up"]),
            (
                "pi is 3.14, not 10,000",
                &["pi", "is", "3.14", "not", "10,000"],
            ),
            ("U.S.A.", &["U.S.A"]),
            ("snake_case and e-mail", &["snake_case", "and", "e", "mail"]),
            ("great🙂", &["great", "🙂"]),
            ("🙂🙂", &["🙂", "🙂"]),
            ("I ❤\u{fe0f} it", &["I", "❤\u{fe0f}", "it"]),
            ("👍\u{1f3fd}", &["👍\u{1f3fd}"]),
            ("🇫🇷🇩🇪", &["🇫🇷", "🇩🇪"]),
            ("👨\u{200d}👩\u{200d}👧", &["👨\u{200d}👩\u{200d}👧"]),
            ("#\u{fe0f}\u{20e3}", &["#\u{fe0f}\u{20e3}"]),
            ("wait... — ok", &["wait", "ok"]),
            ("a\u{a0}b\u{3000}c\u{2009}d\te", &["a", "b", "c", "d", "e"]),
            (" \u{345}a", &["\u{345}", "a"]),
            // Narrow no-break space: a word connector to UAX #29, a space to us.
            ("a\u{202f}b 10\u{202f}000", &["a", "b", "10", "000"]),
            ("quoi\u{202f}?", &["quoi"]),
            ("\u{3a3}\u{202f}\u{a980}", &["\u{3a3}", "\u{a980}"]),
            ("", &[]),
            ("?!", &[]),
        ];
        for &(input, expected) in cases {
            let got: Vec<&str> = unicode_tokens(input).collect();
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn ascii_fast_path_matches_unicode_tokens() {
        let cases: &[&str] = &[
            "How are you? I'm fine, thanks.",
            "pi=3.14; 10,000 e-mail snake_case U.S.A. a.b:c d'e 1'000",
            "  \t\r\n\x0B\x0C\0 _ __a__ ... ?! ",
            "",
        ];
        for &input in cases {
            let fast: Vec<&str> = ascii_unicode_tokens(input).collect();
            let plain: Vec<&str> = unicode_tokens(input).collect();
            assert_eq!(fast, plain, "{input:?}");
        }
    }

    #[test]
    fn unicode_splits_scripts_without_spaces() {
        // No dictionary: UAX #29 alone decides, which gives one token per
        // ideograph and hiragana, one per katakana run, and one per Thai
        // letter with its marks. Hangul is written with spaces.
        let cases: &[(&str, &[&str])] = &[
            ("我爱北京", &["我", "爱", "北", "京"]),
            ("我爱北京。", &["我", "爱", "北", "京"]),
            (
                "東京タワーに行きました",
                &["東", "京", "タワー", "に", "行", "き", "ま", "し", "た"],
            ),
            (
                "สวัสดีครับ",
                &["ส", "ว\u{e31}", "ส", "ด\u{e35}", "ค", "ร\u{e31}", "บ"],
            ),
            ("안녕하세요 세계", &["안녕하세요", "세계"]),
        ];
        for &(input, expected) in cases {
            let got: Vec<&str> = unicode_tokens(input).collect();
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn parses_and_displays_names() {
        let cases: &[(&str, Option<TokenizerKind>)] = &[
            ("unicode", Some(TokenizerKind::Unicode)),
            ("whitespace", Some(TokenizerKind::Whitespace)),
            ("Whitespace", Some(TokenizerKind::Whitespace)),
            ("", None),
            ("space", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(input.parse::<TokenizerKind>().ok(), expected, "{input:?}");
        }
        for kind in TokenizerKind::ALL {
            assert_eq!(kind.to_string().parse::<TokenizerKind>().unwrap(), kind);
        }
    }

    #[test]
    fn parse_error_lists_the_choices() {
        let error = "bpe".parse::<TokenizerKind>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid setting: unknown tokenizer \"bpe\", expected one of: unicode, whitespace, symbols"
        );
    }
}
