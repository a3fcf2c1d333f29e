//! What the CLI does with bad input: exit code 1 and `textnn: FILE:LINE:
//! reason` for data and model errors, exit code 2 for usage errors, never a
//! panic, and no model file left behind by a failed `train`.

mod common;

use common::{data, failure, fast_with, file_names, run, run_with_stdin, success, train_fasttext};
use std::path::Path;

/// Runs `textnn train INPUT -o DIR/model.textnn` with [`common::FAST`] settings
/// overridden by `extra`; returns the output.
fn train_into(dir: &Path, input: &Path, extra: &[&str]) -> std::process::Output {
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

/// Writes `bytes` to `DIR/NAME` and returns the path.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Training on `bytes` saved as `name` fails with exit code 1, names every
/// piece of `pieces` (with `{FILE}` replaced by the data file's path) and
/// leaves the output folder empty.
fn train_fails(name: &str, bytes: &[u8], pieces: &[&str]) {
    let input_dir = tempfile::tempdir().unwrap();
    let input = write(input_dir.path(), name, bytes);
    let model_dir = tempfile::tempdir().unwrap();
    let output = train_into(model_dir.path(), &input, &[]);
    let pieces: Vec<String> = pieces
        .iter()
        .map(|p| p.replace("{FILE}", &input.display().to_string()))
        .collect();
    let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
    failure(&output, 1, &pieces);
    assert_eq!(
        file_names(model_dir.path()),
        Vec::<String>::new(),
        "a failed train left files behind"
    );
}

/// Lines without a label are skipped and counted (see `cli_data.rs`); a
/// file with nothing else fails, naming the file and those lines.
#[test]
fn training_line_without_a_label_names_file_and_line() {
    train_fails(
        "train.txt",
        b"no label\n\nno label here\n",
        &["textnn: {FILE}: no examples: skipped 2 lines: 2 without label (lines 1, 3)"],
    );
}

#[test]
fn training_data_with_invalid_utf8_names_file_and_line() {
    train_fails(
        "train.txt",
        b"__label__a hello\n__label__b ab\xFFc\n",
        &["textnn: {FILE}:2: invalid UTF-8"],
    );
}

#[test]
fn csv_without_the_text_column_lists_the_header() {
    train_fails(
        "train.csv",
        b"words,label\nhello,a\n",
        &["textnn: {FILE}: ", "\"text\"", "\"words\", \"label\""],
    );
}

#[test]
fn csv_without_the_named_text_column_fails_even_if_text_exists() {
    let model_dir = tempfile::tempdir().unwrap();
    let output = train_into(model_dir.path(), &data("train_columns.csv"), &[]);
    failure(
        &output,
        1,
        &["train_columns.csv", "\"text\"", "\"utterance\""],
    );
    assert!(file_names(model_dir.path()).is_empty());
}

#[test]
fn csv_record_with_too_few_fields_names_file_and_line() {
    train_fails(
        "train.csv",
        b"text,label\nhello,a\n\"two\nlines\",b\nbad line\n",
        &["textnn: {FILE}:5: expected 2 fields"],
    );
}

#[test]
fn jsonl_and_intents_errors_name_file_and_line() {
    train_fails(
        "train.jsonl",
        b"{\"text\": \"hi\", \"label\": \"a\"}\n{\"text\": \"hello\", \"label\": true}\n",
        &["textnn: {FILE}:2: \"label\" must be a string, got a boolean"],
    );
    train_fails(
        "train.jsonl",
        b"{\"text\": \"hi\", \"label\": \"a\"}\n{\"text\": \"hello\", \"label\"\n",
        &["textnn: {FILE}:2: invalid JSON"],
    );
    train_fails(
        "intents.json",
        b"{\"intents\": [\n  {\"tag\": \"a\", \"patterns\": [\"x\", 3]}\n]}\n",
        &["textnn: {FILE}:2: ", "pattern 2 must be a string"],
    );
}

#[test]
fn empty_training_file_says_no_examples() {
    train_fails("train.txt", b"\n  \n", &["textnn: {FILE}: no examples"]);
}

#[test]
fn missing_training_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("no-such-file.txt");
    let output = train_into(dir.path(), &input, &[]);
    failure(
        &output,
        1,
        &[&format!("textnn: {}: ", input.display()), "No such file"],
    );
    assert!(file_names(dir.path()).is_empty());
}

