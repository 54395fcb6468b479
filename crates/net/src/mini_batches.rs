//! The batches of an epoch: the whole dataset, or shuffled mini-batches.

use ndarray::{Array2, ArrayView2, NdFloat};
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::seq::SliceRandom;

use crate::Dataset;
use crate::workspace::top;

/// The batches of a dataset. Full batch: the data itself, in its order, with no copy.
/// Mini-batches: the sample order shuffled at the start of every epoch, then cut into
/// batches of `batch` rows (the last takes what is left), each gathered into buffers made
/// once and reused.
///
/// Each epoch's order is drawn from the identity by a generator seeded from the run's seed
/// and the epoch alone, so an epoch's batches do not depend on the epochs before it: a run
/// resumed at epoch `e` draws exactly the batches the uninterrupted run drew.
pub(crate) struct MiniBatches<'d, F> {
    data: &'d Dataset<F>,
    batch: usize,
    seed: u64,
    order: Vec<usize>,
    x: Array2<F>,
    y: Array2<F>,
}

impl<'d, F: NdFloat> MiniBatches<'d, F> {
    /// Batches of `batch` rows (at most the dataset's length) over `data`.
    pub(crate) fn new(data: &'d Dataset<F>, batch: usize, seed: u64) -> Self {
        let batch = batch.clamp(1, data.len());
        let full = batch == data.len();
        let rows = if full { 0 } else { batch };
        MiniBatches {
            data,
            batch,
            seed,
            order: if full { Vec::new() } else { (0..data.len()).collect() },
            x: Array2::zeros((rows, data.input_width())),
            y: Array2::zeros((rows, data.target_width())),
        }
    }

    fn is_full(&self) -> bool {
        self.batch == self.data.len()
    }

    /// The sample order of `epoch`; nothing to do for a full batch.
    pub(crate) fn shuffle(&mut self, epoch: usize) {
        if self.is_full() {
            return;
        }
        for (i, slot) in self.order.iter_mut().enumerate() {
            *slot = i;
        }
        self.order.shuffle(&mut StdRng::seed_from_u64(epoch_seed(self.seed, epoch)));
    }

    /// The number of batches of an epoch.
    pub(crate) fn count(&self) -> usize {
        self.data.len().div_ceil(self.batch)
    }

    /// Batch `k` of the current order (for a mini-batch, copied into the buffers).
    pub(crate) fn batch(&mut self, k: usize) -> (ArrayView2<'_, F>, ArrayView2<'_, F>) {
        if self.is_full() {
            return (self.data.inputs().view(), self.data.targets().view());
        }
        let start = (k * self.batch).min(self.order.len());
        let rows = &self.order[start..(start + self.batch).min(self.order.len())];
        let (x, y) = (self.data.inputs(), self.data.targets());
        // Rows copied as slices where both sides are row-major (the dataset's arrays almost
        // always, the buffers always): two `assign`s a row, each building a `Zip` over a
        // one-row view, cost more than the copies themselves.
        match (x.as_slice(), y.as_slice(), self.x.as_slice_mut(), self.y.as_slice_mut()) {
            (Some(x), Some(y), Some(bx), Some(by)) => {
                gather_rows(bx, x, self.data.inputs().ncols(), rows);
                gather_rows(by, y, self.data.targets().ncols(), rows);
            }
            _ => {
                for (r, &i) in rows.iter().enumerate() {
                    self.x.row_mut(r).assign(&x.row(i));
                    self.y.row_mut(r).assign(&y.row(i));
                }
            }
        }
        let n = rows.len();
        (top(&self.x, n), top(&self.y, n))
    }
}

/// Values copied per row by [`gather_rows`] when a row is this short or shorter.
const SPAN: usize = 16;

