//! CSV files: one sample per row, numbers separated by commas, with a label column (one
//! class per sample) or a block of target columns (regression).

use std::fmt::{self, Write as _};
use std::io;
use std::mem::size_of;
use std::path::Path;
use std::str::FromStr;

use ::csv::{ByteRecord, ReaderBuilder, Trim, WriterBuilder};
use ndarray::{Array2, NdFloat};

use super::budget::{LineLimit, LineTooLong, check_budget, product};
use super::lines::Breaks;
use super::open::Source;
use super::save::save;
use super::{DEFAULT_MEMORY_LIMIT, DataError, Loaded};
use crate::Dataset;

/// Whether the first row of a CSV file is a header of column names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Header {
    /// A header if the first row has a field that is not a number.
    #[default]
    Auto,
    /// The first row is a header, whatever it holds.
    Present,
    /// Every row is data.
    Absent,
}

/// Where the label (or the block of regression targets) sits among a row's fields.
///
/// Counted from the start, [`LabelColumn::Index`] is the first column of the block;
/// counted from the end, [`LabelColumn::FromEnd`] is its last column. So with `k` target
/// columns, `Index(0)` takes the first `k` columns and `FromEnd(1)` (the default,
/// [`LabelColumn::LAST`]) the last `k`. Every other column is an input, in file order.
///
/// Read from text as the command line gives it: `first`, `last`, `3` (from 0) or `-2`
/// (from the end, `-1` being the last column).
///
/// ```
/// use nn_net::data::LabelColumn;
///
/// assert_eq!("last".parse::<LabelColumn>()?, LabelColumn::LAST);
/// assert_eq!("-1".parse::<LabelColumn>()?, LabelColumn::FromEnd(1));
/// assert_eq!("0".parse::<LabelColumn>()?, LabelColumn::Index(0));
/// assert!("-0".parse::<LabelColumn>().is_err());
/// # Ok::<(), nn_net::data::DataError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabelColumn {
    /// The column of this index, counting from 0: the first column of the target block.
    Index(usize),
    /// The column this far from the end, 1 being the last: the last column of the target
    /// block. 0 names no column and is refused when a file is loaded.
    FromEnd(usize),
}

impl LabelColumn {
    /// The first column.
    pub const FIRST: LabelColumn = LabelColumn::Index(0);
    /// The last column.
    pub const LAST: LabelColumn = LabelColumn::FromEnd(1);

    /// The first column of a block of `width` target columns in a row of `fields`, if
    /// the row has room for it.
    pub(super) fn start(self, fields: usize, width: usize) -> Option<usize> {
        match self {
            LabelColumn::Index(i) => (i.checked_add(width)? <= fields).then_some(i),
            LabelColumn::FromEnd(j) => {
                let end = fields.checked_sub(j)?.checked_add(1)?;
                (j > 0).then_some(())?;
                end.checked_sub(width)
            }
        }
    }
}

impl Default for LabelColumn {
    /// The last column.
    fn default() -> Self {
        LabelColumn::LAST
    }
}

impl fmt::Display for LabelColumn {
    /// As it is parsed: `3` or `-1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelColumn::Index(i) => write!(f, "{i}"),
            LabelColumn::FromEnd(j) => write!(f, "-{j}"),
        }
    }
}

impl FromStr for LabelColumn {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self, DataError> {
        let error = || DataError::Parse {
            expected: "a label column: first, last, an index from 0, or -k for the k-th from \
                       the end",
            found: s.to_owned(),
        };
        match s.trim() {
            "first" => Ok(LabelColumn::FIRST),
            "last" => Ok(LabelColumn::LAST),
            t => match t.strip_prefix('-') {
                Some(k) => match k.parse() {
                    Ok(0) | Err(_) => Err(error()),
                    Ok(k) => Ok(LabelColumn::FromEnd(k)),
                },
                None => t.parse().map(LabelColumn::Index).map_err(|_| error()),
            },
        }
    }
}

