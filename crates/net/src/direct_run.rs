//! Many steps of a direct-path network on one batch, vectorised across the batch's
//! samples, with the checks done once for the whole run: what
//! [`Trainer::repeat_step`](crate::Trainer::repeat_step) runs for the lessons' networks.
//!
//! A step of the NAND neuron is a few dozen multiply-adds. Around them,
//! [`Trainer::step`](crate::Trainer::step) checks the settings, the batch and the
//! optimizer's state and takes each buffer as a slice (ndarray's layout check, about 20
//! instructions each); and the direct path's loops, row by row, run over widths of 2 and 1,
//! mostly loop overhead. Here the checks are done once, and the hidden activations and
//! errors are stored feature by feature (`d × n`, each feature's `n` samples contiguous),
//! so the inner loops run along the samples and vectorise: the batch's samples are the
//! vector lanes.
//!
//! Every entry is computed with the operations of [`crate::direct`], in the same order
//! (each sum over `k`, then the bias; each gradient entry over the rows in order), so a run
//! of `count` steps gives the bits of `count` calls to `step`. The output layer is kept row
//! by row, where the losses and the output activation (softmax included) run as they do
//! everywhere else.

use ndarray::NdFloat;

use crate::check::cast;
use crate::loss::{binary_cross_entropy, squared_error, squared_error_slope};
use crate::{Activation, Difference, FiniteDifference, Gradient, GradientMethod, Loss, Mlp};

/// One layer's parameters and gradient, row-major slices of the network's and the
/// trainer's buffers.
struct RunLayer<'a, F> {
    w: &'a mut [F],
    b: &'a mut [F],
    gw: &'a mut [F],
    gb: &'a mut [F],
    /// Inputs and outputs.
    d_in: usize,
    d: usize,
    activation: Activation,
}

/// A network on the direct path, its gradient and one batch, for a run of steps.
pub(crate) struct DirectRun<'a, F> {
    layers: Vec<RunLayer<'a, F>>,
    /// `features[0]` is the batch's inputs and `features[l + 1]` layer `l`'s outputs
    /// (the output layer's pre-activations), each feature a row of [`padded`]`(n)`
    /// samples.
    features: Vec<Vec<F>>,
    /// `errors[l]` is layer `l`'s `Δ = ∂C/∂Z`, laid out as `features[l + 1]`.
    errors: Vec<Vec<F>>,
    /// The output layer's pre-activations, outputs and error, row by row (`n × d_L`):
    /// what the losses and the output activation read. With one output, a row of samples
    /// is already row by row: `z_rows` and `delta_rows` are then empty (the rows of
    /// `features` and `errors` serve), and `a_rows` is padded to whole blocks.
    z_rows: Vec<F>,
    a_rows: Vec<F>,
    delta_rows: Vec<F>,
    /// The targets, row-major `n × d_L`.
    y: &'a [F],
    /// With one output, an element-wise output activation and a loss taken entry by entry
    /// (squared error, binary cross-entropy), the targets as a padded row of samples: the
    /// loss and the output's error then run block by block. Empty otherwise.
    y_blocks: Vec<[F; LANES]>,
    n: usize,
    loss: Loss,
}

/// Why a run stopped before its last step: the `what` of
/// [`NetError::Diverged`](crate::NetError::Diverged).
pub(crate) type Divergence = &'static str;

