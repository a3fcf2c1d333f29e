//! Choosing the number of epochs on a validation slice of the training data.
//!
//! ```text
//! examples ─▶ stratified, seeded split: 90 % fit │ 10 % validation
//!          ─▶ train on the 90 % for `max_epochs` epochs, measuring the
//!             validation accuracy and loss after every epoch
//!          ─▶ smooth both curves: the mean over `window` epochs centred on
//!             each (fewer at the ends)
//!          ─▶ epochs = the highest smoothed accuracy from epoch
//!             `min_epochs` on; among equals, the lowest smoothed loss;
//!             among equals, the fewest epochs
//!          ─▶ train on all the examples for that many epochs
//! ```
//!
//! Accuracy first, because it is what the model is for: the validation
//! loss bottoms out long before the accuracy stops rising when a few
//! held-out texts become confidently wrong (debian_sections: loss lowest
//! at epoch 5 of 40, accuracy highest at 28; debian_debtags: 3 and 20), and
//! choosing by the loss cost 0.1–0.4 points of test accuracy on four of the
//! five shared datasets (BENCHMARKS.md, "How the default was chosen"). The
//! loss breaks the ties of a flat accuracy curve (bbc_news, seed 1: 0.9708
//! from epoch 2 to 40 on its 170-text slice). Smoothing keeps one lucky epoch
//! from winning: a slice of a few hundred texts moves in steps of one text.
//!
//! The probe run uses the learning-rate schedule of `max_epochs`. With the
//! default preset's inverse schedule (`η₀ / (1 + epochs done)`) the rate at
//! its epoch `e` is the rate of an `e`-epoch run, so the probe measures
//! the run it chooses (on 90 % of the data); with linear decay the probe's
//! rate at epoch `e` is higher, and the final run decays fully over the
//! chosen epochs. The choice is a count of passes over the data, not a
//! snapshot of the probe's weights.
//!
//! ```
//! use textnn::train::auto_epochs::{choose, EpochPoint};
//! let point = |epoch, valid_accuracy, valid_loss| EpochPoint { epoch, valid_loss, valid_accuracy };
//! let curve = [point(1, 0.80, 0.5), point(2, 0.90, 0.3), point(3, 0.90, 0.2), point(4, 0.85, 0.1)];
//! // Unsmoothed (window 1): epochs 2 and 3 share the best accuracy, and
//! // epoch 3 has the lower loss; epoch 4's lowest loss does not count.
//! assert_eq!(choose(&curve, 1).unwrap().epoch, 3);
//! ```

use super::race::{race, RaceEvent, RaceSettings, Round};
use super::{train_from, Examples, RunOptions, TrainConfig, TrainEvent};
pub use crate::config::EpochsChosen;
use crate::config::{Representation, RepresentationChosen};
use crate::model::Classifier;
use crate::{Error, Result};

/// How the number of epochs is chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutoEpochs {
    /// Fraction of the training examples held out (stratified by first
    /// label, drawn with the training seed).
    pub fraction: f32,
    /// Epochs of the probe run: the most that can be chosen.
    pub max_epochs: usize,
    /// Epochs averaged into each point of the smoothed curves (centred;
    /// fewer at the ends); 1 = no smoothing.
    pub window: usize,
    /// The fewest epochs that can be chosen (the earlier ones still count
    /// in the smoothing).
    pub min_epochs: usize,
    /// The probe stops once its best point is this many epochs back, and
    /// as many as it took to reach it ([`super::race::peaked`]).
    pub patience: usize,
}

