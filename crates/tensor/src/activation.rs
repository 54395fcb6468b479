//! Activation functions, each beside its derivative: five element-wise ones, and the
//! row-wise softmax of an output layer.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayRef2, ArrayView2, ArrayViewMut2, NdFloat, Zip};
use num_traits::NumCast;

use crate::exp::{sigmoid, sigmoid_slice};
use crate::vectorized;

/// The slope of [`Activation::LeakyRelu`] for negative inputs.
pub const LEAKY_RELU_SLOPE: f64 = 0.01;

/// An activation `a = f(z)`: element-wise, except [`Activation::Softmax`], which maps each
/// row (one sample) as a whole.
///
/// Every derivative here is a function of the output `a` alone, so back-propagation takes
/// it from the activations the forward pass already stored: the forward pass runs in
/// place, one buffer per layer. Each variant's doc states how its derivative is read off
/// the output.
///
/// Softmax's derivative is a matrix per row (its Jacobian), not a number per element, so
/// the element-wise functions [`value`](Activation::value) and
/// [`derivative_from_output`](Activation::derivative_from_output) can only say part of
/// it (see their docs); the matrix kernels [`apply_inplace`](Activation::apply_inplace)
/// and [`mul_derivative_inplace`](Activation::mul_derivative_inplace) work on whole rows
/// and are exact for every variant. `nn-net` allows softmax on the output layer only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Activation {
    /// `f(z) = 1 / (1 + e^(−z))`. Derivative from the output: `f'(z) = a·(1 − a)`.
    #[default]
    Sigmoid,
    /// `f(z) = tanh(z)`. Derivative from the output: `f'(z) = 1 − a²`.
    Tanh,
    /// `f(z) = max(0, z)`. Derivative from the output: `1` where `a > 0`, else `0`
    /// (`a > 0` exactly when `z > 0`; at `z = 0` the derivative is taken as 0).
    Relu,
    /// `f(z) = z` for `z > 0`, else [`LEAKY_RELU_SLOPE`]`·z`. Derivative from the output:
    /// `1` where `a > 0`, else the slope (the slope is positive, so `a` and `z` share a sign).
    LeakyRelu,
    /// `f(z) = z`. Derivative: `1`, whatever the output.
    Identity,
    /// Row-wise: `a_j = e^(z_j) / Σ_k e^(z_k)` over the `d` entries of one row, computed
    /// as `e^(z_j − m) / Σ_k e^(z_k − m)` with `m` the row's maximum, so no exponent is
    /// positive and nothing overflows. The outputs of a row are positive and sum to 1: a
    /// probability for each of `d` classes. Derivative from the output: the Jacobian
    /// `∂a_j/∂z_k = a_j·(δ_jk − a_k)` (`δ_jk` is 1 when `j = k`, else 0), which
    /// [`mul_derivative_inplace`](Activation::mul_derivative_inplace) applies to a row
    /// `g` as `a ⊙ (g − ⟨g, a⟩)`.
    Softmax,
}

