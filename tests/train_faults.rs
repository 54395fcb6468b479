//! `nn train` when a run cannot go on: a learning rate that overflows stops with one line
//! naming the epoch and what overflowed, writes no model (an earlier file at `--save` stays
//! as it was) and says which checkpoint holds the last good state.

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

/// 40 samples of `y = 3x + 1` for x from 1 to 4.9: a regression that SGD at a huge rate
/// overshoots further every step.
fn line(dir: &Path) -> PathBuf {
    let mut csv = String::new();
    for i in 0..40 {
        let x = 1.0 + f64::from(i) / 10.0;
        writeln!(csv, "{x},{}", 3.0 * x + 1.0).unwrap();
    }
    let path = dir.join("line.csv");
    fs::write(&path, csv).unwrap();
    path
}

/// The flags of a run that diverges within a few epochs.
fn diverging<'a>(data: &'a str, epochs: &'a str) -> Vec<&'a str> {
    let flags = ["--arch", "1-4-1", "--regression", "1", "--optimizer", "sgd", "--rate", "2"];
    let mut args = vec!["train", "--train", data, "--epochs", epochs, "--batch", "8"];
    args.extend(flags);
    args
}

/// The one `error:` line of a failed run, which must be stderr's last.
#[track_caller]
fn error_line(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "one error line: {stderr}");
    assert_eq!(stderr.lines().last(), Some(errors[0]), "the error comes last: {stderr}");
    errors[0].to_owned()
}

/// The number in `epoch N of M` of a divergence message.
fn diverged_epoch(message: &str) -> usize {
    let rest = message.split("diverged in epoch ").nth(1).expect("an epoch");
    rest.split(' ').next().unwrap().parse().expect("a number")
}

#[test]
fn a_diverging_run_names_the_epoch_and_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = line(dir.path());
    let data = data.to_str().unwrap();
    let model = dir.path().join("model.safetensors");
    let model_arg = model.to_str().unwrap();
    let earlier = b"an earlier run's model, which a failed run must not replace";
    fs::write(&model, earlier).unwrap();

    // Progress lines, then the error: its epoch is the one after the last line's.
    let mut args = diverging(data, "100");
    args.extend(["--save", model_arg]);
    let out = nn(&args);
    let error = error_line(&out);
    let epoch = diverged_epoch(&error);
    assert!(epoch >= 2, "{error}");
    let stderr = text(&out.stderr);
    let last_done = format!("epoch {:>3}/100", epoch - 1);
    assert!(stderr.lines().any(|l| l.starts_with(&last_done)), "no {last_done:?}: {stderr}");
    assert!(!stderr.contains(&format!("epoch {epoch:>3}/100")), "{stderr}");
    let what = ["the cost is not finite", "the gradient is not finite", "the parameter update"];
    assert!(what.iter().any(|w| error.contains(w)), "{error}");
    assert!(error.contains("try a smaller --rate"), "{error}");
    assert!(error.contains(&format!("nothing was saved to {model_arg}")), "{error}");
    assert_eq!(fs::read(&model).unwrap(), earlier, "the file at --save was replaced");
    assert!(text(&out.stdout).is_empty(), "a summary after a failure: {}", text(&out.stdout));

    // With --json: the error line alone. With checkpoints every 2 epochs: the message names
    // the last one, which holds finite parameters of that epoch.
    let checkpoints = dir.path().join("checkpoints");
    let mut args = diverging(data, "100");
    args.extend(["--json", "--checkpoint", checkpoints.to_str().unwrap(), "--every", "2"]);
    let out = nn(&args);
    let error = error_line(&out);
    assert_eq!(text(&out.stderr).lines().count(), 1, "{}", text(&out.stderr));
    assert_eq!(diverged_epoch(&error), epoch, "the same seed diverges in the same epoch");
    let kept = (epoch - 1) / 2 * 2;
    let says =
        format!("the checkpoint in {} holds the run after epoch {kept}", checkpoints.display());
    assert!(error.contains(&says), "{error}");
    let state = nn_net::Checkpoint::load::<f32>(&checkpoints).unwrap();
    assert_eq!(state.run.next_epoch, kept);
    assert!(state.mlp.parameters().all(f32::is_finite));

    // Asked for exactly the epochs before the divergence, the run ends with parameters
    // whose cost is what overflows: that is refused too, as after the last epoch.
    let fewer = (epoch - 1).to_string();
    let out = nn(&diverging(data, &fewer));
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let error = stderr.lines().last().unwrap_or_default();
    let accepted = error.contains(&format!("diverged after its last epoch ({fewer})"))
        || error.contains(&format!("diverged in epoch {fewer} of {fewer}"));
    assert!(accepted, "{stderr}");
}

