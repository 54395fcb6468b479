//! Back-propagation equals a central finite difference, in f64, across seeded random
//! architectures, batches, every loss with every output activation it works with, and every
//! hidden activation (uniform and mixed per layer); a loss paired with an output it does
//! not work with is refused by every entry point.
//!
//! # The comparison
//!
//! For the back-propagated gradient `g_bp` and the finite-difference one `g_fd`, both
//! flattened in [`Mlp::parameters`] order, two conditions must hold ([`compare`]):
//!
//! - over the whole gradient, `‖g_bp − g_fd‖₂ / max(‖g_bp‖₂, ‖g_fd‖₂, TINY) < 1e-6`: an error
//!   relative to the size of the gradient, not to each entry, so one small entry does not
//!   dominate and one wrong entry among many large ones is still seen;
//! - entry by entry, `|a − b| ≤ 1e-6·max(|a|, |b|) + floor`, so a single wrong entry cannot
//!   hide in the norm of a long gradient. The absolute `floor` is needed because the central
//!   quotient `(C(θ+h) − C(θ−h)) / 2h` carries a rounding error of about `ε_mach·|C| / h`
//!   (`2.2e-16 / 6.1e-6 ≈ 3.7e-11` times the cost at the default step), whatever the size of
//!   the entry: an entry of `1e-10` cannot be checked to six digits. `floor = 1e-8·max(1, C)`
//!   is about 270 times that rounding error and far below any entry that matters.
//!
//! # Kinks
//!
//! ReLU and leaky ReLU have a kink at `z = 0`. When moving one parameter by `±h` carries a
//! pre-activation across 0, the cost is not smooth on `[θ − h, θ + h]` and the *difference
//! quotient* is wrong (it averages two slopes); back-propagation is not. Such cases are
//! found, not guessed: [`kink_within_reach`] bounds how far any single parameter moved by `h`
//! can move each layer's pre-activations (a rigorous bound, see [`reach`]), recomputes the
//! pre-activations from the layers' public `w()` and `b()`, and reports a case in which a
//! kinked layer has a pre-activation within twice that reach of 0. Such a case is redrawn
//! with the next seed; the redraws are counted and must stay a small fraction.
//! [`a_difference_across_a_relu_kink_is_wrong_and_the_guard_sees_it`] shows that the guard is
//! needed and works.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use ndarray::{Array2, Axis};
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    Activation, Architecture, BatchGradient, Chunking, Dataset, Difference, FiniteDifference,
    Gradient, GradientMethod, Init, Layer, Loss, Mlp, NetError, TrainConfig, Trainer, Workspace,
    finite_difference_gradient, finite_difference_gradient_into, train,
};

/// The initialisation of every random network here: weights and biases of both signs, so
/// ReLU units are neither all alive nor all dead.
const INIT: Init = Init::Uniform { low: -1.0, high: 1.0 };

/// The largest relative error allowed, over the whole gradient and per entry.
const TOLERANCE: f64 = 1e-6;

/// Avoids `0 / 0` when both gradients are exactly zero (a network whose ReLU output is dead
/// on every sample): the relative error is then `0 / TINY = 0`.
const TINY: f64 = f64::MIN_POSITIVE;

/// How many random architectures each test draws.
const ARCHITECTURES: u64 = 24;

/// How many mixed per-layer activation lists are drawn for each architecture.
const MIXED_PER_ARCHITECTURE: u64 = 3;

/// Every (loss, output activation) pair that works, in a fixed order.
fn valid_pairs() -> Vec<(Loss, Activation)> {
    Loss::ALL
        .iter()
        .flat_map(|&loss| Activation::ALL.iter().map(move |&output| (loss, output)))
        .filter(|&(loss, output)| loss.check_output(output).is_ok())
        .collect()
}

/// The result of [`compare`]: the relative error over the whole gradient and the worst
/// entry, as a multiple of what the entry was allowed.
#[derive(Debug)]
struct Comparison {
    relative: f64,
    worst_entry_ratio: f64,
    /// `‖g_bp‖₂`, to count the cases with nothing to compare (an all-zero gradient).
    bp_norm: f64,
}

