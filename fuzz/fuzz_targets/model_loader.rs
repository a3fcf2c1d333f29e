//! Arbitrary bytes as a model file: `Classifier::from_bytes` must return
//! an error or a model, never panic, and a model it accepts must predict
//! and survive a save → load round trip.
//!
//! Each input is loaded twice: as it is (the header, length and checksum
//! checks), and with its body length and CRC-32 patched to match, so that
//! the fuzzer also gets past the checksum and explores the section walk,
//! the metadata JSON and the shape checks behind it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use textnn::nn::Loss;
use textnn::Classifier;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Classifier::from_bytes("fuzz", data) {
        exercise(&model);
    }
    if data.len() >= 28 {
        let mut bytes = data.to_vec();
        // Offsets from textnn::format: body length at 16..24, CRC last.
        let body_len = (bytes.len() - 28) as u64;
        bytes[16..24].copy_from_slice(&body_len.to_le_bytes());
        let n = bytes.len();
        let crc = crc32fast::hash(&bytes[..n - 4]);
        bytes[n - 4..].copy_from_slice(&crc.to_le_bytes());
        if let Ok(model) = Classifier::from_bytes("fuzz", &bytes) {
            exercise(&model);
        }
    }
});

/// Predicts with an accepted model — one probability per label, each in
/// [0, 1], summing to 1 for softmax and hierarchical softmax, even when
/// finite weights near `f32::MAX` overflow inside the forward pass — and
/// checks that re-encoding is stable.
fn exercise(model: &Classifier) {
    let ranked = model.predict("turn on the light", 0, 0.0);
    assert_eq!(ranked.len(), model.labels().len());
    assert!(
        ranked.iter().all(|(_, p)| (0.0..=1.0).contains(p)),
        "{ranked:?}"
    );
    if matches!(model.network().config().loss, Loss::Softmax | Loss::Hs) {
        let sum: f64 = ranked.iter().map(|&(_, p)| f64::from(p)).sum();
        assert!((sum - 1.0).abs() < 1e-4, "sum {sum}: {ranked:?}");
    }
    let bytes = model.to_bytes();
    let again = Classifier::from_bytes("fuzz", &bytes).expect("a saved model loads");
    assert_eq!(again.to_bytes(), bytes);
}
