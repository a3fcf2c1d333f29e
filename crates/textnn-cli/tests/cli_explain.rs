//! `textnn explain`: the contribution table with signed bars, its JSON,
//! the chain-rule trace (with the blog tutorial's names for the blog
//! preset), and its errors.

mod common;

use common::{failure, run, success, train, train_fasttext, Trained};
use serde_json::Value;
use std::path::Path;

/// The blog network on the tutorial's 12 sentences (fewer epochs than the
/// preset, enough to rank them).
fn train_blog() -> Trained {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/blog-intents.json");
    train(
        &data,
        &["--preset", "blog", "--epochs", "5000", "--dim", "20"],
    )
}

#[test]
fn explain_prints_labels_method_and_a_signed_bar_per_token() {
    let trained = train_blog();
    let out = success(&run(["explain", trained.path(), "how are you zebra?"]));
    assert!(out.contains("text      how are you zebra?"), "{out}");
    assert!(out.contains("labels    greeting "), "{out}");
    assert!(out.contains("method    leave-one-token-out"), "{out}");
    assert!(out.contains("contributions to greeting (p = "), "{out}");
    let rows: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("token "))
        .skip(1)
        .collect();
    // how, ar(e), you, zebra: one row each, each with the axis.
    assert_eq!(rows.len(), 4, "{out}");
    assert!(rows.iter().all(|r| r.contains('│')), "{out}");
    assert!(out.contains('█'), "{out}");
    let zebra = rows.iter().find(|r| r.contains("zebra")).unwrap();
    assert!(zebra.contains("unknown to the model"), "{zebra}");
    assert!(zebra.contains("+0.0000"), "{zebra}");
    // The largest |contribution| comes first.
    let size = |row: &str| -> f64 {
        row.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<f64>()
            .unwrap()
            .abs()
    };
    assert!(rows.windows(2).all(|w| size(w[0]) >= size(w[1])), "{out}");
}

#[test]
fn explain_json_is_one_object_with_contributions() {
    let trained = train_blog();
    let out = success(&run([
        "explain",
        trained.path(),
        "make me a sandwich, zebra",
        "--json",
        "-k",
        "2",
    ]));
    let value: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(value["label"], "sandwich", "{out}");
    assert_eq!(value["top_labels"].as_array().unwrap().len(), 2, "{out}");
    assert!(value["method"]
        .as_str()
        .unwrap()
        .contains("leave-one-token-out"));
    let contributions = value["contributions"].as_array().unwrap();
    let zebra = contributions
        .iter()
        .find(|c| c["token"] == "zebra")
        .unwrap();
    assert_eq!(zebra["status"], "unknown");
    assert_eq!(zebra["contribution"], 0.0);
    let sandwich = contributions
        .iter()
        .find(|c| c["token"] == "sandwich")
        .unwrap();
    assert_eq!(sandwich["status"], "known");
    assert!(sandwich["contribution"].as_f64().unwrap() > 0.0, "{out}");
}

#[test]
fn trace_on_the_blog_preset_names_the_tutorials_quantities() {
    let trained = train_blog();
    let out = success(&run([
        "explain",
        trained.path(),
        "how are you?",
        "--trace",
        "--label",
        "greeting",
    ]));
    for piece in [
        "network   sum of 20-dim rows (25 inputs) → sigmoid → sigmoid over 3 labels (squared error)",
        "h = Σ x_i E[id_i]",
        "a₀ = sigmoid(h)",
        "loss      squared error L = ½ Σ_k (p_k − y_k)² = ",
        "dL/dW = dL/da · da/dz · dz/dW",
        "da/dz = p(1 − p) (derivative of the sigmoid)",
        "dz/dW = a₀ = embedding output",
        "dL/dW = δ ⊗ a₀: 3×20",
        "embedding rows  3 touched",
        // The preset's own learning rate by default.
        "SGD step at learning rate 0.1: ΔW = −lr · dL/dW",
        "layer_2_error = y − layer_2 = −dL/da",
        "sigmoid_output_to_derivative(layer_2) = layer_2 · (1 − layer_2) = da/dz",
        "layer_2_delta = layer_2_error * sigmoid_output_to_derivative(layer_2) = −δ = −dL/dz",
        "synapse_1 += alpha * layer_1.T.dot(layer_2_delta)",
        "The loss (squared error = ",
    ] {
        assert!(out.contains(piece), "lacks {piece:?}:\n{out}");
    }
    // One table row per label.
    for label in ["greeting", "goodbye", "sandwich"] {
        assert!(
            out.lines().any(|l| l.starts_with(&format!("  {label} "))),
            "{out}"
        );
    }
}

