//! What the forward pass does when finite weights overflow `f32`.
//!
//! A model file holds only finite weights (loading refuses NaN and ±∞),
//! but finite weights can still add up or multiply past `f32::MAX`
//! (about 3.4·10³⁸): two embedding rows of `2·10³⁸` summed, or a weight of
//! `10³⁰` times an activation of `10¹⁰`. In `f32` such a value becomes ±∞,
//! and the next subtraction or product with zero turns it into NaN — a NaN
//! probability. So after the embedding bag and after every dense layer the
//! network checks its values (one pass over a short vector), and only when
//! one is not finite recomputes that value exactly in `f64` — where
//! products of two `f32` values and sums of billions of them cannot
//! overflow — and saturates it to the nearest finite value of the working
//! type:
//!
//! ```text
//! h_j = Σ_i x_i E[id_i, j]          z_r = Σ_c W[r, c] a_c + b_r
//! stored as  clamp(h_j, −MAX, MAX)  and  clamp(z_r, −MAX, MAX)   (computed in f64)
//! ```
//!
//! Every activation maps finite inputs to finite outputs, so the logits
//! stay finite and softmax, the sigmoids and hierarchical softmax give
//! probabilities in `[0, 1]`. A value that is not finite in `f64` either
//! comes from a NaN or infinite weight — which only a diverging training
//! run can make — and is passed on unchanged, so that training still stops
//! with its divergence error instead of learning from saturated numbers.
//!
//! ```
//! use textnn::nn::overflow::saturate;
//! assert_eq!(saturate::<f32>(1e39), f32::MAX);
//! assert_eq!(saturate::<f32>(-1e300), f32::MIN);
//! assert_eq!(saturate::<f32>(2.5), 2.5);
//! assert!(saturate::<f32>(f64::NAN).is_nan());
//! ```

use crate::linalg::{Matrix, Scalar};

/// `v` rounded to `F`; a finite `v` beyond `F`'s range becomes `±F::MAX`
/// instead of `±∞`. Infinities and NaN pass through unchanged.
pub fn saturate<F: Scalar>(v: f64) -> F {
    if v.is_finite() {
        let max = F::max_value().to_f64_lossy();
        F::c(v.clamp(-max, max))
    } else {
        F::c(v)
    }
}

/// Whether every value is finite (the fast path's check).
#[inline]
pub(crate) fn all_finite<F: Scalar>(values: &[F]) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// Recomputes each non-finite entry `j` of the embedding bag
/// `bag_j = Σ_i weights_i · embedding[ids_i, j]` in `f64` and saturates it.
/// Finite entries are left as the fast path computed them.
pub(crate) fn repair_bag<F: Scalar>(
    embedding: &Matrix<F>,
    ids: &[u32],
    weights: &[F],
    bag: &mut [F],
) {
    for (j, value) in bag.iter_mut().enumerate() {
        if value.is_finite() {
            continue;
        }
        let exact: f64 = ids
            .iter()
            .zip(weights)
            .map(|(&id, &x)| x.to_f64_lossy() * embedding.row(id as usize)[j].to_f64_lossy())
            .sum();
        *value = saturate(exact);
    }
}

/// Recomputes each non-finite output `r` of a dense layer
/// `out_r = Σ_c weights[r, c] · input_c + bias_r` (no bias when `bias` is
/// empty) in `f64` and saturates it. Finite outputs are left as they are.
pub(crate) fn repair_dense<F: Scalar>(weights: &Matrix<F>, bias: &[F], input: &[F], out: &mut [F]) {
    for (r, value) in out.iter_mut().enumerate() {
        if value.is_finite() {
            continue;
        }
        let product: f64 = weights
            .row(r)
            .iter()
            .zip(input)
            .map(|(&w, &a)| w.to_f64_lossy() * a.to_f64_lossy())
            .sum();
        let b = bias.get(r).map_or(0.0, |b| b.to_f64_lossy());
        *value = saturate(product + b);
    }
}

