//! A trained classifier: text in, ranked labels with probabilities out.
//!
//! It owns everything prediction needs — the text pipeline, vocabulary,
//! labels, featurizer and network — and never changes after training, so
//! one `Classifier` can serve many threads at once (`Send + Sync`).
//!
//! ```
//! use textnn::data::Example;
//! use textnn::model::Classifier;
//! use textnn::train::{train, TrainConfig};
//! let ex = |text: &str, label: &str| Example { text: text.into(), labels: vec![label.into()], line: 1 };
//! let examples = vec![ex("good morning", "greet"), ex("bye now", "bye")];
//! let config = TrainConfig { epochs: 30, ..TrainConfig::fasttext() };
//! let model = train(&config, &examples, &mut |_| {}).unwrap();
//! let bytes = model.to_bytes();
//! let loaded = Classifier::from_bytes("memory", &bytes).unwrap();
//! assert_eq!(loaded.predict("bye", 2, 0.0), model.predict("bye", 2, 0.0));
//! ```

use crate::config::TrainConfig;
use crate::features::Featurizer;
use crate::format::{self, SectionData};
use crate::linalg::Matrix;
use crate::nn::{Dense, Network, NetworkConfig, Workspace};
use crate::text::{TextPipeline, Tokens};
use crate::vocab::Dictionary;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A trained text classifier.
#[derive(Clone, Debug)]
pub struct Classifier {
    pipeline: TextPipeline,
    vocab: Dictionary,
    labels: Dictionary,
    featurizer: Featurizer,
    network: Network,
    settings: TrainConfig,
    /// Each label's share of the training labels: the probabilities of a
    /// text with no known feature when the network has no bias of its own
    /// (see [`Classifier::probabilities_with`]).
    prior: Vec<f32>,
}

/// Buffers reused across predictions, so a loop of predictions allocates
/// nothing per text beyond the returned ranking.
#[derive(Clone, Debug)]
pub struct Scratch {
    tokens: Tokens,
    ids: Vec<u32>,
    workspace: Workspace,
    /// Where the prior is copied for a text with no known feature.
    prior: Vec<f32>,
}

/// The model file's metadata section.
#[derive(Serialize, Deserialize)]
struct Meta {
    textnn_version: String,
    settings: TrainConfig,
    network: NetworkConfig,
    vocabulary: Vec<(String, u64)>,
    labels: Vec<(String, u64)>,
}

impl Classifier {
    /// Assembles a classifier from its trained parts.
    pub fn new(
        pipeline: TextPipeline,
        vocab: Dictionary,
        labels: Dictionary,
        featurizer: Featurizer,
        network: Network,
        settings: TrainConfig,
    ) -> Self {
        let prior = label_prior(&labels);
        Classifier {
            pipeline,
            vocab,
            labels,
            featurizer,
            network,
            settings,
            prior,
        }
    }

    /// Fresh buffers for [`Classifier::predict_with`].
    pub fn scratch(&self) -> Scratch {
        Scratch {
            tokens: Tokens::default(),
            ids: Vec::new(),
            workspace: Workspace::new(&self.network),
            prior: Vec::new(),
        }
    }

    /// The `k` most probable labels of `text` (all if `k` is 0) whose
    /// probability is at least `threshold`, most probable first (ties by
    /// label id), as `(label id, probability)`.
    pub fn predict(&self, text: &str, k: usize, threshold: f32) -> Vec<(usize, f32)> {
        self.predict_with(text, k, threshold, &mut self.scratch())
    }

    /// [`Classifier::predict`] with caller-owned buffers.
    pub fn predict_with(
        &self,
        text: &str,
        k: usize,
        threshold: f32,
        scratch: &mut Scratch,
    ) -> Vec<(usize, f32)> {
        let probs = self.probabilities_with(text, scratch);
        let mut ranked = Vec::with_capacity(k.min(probs.len()));
        top_k(probs, k, threshold, &mut ranked);
        ranked
    }

