//! `nn eval`: a saved model's cost, accuracy and confusion matrix on a data file.

use ndarray::NdFloat;
use nn_net::{ConfusionMatrix, Model, evaluate_with_confusion};
use serde::Serialize;

use super::{AnyModel, CommandError, ModelOnData};

/// The settings of `nn eval`.
#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// The model, the data and how to read it.
    #[command(flatten)]
    pub input: ModelOnData,
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
    let pool = super::pool(options.input.threads)?;
    pool.install(|| match super::load_model(&options.input.model)? {
        AnyModel::F32(model) => run_typed(options, model),
        AnyModel::F64(model) => run_typed(options, model),
    })
}

fn run_typed<F: NdFloat>(options: &Options, model: Model<F>) -> Result<Report, CommandError> {
    let classes = (model.mlp.outputs() > 1).then_some(model.mlp.outputs());
    let mut data = options.input.flags.load::<F>(&options.input.data, classes)?.dataset;
    super::check_model_fits(&model, data.input_width(), &options.input.data)?;
    data.normalize(&model.normalization)?;
    let (metrics, matrix) = evaluate_with_confusion(&model.mlp, &data, model.loss)?;
    let confusion = metrics.accuracy.map(|_| rows_of(&matrix));
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
