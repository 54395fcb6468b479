//! Run-time choice of the instruction set, and the `unsafe` calls into code compiled for it.
//!
//! The kernels for x86-64 are the `#[target_feature]` functions of [`simd`](super::simd)
//! (AVX-512 or AVX2, with FMA). The loops around them (the blocked driver with its packing,
//! [`super::blocked`]) and the tiny product ([`kernel::tiny`]) are plain Rust marked
//! `#[inline(always)]`, instantiated here inside `#[target_feature]` functions so that LLVM
//! compiles them for AVX2 and FMA. Calling a `#[target_feature]` function from code compiled
//! without the features is `unsafe` (on a CPU without them its instructions would fault);
//! those calls are the `unsafe` blocks below, each made through a proof type ([`x86`]'s
//! `Avx512`, `Avx2`) that only a successful run-time feature detection creates. Elsewhere,
//! the portable copy is plain Rust.
//!
//! Tile shapes (`MR` rows × `NR` columns of C, accumulators in registers; the edges of C
//! use `MR2`, `MR3` rows and `NR2` columns), and the direct kernel's `R` rows at a time:
//!
//! | ISA      | registers | f32 `MR/MR2/MR3 × NR/NR2`, `R` | f64 `MR/MR2/MR3 × NR/NR2`, `R` |
//! |----------|-----------|--------------------------------|--------------------------------|
//! | AVX-512  | 32 × 512b | 12/8/4 × 32/16, 8              | 12/8/4 × 16/8, 8               |
//! | AVX2     | 16 × 256b | 6/4/2 × 16/8, 6                | 6/4/2 × 8/4, 6                 |
//! | portable | —         | 6/4/2 × 8/4, 4                 | 6/4/2 × 4/2, 4                 |
//!
//! The narrow kernel (B read where it lies, up to 3 vectors a row) runs 8 rows at a time
//! with AVX-512, 6 with AVX2 (3 when its rows are 3 vectors wide); the portable copy has
//! none and packs B.
//!
//! A full tile takes `MR · NR/lanes` accumulator registers (24 with AVX-512, 12 with AVX2),
//! plus `NR/lanes` for a row of B and one for the broadcast of A: per step of `p`,
//! `MR + NR/lanes` loads feed `MR · NR/lanes` FMAs, few enough loads that the FMA units, not
//! the load ports, set the pace (AVX-512 f32: 14 loads, 24 FMAs, 768 flops per step).
#![allow(unsafe_code)]

use ndarray::{ArrayView2, NdFloat};

use super::{Blocking, Scratch, kernel};

/// The instruction sets there is a compiled copy for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// Off x86-64 only the portable copy exists, and only the tests name the others.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) enum Isa {
    /// x86-64 with AVX-512F, AVX-512VL and FMA.
    Avx512,
    /// x86-64 with AVX2 and FMA.
    Avx2,
    /// Any CPU: plain Rust, vectorised for the compile-time target only.
    Portable,
}

impl Isa {
    /// The best instruction set this CPU has (the detection is cached by `std`).
    #[inline]
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if x86::Avx512::new().is_some() {
                return Self::Avx512;
            }
            if x86::Avx2::new().is_some() {
                return Self::Avx2;
            }
        }
        Self::Portable
    }

    /// Whether this CPU can run the instruction set (for tests that try every copy).
    #[cfg(test)]
    pub(crate) fn available(self) -> bool {
        match self {
            Self::Portable => true,
            Self::Avx2 => matches!(Self::detect(), Self::Avx2 | Self::Avx512),
            Self::Avx512 => Self::detect() == Self::Avx512,
        }
    }
}

/// The float types with compiled kernels, `f32` and `f64`: per type, the thread's scratch
/// and the products for each instruction set.
///
/// An `isa` this CPU lacks (only tests ask for one) falls back to the portable copy.
pub(crate) trait Element: NdFloat {
    /// The width in values of the widest tile (`NR`) for `isa`.
    fn panel_width(isa: Isa) -> usize;

    /// Runs `f` with this thread's scratch for the type.
    fn with_scratch<R>(f: impl FnOnce(&mut Scratch<Self>) -> R) -> R;

