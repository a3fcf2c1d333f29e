//! The default preset's data-dependent settings and learning-rate
//! schedules: what a model trained with them records, on real runs.

mod common;

use textnn::nn::Loss;
use textnn::train::{MultiLabelSettings, Schedule};
use textnn::TrainConfig;

/// [`common::examples`] with a second label on every "on"/"off" text (the
/// room it names, or "house"): multi-label data.
fn multi_label_examples() -> Vec<textnn::data::Example> {
    let mut examples = common::examples();
    for e in &mut examples {
        if e.labels[0] == "on" || e.labels[0] == "off" {
            let room = if e.text.contains("kitchen") {
                "kitchen"
            } else {
                "house"
            };
            e.labels.push(room.to_string());
        }
    }
    examples
}

fn default_for(epochs: usize) -> TrainConfig {
    TrainConfig {
        epochs,
        ..TrainConfig::default_preset()
    }
}

#[test]
fn multi_label_data_trains_the_default_preset_with_a_margin_loss_per_label() {
    let model = textnn::train(&default_for(3), &multi_label_examples(), &mut |_| {}).unwrap();
    let used = model.settings();
    let rule = MultiLabelSettings::default_preset();
    assert_eq!(used.network.loss, Loss::Huber);
    assert_eq!(used.learning_rate, rule.learning_rate);
    assert_eq!(used.schedule, rule.schedule);
    assert_eq!(used.network.dim, 300);
    // The record says what was used; the rule itself is spent.
    assert_eq!(used.multi_label, None);
    // One score per label.
    let mut scratch = model.scratch();
    let probs = model.probabilities_with("turn on the kitchen light", &mut scratch);
    assert_eq!(probs.len(), 5);
}

#[test]
fn single_label_data_keeps_the_default_softmax() {
    let model = textnn::train(&default_for(3), &common::examples(), &mut |_| {}).unwrap();
    let used = model.settings();
    let default = TrainConfig::default_preset();
    assert_eq!(used.network.loss, Loss::Softmax);
    assert_eq!(used.learning_rate, default.learning_rate);
    assert_eq!(used.schedule, Schedule::Inverse);
    assert_eq!(used.network.dim, default.network.dim);
    assert!(used.network.sublinear_tf && !used.features.binary);
    let mut scratch = model.scratch();
    let sum: f32 = model
        .probabilities_with("switch the lamp off", &mut scratch)
        .iter()
        .sum();
    assert!((sum - 1.0).abs() < 1e-5, "softmax sums to 1: {sum}");
}

#[test]
fn without_the_rule_multi_label_data_keeps_the_configured_loss() {
    let config = TrainConfig {
        multi_label: None,
        ..default_for(3)
    };
    let model = textnn::train(&config, &multi_label_examples(), &mut |_| {}).unwrap();
    assert_eq!(model.settings().network.loss, Loss::Softmax);
    assert_eq!(model.settings().network.dim, 100);
}

#[test]
fn schedules_give_the_documented_rates() {
    // 4 epochs of 100 examples from η₀ = 0.6: (schedule, examples seen, rate).
    let table = [
        (Schedule::Linear, 0, 0.6),
        (Schedule::Linear, 200, 0.3),
        (Schedule::Linear, 400, 0.0),
        (Schedule::Constant, 350, 0.6),
        (Schedule::Inverse, 0, 0.6),
        (Schedule::Inverse, 100, 0.3),
        (Schedule::Inverse, 200, 0.2),
        (Schedule::Inverse, 50, 0.4),
        (Schedule::Inverse, 400, 0.12),
    ];
    for (schedule, seen, expected) in table {
        let rate = schedule.rate(0.6, seen, 400.0, 4);
        assert!(
            (rate - expected).abs() < 1e-6,
            "{schedule} after {seen}: {rate}, expected {expected}"
        );
    }
    assert_eq!("inverse".parse::<Schedule>(), Ok(Schedule::Inverse));
    let err = "cosine".parse::<Schedule>().unwrap_err();
    assert!(err.contains("linear, constant or inverse"), "{err}");
}

#[test]
fn the_inverse_schedule_trains_the_same_rate_in_its_first_epochs_whatever_their_number() {
    // Its rate depends on the epoch reached, not on the run's length, so a
    // probe of 40 epochs measures at epoch e what an e-epoch run trains.
    for seen in [0, 30, 100, 170] {
        let short = Schedule::Inverse.rate(0.5, seen, 200.0, 2);
        let long = Schedule::Inverse.rate(0.5, seen, 4000.0, 40);
        assert_eq!(short, long, "after {seen}");
    }
}

#[test]
fn multi_label_data_trains_the_configured_epochs_without_a_probe() {
    use textnn::train::auto_epochs::{train_auto, AutoEpochs, AutoEvent};
    use textnn::train::{Examples, RunOptions};
    let examples = multi_label_examples();
    // (settings, multi-label rule fires)
    for (config, rule) in [
        (default_for(3), true),
        (
            TrainConfig {
                multi_label: None,
                ..default_for(3)
            },
            false,
        ),
    ] {
        let (mut multi_label_events, mut probe_events) = (0, 0);
        let (model, choice) = train_auto(
            &config,
            &Examples::Memory(&examples),
            &AutoEpochs::default(),
            &RunOptions::default(),
            &mut |event| match event {
                AutoEvent::MultiLabel => multi_label_events += 1,
                // The race's runs on the slice: candidates, then the probe.
                AutoEvent::Probe(_) | AutoEvent::Trial(..) => probe_events += 1,
                _ => {}
            },
        )
        .unwrap();
        if rule {
            assert_eq!((multi_label_events, probe_events), (1, 0));
            assert!(choice.is_none());
            assert_eq!(model.settings().epochs, 3);
            assert_eq!(model.settings().epochs_chosen, None);
        } else {
            // Without the rule the race on the slice runs as for any data.
            assert_eq!(multi_label_events, 0);
            assert!(probe_events > 0);
        }
    }
}
