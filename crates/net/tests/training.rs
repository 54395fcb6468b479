//! The training loop and its checkpoints: a run broken off and resumed from its checkpoint in
//! a fresh network ends with the same bits as the run left alone, for every optimizer,
//! schedule and float type; early stopping keeps the best epoch's parameters; the
//! validation metrics and the callbacks report what happened; a checkpoint that does not
//! belong to the run, or is missing, damaged or edited, is refused with a named error; a
//! diverging run leaves a checkpoint that still loads.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::fmt::Debug;
use std::fs;
use std::ops::ControlFlow;
use std::path::Path;

use ndarray::{Array2, NdFloat, array};
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Activation, Checkpoint, Chunking, Dataset, EarlyStopping, History, Init, Layer, Loss, Mlp,
    NetError, Optimizer, Progress, Schedule, Tensor, TensorData, TensorFile, TrainConfig, Training,
    TrainingState, evaluate,
};

fn cast<F: NdFloat>(v: f64) -> F {
    <F as num_traits::NumCast>::from(v).unwrap()
}

/// `n` samples of a 3-input, 2-class problem, from sample `first` on: the inputs are
/// `sin(0.37·(3i + j))`, the class is whether `x₀ + x₁ > x₂`, one-hot.
fn samples<F: NdFloat>(n: usize, first: usize) -> Dataset<F> {
    let x = Array2::from_shape_fn((n, 3), |(i, j)| (((first + i) * 3 + j) as f64 * 0.37).sin());
    let y = Array2::from_shape_fn((n, 2), |(i, j)| {
        let row = x.row(i);
        let class = usize::from(row[0] + row[1] > row[2]);
        if j == class { 1.0 } else { 0.0 }
    });
    Dataset::new(x.mapv(cast), y.mapv(cast)).unwrap()
}

/// 13 training samples (so batches of 4 leave a last batch of 1) and 7 validation samples.
fn problem<F: NdFloat>() -> (Dataset<F>, Dataset<F>) {
    (samples(13, 0), samples(7, 13))
}

/// A 3-5-2 network (tanh, sigmoid) drawn from `seed` (in `f64`, then cast, so that one
/// function serves both float types).
fn net<F: NdFloat>(seed: u64) -> Mlp<F> {
    let mut rng = StdRng::seed_from_u64(seed);
    let activations = [Activation::Tanh, Activation::Sigmoid];
    let drawn = Mlp::<f64>::new(&"3-5-2".parse().unwrap(), &activations, Init::He, &mut rng);
    let drawn = drawn.unwrap();
    let layers = drawn
        .layers()
        .iter()
        .map(|l| Layer::new(l.w().mapv(cast), l.b().mapv(cast), l.activation()).unwrap());
    Mlp::from_layers(layers.collect()).unwrap()
}

/// Every parameter's bits (an `f32` widens to `f64` exactly, so the bits still tell
/// parameters apart).
fn bits<F: NdFloat>(mlp: &Mlp<F>) -> Vec<u64> {
    mlp.parameters().map(|v| v.to_f64().unwrap().to_bits()).collect()
}

fn bits_of<F: NdFloat>(v: F) -> u64 {
    v.to_f64().unwrap().to_bits()
}

/// Everything of a history but the wall-clock seconds, as bits.
fn history_bits<F: NdFloat>(history: &History<F>) -> impl PartialEq + Debug {
    let records: Vec<_> = history
        .epochs
        .iter()
        .map(|r| {
            let validation =
                r.validation.map(|m| (bits_of(m.cost), m.accuracy.map(f64::to_bits), m.samples));
            (r.epoch, bits_of(r.train_cost), bits_of(r.rate), validation)
        })
        .collect();
    let costs: Vec<u64> = history.costs().iter().map(|&c| bits_of(c)).collect();
    (records, costs, bits_of(history.final_cost), history.stopped_early, history.best_epoch)
}

fn go<F>(_: &Progress<'_, F>) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// The names in a directory, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A training run of `config` with validation and, when given, early stopping.
fn training<'a, F: NdFloat>(
    config: &'a TrainConfig<F>,
    validation: &'a Dataset<F>,
    early_stopping: Option<EarlyStopping>,
) -> Training<'a, F> {
    let training = Training::new(config).validation(validation);
    match early_stopping {
        Some(stopping) => training.early_stopping(stopping),
        None => training,
    }
}

