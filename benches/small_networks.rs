//! Tiny and small networks, where per-step overhead rather than arithmetic is the cost:
//! the NAND neuron's step by back-propagation and by forward differences, and its epochs
//! as `fd_vs_gd` runs them (`Trainer::repeat_step`), the 4-bit
//! adder's full-batch step, and the 5-bit adder's real training loop (each epoch's shuffle,
//! the gathering of each mini-batch's rows, and the step), in `f32` and `f64`.
//!
//! `cargo bench --bench small_networks`
//!
//! Run it on one thread (`RAYON_NUM_THREADS=1`) to compare with the targets; every
//! batch here is one chunk anyway, so it runs serially.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark whose set-up fails should stop loudly, at the line that failed"
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array2, NdFloat, array};
use nn::lessons::adder;
use nn_net::rand::SeedableRng;
use nn_net::rand::distr::uniform::SampleUniform;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Activation, Architecture, Dataset, FiniteDifference, GradientMethod, Init, Loss, Mlp,
    TrainConfig, Trainer, Training,
};

/// A float type of the benches: its name in the bench ids and a conversion for constants.
trait Float: NdFloat + SampleUniform {
    const NAME: &'static str;
    fn of(v: f64) -> Self;
}

impl Float for f32 {
    const NAME: &'static str = "f32";
    fn of(v: f64) -> Self {
        v as f32
    }
}

impl Float for f64 {
    const NAME: &'static str = "f64";
    fn of(v: f64) -> Self {
        v
    }
}

/// The lesson's NAND neuron: 2-1 sigmoid, weights uniform in [0, 1) from seed 1, the four
/// rows of the truth table.
fn nand<F: Float>() -> (Mlp<F>, Array2<F>, Array2<F>) {
    let arch = Architecture::new(vec![2, 1]).expect("2-1");
    let init = Init::Uniform { low: 0.0, high: 1.0 };
    let net = Mlp::new(&arch, &[Activation::Sigmoid], init, &mut StdRng::seed_from_u64(1))
        .expect("a valid network");
    let (o, i) = (F::zero(), F::one());
    (net, array![[o, o], [o, i], [i, o], [i, i]], array![[i], [i], [i], [o]])
}

