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
//! and `2^n` built from its bits.
//!
//! The range stops short of subnormal results: `x ≥ −86` in `f32`, `−700` in `f64`. The
//! sigmoid, the one caller, needs none (there `1 + e^x` rounds to 1), and so `2^n` is one
//! normal power of two, `2^(n−1)` times the polynomial with doubled coefficients (exactly
//! twice `e^r`'s, each rounding doubled): the exact `p·2^n` rounded once. Until December
//! 2026 a general `e^x` built `2^n` from two halves `2^h · 2^(n−h)` to reach the subnormals,
//! four operations more per value; the sigmoid's bits did not change when it went (compared
//! on all 2^32 `f32` inputs, in f64 at a million points and around the clamps).
//!
//! # Accuracy
//!
//! Within 2 ulp of the correctly rounded `e^x` over the range (the tests check every
//! 1/1024 step of it against `f64` for `f32`, and against the standard library in `f64` at
//! a million points, each reporting the largest error seen: 1 ulp for `f32`, 1 ulp for
//! `f64` on this machine). Overflow gives `+∞` (above 88.73 in `f32`, 709.79 in `f64`), and
//! NaN stays NaN, so a diverging network is still seen as one.

use std::any::Any;

use ndarray::NdFloat;

use crate::vectorized;

/// `e^x` in `f32` for `−86 ≤ x ≤ 89` (NaN passes through); see the module docs for the
/// method and the accuracy. Outside that range `n` would leave the normal exponents: the
/// caller clamps.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    debug_assert!(x.is_nan() || (-86.0..=89.0).contains(&x), "e^x for x = {x}, out of [−86, 89]");
    let (k, r) = reduce_f32(x);
    times_pow2_f32(taylor_f32::<2>(r), k)
}

/// `e^x` from the doubled polynomial `2·e^r` and `k`: `2·e^r · 2^(n−1)`, `n − 1` from −125
/// to 127, one normal power of two.
#[inline(always)]
fn times_pow2_f32(twice_exp_r: f32, k: f32) -> f32 {
    twice_exp_r * pow2_f32(exponent_f32(k) - 1)
}

/// Adding 1.5·2^23 rounds an `f32` to an integer (to nearest) and leaves it in the low bits.
const SHIFT_F32: f32 = 12_582_912.0;

/// Cody and Waite's reduction of `x`, `|x| < 2^15`: `(k, r)` with `k = n + 1.5·2^23`, whose
/// bits hold `n = round(x / ln 2)`, and `r = x − n·ln 2`, `|r| ≤ ln 2 / 2`.
#[inline(always)]
fn reduce_f32(x: f32) -> (f32, f32) {
    // 0.693359375, 9 significant bits: n·LN2_HI is exact for |n| < 2^15.
    const LN2_HI: f32 = f32::from_bits(0x3F31_8000);
    const LN2_LO: f32 = -2.121_944_4e-4; // ln 2 − LN2_HI
    let k = x * std::f32::consts::LOG2_E + SHIFT_F32;
    let n = k - SHIFT_F32;
    (k, (x - n * LN2_HI) - n * LN2_LO)
}

/// `S·e^r` for `|r| ≤ 0.35` and `S` a power of two, by the Taylor polynomial with its
/// coefficients times `S`: every rounding is `S` times that of `S = 1`.
#[inline(always)]
fn taylor_f32<const S: u8>(r: f32) -> f32 {
    let s = f32::from(S);
    // e^r = Σ_{i ≤ 7} r^i / i!; |r| ≤ 0.35, so r^8/8! < 6e-9, 0.1 ulp. By Horner's rule in
    // r² over pairs of terms (c_i + r·c_{i+1}): about the operations of plain Horner, but a
    // chain of 8 dependent ones instead of 14, and a small network's step waits on that
    // chain (the NAND neuron's epoch is one long chain through its sigmoid: 7% faster).
    // The largest error stays 1 ulp (the test below); full Estrin, a chain of 5, was 2.
    let (r2, pair) = (r * r, |c0: f32, c1: f32| s * c0 + r * (s * c1));
    let tail = pair(1.0 / 24.0, 1.0 / 120.0) + r2 * pair(1.0 / 720.0, 1.0 / 5040.0);
    pair(1.0, 1.0) + r2 * (pair(1.0 / 2.0, 1.0 / 6.0) + r2 * tail)
}

