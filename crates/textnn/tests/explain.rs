//! `explain` and `trace` against hand computations: the blog network's
//! output-layer chain rule recomputed in plain f64 loops from the model's
//! weights, softmax's `dL/dz = p − y`, and the leave-one-token-out rules.

// Index loops spell the hand computations out as the formulas read.
#![allow(clippy::needless_range_loop)]

use std::path::Path;
use textnn::data::{read_file, Example, ReadOptions};
use textnn::explain::{explain, trace, TokenStatus};
use textnn::nn::{Activation, Combine, Loss};
use textnn::{Classifier, TrainConfig};

fn blog_examples() -> Vec<Example> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/blog-intents.json");
    read_file(&path, &ReadOptions::default()).expect("the bundled blog data reads")
}

fn blog_model() -> Classifier {
    textnn::train(&TrainConfig::blog(), &blog_examples(), &mut |_| {}).unwrap()
}

fn examples(rows: &[(&str, &str)]) -> Vec<Example> {
    rows.iter()
        .enumerate()
        .map(|(i, (text, label))| Example {
            text: text.to_string(),
            labels: vec![label.to_string()],
            line: i + 1,
        })
        .collect()
}

const LIGHTS: [(&str, &str); 9] = [
    ("turn on the kitchen light", "on"),
    ("switch the lamp on", "on"),
    ("lights on in the hall please", "on"),
    ("turn off the kitchen light", "off"),
    ("switch the lamp off", "off"),
    ("kill the lights in the hall", "off"),
    ("what is the weather like", "weather"),
    ("will it rain tomorrow", "weather"),
    ("how cold is it outside", "weather"),
];

/// `|got − want| ≤ 1e-5 (1 + |want|)`, with a message naming `what`.
fn assert_close(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-5 * (1.0 + want.abs()),
        "{what}: trace {got}, by hand {want}"
    );
}

