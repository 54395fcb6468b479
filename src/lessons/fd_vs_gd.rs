//! Lesson 6, the notes' experiment: finite differences against back-propagation.
//!
//! The NAND neuron (2-1, sigmoid) trained for N epochs (8,000,000 in the notes) twice from
//! the same starting weights, with the notes' settings: `f32`, weights uniform in [0, 1),
//! rate 0.1, and for finite differences the forward difference with `ε = 0.1`. Forward
//! differences cost one extra feed-forward per parameter per epoch (4 passes here against
//! back-propagation's one forward and one backward), and with so large an `ε` they descend
//! a slightly different slope, so the final costs differ too.

use std::fmt;
use std::time::Instant;

use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Activation, Architecture, FiniteDifference, GradientMethod, Init, Loss, Mlp, NetError,
    TrainConfig, Trainer,
};
use serde::Serialize;

use super::truth_table::gate_dataset;

/// Settings of the lesson.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Options {
    /// Training epochs for each method.
    #[arg(long, default_value_t = 8_000_000)]
    pub epochs: usize,
    /// Print one JSON object per method, each on its own line.
    #[arg(long)]
    pub json: bool,
    /// Seed of the starting weights.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { epochs: 8_000_000, json: false, seed: 1 }
    }
}

/// NAND's outputs for inputs 00, 01, 10, 11.
pub const NAND: [f32; 4] = [1.0, 1.0, 1.0, 0.0];

/// The notes' learning rate.
pub const RATE: f32 = 0.1;

/// The notes' finite-difference step.
pub const EPSILON: f32 = 0.1;

/// One method's run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    /// `fd` (forward finite differences) or `bp` (back-propagation).
    pub method: &'static str,
    /// Epochs trained.
    pub epochs: usize,
    /// Wall-clock seconds for the training loop.
    pub seconds: f64,
    /// The cost after training.
    pub cost: f32,
}

/// What the lesson found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Finite differences.
    pub fd: Run,
    /// Back-propagation.
    pub bp: Run,
}

impl Report {
    /// How many times longer finite differences took.
    pub fn ratio(&self) -> f64 {
        self.fd.seconds / self.bp.seconds
    }

    /// One JSON object per method, each on its own line.
    pub fn json_lines(&self) -> String {
        [&self.fd, &self.bp]
            .iter()
            .map(|run| serde_json::to_string(run).unwrap_or_default() + "\n")
            .collect()
    }
}

/// Trains the NAND neuron by both methods.
///
/// # Errors
/// [`NetError::Diverged`] if either run diverges.
pub fn run(options: &Options) -> Result<Report, NetError> {
    let neuron = Mlp::<f32>::new(
        &Architecture::new(vec![2, 1])?,
        &[Activation::Sigmoid],
        Init::Uniform { low: 0.0, high: 1.0 },
        &mut StdRng::seed_from_u64(options.seed),
    )?;
    let fd = GradientMethod::FiniteDifference(FiniteDifference::forward(EPSILON));
    Ok(Report {
        fd: time("fd", neuron.clone(), fd, options.epochs)?,
        bp: time("bp", neuron, GradientMethod::BackPropagation, options.epochs)?,
    })
}

/// Times `epochs` steps of one method: the loop alone, with its buffers built beforehand.
/// The loop is one [`Trainer::repeat_step`]: the same bits as `epochs` calls to
/// [`Trainer::step`], with the checks done once and, for this neuron, the engine's direct
/// run vectorised along the four samples.
fn time(
    method: &'static str,
    mut neuron: Mlp<f32>,
    gradient: GradientMethod<f32>,
    epochs: usize,
) -> Result<Run, NetError> {
    let data = gate_dataset(NAND);
    let (x, y) = (data.inputs(), data.targets());
    let config = TrainConfig {
        rate: RATE,
        epochs,
        loss: Loss::MeanSquaredError,
        method: gradient,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(&neuron, data.len());
    let started = Instant::now();
    // Full-batch steps on one batch: the trainer checks once and runs them as one loop.
    trainer.repeat_step(&mut neuron, x, y, &config, epochs)?;
    let seconds = started.elapsed().as_secs_f64();
    let cost = trainer.cost(&neuron, x, y, Loss::MeanSquaredError)?;
    Ok(Run { method, epochs, seconds, cost })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "NAND neuron, {} epochs, f32, rate {RATE}, ε = {EPSILON}:", self.bp.epochs)?;
        for (name, run) in
            [("finite differences (forward)", &self.fd), ("back-propagation", &self.bp)]
        {
            writeln!(f, "  {name:<29} {:>9.3} s   cost {:.6}", run.seconds, run.cost)?;
        }
        writeln!(f, "  finite differences took {:.2}× as long", self.ratio())
    }
}
