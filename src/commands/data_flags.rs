//! The flags that say how to read a data file, shared by `nn train`, `nn eval` and
//! `nn predict`.

use std::path::Path;

use ndarray::NdFloat;
use nn_net::NormalizationKind;
use nn_net::data::{CsvOptions, Header, LabelColumn, Loaded, Targets, load_any};

use super::CommandError;

/// How a data file is read.
#[derive(clap::Args, Clone, Debug)]
pub struct DataFlags {
    /// Whether a CSV file's first line names its columns: auto, yes or no.
    #[arg(long, default_value = "auto", value_parser = parse_header)]
    pub header: Header,
    /// A CSV file's label column: first, last, an index from 0, or -k from the end.
    #[arg(long, default_value = "last", allow_hyphen_values = true)]
    pub label_column: LabelColumn,
    /// CSV targets are K regression columns (placed by --label-column) instead of a class
    /// label.
    #[arg(long, allow_negative_numbers = true, value_name = "K")]
    pub regression: Option<usize>,
    /// Use only the first N samples of each file (for quick runs).
    #[arg(long, allow_negative_numbers = true, value_name = "N")]
    pub limit: Option<usize>,
    /// The memory a data file's samples may take once loaded, and (for `nn train`) the
    /// network with its training buffers: bytes, or with K, M, G or T (powers of 1024),
    /// such as 16G. More is refused before it is allocated.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = super::memory_limit::DEFAULT_MEMORY_LIMIT_TEXT,
        value_parser = super::parse_memory_limit
    )]
    pub memory_limit: u64,
}

fn parse_header(s: &str) -> Result<Header, String> {
    match s {
        "auto" => Ok(Header::Auto),
        "yes" | "present" => Ok(Header::Present),
        "no" | "absent" => Ok(Header::Absent),
        other => Err(format!("expected auto, yes or no; found {other:?}")),
    }
}

impl DataFlags {
    /// The CSV options, with the class count fixed when it is known (a test set read with
    /// its training set's count).
    pub fn csv_options(&self, classes: Option<usize>) -> CsvOptions {
        let targets = match self.regression {
            Some(columns) => Targets::Regression { columns },
            None => Targets::Classes { count: classes },
        };
        CsvOptions {
            header: self.header,
            label_column: self.label_column,
            targets,
            memory_limit: self.memory_limit,
        }
    }

    /// Loads `path` (CSV or IDX, gzip or not) and keeps the first `--limit` samples.
    ///
    /// # Errors
    /// The loader's errors, naming the file and the place; `--limit 0`.
    pub fn load<F: NdFloat>(
        &self,
        path: &Path,
        classes: Option<usize>,
    ) -> Result<Loaded<F>, CommandError> {
        if self.limit == Some(0) {
            return Err(CommandError::setting("limit", "at least 1", "0"));
        }
        if self.regression == Some(0) {
            return Err(CommandError::setting("regression", "at least 1 target column", "0"));
        }
        let mut loaded = load_any::<F>(path, &self.csv_options(classes))?;
        if let Some(limit) = self.limit.filter(|&l| l < loaded.dataset.len()) {
            loaded.dataset = loaded.dataset.take(limit)?;
        }
        Ok(loaded)
    }
}

/// The normalisation a file gets when `--normalize` is not given: images (IDX) are scaled
/// from 0..255 to 0..1; CSV columns are left as they are.
pub fn default_normalization(path: &Path) -> Result<NormalizationKind, CommandError> {
    Ok(match nn_net::data::detect(path)? {
        nn_net::data::Format::Idx => NormalizationKind::Scale,
        nn_net::data::Format::Csv => NormalizationKind::None,
    })
}
