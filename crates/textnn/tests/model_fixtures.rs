//! Committed model files, one per format version, keep loading and keep
//! predicting what they predicted when they were written: a model saved by
//! an old textnn must still work after the format moves on.
//!
//! `tests/fixtures/README.md` says how to add the fixture of a new version
//! (`cargo test -p textnn --test model_fixtures -- --ignored`).

mod common;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use textnn::format::{FORMAT_VERSION, OLDEST_READABLE_VERSION};
use textnn::Classifier;

/// Texts whose predictions each fixture records: seen, unseen, partly
/// seen, empty and non-ASCII.
const TEXTS: [&str; 6] = [
    "turn on the kitchen light",
    "will it rain tomorrow",
    "switch the lamp off",
    "something never seen before",
    "",
    "Lumière ☀ allumée",
];

fn fixture(version: u32, extension: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("model-v{version}.{extension}"))
}

/// Every label's probability for each of [`TEXTS`], and the top label.
fn predictions(model: &Classifier) -> Value {
    let mut scratch = model.scratch();
    let texts: Vec<Value> = TEXTS
        .iter()
        .map(|&text| {
            let probs = model.probabilities_with(text, &mut scratch).to_vec();
            let ranked = model.predict(text, 1, 0.0);
            let by_label: serde_json::Map<String, Value> = probs
                .iter()
                .enumerate()
                .map(|(id, &p)| (model.label_name(id).to_string(), json!(p)))
                .collect();
            json!({
                "text": text,
                "top": model.label_name(ranked[0].0),
                "probabilities": by_label,
            })
        })
        .collect();
    json!({ "texts": texts })
}

#[test]
fn every_fixture_loads_and_predicts_as_recorded() {
    for version in OLDEST_READABLE_VERSION..=FORMAT_VERSION {
        let model_path = fixture(version, "textnn");
        let model = Classifier::load(&model_path)
            .unwrap_or_else(|e| panic!("fixture of format version {version}: {e}"));
        let expected: Value =
            serde_json::from_slice(&std::fs::read(fixture(version, "expected.json")).unwrap())
                .unwrap();
        let actual = predictions(&model);
        let (expected, actual) = (
            expected["texts"].as_array().unwrap(),
            actual["texts"].as_array().unwrap(),
        );
        assert_eq!(expected.len(), actual.len(), "v{version}");
        for (e, a) in expected.iter().zip(actual) {
            let text = e["text"].as_str().unwrap();
            assert_eq!(e["text"], a["text"], "v{version}");
            assert_eq!(e["top"], a["top"], "v{version}, {text:?}");
            let (e, a) = (
                e["probabilities"].as_object().unwrap(),
                a["probabilities"].as_object().unwrap(),
            );
            assert_eq!(
                e.keys().collect::<Vec<_>>(),
                a.keys().collect::<Vec<_>>(),
                "v{version}: labels"
            );
            for (label, p) in e {
                let (p, q) = (p.as_f64().unwrap(), a[label].as_f64().unwrap());
                assert!(
                    (p - q).abs() <= 1e-6,
                    "v{version}, {text:?}, {label}: recorded {p}, now {q}"
                );
            }
        }
    }
}

#[test]
fn the_fixture_of_the_current_format_version_is_saved_back_unchanged() {
    // Loading and saving the current version's fixture gives its weights,
    // shape, vocabulary and labels back. (The stored settings may gain
    // fields with defaults, and older versions may be upgraded on save, so
    // only these parts of the current version are compared.)
    let path = fixture(FORMAT_VERSION, "textnn");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; add the fixture of format version {FORMAT_VERSION} \
             (see tests/fixtures/README.md)",
            path.display()
        )
    });
    let saved = Classifier::from_bytes("fixture", &bytes)
        .unwrap()
        .to_bytes();
    let (old, new) = (common::sections(&bytes), common::sections(&saved));
    assert_eq!(old[1..], new[1..]);
    let (old, new): (Value, Value) = (
        serde_json::from_slice(&old[0].bytes).unwrap(),
        serde_json::from_slice(&new[0].bytes).unwrap(),
    );
    for key in ["network", "vocabulary", "labels"] {
        assert_eq!(old[key], new[key], "{key}");
    }
}

/// Writes the fixture of the current format version and its expected
/// predictions; refuses to overwrite an existing one. Run by hand when the
/// format version changes (see tests/fixtures/README.md).
#[test]
#[ignore = "writes a new fixture; run by hand when the format version changes"]
fn write_the_fixture_of_the_current_format_version() {
    let (model_path, expected_path) = (
        fixture(FORMAT_VERSION, "textnn"),
        fixture(FORMAT_VERSION, "expected.json"),
    );
    assert!(
        !model_path.exists() && !expected_path.exists(),
        "the fixture of format version {FORMAT_VERSION} exists already: \
         fixtures are never rewritten"
    );
    let mut config = common::tiny_config();
    config.network.dim = 8;
    config.features.buckets = 32;
    config.epochs = 60;
    // Settings the format gained since version 1, so they are stored.
    config.features.binary = false;
    config.network.sublinear_tf = true;
    let model = textnn::train(&config, &common::examples(), &mut |_| {}).unwrap();
    model.save(&model_path).unwrap();
    // Predictions of the model as loaded, which is what the test compares.
    let loaded = Classifier::load(&model_path).unwrap();
    let mut expected = predictions(&loaded);
    expected["format_version"] = json!(FORMAT_VERSION);
    expected["textnn_version"] = json!(env!("CARGO_PKG_VERSION"));
    let mut text = serde_json::to_string_pretty(&expected).unwrap();
    text.push('\n');
    std::fs::write(&expected_path, text).unwrap();
}