    /// Probability of every label (by label id) for `text`.
    ///
    /// A text with no known feature (empty, or every word unseen in
    /// training and no trained n-gram) carries no evidence: a network
    /// without a bias would score every label alike and the ranking would
    /// fall to label 0. Such a text gets the training prior instead, each
    /// label's share of the training labels, so the most frequent label
    /// comes first ([`Classifier::uses_prior`] tells when).
    pub fn probabilities_with<'s>(&self, text: &str, scratch: &'s mut Scratch) -> &'s [f32] {
        self.forward(text, scratch);
        if self.uses_prior(&scratch.ids) {
            scratch.prior.clone_from(&self.prior);
            return &scratch.prior;
        }
        scratch.workspace.probabilities()
    }

    /// The probabilities [`Classifier::probabilities_with`] gives a text
    /// with feature ids `ids` (the training prior when it has no known
    /// feature), computed in `workspace`: for callers that build feature
    /// ids themselves, such as [`crate::explain`].
    pub fn probabilities_of<'a>(&'a self, ids: &[u32], workspace: &'a mut Workspace) -> &'a [f32] {
        if self.uses_prior(ids) {
            return &self.prior;
        }
        self.network.forward_eval(ids, workspace);
        workspace.probabilities()
    }

    /// Whether a text with feature ids `ids` is scored by the training
    /// prior: it has no known feature and the network has no bias (a
    /// network with biases learns its own answer for an empty bag).
    pub fn uses_prior(&self, ids: &[u32]) -> bool {
        !self.settings.network.bias && !self.network.knows_any(ids)
    }

    /// Each label's share of the training labels, by label id.
    pub fn prior(&self) -> &[f32] {
        &self.prior
    }

    /// The loss of `text` against gold label ids `gold`.
    pub fn loss_with(&self, text: &str, gold: &[usize], scratch: &mut Scratch) -> f64 {
        self.forward(text, scratch);
        self.network.loss(&scratch.workspace, gold)
    }

    fn forward(&self, text: &str, scratch: &mut Scratch) {
        match self.pipeline.borrowed_tokens(text) {
            // fastText's tokens: slices of the text, nothing copied.
            Some(pieces) => {
                let pieces: Vec<&str> = pieces.collect();
                self.featurizer
                    .extract(&self.vocab, &pieces, &mut scratch.ids);
            }
            None => {
                self.pipeline.tokenize_reusing(text, &mut scratch.tokens);
                self.featurizer
                    .extract(&self.vocab, scratch.tokens.as_slice(), &mut scratch.ids);
            }
        }
        self.network
            .forward_eval(&scratch.ids, &mut scratch.workspace);
    }

    /// Feature ids of `text` (words, then n-grams).
    pub fn feature_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        self.featurizer
            .extract(&self.vocab, &self.pipeline.tokenize(text), &mut ids);
        ids
    }

    /// Name of label `id`.
    pub fn label_name(&self, id: usize) -> &str {
        self.labels.name(id)
    }

    /// The labels, by id, with their training counts.
    pub fn labels(&self) -> &Dictionary {
        &self.labels
    }

    /// The vocabulary, by id, with training counts.
    pub fn vocabulary(&self) -> &Dictionary {
        &self.vocab
    }

    /// The text pipeline.
    pub fn pipeline(&self) -> &TextPipeline {
        &self.pipeline
    }

    /// The network.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The settings the model was trained with.
    pub fn settings(&self) -> &TrainConfig {
        &self.settings
    }

    /// The model file's metadata section (JSON).
    fn meta_bytes(&self) -> Vec<u8> {
        let entries = |d: &Dictionary| {
            d.names()
                .iter()
                .cloned()
                .zip(d.counts().iter().copied())
                .collect::<Vec<_>>()
        };
        let meta = Meta {
            textnn_version: env!("CARGO_PKG_VERSION").to_string(),
            settings: self.settings.clone(),
            network: self.network.config().clone(),
            vocabulary: entries(&self.vocab),
            labels: entries(&self.labels),
        };
        // Serialising plain structs of strings and numbers cannot fail.
        serde_json::to_vec(&meta).expect("model metadata serialises")
    }

    /// The embedding rows the file stores when storing only the non-zero
    /// rows (`EMRI` + `EMRV`) is smaller than the whole matrix (`EMBD`):
    /// their indices, and the same as little-endian bytes; `None` for a
    /// dense matrix.
    fn sparse_rows(&self) -> Option<(Vec<u32>, Vec<u8>)> {
        let (embedding, dim) = (&self.network.embedding, self.network.config().dim);
        let rows: Vec<u32> = (0..embedding.rows())
            .filter(|&r| embedding.row(r).iter().any(|&v| v != 0.0))
            .map(|r| r as u32)
            .collect();
        let zero_rows = embedding.rows() - rows.len();
        // Each stored row costs a 4-byte index; each row left out saves dim × 4.
        (zero_rows * dim > rows.len()).then(|| {
            let bytes = rows.iter().flat_map(|r| r.to_le_bytes()).collect();
            (rows, bytes)
        })
    }

    /// The sections of the model file, borrowing the weights.
    fn sections<'a>(
        &'a self,
        meta: &'a [u8],
        sparse: Option<&'a (Vec<u32>, Vec<u8>)>,
    ) -> Vec<([u8; 4], SectionData<'a>)> {
        let embedding = self.network.embedding.as_slice();
        let mut sections = vec![(*b"META", SectionData::Bytes(meta))];
        match sparse {
            Some((rows, indices)) => {
                sections.push((*b"EMRI", SectionData::Bytes(indices)));
                sections.push((
                    *b"EMRV",
                    SectionData::Rows {
                        values: embedding,
                        width: self.network.config().dim,
                        rows,
                    },
                ));
            }
            None => sections.push((*b"EMBD", SectionData::Floats(embedding))),
        }
        if self.network.config().idf {
            sections.push((
                *b"IDFW",
                SectionData::Floats(self.network.feature_weights()),
            ));
        }
        for layer in &self.network.layers {
            sections.push((*b"DENW", SectionData::Floats(layer.weights.as_slice())));
            sections.push((*b"DENB", SectionData::Floats(&layer.bias)));
        }
        sections
    }

    /// The complete model file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let meta = self.meta_bytes();
        let sparse = self.sparse_rows();
        let mut bytes = Vec::new();
        format::write_sections(&mut bytes, &self.sections(&meta, sparse.as_ref()))
            .expect("writing to memory cannot fail");
        bytes
    }

    /// Writes the model to `path` atomically, streaming the weights to the
    /// file (no copy of them is made in memory).
    pub fn save(&self, path: &Path) -> Result<()> {
        let meta = self.meta_bytes();
        let sparse = self.sparse_rows();
        let sections = self.sections(&meta, sparse.as_ref());
        format::write_atomically_by(path, |file| {
            format::write_sections(
                &mut std::io::BufWriter::with_capacity(1 << 16, file),
                &sections,
            )
        })
    }

    /// Loads and fully verifies a model file. The weights are decoded as
    /// they are read, so loading needs about the model's size in memory,
    /// not the file plus its decoding.
    pub fn load(path: &Path) -> Result<Self> {
        let file_len = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
        let sections =
            format::read_file_sections(path, &[*b"EMBD", *b"EMRV", *b"IDFW", *b"DENW", *b"DENB"])?
                .into_iter()
                .map(|s| Stored {
                    tag: s.tag,
                    data: match s.body {
                        format::SectionBody::Bytes(b) => StoredData::Owned(b),
                        format::SectionBody::Floats(f) => StoredData::Floats(f),
                    },
                })
                .collect();
        Self::from_sections(&path.display().to_string(), sections, file_len)
    }

    /// Verifies and decodes a model file's bytes; `source` names it in errors.
    ///
    /// Every size the metadata claims is checked against the bytes that
    /// are really there before anything is allocated for it, so a damaged
    /// or hostile header cannot make loading allocate more than the file
    /// itself justifies.
    pub fn from_bytes(source: &str, bytes: &[u8]) -> Result<Self> {
        let sections = format::decode(source, bytes)?
            .into_iter()
            .map(|s| Stored {
                tag: s.tag,
                data: StoredData::Borrowed(s.bytes),
            })
            .collect();
        Self::from_sections(source, sections, bytes.len())
    }

    /// Builds the classifier from a verified file's sections; `file_len`
    /// bounds every size the metadata may claim.
    fn from_sections(source: &str, sections: Vec<Stored>, file_len: usize) -> Result<Self> {
        let bad = |m: String| Error::BadModel {
            path: source.to_string(),
            message: m,
        };
        let mut sections = sections.into_iter();
        let meta_section = sections
            .next()
            .filter(|first| &first.tag == b"META")
            .ok_or_else(|| bad("the first section is not META".into()))?;
        let meta: Meta = match &meta_section.data {
            StoredData::Borrowed(b) => serde_json::from_slice(b),
            StoredData::Owned(b) => serde_json::from_slice(b),
            StoredData::Floats(_) => return Err(bad("the META section is not JSON".into())),
        }
        .map_err(|e| bad(format!("metadata is not valid: {e}")))?;
        let tensors: Vec<Stored> = sections.collect();
        let config = meta.network;
        // No width can exceed the file's length: every row and column of
        // every matrix takes at least one stored byte. Checking this first
        // keeps the size arithmetic below (and in `validate`) far from
        // overflow, whatever the metadata says.
        let widths = [("input rows", config.input_rows), ("dim", config.dim)]
            .into_iter()
            .chain(config.hidden.iter().map(|&w| ("hidden layer width", w)))
            .chain(std::iter::once(("label count", config.n_labels)));
        for (what, value) in widths {
            if value > file_len {
                return Err(bad(format!(
                    "the metadata claims {what} {value}, more than a file of {file_len} bytes can hold"
                )));
            }
        }
        config
            .validate()
            .map_err(|e| bad(format!("network settings: {e}")))?;
        meta.settings
            .features
            .validate()
            .map_err(|e| bad(format!("feature settings: {e}")))?;
        let vocab = Dictionary::from_entries(meta.vocabulary)
            .map_err(|w| bad(format!("word {w:?} appears twice in the vocabulary")))?;
        let labels = Dictionary::from_entries(meta.labels)
            .map_err(|l| bad(format!("label {l:?} appears twice")))?;
        if labels.len() != config.n_labels {
            return Err(bad(format!(
                "{} labels stored but the output layer has {}",
                labels.len(),
                config.n_labels
            )));
        }
        let features = &meta.settings.features;
        let buckets = if features.uses_buckets() {
            features.buckets
        } else {
            0
        };
        // Checked here because `Featurizer::input_rows` adds without a check.
        let input_rows = vocab.len().checked_add(buckets);
        if input_rows != Some(config.input_rows) {
            return Err(bad(format!(
                "the vocabulary ({} words) and {buckets} buckets do not give the embedding's {} input rows",
                vocab.len(),
                config.input_rows
            )));
        }
        let featurizer = Featurizer::new(features.clone(), vocab.len());
        // After META: EMBD (or EMRI + EMRV), IDFW (with idf), then DENW and
        // DENB per layer.
        let sparse = tensors.first().is_some_and(|s| &s.tag == b"EMRI");
        let expected_tensors =
            1 + usize::from(sparse) + usize::from(config.idf) + 2 * config.n_dense_layers();
        if tensors.len() != expected_tensors {
            return Err(bad(format!(
                "{} sections after META, the network needs {expected_tensors}",
                tensors.len()
            )));
        }
        let mut iter = tensors.into_iter();
        let rows = if sparse {
            let indices = iter.next().expect("EMRI is there");
            let rows = match &indices.data {
                StoredData::Borrowed(b) => stored_rows(b, config.input_rows),
                StoredData::Owned(b) => stored_rows(b, config.input_rows),
                StoredData::Floats(_) => Err("is not row indices".to_string()),
            }
            .map_err(|m| bad(format!("section EMRI {m}")))?;
            Some(rows)
        } else {
            None
        };
        let mut tensor = |tag: &[u8; 4], rows: usize, cols: usize| -> Result<Matrix<f32>> {
            let name = String::from_utf8_lossy(tag);
            let section = iter
                .next()
                .filter(|s| &s.tag == tag)
                .ok_or_else(|| bad(format!("missing section {name}")))?;
            // The length must match the shape before a single value is
            // read, so the allocation below is exactly the section's size.
            let expected_len = rows.checked_mul(cols).and_then(|n| n.checked_mul(4));
            if expected_len != Some(section.data.byte_len()) {
                return Err(bad(format!(
                    "section {name} holds {} bytes, the metadata's {rows}×{cols} f32 matrix needs {}",
                    section.data.byte_len(),
                    expected_len.map_or_else(|| "more than any file holds".to_string(), |n| n.to_string())
                )));
            }
            let values = match section.data {
                StoredData::Floats(values) => Some(values),
                StoredData::Borrowed(b) => format::bytes_to_f32s(b),
                StoredData::Owned(b) => format::bytes_to_f32s(&b),
            }
            .ok_or_else(|| bad(format!("section {name} is not whole f32s")))?;
            if let Some(at) = values.iter().position(|v| !v.is_finite()) {
                return Err(bad(format!(
                    "section {name} holds a NaN or infinite weight ({} at index {at})",
                    values[at]
                )));
            }
            Matrix::from_vec(rows, cols, values)
                .ok_or_else(|| bad(format!("section {name} does not fit {rows}×{cols}")))
        };
        let embedding = if let Some(rows) = rows {
            let values = tensor(b"EMRV", rows.len(), config.dim)?.into_vec();
            scatter_rows(&rows, values, config.input_rows, config.dim)
        } else {
            tensor(b"EMBD", config.input_rows, config.dim)?
        };
        let feature_weights = if config.idf {
            tensor(b"IDFW", 1, config.input_rows)?.as_slice().to_vec()
        } else {
            Vec::new()
        };
        let mut layers = Vec::new();
        let mut fan_in = config.dim;
        // The output layer has one row per label (per tree node with --loss hs).
        for width in config
            .hidden
            .iter()
            .copied()
            .chain(std::iter::once(config.output_width()))
        {
            let weights = tensor(b"DENW", width, fan_in)?;
            let bias_len = if config.bias { width } else { 0 };
            let bias = tensor(b"DENB", 1, bias_len)?.as_slice().to_vec();
            layers.push(Dense { weights, bias });
            fan_in = width;
        }
        let network = Network::from_parts(config, embedding, layers, feature_weights)
            .map_err(|e| bad(e.to_string()))?;
        let prior = label_prior(&labels);
        Ok(Classifier {
            pipeline: TextPipeline::new(meta.settings.text.clone()),
            vocab,
            labels,
            featurizer,
            network,
            settings: meta.settings,
            prior,
        })
    }
}

