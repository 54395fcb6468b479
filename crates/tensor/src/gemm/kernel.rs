//! The kernels in plain Rust over fixed-size arrays: the portable copies of the tile and
//! direct kernels (the x86 ones, with intrinsics, are in [`simd`](super::simd)), and the
//! tiny product for every instruction set.
//!
//! The arrays are small and indexed by constants only, so they live in registers, and LLVM
//! vectorises the loops over a tile's columns for the build's target.
//!
//! Every element of `C` is one chain of multiply-adds in `p` order, starting from zero (or
//! from what `C` holds, when the product accumulates over blocks of `k` or `β ≠ 0`):
//! `c = madd(a[i, p], b[p, j], c)` for `p = 0, 1, …`. Every kernel keeps that order, so a
//! row of `C` has the same bits whatever the path, the tile or the blocks around it.

use ndarray::NdFloat;

/// Steps of `p` per run of a row-packed A panel ([`pack_rows`](super::pack::pack_rows)).
pub(super) const RUN: usize = 8;

/// `a·b + c`, fused (one rounding) when the target has FMA, else a multiply and an add.
///
/// `FUSED` is a constant, so each kernel copy compiles to one instruction here. Without
/// hardware FMA, `mul_add` would be a slow library call; the portable kernel says `false`.
#[inline(always)]
pub(super) fn madd<F: NdFloat, const FUSED: bool>(a: F, b: F, c: F) -> F {
    if FUSED { a.mul_add(b, c) } else { a * b + c }
}

/// One `MR × NR` tile of `C` from packed panels: `C[i, j] (+)= Σ_p a[i, p] · b[p·LDB + j]`.
///
/// - `a` is a packed panel of `LDA ≥ MR` rows of `A` by `kc` steps, in one of two orders
///   (chosen by `A_ROWS`, so that packing is a straight copy whichever way `A` is laid out):
///   by steps, `a[p·LDA + i]` (from a column-major `A`, such as `xᵀ`), or by runs of rows
///   (from a row-major `A`; see [`pack_rows`](super::pack::pack_rows): runs of [`RUN`]
///   steps of each row, then the last `kc % RUN` steps by steps);
/// - `b` holds `kc` rows of `LDB ≥ NR` values (a packed panel of `B`);
/// - a tile at the edge of C uses a smaller kernel (`MR`, `NR`) on the same full-size
///   panels, so that it does not spend the full tile's time on a few rows;
/// - `c` starts at the tile's top-left element, its rows `ldc` apart;
/// - `load`: start from `C`'s values (a later block of `k`, or `β ≠ 0`) rather than zero.
// Index loops over the fixed-size arrays, on purpose: unrolled, every index is a constant,
// and the accumulators stay in registers.
#[allow(clippy::needless_range_loop)]
#[expect(
    clippy::expect_used,
    reason = "panels hold kc rows of LDB ≥ NR values and kc steps of LDA ≥ MR values (the \
              packing's layout), so every fixed-size piece taken here exists"
)]
#[inline(always)]
pub(super) fn tile<
    F: NdFloat,
    const MR: usize,
    const NR: usize,
    const LDA: usize,
    const LDB: usize,
    const A_ROWS: bool,
    const FUSED: bool,
>(
    kc: usize,
    a: &[F],
    b: &[F],
    c: &mut [F],
    ldc: usize,
    load: bool,
) {
    let mut acc = [[F::zero(); NR]; MR];
    if load {
        for (i, acc) in acc.iter_mut().enumerate() {
            acc.copy_from_slice(&c[i * ldc..][..NR]);
        }
    }
    // The loop the time is spent in: per step of `p`, NR/lanes vector loads of `b`, MR
    // broadcasts of `a`, MR·NR/lanes independent FMAs (enough to cover the FMA latency).
    let b = &b[..kc * LDB];
    let mut b_rows = b.chunks_exact(LDB);
    let mut steps = a[..kc * LDA].chunks_exact(LDA);
    if A_ROWS {
        let runs = kc / RUN;
        for run in a[..runs * RUN * LDA].chunks_exact(RUN * LDA) {
            let rows = &run.as_chunks::<RUN>().0[..MR];
            for t in 0..RUN {
                let bp = b_rows.next().expect("kc rows of B");
                let bp: &[F; NR] = bp[..NR].try_into().expect("NR ≤ LDB");
                for i in 0..MR {
                    let x = rows[i][t];
                    for j in 0..NR {
                        acc[i][j] = madd::<F, FUSED>(x, bp[j], acc[i][j]);
                    }
                }
            }
        }
        // The last `kc % RUN` steps are packed by steps.
        steps = a[runs * RUN * LDA..kc * LDA].chunks_exact(LDA);
    }
    for (ap, bp) in steps.zip(b_rows) {
        let ap: &[F; MR] = ap[..MR].try_into().expect("MR ≤ LDA");
        let bp: &[F; NR] = bp[..NR].try_into().expect("NR ≤ LDB");
        for i in 0..MR {
            for j in 0..NR {
                acc[i][j] = madd::<F, FUSED>(ap[i], bp[j], acc[i][j]);
            }
        }
    }
    for (i, acc) in acc.iter().enumerate() {
        c[i * ldc..][..NR].copy_from_slice(acc);
    }
}

