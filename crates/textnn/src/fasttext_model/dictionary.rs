//! fastText's dictionary and its text → input-row ids (`Dictionary::getLine`).
//!
//! A line is split at fastText's separators (space, `\n`, `\r`, `\t`,
//! `\v`, `\f`, NUL; no normalisation, no lowercasing), and ends with the
//! end-of-line token `</s>`. Each word-type token contributes, in order:
//! its vocabulary row (if known) and the hashed character n-grams of
//! `<token>` (lengths `minn..=maxn`, whole UTF-8 characters, single
//! characters at the boundaries skipped; none for `</s>`); then come the
//! hashed word n-grams of the line (orders `2..=wordNgrams`). Tokens that are
//! labels (`__label__…`) are dropped.
//!
//! Hashes, as fastText computes them (and model files depend on):
//!
//! ```text
//! token, n-gram:  h = 2166136261; for each byte b: h = (h ^ (u32)(i8)b) * 16777619   (32-bit FNV-1a on signed chars)
//! word n-gram:    h = (u64)(i64)(i32)h_1;  h = h * 116049371 + (u64)(i64)(i32)h_j    (64-bit wrapping)
//! row:            nwords + (h mod bucket)   (through the pruning map after `quantize -cutoff`)
//! ```
//!
//! ```
//! use textnn::fasttext_model::dictionary::hash;
//! // FNV-1a of the empty string is its offset basis.
//! assert_eq!(hash(b""), 2166136261);
//! // Bytes above 0x7f are sign-extended before the xor, as C++'s `char` is.
//! assert_ne!(hash("é".as_bytes()), textnn::features::fnv1a("é".as_bytes()) as u32);
//! ```

use super::reader::ByteReader;
use crate::Result;
use rustc_hash::FxHashMap;
use std::io::BufRead;

/// fastText's end-of-line token, a word of every supervised vocabulary.
pub const EOS: &[u8] = b"</s>";
/// The label prefix fastText's prediction recognises (`-label` is not
/// stored in the model, so fastText itself uses its default).
pub const LABEL_PREFIX: &[u8] = b"__label__";
/// The bytes fastText's `readWord` splits at.
const SEPARATORS: &[u8] = b" \n\r\t\x0b\x0c\0";

/// fastText's 32-bit FNV-1a over signed bytes (`Dictionary::hash`).
pub fn hash(bytes: &[u8]) -> u32 {
    let mut h: u32 = 2_166_136_261;
    for &b in bytes {
        // `char` is signed on x86: a byte above 0x7f is sign-extended.
        h ^= b as i8 as i32 as u32;
        h = h.wrapping_mul(16_777_619);
    }
    h
}

/// The tokens of `text` as fastText's `readWord` splits them (without the
/// end-of-line token).
pub fn tokens(text: &str) -> impl Iterator<Item = &[u8]> {
    text.as_bytes()
        .split(|b| SEPARATORS.contains(b))
        .filter(|t| !t.is_empty())
}

/// One entry of the dictionary.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The word or label, as bytes (fastText does not require UTF-8).
    pub text: Vec<u8>,
    /// Its count in the training data.
    pub count: i64,
}

/// The vocabulary, labels and pruning map of a fastText model.
#[derive(Clone, Debug)]
pub struct FastTextDictionary {
    words: Vec<Entry>,
    labels: Vec<Entry>,
    ids: FxHashMap<Vec<u8>, Id>,
    /// Tokens seen in training (stored, not used at prediction).
    pub n_tokens: i64,
    /// `None` when not pruned; else bucket → kept n-gram row (after the words).
    prune: Option<FxHashMap<i32, i32>>,
    bucket: usize,
    minn: usize,
    maxn: usize,
    word_ngrams: usize,
}

/// What a known string is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Id {
    Word(u32),
    Label,
}

/// Buffers for [`FastTextDictionary::line_ids`].
#[derive(Clone, Debug, Default)]
pub struct LineBuffers {
    word_hashes: Vec<i32>,
    subword: Vec<u8>,
}

