//! The memory limit: data whose matrices would not fit is refused before they are allocated.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use super::DataError;

/// The memory a loader may use for the matrices it builds, and a network or a training run
/// for its buffers (`nn_net::DEFAULT_MEMORY_LIMIT` is this constant), unless told
/// otherwise: 8 GiB.
///
/// Enough for MNIST many times over (60 000 × 794 `f32` values are 190 MB) and for most
/// machines' memory; a file whose header or rows would need more, or an architecture whose
/// buffers would, is refused before the memory is taken, with an error saying how much it
/// would need.
pub const DEFAULT_MEMORY_LIMIT: u64 = 8 << 30;

/// `Ok` if `bytes` (`None` for more than a `u64` holds) is within `limit`.
pub(crate) fn check_budget(
    path: &Path,
    what: impl FnOnce() -> String,
    bytes: Option<u64>,
    limit: u64,
) -> Result<(), DataError> {
    match bytes {
        Some(b) if b <= limit => Ok(()),
        _ => Err(DataError::TooLarge {
            path: path.to_owned(),
            what: what(),
            bytes: bytes.unwrap_or(u64::MAX),
            limit,
        }),
    }
}

/// The product of `factors`, `None` if it overflows a `u64`.
pub(crate) fn product(factors: &[u64]) -> Option<u64> {
    factors.iter().try_fold(1_u64, |p, &f| p.checked_mul(f))
}

/// A reader that fails when a line grows longer than the limit, so that a file (or a
/// small gzip stream) of one endless line cannot make the CSV reader's record buffer take
/// all memory before the row checks see it. Quoted line breaks count as line ends here,
/// which only makes the check looser.
pub(crate) struct LineLimit<R> {
    inner: R,
    limit: u64,
    /// Bytes of the current line so far.
    run: u64,
    /// The current line, from 1.
    line: u64,
}

impl<R> LineLimit<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        LineLimit { inner, limit, run: 0, line: 1 }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut segments = buf.get(..n).unwrap_or_default().split(|&b| b == b'\n');
        if let Some(first) = segments.next() {
            self.run += first.len() as u64;
        }
        for segment in segments {
            if self.run > self.limit {
                break;
            }
            self.line += 1;
            self.run = segment.len() as u64;
        }
        if self.run > self.limit {
            return Err(io::Error::other(LineTooLong { line: self.line, limit: self.limit }));
        }
        Ok(n)
    }
}

/// The error [`LineLimit`] fails with, found again by the CSV loader.
#[derive(Debug)]
pub(crate) struct LineTooLong {
    pub(crate) line: u64,
    pub(crate) limit: u64,
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} is longer than the memory limit of {} bytes", self.line, self.limit)
    }
}

impl std::error::Error for LineTooLong {}
