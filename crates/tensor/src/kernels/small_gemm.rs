//! Matrix products too small for the packed GEMM, by plain loops.
//!
//! Each output element sums its products in an order that does not depend
//! on the CPU, so results are reproducible. That order differs from the
//! packed GEMM's, so the two agree only to rounding. On x86-64 the same
//! loops are compiled again for AVX2 and AVX-512 and the widest that the
//! CPU supports is chosen at run time. All builds compute identical
//! results, because none fuses a multiply with an add.

use std::mem::MaybeUninit;

use crate::float::Float;
use crate::kernels::matmul::Layout;
use crate::kernels::simd::{widest, Kernel};

/// The largest `b`, in elements, that is copied into contiguous rows on the
/// stack when its rows are strided (8 KiB of `f64`).
const SCRATCH: usize = 1024;

/// `out = a b + beta out` for an `m x k` matrix `a`, a `k x n` matrix `b`
/// and a contiguous row-major `m x n` matrix `out`, where every dimension
/// is at least 1.
///
/// # Panics
///
/// When an operand is too short for its layout (an engine bug).
#[allow(clippy::too_many_arguments)]
pub(crate) fn small_gemm<T: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    a_layout: Layout,
    b: &[T],
    b_layout: Layout,
    beta: T,
    out: &mut [T],
) {
    let a_strides = (a_layout.row_stride as usize, a_layout.col_stride as usize);
    let b_strides = (b_layout.row_stride as usize, b_layout.col_stride as usize);
    // The last element each operand is read at; every other read is below.
    let a_last = (m - 1) * a_strides.0 + (k - 1) * a_strides.1;
    let b_last = (k - 1) * b_strides.0 + (n - 1) * b_strides.1;
    assert!(
        a_last < a.len() && b_last < b.len() && m * n <= out.len(),
        "engine bug: small_gemm operands too short for their layouts"
    );
    let operands = Operands {
        m,
        k,
        n,
        a: a.as_ptr(),
        a_strides,
        b: b.as_ptr(),
        b_strides,
        beta,
        out: out.as_mut_ptr(),
    };
    widest(operands);
}

/// The arguments of [`small_gemm`] as raw parts, checked by it.
#[derive(Clone, Copy)]
struct Operands<T> {
    m: usize,
    k: usize,
    n: usize,
    a: *const T,
    /// Row and column strides of `a`.
    a_strides: (usize, usize),
    b: *const T,
    b_strides: (usize, usize),
    beta: T,
    out: *mut T,
}

impl<T: Float> Kernel for Operands<T> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        // SAFETY: `small_gemm`, the only place that builds `Operands`,
        // checks that the strides keep every read and write in bounds.
        unsafe { run(self) }
    }
}

