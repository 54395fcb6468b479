//! The bias of a layer, broadcast over the rows of a batch, and its reverse.

use ndarray::{ArrayRef1, ArrayRef2, Axis, NdFloat, Zip};

use crate::vectorized;

/// `z[i, j] += b[j]` for every row `i`: adds one row vector to each row of a matrix.
///
/// This is the `+ 1·bᵀ` of a layer's feed-forward, `Z = A·W + 1·bᵀ`.
///
/// # Shapes
/// `z` is `n × d`, `b` has length `d`.
///
/// # Panics
/// If the lengths disagree.
#[track_caller]
pub fn add_row_into<F: NdFloat>(z: &mut ArrayRef2<F>, b: &ArrayRef1<F>) {
    assert_eq!(
        z.ncols(),
        b.len(),
        "add_row_into: the matrix has {} columns but the row has {} entries",
        z.ncols(),
        b.len()
    );
    let width = b.len();
    match (z.as_slice_mut(), b.as_slice()) {
        // The engine's row-major buffers: slice loops, which vectorise. ndarray's
        // broadcasting zip took a pass through its layout checks per row, more work than
        // the additions on a small network's rows (20 values).
        (Some(z), Some(b)) if width > 0 => add_to_rows(z, b),
        // `b` broadcasts over the rows.
        _ => z.zip_mut_with(b, |z, &b| *z += b),
    }
}

/// Values in each piece of the bias loop's runs: a multiple of every x86_64 vector width up
/// to AVX2's 8 `f32` (two SSE2 vectors in the baseline build).
const LANES: usize = 8;

/// The longest run of rows [`add_to_rows`] repeats the bias over.
const MAX_RUN: usize = 128;

/// `z[i·w + j] += b[j]` over a row-major slice, `w = b.len() > 0`.
///
/// A short row leaves most of its values to scalar code after the vector loop (a row of 20
/// `f32` is 16 in vectors and 4 one by one; a row of 6, all 6), and on a small network that
/// was the bias add's whole cost (perf: `movss`/`addss`). So whole runs of rows are taken
/// at once, as many rows as make a multiple of [`LANES`] values, against the bias repeated
/// as many times: one loop of whole vectors. Each value still gets exactly one addition of
/// its `b[j]`, so the bits are those of the row loop.
///
/// The loops run in [`vectorized()`]'s copies: left to the baseline build they were SSE2,
/// two instructions where AVX2 takes one (callgrind, the 5-bit adder's step).
pub(crate) fn add_to_rows<F: NdFloat>(z: &mut [F], b: &[F]) {
    vectorized::<F, _>(
        z.len(),
        #[inline(always)]
        || add_to_rows_inlined(z, b),
    );
}

/// [`add_to_rows`]' body, inlined, so that [`vectorized()`]'s copies compile it in their
/// vectors. The repeated bias is a local array: LLVM then knows it is not `z`, and
/// vectorises the additions (against a slice passed in, it kept them scalar).
#[inline(always)]
fn add_to_rows_inlined<F: NdFloat>(z: &mut [F], b: &[F]) {
    let width = b.len();
    // The run is a multiple of 8 values: at most 8 rows, whatever the width.
    let run = width * (LANES / gcd(width, LANES));
    let mut rest = z;
    if run > width && run <= MAX_RUN {
        let mut repeated = [F::zero(); MAX_RUN];
        for copy in repeated[..run].chunks_exact_mut(width) {
            copy.copy_from_slice(b);
        }
        let mut runs = rest.chunks_exact_mut(run);
        for values in &mut runs {
            let pairs = values.chunks_exact_mut(LANES).zip(repeated[..run].chunks_exact(LANES));
            for (values, bias) in pairs {
                for (z, &b) in values.iter_mut().zip(bias) {
                    *z += b;
                }
            }
        }
        rest = runs.into_remainder();
    }
    for row in rest.chunks_exact_mut(width) {
        row.iter_mut().zip(b).for_each(|(z, &b)| *z += b);
    }
}

