//! Model files: a trained network saved as a safetensors file that Python (numpy, PyTorch)
//! and other engines read, and loaded back with everything in it checked.
//!
//! Two layers, one per file:
//!
//! - [`TensorFile`] (`tensor_file.rs`): named f32/f64 [`Tensor`]s and string metadata,
//!   written atomically and read back with the container checked. It knows nothing of
//!   networks, so checkpoints can store other tensors the same way.
//! - [`Model`] (`model.rs`): a network, its input normalisation and its loss, laid out as
//!   tensors and metadata (the layout is in [`Model`]'s docs and `docs/model-files.md`).
//!
//! Every failure is a [`ModelFileError`] (`error.rs`) naming the file.

mod error;
mod model;
mod tensor_file;

pub use error::{ModelFileError, ModelFileErrorKind};
pub use model::{MODEL_FORMAT, MODEL_FORMAT_VERSION, Model};
pub(crate) use tensor_file::float_name;
pub use tensor_file::{Tensor, TensorData, TensorFile};
