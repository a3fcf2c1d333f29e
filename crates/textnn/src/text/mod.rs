//! Text pipeline: raw text → tokens.
//!
//! With the default [`TextConfig`] a text is put in Unicode NFC form,
//! lowercased, and cut at the word boundaries of UAX #29; the words, numbers
//! and emoji are kept, spaces and punctuation are dropped. A
//! [`TextConfig`] can instead pick fastText's whitespace splitting, keep
//! case, or add a Snowball stemmer. The config is saved in the model file,
//! so prediction tokenizes exactly like training did.
//!
//! ```
//! use textnn::text::{StemLanguage, TextConfig, TextPipeline};
//!
//! let pipeline = TextPipeline::new(TextConfig::default());
//! assert_eq!(
//!     pipeline.tokenize("What's 3.14 in Cafe\u{301}? 🙂"),
//!     ["what's", "3.14", "in", "café", "🙂"]
//! );
//!
//! let stemmed = TextPipeline::new(TextConfig {
//!     stem: Some(StemLanguage::English),
//!     ..TextConfig::default()
//! });
//! assert_eq!(stemmed.tokenize("Running sandwiches"), ["run", "sandwich"]);
//! ```
//!
//! The [`TokenizerKind::Unicode`] tokenizer keeps "what's", "3.14" and
//! "10,000" whole, as UAX #29 does. Every white-space character separates
//! tokens, including the no-break spaces; the [`TokenizerKind::Whitespace`]
//! tokenizer splits at the same characters (and NUL). Each emoji is one token, with its
//! skin tone, variation selector or zero-width-joined parts, and a flag is
//! one token; a few older symbols such as © and ™ count as emoji too.
//!
//! Scripts written without spaces get no dictionary, so UAX #29 alone
//! decides: every Han ideograph (Chinese, Japanese kanji) and every
//! hiragana is a token of its own, a run of katakana is one token, and Thai,
//! Lao, Khmer and Burmese fall apart into single letters with their attached
//! marks. Word n-gram features recover part of the lost words; for better
//! results, segment such text beforehand and use
//! [`TokenizerKind::Whitespace`].
//!
//! With either tokenizer the pipeline never returns an empty token, and a
//! trailing newline, "\r\n" line ends, or leading, trailing and repeated
//! spaces never change the tokens.

mod emoji;
mod normalize;
mod stem;
mod tokenize;

use serde::{Deserialize, Serialize};

pub use stem::StemLanguage;
pub use tokenize::TokenizerKind;

use normalize::{lowercase_token, normalize};
use stem::Stemmer;
pub(crate) use tokenize::is_word_separator;
use tokenize::{ascii_unicode_tokens, symbol_tokens, unicode_tokens, whitespace_tokens};

/// How text becomes tokens.
///
/// Stored in model files; its serde form is
/// `{"tokenizer":"unicode","lowercase":true,"stem":null}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextConfig {
    /// Which tokenizer splits the text.
    pub tokenizer: TokenizerKind,
    /// Whether tokens are lowercased (Unicode lowercase, not only ASCII).
    pub lowercase: bool,
    /// The Snowball stemmer applied to each token, if any. Stemmers expect
    /// lowercase words, so this is meant to go with `lowercase: true`.
    pub stem: Option<StemLanguage>,
}

impl Default for TextConfig {
    /// Unicode tokenizer, lowercase, no stemming.
    fn default() -> Self {
        TextConfig {
            tokenizer: TokenizerKind::Unicode,
            lowercase: true,
            stem: None,
        }
    }
}

/// A ready-to-use tokenizer built from a [`TextConfig`].
///
/// It is `Send + Sync + Clone`, so serving threads can share one.
#[derive(Clone, Debug)]
pub struct TextPipeline {
    config: TextConfig,
    /// Built once here rather than per token; `None` when not stemming.
    stemmer: Option<Stemmer>,
}

impl TextPipeline {
    /// A pipeline that tokenizes as `config` says.
    pub fn new(config: TextConfig) -> Self {
        let stemmer = config.stem.map(Stemmer::new);
        TextPipeline { config, stemmer }
    }

    /// The configuration this pipeline was built from.
    pub fn config(&self) -> &TextConfig {
        &self.config
    }

