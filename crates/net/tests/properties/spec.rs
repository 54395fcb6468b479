//! The random cases the properties are checked on: a network's sizes and activations, the
//! loss it is trained with, a batch size and a seed, and how a batch is cut into chunks.

use std::fmt::Debug;

use ndarray::{Array2, NdFloat};
use nn_net::rand::distr::uniform::SampleUniform;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{Activation, Architecture, Chunking, Dataset, Init, Loss, Mlp, Optimizer};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// The float types under test, with their bits (to compare results exactly).
pub(crate) trait Float: NdFloat + SampleUniform + Debug {
    /// The value's bits, widened to 64.
    fn bits(self) -> u64;
    /// `v` rounded to this type.
    fn of(v: f64) -> Self;
}

impl Float for f32 {
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn of(v: f64) -> Self {
        v as f32
    }
}

impl Float for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn of(v: f64) -> Self {
        v
    }
}

/// Every parameter's bits, in [`Mlp::parameters`] order.
pub(crate) fn parameter_bits<F: Float>(mlp: &Mlp<F>) -> Vec<u64> {
    mlp.parameters().map(F::bits).collect()
}

/// Weights and biases of both signs, so ReLU units are neither all alive nor all dead.
pub(crate) const INIT: Init = Init::Uniform { low: -1.0, high: 1.0 };

/// A network and a batch to run it on, drawn from `seed`.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    /// The sizes, inputs first.
    pub(crate) sizes: Vec<usize>,
    /// One per layer: element-wise on the hidden layers, the loss's on the output.
    pub(crate) activations: Vec<Activation>,
    /// A loss that works with the output activation.
    pub(crate) loss: Loss,
    /// The batch's rows.
    pub(crate) rows: usize,
    /// Draws the parameters, then the batch.
    pub(crate) seed: u64,
}

/// Every (loss, output activation) pair the engine accepts: the squared error after any
/// activation, cross-entropy after softmax, binary cross-entropy after sigmoid.
fn valid_pairs() -> Vec<(Loss, Activation)> {
    Loss::ALL
        .iter()
        .flat_map(|&loss| Activation::ALL.iter().map(move |&output| (loss, output)))
        .filter(|&(loss, output)| loss.check_output(output).is_ok())
        .collect()
}

/// 1 to 4 layers, every size (inputs included) 1 to `max_width`, hidden activations drawn
/// per layer, a valid (loss, output) pair, 1 to `max_rows` rows, any seed.
pub(crate) fn spec(max_width: usize, max_rows: usize) -> impl Strategy<Value = Spec> {
    (1..=4_usize)
        .prop_flat_map(move |layers| {
            (
                vec(1..=max_width, layers + 1),
                vec(select(Activation::ELEMENTWISE.to_vec()), layers - 1),
                select(valid_pairs()),
                1..=max_rows,
                any::<u64>(),
            )
        })
        .prop_map(|(sizes, mut activations, (loss, output), rows, seed)| {
            activations.push(output);
            Spec { sizes, activations, loss, rows, seed }
        })
}

/// The default cut (at least 32 rows a chunk, at most 4 chunks) or any other, always with
/// no work threshold: these networks are far below the default one, which would make
/// every batch a single chunk.
pub(crate) fn chunking() -> impl Strategy<Value = Chunking> {
    prop_oneof![
        Just(Chunking { min_work: 0, ..Chunking::default() }),
        (1..=32_usize, 1..=6_usize).prop_map(|(rows, max_chunks)| Chunking {
            rows,
            max_chunks,
            min_work: 0
        }),
    ]
}

/// Every optimizer, with its defaults.
pub(crate) fn optimizer<F: Float>() -> impl Strategy<Value = Optimizer<F>> {
    select(vec![
        Optimizer::Sgd,
        Optimizer::momentum(),
        Optimizer::nesterov(),
        Optimizer::adam(),
        Optimizer::adamw(),
        Optimizer::rms_prop(),
    ])
}

impl Spec {
    /// The architecture.
    pub(crate) fn architecture(&self) -> Architecture {
        Architecture::new(self.sizes.clone()).expect("sizes of at least 1")
    }

    /// The network and a batch of [`Spec::rows`] rows, both drawn from the seed: inputs
    /// uniform in `[−1, 1)`, targets of the kind the loss is for (for the squared error
    /// uniform in `[−1, 1)`, for cross-entropy a probability row, positive and summing to
    /// 1, for binary cross-entropy uniform in `[0, 1)`).
    pub(crate) fn case<F: Float>(&self) -> (Mlp<F>, Dataset<F>) {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mlp = Mlp::new(&self.architecture(), &self.activations, INIT, &mut rng)
            .expect("a valid architecture and activations");
        let (n, d_in, d_out) = (self.rows, mlp.inputs(), mlp.outputs());
        let x = Array2::from_shape_fn((n, d_in), |_| F::of(rng.random_range(-1.0..1.0)));
        let y = match self.loss {
            Loss::CrossEntropy => {
                let mut y = Array2::from_shape_fn((n, d_out), |_| rng.random_range(0.01..1.0));
                for mut row in y.rows_mut() {
                    let sum = row.sum();
                    row /= sum;
                }
                y.mapv(F::of)
            }
            Loss::BinaryCrossEntropy => {
                Array2::from_shape_fn((n, d_out), |_| F::of(rng.random_range(0.0..1.0)))
            }
            _ => Array2::from_shape_fn((n, d_out), |_| F::of(rng.random_range(-1.0..1.0))),
        };
        (mlp, Dataset::new(x, y).expect("finite data of matching rows"))
    }
}
