//! Forward and backward kernels shared by the ops: strided iteration,
//! broadcasting elementwise maps, reductions and matrix products.

pub(crate) mod broadcast;
pub(crate) mod conv;
pub(crate) mod exp;
pub(crate) mod matmul;
pub(crate) mod packed_gemm;
#[cfg(feature = "threads")]
pub(crate) mod pool;
pub(crate) mod reduce;
pub(crate) mod simd;
pub(crate) mod small_gemm;
