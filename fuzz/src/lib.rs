//! The bodies of nn's fuzz targets, one function per target, each taking the fuzzer's bytes.
//!
//! Every parser of outside bytes is here: the CSV loader, the IDX loader, the model-file
//! and checkpoint loaders, and the parsers of the command line's architecture and setting
//! flags. A body feeds the bytes to the public entry points exactly as a user's file or
//! flag reaches them, and checks what comes back: a result that holds together, or an
//! error that names the file. Anything else panics, and the fuzzer reports it.
//!
//! The loaders take paths, so the bodies write the bytes to files in a fresh temporary
//! directory; the loaders run with a memory limit of [`MEMORY_LIMIT`], so a header or a
//! row that claims huge sizes must be refused rather than allocated.
//!
//! This file is compiled twice: as the library of the `nn-fuzz` crate, which the
//! `fuzz_targets/` binaries call (nightly, cargo-fuzz), and as a module of nn-net's stable
//! test `crates/net/tests/fuzz_corpus.rs`, which replays `fuzz/corpus/` through the same
//! functions on every `cargo test`.

use std::fmt::Display;
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use ndarray::Array2;
use nn_net::data::{
    CsvOptions, Header, IdxOptions, LabelColumn, Loaded, Targets, load_any, load_csv, load_idx,
    load_idx_files, load_inputs,
};
use nn_net::{
    Activation, Architecture, Checkpoint, Init, Loss, Model, NormalizationKind, Optimizer,
    Schedule, TensorFile,
};
use tempfile::TempDir;

/// The memory limit given to the loaders: 1 MiB, far above what a fuzzer's input of a few
/// kilobytes can hold (or a gzip stream of it inflate to, about 1000 times more at most
/// for the lines the CSV reader buffers) and far below what a header can claim.
pub const MEMORY_LIMIT: u64 = 1 << 20;

/// What the calls of a body did with an input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Calls that returned a value, checked.
    pub accepted: usize,
    /// Calls that returned an error, checked to be a clear one.
    pub refused: usize,
}

impl Outcome {
    /// Counts `result`: checks a value with `check`, an error's message with `check_error`.
    fn record<T, E: Display>(
        &mut self,
        result: Result<T, E>,
        check: impl FnOnce(T),
        check_error: impl FnOnce(&str),
    ) {
        match result {
            Ok(value) => {
                check(value);
                self.accepted += 1;
            }
            Err(error) => {
                check_error(&error.to_string());
                self.refused += 1;
            }
        }
    }
}

/// The CSV loader: the bytes as a CSV file, plain and gzip-compressed, through
/// [`load_csv`] with several options (header found or absent or present, classes counted
/// or given, regression targets, label columns at either end), [`load_any`] and
/// [`load_inputs`].
///
/// A dataset that loads must have rows, inputs and targets of the same length, finite
/// values, and one-hot targets of the class count; an error must name the file.
pub fn csv(data: &[u8]) -> Outcome {
    let dir = scratch();
    let plain = write(&dir, "data.csv", data);
    let gzip = write(&dir, "data.csv.gz", &gzip_bytes(data));
    let limited = |options: CsvOptions| CsvOptions { memory_limit: MEMORY_LIMIT, ..options };
    let options = [
        CsvOptions::default(),
        CsvOptions {
            header: Header::Absent,
            label_column: LabelColumn::FIRST,
            targets: Targets::Classes { count: Some(3) },
            ..CsvOptions::default()
        },
        CsvOptions {
            header: Header::Present,
            label_column: LabelColumn::FromEnd(2),
            targets: Targets::Regression { columns: 2 },
            ..CsvOptions::default()
        },
        CsvOptions {
            label_column: LabelColumn::Index(1),
            targets: Targets::Regression { columns: 1 },
            ..CsvOptions::default()
        },
    ]
    .map(limited);
    let mut outcome = Outcome::default();
    for path in [&plain, &gzip] {
        let named = |message: &str| names_file(message, path);
        for options in &options {
            outcome.record(load_csv::<f32>(path, options), check_loaded, named);
        }
        outcome.record(load_any::<f64>(path, &options[0]), check_loaded, named);
        for inputs in [1, 2, 3] {
            outcome.record(
                load_inputs::<f32>(path, &options[0], inputs),
                |x| check_inputs(&x, inputs),
                named,
            );
        }
    }
    outcome
}

