//! How a network's parameters are first drawn.

use std::fmt;
use std::str::FromStr;

use ndarray::NdFloat;
use ndarray_rand::rand::Rng;
use ndarray_rand::rand_distr::uniform::SampleUniform;
use nn_tensor::fill_uniform;

use crate::check::cast;
use crate::{Layer, NetError};

/// How weights and biases are initialised. Randomness comes from the caller's generator,
/// so a seed fixes the network.
///
/// For a layer with weights `W` of `fan_in × fan_out` (`d_prev × d`), [`Init::Xavier`] and
/// [`Init::He`] scale the range of the weights to the layer's size so that the signal keeps
/// its variance from layer to layer; the notes' [`Init::Uniform`] does not, which is fine for
/// the small networks of the notes and slow or stuck for deep or wide ones.
///
/// On the command line (`--init`) the names are `uniform` (the default range `[0, 1)`),
/// `xavier` (or `glorot`) and `he` (or `kaiming`):
///
/// ```
/// use nn_net::Init;
///
/// assert_eq!("kaiming".parse::<Init>()?, Init::He);
/// assert_eq!(Init::Xavier.to_string(), "xavier");
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Init {
    /// Every weight and bias uniform in `[low, high)`, drawn layer by layer, weights
    /// (row-major) before biases. The notes use `[0, 1)`.
    Uniform {
        /// The lower bound, included.
        low: f64,
        /// The upper bound, excluded.
        high: f64,
    },
    /// Glorot and Bengio's initialisation, for tanh and sigmoid layers: weights uniform in
    /// `[−r, r)` with `r = √(6 / (fan_in + fan_out))`, so `Var(w) = r²/3 = 2 / (fan_in +
    /// fan_out)`; biases zero. Drawn layer by layer, weights row-major.
    Xavier,
    /// He et al.'s (Kaiming) initialisation, for ReLU layers: weights uniform in `[−r, r)`
    /// with `r = √(6 / fan_in)`, so `Var(w) = r²/3 = 2 / fan_in`; biases zero. Drawn layer by
    /// layer, weights row-major.
    ///
    /// The uniform form (PyTorch's `kaiming_uniform_` with the ReLU gain) rather than the
    /// normal `N(0, 2 / fan_in)`: the same variance, drawn by the same sampler as the other
    /// initialisations, and no weight far out in a tail.
    He,
}

impl Default for Init {
    /// Uniform in `[0, 1)`, as in the notes.
    fn default() -> Self {
        Init::Uniform { low: 0.0, high: 1.0 }
    }
}

impl Init {
    /// The name on the command line: `uniform`, `xavier` or `he`.
    pub fn name(self) -> &'static str {
        match self {
            Init::Uniform { .. } => "uniform",
            Init::Xavier => "xavier",
            Init::He => "he",
        }
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`NetError::InvalidInit`] for a range that is empty or not finite.
    pub fn check(self) -> Result<(), NetError> {
        match self {
            Init::Uniform { low, high } => {
                // The width must be finite too: the sampler computes `high − low`.
                if low.is_finite() && high.is_finite() && low < high && (high - low).is_finite() {
                    Ok(())
                } else {
                    Err(NetError::InvalidInit { low, high })
                }
            }
            Init::Xavier | Init::He => Ok(()),
        }
    }

    /// Draws the parameters of one layer in place.
    ///
    /// # Errors
    /// [`NetError::InvalidInit`] for a range that is empty or not finite in `F` (two bounds
    /// that differ in `f64` may round to one `f32`).
    pub(crate) fn fill<F, R>(self, layer: &mut Layer<F>, rng: &mut R) -> Result<(), NetError>
    where
        F: NdFloat + SampleUniform,
        R: Rng + ?Sized,
    {
        self.check()?;
        match self {
            Init::Uniform { low, high } => {
                let (low_f, high_f) = (cast::<F>(low), cast::<F>(high));
                let finite_width = (high_f - low_f).is_finite();
                if !(low_f.is_finite() && high_f.is_finite() && low_f < high_f && finite_width) {
                    return Err(NetError::InvalidInit { low, high });
                }
                fill_uniform(&mut layer.w, low_f, high_f, rng);
                fill_uniform(&mut layer.b, low_f, high_f, rng);
            }
            Init::Xavier | Init::He => {
                let (fan_in, fan_out) = (layer.w.nrows() as f64, layer.w.ncols() as f64);
                let fans = if self == Init::Xavier { fan_in + fan_out } else { fan_in };
                // At least 1 in a valid layer, so the bound is positive and finite.
                let r = cast::<F>((6.0 / fans).sqrt());
                fill_uniform(&mut layer.w, -r, r, rng);
                layer.b.fill(F::zero());
            }
        }
        Ok(())
    }
}

impl fmt::Display for Init {
    /// The name, as [`Init::name`]; a uniform range other than the default `[0, 1)` is
    /// shown after it, as `uniform [-0.5, 0.5)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Init::Uniform { low, high } if *self != Init::default() => {
                write!(f, "uniform [{low}, {high})")
            }
            _ => f.write_str(self.name()),
        }
    }
}

