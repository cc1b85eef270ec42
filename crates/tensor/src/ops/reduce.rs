//! Reductions: sum, mean, max and variance over all elements or chosen axes.

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::broadcast::for_each_offset;
use crate::kernels::reduce::{
    fold_axes, pairwise_sum, reduced_dims_drop, reduced_dims_keep, sum_axes_into,
};
use crate::op::{Axes, Op};
use crate::shape::{broadcast_strides, contiguous_strides, normalize_axis, numel};
use crate::tape::Pool;
use crate::tensor::Tensor;
use crate::var::Var;

/// A reduction over some axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    Sum,
    Mean,
    Max,
    /// The variance, dividing the sum of squared deviations by the element
    /// count minus `correction`.
    Var {
        correction: usize,
    },
}

impl ReduceOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
            ReduceOp::Max => "max",
            ReduceOp::Var { .. } => "var",
        }
    }
}

/// Computes the gradient with respect to the input of a reduction over
/// `axes`.
///
/// `output` contains the forward result. With or without kept axes, its data
/// is laid out as the input's shape with the reduced axes set to 1.
pub(crate) fn backward<T: Float>(
    op: ReduceOp,
    axes: &Axes,
    input: &Tensor<T>,
    output: &Tensor<T>,
    grad: &Tensor<T>,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let count = reduced_count(input.dims(), axes);
    match op {
        // d sum(x) / dx_i = 1
        ReduceOp::Sum => repeat_backward(axes, input, grad, T::ONE, pool),
        // d mean(x) / dx_i = 1 / n
        ReduceOp::Mean => {
            let scale = T::ONE / T::from_usize(count.max(1));
            repeat_backward(axes, input, grad, scale, pool)
        }
        ReduceOp::Max => max_backward(axes, input, output, grad, pool),
        ReduceOp::Var { correction } => var_backward(axes, input, grad, count, correction, pool),
    }
}

/// Counts the input elements that reduce into each output slot.
fn reduced_count(dims: &[usize], axes: &[usize]) -> usize {
    axes.iter().map(|&axis| dims[axis]).product()
}

/// Computes the gradient of a sum times `scale`: every input element contributes once
/// to its output slot, so the gradient repeats `dL/dy * scale` over the
/// reduced axes.
fn repeat_backward<T: Float>(
    axes: &Axes,
    input: &Tensor<T>,
    grad: &Tensor<T>,
    scale: T,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let dims = input.dims();
    let kept = reduced_dims_keep(dims, axes);
    let mut out = pool.tensor(dims);
    let g = grad.data();
    if g.len() == 1 {
        out.data_mut().fill(g[0] * scale);
        return out;
    }
    let strides = broadcast_strides(&kept, dims);
    let mut slot = out.data_mut().iter_mut();
    for_each_offset(dims, &strides, &strides, |offset, _| {
        if let Some(o) = slot.next() {
            *o = g[offset] * scale;
        }
    });
    out
}

/// Computes the gradient of a max. `d max(x) / dx_i` is 1 for the element
/// holding the max and 0 elsewhere. When `k` elements tie for the max, each
/// takes `1/k`, so the gradients still sum to `dL/dy` and no tied element is
/// favoured. The binary `maximum` splits its ties the same way.
fn max_backward<T: Float>(
    axes: &Axes,
    input: &Tensor<T>,
    output: &Tensor<T>,
    grad: &Tensor<T>,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let dims = input.dims();
    let kept = reduced_dims_keep(dims, axes);
    let in_strides = contiguous_strides(dims);
    let slot_strides = broadcast_strides(&kept, dims);
    let (x, y, g) = (input.data(), output.data(), grad.data());

    let mut ties = pool.scratch(y.len());
    ties.fill(T::ZERO);
    for_each_offset(dims, &in_strides, &slot_strides, |i, o| {
        if x[i] == y[o] {
            ties[o] += T::ONE;
        }
    });

    let mut out = pool.tensor(dims);
    let data = out.data_mut();
    for_each_offset(dims, &in_strides, &slot_strides, |i, o| {
        data[i] = if x[i] == y[o] {
            g[o] / ties[o]
        } else {
            T::ZERO
        };
    });
    pool.give(ties);
    out
}