impl Activation {
    /// Every activation, in declaration order (for tests and help texts).
    pub const ALL: [Activation; 6] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Identity,
        Activation::Softmax,
    ];

    /// The element-wise activations, in declaration order: [`Activation::ALL`] without
    /// softmax. These are the ones a hidden layer may have.
    pub const ELEMENTWISE: [Activation; 5] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Identity,
    ];

    /// The name used on the command line and in files: `sigmoid`, `tanh`, `relu`,
    /// `leaky-relu`, `identity`, `softmax`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Identity => "identity",
            Activation::Softmax => "softmax",
        }
    }

    /// Whether each output depends on its own input alone (every activation but softmax,
    /// whose outputs depend on the whole row).
    pub fn is_elementwise(self) -> bool {
        !matches!(self, Activation::Softmax)
    }

    /// `f(z)` for one value.
    ///
    /// The sigmoid's `e^(−z)` is computed without a library call, within 2 ulp of the
    /// correctly rounded value (see `exp.rs`), so that a loop of sigmoids vectorises; this
    /// scalar and the matrix kernels use the same arithmetic and give the same bits.
    ///
    /// For [`Activation::Softmax`], which needs a whole row, this is the softmax of the
    /// row of one entry `[z]`, which is always `1`: use
    /// [`apply_inplace`](Activation::apply_inplace) on a matrix for rows of more entries.
    #[inline]
    pub fn value<F: NdFloat>(self, z: F) -> F {
        match self {
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(F::zero()),
            Activation::LeakyRelu => {
                if z > F::zero() {
                    z
                } else {
                    z * leaky_slope()
                }
            }
            Activation::Identity => z,
            Activation::Softmax => F::one(),
        }
    }

    /// `f'(z)` for one value, computed from the output `a = f(z)`.
    ///
    /// For [`Activation::Softmax`] this is the diagonal entry of the row's Jacobian,
    /// `∂a_j/∂z_j = a_j·(1 − a_j)`, true for rows of any width (and `0` for the row of
    /// one, whose output is the constant `1`). It leaves out the off-diagonal entries
    /// `∂a_j/∂z_k = −a_j·a_k`: to carry an error back through softmax use
    /// [`mul_derivative_inplace`](Activation::mul_derivative_inplace), which applies the
    /// whole Jacobian.
    #[inline]
    pub fn derivative_from_output<F: NdFloat>(self, a: F) -> F {
        match self {
            Activation::Sigmoid => a * (F::one() - a),
            Activation::Tanh => F::one() - a * a,
            Activation::Relu => {
                if a > F::zero() {
                    F::one()
                } else {
                    F::zero()
                }
            }
            Activation::LeakyRelu => {
                if a > F::zero() {
                    F::one()
                } else {
                    leaky_slope()
                }
            }
            Activation::Identity => F::one(),
            Activation::Softmax => a * (F::one() - a),
        }
    }

    /// Replaces every `z` in the matrix by `f(z)`; for softmax, every row by its softmax.
    pub fn apply_inplace<F: NdFloat>(self, z: &mut ArrayRef2<F>) {
        let width = z.ncols();
        match (self, z.as_slice_mut()) {
            // Row-major storage (the engine's buffers): the slice loops, which vectorise.
            (_, Some(entries)) => self.apply_slice(entries, width),
            (Activation::Softmax, None) => softmax_rows_inplace(z),
            (_, None) => z.mapv_inplace(|v| self.value(v)),
        }
    }

    /// `delta ⊙= f'(z)`, with the derivative read off the stored outputs `a = f(z)`.
    ///
    /// This is the step of back-propagation that carries an error through an activation:
    /// `Δ_l = (∂C/∂A_l) ⊙ f'(Z_l)`. For softmax, where each output depends on the whole
    /// row, it is the row's Jacobian (symmetric) times the row of `delta`: with `g` a row
    /// of `delta` (`∂C/∂a`) and `a` the same row of outputs,
    /// `g ← (diag(a) − a·aᵀ)·g = a ⊙ (g − ⟨g, a⟩)`.
    ///
    /// # Shapes
    /// `delta` and `a` have the same shape.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn mul_derivative_inplace<F: NdFloat>(self, delta: &mut ArrayRef2<F>, a: &ArrayRef2<F>) {
        assert_eq!(
            delta.dim(),
            a.dim(),
            "mul_derivative_inplace: the error is {:?} but the activations are {:?}",
            delta.dim(),
            a.dim()
        );
        let width = delta.ncols();
        match (self, delta.as_slice_mut(), a.as_slice()) {
            // Row-major storage (the engine's buffers): the slice loops.
            (_, Some(delta), Some(a)) => self.mul_derivative_slice(delta, a, width),
            (Activation::Softmax, _, _) => softmax_jacobian_rows_inplace(delta, a),
            _ => Zip::from(delta).and(a).for_each(|d, &a| *d *= self.derivative_from_output(a)),
        }
    }
}

