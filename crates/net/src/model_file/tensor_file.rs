//! Named f32/f64 tensors and string metadata in one safetensors file: saved atomically,
//! read back with every byte of the container checked.

use std::any::TypeId;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use ndarray::NdFloat;
use safetensors::tensor::TensorInfo;
use safetensors::{Dtype, SafeTensors};
use serde_json::Value;

use super::{ModelFileError, ModelFileErrorKind};

/// The largest header the safetensors format allows, in bytes.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// The values of a tensor, row-major (the last index varies fastest).
#[derive(Clone, Debug, PartialEq)]
pub enum TensorData {
    /// Single precision, stored as safetensors `F32`.
    F32(Vec<f32>),
    /// Double precision, stored as safetensors `F64`.
    F64(Vec<f64>),
}

impl TensorData {
    /// The values of a network's float type `F`, stored as that type: `F32` for `f32`,
    /// `F64` for `f64`. Exact.
    pub fn from_floats<F: NdFloat>(values: impl IntoIterator<Item = F>) -> Self {
        // `F` is f32 or f64 (the only `NdFloat`s), so each conversion below is exact.
        if TypeId::of::<F>() == TypeId::of::<f32>() {
            TensorData::F32(values.into_iter().map(|v| v.to_f32().unwrap_or(f32::NAN)).collect())
        } else {
            TensorData::F64(values.into_iter().map(|v| v.to_f64().unwrap_or(f64::NAN)).collect())
        }
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        match self {
            TensorData::F32(v) => v.len(),
            TensorData::F64(v) => v.len(),
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type's name in model metadata: `f32` or `f64`.
    pub fn dtype(&self) -> &'static str {
        match self {
            TensorData::F32(_) => "f32",
            TensorData::F64(_) => "f64",
        }
    }

    fn safetensors_dtype(&self) -> Dtype {
        match self {
            TensorData::F32(_) => Dtype::F32,
            TensorData::F64(_) => Dtype::F64,
        }
    }

    /// The values as the float type `F`, after checking that each is finite and fits `F`.
    ///
    /// `f32` values widen to `f64` exactly; `f64` values narrowed to `f32` round to the
    /// nearest `f32`. `tensor` names the tensor in errors.
    ///
    /// # Errors
    /// [`ModelFileErrorKind::NonFinite`] for a NaN or infinite value;
    /// [`ModelFileErrorKind::OutOfRange`] for a finite `f64` beyond the range of `f32`.
    pub fn to_floats<F: NdFloat>(&self, tensor: &str) -> Result<Vec<F>, ModelFileErrorKind> {
        let as_f64: Box<dyn Iterator<Item = f64> + '_> = match self {
            TensorData::F32(v) => Box::new(v.iter().map(|&x| f64::from(x))),
            TensorData::F64(v) => Box::new(v.iter().copied()),
        };
        as_f64
            .enumerate()
            .map(|(index, value)| {
                if !value.is_finite() {
                    return Err(ModelFileErrorKind::NonFinite {
                        tensor: tensor.to_owned(),
                        index,
                        value,
                    });
                }
                // `as`-style conversion: exact when widening, round to nearest when
                // narrowing, ±inf past f32's range (refused just below).
                match <F as num_traits::NumCast>::from(value) {
                    Some(x) if x.is_finite() => Ok(x),
                    _ => Err(ModelFileErrorKind::OutOfRange {
                        tensor: tensor.to_owned(),
                        index,
                        value,
                        dtype: float_name::<F>(),
                    }),
                }
            })
            .collect()
    }

    /// The values as little-endian bytes, as safetensors stores them.
    fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            TensorData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            TensorData::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }
}

impl From<Vec<f32>> for TensorData {
    fn from(values: Vec<f32>) -> Self {
        TensorData::F32(values)
    }
}

impl From<Vec<f64>> for TensorData {
    fn from(values: Vec<f64>) -> Self {
        TensorData::F64(values)
    }
}

/// `f32` or `f64`: the name of the float type `F`, as model metadata writes it.
pub(crate) fn float_name<F: NdFloat>() -> &'static str {
    if TypeId::of::<F>() == TypeId::of::<f32>() { "f32" } else { "f64" }
}

/// One tensor: a shape and its values, row-major.
///
/// The number of values should be the product of the shape (1 for the empty shape of a
/// scalar); [`TensorFile::save`] refuses a tensor where it is not.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// The size of each dimension, outermost first.
    pub shape: Vec<usize>,
    /// The values.
    pub data: TensorData,
}

