//! What an optimizer keeps between steps: the step count and its buffers.

use ndarray::NdFloat;

use crate::{Gradient, Mlp, NetError, Optimizer};

/// An optimizer's memory: the number of steps taken `t` and zero, one or two buffers shaped
/// like the gradient (the velocity of momentum, the moments of Adam, the mean square of
/// RMSProp), built once and updated in place by every step.
///
/// A [`Trainer`](crate::Trainer) owns one. To stop a run and resume it exactly, save the
/// parameters and this state ([`OptimizerState::optimizer`], [`OptimizerState::steps`],
/// [`OptimizerState::slots`] under [`OptimizerState::slot_names`]), then rebuild it with
/// [`OptimizerState::from_parts`] and hand it to
/// [`Trainer::restore_optimizer_state`](crate::Trainer::restore_optimizer_state): the steps
/// that follow are the same to the last bit as those of a run that never stopped.
///
/// ```
/// use nn_net::{Optimizer, OptimizerState};
///
/// // A fresh Adam state for a 2-1 network has two zero buffers of three entries.
/// let net = nn_net::Mlp::<f64>::from_layers(vec![nn_net::Layer::new(
///     ndarray::array![[0.5], [0.5]], ndarray::array![0.0], nn_net::Activation::Identity)?])?;
/// let state = OptimizerState::new(Optimizer::adam(), &net);
/// assert_eq!(state.slot_names(), ["first_moment", "second_moment"]);
/// assert_eq!(state.slots()[1].len(), 3);
///
/// // Taken apart and put back together, as a checkpoint would.
/// let again = OptimizerState::from_parts(state.optimizer(), state.steps(), state.slots().to_vec())?;
/// assert_eq!(again, state);
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState<F> {
    /// The optimizer of the last step (its hyperparameters may change between steps; the
    /// meaning of the buffers may not).
    pub(super) optimizer: Optimizer<F>,
    /// Steps taken, `t` of the last step.
    pub(super) steps: usize,
    /// One buffer per name of `optimizer.slot_names()`.
    pub(super) slots: Vec<Gradient<F>>,
}

impl<F: NdFloat> OptimizerState<F> {
    /// The state before the first step: no steps, every buffer zero, shaped like `mlp`.
    pub fn new(optimizer: Optimizer<F>, mlp: &Mlp<F>) -> Self {
        let slots = optimizer.slot_names().iter().map(|_| Gradient::zeros(mlp)).collect();
        OptimizerState { optimizer, steps: 0, slots }
    }

    /// A state from its saved parts, checked: the hyperparameters, one buffer per
    /// [`Optimizer::slot_names`], all of one shape, finite, and the mean squares (Adam's
    /// `second_moment`, RMSProp's `mean_square`) not negative.
    ///
    /// # Errors
    /// [`NetError::InvalidSetting`] for bad hyperparameters;
    /// [`NetError::InvalidOptimizerState`] naming the first buffer that is missing, extra,
    /// of another shape, not finite or negative where it cannot be.
    pub fn from_parts(
        optimizer: Optimizer<F>,
        steps: usize,
        slots: Vec<Gradient<F>>,
    ) -> Result<Self, NetError> {
        optimizer.check()?;
        let names = optimizer.slot_names();
        let invalid = |reason: String| Err(NetError::InvalidOptimizerState { reason });
        if slots.len() != names.len() {
            return invalid(format!(
                "{optimizer} keeps {} buffer{} ({}); found {}",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                if names.is_empty() { "none".to_owned() } else { names.join(", ") },
                slots.len()
            ));
        }
        for (slot, name) in slots.iter().zip(names) {
            if !same_shape(slot, &slots[0]) {
                return invalid(format!(
                    "the {name} buffer is shaped for {}; the {} buffer for {}",
                    sizes(slot),
                    names[0],
                    sizes(&slots[0])
                ));
            }
            if let Some(v) = slot.iter().find(|v| !v.is_finite()) {
                return invalid(format!("expected finite numbers in the {name} buffer; found {v}"));
            }
            if holds_squares(name)
                && let Some(v) = slot.iter().find(|v| *v < F::zero())
            {
                return invalid(format!(
                    "expected a {name} buffer of means of squares, at least 0; found {v}"
                ));
            }
        }
        Ok(OptimizerState { optimizer, steps, slots })
    }

    /// The optimizer the state is for, with the hyperparameters of its last step.
    pub fn optimizer(&self) -> Optimizer<F> {
        self.optimizer
    }

    /// The number of steps taken (Adam's `t` before the next step).
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The buffers, shaped like the gradient, in the order of
    /// [`OptimizerState::slot_names`].
    pub fn slots(&self) -> &[Gradient<F>] {
        &self.slots
    }

    /// The names of the buffers, as [`Optimizer::slot_names`].
    pub fn slot_names(&self) -> &'static [&'static str] {
        self.optimizer.slot_names()
    }

    /// The buffers must be shaped like `gradient`, the network's.
    pub(crate) fn check_fits(&self, gradient: &Gradient<F>) -> Result<(), NetError> {
        match self.slots.iter().find(|slot| !same_shape(slot, gradient)) {
            None => Ok(()),
            Some(slot) => Err(NetError::ShapeMismatch {
                what: "optimizer state",
                expected: sizes(slot),
                found: sizes(gradient),
            }),
        }
    }

    /// Makes the state ready for a step of `optimizer` on `mlp` (already checked to fit the
    /// trainer): before the first step, the buffers are built for it; after, it must keep
    /// the same buffers as the steps before.
    pub(crate) fn prepare(
        &mut self,
        optimizer: Optimizer<F>,
        mlp: &Mlp<F>,
    ) -> Result<(), NetError> {
        if optimizer.slot_names() == self.optimizer.slot_names() {
            return Ok(());
        }
        if self.steps == 0 {
            *self = OptimizerState::new(optimizer, mlp);
            return Ok(());
        }
        Err(NetError::InvalidOptimizerState {
            reason: format!(
                "the trainer has taken {} steps of {} and keeps its buffers; the settings ask \
                 for {optimizer} (start a new Trainer to change the optimizer)",
                self.steps, self.optimizer
            ),
        })
    }
}

/// Whether a buffer holds running means of squares, which cannot be negative.
fn holds_squares(name: &str) -> bool {
    matches!(name, "second_moment" | "mean_square")
}

/// Whether two gradients have the same layers of the same shapes.
fn same_shape<F: NdFloat>(a: &Gradient<F>, b: &Gradient<F>) -> bool {
    a.layers().len() == b.layers().len()
        && a.layers().iter().zip(b.layers()).all(|(a, b)| a.w().dim() == b.w().dim())
}

/// The architecture a gradient is shaped for, as `2-3-1`.
fn sizes<F: NdFloat>(g: &Gradient<F>) -> String {
    let first = g.layers().first().map(|l| l.w().nrows());
    let sizes: Vec<String> = first
        .into_iter()
        .chain(g.layers().iter().map(|l| l.w().ncols()))
        .map(|s| s.to_string())
        .collect();
    sizes.join("-")
}
