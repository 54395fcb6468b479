//! Every bad input is refused with its named `NetError`, whose message says what was expected
//! and what was found, and nothing panics; a diverging run stops with the last finite
//! parameters.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::ops::ControlFlow;

use ndarray::{Array1, Array2, array};
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Activation, Architecture, Dataset, Difference, FiniteDifference, Gradient, GradientMethod,
    Init, Layer, Loss, Mlp, NetError, Progress, TrainConfig, Trainer, Workspace,
    finite_difference_gradient, finite_difference_gradient_into, train, train_with,
};

const MSE: Loss = Loss::MeanSquaredError;

/// The error of a call that must fail.
#[track_caller]
fn err<T: std::fmt::Debug>(result: Result<T, NetError>) -> NetError {
    result.expect_err("a bad input was accepted")
}

/// Asserts that the message contains every one of `parts`.
#[track_caller]
fn assert_says(error: &NetError, parts: &[&str]) {
    let message = error.to_string();
    for part in parts {
        assert!(message.contains(part), "{message:?} does not say {part:?}");
    }
}

/// A seeded network of the given sizes, all sigmoid.
fn net(sizes: &[usize]) -> Mlp<f64> {
    let arch = Architecture::new(sizes.to_vec()).unwrap();
    let activations = vec![Activation::Sigmoid; arch.layers()];
    Mlp::new(&arch, &activations, Init::default(), &mut StdRng::seed_from_u64(1)).unwrap()
}

/// `rows × cols` of a simple non-constant pattern.
fn matrix(rows: usize, cols: usize) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| (i * cols + j) as f64 * 0.1)
}

fn data(rows: usize, inputs: usize, targets: usize) -> Dataset<f64> {
    Dataset::new(matrix(rows, inputs), matrix(rows, targets)).unwrap()
}

fn config(rate: f64) -> TrainConfig<f64> {
    TrainConfig { rate, epochs: 3, ..TrainConfig::default() }
}

#[test]
fn inputs_of_the_wrong_width() {
    let mut mlp = net(&[2, 3, 1]);
    let wrong = data(4, 3, 1);
    let check = |e: NetError| {
        assert!(matches!(e, NetError::InputWidth { expected: 2, found: 3 }), "{e:?}");
        assert_says(&e, &["expected inputs with 2 columns", "found 3"]);
    };
    check(err(mlp.predict(&matrix(4, 3))));
    check(err(mlp.cost(&wrong, MSE)));
    check(err(mlp.forward_into(&mut Workspace::new(&mlp, 4), &matrix(4, 3))));
    let (mut ws, mut g) = (Workspace::new(&mlp, 4), Gradient::zeros(&mlp));
    check(err(mlp.gradient_into(&mut ws, &matrix(4, 3), &matrix(4, 1), MSE, &mut g)));
    check(err(finite_difference_gradient(&mlp, &wrong, MSE, FiniteDifference::default())));
    check(err(Trainer::new(&mlp, 4).step(&mut mlp, &matrix(4, 3), &matrix(4, 1), &config(0.1))));
    check(err(train(&mut mlp, &wrong, &config(0.1))));
    assert_eq!(mlp, net(&[2, 3, 1]), "a refused call changed the network");
}

#[test]
fn targets_of_the_wrong_width() {
    let mut mlp = net(&[2, 3, 1]);
    let wrong = data(4, 2, 2);
    let check = |e: NetError| {
        assert!(matches!(e, NetError::TargetWidth { expected: 1, found: 2 }), "{e:?}");
        assert_says(&e, &["expected targets with 1 columns", "found 2"]);
    };
    check(err(mlp.cost(&wrong, MSE)));
    let (mut ws, mut g) = (Workspace::new(&mlp, 4), Gradient::zeros(&mlp));
    check(err(mlp.gradient_into(&mut ws, &matrix(4, 2), &matrix(4, 2), MSE, &mut g)));
    check(err(finite_difference_gradient(&mlp, &wrong, MSE, FiniteDifference::default())));
    check(err(Trainer::new(&mlp, 4).step(&mut mlp, &matrix(4, 2), &matrix(4, 2), &config(0.1))));
    check(err(train(&mut mlp, &wrong, &config(0.1))));
    assert_eq!(mlp, net(&[2, 3, 1]));
}

