//! Cost functions: the loss of each sample, and the error it sends back.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayRef2, NdFloat, Zip};
use nn_tensor::{Activation, vectorized};

use crate::NetError;
use crate::check::cast;

/// The loss of one sample, summed over the batch and divided by its size to give the cost
/// `C = (1/n) Σ_i loss(a_i, y_i)`.
///
/// # Scaling
///
/// Every loss is summed over a sample's outputs (not averaged over them) and averaged over
/// the samples, with no factor `1/2`: so the squared error's output error carries a 2,
/// and the cross-entropies' is exactly `a − y`. The engine works with the sums
/// `Σ_i loss_i` and their gradient ([`Loss::sum_with_logits`],
/// [`Loss::output_delta_into`]) and divides by `n` once, at the end.
///
/// # Output activations
///
/// The cross-entropies are fused with the output activation they are made for, whose
/// derivative cancels against theirs: [`Loss::CrossEntropy`] needs a softmax output and
/// [`Loss::BinaryCrossEntropy`] a sigmoid one. [`Loss::MeanSquaredError`] works with every
/// output activation. [`Loss::check_output`] says whether a pair works; the engine checks
/// it once per call, before any arithmetic.
///
/// ```
/// use ndarray::array;
/// use nn_net::{Activation, Dataset, Init, Loss, Mlp, TrainConfig, train};
/// use nn_net::rand::{SeedableRng, rngs::StdRng};
///
/// // Three classes of one input (below −0.5, between, above 0.5), one-hot targets.
/// let (a, b, c) = ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]);
/// let data = Dataset::new(
///     array![[-1.0_f64], [-0.8], [-0.1], [0.1], [0.8], [1.0]],
///     array![a, a, b, b, c, c],
/// )?;
/// let activations = [Activation::Tanh, Activation::Softmax];
/// let init = Init::Uniform { low: -1.0, high: 1.0 };
/// let mut net = Mlp::new(&"1-8-3".parse()?, &activations, init, &mut StdRng::seed_from_u64(1))?;
/// let config = TrainConfig { rate: 0.5, epochs: 2000, loss: Loss::CrossEntropy, ..TrainConfig::default() };
/// let history = train(&mut net, &data, &config)?;
/// assert!(history.final_cost < 0.1);
/// let p = net.predict(data.inputs())?;
/// assert!(p.rows().into_iter().all(|row| (row.sum() - 1.0).abs() < 1e-12)); // probabilities
///
/// // Cross-entropy needs a softmax output.
/// let sigmoid = Mlp::<f64>::new(&"1-3".parse()?, &[Activation::Sigmoid], init, &mut StdRng::seed_from_u64(1))?;
/// let e = sigmoid.cost(&data, Loss::CrossEntropy).unwrap_err();
/// assert_eq!(e.to_string(), "loss ce expects a softmax output layer; found sigmoid");
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Loss {
    /// `loss(a, y) = ‖a − y‖² = Σ_j (a_j − y_j)²`, the notes' cost:
    /// `C = (1/n) Σ_i ‖a_i − y_i‖²`. Any output activation.
    #[default]
    MeanSquaredError,
    /// `loss(a, y) = −Σ_j y_j·ln a_j`, for a softmax output `a = softmax(z)` and targets
    /// that are a probability for each class (one-hot rows, usually). Computed from the
    /// logits `z` as `Σ_j y_j·(lse(z) − z_j)`, with `lse(z) = ln Σ_k e^(z_k)` taken
    /// stably, so a confident wrong answer costs a large finite amount, never `ln 0`.
    CrossEntropy,
    /// `loss(a, y) = −Σ_j [y_j·ln a_j + (1 − y_j)·ln(1 − a_j)]`, for a sigmoid output
    /// `a = σ(z)` and targets in `[0, 1]` (one independent yes/no per output). Computed
    /// from the logits `z` as `Σ_j [max(z_j, 0) − z_j·y_j + ln(1 + e^(−|z_j|))]`, which
    /// neither overflows nor takes `ln 0`.
    BinaryCrossEntropy,
}

impl Loss {
    /// Every loss, in declaration order (for tests and help texts).
    pub const ALL: [Loss; 3] =
        [Loss::MeanSquaredError, Loss::CrossEntropy, Loss::BinaryCrossEntropy];

