//! The element types a [`Tensor`](crate::Tensor) can hold.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use crate::kernels::{exp, packed_gemm};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point element type: implemented for `f32` and `f64` only.
///
/// The trait is sealed, so kernels can rely on IEEE-754 semantics and on a
/// matching GEMM routine for every implementor.
pub trait Float:
    Copy
    + Debug
    + Display
    + Default
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + sealed::Sealed
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// The type's name as written in Rust (`"f32"` or `"f64"`).
    const NAME: &'static str;

    /// Converts from `f64`, rounding to nearest for `f32`.
    fn from_f64(value: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Converts a count or index to this type.
    fn from_usize(value: usize) -> Self;
    /// `e^self`, computed without branches so that loops over it
    /// vectorize. Over two million sampled points it is within one unit in
    /// the last place of the C library's `exp` (glibc here). It uses plain
    /// IEEE 754 arithmetic with no fused multiply-add, so it gives the same
    /// bits whatever vector instructions a loop is compiled for.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate near zero.
    fn ln_1p(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self` raised to a floating-point power.
    fn powf(self, exponent: Self) -> Self;
    /// Hyperbolic tangent, computed from `e^(2|x|) - 1` without branches
    /// like [`Float::exp`], so that loops over it vectorize. In `f64` it is
    /// within about 2.5 units in the last place of the exact value (the C
    /// library's `tanh` is within about 2), and between 0.05 and 0.55 it is
    /// not monotone at that level. In `f32` it is within one unit of the
    /// C library's `f64` `tanh` rounded to `f32`.
    fn tanh(self) -> Self;
    /// The larger of two values; NaN if either is NaN.
    fn max(self, other: Self) -> Self;
    /// The smaller of two values; NaN if either is NaN.
    fn min(self, other: Self) -> Self;
    /// `true` unless the value is NaN or infinite.
    fn is_finite(self) -> bool;
    /// `true` if the value is NaN.
    fn is_nan(self) -> bool;

    /// General matrix product `C = alpha * A B + beta * C` on strided
    /// operands, as `matrixmultiply`'s `sgemm`/`dgemm` define it.
    ///
    /// # Safety
    ///
    /// `a`, `b` and `c` must address `m x k`, `k x n` and `m x n` matrices
    /// with the given row and column strides, all in bounds, and `c` must
    /// not alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

macro_rules! impl_float {
    ($t:ty, $name:literal, $exp:path, $tanh:path, $gemm:path) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAME: &'static str = $name;

            #[inline]
            fn from_f64(value: f64) -> Self {
                value as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_usize(value: usize) -> Self {
                value as $t
            }
            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn powf(self, exponent: Self) -> Self {
                <$t>::powf(self, exponent)
            }
            #[inline]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                if self.is_nan() || other.is_nan() {
                    <$t>::NAN
                } else if self >= other {
                    self
                } else {
                    other
                }
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                if self.is_nan() || other.is_nan() {
                    <$t>::NAN
                } else if self <= other {
                    self
                } else {
                    other
                }
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline]
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: the caller upholds the bounds and aliasing contract.
                unsafe { $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
            }
        }
    };
}

impl_float!(f32, "f32", exp::exp_f32, exp::tanh_f32, packed_gemm::sgemm);
impl_float!(f64, "f64", exp::exp_f64, exp::tanh_f64, packed_gemm::dgemm);
