//! `Classifier::predict_with` end to end (tokenize, features, forward,
//! rank) on a short and a long text, with a fastText-preset model (word
//! bigrams) trained on a few hundred synthetic lines in the setup; then
//! `Classifier::predict_batch` over 2,000 texts at k=1 and k=5 on one and
//! two threads, and the top-k selection against the full sort it replaces
//! (`model::top_k` vs `model::rank`) over 104 labels.
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

fn predict_batch(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let model = trained_model(&mut rng);
    let texts: Vec<String> = (0..2_000)
        .map(|i| {
            let len = rng.gen_range(5..60);
            synthetic_text(&mut rng, i % N_LABELS, len)
        })
        .collect();
    for k in [1, 5] {
        for threads in [1, 2] {
            let name = format!("predict_batch 2000 texts k={k} threads={threads}");
            c.bench_function(&name, |bench| {
                bench.iter(|| model.predict_batch(black_box(&texts), k, 0.0, threads))
            });
        }
    }
}

fn top_k_against_rank(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut probs: Vec<f32> = (0..104).map(|_| rng.gen::<f32>()).collect();
    let total: f32 = probs.iter().sum();
    probs.iter_mut().for_each(|p| *p /= total);
    let mut top = Vec::new();
    for k in [1, 5] {
        c.bench_function(&format!("top_k 104 labels k={k}"), |bench| {
            bench.iter(|| textnn::model::top_k(black_box(&probs), k, 0.0, &mut top))
        });
        c.bench_function(&format!("rank (sort all) 104 labels k={k}"), |bench| {
            bench.iter(|| textnn::model::rank(black_box(&probs), k, 0.0))
        });
    }
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = predict, predict_batch, top_k_against_rank
}
criterion_main!(benches);
