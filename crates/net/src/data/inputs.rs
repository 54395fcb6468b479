//! Inputs alone, for prediction: an IDX images file without its labels, or a CSV file
//! with its label or target columns or without them.

use std::path::Path;

use ndarray::{Array2, NdFloat};

use super::csv::{Block, Layout, block, check_options, read_rows, wanted};
use super::idx::load_idx_images;
use super::{CsvOptions, DataError, Format, detect};

/// Loads the inputs of a file for a model of `inputs` inputs, without targets: the samples
/// to predict. The format is told by content ([`detect`]), gzip too.
///
/// - **IDX**: the images file alone, whether or not a labels file is beside it. The inputs
///   are the raw pixels, `n × (rows · columns)`, 0 to 255, as [`load_idx`](super::load_idx)
///   reads them; images of other than `inputs` pixels are refused.
/// - **CSV**: a row of `inputs` fields is all inputs. A row of `inputs + k` fields, `k`
///   being the width of the targets in `options` (1 for [`Targets::Classes`], `columns` for
///   [`Targets::Regression`]), holds the target block where `options.label_column` places
///   it, as [`load_csv`](super::load_csv) reads it; the block is dropped unread (a test
///   set's labels need not be valid classes) and the other fields are the inputs, in file
///   order. The first row decides (the header, if there is one), and every row must have
///   as many fields. Headers, quoting, blank lines and numbers are read as
///   [`load_csv`](super::load_csv) reads them; a header is found from all the first row's
///   fields, the label's included.
///
/// Of `options`, an IDX file uses only the memory limit.
///
/// [`Targets::Classes`]: super::Targets::Classes
/// [`Targets::Regression`]: super::Targets::Regression
///
/// ```
/// use ndarray::{array, Array3};
/// use nn_net::data::{load_inputs, write_idx_images, CsvOptions};
///
/// let dir = tempfile::tempdir()?;
/// let options = CsvOptions::default(); // as in training: a label in the last column
/// // A test file laid out as the training file was, and new samples without labels.
/// let labelled = dir.path().join("test.csv");
/// std::fs::write(&labelled, "x,y,label\n0.5,1.5,0\n2,-1,2\n")?;
/// let bare = dir.path().join("new.csv");
/// std::fs::write(&bare, "0.5,1.5\n2,-1\n")?;
/// let x = load_inputs::<f32>(&labelled, &options, 2)?;
/// assert_eq!(x, array![[0.5, 1.5], [2.0, -1.0]]);
/// assert_eq!(load_inputs::<f32>(&bare, &options, 2)?, x);
///
/// // Two images of 1×2 pixels, no labels file beside them.
/// let images = dir.path().join("new-images-idx3-ubyte");
/// write_idx_images(&images, &Array3::from_shape_vec((2, 1, 2), vec![0, 255, 7, 9])?)?;
/// assert_eq!(load_inputs::<f32>(&images, &options, 2)?, array![[0.0, 255.0], [7.0, 9.0]]);
///
/// // A model of 3 inputs takes neither.
/// let e = load_inputs::<f32>(&bare, &options, 3).unwrap_err();
/// assert!(e.to_string().ends_with(
///     "new.csv, line 1: expected 3 fields (the inputs) or 4 (the inputs and a label in the \
///      last column); found 2"
/// ));
/// let e = load_inputs::<f32>(&images, &options, 3).unwrap_err();
/// assert!(e.to_string().ends_with(
///     "new-images-idx3-ubyte, bytes 8-15 (rows, columns): expected images of 3 pixels, one \
///      per input; found 1×2 = 2 pixels"
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Shapes
/// The result is `n × inputs`, a row per sample, in file order.
///
/// # Errors
/// [`DataError::Options`] for `inputs` of 0, or (for a CSV file) options that fit no file
/// as [`load_csv`](super::load_csv) refuses them; [`DataError::InputFields`] for a CSV row
/// of neither `inputs` fields nor `inputs + k`, naming its line and both counts;
/// [`DataError::Columns`] if a row of `inputs + k` fields has no room for the block where
/// the label column says; [`DataError::IdxInputs`] for images of another size; otherwise
/// the errors of [`load_csv`](super::load_csv) (but [`DataError::BadLabel`]) and of
/// [`load_idx`](super::load_idx) for the images file (its header, its size, the memory
/// limit).
pub fn load_inputs<F: NdFloat>(
    path: &Path,
    options: &CsvOptions,
    inputs: usize,
) -> Result<Array2<F>, DataError> {
    if inputs == 0 {
        return Err(DataError::Options {
            path: path.to_owned(),
            reason: "expected at least 1 input; found 0".to_owned(),
        });
    }
    match detect(path)? {
        Format::Idx => load_idx_images(path, inputs, options.memory_limit),
        Format::Csv => load_csv_inputs(path, options, inputs),
    }
}

/// [`load_inputs`] for a CSV file.
fn load_csv_inputs<F: NdFloat>(
    path: &Path,
    options: &CsvOptions,
    inputs: usize,
) -> Result<Array2<F>, DataError> {
    check_options(path, options)?;
    let width = options.targets.columns();
    let with_targets = inputs.saturating_add(width);
    let rows = read_rows(path, options, |fields, line| {
        if fields == inputs {
            return Ok(Layout { start: 0, width: 0, block: Block::Skipped });
        }
        if fields != with_targets {
            return Err(DataError::InputFields {
                path: path.to_owned(),
                line,
                inputs,
                with_targets,
                targets: block(options),
                found: fields,
            });
        }
        match options.label_column.start(fields, width) {
            Some(start) => Ok(Layout { start, width, block: Block::Skipped }),
            None => Err(DataError::Columns {
                path: path.to_owned(),
                line,
                wanted: wanted(options),
                fields,
            }),
        }
    })?;
    Ok(rows.into_inputs())
}