/// What the targets of a CSV file are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Targets {
    /// One label column of class numbers `0, 1, …`, one-hot encoded: label `c` becomes a
    /// target row of `count` zeros with a 1 at `c`. A label must be a non-negative integer
    /// (`3` or `3.0`) below `count`; `None` takes the count as the largest label + 1.
    /// (Give the training set's count when loading its test set, in case the test set
    /// lacks the last class.)
    Classes {
        /// The number of classes, or `None` to infer it.
        count: Option<usize>,
    },
    /// `columns` consecutive target columns of numbers, placed by the
    /// [`LabelColumn`] (the last `columns` by default).
    Regression {
        /// The number of target columns.
        columns: usize,
    },
}

impl Targets {
    /// The target columns a row holds: 1 label, or the regression columns.
    pub(super) fn columns(self) -> usize {
        match self {
            Targets::Classes { .. } => 1,
            Targets::Regression { columns } => columns,
        }
    }
}

impl Default for Targets {
    /// Classes, their count inferred.
    fn default() -> Self {
        Targets::Classes { count: None }
    }
}

/// How to read (or write) a CSV file.
///
/// The default reads a file whose last column is a class label, with a header line if
/// the first line is not all numbers:
///
/// ```
/// use nn_net::data::{CsvOptions, Header, LabelColumn, Targets, DEFAULT_MEMORY_LIMIT};
///
/// let options = CsvOptions::default();
/// assert_eq!(options.header, Header::Auto);
/// assert_eq!(options.label_column, LabelColumn::LAST);
/// assert_eq!(options.targets, Targets::Classes { count: None });
/// assert_eq!(options.memory_limit, DEFAULT_MEMORY_LIMIT);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CsvOptions {
    /// Whether the first row names the columns.
    pub header: Header,
    /// Where the label or targets are.
    pub label_column: LabelColumn,
    /// Class labels or regression targets.
    pub targets: Targets,
    /// The bytes the loaded matrices may take (and the longest line); more is refused
    /// before it is allocated. [`DEFAULT_MEMORY_LIMIT`] by default.
    pub memory_limit: u64,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: Header::Auto,
            label_column: LabelColumn::LAST,
            targets: Targets::default(),
            memory_limit: DEFAULT_MEMORY_LIMIT,
        }
    }
}

/// Loads a CSV file (gzip-compressed or not, whatever its name) as a dataset.
///
/// Fields are numbers (surrounding spaces allowed, quoting as in RFC 4180); blank lines
/// are skipped. Every row must have as many fields as the first (the header, if any).
///
/// ```
/// use nn_net::data::{load_csv, CsvOptions};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("points.csv");
/// std::fs::write(&path, "x,y,class\n0.5,1.5,0\n2,-1,2\n")?;
///
/// let loaded = load_csv::<f32>(&path, &CsvOptions::default())?;
/// assert_eq!(loaded.classes, Some(3));
/// assert_eq!(loaded.dataset.inputs(), ndarray::array![[0.5, 1.5], [2.0, -1.0]]);
/// assert_eq!(loaded.dataset.targets(), ndarray::array![[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`DataError::Open`] or [`DataError::Directory`] for a path that is not a readable
/// file; [`DataError::Read`] for a failed read or a corrupt gzip stream;
/// [`DataError::Empty`] or [`DataError::NoRows`] for a file without data;
/// [`DataError::Ragged`], [`DataError::NotANumber`], [`DataError::NotFinite`],
/// [`DataError::OutOfRange`] or [`DataError::BadLabel`] naming the line and column;
/// [`DataError::Columns`] if the rows do not hold the label or targets and an input;
/// [`DataError::Options`] for zero classes or zero regression columns;
/// [`DataError::TooLarge`] for data over the memory limit.
pub fn load_csv<F: NdFloat>(path: &Path, options: &CsvOptions) -> Result<Loaded<F>, DataError> {
    check_options(path, options)?;
    let width = options.targets.columns();
    let block = match options.targets {
        Targets::Classes { count } => Block::Labels(count),
        Targets::Regression { .. } => Block::Values,
    };
    let rows =
        read_rows(path, options, |fields, line| match options.label_column.start(fields, width) {
            Some(start) if fields > width => Ok(Layout { start, width, block }),
            _ => Err(DataError::Columns {
                path: path.to_owned(),
                line,
                wanted: wanted(options),
                fields,
            }),
        })?;
    rows.finish()
}