/// The lesson's settings (rate 0.1, MSE) by back-propagation and by forward differences
/// with ε = 0.1, each with its name in the bench ids.
fn nand_settings<F: Float>() -> [(&'static str, TrainConfig<F>); 2] {
    let config = |method| TrainConfig {
        rate: F::of(0.1),
        loss: Loss::MeanSquaredError,
        method,
        ..TrainConfig::default()
    };
    [
        ("bp", config(GradientMethod::BackPropagation)),
        ("fd", config(GradientMethod::FiniteDifference(FiniteDifference::forward(F::of(0.1))))),
    ]
}

/// One `Trainer::step` of the NAND neuron at the lesson's settings (rate 0.1, MSE), by
/// back-propagation and by forward differences with ε = 0.1.
fn nand_step<F: Float>(c: &mut Criterion) {
    let mut group = c.benchmark_group("nand 2-1 x4 step");
    group.throughput(Throughput::Elements(4));
    for (name, config) in nand_settings::<F>() {
        let (mut net, x, y) = nand::<F>();
        let mut trainer = Trainer::new(&net, 4);
        group.bench_function(BenchmarkId::new(name, F::NAME), |b| {
            b.iter(|| black_box(trainer.step(&mut net, &x, &y, &config).expect("a valid step")))
        });
    }
    group.finish();
}

/// The notes' experiment as `fd_vs_gd` runs it: 1,000 epochs of the NAND neuron in one
/// [`Trainer::repeat_step`] (the checks once, the direct run's loop), by back-propagation
/// and by forward differences. A time per iteration ÷ 1,000 is the time of one epoch.
fn nand_epochs<F: Float>(c: &mut Criterion) {
    const EPOCHS: usize = 1000;
    let mut group = c.benchmark_group("nand 2-1 x4 1000 epochs");
    group.throughput(Throughput::Elements(4 * EPOCHS as u64));
    for (name, config) in nand_settings::<F>() {
        let (mut net, x, y) = nand::<F>();
        let mut trainer = Trainer::new(&net, 4);
        group.bench_function(BenchmarkId::new(name, F::NAME), |b| {
            b.iter(|| {
                black_box(trainer.repeat_step(&mut net, &x, &y, &config, EPOCHS).expect("steps"))
            })
        });
    }
    group.finish();
}

/// The 4-bit adder's step: 8-16-5 sigmoid, the full batch of 256 rows, SGD.
fn adder4_step<F: Float>(c: &mut Criterion) {
    let mut group = c.benchmark_group("adder 8-16-5 x256 step");
    group.throughput(Throughput::Elements(256));
    let mut rng = StdRng::seed_from_u64(0);
    let arch = Architecture::new(vec![8, 16, 5]).expect("8-16-5");
    let init = Init::Uniform { low: -1.0, high: 1.0 };
    let mut net =
        Mlp::<F>::new(&arch, &[Activation::Sigmoid; 2], init, &mut rng).expect("a valid network");
    let data = adder::dataset(4).expect("the 4-bit adder's table");
    let (x, y) = (data.inputs().mapv(F::of_f32), data.targets().mapv(F::of_f32));
    let mut trainer = Trainer::new(&net, 256);
    let config = TrainConfig { rate: F::one(), ..TrainConfig::default() };
    group.bench_function(F::NAME, |b| {
        b.iter(|| black_box(trainer.step(&mut net, &x, &y, &config).expect("a valid step")))
    });
    group.finish();
}

/// The 5-bit adder's training loop: 10-20-6 sigmoid on its 1,024 rows, epochs of shuffled
/// mini-batches of 28 (36 of 28 and one of 16) through [`Training`], as `nn train` runs it.
fn adder5_epochs<F: Float>(c: &mut Criterion) {
    const EPOCHS: usize = 10;
    let mut group = c.benchmark_group("adder5 10-20-6 batch 28 epochs");
    group.throughput(Throughput::Elements((EPOCHS * 1024) as u64));
    let arch = Architecture::new(vec![10, 20, 6]).expect("10-20-6");
    let init = Init::Uniform { low: -1.0, high: 1.0 };
    let net = Mlp::<F>::new(&arch, &[Activation::Sigmoid; 2], init, &mut StdRng::seed_from_u64(0))
        .expect("a valid network");
    let table = adder::dataset(5).expect("the 5-bit adder's table");
    let data = Dataset::new(table.inputs().mapv(F::of_f32), table.targets().mapv(F::of_f32))
        .expect("a valid dataset");
    let config = TrainConfig {
        rate: F::one(),
        epochs: EPOCHS,
        batch_size: Some(28),
        ..TrainConfig::default()
    };
    let mut trained = net.clone();
    group.bench_function(F::NAME, |b| {
        b.iter(|| {
            // Continue from where the last iteration stopped: the parameters keep training.
            let history = Training::new(&config)
                .run(&mut trained, &data, |_| std::ops::ControlFlow::Continue(()))
                .expect("a valid run");
            black_box(history.final_cost)
        })
    });
    group.finish();
}

/// `f32` data (the lessons' tables) into the bench's float type.
trait OfF32 {
    fn of_f32(v: f32) -> Self;
}

impl<F: Float> OfF32 for F {
    fn of_f32(v: f32) -> Self {
        F::of(f64::from(v))
    }
}

fn benches(c: &mut Criterion) {
    nand_step::<f32>(c);
    nand_step::<f64>(c);
    nand_epochs::<f32>(c);
    nand_epochs::<f64>(c);
    adder4_step::<f32>(c);
    adder4_step::<f64>(c);
    adder5_epochs::<f32>(c);
    adder5_epochs::<f64>(c);
}

criterion_group!(small_networks, benches);
criterion_main!(small_networks);