fn assert_all_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert_close(&format!("{what}[{i}]"), g, w);
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[test]
fn blog_trace_output_layer_matches_the_tutorials_formulas_by_hand() {
    let model = blog_model();
    let net = model.network();
    assert_eq!(net.config().loss, Loss::Squared);
    assert_eq!(
        net.layers.len(),
        1,
        "the blog network has no dense hidden layer"
    );
    let output = &net.layers[0];
    let (n_labels, dim) = (output.weights.rows(), output.weights.cols());
    let learning_rate = 0.1;

    // A training sentence (small error) and a wrong label (large error).
    for (text, label) in [
        ("how are you?", "greeting"),
        ("how was your lunch today?", "sandwich"),
    ] {
        let t = trace(&model, text, &[label], learning_rate).unwrap();

        // layer_0: the binary bag of the sentence's known stemmed words.
        let mut word_ids: Vec<u32> = model
            .pipeline()
            .tokenize(text)
            .iter()
            .filter_map(|token| model.vocabulary().id(token))
            .collect();
        word_ids.sort_unstable();
        word_ids.dedup();
        // layer_1 = sigmoid(layer_0 · synapse_0): the sum of the words' rows.
        let mut h = vec![0.0f64; dim];
        for &id in &word_ids {
            for (j, &e) in net.embedding.row(id as usize).iter().enumerate() {
                h[j] += e as f64;
            }
        }
        let a0: Vec<f64> = h.iter().map(|&v| sigmoid(v)).collect();
        // layer_2 = sigmoid(W a0 + b).
        let gold = model.labels().id(label).unwrap() as usize;
        let mut z = vec![0.0f64; n_labels];
        for (k, zk) in z.iter_mut().enumerate() {
            for j in 0..dim {
                *zk += output.weights.row(k)[j] as f64 * a0[j];
            }
            if let Some(&b) = output.bias.get(k) {
                *zk += b as f64;
            }
        }
        let a: Vec<f64> = z.iter().map(|&v| sigmoid(v)).collect();
        let y: Vec<f64> = (0..n_labels)
            .map(|k| f64::from(u8::from(k == gold)))
            .collect();
        // The chain rule's factors for L = ½ Σ (a − y)².
        let error: Vec<f64> = a.iter().zip(&y).map(|(a, y)| a - y).collect();
        let derivative: Vec<f64> = a.iter().map(|a| a * (1.0 - a)).collect();
        let delta: Vec<f64> = error.iter().zip(&derivative).map(|(e, d)| e * d).collect();
        let loss: f64 = error.iter().map(|e| 0.5 * e * e).sum();

        assert_all_close("h", &t.bag, &h);
        assert_all_close("a0", &t.embedding_output, &a0);
        assert_all_close("z", &t.logits, &z);
        assert_all_close("p", &t.probabilities, &a);
        assert_all_close("y", &t.targets, &y);
        assert_close("loss", t.loss.value, loss);
        assert_eq!(t.loss.name, "squared error");
        let o = &t.output_layer;
        assert_all_close("dL/da", &o.dl_da, &error);
        assert_all_close("da/dz", o.da_dz.as_ref().unwrap(), &derivative);
        assert_all_close("chain product", &o.chain_product, &delta);
        assert_all_close("delta", &o.delta, &delta);
        assert_all_close("dz/dW", &o.input, &a0);
        let grad = o
            .weight_gradient
            .values
            .as_ref()
            .expect("3×20 is shown in full");
        let update = o.weight_update.values.as_ref().unwrap();
        let mut norm = 0.0;
        for k in 0..n_labels {
            for j in 0..dim {
                let dw = delta[k] * a0[j];
                norm += dw * dw;
                assert_close(&format!("dL/dW[{k}][{j}]"), grad[k][j], dw);
                assert_close(&format!("ΔW[{k}][{j}]"), update[k][j], -learning_rate * dw);
            }
        }
        assert_close("‖dL/dW‖", o.weight_gradient.norm, norm.sqrt());
        assert_eq!(
            (o.weight_gradient.rows, o.weight_gradient.cols),
            (n_labels, dim)
        );

        // The tutorial's own names, with its sign: layer_2_error = y − a.
        let tutorial = t
            .tutorial
            .as_ref()
            .expect("squared error has the tutorial's names");
        let tutorial_error: Vec<f64> = error.iter().map(|e| -e).collect();
        let tutorial_delta: Vec<f64> = delta.iter().map(|d| -d).collect();
        assert_all_close("layer_2", &tutorial.layer_2, &a);
        assert_all_close("layer_2_error", &tutorial.layer_2_error, &tutorial_error);
        assert_all_close(
            "sigmoid_output_to_derivative",
            &tutorial.sigmoid_output_to_derivative,
            &derivative,
        );
        assert_all_close("layer_2_delta", &tutorial.layer_2_delta, &tutorial_delta);

        // One layer down: layer_1_delta = (Wᵀ δ) ⊙ a0(1 − a0), and each
        // word's row gets exactly that gradient (x_i = 1 in a binary sum).
        let layer_1_delta: Vec<f64> = (0..dim)
            .map(|j| {
                let back: f64 = (0..n_labels)
                    .map(|k| output.weights.row(k)[j] as f64 * delta[k])
                    .sum();
                back * a0[j] * (1.0 - a0[j])
            })
            .collect();
        let row_norm = layer_1_delta.iter().map(|d| d * d).sum::<f64>().sqrt();
        assert_eq!(t.embedding_rows.len(), word_ids.len());
        for row in &t.embedding_rows {
            assert_close("‖dL/dE[id]‖", row.gradient_norm, row_norm);
        }
        assert!(t.earlier_layers.is_empty());
    }
}

#[test]
fn softmax_delta_is_p_minus_y_and_the_jacobian_product_agrees() {
    let mut config = TrainConfig {
        epochs: 20,
        ..TrainConfig::fasttext()
    };
    config.network.hidden = vec![6];
    config.network.hidden_activation = Activation::Tanh;
    config.network.bias = true;
    config.network.dim = 8;
    let model = textnn::train(&config, &examples(&LIGHTS), &mut |_| {}).unwrap();
    for gold in [vec!["on"], vec!["off"], vec!["on", "weather"]] {
        let t = trace(&model, "switch the kitchen lamp on", &gold, 0.5).unwrap();
        let o = &t.output_layer;
        assert!(o.da_dz.is_none(), "softmax's derivative is a Jacobian");
        assert!(t.tutorial.is_none());
        let p_minus_y: Vec<f64> = t
            .probabilities
            .iter()
            .zip(&t.targets)
            .map(|(p, y)| p - y)
            .collect();
        // Several gold labels share the target mass.
        let mass: f64 = t.targets.iter().sum();
        assert!((mass - 1.0).abs() < 1e-12, "{:?}", t.targets);
        for k in 0..p_minus_y.len() {
            assert!((o.delta[k] - p_minus_y[k]).abs() < 1e-6, "{gold:?} {k}");
            assert!(
                (o.chain_product[k] - p_minus_y[k]).abs() < 1e-6,
                "{gold:?} {k}"
            );
        }
        assert_eq!(t.loss.name, "cross-entropy");
        assert_eq!(t.hidden.len(), 1);
        assert_eq!(t.earlier_layers.len(), 1);
        assert_eq!(t.earlier_layers[0].shape, (6, 8));
        assert!(t.earlier_layers[0].gradient_norm > 0.0);
        assert_eq!(o.bias_gradient.as_ref().unwrap(), &o.delta);
        assert_eq!(o.input, t.hidden[0].output);
        let step = o.weight_update.norm / o.weight_gradient.norm;
        assert!((step - 0.5).abs() < 1e-9, "ΔW = −lr · dL/dW: {step}");
    }
}

