//! Loading datasets from files: CSV and IDX (MNIST's format), gzip-compressed or not.
//!
//! # Formats
//!
//! - **CSV** ([`load_csv`]): one sample per line, numbers separated by commas. One
//!   column is a class label (`0, 1, …`, one-hot encoded into the targets) or a block of
//!   columns holds regression targets; every other column is an input. A header line is
//!   found by itself ([`Header::Auto`]) or declared. [`CsvOptions`] says which.
//! - **IDX** ([`load_idx`]): an images file (`X-images-idx3-ubyte`, magic `0x00000803`,
//!   `n × rows × columns` unsigned bytes) and a labels file beside it
//!   (`X-labels-idx1-ubyte`, magic `0x00000801`, `n` unsigned bytes). The inputs are the
//!   raw pixels, `n × (rows · columns)`, 0 to 255; the targets are the labels one-hot.
//! - **Inputs alone** ([`load_inputs`]), for prediction: an IDX images file without its
//!   labels, or a CSV file whose rows hold a model's inputs with the label or target
//!   columns or without them; the result is the `n × inputs` matrix.
//!
//! A file is read through gzip when its first two bytes are gzip's magic bytes `1f 8b`,
//! whatever its name, so `train.csv.gz` and `train-images-idx3-ubyte.gz` just work.
//! [`load_any`] tells CSV from IDX by content too ([`detect`]).
//!
//! Inputs are loaded as they are in the file; map them with a
//! [`Normalization`](crate::Normalization) fitted on the training set
//! ([`Dataset::normalize`](crate::Dataset::normalize)).
//!
//! # Errors
//!
//! Nothing in a file makes a loader panic. A bad file is refused with a [`DataError`] that
//! names the file, the place in it (line and column, or byte offset and header field),
//! what was expected there and what was found:
//!
//! ```text
//! data/train.csv, line 7, column 3: expected a finite number; found NaN
//! train-images-idx3-ubyte: ended at byte 1000 inside the pixels; expected 47040016 bytes in all
//! ```
//!
//! Data whose matrices would take more than a memory limit ([`DEFAULT_MEMORY_LIMIT`],
//! 8 GiB, unless the options say otherwise) is refused before the memory is allocated.
//!
//! # Example
//!
//! ```
//! use nn_net::data::{load_any, write_csv, CsvOptions};
//! use nn_net::{Dataset, Normalization, NormalizationKind};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("train.csv.gz");
//! let data = Dataset::new(
//!     ndarray::array![[0.0_f32, 10.0], [5.0, 20.0], [10.0, 30.0], [5.0, 10.0]],
//!     ndarray::array![[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]],
//! )?;
//! write_csv(&path, &data, &CsvOptions::default())?;
//!
//! let loaded = load_any::<f32>(&path, &CsvOptions::default())?;
//! assert_eq!((loaded.dataset.len(), loaded.classes), (4, Some(2)));
//! let (mut train, mut validation) = loaded.dataset.split(0.25, 7)?;
//! let scale = Normalization::fit(NormalizationKind::Scale, train.inputs());
//! train.normalize(&scale)?;
//! validation.normalize(&scale)?;
//! assert_eq!((train.len(), validation.len()), (3, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod any;
mod budget;
mod csv;
mod error;
mod idx;
mod inputs;
mod lines;
mod loaded;
mod open;
mod save;

pub use any::{Format, detect, load_any};
pub use budget::DEFAULT_MEMORY_LIMIT;
pub use csv::{CsvOptions, Header, LabelColumn, Targets, load_csv, write_csv};
pub use error::DataError;
pub use idx::{
    IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxOptions, idx_labels_path, load_idx, load_idx_files,
    write_idx_images, write_idx_labels,
};
pub use inputs::load_inputs;
pub use loaded::Loaded;
