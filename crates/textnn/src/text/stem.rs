//! Stemming: Snowball stemmers cut words to a shared stem.
//!
//! With [`StemLanguage::English`], "running" becomes "run" and "sandwiches"
//! becomes "sandwich", so both forms share one vocabulary entry. The
//! stemmers come from the rust-stemmers crate, a port of the Snowball
//! algorithms (<https://snowballstem.org/>), and expect lowercase input.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use rust_stemmers::Algorithm;
use serde::{Deserialize, Serialize};

/// Snowball stemmer languages (those rust-stemmers offers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StemLanguage {
    /// Arabic.
    Arabic,
    /// Danish.
    Danish,
    /// Dutch.
    Dutch,
    /// English (Snowball's "english", also called Porter2).
    English,
    /// Finnish.
    Finnish,
    /// French.
    French,
    /// German.
    German,
    /// Greek.
    Greek,
    /// Hungarian.
    Hungarian,
    /// Italian.
    Italian,
    /// Norwegian (Bokmål).
    Norwegian,
    /// Portuguese.
    Portuguese,
    /// Romanian.
    Romanian,
    /// Russian.
    Russian,
    /// Spanish.
    Spanish,
    /// Swedish.
    Swedish,
    /// Tamil.
    Tamil,
    /// Turkish.
    Turkish,
}

impl StemLanguage {
    /// Every language, in alphabetical order.
    pub fn all() -> &'static [StemLanguage] {
        use StemLanguage::*;
        &[
            Arabic, Danish, Dutch, English, Finnish, French, German, Greek, Hungarian, Italian,
            Norwegian, Portuguese, Romanian, Russian, Spanish, Swedish, Tamil, Turkish,
        ]
    }

    /// The lowercase name used on the command line and in model files.
    fn name(self) -> &'static str {
        match self {
            StemLanguage::Arabic => "arabic",
            StemLanguage::Danish => "danish",
            StemLanguage::Dutch => "dutch",
            StemLanguage::English => "english",
            StemLanguage::Finnish => "finnish",
            StemLanguage::French => "french",
            StemLanguage::German => "german",
            StemLanguage::Greek => "greek",
            StemLanguage::Hungarian => "hungarian",
            StemLanguage::Italian => "italian",
            StemLanguage::Norwegian => "norwegian",
            StemLanguage::Portuguese => "portuguese",
            StemLanguage::Romanian => "romanian",
            StemLanguage::Russian => "russian",
            StemLanguage::Spanish => "spanish",
            StemLanguage::Swedish => "swedish",
            StemLanguage::Tamil => "tamil",
            StemLanguage::Turkish => "turkish",
        }
    }

    /// The rust-stemmers algorithm for this language.
    fn algorithm(self) -> Algorithm {
        match self {
            StemLanguage::Arabic => Algorithm::Arabic,
            StemLanguage::Danish => Algorithm::Danish,
            StemLanguage::Dutch => Algorithm::Dutch,
            StemLanguage::English => Algorithm::English,
            StemLanguage::Finnish => Algorithm::Finnish,
            StemLanguage::French => Algorithm::French,
            StemLanguage::German => Algorithm::German,
            StemLanguage::Greek => Algorithm::Greek,
            StemLanguage::Hungarian => Algorithm::Hungarian,
            StemLanguage::Italian => Algorithm::Italian,
            StemLanguage::Norwegian => Algorithm::Norwegian,
            StemLanguage::Portuguese => Algorithm::Portuguese,
            StemLanguage::Romanian => Algorithm::Romanian,
            StemLanguage::Russian => Algorithm::Russian,
            StemLanguage::Spanish => Algorithm::Spanish,
            StemLanguage::Swedish => Algorithm::Swedish,
            StemLanguage::Tamil => Algorithm::Tamil,
            StemLanguage::Turkish => Algorithm::Turkish,
        }
    }
}

impl fmt::Display for StemLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StemLanguage {
    type Err = crate::Error;

    /// Parses a name such as `"english"`, ignoring ASCII case.
    fn from_str(s: &str) -> crate::Result<Self> {
        Self::all()
            .iter()
            .copied()
            .find(|language| language.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let choices: Vec<&str> =
                    Self::all().iter().map(|language| language.name()).collect();
                crate::Error::InvalidConfig(format!(
                    "unknown stemming language {s:?}, expected one of: {}",
                    choices.join(", ")
                ))
            })
    }
}