/// The IDX loader: an images file and a labels file cut from the bytes, through
/// [`load_idx`] (the labels found beside the images by name), [`load_idx_files`],
/// [`load_any`] and [`load_inputs`].
///
/// The input is laid out as: byte 0, flags (bit 0: gzip the images file, bit 1: gzip
/// the labels file, bit 2: give 10 classes rather than count them); bytes 1–2, the
/// length of the images file, big-endian (cut to what is there); then the images file;
/// then the labels file, the rest. Gzip here exercises the streaming reads (where the
/// size is not known up front); a part that already starts with gzip's magic bytes is
/// read through the decoder anyway, as the loaders tell gzip by content.
///
/// A dataset that loads must have whole pixel values 0–255 and one-hot targets; an error
/// must name one of the files.
pub fn idx(data: &[u8]) -> Outcome {
    let (flags, rest) = data.split_first().unwrap_or((&0, &[]));
    let (length, rest) = match rest.split_first_chunk::<2>() {
        Some((length, rest)) => (usize::from(u16::from_be_bytes(*length)), rest),
        None => (0, rest),
    };
    let (images, labels) = rest.split_at(length.min(rest.len()));
    let encode = |part: &[u8], bit: u8| match flags & bit {
        0 => part.to_vec(),
        _ => gzip_bytes(part),
    };
    let dir = scratch();
    let images = write(&dir, "fuzz-images-idx3-ubyte", &encode(images, 1));
    let labels = write(&dir, "fuzz-labels-idx1-ubyte", &encode(labels, 2));
    let classes = (flags & 4 != 0).then_some(10);
    let options = IdxOptions { classes, memory_limit: MEMORY_LIMIT };
    let csv_options = CsvOptions {
        targets: Targets::Classes { count: classes },
        memory_limit: MEMORY_LIMIT,
        ..CsvOptions::default()
    };
    let named = |message: &str| {
        assert!(
            message.contains("fuzz-images-idx3-ubyte")
                || message.contains("fuzz-labels-idx1-ubyte"),
            "an error that names neither file: {message}"
        );
    };
    let check = |loaded: Loaded<f32>| {
        check_loaded(loaded.clone());
        let pixels = loaded.dataset.inputs();
        assert!(
            pixels.iter().all(|&p| (0.0..=255.0).contains(&p) && p.fract() == 0.0),
            "pixels that are not bytes"
        );
        if let Some(c) = classes {
            assert_eq!(loaded.classes, Some(c), "the class count given");
        }
    };
    let mut outcome = Outcome::default();
    outcome.record(load_idx::<f32>(&images, &options), check, named);
    outcome.record(load_idx_files::<f32>(&images, &labels, &options), check, named);
    outcome.record(load_any::<f32>(&images, &csv_options), check, named);
    for inputs in [1, 4] {
        outcome.record(
            load_inputs::<f64>(&images, &csv_options, inputs),
            |x| check_inputs(&x, inputs),
            named,
        );
    }
    outcome
}

/// The model-file loaders: the bytes as a safetensors file through [`TensorFile::load`],
/// [`Model::load`] in `f32` and `f64`, and [`Checkpoint::load`] (the same container with
/// a training run's state).
///
/// A model that loads must predict a row of zeros with one output row of its width; an
/// error must name the file.
pub fn model_file(data: &[u8]) -> Outcome {
    let dir = scratch();
    let path = write(&dir, Checkpoint::FILE_NAME, data);
    let named = |message: &str| names_file(message, &path);
    let mut outcome = Outcome::default();
    outcome.record(TensorFile::load(&path), |_| {}, named);
    outcome.record(Model::<f32>::load(&path), check_model, named);
    outcome.record(Model::<f64>::load(&path), check_model, named);
    outcome.record(Checkpoint::load::<f64>(dir.path()), |_| {}, named);
    outcome
}

