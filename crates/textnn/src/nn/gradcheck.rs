//! Finite-difference gradient checks: proof that backpropagation computes
//! the gradient of the loss.
//!
//! For every weight θ, the analytic `dL/dθ` from [`Network::backward`] is
//! compared with the central difference
//! `(L(θ + h) - L(θ - h)) / 2h`, whose error is `O(h²)`. Everything runs in
//! `f64` with `h = 1e-5`, so truncation error is about `1e-10` and rounding
//! error about `1e-16 · |L| / h = 1e-11 · |L|`; a real backprop bug shows up
//! as a relative error near 1. The relative error of one weight is
//! `|a - n| / max(|a|, |n|, 1e-6 · max(1, |L|))`: the floor keeps weights
//! whose gradient is (nearly) zero from dividing rounding noise by noise,
//! and grows with the loss because the rounding error does.
//!
//! ```
//! use textnn::nn::gradcheck::{check, CheckCase};
//! use textnn::nn::{Activation, Combine, Loss};
//! let case = CheckCase { activation: Activation::Tanh, loss: Loss::Softmax, hidden_layers: 1, combine: Combine::L2, idf: true };
//! let report = check(&case, 7);
//! assert!(report.max_relative_error() < 1e-4);
//! ```

use super::{Activation, Combine, Gradients, Init, Loss, Network, NetworkConfig, Workspace};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Step of the central difference.
const STEP: f64 = 1e-5;
/// Smallest denominator of the relative error.
const FLOOR: f64 = 1e-6;
/// Largest relative error that passes.
pub const TOLERANCE: f64 = 1e-4;

/// One network shape to check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckCase {
    /// Activation after the embedding bag and after every hidden layer.
    pub activation: Activation,
    /// Output activation and loss.
    pub loss: Loss,
    /// Number of hidden layers.
    pub hidden_layers: usize,
    /// How the embedding bag combines rows.
    pub combine: Combine,
    /// Whether rows carry (random, positive) frozen feature weights and
    /// the repeated feature weighs `1 + ln c` (sublinear term frequency),
    /// as the default preset's TF-IDF bag.
    pub idf: bool,
}

impl std::fmt::Display for CheckCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{} + {} hidden + {} + {}",
            if self.idf { "idf " } else { "" },
            self.combine,
            self.hidden_layers,
            self.activation,
            self.loss
        )
    }
}

/// Every combination: activation × loss × {0, 1, 2} hidden layers ×
/// {mean, sum, l2} × {plain, idf-weighted}.
pub fn all_cases() -> Vec<CheckCase> {
    let mut cases = Vec::new();
    for activation in Activation::ALL {
        for loss in Loss::ALL {
            for hidden_layers in 0..=2 {
                for combine in [Combine::Mean, Combine::Sum, Combine::L2] {
                    for idf in [false, true] {
                        cases.push(CheckCase {
                            activation,
                            loss,
                            hidden_layers,
                            combine,
                            idf,
                        });
                    }
                }
            }
        }
    }
    cases
}

/// Largest relative error in one parameter block.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockError {
    /// Block name, e.g. `hidden 1 weights`.
    pub block: String,
    /// Number of weights compared.
    pub weights: usize,
    /// Largest relative error among them.
    pub max_relative_error: f64,
}

/// Result of checking one case.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    /// The case checked.
    pub case: CheckCase,
    /// One entry per parameter block.
    pub blocks: Vec<BlockError>,
}

impl CheckReport {
    /// Largest relative error over all blocks.
    pub fn max_relative_error(&self) -> f64 {
        self.blocks
            .iter()
            .map(|b| b.max_relative_error)
            .fold(0.0, f64::max)
    }

    /// Whether every block is within [`TOLERANCE`].
    pub fn passed(&self) -> bool {
        self.max_relative_error() < TOLERANCE
    }
}

/// Relative error between analytic `a` and numeric `n` of a loss of size `loss`.
fn relative_error(a: f64, n: f64, loss: f64) -> f64 {
    (a - n).abs() / a.abs().max(n.abs()).max(FLOOR * loss.abs().max(1.0))
}

