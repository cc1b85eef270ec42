//! Matrix products through the strided GEMM of [`Float::gemm`].

use crate::float::Float;
use crate::kernels::small_gemm::small_gemm;

/// The layout of one GEMM operand: row and column strides in elements.
#[derive(Clone, Copy)]
pub(crate) struct Layout {
    pub row_stride: isize,
    pub col_stride: isize,
}

impl Layout {
    /// A contiguous row-major matrix with `cols` columns.
    pub(crate) fn row_major(cols: usize) -> Self {
        Layout {
            row_stride: cols as isize,
            col_stride: 1,
        }
    }

    /// The transpose of a contiguous row-major matrix with `cols` columns,
    /// read without copying.
    pub(crate) fn transposed(cols: usize) -> Self {
        Layout {
            row_stride: 1,
            col_stride: cols as isize,
        }
    }
}

/// The largest product, in multiply-adds `m * k * n`, computed by the plain
/// loops of [`small_gemm`] instead of the packed GEMM. Below it, packing
/// the operands costs about as much as the product itself, and the plain
/// loops, unlike `matrixmultiply`, allocate no packing buffer per call.
/// Chosen by counting instructions with callgrind on the 2-10-10-1 baseline
/// networks (up to `100 x 10 x 10`), where both ways cost about the same.
const SMALL_PRODUCT: usize = 16 * 1024;

/// `out = a b + beta out`, where `a` is `m x k`, `b` is `k x n` and `out` is a
/// contiguous `m x n` matrix.
///
/// # Panics
///
/// When a slice is too short for its dimensions (an engine bug).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm<T: Float>(
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
    assert!(
        a.len() >= m * k && b.len() >= k * n && out.len() >= m * n,
        "engine bug: gemm operands too short"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // An empty product is zero. With beta = 0 the output may hold stale
        // data, even NaN, which must not survive a multiplication by 0.
        if beta == T::ZERO {
            out[..m * n].fill(T::ZERO);
        } else {
            for o in out[..m * n].iter_mut() {
                *o *= beta;
            }
        }
        return;
    }
    if m * k * n <= SMALL_PRODUCT {
        small_gemm(m, k, n, a, a_layout, b, b_layout, beta, out);
        return;
    }
    // SAFETY: the assert above bounds every operand for the strides built by
    // `Layout`, and `out` is a distinct mutable borrow, so it aliases neither
    // input.
    unsafe {
        T::gemm(
            m,
            k,
            n,
            T::ONE,
            a.as_ptr(),
            a_layout.row_stride,
            a_layout.col_stride,
            b.as_ptr(),
            b_layout.row_stride,
            b_layout.col_stride,
            beta,
            out.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}
