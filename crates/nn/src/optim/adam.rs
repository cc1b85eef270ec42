//! Adam: moving averages of the gradient and its square, bias-corrected.

use std::collections::HashMap;

use tensor::{Float, ParamId, Tensor};

use crate::optim::{check_grad, state_for, Optimizer};
use crate::param::Param;

/// Settings of [`Adam`] other than the learning rate. The defaults are those
/// of Kingma and Ba (2015) and of PyTorch's `Adam`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// The decay of the first-moment (mean) estimate. Default `0.9`.
    pub beta1: f64,
    /// The decay of the second-moment (uncentred variance) estimate.
    /// Default `0.999`.
    pub beta2: f64,
    /// Added to the denominator's square root to avoid division by zero.
    /// Default `1e-8`.
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Adam, elementwise at step `t` (counting from 1):
///
/// ```text
/// m = beta1 m + (1 - beta1) g
/// v = beta2 v + (1 - beta2) g^2
/// w -= lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
/// ```
///
/// with `m` and `v` starting at 0. Dividing by `1 - beta^t` corrects the
/// averages' bias towards their zero start.
///
/// Source: Kingma and Ba, "Adam: A Method for Stochastic Optimization"
/// (ICLR 2015), Algorithm 1. PyTorch's `Adam` (without weight decay or
/// AMSGrad) computes the same rule, also with `eps` outside the square root.
///
/// One difference from PyTorch: the step counter `t` belongs to the
/// optimizer and advances once per [`Optimizer::step`], in
/// [`Optimizer::begin_step`], while PyTorch keeps one counter per parameter
/// that advances only when that parameter has a gradient. The two agree
/// whenever every parameter receives a gradient at every step.
#[derive(Clone, Debug)]
pub struct Adam<T: Float> {
    lr: T,
    config: AdamConfig,
    step: u64,
    first_moments: HashMap<ParamId, Tensor<T>>,
    second_moments: HashMap<ParamId, Tensor<T>>,
}

impl<T: Float> Adam<T> {
    /// Adam with learning rate `lr` (PyTorch's default is `1e-3`) and the
    /// default [`AdamConfig`] (`beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`).
    pub fn new(lr: T) -> Self {
        Self::with_config(lr, AdamConfig::default())
    }

    /// Adam with learning rate `lr` and the given settings.
    pub fn with_config(lr: T, config: AdamConfig) -> Self {
        Adam {
            lr,
            config,
            step: 0,
            first_moments: HashMap::new(),
            second_moments: HashMap::new(),
        }
    }

    /// Returns the number of steps begun so far: `t` in the update rule.
    pub fn steps(&self) -> u64 {
        self.step
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn name(&self) -> &'static str {
        "adam"
    }

    /// Advances the step counter `t`.
    fn begin_step(&mut self) {
        self.step += 1;
    }

    /// # Panics
    ///
    /// When `grad`'s shape differs from the parameter's, or when no step has
    /// begun (`update` called before the first [`Optimizer::begin_step`]),
    /// because the bias correction divides by `1 - beta1^t`, which is 0 at
    /// `t = 0`.
    #[track_caller]
    fn update(&mut self, param: &mut Param<T>, grad: &Tensor<T>) {
        check_grad("Adam", param, grad);
        if self.step == 0 {
            panic!(
                "Adam::update: no step has begun, so the bias correction would divide by \
                 zero; call Optimizer::step, or Optimizer::begin_step once before the \
                 updates of each step"
            );
        }

        // The corrections are computed in f64, as PyTorch computes them in
        // Python floats, then applied as a step size and a divisor.
        let t = i32::try_from(self.step).unwrap_or(i32::MAX);
        let AdamConfig { beta1, beta2, eps } = self.config;
        let step_size = self.lr / T::from_f64(1.0 - beta1.powi(t));
        let correction2_sqrt = T::from_f64((1.0 - beta2.powi(t)).sqrt());
        let (beta1, beta2, eps) = (T::from_f64(beta1), T::from_f64(beta2), T::from_f64(eps));

        let m = state_for(&mut self.first_moments, param);
        let v = state_for(&mut self.second_moments, param);
        for (((w, m), v), &g) in param
            .value_mut()
            .data_mut()
            .iter_mut()
            .zip(m.data_mut())
            .zip(v.data_mut())
            .zip(grad.data())
        {
            *m = beta1 * *m + (T::ONE - beta1) * g;
            *v = beta2 * *v + (T::ONE - beta2) * g * g;
            *w -= step_size * (*m / (v.sqrt() / correction2_sqrt + eps));
        }
    }
}
