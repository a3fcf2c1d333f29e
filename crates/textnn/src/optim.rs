//! Optimizers: the only code that changes weights.
//!
//! Each step moves every weight θ against its gradient `g = dL/dθ`:
//!
//! - SGD: `θ ← θ - η g`
//! - momentum: `v ← μ v + g`, `θ ← θ - η v` (μ = 0.9)
//! - Adam (Kingma & Ba, 2015): `m ← β₁ m + (1-β₁) g`, `v ← β₂ v + (1-β₂) g²`,
//!   `θ ← θ - η m̂ / (√v̂ + ε)` with bias-corrected `m̂ = m / (1-β₁ᵗ)`, `v̂ = v / (1-β₂ᵗ)`.
//!
//! L2 regularisation adds `λ θ` to `g` (for the embedding: on the rows the
//! step touches, so a sparse step stays sparse). Gradient clipping rescales
//! the whole gradient when its L2 norm exceeds a limit. The learning rate
//! `η` of each step comes from the trainer's schedule.
//!
//! ```
//! use textnn::optim::{Optimizer, OptimizerConfig};
//! use textnn::nn::{Gradients, Network, NetworkConfig};
//! use rand::SeedableRng;
//! let config = NetworkConfig { input_rows: 4, dim: 2, n_labels: 2, ..NetworkConfig::default() };
//! let mut net: Network = Network::new(config, &mut rand_chacha::ChaCha8Rng::seed_from_u64(0)).unwrap();
//! let mut grads = Gradients::new(&net);
//! grads.add_embedding_row(1, 1.0, &[1.0, -1.0]);
//! let before = net.embedding.row(1).to_vec();
//! let mut opt = Optimizer::new(OptimizerConfig::default(), &net);
//! opt.step(&mut net, &mut grads, 0.5);
//! assert_eq!(net.embedding.row(1), &[before[0] - 0.5, before[1] + 0.5]);
//! ```

use crate::nn::{Gradients, Network};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which update rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Plain stochastic gradient descent.
    Sgd,
    /// SGD with (heavy-ball) momentum 0.9.
    Momentum,
    /// Adam with β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
    Adam,
}

impl std::str::FromStr for OptimizerKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "sgd" => Ok(OptimizerKind::Sgd),
            "momentum" => Ok(OptimizerKind::Momentum),
            "adam" => Ok(OptimizerKind::Adam),
            _ => Err(format!(
                "unknown optimizer {s:?}; choose sgd, momentum or adam"
            )),
        }
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Adam => "adam",
        })
    }
}

/// Optimizer settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    /// Update rule.
    pub kind: OptimizerKind,
    /// L2 penalty λ (0 = none): each step adds `λ w` to the gradient of
    /// the weights it updates, that is every dense weight and bias and the
    /// embedding rows of the step's features. Rows a step does not touch
    /// are not decayed (the lazy form usual for sparse inputs), so a rare
    /// feature's row shrinks less than under a penalty on all weights.
    pub l2: f32,
    /// Largest gradient L2 norm; larger gradients are scaled down to it.
    pub clip_grad: Option<f32>,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        OptimizerConfig {
            kind: OptimizerKind::Sgd,
            l2: 0.0,
            clip_grad: None,
        }
    }
}

impl OptimizerConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(Error::InvalidConfig(format!(
                "l2 must be zero or positive and finite, got {}",
                self.l2
            )));
        }
        if let Some(c) = self.clip_grad {
            if !(c.is_finite() && c > 0.0) {
                return Err(Error::InvalidConfig(format!(
                    "clip-grad must be positive and finite, got {c}"
                )));
            }
        }
        Ok(())
    }
}

const MOMENTUM: f32 = 0.9;
const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPSILON: f32 = 1e-8;

/// Per-weight state of momentum (`first`) and Adam (`first`, `second`).
#[derive(Clone, Debug, Default)]
struct Moments {
    first: Vec<f32>,
    second: Vec<f32>,
}

impl Moments {
    fn new(kind: OptimizerKind, len: usize) -> Self {
        match kind {
            OptimizerKind::Sgd => Moments::default(),
            OptimizerKind::Momentum => Moments {
                first: vec![0.0; len],
                second: Vec::new(),
            },
            OptimizerKind::Adam => Moments {
                first: vec![0.0; len],
                second: vec![0.0; len],
            },
        }
    }
}