/// Runs the loop order whose innermost loop covers the longest contiguous
/// stretch of memory. The candidates are rows of `b` (`out_i += a_ip b_p`),
/// dot products of a row of `a` with a column of `b`, and, for a single
/// output column, columns of `a` (rows of `b` for `out^T = b^T a^T`). A
/// single column of `b` against four or more contiguous rows of `a` takes
/// the row loop too, whose blocks of rows beat separate dot products.
///
/// # Safety
///
/// Every element that the strides address for the given dimensions is in
/// bounds, and `out` holds `m * n` elements that alias neither input.
#[inline(always)]
unsafe fn run<T: Float>(operands: Operands<T>) {
    let Operands {
        m,
        k,
        n,
        a,
        a_strides: (a_rows, a_cols),
        b,
        b_strides: (b_rows, b_cols),
        beta,
        out,
    } = operands;
    // The vector length of each loop order, 0 where the layout rules it out.
    let along_b_rows = if b_cols == 1 || n == 1 { n } else { 0 };
    let along_dot = if (a_cols == 1 && b_rows == 1) || k == 1 {
        k
    } else {
        0
    };
    let along_a_columns = if n == 1 && (a_rows == 1 || m == 1) {
        m
    } else {
        0
    };
    let longest = along_b_rows.max(along_dot).max(along_a_columns);
    // SAFETY (all branches): the caller bounds every addressed element.
    unsafe {
        if longest == 0 {
            strided(operands);
        } else if longest == along_b_rows || (longest == along_dot && n == 1 && m >= 4) {
            // For a single column of `b` the row loop is also a matrix-vector
            // product, and its blocks of four rows share each element of `b`,
            // which costs fewer instructions than one dot product per row.
            rows_of_b(m, k, n, a, (a_rows, a_cols), b, b_rows, beta, out);
        } else if longest == along_dot && n >= 4 && k * n <= SCRATCH {
            // Many dot products: copying b into contiguous rows first lets
            // the faster row loop run, and the copy costs only k n moves.
            let mut scratch = [MaybeUninit::<T>::uninit(); SCRATCH];
            for p in 0..k {
                for j in 0..n {
                    scratch[p * n + j].write(*b.add(p * b_rows + j * b_cols));
                }
            }
            let rows = scratch.as_ptr().cast::<T>();
            rows_of_b(m, k, n, a, (a_rows, a_cols), rows, n, beta, out);
        } else if longest == along_dot {
            for i in 0..m {
                for j in 0..n {
                    let sum = dot(k, a.add(i * a_rows), b.add(j * b_cols));
                    let slot = out.add(i * n + j);
                    *slot = combine(sum, beta, *slot);
                }
            }
        } else {
            // A single output column: out^T (1 x m) = b^T (1 x k) a^T (k x m),
            // and the rows of a^T are the contiguous columns of a.
            rows_of_b(1, k, m, b, (0, b_rows), a, a_cols, beta, out);
        }
    }
}

/// Computes the product for layouts with no contiguous direction.
///
/// # Safety
///
/// As [`run`].
#[inline(always)]
unsafe fn strided<T: Float>(operands: Operands<T>) {
    let Operands {
        m,
        k,
        n,
        a,
        a_strides: (a_rows, a_cols),
        b,
        b_strides: (b_rows, b_cols),
        beta,
        out,
    } = operands;
    for i in 0..m {
        for j in 0..n {
            let mut sum = T::ZERO;
            for p in 0..k {
                // SAFETY: in bounds by the caller's contract.
                sum += unsafe { *a.add(i * a_rows + p * a_cols) * *b.add(p * b_rows + j * b_cols) };
            }
            // SAFETY: `out` has `m * n` elements.
            unsafe {
                let slot = out.add(i * n + j);
                *slot = combine(sum, beta, *slot);
            }
        }
    }
}

/// `out = a b + beta out` where the rows of `b` (stride `b_rows`) are
/// contiguous: each output row accumulates `a_ip` times row `p` of `b`,
/// in blocks of up to four rows and eight columns kept in registers for the
/// whole sum over `p`, so that each load of `b` serves several rows.
///
/// # Safety
///
/// As [`run`], with `b`'s column stride 1.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn rows_of_b<T: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: *const T,
    (a_rows, a_cols): (usize, usize),
    b: *const T,
    b_rows: usize,
    beta: T,
    out: *mut T,
) {
    let block = |i: usize| BlockRows {
        k,
        n,
        a_row: a.wrapping_add(i * a_rows),
        a_rows,
        a_cols,
        b,
        b_rows,
        beta,
        out_row: out.wrapping_add(i * n),
    };
    let mut i = 0;
    // SAFETY (each call): forwarded from the caller; each block of rows
    // starts where the previous one stopped and stays below `m`.
    unsafe {
        while i + 4 <= m {
            block(i).columns::<4>();
            i += 4;
        }
        if i + 2 <= m {
            block(i).columns::<2>();
            i += 2;
        }
        if i < m {
            block(i).columns::<1>();
        }
    }
}

/// A block of output rows of [`rows_of_b`] and what it reads.
#[derive(Clone, Copy)]
struct BlockRows<T> {
    k: usize,
    n: usize,
    a_row: *const T,
    a_rows: usize,
    a_cols: usize,
    b: *const T,
    b_rows: usize,
    beta: T,
    out_row: *mut T,
}

