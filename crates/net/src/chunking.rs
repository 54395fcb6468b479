//! How a batch is cut into chunks for the parallel sum.

use crate::NetError;

/// How a batch is cut into chunks whose cost and gradient sums are computed independently
/// (in parallel where the rayon pool has threads) and then added by a fixed tree.
///
/// A batch of `n` rows is cut into `n / rows` chunks (at least 1, at most `max_chunks`) of
/// as even a size as can be: so a chunk never has fewer than `rows` rows (unless the whole
/// batch has), and a large batch has larger chunks rather than more of them. Every extra
/// chunk costs one addition of a whole gradient; every chunk beyond the number of cores
/// gains nothing; and the matrix products run faster on more rows. The cut depends only on
/// the batch size, the network's size and these settings, never on the number of threads,
/// so the result is the same to the last bit on any pool.
///
/// ```
/// use nn_net::Chunking;
///
/// let chunking = Chunking { rows: 32, max_chunks: 8, min_work: 1 << 16 };
/// // 1000 rows of a 101,770-parameter network: 8 chunks of 125 rows.
/// assert_eq!(chunking.count(1000, 101_770), 8);
/// // 64 rows: two chunks of 32, one for each of two cores.
/// assert_eq!(chunking.count(64, 101_770), 2);
/// // A tiny network's whole batch is one chunk: splitting would cost more than it saves.
/// assert_eq!(chunking.count(256, 229), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Chunking {
    /// The fewest rows a chunk is cut to, for every started 2^20 parameters of the network
    /// ([`Chunking::least_rows`]): a batch of `n` rows has at most `n / least_rows` chunks.
    pub rows: usize,
    /// The most chunks a batch is cut into, however many rows it has.
    pub max_chunks: usize,
    /// A batch whose work, rows × parameters, is below this is one chunk: it runs serially
    /// with no rayon overhead.
    pub min_work: usize,
}

impl Default for Chunking {
    /// Chunks of at least 32 rows, at most 4 of them, and batches under 2^20 multiply-adds
    /// a parameter pass run whole. Measured on 2 cores (docs/performance.md): a batch of 64
    /// needs two chunks to use both; the wide network's batch of 256 trained faster in 4
    /// or 2 chunks than in 8 (each extra chunk adds a whole 2-million-parameter gradient);
    /// 784-128-10 in batches of 1000 was the same in 4 chunks as in 8; and the wide network
    /// trained faster in 2 chunks of 128 than in 4 of 64 on one core (the same within the
    /// noise on two), which the 32 rows per started million parameters give it. More cores
    /// want a larger `max_chunks`.
    fn default() -> Self {
        Chunking { rows: 32, max_chunks: 4, min_work: 1 << 20 }
    }
}

impl Chunking {
    /// One chunk whatever the batch: the serial path.
    pub fn serial() -> Self {
        Chunking { rows: usize::MAX, max_chunks: 1, min_work: usize::MAX }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`NetError::InvalidChunkRows`] for `rows == 0`; [`NetError::InvalidSetting`] for
    /// `max_chunks == 0`.
    pub fn check(&self) -> Result<(), NetError> {
        if self.rows == 0 {
            Err(NetError::InvalidChunkRows)
        } else if self.max_chunks == 0 {
            Err(NetError::InvalidSetting {
                setting: "most chunks a batch is cut into",
                expected: "at least 1",
                found: 0.0,
            })
        } else {
            Ok(())
        }
    }

    /// The number of chunks a batch of `rows` rows of a network of `parameters` parameters
    /// is cut into (at least 1).
    pub fn count(&self, rows: usize, parameters: usize) -> usize {
        if rows.saturating_mul(parameters) < self.min_work {
            1
        } else {
            (rows / self.least_rows(parameters)).clamp(1, self.max_chunks.max(1))
        }
    }

    /// The fewest rows a chunk of a network of `parameters` parameters is cut to: `rows`
    /// for every started 2^20 parameters (`rows` itself up to a million parameters).
    ///
    /// Every chunk writes a whole gradient, which the tree then adds to another: past a
    /// few MiB the gradients no longer stay in cache, and each chunk's weight-gradient
    /// products (`A_{l-1}ᵀ·Δ_l`, summed over the chunk's rows) write all of their output
    /// for fewer multiply-adds an entry. A larger network's chunk takes more rows to pay
    /// for that. The 1024-1024-1024-10 network (2.1M parameters) gets 96: its batch of 256
    /// is two chunks of 128.
    ///
    /// ```
    /// use nn_net::Chunking;
    ///
    /// let chunking = Chunking::default();
    /// assert_eq!(chunking.least_rows(101_770), 32);
    /// assert_eq!(chunking.least_rows(2_109_450), 96);
    /// assert_eq!(chunking.count(256, 2_109_450), 2);
    /// ```
    pub fn least_rows(&self, parameters: usize) -> usize {
        const PARAMETERS_PER_STEP: usize = 1 << 20;
        let steps = parameters.div_ceil(PARAMETERS_PER_STEP).max(1);
        self.rows.max(1).saturating_mul(steps)
    }

    /// The most rows any chunk but the first holds, for batches of up to `capacity` rows
    /// of a network of `parameters` parameters (the first holds a whole batch, when it is
    /// one chunk).
    pub(crate) fn largest_chunk(&self, capacity: usize, parameters: usize) -> usize {
        // Cut into `max_chunks`, a chunk has at most ceil(capacity / max_chunks) rows; cut
        // into fewer, `n / least` chunks of `n` rows, it has fewer than `2 · least`.
        let least = self.least_rows(parameters);
        let most = capacity.div_ceil(self.max_chunks.max(1)).max(least.saturating_mul(2));
        most.min(capacity)
    }

    /// The rows of chunk `index` out of `count` chunks of a batch of `rows` rows: the
    /// sizes differ by at most one row.
    pub(crate) fn range(&self, index: usize, count: usize, rows: usize) -> std::ops::Range<usize> {
        let start = |i: usize| i * rows / count;
        start(index)..start(index + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_fits_the_largest_a_batch_gradient_builds() {
        // Small and large networks (the least rows a chunk takes grows with the latter), at
        // every batch size up to the capacity: no chunk but the first may outgrow the
        // buffers built for the rest, and none has fewer rows than the least unless the
        // batch is one chunk.
        let chunking = Chunking { min_work: 0, ..Chunking::default() };
        for parameters in [229, 101_770, 1 << 20, (1 << 20) + 1, 2_109_450, 9_000_000] {
            let least = chunking.least_rows(parameters);
            for capacity in [1, 31, 64, 100, 256, 1000] {
                let largest = chunking.largest_chunk(capacity, parameters);
                for n in 1..=capacity {
                    let count = chunking.count(n, parameters);
                    assert!((1..=chunking.max_chunks).contains(&count));
                    for i in 0..count {
                        let rows = chunking.range(i, count, n).len();
                        assert!(i == 0 || rows <= largest, "{parameters} {capacity} {n} {i}");
                        assert!(count == 1 || rows >= least, "{parameters} {n}: {rows} < {least}");
                    }
                }
            }
        }
        assert_eq!(chunking.least_rows(1 << 20), 32);
        assert_eq!(chunking.least_rows((1 << 20) + 1), 64);
    }
}
