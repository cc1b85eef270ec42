//! N-d tensors and a reverse-mode automatic differentiation tape.
//!
//! A [`Tape`] records every operation applied to its [`Var`]s; calling
//! [`Var::backward`] on a scalar walks the record once in reverse and returns
//! [`Gradients`]. Ops read like the maths they compute, broadcast like NumPy,
//! and work on `f32` and `f64` ([`Float`]).
//!
//! ```
//! use tensor::{Tape, Tensor};
//!
//! let tape = Tape::<f64>::new();
//! let x = tape.constant(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
//! let w = tape.var(Tensor::new(vec![0.5, -0.5], &[2, 1]));
//! let b = tape.var(Tensor::new(vec![0.1], &[1]));
//! let loss = (x.matmul(w) + b).sigmoid().square().mean();
//! let grads = loss.backward();
//! assert_eq!(grads.wrt(w).dims(), &[2, 1]);
//! assert_eq!(grads.wrt(b).dims(), &[1]);
//! ```
//!
//! # Errors and panics
//!
//! Calling an op with shapes that cannot work is a programming error: the
//! op panics with a message naming the op and both shapes, reported at the
//! caller's line (`#[track_caller]`). Ops whose shapes come from runtime
//! data (matmul, reshape, broadcast_to, the binary ops) also have `try_`
//! forms returning [`TensorError`]. Non-finite values can be traced to the
//! op that first produced them with [`Tape::set_anomaly_mode`].
//!
//! # Verifying gradients
//!
//! [`gradcheck`] compares the tape's gradients with central finite
//! differences in `f64` and reports the worst element when they differ.

mod backward;
mod custom;
mod error;
mod float;
mod gradcheck;
mod gradients;
mod kernels;
mod op;
mod ops;
mod shape;
mod tape;
mod tensor;
mod var;

pub use crate::custom::CustomOp;
pub use crate::error::TensorError;
pub use crate::float::Float;
pub use crate::gradcheck::{
    gradcheck, gradcheck_with, GradcheckConfig, GradcheckError, GradcheckReport,
};
pub use crate::gradients::Gradients;
pub use crate::shape::{broadcast_shapes, contiguous_strides, normalize_axis, numel, shape, Shape};
pub use crate::tape::{Anomaly, AnomalyMode, ParamId, Tape};
pub use crate::tensor::Tensor;
pub use crate::var::Var;
