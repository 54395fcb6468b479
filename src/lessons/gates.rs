//! Lesson 2, one neuron: a sigmoid neuron with two inputs learns OR, AND and NAND, and
//! cannot learn XOR.
//!
//! The neuron computes `a = σ(x1·w1 + x2·w2 + b)`: a line `x1·w1 + x2·w2 + b = 0` splits
//! the plane into the inputs it answers 1 for and those it answers 0 for. OR, AND and NAND
//! are each split by a line; XOR (1 for exactly one input) is not, so no choice of `w1, w2,
//! b` gets all four rows right. That is why networks have hidden layers (see `xor`).

use std::fmt;

use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{Activation, Architecture, Init, Mlp, NetError, TrainConfig, train};

use super::truth_table::{TruthTable, gate_dataset};

/// Settings of the lesson.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Options {
    /// Gradient-descent steps per gate.
    #[arg(long, default_value_t = 20_000)]
    pub epochs: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub rate: f32,
    /// Seed of the starting weights (uniform in [0, 1), as in the notes).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { epochs: 20_000, rate: 1.0, seed: 1 }
    }
}

/// The gates of the lesson, with their truth tables for inputs 00, 01, 10, 11.
pub const GATES: [(&str, [f32; 4]); 4] = [
    ("OR", [0.0, 1.0, 1.0, 1.0]),
    ("AND", [0.0, 0.0, 0.0, 1.0]),
    ("NAND", [1.0, 1.0, 1.0, 0.0]),
    ("XOR", [0.0, 1.0, 1.0, 0.0]),
];

/// One gate's result.
#[derive(Clone, Debug, PartialEq)]
pub struct GateReport {
    /// The gate's name.
    pub gate: &'static str,
    /// The final cost.
    pub cost: f32,
    /// The neuron's answers.
    pub table: TruthTable,
}

/// What the lesson found, one entry per gate in [`GATES`] order.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The gates.
    pub gates: Vec<GateReport>,
}

impl Report {
    /// The result for a gate by name.
    pub fn gate(&self, name: &str) -> Option<&GateReport> {
        self.gates.iter().find(|g| g.gate == name)
    }
}

/// Trains one sigmoid neuron on each gate.
///
/// # Errors
/// [`NetError::InvalidRate`] for a rate that is not positive and finite;
/// [`NetError::Diverged`] if training diverges.
pub fn run(options: &Options) -> Result<Report, NetError> {
    let architecture = Architecture::new(vec![2, 1])?;
    let config =
        TrainConfig { rate: options.rate, epochs: options.epochs, ..TrainConfig::default() };
    let mut gates = Vec::with_capacity(GATES.len());
    for (gate, truth) in GATES {
        let mut rng = StdRng::seed_from_u64(options.seed);
        let mut neuron =
            Mlp::new(&architecture, &[Activation::Sigmoid], Init::default(), &mut rng)?;
        let history = train(&mut neuron, &gate_dataset(truth), &config)?;
        gates.push(GateReport {
            gate,
            cost: history.final_cost,
            table: TruthTable::of(&neuron, truth)?,
        });
    }
    Ok(Report { gates })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for g in &self.gates {
            let verdict = if g.table.learned() { "learned" } else { "NOT learned" };
            writeln!(f, "{} — cost {:.6}, {verdict}", g.gate, g.cost)?;
            write!(f, "{}", g.table)?;
        }
        Ok(())
    }
}
