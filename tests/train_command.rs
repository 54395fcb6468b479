//! `nn train`, `nn eval` and `nn predict` end to end on small generated CSV files: the
//! JSON summary, a saved model used again, checkpoints resumed to the same bytes, plots,
//! and clear refusals of bad flags before any work is done.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nn")).args(args).output().expect("the nn binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `rows` samples of two inputs in three classes, each class a cluster around its own
/// centre, with a header line; deterministic.
fn clusters(dir: &Path, rows: usize) -> PathBuf {
    let centres = [(0.0, 0.0), (3.0, 0.5), (1.0, 3.0)];
    let mut csv = String::from("x,y,class\n");
    for i in 0..rows {
        let class = i % 3;
        let (cx, cy) = centres[class];
        // A fixed scatter from a small linear congruence: no randomness in the test.
        let dx = ((i * 37 % 101) as f64 / 101.0 - 0.5) * 1.2;
        let dy = ((i * 61 % 103) as f64 / 103.0 - 0.5) * 1.2;
        writeln!(csv, "{},{},{class}", cx + dx, cy + dy).unwrap();
    }
    let path = dir.join("clusters.csv");
    fs::write(&path, csv).unwrap();
    path
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON object: {stdout}");
    serde_json::from_str(lines[0]).expect("JSON")
}