impl<'a, F: NdFloat> DirectRun<'a, F> {
    /// The run's buffers and views, or `None` if the network is not on the direct path
    /// (the caller then steps through the general path). The batch is `x` and `y`
    /// (row-major, `n` rows each), already checked against the network and the loss.
    pub(crate) fn new(
        mlp: &'a mut Mlp<F>,
        gradient: &'a mut Gradient<F>,
        (x, y, n): (&[F], &'a [F], usize),
        loss: Loss,
    ) -> Option<Self> {
        if !mlp.takes_direct_path() || n == 0 {
            return None;
        }
        let sizes = mlp.architecture().sizes().to_vec();
        let output = mlp.output_activation();
        let mut layers = Vec::with_capacity(mlp.layers.len());
        for (layer, g) in mlp.layers.iter_mut().zip(gradient.layers_mut()) {
            layers.push(RunLayer {
                d_in: layer.w.nrows(),
                d: layer.w.ncols(),
                activation: layer.activation,
                w: layer.w.as_slice_mut()?,
                b: layer.b.as_slice_mut()?,
                gw: g.w.as_slice_mut()?,
                gb: g.b.as_slice_mut()?,
            });
        }
        let p = padded(n);
        let rows = |sizes: &[usize]| sizes.iter().map(|&d| vec![F::zero(); d * p]).collect();
        let mut features: Vec<Vec<F>> = rows(&sizes);
        transpose(&mut features[0], x, (n, sizes[0]), (sizes[0], p));
        let d_last = sizes[sizes.len() - 1];
        // With one output, the outputs are a padded row of samples.
        let (rows_only, outputs) = if d_last == 1 { (0, p) } else { (n * d_last, n * d_last) };
        let entry_by_entry = matches!(loss, Loss::MeanSquaredError | Loss::BinaryCrossEntropy);
        let mut y_blocks = Vec::new();
        if d_last == 1 && output.is_elementwise() && entry_by_entry {
            y_blocks = vec![[F::zero(); LANES]; p / LANES];
            transpose(y_blocks.as_flattened_mut(), y, (n, 1), (1, p));
        }
        Some(DirectRun {
            layers,
            features,
            errors: rows(&sizes[1..]),
            z_rows: vec![F::zero(); rows_only],
            a_rows: vec![F::zero(); outputs],
            delta_rows: vec![F::zero(); rows_only],
            y,
            y_blocks,
            n,
            loss,
        })
    }

    /// Up to `count` steps of plain gradient descent at `rate`, the gradient by `method`,
    /// each step's parameters kept only if the cost, the gradient and every new parameter
    /// are finite. Returns the steps taken and the cost before the last one, or why the
    /// next step was refused (the parameters are then the last finite ones).
    pub(crate) fn descend(
        &mut self,
        method: GradientMethod<F>,
        rate: F,
        count: usize,
    ) -> (usize, Result<F, Divergence>) {
        let mut cost = F::nan();
        for taken in 0..count {
            cost = match method {
                GradientMethod::BackPropagation => self.back_propagate(),
                GradientMethod::FiniteDifference(settings) => self.finite_differences(settings),
            };
            if !cost.is_finite() {
                return (taken, Err("cost"));
            }
            if !self.update_if_finite(rate) {
                let mut gradient = self.layers.iter().flat_map(|l| l.gw.iter().chain(&*l.gb));
                let what =
                    if gradient.all(|g| g.is_finite()) { "parameter update" } else { "gradient" };
                return (taken, Err(what));
            }
        }
        (count, Ok(cost))
    }

    /// Feed-forward of the batch, as [`crate::direct::forward`]: the hidden layers feature
    /// by feature, each block activated as it is computed; the output layer's outputs row
    /// by row.
    fn forward(&mut self) {
        let (n, p, last) = (self.n, padded(self.n), self.layers.len() - 1);
        for (l, layer) in self.layers.iter().enumerate() {
            let (before, from) = self.features.split_at_mut(l + 1);
            let (x, z) = (&before[l], blocks_mut(&mut from[0]));
            let (parameters, sizes) = ((&*layer.w, &*layer.b), (layer.d_in, layer.d, p));
            let activation = layer.activation;
            if l < last {
                // Hidden activations are element-wise (the network's checks refuse softmax
                // there).
                affine_by_feature(x, parameters, sizes, |at, mut block| {
                    activation.apply_block(&mut block);
                    z[at] = block;
                });
            } else if layer.d == 1 && activation.is_elementwise() {
                // One output: its row of samples is already row by row.
                let a = blocks_mut(&mut self.a_rows);
                affine_by_feature(x, parameters, sizes, |at, mut block| {
                    z[at] = block;
                    activation.apply_block(&mut block);
                    a[at] = block;
                });
            } else {
                affine_by_feature(x, parameters, sizes, |at, block| z[at] = block);
                let z_rows = if layer.d == 1 {
                    &from[0][..n]
                } else {
                    transpose(&mut self.z_rows, &from[0], (layer.d, n), (p, layer.d));
                    &self.z_rows
                };
                let a_rows = &mut self.a_rows[..n * layer.d];
                for (a, &z) in a_rows.iter_mut().zip(z_rows) {
                    *a = z;
                }
                activation.apply_slice(a_rows, layer.d);
            }
        }
    }

    /// The output layer's pre-activations, row by row, after [`DirectRun::forward`].
    fn z_rows(&self) -> &[F] {
        if self.z_rows.is_empty() {
            &self.features[self.layers.len()][..self.n]
        } else {
            &self.z_rows
        }
    }

    /// The loss summed over the batch, after [`DirectRun::forward`].
    #[inline(always)]
    fn loss_sum(&self) -> F {
        let last = self.layers.len();
        if !self.y_blocks.is_empty() {
            let (z, a, y) = (blocks(&self.features[last]), blocks(&self.a_rows), &self.y_blocks);
            // `y_blocks` is kept for these two losses only.
            return if self.loss == Loss::BinaryCrossEntropy {
                sum_in_order(self.n, lanes(z, y, binary_cross_entropy))
            } else {
                sum_in_order(self.n, lanes(a, y, squared_error))
            };
        }
        let d = self.layers[last - 1].d;
        self.loss.sum_slices(self.z_rows(), &self.a_rows[..self.n * d], self.y, d)
    }

    /// The cost at the current parameters, as [`Mlp::cost_unchecked`] gives it.
    fn cost(&mut self) -> F {
        self.forward();
        self.loss_sum() / cast(self.n as f64)
    }

    /// Feed-forward and back-propagation: the gradient of the cost into the layers'
    /// gradients, as [`crate::direct::backward_sums`] with the one-chunk batch's scale
    /// `1/n`; returns the cost.
    fn back_propagate(&mut self) -> F {
        self.forward();
        let (n, p) = (self.n, padded(self.n));
        let cost_sum = self.loss_sum();
        let last = self.layers.len() - 1;
        let output = &self.layers[last];
        let (loss, y, d) = (self.loss, self.y, output.d);
        let a = &self.a_rows[..n * d];
        if !self.y_blocks.is_empty() {
            let (y, delta) = (&self.y_blocks, blocks_mut(&mut self.errors[last]));
            let activation = output.activation;
            for ((delta, a), y) in delta.iter_mut().zip(blocks(&self.a_rows)).zip(y) {
                for i in 0..LANES {
                    // As `Loss::output_delta_slices`, then the activation's derivative.
                    delta[i] = if loss == Loss::BinaryCrossEntropy {
                        a[i] - y[i]
                    } else {
                        squared_error_slope(a[i], y[i]) * activation.derivative_from_output(a[i])
                    };
                }
            }
        } else if d == 1 {
            let delta = &mut self.errors[last][..n];
            loss.output_delta_slices(delta, a, y, d, output.activation);
        } else {
            loss.output_delta_slices(&mut self.delta_rows, a, y, d, output.activation);
            transpose(&mut self.errors[last], &self.delta_rows, (n, d), (d, p));
        }
        let scale = F::one() / cast(n as f64);
        for l in (0..=last).rev() {
            let layer = &mut self.layers[l];
            let (lower, upper) = self.errors.split_at_mut(l);
            let (input, delta) = (&self.features[l], &upper[0]);
            let sizes = (layer.d_in, layer.d, p, n);
            parameter_gradient_by_feature((layer.gw, layer.gb), (input, delta), sizes, scale);
            if let Some(previous) = lower.last_mut() {
                input_delta_by_feature(previous, delta, layer.w, (layer.d_in, layer.d, p));
                let activation = self.layers[l - 1].activation;
                activation.mul_derivative_slice(previous, input, self.layers[l - 1].d);
            }
        }
        cost_sum / cast(n as f64)
    }

    /// The gradient by finite differences into the layers' gradients, as
    /// [`crate::finite_difference`] computes it (each parameter moved in turn, weights row
    /// by row, then the bias, and put back to its exact bits); returns the cost.
    fn finite_differences(&mut self, settings: FiniteDifference<F>) -> F {
        let eps = settings.step;
        let two_eps = cast::<F>(2.0) * eps;
        let base = self.cost();
        for l in 0..self.layers.len() {
            let count = self.layers[l].w.len() + self.layers[l].b.len();
            for index in 0..count {
                let original = *self.parameter(l, index);
                *self.parameter(l, index) = original + eps;
                let plus = self.cost();
                let derivative = match settings.difference {
                    Difference::Forward => (plus - base) / eps,
                    Difference::Central => {
                        *self.parameter(l, index) = original - eps;
                        let minus = self.cost();
                        (plus - minus) / two_eps
                    }
                };
                *self.parameter(l, index) = original;
                let RunLayer { gw, gb, .. } = &mut self.layers[l];
                *entry(gw, gb, index) = derivative;
            }
        }
        base
    }

    /// Parameter `index` of layer `l`: the weights row by row, then the bias.
    fn parameter(&mut self, l: usize, index: usize) -> &mut F {
        let RunLayer { w, b, .. } = &mut self.layers[l];
        entry(w, b, index)
    }

    /// `θ ← θ − rate·g` if every new parameter is finite, as
    /// [`Mlp::descend_if_finite`]: a read-only pass, then the update.
    fn update_if_finite(&mut self, rate: F) -> bool {
        let finite = |p: &[F], g: &[F]| {
            p.iter().zip(g).fold(true, |ok, (&p, &g)| ok & (p - rate * g).is_finite())
        };
        let stays_finite = self
            .layers
            .iter()
            .fold(true, |ok, layer| ok & finite(layer.w, layer.gw) & finite(layer.b, layer.gb));
        if stays_finite {
            for RunLayer { w, b, gw, gb, .. } in &mut self.layers {
                let pairs = w.iter_mut().zip(&**gw).chain(b.iter_mut().zip(&**gb));
                for (p, &g) in pairs {
                    *p += -rate * g;
                }
            }
        }
        stays_finite
    }
}

/// Entry `index` of a weight matrix (row-major) followed by its bias.
fn entry<'s, F>(w: &'s mut [F], b: &'s mut [F], index: usize) -> &'s mut F {
    let weights = w.len();
    if index < weights { &mut w[index] } else { &mut b[index - weights] }
}

// The batch's samples are padded to whole blocks of `LANES`, and the passes along them run
// block by block on arrays: each block is one vector operation, with no remainder and no
// run-time trip count inside it (a plain loop's vector body wants more entries than the
// NAND neuron's four samples, and leaves them to its scalar remainder). Padded samples
// compute whatever they compute, lane by lane, and no sum over the samples reads them.
// No loop here divides: a division (26 cycles or more) a pass cost more than the NAND
// neuron's arithmetic.

/// Samples a block holds: four `f32` fill an SSE register, the baseline of x86_64.
pub(crate) const LANES: usize = 4;

/// `n` samples padded to whole blocks.
pub(crate) fn padded(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

fn blocks<F>(s: &[F]) -> &[[F; LANES]] {
    s.as_chunks().0
}

fn blocks_mut<F>(s: &mut [F]) -> &mut [[F; LANES]] {
    s.as_chunks_mut().0
}

/// `to` = `from`ᵀ for a `rows × cols` matrix whose rows start every `from_stride` entries
/// of `from`; row `j` of the transpose starts at `j · to_stride` in `to`.
fn transpose<F: Copy>(
    to: &mut [F],
    from: &[F],
    (rows, cols): (usize, usize),
    (from_stride, to_stride): (usize, usize),
) {
    for i in 0..rows {
        for j in 0..cols {
            to[j * to_stride + i] = from[i * from_stride + j];
        }
    }
}

/// `Zᵀ = (X·W + 1·bᵀ)ᵀ` feature by feature, a block of samples at a time: `x` is `d_in`
/// rows of `p` samples, `w` is `d_in × d` row-major, and each block of `z` (`d` rows of
/// `p`) goes to `keep` with its index among the blocks. Each entry is
/// `(Σ_k x_ik·w_kj) + b_j`, summed over `k` in order from zero as in [`crate::direct`]'s
/// `affine` (zero first: `0 + x·w` turns a −0 into 0, as the row-major sum does).
fn affine_by_feature<F: NdFloat>(
    x: &[F],
    (w, b): (&[F], &[F]),
    (d_in, d, p): (usize, usize, usize),
    mut keep: impl FnMut(usize, [F; LANES]),
) {
    let (x, per_row) = (blocks(x), p / LANES);
    for j in 0..d {
        for block in 0..per_row {
            let mut sum = [F::zero(); LANES];
            for k in 0..d_in {
                let (x, w) = (&x[k * per_row + block], w[k * d + j]);
                for lane in 0..LANES {
                    sum[lane] += x[lane] * w;
                }
            }
            keep(j * per_row + block, sum.map(|v| v + b[j]));
        }
    }
}

/// The sum of the first `n` samples' terms, in order from zero, from the blocks of terms
/// (computed lane by lane, as vector operations): whole blocks, then the first lanes of
/// the last one (its padded lanes are left out: even adding a padded zero could turn a −0
/// sum into 0).
#[inline(always)]
fn sum_in_order<F: NdFloat>(n: usize, terms: impl Iterator<Item = [F; LANES]>) -> F {
    let (mut sum, mut left) = (F::zero(), n);
    for block in terms {
        if left >= LANES {
            for term in block {
                sum += term;
            }
            left -= LANES;
        } else {
            for &term in &block[..left] {
                sum += term;
            }
            break;
        }
    }
    sum
}

/// Blocks of `f(x, y)`, lane by lane.
#[inline(always)]
fn lanes<'s, F: NdFloat>(
    x: &'s [[F; LANES]],
    y: &'s [[F; LANES]],
    f: impl Fn(F, F) -> F + 's,
) -> impl Iterator<Item = [F; LANES]> + 's {
    x.iter().zip(y).map(move |(x, y)| std::array::from_fn(|i| f(x[i], y[i])))
}

