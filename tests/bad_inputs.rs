//! The `nn` command against a catalogue of bad inputs: missing, empty, damaged and
//! mismatched data and model files, unwritable output paths, bad numbers in flags, unknown
//! and conflicting flags. Each must end with a non-zero exit and one line on stderr that
//! names the problem, never a panic, and must leave the files around it as they were.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The arguments of one case: `{d}` stands for the fixtures' directory.
struct Case {
    name: &'static str,
    args: &'static str,
    /// A piece of the one line on stderr that names the problem.
    expected: &'static str,
}

const fn case(name: &'static str, args: &'static str, expected: &'static str) -> Case {
    Case { name, args, expected }
}

/// Every case, run against the fixtures of [`fixtures`].
const CASES: &[Case] = &[
    // The command line itself.
    case("unknown subcommand", "frobnicate", "unrecognized subcommand 'frobnicate'"),
    case("unknown flag", "train --train {d}/good.csv --arch 2-4-3 --frob", "'--frob'"),
    case("required flags missing", "train", "required arguments were not provided: --train"),
    case("eval without data", "eval --model {d}/model.safetensors", "--data"),
    case("demo without a lesson", "demo", "requires a subcommand"),
    case("unknown lesson", "demo nope", "unrecognized subcommand 'nope'"),
    // Data files.
    case("missing data file", "train --train {d}/nope.csv --arch 2-4-3", "cannot open"),
    case("directory as data", "train --train {d}/folder --arch 2-4-3", "is a directory"),
    case("empty file", "train --train {d}/empty.csv --arch 2-4-3", "the file is empty"),
    case("header only", "train --train {d}/header.csv --arch 2-4-3", "only a header line"),
    case(
        "NaN in data",
        "train --train {d}/nan.csv --arch 2-4-3 --save {d}/out.safetensors",
        "found NaN",
    ),
    case("inf in data", "train --train {d}/inf.csv --arch 2-4-3", "found inf"),
    case("overflowing number", "train --train {d}/huge.csv --arch 2-4-3", "found 1e999"),
    case("text in data", "train --train {d}/text.csv --arch 2-4-3", "expected a number"),
    case("ragged rows", "train --train {d}/ragged.csv --arch 2-4-3", "expected 3 fields"),
    case("fractional label", "train --train {d}/fraction.csv --arch 2-4-3", "class label"),
    case("negative label", "train --train {d}/negative.csv --arch 2-4-3", "class label"),
    case("binary junk as CSV", "train --train {d}/junk.bin --arch 2-4-3", "junk.bin"),
    case("gzip garbage", "train --train {d}/junk.csv.gz --arch 2-4-3", "gzip"),
    case(
        "test width against train",
        "train --train {d}/good.csv --test {d}/wide.csv --arch 2-4-3 --save {d}/out.safetensors",
        "--test: expected 2 input columns",
    ),
    case(
        "width against --arch",
        "train --train {d}/good.csv --arch 5-4-3 --save {d}/out.safetensors",
        "--arch: expected 2",
    ),
    case("classes against --arch", "train --train {d}/good.csv --arch 2-4-7", "3 outputs"),
    case(
        "label column outside",
        "train --train {d}/good.csv --arch 2-4-3 --label-column 9",
        "column",
    ),
    case(
        "regression too wide",
        "train --train {d}/good.csv --arch 2-4-3 --regression 5",
        "5 target",
    ),
    case("IDX wrong magic", "train --train {d}/magic-images-idx3-ubyte --arch 2-3", "labels file"),
    case(
        "IDX element type",
        "train --train {d}/float-images-idx3-ubyte --arch 2-3",
        "element type",
    ),
    case("IDX truncated", "train --train {d}/short-images-idx3-ubyte --arch 2-3", "ended at byte"),
    case(
        "IDX labels missing",
        "train --train {d}/lone-images-idx3-ubyte --arch 2-3",
        "no labels file",
    ),
    case("IDX count mismatch", "train --train {d}/count-images-idx3-ubyte --arch 2-3", "3 labels"),
    case(
        "IDX label too big",
        "eval --model {d}/model.safetensors --data {d}/nine-images-idx3-ubyte",
        "below 3",
    ),
    case(
        "IDX regression",
        "train --train {d}/t-images-idx3-ubyte --arch 2-3 --regression 1",
        "class targets",
    ),
    case(
        "label beyond the model",
        "eval --model {d}/model.safetensors --data {d}/seven.csv",
        "0 to 2",
    ),
    case(
        "NaN in predict data",
        "predict --model {d}/model.safetensors --data {d}/nan.csv",
        "found NaN",
    ),
    // Model files.
    case(
        "missing model",
        "eval --model {d}/nope.safetensors --data {d}/good.csv",
        "nope.safetensors",
    ),
    case("directory as model", "predict --model {d}/folder --data {d}/good.csv", "is a directory"),
    case("empty model", "eval --model {d}/empty.csv --data {d}/good.csv", "damaged safetensors"),
    case("CSV as model", "eval --model {d}/good.csv --data {d}/good.csv", "damaged safetensors"),
    case(
        "truncated model",
        "eval --model {d}/truncated.safetensors --data {d}/good.csv",
        "damaged",
    ),
    case(
        "flipped header bytes",
        "eval --model {d}/flipped.safetensors --data {d}/good.csv",
        "damaged",
    ),
    case("NaN weights", "predict --model {d}/nan-weights.safetensors --data {d}/good.csv", "NaN"),
    case(
        "unknown loss",
        "eval --model {d}/bad-loss.safetensors --data {d}/good.csv",
        "metadata loss",
    ),
    case(
        "arch against tensors",
        "eval --model {d}/bad-arch.safetensors --data {d}/good.csv",
        "shape",
    ),
    case("unknown dtype", "eval --model {d}/bad-dtype.safetensors --data {d}/good.csv", "dtype"),
    case(
        "another architecture",
        "eval --model {d}/wide.safetensors --data {d}/good.csv",
        "4 input columns",
    ),
    case(
        "another width to predict",
        "predict --model {d}/wide.safetensors --data {d}/good.csv",
        "4",
    ),
    // Output paths.
    case(
        "save under a file",
        "train --train {d}/good.csv --arch 2-4-3 --save {d}/good.csv/m.safetensors",
        "good.csv is not a directory",
    ),
    case(
        "save to a directory",
        "train --train {d}/good.csv --arch 2-4-3 --save {d}/folder",
        "a directory",
    ),
    case(
        "plot under a file",
        "train --train {d}/good.csv --arch 2-4-3 --plot {d}/good.csv/c.svg",
        "--plot",
    ),
    case(
        "plot format",
        "train --train {d}/good.csv --arch 2-4-3 --plot {d}/costs.pdf",
        ".svg or .png",
    ),
    case(
        "checkpoint under a file",
        "train --train {d}/good.csv --arch 2-4-3 --checkpoint {d}/good.csv/ck",
        "checkpoint",
    ),
    case(
        "checkpoint is a file",
        "train --train {d}/good.csv --arch 2-4-3 --checkpoint {d}/good.csv",
        "checkpoint",
    ),
    // Resuming.
    case(
        "resume from nowhere",
        "train --train {d}/good.csv --arch 2-4-3 --resume {d}/nope",
        "checkpoint",
    ),
    case(
        "resume damaged",
        "train --train {d}/good.csv --arch 2-4-3 --resume {d}/damaged-checkpoint",
        "checkpoint",
    ),
    case(
        "resume another arch",
        "train --train {d}/good.csv --arch 2-5-3 --resume {d}/checkpoint --save {d}/out.safetensors",
        "architecture",
    ),
    case(
        "resume another dtype",
        "train --train {d}/good.csv --arch 2-4-3 --dtype f64 --resume {d}/checkpoint",
        "f32",
    ),
    // Numbers in flags.
    case("epochs negative", "train --train {d}/good.csv --arch 2-4-3 --epochs -1", "'--epochs"),
    case(
        "epochs zero",
        "train --train {d}/good.csv --arch 2-4-3 --epochs 0",
        "--epochs: expected at least 1",
    ),
    case("epochs text", "train --train {d}/good.csv --arch 2-4-3 --epochs ten", "'--epochs"),
    case(
        "epochs too large",
        "train --train {d}/good.csv --arch 2-4-3 --epochs 99999999999999999999999",
        "too large",
    ),
    // --json: no progress lines on stderr before the error.
    case(
        "diverging run",
        "train --train {d}/good.csv --arch 2-4-3 --rate 1e30 --json --save {d}/out.safetensors",
        "diverged",
    ),
    case(
        "rate NaN",
        "train --train {d}/good.csv --arch 2-4-3 --rate nan",
        "--rate: expected a positive number",
    ),
    case("rate inf", "train --train {d}/good.csv --arch 2-4-3 --rate inf", "--rate"),
    case("rate overflowing", "train --train {d}/good.csv --arch 2-4-3 --rate 1e400", "--rate"),
    case("rate negative", "train --train {d}/good.csv --arch 2-4-3 --rate -0.5", "--rate"),
    case(
        "batch zero",
        "train --train {d}/good.csv --arch 2-4-3 --batch 0",
        "--batch: expected at least 1",
    ),
    case("batch negative", "train --train {d}/good.csv --arch 2-4-3 --batch -8", "'--batch"),
    case("threads zero", "train --train {d}/good.csv --arch 2-4-3 --threads 0", "--threads"),
    case(
        "threads huge",
        "train --train {d}/good.csv --arch 2-4-3 --threads 100000",
        "--threads: expected 1 to",
    ),
    case("seed negative", "train --train {d}/good.csv --arch 2-4-3 --seed -3", "'--seed"),
    case("seed fractional", "train --train {d}/good.csv --arch 2-4-3 --seed 1.5", "'--seed"),
    case(
        "validation NaN",
        "train --train {d}/good.csv --arch 2-4-3 --validation nan",
        "--validation",
    ),
    case(
        "weight decay negative",
        "train --train {d}/good.csv --arch 2-4-3 --weight-decay -1",
        "--weight-decay",
    ),
    case("clip norm zero", "train --train {d}/good.csv --arch 2-4-3 --clip-norm 0", "--clip-norm"),
    case("limit zero", "train --train {d}/good.csv --arch 2-4-3 --limit 0", "--limit"),
    case("arch zero width", "train --train {d}/good.csv --arch 2-0-3", "0"),
    case("arch one size", "train --train {d}/good.csv --arch 2", "architecture"),
    case("arch not numbers", "train --train {d}/good.csv --arch 2-x-3", "not a whole number"),
    case(
        "arch too large",
        "train --train {d}/good.csv --arch 2-1000000000000-3",
        "of memory; the limit is",
    ),
    case("unknown dtype flag", "train --train {d}/good.csv --arch 2-4-3 --dtype f16", "f16"),
    case(
        "unknown normalization",
        "train --train {d}/good.csv --arch 2-4-3 --normalize zscore",
        "zscore",
    ),
    case(
        "unknown optimizer",
        "train --train {d}/good.csv --arch 2-4-3 --optimizer adagrad",
        "adagrad",
    ),
    case(
        "eval threads huge",
        "eval --model {d}/model.safetensors --data {d}/good.csv --threads 5000",
        "--threads",
    ),
    // Flags that do not go together.
    case(
        "test and validation",
        "train --train {d}/good.csv --test {d}/good.csv --validation 0.2 --arch 2-4-3",
        "--validation",
    ),
    case(
        "patience unwatched",
        "train --train {d}/good.csv --arch 2-4-3 --patience 2",
        "--patience",
    ),
    case(
        "every without checkpoint",
        "train --train {d}/good.csv --arch 2-4-3 --every 2",
        "--checkpoint",
    ),
    case(
        "loss against output",
        "train --train {d}/good.csv --arch 2-4-3 --loss bce --save {d}/out.safetensors",
        "loss bce expects a sigmoid",
    ),
    // nn bench and nn demo.
    case("bench threads zero", "bench --threads 0", "thread counts of at least 1"),
    case("bench threads huge", "bench --threads 1,5000", "5000"),
    case(
        "bench batch too large",
        "bench --batch 1000000000000000 --steps 1",
        "of memory; the limit is",
    ),
    case(
        "bench arch too large",
        "bench --arch 2-100000000000-3 --steps 1",
        "of memory; the limit is",
    ),
    case("bench seconds NaN", "bench --seconds nan", "--seconds"),
    case("bench steps and seconds", "bench --steps 1 --seconds 1", "cannot be used with"),
    case("demo rate inf", "demo xor --rate inf", "learning rate"),
    case("demo hidden too large", "demo adder --hidden 100000000000", "--hidden"),
    case("demo epochs text", "demo twice --epochs lots", "'--epochs"),
];

