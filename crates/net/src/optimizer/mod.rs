//! Optimizers: how a step turns the gradient into a change of the parameters.

mod clipping;
mod state;
mod update;

use std::fmt;
use std::str::FromStr;

use ndarray::NdFloat;

pub use state::OptimizerState;
pub(crate) use update::StepSettings;

use crate::NetError;
use crate::check::cast;

/// The rule that turns each step's gradient into a change of the parameters.
///
/// In the formulas, `θ` is a parameter, `η` the step's learning rate (the
/// [`TrainConfig::rate`](crate::TrainConfig::rate), through the
/// [`Schedule`](crate::Schedule)), `g` the parameter's entry of the gradient after clipping
/// and the L2 weight decay (see [`TrainConfig`](crate::TrainConfig)), and `t` the step's
/// number counting from 1. Every rule works entry by entry; `v`, `m`, `s` are the
/// [`OptimizerState`]'s buffers, shaped like the gradient and zero before the first step.
///
/// On the command line (`--optimizer`) the names are `sgd`, `momentum`, `nesterov`,
/// `adam`, `adamw` and `rmsprop`, each with the default hyperparameters below:
///
/// ```
/// use nn_net::Optimizer;
///
/// let adam: Optimizer<f32> = "adam".parse()?;
/// assert_eq!(adam, Optimizer::Adam { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
/// assert_eq!(Optimizer::<f32>::nesterov().to_string(), "nesterov");
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Optimizer<F> {
    /// Plain gradient descent, the notes' rule: `θ ← θ − η·g`. No state.
    #[default]
    Sgd,
    /// Gradient descent with momentum, in PyTorch's form: a velocity `v` accumulates the
    /// gradients, `v ← β·v + g`, and
    ///
    /// - classic (`nesterov: false`): `θ ← θ − η·v`;
    /// - Nesterov (`nesterov: true`): `θ ← θ − η·(g + β·v)`, the step taken from where the
    ///   velocity is about to carry the parameters.
    ///
    /// Defaults (`momentum`, `nesterov`): `β = 0.9`.
    Momentum {
        /// How much of the velocity is kept per step, in `[0, 1)`.
        beta: F,
        /// Nesterov's look-ahead form rather than the classic one.
        nesterov: bool,
    },
    /// Adam (Kingma and Ba): running means of the gradient and of its square,
    /// `m ← β₁·m + (1 − β₁)·g`, `s ← β₂·s + (1 − β₂)·g²`, corrected for their start at zero,
    /// `m̂ = m / (1 − β₁ᵗ)`, `ŝ = s / (1 − β₂ᵗ)`, and `θ ← θ − η·m̂ / (√ŝ + ε)`.
    ///
    /// Weight decay is L2: `λ·θ` added to `g`, so it is scaled by `1/√ŝ` like the gradient.
    /// Defaults (`adam`): `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`.
    Adam {
        /// The decay of the mean of the gradient, in `[0, 1)`.
        beta1: F,
        /// The decay of the mean of its square, in `[0, 1)`.
        beta2: F,
        /// Added to `√ŝ` so that a zero mean square does not divide by zero; positive.
        epsilon: F,
    },
    /// AdamW (Loshchilov and Hutter): Adam with the weight decay taken out of the gradient
    /// ("decoupled"), `θ ← θ − η·(m̂ / (√ŝ + ε) + λ·θ)` with `m̂`, `ŝ` as Adam's of the
    /// gradient alone. The same as Adam when the weight decay `λ` is 0.
    ///
    /// Defaults (`adamw`): `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`.
    AdamW {
        /// The decay of the mean of the gradient, in `[0, 1)`.
        beta1: F,
        /// The decay of the mean of its square, in `[0, 1)`.
        beta2: F,
        /// Added to `√ŝ`; positive.
        epsilon: F,
    },
    /// RMSProp (Hinton): a running mean of the squared gradient, `s ← ρ·s + (1 − ρ)·g²`,
    /// divides the step, `θ ← θ − η·g / (√s + ε)`.
    ///
    /// Defaults (`rmsprop`): `ρ = 0.9`, `ε = 1e-8`.
    RmsProp {
        /// How much of the mean square is kept per step, `ρ`, in `[0, 1)`.
        decay: F,
        /// Added to `√s`; positive.
        epsilon: F,
    },
}

