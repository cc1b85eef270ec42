//! Activation functions as modules.

use tensor::{Float, Shape, TensorError, Var};

use crate::module::Module;
use crate::param::Param;

/// An elementwise activation function, as a module without parameters.
/// Shape: unchanged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `tanh(x)`.
    Tanh,
    /// `max(x, 0)`, with gradient 0 at exactly 0.
    Relu,
    /// `x` for `x > 0`, else `slope * x`.
    LeakyRelu {
        /// The slope for negative inputs, typically 0.01.
        slope: f64,
    },
    /// `x`: no activation.
    Identity,
}

impl Activation {
    /// The activation's lowercase name: `sigmoid`, `tanh`, `relu`,
    /// `leaky_relu` or `identity`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Identity => "identity",
        }
    }

    /// Applies the activation to a var.
    #[track_caller]
    pub fn apply<'t, T: Float>(self, x: Var<'t, T>) -> Var<'t, T> {
        match self {
            Activation::Sigmoid => x.sigmoid(),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
            Activation::LeakyRelu { slope } => x.leaky_relu(T::from_f64(slope)),
            Activation::Identity => x,
        }
    }
}

impl<T: Float> Module<T> for Activation {
    fn forward<'t>(&self, input: Var<'t, T>) -> Var<'t, T> {
        self.apply(input)
    }

    fn visit_params<'a>(&'a self, _f: &mut dyn FnMut(&'a Param<T>)) {}

    fn visit_params_mut(&mut self, _f: &mut dyn FnMut(&mut Param<T>)) {}

    fn as_activation(&self) -> Option<Activation> {
        Some(*self)
    }

    /// The input shape: activations apply elementwise.
    fn output_shape(&self, input: &[usize]) -> Result<Shape, TensorError> {
        Ok(Shape::from_slice(input))
    }

    fn describe(&self) -> String {
        match self {
            Activation::LeakyRelu { slope } => format!("LeakyRelu({slope})"),
            other => {
                let name = other.name();
                let mut chars = name.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
        }
    }
}
