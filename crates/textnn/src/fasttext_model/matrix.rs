//! fastText's dense and product-quantized matrices, read into dense rows.
//!
//! ```text
//! dense:      i64 rows, i64 cols, rows × cols f32
//! quantized:  bool qnorm, i64 rows, i64 cols, i32 codesize, codesize u8 codes,
//!             product quantizer, [qnorm: rows u8 norm codes, norm quantizer]
//! quantizer:  i32 dim, i32 nsubq, i32 dsub, i32 lastdsub, dim × 256 f32 centroids
//! ```
//!
//! Product quantization (Jégou et al. 2011, as fastText's
//! `ProductQuantizer`) cuts a row into `nsubq` sub-vectors of `dsub` values
//! (the last has `lastdsub`) and stores, for each, the byte naming one of
//! 256 centroids; with `qnorm` the row is a unit direction times a norm,
//! itself quantized to one of 256 values. Loading decodes every row into
//! dense `f32`s (so a quantized model takes the memory of an unquantized
//! one once loaded). Decoding is exact with respect to fastText's own
//! arithmetic: an input row becomes `norm · centroid` (the products fastText
//! adds into the hidden vector), and an output row keeps its centroids and
//! its norm apart, because fastText multiplies the norm after the dot
//! product ([`Rows::dot_row`]).

use super::reader::ByteReader;
use crate::Result;
use std::io::BufRead;

/// Centroids per sub-quantizer (8-bit codes).
const CENTROIDS: usize = 256;
/// Largest sub-vector accepted: a quantized matrix decodes to at most
/// `4 · dsub` times the bytes of its codes.
const MAX_DSUB: usize = 64;

/// A matrix decoded for prediction.
#[derive(Clone, Debug, PartialEq)]
pub struct Rows {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns (fastText's `dim`).
    pub cols: usize,
    /// Row-major values.
    pub values: Vec<f32>,
    /// Per-row factors applied after a dot product (a quantized output
    /// layer with quantized norms), or `None`.
    pub scales: Option<Vec<f32>>,
}

impl Rows {
    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.cols..(i + 1) * self.cols]
    }

    /// `row_i · x`, summed left to right in `f32` as fastText's `dotRow`
    /// and `mulcode` do, times the row's scale when there is one; a result
    /// that overflowed is saturated ([`saturate`]).
    pub fn dot_row(&self, x: &[f32], i: usize) -> f32 {
        let mut d = 0.0f32;
        for (w, v) in self.row(i).iter().zip(x) {
            d += w * v;
        }
        saturate(match &self.scales {
            Some(scales) => d * scales[i],
            None => d,
        })
    }

    /// Reads a dense matrix of `rows × cols`.
    pub fn read_dense<R: BufRead>(
        reader: &mut ByteReader<R>,
        what: &str,
        rows: usize,
        cols: usize,
    ) -> Result<Self> {
        let (m, n) = read_shape(reader, what, rows, cols)?;
        let values = reader.f32s((m * n) as u64, what)?;
        Ok(Rows {
            rows: m,
            cols: n,
            values,
            scales: None,
        })
    }

    /// Reads a product-quantized matrix of `rows × cols` and decodes it.
    /// With `fold_norms` (the input matrix) each row's norm multiplies its
    /// values; otherwise (the output matrix) norms become [`Rows::scales`].
    pub fn read_quantized<R: BufRead>(
        reader: &mut ByteReader<R>,
        what: &str,
        rows: usize,
        cols: usize,
        fold_norms: bool,
    ) -> Result<Self> {
        let qnorm = reader.bool(&format!("{what}: qnorm"))?;
        let (m, n) = read_shape(reader, what, rows, cols)?;
        let code_size = reader.i32_in(&format!("{what}: code size"), 0, i32::MAX)? as usize;
        let codes = reader.bytes(code_size as u64, &format!("{what}: codes"))?;
        let pq = Quantizer::read(reader, &format!("{what}: quantizer"))?;
        if pq.dim != n {
            return Err(reader.error(format!(
                "{what}: the quantizer has dim {}, the matrix {n} columns",
                pq.dim
            )));
        }
        if Some(code_size) != m.checked_mul(pq.nsubq) {
            return Err(reader.error(format!(
                "{what}: {code_size} codes do not give {m} rows of {} sub-vectors",
                pq.nsubq
            )));
        }
        let norms = if qnorm {
            let norm_codes = reader.bytes(m as u64, &format!("{what}: norm codes"))?;
            let npq = Quantizer::read(reader, &format!("{what}: norm quantizer"))?;
            if (npq.dim, npq.nsubq, npq.dsub, npq.last_dsub) != (1, 1, 1, 1) {
                return Err(reader.error(format!(
                    "{what}: the norm quantizer must have dim, nsubq, dsub and lastdsub 1, got {}, {}, {}, {}",
                    npq.dim, npq.nsubq, npq.dsub, npq.last_dsub
                )));
            }
            Some(
                norm_codes
                    .iter()
                    .map(|&c| npq.centroids[c as usize])
                    .collect::<Vec<f32>>(),
            )
        } else {
            None
        };
        let mut values = vec![0.0f32; m * n];
        for (i, row) in values.chunks_exact_mut(n.max(1)).enumerate().take(m) {
            let alpha = match (&norms, fold_norms) {
                (Some(norms), true) => norms[i],
                _ => 1.0,
            };
            pq.decode(&codes[i * pq.nsubq..(i + 1) * pq.nsubq], alpha, row);
        }
        let scales = if fold_norms { None } else { norms };
        Ok(Rows {
            rows: m,
            cols: n,
            values,
            scales,
        })
    }
}

