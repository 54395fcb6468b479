//! Packing: copying a block of an operand into the order the micro-kernel reads it.
//!
//! A block `src` of `kc × w` values (rows are steps of `p`, columns are what one tile spans:
//! columns of `B`, or rows of `A` read through `Aᵀ`) becomes `⌈w/R⌉` panels, one after the
//! other; panel `q` holds, for `p = 0 … kc−1`, the `R` values `src[p, qR … qR+R−1]`
//! contiguously, zero past `w`. The kernel then walks each panel front to back.
//!
//! Packing reads through strides, so a transposed view is read in place; the loop order
//! follows whichever axis of `src` is contiguous, so the reads are sequential either way.
//! A row-major A is packed by [`pack_rows`] instead, in an order that keeps that a copy.
//!
//! The copies are fixed-size array copies on purpose: a variable-length `copy_from_slice`
//! is a call to `memcpy`, and element loops were vectorised by LLVM into scatter
//! instructions; both were slower than the copy itself.

use ndarray::{ArrayView2, Axis, NdFloat, s};

use super::dispatch::Tile;
use super::kernel::RUN;

/// Rows of a row-major `src` that [`pack`] copies together when asked to group them.
pub(super) const GROUP: usize = 16;

/// Bytes between rows from which [`pack`] groups them: a page, past which each row of a
/// panel is on a page of its own.
const PAGE: usize = 4096;

