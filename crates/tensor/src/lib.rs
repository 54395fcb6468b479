//! Dense kernels for `nn`, on [`ndarray`] arrays, generic over `f32` and `f64` ([`NdFloat`]).
//!
//! This crate knows nothing of layers or training. It holds the few operations a
//! feed-forward network is made of, each writing into a destination passed first
//! (`*_into`), so that a training loop can build its buffers once and reuse them:
//!
//! - matrix products, plain or with either operand transposed ([`matmul_into`],
//!   [`matmul_at_b_into`], [`matmul_a_bt_into`]), a layer's `A·W + 1·bᵀ` in one pass
//!   ([`matmul_bias_into`]), and the general `C ← α·A·B + β·C`
//!   ([`gemm_into`]): the crate's own packed, cache-blocked kernel with AVX-512 and AVX2
//!   micro-kernels chosen at run time, which allocates nothing once warm;
//! - the bias broadcast over the rows of a batch and its reverse, column sums
//!   ([`add_row_into`], [`column_sums_into`]);
//! - activations and their derivatives, in place: element-wise ones, and the row-wise
//!   softmax of an output layer ([`Activation`]);
//! - seeded uniform initialisation ([`fill_uniform`], [`uniform`]);
//! - element-wise loops run in the widest vectors the CPU has, AVX-512 or AVX2, chosen at
//!   run time ([`vectorized()`]).
//!
//! Rows are samples: a batch of `n` inputs of width `d` is an `n × d` matrix.
//!
//! Shapes are the caller's contract: after data is checked where it enters (in `nn-net`),
//! the kernels assert their shapes and panic with a message naming both, rather than
//! returning a `Result` from every product.
//!
//! # Example
//!
//! One layer of a network, `A = σ(X·W + b)`, for a batch of two samples:
//!
//! ```
//! use ndarray::{array, Array2};
//! use nn_tensor::{add_row_into, matmul_into, Activation};
//!
//! let x = array![[0.0_f64, 1.0], [1.0, 1.0]]; // 2 samples × 2 inputs
//! let w = array![[2.0], [-1.0]];               // 2 inputs × 1 neuron
//! let b = array![0.5];
//!
//! let mut a = Array2::zeros((2, 1));
//! matmul_into(&mut a, &x, &w); // z = x·w
//! add_row_into(&mut a, &b);    // z += b, on every row
//! Activation::Sigmoid.apply_inplace(&mut a);
//!
//! // z = [0·2 + 1·(−1) + 0.5, 1·2 + 1·(−1) + 0.5] = [−0.5, 1.5]
//! assert!((a[[0, 0]] - 1.0 / (1.0 + 0.5_f64.exp())).abs() < 1e-12);
//! assert!((a[[1, 0]] - 1.0 / (1.0 + (-1.5_f64).exp())).abs() < 1e-12);
//! ```

mod activation;
mod bias;
mod exp;
mod gemm;
mod init;
mod matmul;
mod vectorized;

pub use activation::{Activation, LEAKY_RELU_SLOPE, ParseActivationError};
pub use bias::{add_row_into, column_sums_into};
pub use gemm::gemm_into;
pub use init::{fill_uniform, uniform};
pub use matmul::{matmul, matmul_a_bt_into, matmul_at_b_into, matmul_bias_into, matmul_into};
pub use vectorized::vectorized;

/// The float types the kernels work on: ndarray's own bound, met by `f32` and `f64`.
pub use ndarray::NdFloat;