    /// The name used on the command line: `mse`, `ce`, `bce`.
    pub fn name(self) -> &'static str {
        match self {
            Loss::MeanSquaredError => "mse",
            Loss::CrossEntropy => "ce",
            Loss::BinaryCrossEntropy => "bce",
        }
    }

    /// The output activation the loss requires, or `None` if it works with any.
    pub fn required_output(self) -> Option<Activation> {
        match self {
            Loss::MeanSquaredError => None,
            Loss::CrossEntropy => Some(Activation::Softmax),
            Loss::BinaryCrossEntropy => Some(Activation::Sigmoid),
        }
    }

    /// Checks that the loss works with a network whose output layer has the activation
    /// `output`.
    ///
    /// # Errors
    /// [`NetError::LossOutputMismatch`] for cross-entropy without a softmax output or
    /// binary cross-entropy without a sigmoid output.
    pub fn check_output(self, output: Activation) -> Result<(), NetError> {
        match self.required_output() {
            Some(expected) if expected != output => {
                Err(NetError::LossOutputMismatch { loss: self, expected, found: output })
            }
            _ => Ok(()),
        }
    }

    /// `Σ_i loss(a_i, y_i)` over the rows of a batch, from the outputs alone: the cost
    /// before the division by `n`.
    ///
    /// The cross-entropies take the logarithm of outputs that may have rounded to exactly
    /// `0` or `1`; here each `ln a` (and `ln(1 − a)`) is taken of at least the smallest
    /// positive normal number, so a confident wrong output costs a large finite amount
    /// (about 87 per output in `f32`, 708 in `f64`) instead of infinity, and `0·ln 0` counts
    /// as 0. That bound is the only approximation: with the output layer's pre-activations
    /// at hand, [`Loss::sum_with_logits`] is exact for any logits, and it is what the
    /// engine's cost uses. The squared error is the same either way.
    ///
    /// # Shapes
    /// `a` (the network's outputs) and `y` (the targets) are both `n × d_L`.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn sum<F: NdFloat>(self, a: &ArrayRef2<F>, y: &ArrayRef2<F>) -> F {
        assert_eq!(a.dim(), y.dim(), "loss: outputs {:?} but targets {:?}", a.dim(), y.dim());
        let tiny = F::min_positive_value();
        let ln = |v: F| v.max(tiny).ln();
        let mut sum = F::zero();
        match self {
            Loss::MeanSquaredError => {
                sum = squared_error_sum(&row_major(a), &row_major(y), a.ncols())
            }
            Loss::CrossEntropy => Zip::from(a).and(y).for_each(|&a, &y| sum -= y * ln(a)),
            Loss::BinaryCrossEntropy => Zip::from(a)
                .and(y)
                .for_each(|&a, &y| sum -= y * ln(a) + (F::one() - y) * ln(F::one() - a)),
        }
        sum
    }

    /// `Σ_i loss(a_i, y_i)` over the rows of a batch, with the output layer's
    /// pre-activations `z` (the logits, `a = f(z)`) at hand: the cost before the division
    /// by `n`, computed stably.
    ///
    /// The squared error reads the outputs `a`. The cross-entropies read the logits, where
    /// their logarithms are exact:
    ///
    /// - cross-entropy, `−Σ_j y_j·ln a_j` with `ln a_j = z_j − lse(z)`, so the row's loss is
    ///   `Σ_j y_j·(lse(z) − z_j)`, with `lse(z) = m + ln Σ_k e^(z_k − m)` and `m = max_k z_k`
    ///   (the exponents are at most 0 and the sum at least 1, so neither overflows nor
    ///   takes `ln 0`);
    /// - binary cross-entropy, with `ln σ(z) = −softplus(−z)` and
    ///   `ln(1 − σ(z)) = −softplus(z)`, is `softplus(z) − z·y` per output, computed as
    ///   `max(z, 0) − z·y + ln(1 + e^(−|z|))` (the exponent is at most 0).
    ///
    /// # Shapes
    /// `z`, `a` and `y` are all `n × d_L`.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn sum_with_logits<F: NdFloat>(
        self,
        z: &ArrayRef2<F>,
        a: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
    ) -> F {
        assert!(
            z.dim() == a.dim() && a.dim() == y.dim(),
            "loss: logits {:?}, outputs {:?} and targets {:?} must have one shape",
            z.dim(),
            a.dim(),
            y.dim()
        );
        // One formula for each loss, over row-major slices; the engine's buffers are stored
        // so, and another layout is copied into it first.
        self.sum_slices(&row_major(z), &row_major(a), &row_major(y), a.ncols())
    }

    /// `Δ_L = ∂(Σ_i loss_i)/∂Z_L`: the error of the output layer, for the sum of the
    /// batch's losses (the caller divides by `n` once, at the end).
    ///
    /// - Squared error: `∂‖a − y‖²/∂a = 2(a − y)`, so `Δ_L = 2(A_L − Y) ⊙ f'(Z_L)`: the factor
    ///   2 of the square enters here, once, and nowhere else. For a softmax output the
    ///   `⊙ f'` is the row's Jacobian product ([`Activation::mul_derivative_inplace`]).
    /// - Cross-entropy with softmax: `Δ_L = A_L·s − Y` row by row, with `s = Σ_j y_j` the
    ///   row's target sum; `Δ_L = A_L − Y` for targets that sum to 1 (one-hot rows).
    /// - Binary cross-entropy with sigmoid: `Δ_L = A_L − Y`.
    ///
    /// The derivations are in `docs/backprop.md`.
    ///
    /// # Shapes
    /// `delta`, `a` and `y` are all `n × d_L`.
    ///
    /// # Errors
    /// [`NetError::OperandShape`] if `y` or `delta` is not the shape of `a`;
    /// [`NetError::LossOutputMismatch`] if [`Loss::check_output`] refuses `output`. Nothing
    /// is written then.
    pub fn output_delta_into<F: NdFloat>(
        self,
        delta: &mut ArrayRef2<F>,
        a: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        output: Activation,
    ) -> Result<(), NetError> {
        for (what, found) in [("targets", y.dim()), ("output error", delta.dim())] {
            if found != a.dim() {
                return Err(NetError::OperandShape { what, expected: a.dim(), found });
            }
        }
        self.check_output(output)?;
        self.output_delta_unchecked(delta, a, y, output);
        Ok(())
    }

    /// [`Loss::output_delta_into`] for the engine, which has checked the shapes and the
    /// loss against the output activation once per call, before any arithmetic.
    pub(crate) fn output_delta_unchecked<F: NdFloat>(
        self,
        delta: &mut ArrayRef2<F>,
        a: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        output: Activation,
    ) {
        let (a, y, width) = (row_major(a), row_major(y), delta.ncols());
        match delta.as_slice_mut() {
            Some(delta) => self.output_delta_slices(delta, &a, &y, width, output),
            None => {
                let mut row_major_delta = vec![F::zero(); a.len()];
                self.output_delta_slices(&mut row_major_delta, &a, &y, width, output);
                delta.iter_mut().zip(row_major_delta).for_each(|(d, v)| *d = v);
            }
        }
    }
}