/// A Snowball stemmer that can be cloned and shared between threads.
///
/// `rust_stemmers::Stemmer` holds only a function pointer, so it is already
/// `Send + Sync`, but it implements neither `Clone` nor `Debug`; keeping the
/// language lets us rebuild it, which costs nothing.
pub(crate) struct Stemmer {
    language: StemLanguage,
    inner: rust_stemmers::Stemmer,
}

impl Stemmer {
    /// The stemmer for `language`.
    pub(crate) fn new(language: StemLanguage) -> Self {
        Stemmer {
            language,
            inner: rust_stemmers::Stemmer::create(language.algorithm()),
        }
    }

    /// Replaces `token` with its stem.
    ///
    /// A token the stemmer would cut to nothing is left as it is, because
    /// the pipeline promises never to return an empty token.
    pub(crate) fn stem_in_place(&self, token: &mut String) {
        // The stemmer borrows its input when nothing changes, so only a
        // changed word allocates.
        let stem = match self.inner.stem(token) {
            Cow::Borrowed(_) => return,
            Cow::Owned(stem) => stem,
        };
        if !stem.is_empty() {
            *token = stem;
        }
    }
}

impl Clone for Stemmer {
    fn clone(&self) -> Self {
        Stemmer::new(self.language)
    }
}

impl fmt::Debug for Stemmer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Stemmer").field(&self.language).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_words() {
        let cases: &[(StemLanguage, &str, &str)] = &[
            (StemLanguage::English, "running", "run"),
            (StemLanguage::English, "sandwiches", "sandwich"),
            (StemLanguage::English, "generously", "generous"),
            (StemLanguage::English, "what's", "what"),
            (StemLanguage::English, "run", "run"),
            (StemLanguage::English, "3.14", "3.14"),
            (StemLanguage::English, "🙂", "🙂"),
            (StemLanguage::German, "häuser", "haus"),
            (StemLanguage::German, "katzen", "katz"),
            (StemLanguage::German, "möglichkeiten", "moglich"),
            (StemLanguage::French, "continuellement", "continuel"),
            (StemLanguage::Spanish, "corriendo", "corr"),
        ];
        for &(language, word, expected) in cases {
            let mut token = word.to_string();
            Stemmer::new(language).stem_in_place(&mut token);
            assert_eq!(token, expected, "{language} {word:?}");
        }
    }

    #[test]
    fn every_language_round_trips_through_its_name() {
        assert_eq!(StemLanguage::all().len(), 18);
        for &language in StemLanguage::all() {
            let name = language.to_string();
            assert_eq!(name, name.to_lowercase());
            assert_eq!(name.parse::<StemLanguage>().unwrap(), language);
            // The serde name is the same one, so model files read like the CLI.
            let json = serde_json::to_string(&language).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<StemLanguage>(&json).unwrap(),
                language
            );
        }
    }

    #[test]
    fn parses_names() {
        let cases: &[(&str, Option<StemLanguage>)] = &[
            ("english", Some(StemLanguage::English)),
            ("German", Some(StemLanguage::German)),
            ("TURKISH", Some(StemLanguage::Turkish)),
            ("en", None),
            ("klingon", None),
            ("", None),
        ];
        for &(input, expected) in cases {
            assert_eq!(input.parse::<StemLanguage>().ok(), expected, "{input:?}");
        }
    }

    #[test]
    fn parse_error_lists_the_choices() {
        let error = "klingon".parse::<StemLanguage>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid setting: unknown stemming language \"klingon\", expected one of: \
             arabic, danish, dutch, english, finnish, french, german, greek, hungarian, \
             italian, norwegian, portuguese, romanian, russian, spanish, swedish, tamil, turkish"
        );
    }

    #[test]
    fn clone_stems_like_the_original() {
        let stemmer = Stemmer::new(StemLanguage::English);
        let copy = stemmer.clone();
        let (mut a, mut b) = ("sandwiches".to_string(), "sandwiches".to_string());
        stemmer.stem_in_place(&mut a);
        copy.stem_in_place(&mut b);
        assert_eq!(a, b);
        assert_eq!(format!("{copy:?}"), "Stemmer(English)");
    }
}