impl<F: NdFloat> Optimizer<F> {
    /// Every name on the command line, in declaration order.
    pub const NAMES: [&'static str; 6] =
        ["sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop"];

    /// Classic momentum with its default `β = 0.9`.
    pub fn momentum() -> Self {
        Optimizer::Momentum { beta: cast(0.9), nesterov: false }
    }

    /// Nesterov momentum with its default `β = 0.9`.
    pub fn nesterov() -> Self {
        Optimizer::Momentum { beta: cast(0.9), nesterov: true }
    }

    /// Adam with its defaults `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`.
    pub fn adam() -> Self {
        Optimizer::Adam { beta1: cast(0.9), beta2: cast(0.999), epsilon: cast(1e-8) }
    }

    /// AdamW with its defaults `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`.
    pub fn adamw() -> Self {
        Optimizer::AdamW { beta1: cast(0.9), beta2: cast(0.999), epsilon: cast(1e-8) }
    }

    /// RMSProp with its defaults `ρ = 0.9`, `ε = 1e-8`.
    pub fn rms_prop() -> Self {
        Optimizer::RmsProp { decay: cast(0.9), epsilon: cast(1e-8) }
    }

    /// The name on the command line, one of [`Optimizer::NAMES`].
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::Momentum { nesterov: false, .. } => "momentum",
            Optimizer::Momentum { nesterov: true, .. } => "nesterov",
            Optimizer::Adam { .. } => "adam",
            Optimizer::AdamW { .. } => "adamw",
            Optimizer::RmsProp { .. } => "rmsprop",
        }
    }

    /// The names of the buffers the optimizer keeps between steps, in the order of
    /// [`OptimizerState::slots`]: none for SGD, `velocity` for momentum, `first_moment` and
    /// `second_moment` for Adam and AdamW, `mean_square` for RMSProp.
    pub fn slot_names(&self) -> &'static [&'static str] {
        match self {
            Optimizer::Sgd => &[],
            Optimizer::Momentum { .. } => &["velocity"],
            Optimizer::Adam { .. } | Optimizer::AdamW { .. } => &["first_moment", "second_moment"],
            Optimizer::RmsProp { .. } => &["mean_square"],
        }
    }

    /// Checks the hyperparameters.
    ///
    /// # Errors
    /// [`NetError::InvalidSetting`] for a `β`, `β₁`, `β₂` or `ρ` outside `[0, 1)` (at 1 the
    /// running means never move, and Adam's correction divides by zero) or an `ε` that is
    /// not a positive finite number.
    pub fn check(&self) -> Result<(), NetError> {
        let decay = |setting, v: F| {
            if v >= F::zero() && v < F::one() {
                Ok(())
            } else {
                Err(NetError::InvalidSetting { setting, expected: "in [0, 1)", found: as_f64(v) })
            }
        };
        let epsilon = |setting, v: F| {
            if v > F::zero() && v.is_finite() {
                Ok(())
            } else {
                let expected = "a positive finite number";
                Err(NetError::InvalidSetting { setting, expected, found: as_f64(v) })
            }
        };
        match *self {
            Optimizer::Sgd => Ok(()),
            Optimizer::Momentum { beta, .. } => decay("momentum beta", beta),
            Optimizer::Adam { beta1, beta2, epsilon: e } => {
                decay("adam beta1", beta1)?;
                decay("adam beta2", beta2)?;
                epsilon("adam epsilon", e)
            }
            Optimizer::AdamW { beta1, beta2, epsilon: e } => {
                decay("adamw beta1", beta1)?;
                decay("adamw beta2", beta2)?;
                epsilon("adamw epsilon", e)
            }
            Optimizer::RmsProp { decay: rho, epsilon: e } => {
                decay("rmsprop decay", rho)?;
                epsilon("rmsprop epsilon", e)
            }
        }
    }
}

/// `v` as `f64`, for an error message.
fn as_f64<F: NdFloat>(v: F) -> f64 {
    v.to_f64().unwrap_or(f64::NAN)
}