/// Computes the gradient of the variance `v = sum_j (x_j - m)^2 / (n - c)` with
/// `m = mean(x)`: `dv/dx_i = 2 (x_i - m) / (n - c)`. The path through `m`
/// contributes nothing, because `sum_j (x_j - m) = 0`.
fn var_backward<T: Float>(
    axes: &Axes,
    input: &Tensor<T>,
    grad: &Tensor<T>,
    count: usize,
    correction: usize,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let dims = input.dims();
    let kept = reduced_dims_keep(dims, axes);
    let in_strides = contiguous_strides(dims);
    let slot_strides = broadcast_strides(&kept, dims);
    let (x, g) = (input.data(), grad.data());

    let mut means = pool.scratch(numel(&kept));
    mean_axes_into(x, dims, axes, count, &mut means);
    // Saturating: check_count lets count <= correction through only for an
    // empty output, where no element reads the scale.
    let scale = (T::ONE + T::ONE) / T::from_usize(count.saturating_sub(correction));

    let mut out = pool.tensor(dims);
    let data = out.data_mut();
    for_each_offset(dims, &in_strides, &slot_strides, |i, o| {
        data[i] = g[o] * scale * (x[i] - means[o]);
    });
    pool.give(means);
    out
}

/// Writes the mean over `axes` of `input` into `out` (the kept shape).
fn mean_axes_into<T: Float>(
    input: &[T],
    dims: &[usize],
    axes: &[usize],
    count: usize,
    out: &mut [T],
) {
    sum_axes_into(input, dims, axes, out);
    // An empty slot divides 0 by 0 and is NaN, as NumPy's mean of nothing.
    let scale = T::ONE / T::from_usize(count);
    out.iter_mut().for_each(|v| *v *= scale);
}

/// Writes the max over `axes` of `input` into `out` (the kept shape). A NaN
/// anywhere in a slot makes that slot NaN.
fn max_axes_into<T: Float>(input: &[T], dims: &[usize], axes: &[usize], out: &mut [T]) {
    out.fill(T::from_f64(f64::NEG_INFINITY));
    let kept = reduced_dims_keep(dims, axes);
    fold_axes(input, dims, &kept, out, |acc, x| acc.max(x));
}

/// Writes the variance over `axes` of `input` into `out` (the kept shape),
/// dividing by `count - correction`, with the means kept in a buffer of
/// `pool` meanwhile.
fn var_axes_into<T: Float>(
    input: &[T],
    dims: &[usize],
    axes: &[usize],
    count: usize,
    correction: usize,
    out: &mut [T],
    pool: &mut Pool<T>,
) {
    let kept = reduced_dims_keep(dims, axes);
    let mut means = pool.scratch(out.len());
    mean_axes_into(input, dims, axes, count, &mut means);

    // Two passes (mean, then squared deviations) rather than the one-pass
    // `E[x^2] - E[x]^2`, which cancels catastrophically when the mean is
    // large next to the spread.
    if out.len() == 1 {
        // One slot: the pairwise sum keeps large `f32` variances accurate.
        let mean = means[0];
        out[0] = pairwise_sum(input, |x| (x - mean) * (x - mean));
    } else {
        out.fill(T::ZERO);
        let in_strides = contiguous_strides(dims);
        let slot_strides = broadcast_strides(&kept, dims);
        for_each_offset(dims, &in_strides, &slot_strides, |i, o| {
            let deviation = input[i] - means[o];
            out[o] += deviation * deviation;
        });
    }
    // Saturating for an empty output, as in var_backward.
    let divisor = T::from_usize(count.saturating_sub(correction));
    out.iter_mut().for_each(|v| *v /= divisor);
    pool.give(means);
}

