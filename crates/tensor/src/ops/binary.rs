//! Elementwise functions of two inputs, with NumPy broadcasting.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::error::{unwrap_op, TensorError};
use crate::float::Float;
use crate::kernels::broadcast::{binary_into, for_each_offset};
use crate::kernels::reduce::reduce_to_shape_into;
use crate::op::Op;
use crate::ops::unary::UnaryOp;
use crate::shape::{broadcast_shapes, broadcast_strides};
use crate::tape::Pool;
use crate::tensor::Tensor;
use crate::var::Var;

/// An elementwise function of two broadcast inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
}

impl BinaryOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }

    #[inline]
    fn apply<T: Float>(self, a: T, b: T) -> T {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Maximum => a.max(b),
            BinaryOp::Minimum => a.min(b),
        }
    }

    /// The partial derivatives `(d/da, d/db)` at `(a, b)`.
    #[inline]
    fn partials<T: Float>(self, a: T, b: T) -> (T, T) {
        let half = T::from_f64(0.5);
        match self {
            BinaryOp::Add => (T::ONE, T::ONE),
            BinaryOp::Sub => (T::ONE, -T::ONE),
            BinaryOp::Mul => (b, a),
            // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2, evaluated as -(a/b)/b
            // because b^2 alone overflows or underflows for |b| beyond about
            // 1e154 or below 1e-154 in f64, even where a/b^2 is finite.
            BinaryOp::Div => (T::ONE / b, -(a / b) / b),
            // The larger input takes the whole gradient; on a tie each input
            // takes half, so the sum stays right and the choice symmetric.
            BinaryOp::Maximum => {
                if a > b {
                    (T::ONE, T::ZERO)
                } else if a < b {
                    (T::ZERO, T::ONE)
                } else {
                    (half, half)
                }
            }
            BinaryOp::Minimum => {
                if a < b {
                    (T::ONE, T::ZERO)
                } else if a > b {
                    (T::ZERO, T::ONE)
                } else {
                    (half, half)
                }
            }
        }
    }
}

/// The gradients of `y = op(a, b)` with respect to `a` and `b`, each reduced
/// to its input's shape, given `dL/dy` of the broadcast shape.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward<T: Float>(
    op: BinaryOp,
    a: &Tensor<T>,
    b: &Tensor<T>,
    y: &Tensor<T>,
    grad: &Tensor<T>,
    need_a: bool,
    need_b: bool,
    pool: &mut Pool<T>,
) -> (Option<Tensor<T>>, Option<Tensor<T>>) {
    let out_dims = y.dims();

    // Add and sub pass the upstream gradient through unchanged (negated for
    // sub's right side), so only the reduction to each shape remains.
    if matches!(op, BinaryOp::Add | BinaryOp::Sub) {
        let grad_a = need_a.then(|| reduced(grad.data(), out_dims, a.dims(), pool));
        let grad_b = need_b.then(|| {
            let mut g = reduced(grad.data(), out_dims, b.dims(), pool);
            if op == BinaryOp::Sub {
                g.data_mut().iter_mut().for_each(|v| *v = -*v);
            }
            g
        });
        return (grad_a, grad_b);
    }

    // Full-size partial products, then the shared reduction to each shape.
    let mut full_a = need_a.then(|| pool.scratch(grad.len()));
    let mut full_b = need_b.then(|| pool.scratch(grad.len()));
    let strides_a = broadcast_strides(a.dims(), out_dims);
    let strides_b = broadcast_strides(b.dims(), out_dims);
    let (da, db) = (a.data(), b.data());
    let mut index = 0;
    for_each_offset(out_dims, &strides_a, &strides_b, |ia, ib| {
        let (pa, pb) = op.partials(da[ia], db[ib]);
        let g = grad.data()[index];
        if let Some(full) = full_a.as_mut() {
            full[index] = g * pa;
        }
        if let Some(full) = full_b.as_mut() {
            full[index] = g * pb;
        }
        index += 1;
    });

    let grad_a = full_a.map(|full| {
        let g = reduced(&full, out_dims, a.dims(), pool);
        pool.give(full);
        g
    });
    let grad_b = full_b.map(|full| {
        let g = reduced(&full, out_dims, b.dims(), pool);
        pool.give(full);
        g
    });
    (grad_a, grad_b)
}

