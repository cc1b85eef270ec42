//! The fully connected layer.

use rand::Rng;
use tensor::{AffineActivation, Float, Shape, Tensor, TensorError, Var};

use crate::init::Init;
use crate::layers::Activation;
use crate::module::Module;
use crate::param::Param;

/// A fully connected layer `y = x W + b`.
///
/// Shapes: input `[batch, in]` or `[batch, rows, in]`, weight `[in, out]`,
/// bias `[out]`, output the input's shape with `out` last. The bias
/// broadcasts over the other axes, so its gradient is the upstream gradient
/// summed over them, one entry per unit.
#[derive(Clone, Debug)]
pub struct Dense<T: Float> {
    weight: Param<T>,
    bias: Param<T>,
}

impl<T: Float> Dense<T> {
    /// A layer with weights drawn by `init` and zero biases.
    pub fn new<R: Rng + ?Sized>(inputs: usize, outputs: usize, init: Init, rng: &mut R) -> Self {
        let weight = init.sample(&[inputs, outputs], inputs, outputs, rng);
        Dense {
            weight: Param::new("weight", weight),
            bias: Param::new("bias", Tensor::zeros(&[outputs])),
        }
    }

    /// A layer with the given weight `[in, out]` and bias `[out]`.
    ///
    /// # Panics
    ///
    /// When the weight is not 2-D or the bias length differs from the
    /// weight's column count.
    #[track_caller]
    pub fn from_tensors(weight: Tensor<T>, bias: Tensor<T>) -> Self {
        if weight.rank() != 2 || bias.dims() != [weight.dims()[1]] {
            panic!(
                "Dense::from_tensors: weight {:?} and bias {:?} do not fit; pass a weight \
                 [in, out] and a bias [out]",
                weight.dims(),
                bias.dims()
            );
        }
        Dense {
            weight: Param::new("weight", weight),
            bias: Param::new("bias", bias),
        }
    }

    /// The weight, `[in, out]`.
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// The bias, `[out]`.
    pub fn bias(&self) -> &Param<T> {
        &self.bias
    }

    /// The number of input features.
    pub fn inputs(&self) -> usize {
        self.weight.value().dims()[0]
    }

    /// The number of output features.
    pub fn outputs(&self) -> usize {
        self.weight.value().dims()[1]
    }
}

impl<T: Float> Module<T> for Dense<T> {
    #[track_caller]
    fn forward<'t>(&self, input: Var<'t, T>) -> Var<'t, T> {
        let tape = input.tape();
        input.affine(self.weight.on(tape), self.bias.on(tape))
    }

    /// Records one `affine_sigmoid`, `affine_tanh` or `affine_relu` node
    /// for those activations, and returns `None` for the others.
    #[track_caller]
    fn forward_activated<'t>(
        &self,
        input: Var<'t, T>,
        activation: Activation,
    ) -> Option<Var<'t, T>> {
        let fused = match activation {
            Activation::Sigmoid => AffineActivation::Sigmoid,
            Activation::Tanh => AffineActivation::Tanh,
            Activation::Relu => AffineActivation::Relu,
            Activation::LeakyRelu { .. } | Activation::Identity => return None,
        };
        let tape = input.tape();
        Some(input.affine_activation(self.weight.on(tape), self.bias.on(tape), fused))
    }

    fn visit_params<'a>(&'a self, f: &mut dyn FnMut(&'a Param<T>)) {
        f(&self.weight);
        f(&self.bias);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<T>)) {
        f(&mut self.weight);
        f(&mut self.bias);
    }

    fn describe(&self) -> String {
        format!("Dense({} -> {})", self.inputs(), self.outputs())
    }

    /// `[batch, out]` for an input `[batch, in]`, and `[batch, rows, out]`
    /// for `[batch, rows, in]`, as `matmul` allows.
    fn output_shape(&self, input: &[usize]) -> Result<Shape, TensorError> {
        let (inputs, outputs) = (self.inputs(), self.outputs());
        match input {
            [.., last] if (2..=3).contains(&input.len()) && *last == inputs => {
                let mut output = Shape::from_slice(input);
                output[input.len() - 1] = outputs;
                Ok(output)
            }
            _ => Err(TensorError::shape_mismatch(
                "Dense",
                input,
                self.weight.value().dims(),
                format!(
                    "do not fit: a weight [{inputs}, {outputs}] takes an input [batch, {inputs}] \
                     or [batch, rows, {inputs}], so give the input {inputs} features in its \
                     last dimension"
                ),
            )),
        }
    }
}
