//! `nn train`: trains a model on a CSV or IDX file, reports per epoch, and saves the model,
//! checkpoints and a plot of the costs.

use std::cell::RefCell;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ndarray::NdFloat;
use nn_net::rand::SeedableRng;
use nn_net::rand::distr::uniform::SampleUniform;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Checkpoint, Dataset, EarlyStopping, Mlp, Model, Normalization, NormalizationKind, Training,
};
use serde::Serialize;

use super::{CommandError, DataFlags, ModelFlags, default_normalization, raised_by_flag};
use crate::bench::Dtype;
use crate::plot::{CostSeries, PlotFormat, plot_costs};
use crate::progress::{EpochProgress, EpochSummary, Output, Plan};

/// The settings of `nn train`.
// `allow_negative_numbers` on the number flags: `--epochs -1` is then a bad value of
// `--epochs` (clap names the flag) rather than an unknown argument `-1`.
#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// The training data: a CSV file, or an IDX images file with its labels file beside it
    /// (either may be gzipped).
    #[arg(long)]
    pub train: PathBuf,
    /// Test data, evaluated after every epoch (the same format flags as --train).
    #[arg(long)]
    pub test: Option<PathBuf>,
    /// Without --test: hold out this fraction of --train for validation.
    #[arg(long, allow_negative_numbers = true, value_name = "FRACTION")]
    pub validation: Option<f64>,
    /// The model and its training settings.
    #[command(flatten)]
    pub model: ModelFlags,
    /// How the data files are read.
    #[command(flatten)]
    pub data: DataFlags,
    /// Input normalisation fitted on the training data: none, scale or standardize
    /// [default: scale for IDX images, none for CSV].
    #[arg(long)]
    pub normalize: Option<NormalizationKind>,
    /// Passes over the training data.
    #[arg(long, allow_negative_numbers = true, default_value_t = 10)]
    pub epochs: usize,
    /// Samples per step.
    #[arg(long, allow_negative_numbers = true, default_value_t = 64)]
    pub batch: usize,
    /// Seed of the initial weights, the validation split and the shuffles.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub seed: u64,
    /// Threads [default: every core].
    #[arg(long, allow_negative_numbers = true)]
    pub threads: Option<usize>,
    /// Float type.
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    pub dtype: Dtype,
    /// Save the trained model here (safetensors).
    #[arg(long, value_name = "MODEL")]
    pub save: Option<PathBuf>,
    /// Save a checkpoint into this directory every --every epochs.
    #[arg(long, value_name = "DIR")]
    pub checkpoint: Option<PathBuf>,
    /// Epochs between checkpoints.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1, requires = "checkpoint")]
    pub every: usize,
    /// Continue the run whose checkpoint is in this directory.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// Stop when the test (or validation) cost has not improved for P epochs, and keep the
    /// best epoch's parameters.
    #[arg(long, allow_negative_numbers = true, value_name = "P")]
    pub patience: Option<usize>,
    /// Draw the training and test cost per epoch into this .svg or .png file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Print one JSON object at the end instead of the summary (no progress lines).
    #[arg(long)]
    pub json: bool,
}

/// What a training run did, printed as a summary or as JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The architecture trained.
    pub arch: String,
    /// Epochs run (a resumed run counts the epochs before the checkpoint too).
    pub epochs: usize,
    /// The cost on the training data with the final parameters.
    pub train_cost: f64,
    /// The cost on the test (or validation) data with the final parameters.
    pub test_cost: Option<f64>,
    /// The accuracy on the test (or validation) data, for classes.
    pub test_accuracy: Option<f64>,
    /// With early stopping, the epoch whose parameters were kept (counting from 1).
    pub best_epoch: Option<usize>,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Wall-clock seconds of the run in this process, with the evaluations and checkpoints.
    pub seconds: f64,
    /// Training samples per second over the training steps alone.
    pub samples_per_s: f64,
    /// Where the model was saved.
    pub model: Option<String>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "trained {} for {} epochs in {:.1} s ({:.0} samples/s)",
            self.arch, self.epochs, self.seconds, self.samples_per_s
        )?;
        if let Some(best) = self.best_epoch {
            let why = if self.stopped_early { "stopped early; " } else { "" };
            writeln!(f, "{why}kept the parameters of epoch {best}, the lowest test cost")?;
        }
        write!(f, "train cost {:.6}", self.train_cost)?;
        if let Some(cost) = self.test_cost {
            write!(f, "  test cost {cost:.6}")?;
        }
        if let Some(accuracy) = self.test_accuracy {
            write!(f, "  test accuracy {:.2}%", 100.0 * accuracy)?;
        }
        writeln!(f)?;
        if let Some(model) = &self.model {
            writeln!(f, "saved the model to {model}")?;
        }
        Ok(())
    }
}

