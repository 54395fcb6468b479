//! The gradient by finite differences: the reference back-propagation is tested against.

use ndarray::{Array1, Array2, ArrayRef2, NdFloat};

use crate::check::cast;
use crate::{Dataset, Gradient, Loss, Mlp, NetError, Workspace};

/// Which difference quotient approximates each partial derivative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Difference {
    /// `(C(θ + ε) − C(θ − ε)) / 2ε`: error of order `ε²`, two cost evaluations per
    /// parameter. The reference every gradient in the tests is checked against.
    #[default]
    Central,
    /// `(C(θ + ε) − C(θ)) / ε`: error of order `ε`, one evaluation per parameter plus one
    /// shared. The notes' method.
    Forward,
}

/// Settings of a finite-difference gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FiniteDifference<F> {
    /// The step `ε` added to each parameter in turn.
    pub step: F,
    /// The difference quotient.
    pub difference: Difference,
}

impl<F: NdFloat> Default for FiniteDifference<F> {
    /// Central differences with `ε = ∛(machine epsilon)` (about `6e-6` in `f64`, `5e-3` in
    /// `f32`), the step that balances the quotient's `ε²` error against rounding.
    fn default() -> Self {
        FiniteDifference { step: F::epsilon().cbrt(), difference: Difference::Central }
    }
}

impl<F: NdFloat> FiniteDifference<F> {
    /// The notes' settings: forward differences with the given step (they use `0.1`).
    pub fn forward(step: F) -> Self {
        FiniteDifference { step, difference: Difference::Forward }
    }

    /// Checks the step.
    ///
    /// # Errors
    /// [`NetError::InvalidStep`] for a step that is not a positive finite number.
    pub fn check(&self) -> Result<(), NetError> {
        if self.step.is_finite() && self.step > F::zero() {
            Ok(())
        } else {
            Err(NetError::InvalidStep { found: self.step.to_f64().unwrap_or(f64::NAN) })
        }
    }
}

/// The gradient of the cost of `data` by finite differences: the allocating convenience
/// over [`finite_difference_gradient_into`].
///
/// ```
/// use ndarray::array;
/// use nn_net::{finite_difference_gradient, Activation, Dataset, FiniteDifference, Layer, Loss, Mlp};
///
/// // y = x·w, w = 1.5, fitted to y = 2x: C'(w) = (1/3) Σ 2(1.5x − 2x)·x = −14/3
/// let net = Mlp::from_layers(vec![Layer::new(array![[1.5_f64]], array![0.0], Activation::Identity)?])?;
/// let data = Dataset::new(array![[1.0], [2.0], [3.0]], array![[2.0], [4.0], [6.0]])?;
/// let g = finite_difference_gradient(&net, &data, Loss::MeanSquaredError, FiniteDifference::default())?;
/// assert!((g.layers()[0].w()[[0, 0]] + 14.0 / 3.0).abs() < 1e-8);
/// # Ok::<(), nn_net::NetError>(())
/// ```
///
/// # Errors
/// As [`finite_difference_gradient_into`].
pub fn finite_difference_gradient<F: NdFloat>(
    mlp: &Mlp<F>,
    data: &Dataset<F>,
    loss: Loss,
    settings: FiniteDifference<F>,
) -> Result<Gradient<F>, NetError> {
    let mut probe = mlp.clone();
    let mut workspace = Workspace::new(mlp, data.len());
    let mut gradient = Gradient::zeros(mlp);
    finite_difference_gradient_into(
        &mut probe,
        &mut workspace,
        data.inputs(),
        data.targets(),
        loss,
        settings,
        &mut gradient,
    )?;
    Ok(gradient)
}

/// The gradient of the cost of a batch by finite differences, written into `gradient`;
/// returns the cost `C(θ)` at the unperturbed parameters.
///
/// Each parameter is moved by `ε` in turn and put back to its exact bits afterwards, so
/// `mlp` is unchanged when this returns (it is `&mut` only to avoid a copy). Costs
/// `2P + 1` (central: the base cost is returned too) or `P + 1` (forward) feed-forward passes for `P` parameters; allocates
/// nothing beyond what the matrix-product kernel needs.
///
/// # Errors
/// [`NetError::InvalidStep`] for a bad step; the batch and loss errors of
/// [`Mlp::gradient_into`].
pub fn finite_difference_gradient_into<F: NdFloat>(
    mlp: &mut Mlp<F>,
    workspace: &mut Workspace<F>,
    x: &ArrayRef2<F>,
    y: &ArrayRef2<F>,
    loss: Loss,
    settings: FiniteDifference<F>,
    gradient: &mut Gradient<F>,
) -> Result<F, NetError> {
    settings.check()?;
    mlp.check_batch(workspace, x, y)?;
    gradient.check_fits(mlp)?;
    loss.check_output(mlp.output_activation())?;
    Ok(finite_difference_unchecked(mlp, workspace, x, y, loss, settings, gradient))
}

/// The body of [`finite_difference_gradient_into`], everything already checked.
pub(crate) fn finite_difference_unchecked<F: NdFloat>(
    mlp: &mut Mlp<F>,
    workspace: &mut Workspace<F>,
    x: &ArrayRef2<F>,
    y: &ArrayRef2<F>,
    loss: Loss,
    settings: FiniteDifference<F>,
    gradient: &mut Gradient<F>,
) -> F {
    let eps = settings.step;
    let base = mlp.cost_unchecked(workspace, x, y, loss);
    let two_eps = cast::<F>(2.0) * eps;
    for l in 0..mlp.layers.len() {
        let count = mlp.layers[l].w.len() + mlp.layers[l].b.len();
        for index in 0..count {
            let original = parameter(mlp, l, index);
            set_parameter(mlp, l, index, original + eps);
            let plus = mlp.cost_unchecked(workspace, x, y, loss);
            let derivative = match settings.difference {
                Difference::Forward => (plus - base) / eps,
                Difference::Central => {
                    set_parameter(mlp, l, index, original - eps);
                    let minus = mlp.cost_unchecked(workspace, x, y, loss);
                    (plus - minus) / two_eps
                }
            };
            // Put back the exact original bits, not `original + ε − ε`.
            set_parameter(mlp, l, index, original);
            let g = &mut gradient.layers_mut()[l];
            *entry_mut(&mut g.w, &mut g.b, index) = derivative;
        }
    }
    base
}

/// Parameter `index` of layer `l`, counting the weights row by row, then the bias (the
/// order of [`Mlp::parameters`]).
fn parameter<F: NdFloat>(mlp: &mut Mlp<F>, l: usize, index: usize) -> F {
    let layer = &mut mlp.layers[l];
    *entry_mut(&mut layer.w, &mut layer.b, index)
}

fn set_parameter<F: NdFloat>(mlp: &mut Mlp<F>, l: usize, index: usize, value: F) {
    let layer = &mut mlp.layers[l];
    *entry_mut(&mut layer.w, &mut layer.b, index) = value;
}

/// Entry `index` of a weight matrix followed by its bias, in row-major order.
fn entry_mut<'a, F>(w: &'a mut Array2<F>, b: &'a mut Array1<F>, index: usize) -> &'a mut F {
    let (weights, cols) = (w.len(), w.ncols());
    if index < weights { &mut w[[index / cols, index % cols]] } else { &mut b[index - weights] }
}