/// An optimizer with its state for one network.
#[derive(Clone, Debug)]
pub struct Optimizer {
    config: OptimizerConfig,
    steps: u64,
    embedding: Moments,
    /// (weights, bias) state per dense layer.
    layers: Vec<(Moments, Moments)>,
}

impl Optimizer {
    /// An optimizer with fresh state shaped like `network`.
    pub fn new(config: OptimizerConfig, network: &Network) -> Self {
        let kind = config.kind;
        Optimizer {
            embedding: Moments::new(kind, network.embedding.as_slice().len()),
            layers: network
                .layers
                .iter()
                .map(|l| {
                    (
                        Moments::new(kind, l.weights.as_slice().len()),
                        Moments::new(kind, l.bias.len()),
                    )
                })
                .collect(),
            config,
            steps: 0,
        }
    }

    /// The state a checkpoint keeps: the step count and every moment
    /// vector, in a fixed order (none for plain SGD).
    pub(crate) fn state(&self) -> (u64, Vec<&[f32]>) {
        let moments = std::iter::once(&self.embedding)
            .chain(self.layers.iter().flat_map(|(w, b)| [w, b]))
            .flat_map(|m| [m.first.as_slice(), m.second.as_slice()])
            .collect();
        (self.steps, moments)
    }

    /// Puts back a [`Optimizer::state`]; `Err` names the first vector whose
    /// length does not fit this optimizer.
    pub(crate) fn restore(&mut self, steps: u64, vectors: &[Vec<f32>]) -> Result<(), String> {
        let mut targets: Vec<&mut Vec<f32>> = std::iter::once(&mut self.embedding)
            .chain(self.layers.iter_mut().flat_map(|(w, b)| [w, b]))
            .flat_map(|m| [&mut m.first, &mut m.second])
            .collect();
        if targets.len() != vectors.len() {
            return Err(format!(
                "{} optimizer vectors stored, {} expected",
                vectors.len(),
                targets.len()
            ));
        }
        for (k, (target, stored)) in targets.iter_mut().zip(vectors).enumerate() {
            if target.len() != stored.len() {
                return Err(format!(
                    "optimizer vector {k} has {} values, {} expected",
                    stored.len(),
                    target.len()
                ));
            }
            target.copy_from_slice(stored);
        }
        self.steps = steps;
        Ok(())
    }

    /// Applies one update with learning rate `learning_rate`, then clears
    /// `grads` (dense gradients are zeroed in the same pass that reads them).
    pub fn step(&mut self, network: &mut Network, grads: &mut Gradients, learning_rate: f32) {
        if let Some(limit) = self.config.clip_grad {
            let norm = grads.block_squared_norms().iter().sum::<f64>().sqrt();
            if norm > limit as f64 {
                grads.scale((limit as f64 / norm) as f32);
            }
        }
        self.steps += 1;
        let rule = Rule::new(&self.config, self.steps, learning_rate);
        let dim = network.config().dim;
        for (row, g) in grads.embedding_rows_mut() {
            let start = row as usize * dim;
            let params = &mut network.embedding.as_mut_slice()[start..start + dim];
            rule.apply(params, g, &mut self.embedding, start);
        }
        for ((layer, (gw, gb)), (mw, mb)) in network
            .layers
            .iter_mut()
            .zip(&mut grads.layers)
            .zip(&mut self.layers)
        {
            rule.apply(layer.weights.as_mut_slice(), gw.as_mut_slice(), mw, 0);
            rule.apply(&mut layer.bias, gb, mb, 0);
        }
        grads.forget_embedding_rows();
    }
}

/// One step's constants.
struct Rule {
    kind: OptimizerKind,
    learning_rate: f32,
    l2: f32,
    /// Adam's bias corrections `1 - β₁ᵗ` and `1 - β₂ᵗ`.
    correction1: f32,
    correction2: f32,
}

