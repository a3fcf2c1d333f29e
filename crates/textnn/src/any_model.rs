//! Any model textnn can predict with: its own [`Classifier`], or a fastText
//! model ([`FastTextModel`]: a `.bin`/`.ftz` file, or one that `textnn
//! convert` stored in textnn's container). [`AnyModel::load`] tells them
//! apart by their first bytes, so every command takes either.
//!
//! ```
//! use textnn::any_model::AnyModel;
//! use textnn::data::Example;
//! use textnn::train::{train, TrainConfig};
//! let ex = |text: &str, label: &str| Example { text: text.into(), labels: vec![label.into()], line: 1 };
//! let config = TrainConfig { epochs: 30, ..TrainConfig::fasttext() };
//! let model = train(&config, &[ex("good morning", "greet"), ex("bye now", "bye")], &mut |_| {}).unwrap();
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("m.textnn");
//! model.save(&path).unwrap();
//! let any = AnyModel::load(&path).unwrap();
//! assert_eq!(any.predict("bye", 1, 0.0), model.predict("bye", 1, 0.0));
//! ```

use crate::fasttext_model::{self, FastTextModel};
use crate::model::{self, Classifier};
use crate::vocab::Dictionary;
use crate::{Error, Result};
use std::io::Read;
use std::path::Path;

/// A textnn or fastText model.
// One value per loaded model, so the variants' different sizes cost nothing
// worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum AnyModel {
    /// textnn's own model.
    Textnn(Classifier),
    /// A fastText supervised model.
    FastText(FastTextModel),
}

/// Buffers for [`AnyModel::predict_with`], of the model's kind.
#[derive(Clone, Debug)]
pub enum AnyScratch {
    /// For a textnn model.
    Textnn(model::Scratch),
    /// For a fastText model.
    FastText(fasttext_model::Scratch),
}

/// What the first bytes of a model file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// A textnn container holding a [`Classifier`].
    Textnn,
    /// A fastText `.bin` or `.ftz` file.
    FastTextFile,
    /// A textnn container holding a fastText model (`textnn convert`).
    FastTextContainer,
}

impl ModelKind {
    /// The kind of the file at `path`, from its first 28 bytes (a textnn
    /// container's header and its first section's tag). Anything that is
    /// not fastText is left to the textnn loader, which names the problem.
    pub fn of_file(path: &Path) -> Result<Self> {
        let mut head = Vec::with_capacity(28);
        if !path.is_dir() {
            std::fs::File::open(path)
                .and_then(|f| f.take(28).read_to_end(&mut head))
                .map_err(|e| Error::io(path, e))?;
        }
        Ok(Self::of_bytes(&head))
    }

    /// The kind of a model file whose first bytes are `head`.
    pub fn of_bytes(head: &[u8]) -> Self {
        if fasttext_model::is_fasttext(head) {
            ModelKind::FastTextFile
        } else if head.len() >= 28
            && head[..8] == crate::format::MAGIC
            && head[24..28] == fasttext_model::CONTAINER_TAG
        {
            ModelKind::FastTextContainer
        } else {
            ModelKind::Textnn
        }
    }
}

impl AnyModel {
    /// Loads and verifies the model at `path`, whichever kind it is.
    pub fn load(path: &Path) -> Result<Self> {
        Ok(match ModelKind::of_file(path)? {
            ModelKind::Textnn => AnyModel::Textnn(Classifier::load(path)?),
            ModelKind::FastTextFile => AnyModel::FastText(FastTextModel::load(path)?),
            ModelKind::FastTextContainer => {
                AnyModel::FastText(FastTextModel::load_container(path)?)
            }
        })
    }

