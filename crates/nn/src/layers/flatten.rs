//! The flatten layer.

use tensor::{Float, Shape, TensorError, Var};

use crate::module::Module;
use crate::param::Param;

/// Reshapes `[batch, d1, d2, ...]` to `[batch, d1 * d2 * ...]`, keeping the
/// row-major order, so a convolution's output can feed a [`Dense`] layer.
/// A `[batch]` input becomes `[batch, 1]`. It has no parameters.
///
/// [`Dense`]: crate::Dense
///
/// # Examples
///
/// ```
/// use nn::{Flatten, Module};
/// use tensor::{Tape, Tensor};
///
/// let tape = Tape::<f64>::new();
/// let x = tape.constant(Tensor::zeros(&[4, 3, 2, 5]));
/// assert_eq!(Flatten.forward(x).value().dims(), &[4, 30]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flatten;

impl Flatten {
    /// `[batch, product of the other dims]`.
    fn flattened(input: &[usize]) -> Result<[usize; 2], TensorError> {
        match input.split_first() {
            Some((&batch, rest)) => Ok([batch, rest.iter().product()]),
            None => Err(TensorError::invalid(
                "Flatten",
                input,
                "the input is a scalar; pass at least a [batch] tensor".to_string(),
            )),
        }
    }
}

impl<T: Float> Module<T> for Flatten {
    /// # Panics
    ///
    /// When the input is a scalar (rank 0).
    #[track_caller]
    fn forward<'t>(&self, input: Var<'t, T>) -> Var<'t, T> {
        match Self::flattened(&input.shape()) {
            Ok(dims) => input.reshape(&dims),
            Err(err) => panic!("{err}"),
        }
    }

    fn visit_params<'a>(&'a self, _f: &mut dyn FnMut(&'a Param<T>)) {}

    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(&mut Param<T>)) {}

    /// `[batch, product of the other dims]`.
    fn output_shape(&self, input: &[usize]) -> Result<Shape, TensorError> {
        Self::flattened(input).map(|dims| Shape::from_slice(&dims))
    }

    fn describe(&self) -> String {
        "Flatten".to_string()
    }
}
