//! Time-boxed hyper-parameter search: train with one setting after another
//! on the training data, score each model on validation data, keep the
//! best.
//!
//! ```text
//! trial 1: default preset      trial 2: fasttext preset
//! trial n: mutate(best settings so far, fraction of the budget used)
//! stop when the budget is spent, or no proposal is expected to finish in time
//! result: the best trial's model
//! ```
//!
//! As in fastText's `-autotune-validation`, models train on the training
//! data only and the validation data only chooses between them. fastText
//! then retrains the best settings; here training is deterministic for a
//! seed and thread count, so that retraining would give the best trial's
//! model bit for bit (tested), and the search keeps that model instead.
//! Also as in fastText, the budget covers the search; nothing runs after
//! it but saving. A trial still training when the budget runs out is
//! stopped at the trainer's next segment boundary and recorded as cut —
//! except the first, which has no estimate to go by and always finishes,
//! so that the search always has a model.
//!
//! ```
//! use std::time::Duration;
//! use textnn::autotune::{autotune, AutotuneConfig, Metric};
//! use textnn::data::Example;
//! let ex = |text: &str, label: &str| Example { text: text.into(), labels: vec![label.into()], line: 1 };
//! let train = vec![ex("good morning", "greet"), ex("bye now", "bye"), ex("hello there", "greet"), ex("see you", "bye")];
//! let valid = vec![ex("good day", "greet"), ex("bye bye", "bye")];
//! let config = AutotuneConfig { max_trials: Some(3), ..AutotuneConfig::new(Duration::from_secs(10), Metric::Accuracy) };
//! let outcome = autotune(&config, &train, &valid, &mut |_| {}).unwrap();
//! assert_eq!(outcome.trials.len(), 3);
//! assert!(outcome.best_trial().score.is_ok());
//! ```

mod cost;
mod metric;
mod space;

pub use cost::{CostModel, DataShape};
pub use metric::Metric;
pub use space::{Sampler, SearchSpace};

use crate::data::Example;
use crate::train::{train_with, RunOptions, TrainEvent};
use crate::{Classifier, Error, Result, TrainConfig};
use std::time::{Duration, Instant};

/// How many proposals are drawn, at most, to find one that is expected to
/// finish within the time left, before the search stops.
const PROPOSALS_PER_TRIAL: usize = 10;

/// Settings of a search.
#[derive(Clone, Debug)]
pub struct AutotuneConfig {
    /// Time budget of the search.
    pub duration: Duration,
    /// What the search maximises on the validation data.
    pub metric: Metric,
    /// Seed of the sampler and of every trial's training.
    pub seed: u64,
    /// Training threads of every trial.
    pub threads: usize,
    /// Stop after this many trials even with time left (`None`: no limit).
    pub max_trials: Option<usize>,
    /// What the search may change.
    pub space: SearchSpace,
}

impl AutotuneConfig {
    /// A search of `duration` for `metric`: seed 1, one thread, no trial
    /// limit, the default space.
    pub fn new(duration: Duration, metric: Metric) -> Self {
        AutotuneConfig {
            duration,
            metric,
            seed: 1,
            threads: 1,
            max_trials: None,
            space: SearchSpace::default(),
        }
    }

    /// The first trials: the default and fasttext presets, with this
    /// search's seed and threads.
    pub fn starts(&self) -> Vec<TrainConfig> {
        [TrainConfig::default_preset(), TrainConfig::fasttext()]
            .into_iter()
            .map(|c| self.fix(c))
            .collect()
    }

    /// `config` with the settings every trial shares.
    fn fix(&self, mut config: TrainConfig) -> TrainConfig {
        config.seed = self.seed;
        config.threads = self.threads;
        config.valid_split = None;
        config.early_stopping = None;
        config
    }

    /// Checks the settings that do not depend on the data.
    pub fn validate(&self) -> Result<()> {
        if self.duration.is_zero() {
            return Err(Error::InvalidConfig(
                "the time budget must be positive, got 0 seconds".into(),
            ));
        }
        if self.threads == 0 {
            return Err(Error::InvalidConfig(
                "threads must be at least 1, got 0".into(),
            ));
        }
        if self.max_trials == Some(0) {
            return Err(Error::InvalidConfig(
                "max trials must be at least 1, got 0".into(),
            ));
        }
        Ok(())
    }
}

