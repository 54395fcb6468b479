//! One optimizer step: the settings it needs, and the passes that apply it only when every
//! new value is finite.

use ndarray::{NdFloat, Zip};

use super::clipping::clip_scale;
use crate::check::check_rate;
use crate::{Gradient, Mlp, NetError, Optimizer, OptimizerState, TrainConfig};

/// What one step needs besides the gradient, checked: the optimizer, the step's rate, the
/// weight decay and the clipping limit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StepSettings<F> {
    optimizer: Optimizer<F>,
    rate: F,
    weight_decay: F,
    clip_norm: Option<F>,
}

impl<F: NdFloat> StepSettings<F> {
    /// The settings of `config` with the step's learning rate `rate` (the schedule's).
    ///
    /// Checks only numbers, in O(1): cheap enough for every step.
    pub(crate) fn new(config: &TrainConfig<F>, rate: F) -> Result<Self, NetError> {
        check_rate(rate)?;
        config.optimizer.check()?;
        let weight_decay = config.weight_decay;
        if !(weight_decay >= F::zero() && weight_decay.is_finite()) {
            return Err(NetError::InvalidSetting {
                setting: "weight decay",
                expected: "a finite number, at least 0",
                found: weight_decay.to_f64().unwrap_or(f64::NAN),
            });
        }
        if let Some(limit) = config.clip_norm
            && !(limit > F::zero() && limit.is_finite())
        {
            return Err(NetError::InvalidSetting {
                setting: "clipping norm",
                expected: "a positive finite number",
                found: limit.to_f64().unwrap_or(f64::NAN),
            });
        }
        Ok(StepSettings {
            optimizer: config.optimizer,
            rate,
            weight_decay,
            clip_norm: config.clip_norm,
        })
    }

    /// The optimizer of the step.
    pub(crate) fn optimizer(&self) -> Optimizer<F> {
        self.optimizer
    }

    /// The rate, if the step is the notes' plain rule `θ ← θ − rate·∇C` (SGD without
    /// weight decay or clipping): the rule [`DirectRun`](crate::direct_run::DirectRun)
    /// runs.
    pub(crate) fn plain_rate(&self) -> Option<F> {
        let plain = self.optimizer == Optimizer::Sgd
            && self.weight_decay == F::zero()
            && self.clip_norm.is_none();
        plain.then_some(self.rate)
    }
}

impl<F: NdFloat> OptimizerState<F> {
    /// One step of the optimizer on `mlp` with the batch's `gradient`: the parameters and
    /// the buffers are changed only if every new value of both is finite; otherwise nothing
    /// changes and the answer is `false`. The state must have been prepared for
    /// `settings.optimizer()`.
    ///
    /// Two passes over the parameters: a read-only one that computes every new value and
    /// checks it, then one that computes them again and writes them. Writing new values
    /// into spare buffers and swapping would save the second computation but double the
    /// memory of the state; recomputing is cheap next to the gradient it follows.
    pub(crate) fn apply(
        &mut self,
        mlp: &mut Mlp<F>,
        gradient: &Gradient<F>,
        settings: &StepSettings<F>,
    ) -> bool {
        let StepSettings { optimizer, rate: eta, weight_decay: lambda, clip_norm } = *settings;
        let stays_finite = if settings.plain_rate().is_some() {
            // The notes' rule, benchmarked: the fused check-and-descend of the plain step.
            mlp.descend_if_finite(gradient, eta)
        } else {
            let c = clip_scale(gradient, clip_norm);
            // The gradient an optimizer sees: clipped, plus the L2 decay `λ·θ`.
            let l2 = move |p: F, g: F| c * g + lambda * p;
            let t = self.steps + 1;
            match (optimizer, &mut self.slots[..]) {
                (Optimizer::Sgd, []) => {
                    update_without_slots(mlp, gradient, |p, g| p - eta * l2(p, g))
                }
                (Optimizer::Momentum { beta, nesterov: false }, [v]) => {
                    update_one_slot(mlp, gradient, v, |p, g, v| {
                        let g = l2(p, g);
                        let v = beta * v + g;
                        (p - eta * v, v)
                    })
                }
                (Optimizer::Momentum { beta, nesterov: true }, [v]) => {
                    update_one_slot(mlp, gradient, v, |p, g, v| {
                        let g = l2(p, g);
                        let v = beta * v + g;
                        (p - eta * (g + beta * v), v)
                    })
                }
                (Optimizer::RmsProp { decay: rho, epsilon }, [s]) => {
                    let keep = F::one() - rho;
                    update_one_slot(mlp, gradient, s, |p, g, s| {
                        let g = l2(p, g);
                        let s = rho * s + keep * g * g;
                        (p - eta * g / (s.sqrt() + epsilon), s)
                    })
                }
                (Optimizer::Adam { beta1, beta2, epsilon }, [m, s]) => {
                    let adam = Adam::new(beta1, beta2, epsilon, t);
                    update_two_slots(mlp, gradient, m, s, |p, g, m, s| {
                        let (step, m, s) = adam.step(l2(p, g), m, s);
                        (p - eta * step, m, s)
                    })
                }
                (Optimizer::AdamW { beta1, beta2, epsilon }, [m, s]) => {
                    let adam = Adam::new(beta1, beta2, epsilon, t);
                    update_two_slots(mlp, gradient, m, s, |p, g, m, s| {
                        // Decoupled: the decay is not in the moments, only in the step.
                        let (step, m, s) = adam.step(c * g, m, s);
                        (p - eta * (step + lambda * p), m, s)
                    })
                }
                (optimizer, slots) => unreachable!(
                    "the state was prepared for {optimizer}; it has {} buffers",
                    slots.len()
                ),
            }
        };
        if stays_finite {
            self.count_steps(optimizer, 1);
        }
        stays_finite
    }

