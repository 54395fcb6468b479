//! The four rows of a two-input logic gate, and a network's answers to them.

use std::fmt;

use ndarray::{Array2, array};
use nn_net::{Dataset, Mlp, NetError};

/// The inputs of a two-input gate, in the order of its truth table.
pub const INPUTS: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];

/// The dataset of a gate whose outputs for [`INPUTS`] are `outputs`.
pub fn gate_dataset(outputs: [f32; 4]) -> Dataset<f32> {
    let x: Array2<f32> = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y = Array2::from_shape_fn((4, 1), |(i, _)| outputs[i]);
    // Four finite rows of two inputs and one target: always a valid dataset.
    match Dataset::new(x, y) {
        Ok(data) => data,
        Err(e) => unreachable!("the truth table of a gate is a valid dataset: {e}"),
    }
}

/// A network's outputs for each row of a gate, beside the expected ones.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthTable {
    /// What the gate should answer.
    pub expected: [f32; 4],
    /// What the network answers.
    pub outputs: [f32; 4],
}

impl TruthTable {
    /// Runs `mlp` (two inputs, one output) on the four rows.
    ///
    /// # Errors
    /// [`NetError::InputWidth`] if the network does not take two inputs.
    pub fn of(mlp: &Mlp<f32>, expected: [f32; 4]) -> Result<Self, NetError> {
        let data = gate_dataset(expected);
        let out = mlp.predict(data.inputs())?;
        let mut outputs = [0.0; 4];
        for (o, a) in outputs.iter_mut().zip(out.column(0)) {
            *o = *a;
        }
        Ok(TruthTable { expected, outputs })
    }

    /// Whether every output rounds to the expected bit (is on the right side of 0.5).
    pub fn learned(&self) -> bool {
        self.outputs.iter().zip(&self.expected).all(|(&a, &y)| (a >= 0.5) == (y >= 0.5))
    }
}

impl fmt::Display for TruthTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  x1 x2 | want | output")?;
        for ((x, y), a) in INPUTS.iter().zip(&self.expected).zip(&self.outputs) {
            let mark = if (*a >= 0.5) == (*y >= 0.5) { "" } else { "  ✗" };
            writeln!(f, "  {}  {}  |  {}   | {a:.4}{mark}", x[0], x[1], y)?;
        }
        Ok(())
    }
}
