//! Checkpoints and resuming: a run stopped (as by Ctrl-C) and resumed from
//! its checkpoint ends with the same model bytes as a run never stopped;
//! evaluations and diagnostics do not change what is learnt; a checkpoint
//! of other settings or data, or a damaged one, is refused with a reason.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use textnn::data::{read_file, Example, ReadOptions};
use textnn::nn::{Activation, Loss};
use textnn::optim::{OptimizerConfig, OptimizerKind};
use textnn::train::auto_epochs::{train_auto, AutoEpochs, AutoEvent};
use textnn::train::{train_with, Batch, CheckpointPolicy, Examples, RunOptions, TrainEvent};
use textnn::{Error, TrainConfig};

fn ha_sample() -> Vec<Example> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ha_intents/train.txt");
    let all = read_file(&path, &ReadOptions::default()).unwrap();
    // Every 8th example: about 970, enough for several segments per epoch.
    all.into_iter().step_by(8).collect()
}

/// Settings that take each path of the trainer: the sliced one (plain SGD
/// on 2 threads, with dropout), the general one (Adam, a hidden layer,
/// dropout, batches), hierarchical softmax, and early stopping.
fn configurations() -> Vec<(&'static str, TrainConfig)> {
    let base = TrainConfig {
        epochs: 4,
        threads: 2,
        dropout: 0.2,
        ..TrainConfig::default_preset()
    };
    vec![
        ("sliced", base.clone()),
        (
            "general",
            TrainConfig {
                network: textnn::nn::NetworkConfig {
                    hidden: vec![12],
                    hidden_activation: Activation::Tanh,
                    ..base.network.clone()
                },
                optimizer: OptimizerConfig {
                    kind: OptimizerKind::Adam,
                    ..OptimizerConfig::default()
                },
                learning_rate: 0.01,
                batch: Batch::Size(4),
                ..base.clone()
            },
        ),
        (
            "hs",
            TrainConfig {
                network: textnn::nn::NetworkConfig {
                    loss: Loss::Hs,
                    ..base.network.clone()
                },
                ..base.clone()
            },
        ),
        (
            "early stopping",
            TrainConfig {
                valid_split: Some(0.2),
                early_stopping: Some(1),
                epochs: 6,
                ..base
            },
        ),
    ]
}

fn checkpoint_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("run.checkpoint")
}

/// Trains to the end and returns the model bytes.
fn uninterrupted(config: &TrainConfig, examples: &[Example]) -> Vec<u8> {
    train_with(config, examples, &RunOptions::default(), &mut |_| {})
        .unwrap()
        .to_bytes()
}

/// Trains with checkpoints every `every` examples, asking to stop at the
/// `stop_at`-th event for which `stop_here` holds; returns the error.
fn interrupted(
    config: &TrainConfig,
    examples: &[Example],
    policy: &CheckpointPolicy,
    resume: Option<&Path>,
    stop_here: impl Fn(&TrainEvent) -> bool,
    stop_at: usize,
) -> Error {
    let stop = AtomicBool::new(false);
    let mut count = 0;
    let run = RunOptions {
        checkpoint: Some(policy.clone()),
        eval_every: Some(97),
        resume,
        stop: Some(&stop),
        ..RunOptions::default()
    };
    let result = train_with(config, examples, &run, &mut |event| {
        if stop_here(event) {
            count += 1;
            if count == stop_at {
                stop.store(true, Ordering::Relaxed);
            }
        }
    });
    result.map(|_| ()).unwrap_err()
}

fn resumed(config: &TrainConfig, examples: &[Example], policy: &CheckpointPolicy) -> Vec<u8> {
    let run = RunOptions {
        checkpoint: Some(policy.clone()),
        resume: Some(&policy.path),
        ..RunOptions::default()
    };
    let mut resumed_at = None;
    let model = train_with(config, examples, &run, &mut |event| {
        if let TrainEvent::Resumed { epoch, done, .. } = event {
            resumed_at = Some((*epoch, *done));
        }
    })
    .unwrap();
    assert!(resumed_at.is_some(), "no Resumed event");
    model.to_bytes()
}

#[test]
fn a_run_stopped_mid_epoch_and_resumed_ends_with_the_same_bytes() {
    let examples = ha_sample();
    for (name, config) in configurations() {
        let expected = uninterrupted(&config, &examples);
        let dir = tempfile::tempdir().unwrap();
        let policy = CheckpointPolicy {
            path: checkpoint_path(&dir),
            every: 250,
        };
        // Stop at the third evaluation inside an epoch (epoch 1 or 2).
        let mid_epoch = |e: &TrainEvent| matches!(e, TrainEvent::Evaluation(v) if !v.epoch_end);
        let error = interrupted(&config, &examples, &policy, None, mid_epoch, 3);
        assert!(
            matches!(
                error,
                Error::Interrupted {
                    checkpoint: Some(_),
                    ..
                }
            ),
            "{name}: {error}"
        );
        assert!(error.to_string().contains("--resume"), "{error}");
        // Stop again after resuming, at an epoch's end this time.
        let epoch_end = |e: &TrainEvent| matches!(e, TrainEvent::Epoch(_));
        let again = interrupted(
            &config,
            &examples,
            &policy,
            Some(&policy.path),
            epoch_end,
            1,
        );
        assert!(
            matches!(again, Error::Interrupted { .. }),
            "{name}: {again}"
        );
        assert_eq!(
            resumed(&config, &examples, &policy),
            expected,
            "{name}: the resumed run's model differs from the uninterrupted one"
        );
    }
}

