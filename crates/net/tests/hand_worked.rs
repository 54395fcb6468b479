//! Costs, gradients, a descent step and training steps checked against numbers worked by hand,
//! with the arithmetic in the comments.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use approx::assert_relative_eq;
use ndarray::{Array1, Array2, array};
use nn_net::{
    Activation, Dataset, FiniteDifference, Gradient, Layer, Loss, Mlp, TrainConfig, Trainer,
    Workspace, finite_difference_gradient, train,
};

const MSE: Loss = Loss::MeanSquaredError;

/// A network of one layer with the given weights, bias and activation.
fn one_layer(w: Array2<f64>, b: Array1<f64>, activation: Activation) -> Mlp<f64> {
    Mlp::from_layers(vec![Layer::new(w, b, activation).unwrap()]).unwrap()
}

/// The cost of `data` and its gradient by back-propagation.
fn back_propagation(mlp: &Mlp<f64>, data: &Dataset<f64>) -> (f64, Gradient<f64>) {
    let mut workspace = Workspace::new(mlp, data.len());
    let mut gradient = Gradient::zeros(mlp);
    let cost = mlp
        .gradient_into(&mut workspace, data.inputs(), data.targets(), MSE, &mut gradient)
        .unwrap();
    (cost, gradient)
}

/// `y = x·w + b` with `w = 1.5`, `b = 0`, fitted to `y = 2x` at `x = 1, 2, 3`.
fn twice() -> (Mlp<f64>, Dataset<f64>) {
    let mlp = one_layer(array![[1.5]], array![0.0], Activation::Identity);
    let data = Dataset::new(array![[1.0], [2.0], [3.0]], array![[2.0], [4.0], [6.0]]).unwrap();
    (mlp, data)
}

#[test]
fn twice_by_back_propagation() {
    let (mlp, data) = twice();
    let (cost, g) = back_propagation(&mlp, &data);
    // a − y = 1.5x − 2x = −0.5x, so C = (1/3) Σ (−0.5x)² = (1/3)·0.25·(1 + 4 + 9) = 14/12 = 7/6
    assert_relative_eq!(cost, 7.0 / 6.0, max_relative = 1e-15);
    // ∂C/∂w = (1/n) Σ 2(x·w − y)·x = (1/3) Σ 2(−0.5x)·x = (1/3)·(−1)·(1 + 4 + 9) = −14/3
    assert_relative_eq!(g.layers()[0].w()[[0, 0]], -14.0 / 3.0, max_relative = 1e-15);
    // ∂C/∂b = (1/n) Σ 2(x·w − y)·1 = (1/3) Σ 2(−0.5x) = (1/3)·(−1)·(1 + 2 + 3) = −2
    assert_relative_eq!(g.layers()[0].b()[0], -2.0, max_relative = 1e-15);
}

#[test]
fn twice_by_finite_differences() {
    let (mlp, data) = twice();
    // C is a quadratic in w and in b, so the central quotient has no truncation error: only
    // the rounding of C, about ε_mach·C/h = 2.2e-16·1.17/6.1e-6 ≈ 4e-11.
    let g = finite_difference_gradient(&mlp, &data, MSE, FiniteDifference::default()).unwrap();
    assert_relative_eq!(g.layers()[0].w()[[0, 0]], -14.0 / 3.0, epsilon = 1e-9);
    assert_relative_eq!(g.layers()[0].b()[0], -2.0, epsilon = 1e-9);

    // The forward quotient of a quadratic is exact plus half the step times the curvature:
    // (C(w + h) − C(w)) / h = C'(w) + (h/2)·C''(w).
    // C''(w) = (1/3) Σ 2x² = (2/3)·14 = 28/3, so with h = 0.1: −14/3 + 0.05·28/3 = −12.6/3 = −4.2
    // C''(b) = (1/3) Σ 2 = 2, so with h = 0.1: −2 + 0.05·2 = −1.9
    let g = finite_difference_gradient(&mlp, &data, MSE, FiniteDifference::forward(0.1)).unwrap();
    assert_relative_eq!(g.layers()[0].w()[[0, 0]], -4.2, max_relative = 1e-12);
    assert_relative_eq!(g.layers()[0].b()[0], -1.9, max_relative = 1e-12);
}

/// The NAND truth table: `y = 0` only for `x = (1, 1)`.
fn nand() -> Dataset<f64> {
    Dataset::new(
        array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
        array![[1.0], [1.0], [1.0], [0.0]],
    )
    .unwrap()
}

