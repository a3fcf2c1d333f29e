//! The hot `f32` loops, `dot(a, b) = Σ a_i b_i` and `add_scaled(y, a, x):
//! y ← y + a·x`, with a fast path chosen once at run time.
//!
//! On x86_64 CPUs that have AVX2 and FMA the fast path works on 8 lanes at
//! a time with fused multiply-adds (`dot` reads its last `n mod 8` entries
//! with one masked load). Every other CPU (and every other architecture)
//! runs the plain loops of [`reference`](mod@reference), which are also what `f64`
//! gradient checks always use. The
//! binary is built for the baseline CPU, so it stays portable: the choice
//! is made by `is_x86_feature_detected!` when a kernel is first called and
//! kept for the life of the process, so each call costs one predictable
//! branch.
//!
//! A program may [`select`] the reference path before the first kernel
//! runs (the `textnn` binary does for `TEXTNN_KERNELS=reference`; the
//! library itself reads no environment variable), for comparisons and for
//! reproducing weights trained on another CPU; otherwise the fastest the
//! CPU supports is used.
//!
//! Rounding: a fused multiply-add rounds once where `y + a·x` rounds twice,
//! and the fast `dot` adds its terms in another order. Results therefore
//! differ in the last bits between the two paths. Training stays
//! bit-reproducible for the same seed, data, thread count *and kernels*,
//! so a model trained on a CPU with AVX2 and FMA can differ in the last
//! bits from one trained on a CPU without them (or with
//! `TEXTNN_KERNELS=reference`).
//!
//! ```
//! use textnn::linalg::kernels::{self, Kernels};
//! let a = [1.0_f32, 2.0, 3.0];
//! let mut y = [1.0_f32, 1.0, 1.0];
//! kernels::add_scaled(&mut y, 2.0, &a);
//! assert_eq!(y, [3.0, 5.0, 7.0]);
//! assert_eq!(kernels::dot(&a, &y), 34.0);
//! assert_eq!(Kernels::reference().dot(&a, &y), 34.0);
//! ```

use super::Scalar;
use crate::error::{Error, Result};
use std::sync::OnceLock;

/// The name of the setting programs read to pick the kernels (`auto` or
/// `reference`), used in [`Kernels::from_setting`]'s message. The library
/// does not read it: a program passes the value it read to
/// [`Kernels::from_setting`] and the result to [`select`].
pub const ENV_VAR: &str = "TEXTNN_KERNELS";

/// A set of `f32` kernels this CPU can run. Only [`Kernels::reference`] and
/// [`Kernels::detect`] make one, so a value that names the AVX2 path
/// proves the CPU has AVX2 and FMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels(Path);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Reference,
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
}

impl Kernels {
    /// The plain loops of [`reference`](mod@reference), on any CPU.
    pub fn reference() -> Kernels {
        Kernels(Path::Reference)
    }

    /// The fastest kernels this CPU supports.
    pub fn detect() -> Kernels {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Kernels(Path::Avx2Fma);
        }
        Kernels::reference()
    }

    /// The kernels a value of [`ENV_VAR`] asks for: `auto` (or empty) for
    /// [`Kernels::detect`], `reference` for [`Kernels::reference`].
    pub fn from_setting(value: &str) -> Result<Kernels> {
        match value.trim() {
            "" | "auto" => Ok(Kernels::detect()),
            "reference" => Ok(Kernels::reference()),
            other => Err(Error::InvalidConfig(format!(
                "{ENV_VAR} must be auto or reference, got {other:?}"
            ))),
        }
    }

    /// A short name: `reference` or `avx2+fma`.
    pub fn name(self) -> &'static str {
        match self.0 {
            Path::Reference => "reference",
            #[cfg(target_arch = "x86_64")]
            Path::Avx2Fma => "avx2+fma",
        }
    }

    /// `Σ a_i b_i` over the common length.
    #[inline]
    pub fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        match self.0 {
            Path::Reference => reference::dot(a, b),
            // SAFETY: a `Kernels` holds `Avx2Fma` only when `detect` found
            // AVX2 and FMA on this CPU (the field is private).
            #[cfg(target_arch = "x86_64")]
            Path::Avx2Fma => unsafe { avx2_fma::dot(a, b) },
        }
    }

    /// `y ← y + a·x` over the common length.
    #[inline]
    pub fn add_scaled(self, y: &mut [f32], a: f32, x: &[f32]) {
        match self.0 {
            Path::Reference => reference::add_scaled(y, a, x),
            // SAFETY: as in `dot`, `Avx2Fma` proves the CPU has AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Path::Avx2Fma => unsafe { avx2_fma::add_scaled(y, a, x) },
        }
    }
}

