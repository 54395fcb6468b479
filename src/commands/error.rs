//! Why a subcommand could not do its job: one line, naming the problem.

use std::path::{Path, PathBuf};

use nn_net::NetError;
use nn_net::data::DataError;
use thiserror::Error;

use crate::plot::PlotError;

/// Why `nn train`, `nn eval` or `nn predict` stopped.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The engine refused a setting, the data did not fit the network, or training
    /// diverged.
    #[error(transparent)]
    Net(#[from] NetError),
    /// A data file could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A model file could not be read or written.
    #[error(transparent)]
    Model(#[from] nn_net::ModelFileError),
    /// The plot could not be drawn.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// A flag out of range, or flags that do not go together.
    #[error("--{name}: expected {expected}; found {found}")]
    Setting {
        /// The flag, without the dashes.
        name: &'static str,
        /// What it must be.
        expected: String,
        /// What was given.
        found: String,
    },
    /// Writing the output failed.
    #[error("cannot write {what}: {reason}")]
    Output {
        /// What was being written.
        what: &'static str,
        /// The system's reason.
        reason: String,
    },
    /// Training diverged: nothing was saved, and any checkpoint this run wrote holds a
    /// state from before the divergence.
    #[error(
        "training diverged {}: the {what} is not finite (try a smaller --rate){}{}",
        when(*epoch, *epochs),
        saved_nothing(save.as_deref()),
        checkpoint_note(checkpoint.as_ref())
    )]
    Diverged {
        /// The epoch whose step failed, counting from 1 as the progress lines do; one past
        /// `epochs` when the cost of the parameters the last epoch left is what overflowed.
        epoch: usize,
        /// The epochs the run asked for.
        epochs: usize,
        /// `cost`, `gradient` or `parameter update`.
        what: &'static str,
        /// The `--save` path, left as it was.
        save: Option<PathBuf>,
        /// The `--checkpoint` directory and the epochs its checkpoint holds, when this run
        /// saved one (`None` inside: none yet).
        checkpoint: Option<(PathBuf, Option<usize>)>,
    },
    /// rayon could not start a pool.
    #[error("could not start a pool of {threads} threads: {reason}")]
    Pool {
        /// The threads asked for.
        threads: usize,
        /// rayon's reason.
        reason: String,
    },
}

/// The epoch a run diverged in, or, when the parameters after its last epoch are the ones
/// whose cost overflowed, that.
fn when(epoch: usize, epochs: usize) -> String {
    if epoch <= epochs {
        format!("in epoch {epoch} of {epochs}")
    } else {
        format!("after its last epoch ({epochs})")
    }
}

/// `; nothing was saved to PATH` after a divergence with `--save`.
fn saved_nothing(save: Option<&Path>) -> String {
    save.map(|path| format!("; nothing was saved to {}", path.display())).unwrap_or_default()
}

/// Where the last good state is, after a divergence with `--checkpoint`.
fn checkpoint_note(checkpoint: Option<&(PathBuf, Option<usize>)>) -> String {
    match checkpoint {
        Some((dir, Some(epochs))) => {
            format!("; the checkpoint in {} holds the run after epoch {epochs}", dir.display())
        }
        Some((dir, None)) => {
            format!("; the run diverged before its first checkpoint in {}", dir.display())
        }
        None => String::new(),
    }
}

impl CommandError {
    /// A [`CommandError::Setting`].
    pub fn setting(name: &'static str, expected: impl Into<String>, found: impl ToString) -> Self {
        CommandError::Setting { name, expected: expected.into(), found: found.to_string() }
    }
}