    /// Counts `taken` steps of `optimizer` applied to the parameters (by [`apply`] or by a
    /// run that applied them itself).
    ///
    /// [`apply`]: OptimizerState::apply
    pub(crate) fn count_steps(&mut self, optimizer: Optimizer<F>, taken: usize) {
        if taken > 0 {
            self.steps += taken;
            self.optimizer = optimizer;
        }
    }
}

/// Adam's constants for step `t`: the moments' decays and the bias corrections as
/// reciprocals, `1 / (1 − β₁ᵗ)` and `1 / (1 − β₂ᵗ)`, so the per-entry work multiplies.
#[derive(Clone, Copy)]
struct Adam<F> {
    beta1: F,
    beta2: F,
    epsilon: F,
    correct1: F,
    correct2: F,
}

impl<F: NdFloat> Adam<F> {
    fn new(beta1: F, beta2: F, epsilon: F, t: usize) -> Self {
        // Past 2³¹ steps β^t is 0 for any β < 1 anyway.
        let t = i32::try_from(t).unwrap_or(i32::MAX);
        let correct = |beta: F| F::one() / (F::one() - beta.powi(t));
        Adam { beta1, beta2, epsilon, correct1: correct(beta1), correct2: correct(beta2) }
    }

    /// The new moments of an entry with gradient `g`, and the step `m̂ / (√ŝ + ε)`.
    #[inline]
    fn step(&self, g: F, m: F, s: F) -> (F, F, F) {
        let m = self.beta1 * m + (F::one() - self.beta1) * g;
        let s = self.beta2 * s + (F::one() - self.beta2) * g * g;
        let step = m * self.correct1 / ((s * self.correct2).sqrt() + self.epsilon);
        (step, m, s)
    }
}

// The three passes below differ only in how many buffers ride along with the parameters;
// each checks every new value with a branch-free `&` fold (it vectorises, and the answer is
// almost always yes), and writes only if all are finite.

/// `θ ← rule(θ, g)` for every parameter, if every new `θ` is finite.
fn update_without_slots<F: NdFloat>(
    mlp: &mut Mlp<F>,
    gradient: &Gradient<F>,
    rule: impl Fn(F, F) -> F,
) -> bool {
    let finite = |ok: bool, &p: &F, &g: &F| ok & rule(p, g).is_finite();
    let stays_finite = mlp.layers.iter().zip(gradient.layers()).all(|(layer, g)| {
        Zip::from(&layer.w).and(&g.w).fold(true, finite)
            & Zip::from(&layer.b).and(&g.b).fold(true, finite)
    });
    if stays_finite {
        let write = |p: &mut F, &g: &F| *p = rule(*p, g);
        for (layer, g) in mlp.layers.iter_mut().zip(gradient.layers()) {
            Zip::from(&mut layer.w).and(&g.w).for_each(write);
            Zip::from(&mut layer.b).and(&g.b).for_each(write);
        }
    }
    stays_finite
}