/// `textnn: PATH: No such file or directory (os error 2): No such file or
/// directory (os error 2)`: the I/O error's message is printed twice,
/// because `Error::Io` shows its source in its own message and also returns
/// it from `source()`, and `main` prints the whole chain with `{:#}`.
#[test]
fn missing_file_error_states_the_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("no-such-file.txt");
    let model = dir.path().join("m.textnn");
    let checks: [Vec<String>; 3] = [
        vec![
            "train".into(),
            input.display().to_string(),
            "-o".into(),
            dir.path().join("out").display().to_string(),
        ],
        vec!["info".into(), model.display().to_string()],
        vec![
            "test".into(),
            model.display().to_string(),
            input.display().to_string(),
        ],
    ];
    for args in checks {
        let message = failure(&run(&args), 1, &["No such file or directory"]);
        assert_eq!(
            message.matches("No such file or directory").count(),
            1,
            "{args:?}: {message}"
        );
    }
}

#[test]
fn training_on_a_directory_says_so() {
    let input = tempfile::tempdir().unwrap();
    let model_dir = tempfile::tempdir().unwrap();
    let output = train_into(model_dir.path(), input.path(), &[]);
    failure(
        &output,
        1,
        &[&format!(
            "textnn: {}: is a directory",
            input.path().display()
        )],
    );
    assert!(file_names(model_dir.path()).is_empty());
}

#[test]
fn failed_training_keeps_the_previous_model() {
    let trained = train_fasttext();
    let before = std::fs::read(&trained.model).unwrap();
    let input = write(trained.dir.path(), "bad.txt", b"no label\n");
    let output = run([
        "train",
        input.to_str().unwrap(),
        "-o",
        trained.path(),
        "--buckets",
        "10000",
    ]);
    failure(
        &output,
        1,
        &["bad.txt: no examples", "without label (line 1)"],
    );
    assert_eq!(std::fs::read(&trained.model).unwrap(), before);
    assert_eq!(file_names(trained.dir.path()), ["bad.txt", "model.textnn"]);
}

#[test]
fn saving_into_a_missing_folder_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("no/such/folder/model.textnn");
    let output = run([
        "train",
        data("train.txt").to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--buckets",
        "1000",
        "--dim",
        "4",
        "--epochs",
        "1",
        "-q",
    ]);
    failure(&output, 1, &["saving the model", "no/such/folder"]);
    assert!(file_names(dir.path()).is_empty());
}

#[test]
fn a_missing_cache_folder_is_named_and_a_given_one_is_left_empty() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-cache-here");
    let output = train_into(
        dir.path(),
        &data("train.txt"),
        &["--cache-dir", missing.to_str().unwrap()],
    );
    failure(
        &output,
        1,
        &["no-cache-here", "training cache (--cache-dir)"],
    );
    assert!(file_names(dir.path()).is_empty());

    // A folder that exists holds the cache while training (unnamed files)
    // and nothing afterwards; the model is the one the default cache gives.
    let cache = tempfile::tempdir().unwrap();
    success(&train_into(
        dir.path(),
        &data("train.txt"),
        &[
            "--cache-dir",
            cache.path().to_str().unwrap(),
            "--valid-split",
            "0.2",
        ],
    ));
    assert!(file_names(cache.path()).is_empty());
    let with_cache = std::fs::read(dir.path().join("model.textnn")).unwrap();
    success(&train_into(
        dir.path(),
        &data("train.txt"),
        &["--valid-split", "0.2"],
    ));
    assert!(with_cache == std::fs::read(dir.path().join("model.textnn")).unwrap());
    assert_eq!(file_names(dir.path()), ["model.textnn"]);
}

#[test]
fn predict_input_errors_name_file_and_line() {
    let trained = train_fasttext();
    // Lines before the bad one are still answered.
    let output = run_with_stdin(
        ["predict", trained.path()],
        b"play jazz\nab\xFFc\n".to_vec(),
    );
    failure(&output, 1, &["textnn: <stdin>:2: invalid UTF-8"]);
    assert_eq!(common::stdout(&output).lines().count(), 1);

    let bad = write(trained.dir.path(), "bad.txt", b"ok\nfine\n\xC3\n");
    let output = run(["predict", trained.path(), bad.to_str().unwrap()]);
    failure(
        &output,
        1,
        &[&format!("textnn: {}:3: invalid UTF-8", bad.display())],
    );

    let missing = trained.dir.path().join("missing.txt");
    let output = run(["predict", trained.path(), missing.to_str().unwrap()]);
    failure(&output, 1, &[&format!("textnn: {}: ", missing.display())]);

    let output = run([
        "predict",
        trained.path(),
        trained.dir.path().to_str().unwrap(),
    ]);
    failure(
        &output,
        1,
        &[&format!("textnn: {}: ", trained.dir.path().display())],
    );
}