impl FromStr for Init {
    type Err = NetError;

    /// `uniform` (the default range `[0, 1)`), `xavier` or `glorot`, `he` or `kaiming`.
    fn from_str(s: &str) -> Result<Self, NetError> {
        match s {
            "uniform" => Ok(Init::default()),
            "xavier" | "glorot" => Ok(Init::Xavier),
            "he" | "kaiming" => Ok(Init::He),
            _ => Err(NetError::ParseSetting {
                what: "an initialisation",
                expected: "uniform, xavier (or glorot) or he (or kaiming)",
                found: s.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};
    use ndarray_rand::rand::SeedableRng;
    use ndarray_rand::rand::rngs::StdRng;
    use nn_tensor::Activation;

    use super::*;

    /// A `fan_in × fan_out` layer drawn by `init` from a seeded generator.
    fn drawn(init: Init, fan_in: usize, fan_out: usize, seed: u64) -> Layer<f64> {
        let mut layer = Layer {
            w: Array2::from_elem((fan_in, fan_out), f64::NAN),
            b: Array1::from_elem(fan_out, f64::NAN),
            activation: Activation::Relu,
        };
        init.fill(&mut layer, &mut StdRng::seed_from_u64(seed)).unwrap();
        layer
    }

    /// The mean and the (population) variance of the weights.
    fn mean_and_variance(layer: &Layer<f64>) -> (f64, f64) {
        let n = layer.w.len() as f64;
        let mean = layer.w.sum() / n;
        let variance = layer.w.iter().map(|w| (w - mean) * (w - mean)).sum::<f64>() / n;
        (mean, variance)
    }

    #[test]
    fn xavier_weights_stay_in_their_range_with_the_glorot_variance() {
        // 300 inputs, 100 outputs: r = √(6/400) ≈ 0.1225, Var = 2/400 = 0.005.
        let layer = drawn(Init::Xavier, 300, 100, 1);
        let r = (6.0_f64 / 400.0).sqrt();
        assert!(layer.w.iter().all(|&w| -r <= w && w < r));
        // The extremes come close to the bounds: 30 000 draws leave gaps of about 2r/30 000.
        assert!(layer.w.iter().any(|&w| w < -0.99 * r) && layer.w.iter().any(|&w| w > 0.99 * r));
        assert!(layer.b.iter().all(|&b| b == 0.0));
        let (mean, variance) = mean_and_variance(&layer);
        // The mean of 30 000 draws has a standard error of √(0.005/30 000) ≈ 4e-4; the
        // variance one of about Var·√(0.8/30 000) ≈ 2.6e-5 (uniform: kurtosis 1.8).
        assert!(mean.abs() < 2e-3, "mean {mean}");
        assert!((variance - 0.005).abs() < 1.5e-4, "variance {variance}");
    }

    #[test]
    fn he_weights_stay_in_their_range_with_the_kaiming_variance() {
        // 200 inputs, 150 outputs: r = √(6/200) ≈ 0.1732, Var = 2/200 = 0.01.
        let layer = drawn(Init::He, 200, 150, 2);
        let r = (6.0_f64 / 200.0).sqrt();
        assert!(layer.w.iter().all(|&w| -r <= w && w < r));
        assert!(layer.b.iter().all(|&b| b == 0.0));
        let (mean, variance) = mean_and_variance(&layer);
        // Standard errors: √(0.01/30 000) ≈ 6e-4 for the mean, 0.01·√(0.8/30 000) ≈ 5e-5
        // for the variance.
        assert!(mean.abs() < 3e-3, "mean {mean}");
        assert!((variance - 0.01).abs() < 3e-4, "variance {variance}");
    }

    #[test]
    fn the_seed_fixes_the_draw() {
        for init in [Init::Xavier, Init::He] {
            assert_eq!(drawn(init, 7, 5, 3), drawn(init, 7, 5, 3));
            assert_ne!(drawn(init, 7, 5, 3), drawn(init, 7, 5, 4));
        }
    }

    #[test]
    fn names_parse_and_display() {
        for (name, init) in [
            ("uniform", Init::default()),
            ("xavier", Init::Xavier),
            ("glorot", Init::Xavier),
            ("he", Init::He),
            ("kaiming", Init::He),
        ] {
            assert_eq!(name.parse::<Init>().unwrap(), init);
        }
        for init in [Init::default(), Init::Xavier, Init::He] {
            assert_eq!(init.to_string().parse::<Init>().unwrap(), init);
        }
        assert_eq!(Init::Uniform { low: -0.5, high: 0.5 }.to_string(), "uniform [-0.5, 0.5)");
        let e = "lecun".parse::<Init>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected an initialisation of uniform, xavier (or glorot) or he (or kaiming); \
             found \"lecun\""
        );
    }
}
