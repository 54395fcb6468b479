//! One training step (feed-forward, back-propagation, descent) at the lessons' shapes, and
//! the matrix product at a network shape: the baseline later speed work is measured against.
//!
//! `cargo bench --bench training_step`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{Activation, Architecture, Init, Mlp, TrainConfig, Trainer};
use nn_tensor::{matmul_into, uniform};

/// A network and a batch of `rows` seeded random samples for it.
fn setup(sizes: &[usize], rows: usize) -> (Mlp<f32>, Array2<f32>, Array2<f32>) {
    let mut rng = StdRng::seed_from_u64(0);
    let arch = Architecture::new(sizes.to_vec()).expect("a valid architecture");
    let activations = vec![Activation::Sigmoid; arch.layers()];
    let init = Init::Uniform { low: -0.5, high: 0.5 };
    let net = Mlp::new(&arch, &activations, init, &mut rng).expect("a valid network");
    let x = uniform((rows, arch.inputs()), 0.0, 1.0, &mut rng);
    let y = uniform((rows, arch.outputs()), 0.0, 1.0, &mut rng);
    (net, x, y)
}

fn training_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("training_step");
    for (name, sizes, rows) in [
        ("nand 2-1 x4", &[2, 1][..], 4),
        ("xor 2-2-1 x4", &[2, 2, 1], 4),
        ("adder 8-16-5 x256", &[8, 16, 5], 256),
        ("mnist 784-128-10 x64", &[784, 128, 10], 64),
    ] {
        let (mut net, x, y) = setup(sizes, rows);
        let mut trainer = Trainer::new(&net, rows);
        let config = TrainConfig { rate: 1e-3_f32, ..TrainConfig::default() };
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(trainer.step(&mut net, &x, &y, &config).expect("a valid step")))
        });
    }
    group.finish();
}

fn matmul(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul");
    // The first layer of an MNIST-shaped network over a batch of 64: X (64×784) · W (784×128).
    let (m, k, n) = (64, 784, 128);
    let mut rng = StdRng::seed_from_u64(1);
    let a: Array2<f32> = uniform((m, k), -1.0, 1.0, &mut rng);
    let b: Array2<f32> = uniform((k, n), -1.0, 1.0, &mut rng);
    let mut out = Array2::zeros((m, n));
    group.throughput(Throughput::Elements((2 * m * k * n) as u64)); // flops
    group.bench_function("64x784 · 784x128 f32", |bench| {
        bench.iter(|| matmul_into(&mut out, black_box(&a), black_box(&b)))
    });
    group.finish();
}

criterion_group!(benches, training_step, matmul);
criterion_main!(benches);
