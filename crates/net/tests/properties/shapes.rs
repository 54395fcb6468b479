//! Forward and backward shapes, and batches that do not fit refused by every entry point.

use ndarray::Array2;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    BatchGradient, Chunking, Dataset, FiniteDifference, Gradient, Mlp, Model, NetError,
    Normalization, TrainConfig, Trainer, Workspace, evaluate, finite_difference_gradient, train,
};
use proptest::prelude::*;

use crate::config;
use crate::spec::{Float, Spec, chunking, parameter_bits, spec};

/// Outputs, gradients and a training step have the network's shapes.
fn shapes<F: Float>(spec: &Spec, spare: usize, chunking: Chunking) -> Result<(), TestCaseError> {
    let (mut mlp, data) = spec.case::<F>();
    let (x, y) = (data.inputs(), data.targets());
    let (n, sizes) = (spec.rows, &spec.sizes);
    let d_out = *sizes.last().expect("at least two sizes");

    let out = mlp.predict(x).expect("a batch that fits");
    prop_assert_eq!(out.dim(), (n, d_out));
    // A workspace with spare rows computes the top rows with the same arithmetic.
    let mut workspace = Workspace::new(&mlp, n + spare);
    let view = mlp.forward_into(&mut workspace, x).expect("a batch that fits");
    prop_assert_eq!(view.dim(), (n, d_out));
    prop_assert!(view.iter().zip(&out).all(|(a, b)| a.bits() == b.bits()));
    // Each output row depends on its own input row alone: with every other row redrawn,
    // the row (at the same place, so computed by the same arithmetic) keeps its bits.
    let kept = (spec.seed % n as u64) as usize;
    let mut rng = StdRng::seed_from_u64(spec.seed.wrapping_add(1));
    let mut redrawn = x.clone();
    for (i, mut row) in redrawn.rows_mut().into_iter().enumerate() {
        if i != kept {
            row.mapv_inplace(|_| F::of(rng.random_range(-1.0..1.0)));
        }
    }
    let again = mlp.predict(&redrawn).expect("a batch that fits");
    let row_bits = |m: &Array2<F>| m.row(kept).iter().map(|v| v.bits()).collect::<Vec<_>>();
    prop_assert_eq!(row_bits(&again), row_bits(&out), "row {} changed with the others", kept);

    let mut gradient = Gradient::zeros(&mlp);
    let cost = mlp
        .gradient_into(&mut workspace, x, y, spec.loss, &mut gradient)
        .expect("a batch that fits");
    prop_assert!(cost.is_finite() && gradient.is_finite());
    prop_assert_eq!(gradient.len(), mlp.parameter_count());
    prop_assert_eq!(gradient.layers().len(), sizes.len() - 1);
    for (l, g) in gradient.layers().iter().enumerate() {
        prop_assert_eq!(g.w().dim(), (sizes[l], sizes[l + 1]), "layer {}", l);
        prop_assert_eq!(g.b().len(), sizes[l + 1], "layer {}", l);
    }
    let mut batch = BatchGradient::new(&mlp, n, chunking).expect("a valid chunking");
    batch.compute(&mlp, x, y, spec.loss).expect("a batch that fits");
    for (g, h) in batch.gradient().layers().iter().zip(gradient.layers()) {
        prop_assert_eq!(g.w().dim(), h.w().dim());
        prop_assert_eq!(g.b().dim(), h.b().dim());
    }

    let config = TrainConfig { rate: F::of(0.01), loss: spec.loss, chunking, ..Default::default() };
    let mut trainer = Trainer::with_chunking(&mlp, n, chunking).expect("a valid chunking");
    trainer.step(&mut mlp, x, y, &config).expect("a batch that fits");
    prop_assert_eq!(mlp.architecture().sizes(), &sizes[..]);
    Ok(())
}

/// A width other than `right`, from a draw in `0..=23`: 0 and everything up to 24 but
/// `right`.
fn other_width(right: usize, draw: usize) -> usize {
    if draw >= right { draw + 1 } else { draw }
}

/// Asserts that every result is `expected`, and that its message names both numbers.
fn all_refused<T: std::fmt::Debug>(
    results: Vec<(&str, Result<T, NetError>)>,
    expected: &NetError,
    numbers: [usize; 2],
) -> Result<(), TestCaseError> {
    for (entry, result) in results {
        match result {
            Err(e) => prop_assert_eq!(&e, expected, "{}", entry),
            Ok(v) => prop_assert!(false, "{} accepted a bad batch: {:?}", entry, v),
        }
    }
    let message = expected.to_string();
    for number in numbers {
        prop_assert!(message.contains(&number.to_string()), "{:?} lacks {}", message, number);
    }
    Ok(())
}

