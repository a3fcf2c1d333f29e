//! Training data as the command line sees it: skipped lines counted and
//! reported after training (stderr and the `--log` file), `--lossy`,
//! validation labels unseen in training, a 10 MB line, and the exit-code
//! contract (0 success, 1 runtime or data error, 2 usage).

mod common;

use common::{data, failure, fast_with, run, run_with_stdin, stderr, stdout, success};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `tests/data/train.txt` followed by `extra`, written to `DIR/NAME`.
fn train_file_plus(dir: &Path, name: &str, extra: &[u8]) -> PathBuf {
    let mut bytes = std::fs::read(data("train.txt")).unwrap();
    bytes.extend_from_slice(extra);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs `textnn train INPUT -o DIR/model.textnn` with the fast settings
/// (`--quiet` included) and `extra`.
fn train(dir: &Path, input: &Path, extra: &[&str]) -> std::process::Output {
    let model = dir.join("model.textnn");
    let mut args = vec![
        "train".to_string(),
        input.display().to_string(),
        "-o".to_string(),
        model.display().to_string(),
    ];
    args.extend(fast_with(extra));
    run(args)
}

/// The JSON records of a `--log` file.
fn log_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn training_summary_counts_skipped_lines_on_stderr_and_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    // train.txt has 30 lines: the extra ones are 31 to 34.
    let input = train_file_plus(
        dir.path(),
        "train.txt",
        b"__label__music\nturn it up\n\n__label__lights __label__music \t\n",
    );
    let log = dir.path().join("log.jsonl");
    let output = train(dir.path(), &input, &["--log", log.to_str().unwrap()]);
    success(&output);
    let expected = format!(
        "textnn: warning: {}: skipped 3 lines: 2 without text (lines 31, 34), 1 without label (line 32)\n",
        input.display()
    );
    // Printed even with --quiet, since data was left out.
    assert_eq!(stderr(&output), expected);

    let records = log_records(&log);
    let summary = &records.last().unwrap()["data"]["train"];
    assert_eq!(summary["skipped"], 3, "{summary}");
    assert_eq!(summary["without_text"], 2);
    assert_eq!(summary["without_label"], 1);
    assert_eq!(summary["replaced_utf8"], 0);
    assert_eq!(
        summary["summary"],
        "skipped 3 lines: 2 without text (lines 31, 34), 1 without label (line 32)"
    );
    // Every other record is an epoch.
    assert!(records[..records.len() - 1]
        .iter()
        .all(|record| record["epoch"].is_u64()));
}

#[test]
fn training_summary_comes_after_the_epoch_lines() {
    let dir = tempfile::tempdir().unwrap();
    let input = train_file_plus(dir.path(), "train.txt", b"no label\n");
    let model = dir.path().join("model.textnn");
    let output = run([
        "train",
        input.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--epochs",
        "3",
        "--buckets",
        "1000",
        "--dim",
        "4",
    ]);
    let stderr = stderr(&output);
    success(&output);
    let warning = stderr.find("skipped 1 line: 1 without label (line 31)");
    let last_epoch = stderr.find("epoch 3/3");
    assert!(
        matches!((last_epoch, warning), (Some(e), Some(w)) if e < w),
        "{stderr}"
    );
}

#[test]
fn a_clean_training_file_prints_no_warning_and_logs_only_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    let output = train(
        dir.path(),
        &data("train.txt"),
        &["--epochs", "3", "--log", log.to_str().unwrap()],
    );
    success(&output);
    assert_eq!(stderr(&output), "");
    assert_eq!(log_records(&log).len(), 3);
}

#[test]
fn a_file_of_only_skipped_lines_fails_with_the_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("train.csv");
    std::fs::write(&input, "text,label\n,a\nhello,\n").unwrap();
    let output = train(dir.path(), &input, &[]);
    failure(
        &output,
        1,
        &[&format!(
            "textnn: {}: no examples: skipped 2 lines: 1 without text (line 2), 1 without label (line 3) \
             (texts come from column \"text\", labels from column \"label\")",
            input.display()
        )],
    );
    assert!(!dir.path().join("model.textnn").exists());
}

