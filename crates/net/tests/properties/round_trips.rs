//! Save and load: model files and checkpoints give back exactly what was saved.

use std::ops::ControlFlow;

use ndarray::{Array1, Array2};
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    Checkpoint, EpochRecord, Layer, Mlp, Model, ModelFileErrorKind, Normalization,
    NormalizationKind, Optimizer, Progress, TrainConfig, Training,
};
use proptest::prelude::*;
use proptest::sample::select;

use crate::config;
use crate::spec::{Float, Spec, optimizer, parameter_bits, spec};

/// How a case's parameters are drawn.
#[derive(Clone, Copy, Debug)]
enum Values {
    /// Uniform in `[−2, 2)`: what training leaves.
    Ordinary,
    /// Any finite value of the type: zeros of both signs, subnormals, the extremes.
    AnyBits,
}

/// A finite value of `F` with uniformly random bits.
fn any_finite<F: Float>(rng: &mut StdRng) -> F {
    loop {
        let v = if size_of::<F>() == 4 {
            F::of(f64::from(f32::from_bits(rng.random())))
        } else {
            F::of(f64::from_bits(rng.random()))
        };
        if v.is_finite() {
            return v;
        }
    }
}

/// A model of `spec`'s layers with parameters drawn by `values` and a normalisation of
/// `kind`, fitted on random inputs or (`fitted` false) with statistics of any finite
/// shift and any positive finite scale (for `none`, the identity's).
fn model<F: Float>(spec: &Spec, values: Values, kind: NormalizationKind, fitted: bool) -> Model<F> {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let draw = |rng: &mut StdRng| match values {
        Values::Ordinary => F::of(rng.random_range(-2.0..2.0)),
        Values::AnyBits => any_finite(rng),
    };
    let layers = spec
        .sizes
        .windows(2)
        .zip(&spec.activations)
        .map(|(sizes, &activation)| {
            let w = Array2::from_shape_fn((sizes[0], sizes[1]), |_| draw(&mut rng));
            let b = Array1::from_shape_fn(sizes[1], |_| draw(&mut rng));
            Layer::new(w, b, activation).expect("finite parameters of matching shapes")
        })
        .collect();
    let mlp = Mlp::from_layers(layers).expect("layers that fit each other");
    let width = mlp.inputs();
    let normalization = if fitted {
        let x = Array2::from_shape_fn((spec.rows, width), |_| rng.random_range(-1e3..1e3));
        Normalization::fit(kind, &x)
    } else if kind == NormalizationKind::None {
        // `none` takes only the identity's statistics, a zero shift of either sign.
        let shift = (0..width).map(|_| if rng.random() { 0.0 } else { -0.0 }).collect();
        Normalization::from_parts(kind, shift, vec![1.0; width]).expect("the identity")
    } else {
        let shift = (0..width).map(|_| any_finite::<f64>(&mut rng)).collect();
        let scale = (0..width)
            .map(|_| {
                loop {
                    let s = any_finite::<f64>(&mut rng).abs();
                    if s > 0.0 {
                        break s;
                    }
                }
            })
            .collect();
        Normalization::from_parts(kind, shift, scale).expect("finite shifts, positive scales")
    };
    Model::new(mlp, normalization, spec.loss).expect("a normalisation as wide as the inputs")
}

fn bits_of<F: Float>(values: impl IntoIterator<Item = F>) -> Vec<u64> {
    values.into_iter().map(F::bits).collect()
}

/// Saved and loaded as the same type: the same parameters, statistics and predictions, to
/// the bit. Loaded as the other type: `f32` widens exactly; `f64` rounds as `as f32` does,
/// or is refused when a value rounds past `f32`'s range.
fn model_round_trip<F: Float>(
    spec: &Spec,
    values: Values,
    kind: NormalizationKind,
    fitted: bool,
) -> Result<(), TestCaseError> {
    let model = model::<F>(spec, values, kind, fitted);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("model.safetensors");
    model.save(&path).expect("a finite model saves");

    let loaded = Model::<F>::load(&path).expect("a saved model loads");
    prop_assert_eq!(parameter_bits(&loaded.mlp), parameter_bits(&model.mlp));
    prop_assert_eq!(loaded.mlp.architecture(), model.mlp.architecture());
    let activations =
        |m: &Model<F>| m.mlp.layers().iter().map(Layer::activation).collect::<Vec<_>>();
    prop_assert_eq!(activations(&loaded), activations(&model));
    prop_assert_eq!(loaded.loss, model.loss);
    let n = &model.normalization;
    prop_assert_eq!(loaded.normalization.kind(), n.kind());
    prop_assert_eq!(
        bits_of(loaded.normalization.shift().iter().copied()),
        bits_of(n.shift().iter().copied())
    );
    prop_assert_eq!(
        bits_of(loaded.normalization.scale().iter().copied()),
        bits_of(n.scale().iter().copied())
    );

    let mut rng = StdRng::seed_from_u64(spec.seed ^ 1);
    let x = Array2::from_shape_fn((spec.rows, model.mlp.inputs()), |_| {
        F::of(rng.random_range(-10.0..10.0))
    });
    let predicted = model.predict(&x).expect("inputs that fit");
    prop_assert_eq!(bits_of(loaded.predict(&x).expect("inputs that fit")), bits_of(predicted));

    // The other type.
    if size_of::<F>() == 4 {
        let wide = Model::<f64>::load(&path).expect("f32 always widens");
        let widened = model.mlp.parameters().map(|p| p.to_f64().expect("an f32 widens"));
        prop_assert_eq!(bits_of(wide.mlp.parameters()), bits_of(widened));
    } else {
        let rounded: Vec<f32> =
            model.mlp.parameters().map(|p| p.to_f64().expect("f64") as f32).collect();
        match Model::<f32>::load(&path) {
            Ok(narrow) => {
                prop_assert!(rounded.iter().all(|v| v.is_finite()));
                prop_assert_eq!(bits_of(narrow.mlp.parameters()), bits_of(rounded));
            }
            Err(e) => {
                let out_of_range = rounded.iter().any(|v| !v.is_finite());
                prop_assert!(
                    out_of_range && matches!(e.kind, ModelFileErrorKind::OutOfRange { .. }),
                    "refused with every value in range: {}",
                    e
                );
            }
        }
    }
    Ok(())
}

