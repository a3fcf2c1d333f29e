//! `textnn train --report DIR`: the plots and the page that shows them.

mod common;

use common::{data, failure, fast_with, run, success};
use std::path::Path;

/// The plots every report with validation data has.
const PLOTS: [&str; 3] = ["loss.svg", "error_rate.svg", "learning_rate.svg"];

/// Trains on the tiny corpus with a report in `dir`, asserting success.
fn train_with_report(dir: &Path, extra: &[&str]) {
    let model = dir.join("model.textnn");
    let report = dir.join("report");
    let mut args = vec![
        "train".to_string(),
        data("train.txt").to_str().unwrap().to_string(),
        "-o".to_string(),
        model.to_str().unwrap().to_string(),
        "--report".to_string(),
        report.to_str().unwrap().to_string(),
    ];
    args.extend(fast_with(extra));
    success(&run(&args));
}

/// The `points` of the polyline with `class="CLASS"` in `svg`, as pairs.
fn series_points(svg: &str, class: &str) -> Vec<(f64, f64)> {
    let document = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    let lines: Vec<roxmltree::Node> = document
        .descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("class") == Some(class))
        .collect();
    assert_eq!(lines.len(), 1, "one polyline of class {class}");
    lines[0]
        .attribute("points")
        .expect("a polyline has points")
        .split_whitespace()
        .map(|pair| {
            let (x, y) = pair.split_once(',').expect("points are x,y");
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

#[test]
fn report_has_a_page_and_a_plot_per_figure_with_one_point_per_epoch() {
    let dir = tempfile::tempdir().unwrap();
    train_with_report(dir.path(), &["--valid-split", "0.2", "--epochs", "6"]);
    let report = dir.path().join("report");
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    for plot in PLOTS {
        assert!(
            index.contains(&format!("src=\"{plot}\"")),
            "index.html does not show {plot}:\n{index}"
        );
        let svg = std::fs::read_to_string(report.join(plot)).unwrap();
        roxmltree::Document::parse(&svg)
            .unwrap_or_else(|e| panic!("{plot} is not well-formed XML: {e}"));
        assert!(
            svg.contains("examples seen"),
            "{plot} lacks its x axis label"
        );
    }
    for words in [
        "error measure",
        "fraction of examples",
        "size of each weight update",
    ] {
        assert!(index.contains(words), "index.html lacks {words:?}");
    }

    let loss = std::fs::read_to_string(report.join("loss.svg")).unwrap();
    let train = series_points(&loss, "train-loss");
    let valid = series_points(&loss, "valid-loss");
    assert_eq!(
        train.len(),
        6,
        "one training loss point per epoch: {train:?}"
    );
    assert_eq!(
        valid.len(),
        6,
        "one validation loss point per epoch: {valid:?}"
    );
    // Examples seen grow from epoch to epoch: x increases left to right.
    assert!(train.windows(2).all(|w| w[0].0 < w[1].0), "{train:?}");

    let errors = std::fs::read_to_string(report.join("error_rate.svg")).unwrap();
    assert_eq!(series_points(&errors, "valid-error-rate").len(), 6);
    let rates = std::fs::read_to_string(report.join("learning_rate.svg")).unwrap();
    // The starting rate, then the rate at the end of each epoch.
    assert_eq!(series_points(&rates, "learning-rate").len(), 7);

    // The default network (no hidden layer, softmax output) has gradient
    // norms for its embedding and output, and nothing that saturates.
    let norms = std::fs::read_to_string(report.join("gradient_norm.svg")).unwrap();
    for layer in ["embedding", "output"] {
        let points = series_points(&norms, &format!("gradient-norm-{layer}"));
        assert_eq!(
            points.len(),
            6,
            "one gradient norm per evaluation: {points:?}"
        );
    }
    assert!(!report.join("saturation.svg").exists());
    assert!(index.contains("src=\"gradient_norm.svg\""));
    assert!(!index.contains("src=\"saturation.svg\""));
    assert!(
        index.contains("No saturation plot"),
        "the page says why there is no saturation plot"
    );
}

#[test]
fn eval_every_gives_a_point_per_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    train_with_report(
        dir.path(),
        &[
            "--valid-split",
            "0.2",
            "--epochs",
            "3",
            "--eval-every",
            "10",
            "--log",
            log.to_str().unwrap(),
        ],
    );
    let report = dir.path().join("report");
    // The log has a record per evaluation: each epoch's end ("epoch") and
    // every 10 examples in between ("evaluation").
    let expected = std::fs::read_to_string(&log).unwrap().lines().count();
    assert!(expected > 3, "--eval-every 10 adds evaluations: {expected}");
    let loss = std::fs::read_to_string(report.join("loss.svg")).unwrap();
    assert_eq!(series_points(&loss, "train-loss").len(), expected);
    assert_eq!(series_points(&loss, "valid-loss").len(), expected);
    let errors = std::fs::read_to_string(report.join("error_rate.svg")).unwrap();
    assert_eq!(series_points(&errors, "valid-error-rate").len(), expected);
    assert_eq!(
        series_points(&errors, "train-error-rate").len(),
        3,
        "the training error rate is measured per epoch"
    );
    let norms = std::fs::read_to_string(report.join("gradient_norm.svg")).unwrap();
    assert_eq!(
        series_points(&norms, "gradient-norm-output").len(),
        expected
    );
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(
        index.contains(&format!("<td>{expected} (each epoch")),
        "the summary counts the evaluations:\n{index}"
    );
}

#[test]
fn blog_preset_report_shows_saturation_of_its_sigmoid_layers() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.textnn");
    let report = dir.path().join("report");
    success(&run([
        "train",
        data("intents.json").to_str().unwrap(),
        "--preset",
        "blog",
        "--epochs",
        "50",
        "-o",
        model.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "--quiet",
    ]));
    let svg = std::fs::read_to_string(report.join("saturation.svg")).unwrap();
    // The blog network: a sigmoid after the embedding bag and sigmoid
    // outputs under squared error, so both layers have a line.
    for layer in ["embedding", "output"] {
        let points = series_points(&svg, &format!("saturated-{layer}"));
        assert_eq!(points.len(), 50, "one point per evaluation");
    }
    let norms = std::fs::read_to_string(report.join("gradient_norm.svg")).unwrap();
    assert_eq!(series_points(&norms, "gradient-norm-output").len(), 50);
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(index.contains("src=\"saturation.svg\""));
    assert!(
        index.contains("(p − y) · p(1 − p)") && index.contains("p − y, the sigmoid"),
        "the page explains why squared error saturates and cross-entropy does not"
    );
}

