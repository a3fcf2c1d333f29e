//! `Classifier::predict_with` end to end (tokenize, features, forward,
//! rank) on a short and a long text, with a fastText-preset model (word
//! bigrams) trained on a few hundred synthetic lines in the setup.
//!
//! `cargo bench -p textnn --bench predict`

use std::hint::black_box;

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use textnn::data::Example;
use textnn::{Classifier, TrainConfig};

const N_LABELS: usize = 8;
const N_WORDS: usize = 2_000;
const N_LINES: usize = 400;

/// `n` words drawn mostly from the label's own slice of the vocabulary,
/// so the model has something to learn.
fn synthetic_text(rng: &mut ChaCha8Rng, label: usize, n: usize) -> String {
    let slice = N_WORDS / N_LABELS;
    (0..n)
        .map(|_| {
            let word = if rng.gen_bool(0.6) {
                label * slice + rng.gen_range(0..slice)
            } else {
                rng.gen_range(0..N_WORDS)
            };
            format!("w{word}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn trained_model(rng: &mut ChaCha8Rng) -> Classifier {
    let examples: Vec<Example> = (0..N_LINES)
        .map(|i| {
            let label = i % N_LABELS;
            let len = rng.gen_range(5..40);
            Example {
                text: synthetic_text(rng, label, len),
                labels: vec![format!("l{label}")],
                line: i + 1,
            }
        })
        .collect();
    let mut config = TrainConfig::fasttext();
    config.features.word_ngrams = 2;
    // Few buckets keep the setup fast; lookups cost the same at any size.
    config.features.buckets = 100_000;
    textnn::train(&config, &examples, &mut |_| {}).expect("synthetic data trains")
}

fn predict(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let model = trained_model(&mut rng);
    let short = synthetic_text(&mut rng, 2, 8);
    let long = synthetic_text(&mut rng, 5, 300);
    let mut scratch = model.scratch();

    c.bench_function("predict_with short (8 words)", |bench| {
        bench.iter(|| model.predict_with(black_box(&short), 1, 0.0, &mut scratch))
    });
    c.bench_function("predict_with long (300 words)", |bench| {
        bench.iter(|| model.predict_with(black_box(&long), 1, 0.0, &mut scratch))
    });
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = predict
}
criterion_main!(benches);