/// The integer `n` held in the low bits of `k = n + 1.5·2^23`.
#[inline(always)]
fn exponent_f32(k: f32) -> i32 {
    (k.to_bits() as i32).wrapping_sub(SHIFT_F32.to_bits() as i32)
}

/// `2^e` from its bits, for `−126 ≤ e ≤ 127`.
#[inline(always)]
fn pow2_f32(e: i32) -> f32 {
    f32::from_bits((e.wrapping_add(127) as u32) << 23)
}

/// [`exp_f32`] in `f64`, for `−700 ≤ x ≤ 710` (`n − 1` from −1011 to 1023).
#[inline(always)]
fn exp_f64(x: f64) -> f64 {
    debug_assert!(x.is_nan() || (-700.0..=710.0).contains(&x), "e^x for x = {x}");
    let (k, r) = reduce_f64(x);
    times_pow2_f64(taylor_f64::<2>(r), k)
}

/// [`times_pow2_f32`] in `f64`: `n − 1` from −1011 to 1023.
#[inline(always)]
fn times_pow2_f64(twice_exp_r: f64, k: f64) -> f64 {
    twice_exp_r * pow2_f64(exponent_f64(k) - 1)
}

/// Adding 1.5·2^52 rounds an `f64` to an integer and leaves it in the low bits.
const SHIFT_F64: f64 = 6_755_399_441_055_744.0;

/// [`reduce_f32`] in `f64`: `k = n + 1.5·2^52`, `|x| < 2^20`.
#[inline(always)]
fn reduce_f64(x: f64) -> (f64, f64) {
    // 0.693147180369123816490, 32 significant bits (fdlibm's split).
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let k = x * std::f64::consts::LOG2_E + SHIFT_F64;
    let n = k - SHIFT_F64;
    (k, (x - n * LN2_HI) - n * LN2_LO)
}

/// [`taylor_f32`] in `f64`, by plain Horner's rule.
#[inline(always)]
fn taylor_f64<const S: u8>(r: f64) -> f64 {
    let s = f64::from(S);
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
    let mut p = s * C[13];
    for c in C[..13].iter().rev() {
        p = p * r + s * c;
    }
    p
}

/// The integer `n` held in the low bits of `k = n + 1.5·2^52`.
#[inline(always)]
fn exponent_f64(k: f64) -> i64 {
    (k.to_bits() as i64).wrapping_sub(SHIFT_F64.to_bits() as i64)
}

/// `2^e` from its bits, for `−1022 ≤ e ≤ 1023`.
#[inline(always)]
fn pow2_f64(e: i64) -> f64 {
    f64::from_bits((e.wrapping_add(1023) as u64) << 52)
}