/// The greatest common divisor of two positive numbers.
fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `sums[j] = Σ_i x[i, j]`: the sum of each column, written into `sums`.
///
/// This is the bias gradient of a layer, `∂C/∂b = Σ_rows Δ`. The sum over each column runs
/// in row order, so the result does not depend on the memory layout of `x`.
///
/// # Shapes
/// `x` is `n × d`, `sums` has length `d`.
///
/// # Panics
/// If the lengths disagree.
#[track_caller]
pub fn column_sums_into<F: NdFloat>(sums: &mut ArrayRef1<F>, x: &ArrayRef2<F>) {
    assert_eq!(
        sums.len(),
        x.ncols(),
        "column_sums_into: the matrix has {} columns but the destination has {} entries",
        x.ncols(),
        sums.len()
    );
    sums.fill(F::zero());
    // Row by row, adding each row into the running sums: contiguous reads for the usual
    // row-major batch, and the same order of additions for any layout.
    match (sums.as_slice_mut(), x.as_slice()) {
        // Row-major: slice loops (as in `add_row_into`, no layout checks per row).
        (Some(sums), Some(x)) if !sums.is_empty() => match sums.len().div_ceil(LANES) {
            1 => sum_short_columns::<F, LANES>(sums, x),
            2 => sum_short_columns::<F, { 2 * LANES }>(sums, x),
            3 => sum_short_columns::<F, { 3 * LANES }>(sums, x),
            _ => {
                for row in x.chunks_exact(sums.len()) {
                    sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v);
                }
            }
        },
        _ => {
            for row in x.axis_iter(Axis(0)) {
                Zip::from(&mut *sums).and(&row).for_each(|s, &v| *s += v);
            }
        }
    }
}

/// `sums[j] = Σ_i x[i·w + j]` over a row-major slice, for rows of `w = sums.len() ≤ SPAN`
/// values: the running sums held in `SPAN` lanes, in registers.
///
/// The row loop kept a short row's sums in memory, a load, an addition and a store per
/// value and row, each waiting on the last row's store (perf: scalar `addss` through
/// memory, most of the 5-bit adder's bias gradients). Here every row adds `SPAN` values
/// read from its start, past `w` the next row's first ones, which reach only lanes that are
/// never read. The last rows, whose `SPAN` values would run past the slice's end, are added
/// one value at a time. Each column's sum is still taken in row order, so the bits are the
/// row loop's.
fn sum_short_columns<F: NdFloat, const SPAN: usize>(sums: &mut [F], x: &[F]) {
    let width = sums.len();
    debug_assert!(0 < width && width <= SPAN);
    let rows = x.len() / width;
    let whole_rows = match x.len().checked_sub(SPAN) {
        Some(rest) => (rest / width + 1).min(rows),
        None => 0,
    };
    let mut running = vectorized::<F, _>(
        SPAN,
        #[inline(always)]
        || sum_whole_rows::<F, SPAN>(x, width, whole_rows),
    );
    for row in x[whole_rows * width..rows * width].chunks_exact(width) {
        for (sum, &v) in running.iter_mut().zip(row) {
            *sum += v;
        }
    }
    sums.copy_from_slice(&running[..width]);
}

