//! Runs a loop compiled for the widest vector instructions the CPU has.

/// A loop to compile once per instruction set. Implementations mark
/// [`Kernel::run`] `#[inline(always)]`, so that [`widest`] gets a copy of
/// the loop inside each of its target-feature functions.
pub(crate) trait Kernel {
    /// The value the loop returns.
    type Output;
    /// Runs the loop.
    fn run(self) -> Self::Output;
}

/// Runs `kernel` in a function compiled for AVX-512 or AVX2, whichever is
/// the widest the CPU supports, and as plain code otherwise. Its loops then
/// vectorize eight or four `f64` lanes wide (sixteen or eight `f32`)
/// instead of two. The results are the same either way: the kernels contain
/// no fused multiply-add and no reassociation.
///
/// NOTE: AVX-512 was measured faster than AVX2 only on Zen 4; on some Intel
/// server CPUs 512-bit code lowers the clock.
#[inline(always)]
pub(crate) fn widest<K: Kernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F.
            return unsafe { avx512(kernel) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2.
            return unsafe { avx2(kernel) };
        }
    }
    kernel.run()
}

/// Runs `kernel` compiled for AVX-512F.
///
/// # Safety
///
/// The CPU supports AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}

/// Runs `kernel` compiled for AVX2.
///
/// # Safety
///
/// The CPU supports AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::float::Float;
    use crate::ops::unary::{Forward, UnaryOp};

    /// Inputs across the range of `exp` and `sigmoid`, with the special
    /// values, in an odd count so that vector loops also run a remainder.
    fn inputs<T: Float>() -> Vec<T> {
        let mut values: Vec<T> = (0..2_001)
            .map(|i| T::from_f64(-800.0 + 0.8 * i as f64))
            .collect();
        for special in [0.0, -0.0, 1e-310, -1e-310, f64::INFINITY, f64::NEG_INFINITY] {
            values.push(T::from_f64(special));
        }
        values.push(T::from_f64(f64::NAN));
        values
    }

    /// Returns the bits of `op(input)` from the forward loop, run by `run`.
    fn forward_bits<T: Float>(
        input: &[T],
        op: UnaryOp<T>,
        run: impl FnOnce(Forward<'_, T>),
    ) -> Vec<u64> {
        let mut out = vec![T::ZERO; input.len()];
        run(Forward {
            op,
            input,
            out: &mut out,
        });
        out.iter().map(|value| value.to_f64().to_bits()).collect()
    }

    /// Asserts that the AVX2 and AVX-512 builds of the forward loop, where
    /// the CPU has them, give the plain build's bits.
    fn assert_paths_agree<T: Float>(op: UnaryOp<T>) {
        let input = inputs::<T>();
        let plain = forward_bits(&input, op, |kernel| kernel.run());
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2.
                let wide = forward_bits(&input, op, |kernel| unsafe { avx2(kernel) });
                assert_eq!(wide, plain, "{op:?} for {}: AVX2 differs", T::NAME);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F.
                let wide = forward_bits(&input, op, |kernel| unsafe { avx512(kernel) });
                assert_eq!(wide, plain, "{op:?} for {}: AVX-512 differs", T::NAME);
            }
        }
    }

    #[test]
    fn instruction_sets_agree_bitwise() {
        for op in [UnaryOp::Exp, UnaryOp::Sigmoid, UnaryOp::Tanh] {
            assert_paths_agree::<f64>(op);
        }
        for op in [UnaryOp::Exp, UnaryOp::Sigmoid, UnaryOp::Tanh] {
            assert_paths_agree::<f32>(op);
        }
    }
}