#[test]
fn inputs_and_targets_with_different_row_counts() {
    let check = |e: NetError| {
        assert!(matches!(e, NetError::RowMismatch { inputs: 3, targets: 2 }), "{e:?}");
        assert_says(&e, &["one target row per input row", "found 3 inputs and 2 targets"]);
    };
    check(err(Dataset::new(matrix(3, 2), matrix(2, 1))));
    let mut mlp = net(&[2, 1]);
    let (mut ws, mut g) = (Workspace::new(&mlp, 4), Gradient::zeros(&mlp));
    check(err(mlp.gradient_into(&mut ws, &matrix(3, 2), &matrix(2, 1), MSE, &mut g)));
    check(err(Trainer::new(&mlp, 4).step(&mut mlp, &matrix(3, 2), &matrix(2, 1), &config(0.1))));
}

#[test]
fn empty_data() {
    let e = err(Dataset::new(matrix(0, 2), matrix(0, 1)));
    assert!(matches!(e, NetError::EmptyData { rows: 0, inputs: 2, targets: 1 }), "{e:?}");
    assert_says(&e, &["expected at least one sample", "found 0 rows of 2 inputs and 1 targets"]);

    let e = err(Dataset::new(matrix(3, 0), matrix(3, 1)));
    assert!(matches!(e, NetError::EmptyData { rows: 3, inputs: 0, targets: 1 }), "{e:?}");
    assert_says(&e, &["at least one input", "found 3 rows of 0 inputs"]);

    let e = err(Dataset::new(matrix(3, 2), matrix(3, 0)));
    assert!(matches!(e, NetError::EmptyData { rows: 3, inputs: 2, targets: 0 }), "{e:?}");
    assert_says(&e, &["one target", "and 0 targets"]);

    // A batch of no rows handed straight to the gradient or a training step.
    let mut mlp = net(&[2, 1]);
    let (mut ws, mut g) = (Workspace::new(&mlp, 4), Gradient::zeros(&mlp));
    let e = err(mlp.gradient_into(&mut ws, &matrix(0, 2), &matrix(0, 1), MSE, &mut g));
    assert!(matches!(e, NetError::EmptyData { rows: 0, .. }), "{e:?}");
    let e = err(Trainer::new(&mlp, 4).step(&mut mlp, &matrix(0, 2), &matrix(0, 1), &config(0.1)));
    assert!(matches!(e, NetError::EmptyData { rows: 0, .. }), "{e:?}");
    let e = err(finite_difference_gradient_into(
        &mut mlp,
        &mut ws,
        &matrix(0, 2),
        &matrix(0, 1),
        MSE,
        FiniteDifference::default(),
        &mut g,
    ));
    assert!(matches!(e, NetError::EmptyData { rows: 0, .. }), "{e:?}");

    // Feed-forward of no rows is not an error: no outputs, no panic.
    assert_eq!(mlp.predict(&matrix(0, 2)).unwrap().dim(), (0, 1));
}

