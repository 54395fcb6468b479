//! The direct path: feed-forward and back-propagation of a small network as plain loops
//! over contiguous slices.
//!
//! For a network whose layers are tiny (the lessons' NAND neuron, 2-1, and XOR, 2-2-1), a
//! step is a few dozen multiply-adds, and what costs is the machinery around them: a
//! matrix-product call (shape checks, kernel dispatch) and an array view for every operand
//! of every product, bias and activation. Here each layer's products are loops over the
//! row-major buffers themselves, and the activations run over whole slices (the sigmoid's
//! loop vectorises). The engine takes this path by the network's shape alone
//! ([`Mlp::takes_direct_path`]), for every batch and every chunk, so a given network always
//! computes with the same arithmetic, whatever the batch size or the thread count.
//!
//! Every sum runs in the order the general path's matrix product runs it (over `k`, then
//! the bias), but as separate multiplies and adds: where the CPU has fused multiply-add,
//! the general path's product fuses them, so the two paths can differ in the last bits.

use ndarray::{Array1, Array2, NdFloat};

use crate::{Architecture, Gradient, Loss, Mlp, Workspace};

/// Up to this many weights in every layer (`d_prev · d`), a network takes the direct path.
///
/// A matrix-product call costs about 450 instructions (callgrind: the NAND neuron's 4×2·2×1
/// product, 8 multiply-adds) before and around its arithmetic; these loops have almost no
/// set-up but do one multiply-add an instruction where the GEMM's AVX-512 kernel does 16.
/// The bound takes in the lessons' networks (NAND 2-1, XOR 2-2-1); the adders' layers
/// (8×16, 10×20) stay on the GEMM. The crossover in between is not measured yet.
const MAX_WEIGHTS: usize = 16;

impl Architecture {
    /// Whether a network of this shape takes the direct path: every layer at most
    /// [`MAX_WEIGHTS`] weights. The rule itself, asked by [`Mlp::takes_direct_path`] and,
    /// before any network is built, by the memory limit (which counts the direct run's
    /// buffers only for such shapes). A product past a `usize` is past the bound too.
    pub(crate) fn takes_direct_path(&self) -> bool {
        let sizes = self.sizes();
        sizes.windows(2).all(|w| w[0].checked_mul(w[1]).is_some_and(|n| n <= MAX_WEIGHTS))
    }
}

impl<F: NdFloat> Mlp<F> {
    /// Whether the network is small enough for the direct path: decided by its shape alone
    /// ([`Architecture::takes_direct_path`]). (Its parameters are always row-major:
    /// [`Layer::new`](crate::Layer::new) makes them so, and nothing can change a layer's
    /// storage afterwards. Asking ndarray for the layout here instead cost about 50
    /// instructions a call, twice a step.)
    pub(crate) fn takes_direct_path(&self) -> bool {
        self.architecture().takes_direct_path()
    }
}

/// A buffer the engine built (a workspace's, a layer's, a gradient's): always row-major.
#[expect(
    clippy::expect_used,
    reason = "the engine builds its buffers row-major, and Layer::new stores weights row-major"
)]
fn flat<F>(m: &Array2<F>) -> &[F] {
    m.as_slice().expect("the engine's buffers and parameters are row-major")
}

#[expect(clippy::expect_used, reason = "as `flat`: the engine's buffers are row-major")]
fn flat_mut<F>(m: &mut Array2<F>) -> &mut [F] {
    m.as_slice_mut().expect("the engine's buffers and parameters are row-major")
}

/// A bias: contiguous ([`Layer::new`](crate::Layer::new) makes it so, or the engine built it).
#[expect(clippy::expect_used, reason = "Layer::new and the engine build biases contiguous")]
fn flat1<F>(b: &Array1<F>) -> &[F] {
    b.as_slice().expect("a contiguous bias")
}

/// A gradient's bias, which the engine builds: contiguous.
#[expect(clippy::expect_used, reason = "a gradient's bias is built by the engine, contiguous")]
fn flat1_mut<F>(b: &mut Array1<F>) -> &mut [F] {
    b.as_slice_mut().expect("a gradient's bias is contiguous")
}

/// Feed-forward of the `n` rows of `x` (row-major, `n × d_0`) into the workspace, as
/// [`Mlp::forward_unchecked`] (shapes already checked).
pub(crate) fn forward<F: NdFloat>(mlp: &Mlp<F>, workspace: &mut Workspace<F>, x: &[F], n: usize) {
    let last = mlp.layers.len() - 1;
    let Workspace { a, z_last, .. } = workspace;
    for (l, layer) in mlp.layers.iter().enumerate() {
        let (d_in, d) = layer.w.dim();
        let (before, from) = a.split_at_mut(l);
        let input = if l == 0 { x } else { &flat(&before[l - 1])[..n * d_in] };
        let out = &mut flat_mut(&mut from[0])[..n * d];
        let (w, b) = (flat(&layer.w), flat1(&layer.b));
        if l == last {
            // The output layer's pre-activations are kept for the cross-entropies.
            let z = &mut flat_mut(z_last)[..n * d];
            affine(out, input, w, b, d, |i, v| z[i] = v);
        } else {
            affine(out, input, w, b, d, |_, _| {});
        }
        layer.activation.apply_slice(out, d);
    }
}