/// Runs `nn train`.
///
/// # Errors
/// [`CommandError`] for bad flags, unreadable data, data that does not fit `--arch`, a
/// diverging run, or a model, checkpoint or plot that cannot be written. Flags are checked
/// before any data is read, and output paths before training starts.
pub fn run(options: &Options) -> Result<Report, CommandError> {
    check_flags(options)?;
    let pool = super::pool(options.threads)?;
    pool.install(|| match options.dtype {
        Dtype::F32 => run_typed::<f32>(options),
        Dtype::F64 => run_typed::<f64>(options),
    })
}

/// The checks that need no data, so that a typo fails at once rather than after loading.
fn check_flags(options: &Options) -> Result<(), CommandError> {
    if let Some(fraction) = options.validation {
        if options.test.is_some() {
            return Err(CommandError::setting(
                "validation",
                "no --test beside it (the test data is the validation data)",
                fraction,
            ));
        }
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(CommandError::setting(
                "validation",
                "a fraction between 0 and 1",
                fraction,
            ));
        }
    }
    if options.patience.is_some() && options.test.is_none() && options.validation.is_none() {
        return Err(CommandError::setting(
            "patience",
            "--test or --validation to watch",
            "neither",
        ));
    }
    if options.patience == Some(0) {
        return Err(CommandError::setting("patience", "at least 1", 0));
    }
    if options.every == 0 {
        return Err(CommandError::setting("every", "at least 1", 0));
    }
    if let Some(plot) = &options.plot {
        PlotFormat::from_path(plot)?;
        super::check_writable("plot", plot)?;
    }
    if let Some(save) = &options.save {
        super::check_writable("save", save)?;
    }
    Ok(())
}