/// `σ(z) = 1 / (1 + e^(−z))` for one value, through [`sigmoid_f32`] or [`sigmoid_f64`]: the one
/// definition of the sigmoid, so that [`sigmoid_slice`] and the scalar
/// [`Activation::value`](crate::Activation::value) give the same bits.
#[inline(always)]
pub(crate) fn sigmoid<F: NdFloat>(z: F) -> F {
    // `F` is `f32` or `f64` (ndarray implements `NdFloat` for those two only): a downcast
    // of the function pointer, a comparison of two constants once monomorphised, picks the
    // typed body. Any other type would get the library's exp.
    let for_f32: fn(f32) -> f32 = sigmoid_f32;
    let for_f64: fn(f64) -> f64 = sigmoid_f64;
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
        vectorized::<f32, _>(
            z.len(),
            #[inline(always)]
            || sigmoid_f32_slice(z),
        );
    }
    fn for_f64(z: &mut [f64]) {
        vectorized::<f64, _>(
            z.len(),
            #[inline(always)]
            || sigmoid_f64_slice(z),
        );
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

/// `σ(z) = 1 / (1 + e^(−z))` in `f32`, with `−z` clamped to [−86, 89], [`exp_f32`]'s
/// range: below −86, `e^(−z) < 2^−124` and `1 + e^(−z)` rounds to 1 as it would unclamped;
/// above 88.73, `e^(−z)` overflows to `+∞` and `σ` is 0. NaN fails both comparisons and
/// passes through.
#[inline(always)]
fn sigmoid_f32(z: f32) -> f32 {
    1.0 / (1.0 + exp_f32(exponent_of_sigmoid_f32(z)))
}

/// `−z` clamped to [−86, 89] (NaN passes through): the argument of [`sigmoid_f32`]'s `e^x`.
#[inline(always)]
fn exponent_of_sigmoid_f32(z: f32) -> f32 {
    let x = -z;
    let x = if x < -86.0 { -86.0 } else { x };
    if x > 89.0 { 89.0 } else { x }
}

/// [`sigmoid_f32`] in `f64`, with `−z` clamped to [−700, 710].
#[inline(always)]
fn sigmoid_f64(z: f64) -> f64 {
    1.0 / (1.0 + exp_f64(exponent_of_sigmoid_f64(z)))
}

/// [`exponent_of_sigmoid_f32`] in `f64`: `−z` clamped to [−700, 710].
#[inline(always)]
fn exponent_of_sigmoid_f64(z: f64) -> f64 {
    let x = -z;
    let x = if x < -700.0 { -700.0 } else { x };
    if x > 710.0 { 710.0 } else { x }
}

/// Defines a sigmoid loop over a slice, inlined into each caller: the baseline build (SSE2
/// on x86_64) and [`vectorized()`]'s. It calls the scalar sigmoid's own pieces (the clamp,
/// the reduction, the polynomial, the power of two) in the same order, never fused (Rust
/// does not contract `a·b + c`), so every copy gives the scalar sigmoid's bits.
///
/// The loop takes blocks of three vectors of AVX2 (24 `f32`, 12 `f64`) and runs each stage
/// of the sigmoid over the whole block before the next: the clamp, the reduction, the
/// polynomial, then `2^n` and the division. Value by value, LLVM compiled one vector's
/// chain of about twenty dependent operations and a division at a time, and the loop
/// waited on that chain (51% of its samples on the store after the division, perf); stage
/// by stage it interleaves independent chains. The 5-bit adder's step (`bash
/// benches/paired.sh 8 adder5`, both builds at once): two vectors a block against value by
/// value, 1.041 (rounds 1.018–1.062); three against two, 1.017 (1.005–1.065); four against
/// two, 0.971; one block of four written value by value, about 1.0 (LLVM kept the chains
/// apart). In `f64` three vectors and two were within the noise of each other.
macro_rules! sigmoid_slice_loop {
    ($name:ident, $e:ty, $block:literal, $scalar:ident, $exponent_of_sigmoid:ident,
     $reduce:ident, $taylor:ident, $times_pow2:ident) => {
        #[inline(always)]
        fn $name(z: &mut [$e]) {
            const BLOCK: usize = $block;
            let mut blocks = z.chunks_exact_mut(BLOCK);
            for block in &mut blocks {
                let z: &mut [$e; BLOCK] = block.try_into().expect("one block");
                let mut x = [0.0; BLOCK];
                for i in 0..BLOCK {
                    x[i] = $exponent_of_sigmoid(z[i]);
                }
                let (mut k, mut r) = ([0.0; BLOCK], [0.0; BLOCK]);
                for i in 0..BLOCK {
                    (k[i], r[i]) = $reduce(x[i]);
                }
                let mut p = [0.0; BLOCK];
                for i in 0..BLOCK {
                    p[i] = $taylor::<2>(r[i]);
                }
                for i in 0..BLOCK {
                    z[i] = 1.0 / (1.0 + $times_pow2(p[i], k[i]));
                }
            }
            for v in blocks.into_remainder() {
                *v = $scalar(*v);
            }
        }
    };
}

sigmoid_slice_loop!(
    sigmoid_f32_slice,
    f32,
    24,
    sigmoid_f32,
    exponent_of_sigmoid_f32,
    reduce_f32,
    taylor_f32,
    times_pow2_f32
);
sigmoid_slice_loop!(
    sigmoid_f64_slice,
    f64,
    12,
    sigmoid_f64,
    exponent_of_sigmoid_f64,
    reduce_f64,
    taylor_f64,
    times_pow2_f64
);

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
        // Every 1/1024 from −86 to 88.7, against e^x in f64 rounded once to f32 (the
        // correctly rounded value, but for double-rounding ties, which do not matter at 2 ulp).
        let mut worst = (0, 0.0);
        let mut i = -86 * 1024;
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
            // From −700 to 709.7, with irregular low bits.
            let x = -700.0 + 1409.7 * (i as f64 + std::f64::consts::FRAC_1_PI) / 1e6;
            let e = ulps64(exp_f64(x), x.exp());
            if e > worst.0 {
                worst = (e, x);
            }
        }
        assert!(worst.0 <= 2, "{} ulp at x = {}", worst.0, worst.1);
    }

    #[test]
    fn exact_points_limits_and_nan() {
        // n = 0 and r = 0: the polynomial is exactly 1 (2, halved by 2^−1).
        assert_eq!(exp_f32(0.0), 1.0);
        assert_eq!(exp_f64(0.0), 1.0);
        assert_eq!(exp_f32(89.0), f32::INFINITY);
        assert_eq!(exp_f64(710.0), f64::INFINITY);
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f64(f64::NAN).is_nan());
        // The ends of the range, the largest finite results included.
        assert!(ulps32(exp_f32(88.72), (88.72_f32 as f64).exp() as f32) <= 2);
        assert!(ulps32(exp_f32(-86.0), (-86.0_f64).exp() as f32) <= 1);
        assert!(ulps64(exp_f64(709.7), 709.7_f64.exp()) <= 2);
        assert!(ulps64(exp_f64(-700.0), (-700.0_f64).exp()) <= 1);
    }

    #[test]
    fn sigmoid_near_the_correctly_rounded_value_and_at_its_limits() {
        // Every 1/256 from −88.7 (σ just above the subnormals) to 20, against 1/(1 + e^−z)
        // in f64 rounded once; f64 at a thousand points from −700 to 40.
        let mut i = -88 * 256 - 179;
        while i <= 20 * 256 {
            let z = i as f32 / 256.0;
            let expected = (1.0 / (1.0 + (-f64::from(z)).exp())) as f32;
            assert!(ulps32(sigmoid_f32(z), expected) <= 2, "f32 σ({z})");
            i += 1;
        }
        for i in 0..1000 {
            let z = -700.0 + 740.0 * (i as f64 + 0.25) / 1e3;
            assert!(ulps64(sigmoid_f64(z), 1.0 / (1.0 + (-z).exp())) <= 2, "f64 σ({z})");
        }
        // Past the clamps: 1 where 1 + e^−z rounds to 1, 0 where e^−z overflows.
        for z in [17.0, 86.5, 1e4, f32::INFINITY] {
            assert_eq!(sigmoid_f32(z), 1.0, "f32 σ({z})");
        }
        for z in [-88.8, -1e4, f32::NEG_INFINITY] {
            assert_eq!(sigmoid_f32(z), 0.0, "f32 σ({z})");
        }
        for z in [37.0, 700.5, 1e6, f64::INFINITY] {
            assert_eq!(sigmoid_f64(z), 1.0, "f64 σ({z})");
        }
        for z in [-709.8, -1e6, f64::NEG_INFINITY] {
            assert_eq!(sigmoid_f64(z), 0.0, "f64 σ({z})");
        }
        assert!(sigmoid_f32(f32::NAN).is_nan() && sigmoid_f64(f64::NAN).is_nan());
    }

    #[test]
    fn every_slice_length_gives_the_bits_of_the_scalar_sigmoid() {
        // Lengths below, at and past one AVX-512 vector and with every remainder, so the
        // run-time choice of loop (and its scalar tail) cannot change a bit.
        // The clamps, zeros, NaN and infinities at both ends, so that they fall in the
        // blocks of the loop as well as in its tail.
        let special =
            [-104.5, 89.5, -86.5, 86.5, 0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
        let values32: Vec<f32> = special
            .into_iter()
            .chain((0..97).map(|i| (i as f32 - 48.0) * 0.37))
            .chain(special)
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
