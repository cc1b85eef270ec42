//! Plain gradient descent and momentum.

use std::collections::HashMap;

use tensor::{Float, ParamId, Tensor};

use crate::optim::{check_grad, state_for, Optimizer};
use crate::param::Param;

/// Gradient descent: `w -= lr * g`. With the whole data set as one batch,
/// this is full-batch gradient descent.
#[derive(Clone, Debug)]
pub struct Sgd<T: Float> {
    lr: T,
}

impl<T: Float> Sgd<T> {
    /// Gradient descent with learning rate `lr`.
    pub fn new(lr: T) -> Self {
        Sgd { lr }
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn name(&self) -> &'static str {
        "sgd"
    }

    #[track_caller]
    fn update(&mut self, param: &mut Param<T>, grad: &Tensor<T>) {
        check_grad("Sgd", param, grad);
        let lr = self.lr;
        for (w, &g) in param.value_mut().data_mut().iter_mut().zip(grad.data()) {
            *w -= lr * g;
        }
    }
}

/// Momentum in the form `v = mu v + lr g; w -= v`, with `v` starting at 0.
///
/// PyTorch's `SGD(momentum=mu)` keeps `v = mu v + g` and steps `w -= lr v`
/// instead; the two agree while `lr` is constant.
#[derive(Clone, Debug)]
pub struct Momentum<T: Float> {
    lr: T,
    mu: T,
    velocity: HashMap<ParamId, Tensor<T>>,
}

impl<T: Float> Momentum<T> {
    /// Momentum with learning rate `lr` and decay `mu` (0.9 is usual).
    pub fn new(lr: T, mu: T) -> Self {
        Momentum {
            lr,
            mu,
            velocity: HashMap::new(),
        }
    }
}

impl<T: Float> Optimizer<T> for Momentum<T> {
    fn name(&self) -> &'static str {
        "momentum"
    }

    #[track_caller]
    fn update(&mut self, param: &mut Param<T>, grad: &Tensor<T>) {
        check_grad("Momentum", param, grad);
        let (lr, mu) = (self.lr, self.mu);
        let v = state_for(&mut self.velocity, param);
        for ((w, v), &g) in param
            .value_mut()
            .data_mut()
            .iter_mut()
            .zip(v.data_mut())
            .zip(grad.data())
        {
            *v = mu * *v + lr * g;
            *w -= *v;
        }
    }
}