#[test]
fn non_finite_values_in_inputs_and_targets_name_their_row_and_column() {
    for (value, shown) in [(f64::NAN, "NaN"), (f64::INFINITY, "inf"), (f64::NEG_INFINITY, "-inf")] {
        let mut x = matrix(3, 2);
        x[[1, 0]] = value;
        let e = err(Dataset::new(x, matrix(3, 1)));
        assert!(
            matches!(&e, NetError::NonFinite { what, row: 1, column: 0, .. } if what == "inputs"),
            "{e:?}"
        );
        assert_says(&e, &["expected finite numbers in the inputs", shown, "row 1, column 0"]);

        let mut y = matrix(3, 2);
        y[[2, 1]] = value;
        let e = err(Dataset::new(matrix(3, 1), y));
        assert!(
            matches!(&e, NetError::NonFinite { what, row: 2, column: 1, .. } if what == "targets"),
            "{e:?}"
        );
        assert_says(&e, &["expected finite numbers in the targets", shown, "row 2, column 1"]);
    }
    // The first bad value, in row-major order, is the one named.
    let x = array![[0.0, 1.0], [f64::INFINITY, f64::NAN]];
    let e = err(Dataset::new(x, matrix(2, 1)));
    assert!(matches!(e, NetError::NonFinite { row: 1, column: 0, .. }), "{e:?}");
    assert_says(&e, &["found inf at row 1, column 0"]);
    // f32 data is checked the same way.
    let e = err(Dataset::new(array![[0.0_f32, f32::NAN]], array![[1.0_f32]]));
    assert!(matches!(e, NetError::NonFinite { row: 0, column: 1, .. }), "{e:?}");
}

#[test]
fn architectures_with_fewer_than_two_sizes() {
    let e = err(Architecture::new(vec![]));
    assert!(matches!(e, NetError::EmptyArchitecture { found: 0 }), "{e:?}");
    assert_says(&e, &["at least two sizes", "found 0 sizes"]);

    let e = err(Architecture::new(vec![3]));
    assert!(matches!(e, NetError::EmptyArchitecture { found: 1 }), "{e:?}");
    assert_says(&e, &["at least two sizes", "found 1 size"]);
    assert!(!e.to_string().contains("1 sizes"), "{e}");

    let e = err("7".parse::<Architecture>());
    assert!(matches!(e, NetError::EmptyArchitecture { found: 1 }), "{e:?}");

    let e = err(Architecture::try_from(&[][..]));
    assert!(matches!(e, NetError::EmptyArchitecture { found: 0 }), "{e:?}");

    // An empty string is a malformed string, and says so.
    for empty in ["", "   "] {
        let e = err(empty.parse::<Architecture>());
        assert!(matches!(e, NetError::ParseArchitecture { .. }), "{e:?}");
        assert_says(&e, &["expected sizes joined by '-'", "found an empty string"]);
    }
}

#[test]
fn architectures_with_a_zero_width_layer() {
    for (sizes, index) in [(vec![0, 1], 0), (vec![2, 0, 1], 1), (vec![2, 3, 0], 2)] {
        let e = err(Architecture::new(sizes.clone()));
        assert!(matches!(e, NetError::ZeroWidthLayer { index: i } if i == index), "{e:?}");
        assert_says(&e, &["at least 1", &format!("size {index} (counting the inputs as 0) is 0")]);
    }
    let e = err("2-3-0".parse::<Architecture>());
    assert!(matches!(e, NetError::ZeroWidthLayer { index: 2 }), "{e:?}");
}

#[test]
fn malformed_architecture_strings() {
    let cases = [
        ("2--1", "size 1 is \"\""),
        ("-2-1", "size 0 is \"\""),
        ("2-1-", "size 2 is \"\""),
        ("2-x-1", "size 1 is \"x\""),
        ("2-1.5", "size 1 is \"1.5\""),
        ("2-+-1", "size 1 is \"+\""),
        ("2 2 1", "size 0 is \"2 2 1\""),
        ("2,2,1", "size 0 is \"2,2,1\""),
        ("2−1", "size 0 is \"2−1\""), // a Unicode minus, not '-'
        ("99999999999999999999999-1", "size 0 is \"99999999999999999999999\""),
    ];
    for (input, says) in cases {
        let e = err(input.parse::<Architecture>());
        assert!(
            matches!(&e, NetError::ParseArchitecture { input: i, .. } if i == input),
            "{input:?}: {e:?}"
        );
        assert_says(
            &e,
            &["expected sizes joined by '-', such as 2-2-1", says, "not a whole number"],
        );
    }
}

