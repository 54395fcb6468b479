//! The command's and the examples' output: stdout written so that a closed pipe is an error
//! line rather than `print!`'s panic, and the one way a run ends (the error on stderr, the
//! exit code).

use std::io::Write as _;
use std::process::ExitCode;

/// Writes `text` to stdout and flushes it. `print!` would panic when stdout is gone
/// (`nn … | head -1`); this gives the error instead, as a message.
///
/// # Errors
/// `cannot write the output: …` when stdout cannot take the text.
pub fn emit(text: impl std::fmt::Display) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write the output: {e}"))
}

/// The exit code of a run, with its error (if any) printed to stderr as `error: …`.
pub fn finish(outcome: Result<(), String>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
