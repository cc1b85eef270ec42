//! Elementwise kernels over NumPy-broadcast operands.

use crate::float::Float;
use crate::shape::{broadcast_strides, numel};

/// Calls `f(offset_a, offset_b)` for every element of the row-major `dims`,
/// in order, with offsets computed from the two stride arrays.
///
/// The last axis runs in an inner loop so that the common cases (contiguous
/// or stride-0 rows) cost one add per element.
pub(crate) fn for_each_offset(
    dims: &[usize],
    strides_a: &[usize],
    strides_b: &[usize],
    mut f: impl FnMut(usize, usize),
) {
    let total = numel(dims);
    if total == 0 {
        return;
    }
    if dims.is_empty() {
        f(0, 0);
        return;
    }
    let rank = dims.len();
    let inner = dims[rank - 1];
    let inner_a = strides_a[rank - 1];
    let inner_b = strides_b[rank - 1];
    let mut index = [0usize; 16];
    assert!(
        rank <= 16,
        "tensors of rank above 16 are not supported (rank {rank})"
    );
    let (mut base_a, mut base_b) = (0usize, 0usize);
    let rows = total / inner;
    for _ in 0..rows {
        let (mut off_a, mut off_b) = (base_a, base_b);
        for _ in 0..inner {
            f(off_a, off_b);
            off_a += inner_a;
            off_b += inner_b;
        }
        // Advance the odometer over the outer axes.
        let mut axis = rank - 1;
        while axis > 0 {
            axis -= 1;
            index[axis] += 1;
            base_a += strides_a[axis];
            base_b += strides_b[axis];
            if index[axis] < dims[axis] {
                break;
            }
            base_a -= strides_a[axis] * dims[axis];
            base_b -= strides_b[axis] * dims[axis];
            index[axis] = 0;
        }
    }
}

/// Writes `f(a, b)` for every element of the broadcast shape `out_dims` into
/// `out`, which must hold `numel(out_dims)` elements.
pub(crate) fn binary_into<T: Float>(
    a: &[T],
    a_dims: &[usize],
    b: &[T],
    b_dims: &[usize],
    out_dims: &[usize],
    out: &mut [T],
    f: impl Fn(T, T) -> T,
) {
    // Fast paths: equal shapes, and a scalar on either side. Equal shapes
    // take the first only when they also fill `out`, because broadcast_to
    // passes a rank-0 input and a rank-0 dummy operand with a larger `out`,
    // which the general path below fills.
    if a_dims == b_dims && a.len() == out.len() {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = f(x, y);
        }
        return;
    }
    if b.len() == 1 && a.len() == out.len() {
        let y = b[0];
        for (o, &x) in out.iter_mut().zip(a) {
            *o = f(x, y);
        }
        return;
    }
    if a.len() == 1 && b.len() == out.len() {
        let x = a[0];
        for (o, &y) in out.iter_mut().zip(b) {
            *o = f(x, y);
        }
        return;
    }
    // A row vector broadcast over the rows of a matrix, as in `x W + b`.
    if a.len() == out.len()
        && !b.is_empty()
        && out.len().is_multiple_of(b.len())
        && is_suffix(b_dims, out_dims)
    {
        for (out_row, a_row) in out.chunks_exact_mut(b.len()).zip(a.chunks_exact(b.len())) {
            for ((o, &x), &y) in out_row.iter_mut().zip(a_row).zip(b) {
                *o = f(x, y);
            }
        }
        return;
    }
    let strides_a = broadcast_strides(a_dims, out_dims);
    let strides_b = broadcast_strides(b_dims, out_dims);
    let mut slot = out.iter_mut();
    for_each_offset(out_dims, &strides_a, &strides_b, |ia, ib| {
        if let Some(o) = slot.next() {
            *o = f(a[ia], b[ib]);
        }
    });
}

/// `true` when `dims`, without leading ones, equals the trailing dimensions
/// of `out`, so that a contiguous `dims` operand repeats once per outer row.
pub(crate) fn is_suffix(dims: &[usize], out: &[usize]) -> bool {
    let first = dims.iter().position(|&d| d != 1).unwrap_or(dims.len());
    let trimmed = &dims[first..];
    trimmed.len() <= out.len() && out[out.len() - trimmed.len()..] == *trimmed
}
