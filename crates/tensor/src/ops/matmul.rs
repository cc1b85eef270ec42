//! Matrix products.

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::matmul::{gemm, Layout};
use crate::op::Op;
use crate::tape::Pool;
use crate::tensor::Tensor;
use crate::var::Var;

/// Checks the operands of `matmul` and returns `(m, k, n)`.
fn matmul_dims(lhs: &[usize], rhs: &[usize]) -> Result<(usize, usize, usize), TensorError> {
    if lhs.len() != 2 || rhs.len() != 2 {
        return Err(TensorError::shape_mismatch(
            "matmul",
            lhs,
            rhs,
            "are not both 2-D matrices; reshape the operands to [m, k] and [k, n]".to_string(),
        ));
    }
    let (m, k, k2, n) = (lhs[0], lhs[1], rhs[0], rhs[1]);
    if k != k2 {
        return Err(TensorError::shape_mismatch(
            "matmul",
            lhs,
            rhs,
            format!(
                "are not aligned: {k} != {k2} (the first's columns must equal the second's rows)"
            ),
        ));
    }
    Ok((m, k, n))
}

/// The gradients of `y = a b`: `da = g b^T` and `db = a^T g`, with the
/// transposes read through strides rather than copied.
pub(crate) fn backward<T: Float>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    grad: &Tensor<T>,
    need_a: bool,
    need_b: bool,
    pool: &mut Pool<T>,
) -> (Option<Tensor<T>>, Option<Tensor<T>>) {
    let (m, k, n) = (a.dims()[0], a.dims()[1], b.dims()[1]);
    let grad_a = need_a.then(|| {
        let mut out = pool.tensor(a.dims());
        gemm(
            m,
            n,
            k,
            grad.data(),
            Layout::row_major(n),
            b.data(),
            Layout::transposed(n),
            T::ZERO,
            out.data_mut(),
        );
        out
    });
    let grad_b = need_b.then(|| {
        let mut out = pool.tensor(b.dims());
        gemm(
            k,
            m,
            n,
            a.data(),
            Layout::transposed(k),
            grad.data(),
            Layout::row_major(n),
            T::ZERO,
            out.data_mut(),
        );
        out
    });
    (grad_a, grad_b)
}

impl<'t, T: Float> Var<'t, T> {
    /// The matrix product `self rhs` of an `[m, k]` and a `[k, n]` matrix,
    /// returning an error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when an operand is not 2-D or the inner
    /// dimensions differ.
    #[track_caller]
    pub fn try_matmul(self, rhs: Self) -> Result<Self, TensorError> {
        self.check_same_tape(rhs, "matmul");
        let (value, requires_grad) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let (a, b) = (&inner.nodes[self.id()], &inner.nodes[rhs.id()]);
            let (m, k, n) = matmul_dims(a.value.dims(), b.value.dims())?;
            let mut out = inner.pool.tensor(&[m, n]);
            gemm(
                m,
                k,
                n,
                a.value.data(),
                Layout::row_major(k),
                b.value.data(),
                Layout::row_major(n),
                T::ZERO,
                out.data_mut(),
            );
            (out, a.requires_grad || b.requires_grad)
        };
        Ok(self.record(
            Op::Matmul {
                lhs: self.id(),
                rhs: rhs.id(),
            },
            value,
            requires_grad,
        ))
    }

    /// The matrix product of an `[m, k]` and a `[k, n]` matrix: an `[m, n]`
    /// matrix.
    ///
    /// # Panics
    ///
    /// When an operand is not 2-D or the inner dimensions differ, with a
    /// message naming both shapes: `matmul: shapes [3, 2] and [3, 1] are not
    /// aligned: 2 != 3 ...`. See [`Var::try_matmul`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    /// let b = tape.var(Tensor::new(vec![1.0, 0.0], &[2, 1]));
    /// assert_eq!(a.matmul(b).value().data(), &[1.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn matmul(self, rhs: Self) -> Self {
        unwrap_op(self.try_matmul(rhs))
    }
}
