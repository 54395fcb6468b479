//! The kernels for x86-64, with explicit AVX-512 and AVX2 intrinsics: the tile
//! ([`kernel::tile`](super::kernel::tile)), the direct kernel
//! ([`kernel::direct`](super::kernel::direct)), and the transpose used in packing.
//!
//! The same loops as the portable kernels, written with `std::arch` vector types so that
//! the vectorisation cannot go astray: left to itself, LLVM vectorised some tile shapes
//! across the rows of A (gathers and scatters to an accumulator array in memory, twenty
//! times slower) instead of across the columns of B, and turned a transpose into scalar
//! moves or scatters.
//!
//! Each kernel is a `#[target_feature]` function, so calling it is `unsafe` outside code
//! compiled for the same features; [`dispatch`](super::dispatch) calls it only through a
//! proof that the features were detected. Inside, the only `unsafe` operations are the
//! vector loads and stores: unaligned ones on a fixed-size array reference of exactly one
//! vector, masked ones on a slice no longer than the mask.
#![allow(unsafe_code)]

use std::arch::x86_64::{
    __m256, __m256d, __m256i, __m512, __m512d, _mm256_add_pd, _mm256_add_ps, _mm256_castpd_ps,
    _mm256_castps_pd, _mm256_cmpgt_epi32, _mm256_cmpgt_epi64, _mm256_fmadd_pd, _mm256_fmadd_ps,
    _mm256_loadu_pd, _mm256_loadu_ps, _mm256_maskload_pd, _mm256_maskload_ps, _mm256_maskstore_pd,
    _mm256_maskstore_ps, _mm256_permute2f128_pd, _mm256_permute2f128_ps, _mm256_set1_epi32,
    _mm256_set1_epi64x, _mm256_set1_pd, _mm256_set1_ps, _mm256_setr_epi32, _mm256_setr_epi64x,
    _mm256_setzero_pd, _mm256_setzero_ps, _mm256_storeu_pd, _mm256_storeu_ps, _mm256_unpackhi_pd,
    _mm256_unpackhi_ps, _mm256_unpacklo_pd, _mm256_unpacklo_ps, _mm512_add_pd, _mm512_add_ps,
    _mm512_castpd_ps, _mm512_castps_pd, _mm512_fmadd_pd, _mm512_fmadd_ps, _mm512_loadu_pd,
    _mm512_loadu_ps, _mm512_mask_storeu_pd, _mm512_mask_storeu_ps, _mm512_maskz_loadu_pd,
    _mm512_maskz_loadu_ps, _mm512_set1_pd, _mm512_set1_ps, _mm512_setzero_pd, _mm512_setzero_ps,
    _mm512_shuffle_f32x4, _mm512_shuffle_f64x2, _mm512_storeu_pd, _mm512_storeu_ps,
    _mm512_unpackhi_pd, _mm512_unpackhi_ps, _mm512_unpacklo_pd, _mm512_unpacklo_ps,
};

use super::kernel::{RUN, row_groups};

/// The most vectors a tile row may span (`NR ≤ MAX_NV · lanes`).
const MAX_NV: usize = 2;

/// Defines a vector load and store on exactly one vector's worth of values.
macro_rules! load_store {
    ($features:literal, $e:ty, $v:ty, $lanes:literal, $load:ident, $store:ident,
     $loadu:ident, $storeu:ident) => {
        /// One vector from `x`.
        #[inline]
        #[target_feature(enable = $features)]
        fn $load(x: &[$e; $lanes]) -> $v {
            // SAFETY: `x` is a reference to exactly one vector's worth of initialised
            // values; the load is unaligned, so any address is fine.
            unsafe { $loadu(x.as_ptr()) }
        }

        /// One vector into `x`.
        #[inline]
        #[target_feature(enable = $features)]
        fn $store(v: $v, x: &mut [$e; $lanes]) {
            // SAFETY: `x` is a unique reference to exactly one vector's worth of values;
            // the store is unaligned, so any address is fine.
            unsafe { $storeu(x.as_mut_ptr(), v) }
        }
    };
}

load_store!(
    "avx512f",
    f32,
    __m512,
    16,
    load_f32x16,
    store_f32x16,
    _mm512_loadu_ps,
    _mm512_storeu_ps
);
load_store!("avx512f", f64, __m512d, 8, load_f64x8, store_f64x8, _mm512_loadu_pd, _mm512_storeu_pd);
load_store!("avx", f32, __m256, 8, load_f32x8, store_f32x8, _mm256_loadu_ps, _mm256_storeu_ps);
load_store!("avx", f64, __m256d, 4, load_f64x4, store_f64x4, _mm256_loadu_pd, _mm256_storeu_pd);

