//! The default preset chooses its number of epochs on a validation slice
//! (issue 4, item 1) unless `--epochs` or `--early-stopping` is given.

mod common;

use common::{data, info_json, run, stderr, success};
use serde_json::Value;

/// Trains on `tests/data/train.txt` (30 texts, 3 labels) with `extra`
/// options on top of a small network; returns stderr and the model's
/// settings as `info --json` shows them.
fn train(extra: &[&str]) -> (String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn").display().to_string();
    let input = data("train.txt").display().to_string();
    let mut args = vec![
        "train",
        input.as_str(),
        "-o",
        model.as_str(),
        "--dim",
        "16",
        "--threads",
        "1",
    ];
    args.extend(extra);
    let output = run(&args);
    success(&output);
    let info = info_json(&model);
    (stderr(&output), info["settings"].clone())
}

#[test]
fn issue_4_default_training_chooses_its_epochs_on_a_validation_slice() {
    let (printed, settings) = train(&[]);
    let chosen = settings["epochs"].as_u64().unwrap();
    assert!((1..=40).contains(&chosen), "{settings}");
    let record = &settings["epochs_chosen"];
    assert_eq!(record["max_epochs"], 40, "{settings}");
    assert!((record["fraction"].as_f64().unwrap() - 0.1).abs() < 1e-6);
    assert!(record["valid_loss"].as_f64().unwrap().is_finite());
    // What it chose is said, with the slice and the validation figures.
    let line = printed
        .lines()
        .find(|l| l.starts_with("chose "))
        .unwrap_or_else(|| panic!("no choice printed:\n{printed}"));
    assert!(
        line.starts_with(&format!(
            "chose {chosen} epochs on a 10% validation slice (valid loss "
        )),
        "{line}"
    );
    // The final run trains that many epochs on all 30 texts.
    assert!(
        printed.contains(&format!("epoch {chosen}/{chosen} ")),
        "{printed}"
    );
    // Same data, seed and threads: the same choice.
    let (_, again) = train(&[]);
    assert_eq!(again, settings);
}

#[test]
fn info_says_how_the_epochs_were_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn").display().to_string();
    let input = data("train.txt").display().to_string();
    success(&run([
        "train", &input, "-o", &model, "--dim", "16", "--quiet",
    ]));
    let info = success(&run(["info", &model]));
    let line = info
        .lines()
        .find(|l| l.starts_with("epochs chosen"))
        .unwrap_or_else(|| panic!("no epochs line in:\n{info}"));
    assert!(
        line.contains(" of 40 on a 10% validation slice (valid accuracy "),
        "{line}"
    );
    // A model trained with --epochs has no such line.
    success(&run([
        "train", &input, "-o", &model, "--dim", "16", "--epochs", "3", "--quiet",
    ]));
    assert!(!success(&run(["info", &model])).contains("epochs chosen"));
}

#[test]
fn epochs_or_early_stopping_on_the_command_line_turn_the_choice_off() {
    for extra in [
        &["--epochs", "7"][..],
        &["--early-stopping", "2", "--valid-split", "0.2"][..],
    ] {
        let (printed, settings) = train(extra);
        assert!(!printed.contains("chose "), "{extra:?}:\n{printed}");
        assert!(settings["epochs_chosen"].is_null(), "{extra:?}: {settings}");
        if extra[0] == "--epochs" {
            assert_eq!(settings["epochs"], 7);
        }
    }
    // Other presets keep their own epochs.
    let (printed, settings) = train(&["--preset", "fasttext"]);
    assert!(!printed.contains("chose "), "{printed}");
    assert_eq!(settings["epochs"], 5);
}

#[test]
fn quiet_hides_the_choice() {
    let (printed, settings) = train(&["--quiet"]);
    assert!(printed.is_empty(), "{printed}");
    assert!(!settings["epochs_chosen"].is_null());
}