impl Activation {
    /// [`apply_inplace`](Activation::apply_inplace) on a row-major matrix stored as one
    /// slice, rows of `width` entries: for callers that keep their buffers as slices (the
    /// small networks' direct path), with no array view to build.
    ///
    /// # Shapes
    /// `z.len()` is a multiple of `width` (rows × width).
    ///
    /// # Panics
    /// For softmax, if `z.len()` is not a multiple of a non-zero `width`.
    pub fn apply_slice<F: NdFloat>(self, z: &mut [F], width: usize) {
        match self {
            Activation::Sigmoid => sigmoid_slice(z),
            Activation::Tanh => z.iter_mut().for_each(|v| *v = v.tanh()),
            Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(F::zero())),
            Activation::LeakyRelu => {
                z.iter_mut().for_each(|v| *v = Activation::LeakyRelu.value(*v));
            }
            Activation::Identity => {}
            Activation::Softmax => softmax_rows_inplace(&mut rows_mut(z, width)),
        }
    }

    /// `f` on each entry of a fixed-size block, [`value`](Activation::value) by value:
    /// the `match` is outside the loop over the entries, so a block of a few entries
    /// (the samples of one feature, say) runs as vector operations, with no loop count to
    /// test. Every entry is its own row of one, so softmax gives 1 (a NaN included): apply
    /// softmax to rows with [`apply_slice`](Activation::apply_slice).
    ///
    /// ```
    /// use nn_tensor::Activation;
    ///
    /// let mut block = [-1.0_f32, 0.0, 2.0, 3.0];
    /// Activation::Relu.apply_block(&mut block);
    /// assert_eq!(block, [0.0, 0.0, 2.0, 3.0]);
    /// Activation::Sigmoid.apply_block(&mut block);
    /// assert_eq!(block[0], 0.5);
    /// assert_eq!(block[2], Activation::Sigmoid.value(2.0_f32));
    /// ```
    #[inline(always)]
    pub fn apply_block<F: NdFloat, const N: usize>(self, z: &mut [F; N]) {
        #[inline(always)]
        fn each<F: Copy, const N: usize>(z: &mut [F; N], f: impl Fn(F) -> F) {
            for v in z {
                *v = f(*v);
            }
        }
        match self {
            Activation::Sigmoid => each(z, sigmoid),
            Activation::Tanh => each(z, |v| v.tanh()),
            Activation::Relu => each(z, |v| v.max(F::zero())),
            Activation::LeakyRelu => each(z, |v| Activation::LeakyRelu.value(v)),
            Activation::Identity => {}
            Activation::Softmax => each(z, |_| F::one()),
        }
    }

    /// `δ ← δ ⊙ f'(z)`, read off the outputs `a`, on a fixed-size block: the block form of
    /// [`mul_derivative_slice`](Activation::mul_derivative_slice) for the element-wise
    /// activations, the same operations entry by entry. Every entry is its own row of one,
    /// so softmax's factor is its diagonal, `a·(1 − a)` (0 for a row of one).
    ///
    /// ```
    /// use nn_tensor::Activation;
    ///
    /// let mut delta = [1.0_f64, 1.0, -2.0, 4.0];
    /// Activation::Relu.mul_derivative_block(&mut delta, &[0.0, 0.5, 1.0, 0.0]);
    /// assert_eq!(delta, [0.0, 1.0, -2.0, 0.0]);
    /// ```
    #[inline(always)]
    pub fn mul_derivative_block<F: NdFloat, const N: usize>(self, delta: &mut [F; N], a: &[F; N]) {
        #[inline(always)]
        fn each<F: NdFloat, const N: usize>(delta: &mut [F; N], a: &[F; N], f: impl Fn(F) -> F) {
            for (d, &a) in delta.iter_mut().zip(a) {
                *d *= f(a);
            }
        }
        match self {
            Activation::Identity => {}
            Activation::Sigmoid => each(delta, a, |a| self.derivative_from_output(a)),
            Activation::Tanh => each(delta, a, |a| self.derivative_from_output(a)),
            Activation::Relu => each(delta, a, |a| self.derivative_from_output(a)),
            Activation::LeakyRelu => each(delta, a, |a| self.derivative_from_output(a)),
            Activation::Softmax => each(delta, a, |a| self.derivative_from_output(a)),
        }
    }

    /// [`mul_derivative_inplace`](Activation::mul_derivative_inplace) on row-major
    /// matrices stored as slices, rows of `width` entries.
    ///
    /// # Shapes
    /// `delta` and `a` have the same length, a multiple of `width`.
    ///
    /// # Panics
    /// If the lengths differ; for softmax, if they are not a multiple of a non-zero `width`.
    #[track_caller]
    pub fn mul_derivative_slice<F: NdFloat>(self, delta: &mut [F], a: &[F], width: usize) {
        assert_eq!(
            delta.len(),
            a.len(),
            "mul_derivative_slice: the error has {} entries but the activations {}",
            delta.len(),
            a.len()
        );
        // One match outside the loop, a monomorphic closure inside, as in `apply_inplace`;
        // the loop in the widest vectors the CPU has.
        #[inline(always)]
        fn each<F: NdFloat>(delta: &mut [F], a: &[F], f: impl Fn(F) -> F) {
            vectorized::<F, _>(
                delta.len(),
                #[inline(always)]
                || {
                    delta.iter_mut().zip(a).for_each(|(d, &a)| *d *= f(a));
                },
            );
        }
        match self {
            Activation::Identity => {}
            // Each closure names its activation as a constant: the loop is compiled apart
            // from this match (in `vectorized`'s copies), and a `self` read inside it would
            // be matched again for every element.
            Activation::Sigmoid => each(delta, a, |a| Self::Sigmoid.derivative_from_output(a)),
            Activation::Tanh => each(delta, a, |a| Self::Tanh.derivative_from_output(a)),
            Activation::Relu => each(delta, a, |a| Self::Relu.derivative_from_output(a)),
            Activation::LeakyRelu => {
                each(delta, a, |a| Self::LeakyRelu.derivative_from_output(a));
            }
            Activation::Softmax => {
                softmax_jacobian_rows_inplace(&mut rows_mut(delta, width), &rows(a, width));
            }
        }
    }
}