/// One finished trial.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// 1-based position in the search.
    pub number: usize,
    /// The settings: as the model recorded them (with word n-grams as the
    /// data decided and the threads really used), or as proposed when
    /// training failed.
    pub config: TrainConfig,
    /// The metric on the validation data, or why training failed (a
    /// diverging loss at a high learning rate, for instance).
    pub score: std::result::Result<f64, String>,
    /// Seconds from the start of the search to the start of the trial.
    pub started_at: f64,
    /// Seconds the trial took: preparing, training and scoring.
    pub seconds: f64,
}

/// What a search found.
#[derive(Debug)]
pub struct Outcome {
    /// Every trial, in the order run.
    pub trials: Vec<Trial>,
    /// Index in `trials` of the best one.
    pub best: usize,
    /// The best trial's model.
    pub model: Classifier,
    /// Seconds the search took.
    pub seconds: f64,
}

impl Outcome {
    /// The best trial.
    pub fn best_trial(&self) -> &Trial {
        &self.trials[self.best]
    }
}

/// Searches for the settings that score best on `valid` after training on
/// `train`, calling `on_trial` as each trial finishes. Ties go to the
/// earlier trial. Fails when no trial succeeded.
pub fn autotune(
    config: &AutotuneConfig,
    train: &[Example],
    valid: &[Example],
    on_trial: &mut dyn FnMut(&Trial),
) -> Result<Outcome> {
    config.validate()?;
    if train.is_empty() {
        return Err(Error::InvalidConfig(
            "there are no training examples".into(),
        ));
    }
    if valid.is_empty() {
        return Err(Error::InvalidConfig(
            "there are no validation examples".into(),
        ));
    }
    config.metric.check_labels(train)?;
    let shape = DataShape::measure(train);
    let starts = config.starts();
    let mut sampler = Sampler::new(config.space.clone(), starts.clone(), config.seed);
    let mut cost = CostModel::default();
    let mut trials: Vec<Trial> = Vec::new();
    let mut best: Option<(usize, f64, Classifier)> = None;
    let search_started = Instant::now();
    while config.max_trials.is_none_or(|n| trials.len() < n) {
        let elapsed = search_started.elapsed();
        let Some(remaining) = config.duration.checked_sub(elapsed) else {
            break;
        };
        let progress = elapsed.as_secs_f64() / config.duration.as_secs_f64();
        let best_config = best
            .as_ref()
            .map_or(&starts[0], |(i, _, _)| &trials[*i].config);
        let proposal = (0..PROPOSALS_PER_TRIAL)
            .map(|_| config.fix(sampler.propose(best_config, progress)))
            .find(|c| {
                cost.estimate(shape.work(c))
                    .is_none_or(|seconds| seconds <= remaining.as_secs_f64())
            });
        let Some(proposal) = proposal else {
            break;
        };
        let started_at = search_started.elapsed().as_secs_f64();
        let deadline = (!trials.is_empty()).then(|| search_started + config.duration);
        let run = run_trial(&proposal, train, valid, &config.metric, deadline);
        if !run.cut {
            cost.record(
                shape.work(&proposal),
                run.training_seconds,
                run.overhead_seconds,
            );
        }
        let trial = Trial {
            number: trials.len() + 1,
            config: run
                .model
                .as_ref()
                .map_or_else(|| proposal.clone(), |m| m.settings().clone()),
            score: run.score,
            started_at,
            seconds: run.training_seconds + run.overhead_seconds,
        };
        on_trial(&trial);
        if let (Ok(score), Some(model)) = (&trial.score, run.model) {
            if best.as_ref().is_none_or(|(_, s, _)| score > s) {
                best = Some((trials.len(), *score, model));
            }
        }
        trials.push(trial);
    }
    let seconds = search_started.elapsed().as_secs_f64();
    match best {
        Some((best, _, model)) => Ok(Outcome {
            trials,
            best,
            model,
            seconds,
        }),
        None => Err(Error::InvalidConfig(match trials.last() {
            Some(Trial {
                score: Err(reason), ..
            }) => {
                format!("no trial succeeded within the time budget; the last one failed: {reason}")
            }
            _ => "the time budget ran out before any trial finished; give the search more time"
                .into(),
        })),
    }
}

/// What running one trial gave.
struct TrialRun {
    model: Option<Classifier>,
    score: std::result::Result<f64, String>,
    training_seconds: f64,
    overhead_seconds: f64,
    /// Whether the deadline stopped the training.
    cut: bool,
}