/// Compares a back-propagated gradient with a finite-difference one, as the module docs
/// define: `Ok` with the errors if both conditions hold, `Err` with a message naming the
/// first failure otherwise.
fn compare(bp: &[f64], fd: &[f64], cost: f64) -> Result<Comparison, String> {
    assert_eq!(bp.len(), fd.len(), "gradients of different lengths");
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff: Vec<f64> = bp.iter().zip(fd).map(|(a, b)| a - b).collect();
    let relative = norm(&diff) / norm(bp).max(norm(fd)).max(TINY);
    if relative.is_nan() || relative >= TOLERANCE {
        return Err(format!(
            "relative error {relative:e} ≥ {TOLERANCE:e}: ‖bp‖ = {:e}, ‖fd‖ = {:e}",
            norm(bp),
            norm(fd)
        ));
    }
    let floor = 1e-8 * cost.abs().max(1.0);
    let mut worst_entry_ratio = 0.0_f64;
    for (i, (&a, &b)) in bp.iter().zip(fd).enumerate() {
        let allowed = TOLERANCE * a.abs().max(b.abs()) + floor;
        let ratio = (a - b).abs() / allowed;
        if ratio.is_nan() || ratio > 1.0 {
            return Err(format!("entry {i}: back-propagation {a:e}, finite difference {b:e}"));
        }
        worst_entry_ratio = worst_entry_ratio.max(ratio);
    }
    Ok(Comparison { relative, worst_entry_ratio, bp_norm: norm(bp) })
}

/// A network, a batch to check it on, and the loss whose gradient is checked.
struct Case {
    mlp: Mlp<f64>,
    data: Dataset<f64>,
    loss: Loss,
}

/// 1 to 4 layers, every size (inputs included) 1 to 8.
fn random_architecture(rng: &mut StdRng) -> Architecture {
    let layers = rng.random_range(1..=4);
    let sizes: Vec<usize> = (0..=layers).map(|_| rng.random_range(1..=8)).collect();
    Architecture::new(sizes).unwrap()
}

/// A network of `arch` with `activations`, and 1 to 10 samples of inputs uniform in
/// `[−1, 1)` and targets of the kind `loss` is for, all drawn from `seed`: for the squared
/// error uniform in `[−1, 1)`, for cross-entropy a probability row (positive, summing to 1),
/// for binary cross-entropy uniform in `[0, 1)`.
fn random_case(arch: &Architecture, activations: &[Activation], loss: Loss, seed: u64) -> Case {
    let mut rng = StdRng::seed_from_u64(seed);
    let mlp = Mlp::new(arch, activations, INIT, &mut rng).unwrap();
    let n = rng.random_range(1..=10);
    let x = Array2::from_shape_fn((n, arch.inputs()), |_| rng.random_range(-1.0..1.0));
    let y = match loss {
        Loss::CrossEntropy => {
            let mut y = Array2::from_shape_fn((n, arch.outputs()), |_| rng.random_range(0.01..1.0));
            for mut row in y.rows_mut() {
                let sum = row.sum();
                row /= sum;
            }
            y
        }
        Loss::BinaryCrossEntropy => {
            Array2::from_shape_fn((n, arch.outputs()), |_| rng.random_range(0.0..1.0))
        }
        _ => Array2::from_shape_fn((n, arch.outputs()), |_| rng.random_range(-1.0..1.0)),
    };
    Case { mlp, data: Dataset::new(x, y).unwrap(), loss }
}

