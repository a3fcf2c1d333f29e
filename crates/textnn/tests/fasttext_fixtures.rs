//! Fidelity to fastText: every fixture model in `tests/fixtures/fasttext/`
//! (made by fastText itself with `bench/make_fasttext_fixtures.sh`) predicts
//! the labels fastText predicted, in fastText's order, with probabilities
//! within 1e-5 of fastText's, on every line of the fixture test texts.

use std::path::{Path, PathBuf};
use textnn::fasttext_model::FastTextModel;

/// Largest difference allowed between textnn's and fastText's probability.
const TOLERANCE: f64 = 1e-5;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fasttext")
}

/// The fixture names in the manifest the script writes.
fn fixture_names() -> Vec<String> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("manifest.json")).unwrap()).unwrap();
    manifest.as_object().unwrap().keys().cloned().collect()
}

/// Labels with their probabilities, best first.
type Ranking = Vec<(String, f64)>;

/// fastText's predictions for one fixture: its model file, its `k`, and
/// per test line (text, ranking).
fn expected(name: &str) -> (String, usize, Vec<(String, Ranking)>) {
    let value: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures().join(format!("{name}.expected.json"))).unwrap(),
    )
    .unwrap();
    let lines = value["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            let labels = line["labels"].as_array().unwrap();
            let probs = line["probabilities"].as_array().unwrap();
            let ranked = labels
                .iter()
                .zip(probs)
                .map(|(l, p)| {
                    let label = l.as_str().unwrap();
                    let label = label.strip_prefix("__label__").unwrap_or(label);
                    (label.to_string(), p.as_f64().unwrap())
                })
                .collect();
            (line["text"].as_str().unwrap().to_string(), ranked)
        })
        .collect();
    (
        value["model"].as_str().unwrap().to_string(),
        value["k"].as_u64().unwrap() as usize,
        lines,
    )
}

/// Compares `model`'s predictions with fastText's for fixture `name`;
/// returns the largest probability difference.
fn check(model: &FastTextModel, name: &str) -> f64 {
    let (_, k, lines) = expected(name);
    let mut worst = 0.0f64;
    for (text, want) in &lines {
        let got: Vec<(String, f64)> = model
            .predict(text, k, 0.0)
            .into_iter()
            .map(|(id, p)| (model.label_name(id).to_string(), p as f64))
            .collect();
        let got_labels: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
        let want_labels: Vec<&str> = want.iter().map(|w| w.0.as_str()).collect();
        assert_eq!(got_labels, want_labels, "{name}: labels of {text:?}");
        for ((_, p), (_, q)) in got.iter().zip(want) {
            let diff = (p - q).abs();
            worst = worst.max(diff);
            assert!(
                diff <= TOLERANCE,
                "{name}: {text:?}: textnn {p}, fastText {q}"
            );
        }
    }
    worst
}

#[test]
fn every_fixture_predicts_what_fasttext_predicted() {
    let names = fixture_names();
    assert!(names.len() >= 8, "fixtures missing: {names:?}");
    for name in names {
        let (file, _, lines) = expected(&name);
        assert!(lines.len() >= 50, "{name}: too few test lines");
        let model = FastTextModel::load(&fixtures().join(&file)).unwrap();
        let worst = check(&model, &name);
        eprintln!("{name}: largest probability difference {worst:e}");
    }
}

#[test]
fn the_fixtures_cover_every_loss_ngrams_and_quantization() {
    let mut seen = std::collections::BTreeSet::new();
    for name in fixture_names() {
        let (file, _, _) = expected(&name);
        let model = FastTextModel::load(&fixtures().join(&file)).unwrap();
        let args = model.args();
        seen.insert(args.loss.name().to_string());
        if args.word_ngrams > 1 {
            seen.insert("word n-grams".into());
        }
        if args.maxn > 0 {
            seen.insert("char n-grams".into());
        }
        match (args.word_ngrams > 1, args.maxn > 0) {
            (false, false) => seen.insert("words only".into()),
            (true, false) => seen.insert("word n-grams only".into()),
            (false, true) => seen.insert("char n-grams only".into()),
            (true, true) => seen.insert("word and char n-grams".into()),
        };
        if model.is_quantized() {
            seen.insert("quantized".into());
        }
        if model.is_output_quantized() {
            seen.insert("quantized output".into());
        }
        if model.is_pruned() {
            seen.insert("pruned".into());
        }
    }
    for wanted in [
        "softmax",
        "hs",
        "ova",
        "word n-grams",
        "char n-grams",
        "ns",
        "words only",
        "word n-grams only",
        "char n-grams only",
        "word and char n-grams",
        "quantized",
        "quantized output",
        "pruned",
    ] {
        assert!(seen.contains(wanted), "no fixture with {wanted}: {seen:?}");
    }
}

#[test]
fn a_model_saved_in_the_textnn_container_predicts_the_same_bits() {
    let dir = tempfile::tempdir().unwrap();
    for name in fixture_names() {
        let (file, _, lines) = expected(&name);
        let model = FastTextModel::load(&fixtures().join(&file)).unwrap();
        let path = dir.path().join(format!("{name}.textnn"));
        model.save(&path).unwrap();
        let again = FastTextModel::load_container(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let from_memory = FastTextModel::container_from_bytes("memory", &bytes).unwrap();
        for (text, _) in &lines {
            let want = model.predict(text, 0, 0.0);
            assert_eq!(again.predict(text, 0, 0.0), want, "{name}: {text:?}");
            assert_eq!(from_memory.predict(text, 0, 0.0), want, "{name}: {text:?}");
        }
        assert_eq!(again.args(), model.args());
        assert_eq!(again.is_quantized(), model.is_quantized());
        check(&again, &name);
    }
}