    /// Tokens of `text`.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let mut tokens = Vec::new();
        self.tokenize_into(text, &mut tokens);
        tokens
    }

    /// Clears `out`, then pushes the tokens of `text` (lets hot loops reuse
    /// the Vec).
    pub fn tokenize_into(&self, text: &str, out: &mut Vec<String>) {
        out.clear();
        self.tokenize_to(text, out);
    }

    /// The tokens of `text` into `out`, replacing what it held, reusing
    /// its strings' memory: a loop over many texts allocates only when a
    /// text has more or longer tokens than any before it.
    pub fn tokenize_reusing(&self, text: &str, out: &mut Tokens) {
        out.len = 0;
        self.tokenize_to(text, out);
    }

    /// The tokens of `text` as slices of it, when this pipeline only
    /// splits (the whitespace tokenizer, neither lowercasing nor
    /// stemming): the same tokens as [`TextPipeline::tokenize`], without
    /// copying them. `None` when the tokens need changing.
    pub fn borrowed_tokens<'t>(&self, text: &'t str) -> Option<impl Iterator<Item = &'t str>> {
        let only_splits = self.config.tokenizer == TokenizerKind::Whitespace
            && !self.config.lowercase
            && self.stemmer.is_none();
        only_splits.then(|| whitespace_tokens(text))
    }

    /// Each token of `text` into the next slot of `out`.
    fn tokenize_to(&self, text: &str, out: &mut impl TokenSink) {
        let lowercase = self.config.lowercase;
        match self.config.tokenizer {
            TokenizerKind::Whitespace => {
                // fastText does not normalize, and lowercasing piece by
                // piece equals lowercasing the whole text here because the
                // separators end the final-sigma context.
                for piece in whitespace_tokens(text) {
                    let token = out.next_slot();
                    token.push_str(piece);
                    if lowercase {
                        lowercase_token(token);
                    }
                    self.stem(token);
                }
            }
            TokenizerKind::Unicode if text.is_ascii() => {
                // ASCII is already in NFC, and ASCII lowercasing needs no
                // context, so each token is lowercased in its own buffer
                // instead of copying the whole text first.
                for segment in ascii_unicode_tokens(text) {
                    let token = out.next_slot();
                    token.push_str(segment);
                    if lowercase {
                        token.make_ascii_lowercase();
                    }
                    self.stem(token);
                }
            }
            TokenizerKind::Unicode => {
                let normalized = normalize(text, lowercase);
                for segment in unicode_tokens(&normalized) {
                    let token = out.next_slot();
                    token.push_str(segment);
                    self.stem(token);
                }
            }
            TokenizerKind::Symbols => {
                let normalized = normalize(text, lowercase);
                for segment in symbol_tokens(&normalized) {
                    let token = out.next_slot();
                    token.push_str(segment);
                    self.stem(token);
                }
            }
        }
    }

    /// Stems `token` in place if configured.
    fn stem(&self, token: &mut String) {
        if let Some(stemmer) = &self.stemmer {
            stemmer.stem_in_place(token);
        }
    }
}

/// Token buffers kept across texts ([`TextPipeline::tokenize_reusing`]):
/// the strings of earlier texts stay allocated for the next.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    /// Every string allocated so far; the first `len` hold the tokens.
    strings: Vec<String>,
    len: usize,
}

impl Tokens {
    /// The tokens of the last text.
    pub fn as_slice(&self) -> &[String] {
        &self.strings[..self.len]
    }
}

/// Where the tokenizer writes: an empty string to fill per token.
trait TokenSink {
    /// A cleared string for the next token.
    fn next_slot(&mut self) -> &mut String;
}

impl TokenSink for Vec<String> {
    fn next_slot(&mut self) -> &mut String {
        self.push(String::new());
        self.last_mut().expect("a string was just pushed")
    }
}

