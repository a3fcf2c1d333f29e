//! Tokens → sparse feature ids: the only place that hashes.
//!
//! Feature ids index rows of the embedding matrix:
//!
//! ```text
//! 0 .. n_words                      one row per vocabulary word
//! n_words .. n_words + buckets      hashed word n-grams (2..=N) and character n-grams
//! ```
//!
//! A token hashes with 64-bit FNV-1a; a word n-gram combines its words'
//! hashes as `h ← h · 116049371 + h_next` (fastText's recurrence, in 64
//! bits); a character n-gram of `<word>` hashes its UTF-8 bytes. Both land
//! in bucket `n_words + h mod buckets`. These functions are frozen: model
//! files depend on them, so changing one needs a new format version.
//!
//! ```
//! use textnn::features::{FeatureConfig, Featurizer};
//! use textnn::vocab::Dictionary;
//! let vocab = Dictionary::build(["make", "me", "a", "sandwich"].into_iter(), 1);
//! let config = FeatureConfig { word_ngrams: 2, buckets: 1000, ..FeatureConfig::default() };
//! let featurizer = Featurizer::new(config, vocab.len());
//! let tokens: Vec<String> = ["make", "me", "lunch"].iter().map(|s| s.to_string()).collect();
//! let mut ids = Vec::new();
//! featurizer.extract(&vocab, &tokens, &mut ids);
//! // 2 known words + 2 bigrams; "lunch" is unknown but still forms a bigram.
//! assert_eq!(ids.len(), 4);
//! assert!(ids[2] >= 4 && ids[3] >= 4);
//! ```

use crate::vocab::Dictionary;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which features an example produces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Longest word n-gram: 1 = words only, 2 = words and bigrams, ...
    pub word_ngrams: usize,
    /// Character n-gram lengths `(min, max)` of `<word>`, or `None`.
    pub char_ngrams: Option<(usize, usize)>,
    /// Number of hashed rows shared by word and character n-grams.
    pub buckets: usize,
    /// Count each feature once per example (a binary bag of words).
    pub binary: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            word_ngrams: 1,
            char_ngrams: None,
            buckets: 2_000_000,
            binary: false,
        }
    }
}

/// Largest word n-gram order accepted.
pub const MAX_WORD_NGRAMS: usize = 8;
/// Longest character n-gram accepted.
pub const MAX_CHAR_NGRAM: usize = 20;

impl FeatureConfig {
    /// Whether any feature is hashed into buckets.
    pub fn uses_buckets(&self) -> bool {
        self.word_ngrams > 1 || self.char_ngrams.is_some()
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        if !(1..=MAX_WORD_NGRAMS).contains(&self.word_ngrams) {
            return bad(format!(
                "word n-grams must be between 1 and {MAX_WORD_NGRAMS}, got {}",
                self.word_ngrams
            ));
        }
        if let Some((min, max)) = self.char_ngrams {
            if min == 0 || min > max || max > MAX_CHAR_NGRAM {
                return bad(format!(
                    "character n-grams must be MIN-MAX with 1 ≤ MIN ≤ MAX ≤ {MAX_CHAR_NGRAM}, got {min}-{max}"
                ));
            }
        }
        if self.uses_buckets() && self.buckets == 0 {
            return bad(
                "buckets must be at least 1 when word or character n-grams are on, got 0".into(),
            );
        }
        Ok(())
    }
}

/// Turns tokens into feature ids for a vocabulary of `n_words` words.
#[derive(Clone, Debug, PartialEq)]
pub struct Featurizer {
    config: FeatureConfig,
    n_words: usize,
}

impl Featurizer {
    /// A featurizer for `config` over a vocabulary of `n_words` words.
    pub fn new(config: FeatureConfig, n_words: usize) -> Self {
        Featurizer { config, n_words }
    }

