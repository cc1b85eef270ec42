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
    use crate::ops::unary::sigmoid;

    /// `out = f(input)`, elementwise.
    struct Map<'a, T, F> {
        input: &'a [T],
        out: &'a mut [T],
        f: F,
    }

    impl<T: Float, F: Fn(T) -> T> Kernel for Map<'_, T, F> {
        type Output = ();

        #[inline(always)]
        fn run(self) {
            for (o, &x) in self.out.iter_mut().zip(self.input) {
                *o = (self.f)(x);
            }
        }
    }

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

    /// Runs `f` over `input` plainly and through every instruction set the
    /// CPU has, and returns the outputs of each.
    fn every_path<T: Float, F: Fn(T) -> T + Copy>(input: &[T], f: F) -> Vec<Vec<T>> {
        let mut outputs = Vec::new();
        let mut out = vec![T::ZERO; input.len()];
        Map {
            input,
            out: &mut out,
            f,
        }
        .run();
        outputs.push(out);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut out = vec![T::ZERO; input.len()];
                // SAFETY: the CPU supports AVX2.
                unsafe {
                    avx2(Map {
                        input,
                        out: &mut out,
                        f,
                    })
                };
                outputs.push(out);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut out = vec![T::ZERO; input.len()];
                // SAFETY: the CPU supports AVX-512F.
                unsafe {
                    avx512(Map {
                        input,
                        out: &mut out,
                        f,
                    })
                };
                outputs.push(out);
            }
        }
        outputs
    }

    fn assert_same_bits<T: Float>(outputs: &[Vec<T>], function: &str) {
        let bits =
            |values: &Vec<T>| -> Vec<u64> { values.iter().map(|v| v.to_f64().to_bits()).collect() };
        for (path, other) in outputs.iter().enumerate().skip(1) {
            assert_eq!(
                bits(other),
                bits(&outputs[0]),
                "{function}: path {path} differs"
            );
        }
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits() {
        let wide = inputs::<f64>();
        assert_same_bits(&every_path(&wide, |x: f64| Float::exp(x)), "f64 exp");
        assert_same_bits(&every_path(&wide, sigmoid::<f64>), "f64 sigmoid");
        let narrow = inputs::<f32>();
        assert_same_bits(&every_path(&narrow, |x: f32| Float::exp(x)), "f32 exp");
        assert_same_bits(&every_path(&narrow, sigmoid::<f32>), "f32 sigmoid");
    }
}
