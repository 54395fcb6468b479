//! Many steps of a direct-path network on one batch, vectorised across the batch's
//! samples, with the checks done once for the whole run: what
//! [`Trainer::repeat_step`](crate::Trainer::repeat_step) runs for the lessons' networks.
//!
//! A step of the NAND neuron is a few dozen multiply-adds. Around them,
//! [`Trainer::step`](crate::Trainer::step) checks the settings, the batch and the
//! optimizer's state and takes each buffer as a slice (ndarray's layout check, about 20
//! instructions each); and the direct path's loops, row by row, run over widths of 2 and 1,
//! mostly loop overhead. A run instead copies the parameters into one flat buffer (and
//! back at the end), keeps every layer's activations and errors in one buffer of blocks,
//! feature by feature (each feature's samples contiguous, padded to whole blocks of
//! [`LANES`]), and reads every layer's place in them from a small table: the inner loops
//! run along the samples, a block at a time, as vector operations (the batch's samples are
//! the vector lanes).
//!
//! Every entry is computed with the operations of [`crate::direct`], in the same order
//! (each sum over `k`, then the bias; each gradient entry over the samples in order), so a
//! run of `count` steps gives the bits of `count` calls to `step` (crates/net/tests/
//! repeat_step.rs, and the property in crates/net/tests/properties/repeat.rs). The output
//! layer's loss and error run block by block when it has one output, an element-wise
//! activation and a loss taken entry by entry; otherwise its outputs are copied row by
//! row, where the losses and the output activation (softmax included) run as they do
//! everywhere else.
//!
//! A single neuron of 1 to 4 inputs with its output by blocks (the lessons' NAND and gate
//! neurons) has a loop of its own, the same operations in the same order with every
//! number of a step in registers: its epoch is one chain of dependent operations
//! (weights, sigmoid, gradient, weights), and each store and reload through the buffers
//! lengthened it.

use ndarray::NdFloat;

use crate::check::cast;
use crate::loss::{binary_cross_entropy, squared_error, squared_error_slope};
use crate::{Activation, Difference, FiniteDifference, Gradient, GradientMethod, Loss, Mlp};

/// Samples a block holds: four `f32` fill an SSE register, the baseline of x86_64.
pub(crate) const LANES: usize = 4;

/// A block of samples of one feature.
type Block<F> = [F; LANES];

/// Where one layer's numbers are: its weights (`d_in × d`, row-major) and bias in the flat
/// parameters (and the gradient, laid out alike), its input and output rows in the blocks.
#[derive(Clone, Copy, Debug)]
struct Shape {
    d_in: usize,
    d: usize,
    /// Offsets of the weights and the bias in `parameters` and `slopes`.
    w: usize,
    b: usize,
    /// The first block of the input rows and of the output rows in `features` (and of the
    /// output's errors in `errors`, which is laid out as `features`).
    x: usize,
    z: usize,
    activation: Activation,
}

/// What the output layer's pass hands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Output {
    /// One output, an element-wise activation, the squared error or the binary
    /// cross-entropy: outputs into `outputs`, the loss and the error by blocks.
    Blocks,
    /// Anything else: pre-activations and outputs copied row by row.
    Rows,
}

/// The buffers of a [`DirectRun`], kept by the [`Trainer`](crate::Trainer) from one run to
/// the next, so that a warm [`Trainer::repeat_step`](crate::Trainer::repeat_step)
/// allocates nothing.
///
/// Empty until the first run, which grows them to its batch's need (a later, larger batch
/// grows them again, up to the trainer's capacity); never shrunk. Grown at first use
/// rather than built with the trainer because only `repeat_step` uses them: a trainer that
/// only steps (every epoch of [`train`](crate::train())) never holds them. The memory limit
/// counts them all the same, for the trainer's capacity (`direct_run_bytes` in
/// [`crate::memory`], whose test checks its count against these buffers).
///
/// Each run takes the first part of each buffer it needs, laid out as [`DirectRun`]'s
/// fields say.
#[derive(Clone, Debug)]
pub(crate) struct DirectBuffers<F> {
    shapes: Vec<Shape>,
    parameters: Vec<F>,
    slopes: Vec<F>,
    features: Vec<Block<F>>,
    errors: Vec<Block<F>>,
    outputs: Vec<Block<F>>,
    targets: Vec<Block<F>>,
    z_rows: Vec<F>,
    a_rows: Vec<F>,
    delta_rows: Vec<F>,
}