/// Runs `config` straight through; then runs it again with checkpoints every `every`
/// epochs, broken off by the callback after `stop` epochs; loads the checkpoint, checks
/// that it holds epoch `saved` (the epochs done), and resumes from it in a fresh network
/// (drawn from another seed) and a fresh [`Training`]. The resumed run must end with the
/// straight run's parameters and history, to the bit.
#[track_caller]
fn assert_resume_is_exact<F: NdFloat>(
    config: &TrainConfig<F>,
    early_stopping: Option<EarlyStopping>,
    every: usize,
    stop: usize,
    saved: usize,
) {
    let (data, validation) = problem::<F>();
    let what = format!("{config:?}, {early_stopping:?}, every {every}, stop {stop}");

    let mut straight = net::<F>(1);
    let expected =
        training(config, &validation, early_stopping).run(&mut straight, &data, go).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut first = net::<F>(1);
    let broken = training(config, &validation, early_stopping)
        .checkpoints(dir.path(), every)
        .run(&mut first, &data, |p| {
            if p.epoch + 1 == stop { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .unwrap();
    assert_eq!(broken.epochs.len(), stop, "{what}: the first run stopped elsewhere");
    assert_eq!(entries(dir.path()), [Checkpoint::FILE_NAME], "{what}");

    let state = Checkpoint::load::<F>(dir.path()).unwrap();
    assert_eq!(state.run.next_epoch, saved, "{what}: the checkpoint holds another epoch");
    assert_eq!(state.optimizer.steps(), saved * data.len().div_ceil(batch(config, &data)));
    if early_stopping.is_some() {
        let best = state.run.best.as_ref().expect("the checkpoint holds the best epoch");
        let history = &expected.epochs[..saved];
        assert_eq!(best.epoch, best_of(history), "{what}");
        assert_eq!(state.run.stale_epochs, saved - 1 - best.epoch, "{what}");
    }

    let mut resumed = net::<F>(2);
    let mut seen = Vec::new();
    let history = training(config, &validation, early_stopping)
        .resume(state)
        .run(&mut resumed, &data, |p| {
            seen.push(p.epoch);
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(seen.first().copied(), (saved < expected.epochs.len()).then_some(saved), "{what}");
    assert_eq!(bits(&resumed), bits(&straight), "{what}: other parameters");
    assert_eq!(history_bits(&history), history_bits(&expected), "{what}: another history");
}

/// Rows per step of `config` on `data`.
fn batch<F: NdFloat>(config: &TrainConfig<F>, data: &Dataset<F>) -> usize {
    config.batch_size.map_or(data.len(), |b| b.min(data.len()))
}

/// The first epoch of the lowest validation cost.
fn best_of<F: NdFloat>(epochs: &[nn_net::EpochRecord<F>]) -> usize {
    let cost = |e: usize| epochs[e].validation.unwrap().cost;
    (0..epochs.len()).fold(0, |best, e| if cost(e) < cost(best) { e } else { best })
}

/// One configuration per optimizer, with mini-batches of 4 of the 13 samples, and weight
/// decay, clipping and each schedule spread over them; plus full-batch SGD.
fn configs<F: NdFloat>() -> Vec<TrainConfig<F>> {
    let base = TrainConfig {
        epochs: 12,
        batch_size: Some(4),
        seed: 11,
        loss: Loss::MeanSquaredError,
        ..TrainConfig::default()
    };
    vec![
        TrainConfig { rate: cast(0.5), batch_size: None, ..base },
        TrainConfig {
            rate: cast(0.5),
            weight_decay: cast(0.01),
            schedule: Schedule::Step { every: 3, factor: cast(0.5) },
            ..base
        },
        TrainConfig {
            rate: cast(0.3),
            optimizer: Optimizer::momentum(),
            clip_norm: Some(cast(0.5)),
            schedule: Schedule::Step { every: 4, factor: cast(0.7) },
            ..base
        },
        TrainConfig {
            rate: cast(0.3),
            optimizer: Optimizer::nesterov(),
            weight_decay: cast(0.01),
            schedule: Schedule::Exponential { factor: cast(0.9) },
            ..base
        },
        TrainConfig {
            rate: cast(0.05),
            optimizer: Optimizer::adam(),
            clip_norm: Some(cast(1.0)),
            schedule: Schedule::Cosine { warmup: 2, min_rate: cast(0.001) },
            ..base
        },
        TrainConfig {
            rate: cast(0.05),
            optimizer: Optimizer::adamw(),
            weight_decay: cast(0.05),
            schedule: Schedule::Cosine { warmup: 0, min_rate: F::zero() },
            ..base
        },
        TrainConfig {
            rate: cast(0.02),
            optimizer: Optimizer::rms_prop(),
            weight_decay: cast(0.01),
            clip_norm: Some(cast(0.8)),
            schedule: Schedule::Exponential { factor: cast(0.95) },
            ..base
        },
    ]
}

fn resume_is_exact_for_every_configuration<F: NdFloat>() {
    for config in configs::<F>() {
        // Broken off between two saves: the file holds the last multiple of `every`.
        assert_resume_is_exact(&config, None, 5, 7, 5);
        // Broken off just after a save.
        assert_resume_is_exact(&config, None, 5, 10, 10);
        // Every epoch saved, broken off after the first.
        assert_resume_is_exact(&config, None, 1, 1, 1);
    }
}

#[test]
fn a_resumed_run_ends_with_the_bits_of_the_uninterrupted_run_f64() {
    resume_is_exact_for_every_configuration::<f64>();
}

#[test]
fn a_resumed_run_ends_with_the_bits_of_the_uninterrupted_run_f32() {
    resume_is_exact_for_every_configuration::<f32>();
}

/// A run of fewer epochs whose checkpoints do not divide its length saves its last epoch,
/// and a run resumed from it for more epochs is the longer run (for schedules that do not
/// depend on the number of epochs). Without validation data, unlike the others.
fn a_shorter_run_saves_its_last_epoch<F: NdFloat>() {
    let (data, _) = problem::<F>();
    let cosine = |c: &TrainConfig<F>| matches!(c.schedule, Schedule::Cosine { .. });
    for config in configs::<F>().into_iter().filter(|c| !cosine(c)) {
        let mut straight = net::<F>(1);
        let expected = Training::new(&config).run(&mut straight, &data, go).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let short = TrainConfig { epochs: 7, ..config };
        let mut first = net::<F>(1);
        Training::new(&short).checkpoints(dir.path(), 5).run(&mut first, &data, go).unwrap();
        let state = Checkpoint::load::<F>(dir.path()).unwrap();
        assert_eq!(state.run.next_epoch, 7, "{config:?}");
        assert_eq!(bits(&state.mlp), bits(&first), "{config:?}");

        let mut resumed = net::<F>(2);
        let history = Training::new(&config).resume(state).run(&mut resumed, &data, go).unwrap();
        assert_eq!(bits(&resumed), bits(&straight), "{config:?}");
        assert_eq!(history_bits(&history), history_bits(&expected), "{config:?}");
    }
}

#[test]
fn a_shorter_run_saves_its_last_epoch_and_resumes_to_the_longer_run() {
    a_shorter_run_saves_its_last_epoch::<f64>();
    a_shorter_run_saves_its_last_epoch::<f32>();
}

/// A configuration whose validation cost wobbles: lowest at epoch 1, higher for the seven
/// epochs after, lower again at 9 and 10, then up to stay (so a patience of 1 to 7 stops at
/// `1 + patience` with best epoch 1, and 8 at 18 with best epoch 10).
fn wobbly<F: NdFloat>() -> TrainConfig<F> {
    TrainConfig {
        rate: cast(0.5),
        epochs: 40,
        batch_size: Some(4),
        seed: 4,
        optimizer: Optimizer::momentum(),
        ..TrainConfig::default()
    }
}

/// The straight run of `config` with early stopping of `patience`.
fn stopped<F: NdFloat>(config: &TrainConfig<F>, patience: usize) -> (Mlp<F>, History<F>) {
    let (data, validation) = problem::<F>();
    let mut mlp = net::<F>(1);
    let mut seen = Vec::new();
    let history = training(config, &validation, Some(EarlyStopping { patience }))
        .run(&mut mlp, &data, |p| {
            seen.push(p.epoch);
            ControlFlow::Continue(())
        })
        .unwrap();
    // The callback saw every epoch, the one the run stopped on included.
    assert_eq!(seen, (0..history.epochs.len()).collect::<Vec<_>>());
    (mlp, history)
}

fn resume_keeps_the_early_stopping_state<F: NdFloat>() {
    let config = wobbly::<F>();
    for patience in [2, 8] {
        let stopping = Some(EarlyStopping { patience });
        let (_, expected) = stopped(&config, patience);
        let ran = expected.epochs.len();
        let best = expected.best_epoch.unwrap();
        assert!(expected.stopped_early && best > 0 && ran == best + 1 + patience, "{expected:?}");
        // Broken off before the best epoch, just after it, with stale epochs counted since
        // it, around the late improvements at 9 and 10, and just before the stop.
        let mut stops: Vec<usize> =
            [1, 2, 3, 9, 10, 11, 12, ran - 1].into_iter().filter(|&s| s < ran).collect();
        stops.dedup();
        for stop in stops {
            // Saved once, at the stop (each save is synced to the disk, which takes time).
            assert_resume_is_exact(&config, stopping, stop, stop, stop);
        }
        // Saved every other epoch and broken off after an odd number: the file holds the
        // epoch before.
        for stop in [3, 11] {
            if stop < ran {
                assert_resume_is_exact(&config, stopping, 2, stop, stop - 1);
            }
        }
    }
}

#[test]
fn a_resumed_run_stops_early_at_the_same_epoch_with_the_same_best_parameters() {
    resume_keeps_the_early_stopping_state::<f64>();
    resume_keeps_the_early_stopping_state::<f32>();
}

#[test]
fn resuming_a_run_that_stopped_early_runs_no_more_epochs() {
    let config = wobbly::<f64>();
    let (data, validation) = problem::<f64>();
    let stopping = Some(EarlyStopping { patience: 3 });
    let (straight, expected) = stopped(&config, 3);
    assert!(expected.stopped_early);

    let dir = tempfile::tempdir().unwrap();
    let mut first = net::<f64>(1);
    training(&config, &validation, stopping)
        .checkpoints(dir.path(), 100)
        .run(&mut first, &data, go)
        .unwrap();
    // The stop is saved like the last epoch.
    let state = Checkpoint::load::<f64>(dir.path()).unwrap();
    assert_eq!(state.run.next_epoch, expected.epochs.len());
    assert_eq!(state.run.stale_epochs, 3);

    let mut resumed = net::<f64>(2);
    let mut epochs = 0;
    let history = training(&config, &validation, stopping)
        .resume(state)
        .run(&mut resumed, &data, |_| {
            epochs += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(epochs, 0);
    assert_eq!(bits(&resumed), bits(&straight));
    assert_eq!(history_bits(&history), history_bits(&expected));
}

#[test]
fn a_validation_cost_that_overflows_is_saved_and_resumed_as_it_was() {
    // y = x on [0, 1] by one identity neuron; a validation input near f32's largest makes
    // the output's square overflow, so every validation cost is +inf.
    let x = Array2::from_shape_fn((6, 1), |(i, _)| i as f32 / 5.0);
    let data = Dataset::new(x.clone(), x).unwrap();
    let far = Dataset::new(array![[3e38_f32], [1.0]], array![[0.0], [1.0]]).unwrap();
    let layer = Layer::new(array![[0.5_f32]], array![0.25], Activation::Identity).unwrap();
    let start = Mlp::from_layers(vec![layer]).unwrap();
    let config = TrainConfig { rate: 0.5, epochs: 6, ..TrainConfig::default() };
    let stopping = EarlyStopping { patience: 10 };
    let run = || Training::new(&config).validation(&far).early_stopping(stopping);

    let mut straight = start.clone();
    let expected = run().run(&mut straight, &data, go).unwrap();
    assert!(expected.epochs.iter().all(|r| r.validation.unwrap().cost == f32::INFINITY));
    // No finite validation cost: no best epoch, and the last parameters stay.
    assert_eq!(expected.best_epoch, None);

    let dir = tempfile::tempdir().unwrap();
    run()
        .checkpoints(dir.path(), 4)
        .run(&mut start.clone(), &data, |p| {
            if p.epoch == 4 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .unwrap();
    let state = Checkpoint::load::<f32>(dir.path()).unwrap();
    assert_eq!((state.run.next_epoch, state.run.stale_epochs), (4, 4));
    assert!(state.run.history.iter().all(|r| r.validation.unwrap().cost == f32::INFINITY));
    let mut resumed = start.clone();
    let history = run().resume(state).run(&mut resumed, &data, go).unwrap();
    assert_eq!(bits(&resumed), bits(&straight));
    assert_eq!(history_bits(&history), history_bits(&expected));
}

fn early_stopping_keeps_the_best_epoch<F: NdFloat>() {
    let (data, validation) = problem::<F>();
    let config = wobbly::<F>();
    for patience in [1, 2, 3, 5, 8] {
        let (mlp, history) = stopped(&config, patience);
        let best = history.best_epoch.unwrap();
        let ran = history.epochs.len();
        // Stopped after `patience` epochs without a lower validation cost than the best's.
        assert!(history.stopped_early);
        assert!(ran < config.epochs);
        assert_eq!(ran, best + 1 + patience, "patience {patience}");
        assert_eq!(best, best_of(&history.epochs));
        let best_cost = history.epochs[best].validation.unwrap().cost;
        for record in &history.epochs[best + 1..] {
            assert!(record.validation.unwrap().cost >= best_cost);
        }
        // The network holds the best epoch's parameters: those of a run of exactly
        // best + 1 epochs.
        let mut exact = net::<F>(1);
        let short = TrainConfig { epochs: best + 1, ..config };
        Training::new(&short).run(&mut exact, &data, go).unwrap();
        assert_eq!(bits(&mlp), bits(&exact), "patience {patience}");
        let final_cost = evaluate(&mlp, &data, config.loss).unwrap().cost;
        assert_eq!(bits_of(history.final_cost), bits_of(final_cost));
        let best_validation = evaluate(&mlp, &validation, config.loss).unwrap().cost;
        assert_eq!(bits_of(best_validation), bits_of(best_cost));
    }
}

#[test]
fn early_stopping_stops_after_patience_epochs_and_keeps_the_best_parameters() {
    early_stopping_keeps_the_best_epoch::<f64>();
    early_stopping_keeps_the_best_epoch::<f32>();
}

#[test]
fn early_stopping_needs_validation_data_and_a_patience() {
    let (data, validation) = problem::<f64>();
    let config = wobbly::<f64>();
    let start = net::<f64>(1);
    let mut mlp = start.clone();
    let e = Training::new(&config)
        .early_stopping(EarlyStopping { patience: 3 })
        .run(&mut mlp, &data, go)
        .unwrap_err();
    assert_eq!(e, NetError::EarlyStoppingWithoutValidation);
    let e = Training::new(&config)
        .validation(&validation)
        .early_stopping(EarlyStopping { patience: 0 })
        .run(&mut mlp, &data, go)
        .unwrap_err();
    assert_eq!(e, NetError::InvalidPatience);
    assert_eq!(mlp, start);
}

#[test]
fn every_epoch_reports_the_validation_metrics_of_its_network() {
    let (data, validation) = problem::<f64>();
    for config in configs::<f64>() {
        let mut mlp = net::<f64>(1);
        let mut seen = Vec::new();
        let history = Training::new(&config)
            .validation(&validation)
            .run(&mut mlp, &data, |p| {
                let metrics = evaluate(p.mlp, &validation, config.loss).unwrap();
                assert_eq!(p.record.validation, Some(metrics));
                assert_eq!((p.epoch, p.epochs), (seen.len(), config.epochs));
                assert_eq!(p.record.epoch, p.epoch);
                assert_eq!(bits_of(p.cost), bits_of(p.record.train_cost));
                seen.push(metrics);
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(seen.len(), config.epochs);
        let recorded: Vec<_> = history.epochs.iter().map(|r| r.validation.unwrap()).collect();
        assert_eq!(recorded, seen);
        // One-hot targets: the accuracy is there, over the 7 samples.
        assert!(seen.iter().all(|m| m.samples == 7 && m.accuracy.is_some()));
        assert!(history.best_epoch.is_none() && !history.stopped_early);
    }

    // Targets that are not classes: no accuracy. Without validation data: no metrics.
    let regression = Dataset::new(data.inputs().clone(), data.targets().mapv(|t| 0.25 + t / 2.0));
    let regression = regression.unwrap();
    let config = TrainConfig { epochs: 3, ..TrainConfig::default() };
    let history =
        Training::new(&config).validation(&regression).run(&mut net(1), &data, go).unwrap();
    assert!(history.epochs.iter().all(|r| r.validation.unwrap().accuracy.is_none()));
    let history = Training::new(&config).run(&mut net(1), &data, go).unwrap();
    assert!(history.epochs.iter().all(|r| r.validation.is_none()));
}

#[test]
fn on_batch_sees_every_step_and_the_record_is_their_mean() {
    let (data, _) = problem::<f64>();
    for (batch_size, sizes) in [(Some(4), vec![4, 4, 4, 1]), (Some(13), vec![13]), (None, vec![13])]
    {
        let config = TrainConfig { epochs: 3, batch_size, seed: 5, ..TrainConfig::default() };
        let mut steps = Vec::new();
        let mut mlp = net::<f64>(1);
        let history =
            Training::new(&config).on_batch(|b| steps.push(*b)).run(&mut mlp, &data, go).unwrap();
        assert_eq!(steps.len(), config.epochs * sizes.len());
        for (epoch, record) in history.epochs.iter().enumerate() {
            let epoch_steps = &steps[epoch * sizes.len()..(epoch + 1) * sizes.len()];
            let mut samples = 0;
            let mut weighted = 0.0;
            for (k, (step, rows)) in epoch_steps.iter().zip(&sizes).enumerate() {
                samples += rows;
                assert_eq!((step.epoch, step.batch, step.batches), (epoch, k, sizes.len()));
                assert_eq!(step.samples, samples);
                weighted += step.cost * *rows as f64;
            }
            // The epoch's cost: each batch's cost before its step, weighted by its rows.
            assert_eq!(record.train_cost.to_bits(), (weighted / 13.0).to_bits());
        }
    }
}

#[test]
fn break_from_the_callback_stops_the_run() {
    let (data, _) = problem::<f64>();
    let config = TrainConfig { epochs: 6, ..TrainConfig::default() };
    for (last, stopped_early) in [(0, true), (3, true), (5, false)] {
        let mut mlp = net::<f64>(1);
        let history = Training::new(&config)
            .run(&mut mlp, &data, |p| {
                if p.epoch == last { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            })
            .unwrap();
        assert_eq!(history.epochs.len(), last + 1);
        assert_eq!(history.stopped_early, stopped_early, "break at {last}");
        // The network after the epoch the callback stopped at.
        let mut exact = net::<f64>(1);
        let short = TrainConfig { epochs: last + 1, ..config };
        Training::new(&short).run(&mut exact, &data, go).unwrap();
        assert_eq!(bits(&mlp), bits(&exact));
    }
}

/// The checkpoint of 4 epochs of Adam, mini-batches of 4, f64, in a new directory.
fn adam_checkpoint() -> (tempfile::TempDir, TrainConfig<f64>) {
    let (data, validation) = problem::<f64>();
    let config = TrainConfig {
        rate: 0.01,
        epochs: 4,
        batch_size: Some(4),
        seed: 1,
        optimizer: Optimizer::adam(),
        ..TrainConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    training(&config, &validation, Some(EarlyStopping { patience: 10 }))
        .checkpoints(dir.path(), 3)
        .run(&mut net(1), &data, go)
        .unwrap();
    (dir, config)
}

#[test]
fn resuming_with_other_settings_is_refused_naming_the_setting() {
    let (dir, config) = adam_checkpoint();
    let (data, _) = problem::<f64>();
    let state = Checkpoint::load::<f64>(dir.path()).unwrap();
    let relu = |seed| {
        let mut rng = StdRng::seed_from_u64(seed);
        let activations = [Activation::Relu, Activation::Sigmoid];
        Mlp::new(&"3-5-2".parse().unwrap(), &activations, Init::He, &mut rng).unwrap()
    };
    let wider = Mlp::new(
        &"3-6-2".parse().unwrap(),
        &[Activation::Tanh, Activation::Sigmoid],
        Init::He,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    let adam = Optimizer::Adam { beta1: 0.8, beta2: 0.999, epsilon: 1e-8 };
    let cases: Vec<(&str, TrainConfig<f64>, Mlp<f64>)> = vec![
        ("optimizer", TrainConfig { optimizer: Optimizer::adamw(), ..config }, net(1)),
        ("optimizer", TrainConfig { optimizer: adam, ..config }, net(1)),
        ("rate", TrainConfig { rate: 0.02, ..config }, net(1)),
        ("batch_size", TrainConfig { batch_size: Some(5), ..config }, net(1)),
        ("batch_size", TrainConfig { batch_size: None, ..config }, net(1)),
        ("seed", TrainConfig { seed: 2, ..config }, net(1)),
        ("weight_decay", TrainConfig { weight_decay: 0.1, ..config }, net(1)),
        ("clip_norm", TrainConfig { clip_norm: Some(1.0), ..config }, net(1)),
        ("schedule", TrainConfig { schedule: Schedule::step(), ..config }, net(1)),
        ("loss", TrainConfig { loss: Loss::BinaryCrossEntropy, ..config }, net(1)),
        (
            "chunk_rows",
            TrainConfig { chunking: Chunking { rows: 2, ..Chunking::default() }, ..config },
            net(1),
        ),
        (
            "chunk_max",
            TrainConfig { chunking: Chunking { max_chunks: 3, ..Chunking::default() }, ..config },
            net(1),
        ),
        (
            "chunk_min_work",
            TrainConfig { chunking: Chunking { min_work: 0, ..Chunking::default() }, ..config },
            net(1),
        ),
        ("architecture", config, wider),
        ("activations", config, relu(1)),
    ];
    for (setting, other, start) in cases {
        let mut mlp = start.clone();
        let e = Training::new(&other).resume(state.clone()).run(&mut mlp, &data, go).unwrap_err();
        match &e {
            NetError::CheckpointMismatch { setting: named, saved, found } => {
                assert_eq!(named, setting, "{e}");
                assert_ne!(saved, found);
                let message = e.to_string();
                assert!(message.contains(saved) && message.contains(found), "{message}");
            }
            other => panic!("{setting}: expected a mismatch; found {other:?}"),
        }
        // Refused before anything changed.
        assert_eq!(mlp, start, "{setting}");
    }
    // The chunking is a setting because it changes the bits: two chunks of 2 rows add up
    // the gradient of a batch of 4 in another order than one chunk of 4 rows.
    let chunked = |chunking| {
        let mut mlp = net::<f64>(1);
        Training::new(&TrainConfig { chunking, ..config }).run(&mut mlp, &data, go).unwrap();
        bits(&mlp)
    };
    let two = Chunking { rows: 2, max_chunks: usize::MAX, min_work: 0 };
    assert_ne!(chunked(two), chunked(Chunking { min_work: 1 << 20, ..two }));

    // More epochs, or another patience or validation set, are not settings of the run.
    let more = TrainConfig { epochs: 6, ..config };
    Training::new(&more).resume(state).run(&mut net(1), &data, go).unwrap();

    // Another float type: refused on load, naming both.
    let e = Checkpoint::load::<f32>(dir.path()).unwrap_err();
    assert!(matches!(e, NetError::Checkpoint { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains("f32") && message.contains("f64"), "{message}");
}

#[test]
fn a_state_without_its_settings_is_refused() {
    let (dir, config) = adam_checkpoint();
    let (data, _) = problem::<f64>();
    let mut state = Checkpoint::load::<f64>(dir.path()).unwrap();
    state.settings.remove("seed");
    let e = Training::new(&config).resume(state.clone()).run(&mut net(1), &data, go).unwrap_err();
    assert!(matches!(&e, NetError::CheckpointMismatch { setting, .. } if setting == "seed"), "{e}");
    state.settings.insert("seed".into(), config.seed.to_string());
    state.settings.insert("colour".into(), "blue".into());
    let e = Training::new(&config).resume(state).run(&mut net(1), &data, go).unwrap_err();
    assert!(matches!(&e, NetError::CheckpointMismatch { setting, .. } if setting == "colour"));
}

/// Asserts that loading the checkpoint in `dir` fails with a [`NetError::Checkpoint`] that
/// names the file and says every one of `parts`.
#[track_caller]
fn assert_refused(dir: &Path, parts: &[&str]) {
    let e = Checkpoint::load::<f64>(dir).unwrap_err();
    let NetError::Checkpoint { reason } = &e else { panic!("expected a checkpoint error: {e:?}") };
    let path = dir.join(Checkpoint::FILE_NAME);
    assert!(reason.starts_with(&format!("{}: ", path.display())), "{reason:?} names no file");
    for part in parts {
        assert!(reason.contains(part), "{reason:?} does not say {part:?}");
    }
}

/// The checkpoint in `dir`, changed by `edit`, in a new directory.
fn edited(dir: &Path, edit: impl FnOnce(&mut TensorFile)) -> tempfile::TempDir {
    let mut file = TensorFile::load(dir.join(Checkpoint::FILE_NAME)).unwrap();
    edit(&mut file);
    let copy = tempfile::tempdir().unwrap();
    file.save(copy.path().join(Checkpoint::FILE_NAME)).unwrap();
    copy
}

#[test]
fn a_missing_or_damaged_checkpoint_is_refused_naming_the_file() {
    // No checkpoint.
    let empty = tempfile::tempdir().unwrap();
    assert_refused(empty.path(), &["read the file"]);

    // Truncated, at several lengths.
    let (dir, _) = adam_checkpoint();
    let path = dir.path().join(Checkpoint::FILE_NAME);
    let bytes = fs::read(&path).unwrap();
    for keep in [0, 5, 100, bytes.len() / 2, bytes.len() - 1] {
        fs::write(&path, &bytes[..keep]).unwrap();
        assert_refused(dir.path(), &["damaged"]);
    }
}

#[test]
fn an_edited_checkpoint_is_refused_naming_what_is_wrong() {
    // The checkpoint as saved loads.
    let (dir, _) = adam_checkpoint();
    let state: TrainingState<f64> = Checkpoint::load(dir.path()).unwrap();
    assert_eq!(state.run.next_epoch, 4);
    assert!(state.run.best.is_some());

    let set = |key: &'static str, value: &'static str| {
        move |file: &mut TensorFile| {
            file.metadata.insert(key.into(), value.into());
        }
    };
    let remove = |key: &'static str| {
        move |file: &mut TensorFile| {
            file.metadata.remove(key).unwrap();
        }
    };
    type Edit = Box<dyn FnOnce(&mut TensorFile)>;
    let cases: Vec<(Edit, Vec<&str>)> = vec![
        (Box::new(set("format", "nn-mlp")), vec!["format", "nn-checkpoint", "nn-mlp"]),
        (Box::new(set("format_version", "2")), vec!["format_version", "\"2\""]),
        (Box::new(remove("format")), vec!["missing metadata", "format"]),
        (Box::new(set("next_epoch", "3")), vec!["history holds 4 epochs", "next_epoch = 3"]),
        (Box::new(set("next_epoch", "four")), vec!["next_epoch", "whole number", "four"]),
        (Box::new(set("optimizer_steps", "-1")), vec!["optimizer_steps", "-1"]),
        (
            Box::new(|file: &mut TensorFile| {
                let history = file.metadata.get_mut("history").unwrap();
                let mut epochs: Vec<serde_json::Value> = serde_json::from_str(history).unwrap();
                epochs.pop();
                *history = serde_json::to_string(&epochs).unwrap();
            }),
            vec!["history holds 3 epochs", "next_epoch = 4"],
        ),
        (Box::new(set("history", "[{")), vec!["history"]),
        (Box::new(remove("history")), vec!["missing metadata", "history"]),
        (Box::new(set("setting.dtype", "f16")), vec!["f16"]),
        (Box::new(set("setting.architecture", "3-4-2")), vec!["layers.0.weight", "[3, 4]"]),
        // Found by the model_file fuzz target: this error alone did not name the file.
        (Box::new(set("setting.architecture", "0-4-2")), vec!["architecture", "at least 1"]),
        (Box::new(set("setting.activations", "tanh")), vec!["activations"]),
        (Box::new(set("setting.optimizer", "adam beta1=1.5")), vec!["optimizer", "beta1"]),
        (Box::new(set("setting.optimizer", "momentum")), vec!["optimizer.velocity."]),
        (Box::new(remove("setting.seed")), vec!["missing setting", "seed"]),
        (Box::new(set("setting.colour", "blue")), vec!["colour"]),
        (Box::new(set("best_cost", "cheap")), vec!["best_cost"]),
        (Box::new(remove("best_epoch")), vec!["unexpected tensor", "best.layers.0.bias"]),
        (
            Box::new(|file: &mut TensorFile| {
                file.tensors.remove("optimizer.second_moment.layers.1.bias").unwrap();
            }),
            vec!["optimizer.second_moment.layers.1.bias"],
        ),
        (
            Box::new(|file: &mut TensorFile| {
                file.tensors.remove("best.layers.1.weight").unwrap();
            }),
            vec!["best.layers.1.weight"],
        ),
        (
            Box::new(|file: &mut TensorFile| {
                let extra = Tensor::new(vec![2], TensorData::F64(vec![1.0, 2.0]));
                file.tensors.insert("extra".into(), extra);
            }),
            vec!["unexpected tensor", "extra"],
        ),
        (
            Box::new(|file: &mut TensorFile| {
                let wrong = Tensor::new(vec![2, 3], TensorData::F64(vec![0.0; 6]));
                file.tensors.insert("layers.1.weight".into(), wrong);
            }),
            vec!["layers.1.weight", "[5, 2]", "[2, 3]"],
        ),
    ];
    for (edit, parts) in cases {
        assert_refused(edited(dir.path(), edit).path(), &parts);
    }
}

/// The first value of tensor `name` set to `value`.
fn poke(name: &'static str, value: f64) -> impl FnOnce(&mut TensorFile) {
    move |file: &mut TensorFile| {
        let TensorData::F64(values) = &mut file.tensors.get_mut(name).unwrap().data else {
            panic!("an f64 checkpoint");
        };
        values[0] = value;
    }
}

#[test]
fn non_finite_or_impossible_numbers_in_a_checkpoint_are_refused() {
    let (dir, _) = adam_checkpoint();
    for (name, value) in [
        ("layers.0.weight", f64::NAN),
        ("layers.1.bias", f64::INFINITY),
        ("best.layers.0.bias", f64::NEG_INFINITY),
        ("optimizer.first_moment.layers.0.weight", f64::NAN),
    ] {
        assert_refused(edited(dir.path(), poke(name, value)).path(), &[name]);
    }
    // A mean of squares cannot be negative.
    let negative = edited(dir.path(), poke("optimizer.second_moment.layers.0.weight", -1.0));
    assert_refused(negative.path(), &["second_moment", "-1"]);
}

#[test]
fn checkpoints_every_zero_epochs_or_into_a_file_are_refused_before_training() {
    let (data, _) = problem::<f64>();
    let dir = tempfile::tempdir().unwrap();
    let config = TrainConfig { epochs: 2, ..TrainConfig::default() };
    let start = net::<f64>(1);
    let mut mlp = start.clone();
    let e = Training::new(&config).checkpoints(dir.path(), 0).run(&mut mlp, &data, go);
    assert_eq!(e.unwrap_err(), NetError::InvalidCheckpointEvery);
    assert_eq!(Checkpoint::new(dir.path(), 0).unwrap_err(), NetError::InvalidCheckpointEvery);
    assert!(entries(dir.path()).is_empty());

    // A directory that cannot be made: named, and nothing trained.
    let file = dir.path().join("taken");
    fs::write(&file, b"not a directory").unwrap();
    let e = Training::new(&config).checkpoints(&file, 1).run(&mut mlp, &data, go).unwrap_err();
    let NetError::Checkpoint { reason } = &e else { panic!("expected a checkpoint error: {e:?}") };
    assert!(reason.contains(&file.display().to_string()), "{reason}");
    assert_eq!(mlp, start);
}

#[test]
fn every_save_replaces_the_file_whole_and_leaves_nothing_else() {
    let (data, validation) = problem::<f32>();
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("runs").join("one");
    let config = TrainConfig { epochs: 8, batch_size: Some(4), ..wobbly::<f32>() };
    let mut mlp = net::<f32>(1);
    let mut states = Vec::new();
    training(&config, &validation, None)
        .checkpoints(&nested, 3)
        .run(&mut mlp, &data, |p| {
            // After every epoch: one whole checkpoint, of the last multiple of 3 or the last
            // epoch (or none yet).
            assert_eq!(entries(&nested).len(), usize::from(p.epoch >= 2), "epoch {}", p.epoch);
            if p.epoch >= 2 {
                let state = Checkpoint::load::<f32>(&nested).unwrap();
                let done = p.epoch + 1;
                let saved = if done == p.epochs { done } else { done / 3 * 3 };
                assert_eq!(state.run.next_epoch, saved);
                if saved == done {
                    assert_eq!(bits(&state.mlp), bits(p.mlp));
                }
                states.push(state.run.next_epoch);
            }
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(states, [3, 3, 3, 6, 6, 8]);
    // After the run: exactly the checkpoint, of the last epoch.
    assert_eq!(entries(&nested), [Checkpoint::FILE_NAME]);
    let state = Checkpoint::load::<f32>(&nested).unwrap();
    assert_eq!(state.run.next_epoch, 8);
    assert_eq!(bits(&state.mlp), bits(&mlp));
    assert_eq!(Checkpoint::new(&nested, 3).unwrap().path(), nested.join(Checkpoint::FILE_NAME));
}

#[test]
fn a_diverging_run_names_the_epoch_and_leaves_a_checkpoint_that_loads() {
    // One identity neuron fitting y = x on inputs around 1 at a huge rate: each step
    // overshoots by more than the last, until the numbers overflow f32.
    let x = Array2::from_shape_fn((6, 1), |(i, _)| 1.0 + i as f32 / 4.0);
    let data = Dataset::new(x.clone(), x).unwrap();
    let start = Mlp::<f32>::new(
        &"1-1".parse().unwrap(),
        &[Activation::Identity],
        Init::He,
        &mut StdRng::seed_from_u64(4),
    )
    .unwrap();
    let config = TrainConfig { rate: 50.0, epochs: 1000, ..TrainConfig::default() };

    // Where it diverges without checkpoints.
    let e = Training::new(&config).run(&mut start.clone(), &data, go).unwrap_err();
    let NetError::Diverged { epoch, .. } = e else { panic!("expected a divergence: {e:?}") };
    assert!((4..100).contains(&epoch), "diverged at {epoch}");

    let dir = tempfile::tempdir().unwrap();
    let mut mlp = start.clone();
    let mut last = None;
    let e = Training::new(&config)
        .checkpoints(dir.path(), 3)
        .run(&mut mlp, &data, |p| {
            last = Some(bits(p.mlp));
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert!(matches!(e, NetError::Diverged { epoch: at, .. } if at == epoch), "{e:?}");
    assert!(e.to_string().contains(&format!("epoch {epoch}")), "{e}");
    // The network holds the last finite parameters.
    assert!(mlp.parameters().all(f32::is_finite));
    // The checkpoint holds the last multiple of 3 before the failed epoch, finite.
    assert_eq!(entries(dir.path()), [Checkpoint::FILE_NAME]);
    let state = Checkpoint::load::<f32>(dir.path()).unwrap();
    assert_eq!(state.run.next_epoch, epoch / 3 * 3);
    assert!(state.mlp.parameters().all(f32::is_finite));
    if epoch % 3 == 0 {
        assert_eq!(Some(bits(&state.mlp)), last);
    }
    // Resumed at a lower rate it would need other settings: refused; at the same rate it
    // diverges at the same epoch.
    let slower = TrainConfig { rate: 0.01, ..config };
    let refused = Training::new(&slower).resume(state.clone()).run(&mut start.clone(), &data, go);
    assert!(matches!(refused, Err(NetError::CheckpointMismatch { .. })));
    let again = Training::new(&config).resume(state).run(&mut start.clone(), &data, go);
    assert!(matches!(again, Err(NetError::Diverged { epoch: at, .. }) if at == epoch));
}
