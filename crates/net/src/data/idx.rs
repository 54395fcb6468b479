//! IDX files, the format of MNIST: an images file and a labels file of unsigned bytes.
//!
//! Both start with a big-endian header: the magic number (two zero bytes, the element
//! type, `0x08` for unsigned bytes, and the number of dimensions), then each dimension as
//! a `u32`. Images: magic `0x00000803`, then count, rows, columns, then
//! `count · rows · columns` pixels, row-major. Labels: magic `0x00000801`, then count,
//! then `count` labels.

use std::mem::size_of;
use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayRef3, NdFloat};

use super::budget::{check_budget, product};
use super::open::Source;
use super::save::save;
use super::{DEFAULT_MEMORY_LIMIT, DataError, Loaded};
use crate::Dataset;
use crate::check::cast;

/// The magic number of an IDX file of unsigned bytes in three dimensions: images.
pub const IDX_IMAGES_MAGIC: u32 = 0x0000_0803;
/// The magic number of an IDX file of unsigned bytes in one dimension: labels.
pub const IDX_LABELS_MAGIC: u32 = 0x0000_0801;

/// How to read an IDX pair of images and labels.
///
/// ```
/// use nn_net::data::{IdxOptions, DEFAULT_MEMORY_LIMIT};
///
/// let options = IdxOptions::default();
/// assert_eq!((options.classes, options.memory_limit), (None, DEFAULT_MEMORY_LIMIT));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IdxOptions {
    /// The number of classes: every label must be below it, and the targets are one-hot
    /// rows of this width. `None` takes the largest label + 1 (10 for MNIST's digits).
    pub classes: Option<usize>,
    /// The bytes the loaded matrices may take; a header declaring more is refused before
    /// anything is allocated. [`DEFAULT_MEMORY_LIMIT`] by default.
    pub memory_limit: u64,
}

impl Default for IdxOptions {
    fn default() -> Self {
        IdxOptions { classes: None, memory_limit: DEFAULT_MEMORY_LIMIT }
    }
}

/// Loads an IDX images file and the labels file beside it (see [`idx_labels_path`]):
/// MNIST's `train-images-idx3-ubyte.gz` with `train-labels-idx1-ubyte.gz`.
///
/// The inputs are the raw pixel values, `n × (rows · columns)`, 0 to 255 as `F`
/// (normalise them with [`Normalization`](crate::Normalization)); the targets are the
/// labels one-hot encoded.
///
/// ```
/// use ndarray::Array3;
/// use nn_net::data::{load_idx, write_idx_images, write_idx_labels, IdxOptions};
///
/// let dir = tempfile::tempdir()?;
/// let images = dir.path().join("tiny-images-idx3-ubyte.gz");
/// let labels = dir.path().join("tiny-labels-idx1-ubyte.gz");
/// // Two images of 2×3 pixels, labelled 1 and 0.
/// write_idx_images(&images, &Array3::from_shape_fn((2, 2, 3), |(i, r, c)| (i * 6 + r * 3 + c) as u8))?;
/// write_idx_labels(&labels, &[1, 0])?;
///
/// let loaded = load_idx::<f32>(&images, &IdxOptions::default())?;
/// assert_eq!(loaded.classes, Some(2));
/// assert_eq!(loaded.dataset.inputs().row(1).to_vec(), [6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
/// assert_eq!(loaded.dataset.targets(), ndarray::array![[0.0, 1.0], [1.0, 0.0]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`load_idx_files`]; also [`DataError::LabelsName`] or [`DataError::MissingLabels`]
/// if there is no labels file beside the images.
pub fn load_idx<F: NdFloat>(images: &Path, options: &IdxOptions) -> Result<Loaded<F>, DataError> {
    // The images header first, so that a file of the wrong kind is named as such before
    // its name is taken apart to find the labels.
    let mut image_source = Source::open(images)?;
    let header = read_header(&mut image_source, Kind::Images)?;
    let labels = idx_labels_path(images)?;
    load_pair(image_source, header, &labels, options)
}