/// Divides each bag weight by `norm`, both taken to `f64`: for an L2 norm
/// whose square overflowed `F` (feature weights near `F::MAX`). The
/// quotients are at most 1, so they fit.
pub(crate) fn divide_exactly<F: Scalar>(weights: &mut [F], norm: f64) {
    for w in weights {
        *w = saturate(w.to_f64_lossy() / norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturate_clamps_finite_values_and_passes_the_rest() {
        // (f64 value, expected f32)
        let table: [(f64, f32); 6] = [
            (1.5, 1.5),
            (-3.0e38, -3.0e38),
            (4.0e38, f32::MAX),
            (-1.0e77, f32::MIN),
            (f64::INFINITY, f32::INFINITY),
            (f64::NEG_INFINITY, f32::NEG_INFINITY),
        ];
        for (v, expected) in table {
            assert_eq!(saturate::<f32>(v), expected, "{v}");
        }
        assert!(saturate::<f32>(f64::NAN).is_nan());
    }

    #[test]
    fn repair_bag_recomputes_only_the_overflowed_entries() {
        // Rows (2e38, 1) and (2e38, -1e38): entry 0 sums to 4e38 (beyond
        // f32::MAX), entry 1 to 1 - 1e38.
        let embedding = Matrix::from_vec(2, 2, vec![2e38_f32, 1.0, 2e38, -1e38]).unwrap();
        let mut bag = [f32::INFINITY, 7.0];
        repair_bag(&embedding, &[0, 1], &[1.0, 1.0], &mut bag);
        assert_eq!(bag, [f32::MAX, 7.0]);
        // With weights ½ (mean) the exact value 2e38 fits.
        let mut bag = [f32::NAN, 0.0];
        repair_bag(&embedding, &[0, 1], &[0.5, 0.5], &mut bag);
        assert_eq!(bag[0], 2e38);
    }

    #[test]
    fn repair_dense_sums_in_f64_with_the_bias() {
        // Row 0: 3e38·2 + 3e38·(-2) + bias 1 = 1 exactly, though f32 gives
        // ∞ - ∞ = NaN. Row 1: 3e38·2 = 6e38 saturates. Row 2 is finite.
        let weights = Matrix::from_vec(3, 2, vec![3e38_f32, 3e38, 3e38, 0.0, 1.0, 1.0]).unwrap();
        let input = [2.0_f32, -2.0];
        let mut out = [f32::NAN, f32::INFINITY, 5.0];
        repair_dense(&weights, &[1.0, 1.0, 1.0], &input, &mut out);
        assert_eq!(out, [1.0, f32::MAX, 5.0]);
    }

    #[test]
    fn l2_bag_weights_survive_idf_weights_whose_squares_overflow() {
        // ‖(3e38, 1e38)‖² overflows f32; the weights are still x / ‖x‖.
        let config = crate::nn::NetworkConfig {
            input_rows: 2,
            combine: crate::nn::Combine::L2,
            idf: true,
            ..crate::nn::NetworkConfig::default()
        };
        let (mut weights, mut sorted) = (Vec::new(), Vec::new());
        crate::nn::network::bag_weights(
            &config,
            &[3e38_f32, 1e38],
            &[0, 1],
            &mut weights,
            &mut sorted,
        );
        assert!((weights[0] - 0.948_683_3).abs() < 1e-6, "{weights:?}");
        assert!((weights[1] - 0.316_227_77).abs() < 1e-6, "{weights:?}");
    }

    #[test]
    fn divide_exactly_keeps_weights_at_most_one() {
        let mut weights = [3e38_f32, 1e38];
        let norm = (3e38_f64 * 3e38 + 1e38 * 1e38).sqrt();
        divide_exactly(&mut weights, norm);
        assert!((weights[0] - 0.948_683_3).abs() < 1e-6, "{weights:?}");
        assert!((weights[1] - 0.316_227_77).abs() < 1e-6, "{weights:?}");
    }
}
