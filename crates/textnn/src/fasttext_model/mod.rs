//! fastText supervised models (`.bin`, `.ftz`), read and used as fastText
//! uses them.
//!
//! A fastText model is its own small engine: fastText's whitespace
//! tokenisation with the end-of-line token `</s>`, its 32-bit hashing of
//! word and character n-grams, the mean of the input rows, and its output
//! layer (softmax, hierarchical softmax, one-vs-all or negative sampling),
//! with fastText's arithmetic down to its sigmoid table and the `1e-5` in
//! its logarithms, so the labels and probabilities textnn reports are the
//! ones `fasttext predict-prob` prints. textnn's own [`crate::Classifier`]
//! hashes, tokenises and scores differently (and its model files depend on
//! that), so a fastText model is not turned into one: it keeps this engine,
//! and `textnn convert` stores it in textnn's checksummed container
//! ([`FastTextModel::save`]), which loads back into the same engine.
//!
//! File layout (fastText's `FastText::saveModel`, version 12):
//!
//! ```text
//! i32 magic 793712314 | i32 version 12 | args (args.rs) | dictionary (dictionary.rs)
//! bool quantized input | input matrix (dense, or product-quantized)
//! bool quantized output | output matrix (product-quantized only when the input is)
//! ```
//!
//! Reading is as strict as textnn's own loader: every field is
//! range-checked, every size is checked against the bytes left in the file
//! before anything is allocated for it, shapes must agree with the
//! dictionary and `dim`, weights must be finite, and nothing may follow
//! the output matrix. A product-quantized matrix is decoded into dense
//! weights at load ([`matrix`]), so a `.ftz` takes the memory of the
//! unquantized model once loaded.
//!
//! ```no_run
//! use textnn::fasttext_model::FastTextModel;
//! let model = FastTextModel::load(std::path::Path::new("model.ftz")).unwrap();
//! for (label, p) in model.predict("turn on the kitchen lights", 3, 0.0) {
//!     println!("{} {p}", model.label_name(label));
//! }
//! ```

pub mod args;
pub mod dictionary;
pub mod explain;
pub mod heap;
pub mod matrix;
pub mod output;
pub mod reader;

pub use args::{FastTextArgs, FastTextLoss};

use crate::format::{self, SectionData};
use crate::vocab::Dictionary;
use crate::{Error, Result};
use dictionary::{FastTextDictionary, LineBuffers};
use heap::Scored;
use matrix::Rows;
use output::OutputLayer;
use reader::ByteReader;
use std::io::BufRead;
use std::path::Path;

/// fastText's magic number, the first 4 bytes of a model (little-endian).
pub const MAGIC: i32 = 793_712_314;
/// The fastText model version read here (fastText 0.9's).
pub const VERSION: i32 = 12;
/// The tag of the first section of a fastText model stored in textnn's
/// container by [`FastTextModel::save`].
pub const CONTAINER_TAG: [u8; 4] = *b"FTHD";

/// A fastText supervised model, ready to predict.
#[derive(Clone, Debug)]
pub struct FastTextModel {
    args: FastTextArgs,
    dictionary: FastTextDictionary,
    input: Rows,
    output: OutputLayer,
    quantized: bool,
    output_quantized: bool,
    labels: Dictionary,
}

/// Buffers reused across predictions.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    ids: Vec<u32>,
    buffers: LineBuffers,
    hidden: Vec<f32>,
    output: Vec<f32>,
    heap: Vec<Scored>,
}

/// Whether `head` (a file's first bytes) starts a fastText model.
pub fn is_fasttext(head: &[u8]) -> bool {
    head.len() >= 4 && head[..4] == MAGIC.to_le_bytes()
}

