//! One step of gradient descent, with its buffers and the optimizer's state.

use ndarray::{ArrayRef2, NdFloat};

use crate::direct_run::{DirectBuffers, DirectRun};
use crate::finite_difference::finite_difference_unchecked;
use crate::optimizer::StepSettings;
use crate::{
    BatchGradient, Chunking, Gradient, GradientMethod, Mlp, NetError, Optimizer, OptimizerState,
    TrainConfig,
};

/// The buffers of a training loop (a [`BatchGradient`]: each chunk's workspace and
/// gradient), built once, the optimizer's state ([`OptimizerState`], its buffers built at
/// the first step), the buffers of [`Trainer::repeat_step`]'s direct run (grown at its
/// first run), and the step that uses them: [`Trainer::step`] and
/// [`Trainer::repeat_step`] allocate nothing once warm (crates/net/tests/no_allocation.rs
/// counts them).
///
/// [`train`](crate::train()) runs this over epochs and mini-batches; use it directly to
/// drive your own loop. A step runs in the rayon pool it is called from (see the crate
/// docs) and gives the same bits on any number of threads.
///
/// ```
/// use ndarray::array;
/// use nn_net::{Activation, Architecture, Init, Mlp, TrainConfig, Trainer};
/// use nn_net::rand::{SeedableRng, rngs::StdRng};
///
/// let arch: Architecture = "2-1".parse()?;
/// let mut net = Mlp::<f32>::new(&arch, &[Activation::Sigmoid], Init::default(), &mut StdRng::seed_from_u64(1))?;
/// let x = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// let y = array![[0.0], [1.0], [1.0], [1.0]]; // OR
/// let config = TrainConfig { rate: 1.0, ..TrainConfig::default() };
/// let mut trainer = Trainer::new(&net, 4);
/// let first = trainer.step(&mut net, &x, &y, &config)?;
/// let mut last = first;
/// for _ in 0..1000 {
///     last = trainer.step(&mut net, &x, &y, &config)?;
/// }
/// assert!(last < first / 10.0);
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Trainer<F> {
    batch: BatchGradient<F>,
    /// The optimizer's buffers and the count of steps taken.
    state: OptimizerState<F>,
    /// The direct run's buffers ([`Trainer::repeat_step`]), empty until its first run.
    direct: DirectBuffers<F>,
}

impl<F: NdFloat> Trainer<F> {
    /// Buffers for `mlp` and batches of up to `rows` rows, cut by the default [`Chunking`].
    ///
    /// # Panics
    /// If the buffers would take more than [`DEFAULT_MEMORY_LIMIT`](crate::DEFAULT_MEMORY_LIMIT)
    /// (8 GiB), rather than let the allocation take the machine's memory:
    /// [`Trainer::with_chunking`] and [`Trainer::from_config`] return that as an error.
    pub fn new(mlp: &Mlp<F>, rows: usize) -> Self {
        match Self::with_chunking(mlp, rows, Chunking::default()) {
            Ok(trainer) => trainer,
            // The default chunking is valid, so this is the memory limit.
            Err(e) => panic!("{e}"),
        }
    }

    /// Buffers for `mlp` and batches of up to `rows` rows, cut by `chunking`.
    ///
    /// # Errors
    /// [`NetError::InvalidChunkRows`] for a chunking of zero rows; [`NetError::MemoryLimit`]
    /// for buffers over [`DEFAULT_MEMORY_LIMIT`](crate::DEFAULT_MEMORY_LIMIT), 8 GiB (an
    /// optimizer's buffers, made at its first step, are not counted here:
    /// [`Trainer::from_config`] counts them, within a limit of your choice).
    pub fn with_chunking(mlp: &Mlp<F>, rows: usize, chunking: Chunking) -> Result<Self, NetError> {
        let batch = BatchGradient::new(mlp, rows, chunking)?;
        // Plain SGD keeps no buffers; another optimizer gets its own at its first step.
        Ok(Trainer {
            batch,
            state: OptimizerState::new(Optimizer::Sgd, mlp),
            direct: DirectBuffers::default(),
        })
    }

