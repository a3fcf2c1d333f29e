//! Issue 6: model files whose weights are finite but huge (up to
//! `f32::MAX`). Loading accepts them — every weight is a valid `f32` — so
//! the forward pass must keep its promise anyway: probabilities finite, in
//! [0, 1], summing to 1 for softmax and hierarchical softmax, for predict,
//! explain and the metrics, whatever the loss, combine, idf, hidden layers
//! and activations. Sums and products that overflow `f32` saturate (see
//! `textnn::nn::overflow`). The files are real trained models whose weight
//! sections are rewritten and re-checksummed.

mod common;

use common::{examples, rebuild, tiny_config};
use textnn::metrics::Evaluator;
use textnn::nn::{Activation, Combine, Loss};
use textnn::{Classifier, TrainConfig};

/// Texts that reach one feature, many features, one feature repeated
/// (so `sum` adds the same huge row hundreds of times), and none.
fn texts() -> Vec<String> {
    vec![
        "turn on the kitchen light".to_string(),
        "what is the weather like will it rain tomorrow how cold".to_string(),
        "light ".repeat(300),
        "zzz unknown".to_string(),
        String::new(),
    ]
}

/// A weight pattern: its name and index → value (always finite).
type Pattern = (&'static str, fn(usize) -> f32);

/// The weight patterns every shape is checked under.
fn patterns() -> Vec<Pattern> {
    vec![
        ("all f32::MAX", |_| f32::MAX),
        ("alternating ±f32::MAX", |i| {
            if i % 2 == 0 {
                f32::MAX
            } else {
                -f32::MAX
            }
        }),
        ("±1e38 in a scrambled sign pattern", |i| {
            if (i * 7 + i / 3) % 5 < 2 {
                -1e38
            } else {
                1e38
            }
        }),
        ("1e20 growing per index", |i| 1e20 * (1 + i % 13) as f32),
    ]
}

/// The model file with every weight of the embedding (`EMBD`, or the
/// stored rows `EMRV` of a sparse one), `DENW` and `DENB` replaced by
/// `value(index)`, and the idf weights (`IDFW`, which must stay positive)
/// by its magnitude.
fn with_weights(bytes: &[u8], value: fn(usize) -> f32) -> Vec<u8> {
    rebuild(bytes, |sections| {
        let mut embedding_rewritten = false;
        for section in sections.iter_mut() {
            let positive = match &section.tag {
                b"EMBD" | b"EMRV" => {
                    embedding_rewritten = true;
                    false
                }
                b"DENW" | b"DENB" => false,
                b"IDFW" => true,
                _ => continue,
            };
            for (i, chunk) in section.bytes.chunks_exact_mut(4).enumerate() {
                let v = if positive { value(i).abs() } else { value(i) };
                chunk.copy_from_slice(&v.to_le_bytes());
            }
        }
        // A new layout must not leave the embedding out of these tests.
        assert!(embedding_rewritten, "no embedding section found");
    })
}

/// Checks one loaded model on every text: probabilities, ranked
/// predictions, loss, explanation and the evaluation report.
fn check(model: &Classifier, case: &str) {
    let loss = model.network().config().loss;
    let n_labels = model.labels().len();
    let label_names: Vec<String> = (0..n_labels)
        .map(|id| model.label_name(id).to_string())
        .collect();
    let mut evaluator = Evaluator::new(label_names, 1);
    let mut scratch = model.scratch();
    for text in texts() {
        let probs = model.probabilities_with(&text, &mut scratch).to_vec();
        assert!(
            probs.iter().all(|p| (0.0..=1.0).contains(p)),
            "{case}, {text:.30?}: {probs:?}"
        );
        if matches!(loss, Loss::Softmax | Loss::Hs) {
            let sum: f64 = probs.iter().map(|&p| f64::from(p)).sum();
            assert!((sum - 1.0).abs() < 1e-5, "{case}, {text:.30?}: sum {sum}");
        }
        let predicted = model.predict(&text, 0, 0.0);
        assert_eq!(predicted.len(), n_labels, "{case}");
        let gold = [0usize];
        let example_loss = model.loss_with(&text, &gold, &mut scratch);
        assert!(
            example_loss.is_finite() && example_loss >= 0.0,
            "{case}, {text:.30?}: loss {example_loss}"
        );
        evaluator.add(&gold, &[], &predicted, Some(example_loss));
        let explanation = textnn::explain::explain(model, &text, 0);
        assert!(
            (0.0..=1.0).contains(&explanation.probability),
            "{case}: {explanation:?}"
        );
        for c in &explanation.contributions {
            assert!(
                c.contribution.is_finite() && (0.0..=1.0).contains(&c.probability_without),
                "{case}, {text:.30?}: {c:?}"
            );
        }
    }
    if loss != Loss::Hs {
        // The trace's δ comes from the loss's own stable gradient; a label
        // whose term of the loss vanishes (y = 0 under cross-entropy) has
        // dL/da = 0 even when its p rounded to 0.
        let gold = model.label_name(0).to_string();
        for text in texts() {
            let t = textnn::explain::trace(model, &text, &[&gold], 0.1)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let o = &t.output_layer;
            assert!(
                o.delta.iter().all(|d| d.is_finite()),
                "{case}, {text:.30?}: δ {:?}",
                o.delta
            );
            if loss == Loss::Softmax {
                for k in 1..n_labels {
                    assert_eq!(o.dl_da[k], 0.0, "{case}, {text:.30?}: {:?}", o.dl_da);
                }
            }
        }
    }
    let report = evaluator.finish();
    assert!(report.loss.is_finite(), "{case}: {report:?}");
    assert!((0.0..=1.0).contains(&report.accuracy), "{case}: {report:?}");
}

/// Trains the tiny model with `change` applied to its settings, then checks
/// it under every weight pattern.
fn check_shape(change: impl Fn(&mut TrainConfig), shape: &str) {
    let mut config = tiny_config();
    change(&mut config);
    let model = textnn::train(&config, &examples(), &mut |_| {}).unwrap();
    let bytes = model.to_bytes();
    for (name, value) in patterns() {
        let case = format!("{shape}, {name}");
        let mutated = Classifier::from_bytes("huge.textnn", &with_weights(&bytes, value))
            .unwrap_or_else(|e| panic!("{case}: finite weights must load: {e}"));
        check(&mutated, &case);
    }
}

#[test]
fn issue_6_huge_finite_weights_give_probabilities_in_range_for_every_loss_and_combine() {
    for loss in Loss::ALL {
        for combine in [Combine::Mean, Combine::Sum, Combine::L2] {
            check_shape(
                |c| {
                    c.network.loss = loss;
                    c.network.combine = combine;
                },
                &format!("{loss}, {combine}, idf, hidden [3] tanh, bias"),
            );
        }
    }
}

#[test]
fn issue_6_huge_finite_weights_give_probabilities_in_range_through_every_activation() {
    for activation in Activation::ALL {
        check_shape(
            |c| {
                c.network.combine = Combine::Sum;
                c.network.idf = false;
                c.network.embedding_activation = activation;
                c.network.hidden = vec![3, 2];
                c.network.hidden_activation = activation;
            },
            &format!("sum, {activation} after the bag and two hidden layers"),
        );
    }
}

#[test]
fn issue_6_huge_weights_without_hidden_layers_or_bias_stay_in_range() {
    // fastText's shape: mean of rows straight into softmax.
    for loss in [Loss::Softmax, Loss::Ova] {
        check_shape(
            |c| {
                c.network.loss = loss;
                c.network.hidden = Vec::new();
                c.network.bias = false;
                c.network.idf = false;
            },
            &format!("{loss}, no hidden layer, no bias"),
        );
    }
}

#[test]
fn issue_6_saturated_logits_still_rank_the_overflowing_label_first() {
    // Output row 0 is +1e38 times an embedding of 1e38 (beyond f32), the
    // other rows -1e38 times it: label 0 must win outright, not tie or give
    // NaN (softmax of a +∞ logit, or of saturated ones, is its limit).
    let mut config = tiny_config();
    config.network.hidden = Vec::new();
    config.network.bias = false;
    config.network.idf = false;
    let bytes = textnn::train(&config, &examples(), &mut |_| {})
        .unwrap()
        .to_bytes();
    let dim = config.network.dim;
    let mutated = rebuild(&bytes, |sections| {
        for section in sections.iter_mut() {
            let value_of = |i: usize| match &section.tag {
                b"EMBD" | b"EMRV" => 1e38_f32,
                b"DENW" if i < dim => 1e38,
                b"DENW" => -1e38,
                _ => f32::NAN,
            };
            if matches!(&section.tag, b"EMBD" | b"EMRV" | b"DENW") {
                let values: Vec<f32> = (0..section.bytes.len() / 4).map(value_of).collect();
                for (chunk, v) in section.bytes.chunks_exact_mut(4).zip(values) {
                    chunk.copy_from_slice(&v.to_le_bytes());
                }
            }
        }
    });
    let model = Classifier::from_bytes("huge.textnn", &mutated).unwrap();
    let predicted = model.predict("turn on the kitchen light", 1, 0.0);
    assert_eq!(predicted, vec![(0, 1.0)]);
}