impl Rule {
    fn new(config: &OptimizerConfig, steps: u64, learning_rate: f32) -> Self {
        let t = steps.min(i32::MAX as u64) as i32;
        Rule {
            kind: config.kind,
            learning_rate,
            l2: config.l2,
            correction1: 1.0 - BETA1.powi(t),
            correction2: 1.0 - BETA2.powi(t),
        }
    }

    /// Updates `params` (which sit at `offset` in the block that `state`
    /// covers) and sets `grads` to zero in the same pass, so the next step
    /// starts from zero without a separate sweep over the gradients.
    #[inline]
    fn apply(&self, params: &mut [f32], grads: &mut [f32], state: &mut Moments, offset: usize) {
        let lr = self.learning_rate;
        match self.kind {
            OptimizerKind::Sgd => {
                for (p, g) in params.iter_mut().zip(grads) {
                    *p -= lr * (std::mem::take(g) + self.l2 * *p);
                }
            }
            OptimizerKind::Momentum => {
                let velocity = &mut state.first[offset..offset + params.len()];
                for ((p, g), v) in params.iter_mut().zip(grads).zip(velocity) {
                    *v = MOMENTUM * *v + std::mem::take(g) + self.l2 * *p;
                    *p -= lr * *v;
                }
            }
            OptimizerKind::Adam => {
                let m = &mut state.first[offset..offset + params.len()];
                let v = &mut state.second[offset..offset + params.len()];
                for (((p, g), m), v) in params.iter_mut().zip(grads).zip(m).zip(v) {
                    let g = std::mem::take(g) + self.l2 * *p;
                    *m = BETA1 * *m + (1.0 - BETA1) * g;
                    *v = BETA2 * *v + (1.0 - BETA2) * g * g;
                    let m_hat = *m / self.correction1;
                    let v_hat = *v / self.correction2;
                    *p -= lr * m_hat / (v_hat.sqrt() + EPSILON);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::NetworkConfig;
    use rand::SeedableRng;

    /// The smallest network: one input row of width 1, one output with a
    /// bias (θ), output weights starting at zero.
    fn one_bias_network() -> Network {
        let config = NetworkConfig {
            input_rows: 1,
            dim: 1,
            n_labels: 1,
            bias: true,
            ..NetworkConfig::default()
        };
        Network::new(config, &mut rand_chacha::ChaCha8Rng::seed_from_u64(0)).unwrap()
    }

    /// Minimises L = ½ (θ - 3)² on the single bias of a 1-label network with
    /// each optimizer; all must get close to 3.
    #[test]
    fn every_optimizer_minimises_a_quadratic() {
        for kind in [
            OptimizerKind::Sgd,
            OptimizerKind::Momentum,
            OptimizerKind::Adam,
        ] {
            let mut net = one_bias_network();
            let opt_config = OptimizerConfig {
                kind,
                ..OptimizerConfig::default()
            };
            let mut opt = Optimizer::new(opt_config, &net);
            let mut grads = Gradients::new(&net);
            for _ in 0..2000 {
                // dL/dθ = θ - 3
                let theta = net.layers[0].bias[0];
                grads.layers[0].1[0] = theta - 3.0;
                opt.step(&mut net, &mut grads, 0.05);
            }
            let theta = net.layers[0].bias[0];
            assert!((theta - 3.0).abs() < 1e-2, "{kind}: θ = {theta}");
        }
    }

    #[test]
    fn clipping_limits_the_step() {
        let mut net = one_bias_network();
        let opt_config = OptimizerConfig {
            clip_grad: Some(1.0),
            ..OptimizerConfig::default()
        };
        let mut opt = Optimizer::new(opt_config, &net);
        let mut grads = Gradients::new(&net);
        grads.layers[0].1[0] = 100.0;
        opt.step(&mut net, &mut grads, 0.1);
        assert!((net.layers[0].bias[0] + 0.1).abs() < 1e-6);
    }

    #[test]
    fn invalid_settings_are_refused() {
        for config in [
            OptimizerConfig {
                l2: -1.0,
                ..OptimizerConfig::default()
            },
            OptimizerConfig {
                clip_grad: Some(0.0),
                ..OptimizerConfig::default()
            },
        ] {
            assert!(config.validate().is_err());
        }
    }
}