impl FastTextModel {
    /// Reads and verifies the fastText model at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let source = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut reader = ByteReader::new(
            &source,
            std::io::BufReader::with_capacity(1 << 16, file),
            len,
        );
        Self::read(&mut reader)
    }

    /// Reads and verifies a fastText model held in memory; `source` names
    /// it in errors.
    pub fn from_bytes(source: &str, bytes: &[u8]) -> Result<Self> {
        let mut reader = ByteReader::new(source, bytes, bytes.len() as u64);
        Self::read(&mut reader)
    }

    fn read<R: BufRead>(reader: &mut ByteReader<R>) -> Result<Self> {
        let (args, dictionary) = read_header(reader)?;
        let quantized = reader.bool("the quantized-input flag")?;
        let (rows, dim) = (dictionary.input_rows(), args.dim);
        if !quantized && dictionary.is_pruned() {
            return Err(reader.error(
                "the dictionary is pruned but the input matrix is not quantized (fastText refuses such a file too)",
            ));
        }
        let input = if quantized {
            Rows::read_quantized(reader, "the input matrix", rows, dim, true)?
        } else {
            Rows::read_dense(reader, "the input matrix", rows, dim)?
        };
        // fastText reads the flag always but uses it only with a quantized input.
        let output_quantized = reader.bool("the quantized-output flag")? && quantized;
        let n_labels = dictionary.labels().len();
        let output = if output_quantized {
            Rows::read_quantized(reader, "the output matrix", n_labels, dim, false)?
        } else {
            Rows::read_dense(reader, "the output matrix", n_labels, dim)?
        };
        reader.finish()?;
        Self::assemble(
            reader,
            args,
            dictionary,
            input,
            output,
            quantized,
            output_quantized,
        )
    }

    fn assemble<R: BufRead>(
        reader: &ByteReader<R>,
        args: FastTextArgs,
        dictionary: FastTextDictionary,
        input: Rows,
        output: Rows,
        quantized: bool,
        output_quantized: bool,
    ) -> Result<Self> {
        let labels = label_dictionary(&dictionary).map_err(|name| {
            reader.error(format!(
                "label {name:?} appears twice once its __label__ prefix is removed"
            ))
        })?;
        let counts: Vec<i64> = dictionary.labels().iter().map(|e| e.count).collect();
        // fastText's tree marks nodes not yet built with a count of 10^15.
        if args.loss == FastTextLoss::Hs && counts.iter().any(|&c| c >= output::UNBUILT_NODE_COUNT)
        {
            return Err(reader.error(
                "a label count of 10^15 or more, which fastText's hierarchical softmax tree cannot hold (its mark for nodes not yet built)",
            ));
        }
        Ok(FastTextModel {
            output: OutputLayer::new(args.loss, output, &counts),
            args,
            dictionary,
            input,
            quantized,
            output_quantized,
            labels,
        })
    }

    /// Fresh buffers for [`FastTextModel::predict_with`].
    pub fn scratch(&self) -> Scratch {
        Scratch::default()
    }

    /// The `k` best labels of `text` (all if `k` is 0) with the
    /// probability fastText reports, best first, as `(label id,
    /// probability)`. Labels below `threshold` are left out (for hs:
    /// those whose reported probability is below `threshold + 1e-5`, as in
    /// fastText). A text with no known row gets no label, as in fastText.
    pub fn predict_with(
        &self,
        text: &str,
        k: usize,
        threshold: f32,
        scratch: &mut Scratch,
    ) -> Vec<(usize, f32)> {
        if !self.hidden(text, scratch) {
            return Vec::new();
        }
        let k = if k == 0 { self.labels.len() } else { k };
        self.output.predict(
            &scratch.hidden,
            k,
            threshold,
            &mut scratch.output,
            &mut scratch.heap,
        );
        scratch
            .heap
            .iter()
            .map(|&(score, label)| (label as usize, score.exp()))
            .collect()
    }

    /// [`FastTextModel::predict_with`] with its own buffers.
    pub fn predict(&self, text: &str, k: usize, threshold: f32) -> Vec<(usize, f32)> {
        self.predict_with(text, k, threshold, &mut self.scratch())
    }

    /// The hidden vector of `text` into `scratch.hidden`: the mean of its
    /// input rows (`Model::computeHidden`). False when the text has none.
    fn hidden(&self, text: &str, scratch: &mut Scratch) -> bool {
        self.dictionary
            .line_ids(text, &mut scratch.ids, &mut scratch.buffers);
        self.hidden_of_ids(scratch)
    }

    /// The hidden vector of the rows `scratch.ids`; false when there are none.
    fn hidden_of_ids(&self, scratch: &mut Scratch) -> bool {
        let hidden = &mut scratch.hidden;
        hidden.clear();
        hidden.resize(self.args.dim, 0.0);
        if scratch.ids.is_empty() {
            return false;
        }
        for &id in &scratch.ids {
            for (h, w) in hidden.iter_mut().zip(self.input.row(id as usize)) {
                *h += w;
            }
        }
        // fastText: hidden.mul(1.0 / input.size()), the factor rounded to float.
        let scale = (1.0f64 / scratch.ids.len() as f64) as f32;
        for h in hidden.iter_mut() {
            *h = matrix::saturate(*h * scale);
        }
        true
    }

    /// The loss of `text` against gold label ids `gold`, as fastText
    /// measures it with its `ln(p + 1e-5)`: for softmax and hs the mean
    /// over the gold labels of `−ln(p + 1e-5)`; for ova and ns the sum over
    /// all labels of `−ln(q + 1e-5)` with `q = p` for a gold label and
    /// `1 − p` for the others. A text with no known row scores as if every
    /// label had probability 0.
    pub fn loss_with(&self, text: &str, gold: &[usize], scratch: &mut Scratch) -> f64 {
        let n = self.labels.len();
        if self.hidden(text, scratch) {
            self.output
                .probabilities(&scratch.hidden, &mut scratch.output);
        } else {
            scratch.output.clear();
            scratch.output.resize(n, 0.0);
        }
        let p = &scratch.output;
        let nll = |q: f32| -(output::std_log(q) as f64);
        if self.output.is_one_vs_all() {
            (0..n)
                .map(|j| nll(if gold.contains(&j) { p[j] } else { 1.0 - p[j] }))
                .sum()
        } else if gold.is_empty() {
            0.0
        } else {
            gold.iter().map(|&g| nll(p[g])).sum::<f64>() / gold.len() as f64
        }
    }

    /// The labels (without fastText's `__label__` prefix), by id, with their
    /// training counts.
    pub fn labels(&self) -> &Dictionary {
        &self.labels
    }

    /// Name of label `id` (without the `__label__` prefix).
    pub fn label_name(&self, id: usize) -> &str {
        self.labels.name(id)
    }

    /// The settings stored in the model.
    pub fn args(&self) -> &FastTextArgs {
        &self.args
    }

    /// Words in the vocabulary (including `</s>`).
    pub fn n_words(&self) -> usize {
        self.dictionary.words().len()
    }

    /// Rows of the input matrix: words, then buckets (or kept n-gram rows).
    pub fn input_rows(&self) -> usize {
        self.input.rows
    }

    /// Whether the input matrix was product-quantized in the file (it is
    /// decoded into dense rows at load).
    pub fn is_quantized(&self) -> bool {
        self.quantized
    }

    /// Whether the output matrix was product-quantized too (`-qout`).
    pub fn is_output_quantized(&self) -> bool {
        self.output_quantized
    }

    /// Whether `quantize -cutoff` kept only some n-gram rows.
    pub fn is_pruned(&self) -> bool {
        self.dictionary.is_pruned()
    }

    /// The input rows `text` reaches, in fastText's order (words and their
    /// character n-grams, then word n-grams).
    pub fn feature_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        self.dictionary
            .line_ids(text, &mut ids, &mut LineBuffers::default());
        ids
    }

    /// The tokens fastText reads in `text`: split at its separators, up to
    /// and including the end-of-line token `</s>`.
    pub fn tokens(text: &str) -> Vec<&[u8]> {
        let mut tokens = Vec::new();
        for token in dictionary::tokens(text).chain(std::iter::once(dictionary::EOS)) {
            tokens.push(token);
            if token == dictionary::EOS {
                break;
            }
        }
        tokens
    }

    /// Every label's probability (without fastText's `1e-5`) for the
    /// input rows `ids`, by label id; `None` when `ids` is empty.
    pub fn probabilities_of<'s>(&self, ids: &[u32], scratch: &'s mut Scratch) -> Option<&'s [f32]> {
        scratch.ids.clear();
        scratch.ids.extend_from_slice(ids);
        if !self.hidden_of_ids(scratch) {
            return None;
        }
        self.output
            .probabilities(&scratch.hidden, &mut scratch.output);
        Some(&scratch.output)
    }

    /// The dictionary.
    pub fn dictionary(&self) -> &FastTextDictionary {
        &self.dictionary
    }

    /// Writes the model to `path` atomically in textnn's checksummed
    /// container: `FTHD` (fastText's header: magic, version, settings,
    /// dictionary, then the two quantization flags of the original file),
    /// `FTIN` and `FTOU` (the input and output matrices as dense
    /// little-endian `f32`, quantized ones decoded) and, for a quantized
    /// output with quantized norms, `FTOS` (each output row's norm).
    /// [`FastTextModel::load_container`] reads it back into a model that
    /// predicts the same, bit for bit.
    pub fn save(&self, path: &Path) -> Result<()> {
        let header = self.header_bytes();
        let sections = self.sections(&header);
        format::write_atomically_by(path, |file| {
            format::write_sections(
                &mut std::io::BufWriter::with_capacity(1 << 16, file),
                &sections,
            )
        })
    }

    /// The bytes [`FastTextModel::save`] writes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = self.header_bytes();
        let mut bytes = Vec::new();
        format::write_sections(&mut bytes, &self.sections(&header))
            .expect("writing to memory cannot fail");
        bytes
    }

    /// The container's sections, borrowing the weights.
    fn sections<'a>(&'a self, header: &'a [u8]) -> Vec<([u8; 4], SectionData<'a>)> {
        let mut sections = vec![
            (CONTAINER_TAG, SectionData::Bytes(header)),
            (*b"FTIN", SectionData::Floats(&self.input.values)),
            (*b"FTOU", SectionData::Floats(&self.output.weights().values)),
        ];
        if let Some(scales) = &self.output.weights().scales {
            sections.push((*b"FTOS", SectionData::Floats(scales)));
        }
        sections
    }

    /// The `FTHD` section of [`FastTextModel::save`].
    fn header_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC.to_le_bytes());
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.args.to_bytes());
        out.extend_from_slice(&self.dictionary.to_bytes());
        out.push(u8::from(self.quantized));
        out.push(u8::from(self.output_quantized));
        out
    }

    /// Reads a model that [`FastTextModel::save`] wrote, with the
    /// container's checks (magic, version, lengths, CRC-32) and the fastText
    /// reader's on the header and the matrices' shapes.
    pub fn load_container(path: &Path) -> Result<Self> {
        let sections = format::read_file_sections(path, &[*b"FTIN", *b"FTOU", *b"FTOS"])?;
        Self::from_container_sections(&path.display().to_string(), sections)
    }

    /// [`FastTextModel::load_container`] for a file held in memory.
    pub fn container_from_bytes(source: &str, bytes: &[u8]) -> Result<Self> {
        let sections = format::decode(source, bytes)?
            .into_iter()
            .map(|s| format::OwnedSection {
                tag: s.tag,
                body: format::SectionBody::Bytes(s.bytes.to_vec()),
            })
            .collect();
        Self::from_container_sections(source, sections)
    }

    fn from_container_sections(source: &str, sections: Vec<format::OwnedSection>) -> Result<Self> {
        let bad = |m: String| Error::BadModel {
            path: source.to_string(),
            message: m,
        };
        let tags: Vec<[u8; 4]> = sections.iter().map(|s| s.tag).collect();
        let expected: &[&[u8; 4]] = if tags.len() == 4 {
            &[&CONTAINER_TAG, b"FTIN", b"FTOU", b"FTOS"]
        } else {
            &[&CONTAINER_TAG, b"FTIN", b"FTOU"]
        };
        if tags.len() != expected.len() || tags.iter().zip(expected).any(|(a, b)| a != *b) {
            let names: Vec<String> = tags
                .iter()
                .map(|t| String::from_utf8_lossy(t).into_owned())
                .collect();
            return Err(bad(format!(
                "a fastText model in a textnn container has sections FTHD, FTIN, FTOU and optionally FTOS; this one has {}",
                names.join(", ")
            )));
        }
        let mut sections = sections.into_iter();
        let header = match sections.next().map(|s| s.body) {
            Some(format::SectionBody::Bytes(b)) => b,
            _ => return Err(bad("section FTHD is not bytes".into())),
        };
        let mut reader = ByteReader::new(source, &header[..], header.len() as u64);
        let (args, dictionary) = read_header(&mut reader)?;
        let quantized = reader.bool("the quantized-input flag")?;
        let output_quantized = reader.bool("the quantized-output flag")?;
        reader.finish()?;
        let n_labels = dictionary.labels().len();
        let mut floats = |tag: &str, rows: usize, cols: usize| -> Result<Vec<f32>> {
            let values = match sections.next().map(|s| s.body) {
                Some(format::SectionBody::Floats(v)) => Some(v),
                Some(format::SectionBody::Bytes(b)) => format::bytes_to_f32s(&b),
                None => None,
            }
            .ok_or_else(|| bad(format!("section {tag} is not whole f32s")))?;
            if Some(values.len()) != rows.checked_mul(cols) {
                return Err(bad(format!(
                    "section {tag} holds {} values, the dictionary and dim call for {rows} × {cols}",
                    values.len()
                )));
            }
            if let Some(at) = values.iter().position(|v| !v.is_finite()) {
                return Err(bad(format!(
                    "section {tag} holds a NaN or infinite weight at index {at}"
                )));
            }
            Ok(values)
        };
        let input = Rows {
            rows: dictionary.input_rows(),
            cols: args.dim,
            values: floats("FTIN", dictionary.input_rows(), args.dim)?,
            scales: None,
        };
        let output_values = floats("FTOU", n_labels, args.dim)?;
        let scales = if tags.len() == 4 {
            Some(floats("FTOS", n_labels, 1)?)
        } else {
            None
        };
        let output = Rows {
            rows: n_labels,
            cols: args.dim,
            values: output_values,
            scales,
        };
        Self::assemble(
            &reader,
            args,
            dictionary,
            input,
            output,
            quantized,
            output_quantized,
        )
    }
}

