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
/// the ending every lesson's `main` shares ([`output::emit`](crate::output::emit), then
/// [`output::finish`](crate::output::finish)).
pub fn print_outcome<R, E>(outcome: Result<R, E>) -> std::process::ExitCode
where
    R: std::fmt::Display,
    E: std::fmt::Display,
{
    crate::output::finish(outcome.map_err(|e| e.to_string()).and_then(crate::output::emit))
}
