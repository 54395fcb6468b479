//! The training loop: epochs of shuffled mini-batches, evaluation on held-out data, early
//! stopping, and checkpoints to resume from.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use ndarray::NdFloat;

use crate::check::cast;
use crate::checkpoint::{Checkpoint, TrainingState};
use crate::memory::{RunShape, check_memory, training_bytes};
use crate::mini_batches::MiniBatches;
use crate::run_state::RunState;
use crate::{Dataset, Metrics, Mlp, NetError, TrainConfig, Trainer, evaluate};

/// What happened in one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochRecord<F> {
    /// The epoch, counting from 0.
    pub epoch: usize,
    /// The training cost: full batch, the cost before the epoch's step; mini-batches, the
    /// mean over the epoch's batches of each batch's cost before its step.
    pub train_cost: F,
    /// The cost and accuracy on the validation data after the epoch, when there is some.
    pub validation: Option<Metrics<F>>,
    /// The learning rate of the epoch's last step.
    pub rate: F,
    /// Wall-clock seconds of the epoch's steps (not the evaluation).
    pub seconds: f64,
}

/// What the per-batch callback of [`Training::on_batch`] sees after each step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchProgress<F> {
    /// The epoch, counting from 0.
    pub epoch: usize,
    /// The batch just done, counting from 0.
    pub batch: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// Samples of this epoch done so far.
    pub samples: usize,
    /// The batch's cost before its step.
    pub cost: F,
}

/// What the per-epoch callback sees after each epoch.
#[derive(Debug)]
pub struct Progress<'a, F> {
    /// The epoch just done, counting from 0.
    pub epoch: usize,
    /// The number of epochs asked for.
    pub epochs: usize,
    /// The training cost of this epoch, as [`EpochRecord::train_cost`].
    pub cost: F,
    /// The whole record of the epoch, with the validation metrics.
    pub record: &'a EpochRecord<F>,
    /// The network after this epoch.
    pub mlp: &'a Mlp<F>,
}

/// The record of a training run.
#[derive(Clone, Debug, PartialEq)]
pub struct History<F> {
    /// Every epoch run, in order (a resumed run includes the epochs before the checkpoint).
    pub epochs: Vec<EpochRecord<F>>,
    /// The cost on the whole training set at the end, with the parameters the run left.
    pub final_cost: F,
    /// Whether the run ended before its epochs: by the callback or by early stopping.
    pub stopped_early: bool,
    /// With early stopping, the epoch with the lowest validation cost, whose parameters
    /// the run leaves in place.
    pub best_epoch: Option<usize>,
}

impl<F: NdFloat> History<F> {
    /// The training cost of each epoch run, as [`EpochRecord::train_cost`].
    pub fn costs(&self) -> Vec<F> {
        self.epochs.iter().map(|r| r.train_cost).collect()
    }
}

/// Early stopping: the run ends when the validation cost has not improved on its best for
/// `patience` epochs; the parameters of the best epoch are then put back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    /// Epochs without improvement before the run stops (at least 1).
    pub patience: usize,
}

/// The per-batch callback of a [`Training`].
type BatchCallback<'a, F> = Box<dyn FnMut(&BatchProgress<F>) + 'a>;

/// A training run and its options, built step by step, then [`run`](Training::run).
///
/// ```
/// use std::ops::ControlFlow;
/// use ndarray::array;
/// use nn_net::{Activation, Dataset, EarlyStopping, Init, Mlp, TrainConfig, Training};
/// use nn_net::rand::{SeedableRng, rngs::StdRng};
///
/// let xor = Dataset::new(
///     array![[0.0_f64, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
///     array![[0.0], [1.0], [1.0], [0.0]],
/// )?;
/// let mut net = Mlp::new(&"2-3-1".parse()?, &[Activation::Sigmoid; 2], Init::default(), &mut StdRng::seed_from_u64(3))?;
/// let config = TrainConfig { rate: 2.0, epochs: 5000, ..TrainConfig::default() };
/// let history = Training::new(&config)
///     .validation(&xor)
///     .early_stopping(EarlyStopping { patience: 50 })
///     .run(&mut net, &xor, |_| ControlFlow::Continue(()))?;
/// let last = history.epochs.last().unwrap();
/// assert_eq!(last.validation.unwrap().accuracy, Some(1.0));
/// # Ok::<(), nn_net::NetError>(())
/// ```
pub struct Training<'a, F> {
    config: &'a TrainConfig<F>,
    validation: Option<&'a Dataset<F>>,
    early_stopping: Option<EarlyStopping>,
    checkpoints: Option<(PathBuf, usize)>,
    resume: Option<TrainingState<F>>,
    on_batch: Option<BatchCallback<'a, F>>,
}

