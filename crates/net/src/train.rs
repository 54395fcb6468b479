//! Full-batch training: gradient descent for a number of epochs.

use std::ops::ControlFlow;

use ndarray::{Array2, ArrayView2, NdFloat, s};
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::seq::SliceRandom;

use crate::check::{cast, check_rate};
use crate::optimizer::StepSettings;
use crate::{
    Chunking, Dataset, FiniteDifference, Loss, Mlp, NetError, Optimizer, Schedule, Trainer,
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
}

impl<F: NdFloat> Default for TrainConfig<F> {
    /// Rate 0.1, 1000 epochs, mean squared error, back-propagation, full batch, seed 0,
    /// the default chunking; plain SGD, no weight decay, no clipping, a constant rate.
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
    /// The cost of this epoch: full batch, the cost before its step; mini-batches, the mean
    /// over the epoch's batches of each batch's cost before its step.
    pub cost: F,
    /// The network after this epoch's step.
    pub mlp: &'a Mlp<F>,
}

/// The record of a training run.
#[derive(Clone, Debug, PartialEq)]
pub struct History<F> {
    /// The cost of each epoch run, as [`Progress::cost`].
    pub costs: Vec<F>,
    /// The cost on the whole dataset after the last step.
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
/// network; [`NetError::LossOutputMismatch`] if the loss does not work with the output
/// activation; [`NetError::InvalidRate`], [`NetError::InvalidStep`] or
/// [`NetError::InvalidSetting`] for bad settings;
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
    config.loss.check_output(mlp.output_activation())?;
    check_rate(config.rate)?;
    StepSettings::new(config, config.rate)?;
    config.schedule.check(config.rate)?;
    if let crate::GradientMethod::FiniteDifference(settings) = config.method {
        settings.check()?;
    }
    let n = data.len();
    let batch = match config.batch_size {
        Some(0) => return Err(NetError::InvalidBatchSize),
        Some(b) => b.min(n),
        None => n,
    };
    let mut trainer = Trainer::with_chunking(mlp, batch, config.chunking)?;
    let mut batches = (batch < n).then(|| MiniBatches::new(data, batch, config.seed));
    // Grown as the run goes (reserving `epochs` up front would let one setting ask for
    // any amount of memory); a run stopped early keeps only what it used.
    let mut costs = Vec::new();
    let mut stopped_early = false;
    for epoch in 0..config.epochs {
        let at_epoch = |e: NetError| match e {
            NetError::Diverged { what, .. } => NetError::Diverged { epoch, what },
            other => other,
        };
        let cost = match &mut batches {
            None => {
                let rate = config.schedule.rate(config.rate, epoch, config.epochs, 0, 1);
                let (x, y) = (data.inputs(), data.targets());
                trainer.step_with_rate(mlp, x, y, config, rate).map_err(at_epoch)?
            }
            Some(batches) => {
                batches.shuffle();
                // Σ_batches cost_b·rows_b / n: the mean of the samples' losses over the
                // epoch, each batch's taken before its own step.
                let mut weighted = F::zero();
                let count = batches.count();
                for k in 0..count {
                    let rate = config.schedule.rate(config.rate, epoch, config.epochs, k, count);
                    let (x, y) = batches.gather(k);
                    let rows = cast::<F>(x.nrows() as f64);
                    let cost = trainer.step_with_rate(mlp, &x, &y, config, rate);
                    weighted += cost.map_err(at_epoch)? * rows;
                }
                weighted / cast(n as f64)
            }
        };
        costs.push(cost);
        let progress = Progress { epoch, epochs: config.epochs, cost, mlp };
        if on_epoch(&progress).is_break() {
            stopped_early = epoch + 1 < config.epochs;
            break;
        }
    }
    let final_cost = if batches.is_none() {
        trainer.cost(mlp, data.inputs(), data.targets(), config.loss)?
    } else {
        mlp.cost(data, config.loss)?
    };
    if !final_cost.is_finite() {
        // The last step left finite parameters (the step checks that) whose cost is not
        // finite: the divergence the next epoch's step would have reported.
        return Err(NetError::Diverged { epoch: costs.len(), what: "cost" });
    }
    Ok(History { costs, final_cost, stopped_early })
}

/// The shuffled mini-batches of a dataset: the sample order, the shuffle's generator, and
/// one batch's buffers, all made once and reused every epoch.
struct MiniBatches<'d, F> {
    data: &'d Dataset<F>,
    order: Vec<usize>,
    rng: StdRng,
    batch: usize,
    x: Array2<F>,
    y: Array2<F>,
}

impl<'d, F: NdFloat> MiniBatches<'d, F> {
    fn new(data: &'d Dataset<F>, batch: usize, seed: u64) -> Self {
        MiniBatches {
            data,
            order: (0..data.len()).collect(),
            rng: StdRng::seed_from_u64(seed),
            batch,
            x: Array2::zeros((batch, data.input_width())),
            y: Array2::zeros((batch, data.target_width())),
        }
    }

    /// A new order of the samples, for the next epoch.
    fn shuffle(&mut self) {
        self.order.shuffle(&mut self.rng);
    }

    /// The number of batches of an epoch.
    fn count(&self) -> usize {
        self.order.len().div_ceil(self.batch)
    }

    /// Copies the rows of batch `k` of the current order into the batch buffers; returns
    /// views of the rows filled.
    fn gather(&mut self, k: usize) -> (ArrayView2<'_, F>, ArrayView2<'_, F>) {
        let start = k * self.batch;
        let rows = &self.order[start..(start + self.batch).min(self.order.len())];
        let (x, y) = (self.data.inputs(), self.data.targets());
        for (r, &i) in rows.iter().enumerate() {
            self.x.row_mut(r).assign(&x.row(i));
            self.y.row_mut(r).assign(&y.row(i));
        }
        let n = rows.len();
        (self.x.slice(s![..n, ..]), self.y.slice(s![..n, ..]))
    }
}
