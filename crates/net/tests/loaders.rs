//! The loaders: round trips of generated CSV and IDX files (plain and gzip), every kind of
//! bad file refused with a named error that says where, inputs loaded alone for prediction,
//! the dataset helpers, and the real MNIST when `../shared/data/mnist` is present.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use ndarray::{Array2, Array3, array};
use nn_net::data::{
    CsvOptions, DataError, Format, Header, IdxOptions, LabelColumn, Loaded, Targets, detect,
    idx_labels_path, load_any, load_csv, load_idx, load_idx_files, load_inputs, write_csv,
    write_idx_images, write_idx_labels,
};
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{Dataset, NetError, Normalization, NormalizationKind};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------
// Helpers

/// The error of a call that must fail.
#[track_caller]
fn err<T: std::fmt::Debug>(result: Result<T, DataError>) -> DataError {
    result.expect_err("a bad file was accepted")
}

/// Asserts that the message contains every one of `parts`.
#[track_caller]
fn assert_says(error: &DataError, parts: &[&str]) {
    let message = error.to_string();
    for part in parts {
        assert!(message.contains(part), "{message:?} does not say {part:?}");
    }
}

/// A file `name` in `dir` holding `bytes`.
fn file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `big-images-idx3-ubyte.gz`: a header declaring 60000 images of 28×28, then 50,000
/// random bytes, which do not compress, so that the file is long enough to hold 47 MB at
/// DEFLATE's best ratio and only reading finds it short.
fn claims_60000_images(dir: &TempDir) -> PathBuf {
    let mut rng = StdRng::seed_from_u64(3);
    let noise: Vec<u8> = (0..50_000).map(|_| rng.random()).collect();
    file(dir, "big-images-idx3-ubyte.gz", &gzip(&idx_bytes(0x803, &[60_000, 28, 28], &noise)))
}

