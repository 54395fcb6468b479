//! `e^x` without a library call, so that a loop of them vectorises: the sigmoid's cost.
//!
//! The standard library's `exp` is a call into libm per element, which the compiler cannot
//! vectorise; on the small networks of the lessons and the adders it was most of a
//! feed-forward pass (the 4-bit adder's 5,376 sigmoids a step took 0.02 ms). The functions
//! here are plain branch-free arithmetic on floats and their bits, inlined, so a loop of
//! them over a slice compiles to SIMD code on any x86_64 (SSE2 is enough).
//!
//! # Method
//!
//! Cody and Waite's reduction: `x = n·ln 2 + r` with `n = round(x / ln 2)` and
//! `|r| ≤ ln 2 / 2` (ln 2 split in a high part with few bits, so `n·ln2_hi` is exact, and a
//! low part), `e^x = 2^n · e^r`, `e^r` by its Taylor polynomial (degree 7 in `f32`, 13 in
//! `f64`, whose first omitted terms are below 0.1 ulp; in `f32` evaluated by Horner's rule in
//! `r²` over pairs of terms, a shorter chain of dependent operations than plain Horner's),
//! and `2^n` built from its bits, as
//! the product of two halves `2^h · 2^(n−h)` so that every `n` of the clamped range, subnormal
//! results included, is reached with one final rounding.
//!
//! # Accuracy
//!
//! Within 2 ulp of the correctly rounded `e^x` wherever that is a normal number (the tests
//! check every 1/1024 step of the range against `f64` for `f32`, and against the standard
//! library in `f64` at a million points, each reporting the largest error seen: 1 ulp for
//! `f32`, 1 ulp for `f64` on this machine). Overflow gives `+∞`, underflow `0` or a
//! subnormal, `e^(−∞) = 0`, `e^∞ = ∞`, and NaN stays NaN, so a diverging network is still
//! seen as one.

use std::any::Any;

use ndarray::NdFloat;

use crate::vectorized;

/// `e^x` in `f32`; see the module docs for the method and the accuracy.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    // Below −104, e^x < 2^−150 rounds to 0; above 89, e^x > f32::MAX. Clamping there keeps
    // `n` in range; NaN fails both comparisons and passes through.
    let x = if x < -104.0 { -104.0 } else { x };
    let x = if x > 89.0 { 89.0 } else { x };
    // Adding 1.5·2^23 rounds to an integer (to nearest) and leaves it in the low bits.
    const SHIFT: f32 = 12_582_912.0;
    // 0.693359375, 9 significant bits: n·LN2_HI is exact for |n| < 2^15.
    const LN2_HI: f32 = f32::from_bits(0x3F31_8000);
    const LN2_LO: f32 = -2.121_944_4e-4; // ln 2 − LN2_HI
    let k = x * std::f32::consts::LOG2_E + SHIFT;
    let n = k - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r = Σ_{i ≤ 7} r^i / i!; |r| ≤ 0.35, so r^8/8! < 6e-9, 0.1 ulp. By Horner's rule in
    // r² over pairs of terms (c_i + r·c_{i+1}): about the operations of plain Horner, but a
    // chain of 8 dependent ones instead of 14, and a small network's step waits on that
    // chain (the NAND neuron's epoch is one long chain through its sigmoid: 7% faster).
    // The largest error stays 1 ulp (the test below); full Estrin, a chain of 5, was 2.
    let (r2, pair) = (r * r, |c0: f32, c1: f32| c0 + r * c1);
    let tail = pair(1.0 / 24.0, 1.0 / 120.0) + r2 * pair(1.0 / 720.0, 1.0 / 5040.0);
    let p = pair(1.0, 1.0) + r2 * (pair(1.0 / 2.0, 1.0 / 6.0) + r2 * tail);
    // 2^n = 2^h · 2^(n−h) with h = round(n/2): both halves are normal for |n| ≤ 150.
    let (h, rest) = halves_f32(k, n);
    let pow2 = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
    p * pow2(h) * pow2(rest)
}