/// Where a row's target block is and what becomes of it; the other fields are inputs.
#[derive(Clone, Copy)]
pub(super) struct Layout {
    /// The block's first field.
    pub(super) start: usize,
    /// Its fields: 0 for rows of inputs alone.
    pub(super) width: usize,
    /// What is done with its fields.
    pub(super) block: Block,
}

/// What the fields of the target block become.
#[derive(Clone, Copy)]
pub(super) enum Block {
    /// One class label, below the count when one is given.
    Labels(Option<usize>),
    /// Regression targets, numbers like the inputs.
    Values,
    /// Nothing: the fields are dropped unread, for loading inputs alone.
    Skipped,
}

/// Reads every row of a CSV file with the checks all CSV loading shares: a file with rows,
/// a header found or declared as `options.header` says, as many fields in each row as in
/// the first, every input a finite number, the memory limit. `layout` is given the first
/// row's field count and line (the header's, if there is one) and places the target block
/// or refuses the row.
pub(super) fn read_rows<'p, F: NdFloat>(
    path: &'p Path,
    options: &CsvOptions,
    layout: impl FnOnce(usize, u64) -> Result<Layout, DataError>,
) -> Result<Rows<'p, F>, DataError> {
    let source = Source::open(path)?;
    let limit = options.memory_limit;
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(Trim::All)
        .from_reader(Breaks::new(LineLimit::new(source.reader, limit)));
    let mut record = ByteRecord::new();
    // The next record and the line it starts on, or `None` at the end.
    let mut read = |record: &mut ByteRecord| {
        let from = reader.position().byte();
        reader.get_mut().mark(from);
        let more = reader
            .read_byte_record(record)
            .map_err(|e| csv_error(path, source.gzip, reader.position().byte(), e))?;
        // The line the reader dates the record from, and the line breaks it skipped there.
        let line = record.position().map_or(0, |p| p.line()) + reader.get_ref().newlines();
        Ok::<_, DataError>(more.then_some(line))
    };

    let Some(first_line) = read(&mut record)? else {
        return Err(DataError::Empty { path: path.to_owned(), expected: "rows of numbers" });
    };
    let fields = record.len();
    let layout = layout(fields, first_line)?;
    let header = match options.header {
        Header::Present => true,
        Header::Absent => false,
        Header::Auto => record.iter().any(|field| parse_f64(field).is_none()),
    };
    let mut line = first_line;
    if header {
        match read(&mut record)? {
            Some(next) => line = next,
            None => return Err(DataError::NoRows { path: path.to_owned(), line: first_line }),
        }
    }

    let mut rows = Rows::<F>::new(path, limit, fields, layout);
    loop {
        if record.len() != fields {
            return Err(DataError::Ragged {
                path: path.to_owned(),
                line,
                first_line,
                expected: fields,
                found: record.len(),
            });
        }
        rows.push(&record, line)?;
        match read(&mut record)? {
            Some(next) => line = next,
            None => break,
        }
    }
    Ok(rows)
}

/// Options that no file could satisfy, refused before the file is opened.
pub(super) fn check_options(path: &Path, options: &CsvOptions) -> Result<(), DataError> {
    let reason = match (options.targets, options.label_column) {
        (Targets::Classes { count: Some(0) }, _) => "expected a class count of at least 1; found 0",
        (Targets::Regression { columns: 0 }, _) => {
            "expected at least 1 regression target column; found 0"
        }
        (_, LabelColumn::FromEnd(0)) => {
            "expected a label column counted from the end to be at least 1 (the last); found 0"
        }
        _ => return Ok(()),
    };
    Err(DataError::Options { path: path.to_owned(), reason: reason.to_owned() })
}

