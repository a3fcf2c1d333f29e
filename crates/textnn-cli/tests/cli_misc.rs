//! `info`, `gradcheck`, `train --help`, a closed output pipe, and the
//! golden `info` output.

mod common;

use common::{
    assert_golden, data, failure, info_json, run, run_with_stdin, success, train, train_fasttext,
};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn predict_into_a_pipe_closed_early_exits_quietly() {
    let trained = train_fasttext();
    let stderr_file = trained.dir.path().join("stderr.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_textnn"))
        .args(["predict", trained.path(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_file).unwrap())
        .spawn()
        .unwrap();

    // Far more output than a pipe buffers, so predict is still writing
    // when the reader goes away.
    let mut stdin = std::io::BufWriter::new(child.stdin.take().unwrap());
    let feeder = std::thread::spawn(move || {
        for i in 0..200_000 {
            // Once predict has exited, writes fail: that is expected.
            if writeln!(stdin, "turn on the light number {i}").is_err() {
                return;
            }
        }
        let _ = stdin.flush();
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("lights "), "{first:?}");
    drop(stdout);

    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("predict kept running after its output pipe closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    feeder.join().unwrap();
    let stderr = std::fs::read_to_string(&stderr_file).unwrap();
    assert!(status.success(), "{status:?}; stderr:\n{stderr}");
    assert!(
        !stderr.to_lowercase().contains("broken pipe"),
        "stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "stderr:\n{stderr}");
}

#[test]
fn info_names_format_preset_architecture_and_labels() {
    let trained = train_fasttext();
    let out = success(&run(["info", trained.path()]));
    let field = |name: &str| -> String {
        out.lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name:?} line in:\n{out}"))
            .trim()
            .to_string()
    };
    // A model just written has the current format version.
    assert_eq!(
        field("format version"),
        textnn::format::FORMAT_VERSION.to_string()
    );
    assert_eq!(field("preset"), "default");
    assert!(
        field("architecture").contains("softmax over 3 labels"),
        "{out}"
    );
    assert_eq!(field("labels"), "3");
    assert_eq!(field("dim"), "16");
    assert!(field("file").starts_with(trained.path()), "{out}");
}

#[test]
fn info_json_parses_and_matches_the_model() {
    let trained = train(&data("train.txt"), &["--preset", "fasttext", "--dim", "12"]);
    let out = success(&run(["info", trained.path(), "--json"]));
    let info: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(info["format_version"], textnn::format::FORMAT_VERSION);
    assert_eq!(info["preset"], "fasttext");
    assert_eq!(
        info["labels"],
        serde_json::json!(["lights", "music", "weather"])
    );
    assert_eq!(info["dim"], 12);
    assert_eq!(info["hidden"], serde_json::json!([]));
    let bytes = std::fs::metadata(&trained.model).unwrap().len();
    assert_eq!(info["bytes"], bytes);
    assert!(info["architecture"].as_str().unwrap().contains("3 labels"));
    assert_eq!(info["settings"]["epochs"], 30);
    assert_eq!(info["settings"]["features"]["buckets"], 10000);
}

#[test]
fn info_of_a_fixed_model_matches_the_golden_file() {
    let settings =
        "--dim 8 --buckets 1000 --epochs 5 --loss ova --embedding-activation tanh --seed 7";
    let settings: Vec<&str> = settings.split(' ').collect();
    let trained = train(&data("train.txt"), &settings);
    let out = success(&run(["info", trained.path()]));
    // The model's path is the only machine-specific part.
    let normalized = out.replace(trained.path(), "MODEL");
    assert_golden("info.txt", &normalized);
}

#[test]
fn gradcheck_passes_every_combination() {
    let out = success(&run(["gradcheck"]));
    let last = out.lines().last().unwrap();
    let (passed, total) = last
        .strip_suffix(" combinations passed")
        .and_then(|s| s.split_once(" of "))
        .unwrap_or_else(|| panic!("last line: {last:?}"));
    assert_eq!(passed, total, "{out}");
    assert!(total.parse::<usize>().unwrap() > 0);
    assert!(!out.contains("FAILED"), "{out}");
}

/// The options section of `train --help`, and the preset table after it.
fn train_help() -> (String, String) {
    let out = success(&run(["train", "--help"]));
    let (options, table) = out
        .split_once("Defaults of each preset")
        .unwrap_or_else(|| panic!("no preset table in:\n{out}"));
    (options.to_string(), table.to_string())
}

#[test]
fn train_help_shows_the_preset_table() {
    let (_, table) = train_help();
    let header = table
        .lines()
        .find(|line| line.trim_start().starts_with("option"))
        .unwrap_or_else(|| panic!("no header row in:\n{table}"));
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(columns, ["option", "default", "fasttext", "blog"]);
    // Every row has a value in each column.
    let rows: Vec<&str> = table
        .lines()
        .filter(|line| line.trim_start().starts_with("--"))
        .collect();
    assert!(rows.len() >= 20, "{table}");
    for row in rows {
        assert_eq!(row.split_whitespace().count(), 4, "{row}");
    }
}

/// Every option of `train`, as `--name`.
const TRAIN_OPTIONS: [&str; 47] = [
    "--output",
    "--preset",
    "--log",
    "--cache-dir",
    "--eval-every",
    "--checkpoint-every",
    "--checkpoint",
    "--resume",
    "--valid",
    "--report",
    "--valid-split",
    "--early-stopping",
    "--format",
    "--label-prefix",
    "--text-column",
    "--label-column",
    "--lossy",
    "--tokenizer",
    "--lowercase",
    "--stem",
    "--min-count",
    "--word-ngrams",
    "--char-ngrams",
    "--buckets",
    "--binary",
    "--sublinear-tf",
    "--dim",
    "--combine",
    "--idf",
    "--embedding-activation",
    "--hidden",
    "--activation",
    "--loss",
    "--bias",
    "--optimizer",
    "--lr",
    "--schedule",
    "--epochs",
    "--batch",
    "--reduction",
    "--dropout",
    "--l2",
    "--clip-grad",
    "--seed",
    "--threads",
    "--threshold",
    "--quiet",
];

#[test]
fn train_help_lists_every_option() {
    let (options, _) = train_help();
    let listed: Vec<&str> = options
        .split_whitespace()
        .map(|w| w.trim_end_matches(','))
        .filter(|w| w.starts_with("--"))
        .collect();
    for option in TRAIN_OPTIONS {
        assert!(
            listed.contains(&option),
            "{option} missing from:\n{options}"
        );
    }
    // And the other way round: a new option needs a line in TRAIN_OPTIONS
    // (and, if it is a model setting, a row in `option_table`).
    for option in listed {
        assert!(
            TRAIN_OPTIONS.contains(&option) || ["--help", "--version"].contains(&option),
            "{option} is not in TRAIN_OPTIONS"
        );
    }
}

#[test]
fn every_preset_table_row_is_a_train_option() {
    let (options, table) = train_help();
    for row in table.lines() {
        let Some(option) = row
            .split_whitespace()
            .next()
            .filter(|w| w.starts_with("--"))
        else {
            continue;
        };
        assert!(
            options.contains(&format!("{option} <")) || options.contains(&format!("{option}\n")),
            "the table row {option} is not an option of train:\n{options}"
        );
    }
}

/// The note under the preset table reads "All presets: --optimizer l2 0,
/// ...", but `--optimizer l2` is not valid (`--optimizer` takes sgd,
/// momentum or adam); the option is `--l2`.
#[test]
fn preset_note_names_the_l2_option() {
    let (_, table) = train_help();
    assert!(table.contains("--l2 0"), "{table}");
    assert!(!table.contains("--optimizer l2"), "{table}");
}

#[test]
fn unknown_preset_lists_the_presets() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m.textnn");
    let output = run([
        "train",
        data("train.txt").to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--preset",
        "nonsense",
    ]);
    failure(&output, 1, &["\"nonsense\"", "default", "fasttext", "blog"]);
    assert!(!model.exists());
}

#[test]
fn every_preset_trains_on_the_tiny_corpus() {
    for preset in ["default", "fasttext", "blog"] {
        let trained = train(&data("train.txt"), &["--preset", preset]);
        let info = info_json(trained.path());
        assert_eq!(info["preset"], preset);
        let out = success(&run([
            "predict",
            trained.path(),
            data("test.txt").to_str().unwrap(),
        ]));
        assert_eq!(out.lines().count(), 6, "{preset}:\n{out}");
    }
}

#[test]
fn version_flag_prints_the_version() {
    let out = success(&run(["--version"]));
    assert_eq!(out.trim(), format!("textnn {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn multi_label_data_gets_the_margin_loss_unless_the_user_sets_the_loss() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::multi_label_tags(dir.path());
    let model = dir.path().join("tags.textnn");
    // (extra options, loss used, dim used, learning rate used, schedule used)
    let table: [(&[&str], &str, u64, f64, &str); 5] = [
        (&[], "huber", 300, 0.02, "linear"),
        (&["--lr", "0.1"], "huber", 300, 0.1, "linear"),
        (&["--dim", "20"], "huber", 20, 0.02, "linear"),
        (&["--schedule", "constant"], "huber", 300, 0.02, "constant"),
        (&["--loss", "ova"], "ova", 100, 0.5, "inverse"),
    ];
    for (extra, loss, dim, lr, schedule) in table {
        let mut args = vec![
            "train",
            input.to_str().unwrap(),
            "-o",
            model.to_str().unwrap(),
        ];
        args.extend(["--epochs", "2", "--quiet"]);
        args.extend(extra);
        success(&run(&args));
        let info = info_json(model.to_str().unwrap());
        assert_eq!(info["settings"]["network"]["loss"], loss, "{extra:?}");
        assert_eq!(info["dim"], dim, "{extra:?}");
        let lr_used = info["settings"]["learning_rate"].as_f64().unwrap();
        assert!((lr_used - lr).abs() < 1e-6, "{extra:?}: lr {lr_used}");
        assert_eq!(info["settings"]["schedule"], schedule, "{extra:?}");
    } // Without --epochs: the preset's 25, no epoch probe, and it says so.
    let out = run([
        "train",
        input.to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
    ]);
    success(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("multi-label data: one score per label"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("choosing the number of epochs"),
        "{stderr}"
    );
    let info = info_json(model.to_str().unwrap());
    assert_eq!(info["settings"]["epochs"], 25);
}

/// A valid value for every `train` option that sets a model setting, and
/// where `info --json` shows it: (arguments, JSON pointer, expected value).
// One row per line reads best as a table.
#[rustfmt::skip]
fn option_table() -> Vec<(&'static str, &'static str, Value)> {
    use serde_json::json;
    vec![
        ("--tokenizer whitespace", "/settings/text/tokenizer", json!("whitespace")),
        ("--lowercase false", "/settings/text/lowercase", json!(false)),
        ("--min-count 2", "/settings/min_count", json!(2)),
        ("--word-ngrams 3", "/settings/features/word_ngrams", json!(3)),
        ("--buckets 500", "/settings/features/buckets", json!(500)),
        ("--binary true", "/settings/features/binary", json!(true)),
        ("--sublinear-tf false", "/settings/network/sublinear_tf", json!(false)),
        ("--dim 5", "/dim", json!(5)),
        ("--combine sum", "/settings/network/combine", json!("sum")),
        ("--combine l2", "/settings/network/combine", json!("l2")),
        ("--idf true", "/settings/network/idf", json!(true)),
        ("--embedding-activation tanh", "/settings/network/embedding_activation", json!("tanh")),
        ("--activation tanh", "/settings/network/hidden_activation", json!("tanh")),
        ("--loss ova", "/settings/network/loss", json!("ova")),
        ("--loss squared", "/settings/network/loss", json!("squared")),
        ("--loss hs", "/settings/network/loss", json!("hs")),
        ("--bias true", "/settings/network/bias", json!(true)),
        ("--optimizer adam", "/settings/optimizer/kind", json!("adam")),
        ("--optimizer momentum", "/settings/optimizer/kind", json!("momentum")),
        ("--lr 0.25", "/settings/learning_rate", json!(0.25)),
        ("--schedule constant", "/settings/schedule", json!("constant")),
        ("--schedule linear", "/settings/schedule", json!("linear")),
        ("--epochs 7", "/settings/epochs", json!(7)),
        ("--batch 4", "/settings/batch", json!({"size": 4})),
        ("--batch full", "/settings/batch", json!("full")),
        ("--reduction sum", "/settings/reduction", json!("sum")),
        ("--dropout 0.25", "/settings/dropout", json!(0.25)),
        ("--l2 0.5", "/settings/optimizer/l2", json!(0.5)),
        ("--clip-grad 2", "/settings/optimizer/clip_grad", json!(2.0)),
        ("--seed 3", "/settings/seed", json!(3)),
        ("--threads 2", "/settings/threads", json!(2)),
        ("--threads 1", "/settings/threads", json!(1)),
        ("--threshold 0.25", "/settings/threshold", json!(0.25)),
        ("--valid-split 0.2", "/settings/valid_split", json!(0.2)),
        ("--preset fasttext", "/preset", json!("fasttext")),
    ]
}

/// Trains with `args` (a space-separated argument list) and asserts that
/// `info --json` holds `expected` at `pointer`; numbers are compared as f64
/// within 1e-6, as the model stores f32.
fn assert_option_reaches_the_model(args: &str, pointer: &str, expected: &Value) {
    let args: Vec<&str> = args.split(' ').collect();
    let trained = train(&data("train.txt"), &args);
    let info = info_json(trained.path());
    let actual = info
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{args:?}: no {pointer} in {info}"));
    match (actual.as_f64(), expected.as_f64()) {
        (Some(a), Some(e)) => assert!((a - e).abs() < 1e-6, "{args:?}: {pointer} = {a}"),
        _ => assert_eq!(actual, expected, "{args:?}: {pointer}"),
    }
}

#[test]
fn every_train_option_reaches_the_model() {
    for (args, pointer, expected) in option_table() {
        assert_option_reaches_the_model(args, pointer, &expected);
    }
}

/// `textnn train tests/data/train.txt -o m --hidden 4` (any value, `none`
/// included) exits 101 with a panic inside clap: "Mismatch between
/// definition and access of `hidden`. Could not downcast to TypeId(..)".
/// clap's derive reads the field type `Option<Vec<usize>>` as "a list of
/// `usize`", but `parse_hidden` returns a whole `Vec<usize>`.
#[test]
fn hidden_option_does_not_panic() {
    use serde_json::json;
    assert_option_reaches_the_model("--hidden 4", "/hidden", &json!([4]));
    assert_option_reaches_the_model("--hidden 4,3", "/hidden", &json!([4, 3]));
    assert_option_reaches_the_model("--hidden none", "/hidden", &json!([]));
}

/// Like `--hidden`, `--stem english` and `--char-ngrams 2-4` panicked in
/// clap: the derive read `Option<Option<T>>` as "flag with an optional
/// value of `T`" while the parsers returned `Option<T>`.
#[test]
fn stem_and_char_ngrams_options_reach_the_model() {
    use serde_json::json;
    let stem = "/settings/text/stem";
    let char_ngrams = "/settings/features/char_ngrams";
    assert_option_reaches_the_model("--stem english", stem, &json!("english"));
    assert_option_reaches_the_model("--stem none", stem, &json!(null));
    assert_option_reaches_the_model("--char-ngrams 2-4", char_ngrams, &json!([2, 4]));
    assert_option_reaches_the_model("--char-ngrams none", char_ngrams, &json!(null));
}

#[test]
fn training_log_has_one_record_per_epoch_with_validation_figures() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("train.jsonl");
    let log_arg = log.to_str().unwrap();
    let trained = train(
        &data("train.txt"),
        &["--epochs", "6", "--valid-split", "0.3", "--log", log_arg],
    );
    assert!(trained.model.is_file());
    let text = std::fs::read_to_string(&log).unwrap();
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 6, "{text}");
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["epoch"], i + 1);
        let (loss, accuracy) = (
            r["valid_loss"].as_f64().unwrap(),
            r["valid_accuracy"].as_f64().unwrap(),
        );
        assert!(loss.is_finite() && (0.0..=1.0).contains(&accuracy), "{r}");
        let error_rate = r["valid_error_rate"].as_f64().unwrap();
        assert!((error_rate - (1.0 - accuracy)).abs() < 1e-12);
        assert!(r["train_loss"].as_f64().unwrap().is_finite());
        assert_eq!(r["kind"], "epoch");
        // Softmax: the gradient of the embedding and of the output layer,
        // and no saturation (the units are not sigmoids).
        let layers = r["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 2, "{r}");
        for layer in layers {
            assert!(layer["gradient_norm"].as_f64().unwrap() > 0.0, "{r}");
            assert!(layer["saturated"].is_null(), "{r}");
        }
    }
}

#[test]
fn eval_every_adds_records_inside_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("train.jsonl");
    let log_arg = log.to_str().unwrap();
    train(
        &data("train.txt"),
        &[
            "--epochs",
            "4",
            "--valid-split",
            "0.3",
            "--log",
            log_arg,
            "--eval-every",
            "5",
        ],
    );
    let records: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seen: Vec<u64> = records
        .iter()
        .map(|r| r["examples_seen"].as_u64().unwrap())
        .collect();
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    let inside: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "evaluation")
        .collect();
    assert_eq!(records.len() - inside.len(), 4, "one record per epoch");
    assert!(
        inside.len() >= 8,
        "{} evaluations inside epochs",
        inside.len()
    );
    for r in inside {
        assert_eq!(r["examples_seen"].as_u64().unwrap() % 5, 0, "{r}");
        assert!(r["valid_loss"].as_f64().unwrap().is_finite(), "{r}");
    }
}