/// The `N` of `would take N bytes` in a memory-limit message.
fn bytes_needed(message: &str) -> u64 {
    let rest = message.split("would take ").nth(1).expect("the bytes needed");
    rest.split(' ').next().unwrap().parse().expect("a number")
}

#[test]
fn an_architecture_over_the_memory_limit_is_refused_before_the_data_is_read() {
    // 80 GB of f32 parameters: refused at once, before the (missing) data file is opened.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("not-read.csv");
    let missing = missing.to_str().unwrap();
    let out = nn(&["train", "--train", missing, "--arch", "100000-100000-100000"]);
    let error = error_line(&out);
    assert_eq!(
        error,
        "error: a 100000-100000-100000 network of f32 (20000200000 parameters) would take \
         80000800000 bytes (74.5 GiB) of memory; the limit is 8589934592 bytes (8.0 GiB) (raise \
         it with --memory-limit if the machine has the memory)"
    );
    let out = nn(&[
        "train",
        "--train",
        missing,
        "--arch",
        "100000-100000-100000",
        "--memory-limit",
        "1T",
    ]);
    assert!(error_line(&out).contains("not-read.csv"), "past the memory check, to the data");
    let out = nn(&["train", "--train", missing, "--arch", "99999999999-99999999999-1"]);
    assert!(error_line(&out).contains("would take more than 2^64 bytes"));

    // The same in `nn bench`, for the network, the batch and the buffers together.
    let out = nn(&["bench", "--arch", "100000-100000-100000", "--steps", "1"]);
    let error = error_line(&out);
    assert!(error.starts_with("error: benchmarking 100000-100000-100000 (f32)"), "{error}");
    assert!(error.contains("raise it with --memory-limit"), "{error}");
}

#[test]
fn the_memory_limit_covers_the_run_and_the_data_and_can_be_raised() {
    let dir = tempfile::tempdir().unwrap();
    let data = line(dir.path());
    let data = data.to_str().unwrap();
    let run_arch = |arch: &str, limit: &str| {
        nn(&["train", "--train", data, "--regression", "1", "--arch", arch, "--epochs", "1"]
            .into_iter()
            .chain(["--memory-limit", limit])
            .collect::<Vec<_>>())
    };
    let run = |limit: &str| run_arch("1-64-1", limit);
    // The 40 samples (80 values, 320 bytes) load within 4K, but the run needs more: it
    // says how much, and that much is enough.
    let error = error_line(&run("4K"));
    assert!(error.starts_with("error: training 1-64-1 in batches of 40 with adam would take"));
    assert!(error.contains("the limit is 4096 bytes (4.0 KiB) (raise it with --memory-limit"));
    let needed = bytes_needed(&error);
    let out = run(&needed.to_string());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let error = error_line(&run(&(needed - 1).to_string()));
    assert_eq!(bytes_needed(&error), needed);

    // Below the data's own size, the loader refuses the file (a 1-1 network is 8 bytes).
    let error = error_line(&run_arch("1-1", "100"));
    assert!(error.contains("line.csv") && error.contains("the limit is 100 bytes"), "{error}");

    // Sizes that are not sizes.
    for bad in ["0", "8X", "1.5G", "8 G", "16777216T"] {
        let out = run(bad);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(
            stderr.contains("--memory-limit") && stderr.contains("expected a size"),
            "{stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}