fn nn(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nn")).args(args).output().expect("the nn binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `rows` samples of two inputs in three classes around their centres, with a header.
fn clusters(rows: usize, inputs: usize) -> String {
    let mut csv = String::new();
    for i in 0..rows {
        let class = i % 3;
        for j in 0..inputs {
            // A fixed scatter around the class's centre: no randomness in the test.
            let v = class as f64 + ((i * 37 + j * 61) % 101) as f64 / 101.0 - 0.5;
            write!(csv, "{v},").unwrap();
        }
        writeln!(csv, "{class}").unwrap();
    }
    csv
}

/// An IDX images file of `count` images of 1 × 2 pixels, with the header bytes given.
fn idx_images(head: [u8; 4], count: u32, pixels: usize) -> Vec<u8> {
    let mut bytes = head.to_vec();
    for v in [count, 1, 2] {
        bytes.extend_from_slice(&v.to_be_bytes());
    }
    bytes.extend((0..pixels).map(|p| (p * 37 % 256) as u8));
    bytes
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, 1];
    bytes.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    bytes.extend_from_slice(labels);
    bytes
}

/// `bytes` with the first `from` replaced by `to`, which has its length (so that the
/// safetensors header's offsets still hold).
fn replaced(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes.windows(from.len()).position(|w| w == from.as_bytes()).expect(from);
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to.as_bytes());
    out
}