impl Loss {
    /// [`Loss::sum_with_logits`] on row-major matrices stored as slices, rows of `width`
    /// entries: the one implementation of each loss's sum. The loss and the output
    /// activation are already checked.
    pub(crate) fn sum_slices<F: NdFloat>(self, z: &[F], a: &[F], y: &[F], width: usize) -> F {
        if width == 0 {
            return F::zero(); // no outputs, no loss (and no rows to cut)
        }
        match self {
            Loss::MeanSquaredError => squared_error_sum(a, y, width),
            Loss::CrossEntropy => {
                let mut sum = F::zero();
                for (z, y) in z.chunks_exact(width).zip(y.chunks_exact(width)) {
                    let max = z.iter().fold(F::neg_infinity(), |m, &v| m.max(v));
                    let lse = max + z.iter().fold(F::zero(), |s, &v| s + (v - max).exp()).ln();
                    sum += z.iter().zip(y).fold(F::zero(), |s, (&z, &y)| s + y * (lse - z));
                }
                sum
            }
            Loss::BinaryCrossEntropy => {
                z.iter().zip(y).fold(F::zero(), |sum, (&z, &y)| sum + binary_cross_entropy(z, y))
            }
        }
    }

    /// [`Loss::output_delta_into`] on row-major matrices stored as slices, rows of
    /// `width` entries, the loss and the output activation already checked: the one
    /// implementation of each loss's output error.
    pub(crate) fn output_delta_slices<F: NdFloat>(
        self,
        delta: &mut [F],
        a: &[F],
        y: &[F],
        width: usize,
        output: Activation,
    ) {
        match self {
            Loss::MeanSquaredError => {
                vectorized::<F, _>(
                    delta.len(),
                    #[inline(always)]
                    || {
                        for ((d, &a), &y) in delta.iter_mut().zip(a).zip(y) {
                            *d = squared_error_slope(a, y);
                        }
                    },
                );
                output.mul_derivative_slice(delta, a, width);
            }
            Loss::CrossEntropy if width == 0 => {}
            Loss::CrossEntropy => {
                let rows = delta.chunks_exact_mut(width).zip(a.chunks_exact(width));
                for ((d, a), y) in rows.zip(y.chunks_exact(width)) {
                    // ndarray's own sum (unrolled: a plain fold would add in another order
                    // and change the bits the engine has always given).
                    let s = ndarray::ArrayView1::from(y).sum();
                    for ((d, &a), &y) in d.iter_mut().zip(a).zip(y) {
                        *d = a * s - y;
                    }
                }
            }
            Loss::BinaryCrossEntropy => {
                vectorized::<F, _>(
                    delta.len(),
                    #[inline(always)]
                    || {
                        for ((d, &a), &y) in delta.iter_mut().zip(a).zip(y) {
                            *d = a - y;
                        }
                    },
                );
            }
        }
    }
}