/// Checks that every output slot of `op` has enough elements: a max needs
/// at least one, a variance more than its correction.
fn check_count(
    op: ReduceOp,
    dims: &[usize],
    out_len: usize,
    count: usize,
) -> Result<(), TensorError> {
    if out_len == 0 {
        return Ok(());
    }
    match op {
        ReduceOp::Max if count == 0 => Err(TensorError::invalid(
            "max",
            dims,
            "the reduced axes have no elements, and the max of nothing is undefined; \
             reduce over non-empty axes"
                .to_string(),
        )),
        ReduceOp::Var { correction } if count <= correction => {
            // No correction helps when there is nothing to reduce.
            let fix = if count == 0 {
                "reduce over non-empty axes".to_string()
            } else {
                format!("reduce over more elements or use a correction below {count}")
            };
            Err(TensorError::invalid(
                "var",
                dims,
                format!(
                    "correction {correction} needs more than {correction} elements per \
                     output, but the reduced axes have {count}; {fix}"
                ),
            ))
        }
        _ => Ok(()),
    }
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn try_reduce(self, op: ReduceOp, axes: &[isize], keepdim: bool) -> Result<Self, TensorError> {
        let (value, requires_grad, axes) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let input = &inner.nodes[self.id()];
            let dims = input.value.dims();
            let mut resolved = Axes::new();
            for &axis in axes {
                let axis = normalize_axis(op.name(), axis, dims)?;
                if resolved.contains(&axis) {
                    return Err(TensorError::invalid(
                        op.name(),
                        dims,
                        format!("axis {axis} is listed twice; list each axis once"),
                    ));
                }
                resolved.push(axis);
            }
            resolved.sort_unstable();
            let out_dims = if keepdim {
                reduced_dims_keep(dims, &resolved)
            } else {
                reduced_dims_drop(dims, &resolved)
            };
            let count = reduced_count(dims, &resolved);
            check_count(op, dims, numel(&out_dims), count)?;

            let mut out = inner.pool.tensor(&out_dims);
            let data = input.value.data();
            match op {
                ReduceOp::Sum => sum_axes_into(data, dims, &resolved, out.data_mut()),
                ReduceOp::Mean => mean_axes_into(data, dims, &resolved, count, out.data_mut()),
                ReduceOp::Max => max_axes_into(data, dims, &resolved, out.data_mut()),
                ReduceOp::Var { correction } => var_axes_into(
                    data,
                    dims,
                    &resolved,
                    count,
                    correction,
                    out.data_mut(),
                    &mut inner.pool,
                ),
            }
            (out, input.requires_grad, resolved)
        };
        Ok(self.record(
            Op::Reduce {
                input: self.id(),
                op,
                axes,
            },
            value,
            requires_grad,
        ))
    }

    /// All axes of this var, for the whole-tensor reductions.
    fn all_axes(self) -> smallvec::SmallVec<[isize; 8]> {
        // Inline storage, so that reducing to a scalar does not allocate.
        let rank = self.value().rank() as isize;
        (0..rank).collect()
    }

    /// The sum of all elements, as a rank-0 var.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// assert_eq!(x.sum().item(), 10.0);
    /// ```
    #[track_caller]
    pub fn sum(self) -> Self {
        unwrap_op(self.try_reduce(ReduceOp::Sum, &self.all_axes(), false))
    }

    /// The mean of all elements, as a rank-0 var.
    #[track_caller]
    pub fn mean(self) -> Self {
        unwrap_op(self.try_reduce(ReduceOp::Mean, &self.all_axes(), false))
    }

    /// The sum over `axes` (negative axes count from the end). With
    /// `keepdim` the reduced axes stay as size 1, otherwise they are removed:
    /// `[2, 3, 4]` summed over `[1]` is `[2, 1, 4]` or `[2, 4]`.
    ///
    /// # Panics
    ///
    /// When an axis is out of range or listed twice.
    #[track_caller]
    pub fn sum_axes(self, axes: &[isize], keepdim: bool) -> Self {
        unwrap_op(self.try_reduce(ReduceOp::Sum, axes, keepdim))
    }

    /// The mean over `axes`, shaped as [`Var::sum_axes`].
    ///
    /// # Panics
    ///
    /// When an axis is out of range or listed twice.
    #[track_caller]
    pub fn mean_axes(self, axes: &[isize], keepdim: bool) -> Self {
        unwrap_op(self.try_reduce(ReduceOp::Mean, axes, keepdim))
    }

    /// The largest element, as a rank-0 var.
    ///
    /// The gradient flows to the element holding the max. When several
    /// elements tie for it, they split the gradient evenly (each of `k` tied
    /// elements receives `1/k` of it), as the binary [`Var::maximum`] does.
    ///
    /// # Panics
    ///
    /// When the var has no elements.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 3.0, 3.0, 2.0], &[4]));
    /// let y = x.max();
    /// assert_eq!(y.item(), 3.0);
    /// // The two tied maxima share the gradient.
    /// assert_eq!(y.backward().wrt(x).data(), &[0.0, 0.5, 0.5, 0.0]);
    /// ```
    #[track_caller]
    pub fn max(self) -> Self {
        unwrap_op(self.try_reduce(ReduceOp::Max, &self.all_axes(), false))
    }

    /// The max over `axes` (negative axes count from the end), shaped as
    /// [`Var::sum_axes`]: `[2, 3, 4]` over `[1]` is `[2, 1, 4]` with
    /// `keepdim`, else `[2, 4]`. Tied maxima split the gradient evenly, as in
    /// [`Var::max`].
    ///
    /// # Panics
    ///
    /// When an axis is out of range or listed twice, or a reduced axis has
    /// size 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 5.0, 2.0, 4.0, 0.0, 6.0], &[2, 3]));
    /// let rows = x.max_axes(&[-1], false);
    /// assert_eq!(rows.value().data(), &[5.0, 6.0]);
    /// assert_eq!(x.max_axes(&[0], true).value().dims(), &[1, 3]);
    /// ```
    #[track_caller]
    pub fn max_axes(self, axes: &[isize], keepdim: bool) -> Self {
        unwrap_op(self.try_reduce(ReduceOp::Max, axes, keepdim))
    }

    /// The variance of all elements, as a rank-0 var:
    /// `sum_i (x_i - mean(x))^2 / (n - correction)`.
    ///
    /// `correction = 0` gives the population variance (NumPy's default,
    /// `ddof=0`); `correction = 1` gives the unbiased sample variance
    /// (PyTorch's default, and `ddof=1` in NumPy). The gradient is
    /// `2 (x_i - mean(x)) / (n - correction)`.
    ///
    /// # Panics
    ///
    /// When the var has `correction` elements or fewer, so the divisor would
    /// be 0 or negative.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[4]));
    /// assert_eq!(x.var(0).item(), 1.25); // 5 / 4
    /// assert_eq!(x.var(1).item(), 5.0 / 3.0);
    /// ```
    #[track_caller]
    pub fn var(self, correction: usize) -> Self {
        unwrap_op(self.try_reduce(ReduceOp::Var { correction }, &self.all_axes(), false))
    }

    /// The variance over `axes` (negative axes count from the end), shaped
    /// as [`Var::sum_axes`], with `correction` as in [`Var::var`]: each
    /// output divides its sum of squared deviations by the number of elements
    /// reduced into it minus `correction`.
    ///
    /// # Panics
    ///
    /// When an axis is out of range or listed twice, or the reduced axes hold
    /// `correction` elements or fewer per output.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1.0, 3.0, 2.0, 2.0], &[2, 2]));
    /// let rows = x.var_axes(&[1], true, 0);
    /// assert_eq!(rows.value().dims(), &[2, 1]);
    /// assert_eq!(rows.value().data(), &[1.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn var_axes(self, axes: &[isize], keepdim: bool, correction: usize) -> Self {
        unwrap_op(self.try_reduce(ReduceOp::Var { correction }, axes, keepdim))
    }
}