#[test]
fn lossy_replaces_invalid_utf8_in_train_test_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    let input = train_file_plus(dir.path(), "train.txt", b"__label__music play \xFFjazz\n");
    // Without --lossy: refused with line and byte offset.
    failure(
        &train(dir.path(), &input, &[]),
        1,
        &[&format!(
            "textnn: {}:31: invalid UTF-8 at byte offset 20 of the line",
            input.display()
        )],
    );
    let log = dir.path().join("log.jsonl");
    let output = train(
        dir.path(),
        &input,
        &["--lossy", "--log", log.to_str().unwrap()],
    );
    success(&output);
    assert!(
        stderr(&output).contains("replaced invalid UTF-8 with U+FFFD on 1 line (line 31)"),
        "{}",
        stderr(&output)
    );
    let records = log_records(&log);
    assert_eq!(records.last().unwrap()["data"]["train"]["replaced_utf8"], 1);

    let model = dir.path().join("model.textnn");
    let model = model.to_str().unwrap();
    let test_file = dir.path().join("test.txt");
    std::fs::write(&test_file, b"__label__music play \xC3jazz\n").unwrap();
    let test_file = test_file.to_str().unwrap();
    failure(
        &run(["test", model, test_file]),
        1,
        &["test.txt:1: invalid UTF-8"],
    );
    let output = run(["test", model, test_file, "--lossy"]);
    assert!(success(&output).contains("examples        1"));

    failure(
        &run_with_stdin(["predict", model], b"play \xFFjazz\n".to_vec()),
        1,
        &["textnn: <stdin>:1: invalid UTF-8 at byte offset 5 of the line"],
    );
    let output = run_with_stdin(["predict", model, "--lossy"], b"play \xFFjazz\n".to_vec());
    assert!(
        success(&output).starts_with("music "),
        "{}",
        stdout(&output)
    );
}

#[test]
fn validation_labels_unseen_in_training_are_counted_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let valid = dir.path().join("valid.txt");
    std::fs::write(
        &valid,
        "__label__music play some jazz\n__label__alarms wake me at six\n\
         __label__alarms __label__lights alarm and lights\n__label__alarms snooze\n",
    )
    .unwrap();
    let log = dir.path().join("log.jsonl");
    let output = train(
        dir.path(),
        &data("train.txt"),
        &[
            "--valid",
            valid.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
            "--epochs",
            "2",
        ],
    );
    success(&output);
    let expected = format!(
        "textnn: warning: {}: 3 examples have labels unseen in training (\"alarms\" 3); \
         2 of them have no known label and are left out of validation\n",
        valid.display()
    );
    assert_eq!(stderr(&output), expected);
    let records = log_records(&log);
    assert_eq!(records.len(), 3, "two epochs and the data record");
    let summary = &records[2]["data"]["valid"];
    assert_eq!(summary["unseen_label_examples"], 3, "{summary}");
    assert_eq!(summary["left_out"], 2);
    assert_eq!(summary["unseen_labels"]["alarms"], 3);
    // Validation still ran on the two examples with a known label.
    assert!(records[0]["valid_accuracy"].is_f64(), "{}", records[0]);
}

#[test]
fn a_ten_megabyte_line_trains_and_predicts() {
    let dir = tempfile::tempdir().unwrap();
    // About 10 MB of words on one line, 200,000 distinct ones.
    let mut line = String::from("__label__weather");
    let mut i = 0;
    while line.len() < 10_000_000 {
        line.push_str(&format!(" w{}", i % 200_000));
        i += 1;
    }
    line.push('\n');
    let input = train_file_plus(dir.path(), "train.txt", line.as_bytes());
    let started = std::time::Instant::now();
    success(&train(dir.path(), &input, &["--epochs", "1"]));
    // A linear pipeline takes seconds even in a debug build; a quadratic
    // one would not finish.
    assert!(started.elapsed().as_secs() < 300, "{:?}", started.elapsed());

    let model = dir.path().join("model.textnn");
    let output = run_with_stdin(["predict", model.to_str().unwrap()], line.into_bytes());
    assert_eq!(success(&output).lines().count(), 1);
}

