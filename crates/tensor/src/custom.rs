//! User-defined differentiable ops.

use std::rc::Rc;

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::op::Op;
use crate::tensor::Tensor;
use crate::var::Var;

/// A differentiable op defined outside this crate: its forward value and
/// its backward rule in one impl.
///
/// [`Var::apply`] records it on the tape like a built-in op, and
/// [`Var::backward`] calls [`CustomOp::backward`] when the reverse walk
/// reaches it. An extension trait on [`Var`] then makes it read like a
/// built-in method.
///
/// # Examples
///
/// The swish activation `x sigmoid(x)`, whose derivative is
/// `s + x s (1 - s)` with `s = sigmoid(x)`:
///
/// ```
/// use tensor::{gradcheck, CustomOp, Tape, Tensor, TensorError, Var};
///
/// struct Swish;
///
/// fn sigmoid(x: f64) -> f64 {
///     1.0 / (1.0 + (-x).exp())
/// }
///
/// impl CustomOp<f64> for Swish {
///     fn name(&self) -> &'static str {
///         "swish"
///     }
///
///     fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
///         Ok(inputs[0].map(|x| x * sigmoid(x)))
///     }
///
///     fn backward(
///         &self,
///         inputs: &[&Tensor<f64>],
///         _output: &Tensor<f64>,
///         grad_output: &Tensor<f64>,
///     ) -> Vec<Option<Tensor<f64>>> {
///         let x = inputs[0];
///         let grad = Tensor::from_fn(x.dims(), |i| {
///             let (x, s) = (x.data()[i], sigmoid(x.data()[i]));
///             grad_output.data()[i] * (s + x * s * (1.0 - s))
///         });
///         vec![Some(grad)]
///     }
/// }
///
/// let report = gradcheck(
///     |vars| Var::apply(Swish, &[vars[0]]).sum(),
///     &[Tensor::new(vec![-2.0, -0.5, 0.0, 1.5], &[4])],
/// )
/// .unwrap();
/// assert!(report.max_abs_error < 1e-8);
/// ```
pub trait CustomOp<T: Float>: 'static {
    /// The op's name, used in error messages, anomaly reports and printed
    /// tapes.
    fn name(&self) -> &'static str;

    /// Computes the output from the input values.
    ///
    /// # Errors
    ///
    /// Whatever the op decides, typically a [`TensorError`] built with
    /// [`TensorError::shape_mismatch`] when the inputs' shapes do not fit.
    fn forward(&self, inputs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError>;

    /// Returns, for each input in order, the gradient of the loss with
    /// respect to it, given the gradient `grad_output` with respect to the
    /// output. Each returned gradient must have its input's shape; `None`
    /// means the op is constant in that input.
    fn backward(
        &self,
        inputs: &[&Tensor<T>],
        output: &Tensor<T>,
        grad_output: &Tensor<T>,
    ) -> Vec<Option<Tensor<T>>>;
}

/// Panics, naming the op, when a custom backward rule returned the wrong
/// number of gradients or a gradient of the wrong shape.
pub(crate) fn check_backward<T: Float>(
    name: &str,
    inputs: &[&Tensor<T>],
    grads: &[Option<Tensor<T>>],
) {
    if grads.len() != inputs.len() {
        panic!(
            "custom op `{name}`: backward returned {} gradients for {} inputs; return one \
             (or None) per input",
            grads.len(),
            inputs.len()
        );
    }
    for (position, (input, grad)) in inputs.iter().zip(grads).enumerate() {
        if let Some(grad) = grad {
            if grad.shape() != input.shape() {
                panic!(
                    "custom op `{name}`: backward returned a gradient of shape {:?} for input \
                     {position} of shape {:?}; each gradient must have its input's shape",
                    grad.dims(),
                    input.dims()
                );
            }
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Records a user-defined op applied to `inputs`, returning the error of
    /// its forward pass instead of panicking.
    ///
    /// # Errors
    ///
    /// The error that [`CustomOp::forward`] returns.
    ///
    /// # Panics
    ///
    /// When `inputs` is empty or its vars are on different tapes.
    #[track_caller]
    pub fn try_apply(
        op: impl CustomOp<T>,
        inputs: &[Var<'t, T>],
    ) -> Result<Var<'t, T>, TensorError> {
        let Some(&first) = inputs.first() else {
            panic!(
                "custom op `{}`: no inputs given; pass at least one var",
                op.name()
            );
        };
        for &input in inputs {
            first.check_same_tape(input, op.name());
        }
        let (value, requires_grad) = {
            let inner = first.tape().inner.borrow();
            let values: Vec<&Tensor<T>> =
                inputs.iter().map(|v| &inner.nodes[v.id()].value).collect();
            let value = op.forward(&values)?;
            (
                value,
                inputs.iter().any(|v| inner.nodes[v.id()].requires_grad),
            )
        };
        let op = Op::Custom {
            inputs: inputs.iter().map(|v| v.id()).collect(),
            op: Rc::new(op),
        };
        Ok(first.record(op, value, requires_grad))
    }

    /// Records a user-defined op applied to `inputs`. See [`CustomOp`].
    ///
    /// # Panics
    ///
    /// When `inputs` is empty, its vars are on different tapes, or the op's
    /// forward pass returns an error.
    #[track_caller]
    pub fn apply(op: impl CustomOp<T>, inputs: &[Var<'t, T>]) -> Var<'t, T> {
        unwrap_op(Self::try_apply(op, inputs))
    }
}
