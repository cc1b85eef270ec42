//! Neural-network layers, losses, initialisers and optimizers on the
//! [`tensor`] tape.
//!
//! A model is declared as data with [`Sequential`], trained by recording
//! its forward pass on a [`tensor::Tape`], calling `backward` on the loss
//! and handing the [`tensor::Gradients`] to an [`Optimizer`]:
//!
//! ```
//! use nn::{mse, Activation, Dense, Init, Module, Optimizer, Sequential, Sgd};
//! use rand::SeedableRng;
//! use tensor::{Tape, Tensor};
//!
//! let mut rng = rand::rngs::StdRng::seed_from_u64(1);
//! let mut model = Sequential::<f64>::new()
//!     .add(Dense::new(2, 8, Init::StandardNormal, &mut rng))
//!     .add(Activation::Tanh)
//!     .add(Dense::new(8, 1, Init::StandardNormal, &mut rng))
//!     .add(Activation::Sigmoid);
//! let x = Tensor::new(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]);
//! let y = Tensor::new(vec![0.0, 1.0, 1.0, 0.0], &[4, 1]);
//! let mut optimizer = Sgd::new(0.5);
//! let mut tape = Tape::new();
//! let mut losses = Vec::new();
//! for _ in 0..200 {
//!     tape.clear();
//!     let loss = mse(model.forward(tape.constant(x.clone())), tape.constant(y.clone()));
//!     losses.push(loss.item());
//!     let grads = loss.backward();
//!     optimizer.step(&mut model, &grads);
//! }
//! assert!(losses[199] < losses[0]);
//! ```

#![deny(missing_docs)]

mod init;
mod layers;
mod loss;
mod module;
mod optim;
mod param;
mod summary;
pub mod weights;

pub use crate::init::Init;
pub use crate::layers::{Activation, Conv1d, Conv2d, Dense, Flatten};
pub use crate::loss::{bce_with_logits, mse, try_bce_with_logits, try_mse};
pub use crate::module::{Module, Sequential};
pub use crate::optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Momentum, Nesterov, Optimizer, RmsProp,
    RmsPropConfig, Sgd,
};
pub use crate::param::Param;
pub use crate::summary::{LayerSummary, Summary};
pub use crate::weights::WeightsError;
/// Re-exported from [`tensor`] for configuring [`Conv1d`] and [`Conv2d`].
pub use tensor::{Conv1dConfig, Conv2dConfig};

/// The `rand` crate (0.9) that [`Dense::new`] and the other initialisers
/// take their random number generator from; use it to avoid a version
/// mismatch with your own `rand` dependency.
pub use rand;
