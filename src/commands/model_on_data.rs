//! The flags `nn eval` and `nn predict` share: a saved model, a data file, how to read it,
//! and the threads.

use std::path::PathBuf;

use super::DataFlags;

/// A saved model to run on a data file.
#[derive(clap::Args, Clone, Debug)]
pub struct ModelOnData {
    /// The model file, as `nn train --save` wrote it.
    #[arg(long)]
    pub model: PathBuf,
    /// The data: a CSV file or an IDX images file. `nn eval` needs the targets (the label
    /// column, or the labels file beside the images); `nn predict` reads the inputs alone.
    #[arg(long)]
    pub data: PathBuf,
    /// How the data file is read.
    #[command(flatten)]
    pub flags: DataFlags,
    /// Threads [default: every core].
    #[arg(long, allow_negative_numbers = true)]
    pub threads: Option<usize>,
}