impl TokenSink for Tokens {
    fn next_slot(&mut self) -> &mut String {
        if self.len == self.strings.len() {
            self.strings.push(String::new());
        }
        let slot = &mut self.strings[self.len];
        slot.clear();
        self.len += 1;
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization;
    use unicode_segmentation::UnicodeSegmentation;

    fn config(tokenizer: TokenizerKind, lowercase: bool, stem: Option<StemLanguage>) -> TextConfig {
        TextConfig {
            tokenizer,
            lowercase,
            stem,
        }
    }

    const UNICODE: TextConfig = TextConfig {
        tokenizer: TokenizerKind::Unicode,
        lowercase: true,
        stem: None,
    };

    #[test]
    fn tokenizes_text() {
        use StemLanguage::{English, German};
        use TokenizerKind::{Unicode, Whitespace};
        let cases: &[(&str, TextConfig, &[&str])] = &[
            (
                "Hello, World! How are you?",
                UNICODE,
                &["hello", "world", "how", "are", "you"],
            ),
            (
                "I'm sure it's fine",
                UNICODE,
                &["i'm", "sure", "it's", "fine"],
            ),
            (
                "Pi is 3.14 and 10,000 > 9.",
                UNICODE,
                &["pi", "is", "3.14", "and", "10,000", "9"],
            ),
            (
                "love it 🙂❤\u{fe0f}👍\u{1f3fd}🇫🇷",
                UNICODE,
                &["love", "it", "🙂", "❤\u{fe0f}", "👍\u{1f3fd}", "🇫🇷"],
            ),
            ("我爱北京", UNICODE, &["我", "爱", "北", "京"]),
            // NFC composes "e" + U+0301 into "é", so both spellings agree.
            (
                "Cafe\u{301} cafe\u{301}",
                UNICODE,
                &["caf\u{e9}", "caf\u{e9}"],
            ),
            ("caf\u{e9}", UNICODE, &["caf\u{e9}"]),
            (
                "no\u{a0}break\u{3000}ideographic\tTab",
                UNICODE,
                &["no", "break", "ideographic", "tab"],
            ),
            ("ÉTÉ Hello", config(Unicode, true, None), &["été", "hello"]),
            ("ÉTÉ Hello", config(Unicode, false, None), &["ÉTÉ", "Hello"]),
            ("Hello", config(Unicode, false, None), &["Hello"]),
            (
                "How are you? Fine,thanks",
                config(Whitespace, true, None),
                &["how", "are", "you?", "fine,thanks"],
            ),
            (
                "How are\tYOU?\r\n",
                config(Whitespace, false, None),
                &["How", "are", "YOU?"],
            ),
            // The whitespace tokenizer does not normalize, like fastText.
            (
                "Cafe\u{301}",
                config(Whitespace, true, None),
                &["cafe\u{301}"],
            ),
            (
                "I was running with sandwiches",
                config(Unicode, true, Some(English)),
                &["i", "was", "run", "with", "sandwich"],
            ),
            (
                "Running sandwiches!",
                config(Whitespace, true, Some(English)),
                &["run", "sandwiches!"],
            ),
            (
                "Die Häuser und die Katzen",
                config(Unicode, true, Some(German)),
                &["die", "haus", "und", "die", "katz"],
            ),
            ("", UNICODE, &[]),
            (" ?! ", UNICODE, &[]),
        ];
        for (input, text_config, expected) in cases {
            let pipeline = TextPipeline::new(text_config.clone());
            assert_eq!(
                pipeline.tokenize(input),
                *expected,
                "{input:?} {text_config:?}"
            );
        }
    }

    #[test]
    fn tokenize_into_replaces_previous_tokens() {
        let pipeline = TextPipeline::new(TextConfig::default());
        let mut out = vec!["stale".to_string()];
        pipeline.tokenize_into("fresh words", &mut out);
        assert_eq!(out, ["fresh", "words"]);
        pipeline.tokenize_into("", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn default_config() {
        let config = TextConfig::default();
        assert_eq!(config, UNICODE);
        assert_eq!(TextPipeline::new(config.clone()).config(), &config);
    }

    #[test]
    fn config_serde_round_trip() {
        // The JSON text is pinned because model files store it.
        let cases: &[(TextConfig, &str)] = &[
            (
                TextConfig::default(),
                r#"{"tokenizer":"unicode","lowercase":true,"stem":null}"#,
            ),
            (
                config(TokenizerKind::Whitespace, false, Some(StemLanguage::German)),
                r#"{"tokenizer":"whitespace","lowercase":false,"stem":"german"}"#,
            ),
        ];
        for (text_config, json) in cases {
            assert_eq!(serde_json::to_string(text_config).unwrap(), *json);
            assert_eq!(
                &serde_json::from_str::<TextConfig>(json).unwrap(),
                text_config
            );
        }
    }

    #[test]
    fn config_serde_rejects_unknown_names() {
        let json = r#"{"tokenizer":"bpe","lowercase":true,"stem":null}"#;
        assert!(serde_json::from_str::<TextConfig>(json).is_err());
    }

    #[test]
    fn pipeline_is_send_sync_clone() {
        fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
        assert_shareable::<TextPipeline>();
        let pipeline = TextPipeline::new(config(
            TokenizerKind::Unicode,
            true,
            Some(StemLanguage::English),
        ));
        let copy = pipeline.clone();
        assert_eq!(copy.tokenize("Sandwiches"), pipeline.tokenize("Sandwiches"));
    }

    /// The plain version of the Unicode path: every step done on the whole
    /// text, with no fast path. The pipeline must agree with it.
    fn reference_unicode_tokens(
        text: &str,
        lowercase: bool,
        stem: Option<StemLanguage>,
    ) -> Vec<String> {
        let mut normalized: String = text.nfc().collect();
        if lowercase {
            normalized = normalized.to_lowercase();
        }
        normalized
            .split_word_bounds()
            .flat_map(|segment| segment.split(char::is_whitespace))
            .filter(|segment| {
                segment
                    .chars()
                    .any(|c| c.is_alphanumeric() || emoji::is_emoji_char(c))
            })
            .map(|segment| {
                let mut token = segment.to_string();
                if let Some(language) = stem {
                    Stemmer::new(language).stem_in_place(&mut token);
                }
                token
            })
            .collect()
    }

    /// Any configuration: both tokenizers, with and without lowercase and stemming.
    fn any_config() -> impl Strategy<Value = TextConfig> {
        (
            prop_oneof![
                Just(TokenizerKind::Unicode),
                Just(TokenizerKind::Whitespace)
            ],
            any::<bool>(),
            prop::option::of(prop::sample::select(StemLanguage::all())),
        )
            .prop_map(|(tokenizer, lowercase, stem)| config(tokenizer, lowercase, stem))
    }

    /// Arbitrary strings, ASCII strings, and strings dense in the
    /// characters where the rules interact: spaces of several kinds,
    /// combining marks, joiners, emoji parts, sigma, apostrophes and
    /// separators.
    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            // ASCII only, to exercise the ASCII fast path.
            "[ -~\t\r\n\u{0}\u{b}\u{c}]{0,40}",
            "[a-zA-Z0-9 .,'’\\-\t\r\n\u{0}\u{b}\u{c}\u{a0}\u{3000}\u{202f}\u{2009}\u{85}\u{2028}\u{301}\u{345}\u{200d}\u{fe0f}\u{20e3}\u{ad}ΣΑσİǅ我ひカสั🙂❤\u{1f3fd}\u{1f1eb}\u{1f1f7}#]{0,24}",
        ]
    }

    proptest! {
        // Failures become table tests here instead of files outside src/text.
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Borrowed tokens, where offered, are the tokens.
        #[test]
        fn borrowed_tokens_are_the_tokens(text in any_text(), config in any_config()) {
            let pipeline = TextPipeline::new(config.clone());
            match pipeline.borrowed_tokens(&text) {
                Some(pieces) => prop_assert_eq!(pieces.collect::<Vec<_>>(), pipeline.tokenize(&text)),
                None => prop_assert!(
                    config.tokenizer != TokenizerKind::Whitespace || config.lowercase || config.stem.is_some()
                ),
            }
        }

        /// Reused buffers give each text the tokens a fresh Vec gets,
        /// whatever longer or shorter texts came before (Symbols included).
        #[test]
        fn reusing_buffers_gives_the_same_tokens(
            texts in prop::collection::vec(any_text(), 1..6),
            config in any_config(),
            symbols in any::<bool>(),
        ) {
            let config = if symbols {
                TextConfig { tokenizer: TokenizerKind::Symbols, ..config }
            } else {
                config
            };
            let pipeline = TextPipeline::new(config);
            let mut reused = Tokens::default();
            for text in &texts {
                pipeline.tokenize_reusing(text, &mut reused);
                prop_assert_eq!(reused.as_slice(), &pipeline.tokenize(text)[..]);
            }
        }

        #[test]
        fn never_panics_and_never_yields_empty_tokens(text in any_text(), config in any_config()) {
            let tokens = TextPipeline::new(config).tokenize(&text);
            prop_assert!(tokens.iter().all(|token| !token.is_empty()), "{tokens:?}");
        }

        #[test]
        fn unicode_tokens_hold_no_whitespace(text in any_text(), config in any_config()) {
            let config = TextConfig { tokenizer: TokenizerKind::Unicode, ..config };
            let tokens = TextPipeline::new(config).tokenize(&text);
            prop_assert!(
                tokens.iter().all(|token| !token.contains(char::is_whitespace)),
                "{tokens:?}"
            );
        }

        #[test]
        fn line_ends_and_spaces_do_not_change_tokens(text in any_text(), config in any_config()) {
            let pipeline = TextPipeline::new(config);
            let tokens = pipeline.tokenize(&text);
            let variants = [
                format!("{text}\n"),
                format!("{text}\r\n"),
                format!("  {text}   "),
                text.replace('\n', "\r\n"),
                text.replace(' ', "   "),
            ];
            for variant in variants {
                prop_assert_eq!(&pipeline.tokenize(&variant), &tokens, "{:?}", variant);
            }
        }

        #[test]
        fn unicode_fast_paths_match_the_reference(
            text in any_text(),
            lowercase in any::<bool>(),
            stem in prop::option::of(prop::sample::select(StemLanguage::all())),
        ) {
            let pipeline = TextPipeline::new(config(TokenizerKind::Unicode, lowercase, stem));
            prop_assert_eq!(pipeline.tokenize(&text), reference_unicode_tokens(&text, lowercase, stem));
        }

        #[test]
        fn whitespace_matches_plain_split(text in any_text(), lowercase in any::<bool>()) {
            let pipeline = TextPipeline::new(config(TokenizerKind::Whitespace, lowercase, None));
            let lowered = if lowercase { text.to_lowercase() } else { text.clone() };
            let expected: Vec<&str> = lowered
                .split(|c: char| c.is_whitespace() || c == '\0')
                .filter(|piece| !piece.is_empty())
                .collect();
            prop_assert_eq!(pipeline.tokenize(&text), expected);
        }
    }
}