/// Every layer's pre-activations `Z_l = A_{l−1}·W_l + 1·b_lᵀ` and activations `A_l`, by a
/// plain forward pass over the layers' public parameters (independent of the library's
/// in-place forward pass, which does not keep `Z`). Softmax is the textbook
/// `e^(z_j) / Σ_k e^(z_k)`, unshifted: the pre-activations here are small.
fn reference_forward(mlp: &Mlp<f64>, x: &Array2<f64>) -> Vec<(Array2<f64>, Array2<f64>)> {
    let mut out: Vec<(Array2<f64>, Array2<f64>)> = Vec::new();
    for layer in mlp.layers() {
        let a_prev = out.last().map_or(x, |(_, a)| a);
        let z = a_prev.dot(&layer.w()) + layer.b().insert_axis(Axis(0));
        let a = match layer.activation() {
            Activation::Softmax => {
                let e = z.mapv(f64::exp);
                &e / &e.sum_axis(Axis(1)).insert_axis(Axis(1))
            }
            f => z.mapv(|v| f.value(v)),
        };
        out.push((z, a));
    }
    out
}

/// `max |v|` over a matrix.
fn max_abs(m: &Array2<f64>) -> f64 {
    m.iter().fold(0.0, |acc, v| acc.max(v.abs()))
}

/// For each layer `l`, a bound `r_l` on how far moving any *one* parameter by `±h` can move
/// any of the layer's pre-activations.
///
/// Moving a parameter of layer `k` by `h` moves `Z_k` by at most `h·max(1, ‖A_{k−1}‖_∞)` (a
/// weight multiplies one input, a bias adds directly). Every hidden activation is
/// 1-Lipschitz (the output layer's, softmax included, feeds no other layer), so `A_k` moves
/// no further than `Z_k`, and then `Z_m = A_{m−1}·W_m + b_m` moves by at most
/// `c_m` times as far, with `c_m = max_j Σ_i |W_m[i, j]|`. So
/// `r_0 = h·max(1, ‖X‖_∞)` and `r_l = max(c_l·r_{l−1}, h·max(1, ‖A_{l−1}‖_∞))`.
fn reach(
    mlp: &Mlp<f64>,
    x: &Array2<f64>,
    forward: &[(Array2<f64>, Array2<f64>)],
    h: f64,
) -> Vec<f64> {
    let mut r = Vec::with_capacity(mlp.layers().len());
    for (l, layer) in mlp.layers().iter().enumerate() {
        let a_prev = if l == 0 { x } else { &forward[l - 1].1 };
        let own = h * max_abs(a_prev).max(1.0);
        let carried = match r.last() {
            None => 0.0,
            Some(&r_prev) => {
                let c = layer
                    .w()
                    .axis_iter(Axis(1))
                    .map(|col| col.iter().map(|w| w.abs()).sum::<f64>())
                    .fold(0.0, f64::max);
                c * r_prev
            }
        };
        r.push(own.max(carried));
    }
    r
}

/// Whether a step of `h` on some parameter could carry a pre-activation of a ReLU or leaky
/// ReLU layer across its kink: some `|z| ≤ 2·r_l` (the factor 2 is spare room for rounding).
fn kink_within_reach(case: &Case, h: f64) -> bool {
    let x = case.data.inputs();
    let forward = reference_forward(&case.mlp, x);
    let r = reach(&case.mlp, x, &forward, h);
    case.mlp.layers().iter().zip(&forward).zip(&r).any(|((layer, (z, _)), &r)| {
        matches!(layer.activation(), Activation::Relu | Activation::LeakyRelu)
            && z.iter().any(|v| v.abs() <= 2.0 * r)
    })
}

/// The gradient by back-propagation, with its cost, through a workspace with a few spare
/// rows (so the top-rows path of a short batch is exercised). Computed twice into the same
/// buffers: the second must equal the first bit for bit (the gradient is overwritten, not
/// added to).
fn back_propagation(case: &Case, spare_rows: usize) -> (Gradient<f64>, f64) {
    let (mlp, data) = (&case.mlp, &case.data);
    let mut workspace = Workspace::new(mlp, data.len() + spare_rows);
    let mut gradient = Gradient::zeros(mlp);
    let loss = case.loss;
    let cost =
        mlp.gradient_into(&mut workspace, data.inputs(), data.targets(), loss, &mut gradient);
    let cost = cost.unwrap();
    let first = gradient.clone();
    let again =
        mlp.gradient_into(&mut workspace, data.inputs(), data.targets(), loss, &mut gradient);
    assert_eq!(again.unwrap().to_bits(), cost.to_bits());
    assert_eq!(gradient, first, "a second back-propagation into the same buffers differs");
    (gradient, cost)
}

