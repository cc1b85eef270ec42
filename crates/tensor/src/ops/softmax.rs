//! Softmax and log-softmax along one axis.

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::op::Op;
use crate::shape::normalize_axis;
use crate::tape::Pool;
use crate::tensor::Tensor;
use crate::var::Var;

/// One lane along the softmax axis: element `j` is at flat index
/// `base + j * stride`.
#[derive(Clone, Copy)]
struct Lane {
    base: usize,
    stride: usize,
}

impl Lane {
    #[inline]
    fn at(self, j: usize) -> usize {
        self.base + j * self.stride
    }
}

/// Calls `f` for every lane along `axis` of a row-major `dims`.
fn for_each_lane(dims: &[usize], axis: usize, mut f: impl FnMut(Lane)) {
    let outer: usize = dims[..axis].iter().product();
    let len = dims[axis];
    let inner: usize = dims[axis + 1..].iter().product();
    for o in 0..outer {
        for i in 0..inner {
            f(Lane {
                base: o * len * inner + i,
                stride: inner,
            });
        }
    }
}

/// Writes softmax (or log-softmax, with `log`) of `x` along `axis` into
/// `out`.
///
/// Each lane subtracts its max before exponentiating, so `e^(x_j - max)` is
/// at most 1 and cannot overflow, and the sum is at least 1, so its logarithm
/// is finite: the result is finite for inputs of any finite magnitude.
fn forward_into<T: Float>(x: &[T], dims: &[usize], axis: usize, log: bool, out: &mut [T]) {
    let len = dims[axis];
    for_each_lane(dims, axis, |lane| {
        let mut max = T::from_f64(f64::NEG_INFINITY);
        for j in 0..len {
            max = max.max(x[lane.at(j)]);
        }
        let mut sum = T::ZERO;
        if log {
            for j in 0..len {
                let shifted = x[lane.at(j)] - max;
                out[lane.at(j)] = shifted;
                sum += shifted.exp();
            }
            // log_softmax(x)_j = (x_j - max) - ln(sum_k e^(x_k - max))
            let log_sum = sum.ln();
            for j in 0..len {
                out[lane.at(j)] -= log_sum;
            }
        } else {
            // Each exponential is computed once, kept, and scaled.
            for j in 0..len {
                let e = (x[lane.at(j)] - max).exp();
                out[lane.at(j)] = e;
                sum += e;
            }
            let scale = T::ONE / sum;
            for j in 0..len {
                out[lane.at(j)] *= scale;
            }
        }
    });
}

/// Computes the gradient with respect to the input of softmax (or log-softmax, with
/// `log`) along `axis`, from the output `y` and `dL/dy`.
pub(crate) fn backward<T: Float>(
    axis: usize,
    log: bool,
    output: &Tensor<T>,
    grad: &Tensor<T>,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let dims = output.dims();
    let len = dims[axis];
    let (y, g) = (output.data(), grad.data());
    let mut out = pool.tensor(dims);
    let dx = out.data_mut();
    for_each_lane(dims, axis, |lane| {
        if log {
            // d log_softmax(x)_j / dx_i = [i = j] - softmax(x)_i, so
            // dx_i = g_i - softmax(x)_i sum_j g_j, with softmax = e^y.
            let mut total = T::ZERO;
            for j in 0..len {
                total += g[lane.at(j)];
            }
            for i in 0..len {
                dx[lane.at(i)] = g[lane.at(i)] - y[lane.at(i)].exp() * total;
            }
        } else {
            // d softmax(x)_j / dx_i = y_j ([i = j] - y_i), so
            // dx_i = y_i (g_i - sum_j g_j y_j).
            let mut dot = T::ZERO;
            for j in 0..len {
                dot += g[lane.at(j)] * y[lane.at(j)];
            }
            for i in 0..len {
                dx[lane.at(i)] = y[lane.at(i)] * (g[lane.at(i)] - dot);
            }
        }
    });
    out
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn try_softmax(self, axis: isize, log: bool) -> Result<Self, TensorError> {
        let name = if log { "log_softmax" } else { "softmax" };
        let (value, requires_grad, axis) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let input = &inner.nodes[self.id()];
            let dims = input.value.dims();
            let axis = normalize_axis(name, axis, dims)?;

            let mut out = inner.pool.tensor(dims);
            forward_into(input.value.data(), dims, axis, log, out.data_mut());
            (out, input.requires_grad, axis)
        };
        let op = Op::Softmax {
            input: self.id(),
            axis,
            log,
        };
        Ok(self.record(op, value, requires_grad))
    }

    /// The softmax along `axis` (negative axes count from the end):
    /// `y_j = e^(x_j) / sum_k e^(x_k)` over each lane of that axis, so every
    /// lane of the output is positive and sums to 1. Shape: unchanged.
    ///
    /// The max of each lane is subtracted before exponentiating, so inputs of
    /// any finite magnitude (1000 and beyond) give finite values and
    /// gradients. The gradient is `dx_i = y_i (g_i - sum_j g_j y_j)`.
    ///
    /// # Panics
    ///
    /// When the axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![1000.0, 1000.0, 0.0, 0.0], &[2, 2]));
    /// let y = x.softmax(-1);
    /// assert_eq!(y.value().data(), &[0.5, 0.5, 0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn softmax(self, axis: isize) -> Self {
        unwrap_op(self.try_softmax(axis, false))
    }

    /// The logarithm of the softmax along `axis` (negative axes count from
    /// the end): `y_j = x_j - ln(sum_k e^(x_k))`, computed as
    /// `(x_j - max) - ln(sum_k e^(x_k - max))` so that it stays finite for
    /// inputs of any finite magnitude, where `softmax(x).ln()` would give
    /// `-inf`. Shape: unchanged.
    ///
    /// The gradient is `dx_i = g_i - softmax(x)_i sum_j g_j`.
    ///
    /// # Panics
    ///
    /// When the axis is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![0.0, -1000.0], &[2]));
    /// let y = x.log_softmax(0);
    /// assert_eq!(y.value().data(), &[0.0, -1000.0]);
    /// ```
    #[track_caller]
    pub fn log_softmax(self, axis: isize) -> Self {
        unwrap_op(self.try_softmax(axis, true))
    }
}