/// The per-epoch callback of a run that goes to its end.
fn go<F>(_: &Progress<'_, F>) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// The parts of an epoch's record a resumed run reproduces (not its wall-clock seconds).
fn record_bits<F: Float>(records: &[EpochRecord<F>]) -> Vec<(usize, u64, u64)> {
    records.iter().map(|r| (r.epoch, r.train_cost.bits(), r.rate.bits())).collect()
}

/// A run of `first` epochs with checkpoints every `every`: the checkpoint holds its
/// parameters, history and optimizer state exactly; resumed for `more` epochs it ends with
/// the bits of the run of `first + more` epochs left uninterrupted.
fn checkpoint_round_trip<F: Float>(
    spec: &Spec,
    optimizer: Optimizer<F>,
    batch_size: Option<usize>,
    (first, more, every): (usize, usize, usize),
) -> Result<(), TestCaseError> {
    let (start, data) = spec.case::<F>();
    let config = TrainConfig {
        rate: F::of(0.01),
        epochs: first + more,
        loss: spec.loss,
        batch_size,
        seed: spec.seed,
        optimizer,
        ..TrainConfig::default()
    };

    let mut straight = start.clone();
    let Ok(expected) = Training::new(&config).run(&mut straight, &data, go) else {
        // A run that diverges (a deep stack of identity layers can, even at a small rate)
        // has no end to resume to.
        return Err(TestCaseError::reject("the run diverged"));
    };

    let dir = tempfile::tempdir().expect("a temporary directory");
    let part_config = TrainConfig { epochs: first, ..config };
    let mut part = start.clone();
    let part_history = Training::new(&part_config)
        .checkpoints(dir.path(), every)
        .run(&mut part, &data, go)
        .expect("a valid run");

    let state = Checkpoint::load::<F>(dir.path()).expect("the run's checkpoint loads");
    prop_assert_eq!(parameter_bits(&state.mlp), parameter_bits(&part));
    prop_assert_eq!(state.run.next_epoch, first);
    prop_assert_eq!(&state.run.history, &part_history.epochs);
    let batches = data.len().div_ceil(batch_size.unwrap_or(data.len()).min(data.len()));
    prop_assert_eq!(state.optimizer.steps(), first * batches);
    prop_assert_eq!(state.optimizer.optimizer(), optimizer);

    let mut resumed = start;
    let history =
        Training::new(&config).resume(state).run(&mut resumed, &data, go).expect("a valid run");
    prop_assert_eq!(parameter_bits(&resumed), parameter_bits(&straight));
    prop_assert_eq!(record_bits(&history.epochs), record_bits(&expected.epochs));
    prop_assert_eq!(history.final_cost.bits(), expected.final_cost.bits());
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn a_saved_model_loads_back_bit_identical(
        spec in spec(12, 16),
        values in select(vec![Values::Ordinary, Values::AnyBits]),
        kind in select(NormalizationKind::ALL.to_vec()),
        fitted in any::<bool>(),
    ) {
        model_round_trip::<f32>(&spec, values, kind, fitted)?;
        model_round_trip::<f64>(&spec, values, kind, fitted)?;
    }
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn a_checkpoint_loads_the_run_and_resumes_to_its_bits(
        spec in spec(8, 40),
        optimizer_f32 in optimizer::<f32>(),
        optimizer_f64 in optimizer::<f64>(),
        batch_size in proptest::option::of(1..=40_usize),
        epochs in (1..=3_usize, 0..=3_usize, 1..=3_usize),
    ) {
        checkpoint_round_trip::<f32>(&spec, optimizer_f32, batch_size, epochs)?;
        checkpoint_round_trip::<f64>(&spec, optimizer_f64, batch_size, epochs)?;
    }
}
