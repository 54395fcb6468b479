//! Networks, trainers and training runs whose buffers would take more memory than a limit
//! are refused with `NetError::MemoryLimit`, naming the bytes and the limit, before anything
//! is allocated: the architectures here would need tens of gigabytes to exabytes, so a test
//! that allocated would be killed or abort rather than fail. Sizes past what a `u64` counts
//! are the same error, not an overflow panic.

#![cfg(test)]

use std::ops::ControlFlow;

use ndarray::Array2;
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Activation, Architecture, BatchGradient, Chunking, DEFAULT_MEMORY_LIMIT, Dataset,
    EarlyStopping, Init, Mlp, NetError, Optimizer, TrainConfig, Trainer, Training,
    check_network_bytes, network_bytes, trainer_bytes,
};

fn arch(text: &str) -> Architecture {
    text.parse().unwrap()
}

fn relu_net<F: ndarray::NdFloat + nn_net::rand::distr::uniform::SampleUniform>(
    text: &str,
    limit: u64,
) -> Result<Mlp<F>, NetError> {
    let arch = arch(text);
    let activations = vec![Activation::Relu; arch.layers()];
    Mlp::with_memory_limit(&arch, &activations, Init::He, &mut StdRng::seed_from_u64(1), limit)
}

/// The bytes and limit of a memory-limit error, checking its message says both.
#[track_caller]
fn refused(e: NetError, what: &str) -> (Option<u64>, u64) {
    let NetError::MemoryLimit { bytes, limit, .. } = &e else {
        panic!("expected a memory-limit error: {e:?}")
    };
    let message = e.to_string();
    assert!(message.starts_with(what), "{message:?} does not start with {what:?}");
    let bytes_text = bytes.map_or("more than 2^64 bytes".to_owned(), |b| format!("{b} bytes"));
    assert!(message.contains(&format!("would take {bytes_text}")), "{message}");
    assert!(message.contains(&format!("the limit is {limit} bytes")), "{message}");
    assert!(message.contains("raise it with"), "{message}");
    (*bytes, *limit)
}

#[test]
fn a_huge_architecture_is_refused_before_it_is_allocated() {
    // 2·(100000·100000 + 100000) = 20,000,200,000 parameters: 80 GB of f32, 160 GB of f64.
    let mut rng = StdRng::seed_from_u64(1);
    let huge = arch("100000-100000-100000");
    let e = Mlp::<f32>::new(&huge, &[Activation::Relu; 2], Init::He, &mut rng).unwrap_err();
    let (bytes, limit) =
        refused(e, "a 100000-100000-100000 network of f32 (20000200000 parameters)");
    assert_eq!((bytes, limit), (Some(80_000_800_000), DEFAULT_MEMORY_LIMIT));
    let e = relu_net::<f64>("100000-100000-100000", DEFAULT_MEMORY_LIMIT).unwrap_err();
    assert_eq!(refused(e, "a 100000-100000-100000 network of f64").0, Some(160_001_600_000));
    let e = check_network_bytes::<f32>(&huge, 1 << 30).unwrap_err();
    assert!(e.to_string().contains("the limit is 1073741824 bytes (1.0 GiB)"), "{e}");

    // Sizes whose product passes 2^64: the same error, no overflow panic.
    let e = relu_net::<f32>("100000000000-100000000000-1", u64::MAX).unwrap_err();
    assert_eq!(refused(e, "a 100000000000-100000000000-1 network of f32 (more than 2^64").0, None);
    assert_eq!(arch("100000000000-100000000000-1").parameter_count(), usize::MAX);

    // A raised limit lets a network through; the default lets through what fits.
    let small = relu_net::<f32>("784-128-10", 407_080).unwrap();
    assert_eq!(network_bytes::<f32>(small.architecture()), Some(407_080));
    let e = relu_net::<f32>("784-128-10", 407_079).unwrap_err();
    assert_eq!(refused(e, "a 784-128-10 network of f32").0, Some(407_080));
}

