//! `textnn cv` and `textnn audit` on `tests/data/audit.txt`: 30 requests
//! each of four Home Assistant intents (from `data/ha_intents/train.txt`)
//! with planted problems: line 86 is a timer request filed under
//! HassTurnOff, line 36 a volume request under HassStartTimer; lines 31 and
//! 64 are the same text under two labels, lines 36 and 54 the same words
//! (reordered, other numbers) under two labels; HassNevermind has two
//! examples (lines 55 and 61).

mod common;

use common::{data, failure, run, success};
use std::path::Path;

/// Fast settings for the folds' models.
const FAST: [&str; 8] = [
    "--preset",
    "fasttext",
    "--epochs",
    "30",
    "--dim",
    "16",
    "--buckets",
    "10000",
];

fn audit_data() -> String {
    data("audit.txt").to_str().unwrap().to_string()
}

/// `textnn cv audit.txt --folds 4 FAST extra…`.
fn cv(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["cv".to_string(), audit_data(), "--folds".into(), "4".into()];
    args.extend(FAST.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    run(&args)
}

fn read_folder(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn cv_prints_mean_and_sd_and_writes_out_of_fold_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let predictions = dir.path().join("oof.jsonl");
    let out = success(&cv(&["--predictions", predictions.to_str().unwrap(), "-q"]));
    for metric in ["accuracy", "macro f1", "weighted f1", "loss"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(metric))
            .unwrap_or_else(|| panic!("no {metric} line:\n{out}"));
        assert!(line.contains(" ± "), "{line}");
        assert_eq!(
            line.split_whitespace().count(),
            metric.split(' ').count() + 3 + 4
        );
    }
    let text = std::fs::read_to_string(&predictions).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 128, "one prediction per example");
    let timer = lines.iter().find(|p| p["line"] == 86).unwrap();
    assert_eq!(timer["text"], "start a timer for 10 minutes");
    assert_eq!(timer["labels"][0], "HassTurnOff");
    assert_eq!(timer["predicted"], "HassStartTimer");
    assert!(timer["probability"].as_f64().unwrap() > 0.5);
    assert!(timer["given_probability"].as_f64().unwrap() < 0.1);
    assert!(timer["file"].as_str().unwrap().ends_with("audit.txt"));
    let mut folds: Vec<u64> = lines.iter().map(|p| p["fold"].as_u64().unwrap()).collect();
    folds.sort_unstable();
    folds.dedup();
    assert_eq!(folds, [1, 2, 3, 4]);
}

#[test]
fn cv_fold_models_are_reproducible_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let models = |name: &str, extra: &[&str]| {
        let folder = dir.path().join(name);
        std::fs::create_dir(&folder).unwrap();
        let mut args = vec!["--models", folder.to_str().unwrap(), "-q"];
        args.extend(extra);
        success(&cv(&args));
        read_folder(&folder)
    };
    let first = models("a", &["--seed", "5"]);
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "fold-1.textnn",
            "fold-2.textnn",
            "fold-3.textnn",
            "fold-4.textnn"
        ]
    );
    assert_eq!(
        first,
        models("b", &["--seed", "5"]),
        "same seed, same bytes"
    );
    assert_ne!(
        first,
        models("c", &["--seed", "6"]),
        "another seed, other folds"
    );
}

#[test]
fn cv_with_the_default_preset_chooses_per_fold_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for name in ["a", "b"] {
        let folder = dir.path().join(name);
        std::fs::create_dir(&folder).unwrap();
        let args = [
            "cv",
            &audit_data(),
            "--folds",
            "3",
            "--dim",
            "16",
            "--buckets",
            "10000",
            "--threads",
            "2",
            "--models",
            folder.to_str().unwrap(),
            "--json",
            "-q",
        ]
        .map(String::from);
        let out = success(&run(args));
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["folds"].as_array().unwrap().len(), 3);
        assert_eq!(json["summary"][0]["metric"], "accuracy");
        runs.push(read_folder(&folder));
    }
    assert_eq!(runs[0], runs[1]);
}