impl Tensor {
    /// A tensor of `shape` holding `data`.
    pub fn new(shape: Vec<usize>, data: impl Into<TensorData>) -> Self {
        Tensor { shape, data: data.into() }
    }
}

/// Named tensors and string metadata: the contents of one safetensors file.
///
/// The generic layer under model files (and checkpoints): it knows nothing of networks.
/// [`TensorFile::save`] writes atomically; [`TensorFile::load`] checks the container (the
/// header, every tensor's type, shape and byte range, the file's length) and reports damage
/// naming the file and the tensor.
///
/// Files are deterministic: the same tensors and metadata give the same bytes. The header
/// lists the metadata and tensors sorted by name; the data holds the `F64` tensors, then
/// the `F32` tensors, each group in name order, so every tensor is aligned to its type's
/// size (the header is padded with spaces to a multiple of 8 bytes, as safetensors does).
///
/// ```
/// use nn_net::{Tensor, TensorData, TensorFile};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("tensors.safetensors");
///
/// let mut file = TensorFile::default();
/// file.metadata.insert("note".into(), "two tensors".into());
/// file.tensors.insert("w".into(), Tensor::new(vec![2, 2], vec![1.0_f32, 2.0, 3.0, 4.0]));
/// file.tensors.insert("b".into(), Tensor::new(vec![2], vec![0.5_f64, -0.5]));
/// file.save(&path)?;
///
/// let loaded = TensorFile::load(&path)?;
/// assert_eq!(loaded, file);
/// assert_eq!(loaded.tensors["w"].data, TensorData::F32(vec![1.0, 2.0, 3.0, 4.0]));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TensorFile {
    /// String metadata, stored under the header's `__metadata__` key.
    pub metadata: BTreeMap<String, String>,
    /// The tensors, by name.
    pub tensors: BTreeMap<String, Tensor>,
}