/// Defines a load and a store of the first `x.len() ≤ lanes` values of a vector (the right
/// edge of C), with AVX-512 mask registers.
macro_rules! part_avx512 {
    ($e:ty, $v:ty, $lanes:literal, $mask:ty, $load:ident, $store:ident,
     $maskz_loadu:ident, $mask_storeu:ident) => {
        /// The first `x.len()` lanes from `x`, zero in the others.
        #[inline]
        #[target_feature(enable = "avx512f")]
        fn $load(x: &[$e]) -> $v {
            assert!(x.len() <= $lanes, "part of a vector");
            let mask = ((1_u32 << x.len()) - 1) as $mask;
            // SAFETY: the mask selects the first `x.len()` lanes, which `x` holds; AVX-512
            // masked loads do not touch the memory of masked-off lanes.
            unsafe { $maskz_loadu(mask, x.as_ptr()) }
        }

        /// The first `x.len()` lanes of `v` into `x`.
        #[inline]
        #[target_feature(enable = "avx512f")]
        fn $store(v: $v, x: &mut [$e]) {
            assert!(x.len() <= $lanes, "part of a vector");
            let mask = ((1_u32 << x.len()) - 1) as $mask;
            // SAFETY: the mask selects the first `x.len()` lanes, which `x` holds uniquely;
            // AVX-512 masked stores do not touch the memory of masked-off lanes.
            unsafe { $mask_storeu(x.as_mut_ptr(), mask, v) }
        }
    };
}

part_avx512!(
    f32,
    __m512,
    16,
    u16,
    load_part_f32x16,
    store_part_f32x16,
    _mm512_maskz_loadu_ps,
    _mm512_mask_storeu_ps
);
part_avx512!(
    f64,
    __m512d,
    8,
    u8,
    load_part_f64x8,
    store_part_f64x8,
    _mm512_maskz_loadu_pd,
    _mm512_mask_storeu_pd
);

/// The lanes below `len` of an AVX2 mask: all ones there, zero above.
#[inline]
#[target_feature(enable = "avx2")]
fn mask_f32x8(len: usize) -> __m256i {
    _mm256_cmpgt_epi32(_mm256_set1_epi32(len as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
}

/// The lanes below `len` of an AVX2 mask of 64-bit lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn mask_f64x4(len: usize) -> __m256i {
    _mm256_cmpgt_epi64(_mm256_set1_epi64x(len as i64), _mm256_setr_epi64x(0, 1, 2, 3))
}

/// Defines a load and a store of the first `x.len() ≤ lanes` values of a vector, with AVX2
/// masked moves.
macro_rules! part_avx2 {
    ($e:ty, $v:ty, $lanes:literal, $mask:ident, $load:ident, $store:ident,
     $maskload:ident, $maskstore:ident) => {
        /// The first `x.len()` lanes from `x`, zero in the others.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn $load(x: &[$e]) -> $v {
            assert!(x.len() <= $lanes, "part of a vector");
            // SAFETY: the mask selects the first `x.len()` lanes, which `x` holds; masked
            // AVX loads do not touch the memory of masked-off lanes.
            unsafe { $maskload(x.as_ptr(), $mask(x.len())) }
        }

        /// The first `x.len()` lanes of `v` into `x`.
        #[inline]
        #[target_feature(enable = "avx2")]
        fn $store(v: $v, x: &mut [$e]) {
            assert!(x.len() <= $lanes, "part of a vector");
            // SAFETY: the mask selects the first `x.len()` lanes, which `x` holds uniquely;
            // masked AVX stores do not touch the memory of masked-off lanes.
            unsafe { $maskstore(x.as_mut_ptr(), $mask(x.len()), v) }
        }
    };
}

part_avx2!(
    f32,
    __m256,
    8,
    mask_f32x8,
    load_part_f32x8,
    store_part_f32x8,
    _mm256_maskload_ps,
    _mm256_maskstore_ps
);
part_avx2!(
    f64,
    __m256d,
    4,
    mask_f64x4,
    load_part_f64x4,
    store_part_f64x4,
    _mm256_maskload_pd,
    _mm256_maskstore_pd
);

