//! `textnn test`'s confusion analysis: the matrix, the confused pairs with
//! their examples' `FILE:LINE`, `--json`, and the heatmap of `test
//! --report` and `train --report`.

mod common;

use common::{data, fast_with, run, success, train_fasttext};
use std::path::{Path, PathBuf};

/// Test data whose lines 2 and 3 are music requests filed under lights:
/// the model (trained on weather, music, lights) calls them music.
fn mislabelled_test_data(folder: &Path) -> PathBuf {
    let path = folder.join("mislabelled.txt");
    std::fs::write(
        &path,
        "__label__weather is it raining outside\n\
         __label__lights play my playlist\n\
         __label__lights skip to the next song\n\
         __label__music play some jazz music\n\
         __label__lights turn off the kitchen light\n",
    )
    .unwrap();
    path
}

#[test]
fn test_prints_the_matrix_and_the_confused_pairs_with_their_lines() {
    let model = train_fasttext();
    let input = mislabelled_test_data(model.dir.path());
    let out = success(&run(["test", model.path(), input.to_str().unwrap()]));
    assert!(out.contains("confusion matrix (rows: gold"), "{out}");
    assert!(out.contains("lights -> music: 2 (66.7%)"), "{out}");
    let place = format!("{}:2  play my playlist", input.display());
    assert!(out.contains(&place), "{out}");
    assert!(out.contains(&format!("{}:3", input.display())), "{out}");
    // The confused pair's rows sit together: lights then music.
    let rows: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("confusion matrix"))
        .skip(2)
        .take(3)
        .collect();
    assert!(
        rows[0].contains("lights") && rows[1].contains("music"),
        "{rows:?}"
    );
}

#[test]
fn test_json_carries_the_matrix_and_the_pairs() {
    let model = train_fasttext();
    let input = mislabelled_test_data(model.dir.path());
    let out = success(&run([
        "test",
        model.path(),
        input.to_str().unwrap(),
        "--json",
    ]));
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["examples"], 5, "the figures are still there");
    let confusion = &json["confusion"];
    assert_eq!(confusion["file"], input.to_str().unwrap());
    let counts: u64 = confusion["counts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts, 5, "one count per example");
    let pair = &confusion["pairs"][0];
    assert_eq!(
        (&pair["gold"], &pair["predicted"], &pair["count"]),
        (&"lights".into(), &"music".into(), &2.into())
    );
    let lines: Vec<u64> = pair["examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3]);
    assert_eq!(confusion["pairs"].as_array().unwrap().len(), 1);
}

#[test]
fn many_labels_print_only_the_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let train = dir.path().join("many.txt");
    let mut text = String::new();
    for label in 0..25 {
        for i in 0..3 {
            text.push_str(&format!("__label__l{label} word{label} filler{i}\n"));
        }
    }
    std::fs::write(&train, &text).unwrap();
    let model = dir.path().join("m.textnn");
    let mut args = vec![
        "train".to_string(),
        train.to_str().unwrap().to_string(),
        "-o".to_string(),
        model.to_str().unwrap().to_string(),
    ];
    args.extend(fast_with(&["--preset", "fasttext"]));
    success(&run(&args));
    let out = success(&run([
        "test",
        model.to_str().unwrap(),
        train.to_str().unwrap(),
    ]));
    assert!(
        out.contains("confusion matrix: 25 labels, more than 20: only the confused pairs"),
        "{out}"
    );
}

#[test]
fn test_report_draws_the_heatmap_and_lists_the_pairs() {
    let model = train_fasttext();
    let input = mislabelled_test_data(model.dir.path());
    let report = model.dir.path().join("report");
    let output = run([
        "test",
        model.path(),
        input.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    success(&output);
    let svg = std::fs::read_to_string(report.join("confusion.svg")).unwrap();
    let document = roxmltree::Document::parse(&svg).expect("the heatmap is well-formed XML");
    let cells = document
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .count();
    // The background, 3 × 3 cells, the frame.
    assert_eq!(cells, 1 + 9 + 1);
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(index.contains("src=\"confusion.svg\""), "{index}");
    assert!(index.contains(&format!("{}:2", input.display())), "{index}");
    assert!(index.contains("<td>lights</td><td>music</td>"), "{index}");
}

#[test]
fn training_report_has_the_confusion_on_the_validation_file() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let model = dir.path().join("m.textnn");
    let mut args = vec![
        "train".to_string(),
        data("train.txt").to_str().unwrap().to_string(),
        "-o".to_string(),
        model.to_str().unwrap().to_string(),
        "--valid".to_string(),
        data("test.txt").to_str().unwrap().to_string(),
        "--report".to_string(),
        report.to_str().unwrap().to_string(),
    ];
    args.extend(fast_with(&[]));
    success(&run(&args));
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(index.contains("src=\"confusion.svg\""), "{index}");
    roxmltree::Document::parse(&std::fs::read_to_string(report.join("confusion.svg")).unwrap())
        .unwrap();
}

#[test]
fn test_report_refuses_a_file_before_testing() {
    let model = train_fasttext();
    let file = model.dir.path().join("taken");
    std::fs::write(&file, "not a folder").unwrap();
    let output = run([
        "test",
        model.path(),
        data("test.txt").to_str().unwrap(),
        "--report",
        file.to_str().unwrap(),
    ]);
    common::failure(&output, 1, &["exists and is not a folder"]);
    assert!(common::stdout(&output).is_empty(), "nothing printed");
}
