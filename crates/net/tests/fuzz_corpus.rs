//! Replays the fuzz targets' seed corpora (`fuzz/corpus/<target>/`, which also keep the
//! inputs that once crashed a target) through the targets' own bodies, on stable, so that
//! `cargo test` guards what fuzzing found without nightly or cargo-fuzz.
//!
//! Every input must be loaded and checked, or refused with an error naming the file; a
//! panic anywhere fails the test with the input's name.

#![cfg(test)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The fuzz targets' bodies, the same file the fuzz crate compiles as its library (public,
/// as there, so that its public items are not taken for unused ones).
#[path = "../../../fuzz/src/lib.rs"]
pub mod targets;

use targets::Outcome;

/// The inputs in `fuzz/corpus/<target>/`, sorted.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .collect();
    files.sort();
    files
}

/// Runs `body` on every input of `target`'s corpus; fails naming each input that panics.
/// Returns the outcomes added up.
fn replay(target: &str, body: fn(&[u8]) -> Outcome) -> Outcome {
    let files = corpus(target);
    assert!(files.len() >= 3, "expected a seed corpus in fuzz/corpus/{target}; found {files:?}");
    let mut total = Outcome::default();
    let mut panicked = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("a readable corpus file");
        match catch_unwind(AssertUnwindSafe(|| body(&bytes))) {
            Ok(outcome) => {
                total.accepted += outcome.accepted;
                total.refused += outcome.refused;
            }
            Err(_) => panicked.push(file.display().to_string()),
        }
    }
    assert!(panicked.is_empty(), "{target}: these inputs panic: {panicked:#?}");
    total
}

/// Each corpus holds inputs that load as well as inputs that are refused, so both the
/// checks of a loaded value and the checks of an error run.
fn assert_both(target: &str, outcome: Outcome) {
    assert!(outcome.accepted > 0, "{target}: no seed loads ({outcome:?})");
    assert!(outcome.refused > 0, "{target}: no seed is refused ({outcome:?})");
}

#[test]
fn csv_corpus() {
    assert_both("csv", replay("csv", targets::csv));
}

#[test]
fn idx_corpus() {
    assert_both("idx", replay("idx", targets::idx));
}

#[test]
fn model_file_corpus() {
    assert_both("model_file", replay("model_file", targets::model_file));
}

#[test]
fn architecture_corpus() {
    assert_both("architecture", replay("architecture", targets::architecture));
}
