//! Disjoint column slices of one matrix, written by different threads at
//! the same time.
//!
//! This is the only `unsafe` code of the trainer. Safety argument:
//! [`split_columns`] takes the matrix by `&mut` for the lifetime `'a` of
//! the slices, so nothing else can read or write it meanwhile; it checks
//! that the column ranges are increasing and inside the matrix, so no
//! element belongs to two slices; and each [`ColumnSlice`] hands out
//! `&[f32]` through `&self` and `&mut [f32]` through `&mut self`, so the
//! borrow checker keeps the references of one slice from aliasing. Two
//! threads therefore never touch the same memory location, which is all
//! Rust's data-race rule asks (rows of different slices may share a cache
//! line: that costs speed, not soundness).

use crate::linalg::Matrix;
use std::marker::PhantomData;

/// Columns `lo..hi` of every row of a row-major `f32` matrix.
pub(super) struct ColumnSlice<'a> {
    data: *mut f32,
    rows: usize,
    cols: usize,
    lo: usize,
    hi: usize,
    _matrix: PhantomData<&'a mut [f32]>,
}

// SAFETY: a slice owns its columns exclusively (see the module docs), so
// moving it to another thread cannot create shared mutable access.
unsafe impl Send for ColumnSlice<'_> {}

/// Splits `matrix` into the column ranges `bounds[i]..bounds[i + 1]`.
///
/// # Panics
/// If `bounds` does not start at 0, end at `matrix.cols()` and increase.
pub(super) fn split_columns<'a>(
    matrix: &'a mut Matrix<f32>,
    bounds: &[usize],
) -> Vec<ColumnSlice<'a>> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    assert!(
        bounds.first() == Some(&0)
            && bounds.last() == Some(&cols)
            && bounds.windows(2).all(|w| w[0] <= w[1]),
        "column bounds {bounds:?} do not partition {cols} columns"
    );
    let data = matrix.as_mut_slice().as_mut_ptr();
    bounds
        .windows(2)
        .map(|w| ColumnSlice {
            data,
            rows,
            cols,
            lo: w[0],
            hi: w[1],
            _matrix: PhantomData,
        })
        .collect()
}

/// Asks the CPU to start loading rows of a [`ColumnSlice`] before they
/// are needed (hides memory latency when rows are picked at random from
/// a large matrix).
#[derive(Clone, Copy)]
pub(super) struct Prefetcher {
    data: *const f32,
    rows: usize,
    cols: usize,
    lo: usize,
}

impl Prefetcher {
    /// Hints that this slice's part of row `r` will be read soon; rows
    /// out of range are ignored.
    #[inline]
    pub(super) fn prefetch(self, r: usize) {
        #[cfg(target_arch = "x86_64")]
        if r < self.rows {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: the address is inside the matrix (r < rows, lo <
            // cols or the slice is empty and lo = cols, one past a row that
            // still lies within the allocation or at its end). A prefetch
            // is only a hint: it reads nothing into the program, writes
            // nothing, and cannot fault. SSE is part of every x86-64 CPU.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(self.data.add(r * self.cols + self.lo) as *const i8)
            };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (r, self.data, self.rows, self.cols, self.lo);
    }
}

impl ColumnSlice<'_> {
    /// A prefetcher for this slice's rows.
    pub(super) fn prefetcher(&self) -> Prefetcher {
        Prefetcher {
            data: self.data,
            rows: self.rows,
            cols: self.cols,
            lo: self.lo,
        }
    }

    /// Number of rows of the matrix.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns in the slice.
    pub(super) fn width(&self) -> usize {
        self.hi - self.lo
    }

    /// This slice's part of row `r`.
    #[inline]
    pub(super) fn row(&self, r: usize) -> &[f32] {
        assert!(r < self.rows, "row {r} out of {} rows", self.rows);
        // SAFETY: in bounds (r < rows, lo..hi ⊆ 0..cols); only this slice
        // may write these elements, and not while `&self` is borrowed.
        unsafe {
            std::slice::from_raw_parts(self.data.add(r * self.cols + self.lo), self.hi - self.lo)
        }
    }

    /// This slice's part of row `r`, writable.
    #[inline]
    pub(super) fn row_mut(&mut self, r: usize) -> &mut [f32] {
        assert!(r < self.rows, "row {r} out of {} rows", self.rows);
        // SAFETY: as in `row`; `&mut self` makes this the only live
        // reference into the slice.
        unsafe {
            std::slice::from_raw_parts_mut(
                self.data.add(r * self.cols + self.lo),
                self.hi - self.lo,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_write_their_own_columns_only() {
        let mut m = Matrix::zeros(50, 10);
        let slices = split_columns(&mut m, &[0, 3, 3, 10]);
        std::thread::scope(|s| {
            for (t, mut slice) in slices.into_iter().enumerate() {
                s.spawn(move || {
                    for r in 0..50 {
                        for v in slice.row_mut(r) {
                            *v += (t + 1) as f32;
                        }
                    }
                });
            }
        });
        for r in 0..50 {
            assert_eq!(m.row(r), &[1., 1., 1., 3., 3., 3., 3., 3., 3., 3.]);
        }
    }

    #[test]
    #[should_panic(expected = "do not partition")]
    fn overlapping_bounds_are_refused() {
        let mut m = Matrix::zeros(2, 4);
        let _ = split_columns(&mut m, &[0, 3, 2, 4]);
    }

    #[test]
    #[should_panic(expected = "out of")]
    fn rows_past_the_end_are_refused() {
        let mut m = Matrix::zeros(2, 4);
        let slices = split_columns(&mut m, &[0, 4]);
        let _ = slices[0].row(2);
    }
}