impl<T: Float> BlockRows<T> {
    /// Computes `R` output rows, all `n` columns, in column blocks of 8,
    /// 4, 2 and 1.
    ///
    /// # Safety
    ///
    /// As [`rows_of_b`], with `R` rows left from `a_row` and `out_row`.
    #[inline(always)]
    unsafe fn columns<const R: usize>(self) {
        // SAFETY (each call): each starts where the previous one stopped
        // and stays below `n`.
        unsafe {
            let mut j = self.blocks::<R, 8>(0);
            j = self.blocks::<R, 4>(j);
            j = self.blocks::<R, 2>(j);
            self.blocks::<R, 1>(j);
        }
    }

    /// Computes `R` output rows from column `j` on in blocks of `W` while
    /// a whole block fits below `n`, and returns the first column left.
    /// Each element sums its products in the order of `p`, whatever `R`
    /// and `W`.
    ///
    /// # Safety
    ///
    /// As [`BlockRows::columns`].
    #[inline(always)]
    unsafe fn blocks<const R: usize, const W: usize>(self, mut j: usize) -> usize {
        while j + W <= self.n {
            let mut sums = [[T::ZERO; W]; R];
            let (mut a_p, mut b_p) = (self.a_row, self.b.wrapping_add(j));
            for _ in 0..self.k {
                // SAFETY: `a_p + r a_rows` and `b_p .. b_p + W` address
                // elements of column `p` of `a` and row `p` of `b`, in
                // bounds by the caller's contract.
                unsafe {
                    let mut b_pj = [T::ZERO; W];
                    for (lane, value) in b_pj.iter_mut().enumerate() {
                        *value = *b_p.add(lane);
                    }
                    for (r, row) in sums.iter_mut().enumerate() {
                        let a_ip = *a_p.add(r * self.a_rows);
                        for (sum, &b_value) in row.iter_mut().zip(&b_pj) {
                            *sum += a_ip * b_value;
                        }
                    }
                }
                a_p = a_p.wrapping_add(self.a_cols);
                b_p = b_p.wrapping_add(self.b_rows);
            }
            for (r, row) in sums.into_iter().enumerate() {
                for (lane, sum) in row.into_iter().enumerate() {
                    // SAFETY: `r < R` and `j + lane < n`, inside the output.
                    unsafe {
                        let slot = self.out_row.add(r * self.n + j + lane);
                        *slot = combine(sum, self.beta, *slot);
                    }
                }
            }
            j += W;
        }
        j
    }
}

/// Computes the dot product of `k` contiguous elements from `x` and from
/// `y`, with four partial sums so that the compiler can vectorise it.
///
/// # Safety
///
/// `x` and `y` each address `k` readable elements.
#[inline(always)]
unsafe fn dot<T: Float>(k: usize, x: *const T, y: *const T) -> T {
    // SAFETY: the caller guarantees `k` elements behind each pointer.
    let (x, y) = unsafe {
        (
            std::slice::from_raw_parts(x, k),
            std::slice::from_raw_parts(y, k),
        )
    };
    let mut partial = [T::ZERO; 4];
    let (x_chunks, y_chunks) = (x.chunks_exact(4), y.chunks_exact(4));
    let (x_rest, y_rest) = (x_chunks.remainder(), y_chunks.remainder());
    for (xc, yc) in x_chunks.zip(y_chunks) {
        for lane in 0..4 {
            partial[lane] += xc[lane] * yc[lane];
        }
    }
    let mut sum = (partial[0] + partial[1]) + (partial[2] + partial[3]);
    for (&xv, &yv) in x_rest.iter().zip(y_rest) {
        sum += xv * yv;
    }
    sum
}

