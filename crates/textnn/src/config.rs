//! What training produces, decided before any data is seen: the
//! [`TrainConfig`] (validated once), its presets ([`Preset`]) and the small
//! setting enums ([`Schedule`], [`Batch`], [`Reduction`]), plus the records
//! a model keeps of what the data decided ([`MultiLabelSettings`],
//! [`EpochsChosen`]).
//!
//! This module sits low: the model file ([`crate::model`]) stores a
//! `TrainConfig` and [`crate::train`](mod@crate::train) reads one, and neither is imported
//! here. Settings decided from the data are resolved by
//! [`crate::train::plan`].

use crate::features::FeatureConfig;
use crate::nn::{Activation, Combine, Init, Loss, NetworkConfig};
use crate::optim::OptimizerConfig;
use crate::text::{TextConfig, TokenizerKind};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A named starting point for [`TrainConfig`]: every option the user does
/// not give takes the preset's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// textnn's default ([`TrainConfig::default_preset`]).
    Default,
    /// fastText's supervised defaults ([`TrainConfig::fasttext`]).
    Fasttext,
    /// The classic blog network ([`TrainConfig::blog`]).
    Blog,
}

impl Preset {
    /// Every preset, in the order `train --help` lists them.
    pub const ALL: [Preset; 3] = [Preset::Default, Preset::Fasttext, Preset::Blog];

    /// The name users type: `default`, `fasttext` or `blog`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::Fasttext => "fasttext",
            Preset::Blog => "blog",
        }
    }
}

impl std::str::FromStr for Preset {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                Error::InvalidConfig(format!(
                    "unknown preset {s:?}; choose default, fasttext or blog"
                ))
            })
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<&str> for Preset {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// How the learning rate changes during training.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// `η_t = η₀ (1 - t/T)`, fastText's decay to zero.
    Linear,
    /// `η_t = η₀`.
    Constant,
    /// `η_t = η₀ / (1 + t/n)` with `n` examples per epoch: half of `η₀`
    /// after the first epoch, a third after the second (the `1/t` decay of
    /// scikit-learn's SGD), never zero.
    Inverse,
}

impl Schedule {
    /// The learning rate after `seen` of the run's `total` examples
    /// (`epochs` passes), starting from `initial`.
    pub fn rate(self, initial: f32, seen: usize, total: f64, epochs: usize) -> f32 {
        match self {
            Schedule::Linear => initial * (1.0 - seen as f64 / total).max(0.0) as f32,
            Schedule::Constant => initial,
            Schedule::Inverse => {
                let per_epoch = (total / epochs.max(1) as f64).max(1.0);
                (initial as f64 / (1.0 + seen as f64 / per_epoch)) as f32
            }
        }
    }
}

impl std::str::FromStr for Schedule {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "linear" => Ok(Schedule::Linear),
            "constant" => Ok(Schedule::Constant),
            "inverse" => Ok(Schedule::Inverse),
            _ => Err(format!(
                "unknown schedule {s:?}; choose linear, constant or inverse"
            )),
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Schedule::Linear => "linear",
            Schedule::Constant => "constant",
            Schedule::Inverse => "inverse",
        })
    }
}

/// What the default preset changes for multi-label data: a softmax
/// spreads one unit of probability over a text's labels, while one score
/// per label with a margin loss lets several labels be sure at once, and
/// tags need an embedding at least as wide as their number (debian_debtags,
/// 223 tags: 0.814 test P@1 against the softmax's 0.796; BENCHMARKS.md).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelSettings {
    /// Output and loss.
    pub loss: Loss,
    /// Initial learning rate η₀.
    pub learning_rate: f32,
    /// How η changes.
    pub schedule: Schedule,
    /// Embedding width.
    pub dim: usize,
}

impl MultiLabelSettings {
    /// The default preset's: modified Huber loss, η₀ 0.02 decayed
    /// linearly, dim 300.
    pub fn default_preset() -> Self {
        MultiLabelSettings {
            loss: Loss::Huber,
            learning_rate: 0.02,
            schedule: Schedule::Linear,
            dim: 300,
        }
    }