#[test]
fn huber_factors_are_the_margin_loss_derivative_and_the_label_sign() {
    // The modified Huber output has no activation between z and the loss:
    // a is the margin m = ±z, dL/dm = h'(m), dm/dz = ±1. Worked out by hand
    // from the trace's own logits for a gold label on each side of the
    // margin and below m = −1.
    let mut config = TrainConfig {
        epochs: 60,
        learning_rate: 0.2,
        ..TrainConfig::default_preset()
    };
    config.network.loss = Loss::Huber;
    config.network.dim = 8;
    let model = textnn::train(&config, &examples(&LIGHTS), &mut |_| {}).unwrap();
    let mut margins_seen = [false; 3];
    for (text, gold) in [
        ("turn on the kitchen light", vec!["on"]),
        ("turn on the kitchen light", vec!["weather"]),
        ("what is the weather like", vec!["on", "off"]),
        ("what is the weather like", vec!["weather"]),
    ] {
        let t = trace(&model, text, &gold, 0.1).unwrap();
        let o = &t.output_layer;
        assert_eq!(t.loss.name, "modified Huber");
        assert!(o.a.starts_with("m = ±z"), "{}", o.a);
        let sign = o.da_dz.as_ref().expect("the margin's derivative is ±1");
        let mut loss = 0.0;
        for k in 0..t.labels.len() {
            let s = if gold.contains(&t.labels[k].as_str()) {
                1.0
            } else {
                -1.0
            };
            let m = s * t.logits[k];
            let (h, dh) = if m >= 1.0 {
                margins_seen[0] = true;
                (0.0, 0.0)
            } else if m >= -1.0 {
                margins_seen[1] = true;
                ((1.0 - m) * (1.0 - m), -2.0 * (1.0 - m))
            } else {
                margins_seen[2] = true;
                (-4.0 * m, -4.0)
            };
            loss += h;
            assert_eq!(sign[k], s, "{text} {gold:?} {k}");
            assert_close(&format!("dL/dm {k}"), o.dl_da[k], dh);
            assert_close(&format!("product {k}"), o.chain_product[k], s * dh);
            assert_close(&format!("δ {k}"), o.delta[k], s * dh);
        }
        assert_close("loss", t.loss.value, loss);
    }
    assert_eq!(margins_seen, [true; 3], "each piece of h is exercised");
}

#[test]
fn trace_rebuilds_the_bag_of_an_idf_l2_network() {
    // The bag h is rebuilt from the embedding for display; f₀(h) must equal
    // the forward pass's a₀ for every combine, with and without idf and
    // sublinear term frequency (the text repeats "the" and "lights").
    for (combine, idf, sublinear_tf, act) in [
        (Combine::L2, true, true, Activation::Identity),
        (Combine::L2, false, false, Activation::Identity),
        (Combine::Mean, false, false, Activation::Tanh),
        (Combine::Sum, true, false, Activation::Sigmoid),
        (Combine::Sum, false, true, Activation::Tanh),
    ] {
        let mut config = TrainConfig {
            epochs: 5,
            ..TrainConfig::fasttext()
        };
        config.network.combine = combine;
        config.network.idf = idf;
        config.network.sublinear_tf = sublinear_tf;
        config.network.embedding_activation = act;
        config.network.dim = 5;
        let model = textnn::train(&config, &examples(&LIGHTS), &mut |_| {}).unwrap();
        let t = trace(&model, "the lights the lights in the hall", &["on"], 0.1).unwrap();
        let rebuilt: Vec<f64> = t.bag.iter().map(|&h| act.apply(h)).collect();
        assert_all_close(
            &format!("{combine} idf {idf} sublinear tf {sublinear_tf}"),
            &rebuilt,
            &t.embedding_output,
        );
    }
}

