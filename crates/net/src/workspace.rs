//! The per-batch scratch of feed-forward and back-propagation.

use ndarray::{Array2, ArrayRef2, ArrayView2, ArrayViewMut2, Axis, NdFloat};

use crate::{Mlp, NetError};

/// What [`Workspace::layer_mut`] lends: the input activations, the output buffer, and
/// (last layer only) the buffer for the pre-activations.
pub(crate) type LayerBuffers<'w, F> =
    (Option<ArrayView2<'w, F>>, ArrayViewMut2<'w, F>, Option<ArrayViewMut2<'w, F>>);

/// Buffers for one batch of up to [`capacity`](Workspace::capacity) rows: each layer's
/// activations `A_l` and errors `Δ_l`, `rows × d_l` each, and the output layer's
/// pre-activations `Z_L` (the logits, `rows × d_L`), which the cross-entropies read.
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
    /// The last layer's pre-activations `Z_L`, before the activation overwrites them in
    /// `a`: the cross-entropies take their logarithms from these, exactly, where the
    /// outputs may have rounded to 0 or 1.
    pub(crate) z_last: Array2<F>,
}

impl<F: NdFloat> Workspace<F> {
    /// Buffers for `mlp` and batches of at most `rows` rows.
    pub fn new(mlp: &Mlp<F>, rows: usize) -> Self {
        let sizes = mlp.architecture().sizes().to_vec();
        let buffers = || sizes[1..].iter().map(|&d| Array2::zeros((rows, d))).collect();
        let z_last = Array2::zeros((rows, mlp.outputs()));
        Workspace { capacity: rows, a: buffers(), delta: buffers(), z_last, sizes }
    }

    /// The largest batch the workspace holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The activations of layer `l` for the first `n` rows of the last batch.
    pub(crate) fn activations(&self, l: usize, n: usize) -> ArrayView2<'_, F> {
        top(&self.a[l], n)
    }

    /// The last layer's pre-activations for the first `n` rows of the last batch.
    pub(crate) fn logits(&self, n: usize) -> ArrayView2<'_, F> {
        top(&self.z_last, n)
    }

    /// The previous layer's activations (`None` for the first layer, whose input is the
    /// batch itself), this layer's buffer to write, and for the last layer the buffer that
    /// keeps its pre-activations (`None` for the others), all cut to `n` rows.
    pub(crate) fn layer_mut(&mut self, l: usize, n: usize) -> LayerBuffers<'_, F> {
        let last = l + 1 == self.a.len();
        let (before, from) = self.a.split_at_mut(l);
        let prev = before.last().map(|a| top(a, n));
        let z = last.then(|| top_mut(&mut self.z_last, n));
        (prev, top_mut(&mut from[0], n), z)
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

/// The first `n` rows of a matrix, as a view: a split of the view at row `n`, which is
/// pointer arithmetic, where `slice(s![..n, ..])` runs ndarray's general slicing of every
/// axis (about 300 instructions, a tenth of the 5-bit adder's step in those calls).
///
/// # Panics
/// If `n` is more than the rows (the callers have checked the batch against the buffers).
pub(crate) fn top<F>(m: &ArrayRef2<F>, n: usize) -> ArrayView2<'_, F> {
    m.view().split_at(Axis(0), n).0
}

/// [`top`], mutable.
pub(crate) fn top_mut<F>(m: &mut ArrayRef2<F>, n: usize) -> ArrayViewMut2<'_, F> {
    m.view_mut().split_at(Axis(0), n).0
}
