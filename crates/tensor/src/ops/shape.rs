//! Shape ops: reshape and broadcast_to.

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::broadcast::binary_into;
use crate::op::Op;
use crate::shape::{broadcast_shapes, numel, Shape};
use crate::var::Var;

impl<'t, T: Float> Var<'t, T> {
    /// The same row-major data under new dims with the same element count,
    /// returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::InvalidArgument`] when the element counts differ.
    #[track_caller]
    pub fn try_reshape(self, dims: &[usize]) -> Result<Self, TensorError> {
        let (value, requires_grad) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let input = &inner.nodes[self.id()];
            if numel(dims) != input.value.len() {
                return Err(TensorError::invalid(
                    "reshape",
                    input.value.dims(),
                    format!(
                        "cannot reshape {} elements to {dims:?} ({} elements); \
                         the new dims must multiply to the same count",
                        input.value.len(),
                        numel(dims)
                    ),
                ));
            }
            let mut out = inner.pool.tensor(dims);
            out.data_mut().copy_from_slice(input.value.data());
            (out, input.requires_grad)
        };
        Ok(self.record(Op::Reshape { input: self.id() }, value, requires_grad))
    }

    /// The same row-major data under new dims: `[2, 3]` to `[3, 2]` or `[6]`.
    ///
    /// # Panics
    ///
    /// When the element counts differ; see [`Var::try_reshape`].
    #[track_caller]
    pub fn reshape(self, dims: &[usize]) -> Self {
        unwrap_op(self.try_reshape(dims))
    }

    /// Repeats the value along broadcast axes to `dims`, under NumPy's rules,
    /// returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the shape does not broadcast to
    /// `dims`.
    #[track_caller]
    pub fn try_broadcast_to(self, dims: &[usize]) -> Result<Self, TensorError> {
        let (value, requires_grad, input_shape) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let input = &inner.nodes[self.id()];
            let in_dims = input.value.dims();
            let out_dims = broadcast_shapes("broadcast_to", in_dims, dims)?;
            if out_dims.as_slice() != dims {
                return Err(TensorError::shape_mismatch(
                    "broadcast_to",
                    in_dims,
                    dims,
                    "cannot be broadcast: the target is smaller than the input; \
                     the target must have every dimension of the input or 1 there"
                        .to_string(),
                ));
            }
            let mut out = inner.pool.tensor(dims);
            let zero = [T::ZERO];
            binary_into(
                input.value.data(),
                in_dims,
                &zero,
                &[],
                dims,
                out.data_mut(),
                |x, _| x,
            );
            (out, input.requires_grad, Shape::from_slice(in_dims))
        };
        Ok(self.record(
            Op::BroadcastTo {
                input: self.id(),
                input_shape,
            },
            value,
            requires_grad,
        ))
    }

    /// Repeats the value along broadcast axes to `dims`: `[3]` to `[2, 3]`,
    /// `[3, 1]` to `[3, 4]`. The gradient sums over the copies.
    ///
    /// # Panics
    ///
    /// When the shape does not broadcast to `dims`; see
    /// [`Var::try_broadcast_to`].
    #[track_caller]
    pub fn broadcast_to(self, dims: &[usize]) -> Self {
        unwrap_op(self.try_broadcast_to(dims))
    }
}
