//! Property tests over the entry points that take untrusted input — the
//! stable, always-run companion of the cargo-fuzz targets in `fuzz/`:
//!
//! - every data reader returns examples or an error on arbitrary bytes,
//!   never panics;
//! - the model loader returns a model or an error on arbitrary bytes and on
//!   mutated model files whose checksum was made valid again;
//! - save → load round-trips: the same bytes and bit-identical predictions;
//! - softmax probabilities lie in [0, 1] and sum to 1 for any logits,
//!   huge and infinite ones included;
//! - networks with finite weights of any size (up to `f32::MAX`) give
//!   probabilities in [0, 1] that sum to 1 for softmax (issue 6).
//!
//! Case counts are modest so the whole file runs in a few seconds.

mod common;

use proptest::prelude::*;
use rand::rngs::mock::StepRng;
use std::sync::OnceLock;
use textnn::data::{parse_bytes, DataFormat, ReadOptions};
use textnn::linalg::Matrix;
use textnn::nn::loss::softmax;
use textnn::nn::{Activation, Combine, Dense, Loss, Network, NetworkConfig, Workspace};
use textnn::Classifier;

const FORMATS: [DataFormat; 5] = [
    DataFormat::FastText,
    DataFormat::Csv,
    DataFormat::Tsv,
    DataFormat::Jsonl,
    DataFormat::Intents,
];

/// Text built mostly from the characters that mean something to one of the
/// formats (quotes, separators, brackets, the label prefix, a BOM), so
/// random inputs reach past the first syntax error.
fn format_like_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("__label__".to_string()),
        Just("\"text\"".to_string()),
        Just("\"label\"".to_string()),
        Just("\"labels\"".to_string()),
        Just("\"intents\"".to_string()),
        Just("\"patterns\"".to_string()),
        Just("\"tag\"".to_string()),
        Just("text,label\n".to_string()),
        Just("text\tlabel\n".to_string()),
        Just("\u{feff}".to_string()),
        "[\"',\t\n\r{}\\[\\]: a-z0-9_é☀\u{a0}\\\\]{1,6}",
    ];
    prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

/// The tiny model's file, trained once for the whole test binary.
fn tiny_model_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| common::tiny_model().to_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn readers_never_panic_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        require_labels in any::<bool>(),
    ) {
        let options = ReadOptions { require_labels, ..ReadOptions::default() };
        for format in FORMATS {
            let _ = parse_bytes("input", &bytes, format, &options);
        }
    }

    #[test]
    fn readers_never_panic_on_format_like_text(
        text in format_like_text(),
        require_labels in any::<bool>(),
    ) {
        let options = ReadOptions { require_labels, ..ReadOptions::default() };
        for format in FORMATS {
            if let Ok(examples) = parse_bytes("input", text.as_bytes(), format, &options) {
                for e in &examples {
                    prop_assert!(e.line >= 1);
                    prop_assert!(!require_labels || !e.labels.is_empty());
                }
            }
        }
    }

    #[test]
    fn the_loader_never_panics_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let _ = Classifier::from_bytes("m", &bytes);
        // The same bytes behind a valid magic and version.
        let mut b = b"TEXTNNMF\x01\0\0\0".to_vec();
        b.extend_from_slice(&bytes);
        let _ = Classifier::from_bytes("m", &b);
    }

    #[test]
    fn the_loader_never_panics_on_mutated_models_with_a_valid_checksum(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = tiny_model_bytes().to_vec();
        let n = bytes.len() - 4;
        for (at, value) in edits {
            bytes[at.index(n)] = value;
        }
        common::fix_checksum(&mut bytes);
        if let Ok(model) = Classifier::from_bytes("m", &bytes) {
            // A mutation that still loads must give a usable model.
            let _ = model.predict("turn on the light", 0, 0.0);
        }
    }

    #[test]
    fn softmax_lies_in_the_unit_interval_and_sums_to_one(
        logits in prop::collection::vec(
            prop_oneof![
                4 => -100.0f32..100.0,
                1 => prop::num::f32::POSITIVE | prop::num::f32::NEGATIVE
                    | prop::num::f32::NORMAL | prop::num::f32::SUBNORMAL | prop::num::f32::ZERO,
                1 => prop::sample::select(vec![f32::MAX, -f32::MAX, f32::MIN_POSITIVE, 0.0]),
                1 => prop::sample::select(vec![f32::INFINITY, f32::NEG_INFINITY]),
            ],
            1..64,
        ),
    ) {
        let mut probs = vec![0.0f32; logits.len()];
        softmax(&logits, &mut probs);
        prop_assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)), "{probs:?}");
        let sum: f64 = probs.iter().map(|&p| f64::from(p)).sum();
        prop_assert!((sum - 1.0).abs() < 1e-5, "sum {sum} of {probs:?}");
        // The other losses' outputs (sigmoids) lie in [0, 1] too.
        for loss in [Loss::Softmax, Loss::Ova, Loss::Squared] {
            loss.probabilities(&logits, &mut probs);
            prop_assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)), "{loss:?}: {probs:?}");
        }
    }
}

