//! Output layers and their losses: what turns logits `z` into probabilities
//! `p`, how far `p` is from the targets `t` (the loss `L`), and `dL/dz`.
//!
//! The loss measures the error; the derivative of the output activation is
//! not an error measure but one factor of the gradient, by the chain rule
//! `dL/dz = dL/dp · dp/dz`:
//!
//! | loss | `p` | `L` | `dL/dp` | `dp/dz` | `dL/dz` |
//! |---|---|---|---|---|---|
//! | softmax | `e^z_k / Σ e^z_j` | `-Σ t_k ln p_k` | `-t_k / p_k` | Jacobian of softmax | `p - t` |
//! | ova | `σ(z_k)` per label | `-Σ t ln p + (1-t) ln(1-p)` | `(p-t) / (p(1-p))` | `p (1 - p)` | `p - t` |
//! | squared | `σ(z_k)` per label | `½ Σ (p_k - t_k)²` | `p - t` | `p (1 - p)` | `(p - t) p (1 - p)` |
//! | huber | `σ(z_k)` per label (a ranking, not fitted) | `Σ h(y_k z_k)` | — | — | `y h'(y z)` |
//!
//! `huber` is the modified Huber loss of a margin `m = y z` with
//! `y = ±1` (scikit-learn's `SGDClassifier(loss="modified_huber")`, Zhang
//! 2004): `h(m) = max(0, 1 - m)²` for `m ≥ -1`, else `-4m`, so
//! `h'(m) = -2 max(0, 1 - m)`, or `-4`. It is computed from the logits, not
//! from `p`: labels already beyond the margin (`m ≥ 1`) get no gradient.
//!
//! With cross-entropy the sigmoid's derivative cancels; with squared error
//! it stays, so saturated outputs (`p` near 0 or 1) learn slowly — the
//! classic blog network's choice.
//!
//! Targets: for `softmax` the gold labels share probability mass equally
//! (`t_k = 1/m` for each of `m` gold labels); for `ova` and `squared` each
//! gold label has `t_k = 1`, others `0`.
//!
//! ```
//! use textnn::nn::Loss;
//! let logits = [2.0_f64, 0.0, 0.0];
//! let mut p = [0.0; 3];
//! Loss::Softmax.probabilities(&logits, &mut p);
//! assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
//! let loss = Loss::Softmax.value(&logits, &p, &[0]);
//! assert!((loss - (-p[0].ln())).abs() < 1e-12);
//! ```

use super::activation::sigmoid;
use crate::linalg::Scalar;
use serde::{Deserialize, Serialize};

/// The output layer's activation paired with its loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Loss {
    /// Softmax over labels + cross-entropy: one label per text.
    Softmax,
    /// One sigmoid per label + binary cross-entropy ("one versus all"): multi-label.
    Ova,
    /// One sigmoid per label + squared error, as in the classic blog network.
    Squared,
    /// Hierarchical softmax: a Huffman tree of labels by training count,
    /// a sigmoid per internal node, cross-entropy (see
    /// [`super::huffman`]). Trains in time logarithmic in the number of
    /// labels. Its probabilities, loss and gradient need the tree, so the
    /// [`super::Network`] computes them; the methods here serve the others.
    Hs,
    /// One score per label + the modified Huber margin loss (a smoothed
    /// hinge, one versus all). Its `p = σ(z)` only ranks the labels.
    Huber,
}

impl Loss {
    /// Every loss, for option lists and exhaustive tests.
    pub const ALL: [Loss; 5] = [
        Loss::Softmax,
        Loss::Ova,
        Loss::Squared,
        Loss::Hs,
        Loss::Huber,
    ];

