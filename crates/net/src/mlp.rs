//! The network's parameters: a stack of layers.

use ndarray::{Array1, Array2, ArrayRef2, ArrayView2, NdFloat, Zip};
use ndarray_rand::rand::Rng;
use ndarray_rand::rand_distr::uniform::SampleUniform;
use nn_tensor::{Activation, matmul_bias_into};

use crate::{Architecture, Dataset, Init, Layer, LayerMut, Loss, NetError, Workspace};

/// A multi-layer perceptron: only its parameters and each layer's activation.
///
/// The per-batch scratch lives in a [`Workspace`] and the gradient in a
/// [`Gradient`](crate::Gradient), so a network is small to clone, compare and save, and one
/// network can be evaluated by many workspaces at once.
///
/// # Shapes
/// Rows are samples. For a batch `X` of `n × d_0`, layer `l` computes
/// `A_l = f_l(A_{l-1} · W_l + 1·b_lᵀ)` with `W_l` of `d_{l-1} × d_l`; the output is `n × d_L`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp<F> {
    pub(crate) layers: Vec<Layer<F>>,
    architecture: Architecture,
}

impl<F: NdFloat> Mlp<F> {
    /// A network of the given sizes with one activation per layer, its parameters drawn by
    /// `init` from `rng`.
    ///
    /// # Errors
    /// [`NetError::ActivationCount`] if `activations` does not have one entry per layer;
    /// [`NetError::OutputOnlyActivation`] for softmax on a hidden layer (it is for the
    /// output layer only); [`NetError::InvalidInit`] for a bad initialisation range;
    /// [`NetError::MemoryLimit`] for parameters over [`DEFAULT_MEMORY_LIMIT`] (8 GiB; see
    /// [`Mlp::with_memory_limit`]).
    ///
    /// [`DEFAULT_MEMORY_LIMIT`]: crate::DEFAULT_MEMORY_LIMIT
    ///
    /// ```
    /// use nn_net::{Activation, Architecture, Init, Mlp};
    /// use nn_net::rand::{SeedableRng, rngs::StdRng};
    ///
    /// let arch: Architecture = "2-2-1".parse()?;
    /// let mut rng = StdRng::seed_from_u64(42);
    /// let net = Mlp::<f32>::new(&arch, &[Activation::Sigmoid; 2], Init::default(), &mut rng)?;
    /// assert_eq!(net.architecture(), &arch);
    /// assert_eq!(net.parameter_count(), 9);
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    pub fn new<R: Rng + ?Sized>(
        architecture: &Architecture,
        activations: &[Activation],
        init: Init,
        rng: &mut R,
    ) -> Result<Self, NetError>
    where
        F: SampleUniform,
    {
        Self::with_memory_limit(architecture, activations, init, rng, crate::DEFAULT_MEMORY_LIMIT)
    }