impl<F> Default for DirectBuffers<F> {
    /// No buffers yet: nothing is allocated until the first run.
    fn default() -> Self {
        DirectBuffers {
            shapes: Vec::new(),
            parameters: Vec::new(),
            slopes: Vec::new(),
            features: Vec::new(),
            errors: Vec::new(),
            outputs: Vec::new(),
            targets: Vec::new(),
            z_rows: Vec::new(),
            a_rows: Vec::new(),
            delta_rows: Vec::new(),
        }
    }
}

impl<F: NdFloat> DirectBuffers<F> {
    /// Grows every buffer to what a run of a network of `sizes` (inputs first) needs for a
    /// batch of `n` rows, whatever its output's kind: the kind follows the loss, which can
    /// change from one run to the next, so the buffers of both are grown (the outputs' and
    /// targets' blocks only for one output, the only width [`Output::Blocks`] takes). A
    /// buffer already long enough is left alone; a shorter one is grown to the exact length
    /// (`reserve_exact`), which is what the memory limit counts.
    fn grow(&mut self, sizes: &[usize], n: usize) {
        let per_row = n.div_ceil(LANES);
        let parameters = sizes.windows(2).map(|w| (w[0] + 1) * w[1]).sum();
        let blocks = sizes.iter().sum::<usize>() * per_row;
        let d_last = sizes[sizes.len() - 1];
        let output_blocks = if d_last == 1 { per_row } else { 0 };
        let block = [F::zero(); LANES];
        grow_to(&mut self.parameters, parameters, F::zero());
        grow_to(&mut self.slopes, parameters, F::zero());
        grow_to(&mut self.features, blocks, block);
        grow_to(&mut self.errors, blocks, block);
        grow_to(&mut self.outputs, output_blocks, block);
        grow_to(&mut self.targets, output_blocks, block);
        for rows in [&mut self.z_rows, &mut self.a_rows, &mut self.delta_rows] {
            grow_to(rows, n * d_last, F::zero());
        }
    }

    /// The bytes the float buffers hold (their capacity; the layers' table, a few words a
    /// layer, is left out as the memory limit leaves it out): what `direct_run_bytes` in
    /// [`crate::memory`] counts.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        let floats = [&self.parameters, &self.slopes, &self.z_rows, &self.a_rows, &self.delta_rows];
        let blocks = [&self.features, &self.errors, &self.outputs, &self.targets];
        let floats: usize = floats.iter().map(|v| v.capacity()).sum();
        let blocks: usize = blocks.iter().map(|v| v.capacity()).sum();
        (floats + blocks * LANES) * std::mem::size_of::<F>()
    }
}

/// Grows `buffer` to `len` entries of `fill` if it is shorter, allocating exactly that
/// many (`resize` alone may round the capacity up).
fn grow_to<T: Copy>(buffer: &mut Vec<T>, len: usize, fill: T) {
    if buffer.len() < len {
        buffer.reserve_exact(len - buffer.len());
        buffer.resize(len, fill);
    }
}

/// A network on the direct path, its gradient and one batch, for a run of steps, on the
/// first part of a [`DirectBuffers`] (each slice exactly the run's length).
pub(crate) struct DirectRun<'a, F> {
    mlp: &'a mut Mlp<F>,
    gradient: &'a mut Gradient<F>,
    shapes: &'a [Shape],
    /// Every layer's weights then bias, in the order of [`Mlp::parameters`].
    parameters: &'a mut [F],
    /// The gradient, laid out as `parameters`.
    slopes: &'a mut [F],
    /// Blocks per feature: the samples padded to whole blocks.
    per_row: usize,
    /// The inputs' rows, then each layer's (the output layer's pre-activations).
    features: &'a mut [Block<F>],
    /// Each layer's errors `Δ = ∂C/∂Z`, at its rows' place in `features`.
    errors: &'a mut [Block<F>],
    output: Output,
    /// [`Output::Blocks`]: the outputs and the targets, one padded row each (empty for
    /// [`Output::Rows`]).
    outputs: &'a mut [Block<F>],
    targets: &'a mut [Block<F>],
    /// [`Output::Rows`]: the output layer's pre-activations, outputs and error, row-major
    /// `n × d_L` (empty for [`Output::Blocks`]).
    z_rows: &'a mut [F],
    a_rows: &'a mut [F],
    delta_rows: &'a mut [F],
    /// The targets, row-major `n × d_L`.
    y: &'a [F],
    n: usize,
    loss: Loss,
}

