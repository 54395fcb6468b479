//! One training step (feed-forward, back-propagation, descent) at the standard shapes, and
//! how the two largest scale from 1 to 2 threads.
//!
//! `cargo bench --bench training_step`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{Activation, Architecture, Init, Mlp, TrainConfig, Trainer};
use nn_tensor::uniform;

/// The standard shapes: name, sizes, hidden activation, batch rows.
const SHAPES: [(&str, &[usize], Activation, usize); 7] = [
    ("nand 2-1 x4", &[2, 1], Activation::Sigmoid, 4),
    ("xor 2-2-1 x4", &[2, 2, 1], Activation::Sigmoid, 4),
    ("adder 8-16-5 x256", &[8, 16, 5], Activation::Sigmoid, 256),
    ("mnist 784-128-10 x64", &[784, 128, 10], Activation::Sigmoid, 64),
    ("mnist 784-128-10 x1000", &[784, 128, 10], Activation::Sigmoid, 1000),
    ("wide 1024-1024-1024-10 x256", &[1024, 1024, 1024, 10], Activation::Relu, 256),
    ("adder5 10-20-6 x28", &[10, 20, 6], Activation::Sigmoid, 28),
];

/// A network and a batch of `rows` seeded random samples for it (sigmoid output).
fn setup(sizes: &[usize], hidden: Activation, rows: usize) -> (Mlp<f32>, Array2<f32>, Array2<f32>) {
    let mut rng = StdRng::seed_from_u64(0);
    let arch = Architecture::new(sizes.to_vec()).expect("a valid architecture");
    let mut activations = vec![hidden; arch.layers()];
    activations[arch.layers() - 1] = Activation::Sigmoid;
    let init = Init::Uniform { low: -0.5, high: 0.5 };
    let net = Mlp::new(&arch, &activations, init, &mut rng).expect("a valid network");
    let x = uniform((rows, arch.inputs()), 0.0, 1.0, &mut rng);
    let y = uniform((rows, arch.outputs()), 0.0, 1.0, &mut rng);
    (net, x, y)
}

fn training_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("training_step");
    for (name, sizes, hidden, rows) in SHAPES {
        let (mut net, x, y) = setup(sizes, hidden, rows);
        let mut trainer = Trainer::new(&net, rows);
        let config = TrainConfig { rate: 1e-3_f32, ..TrainConfig::default() };
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(trainer.step(&mut net, &x, &y, &config).expect("a valid step")))
        });
    }
    group.finish();
}

/// The two largest shapes on pools of 1 and 2 threads: the same bits, ideally half the time.
fn thread_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("thread_scaling");
    // mnist x1000 and wide x256.
    for (name, sizes, hidden, rows) in [SHAPES[4], SHAPES[5]] {
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            let (mut net, x, y) = setup(sizes, hidden, rows);
            let mut trainer = Trainer::new(&net, rows);
            let config = TrainConfig { rate: 1e-3_f32, ..TrainConfig::default() };
            group.throughput(Throughput::Elements(rows as u64));
            group.bench_function(format!("{name} {threads} threads"), |b| {
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