/// Rows `rows` of the row-major `from` (`width` values a row) into the first rows of the
/// row-major `to`, in order.
///
/// A short row (the adders' 10 inputs and 6 targets) is copied as [`SPAN`] values from its
/// start, an array of a size known when compiling: a few vector moves. Past the row's end it
/// writes the start of the next row of `to`, which the next copy then overwrites, or a row
/// past the batch, which is not read. `copy_from_slice` of a row's own length was a call
/// to `memcpy` per row, two per sample: 5% of the 5-bit adder's training loop (perf).
/// Rows too close to either slice's end for a whole span are copied at their length.
fn gather_rows<F: Copy>(to: &mut [F], from: &[F], width: usize, rows: &[usize]) {
    for (r, &i) in rows.iter().enumerate() {
        let (t, f) = (r * width, i * width);
        if width <= SPAN {
            let to_span = to.get_mut(t..t + SPAN).and_then(|x| <&mut [F; SPAN]>::try_from(x).ok());
            let from_span = from.get(f..f + SPAN).and_then(|x| <&[F; SPAN]>::try_from(x).ok());
            if let (Some(to), Some(from)) = (to_span, from_span) {
                *to = *from;
                continue;
            }
        }
        copy_row(&mut to[t..t + width], &from[f..f + width]);
    }
}

/// One row copied at its length: [`gather_rows`]'s way for long rows and the slices' ends.
/// Not inlined, so that the compiler cannot merge the span's fixed-size copy into this
/// one's `memcpy` call (it did: one call, of 64 bytes or of the row).
#[inline(never)]
fn copy_row<F: Copy>(to: &mut [F], from: &[F]) {
    to.copy_from_slice(from);
}

/// The shuffle seed of one epoch: the run's seed and the epoch mixed by SplitMix64's
/// finaliser, so that neighbouring epochs (and neighbouring seeds) get unrelated streams.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    let mut z = seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;

    fn data() -> Dataset<f64> {
        let x = Array2::from_shape_fn((10, 1), |(i, _)| i as f64);
        Dataset::new(x.clone(), x).unwrap()
    }

    fn epoch_order(batches: &mut MiniBatches<'_, f64>, epoch: usize) -> Vec<f64> {
        batches.shuffle(epoch);
        (0..batches.count())
            .flat_map(|k| batches.batch(k).0.iter().copied().collect::<Vec<_>>())
            .collect()
    }

    #[test]
    fn every_sample_once_per_epoch_and_an_epoch_depends_only_on_seed_and_epoch() {
        let data = data();
        let mut a = MiniBatches::new(&data, 3, 7);
        assert_eq!(a.count(), 4);
        let first = epoch_order(&mut a, 0);
        let second = epoch_order(&mut a, 1);
        let mut sorted = first.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(sorted, (0..10).map(f64::from).collect::<Vec<_>>());
        assert_ne!(first, second);
        // A fresh run that starts at epoch 1 sees epoch 1's order.
        let mut b = MiniBatches::new(&data, 3, 7);
        assert_eq!(epoch_order(&mut b, 1), second);
        // Another seed, another order.
        let mut c = MiniBatches::new(&data, 3, 8);
        assert_ne!(epoch_order(&mut c, 0), first);
    }

    #[test]
    fn gathered_rows_are_the_rows_whatever_their_width_and_place() {
        // Widths below, at and past the span; batches of 3 rows of a 7-row table, so the
        // table's last rows (too close to its end for a whole span) and the batch's last
        // row are among them.
        for width in [1, 6, 10, 15, 16, 17, 40] {
            let from: Vec<f32> = (0..7 * width).map(|v| v as f32 * 0.5).collect();
            for rows in [[0, 1, 2], [6, 5, 4], [3, 6, 0], [2, 2, 6]] {
                let mut to = vec![f32::NAN; 3 * width];
                gather_rows(&mut to, &from, width, &rows);
                let expected: Vec<f32> =
                    rows.iter().flat_map(|&i| from[i * width..][..width].to_vec()).collect();
                assert_eq!(to, expected, "width {width}, rows {rows:?}");
            }
        }
    }

    #[test]
    fn a_full_batch_is_the_data_in_order() {
        let data = data();
        let mut full = MiniBatches::new(&data, 50, 7);
        assert_eq!(full.count(), 1);
        assert_eq!(epoch_order(&mut full, 3), (0..10).map(f64::from).collect::<Vec<_>>());
    }
}