    /// The name used on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            Loss::Softmax => "softmax",
            Loss::Ova => "ova",
            Loss::Squared => "squared",
            Loss::Hs => "hs",
            Loss::Huber => "huber",
        }
    }

    /// Name of the output activation (`softmax` or `sigmoid`).
    pub fn output_activation(self) -> &'static str {
        match self {
            Loss::Softmax => "softmax",
            Loss::Ova | Loss::Squared | Loss::Huber => "sigmoid",
            Loss::Hs => "hierarchical softmax",
        }
    }

    /// Target value `t_k` of label `label` for an example with gold labels `gold`.
    #[inline]
    pub fn target<F: Scalar>(self, label: usize, gold: &[usize]) -> F {
        if !gold.contains(&label) {
            return F::zero();
        }
        match self {
            Loss::Softmax | Loss::Hs => F::one() / F::c(gold.len() as f64),
            Loss::Ova | Loss::Squared | Loss::Huber => F::one(),
        }
    }

    /// `p ← output_activation(z)`. Softmax subtracts the largest logit before
    /// `exp`, so no logit can overflow, and `+∞` logits share the
    /// probability (see [`softmax`]); the result sums to 1. Sigmoids give
    /// 1 for `+∞` and 0 for `-∞`.
    pub fn probabilities<F: Scalar>(self, logits: &[F], probs: &mut [F]) {
        match self {
            Loss::Softmax => softmax(logits, probs),
            Loss::Hs => panic!("{}", HS_NEEDS_THE_TREE),
            Loss::Ova | Loss::Squared | Loss::Huber => {
                for (p, &z) in probs.iter_mut().zip(logits) {
                    *p = sigmoid(z);
                }
            }
        }
    }

    /// The loss `L` of one example, in `f64`. Cross-entropies are computed
    /// from the logits (log-sum-exp, softplus), never as `ln p`, so a
    /// probability that rounds to 0 still gives a finite loss.
    pub fn value<F: Scalar>(self, logits: &[F], probs: &[F], gold: &[usize]) -> f64 {
        match self {
            Loss::Softmax => {
                // -Σ t_k ln p_k with ln p_k = z_k - lse(z).
                let lse = log_sum_exp(logits);
                let m = gold.len().max(1) as f64;
                gold.iter()
                    .filter(|&&k| k < logits.len())
                    .map(|&k| (lse - logits[k].to_f64_lossy()) / m)
                    .sum()
            }
            Loss::Hs => panic!("{}", HS_NEEDS_THE_TREE),
            Loss::Ova => logits
                .iter()
                .enumerate()
                .map(|(k, &z)| {
                    // -ln σ(z) = softplus(-z); -ln(1 - σ(z)) = softplus(z).
                    let z = z.to_f64_lossy();
                    if gold.contains(&k) {
                        softplus(-z)
                    } else {
                        softplus(z)
                    }
                })
                .sum(),
            Loss::Huber => logits
                .iter()
                .enumerate()
                .map(|(k, &z)| modified_huber(margin(k, z.to_f64_lossy(), gold)))
                .sum(),
            Loss::Squared => probs
                .iter()
                .enumerate()
                .map(|(k, &p)| {
                    let diff = p.to_f64_lossy() - self.target::<f64>(k, gold);
                    0.5 * diff * diff
                })
                .sum(),
        }
    }

    /// `dL/dz` for one example, from the logits `z` and the probabilities
    /// `p` the forward pass computed (see the table in the module docs).
    pub fn gradient<F: Scalar>(self, logits: &[F], probs: &[F], gold: &[usize], dlogits: &mut [F]) {
        assert!(self != Loss::Hs, "{}", HS_NEEDS_THE_TREE);
        if self == Loss::Huber {
            for (k, (d, &z)) in dlogits.iter_mut().zip(logits).enumerate() {
                // dL/dz = dh/dm · dm/dz with m = y z, so dm/dz = y.
                let y = if gold.contains(&k) {
                    F::one()
                } else {
                    -F::one()
                };
                *d = y * modified_huber_slope(y * z);
            }
            return;
        }
        for (k, (d, &p)) in dlogits.iter_mut().zip(probs).enumerate() {
            let t: F = self.target(k, gold);
            *d = match self {
                // The output activation's derivative cancels against dL/dp.
                Loss::Softmax | Loss::Ova => p - t,
                // dL/dp = p - t (the loss's own derivative) times
                // dp/dz = p (1 - p) (the sigmoid's derivative).
                Loss::Squared => (p - t) * p * (F::one() - p),
                Loss::Hs | Loss::Huber => unreachable!(),
            };
        }
    }
}

/// Why [`Loss::Hs`] cannot compute probabilities, loss or gradient here.
const HS_NEEDS_THE_TREE: &str =
    "hierarchical softmax needs its label tree: go through Network or HuffmanTree";

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Loss {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Loss::ALL
            .into_iter()
            .find(|l| l.name() == s)
            .ok_or_else(|| {
                format!("unknown loss {s:?}; choose one of softmax, ova, squared, hs, huber")
            })
    }
}

