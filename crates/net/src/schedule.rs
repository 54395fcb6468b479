//! Learning-rate schedules: the rate of each step as a function of where the step is in
//! the run.

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use ndarray::NdFloat;

use crate::NetError;
use crate::check::cast;

/// How the learning rate changes over a run: the rate of a step is
/// [`Schedule::rate`]`(base, epoch, epochs, batch, batches)`, a pure function of where the
/// step is, so a run resumed at any step gets the same rates as one that never stopped.
///
/// [`Schedule::Step`] and [`Schedule::Exponential`] change the rate once per epoch (every
/// step of an epoch has the same rate); [`Schedule::Cosine`] changes it every step, the
/// position within an epoch being `batch / batches`. With full-batch training an epoch is
/// one step, and the two are the same.
///
/// On the command line (`--schedule`) the names are `constant`, `step`, `exponential` and
/// `cosine`, each with its default parameters:
///
/// ```
/// use nn_net::Schedule;
///
/// let cosine: Schedule<f64> = "cosine".parse()?;
/// // Half way through a 10-epoch run, the cosine is half way from the base rate to 0.
/// assert_eq!(cosine.rate(0.1, 5, 10, 0, 1), 0.05);
/// // Step: halved every 10 epochs.
/// let step: Schedule<f64> = "step".parse()?;
/// assert_eq!(step.rate(0.1, 25, 100, 0, 1), 0.025);
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Schedule<F> {
    /// The base rate at every step.
    #[default]
    Constant,
    /// `base · factor^⌊epoch / every⌋`: the rate multiplied by `factor` every `every`
    /// epochs. Defaults (`step`): every 10 epochs, factor 0.5.
    Step {
        /// Epochs between two drops, at least 1.
        every: usize,
        /// What the rate is multiplied by at each drop, in `(0, 1]`.
        factor: F,
    },
    /// `base · factor^epoch`: the rate multiplied by `factor` at the start of every epoch
    /// after the first. Default (`exponential`): factor 0.95.
    Exponential {
        /// What the rate is multiplied by per epoch, in `(0, 1]`.
        factor: F,
    },
    /// A linear warm-up then a cosine decay. With `s` the step's index in the run
    /// (`epoch·batches + batch`), `S = epochs·batches` the steps of the run and
    /// `W = warmup·batches` those of the warm-up:
    ///
    /// - warm-up, `s < W`: `base · (s + 1) / W`, rising from `base / W` to `base`;
    /// - then, with `q = (s − W) / (S − W)` going from 0 to just under 1:
    ///   `min_rate + (base − min_rate) · (1 + cos(π q)) / 2`, falling from `base` towards
    ///   `min_rate`, which it would reach at the step after the last (so the last step's
    ///   rate is still above `min_rate`, and positive when `min_rate` is 0).
    ///
    /// Defaults (`cosine`): no warm-up, `min_rate` 0.
    Cosine {
        /// Epochs of linear warm-up (0 for none). A warm-up as long as the run never
        /// reaches the decay.
        warmup: usize,
        /// The rate the decay ends at, finite, at least 0 and at most the base rate.
        min_rate: F,
    },
}

impl<F: NdFloat> Schedule<F> {
    /// Every name on the command line, in declaration order.
    pub const NAMES: [&'static str; 4] = ["constant", "step", "exponential", "cosine"];

    /// The name on the command line: `constant`, `step`, `exponential` or `cosine`.
    pub fn name(&self) -> &'static str {
        match self {
            Schedule::Constant => "constant",
            Schedule::Step { .. } => "step",
            Schedule::Exponential { .. } => "exponential",
            Schedule::Cosine { .. } => "cosine",
        }
    }

    /// `step` with its defaults: halve the rate every 10 epochs.
    pub fn step() -> Self {
        Schedule::Step { every: 10, factor: cast(0.5) }
    }

    /// `exponential` with its default: the rate times 0.95 per epoch.
    pub fn exponential() -> Self {
        Schedule::Exponential { factor: cast(0.95) }
    }

    /// `cosine` with its defaults: no warm-up, decaying towards 0.
    pub fn cosine() -> Self {
        Schedule::Cosine { warmup: 0, min_rate: F::zero() }
    }