    /// [`Mlp::new`] with parameters of up to `memory_limit` bytes
    /// ([`network_bytes`](crate::network_bytes) counts them) instead of the default 8 GiB:
    /// a larger architecture is refused before anything is allocated.
    ///
    /// ```
    /// use nn_net::{Activation, Init, Mlp, NetError};
    /// use nn_net::rand::{SeedableRng, rngs::StdRng};
    ///
    /// // 100000·100000 + 100000 weights and biases a layer, 80 GB of f32 for the two.
    /// let arch = "100000-100000-100000".parse()?;
    /// let mut rng = StdRng::seed_from_u64(1);
    /// let e = Mlp::<f32>::new(&arch, &[Activation::Relu; 2], Init::He, &mut rng).unwrap_err();
    /// assert!(matches!(e, NetError::MemoryLimit { bytes: Some(80_000_800_000), .. }));
    /// assert!(e.to_string().starts_with("a 100000-100000-100000 network of f32 (20000200000 \
    ///     parameters) would take 80000800000 bytes (74.5 GiB) of memory; the limit is \
    ///     8589934592 bytes (8.0 GiB)"));
    /// // Within a limit of 1 KiB: 2-2-1 has 9 parameters, 36 bytes.
    /// Mlp::<f32>::with_memory_limit(&"2-2-1".parse()?, &[Activation::Relu; 2], Init::He, &mut rng, 1024)?;
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Mlp::new`], with `memory_limit` for the limit.
    pub fn with_memory_limit<R: Rng + ?Sized>(
        architecture: &Architecture,
        activations: &[Activation],
        init: Init,
        rng: &mut R,
        memory_limit: u64,
    ) -> Result<Self, NetError>
    where
        F: SampleUniform,
    {
        if activations.len() != architecture.layers() {
            return Err(NetError::ActivationCount {
                expected: architecture.layers(),
                found: activations.len(),
            });
        }
        check_hidden_activations(activations.iter().copied())?;
        init.check()?;
        crate::check_network_bytes::<F>(architecture, memory_limit)?;
        let mut layers = Vec::with_capacity(architecture.layers());
        for (sizes, &activation) in architecture.sizes().windows(2).zip(activations) {
            let mut layer = Layer {
                w: Array2::zeros((sizes[0], sizes[1])),
                b: Array1::zeros(sizes[1]),
                activation,
            };
            init.fill(&mut layer, rng)?;
            layers.push(layer);
        }
        Ok(Mlp { layers, architecture: architecture.clone() })
    }

    /// A network made of layers built elsewhere (loaded from a file, or set by hand).
    ///
    /// # Errors
    /// [`NetError::NoLayers`] for an empty list; [`NetError::LayerShape`] naming the first
    /// layer whose weights do not take the previous layer's outputs;
    /// [`NetError::OutputOnlyActivation`] naming the first hidden layer with softmax.
    pub fn from_layers(layers: Vec<Layer<F>>) -> Result<Self, NetError> {
        let first = layers.first().ok_or(NetError::NoLayers)?;
        let mut sizes = vec![first.inputs()];
        for (index, layer) in layers.iter().enumerate() {
            let expected_rows = sizes[index];
            if layer.inputs() != expected_rows {
                return Err(NetError::LayerShape {
                    index,
                    expected_rows,
                    expected_cols: layer.outputs(),
                    found_rows: layer.inputs(),
                    found_cols: layer.outputs(),
                    found_bias: layer.b.len(),
                });
            }
            sizes.push(layer.outputs());
        }
        check_hidden_activations(layers.iter().map(Layer::activation))?;
        Ok(Mlp { layers, architecture: Architecture::new(sizes)? })
    }

    /// The sizes of the network.
    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Layer<F>] {
        &self.layers
    }

    /// The layers, first to last, to change their parameters in place.
    ///
    /// Each [`LayerMut`] lends the weights and the bias as views, never the layer itself:
    /// a layer put in another's place could have other shapes than the network's
    /// architecture says, which every check of a batch against the network relies on.
    ///
    /// ```
    /// use nn_net::{Activation, Init, Mlp};
    /// use nn_net::rand::{SeedableRng, rngs::StdRng};
    ///
    /// let mut net = Mlp::<f32>::new(&"2-3-1".parse()?, &[Activation::Relu, Activation::Sigmoid], Init::Xavier, &mut StdRng::seed_from_u64(1))?;
    /// for mut layer in net.layers_mut() {
    ///     layer.b_mut().fill(0.0);
    /// }
    /// assert!(net.layers().iter().all(|layer| layer.b().iter().all(|&b| b == 0.0)));
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    pub fn layers_mut(&mut self) -> impl ExactSizeIterator<Item = LayerMut<'_, F>> {
        self.layers.iter_mut().map(LayerMut::new)
    }

    /// Layer `index` (from 0), to change its parameters in place; `None` past the last.
    pub fn layer_mut(&mut self, index: usize) -> Option<LayerMut<'_, F>> {
        self.layers.get_mut(index).map(LayerMut::new)
    }

    /// The activation of the output layer.
    pub fn output_activation(&self) -> Activation {
        self.layers[self.layers.len() - 1].activation
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.architecture.inputs()
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.architecture.outputs()
    }

    /// The number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.architecture.parameter_count()
    }

    /// Every parameter in a fixed order: layer by layer, the weights row by row, then the
    /// bias. [`Gradient::iter`](crate::Gradient::iter) uses the same order.
    pub fn parameters(&self) -> impl Iterator<Item = F> + '_ {
        self.layers.iter().flat_map(|layer| layer.w.iter().chain(layer.b.iter()).copied())
    }

    /// Feed-forward of a batch through a workspace: returns a view of the outputs,
    /// `n × d_L`, which stays valid until the workspace is used again.
    ///
    /// Allocates nothing once warm: every layer writes into the workspace's buffers, and the
    /// matrix products keep their packing scratch per thread.
    ///
    /// # Errors
    /// [`NetError::InputWidth`] if `x` does not have the network's input width;
    /// [`NetError::BatchTooLarge`] if it has more rows than the workspace holds;
    /// [`NetError::ShapeMismatch`] if the workspace was built for another architecture.
    ///
    /// # Shapes
    /// `x` is `n × d_0` with `n` at most [`Workspace::capacity`].
    pub fn forward_into<'w>(
        &self,
        workspace: &'w mut Workspace<F>,
        x: &ArrayRef2<F>,
    ) -> Result<ArrayView2<'w, F>, NetError> {
        workspace.check_fits(self)?;
        self.check_input_width(x.ncols())?;
        workspace.check_rows(x.nrows())?;
        self.forward_unchecked(workspace, x);
        let last = self.layers.len() - 1;
        Ok(workspace.activations(last, x.nrows()))
    }

    /// Feed-forward of a batch into a new array: the allocating convenience over
    /// [`Mlp::forward_into`].
    ///
    /// # Errors
    /// [`NetError::InputWidth`] if `x` does not have the network's input width.
    pub fn predict(&self, x: &ArrayRef2<F>) -> Result<Array2<F>, NetError> {
        let mut workspace = Workspace::new(self, x.nrows());
        Ok(self.forward_into(&mut workspace, x)?.to_owned())
    }

    /// The cost of the network on a dataset: `C = (1/n) Σ_i loss(a_i, y_i)`.
    ///
    /// # Errors
    /// [`NetError::InputWidth`] or [`NetError::TargetWidth`] if the data does not fit the
    /// network; [`NetError::LossOutputMismatch`] if the loss does not work with the output
    /// activation.
    pub fn cost(&self, data: &Dataset<F>, loss: Loss) -> Result<F, NetError> {
        data.check_fits(self.architecture())?;
        loss.check_output(self.output_activation())?;
        let mut workspace = Workspace::new(self, data.len());
        Ok(self.cost_unchecked(&mut workspace, data.inputs(), data.targets(), loss))
    }

    /// `θ ← θ − rate · g`: one step of gradient descent.
    ///
    /// # Errors
    /// [`NetError::InvalidRate`] for a rate that is not positive and finite;
    /// [`NetError::ShapeMismatch`] for a gradient of another architecture.
    pub fn descend(&mut self, gradient: &crate::Gradient<F>, rate: F) -> Result<(), NetError> {
        crate::check::check_rate(rate)?;
        gradient.check_fits(self)?;
        self.descend_unchecked(gradient, rate);
        Ok(())
    }

    pub(crate) fn descend_unchecked(&mut self, gradient: &crate::Gradient<F>, rate: F) {
        for (layer, g) in self.layers.iter_mut().zip(gradient.layers()) {
            descend_array(&mut layer.w, &g.w, rate);
            descend_array(&mut layer.b, &g.b, rate);
        }
    }

    /// [`Mlp::descend_unchecked`] only if every new parameter is finite; otherwise changes
    /// nothing and returns `false`. A read-only pass first, so a step that would overflow
    /// leaves the last finite parameters in place.
    pub(crate) fn descend_if_finite(&mut self, gradient: &crate::Gradient<F>, rate: F) -> bool {
        // `&` rather than a short-circuit: one branch-free pass that vectorises, since the
        // answer is almost always yes and this runs every step.
        let finite = |p: F, d: F| (p - rate * d).is_finite();
        // Over slices where parameters and gradient are row-major (always, for the engine's
        // buffers): building a `Zip` per array was most of the update of a small network
        // (about 930 instructions a step for the NAND neuron, against about 100 now); a
        // large layer's slices are spread over the pool (a 2-million-parameter step is a
        // millisecond of memory traffic on one core).
        fn fold<F: NdFloat, D: ndarray::Dimension>(
            p: &ndarray::Array<F, D>,
            g: &ndarray::Array<F, D>,
            f: impl Fn(F, F) -> bool + Sync,
        ) -> bool {
            // `as_slice` (row-major only) is a cheap check; `as_slice_memory_order` sorts
            // the strides and cost more than the NAND neuron's whole update.
            match (p.as_slice(), g.as_slice()) {
                (Some(ps), Some(gs)) => crate::elementwise::all(ps, gs, f),
                _ => Zip::from(p).and(g).fold(true, |ok, &p, &g| ok & f(p, g)),
            }
        }
        let stays_finite = self
            .layers
            .iter()
            .zip(gradient.layers())
            .all(|(layer, g)| fold(&layer.w, &g.w, finite) & fold(&layer.b, &g.b, finite));
        if stays_finite {
            self.descend_unchecked(gradient, rate);
        }
        stays_finite
    }

    pub(crate) fn check_input_width(&self, found: usize) -> Result<(), NetError> {
        if found == self.inputs() {
            Ok(())
        } else {
            Err(NetError::InputWidth { expected: self.inputs(), found })
        }
    }

    /// Feed-forward of the first `x.nrows()` rows, shapes already checked.
    pub(crate) fn forward_unchecked(&self, workspace: &mut Workspace<F>, x: &ArrayRef2<F>) {
        let n = x.nrows();
        if self.takes_direct_path()
            && let Some(x) = x.as_slice()
        {
            crate::direct::forward(self, workspace, x, n);
            return;
        }
        for (l, layer) in self.layers.iter().enumerate() {
            // A_l = f(A_{l-1} · W_l + 1·bᵀ), computed in place in A_l's buffer: hidden
            // pre-activations are not kept, since every derivative is read off the output.
            // The last layer's are copied out first (n × d_L, small beside the product),
            // for the cross-entropies' logarithms.
            let (a_prev, mut a, z_last) = workspace.layer_mut(l, n);
            let a_prev = a_prev.unwrap_or_else(|| x.view());
            matmul_bias_into(&mut a, &a_prev, &layer.w, &layer.b);
            if let Some(mut z) = z_last {
                // The workspace's buffers are row-major: one copy of a slice, where
                // ndarray's `assign` took a zip through its layout checks (1% of the
                // 5-bit adder's step).
                match (z.as_slice_mut(), a.as_slice()) {
                    (Some(z), Some(a)) => z.copy_from_slice(a),
                    _ => z.assign(&a),
                }
            }
            layer.activation.apply_inplace(&mut a);
        }
    }

    /// `(1/n) Σ_i loss(a_i, y_i)` for a batch, shapes and the loss already checked.
    pub(crate) fn cost_unchecked(
        &self,
        workspace: &mut Workspace<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        loss: Loss,
    ) -> F {
        self.forward_unchecked(workspace, x);
        let n = x.nrows();
        if self.takes_direct_path()
            && x.is_standard_layout()
            && let Some(y) = y.as_slice()
        {
            return crate::direct::loss_sum(self, workspace, y, n, loss)
                / crate::check::cast(n as f64);
        }
        let a = workspace.activations(self.layers.len() - 1, n);
        loss.sum_with_logits(&workspace.logits(n), &a, y) / crate::check::cast(n as f64)
    }
}

/// `p ← p − rate·g` over one array: a vectorised slice loop where both are row-major
/// (always, for the engine's buffers), else ndarray's `scaled_add`; the same bits either
/// way (`p + (−rate)·g`). `scaled_add` was SSE2 and ran through a `Zip`.
fn descend_array<F: NdFloat, D: ndarray::Dimension>(
    p: &mut ndarray::Array<F, D>,
    g: &ndarray::Array<F, D>,
    rate: F,
) {
    if let (Some(ps), Some(gs)) = (p.as_slice_mut(), g.as_slice()) {
        crate::elementwise::zip_mut(ps, gs, |p, g| *p += -rate * g);
    } else {
        p.scaled_add(-rate, g);
    }
}

/// Every layer but the last must have an element-wise activation: softmax, which mixes a
/// row, is for the output layer only.
fn check_hidden_activations(
    activations: impl ExactSizeIterator<Item = Activation>,
) -> Result<(), NetError> {
    let hidden = activations.len().saturating_sub(1);
    for (index, found) in activations.take(hidden).enumerate() {
        if !found.is_elementwise() {
            return Err(NetError::OutputOnlyActivation { index, found });
        }
    }
    Ok(())
}