/// `p_k = e^(z_k - max z) / Σ_j e^(z_j - max z)`: the shift leaves the
/// result unchanged and keeps every `exp` at most 1.
///
/// Infinite logits get the limit of that formula: the `+∞` logits share
/// the probability equally and every other label gets 0 (if all are `-∞`,
/// they share it equally), where the formula itself would compute
/// `∞ - ∞ = NaN`. A NaN logit carries no information and makes the
/// probabilities NaN, which training reports as divergence.
pub fn softmax<F: Scalar>(logits: &[F], probs: &mut [F]) {
    let max = logits.iter().copied().fold(F::neg_infinity(), F::max);
    if max.is_infinite() {
        share_among_the_largest(logits, max, probs);
        return;
    }
    let mut sum = F::zero();
    for (p, &z) in probs.iter_mut().zip(logits) {
        *p = (z - max).exp();
        sum = sum + *p;
    }
    let inv = F::one() / sum;
    for p in probs.iter_mut() {
        *p = *p * inv;
    }
}

/// [`softmax`] when the largest logit `max` is infinite: the logits equal
/// to `max` share the probability, the others get 0, NaN stays NaN.
fn share_among_the_largest<F: Scalar>(logits: &[F], max: F, probs: &mut [F]) {
    let count = logits.iter().filter(|&&z| z == max).count();
    let share = F::one() / F::c(count.max(1) as f64);
    for (p, &z) in probs.iter_mut().zip(logits) {
        *p = if z.is_nan() {
            z
        } else if z == max {
            share
        } else {
            F::zero()
        };
    }
}

/// `ln Σ e^(z_k)`, computed as `max z + ln Σ e^(z_k - max z)` in `f64`.
pub fn log_sum_exp<F: Scalar>(logits: &[F]) -> f64 {
    let max = logits
        .iter()
        .map(|z| z.to_f64_lossy())
        .fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = logits.iter().map(|z| (z.to_f64_lossy() - max).exp()).sum();
    max + sum.ln()
}

/// The margin `m = y z` of label `k` with score `z`: `y = 1` for a gold
/// label, `-1` otherwise.
fn margin(k: usize, z: f64, gold: &[usize]) -> f64 {
    if gold.contains(&k) {
        z
    } else {
        -z
    }
}

/// Modified Huber loss of a margin: `max(0, 1 - m)²` for `m ≥ -1`, the
/// tangent line `-4m` below, so it grows linearly for wrong scores.
fn modified_huber(m: f64) -> f64 {
    if m >= -1.0 {
        let gap = (1.0 - m).max(0.0);
        gap * gap
    } else {
        -4.0 * m
    }
}

/// `h'(m)`, the slope of the modified Huber loss `h`: 0 beyond the margin
/// (`m ≥ 1`), `-2(1 - m)` within it, `-4` below `m = -1`. Training's
/// gradient and `explain --trace` both use it.
pub fn modified_huber_slope<F: Scalar>(m: F) -> F {
    if m >= F::one() {
        F::zero()
    } else if m >= -F::one() {
        F::c(-2.0) * (F::one() - m)
    } else {
        F::c(-4.0)
    }
}

