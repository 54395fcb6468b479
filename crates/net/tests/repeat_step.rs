//! `Trainer::repeat_step` is `count` calls to `Trainer::step`, to the bit: the same
//! parameters, the same gradient, the same returned cost, the same step count and the same
//! errors, on every path it takes (the direct run of a tiny network, vectorised along the
//! samples, and the general loop), for batches that fill whole blocks of samples and
//! batches that do not, one output and several, single neurons of every width the run has
//! its own loop for, every loss, both float types, and both gradient methods; and a
//! trainer whose run buffers earlier runs of other batches and losses have used.

#![cfg(test)]

use ndarray::{Array2, NdFloat};
use nn_net::rand::distr::uniform::SampleUniform;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    Activation, Difference, FiniteDifference, GradientMethod, Init, Loss, Mlp, NetError, Optimizer,
    TrainConfig, Trainer,
};

/// A network of `arch` with `activations`, drawn from a fixed seed.
fn network<F: NdFloat + SampleUniform>(
    arch: &str,
    activations: &[Activation],
    seed: u64,
) -> Mlp<F> {
    let mut rng = StdRng::seed_from_u64(seed);
    Mlp::new(&arch.parse().unwrap(), activations, Init::Xavier, &mut rng).unwrap()
}

/// `rows` random inputs in [-1, 1) and targets that suit `loss` (probabilities for the
/// cross-entropies, one-hot rows for softmax's).
fn batch<F: NdFloat>(
    rows: usize,
    (inputs, outputs): (usize, usize),
    loss: Loss,
    seed: u64,
) -> (Array2<F>, Array2<F>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draw = |low: f64, high: f64| F::from(rng.random_range(low..high)).unwrap();
    let x = Array2::from_shape_fn((rows, inputs), |_| draw(-1.0, 1.0));
    let y = match loss {
        Loss::CrossEntropy => Array2::from_shape_fn((rows, outputs), |(i, j)| {
            if (i * 7 + 3) % outputs == j { F::one() } else { F::zero() }
        }),
        Loss::BinaryCrossEntropy => Array2::from_shape_fn((rows, outputs), |_| draw(0.0, 1.0)),
        _ => Array2::from_shape_fn((rows, outputs), |_| draw(-1.0, 1.0)),
    };
    (x, y)
}

/// `count` steps one by one and by `repeat_step` from the same start: both results (the
/// cost, or the error) and both networks, gradients and step counts must be equal.
fn same_as_steps<F: NdFloat + SampleUniform>(
    start: &Mlp<F>,
    (x, y): (&Array2<F>, &Array2<F>),
    config: &TrainConfig<F>,
    count: usize,
) -> Result<F, NetError> {
    let (mut one_by_one, mut stepper) = (start.clone(), Trainer::new(start, x.nrows()));
    let mut stepped = Ok(F::zero());
    for _ in 0..count {
        stepped = stepper.step(&mut one_by_one, x, y, config);
        if stepped.is_err() {
            break;
        }
    }
    if count == 0 {
        stepped = stepper.cost(&one_by_one, x, y, config.loss);
    }
    let (mut repeated, mut repeater) = (start.clone(), Trainer::new(start, x.nrows()));
    let result = repeater.repeat_step(&mut repeated, x, y, config, count);
    let describe = |r: &Result<F, NetError>| format!("{:?}", r.as_ref().map(|c| c.to_f64()));
    assert_eq!(describe(&result), describe(&stepped), "returned");
    assert_eq!(repeated, one_by_one, "parameters after {count} steps");
    assert_eq!(repeater.steps(), stepper.steps(), "steps counted");
    // Compared as text, so that the NaN of a diverged step equals itself.
    let (a, b) = (format!("{:?}", repeater.gradient()), format!("{:?}", stepper.gradient()));
    assert_eq!(a, b, "the last gradient");
    result
}

/// Networks on the direct path (every layer at most 16 weights) and their losses.
fn tiny_cases() -> Vec<(&'static str, Vec<Activation>, Loss)> {
    use Activation::*;
    vec![
        ("2-1", vec![Sigmoid], Loss::MeanSquaredError),
        ("2-2-1", vec![Sigmoid, Sigmoid], Loss::MeanSquaredError),
        ("2-3-1", vec![Tanh, Sigmoid], Loss::BinaryCrossEntropy),
        ("3-4-2", vec![Relu, Identity], Loss::MeanSquaredError),
        ("2-4-3", vec![LeakyRelu, Softmax], Loss::CrossEntropy),
        ("1-2-2-1", vec![Tanh, Relu, Identity], Loss::MeanSquaredError),
        ("4-2", vec![Sigmoid], Loss::BinaryCrossEntropy),
        // Single neurons of 1, 3 and 4 inputs: each width has its own feed-forward loop.
        ("1-1", vec![Identity], Loss::MeanSquaredError),
        ("3-1", vec![Tanh], Loss::MeanSquaredError),
        ("4-1", vec![Sigmoid], Loss::BinaryCrossEntropy),
        ("5-1", vec![Relu], Loss::MeanSquaredError),
    ]
}

