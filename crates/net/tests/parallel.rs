//! Parallel equals serial, bit for bit: a batch's cost and gradient, and whole training
//! runs, are the same on 1, 2, 3 and 4 threads, for batches that do and do not divide by
//! the chunk size, in f32 and f64, with the squared error and with a softmax output and
//! cross-entropy, with plain SGD and with Adam; mini-batch shuffles follow their seed.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use approx::assert_relative_eq;
use ndarray::Array2;
use ndarray::NdFloat;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    Activation, BatchGradient, Chunking, Dataset, Gradient, Init, Loss, Mlp, Optimizer, Schedule,
    TrainConfig, Workspace, train,
};

/// The float types under test, with their bits (to compare results exactly) and the
/// tolerance that separates a rounding difference from a wrong result.
trait NdFloatBits: NdFloat + nn_net::rand::distr::uniform::SampleUniform {
    fn bits(self) -> u64;
    fn of(v: f64) -> Self;
    fn as_f64(self) -> f64;
    const TOLERANCE: f64;
}

impl NdFloatBits for f32 {
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn of(v: f64) -> Self {
        v as f32
    }
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
    const TOLERANCE: f64 = 1e-4;
}

impl NdFloatBits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn of(v: f64) -> Self {
        v
    }
    fn as_f64(self) -> f64 {
        self
    }
    const TOLERANCE: f64 = 1e-12;
}

/// Pools of 1, 2, 3 and 4 threads.
fn pools() -> Vec<rayon::ThreadPool> {
    (1..=4)
        .map(|t| rayon::ThreadPoolBuilder::new().num_threads(t).build().expect("a thread pool"))
        .collect()
}

fn network<F: NdFloatBits>(sizes: &[usize], seed: u64) -> Mlp<F> {
    network_with_output(sizes, seed, Activation::LeakyRelu)
}

/// Tanh, then sigmoid hidden layers (the last ones of that list, for fewer layers), and
/// `output` on the output layer.
fn network_with_output<F: NdFloatBits>(sizes: &[usize], seed: u64, output: Activation) -> Mlp<F> {
    let activations = [Activation::Tanh, Activation::Sigmoid, output];
    Mlp::new(
        &nn_net::Architecture::new(sizes.to_vec()).unwrap(),
        &activations[3 - (sizes.len() - 1)..],
        Init::Uniform { low: -0.5, high: 0.5 },
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap()
}

fn batch<F: NdFloatBits>(rows: usize, inputs: usize, outputs: usize, seed: u64) -> Dataset<F> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draw = |_| F::of(rng.random_range(-1.0..1.0));
    let x = Array2::from_shape_fn((rows, inputs), &mut draw);
    let y = Array2::from_shape_fn((rows, outputs), &mut draw);
    Dataset::new(x, y).unwrap()
}

/// As [`batch`], with one-hot targets (a random class per row), for cross-entropy.
fn one_hot_batch<F: NdFloatBits>(
    rows: usize,
    inputs: usize,
    classes: usize,
    seed: u64,
) -> Dataset<F> {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Array2::from_shape_fn((rows, inputs), |_| F::of(rng.random_range(-1.0..1.0)));
    let hot: Vec<usize> = (0..rows).map(|_| rng.random_range(0..classes)).collect();
    let y =
        Array2::from_shape_fn((rows, classes), |(i, j)| F::of(f64::from(u8::from(hot[i] == j))));
    Dataset::new(x, y).unwrap()
}

fn bits<F: NdFloatBits>(gradient: &Gradient<F>) -> Vec<u64> {
    gradient.iter().map(NdFloatBits::bits).collect()
}

fn parallel_equals_serial<F: NdFloatBits>(output: Activation, loss: Loss) {
    let pools = pools();
    let chunking = Chunking { rows: 16, max_chunks: 5, min_work: 0 };
    let net = network_with_output::<F>(&[7, 9, 5, 3], 11, output);
    // Divides by 16, does not (and is cut into the most chunks, 5 of 20 rows), smaller than
    // one chunk, exactly one chunk, one row over, just under two chunks, two.
    for rows in [64, 100, 5, 16, 17, 1, 31, 32] {
        let data = match loss {
            Loss::CrossEntropy => one_hot_batch::<F>(rows, 7, 3, rows as u64),
            _ => batch::<F>(rows, 7, 3, rows as u64),
        };
        let mut engine = BatchGradient::new(&net, rows, chunking).unwrap();
        let expected_chunks = (rows / 16).clamp(1, 5);
        assert_eq!(engine.chunk_count(rows), expected_chunks);
        let mut results = Vec::new();
        for pool in &pools {
            let cost =
                pool.install(|| engine.compute(&net, data.inputs(), data.targets(), loss)).unwrap();
            results.push((cost.bits(), bits(engine.gradient())));
            // The forward and backward halves, run apart, give the same bits.
            let split = pool.install(|| {
                engine.forward(&net, data.inputs())?;
                engine.backward(&net, data.inputs(), data.targets(), loss)
            });
            assert_eq!(split.unwrap().bits(), cost.bits());
            assert_eq!(bits(engine.gradient()), results[0].1);
        }
        for (threads, result) in results.iter().enumerate() {
            assert_eq!(result, &results[0], "{rows} rows: {} threads differ from 1", threads + 1);
        }

        // The chunked sum is the same math as one whole-batch pass (to rounding).
        let mut workspace = Workspace::new(&net, rows);
        let mut whole = Gradient::zeros(&net);
        let cost = net
            .gradient_into(&mut workspace, data.inputs(), data.targets(), loss, &mut whole)
            .unwrap();
        let chunked_cost =
            pools[0].install(|| engine.compute(&net, data.inputs(), data.targets(), loss)).unwrap();
        assert_relative_eq!(cost.as_f64(), chunked_cost.as_f64(), max_relative = F::TOLERANCE);
        for (a, b) in whole.iter().zip(engine.gradient().iter()) {
            let scale = a.abs().max(b.abs()).max(F::one()).as_f64();
            assert!((a - b).abs().as_f64() <= F::TOLERANCE * scale, "{rows} rows: {a} vs {b}");
        }
    }
}

