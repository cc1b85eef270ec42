//! `e^x` and `tanh x` as straight-line arithmetic, with no branch and no
//! table, so that a loop over them compiles to vector instructions.
//!
//! All of them reduce `x = k ln 2 + r` with an integer `k` and
//! `|r| <= ln 2 / 2`, evaluate the Taylor series of `e^r`, and scale by
//! `2^k` by writing the exponent bits. They use only `+`, `-`, `*`, `/`,
//! selects and bit operations, which IEEE 754 rounds the same way on every
//! machine, and Rust never fuses them into a multiply-add. So the result
//! does not depend on the CPU features a loop was compiled for.

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

/// Returns `tanh a` for `0 <= a <= 20`, computed from `E = e^(2a) - 1`.
///
/// With `2a = k ln 2 + r` and `q = e^r - 1` (a series without its leading
/// 1, so accurate near 0), it forms `E = 2^k q + (2^k - 1)` and
/// `E + 2 = 2^k q + (2^k + 1)`, each rounded once. For `k >= 1` the two
/// terms cancel at most by a factor of 1.4. Below `tanh a = 1/2` the result
/// is `E / (E + 2)`. Above it is `1 - 2 / (E + 2)`, where the subtraction
/// cannot cancel and the small term carries little of the error. A select
/// picks one of the two, so there is no branch. `tail` is [`tail13`] for
/// `f64` or [`tail8`] for a result rounded to `f32`.
#[inline(always)]
fn tanh_nonneg(a: f64, tail: fn(f64) -> f64) -> f64 {
    let x = 2.0 * a;
    let (k, bits) = reduce(x);
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let scale = power_of_two(bits);
    let scaled_q = scale * (r + (r * r) * tail(r));
    let denominator = scaled_q + (scale + 1.0);
    // tanh(0.5493) = 1/2.
    if a < 0.5493 {
        (scaled_q + (scale - 1.0)) / denominator
    } else {
        1.0 - 2.0 / denominator
    }
}

/// `tanh x` in `f64`, straight-line like [`exp_f64`]. Against 200-bit
/// arithmetic on 200,000 points it was up to 2.43 units in the last place
/// off, and glibc's `tanh` up to 2.08. The largest errors are at `|x|`
/// in `[0.17, 0.26]`, where the two terms of `E` cancel most. Between 0.05
/// and 0.55 consecutive inputs can give results that fall by 1 or 2 units,
/// so the function is not monotone at that level.
///
/// Returns `±1` beyond `|x| = 20` (the exact value rounds to 1 from about
/// 19.06 on), keeps the sign of `±0`, and returns NaN for NaN.
#[inline(always)]
pub(crate) fn tanh_f64(x: f64) -> f64 {
    tanh_nonneg(x.abs().clamp(0.0, 20.0), tail13).copysign(x)
}

