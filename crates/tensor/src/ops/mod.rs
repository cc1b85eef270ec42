//! Differentiable ops on [`Var`](crate::Var), one file per family. Each file
//! contains the ops' forward kernels, their `Var` methods and their backward
//! rules side by side.

pub(crate) mod binary;
pub(crate) mod conv;
pub(crate) mod fused;
pub(crate) mod layout;
pub(crate) mod matmul;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
pub(crate) mod unary;
