//! Adagrad: per-element step sizes from the sum of squared gradients.

use std::collections::HashMap;

use tensor::{Float, ParamId, Tensor};

use crate::optim::{check_grad, state_for, Optimizer};
use crate::param::Param;

/// Settings of [`Adagrad`] other than the learning rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdagradConfig {
    /// Added to the denominator's square root to avoid division by zero.
    /// Default `1e-10`, as in PyTorch.
    pub eps: f64,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig { eps: 1e-10 }
    }
}

/// Adagrad: `s += g^2; w -= lr g / (sqrt(s) + eps)`, elementwise, with the
/// sum of squares `s` starting at 0.
///
/// Source: Duchi, Hazan and Singer, "Adaptive Subgradient Methods for Online
/// Learning and Stochastic Optimization" (JMLR 12, 2011), in its diagonal
/// form. Each element's step shrinks as its squared gradients add up, so the
/// effective learning rate only ever decreases.
///
/// Matches PyTorch's `Adagrad` with its defaults (`lr_decay = 0`,
/// `initial_accumulator_value = 0`, no weight decay); `eps` is added after
/// the square root, as PyTorch does. PyTorch's default learning rate is
/// `0.01`.
#[derive(Clone, Debug)]
pub struct Adagrad<T: Float> {
    lr: T,
    eps: T,
    sum_squares: HashMap<ParamId, Tensor<T>>,
}

impl<T: Float> Adagrad<T> {
    /// Adagrad with learning rate `lr` and the default
    /// [`AdagradConfig`] (`eps = 1e-10`).
    pub fn new(lr: T) -> Self {
        Self::with_config(lr, AdagradConfig::default())
    }

    /// Adagrad with learning rate `lr` and the given settings.
    pub fn with_config(lr: T, config: AdagradConfig) -> Self {
        Adagrad {
            lr,
            eps: T::from_f64(config.eps),
            sum_squares: HashMap::new(),
        }
    }
}

impl<T: Float> Optimizer<T> for Adagrad<T> {
    fn name(&self) -> &'static str {
        "adagrad"
    }

    /// # Panics
    ///
    /// When `grad`'s shape differs from the parameter's.
    #[track_caller]
    fn update(&mut self, param: &mut Param<T>, grad: &Tensor<T>) {
        check_grad("Adagrad", param, grad);
        let (lr, eps) = (self.lr, self.eps);
        let sum_squares = state_for(&mut self.sum_squares, param);
        for ((w, s), &g) in param
            .value_mut()
            .data_mut()
            .iter_mut()
            .zip(sum_squares.data_mut())
            .zip(grad.data())
        {
            *s += g * g;
            *w -= lr * g / (s.sqrt() + eps);
        }
    }
}