impl<'a, F: NdFloat> Training<'a, F> {
    /// A run with `config`'s settings, no validation, no early stopping, no checkpoints.
    pub fn new(config: &'a TrainConfig<F>) -> Self {
        Training {
            config,
            validation: None,
            early_stopping: None,
            checkpoints: None,
            resume: None,
            on_batch: None,
        }
    }

    /// Evaluates the network on `data` after every epoch (cost, and accuracy for classes).
    pub fn validation(mut self, data: &'a Dataset<F>) -> Self {
        self.validation = Some(data);
        self
    }

    /// Stops on the validation cost (needs [`validation`](Training::validation)).
    pub fn early_stopping(mut self, early_stopping: EarlyStopping) -> Self {
        self.early_stopping = Some(early_stopping);
        self
    }

    /// Saves a checkpoint into `dir` every `every` epochs and after the run's last epoch,
    /// whether the epochs ran out or early stopping ended it. A run that `on_epoch` stops
    /// keeps its last save (the one of the last multiple of `every`): the save of an epoch
    /// comes before its callback.
    pub fn checkpoints(mut self, dir: impl Into<PathBuf>, every: usize) -> Self {
        self.checkpoints = Some((dir.into(), every));
        self
    }

    /// Continues the run a checkpoint saved: the network, the optimizer's state, the
    /// epoch, the history and the early-stopping state are taken from it, and the run ends
    /// with the same bits as the same run left uninterrupted. The checkpoint of a run that
    /// early stopping ended (its last save) resumes to no further epochs, unless the
    /// patience is now longer.
    pub fn resume(mut self, state: TrainingState<F>) -> Self {
        self.resume = Some(state);
        self
    }

    /// Calls `on_batch` after every step, for progress bars.
    pub fn on_batch(mut self, on_batch: impl FnMut(&BatchProgress<F>) + 'a) -> Self {
        self.on_batch = Some(Box::new(on_batch));
        self
    }