/// Every entry point that takes a batch, run on `x` and `y`, with what each returned.
fn entry_points<'a, F: Float>(
    mlp: &Mlp<F>,
    x: &Array2<F>,
    y: &Array2<F>,
    spec: &Spec,
) -> Vec<(&'a str, Result<String, NetError>)> {
    let loss = spec.loss;
    let rows = x.nrows().max(y.nrows());
    let mut workspace = Workspace::new(mlp, rows);
    let mut gradient = Gradient::zeros(mlp);
    let mut batch = BatchGradient::new(mlp, rows, Chunking::default()).expect("a valid chunking");
    let mut trainer = Trainer::new(mlp, rows);
    let mut stepped = mlp.clone();
    let config = TrainConfig { rate: F::of(0.01), epochs: 2, loss, ..TrainConfig::default() };
    let text = |r: Result<F, NetError>| r.map(|v| format!("{v:?}"));
    // A refusal that changed the parameters anyway is reported as an acceptance.
    let untouched = |r: Result<String, NetError>, after: &Mlp<F>| match r {
        Err(e) if parameter_bits(after) == parameter_bits(mlp) => Err(e),
        other => Ok(format!("{other:?}, parameters now {:?}", parameter_bits(after))),
    };
    let step = text(trainer.step(&mut stepped, x, y, &config));
    let mut results = vec![
        ("gradient_into", text(mlp.gradient_into(&mut workspace, x, y, loss, &mut gradient))),
        ("BatchGradient::compute", text(batch.compute(mlp, x, y, loss))),
        ("Trainer::step", untouched(step, &stepped)),
        ("Trainer::cost", text(trainer.cost(mlp, x, y, loss))),
    ];
    // A `Dataset` refuses rows that differ and zero widths itself; given one, the
    // network's entry points refuse it.
    if let Ok(data) = Dataset::new(x.clone(), y.clone()) {
        let mut trained = mlp.clone();
        let trained_result = train(&mut trained, &data, &config).map(|h| format!("{h:?}"));
        let fd = FiniteDifference::default();
        results.extend([
            ("Mlp::cost", text(mlp.cost(&data, loss))),
            ("train", untouched(trained_result, &trained)),
            (
                "finite_difference_gradient",
                finite_difference_gradient(mlp, &data, loss, fd).map(|g| format!("{g:?}")),
            ),
            ("evaluate", evaluate(mlp, &data, loss).map(|m| format!("{m:?}"))),
        ]);
    }
    results
}

/// Inputs of the wrong width, targets of the wrong width, and rows that differ are each
/// refused, with the expected and the found, by every entry point.
fn misfits<F: Float>(
    spec: &Spec,
    input_draw: usize,
    target_draw: usize,
) -> Result<(), TestCaseError> {
    let (mlp, data) = spec.case::<F>();
    let (x, y) = (data.inputs(), data.targets());
    let (n, d_in, d_out) = (spec.rows, mlp.inputs(), mlp.outputs());

    let wrong = other_width(d_in, input_draw);
    let bad_x = Array2::from_elem((n, wrong), F::of(0.5));
    let expected = NetError::InputWidth { expected: d_in, found: wrong };
    let mut results = entry_points(&mlp, &bad_x, y, spec);
    let mut workspace = Workspace::new(&mlp, n);
    let mut batch = BatchGradient::new(&mlp, n, Chunking::default()).expect("a valid chunking");
    let model = Model::new(mlp.clone(), Normalization::none(d_in), spec.loss)
        .expect("a normalisation as wide as the inputs");
    results.extend([
        ("predict", mlp.predict(&bad_x).map(|a| format!("{a:?}"))),
        ("forward_into", mlp.forward_into(&mut workspace, &bad_x).map(|a| format!("{a:?}"))),
        ("BatchGradient::forward", batch.forward(&mlp, &bad_x).map(|()| String::new())),
        ("Model::predict", model.predict(&bad_x).map(|a| format!("{a:?}"))),
    ]);
    all_refused(results, &expected, [d_in, wrong])?;

    let wrong = other_width(d_out, target_draw);
    let bad_y = Array2::from_elem((n, wrong), F::of(0.5));
    let expected = NetError::TargetWidth { expected: d_out, found: wrong };
    all_refused(entry_points(&mlp, x, &bad_y, spec), &expected, [d_out, wrong])?;

    // One target row too many (or too few): the dataset cannot be built, and every batch
    // entry point refuses the pair.
    let other_rows = if input_draw.is_multiple_of(2) || n == 1 { n + 1 } else { n - 1 };
    let bad_y = Array2::from_elem((other_rows, d_out), F::of(0.5));
    let expected = NetError::RowMismatch { inputs: n, targets: other_rows };
    prop_assert_eq!(Dataset::new(x.clone(), bad_y.clone()).err(), Some(expected.clone()));
    all_refused(entry_points(&mlp, x, &bad_y, spec), &expected, [n, other_rows])?;

    // A batch larger than the buffers were built for.
    let mut small = Workspace::new(&mlp, n - 1);
    let expected = NetError::BatchTooLarge { capacity: n - 1, rows: n };
    let result = mlp.forward_into(&mut small, x).map(|a| format!("{a:?}"));
    all_refused(vec![("forward_into", result)], &expected, [n - 1, n])?;
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn outputs_and_gradients_have_the_network_s_shapes(
        spec in spec(12, 70),
        spare in 0..4_usize,
        chunking in chunking(),
    ) {
        shapes::<f32>(&spec, spare, chunking)?;
        shapes::<f64>(&spec, spare, chunking)?;
    }

    #[test]
    fn a_batch_that_does_not_fit_is_refused_naming_expected_and_found(
        spec in spec(12, 70),
        input_draw in 0..24_usize,
        target_draw in 0..24_usize,
    ) {
        misfits::<f32>(&spec, input_draw, target_draw)?;
        misfits::<f64>(&spec, input_draw, target_draw)?;
    }
}
