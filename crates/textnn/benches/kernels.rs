//! The hot kernels on fastText-sized operands: `dot` and `add_scaled` on
//! 100-wide rows (the embedding bag and its gradient), softmax over 57
//! labels and the 57×100 output layer `z = W a`; and each fast kernel
//! against its reference version at the widths the trainer uses (100 on
//! one thread, about 50 per slice on two).
//!
//! `cargo bench -p textnn --bench kernels`

use std::hint::black_box;

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use textnn::linalg::kernels::Kernels;
use textnn::linalg::{add_scaled, dot, Matrix};
use textnn::nn::loss::softmax;

const DIM: usize = 100;
const N_LABELS: usize = 57;

fn random_vec(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

fn kernels(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let a = random_vec(&mut rng, DIM);
    let b = random_vec(&mut rng, DIM);
    let logits = random_vec(&mut rng, N_LABELS);
    let weights = Matrix::from_vec(N_LABELS, DIM, random_vec(&mut rng, N_LABELS * DIM))
        .expect("57 × 100 values fill a 57 × 100 matrix");

    c.bench_function("dot 100", |bench| {
        bench.iter(|| dot(black_box(&a), black_box(&b)))
    });

    let mut y = vec![0.0_f32; DIM];
    c.bench_function("add_scaled 100", |bench| {
        // y grows by a tiny multiple of b each time; it stays finite for
        // far more iterations than any run makes.
        bench.iter(|| add_scaled(black_box(&mut y), black_box(1e-9), black_box(&b)))
    });

    let mut probs = vec![0.0_f32; N_LABELS];
    c.bench_function("softmax 57", |bench| {
        bench.iter(|| softmax(black_box(&logits), black_box(&mut probs)))
    });

    let mut out = vec![0.0_f32; N_LABELS];
    c.bench_function("mul_vec 57x100", |bench| {
        bench.iter(|| weights.mul_vec(black_box(&a), black_box(&mut out)))
    });
}

/// `fast-vs-reference/<kernel> <width>/<kernels>`: the same call through
/// [`Kernels::reference`] and through [`Kernels::detect`] (only the first
/// on a CPU without AVX2 and FMA).
fn fast_vs_reference(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut group = c.benchmark_group("fast-vs-reference");
    let mut choices = vec![Kernels::reference()];
    if Kernels::detect() != Kernels::reference() {
        choices.push(Kernels::detect());
    }
    for kernels in choices {
        for width in [52, DIM, 300] {
            let a = random_vec(&mut rng, width);
            let b = random_vec(&mut rng, width);
            group.bench_function(format!("dot {width}/{}", kernels.name()), |bench| {
                bench.iter(|| kernels.dot(black_box(&a), black_box(&b)))
            });
            let mut y = vec![0.0_f32; width];
            group.bench_function(format!("add_scaled {width}/{}", kernels.name()), |bench| {
                bench.iter(|| kernels.add_scaled(black_box(&mut y), black_box(1e-9), black_box(&b)))
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = kernels, fast_vs_reference
}
criterion_main!(benches);
