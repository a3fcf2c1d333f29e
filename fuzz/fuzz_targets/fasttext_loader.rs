//! Arbitrary bytes as a fastText model: `FastTextModel::from_bytes` must
//! return an error or a model, never panic; a model it accepts must predict
//! probabilities in [0, 1] (plus fastText's 1e-5 per term), and survive a
//! round trip through textnn's container with the same predictions.
//!
//! Each input is loaded twice: as it is, and with fastText's magic number
//! and version 12 written over its first 8 bytes, so that the fuzzer
//! spends its time in the settings, dictionary and matrices behind them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use textnn::fasttext_model::FastTextModel;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = FastTextModel::from_bytes("fuzz", data) {
        exercise(&model);
    }
    if data.len() >= 8 {
        let mut bytes = data.to_vec();
        bytes[..4].copy_from_slice(&textnn::fasttext_model::MAGIC.to_le_bytes());
        bytes[4..8].copy_from_slice(&textnn::fasttext_model::VERSION.to_le_bytes());
        if let Ok(model) = FastTextModel::from_bytes("fuzz", &bytes) {
            exercise(&model);
        }
    }
});

/// Predicts a few texts (ASCII, multi-byte, a label token, empty) and
/// checks the container round trip.
fn exercise(model: &FastTextModel) {
    let texts = ["turn on the light", "café 日本 </s> x", "__label__on lamp", ""];
    // Each reported probability is p + 1e-5; for hs, a product of such
    // terms, one per level of the tree (at most one per label).
    let bound = (1.0f64 + 1e-5).powi(model.labels().len() as i32) + 1e-6;
    for text in texts {
        let ranked = model.predict(text, 0, 0.0);
        assert!(ranked.len() <= model.labels().len());
        for &(label, p) in &ranked {
            assert!(label < model.labels().len());
            assert!(p.is_finite() && p >= 0.0 && f64::from(p) <= bound, "{p}: {ranked:?}");
        }
    }
    let bytes = model.to_bytes();
    let again = FastTextModel::container_from_bytes("fuzz", &bytes).expect("a saved model loads");
    for text in texts {
        assert_eq!(again.predict(text, 0, 0.0), model.predict(text, 0, 0.0));
    }
}
