//! The loaders' error: where in which file, what was expected and what was found.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::NetError;

/// Why a data file could not be loaded or written.
///
/// Every message names the file and the place in it (a line and column of a CSV file, a
/// byte offset or header field of an IDX file), what was expected there and what was found.
/// Byte offsets count the file's content, after gzip decompression when it is compressed.
/// Lines count from 1, a header line included, so they match what an editor shows.
///
/// ```
/// use nn_net::data::{load_csv, CsvOptions, DataError};
///
/// let e = load_csv::<f32>("no/such/file.csv".as_ref(), &CsvOptions::default()).unwrap_err();
/// assert!(matches!(e, DataError::Open { .. }));
/// assert!(e.to_string().starts_with("cannot open no/such/file.csv: "));
/// ```
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened (missing, unreadable).
    #[error("cannot open {}: {error}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// A directory where a data file was expected.
    #[error("{} is a directory; expected a data file", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
    },
    /// Reading failed part way: a device error, or a corrupt gzip stream.
    #[error(
        "cannot read {}{} after byte {offset}: {error}",
        path.display(),
        if *gzip { " (gzip)" } else { "" }
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// Whether it was being decompressed.
        gzip: bool,
        /// The bytes of content read before the failure.
        offset: u64,
        /// What the system or the decompressor said.
        error: io::Error,
    },
    /// A file that could not be written.
    #[error("cannot write {}: {error}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// A file with no content (after decompression).
    #[error("{}: the file is empty; expected {expected}", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
        /// What it should have held.
        expected: &'static str,
    },
    /// A CSV file with a header line and no rows of data.
    #[error("{}: only a header line (line {line}); expected rows of data after it", path.display())]
    NoRows {
        /// The file.
        path: PathBuf,
        /// The header's line.
        line: u64,
    },
    /// A CSV row with another number of fields than the first row.
    #[error(
        "{}, line {line}: expected {expected} fields, as on line {first_line}; found {found}",
        path.display()
    )]
    Ragged {
        /// The file.
        path: PathBuf,
        /// The row's line.
        line: u64,
        /// The line of the first row, whose field count every row must have.
        first_line: u64,
        /// Fields of the first row.
        expected: usize,
        /// Fields of this row.
        found: usize,
    },
    /// A CSV field that is not a number.
    #[error("{}, line {line}, column {column}: expected a number; found {found:?}", path.display())]
    NotANumber {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: u64,
        /// The column, from 1.
        column: usize,
        /// The field as written.
        found: String,
    },
    /// A CSV field that is NaN or infinite.
    #[error("{}, line {line}, column {column}: expected a finite number; found {found}", path.display())]
    NotFinite {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: u64,
        /// The column, from 1.
        column: usize,
        /// The field as written.
        found: String,
    },
    /// A CSV number too large for the float type loaded into.
    #[error(
        "{}, line {line}, column {column}: expected a number within the range of {float}; \
         found {found}",
        path.display()
    )]
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: u64,
        /// The column, from 1.
        column: usize,
        /// `f32` or `f64`.
        float: &'static str,
        /// The field as written.
        found: String,
    },
    /// A CSV class label that is not an integer from 0 to the class count − 1.
    #[error(
        "{}, line {line}, column {column}: expected a class label, an integer from 0{}; \
         found {found:?}",
        path.display(),
        match classes { Some(c) => format!(" to {}", c.saturating_sub(1)), None => String::new() }
    )]
    BadLabel {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: u64,
        /// The column, from 1.
        column: usize,
        /// The class count, when it was given.
        classes: Option<usize>,
        /// The field as written.
        found: String,
    },
    /// A label or target column that the rows do not have.
    #[error(
        "{}, line {line}: expected {wanted}; the row has {fields} field{}",
        path.display(),
        if *fields == 1 { "" } else { "s" }
    )]
    Columns {
        /// The file.
        path: PathBuf,
        /// The first row's line.
        line: u64,
        /// The columns the options ask for, and that some must be left as inputs.
        wanted: String,
        /// Fields in the row.
        fields: usize,
    },
    /// A CSV row, loaded as inputs alone, with neither as many fields as the inputs nor
    /// as many as the inputs and the target block the options describe.
    #[error(
        "{}, line {line}: expected {inputs} field{} (the inputs) or {with_targets} (the \
         inputs and {targets}); found {found}",
        path.display(),
        if *inputs == 1 { "" } else { "s" }
    )]
    InputFields {
        /// The file.
        path: PathBuf,
        /// The first row's line.
        line: u64,
        /// The inputs wanted.
        inputs: usize,
        /// The inputs and the target block's width.
        with_targets: usize,
        /// The target block, such as `a label in the last column`.
        targets: String,
        /// Fields in the row.
        found: usize,
    },
    /// Options that cannot describe any file.
    #[error("{}: {reason}", path.display())]
    Options {
        /// The file being loaded.
        path: PathBuf,
        /// What is wrong with the options, with the expected and the found.
        reason: String,
    },
    /// An IDX magic number whose first two bytes are not zero: not an IDX file.
    #[error(
        "{}, bytes 0-3: expected the magic number 0x{expected:08X} of an IDX {what} file; \
         found 0x{found:08X}{}",
        path.display(),
        magic_hint(*found)
    )]
    IdxMagic {
        /// The file.
        path: PathBuf,
        /// `images` or `labels`.
        what: &'static str,
        /// The magic number of that kind of file.
        expected: u32,
        /// The first four bytes, big-endian.
        found: u32,
    },
    /// An IDX file of another element type than unsigned bytes.
    #[error(
        "{}, byte 2 (element type): expected 0x08 (unsigned byte); found 0x{found:02X} ({})",
        path.display(),
        idx_type_name(*found)
    )]
    IdxElementType {
        /// The file.
        path: PathBuf,
        /// The type code found.
        found: u8,
    },
    /// An IDX file with another number of dimensions than its kind has.
    #[error(
        "{}, byte 3 (dimension count): expected {expected} for an IDX {what} file; found {found}{}",
        path.display(),
        if *found == 1 && *expected == 3 { " (is this a labels file?)" }
        else if *found == 3 && *expected == 1 { " (is this an images file?)" }
        else { "" }
    )]
    IdxDimensions {
        /// The file.
        path: PathBuf,
        /// `images` or `labels`.
        what: &'static str,
        /// The dimensions of that kind of file.
        expected: u8,
        /// The dimensions found.
        found: u8,
    },
    /// An IDX header that declares no samples, or images of zero rows or columns.
    #[error("{}, byte {offset} ({field}): expected at least 1; found 0", path.display())]
    IdxZero {
        /// The file.
        path: PathBuf,
        /// The header field's byte offset.
        offset: u64,
        /// `count`, `rows` or `columns`.
        field: &'static str,
    },
    /// An IDX images file, loaded as inputs alone, whose images have another number of
    /// pixels than the inputs wanted.
    #[error(
        "{}, bytes 8-15 (rows, columns): expected images of {inputs} pixels, one per input; \
         found {rows}×{columns} = {} pixels",
        path.display(),
        rows.saturating_mul(*columns)
    )]
    IdxInputs {
        /// The images file.
        path: PathBuf,
        /// The images' rows.
        rows: u64,
        /// The images' columns.
        columns: u64,
        /// The inputs wanted.
        inputs: usize,
    },
    /// A file shorter than its header or its header's declared sizes.
    #[error(
        "{}: ended at byte {found} inside the {what}; expected {expected} bytes in all",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The part being read: `header`, `labels`, `pixels`.
        what: &'static str,
        /// Bytes the file must hold, header included.
        expected: u64,
        /// Bytes it holds (or, compressed, bytes the stream gave).
        found: u64,
    },
    /// A gzip-compressed IDX file too short to hold what its header declares, even at
    /// DEFLATE's best compression (1032 to 1): refused before its body is read.
    #[error(
        "{}: the header declares {declared}, {expected} bytes in all, but a gzip file of \
         {file_len} bytes holds at most {most} (DEFLATE compresses at most 1032 to 1): the \
         file is cut short or its header is wrong",
        path.display()
    )]
    GzipTooShort {
        /// The file.
        path: PathBuf,
        /// What the header declares, such as `60000 images of 28×28`.
        declared: String,
        /// The bytes the header accounts for, header included.
        expected: u64,
        /// The compressed file's size.
        file_len: u64,
        /// The most its content can be.
        most: u64,
    },
    /// Bytes after the data an IDX header declares.
    #[error(
        "{}: {declared} end at byte {expected}; found {} after it",
        path.display(),
        match found { Some(n) => format!("{n} more byte{}", if *n == 1 { "" } else { "s" }), None => "more bytes".to_owned() }
    )]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// What the header declares, such as `60000 images of 28×28`.
        declared: String,
        /// The bytes the header accounts for.
        expected: u64,
        /// How many more there are, when known (a compressed stream is not read to its end).
        found: Option<u64>,
    },
    /// An images file and a labels file with different sample counts.
    #[error(
        "{} declares {images} images but {} declares {labels} labels; expected one label per image",
        images_path.display(),
        labels_path.display()
    )]
    CountMismatch {
        /// The images file.
        images_path: PathBuf,
        /// The labels file.
        labels_path: PathBuf,
        /// Images declared.
        images: u64,
        /// Labels declared.
        labels: u64,
    },
    /// An IDX label not below the class count.
    #[error(
        "{}, byte {offset} (label of sample {index}): expected a class below {classes}; found {found}",
        path.display()
    )]
    IdxLabel {
        /// The labels file.
        path: PathBuf,
        /// The label's byte offset.
        offset: u64,
        /// The sample, from 0.
        index: usize,
        /// The class count.
        classes: usize,
        /// The label.
        found: u8,
    },
    /// No labels file beside an images file.
    #[error(
        "no labels file for {}: looked for {}",
        images.display(),
        looked_for.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and ")
    )]
    MissingLabels {
        /// The images file.
        images: PathBuf,
        /// The paths tried.
        looked_for: Vec<PathBuf>,
    },
    /// An images file whose name does not say where its labels are.
    #[error(
        "cannot tell the labels file of {}: expected a name like train-images-idx3-ubyte \
         (or .gz), whose labels are train-labels-idx1-ubyte",
        path.display()
    )]
    LabelsName {
        /// The images file.
        path: PathBuf,
    },
    /// Data whose matrices would take more memory than the limit allows.
    #[error(
        "{}: {what} would take {bytes} bytes of memory; the limit is {limit} bytes \
         (raise the memory limit of the options to load it)",
        path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// What would be too large, such as `60000 rows of 785 values`.
        what: String,
        /// The bytes it would take.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// Loaded numbers that do not make a [`Dataset`](crate::Dataset).
    #[error("{}: {error}", path.display())]
    Dataset {
        /// The file.
        path: PathBuf,
        /// The dataset's own check.
        error: NetError,
    },
    /// A setting given as text (a label column) that cannot be read.
    #[error("expected {expected}; found {found:?}")]
    Parse {
        /// What the text should look like.
        expected: &'static str,
        /// The text.
        found: String,
    },
}

/// A word on what a wrong magic number might be.
fn magic_hint(found: u32) -> &'static str {
    match found {
        0x0000_0801 => " (an IDX labels file)",
        0x0000_0803 => " (an IDX images file)",
        _ if found >> 16 == 0 => "",
        _ => " (not an IDX file)",
    }
}

/// The IDX format's names of its element type codes.
fn idx_type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not an IDX type",
    }
}
