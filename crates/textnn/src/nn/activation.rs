//! Element-wise non-linearities `a = f(z)` and their derivatives.
//!
//! The backward pass needs `da/dz`; every activation here can express it
//! from the output `a` that the forward pass already computed, so no
//! pre-activation has to be stored:
//!
//! | activation | `f(z)` | `da/dz` in terms of `a` |
//! |---|---|---|
//! | identity | `z` | `1` |
//! | sigmoid | `1 / (1 + e^-z)` | `a (1 - a)` |
//! | tanh | `tanh z` | `1 - a²` |
//! | relu | `max(0, z)` | `1` if `a > 0`, else `0` |
//! | leaky-relu | `z` if `z > 0`, else `0.01 z` | `1` if `a > 0`, else `0.01` |
//! | softplus | `ln(1 + e^z)` | `σ(z) = 1 - e^-a` |
//!
//! ```
//! use textnn::nn::Activation;
//! let a = Activation::Sigmoid.apply(0.0_f64);
//! assert_eq!(a, 0.5);
//! assert_eq!(Activation::Sigmoid.derivative(a), 0.25);
//! ```

use crate::linalg::Scalar;
use serde::{Deserialize, Serialize};

/// Non-linearity applied after the embedding bag or a dense layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    /// `a = z`.
    Identity,
    /// The logistic function `a = 1 / (1 + e^-z)`.
    Sigmoid,
    /// `a = tanh z`.
    Tanh,
    /// `a = max(0, z)`.
    Relu,
    /// `a = z` for `z > 0`, else `0.01 z`.
    LeakyRelu,
    /// `a = ln(1 + e^z)`, a smooth relu.
    Softplus,
}

/// Slope of [`Activation::LeakyRelu`] for negative inputs.
const LEAKY_SLOPE: f64 = 0.01;

impl Activation {
    /// Every activation, for option lists and exhaustive tests.
    pub const ALL: [Activation; 6] = [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Softplus,
    ];

    /// The name used on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Softplus => "softplus",
        }
    }

    /// `f(z)`.
    #[inline]
    pub fn apply<F: Scalar>(self, z: F) -> F {
        match self {
            Activation::Identity => z,
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(F::zero()),
            Activation::LeakyRelu => {
                if z > F::zero() {
                    z
                } else {
                    F::c(LEAKY_SLOPE) * z
                }
            }
            // ln(1 + e^z) = max(z, 0) + ln(1 + e^-|z|): no overflow for large z.
            Activation::Softplus => z.max(F::zero()) + (-z.abs()).exp().ln_1p(),
        }
    }

    /// `da/dz` written in terms of the output `a = f(z)`.
    #[inline]
    pub fn derivative<F: Scalar>(self, a: F) -> F {
        match self {
            Activation::Identity => F::one(),
            Activation::Sigmoid => a * (F::one() - a),
            Activation::Tanh => F::one() - a * a,
            Activation::Relu => {
                if a > F::zero() {
                    F::one()
                } else {
                    F::zero()
                }
            }
            Activation::LeakyRelu => {
                if a > F::zero() {
                    F::one()
                } else {
                    F::c(LEAKY_SLOPE)
                }
            }
            // a = ln(1 + e^z) ⇒ e^-a = 1 / (1 + e^z) = 1 - σ(z), so σ(z) = 1 - e^-a.
            Activation::Softplus => -(-a).exp_m1(),
        }
    }

    /// Applies `f` to every element in place.
    pub fn apply_in_place<F: Scalar>(self, values: &mut [F]) {
        if self != Activation::Identity {
            for v in values {
                *v = self.apply(*v);
            }
        }
    }

    /// `delta ← delta ⊙ f'(a)`: multiplies a gradient with respect to the
    /// outputs by `da/dz`, giving the gradient with respect to the inputs.
    pub fn backward_in_place<F: Scalar>(self, outputs: &[F], delta: &mut [F]) {
        if self != Activation::Identity {
            for (d, &a) in delta.iter_mut().zip(outputs) {
                *d = *d * self.derivative(a);
            }
        }
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Activation::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Activation::ALL.iter().map(|a| a.name()).collect();
                format!(
                    "unknown activation {s:?}; choose one of {}",
                    names.join(", ")
                )
            })
    }
}

/// The logistic function `1 / (1 + e^-z)`, computed without overflow for
/// large negative `z` (where `e^-z` would be infinite).
#[inline]
pub fn sigmoid<F: Scalar>(z: F) -> F {
    if z >= F::zero() {
        F::one() / (F::one() + (-z).exp())
    } else {
        let e = z.exp();
        e / (F::one() + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_the_definitions() {
        // (activation, z, f(z))
        let table: [(Activation, f64, f64); 10] = [
            (Activation::Identity, -2.0, -2.0),
            (Activation::Sigmoid, 0.0, 0.5),
            (Activation::Sigmoid, 2.0, 1.0 / (1.0 + (-2.0f64).exp())),
            (Activation::Tanh, 0.5, 0.5f64.tanh()),
            (Activation::Relu, -3.0, 0.0),
            (Activation::Relu, 3.0, 3.0),
            (Activation::LeakyRelu, -3.0, -0.03),
            (Activation::Softplus, 0.0, 2.0f64.ln()),
            (Activation::Softplus, 800.0, 800.0),
            (Activation::Sigmoid, -800.0, 0.0),
        ];
        for (act, z, expected) in table {
            let got = act.apply(z);
            assert!(
                (got - expected).abs() < 1e-12,
                "{act}({z}) = {got}, expected {expected}"
            );
        }
    }

    #[test]
    fn derivative_from_output_matches_finite_difference() {
        // da/dz ≈ (f(z + h) - f(z - h)) / 2h, away from relu's kink at 0.
        let h = 1e-6;
        for act in Activation::ALL {
            for z in [-2.5_f64, -0.7, 0.3, 1.9] {
                let numeric = (act.apply(z + h) - act.apply(z - h)) / (2.0 * h);
                let analytic = act.derivative(act.apply(z));
                assert!(
                    (numeric - analytic).abs() < 1e-7,
                    "{act} at {z}: numeric {numeric}, analytic {analytic}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_list_choices() {
        for act in Activation::ALL {
            assert_eq!(act.name().parse::<Activation>().unwrap(), act);
        }
        let err = "swish".parse::<Activation>().unwrap_err();
        assert!(err.contains("identity, sigmoid, tanh, relu"), "{err}");
    }
}