/// Returns `sum + beta old`, ignoring `old` entirely when `beta = 0`, so
/// that stale values (even NaN) in a reused buffer do not leak into the
/// result; `small_gemm_matches_definition` checks this on NaN buffers.
#[inline(always)]
fn combine<T: Float>(sum: T, beta: T, old: T) -> T {
    if beta == T::ZERO {
        sum
    } else {
        sum + beta * old
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns a deterministic pseudo-random value in `[-1, 1)` for index `i`.
    fn value(i: usize, salt: usize) -> f64 {
        let mixed = (i * 2654435761 + salt * 40503) % 1000;
        mixed as f64 / 500.0 - 1.0
    }

    /// `a b` by the definition, for an operand stored row-major or
    /// transposed.
    fn reference(
        m: usize,
        k: usize,
        n: usize,
        a: &[f64],
        al: Layout,
        b: &[f64],
        bl: Layout,
    ) -> Vec<f64> {
        let at = |i: usize, p: usize| a[i * al.row_stride as usize + p * al.col_stride as usize];
        let bt = |p: usize, j: usize| b[p * bl.row_stride as usize + j * bl.col_stride as usize];
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            }
        }
        out
    }

    /// Every layout pair for sizes that exercise each loop order and every
    /// block width, with `beta` 0 over a NaN-filled output and `beta` 0.5.
    #[test]
    fn small_gemm_matches_definition() {
        let sizes = [1, 2, 3, 5, 8, 10, 13, 21];
        for &m in &sizes {
            for &k in &sizes {
                for &n in &sizes {
                    let a: Vec<f64> = (0..m * k).map(|i| value(i, 1)).collect();
                    let b: Vec<f64> = (0..k * n).map(|i| value(i, 2)).collect();
                    let a_layouts = [Layout::row_major(k), Layout::transposed(m)];
                    let b_layouts = [Layout::row_major(n), Layout::transposed(k)];
                    for al in a_layouts {
                        for bl in b_layouts {
                            let expected = reference(m, k, n, &a, al, &b, bl);
                            let mut out = vec![f64::NAN; m * n];
                            small_gemm(m, k, n, &a, al, &b, bl, 0.0, &mut out);
                            for (index, (&got, &want)) in out.iter().zip(&expected).enumerate() {
                                assert!(
                                    (got - want).abs() <= 1e-12,
                                    "m {m} k {k} n {n}, element {index}: {got} != {want}"
                                );
                            }
                            let old: Vec<f64> = (0..m * n).map(|i| value(i, 3)).collect();
                            let mut out = old.clone();
                            small_gemm(m, k, n, &a, al, &b, bl, 0.5, &mut out);
                            for (index, &got) in out.iter().enumerate() {
                                let want = expected[index] + 0.5 * old[index];
                                assert!(
                                    (got - want).abs() <= 1e-12,
                                    "beta 0.5, m {m} k {k} n {n}, element {index}: {got} != {want}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn small_gemm_f32_matches_f64() {
        let (m, k, n) = (7, 10, 9);
        let a: Vec<f64> = (0..m * k).map(|i| value(i, 4)).collect();
        let b: Vec<f64> = (0..k * n).map(|i| value(i, 5)).collect();
        let (al, bl) = (Layout::row_major(k), Layout::row_major(n));
        let expected = reference(m, k, n, &a, al, &b, bl);
        let a32: Vec<f32> = a.iter().map(|&x| x as f32).collect();
        let b32: Vec<f32> = b.iter().map(|&x| x as f32).collect();
        let mut out = vec![f32::NAN; m * n];
        small_gemm(m, k, n, &a32, al, &b32, bl, 0.0, &mut out);
        for (index, (&got, &want)) in out.iter().zip(&expected).enumerate() {
            assert!(
                (got as f64 - want).abs() <= 1e-5,
                "element {index}: {got} != {want}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "engine bug")]
    fn small_gemm_short_operand_panics() {
        let mut out = [0.0; 4];
        small_gemm(
            2,
            2,
            2,
            &[1.0; 3],
            Layout::row_major(2),
            &[1.0; 4],
            Layout::row_major(2),
            0.0,
            &mut out,
        );
    }
}