impl TensorFile {
    /// Writes the tensors and metadata to `path` atomically.
    ///
    /// The file is written in full to a temporary file in the same directory, flushed and
    /// synced to disk, then renamed over `path`, and the directory is synced so that the
    /// rename itself survives a crash (on Unix). A file already at `path` is replaced
    /// whole or not at all: if anything fails it is left as it was, and the temporary file
    /// is removed. On Unix a replaced file keeps its permissions; a new one gets the
    /// permissions `File::create` would give it.
    ///
    /// # Errors
    /// [`ModelFileErrorKind::TensorLength`] for a tensor whose values do not fill its
    /// shape; [`ModelFileErrorKind::Damaged`] for a tensor named `__metadata__` (the
    /// format reserves it); [`ModelFileErrorKind::Io`] if the directory cannot be written,
    /// does not exist, or the rename fails (for instance when `path` is a directory).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        let path = path.as_ref();
        let bytes = self.to_bytes().map_err(ModelFileError::at(path))?;
        write_atomically(path, &bytes).map_err(ModelFileError::at(path))
    }

    /// Reads and checks the file at `path`.
    ///
    /// Every tensor must be `F32` or `F64`; the header must be valid JSON describing tensors
    /// that tile the data exactly, with each byte range the size its shape and type need.
    ///
    /// # Errors
    /// [`ModelFileErrorKind::Io`] for a missing or unreadable file;
    /// [`ModelFileErrorKind::IsDirectory`] for a directory;
    /// [`ModelFileErrorKind::Damaged`] or [`ModelFileErrorKind::DamagedTensor`] for a
    /// damaged or truncated file (naming the tensor where there is one);
    /// [`ModelFileErrorKind::TensorDtype`] for a tensor of another type.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ModelFileError> {
        let path = path.as_ref();
        let at = ModelFileError::at(path);
        if path.is_dir() {
            return Err(at(ModelFileErrorKind::IsDirectory));
        }
        let bytes = fs::read(path).map_err(|source| {
            at(ModelFileErrorKind::Io { action: "read the file".into(), source })
        })?;
        TensorFile::from_bytes(&bytes).map_err(at)
    }

    /// The value of metadata `key`.
    ///
    /// # Errors
    /// [`ModelFileErrorKind::MissingMetadata`] if there is none; `expected` says what it
    /// should hold.
    pub fn metadata_value(&self, key: &str, expected: &str) -> Result<&str, ModelFileErrorKind> {
        self.metadata.get(key).map(String::as_str).ok_or_else(|| {
            ModelFileErrorKind::MissingMetadata {
                key: key.to_owned(),
                expected: expected.to_owned(),
            }
        })
    }

    /// Removes and returns tensor `name`, so that what is left at the end is what nobody
    /// asked for.
    ///
    /// # Errors
    /// [`ModelFileErrorKind::MissingTensor`] if there is none; `expected` says why it
    /// should be there.
    pub fn take_tensor(
        &mut self,
        name: &str,
        expected: &str,
    ) -> Result<Tensor, ModelFileErrorKind> {
        self.tensors.remove(name).ok_or_else(|| ModelFileErrorKind::MissingTensor {
            tensor: name.to_owned(),
            expected: expected.to_owned(),
        })
    }

    /// The file's bytes: the 8-byte little-endian header length, the JSON header padded
    /// with spaces to a multiple of 8 bytes, then the data.
    fn to_bytes(&self) -> Result<Vec<u8>, ModelFileErrorKind> {
        for (name, tensor) in &self.tensors {
            if name == "__metadata__" {
                return Err(ModelFileErrorKind::Damaged {
                    reason: "a tensor is named __metadata__, which the format reserves for the \
                             metadata"
                        .into(),
                });
            }
            if element_count(&tensor.shape) != Some(tensor.data.len()) {
                return Err(ModelFileErrorKind::TensorLength {
                    tensor: name.clone(),
                    shape: tensor.shape.clone(),
                    found: tensor.data.len(),
                });
            }
        }
        // Widest type first, then by name: every tensor starts at a multiple of its size.
        let mut order: Vec<(&String, &Tensor)> = self.tensors.iter().collect();
        order.sort_by_key(|(name, t)| (std::cmp::Reverse(t.data.safetensors_dtype()), *name));

        let mut header = serde_json::Map::new();
        if !self.metadata.is_empty() {
            let metadata =
                self.metadata.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            header.insert("__metadata__".into(), Value::Object(metadata));
        }
        let mut data = Vec::new();
        for (name, tensor) in &order {
            let bytes = tensor.data.to_le_bytes();
            let info = TensorInfo {
                dtype: tensor.data.safetensors_dtype(),
                shape: tensor.shape.clone(),
                data_offsets: (data.len(), data.len() + bytes.len()),
            };
            let info = serde_json::to_value(info).map_err(|e| ModelFileErrorKind::Damaged {
                reason: format!("cannot write the header entry of tensor {name}: {e}"),
            })?;
            header.insert((*name).clone(), info);
            data.extend_from_slice(&bytes);
        }
        let mut header = Value::Object(header).to_string().into_bytes();
        header.resize(header.len().next_multiple_of(8), b' ');

        let mut bytes = Vec::with_capacity(8 + header.len() + data.len());
        bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&header);
        bytes.extend_from_slice(&data);
        Ok(bytes)
    }

    /// Parses and checks a whole file held in memory.
    ///
    /// The checks here come first so that each kind of damage gets a message naming what
    /// is wrong (and which tensor); the `safetensors` crate then parses the same bytes, so a
    /// file is accepted only if the reference reader accepts it too.
    fn from_bytes(bytes: &[u8]) -> Result<Self, ModelFileErrorKind> {
        let damaged = |reason: String| ModelFileErrorKind::Damaged { reason };
        let Some((length, rest)) = bytes.split_first_chunk::<8>() else {
            return Err(damaged(format!(
                "the file is {} bytes long; expected at least 8, the header length",
                bytes.len()
            )));
        };
        let header_len = u64::from_le_bytes(*length);
        if header_len > MAX_HEADER_BYTES {
            return Err(damaged(format!(
                "the header length is {header_len} bytes; expected at most {MAX_HEADER_BYTES}"
            )));
        }
        let header_len = usize::try_from(header_len).unwrap_or(usize::MAX);
        if rest.len() < header_len {
            return Err(damaged(format!(
                "truncated: the header length is {header_len} bytes, but only {} bytes follow it",
                rest.len()
            )));
        }
        let (header, data) = rest.split_at(header_len);
        let header = std::str::from_utf8(header)
            .map_err(|e| damaged(format!("the header is not UTF-8 text: {e}")))?;
        let header: serde_json::Map<String, Value> = serde_json::from_str(header)
            .map_err(|e| damaged(format!("the header is not a JSON object: {e}")))?;

        let mut metadata = BTreeMap::new();
        let mut infos = Vec::with_capacity(header.len());
        for (name, entry) in header {
            if name == "__metadata__" {
                let Value::Object(entries) = entry else {
                    return Err(damaged(format!(
                        "__metadata__ is {entry}; expected an object of strings"
                    )));
                };
                for (key, value) in entries {
                    let Value::String(value) = value else {
                        return Err(damaged(format!(
                            "metadata {key} is {value}; expected a string"
                        )));
                    };
                    metadata.insert(key, value);
                }
            } else {
                let info: TensorInfo = serde_json::from_value(entry).map_err(|e| {
                    ModelFileErrorKind::DamagedTensor {
                        tensor: name.clone(),
                        reason: format!(
                            "expected an entry with dtype, shape and data_offsets; {e}"
                        ),
                    }
                })?;
                infos.push((name, info));
            }
        }
        check_layout(&mut infos, data.len())?;

        let parsed = SafeTensors::deserialize(bytes)
            .map_err(|e| damaged(format!("the safetensors reader refuses it: {e}")))?;
        let mut tensors = BTreeMap::new();
        for (name, view) in parsed.iter() {
            let data = match view.dtype() {
                Dtype::F32 => TensorData::F32(
                    view.data().as_chunks::<4>().0.iter().map(|b| f32::from_le_bytes(*b)).collect(),
                ),
                Dtype::F64 => TensorData::F64(
                    view.data().as_chunks::<8>().0.iter().map(|b| f64::from_le_bytes(*b)).collect(),
                ),
                other => {
                    return Err(ModelFileErrorKind::TensorDtype {
                        tensor: name.to_owned(),
                        expected: "F32 or F64".into(),
                        found: other.to_string(),
                    });
                }
            };
            tensors.insert(name.to_owned(), Tensor { shape: view.shape().to_vec(), data });
        }
        Ok(TensorFile { metadata, tensors })
    }
}

