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
//! # Ops
//!
//! Every op is a method on [`Var`] (concat and stack are associated
//! functions) and is differentiable; axes may be negative, counting from
//! the end.
//!
//! | Family | Ops |
//! |---|---|
//! | Elementwise | `-x`, [`exp`](Var::exp), [`ln`](Var::ln), [`sqrt`](Var::sqrt), [`abs`](Var::abs), [`square`](Var::square), [`recip`](Var::recip), [`powf`](Var::powf), [`add_scalar`](Var::add_scalar), [`mul_scalar`](Var::mul_scalar), [`clamp`](Var::clamp) |
//! | Activations | [`sigmoid`](Var::sigmoid), [`tanh`](Var::tanh), [`relu`](Var::relu), [`leaky_relu`](Var::leaky_relu), [`softplus`](Var::softplus), [`log_sigmoid`](Var::log_sigmoid), [`softmax`](Var::softmax), [`log_softmax`](Var::log_softmax) |
//! | Binary, broadcasting | `+`, `-`, `*`, `/` (also with a scalar on either side), [`maximum`](Var::maximum), [`minimum`](Var::minimum) |
//! | Reductions | [`sum`](Var::sum), [`mean`](Var::mean), [`max`](Var::max), [`var`](Var::var), and per axis [`sum_axes`](Var::sum_axes), [`mean_axes`](Var::mean_axes), [`max_axes`](Var::max_axes), [`var_axes`](Var::var_axes) |
//! | Linear algebra | [`matmul`](Var::matmul) of 2-D matrices and 3-D batches, [`conv1d`](Var::conv1d), [`conv2d`](Var::conv2d) |
//! | Shape and layout | [`reshape`](Var::reshape), [`broadcast_to`](Var::broadcast_to), [`transpose`](Var::transpose), [`transpose_axes`](Var::transpose_axes), [`permute`](Var::permute), [`concat`](Var::concat), [`stack`](Var::stack), [`slice`](Var::slice), [`index_select`](Var::index_select) |
//! | Fused layers and losses | [`affine`](Var::affine), [`affine_activation`](Var::affine_activation), [`mse_loss`](Var::mse_loss): one node each for chains of the ops above |
//! | Gradient flow | [`detach`](Var::detach), [`Tape::no_grad`], user ops through [`CustomOp`] and [`Var::apply`] |
//!
//! Where an op is not differentiable it picks a derivative, as PyTorch
//! does: `relu` and `abs` have derivative 0 at 0, `clamp` passes the
//! gradient at its bounds, and tied maxima (`max`, `maximum`) split the
//! gradient evenly.
//!
//! # Errors and panics
//!
//! Calling an op with shapes that cannot work is a programming error: the
//! op panics with a message naming the op and both shapes, reported at the
//! caller's line (`#[track_caller]`). Ops whose shapes come from runtime
//! data (matmul, reshape, broadcast_to, the binary ops, concat, stack,
//! slice, index_select, permute) also have `try_` forms returning
//! [`TensorError`]. Non-finite values can be traced to the
//! op that first produced them with [`Tape::set_anomaly_mode`].
//!
//! # Verifying gradients
//!
//! [`gradcheck`] compares the tape's gradients with central finite
//! differences in `f64` and reports the worst element when they differ.
//!
//! # Threads
//!
//! A tape computes on the calling thread. With the `threads` feature, a
//! large matrix product is split across threads. The environment variable
//! `MATMUL_NUM_THREADS` caps the thread count, the calling thread included.
//! Only 1, 2 or 4 threads are used: 3 acts as 2, anything above 4 as 4, 0
//! as 1, an empty value as unset, and a value that is not a number prints
//! a warning and gives 1.
//!
//! - On a CPU with AVX-512F, the engine's own GEMM splits the columns of
//!   each product of at least 2^21 multiply-adds between the threads. It
//!   reads `MATMUL_NUM_THREADS` once, at the first such product, and then
//!   starts its worker threads. They spin for 200 µs after each part
//!   before they sleep, and live until the process ends. Without
//!   `MATMUL_NUM_THREADS` it uses one thread per logical CPU, up to 4. It
//!   never uses more threads than the CPUs the process may run on
//!   (`taskset -c 0` makes it one), because a spinning worker without a
//!   CPU of its own slows the others down.
//! - Elsewhere, `matrixmultiply` (0.3.11 in `Cargo.lock`) splits them. It
//!   reads `MATMUL_NUM_THREADS` at the first product of more than 16,384
//!   multiply-adds and defaults to one thread per physical core. A product
//!   uses 2 threads once its two operands hold 32,768 elements together,
//!   and 4 from 65,536 if it also has at least 1.5 times as many rows as
//!   `matrixmultiply`'s row block.
//!
//! Each output element is summed in the same order on any number of
//! threads, so results keep their bits. On a machine whose other cores
//! are busy, the split gains little: the engine's pool then runs the
//! waiting parts on the calling thread, while `matrixmultiply` waits for
//! its threads and can be slower than one thread.

#![deny(missing_docs)]

mod backward;
mod custom;
mod error;
mod float;
mod gradcheck;
mod gradients;
mod graph;
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
pub use crate::ops::conv::{Conv1dConfig, Conv2dConfig};
pub use crate::ops::fused::AffineActivation;
pub use crate::shape::{broadcast_shapes, contiguous_strides, normalize_axis, numel, shape, Shape};
pub use crate::tape::{Anomaly, AnomalyMode, ParamId, Tape};
pub use crate::tensor::Tensor;
pub use crate::var::Var;
