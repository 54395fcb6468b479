//! Lesson 3, two neurons in a chain: `x → a1 = σ(x·w1 + b1) → a2 = σ(a1·w2 + b2)`.
//!
//! The cost depends on the first neuron's parameters only through `a1`, so the chain rule
//! passes the output's error back through `w2`:
//! `δ2 = 2(a2 − y)·a2(1 − a2)`, `δ1 = δ2·w2·a1(1 − a1)` (per sample), and
//! `∂C/∂w2 = (1/n) Σ δ2·a1`, `∂C/∂b2 = (1/n) Σ δ2`, `∂C/∂w1 = (1/n) Σ δ1·x`,
//! `∂C/∂b1 = (1/n) Σ δ1`. The report checks these against finite differences, then trains
//! the chain to compute NOT.

use std::fmt;

use ndarray::array;
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Activation, Architecture, Dataset, FiniteDifference, Gradient, Init, Loss, Mlp, NetError,
    TrainConfig, Workspace, finite_difference_gradient, train,
};

/// Settings of the lesson.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Options {
    /// Gradient-descent steps.
    #[arg(long, default_value_t = 10_000)]
    pub epochs: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub rate: f64,
    /// Seed of the starting weights (uniform in [0, 1)).
    #[arg(long, default_value_t = 3)]
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { epochs: 10_000, rate: 1.0, seed: 3 }
    }
}

/// What the lesson found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// `[∂C/∂w1, ∂C/∂b1, ∂C/∂w2, ∂C/∂b2]` at the start, by back-propagation.
    pub backprop: [f64; 4],
    /// The same by central finite differences.
    pub finite_difference: [f64; 4],
    /// The cost before and after training.
    pub costs: (f64, f64),
    /// The chain's answers for x = 0 and x = 1 after training (NOT wants 1 and 0).
    pub outputs: [f64; 2],
}

impl Report {
    /// Whether the chain computes NOT: its answer rounds to 1 for x = 0 and to 0 for x = 1.
    pub fn learned(&self) -> bool {
        self.outputs[0] >= 0.5 && self.outputs[1] < 0.5
    }
}

/// Builds the 1-1-1 chain, compares its gradient by back-propagation with finite
/// differences, and trains it on NOT. In `f64`, so the comparison is to many digits.
///
/// # Errors
/// [`NetError::InvalidRate`] for a rate that is not positive and finite;
/// [`NetError::Diverged`] if training diverges.
pub fn run(options: &Options) -> Result<Report, NetError> {
    let architecture = Architecture::new(vec![1, 1, 1])?;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut chain = Mlp::new(&architecture, &[Activation::Sigmoid; 2], Init::default(), &mut rng)?;
    let not = Dataset::new(array![[0.0], [1.0]], array![[1.0], [0.0]])?;

    let mut workspace = Workspace::new(&chain, not.len());
    let mut gradient = Gradient::zeros(&chain);
    let start = chain.gradient_into(
        &mut workspace,
        not.inputs(),
        not.targets(),
        Loss::MeanSquaredError,
        &mut gradient,
    )?;
    let reference = finite_difference_gradient(
        &chain,
        &not,
        Loss::MeanSquaredError,
        FiniteDifference::default(),
    )?;

    let config =
        TrainConfig { rate: options.rate, epochs: options.epochs, ..TrainConfig::default() };
    let history = train(&mut chain, &not, &config)?;
    let out = chain.predict(not.inputs())?;
    Ok(Report {
        backprop: four(&gradient),
        finite_difference: four(&reference),
        costs: (start, history.final_cost),
        outputs: [out[[0, 0]], out[[1, 0]]],
    })
}

/// The gradient of a 1-1-1 chain as `[w1, b1, w2, b2]` (the order of `Gradient::iter`).
fn four(gradient: &Gradient<f64>) -> [f64; 4] {
    let mut entries = [0.0; 4];
    for (e, g) in entries.iter_mut().zip(gradient.iter()) {
        *e = g;
    }
    entries
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "The chain 1-1-1 at its starting point:")?;
        writeln!(f, "            back-propagation   finite difference")?;
        for (name, (bp, fd)) in ["∂C/∂w1", "∂C/∂b1", "∂C/∂w2", "∂C/∂b2"]
            .iter()
            .zip(self.backprop.iter().zip(&self.finite_difference))
        {
            writeln!(f, "  {name}   {bp:>16.10}   {fd:>16.10}")?;
        }
        let verdict = if self.learned() { "learned" } else { "NOT learned" };
        writeln!(f, "NOT: cost {:.6} → {:.6}, {verdict}", self.costs.0, self.costs.1)?;
        writeln!(f, "  x = 0 → {:.4}", self.outputs[0])?;
        writeln!(f, "  x = 1 → {:.4}", self.outputs[1])
    }
}