/// `x` itself when finite; `±f32::MAX` for `±∞` and 0 for NaN. Finite
/// weights can still overflow a sum: fastText stops with "Encountered NaN"
/// there, textnn saturates so that every probability stays a number in
/// [0, 1] (plus fastText's `1e-5`). Finite values pass unchanged, so real
/// models predict bit for bit as in fastText.
pub fn saturate(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else if x.is_nan() {
        0.0
    } else {
        x.signum() * f32::MAX
    }
}

/// Reads a matrix's `i64 rows, i64 cols` and checks them against the shape
/// the dictionary and settings call for.
fn read_shape<R: BufRead>(
    reader: &mut ByteReader<R>,
    what: &str,
    rows: usize,
    cols: usize,
) -> Result<(usize, usize)> {
    let m = reader.i64(&format!("{what}: rows"))?;
    let n = reader.i64(&format!("{what}: columns"))?;
    if (m, n) != (rows as i64, cols as i64) {
        return Err(reader.error(format!(
            "{what} is {m} × {n}, the dictionary and dim call for {rows} × {cols}"
        )));
    }
    Ok((rows, cols))
}

/// fastText's `ProductQuantizer`.
struct Quantizer {
    dim: usize,
    nsubq: usize,
    dsub: usize,
    last_dsub: usize,
    centroids: Vec<f32>,
}

impl Quantizer {
    fn read<R: BufRead>(reader: &mut ByteReader<R>, what: &str) -> Result<Self> {
        let dim = reader.i32_in(&format!("{what}: dim"), 1, i32::MAX)? as usize;
        let nsubq = reader.i32_in(&format!("{what}: nsubq"), 1, i32::MAX)? as usize;
        let dsub = reader.i32_in(&format!("{what}: dsub"), 1, MAX_DSUB as i32)? as usize;
        let last_dsub = reader.i32_in(&format!("{what}: lastdsub"), 1, MAX_DSUB as i32)? as usize;
        // fastText's constructor: nsubq = ceil(dim / dsub), the last
        // sub-vector takes the remainder (or a whole dsub).
        let expected_last = if dim % dsub == 0 { dsub } else { dim % dsub };
        if nsubq != dim.div_ceil(dsub) || last_dsub != expected_last {
            return Err(reader.error(format!(
                "{what}: nsubq {nsubq} and lastdsub {last_dsub} do not split dim {dim} into sub-vectors of {dsub}"
            )));
        }
        let centroids = reader.f32s((dim * CENTROIDS) as u64, &format!("{what}: centroids"))?;
        Ok(Quantizer {
            dim,
            nsubq,
            dsub,
            last_dsub,
            centroids,
        })
    }

    /// Writes `alpha · centroid` of each sub-vector's code into `out`
    /// (`ProductQuantizer::addcode` into a zero vector), saturated at
    /// `±f32::MAX` where the product overflows.
    fn decode(&self, code: &[u8], alpha: f32, out: &mut [f32]) {
        for (m, &c) in code.iter().enumerate() {
            let c = c as usize;
            let (start, width) = if m == self.nsubq - 1 {
                (
                    m * CENTROIDS * self.dsub + c * self.last_dsub,
                    self.last_dsub,
                )
            } else {
                ((m * CENTROIDS + c) * self.dsub, self.dsub)
            };
            for (n, &value) in self.centroids[start..start + width].iter().enumerate() {
                // A finite norm times a finite centroid can overflow f32.
                out[m * self.dsub + n] = saturate(alpha * value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_17_a_quantized_row_whose_norm_overflows_saturates() {
        // Found by the fasttext_loader fuzz target: a finite norm times a
        // finite centroid overflowed to infinity, and the model's container
        // copy was then refused for its non-finite weight.
        let pq = Quantizer {
            dim: 2,
            nsubq: 1,
            dsub: 2,
            last_dsub: 2,
            centroids: (0..2 * CENTROIDS)
                .map(|i| if i == 0 { 4.0 } else { -0.5 })
                .collect(),
        };
        let mut row = [0.0f32; 2];
        pq.decode(&[0], f32::MAX, &mut row);
        assert_eq!(row, [f32::MAX, -0.5 * f32::MAX]);
        pq.decode(&[0], 2.0, &mut row);
        assert_eq!(row, [8.0, -1.0]);
    }
}