    /// Checks the parameters against the base rate `base`.
    ///
    /// # Errors
    /// [`NetError::InvalidSetting`] for a `Step` of `every` 0, a factor outside `(0, 1]`,
    /// or a `min_rate` that is not finite, below 0 or above `base`.
    pub fn check(&self, base: F) -> Result<(), NetError> {
        let invalid = |setting, expected, found: F| {
            Err(NetError::InvalidSetting {
                setting,
                expected,
                found: found.to_f64().unwrap_or(f64::NAN),
            })
        };
        let factor_ok = |f: F| f > F::zero() && f <= F::one();
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { every: 0, .. } => {
                invalid("step schedule's every (epochs)", "at least 1", F::zero())
            }
            Schedule::Step { factor, .. } if !factor_ok(factor) => {
                invalid("step schedule's factor", "in (0, 1]", factor)
            }
            Schedule::Exponential { factor } if !factor_ok(factor) => {
                invalid("exponential schedule's factor", "in (0, 1]", factor)
            }
            Schedule::Cosine { min_rate, .. }
                if !(min_rate >= F::zero() && min_rate <= base && min_rate.is_finite()) =>
            {
                invalid(
                    "cosine schedule's min_rate",
                    "finite, at least 0 and at most the learning rate",
                    min_rate,
                )
            }
            Schedule::Step { .. } | Schedule::Exponential { .. } | Schedule::Cosine { .. } => {
                Ok(())
            }
        }
    }

    /// The rate of step `batch` (of `batches`) of epoch `epoch` (of `epochs`, both counting
    /// from 0), for a base rate `base`. `Constant` gives `base` itself, to the bit.
    ///
    /// Computed in `f64` whatever `F`, so that a decay to a tiny rate does not round to 0
    /// in `f32` before the last step. (A step or exponential decay run for long enough
    /// still underflows to 0, which a training step refuses as
    /// [`NetError::InvalidRate`]: from 0.1 at 0.95 per epoch, after about 1 970 epochs in
    /// `f32` and 14 450 in `f64`.)
    pub fn rate(&self, base: F, epoch: usize, epochs: usize, batch: usize, batches: usize) -> F {
        let as_f64 = |v: F| v.to_f64().unwrap_or(f64::NAN);
        match *self {
            Schedule::Constant => base,
            Schedule::Step { every, factor } => {
                let drops = (epoch / every.max(1)) as f64;
                cast(as_f64(base) * as_f64(factor).powf(drops))
            }
            Schedule::Exponential { factor } => {
                cast(as_f64(base) * as_f64(factor).powf(epoch as f64))
            }
            Schedule::Cosine { warmup, min_rate } => {
                let batches = batches.max(1);
                let s = (epoch * batches + batch) as f64;
                let total = (epochs.max(1) * batches) as f64;
                let warm = (warmup * batches) as f64;
                let (base, min_rate) = (as_f64(base), as_f64(min_rate));
                if s < warm {
                    cast(base * (s + 1.0) / warm)
                } else {
                    // `total > s >= warm` for a step of the run, so q is in [0, 1).
                    let q = ((s - warm) / (total - warm)).min(1.0);
                    cast(min_rate + (base - min_rate) * (1.0 + (PI * q).cos()) / 2.0)
                }
            }
        }
    }
}

impl<F: NdFloat> fmt::Display for Schedule<F> {
    /// The name, as [`Schedule::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<F: NdFloat> FromStr for Schedule<F> {
    type Err = NetError;

