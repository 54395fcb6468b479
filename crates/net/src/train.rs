//! The settings of a training run, and the two shortest ways to run one.

use std::ops::ControlFlow;

use ndarray::NdFloat;

use crate::check::{cast, check_rate};
use crate::optimizer::StepSettings;
use crate::{
    Chunking, Dataset, FiniteDifference, History, Loss, Mlp, NetError, Optimizer, Progress,
    Schedule, Training,
};

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
    /// The learning rate: with the default [`Optimizer::Sgd`] and [`Schedule::Constant`],
    /// each step moves the parameters by `−rate·∇C`; a schedule makes it the base rate of
    /// each step's `η`.
    pub rate: F,
    /// How many passes over the data (each one step, for full-batch training).
    pub epochs: usize,
    /// The loss whose mean over the batch is the cost.
    pub loss: Loss,
    /// How the gradient is computed.
    pub method: GradientMethod<F>,
    /// Rows per step: `None` is the whole dataset (full-batch gradient descent); `Some(b)`
    /// is mini-batch descent, the sample order shuffled every epoch and cut into batches of
    /// `b` rows (the last one takes what is left).
    pub batch_size: Option<usize>,
    /// The seed of the per-epoch shuffle of mini-batch training: the same seed gives the
    /// same shuffles, so the same parameters.
    pub seed: u64,
    /// How each batch is cut for the parallel sum.
    pub chunking: Chunking,
    /// How each step turns the gradient into a change of the parameters.
    pub optimizer: Optimizer<F>,
    /// The weight decay `λ`, at least 0: for SGD, momentum, Adam and RMSProp an L2 penalty,
    /// `λ·θ` added to the gradient (the gradient of `(λ/2)·‖θ‖²`); for AdamW decoupled,
    /// `θ ← θ − η·λ·θ` beside Adam's step. Applies to every weight and bias.
    pub weight_decay: F,
    /// Gradient clipping by global norm: `Some(c)` scales the batch's gradient by
    /// `c / ‖g‖₂` when its L2 norm over every entry is above `c`, before the weight decay
    /// and the optimizer. `None`: no clipping.
    pub clip_norm: Option<F>,
    /// How the learning rate changes over the run, from `rate` at the start.
    pub schedule: Schedule<F>,
    /// The bytes a run may take beyond its data (the network, the trainer's buffers, the
    /// optimizer's, the mini-batch and evaluation buffers, early stopping's copy of the
    /// best network, a checkpoint being saved), counted from the sizes before anything is
    /// allocated: [`Training::run`] and [`Trainer::from_config`](crate::Trainer::from_config)
    /// refuse more with [`NetError::MemoryLimit`]. [`DEFAULT_MEMORY_LIMIT`](crate::DEFAULT_MEMORY_LIMIT),
    /// 8 GiB, by default. Not a setting a resumed run must share: it changes no result.
    pub memory_limit: u64,
}

impl<F: NdFloat> Default for TrainConfig<F> {
    /// Rate 0.1, 1000 epochs, mean squared error, back-propagation, full batch, seed 0,
    /// the default chunking; plain SGD, no weight decay, no clipping, a constant rate; a
    /// memory limit of 8 GiB.
    fn default() -> Self {
        TrainConfig {
            rate: cast(0.1),
            epochs: 1000,
            loss: Loss::default(),
            method: GradientMethod::default(),
            batch_size: None,
            seed: 0,
            chunking: Chunking::default(),
            optimizer: Optimizer::Sgd,
            weight_decay: F::zero(),
            clip_norm: None,
            schedule: Schedule::Constant,
            memory_limit: crate::DEFAULT_MEMORY_LIMIT,
        }
    }
}

impl<F: NdFloat> TrainConfig<F> {
    /// Checks every setting that needs no data: the rate, the optimizer's hyperparameters,
    /// the weight decay, the clipping norm, the schedule, the finite-difference step and
    /// the batch size.
    ///
    /// # Errors
    /// [`NetError::InvalidRate`], [`NetError::InvalidSetting`], [`NetError::InvalidStep`]
    /// or [`NetError::InvalidBatchSize`] naming the first bad setting.
    pub fn check(&self) -> Result<(), NetError> {
        check_rate(self.rate)?;
        StepSettings::new(self, self.rate)?;
        self.schedule.check(self.rate)?;
        if let GradientMethod::FiniteDifference(settings) = self.method {
            settings.check()?;
        }
        if self.batch_size == Some(0) {
            return Err(NetError::InvalidBatchSize);
        }
        self.chunking.check()
    }
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
/// For validation data, early stopping, checkpoints or a per-batch callback, use
/// [`Training`].
///
/// # Errors
/// As [`Training::run`]: [`NetError::InputWidth`] or [`NetError::TargetWidth`] if the data
/// does not fit the network; [`NetError::LossOutputMismatch`] if the loss does not work
/// with the output activation; [`NetError::InvalidRate`], [`NetError::InvalidStep`] or
/// [`NetError::InvalidSetting`] for bad settings; [`NetError::Diverged`], naming the epoch,
/// if the cost, the gradient or an updated parameter stops being finite: the parameters
/// are then the last finite ones, those from before that step.
pub fn train_with<F: NdFloat>(
    mlp: &mut Mlp<F>,
    data: &Dataset<F>,
    config: &TrainConfig<F>,
    on_epoch: impl FnMut(&Progress<'_, F>) -> ControlFlow<()>,
) -> Result<History<F>, NetError> {
    Training::new(config).run(mlp, data, on_epoch)
}
