//! Elementwise functions of one input.

use crate::float::Float;
use crate::kernels::simd::{widest, Kernel};
use crate::op::Op;
use crate::tape::Pool;
use crate::tensor::Tensor;
use crate::var::Var;

/// Expands `body` once per common activation with `op` bound to that
/// variant as a constant, so that the `match` inside
/// [`UnaryOp::forward`] and [`UnaryOp::backward`] folds away and each
/// activation gets its own loop instead of a branch per element.
macro_rules! specialize {
    ($op:expr, |$bound:ident| $body:block) => {
        match $op {
            UnaryOp::Sigmoid => {
                let $bound = UnaryOp::Sigmoid;
                $body
            }
            UnaryOp::Tanh => {
                let $bound = UnaryOp::Tanh;
                $body
            }
            UnaryOp::Relu => {
                let $bound = UnaryOp::Relu;
                $body
            }
            UnaryOp::Square => {
                let $bound = UnaryOp::Square;
                $body
            }
            UnaryOp::LeakyRelu(slope) => {
                let $bound = UnaryOp::LeakyRelu(slope);
                $body
            }
            other => {
                let $bound = other;
                $body
            }
        }
    };
}

/// An elementwise function of one input, with its constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum UnaryOp<T: Float> {
    Neg,
    Exp,
    Ln,
    Sqrt,
    Abs,
    Square,
    Recip,
    Powf(T),
    Tanh,
    Sigmoid,
    Relu,
    LeakyRelu(T),
    Softplus,
    LogSigmoid,
    Clamp(T, T),
    AddScalar(T),
    MulScalar(T),
    DivScalar(T),
}

impl<T: Float> UnaryOp<T> {
    pub(crate) fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Ln => "ln",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Abs => "abs",
            UnaryOp::Square => "square",
            UnaryOp::Recip => "recip",
            UnaryOp::Powf(_) => "powf",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Relu => "relu",
            UnaryOp::LeakyRelu(_) => "leaky_relu",
            UnaryOp::Softplus => "softplus",
            UnaryOp::LogSigmoid => "log_sigmoid",
            UnaryOp::Clamp(..) => "clamp",
            UnaryOp::AddScalar(_) => "add_scalar",
            UnaryOp::MulScalar(_) => "mul_scalar",
            UnaryOp::DivScalar(_) => "div_scalar",
        }
    }

    /// The function's value at `x`.
    #[inline(always)]
    fn forward(self, x: T) -> T {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Ln => x.ln(),
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Abs => x.abs(),
            UnaryOp::Square => x * x,
            UnaryOp::Recip => T::ONE / x,
            UnaryOp::Powf(p) => x.powf(p),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Sigmoid => sigmoid(x),
            // Written as `x <= 0` so that a NaN input stays NaN, as in
            // PyTorch and JAX, instead of turning into 0.
            UnaryOp::Relu => {
                if x <= T::ZERO {
                    T::ZERO
                } else {
                    x
                }
            }
            UnaryOp::LeakyRelu(slope) => {
                if x > T::ZERO {
                    x
                } else {
                    slope * x
                }
            }
            UnaryOp::Softplus => softplus(x),
            // log(sigmoid(x)) = -softplus(-x).
            UnaryOp::LogSigmoid => -softplus(-x),
            UnaryOp::Clamp(lo, hi) => x.max(lo).min(hi),
            UnaryOp::AddScalar(c) => x + c,
            UnaryOp::MulScalar(c) => x * c,
            UnaryOp::DivScalar(c) => x / c,
        }
    }

    /// The upstream gradient `g` times the derivative at input `x`, whose
    /// output was `y`.
    #[inline(always)]
    fn backward(self, x: T, y: T, g: T) -> T {
        let two = T::ONE + T::ONE;
        match self {
            UnaryOp::Neg => -g,
            // d e^x = e^x = y
            UnaryOp::Exp => g * y,
            // d ln x = 1 / x
            UnaryOp::Ln => g / x,
            // d sqrt(x) = 1 / (2 sqrt(x))
            UnaryOp::Sqrt => g / (two * y),
            // d |x| = sign(x), taken as 0 at x = 0
            UnaryOp::Abs => {
                if x > T::ZERO {
                    g
                } else if x < T::ZERO {
                    -g
                } else {
                    T::ZERO
                }
            }
            // d x^2 = 2x
            UnaryOp::Square => g * two * x,
            // d (1/x) = -1/x^2 = -y^2
            UnaryOp::Recip => -g * y * y,
            // d x^p = p x^(p-1)
            UnaryOp::Powf(p) => g * p * x.powf(p - T::ONE),
            // d tanh(x) = 1 - tanh(x)^2
            UnaryOp::Tanh => g * (T::ONE - y * y),
            // d sigmoid(x) = sigmoid(x) (1 - sigmoid(x))
            UnaryOp::Sigmoid => g * y * (T::ONE - y),
            // d relu(x) = 1 for x > 0, else 0; at exactly 0 the derivative
            // is 0, as in PyTorch and JAX.
            UnaryOp::Relu => {
                if x > T::ZERO {
                    g
                } else {
                    T::ZERO
                }
            }
            UnaryOp::LeakyRelu(slope) => {
                if x > T::ZERO {
                    g
                } else {
                    g * slope
                }
            }
            // d softplus(x) = sigmoid(x)
            UnaryOp::Softplus => g * sigmoid(x),
            // d log(sigmoid(x)) = 1 - sigmoid(x) = sigmoid(-x)
            UnaryOp::LogSigmoid => g * sigmoid(-x),
            // 1 inside [lo, hi], boundaries included (as PyTorch), else 0
            UnaryOp::Clamp(lo, hi) => {
                if x >= lo && x <= hi {
                    g
                } else {
                    T::ZERO
                }
            }
            UnaryOp::AddScalar(_) => g,
            UnaryOp::MulScalar(c) => g * c,
            // d (x / c) = 1 / c
            UnaryOp::DivScalar(c) => g / c,
        }
    }
}