#[test]
fn evaluations_diagnostics_and_checkpoints_do_not_change_the_model() {
    let examples = ha_sample();
    for (name, config) in configurations() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunOptions {
            eval_every: Some(61),
            diagnostics: true,
            checkpoint: Some(CheckpointPolicy {
                path: checkpoint_path(&dir),
                every: 123,
            }),
            ..RunOptions::default()
        };
        let mut evaluations = 0;
        let watched = train_with(&config, &examples, &run, &mut |e| {
            if let TrainEvent::Evaluation(v) = e {
                evaluations += 1;
                assert!(v.train_loss.is_finite() && v.train_loss > 0.0, "{name}");
                assert_eq!(v.layers.len(), config.network.hidden.len() + 2, "{name}");
                for layer in &v.layers {
                    assert!(layer.gradient_norm.is_finite(), "{name}: {layer:?}");
                }
            }
        })
        .unwrap();
        assert!(
            evaluations > config.epochs,
            "{name}: {evaluations} evaluations"
        );
        assert_eq!(
            watched.to_bytes(),
            uninterrupted(&config, &examples),
            "{name}: watching changed the model"
        );
    }
}

#[test]
fn saturation_is_measured_for_sigmoid_units_and_not_for_softmax() {
    let examples = ha_sample();
    let mut layers = Vec::new();
    let blog_like = TrainConfig {
        epochs: 30,
        batch: Batch::Size(1),
        ..TrainConfig::blog()
    };
    let run = RunOptions {
        diagnostics: true,
        ..RunOptions::default()
    };
    train_with(&blog_like, &examples, &run, &mut |e| {
        if let TrainEvent::Evaluation(v) = e {
            layers = v.layers.clone();
        }
    })
    .unwrap();
    let names: Vec<&str> = layers.iter().map(|l| l.layer.as_str()).collect();
    assert_eq!(names, ["embedding", "output"]);
    for layer in &layers {
        let s = layer.saturated.expect("sigmoid units have a saturation");
        assert!((0.0..=1.0).contains(&s), "{layer:?}");
    }
    // Sigmoid outputs with squared error: after training most outputs sit
    // near 0 (every label but the gold one), where p(1 - p) < 0.01.
    assert!(layers[1].saturated.unwrap() > 0.5, "{layers:?}");

    let mut softmax = Vec::new();
    train_with(&TrainConfig::fasttext(), &examples, &run, &mut |e| {
        if let TrainEvent::Evaluation(v) = e {
            softmax = v.layers.clone();
        }
    })
    .unwrap();
    assert!(softmax.iter().all(|l| l.saturated.is_none()), "{softmax:?}");
    assert!(softmax.iter().all(|l| l.gradient_norm > 0.0), "{softmax:?}");
}

/// Leaves a checkpoint of `config` on `examples` at `policy.path`.
fn make_checkpoint(config: &TrainConfig, examples: &[Example], policy: &CheckpointPolicy) {
    let at_epoch_end = |e: &TrainEvent| matches!(e, TrainEvent::Epoch(_));
    interrupted(config, examples, policy, None, at_epoch_end, 1);
}

