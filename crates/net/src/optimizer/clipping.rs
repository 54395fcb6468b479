//! Gradient clipping by global norm: the factor that brings the gradient's norm down to a
//! limit.

use ndarray::NdFloat;

use crate::Gradient;

/// The factor the gradient is multiplied by so that its global L2 norm (over every entry
/// of every layer) is at most `max_norm`: `max_norm / ‖g‖₂` when the norm is above the
/// limit, 1 otherwise (and with no limit). Multiplying by it keeps the gradient's
/// direction.
///
/// The gradient itself is not changed: the step folds the factor into its one pass over
/// the parameters. A non-finite gradient gives 1, and the step then refuses it.
pub(crate) fn clip_scale<F: NdFloat>(gradient: &Gradient<F>, max_norm: Option<F>) -> F {
    let Some(max_norm) = max_norm else { return F::one() };
    match global_norm(gradient) {
        Some(norm) if norm > max_norm => max_norm / norm,
        _ => F::one(),
    }
}

/// `‖g‖₂` over every entry, without overflowing for a finite gradient; `None` for a
/// gradient that is not finite.
fn global_norm<F: NdFloat>(gradient: &Gradient<F>) -> Option<F> {
    let squares = |acc: F, &v: &F| acc + v * v;
    let sum = gradient.layers().iter().fold(F::zero(), |acc, g| {
        let acc = g.w.fold(acc, squares);
        g.b.fold(acc, squares)
    });
    if sum.is_finite() {
        return Some(sum.sqrt());
    }
    if !gradient.is_finite() {
        return None;
    }
    // The squares overflowed (entries beyond about 1e19 in f32): ‖g‖ = M·‖g / M‖ with M the
    // largest magnitude, a second pass only on this rare path.
    let largest = |acc: F, &v: &F| acc.max(v.abs());
    let m = gradient.layers().iter().fold(F::zero(), |acc, g| {
        let acc = g.w.fold(acc, largest);
        g.b.fold(acc, largest)
    });
    let scaled = |acc: F, &v: &F| acc + (v / m) * (v / m);
    let sum = gradient.layers().iter().fold(F::zero(), |acc, g| {
        let acc = g.w.fold(acc, scaled);
        g.b.fold(acc, scaled)
    });
    Some(m * sum.sqrt())
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;
    use ndarray::{Array1, array};
    use nn_tensor::Activation;

    use super::*;
    use crate::{Layer, Mlp};

    /// A gradient of a 2-1 network with weights `w` and bias `b`.
    fn gradient<F: NdFloat>(w: [F; 2], b: F) -> Gradient<F> {
        let layer = Layer::new(
            array![[F::zero()], [F::zero()]],
            Array1::from_elem(1, F::zero()),
            Activation::Identity,
        )
        .unwrap();
        let mut g = Gradient::zeros(&Mlp::from_layers(vec![layer]).unwrap());
        let layer = &mut g.layers_mut()[0];
        layer.w[[0, 0]] = w[0];
        layer.w[[1, 0]] = w[1];
        layer.b[0] = b;
        g
    }

    #[test]
    fn a_gradient_above_the_limit_is_scaled_down_to_it() {
        // ‖(3, 4, 12)‖ = √(9 + 16 + 144) = 13: a limit of 6.5 halves it.
        let g = gradient([3.0_f64, 4.0], 12.0);
        assert_eq!(clip_scale(&g, Some(6.5)), 0.5);
        // At or below the limit, and with none, it stays.
        assert_eq!(clip_scale(&g, Some(13.0)), 1.0);
        assert_eq!(clip_scale(&g, Some(100.0)), 1.0);
        assert_eq!(clip_scale(&g, None), 1.0);
    }

    #[test]
    fn a_finite_gradient_whose_squares_overflow_is_still_clipped() {
        // (3e30, 4e30, 0) in f32: the squares are infinite, the norm 5e30.
        let g = gradient([3e30_f32, 4e30], 0.0);
        assert_relative_eq!(clip_scale(&g, Some(1.0)), 1.0 / 5e30, max_relative = 1e-6);
        // A non-finite gradient is left for the step to refuse.
        for bad in [f32::NAN, f32::INFINITY] {
            assert_eq!(clip_scale(&gradient([bad, 1.0], 0.0), Some(1.0)), 1.0);
        }
    }
}