/// Defines one micro-kernel: [`kernel::tile`](super::kernel::tile) for one float type on one
/// instruction set.
macro_rules! tile {
    ($(#[$doc:meta])* $name:ident, $features:literal, $e:ty, $v:ty, $lanes:literal,
     $zero:ident, $splat:ident, $fma:ident, $load:ident, $store:ident) => {
        $(#[$doc])*
        #[inline(never)]
        #[target_feature(enable = $features)]
        pub(super) fn $name<
            const MR: usize,
            const NR: usize,
            const LDA: usize,
            const LDB: usize,
            const A_ROWS: bool,
        >(
            kc: usize,
            a: &[$e],
            b: &[$e],
            c: &mut [$e],
            ldc: usize,
            load: bool,
        ) {
            const L: usize = $lanes;
            const { assert!(NR % L == 0 && NR <= MAX_NV * L && NR <= LDB) };
            let nv = NR / L;
            let mut acc = [[$zero(); MAX_NV]; MR];
            if load {
                for (i, acc) in acc.iter_mut().enumerate() {
                    let row = &c[i * ldc..][..NR];
                    for v in 0..nv {
                        acc[v] = $load(row[v * L..][..L].try_into().expect("one vector"));
                    }
                }
            }
            // The loop the time is spent in: per step of `p`, `nv` vector loads of B, `MR`
            // broadcasts of A, `MR · nv` independent FMAs.
            let mut bv = [$zero(); MAX_NV];
            const { assert!(MR <= LDA) };
            let mut b_rows = b[..kc * LDB].chunks_exact(LDB);
            let mut steps = a[..kc * LDA].chunks_exact(LDA);
            if A_ROWS {
                // Runs of `RUN` steps of each row: constant offsets within a run.
                let runs = kc / RUN;
                for run in a[..runs * RUN * LDA].chunks_exact(RUN * LDA) {
                    let rows = &run.as_chunks::<RUN>().0[..MR];
                    for t in 0..RUN {
                        let bp = &b_rows.next().expect("kc rows of B")[..NR];
                        for v in 0..nv {
                            bv[v] = $load(bp[v * L..][..L].try_into().expect("one vector"));
                        }
                        for i in 0..MR {
                            let x = $splat(rows[i][t]);
                            for v in 0..nv {
                                acc[i][v] = $fma(x, bv[v], acc[i][v]);
                            }
                        }
                    }
                }
                // The last `kc % RUN` steps are packed by steps.
                steps = a[runs * RUN * LDA..kc * LDA].chunks_exact(LDA);
            }
            for (ap, bp) in steps.zip(b_rows) {
                let (ap, bp) = (&ap[..MR], &bp[..NR]);
                for v in 0..nv {
                    bv[v] = $load(bp[v * L..][..L].try_into().expect("one vector"));
                }
                for i in 0..MR {
                    let x = $splat(ap[i]);
                    for v in 0..nv {
                        acc[i][v] = $fma(x, bv[v], acc[i][v]);
                    }
                }
            }
            for (i, acc) in acc.iter().enumerate() {
                let row = &mut c[i * ldc..][..NR];
                for v in 0..nv {
                    $store(acc[v], (&mut row[v * L..][..L]).try_into().expect("one vector"));
                }
            }
        }
    };
}

tile!(
    /// The tile for `f32` on AVX-512: 16 lanes per vector.
    tile_avx512_f32, "avx512f,avx512vl,fma", f32, __m512, 16,
    _mm512_setzero_ps, _mm512_set1_ps, _mm512_fmadd_ps, load_f32x16, store_f32x16
);
tile!(
    /// The tile for `f64` on AVX-512: 8 lanes per vector.
    tile_avx512_f64, "avx512f,avx512vl,fma", f64, __m512d, 8,
    _mm512_setzero_pd, _mm512_set1_pd, _mm512_fmadd_pd, load_f64x8, store_f64x8
);
tile!(
    /// The tile for `f32` on AVX2: 8 lanes per vector.
    tile_avx2_f32, "avx2,fma", f32, __m256, 8,
    _mm256_setzero_ps, _mm256_set1_ps, _mm256_fmadd_ps, load_f32x8, store_f32x8
);
tile!(
    /// The tile for `f64` on AVX2: 4 lanes per vector.
    tile_avx2_f64, "avx2,fma", f64, __m256d, 4,
    _mm256_setzero_pd, _mm256_set1_pd, _mm256_fmadd_pd, load_f64x4, store_f64x4
);

/// Defines the direct kernel ([`kernel::direct`](super::kernel::direct)) for one float
/// type on one instruction set: `$name` runs all rows, `$rows` one group of `R`.
macro_rules! direct {
    ($(#[$doc:meta])* $name:ident, $rows:ident, $features:literal, $e:ty, $v:ty, $lanes:literal,
     $zero:ident, $splat:ident, $fma:ident, $load:ident, $store:ident,
     $load_part:ident, $store_part:ident) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        #[inline(never)]
        #[target_feature(enable = $features)]
        pub(super) fn $name<
            const R: usize,
            const NR: usize,
            const LDB: usize,
            const A_ROWS: bool,
        >(
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
            for (i, rows) in row_groups::<R>(m) {
                match rows {
                    g if g == R => $rows::<R, NR, LDB, A_ROWS>(k, a, lda, i, b, c, ldc, nr, load),
                    4 => $rows::<4, NR, LDB, A_ROWS>(k, a, lda, i, b, c, ldc, nr, load),
                    2 => $rows::<2, NR, LDB, A_ROWS>(k, a, lda, i, b, c, ldc, nr, load),
                    _ => $rows::<1, NR, LDB, A_ROWS>(k, a, lda, i, b, c, ldc, nr, load),
                }
            }
        }

        /// Rows `i0 … i0+R−1` of the direct kernel.
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = $features)]
        fn $rows<const R: usize, const NR: usize, const LDB: usize, const A_ROWS: bool>(
            k: usize,
            a: &[$e],
            lda: usize,
            i0: usize,
            b: &[$e],
            c: &mut [$e],
            ldc: usize,
            nr: usize,
            load: bool,
        ) {
            const L: usize = $lanes;
            const { assert!(NR % L == 0 && NR <= MAX_NV * L && NR <= LDB) };
            let nv = NR / L;
            assert!(0 < nr && nr <= NR, "the panel's width");
            // Lanes of vector `v` that exist in C: `L`, fewer at the right edge, or none.
            let width = |v: usize| nr.saturating_sub(v * L).min(L);
            let mut acc = [[$zero(); MAX_NV]; R];
            // A whole panel's rows are whole vectors: no lane counts to work out per vector.
            let whole = nr == NR;
            if load && whole {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let row = &c[(i0 + r) * ldc..][..NR];
                    for v in 0..nv {
                        acc[v] = $load(row[v * L..][..L].try_into().expect("one vector"));
                    }
                }
            } else if load {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let row = &c[(i0 + r) * ldc..][..nr];
                    for v in 0..nv {
                        let x = &row[v * L..][..width(v)];
                        acc[v] = match x.len() {
                            0 => $zero(),
                            L => $load(x.try_into().expect("one vector")),
                            _ => $load_part(x),
                        };
                    }
                }
            }
            let b = &b[..k * LDB];
            let mut bv = [$zero(); MAX_NV];
            if A_ROWS {
                // Plain loops, not `array::from_fn`: its closures were not inlined here.
                let mut rows: [&[$e]; R] = [&[]; R];
                for (r, row) in rows.iter_mut().enumerate() {
                    *row = &a[(i0 + r) * lda..][..k];
                }
                // Runs of `RUN` steps: one bounds check per row per run, then constant
                // offsets.
                let runs = k / RUN;
                for (run, b_run) in b.chunks_exact(RUN * LDB).enumerate() {
                    let p0 = run * RUN;
                    let mut rr: [&[$e]; R] = [&[]; R];
                    for (rr, row) in rr.iter_mut().zip(&rows) {
                        *rr = &row[p0..p0 + RUN];
                    }
                    for t in 0..RUN {
                        let bp = &b_run[t * LDB..][..NR];
                        for v in 0..nv {
                            bv[v] = $load(bp[v * L..][..L].try_into().expect("one vector"));
                        }
                        for r in 0..R {
                            let x = $splat(rr[r][t]);
                            for v in 0..nv {
                                acc[r][v] = $fma(x, bv[v], acc[r][v]);
                            }
                        }
                    }
                }
                for p in runs * RUN..k {
                    let bp = &b[p * LDB..][..NR];
                    for v in 0..nv {
                        bv[v] = $load(bp[v * L..][..L].try_into().expect("one vector"));
                    }
                    for r in 0..R {
                        let x = $splat(rows[r][p]);
                        for v in 0..nv {
                            acc[r][v] = $fma(x, bv[v], acc[r][v]);
                        }
                    }
                }
            } else {
                for (p, bp) in b.chunks_exact(LDB).enumerate() {
                    let ap = &a[p * lda + i0..][..R];
                    let bp = &bp[..NR];
                    for v in 0..nv {
                        bv[v] = $load(bp[v * L..][..L].try_into().expect("one vector"));
                    }
                    for r in 0..R {
                        let x = $splat(ap[r]);
                        for v in 0..nv {
                            acc[r][v] = $fma(x, bv[v], acc[r][v]);
                        }
                    }
                }
            }
            if whole {
                for (r, acc) in acc.iter().enumerate() {
                    let row = &mut c[(i0 + r) * ldc..][..NR];
                    for v in 0..nv {
                        $store(acc[v], (&mut row[v * L..][..L]).try_into().expect("one vector"));
                    }
                }
                return;
            }
            for (r, acc) in acc.iter().enumerate() {
                let row = &mut c[(i0 + r) * ldc..][..nr];
                for v in 0..nv {
                    let x = &mut row[v * L..][..width(v)];
                    match x.len() {
                        0 => {}
                        L => $store(acc[v], x.try_into().expect("one vector")),
                        _ => $store_part(acc[v], x),
                    }
                }
            }
        }
    };
}

