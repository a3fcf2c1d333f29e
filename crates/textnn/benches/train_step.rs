//! One training step of the fastText-shaped network (mean of 100-wide
//! embedding rows, no hidden layer, softmax over 57 labels) on an example
//! with 60 feature ids: forward, backward and the SGD update, the work the
//! training loop does per example.
//!
//! `cargo bench -p textnn --bench train_step`

use std::hint::black_box;

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use textnn::nn::{Combine, Gradients, Loss, Network, NetworkConfig, Workspace};
use textnn::optim::{Optimizer, OptimizerConfig};

/// Words of a debian_sections-sized vocabulary plus a small bucket range:
/// the step touches only the example's rows, so the table's size matters
/// only through cache misses.
const INPUT_ROWS: usize = 200_000;
const N_FEATURES: usize = 60;
const N_LABELS: usize = 57;

fn train_step(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let config = NetworkConfig {
        input_rows: INPUT_ROWS,
        dim: 100,
        combine: Combine::Mean,
        n_labels: N_LABELS,
        loss: Loss::Softmax,
        ..NetworkConfig::default()
    };
    let mut network: Network = Network::new(config, &mut rng).expect("a valid fastText shape");
    let ids: Vec<u32> = (0..N_FEATURES)
        .map(|_| rng.gen_range(0..INPUT_ROWS as u32))
        .collect();
    let gold = [3_usize];
    let mut workspace = Workspace::new(&network);
    let mut gradients = Gradients::new(&network);
    let mut optimizer = Optimizer::new(OptimizerConfig::default(), &network);

    c.bench_function("train step fastText 60 features 57 labels", |bench| {
        bench.iter(|| {
            network.forward_eval(black_box(&ids), &mut workspace);
            network.backward(&ids, &gold, &mut workspace, &mut gradients, 1.0);
            // A small rate: the same example repeats every iteration, and
            // the weights should stay in the range real training sees.
            optimizer.step(&mut network, &mut gradients, black_box(0.01));
        })
    });

    c.bench_function("forward fastText 60 features 57 labels", |bench| {
        bench.iter(|| {
            network.forward_eval(black_box(&ids), &mut workspace);
            black_box(workspace.probabilities()[0])
        })
    });
}

criterion_group! {
    name = benches;
    config = common::quick();
    targets = train_step
}
criterion_main!(benches);