#[test]
fn parallel_equals_serial_in_f64() {
    parallel_equals_serial::<f64>(Activation::LeakyRelu, Loss::MeanSquaredError);
}

#[test]
fn parallel_equals_serial_in_f32() {
    parallel_equals_serial::<f32>(Activation::LeakyRelu, Loss::MeanSquaredError);
}

#[test]
fn parallel_equals_serial_with_softmax_and_cross_entropy_in_f64() {
    parallel_equals_serial::<f64>(Activation::Softmax, Loss::CrossEntropy);
}

#[test]
fn parallel_equals_serial_with_softmax_and_cross_entropy_in_f32() {
    parallel_equals_serial::<f32>(Activation::Softmax, Loss::CrossEntropy);
}

#[test]
fn softmax_cross_entropy_training_is_the_same_on_any_number_of_threads() {
    let pools = pools();
    let data = one_hot_batch::<f64>(203, 6, 4, 9);
    let run = |pool: &rayon::ThreadPool, batch_size| {
        let mut net = network_with_output::<f64>(&[6, 10, 4], 5, Activation::Softmax);
        let config = TrainConfig {
            rate: 0.5,
            epochs: 4,
            loss: Loss::CrossEntropy,
            batch_size,
            seed: 3,
            chunking: Chunking { rows: 8, max_chunks: usize::MAX, min_work: 0 },
            ..TrainConfig::default()
        };
        let history = pool.install(|| train(&mut net, &data, &config)).unwrap();
        (history.final_cost.to_bits(), net.parameters().map(f64::to_bits).collect::<Vec<_>>())
    };
    for batch_size in [None, Some(50), Some(1)] {
        let first = run(&pools[0], batch_size);
        for pool in &pools[1..] {
            assert_eq!(run(pool, batch_size), first, "batch {batch_size:?}");
        }
    }
}

fn trained<F: NdFloatBits>(pool: &rayon::ThreadPool, config: &TrainConfig<F>) -> Vec<u64> {
    let mut net = network::<F>(&[6, 10, 2], 5);
    let data = batch::<F>(203, 6, 2, 9);
    pool.install(|| train(&mut net, &data, config)).unwrap();
    net.parameters().map(NdFloatBits::bits).collect()
}

#[test]
fn mini_batch_training_is_the_same_on_any_number_of_threads() {
    let pools = pools();
    for batch_size in [None, Some(50), Some(64), Some(203), Some(1)] {
        let config = TrainConfig {
            rate: 0.05,
            epochs: 4,
            batch_size,
            seed: 3,
            chunking: Chunking { rows: 8, max_chunks: usize::MAX, min_work: 0 },
            ..TrainConfig::default()
        };
        let first = trained::<f64>(&pools[0], &config);
        for pool in &pools[1..] {
            assert_eq!(trained::<f64>(pool, &config), first, "batch {batch_size:?}");
        }
        let config = TrainConfig {
            rate: 0.05_f32,
            epochs: 4,
            batch_size,
            seed: 3,
            chunking: Chunking { rows: 8, max_chunks: usize::MAX, min_work: 0 },
            ..TrainConfig::default()
        };
        let first = trained::<f32>(&pools[0], &config);
        for pool in &pools[1..] {
            assert_eq!(trained::<f32>(pool, &config), first, "f32, batch {batch_size:?}");
        }
    }
}