/// Loads an IDX images file and an IDX labels file, both gzip-compressed or not
/// (whatever their names).
///
/// # Errors
/// [`DataError::Open`], [`DataError::Directory`] or [`DataError::Read`] for a file that
/// cannot be read; [`DataError::Empty`]; [`DataError::IdxMagic`],
/// [`DataError::IdxElementType`], [`DataError::IdxDimensions`] or [`DataError::IdxZero`]
/// for a header of the wrong kind; [`DataError::Truncated`] or [`DataError::TrailingBytes`]
/// for a file whose size is not what its header declares (found from the size of an
/// uncompressed file before its body is read); [`DataError::GzipTooShort`] for a gzip file
/// too short to hold what its header declares at any compression ratio; [`DataError::CountMismatch`] if
/// the two counts differ; [`DataError::IdxLabel`] for a label not below the class count;
/// [`DataError::TooLarge`] for data over the memory limit.
pub fn load_idx_files<F: NdFloat>(
    images: &Path,
    labels: &Path,
    options: &IdxOptions,
) -> Result<Loaded<F>, DataError> {
    let mut image_source = Source::open(images)?;
    let header = read_header(&mut image_source, Kind::Images)?;
    load_pair(image_source, header, labels, options)
}

/// The labels file beside an IDX images file: `X-images-idx3-ubyte` gives
/// `X-labels-idx1-ubyte` (and `X-images.idx3-ubyte` gives `X-labels.idx1-ubyte`), with
/// `.gz` or without, whichever exists, the images file's own form first.
///
/// ```
/// use nn_net::data::{idx_labels_path, DataError};
///
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("t10k-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 0])?;
/// let images = dir.path().join("t10k-images-idx3-ubyte.gz");
/// assert_eq!(idx_labels_path(&images)?, dir.path().join("t10k-labels-idx1-ubyte"));
///
/// let e = idx_labels_path(&dir.path().join("train-images-idx3-ubyte")).unwrap_err();
/// assert!(matches!(e, DataError::MissingLabels { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`DataError::LabelsName`] if the name is not of that form; [`DataError::MissingLabels`],
/// naming the paths tried, if neither exists.
pub fn idx_labels_path(images: &Path) -> Result<PathBuf, DataError> {
    let name_error = || DataError::LabelsName { path: images.to_owned() };
    let name = images.file_name().and_then(|n| n.to_str()).ok_or_else(name_error)?;
    let labels = [
        ("-images-idx3-ubyte", "-labels-idx1-ubyte"),
        ("-images.idx3-ubyte", "-labels.idx1-ubyte"),
    ]
    .into_iter()
    .find_map(|(from, to)| {
        let at = name.rfind(from)?;
        Some(format!("{}{to}{}", &name[..at], &name[at + from.len()..]))
    })
    .ok_or_else(name_error)?;
    let other = match labels.strip_suffix(".gz") {
        Some(plain) => plain.to_owned(),
        None => format!("{labels}.gz"),
    };
    let looked_for: Vec<PathBuf> =
        [labels, other].iter().map(|n| images.with_file_name(n)).collect();
    match looked_for.iter().find(|p| p.exists()) {
        Some(found) => Ok(found.clone()),
        None => Err(DataError::MissingLabels { images: images.to_owned(), looked_for }),
    }
}

/// Writes `images` (`count × rows × columns` pixels) as an IDX images file, compressed
/// with gzip when the name ends in `.gz`, atomically (a temporary file, then a rename).
///
/// # Errors
/// [`DataError::Options`] for more than `u32::MAX` images, rows or columns, or none;
/// [`DataError::Write`] if the file cannot be written.
pub fn write_idx_images(path: &Path, images: &ArrayRef3<u8>) -> Result<(), DataError> {
    let (count, rows, cols) = images.dim();
    let header = header_bytes(path, IDX_IMAGES_MAGIC, &[count, rows, cols])?;
    save(path, |out| {
        out.write_all(&header)?;
        match images.as_slice() {
            Some(pixels) => out.write_all(pixels),
            None => images.iter().try_for_each(|&p| out.write_all(&[p])),
        }
    })
}

/// Writes `labels` as an IDX labels file, compressed with gzip when the name ends in
/// `.gz`, atomically.
///
/// # Errors
/// [`DataError::Options`] for more than `u32::MAX` labels or none;
/// [`DataError::Write`] if the file cannot be written.
pub fn write_idx_labels(path: &Path, labels: &[u8]) -> Result<(), DataError> {
    let header = header_bytes(path, IDX_LABELS_MAGIC, &[labels.len()])?;
    save(path, |out| {
        out.write_all(&header)?;
        out.write_all(labels)
    })
}

/// The header of an IDX file: the magic number and the dimensions, big-endian.
fn header_bytes(path: &Path, magic: u32, dims: &[usize]) -> Result<Vec<u8>, DataError> {
    let mut header = magic.to_be_bytes().to_vec();
    for &d in dims {
        match u32::try_from(d) {
            Ok(d) if d > 0 => header.extend(d.to_be_bytes()),
            _ => {
                return Err(DataError::Options {
                    path: path.to_owned(),
                    reason: format!(
                        "expected IDX dimensions from 1 to {}; found {dims:?}",
                        u32::MAX
                    ),
                });
            }
        }
    }
    Ok(header)
}

/// The two kinds of IDX file read here.
#[derive(Clone, Copy)]
enum Kind {
    Images,
    Labels,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Images => "images",
            Kind::Labels => "labels",
        }
    }

    fn magic(self) -> u32 {
        match self {
            Kind::Images => IDX_IMAGES_MAGIC,
            Kind::Labels => IDX_LABELS_MAGIC,
        }
    }

    /// The header's field names, after the magic number.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Images => &["image count", "rows", "columns"],
            Kind::Labels => &["label count"],
        }
    }
}