/// `ln(1 + e^x)` without overflow.
pub(crate) fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        // (logits, expected probabilities)
        let table: [(&[f64], &[f64]); 3] = [
            (&[0.0, 0.0], &[0.5, 0.5]),
            (&[1000.0, 1000.0, -1000.0], &[0.5, 0.5, 0.0]),
            (&[2.0_f64.ln(), 0.0], &[2.0 / 3.0, 1.0 / 3.0]),
        ];
        for (logits, expected) in table {
            let mut p = vec![0.0; logits.len()];
            softmax(logits, &mut p);
            for (got, want) in p.iter().zip(expected) {
                assert!((got - want).abs() < 1e-12, "{logits:?}: {p:?}");
            }
        }
    }

    #[test]
    fn softmax_of_infinite_logits_is_the_limit() {
        let inf = f32::INFINITY;
        // (logits, expected probabilities)
        let table: [(&[f32], &[f32]); 4] = [
            (&[inf, 0.0], &[1.0, 0.0]),
            (&[inf, f32::MAX, inf, -inf], &[0.5, 0.0, 0.5, 0.0]),
            (&[-inf, -inf], &[0.5, 0.5]),
            (&[f32::MAX, f32::MIN], &[1.0, 0.0]),
        ];
        for (logits, expected) in table {
            let mut p = vec![f32::NAN; logits.len()];
            softmax(logits, &mut p);
            assert_eq!(p, expected, "{logits:?}");
        }
        let mut p = [0.0_f32; 2];
        softmax(&[inf, f32::NAN], &mut p);
        assert!(p[1].is_nan(), "{p:?}");
    }

    #[test]
    fn sigmoid_outputs_of_infinite_logits_are_zero_and_one() {
        let logits = [f32::INFINITY, f32::NEG_INFINITY, f32::MAX, f32::MIN];
        let mut p = [f32::NAN; 4];
        Loss::Ova.probabilities(&logits, &mut p);
        assert_eq!(p, [1.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn losses_match_hand_computed_values() {
        let logits = [0.0_f64, 0.0];
        let mut p = [0.0; 2];
        // softmax: p = (0.5, 0.5), L = -ln 0.5 = ln 2.
        Loss::Softmax.probabilities(&logits, &mut p);
        assert!((Loss::Softmax.value(&logits, &p, &[1]) - 2f64.ln()).abs() < 1e-12);
        // ova: each σ(0) = 0.5, L = 2 ln 2 (one gold, one not).
        Loss::Ova.probabilities(&logits, &mut p);
        assert!((Loss::Ova.value(&logits, &p, &[1]) - 2.0 * 2f64.ln()).abs() < 1e-12);
        // squared: ½(0.5² + 0.5²) = 0.25.
        assert!((Loss::Squared.value(&logits, &p, &[1]) - 0.25).abs() < 1e-12);
        // huber: both margins are 0, each h(0) = 1.
        assert!((Loss::Huber.value(&logits, &p, &[1]) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn modified_huber_matches_its_pieces() {
        // (margin, h(m), h'(m)): zero beyond the margin, quadratic inside,
        // linear below -1 (value and slope continuous at -1: 4 and -4).
        let table = [
            (2.0, 0.0, 0.0),
            (1.0, 0.0, 0.0),
            (0.5, 0.25, -1.0),
            (0.0, 1.0, -2.0),
            (-1.0, 4.0, -4.0),
            (-3.0, 12.0, -4.0),
        ];
        for (m, h, slope) in table {
            assert!((modified_huber(m) - h).abs() < 1e-12, "h({m})");
            // A gold label has y = 1: dL/dz = h'(m) at z = m.
            let mut d = [0.0_f64];
            Loss::Huber.gradient(&[m], &[0.0], &[0], &mut d);
            assert!((d[0] - slope).abs() < 1e-12, "h'({m}) = {}", d[0]);
            // Any other label has y = -1 and margin -z.
            Loss::Huber.gradient(&[-m], &[0.0], &[1], &mut d);
            assert!((d[0] + slope).abs() < 1e-12, "other label at z = {}", -m);
        }
    }

    #[test]
    fn cross_entropy_stays_finite_when_probability_underflows() {
        let logits = [-2000.0_f32, 2000.0];
        let mut p = [0.0; 2];
        Loss::Softmax.probabilities(&logits, &mut p);
        assert_eq!(p[0], 0.0);
        let loss = Loss::Softmax.value(&logits, &p, &[0]);
        assert!((loss - 4000.0).abs() < 1e-6, "{loss}");
        let loss = Loss::Ova.value(&logits, &p, &[0]);
        assert!((loss - 4000.0).abs() < 1e-6, "{loss}");
    }

    #[test]
    fn gradient_matches_finite_differences_of_the_value() {
        let h = 1e-6;
        // Hierarchical softmax has its own check in nn::huffman.
        for loss in Loss::ALL.into_iter().filter(|&l| l != Loss::Hs) {
            for gold in [vec![0], vec![1, 2]] {
                let logits = [0.3_f64, -1.2, 0.8];
                let mut p = [0.0; 3];
                loss.probabilities(&logits, &mut p);
                let mut analytic = [0.0; 3];
                loss.gradient(&logits, &p, &gold, &mut analytic);
                for k in 0..3 {
                    let eval = |dz: f64| {
                        let mut z = logits;
                        z[k] += dz;
                        let mut q = [0.0; 3];
                        loss.probabilities(&z, &mut q);
                        loss.value(&z, &q, &gold)
                    };
                    let numeric = (eval(h) - eval(-h)) / (2.0 * h);
                    assert!(
                        (numeric - analytic[k]).abs() < 1e-7,
                        "{loss} gold {gold:?} k {k}: {numeric} vs {}",
                        analytic[k]
                    );
                }
            }
        }
    }
}