/// The tiny product: `C[i, j] = β·C[i, j] + Σ_p (α·a[i, p]) · b[p, j]`, element by element,
/// straight from the operands: no packing, no scratch.
///
/// For the lessons' smallest networks (`4×2 · 2×1`), where anything but the arithmetic is
/// overhead. Each operand is one slice with its row and column strides (`x[i, j] =
/// s[i·rs + j·cs]`); each element is the same chain of multiply-adds as in the tile,
/// started from `β·C` as the other paths start from C scaled by β.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn tiny<F: NdFloat, const FUSED: bool>(
    (m, k, n): (usize, usize, usize),
    alpha: F,
    (a, ars, acs): (&[F], usize, usize),
    (b, brs, bcs): (&[F], usize, usize),
    beta: F,
    (c, crs, ccs): (&mut [F], usize, usize),
) {
    for i in 0..m {
        for j in 0..n {
            let c = &mut c[i * crs + j * ccs];
            let mut acc = if beta == F::zero() {
                F::zero()
            } else if beta == F::one() {
                *c
            } else {
                *c * beta
            };
            for p in 0..k {
                acc = madd::<F, FUSED>(alpha * a[i * ars + p * acs], b[p * brs + j * bcs], acc);
            }
            *c = acc;
        }
    }
}

/// The direct kernel: `C[i, j] (+)= Σ_p a[i, p] · b[p·LDB + j]` for all `m` rows of `C` and
/// the `nr ≤ NR` columns of one packed panel of `B`, with `A` read where it lies.
///
/// Packing `A` pays when each of its panels meets many panels of `B`; when `B` is one panel
/// wide, or `A` is small, it is most of the work. Here `A` is read directly, by rows
/// (`a[i·lda + p]`, `A_ROWS`) or by steps (`a[p·lda + i]`), `R` rows of `C` at a time (the
/// last few 4, 2 and 1 at a time), each over the whole of `k`: every element is the same
/// chain of multiply-adds as in the tile.
/// `c` starts at the panel's first column, its rows `ldc` apart.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn direct<
    F: NdFloat,
    const R: usize,
    const NR: usize,
    const LDB: usize,
    const A_ROWS: bool,
    const FUSED: bool,
>(
    k: usize,
    a: &[F],
    lda: usize,
    m: usize,
    b: &[F],
    c: &mut [F],
    ldc: usize,
    nr: usize,
    load: bool,
) {
    for (i, rows) in row_groups::<R>(m) {
        match rows {
            g if g == R => {
                direct_rows::<F, R, NR, LDB, A_ROWS, FUSED>(k, a, lda, i, b, c, ldc, nr, load)
            }
            4 => direct_rows::<F, 4, NR, LDB, A_ROWS, FUSED>(k, a, lda, i, b, c, ldc, nr, load),
            2 => direct_rows::<F, 2, NR, LDB, A_ROWS, FUSED>(k, a, lda, i, b, c, ldc, nr, load),
            _ => direct_rows::<F, 1, NR, LDB, A_ROWS, FUSED>(k, a, lda, i, b, c, ldc, nr, load),
        }
    }
}

/// The groups of rows the direct and narrow kernels sweep C in, as (first row, rows): `R`
/// at a time, then the last `m mod R` four, two and one at a time (so a group is `R`, 4, 2
/// or 1 rows). One by one, a small batch's last rows (28 of them with AVX2's `R = 6`) were
/// four passes over B of a row each, each pass mostly loop.
pub(super) fn row_groups<const R: usize>(m: usize) -> impl Iterator<Item = (usize, usize)> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let rows = [R, 4, 2, 1].into_iter().find(|&g| g <= R && g <= m - i)?;
        i += rows;
        Some((i - rows, rows))
    })
}

/// Rows `i0 … i0+R−1` of [`direct`].
#[allow(clippy::too_many_arguments)]
#[expect(
    clippy::expect_used,
    reason = "a packed B panel's rows are LDB ≥ NR values long, so each row's first NR exist"
)]
#[inline(always)]
fn direct_rows<
    F: NdFloat,
    const R: usize,
    const NR: usize,
    const LDB: usize,
    const A_ROWS: bool,
    const FUSED: bool,
>(
    k: usize,
    a: &[F],
    lda: usize,
    i0: usize,
    b: &[F],
    c: &mut [F],
    ldc: usize,
    nr: usize,
    load: bool,
) {
    let mut acc = [[F::zero(); NR]; R];
    if load {
        for (r, acc) in acc.iter_mut().enumerate() {
            acc[..nr].copy_from_slice(&c[(i0 + r) * ldc..][..nr]);
        }
    }
    for (p, bp) in b[..k * LDB].chunks_exact(LDB).enumerate() {
        let bp: &[F; NR] = bp[..NR].try_into().expect("NR ≤ LDB");
        for (r, acc) in acc.iter_mut().enumerate() {
            let x = if A_ROWS { a[(i0 + r) * lda + p] } else { a[p * lda + i0 + r] };
            for j in 0..NR {
                acc[j] = madd::<F, FUSED>(x, bp[j], acc[j]);
            }
        }
    }
    for (r, acc) in acc.iter().enumerate() {
        c[(i0 + r) * ldc..][..nr].copy_from_slice(&acc[..nr]);
    }
}