/// `∂C/∂W = Aᵀ·Δ` and `∂C/∂b = Σ_rows Δ` of one layer, each entry times `scale`, from the
/// layer's input `a` (`d_in` rows of `p` samples) and error `delta` (`d` rows of `p`), over
/// the first `n` samples: entry `(k, j)` is the dot product of two contiguous rows, summed
/// over the samples in order as in [`crate::direct::parameter_gradient`].
fn parameter_gradient_by_feature<F: NdFloat>(
    (gw, gb): (&mut [F], &mut [F]),
    (a, delta): (&[F], &[F]),
    (d_in, d, p, n): (usize, usize, usize, usize),
    scale: F,
) {
    let (a, delta, per_row) = (blocks(a), blocks(delta), p / LANES);
    for k in 0..d_in {
        for j in 0..d {
            let (a, delta) = (&a[k * per_row..][..per_row], &delta[j * per_row..][..per_row]);
            gw[k * d + j] = sum_in_order(n, lanes(a, delta, |a, e| a * e)) * scale;
        }
    }
    for j in 0..d {
        let delta = &delta[j * per_row..][..per_row];
        gb[j] = sum_in_order(n, delta.iter().copied()) * scale;
    }
}

/// `Δ_prevᵀ = (Δ·Wᵀ)ᵀ`, before the previous layer's derivative: `previous` is `d_in` rows
/// of `p` samples, `delta` is `d` rows of `p`, `w` is `d_in × d` row-major. Entry `(i, k)`
/// is `Σ_j δ_ij·w_kj` summed over `j` in order from zero, as in
/// [`crate::direct::input_delta`], a block of samples at a time.
fn input_delta_by_feature<F: NdFloat>(
    previous: &mut [F],
    delta: &[F],
    w: &[F],
    (d_in, d, p): (usize, usize, usize),
) {
    let (previous, delta, per_row) = (blocks_mut(previous), blocks(delta), p / LANES);
    for k in 0..d_in {
        for block in 0..per_row {
            let mut sum = [F::zero(); LANES];
            for j in 0..d {
                let (delta, w) = (&delta[j * per_row + block], w[k * d + j]);
                for lane in 0..LANES {
                    sum[lane] += delta[lane] * w;
                }
            }
            previous[k * per_row + block] = sum;
        }
    }
}