#[test]
fn adam_mini_batch_training_is_the_same_on_any_number_of_threads() {
    // Adam's per-entry update runs serially after the tree sum, so it cannot add a
    // difference; with decay, clipping and a per-step cosine schedule all in play.
    let pools = pools();
    for batch_size in [Some(50), Some(17), None] {
        let config = TrainConfig {
            rate: 0.01,
            epochs: 4,
            batch_size,
            seed: 3,
            chunking: Chunking { rows: 8, max_chunks: usize::MAX, min_work: 0 },
            optimizer: Optimizer::adam(),
            weight_decay: 0.01,
            clip_norm: Some(1.0),
            schedule: Schedule::Cosine { warmup: 1, min_rate: 0.0 },
            ..TrainConfig::default()
        };
        let first = trained::<f64>(&pools[0], &config);
        for pool in &pools[1..] {
            assert_eq!(trained::<f64>(pool, &config), first, "batch {batch_size:?}");
        }
        let config = TrainConfig {
            rate: 0.01_f32,
            weight_decay: 0.01,
            clip_norm: Some(1.0),
            optimizer: Optimizer::adam(),
            schedule: Schedule::Cosine { warmup: 1, min_rate: 0.0 },
            ..TrainConfig::default()
        };
        let config = TrainConfig {
            epochs: 4,
            batch_size,
            seed: 3,
            chunking: Chunking { rows: 8, max_chunks: usize::MAX, min_work: 0 },
            ..config
        };
        let first = trained::<f32>(&pools[0], &config);
        for pool in &pools[1..] {
            assert_eq!(trained::<f32>(pool, &config), first, "f32, batch {batch_size:?}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_parameters_and_another_seed_other_shuffles() {
    let pool = &pools()[1];
    let config = |seed| TrainConfig {
        rate: 0.05,
        epochs: 3,
        batch_size: Some(20),
        seed,
        ..Default::default()
    };
    let a = trained::<f64>(pool, &config(1));
    let b = trained::<f64>(pool, &config(1));
    let c = trained::<f64>(pool, &config(2));
    assert_eq!(a, b);
    // Another shuffle visits the samples in another order, so the steps differ.
    assert_ne!(a, c);
    // Full batch has no shuffle: the seed changes nothing.
    let full = |seed| TrainConfig { batch_size: None, ..config(seed) };
    assert_eq!(trained::<f64>(pool, &full(1)), trained::<f64>(pool, &full(2)));
}

#[test]
fn a_zero_batch_size_or_chunk_size_is_refused() {
    let mut net = network::<f64>(&[6, 10, 2], 5);
    let data = batch::<f64>(10, 6, 2, 9);
    let config = TrainConfig { batch_size: Some(0), ..TrainConfig::<f64>::default() };
    let e = train(&mut net, &data, &config).unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected a batch size of at least 1 (or none, for the whole dataset); found 0"
    );
    let config = TrainConfig {
        chunking: Chunking { rows: 0, max_chunks: usize::MAX, min_work: 0 },
        ..TrainConfig::<f64>::default()
    };
    let e = train(&mut net, &data, &config).unwrap_err();
    assert_eq!(e.to_string(), "expected at least 1 row per chunk; found 0");
    assert!(BatchGradient::new(&net, 10, Chunking { rows: 0, ..Chunking::default() }).is_err());
    let config = TrainConfig {
        chunking: Chunking { max_chunks: 0, ..Chunking::default() },
        ..TrainConfig::<f64>::default()
    };
    let e = train(&mut net, &data, &config).unwrap_err();
    assert_eq!(
        e.to_string(),
        "expected the most chunks a batch is cut into to be at least 1; found 0"
    );
}

#[test]
fn backward_without_a_matching_forward_is_an_error() {
    let net = network::<f64>(&[6, 10, 2], 5);
    let data = batch::<f64>(10, 6, 2, 9);
    let mut engine = BatchGradient::new(&net, 10, Chunking::default()).unwrap();
    assert!(engine.backward(&net, data.inputs(), data.targets(), Loss::default()).is_err());
}

/// A network whose first layer (300 × 160 = 48,000 weights) is large enough for the tree's
/// additions and the descent to be spread over the pool in pieces: the same bits as one
/// thread, in f32 and f64, with the default chunking.
fn large_layers_are_the_same_on_any_number_of_threads<F: NdFloatBits>() {
    let pools = pools();
    let data = batch::<F>(96, 300, 10, 4);
    let run = |pool: &rayon::ThreadPool| {
        let mut net = network::<F>(&[300, 160, 10], 8);
        let config = TrainConfig {
            rate: F::of(0.5),
            epochs: 3,
            batch_size: Some(64),
            ..TrainConfig::default()
        };
        let history = pool.install(|| train(&mut net, &data, &config)).unwrap();
        (history.final_cost.bits(), net.parameters().map(NdFloatBits::bits).collect::<Vec<_>>())
    };
    let first = run(&pools[0]);
    for pool in &pools[1..] {
        assert!(run(pool) == first, "{} threads", pool.current_num_threads());
    }
}

#[test]
fn large_layers_are_the_same_on_any_number_of_threads_f32() {
    large_layers_are_the_same_on_any_number_of_threads::<f32>();
}

#[test]
fn large_layers_are_the_same_on_any_number_of_threads_f64() {
    large_layers_are_the_same_on_any_number_of_threads::<f64>();
}