/// What the options ask of a row, for [`DataError::Columns`].
pub(super) fn wanted(options: &CsvOptions) -> String {
    let besides = match options.targets {
        Targets::Classes { .. } => "it",
        Targets::Regression { .. } => "them",
    };
    format!("{} and at least one input column besides {besides}", block(options))
}

/// The target block the options place, for messages: `a label in the last column`,
/// `2 target columns starting at column 1 (counting from 1)`.
pub(super) fn block(options: &CsvOptions) -> String {
    let place = match options.label_column {
        LabelColumn::Index(i) => format!("column {} (counting from 1)", i + 1),
        LabelColumn::FromEnd(1) => "the last column".to_owned(),
        LabelColumn::FromEnd(j) => format!("column {j} from the end"),
    };
    match options.targets {
        Targets::Classes { .. } => format!("a label in {place}"),
        Targets::Regression { columns } => {
            let anchor = match options.label_column {
                LabelColumn::Index(_) => "starting at",
                LabelColumn::FromEnd(_) => "ending at",
            };
            format!(
                "{columns} target column{} {anchor} {place}",
                if columns == 1 { "" } else { "s" }
            )
        }
    }
}

/// The samples read so far, checked and counted against the memory limit.
pub(super) struct Rows<'p, F> {
    path: &'p Path,
    limit: u64,
    /// Where the target block is and what becomes of it.
    layout: Layout,
    /// Inputs per row.
    inputs_per_row: usize,
    /// Bytes each row takes as it is gathered.
    row_bytes: u64,
    rows: usize,
    inputs: Vec<F>,
    /// Regression targets, row by row.
    values: Vec<F>,
    /// Class labels.
    labels: Vec<usize>,
}