/// Why a run stopped before its last step: the `what` of
/// [`NetError::Diverged`](crate::NetError::Diverged).
pub(crate) type Divergence = &'static str;

impl<'a, F: NdFloat> DirectRun<'a, F> {
    /// The run on `buffers` (grown first to the batch's need, if they are not yet), or
    /// `None` if the network is not on the direct path or the batch is empty (the caller
    /// then steps through the general path). The batch is `x` and `y` (row-major, `n` rows
    /// each), already checked against the network and the loss. The network and the
    /// gradient are written back by [`DirectRun::descend`].
    pub(crate) fn new(
        mlp: &'a mut Mlp<F>,
        gradient: &'a mut Gradient<F>,
        buffers: &'a mut DirectBuffers<F>,
        (x, y, n): (&[F], &'a [F], usize),
        loss: Loss,
    ) -> Option<Self> {
        if !mlp.takes_direct_path() || n == 0 {
            return None;
        }
        let sizes = mlp.architecture().sizes();
        buffers.grow(sizes, n);
        let (inputs, d_last) = (sizes[0], sizes[sizes.len() - 1]);
        let feature_rows = sizes.iter().sum::<usize>();
        let DirectBuffers {
            shapes,
            parameters,
            slopes,
            features,
            errors,
            outputs,
            targets,
            z_rows,
            a_rows,
            delta_rows,
        } = buffers;
        let (per_row, block) = (n.div_ceil(LANES), [F::zero(); LANES]);
        shapes.clear();
        shapes.reserve_exact(mlp.layers.len());
        let (mut at, mut rows) = (0, 0);
        for layer in &mlp.layers {
            let (d_in, d) = layer.w.dim();
            let (x, z) = (rows * per_row, (rows + d_in) * per_row);
            shapes.push(Shape {
                d_in,
                d,
                w: at,
                b: at + d_in * d,
                x,
                z,
                activation: layer.activation,
            });
            (at, rows) = (at + (d_in + 1) * d, rows + d_in);
        }
        // Every buffer but `parameters` is zeroed, as a new one would be: the run starts
        // from the state a fresh allocation gave it, whatever an earlier run (of another
        // batch or loss) left. (Only the padded lanes could see what is left, and they are
        // never summed; zeroed, even they are as they always were.)
        let parameters = &mut parameters[..at];
        parameters.iter_mut().zip(mlp.parameters()).for_each(|(p, v)| *p = v);
        let slopes = zeroed(&mut slopes[..at], F::zero());
        let blocks = feature_rows * per_row;
        let features = zeroed(&mut features[..blocks], block);
        transpose(features.as_flattened_mut(), x, (n, inputs), (inputs, per_row * LANES));
        let by_entry = matches!(loss, Loss::MeanSquaredError | Loss::BinaryCrossEntropy);
        let output = if d_last == 1 && mlp.output_activation().is_elementwise() && by_entry {
            Output::Blocks
        } else {
            Output::Rows
        };
        let (blocks_of, rows_of) = match output {
            Output::Blocks => (per_row, 0),
            Output::Rows => (0, n * d_last),
        };
        let targets = zeroed(&mut targets[..blocks_of], block);
        if output == Output::Blocks {
            targets.as_flattened_mut()[..n].copy_from_slice(y);
        }
        Some(DirectRun {
            mlp,
            gradient,
            shapes,
            slopes,
            parameters,
            per_row,
            errors: zeroed(&mut errors[..blocks], block),
            features,
            output,
            outputs: zeroed(&mut outputs[..blocks_of], block),
            targets,
            z_rows: zeroed(&mut z_rows[..rows_of], F::zero()),
            a_rows: zeroed(&mut a_rows[..rows_of], F::zero()),
            delta_rows: zeroed(&mut delta_rows[..rows_of], F::zero()),
            y,
            n,
            loss,
        })
    }

    /// Up to `count` steps of plain gradient descent at `rate`, the gradient by `method`,
    /// each step's parameters kept only if the cost, the gradient and every new parameter
    /// are finite; then the parameters and the last gradient are written back into the
    /// network and the trainer's gradient. Returns the steps taken and the cost before the
    /// last one, or why the next step was refused (the parameters are then the last finite
    /// ones).
    pub(crate) fn descend(
        mut self,
        method: GradientMethod<F>,
        rate: F,
        count: usize,
    ) -> (usize, Result<F, Divergence>) {
        let outcome = self.steps(method, rate, count);
        let mut parameters = self.parameters.iter();
        let mut slopes = self.slopes.iter();
        for (layer, g) in self.mlp.layers.iter_mut().zip(self.gradient.layers_mut()) {
            layer
                .w
                .iter_mut()
                .chain(layer.b.iter_mut())
                .zip(&mut parameters)
                .for_each(|(p, &v)| *p = v);
            g.w.iter_mut().chain(g.b.iter_mut()).zip(&mut slopes).for_each(|(g, &v)| *g = v);
        }
        outcome
    }

    /// A single neuron's inputs (1 to 4), whose steps, by either method, have a loop of
    /// their own with everything in registers ([`DirectRun::neuron_steps`]); 0 for any
    /// other network.
    fn neuron_inputs(&self) -> usize {
        match self.shapes {
            [single] if self.output == Output::Blocks && single.d_in <= 4 => single.d_in,
            _ => 0,
        }
    }

    /// The steps of [`DirectRun::descend`], on the run's buffers.
    fn steps(
        &mut self,
        method: GradientMethod<F>,
        rate: F,
        count: usize,
    ) -> (usize, Result<F, Divergence>) {
        match self.neuron_inputs() {
            1 => return self.neuron_steps::<1>(method, rate, count),
            2 => return self.neuron_steps::<2>(method, rate, count),
            3 => return self.neuron_steps::<3>(method, rate, count),
            4 => return self.neuron_steps::<4>(method, rate, count),
            _ => {}
        }
        let mut cost = F::nan();
        for taken in 0..count {
            cost = match method {
                GradientMethod::BackPropagation => self.back_propagate(),
                GradientMethod::FiniteDifference(settings) => self.finite_differences(settings),
            };
            if !cost.is_finite() {
                return (taken, Err("cost"));
            }
            let slopes = &*self.slopes;
            if !update_finite(&*self.parameters, slopes, rate) {
                return (taken, Err(refusal(slopes.iter().copied())));
            }
            for (p, &g) in self.parameters.iter_mut().zip(slopes) {
                *p += -rate * g;
            }
        }
        (count, Ok(cost))
    }

    /// Feed-forward of the batch, as [`crate::direct::forward`]: each layer feature by
    /// feature, a block of samples at a time, each block activated as it is computed.
    fn forward(&mut self) {
        let last = self.shapes.len() - 1;
        for l in 0..last {
            self.hidden_layer(l);
        }
        let s = self.shapes[last];
        let (per_row, sizes) = (self.per_row, (s.d_in, s.d, self.per_row));
        let (w, b) = (&self.parameters[s.w..s.b], &self.parameters[s.b..][..s.d]);
        // The input rows come just before the output rows.
        let (inputs, rows) = self.features.split_at_mut(s.z);
        let (x, z) = (&inputs[s.x..], &mut rows[..s.d * per_row]);
        let activation = s.activation;
        if self.output == Output::Blocks {
            let a = &mut self.outputs;
            affine_by_feature(x, (w, b), sizes, |at, mut block| {
                z[at] = block;
                activation.apply_block(&mut block);
                a[at] = block;
            });
        } else {
            affine_by_feature(x, (w, b), sizes, |at, block| z[at] = block);
            self.output_rows();
        }
    }

    /// The output layer's pre-activations copied row by row, and its outputs from them
    /// ([`Output::Rows`]). Its own function, as [`DirectRun::hidden_layer`].
    #[inline(never)]
    fn output_rows(&mut self) {
        let s = self.shapes[self.shapes.len() - 1];
        let z = &self.features[s.z..][..s.d * self.per_row];
        let strides = (self.per_row * LANES, s.d);
        transpose(self.z_rows, z.as_flattened(), (s.d, self.n), strides);
        self.a_rows.copy_from_slice(self.z_rows);
        s.activation.apply_slice(self.a_rows, s.d);
    }

    /// The steps of [`DirectRun::steps`], by either method, for a single neuron of `D_IN`
    /// inputs (one layer, one output, an element-wise activation, a loss taken entry by
    /// entry: the lessons' NAND and gate neurons): the whole step in one loop, with the
    /// parameters, the gradient's sums and the cost's in registers from step to step
    /// rather than in the run's buffers. [`DirectRun::forward`], [`DirectRun::loss_sum`],
    /// [`DirectRun::back_propagate`]'s and [`DirectRun::finite_differences`]' operations in
    /// the same order, so the same bits.
    /// (The NAND neuron's epoch is one chain of dependent operations, weights to sigmoid
    /// to gradient to weights: every store and reload on it, through the buffers, was
    /// latency added to each of the 8 million epochs.)
    fn neuron_steps<const D_IN: usize>(
        &mut self,
        method: GradientMethod<F>,
        rate: F,
        count: usize,
    ) -> (usize, Result<F, Divergence>) {
        let activation = self.shapes[0].activation;
        let sigmoid = activation == Activation::Sigmoid;
        let run = (method, rate, count);
        match (self.loss == Loss::BinaryCrossEntropy, sigmoid) {
            (true, true) => self.neuron_steps_with::<D_IN, true>(run, || Activation::Sigmoid),
            (true, false) => self.neuron_steps_with::<D_IN, true>(run, || activation),
            (false, true) => self.neuron_steps_with::<D_IN, false>(run, || Activation::Sigmoid),
            (false, false) => self.neuron_steps_with::<D_IN, false>(run, || activation),
        }
    }

    /// [`DirectRun::neuron_steps`] with the loss a constant (the binary cross-entropy if
    /// `BCE`, else the squared error) and the activation given by `activation`: a constant
    /// for the sigmoid, the lessons' neurons' activation. Chosen at run time inside the
    /// loop, the loss or the activation (a `match` whose arms leave the block in different
    /// forms) made the compiler split the block of samples into halves and scalars: for
    /// the NAND neuron, 400 instructions an epoch of back-propagation instead of 264
    /// (callgrind).
    fn neuron_steps_with<const D_IN: usize, const BCE: bool>(
        &mut self,
        (method, rate, count): (GradientMethod<F>, F, usize),
        activation: impl Fn() -> Activation + Copy,
    ) -> (usize, Result<F, Divergence>) {
        let mut w: [F; D_IN] = std::array::from_fn(|k| self.parameters[k]);
        let mut b = self.parameters[D_IN];
        let scale = F::one() / cast(self.n as f64);
        let (mut taken, mut cost) = (0, F::nan());
        let outcome = loop {
            if taken == count {
                break Ok(cost);
            }
            let (gw, gb);
            (cost, (gw, gb)) = match method {
                GradientMethod::BackPropagation => {
                    let (sum, (gw, gb)) = self.neuron_pass::<D_IN, BCE>(&w, b, activation, true);
                    (sum / cast(self.n as f64), (gw.map(|g| g * scale), gb * scale))
                }
                GradientMethod::FiniteDifference(settings) => {
                    let cost = |w: &[F; D_IN], b| {
                        let (sum, _) = self.neuron_pass::<D_IN, BCE>(w, b, activation, false);
                        sum / cast(self.n as f64)
                    };
                    neuron_differences(cost, (&w, b), settings)
                }
            };
            self.slopes[..D_IN].copy_from_slice(&gw);
            self.slopes[D_IN] = gb;
            if !cost.is_finite() {
                break Err("cost");
            }
            if !(update_finite(&w, &gw, rate) & update_finite([&b], [&gb], rate)) {
                break Err(refusal(gw.into_iter().chain([gb])));
            }
            for (p, &g) in w.iter_mut().zip(&gw) {
                *p += -rate * g;
            }
            b += -rate * gb;
            taken += 1;
        };
        self.parameters[..D_IN].copy_from_slice(&w);
        self.parameters[D_IN] = b;
        (taken, outcome)
    }

    /// A single neuron's feed-forward of the batch at weights `w` and bias `b` through
    /// `activation`, block by block, and the loss (the binary cross-entropy if `BCE`, else
    /// the squared error) summed over the samples in order; with `gradient`, also the
    /// sums over the samples of its gradient (`Σ x_k·δ` for each weight, `Σ δ` for the
    /// bias, unscaled). [`DirectRun::forward`], [`DirectRun::loss_sum`] and
    /// [`DirectRun::back_propagate`]'s operations in the same order, on registers.
    #[inline(always)]
    fn neuron_pass<const D_IN: usize, const BCE: bool>(
        &self,
        w: &[F; D_IN],
        b: F,
        activation: impl Fn() -> Activation,
        gradient: bool,
    ) -> (F, ([F; D_IN], F)) {
        let (activation, per_row) = (activation(), self.per_row);
        let (mut cost_sum, mut gw, mut gb) = (F::zero(), [F::zero(); D_IN], F::zero());
        let mut left = self.n;
        for (block, y) in self.targets.iter().enumerate() {
            let x = |k: usize| &self.features[k * per_row + block];
            let mut sum = [F::zero(); LANES];
            for (k, &w) in w.iter().enumerate() {
                let x = x(k);
                for i in 0..LANES {
                    sum[i] += x[i] * w;
                }
            }
            let z = sum.map(|v| v + b);
            let mut a = z;
            activation.apply_block(&mut a);
            // The padded lanes of the last block are computed and left out of every sum.
            let lanes = left.min(LANES);
            left -= lanes;
            for i in 0..lanes {
                cost_sum +=
                    if BCE { binary_cross_entropy(z[i], y[i]) } else { squared_error(a[i], y[i]) };
            }
            if !gradient {
                continue;
            }
            let delta: Block<F> = std::array::from_fn(|i| {
                if BCE {
                    a[i] - y[i]
                } else {
                    squared_error_slope(a[i], y[i]) * activation.derivative_from_output(a[i])
                }
            });
            for (k, g) in gw.iter_mut().enumerate() {
                let x = x(k);
                for i in 0..lanes {
                    *g += x[i] * delta[i];
                }
            }
            for &d in &delta[..lanes] {
                gb += d;
            }
        }
        (cost_sum, (gw, gb))
    }

    /// Hidden layer `l`'s part of [`DirectRun::forward`]. (Its own function: inlined, its
    /// loop's registers crowded the output layer's, the one pass a single-layer network
    /// runs.)
    #[inline(never)]
    fn hidden_layer(&mut self, l: usize) {
        let s = self.shapes[l];
        let (w, b) = (&self.parameters[s.w..s.b], &self.parameters[s.b..][..s.d]);
        let (inputs, rows) = self.features.split_at_mut(s.z);
        let (x, z) = (&inputs[s.x..], &mut rows[..s.d * self.per_row]);
        // Hidden activations are element-wise (the network's checks refuse softmax there).
        let activation = s.activation;
        affine_by_feature(x, (w, b), (s.d_in, s.d, self.per_row), |at, mut block| {
            activation.apply_block(&mut block);
            z[at] = block;
        });
    }

    /// The loss summed over the batch, after [`DirectRun::forward`], in the order of
    /// [`Loss::sum_slices`].
    #[inline(always)]
    fn loss_sum(&self) -> F {
        let s = self.shapes[self.shapes.len() - 1];
        let y = &self.targets;
        match (self.output, self.loss) {
            (Output::Blocks, Loss::BinaryCrossEntropy) => {
                let z = &self.features[s.z..][..self.per_row];
                sum_in_order(self.n, lanes(z, y, binary_cross_entropy))
            }
            (Output::Blocks, _) => sum_in_order(self.n, lanes(self.outputs, y, squared_error)),
            (Output::Rows, loss) => loss.sum_slices(self.z_rows, self.a_rows, self.y, s.d),
        }
    }

    /// The cost at the current parameters, as [`Mlp::cost_unchecked`] gives it.
    fn cost(&mut self) -> F {
        self.forward();
        self.loss_sum() / cast(self.n as f64)
    }

    /// Feed-forward and back-propagation: the gradient of the cost into `slopes`, as
    /// [`crate::direct::backward_sums`] with the one-chunk batch's scale `1/n`; returns the
    /// cost.
    fn back_propagate(&mut self) -> F {
        self.forward();
        let (n, per_row) = (self.n, self.per_row);
        let cost_sum = self.loss_sum();
        let last = self.shapes[self.shapes.len() - 1];
        let errors = &mut self.errors[last.z..][..last.d * per_row];
        match self.output {
            Output::Blocks => {
                let (outputs, targets) = (&*self.outputs, &*self.targets);
                for ((delta, a), y) in errors.iter_mut().zip(outputs).zip(targets) {
                    for i in 0..LANES {
                        // As `Loss::output_delta_slices`, then the activation's derivative.
                        delta[i] = if self.loss == Loss::BinaryCrossEntropy {
                            a[i] - y[i]
                        } else {
                            squared_error_slope(a[i], y[i])
                                * last.activation.derivative_from_output(a[i])
                        };
                    }
                }
            }
            Output::Rows => {
                let (a, y, d) = (&self.a_rows, self.y, last.d);
                self.loss.output_delta_slices(self.delta_rows, a, y, d, last.activation);
                let rows = (d, per_row * LANES);
                transpose(errors.as_flattened_mut(), self.delta_rows, (n, d), rows);
            }
        }
        let scale = F::one() / cast(n as f64);
        for l in (0..self.shapes.len()).rev() {
            let s = self.shapes[l];
            // ∂C/∂W = Aᵀ·Δ and ∂C/∂b = Σ_samples Δ, each entry the dot product of two rows,
            // summed over the samples in order as `direct::backward_sums` does.
            for k in 0..s.d_in {
                let a = row(self.features, s.x + k * per_row, per_row);
                for j in 0..s.d {
                    let delta = row(self.errors, s.z + j * per_row, per_row);
                    let sum = sum_in_order(n, lanes(a, delta, |a, e| a * e));
                    self.slopes[s.w + k * s.d + j] = sum * scale;
                }
            }
            for j in 0..s.d {
                let sum =
                    sum_in_order(n, row(self.errors, s.z + j * per_row, per_row).iter().copied());
                self.slopes[s.b + j] = sum * scale;
            }
            if l > 0 {
                self.error_passed_back(l);
            }
        }
        cost_sum / cast(n as f64)
    }

    /// Layer `l`'s error passed back to layer `l − 1`: `Δ_prev = (Δ·Wᵀ) ⊙ f'_prev`, entry
    /// `(i, k)` summed over `j` in order from zero as `direct::backward_sums` does, then
    /// times the previous layer's derivative. Its own function, as
    /// [`DirectRun::hidden_layer`].
    #[inline(never)]
    fn error_passed_back(&mut self, l: usize) {
        let (s, per_row) = (self.shapes[l], self.per_row);
        let previous = self.shapes[l - 1].activation;
        for k in 0..s.d_in {
            for block in 0..per_row {
                let mut sum = [F::zero(); LANES];
                for j in 0..s.d {
                    let delta = self.errors[s.z + j * per_row + block];
                    let w = self.parameters[s.w + k * s.d + j];
                    for i in 0..LANES {
                        sum[i] += delta[i] * w;
                    }
                }
                let at = s.x + k * per_row + block;
                previous.mul_derivative_block(&mut sum, &self.features[at]);
                self.errors[at] = sum;
            }
        }
    }

    /// The gradient by finite differences into `slopes`, as [`crate::finite_difference`]
    /// computes it (each parameter moved in turn, in the order of [`Mlp::parameters`], and
    /// put back to its exact bits); returns the cost.
    fn finite_differences(&mut self, settings: FiniteDifference<F>) -> F {
        let eps = settings.step;
        let two_eps = cast::<F>(2.0) * eps;
        let base = self.cost();
        for index in 0..self.parameters.len() {
            let original = self.parameters[index];
            self.parameters[index] = original + eps;
            let plus = self.cost();
            self.slopes[index] = match settings.difference {
                Difference::Forward => (plus - base) / eps,
                Difference::Central => {
                    self.parameters[index] = original - eps;
                    let minus = self.cost();
                    (plus - minus) / two_eps
                }
            };
            self.parameters[index] = original;
        }
        base
    }
}

/// Whether the update `p − rate·g` of every parameter `p` with its gradient entry `g` is
/// finite, in one read-only pass before anything is written, as `Mlp::descend_if_finite`
/// (`&` rather than a short-circuit: branch-free, and the answer is almost always yes).
#[inline(always)]
fn update_finite<'p, F: NdFloat>(
    parameters: impl IntoIterator<Item = &'p F>,
    gradient: impl IntoIterator<Item = &'p F>,
    rate: F,
) -> bool {
    parameters.into_iter().zip(gradient).fold(true, |ok, (&p, &g)| ok & (p - rate * g).is_finite())
}

