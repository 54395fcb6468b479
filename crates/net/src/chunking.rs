//! How a batch is cut into chunks for the parallel sum.

use crate::NetError;

/// How a batch is cut into chunks whose cost and gradient sums are computed independently
/// (in parallel where the rayon pool has threads) and then added by a fixed tree.
///
/// The cut depends only on the batch size, the network's size and these settings, never on
/// the number of threads, so the result is the same to the last bit on any pool.
///
/// ```
/// use nn_net::Chunking;
///
/// let chunking = Chunking { rows: 64, min_work: 1 << 16 };
/// // 1000 rows of a 101,770-parameter network: 16 chunks (15 of 64 rows, one of 40).
/// assert_eq!(chunking.count(1000, 101_770), 16);
/// // A tiny network's whole batch is one chunk: splitting would cost more than it saves.
/// assert_eq!(chunking.count(256, 229), 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Chunking {
    /// Rows per chunk; the last chunk of a batch takes what is left.
    pub rows: usize,
    /// A batch whose work, rows × parameters, is below this is one chunk: it runs serially
    /// with no rayon overhead.
    pub min_work: usize,
}

impl Default for Chunking {
    /// 64 rows a chunk (enough rows for each chunk's matrix products to run near full
    /// speed, and enough chunks in a batch of a few hundred rows to keep two to eight cores
    /// busy), and batches under 2^20 multiply-adds a parameter pass run whole.
    fn default() -> Self {
        Chunking { rows: 64, min_work: 1 << 20 }
    }
}

impl Chunking {
    /// One chunk whatever the batch: the serial path.
    pub fn serial() -> Self {
        Chunking { rows: usize::MAX, min_work: usize::MAX }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`NetError::InvalidChunkRows`] for `rows == 0`.
    pub fn check(&self) -> Result<(), NetError> {
        if self.rows == 0 { Err(NetError::InvalidChunkRows) } else { Ok(()) }
    }

    /// The number of chunks a batch of `rows` rows of a network of `parameters` parameters
    /// is cut into (at least 1).
    pub fn count(&self, rows: usize, parameters: usize) -> usize {
        if rows.saturating_mul(parameters) < self.min_work || rows <= self.rows {
            1
        } else {
            rows.div_ceil(self.rows.max(1))
        }
    }

    /// The rows of chunk `index` out of `count` chunks of a batch of `rows` rows.
    pub(crate) fn range(&self, index: usize, count: usize, rows: usize) -> std::ops::Range<usize> {
        if count == 1 {
            0..rows
        } else {
            let start = index * self.rows;
            start..(start + self.rows).min(rows)
        }
    }
}