impl FastTextDictionary {
    /// Reads the dictionary block (`Dictionary::save`) for a model whose
    /// settings are `args`.
    pub fn read<R: BufRead>(
        reader: &mut ByteReader<R>,
        args: &super::FastTextArgs,
    ) -> Result<Self> {
        let size = reader.i32_in("dictionary size", 0, i32::MAX)?;
        let n_words = reader.i32_in("word count", 0, size)?;
        let n_labels = reader.i32("label count")?;
        if n_labels < 1 || n_words.checked_add(n_labels) != Some(size) {
            return Err(reader.error(format!(
                "{n_words} words and {n_labels} labels do not make the dictionary's {size} entries (a classifier needs at least one label)"
            )));
        }
        let n_tokens = reader.i64_in("token count", 0, i64::MAX)?;
        let prune_size = reader.i64_in("pruned n-gram count", -1, i32::MAX as i64)?;
        // Each entry takes at least its NUL, an 8-byte count and a type byte.
        reader.ensure(size as u64 * 10, "the dictionary's entries")?;
        let mut words = Vec::with_capacity(n_words as usize);
        let mut labels = Vec::with_capacity(n_labels as usize);
        let mut ids = FxHashMap::default();
        for i in 0..size {
            let text = reader.c_string("a dictionary entry")?;
            let count = reader.i64_in("an entry's count", 0, i64::MAX)?;
            let is_label = reader.bool("an entry's type")?;
            if is_label != (i >= n_words) {
                return Err(reader.error(format!(
                    "entry {i} is a {} but the first {n_words} entries are words and the rest labels",
                    if is_label { "label" } else { "word" }
                )));
            }
            let id = if is_label {
                Id::Label
            } else {
                Id::Word(i as u32)
            };
            if ids.insert(text.clone(), id).is_some() {
                return Err(reader.error(format!(
                    "entry {:?} appears twice in the dictionary",
                    String::from_utf8_lossy(&text)
                )));
            }
            let entry = Entry { text, count };
            if is_label {
                labels.push(entry);
            } else {
                words.push(entry);
            }
        }
        let prune = if prune_size >= 0 {
            reader.ensure(prune_size as u64 * 8, "the pruning map")?;
            let mut map = FxHashMap::default();
            for _ in 0..prune_size {
                let from = reader.i32_in("a pruned bucket", 0, args.bucket.max(1) as i32 - 1)?;
                let to = reader.i32_in("a pruned bucket's row", 0, prune_size as i32 - 1)?;
                if map.insert(from, to).is_some() {
                    return Err(reader.error(format!("bucket {from} is mapped twice")));
                }
            }
            Some(map)
        } else {
            None
        };
        Ok(FastTextDictionary {
            words,
            labels,
            ids,
            n_tokens,
            prune,
            bucket: args.bucket,
            minn: args.minn,
            maxn: args.maxn,
            word_ngrams: args.word_ngrams,
        })
    }

    /// The words, by row.
    pub fn words(&self) -> &[Entry] {
        &self.words
    }

    /// The labels, by label id.
    pub fn labels(&self) -> &[Entry] {
        &self.labels
    }

    /// Whether `token` is a word of the vocabulary.
    pub fn is_word(&self, token: &[u8]) -> bool {
        matches!(self.ids.get(token), Some(Id::Word(_)))
    }

    /// Whether `token` is a label (known, or carrying the label prefix):
    /// fastText drops it from the text.
    pub fn is_label(&self, token: &[u8]) -> bool {
        match self.ids.get(token) {
            Some(Id::Label) => true,
            Some(Id::Word(_)) => false,
            None => token.starts_with(LABEL_PREFIX),
        }
    }

    /// Whether `quantize -cutoff` pruned the n-gram rows.
    pub fn is_pruned(&self) -> bool {
        self.prune.is_some()
    }

    /// Rows of the input matrix the dictionary addresses: the words, then
    /// the buckets (or the n-gram rows kept by pruning).
    pub fn input_rows(&self) -> usize {
        self.words.len()
            + match &self.prune {
                Some(map) => map.len(),
                None => self.bucket,
            }
    }

    /// Clears `ids` and pushes the input rows of one line of `text`, in
    /// fastText's order (see the module documentation). Returns nothing
    /// else: labels in the text are dropped, as fastText drops them.
    pub fn line_ids(&self, text: &str, ids: &mut Vec<u32>, buffers: &mut LineBuffers) {
        ids.clear();
        self.push_token_ids(tokens(text).chain(std::iter::once(EOS)), ids, buffers);
    }