fn run_typed<F: NdFloat + SampleUniform>(options: &Options) -> Result<Report, CommandError> {
    let flags = &options.model;
    let memory_limit = options.data.memory_limit;
    // The network's own size needs no data: an architecture too large is refused before
    // any file is read. The run's whole need is checked by `Training::run`.
    nn_net::check_network_bytes::<F>(&flags.arch, memory_limit).map_err(raised_by_flag)?;
    let train_file = options.data.load::<F>(&options.train, None)?;
    let classes = train_file.classes;
    let mut train = train_file.dataset;
    let mut held_out = match &options.test {
        Some(path) => {
            let test = options.data.load::<F>(path, classes)?.dataset;
            check_same_width(&train, &test, options, path)?;
            Some(test)
        }
        None => None,
    };
    if let Some(fraction) = options.validation {
        let (rest, validation) = train.split(fraction, options.seed)?;
        train = rest;
        held_out = Some(validation);
    }
    let kind = match options.normalize {
        Some(kind) => kind,
        None => default_normalization(&options.train)?,
    };
    let normalization = Normalization::fit(kind, train.inputs());
    train.normalize(&normalization)?;
    if let Some(data) = &mut held_out {
        data.normalize(&normalization)?;
    }
    check_fits(flags, &train, options)?;

    let output = flags.output_activation(classes);
    let loss = flags.loss_for(output);
    let mut activations = vec![flags.activation; flags.arch.layers()];
    if let Some(last) = activations.last_mut() {
        *last = output;
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    let init = flags.initialisation();
    let mut mlp =
        Mlp::<F>::with_memory_limit(&flags.arch, &activations, init, &mut rng, memory_limit)
            .map_err(raised_by_flag)?;
    let mut config = flags.config::<F>(loss, options.epochs, options.batch, options.seed)?;
    config.memory_limit = memory_limit;

    let batches = train.len().div_ceil(options.batch.min(train.len()));
    let plan = Plan {
        epochs: options.epochs,
        batches_per_epoch: batches,
        samples_per_epoch: train.len(),
        every: 1,
    };
    let progress = RefCell::new(EpochProgress::new(plan, Output::stderr(options.json)));
    let mut training = Training::new(&config).on_batch(|b| {
        progress.borrow_mut().batch_done(b.batch + 1, to_f64(b.cost));
    });
    if let Some(data) = &held_out {
        training = training.validation(data);
    }
    if let Some(patience) = options.patience {
        training = training.early_stopping(EarlyStopping { patience });
    }
    if let Some(dir) = &options.checkpoint {
        training = training.checkpoints(dir, options.every);
    }
    if let Some(dir) = &options.resume {
        training = training.resume(Checkpoint::load::<F>(dir)?);
    }
    let started = Instant::now();
    let (mut samples, mut step_seconds) = (0usize, 0.0);
    // The epochs the checkpoint directory's file holds, once this run has saved one: an
    // epoch's save comes before its callback.
    let mut checkpointed = None;
    let history = training.run(&mut mlp, &train, |p| {
        let done = p.epoch + 1;
        if options.checkpoint.is_some() && (done % options.every == 0 || done == p.epochs) {
            checkpointed = Some(done);
        }
        samples += train.len();
        step_seconds += p.record.seconds;
        progress.borrow_mut().epoch_done(&EpochSummary {
            epoch: p.epoch + 1,
            train_cost: to_f64(p.record.train_cost),
            test_cost: p.record.validation.map(|m| to_f64(m.cost)),
            accuracy: p.record.validation.and_then(|m| m.accuracy),
            samples: train.len(),
            elapsed: Duration::from_secs_f64(p.record.seconds),
        });
        ControlFlow::Continue(())
    });
    let history = match history {
        Ok(history) => history,
        // Nothing is written after a divergence: the last finite parameters are those of a
        // run already blowing up, and `--save` may name a good model of an earlier run.
        Err(nn_net::NetError::Diverged { epoch, what }) => {
            progress.into_inner().finish();
            return Err(CommandError::Diverged {
                epoch: epoch + 1,
                epochs: options.epochs,
                what,
                save: options.save.clone(),
                checkpoint: options.checkpoint.clone().map(|dir| (dir, checkpointed)),
            });
        }
        Err(e) => return Err(raised_by_flag(e).into()),
    };
    let seconds = started.elapsed().as_secs_f64();
    progress.into_inner().finish();

    let model = Model::new(mlp, normalization, loss)?;
    if let Some(path) = &options.save {
        model.save(path)?;
    }
    if let Some(path) = &options.plot {
        let train_costs: Vec<f64> = history.epochs.iter().map(|r| to_f64(r.train_cost)).collect();
        let test_costs: Vec<f64> = history
            .epochs
            .iter()
            .map(|r| r.validation.map_or(f64::NAN, |m| to_f64(m.cost)))
            .collect();
        let mut series = vec![CostSeries { label: "training", costs: &train_costs }];
        if held_out.is_some() {
            let label = if options.test.is_some() { "test" } else { "validation" };
            series.push(CostSeries { label, costs: &test_costs });
        }
        plot_costs(path, &series)?;
    }
    let test = match &held_out {
        Some(data) => Some(nn_net::evaluate(&model.mlp, data, loss)?),
        None => None,
    };
    Ok(Report {
        arch: flags.arch.to_string(),
        epochs: history.epochs.len(),
        train_cost: to_f64(history.final_cost),
        test_cost: test.map(|m| to_f64(m.cost)),
        test_accuracy: test.and_then(|m| m.accuracy),
        best_epoch: history.best_epoch.map(|e| e + 1),
        stopped_early: history.stopped_early,
        seconds,
        samples_per_s: samples as f64 / step_seconds.max(f64::MIN_POSITIVE),
        model: options.save.as_ref().map(|p| p.display().to_string()),
    })
}

/// The test data must have the training data's inputs (its targets follow from the class
/// count or `--regression`): say which files disagree, before any training.
fn check_same_width<F: NdFloat>(
    train: &Dataset<F>,
    test: &Dataset<F>,
    options: &Options,
    path: &std::path::Path,
) -> Result<(), CommandError> {
    if test.input_width() == train.input_width() {
        return Ok(());
    }
    Err(CommandError::setting(
        "test",
        format!("{} input columns, as {} has", train.input_width(), options.train.display()),
        format!("{} in {}", test.input_width(), path.display()),
    ))
}

/// The data must fit `--arch`: say which flag and which file disagree.
fn check_fits<F: NdFloat>(
    flags: &ModelFlags,
    train: &Dataset<F>,
    options: &Options,
) -> Result<(), CommandError> {
    let arch = &flags.arch;
    if train.input_width() != arch.inputs() {
        return Err(CommandError::setting(
            "arch",
            format!("{} inputs, as {} has", train.input_width(), options.train.display()),
            format!("{arch}, which takes {}", arch.inputs()),
        ));
    }
    if train.target_width() != arch.outputs() {
        return Err(CommandError::setting(
            "arch",
            format!("{} outputs, as {} has targets", train.target_width(), options.train.display()),
            format!("{arch}, which gives {}", arch.outputs()),
        ));
    }
    Ok(())
}

fn to_f64<F: NdFloat>(v: F) -> f64 {
    v.to_f64().unwrap_or(f64::NAN)
}