fn every_tiny_network_and_batch_size<F: NdFloat + SampleUniform>(
    method: GradientMethod<F>,
    rate: F,
) {
    for (arch, activations, loss) in tiny_cases() {
        let start = network::<F>(arch, &activations, 3);
        let widths = (start.inputs(), start.outputs());
        // 1, 3 and 5 rows leave a block part empty; 4 and 8 fill whole blocks.
        for rows in [1, 3, 4, 5, 8] {
            let (x, y) = batch::<F>(rows, widths, loss, rows as u64);
            let config = TrainConfig { rate, loss, method, ..TrainConfig::default() };
            let cost = same_as_steps(&start, (&x, &y), &config, 25)
                .unwrap_or_else(|e| panic!("{arch}, {rows} rows: {e}"));
            assert!(cost.is_finite());
        }
    }
}

#[test]
fn back_propagation_in_f32_and_f64() {
    every_tiny_network_and_batch_size::<f32>(GradientMethod::BackPropagation, 0.5);
    every_tiny_network_and_batch_size::<f64>(GradientMethod::BackPropagation, 0.5);
}

#[test]
fn finite_differences_forward_and_central() {
    let forward = FiniteDifference::forward(0.01);
    let central = FiniteDifference { step: 1e-3, difference: Difference::Central };
    every_tiny_network_and_batch_size::<f32>(GradientMethod::FiniteDifference(forward), 0.5);
    every_tiny_network_and_batch_size::<f64>(GradientMethod::FiniteDifference(central), 0.5);
}

#[test]
fn a_trainer_reused_for_other_batches_and_losses_gives_the_same_bits() {
    use Activation::*;
    // The direct run's buffers stay with the trainer: grown by the first batch, of 8 rows,
    // then taken in part by smaller ones (whose padded lanes a larger batch filled) and by
    // another loss. Each run must still give the bits of as many steps.
    let cases = [
        ("2-3-1", [Tanh, Sigmoid], [Loss::MeanSquaredError, Loss::BinaryCrossEntropy]),
        ("2-4-3", [LeakyRelu, Softmax], [Loss::CrossEntropy, Loss::MeanSquaredError]),
    ];
    for (arch, activations, losses) in cases {
        let start = network::<f64>(arch, &activations, 6);
        let widths = (start.inputs(), start.outputs());
        let (mut stepped, mut stepper) = (start.clone(), Trainer::new(&start, 8));
        let (mut repeated, mut repeater) = (start.clone(), Trainer::new(&start, 8));
        for (run, rows) in [8, 3, 5, 1, 8].into_iter().enumerate() {
            let loss = losses[run % 2];
            let (x, y) = batch::<f64>(rows, widths, loss, run as u64);
            let config = TrainConfig { rate: 0.5, loss, ..TrainConfig::default() };
            let mut last = 0.0;
            for _ in 0..7 {
                last = stepper.step(&mut stepped, &x, &y, &config).unwrap();
            }
            let result = repeater.repeat_step(&mut repeated, &x, &y, &config, 7).unwrap();
            let case = format!("{arch}, run {run}: {rows} rows, {loss:?}");
            assert_eq!(result.to_bits(), last.to_bits(), "{case}: returned");
            assert_eq!(repeated, stepped, "{case}: parameters");
            assert_eq!(repeater.steps(), stepper.steps(), "{case}: steps counted");
            let (a, b) =
                (format!("{:?}", repeater.gradient()), format!("{:?}", stepper.gradient()));
            assert_eq!(a, b, "{case}: the last gradient");
        }
    }
}

#[test]
fn the_notes_nand_neuron_for_many_epochs() {
    let start = network::<f32>("2-1", &[Activation::Sigmoid], 1);
    let x = ndarray::array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y = ndarray::array![[1.0], [1.0], [1.0], [0.0]];
    let config = TrainConfig { rate: 0.1, ..TrainConfig::default() };
    let cost = same_as_steps(&start, (&x, &y), &config, 20_000).unwrap();
    assert!(cost < 0.05, "NAND after 20,000 epochs: cost {cost}");
}