/// The running sums of [`sum_short_columns`] over its first `rows` rows, `SPAN` values
/// from each row's start. Returned, not written through a reference, so that they stay in
/// registers; inlined, so that [`vectorized()`]'s copies compile it in their vectors.
#[inline(always)]
fn sum_whole_rows<F: NdFloat, const SPAN: usize>(x: &[F], width: usize, rows: usize) -> [F; SPAN] {
    let mut running = [F::zero(); SPAN];
    for i in 0..rows {
        for (sum, &v) in running.iter_mut().zip(&x[i * width..][..SPAN]) {
            *sum += v;
        }
    }
    running
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array1, Array2, array, s};

    #[test]
    fn bias_is_added_to_every_row() {
        let mut z = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        add_row_into(&mut z, &array![10.0, 20.0]);
        assert_eq!(z, array![[11.0, 22.0], [13.0, 24.0], [15.0, 26.0]]);
    }

    #[test]
    fn strided_views_match_the_row_major_loops() {
        // Every other row of a 6 × 3 matrix (not one slice, so ndarray's loops), against the
        // same rows copied into a row-major matrix (the slice loops): the same bits.
        let full = Array2::from_shape_fn((6, 3), |(i, j)| (i * 3 + j) as f32 * 0.1 - 0.7);
        let b = array![0.3_f32, -1.1, 2.5];
        let mut strided = full.clone();
        let mut rows = strided.slice_mut(s![..;2, ..]);
        assert!(rows.as_slice().is_none());
        add_row_into(&mut rows, &b);
        let mut copied = full.slice(s![..;2, ..]).to_owned();
        add_row_into(&mut copied, &b);
        assert_eq!(strided.slice(s![..;2, ..]), copied);
        assert_eq!(strided.slice(s![1..;2, ..]), full.slice(s![1..;2, ..]));
        let (mut from_view, mut from_slice) = (Array1::zeros(3), Array1::zeros(3));
        column_sums_into(&mut from_view, &full.slice(s![..;2, ..]));
        column_sums_into(&mut from_slice, &full.slice(s![..;2, ..]).to_owned());
        assert_eq!(from_view, from_slice);
    }

    #[test]
    fn runs_of_short_rows_give_the_bits_of_the_row_loop() {
        // Widths whose runs of rows are 8 values long or more (1, 5, 6, 20), a multiple of 8
        // already (16), or longer than the longest run (33), with row counts that leave a
        // remainder of rows after the last run.
        for width in [1, 5, 6, 16, 20, 33] {
            for rows in [1, 3, 7, 28] {
                let z = Array2::from_shape_fn((rows, width), |(i, j)| (i * 7 + j) as f32 * 0.37);
                let b = Array1::from_shape_fn(width, |j| 1.0 / (j as f32 + 3.0));
                let mut fast = z.clone();
                add_row_into(&mut fast, &b);
                let by_rows = Array2::from_shape_fn((rows, width), |(i, j)| z[[i, j]] + b[j]);
                assert_eq!(fast, by_rows, "{rows} rows of {width}");
            }
        }
    }

    #[test]
    fn short_columns_give_the_bits_of_the_row_loop() {
        // Widths of one to three 8-lane blocks and past them, with row counts that leave
        // none, one or several rows to the one-value-at-a-time loop, in both float types.
        fn check<F: NdFloat>() {
            for width in [1, 5, 6, 8, 13, 20, 24, 25] {
                for rows in [1, 2, 3, 7, 28] {
                    let x = Array2::from_shape_fn((rows, width), |(i, j)| {
                        F::from(((i * 31 + j * 17) % 23) as f64 * 0.37 - 3.3).unwrap_or(F::zero())
                    });
                    let mut fast = Array1::from_elem(width, F::nan());
                    column_sums_into(&mut fast, &x);
                    let by_rows = Array1::from_shape_fn(width, |j| {
                        x.column(j).iter().fold(F::zero(), |sum, &v| sum + v)
                    });
                    assert_eq!(fast, by_rows, "{rows} rows of {width}");
                }
            }
        }
        check::<f32>();
        check::<f64>();
    }

    #[test]
    fn column_sums_of_a_matrix_and_of_its_transpose() {
        let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let mut sums = Array1::from_elem(2, f64::NAN); // overwritten, not added to
        column_sums_into(&mut sums, &x);
        // [1 + 3 + 5, 2 + 4 + 6]
        assert_eq!(sums, array![9.0, 12.0]);
        let mut sums = Array1::zeros(3);
        column_sums_into(&mut sums, &x.t());
        // the columns of xᵀ are the rows of x: [1 + 2, 3 + 4, 5 + 6]
        assert_eq!(sums, array![3.0, 7.0, 11.0]);
    }

    #[test]
    #[should_panic(expected = "the matrix has 2 columns but the row has 3 entries")]
    fn bias_of_the_wrong_length_panics_with_both_lengths() {
        let mut z = array![[1.0, 2.0]];
        add_row_into(&mut z, &array![1.0, 2.0, 3.0]);
    }
}