fn run_ok(args: &[&str]) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = nn(&args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
}

/// The files the cases read: good ones (and a model and a checkpoint trained on them) and
/// bad ones.
fn fixtures(d: &Path) {
    let write = |name: &str, bytes: &[u8]| fs::write(d.join(name), bytes).unwrap();
    let good = clusters(30, 2);
    write("good.csv", format!("x,y,class\n{good}").as_bytes());
    write("wide.csv", clusters(30, 4).as_bytes());
    fs::create_dir(d.join("folder")).unwrap();
    write("empty.csv", b"");
    write("header.csv", b"x,y,class\n");
    write("nan.csv", b"1,2,0\n1,NaN,1\n");
    write("inf.csv", b"1,2,0\n1,inf,1\n");
    write("huge.csv", b"1,2,0\n1,1e999,1\n");
    write("text.csv", b"1,2,0\n1,two,1\n");
    write("ragged.csv", b"1,2,0\n1,1\n");
    write("fraction.csv", b"1,2,0\n1,1,1.5\n");
    write("negative.csv", b"1,2,0\n1,1,-1\n");
    write("seven.csv", b"1,2,0\n1,1,7\n");
    write("junk.bin", &[0xff, 0xfe, 0x00, 0x01, 0x80, 0x90, b'\n', 0xc3, 0x28, b'\n']);
    let mut gzip = vec![0x1f, 0x8b, 8, 0];
    gzip.extend((0..40_u32).map(|i| (i * 97 % 251) as u8));
    write("junk.csv.gz", &gzip);
    write("t-images-idx3-ubyte", &idx_images([0, 0, 8, 3], 4, 8));
    write("t-labels-idx1-ubyte", &idx_labels(&[0, 1, 2, 1]));
    write("magic-images-idx3-ubyte", &idx_images([0, 0, 8, 1], 4, 8));
    write("float-images-idx3-ubyte", &idx_images([0, 0, 0x0d, 3], 4, 32));
    write("short-images-idx3-ubyte", &idx_images([0, 0, 8, 3], 10, 5));
    write("short-labels-idx1-ubyte", &idx_labels(&[0; 10]));
    write("lone-images-idx3-ubyte", &idx_images([0, 0, 8, 3], 4, 8));
    write("count-images-idx3-ubyte", &idx_images([0, 0, 8, 3], 4, 8));
    write("count-labels-idx1-ubyte", &idx_labels(&[0, 1, 2]));
    write("nine-images-idx3-ubyte", &idx_images([0, 0, 8, 3], 4, 8));
    write("nine-labels-idx1-ubyte", &idx_labels(&[0, 1, 9, 1]));

    let path = |name: &str| d.join(name).to_str().unwrap().to_owned();
    let (good, model, checkpoint) =
        (path("good.csv"), path("model.safetensors"), path("checkpoint"));
    run_ok(&["train", "--train", &good, "--arch", "2-4-3", "--epochs", "2", "--save", &model]);
    run_ok(&[
        "train",
        "--train",
        &good,
        "--arch",
        "2-4-3",
        "--epochs",
        "1",
        "--checkpoint",
        &checkpoint,
    ]);
    let wide = (path("wide.csv"), path("wide.safetensors"));
    run_ok(&["train", "--train", &wide.0, "--arch", "4-4-3", "--epochs", "1", "--save", &wide.1]);

    let model = fs::read(&model).unwrap();
    write("truncated.safetensors", &model[..40]);
    let mut flipped = model.clone();
    for b in &mut flipped[8..24] {
        *b ^= 0xa5; // the start of the JSON header
    }
    write("flipped.safetensors", &flipped);
    let mut nan_weights = model.clone();
    let end = nan_weights.len();
    nan_weights[end - 4..].copy_from_slice(&f32::NAN.to_le_bytes()); // the last weight
    write("nan-weights.safetensors", &nan_weights);
    write("bad-loss.safetensors", &replaced(&model, "\"loss\":\"ce\"", "\"loss\":\"xx\""));
    write("bad-arch.safetensors", &replaced(&model, "\"2-4-3\"", "\"2-5-3\""));
    write("bad-dtype.safetensors", &replaced(&model, "\"dtype\":\"f32\"", "\"dtype\":\"f16\""));
    let saved = fs::read(d.join("checkpoint/checkpoint.safetensors")).unwrap();
    fs::create_dir(d.join("damaged-checkpoint")).unwrap();
    write("damaged-checkpoint/checkpoint.safetensors", &saved[..saved.len() / 2]);
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.insert(path.clone(), Vec::new());
                pending.push(path);
            } else {
                files.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn every_bad_input_is_one_line_naming_the_problem_and_changes_nothing() {
    let mut names: Vec<&str> = CASES.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert!(names.len() == CASES.len() && names.len() >= 30, "distinct case names");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    fixtures(dir.path());
    let mut before = snapshot(dir.path());
    let mut failures = Vec::new();
    for case in CASES {
        let args: Vec<String> = case.args.split_whitespace().map(|a| a.replace("{d}", d)).collect();
        let out = nn(&args);
        let stderr = text(&out.stderr);
        let mut wrong = Vec::new();
        if out.status.success() {
            wrong.push("exited with success".to_owned());
        }
        if stderr.contains("panicked") {
            wrong.push("panicked".to_owned());
        }
        let lines: Vec<&str> = stderr.lines().collect();
        if lines.len() != 1 || lines[0].trim().is_empty() {
            wrong.push(format!("{} lines on stderr, not one", lines.len()));
        }
        if !stderr.contains(case.expected) {
            wrong.push(format!("no {:?} in the message", case.expected));
        }
        let after = snapshot(dir.path());
        if after != before {
            wrong.push("changed the files around it".to_owned());
            before = after; // so that the next cases are judged on their own
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{}: {} ({args:?})\n  stderr: {stderr}",
                case.name,
                wrong.join(", ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// `nn … | head -1` closes stdout early: the write fails with a broken pipe, which must be
/// an error line, not `print!`'s panic.
#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    fixtures(dir.path());
    for args in [
        "demo xor --epochs 50",
        "demo adder --max-epochs 50",
        "train --train {d}/good.csv --arch 2-4-3 --epochs 1 --json",
        "eval --model {d}/model.safetensors --data {d}/good.csv",
        "predict --model {d}/model.safetensors --data {d}/good.csv",
        "bench --preset xor --threads 1 --steps 1",
    ] {
        let args: Vec<String> = args.split_whitespace().map(|a| a.replace("{d}", d)).collect();
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_nn"))
            .args(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.trim_end().ends_with("Broken pipe (os error 32)"), "{args:?}: {stderr}");
    }
}