#[test]
fn one_activation_per_layer() {
    let arch: Architecture = "2-3-1".parse().unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    for activations in [&[][..], &[Activation::Tanh], &[Activation::Tanh; 3]] {
        let e = err(Mlp::<f64>::new(&arch, activations, Init::default(), &mut rng));
        assert!(
            matches!(e, NetError::ActivationCount { expected: 2, found } if found == activations.len()),
            "{e:?}"
        );
        assert_says(
            &e,
            &["expected one activation per layer (2)", &format!("found {}", activations.len())],
        );
    }
}

#[test]
fn softmax_on_a_hidden_layer() {
    // Softmax mixes a row, so it is for the output layer only: refused on any hidden layer,
    // by both constructors, naming the first such layer (counting from 0).
    let arch: Architecture = "2-3-4-2".parse().unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let (s, t) = (Activation::Softmax, Activation::Tanh);
    for (activations, index) in [([s, t, s], 0), ([t, s, t], 1), ([s, s, s], 0)] {
        let e = err(Mlp::<f64>::new(&arch, &activations, Init::default(), &mut rng));
        assert_eq!(e, NetError::OutputOnlyActivation { index, found: s });
        assert_says(
            &e,
            &[
                &format!("layer {index} is a hidden layer"),
                "expected an element-wise activation",
                "found softmax, which is only valid on the output layer",
            ],
        );
        let layers: Vec<Layer<f64>> = arch
            .sizes()
            .windows(2)
            .zip(activations)
            .map(|(d, f)| Layer::new(matrix(d[0], d[1]), Array1::zeros(d[1]), f).unwrap())
            .collect();
        assert_eq!(
            err(Mlp::from_layers(layers)),
            NetError::OutputOnlyActivation { index, found: s }
        );
    }
    // On the output layer, and as the only layer, it is fine.
    Mlp::<f64>::new(&arch, &[t, t, s], Init::default(), &mut rng).unwrap();
    let only = Layer::new(matrix(2, 3), Array1::zeros(3), s).unwrap();
    assert_eq!(Mlp::from_layers(vec![only]).unwrap().output_activation(), s);
}

#[test]
fn initialisation_ranges_that_are_empty_inverted_or_not_finite() {
    let arch: Architecture = "2-1".parse().unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    let bad = [
        (1.0, 1.0, "[1, 1)"),
        (1.0, 0.0, "[1, 0)"),
        (f64::NAN, 1.0, "[NaN, 1)"),
        (0.0, f64::NAN, "[0, NaN)"),
        (f64::NEG_INFINITY, 0.0, "[-inf, 0)"),
        (0.0, f64::INFINITY, "[0, inf)"),
        // Finite bounds whose width overflows: the sampler would fail on `high − low`.
        (-1e308, 1e308, "[-100000"),
    ];
    for (low, high, shown) in bad {
        let init = Init::Uniform { low, high };
        let e = err(init.check());
        assert!(matches!(e, NetError::InvalidInit { .. }), "{e:?}");
        let e = err(Mlp::<f64>::new(&arch, &[Activation::Sigmoid], init, &mut rng));
        assert!(matches!(e, NetError::InvalidInit { .. }), "{e:?}");
        assert_says(&e, &["expected an initialisation range with finite low < high", shown]);
    }
    // Two bounds that differ in f64 but round to one f32: empty in the network's type.
    let init = Init::Uniform { low: 1.0, high: 1.0 + 1e-12 };
    init.check().unwrap();
    let e = err(Mlp::<f32>::new(&arch, &[Activation::Sigmoid], init, &mut rng));
    assert!(matches!(e, NetError::InvalidInit { .. }), "{e:?}");
}