#[test]
fn report_without_validation_plots_training_figures_only() {
    let dir = tempfile::tempdir().unwrap();
    train_with_report(dir.path(), &["--epochs", "3"]);
    let report = dir.path().join("report");
    let loss = std::fs::read_to_string(report.join("loss.svg")).unwrap();
    assert_eq!(series_points(&loss, "train-loss").len(), 3);
    assert!(!loss.contains("valid-loss"), "no validation data, no line");
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(
        index.contains("--valid-split"),
        "the page says how to get validation figures"
    );
}

#[test]
fn report_to_an_existing_file_fails_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "keep me").unwrap();
    let model = dir.path().join("model.textnn");
    let output = run([
        "train",
        data("train.txt").to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--report",
        file.to_str().unwrap(),
        "--quiet",
    ]);
    failure(&output, 1, &[file.to_str().unwrap(), "not a folder"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
    assert!(!model.exists(), "refused before training");
}

#[test]
fn learning_rate_curve_starts_at_the_rate_the_plan_trains_with() {
    // Multi-label data under the default preset trains at the multi-label
    // rule's rate (0.02, linear), not the preset's 0.5: with a linear
    // schedule the curve then falls in equal steps from its first point.
    let dir = tempfile::tempdir().unwrap();
    let input = common::multi_label_tags(dir.path());
    let report = dir.path().join("report");
    let mut args = vec![
        "train".to_string(),
        input.to_str().unwrap().to_string(),
        "-o".to_string(),
        dir.path().join("tags.textnn").to_str().unwrap().to_string(),
        "--report".to_string(),
        report.to_str().unwrap().to_string(),
    ];
    args.extend(fast_with(&["--epochs", "4"]));
    success(&run(&args));
    let rates = std::fs::read_to_string(report.join("learning_rate.svg")).unwrap();
    let points = series_points(&rates, "learning-rate");
    assert_eq!(points.len(), 5, "{points:?}");
    let steps: Vec<f64> = points.windows(2).map(|w| w[1].1 - w[0].1).collect();
    assert!(
        steps
            .iter()
            .all(|s| (s - steps[0]).abs() <= 1.0 && *s > 0.0),
        "the rate falls in equal steps from the first point: {points:?}"
    );
}
