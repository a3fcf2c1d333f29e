//! Model files: save → load gives bit-identical predictions; damaged files
//! are refused with a clear message; a save that fails part-way leaves the
//! previous file as it was. (Targeted mutations of a file are in
//! `model_mutations.rs`, committed fixtures of old versions in
//! `model_fixtures.rs`.)

mod common;

use common::examples;
use std::io::Write;
use std::path::Path;
use textnn::format;
use textnn::nn::{Activation, Combine, Loss};
use textnn::{Classifier, TrainConfig};

/// A small model of every architecture family, so each section kind is written.
fn models() -> Vec<Classifier> {
    let base = TrainConfig {
        epochs: 20,
        ..TrainConfig::default_preset()
    };
    let mut configs = vec![base.clone(), TrainConfig::fasttext()];
    let mut deep = base.clone();
    deep.network.hidden = vec![8, 4];
    deep.network.hidden_activation = Activation::Tanh;
    deep.network.bias = true;
    deep.network.combine = Combine::Sum;
    deep.network.loss = Loss::Ova;
    deep.features.char_ngrams = Some((2, 4));
    configs.push(deep);
    configs
        .into_iter()
        .map(|mut c| {
            c.features.buckets = 1000;
            c.network.dim = 12;
            textnn::train(&c, &examples(), &mut |_| {}).unwrap()
        })
        .collect()
}

const TEXTS: [&str; 5] = [
    "turn on the light",
    "is it going to rain",
    "lamp off",
    "something never seen before",
    "",
];

#[test]
fn save_then_load_predicts_bit_identical_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    for (i, model) in models().into_iter().enumerate() {
        let path = dir.path().join(format!("m{i}.textnn"));
        model.save(&path).unwrap();
        let loaded = Classifier::load(&path).unwrap();
        assert_eq!(loaded.to_bytes(), model.to_bytes());
        let (mut a, mut b) = (model.scratch(), loaded.scratch());
        for text in TEXTS {
            let pa: Vec<u32> = model
                .probabilities_with(text, &mut a)
                .iter()
                .map(|p| p.to_bits())
                .collect();
            let pb: Vec<u32> = loaded
                .probabilities_with(text, &mut b)
                .iter()
                .map(|p| p.to_bits())
                .collect();
            assert_eq!(pa, pb, "model {i}, {text:?}");
        }
    }
}

#[test]
fn probabilities_are_in_range_and_softmax_sums_to_one() {
    for model in models() {
        let mut scratch = model.scratch();
        for text in TEXTS {
            let probs = model.probabilities_with(text, &mut scratch).to_vec();
            assert!(probs.iter().all(|p| (0.0..=1.0).contains(p)), "{probs:?}");
            if model.network().config().loss == Loss::Softmax {
                let sum: f64 = probs.iter().map(|&p| p as f64).sum();
                assert!((sum - 1.0).abs() < 1e-6, "{sum}");
            }
        }
    }
}

#[test]
fn every_truncation_and_header_bit_flip_is_refused() {
    let bytes = models().remove(2).to_bytes();
    for len in 0..bytes.len() {
        let err = Classifier::from_bytes("m", &bytes[..len]).unwrap_err();
        assert!(err.to_string().starts_with("m: "), "{err}");
    }
    // Header (24 bytes) and the start of the metadata, bit by bit.
    for bit in 0..(64 * 8) {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        assert!(Classifier::from_bytes("m", &b).is_err(), "bit {bit}");
    }
}

#[test]
fn a_failed_save_leaves_the_previous_model_intact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.textnn");
    let models = models();
    models[0].save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // Make the folder read-only so the temporary file cannot be created
    // (root ignores permissions, so fall back to a path that is a folder).
    let blocker = dir.path().join("occupied");
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("x"), b"x").unwrap();
    assert!(models[1].save(&blocker).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let leftovers = temporary_files(dir.path());
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The `.tmp` files left in `dir`.
fn temporary_files(dir: &Path) -> Vec<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect()
}

/// A writer that accepts `left` bytes, then fails as a broken disk would.
struct FailAfter<'a> {
    inner: &'a mut std::fs::File,
    left: usize,
}

impl Write for FailAfter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("injected write failure"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        self.inner.write(&buf[..n])
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[test]
fn a_write_failing_part_way_leaves_the_previous_model_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.textnn");
    let models = models();
    models[0].save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let new_bytes = models[1].to_bytes();
    for fail_after in [0, 1, 24, new_bytes.len() / 2, new_bytes.len() - 1] {
        // `save` streams into the temporary file of `write_atomically_by`,
        // which this goes through too, with a writer that fails after
        // `fail_after` bytes.
        let err = format::write_atomically_with(&path, &new_bytes, |file, bytes| {
            FailAfter {
                inner: file,
                left: fail_after,
            }
            .write_all(bytes)
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("injected write failure") && err.contains("previous file"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "after {fail_after}");
        assert!(temporary_files(dir.path()).is_empty(), "after {fail_after}");
        // The old model still loads.
        assert!(Classifier::load(&path).is_ok());
    }
    // And a save that succeeds afterwards replaces it.
    models[1].save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), new_bytes);
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_named_and_leaves_the_previous_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.textnn");
    let models = models();
    models[0].save(&path).unwrap();
    let before = std::fs::read(&path).unwrap();
    // /dev/full fails every write with ENOSPC, as a full disk does.
    let err = format::write_atomically_with(&path, &models[1].to_bytes(), |_file, bytes| {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")?
            .write_all(bytes)
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(&path.display().to_string())
            && err.contains("the disk is full")
            && err.contains("nothing was saved and the previous file, if any, is unchanged"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(temporary_files(dir.path()).is_empty());
}