#[test]
fn trace_json_has_every_factor_and_the_requested_learning_rate() {
    let trained = train_blog();
    let out = success(&run([
        "explain",
        trained.path(),
        "have a nice day",
        "--trace",
        "--label",
        "sandwich",
        "--learning-rate",
        "0.5",
        "--json",
    ]));
    let value: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(value["learning_rate"], 0.5);
    assert_eq!(value["gold"], serde_json::json!(["sandwich"]));
    let o = &value["output_layer"];
    let numbers = |v: &Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let (dl_da, da_dz, delta) = (
        numbers(&o["dl_da"]),
        numbers(&o["da_dz"]),
        numbers(&o["delta"]),
    );
    assert_eq!(delta.len(), 3);
    for k in 0..3 {
        assert!((dl_da[k] * da_dz[k] - delta[k]).abs() < 1e-6, "{out}");
    }
    let ratio = o["weight_update"]["norm"].as_f64().unwrap()
        / o["weight_gradient"]["norm"].as_f64().unwrap();
    assert!((ratio - 0.5).abs() < 1e-9, "{ratio}");
    let tutorial = numbers(&value["tutorial"]["layer_2_delta"]);
    for k in 0..3 {
        assert!((tutorial[k] + delta[k]).abs() < 1e-12, "{out}");
    }
}

/// `explain --trace` of "play some music" labelled music.
fn trace_of_play_some_music(trained: &Trained) -> String {
    success(&run([
        "explain",
        trained.path(),
        "play some music",
        "--trace",
        "--label",
        "music",
    ]))
}

#[test]
fn trace_of_a_softmax_model_shows_that_the_jacobian_cancels() {
    let trained = train_fasttext();
    let out = trace_of_play_some_music(&trained);
    assert!(
        out.contains("loss      cross-entropy L = −Σ_k y_k ln p_k"),
        "{out}"
    );
    assert!(out.contains("Jacobian"), "{out}");
    assert!(out.contains("δ = p − y"), "{out}");
    assert!(!out.contains("layer_2_error"), "{out}");
}

#[test]
fn trace_of_a_huber_model_shows_the_margin_and_no_nan() {
    // The multi-label default's loss: the factors are h'(m) and ±1, not a
    // softmax Jacobian, and every one is a number.
    let trained = train(
        &common::data("train.txt"),
        &["--loss", "huber", "--lr", "0.05"],
    );
    let out = trace_of_play_some_music(&trained);
    assert!(
        out.contains("loss      modified Huber L = Σ_k h(m_k)"),
        "{out}"
    );
    assert!(out.contains("(a = m = ±z, the margin"), "{out}");
    assert!(out.contains("da/dz = dm/dz = ±1"), "{out}");
    assert!(
        out.contains("da/dz is the margin's derivative (±1)"),
        "{out}"
    );
    assert!(!out.contains("Jacobian"), "{out}");
    assert!(!out.contains("NaN") && !out.contains("inf"), "{out}");
}

#[test]
fn trace_with_an_unknown_label_fails_and_lists_the_labels() {
    let trained = train_fasttext();
    let output = run([
        "explain",
        trained.path(),
        "play some music",
        "--trace",
        "--label",
        "dance",
    ]);
    failure(
        &output,
        1,
        &["unknown label \"dance\"", "the model's labels are", "music"],
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn explain_with_a_missing_model_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing.textnn");
    let output = run(["explain", missing.to_str().unwrap(), "hello"]);
    failure(
        &output,
        1,
        &[&format!("textnn: {}: ", missing.display()), "No such file"],
    );
}

#[test]
fn trace_options_go_together() {
    let trained = train_fasttext();
    // --trace needs --label; --label and --learning-rate need --trace.
    failure(
        &run(["explain", trained.path(), "hi", "--trace"]),
        2,
        &["--label"],
    );
    failure(
        &run(["explain", trained.path(), "hi", "--label", "music"]),
        2,
        &["--trace"],
    );
    failure(
        &run(["explain", trained.path(), "hi", "--learning-rate", "0.1"]),
        2,
        &["--trace"],
    );
}