#[test]
fn learning_rates_that_are_not_positive_and_finite() {
    let d = data(4, 2, 1);
    let original = net(&[2, 1]);
    let mut mlp = original.clone();
    let mut trainer = Trainer::new(&mlp, 4);
    let mut ws = Workspace::new(&mlp, 4);
    let mut g = Gradient::zeros(&mlp);
    mlp.gradient_into(&mut ws, d.inputs(), d.targets(), MSE, &mut g).unwrap();
    for (rate, shown) in [
        (0.0, "found 0"),
        (-1.0, "found -1"),
        (f64::NAN, "found NaN"),
        (f64::INFINITY, "found inf"),
        (f64::NEG_INFINITY, "found -inf"),
    ] {
        let check = |e: NetError| {
            assert!(
                matches!(e, NetError::InvalidRate { found } if found.to_bits() == rate.to_bits()),
                "{e:?}"
            );
            assert_says(&e, &["expected a learning rate that is a positive finite number", shown]);
        };
        check(err(train(&mut mlp, &d, &config(rate))));
        check(err(trainer.step(&mut mlp, d.inputs(), d.targets(), &config(rate))));
        check(err(mlp.descend(&g, rate)));
    }
    assert_eq!(mlp, original, "a refused rate changed the network");
    assert_eq!(trainer.steps(), 0);
}

#[test]
fn finite_difference_steps_that_are_not_positive_and_finite() {
    let d = data(4, 2, 1);
    let original = net(&[2, 1]);
    let mut mlp = original.clone();
    for (step, shown) in [
        (0.0, "found 0"),
        (-1e-6, "found -0.000001"),
        (f64::NAN, "found NaN"),
        (f64::INFINITY, "found inf"),
    ] {
        for difference in [Difference::Central, Difference::Forward] {
            let settings = FiniteDifference { step, difference };
            let check = |e: NetError| {
                assert!(matches!(e, NetError::InvalidStep { .. }), "{e:?}");
                assert_says(
                    &e,
                    &["expected a finite-difference step that is a positive finite number", shown],
                );
            };
            check(err(settings.check()));
            check(err(finite_difference_gradient(&mlp, &d, MSE, settings)));
            let (mut ws, mut g) = (Workspace::new(&mlp, 4), Gradient::zeros(&mlp));
            check(err(finite_difference_gradient_into(
                &mut mlp,
                &mut ws,
                d.inputs(),
                d.targets(),
                MSE,
                settings,
                &mut g,
            )));
            let config =
                TrainConfig { method: GradientMethod::FiniteDifference(settings), ..config(0.1) };
            check(err(train(&mut mlp, &d, &config)));
            check(err(Trainer::new(&mlp, 4).step(&mut mlp, d.inputs(), d.targets(), &config)));
        }
    }
    assert_eq!(mlp, original);
}

#[test]
fn a_workspace_built_for_another_architecture() {
    let mut mlp = net(&[2, 2, 1]);
    let other = net(&[2, 3, 1]);
    let (x, y) = (matrix(4, 2), matrix(4, 1));
    let check = |e: NetError| {
        assert!(
            matches!(&e, NetError::ShapeMismatch { what: "workspace", expected, found }
                if expected == "2-3-1" && found == "2-2-1"),
            "{e:?}"
        );
        assert_says(
            &e,
            &["the workspace was built for architecture 2-3-1", "the network is 2-2-1"],
        );
    };
    let mut ws = Workspace::new(&other, 4);
    let mut g = Gradient::zeros(&mlp);
    check(err(mlp.forward_into(&mut ws, &x)));
    check(err(mlp.gradient_into(&mut ws, &x, &y, MSE, &mut g)));
    check(err(finite_difference_gradient_into(
        &mut mlp,
        &mut ws,
        &x,
        &y,
        MSE,
        FiniteDifference::default(),
        &mut g,
    )));
    // A trainer built for another network carries that network's workspace.
    check(err(Trainer::new(&other, 4).step(&mut mlp, &x, &y, &config(0.1))));
    // Two layers of the same widths but one more of them.
    let e = err(mlp.forward_into(&mut Workspace::new(&net(&[2, 2, 1, 1]), 4), &x));
    assert!(matches!(e, NetError::ShapeMismatch { what: "workspace", .. }), "{e:?}");
}