#[test]
fn predict_refuses_structured_input_on_stdin() {
    let trained = train_fasttext();
    let output = run_with_stdin(
        ["predict", trained.path(), "--format", "csv"],
        "text\nhello\n",
    );
    failure(&output, 1, &["must be a file, not stdin"]);
}

/// An unlabelled test line is skipped with a warning naming file and
/// line; the other lines are scored.
#[test]
fn test_with_unlabelled_data_names_file_and_line() {
    let trained = train_fasttext();
    let bad = write(
        trained.dir.path(),
        "test.txt",
        b"__label__music play jazz\nplay more\n",
    );
    let output = run(["test", trained.path(), bad.to_str().unwrap()]);
    let report = success(&output);
    assert!(report.contains("examples        1"), "{report}");
    let warning = format!(
        "textnn: warning: {}: skipped 1 line: 1 without label (line 2)",
        bad.display()
    );
    assert!(
        common::stderr(&output).contains(&warning),
        "{}",
        common::stderr(&output)
    );
}

// Usage errors are clap's: exit code 2 and its own `error:` prefix.

/// `textnn train tests/data/train.txt -o DIR/model.textnn EXTRA...`,
/// asserting that it fails with a usage error naming every one of
/// `pieces` and writes nothing.
fn usage_error(extra: &[&str], pieces: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn");
    let input = data("train.txt");
    let mut args = vec![
        "train",
        input.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    failure(&run(&args), 2, pieces);
    assert!(file_names(dir.path()).is_empty());
}

#[test]
fn unknown_option_is_a_usage_error() {
    usage_error(&["--bogus"], &["--bogus"]);
}

#[test]
fn unknown_loss_is_a_usage_error_listing_the_losses() {
    usage_error(
        &["--loss", "nonsense"],
        &["nonsense", "softmax", "ova", "squared"],
    );
}

#[test]
fn zero_width_hidden_layer_is_a_usage_error() {
    usage_error(&["--hidden", "0"], &["--hidden", "positive"]);
    usage_error(&["--hidden", "64,0"], &["--hidden", "positive"]);
}

#[test]
fn other_usage_errors_exit_with_code_2() {
    let cases: [&[&str]; 6] = [
        &[],
        &["frobnicate"],
        &["train"],
        &["predict"],
        &["predict", "m", "--k", "many"],
        &["train", "x", "-o", "m", "--lowercase", "maybe"],
    ];
    for args in cases {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            common::stderr(&output)
        );
        assert!(!common::stderr(&output).contains("panicked"));
    }
}