/// A row-major slice as a matrix of rows of `width` entries.
#[track_caller]
#[expect(
    clippy::expect_used,
    reason = "the documented panic of the slice kernels (# Panics): their callers pass whole \
              rows, as the engine's row-major buffers always are"
)]
fn rows_mut<F>(z: &mut [F], width: usize) -> ArrayViewMut2<'_, F> {
    ArrayViewMut2::from_shape((z.len() / width.max(1), width), z)
        .expect("softmax rows of the given width must fill the slice")
}

/// A row-major slice as a matrix of rows of `width` entries, read only.
#[track_caller]
#[expect(
    clippy::expect_used,
    reason = "the documented panic of the slice kernels (# Panics): their callers pass whole \
              rows, as the engine's row-major buffers always are"
)]
fn rows<F>(z: &[F], width: usize) -> ArrayView2<'_, F> {
    ArrayView2::from_shape((z.len() / width.max(1), width), z)
        .expect("softmax rows of the given width must fill the slice")
}

/// Each row of `z` replaced by its softmax.
fn softmax_rows_inplace<F: NdFloat>(z: &mut ArrayRef2<F>) {
    for mut row in z.rows_mut() {
        // Subtracting the row's maximum `m` leaves the softmax unchanged (the factor e^(−m)
        // cancels) and makes every exponent ≤ 0: nothing overflows, and the largest term is
        // exactly e^0 = 1, so the sum is at least 1 and never an underflowed 0. (`max`
        // skips a NaN, but the NaN still reaches the sum, so a NaN row stays NaN.)
        let max = row.fold(F::neg_infinity(), |m, &v| m.max(v));
        let mut sum = F::zero();
        row.mapv_inplace(|v| {
            let e = (v - max).exp();
            sum += e;
            e
        });
        row.mapv_inplace(|e| e / sum);
    }
}

/// Each row `g` of `delta` replaced by `a ⊙ (g − ⟨g, a⟩)`, the softmax Jacobian of the same
/// row of `a` times `g`: `Σ_k (a_j·δ_jk − a_j·a_k)·g_k = a_j·(g_j − Σ_k a_k·g_k)`. Two passes
/// over the row and no `d × d` matrix.
fn softmax_jacobian_rows_inplace<F: NdFloat>(delta: &mut ArrayRef2<F>, a: &ArrayRef2<F>) {
    Zip::from(delta.rows_mut()).and(a.rows()).for_each(|mut g, a| {
        let dot = Zip::from(&g).and(&a).fold(F::zero(), |sum, &g, &a| sum + g * a);
        Zip::from(&mut g).and(&a).for_each(|g, &a| *g = a * (*g - dot));
    });
}