    /// Buffers for `mlp` and batches of up to `rows` rows, for steps with `config`'s
    /// settings: cut by `config.chunking`, with `config.optimizer`'s buffers made now, and
    /// all of them ([`trainer_bytes`](crate::trainer_bytes)) within
    /// `config.memory_limit` bytes, checked before anything is allocated.
    ///
    /// ```
    /// use nn_net::{Activation, Init, Mlp, NetError, Optimizer, TrainConfig, Trainer};
    /// use nn_net::rand::{SeedableRng, rngs::StdRng};
    ///
    /// let net = Mlp::<f32>::new(&"1000-1000-10".parse()?, &[Activation::Relu, Activation::Softmax], Init::He, &mut StdRng::seed_from_u64(1))?;
    /// let config = TrainConfig { optimizer: Optimizer::adam(), memory_limit: 1 << 20, ..TrainConfig::default() };
    /// // 1,011,010 parameters: a gradient and Adam's two moments are 12 MB of f32 alone.
    /// let e = Trainer::from_config(&net, 64, &config).unwrap_err();
    /// assert!(matches!(e, NetError::MemoryLimit { limit: 1_048_576, .. }));
    /// assert!(e.to_string().contains("raise it with TrainConfig::memory_limit"));
    /// let roomy = TrainConfig { memory_limit: 1 << 30, ..config };
    /// let trainer = Trainer::from_config(&net, 64, &roomy)?;
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    ///
    /// # Errors
    /// [`NetError::InvalidChunkRows`] or [`NetError::InvalidSetting`] for a bad chunking;
    /// [`NetError::MemoryLimit`] for buffers over the limit.
    pub fn from_config(
        mlp: &Mlp<F>,
        rows: usize,
        config: &TrainConfig<F>,
    ) -> Result<Self, NetError> {
        config.chunking.check()?;
        let arch = mlp.architecture();
        crate::memory::check_memory(
            || {
                format!(
                    "training buffers of {arch} for batches of {rows} rows with {}",
                    config.optimizer
                )
            },
            crate::trainer_bytes(arch, rows, config.chunking, &config.optimizer),
            config.memory_limit,
            "TrainConfig::memory_limit",
        )?;
        let batch = BatchGradient::with_memory_limit(mlp, rows, config.chunking, u64::MAX)?;
        Ok(Trainer {
            batch,
            state: OptimizerState::new(config.optimizer, mlp),
            direct: DirectBuffers::default(),
        })
    }

    /// One step of gradient descent on a batch at the rate `config.rate`: computes the cost
    /// `C(θ)` and its gradient by `config.method`, then changes the parameters by
    /// `config.optimizer` (with the default SGD, `θ ← θ − rate·∇C`), after the clipping and
    /// weight decay of `config`. Returns the cost before the step.
    ///
    /// Back-propagation runs chunk by chunk in the current rayon pool ([`BatchGradient`]);
    /// finite differences run serially. The batch is checked in O(1) (widths and rows, not
    /// values: check values once, with [`Dataset`](crate::Dataset)).
    ///
    /// # Errors
    /// [`NetError::InvalidRate`], [`NetError::InvalidStep`] or [`NetError::InvalidSetting`]
    /// for bad settings; [`NetError::InvalidOptimizerState`] for an optimizer other than
    /// the one this trainer has been stepping with; the batch and loss errors
    /// of [`Mlp::gradient_into`]; [`NetError::Diverged`] if the cost, the gradient, any updated
    /// parameter or any updated optimizer buffer would not be finite (`what` is
    /// `parameter update` for either), in which case the parameters and the optimizer's
    /// state are left as they were (its `epoch` is the number of steps this trainer had
    /// taken).
    pub fn step(
        &mut self,
        mlp: &mut Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        config: &TrainConfig<F>,
    ) -> Result<F, NetError> {
        self.step_with_rate(mlp, x, y, config, config.rate)
    }

    /// [`Trainer::step`] at the learning rate `rate` instead of `config.rate`: the step of
    /// a schedule ([`Schedule::rate`](crate::Schedule::rate) gives it).
    ///
    /// # Errors
    /// As [`Trainer::step`]; [`NetError::InvalidRate`] if `rate` is not a positive finite
    /// number.
    pub fn step_with_rate(
        &mut self,
        mlp: &mut Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        config: &TrainConfig<F>,
        rate: F,
    ) -> Result<F, NetError> {
        let settings = self.check_step(mlp, x, y, config, rate)?;
        self.step_unchecked(mlp, x, y, config, &settings)
    }

