//! Seeded random initialisation.
//!
//! Randomness always comes in as a generator the caller owns: the kernels never touch a
//! global or thread-local generator, so a seed fixes every value.

use ndarray::{Array, ArrayRef, Dimension, NdFloat, ShapeBuilder};
use ndarray_rand::RandomExt;
use ndarray_rand::rand::Rng;
use ndarray_rand::rand_distr::uniform::SampleUniform;
use ndarray_rand::rand_distr::{Distribution, Uniform};

/// Fills `dst` with values drawn uniformly from `[low, high)`, in logical (row-major) order.
///
/// # Panics
/// If `low >= high` or either bound is not finite; callers that take the range from
/// outside check it first.
#[track_caller]
pub fn fill_uniform<F, D, R>(dst: &mut ArrayRef<F, D>, low: F, high: F, rng: &mut R)
where
    F: NdFloat + SampleUniform,
    D: Dimension,
    R: Rng + ?Sized,
{
    let uniform = uniform_distribution(low, high);
    dst.map_inplace(|v| *v = uniform.sample(rng));
}

/// A new array of the given shape with values drawn uniformly from `[low, high)`.
///
/// The same generator state gives the same array, value for value, as [`fill_uniform`].
///
/// # Panics
/// If `low >= high` or either bound is not finite.
#[track_caller]
pub fn uniform<F, Sh, D, R>(shape: Sh, low: F, high: F, rng: &mut R) -> Array<F, D>
where
    F: NdFloat + SampleUniform,
    Sh: ShapeBuilder<Dim = D>,
    D: Dimension,
    R: Rng + ?Sized,
{
    Array::random_using(shape, uniform_distribution(low, high), rng)
}

#[track_caller]
fn uniform_distribution<F: NdFloat + SampleUniform>(low: F, high: F) -> Uniform<F> {
    assert!(
        low.is_finite() && high.is_finite() && low < high,
        "uniform initialisation needs finite bounds with low < high; found [{low}, {high})"
    );
    match Uniform::new(low, high) {
        Ok(uniform) => uniform,
        Err(e) => panic!("uniform initialisation over [{low}, {high}): {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use ndarray_rand::rand::SeedableRng;
    use ndarray_rand::rand::rngs::StdRng;

    #[test]
    fn values_lie_in_the_range_and_a_seed_fixes_them() {
        let a: Array2<f32> = uniform((16, 8), 0.0, 1.0, &mut StdRng::seed_from_u64(7));
        assert!(a.iter().all(|&v| (0.0..1.0).contains(&v)));
        let mut b = Array2::zeros((16, 8));
        fill_uniform(&mut b, 0.0, 1.0, &mut StdRng::seed_from_u64(7));
        assert_eq!(a, b);
        let c: Array2<f32> = uniform((16, 8), 0.0, 1.0, &mut StdRng::seed_from_u64(8));
        assert_ne!(a, c);
    }

    #[test]
    fn a_symmetric_range_has_both_signs() {
        let a: Array2<f64> = uniform((32, 32), -0.5, 0.5, &mut StdRng::seed_from_u64(1));
        assert!(a.iter().any(|&v| v < 0.0) && a.iter().any(|&v| v > 0.0));
        assert!(a.iter().all(|&v| (-0.5..0.5).contains(&v)));
    }

    #[test]
    #[should_panic(expected = "low < high")]
    fn an_empty_range_is_refused() {
        let _: Array2<f64> = uniform((2, 2), 1.0, 1.0, &mut StdRng::seed_from_u64(1));
    }
}