impl Default for AutoEpochs {
    /// 10 % held out, up to 40 epochs, a window of 5, at least 5 epochs,
    /// a patience of 5 (BENCHMARKS.md, "How the default was chosen" and "The default after
    /// sublinear term frequency": on spamassassin's slice, flat at 0.99,
    /// one seed chose 1 epoch and tested 0.9780 against 0.9865 for 15).
    fn default() -> Self {
        AutoEpochs {
            fraction: 0.1,
            max_epochs: 40,
            window: 5,
            min_epochs: 5,
            patience: 5,
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
    /// An event of the probe run (trained on all but the slice, measured
    /// on the slice): the race's last runner, once it runs alone.
    Probe(&'a TrainEvent),
    /// The number of epochs is chosen; the final run starts.
    Chosen(&'a EpochChoice),
    /// The validation slice held no example (every label has a single
    /// one): the configured epochs are used.
    NoSlice,
    /// The data is multi-label and the settings have a rule for it
    /// ([`TrainConfig::multi_label`]): no probe, the configured epochs are
    /// used (see [`train_auto`]).
    MultiLabel,
    /// The run resumes from a checkpoint of a final run whose epochs were
    /// chosen: no probe, the checkpoint's `epochs` (see `record`).
    ChosenBefore {
        /// The number of epochs chosen before the interruption.
        epochs: usize,
        /// How they were chosen, as the model records it.
        record: &'a EpochsChosen,
    },
    /// An event of a candidate representation's run while it races the
    /// others ([`super::race`]).
    Trial(Representation, &'a TrainEvent),
    /// A round of the race ended: the scores and who goes on.
    Round(&'a Round),
    /// The representation was chosen: the record the model keeps.
    RepresentationChosen(&'a RepresentationChosen),
    /// An event of the final run, on all the examples.
    Final(&'a TrainEvent),
}

/// The epoch with the highest validation accuracy averaged over `window`
/// epochs centred on it; among equals, the lowest validation loss averaged
/// the same way; among equals, the earliest. `None` for an empty curve.
/// An epoch with a non-finite loss never wins, and non-finite values are
/// left out of the averages.
pub fn choose(curve: &[EpochPoint], window: usize) -> Option<&EpochPoint> {
    choose_at_least(curve, window, 1)
}

/// [`choose`] among the epochs from `min_epoch` on (or the last one, if
/// the curve is shorter); the smoothing still averages the earlier ones.
pub fn choose_at_least(
    curve: &[EpochPoint],
    window: usize,
    min_epoch: usize,
) -> Option<&EpochPoint> {
    let smoothed = smoothed_from(curve, window, min_epoch);
    let best_accuracy = smoothed
        .iter()
        .map(|&(_, a, _)| a)
        .fold(f64::NEG_INFINITY, f64::max);
    // Means of the same counts of the same values can differ in the last
    // bit by the order of addition; that is still a tie.
    let tied = |a: f64| a >= best_accuracy - 1e-12;
    smoothed
        .iter()
        .filter(|&&(_, a, _)| tied(a))
        .min_by(|x, y| x.2.total_cmp(&y.2).then(x.0.cmp(&y.0)))
        .map(|&(i, _, _)| &curve[i])
}

/// `(index, smoothed accuracy, smoothed loss)` of the epochs of `curve`
/// from `min_epoch` on (or the last one, if the curve is shorter) with a
/// finite loss and accuracy: each the mean over `window` epochs centred on
/// it (fewer at the ends), non-finite values left out of the means.
pub(crate) fn smoothed_from(
    curve: &[EpochPoint],
    window: usize,
    min_epoch: usize,
) -> Vec<(usize, f64, f64)> {
    let floor = min_epoch.min(curve.last().map_or(1, |p| p.epoch));
    let half = window.max(1) / 2;
    let mean_around = |i: usize, value: fn(&EpochPoint) -> f64| {
        let around = &curve[i.saturating_sub(half)..(i + half + 1).min(curve.len())];
        let finite: Vec<f64> = around.iter().map(value).filter(|v| v.is_finite()).collect();
        finite.iter().sum::<f64>() / finite.len().max(1) as f64
    };
    (0..curve.len())
        .filter(|&i| {
            curve[i].epoch >= floor
                && curve[i].valid_loss.is_finite()
                && curve[i].valid_accuracy.is_finite()
        })
        .map(|i| {
            (
                i,
                mean_around(i, |p| p.valid_accuracy),
                mean_around(i, |p| p.valid_loss),
            )
        })
        .collect()
}

/// Trains `config` for up to `auto.max_epochs` epochs on all but a
/// stratified `auto.fraction` of `examples` (the trainer's `valid_split`),
/// measures the held-out part after every epoch, stops once the curve has
/// peaked ([`super::race::peaked`]) and chooses the number of epochs
/// ([`choose_at_least`]); `None` when nothing could be held out. The probe
/// run takes only `run`'s stop flag, cache folder and execution: its own
/// validation is the slice, and it writes no checkpoints.
pub fn choose_epochs(
    config: &TrainConfig,
    examples: &Examples,
    auto: &AutoEpochs,
    run: &RunOptions,
    observer: &mut dyn FnMut(&TrainEvent),
) -> Result<Option<EpochChoice>> {
    validate(auto)?;
    let settings = RaceSettings {
        fraction: auto.fraction,
        ..RaceSettings::default()
    };
    let raced = race(
        config,
        &[],
        examples,
        &settings,
        Some(auto),
        auto.max_epochs,
        run,
        &mut |event| match event {
            RaceEvent::Trial(_, event) | RaceEvent::Probe(event) => observer(event),
            RaceEvent::Round(_) => {}
        },
    )?;
    Ok(raced.and_then(|raced| choice_of(raced.curve, auto)))
}

/// The epochs `auto` chooses on `curve`.
fn choice_of(curve: Vec<EpochPoint>, auto: &AutoEpochs) -> Option<EpochChoice> {
    let chosen = *choose_at_least(&curve, auto.window, auto.min_epochs)?;
    Some(EpochChoice {
        chosen,
        curve,
        auto: *auto,
    })
}

/// Chooses the number of epochs ([`choose_epochs`]), then trains on all of
/// `examples` for that many with `run`. The model's settings say the count
/// (`epochs`) and how it was chosen (`epochs_chosen`). When nothing can be
/// held out, trains `config.epochs` epochs and reports [`AutoEvent::NoSlice`].
///
/// Multi-label data under settings with a multi-label rule (the default
/// preset's) also trains `config.epochs` epochs, without a probe
/// ([`AutoEvent::MultiLabel`]): on debian_debtags the slice, drawn from
/// the training file and so rich in near-duplicate package descriptions,
/// peaked at epoch 4 of the probe's 40, and 4 epochs tested 0.809 P@1
/// against 0.814 for 10 and 25 (BENCHMARKS.md).
pub fn train_auto(
    config: &TrainConfig,
    examples: &Examples,
    auto: &AutoEpochs,
    run: &RunOptions,
    observer: &mut dyn FnMut(AutoEvent),
) -> Result<(Classifier, Option<EpochChoice>)> {
    train_choosing(config, examples, Some(auto), run, observer)
}

/// [`train_auto`] where choosing the epochs is optional, and where the
/// representation is chosen too when `config` has candidates
/// ([`TrainConfig::representations`]): one race on the validation slice
/// ([`super::race`]) chooses both. With `auto` `None` the race ends with
/// its rounds and the final run trains `config.epochs` epochs.
pub fn train_choosing(
    config: &TrainConfig,
    examples: &Examples,
    auto: Option<&AutoEpochs>,
    run: &RunOptions,
    observer: &mut dyn FnMut(AutoEvent),
) -> Result<(Classifier, Option<EpochChoice>)> {
    config.validate()?;
    if let Some(auto) = auto {
        validate(auto)?;
    }
    let max_epochs = auto.map_or(config.epochs, |a| a.max_epochs);
    let interrupted = |e: Error| match e {
        Error::Interrupted { epoch, .. } => Error::InterruptedChoosingEpochs {
            epoch,
            of: max_epochs,
        },
        other => other,
    };
    let final_run = |config: &TrainConfig, observer: &mut dyn FnMut(AutoEvent)| {
        train_from(config, examples, run, &mut |event| {
            observer(AutoEvent::Final(event))
        })
    };
    if config.multi_label.is_some() && examples.any_multi_label()? {
        observer(AutoEvent::MultiLabel);
        return Ok((final_run(config, observer)?, None));
    }
    if let Some(resumed) = chosen_before(config, run)? {
        if let Some(record) = &resumed.representation_chosen {
            observer(AutoEvent::RepresentationChosen(record));
        }
        if let Some(record) = &resumed.epochs_chosen {
            observer(AutoEvent::ChosenBefore {
                epochs: resumed.epochs,
                record,
            });
        }
        return Ok((final_run(&resumed, observer)?, None));
    }
    let candidates = config.representations.clone().unwrap_or_default();
    let mut config = TrainConfig {
        representations: None,
        ..config.clone()
    };
    if candidates.is_empty() && auto.is_none() {
        return Ok((final_run(&config, observer)?, None));
    }
    let settings = RaceSettings::default();
    let raced = race(
        &config,
        &candidates,
        examples,
        &settings,
        auto,
        max_epochs,
        run,
        &mut |event| match event {
            RaceEvent::Trial(r, event) => observer(AutoEvent::Trial(r, event)),
            RaceEvent::Round(round) => observer(AutoEvent::Round(round)),
            RaceEvent::Probe(event) => observer(AutoEvent::Probe(event)),
        },
    )
    .map_err(interrupted)?;
    let Some(raced) = raced else {
        observer(AutoEvent::NoSlice);
        return Ok((final_run(&config, observer)?, None));
    };
    if let Some(winner) = raced.winner {
        let record = RepresentationChosen {
            chosen: winner,
            fraction: settings.fraction,
            trial_epochs: settings.first_round,
            scores: raced.scores.clone(),
        };
        observer(AutoEvent::RepresentationChosen(&record));
        winner.apply(&mut config);
        config.representation_chosen = Some(record);
    }
    let choice = auto.and_then(|auto| choice_of(raced.curve, auto));
    if let Some(choice) = &choice {
        observer(AutoEvent::Chosen(choice));
        config.epochs = choice.chosen.epoch;
        config.epochs_chosen = Some(choice.record());
    }
    Ok((final_run(&config, observer)?, choice))
}

/// When `run` resumes a final run whose epochs or representation were
/// chosen on a validation slice: `config` with the checkpoint's epochs,
/// representation and their records, so that the trials and the probe
/// (which would choose the same) are not run again. `None` otherwise: no resume, or a checkpoint of a run without a
/// choice. Other differences from the checkpoint's settings are left to
/// the resumed run, which refuses them by name.
fn chosen_before(config: &TrainConfig, run: &RunOptions) -> Result<Option<TrainConfig>> {
    let Some(path) = run.resume else {
        return Ok(None);
    };
    let recorded = super::checkpoint::recorded_settings(path)?;
    let epochs = recorded
        .get("epochs")
        .and_then(|e| serde_json::from_value::<usize>(e.clone()).ok());
    let chosen = recorded
        .get("epochs_chosen")
        .and_then(|c| serde_json::from_value::<Option<EpochsChosen>>(c.clone()).ok())
        .flatten();
    let representation = recorded
        .get("representation_chosen")
        .and_then(|c| serde_json::from_value::<Option<RepresentationChosen>>(c.clone()).ok())
        .flatten();
    Ok(match (epochs, chosen, representation) {
        (Some(epochs), chosen, representation) if chosen.is_some() || representation.is_some() => {
            let mut resumed = TrainConfig {
                epochs,
                epochs_chosen: chosen,
                representations: None,
                ..config.clone()
            };
            if let Some(representation) = representation {
                representation.chosen.apply(&mut resumed);
                resumed.representation_chosen = Some(representation);
            }
            Some(resumed)
        }
        _ => None,
    })
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
    if auto.window == 0 {
        return bad("the epoch-choice window must be at least 1 epoch, got 0".into());
    }
    if auto.patience == 0 {
        return bad("the epoch-choice patience must be at least 1 epoch, got 0".into());
    }
    if auto.min_epochs == 0 || auto.min_epochs > auto.max_epochs {
        return bad(format!(
            "the fewest epochs to choose must be from 1 to the probe's {}, got {}",
            auto.max_epochs, auto.min_epochs
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Example;
    use rand::{Rng, SeedableRng};

    /// `n` texts, each with a random label of two, 8 random words from a
    /// vocabulary of `words`, and one of three marker words of a label:
    /// its own label's with probability `agree`, else the other's.
    fn corpus(n: usize, words: usize, agree: f64) -> Vec<Example> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        (0..n)
            .map(|i| {
                let label = rng.gen_range(0..2);
                let mut text: Vec<String> = (0..8)
                    .map(|_| format!("w{}", rng.gen_range(0..words)))
                    .collect();
                let marker = if rng.gen_bool(agree) {
                    label
                } else {
                    1 - label
                };
                text.push(format!("marker{marker}x{}", rng.gen_range(0..3)));
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
            // These tests are about the epochs; the representation choice
            // has its own below.
            representations: None,
            ..TrainConfig::default_preset()
        };
        let auto = AutoEpochs {
            fraction: 0.2,
            max_epochs: 20,
            window: 3,
            min_epochs: 1,
            // Never stops early: these tests compare whole curves.
            patience: 20,
        };
        (config, auto)
    }

    fn choice(examples: &[Example]) -> EpochChoice {
        let (config, auto) = small();
        let run = RunOptions::default();
        choose_epochs(
            &config,
            &Examples::Memory(examples),
            &auto,
            &run,
            &mut |_| {},
        )
        .unwrap()
        .expect("a slice of 20 % of 300 examples is not empty")
    }

    #[test]
    fn noisy_labels_get_fewer_epochs_than_clean_ones() {
        // A quarter of the markers point to the wrong label and the other
        // words are rare: after the first epochs, training memorises them.
        // (Seed 7: held-out accuracy 0.70 after epoch 1, 0.60-0.65 after.)
        let noisy = choice(&corpus(300, 400, 0.75));
        assert_eq!(noisy.curve.len(), 20);
        assert_eq!(choose(&noisy.curve, 3), Some(&noisy.chosen));
        assert!(noisy.chosen.epoch <= 3, "{:?}", noisy.curve);
        // The markers always agree: accuracy 1 from epoch 2 and the
        // held-out loss falling all run long.
        let clean = choice(&corpus(300, 400, 1.0));
        assert!(clean.chosen.epoch >= 15, "{:?}", clean.curve);
    }

    #[test]
    fn the_model_records_the_chosen_count_and_training_is_deterministic() {
        let (config, auto) = small();
        let examples = corpus(300, 40, 1.0);
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
                        AutoEvent::MultiLabel => "multi-label",
                        AutoEvent::ChosenBefore { .. } => "chosen before",
                        AutoEvent::Trial(..) => "trial",
                        AutoEvent::Round(_) => "round",
                        AutoEvent::RepresentationChosen(_) => "representation",
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
        let examples = corpus(2, 40, 1.0);
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

    fn curve(accuracies: &[f64], losses: &[f64]) -> Vec<EpochPoint> {
        accuracies
            .iter()
            .zip(losses)
            .enumerate()
            .map(|(i, (&valid_accuracy, &valid_loss))| EpochPoint {
                epoch: i + 1,
                valid_loss,
                valid_accuracy,
            })
            .collect()
    }

    #[test]
    fn choose_takes_the_best_accuracy_then_the_lowest_loss() {
        const NAN: f64 = f64::NAN;
        const INF: f64 = f64::INFINITY;
        // (validation accuracies, losses, window, chosen epoch)
        type Case = (&'static [f64], &'static [f64], usize, Option<usize>);
        let table: [Case; 9] = [
            (&[], &[], 1, None),
            (&[0.5], &[0.7], 5, Some(1)),
            // Accuracy first: epoch 4's lower loss does not count.
            (&[0.8, 0.9, 0.9, 0.85], &[0.5, 0.3, 0.2, 0.1], 1, Some(3)),
            // A flat accuracy: the loss decides.
            (&[0.98; 4], &[0.5, 0.045, 0.044, 0.046], 1, Some(3)),
            // Equal in both: the earlier epoch.
            (&[0.9, 0.9], &[0.2, 0.2], 1, Some(1)),
            // A NaN or infinite loss never wins.
            (&[0.99, 0.99, 0.9], &[NAN, INF, 0.4], 1, Some(3)),
            (&[0.9, 0.9], &[NAN, NAN], 3, None),
            // One lucky epoch (2) wins unsmoothed; over windows of 5 its
            // neighbourhood averages 0.818–0.824 and the last (truncated)
            // window, epochs 5–7, 0.827.
            (
                &[0.80, 0.86, 0.80, 0.81, 0.82, 0.83, 0.83],
                &[0.3; 7],
                1,
                Some(2),
            ),
            (
                &[0.80, 0.86, 0.80, 0.81, 0.82, 0.83, 0.83],
                &[0.3; 7],
                5,
                Some(7),
            ),
        ];
        for (accuracies, losses, window, expected) in table {
            let points = curve(accuracies, losses);
            let got = choose(&points, window).map(|p| p.epoch);
            assert_eq!(got, expected, "{accuracies:?} {losses:?} window {window}");
        }
    }

    #[test]
    fn choose_at_least_skips_the_first_epochs_but_smooths_over_them() {
        // Epoch 1 is best; from epoch 3 on, epoch 4 (window 1). Over windows
        // of 3 from epoch 3, epoch 3's window still counts epoch 2:
        // (0.90 + 0.70 + 0.88) / 3 = 0.827, below epoch 5's truncated
        // (0.88 + 0.86) / 2 = 0.87. A floor past the curve takes its end.
        let points = curve(&[0.95, 0.90, 0.70, 0.88, 0.86], &[0.1; 5]);
        // (window, fewest epochs, chosen epoch)
        let table = [(1, 1, 1), (1, 3, 4), (3, 3, 5), (1, 9, 5), (3, 1, 1)];
        for (window, min_epoch, expected) in table {
            let got = choose_at_least(&points, window, min_epoch).map(|p| p.epoch);
            assert_eq!(
                got,
                Some(expected),
                "window {window}, from epoch {min_epoch}"
            );
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
                window: 0,
                ..AutoEpochs::default()
            },
            AutoEpochs {
                min_epochs: 0,
                ..AutoEpochs::default()
            },
            AutoEpochs {
                min_epochs: 41,
                ..AutoEpochs::default()
            },
            AutoEpochs {
                patience: 0,
                ..AutoEpochs::default()
            },
        ] {
            assert!(validate(&auto).is_err(), "{auto:?}");
        }
        assert!(validate(&AutoEpochs::default()).is_ok());
    }

    #[test]
    fn the_representation_is_chosen_on_the_slice_recorded_and_deterministic() {
        // The label shows only in the punctuation: lowercased words
        // without punctuation cannot tell the labels apart.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let examples: Vec<Example> = (0..240)
            .map(|i| {
                let label = i % 2;
                let words: Vec<String> = (0..5)
                    .map(|_| format!("w{}", rng.gen_range(0..30)))
                    .collect();
                let mark = if label == 0 { "!" } else { "?" };
                Example {
                    text: format!("{} {mark}", words.join(" ")),
                    labels: vec![format!("l{label}")],
                    line: i + 1,
                }
            })
            .collect();
        let (mut config, auto) = small();
        config.representations = Some(Representation::ALL.to_vec());
        let train = || {
            let mut trials = Vec::new();
            let mut rounds = Vec::new();
            let mut probe_epochs = 0;
            let (model, _) = train_auto(
                &config,
                &Examples::Memory(&examples),
                &auto,
                &RunOptions::default(),
                &mut |event| match event {
                    AutoEvent::Trial(r, TrainEvent::Epoch(_)) => trials.push(r),
                    AutoEvent::Round(round) => rounds.push(round.clone()),
                    AutoEvent::Probe(TrainEvent::Epoch(_)) => probe_epochs += 1,
                    _ => {}
                },
            )
            .unwrap();
            (model, trials, rounds, probe_epochs)
        };
        let (model, trials, rounds, probe_epochs) = train();
        // Round 1: all three to epoch 2; round 2, if two go on: to epoch 4;
        // then the winner alone, up to the probe's 20 epochs.
        let first = RaceSettings::default().first_round;
        assert!(!rounds.is_empty() && rounds.len() <= 2, "{rounds:?}");
        assert_eq!(rounds[0].epochs, first);
        assert_eq!(rounds[0].scores.len(), 3);
        assert!(
            !rounds[0].kept.contains(&Representation::Words),
            "{rounds:?}"
        );
        let mut epochs_raced = 3 * first;
        if let [_, second] = &rounds[..] {
            assert_eq!(rounds[0].kept.len(), 2);
            assert_eq!(second.epochs, 2 * first);
            assert_eq!(second.kept.len(), 1);
            epochs_raced += 2 * first;
        }
        let last = rounds.last().unwrap();
        assert_eq!(last.kept.len(), 1);
        assert_eq!(trials.len(), epochs_raced, "{trials:?}");
        assert_eq!(probe_epochs, auto.max_epochs - last.epochs);
        let settings = model.settings();
        let record = settings.representation_chosen.clone().unwrap();
        assert_eq!(record.scores.len(), 3);
        let words = record.scores[0];
        assert_eq!(words.representation, Representation::Words);
        assert_ne!(record.chosen, Representation::Words, "{record:?}");
        let chosen = record
            .scores
            .iter()
            .find(|s| s.representation == record.chosen)
            .unwrap();
        assert!(
            chosen.valid_accuracy > words.valid_accuracy + 0.2,
            "{record:?}"
        );
        // The model uses what it records, and keeps no candidates.
        let mut expected = config.clone();
        record.chosen.apply(&mut expected);
        assert_eq!(settings.text, expected.text);
        assert_eq!(settings.features.char_ngrams, expected.features.char_ngrams);
        assert_eq!(settings.representations, None);
        assert_eq!(
            model.predict("w1 w2 !", 1, 0.0)[0].0,
            model.labels().id("l0").unwrap() as usize
        );
        // Same data, seed and threads: the same choice and the same bytes.
        let (again, ..) = train();
        assert_eq!(again.to_bytes(), model.to_bytes());
    }
}