    /// [`AnyModel::load`] for a file held in memory; `source` names it in errors.
    pub fn from_bytes(source: &str, bytes: &[u8]) -> Result<Self> {
        Ok(match ModelKind::of_bytes(bytes) {
            ModelKind::Textnn => AnyModel::Textnn(Classifier::from_bytes(source, bytes)?),
            ModelKind::FastTextFile => {
                AnyModel::FastText(FastTextModel::from_bytes(source, bytes)?)
            }
            ModelKind::FastTextContainer => {
                AnyModel::FastText(FastTextModel::container_from_bytes(source, bytes)?)
            }
        })
    }

    /// Fresh buffers for [`AnyModel::predict_with`].
    pub fn scratch(&self) -> AnyScratch {
        match self {
            AnyModel::Textnn(m) => AnyScratch::Textnn(m.scratch()),
            AnyModel::FastText(m) => AnyScratch::FastText(m.scratch()),
        }
    }

    /// The `k` most probable labels of `text` (all if `k` is 0) at or above
    /// `threshold`, best first, as `(label id, probability)`: see
    /// [`Classifier::predict_with`] and [`FastTextModel::predict_with`].
    pub fn predict_with(
        &self,
        text: &str,
        k: usize,
        threshold: f32,
        scratch: &mut AnyScratch,
    ) -> Vec<(usize, f32)> {
        self.fit(scratch);
        match (self, scratch) {
            (AnyModel::Textnn(m), AnyScratch::Textnn(s)) => m.predict_with(text, k, threshold, s),
            (AnyModel::FastText(m), AnyScratch::FastText(s)) => {
                m.predict_with(text, k, threshold, s)
            }
            _ => unreachable!("fit gave the scratch the model's kind"),
        }
    }

    /// [`AnyModel::predict_with`] with its own buffers.
    pub fn predict(&self, text: &str, k: usize, threshold: f32) -> Vec<(usize, f32)> {
        self.predict_with(text, k, threshold, &mut self.scratch())
    }

    /// The loss of `text` against gold label ids `gold`: see
    /// [`Classifier::loss_with`] and [`FastTextModel::loss_with`].
    pub fn loss_with(&self, text: &str, gold: &[usize], scratch: &mut AnyScratch) -> f64 {
        self.fit(scratch);
        match (self, scratch) {
            (AnyModel::Textnn(m), AnyScratch::Textnn(s)) => m.loss_with(text, gold, s),
            (AnyModel::FastText(m), AnyScratch::FastText(s)) => m.loss_with(text, gold, s),
            _ => unreachable!("fit gave the scratch the model's kind"),
        }
    }

    /// Replaces `scratch` by fresh buffers when they belong to the other kind.
    fn fit(&self, scratch: &mut AnyScratch) {
        let fits = matches!(
            (self, &*scratch),
            (AnyModel::Textnn(_), AnyScratch::Textnn(_))
                | (AnyModel::FastText(_), AnyScratch::FastText(_))
        );
        if !fits {
            *scratch = self.scratch();
        }
    }

    /// The labels, by id, with their training counts.
    pub fn labels(&self) -> &Dictionary {
        match self {
            AnyModel::Textnn(m) => m.labels(),
            AnyModel::FastText(m) => m.labels(),
        }
    }

    /// Name of label `id`.
    pub fn label_name(&self, id: usize) -> &str {
        self.labels().name(id)
    }

    /// The probability threshold predictions use when none is given: the
    /// one a textnn model was trained with, 0 for fastText (as its
    /// `predict`).
    pub fn default_threshold(&self) -> f32 {
        match self {
            AnyModel::Textnn(m) => m.settings().threshold,
            AnyModel::FastText(_) => 0.0,
        }
    }

    /// The textnn classifier, if this is one.
    pub fn as_classifier(&self) -> Option<&Classifier> {
        match self {
            AnyModel::Textnn(m) => Some(m),
            AnyModel::FastText(_) => None,
        }
    }

    /// The fastText model, if this is one.
    pub fn as_fasttext(&self) -> Option<&FastTextModel> {
        match self {
            AnyModel::Textnn(_) => None,
            AnyModel::FastText(m) => Some(m),
        }
    }
}
