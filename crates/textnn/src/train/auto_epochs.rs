//! Choosing the number of epochs on a validation slice of the training data.
//!
//! ```text
//! examples ─▶ stratified, seeded split: 90 % fit │ 10 % validation
//!          ─▶ train on the 90 % for up to `max_epochs` epochs, measuring the
//!             validation loss after every epoch
//!          ─▶ epochs = the fewest whose validation loss is within
//!             `tolerance` (relative) of the lowest
//!          ─▶ train on all the examples for that many epochs
//! ```
//!
//! The validation loss, not the accuracy, decides: on a slice of a few
//! hundred texts the accuracy moves in steps of one text and is often flat
//! for dozens of epochs (bbc_news: 0.9825 from epoch 1 to 40), while the
//! loss still says which epochs fit the held-out texts better. The
//! tolerance turns the long flat tail of a decaying learning rate (the loss
//! still falling in the fifth digit) into a tie, and ties go to fewer
//! epochs: cheaper, and no worse on what the slice can tell apart.
//!
//! The probe run uses the learning-rate schedule of `max_epochs`, so the
//! rate at its epoch `e` is higher than at the end of an `e`-epoch run; the
//! final run decays fully over the chosen epochs. The choice is a count of
//! passes over the data, not a snapshot of the probe's weights.
//!
//! ```
//! use textnn::train::auto_epochs::{choose, EpochPoint};
//! let curve = [(1, 0.50), (2, 0.30), (3, 0.2990), (4, 0.31)]
//!     .map(|(epoch, valid_loss)| EpochPoint { epoch, valid_loss, valid_accuracy: 0.9 });
//! // Epoch 3 is lowest, but epoch 2 is within 1 % of it: fewer epochs win.
//! assert_eq!(choose(&curve, 0.01).unwrap().epoch, 2);
//! ```

use super::{train_from, Examples, RunOptions, TrainConfig, TrainEvent};
use crate::model::Classifier;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How the number of epochs is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutoEpochs {
    /// Fraction of the training examples held out (stratified by first
    /// label, drawn with the training seed).
    pub fraction: f32,
    /// Longest run tried: the probe trains this many epochs.
    pub max_epochs: usize,
    /// Relative tolerance on the validation loss: an epoch whose loss is
    /// at most `(1 + tolerance) ×` the lowest ties with it.
    pub tolerance: f64,
}

impl Default for AutoEpochs {
    /// 10 % held out, up to 40 epochs, 1 % tolerance (BENCHMARKS.md, "How
    /// the default was chosen").
    fn default() -> Self {
        AutoEpochs {
            fraction: 0.1,
            max_epochs: 40,
            tolerance: 0.01,
        }
    }
}

/// What the validation slice said after one epoch of the probe run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochPoint {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean loss on the validation slice.
    pub valid_loss: f64,
    /// Accuracy on the validation slice.
    pub valid_accuracy: f64,
}

/// The record a model keeps of how its number of epochs was chosen
/// ([`TrainConfig::epochs_chosen`]; `epochs` holds the count itself).
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

/// The outcome of [`choose_epochs`].
#[derive(Clone, Debug, PartialEq)]
pub struct EpochChoice {
    /// The chosen point of the curve (its `epoch` is the count).
    pub chosen: EpochPoint,
    /// Every epoch of the probe run.
    pub curve: Vec<EpochPoint>,
    /// The settings used.
    pub auto: AutoEpochs,
}

impl EpochChoice {
    /// What the model records.
    pub fn record(&self) -> EpochsChosen {
        EpochsChosen {
            fraction: self.auto.fraction,
            max_epochs: self.auto.max_epochs,
            valid_loss: self.chosen.valid_loss,
            valid_accuracy: self.chosen.valid_accuracy,
        }
    }
}