/// Reads magic, version, settings and dictionary.
fn read_header<R: BufRead>(
    reader: &mut ByteReader<R>,
) -> Result<(FastTextArgs, FastTextDictionary)> {
    let magic = reader.i32("the magic number")?;
    if magic != MAGIC {
        return Err(reader.error(format!(
            "not a fastText model (magic number {magic}, expected {MAGIC})"
        )));
    }
    let version = reader.i32("the version")?;
    if version != VERSION {
        return Err(reader.error(format!(
            "fastText model version {version}: textnn reads version {VERSION} (fastText 0.9); load and save it again with a recent fastText"
        )));
    }
    let args = FastTextArgs::read(reader)?;
    let dictionary = FastTextDictionary::read(reader, &args)?;
    Ok((args, dictionary))
}

/// The labels as a textnn [`Dictionary`], `__label__` removed; `Err` names a
/// label that would appear twice.
fn label_dictionary(dictionary: &FastTextDictionary) -> std::result::Result<Dictionary, String> {
    let entries = dictionary
        .labels()
        .iter()
        .map(|e| {
            let text = e
                .text
                .strip_prefix(dictionary::LABEL_PREFIX)
                .unwrap_or(&e.text);
            (String::from_utf8_lossy(text).into_owned(), e.count as u64)
        })
        .collect();
    Dictionary::from_entries(entries)
}