/// `1 / (1 + e^-x)`, evaluated so that no intermediate overflows: for
/// negative `x` it uses `e^x / (1 + e^x)`. Both share `e = e^-|x|` and
/// differ only in the numerator, which a select picks, so a loop over it
/// has no branch and vectorizes.
#[inline(always)]
pub(crate) fn sigmoid<T: Float>(x: T) -> T {
    let e = (-x.abs()).exp();
    let numerator = if x >= T::ZERO { T::ONE } else { e };
    numerator / (T::ONE + e)
}

/// `ln(1 + e^x)`, evaluated as `max(x, 0) + ln(1 + e^-|x|)` so that it
/// neither overflows for large `x` nor loses precision for very negative `x`.
#[inline]
pub(crate) fn softplus<T: Float>(x: T) -> T {
    x.max(T::ZERO) + (-x.abs()).exp().ln_1p()
}

/// The loop of the forward pass: `out = op(input)`.
pub(crate) struct Forward<'a, T: Float> {
    pub(crate) op: UnaryOp<T>,
    pub(crate) input: &'a [T],
    pub(crate) out: &'a mut [T],
}

impl<T: Float> Kernel for Forward<'_, T> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        specialize!(self.op, |op| {
            for (o, &x) in self.out.iter_mut().zip(self.input) {
                *o = op.forward(x);
            }
        });
    }
}

/// The loop of the forward pass in place: `data = op(data)`, with the bits
/// of [`Forward`].
pub(crate) struct ForwardInPlace<'a, T: Float> {
    pub(crate) op: UnaryOp<T>,
    pub(crate) data: &'a mut [T],
}

impl<T: Float> Kernel for ForwardInPlace<'_, T> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        specialize!(self.op, |op| {
            for value in self.data.iter_mut() {
                *value = op.forward(*value);
            }
        });
    }
}

/// The loop of the backward pass: `out = grad * op'(input)`, where the
/// forward pass gave `output`.
struct Backward<'a, T: Float> {
    op: UnaryOp<T>,
    input: &'a [T],
    output: &'a [T],
    grad: &'a [T],
    out: &'a mut [T],
}

impl<T: Float> Kernel for Backward<'_, T> {
    type Output = ();

    #[inline(always)]
    fn run(self) {
        specialize!(self.op, |op| {
            let slots = self.out.iter_mut().zip(self.input).zip(self.output);
            for (((o, &x), &y), &g) in slots.zip(self.grad) {
                *o = op.backward(x, y, g);
            }
        });
    }
}