#[test]
fn early_stopping_without_validation_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    let output = run([
        "train",
        data("train.txt").to_str().unwrap(),
        "-o",
        model.to_str().unwrap(),
        "--early-stopping",
        "2",
    ]);
    failure(&output, 1, &["early stopping needs validation data"]);
    assert!(!model.exists());
}

/// `predict --threads N` classifies batches of lines on N threads; the
/// output is the same, line for line, as on one thread.
#[test]
fn predict_output_does_not_depend_on_threads() {
    let trained = train_fasttext();
    let lines: String = std::fs::read_to_string(data("test.txt"))
        .unwrap()
        .lines()
        .cycle()
        .take(700)
        .map(|l| format!("{l}\n"))
        .collect();
    let input = trained.dir.path().join("many.txt");
    std::fs::write(&input, &lines).unwrap();
    let input = input.to_str().unwrap();
    for json in [false, true] {
        let mut args = vec!["predict", trained.path(), input, "-k", "2"];
        if json {
            args.push("--json");
        }
        let one = success(&run(args.iter().chain(&["--threads", "1"])));
        let three = success(&run(args.iter().chain(&["--threads", "3"])));
        assert_eq!(one.lines().count(), 700);
        assert_eq!(one, three, "json {json}");
        let piped = success(&run_with_stdin(
            args.iter()
                .filter(|a| **a != input)
                .chain(&["--threads", "2"]),
            lines.clone(),
        ));
        assert_eq!(one, piped, "stdin, json {json}");
    }
}
