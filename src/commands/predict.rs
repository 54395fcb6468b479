//! `nn predict`: a saved model's outputs for every sample of a data file, one line each.

use std::io::Write;

use ndarray::{Array2, NdFloat};
use nn_net::{Loss, Model, predicted_class};

use super::{AnyModel, CommandError, ModelOnData};

/// The settings of `nn predict`.
#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// The model, the data and how to read it.
    #[command(flatten)]
    pub input: ModelOnData,
    /// One JSON object a line (`class` and `outputs`) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `nn predict`, writing one line per sample to `out`: for a classifier the predicted
/// class, a tab, then the outputs; otherwise the outputs, separated by spaces.
///
/// # Errors
/// [`CommandError`] for an unreadable or damaged model, unreadable data, data that does not
/// fit the model, or an output that cannot be written.
pub fn run(options: &Options, out: &mut dyn Write) -> Result<(), CommandError> {
    let pool = super::pool(options.input.threads)?;
    // The predictions are computed in the pool; writing them needs no threads.
    match super::load_model(&options.input.model)? {
        AnyModel::F32(model) => {
            write_predictions(options, &pool.install(|| predict(options, &model))?, &model, out)
        }
        AnyModel::F64(model) => {
            write_predictions(options, &pool.install(|| predict(options, &model))?, &model, out)
        }
    }
}

fn predict<F: NdFloat>(options: &Options, model: &Model<F>) -> Result<Array2<F>, CommandError> {
    let inputs = super::load_inputs::<F>(&options.input.flags, &options.input.data, model)?;
    Ok(model.predict(&inputs)?)
}

fn write_predictions<F: NdFloat>(
    options: &Options,
    outputs: &Array2<F>,
    model: &Model<F>,
    out: &mut dyn Write,
) -> Result<(), CommandError> {
    let classifier = matches!(model.loss, Loss::CrossEntropy | Loss::BinaryCrossEntropy);
    let write_error =
        |e: std::io::Error| CommandError::Output { what: "the predictions", reason: e.to_string() };
    let mut out = std::io::BufWriter::new(out);
    for row in outputs.rows() {
        let values: Vec<f64> = row.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)).collect();
        let class = classifier.then(|| predicted_class(row));
        if options.json {
            let line = serde_json::json!({ "class": class, "outputs": values });
            writeln!(out, "{line}").map_err(write_error)?;
        } else {
            let text: Vec<String> = values.iter().map(|v| format!("{v:.6}")).collect();
            match class {
                Some(c) => writeln!(out, "{c}\t{}", text.join(" ")),
                None => writeln!(out, "{}", text.join(" ")),
            }
            .map_err(write_error)?;
        }
    }
    out.flush().map_err(write_error)
}
