//! train → predict → test on the tiny corpora in `tests/data/`, in every
//! input format, plus the shape of `predict` and `test` output.
//!
//! The corpora: 30 commands to a voice assistant in three classes (weather,
//! music, lights), the same in CSV, TSV, JSONL and intents JSON, and a few
//! test commands.

mod common;

use common::{data, parse_prediction_line, run, run_with_stdin, success, train, train_fasttext};
use serde_json::Value;

/// Input of the prediction tests: one line per class, then a blank line.
const QUERIES: &str = "turn on the kitchen light\nplay some music\n\nwill it rain today\n";

#[test]
fn train_predict_test_round_trip_on_fasttext_format() {
    let trained = train_fasttext();
    let out = success(&run([
        "predict",
        trained.path(),
        data("test.txt").to_str().unwrap(),
    ]));
    let got: Vec<String> = out
        .lines()
        .map(|line| parse_prediction_line(line)[0].0.clone())
        .collect();
    // The labels in test.txt are ignored by predict, but it is what they say.
    assert_eq!(
        got,
        ["weather", "weather", "music", "music", "lights", "lights"]
    );

    let report = success(&run([
        "test",
        trained.path(),
        data("test.txt").to_str().unwrap(),
    ]));
    assert!(report.contains("examples        6"), "{report}");
    assert!(report.contains("accuracy        1.0000"), "{report}");
}

#[test]
fn predict_prints_one_label_probability_pair_per_input_line() {
    let trained = train_fasttext();
    let out = success(&run_with_stdin(["predict", trained.path()], QUERIES));
    let lines: Vec<&str> = out.lines().collect();
    // One output line per input line, the blank one included.
    assert_eq!(lines.len(), 4, "{out:?}");
    assert!(out.ends_with('\n'));
    let top: Vec<Vec<(String, f64)>> = lines.iter().map(|l| parse_prediction_line(l)).collect();
    for labels in &top {
        assert_eq!(labels.len(), 1, "{out}");
    }
    assert_eq!(top[0][0].0, "lights");
    assert_eq!(top[1][0].0, "music");
    assert_eq!(top[3][0].0, "weather");
}

#[test]
fn predict_dash_reads_stdin_like_no_input() {
    let trained = train_fasttext();
    let implicit = success(&run_with_stdin(["predict", trained.path()], QUERIES));
    let dash = success(&run_with_stdin(["predict", trained.path(), "-"], QUERIES));
    assert_eq!(implicit, dash);
}

#[test]
fn predict_k_2_gives_two_ranked_labels() {
    let trained = train_fasttext();
    let out = success(&run_with_stdin(
        ["predict", trained.path(), "--k", "2"],
        QUERIES,
    ));
    for line in out.lines() {
        let labels = parse_prediction_line(line);
        assert_eq!(labels.len(), 2, "{line}");
        assert_ne!(labels[0].0, labels[1].0, "{line}");
        assert!(labels[0].1 >= labels[1].1, "not ranked: {line}");
    }
}

#[test]
fn predict_k_0_softmax_probabilities_sum_to_one() {
    let trained = train_fasttext();
    let out = success(&run_with_stdin(
        ["predict", trained.path(), "--k", "0"],
        QUERIES,
    ));
    for line in out.lines() {
        let labels = parse_prediction_line(line);
        let mut names: Vec<&str> = labels.iter().map(|(l, _)| l.as_str()).collect();
        names.sort();
        assert_eq!(names, ["lights", "music", "weather"], "{line}");
        for (_, p) in &labels {
            assert!((0.0..=1.0).contains(p), "{line}");
        }
        let sum: f64 = labels.iter().map(|(_, p)| p).sum();
        assert!((sum - 1.0).abs() < 1e-6, "sum {sum}: {line}");
    }
}