/// Defines the narrow kernel for one float type on one instruction set: `$name` runs all
/// rows, `$rows` one group of `R`. It is the direct kernel with B read where it lies (row-major,
/// `n` values a row, no packing) and all of its `n ≤ NV · lanes` columns in one pass, the
/// last vector of each row loaded and stored under a mask. A small network's B (a 10 × 20
/// layer, a batch's 28 × 20 error) was packed into a 16-wide panel and an 8-wide one holding
/// 4 columns: two passes over A, and a copy of B, for a product of a few thousand
/// multiply-adds. Every element is the same chain of fused multiply-adds as in the tile.
macro_rules! narrow {
    ($(#[$doc:meta])* $name:ident, $rows:ident, $features:literal, $e:ty, $v:ty, $lanes:literal,
     $zero:ident, $splat:ident, $fma:ident, $load:ident, $store:ident,
     $load_part:ident, $store_part:ident, $add:ident) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        #[inline(never)]
        #[target_feature(enable = $features)]
        pub(super) fn $name<const R: usize, const NV: usize, const A_ROWS: bool>(
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
        ) {
            // Once per product, not per group of rows (the groups share `n`).
            const { assert!(0 < NV && NV <= MAX_NARROW_NV) };
            assert!((NV - 1) * $lanes < n && n <= NV * $lanes, "the row's width in vectors");
            // The groups' reads and writes are not bounds-checked one by one: this is.
            assert!(
                narrow_extents_fit(A_ROWS, m, k, (a.len(), lda), b.len(), n, (c.len(), ldc)),
                "the narrow kernel's operands are shorter than {m} × {k} times {k} × {n}"
            );
            // The bias as vectors, once per product: added to each row of C as it is stored.
            let bias = bias.map(|bias| {
                let bias = &bias[..n];
                let mut vectors = [$zero(); NV];
                for v in 0..NV - 1 {
                    vectors[v] = $load(bias[v * $lanes..][..$lanes].try_into().expect("one vector"));
                }
                vectors[NV - 1] = $load_part(&bias[(NV - 1) * $lanes..]);
                vectors
            });
            for (i, rows) in row_groups::<R>(m) {
                match rows {
                    g if g == R => $rows::<R, NV, A_ROWS>(k, a, lda, i, b, n, c, ldc, load, bias),
                    4 => $rows::<4, NV, A_ROWS>(k, a, lda, i, b, n, c, ldc, load, bias),
                    2 => $rows::<2, NV, A_ROWS>(k, a, lda, i, b, n, c, ldc, load, bias),
                    _ => $rows::<1, NV, A_ROWS>(k, a, lda, i, b, n, c, ldc, load, bias),
                }
            }
        }

        /// Rows `i0 … i0+R−1` of the narrow kernel.
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = $features)]
        fn $rows<const R: usize, const NV: usize, const A_ROWS: bool>(
            k: usize,
            a: &[$e],
            lda: usize,
            i0: usize,
            b: &[$e],
            n: usize,
            c: &mut [$e],
            ldc: usize,
            load: bool,
            bias: Option<[$v; NV]>,
        ) {
            const L: usize = $lanes;
            // `$name` checked the width; the masked loads and stores check their lengths.
            debug_assert!((NV - 1) * L < n && n <= NV * L, "the row's width in vectors");
            debug_assert!(narrow_extents_fit(
                A_ROWS, i0 + R, k, (a.len(), lda), b.len(), n, (c.len(), ldc)
            ));
            // SAFETY (each `get_unchecked` below): `$name` asserted that A, B and C hold all
            // of the product's rows and steps (`narrow_extents_fit`), and this group's rows,
            // i0 … i0+R−1, are some of them. Checked one by one, the slices were about a
            // third of the instructions around a group's loop (callgrind, the 5-bit adder).
            let c_row = |r: usize| (i0 + r) * ldc..;
            // Lanes of the last vector that exist in B's and C's rows: 1 to `L`.
            let last = n - (NV - 1) * L;
            let mut acc = [[$zero(); NV]; R];
            if load {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let row = unsafe { c.get_unchecked(c_row(r)).get_unchecked(..n) };
                    for v in 0..NV - 1 {
                        acc[v] = $load(row[v * L..][..L].try_into().expect("one vector"));
                    }
                    let tail = &row[(NV - 1) * L..];
                    acc[NV - 1] = if last == L {
                        $load(tail.try_into().expect("one vector"))
                    } else {
                        $load_part(tail)
                    };
                }
            }
            let mut rows: [&[$e]; R] = [&[]; R];
            if A_ROWS {
                for (r, row) in rows.iter_mut().enumerate() {
                    *row = unsafe { a.get_unchecked((i0 + r) * lda..).get_unchecked(..k) };
                }
            }
            // `p` below `k`, the length of `rows[r]`: `rows[r][p]` needs no check. Each slice
            // is cut to its length last, so that LLVM sees the length (`n` here), takes the
            // row's last-vector test out of the loop, and does not test it at every step.
            let mut b_rest = b;
            for p in 0..k {
                let (bp, rest) = unsafe { b_rest.split_at_unchecked(n) };
                b_rest = rest;
                let mut bv = [$zero(); NV];
                for v in 0..NV - 1 {
                    bv[v] = $load(bp[v * L..][..L].try_into().expect("one vector"));
                }
                // Masked even when whole (`last == L`, the mask all ones): a test of `last` at
                // every step, which LLVM did not always take out of the loop, costs more.
                bv[NV - 1] = $load_part(&bp[(NV - 1) * L..]);
                let ap = if A_ROWS {
                    &[][..]
                } else {
                    unsafe { a.get_unchecked(p * lda + i0..).get_unchecked(..R) }
                };
                for r in 0..R {
                    let x = $splat(if A_ROWS { rows[r][p] } else { ap[r] });
                    for v in 0..NV {
                        acc[r][v] = $fma(x, bv[v], acc[r][v]);
                    }
                }
            }
            // `z + b` per value, one addition after the product's chain: the bits of the
            // product stored, then the bias added (`add_row_into`).
            if let Some(bias) = bias {
                for acc in &mut acc {
                    for v in 0..NV {
                        acc[v] = $add(acc[v], bias[v]);
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                let row = unsafe { c.get_unchecked_mut(c_row(r)).get_unchecked_mut(..n) };
                for v in 0..NV - 1 {
                    $store(acc[v], (&mut row[v * L..][..L]).try_into().expect("one vector"));
                }
                let tail = &mut row[(NV - 1) * L..];
                if last == L {
                    $store(acc[NV - 1], tail.try_into().expect("one vector"));
                } else {
                    $store_part(acc[NV - 1], tail);
                }
            }
        }
    };
}

