//! The per-batch scratch of feed-forward and back-propagation.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, NdFloat, s};

use crate::{Mlp, NetError};

/// Buffers for one batch of up to [`capacity`](Workspace::capacity) rows: each layer's
/// activations `A_l` and errors `Δ_l`, `rows × d_l` each.
///
/// Built once and reused every step, so a training step allocates nothing once warm. A batch with
/// fewer rows (the last mini-batch of an epoch) uses the top rows of each buffer.
#[derive(Clone, Debug)]
pub struct Workspace<F> {
    sizes: Vec<usize>,
    capacity: usize,
    /// `a[l]` holds the output of layer `l` (the inputs are not copied in).
    pub(crate) a: Vec<Array2<F>>,
    /// `delta[l]` holds `Δ_l = ∂C/∂Z_l` for layer `l`.
    pub(crate) delta: Vec<Array2<F>>,
}

impl<F: NdFloat> Workspace<F> {
    /// Buffers for `mlp` and batches of at most `rows` rows.
    pub fn new(mlp: &Mlp<F>, rows: usize) -> Self {
        let sizes = mlp.architecture().sizes().to_vec();
        let buffers = || sizes[1..].iter().map(|&d| Array2::zeros((rows, d))).collect();
        Workspace { capacity: rows, a: buffers(), delta: buffers(), sizes }
    }

    /// The largest batch the workspace holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The activations of layer `l` for the first `n` rows of the last batch.
    pub(crate) fn activations(&self, l: usize, n: usize) -> ArrayView2<'_, F> {
        self.a[l].slice(s![..n, ..])
    }

    /// The previous layer's activations (`None` for the first layer, whose input is the
    /// batch itself) and this layer's buffer to write, both cut to `n` rows.
    pub(crate) fn layer_pair_mut(
        &mut self,
        l: usize,
        n: usize,
    ) -> (Option<ArrayView2<'_, F>>, ArrayViewMut2<'_, F>) {
        let (before, from) = self.a.split_at_mut(l);
        let prev = before.last().map(|a| a.slice(s![..n, ..]));
        (prev, from[0].slice_mut(s![..n, ..]))
    }

    /// A workspace is tied to the sizes of the network it was built for.
    pub(crate) fn check_fits(&self, mlp: &Mlp<F>) -> Result<(), NetError> {
        if self.sizes == mlp.architecture().sizes() {
            Ok(())
        } else {
            Err(NetError::ShapeMismatch {
                what: "workspace",
                expected: crate::Architecture::new(self.sizes.clone())
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                found: mlp.architecture().to_string(),
            })
        }
    }

    pub(crate) fn check_rows(&self, rows: usize) -> Result<(), NetError> {
        if rows <= self.capacity {
            Ok(())
        } else {
            Err(NetError::BatchTooLarge { capacity: self.capacity, rows })
        }
    }
}