#[test]
fn a_batch_larger_than_the_workspace() {
    let mut mlp = net(&[2, 2, 1]);
    let (x, y) = (matrix(5, 2), matrix(5, 1));
    let check = |e: NetError| {
        assert!(matches!(e, NetError::BatchTooLarge { capacity: 4, rows: 5 }), "{e:?}");
        assert_says(&e, &["the workspace holds 4 rows", "the batch has 5"]);
    };
    let mut ws = Workspace::new(&mlp, 4);
    let mut g = Gradient::zeros(&mlp);
    check(err(mlp.forward_into(&mut ws, &x)));
    check(err(mlp.gradient_into(&mut ws, &x, &y, MSE, &mut g)));
    check(err(finite_difference_gradient_into(
        &mut mlp,
        &mut ws,
        &x,
        &y,
        MSE,
        FiniteDifference::default(),
        &mut g,
    )));
    let mut trainer = Trainer::new(&mlp, 4);
    check(err(trainer.step(&mut mlp, &x, &y, &config(0.1))));
    check(err(trainer.cost(&mlp, &x, &y, MSE)));
    // A workspace of no rows holds no batch.
    let e = err(mlp.forward_into(&mut Workspace::new(&mlp, 0), &matrix(1, 2)));
    assert!(matches!(e, NetError::BatchTooLarge { capacity: 0, rows: 1 }), "{e:?}");
}

#[test]
fn a_gradient_of_another_architecture() {
    let mut mlp = net(&[2, 2, 1]);
    let original = mlp.clone();
    let (x, y) = (matrix(4, 2), matrix(4, 1));
    let mut ws = Workspace::new(&mlp, 4);
    for other in [&[2, 3, 1][..], &[2, 1], &[2, 2, 1, 1], &[3, 2, 1]] {
        let mut g = Gradient::zeros(&net(other));
        let other_name = Architecture::new(other.to_vec()).unwrap().to_string();
        let check = |e: NetError| {
            assert!(
                matches!(&e, NetError::ShapeMismatch { what: "gradient", expected, found }
                    if *expected == other_name && found == "2-2-1"),
                "{e:?}"
            );
            assert_says(
                &e,
                &[&format!("the gradient was built for architecture {other_name}"), "2-2-1"],
            );
        };
        check(err(mlp.descend(&g, 0.1)));
        check(err(mlp.gradient_into(&mut ws, &x, &y, MSE, &mut g)));
        check(err(finite_difference_gradient_into(
            &mut mlp,
            &mut ws,
            &x,
            &y,
            MSE,
            FiniteDifference::default(),
            &mut g,
        )));
    }
    assert_eq!(mlp, original);
}

#[test]
fn layers_with_bad_shapes_or_values() {
    // A bias of 3 for weights of 2 columns.
    let e = err(Layer::new(matrix(2, 2), Array1::zeros(3), Activation::Tanh));
    assert!(
        matches!(
            e,
            NetError::LayerShape {
                expected_rows: 2,
                expected_cols: 2,
                found_rows: 2,
                found_cols: 2,
                found_bias: 3,
                ..
            }
        ),
        "{e:?}"
    );
    assert_says(
        &e,
        &["expected weights of 2×2 and a bias of 2", "found weights of 2×2 and a bias of 3"],
    );

    // Weights with no rows or no columns.
    let e = err(Layer::new(matrix(0, 2), Array1::zeros(2), Activation::Tanh));
    assert!(matches!(e, NetError::LayerShape { found_rows: 0, .. }), "{e:?}");
    assert_says(&e, &["found weights of 0×2"]);
    let e = err(Layer::new(matrix(2, 0), Array1::zeros(0), Activation::Tanh));
    assert!(matches!(e, NetError::LayerShape { found_cols: 0, .. }), "{e:?}");
    assert_says(&e, &["found weights of 2×0"]);

    // NaN weights and an infinite bias.
    let mut w = matrix(2, 3);
    w[[1, 2]] = f64::NAN;
    let e = err(Layer::new(w, Array1::zeros(3), Activation::Tanh));
    assert!(
        matches!(&e, NetError::NonFinite { what, row: 1, column: 2, .. } if what == "weights"),
        "{e:?}"
    );
    assert_says(&e, &["expected finite numbers in the weights", "NaN at row 1, column 2"]);
    let e = err(Layer::new(matrix(2, 3), array![0.0, f64::NEG_INFINITY, 0.0], Activation::Tanh));
    assert!(matches!(&e, NetError::NonFinite { what, column: 1, .. } if what == "bias"), "{e:?}");
    assert_says(&e, &["expected finite numbers in the bias", "-inf"]);
}