#[test]
fn a_trainer_for_a_huge_batch_is_refused() {
    let net = relu_net::<f32>("784-128-10", DEFAULT_MEMORY_LIMIT).unwrap();
    // 100 million rows of 2·(128 + 10) + 10 values: 114 GB of workspace.
    let e = Trainer::with_chunking(&net, 100_000_000, Chunking::default()).unwrap_err();
    refused(e, "the buffers of 784-128-10 for batches of 100000000 rows");
    let e = BatchGradient::new(&net, usize::MAX, Chunking::default()).unwrap_err();
    assert_eq!(refused(e, "the buffers of 784-128-10").0, None);

    // from_config counts the optimizer's buffers too, within the config's limit.
    let sgd = trainer_bytes::<f32>(net.architecture(), 64, Chunking::default(), &Optimizer::Sgd);
    let adam =
        trainer_bytes::<f32>(net.architecture(), 64, Chunking::default(), &Optimizer::adam());
    assert_eq!(adam.unwrap() - sgd.unwrap(), 2 * 407_080, "Adam's two moments");
    let config = |limit| TrainConfig::<f32> {
        optimizer: Optimizer::adam(),
        memory_limit: limit,
        ..TrainConfig::default()
    };
    let e = Trainer::from_config(&net, 64, &config(adam.unwrap() - 1)).unwrap_err();
    assert_eq!(
        refused(e, "training buffers of 784-128-10 for batches of 64 rows with adam"),
        (adam, adam.unwrap() - 1)
    );
    assert!(Trainer::from_config(&net, 64, &config(adam.unwrap())).is_ok());
}

#[test]
#[should_panic(expected = "would take more than 2^64 bytes of memory")]
fn the_infallible_trainer_constructor_panics_with_the_limit_rather_than_allocating() {
    let net = relu_net::<f32>("2-2-1", DEFAULT_MEMORY_LIMIT).unwrap();
    let _ = Trainer::new(&net, usize::MAX);
}

/// 30 samples of 20 inputs and 2 one-hot classes.
fn data() -> Dataset<f32> {
    let x = Array2::from_shape_fn((30, 20), |(i, j)| ((i * 20 + j) as f32 * 0.3).sin());
    let y = Array2::from_shape_fn((30, 2), |(i, j)| if i % 2 == j { 1.0 } else { 0.0 });
    Dataset::new(x, y).unwrap()
}

#[test]
fn a_training_run_counts_everything_it_would_hold_and_refuses_more() {
    let net = || {
        let activations = [Activation::Relu, Activation::Softmax];
        Mlp::<f32>::new(&arch("20-2000-2"), &activations, Init::He, &mut StdRng::seed_from_u64(3))
            .unwrap()
    };
    let data = data();
    let config = |limit| TrainConfig::<f32> {
        epochs: 2,
        batch_size: Some(8),
        optimizer: Optimizer::adam(),
        loss: nn_net::Loss::CrossEntropy,
        memory_limit: limit,
        ..TrainConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = dir.path().join("checkpoints");
    let run = |limit, with_extras: bool| {
        let config = config(limit);
        let mut training = Training::new(&config);
        if with_extras {
            training = training
                .validation(&data)
                .early_stopping(EarlyStopping { patience: 5 })
                .checkpoints(&checkpoints, 1);
        }
        training.run(&mut net(), &data, |_| ControlFlow::Continue(()))
    };

    // Refused at a limit of 1 byte, with what the run needs; that many bytes is enough and
    // one fewer is not.
    let e = run(1, false).unwrap_err();
    let (bytes, _) = refused(e, "training 20-2000-2 in batches of 8 with adam would take");
    let bytes = bytes.unwrap();
    // At least the network, its gradient and Adam's two moments: 4 copies of 46,002 f32.
    assert!(bytes >= 4 * 46_002 * 4, "{bytes}");
    assert!(run(bytes, false).is_ok());
    let e = run(bytes - 1, false).unwrap_err();
    assert_eq!(refused(e, "training 20-2000-2").0, Some(bytes));

    // Early stopping (a copy of the best network) and checkpoints (a save's tensors and
    // bytes) need more; a refused run has not even made its checkpoint directory.
    let e = run(bytes, true).unwrap_err();
    let more = refused(e, "training 20-2000-2").0.unwrap();
    assert!(more >= bytes + 46_002 * 4 * (1 + 2 * 4), "{more} against {bytes}");
    assert!(!checkpoints.exists(), "a refused run made its checkpoint directory");
    assert!(run(more, true).is_ok());
    assert!(checkpoints.exists());
}
