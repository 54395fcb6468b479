//! Loops compiled for the widest vectors the CPU has, chosen at run time.
//!
//! A baseline x86_64 build vectorises a loop with SSE2: 4 `f32` or 2 `f64` at a time; AVX2
//! does 8 and 4, AVX-512 16 and 8. [`vectorized`] runs a closure inside a function compiled
//! for AVX-512 or for AVX2, chosen on each call by the CPU and by how much work there is;
//! the closure's body, inlined there, is compiled for those vectors too. The element-wise
//! passes of a training step (the sigmoid, its derivative, the output error, the update)
//! are loops of this kind: in the baseline build the sigmoid alone was 25% of the 5-bit
//! adder's step on a CPU with AVX2 (perf; docs/performance.md).
//!
//! Rust never fuses `a·b + c` into one rounding on its own, with or without the features,
//! so a loop gives the same bits in every copy.

/// Runs `f`, compiled for the widest vectors this CPU has that `len` values of `T` fill:
/// AVX-512 for 64 bytes or more, AVX2 for 32 or more, else the baseline build.
///
/// `f` should be the loop itself (a closure over slices, calling only `#[inline]` code),
/// marked `#[inline(always)]`: what is not inlined into the copies is compiled for the
/// baseline, as it would be anyway. Without the mark LLVM leaves a closure whose loop is
/// larger than a line or two out of line, called from each copy and compiled for SSE2 (the
/// bias add and the bias gradient's column sums were, in the 5-bit adder's step). The
/// CPU's features are detected once and cached by the standard library, so a call costs a
/// load and a branch or two. On other architectures `f` runs as it is.
///
/// ```
/// use nn_tensor::vectorized;
///
/// let (x, mut y) = (vec![1.5_f32; 100], vec![2.0_f32; 100]);
/// // y ← y + 3·x, in AVX-512 or AVX2 vectors where the CPU has them.
/// vectorized::<f32, _>(y.len(), #[inline(always)] || {
///     y.iter_mut().zip(&x).for_each(|(y, &x)| *y += 3.0 * x);
/// });
/// assert!(y.iter().all(|&y| y == 6.5));
/// ```
#[inline(always)]
pub fn vectorized<T, R>(len: usize, f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    return x86::run(len.saturating_mul(size_of::<T>()), f);
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = len;
        f()
    }
}

/// The copies compiled for each instruction set, and the `unsafe` calls into them.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86 {
    use std::arch::is_x86_feature_detected;

    #[target_feature(enable = "avx512f")]
    fn with_avx512f<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx2")]
    fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// [`vectorized`](super::vectorized) for work of `bytes` bytes.
    #[inline(always)]
    pub(super) fn run<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
        // SAFETY (both calls): each function's one requirement, a CPU with the instruction
        // set it is compiled for, is checked just before the call.
        if bytes >= 64 && is_x86_feature_detected!("avx512f") {
            unsafe { with_avx512f(f) }
        } else if bytes >= 32 && is_x86_feature_detected!("avx2") {
            unsafe { with_avx2(f) }
        } else {
            f()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_length_gives_the_baseline_bits() {
        // Lengths below, at and past each threshold (8 and 16 f32, 4 and 8 f64), so each
        // copy this CPU has runs, with every remainder after its vectors.
        for len in 0..70 {
            let x: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let mut wide = x.clone();
            vectorized::<f32, _>(len, || wide.iter_mut().for_each(|v| *v = *v * 1.7 + 0.3));
            let baseline: Vec<f32> = x.iter().map(|&v| v * 1.7 + 0.3).collect();
            assert_eq!(wide, baseline, "f32, length {len}");
            let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let sum = vectorized::<f64, _>(len, || x.iter().map(|v| v * v).sum::<f64>());
            assert_eq!(sum, x.iter().map(|v| v * v).sum::<f64>(), "f64, length {len}");
        }
    }
}