/// Whether A, B and C hold every value the narrow kernel touches in a product of `m` rows
/// and `k` steps: A's `m` rows of `k` (row-major, `A_ROWS`) or `k` rows of `m` (column-major),
/// `lda` apart; B's `k` rows of `n`, packed; C's `m` rows of `n`, `ldc` apart. Overflow of
/// the arithmetic counts as not fitting.
pub(super) fn narrow_extents_fit(
    a_rows: bool,
    m: usize,
    k: usize,
    (a_len, lda): (usize, usize),
    b_len: usize,
    n: usize,
    (c_len, ldc): (usize, usize),
) -> bool {
    // The last of `rows` rows of `width` values, `stride` apart, ends at (rows−1)·stride + width.
    let end = |rows: usize, width: usize, stride: usize| match rows {
        0 => Some(0),
        _ => (rows - 1).checked_mul(stride)?.checked_add(width),
    };
    let (a_outer, a_inner) = if a_rows { (m, k) } else { (k, m) };
    let a_fits = m == 0 || k == 0 || end(a_outer, a_inner, lda).is_some_and(|e| e <= a_len);
    let b_fits = k.checked_mul(n).is_some_and(|e| e <= b_len);
    a_fits && b_fits && end(m, n, ldc).is_some_and(|e| e <= c_len)
}

