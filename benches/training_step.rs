//! One training step (feed-forward, back-propagation, descent) at the standard shapes (the
//! rows of the speed table in docs/performance.md, as `nn bench`'s presets set them), and
//! how the three largest scale from 1 to 2 threads.
//!
//! `cargo bench --bench training_step`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark whose set-up fails should stop loudly, at the line that failed"
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{Activation, Architecture, Init, Loss, Mlp, TrainConfig, Trainer};
use nn_tensor::uniform;

/// A standard shape: name, sizes, hidden activation, batch rows, and whether the output is
/// softmax with cross-entropy (the numpy reference's model) rather than sigmoid with MSE.
type Shape = (&'static str, &'static [usize], Activation, usize, bool);

/// The standard shapes.
const SHAPES: [Shape; 7] = [
    ("nand 2-1 x4", &[2, 1], Activation::Sigmoid, 4, false),
    ("xor 2-2-1 x4", &[2, 2, 1], Activation::Sigmoid, 4, false),
    ("adder 8-16-5 x256", &[8, 16, 5], Activation::Sigmoid, 256, false),
    ("adder5 10-20-6 x28", &[10, 20, 6], Activation::Sigmoid, 28, false),
    ("mnist 784-128-10 x64", &[784, 128, 10], Activation::Sigmoid, 64, true),
    ("mnist 784-128-10 x1000", &[784, 128, 10], Activation::Sigmoid, 1000, true),
    ("wide 1024-1024-1024-10 x256", &[1024, 1024, 1024, 10], Activation::Relu, 256, true),
];

/// A network, a batch of `rows` seeded random samples for it (one-hot targets of a random
/// class for a softmax output), and the step's settings.
fn setup(
    (_, sizes, hidden, rows, softmax): Shape,
) -> (Mlp<f32>, Array2<f32>, Array2<f32>, TrainConfig<f32>) {
    let mut rng = StdRng::seed_from_u64(0);
    let arch = Architecture::new(sizes.to_vec()).expect("a valid architecture");
    let mut activations = vec![hidden; arch.layers()];
    activations[arch.layers() - 1] =
        if softmax { Activation::Softmax } else { Activation::Sigmoid };
    let init = Init::Uniform { low: -0.5, high: 0.5 };
    let net = Mlp::new(&arch, &activations, init, &mut rng).expect("a valid network");
    let x = uniform((rows, arch.inputs()), 0.0, 1.0, &mut rng);
    let y = if softmax {
        let mut y = Array2::zeros((rows, arch.outputs()));
        for mut row in y.rows_mut() {
            row[rng.random_range(0..arch.outputs())] = 1.0;
        }
        y
    } else {
        uniform((rows, arch.outputs()), 0.0, 1.0, &mut rng)
    };
    let loss = if softmax { Loss::CrossEntropy } else { Loss::MeanSquaredError };
    let config = TrainConfig { rate: 1e-3_f32, loss, ..TrainConfig::default() };
    (net, x, y, config)
}

fn training_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("training_step");
    for shape in SHAPES {
        let (mut net, x, y, config) = setup(shape);
        let mut trainer = Trainer::new(&net, shape.3);
        group.throughput(Throughput::Elements(shape.3 as u64));
        group.bench_function(shape.0, |b| {
            b.iter(|| black_box(trainer.step(&mut net, &x, &y, &config).expect("a valid step")))
        });
    }
    group.finish();
}

/// The three largest shapes on pools of 1 and 2 threads: the same bits, ideally half the
/// time.
fn thread_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("thread_scaling");
    for shape in [SHAPES[4], SHAPES[5], SHAPES[6]] {
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            let (mut net, x, y, config) = setup(shape);
            let mut trainer = Trainer::new(&net, shape.3);
            group.throughput(Throughput::Elements(shape.3 as u64));
            group.bench_function(format!("{} {threads} threads", shape.0), |b| {
                b.iter(|| {
                    pool.install(|| {
                        black_box(trainer.step(&mut net, &x, &y, &config).expect("a valid step"))
                    })
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, training_step, thread_scaling);
criterion_main!(benches);
