//! Reductions over axes, and the one helper that reduces a broadcast
//! gradient back to its operand's shape.

use crate::float::Float;
use crate::kernels::broadcast::{for_each_offset, is_suffix};
use crate::shape::{contiguous_strides, Shape};

/// The dims left after reducing `axes` of `dims` with kept (size-1) axes.
pub(crate) fn reduced_dims_keep(dims: &[usize], axes: &[usize]) -> Shape {
    dims.iter()
        .enumerate()
        .map(|(axis, &d)| if axes.contains(&axis) { 1 } else { d })
        .collect()
}

/// The dims left after reducing `axes` of `dims` with the axes removed.
pub(crate) fn reduced_dims_drop(dims: &[usize], axes: &[usize]) -> Shape {
    dims.iter()
        .enumerate()
        .filter(|(axis, _)| !axes.contains(axis))
        .map(|(_, &d)| d)
        .collect()
}

/// Folds every element of `input` (shape `dims`) into the output slot it
/// reduces to; `kept` is `dims` with the reduced axes set to 1, and `out`
/// holds `numel(kept)` elements already initialised to the fold's start.
pub(crate) fn fold_axes<T: Float>(
    input: &[T],
    dims: &[usize],
    kept: &[usize],
    out: &mut [T],
    f: impl Fn(T, T) -> T,
) {
    // Out strides with 0 on reduced axes: every input element on a reduced
    // axis lands on the same output slot.
    let own = contiguous_strides(kept);
    let out_strides: Shape = kept
        .iter()
        .zip(dims.iter())
        .zip(own.iter())
        .map(|((&k, &d), &s)| if k == 1 && d != 1 { 0 } else { s })
        .collect();
    let in_strides = contiguous_strides(dims);
    for_each_offset(dims, &in_strides, &out_strides, |i, o| {
        out[o] = f(out[o], input[i]);
    });
}

/// Sums `input` over `axes` into `out` (shape `reduced_dims_keep`), which
/// this overwrites.
pub(crate) fn sum_axes_into<T: Float>(input: &[T], dims: &[usize], axes: &[usize], out: &mut [T]) {
    out.fill(T::ZERO);
    if out.len() == 1 {
        out[0] = pairwise_sum(input, |x| x);
        return;
    }
    // NOTE: each output slot accumulates in order here, so its rounding
    // error grows linearly with the reduced count, unlike the whole-tensor
    // sum above.
    let kept = reduced_dims_keep(dims, axes);
    fold_axes(input, dims, &kept, out, |acc, x| acc + x);
}

/// The sum of `f(x)` over `values` by pairwise (cascade) summation, as
/// NumPy sums: blocks of up to 128 elements are summed in order, and the
/// block sums are added in a balanced tree. The rounding error then grows
/// with the logarithm of the length instead of the length, which keeps a
/// million-element `f32` sum accurate to a few units in the last place.
pub(crate) fn pairwise_sum<T: Float>(values: &[T], f: impl Fn(T) -> T + Copy) -> T {
    const BLOCK: usize = 128;
    if values.len() <= BLOCK {
        return values.iter().fold(T::ZERO, |acc, &x| acc + f(x));
    }
    let (left, right) = values.split_at(values.len() / 2);
    pairwise_sum(left, f) + pairwise_sum(right, f)
}

/// Reduces a gradient of the broadcast shape `grad_dims` to the shape
/// `target` of the operand that was broadcast, by summing over every axis
/// that broadcasting added or stretched. `out` holds `numel(target)`
/// elements and is overwritten.
///
/// This is the only place a backward rule undoes broadcasting: the gradient
/// of `y = broadcast(x)` with respect to `x` sums `dy` over the copies.
pub(crate) fn reduce_to_shape_into<T: Float>(
    grad: &[T],
    grad_dims: &[usize],
    target: &[usize],
    out: &mut [T],
) {
    if out.len() == grad.len() {
        out.copy_from_slice(grad);
        return;
    }
    if out.len() == 1 {
        out[0] = pairwise_sum(grad, |g| g);
        return;
    }
    // A bias row: sum the gradient's rows.
    if is_suffix(target, grad_dims) {
        out.fill(T::ZERO);
        for row in grad.chunks_exact(out.len()) {
            for (o, &g) in out.iter_mut().zip(row) {
                *o += g;
            }
        }
        return;
    }
    let pad = grad_dims.len() - target.len();
    let axes: Shape = (0..grad_dims.len())
        .filter(|&axis| axis < pad || (target[axis - pad] == 1 && grad_dims[axis] != 1))
        .collect();
    sum_axes_into(grad, grad_dims, &axes, out);
}