/// `Z = X·W + 1·bᵀ`: each entry `z_ij = (Σ_k x_ik·w_kj) + b_j`, summed over `k` in order in
/// a register, then handed to `keep` with its index as well as stored. (A loop along a row
/// of `W` that added into `Z` in memory went through a store and a load per `k`: a chain of
/// store-to-load forwarding that was a third of the NAND neuron's step.)
fn affine<F: NdFloat>(
    z: &mut [F],
    x: &[F],
    w: &[F],
    b: &[F],
    d: usize,
    mut keep: impl FnMut(usize, F),
) {
    let d_in = w.len() / d;
    // Indexing `W` by `k·d + j` rather than stepping along a column with `step_by`: a
    // stepped iterator divides to find its length, a `div` per entry that cost more than
    // the NAND neuron's multiply-adds.
    for (i, (z, x)) in z.chunks_exact_mut(d).zip(x.chunks_exact(d_in)).enumerate() {
        for (j, (z, &b)) in z.iter_mut().zip(b).enumerate() {
            let mut v = F::zero();
            for (k, &x) in x.iter().enumerate() {
                v += x * w[k * d + j];
            }
            let v = v + b;
            *z = v;
            keep(i * d + j, v);
        }
    }
}

/// Back-propagation of the `n` rows of `x` and `y` (row-major) after [`forward`]: returns
/// the loss sum and writes the gradient of that sum times `scale`, as
/// [`Mlp::backward_sums_unchecked`]. Each entry is its sum times `scale`, the bits of
/// [`Gradient::scale`] after the sums, without a second pass.
pub(crate) fn backward_sums<F: NdFloat>(
    mlp: &Mlp<F>,
    workspace: &mut Workspace<F>,
    (x, y, n): (&[F], &[F], usize),
    loss: Loss,
    gradient: &mut Gradient<F>,
    scale: F,
) -> F {
    let last = mlp.layers.len() - 1;
    let d_last = mlp.layers[last].w.ncols();
    let Workspace { a, delta, z_last, .. } = workspace;
    let a_last = &flat(&a[last])[..n * d_last];
    let cost_sum = loss.sum_slices(&flat(z_last)[..n * d_last], a_last, y, d_last);
    // Δ_L = ∂(Σ loss)/∂Z_L
    let output = mlp.layers[last].activation;
    loss.output_delta_slices(
        &mut flat_mut(&mut delta[last])[..n * d_last],
        a_last,
        y,
        d_last,
        output,
    );

    for l in (0..=last).rev() {
        let layer = &mlp.layers[l];
        let (d_in, d) = layer.w.dim();
        let (lower, upper) = delta.split_at_mut(l);
        let delta_l = &flat(&upper[0])[..n * d];
        let a_prev = if l == 0 { x } else { &flat(&a[l - 1])[..n * d_in] };
        let g = &mut gradient.layers_mut()[l];
        // ∂C/∂W_l = A_{l-1}ᵀ · Δ_l, each entry summed over the rows in order; and
        // ∂C/∂b_l = Σ_rows Δ_l.
        // Each entry summed over the rows in a register, as in `affine`.
        // Indexed by row rather than stepped (`step_by` divides, as in `affine`).
        for (p, gw) in flat_mut(&mut g.w).chunks_exact_mut(d).enumerate() {
            for (j, g) in gw.iter_mut().enumerate() {
                let mut s = F::zero();
                for i in 0..n {
                    s += a_prev[i * d_in + p] * delta_l[i * d + j];
                }
                *g = s * scale;
            }
        }
        let gb = flat1_mut(&mut g.b);
        for (j, g) in gb.iter_mut().enumerate() {
            let mut s = F::zero();
            for i in 0..n {
                s += delta_l[i * d + j];
            }
            *g = s * scale;
        }
        if l > 0 {
            // Δ_{l-1} = (Δ_l · W_lᵀ) ⊙ f'_{l-1}(Z_{l-1}): entry (i, k) is the dot product of
            // row i of Δ_l with row k of W_l, both contiguous.
            let delta_prev = &mut flat_mut(&mut lower[l - 1])[..n * d_in];
            let w = flat(&layer.w);
            for (p_row, d_row) in delta_prev.chunks_exact_mut(d_in).zip(delta_l.chunks_exact(d)) {
                for (p, w) in p_row.iter_mut().zip(w.chunks_exact(d)) {
                    *p = d_row.iter().zip(w).fold(F::zero(), |s, (&dj, &wj)| s + dj * wj);
                }
            }
            mlp.layers[l - 1].activation.mul_derivative_slice(delta_prev, a_prev, d_in);
        }
    }
    cost_sum
}

/// The cost sum of the `n` rows of `y` after [`forward`], as [`Loss::sum_with_logits`]
/// gives it.
pub(crate) fn loss_sum<F: NdFloat>(
    mlp: &Mlp<F>,
    workspace: &Workspace<F>,
    y: &[F],
    n: usize,
    loss: Loss,
) -> F {
    let last = mlp.layers.len() - 1;
    let d_last = mlp.layers[last].w.ncols();
    let a_last = &flat(&workspace.a[last])[..n * d_last];
    loss.sum_slices(&flat(&workspace.z_last)[..n * d_last], a_last, y, d_last)
}