/// Why a step whose update is not finite is refused: the gradient itself, or only the
/// update.
fn refusal<F: NdFloat>(mut gradient: impl Iterator<Item = F>) -> Divergence {
    if gradient.all(|g| g.is_finite()) { "parameter update" } else { "gradient" }
}

/// A single neuron's cost at weights `w` and bias `b` (by `cost`) and its gradient by
/// finite differences, as [`DirectRun::finite_differences`] computes them: each parameter
/// moved in turn (the weights, then the bias), the others where they stand.
#[inline(always)]
fn neuron_differences<F: NdFloat, const D_IN: usize>(
    cost: impl Fn(&[F; D_IN], F) -> F,
    (w, b): (&[F; D_IN], F),
    settings: FiniteDifference<F>,
) -> (F, ([F; D_IN], F)) {
    let eps = settings.step;
    let two_eps = cast::<F>(2.0) * eps;
    let base = cost(w, b);
    // The slope from the cost with the parameter moved by `moved(eps)` (and `moved(-eps)`).
    let slope = |moved: &dyn Fn(F) -> F| {
        let plus = moved(eps);
        match settings.difference {
            Difference::Forward => (plus - base) / eps,
            Difference::Central => (plus - moved(-eps)) / two_eps,
        }
    };
    let gw = std::array::from_fn(|k| {
        slope(&|by: F| {
            let mut moved = *w;
            moved[k] = w[k] + by;
            cost(&moved, b)
        })
    });
    let gb = slope(&|by: F| cost(w, b + by));
    (base, (gw, gb))
}

