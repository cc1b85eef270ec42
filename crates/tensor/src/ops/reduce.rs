//! Reductions: sum and mean over all elements or chosen axes.

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::reduce::{reduced_dims_drop, reduced_dims_keep, sum_axes_into};
use crate::op::{Axes, Op};
use crate::shape::{broadcast_strides, normalize_axis, numel};
use crate::tape::Pool;
use crate::tensor::Tensor;
use crate::var::Var;

/// A reduction over some axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    Sum,
    Mean,
}

impl ReduceOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Mean => "mean",
        }
    }
}

/// The gradient with respect to the input of a reduction over `axes`.
pub(crate) fn backward<T: Float>(
    op: ReduceOp,
    axes: &Axes,
    input: &Tensor<T>,
    _output: &Tensor<T>,
    grad: &Tensor<T>,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let dims = input.dims();
    let kept = reduced_dims_keep(dims, axes);
    // Every input element contributes once to its output slot, so the
    // gradient repeats dL/dy over the reduced axes; the mean divides it by
    // the number of elements reduced into each slot.
    let scale = match op {
        ReduceOp::Sum => T::ONE,
        ReduceOp::Mean => T::ONE / T::from_usize(numel(dims) / numel(&kept).max(1)),
    };
    let mut out = pool.tensor(dims);
    let g = grad.data();
    if g.len() == 1 {
        out.data_mut().fill(g[0] * scale);
        return out;
    }
    let strides = broadcast_strides(&kept, dims);
    let mut slot = out.data_mut().iter_mut();
    crate::kernels::broadcast::for_each_offset(dims, &strides, &strides, |offset, _| {
        if let Some(o) = slot.next() {
            *o = g[offset] * scale;
        }
    });
    out
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
            let mut out = inner.pool.tensor(&out_dims);
            sum_axes_into(input.value.data(), dims, &resolved, out.data_mut());
            if op == ReduceOp::Mean {
                let count = numel(dims) / numel(&out_dims).max(1);
                let scale = T::ONE / T::from_usize(count);
                out.data_mut().iter_mut().for_each(|v| *v *= scale);
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
        let rank = self.value().rank() as isize;
        let axes: Vec<isize> = (0..rank).collect();
        unwrap_op(self.try_reduce(ReduceOp::Sum, &axes, false))
    }

    /// The mean of all elements, as a rank-0 var.
    #[track_caller]
    pub fn mean(self) -> Self {
        let rank = self.value().rank() as isize;
        let axes: Vec<isize> = (0..rank).collect();
        unwrap_op(self.try_reduce(ReduceOp::Mean, &axes, false))
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
}