fn reduced<T: Float>(
    grad: &[T],
    grad_dims: &[usize],
    target: &[usize],
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let mut out = pool.tensor(target);
    reduce_to_shape_into(grad, grad_dims, target, out.data_mut());
    out
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn try_binary(self, rhs: Self, op: BinaryOp) -> Result<Self, TensorError> {
        self.check_same_tape(rhs, op.name());
        let (value, requires_grad) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let (a, b) = (&inner.nodes[self.id()], &inner.nodes[rhs.id()]);
            let out_dims = broadcast_shapes(op.name(), a.value.dims(), b.value.dims())?;
            let mut out = inner.pool.tensor(&out_dims);
            // One loop per common op, each with its own closure type, so
            // that `apply`'s `match` folds away instead of branching on
            // every element.
            let (a, b) = (&a.value, &b.value);
            macro_rules! run {
                ($op:expr) => {
                    binary_into(
                        a.data(),
                        a.dims(),
                        b.data(),
                        b.dims(),
                        &out_dims,
                        out.data_mut(),
                        |x, y| $op.apply(x, y),
                    )
                };
            }
            match op {
                BinaryOp::Add => run!(BinaryOp::Add),
                BinaryOp::Sub => run!(BinaryOp::Sub),
                BinaryOp::Mul => run!(BinaryOp::Mul),
                other => run!(other),
            }
            let requires_grad =
                inner.nodes[self.id()].requires_grad || inner.nodes[rhs.id()].requires_grad;
            (out, requires_grad)
        };
        Ok(self.record(
            Op::Binary {
                lhs: self.id(),
                rhs: rhs.id(),
                op,
            },
            value,
            requires_grad,
        ))
    }

    /// `self + rhs` with NumPy broadcasting, as [`Var::add`] but returning an
    /// error instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    #[track_caller]
    pub fn try_add(self, rhs: Self) -> Result<Self, TensorError> {
        self.try_binary(rhs, BinaryOp::Add)
    }

    /// `self - rhs` with NumPy broadcasting, returning an error instead of
    /// panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    #[track_caller]
    pub fn try_sub(self, rhs: Self) -> Result<Self, TensorError> {
        self.try_binary(rhs, BinaryOp::Sub)
    }

    /// `self * rhs` elementwise with NumPy broadcasting, returning an error
    /// instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    #[track_caller]
    pub fn try_mul(self, rhs: Self) -> Result<Self, TensorError> {
        self.try_binary(rhs, BinaryOp::Mul)
    }

    /// `self / rhs` elementwise with NumPy broadcasting, returning an error
    /// instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    #[track_caller]
    pub fn try_div(self, rhs: Self) -> Result<Self, TensorError> {
        self.try_binary(rhs, BinaryOp::Div)
    }

    /// The elementwise maximum with NumPy broadcasting, returning an error
    /// instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    #[track_caller]
    pub fn try_maximum(self, rhs: Self) -> Result<Self, TensorError> {
        self.try_binary(rhs, BinaryOp::Maximum)
    }

    /// The elementwise minimum with NumPy broadcasting, returning an error
    /// instead of panicking.
    ///
    /// # Errors
    ///
    /// [`TensorError::ShapeMismatch`] when the shapes do not broadcast.
    #[track_caller]
    pub fn try_minimum(self, rhs: Self) -> Result<Self, TensorError> {
        self.try_binary(rhs, BinaryOp::Minimum)
    }

    /// The elementwise maximum of two vars with NumPy broadcasting. Where the
    /// inputs tie, each receives half of the gradient.
    ///
    /// Shapes: the inputs' shapes broadcast to the output's shape, as in
    /// [`broadcast_shapes`](crate::broadcast_shapes).
    ///
    /// # Panics
    ///
    /// When the shapes do not broadcast; see [`Var::try_maximum`].
    #[track_caller]
    pub fn maximum(self, rhs: Self) -> Self {
        unwrap_op(self.try_maximum(rhs))
    }

    /// The elementwise minimum of two vars with NumPy broadcasting. Where the
    /// inputs tie, each receives half of the gradient.
    ///
    /// # Panics
    ///
    /// When the shapes do not broadcast; see [`Var::try_minimum`].
    #[track_caller]
    pub fn minimum(self, rhs: Self) -> Self {
        unwrap_op(self.try_minimum(rhs))
    }
}

/// Operators between vars broadcast like NumPy and panic, naming the op and
/// both shapes, when the shapes do not broadcast (`try_add` and friends
/// return the error instead).
macro_rules! var_operator {
    ($trait:ident, $method:ident, $try:ident, |$x:ident, $c:ident| $scalar:expr) => {
        impl<'t, T: Float> $trait<Var<'t, T>> for Var<'t, T> {
            type Output = Var<'t, T>;

            #[track_caller]
            fn $method(self, rhs: Var<'t, T>) -> Var<'t, T> {
                unwrap_op(self.$try(rhs))
            }
        }

        impl<'t, T: Float> $trait<T> for Var<'t, T> {
            type Output = Var<'t, T>;

            #[track_caller]
            fn $method(self, $c: T) -> Var<'t, T> {
                let $x = self;
                $scalar
            }
        }
    };
}

var_operator!(Add, add, try_add, |x, c| x.add_scalar(c));
var_operator!(Sub, sub, try_sub, |x, c| x.add_scalar(-c));
var_operator!(Mul, mul, try_mul, |x, c| x.mul_scalar(c));
// A true division rather than a product with `1 / c`: it rounds once, as
// IEEE division does, and stays finite where `1 / c` overflows (for a
// subnormal `c`).
var_operator!(Div, div, try_div, |x, c| x.unary(UnaryOp::DivScalar(c)));

impl<'t, T: Float> Neg for Var<'t, T> {
    type Output = Var<'t, T>;

    #[track_caller]
    fn neg(self) -> Var<'t, T> {
        self.unary(UnaryOp::Neg)
    }
}

/// `scalar op var` for both float types: `1.0 - x`, `2.0 * x`, `1.0 / x`.
macro_rules! scalar_lhs_operators {
    ($t:ty) => {
        impl<'t> Add<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;

            #[track_caller]
            fn add(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.add_scalar(self)
            }
        }

        impl<'t> Sub<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;

            #[track_caller]
            fn sub(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.neg().add_scalar(self)
            }
        }

        impl<'t> Mul<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;

            #[track_caller]
            fn mul(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.mul_scalar(self)
            }
        }

        impl<'t> Div<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;

            #[track_caller]
            fn div(self, rhs: Var<'t, $t>) -> Var<'t, $t> {
                rhs.recip().mul_scalar(self)
            }
        }
    };
}

scalar_lhs_operators!(f32);
scalar_lhs_operators!(f64);