/// A 2-1 sigmoid neuron at a point chosen so that every `σ(z)` is a simple fraction:
/// `w1 = −ln 3`, `w2 = −2 ln 3`, `b = ln 3`, and `σ(k·ln 3) = 1 / (1 + 3^(−k))`.
fn nand_neuron() -> Mlp<f64> {
    let ln3 = 3.0_f64.ln();
    one_layer(array![[-ln3], [-2.0 * ln3]], array![ln3], Activation::Sigmoid)
}

#[test]
fn nand_neuron_by_back_propagation() {
    // Row by row, z = w1·x1 + w2·x2 + b, a = σ(z), δ = 2(a − y)·a(1 − a):
    //
    //   x1 x2  y   z        a = σ(z)            a(1 − a)   δ
    //   0  0   1   ln 3     1/(1 + 1/3) = 3/4   3/16       2·(−1/4)·(3/16)  = −3/32
    //   0  1   1   −ln 3    1/(1 + 3)   = 1/4   3/16       2·(−3/4)·(3/16)  = −9/32
    //   1  0   1   0        1/2                 1/4        2·(−1/2)·(1/4)   = −1/4
    //   1  1   0   −2 ln 3  1/(1 + 9)   = 1/10  9/100      2·(1/10)·(9/100) = 9/500
    //
    // C = (1/4) Σ (a − y)² = (1/4)(1/16 + 9/16 + 1/4 + 1/100) = (1/4)·0.885 = 0.22125
    // ∂C/∂w1 = (1/4) Σ δ·x1 = (1/4)(−1/4 + 9/500) = (1/4)(−116/500) = −29/500 = −0.058
    // ∂C/∂w2 = (1/4) Σ δ·x2 = (1/4)(−9/32 + 9/500) = (1/4)(−2106/8000) = −1053/16000 = −0.0658125
    // ∂C/∂b  = (1/4) Σ δ    = (1/4)(−3/32 − 9/32 − 8/32 + 9/500) = (1/4)(−5/8 + 9/500)
    //                       = (1/4)(−607/1000) = −607/4000 = −0.15175
    //
    // (Checked in exact fractions with Python's `fractions` module.) ln 3 is rounded to f64,
    // so the σ values are off by a few ulps: 1e-12 is far more than enough.
    let (cost, g) = back_propagation(&nand_neuron(), &nand());
    assert_relative_eq!(cost, 0.22125, max_relative = 1e-12);
    let g = &g.layers()[0];
    assert_relative_eq!(g.w()[[0, 0]], -29.0 / 500.0, max_relative = 1e-12);
    assert_relative_eq!(g.w()[[1, 0]], -1053.0 / 16000.0, max_relative = 1e-12);
    assert_relative_eq!(g.b()[0], -607.0 / 4000.0, max_relative = 1e-12);

    // The same numbers by central differences, to the quotient's accuracy.
    let fd = finite_difference_gradient(&nand_neuron(), &nand(), MSE, FiniteDifference::default())
        .unwrap();
    let fd = &fd.layers()[0];
    assert_relative_eq!(fd.w()[[0, 0]], -29.0 / 500.0, max_relative = 1e-8);
    assert_relative_eq!(fd.w()[[1, 0]], -1053.0 / 16000.0, max_relative = 1e-8);
    assert_relative_eq!(fd.b()[0], -607.0 / 4000.0, max_relative = 1e-8);
}

#[test]
fn one_descent_step_moves_each_parameter_by_minus_rate_times_its_gradient() {
    let mut mlp = nand_neuron();
    let (_, g) = back_propagation(&mlp, &nand());
    let before: Vec<f64> = mlp.parameters().collect();
    let rate = 2.0;
    mlp.descend(&g, rate).unwrap();
    // θ' = θ − rate·g, entry by entry, in the order of `parameters` and `Gradient::iter`. One
    // multiplication and one subtraction each, so the result is exact to the bit.
    let after: Vec<f64> = mlp.parameters().collect();
    let expected: Vec<f64> = before.iter().zip(g.iter()).map(|(t, g)| t - rate * g).collect();
    assert_eq!(after, expected);

    // By hand, with rate 2 and the gradient worked out above:
    // w1' = −ln 3 − 2·(−0.058) = −ln 3 + 0.116
    // w2' = −2 ln 3 − 2·(−0.0658125) = −2 ln 3 + 0.131625
    // b'  = ln 3 − 2·(−0.15175) = ln 3 + 0.3035
    let ln3 = 3.0_f64.ln();
    let layer = &mlp.layers()[0];
    assert_relative_eq!(layer.w()[[0, 0]], -ln3 + 0.116, max_relative = 1e-12);
    assert_relative_eq!(layer.w()[[1, 0]], -2.0 * ln3 + 0.131625, max_relative = 1e-12);
    assert_relative_eq!(layer.b()[0], ln3 + 0.3035, max_relative = 1e-12);

    // The "twice" network: w' = 1.5 − 0.03·(−14/3) = 1.5 + 0.14 = 1.64, b' = 0 − 0.03·(−2) = 0.06
    let (mut mlp, data) = twice();
    let (_, g) = back_propagation(&mlp, &data);
    mlp.descend(&g, 0.03).unwrap();
    assert_relative_eq!(mlp.layers()[0].w()[[0, 0]], 1.64, max_relative = 1e-12);
    assert_relative_eq!(mlp.layers()[0].b()[0], 0.06, max_relative = 1e-12);
}