/// Checks one case: the reference forward pass agrees with the library's, the costs agree,
/// and the gradients pass [`compare`].
fn check_case(case: &Case, spare_rows: usize) -> Result<Comparison, String> {
    let (mlp, data) = (&case.mlp, &case.data);
    let forward = reference_forward(mlp, data.inputs());
    let predicted = mlp.predict(data.inputs()).unwrap();
    approx::assert_relative_eq!(
        predicted,
        forward.last().unwrap().1,
        max_relative = 1e-12,
        epsilon = 1e-14
    );

    let (bp, cost) = back_propagation(case, spare_rows);
    approx::assert_relative_eq!(cost, mlp.cost(data, case.loss).unwrap(), max_relative = 1e-14);
    approx::assert_relative_eq!(
        cost,
        reference_cost(case, &forward.last().unwrap().1),
        max_relative = 1e-12,
        epsilon = 1e-14
    );
    let fd = finite_difference_gradient(mlp, data, case.loss, FiniteDifference::default()).unwrap();
    assert_eq!(bp.len(), mlp.parameter_count());
    let bp: Vec<f64> = bp.iter().collect();
    let fd: Vec<f64> = fd.iter().collect();
    compare(&bp, &fd, cost)
}

/// The cost by its textbook formula from the reference outputs `a`, logarithms taken
/// plainly (the outputs here are far from 0 and 1).
fn reference_cost(case: &Case, a: &Array2<f64>) -> f64 {
    let y = case.data.targets();
    let per_entry: Array2<f64> = match case.loss {
        Loss::MeanSquaredError => (a - y).mapv(|d| d * d),
        Loss::CrossEntropy => -(y * &a.mapv(f64::ln)),
        Loss::BinaryCrossEntropy => {
            -(y * &a.mapv(f64::ln) + &y.mapv(|y| 1.0 - y) * &a.mapv(|a| (1.0 - a).ln()))
        }
        other => panic!("no reference cost for {other}"),
    };
    per_entry.sum() / y.nrows() as f64
}

/// Tallies of a run over many cases.
#[derive(Debug, Default)]
struct Tally {
    cases: usize,
    redrawn: usize,
    zero_gradient: usize,
    worst_relative: f64,
    worst_entry_ratio: f64,
}

/// Draws a case for `arch`, `activations` and `loss` from `seed`, redrawing with the next
/// seed while a kink lies within reach, and checks it.
fn check_with_redraws(
    arch: &Architecture,
    activations: &[Activation],
    loss: Loss,
    seed: u64,
    tally: &mut Tally,
) {
    let h = FiniteDifference::<f64>::default().step;
    for attempt in 0..100 {
        let case = random_case(arch, activations, loss, seed * 1000 + attempt);
        if kink_within_reach(&case, h) {
            tally.redrawn += 1;
            continue;
        }
        let spare_rows = (seed % 4) as usize;
        match check_case(&case, spare_rows) {
            Ok(c) => {
                tally.cases += 1;
                tally.worst_relative = tally.worst_relative.max(c.relative);
                tally.worst_entry_ratio = tally.worst_entry_ratio.max(c.worst_entry_ratio);
                if c.bp_norm == 0.0 {
                    tally.zero_gradient += 1;
                }
            }
            Err(message) => panic!(
                "architecture {arch}, activations {activations:?}, loss {loss}, seed {}: {message}",
                seed * 1000 + attempt
            ),
        }
        return;
    }
    panic!(
        "architecture {arch}, activations {activations:?}, loss {loss}: 100 draws all had a kink \
         within reach"
    );
}

/// The redraws and the cases whose gradient is exactly zero (nothing compared) must both be
/// a small fraction, or the check would be vacuous.
fn assert_tally_sound(tally: &Tally, expected_cases: usize) {
    assert_eq!(tally.cases, expected_cases, "{tally:?}");
    assert!(tally.redrawn * 5 <= tally.cases, "more than 1 in 5 cases redrawn: {tally:?}");
    assert!(tally.zero_gradient * 10 <= tally.cases, "too many all-zero gradients: {tally:?}");
    assert!(tally.worst_relative < TOLERANCE && tally.worst_entry_ratio <= 1.0, "{tally:?}");
}

