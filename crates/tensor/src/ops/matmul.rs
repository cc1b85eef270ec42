//! Matrix products of 2-D operands and of 3-D batches.

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::matmul::{gemm, Layout};
use crate::op::Op;
use crate::shape::Shape;
use crate::tape::Pool;
use crate::tensor::Tensor;
use crate::var::Var;

/// The sizes of a matrix product: `batch` products of `[m, k] x [k, n]`.
#[derive(Clone, Copy, Debug)]
struct MatmulDims {
    batch: usize,
    m: usize,
    k: usize,
    n: usize,
    /// `true` when one 2-D right operand serves every batch entry (a plain
    /// 2-D product counts as a batch of one). The batch and row axes of the
    /// left operand then merge into one `[batch * m, k]` matrix, and the right
    /// operand's gradient sums over the batch by the same product.
    shared_rhs: bool,
}

impl MatmulDims {
    /// Checks the operands of `matmul` and resolves their sizes.
    fn resolve(lhs: &[usize], rhs: &[usize]) -> Result<Self, TensorError> {
        let mismatch = |reason: String| TensorError::shape_mismatch("matmul", lhs, rhs, reason);
        let sizes = match (lhs, rhs) {
            (&[m, k], &[k2, n]) => Some((1, m, k, None, k2, n)),
            (&[batch, m, k], &[k2, n]) => Some((batch, m, k, None, k2, n)),
            (&[batch, m, k], &[rhs_batch, k2, n]) => Some((batch, m, k, Some(rhs_batch), k2, n)),
            _ => None,
        };
        let Some((batch, m, k, rhs_batch, k2, n)) = sizes else {
            return Err(mismatch(
                "cannot be multiplied: matmul takes [m, k] x [k, n], [b, m, k] x [b, k, n] \
                 or [b, m, k] x [k, n]; reshape the operands to one of these"
                    .to_string(),
            ));
        };
        if k != k2 {
            return Err(mismatch(format!(
                "are not aligned: {k} != {k2} (the first's columns must equal the second's rows)"
            )));
        }
        if let Some(rhs_batch) = rhs_batch {
            if rhs_batch != batch {
                return Err(mismatch(format!(
                    "have different batch sizes: {batch} != {rhs_batch}; give both the same \
                     batch size, or pass a 2-D right operand to share it across the batch"
                )));
            }
        }
        Ok(MatmulDims {
            batch,
            m,
            k,
            n,
            shared_rhs: rhs_batch.is_none(),
        })
    }

    /// Returns the output's shape: `[m, n]` for 2-D operands, else `[batch, m, n]`.
    fn output_dims(self, lhs_rank: usize) -> Shape {
        if lhs_rank == 2 {
            smallvec::smallvec![self.m, self.n]
        } else {
            smallvec::smallvec![self.batch, self.m, self.n]
        }
    }
}

/// Writes `a b` into `out` for the resolved sizes, one GEMM per batch entry,
/// or one GEMM over the merged rows when the right operand is shared.
fn forward_into<T: Float>(dims: MatmulDims, a: &[T], b: &[T], out: &mut [T]) {
    let MatmulDims { batch, m, k, n, .. } = dims;
    let (entries, rows) = if dims.shared_rhs {
        (1, batch * m)
    } else {
        (batch, m)
    };
    let a = Operand {
        data: a,
        layout: Layout::row_major(k),
    };
    let b = Operand {
        data: b,
        layout: Layout::row_major(n),
    };
    gemm_per_entry(entries, rows, k, n, a, b, out);
}

/// One GEMM operand: contiguous per-entry blocks read with `layout`.
#[derive(Clone, Copy)]
struct Operand<'a, T> {
    data: &'a [T],
    layout: Layout,
}

/// Writes `out_i = a_i b_i` for each of `entries` independent products of
/// an `[m, k]` by a `[k, n]` matrix, where entry `i` of each operand and of
/// `out` is the `i`-th contiguous block of its size.
fn gemm_per_entry<T: Float>(
    entries: usize,
    m: usize,
    k: usize,
    n: usize,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    out: &mut [T],
) {
    for index in 0..entries {
        let a_i = &a.data[index * m * k..(index + 1) * m * k];
        let b_i = &b.data[index * k * n..(index + 1) * k * n];
        let out_i = &mut out[index * m * n..(index + 1) * m * n];
        gemm(m, k, n, a_i, a.layout, b_i, b.layout, T::ZERO, out_i);
    }
}