/// The parsers of the command line's model flags: the bytes (as text, invalid UTF-8
/// replaced) as an [`Architecture`] (`--arch 784-128-10`), an [`Activation`], a [`Loss`],
/// an [`Init`], a [`NormalizationKind`], an [`Optimizer`], a [`Schedule`] and a
/// [`LabelColumn`].
///
/// Whatever parses must print back to text that parses to the same value; an error must
/// have a message.
pub fn architecture(data: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let mut outcome = Outcome::default();
    outcome.record(
        text.parse::<Architecture>(),
        |arch| {
            assert!(arch.sizes().len() >= 2 && !arch.sizes().contains(&0), "{arch:?}");
            assert_eq!(arch.layers(), arch.sizes().len() - 1);
            let biases = arch.sizes().iter().skip(1).try_fold(0_usize, |n, &d| n.checked_add(d));
            assert!(arch.parameter_count() >= biases.unwrap_or(usize::MAX), "{arch:?}");
            round_trip(&arch);
        },
        says_something,
    );
    outcome.record(text.parse::<Activation>(), |a| round_trip(&a), says_something);
    outcome.record(text.parse::<Loss>(), |l| round_trip(&l), says_something);
    outcome.record(text.parse::<Init>(), |i| round_trip(&i), says_something);
    outcome.record(text.parse::<NormalizationKind>(), |k| round_trip(&k), says_something);
    outcome.record(text.parse::<Optimizer<f64>>(), |o| round_trip(&o), says_something);
    outcome.record(text.parse::<Optimizer<f32>>(), |o| round_trip(&o), says_something);
    outcome.record(text.parse::<Schedule<f64>>(), |s| round_trip(&s), says_something);
    outcome.record(text.parse::<LabelColumn>(), |c| round_trip(&c), says_something);
    outcome
}

/// A fresh temporary directory, removed when dropped.
fn scratch() -> TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temporary directory: {e}"))
}

/// Writes `bytes` to `name` in `dir`; returns its path.
fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
    path
}

/// `bytes` compressed with gzip.
fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).and_then(|()| encoder.finish()).unwrap_or_else(|e| {
        panic!("cannot gzip {} bytes in memory: {e}", bytes.len());
    })
}

/// Checks that an error message names the file it is about.
fn names_file(message: &str, path: &Path) {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    assert!(message.contains(name.as_ref()), "an error that does not name {name}: {message}");
}

/// Checks that an error message says something.
fn says_something(message: &str) {
    assert!(!message.trim().is_empty(), "an empty error message");
}

/// Checks that a loaded dataset holds together.
fn check_loaded<F: ndarray::NdFloat>(loaded: Loaded<F>) {
    let (x, y) = (loaded.dataset.inputs(), loaded.dataset.targets());
    assert!(x.nrows() > 0, "a dataset of no rows");
    assert_eq!(x.nrows(), y.nrows(), "inputs and targets of different lengths");
    assert!(x.ncols() > 0 && y.ncols() > 0, "no input or target columns");
    assert!(x.iter().chain(y.iter()).all(|v| v.is_finite()), "a value that is not finite");
    if let Some(classes) = loaded.classes {
        assert_eq!(y.ncols(), classes, "targets of another width than the class count");
        for row in y.rows() {
            let ones = row.iter().filter(|&&v| v == F::one()).count();
            let zeros = row.iter().filter(|&&v| v == F::zero()).count();
            assert_eq!((ones, zeros), (1, classes - 1), "a target row that is not one-hot");
        }
    }
}

/// Checks that inputs loaded for a model of `inputs` inputs fit it.
fn check_inputs<F: ndarray::NdFloat>(x: &Array2<F>, inputs: usize) {
    assert!(x.nrows() > 0, "inputs of no rows");
    assert_eq!(x.ncols(), inputs, "inputs of another width than the model's");
    assert!(x.iter().all(|v| v.is_finite()), "an input that is not finite");
}

/// Checks that a loaded model predicts a row.
fn check_model<F: ndarray::NdFloat>(model: Model<F>) {
    let (inputs, outputs) = (model.mlp.inputs(), model.mlp.outputs());
    let y = model
        .predict(&Array2::zeros((1, inputs)))
        .unwrap_or_else(|e| panic!("a loaded model that cannot predict a row of zeros: {e}"));
    assert_eq!(y.dim(), (1, outputs), "a prediction of another shape");
}

/// Checks that `value` prints as text that parses back to it.
fn round_trip<T>(value: &T)
where
    T: Display + std::str::FromStr + PartialEq + std::fmt::Debug,
    T::Err: Display,
{
    let text = value.to_string();
    match text.parse::<T>() {
        Ok(again) => assert_eq!(&again, value, "{text:?} parses to another value"),
        Err(e) => panic!("{value:?} prints as {text:?}, which does not parse: {e}"),
    }
}
