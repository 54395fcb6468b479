//! The gradient of the cost: one weight matrix and one bias vector per layer.

use std::ops::AddAssign;

use ndarray::{
    Array, Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Dimension,
    NdFloat, Zip,
};

use crate::{Mlp, NetError, elementwise};

/// `∂C/∂W_l` and `∂C/∂b_l` for one layer, shaped like the layer's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerGradient<F> {
    pub(crate) w: Array2<F>,
    pub(crate) b: Array1<F>,
}

impl<F: NdFloat> LayerGradient<F> {
    /// `∂C/∂W`, `d_prev × d`.
    pub fn w(&self) -> ArrayView2<'_, F> {
        self.w.view()
    }

    /// `∂C/∂b`, length `d`.
    pub fn b(&self) -> ArrayView1<'_, F> {
        self.b.view()
    }

    /// The weights' entries, to set in place (to load saved optimizer buffers, say); the
    /// shape stays fixed.
    pub fn w_mut(&mut self) -> ArrayViewMut2<'_, F> {
        self.w.view_mut()
    }

    /// The bias entries, to set in place; the length stays fixed.
    pub fn b_mut(&mut self) -> ArrayViewMut1<'_, F> {
        self.b.view_mut()
    }
}

/// The gradient of a cost with respect to every parameter of a network: the same shape as
/// the network, built once and overwritten (or zeroed) rather than rebuilt.
///
/// Gradients add (`g += &h`) and scale, so partial sums over parts of a batch combine
/// into the batch's gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient<F> {
    layers: Vec<LayerGradient<F>>,
}

impl<F: NdFloat> Gradient<F> {
    /// A zero gradient shaped like `mlp`.
    pub fn zeros(mlp: &Mlp<F>) -> Self {
        let layers = mlp
            .layers()
            .iter()
            .map(|layer| LayerGradient {
                w: Array2::zeros(layer.w.raw_dim()),
                b: Array1::zeros(layer.b.raw_dim()),
            })
            .collect();
        Gradient { layers }
    }

    /// The per-layer gradients, first to last.
    pub fn layers(&self) -> &[LayerGradient<F>] {
        &self.layers
    }

    /// The per-layer gradients, to set their entries in place (the shapes stay fixed).
    pub fn layers_mut(&mut self) -> &mut [LayerGradient<F>] {
        &mut self.layers
    }

    /// Sets every entry to zero, keeping the buffers.
    pub fn fill_zero(&mut self) {
        for g in &mut self.layers {
            g.w.fill(F::zero());
            g.b.fill(F::zero());
        }
    }

    /// Multiplies every entry by `factor`.
    pub fn scale(&mut self, factor: F) {
        // Over slices where the buffers are row-major (always, for the engine's): a
        // `mapv_inplace` per array was a tenth of the NAND neuron's step.
        fn scale<F: NdFloat, D: Dimension>(a: &mut Array<F, D>, factor: F) {
            match a.as_slice_mut() {
                Some(s) => s.iter_mut().for_each(|v| *v *= factor),
                None => a.mapv_inplace(|v| v * factor),
            }
        }
        for g in &mut self.layers {
            scale(&mut g.w, factor);
            scale(&mut g.b, factor);
        }
    }

    /// Every entry, in the order of [`Mlp::parameters`].
    pub fn iter(&self) -> impl Iterator<Item = F> + '_ {
        self.layers.iter().flat_map(|g| g.w.iter().chain(g.b.iter()).copied())
    }

    /// The number of entries (the network's parameter count).
    pub fn len(&self) -> usize {
        self.layers.iter().map(|g| g.w.len() + g.b.len()).sum()
    }

    /// Whether there are no entries (never, for a gradient of a valid network).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The Euclidean norm `‖g‖₂` over all entries.
    pub fn norm(&self) -> F {
        self.iter().fold(F::zero(), |acc, v| acc + v * v).sqrt()
    }

    /// Whether every entry is finite.
    pub fn is_finite(&self) -> bool {
        // A branch-free fold that vectorises, rather than a short-circuiting iterator.
        let finite = |ok: bool, v: &F| ok & v.is_finite();
        self.layers.iter().all(|g| g.w.fold(true, finite) & g.b.fold(true, finite))
    }

    /// A gradient is tied to the shape of the network it was built for.
    /// `self ← (self + other) · factor`, element by element: one addition of the batch
    /// sum's tree, with the final division by `n` folded into the last one (`factor` is 1
    /// below it, and multiplying by 1 is exact). Large layers are spread over the current
    /// rayon pool; every element is computed on its own, so the bits are those of `+=` then
    /// [`Gradient::scale`], on any number of threads.
    ///
    /// Shapes must match (the batch's chunks are built for one network).
    pub(crate) fn add_then_scale(&mut self, other: &Gradient<F>, factor: F) {
        for (g, h) in self.layers.iter_mut().zip(&other.layers) {
            add_then_scale(&mut g.w, &h.w, factor);
            add_then_scale(&mut g.b, &h.b, factor);
        }
    }

    pub(crate) fn check_fits(&self, mlp: &Mlp<F>) -> Result<(), NetError> {
        let fits = self.layers.len() == mlp.layers().len()
            && self.layers.iter().zip(mlp.layers()).all(|(g, l)| g.w.dim() == l.w.dim());
        if fits {
            Ok(())
        } else {
            let sizes: Vec<usize> = self
                .layers
                .first()
                .map(|g| g.w.nrows())
                .into_iter()
                .chain(self.layers.iter().map(|g| g.w.ncols()))
                .collect();
            Err(NetError::ShapeMismatch {
                what: "gradient",
                expected: crate::Architecture::new(sizes)
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
                found: mlp.architecture().to_string(),
            })
        }
    }
}

/// `into ← (into + from) · factor`, spread over the pool when `into` is large.
fn add_then_scale<F: NdFloat, D: Dimension>(into: &mut Array<F, D>, from: &Array<F, D>, factor: F) {
    let add = |a: &mut F, b: F| *a = (*a + b) * factor;
    match (into.as_slice_mut(), from.as_slice()) {
        (Some(a), Some(b)) => elementwise::zip_mut(a, b, add),
        _ => Zip::from(into).and(from).for_each(|a, &b| add(a, b)),
    }
}

impl<F: NdFloat> AddAssign<&Gradient<F>> for Gradient<F> {
    /// Adds `other` entry by entry.
    ///
    /// # Panics
    /// If the two gradients have different shapes (they were built for different networks).
    #[track_caller]
    fn add_assign(&mut self, other: &Gradient<F>) {
        let shapes = |g: &Gradient<F>| g.layers.iter().map(|l| l.w.dim()).collect::<Vec<_>>();
        assert!(
            self.layers.len() == other.layers.len()
                && self.layers.iter().zip(&other.layers).all(|(g, h)| g.w.dim() == h.w.dim()),
            "adding gradients of different networks: weight shapes {:?} and {:?}",
            shapes(self),
            shapes(other)
        );
        for (g, h) in self.layers.iter_mut().zip(&other.layers) {
            Zip::from(&mut g.w).and(&h.w).for_each(|g, &h| *g += h);
            Zip::from(&mut g.b).and(&h.b).for_each(|g, &h| *g += h);
        }
    }
}