/// A checked IDX header.
struct Header {
    /// The dimensions, each at least 1.
    dims: Vec<u64>,
}

impl Header {
    /// The header's bytes: the magic number and a `u32` per dimension.
    fn len(&self) -> u64 {
        4 + 4 * self.dims.len() as u64
    }

    /// The samples: the first dimension.
    fn count(&self) -> u64 {
        self.dims.first().copied().unwrap_or(0)
    }

    /// The bytes after the header, `None` beyond a `u64`.
    fn body(&self) -> Option<u64> {
        product(&self.dims)
    }

    /// What the header declares, for messages: `60000 images of 28×28`.
    fn declared(&self, kind: Kind) -> String {
        match (kind, self.dims.as_slice()) {
            (Kind::Images, [n, r, c]) => format!("{n} images of {r}×{c}"),
            (_, dims) => format!("{} {}", dims.first().copied().unwrap_or(0), kind.name()),
        }
    }
}

/// Reads and checks the header of an IDX file of `kind`.
fn read_header(source: &mut Source, kind: Kind) -> Result<Header, DataError> {
    let path = source.path.clone();
    let fields = kind.fields();
    let header_len = 4 + 4 * fields.len() as u64;
    let truncated = |found| DataError::Truncated {
        path: path.clone(),
        what: "header",
        expected: header_len,
        found,
    };
    let mut magic = [0_u8; 4];
    let got = source.read_full(&mut magic)?;
    if got == 0 {
        let expected = match kind {
            Kind::Images => "an IDX images file",
            Kind::Labels => "an IDX labels file",
        };
        return Err(DataError::Empty { path: path.clone(), expected });
    }
    if got < magic.len() {
        return Err(truncated(got as u64));
    }
    let found = u32::from_be_bytes(magic);
    let [zero_a, zero_b, element, dims] = magic;
    if zero_a != 0 || zero_b != 0 {
        return Err(DataError::IdxMagic {
            path: path.clone(),
            what: kind.name(),
            expected: kind.magic(),
            found,
        });
    }
    if element != 0x08 {
        return Err(DataError::IdxElementType { path: path.clone(), found: element });
    }
    if usize::from(dims) != fields.len() {
        return Err(DataError::IdxDimensions {
            path: path.clone(),
            what: kind.name(),
            expected: fields.len() as u8,
            found: dims,
        });
    }
    let mut raw = [0_u8; 12];
    let raw = raw.get_mut(..4 * fields.len()).unwrap_or_default();
    let got = source.read_full(raw)?;
    if got < raw.len() {
        return Err(truncated(4 + got as u64));
    }
    let mut dims = Vec::with_capacity(fields.len());
    for (i, (bytes, &field)) in raw.chunks_exact(4).zip(fields).enumerate() {
        let d = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        if d == 0 {
            return Err(DataError::IdxZero { path: path.clone(), offset: 4 + 4 * i as u64, field });
        }
        dims.push(u64::from(d));
    }
    let header = Header { dims };
    check_size(source, &header, kind)?;
    Ok(header)
}