#[test]
fn out_of_range_settings_are_refused_before_reading_data() {
    // The data file does not exist: the setting must be refused first.
    let cases: [(&[&str], &str); 3] = [
        (&["--epochs", "0"], "epochs must be at least 1, got 0"),
        (
            &["--lr=-1"],
            "learning rate must be positive and finite, got -1",
        ),
        (&["--dropout", "1"], "dropout must be in [0, 1), got 1"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (extra, message) in cases {
        let mut args = vec!["train", "no-such-file.txt", "-o"];
        let model = dir.path().join("m.textnn");
        args.push(model.to_str().unwrap());
        args.extend_from_slice(extra);
        let stderr = failure(&run(&args), 1, &[message]);
        assert!(!stderr.contains("no-such-file"), "{extra:?}: {stderr}");
    }
    assert!(file_names(dir.path()).is_empty());
}

/// A threshold outside [0, 1] (or NaN) is a usage error (exit 2) for every
/// command that takes one, before any file is read.
#[test]
fn threshold_outside_zero_one_is_a_usage_error() {
    let trained = train_fasttext();
    let test_file = data("test.txt");
    for threshold in ["2", "NaN", "inf", "-0.5"] {
        let threshold = format!("--threshold={threshold}");
        let output = run_with_stdin(["predict", trained.path(), &threshold], "play jazz\n");
        failure(&output, 2, &["threshold must be a number in [0, 1]"]);
        let output = run([
            "test",
            trained.path(),
            test_file.to_str().unwrap(),
            &threshold,
        ]);
        failure(&output, 2, &["threshold must be a number in [0, 1]"]);
        let output = run(["train", "no-such-file.txt", "-o", "m", &threshold]);
        failure(&output, 2, &["threshold must be a number in [0, 1]"]);
    }
}

// Corrupt model files.

/// Every model-reading command fails on `model` with exit code 1, naming
/// the file and `reason`.
fn model_is_refused(model: &Path, reason: &str) {
    let model = model.to_str().unwrap();
    let test_file = data("test.txt");
    let commands: [Vec<&str>; 3] = [
        vec!["info", model],
        vec!["predict", model, test_file.to_str().unwrap()],
        vec!["test", model, test_file.to_str().unwrap()],
    ];
    for args in commands {
        let output = run(&args);
        failure(&output, 1, &[&format!("textnn: {model}: "), reason]);
        assert_eq!(common::stdout(&output), "", "{args:?} printed something");
    }
}

#[test]
fn truncated_model_is_refused() {
    let trained = train_fasttext();
    let bytes = std::fs::read(&trained.model).unwrap();
    let path = trained.dir.path().join("truncated.textnn");
    for len in [bytes.len() - 1, bytes.len() / 2, 100, 27, 12] {
        std::fs::write(&path, &bytes[..len]).unwrap();
        model_is_refused(&path, "truncated");
    }
}

#[test]
fn model_with_a_flipped_byte_fails_the_checksum() {
    let trained = train_fasttext();
    let bytes = std::fs::read(&trained.model).unwrap();
    let path = trained.dir.path().join("flipped.textnn");
    // In the metadata, in the weights, and in the stored checksum itself.
    for position in [40, bytes.len() / 2, bytes.len() - 1] {
        let mut corrupt = bytes.clone();
        corrupt[position] ^= 0x5A;
        std::fs::write(&path, &corrupt).unwrap();
        model_is_refused(&path, "checksum");
    }
}

#[test]
fn model_from_a_newer_format_version_asks_for_an_upgrade() {
    let trained = train_fasttext();
    let mut bytes = std::fs::read(&trained.model).unwrap();
    // Bytes 8..12 hold the format version, little-endian.
    bytes[8] = bytes[8].wrapping_add(1);
    let path = trained.dir.path().join("newer.textnn");
    std::fs::write(&path, &bytes).unwrap();
    model_is_refused(&path, "newer textnn");
}

#[test]
fn text_file_given_as_model_is_not_a_textnn_model() {
    model_is_refused(&data("train.txt"), "not a textnn model");
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.textnn", b"");
    model_is_refused(&empty, "not a textnn model");
}

#[test]
fn fasttext_bin_given_as_model_is_recognised() {
    let dir = tempfile::tempdir().unwrap();
    // fastText's magic number 0x2F4F16BA, then its version 12.
    let mut bytes = 793_712_314_i32.to_le_bytes().to_vec();
    bytes.extend_from_slice(&12_i32.to_le_bytes());
    bytes.extend_from_slice(&[0; 64]);
    let model = write(dir.path(), "model.bin", &bytes);
    model_is_refused(&model, "fastText");
}

#[test]
fn directory_given_as_model_says_so() {
    let dir = tempfile::tempdir().unwrap();
    model_is_refused(dir.path(), "is a directory");
}

#[test]
fn every_prefix_of_a_model_is_refused_without_a_panic() {
    // A smaller model, so that the sweep over cut points stays quick.
    let trained = common::train(&data("train.txt"), &["--buckets", "10", "--dim", "2"]);
    let bytes = std::fs::read(&trained.model).unwrap();
    let path = trained.dir.path().join("cut.textnn");
    let step = (bytes.len() / 40).max(1);
    for len in (0..bytes.len()).step_by(step) {
        std::fs::write(&path, &bytes[..len]).unwrap();
        let output = run(["info", path.to_str().unwrap()]);
        failure(&output, 1, &[]);
    }
    std::fs::write(&path, &bytes).unwrap();
    success(&run(["info", path.to_str().unwrap()]));
}

/// `TEXTNN_KERNELS` picks the f32 kernels (`linalg::kernels`): `reference`
/// and `auto` train, anything else is a usage error naming the variable.
#[test]
fn unknown_kernels_setting_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn");
    let train = |kernels: &str| {
        common::textnn()
            .env("TEXTNN_KERNELS", kernels)
            .arg("train")
            .arg(data("train.txt"))
            .arg("-o")
            .arg(&model)
            .args(fast_with(&[]))
            .output()
            .expect("textnn starts")
    };
    success(&train("reference"));
    success(&train("auto"));
    failure(
        &train("avx9"),
        2,
        &["textnn: invalid setting: TEXTNN_KERNELS must be auto or reference, got \"avx9\""],
    );
}