#[test]
fn back_propagation_matches_central_differences_for_every_loss_and_activation() {
    // Every loss × every output activation it works with × every hidden activation (on all
    // the hidden layers), on each architecture; each combination draws its own case.
    let pairs = valid_pairs();
    assert_eq!(pairs.len(), Activation::ALL.len() + 2, "mse with all, ce and bce with one");
    let mut tally = Tally::default();
    for seed in 0..ARCHITECTURES {
        let arch = random_architecture(&mut StdRng::seed_from_u64(seed));
        let combinations = pairs
            .iter()
            .flat_map(|&pair| Activation::ELEMENTWISE.iter().map(move |&hidden| (pair, hidden)));
        for (k, ((loss, output), hidden)) in combinations.enumerate() {
            let mut activations = vec![hidden; arch.layers()];
            activations[arch.layers() - 1] = output;
            check_with_redraws(&arch, &activations, loss, seed * 100 + k as u64, &mut tally);
        }
    }
    let per_architecture = pairs.len() * Activation::ELEMENTWISE.len();
    assert_tally_sound(&tally, ARCHITECTURES as usize * per_architecture);
}

#[test]
fn back_propagation_matches_central_differences_with_mixed_activations() {
    // Hidden activations drawn per layer from the element-wise ones; the (loss, output)
    // pair drawn from those that work.
    let pairs = valid_pairs();
    let mut tally = Tally::default();
    let mut seen = [false; Activation::ALL.len()];
    let mut seen_losses = [false; Loss::ALL.len()];
    for seed in 0..ARCHITECTURES {
        let arch = random_architecture(&mut StdRng::seed_from_u64(seed));
        for draw in 0..MIXED_PER_ARCHITECTURE {
            let mut rng = StdRng::seed_from_u64(1_000_000 + seed * MIXED_PER_ARCHITECTURE + draw);
            let (loss, output) = pairs[rng.random_range(0..pairs.len())];
            let mut activations: Vec<Activation> = (0..arch.layers())
                .map(|_| {
                    Activation::ELEMENTWISE[rng.random_range(0..Activation::ELEMENTWISE.len())]
                })
                .collect();
            activations[arch.layers() - 1] = output;
            for &a in &activations {
                seen[Activation::ALL.iter().position(|&b| b == a).unwrap()] = true;
            }
            seen_losses[Loss::ALL.iter().position(|&l| l == loss).unwrap()] = true;
            check_with_redraws(
                &arch,
                &activations,
                loss,
                1_000 + seed * MIXED_PER_ARCHITECTURE + draw,
                &mut tally,
            );
        }
    }
    assert!(seen.iter().all(|&s| s), "some activation never drawn: {seen:?}");
    assert!(seen_losses.iter().all(|&s| s), "some loss never drawn: {seen_losses:?}");
    assert_tally_sound(&tally, (ARCHITECTURES * MIXED_PER_ARCHITECTURE) as usize);
}