/// The number of values a shape holds (1 for a scalar's empty shape), or `None` if it
/// overflows.
fn element_count(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1_usize, |n, &d| n.checked_mul(d))
}

/// Checks that each tensor's byte range is the size its shape and type need, and that the
/// ranges tile the `data_len` bytes after the header exactly, as the format requires.
/// Sorts `infos` by offset.
fn check_layout(
    infos: &mut [(String, TensorInfo)],
    data_len: usize,
) -> Result<(), ModelFileErrorKind> {
    let damaged_tensor = |tensor: &str, reason: String| ModelFileErrorKind::DamagedTensor {
        tensor: tensor.to_owned(),
        reason,
    };
    for (name, info) in infos.iter() {
        let (begin, end) = info.data_offsets;
        let bytes = element_count(&info.shape)
            .and_then(|n| n.checked_mul(info.dtype.bitsize()))
            .filter(|bits| bits % 8 == 0)
            .map(|bits| bits / 8);
        let Some(bytes) = bytes else {
            return Err(damaged_tensor(
                name,
                format!(
                    "shape {:?} of {} is not a whole number of bytes below 2^64",
                    info.shape, info.dtype
                ),
            ));
        };
        if end.checked_sub(begin) != Some(bytes) {
            return Err(damaged_tensor(
                name,
                format!(
                    "shape {:?} of {} needs {bytes} bytes; its data_offsets [{begin}, {end}] \
                     span {}",
                    info.shape,
                    info.dtype,
                    if end >= begin {
                        format!("{} bytes", end - begin)
                    } else {
                        "backwards".into()
                    }
                ),
            ));
        }
    }
    infos.sort_by_key(|(_, info)| info.data_offsets);
    let mut next = 0;
    for (name, info) in infos.iter() {
        let (begin, end) = info.data_offsets;
        if begin != next {
            return Err(damaged_tensor(
                name,
                format!(
                    "its data starts at byte {begin}; expected {next}, where the tensor before \
                     it ends (tensors must follow one another without gaps or overlaps)"
                ),
            ));
        }
        next = end;
    }
    if next > data_len {
        return Err(ModelFileErrorKind::Damaged {
            reason: format!(
                "truncated: the header describes {next} bytes of tensor data, but only \
                 {data_len} bytes follow it"
            ),
        });
    }
    if next < data_len {
        return Err(ModelFileErrorKind::Damaged {
            reason: format!(
                "the header describes {next} bytes of tensor data, but {data_len} bytes follow \
                 it; expected the file to end after the last tensor"
            ),
        });
    }
    Ok(())
}

/// [`write_atomically`](crate::atomic_file::write_atomically) of `bytes`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ModelFileErrorKind> {
    crate::atomic_file::write_atomically(path, |file| file.write_all(bytes))
        .map_err(|e| ModelFileErrorKind::Io { action: e.action, source: e.source })
}
