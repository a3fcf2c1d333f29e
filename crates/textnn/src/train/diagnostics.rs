//! What the gradient looks like while the network learns: the norm of the
//! loss's gradient for each layer, and how many sigmoid/tanh units are
//! saturated (their derivative below [`SATURATED_BELOW`]), measured on a
//! fixed probe sample of training examples at each evaluation.
//!
//! Saturation is why squared error on sigmoid outputs learns slowly: its
//! output gradient is `(p − y) · p(1 − p)`, and `p(1 − p)` is near zero
//! when a unit is saturated, right or wrong. Cross-entropy's output
//! gradient is `p − y`: the sigmoid's derivative cancels.

use super::Prepared;
use crate::nn::{Activation, Gradients, Loss, Network, Workspace};

/// A unit counts as saturated when its activation's derivative is below this.
pub const SATURATED_BELOW: f64 = 0.01;

/// Probe examples at most.
const PROBE_SIZE: usize = 256;

/// One layer's figures at one evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerDiagnostics {
    /// `embedding`, `hidden 1`, …, `output`.
    pub layer: String,
    /// L2 norm of the gradient of the probe's mean loss with respect to
    /// the layer's weights (and bias).
    pub gradient_norm: f64,
    /// Fraction of the layer's sigmoid/tanh units (over the probe's
    /// examples) whose derivative is below [`SATURATED_BELOW`]; `None` for
    /// other activations and for softmax outputs.
    pub saturated: Option<f64>,
}

/// The probe sample and the buffers to measure it with.
pub(super) struct Probe {
    examples: Vec<usize>,
    grads: Gradients,
    workspace: Workspace,
}

impl Probe {
    /// Up to 256 training examples spread evenly over `data`.
    pub fn new(network: &Network, data: &Prepared) -> Self {
        let n = data.len();
        let m = n.min(PROBE_SIZE);
        Probe {
            examples: (0..m).map(|k| k * n / m).collect(),
            grads: Gradients::new(network),
            workspace: Workspace::new(network),
        }
    }

    /// Each layer's gradient norm and saturation for `network` now.
    pub fn measure(&mut self, network: &Network, data: &Prepared) -> Vec<LayerDiagnostics> {
        let config = network.config().clone();
        let n_dense = network.layers.len();
        // Which activation follows each block: the embedding bag, each
        // hidden layer, and (as a sigmoid) the output under losses whose
        // outputs are sigmoids.
        let mut activations = vec![Some(config.embedding_activation)];
        activations.extend((1..n_dense).map(|_| Some(config.hidden_activation)));
        activations.push(match config.loss {
            Loss::Squared | Loss::Ova => Some(Activation::Sigmoid),
            _ => None,
        });
        let mut saturated = vec![0usize; n_dense + 1];
        let mut units = vec![0usize; n_dense + 1];
        let scale = 1.0 / self.examples.len().max(1) as f32;
        self.grads.clear();
        for &i in &self.examples {
            let (ids, gold) = (data.features(i), data.gold(i));
            network.forward_eval(ids, &mut self.workspace);
            for (l, activation) in activations.iter().enumerate() {
                let Some(activation) = activation.filter(|a| saturates(*a)) else {
                    continue;
                };
                let outputs = if l < n_dense {
                    if l == 0 {
                        self.workspace.embedding_output()
                    } else {
                        self.workspace.hidden_output(l - 1)
                    }
                } else {
                    self.workspace.probabilities()
                };
                units[l] += outputs.len();
                saturated[l] += outputs
                    .iter()
                    .filter(|&&y| (activation.derivative(y) as f64) < SATURATED_BELOW)
                    .count();
            }
            network.backward(ids, gold, &mut self.workspace, &mut self.grads, scale);
        }
        let norms = self.grads.block_squared_norms();
        self.grads.clear();
        norms
            .iter()
            .enumerate()
            .map(|(b, &squared)| LayerDiagnostics {
                layer: match b {
                    0 => "embedding".to_string(),
                    b if b == n_dense => "output".to_string(),
                    b => format!("hidden {b}"),
                },
                gradient_norm: squared.sqrt(),
                // Block b's weights produce unit group b: the bag, a
                // hidden layer, or the outputs.
                saturated: (units[b] > 0).then(|| saturated[b] as f64 / units[b] as f64),
            })
            .collect()
    }
}

/// Whether an activation can saturate (a derivative near zero at large inputs).
fn saturates(activation: Activation) -> bool {
    matches!(activation, Activation::Sigmoid | Activation::Tanh)
}