#[test]
fn cv_refuses_bad_folds_and_missing_folders_before_training() {
    let output = run(["cv", &audit_data(), "--folds", "1"]);
    failure(&output, 1, &["at least 2 folds, got 1"]);
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/oof.jsonl");
    failure(
        &cv(&["--predictions", missing.to_str().unwrap()]),
        1,
        &["the folder does not exist"],
    );
    let tiny = dir.path().join("tiny.txt");
    std::fs::write(&tiny, "__label__a one\n__label__b two\n").unwrap();
    let output = run(["cv", tiny.to_str().unwrap(), "--folds", "3"]);
    failure(&output, 1, &["3 folds need at least 3 examples, got 2"]);
}

/// `textnn audit audit.txt --json` with the fast settings.
fn audit_json() -> serde_json::Value {
    let mut args = vec![
        "audit".to_string(),
        audit_data(),
        "--folds".into(),
        "4".into(),
    ];
    args.extend(FAST.iter().map(|s| s.to_string()));
    args.extend(["--json".to_string(), "-q".to_string()]);
    serde_json::from_str(&success(&run(&args))).unwrap()
}

#[test]
fn audit_ranks_the_planted_mislabels_first_with_their_suggested_labels() {
    let json = audit_json();
    assert_eq!(json["examples"], 128);
    let suspects = json["mislabelled"].as_array().unwrap();
    let top: Vec<u64> = suspects[..3]
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    for planted in [36, 86] {
        assert!(
            top.contains(&planted),
            "line {planted} not in the top 3: {top:?}"
        );
    }
    let timer = suspects.iter().find(|s| s["line"] == 86).unwrap();
    assert_eq!(timer["suggested"], "HassStartTimer");
    assert_eq!(timer["given"][0], "HassTurnOff");
    for finding in suspects {
        assert!(finding["file"].as_str().unwrap().ends_with("audit.txt"));
    }
    let scores: Vec<f64> = suspects
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ranked by score");
}

#[test]
fn audit_finds_duplicates_small_labels_with_their_lines() {
    let json = audit_json();
    let groups = json["duplicates"].as_array().unwrap();
    let lines = |kind: &str| -> Vec<Vec<u64>> {
        groups
            .iter()
            .filter(|g| g["kind"] == kind)
            .map(|g| {
                g["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["line"].as_u64().unwrap())
                    .collect()
            })
            .collect()
    };
    assert_eq!(lines("exact"), [vec![31, 64]]);
    assert!(lines("near").contains(&vec![36, 54]), "{groups:?}");
    let small = json["small_labels"].as_array().unwrap();
    assert_eq!(small.len(), 1);
    assert_eq!(small[0]["label"], "HassNevermind");
    assert_eq!(small[0]["lines"], serde_json::json!([55, 61]));
    assert!(small[0]["file"].as_str().unwrap().ends_with("audit.txt"));
}

#[test]
fn audit_table_names_file_and_line_and_merge_candidates_appear_when_labels_blur() {
    // Two labels filed at random over the same kind of text: the model
    // cannot tell them apart.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("blur.txt");
    let mut text = String::new();
    for i in 0..40 {
        let label = if i % 2 == 0 { "a" } else { "b" };
        text.push_str(&format!("__label__{label} weather word{} today\n", i % 5));
        text.push_str(&format!("__label__c music song{} now\n", i % 7));
    }
    std::fs::write(&input, text).unwrap();
    let mut args = vec!["audit".to_string(), input.to_str().unwrap().to_string()];
    args.extend(FAST.iter().map(|s| s.to_string()));
    args.push("-q".to_string());
    let out = success(&run(&args));
    assert!(out.contains("merge candidates"), "{out}");
    let merge = out
        .lines()
        .find(|l| l.trim_start().starts_with("a <-> b") || l.trim_start().starts_with("b <-> a"))
        .unwrap_or_else(|| panic!("no merge candidate a, b:\n{out}"));
    assert!(merge.contains(&format!("{}:", input.display())), "{merge}");
    assert!(out.contains(&format!("{}:", input.display())));
    assert!(!out.contains("c <-> "), "{out}");
}

#[test]
fn audit_refuses_a_bad_merge_rate() {
    let output = run(["audit", &audit_data(), "--merge-rate", "2"]);
    failure(&output, 1, &["--merge-rate must be between 0 and 1, got 2"]);
}
