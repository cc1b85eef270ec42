//! Reverse-mode automatic differentiation ([`tensor`]) and neural-network
//! layers ([`nn`]) in one package.
//!
//! ```
//! use backprop::nn::{mse, Activation, Dense, Init, Module, Sequential};
//! use backprop::tensor::{Tape, Tensor};
//! use backprop::nn::rand::{rngs::StdRng, SeedableRng};
//!
//! let mut rng = StdRng::seed_from_u64(0);
//! let model = Sequential::<f64>::new()
//!     .add(Dense::new(2, 3, Init::StandardNormal, &mut rng))
//!     .add(Activation::Sigmoid);
//! let tape = Tape::new();
//! let x = tape.constant(Tensor::zeros(&[4, 2]));
//! assert_eq!(model.forward(x).shape().as_slice(), &[4, 3]);
//! ```

pub use nn;
pub use tensor;

/// The README's Rust examples, compiled and run as doctests so they stay
/// true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
