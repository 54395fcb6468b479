//! Telling the formats apart by content, for a path that may be either.

use std::path::Path;

use ndarray::NdFloat;

use super::idx::looks_like_idx;
use super::open::Source;
use super::{CsvOptions, DataError, IdxOptions, Loaded, Targets, load_csv, load_idx};

/// The formats the loaders read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Comma-separated numbers, one sample per line.
    Csv,
    /// IDX, MNIST's binary format: an images file with a labels file beside it.
    Idx,
}

/// The format of a file, from its first bytes (after gzip decompression): IDX if they are
/// an IDX magic number (two zero bytes, then an element type), CSV otherwise. The name is
/// not looked at.
///
/// ```
/// use nn_net::data::{detect, Format};
///
/// let dir = tempfile::tempdir()?;
/// let csv = dir.path().join("data.bin");
/// std::fs::write(&csv, "1,2,0\n")?;
/// assert_eq!(detect(&csv)?, Format::Csv);
/// let idx = dir.path().join("data.csv");
/// std::fs::write(&idx, [0, 0, 8, 1, 0, 0, 0, 1, 7])?;
/// assert_eq!(detect(&idx)?, Format::Idx);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`DataError::Open`], [`DataError::Directory`] or [`DataError::Read`] if the file's
/// first bytes cannot be read.
pub fn detect(path: &Path) -> Result<Format, DataError> {
    let mut source = Source::open(path)?;
    let mut head = [0_u8; 4];
    let got = source.read_full(&mut head)?;
    Ok(if looks_like_idx(head.get(..got).unwrap_or_default()) { Format::Idx } else { Format::Csv })
}

/// Loads a file of either format, told apart by [`detect`]: a CSV file with `options`, or
/// an IDX images file with its labels beside it ([`load_idx`]), taking the class count and
/// memory limit from `options` (IDX labels are classes, so regression targets are refused).
///
/// ```
/// use nn_net::data::{load_any, CsvOptions};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("train.csv");
/// std::fs::write(&path, "1,2,1\n3,4,0\n")?;
/// let loaded = load_any::<f64>(&path, &CsvOptions::default())?;
/// assert_eq!((loaded.dataset.len(), loaded.classes), (2, Some(2)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Those of [`detect`], [`load_csv`] and [`load_idx`]; [`DataError::Options`] for
/// regression targets with an IDX file.
pub fn load_any<F: NdFloat>(path: &Path, options: &CsvOptions) -> Result<Loaded<F>, DataError> {
    match detect(path)? {
        Format::Csv => load_csv(path, options),
        Format::Idx => match options.targets {
            Targets::Classes { count } => {
                load_idx(path, &IdxOptions { classes: count, memory_limit: options.memory_limit })
            }
            Targets::Regression { columns } => Err(DataError::Options {
                path: path.to_owned(),
                reason: format!(
                    "expected class targets for an IDX file (its labels are classes); found \
                     regression targets of {columns} column{}",
                    if columns == 1 { "" } else { "s" }
                ),
            }),
        },
    }
}
