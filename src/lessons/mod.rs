//! The notes as lessons: each module trains one idea and returns a report that prints
//! itself. `nn demo NAME` and `cargo run --release --example NAME` run them.

pub mod adder;
pub mod chain;
pub mod fd_vs_gd;
pub mod gates;
pub mod truth_table;
pub mod twice;
pub mod xor;

use nn_net::NetError;
use thiserror::Error;

/// Why a lesson could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LessonError {
    /// The engine refused a setting or the training diverged.
    #[error(transparent)]
    Net(#[from] NetError),
    /// A lesson setting out of range.
    #[error("--{name}: expected {expected}; found {found}")]
    Setting {
        /// The setting's flag, without the dashes.
        name: &'static str,
        /// What it must be.
        expected: String,
        /// What was given.
        found: String,
    },
}

/// Prints a lesson's report to stdout, or its error to stderr, and gives the exit code:
/// the ending every lesson's `main` shares.
pub fn print_outcome<R, E>(outcome: Result<R, E>) -> std::process::ExitCode
where
    R: std::fmt::Display,
    E: std::fmt::Display,
{
    use std::io::Write as _;
    let written = match outcome {
        // `print!` would panic on a closed stdout (`… | head -1`).
        Ok(report) => write!(std::io::stdout(), "{report}")
            .map_err(|e| format!("cannot write the output: {e}")),
        Err(e) => Err(e.to_string()),
    };
    match written {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