/// At zlib's strongest setting, which comes closest to DEFLATE's best ratio.
fn gzip_best(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn csv<F: ndarray::NdFloat>(path: &Path, options: &CsvOptions) -> Result<Loaded<F>, DataError> {
    load_csv(path, options)
}

fn classes_at(label_column: LabelColumn, header: Header) -> CsvOptions {
    CsvOptions { header, label_column, ..CsvOptions::default() }
}

/// `n` images of `rows × cols` with distinct pixel values, and labels `i mod classes`.
fn images(n: usize, rows: usize, cols: usize) -> Array3<u8> {
    Array3::from_shape_fn((n, rows, cols), |(i, r, c)| ((i * 37 + r * cols + c) % 256) as u8)
}

fn labels(n: usize, classes: usize) -> Vec<u8> {
    (0..n).map(|i| (i % classes) as u8).collect()
}

/// The raw bytes of an IDX file: a magic number, the dimensions, the body.
fn idx_bytes(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(body);
    bytes
}

/// A pair of IDX files `X-images-idx3-ubyte[suffix]` / `X-labels-idx1-ubyte[suffix]` of `n`
/// images of 3×4 with labels `i mod 3`; returns the images path.
fn idx_pair(dir: &TempDir, suffix: &str, n: usize) -> PathBuf {
    let images_path = dir.path().join(format!("x-images-idx3-ubyte{suffix}"));
    write_idx_images(&images_path, &images(n, 3, 4)).unwrap();
    write_idx_labels(&dir.path().join(format!("x-labels-idx1-ubyte{suffix}")), &labels(n, 3))
        .unwrap();
    images_path
}

// ---------------------------------------------------------------------------------------
// IDX round trips

#[test]
fn idx_round_trip_plain_and_gzip() {
    for suffix in ["", ".gz"] {
        let dir = TempDir::new().unwrap();
        let path = idx_pair(&dir, suffix, 7);
        if suffix == ".gz" {
            assert_eq!(std::fs::read(&path).unwrap()[..2], [0x1f, 0x8b], "written compressed");
        }
        let loaded: Loaded<f32> = load_idx(&path, &IdxOptions::default()).unwrap();
        assert_eq!(loaded.classes, Some(3));
        let data = &loaded.dataset;
        assert_eq!((data.len(), data.input_width(), data.target_width()), (7, 12, 3));
        let expected = images(7, 3, 4).into_shape_with_order((7, 12)).unwrap().mapv(f32::from);
        assert_eq!(data.inputs(), expected);
        for (i, row) in data.targets().rows().into_iter().enumerate() {
            let mut one_hot = [0.0_f32; 3];
            one_hot[i % 3] = 1.0;
            assert_eq!(row.to_vec(), one_hot, "sample {i}");
        }
    }
}

#[test]
fn idx_labels_are_found_beside_the_images_in_every_form() {
    let dir = TempDir::new().unwrap();
    // Images compressed, labels not: still found.
    let images_path = dir.path().join("a-images-idx3-ubyte.gz");
    write_idx_images(&images_path, &images(2, 2, 2)).unwrap();
    write_idx_labels(&dir.path().join("a-labels-idx1-ubyte"), &[1, 0]).unwrap();
    assert_eq!(idx_labels_path(&images_path).unwrap(), dir.path().join("a-labels-idx1-ubyte"));
    // The dotted variant.
    let dotted = dir.path().join("b-images.idx3-ubyte");
    write_idx_images(&dotted, &images(2, 2, 2)).unwrap();
    write_idx_labels(&dir.path().join("b-labels.idx1-ubyte"), &[1, 0]).unwrap();
    let loaded: Loaded<f64> = load_idx(&dotted, &IdxOptions::default()).unwrap();
    assert_eq!(loaded.dataset.targets(), array![[0.0, 1.0], [1.0, 0.0]]);
}

#[test]
fn idx_class_count_given_widens_the_targets() {
    let dir = TempDir::new().unwrap();
    let path = idx_pair(&dir, "", 4);
    let options = IdxOptions { classes: Some(10), ..IdxOptions::default() };
    let loaded: Loaded<f32> = load_idx(&path, &options).unwrap();
    assert_eq!((loaded.classes, loaded.dataset.target_width()), (Some(10), 10));
}

#[test]
fn idx_files_given_by_path() {
    let dir = TempDir::new().unwrap();
    let images_path = file(&dir, "pixels.bin", &idx_bytes(0x803, &[2, 1, 2], &[0, 255, 7, 9]));
    let labels_path = file(&dir, "classes.bin", &gzip(&idx_bytes(0x801, &[2], &[4, 2])));
    let loaded: Loaded<f32> =
        load_idx_files(&images_path, &labels_path, &IdxOptions::default()).unwrap();
    assert_eq!(loaded.dataset.inputs(), array![[0.0, 255.0], [7.0, 9.0]]);
    assert_eq!(loaded.classes, Some(5));
}

// ---------------------------------------------------------------------------------------
// CSV round trips

#[test]
fn csv_by_hand_header_auto_label_last() {
    let dir = TempDir::new().unwrap();
    let path = file(&dir, "d.csv", b"a,b,label\n1, 2.5 ,0\n\n-3,4e1,\"2\"\n");
    let loaded = csv::<f64>(&path, &CsvOptions::default()).unwrap();
    assert_eq!(loaded.classes, Some(3));
    assert_eq!(loaded.dataset.inputs(), array![[1.0, 2.5], [-3.0, 40.0]]);
    assert_eq!(loaded.dataset.targets(), array![[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
}

#[test]
fn csv_by_hand_no_header_label_first_integral_floats() {
    let dir = TempDir::new().unwrap();
    let path = file(&dir, "d.csv", b"1.0,5,6\n0,7,8\n");
    let loaded = csv::<f32>(&path, &classes_at(LabelColumn::FIRST, Header::Auto)).unwrap();
    assert_eq!(loaded.dataset.inputs(), array![[5.0, 6.0], [7.0, 8.0]]);
    assert_eq!(loaded.dataset.targets(), array![[0.0, 1.0], [1.0, 0.0]]);
}

#[test]
fn csv_with_a_byte_order_mark_and_windows_line_ends() {
    let dir = TempDir::new().unwrap();
    let path = file(&dir, "d.csv", b"\xef\xbb\xbf1,2,1\r\n3,4,0\r\n");
    let options = classes_at(LabelColumn::LAST, Header::Absent);
    let loaded = csv::<f32>(&path, &options).unwrap();
    assert_eq!(loaded.dataset.inputs(), array![[1.0, 2.0], [3.0, 4.0]]);
    let compressed = file(&dir, "d.csv.gz", &gzip(&std::fs::read(&path).unwrap()));
    assert_eq!(csv::<f32>(&compressed, &options).unwrap(), loaded);
}

#[test]
fn csv_header_present_skips_a_numeric_first_row() {
    let dir = TempDir::new().unwrap();
    let path = file(&dir, "d.csv", b"1,2,3\n4,5,1\n");
    let present = csv::<f64>(&path, &classes_at(LabelColumn::LAST, Header::Present)).unwrap();
    assert_eq!(present.dataset.len(), 1);
    let absent = csv::<f64>(&path, &classes_at(LabelColumn::LAST, Header::Absent)).unwrap();
    assert_eq!((absent.dataset.len(), absent.classes), (2, Some(4)));
}

#[test]
fn csv_regression_block_placed_by_the_label_column() {
    let dir = TempDir::new().unwrap();
    let path = file(&dir, "d.csv", b"1,2,3,4\n5,6,7,8\n");
    let regression = |label_column| CsvOptions {
        label_column,
        targets: Targets::Regression { columns: 2 },
        ..CsvOptions::default()
    };
    // The last two columns.
    let last = csv::<f64>(&path, &regression(LabelColumn::LAST)).unwrap();
    assert_eq!(last.classes, None);
    assert_eq!(last.dataset.inputs(), array![[1.0, 2.0], [5.0, 6.0]]);
    assert_eq!(last.dataset.targets(), array![[3.0, 4.0], [7.0, 8.0]]);
    // Starting at column index 1.
    let middle = csv::<f64>(&path, &regression(LabelColumn::Index(1))).unwrap();
    assert_eq!(middle.dataset.inputs(), array![[1.0, 4.0], [5.0, 8.0]]);
    assert_eq!(middle.dataset.targets(), array![[2.0, 3.0], [6.0, 7.0]]);
    // Ending at the second column from the end.
    let before_last = csv::<f64>(&path, &regression(LabelColumn::FromEnd(2))).unwrap();
    assert_eq!(before_last.dataset.targets(), array![[2.0, 3.0], [6.0, 7.0]]);
}

#[test]
fn csv_round_trips_every_layout_plain_and_gzip() {
    let dir = TempDir::new().unwrap();
    // Awkward values: shortest-form printing must read back bit for bit.
    let inputs = array![[0.1_f32, -2.5e-7, 3.0], [1.0 / 3.0, 1e30, -0.0], [7.0, 8.0, 9.0]];
    let one_hot = array![[0.0_f32, 1.0], [1.0, 0.0], [0.0, 1.0]];
    let regression = array![[0.25_f32, 1.5], [-1.0, 2.0], [3.0, 4.0]];
    let mut round_trips = 0;
    for name in ["d.csv", "d.csv.gz"] {
        for header in [Header::Auto, Header::Present, Header::Absent] {
            for label_column in [LabelColumn::FIRST, LabelColumn::LAST, LabelColumn::Index(1)] {
                for targets in
                    [Targets::Classes { count: Some(2) }, Targets::Regression { columns: 2 }]
                {
                    let options =
                        CsvOptions { header, label_column, targets, ..CsvOptions::default() };
                    let y = match targets {
                        Targets::Classes { .. } => one_hot.clone(),
                        Targets::Regression { .. } => regression.clone(),
                    };
                    let data = Dataset::new(inputs.clone(), y).unwrap();
                    let path = dir.path().join(name);
                    write_csv(&path, &data, &options).unwrap();
                    let gz = std::fs::read(&path).unwrap()[..2] == [0x1f, 0x8b];
                    assert_eq!(gz, name.ends_with(".gz"));
                    let back = csv::<f32>(&path, &options).unwrap();
                    assert_eq!(back.dataset, data, "{options:?} {name}");
                    round_trips += 1;
                }
            }
        }
    }
    assert_eq!(round_trips, 36);
}

#[test]
fn gzip_is_found_by_content_not_by_name() {
    let dir = TempDir::new().unwrap();
    // Compressed but named .csv; plain but named .gz.
    let compressed = file(&dir, "a.csv", &gzip(b"1,2,1\n3,4,0\n"));
    let plain = file(&dir, "b.csv.gz", b"1,2,1\n3,4,0\n");
    let a = csv::<f32>(&compressed, &CsvOptions::default()).unwrap();
    let b = csv::<f32>(&plain, &CsvOptions::default()).unwrap();
    assert_eq!(a, b);
    // Several gzip members one after another read as one stream.
    let mut two = gzip(b"1,2,1\n");
    two.extend(gzip(b"3,4,0\n"));
    let members = file(&dir, "c.csv.gz", &two);
    assert_eq!(csv::<f32>(&members, &CsvOptions::default()).unwrap(), a);
}

#[test]
fn detect_and_load_any_by_content() {
    let dir = TempDir::new().unwrap();
    let images_path = idx_pair(&dir, ".gz", 3);
    assert_eq!(detect(&images_path).unwrap(), Format::Idx);
    let idx: Loaded<f32> = load_any(&images_path, &CsvOptions::default()).unwrap();
    assert_eq!((idx.dataset.len(), idx.dataset.input_width()), (3, 12));
    let csv_path = file(&dir, "train", b"x,y\n1,0\n");
    assert_eq!(detect(&csv_path).unwrap(), Format::Csv);
    let loaded: Loaded<f32> = load_any(&csv_path, &CsvOptions::default()).unwrap();
    assert_eq!(loaded.dataset.len(), 1);
    // The class count of the options reaches the IDX loader.
    let ten = CsvOptions { targets: Targets::Classes { count: Some(10) }, ..CsvOptions::default() };
    assert_eq!(load_any::<f32>(&images_path, &ten).unwrap().dataset.target_width(), 10);
    // IDX labels are classes.
    let regression =
        CsvOptions { targets: Targets::Regression { columns: 1 }, ..CsvOptions::default() };
    let e = err(load_any::<f32>(&images_path, &regression));
    assert_says(&e, &["x-images-idx3-ubyte.gz", "expected class targets for an IDX file"]);
}

// ---------------------------------------------------------------------------------------
// Files that do not open

#[test]
fn a_missing_file_names_its_path() {
    let e = err(csv::<f32>(Path::new("data/x.csv"), &CsvOptions::default()));
    assert!(matches!(e, DataError::Open { .. }), "{e:?}");
    assert_says(&e, &["cannot open data/x.csv: No such file or directory"]);
}

#[test]
fn a_directory_is_not_a_data_file() {
    let dir = TempDir::new().unwrap();
    let e = err(csv::<f32>(dir.path(), &CsvOptions::default()));
    assert!(matches!(e, DataError::Directory { .. }), "{e:?}");
    assert_says(&e, &[&dir.path().display().to_string(), "is a directory; expected a data file"]);
    let e = err(load_idx::<f32>(dir.path(), &IdxOptions::default()));
    assert!(matches!(e, DataError::Directory { .. }), "{e:?}");
}

#[test]
fn empty_files() {
    let dir = TempDir::new().unwrap();
    let empty = file(&dir, "e.csv", b"");
    let e = err(csv::<f32>(&empty, &CsvOptions::default()));
    assert_says(&e, &["e.csv: the file is empty; expected rows of numbers"]);
    let blank = file(&dir, "blank.csv", b"\n\n");
    assert!(matches!(err(csv::<f32>(&blank, &CsvOptions::default())), DataError::Empty { .. }));
    let empty_gz = file(&dir, "e.csv.gz", &gzip(b""));
    assert!(matches!(err(csv::<f32>(&empty_gz, &CsvOptions::default())), DataError::Empty { .. }));
    let images_path = file(&dir, "e-images-idx3-ubyte", b"");
    let e = err(load_idx::<f32>(&images_path, &IdxOptions::default()));
    assert_says(&e, &["e-images-idx3-ubyte: the file is empty; expected an IDX images file"]);
}

#[test]
fn a_corrupt_gzip_stream_is_a_read_error() {
    let dir = TempDir::new().unwrap();
    let mut bytes = gzip(b"1,2,0\n3,4,1\n");
    // Keep the gzip header, spoil the deflate data after it.
    for b in bytes.iter_mut().skip(10) {
        *b = 0xff;
    }
    let path = file(&dir, "bad.csv.gz", &bytes);
    let e = err(csv::<f32>(&path, &CsvOptions::default()));
    assert!(matches!(e, DataError::Read { gzip: true, .. }), "{e:?}");
    assert_says(&e, &["cannot read", "bad.csv.gz (gzip)"]);
    // A stream cut short is refused too.
    let whole = gzip(&idx_bytes(0x803, &[1, 2, 2], &[1, 2, 3, 4]));
    let cut = file(&dir, "cut-images-idx3-ubyte.gz", &whole[..whole.len() - 6]);
    let e = err(load_idx::<f32>(&cut, &IdxOptions::default()));
    assert_says(&e, &["cut-images-idx3-ubyte.gz"]);
}

// ---------------------------------------------------------------------------------------
// Bad CSV

fn csv_error(content: &str, options: &CsvOptions) -> DataError {
    let dir = TempDir::new().unwrap();
    let path = file(&dir, "bad.csv", content.as_bytes());
    err(csv::<f32>(&path, options))
}

#[test]
fn csv_ragged_row_names_its_line() {
    let e = csv_error("a,b,c\n1,2,0\n3,4\n", &CsvOptions::default());
    assert!(matches!(e, DataError::Ragged { line: 3, first_line: 1, expected: 3, found: 2, .. }));
    assert_says(&e, &["bad.csv, line 3: expected 3 fields, as on line 1; found 2"]);
}

#[test]
fn csv_non_numeric_field_names_line_and_column() {
    let e = csv_error("1,2,0\n3,x4,1\n", &CsvOptions::default());
    assert_says(&e, &["bad.csv, line 2, column 2: expected a number; found \"x4\""]);
    // An empty field is not a number either.
    let e = csv_error("1,,0\n", &classes_at(LabelColumn::LAST, Header::Absent));
    assert_says(&e, &["line 1, column 2: expected a number; found \"\""]);
}

#[test]
fn csv_nan_and_infinity_are_refused() {
    let rows = "a,b,c\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n9,10,0\n11,NaN,1\n";
    let e = csv_error(rows, &CsvOptions::default());
    assert!(matches!(e, DataError::NotFinite { line: 7, column: 2, .. }), "{e:?}");
    assert_says(&e, &["line 7, column 2: expected a finite number; found NaN"]);
    let e = csv_error("1,-inf,0\n", &CsvOptions::default());
    assert_says(&e, &["line 1, column 2: expected a finite number; found -inf"]);
    // Finite, but not as an f32.
    let e = csv_error("1,1e300,0\n", &CsvOptions::default());
    assert_says(&e, &["column 2: expected a number within the range of f32; found 1e300"]);
}

#[test]
fn csv_bad_labels() {
    let three =
        CsvOptions { targets: Targets::Classes { count: Some(3) }, ..CsvOptions::default() };
    let e = csv_error("1,2,0\n1,2,3\n", &three);
    assert!(matches!(e, DataError::BadLabel { line: 2, column: 3, .. }), "{e:?}");
    assert_says(
        &e,
        &["line 2, column 3: expected a class label, an integer from 0 to 2; found \"3\""],
    );
    let e = csv_error("1,2,-1\n", &CsvOptions::default());
    assert_says(&e, &["line 1, column 3: expected a class label, an integer from 0; found \"-1\""]);
    let e = csv_error("1,2,1.5\n", &CsvOptions::default());
    assert_says(&e, &["found \"1.5\""]);
    let e = csv_error("1,2,cat\n", &classes_at(LabelColumn::LAST, Header::Absent));
    assert_says(&e, &["line 1, column 3: expected a class label"]);
}

#[test]
fn csv_lines_are_an_editors_after_blank_lines_and_windows_line_ends() {
    let options = CsvOptions::default();
    let line_of = |content: &[u8]| {
        let dir = TempDir::new().unwrap();
        let e = err(csv::<f32>(&file(&dir, "lines.csv", content), &options));
        let inputs = err(load_inputs::<f32>(&file(&dir, "inputs.csv", content), &options, 2));
        let gz = err(csv::<f32>(&file(&dir, "lines.csv.gz", &gzip(content)), &options));
        let (line, column) = match e {
            DataError::NotANumber { line, column, .. } => (line, Some(column)),
            DataError::Ragged { line, .. } => (line, None),
            other => panic!("{other:?}"),
        };
        // The same line by load_inputs and through gzip.
        assert_eq!(inputs.to_string().replace("inputs.csv", "lines.csv"), e.to_string());
        assert_eq!(gz.to_string().replace("lines.csv.gz", "lines.csv"), e.to_string());
        (line, column)
    };
    // Windows line ends: the `\n` of each `\r\n` is read with the row after it.
    assert_eq!(line_of(b"1,2,0\r\n3,x,1\r\n"), (2, Some(2)));
    assert_eq!(line_of(b"a,b,c\r\n1,2,0\r\n\r\n3,4\r\n"), (4, None));
    // Blank lines before the first row and between rows.
    assert_eq!(line_of(b"\n\n1,2,0\n\n3,4\n"), (5, None));
    assert_eq!(line_of(b"1,2,0\n3,4,0\n\n\n\n3,4\n"), (6, None));
    assert_eq!(line_of(b"1,2,0\n\n3,4,0\n\n\n\nx,4,0\n"), (7, Some(1)));
    // A quoted line break inside a field: the row starts on its first line.
    assert_eq!(line_of(b"a,b,c\n\"1\n2\",2,0\n3,x,1\n"), (2, Some(1)));
    assert_eq!(line_of(b"a,b,c\n\"1\",2,0\n\n3,x,1\n"), (4, Some(2)));
    // Far past the reader's buffer: many rows, many blank lines, a long quoted field.
    let mut rows: Vec<u8> = b"1,2,0\r\n".repeat(4320);
    rows.extend(b"1,x,0\r\n");
    assert_eq!(line_of(&rows), (4321, Some(2)));
    let mut blank = b"\r\n".repeat(20_000);
    blank.extend(b"1,2,0\n\n\n3,4\n");
    assert_eq!(line_of(&blank), (20_004, None));
    let mut long = b"\"".to_vec();
    long.extend(b"a\n".repeat(10_000));
    long.extend(b"\",b,c\r\n\r\n\r\n1,x,1\n");
    assert_eq!(line_of(&long), (10_004, Some(2)));
}

#[test]
fn csv_header_without_rows() {
    let e = csv_error("a,b,label\n", &CsvOptions::default());
    assert_says(&e, &["bad.csv: only a header line (line 1); expected rows of data after it"]);
}

#[test]
fn csv_label_column_outside_the_row() {
    let e = csv_error("1,2,0\n", &classes_at(LabelColumn::Index(5), Header::Absent));
    assert_says(&e, &["line 1: expected a label in column 6 (counting from 1)", "has 3 fields"]);
    let wide = CsvOptions { targets: Targets::Regression { columns: 3 }, ..CsvOptions::default() };
    let e = csv_error("1,2,0\n", &wide);
    assert_says(&e, &["expected 3 target columns ending at the last column", "has 3 fields"]);
    let e = csv_error("1\n2\n", &CsvOptions::default());
    assert!(matches!(e, DataError::Columns { fields: 1, .. }), "{e:?}");
}

#[test]
fn csv_options_that_fit_no_file() {
    let zero = CsvOptions { targets: Targets::Classes { count: Some(0) }, ..CsvOptions::default() };
    assert_says(&csv_error("1,0\n", &zero), &["expected a class count of at least 1; found 0"]);
    let none = CsvOptions { targets: Targets::Regression { columns: 0 }, ..CsvOptions::default() };
    assert_says(&csv_error("1,0\n", &none), &["at least 1 regression target column; found 0"]);
    assert!("-0".parse::<LabelColumn>().is_err());
    assert_eq!("-3".parse::<LabelColumn>().unwrap(), LabelColumn::FromEnd(3));
    let e = "x".parse::<LabelColumn>().unwrap_err();
    assert_says(&e, &["expected a label column", "found \"x\""]);
}

#[test]
fn csv_over_the_memory_limit() {
    let small = CsvOptions { memory_limit: 64, ..CsvOptions::default() };
    let rows: String = (0..10).map(|i| format!("{i},{i},{i},1\n")).collect();
    let e = csv_error(&rows, &small);
    assert!(matches!(e, DataError::TooLarge { limit: 64, .. }), "{e:?}");
    assert_says(&e, &["bad.csv: line", "the limit is 64 bytes"]);
    // One endless line in a small gzip stream stops at the limit, not at memory's end.
    let dir = TempDir::new().unwrap();
    let path = file(&dir, "long.csv.gz", &gzip(&vec![b'1'; 100_000]));
    let options = CsvOptions { memory_limit: 1000, ..CsvOptions::default() };
    let e = err(csv::<f32>(&path, &options));
    assert_says(&e, &["long.csv.gz: line 1", "the limit is 1000 bytes"]);
}

// ---------------------------------------------------------------------------------------
// Bad IDX

fn idx_error(images: &[u8], labels: &[u8]) -> DataError {
    let dir = TempDir::new().unwrap();
    let images_path = file(&dir, "t-images-idx3-ubyte", images);
    file(&dir, "t-labels-idx1-ubyte", labels);
    err(load_idx::<f32>(&images_path, &IdxOptions::default()))
}

fn good_labels(n: u32) -> Vec<u8> {
    idx_bytes(0x801, &[n], &vec![0; n as usize])
}

#[test]
fn idx_wrong_magic() {
    let e = idx_error(&idx_bytes(0x1234_5678, &[], &[0; 40]), &good_labels(1));
    assert!(matches!(e, DataError::IdxMagic { found: 0x1234_5678, .. }), "{e:?}");
    assert_says(
        &e,
        &["t-images-idx3-ubyte, bytes 0-3: expected the magic number 0x00000803 of an IDX images \
         file; found 0x12345678 (not an IDX file)"],
    );
    // A labels file given as the images.
    let e = idx_error(&good_labels(2), &good_labels(2));
    assert_says(
        &e,
        &["byte 3 (dimension count): expected 3 for an IDX images file; found 1 (is this a \
         labels file?)"],
    );
    // Floats rather than bytes.
    let e = idx_error(&idx_bytes(0x0D03, &[1, 1, 1], &[0; 4]), &good_labels(1));
    assert_says(
        &e,
        &["byte 2 (element type): expected 0x08 (unsigned byte); found 0x0D (32-bit float)"],
    );
    // Images given as the labels.
    let e = idx_error(&idx_bytes(0x803, &[1, 1, 1], &[0]), &idx_bytes(0x803, &[1, 1, 1], &[0]));
    assert_says(&e, &["t-labels-idx1-ubyte, byte 3", "expected 1 for an IDX labels file; found 3"]);
}

#[test]
fn idx_truncated_files() {
    // A header cut short.
    let e = idx_error(&[0, 0, 8, 3, 0, 0], &good_labels(1));
    assert_says(&e, &["ended at byte 6 inside the header; expected 16 bytes in all"]);
    // Fewer pixels than declared: refused from the file's size, before reading.
    let e = idx_error(&idx_bytes(0x803, &[3, 2, 2], &[0; 10]), &good_labels(3));
    assert!(matches!(e, DataError::Truncated { what: "pixels", expected: 28, found: 26, .. }));
    assert_says(
        &e,
        &["t-images-idx3-ubyte: ended at byte 26 inside the pixels; expected 28 bytes in all"],
    );
    // Compressed, found short while reading.
    let dir = TempDir::new().unwrap();
    let images_path =
        file(&dir, "z-images-idx3-ubyte.gz", &gzip(&idx_bytes(0x803, &[3, 2, 2], &[0; 10])));
    file(&dir, "z-labels-idx1-ubyte.gz", &gzip(&good_labels(3)));
    let e = err(load_idx::<f32>(&images_path, &IdxOptions::default()));
    assert_says(&e, &["z-images-idx3-ubyte.gz: ended at byte 26 inside the pixels; expected 28"]);
    // Labels cut short.
    let e = idx_error(&idx_bytes(0x803, &[3, 1, 1], &[0; 3]), &idx_bytes(0x801, &[3], &[0]));
    assert_says(&e, &["t-labels-idx1-ubyte: ended at byte 9 inside the labels; expected 11"]);
}

#[test]
fn idx_header_that_disagrees_with_the_file_size() {
    // More bytes than declared.
    let e = idx_error(&idx_bytes(0x803, &[2, 2, 2], &[0; 9]), &good_labels(2));
    assert!(matches!(e, DataError::TrailingBytes { found: Some(1), .. }), "{e:?}");
    assert_says(&e, &["2 images of 2×2 end at byte 24; found 1 more byte after it"]);
    // A header declaring far more than the file: refused before any allocation.
    let e = idx_error(&idx_bytes(0x803, &[u32::MAX, u32::MAX, u32::MAX], &[0; 4]), &good_labels(1));
    assert!(matches!(e, DataError::Truncated { found: 20, .. }), "{e:?}");
    // Compressed, with bytes after the declared data.
    let dir = TempDir::new().unwrap();
    let images_path =
        file(&dir, "z-images-idx3-ubyte.gz", &gzip(&idx_bytes(0x803, &[1, 1, 2], &[0; 5])));
    file(&dir, "z-labels-idx1-ubyte.gz", &gzip(&good_labels(1)));
    let e = err(load_idx::<f32>(&images_path, &IdxOptions::default()));
    assert_says(&e, &["z-images-idx3-ubyte.gz: 1 images of 1×2 end at byte 18; found more bytes"]);
    // A zero dimension.
    let e = idx_error(&idx_bytes(0x803, &[1, 0, 2], &[]), &good_labels(1));
    assert_says(&e, &["byte 8 (rows): expected at least 1; found 0"]);
}

#[test]
fn idx_labels_that_do_not_match_the_images() {
    let e = idx_error(&idx_bytes(0x803, &[3, 1, 1], &[0; 3]), &good_labels(2));
    assert!(matches!(e, DataError::CountMismatch { images: 3, labels: 2, .. }), "{e:?}");
    assert_says(
        &e,
        &[
            "t-images-idx3-ubyte declares 3 images but",
            "t-labels-idx1-ubyte declares 2 labels; expected one label per image",
        ],
    );
}

#[test]
fn idx_label_out_of_range() {
    let dir = TempDir::new().unwrap();
    let images_path = file(&dir, "t-images-idx3-ubyte", &idx_bytes(0x803, &[3, 1, 1], &[0; 3]));
    file(&dir, "t-labels-idx1-ubyte", &idx_bytes(0x801, &[3], &[9, 2, 10]));
    let options = IdxOptions { classes: Some(10), ..IdxOptions::default() };
    let e = err(load_idx::<f32>(&images_path, &options));
    assert!(matches!(e, DataError::IdxLabel { index: 2, found: 10, offset: 10, .. }), "{e:?}");
    assert_says(
        &e,
        &["t-labels-idx1-ubyte, byte 10 (label of sample 2): expected a class below 10; found 10"],
    );
}

#[test]
fn idx_missing_labels_file() {
    let dir = TempDir::new().unwrap();
    let images_path = dir.path().join("m-images-idx3-ubyte.gz");
    write_idx_images(&images_path, &images(1, 1, 1)).unwrap();
    let e = err(load_idx::<f32>(&images_path, &IdxOptions::default()));
    let looked = dir.path().join("m-labels-idx1-ubyte.gz").display().to_string();
    assert_says(&e, &["no labels file for", "looked for", &looked, "m-labels-idx1-ubyte.gz and"]);
    assert!(e.to_string().ends_with("m-labels-idx1-ubyte"), "{e}");
    // A name that says nothing about its labels.
    let odd = dir.path().join("digits.idx");
    write_idx_images(&odd, &images(1, 1, 1)).unwrap();
    let e = err(load_idx::<f32>(&odd, &IdxOptions::default()));
    assert_says(&e, &["cannot tell the labels file of", "digits.idx"]);
}

#[test]
fn idx_over_the_memory_limit_is_refused_before_reading() {
    // The budget refuses it from the header alone.
    let dir = TempDir::new().unwrap();
    let images_path = claims_60000_images(&dir);
    file(&dir, "big-labels-idx1-ubyte.gz", &gzip(&good_labels(60_000)));
    let options = IdxOptions { classes: Some(10), memory_limit: 1 << 20 };
    let e = err(load_idx::<f32>(&images_path, &options));
    assert!(matches!(e, DataError::TooLarge { .. }), "{e:?}");
    // 60000 · (784 + 10) · 4 bytes of f32, and 60000 bytes of labels.
    assert_says(
        &e,
        &["60000 images of 28×28 with one-hot targets of 10 classes", "190620000 bytes"],
    );
    // Within the limit, the stream is found short where it ends.
    let e = err(load_idx::<f32>(&images_path, &IdxOptions::default()));
    assert_says(&e, &["ended at byte 50016 inside the pixels; expected 47040016 bytes in all"]);
}

#[test]
fn idx_gzip_header_claiming_more_than_the_file_can_hold_is_refused_before_reading() {
    // 60000 images of 28×28 are 47,040,016 bytes with the header; a gzip file holds at
    // most 1032 times its own size, so these few dozen bytes cannot be them.
    let dir = TempDir::new().unwrap();
    let short = gzip(&idx_bytes(0x803, &[60_000, 28, 28], &[0; 100]));
    let images_path = file(&dir, "short-images-idx3-ubyte.gz", &short);
    file(&dir, "short-labels-idx1-ubyte.gz", &gzip(&good_labels(60_000)));
    let e = err(load_idx::<f32>(&images_path, &IdxOptions::default()));
    let most = 1032 * short.len() as u64;
    assert!(
        matches!(e, DataError::GzipTooShort { expected: 47_040_016, most: m, .. } if m == most),
        "{e:?}"
    );
    assert_says(
        &e,
        &[
            "short-images-idx3-ubyte.gz: the header declares 60000 images of 28×28, 47040016 \
             bytes in all, but a gzip file of",
            "(DEFLATE compresses at most 1032 to 1): the file is cut short or its header is wrong",
        ],
    );
    // The same for the images alone (`nn predict` reads them so) and for the labels.
    let e = err(load_inputs::<f32>(&images_path, &CsvOptions::default(), 784));
    assert!(matches!(e, DataError::GzipTooShort { .. }), "{e:?}");
    let tiny = file(&dir, "tiny-images-idx3-ubyte.gz", &gzip(&idx_bytes(0x803, &[1, 1, 1], &[7])));
    file(&dir, "tiny-labels-idx1-ubyte.gz", &gzip(&idx_bytes(0x801, &[4_000_000], &[0; 8])));
    let e = err(load_idx::<f32>(&tiny, &IdxOptions::default()));
    assert!(matches!(e, DataError::GzipTooShort { expected: 4_000_008, .. }), "{e:?}");
    assert_says(&e, &["tiny-labels-idx1-ubyte.gz: the header declares 4000000 labels"]);

    // Zeros compress at nearly the best ratio there is; such a file still loads.
    let zeros = gzip_best(&idx_bytes(0x803, &[1000, 28, 28], &vec![0; 784_000]));
    assert!(zeros.len() < 1000, "zlib compressed 784 kB of zeros to {} bytes", zeros.len());
    let images_path = file(&dir, "zeros-images-idx3-ubyte.gz", &zeros);
    file(&dir, "zeros-labels-idx1-ubyte.gz", &gzip_best(&good_labels(1000)));
    let loaded = load_idx::<f32>(&images_path, &IdxOptions::default()).unwrap();
    assert_eq!(loaded.dataset.inputs().dim(), (1000, 784));
}

#[test]
fn writers_refuse_empty_data() {
    let dir = TempDir::new().unwrap();
    let e = err(write_idx_labels(&dir.path().join("l"), &[]));
    assert_says(&e, &["expected IDX dimensions from 1"]);
    let e = err(write_csv(
        &dir.path().join("d.csv"),
        &Dataset::new(array![[1.0_f32]], array![[1.0, 0.0]]).unwrap(),
        &CsvOptions { targets: Targets::Classes { count: Some(3) }, ..CsvOptions::default() },
    ));
    assert_says(&e, &["expected one-hot targets of 3 classes; found 2 target columns"]);
    let e = err(write_idx_labels(&dir.path().join("no/such/dir/l"), &[1]));
    assert_says(&e, &["cannot write", "no/such/dir/l"]);
}

// ---------------------------------------------------------------------------------------
// Nothing panics on damaged files

#[test]
fn damaged_files_never_panic() {
    let dir = TempDir::new().unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let idx = idx_bytes(0x803, &[3, 2, 2], &[5; 12]);
    let labels_ok = good_labels(3);
    let text = b"a,b,label\n1,2,0\n3.5,\"4\",1\n-1e3,2,2\n".to_vec();
    let mut loaded = 0;
    for round in 0..300 {
        let (base, name) =
            if round % 2 == 0 { (&idx, "f-images-idx3-ubyte") } else { (&text, "f.csv") };
        let mut bytes = base.clone();
        match rng.random_range(0..4) {
            0 => bytes.truncate(rng.random_range(0..bytes.len())),
            1 => {
                let i = rng.random_range(0..bytes.len());
                bytes[i] = rng.random();
            }
            2 => bytes.extend((0..rng.random_range(1..8)).map(|_| rng.random::<u8>())),
            _ => {
                let i = rng.random_range(0..bytes.len());
                bytes[i] ^= 1 << rng.random_range(0..8);
            }
        }
        if rng.random_bool(0.5) {
            bytes = gzip(&bytes);
            if rng.random_bool(0.5) {
                let i = rng.random_range(0..bytes.len());
                bytes[i] = rng.random();
            }
        }
        let path = file(&dir, name, &bytes);
        file(&dir, "f-labels-idx1-ubyte", &labels_ok);
        let ok = load_any::<f32>(&path, &CsvOptions::default()).is_ok()
            | load_idx::<f64>(&path, &IdxOptions { classes: Some(3), ..IdxOptions::default() })
                .is_ok()
            | load_csv::<f32>(&path, &CsvOptions::default()).is_ok();
        loaded += usize::from(ok);
    }
    // Some damage is harmless (a changed pixel); most is refused.
    assert!(loaded > 0 && loaded < 300, "{loaded}");
}

// ---------------------------------------------------------------------------------------
// Dataset helpers

fn counting(n: usize) -> Dataset<f64> {
    Dataset::new(
        Array2::from_shape_fn((n, 2), |(i, j)| (i * 2 + j) as f64),
        Array2::from_shape_fn((n, 1), |(i, _)| i as f64),
    )
    .unwrap()
}

#[test]
fn split_is_seeded_disjoint_and_complete() {
    let data = counting(10);
    let (train, validation) = data.split(0.3, 5).unwrap();
    assert_eq!((train.len(), validation.len()), (7, 3));
    assert_eq!(data.split(0.3, 5).unwrap(), (train.clone(), validation.clone()));
    assert_ne!(data.split(0.3, 6).unwrap().1, validation, "another seed, another split");
    // Each sample on exactly one side, each side in the original order.
    let mut seen: Vec<f64> = train.targets().iter().chain(validation.targets()).copied().collect();
    assert!(train.targets().as_slice().unwrap().is_sorted());
    assert!(validation.targets().as_slice().unwrap().is_sorted());
    seen.sort_by(f64::total_cmp);
    assert_eq!(seen, (0..10).map(f64::from).collect::<Vec<_>>());
    // Rows stay whole.
    for (x, y) in train.inputs().rows().into_iter().zip(train.targets()) {
        assert_eq!(x[0], y * 2.0);
    }
}

#[test]
fn split_fractions_that_leave_a_side_empty() {
    let data = counting(4);
    for fraction in [0.0, 1.0, -0.5, 1.5, f64::NAN, 0.1, 0.9] {
        let e = data.split(fraction, 0).unwrap_err();
        assert!(matches!(e, NetError::InvalidSplit { rows: 4, .. }), "{fraction}: {e:?}");
        assert!(e.to_string().contains("expected a validation fraction between 0 and 1"));
    }
}

#[test]
fn select_and_take() {
    let data = counting(5);
    assert_eq!(data.select(&[4, 1, 1]).unwrap().targets(), array![[4.0], [1.0], [1.0]]);
    let e = data.select(&[0, 5]).unwrap_err();
    assert!(matches!(e, NetError::RowIndex { index: 5, rows: 5 }), "{e:?}");
    assert!(e.to_string().contains("expected row indices below 5"));
    assert!(matches!(data.select(&[]), Err(NetError::EmptyData { .. })));
    assert_eq!(data.take(2).unwrap().targets(), array![[0.0], [1.0]]);
    assert_eq!(data.take(99).unwrap(), data);
    assert!(matches!(data.take(0), Err(NetError::EmptyData { .. })));
}

#[test]
fn normalize_maps_inputs_and_refuses_an_overflow_untouched() {
    let mut data =
        Dataset::new(array![[0.0_f32, 10.0], [255.0, 30.0]], array![[0.0], [1.0]]).unwrap();
    let standard = Normalization::fit(NormalizationKind::Standardize, data.inputs());
    data.normalize(&standard).unwrap();
    // Column 0: mean 127.5, spread 127.5; column 1: mean 20, spread 10.
    assert_eq!(data.inputs(), array![[-1.0, -1.0], [1.0, 1.0]]);

    let wrong = Normalization::none(3);
    assert!(matches!(data.normalize(&wrong), Err(NetError::InputWidth { expected: 3, found: 2 })));

    // A scale that is positive in f64 but 0 in f32 would make infinities: refused, and
    // the inputs left as they were.
    let tiny = Normalization::from_parts(
        NormalizationKind::Standardize,
        vec![0.0, 0.0],
        vec![1e-300, 1.0],
    )
    .unwrap();
    let before = data.clone();
    let e = data.normalize(&tiny).unwrap_err();
    assert!(matches!(e, NetError::NonFinite { row: 0, column: 0, .. }), "{e:?}");
    assert_eq!(data, before);
}

// ---------------------------------------------------------------------------------------
// The real MNIST

/// `../shared/data/mnist` from the workspace root, if present.
fn mnist_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/mnist");
    dir.is_dir().then_some(dir)
}

#[test]
fn real_mnist_loads() {
    let Some(dir) = mnist_dir() else {
        eprintln!("skipped: ../shared/data/mnist is absent (see docs/data.md to get MNIST)");
        return;
    };
    let options = IdxOptions::default();
    let train: Loaded<f32> = load_idx(&dir.join("train-images-idx3-ubyte.gz"), &options).unwrap();
    let test: Loaded<f32> =
        load_any(&dir.join("t10k-images-idx3-ubyte.gz"), &CsvOptions::default()).unwrap();
    for (loaded, n, first) in [(&train, 60_000, [5, 0, 4, 1, 9]), (&test, 10_000, [7, 2, 1, 0, 4])]
    {
        let data = &loaded.dataset;
        assert_eq!((data.len(), data.input_width(), data.target_width()), (n, 784, 10));
        assert_eq!(loaded.classes, Some(10));
        let labels: Vec<usize> = data
            .targets()
            .rows()
            .into_iter()
            .take(5)
            .map(|row| row.iter().position(|&v| v == 1.0).unwrap())
            .collect();
        assert_eq!(labels, first);
        let max = data.inputs().iter().fold(0.0_f32, |m, &v| m.max(v));
        assert_eq!(max, 255.0);
    }
}

// ---------------------------------------------------------------------------------------
// Inputs alone, for prediction

/// The inputs of `content`, written to `name`, for a model of `inputs` inputs.
fn inputs_of(
    name: &str,
    content: &[u8],
    options: &CsvOptions,
    inputs: usize,
) -> Result<Array2<f32>, DataError> {
    let dir = TempDir::new().unwrap();
    load_inputs(&file(&dir, name, content), options, inputs)
}

#[test]
fn inputs_csv_with_and_without_the_label_column() {
    let x = array![[1.0_f32, 2.5], [-3.0, 40.0]];
    let last = CsvOptions::default();
    let first = classes_at(LabelColumn::FIRST, Header::Auto);
    // Label last, label first, no label: the same inputs.
    assert_eq!(inputs_of("a.csv", b"1,2.5,0\n-3,4e1,1\n", &last, 2).unwrap(), x);
    assert_eq!(inputs_of("b.csv", b"0,1,2.5\n1,-3,4e1\n", &first, 2).unwrap(), x);
    assert_eq!(inputs_of("c.csv", b"1,2.5\n-3,4e1\n", &last, 2).unwrap(), x);
    assert_eq!(inputs_of("d.csv", b"1,2.5\n-3,4e1\n", &first, 2).unwrap(), x);
    // With a header, quoting, blank lines and spaces, and through gzip whatever the name.
    let text = b"a,b,label\n 1 ,\"2.5\",0\n\n-3,4e1,1\n";
    assert_eq!(inputs_of("e.csv", text, &last, 2).unwrap(), x);
    assert_eq!(inputs_of("e.csv.gz", &gzip(text), &last, 2).unwrap(), x);
    assert_eq!(inputs_of("e.csv", &gzip(text), &last, 2).unwrap(), x);
    assert_eq!(inputs_of("f.csv", &gzip(b"a,b\n1,2.5\n-3,40\n"), &last, 2).unwrap(), x);
    // A declared header is skipped even when numeric; an absent one is data.
    let numeric = b"7,8\n1,2.5\n-3,40\n";
    let present = classes_at(LabelColumn::LAST, Header::Present);
    assert_eq!(inputs_of("g.csv", numeric, &present, 2).unwrap(), x);
    let absent = classes_at(LabelColumn::LAST, Header::Absent);
    assert_eq!(inputs_of("g.csv", numeric, &absent, 2).unwrap().nrows(), 3);
    // A label column in the middle, by index and from the end.
    let middle = b"1,0,2.5\n-3,1,40\n";
    let index = classes_at(LabelColumn::Index(1), Header::Auto);
    assert_eq!(inputs_of("h.csv", middle, &index, 2).unwrap(), x);
    let from_end = classes_at(LabelColumn::FromEnd(2), Header::Auto);
    assert_eq!(inputs_of("h.csv", middle, &from_end, 2).unwrap(), x);
}

#[test]
fn inputs_match_the_inputs_load_csv_reads() {
    let dir = TempDir::new().unwrap();
    let data = Dataset::new(
        array![[0.1_f32, -2.5e-7, 3.0], [1.0 / 3.0, 1e30, -0.0]],
        array![[0.0_f32, 1.0], [1.0, 0.0]],
    )
    .unwrap();
    for label_column in [LabelColumn::FIRST, LabelColumn::LAST, LabelColumn::Index(1)] {
        for targets in [Targets::Classes { count: Some(2) }, Targets::Regression { columns: 2 }] {
            let options = CsvOptions { label_column, targets, ..CsvOptions::default() };
            let path = dir.path().join("d.csv.gz");
            write_csv(&path, &data, &options).unwrap();
            let inputs = load_inputs::<f32>(&path, &options, 3).unwrap();
            assert_eq!(inputs, data.inputs(), "{options:?}");
            assert_eq!(inputs, csv::<f32>(&path, &options).unwrap().dataset.inputs());
        }
    }
}

#[test]
fn inputs_csv_regression_block_dropped() {
    let regression = |label_column| CsvOptions {
        label_column,
        targets: Targets::Regression { columns: 2 },
        ..CsvOptions::default()
    };
    let rows = b"1,2,3,4\n5,6,7,8\n";
    // Four fields for 2 inputs: the two target columns, where the label column says, go.
    let last = inputs_of("r.csv", rows, &regression(LabelColumn::LAST), 2).unwrap();
    assert_eq!(last, array![[1.0, 2.0], [5.0, 6.0]]);
    let middle = inputs_of("r.csv", rows, &regression(LabelColumn::Index(1)), 2).unwrap();
    assert_eq!(middle, array![[1.0, 4.0], [5.0, 8.0]]);
    // Four fields for 4 inputs: all of them.
    let all = inputs_of("r.csv", rows, &regression(LabelColumn::LAST), 4).unwrap();
    assert_eq!(all, array![[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]);
    // Three fields are neither 2 nor 2 + 2.
    let e = err(inputs_of("r.csv", b"1,2,3\n", &regression(LabelColumn::LAST), 2));
    assert_says(
        &e,
        &["r.csv, line 1: expected 2 fields (the inputs) or 4 (the inputs and 2 target columns \
           ending at the last column); found 3"],
    );
}

#[test]
fn inputs_csv_labels_are_not_read() {
    // Labels that load_csv refuses (negative, fractional, beyond the count, text, NaN) are
    // dropped unread.
    let three =
        CsvOptions { targets: Targets::Classes { count: Some(3) }, ..CsvOptions::default() };
    let rows = b"x,y,label\n1,2,-1\n3,4,1.5\n5,6,7\n7,8,cat\n9,10,NaN\n";
    let e = csv_error(std::str::from_utf8(rows).unwrap(), &three);
    assert!(matches!(e, DataError::BadLabel { line: 2, .. }), "{e:?}");
    let x = inputs_of("l.csv", rows, &three, 2).unwrap();
    assert_eq!(x, array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]);
}

#[test]
fn inputs_idx_with_and_without_a_labels_file_beside() {
    for suffix in ["", ".gz"] {
        let dir = TempDir::new().unwrap();
        // With its labels beside it: the inputs load_idx reads, the labels unread.
        let path = idx_pair(&dir, suffix, 5);
        let expected = images(5, 3, 4).into_shape_with_order((5, 12)).unwrap().mapv(f32::from);
        let x = load_inputs::<f32>(&path, &CsvOptions::default(), 12).unwrap();
        assert_eq!(x, expected);
        let loaded: Loaded<f32> = load_idx(&path, &IdxOptions::default()).unwrap();
        assert_eq!(x, loaded.dataset.inputs());
        // Labels that do not match the images are not looked at either.
        write_idx_labels(&dir.path().join(format!("x-labels-idx1-ubyte{suffix}")), &[9]).unwrap();
        assert!(load_idx::<f32>(&path, &IdxOptions::default()).is_err());
        assert_eq!(
            load_inputs::<f64>(&path, &CsvOptions::default(), 12).unwrap(),
            x.mapv(f64::from)
        );
        // Alone, under a name that says nothing of labels, compressed or not.
        let alone = dir.path().join(format!("digits{suffix}"));
        write_idx_images(&alone, &images(5, 3, 4)).unwrap();
        assert!(matches!(
            err(load_idx::<f32>(&alone, &IdxOptions::default())),
            DataError::LabelsName { .. }
        ));
        assert_eq!(load_inputs::<f32>(&alone, &CsvOptions::default(), 12).unwrap(), x);
        // The targets of the options do not matter to an IDX file.
        let regression =
            CsvOptions { targets: Targets::Regression { columns: 3 }, ..CsvOptions::default() };
        assert_eq!(load_inputs::<f32>(&alone, &regression, 12).unwrap(), x);
    }
}

#[test]
fn inputs_of_the_wrong_width_are_refused() {
    let options = CsvOptions::default();
    // CSV: neither 3 fields nor 3 + 1; the line is the first row's, blank lines counted.
    let e = err(inputs_of("w.csv", b"\r\n\r\n1,2\r\n3,4\r\n", &options, 3));
    assert!(
        matches!(e, DataError::InputFields { line: 3, inputs: 3, with_targets: 4, found: 2, .. }),
        "{e:?}"
    );
    assert_says(
        &e,
        &["w.csv, line 3: expected 3 fields (the inputs) or 4 (the inputs and a label in the \
           last column); found 2"],
    );
    let e = err(inputs_of("w.csv", b"a,b,c,d,e\n1,2,3,4,5\n", &options, 1));
    assert_says(&e, &["line 1: expected 1 field (the inputs) or 2 (the inputs and a label"]);
    let first = classes_at(LabelColumn::Index(2), Header::Auto);
    let e = err(inputs_of("w.csv", b"1,2,3,4,5\n", &first, 3));
    assert_says(&e, &["or 4 (the inputs and a label in column 3 (counting from 1)); found 5"]);
    // A row of inputs and a label whose column is outside it.
    let outside = classes_at(LabelColumn::Index(7), Header::Auto);
    let e = err(inputs_of("w.csv", b"1,2,3\n", &outside, 2));
    assert!(matches!(e, DataError::Columns { line: 1, fields: 3, .. }), "{e:?}");
    assert_says(&e, &["line 1: expected a label in column 8 (counting from 1)"]);
    // No inputs at all.
    let e = err(inputs_of("w.csv", b"1\n", &options, 0));
    assert!(matches!(e, DataError::Options { .. }), "{e:?}");
    assert_says(&e, &["w.csv: expected at least 1 input; found 0"]);

    // IDX: images of 3×4 for a model of 784 inputs.
    let dir = TempDir::new().unwrap();
    let path = idx_pair(&dir, ".gz", 2);
    let e = err(load_inputs::<f32>(&path, &options, 784));
    assert!(matches!(e, DataError::IdxInputs { rows: 3, columns: 4, inputs: 784, .. }), "{e:?}");
    assert_says(
        &e,
        &["x-images-idx3-ubyte.gz, bytes 8-15 (rows, columns): expected images of 784 pixels, \
           one per input; found 3×4 = 12 pixels"],
    );
    // A labels file is not an images file.
    let labels_path = dir.path().join("x-labels-idx1-ubyte.gz");
    let e = err(load_inputs::<f32>(&labels_path, &options, 1));
    assert_says(&e, &["x-labels-idx1-ubyte.gz, byte 3", "(is this a labels file?)"]);
}

#[test]
fn inputs_csv_bad_rows_are_named() {
    let options = CsvOptions::default();
    // Ragged, against a first row of inputs alone and of inputs and label.
    let e = err(inputs_of("bad.csv", b"x,y\n1,2\n3,4,0\n", &options, 2));
    assert!(matches!(e, DataError::Ragged { line: 3, expected: 2, found: 3, .. }), "{e:?}");
    assert_says(&e, &["bad.csv, line 3: expected 2 fields, as on line 1; found 3"]);
    let e = err(inputs_of("bad.csv", b"1,2,0\n3,4\n", &options, 2));
    assert_says(&e, &["bad.csv, line 2: expected 3 fields, as on line 1; found 2"]);
    // NaN, infinity, text and an f32 overflow among the inputs.
    let e = err(inputs_of("bad.csv", b"x,y\n1,2\n3,NaN\n", &options, 2));
    assert!(matches!(e, DataError::NotFinite { line: 3, column: 2, .. }), "{e:?}");
    assert_says(&e, &["bad.csv, line 3, column 2: expected a finite number; found NaN"]);
    let e = err(inputs_of("bad.csv", b"inf,2,0\n", &options, 2));
    assert_says(&e, &["line 1, column 1: expected a finite number; found inf"]);
    let e = err(inputs_of("bad.csv", b"1,2,0\n1,x2,0\n", &options, 2));
    assert_says(&e, &["bad.csv, line 2, column 2: expected a number; found \"x2\""]);
    let e = err(inputs_of("bad.csv", b"1,1e300\n", &options, 2));
    assert_says(&e, &["column 2: expected a number within the range of f32; found 1e300"]);
    // Files without rows.
    let e = err(inputs_of("bad.csv", b"", &options, 2));
    assert_says(&e, &["bad.csv: the file is empty; expected rows of numbers"]);
    let e = err(inputs_of("bad.csv", b"a,b\n", &options, 2));
    assert_says(&e, &["bad.csv: only a header line (line 1); expected rows of data after it"]);
    // Options that fit no file, as load_csv refuses them.
    let zero = CsvOptions { targets: Targets::Regression { columns: 0 }, ..options };
    assert_says(&err(inputs_of("bad.csv", b"1,2\n", &zero, 2)), &["at least 1 regression"]);
}

#[test]
fn inputs_over_the_memory_limit() {
    // CSV: 10 rows of 3 f32 inputs are 120 bytes.
    let small = CsvOptions { memory_limit: 64, ..CsvOptions::default() };
    let rows: String = (0..10).map(|i| format!("{i},{i},{i},1\n")).collect();
    let e = err(inputs_of("big.csv", rows.as_bytes(), &small, 3));
    assert!(matches!(e, DataError::TooLarge { limit: 64, .. }), "{e:?}");
    assert_says(&e, &["big.csv: line 6: 6 rows so far would take 72 bytes", "limit is 64"]);
    let roomy = CsvOptions { memory_limit: 120, ..CsvOptions::default() };
    assert_eq!(inputs_of("big.csv", rows.as_bytes(), &roomy, 3).unwrap().nrows(), 10);
    // IDX: a header of 60000 images of 28×28, refused from the header alone.
    let dir = TempDir::new().unwrap();
    let path = claims_60000_images(&dir);
    let options = CsvOptions { memory_limit: 1 << 20, ..CsvOptions::default() };
    let e = err(load_inputs::<f32>(&path, &options, 784));
    // 60000 · 784 · 4 bytes of f32.
    assert_says(&e, &["60000 images of 28×28 would take 188160000 bytes", "limit is 1048576"]);
    // Within the limit, the stream is found short where it ends.
    let e = err(load_inputs::<f32>(&path, &CsvOptions::default(), 784));
    assert_says(&e, &["ended at byte 50016 inside the pixels; expected 47040016 bytes in all"]);
}