#[test]
fn networks_from_no_layers_or_layers_that_do_not_chain() {
    let e = err(Mlp::<f64>::from_layers(vec![]));
    assert!(matches!(e, NetError::NoLayers), "{e:?}");
    assert_says(&e, &["at least one layer", "found none"]);

    // 2 → 3, then a layer taking 2 inputs instead of 3.
    let first = Layer::new(matrix(2, 3), Array1::zeros(3), Activation::Tanh).unwrap();
    let second = Layer::new(matrix(2, 1), Array1::zeros(1), Activation::Tanh).unwrap();
    let e = err(Mlp::from_layers(vec![first, second]));
    assert!(
        matches!(e, NetError::LayerShape { index: 1, expected_rows: 3, found_rows: 2, .. }),
        "{e:?}"
    );
    assert_says(&e, &["layer 1", "expected weights of 3×1", "found weights of 2×1"]);
}

#[test]
fn an_unknown_loss_name() {
    let e = "cross-entropyy".parse::<Loss>().unwrap_err();
    assert!(e.contains("cross-entropyy") && e.contains("expected one of mse, ce, bce"), "{e}");
    assert_eq!("MSE".parse::<Loss>(), Ok(Loss::MeanSquaredError));
}

#[test]
fn a_huge_rate_diverges_and_leaves_the_last_finite_parameters() {
    // One identity neuron, y = x·w + b, on y = x: a rate of 1e10 multiplies the error by
    // about 1e10 each step, so the squared error passes f64's 1.8e308 within a few dozen
    // epochs.
    let layer = Layer::new(array![[0.5]], array![0.0], Activation::Identity).unwrap();
    let mut mlp = Mlp::from_layers(vec![layer]).unwrap();
    let d = Dataset::new(array![[1.0], [2.0]], array![[1.0], [2.0]]).unwrap();
    let config = TrainConfig { rate: 1e10, epochs: 1000, ..TrainConfig::default() };

    let mut last_seen: Option<(usize, Mlp<f64>)> = None;
    let result = train_with(&mut mlp, &d, &config, |progress: &Progress<'_, f64>| {
        assert!(progress.cost.is_finite());
        last_seen = Some((progress.epoch, progress.mlp.clone()));
        ControlFlow::Continue(())
    });
    let e = err(result);
    let NetError::Diverged { epoch, what } = e else { panic!("expected Diverged, found {e:?}") };
    assert_says(
        &e,
        &[&format!("diverged at epoch {epoch}"), "not finite", "smaller learning rate"],
    );
    assert!((2..1000).contains(&epoch), "epoch {epoch}");
    assert!(what == "cost" || what == "gradient", "{what}");
    // The callback saw every epoch before the one that diverged, and the network left is the
    // one it saw last: after epoch − 1's step, before the diverging epoch's.
    let (seen_epoch, seen) = last_seen.expect("the callback never ran");
    assert_eq!(seen_epoch, epoch - 1);
    assert_eq!(mlp, seen);
    assert!(mlp.parameters().all(f64::is_finite));
}