#[test]
fn trace_refuses_an_unknown_label_and_a_bad_learning_rate() {
    let model = textnn::train(
        &TrainConfig {
            epochs: 2,
            ..TrainConfig::fasttext()
        },
        &examples(&LIGHTS),
        &mut |_| {},
    )
    .unwrap();
    let err = trace(&model, "lamp on", &["dance"], 0.1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown label \"dance\""), "{err}");
    assert!(err.contains("the model's labels are"), "{err}");
    for lr in [0.0, -1.0, f64::NAN] {
        let err = trace(&model, "lamp on", &["on"], lr)
            .unwrap_err()
            .to_string();
        assert!(err.contains("learning rate"), "{err}");
    }
}

#[test]
fn leave_one_out_contributions_are_consistent() {
    let model = blog_model();
    let scratch_probability = |text: &str, label: usize| {
        let mut scratch = model.scratch();
        model.probabilities_with(text, &mut scratch)[label] as f64
    };

    let e = explain(&model, "how are you zebra?", 3);
    assert_eq!(e.label, "greeting");
    assert_eq!(e.top_labels.len(), 3);
    assert_eq!(e.top_labels[0].label, e.label);
    assert!(e.method.contains("leave-one-token-out"));
    let label = model.labels().id(&e.label).unwrap() as usize;
    let zebra = e.contributions.iter().find(|c| c.token == "zebra").unwrap();
    assert_eq!(zebra.status, TokenStatus::Unknown);
    assert_eq!(zebra.contribution, 0.0);
    assert_eq!(zebra.features_removed, 0);
    // Sorted by |contribution|; each one is p(text) − p(text without it),
    // which without n-grams is the text with that word deleted.
    let sizes: Vec<f64> = e
        .contributions
        .iter()
        .map(|c| c.contribution.abs())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    let you = e.contributions.iter().find(|c| c.token == "you").unwrap();
    assert_eq!(you.status, TokenStatus::Known);
    assert_eq!(you.features_removed, 1);
    let without = scratch_probability("how are zebra?", label);
    assert!((you.probability_without - without).abs() < 1e-7);
    assert!((you.contribution - (e.probability - without)).abs() < 1e-7);

    // Removing every token leaves an empty bag: no crash, a probability.
    let e = explain(&model, "sandwich", 0);
    assert_eq!(e.top_labels.len(), 3);
    let only = &e.contributions[0];
    assert_eq!(only.features_removed, 1);
    let empty = scratch_probability("", model.labels().id(&e.label).unwrap() as usize);
    assert!((only.probability_without - empty).abs() < 1e-7);

    // Nothing known, nothing at all: no crash, every contribution 0.
    for text in ["zebra quux", "", "?!"] {
        let e = explain(&model, text, 2);
        assert_eq!(e.top_labels.len(), 2);
        assert!(
            e.contributions.iter().all(|c| c.contribution == 0.0),
            "{text:?}"
        );
    }
}

#[test]
fn leaving_a_token_out_removes_its_ngrams_without_forming_new_ones() {
    let mut config = TrainConfig {
        epochs: 5,
        ..TrainConfig::fasttext()
    };
    config.features.word_ngrams = 2;
    config.features.buckets = 1000;
    config.network.dim = 4;
    let model = textnn::train(&config, &examples(&LIGHTS), &mut |_| {}).unwrap();
    // "switch the lamp": 3 words + 2 bigrams. Leaving out "the" removes the
    // word and both bigrams; "switch lamp" must not appear as a new bigram.
    let e = explain(&model, "switch the lamp", 1);
    let the = e.contributions.iter().find(|c| c.token == "the").unwrap();
    assert_eq!(the.features_removed, 3);
    // An unknown word still reaches the model through its bigrams.
    let e = explain(&model, "switch zebra", 1);
    let zebra = e.contributions.iter().find(|c| c.token == "zebra").unwrap();
    assert_eq!(zebra.status, TokenStatus::NgramsOnly);
    assert_eq!(zebra.features_removed, 1);
}