/// Computes the gradients of `y = a b`: `da = g b^T` and `db = a^T g`, with the
/// transposes read through strides rather than copied. For batches each
/// entry has its own pair; a shared 2-D `b` receives the sum over the batch,
/// which the merged `[batch * m, k]` product computes directly.
pub(crate) fn backward<T: Float>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    grad: &Tensor<T>,
    need_a: bool,
    need_b: bool,
    pool: &mut Pool<T>,
) -> (Option<Tensor<T>>, Option<Tensor<T>>) {
    let dims = MatmulDims::resolve(a.dims(), b.dims())
        .unwrap_or_else(|err| panic!("engine bug: matmul operands were checked forward: {err}"));
    let MatmulDims { batch, m, k, n, .. } = dims;
    // With a shared right operand the batch merges into the rows, leaving a
    // single product of `[rows, k] x [k, n]`.
    let (entries, rows) = if dims.shared_rhs {
        (1, batch * m)
    } else {
        (batch, m)
    };
    let g = grad.data();
    let grad_a = need_a.then(|| {
        let mut out = pool.tensor(a.dims());
        let g = Operand {
            data: g,
            layout: Layout::row_major(n),
        };
        let b_t = Operand {
            data: b.data(),
            layout: Layout::transposed(n),
        };
        gemm_per_entry(entries, rows, n, k, g, b_t, out.data_mut());
        out
    });
    let grad_b = need_b.then(|| {
        let mut out = pool.tensor(b.dims());
        let a_t = Operand {
            data: a.data(),
            layout: Layout::transposed(k),
        };
        let g = Operand {
            data: g,
            layout: Layout::row_major(n),
        };
        gemm_per_entry(entries, k, rows, n, a_t, g, out.data_mut());
        out
    });
    (grad_a, grad_b)
}

impl<'t, T: Float> Var<'t, T> {
    /// The matrix product `self rhs`, returning an error instead of
    /// panicking. See [`Var::matmul`] for the accepted shapes.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] naming both shapes when the ranks are
    /// not one of the accepted pairs, the inner dimensions differ, or two
    /// 3-D operands have different batch sizes.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let a = tape.var(Tensor::zeros(&[3, 2]));
    /// let b = tape.var(Tensor::zeros(&[3, 1]));
    /// let err = a.try_matmul(b).unwrap_err();
    /// assert!(err.to_string().starts_with("matmul: shapes [3, 2] and [3, 1] are not aligned"));
    /// ```
    #[track_caller]
    pub fn try_matmul(self, rhs: Self) -> Result<Self, TensorError> {
        self.check_same_tape(rhs, "matmul");
        let (value, requires_grad) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let (a, b) = (&inner.nodes[self.id()], &inner.nodes[rhs.id()]);
            let dims = MatmulDims::resolve(a.value.dims(), b.value.dims())?;
            let mut out = inner.pool.tensor(&dims.output_dims(a.value.rank()));
            forward_into(dims, a.value.data(), b.value.data(), out.data_mut());
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

    /// The matrix product `self rhs`.
    ///
    /// Shapes:
    /// - `[m, k] x [k, n] -> [m, n]`;
    /// - `[b, m, k] x [b, k, n] -> [b, m, n]`: one product per batch entry;
    /// - `[b, m, k] x [k, n] -> [b, m, n]`: the right matrix is shared by
    ///   every entry, so its gradient is the sum over the batch.
    ///
    /// # Panics
    ///
    /// When the shapes are not one of these pairs, with a message naming both
    /// shapes: `matmul: shapes [3, 2] and [3, 1] are not aligned: 2 != 3 ...`.
    /// See [`Var::try_matmul`].
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
    ///
    /// // A batch of two 1x2 rows times one shared 2x1 matrix.
    /// let rows = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 1, 2]));
    /// let y = rows.matmul(b);
    /// assert_eq!(y.value().dims(), &[2, 1, 1]);
    /// assert_eq!(y.value().data(), &[1.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn matmul(self, rhs: Self) -> Self {
        unwrap_op(self.try_matmul(rhs))
    }
}