/// Each label's count over the sum of the counts (uniform when no label
/// has a count, as in hand-assembled models).
fn label_prior(labels: &Dictionary) -> Vec<f32> {
    let counts = labels.counts();
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return vec![1.0 / counts.len().max(1) as f32; counts.len()];
    }
    counts
        .iter()
        .map(|&c| (c as f64 / total as f64) as f32)
        .collect()
}

/// The `rows × dim` embedding whose rows `rows` are the consecutive rows
/// of `values` and whose other rows are zero. The stored rows are moved
/// from the last, `values` shrinking as they go, so the peak memory stays
/// near the matrix's size instead of the matrix plus the stored rows.
fn scatter_rows(rows: &[u32], mut values: Vec<f32>, input_rows: usize, dim: usize) -> Matrix<f32> {
    // Rows left out are zero: `zeros` asks the system for zeroed pages.
    let mut embedding = Matrix::zeros(input_rows, dim);
    crate::memory::advise_huge_pages(embedding.as_slice());
    const ROWS_PER_STEP: usize = 1 << 14;
    let mut end = rows.len();
    while end > 0 {
        let start = end.saturating_sub(ROWS_PER_STEP);
        for (k, &row) in rows.iter().enumerate().take(end).skip(start) {
            embedding
                .row_mut(row as usize)
                .copy_from_slice(&values[k * dim..(k + 1) * dim]);
        }
        values.truncate(start * dim);
        values.shrink_to_fit();
        end = start;
    }
    embedding
}

