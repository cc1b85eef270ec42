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