#[inline]
fn leaky_slope<F: NdFloat>() -> F {
    <F as NumCast>::from(LEAKY_RELU_SLOPE).unwrap_or_else(F::zero)
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An activation name that is not one of [`Activation::ALL`]'s names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseActivationError {
    /// The name that was given.
    pub found: String,
}

impl fmt::Display for ParseActivationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown activation {:?}; expected one of ", self.found)?;
        for (i, activation) in Activation::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{activation}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseActivationError {}

impl FromStr for Activation {
    type Err = ParseActivationError;

    /// Parses a name as printed by [`Activation::name`], ignoring case; `leaky_relu` and
    /// `linear` are accepted as spellings of `leaky-relu` and `identity`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sigmoid" => Ok(Activation::Sigmoid),
            "tanh" => Ok(Activation::Tanh),
            "relu" => Ok(Activation::Relu),
            "leaky-relu" | "leaky_relu" | "leakyrelu" => Ok(Activation::LeakyRelu),
            "identity" | "linear" => Ok(Activation::Identity),
            "softmax" => Ok(Activation::Softmax),
            _ => Err(ParseActivationError { found: s.to_owned() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::{Array2, ShapeBuilder, array};

    #[test]
    fn hand_worked_values() {
        // σ(0) = 1 / (1 + 1) = 0.5, and σ'(0) = 0.5·(1 − 0.5) = 0.25
        assert_eq!(Activation::Sigmoid.value(0.0_f64), 0.5);
        assert_eq!(Activation::Sigmoid.derivative_from_output(0.5_f64), 0.25);
        // tanh(0) = 0, tanh'(0) = 1 − 0² = 1
        assert_eq!(Activation::Tanh.derivative_from_output(Activation::Tanh.value(0.0_f64)), 1.0);
        assert_eq!(Activation::Relu.value(-3.0_f64), 0.0);
        assert_eq!(Activation::Relu.value(3.0_f64), 3.0);
        assert_eq!(Activation::LeakyRelu.value(-3.0_f64), -0.03);
        assert_eq!(Activation::LeakyRelu.derivative_from_output(-0.03_f64), 0.01);
        assert_eq!(Activation::Identity.value(-3.5_f64), -3.5);
    }

    #[test]
    fn derivative_from_output_matches_a_central_difference() {
        // Softmax included: on one value it is the constant 1 (the row of one), whose
        // derivative a·(1 − a) = 1·0 = 0 is what the difference sees.
        for activation in Activation::ALL {
            // Points away from ReLU's kink at 0, where the derivative does not exist.
            for &z in &[-2.3_f64, -0.7, 0.4, 1.9] {
                let h = 1e-6;
                let numeric = (activation.value(z + h) - activation.value(z - h)) / (2.0 * h);
                let analytic = activation.derivative_from_output(activation.value(z));
                assert_abs_diff_eq!(numeric, analytic, epsilon = 1e-8);
            }
        }
    }

    #[test]
    fn in_place_kernels_agree_with_the_scalar_functions() {
        let z = Array2::from_shape_fn((3, 5), |(i, j)| i as f64 - j as f64 * 0.6 + 0.1);
        for activation in Activation::ELEMENTWISE {
            let mut a = z.clone();
            activation.apply_inplace(&mut a);
            assert_eq!(a, z.mapv(|v| activation.value(v)), "{activation}");
            let mut delta = Array2::from_elem(z.dim(), 2.0);
            activation.mul_derivative_inplace(&mut delta, &a);
            assert_eq!(delta, a.mapv(|v| 2.0 * activation.derivative_from_output(v)));
        }
    }

    #[test]
    fn column_major_storage_gives_the_bits_of_row_major() {
        // The matrix kernels run the slice loops on row-major storage and their own loops
        // on any other: both must compute the same thing.
        let z = Array2::from_shape_fn((3, 5), |(i, j)| i as f64 - j as f64 * 0.6 + 0.1);
        let column_major = |m: &Array2<f64>| {
            let mut c = Array2::zeros(m.dim().f());
            c.assign(m);
            c
        };
        for activation in Activation::ALL {
            let (mut a, mut a_cm) = (z.clone(), column_major(&z));
            activation.apply_inplace(&mut a);
            activation.apply_inplace(&mut a_cm);
            assert!(a_cm.as_slice().is_none());
            assert_eq!(a, a_cm, "{activation}");
            let g = Array2::from_shape_fn(z.dim(), |(i, j)| 0.5 - (i * 5 + j) as f64 * 0.1);
            let (mut delta, mut delta_cm) = (g.clone(), column_major(&g));
            activation.mul_derivative_inplace(&mut delta, &a);
            activation.mul_derivative_inplace(&mut delta_cm, &a_cm);
            assert_eq!(delta, delta_cm, "{activation}");
        }
    }

    #[test]
    fn slice_kernels_agree_with_the_matrix_kernels() {
        let z = Array2::from_shape_fn((3, 5), |(i, j)| i as f64 - j as f64 * 0.6 + 0.1);
        for activation in Activation::ALL {
            let mut a = z.clone();
            activation.apply_inplace(&mut a);
            let mut flat = z.as_slice().unwrap().to_vec();
            activation.apply_slice(&mut flat, 5);
            assert_eq!(flat, a.as_slice().unwrap(), "{activation}");
            let g = Array2::from_shape_fn(z.dim(), |(i, j)| (i * 5 + j) as f64 * 0.1 - 0.7);
            let mut delta = g.clone();
            activation.mul_derivative_inplace(&mut delta, &a);
            let mut flat_delta = g.as_slice().unwrap().to_vec();
            activation.mul_derivative_slice(&mut flat_delta, &flat, 5);
            assert_eq!(flat_delta, delta.as_slice().unwrap(), "{activation}");
        }
        // A transposed (not contiguous) matrix takes the element-by-element way: same bits.
        let mut t = z.t().to_owned();
        let mut tv = z.clone();
        Activation::Sigmoid.apply_inplace(&mut tv.view_mut().reversed_axes());
        Activation::Sigmoid.apply_inplace(&mut t);
        assert_eq!(t, tv.t());
    }

    #[test]
    fn sigmoid_is_close_to_the_library_formula_and_keeps_nan() {
        // Within a few ulp of 1 / (1 + e^(−z)) with the standard library's exp.
        for i in -2000..2000 {
            let z = i as f32 / 50.0;
            let exact = 1.0 / (1.0 + (-(z as f64)).exp());
            let found = Activation::Sigmoid.value(z) as f64;
            assert!((found - exact).abs() <= 4.0 * f32::EPSILON as f64 * exact, "σ({z})");
        }
        let mut z = array![[f32::NAN, 0.0]];
        Activation::Sigmoid.apply_inplace(&mut z);
        assert!(z[[0, 0]].is_nan());
        assert_eq!(z[[0, 1]], 0.5);
    }

    #[test]
    fn sigmoid_saturates_instead_of_overflowing() {
        let mut z = array![[-1000.0_f32, 1000.0]];
        Activation::Sigmoid.apply_inplace(&mut z);
        assert_eq!(z, array![[0.0, 1.0]]);
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for activation in Activation::ALL {
            assert_eq!(activation.name().parse::<Activation>(), Ok(activation));
        }
        assert_eq!("ReLU".parse::<Activation>(), Ok(Activation::Relu));
        let err = "softmaxx".parse::<Activation>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown activation \"softmaxx\"; expected one of sigmoid, tanh, relu, leaky-relu, \
             identity, softmax"
        );
        assert_eq!("SoftMax".parse::<Activation>(), Ok(Activation::Softmax));
    }

    #[test]
    fn only_softmax_is_row_wise() {
        for activation in Activation::ALL {
            let listed = Activation::ELEMENTWISE.contains(&activation);
            assert_eq!(activation.is_elementwise(), listed, "{activation}");
            assert_eq!(listed, activation != Activation::Softmax);
        }
    }

    #[test]
    fn softmax_of_known_rows() {
        // e^z ∝ 1, 3, 4 for z = ln 1, ln 3, ln 4, so a = 1/8, 3/8, 4/8; the second row is
        // the first shifted by 10, which the softmax does not see: e^(z+10) / Σ e^(z+10)
        // = e^z / Σ e^z. A row of one entry is always 1.
        let mut z = array![
            [0.0_f64, 3.0_f64.ln(), 4.0_f64.ln()],
            [10.0, 10.0 + 3.0_f64.ln(), 10.0 + 4.0_f64.ln()]
        ];
        Activation::Softmax.apply_inplace(&mut z);
        for row in z.rows() {
            assert_abs_diff_eq!(row, array![0.125, 0.375, 0.5].view(), epsilon = 1e-15);
        }
        // Two equal logits split evenly, exactly: e^0 / (e^0 + e^0) = 1/2.
        let mut z = array![[-7.25_f64, -7.25]];
        Activation::Softmax.apply_inplace(&mut z);
        assert_eq!(z, array![[0.5, 0.5]]);
        let mut z = array![[123.0_f64], [-4.0]];
        Activation::Softmax.apply_inplace(&mut z);
        assert_eq!(z, array![[1.0], [1.0]]);
        assert_eq!(Activation::Softmax.value(123.0_f64), 1.0);
    }

    #[test]
    fn softmax_is_stable_for_huge_logits() {
        // Without the shift by the row's maximum, e^1000 overflows to inf and inf / inf is
        // NaN. With it the exponents are 0, −1000 and −2000: a = [1, 0, 0], exactly.
        let mut z32 = array![[1000.0_f32, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]];
        Activation::Softmax.apply_inplace(&mut z32);
        let third = 1.0 / 3.0;
        assert_eq!(z32, array![[1.0, 0.0, 0.0], [third, third, third]]);
        let mut z64 = array![[1000.0_f64, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]];
        Activation::Softmax.apply_inplace(&mut z64);
        let third = 1.0 / 3.0;
        assert_eq!(z64, array![[1.0, 0.0, 0.0], [third, third, third]]);
    }

    #[test]
    fn softmax_jacobian_product_matches_a_central_difference() {
        // The directional derivative of s(z) = ⟨g, softmax(z)⟩ along e_k is (Jᵀg)_k, and
        // J is symmetric: so each entry of mul_derivative_inplace's result is a central
        // difference of s.
        let z = array![[0.3_f64, -1.2, 2.0, 0.7]];
        let g = array![[1.5_f64, -0.5, 0.25, 2.0]];
        let softmax = |z: &Array2<f64>| {
            let mut a = z.clone();
            Activation::Softmax.apply_inplace(&mut a);
            a
        };
        let a = softmax(&z);
        let mut delta = g.clone();
        Activation::Softmax.mul_derivative_inplace(&mut delta, &a);
        let h = 1e-6;
        for k in 0..z.ncols() {
            let (mut plus, mut minus) = (z.clone(), z.clone());
            plus[[0, k]] += h;
            minus[[0, k]] -= h;
            let numeric =
                ((&g * &softmax(&plus)).sum() - (&g * &softmax(&minus)).sum()) / (2.0 * h);
            assert_abs_diff_eq!(delta[[0, k]], numeric, epsilon = 1e-9);
            // The diagonal alone, derivative_from_output, is the entry for g = e_k.
            let mut unit = Array2::zeros(z.dim());
            unit[[0, k]] = 1.0;
            Activation::Softmax.mul_derivative_inplace(&mut unit, &a);
            let diagonal = Activation::Softmax.derivative_from_output(a[[0, k]]);
            assert_abs_diff_eq!(unit[[0, k]], diagonal, epsilon = 1e-15);
        }
        // The outputs sum to 1 whatever z, so a change of z changes Σ a by 0: with g = 1,
        // a ⊙ (1 − ⟨1, a⟩) = a ⊙ (1 − 1) = 0.
        let mut ones = Array2::from_elem(z.dim(), 1.0);
        Activation::Softmax.mul_derivative_inplace(&mut ones, &a);
        assert_abs_diff_eq!(ones, Array2::zeros(z.dim()), epsilon = 1e-15);
    }
}