/// What [`train_auto`] reports besides the trainer's own events.
#[derive(Clone, Debug, PartialEq)]
pub enum AutoEvent<'a> {
    /// An event of the probe run (on the training part of the slice).
    Probe(&'a TrainEvent),
    /// The number of epochs is chosen; the final run starts.
    Chosen(&'a EpochChoice),
    /// The validation slice held no example (every label has a single
    /// one): the configured epochs are used.
    NoSlice,
    /// An event of the final run, on all the examples.
    Final(&'a TrainEvent),
}

/// The fewest epochs whose validation loss is within `tolerance` of the
/// lowest (`None` for an empty curve; non-finite losses never win).
pub fn choose(curve: &[EpochPoint], tolerance: f64) -> Option<&EpochPoint> {
    let lowest = curve
        .iter()
        .map(|p| p.valid_loss)
        .filter(|l| l.is_finite())
        .fold(f64::INFINITY, f64::min);
    curve
        .iter()
        .filter(|p| p.valid_loss.is_finite())
        .find(|p| p.valid_loss <= lowest * (1.0 + tolerance))
}

/// Trains `config` for `auto.max_epochs` epochs on all but a stratified
/// `auto.fraction` of `examples` (the trainer's `valid_split`), measures
/// the held-out part after every epoch and chooses the number of epochs
/// ([`choose`]); `None` when nothing could be held out. The probe run
/// takes only `run`'s stop flag and cache folder: its own validation is
/// the slice, and it writes no checkpoints.
pub fn choose_epochs(
    config: &TrainConfig,
    examples: &Examples,
    auto: &AutoEpochs,
    run: &RunOptions,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<Option<EpochChoice>> {
    validate(auto)?;
    let probe = TrainConfig {
        epochs: auto.max_epochs,
        valid_split: Some(auto.fraction),
        early_stopping: None,
        epochs_chosen: None,
        ..config.clone()
    };
    let probe_run = RunOptions {
        stop: run.stop,
        cache_dir: run.cache_dir,
        ..RunOptions::default()
    };
    let mut curve = Vec::with_capacity(auto.max_epochs);
    train_from(&probe, examples, &probe_run, &mut |event| {
        if let TrainEvent::Epoch(stats) = event {
            if let (Some(valid_loss), Some(valid_accuracy)) =
                (stats.valid_loss, stats.valid_accuracy)
            {
                curve.push(EpochPoint {
                    epoch: stats.epoch,
                    valid_loss,
                    valid_accuracy,
                });
            }
        }
        observer(event);
    })?;
    // Each label keeps at least one example for training, so with a
    // single example per label the slice is empty and so is the curve.
    Ok(choose(&curve, auto.tolerance).map(|&chosen| EpochChoice {
        chosen,
        curve: curve.clone(),
        auto: *auto,
    }))
}

/// Chooses the number of epochs ([`choose_epochs`]), then trains on all of
/// `examples` for that many with `run`. The model's settings say the count
/// (`epochs`) and how it was chosen (`epochs_chosen`). When nothing can be
/// held out, trains `config.epochs` epochs and reports [`AutoEvent::NoSlice`].
pub fn train_auto(
    config: &TrainConfig,
    examples: &Examples,
    auto: &AutoEpochs,
    run: &RunOptions,
    observer: &mut dyn FnMut(AutoEvent),
) -> Result<(Classifier, Option<EpochChoice>)> {
    config.validate()?;
    let choice = choose_epochs(config, examples, auto, run, &mut |event| {
        observer(AutoEvent::Probe(event))
    })?;
    let final_config = match &choice {
        Some(choice) => {
            observer(AutoEvent::Chosen(choice));
            TrainConfig {
                epochs: choice.chosen.epoch,
                epochs_chosen: Some(choice.record()),
                ..config.clone()
            }
        }
        None => {
            observer(AutoEvent::NoSlice);
            config.clone()
        }
    };
    let model = train_from(&final_config, examples, run, &mut |event| {
        observer(AutoEvent::Final(event))
    })?;
    Ok((model, choice))
}

fn validate(auto: &AutoEpochs) -> Result<()> {
    let bad = |m: String| Err(Error::InvalidConfig(m));
    if !(auto.fraction > 0.0 && auto.fraction <= 0.5) {
        return bad(format!(
            "the epoch-choice slice must be in (0, 0.5], got {}",
            auto.fraction
        ));
    }
    if auto.max_epochs == 0 {
        return bad("the epoch choice needs at least 1 epoch, got 0".into());
    }
    if !(auto.tolerance.is_finite() && auto.tolerance >= 0.0) {
        return bad(format!(
            "the epoch-choice tolerance must be finite and not negative, got {}",
            auto.tolerance
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Example;
    use rand::{Rng, SeedableRng};

    /// `n` texts of 8 random words from a vocabulary of 40 and a random
    /// label of two. With `signal`, each text also holds one of three
    /// words that only its label uses (learnable); without, there is
    /// nothing to learn, only texts to memorise.
    fn corpus(n: usize, signal: bool) -> Vec<Example> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        (0..n)
            .map(|i| {
                let label = rng.gen_range(0..2);
                let mut text: Vec<String> =
                    (0..8).map(|_| format!("w{}", rng.gen_range(0..40))).collect();
                if signal {
                    text.push(format!("marker{label}x{}", rng.gen_range(0..3)));
                }
                Example {
                    text: text.join(" "),
                    labels: vec![format!("l{label}")],
                    line: i + 1,
                }
            })
            .collect()
    }

    fn small() -> (TrainConfig, AutoEpochs) {
        let config = TrainConfig {
            threads: 1,
            ..TrainConfig::default_preset()
        };
        let auto = AutoEpochs {
            fraction: 0.2,
            max_epochs: 20,
            tolerance: 0.0,
        };
        (config, auto)
    }

    fn choice(examples: &[Example]) -> EpochChoice {
        let (config, auto) = small();
        let run = RunOptions::default();
        choose_epochs(&config, &Examples::Memory(examples), &auto, &run, &mut |_| {})
            .unwrap()
            .expect("a slice of 20 % of 300 examples is not empty")
    }

    #[test]
    fn labels_that_can_only_be_memorised_get_few_epochs() {
        // Random labels: every epoch after the first fits noise, so the
        // held-out loss is lowest early.
        let noise = choice(&corpus(300, false));
        assert_eq!(noise.curve.len(), 20);
        assert!(noise.chosen.epoch <= 5, "{:?}", noise.chosen);
        // A learnable rule: the held-out loss falls for most of the run.
        let signal = choice(&corpus(300, true));
        assert!(signal.chosen.epoch >= 10, "{:?}", signal.chosen);
    }

    #[test]
    fn the_model_records_the_chosen_count_and_training_is_deterministic() {
        let (config, auto) = small();
        let examples = corpus(300, true);
        let train = || {
            let mut events = Vec::new();
            let (model, choice) = train_auto(
                &config,
                &Examples::Memory(&examples),
                &auto,
                &RunOptions::default(),
                &mut |event| {
                    events.push(match event {
                        AutoEvent::Probe(_) => "probe",
                        AutoEvent::Chosen(_) => "chosen",
                        AutoEvent::NoSlice => "none",
                        AutoEvent::Final(_) => "final",
                    })
                },
            )
            .unwrap();
            // The probe's events come first, then the choice, then the final run's.
            let chosen_at = events.iter().position(|&e| e == "chosen").unwrap();
            assert!(events[..chosen_at].iter().all(|&e| e == "probe"));
            assert!(events[chosen_at + 1..].iter().all(|&e| e == "final"));
            (model, choice.unwrap())
        };
        let (model, choice) = train();
        let settings = model.settings();
        assert_eq!(settings.epochs, choice.chosen.epoch);
        assert_eq!(settings.epochs_chosen, Some(choice.record()));
        assert_eq!(settings.epochs_chosen.unwrap().max_epochs, 20);
        // Same data, seed and threads: the same choice and the same model.
        let (again, again_choice) = train();
        assert_eq!(again_choice, choice);
        for text in ["w1 w2 w3", "w4 w5", "w0"] {
            assert_eq!(model.predict(text, 2, 0.0), again.predict(text, 2, 0.0));
        }
    }

    #[test]
    fn one_example_per_label_leaves_nothing_to_hold_out() {
        let (config, auto) = small();
        let examples = corpus(2, true);
        let mut no_slice = false;
        let (model, choice) = train_auto(
            &config,
            &Examples::Memory(&examples),
            &auto,
            &RunOptions::default(),
            &mut |event| no_slice |= event == AutoEvent::NoSlice,
        )
        .unwrap();
        assert!(choice.is_none() && no_slice);
        assert_eq!(model.settings().epochs, config.epochs);
        assert_eq!(model.settings().epochs_chosen, None);
    }

    fn curve(losses: &[f64]) -> Vec<EpochPoint> {
        losses
            .iter()
            .enumerate()
            .map(|(i, &valid_loss)| EpochPoint {
                epoch: i + 1,
                valid_loss,
                valid_accuracy: 0.5,
            })
            .collect()
    }

    #[test]
    fn choose_takes_the_fewest_epochs_within_the_tolerance() {
        // (validation losses by epoch, tolerance, chosen epoch)
        let table: [(&[f64], f64, Option<usize>); 7] = [
            (&[], 0.01, None),
            (&[0.5], 0.01, Some(1)),
            // Falling, then rising: the lowest.
            (&[0.5, 0.3, 0.2, 0.25, 0.4], 0.0, Some(3)),
            // A long flat tail ties with its end: the first within 1 %.
            (&[0.5, 0.0450, 0.0449, 0.0448, 0.0446], 0.01, Some(2)),
            // The same tail without tolerance: the very lowest.
            (&[0.5, 0.0450, 0.0449, 0.0448, 0.0446], 0.0, Some(5)),
            // Equal losses: the earlier epoch.
            (&[0.3, 0.2, 0.2], 0.0, Some(2)),
            // A NaN or infinite loss never wins.
            (&[f64::NAN, f64::INFINITY, 0.4], 0.0, Some(3)),
        ];
        for (losses, tolerance, expected) in table {
            let points = curve(losses);
            let got = choose(&points, tolerance).map(|p| p.epoch);
            assert_eq!(got, expected, "{losses:?} tolerance {tolerance}");
        }
    }

    #[test]
    fn bad_settings_are_refused() {
        for auto in [
            AutoEpochs {
                fraction: 0.0,
                ..AutoEpochs::default()
            },
            AutoEpochs {
                fraction: 0.7,
                ..AutoEpochs::default()
            },
            AutoEpochs {
                max_epochs: 0,
                ..AutoEpochs::default()
            },
            AutoEpochs {
                tolerance: -0.1,
                ..AutoEpochs::default()
            },
        ] {
            assert!(validate(&auto).is_err(), "{auto:?}");
        }
        assert!(validate(&AutoEpochs::default()).is_ok());
    }
}
