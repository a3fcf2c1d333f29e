//! The training plan: the one place where settings are decided from the
//! data.
//!
//! A [`TrainConfig`] says what the user (or a preset) asked for; some of
//! its settings are rules that only the data can settle: word bigrams from
//! the token count ([`TrainConfig::bigrams_from_tokens`]), the multi-label
//! settings ([`TrainConfig::multi_label`]), and how many threads the
//! trainer can use. [`Plan::resolve`] settles them, once, from a
//! [`DataShape`] measured by the first pass over the data, and says why
//! ([`Decision`]). Every later stage reads the plan's `config`: the network
//! is built from it, the epochs run with its learning rate and schedule,
//! the model stores it, and the CLI prints the decisions and draws its
//! learning-rate curve from it.
//!
//! ```
//! use textnn::train::plan::{DataShape, Plan};
//! use textnn::TrainConfig;
//! let shape = DataShape { examples: 2_000, tokens: 3_000_000, multi_label: false };
//! let plan = Plan::resolve(&TrainConfig::default_preset(), &shape);
//! assert_eq!(plan.config.features.word_ngrams, 2);
//! assert!(plan.decisions[0].to_string().contains("3000000 tokens"));
//! ```

use super::sliced;
use crate::config::{MultiLabelSettings, TrainConfig};

/// What the first pass over the training data measured: all that the
/// plan's decisions depend on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DataShape {
    /// Training examples (a validation split's excluded).
    pub examples: usize,
    /// Tokens in the training texts.
    pub tokens: u64,
    /// Whether some training text has several labels.
    pub multi_label: bool,
}

/// One setting decided from the data, with the figures that decided it.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Word n-grams from the token count.
    WordNgrams {
        /// The n-gram length used (1 or 2).
        n: usize,
        /// Tokens in the training texts.
        tokens: u64,
        /// Bigrams from this many tokens.
        threshold: u64,
    },
    /// Multi-label data trains with these settings.
    MultiLabel(MultiLabelSettings),
    /// The trainer's threads.
    Threads {
        /// Threads asked for.
        asked: usize,
        /// Threads used.
        used: usize,
        /// Why fewer than asked, when fewer.
        why: Option<String>,
    },
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decision::WordNgrams {
                n,
                tokens,
                threshold,
            } => {
                let (words, relation) = match n {
                    1 => ("words only", "<"),
                    _ => ("words and bigrams", "≥"),
                };
                write!(
                    f,
                    "{words}, because the training texts hold {tokens} tokens ({relation} {threshold})"
                )
            }
            Decision::MultiLabel(s) => write!(
                f,
                "loss {}, lr {} {}, dim {}, because some training texts have several labels",
                s.loss, s.learning_rate, s.schedule, s.dim
            ),
            Decision::Threads { asked, used, why } => match why {
                Some(why) => write!(
                    f,
                    "{used} training thread(s) of {asked} asked, because {why}"
                ),
                None => write!(f, "{used} training thread(s)"),
            },
        }
    }
}

/// The settings a run trains with, and what the data decided in them.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The resolved settings: every rule of the asked-for config settled
    /// (`bigrams_from_tokens` keeps its value as a record, `multi_label` is
    /// `None`), `threads` the number the trainer uses.
    pub config: TrainConfig,
    /// What was decided from the data, in the order decided.
    pub decisions: Vec<Decision>,
}

impl Plan {
    /// Settles `config`'s data-dependent rules from `shape`.
    pub fn resolve(config: &TrainConfig, shape: &DataShape) -> Plan {
        let mut config = config.clone();
        let mut decisions = Vec::new();
        // Candidates are tried before the plan, by the caller that trains
        // them (`auto_epochs::train_auto`); a run given the candidates
        // directly trains the representation its settings already have.
        config.representations = None;
        if let Some(threshold) = config.bigrams_from_tokens {
            let n = if shape.tokens >= threshold { 2 } else { 1 };
            config.features.word_ngrams = n;
            decisions.push(Decision::WordNgrams {
                n,
                tokens: shape.tokens,
                threshold,
            });
        }
        if let Some(settings) = config.multi_label.take() {
            if shape.multi_label {
                settings.apply(&mut config);
                decisions.push(Decision::MultiLabel(settings));
            }
        }
        let asked = config.threads.max(1);
        let (used, why) = match sliced::supported(&config) {
            Ok(()) => {
                let used = sliced::effective_threads(asked, config.network.dim);
                let why = (used < asked).then(|| {
                    format!(
                        "each thread needs at least {} embedding columns",
                        sliced::MIN_COLUMNS_PER_THREAD
                    )
                });
                (used, why)
            }
            Err(why) => (1, (asked > 1).then_some(why)),
        };
        config.threads = used;
        decisions.push(Decision::Threads { asked, used, why });
        Plan { config, decisions }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Preset;
    use crate::nn::Loss;

    #[test]
    fn the_default_decides_bigrams_from_tokens_and_multi_label_settings() {
        let config = TrainConfig::from_preset(Preset::Default);
        let threshold = config.bigrams_from_tokens.unwrap();
        for (tokens, multi_label, ngrams, loss) in [
            (threshold - 1, false, 1, Loss::Softmax),
            (threshold, false, 2, Loss::Softmax),
            (10, true, 1, Loss::Huber),
        ] {
            let shape = DataShape {
                examples: 10,
                tokens,
                multi_label,
            };
            let plan = Plan::resolve(&config, &shape);
            assert_eq!(plan.config.features.word_ngrams, ngrams, "{tokens}");
            assert_eq!(plan.config.network.loss, loss, "{multi_label}");
            assert_eq!(plan.config.multi_label, None);
            let said = plan
                .decisions
                .iter()
                .any(|d| matches!(d, Decision::MultiLabel(_)));
            assert_eq!(said, multi_label);
        }
    }

    #[test]
    fn presets_without_rules_keep_their_settings_and_threads_are_explained() {
        let mut config = TrainConfig::from_preset(Preset::Blog);
        config.threads = 4;
        let plan = Plan::resolve(&config, &DataShape::default());
        assert_eq!(plan.config.features, config.features);
        assert_eq!(plan.config.threads, 1);
        let only = &plan.decisions[..];
        assert_eq!(only.len(), 1, "{only:?}");
        assert!(
            only[0].to_string().contains("batch full is not 1"),
            "{}",
            only[0]
        );
    }
}