/// `tanh x` in `f32`, by the method of [`tanh_f64`] computed in `f64` and
/// rounded once. Returns `±1` beyond `|x| = 10` (the exact value rounds to
/// 1 from about 9.01 on).
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let x = f64::from(x);
    tanh_nonneg(x.abs().clamp(0.0, 10.0), tail8).copysign(x) as f32
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

    /// Bounds the distance from the standard library's `tanh` over a sweep
    /// of `[-25, 25]` and a dense one near 0. In `f64` both functions can be
    /// up to about 2.5 units off the exact value, in opposite directions, so
    /// the bound is 5. The `f32` results are compared with the `f64` `tanh`
    /// rounded to `f32`.
    #[test]
    fn tanh_close_to_std() {
        let points = || sweep(-25.0, 25.0, 2_000_003).chain(sweep(-1e-3, 1e-3, 20_001));
        let worst64 = points()
            .map(|x| (ulps_f64(tanh_f64(x), x.tanh()), x))
            .fold((0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
        assert!(
            worst64.0 <= 5,
            "tanh_f64 is {} ulps off at {}",
            worst64.0,
            worst64.1
        );
        let worst32 = points()
            .map(|x| x as f32)
            .map(|x| (ulps_f32(tanh_f32(x), f64::from(x).tanh() as f32), x))
            .fold((0, 0.0), |a, b| if b.0 > a.0 { b } else { a });
        assert!(
            worst32.0 <= 1,
            "tanh_f32 is {} ulps off at {}",
            worst32.0,
            worst32.1
        );
    }

    /// `(x, hi, lo)` with `hi + lo` the exact `tanh x` to about 106 bits,
    /// computed with 200-bit arithmetic (mpmath): the 16 points of a
    /// 200,000-point search where `tanh_f64` erred most, all in
    /// `[0.17, 0.26]`, and 26 points spread over `[0, 19]`.
    const TANH_EXACT: [(f64, f64, f64); 42] = [
        (1e-300, 1e-300, 0.0),
        (1e-08, 1e-08, -3.3333333333333335e-25),
        (0.001, 0.0009999996666668, 1.7800613799166557e-20),
        (0.01, 0.00999966667999946, 2.249494707259477e-19),
        (0.05, 0.04995837495787998, -1.5963630612562948e-18),
        (0.1, 0.09966799462495582, 3.542433877641546e-18),
        (0.1733, 0.17158569137000115, 5.668731442582862e-19),
        (
            0.19379791744278332,
            0.1914076235363103,
            -7.461857196697864e-18,
        ),
        (0.2, 0.197375320224904, 6.334792292201447e-18),
        (
            0.20431464436286179,
            0.2015183250041796,
            -8.748134952050708e-18,
        ),
        (
            0.20450616826842266,
            0.20170206410001906,
            -7.298118388172469e-18,
        ),
        (
            0.20454254083555756,
            0.20173695663971836,
            -7.140692576111741e-18,
        ),
        (
            0.20537007346936706,
            0.20253067782806772,
            -8.555118301413298e-18,
        ),
        (
            0.20588994759330223,
            0.20302917487214048,
            -6.918610555808271e-18,
        ),
        (
            0.20748143637982736,
            0.20455456697422475,
            -8.291682518251696e-18,
        ),
        (
            0.2102546376008504,
            0.20721021704553155,
            -1.2003295136760164e-17,
        ),
        (
            0.21255649797598436,
            0.20941219041104736,
            -7.04164124107737e-18,
        ),
        (
            0.21355735846592475,
            0.21036895884917597,
            -8.530547967408678e-18,
        ),
        (
            0.21586151127583997,
            0.2125700703257505,
            -7.815697344825212e-18,
        ),
        (
            0.21626026446649743,
            0.21295077315117,
            -1.0545466909182638e-17,
        ),
        (
            0.2164831416624507,
            0.21316353320344378,
            -8.662552987258844e-18,
        ),
        (
            0.21782971368685972,
            0.21444854912880734,
            -1.0453247116873548e-17,
        ),
        (
            0.21917081277196082,
            0.21572760488838813,
            -8.195078068978115e-18,
        ),
        (
            0.21962209800092647,
            0.2161578461098703,
            -7.361319363235464e-18,
        ),
        (0.25, 0.24491866240370913, -1.6036228849882693e-18),
        (0.3, 0.2913126124515909, -6.4602656586469586e-18),
        (0.3466, 0.3333568084333619, 2.0062779683233993e-17),
        (0.4, 0.3799489622552249, 6.3008573143723185e-18),
        (0.5, 0.46211715726000974, 2.1916603238260928e-17),
        (0.5493, 0.49999539173530155, 1.9603202408498122e-17),
        (0.55, 0.5005202111902353, -2.2927568355840214e-17),
        (0.6, 0.5370495669980353, -2.923064398544366e-17),
        (0.75, 0.6351489523872873, 1.7012977006564836e-17),
        (1.0, 0.7615941559557649, 3.7090214482164924e-17),
        (1.5, 0.9051482536448664, 4.1992024501810215e-17),
        (2.0, 0.9640275800758169, -1.9413550547557176e-17),
        (3.0, 0.9950547536867305, -1.2991892863562624e-17),
        (5.0, 0.9999092042625951, 2.298523750966507e-17),
        (8.0, 0.9999997749296758, 4.556169644130666e-17),
        (12.0, 0.9999999999244973, 2.4308346468945755e-17),
        (18.0, 0.9999999999999996, -1.9815356198651153e-17),
        (19.0, 0.9999999999999999, 4.823964662155506e-17),
    ];

    #[test]
    fn tanh_f64_close_to_exact() {
        for (x, hi, lo) in TANH_EXACT {
            let ulp = f64::from_bits(hi.to_bits() + 1) - hi;
            // `ours - hi` is exact, because the two are within a few units.
            let error = ((tanh_f64(x) - hi) - lo).abs() / ulp;
            assert!(error <= 2.5, "tanh_f64({x:e}) is {error:.2} ulps off");
        }
    }

    #[test]
    fn tanh_edge_cases() {
        for (x, want) in [
            (0.0_f64, 0.0_f64),
            (20.0, 1.0),
            (1e300, 1.0),
            (f64::INFINITY, 1.0),
        ] {
            assert_eq!(tanh_f64(x).to_bits(), want.to_bits(), "{x}");
            assert_eq!(tanh_f64(-x).to_bits(), (-want).to_bits(), "{}", -x);
            let (x, want) = (x as f32, want as f32);
            assert_eq!(tanh_f32(x).to_bits(), want.to_bits(), "{x}");
            assert_eq!(tanh_f32(-x).to_bits(), (-want).to_bits(), "{}", -x);
        }
        assert!(tanh_f64(f64::NAN).is_nan());
        assert!(tanh_f32(f32::NAN).is_nan());
        // tanh x rounds to x for tiny x, subnormals included.
        for x in [1e-10, 1e-300, 4e-320, -5e-324] {
            assert_eq!(tanh_f64(x), x, "{x:e}");
        }
        for x in [1e-10_f32, 1e-40, -1e-45] {
            assert_eq!(tanh_f32(x), x, "{x:e}");
        }
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
