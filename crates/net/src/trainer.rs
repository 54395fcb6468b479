//! One step of gradient descent, with its buffers.

use ndarray::{ArrayRef2, NdFloat};

use crate::check::check_rate;
use crate::finite_difference::finite_difference_unchecked;
use crate::{BatchGradient, Chunking, Gradient, GradientMethod, Mlp, NetError, TrainConfig};

/// The buffers of a training loop (a [`BatchGradient`]: each chunk's workspace and
/// gradient), built once, and the step that uses them: [`Trainer::step`] allocates nothing
/// once warm (crates/net/tests/no_allocation.rs counts it).
///
/// [`train`](crate::train) runs this over epochs and mini-batches; use it directly to
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
    steps: usize,
}

impl<F: NdFloat> Trainer<F> {
    /// Buffers for `mlp` and batches of up to `rows` rows, cut by the default [`Chunking`].
    pub fn new(mlp: &Mlp<F>, rows: usize) -> Self {
        match Self::with_chunking(mlp, rows, Chunking::default()) {
            Ok(trainer) => trainer,
            Err(e) => unreachable!("the default chunking is valid: {e}"),
        }
    }

    /// Buffers for `mlp` and batches of up to `rows` rows, cut by `chunking`.
    ///
    /// # Errors
    /// [`NetError::InvalidChunkRows`] for a chunking of zero rows.
    pub fn with_chunking(mlp: &Mlp<F>, rows: usize, chunking: Chunking) -> Result<Self, NetError> {
        Ok(Trainer { batch: BatchGradient::new(mlp, rows, chunking)?, steps: 0 })
    }

    /// One step of gradient descent on a batch: computes the cost `C(θ)` and its gradient
    /// by `config.method`, then `θ ← θ − rate·∇C`. Returns the cost before the step.
    ///
    /// Back-propagation runs chunk by chunk in the current rayon pool ([`BatchGradient`]);
    /// finite differences run serially. The batch is checked in O(1) (widths and rows, not
    /// values: check values once, with [`Dataset`](crate::Dataset)).
    ///
    /// # Errors
    /// [`NetError::InvalidRate`] or [`NetError::InvalidStep`] for bad settings; the batch
    /// and loss errors of [`Mlp::gradient_into`]; [`NetError::Diverged`] if the cost, the gradient or
    /// any updated parameter would not be finite, in which case the parameters are left as
    /// they were (its `epoch` is the number of steps this trainer had taken).
    pub fn step(
        &mut self,
        mlp: &mut Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        config: &TrainConfig<F>,
    ) -> Result<F, NetError> {
        check_rate(config.rate)?;
        self.batch.check(mlp, x, y, config.loss)?;
        let cost = match config.method {
            GradientMethod::BackPropagation => {
                self.batch.compute_unchecked(mlp, x.view(), y.view(), config.loss)
            }
            GradientMethod::FiniteDifference(settings) => {
                settings.check()?;
                let (workspace, gradient) = self.batch.first_chunk_mut();
                finite_difference_unchecked(mlp, workspace, x, y, config.loss, settings, gradient)
            }
        };
        let gradient = self.batch.gradient();
        if !cost.is_finite() {
            return Err(NetError::Diverged { epoch: self.steps, what: "cost" });
        }
        // One checked pass: a non-finite gradient makes a non-finite update, so the
        // gradient itself is only examined to name the cause.
        if !mlp.descend_if_finite(gradient, config.rate) {
            let what = if gradient.is_finite() { "parameter update" } else { "gradient" };
            return Err(NetError::Diverged { epoch: self.steps, what });
        }
        self.steps += 1;
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

    /// The number of steps taken.
    pub fn steps(&self) -> usize {
        self.steps
    }
}
