//! The gradient by back-propagation, over a whole batch at once.

use ndarray::{ArrayRef2, NdFloat};
use nn_tensor::{column_sums_into, matmul_a_bt_into, matmul_at_b_into};

use crate::check::cast;
use crate::workspace::{top, top_mut};
use crate::{Gradient, Loss, Mlp, NetError, Workspace};

impl<F: NdFloat> Mlp<F> {
    /// The cost of a batch and its gradient by back-propagation:
    /// returns `C = (1/n) Σ_i loss(a_i, y_i)` and writes `∂C/∂θ` into `gradient`.
    ///
    /// Vectorized over the batch: every layer is two matrix products (one for the first
    /// layer, which passes no error back to the inputs), not a loop over samples. Allocates
    /// nothing beyond what the matrix-product kernel itself needs.
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_net::{Activation, Gradient, Layer, Loss, Mlp, Workspace};
    ///
    /// // y = x·w with w = 1.5 and no bias, fitted to y = 2x at x = 1, 2, 3:
    /// // C'(w) = (1/n) Σ 2(x·w − y)·x = (1/3)·2·(−0.5)·(1 + 4 + 9) = −14/3
    /// let layer = Layer::new(array![[1.5_f64]], array![0.0], Activation::Identity)?;
    /// let net = Mlp::from_layers(vec![layer])?;
    /// let (x, y) = (array![[1.0], [2.0], [3.0]], array![[2.0], [4.0], [6.0]]);
    /// let mut workspace = Workspace::new(&net, 3);
    /// let mut gradient = Gradient::zeros(&net);
    /// let cost = net.gradient_into(&mut workspace, &x, &y, Loss::MeanSquaredError, &mut gradient)?;
    /// // C = (1/3)·0.25·(1 + 4 + 9)
    /// assert!((cost - 14.0 / 12.0).abs() < 1e-12);
    /// assert!((gradient.layers()[0].w()[[0, 0]] + 14.0 / 3.0).abs() < 1e-12);
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    ///
    /// # Errors
    /// [`NetError::InputWidth`], [`NetError::TargetWidth`] or [`NetError::RowMismatch`] if
    /// the batch does not fit the network; [`NetError::EmptyData`] for an empty batch;
    /// [`NetError::BatchTooLarge`] or [`NetError::ShapeMismatch`] for a workspace or
    /// gradient that does not fit; [`NetError::LossOutputMismatch`] if the loss does not
    /// work with the output activation.
    ///
    /// # Shapes
    /// `x` is `n × d_0` and `y` is `n × d_L`, with `0 < n ≤` [`Workspace::capacity`].
    pub fn gradient_into(
        &self,
        workspace: &mut Workspace<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        loss: Loss,
        gradient: &mut Gradient<F>,
    ) -> Result<F, NetError> {
        self.check_batch(workspace, x, y)?;
        gradient.check_fits(self)?;
        loss.check_output(self.output_activation())?;
        let n = cast::<F>(x.nrows() as f64);
        // Sums over the batch, divided by n once, at the end.
        self.forward_unchecked(workspace, x);
        let cost_sum =
            self.backward_sums_unchecked(workspace, (x, y), loss, gradient, F::one() / n);
        Ok(cost_sum / n)
    }

    /// Checks a batch against the network and a workspace: O(1), no pass over the data.
    pub(crate) fn check_batch(
        &self,
        workspace: &Workspace<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
    ) -> Result<(), NetError> {
        workspace.check_fits(self)?;
        self.check_input_width(x.ncols())?;
        if y.ncols() != self.outputs() {
            return Err(NetError::TargetWidth { expected: self.outputs(), found: y.ncols() });
        }
        if x.nrows() != y.nrows() {
            return Err(NetError::RowMismatch { inputs: x.nrows(), targets: y.nrows() });
        }
        if x.nrows() == 0 {
            return Err(NetError::EmptyData { rows: 0, inputs: x.ncols(), targets: y.ncols() });
        }
        workspace.check_rows(x.nrows())
    }

    /// Back-propagation of a batch whose forward pass over `x` the workspace holds (shapes
    /// and the loss already checked). Returns the loss sum `Σ_i loss(a_i, y_i)`, and writes the
    /// gradient of that sum times `scale` (the bits of [`Gradient::scale`] after the sums:
    /// the serial path's `1/n`, the direct path's without a second pass).
    pub(crate) fn backward_sums_unchecked(
        &self,
        workspace: &mut Workspace<F>,
        (x, y): (&ArrayRef2<F>, &ArrayRef2<F>),
        loss: Loss,
        gradient: &mut Gradient<F>,
        scale: F,
    ) -> F {
        let n = x.nrows();
        if self.takes_direct_path()
            && let (Some(xs), Some(ys)) = (x.as_slice(), y.as_slice())
        {
            let sums = (xs, ys, n);
            return crate::direct::backward_sums(self, workspace, sums, loss, gradient, scale);
        }
        let last = self.layers.len() - 1;
        let Workspace { a, delta, z_last, .. } = workspace;
        let a_last = top(&a[last], n);
        let cost_sum = loss.sum_with_logits(&top(z_last, n), &a_last, y);
        // Δ_L = ∂(Σ loss)/∂Z_L
        loss.output_delta_unchecked(
            &mut top_mut(&mut delta[last], n),
            &a_last,
            y,
            self.layers[last].activation,
        );

        for l in (0..=last).rev() {
            let (lower, upper) = delta.split_at_mut(l);
            let delta_l = top(&upper[0], n);
            let a_prev = if l == 0 { x.view() } else { top(&a[l - 1], n) };
            let g = &mut gradient.layers_mut()[l];
            // ∂C/∂W_l = A_{l-1}ᵀ · Δ_l  and  ∂C/∂b_l = Σ_rows Δ_l
            matmul_at_b_into(&mut g.w, &a_prev, &delta_l);
            column_sums_into(&mut g.b, &delta_l);
            if l > 0 {
                // Δ_{l-1} = (Δ_l · W_lᵀ) ⊙ f'_{l-1}(Z_{l-1}), per sample (row by row): no
                // sum over samples here, the sum happens in the products above.
                let mut delta_prev = top_mut(&mut lower[l - 1], n);
                matmul_a_bt_into(&mut delta_prev, &delta_l, &self.layers[l].w);
                self.layers[l - 1].activation.mul_derivative_inplace(&mut delta_prev, &a_prev);
            }
        }
        if scale != F::one() {
            gradient.scale(scale);
        }
        cost_sum
    }
}