/// Checks one case on a small random network (5 labels, dim 6, hidden width 4,
/// 12 input rows, an example with a repeated feature) drawn from `seed`.
pub fn check(case: &CheckCase, seed: u64) -> CheckReport {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let config = NetworkConfig {
        input_rows: 12,
        dim: 6,
        combine: case.combine,
        idf: case.idf,
        sublinear_tf: case.idf,
        embedding_activation: case.activation,
        hidden: vec![4; case.hidden_layers],
        hidden_activation: case.activation,
        n_labels: 5,
        loss: case.loss,
        bias: true,
        init: Init::Uniform(0.8),
        // An unbalanced tree for hierarchical softmax (ignored otherwise).
        label_counts: vec![40, 25, 10, 5, 1],
        random_rows: None,
    };
    // The config is small and valid, so construction cannot fail.
    let mut net: Network<f64> = Network::new(config, &mut rng).expect("valid gradcheck network");
    for layer in &mut net.layers {
        for b in &mut layer.bias {
            *b = rng.gen_range(-0.5..0.5);
        }
    }
    if case.idf {
        let weights = (0..12).map(|_| rng.gen_range(0.5..2.0)).collect();
        net.set_feature_weights(weights)
            .expect("12 positive weights for 12 rows");
    }
    // Feature 3 appears twice: its gradient must count both occurrences.
    let ids = [3_u32, 7, 3, 0, 10];
    let gold: Vec<usize> = match case.loss {
        Loss::Softmax => vec![2],
        // Two gold labels, one deep in the tree.
        Loss::Ova | Loss::Squared | Loss::Hs | Loss::Huber => vec![1, 4],
    };

    let mut ws = Workspace::new(&net);
    let mut grads = Gradients::new(&net);
    net.forward_eval(&ids, &mut ws);
    let loss = net.loss(&ws, &gold);
    net.backward(&ids, &gold, &mut ws, &mut grads, 1.0);

    let loss_at = |net: &Network<f64>, ws: &mut Workspace<f64>| {
        net.forward_eval(&ids, ws);
        net.loss(ws, &gold)
    };

    let mut blocks = Vec::new();
    // Embedding: every row the example uses, plus one it does not (gradient 0).
    let mut max_err: f64 = 0.0;
    let mut count = 0;
    for row in [0_u32, 3, 7, 10, 5] {
        let analytic: Vec<f64> = grads
            .embedding_row(row)
            .map(<[f64]>::to_vec)
            .unwrap_or_else(|| vec![0.0; net.config().dim]);
        for (c, &a) in analytic.iter().enumerate() {
            let numeric = central_difference(&mut net, &mut ws, &loss_at, |n| {
                &mut n.embedding.row_mut(row as usize)[c]
            });
            max_err = max_err.max(relative_error(a, numeric, loss));
            count += 1;
        }
    }
    blocks.push(BlockError {
        block: "embedding".into(),
        weights: count,
        max_relative_error: max_err,
    });

    let n_layers = net.layers.len();
    for l in 0..n_layers {
        let name = if l + 1 == n_layers {
            "output".to_string()
        } else {
            format!("hidden {}", l + 1)
        };
        let analytic_w = grads.layers[l].0.as_slice().to_vec();
        let mut max_err: f64 = 0.0;
        for (i, &a) in analytic_w.iter().enumerate() {
            let numeric = central_difference(&mut net, &mut ws, &loss_at, |n| {
                &mut n.layers[l].weights.as_mut_slice()[i]
            });
            max_err = max_err.max(relative_error(a, numeric, loss));
        }
        blocks.push(BlockError {
            block: format!("{name} weights"),
            weights: analytic_w.len(),
            max_relative_error: max_err,
        });
        let analytic_b = grads.layers[l].1.clone();
        let mut max_err: f64 = 0.0;
        for (i, &a) in analytic_b.iter().enumerate() {
            let numeric =
                central_difference(&mut net, &mut ws, &loss_at, |n| &mut n.layers[l].bias[i]);
            max_err = max_err.max(relative_error(a, numeric, loss));
        }
        blocks.push(BlockError {
            block: format!("{name} bias"),
            weights: analytic_b.len(),
            max_relative_error: max_err,
        });
    }
    CheckReport {
        case: *case,
        blocks,
    }
}

/// `(L(θ + h) - L(θ - h)) / 2h` for the weight that `select` points at.
fn central_difference(
    net: &mut Network<f64>,
    ws: &mut Workspace<f64>,
    loss_at: &impl Fn(&Network<f64>, &mut Workspace<f64>) -> f64,
    select: impl Fn(&mut Network<f64>) -> &mut f64,
) -> f64 {
    let original = *select(net);
    *select(net) = original + STEP;
    let plus = loss_at(net, ws);
    *select(net) = original - STEP;
    let minus = loss_at(net, ws);
    *select(net) = original;
    (plus - minus) / (2.0 * STEP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_passes_the_gradient_check() {
        let mut failures = Vec::new();
        for (i, case) in all_cases().iter().enumerate() {
            let report = check(case, 100 + i as u64);
            assert!(report
                .blocks
                .iter()
                .all(|b| b.weights > 0 || b.block.ends_with("bias")));
            if !report.passed() {
                failures.push(format!("{case}: {:?}", report.blocks));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn a_broken_gradient_is_caught() {
        // The check must be able to fail: compare against a gradient that
        // drops the output activation's derivative (the blog's confusion).
        let case = CheckCase {
            activation: Activation::Sigmoid,
            loss: Loss::Squared,
            hidden_layers: 0,
            combine: Combine::Sum,
            idf: false,
        };
        let report = check(&case, 1);
        assert!(report.passed());
        let a = 0.3_f64; // dL/dp with the derivative forgotten
        let n = 0.3 * 0.2 * 0.8; // the true dL/dz = dL/dp · p(1-p) at p = 0.2
        assert!(relative_error(a, n, 1.0) > TOLERANCE);
    }
}
