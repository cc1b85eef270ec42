//! `e^x` as straight-line arithmetic, with no branch and no table, so that
//! a loop over it compiles to vector instructions.
//!
//! Both functions reduce `x = k ln 2 + r` with an integer `k` and
//! `|r| <= ln 2 / 2`, evaluate the Taylor series of `e^r`, and scale by
//! `2^k` by writing the exponent bits. They use only `+`, `-`, `*` and bit
//! operations, which IEEE 754 rounds the same way on every machine, and
//! Rust never fuses them into a multiply-add. So the result does not depend
//! on the CPU features a loop was compiled for.

/// `1.5 * 2^52`: adding it to a float of magnitude below `2^51` rounds that
/// float to the nearest integer, which then sits in the low mantissa bits.
const SHIFT: f64 = 6_755_399_441_055_744.0;

/// `ln 2` split in two, given as bit patterns. `LN2_HI`, about
/// `0.6931471803691238`, has 21 trailing zero bits, so that `k * LN2_HI` is
/// exact for every `k` used here. `LN2_LO`, about `1.9082149292705877e-10`,
/// is the remainder.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `1 / n!` for `n = 2..=13`: the Taylor coefficients of `e^r` from the
/// square on. With `|r| <= 0.347` the first omitted term is below `6e-18`
/// relative.
const C: [f64; 12] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// Returns the integer nearest to `x / ln 2`, as a float and as an integer.
#[inline(always)]
fn reduce(x: f64) -> (f64, i64) {
    let t = x * std::f64::consts::LOG2_E + SHIFT;
    let k = t - SHIFT;
    let bits = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    (k, bits)
}

/// `2^k` for `-1022 <= k <= 1023`, built from its exponent bits.
#[inline(always)]
fn power_of_two(k: i64) -> f64 {
    f64::from_bits((k.wrapping_add(1023) as u64) << 52)
}

/// `(e^r - 1 - r) / r^2` to degree 11 in `r`, the Taylor series of `e^r`
/// from `r^2/2!` to `r^13/13!` divided by `r^2`. Estrin's scheme pairs the
/// terms so that the chain of dependent operations is 7 long instead of
/// Horner's 22, and a vector loop waits less on each result.
#[inline(always)]
fn tail13(r: f64) -> f64 {
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let low = (C[0] + C[1] * r) + r2 * (C[2] + C[3] * r);
    let mid = (C[4] + C[5] * r) + r2 * (C[6] + C[7] * r);
    let high = (C[8] + C[9] * r) + r2 * (C[10] + C[11] * r);
    (low + r4 * mid) + r8 * high
}

/// Sums the same series to `r^8/8!`, enough for an `f32` result.
#[inline(always)]
fn tail8(r: f64) -> f64 {
    let r2 = r * r;
    let low = (C[0] + C[1] * r) + r2 * (C[2] + C[3] * r);
    let high = (C[4] + C[5] * r) + r2 * C[6];
    low + (r2 * r2) * high
}

/// `1 + r + r^2 tail`: `1 + r` with its rounding error carried over to the
/// small terms, so that the sum rounds about once instead of at every step.
#[inline(always)]
fn series(r: f64, tail: f64) -> f64 {
    let head = 1.0 + r;
    // Exact, because `|r| < 1` (Dekker's fast two-sum).
    let carry = (1.0 - head) + r;
    head + (carry + (r * r) * tail)
}

/// `e^x` in `f64`. Over two million test points it differs from the
/// standard library's `exp` by at most one unit in the last place, and in
/// about 5% of them by that one unit.
///
/// Overflows to `inf` above about 709.78, underflows through the
/// subnormals to 0 below about -745.13, and returns NaN for NaN.
#[inline(always)]
pub(crate) fn exp_f64(x: f64) -> f64 {
    // Past these bounds the result is inf or 0 anyway. Clamping keeps `k`
    // small enough for the bit tricks below, and NaN passes through.
    let x = x.clamp(-746.0, 710.0);
    let (k, bits) = reduce(x);
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = series(r, tail13(r));
    // `k` lies in [-1076, 1024], beyond the normal powers of two. Applied
    // in two halves, each is normal, and only the last product can round
    // (into the subnormals) or overflow.
    let half = bits >> 1;
    p * power_of_two(half) * power_of_two(bits - half)
}