/// Packs `alpha · src` into panels of `R` columns at the front of `dst`.
///
/// `B` is packed with `alpha = 1`, and `A` carries the product's `α`. The transpose (a
/// `src` whose columns are contiguous) is `kernel`'s [`interleave`](Tile::interleave), with
/// the instruction set's shuffles. `grouped` chooses the order of a row-major `src`'s
/// copies: [`GROUP`] rows at a time across all panels when its rows are a [`PAGE`] or more
/// apart (for B, wide and cold), or panel by panel (for a block of A, a few panels wide, or
/// a narrow B such as a 784 × 128 layer's, where grouping was slower: 119 against 127
/// GFLOP/s for `64×784 · 784×128`).
///
/// # Panics
/// If `dst` is shorter than `⌈w/R⌉ · R · kc`.
#[expect(
    clippy::expect_used,
    reason = "each branch takes slices only along the axis its stride test found contiguous, \
              and pieces of exactly R values from chunks of R"
)]
#[inline(always)]
pub(super) fn pack<F: NdFloat, K: Tile<F>, const R: usize>(
    kernel: K,
    dst: &mut [F],
    src: ArrayView2<'_, F>,
    alpha: F,
    grouped: bool,
) {
    let (kc, w) = src.dim();
    let panels = w.div_ceil(R);
    let dst = &mut dst[..panels * R * kc];
    if kc == 0 {
        return;
    }
    let strides = src.strides();
    let far = strides[0].unsigned_abs() * size_of::<F>() >= PAGE;
    if (strides[1] == 1 || w == 1) && grouped && far {
        // Rows of `src` are contiguous: each row is cut into panel-wide pieces, `GROUP`
        // rows at a time. Each row is read front to back across the panels, so the reads
        // are a few sequential streams, which the hardware prefetcher follows (panel by
        // panel, a panel's rows are a row of B apart, a new page per row of a 1024-wide B,
        // and a cold B was read at the latency of memory: 64 against 110 GFLOP/s for
        // `64×1024 · 1024×1024`). Each panel is written `GROUP` rows at a time (2 KiB of
        // `f32`): row by row, the writes went to as many places at once as there are
        // panels, and packing ran at half the speed.
        let mut src_rows = src.axis_iter(Axis(0));
        for p0 in (0..kc).step_by(GROUP) {
            let g = GROUP.min(kc - p0);
            let mut rows: [&[F]; GROUP] = [&[]; GROUP];
            for (row, r) in rows.iter_mut().zip(src_rows.by_ref().take(g)) {
                *row = r.to_slice().expect("a row with unit stride is a slice");
            }
            for (q, panel) in dst.chunks_exact_mut(kc * R).enumerate() {
                let (j0, j1) = (q * R, (q * R + R).min(w));
                let out = panel[p0 * R..(p0 + g) * R].chunks_exact_mut(R);
                for (d, row) in out.zip(&rows) {
                    copy_piece::<F, R>(d.try_into().expect("R values"), &row[j0..j1]);
                }
            }
        }
        scale(dst, alpha);
    } else if let Some(rows) = src.as_slice() {
        // A row-major block, one run of memory (a small product's whole B, the 5-bit
        // adder's 10×20 layer): its pieces cut straight from the slice, panel by panel,
        // with no view cut per panel and no row taken as a slice, which cost more than
        // the copies (perf, the adder's step).
        for (q, panel) in dst.chunks_exact_mut(kc * R).enumerate() {
            let (j0, j1) = (q * R, (q * R + R).min(w));
            for (d, row) in panel.chunks_exact_mut(R).zip(rows.chunks_exact(w)) {
                copy_piece::<F, R>(d.try_into().expect("R values"), &row[j0..j1]);
            }
        }
        scale(dst, alpha);
    } else if strides[1] == 1 || w == 1 {
        // Rows of `src` are contiguous, a few panels wide (a block of A, already in cache):
        // each row is cut into panel-wide pieces, panel by panel, so that the writes are
        // sequential. (Grouped, this order packed a transposed A slower: 123 against 139
        // GFLOP/s for `784×250ᵀ · 250×128`.)
        for (q, panel) in dst.chunks_exact_mut(kc * R).enumerate() {
            let j0 = q * R;
            let width = R.min(w - j0);
            let block = src.slice(s![.., j0..j0 + width]);
            for (d, row) in panel.chunks_exact_mut(R).zip(block.axis_iter(Axis(0))) {
                let piece = row.to_slice().expect("a row with unit stride is a slice");
                copy_piece::<F, R>(d.try_into().expect("R values"), piece);
            }
        }
        scale(dst, alpha);
    } else if strides[0] == 1 {
        // Columns of `src` are contiguous (a transposed operand): gather `R` columns and
        // interleave them, one value of each per step of `p`.
        for (q, panel) in dst.chunks_exact_mut(kc * R).enumerate() {
            let j0 = q * R;
            let width = R.min(w - j0);
            if width == R {
                let cols: [&[F]; R] = std::array::from_fn(|jj| {
                    let col = src.index_axis(Axis(1), j0 + jj);
                    &col.to_slice().expect("a column with unit stride is a slice")[..kc]
                });
                kernel.interleave::<R>(panel, &cols);
            } else {
                panel.fill(F::zero());
                for jj in 0..width {
                    let col = src.index_axis(Axis(1), j0 + jj);
                    let col = col.to_slice().expect("a column with unit stride is a slice");
                    for (d, &x) in panel[jj..].iter_mut().step_by(R).zip(col) {
                        *d = x;
                    }
                }
            }
        }
        scale(dst, alpha);
    } else {
        // Neither axis is contiguous (a strided slice): element by element.
        for (q, panel) in dst.chunks_exact_mut(kc * R).enumerate() {
            let j0 = q * R;
            let width = R.min(w - j0);
            for (p, d) in panel.chunks_exact_mut(R).enumerate() {
                for (jj, d) in d.iter_mut().enumerate() {
                    *d = if jj < width { src[[p, j0 + jj]] * alpha } else { F::zero() };
                }
            }
        }
    }
}

/// `panel[p·R + j] = cols[j][p]`: `R` columns interleaved, a transpose, element by element
/// (the portable [`Tile::interleave`]; the x86 ones shuffle whole vectors).
#[inline(always)]
pub(super) fn interleave<F: NdFloat, const R: usize>(panel: &mut [F], cols: &[&[F]; R]) {
    let kc = cols.first().map_or(0, |c| c.len());
    for (p, out) in panel.chunks_exact_mut(R).take(kc).enumerate() {
        for (out, col) in out.iter_mut().zip(cols) {
            *out = col[p];
        }
    }
}