// One output entry's term of each loss that takes the entries one by one: the definitions
// the slice passes above and the direct run's blocks (crate::direct_run) share, so both
// give the same bits.

/// `(a − y)²`: one entry of the squared error.
#[inline(always)]
pub(crate) fn squared_error<F: NdFloat>(a: F, y: F) -> F {
    (a - y) * (a - y)
}

/// `∂(a − y)²/∂a = 2(a − y)`: one entry of the squared error's error, before the output
/// activation's derivative.
#[inline(always)]
pub(crate) fn squared_error_slope<F: NdFloat>(a: F, y: F) -> F {
    cast::<F>(2.0) * (a - y)
}

/// `max(z, 0) − z·y + ln(1 + e^(−|z|))`: one entry of the binary cross-entropy, from the
/// logit `z` (exact for any `z`, where `ln σ(z)` would round to `ln 0`).
#[inline(always)]
pub(crate) fn binary_cross_entropy<F: NdFloat>(z: F, y: F) -> F {
    z.max(F::zero()) - z * y + (-z.abs()).exp().ln_1p()
}

/// The entries of `a` in row-major order: its own storage when it is laid out so (the
/// engine's buffers and row ranges of them always are), else a copy.
fn row_major<F: Copy>(a: &ArrayRef2<F>) -> Cow<'_, [F]> {
    match a.as_slice() {
        Some(entries) => Cow::Borrowed(entries),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

/// The partial sums [`squared_error_sum`] keeps for rows of more than one output.
const SUM_LANES: usize = 8;

/// `Σ_i (a_i − y_i)²` over two slices of one length, the entries of rows `width` wide.
///
/// Rows of one output (a sample each) are summed in order: the direct run's blocks
/// (`direct_run.rs`) sum a one-output network's samples so, and must give the bits of
/// [`Loss::sum_slices`]; eight partial sums there kept the compiler from vectorising the
/// run's finite differences (docs/performance.md, ninth session).
///
/// Wider rows go in [`SUM_LANES`] partial sums: entry `i` into sum `i mod 8`, each sum in
/// order, and the eight added pairwise at the end, `((s0 + s1) + (s2 + s3)) + ((s4 + s5) +
/// (s6 + s7))`. One running sum was a chain of dependent additions, one per entry: 168 of
/// them in the 5-bit adder's step, 5% of its time (perf), waiting on the adder's latency.
/// Eight chains fill one AVX2 vector of `f32` (two of `f64`, two SSE2 vectors of `f32`)
/// and are the same arithmetic in any of them, so the bits do not depend on the CPU.
fn squared_error_sum<F: NdFloat>(a: &[F], y: &[F], width: usize) -> F {
    debug_assert_eq!(a.len(), y.len());
    if width <= 1 {
        return a.iter().zip(y).fold(F::zero(), |sum, (&a, &y)| sum + squared_error(a, y));
    }
    vectorized::<F, _>(
        a.len(),
        #[inline(always)]
        || squared_error_lanes(a, y),
    )
}

/// [`squared_error_sum`]'s loop in lanes, inlined into [`vectorized()`]'s copies.
#[inline(always)]
fn squared_error_lanes<F: NdFloat>(a: &[F], y: &[F]) -> F {
    let mut sums = [F::zero(); SUM_LANES];
    let (a_blocks, y_blocks) = (a.chunks_exact(SUM_LANES), y.chunks_exact(SUM_LANES));
    let (a_rest, y_rest) = (a_blocks.remainder(), y_blocks.remainder());
    for (a, y) in a_blocks.zip(y_blocks) {
        for ((sum, &a), &y) in sums.iter_mut().zip(a).zip(y) {
            *sum += squared_error(a, y);
        }
    }
    for ((sum, &a), &y) in sums.iter_mut().zip(a_rest).zip(y_rest) {
        *sum += squared_error(a, y);
    }
    let [s0, s1, s2, s3, s4, s5, s6, s7] = sums;
    ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Loss {
    type Err = String;

    /// Parses a name as printed by [`Loss::name`], ignoring case, or one of the long
    /// spellings: `mean-squared-error`, `cross-entropy` (or `crossentropy`),
    /// `binary-cross-entropy`; `_` may stand for `-`.
    ///
    /// # Errors
    /// A message naming the string and listing the valid names.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "mse" | "mean-squared-error" => Ok(Loss::MeanSquaredError),
            "ce" | "cross-entropy" | "crossentropy" => Ok(Loss::CrossEntropy),
            "bce" | "binary-cross-entropy" | "binarycrossentropy" => Ok(Loss::BinaryCrossEntropy),
            _ => {
                let names: Vec<&str> = Loss::ALL.iter().map(|l| l.name()).collect();
                Err(format!("unknown loss {s:?}; expected one of {}", names.join(", ")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::{Array2, ShapeBuilder, array};

    #[test]
    fn column_major_storage_gives_the_bits_of_row_major() {
        // Row-major arrays go straight to the slice formulas; any other layout is copied
        // into row-major order first: the same sums and errors, to the bit.
        let column_major = |m: &Array2<f64>| {
            let mut c = Array2::zeros(m.dim().f());
            c.assign(m);
            c
        };
        let z = array![[0.3, -1.0, 2.0], [1.5, 0.2, -0.7]];
        let y = array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]];
        for (loss, output) in [
            (Loss::MeanSquaredError, Activation::Sigmoid),
            (Loss::CrossEntropy, Activation::Softmax),
            (Loss::BinaryCrossEntropy, Activation::Sigmoid),
        ] {
            let mut a = z.clone();
            output.apply_inplace(&mut a);
            let (z_cm, a_cm, y_cm) = (column_major(&z), column_major(&a), column_major(&y));
            assert!(z_cm.as_slice().is_none());
            let row_major = loss.sum_with_logits(&z, &a, &y);
            assert_eq!(row_major.to_bits(), loss.sum_with_logits(&z_cm, &a_cm, &y_cm).to_bits());
            let mut delta = Array2::<f64>::zeros(z.dim());
            let mut delta_cm = column_major(&delta);
            loss.output_delta_into(&mut delta, &a, &y, output).unwrap();
            loss.output_delta_into(&mut delta_cm, &a_cm, &y_cm, output).unwrap();
            assert_eq!(delta, delta_cm, "{loss}");
            assert_ne!(delta, Array2::<f64>::zeros(z.dim()), "{loss}");
        }
    }

    #[test]
    fn squared_error_sums_rows_of_one_in_order_and_wider_rows_in_eight_lanes() {
        // Every length from 0 to 40 (whole blocks of 8 and every remainder), against the
        // definitions written out: one running sum for rows of one output; entry i into
        // sum i mod 8, the eight added pairwise, for wider rows. The public sum of
        // column-major matrices (read in row-major order) agrees.
        for len in 0..=40 {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.77).sin()).collect();
            let y: Vec<f32> = (0..len).map(|i| (i as f32 * 0.31).cos() * 0.5).collect();
            let terms = a.iter().zip(&y).map(|(&a, &y)| (a - y) * (a - y));
            let in_order = terms.clone().fold(0.0_f32, |sum, t| sum + t);
            let mut lanes = [0.0_f32; 8];
            for (i, t) in terms.enumerate() {
                lanes[i % 8] += t;
            }
            let in_lanes = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
                + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
            let sum = |width| squared_error_sum(&a, &y, width).to_bits();
            assert_eq!(sum(1), in_order.to_bits(), "length {len}, one output a row");
            for width in [2, 4, 8] {
                assert_eq!(sum(width), in_lanes.to_bits(), "length {len}, rows of {width}");
            }
            let column_major = |v: &[f32], width: usize| {
                let rows = Array2::from_shape_vec((len / width, width), v.to_vec()).unwrap();
                let mut copy = Array2::zeros((len / width, width).f());
                copy.assign(&rows);
                copy
            };
            if len % 4 == 0 {
                let sum = Loss::MeanSquaredError.sum(&column_major(&a, 4), &column_major(&y, 4));
                assert_eq!(sum.to_bits(), in_lanes.to_bits(), "length {len}, column-major");
            }
            let sum = Loss::MeanSquaredError.sum(&column_major(&a, 1), &column_major(&y, 1));
            assert_eq!(sum.to_bits(), in_order.to_bits(), "length {len}, one column");
        }
        // The two orders give different bits, so the test tells them apart: 2^24 + 1
        // rounds back to 2^24 in one running sum, while the lanes add their ones first.
        let (mut a, y) = ([1.0_f32; 16], [0.0_f32; 16]);
        a[0] = 4096.0;
        assert_eq!(squared_error_sum(&a, &y, 1), 16_777_216.0);
        assert_eq!(squared_error_sum(&a, &y, 2), 16_777_230.0);
    }

    #[test]
    fn squared_error_sum_and_output_error() {
        let a = array![[0.5, 1.0], [0.0, 0.25]];
        let y = array![[1.0, 1.0], [1.0, 0.0]];
        // (0.5 − 1)² + 0² + (0 − 1)² + 0.25² = 0.25 + 0 + 1 + 0.0625
        assert_eq!(Loss::MeanSquaredError.sum(&a, &y), 1.3125);
        assert_eq!(Loss::MeanSquaredError.sum_with_logits(&a, &a, &y), 1.3125);
        let mut delta = Array2::zeros((2, 2));
        Loss::MeanSquaredError.output_delta_into(&mut delta, &a, &y, Activation::Identity).unwrap();
        // 2(a − y) with f' = 1
        assert_eq!(delta, array![[-1.0, 0.0], [-2.0, 0.5]]);
        Loss::MeanSquaredError.output_delta_into(&mut delta, &a, &y, Activation::Sigmoid).unwrap();
        // 2(a − y)·a(1 − a): 2(−0.5)(0.25), 0, 2(−1)(0), 2(0.25)(0.1875)
        assert_eq!(delta, array![[-0.25, 0.0], [0.0, 0.09375]]);
    }

    #[test]
    fn squared_error_through_a_softmax_output() {
        // z = [0, 0] gives a = [1/2, 1/2]; with y = [1, 0], g = 2(a − y) = [−1, 1],
        // ⟨g, a⟩ = −1/2 + 1/2 = 0, so Δ = a ⊙ (g − 0) = [−1/2, 1/2].
        let a = array![[0.5, 0.5]];
        let y = array![[1.0, 0.0]];
        let mut delta = Array2::zeros((1, 2));
        Loss::MeanSquaredError.output_delta_into(&mut delta, &a, &y, Activation::Softmax).unwrap();
        assert_eq!(delta, array![[-0.5, 0.5]]);
    }

    #[test]
    fn cross_entropy_by_hand() {
        // z = [0, ln 3, ln 4]: e^z = [1, 3, 4], Σ = 8, so a = [1/8, 3/8, 1/2] and
        // lse(z) = ln 8. The answer is class 1 (y = [0, 1, 0]):
        // loss = −ln a_1 = −ln(3/8) = lse − z_1 = ln 8 − ln 3 ≈ 0.980829,
        // Δ = a − y = [1/8, 3/8 − 1, 1/2] = [0.125, −0.625, 0.5].
        let z = array![[0.0_f64, 3.0_f64.ln(), 4.0_f64.ln()]];
        let mut a = z.clone();
        Activation::Softmax.apply_inplace(&mut a);
        let y = array![[0.0, 1.0, 0.0]];
        let expected = (8.0_f64 / 3.0).ln();
        assert_abs_diff_eq!(expected, 0.980829, epsilon = 1e-6);
        assert_abs_diff_eq!(
            Loss::CrossEntropy.sum_with_logits(&z, &a, &y),
            expected,
            epsilon = 1e-15
        );
        assert_abs_diff_eq!(Loss::CrossEntropy.sum(&a, &y), expected, epsilon = 1e-15);
        let mut delta = Array2::zeros((1, 3));
        Loss::CrossEntropy.output_delta_into(&mut delta, &a, &y, Activation::Softmax).unwrap();
        assert_abs_diff_eq!(delta, array![[0.125, -0.625, 0.5]], epsilon = 1e-15);

        // Targets that sum to s ≠ 1: the loss is s·lse − Σ y_j z_j, so Δ = s·a − y. With
        // y = [1, 0, 1] (s = 2): loss = 2 ln 8 − 0 − ln 4 = ln 16 and
        // Δ = [2/8 − 1, 6/8, 1 − 1] = [−0.75, 0.75, 0].
        let y = array![[1.0, 0.0, 1.0]];
        assert_abs_diff_eq!(
            Loss::CrossEntropy.sum_with_logits(&z, &a, &y),
            16.0_f64.ln(),
            epsilon = 1e-14
        );
        Loss::CrossEntropy.output_delta_into(&mut delta, &a, &y, Activation::Softmax).unwrap();
        assert_abs_diff_eq!(delta, array![[-0.75, 0.75, 0.0]], epsilon = 1e-15);
    }

    #[test]
    fn binary_cross_entropy_by_hand() {
        // z = [0, ln 3]: a = σ(z) = [1/2, 3/4]. With y = [1, 0]:
        // loss = −ln(1/2) − ln(1 − 3/4) = ln 2 + ln 4 = ln 8 ≈ 2.079442,
        // and in the softplus form: (0 − 0 + ln 2) + (ln 3 − 0 + ln(1 + 1/3)) = ln 2 + ln 4.
        // Δ = a − y = [−1/2, 3/4].
        let z = array![[0.0_f64, 3.0_f64.ln()]];
        let mut a = z.clone();
        Activation::Sigmoid.apply_inplace(&mut a);
        let y = array![[1.0, 0.0]];
        assert_abs_diff_eq!(8.0_f64.ln(), 2.079442, epsilon = 1e-6);
        let bce = Loss::BinaryCrossEntropy;
        assert_abs_diff_eq!(bce.sum_with_logits(&z, &a, &y), 8.0_f64.ln(), epsilon = 1e-15);
        assert_abs_diff_eq!(bce.sum(&a, &y), 8.0_f64.ln(), epsilon = 1e-15);
        let mut delta = Array2::zeros((1, 2));
        bce.output_delta_into(&mut delta, &a, &y, Activation::Sigmoid).unwrap();
        assert_abs_diff_eq!(delta, array![[-0.5, 0.75]], epsilon = 1e-15);
    }

    /// Logits of ±1000: the outputs round to exactly 0 and 1, but the cost read from the
    /// logits is exact and the error is still a − y.
    fn huge_logits_are_stable<F: NdFloat + approx::AbsDiffEq<Epsilon = F>>() {
        let of = |v: f64| cast::<F>(v);
        let z = array![[of(1000.0), of(0.0), of(-1000.0)], [of(-1000.0), of(1000.0), of(1000.0)]];
        // Cross-entropy. Row 0: lse = 1000 + ln(1 + e^−1000 + e^−2000) = 1000 (to rounding),
        // the answer is class 2 with z = −1000: loss = 1000 − (−1000) = 2000, a = [1, 0, 0],
        // Δ = [1, 0, −1]. Row 1: lse = 1000 + ln 2, answer class 1: loss = ln 2,
        // a = [0, 1/2, 1/2], Δ = [0, −1/2, 1/2].
        let y = array![[of(0.0), of(0.0), of(1.0)], [of(0.0), of(1.0), of(0.0)]];
        let mut a = z.clone();
        Activation::Softmax.apply_inplace(&mut a);
        let cost = Loss::CrossEntropy.sum_with_logits(&z, &a, &y);
        assert!(cost.is_finite());
        assert_abs_diff_eq!(cost, of(2000.0 + 2.0_f64.ln()), epsilon = of(1e-3));
        let mut delta = Array2::zeros((2, 3));
        Loss::CrossEntropy.output_delta_into(&mut delta, &a, &y, Activation::Softmax).unwrap();
        let expected = array![[of(1.0), of(0.0), of(-1.0)], [of(0.0), of(-0.5), of(0.5)]];
        assert_abs_diff_eq!(delta, expected, epsilon = F::epsilon());
        // From the outputs alone the wrong class's a = 0 is bounded, not −∞.
        assert!(Loss::CrossEntropy.sum(&a, &y).is_finite());

        // Binary cross-entropy, per output max(z, 0) − z·y + ln(1 + e^−|z|):
        // row 0 with y = [0, 1, 1]: 1000 + ln 2 + (0 + 1000) = 2000 + ln 2;
        // row 1 with y = [0, 1, 0]: 0 + (1000 − 1000) + 1000 = 1000. Δ = σ(z) − y.
        let y = array![[of(0.0), of(1.0), of(1.0)], [of(0.0), of(1.0), of(0.0)]];
        let mut a = z.clone();
        Activation::Sigmoid.apply_inplace(&mut a);
        let cost = Loss::BinaryCrossEntropy.sum_with_logits(&z, &a, &y);
        assert_abs_diff_eq!(cost, of(3000.0 + 2.0_f64.ln()), epsilon = of(1e-3));
        Loss::BinaryCrossEntropy
            .output_delta_into(&mut delta, &a, &y, Activation::Sigmoid)
            .unwrap();
        let expected = array![[of(1.0), of(-0.5), of(-1.0)], [of(0.0), of(0.0), of(1.0)]];
        assert_abs_diff_eq!(delta, expected, epsilon = F::epsilon());
        assert!(Loss::BinaryCrossEntropy.sum(&a, &y).is_finite());
    }

    #[test]
    fn huge_logits_are_stable_in_f32() {
        huge_logits_are_stable::<f32>();
    }

    #[test]
    fn huge_logits_are_stable_in_f64() {
        huge_logits_are_stable::<f64>();
    }

    #[test]
    fn each_loss_names_the_outputs_it_works_with() {
        for loss in Loss::ALL {
            for output in Activation::ALL {
                let ok = match loss {
                    Loss::MeanSquaredError => true,
                    Loss::CrossEntropy => output == Activation::Softmax,
                    Loss::BinaryCrossEntropy => output == Activation::Sigmoid,
                };
                assert_eq!(loss.check_output(output).is_ok(), ok, "{loss} with {output}");
            }
        }
        let e = Loss::CrossEntropy.check_output(Activation::Sigmoid).unwrap_err();
        assert_eq!(e.to_string(), "loss ce expects a softmax output layer; found sigmoid");
        let e = Loss::BinaryCrossEntropy.check_output(Activation::Softmax).unwrap_err();
        assert_eq!(e.to_string(), "loss bce expects a sigmoid output layer; found softmax");
    }

    #[test]
    fn the_output_error_refuses_a_mismatched_pair_or_shape_and_writes_nothing() {
        let a = array![[0.5_f64, 0.5]];
        let mut delta = array![[7.0, 7.0]];
        let e = Loss::CrossEntropy.output_delta_into(&mut delta, &a, &a, Activation::Tanh);
        assert_eq!(
            e.unwrap_err().to_string(),
            "loss ce expects a softmax output layer; found tanh"
        );
        let y = array![[1.0, 0.0, 0.0]];
        let e = Loss::CrossEntropy.output_delta_into(&mut delta, &a, &y, Activation::Softmax);
        assert_eq!(
            e.unwrap_err().to_string(),
            "expected the targets to be 1×2, as the outputs are; found 1×3"
        );
        let mut short = array![[7.0]];
        let e = Loss::CrossEntropy.output_delta_into(&mut short, &a, &a, Activation::Softmax);
        assert_eq!(
            e.unwrap_err(),
            NetError::OperandShape { what: "output error", expected: (1, 2), found: (1, 1) }
        );
        assert_eq!(delta, array![[7.0, 7.0]]);
    }

    #[test]
    fn names_round_trip_and_aliases_parse() {
        for loss in Loss::ALL {
            assert_eq!(loss.name().parse::<Loss>(), Ok(loss));
            assert_eq!(loss.to_string(), loss.name());
        }
        for (name, loss) in [
            ("Cross-Entropy", Loss::CrossEntropy),
            ("crossentropy", Loss::CrossEntropy),
            ("cross_entropy", Loss::CrossEntropy),
            ("binary-cross-entropy", Loss::BinaryCrossEntropy),
            ("BCE", Loss::BinaryCrossEntropy),
            ("mean_squared_error", Loss::MeanSquaredError),
        ] {
            assert_eq!(name.parse::<Loss>(), Ok(loss), "{name}");
        }
        assert_eq!(
            "hinge".parse::<Loss>().unwrap_err(),
            "unknown loss \"hinge\"; expected one of mse, ce, bce"
        );
        assert_eq!(Loss::default(), Loss::MeanSquaredError);
    }
}