/// `Z = X·W + 1·bᵀ` feature by feature, a block of samples at a time: `x` holds `d_in`
/// rows of `per_row` blocks, `w` is `d_in × d` row-major, and each block of the `d` output
/// rows goes to `keep` with its index among them. Each entry is `(Σ_k x_ik·w_kj) + b_j`,
/// summed over `k` in order from zero as [`crate::direct`]'s `affine` does (zero first:
/// `0 + x·w` turns a −0 into 0, as that sum does).
#[inline(always)]
fn affine_by_feature<F: NdFloat>(
    x: &[Block<F>],
    (w, b): (&[F], &[F]),
    (d_in, d, per_row): (usize, usize, usize),
    mut keep: impl FnMut(usize, Block<F>),
) {
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

/// `buffer`, every entry set to `zero`.
fn zeroed<T: Copy>(buffer: &mut [T], zero: T) -> &mut [T] {
    buffer.fill(zero);
    buffer
}

/// The `per_row` blocks of one feature's samples, from block `first`.
#[inline(always)]
fn row<F>(blocks: &[Block<F>], first: usize, per_row: usize) -> &[Block<F>] {
    &blocks[first..][..per_row]
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

/// The sum of the first `n` samples' terms, in order from zero, from the blocks of terms
/// (computed lane by lane, as vector operations): whole blocks, then the first lanes of
/// the last one (its padded lanes are left out: even adding a padded zero could turn a −0
/// sum into 0).
#[inline(always)]
fn sum_in_order<F: NdFloat>(n: usize, terms: impl Iterator<Item = Block<F>>) -> F {
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
    x: &'s [Block<F>],
    y: &'s [Block<F>],
    f: impl Fn(F, F) -> F + 's,
) -> impl Iterator<Item = Block<F>> + 's {
    x.iter().zip(y).map(move |(x, y)| std::array::from_fn(|i| f(x[i], y[i])))
}