#[test]
fn a_loss_with_an_output_it_does_not_work_with_is_refused_everywhere() {
    // Cross-entropy with a sigmoid or identity output, binary cross-entropy with softmax
    // or tanh: every entry point refuses the pair before any arithmetic, with one error.
    let arch = Architecture::new(vec![3, 4, 2]).unwrap();
    for (loss, output) in [
        (Loss::CrossEntropy, Activation::Sigmoid),
        (Loss::CrossEntropy, Activation::Identity),
        (Loss::BinaryCrossEntropy, Activation::Softmax),
        (Loss::BinaryCrossEntropy, Activation::Tanh),
    ] {
        let case = random_case(&arch, &[Activation::Tanh, output], Loss::MeanSquaredError, 3);
        let (mut mlp, data) = (case.mlp, case.data);
        let (x, y) = (data.inputs(), data.targets());
        let expected = NetError::LossOutputMismatch {
            loss,
            expected: loss.required_output().unwrap(),
            found: output,
        };
        let message = format!(
            "loss {loss} expects a {} output layer; found {output}",
            loss.required_output().unwrap()
        );
        assert_eq!(expected.to_string(), message);

        let mut workspace = Workspace::new(&mlp, data.len());
        let mut gradient = Gradient::zeros(&mlp);
        let errors = [
            mlp.gradient_into(&mut workspace, x, y, loss, &mut gradient).unwrap_err(),
            mlp.cost(&data, loss).unwrap_err(),
            finite_difference_gradient(&mlp, &data, loss, FiniteDifference::default()).unwrap_err(),
            BatchGradient::new(&mlp, data.len(), Chunking::default())
                .unwrap()
                .compute(&mlp, x, y, loss)
                .unwrap_err(),
            Trainer::new(&mlp, data.len()).cost(&mlp, x, y, loss).unwrap_err(),
        ];
        for e in errors {
            assert_eq!(e, expected);
        }
        let before = mlp.clone();
        for method in
            [GradientMethod::BackPropagation, GradientMethod::FiniteDifference(Default::default())]
        {
            let config = TrainConfig { loss, method, epochs: 3, ..TrainConfig::default() };
            assert_eq!(
                Trainer::new(&mlp, data.len()).step(&mut mlp, x, y, &config),
                Err(expected.clone())
            );
            assert_eq!(train(&mut mlp, &data, &config), Err(expected.clone()));
            // An empty run still refuses the pair, rather than report a cost of it.
            let config = TrainConfig { epochs: 0, ..config };
            assert_eq!(train(&mut mlp, &data, &config), Err(expected.clone()));
        }
        assert_eq!(mlp, before, "a refused pair changed the parameters");
    }
}

/// A fixed, smooth case with large enough gradients for the failure tests below.
fn smooth_case(seed: u64) -> Case {
    let arch = Architecture::new(vec![3, 5, 4, 2]).unwrap();
    let activations = [Activation::Tanh, Activation::Sigmoid, Activation::Identity];
    random_case(&arch, &activations, Loss::MeanSquaredError, seed)
}

fn bp_and_fd(case: &Case) -> (Vec<f64>, Vec<f64>, f64) {
    let (bp, cost) = back_propagation(case, 0);
    let fd =
        finite_difference_gradient(&case.mlp, &case.data, case.loss, FiniteDifference::default())
            .unwrap();
    (bp.iter().collect(), fd.iter().collect(), cost)
}

#[test]
fn the_comparison_catches_wrong_gradients() {
    let case = smooth_case(7);
    let (bp, fd, cost) = bp_and_fd(&case);
    // The control: the true gradient passes.
    compare(&bp, &fd, cost).unwrap();

    // Any one entry off by 1e-3, in turn.
    for i in 0..bp.len() {
        let mut wrong = bp.clone();
        wrong[i] += 1e-3;
        assert!(compare(&wrong, &fd, cost).is_err(), "entry {i} off by 1e-3 was not caught");
    }
    // Every entry off by a relative 1e-5: ten times the tolerance.
    let scaled: Vec<f64> = bp.iter().map(|g| g * (1.0 + 1e-5)).collect();
    assert!(compare(&scaled, &fd, cost).is_err());
    // The factor 2 of the square forgotten.
    let halved: Vec<f64> = bp.iter().map(|g| g / 2.0).collect();
    assert!(compare(&halved, &fd, cost).is_err());
    // Two entries swapped (weights read in the wrong order).
    let mut swapped = bp.clone();
    swapped.swap(0, 1);
    assert!(compare(&swapped, &fd, cost).is_err());

    // The gradient of a different network of the same shape, on the same data.
    let other = Case { mlp: smooth_case(8).mlp, ..smooth_case(7) };
    let (other_bp, _, _) = bp_and_fd(&other);
    assert!(compare(&other_bp, &fd, cost).is_err());

    // The gradient of the same network on other data.
    let other = Case { mlp: case.mlp.clone(), ..smooth_case(9) };
    let (other_bp, _, _) = bp_and_fd(&other);
    if other_bp.len() == bp.len() {
        assert!(compare(&other_bp, &fd, cost).is_err());
    }
}