/// Trains with `config` and scores the model; failures become the score's
/// error. Training still running at `deadline` is stopped (the trial then
/// has no model).
fn run_trial(
    config: &TrainConfig,
    train: &[Example],
    valid: &[Example],
    metric: &Metric,
    deadline: Option<Instant>,
) -> TrialRun {
    let started = Instant::now();
    let mut prepared = None;
    let stop = std::sync::atomic::AtomicBool::new(false);
    let run = RunOptions {
        stop: Some(&stop),
        ..RunOptions::default()
    };
    let trained = train_with(config, train, &run, &mut |event| {
        if let TrainEvent::Prepared { .. } = event {
            prepared = Some(Instant::now());
        }
        // The trainer checks the flag after each segment of examples.
        if deadline.is_some_and(|d| Instant::now() >= d) {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let cut = matches!(trained, Err(Error::Interrupted { .. }));
    let trained_at = Instant::now();
    let prepared = prepared.unwrap_or(trained_at);
    let training_seconds = (trained_at - prepared).as_secs_f64();
    let preparing = (prepared - started).as_secs_f64();
    let (model, score) = match trained {
        Ok(model) => {
            let score = metric.score(&model, valid).map_err(|e| e.to_string());
            (Some(model), score)
        }
        Err(_) if cut => (None, Err("cut: the time budget ran out".to_string())),
        Err(e) => (None, Err(e.to_string())),
    };
    TrialRun {
        model,
        score,
        training_seconds,
        overhead_seconds: preparing + trained_at.elapsed().as_secs_f64(),
        cut,
    }
}

/// Splits `examples` into (training, validation) for `--valid-split`:
/// within each first label, a seeded shuffle, then `round(fraction × n)`
/// go to validation, leaving at least one for training. `fraction` must be
/// in (0, 0.5].
pub fn split_validation(
    examples: &[Example],
    fraction: f32,
    seed: u64,
) -> Result<(Vec<Example>, Vec<Example>)> {
    if !(fraction > 0.0 && fraction <= 0.5) {
        return Err(Error::InvalidConfig(format!(
            "valid-split must be in (0, 0.5], got {fraction}"
        )));
    }
    // The trainer's own split, so `--valid-split` means the same in both.
    let (train, valid) = crate::train::stratified_split(examples, fraction, seed);
    let owned = |part: Vec<&Example>| part.into_iter().cloned().collect();
    Ok((owned(train), owned(valid)))
}

/// A one-label example (tests of this module and its children).
#[cfg(test)]
fn ex(text: &str, label: &str) -> Example {
    Example {
        text: text.into(),
        labels: vec![label.into()],
        line: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three intents, a few phrasings each.
    fn data() -> (Vec<Example>, Vec<Example>) {
        let train = [
            ("turn on the kitchen light", "on"),
            ("switch on the lamp", "on"),
            ("lights on please", "on"),
            ("turn the bedroom light on", "on"),
            ("turn off the kitchen light", "off"),
            ("switch off the lamp", "off"),
            ("lights off please", "off"),
            ("turn the bedroom light off", "off"),
            ("what is the weather today", "weather"),
            ("will it rain tomorrow", "weather"),
            ("how hot is it outside", "weather"),
            ("weather forecast please", "weather"),
        ];
        let valid = [
            ("turn on the lamp", "on"),
            ("switch off the kitchen light", "off"),
            ("is it going to rain", "weather"),
            ("lights on in the bedroom", "on"),
        ];
        let make = |rows: &[(&str, &str)]| rows.iter().map(|(t, l)| ex(t, l)).collect();
        (make(&train), make(&valid))
    }

    /// A search of `max_trials` with an hour's budget, which the tiny data
    /// never uses up, so that time plays no part. Few buckets: allocating
    /// millions of rows would take longer than training on this data.
    fn search(max_trials: usize, seed: u64) -> AutotuneConfig {
        AutotuneConfig {
            seed,
            max_trials: Some(max_trials),
            space: SearchSpace {
                buckets: (1_000, 20_000),
                ..SearchSpace::default()
            },
            ..AutotuneConfig::new(Duration::from_secs(3600), Metric::Accuracy)
        }
    }

    #[test]
    fn the_same_seed_runs_the_same_trials() {
        let (train, valid) = data();
        let run = |seed| {
            let outcome = autotune(&search(6, seed), &train, &valid, &mut |_| {}).unwrap();
            outcome
                .trials
                .into_iter()
                .map(|t| (t.config, t.score))
                .collect::<Vec<_>>()
        };
        let (a, b) = (run(5), run(5));
        assert_eq!(a, b);
        assert_eq!(a.len(), 6);
        assert_eq!(a[0].0.preset, "default");
        assert_eq!(a[1].0.preset, "fasttext");
        assert_ne!(run(6)[2..], a[2..]);
    }

    #[test]
    fn the_best_trial_is_the_highest_score_and_its_model_is_kept() {
        let (train, valid) = data();
        let mut seen = Vec::new();
        let outcome =
            autotune(&search(8, 2), &train, &valid, &mut |t| seen.push(t.clone())).unwrap();
        assert_eq!(seen, outcome.trials);
        let scores: Vec<f64> = outcome
            .trials
            .iter()
            .map(|t| *t.score.as_ref().unwrap_or(&-1.0))
            .collect();
        let top = scores.iter().cloned().fold(f64::MIN, f64::max);
        // Ties go to the earliest trial.
        assert_eq!(outcome.best, scores.iter().position(|&s| s == top).unwrap());
        let best = outcome.best_trial();
        assert_eq!(Metric::Accuracy.score(&outcome.model, &valid).unwrap(), top);
        // Retraining the best settings on the training data gives the kept
        // model bit for bit, which is why the search does not retrain.
        let retrained = crate::train(&best.config, &train, &mut |_| {}).unwrap();
        assert_eq!(retrained.to_bytes(), outcome.model.to_bytes());
    }

    #[test]
    fn the_budget_is_respected() {
        let (train, valid) = data();
        let budget = Duration::from_millis(700);
        let config = AutotuneConfig::new(budget, Metric::MacroF1);
        let outcome = autotune(&config, &train, &valid, &mut |_| {}).unwrap();
        assert!(outcome.trials.len() >= 2, "{} trials", outcome.trials.len());
        let longest = outcome.trials.iter().map(|t| t.seconds).fold(0.0, f64::max);
        for t in &outcome.trials {
            assert!(
                t.started_at < budget.as_secs_f64(),
                "trial {} started at {}",
                t.number,
                t.started_at
            );
        }
        // Trials start only while time is left, so the search ends at most
        // one trial after the budget.
        assert!(
            outcome.seconds <= budget.as_secs_f64() + longest,
            "{} s",
            outcome.seconds
        );
    }

    #[test]
    fn a_trial_past_the_deadline_is_cut_and_has_no_model() {
        let (train, valid) = data();
        let config = TrainConfig {
            epochs: 300,
            ..TrainConfig::fasttext()
        };
        let metric = Metric::Accuracy;
        let past = Some(Instant::now());
        let cut = run_trial(&config, &train, &valid, &metric, past);
        assert!(cut.cut && cut.model.is_none());
        assert_eq!(cut.score, Err("cut: the time budget ran out".to_string()));
        let whole = run_trial(&config, &train, &valid, &metric, None);
        assert!(!whole.cut && whole.model.is_some() && whole.score.is_ok());
    }

    #[test]
    fn failed_trials_are_recorded_and_skipped() {
        let (train, valid) = data();
        let mut config = search(4, 1);
        // Learning rates this high diverge on the first epoch.
        config.space.learning_rate = (1e30, 1e30);
        let outcome = autotune(&config, &train, &valid, &mut |_| {}).unwrap();
        assert!(
            outcome.trials[2..].iter().all(|t| t.score.is_err()),
            "{:?}",
            outcome.trials
        );
        assert!(outcome.best < 2);
    }

    #[test]
    fn bad_settings_and_data_are_errors() {
        let (train, valid) = data();
        let cases: [(AutotuneConfig, &str); 3] = [
            (
                AutotuneConfig::new(Duration::ZERO, Metric::Accuracy),
                "time budget",
            ),
            (
                AutotuneConfig {
                    threads: 0,
                    ..search(1, 1)
                },
                "threads",
            ),
            (
                AutotuneConfig::new(Duration::from_secs(1), Metric::LabelF1("nope".into())),
                "\"nope\" does not occur",
            ),
        ];
        for (config, expected) in cases {
            let err = autotune(&config, &train, &valid, &mut |_| {})
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
        }
        let err = autotune(&search(1, 1), &train, &[], &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains("no validation examples"), "{err}");
    }

    #[test]
    fn split_is_stratified_and_seeded() {
        let (train, _) = data();
        let (rest, held) = split_validation(&train, 0.25, 3).unwrap();
        assert_eq!((rest.len(), held.len()), (9, 3));
        for label in ["on", "off", "weather"] {
            assert_eq!(held.iter().filter(|e| e.labels[0] == label).count(), 1);
        }
        assert_eq!(split_validation(&train, 0.25, 3).unwrap(), (rest, held));
        assert!(split_validation(&train, 0.75, 3).is_err());
    }
}
