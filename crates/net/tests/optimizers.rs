//! The optimizers, weight decay, clipping and schedules: first and second steps against
//! numbers worked by hand from the update rules, every optimizer learning XOR, a run stopped
//! and resumed from its saved state giving the same bits as one that never stopped, a
//! refused step changing nothing, and bad settings refused with named errors.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::ops::ControlFlow;

use approx::{assert_abs_diff_eq, assert_relative_eq};
use ndarray::{Array2, array};
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Activation, Architecture, Dataset, Gradient, Init, Layer, Loss, Mlp, NetError, Optimizer,
    OptimizerState, Schedule, TrainConfig, Trainer, Workspace, train, train_with,
};

/// The tiny problem of the hand-worked steps: `a = w·x + b` (one identity neuron) at
/// `w = 0.5`, `b = 0.25`, one sample `x = 2`, `y = 0`.
///
/// With `e = 2w + b` the error, `C = e²`, `∂C/∂w = 2e·x = 4e` and `∂C/∂b = 2e`. At the start
/// `e = 1.25`, so `∂C/∂w = 5` and `∂C/∂b = 2.5`.
fn neuron() -> (Mlp<f64>, Array2<f64>, Array2<f64>) {
    let layer = Layer::new(array![[0.5]], array![0.25], Activation::Identity).unwrap();
    (Mlp::from_layers(vec![layer]).unwrap(), array![[2.0]], array![[0.0]])
}

/// The neuron's `(w, b)` after `steps` steps of `config` at rate 0.05.
fn after(steps: usize, config: TrainConfig<f64>) -> (f64, f64) {
    let (mut mlp, x, y) = neuron();
    let config = TrainConfig { rate: 0.05, ..config };
    let mut trainer = Trainer::new(&mlp, 1);
    for _ in 0..steps {
        trainer.step(&mut mlp, &x, &y, &config).unwrap();
    }
    let layer = &mlp.layers()[0];
    (layer.w()[[0, 0]], layer.b()[0])
}

fn with(optimizer: Optimizer<f64>) -> TrainConfig<f64> {
    TrainConfig { optimizer, ..TrainConfig::default() }
}

#[test]
fn sgd_steps_by_hand() {
    // w ← 0.5 − 0.05·5 = 0.25, b ← 0.25 − 0.05·2.5 = 0.125.
    assert_eq!(after(1, with(Optimizer::Sgd)), (0.25, 0.125));
    // e = 0.5 + 0.125 = 0.625: gradient (2.5, 1.25); w ← 0.25 − 0.125, b ← 0.125 − 0.0625.
    assert_eq!(after(2, with(Optimizer::Sgd)), (0.125, 0.0625));
}

#[test]
fn momentum_steps_by_hand() {
    let momentum = with(Optimizer::Momentum { beta: 0.9, nesterov: false });
    // Step 1: v = 0.9·0 + g = (5, 2.5), the SGD step: w = 0.25, b = 0.125.
    assert_eq!(after(1, momentum), (0.25, 0.125));
    // Step 2: g = (2.5, 1.25); v = 0.9·(5, 2.5) + g = (7, 3.5);
    // w = 0.25 − 0.05·7 = −0.1, b = 0.125 − 0.05·3.5 = −0.05.
    let (w, b) = after(2, momentum);
    assert_relative_eq!(w, -0.1, max_relative = 1e-14);
    assert_relative_eq!(b, -0.05, max_relative = 1e-14);
}

#[test]
fn nesterov_steps_by_hand() {
    let nesterov = with(Optimizer::Momentum { beta: 0.9, nesterov: true });
    // Step 1: v = (5, 2.5); the step is g + 0.9·v = (5 + 4.5, 2.5 + 2.25) = (9.5, 4.75):
    // w = 0.5 − 0.05·9.5 = 0.025, b = 0.25 − 0.05·4.75 = 0.0125.
    let (w, b) = after(1, nesterov);
    assert_relative_eq!(w, 0.025, max_relative = 1e-14);
    assert_relative_eq!(b, 0.0125, max_relative = 1e-14);
    // Step 2: e = 0.05 + 0.0125 = 0.0625, g = (0.25, 0.125);
    // v = 0.9·(5, 2.5) + g = (4.75, 2.375); step = g + 0.9·v = (4.525, 2.2625);
    // w = 0.025 − 0.05·4.525 = −0.20125, b = 0.0125 − 0.05·2.2625 = −0.100625.
    let (w, b) = after(2, nesterov);
    assert_relative_eq!(w, -0.20125, max_relative = 1e-13);
    assert_relative_eq!(b, -0.100625, max_relative = 1e-13);
}

