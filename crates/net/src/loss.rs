//! Cost functions: the loss of each sample, and the error it sends back.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayRef2, NdFloat, Zip};
use nn_tensor::Activation;

use crate::check::cast;

/// The loss of one sample, summed over the batch and divided by its size to give the cost
/// `C = (1/n) Σ_i loss(a_i, y_i)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Loss {
    /// `loss(a, y) = ‖a − y‖²`, the notes' cost: `C = (1/n) Σ_i ‖a_i − y_i‖²`.
    #[default]
    MeanSquaredError,
}

impl Loss {
    /// The name used on the command line: `mse`.
    pub fn name(self) -> &'static str {
        match self {
            Loss::MeanSquaredError => "mse",
        }
    }

    /// `Σ_i loss(a_i, y_i)` over the rows of a batch: the cost before the division by `n`.
    ///
    /// # Shapes
    /// `a` (the network's outputs) and `y` (the targets) are both `n × d_L`.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn sum<F: NdFloat>(self, a: &ArrayRef2<F>, y: &ArrayRef2<F>) -> F {
        assert_eq!(a.dim(), y.dim(), "loss: outputs {:?} but targets {:?}", a.dim(), y.dim());
        match self {
            Loss::MeanSquaredError => {
                let mut sum = F::zero();
                Zip::from(a).and(y).for_each(|&a, &y| sum += (a - y) * (a - y));
                sum
            }
        }
    }

    /// `Δ_L = ∂(Σ_i loss_i)/∂Z_L`: the error of the output layer, for the sum of the
    /// batch's losses (the caller divides by `n` once, at the end).
    ///
    /// For the squared error, `∂‖a − y‖²/∂a = 2(a − y)`, so `Δ_L = 2(A_L − Y) ⊙ f'(Z_L)`:
    /// the factor 2 of the square enters here, once, and nowhere else.
    ///
    /// # Shapes
    /// `delta`, `a` and `y` are all `n × d_L`.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn output_delta_into<F: NdFloat>(
        self,
        delta: &mut ArrayRef2<F>,
        a: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        output: Activation,
    ) {
        assert!(
            delta.dim() == a.dim() && a.dim() == y.dim(),
            "output error: delta {:?}, outputs {:?} and targets {:?} must have one shape",
            delta.dim(),
            a.dim(),
            y.dim()
        );
        match self {
            Loss::MeanSquaredError => {
                let two = cast::<F>(2.0);
                Zip::from(&mut *delta).and(a).and(y).for_each(|d, &a, &y| *d = two * (a - y));
                output.mul_derivative_inplace(delta, a);
            }
        }
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Loss {
    type Err = String;

    /// Parses `mse` (also `mean-squared-error`), ignoring case.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mse" | "mean-squared-error" | "mean_squared_error" => Ok(Loss::MeanSquaredError),
            _ => Err(format!("unknown loss {s:?}; expected mse")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, array};

    #[test]
    fn squared_error_sum_and_output_error() {
        let a = array![[0.5, 1.0], [0.0, 0.25]];
        let y = array![[1.0, 1.0], [1.0, 0.0]];
        // (0.5 − 1)² + 0² + (0 − 1)² + 0.25² = 0.25 + 0 + 1 + 0.0625
        assert_eq!(Loss::MeanSquaredError.sum(&a, &y), 1.3125);
        let mut delta = Array2::zeros((2, 2));
        Loss::MeanSquaredError.output_delta_into(&mut delta, &a, &y, Activation::Identity);
        // 2(a − y) with f' = 1
        assert_eq!(delta, array![[-1.0, 0.0], [-2.0, 0.5]]);
        Loss::MeanSquaredError.output_delta_into(&mut delta, &a, &y, Activation::Sigmoid);
        // 2(a − y)·a(1 − a): 2(−0.5)(0.25), 0, 2(−1)(0), 2(0.25)(0.1875)
        assert_eq!(delta, array![[-0.25, 0.0], [0.0, 0.09375]]);
    }
}
