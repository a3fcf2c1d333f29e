//! The settings block at the start of a fastText model (`Args::save`).
//!
//! ```text
//! i32 dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate
//! f64 t
//! ```
//!
//! Prediction uses `dim`, `wordNgrams`, `loss`, `bucket`, `minn` and
//! `maxn`; the others are training settings, kept for `info` and range-checked
//! like the rest.

use super::reader::ByteReader;
use crate::Result;
use serde::Serialize;
use std::io::BufRead;

/// fastText's loss, which decides how the output layer turns into
/// probabilities.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FastTextLoss {
    /// Hierarchical softmax over a Huffman tree of the labels.
    Hs,
    /// Negative sampling: one sigmoid per label at prediction.
    Ns,
    /// Softmax over the labels.
    Softmax,
    /// One-vs-all: one sigmoid per label.
    Ova,
}

impl FastTextLoss {
    /// fastText's number for the loss (`enum class loss_name`).
    fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(FastTextLoss::Hs),
            2 => Some(FastTextLoss::Ns),
            3 => Some(FastTextLoss::Softmax),
            4 => Some(FastTextLoss::Ova),
            _ => None,
        }
    }

    /// fastText's name for the loss (`-loss NAME`).
    pub fn name(self) -> &'static str {
        match self {
            FastTextLoss::Hs => "hs",
            FastTextLoss::Ns => "ns",
            FastTextLoss::Softmax => "softmax",
            FastTextLoss::Ova => "ova",
        }
    }
}

/// The settings a fastText model was trained with, as stored in the file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FastTextArgs {
    /// Width of the word vectors.
    pub dim: usize,
    /// Context window (unsupervised models only).
    pub ws: i32,
    /// Training epochs.
    pub epoch: i32,
    /// Minimum count of a word to be in the vocabulary.
    pub min_count: i32,
    /// Negatives sampled per example (`ns` loss).
    pub neg: i32,
    /// Longest word n-gram (1 = words only).
    pub word_ngrams: usize,
    /// The loss.
    pub loss: FastTextLoss,
    /// Hashed rows shared by word and character n-grams.
    pub bucket: usize,
    /// Shortest character n-gram (with `maxn > 0`).
    pub minn: usize,
    /// Longest character n-gram; 0 turns them off.
    pub maxn: usize,
    /// Learning-rate update rate (training only).
    pub lr_update_rate: i32,
    /// Sampling threshold (training only).
    pub t: f64,
}

/// Largest `dim`, word n-gram order or character n-gram length accepted:
/// far beyond any real model, small enough that no loop or product over
/// them can overflow.
const MAX_SETTING: i32 = 1 << 20;

impl FastTextArgs {
    /// Reads and range-checks the settings block.
    pub fn read<R: BufRead>(reader: &mut ByteReader<R>) -> Result<Self> {
        let dim = reader.i32_in("dim", 1, MAX_SETTING)? as usize;
        let ws = reader.i32_in("ws", 0, i32::MAX)?;
        let epoch = reader.i32_in("epoch", 0, i32::MAX)?;
        let min_count = reader.i32_in("minCount", 0, i32::MAX)?;
        let neg = reader.i32_in("neg", 0, i32::MAX)?;
        let word_ngrams = reader.i32_in("wordNgrams", 1, MAX_SETTING)? as usize;
        let code = reader.i32("loss")?;
        let loss = FastTextLoss::from_code(code).ok_or_else(|| {
            reader.error(format!(
                "unknown loss {code} (fastText's are 1 hs, 2 ns, 3 softmax, 4 ova)"
            ))
        })?;
        let model = reader.i32("model")?;
        match model {
            3 => {}
            1 | 2 => {
                return Err(reader.error(format!(
                    "an unsupervised {} model (word vectors): textnn reads supervised fastText classifiers only",
                    if model == 1 { "cbow" } else { "skipgram" }
                )))
            }
            other => {
                return Err(reader.error(format!(
                    "unknown model kind {other} (fastText's are 1 cbow, 2 skipgram, 3 supervised)"
                )))
            }
        }
        let bucket = reader.i32_in("bucket", 0, i32::MAX)? as usize;
        let minn = reader.i32_in("minn", 0, MAX_SETTING)? as usize;
        let maxn = reader.i32_in("maxn", 0, MAX_SETTING)? as usize;
        let lr_update_rate = reader.i32_in("lrUpdateRate", 0, i32::MAX)?;
        let t = reader.f64("t")?;
        if !(t.is_finite() && t >= 0.0) {
            return Err(reader.error(format!(
                "t (sampling threshold) must be finite and not negative, got {t}"
            )));
        }
        if maxn > 0 && minn > maxn {
            return Err(reader.error(format!("minn {minn} is above maxn {maxn}")));
        }
        let args = FastTextArgs {
            dim,
            ws,
            epoch,
            min_count,
            neg,
            word_ngrams,
            loss,
            bucket,
            minn,
            maxn,
            lr_update_rate,
            t,
        };
        if args.hashes() && bucket == 0 {
            return Err(reader.error(
                "bucket is 0 but the model uses word or character n-grams, which hash into buckets",
            ));
        }
        Ok(args)
    }

    /// The settings block as fastText writes it (`Args::save`), for a
    /// supervised model.
    pub fn to_bytes(&self) -> Vec<u8> {
        let loss = match self.loss {
            FastTextLoss::Hs => 1,
            FastTextLoss::Ns => 2,
            FastTextLoss::Softmax => 3,
            FastTextLoss::Ova => 4,
        };
        let ints = [
            self.dim as i32,
            self.ws,
            self.epoch,
            self.min_count,
            self.neg,
            self.word_ngrams as i32,
            loss,
            3, // supervised
            self.bucket as i32,
            self.minn as i32,
            self.maxn as i32,
            self.lr_update_rate,
        ];
        let mut out: Vec<u8> = ints.iter().flat_map(|v| v.to_le_bytes()).collect();
        out.extend_from_slice(&self.t.to_le_bytes());
        out
    }

    /// Whether the model hashes word or character n-grams into buckets.
    pub fn hashes(&self) -> bool {
        self.word_ngrams > 1 || self.maxn > 0
    }
}
