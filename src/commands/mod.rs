//! The subcommands that train and use real models: `nn train`, `nn eval`, `nn predict`.

mod data_flags;
mod error;
pub mod eval;
mod memory_limit;
mod model_flags;
mod model_on_data;
pub mod predict;
pub mod train;

pub use data_flags::{DataFlags, default_normalization};
pub use error::CommandError;
pub use memory_limit::{DEFAULT_MEMORY_LIMIT_TEXT, parse_memory_limit, raised_by_flag};
pub use model_flags::{ModelFlags, check_parses};
pub use model_on_data::ModelOnData;

use std::path::Path;

/// The most threads `--threads` takes: more than any CPU this engine runs on has cores,
/// and far more than a batch has chunks. A typo such as `--threads 100000` would otherwise
/// spend minutes starting threads that have nothing to do.
pub const MAX_THREADS: usize = 1024;

/// A rayon pool of `threads` threads, or of every core.
///
/// # Errors
/// [`CommandError::Setting`] for 0 threads or more than [`MAX_THREADS`];
/// [`CommandError::Pool`] if rayon cannot start it.
pub fn pool(threads: Option<usize>) -> Result<rayon::ThreadPool, CommandError> {
    if let Some(n) = threads.filter(|&n| n == 0 || n > MAX_THREADS) {
        return Err(CommandError::setting("threads", format!("1 to {MAX_THREADS}"), n));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| CommandError::Pool { threads: threads.unwrap_or(0), reason: e.to_string() })
}

/// Checks, before any work, that a file can be written at `path`: its directory exists and
/// takes new files, and the path is not a directory. (Creating and removing a temporary
/// file there is the only sure test of permissions.)
///
/// # Errors
/// [`CommandError::Setting`] naming the flag and the path.
pub fn check_writable(flag: &'static str, path: &Path) -> Result<(), CommandError> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(CommandError::setting(flag, "a file path", format!("{shown}, a directory")));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        let why = if parent.exists() { "is not a directory" } else { "does not exist" };
        return Err(CommandError::setting(
            flag,
            "a path in an existing directory",
            format!("{shown} ({} {why})", parent.display()),
        ));
    }
    tempfile::NamedTempFile::new_in(parent)
        .map(drop)
        .map_err(|e| CommandError::setting(flag, "a writable location", format!("{shown} ({e})")))
}

/// A model file loaded in the float type it was saved in.
pub enum AnyModel {
    /// Saved as `f32`.
    F32(nn_net::Model<f32>),
    /// Saved as `f64`.
    F64(nn_net::Model<f64>),
}

/// Loads a model file in the float type its metadata names, so that predictions are the
/// ones training saw.
///
/// # Errors
/// [`CommandError::Model`] naming the file and the damage.
pub fn load_model(path: &Path) -> Result<AnyModel, CommandError> {
    let file = nn_net::TensorFile::load(path)?;
    let at = |kind| nn_net::ModelFileError::new(path, kind);
    Ok(match file.metadata.get("dtype").map(String::as_str) {
        Some("f64") => AnyModel::F64(nn_net::Model::from_tensor_file(file).map_err(at)?),
        _ => AnyModel::F32(nn_net::Model::from_tensor_file(file).map_err(at)?),
    })
}

/// The data must have the model's input width.
///
/// # Errors
/// [`CommandError::Setting`] naming the data file and both widths.
pub fn check_model_fits<F: ndarray::NdFloat>(
    model: &nn_net::Model<F>,
    inputs: usize,
    data: &Path,
) -> Result<(), CommandError> {
    let expected = model.mlp.inputs();
    if inputs == expected {
        return Ok(());
    }
    Err(CommandError::setting(
        "data",
        format!("{expected} input columns, as the model ({}) takes", model.mlp.architecture()),
        format!("{inputs} in {}", data.display()),
    ))
}

/// The inputs of a data file for `model`: a CSV file with or without its label column, or
/// an IDX images file alone. The model's normalisation is applied by `Model::predict`.
///
/// # Errors
/// The loader's errors, naming the file and saying which widths it accepts.
pub fn load_inputs<F: ndarray::NdFloat>(
    flags: &DataFlags,
    path: &Path,
    model: &nn_net::Model<F>,
) -> Result<ndarray::Array2<F>, CommandError> {
    if flags.limit == Some(0) {
        return Err(CommandError::setting("limit", "at least 1", "0"));
    }
    let inputs =
        nn_net::data::load_inputs::<F>(path, &flags.csv_options(None), model.mlp.inputs())?;
    Ok(match flags.limit {
        Some(limit) if limit < inputs.nrows() => inputs.slice(ndarray::s![..limit, ..]).to_owned(),
        _ => inputs,
    })
}
