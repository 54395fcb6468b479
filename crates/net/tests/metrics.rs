//! Evaluation: the cost agrees with `Mlp::cost`, accuracy counts classes, and the result
//! does not depend on the number of threads.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use ndarray::Array2;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{Activation, Dataset, Init, Loss, Mlp, confusion_matrix, evaluate};

/// 3000 rows (three evaluation chunks, the last one short) of 5 inputs and 3 one-hot classes.
fn classes() -> (Mlp<f64>, Dataset<f64>) {
    let mut rng = StdRng::seed_from_u64(11);
    let arch = "5-7-3".parse().unwrap();
    let net = Mlp::new(&arch, &[Activation::Tanh, Activation::Sigmoid], Init::default(), &mut rng)
        .unwrap();
    let x = Array2::from_shape_fn((3000, 5), |_| rng.random::<f64>() - 0.5);
    let y = Array2::from_shape_fn((3000, 3), |(i, j)| f64::from(u8::from(i % 3 == j)));
    (net, Dataset::new(x, y).unwrap())
}

#[test]
fn cost_matches_the_whole_batch_cost_and_accuracy_counts_argmax() {
    let (net, data) = classes();
    let metrics = evaluate(&net, &data, Loss::MeanSquaredError).unwrap();
    let whole = net.cost(&data, Loss::MeanSquaredError).unwrap();
    assert!((metrics.cost - whole).abs() < 1e-12 * whole.abs().max(1.0));
    assert_eq!(metrics.samples, 3000);

    let outputs = net.predict(data.inputs()).unwrap();
    let correct = outputs
        .rows()
        .into_iter()
        .zip(data.targets().rows())
        .filter(|(a, y)| {
            nn_net::predicted_class(a.view()) == nn_net::target_class(y.view()).unwrap()
        })
        .count();
    assert_eq!(metrics.accuracy, Some(correct as f64 / 3000.0));
    let matrix = confusion_matrix(&net, &data).unwrap();
    assert_eq!((matrix.total(), matrix.correct()), (3000, correct as u64));
}

#[test]
fn the_same_bits_on_any_number_of_threads() {
    let (net, data) = classes();
    let on = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| evaluate(&net, &data, Loss::MeanSquaredError).unwrap())
    };
    let one = on(1);
    for threads in [2, 3, 4] {
        assert_eq!(on(threads).cost.to_bits(), one.cost.to_bits(), "{threads} threads");
    }
}

#[test]
fn regression_targets_have_no_accuracy_and_bad_widths_are_refused() {
    let (net, _) = classes();
    let data = Dataset::new(Array2::zeros((4, 5)), Array2::from_elem((4, 3), 0.25)).unwrap();
    assert_eq!(evaluate(&net, &data, Loss::MeanSquaredError).unwrap().accuracy, None);
    let wide = Dataset::new(Array2::<f64>::zeros((4, 6)), Array2::zeros((4, 3))).unwrap();
    let error = evaluate(&net, &wide, Loss::MeanSquaredError).unwrap_err();
    assert!(error.to_string().contains("expected inputs with 5 columns"), "{error}");
}