/// The row indices of an `EMRI` section: whole u32s, strictly increasing,
/// each below `input_rows`.
fn stored_rows(bytes: &[u8], input_rows: usize) -> std::result::Result<Vec<u32>, String> {
    if bytes.len() % 4 != 0 {
        return Err(format!(
            "holds {} bytes, not whole u32 row indices",
            bytes.len()
        ));
    }
    let rows: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect();
    if let Some(w) = rows.windows(2).find(|w| w[0] >= w[1]) {
        return Err(format!(
            "lists row {} after row {}: indices must be strictly increasing",
            w[1], w[0]
        ));
    }
    if let Some(&last) = rows.last().filter(|&&r| r as usize >= input_rows) {
        return Err(format!(
            "lists row {last}, but the embedding has {input_rows} rows"
        ));
    }
    Ok(rows)
}

/// A section of a model file as the loader gets it.
struct Stored<'a> {
    tag: [u8; 4],
    data: StoredData<'a>,
}

/// Borrowed from an in-memory file, read into memory, or already decoded.
enum StoredData<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
    Floats(Vec<f32>),
}

impl StoredData<'_> {
    /// Length of the section in the file.
    fn byte_len(&self) -> usize {
        match self {
            StoredData::Borrowed(b) => b.len(),
            StoredData::Owned(b) => b.len(),
            StoredData::Floats(f) => f.len() * 4,
        }
    }
}