/// The most vectors a row of the narrow kernel spans: three, so that with AVX2 three rows of
/// accumulators (9 registers), a row of B (3), a broadcast and the last vector's mask fit
/// in the 16 registers.
pub(super) const MAX_NARROW_NV: usize = 3;

/// The direct and the narrow kernel for one float type on one instruction set, from the
/// same vector operations.
macro_rules! direct_and_narrow {
    ($isa:literal, $features:literal, ($direct:ident, $direct_rows:ident),
     ($narrow:ident, $narrow_rows:ident, $add:ident), $e:ty, $($rest:tt)*) => {
        direct!(
            #[doc = concat!("The direct kernel for `", stringify!($e), "` on ", $isa, ".")]
            $direct, $direct_rows, $features, $e, $($rest)*
        );
        narrow!(
            #[doc = concat!("The narrow kernel for `", stringify!($e), "` on ", $isa, ".")]
            $narrow, $narrow_rows, $features, $e, $($rest)*, $add
        );
    };
}

direct_and_narrow! {
    "AVX-512", "avx512f,avx512vl,fma", (direct_avx512_f32, direct_rows_avx512_f32),
    (narrow_avx512_f32, narrow_rows_avx512_f32, _mm512_add_ps), f32, __m512, 16,
    _mm512_setzero_ps, _mm512_set1_ps, _mm512_fmadd_ps, load_f32x16, store_f32x16,
    load_part_f32x16, store_part_f32x16
}
direct_and_narrow! {
    "AVX-512", "avx512f,avx512vl,fma", (direct_avx512_f64, direct_rows_avx512_f64),
    (narrow_avx512_f64, narrow_rows_avx512_f64, _mm512_add_pd), f64, __m512d, 8,
    _mm512_setzero_pd, _mm512_set1_pd, _mm512_fmadd_pd, load_f64x8, store_f64x8,
    load_part_f64x8, store_part_f64x8
}
direct_and_narrow! {
    "AVX2", "avx2,fma", (direct_avx2_f32, direct_rows_avx2_f32),
    (narrow_avx2_f32, narrow_rows_avx2_f32, _mm256_add_ps), f32, __m256, 8,
    _mm256_setzero_ps, _mm256_set1_ps, _mm256_fmadd_ps, load_f32x8, store_f32x8,
    load_part_f32x8, store_part_f32x8
}
direct_and_narrow! {
    "AVX2", "avx2,fma", (direct_avx2_f64, direct_rows_avx2_f64),
    (narrow_avx2_f64, narrow_rows_avx2_f64, _mm256_add_pd), f64, __m256d, 4,
    _mm256_setzero_pd, _mm256_set1_pd, _mm256_fmadd_pd, load_f64x4, store_f64x4,
    load_part_f64x4, store_part_f64x4
}

