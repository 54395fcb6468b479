//! Activation functions, each beside its derivative.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayRef2, NdFloat, Zip};
use num_traits::NumCast;

/// The slope of [`Activation::LeakyRelu`] for negative inputs.
pub const LEAKY_RELU_SLOPE: f64 = 0.01;

/// An elementwise activation `a = f(z)`.
///
/// Every derivative here is a function of the output `a` alone, so back-propagation takes
/// it from the activations the forward pass already stored and the pre-activation `z` is
/// never kept: the forward pass runs in place, one buffer per layer. Each variant's doc
/// states how its derivative is read off the output.
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
}

impl Activation {
    /// Every activation, in declaration order (for tests and help texts).
    pub const ALL: [Activation; 5] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu,
        Activation::Identity,
    ];

    /// The name used on the command line and in files: `sigmoid`, `tanh`, `relu`,
    /// `leaky-relu`, `identity`.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu => "leaky-relu",
            Activation::Identity => "identity",
        }
    }

    /// `f(z)` for one value.
    #[inline]
    pub fn value<F: NdFloat>(self, z: F) -> F {
        match self {
            Activation::Sigmoid => F::one() / (F::one() + (-z).exp()),
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
        }
    }

    /// `f'(z)` for one value, computed from the output `a = f(z)`.
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
        }
    }

    /// Replaces every `z` in the matrix by `f(z)`.
    pub fn apply_inplace<F: NdFloat>(self, z: &mut ArrayRef2<F>) {
        // One match outside the loop: the closure each arm hands to `mapv_inplace` is
        // monomorphic, so the loop body has no per-element dispatch.
        match self {
            Activation::Sigmoid => z.mapv_inplace(|v| Activation::Sigmoid.value(v)),
            Activation::Tanh => z.mapv_inplace(|v| v.tanh()),
            Activation::Relu => z.mapv_inplace(|v| v.max(F::zero())),
            Activation::LeakyRelu => z.mapv_inplace(|v| Activation::LeakyRelu.value(v)),
            Activation::Identity => {}
        }
    }

    /// `delta ⊙= f'(z)`, with the derivative read off the stored outputs `a = f(z)`.
    ///
    /// This is the step of back-propagation that carries an error through an activation:
    /// `Δ_l = (∂C/∂A_l) ⊙ f'(Z_l)`.
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
        match self {
            Activation::Identity => {}
            Activation::Sigmoid => Zip::from(delta)
                .and(a)
                .for_each(|d, &a| *d *= Activation::Sigmoid.derivative_from_output(a)),
            Activation::Tanh => Zip::from(delta)
                .and(a)
                .for_each(|d, &a| *d *= Activation::Tanh.derivative_from_output(a)),
            Activation::Relu => Zip::from(delta)
                .and(a)
                .for_each(|d, &a| *d *= Activation::Relu.derivative_from_output(a)),
            Activation::LeakyRelu => Zip::from(delta)
                .and(a)
                .for_each(|d, &a| *d *= Activation::LeakyRelu.derivative_from_output(a)),
        }
    }
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
            _ => Err(ParseActivationError { found: s.to_owned() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::{Array2, array};

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
        for activation in Activation::ALL {
            let mut a = z.clone();
            activation.apply_inplace(&mut a);
            assert_eq!(a, z.mapv(|v| activation.value(v)), "{activation}");
            let mut delta = Array2::from_elem(z.dim(), 2.0);
            activation.mul_derivative_inplace(&mut delta, &a);
            assert_eq!(delta, a.mapv(|v| 2.0 * activation.derivative_from_output(v)));
        }
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
             identity"
        );
    }
}