/// Packs `alpha · src` (`w × kc`, rows contiguous) into panels of `R` rows, in runs: for
/// each run of [`RUN`] steps of `p`, the run of each of the `R` rows one after the other
/// (`R · RUN` values), then the last `kc % RUN` steps by steps (`R` values per step); zero
/// rows past `w`. A panel is `R · kc` values, like one packed by [`pack`].
///
/// This is the order [`kernel::tile`](super::kernel::tile) reads with `A_ROWS`: for a
/// row-major `A`, packing is a run of copies rather than a transpose, and within a run
/// each row is a constant offset from the run's start.
#[expect(
    clippy::expect_used,
    reason = "the caller packs by rows only an A whose rows have unit stride, so each row is a \
              slice; runs are chunks of exactly RUN values"
)]
#[inline(always)]
pub(super) fn pack_rows<F: NdFloat, const R: usize>(
    dst: &mut [F],
    src: ArrayView2<'_, F>,
    alpha: F,
) {
    let (w, kc) = src.dim();
    let panels = w.div_ceil(R);
    let dst = &mut dst[..panels * R * kc];
    if kc == 0 {
        return;
    }
    let runs = kc / RUN;
    let mut src_rows = src.axis_iter(Axis(0));
    for panel in dst.chunks_exact_mut(R * kc) {
        // The panel's rows of `src`, empty past its last row (those rows pack as zeros).
        let mut rows: [&[F]; R] = [&[]; R];
        for row in rows.iter_mut() {
            if let Some(r) = src_rows.next() {
                *row = r.to_slice().expect("a row with unit stride is a slice");
            }
        }
        let (head, tail) = panel.split_at_mut(runs * RUN * R);
        // Run by run, row by row: the writes are sequential, and each is a fixed-size copy
        // (row by row, run by run, LLVM vectorised the loop over runs into scatters).
        for (run, out) in head.chunks_exact_mut(RUN * R).enumerate() {
            for (out, row) in out.chunks_exact_mut(RUN).zip(&rows) {
                let out: &mut [F; RUN] = out.try_into().expect("a run");
                *out = match row.get(run * RUN..(run + 1) * RUN) {
                    Some(x) => x.try_into().expect("a run"),
                    None => [F::zero(); RUN],
                };
            }
        }
        for (t, out) in tail.chunks_exact_mut(R).enumerate() {
            for (out, row) in out.iter_mut().zip(&rows) {
                *out = row.get(runs * RUN + t).copied().unwrap_or(F::zero());
            }
        }
    }
    scale(dst, alpha);
}

/// `x ← alpha · x` over a packed block, skipped when `alpha` is one (the usual case).
///
/// A separate pass over contiguous memory, after the copies: folding the multiply into
/// them turned the copies into element loops, which LLVM vectorised with scatters.
#[inline(always)]
fn scale<F: NdFloat>(dst: &mut [F], alpha: F) {
    if alpha != F::one() {
        for x in dst {
            *x *= alpha;
        }
    }
}

/// `dst = src` for a piece of a row `R` values wide, zeros past a short piece's end.
///
/// A whole piece is one fixed-size copy; the last, short one is zeros and a few smaller
/// fixed-size copies.
#[inline(always)]
fn copy_piece<F: NdFloat, const R: usize>(dst: &mut [F; R], piece: &[F]) {
    match <&[F; R]>::try_from(piece) {
        Ok(piece) => *dst = *piece,
        Err(_) => {
            *dst = [F::zero(); R];
            copy_short(dst, piece);
        }
    }
}

/// `dst[..src.len()] = src` for a short `src`, as fixed-size copies of 16, 8, 4, 2 and 1
/// values: a variable-length `copy_from_slice` is a call to `memcpy`, which cost more than
/// the copy when made once per row of a narrow B (and LLVM turns a plain loop into one).
#[inline(always)]
fn copy_short<F: Copy>(dst: &mut [F], src: &[F]) {
    #[expect(
        clippy::expect_used,
        reason = "the loop runs while W values remain, so both ranges are W values long"
    )]
    fn fixed<F: Copy, const W: usize>(dst: &mut [F], src: &[F], i: &mut usize) {
        while src.len() - *i >= W {
            let d: &mut [F; W] = (&mut dst[*i..*i + W]).try_into().expect("W values");
            *d = src[*i..*i + W].try_into().expect("W values");
            *i += W;
        }
    }
    let mut i = 0;
    fixed::<F, 16>(dst, src, &mut i);
    fixed::<F, 8>(dst, src, &mut i);
    fixed::<F, 4>(dst, src, &mut i);
    fixed::<F, 2>(dst, src, &mut i);
    fixed::<F, 1>(dst, src, &mut i);
}
