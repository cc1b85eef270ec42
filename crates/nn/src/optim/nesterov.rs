//! Nesterov's accelerated gradient in the momentum form.

use std::collections::HashMap;

use tensor::{Float, ParamId, Tensor};

use crate::optim::{check_grad, state_for, Optimizer};
use crate::param::Param;

/// Nesterov momentum: `v = mu v + lr g; w -= mu v + lr g`, with `v`
/// starting at 0 and the new `v` on the right of the second assignment.
///
/// Source: Sutskever, Martens, Dahl and Hinton, "On the importance of
/// initialization and momentum in deep learning" (ICML 2013), which writes
/// Nesterov's method as `v = mu v - lr grad(w + mu v); w += v`, with the
/// gradient taken at the look-ahead point `w + mu v`. Tracking the look-ahead
/// point instead of `w` turns that into the rule above, in which the gradient
/// is taken at the stored parameters, so one forward and backward pass per
/// step is enough.
///
/// Compared with [`Momentum`](crate::Momentum) (`v = mu v + lr g; w -= v`),
/// the step adds the fresh gradient once more on top of the decayed
/// velocity: `w -= mu v_new + lr g` instead of `w -= v_new`.
///
/// PyTorch's `SGD(momentum=mu, nesterov=True)` keeps `b = mu b + g` and
/// steps `w -= lr (g + mu b)`. With `v = lr b` the two are the same rule
/// while `lr` is constant. They differ only if the learning rate changes
/// during training, because this form folds `lr` into the velocity.
#[derive(Clone, Debug)]
pub struct Nesterov<T: Float> {
    lr: T,
    mu: T,
    velocity: HashMap<ParamId, Tensor<T>>,
}

impl<T: Float> Nesterov<T> {
    /// Nesterov momentum with learning rate `lr` and decay `mu` (0.9 is
    /// usual).
    pub fn new(lr: T, mu: T) -> Self {
        Nesterov {
            lr,
            mu,
            velocity: HashMap::new(),
        }
    }
}

impl<T: Float> Optimizer<T> for Nesterov<T> {
    fn name(&self) -> &'static str {
        "nesterov"
    }

    /// # Panics
    ///
    /// When `grad`'s shape differs from the parameter's.
    #[track_caller]
    fn update(&mut self, param: &mut Param<T>, grad: &Tensor<T>) {
        check_grad("Nesterov", param, grad);
        let (lr, mu) = (self.lr, self.mu);
        let velocity = state_for(&mut self.velocity, param);
        for ((w, v), &g) in param
            .value_mut()
            .data_mut()
            .iter_mut()
            .zip(velocity.data_mut())
            .zip(grad.data())
        {
            *v = mu * *v + lr * g;
            *w -= mu * *v + lr * g;
        }
    }
}