/// Sorts `(label, probability)` by decreasing probability (ties: lower
/// label id first), keeps those ≥ `threshold`, then the first `k` (all if 0).
/// The plain version of [`top_k`].
pub fn rank(probs: &[f32], k: usize, threshold: f32) -> Vec<(usize, f32)> {
    let mut ranked: Vec<(usize, f32)> = probs
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, p)| p >= threshold)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if k > 0 {
        ranked.truncate(k);
    }
    ranked
}

/// Above this many labels asked for, [`top_k`] sorts them all ([`rank`]):
/// keeping a sorted list by insertion costs up to `k` moves per label.
const INSERTION_MAX_K: usize = 32;

/// [`rank`]'s answer (the same labels in the same order) into `top`,
/// without sorting every label when `k` is small: one pass keeps the best
/// `k` so far in order, and a label that does not beat the last kept one
/// costs one comparison. `k` is 0 (all) or large: [`rank`] itself.
pub fn top_k(probs: &[f32], k: usize, threshold: f32, top: &mut Vec<(usize, f32)>) {
    top.clear();
    if k == 0 || k > INSERTION_MAX_K {
        top.extend(rank(probs, k, threshold));
        return;
    }
    // `a` goes before `b`: rank's order (probability down, then label id up).
    let before = |a: (usize, f32), b: (usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)).is_lt();
    for (id, &p) in probs.iter().enumerate() {
        // As rank's `p >= threshold`: a NaN (either side) is never kept.
        // `!(p >= threshold)` is that test, written to keep NaNs out.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(p >= threshold) {
            continue;
        }
        let entry = (id, p);
        if top.len() == k {
            // Labels come in increasing id order, so a tie with the last
            // kept label loses to it, as in rank.
            if !top.last().is_some_and(|&last| before(entry, last)) {
                continue;
            }
            top.pop();
        }
        let at = top.partition_point(|&kept| before(kept, entry));
        top.insert(at, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The selection and the full sort agree on any probabilities,
        /// ties, NaNs, thresholds and k included.
        #[test]
        fn top_k_is_rank(
            probs in proptest::collection::vec(
                prop_oneof![
                    4 => 0.0f32..1.0,
                    2 => proptest::sample::select(vec![0.0f32, 0.25, 0.5, 1.0]),
                    1 => Just(f32::NAN),
                    1 => proptest::num::f32::ANY,
                ],
                0..120,
            ),
            k in 0usize..40,
            threshold in prop_oneof![3 => 0.0f32..1.0, 1 => Just(f32::NAN), 1 => Just(f32::NEG_INFINITY)],
        ) {
            let mut top = vec![(7, 7.0)];
            top_k(&probs, k, threshold, &mut top);
            let expected = rank(&probs, k, threshold);
            prop_assert_eq!(top.len(), expected.len());
            for (got, want) in top.iter().zip(&expected) {
                prop_assert_eq!(got.0, want.0);
                prop_assert_eq!(got.1.to_bits(), want.1.to_bits());
            }
        }
    }

    #[test]
    #[allow(clippy::type_complexity)] // one tuple per table row reads best here
    fn rank_orders_filters_and_cuts() {
        // (probabilities, k, threshold, expected)
        let table: [(&[f32], usize, f32, Vec<(usize, f32)>); 4] = [
            (&[0.1, 0.7, 0.2], 1, 0.0, vec![(1, 0.7)]),
            (&[0.1, 0.7, 0.2], 0, 0.15, vec![(1, 0.7), (2, 0.2)]),
            (&[0.5, 0.5], 2, 0.0, vec![(0, 0.5), (1, 0.5)]),
            (&[0.1, 0.1], 3, 0.2, vec![]),
        ];
        for (probs, k, threshold, expected) in table {
            assert_eq!(rank(probs, k, threshold), expected);
        }
    }
}
