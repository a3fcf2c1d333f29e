//! `textnn autotune`: the trial table on the tiny corpus, the saved model,
//! and its usage and data errors.

mod common;

use common::{data, failure, file_names, run, success};

/// Runs `textnn autotune` on `tests/data/train.txt` into a fresh folder with
/// `extra` options; returns the folder and the output.
fn autotune(extra: &[&str]) -> (tempfile::TempDir, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("best.textnn");
    let mut args = vec![
        "autotune".to_string(),
        data("train.txt").display().to_string(),
        "-o".to_string(),
        model.display().to_string(),
        "--threads".to_string(),
        "1".to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let output = run(args);
    (dir, output)
}

#[test]
fn autotune_prints_a_trial_table_and_saves_a_model_that_predicts() {
    let valid = data("test.txt").display().to_string();
    let data_path = data("train.txt").display().to_string();
    let (dir, output) = autotune(&["--valid", &valid, "--duration", "2", "--quiet"]);
    let table = success(&output);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        &header[..4],
        ["trial", "score", "secs", "preset"],
        "{table}"
    );
    let rows: Vec<Vec<&str>> = lines
        .by_ref()
        .take_while(|l| !l.is_empty())
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert!(rows.len() >= 2, "{table}");
    // The first two trials are the presets, then mutations, numbered in order.
    assert_eq!((rows[0][3], rows[1][3]), ("default", "fasttext"), "{table}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], (i + 1).to_string(), "{table}");
        let score: f64 = row[1].parse().unwrap_or(-1.0);
        assert!(
            row[1] == "failed" || (0.0..=1.0).contains(&score),
            "{table}"
        );
    }
    let best = lines.next().unwrap();
    assert!(best.starts_with("best: trial "), "{table}");
    assert!(
        best.contains(&format!("of {}, accuracy ", rows.len())),
        "{table}"
    );
    let best_number: usize = best["best: trial ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let best_score = rows[best_number - 1][1];
    assert!(
        best.contains(&format!("accuracy {best_score} on")),
        "{table}"
    );
    let same = lines.next().unwrap();
    assert!(
        same.starts_with("same model: textnn train ") && same.contains("--lr "),
        "{table}"
    );

    // Only the model is left in the folder: it was written atomically.
    assert_eq!(file_names(dir.path()), ["best.textnn"]);
    let model = dir.path().join("best.textnn").display().to_string();
    let tested = success(&run(["test", &model, &valid, "--json"]));
    let report: serde_json::Value = serde_json::from_str(&tested).unwrap();
    let accuracy = report["accuracy"].as_f64().unwrap();
    assert!(
        (format!("{accuracy:.4}") == best_score),
        "test {accuracy} vs {best_score}"
    );
    // The printed `train` command rebuilds the saved model bit for bit.
    let flags = same
        .split(" -o ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .skip(1);
    let rebuilt = dir.path().join("rebuilt.textnn").display().to_string();
    let mut train = vec!["train", data_path.as_str(), "-o", &rebuilt, "--quiet"];
    train.extend(flags);
    success(&run(&train));
    let same_bytes = std::fs::read(&model).unwrap() == std::fs::read(&rebuilt).unwrap();
    assert!(same_bytes, "{same} gave a different model");
    let predicted = success(&common::run_with_stdin(
        ["predict", &model, "-"],
        "will it rain tomorrow\n",
    ));
    assert!(!predicted.trim().is_empty());
}

#[test]
fn valid_split_and_label_metric_and_trial_limit() {
    let (_dir, output) = autotune(&[
        "--valid-split",
        "0.3",
        "--metric",
        "f1:weather",
        "--max-trials",
        "3",
        "--duration",
        "60",
    ]);
    let table = success(&output);
    assert!(
        table.contains("best: trial ") && table.contains(", f1:weather "),
        "{table}"
    );
    let rows = table.lines().skip(1).take_while(|l| !l.is_empty()).count();
    assert_eq!(rows, 3, "{table}");
    let stderr = common::stderr(&output);
    assert!(
        stderr.contains("searching for 60 s") && stderr.contains("saved "),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let valid = data("test.txt").display().to_string();
    let cases: [(&[&str], &str); 5] = [
        (&[], "--valid"),
        (
            &["--valid", &valid, "--valid-split", "0.2"],
            "cannot be used with",
        ),
        (
            &["--valid", &valid, "--duration", "0"],
            "positive number of seconds",
        ),
        (
            &["--valid", &valid, "--metric", "recall"],
            "accuracy, f1 or f1:LABEL",
        ),
        (
            &["--valid", &valid, "--duration", "soon"],
            "positive number of seconds",
        ),
    ];
    for (extra, expected) in cases {
        let (dir, output) = autotune(extra);
        failure(&output, 2, &[expected]);
        assert!(file_names(dir.path()).is_empty());
    }
}

#[test]
fn data_and_setting_errors_exit_1_without_a_model() {
    let valid = data("test.txt").display().to_string();
    let (dir, output) = autotune(&[
        "--valid",
        &valid,
        "--metric",
        "f1:snacks",
        "--duration",
        "1",
    ]);
    failure(
        &output,
        1,
        &["\"snacks\" does not occur in the training data"],
    );
    assert!(file_names(dir.path()).is_empty());

    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"__label__a hello\n__label__b ab\xFFc\n").unwrap();
    let bad = bad.display().to_string();
    let (dir2, output) = autotune(&["--valid", &bad, "--duration", "1"]);
    failure(&output, 1, &[&format!("textnn: {bad}:2: invalid UTF-8")]);
    assert!(file_names(dir2.path()).is_empty());

    let (dir4, output) = autotune(&["--valid-split", "0.9", "--duration", "1"]);
    failure(&output, 1, &["valid-split must be in (0, 0.5], got 0.9"]);
    assert!(file_names(dir4.path()).is_empty());
}
