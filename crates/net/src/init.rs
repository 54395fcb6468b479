//! How a network's parameters are first drawn.

use ndarray::NdFloat;
use ndarray_rand::rand::Rng;
use ndarray_rand::rand_distr::uniform::SampleUniform;
use nn_tensor::fill_uniform;

use crate::check::cast;
use crate::{Layer, NetError};

/// How weights and biases are initialised. Randomness comes from the caller's generator,
/// so a seed fixes the network.
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
}

impl Default for Init {
    /// Uniform in `[0, 1)`, as in the notes.
    fn default() -> Self {
        Init::Uniform { low: 0.0, high: 1.0 }
    }
}

impl Init {
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
        }
        Ok(())
    }
}
