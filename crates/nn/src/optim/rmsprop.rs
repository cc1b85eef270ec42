//! RMSProp: step sizes from a moving average of squared gradients.

use std::collections::HashMap;

use tensor::{Float, ParamId, Tensor};

use crate::optim::{check_grad, state_for, Optimizer};
use crate::param::Param;

/// Settings of [`RmsProp`] other than the learning rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsPropConfig {
    /// The decay of the moving average of squared gradients. Default `0.99`,
    /// PyTorch's `alpha`.
    pub rho: f64,
    /// Added to the denominator's square root to avoid division by zero.
    /// Default `1e-8`, as in PyTorch.
    pub eps: f64,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            rho: 0.99,
            eps: 1e-8,
        }
    }
}

/// RMSProp: `s = rho s + (1 - rho) g^2; w -= lr g / (sqrt(s) + eps)`,
/// elementwise, with the average `s` starting at 0.
///
/// Source: Tieleman and Hinton, "Lecture 6.5, rmsprop: Divide the gradient
/// by a running average of its recent magnitude" (COURSERA: Neural Networks
/// for Machine Learning, 2012). Unlike [`Adagrad`](crate::Adagrad), old
/// gradients fade, so the step size can grow again.
///
/// Matches PyTorch's `RMSprop` without momentum, centring or weight decay,
/// where `rho` is called `alpha`. As in PyTorch, `eps` is added after the
/// square root (TensorFlow adds it inside). There is no bias correction, so
/// with `s` starting at 0 the first steps are larger than `lr`: the first
/// moves each element with a nonzero gradient by about `lr / sqrt(1 - rho)`
/// (10 `lr` with the default `rho`).
#[derive(Clone, Debug)]
pub struct RmsProp<T: Float> {
    lr: T,
    rho: T,
    eps: T,
    mean_squares: HashMap<ParamId, Tensor<T>>,
}

impl<T: Float> RmsProp<T> {
    /// RMSProp with learning rate `lr` and the default [`RmsPropConfig`]
    /// (`rho = 0.99`, `eps = 1e-8`).
    pub fn new(lr: T) -> Self {
        Self::with_config(lr, RmsPropConfig::default())
    }

    /// RMSProp with learning rate `lr` and the given settings.
    pub fn with_config(lr: T, config: RmsPropConfig) -> Self {
        RmsProp {
            lr,
            rho: T::from_f64(config.rho),
            eps: T::from_f64(config.eps),
            mean_squares: HashMap::new(),
        }
    }
}

impl<T: Float> Optimizer<T> for RmsProp<T> {
    fn name(&self) -> &'static str {
        "rmsprop"
    }

    /// # Panics
    ///
    /// When `grad`'s shape differs from the parameter's.
    #[track_caller]
    fn update(&mut self, param: &mut Param<T>, grad: &Tensor<T>) {
        check_grad("RmsProp", param, grad);
        let (lr, rho, eps) = (self.lr, self.rho, self.eps);
        let mean_squares = state_for(&mut self.mean_squares, param);
        for ((w, s), &g) in param
            .value_mut()
            .data_mut()
            .iter_mut()
            .zip(mean_squares.data_mut())
            .zip(grad.data())
        {
            *s = rho * *s + (T::ONE - rho) * g * g;
            *w -= lr * g / (s.sqrt() + eps);
        }
    }
}