impl<F: NdFloat> fmt::Display for Optimizer<F> {
    /// The name, as [`Optimizer::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<F: NdFloat> FromStr for Optimizer<F> {
    type Err = NetError;

    /// A name of [`Optimizer::NAMES`], with its default hyperparameters.
    fn from_str(s: &str) -> Result<Self, NetError> {
        match s {
            "sgd" => Ok(Optimizer::Sgd),
            "momentum" => Ok(Optimizer::momentum()),
            "nesterov" => Ok(Optimizer::nesterov()),
            "adam" => Ok(Optimizer::adam()),
            "adamw" => Ok(Optimizer::adamw()),
            "rmsprop" => Ok(Optimizer::rms_prop()),
            _ => Err(NetError::ParseSetting {
                what: "an optimizer",
                expected: "sgd, momentum, nesterov, adam, adamw or rmsprop",
                found: s.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_to_the_defaults_and_display_back() {
        for name in Optimizer::<f64>::NAMES {
            let optimizer: Optimizer<f64> = name.parse().unwrap();
            assert_eq!(optimizer.name(), name);
            assert_eq!(optimizer.to_string(), name);
            optimizer.check().unwrap();
        }
        assert_eq!("sgd".parse::<Optimizer<f32>>().unwrap(), Optimizer::default());
        assert_eq!(
            "nesterov".parse::<Optimizer<f64>>().unwrap(),
            Optimizer::Momentum { beta: 0.9, nesterov: true }
        );
        assert_eq!(
            "rmsprop".parse::<Optimizer<f64>>().unwrap(),
            Optimizer::RmsProp { decay: 0.9, epsilon: 1e-8 }
        );
        let e = "adagrad".parse::<Optimizer<f64>>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected an optimizer of sgd, momentum, nesterov, adam, adamw or rmsprop; \
             found \"adagrad\""
        );
    }

    #[test]
    fn slots_are_named_per_optimizer() {
        assert!(Optimizer::<f64>::Sgd.slot_names().is_empty());
        assert_eq!(Optimizer::<f64>::nesterov().slot_names(), ["velocity"]);
        assert_eq!(Optimizer::<f64>::adamw().slot_names(), ["first_moment", "second_moment"]);
        assert_eq!(Optimizer::<f64>::rms_prop().slot_names(), ["mean_square"]);
    }

    #[test]
    fn bad_hyperparameters_are_refused() {
        let refused = |optimizer: Optimizer<f64>, says: &str| {
            let e = optimizer.check().unwrap_err();
            assert!(matches!(e, NetError::InvalidSetting { .. }), "{e:?}");
            assert_eq!(e.to_string(), says);
        };
        refused(
            Optimizer::Momentum { beta: 1.0, nesterov: false },
            "expected the momentum beta to be in [0, 1); found 1",
        );
        refused(
            Optimizer::Momentum { beta: -0.1, nesterov: true },
            "expected the momentum beta to be in [0, 1); found -0.1",
        );
        refused(
            Optimizer::Adam { beta1: f64::NAN, beta2: 0.999, epsilon: 1e-8 },
            "expected the adam beta1 to be in [0, 1); found NaN",
        );
        refused(
            Optimizer::Adam { beta1: 0.9, beta2: 1.5, epsilon: 1e-8 },
            "expected the adam beta2 to be in [0, 1); found 1.5",
        );
        refused(
            Optimizer::AdamW { beta1: 0.9, beta2: 0.999, epsilon: 0.0 },
            "expected the adamw epsilon to be a positive finite number; found 0",
        );
        refused(
            Optimizer::RmsProp { decay: 0.9, epsilon: f64::INFINITY },
            "expected the rmsprop epsilon to be a positive finite number; found inf",
        );
        refused(
            Optimizer::RmsProp { decay: 1.0, epsilon: 1e-8 },
            "expected the rmsprop decay to be in [0, 1); found 1",
        );
        // The edges that are allowed: no memory at all (β = 0 is plain SGD for momentum).
        Optimizer::Momentum { beta: 0.0, nesterov: false }.check().unwrap();
        Optimizer::Adam { beta1: 0.0, beta2: 0.0, epsilon: 1e-8 }.check().unwrap();
    }
}
