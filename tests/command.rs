//! The `nn` command end to end: each lesson runs, bad flags and settings give a clear
//! error and a non-zero exit, and nothing panics.

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