/// `(θ, a) ← rule(θ, g, a)` for every parameter and its entry of the buffer `a`, if every
/// new value is finite.
fn update_one_slot<F: NdFloat>(
    mlp: &mut Mlp<F>,
    gradient: &Gradient<F>,
    a: &mut Gradient<F>,
    rule: impl Fn(F, F, F) -> (F, F),
) -> bool {
    let finite = |ok: bool, &p: &F, &g: &F, &a: &F| {
        let (p, a) = rule(p, g, a);
        ok & p.is_finite() & a.is_finite()
    };
    let stays_finite =
        mlp.layers.iter().zip(gradient.layers()).zip(a.layers()).all(|((layer, g), a)| {
            Zip::from(&layer.w).and(&g.w).and(&a.w).fold(true, finite)
                & Zip::from(&layer.b).and(&g.b).and(&a.b).fold(true, finite)
        });
    if stays_finite {
        let write = |p: &mut F, &g: &F, a: &mut F| (*p, *a) = rule(*p, g, *a);
        let layers = mlp.layers.iter_mut().zip(gradient.layers()).zip(a.layers_mut());
        for ((layer, g), a) in layers {
            Zip::from(&mut layer.w).and(&g.w).and(&mut a.w).for_each(write);
            Zip::from(&mut layer.b).and(&g.b).and(&mut a.b).for_each(write);
        }
    }
    stays_finite
}

/// `(θ, a, b) ← rule(θ, g, a, b)` for every parameter and its entries of the buffers `a` and
/// `b`, if every new value is finite.
fn update_two_slots<F: NdFloat>(
    mlp: &mut Mlp<F>,
    gradient: &Gradient<F>,
    a: &mut Gradient<F>,
    b: &mut Gradient<F>,
    rule: impl Fn(F, F, F, F) -> (F, F, F),
) -> bool {
    let finite = |ok: bool, &p: &F, &g: &F, &a: &F, &b: &F| {
        let (p, a, b) = rule(p, g, a, b);
        ok & p.is_finite() & a.is_finite() & b.is_finite()
    };
    let stays_finite =
        mlp.layers.iter().zip(gradient.layers()).zip(a.layers().iter().zip(b.layers())).all(
            |((layer, g), (a, b))| {
                Zip::from(&layer.w).and(&g.w).and(&a.w).and(&b.w).fold(true, finite)
                    & Zip::from(&layer.b).and(&g.b).and(&a.b).and(&b.b).fold(true, finite)
            },
        );
    if stays_finite {
        let write = |p: &mut F, &g: &F, a: &mut F, b: &mut F| (*p, *a, *b) = rule(*p, g, *a, *b);
        let layers = mlp
            .layers
            .iter_mut()
            .zip(gradient.layers())
            .zip(a.layers_mut().iter_mut().zip(b.layers_mut()));
        for ((layer, g), (a, b)) in layers {
            Zip::from(&mut layer.w).and(&g.w).and(&mut a.w).and(&mut b.w).for_each(write);
            Zip::from(&mut layer.b).and(&g.b).and(&mut a.b).and(&mut b.b).for_each(write);
        }
    }
    stays_finite
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    use super::*;

    #[test]
    fn adam_bias_correction_makes_the_first_step_the_sign_of_the_gradient() {
        // t = 1: m = 0.1·g, s = 0.001·g², m̂ = g, ŝ = g², so the step is g / (|g| + ε).
        let adam = Adam::new(0.9, 0.999, 1e-8, 1);
        let (step, m, s) = adam.step(-4.0_f64, 0.0, 0.0);
        assert_relative_eq!(m, -0.4, max_relative = 1e-15);
        assert_relative_eq!(s, 0.016, max_relative = 1e-15);
        assert_relative_eq!(step, -4.0 / (4.0 + 1e-8), max_relative = 1e-14);
    }
}
