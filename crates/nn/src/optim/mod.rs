//! Optimizers behind one trait, with state keyed by [`ParamId`](tensor::ParamId).

mod sgd;

pub use sgd::{Momentum, Sgd};

use tensor::{Float, Gradients, Tensor};

use crate::module::Module;
use crate::param::Param;

/// An update rule for parameters given their gradients.
pub trait Optimizer<T: Float> {
    /// The rule's name, as in `sgd` or `adam`.
    fn name(&self) -> &'static str;

    /// Called once at the start of each [`Optimizer::step`], before any
    /// parameter is updated; rules with a step counter advance it here.
    fn begin_step(&mut self) {}

    /// Updates one parameter in place from its gradient.
    fn update(&mut self, param: &mut Param<T>, grad: &Tensor<T>);

    /// Updates every parameter of `model` that received a gradient.
    /// Parameters without one are left as they are; see
    /// [`Gradients::params_without_grad`] to detect them.
    fn step(&mut self, model: &mut dyn Module<T>, grads: &Gradients<T>) {
        self.begin_step();
        model.visit_params_mut(&mut |param| {
            if let Some(grad) = grads.param(param.id()) {
                self.update(param, grad);
            }
        });
    }
}
