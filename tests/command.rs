//! The `nn` command end to end: each lesson runs, bad flags and settings give a clear
//! error and a non-zero exit, and nothing panics.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::process::{Command, Output};

fn nn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nn")).args(args).output().expect("the nn binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_lesson_runs_in_a_short_mode() {
    for args in [
        &["demo", "twice", "--epochs", "50"][..],
        &["demo", "gates", "--epochs", "50"],
        &["demo", "chain", "--epochs", "50"],
        &["demo", "xor", "--epochs", "50"],
        &["demo", "adder", "--max-epochs", "50"],
        &["demo", "fd_vs_gd", "--epochs", "50"],
        &["demo", "fd-vs-gd", "--epochs", "50", "--json"],
    ] {
        let out = nn(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(!out.stdout.is_empty(), "{args:?} printed nothing");
    }
}

#[test]
fn fd_vs_gd_json_is_one_object_per_method() {
    let out = nn(&["demo", "fd_vs_gd", "--epochs", "100", "--json"]);
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, method) in lines.iter().zip(["fd", "bp"]) {
        assert!(line.starts_with(&format!(r#"{{"method":"{method}","epochs":100,"#)), "{line}");
        assert!(line.contains(r#""seconds":"#) && line.contains(r#""cost":"#), "{line}");
    }
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let cases: [(&[&str], &str); 8] = [
        (&["demo", "xor", "--rate", "nan"], "learning rate"),
        (&["demo", "xor", "--rate", "-1"], "learning rate"),
        (&["demo", "gates", "--rate", "0"], "learning rate"),
        (&["demo", "adder", "--bits", "0"], "--bits"),
        (&["demo", "adder", "--bits", "11"], "--bits"),
        (&["demo", "adder", "--hidden", "0"], "--hidden"),
        (&["demo", "xor", "--epochs", "many"], "invalid value"),
        (&["demo", "nope"], "unrecognized subcommand"),
    ];
    for (args, expected) in cases {
        let out = nn(args);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn bench_reports_every_thread_count_with_the_same_checksum() {
    let out = nn(&[
        "bench",
        "--arch",
        "64-128-10",
        "--batch",
        "200",
        "--chunk-rows",
        "16",
        "--max-chunks",
        "100",
        "--threads",
        "1,2,3",
        "--steps",
        "5",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    for (row, threads) in rows.iter().zip([1, 2, 3]) {
        assert_eq!(row["threads"], threads);
        assert_eq!(row["arch"], "64-128-10");
        assert_eq!(row["batch"], 200);
        assert_eq!(row["dtype"], "f32");
        assert_eq!(row["chunks"], 12); // 200 rows in chunks of at least 16: 16 or 17 rows
        assert!(row["samples_per_s"].as_f64().is_some_and(|v| v > 0.0), "{row}");
        assert!(row["gflops"].as_f64().is_some_and(|v| v > 0.0), "{row}");
        // The batch was split (12 chunks), and every thread count ends on the same
        // parameters, to the last bit.
        assert_eq!(row["checksum"], rows[0]["checksum"], "{stdout}");
    }
}

#[test]
fn bench_rounds_report_the_median_round_and_the_spread() {
    let out = nn(&[
        "bench",
        "--preset",
        "xor",
        "--threads",
        "1,2",
        "--rounds",
        "3",
        "--steps",
        "50",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object a line")).collect();
    assert_eq!(rows.len(), 2, "one row per thread count, not per round: {stdout}");
    for row in &rows {
        assert_eq!(row["rounds"], 3);
        let [low, mid, high] =
            ["samples_per_s_min", "samples_per_s", "samples_per_s_max"].map(|k| row[k].as_f64());
        assert!(low <= mid && mid <= high && low.is_some_and(|v| v > 0.0), "{row}");
    }
}

#[test]
fn bench_presets_and_dtypes_run_and_print_a_table() {
    for args in [
        &["bench", "--preset", "nand", "--threads", "1", "--steps", "3"][..],
        &["bench", "--preset", "adder", "--threads", "1,2", "--steps", "3", "--dtype", "f64"],
        &["bench", "--preset", "mnist", "--batch", "64", "--threads", "2", "--steps", "2"],
        &[
            "bench",
            "--arch",
            "784-128-10",
            "--activation",
            "sigmoid",
            "--output",
            "softmax",
            "--loss",
            "ce",
            "--batch",
            "64",
            "--steps",
            "3",
        ],
        &["bench", "--preset", "adder", "--loss", "bce", "--threads", "1", "--steps", "3"],
    ] {
        let out = nn(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("samples/s") && stdout.contains("checksum"), "{stdout}");
        if args.contains(&"ce") {
            assert!(stdout.contains("output softmax  loss ce"), "{stdout}");
        }
    }
}

#[test]
fn every_preset_runs_the_model_it_names() {
    for (preset, header) in [
        ("xor", "arch 2-2-1  activation sigmoid  output sigmoid  loss mse"),
        (
            "adder5",
            "arch 10-20-6  activation sigmoid  output sigmoid  loss mse  optimizer sgd  batch 28",
        ),
        (
            "mnist",
            "arch 784-128-10  activation sigmoid  output softmax  loss ce  optimizer sgd  batch 1000",
        ),
        (
            "mnist64",
            "arch 784-128-10  activation sigmoid  output softmax  loss ce  optimizer sgd  batch 64",
        ),
        (
            "wide",
            "arch 1024-1024-1024-10  activation relu  output softmax  loss ce  optimizer sgd  batch 256",
        ),
    ] {
        let out = nn(&["bench", "--preset", preset, "--threads", "1", "--steps", "1"]);
        assert!(out.status.success(), "{preset}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with(header), "{preset}: {stdout}");
    }
    // A flag overrides its preset's setting.
    let out = nn(&[
        "bench", "--preset", "mnist64", "--loss", "mse", "--output", "sigmoid", "--steps", "1",
    ]);
    assert!(text(&out.stdout).contains("output sigmoid  loss mse"), "{}", text(&out.stdout));
}

#[test]
fn bench_refuses_bad_settings_clearly() {
    let cases: [(&[&str], &str); 11] = [
        (&["bench", "--threads", "0"], "thread counts of at least 1"),
        (
            &["bench", "--loss", "ce", "--steps", "1"],
            "loss ce expects a softmax output layer; found sigmoid",
        ),
        (
            &["bench", "--activation", "softmax", "--steps", "1"],
            "found softmax, which is only valid on the output layer",
        ),
        (&["bench", "--loss", "hinge"], "expected one of mse, ce, bce"),
        (&["bench", "--arch", "3-x"], "not a whole number"),
        (&["bench", "--batch", "0"], "--batch: expected at least 1"),
        (&["bench", "--chunk-rows", "0", "--steps", "1"], "at least 1 row per chunk"),
        (&["bench", "--max-chunks", "0", "--steps", "1"], "most chunks a batch is cut into"),
        (&["bench", "--seconds", "-1"], "--seconds: expected a positive number"),
        (&["bench", "--preset", "huge"], "invalid value 'huge'"),
        (&["bench", "--rounds", "0"], "--rounds: expected at least 1"),
    ];
    for (args, expected) in cases {
        let out = nn(args);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