    /// `config` with these settings in place.
    pub fn apply(self, config: &mut TrainConfig) {
        config.network.loss = self.loss;
        config.learning_rate = self.learning_rate;
        config.schedule = self.schedule;
        config.network.dim = self.dim;
    }
}

/// How many examples contribute to one optimizer step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Batch {
    /// A fixed number of examples (1 = plain stochastic gradient descent).
    Size(usize),
    /// Every example: full-batch gradient descent, one step per epoch.
    Full,
}

impl std::str::FromStr for Batch {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        if s == "full" {
            return Ok(Batch::Full);
        }
        match s.parse::<usize>() {
            Ok(n) if n > 0 => Ok(Batch::Size(n)),
            _ => Err(format!(
                "batch must be a positive number or \"full\", got {s:?}"
            )),
        }
    }
}

impl std::fmt::Display for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Batch::Size(n) => write!(f, "{n}"),
            Batch::Full => f.write_str("full"),
        }
    }
}

/// Whether a batch's gradient is the mean or the sum of its examples'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reduction {
    /// Mean: the step size does not grow with the batch.
    Mean,
    /// Sum, as the classic blog's `layer_1.T.dot(layer_2_delta)` does.
    Sum,
}

impl std::str::FromStr for Reduction {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "mean" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            _ => Err(format!("unknown reduction {s:?}; choose mean or sum")),
        }
    }
}

impl std::fmt::Display for Reduction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reduction::Mean => "mean",
            Reduction::Sum => "sum",
        })
    }
}

/// Everything that decides what training produces. Checked once by
/// [`TrainConfig::validate`] before any work starts. `network.input_rows`
/// and `network.n_labels` are ignored: the data decides them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The preset these settings started from.
    pub preset: Preset,
    /// Tokenizer settings.
    pub text: TextConfig,
    /// Words seen fewer times are left out of the vocabulary.
    pub min_count: u64,
    /// Which features each text produces.
    pub features: FeatureConfig,
    /// When set, `features.word_ngrams` is decided by the data: 2 (words
    /// and bigrams) if the training texts hold at least this many tokens,
    /// else 1. The model records the value used.
    #[serde(default)]
    pub bigrams_from_tokens: Option<u64>,
    /// When set, training data in which some text has several labels is
    /// trained with these settings instead (the default preset's
    /// one-vs-rest margin loss for multi-label data). The model records
    /// the settings used, and this as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_label: Option<MultiLabelSettings>,
    /// The network's shape.
    pub network: NetworkConfig,
    /// Update rule, L2, clipping.
    pub optimizer: OptimizerConfig,
    /// Initial learning rate η₀.
    pub learning_rate: f32,
    /// How η changes.
    pub schedule: Schedule,
    /// Passes over the training data.
    pub epochs: usize,
    /// Examples per optimizer step.
    pub batch: Batch,
    /// Mean or sum over a batch.
    pub reduction: Reduction,
    /// Dropout rate on the embedding output and hidden layers (0 = off).
    pub dropout: f32,
    /// Seed of every random choice.
    pub seed: u64,
    /// Every this many epochs, compare the mean absolute error with the
    /// previous report and stop when it rose (the blog's rule); `None` = never.
    pub stop_when_error_rises_every: Option<usize>,
    /// Default probability threshold of predictions made with the model.
    pub threshold: f32,
    /// Hold out this fraction of the training examples (stratified by
    /// first label, drawn with the seed) to measure validation loss and
    /// accuracy after every epoch; ignored when a validation set is given.
    #[serde(default)]
    pub valid_split: Option<f32>,
    /// Stop when the validation loss has not improved for this many epochs,
    /// and keep the weights of the best epoch. Needs validation data.
    #[serde(default)]
    pub early_stopping: Option<usize>,
    /// Training threads. Plain SGD on one example at a time (the default
    /// and fastText presets) splits every example across the threads by
    /// embedding columns: the same updates as one thread, bit-identical
    /// for the same seed and thread count. Other settings train on one
    /// thread. The model records the number actually used.
    #[serde(default = "one_thread")]
    pub threads: usize,
    /// Set when `epochs` was chosen on a validation slice
    /// ([`crate::train::auto_epochs`]): how, and what the slice measured. Models of
    /// earlier versions have none; models without one store none (the
    /// same bytes as before the field existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs_chosen: Option<EpochsChosen>,
    /// When set, the representations training chooses among on a
    /// validation slice ([`crate::train::race`]) before the
    /// epochs are chosen; the model records the choice in
    /// `representation_chosen` and this as `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representations: Option<Vec<Representation>>,
    /// Set when the representation was chosen on a validation slice: the
    /// one chosen and every candidate's score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representation_chosen: Option<RepresentationChosen>,
}