/// The most bytes one compressed byte of DEFLATE can stand for: a match of 258 bytes takes
/// at least two bits (a one-bit length code and a one-bit distance code), so 8 · 258 / 2.
/// Block headers and the gzip header and trailer only lower the real ratio.
const DEFLATE_MOST_RATIO: u64 = 1032;

/// Refuses, before the body is read, a header that declares more data than the file can
/// hold: for an uncompressed file, whose size is its content's, a size other than the
/// header's (more or less); for a gzip file, whose content's size is known only by
/// decompressing it all, more than DEFLATE's best ratio allows. A gzip stream within that
/// bound but shorter than declared is refused when it ends, having taken only the memory
/// of what it held (the pixels are not reserved ahead for a stream). The gzip trailer's
/// size field is not used: it is the size of the last member only, and of the rest modulo
/// 2^32, so it cannot vouch for a multi-member stream.
fn check_size(source: &Source, header: &Header, kind: Kind) -> Result<(), DataError> {
    let Some(len) = source.content_len() else {
        let declared = header.body().and_then(|b| b.checked_add(header.len()));
        let most = source.file_len.saturating_mul(DEFLATE_MOST_RATIO);
        return match declared {
            Some(expected) if expected <= most => Ok(()),
            expected => Err(DataError::GzipTooShort {
                path: source.path.clone(),
                declared: header.declared(kind),
                expected: expected.unwrap_or(u64::MAX),
                file_len: source.file_len,
                most,
            }),
        };
    };
    let what = match kind {
        Kind::Images => "pixels",
        Kind::Labels => "labels",
    };
    match header.body().and_then(|b| b.checked_add(header.len())) {
        Some(expected) if len > expected => Err(DataError::TrailingBytes {
            path: source.path.clone(),
            declared: header.declared(kind),
            expected,
            found: Some(len - expected),
        }),
        Some(expected) if len == expected => Ok(()),
        expected => Err(DataError::Truncated {
            path: source.path.clone(),
            what,
            expected: expected.unwrap_or(u64::MAX),
            found: len,
        }),
    }
}

/// Reads the body of `source`, whose `header` is read, passing it to `sink` in pieces;
/// refuses a stream that ends early or goes on after it.
fn read_body(
    source: &mut Source,
    header: &Header,
    kind: Kind,
    what: &'static str,
    mut sink: impl FnMut(&[u8]),
) -> Result<(), DataError> {
    let total = header.body().unwrap_or(u64::MAX);
    let mut buf = vec![0_u8; 1 << 16];
    let mut left = total;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let piece = buf.get_mut(..want).unwrap_or_default();
        let got = source.read_full(piece)?;
        sink(piece.get(..got).unwrap_or_default());
        if got < want {
            return Err(DataError::Truncated {
                path: source.path.clone(),
                what,
                expected: header.len().saturating_add(total),
                found: source.offset,
            });
        }
        left -= got as u64;
    }
    // Nothing may follow (already known for an uncompressed file; a stream is tried).
    let mut more = [0_u8; 1];
    if source.read_full(&mut more)? > 0 {
        return Err(DataError::TrailingBytes {
            path: source.path.clone(),
            declared: header.declared(kind),
            expected: header.len().saturating_add(total),
            found: source
                .content_len()
                .map(|len| len.saturating_sub(source.offset.saturating_sub(1))),
        });
    }
    Ok(())
}