#[test]
fn predict_threshold_drops_unlikely_labels_but_keeps_the_line() {
    let trained = train_fasttext();
    let out = success(&run_with_stdin(
        ["predict", trained.path(), "--k", "0", "--threshold", "0.5"],
        QUERIES,
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out:?}");
    for line in [lines[0], lines[1], lines[3]] {
        let labels = parse_prediction_line(line);
        assert_eq!(labels.len(), 1, "{line}");
        assert!(labels[0].1 >= 0.5, "{line}");
    }
    // The blank line has uniform probabilities (1/3), all below 0.5.
    assert_eq!(lines[2], "");

    // A threshold of 1 leaves nothing, yet every input line is answered.
    let out = success(&run_with_stdin(
        ["predict", trained.path(), "--threshold", "1"],
        QUERIES,
    ));
    assert_eq!(out, "\n\n\n\n");
}

#[test]
fn predict_uses_the_threshold_stored_in_the_model_unless_overridden() {
    let trained = train(&data("train.txt"), &["--threshold", "0.9"]);
    let stored = success(&run_with_stdin(
        ["predict", trained.path(), "--k", "0"],
        "play some music\n\n",
    ));
    let lines: Vec<&str> = stored.lines().collect();
    assert_eq!(parse_prediction_line(lines[0]).len(), 1, "{stored}");
    assert_eq!(lines[1], "", "{stored}");
    let overridden = success(&run_with_stdin(
        ["predict", trained.path(), "--k", "0", "--threshold", "0"],
        "play some music\n\n",
    ));
    for line in overridden.lines() {
        assert_eq!(parse_prediction_line(line).len(), 3, "{overridden}");
    }
}

#[test]
fn predict_json_shape() {
    let trained = train_fasttext();
    let out = success(&run_with_stdin(
        ["predict", trained.path(), "--json", "--k", "2"],
        QUERIES,
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out:?}");
    for line in lines {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let object = value.as_object().unwrap();
        assert_eq!(object.keys().collect::<Vec<_>>(), ["labels"], "{line}");
        let labels = object["labels"].as_array().unwrap();
        assert_eq!(labels.len(), 2, "{line}");
        for entry in labels {
            let entry = entry.as_object().unwrap();
            let mut keys: Vec<&str> = entry.keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(keys, ["label", "probability"], "{line}");
            assert!(entry["label"].is_string(), "{line}");
            let p = entry["probability"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&p), "{line}");
        }
    }
}

#[test]
fn predict_json_and_text_agree() {
    let trained = train_fasttext();
    let text = success(&run_with_stdin(
        ["predict", trained.path(), "--k", "0"],
        QUERIES,
    ));
    let json = success(&run_with_stdin(
        ["predict", trained.path(), "--k", "0", "--json"],
        QUERIES,
    ));
    for (text_line, json_line) in text.lines().zip(json.lines()) {
        let value: Value = serde_json::from_str(json_line).unwrap();
        let from_json: Vec<(String, f64)> = value["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["label"].as_str().unwrap().to_string(),
                    e["probability"].as_f64().unwrap(),
                )
            })
            .collect();
        let from_text = parse_prediction_line(text_line);
        assert_eq!(from_json.len(), from_text.len());
        for ((a, p), (b, q)) in from_json.iter().zip(&from_text) {
            assert_eq!(a, b);
            // The text form prints the f32, the JSON form its f64 widening.
            assert!((p - q).abs() < 1e-6, "{json_line} vs {text_line}");
        }
    }
}

/// Trains on `file` (with `extra` options), predicts the same file and
/// checks one output line per example and perfect training accuracy.
fn check_format(file: &str, extra: &[&str]) {
    let input = data(file);
    let input = input.to_str().unwrap();
    let trained = train(&data(file), extra);
    let mut predict = vec!["predict", trained.path(), input];
    predict.extend_from_slice(extra);
    let out = success(&run(&predict));
    assert_eq!(
        out.lines().count(),
        30,
        "{file}: one line per example:\n{out}"
    );
    let mut test = vec!["test", trained.path(), input, "--json"];
    test.extend_from_slice(extra);
    let report: Value = serde_json::from_str(&success(&run(&test))).unwrap();
    assert_eq!(report["examples"], 30, "{file}");
    assert!(
        report["accuracy"].as_f64().unwrap() > 0.9,
        "{file}: {report}"
    );
}

#[test]
fn csv_with_quoted_comma_and_embedded_newline_trains_and_predicts() {
    // 32 physical lines: a header, 30 records, one of which spans two lines.
    check_format("train.csv", &[]);
}

#[test]
fn csv_with_other_column_names_trains_and_predicts() {
    check_format(
        "train_columns.csv",
        &["--text-column", "utterance", "--label-column", "intent"],
    );
}

#[test]
fn tsv_trains_and_predicts() {
    check_format("train.tsv", &[]);
}

#[test]
fn jsonl_with_label_and_labels_trains_and_predicts() {
    check_format("train.jsonl", &[]);
}

#[test]
fn intents_json_trains_and_predicts() {
    check_format("intents.json", &[]);
}

#[test]
fn format_option_overrides_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("commands.data");
    std::fs::copy(data("train.csv"), &renamed).unwrap();
    let trained = train(&renamed, &["--format", "csv"]);
    let out = success(&run([
        "predict",
        trained.path(),
        renamed.to_str().unwrap(),
        "--format",
        "csv",
    ]));
    assert_eq!(out.lines().count(), 30);
}

/// The top-level keys of `test --json`.
const REPORT_KEYS: [&str; 12] = [
    "examples",
    "accuracy",
    "error_rate",
    "loss",
    "k",
    "precision_at_k",
    "recall_at_k",
    "macro_f1",
    "weighted_f1",
    "labels",
    "unseen_labels",
    "examples_with_unseen_labels",
];