#[test]
fn a_trainer_step_returns_the_cost_before_the_step_and_the_cost_falls_on_nand() {
    let data = nand();
    let (x, y) = (data.inputs(), data.targets());
    let mut mlp = nand_neuron();
    let config = TrainConfig { rate: 1.0, ..TrainConfig::default() };
    let mut trainer = Trainer::new(&mlp, data.len());

    // The first step returns C at the starting point, 0.22125 as worked out above, and
    // takes the step θ − 1·g with the gradient worked out above.
    let (_, g) = back_propagation(&mlp, &data);
    let mut expected = mlp.clone();
    expected.descend(&g, 1.0).unwrap();
    let first = trainer.step(&mut mlp, x, y, &config).unwrap();
    assert_relative_eq!(first, 0.22125, max_relative = 1e-12);
    assert_eq!(trainer.gradient(), &g);
    assert_eq!(mlp, expected);
    assert_eq!(trainer.steps(), 1);

    // Every later step returns the cost of the network as it was before that step, and the
    // cost falls at every step.
    let mut previous = first;
    for step in 1..1000 {
        let before = mlp.cost(&data, MSE).unwrap();
        let cost = trainer.step(&mut mlp, x, y, &config).unwrap();
        assert_relative_eq!(cost, before, max_relative = 1e-14);
        assert!(cost < previous, "step {step}: the cost rose from {previous} to {cost}");
        previous = cost;
    }
    assert_eq!(trainer.steps(), 1000);
    let last = mlp.cost(&data, MSE).unwrap();
    assert!(last < previous && last < first / 10.0, "{first} → {last}");
}

#[test]
fn train_records_the_cost_before_each_epoch_and_the_cost_after_the_last() {
    let data = nand();
    let config = TrainConfig { rate: 1.0, epochs: 50, ..TrainConfig::default() };

    // The same 50 steps taken by hand with a trainer.
    let mut by_hand = nand_neuron();
    let mut trainer = Trainer::new(&by_hand, data.len());
    let costs: Vec<f64> = (0..50)
        .map(|_| trainer.step(&mut by_hand, data.inputs(), data.targets(), &config).unwrap())
        .collect();

    let mut mlp = nand_neuron();
    let history = train(&mut mlp, &data, &config).unwrap();
    assert_eq!(history.costs(), costs);
    assert_relative_eq!(history.costs()[0], 0.22125, max_relative = 1e-12);
    assert_eq!(mlp, by_hand);
    assert_eq!(history.final_cost, mlp.cost(&data, MSE).unwrap());
    assert!(history.costs().windows(2).all(|c| c[1] < c[0]));
    assert!(history.final_cost < history.costs()[49]);
    assert!(!history.stopped_early);
}

/// The cost and gradient of `data` under `loss`, by back-propagation.
fn back_propagation_with(mlp: &Mlp<f64>, data: &Dataset<f64>, loss: Loss) -> (f64, Gradient<f64>) {
    let mut workspace = Workspace::new(mlp, data.len());
    let mut gradient = Gradient::zeros(mlp);
    let cost = mlp
        .gradient_into(&mut workspace, data.inputs(), data.targets(), loss, &mut gradient)
        .unwrap();
    (cost, gradient)
}