    /// `count` steps of [`Trainer::step`] on the same batch (full-batch gradient descent),
    /// with the settings, the batch and the state checked once: the bits of `count` calls
    /// to `step`, and the same errors, but the checks and the views of the buffers are
    /// not repeated every step. Returns the cost before the last step (with a `count` of 0,
    /// the cost at the current parameters, and no step is taken).
    ///
    /// For a network on the direct path (every layer at most 16 weights, as the lessons'
    /// NAND neuron and XOR network), a batch of one chunk and the plain rule (SGD, no weight
    /// decay, no clipping), the whole run is one loop over flat buffers, vectorised along
    /// the batch's samples (docs/architecture.md): the checks and the views of a step
    /// cost more than such a step's arithmetic (docs/performance.md, the NAND neuron's 8
    /// million epochs). Other runs are `count` steps through the general path. The direct
    /// run's buffers (a flat copy of the parameters and the batch's activations) belong to
    /// the trainer: grown at the first run to the batch's need and reused, so a warm
    /// `repeat_step` allocates nothing (crates/net/tests/no_allocation.rs counts it), and
    /// counted in [`trainer_bytes`](crate::trainer_bytes), the memory limit of
    /// [`Trainer::from_config`].
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_net::{Activation, Init, Mlp, TrainConfig, Trainer};
    /// use nn_net::rand::{SeedableRng, rngs::StdRng};
    ///
    /// let mut net = Mlp::<f32>::new(&"2-1".parse()?, &[Activation::Sigmoid], Init::default(), &mut StdRng::seed_from_u64(1))?;
    /// let x = array![[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    /// let y = array![[1.0], [1.0], [1.0], [0.0]]; // NAND
    /// let config = TrainConfig { rate: 1.0, ..TrainConfig::default() };
    ///
    /// let mut one_by_one = (net.clone(), Trainer::new(&net, 4));
    /// let mut trainer = Trainer::new(&net, 4);
    /// let last = trainer.repeat_step(&mut net, &x, &y, &config, 1000)?;
    /// let mut last_one = 0.0;
    /// for _ in 0..1000 {
    ///     last_one = one_by_one.1.step(&mut one_by_one.0, &x, &y, &config)?;
    /// }
    /// assert_eq!((last, &net), (last_one, &one_by_one.0));
    /// assert_eq!(trainer.steps(), 1000);
    /// assert!(trainer.cost(&net, &x, &y, config.loss)? < 0.05);
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Trainer::step`]. If step `k` diverges, the parameters and the state are those
    /// after step `k − 1`, as `step` would leave them, and the error's `epoch` counts the
    /// steps taken before it.
    pub fn repeat_step(
        &mut self,
        mlp: &mut Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        config: &TrainConfig<F>,
        count: usize,
    ) -> Result<F, NetError> {
        let settings = self.check_step(mlp, x, y, config, config.rate)?;
        if count == 0 {
            // `Trainer::cost` without its check: the batch was just checked.
            let (workspace, _) = self.batch.first_chunk_mut();
            return Ok(mlp.cost_unchecked(workspace, x, y, config.loss));
        }
        let n = x.nrows();
        if let (Some(rate), 1, Some(xs), Some(ys)) =
            (settings.plain_rate(), self.batch.chunk_count(n), x.as_slice(), y.as_slice())
        {
            let (_, gradient) = self.batch.first_chunk_mut();
            let buffers = &mut self.direct;
            if let Some(run) = DirectRun::new(mlp, gradient, buffers, (xs, ys, n), config.loss) {
                let (taken, outcome) = run.descend(config.method, rate, count);
                self.state.count_steps(settings.optimizer(), taken);
                return outcome
                    .map_err(|what| NetError::Diverged { epoch: self.state.steps(), what });
            }
        }
        let mut cost = F::zero();
        for _ in 0..count {
            cost = self.step_unchecked(mlp, x, y, config, &settings)?;
        }
        Ok(cost)
    }

    /// The O(1) checks of a step: its settings, the batch against the network and the
    /// buffers, the optimizer against the state (whose buffers are built before the first
    /// step), and the finite-difference settings.
    fn check_step(
        &mut self,
        mlp: &Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        config: &TrainConfig<F>,
        rate: F,
    ) -> Result<StepSettings<F>, NetError> {
        let settings = StepSettings::new(config, rate)?;
        self.batch.check(mlp, x, y, config.loss)?;
        self.state.prepare(settings.optimizer(), mlp)?;
        if let GradientMethod::FiniteDifference(differences) = config.method {
            differences.check()?;
        }
        Ok(settings)
    }

    /// A step, everything checked by [`Trainer::check_step`].
    fn step_unchecked(
        &mut self,
        mlp: &mut Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        config: &TrainConfig<F>,
        settings: &StepSettings<F>,
    ) -> Result<F, NetError> {
        let cost = match config.method {
            GradientMethod::BackPropagation => {
                self.batch.compute_unchecked(mlp, x.view(), y.view(), config.loss)
            }
            GradientMethod::FiniteDifference(differences) => {
                let (workspace, gradient) = self.batch.first_chunk_mut();
                finite_difference_unchecked(
                    mlp,
                    workspace,
                    x,
                    y,
                    config.loss,
                    differences,
                    gradient,
                )
            }
        };
        let gradient = self.batch.gradient();
        if !cost.is_finite() {
            return Err(NetError::Diverged { epoch: self.state.steps(), what: "cost" });
        }
        // One checked update: a non-finite gradient makes a non-finite update, so the
        // gradient itself is only examined to name the cause.
        if !self.state.apply(mlp, gradient, settings) {
            let what = if gradient.is_finite() { "parameter update" } else { "gradient" };
            return Err(NetError::Diverged { epoch: self.state.steps(), what });
        }
        Ok(cost)
    }

    /// The cost of a batch at the current parameters, through the trainer's buffers.
    ///
    /// # Errors
    /// The batch and loss errors of [`Mlp::gradient_into`].
    pub fn cost(
        &mut self,
        mlp: &Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        loss: crate::Loss,
    ) -> Result<F, NetError> {
        self.batch.check(mlp, x, y, loss)?;
        let (workspace, _) = self.batch.first_chunk_mut();
        Ok(mlp.cost_unchecked(workspace, x, y, loss))
    }

    /// The gradient of the last step.
    pub fn gradient(&self) -> &Gradient<F> {
        self.batch.gradient()
    }

    /// The number of steps taken (counting those of a restored state).
    pub fn steps(&self) -> usize {
        self.state.steps()
    }

    /// The optimizer's state: what a checkpoint saves, with the parameters, to resume the
    /// run exactly.
    pub fn optimizer_state(&self) -> &OptimizerState<F> {
        &self.state
    }

    /// Replaces the optimizer's state by a saved one, so that the next steps continue the
    /// run it was saved from, to the bit.
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_net::{Activation, Init, Mlp, Optimizer, OptimizerState, TrainConfig, Trainer};
    /// use nn_net::rand::{SeedableRng, rngs::StdRng};
    ///
    /// let mut net = Mlp::<f64>::new(&"2-1".parse()?, &[Activation::Sigmoid], Init::Xavier, &mut StdRng::seed_from_u64(1))?;
    /// let (x, y) = (array![[0.0, 1.0], [1.0, 0.0]], array![[1.0], [0.0]]);
    /// let config = TrainConfig { rate: 0.01, optimizer: Optimizer::adam(), ..TrainConfig::default() };
    /// let mut trainer = Trainer::new(&net, 2);
    /// trainer.step(&mut net, &x, &y, &config)?;
    ///
    /// // Saved as parts, then restored into a trainer that has taken no step.
    /// let saved = trainer.optimizer_state();
    /// let (optimizer, steps, slots) = (saved.optimizer(), saved.steps(), saved.slots().to_vec());
    /// let mut resumed = Trainer::new(&net, 2);
    /// resumed.restore_optimizer_state(OptimizerState::from_parts(optimizer, steps, slots)?)?;
    /// let mut again = net.clone();
    /// resumed.step(&mut again, &x, &y, &config)?;
    /// trainer.step(&mut net, &x, &y, &config)?;
    /// assert_eq!(again, net);
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    ///
    /// # Errors
    /// [`NetError::ShapeMismatch`] if the state's buffers are not shaped like this
    /// trainer's network; the trainer is then unchanged.
    pub fn restore_optimizer_state(&mut self, state: OptimizerState<F>) -> Result<(), NetError> {
        state.check_fits(self.batch.gradient())?;
        self.state = state;
        Ok(())
    }
}