#[test]
fn test_json_has_every_figure() {
    let trained = train_fasttext();
    let out = success(&run([
        "test",
        trained.path(),
        data("test.txt").to_str().unwrap(),
        "--json",
    ]));
    let report: Value = serde_json::from_str(&out).unwrap();
    let object = report.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    // The figures, and the confusion analysis (tests/cli_confusion.rs).
    let mut expected = REPORT_KEYS.to_vec();
    expected.push("confusion");
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(report["examples"], 6);
    assert_eq!(report["k"], 1);
    let accuracy = report["accuracy"].as_f64().unwrap();
    let error_rate = report["error_rate"].as_f64().unwrap();
    assert!((error_rate - (1.0 - accuracy)).abs() < 1e-12, "{report}");
    for key in [
        "accuracy",
        "precision_at_k",
        "recall_at_k",
        "macro_f1",
        "weighted_f1",
    ] {
        let v = report[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }
    assert!(report["loss"].as_f64().unwrap() >= 0.0);
    let labels: Vec<&str> = report["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["lights", "music", "weather"]);
    assert_eq!(report["unseen_labels"], serde_json::json!([]));
    assert_eq!(report["examples_with_unseen_labels"], 0);
}

#[test]
fn test_error_rate_is_one_minus_accuracy_when_some_are_wrong() {
    // The timer command has a label the model never saw, so accuracy is
    // below 1; k = 2 must not change how error_rate relates to it.
    let trained = train_fasttext();
    let out = success(&run([
        "test",
        trained.path(),
        data("test_unseen.txt").to_str().unwrap(),
        "--json",
        "--k",
        "2",
    ]));
    let report: Value = serde_json::from_str(&out).unwrap();
    let accuracy = report["accuracy"].as_f64().unwrap();
    assert!(accuracy < 1.0, "{report}");
    let error_rate = report["error_rate"].as_f64().unwrap();
    assert!((error_rate - (1.0 - accuracy)).abs() < 1e-12, "{report}");
    assert_eq!(report["k"], 2);
}

#[test]
fn test_reports_a_label_unseen_in_training_without_failing() {
    let trained = train_fasttext();
    let file = data("test_unseen.txt");
    let out = success(&run([
        "test",
        trained.path(),
        file.to_str().unwrap(),
        "--json",
    ]));
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["examples"], 4);
    assert_eq!(
        report["unseen_labels"],
        serde_json::json!([{"label": "timer", "count": 1}])
    );
    assert_eq!(report["examples_with_unseen_labels"], 1);
    // The timer command cannot be right, the other three are easy.
    assert_eq!(report["accuracy"].as_f64().unwrap(), 0.75);
    // The unseen gold label counts in recall's denominator.
    assert_eq!(report["recall_at_k"].as_f64().unwrap(), 0.75);

    let text = success(&run(["test", trained.path(), file.to_str().unwrap()]));
    assert!(
        text.contains("unseen labels   1 in 1 examples: timer (1)"),
        "{text}"
    );
}

#[test]
fn same_seed_gives_byte_identical_models() {
    // Dropout and batching draw on the seed too.
    let settings: [&[&str]; 3] = [
        &[],
        &["--dropout", "0.2"],
        &["--optimizer", "adam", "--batch", "4", "--lr", "0.05"],
    ];
    for extra in settings {
        let first = train(&data("train.txt"), extra);
        let second = train(&data("train.txt"), extra);
        let a = std::fs::read(&first.model).unwrap();
        let b = std::fs::read(&second.model).unwrap();
        assert!(a == b, "{extra:?}: two runs with seed 1 differ");

        let mut reseeded = extra.to_vec();
        reseeded.extend_from_slice(&["--seed", "2"]);
        let other = train(&data("train.txt"), &reseeded);
        let c = std::fs::read(&other.model).unwrap();
        assert!(a != c, "{extra:?}: seeds 1 and 2 give the same model");
    }
}

#[test]
fn predictions_ignore_whitespace_and_line_endings() {
    let trained = train_fasttext();
    let input = "turn on the light\n\
                 turn on the light\r\n\
                 turn on the light   \n\
                 \x20\x20turn   on  the light\n\
                 \tturn\ton\tthe\tlight\t\n\
                 turn on \t the light\r\n\
                 turn on the light";
    for extra in [&["--k", "0"][..], &["--k", "0", "--json"]] {
        let mut args = vec!["predict", trained.path()];
        args.extend_from_slice(extra);
        let out = success(&run_with_stdin(&args, input));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 7, "{out:?}");
        for line in &lines {
            assert_eq!(line, &lines[0], "{extra:?}\n{out}");
        }
    }
}

#[test]
fn default_tokenizer_ignores_case_and_unicode_normalization_form() {
    let trained = train_fasttext();
    // "café" precomposed (NFC) and decomposed (NFD), then case variants.
    let input = "play caf\u{e9} music\nplay cafe\u{301} music\n\
                 TURN ON THE LIGHT\nTurn On The Light\nturn on the light\n";
    let out = success(&run_with_stdin(
        ["predict", trained.path(), "--k", "0"],
        input,
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out:?}");
    assert_eq!(lines[0], lines[1], "NFC and NFD differ:\n{out}");
    assert_eq!(lines[2], lines[4], "case matters:\n{out}");
    assert_eq!(lines[3], lines[4], "case matters:\n{out}");
}

#[test]
fn predict_on_a_file_matches_predict_on_stdin() {
    let trained = train_fasttext();
    let file = data("test.txt");
    let from_file = success(&run(["predict", trained.path(), file.to_str().unwrap()]));
    let from_stdin = success(&run_with_stdin(
        ["predict", trained.path()],
        std::fs::read(&file).unwrap(),
    ));
    assert_eq!(from_file, from_stdin);
}