fn resume_error(config: &TrainConfig, examples: &[Example], path: &Path) -> String {
    let run = RunOptions {
        resume: Some(path),
        ..RunOptions::default()
    };
    match train_with(config, examples, &run, &mut |_| {}) {
        Ok(_) => panic!("resumed from a checkpoint that does not fit"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_checkpoint_of_other_settings_or_data_or_a_damaged_one_is_refused() {
    let examples = ha_sample();
    let config = configurations()[0].1.clone();
    let dir = tempfile::tempdir().unwrap();
    let policy = CheckpointPolicy {
        path: checkpoint_path(&dir),
        every: 300,
    };
    make_checkpoint(&config, &examples, &policy);
    let path = &policy.path;

    let other = TrainConfig {
        epochs: 5,
        ..config.clone()
    };
    let message = resume_error(&other, &examples, path);
    assert!(
        message.contains("other settings (epochs: 4 → 5)"),
        "{message}"
    );

    let fewer: Vec<Example> = examples[1..].to_vec();
    let message = resume_error(&config, &fewer, path);
    assert!(message.contains("data differ"), "{message}");

    let bytes = std::fs::read(path).unwrap();
    let cut = dir.path().join("cut.checkpoint");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let message = resume_error(&config, &examples, &cut);
    assert!(message.contains("cut.checkpoint"), "{message}");

    let model = dir.path().join("model.textnn");
    textnn::train::train(&config, &examples, &mut |_| {})
        .unwrap()
        .save(&model)
        .unwrap();
    let message = resume_error(&config, &examples, &model);
    assert!(message.contains("not a training checkpoint"), "{message}");

    let message = resume_error(&config, &examples, &dir.path().join("missing"));
    assert!(message.contains("missing"), "{message}");
}

/// The default preset on 2 threads, and an epoch probe of 8 epochs on a
/// 20 % slice (the default's 40 would make the tests slow).
fn default_with_a_short_probe() -> (TrainConfig, AutoEpochs) {
    let config = TrainConfig {
        threads: 2,
        ..TrainConfig::default_preset()
    };
    let auto = AutoEpochs {
        fraction: 0.2,
        max_epochs: 8,
        window: 3,
        min_epochs: 3,
        patience: 5,
    };
    (config, auto)
}

/// The default preset chooses its epochs on a validation slice before the
/// final run. A checkpoint of the final run records the choice, so
/// resuming goes straight on with it: no probe run again, and the same
/// bytes as a run never stopped.
#[test]
fn resuming_a_run_with_chosen_epochs_does_not_choose_them_again() {
    let examples = ha_sample();
    let (config, auto) = default_with_a_short_probe();
    let data = Examples::Memory(&examples);
    let (whole, choice) =
        train_auto(&config, &data, &auto, &RunOptions::default(), &mut |_| {}).unwrap();
    let chosen = choice.expect("a 20 % slice of 970 examples").chosen.epoch;

    let dir = tempfile::tempdir().unwrap();
    let policy = CheckpointPolicy {
        path: checkpoint_path(&dir),
        every: 250,
    };
    let stop = AtomicBool::new(false);
    let run = RunOptions {
        checkpoint: Some(policy.clone()),
        stop: Some(&stop),
        ..RunOptions::default()
    };
    // Stop at the final run's first epoch end (the probe is over by then).
    let error = train_auto(&config, &data, &auto, &run, &mut |event| {
        if let AutoEvent::Final(TrainEvent::Epoch(_)) = event {
            stop.store(true, Ordering::Relaxed);
        }
    })
    .map(|_| ())
    .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Interrupted {
                checkpoint: Some(_),
                ..
            }
        ),
        "{error}"
    );

    let run = RunOptions {
        checkpoint: Some(policy.clone()),
        resume: Some(&policy.path),
        ..RunOptions::default()
    };
    let (mut probe_events, mut chosen_before) = (0, None);
    let (resumed, _) = train_auto(&config, &data, &auto, &run, &mut |event| match event {
        AutoEvent::Probe(_) => probe_events += 1,
        AutoEvent::ChosenBefore { epochs, .. } => chosen_before = Some(epochs),
        _ => {}
    })
    .unwrap();
    assert_eq!(probe_events, 0, "the probe ran again");
    assert_eq!(chosen_before, Some(chosen));
    assert_eq!(
        resumed.to_bytes(),
        whole.to_bytes(),
        "the resumed run's model differs from the uninterrupted one"
    );
}

/// Ctrl-C while the epochs are being chosen stops the probe; nothing was
/// checkpointed yet (the probe writes none), and the error says so and
/// what to do instead of pointing at a checkpoint option the user gave.
#[test]
fn an_interruption_while_choosing_epochs_says_so() {
    let examples = ha_sample();
    let (config, auto) = default_with_a_short_probe();
    let dir = tempfile::tempdir().unwrap();
    let policy = CheckpointPolicy {
        path: checkpoint_path(&dir),
        every: 250,
    };
    let stop = AtomicBool::new(false);
    let run = RunOptions {
        checkpoint: Some(policy.clone()),
        stop: Some(&stop),
        ..RunOptions::default()
    };
    let error = train_auto(
        &config,
        &Examples::Memory(&examples),
        &auto,
        &run,
        &mut |event| {
            if let AutoEvent::Probe(TrainEvent::Epoch(_)) = event {
                stop.store(true, Ordering::Relaxed);
            }
        },
    )
    .map(|_| ())
    .unwrap_err();
    assert!(
        matches!(error, Error::InterruptedChoosingEpochs { of: 8, .. }),
        "{error:?}"
    );
    assert!(error.is_interruption());
    let message = error.to_string();
    assert!(
        message.contains("choosing the number of epochs"),
        "{message}"
    );
    assert!(message.contains("--epochs N"), "{message}");
    assert!(!policy.path.exists(), "the probe wrote a checkpoint");
}