    /// The blocked product ([`super::blocked`]) with the tiles and block sizes for `isa`.
    #[allow(clippy::too_many_arguments)]
    fn blocked(
        isa: Isa,
        alpha: Self,
        a: ArrayView2<'_, Self>,
        b: ArrayView2<'_, Self>,
        load: bool,
        c: &mut [Self],
        ldc: usize,
        buf: &mut Vec<Self>,
    );

    /// The direct path ([`super::direct`]) with the kernel for `isa`; `a` is A's data, its
    /// leading dimension, and whether it is row-major; `bias`, if given, is added to each
    /// row of C after the product.
    #[allow(clippy::too_many_arguments)]
    fn direct(
        isa: Isa,
        m: usize,
        a: (&[Self], usize, bool),
        b: ArrayView2<'_, Self>,
        load: bool,
        c: &mut [Self],
        ldc: usize,
        buf: &mut Vec<Self>,
        bias: Option<&[Self]>,
    );

    /// The tiny product ([`kernel::tiny`]) for `isa`.
    fn tiny(
        isa: Isa,
        mkn: (usize, usize, usize),
        alpha: Self,
        a: Strided<'_, Self>,
        b: Strided<'_, Self>,
        beta: Self,
        c: StridedMut<'_, Self>,
    );
}

/// An operand of the tiny product: its data and its row and column strides.
pub(crate) type Strided<'a, E> = (&'a [E], usize, usize);

/// The destination of the tiny product: its data and its row and column strides.
pub(crate) type StridedMut<'a, E> = (&'a mut [E], usize, usize);

/// A micro-kernel ([`kernel::tile`]) for element type `E`, compiled for one instruction set.
///
/// The tile is its own (not inlined) function: the loops around it are the same for every
/// instruction set, and one call per tile is nothing next to `kc` steps of `MR × NR` FMAs.
pub(super) trait Tile<E>: Copy {
    /// One `MR × NR` tile from panels `LDA` rows and `LDB` columns wide.
    fn tile<
        const MR: usize,
        const NR: usize,
        const LDA: usize,
        const LDB: usize,
        const A_ROWS: bool,
    >(
        self,
        kc: usize,
        a: &[E],
        b: &[E],
        c: &mut [E],
        ldc: usize,
        load: bool,
    );

    /// `panel[p·R + j] = cols[j][p]`: the transpose in packing a column-major operand.
    fn interleave<const R: usize>(self, panel: &mut [E], cols: &[&[E]; R]);

    /// [`kernel::direct`]: the direct kernel over one packed panel of B, `LDB` wide.
    #[allow(clippy::too_many_arguments)]
    fn direct<const R: usize, const NR: usize, const LDB: usize, const A_ROWS: bool>(
        self,
        k: usize,
        a: &[E],
        lda: usize,
        m: usize,
        b: &[E],
        c: &mut [E],
        ldc: usize,
        nr: usize,
        load: bool,
    );

    /// The narrow kernel (`simd`'s `narrow_*`): all `m` rows of C (`n ≤ NV · lanes`
    /// columns) from B read where it lies, row-major and `n` values a row, in one pass,
    /// with `bias` (`n` values) added to each row as it is stored, if given. Says `false`,
    /// having done nothing, where the instruction set has no such kernel (the portable
    /// copy): the caller packs B and runs [`Tile::direct`].
    #[allow(clippy::too_many_arguments)]
    fn narrow<const NV: usize, const A_ROWS: bool>(
        self,
        _k: usize,
        _a: &[E],
        _lda: usize,
        _m: usize,
        _b: &[E],
        _n: usize,
        _c: &mut [E],
        _ldc: usize,
        _load: bool,
        _bias: Option<&[E]>,
    ) -> bool {
        false
    }
}

/// Whether the portable copy may use `mul_add`: only where it is one instruction (without
/// hardware FMA it is a slow library call).
const PORTABLE_FUSED: bool = cfg!(any(target_arch = "aarch64", target_feature = "fma"));

/// The plain-Rust kernel, compiled for the build's target.
#[derive(Clone, Copy)]
struct Portable;

