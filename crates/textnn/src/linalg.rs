//! The few dense operations the network needs, on plain slices.
//!
//! `dot(a, b) = Σ a_i b_i`, `add_scaled(y, a, x): y ← y + a·x`, and a
//! row-major [`Matrix`]. Everything is generic over [`Scalar`] so the same
//! code runs in `f32` for training and in `f64` for gradient checks. In
//! `f32`, `dot` and `add_scaled` run the [`kernels`] chosen at run time
//! (AVX2 + FMA where the CPU has them); `f64` always runs the plain
//! [`kernels::reference`] loops.
//!
//! ```
//! use textnn::linalg::{add_scaled, dot};
//! let mut y = vec![1.0_f32, 2.0];
//! add_scaled(&mut y, 0.5, &[2.0, 4.0]);
//! assert_eq!(y, vec![2.0, 4.0]);
//! assert_eq!(dot(&y, &[1.0, 1.0]), 6.0);
//! ```

pub mod kernels;

use num_traits::{Float, FromPrimitive};

/// A floating-point type the network can run in: `f32` for real work,
/// `f64` for finite-difference gradient checks.
pub trait Scalar:
    Float + FromPrimitive + Default + std::fmt::Debug + Send + Sync + std::iter::Sum + 'static
{
    /// Converts an `f64` constant.
    fn c(value: f64) -> Self {
        // Every f64 converts to f32/f64 (possibly rounding), so this cannot fail.
        Self::from_f64(value).unwrap_or_else(Self::nan)
    }
    /// Widens to `f64` (for losses and reports).
    fn to_f64_lossy(self) -> f64 {
        self.to_f64().unwrap_or(f64::NAN)
    }
    /// `Σ a_i b_i` over the common length; [`dot`] calls this. The plain
    /// loop unless the type has a faster one.
    #[inline]
    fn dot_slices(a: &[Self], b: &[Self]) -> Self {
        kernels::reference::dot(a, b)
    }
    /// `y ← y + a·x` over the common length; [`add_scaled`] calls this. The
    /// plain loop unless the type has a faster one.
    #[inline]
    fn add_scaled_slices(y: &mut [Self], a: Self, x: &[Self]) {
        kernels::reference::add_scaled(y, a, x)
    }
}

/// `f32` runs the kernels chosen at run time ([`kernels::active`]).
impl Scalar for f32 {
    #[inline]
    fn dot_slices(a: &[f32], b: &[f32]) -> f32 {
        kernels::dot(a, b)
    }
    #[inline]
    fn add_scaled_slices(y: &mut [f32], a: f32, x: &[f32]) {
        kernels::add_scaled(y, a, x)
    }
}

/// `f64` (gradient checks) always runs the reference loops.
impl Scalar for f64 {}

/// `Σ a_i b_i` over the common length.
#[inline]
pub fn dot<F: Scalar>(a: &[F], b: &[F]) -> F {
    F::dot_slices(a, b)
}

/// `y ← y + a·x` over the common length.
#[inline]
pub fn add_scaled<F: Scalar>(y: &mut [F], a: F, x: &[F]) {
    F::add_scaled_slices(y, a, x)
}

/// `y ← a·y`.
#[inline]
pub fn scale<F: Scalar>(y: &mut [F], a: F) {
    for yi in y {
        *yi = *yi * a;
    }
}

/// Sum of squares `Σ x_i²` in `f64`.
pub fn squared_norm<F: Scalar>(x: &[F]) -> f64 {
    x.iter().map(|v| v.to_f64_lossy().powi(2)).sum()
}

/// A dense row-major matrix: `rows × cols`, element `(r, c)` at `r * cols + c`.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix<F> {
    rows: usize,
    cols: usize,
    data: Vec<F>,
}

impl<F: Scalar> Matrix<F> {
    /// A `rows × cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![F::zero(); rows * cols],
        }
    }

    /// Wraps `data` (row-major); `None` when its length is not `rows × cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<F>) -> Option<Self> {
        (rows.checked_mul(cols) == Some(data.len())).then_some(Matrix { rows, cols, data })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row `r`.
    #[inline]
    pub fn row(&self, r: usize) -> &[F] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// Row `r`, mutable.
    #[inline]
    pub fn row_mut(&mut self, r: usize) -> &mut [F] {
        &mut self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// The values, row-major, giving up the matrix.
    pub fn into_vec(self) -> Vec<F> {
        self.data
    }

    /// All elements, row-major.
    pub fn as_slice(&self) -> &[F] {
        &self.data
    }

    /// All elements, row-major, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [F] {
        &mut self.data
    }

    /// `out ← M x` (`out` has `rows` entries, `x` has `cols`).
    pub fn mul_vec(&self, x: &[F], out: &mut [F]) {
        for (r, o) in out.iter_mut().enumerate().take(self.rows) {
            *o = dot(self.row(r), x);
        }
    }

    /// `out ← Mᵀ y` (`out` has `cols` entries, `y` has `rows`).
    pub fn mul_transposed_vec(&self, y: &[F], out: &mut [F]) {
        out.fill(F::zero());
        for (r, &yr) in y.iter().enumerate().take(self.rows) {
            if yr != F::zero() {
                add_scaled(out, yr, self.row(r));
            }
        }
    }

    /// `M ← M + a · y xᵀ` (rank-one update; `y` has `rows` entries, `x` has `cols`).
    pub fn add_outer(&mut self, a: F, y: &[F], x: &[F]) {
        for (r, &yr) in y.iter().enumerate().take(self.rows) {
            if yr != F::zero() {
                add_scaled(self.row_mut(r), a * yr, x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition `Σ a_i b_i`, summed left to right in f64.
    fn reference_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter().zip(b).map(|(&x, &y)| x as f64 * y as f64).sum()
    }

    #[test]
    fn dot_agrees_with_reference_for_every_length() {
        for n in 0..19 {
            let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
            let fast = dot(&a, &b) as f64;
            assert!((fast - reference_dot(&a, &b)).abs() < 1e-5, "n = {n}");
        }
    }

    #[test]
    fn matrix_products_match_hand_computed_values() {
        // M = [[1, 2, 3], [4, 5, 6]]
        let m = Matrix::from_vec(2, 3, vec![1.0_f64, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let mut out = vec![0.0; 2];
        m.mul_vec(&[1.0, 0.0, -1.0], &mut out);
        assert_eq!(out, vec![-2.0, -2.0]);
        let mut out_t = vec![0.0; 3];
        m.mul_transposed_vec(&[1.0, 2.0], &mut out_t);
        assert_eq!(out_t, vec![9.0, 12.0, 15.0]);
        let mut g = Matrix::zeros(2, 3);
        g.add_outer(2.0, &[1.0, -1.0], &[1.0, 2.0, 3.0]);
        assert_eq!(g.as_slice(), &[2.0, 4.0, 6.0, -2.0, -4.0, -6.0]);
    }

    #[test]
    fn from_vec_refuses_wrong_length() {
        assert!(Matrix::from_vec(2, 2, vec![0.0_f32; 3]).is_none());
        assert!(Matrix::from_vec(usize::MAX, 2, Vec::<f32>::new()).is_none());
    }
}