/// Unicode spaces separate words for both tokenizers: a model trained on
/// ASCII-spaced text predicts the same for a text whose words are joined
/// by no-break, em, narrow no-break, ideographic or other Unicode spaces,
/// read from stdin (fastText lines) or kept whole in a JSONL file.
#[test]
fn unicode_spaces_separate_predicted_words_like_ascii_spaces_for_both_presets() {
    let spaces = [
        ' ', '\u{A0}', '\u{2000}', '\u{2003}', '\u{200A}', '\u{202F}', '\u{205F}', '\u{3000}',
        '\u{1680}', '\u{85}', '\u{2028}',
    ];
    let words = ["please", "play", "some", "jazz", "music"];
    let texts: Vec<String> = spaces
        .iter()
        .map(|space| words.join(&space.to_string()))
        .collect();
    let stdin: String = texts.iter().map(|text| format!("{text}\n")).collect();
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("predict.jsonl");
    let records: String = texts
        .iter()
        .map(|text| format!("{}\n", serde_json::json!({ "text": text })))
        .collect();
    std::fs::write(&jsonl, records).unwrap();
    for preset in ["fasttext", "default"] {
        let trained = common::train(&data("train.txt"), &["--preset", preset]);
        let from_stdin = run_with_stdin(["predict", trained.path(), "--k", "3"], stdin.clone());
        let from_jsonl = run([
            "predict",
            trained.path(),
            jsonl.to_str().unwrap(),
            "--k",
            "3",
        ]);
        for (source, output) in [("stdin", from_stdin), ("jsonl", from_jsonl)] {
            let out = success(&output);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), spaces.len(), "{preset}, {source}: {out}");
            assert!(lines[0].starts_with("music "), "{preset}, {source}: {out}");
            for (space, line) in spaces.iter().zip(&lines) {
                assert_eq!(
                    line, &lines[0],
                    "{preset}, {source}, U+{:04X}",
                    *space as u32
                );
            }
        }
    }
}

/// The exit-code contract, in one place: 0 on success, 1 with `textnn:
/// FILE:LINE: reason` on stderr and nothing on stdout for runtime and data
/// errors, 2 with clap's `error:` for usage errors.
#[test]
fn exit_codes_are_0_for_success_1_for_errors_2_for_usage() {
    let dir = tempfile::tempdir().unwrap();
    let output = train(dir.path(), &data("train.txt"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let model = dir.path().join("model.textnn");
    let model = model.to_str().unwrap();
    let output = run_with_stdin(["predict", model], "play jazz\n");
    assert_eq!(output.status.code(), Some(0));

    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"x\", \"label\": \"a\"}\n{\"text\": 1}\n").unwrap();
    let runtime_errors: [Vec<&str>; 4] = [
        vec!["train", bad.to_str().unwrap(), "-o", "unused.textnn"],
        vec!["test", model, bad.to_str().unwrap()],
        vec!["predict", model, bad.to_str().unwrap()],
        vec!["info", bad.to_str().unwrap()],
    ];
    for args in runtime_errors {
        let output = run(&args);
        let message = failure(&output, 1, &[&format!("textnn: {}", bad.display())]);
        assert_eq!(stdout(&output), "", "{args:?}");
        assert_eq!(message.lines().count(), 1, "{args:?}: one line\n{message}");
        if args[0] != "info" {
            assert!(
                message.starts_with(&format!("textnn: {}:2: ", bad.display())),
                "{args:?}: {message}"
            );
        }
    }

    let usage_errors: [&[&str]; 4] = [
        &["train"],
        &["predict", model, "--k", "x"],
        &["test", model, "t.txt", "--lossy=maybe"],
        &["no-such-command"],
    ];
    for args in usage_errors {
        let output = run(args);
        let message = failure(&output, 2, &["error:"]);
        assert_eq!(stdout(&output), "", "{args:?}");
        assert!(!message.starts_with("textnn: "), "{args:?}: {message}");
    }
}
