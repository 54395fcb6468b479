//! Parallel equals serial, bit for bit: whatever the batch, the network and the chunking,
//! the thread count changes nothing.

use std::sync::OnceLock;

use nn_net::{
    BatchGradient, Chunking, Gradient, NetError, Optimizer, TrainConfig, Trainer, Workspace,
    evaluate, train,
};
use proptest::prelude::*;
use rayon::ThreadPool;

use crate::config;
use crate::spec::{Float, Spec, chunking, optimizer, parameter_bits, spec};

/// Pools of 1, 2 and 3 threads, built once for every case.
fn pools() -> &'static [ThreadPool] {
    static POOLS: OnceLock<Vec<ThreadPool>> = OnceLock::new();
    POOLS.get_or_init(|| {
        (1..=3)
            .map(|threads| {
                rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool")
            })
            .collect()
    })
}

/// What one pool computed: the batch's cost and gradient (whole, and forward then
/// backward apart), each step's result and the parameters after a few steps of a
/// trainer, the result and parameters of mini-batch training, and an evaluation's cost;
/// all as bits. A run that diverges (a deep stack of identity layers can, even at a small
/// rate) must diverge at the same step and leave the same parameters on every pool.
#[derive(Debug, PartialEq)]
struct Outcome {
    cost: u64,
    gradient: Vec<u64>,
    split_cost: u64,
    split_gradient: Vec<u64>,
    steps: Vec<Result<u64, NetError>>,
    stepped: Vec<u64>,
    trained: (Result<u64, NetError>, Vec<u64>),
    evaluated: u64,
}

fn outcome<F: Float>(
    spec: &Spec,
    chunking: Chunking,
    optimizer: Optimizer<F>,
    batch_size: usize,
) -> Outcome {
    let (mlp, data) = spec.case::<F>();
    let (x, y, loss) = (data.inputs(), data.targets(), spec.loss);
    let bits = |g: &Gradient<F>| g.iter().map(F::bits).collect::<Vec<_>>();

    let mut batch = BatchGradient::new(&mlp, spec.rows, chunking).expect("a valid chunking");
    let cost = batch.compute(&mlp, x, y, loss).expect("a fitting batch").bits();
    let gradient = bits(batch.gradient());
    batch.forward(&mlp, x).expect("a fitting batch");
    let split_cost = batch.backward(&mlp, x, y, loss).expect("after its forward").bits();
    let split_gradient = bits(batch.gradient());

    let config = TrainConfig {
        rate: F::of(0.01),
        epochs: 2,
        loss,
        batch_size: Some(batch_size),
        seed: spec.seed,
        chunking,
        optimizer,
        ..TrainConfig::default()
    };
    let mut stepped = mlp.clone();
    let mut trainer = Trainer::with_chunking(&stepped, spec.rows, chunking).expect("a chunking");
    let steps = (0..3).map(|_| trainer.step(&mut stepped, x, y, &config).map(F::bits)).collect();
    let mut trained = mlp.clone();
    let history = train(&mut trained, &data, &config).map(|h| h.final_cost.bits());
    let evaluated = evaluate(&mlp, &data, loss).expect("fitting data").cost.bits();
    Outcome {
        cost,
        gradient,
        split_cost,
        split_gradient,
        steps,
        stepped: parameter_bits(&stepped),
        trained: (history, parameter_bits(&trained)),
        evaluated,
    }
}

/// The same outcome on every pool; and the chunked sum is the whole batch's sum to
/// rounding (the chunks cover every row once).
fn parallel_equals_serial<F: Float>(
    spec: &Spec,
    chunking: Chunking,
    optimizer: Optimizer<F>,
    batch_draw: usize,
) -> Result<(), TestCaseError> {
    let batch_size = 1 + batch_draw % spec.rows;
    let serial = pools()[0].install(|| outcome(spec, chunking, optimizer, batch_size));
    prop_assert_eq!(serial.split_cost, serial.cost);
    prop_assert_eq!(&serial.split_gradient, &serial.gradient);
    for pool in &pools()[1..] {
        let parallel = pool.install(|| outcome(spec, chunking, optimizer, batch_size));
        prop_assert_eq!(&parallel, &serial, "{} threads", pool.current_num_threads());
    }

    let (mlp, data) = spec.case::<F>();
    let mut whole = BatchGradient::new(&mlp, spec.rows, Chunking::serial()).expect("serial");
    let mut chunked = BatchGradient::new(&mlp, spec.rows, chunking).expect("a valid chunking");
    let (x, y) = (data.inputs(), data.targets());
    let one = |b: &mut BatchGradient<F>| b.compute(&mlp, x, y, spec.loss).expect("a fitting batch");
    let (a, b) = (one(&mut whole), one(&mut chunked));
    // Summed in another order, the rounding differs by about `ε·n·mean|term|`; a row left
    // out or counted twice moves it by that row's whole term over n, far more.
    let tolerance = if size_of::<F>() == 4 { 1e-3 } else { 1e-9 };
    let close = |a: F, b: F| {
        let scale = a.abs().max(b.abs()).max(F::one());
        ((a - b).abs() / scale).to_f64().is_some_and(|e| e <= tolerance)
    };
    prop_assert!(close(a, b), "cost {:?} whole, {:?} chunked", a, b);
    for (i, (a, b)) in whole.gradient().iter().zip(chunked.gradient().iter()).enumerate() {
        prop_assert!(close(a, b), "entry {}: {:?} whole, {:?} chunked", i, a, b);
    }
    // And the serial chunking is a single pass over the rows.
    let mut workspace = Workspace::new(&mlp, spec.rows);
    let mut gradient = Gradient::zeros(&mlp);
    let cost =
        mlp.gradient_into(&mut workspace, x, y, spec.loss, &mut gradient).expect("a fitting batch");
    prop_assert_eq!(cost.bits(), a.bits());
    prop_assert!(gradient.iter().zip(whole.gradient().iter()).all(|(g, h)| g.bits() == h.bits()));
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn one_thread_and_several_give_the_same_bits(
        spec in spec(12, 70),
        chunking in chunking(),
        optimizer_f32 in optimizer::<f32>(),
        optimizer_f64 in optimizer::<f64>(),
        batch_draw in any::<usize>(),
    ) {
        parallel_equals_serial::<f32>(&spec, chunking, optimizer_f32, batch_draw)?;
        parallel_equals_serial::<f64>(&spec, chunking, optimizer_f64, batch_draw)?;
    }
}