    /// Pushes onto `ids` the input rows of `tokens` read as one line
    /// (fastText's `getLine` on them: no end-of-line token is added, the
    /// word n-grams do not reach across calls).
    pub fn push_token_ids<'t>(
        &self,
        tokens: impl Iterator<Item = &'t [u8]>,
        ids: &mut Vec<u32>,
        buffers: &mut LineBuffers,
    ) {
        buffers.word_hashes.clear();
        for token in tokens {
            let id = self.ids.get(token).copied();
            if !self.is_label(token) {
                let word = match id {
                    Some(Id::Word(w)) => Some(w),
                    _ => None,
                };
                self.push_subwords(token, word, ids, &mut buffers.subword);
                // fastText keeps the hashes as int32_t.
                buffers.word_hashes.push(hash(token) as i32);
            }
            // fastText's getLine stops at the end-of-line token, even one
            // written in the text itself.
            if token == EOS {
                break;
            }
        }
        self.push_word_ngrams(&buffers.word_hashes, ids);
    }

    /// A token's rows: its own (when known) and its character n-grams
    /// (`Dictionary::addSubwords`).
    fn push_subwords(
        &self,
        token: &[u8],
        word: Option<u32>,
        ids: &mut Vec<u32>,
        buf: &mut Vec<u8>,
    ) {
        if let Some(w) = word {
            ids.push(w);
        }
        if self.maxn == 0 || token == EOS {
            return;
        }
        buf.clear();
        buf.push(b'<');
        buf.extend_from_slice(token);
        buf.push(b'>');
        self.push_char_ngrams(buf, ids);
    }

    /// `Dictionary::computeSubwords`: n-grams of whole UTF-8 characters
    /// (a continuation byte `10xxxxxx` never starts one), lengths
    /// `minn..=maxn` in characters, leaving out the lone `<` and `>`.
    fn push_char_ngrams(&self, word: &[u8], ids: &mut Vec<u32>) {
        let is_continuation = |b: u8| b & 0xC0 == 0x80;
        for i in 0..word.len() {
            if is_continuation(word[i]) {
                continue;
            }
            let mut j = i;
            let mut n = 1;
            while j < word.len() && n <= self.maxn {
                j += 1;
                while j < word.len() && is_continuation(word[j]) {
                    j += 1;
                }
                if n >= self.minn && !(n == 1 && (i == 0 || j == word.len())) {
                    let h = hash(&word[i..j]) % self.bucket as u32;
                    self.push_hash(h as i32, ids);
                }
                n += 1;
            }
        }
    }

    /// `Dictionary::addWordNgrams`, with fastText's sign extension of the
    /// 32-bit token hashes into 64 bits.
    fn push_word_ngrams(&self, hashes: &[i32], ids: &mut Vec<u32>) {
        if self.word_ngrams < 2 {
            return;
        }
        for i in 0..hashes.len() {
            let mut h = hashes[i] as i64 as u64;
            for &next in hashes
                .iter()
                .take(i.saturating_add(self.word_ngrams))
                .skip(i + 1)
            {
                h = h.wrapping_mul(116_049_371).wrapping_add(next as i64 as u64);
                self.push_hash((h % self.bucket as u64) as i32, ids);
            }
        }
    }

    /// `Dictionary::pushHash`: bucket `h` → its row after the words.
    fn push_hash(&self, h: i32, ids: &mut Vec<u32>) {
        let row = match &self.prune {
            None => h,
            Some(map) => match map.get(&h) {
                Some(&row) => row,
                None => return,
            },
        };
        ids.push(self.words.len() as u32 + row as u32);
    }

    /// The string fastText's `Dictionary::save` writes for this
    /// dictionary, to store it inside a textnn container.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let size = (self.words.len() + self.labels.len()) as i32;
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(self.words.len() as i32).to_le_bytes());
        out.extend_from_slice(&(self.labels.len() as i32).to_le_bytes());
        out.extend_from_slice(&self.n_tokens.to_le_bytes());
        let prune_size = self.prune.as_ref().map_or(-1, |m| m.len() as i64);
        out.extend_from_slice(&prune_size.to_le_bytes());
        for (entry, kind) in self
            .words
            .iter()
            .map(|e| (e, 0u8))
            .chain(self.labels.iter().map(|e| (e, 1u8)))
        {
            out.extend_from_slice(&entry.text);
            out.push(0);
            out.extend_from_slice(&entry.count.to_le_bytes());
            out.push(kind);
        }
        if let Some(map) = &self.prune {
            // Sorted, so the bytes do not depend on hash-map order.
            let mut pairs: Vec<(i32, i32)> = map.iter().map(|(&a, &b)| (a, b)).collect();
            pairs.sort_unstable();
            for (from, to) in pairs {
                out.extend_from_slice(&from.to_le_bytes());
                out.extend_from_slice(&to.to_le_bytes());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_fasttext_on_ascii_and_signed_bytes() {
        // An ASCII byte is xor-ed as it is: one FNV-1a step.
        assert_eq!(
            hash(b"a"),
            (2_166_136_261u32 ^ 0x61).wrapping_mul(16_777_619)
        );
        // A byte above 0x7f xors 0xffffff80 | b, not b.
        let plain = (2_166_136_261u32 ^ 0xE9).wrapping_mul(16_777_619);
        let signed = (2_166_136_261u32 ^ 0xFFFF_FFE9).wrapping_mul(16_777_619);
        assert_eq!(hash(&[0xE9]), signed);
        assert_ne!(hash(&[0xE9]), plain);
    }
}
