//! Model files: tensors saved as a safetensors file that Python (numpy, PyTorch) and other
//! engines read, and loaded back with everything in it checked.
//!
//! - [`TensorFile`] (`tensor_file.rs`): named f32/f64 [`Tensor`]s and string metadata,
//!   written atomically and read back with the container checked. It knows nothing of
//!   networks, so models and checkpoints can store their tensors the same way.
//!
//! Every failure is a [`ModelFileError`] (`error.rs`) naming the file.

mod error;
mod tensor_file;

pub use error::{ModelFileError, ModelFileErrorKind};
pub use tensor_file::{Tensor, TensorData, TensorFile};