/// The gradient with respect to the input of `y = op(x)`, given `dL/dy`.
pub(crate) fn backward<T: Float>(
    op: UnaryOp<T>,
    input: &Tensor<T>,
    output: &Tensor<T>,
    grad: &Tensor<T>,
    pool: &mut Pool<T>,
) -> Tensor<T> {
    let mut out = pool.tensor(input.dims());
    widest(Backward {
        op,
        input: input.data(),
        output: output.data(),
        grad: grad.data(),
        out: out.data_mut(),
    });
    out
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    pub(crate) fn unary(self, op: UnaryOp<T>) -> Self {
        let (value, requires_grad) = {
            let mut guard = self.tape().inner.borrow_mut();
            let inner = &mut *guard;
            let input = &inner.nodes[self.id()];
            let mut out = inner.pool.tensor(input.value.dims());
            widest(Forward {
                op,
                input: input.value.data(),
                out: out.data_mut(),
            });
            (out, input.requires_grad)
        };
        self.record(
            Op::Unary {
                input: self.id(),
                op,
            },
            value,
            requires_grad,
        )
    }

    /// `e^x`, elementwise. Shape: unchanged.
    #[track_caller]
    pub fn exp(self) -> Self {
        self.unary(UnaryOp::Exp)
    }

    /// Natural logarithm, elementwise; `-inf` at 0 and NaN below. Shape:
    /// unchanged.
    #[track_caller]
    pub fn ln(self) -> Self {
        self.unary(UnaryOp::Ln)
    }

    /// Square root, elementwise; NaN below 0, and an infinite gradient at 0.
    /// Shape: unchanged.
    #[track_caller]
    pub fn sqrt(self) -> Self {
        self.unary(UnaryOp::Sqrt)
    }

    /// `|x|`, elementwise. Its gradient at exactly 0 is 0. Shape: unchanged.
    #[track_caller]
    pub fn abs(self) -> Self {
        self.unary(UnaryOp::Abs)
    }

    /// `x^2`, elementwise. Shape: unchanged.
    #[track_caller]
    pub fn square(self) -> Self {
        self.unary(UnaryOp::Square)
    }

    /// `1 / x`, elementwise. Shape: unchanged.
    #[track_caller]
    pub fn recip(self) -> Self {
        self.unary(UnaryOp::Recip)
    }

    /// `x^p` for a constant exponent, elementwise; the gradient is
    /// `p x^(p-1)`. Shape: unchanged.
    #[track_caller]
    pub fn powf(self, exponent: T) -> Self {
        self.unary(UnaryOp::Powf(exponent))
    }

    /// Hyperbolic tangent, elementwise. Shape: unchanged.
    #[track_caller]
    pub fn tanh(self) -> Self {
        self.unary(UnaryOp::Tanh)
    }

    /// The logistic function `1 / (1 + e^-x)`, elementwise, computed without
    /// overflow for inputs of any magnitude. Shape: unchanged.
    ///
    /// # Examples
    ///
    /// ```
    /// use tensor::{Tape, Tensor};
    ///
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::new(vec![-1000.0, 0.0, 1000.0], &[3]));
    /// let y = x.sigmoid();
    /// assert_eq!(y.value().data(), &[0.0, 0.5, 1.0]);
    /// ```
    #[track_caller]
    pub fn sigmoid(self) -> Self {
        self.unary(UnaryOp::Sigmoid)
    }

    /// `max(x, 0)`, elementwise; NaN stays NaN. The gradient is 1 for
    /// `x > 0` and 0 otherwise, including at exactly 0 (as PyTorch and JAX).
    /// Shape: unchanged.
    #[track_caller]
    pub fn relu(self) -> Self {
        self.unary(UnaryOp::Relu)
    }

    /// `x` for `x > 0`, else `slope * x`, elementwise. At exactly 0 the
    /// gradient is `slope`. Shape: unchanged.
    #[track_caller]
    pub fn leaky_relu(self, slope: T) -> Self {
        self.unary(UnaryOp::LeakyRelu(slope))
    }

    /// `ln(1 + e^x)`, elementwise, finite for inputs of any magnitude. Shape:
    /// unchanged.
    #[track_caller]
    pub fn softplus(self) -> Self {
        self.unary(UnaryOp::Softplus)
    }

    /// `ln(sigmoid(x)) = -softplus(-x)`, elementwise, finite for inputs of any
    /// magnitude. Shape: unchanged.
    #[track_caller]
    pub fn log_sigmoid(self) -> Self {
        self.unary(UnaryOp::LogSigmoid)
    }

    /// Limits each element to `[min, max]`. The gradient is 1 inside the
    /// interval, boundaries included, and 0 outside. Shape: unchanged.
    ///
    /// # Panics
    ///
    /// When `min > max` or either bound is NaN.
    #[track_caller]
    pub fn clamp(self, min: T, max: T) -> Self {
        if min.is_nan() || max.is_nan() || min > max {
            panic!("clamp: the bounds [{min}, {max}] are not an interval; pass min <= max");
        }
        self.unary(UnaryOp::Clamp(min, max))
    }

    /// `x + c` for a constant `c`, elementwise. Shape: unchanged.
    #[track_caller]
    pub fn add_scalar(self, c: T) -> Self {
        self.unary(UnaryOp::AddScalar(c))
    }

    /// `x * c` for a constant `c`, elementwise. Shape: unchanged.
    #[track_caller]
    pub fn mul_scalar(self, c: T) -> Self {
        self.unary(UnaryOp::MulScalar(c))
    }
}
