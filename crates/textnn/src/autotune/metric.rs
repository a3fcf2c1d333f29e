//! What a trial is scored on: accuracy, macro F1, or the F1 of one label,
//! measured on the validation examples with the model's top label
//! (`k = 1`, threshold 0), as `textnn test` computes them:
//!
//! ```text
//! accuracy  = #{examples whose top label is gold} / examples
//! f1        = mean over labels of 2·tp / (support + predicted)
//! f1:LABEL  = 2·tp / (support + predicted) of LABEL alone
//! ```
//!
//! ```
//! use textnn::autotune::Metric;
//! assert_eq!("f1:spam".parse::<Metric>().unwrap(), Metric::LabelF1("spam".into()));
//! assert_eq!(Metric::Accuracy.to_string(), "accuracy");
//! ```

use crate::data::Example;
use crate::metrics::Evaluator;
use crate::{Classifier, Error, Result};

/// The figure the search maximises.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Fraction of examples whose top label is one of theirs.
    Accuracy,
    /// Unweighted mean F1 over labels ([`crate::metrics::Report::macro_f1`]).
    MacroF1,
    /// F1 of this one label.
    LabelF1(String),
}

impl std::str::FromStr for Metric {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "accuracy" => Ok(Metric::Accuracy),
            "f1" => Ok(Metric::MacroF1),
            _ => match s.strip_prefix("f1:") {
                Some(label) if !label.is_empty() => Ok(Metric::LabelF1(label.to_string())),
                _ => Err(Error::InvalidConfig(format!(
                    "metric must be accuracy, f1 or f1:LABEL, got {s:?}"
                ))),
            },
        }
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Metric::Accuracy => write!(f, "accuracy"),
            Metric::MacroF1 => write!(f, "f1"),
            Metric::LabelF1(label) => write!(f, "f1:{label}"),
        }
    }
}

impl Metric {
    /// Checks that a model trained on `training` can be scored: the label
    /// of `f1:LABEL` must occur there, or no model could ever predict it.
    pub fn check_labels(&self, training: &[Example]) -> Result<()> {
        if let Metric::LabelF1(label) = self {
            if !training.iter().any(|e| e.labels.contains(label)) {
                return Err(Error::InvalidConfig(format!(
                    "metric f1:{label}: label {label:?} does not occur in the training data"
                )));
            }
        }
        Ok(())
    }

    /// Scores `model` on `examples` (higher is better, in [0, 1]).
    pub fn score(&self, model: &Classifier, examples: &[Example]) -> Result<f64> {
        let mut evaluator = Evaluator::new(model.labels().names().to_vec(), 1);
        let mut scratch = model.scratch();
        let (mut gold, mut unseen) = (Vec::new(), Vec::new());
        for example in examples {
            model
                .labels()
                .split_known(&example.labels, &mut gold, &mut unseen);
            let predicted = model.predict_with(&example.text, 1, 0.0, &mut scratch);
            evaluator.add(&gold, &unseen, &predicted, None);
        }
        let report = evaluator.finish();
        match self {
            Metric::Accuracy => Ok(report.accuracy),
            Metric::MacroF1 => Ok(report.macro_f1),
            Metric::LabelF1(name) => report
                .labels
                .iter()
                .find(|l| &l.label == name)
                .map(|l| l.f1)
                .ok_or_else(|| {
                    Error::InvalidConfig(format!(
                        "metric f1:{name}: the model has no label {name:?}"
                    ))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autotune::ex;

    #[test]
    fn metric_names_parse_and_print_back() {
        let cases = [
            ("accuracy", Some(Metric::Accuracy)),
            ("f1", Some(Metric::MacroF1)),
            ("f1:spam", Some(Metric::LabelF1("spam".into()))),
            ("f1:a:b", Some(Metric::LabelF1("a:b".into()))),
            ("f1:", None),
            ("F1", None),
            ("precision", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = text.parse::<Metric>().ok();
            assert_eq!(parsed, expected, "{text:?}");
            if let Some(metric) = parsed {
                assert_eq!(metric.to_string(), text);
            }
        }
        let message = "f1:".parse::<Metric>().unwrap_err().to_string();
        assert!(message.contains("accuracy, f1 or f1:LABEL"), "{message}");
    }

    #[test]
    fn label_metric_needs_a_training_label() {
        let data = [ex("a", "spam"), ex("b", "ham")];
        assert!(Metric::LabelF1("spam".into()).check_labels(&data).is_ok());
        let err = Metric::LabelF1("eggs".into())
            .check_labels(&data)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"eggs\" does not occur"), "{err}");
        assert!(Metric::Accuracy.check_labels(&data).is_ok());
    }

    #[test]
    fn scores_match_hand_counts() {
        let train = [
            ex("cheap pills now", "spam"),
            ex("cheap offer pills", "spam"),
            ex("meeting at noon", "ham"),
            ex("lunch meeting today", "ham"),
        ];
        let config = crate::TrainConfig {
            epochs: 50,
            learning_rate: 0.5,
            ..crate::TrainConfig::fasttext()
        };
        let model = crate::train(&config, &train, &mut |_| {}).unwrap();
        // Two right, one wrong on purpose ("ham" text labelled spam).
        let valid = [
            ex("cheap pills", "spam"),
            ex("meeting noon", "ham"),
            ex("meeting noon", "spam"),
        ];
        let accuracy = Metric::Accuracy.score(&model, &valid).unwrap();
        assert!((accuracy - 2.0 / 3.0).abs() < 1e-12, "{accuracy}");
        // spam: tp 1, support 2, predicted 1 -> 2/3; ham: tp 1, support 1,
        // predicted 2 -> 2/3; the mean is 2/3 as well.
        let spam = Metric::LabelF1("spam".into())
            .score(&model, &valid)
            .unwrap();
        assert!((spam - 2.0 / 3.0).abs() < 1e-12, "{spam}");
        let macro_f1 = Metric::MacroF1.score(&model, &valid).unwrap();
        assert!((macro_f1 - 2.0 / 3.0).abs() < 1e-12, "{macro_f1}");
        assert!(Metric::LabelF1("eggs".into())
            .score(&model, &valid)
            .is_err());
    }
}