/// The rest of [`load_idx`] and [`load_idx_files`], the images header read.
fn load_pair<F: NdFloat>(
    mut images: Source,
    image_header: Header,
    labels: &Path,
    options: &IdxOptions,
) -> Result<Loaded<F>, DataError> {
    let mut label_source = Source::open(labels)?;
    let label_header = read_header(&mut label_source, Kind::Labels)?;
    let n = image_header.count();
    if label_header.count() != n {
        return Err(DataError::CountMismatch {
            images_path: images.path.clone(),
            labels_path: label_source.path.clone(),
            images: n,
            labels: label_header.count(),
        });
    }
    let limit = options.memory_limit;
    let float = size_of::<F>() as u64;
    let pixels = image_header.dims.iter().skip(1).product::<u64>();
    // With the class count known, everything is checked before anything is read; with
    // it inferred, after the labels (a byte each, within the limit too).
    let budget = |classes: u64| {
        check_budget(
            &images.path,
            || {
                format!(
                    "{} with one-hot targets of {classes} classes",
                    image_header.declared(Kind::Images)
                )
            },
            pixels
                .checked_add(classes)
                .and_then(|w| product(&[n, w, float]))
                .and_then(|b| b.checked_add(n)),
            limit,
        )
    };
    if let Some(classes) = options.classes {
        budget(classes as u64)?;
    }
    check_budget(labels, || label_header.declared(Kind::Labels), Some(n), limit)?;
    let mut values = Vec::new();
    read_body(&mut label_source, &label_header, Kind::Labels, "labels", |b| {
        values.extend_from_slice(b)
    })?;
    let classes = match options.classes {
        Some(classes) => {
            if let Some((index, &found)) =
                values.iter().enumerate().find(|(_, l)| usize::from(**l) >= classes)
            {
                return Err(DataError::IdxLabel {
                    path: label_source.path.clone(),
                    offset: label_header.len() + index as u64,
                    index,
                    classes,
                    found,
                });
            }
            classes
        }
        None => {
            let classes = values.iter().max().map_or(1, |&m| usize::from(m) + 1);
            budget(classes as u64)?;
            classes
        }
    };

    let inputs = read_pixels(&mut images, &image_header)?;
    let mut targets = Array2::zeros((inputs.nrows(), classes));
    for (mut row, &label) in targets.rows_mut().into_iter().zip(&values) {
        if let Some(v) = row.get_mut(usize::from(label)) {
            *v = F::one();
        }
    }
    let dataset = Dataset::new(inputs, targets)
        .map_err(|error| DataError::Dataset { path: images.path.clone(), error })?;
    Ok(Loaded { dataset, classes: Some(classes) })
}

/// The pixels of an images file whose header is read and checked against the memory
/// limit, as an `n × (rows · columns)` matrix.
fn read_pixels<F: NdFloat>(images: &mut Source, header: &Header) -> Result<Array2<F>, DataError> {
    // Within the memory limit, so within usize.
    let n_rows = usize::try_from(header.count()).unwrap_or(usize::MAX);
    let width = usize::try_from(header.dims.iter().skip(1).product::<u64>()).unwrap_or(usize::MAX);
    // A table, so the loop below is a lookup per pixel rather than a conversion.
    let table: [F; 256] = std::array::from_fn(|v| cast(v as f64));
    let mut inputs: Vec<F> = match images.content_len() {
        // The file's size matched the header: reserve all of it at once.
        Some(_) => Vec::with_capacity(n_rows.checked_mul(width).unwrap_or(0)),
        // A stream may end early: grow with what arrives.
        None => Vec::new(),
    };
    read_body(images, header, Kind::Images, "pixels", |b| {
        inputs.extend(b.iter().map(|&p| table[usize::from(p)]))
    })?;
    // The body was read whole, `n_rows · width` pixels, so the shape always fits.
    Ok(Array2::from_shape_vec((n_rows, width), inputs)
        .unwrap_or_else(|_| Array2::zeros((0, width))))
}

/// The pixels of an IDX images file alone, no labels read, `n × (rows · columns)`, for a
/// model of `inputs` inputs: the header's checks of [`load_idx`], then images of another
/// size than `inputs` pixels are refused, then data over `memory_limit`, all before the
/// pixels are read.
pub(super) fn load_idx_images<F: NdFloat>(
    path: &Path,
    inputs: usize,
    memory_limit: u64,
) -> Result<Array2<F>, DataError> {
    let mut source = Source::open(path)?;
    let header = read_header(&mut source, Kind::Images)?;
    // Three dimensions, as `read_header` checked.
    let dim = |i: usize| header.dims.get(i).copied().unwrap_or(0);
    let (n, rows, columns) = (dim(0), dim(1), dim(2));
    if product(&[rows, columns]) != Some(inputs as u64) {
        return Err(DataError::IdxInputs { path: path.to_owned(), rows, columns, inputs });
    }
    check_budget(
        path,
        || header.declared(Kind::Images),
        product(&[n, inputs as u64, size_of::<F>() as u64]),
        memory_limit,
    )?;
    read_pixels(&mut source, &header)
}

/// Whether `header` holds the magic number of some IDX file (two zero bytes, then a
/// known element type), as opposed to text.
pub(crate) fn looks_like_idx(header: &[u8]) -> bool {
    matches!(header, [0, 0, 0x08 | 0x09 | 0x0B | 0x0C | 0x0D | 0x0E, ..])
}