    /// The settings.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// Number of distinct feature ids: rows of the embedding matrix.
    pub fn input_rows(&self) -> usize {
        self.n_words
            + if self.config.uses_buckets() {
                self.config.buckets
            } else {
                0
            }
    }

    /// Clears `out` and pushes the feature ids of `tokens`: known words,
    /// then word n-grams, then character n-grams (sorted and deduplicated
    /// when `binary`).
    pub fn extract<S: AsRef<str>>(&self, vocab: &Dictionary, tokens: &[S], out: &mut Vec<u32>) {
        out.clear();
        self.push_word_features(
            tokens.len(),
            |i| vocab.id(tokens[i].as_ref()),
            |i| fnv1a(tokens[i].as_ref().as_bytes()),
            out,
        );
        if let Some((min, max)) = self.config.char_ngrams {
            for token in tokens {
                self.push_char_ngrams(token.as_ref(), min, max, out);
            }
        }
        if self.config.binary {
            out.sort_unstable();
            out.dedup();
        }
    }

    /// [`Featurizer::extract`] for a text already turned into token
    /// numbers: `word_ids[t]` is token number `t`'s vocabulary id (if any)
    /// and `word_hashes[t]` its [`word_hash`]. Gives exactly the features
    /// `extract` gives, without strings or hash-table lookups.
    ///
    /// # Panics
    /// If character n-grams are configured: they need the strings.
    pub fn extract_numbered(
        &self,
        tokens: &[u32],
        word_ids: &[Option<u32>],
        word_hashes: &[u64],
        out: &mut Vec<u32>,
    ) {
        assert!(
            self.config.char_ngrams.is_none(),
            "character n-grams need the tokens' text"
        );
        out.clear();
        self.push_word_features(
            tokens.len(),
            |i| word_ids[tokens[i] as usize],
            |i| word_hashes[tokens[i] as usize],
            out,
        );
        if self.config.binary {
            out.sort_unstable();
            out.dedup();
        }
    }

    /// Pushes the vocabulary ids of `n` tokens, then their hashed word
    /// n-grams; `id(i)` and `hash(i)` describe token `i`.
    #[inline]
    fn push_word_features(
        &self,
        n: usize,
        id: impl Fn(usize) -> Option<u32>,
        hash: impl Fn(usize) -> u64,
        out: &mut Vec<u32>,
    ) {
        out.extend((0..n).filter_map(&id));
        let word_ngrams = self.config.word_ngrams;
        if word_ngrams > 1 {
            // Each n-gram's hash is rebuilt from its words' hashes rather
            // than from a buffer of them, so extraction allocates nothing.
            for i in 0..n {
                let mut h = hash(i);
                for next in (i + 1..n).take(word_ngrams - 1) {
                    h = h.wrapping_mul(116_049_371).wrapping_add(hash(next));
                    out.push(self.bucket(h));
                }
            }
        }
    }

    /// Pushes the character n-grams (lengths `min..=max`) of `<token>`, by
    /// start position then length. A window of the next `max` characters
    /// slides along the word, so no buffer is allocated and a very long
    /// token costs time linear in its length.
    fn push_char_ngrams(&self, token: &str, min: usize, max: usize, out: &mut Vec<u32>) {
        let mut chars = std::iter::once('<')
            .chain(token.chars())
            .chain(std::iter::once('>'));
        let n_chars = token.chars().count() + 2;
        let mut window = ['\0'; MAX_CHAR_NGRAM];
        let mut filled = 0;
        for slot in window.iter_mut().take(max) {
            match chars.next() {
                Some(ch) => {
                    *slot = ch;
                    filled += 1;
                }
                None => break,
            }
        }
        let mut head = 0; // window[head] is the character at position `first`
        for first in 0..n_chars {
            let mut h = FNV_OFFSET;
            let mut utf8 = [0u8; 4];
            for len in 1..=max.min(filled) {
                let ch = window[(head + len - 1) % max];
                h = fnv1a_extend(h, ch.encode_utf8(&mut utf8).as_bytes());
                // Like fastText, a lone "<" or ">" is not an n-gram.
                let lone_boundary = len == 1 && (first == 0 || first + 1 == n_chars);
                if len >= min && !lone_boundary {
                    out.push(self.bucket(h));
                }
            }
            // Slide: drop the first character, append the next one.
            match chars.next() {
                Some(ch) => window[head] = ch,
                None => filled -= 1,
            }
            head = (head + 1) % max;
        }
    }

