//! fastText models through the command line: `predict`, `test`, `info`,
//! `explain` and `convert` on the fixtures fastText made
//! (`crates/textnn/tests/fixtures/fasttext/`, see
//! `bench/make_fasttext_fixtures.sh`), against fastText's own predictions.

mod common;

use common::{failure, run, success};
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../textnn/tests/fixtures/fasttext")
        .join(name)
}

/// fastText's predictions for fixture `name`: its model file and, per test
/// line, the labels (prefix removed) with their probabilities.
fn expected(name: &str) -> (PathBuf, Vec<Vec<(String, f64)>>) {
    let value: Value =
        serde_json::from_slice(&std::fs::read(fixture(&format!("{name}.expected.json"))).unwrap())
            .unwrap();
    let lines = value["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| {
            line["labels"]
                .as_array()
                .unwrap()
                .iter()
                .zip(line["probabilities"].as_array().unwrap())
                .map(|(l, p)| {
                    let label = l.as_str().unwrap();
                    (
                        label.trim_start_matches("__label__").to_string(),
                        p.as_f64().unwrap(),
                    )
                })
                .collect()
        })
        .collect();
    (fixture(value["model"].as_str().unwrap()), lines)
}

/// `textnn predict MODEL test.txt -k 5 --json`, per line (label, probability).
fn predict(model: &std::path::Path) -> Vec<Vec<(String, f64)>> {
    let out = success(&run([
        "predict".as_ref(),
        model.as_os_str(),
        fixture("test.txt").as_os_str(),
        "-k".as_ref(),
        "5".as_ref(),
        "--json".as_ref(),
    ]));
    out.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            value["labels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    (
                        l["label"].as_str().unwrap().to_string(),
                        l["probability"].as_f64().unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}

fn assert_same(name: &str, got: &[Vec<(String, f64)>], want: &[Vec<(String, f64)>]) {
    assert_eq!(got.len(), want.len(), "{name}: one answer per test line");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let labels = |r: &[(String, f64)]| r.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
        assert_eq!(labels(g), labels(w), "{name}: line {}", i + 1);
        for ((_, p), (_, q)) in g.iter().zip(w) {
            assert!(
                (p - q).abs() <= 1e-5,
                "{name}: line {}: {p} vs fastText's {q}",
                i + 1
            );
        }
    }
}

const FIXTURES: [&str; 4] = [
    "softmax_ngrams",
    "hs_words",
    "ova_charngrams",
    "hs_quantized_pruned",
];

#[test]
fn predict_on_a_fasttext_model_gives_fasttexts_labels_and_probabilities() {
    for name in FIXTURES {
        let (model, want) = expected(name);
        assert_same(name, &predict(&model), &want);
    }
}

#[test]
fn a_converted_model_predicts_the_same_and_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    for name in FIXTURES {
        let (model, want) = expected(name);
        let converted = dir.path().join(format!("{name}.textnn"));
        let output = run([
            "convert".as_ref(),
            model.as_os_str(),
            "-o".as_ref(),
            converted.as_os_str(),
        ]);
        success(&output);
        assert!(String::from_utf8_lossy(&output.stderr).contains("wrote"));
        assert_eq!(&std::fs::read(&converted).unwrap()[..8], b"TEXTNNMF");
        assert_same(name, &predict(&converted), &want);
        let info = success(&run(["info".as_ref(), converted.as_os_str()]));
        assert!(info.contains("in a textnn container"), "{info}");
    }
}