fn one_thread() -> usize {
    1
}

impl TrainConfig {
    /// textnn's default: chosen for accuracy on the bundled and shared
    /// datasets (see README, "Why these defaults").
    pub fn default_preset() -> Self {
        TrainConfig {
            preset: Preset::Default,
            text: TextConfig::default(),
            min_count: 1,
            features: FeatureConfig {
                word_ngrams: 1,
                char_ngrams: None,
                buckets: 500_000,
                binary: false,
            },
            bigrams_from_tokens: Some(DEFAULT_BIGRAMS_FROM_TOKENS),
            multi_label: Some(MultiLabelSettings::default_preset()),
            network: NetworkConfig {
                dim: 100,
                combine: Combine::L2,
                idf: true,
                sublinear_tf: true,
                ..NetworkConfig::default()
            },
            optimizer: OptimizerConfig::default(),
            learning_rate: 0.5,
            schedule: Schedule::Inverse,
            epochs: 25,
            batch: Batch::Size(1),
            reduction: Reduction::Mean,
            dropout: 0.1,
            seed: 1,
            stop_when_error_rises_every: None,
            threshold: 0.0,
            valid_split: None,
            early_stopping: None,
            threads: 1,
            epochs_chosen: None,
            representations: Some(Representation::ALL.to_vec()),
            representation_chosen: None,
        }
    }

    /// fastText's supervised defaults: whitespace tokens, no lowercasing,
    /// mean of word rows (dim 100), no hidden layer, softmax, SGD with
    /// η₀ = 0.1 decayed linearly over 5 epochs, min count 1.
    pub fn fasttext() -> Self {
        TrainConfig {
            preset: Preset::Fasttext,
            text: TextConfig {
                tokenizer: TokenizerKind::Whitespace,
                lowercase: false,
                stem: None,
            },
            min_count: 1,
            features: FeatureConfig {
                word_ngrams: 1,
                char_ngrams: None,
                buckets: 2_000_000,
                binary: false,
            },
            bigrams_from_tokens: None,
            multi_label: None,
            network: NetworkConfig {
                dim: 100,
                combine: Combine::Mean,
                embedding_activation: Activation::Identity,
                hidden: Vec::new(),
                hidden_activation: Activation::Identity,
                loss: Loss::Softmax,
                bias: false,
                init: Init::Default,
                ..NetworkConfig::default()
            },
            optimizer: OptimizerConfig::default(),
            learning_rate: 0.1,
            schedule: Schedule::Linear,
            epochs: 5,
            batch: Batch::Size(1),
            reduction: Reduction::Mean,
            dropout: 0.0,
            seed: 1,
            stop_when_error_rises_every: None,
            threshold: 0.0,
            valid_split: None,
            early_stopping: None,
            threads: 1,
            epochs_chosen: None,
            representations: None,
            representation_chosen: None,
        }
    }