#[test]
fn train_saves_a_model_that_eval_and_predict_use() {
    let dir = tempfile::tempdir().unwrap();
    let data = clusters(dir.path(), 300);
    let model = dir.path().join("model.safetensors");
    let plot = dir.path().join("costs.svg");
    let out = nn(&[
        "train",
        "--train",
        data.to_str().unwrap(),
        "--validation",
        "0.2",
        "--arch",
        "2-16-3",
        "--epochs",
        "40",
        "--batch",
        "16",
        "--normalize",
        "standardize",
        "--rate",
        "0.01",
        "--save",
        model.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
        "--json",
    ]);
    let report = json(&out);
    for key in ["epochs", "train_cost", "test_cost", "test_accuracy", "seconds", "samples_per_s"] {
        assert!(!report[key].is_null(), "{key} missing: {report}");
    }
    assert_eq!(report["epochs"], 40);
    assert!(report["test_accuracy"].as_f64().unwrap() > 0.9, "{report}");
    assert!(fs::read_to_string(&plot).unwrap().contains("validation"));

    let out = nn(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--json",
    ]);
    let eval = json(&out);
    assert_eq!(eval["samples"], 300);
    assert_eq!(eval["loss"], "ce");
    assert!(eval["accuracy"].as_f64().unwrap() > 0.9, "{eval}");
    let confusion = eval["confusion"].as_array().unwrap();
    let total: u64 =
        confusion.iter().flat_map(|r| r.as_array().unwrap()).map(|c| c.as_u64().unwrap()).sum();
    assert_eq!((confusion.len(), total), (3, 300));

    let out = nn(&["eval", "--model", model.to_str().unwrap(), "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("confusion matrix"), "{}", text(&out.stdout));

    let out =
        nn(&["predict", "--model", model.to_str().unwrap(), "--data", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 300);
    let right = lines
        .iter()
        .enumerate()
        .filter(|(i, line)| line.split('\t').next() == Some(&(i % 3).to_string()))
        .count();
    assert!(right > 270, "{right} of 300 predicted right");

    // The same samples without their label column: the same predictions.
    let unlabelled = dir.path().join("unlabelled.csv");
    let inputs: String = fs::read_to_string(&data)
        .unwrap()
        .lines()
        .map(|line| line.rsplit_once(',').unwrap().0.to_owned() + "\n")
        .collect();
    fs::write(&unlabelled, inputs).unwrap();
    let out = nn(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--data",
        unlabelled.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), stdout);
    // Each line: the class, a tab, then three probabilities that sum to 1.
    let sum: f64 =
        lines[0].split('\t').nth(1).unwrap().split(' ').map(|p| p.parse::<f64>().unwrap()).sum();
    assert!((sum - 1.0).abs() < 1e-4, "{}", lines[0]);
}

#[test]
fn a_resumed_run_saves_the_same_model_as_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = clusters(dir.path(), 120);
    let data = data.to_str().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let common =
        ["--train", data, "--arch", "2-8-3", "--batch", "7", "--optimizer", "adam", "--seed", "5"];
    let run = |extra: &[&str]| {
        let mut args = vec!["train"];
        args.extend_from_slice(&common);
        args.extend_from_slice(extra);
        let out = nn(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    };
    run(&["--epochs", "9", "--save", &path("straight.safetensors")]);
    run(&["--epochs", "5", "--checkpoint", &path("checkpoints"), "--every", "2"]);
    run(&[
        "--epochs",
        "9",
        "--resume",
        &path("checkpoints"),
        "--save",
        &path("resumed.safetensors"),
    ]);
    let straight = fs::read(path("straight.safetensors")).unwrap();
    let resumed = fs::read(path("resumed.safetensors")).unwrap();
    assert!(straight == resumed, "the resumed run's model differs from the uninterrupted one's");

    // A resume with another setting is refused, naming it.
    let out = nn(&[
        "train",
        "--train",
        data,
        "--arch",
        "2-8-3",
        "--batch",
        "7",
        "--optimizer",
        "sgd",
        "--seed",
        "5",
        "--epochs",
        "9",
        "--resume",
        &path("checkpoints"),
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("optimizer") && !stderr.contains("panicked"), "{stderr}");
}

#[test]
fn regression_targets_train_with_squared_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::new();
    for i in 0..200 {
        let x = i as f64 / 100.0 - 1.0;
        writeln!(csv, "{x},{}", 0.5 * x + 0.25).unwrap();
    }
    let data = dir.path().join("line.csv");
    fs::write(&data, csv).unwrap();
    let out = nn(&[
        "train",
        "--train",
        data.to_str().unwrap(),
        "--regression",
        "1",
        "--arch",
        "1-1",
        "--optimizer",
        "sgd",
        "--rate",
        "0.1",
        "--epochs",
        "50",
        "--batch",
        "20",
        "--json",
    ]);
    let report = json(&out);
    assert!(report["train_cost"].as_f64().unwrap() < 1e-4, "{report}");
    assert!(report["test_accuracy"].is_null());
}

#[test]
fn bad_flags_are_refused_with_a_line_that_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = clusters(dir.path(), 30);
    let data = data.to_str().unwrap();
    let missing = dir.path().join("nope.csv");
    let nowhere = dir.path().join("no/such/dir/model.safetensors");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--arch", "3-4-3"], "--arch: expected 2 inputs"),
        (vec!["--arch", "2-4-5"], "--arch: expected 3 outputs"),
        (vec!["--arch", "2-4-3", "--validation", "1.5"], "--validation: expected a fraction"),
        (vec!["--arch", "2-4-3", "--patience", "3"], "--patience: expected --test or --validation"),
        (
            vec!["--arch", "2-4-3", "--checkpoint", "c", "--every", "0"],
            "--every: expected at least 1",
        ),
        (vec!["--arch", "2-4-3", "--epochs", "0"], "--epochs: expected at least 1"),
        (vec!["--arch", "2-4-3", "--rate", "-1"], "--rate: expected a positive number"),
        (vec!["--arch", "2-4-3", "--optimizer", "adagrad"], "adagrad"),
        (vec!["--arch", "2-4-3", "--plot", "costs.pdf"], "expected a .svg or .png file"),
        (
            vec!["--arch", "2-4-3", "--save", nowhere.to_str().unwrap()],
            "--save: expected a path in an existing directory",
        ),
        (vec!["--arch", "2-4-3", "--loss", "bce"], "loss bce expects a sigmoid output layer"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["train", "--train", data];
        args.extend(extra);
        let out = nn(&args);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: one line, not {stderr}");
    }
    let out = nn(&["train", "--train", missing.to_str().unwrap(), "--arch", "2-4-3"]);
    assert!(text(&out.stderr).contains("cannot open"), "{}", text(&out.stderr));
    let out = nn(&["eval", "--model", missing.to_str().unwrap(), "--data", data]);
    assert!(
        !out.status.success() && text(&out.stderr).contains("nope.csv"),
        "{}",
        text(&out.stderr)
    );
}
