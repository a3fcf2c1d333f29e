//! Ctrl-C during `textnn train`: the run stops at a whole-weights point,
//! leaves its checkpoint (and no model file), exits with 130 and says how
//! to go on; running the same command with `--resume` ends with the same
//! model bytes as a run never interrupted, and removes the checkpoint.

mod common;

use common::{failure, run, stderr, success};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bundled Home Assistant intents (7,740 examples): long enough a run
/// to interrupt it, short enough for a test.
fn ha_train() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ha_intents/train.txt")
}

fn train_args(model: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "train",
        ha_train().to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--epochs",
        "60",
        "--dim",
        "24",
        "--threads",
        "2",
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[cfg(unix)]
#[test]
fn ctrl_c_leaves_a_checkpoint_and_resuming_gives_the_uninterrupted_model() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.textnn");
    success(&run(train_args(&whole, &[])));

    let model = dir.path().join("model.textnn");
    let checkpoint = dir.path().join("model.textnn.checkpoint");
    let with_checkpoints = ["--checkpoint-every", "5000"];
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("textnn"))
        .args(train_args(&model, &with_checkpoints))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first checkpoint, then press Ctrl-C.
    let started = Instant::now();
    while !checkpoint.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no checkpoint appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "training ended before Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let message = failure(&output, 130, &["training interrupted in epoch", "--resume"]);
    assert!(message.contains("model.textnn.checkpoint"), "{message}");
    assert!(!model.exists(), "an interrupted run wrote a model file");
    assert!(checkpoint.exists(), "the checkpoint is gone");

    let mut resume = with_checkpoints.to_vec();
    resume.extend(["--resume", checkpoint.to_str().unwrap()]);
    success(&run(train_args(&model, &resume)));
    assert_eq!(
        std::fs::read(&model).unwrap(),
        std::fs::read(&whole).unwrap(),
        "the resumed model differs from the uninterrupted one"
    );
    assert!(
        !checkpoint.exists(),
        "the checkpoint was not removed after the save"
    );
}

#[test]
fn a_model_file_is_not_a_checkpoint_and_a_checkpoint_path_needs_an_interval() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn");
    success(&run(train_args(&model, &[])));
    let output = run(train_args(
        &dir.path().join("again.textnn"),
        &["--resume", model.to_str().unwrap()],
    ));
    failure(&output, 1, &["model.textnn", "not a training checkpoint"]);
    let output = run(train_args(&model, &["--checkpoint", "x.checkpoint"]));
    let message = stderr(&output);
    assert!(
        message.contains("--checkpoint needs --checkpoint-every"),
        "{message}"
    );
    assert_ne!(output.status.code(), Some(0));
    // A checkpoint folder that does not exist is found before training.
    let output = run(train_args(
        &model,
        &[
            "--checkpoint-every",
            "10",
            "--checkpoint",
            "/nonexistent/dir/c.checkpoint",
        ],
    ));
    failure(
        &output,
        1,
        &["c.checkpoint: the checkpoint's folder does not exist"],
    );
    let empty = dir.path().join("empty.checkpoint");
    std::fs::write(&empty, b"").unwrap();
    let output = run(train_args(&model, &["--resume", empty.to_str().unwrap()]));
    failure(
        &output,
        1,
        &["empty.checkpoint: not a readable training checkpoint"],
    );
}

/// A second Ctrl-C while the first one's checkpoint is being written
/// ends the run at once, with 130, and removes the temporary file of that
/// save on the way out. (A 120 MB model makes the save long enough to be
/// caught in the act.)
#[cfg(unix)]
#[test]
fn a_second_ctrl_c_during_a_save_exits_at_once_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn");
    let mut args = train_args(
        &model,
        &[
            "--checkpoint-every",
            "100000000",
            "--word-ngrams",
            "2",
            "--buckets",
            "30000",
        ],
    );
    let dim = args.iter().position(|a| a == "--dim").unwrap() + 1;
    args[dim] = "1000".into();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("textnn"))
        .args(&args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ctrl_c = |child: &std::process::Child| {
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    let names = || -> Vec<String> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    std::thread::sleep(Duration::from_millis(1000));
    assert!(
        child.try_wait().unwrap().is_none(),
        "training ended before Ctrl-C"
    );
    ctrl_c(&child);
    // Wait for the checkpoint's temporary file, then press Ctrl-C again.
    let started = Instant::now();
    let mut caught = false;
    while started.elapsed() < Duration::from_secs(30) && child.try_wait().unwrap().is_none() {
        if names().iter().any(|n| n.ends_with(".tmp")) {
            ctrl_c(&child);
            caught = true;
            break;
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(caught, "no save was seen in progress: {}", stderr(&output));
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let left = names();
    assert!(
        left.iter().all(|name| name == "model.textnn.checkpoint"),
        "left behind: {left:?}"
    );
}
