//! Full-batch training: gradient descent for a number of epochs.

use std::ops::ControlFlow;

use ndarray::NdFloat;

use crate::check::{cast, check_rate};
use crate::{Dataset, FiniteDifference, Loss, Mlp, NetError, Trainer};

/// How the gradient of each step is computed.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum GradientMethod<F> {
    /// Back-propagation: one forward and one backward pass over the batch.
    #[default]
    BackPropagation,
    /// Finite differences: one or two forward passes per parameter. Slow; the notes'
    /// starting point, and the reference for testing.
    FiniteDifference(FiniteDifference<F>),
}

/// The settings of a training run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig<F> {
    /// The learning rate: each step moves the parameters by `−rate·∇C`.
    pub rate: F,
    /// How many passes over the data (each one step, for full-batch training).
    pub epochs: usize,
    /// The loss whose mean over the batch is the cost.
    pub loss: Loss,
    /// How the gradient is computed.
    pub method: GradientMethod<F>,
}

impl<F: NdFloat> Default for TrainConfig<F> {
    /// Rate 0.1, 1000 epochs, mean squared error, back-propagation.
    fn default() -> Self {
        TrainConfig {
            rate: cast(0.1),
            epochs: 1000,
            loss: Loss::default(),
            method: GradientMethod::default(),
        }
    }
}

/// What the callback of [`train_with`] sees after each epoch.
#[derive(Debug)]
pub struct Progress<'a, F> {
    /// The epoch just done, counting from 0.
    pub epoch: usize,
    /// The number of epochs asked for.
    pub epochs: usize,
    /// The cost at the start of this epoch (before its step).
    pub cost: F,
    /// The network after this epoch's step.
    pub mlp: &'a Mlp<F>,
}

/// The record of a training run.
#[derive(Clone, Debug, PartialEq)]
pub struct History<F> {
    /// The cost at the start of each epoch run (before its step).
    pub costs: Vec<F>,
    /// The cost after the last step.
    pub final_cost: F,
    /// Whether the callback stopped the run before `epochs`.
    pub stopped_early: bool,
}

/// Trains `mlp` on the whole of `data` by gradient descent for `config.epochs` epochs.
///
/// ```
/// use ndarray::array;
/// use nn_net::{train, Activation, Architecture, Dataset, Init, Mlp, TrainConfig};
/// use nn_net::rand::{SeedableRng, rngs::StdRng};
///
/// let data = Dataset::new(
///     array![[0.0_f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
///     array![[1.0], [1.0], [1.0], [0.0]], // NAND
/// )?;
/// let mut net = Mlp::new(&"2-1".parse()?, &[Activation::Sigmoid], Init::default(), &mut StdRng::seed_from_u64(7))?;
/// let history = train(&mut net, &data, &TrainConfig { rate: 1.0, epochs: 5000, ..Default::default() })?;
/// assert!(history.final_cost < 0.01);
/// # Ok::<(), nn_net::NetError>(())
/// ```
///
/// # Errors
/// As [`train_with`].
pub fn train<F: NdFloat>(
    mlp: &mut Mlp<F>,
    data: &Dataset<F>,
    config: &TrainConfig<F>,
) -> Result<History<F>, NetError> {
    train_with(mlp, data, config, |_| ControlFlow::Continue(()))
}

/// [`train`], calling `on_epoch` after every epoch; the callback stops the run by returning
/// [`ControlFlow::Break`]. The library never prints: report progress from the callback.
///
/// # Errors
/// [`NetError::InputWidth`] or [`NetError::TargetWidth`] if the data does not fit the
/// network; [`NetError::InvalidRate`] or [`NetError::InvalidStep`] for bad settings;
/// [`NetError::Diverged`], naming the epoch, if the cost, the gradient or an updated
/// parameter stops being finite; the parameters are then the last finite ones, those from
/// before that epoch's step.
pub fn train_with<F: NdFloat>(
    mlp: &mut Mlp<F>,
    data: &Dataset<F>,
    config: &TrainConfig<F>,
    mut on_epoch: impl FnMut(&Progress<'_, F>) -> ControlFlow<()>,
) -> Result<History<F>, NetError> {
    data.check_fits(mlp.architecture())?;
    check_rate(config.rate)?;
    if let crate::GradientMethod::FiniteDifference(settings) = config.method {
        settings.check()?;
    }
    let (x, y) = (data.inputs(), data.targets());
    let mut trainer = Trainer::new(mlp, data.len());
    // Grown as the run goes (reserving `epochs` up front would let one setting ask for
    // any amount of memory); a run stopped early keeps only what it used.
    let mut costs = Vec::new();
    let mut stopped_early = false;
    for epoch in 0..config.epochs {
        let cost = trainer.step(mlp, x, y, config).map_err(|e| match e {
            NetError::Diverged { what, .. } => NetError::Diverged { epoch, what },
            other => other,
        })?;
        costs.push(cost);
        let progress = Progress { epoch, epochs: config.epochs, cost, mlp };
        if on_epoch(&progress).is_break() {
            stopped_early = epoch + 1 < config.epochs;
            break;
        }
    }
    let final_cost = trainer.cost(mlp, x, y, config.loss)?;
    if !final_cost.is_finite() {
        // The last step left finite parameters (the step checks that) whose cost is not
        // finite: the divergence the next epoch's step would have reported.
        return Err(NetError::Diverged { epoch: costs.len(), what: "cost" });
    }
    Ok(History { costs, final_cost, stopped_early })
}