#[test]
fn the_general_loop_for_larger_networks_other_optimizers_and_settings() {
    let (x, y) = batch::<f32>(6, (4, 5), Loss::MeanSquaredError, 1);
    // 4·5 = 20 weights: past the direct path's 16.
    let wide = network::<f32>("4-5", &[Activation::Sigmoid], 2);
    same_as_steps(&wide, (&x, &y), &TrainConfig::default(), 12).unwrap();
    let (x, y) = batch::<f32>(6, (2, 1), Loss::MeanSquaredError, 1);
    let tiny = network::<f32>("2-3-1", &[Activation::Tanh, Activation::Identity], 2);
    let settings = [
        TrainConfig { optimizer: Optimizer::momentum(), ..TrainConfig::default() },
        TrainConfig { optimizer: Optimizer::adam(), rate: 0.01, ..TrainConfig::default() },
        TrainConfig { weight_decay: 0.01, ..TrainConfig::default() },
        TrainConfig { clip_norm: Some(0.1), ..TrainConfig::default() },
    ];
    for config in &settings {
        same_as_steps(&tiny, (&x, &y), config, 12).unwrap();
    }
    // A batch that is not row-major goes the general way too.
    let x_columns = x.t().as_standard_layout().t().to_owned();
    assert!(x_columns.as_slice().is_none());
    same_as_steps(&tiny, (&x_columns, &y), &TrainConfig::default(), 12).unwrap();
}

#[test]
fn no_steps_gives_the_cost_where_the_network_stands() {
    let start = network::<f64>("2-2-1", &[Activation::Sigmoid, Activation::Sigmoid], 4);
    let (x, y) = batch::<f64>(4, (2, 1), Loss::MeanSquaredError, 2);
    let cost = same_as_steps(&start, (&x, &y), &TrainConfig::default(), 0).unwrap();
    assert_eq!(
        cost,
        start.cost(&nn_net::Dataset::new(x, y).unwrap(), Loss::MeanSquaredError).unwrap()
    );
}

#[test]
fn a_diverging_run_stops_where_the_steps_stop_with_the_same_error() {
    // Linear networks and a rate that overshoots further every step: the cost overflows.
    // The 2-3-1 network runs the general loop, by both methods; the single neuron (2-1)
    // runs the neuron's own loop by back-propagation (by finite differences, its gradient
    // shrinks as its cost grows, and it does not diverge). 5 rows leave a padded lane.
    let x = Array2::from_shape_fn((5, 2), |(_, j)| [0.5_f32, -1.5][j]);
    let y = Array2::from_elem((5, 1), 3.0_f32);
    let fd = GradientMethod::FiniteDifference(FiniteDifference::forward(1e-2));
    let bp = GradientMethod::BackPropagation;
    for (arch, activations, methods) in [
        ("2-3-1", &[Activation::Identity, Activation::Identity][..], &[bp, fd][..]),
        ("2-1", &[Activation::Identity][..], &[bp][..]),
    ] {
        let start = network::<f32>(arch, activations, 5);
        for &method in methods {
            let config = TrainConfig { rate: 40.0, method, ..TrainConfig::default() };
            let outcome = same_as_steps(&start, (&x, &y), &config, 10_000);
            let e = outcome.expect_err(&format!("{arch}, {method:?}: no divergence"));
            assert!(matches!(e, NetError::Diverged { epoch, .. } if epoch > 0), "{arch}: {e}");
        }
    }
}

#[test]
fn bad_settings_and_batches_are_refused_before_any_step() {
    let mut net = network::<f32>("2-1", &[Activation::Sigmoid], 1);
    let before = net.clone();
    let (x, y) = batch::<f32>(4, (2, 1), Loss::MeanSquaredError, 1);
    let mut trainer = Trainer::new(&net, 4);
    let bad_rate = TrainConfig { rate: f32::NAN, ..TrainConfig::default() };
    let e = trainer.repeat_step(&mut net, &x, &y, &bad_rate, 10).unwrap_err();
    assert!(matches!(e, NetError::InvalidRate { .. }), "{e}");
    let bad_step = GradientMethod::FiniteDifference(FiniteDifference::forward(0.0));
    let config = TrainConfig { method: bad_step, ..TrainConfig::default() };
    let e = trainer.repeat_step(&mut net, &x, &y, &config, 10).unwrap_err();
    assert!(matches!(e, NetError::InvalidStep { .. }), "{e}");
    let (wide, _) = batch::<f32>(4, (3, 1), Loss::MeanSquaredError, 1);
    let e = trainer.repeat_step(&mut net, &wide, &y, &TrainConfig::default(), 10).unwrap_err();
    assert!(matches!(e, NetError::InputWidth { expected: 2, found: 3 }), "{e}");
    let (many, many_y) = batch::<f32>(5, (2, 1), Loss::MeanSquaredError, 1);
    let e = trainer.repeat_step(&mut net, &many, &many_y, &TrainConfig::default(), 1);
    assert!(matches!(e, Err(NetError::BatchTooLarge { capacity: 4, rows: 5 })), "{e:?}");
    assert_eq!((net, trainer.steps()), (before, 0));
}