impl<'p, F: NdFloat> Rows<'p, F> {
    fn new(path: &'p Path, limit: u64, fields: usize, layout: Layout) -> Self {
        let inputs_per_row = fields.saturating_sub(layout.width);
        let float = size_of::<F>() as u64;
        let target_bytes = match layout.block {
            Block::Labels(count) => {
                size_of::<usize>() as u64 + count.map_or(0, |c| c as u64).saturating_mul(float)
            }
            Block::Values => layout.width as u64 * float,
            Block::Skipped => 0,
        };
        Rows {
            path,
            limit,
            layout,
            inputs_per_row,
            row_bytes: (inputs_per_row as u64 * float).saturating_add(target_bytes),
            rows: 0,
            inputs: Vec::new(),
            values: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Checks and keeps one row of data, found on `line`.
    fn push(&mut self, record: &ByteRecord, line: u64) -> Result<(), DataError> {
        let rows = self.rows as u64 + 1;
        check_budget(
            self.path,
            || format!("line {line}: {rows} rows so far"),
            product(&[rows, self.row_bytes]),
            self.limit,
        )?;
        let Layout { start, width, block } = self.layout;
        for (j, field) in record.iter().enumerate() {
            let column = j + 1;
            if j < start || j >= start + width {
                self.inputs.push(self.number(field, line, column)?);
            } else {
                match block {
                    Block::Labels(count) => {
                        self.labels.push(self.label(field, count, line, column)?);
                    }
                    Block::Values => self.values.push(self.number(field, line, column)?),
                    Block::Skipped => {}
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// A field as a finite `F`.
    fn number(&self, field: &[u8], line: u64, column: usize) -> Result<F, DataError> {
        let found = || String::from_utf8_lossy(field).into_owned();
        let path = self.path.to_owned();
        let text = std::str::from_utf8(field).map_err(|_| DataError::NotANumber {
            path: path.clone(),
            line,
            column,
            found: found(),
        })?;
        match <F as num_traits::Num>::from_str_radix(text, 10) {
            Ok(v) if v.is_finite() => Ok(v),
            // Finite as an f64 but not as F: an f32 overflow such as 1e300.
            Ok(_) if text.parse::<f64>().is_ok_and(f64::is_finite) => Err(DataError::OutOfRange {
                path,
                line,
                column,
                float: float_name::<F>(),
                found: found(),
            }),
            Ok(_) => Err(DataError::NotFinite { path, line, column, found: found() }),
            Err(_) => Err(DataError::NotANumber { path, line, column, found: found() }),
        }
    }

    /// A field as a class label below `count`, when given.
    fn label(
        &self,
        field: &[u8],
        count: Option<usize>,
        line: u64,
        column: usize,
    ) -> Result<usize, DataError> {
        // Integers up to 2^53 are exact in an f64; no class count comes near.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        let label = parse_f64(field)
            .filter(|v| *v >= 0.0 && *v < EXACT && v.fract() == 0.0)
            .map(|v| v as usize)
            .filter(|&c| count.is_none_or(|count| c < count));
        label.ok_or_else(|| DataError::BadLabel {
            path: self.path.to_owned(),
            line,
            column,
            classes: count,
            found: String::from_utf8_lossy(field).into_owned(),
        })
    }

    /// The inputs of the rows read, `rows × inputs`, the target block dropped.
    pub(super) fn into_inputs(self) -> Array2<F> {
        matrix(self.rows, self.inputs_per_row, self.inputs)
    }

    /// The dataset of the rows read.
    fn finish(self) -> Result<Loaded<F>, DataError> {
        let n = self.rows;
        let (targets, classes) = match self.layout.block {
            // Skipped only for `into_inputs`; its block of no values would make empty
            // targets, which `Dataset::new` refuses.
            Block::Values | Block::Skipped => (matrix(n, self.layout.width, self.values), None),
            Block::Labels(count) => {
                let classes =
                    count.unwrap_or_else(|| self.labels.iter().max().map_or(1, |m| m + 1));
                let float = size_of::<F>() as u64;
                check_budget(
                    self.path,
                    || {
                        format!(
                            "{n} rows of {} inputs and {classes} one-hot targets",
                            self.inputs_per_row
                        )
                    },
                    product(&[n as u64, self.inputs_per_row as u64 + classes as u64, float])
                        .and_then(|b| b.checked_add(n as u64 * size_of::<usize>() as u64)),
                    self.limit,
                )?;
                let mut one_hot = Array2::zeros((n, classes));
                for (mut row, &label) in one_hot.rows_mut().into_iter().zip(&self.labels) {
                    if let Some(v) = row.get_mut(label) {
                        *v = F::one();
                    }
                }
                (one_hot, Some(classes))
            }
        };
        let inputs = matrix(n, self.inputs_per_row, self.inputs);
        let dataset = Dataset::new(inputs, targets)
            .map_err(|error| DataError::Dataset { path: self.path.to_owned(), error })?;
        Ok(Loaded { dataset, classes })
    }
}

/// `values` as a `rows × cols` matrix. They are gathered `cols` to a row, so the shape
/// always fits; were it not to, the empty matrix would be refused by [`Dataset::new`].
fn matrix<F: NdFloat>(rows: usize, cols: usize, values: Vec<F>) -> Array2<F> {
    Array2::from_shape_vec((rows, cols), values).unwrap_or_else(|_| Array2::zeros((0, cols)))
}

/// A field as an f64, any f64 (NaN included): "is it a number" for header detection.
fn parse_f64(field: &[u8]) -> Option<f64> {
    std::str::from_utf8(field).ok()?.parse().ok()
}

fn float_name<F: NdFloat>() -> &'static str {
    if size_of::<F>() == 4 { "f32" } else { "f64" }
}

/// A CSV reader's error as a [`DataError`].
fn csv_error(path: &Path, gzip: bool, offset: u64, e: ::csv::Error) -> DataError {
    match e.into_kind() {
        ::csv::ErrorKind::Io(error) => {
            if let Some(long) = error.get_ref().and_then(|e| e.downcast_ref::<LineTooLong>()) {
                return DataError::TooLarge {
                    path: path.to_owned(),
                    what: format!("line {}", long.line),
                    bytes: long.limit.saturating_add(1),
                    limit: long.limit,
                };
            }
            DataError::Read { path: path.to_owned(), gzip, offset, error }
        }
        // Not produced with flexible rows and byte records; reported, never a panic.
        other => DataError::Read {
            path: path.to_owned(),
            gzip,
            offset,
            error: io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")),
        },
    }
}

/// Writes `data` as a CSV file that [`load_csv`] with the same `options` reads back as it
/// was: inputs in order, the targets placed by `options.label_column`, class targets
/// written as the index of each row's largest target, numbers in Rust's shortest exact
/// form. A header (`x1, x2, …, label` or `y1, …`) unless `options.header` is
/// [`Header::Absent`]. Compressed with gzip when the name ends in `.gz`; written to a
/// temporary file and renamed, so a failure leaves no half-written file.
///
/// ```
/// use ndarray::array;
/// use nn_net::Dataset;
/// use nn_net::data::{load_csv, write_csv, CsvOptions, Targets};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("line.csv.gz");
/// let options = CsvOptions { targets: Targets::Regression { columns: 1 }, ..CsvOptions::default() };
/// let data = Dataset::new(array![[0.1_f64, 2.0], [0.2, 3.0]], array![[1.0], [-1.5]])?;
/// write_csv(&path, &data, &options)?;
/// assert_eq!(load_csv::<f64>(&path, &options)?.dataset, data);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`DataError::Options`] if the targets' width is not the options' class count or
/// regression columns, or the label column is not in the row; [`DataError::Write`] if
/// the file cannot be written.
pub fn write_csv<F: NdFloat>(
    path: &Path,
    data: &Dataset<F>,
    options: &CsvOptions,
) -> Result<(), DataError> {
    check_options(path, options)?;
    let d = data.input_width();
    let k = data.target_width();
    let options_error = |reason: String| DataError::Options { path: path.to_owned(), reason };
    let width = match options.targets {
        Targets::Classes { count: Some(c) } if c != k => {
            return Err(options_error(format!(
                "expected one-hot targets of {c} classes; found {k} target columns"
            )));
        }
        Targets::Regression { columns } if columns != k => {
            return Err(options_error(format!(
                "expected {columns} regression target columns; found {k}"
            )));
        }
        Targets::Classes { .. } => 1,
        Targets::Regression { .. } => k,
    };
    let fields = d + width;
    let Some(start) = options.label_column.start(fields, width) else {
        return Err(options_error(format!(
            "expected the label column {} to fall within the {fields} fields of a row",
            options.label_column
        )));
    };
    // Field j of a row is target t = j − start inside the block, else input j (before
    // the block) or j − width (after it).
    let target_at = |j: usize| j.checked_sub(start).filter(|&t| t < width);
    let input_at = |j: usize| if j < start { j } else { j - width };
    save(path, |out| {
        let mut writer = WriterBuilder::new().from_writer(out);
        if options.header != Header::Absent {
            for j in 0..fields {
                let name = match (target_at(j), options.targets) {
                    (Some(t), Targets::Regression { .. }) => format!("y{}", t + 1),
                    (Some(_), Targets::Classes { .. }) => "label".to_owned(),
                    (None, _) => format!("x{}", input_at(j) + 1),
                };
                writer.write_field(name)?;
            }
            writer.write_record(None::<&[u8]>)?;
        }
        let mut text = String::new();
        for (x, y) in data.inputs().rows().into_iter().zip(data.targets().rows()) {
            for j in 0..fields {
                text.clear();
                // Writing into a String cannot fail.
                let _ = match (target_at(j), options.targets) {
                    (Some(_), Targets::Classes { .. }) => write!(text, "{}", argmax(y.iter())),
                    (Some(t), Targets::Regression { .. }) => write!(text, "{}", y[t]),
                    (None, _) => write!(text, "{}", x[input_at(j)]),
                };
                writer.write_field(&text)?;
            }
            writer.write_record(None::<&[u8]>)?;
        }
        writer.flush()
    })
}

/// The index of the largest value (the first of equals).
fn argmax<'a, F: NdFloat>(values: impl Iterator<Item = &'a F>) -> usize {
    let mut best = (0, F::neg_infinity());
    for (i, &v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}
