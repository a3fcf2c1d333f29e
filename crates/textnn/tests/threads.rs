//! Multi-threaded training: the same seed and thread count give the same
//! model bytes, and the threads make the same SGD updates as one thread
//! (up to rounding), so the thread count does not change what is learnt.

use std::path::Path;
use textnn::data::{read_file, Example, ReadOptions};
use textnn::nn::Loss;
use textnn::optim::OptimizerConfig;
use textnn::train::{train, TrainEvent};
use textnn::{Classifier, TrainConfig};

fn ha(split: &str) -> Vec<Example> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../data/ha_intents/{split}.txt"));
    read_file(&path, &ReadOptions::default()).unwrap()
}

/// Trains `config` and returns the model and the thread count it reported.
fn train_reporting_threads(config: &TrainConfig, examples: &[Example]) -> (Classifier, usize) {
    let mut threads = 0;
    let model = train(config, examples, &mut |e| {
        if let TrainEvent::Prepared { threads: t, .. } = e {
            threads = *t;
        }
    })
    .unwrap();
    (model, threads)
}

fn largest_weight_difference(a: &Classifier, b: &Classifier) -> f32 {
    let (a, b) = (a.network(), b.network());
    let mut largest = 0.0f32;
    let mut compare = |x: &[f32], y: &[f32]| {
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(y) {
            largest = largest.max((p - q).abs());
        }
    };
    compare(a.embedding.as_slice(), b.embedding.as_slice());
    for (la, lb) in a.layers.iter().zip(&b.layers) {
        compare(la.weights.as_slice(), lb.weights.as_slice());
        compare(&la.bias, &lb.bias);
    }
    largest
}

fn accuracy(model: &Classifier, examples: &[Example]) -> f64 {
    let correct = examples
        .iter()
        .filter(|e| {
            let top = model.predict(&e.text, 1, 0.0);
            top.first()
                .is_some_and(|(label, _)| e.labels.iter().any(|l| l == model.label_name(*label)))
        })
        .count();
    correct as f64 / examples.len() as f64
}

#[test]
fn same_seed_and_threads_give_identical_model_bytes() {
    let examples = ha("train");
    for preset in [TrainConfig::default_preset(), TrainConfig::fasttext()] {
        let config = TrainConfig {
            threads: 2,
            seed: 7,
            epochs: 3,
            ..preset
        };
        let (first, threads) = train_reporting_threads(&config, &examples);
        assert_eq!(
            threads, 2,
            "preset {} should train on 2 threads",
            config.preset
        );
        let (second, _) = train_reporting_threads(&config, &examples);
        assert!(
            first.to_bytes() == second.to_bytes(),
            "preset {}: two runs with --threads 2 --seed 7 differ",
            config.preset
        );
        assert_eq!(
            first.settings().threads,
            2,
            "the model records its thread count"
        );
    }
}

#[test]
fn two_threads_make_the_same_updates_as_one() {
    // One epoch: the only difference between 1 and 2 threads is the order
    // in which the logit shares are added, i.e. rounding.
    let examples = ha("train");
    let config = TrainConfig {
        epochs: 1,
        dropout: 0.0,
        ..TrainConfig::default_preset()
    };
    let (one, _) = train_reporting_threads(
        &TrainConfig {
            threads: 1,
            ..config.clone()
        },
        &examples,
    );
    let (two, threads) = train_reporting_threads(
        &TrainConfig {
            threads: 2,
            ..config.clone()
        },
        &examples,
    );
    assert_eq!(threads, 2);
    let difference = largest_weight_difference(&one, &two);
    assert!(difference < 1e-4, "1 vs 2 threads differ by {difference}");
    assert!(difference > 0.0 || one.to_bytes() == two.to_bytes());
}

#[test]
fn the_sliced_trainer_matches_the_general_optimizer_path() {
    for loss in [Loss::Softmax, Loss::Hs] {
        sliced_matches_general(loss);
    }
}

fn sliced_matches_general(loss: Loss) {
    // Clipping at a norm no gradient reaches changes nothing in the maths
    // but sends training through the general gradient + optimizer path.
    let examples = ha("train");
    let mut config = TrainConfig {
        epochs: 1,
        dropout: 0.0,
        ..TrainConfig::default_preset()
    };
    config.network.loss = loss;
    let general = TrainConfig {
        optimizer: OptimizerConfig {
            clip_grad: Some(1e30),
            ..config.optimizer.clone()
        },
        threads: 2,
        ..config.clone()
    };
    let (reference, threads) = train_reporting_threads(&general, &examples);
    assert_eq!(threads, 1, "clipping trains on one thread");
    let (sliced, _) = train_reporting_threads(
        &TrainConfig {
            threads: 2,
            ..config
        },
        &examples,
    );
    let difference = largest_weight_difference(&reference, &sliced);
    assert!(
        difference < 1e-4,
        "{loss}: sliced vs general differ by {difference}"
    );
}

#[test]
fn hierarchical_softmax_trains_reproducibly_on_two_threads() {
    let (train_set, test_set) = (ha("train"), ha("test"));
    let mut config = TrainConfig {
        threads: 2,
        seed: 7,
        ..TrainConfig::default_preset()
    };
    config.network.loss = Loss::Hs;
    let (first, threads) = train_reporting_threads(&config, &train_set);
    assert_eq!(threads, 2);
    let (second, _) = train_reporting_threads(&config, &train_set);
    assert!(first.to_bytes() == second.to_bytes());
    let reloaded = Classifier::from_bytes("hs model", &first.to_bytes()).unwrap();
    let accuracy = accuracy(&reloaded, &test_set);
    assert!(accuracy > 0.93, "hs accuracy {accuracy}");
}

#[test]
fn thread_count_does_not_change_accuracy() {
    let (train_set, test_set) = (ha("train"), ha("test"));
    let mut accuracies = Vec::new();
    for threads in [1, 2] {
        let config = TrainConfig {
            threads,
            ..TrainConfig::default_preset()
        };
        let (model, _) = train_reporting_threads(&config, &train_set);
        accuracies.push(accuracy(&model, &test_set));
    }
    let (lo, hi) = accuracies
        .iter()
        .fold((1.0f64, 0.0f64), |(lo, hi), &a| (lo.min(a), hi.max(a)));
    assert!(lo > 0.95, "accuracies {accuracies:?}");
    assert!(
        hi - lo < 0.01,
        "accuracies {accuracies:?} spread by more than a point"
    );
}
