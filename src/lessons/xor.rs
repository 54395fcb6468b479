//! Lesson 4, a hidden layer: a 2-2-1 sigmoid network learns XOR.
//!
//! One neuron cannot separate XOR's ones from its zeros with a line (see `gates`). Two
//! hidden neurons can draw two lines (roughly OR and NAND), and the output neuron combines
//! them (roughly AND): `XOR = AND(OR, NAND)`. Back-propagation finds such weights by itself.

use std::fmt;

use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{Activation, Architecture, Init, Mlp, NetError, TrainConfig, train};

use super::truth_table::{TruthTable, gate_dataset};

/// Settings of the lesson.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Options {
    /// Gradient-descent steps.
    #[arg(long, default_value_t = 20_000)]
    pub epochs: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub rate: f32,
    /// Seed of the starting weights (uniform in [0, 1)).
    #[arg(long, default_value_t = 2)]
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { epochs: 20_000, rate: 1.0, seed: 2 }
    }
}

/// XOR's outputs for inputs 00, 01, 10, 11.
pub const XOR: [f32; 4] = [0.0, 1.0, 1.0, 0.0];

/// What the lesson found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The cost before training.
    pub initial_cost: f32,
    /// The cost after training.
    pub cost: f32,
    /// The network's answers.
    pub table: TruthTable,
    /// The trained network.
    pub network: Mlp<f32>,
}

/// Trains a 2-2-1 sigmoid network on XOR.
///
/// # Errors
/// [`NetError::InvalidRate`] for a rate that is not positive and finite;
/// [`NetError::Diverged`] if training diverges.
pub fn run(options: &Options) -> Result<Report, NetError> {
    let architecture = Architecture::new(vec![2, 2, 1])?;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut network =
        Mlp::new(&architecture, &[Activation::Sigmoid; 2], Init::default(), &mut rng)?;
    let data = gate_dataset(XOR);
    let initial_cost = network.cost(&data, nn_net::Loss::MeanSquaredError)?;
    let config =
        TrainConfig { rate: options.rate, epochs: options.epochs, ..TrainConfig::default() };
    let history = train(&mut network, &data, &config)?;
    let table = TruthTable::of(&network, XOR)?;
    Ok(Report { initial_cost, cost: history.final_cost, table, network })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.table.learned() { "learned" } else { "NOT learned" };
        writeln!(f, "XOR with 2-2-1: cost {:.6} → {:.6}, {verdict}", self.initial_cost, self.cost)?;
        write!(f, "{}", self.table)?;
        for (l, layer) in self.network.layers().iter().enumerate() {
            let w: Vec<String> = layer.w().iter().map(|v| format!("{v:.3}")).collect();
            let b: Vec<String> = layer.b().iter().map(|v| format!("{v:.3}")).collect();
            let shape = format!("{}×{}", layer.inputs(), layer.outputs());
            writeln!(
                f,
                "  layer {l}: W ({shape}, row-major) = [{}], b = [{}]",
                w.join(", "),
                b.join(", ")
            )?;
        }
        Ok(())
    }
}
