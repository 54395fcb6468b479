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
                let (dx, dy) = (self.data.inputs().ncols(), self.data.targets().ncols());
                let rows_x = bx.chunks_exact_mut(dx).zip(by.chunks_exact_mut(dy));
                for ((bx, by), &i) in rows_x.zip(rows) {
                    bx.copy_from_slice(&x[i * dx..(i + 1) * dx]);
                    by.copy_from_slice(&y[i * dy..(i + 1) * dy]);
                }
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
    fn a_full_batch_is_the_data_in_order() {
        let data = data();
        let mut full = MiniBatches::new(&data, 50, 7);
        assert_eq!(full.count(), 1);
        assert_eq!(epoch_order(&mut full, 3), (0..10).map(f64::from).collect::<Vec<_>>());
    }
}