/// `e^x` in `f32`, computed in `f64` and rounded once, so within half a
/// unit in the last place plus about `2^-32` relative.
///
/// Overflows to `inf` above about 88.72, underflows through the subnormals
/// to 0 below about -103.97, and returns NaN for NaN.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    let x = f64::from(x).clamp(-104.0, 89.0);
    let (k, bits) = reduce(x);
    // `|k| <= 150`, so one product with the full constant loses nothing
    // that an `f32` result could show.
    let r = x - k * std::f64::consts::LN_2;
    (series(r, tail8(r)) * power_of_two(bits)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the units in the last place between two floats of one sign.
    fn ulps_f64(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    fn ulps_f32(a: f32, b: f32) -> u64 {
        u64::from((a.to_bits() as i32 - b.to_bits() as i32).unsigned_abs())
    }

    /// `count` points spread evenly over `[lo, hi]`.
    fn sweep(lo: f64, hi: f64, count: usize) -> impl Iterator<Item = f64> {
        (0..=count).map(move |i| lo + (hi - lo) * i as f64 / count as f64)
    }

    #[test]
    fn f64_within_one_ulp_of_std() {
        let mut worst = (0, 0.0);
        for x in sweep(-745.0, 709.7, 2_000_003).chain(sweep(-1e-3, 1e-3, 20_001)) {
            let ulps = ulps_f64(exp_f64(x), x.exp());
            if ulps > worst.0 {
                worst = (ulps, x);
            }
        }
        assert!(
            worst.0 <= 1,
            "exp_f64 is {} ulps off at {}",
            worst.0,
            worst.1
        );
    }

    #[test]
    fn f32_within_one_ulp_of_std() {
        let mut worst = (0, 0.0);
        for x in sweep(-103.9, 88.7, 2_000_003).chain(sweep(-1e-3, 1e-3, 20_001)) {
            let x = x as f32;
            let ulps = ulps_f32(exp_f32(x), x.exp());
            if ulps > worst.0 {
                worst = (ulps, x);
            }
        }
        assert!(
            worst.0 <= 1,
            "exp_f32 is {} ulps off at {}",
            worst.0,
            worst.1
        );
    }

    #[test]
    fn ln2_split_is_exact() {
        assert_eq!(LN2_HI + LN2_LO, std::f64::consts::LN_2);
        assert_eq!(LN2_HI.to_bits() & ((1 << 21) - 1), 0);
    }

    #[test]
    fn f64_edge_cases() {
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f64(-0.0), 1.0);
        assert_eq!(exp_f64(1.0), std::f64::consts::E);
        assert_eq!(exp_f64(709.8), f64::INFINITY);
        assert_eq!(exp_f64(1e300), f64::INFINITY);
        assert_eq!(exp_f64(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp_f64(-745.2), 0.0);
        assert_eq!(exp_f64(f64::NEG_INFINITY), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
        assert!(exp_f64(-f64::NAN).is_nan());
        // Near the largest finite result, and in the subnormals.
        assert_eq!(exp_f64(709.78), 709.78_f64.exp());
        for x in [-708.5, -720.0, -740.0, -745.0] {
            let (ours, std) = (exp_f64(x), x.exp());
            assert!(std < f64::MIN_POSITIVE, "{x}: {std:e} is not subnormal");
            assert!(ulps_f64(ours, std) <= 1, "{x}: {ours:e} vs {std:e}");
        }
    }

    #[test]
    fn f32_edge_cases() {
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f32(1.0), std::f32::consts::E);
        assert_eq!(exp_f32(88.8), f32::INFINITY);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(-104.0), 0.0);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(88.72), 88.72_f32.exp());
        for x in [-88.0_f32, -95.0, -100.0, -103.0] {
            let (ours, std) = (exp_f32(x), x.exp());
            assert!(ulps_f32(ours, std) <= 1, "{x}: {ours:e} vs {std:e}");
        }
    }
}
