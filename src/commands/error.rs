//! Why a subcommand could not do its job: one line, naming the problem.

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
    /// The network and batch would not fit in memory.
    #[error(transparent)]
    Memory(#[from] super::TooLarge),
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
    /// rayon could not start a pool.
    #[error("could not start a pool of {threads} threads: {reason}")]
    Pool {
        /// The threads asked for.
        threads: usize,
        /// rayon's reason.
        reason: String,
    },
}

impl CommandError {
    /// A [`CommandError::Setting`].
    pub fn setting(name: &'static str, expected: impl Into<String>, found: impl ToString) -> Self {
        CommandError::Setting { name, expected: expected.into(), found: found.to_string() }
    }
}