    /// Feature id of hash `h`.
    #[inline]
    fn bucket(&self, h: u64) -> u32 {
        (self.n_words as u64 + h % self.config.buckets as u64) as u32
    }
}

/// The hash of one word that its n-grams' hashes are built from.
#[inline]
pub fn word_hash(word: &str) -> u64 {
    fnv1a(word.as_bytes())
}

/// FNV-1a's 64-bit offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// 64-bit FNV-1a of `bytes`. Frozen: model files depend on it.
#[inline]
pub fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_extend(FNV_OFFSET, bytes)
}

/// Continues an FNV-1a hash `h` over more `bytes`.
#[inline]
fn fnv1a_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn fnv1a_matches_published_test_vectors() {
        // From the FNV reference test suite (64-bit FNV-1a).
        assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    #[allow(clippy::type_complexity)] // one tuple per table row reads best here
    fn feature_counts_follow_the_settings() {
        let vocab = Dictionary::build(["a", "b", "c"].into_iter(), 1);
        // (word_ngrams, char_ngrams, binary, text, expected number of ids)
        let table: [(usize, Option<(usize, usize)>, bool, &str, usize); 6] = [
            (1, None, false, "a b c", 3),
            (1, None, false, "a a x", 2),
            (1, None, true, "a a x", 1),
            (2, None, false, "a b c", 3 + 2),
            (3, None, false, "a b c", 3 + 2 + 1),
            // "<ab>" has char 3-grams "<ab", "ab>"; "a" is unknown-free: "<a>".
            (1, Some((3, 3)), false, "ab a", 1 + 2 + 1),
        ];
        for (word_ngrams, char_ngrams, binary, text, expected) in table {
            let config = FeatureConfig {
                word_ngrams,
                char_ngrams,
                buckets: 100,
                binary,
            };
            let f = Featurizer::new(config, vocab.len());
            let mut ids = Vec::new();
            f.extract(&vocab, &tokens(text), &mut ids);
            assert_eq!(
                ids.len(),
                expected,
                "{text:?} n={word_ngrams} {char_ngrams:?}"
            );
            assert!(ids.iter().all(|&id| (id as usize) < f.input_rows()));
        }
    }

    /// The plain definition: build `<token>`, list its character
    /// boundaries, hash every slice of `min..=max` characters.
    fn reference_char_ngrams(f: &Featurizer, token: &str, min: usize, max: usize) -> Vec<u32> {
        let word = format!("<{token}>");
        let mut starts: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
        starts.push(word.len());
        let n_chars = starts.len() - 1;
        let mut out = Vec::new();
        for first in 0..n_chars {
            for len in min..=max {
                let last = first + len;
                if last > n_chars {
                    break;
                }
                if len == 1 && (first == 0 || last == n_chars) {
                    continue;
                }
                out.push(f.bucket(fnv1a(&word.as_bytes()[starts[first]..starts[last]])));
            }
        }
        out
    }

    #[test]
    fn sliding_char_ngrams_agree_with_the_plain_definition() {
        let tokens = [
            "a",
            "ab",
            "sandwich",
            "é",
            "日本語",
            "🙂x",
            "internationalization",
        ];
        for (min, max) in [(1, 1), (1, 3), (2, 4), (3, 6), (5, 5), (1, 20)] {
            let config = FeatureConfig {
                char_ngrams: Some((min, max)),
                buckets: 1 << 20,
                ..FeatureConfig::default()
            };
            let f = Featurizer::new(config, 0);
            for token in tokens {
                let mut fast = Vec::new();
                f.push_char_ngrams(token, min, max, &mut fast);
                assert_eq!(
                    fast,
                    reference_char_ngrams(&f, token, min, max),
                    "{token} {min}-{max}"
                );
            }
        }
    }

    #[test]
    fn char_ngrams_handle_multibyte_characters() {
        let vocab = Dictionary::default();
        let config = FeatureConfig {
            char_ngrams: Some((1, 2)),
            buckets: 50,
            ..FeatureConfig::default()
        };
        let f = Featurizer::new(config, 0);
        let mut ids = Vec::new();
        // "<é>": 1-grams "é"; 2-grams "<é", "é>".
        f.extract(&vocab, &tokens("é"), &mut ids);
        assert_eq!(ids.len(), 3);
    }

    #[test]
    fn numbered_tokens_give_the_same_features_as_strings() {
        use crate::vocab::Counter;
        let words = [
            "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "é", "日本",
        ];
        let texts: Vec<Vec<String>> = (0..60)
            .map(|t: usize| {
                (0..(t * 7) % 13)
                    .map(|i| words[(t * 31 + i * i * 17) % words.len()].to_string())
                    .collect()
            })
            .collect();
        let mut texts = texts;
        texts[5].push("rare".into());
        texts[9].insert(0, "seldom".into());
        let mut counter = Counter::default();
        let mut hashes = Vec::new();
        let numbered: Vec<Vec<u32>> = texts
            .iter()
            .map(|tokens| {
                tokens
                    .iter()
                    .map(|w| {
                        let (id, new) = counter.add(w);
                        if new {
                            hashes.push(word_hash(w));
                        }
                        id
                    })
                    .collect()
            })
            .collect();
        let (vocab, word_ids) = counter.finish_with_ids(3);
        assert!(vocab.id("rare").is_none() && vocab.id("seldom").is_none());
        for word_ngrams in 1..=3 {
            for binary in [false, true] {
                let f = Featurizer::new(
                    FeatureConfig {
                        word_ngrams,
                        char_ngrams: None,
                        buckets: 97,
                        binary,
                    },
                    vocab.len(),
                );
                let (mut expected, mut actual) = (Vec::new(), Vec::new());
                for (tokens, numbers) in texts.iter().zip(&numbered) {
                    f.extract(&vocab, tokens, &mut expected);
                    f.extract_numbered(numbers, &word_ids, &hashes, &mut actual);
                    assert_eq!(
                        actual, expected,
                        "{tokens:?}, n-grams {word_ngrams}, binary {binary}"
                    );
                }
            }
        }
    }

    #[test]
    fn word_order_matters_for_bigrams_only() {
        let vocab = Dictionary::build(["x", "y"].into_iter(), 1);
        let config = FeatureConfig {
            word_ngrams: 2,
            buckets: 1 << 20,
            ..FeatureConfig::default()
        };
        let f = Featurizer::new(config, vocab.len());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        f.extract(&vocab, &tokens("x y"), &mut a);
        f.extract(&vocab, &tokens("y x"), &mut b);
        assert_eq!(a[..2].iter().sum::<u32>(), b[..2].iter().sum::<u32>());
        assert_ne!(a[2], b[2]);
    }

    #[test]
    fn invalid_settings_are_refused() {
        let bad = [
            FeatureConfig {
                word_ngrams: 0,
                ..FeatureConfig::default()
            },
            FeatureConfig {
                char_ngrams: Some((4, 2)),
                ..FeatureConfig::default()
            },
            FeatureConfig {
                word_ngrams: 2,
                buckets: 0,
                ..FeatureConfig::default()
            },
        ];
        for config in bad {
            assert!(config.validate().is_err(), "{config:?}");
        }
    }
}