/// The 16 × 16 transpose of `r` (rows in, columns out), in four rounds of shuffles: 32-bit
/// and 64-bit unpacks within 128-bit lanes, then two rounds of 128-bit lane shuffles.
#[inline]
#[target_feature(enable = "avx512f")]
fn transpose_f32x16(r: &mut [__m512; 16]) {
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // u[4g + c], lane l: rows 4g … 4g+3 at column 4l + c.
    let mut u = [_mm512_setzero_ps(); 16];
    for g in 0..4 {
        let pd = |x: __m512| _mm512_castps_pd(x);
        let (t0, t1, t2, t3) = (pd(t[4 * g]), pd(t[4 * g + 1]), pd(t[4 * g + 2]), pd(t[4 * g + 3]));
        u[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
    }
    // Column 4l + c gathers lane l of u[c], u[4 + c], u[8 + c], u[12 + c].
    for c in 0..4 {
        let v0 = _mm512_shuffle_f32x4::<0x88>(u[c], u[4 + c]);
        let v1 = _mm512_shuffle_f32x4::<0xDD>(u[c], u[4 + c]);
        let v2 = _mm512_shuffle_f32x4::<0x88>(u[8 + c], u[12 + c]);
        let v3 = _mm512_shuffle_f32x4::<0xDD>(u[8 + c], u[12 + c]);
        r[c] = _mm512_shuffle_f32x4::<0x88>(v0, v2);
        r[4 + c] = _mm512_shuffle_f32x4::<0x88>(v1, v3);
        r[8 + c] = _mm512_shuffle_f32x4::<0xDD>(v0, v2);
        r[12 + c] = _mm512_shuffle_f32x4::<0xDD>(v1, v3);
    }
}

/// The 8 × 8 transpose of `r`: 64-bit unpacks within 128-bit lanes, then two rounds of
/// 128-bit lane shuffles.
#[inline]
#[target_feature(enable = "avx512f")]
fn transpose_f64x8(r: &mut [__m512d; 8]) {
    // t[2g + c], lane l: rows 2g, 2g+1 at column 2l + c.
    let mut t = [_mm512_setzero_pd(); 8];
    for g in 0..4 {
        t[2 * g] = _mm512_unpacklo_pd(r[2 * g], r[2 * g + 1]);
        t[2 * g + 1] = _mm512_unpackhi_pd(r[2 * g], r[2 * g + 1]);
    }
    for c in 0..2 {
        let v0 = _mm512_shuffle_f64x2::<0x88>(t[c], t[2 + c]);
        let v1 = _mm512_shuffle_f64x2::<0xDD>(t[c], t[2 + c]);
        let v2 = _mm512_shuffle_f64x2::<0x88>(t[4 + c], t[6 + c]);
        let v3 = _mm512_shuffle_f64x2::<0xDD>(t[4 + c], t[6 + c]);
        r[c] = _mm512_shuffle_f64x2::<0x88>(v0, v2);
        r[2 + c] = _mm512_shuffle_f64x2::<0x88>(v1, v3);
        r[4 + c] = _mm512_shuffle_f64x2::<0xDD>(v0, v2);
        r[6 + c] = _mm512_shuffle_f64x2::<0xDD>(v1, v3);
    }
}

/// The 8 × 8 transpose of `r`: 32-bit and 64-bit unpacks within 128-bit lanes, then a
/// swap of 128-bit halves.
#[inline]
#[target_feature(enable = "avx2")]
fn transpose_f32x8(r: &mut [__m256; 8]) {
    let mut t = [_mm256_setzero_ps(); 8];
    for i in 0..4 {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    let mut u = [_mm256_setzero_ps(); 8];
    for g in 0..2 {
        let pd = |x: __m256| _mm256_castps_pd(x);
        let (t0, t1, t2, t3) = (pd(t[4 * g]), pd(t[4 * g + 1]), pd(t[4 * g + 2]), pd(t[4 * g + 3]));
        u[4 * g] = _mm256_castpd_ps(_mm256_unpacklo_pd(t0, t2));
        u[4 * g + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(t0, t2));
        u[4 * g + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(t1, t3));
        u[4 * g + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(t1, t3));
    }
    for c in 0..4 {
        r[c] = _mm256_permute2f128_ps::<0x20>(u[c], u[4 + c]);
        r[4 + c] = _mm256_permute2f128_ps::<0x31>(u[c], u[4 + c]);
    }
}

/// The 4 × 4 transpose of `r`: 64-bit unpacks, then a swap of 128-bit halves.
#[inline]
#[target_feature(enable = "avx2")]
fn transpose_f64x4(r: &mut [__m256d; 4]) {
    let mut t = [_mm256_setzero_pd(); 4];
    for g in 0..2 {
        t[2 * g] = _mm256_unpacklo_pd(r[2 * g], r[2 * g + 1]);
        t[2 * g + 1] = _mm256_unpackhi_pd(r[2 * g], r[2 * g + 1]);
    }
    for c in 0..2 {
        r[c] = _mm256_permute2f128_pd::<0x20>(t[c], t[2 + c]);
        r[2 + c] = _mm256_permute2f128_pd::<0x31>(t[c], t[2 + c]);
    }
}

/// Defines the packing transpose for one float type on one instruction set:
/// `panel[p·R + j] = cols[j][p]`, in square blocks of one vector's lanes.
macro_rules! interleave {
    ($(#[$doc:meta])* $name:ident, $features:literal, $e:ty, $v:ty, $lanes:literal,
     $zero:ident, $load:ident, $load_part:ident, $store:ident, $transpose:ident) => {
        $(#[$doc])*
        #[inline]
        #[target_feature(enable = $features)]
        pub(super) fn $name<const R: usize>(panel: &mut [$e], cols: &[&[$e]; R]) {
            const L: usize = $lanes;
            let kc = cols.first().map_or(0, |c| c.len());
            let panel = &mut panel[..kc * R];
            // Whole blocks only; a panel not a whole number of vectors wide (a tile's rows
            // of A, never transposed in practice) goes element by element.
            let whole = if R % L == 0 { kc - kc % L } else { 0 };
            for p0 in (0..whole).step_by(L) {
                for j0 in (0..R).step_by(L) {
                    let mut r = [$zero(); L];
                    for (r, col) in r.iter_mut().zip(&cols[j0..j0 + L]) {
                        *r = $load(col[p0..p0 + L].try_into().expect("one vector"));
                    }
                    $transpose(&mut r);
                    for (t, r) in r.iter().enumerate() {
                        let out = &mut panel[(p0 + t) * R + j0..][..L];
                        $store(*r, out.try_into().expect("one vector"));
                    }
                }
            }
            if R % L == 0 && whole < kc {
                // The last `kc % L` steps: a block with the columns' tails (masked loads,
                // zero beyond), of which only the first `kc % L` rows are stored.
                for j0 in (0..R).step_by(L) {
                    let mut r = [$zero(); L];
                    for (r, col) in r.iter_mut().zip(&cols[j0..j0 + L]) {
                        *r = $load_part(&col[whole..kc]);
                    }
                    $transpose(&mut r);
                    for (t, r) in r.iter().enumerate().take(kc - whole) {
                        let out = &mut panel[(whole + t) * R + j0..][..L];
                        $store(*r, out.try_into().expect("one vector"));
                    }
                }
            } else {
                for p in whole..kc {
                    for (d, col) in panel[p * R..(p + 1) * R].iter_mut().zip(cols) {
                        *d = col[p];
                    }
                }
            }
        }
    };
}

interleave!(
    /// The packing transpose for `f32` on AVX-512.
    interleave_avx512_f32, "avx512f", f32, __m512, 16,
    _mm512_setzero_ps, load_f32x16, load_part_f32x16, store_f32x16, transpose_f32x16
);
interleave!(
    /// The packing transpose for `f64` on AVX-512.
    interleave_avx512_f64, "avx512f", f64, __m512d, 8,
    _mm512_setzero_pd, load_f64x8, load_part_f64x8, store_f64x8, transpose_f64x8
);
interleave!(
    /// The packing transpose for `f32` on AVX2.
    interleave_avx2_f32, "avx2", f32, __m256, 8,
    _mm256_setzero_ps, load_f32x8, load_part_f32x8, store_f32x8, transpose_f32x8
);
interleave!(
    /// The packing transpose for `f64` on AVX2.
    interleave_avx2_f64, "avx2", f64, __m256d, 4,
    _mm256_setzero_pd, load_f64x4, load_part_f64x4, store_f64x4, transpose_f64x4
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Each transpose against the definition, on every CPU that has the instructions.
    #[test]
    fn transposes_transpose() {
        // 37 steps: two whole blocks of 16 and a tail of 5 (and 4 blocks of 8 and 5).
        let cols16: Vec<Vec<f32>> =
            (0..32).map(|j| (0..37).map(|p| (100 * j + p) as f32).collect()).collect();
        let cols8: Vec<Vec<f64>> =
            (0..16).map(|j| (0..21).map(|p| (100 * j + p) as f64).collect()).collect();
        let expect32 = |panel: &[f32], r: usize, kc: usize| {
            for p in 0..kc {
                for j in 0..r {
                    assert_eq!(panel[p * r + j], (100 * j + p) as f32, "p {p} j {j}");
                }
            }
        };
        let expect64 = |panel: &[f64], r: usize, kc: usize| {
            for p in 0..kc {
                for j in 0..r {
                    assert_eq!(panel[p * r + j], (100 * j + p) as f64, "p {p} j {j}");
                }
            }
        };
        let c32: [&[f32]; 32] = std::array::from_fn(|j| &cols16[j][..]);
        let c64: [&[f64]; 16] = std::array::from_fn(|j| &cols8[j][..]);
        if is_x86_feature_detected!("avx512f") {
            let mut panel = vec![0.0_f32; 37 * 32];
            // SAFETY: AVX-512F was detected just above.
            unsafe { interleave_avx512_f32::<32>(&mut panel, &c32) };
            expect32(&panel, 32, 37);
            let mut panel = vec![0.0_f64; 21 * 16];
            // SAFETY: AVX-512F was detected just above.
            unsafe { interleave_avx512_f64::<16>(&mut panel, &c64) };
            expect64(&panel, 16, 21);
        }
        if is_x86_feature_detected!("avx2") {
            let mut panel = vec![0.0_f32; 37 * 32];
            // SAFETY: AVX2 was detected just above.
            unsafe { interleave_avx2_f32::<32>(&mut panel, &c32) };
            expect32(&panel, 32, 37);
            let mut panel = vec![0.0_f64; 21 * 16];
            // SAFETY: AVX2 was detected just above.
            unsafe { interleave_avx2_f64::<16>(&mut panel, &c64) };
            expect64(&panel, 16, 21);
        }
    }
}