#[test]
fn convert_refuses_a_textnn_model_and_a_damaged_fasttext_file() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = expected("softmax_ngrams");
    let converted = dir.path().join("m.textnn");
    success(&run([
        "convert".as_ref(),
        model.as_os_str(),
        "-o".as_ref(),
        converted.as_os_str(),
    ]));
    // A converted model converts again to the same bytes.
    let again = dir.path().join("again.textnn");
    success(&run([
        "convert".as_ref(),
        converted.as_os_str(),
        "-o".as_ref(),
        again.as_os_str(),
    ]));
    assert_eq!(
        std::fs::read(&again).unwrap(),
        std::fs::read(&converted).unwrap()
    );
    // A model textnn trained is not converted.
    let trained = common::train(&common::data("train.txt"), &["--dim", "4"]);
    failure(
        &run([
            "convert".as_ref(),
            trained.model.as_os_str(),
            "-o".as_ref(),
            again.as_os_str(),
        ]),
        1,
        &["already a textnn model"],
    );
    let bytes = std::fs::read(&model).unwrap();
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).unwrap();
    let target = dir.path().join("out.textnn");
    failure(
        &run([
            "convert".as_ref(),
            cut.as_os_str(),
            "-o".as_ref(),
            target.as_os_str(),
        ]),
        1,
        &["cut.bin", "truncated"],
    );
    assert!(!target.exists(), "nothing is written for a refused model");
}

#[test]
fn info_shows_fasttexts_settings() {
    let info = success(&run([
        "info".as_ref(),
        fixture("hs_quantized_pruned.ftz").as_os_str(),
    ]));
    for piece in [
        "format          fastText model, version 12",
        "quantized       yes: product-quantized input and output, n-gram rows pruned",
        "loss hs",
        "dim             5",
        "word n-grams 2, char n-grams 3-3, bucket 500",
        "labels          460",
    ] {
        assert!(info.contains(piece), "{piece:?} missing from\n{info}");
    }
    let json: Value = serde_json::from_str(&success(&run([
        "info".as_ref(),
        fixture("softmax_words.bin").as_os_str(),
        "--json".as_ref(),
    ])))
    .unwrap();
    assert_eq!(json["kind"], "fasttext");
    assert_eq!(json["loss"], "softmax");
    assert_eq!(json["word_ngrams"], 1);
    assert_eq!(json["maxn"], 0);
    assert_eq!(json["quantized"], false);
    assert_eq!(json["args"]["dim"], 4);
}

#[test]
fn test_scores_a_fasttext_model_on_labelled_lines() {
    let dir = tempfile::tempdir().unwrap();
    // The first test texts with fastText's own top label as gold: accuracy 1.
    let (model, want) = expected("ova_charngrams");
    let texts: Vec<String> = std::fs::read_to_string(fixture("test.txt"))
        .unwrap()
        .lines()
        .take(30)
        .map(str::to_string)
        .collect();
    let labelled: String = texts
        .iter()
        .zip(&want)
        .map(|(text, ranked)| format!("__label__{} {text}\n", ranked[0].0))
        .collect();
    let path = dir.path().join("gold.txt");
    std::fs::write(&path, labelled).unwrap();
    let report = success(&run([
        "test".as_ref(),
        model.as_os_str(),
        path.as_os_str(),
        "--json".as_ref(),
    ]));
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["examples"], 30, "{report}");
    assert_eq!(report["accuracy"], 1.0, "{report}");
}

#[test]
fn explain_on_a_fasttext_model_leaves_each_token_out() {
    let (model, _) = expected("softmax_ngrams");
    let out = success(&run([
        "explain".as_ref(),
        model.as_os_str(),
        "turn on the kitchen lights".as_ref(),
        "--json".as_ref(),
    ]));
    let e: Value = serde_json::from_str(&out).unwrap();
    let tokens: Vec<&str> = e["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tokens, ["turn", "on", "the", "kitchen", "lights", "</s>"]);
    assert_eq!(e["label"], e["top_labels"][0]["label"]);
    for c in e["contributions"].as_array().unwrap() {
        let (p, without, contribution) = (
            e["probability"].as_f64().unwrap(),
            c["probability_without"].as_f64().unwrap(),
            c["contribution"].as_f64().unwrap(),
        );
        assert!((p - without - contribution).abs() < 1e-12, "{c}");
    }
    failure(
        &run([
            "explain".as_ref(),
            model.as_os_str(),
            "turn on".as_ref(),
            "--trace".as_ref(),
            "--label".as_ref(),
            "HassTurnOn".as_ref(),
        ]),
        1,
        &["--trace", "fastText model"],
    );
}