/// `e^x` in `f64`; see the module docs for the method and the accuracy.
#[inline(always)]
pub(crate) fn exp_f64(x: f64) -> f64 {
    // Below −746, e^x < 2^−1076 rounds to 0; above 710, e^x > f64::MAX.
    let x = if x < -746.0 { -746.0 } else { x };
    let x = if x > 710.0 { 710.0 } else { x };
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5·2^52
    // 0.693147180369123816490, 32 significant bits (fdlibm's split).
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let k = x * std::f64::consts::LOG2_E + SHIFT;
    let n = k - SHIFT;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r = Σ_{i ≤ 13} r^i / i!; r^14/14! < 5e-18, under 0.05 ulp.
    const C: [f64; 14] = [
        1.0,
        1.0,
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
    let mut p = C[13];
    for c in C[..13].iter().rev() {
        p = p * r + c;
    }
    let (h, rest) = halves_f64(k, n);
    let pow2 = |e: i64| f64::from_bits((e.wrapping_add(1023) as u64) << 52);
    p * pow2(h) * pow2(rest)
}

/// The exponents `(h, n − h)` of `2^n = 2^h · 2^(n−h)`, `h = round(n/2)` (ties to even),
/// from `k = n + 1.5·2^23` and the integer `n` (`|n| ≤ 151`) as floats.
///
/// `k` and `h + 1.5·2^23` lie in [2^23, 2^24), where a float's bits count its integer
/// value, so both exponents are differences of bits: four operations fewer than taking `h`
/// back out as a float (`h + 1.5·2^23 − 1.5·2^23`) and converting `h` and `n − h` through
/// the shift one by one, for the same two integers (a test checks every `n`).
#[inline(always)]
fn halves_f32(k: f32, n: f32) -> (i32, i32) {
    const SHIFT: f32 = 12_582_912.0; // 1.5·2^23
    let half = n * 0.5 + SHIFT;
    let h = (half.to_bits() as i32).wrapping_sub(SHIFT.to_bits() as i32);
    (h, (k.to_bits() as i32).wrapping_sub(half.to_bits() as i32))
}

/// [`halves_f32`] in `f64`: `k = n + 1.5·2^52`, in [2^52, 2^53).
#[inline(always)]
fn halves_f64(k: f64, n: f64) -> (i64, i64) {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5·2^52
    let half = n * 0.5 + SHIFT;
    let h = (half.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    (h, (k.to_bits() as i64).wrapping_sub(half.to_bits() as i64))
}

/// `σ(z) = 1 / (1 + e^(−z))` for one value, through [`exp_f32`] or [`exp_f64`]: the one
/// definition of the sigmoid, so that [`sigmoid_slice`] and the scalar
/// [`Activation::value`](crate::Activation::value) give the same bits.
#[inline(always)]
pub(crate) fn sigmoid<F: NdFloat>(z: F) -> F {
    // `F` is `f32` or `f64` (ndarray implements `NdFloat` for those two only): a downcast
    // of the function pointer, a comparison of two constants once monomorphised, picks the
    // typed body. Any other type would get the library's exp.
    let for_f32: fn(f32) -> f32 = |z| 1.0 / (1.0 + exp_f32(-z));
    let for_f64: fn(f64) -> f64 = |z| 1.0 / (1.0 + exp_f64(-z));
    if let Some(f) = (&for_f32 as &dyn Any).downcast_ref::<fn(F) -> F>() {
        f(z)
    } else if let Some(f) = (&for_f64 as &dyn Any).downcast_ref::<fn(F) -> F>() {
        f(z)
    } else {
        F::one() / (F::one() + (-z).exp())
    }
}

/// Every `z` of the slice replaced by `σ(z)`: a loop that vectorises, in the widest
/// vectors the CPU has (AVX-512 or AVX2, [`vectorized()`]) where the slice fills one. The
/// sigmoid over short rows was about a quarter of the 5-bit adder's step in the baseline
/// build's 4 `f32` lanes (docs/performance.md), on a CPU with AVX-512 and again on one with
/// AVX2 only.
pub(crate) fn sigmoid_slice<F: NdFloat>(z: &mut [F]) {
    // The typed loops are separate functions so that each is compiled, and vectorised, for
    // its float type; the generic body dispatches once per slice.
    fn for_f32(z: &mut [f32]) {
        vectorized::<f32, _>(z.len(), || sigmoid_f32(z));
    }
    fn for_f64(z: &mut [f64]) {
        vectorized::<f64, _>(z.len(), || sigmoid_f64(z));
    }
    let f32_loop: fn(&mut [f32]) = for_f32;
    let f64_loop: fn(&mut [f64]) = for_f64;
    if let Some(f) = (&f32_loop as &dyn Any).downcast_ref::<fn(&mut [F])>() {
        f(z)
    } else if let Some(f) = (&f64_loop as &dyn Any).downcast_ref::<fn(&mut [F])>() {
        f(z)
    } else {
        z.iter_mut().for_each(|v| *v = sigmoid(*v));
    }
}

/// The sigmoid loops, inlined into each caller: the baseline build (SSE2 on x86_64) and
/// [`vectorized()`]'s. The same operations in the same order either way, never fused (Rust does
/// not contract `a·b + c`), so both give the same bits.
#[inline(always)]
fn sigmoid_f32(z: &mut [f32]) {
    for v in z {
        *v = 1.0 / (1.0 + exp_f32(-*v));
    }
}

#[inline(always)]
fn sigmoid_f64(z: &mut [f64]) {
    for v in z {
        *v = 1.0 / (1.0 + exp_f64(-*v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance in units in the last place between two finite floats of one sign.
    fn ulps32(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    fn ulps64(a: f64, b: f64) -> u64 {
        (a.to_bits() as i128 - b.to_bits() as i128).unsigned_abs() as u64
    }

    #[test]
    fn f32_within_two_ulp_of_the_correctly_rounded_value() {
        // Every 1/1024 from −103 to 88.7, against e^x in f64 rounded once to f32 (the
        // correctly rounded value, but for double-rounding ties, which do not matter at 2 ulp).
        let mut worst = (0, 0.0);
        let mut i = -103 * 1024;
        while i as f32 / 1024.0 < 88.7 {
            let x = i as f32 / 1024.0;
            let expected = (x as f64).exp() as f32;
            let found = exp_f32(x);
            let e = ulps32(found, expected);
            if e > worst.0 {
                worst = (e, x);
            }
            i += 1;
        }
        assert!(worst.0 <= 2, "{} ulp at x = {}", worst.0, worst.1);
    }

    #[test]
    fn f64_within_two_ulp_of_the_standard_library() {
        let mut worst = (0, 0.0);
        for i in 0..1_000_000 {
            // From −745 to 709.7, with irregular low bits.
            let x = -745.0 + 1454.7 * (i as f64 + std::f64::consts::FRAC_1_PI) / 1e6;
            let e = ulps64(exp_f64(x), x.exp());
            if e > worst.0 {
                worst = (e, x);
            }
        }
        assert!(worst.0 <= 2, "{} ulp at x = {}", worst.0, worst.1);
    }

    #[test]
    fn halves_by_bits_are_the_halves_through_floats() {
        // Every n the clamped exponentials reach (and more), against the definition: h is
        // n/2 rounded to even, and each exponent taken out of a float by the shift.
        for n in -300..=300 {
            let (k, n32) = (n as f32 + 12_582_912.0, n as f32);
            let h = (n32 * 0.5 + 12_582_912.0) - 12_582_912.0;
            let int = |v: f32| (v + 12_582_912.0) as i64 - 12_582_912;
            assert_eq!(halves_f32(k, n32), (int(h) as i32, int(n32 - h) as i32), "f32, n = {n}");
            let shift = 6_755_399_441_055_744.0;
            let (k, n64) = (n as f64 + shift, n as f64);
            let h = (n64 * 0.5 + shift) - shift;
            assert_eq!(halves_f64(k, n64), (h as i64, (n64 - h) as i64), "f64, n = {n}");
            assert_eq!(h as i64, (n as f64 / 2.0).round_ties_even() as i64, "n = {n}");
        }
    }

    #[test]
    fn exact_points_limits_and_nan() {
        // n = 0 and r = 0: the polynomial is exactly 1.
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f32(1000.0), f32::INFINITY);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp_f32(-1000.0), 0.0);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f64(1e5), f64::INFINITY);
        assert_eq!(exp_f64(f64::NEG_INFINITY), 0.0);
        assert!(exp_f64(f64::NAN).is_nan());
        // The largest finite results, and subnormal ones, near the standard library's.
        assert!(exp_f32(88.72).is_finite());
        assert!(ulps32(exp_f32(88.72), (88.72_f32 as f64).exp() as f32) <= 2);
        let tiny = exp_f32(-100.0); // 3.7e-44, subnormal
        assert!(tiny > 0.0 && ulps32(tiny, (-100.0_f64).exp() as f32) <= 1);
        assert!(ulps64(exp_f64(709.7), 709.7_f64.exp()) <= 2);
        assert!(ulps64(exp_f64(-740.0), (-740.0_f64).exp()) <= 1);
    }

    #[test]
    fn every_slice_length_gives_the_bits_of_the_scalar_sigmoid() {
        // Lengths below, at and past one AVX-512 vector and with every remainder, so the
        // run-time choice of loop (and its scalar tail) cannot change a bit.
        let values32: Vec<f32> = (0..97)
            .map(|i| (i as f32 - 48.0) * 0.37)
            .chain([-104.5, 89.5, 0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY])
            .collect();
        let values64: Vec<f64> = values32.iter().map(|&v| f64::from(v) * 1.7).collect();
        for len in 0..values32.len() {
            let mut z = values32[..len].to_vec();
            sigmoid_slice(&mut z);
            for (&got, &v) in z.iter().zip(&values32) {
                assert_eq!(got.to_bits(), sigmoid(v).to_bits(), "f32 sigmoid({v}), length {len}");
            }
            let mut z = values64[..len].to_vec();
            sigmoid_slice(&mut z);
            for (&got, &v) in z.iter().zip(&values64) {
                assert_eq!(got.to_bits(), sigmoid(v).to_bits(), "f64 sigmoid({v}), length {len}");
            }
        }
    }
}