impl<E: NdFloat> Tile<E> for Portable {
    #[inline(never)]
    fn tile<
        const MR: usize,
        const NR: usize,
        const LDA: usize,
        const LDB: usize,
        const A_ROWS: bool,
    >(
        self,
        kc: usize,
        a: &[E],
        b: &[E],
        c: &mut [E],
        ldc: usize,
        load: bool,
    ) {
        kernel::tile::<E, MR, NR, LDA, LDB, A_ROWS, PORTABLE_FUSED>(kc, a, b, c, ldc, load);
    }

    #[inline(always)]
    fn interleave<const R: usize>(self, panel: &mut [E], cols: &[&[E]; R]) {
        super::pack::interleave::<E, R>(panel, cols);
    }

    #[inline(never)]
    fn direct<const R: usize, const NR: usize, const LDB: usize, const A_ROWS: bool>(
        self,
        k: usize,
        a: &[E],
        lda: usize,
        m: usize,
        b: &[E],
        c: &mut [E],
        ldc: usize,
        nr: usize,
        load: bool,
    ) {
        kernel::direct::<E, R, NR, LDB, A_ROWS, PORTABLE_FUSED>(k, a, lda, m, b, c, ldc, nr, load);
    }
}

/// Block sizes `kc`, `mc`, `nc`.
const fn blocking(kc: usize, mc: usize, nc: usize) -> Blocking {
    Blocking { kc, mc, nc }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use ndarray::{ArrayView2, NdFloat};

    use super::{Strided, StridedMut, Tile};
    use crate::gemm::{Blocking, blocked, kernel, simd};

    /// Proof that this CPU has AVX-512F, AVX-512VL, AVX2 and FMA: only [`Avx512::new`] makes
    /// one.
    #[derive(Clone, Copy)]
    pub(super) struct Avx512(());

    /// Proof that this CPU has AVX2 and FMA: only [`Avx2::new`] makes one.
    #[derive(Clone, Copy)]
    pub(super) struct Avx2(());

    impl Avx512 {
        /// `Some` if this CPU has AVX-512F, AVX-512VL, AVX2 and FMA.
        #[inline]
        pub(super) fn new() -> Option<Self> {
            (is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512vl")
                && is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma"))
            .then_some(Self(()))
        }
    }

    impl Avx2 {
        /// `Some` if this CPU has AVX2 and FMA.
        #[inline]
        pub(super) fn new() -> Option<Self> {
            (is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"))
                .then_some(Self(()))
        }
    }

    /// `Tile<$e>` for a proof type, calling the intrinsics kernel `$kernel`.
    macro_rules! tile_impl {
        ($proof:ident, $e:ty, $kernel:ident, $direct:ident, $interleave:ident,
         $narrow:ident, $r:literal, $r3:literal, ($r1_rows:literal, $r1_cols:literal)) => {
            impl Tile<$e> for $proof {
                #[inline(always)]
                fn tile<
                    const MR: usize,
                    const NR: usize,
                    const LDA: usize,
                    const LDB: usize,
                    const A_ROWS: bool,
                >(
                    self,
                    kc: usize,
                    a: &[$e],
                    b: &[$e],
                    c: &mut [$e],
                    ldc: usize,
                    load: bool,
                ) {
                    // SAFETY: `self` exists, so `new` detected on this CPU the features the
                    // kernel was compiled for.
                    unsafe { simd::$kernel::<MR, NR, LDA, LDB, A_ROWS>(kc, a, b, c, ldc, load) }
                }

                #[inline(always)]
                fn interleave<const R: usize>(self, panel: &mut [$e], cols: &[&[$e]; R]) {
                    // SAFETY: `self` exists, so `new` detected on this CPU the features the
                    // transpose was compiled for.
                    unsafe { simd::$interleave::<R>(panel, cols) }
                }

                #[inline(always)]
                fn direct<const R: usize, const NR: usize, const LDB: usize, const A_ROWS: bool>(
                    self,
                    k: usize,
                    a: &[$e],
                    lda: usize,
                    m: usize,
                    b: &[$e],
                    c: &mut [$e],
                    ldc: usize,
                    nr: usize,
                    load: bool,
                ) {
                    // SAFETY: `self` exists, so `new` detected on this CPU the features the
                    // kernel was compiled for.
                    unsafe {
                        simd::$direct::<R, NR, LDB, A_ROWS>(k, a, lda, m, b, c, ldc, nr, load)
                    }
                }

                #[inline(always)]
                fn narrow<const NV: usize, const A_ROWS: bool>(
                    self,
                    k: usize,
                    a: &[$e],
                    lda: usize,
                    m: usize,
                    b: &[$e],
                    n: usize,
                    c: &mut [$e],
                    ldc: usize,
                    load: bool,
                    bias: Option<&[$e]>,
                ) -> bool {
                    // `$r` rows at a time, `$r3` with the widest rows: the accumulators, a
                    // row of B and a broadcast within the registers.
                    // SAFETY: `self` exists, so `new` detected on this CPU the features the
                    // kernel was compiled for.
                    unsafe {
                        if NV == simd::MAX_NARROW_NV {
                            simd::$narrow::<$r3, NV, A_ROWS>(k, a, lda, m, b, n, c, ldc, load, bias)
                        } else if NV == 1 && A_ROWS {
                            simd::$narrow::<$r1_rows, NV, A_ROWS>(k, a, lda, m, b, n, c, ldc, load, bias)
                        } else if NV == 1 {
                            simd::$narrow::<$r1_cols, NV, A_ROWS>(k, a, lda, m, b, n, c, ldc, load, bias)
                        } else {
                            simd::$narrow::<$r, NV, A_ROWS>(k, a, lda, m, b, n, c, ldc, load, bias)
                        }
                    }
                    true
                }
            }
        };
    }

    // Narrow kernel rows: with AVX-512's 32 registers, 8 rows of up to 3 vectors (24
    // accumulators); with AVX2's 16, 6 rows of up to 2 (12), or 3 of 3 (9). Four rows of 3
    // fit the accumulators, a row of B and the broadcast in 16 registers exactly, but the
    // mask of the row's last vector made 17: one accumulator went to the stack and back on
    // every step. With 3 rows the 5-bit adder's step ran 7% faster (docs/performance.md).
    // Rows of one vector take more rows at a time with AVX2, so that a small batch is
    // fewer groups, each a chain of k dependent FMAs per accumulator: 7 rows of a row-major
    // A (its row pointers in general registers; 28 rows are 4 groups, not 6 + 6 + 6 + 6 + 4),
    // 10 of a column-major one (one contiguous run a step; 20 rows are 2 groups, not 4).
    tile_impl!(
        Avx512,
        f32,
        tile_avx512_f32,
        direct_avx512_f32,
        interleave_avx512_f32,
        narrow_avx512_f32,
        8,
        8,
        (8, 8)
    );
    tile_impl!(
        Avx512,
        f64,
        tile_avx512_f64,
        direct_avx512_f64,
        interleave_avx512_f64,
        narrow_avx512_f64,
        8,
        8,
        (8, 8)
    );
    tile_impl!(
        Avx2,
        f32,
        tile_avx2_f32,
        direct_avx2_f32,
        interleave_avx2_f32,
        narrow_avx2_f32,
        6,
        3,
        (7, 10)
    );
    tile_impl!(
        Avx2,
        f64,
        tile_avx2_f64,
        direct_avx2_f64,
        interleave_avx2_f64,
        narrow_avx2_f64,
        6,
        3,
        (7, 10)
    );

    /// For one instruction set: the `#[target_feature]` copies of the blocked and tiny
    /// products, and the safe methods on its proof type that call them.
    macro_rules! compiled_for {
        ($proof:ident, $features:literal, $blocked:ident, $tiny:ident) => {
            #[allow(clippy::too_many_arguments)]
            #[target_feature(enable = $features)]
            fn $blocked<
                F: NdFloat,
                const MR: usize,
                const MR2: usize,
                const MR3: usize,
                const NR: usize,
                const NR2: usize,
            >(
                proof: $proof,
                blocking: Blocking,
                alpha: F,
                a: ArrayView2<'_, F>,
                b: ArrayView2<'_, F>,
                load: bool,
                c: &mut [F],
                ldc: usize,
                buf: &mut Vec<F>,
            ) where
                $proof: Tile<F>,
            {
                blocked::<F, $proof, MR, MR2, MR3, NR, NR2>(
                    proof, blocking, alpha, a, b, load, c, ldc, buf,
                );
            }

            #[target_feature(enable = $features)]
            fn $tiny<F: NdFloat>(
                mkn: (usize, usize, usize),
                alpha: F,
                a: Strided<'_, F>,
                b: Strided<'_, F>,
                beta: F,
                c: StridedMut<'_, F>,
            ) {
                kernel::tiny::<F, true>(mkn, alpha, a, b, beta, c);
            }

            impl $proof {
                /// The blocked product compiled for this instruction set.
                #[allow(clippy::too_many_arguments)]
                #[inline]
                pub(super) fn blocked<
                    F: NdFloat,
                    const MR: usize,
                    const MR2: usize,
                    const MR3: usize,
                    const NR: usize,
                    const NR2: usize,
                >(
                    self,
                    blocking: Blocking,
                    alpha: F,
                    a: ArrayView2<'_, F>,
                    b: ArrayView2<'_, F>,
                    load: bool,
                    c: &mut [F],
                    ldc: usize,
                    buf: &mut Vec<F>,
                ) where
                    Self: Tile<F>,
                {
                    // SAFETY: `self` exists, so `new` detected on this CPU the features
                    // this copy was compiled for.
                    unsafe {
                        $blocked::<F, MR, MR2, MR3, NR, NR2>(
                            self, blocking, alpha, a, b, load, c, ldc, buf,
                        )
                    }
                }

                /// The tiny product compiled for this instruction set.
                #[inline]
                pub(super) fn tiny<F: NdFloat>(
                    self,
                    mkn: (usize, usize, usize),
                    alpha: F,
                    a: Strided<'_, F>,
                    b: Strided<'_, F>,
                    beta: F,
                    c: StridedMut<'_, F>,
                ) {
                    // SAFETY: `self` exists, so `new` detected on this CPU the features
                    // this copy was compiled for.
                    unsafe { $tiny(mkn, alpha, a, b, beta, c) }
                }
            }
        };
    }

    // The loops around the kernels (packing, edges) and the tiny product are plain Rust that
    // LLVM vectorises: compiled for AVX2 on both, because for AVX-512 it vectorised strided
    // copies into scatter instructions, slower than the scalar loops they replaced. The
    // kernels themselves (`simd`) are AVX-512 on `Avx512`.
    compiled_for!(Avx512, "avx2,fma", blocked_avx512, tiny_avx512);
    compiled_for!(Avx2, "avx2,fma", blocked_avx2, tiny_avx2);
}

/// `Element` for one float type: its thread-local scratch, and per instruction set the tile
/// shapes (`MR, MR2, MR3, NR, NR2`), block sizes (`kc, mc, nc`) and the shape of the direct
/// product (`R` rows at a time, panels `NR` or `NR2` wide).
macro_rules! element {
    ($e:ty, $scratch:ident,
     avx512: [$($a512:literal),*] ($($b512:literal),*) [$($d512:literal),*],
     avx2: [$($a2:literal),*] ($($b2:literal),*) [$($d2:literal),*],
     portable: [$($ap:literal),*] ($($bp:literal),*) [$($dp:literal),*]) => {
        thread_local! {
            static $scratch: std::cell::RefCell<Scratch<$e>> =
                const { std::cell::RefCell::new(Scratch::new()) };
        }

        impl Element for $e {
            #[inline]
            fn panel_width(isa: Isa) -> usize {
                match isa {
                    Isa::Avx512 => [$($a512),*][3],
                    Isa::Avx2 => [$($a2),*][3],
                    Isa::Portable => [$($ap),*][3],
                }
            }

            #[inline]
            fn with_scratch<R>(f: impl FnOnce(&mut Scratch<Self>) -> R) -> R {
                $scratch.with_borrow_mut(f)
            }

            #[inline]
            fn blocked(
                isa: Isa,
                alpha: Self,
                a: ArrayView2<'_, Self>,
                b: ArrayView2<'_, Self>,
                load: bool,
                c: &mut [Self],
                ldc: usize,
                buf: &mut Vec<Self>,
            ) {
                #[cfg(target_arch = "x86_64")]
                match isa {
                    Isa::Avx512 => {
                        if let Some(x) = x86::Avx512::new() {
                            let blocking = blocking($($b512),*);
                            return x.blocked::<Self, $($a512),*>(
                                blocking, alpha, a, b, load, c, ldc, buf,
                            );
                        }
                    }
                    Isa::Avx2 => {
                        if let Some(x) = x86::Avx2::new() {
                            let blocking = blocking($($b2),*);
                            return x.blocked::<Self, $($a2),*>(
                                blocking, alpha, a, b, load, c, ldc, buf,
                            );
                        }
                    }
                    Isa::Portable => {}
                }
                let _ = isa;
                let blocking = blocking($($bp),*);
                super::blocked::<Self, Portable, $($ap),*>(
                    Portable, blocking, alpha, a, b, load, c, ldc, buf,
                );
            }

            #[inline]
            fn direct(
                isa: Isa,
                m: usize,
                a: (&[Self], usize, bool),
                b: ArrayView2<'_, Self>,
                load: bool,
                c: &mut [Self],
                ldc: usize,
                buf: &mut Vec<Self>,
                bias: Option<&[Self]>,
            ) {
                use super::direct as run;
                #[cfg(target_arch = "x86_64")]
                match isa {
                    Isa::Avx512 => {
                        if let Some(x) = x86::Avx512::new() {
                            return run::<Self, _, $($d512),*>(x, m, a, b, load, c, ldc, buf, bias);
                        }
                    }
                    Isa::Avx2 => {
                        if let Some(x) = x86::Avx2::new() {
                            return run::<Self, _, $($d2),*>(x, m, a, b, load, c, ldc, buf, bias);
                        }
                    }
                    Isa::Portable => {}
                }
                let _ = isa;
                run::<Self, _, $($dp),*>(Portable, m, a, b, load, c, ldc, buf, bias);
            }

            #[inline]
            fn tiny(
                isa: Isa,
                mkn: (usize, usize, usize),
                alpha: Self,
                a: Strided<'_, Self>,
                b: Strided<'_, Self>,
                beta: Self,
                c: StridedMut<'_, Self>,
            ) {
                #[cfg(target_arch = "x86_64")]
                match isa {
                    Isa::Avx512 => {
                        if let Some(x) = x86::Avx512::new() {
                            return x.tiny(mkn, alpha, a, b, beta, c);
                        }
                    }
                    Isa::Avx2 => {
                        if let Some(x) = x86::Avx2::new() {
                            return x.tiny(mkn, alpha, a, b, beta, c);
                        }
                    }
                    Isa::Portable => {}
                }
                let _ = isa;
                kernel::tiny::<Self, PORTABLE_FUSED>(mkn, alpha, a, b, beta, c);
            }
        }
    };
}

// Tile shapes `[MR, MR2, MR3, NR, NR2]`, block sizes `(kc, mc, nc)` and the direct kernel's
// `[R, NR, NR2]`. The AVX-512 block sizes were measured (benches/kernels.rs, Xeon with 48
// KiB L1d and 2 MiB L2 per core): an A block of `mc × kc` = 24 KiB (24 × 256 in f32, 12 ×
// 256 in f64) stays in L1 while the B block, `kc × nc` = 1 MiB, streams past it from L2,
// and C is written `mc` rows at a time (see the module docs of `gemm`). Against the
// textbook's A block of 96 × 256 in L2: the weight gradient `1024×64ᵀ · 64×1024` 135
// against 78 GFLOP/s, and the weight gradients of an emulated training step of the
// 1024-wide network (chunks of 64 rows) 64–77 against 46; `mc` = 12 and 24 were within the
// noise of each other for `f32`, 48 was slower (125, and 61 in the step). The AVX2 and
// portable ones keep the earlier budget in bytes (not measured: no such CPU at hand).
element!(f32, SCRATCH_F32,
    avx512: [12, 8, 4, 32, 16] (256, 24, 1024) [8, 32, 16],
    avx2: [6, 4, 2, 16, 8] (256, 96, 2048) [6, 16, 8],
    portable: [6, 4, 2, 8, 4] (256, 96, 1024) [4, 8, 4]);
element!(f64, SCRATCH_F64,
    avx512: [12, 8, 4, 16, 8] (256, 12, 512) [8, 16, 8],
    avx2: [6, 4, 2, 8, 4] (256, 48, 2048) [6, 8, 4],
    portable: [6, 4, 2, 4, 2] (256, 48, 1024) [4, 4, 2]);
