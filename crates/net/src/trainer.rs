//! One step of gradient descent, with its buffers.

use ndarray::{ArrayRef2, NdFloat};

use crate::check::{cast, check_rate};
use crate::finite_difference::finite_difference_unchecked;
use crate::{Gradient, GradientMethod, Mlp, NetError, TrainConfig, Workspace};

/// The buffers of a training loop (a [`Workspace`] and a [`Gradient`]), built once, and
/// the step that uses them: [`Trainer::step`] allocates no buffers of its own (the
/// matrix-product kernel, matrixmultiply, allocates a packing buffer per product).
///
/// [`train`](crate::train) runs this for a number of epochs; use it directly to drive your
/// own loop.
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
    workspace: Workspace<F>,
    gradient: Gradient<F>,
    steps: usize,
}

impl<F: NdFloat> Trainer<F> {
    /// Buffers for `mlp` and batches of up to `rows` rows.
    pub fn new(mlp: &Mlp<F>, rows: usize) -> Self {
        Trainer { workspace: Workspace::new(mlp, rows), gradient: Gradient::zeros(mlp), steps: 0 }
    }

    /// One step of gradient descent on a batch: computes the cost `C(θ)` and its gradient
    /// by `config.method`, then `θ ← θ − rate·∇C`. Returns the cost before the step.
    ///
    /// The batch is checked in O(1) (widths and rows, not values: check values once, with
    /// [`Dataset`](crate::Dataset)).
    ///
    /// # Errors
    /// [`NetError::InvalidRate`] or [`NetError::InvalidStep`] for bad settings; the batch
    /// errors of [`Mlp::gradient_into`]; [`NetError::Diverged`] if the cost, the gradient or
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
        mlp.check_batch(&self.workspace, x, y)?;
        self.gradient.check_fits(mlp)?;
        let cost = match config.method {
            GradientMethod::BackPropagation => {
                let n = cast::<F>(x.nrows() as f64);
                let sum = mlp.gradient_sums_unchecked(
                    &mut self.workspace,
                    x,
                    y,
                    config.loss,
                    &mut self.gradient,
                );
                self.gradient.scale(F::one() / n);
                sum / n
            }
            GradientMethod::FiniteDifference(settings) => {
                settings.check()?;
                finite_difference_unchecked(
                    mlp,
                    &mut self.workspace,
                    x,
                    y,
                    config.loss,
                    settings,
                    &mut self.gradient,
                )
            }
        };
        if !cost.is_finite() {
            return Err(NetError::Diverged { epoch: self.steps, what: "cost" });
        }
        if !self.gradient.is_finite() {
            return Err(NetError::Diverged { epoch: self.steps, what: "gradient" });
        }
        if !mlp.descend_if_finite(&self.gradient, config.rate) {
            return Err(NetError::Diverged { epoch: self.steps, what: "parameter update" });
        }
        self.steps += 1;
        Ok(cost)
    }

    /// The cost of a batch at the current parameters, through the trainer's workspace.
    ///
    /// # Errors
    /// The batch errors of [`Mlp::gradient_into`].
    pub fn cost(
        &mut self,
        mlp: &Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        loss: crate::Loss,
    ) -> Result<F, NetError> {
        mlp.check_batch(&self.workspace, x, y)?;
        Ok(mlp.cost_unchecked(&mut self.workspace, x, y, loss))
    }

    /// The gradient of the last step.
    pub fn gradient(&self) -> &Gradient<F> {
        &self.gradient
    }

    /// The number of steps taken.
    pub fn steps(&self) -> usize {
        self.steps
    }
}