/// Finite `f32` weights, mostly huge: any sign, magnitude 10^30 to
/// `f32::MAX`, with some ordinary values and exact `±f32::MAX`.
fn huge_weight() -> impl Strategy<Value = f32> {
    prop_oneof![
        3 => (any::<bool>(), 1.0f32..3.4, 30i32..=38).prop_map(|(negative, mantissa, exponent)| {
            let v = mantissa * 10f32.powi(exponent);
            let v = if v.is_finite() { v } else { f32::MAX };
            if negative { -v } else { v }
        }),
        1 => -10.0f32..10.0,
        1 => prop::sample::select(vec![f32::MAX, -f32::MAX, 0.0]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn issue_6_huge_finite_weights_give_probabilities_in_the_unit_interval(
        loss in prop::sample::select(Loss::ALL.to_vec()),
        combine in prop::sample::select(vec![Combine::Mean, Combine::Sum, Combine::L2]),
        idf in any::<bool>(),
        bias in any::<bool>(),
        hidden in prop::collection::vec(1usize..4, 0..3),
        embedding_activation in prop::sample::select(Activation::ALL.to_vec()),
        hidden_activation in prop::sample::select(Activation::ALL.to_vec()),
        n_labels in 1usize..5,
        weights in prop::collection::vec(huge_weight(), 1..40),
        ids in prop::collection::vec(0u32..6, 0..40),
    ) {
        let config = NetworkConfig {
            input_rows: 6,
            dim: 3,
            combine,
            idf,
            embedding_activation,
            hidden,
            hidden_activation,
            n_labels,
            loss,
            bias,
            ..NetworkConfig::default()
        };
        // Every weight, cycling through the drawn values.
        let mut values = weights.iter().copied().cycle();
        let mut matrix = |rows: usize, cols: usize| {
            Matrix::from_vec(rows, cols, values.by_ref().take(rows * cols).collect()).unwrap()
        };
        let embedding = matrix(6, 3);
        let template = Network::<f32>::new(config.clone(), &mut StepRng::new(0, 1)).unwrap();
        let layers: Vec<Dense<f32>> = template
            .layers
            .iter()
            .map(|layer| Dense {
                weights: matrix(layer.weights.rows(), layer.weights.cols()),
                bias: matrix(1, layer.bias.len()).as_slice().to_vec(),
            })
            .collect();
        let feature_weights: Vec<f32> = if idf {
            weights.iter().cycle().take(6).map(|w| if *w == 0.0 { 1.0 } else { w.abs() }).collect()
        } else {
            Vec::new()
        };
        let network = Network::from_parts(config, embedding, layers, feature_weights).unwrap();
        let mut ws = Workspace::new(&network);
        network.forward_eval(&ids, &mut ws);
        let probs = ws.probabilities();
        prop_assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)), "{:?}", probs);
        if matches!(loss, Loss::Softmax | Loss::Hs) {
            let sum: f64 = probs.iter().map(|&p| f64::from(p)).sum();
            prop_assert!((sum - 1.0).abs() < 1e-5, "sum {} of {:?}", sum, probs);
        }
        let gold = [0usize];
        let loss_value = network.loss(&ws, &gold);
        prop_assert!(loss_value.is_finite() && loss_value >= 0.0, "loss {}", loss_value);
    }
}

proptest! {
    // Each case trains a model (a few milliseconds at these sizes).
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn save_then_load_round_trips_bytes_and_predictions(
        dim in 1usize..6,
        hidden in prop::option::of(1usize..5),
        idf in any::<bool>(),
        bias in any::<bool>(),
        loss in prop::sample::select(vec![Loss::Softmax, Loss::Ova, Loss::Squared]),
        combine in prop::sample::select(vec![Combine::Mean, Combine::Sum]),
        char_ngrams in any::<bool>(),
        seed in any::<u64>(),
        texts in prop::collection::vec("\\PC{0,30}", 1..4),
    ) {
        let mut config = common::tiny_config();
        config.epochs = 2;
        config.seed = seed;
        config.network.dim = dim;
        config.network.hidden = hidden.into_iter().collect();
        config.network.hidden_activation = Activation::Relu;
        config.network.idf = idf;
        config.network.bias = bias;
        config.network.loss = loss;
        config.network.combine = combine;
        config.features.char_ngrams = char_ngrams.then_some((2, 3));
        let model = textnn::train(&config, &common::examples(), &mut |_| {}).unwrap();
        let bytes = model.to_bytes();
        let loaded = Classifier::from_bytes("m", &bytes).unwrap();
        prop_assert_eq!(&loaded.to_bytes(), &bytes);
        let (mut a, mut b) = (model.scratch(), loaded.scratch());
        for text in &texts {
            let pa: Vec<u32> = model.probabilities_with(text, &mut a).iter().map(|p| p.to_bits()).collect();
            let pb: Vec<u32> = loaded.probabilities_with(text, &mut b).iter().map(|p| p.to_bits()).collect();
            prop_assert_eq!(pa, pb, "{:?}", text);
        }
    }
}
