//! Lesson 1, one weight: `y = x·w` learns to double its input.
//!
//! The whole model is one number `w`. Its cost over the samples is
//! `C(w) = (1/n) Σ_i (x_i·w − y_i)²`, and the derivative, by the chain rule, is
//! `C'(w) = (1/n) Σ_i 2(x_i·w − y_i)·x_i`. Gradient descent moves `w` against it:
//! `w ← w − rate·C'(w)`. With `y = 2x`, `w` goes to 2.
//!
//! The finite difference `(C(w + ε) − C(w − ε)) / 2ε` approximates the same derivative
//! without any calculus; the report shows both at the starting point.

use std::fmt;

use nn_net::NetError;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};

/// Settings of the lesson.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Options {
    /// Gradient-descent steps.
    #[arg(long, default_value_t = 1000)]
    pub epochs: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub rate: f64,
    /// Seed of the starting weight (uniform in [0, 10)).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { epochs: 1000, rate: 1e-3, seed: 42 }
    }
}

/// The samples `(x, y)` of `y = 2x`.
pub const SAMPLES: [(f64, f64); 5] = [(0.0, 0.0), (1.0, 2.0), (2.0, 4.0), (3.0, 6.0), (4.0, 8.0)];

/// `C(w) = (1/n) Σ_i (x_i·w − y_i)²`.
pub fn cost(w: f64, samples: &[(f64, f64)]) -> f64 {
    samples.iter().map(|&(x, y)| (x * w - y).powi(2)).sum::<f64>() / samples.len() as f64
}

/// `C'(w) = (1/n) Σ_i 2(x_i·w − y_i)·x_i`.
pub fn derivative(w: f64, samples: &[(f64, f64)]) -> f64 {
    samples.iter().map(|&(x, y)| 2.0 * (x * w - y) * x).sum::<f64>() / samples.len() as f64
}

/// What the lesson found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The starting weight.
    pub start: f64,
    /// `C'(start)` by the formula.
    pub derivative: f64,
    /// `C'(start)` by a central finite difference.
    pub finite_difference: f64,
    /// The weight after training.
    pub w: f64,
    /// The cost after training.
    pub cost: f64,
    /// The steps taken.
    pub epochs: usize,
}

/// Trains `w` by gradient descent.
///
/// # Errors
/// [`NetError::InvalidRate`] if the rate is not a positive finite number;
/// [`NetError::Diverged`] if it is so large that `w` overflows.
pub fn run(options: &Options) -> Result<Report, NetError> {
    if !(options.rate.is_finite() && options.rate > 0.0) {
        return Err(NetError::InvalidRate { found: options.rate });
    }
    let start = StdRng::seed_from_u64(options.seed).random_range(0.0..10.0);
    let eps = 1e-5;
    let finite_difference =
        (cost(start + eps, &SAMPLES) - cost(start - eps, &SAMPLES)) / (2.0 * eps);
    let mut w = start;
    for epoch in 0..options.epochs {
        let next = w - options.rate * derivative(w, &SAMPLES);
        // Too large a rate overshoots further each step until `w` overflows: stop there,
        // as the engine does, rather than print an infinite weight.
        if !next.is_finite() {
            return Err(NetError::Diverged { epoch, what: "parameter update" });
        }
        w = next;
    }
    Ok(Report {
        start,
        derivative: derivative(start, &SAMPLES),
        finite_difference,
        w,
        cost: cost(w, &SAMPLES),
        epochs: options.epochs,
    })
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "y = x·w on y = 2x, starting from w = {:.6}", self.start)?;
        writeln!(f, "C'(w) by the formula:           {:.9}", self.derivative)?;
        writeln!(f, "C'(w) by a central difference:  {:.9}", self.finite_difference)?;
        writeln!(f, "after {} steps: w = {:.6}, cost = {:.3e}", self.epochs, self.w, self.cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_by_hand() {
        // w = 1.5 on y = 2x: C'(w) = (1/5) Σ 2(1.5x − 2x)·x = (1/5)·(−1)·(0 + 1 + 4 + 9 + 16) = −6
        assert_eq!(derivative(1.5, &SAMPLES), -6.0);
        // C(1.5) = (1/5) Σ (0.5x)² = (1/5)·0.25·30 = 1.5
        assert_eq!(cost(1.5, &SAMPLES), 1.5);
        assert_eq!(derivative(2.0, &SAMPLES), 0.0);
    }

    #[test]
    fn w_goes_to_two() {
        let report = run(&Options::default()).unwrap();
        assert!((report.w - 2.0).abs() < 1e-3, "{report}");
        assert!((report.derivative - report.finite_difference).abs() < 1e-6, "{report}");
    }

    #[test]
    fn too_large_a_rate_diverges() {
        // C'(w) = 12(w − 2), so a step multiplies w − 2 by 1 − 12·rate: |1 − 12| > 1 grows.
        let options = Options { rate: 1.0, epochs: 10_000, ..Options::default() };
        assert!(matches!(run(&options), Err(NetError::Diverged { .. })));
    }

    #[test]
    fn a_bad_rate_is_refused() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(run(&Options { rate, ..Options::default() }).is_err());
        }
    }
}