    /// Trains `mlp` on `data`, calling `on_epoch` after every epoch; the callback stops the
    /// run by returning [`ControlFlow::Break`]. The library never prints: report progress
    /// from the callbacks.
    ///
    /// # Errors
    /// [`NetError::InputWidth`] or [`NetError::TargetWidth`] if the data does not fit the
    /// network; the settings' errors ([`NetError::InvalidRate`], …);
    /// [`NetError::EarlyStoppingWithoutValidation`] or [`NetError::InvalidPatience`];
    /// [`NetError::InvalidCheckpointEvery`] for checkpoints every 0 epochs;
    /// [`NetError::MemoryLimit`] if the run's buffers would take more than
    /// [`TrainConfig::memory_limit`] (checked before anything is allocated);
    /// [`NetError::CheckpointMismatch`] for a resumed state saved with other settings,
    /// [`NetError::Checkpoint`] for a checkpoint that cannot be written;
    /// [`NetError::Diverged`], naming the epoch, if the cost, the gradient or an updated
    /// parameter stops being finite: the parameters are then the last finite ones, those
    /// from before that step.
    pub fn run(
        mut self,
        mlp: &mut Mlp<F>,
        data: &Dataset<F>,
        mut on_epoch: impl FnMut(&Progress<'_, F>) -> ControlFlow<()>,
    ) -> Result<History<F>, NetError> {
        let config = self.config;
        data.check_fits(mlp.architecture())?;
        if let Some(validation) = self.validation {
            validation.check_fits(mlp.architecture())?;
        }
        config.check()?;
        config.loss.check_output(mlp.output_activation())?;
        if let Some(stopping) = self.early_stopping {
            if self.validation.is_none() {
                return Err(NetError::EarlyStoppingWithoutValidation);
            }
            if stopping.patience == 0 {
                return Err(NetError::InvalidPatience);
            }
        }
        let n = data.len();
        let batch = match config.batch_size {
            Some(0) => return Err(NetError::InvalidBatchSize),
            Some(b) => b.min(n),
            None => n,
        };
        let arch = mlp.architecture();
        let shape = RunShape {
            samples: n,
            validation: self.validation.map_or(0, Dataset::len),
            widths: (data.input_width(), data.target_width()),
            batch,
            early_stopping: self.early_stopping.is_some(),
            checkpoints: self.checkpoints.is_some(),
        };
        check_memory(
            || format!("training {arch} in batches of {batch} with {}", config.optimizer),
            training_bytes(arch, config, &shape),
            config.memory_limit,
            "TrainConfig::memory_limit",
        )?;
        let checkpoint = match &self.checkpoints {
            Some((dir, every)) => Some(Checkpoint::new(dir.clone(), *every)?),
            None => None,
        };
        let mut trainer = Trainer::from_config(mlp, batch, config)?;
        let mut batches = MiniBatches::new(data, batch, config.seed);
        let mut state = match self.resume.take() {
            Some(state) => {
                state.check_belongs(mlp, config)?;
                let TrainingState { mlp: saved, optimizer, run, .. } = state;
                *mlp = saved;
                trainer.restore_optimizer_state(optimizer)?;
                run
            }
            None => RunState::default(),
        };

        let count = batches.count();
        let mut stopped_early = false;
        while state.next_epoch < config.epochs {
            // Resumed from the checkpoint of a run that early stopping ended: it stays ended.
            if let Some(stopping) = self.early_stopping
                && state.stale_epochs >= stopping.patience
            {
                stopped_early = true;
                break;
            }
            let epoch = state.next_epoch;
            let at_epoch = |e: NetError| match e {
                NetError::Diverged { what, .. } => NetError::Diverged { epoch, what },
                other => other,
            };
            let started = Instant::now();
            batches.shuffle(epoch);
            // Σ_batches cost_b·rows_b / n: the mean of the samples' losses over the epoch,
            // each batch's taken before its own step.
            let mut weighted = F::zero();
            let mut rate = config.rate;
            let mut samples = 0;
            for k in 0..count {
                rate = config.schedule.rate(config.rate, epoch, config.epochs, k, count);
                let (x, y) = batches.batch(k);
                let rows = x.nrows();
                let cost = trainer.step_with_rate(mlp, &x, &y, config, rate).map_err(at_epoch)?;
                weighted += cost * cast::<F>(rows as f64);
                samples += rows;
                if let Some(on_batch) = &mut self.on_batch {
                    on_batch(&BatchProgress { epoch, batch: k, batches: count, samples, cost });
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            let validation = match self.validation {
                Some(held_out) => Some(evaluate(mlp, held_out, config.loss)?),
                None => None,
            };
            let train_cost = weighted / cast(n as f64);
            let stop = match (self.early_stopping, validation) {
                (Some(stopping), Some(metrics)) => {
                    state.observe_validation(epoch, metrics.cost, mlp, stopping.patience)
                }
                _ => false,
            };
            let record = EpochRecord { epoch, train_cost, validation, rate, seconds };
            state.history.push(record);
            state.next_epoch = epoch + 1;
            let last = state.next_epoch == config.epochs || stop;
            if let Some(checkpoint) = &checkpoint
                && (last || state.next_epoch % checkpoint.every() == 0)
            {
                checkpoint.save(mlp, trainer.optimizer_state(), &state, config)?;
            }
            let progress =
                Progress { epoch, epochs: config.epochs, cost: train_cost, record: &record, mlp };
            // The callback sees every epoch run, the one early stopping ends on included.
            let broken = on_epoch(&progress).is_break();
            if stop || broken {
                stopped_early = state.next_epoch < config.epochs;
                break;
            }
        }

        let best_epoch = match (self.early_stopping, &state.best) {
            (Some(_), Some(best)) => {
                mlp.clone_from(&best.mlp);
                Some(best.epoch)
            }
            _ => None,
        };
        let final_cost = crate::metrics::evaluate(mlp, data, config.loss)?.cost;
        if !final_cost.is_finite() {
            // The last step left finite parameters (the step checks that) whose cost is
            // not finite: the divergence the next epoch's step would have reported.
            return Err(NetError::Diverged { epoch: state.history.len(), what: "cost" });
        }
        let epochs = state.history;
        Ok(History { epochs, final_cost, stopped_early, best_epoch })
    }
}