#[test]
fn a_difference_across_a_relu_kink_is_wrong_and_the_guard_sees_it() {
    // One ReLU neuron, w = 1 and b = 0, on x = 1e-7 with target y = 1: z = 1e-7 lies well
    // inside the default step h ≈ 6.1e-6 of the kink.
    let layer = Layer::new(ndarray::array![[1.0]], ndarray::array![0.0], Activation::Relu).unwrap();
    let case = Case {
        mlp: Mlp::from_layers(vec![layer]).unwrap(),
        data: Dataset::new(ndarray::array![[1e-7]], ndarray::array![[1.0]]).unwrap(),
        loss: Loss::MeanSquaredError,
    };
    let h = FiniteDifference::<f64>::default().step;
    assert!(kink_within_reach(&case, h));
    let (bp, fd, cost) = bp_and_fd(&case);
    // ∂C/∂b by back-propagation: 2(a − y)·1 = 2(1e-7 − 1) ≈ −2.
    approx::assert_relative_eq!(bp[1], 2.0 * (1e-7 - 1.0), max_relative = 1e-12);
    // By the central difference: C(b + h) = (1e-7 + h − 1)², C(b − h) = (0 − 1)², so the
    // quotient is about ((1 − h)² − 1) / 2h ≈ −1: half the true slope, because the step
    // crossed the kink. The comparison rightly refuses it.
    assert!((fd[1] + 1.0).abs() < 0.1, "{}", fd[1]);
    assert!(compare(&bp, &fd, cost).is_err());

    // Moved away from the kink by far more than h, the same neuron passes.
    let far = Case {
        mlp: case.mlp.clone(),
        data: Dataset::new(ndarray::array![[0.3]], ndarray::array![[1.0]]).unwrap(),
        loss: Loss::MeanSquaredError,
    };
    assert!(!kink_within_reach(&far, h));
    let (bp, fd, cost) = bp_and_fd(&far);
    compare(&bp, &fd, cost).unwrap();
}

#[test]
fn finite_differences_leave_the_network_bit_for_bit_unchanged() {
    let case = smooth_case(11);
    let mut probe = case.mlp.clone();
    let mut workspace = Workspace::new(&probe, case.data.len());
    let mut gradient = Gradient::zeros(&probe);
    let cost = finite_difference_gradient_into(
        &mut probe,
        &mut workspace,
        case.data.inputs(),
        case.data.targets(),
        Loss::MeanSquaredError,
        FiniteDifference::default(),
        &mut gradient,
    )
    .unwrap();
    let before: Vec<u64> = case.mlp.parameters().map(f64::to_bits).collect();
    let after: Vec<u64> = probe.parameters().map(f64::to_bits).collect();
    assert_eq!(before, after);
    assert_eq!(
        cost.to_bits(),
        case.mlp.cost(&case.data, Loss::MeanSquaredError).unwrap().to_bits()
    );
}

#[test]
fn central_differences_converge_quadratically_and_forward_ones_linearly() {
    // On a smooth network, halving h divides the central quotient's error by about 4
    // (error ∝ h²) and the forward quotient's by about 2 (error ∝ h): the reference behaves
    // as the theory says, so agreeing with it means something.
    let case = smooth_case(5);
    let (bp, _, _) = bp_and_fd(&case);
    let error = |difference: Difference, step: f64| {
        let settings = FiniteDifference { step, difference };
        let fd =
            finite_difference_gradient(&case.mlp, &case.data, Loss::MeanSquaredError, settings)
                .unwrap();
        fd.iter().zip(&bp).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
    };
    let central = error(Difference::Central, 1e-2) / error(Difference::Central, 5e-3);
    let forward = error(Difference::Forward, 1e-2) / error(Difference::Forward, 5e-3);
    assert!((3.5..4.5).contains(&central), "central ratio {central}");
    assert!((1.8..2.2).contains(&forward), "forward ratio {forward}");
}
