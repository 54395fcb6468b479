//! `nn eval`: a saved model's cost, accuracy and confusion matrix on a data file.

use std::path::PathBuf;

use ndarray::NdFloat;
use nn_net::{ConfusionMatrix, Model, confusion_matrix, evaluate};
use serde::Serialize;

use super::{AnyModel, CommandError, DataFlags};

/// The settings of `nn eval`.
#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// The model file, as `nn train --save` wrote it.
    #[arg(long)]
    pub model: PathBuf,
    /// The data: a CSV file, or an IDX images file with its labels file beside it.
    #[arg(long)]
    pub data: PathBuf,
    /// How the data file is read.
    #[command(flatten)]
    pub flags: DataFlags,
    /// Threads [default: every core].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// What `nn eval` found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Samples evaluated.
    pub samples: usize,
    /// The mean loss, with the model's loss.
    pub cost: f64,
    /// The loss's name.
    pub loss: String,
    /// The share of samples classified right, for class targets.
    pub accuracy: Option<f64>,
    /// Rows are target classes, columns predicted classes, for class targets.
    pub confusion: Option<Vec<Vec<u64>>>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} samples  cost {:.6} ({})", self.samples, self.cost, self.loss)?;
        if let Some(accuracy) = self.accuracy {
            write!(f, "  accuracy {:.2}%", 100.0 * accuracy)?;
        }
        writeln!(f)?;
        if let Some(rows) = &self.confusion {
            let width = rows.iter().flatten().max().map_or(1, |m| m.to_string().len()).max(3);
            writeln!(f, "confusion matrix (rows: target class, columns: predicted class)")?;
            write!(f, "{:>width$}", "")?;
            for p in 0..rows.len() {
                write!(f, " {p:>width$}")?;
            }
            writeln!(f)?;
            for (t, row) in rows.iter().enumerate() {
                write!(f, "{t:>width$}")?;
                for count in row {
                    write!(f, " {count:>width$}")?;
                }
                writeln!(f)?;
            }
        }
        Ok(())
    }
}

/// Runs `nn eval`.
///
/// # Errors
/// [`CommandError`] for an unreadable or damaged model, unreadable data, or data that does
/// not fit the model.
pub fn run(options: &Options) -> Result<Report, CommandError> {
    let pool = super::pool(options.threads)?;
    pool.install(|| match super::load_model(&options.model)? {
        AnyModel::F32(model) => run_typed(options, model),
        AnyModel::F64(model) => run_typed(options, model),
    })
}

fn run_typed<F: NdFloat>(options: &Options, model: Model<F>) -> Result<Report, CommandError> {
    let classes = (model.mlp.outputs() > 1).then_some(model.mlp.outputs());
    let mut data = options.flags.load::<F>(&options.data, classes)?.dataset;
    super::check_model_fits(&model, data.input_width(), &options.data)?;
    data.normalize(&model.normalization)?;
    let metrics = evaluate(&model.mlp, &data, model.loss)?;
    let confusion = match metrics.accuracy {
        Some(_) => Some(rows_of(&confusion_matrix(&model.mlp, &data)?)),
        None => None,
    };
    Ok(Report {
        samples: metrics.samples,
        cost: metrics.cost.to_f64().unwrap_or(f64::NAN),
        loss: model.loss.to_string(),
        accuracy: metrics.accuracy,
        confusion,
    })
}

fn rows_of(matrix: &ConfusionMatrix) -> Vec<Vec<u64>> {
    let n = matrix.classes();
    (0..n).map(|t| (0..n).map(|p| matrix.count(t, p)).collect()).collect()
}
