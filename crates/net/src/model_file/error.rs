//! What can go wrong saving or loading a tensor file, always with the file's path.

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::NetError;

/// A file that could not be saved or loaded: its path, and what was expected and found.
///
/// The message always starts with the path, then says what went wrong in the file's
/// terms: `model.safetensors: tensor layers.0.weight has shape [3, 4]; expected [2, 4] for
/// architecture 2-4-1`. Match on [`ModelFileError::kind`] to tell the cases apart.
#[derive(Debug, Error)]
#[error("{}: {kind}", path.display())]
pub struct ModelFileError {
    /// The file that was being saved or loaded.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: ModelFileErrorKind,
}

impl ModelFileError {
    /// An error about the file at `path`.
    pub fn new(path: impl AsRef<Path>, kind: ModelFileErrorKind) -> Self {
        ModelFileError { path: path.as_ref().to_path_buf(), kind }
    }

    /// A function that adds `path` to an error kind, for `map_err`.
    pub(crate) fn at(path: &Path) -> impl Fn(ModelFileErrorKind) -> Self + '_ {
        move |kind| ModelFileError::new(path, kind)
    }
}

/// What went wrong with a tensor file, without the path (which [`ModelFileError`] adds).
///
/// Damage to the safetensors container itself (the header, the offsets, the length) is
/// [`ModelFileErrorKind::Damaged`] or [`ModelFileErrorKind::DamagedTensor`]; a readable
/// file whose contents do not make a valid model is one of the other kinds.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelFileErrorKind {
    /// The operating system refused a read, a write, a rename or a sync.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done, such as `read the file` or `create a temporary file in /models`.
        action: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A directory where a file was expected.
    #[error("is a directory; expected a safetensors file")]
    IsDirectory,
    /// The container is damaged: a header that is not there, not JSON, or does not describe
    /// the bytes that follow it.
    #[error("damaged safetensors file: {reason}")]
    Damaged {
        /// What is wrong, with the expected and the found.
        reason: String,
    },
    /// One tensor's entry in the header is damaged.
    #[error("damaged safetensors file: tensor {tensor}: {reason}")]
    DamagedTensor {
        /// The tensor's name.
        tensor: String,
        /// What is wrong, with the expected and the found.
        reason: String,
    },
    /// A tensor of a type this crate does not store, or not the one the metadata names.
    #[error("tensor {tensor} holds {found} values; expected {expected}")]
    TensorDtype {
        /// The tensor's name.
        tensor: String,
        /// The type expected, such as `F32 (the dtype in the metadata)`.
        expected: String,
        /// The type found, such as `F64`.
        found: String,
    },
    /// A tensor the file should hold and does not.
    #[error("no tensor {tensor}; {expected}")]
    MissingTensor {
        /// The tensor's name.
        tensor: String,
        /// Why it is expected.
        expected: String,
    },
    /// A tensor the file should not hold.
    #[error("unexpected tensor {tensor}; {expected}")]
    UnexpectedTensor {
        /// The tensor's name.
        tensor: String,
        /// What the file should hold instead.
        expected: String,
    },
    /// A tensor whose shape is not the one the metadata implies.
    #[error("tensor {tensor} has shape {found:?}; expected {expected:?} {why}")]
    TensorShape {
        /// The tensor's name.
        tensor: String,
        /// The shape expected.
        expected: Vec<usize>,
        /// The shape found.
        found: Vec<usize>,
        /// Where the expected shape comes from, such as `for architecture 2-4-1`.
        why: String,
    },
    /// A tensor whose number of values does not fit its shape (when saving).
    #[error("tensor {tensor} has shape {shape:?} but {found} values")]
    TensorLength {
        /// The tensor's name.
        tensor: String,
        /// Its shape.
        shape: Vec<usize>,
        /// The number of values it holds.
        found: usize,
    },
    /// A NaN or infinite parameter.
    #[error("tensor {tensor}: value {index} is {value:?}; expected finite numbers")]
    NonFinite {
        /// The tensor's name.
        tensor: String,
        /// The position of the value, counting row by row from 0.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A value too large for the float type it is loaded as.
    #[error("tensor {tensor}: value {index} is {value:?}, beyond the range of {dtype}")]
    OutOfRange {
        /// The tensor's name.
        tensor: String,
        /// The position of the value, counting row by row from 0.
        index: usize,
        /// The value in the file.
        value: f64,
        /// The type it was loaded as.
        dtype: &'static str,
    },
    /// A metadata key the file should hold and does not.
    #[error("no metadata {key}; expected {expected}")]
    MissingMetadata {
        /// The key.
        key: String,
        /// What its value should be.
        expected: String,
    },
    /// A metadata value that cannot be used.
    #[error("metadata {key} is {found:?}: {reason}")]
    Metadata {
        /// The key.
        key: String,
        /// The value found.
        found: String,
        /// Why it is refused, and what was expected.
        reason: String,
    },
    /// A file written by a newer version of the format than this crate reads.
    #[error(
        "format_version is {found}, newer than the {supported} this version of nn reads; \
         load it with a newer nn"
    )]
    NewerVersion {
        /// The version in the file.
        found: u64,
        /// The newest version this crate reads.
        supported: u64,
    },
    /// Normalisation statistics whose width is not the network's input width.
    #[error(
        "the normalization covers {found} input columns; expected {expected}, the network's \
         input size"
    )]
    NormalizationWidth {
        /// The network's input size.
        expected: usize,
        /// The normalisation's width.
        found: usize,
    },
    /// Parameters or statistics that the network's own checks refuse.
    #[error("{0}")]
    Invalid(#[from] NetError),
}
