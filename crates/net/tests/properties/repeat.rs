//! `Trainer::repeat_step` equals as many calls to `Trainer::step`, bit for bit: the
//! parameters, the last gradient, the returned cost (or the error) and the step count, for
//! any network, loss, batch size and either gradient method. Widths up to 4 keep most
//! networks on the direct path (every layer at most 16 weights), where the run has its own
//! loop; wider ones check the general loop.

use nn_net::{FiniteDifference, GradientMethod, NetError, TrainConfig, Trainer};
use proptest::prelude::*;

use crate::config;
use crate::spec::{Float, Spec, parameter_bits, spec};

/// Everything a run leaves, as comparable bits and text (an error's text, the NaN of a
/// diverged gradient).
type Outcome = (String, Vec<u64>, Vec<u64>, usize);

fn outcome<F: Float>(
    result: Result<F, NetError>,
    trainer: &Trainer<F>,
    net: &nn_net::Mlp<F>,
) -> Outcome {
    let result = match result {
        Ok(cost) => format!("cost {:x}", cost.bits()),
        Err(e) => e.to_string(),
    };
    let gradient = trainer.gradient().iter().map(F::bits).collect();
    (result, parameter_bits(net), gradient, trainer.steps())
}

fn repeat_equals_steps<F: Float>(
    spec: &Spec,
    method: GradientMethod<F>,
    count: usize,
) -> Result<(), TestCaseError> {
    let (start, data) = spec.case::<F>();
    let (x, y) = (data.inputs(), data.targets());
    let config =
        TrainConfig { rate: F::of(0.5), loss: spec.loss, method, ..TrainConfig::default() };

    let (mut stepped, mut stepper) = (start.clone(), Trainer::new(&start, spec.rows));
    let mut last = Ok(F::zero());
    for _ in 0..count {
        last = stepper.step(&mut stepped, x, y, &config);
        if last.is_err() {
            break;
        }
    }
    let (mut repeated, mut repeater) = (start.clone(), Trainer::new(&start, spec.rows));
    let result = repeater.repeat_step(&mut repeated, x, y, &config, count);
    prop_assert_eq!(outcome(result, &repeater, &repeated), outcome(last, &stepper, &stepped));
    Ok(())
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn repeating_a_step_gives_the_bits_of_the_steps(
        spec in spec(5, 13),
        count in 1..=6_usize,
    ) {
        let forward = |step| GradientMethod::FiniteDifference(FiniteDifference::forward(step));
        repeat_equals_steps::<f32>(&spec, GradientMethod::BackPropagation, count)?;
        repeat_equals_steps::<f64>(&spec, GradientMethod::BackPropagation, count)?;
        repeat_equals_steps::<f32>(&spec, forward(1e-2), count)?;
        repeat_equals_steps::<f64>(&spec, GradientMethod::FiniteDifference(FiniteDifference::default()), count)?;
    }
}