    /// The classic blog network: stemmed unique words (binary bag, summed)
    /// into 20 sigmoid units, sigmoid outputs, squared error, full-batch
    /// gradient descent with η = 0.1 (gradients summed over the batch), up
    /// to 100,000 epochs, stopping when the mean absolute error rises
    /// (checked every 10,000 epochs); predictions below 0.2 are dropped.
    pub fn blog() -> Self {
        TrainConfig {
            preset: Preset::Blog,
            text: TextConfig {
                tokenizer: TokenizerKind::Unicode,
                lowercase: true,
                stem: Some(crate::text::StemLanguage::English),
            },
            min_count: 1,
            features: FeatureConfig {
                word_ngrams: 1,
                char_ngrams: None,
                buckets: 0,
                binary: true,
            },
            bigrams_from_tokens: None,
            multi_label: None,
            network: NetworkConfig {
                dim: 20,
                combine: Combine::Sum,
                embedding_activation: Activation::Sigmoid,
                hidden: Vec::new(),
                hidden_activation: Activation::Sigmoid,
                loss: Loss::Squared,
                bias: false,
                init: Init::Uniform(1.0),
                ..NetworkConfig::default()
            },
            optimizer: OptimizerConfig::default(),
            learning_rate: 0.1,
            schedule: Schedule::Constant,
            epochs: 100_000,
            batch: Batch::Full,
            reduction: Reduction::Sum,
            dropout: 0.0,
            seed: 1,
            stop_when_error_rises_every: Some(10_000),
            threshold: 0.2,
            valid_split: None,
            early_stopping: None,
            threads: 1,
            epochs_chosen: None,
            representations: None,
            representation_chosen: None,
        }
    }

    /// The preset called `name` (`default`, `fasttext`, `blog`).
    pub fn preset(name: &str) -> Result<Self> {
        Ok(Self::from_preset(name.parse()?))
    }

    /// The settings of `preset`.
    pub fn from_preset(preset: Preset) -> Self {
        match preset {
            Preset::Default => Self::default_preset(),
            Preset::Fasttext => Self::fasttext(),
            Preset::Blog => Self::blog(),
        }
    }

    /// Checks every setting that does not depend on the data.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidConfig(m));
        self.features.validate()?;
        self.optimizer.validate()?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning rate must be positive and finite, got {}",
                self.learning_rate
            ));
        }
        if self.epochs == 0 {
            return bad("epochs must be at least 1, got 0".into());
        }
        if self.batch == Batch::Size(0) {
            return bad("batch must be at least 1, got 0".into());
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!("dropout must be in [0, 1), got {}", self.dropout));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return bad(format!(
                "threshold must be in [0, 1], got {}",
                self.threshold
            ));
        }
        if self.min_count == 0 {
            return bad("min-count must be at least 1, got 0".into());
        }
        if let Some(f) = self.valid_split {
            if !(f > 0.0 && f <= 0.5) {
                return bad(format!("valid-split must be in (0, 0.5], got {f}"));
            }
        }
        if self.threads == 0 {
            return bad("threads must be at least 1, got 0".into());
        }
        if self.early_stopping == Some(0) {
            return bad("early-stopping patience must be at least 1 epoch, got 0".into());
        }
        if self.stop_when_error_rises_every == Some(0) {
            return bad("the error-rise check interval must be at least 1 epoch".into());
        }
        let probe = NetworkConfig {
            input_rows: 1,
            n_labels: 1,
            ..self.network.clone()
        };
        probe.validate()?;
        Ok(())
    }
}

/// Token count from which the default preset adds word bigrams.
///
/// Measured (README, "Why these defaults"): with idf weighting and L2
/// normalisation, bigrams seen once or twice get the largest weights and
/// overfit small corpora (ha_intents 48 k tokens: −0.8 points, bbc_news
/// 650 k tokens: −0.3) but help once there are millions of tokens
/// (debian_sections 3 M tokens: +3 points).
pub const DEFAULT_BIGRAMS_FROM_TOKENS: u64 = 1_500_000;