static ACTIVE: OnceLock<Kernels> = OnceLock::new();

/// The kernels this process uses: those given to [`select`] before the
/// first kernel ran, else [`Kernels::detect`]; the same for the life of
/// the process.
#[inline]
pub fn active() -> Kernels {
    *ACTIVE.get_or_init(Kernels::detect)
}

/// Makes `kernels` the ones this process uses. Call it before any kernel
/// runs: once the process has used other kernels (or selected others), it
/// is refused, since weights would otherwise mix two roundings.
pub fn select(kernels: Kernels) -> Result<()> {
    let active = *ACTIVE.get_or_init(|| kernels);
    if active == kernels {
        Ok(())
    } else {
        Err(Error::InvalidConfig(format!(
            "the {} kernels are already in use; select the kernels before any work",
            active.name()
        )))
    }
}

/// `Σ a_i b_i` over the common length, with the [`active`] kernels.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    active().dot(a, b)
}

/// `y ← y + a·x` over the common length, with the [`active`] kernels.
#[inline]
pub fn add_scaled(y: &mut [f32], a: f32, x: &[f32]) {
    active().add_scaled(y, a, x)
}

/// Asks the CPU to start loading every cache line of `values` (a row about
/// to be read), so that a loop over rows scattered through a large matrix
/// waits for memory once per few rows instead of once per row. A hint
/// only: it reads and changes nothing, and is a no-op off x86_64.
#[inline]
pub fn prefetch<T>(values: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        const LINE: usize = 64;
        let start = values.as_ptr().cast::<i8>();
        let bytes = std::mem::size_of_val(values);
        let mut offset = 0;
        while offset < bytes {
            // SAFETY: a prefetch never faults and has no effect on memory
            // (x86-64 baseline SSE); the address lies inside `values`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.add(offset)) };
            offset += LINE;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = values;
}

/// The plain versions: what every CPU can run, what `f64` always runs, and
/// what the fast path is tested against.
pub mod reference {
    use super::Scalar;

    /// `Σ a_i b_i` over the common length.
    #[inline]
    pub fn dot<F: Scalar>(a: &[F], b: &[F]) -> F {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        // Eight independent accumulators over fixed-size chunks let the
        // compiler keep them in vector registers without reassociating a
        // single running sum (which it may not do for floats).
        let mut acc = [F::zero(); 8];
        let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
        let (a_rest, b_rest) = (a_chunks.remainder(), b_chunks.remainder());
        for (ca, cb) in a_chunks.zip(b_chunks) {
            for i in 0..8 {
                acc[i] = acc[i] + ca[i] * cb[i];
            }
        }
        let mut sum =
            ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (&x, &y) in a_rest.iter().zip(b_rest) {
            sum = sum + x * y;
        }
        sum
    }

    /// `y ← y + a·x` over the common length (a product, then a sum, each
    /// rounded).
    #[inline]
    pub fn add_scaled<F: Scalar>(y: &mut [F], a: F, x: &[F]) {
        for (yi, &xi) in y.iter_mut().zip(x) {
            *yi = *yi + a * xi;
        }
    }
}

/// AVX2 + FMA versions. Every function here is `unsafe` only because it
/// needs those CPU features; the callers above hold a [`Kernels`] that
/// proves them. Pointer reads and writes stay inside the slices: full
/// vectors start at `i` with `i + 8 ≤ n`, and `dot`'s masked tail loads
/// touch only the `n - i < 8` lanes whose mask is set (masked-off lanes
/// are not read and cannot fault).
#[cfg(target_arch = "x86_64")]
mod avx2_fma {
    use std::arch::x86_64::*;

    /// Eight set lanes then eight clear ones: the 8 lanes starting at
    /// `8 - r` have exactly the first `r` set.
    static TAIL_MASKS: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

    /// The mask whose first `rest` lanes are set (`rest ≤ 8`).
    ///
    /// # Safety
    /// The CPU has AVX2; `rest ≤ 8`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn tail_mask(rest: usize) -> __m256i {
        debug_assert!(rest <= 8);
        // SAFETY: 8 - rest ≤ 8, so the 8 lanes read lie inside the
        // 16-entry table.
        _mm256_loadu_si256(TAIL_MASKS.as_ptr().add(8 - rest).cast())
    }

    /// Horizontal sum of the 8 lanes: (0+4, 1+5, 2+6, 3+7), then pairs.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn sum_lanes(v: __m256) -> f32 {
        let quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        let one = _mm_add_ss(pair, _mm_shuffle_ps::<0b01>(pair, pair));
        _mm_cvtss_f32(one)
    }

    /// `Σ a_i b_i` over the common length `n`: two 8-lane accumulators of
    /// fused multiply-adds (two, so consecutive FMAs do not wait on each
    /// other), the masked tail added to the second, then the lanes summed.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        let mut i = 0;
        // SAFETY (every read below): i + 16 ≤ n, i + 8 ≤ n, or masked to
        // the n - i lanes left, as the module doc explains.
        while i + 16 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            acc1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                acc1,
            );
            i += 16;
        }
        if i + 8 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            i += 8;
        }
        if i < n {
            let mask = tail_mask(n - i);
            let x = _mm256_maskload_ps(pa.add(i), mask);
            let y = _mm256_maskload_ps(pb.add(i), mask);
            acc1 = _mm256_fmadd_ps(x, y, acc1);
        }
        sum_lanes(_mm256_add_ps(acc0, acc1))
    }

    /// `y_i ← fma(a, x_i, y_i)` over the common length `n`: each entry is
    /// `y_i + a·x_i` rounded once, whatever its position.
    ///
    /// The tail is a scalar loop rather than a masked store: `y` is often
    /// read again at once (the embedding bag adds row after row into it),
    /// and a load cannot be forwarded from a masked store, which stalls
    /// the next call for longer than the scalar tail takes.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn add_scaled(y: &mut [f32], a: f32, x: &[f32]) {
        let n = y.len().min(x.len());
        let (py, px) = (y.as_mut_ptr(), x.as_ptr());
        let scale = _mm256_set1_ps(a);
        let mut i = 0;
        // SAFETY (every read and write below): i + 8 ≤ n; `y` and `x`
        // cannot overlap (one is `&mut`).
        while i + 8 <= n {
            let sum = _mm256_fmadd_ps(
                scale,
                _mm256_loadu_ps(px.add(i)),
                _mm256_loadu_ps(py.add(i)),
            );
            _mm256_storeu_ps(py.add(i), sum);
            i += 8;
        }
        // `mul_add` compiles to the scalar FMA instruction here, so the
        // tail rounds exactly as the vector lanes do.
        for (yi, &xi) in y[i..n].iter_mut().zip(&x[i..n]) {
            *yi = a.mul_add(xi, *yi);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// `Σ a_i b_i` in f64 (exact for f32 products, nearly so for the sum),
    /// and `Σ |a_i b_i|`, the scale of the rounding error.
    fn exact_dot(a: &[f32], b: &[f32]) -> (f64, f64) {
        a.iter().zip(b).fold((0.0, 0.0), |(s, m), (&x, &y)| {
            let p = x as f64 * y as f64;
            (s + p, m + p.abs())
        })
    }

    /// Any f32 summation order of n products is within n·ε·Σ|a_i b_i| of
    /// the exact sum (Higham, "Accuracy and Stability of Numerical
    /// Algorithms", 2nd ed., eq. 3.5: |error| ≤ γ_n Σ|a_i b_i|, with
    /// γ_n = nε/(1 - nε) < 1.01·nε here); ε = 2⁻²⁴, the unit roundoff.
    fn assert_dot_close(kernels: Kernels, a: &[f32], b: &[f32]) {
        let (exact, magnitude) = exact_dot(a, b);
        let n = a.len().min(b.len()) as f64;
        let bound = 1.01 * n * f64::from(f32::EPSILON) / 2.0 * magnitude;
        for (name, got) in [
            (kernels.name(), kernels.dot(a, b)),
            ("reference", reference::dot(a, b)),
        ] {
            let error = (got as f64 - exact).abs();
            assert!(
                error <= bound,
                "{name} dot of length {n}: {got} vs exact {exact} (error {error:e} > {bound:e})"
            );
        }
    }

    /// The fast add_scaled rounds each entry once (`fma`), so it equals
    /// `a.mul_add(x_i, y_i)` exactly; the reference rounds the product and
    /// then the sum, so it is within ε·|a·x_i| + ε·|y_i + a·x_i| of it.
    fn assert_add_scaled_agrees(kernels: Kernels, y: &[f32], a: f32, x: &[f32]) {
        let n = y.len().min(x.len());
        let mut fast = y.to_vec();
        kernels.add_scaled(&mut fast, a, x);
        let mut plain = y.to_vec();
        reference::add_scaled(&mut plain, a, x);
        assert_eq!(&fast[n..], &y[n..], "entries past the common length change");
        for i in 0..n {
            let exact = y[i] as f64 + a as f64 * x[i] as f64;
            if kernels != Kernels::reference() {
                assert_eq!(
                    fast[i].to_bits(),
                    a.mul_add(x[i], y[i]).to_bits(),
                    "entry {i} of {n}"
                );
            }
            let eps = f64::from(f32::EPSILON);
            let bound = eps * ((a as f64 * x[i] as f64).abs() + exact.abs());
            assert!(
                (fast[i] as f64 - plain[i] as f64).abs() <= bound,
                "entry {i} of {n}: {} vs reference {}",
                fast[i],
                plain[i]
            );
        }
    }

    fn random(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.gen_range(-2.0..2.0)).collect()
    }

    #[test]
    fn fast_dot_agrees_with_reference_for_every_length_and_offset() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let kernels = Kernels::detect();
        for n in 0..=67 {
            // Offsets 0..8 start the slices at every position within a
            // 32-byte vector, so loads are unaligned in every way.
            for offset in 0..8 {
                let a = random(&mut rng, n + offset);
                let b = random(&mut rng, n + 8);
                assert_dot_close(kernels, &a[offset..], &b[8 - offset % 8..]);
            }
        }
    }

    #[test]
    fn fast_add_scaled_agrees_with_reference_for_every_length_and_offset() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let kernels = Kernels::detect();
        for n in 0..=67 {
            for offset in 0..8 {
                let y = random(&mut rng, n + offset);
                let x = random(&mut rng, n + 3);
                let a = rng.gen_range(-3.0..3.0);
                assert_add_scaled_agrees(kernels, &y[offset..], a, &x[3..]);
            }
        }
    }

    #[test]
    fn kernels_use_the_common_length() {
        let kernels = Kernels::detect();
        let long: Vec<f32> = (1..=20).map(|i| i as f32).collect();
        let short = [1.0_f32; 11];
        // 1 + 2 + … + 11 = 66 whichever operand is shorter.
        assert_eq!(kernels.dot(&long, &short), 66.0);
        assert_eq!(kernels.dot(&short, &long), 66.0);
        let mut y = long.clone();
        kernels.add_scaled(&mut y, 2.0, &short);
        assert_eq!(
            &y[..11],
            &long[..11].iter().map(|v| v + 2.0).collect::<Vec<_>>()[..]
        );
        assert_eq!(&y[11..], &long[11..]);
        let mut short_y = [0.0_f32; 3];
        kernels.add_scaled(&mut short_y, 1.0, &long);
        assert_eq!(short_y, [1.0, 2.0, 3.0]);
    }

    #[test]
    fn non_finite_values_propagate() {
        let kernels = Kernels::detect();
        for n in [1, 8, 13, 16, 21] {
            let mut a = vec![1.0_f32; n];
            a[n - 1] = f32::NAN;
            assert!(kernels.dot(&a, &vec![1.0; n]).is_nan(), "n = {n}");
            let mut y = vec![0.0_f32; n];
            kernels.add_scaled(&mut y, f32::INFINITY, &vec![1.0; n]);
            assert!(y.iter().all(|v| *v == f32::INFINITY), "n = {n}");
        }
    }

    #[test]
    fn settings_pick_the_kernels() {
        assert_eq!(
            Kernels::from_setting("reference").unwrap(),
            Kernels::reference()
        );
        assert_eq!(Kernels::from_setting(" auto ").unwrap(), Kernels::detect());
        assert_eq!(Kernels::from_setting("").unwrap(), Kernels::detect());
        let error = Kernels::from_setting("avx512").unwrap_err().to_string();
        assert!(
            error.contains("TEXTNN_KERNELS") && error.contains("avx512"),
            "{error}"
        );
        assert_eq!(Kernels::reference().name(), "reference");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn detect_takes_the_fast_path_exactly_when_the_cpu_has_avx2_and_fma() {
        let has = std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
        assert_eq!(
            Kernels::detect().name(),
            if has { "avx2+fma" } else { "reference" }
        );
    }

    proptest! {
        #[test]
        fn fast_kernels_agree_with_reference_on_any_finite_input(
            pairs in proptest::collection::vec((-1e3f32..1e3, -1e3f32..1e3), 0..80),
            a in -10f32..10.0,
            offset in 0usize..8,
        ) {
            // Slicing after the split starts both operands `offset`
            // floats into their buffers: unaligned in the same way.
            let (x, y): (Vec<f32>, Vec<f32>) = pairs.iter().copied().unzip();
            let offset = offset.min(x.len());
            assert_dot_close(Kernels::detect(), &x[offset..], &y[offset..]);
            assert_add_scaled_agrees(Kernels::detect(), &y[offset..], a, &x[offset..]);
        }
    }
}
