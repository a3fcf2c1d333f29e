//! The classic blog network, reproduced by `--preset blog`: the tutorial's
//! 12 sentences, its architecture and its six test sentences.

use std::path::Path;
use textnn::data::{read_file, ReadOptions};
use textnn::train::TrainEvent;
use textnn::TrainConfig;

fn blog_examples() -> Vec<textnn::data::Example> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/blog-intents.json");
    read_file(&path, &ReadOptions::default()).expect("the bundled blog data reads")
}

#[test]
fn blog_preset_classifies_the_tutorials_sentences() {
    let config = TrainConfig::blog();
    let mut reports = Vec::new();
    let model = textnn::train(&config, &blog_examples(), &mut |e| {
        if let TrainEvent::Epoch(s) = e {
            if s.epoch % 10_000 == 0 {
                reports.push(s.mean_abs_error);
            }
        }
    })
    .unwrap();
    // The blog's architecture: summed unique stemmed words, 20 sigmoid
    // units, sigmoid outputs, squared error.
    let net = model.network().config();
    assert_eq!(
        net.describe(),
        "sum of 20-dim rows (25 inputs) → sigmoid → sigmoid over 3 labels (squared error)"
    );
    // Its error falls as in the tutorial's printout.
    assert!(
        reports.len() >= 2 && reports.windows(2).all(|w| w[1] < w[0]),
        "{reports:?}"
    );

    let expected = [
        ("sudo make me a sandwich", "sandwich"),
        ("how are you today?", "greeting"),
        ("talk to you tomorrow", "goodbye"),
        ("who are you?", "greeting"),
        ("make me some lunch", "sandwich"),
        ("how was your lunch today?", "greeting"),
    ];
    for (text, label) in expected {
        let ranked = model.predict(text, 0, config.threshold);
        let (top, p) = ranked[0];
        assert_eq!(model.label_name(top), label, "{text:?}: {ranked:?}");
        assert!(p > 0.2, "{text:?}: {p}");
        assert!(
            ranked.iter().all(|&(_, p)| p >= 0.2),
            "threshold 0.2 drops the rest"
        );
    }
}

#[test]
fn same_seed_gives_identical_model_bytes_and_another_seed_does_not() {
    let examples = blog_examples();
    let config = TrainConfig {
        epochs: 2_000,
        ..TrainConfig::blog()
    };
    let a = textnn::train(&config, &examples, &mut |_| {})
        .unwrap()
        .to_bytes();
    let b = textnn::train(&config, &examples, &mut |_| {})
        .unwrap()
        .to_bytes();
    assert_eq!(a, b);
    let other = TrainConfig { seed: 2, ..config };
    let c = textnn::train(&other, &examples, &mut |_| {})
        .unwrap()
        .to_bytes();
    assert_ne!(a, c);
}
