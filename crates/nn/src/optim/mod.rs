//! Optimizers behind one trait, with state keyed by [`ParamId`](tensor::ParamId).

mod adagrad;
mod adam;
mod nesterov;
mod rmsprop;
mod sgd;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig};
pub use nesterov::Nesterov;
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use sgd::{Momentum, Sgd};

use std::collections::HashMap;

use tensor::{Float, Gradients, ParamId, Tensor};

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
    ///
    /// # Panics
    ///
    /// Every optimizer of this crate panics when `grad`'s shape differs from
    /// the parameter's. Those that keep state per parameter also panic when
    /// that state has another shape, because the value was replaced by one
    /// of a new shape.
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

/// Panics unless `grad` has the shape of `param`'s value.
#[track_caller]
pub(crate) fn check_grad<T: Float>(optimizer: &str, param: &Param<T>, grad: &Tensor<T>) {
    if grad.dims() != param.value().dims() {
        panic!(
            "{optimizer}::update: the gradient's shape {:?} differs from the shape {:?} of \
             parameter `{}`; pass the gradient computed for this parameter",
            grad.dims(),
            param.value().dims(),
            param.name()
        );
    }
}

/// The state tensor of `param` in `states`, created as zeros of the
/// parameter's shape on first use.
///
/// # Panics
///
/// When the stored state has another shape, which happens only if the
/// parameter's value was replaced by a tensor of a different shape after
/// the optimizer first updated it.
#[track_caller]
pub(crate) fn state_for<'s, T: Float>(
    states: &'s mut HashMap<ParamId, Tensor<T>>,
    param: &Param<T>,
) -> &'s mut Tensor<T> {
    let dims = param.value().dims();
    let state = states
        .entry(param.id())
        .or_insert_with(|| Tensor::zeros(dims));
    if state.dims() != dims {
        panic!(
            "optimizer state of parameter `{}` has shape {:?} but the parameter now has \
             shape {:?}; use a new optimizer after changing a parameter's shape",
            param.name(),
            state.dims(),
            dims
        );
    }
    state
}
