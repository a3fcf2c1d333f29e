//! Validation during training: per-epoch validation figures, a seeded
//! stratified hold-out, and early stopping that keeps the best weights.

use std::path::Path;
use textnn::data::{read_file, Example, ReadOptions};
use textnn::train::{train_validated, TrainEvent};
use textnn::TrainConfig;

fn ha(split: &str) -> Vec<Example> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../data/ha_intents/{split}.txt"));
    read_file(&path, &ReadOptions::default()).unwrap()
}

/// Mean loss of `model` over the examples whose labels it knows.
fn mean_loss(model: &textnn::Classifier, examples: &[Example]) -> f64 {
    let mut scratch = model.scratch();
    let (mut total, mut n) = (0.0, 0);
    for e in examples {
        let gold: Vec<usize> = e
            .labels
            .iter()
            .filter_map(|l| model.labels().id(l).map(|i| i as usize))
            .collect();
        if !gold.is_empty() {
            total += model.loss_with(&e.text, &gold, &mut scratch);
            n += 1;
        }
    }
    total / n as f64
}

#[test]
fn early_stopping_keeps_the_epoch_with_the_lowest_validation_loss() {
    let (train, valid) = (ha("train"), ha("valid"));
    let config = TrainConfig {
        epochs: 30,
        early_stopping: Some(2),
        ..TrainConfig::default_preset()
    };
    let mut losses = Vec::new();
    let mut stopped = None;
    let model = train_validated(&config, &train, Some(&valid), &mut |e| match e {
        TrainEvent::Epoch(s) => losses.push(s.valid_loss.expect("validation after every epoch")),
        TrainEvent::StoppedEarly { epoch, .. } => stopped = Some(*epoch),
        _ => {}
    })
    .unwrap();
    let stopped = stopped.expect("30 epochs at lr 0.25 overfit ha_intents well before the end");
    assert_eq!(losses.len(), stopped);
    let best = losses.iter().copied().fold(f64::INFINITY, f64::min);
    // The best epoch is `patience` epochs before the stop.
    assert_eq!(losses[stopped - 3], best, "{losses:?}");
    let kept = mean_loss(&model, &valid);
    assert!(
        (kept - best).abs() < 1e-4,
        "kept model's validation loss {kept}, best {best}"
    );
}

#[test]
fn valid_split_is_stratified_seeded_and_reported() {
    let train = ha("train");
    let config = TrainConfig {
        epochs: 2,
        valid_split: Some(0.1),
        ..TrainConfig::default_preset()
    };
    let run = |config: &TrainConfig| {
        let mut prepared = 0;
        let mut valid_accuracy = Vec::new();
        let model = textnn::train(config, &train, &mut |e| match e {
            TrainEvent::Prepared { examples, .. } => prepared = *examples,
            TrainEvent::Epoch(s) => valid_accuracy.push(s.valid_accuracy.unwrap()),
            _ => {}
        })
        .unwrap();
        (prepared, valid_accuracy, model.to_bytes())
    };
    let (n_train, accuracy, bytes) = run(&config);
    // About 10% held out (rounded per label, at least one kept per label).
    let held_out = train.len() - n_train;
    assert!((700..=850).contains(&held_out), "{held_out}");
    assert!(
        accuracy.iter().all(|a| (0.5..=1.0).contains(a)),
        "{accuracy:?}"
    );
    let (n_again, _, bytes_again) = run(&config);
    assert_eq!(
        (n_train, &bytes),
        (n_again, &bytes_again),
        "same seed, same split and model"
    );
}

#[test]
fn early_stopping_without_validation_data_is_refused() {
    let config = TrainConfig {
        early_stopping: Some(3),
        ..TrainConfig::default_preset()
    };
    let err = textnn::train(&config, &ha("valid"), &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("early stopping needs validation data"),
        "{err}"
    );
    for bad in [0.0, 0.6, f32::NAN] {
        let config = TrainConfig {
            valid_split: Some(bad),
            ..TrainConfig::default_preset()
        };
        assert!(config.validate().is_err(), "{bad}");
    }
}
