//! Choosing how text becomes features on a validation slice of the
//! training data: the default preset's answer to data of kinds it was not
//! tuned on.
//!
//! ```text
//! examples ─▶ stratified, seeded split: 90 % fit │ 10 % validation
//!          ─▶ for each candidate representation (words, symbols, chars):
//!                train `epochs` epochs on the 90 %, measure the 10 %
//!          ─▶ keep the highest validation accuracy (ties: lower loss, then
//!             the earlier candidate)
//! ```
//!
//! Why a choice and not one representation: lowercased words without
//! punctuation win on topics and intents, but lose 8 points on source code
//! (operators are dropped), several on language identification (an unseen
//! word is no evidence, its letters are) and on dictionary definitions
//! (the case of "To" and the ";" tell a verb from a noun); BENCHMARKS.md
//! has the measurements. The trial runs use the preset's inverse learning
//! rate (its rate at epoch `e` does not depend on the run's length), so a
//! few epochs rank the candidates as the full runs would, at a fraction of
//! their cost. The choice is deterministic: the same data, settings, seed
//! and threads choose the same.

use super::{train_from, Examples, RunOptions, TrainConfig, TrainEvent};
use crate::config::{CandidateScore, Representation, RepresentationChosen};
use crate::Result;

/// How the representations are tried.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    /// Fraction of the training examples held out (stratified by first
    /// label, drawn with the training seed).
    pub fraction: f32,
    /// Epochs each candidate trains.
    pub epochs: usize,
}

impl Default for Trial {
    /// 10 % held out (the epoch probe's slice), 3 epochs each.
    fn default() -> Self {
        Trial {
            fraction: 0.1,
            epochs: 3,
        }
    }
}

/// Trains each of `config.representations` for `trial.epochs` epochs on
/// all but a `trial.fraction` slice of `examples` and returns the record of
/// the best; `None` when `config` has no candidates or nothing could be
/// held out. `observer` sees each trial's events with its candidate. The
/// trial runs take only `run`'s stop flag, cache folder and execution.
pub fn choose_representation(
    config: &TrainConfig,
    examples: &Examples,
    trial: &Trial,
    run: &RunOptions,
    observer: &mut dyn FnMut(Representation, &TrainEvent),
) -> Result<Option<RepresentationChosen>> {
    let Some(candidates) = config.representations.as_deref() else {
        return Ok(None);
    };
    let trial_run = RunOptions {
        stop: run.stop,
        cache_dir: run.cache_dir,
        execution: run.execution,
        ..RunOptions::default()
    };
    let mut scores = Vec::with_capacity(candidates.len());
    for &candidate in candidates {
        let mut trial_config = TrainConfig {
            epochs: trial.epochs,
            valid_split: Some(trial.fraction),
            early_stopping: None,
            epochs_chosen: None,
            representations: None,
            representation_chosen: None,
            ..config.clone()
        };
        candidate.apply(&mut trial_config);
        let mut last = None;
        train_from(&trial_config, examples, &trial_run, &mut |event| {
            if let TrainEvent::Epoch(stats) = event {
                if let (Some(loss), Some(accuracy)) = (stats.valid_loss, stats.valid_accuracy) {
                    last = Some((accuracy, loss));
                }
            }
            observer(candidate, event);
        })?;
        // With a single example per label nothing is held out.
        let Some((valid_accuracy, valid_loss)) = last else {
            return Ok(None);
        };
        scores.push(CandidateScore {
            representation: candidate,
            valid_accuracy,
            valid_loss,
        });
    }
    Ok(best(&scores).map(|chosen| RepresentationChosen {
        chosen,
        fraction: trial.fraction,
        trial_epochs: trial.epochs,
        scores,
    }))
}

/// The highest accuracy; among equals (to 1e-12), the lower loss; among
/// equals, the earlier. A non-finite loss never wins.
pub fn best(scores: &[CandidateScore]) -> Option<Representation> {
    let finite = || {
        scores
            .iter()
            .filter(|s| s.valid_loss.is_finite() && s.valid_accuracy.is_finite())
    };
    let top = finite()
        .map(|s| s.valid_accuracy)
        .fold(f64::NEG_INFINITY, f64::max);
    finite()
        .enumerate()
        .filter(|(_, s)| s.valid_accuracy >= top - 1e-12)
        .min_by(|(i, a), (j, b)| a.valid_loss.total_cmp(&b.valid_loss).then(i.cmp(j)))
        .map(|(_, s)| s.representation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(representation: Representation, accuracy: f64, loss: f64) -> CandidateScore {
        CandidateScore {
            representation,
            valid_accuracy: accuracy,
            valid_loss: loss,
        }
    }

    #[test]
    fn best_prefers_accuracy_then_loss_then_order() {
        use Representation::*;
        let pick = |s: &[CandidateScore]| best(s);
        assert_eq!(
            pick(&[score(Words, 0.9, 0.3), score(Chars, 0.95, 0.5)]),
            Some(Chars)
        );
        assert_eq!(
            pick(&[score(Words, 0.9, 0.3), score(Chars, 0.9, 0.2)]),
            Some(Chars)
        );
        assert_eq!(
            pick(&[score(Words, 0.9, 0.2), score(Chars, 0.9, 0.2)]),
            Some(Words)
        );
        assert_eq!(
            pick(&[score(Words, 0.99, f64::NAN), score(Chars, 0.5, 0.2)]),
            Some(Chars)
        );
        assert_eq!(pick(&[]), None);
    }
}