/// The record a model keeps of how its number of epochs was chosen
/// ([`TrainConfig::epochs_chosen`]; `epochs` holds the count itself), by
/// [`crate::train::auto_epochs`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochsChosen {
    /// Fraction of the training examples held out for the choice.
    pub fraction: f32,
    /// Epochs of the probe run.
    pub max_epochs: usize,
    /// Validation loss at the chosen epoch of the probe run.
    pub valid_loss: f64,
    /// Validation accuracy at the chosen epoch of the probe run.
    pub valid_accuracy: f64,
}

/// A way of turning text into features: the tokens, their case and the
/// character n-grams. The default preset trains each on a validation slice
/// and keeps the best ([`crate::train::race`]); the rest of the
/// network (the idf-weighted, L2-normalised bag, the softmax) is the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Representation {
    /// Unicode words, numbers and emoji, lowercased; punctuation dropped.
    Words,
    /// Words, numbers and emoji with their case, and every punctuation and
    /// symbol character as a token of its own (code, emoticons, the "To"
    /// and ";" that tell a verb's definition from a noun's).
    Symbols,
    /// Character n-grams of 1 to 4 characters of each whitespace-separated
    /// chunk with its case and symbols, besides the chunk itself and word
    /// bigrams: scripts written without spaces, language identification,
    /// operators in code (`->`, `:=`), emoticons, typos.
    Chars,
}

impl Representation {
    /// Every representation, in the order they are tried (ties go to the
    /// earlier).
    pub const ALL: [Representation; 3] = [
        Representation::Words,
        Representation::Symbols,
        Representation::Chars,
    ];

    /// The name printed and stored.
    pub fn name(self) -> &'static str {
        match self {
            Representation::Words => "words",
            Representation::Symbols => "symbols",
            Representation::Chars => "chars",
        }
    }

    /// What it is, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Representation::Words => "lowercased words",
            Representation::Symbols => "words with their case, punctuation and symbols",
            Representation::Chars => {
                "space-separated chunks, their bigrams and character 1-4-grams"
            }
        }
    }

    /// `config` with this representation's tokens and features.
    pub fn apply(self, config: &mut TrainConfig) {
        match self {
            Representation::Words => {
                config.text.tokenizer = TokenizerKind::Unicode;
                config.text.lowercase = true;
                config.features.char_ngrams = None;
            }
            Representation::Symbols => {
                config.text.tokenizer = TokenizerKind::Symbols;
                config.text.lowercase = false;
                config.features.char_ngrams = None;
            }
            Representation::Chars => {
                config.text.tokenizer = TokenizerKind::Whitespace;
                config.text.lowercase = false;
                config.features.char_ngrams = Some((1, 4));
                config.bigrams_from_tokens = None;
                config.features.word_ngrams = 2;
            }
        }
    }
}

impl std::fmt::Display for Representation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a candidate representation scored on the validation slice: the
/// mean of its last two epochs in the last round it ran.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateScore {
    /// The candidate.
    pub representation: Representation,
    /// Validation accuracy after the trial epochs.
    pub valid_accuracy: f64,
    /// Validation loss after the trial epochs.
    pub valid_loss: f64,
    /// Epochs trained when it was scored (0 in models made before the
    /// race: their trials all trained `trial_epochs`).
    #[serde(default)]
    pub epochs: usize,
}

impl std::fmt::Display for CandidateScore {
    /// "symbols 0.8288 after 6 epochs" (the epochs left out when the
    /// record has none).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:.4}", self.representation, self.valid_accuracy)?;
        if self.epochs > 0 {
            write!(f, " after {} epochs", self.epochs)?;
        }
        Ok(())
    }
}

/// The record a model keeps of how its representation was chosen
/// ([`TrainConfig::representation_chosen`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RepresentationChosen {
    /// The representation the model uses.
    pub chosen: Representation,
    /// Fraction of the training examples held out for the choice.
    pub fraction: f32,
    /// Epochs of the race's first round (each later round doubles them).
    pub trial_epochs: usize,
    /// Every candidate's score, in the order tried.
    pub scores: Vec<CandidateScore>,
}