#[test]
fn adam_steps_by_hand() {
    let adam = with(Optimizer::Adam { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    // Step 1 (t = 1): m = 0.1·g, s = 0.001·g², m̂ = g, ŝ = g²: the step is g/(|g| + ε) ≈ 1
    // for both (ε moves it by 2e-9 relative): w = 0.5 − 0.05 = 0.45, b = 0.25 − 0.05 = 0.2.
    let (w, b) = after(1, adam);
    assert_relative_eq!(w, 0.45, max_relative = 1e-8);
    assert_relative_eq!(b, 0.2, max_relative = 1e-8);
    // Step 2 (t = 2): e = 0.9 + 0.2 = 1.1, g = (4.4, 2.2).
    // m_w = 0.9·0.5 + 0.1·4.4 = 0.89, s_w = 0.999·0.025 + 0.001·19.36 = 0.044335;
    // m̂ = 0.89/(1 − 0.81) = 0.89/0.19, ŝ = 0.044335/(1 − 0.998001) = 0.044335/0.001999;
    // step = m̂/√ŝ = 4.6842105/4.7094105 = 0.99464807. The bias's gradient is half the
    // weight's at every step, so its m is half and its s a quarter: the same step.
    // w = 0.45 − 0.05·0.99464807 = 0.40026760, b = 0.2 − 0.05·0.99464807 = 0.15026760.
    let (w, b) = after(2, adam);
    assert_relative_eq!(w, 0.400_267_596_261_736, max_relative = 1e-8);
    assert_relative_eq!(b, 0.150_267_596_261_736, max_relative = 1e-8);
}

#[test]
fn rmsprop_first_step_by_hand() {
    let rmsprop = with(Optimizer::RmsProp { decay: 0.9, epsilon: 1e-8 });
    // s = 0.1·g² = (2.5, 0.625); the step is g/√s = (5/√2.5, 2.5/√0.625) = (√10, √10):
    // w = 0.5 − 0.05·3.16227766 = 0.34188612, b = 0.25 − 0.05·3.16227766 = 0.09188612.
    // (ε shortens the steps by ε/√s, about 1e-8 relative: 2e-9 on each parameter.)
    let (w, b) = after(1, rmsprop);
    assert_abs_diff_eq!(w, 0.341_886_116_991_581, epsilon = 5e-9);
    assert_abs_diff_eq!(b, 0.091_886_116_991_581, epsilon = 5e-9);
}

#[test]
fn weight_decay_by_hand() {
    // SGD with L2: g + λθ = (5 + 0.1·0.5, 2.5 + 0.1·0.25) = (5.05, 2.525);
    // w = 0.5 − 0.05·5.05 = 0.2475, b = 0.25 − 0.05·2.525 = 0.12375.
    let sgd = TrainConfig { weight_decay: 0.1, ..with(Optimizer::Sgd) };
    let (w, b) = after(1, sgd);
    assert_relative_eq!(w, 0.2475, max_relative = 1e-14);
    assert_relative_eq!(b, 0.12375, max_relative = 1e-14);

    // Adam with L2: the decay joins the gradient and is normalised away with it, so the
    // first step is still ≈ 1: w = 0.45, b = 0.2.
    let adam = TrainConfig { weight_decay: 0.1, ..with(Optimizer::adam()) };
    let (w, b) = after(1, adam);
    assert_relative_eq!(w, 0.45, max_relative = 1e-8);
    assert_relative_eq!(b, 0.2, max_relative = 1e-8);

    // AdamW: Adam's step of ≈ 1 plus the decoupled λθ:
    // w = 0.5 − 0.05·(1 + 0.1·0.5) = 0.4475, b = 0.25 − 0.05·(1 + 0.1·0.25) = 0.19875.
    let adamw = TrainConfig { weight_decay: 0.1, ..with(Optimizer::adamw()) };
    let (w, b) = after(1, adamw);
    assert_relative_eq!(w, 0.4475, max_relative = 1e-8);
    assert_relative_eq!(b, 0.19875, max_relative = 1e-8);
    // AdamW without decay is Adam, to the bit.
    assert_eq!(after(3, with(Optimizer::adamw())), after(3, with(Optimizer::adam())));
}

#[test]
fn clipping_by_hand() {
    // ‖g‖ = √(5² + 2.5²) = √31.25 = 5.5901699; a limit of 1 scales g to
    // (5, 2.5)/5.5901699 = (0.89442719, 0.44721360):
    // w = 0.5 − 0.05·0.89442719 = 0.45527864, b = 0.25 − 0.05·0.44721360 = 0.22763932.
    let clipped = TrainConfig { clip_norm: Some(1.0), ..with(Optimizer::Sgd) };
    let (w, b) = after(1, clipped);
    assert_relative_eq!(w, 0.455_278_640_450_004, max_relative = 1e-14);
    assert_relative_eq!(b, 0.227_639_320_225_002, max_relative = 1e-14);

    // A limit above the norm changes nothing, to the bit.
    let loose = TrainConfig { clip_norm: Some(10.0), ..with(Optimizer::Sgd) };
    assert_eq!(after(2, loose), after(2, with(Optimizer::Sgd)));

    // Clipping comes before the decay: (0.89442719 + 0.05, 0.44721360 + 0.025);
    // w = 0.5 − 0.05·0.94442719 = 0.45277864, b = 0.25 − 0.05·0.47221360 = 0.22638932.
    let both = TrainConfig { clip_norm: Some(1.0), weight_decay: 0.1, ..with(Optimizer::Sgd) };
    let (w, b) = after(1, both);
    assert_relative_eq!(w, 0.452_778_640_450_004, max_relative = 1e-14);
    assert_relative_eq!(b, 0.226_389_320_225_002, max_relative = 1e-14);
}

/// Every optimizer, with a rate that suits it.
fn optimizers() -> [(Optimizer<f64>, f64); 6] {
    [
        (Optimizer::Sgd, 0.5),
        (Optimizer::momentum(), 0.1),
        (Optimizer::nesterov(), 0.1),
        (Optimizer::adam(), 0.02),
        (Optimizer::adamw(), 0.02),
        (Optimizer::rms_prop(), 0.005),
    ]
}

fn xor() -> Dataset<f64> {
    Dataset::new(
        array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
        array![[0.0], [1.0], [1.0], [0.0]],
    )
    .unwrap()
}

fn xor_net() -> Mlp<f64> {
    let arch: Architecture = "2-4-1".parse().unwrap();
    let activations = [Activation::Tanh, Activation::Sigmoid];
    Mlp::new(&arch, &activations, Init::Xavier, &mut StdRng::seed_from_u64(3)).unwrap()
}

#[test]
fn every_optimizer_learns_xor() {
    let data = xor();
    for (optimizer, rate) in optimizers() {
        let mut net = xor_net();
        let start = net.cost(&data, Default::default()).unwrap();
        let config = TrainConfig { rate, epochs: 2000, optimizer, ..TrainConfig::default() };
        let history = train(&mut net, &data, &config).unwrap();
        // A start near 0.25 (outputs near 1/2); learnt, the cost is a small fraction of it.
        assert!(history.final_cost < start / 10.0, "{optimizer}: {start} → {}", history.final_cost);
    }
}

/// A 3-5-2 network and a batch of 12 rows for the resume tests.
fn resume_problem() -> (Mlp<f64>, Array2<f64>, Array2<f64>) {
    let arch: Architecture = "3-5-2".parse().unwrap();
    let mut rng = StdRng::seed_from_u64(9);
    let net =
        Mlp::new(&arch, &[Activation::Tanh, Activation::Sigmoid], Init::He, &mut rng).unwrap();
    let x = Array2::from_shape_fn((12, 3), |(i, j)| ((i * 3 + j) as f64 * 0.37).sin());
    let y = Array2::from_shape_fn((12, 2), |(i, j)| ((i + j) % 2) as f64);
    (net, x, y)
}

fn bits(mlp: &Mlp<f64>) -> Vec<u64> {
    mlp.parameters().map(f64::to_bits).collect()
}

#[test]
fn a_resumed_run_is_the_same_to_the_bit_for_every_optimizer() {
    const N: usize = 7;
    let schedule = Schedule::Cosine { warmup: 2, min_rate: 0.001 };
    for (optimizer, rate) in optimizers() {
        let config = TrainConfig {
            rate,
            optimizer,
            weight_decay: 0.01,
            clip_norm: Some(0.5),
            ..TrainConfig::default()
        };
        // The rate of step k of a 2N-step run, from the schedule alone.
        let rate_at = |k| schedule.rate(rate, k, 2 * N, 0, 1);
        let (mut straight, x, y) = resume_problem();
        let mut trainer = Trainer::new(&straight, 12);
        for k in 0..2 * N {
            trainer.step_with_rate(&mut straight, &x, &y, &config, rate_at(k)).unwrap();
        }

        // N steps, then everything a checkpoint holds is copied out...
        let (mut first, x, y) = resume_problem();
        let mut trainer = Trainer::new(&first, 12);
        for k in 0..N {
            trainer.step_with_rate(&mut first, &x, &y, &config, rate_at(k)).unwrap();
        }
        let saved = trainer.optimizer_state();
        assert_eq!(saved.steps(), N);
        assert_eq!(saved.slot_names(), optimizer.slot_names());
        let parts = (saved.optimizer(), saved.steps(), saved.slots().to_vec());
        let parameters = first.clone();
        drop(trainer);

        // ...and put back into a new trainer, which takes the other N steps.
        let mut resumed = parameters;
        let mut trainer = Trainer::new(&resumed, 12);
        let state = OptimizerState::from_parts(parts.0, parts.1, parts.2).unwrap();
        trainer.restore_optimizer_state(state).unwrap();
        for k in N..2 * N {
            trainer.step_with_rate(&mut resumed, &x, &y, &config, rate_at(k)).unwrap();
        }
        assert_eq!(trainer.steps(), 2 * N);
        assert_eq!(bits(&resumed), bits(&straight), "{optimizer}");

        // Without the state (a fresh trainer), a stateful optimizer goes elsewhere.
        if !optimizer.slot_names().is_empty() {
            let mut forgetful = first.clone();
            let mut trainer = Trainer::new(&forgetful, 12);
            for k in N..2 * N {
                trainer.step_with_rate(&mut forgetful, &x, &y, &config, rate_at(k)).unwrap();
            }
            assert_ne!(bits(&forgetful), bits(&straight), "{optimizer}");
        }
    }
}

#[test]
fn a_refused_step_changes_neither_the_parameters_nor_the_optimizer_state() {
    // A 2-1 identity neuron trained on x = (0.5, 0), y = 0: the second weight's gradient
    // 2e·0 is 0, so it stays at 0 (Adam's step 0/(0 + ε) is 0 too). Then x = (0.5, 1e300):
    // the output is unchanged and the cost finite, but that weight's gradient is
    // 2e·1e300, whose square overflows Adam's and RMSProp's mean square (the parameters
    // alone would stay finite: the step divides by √∞).
    let layer = Layer::new(array![[0.3], [0.0]], array![1.0], Activation::Identity).unwrap();
    let start = Mlp::from_layers(vec![layer]).unwrap();
    let (x, y) = (array![[0.5, 0.0]], array![[0.0]]);
    let huge = array![[0.5, 1e300]];
    for optimizer in [Optimizer::adam(), Optimizer::rms_prop(), Optimizer::nesterov()] {
        let config = TrainConfig { rate: 0.01, optimizer, ..TrainConfig::default() };
        let mut net = start.clone();
        let mut trainer = Trainer::new(&net, 1);
        for _ in 0..3 {
            trainer.step(&mut net, &x, &y, &config).unwrap();
        }
        let (before, state) = (net.clone(), trainer.optimizer_state().clone());
        // Momentum keeps no squares: its velocity of about 1e300 stays finite, and a rate of
        // 1e10 makes the parameter overflow instead.
        let rate = if optimizer == Optimizer::nesterov() { 1e10 } else { config.rate };
        let e = trainer.step_with_rate(&mut net, &huge, &y, &config, rate).unwrap_err();
        assert_eq!(e, NetError::Diverged { epoch: 3, what: "parameter update" }, "{optimizer}");
        assert_eq!(net, before, "{optimizer}: the parameters changed");
        assert_eq!(trainer.optimizer_state(), &state, "{optimizer}: the state changed");

        // And the run goes on as if the refused step had never been asked for.
        let mut never = before.clone();
        let mut other = Trainer::new(&never, 1);
        other.restore_optimizer_state(state).unwrap();
        other.step(&mut never, &x, &y, &config).unwrap();
        trainer.step(&mut net, &x, &y, &config).unwrap();
        assert_eq!(bits(&net), bits(&never));
    }
}

#[test]
fn train_takes_each_rate_from_the_schedule() {
    let data = xor();
    for schedule in [Schedule::step(), Schedule::Exponential { factor: 0.9 }, Schedule::cosine()] {
        let config = TrainConfig {
            rate: 0.02,
            epochs: 30,
            optimizer: Optimizer::adam(),
            schedule,
            ..TrainConfig::default()
        };
        let mut trained = xor_net();
        train(&mut trained, &data, &config).unwrap();
        // The same steps by hand, each at the schedule's rate for its epoch.
        let mut by_hand = xor_net();
        let mut trainer = Trainer::new(&by_hand, 4);
        for epoch in 0..30 {
            let rate = schedule.rate(0.02, epoch, 30, 0, 1);
            trainer
                .step_with_rate(&mut by_hand, data.inputs(), data.targets(), &config, rate)
                .unwrap();
        }
        assert_eq!(bits(&trained), bits(&by_hand), "{schedule}");
    }
    // A constant schedule and plain SGD are the notes' gradient descent, to the bit.
    let config = TrainConfig { rate: 0.5, epochs: 30, ..TrainConfig::default() };
    let mut trained = xor_net();
    train(&mut trained, &data, &config).unwrap();
    let mut by_hand = xor_net();
    for _ in 0..30 {
        let (mut workspace, mut gradient) =
            (Workspace::new(&by_hand, 4), Gradient::zeros(&by_hand));
        let (x, y) = (data.inputs(), data.targets());
        by_hand.gradient_into(&mut workspace, x, y, Loss::default(), &mut gradient).unwrap();
        by_hand.descend(&gradient, 0.5).unwrap();
    }
    assert_eq!(bits(&trained), bits(&by_hand));
}

/// The error of a call that must fail, and the network it was given, unchanged.
#[track_caller]
fn refused(config: TrainConfig<f64>) -> NetError {
    let data = xor();
    let mut net = xor_net();
    let e = train_with(&mut net, &data, &config, |_| ControlFlow::Continue(())).unwrap_err();
    assert_eq!(net, xor_net(), "a refused run changed the network");
    // A trainer's step knows no schedule; the rest it refuses alike.
    if config.schedule == Schedule::Constant {
        let mut trainer = Trainer::new(&net, 4);
        let again = trainer.step(&mut net, data.inputs(), data.targets(), &config);
        assert_eq!(again.unwrap_err().to_string(), e.to_string());
        assert_eq!(net, xor_net());
    }
    e
}

#[test]
fn bad_settings_are_refused_with_what_was_expected_and_found() {
    let base = TrainConfig::<f64>::default();
    let says = |e: NetError, message: &str| assert_eq!(e.to_string(), message);
    says(
        refused(TrainConfig { weight_decay: -0.1, ..base }),
        "expected the weight decay to be a finite number, at least 0; found -0.1",
    );
    says(
        refused(TrainConfig { weight_decay: f64::NAN, ..base }),
        "expected the weight decay to be a finite number, at least 0; found NaN",
    );
    says(
        refused(TrainConfig { clip_norm: Some(0.0), ..base }),
        "expected the clipping norm to be a positive finite number; found 0",
    );
    says(
        refused(TrainConfig { clip_norm: Some(f64::INFINITY), ..base }),
        "expected the clipping norm to be a positive finite number; found inf",
    );
    says(
        refused(TrainConfig {
            optimizer: Optimizer::Adam { beta1: 0.9, beta2: 1.0, epsilon: 1e-8 },
            ..base
        }),
        "expected the adam beta2 to be in [0, 1); found 1",
    );
    says(
        refused(TrainConfig { schedule: Schedule::Step { every: 0, factor: 0.5 }, ..base }),
        "expected the step schedule's every (epochs) to be at least 1; found 0",
    );
    says(
        refused(TrainConfig { schedule: Schedule::Cosine { warmup: 0, min_rate: 1.0 }, ..base }),
        "expected the cosine schedule's min_rate to be finite, at least 0 and at most the \
         learning rate; found 1",
    );

    // A step's own rate is checked like the configured one.
    let (mut net, x, y) = neuron();
    let e = Trainer::new(&net, 1).step_with_rate(&mut net, &x, &y, &base, 0.0).unwrap_err();
    assert_eq!(e, NetError::InvalidRate { found: 0.0 });
}

#[test]
fn a_trainer_keeps_to_one_optimizer() {
    let (mut net, x, y) = neuron();
    let mut trainer = Trainer::new(&net, 1);
    // Before the first step, any optimizer: SGD asked for nothing.
    let adam = with(Optimizer::adam());
    trainer.step(&mut net, &x, &y, &adam).unwrap();
    // Its hyperparameters may change; its buffers may not.
    let slower = with(Optimizer::Adam { beta1: 0.5, beta2: 0.9, epsilon: 1e-6 });
    trainer.step(&mut net, &x, &y, &slower).unwrap();
    assert_eq!(trainer.optimizer_state().optimizer(), slower.optimizer);
    let before = net.clone();
    let e = trainer.step(&mut net, &x, &y, &with(Optimizer::momentum())).unwrap_err();
    assert!(matches!(e, NetError::InvalidOptimizerState { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "invalid optimizer state: the trainer has taken 2 steps of adam and keeps its buffers; \
         the settings ask for momentum (start a new Trainer to change the optimizer)"
    );
    assert_eq!(net, before);
}

#[test]
fn saved_state_is_checked_when_it_comes_back() {
    let (net, ..) = neuron();
    let (other, ..) = resume_problem();
    let adam = Optimizer::<f64>::adam();
    let zeros = || Gradient::zeros(&net);
    let invalid = |e: NetError, message: &str| {
        assert!(matches!(e, NetError::InvalidOptimizerState { .. }), "{e:?}");
        assert_eq!(e.to_string(), format!("invalid optimizer state: {message}"));
    };

    let e = OptimizerState::from_parts(adam, 3, vec![zeros()]).unwrap_err();
    invalid(e, "adam keeps 2 buffers (first_moment, second_moment); found 1");
    let e = OptimizerState::from_parts(Optimizer::Sgd, 3, vec![zeros()]).unwrap_err();
    invalid(e, "sgd keeps 0 buffers (none); found 1");
    let e =
        OptimizerState::from_parts(adam, 3, vec![zeros(), Gradient::zeros(&other)]).unwrap_err();
    invalid(e, "the second_moment buffer is shaped for 3-5-2; the first_moment buffer for 1-1");

    let mut bad = zeros();
    bad.layers_mut()[0].b_mut()[0] = f64::NAN;
    let e = OptimizerState::from_parts(Optimizer::momentum(), 3, vec![bad]).unwrap_err();
    invalid(e, "expected finite numbers in the velocity buffer; found NaN");
    let mut negative = zeros();
    negative.layers_mut()[0].w_mut()[[0, 0]] = -1.0;
    let e = OptimizerState::from_parts(adam, 3, vec![zeros(), negative.clone()]).unwrap_err();
    invalid(e, "expected a second_moment buffer of means of squares, at least 0; found -1");
    // A negative velocity or first moment is fine.
    OptimizerState::from_parts(adam, 3, vec![negative, zeros()]).unwrap();

    let e = OptimizerState::from_parts(
        Optimizer::Momentum { beta: 2.0, nesterov: false },
        0,
        vec![zeros()],
    )
    .unwrap_err();
    assert!(matches!(e, NetError::InvalidSetting { .. }), "{e:?}");

    // A state of another network's shape does not go into a trainer.
    let mut trainer = Trainer::new(&other, 4);
    let e = trainer.restore_optimizer_state(OptimizerState::new(adam, &net)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the optimizer state was built for architecture 1-1; the network is 3-5-2"
    );
    assert_eq!(trainer.optimizer_state(), &OptimizerState::new(Optimizer::Sgd, &other));
}