#[test]
fn a_finite_cost_with_an_overflowing_gradient_diverges_at_the_first_step() {
    // 1-1-1, identity: hidden a = 1e100·1e200 = 1e300, output 1e300·1e-200 = 1e100, so the
    // cost (1e100 − 0)² = 1e200 is finite, but ∂C/∂w2 = 2(1e100)·1e300 overflows.
    let layers = vec![
        Layer::new(array![[1e200]], array![0.0], Activation::Identity).unwrap(),
        Layer::new(array![[1e-200]], array![0.0], Activation::Identity).unwrap(),
    ];
    let original = Mlp::from_layers(layers).unwrap();
    let d = Dataset::new(array![[1e100]], array![[0.0]]).unwrap();

    let mut mlp = original.clone();
    let e = err(train(&mut mlp, &d, &config(0.1)));
    assert!(matches!(e, NetError::Diverged { epoch: 0, what: "gradient" }), "{e:?}");
    assert_says(&e, &["diverged at epoch 0", "the gradient is not finite"]);
    assert_eq!(mlp, original);

    let mut trainer = Trainer::new(&mlp, 1);
    let e = err(trainer.step(&mut mlp, d.inputs(), d.targets(), &config(0.1)));
    assert!(matches!(e, NetError::Diverged { epoch: 0, what: "gradient" }), "{e:?}");
    assert_eq!(mlp, original);
    assert_eq!(trainer.steps(), 0);
}

#[test]
fn a_cost_that_overflows_after_the_last_step_is_divergence_too() {
    // The run above diverges at some epoch E. Asked for exactly E epochs, the last step
    // (epoch E − 1) still starts from a finite cost, but leaves a network whose cost is not
    // finite: that is the same divergence, found by the final evaluation, not a result.
    let fresh = || {
        let layer = Layer::new(array![[0.5]], array![0.0], Activation::Identity).unwrap();
        Mlp::from_layers(vec![layer]).unwrap()
    };
    let d = Dataset::new(array![[1.0], [2.0]], array![[1.0], [2.0]]).unwrap();
    let config = |epochs| TrainConfig { rate: 1e10, epochs, ..TrainConfig::default() };
    let NetError::Diverged { epoch: diverged_at, .. } = err(train(&mut fresh(), &d, &config(1000)))
    else {
        panic!("expected divergence")
    };

    let mut mlp = fresh();
    let mut last_seen = None;
    let result = train_with(&mut mlp, &d, &config(diverged_at), |progress: &Progress<'_, f64>| {
        last_seen = Some(progress.mlp.clone());
        ControlFlow::Continue(())
    });
    let e = err(result);
    assert!(
        matches!(e, NetError::Diverged { epoch, what: "cost" } if epoch == diverged_at),
        "{e:?}"
    );
    assert_eq!(Some(mlp), last_seen);
}

#[test]
fn a_step_that_would_overflow_a_parameter_is_refused_and_changes_nothing() {
    // 2-1 identity, w = b = 0, x = [1e100, 0], y = 1: a = 0, so the cost (0 − 1)² = 1 and
    // ∂C/∂w1 = 2(0 − 1)·1e100 = −2e100 are finite, but w1 − rate·g = 1e200·2e100 = 2e300…
    // overflows for rate 1e300: the step is refused and every parameter stays finite.
    let layer = Layer::new(array![[0.0], [0.0]], array![0.0], Activation::Identity).unwrap();
    let original = Mlp::from_layers(vec![layer]).unwrap();
    let d = Dataset::new(array![[1e100, 0.0]], array![[1.0]]).unwrap();
    let mut mlp = original.clone();
    let e = err(train(&mut mlp, &d, &config(1e300)));
    assert!(matches!(e, NetError::Diverged { epoch: 0, what: "parameter update" }), "{e:?}");
    assert_says(&e, &["diverged at epoch 0", "parameter update is not finite"]);
    assert_eq!(mlp, original);
    assert!(mlp.parameters().all(f64::is_finite));
}
