//! Helpers shared by the CLI tests: paths to the tiny corpora in
//! `tests/data/`, a fast training run, checks on failed commands, parsing of
//! `predict` output and golden files.
//!
//! Each test binary uses only some of these helpers, so the rest would be
//! reported as dead code in that binary.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;
use tempfile::TempDir;

/// Settings that keep a training run on the tiny corpora to a few
/// milliseconds: the default 2,000,000 buckets × dim 100 take far longer to
/// initialise than to train. [`fast_with`] adds `--quiet`.
pub const FAST: [(&str, &str); 3] = [("--epochs", "30"), ("--buckets", "10000"), ("--dim", "16")];

/// `--quiet`, the [`FAST`] settings that `extra` does not set (clap refuses
/// an option given twice), then `extra`.
pub fn fast_with(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["--quiet".to_string()];
    for (option, value) in FAST {
        if !extra.contains(&option) {
            args.extend([option.to_string(), value.to_string()]);
        }
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// `tests/data/NAME`.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Writes four texts with one or two labels each (multi-label data) to
/// `FOLDER/tags.txt` and returns the path.
pub fn multi_label_tags(folder: &Path) -> PathBuf {
    let input = folder.join("tags.txt");
    std::fs::write(
        &input,
        "__label__net __label__python http client library\n\
         __label__net web server daemon\n\
         __label__python __label__doc python documentation\n\
         __label__doc manual pages\n",
    )
    .unwrap();
    input
}

/// The built `textnn` binary, ready for arguments.
pub fn textnn() -> Command {
    Command::cargo_bin("textnn").expect("cargo builds the textnn binary for integration tests")
}

/// Runs `textnn ARGS` and returns what it did, whatever the exit code.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    textnn().args(args).output().expect("textnn starts")
}

/// Runs `textnn ARGS` with `stdin` as its standard input.
pub fn run_with_stdin<I, S>(args: I, stdin: impl Into<Vec<u8>>) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    textnn()
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("textnn starts")
}

/// Standard output as UTF-8.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// Standard error, lossily decoded so that a test can always show it.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `textnn info MODEL --json`, parsed.
pub fn info_json(model: &str) -> serde_json::Value {
    serde_json::from_str(&success(&run(["info", model, "--json"]))).expect("info --json is JSON")
}

/// Asserts that the command succeeded and returns its standard output.
pub fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "expected success, got {:?}\nstderr:\n{}",
        output.status,
        stderr(output)
    );
    assert!(!stderr(output).contains("panicked"), "{}", stderr(output));
    stdout(output)
}

/// Asserts that the command failed with exit code `code`, without a panic,
/// and that its standard error contains every one of `pieces`; returns the
/// standard error. Runtime errors (code 1) must also start with `textnn: `.
pub fn failure(output: &Output, code: i32, pieces: &[&str]) -> String {
    let message = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(code),
        "wrong exit code; stderr:\n{message}"
    );
    assert!(!message.contains("panicked"), "a panic:\n{message}");
    if code == 1 {
        assert!(
            message.starts_with("textnn: "),
            "error lacks the `textnn: ` prefix:\n{message}"
        );
    }
    for piece in pieces {
        assert!(
            message.contains(piece),
            "stderr lacks {piece:?}:\n{message}"
        );
    }
    message
}

/// A trained model in its own temporary folder, removed on drop.
pub struct Trained {
    /// Holds the folder alive as long as the model is used.
    pub dir: TempDir,
    /// The model file inside `dir`.
    pub model: PathBuf,
}

impl Trained {
    /// The model path as a string, for argument lists.
    pub fn path(&self) -> &str {
        self.model.to_str().expect("temporary paths are UTF-8")
    }
}

/// Trains on `input` with [`FAST`] settings overridden by `extra`,
/// asserting success.
pub fn train(input: &Path, extra: &[&str]) -> Trained {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = dir.path().join("model.textnn");
    let output = textnn()
        .arg("train")
        .arg(input)
        .arg("-o")
        .arg(&model)
        .args(fast_with(extra))
        .output()
        .expect("textnn starts");
    success(&output);
    assert!(model.is_file(), "train succeeded but wrote no model");
    Trained { dir, model }
}

/// Trains on `tests/data/train.txt` (weather, music, lights) with [`FAST`].
pub fn train_fasttext() -> Trained {
    train(&data("train.txt"), &[])
}

/// One line of `predict` output, `label prob label prob ...`, as pairs.
pub fn parse_prediction_line(line: &str) -> Vec<(String, f64)> {
    let words: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
    assert!(words.len() % 2 == 0, "not `label prob` pairs: {line:?}");
    words
        .chunks(2)
        .map(|pair| {
            let probability: f64 = pair[1]
                .parse()
                .unwrap_or_else(|e| panic!("probability {:?} in {line:?}: {e}", pair[1]));
            (pair[0].to_string(), probability)
        })
        .collect()
}

/// The names of the files in `dir`, hidden ones included, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable folder")
        .map(|entry| {
            entry
                .expect("folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Compares `actual` with `tests/data/golden/NAME`; with `TEXTNN_BLESS=1`
/// in the environment, rewrites the golden file instead.
pub fn assert_golden(name: &str, actual: &str) {
    let path = data("golden").join(name);
    if std::env::var_os("TEXTNN_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).expect("golden file is writable");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with TEXTNN_BLESS=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "output differs from {} (rerun with TEXTNN_BLESS=1 to accept it)\n--- expected\n{expected}--- actual\n{actual}",
        path.display()
    );
}