    /// A name of [`Schedule::NAMES`], with its default parameters.
    fn from_str(s: &str) -> Result<Self, NetError> {
        match s {
            "constant" => Ok(Schedule::Constant),
            "step" => Ok(Schedule::step()),
            "exponential" => Ok(Schedule::exponential()),
            "cosine" => Ok(Schedule::cosine()),
            _ => Err(NetError::ParseSetting {
                what: "a schedule",
                expected: "constant, step, exponential or cosine",
                found: s.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    use super::*;

    #[test]
    fn constant_is_the_base_rate_to_the_bit() {
        let rate = 0.1_f32;
        for (epoch, batch) in [(0, 0), (3, 2), (99, 9)] {
            assert_eq!(
                Schedule::Constant.rate(rate, epoch, 100, batch, 10).to_bits(),
                rate.to_bits()
            );
        }
    }

    #[test]
    fn step_drops_every_few_epochs() {
        let step = Schedule::Step { every: 3, factor: 0.5 };
        // Epochs 0, 1, 2 at the base; 3, 4, 5 at half; 6 at a quarter; 9 at an eighth.
        let rates: Vec<f64> =
            [0, 2, 3, 5, 6, 9].iter().map(|&e| step.rate(0.8, e, 20, 0, 1)).collect();
        assert_eq!(rates, [0.8, 0.8, 0.4, 0.4, 0.2, 0.1]);
        // Per epoch: every batch of an epoch has the epoch's rate.
        assert_eq!(step.rate(0.8, 4, 20, 7, 8), 0.4);
    }

    #[test]
    fn exponential_multiplies_every_epoch() {
        let exponential = Schedule::Exponential { factor: 0.5 };
        // 1 · 0.5^0 = 1, 0.5^1 = 0.5, 0.5^4 = 0.0625; the same for every batch.
        assert_eq!(exponential.rate(1.0, 0, 10, 0, 4), 1.0);
        assert_eq!(exponential.rate(1.0, 1, 10, 3, 4), 0.5);
        assert_eq!(exponential.rate(1.0, 4, 10, 2, 4), 0.0625);
        // The default, 0.95 per epoch: 0.1 · 0.95² = 0.09025.
        assert_relative_eq!(
            Schedule::exponential().rate(0.1, 2, 10, 0, 1),
            0.09025,
            max_relative = 1e-15
        );
    }

    #[test]
    fn cosine_warms_up_linearly_then_decays() {
        // 10 epochs of 4 batches: S = 40 steps, W = 2·4 = 8 warm-up steps, base 1, min 0.
        let cosine = Schedule::Cosine { warmup: 2, min_rate: 0.0 };
        // Warm-up: (s + 1)/8 for s = 0, 3, 7.
        assert_eq!(cosine.rate(1.0, 0, 10, 0, 4), 0.125);
        assert_eq!(cosine.rate(1.0, 0, 10, 3, 4), 0.5);
        assert_eq!(cosine.rate(1.0, 1, 10, 3, 4), 1.0);
        // Decay: q = (s − 8)/32. s = 8: q = 0, the base; s = 24 (epoch 6, batch 0): q = 1/2,
        // (1 + cos(π/2))/2 = 1/2; s = 16: q = 1/4, (1 + √2/2)/2 ≈ 0.853553.
        assert_eq!(cosine.rate(1.0, 2, 10, 0, 4), 1.0);
        assert_relative_eq!(cosine.rate(1.0, 6, 10, 0, 4), 0.5, max_relative = 1e-15);
        let quarter = (1.0 + 0.5_f64.sqrt()) / 2.0;
        assert_relative_eq!(cosine.rate(1.0, 4, 10, 0, 4), quarter, max_relative = 1e-15);
        // The last step, s = 39: q = 31/32, (1 + cos(31π/32))/2 = sin²(π/64) ≈ 0.0024, above
        // min_rate 0 and positive.
        let last = cosine.rate(1.0, 9, 10, 3, 4);
        assert_relative_eq!(last, (PI / 64.0).sin().powi(2), max_relative = 1e-12);
        // With a floor: 0.1 + (1 − 0.1)/2 at the middle.
        let floored = Schedule::Cosine { warmup: 2, min_rate: 0.1 };
        assert_relative_eq!(floored.rate(1.0, 6, 10, 0, 4), 0.55, max_relative = 1e-15);
    }

    #[test]
    fn cosine_stays_positive_to_the_last_step_in_f32() {
        // A million steps: the last rate is about base · (π/2·1e-6)² ≈ 2.5e-12, which f32
        // holds; computed in f32 the cosine would round to −1 and the rate to 0.
        let last = Schedule::<f32>::cosine().rate(1.0, 999_999, 1_000_000, 0, 1);
        assert!(last > 0.0, "{last}");
    }

    #[test]
    fn names_parse_and_display() {
        for name in Schedule::<f64>::NAMES {
            let schedule: Schedule<f64> = name.parse().unwrap();
            assert_eq!(schedule.to_string(), name);
            schedule.check(0.1).unwrap();
        }
        let e = "linear".parse::<Schedule<f64>>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected a schedule of constant, step, exponential or cosine; found \"linear\""
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        let refused = |schedule: Schedule<f64>, says: &str| {
            let e = schedule.check(0.1).unwrap_err();
            assert!(matches!(e, NetError::InvalidSetting { .. }), "{e:?}");
            assert!(e.to_string().contains(says), "{e} does not say {says}");
        };
        refused(
            Schedule::Step { every: 0, factor: 0.5 },
            "every (epochs) to be at least 1; found 0",
        );
        refused(Schedule::Step { every: 2, factor: 0.0 }, "factor to be in (0, 1]; found 0");
        refused(Schedule::Step { every: 2, factor: 1.5 }, "found 1.5");
        refused(Schedule::Exponential { factor: f64::NAN }, "found NaN");
        refused(Schedule::Exponential { factor: -0.5 }, "found -0.5");
        refused(Schedule::Cosine { warmup: 1, min_rate: -1.0 }, "min_rate");
        refused(
            Schedule::Cosine { warmup: 1, min_rate: 0.2 },
            "at most the learning rate; found 0.2",
        );
        refused(Schedule::Cosine { warmup: 1, min_rate: f64::INFINITY }, "found inf");
    }
}