#[test]
fn softmax_cross_entropy_of_one_layer_by_hand() {
    // One input x = 1, three classes, W = [0, ln 3, ln 4], b = 0: z = [0, ln 3, ln 4],
    // a = [1, 3, 4] / 8. Two samples, x = 1 (class 1) and x = 0 (class 0, z = 0, a = 1/3):
    // C = (1/2)·(ln 8 − ln 3 + ln 3) = (1/2)·ln 8,
    // Δ = a − y: [1/8, −5/8, 1/2] and [−2/3, 1/3, 1/3];
    // ∂C/∂W = (1/2)·xᵀΔ = (1/2)·[1/8, −5/8, 1/2] (the second sample has x = 0);
    // ∂C/∂b = (1/2)·Σ_rows Δ = (1/2)·[1/8 − 2/3, −5/8 + 1/3, 1/2 + 1/3].
    let w = array![[0.0, 3.0_f64.ln(), 4.0_f64.ln()]];
    let mlp = one_layer(w, Array1::zeros(3), Activation::Softmax);
    let data =
        Dataset::new(array![[1.0], [0.0]], array![[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]).unwrap();
    let (cost, g) = back_propagation_with(&mlp, &data, Loss::CrossEntropy);
    assert_relative_eq!(cost, 0.5 * 8.0_f64.ln(), max_relative = 1e-15);
    let gw = array![[0.0625, -0.3125, 0.25]];
    assert_relative_eq!(g.layers()[0].w(), gw.view(), max_relative = 1e-14);
    let gb = array![1.0 / 8.0 - 2.0 / 3.0, -5.0 / 8.0 + 1.0 / 3.0, 0.5 + 1.0 / 3.0] * 0.5;
    assert_relative_eq!(g.layers()[0].b(), gb.view(), max_relative = 1e-14);
    assert_relative_eq!(mlp.cost(&data, Loss::CrossEntropy).unwrap(), cost, max_relative = 1e-15);
}

#[test]
fn sigmoid_binary_cross_entropy_of_one_layer_by_hand() {
    // One input x = 1, two outputs, W = [0, ln 3], b = 0: z = [0, ln 3], a = [1/2, 3/4].
    // Target [1, 0]: C = −ln(1/2) − ln(1/4) = ln 8; Δ = a − y = [−1/2, 3/4] = ∂C/∂W = ∂C/∂b.
    let mlp = one_layer(array![[0.0, 3.0_f64.ln()]], Array1::zeros(2), Activation::Sigmoid);
    let data = Dataset::new(array![[1.0]], array![[1.0, 0.0]]).unwrap();
    let (cost, g) = back_propagation_with(&mlp, &data, Loss::BinaryCrossEntropy);
    assert_relative_eq!(cost, 8.0_f64.ln(), max_relative = 1e-15);
    assert_relative_eq!(g.layers()[0].w(), array![[-0.5, 0.75]].view(), max_relative = 1e-15);
    assert_relative_eq!(g.layers()[0].b(), array![-0.5, 0.75].view(), max_relative = 1e-15);
}

/// A one-layer network whose logits are ±1000 on one input, confidently wrong: the outputs
/// round to exactly 0 and 1, and the cost, read from the logits, stays finite and exact,
/// with the gradient a − y.
fn confident_and_wrong<F>()
where
    F: ndarray::NdFloat + nn_net::rand::distr::uniform::SampleUniform,
{
    let of = |v: f64| F::from(v).unwrap();
    // z = x·W with x = 1 and W = [1000, −1000]: softmax a = [1, 0] (e^−2000 underflows),
    // sigmoid a = [1, 0]. Targets [0, 1], the other way round.
    let w = array![[of(1000.0), of(-1000.0)]];
    let x = array![[of(1.0)]];
    let y = array![[of(0.0), of(1.0)]];
    let data = Dataset::new(x, y).unwrap();
    for (activation, loss, expected) in [
        // lse(z) = 1000 + ln(1 + e^−2000) = 1000, loss = lse − z_1 = 2000.
        (Activation::Softmax, Loss::CrossEntropy, 2000.0),
        // softplus form: (1000 − 0 + 0) + (0 + 1000 + 0) = 2000.
        (Activation::Sigmoid, Loss::BinaryCrossEntropy, 2000.0),
    ] {
        let layer = Layer::new(w.clone(), Array1::zeros(2), activation).unwrap();
        let mlp = Mlp::from_layers(vec![layer]).unwrap();
        assert_eq!(mlp.predict(data.inputs()).unwrap(), array![[of(1.0), of(0.0)]]);
        let mut workspace = Workspace::new(&mlp, 1);
        let mut gradient = Gradient::zeros(&mlp);
        let cost = mlp
            .gradient_into(&mut workspace, data.inputs(), data.targets(), loss, &mut gradient)
            .unwrap();
        assert!(cost.is_finite(), "{loss}: {cost}");
        assert_eq!(cost, of(expected), "{loss}");
        assert_eq!(mlp.cost(&data, loss).unwrap(), of(expected), "{loss}");
        // Δ = a − y = [1, −1], and x = 1, so ∂C/∂W = ∂C/∂b = [1, −1].
        assert_eq!(gradient.layers()[0].w(), array![[of(1.0), of(-1.0)]]);
        assert_eq!(gradient.layers()[0].b(), array![of(1.0), of(-1.0)]);
    }
}

#[test]
fn confident_and_wrong_is_finite_in_f32() {
    confident_and_wrong::<f32>();
}

#[test]
fn confident_and_wrong_is_finite_in_f64() {
    confident_and_wrong::<f64>();
}
