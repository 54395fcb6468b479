//! Element-wise passes over large buffers (the tree's additions of gradients, the descent),
//! spread over the rayon pool the call runs in.
//!
//! Every element is computed on its own, so the bits are the same whichever thread computes
//! which piece, and on any number of threads. Each piece runs in the widest vectors the CPU
//! has ([`vectorized`]). Small buffers, and calls from outside a rayon
//! pool, run on the calling thread: a pool's task costs about a microsecond, and entering
//! the global pool from outside would start it (and allocate) on a path that promises
//! neither.

use nn_tensor::vectorized;
use rayon::prelude::*;

/// The elements one rayon task takes: 128 KiB of `f32`, large enough that a task's cost is
/// small beside its pass over memory, small enough that a layer of 100k parameters still
/// makes pieces for several threads.
const PIECE: usize = 1 << 15;

/// Whether a pass over `len` elements is worth spreading: more than one piece, and a pool
/// of more than one thread that this thread belongs to.
fn spread(len: usize) -> bool {
    len > PIECE && rayon::current_thread_index().is_some() && rayon::current_num_threads() > 1
}

/// `f(a_i, b_i)` for every pair, in pieces over the pool when `a` is large.
pub(crate) fn zip_mut<F, W>(a: &mut [F], b: &[F], f: W)
where
    F: Copy + Send + Sync,
    W: Fn(&mut F, F) + Sync,
{
    let serial = |a: &mut [F], b: &[F]| {
        vectorized::<F, _>(
            a.len(),
            #[inline(always)]
            || a.iter_mut().zip(b).for_each(|(a, &b)| f(a, b)),
        );
    };
    if spread(a.len()) {
        a.par_chunks_mut(PIECE).zip(b.par_chunks(PIECE)).for_each(|(a, b)| serial(a, b));
    } else {
        serial(a, b);
    }
}

/// Whether `f(a_i, b_i)` holds for every pair: a branch-free `&` over each piece (the
/// answer is almost always yes, and a short-circuit would keep the loop from
/// vectorising), in pieces over the pool when `a` is large.
pub(crate) fn all<F, W>(a: &[F], b: &[F], f: W) -> bool
where
    F: Copy + Send + Sync,
    W: Fn(F, F) -> bool + Sync,
{
    let serial = |a: &[F], b: &[F]| {
        vectorized::<F, _>(
            a.len(),
            #[inline(always)]
            || a.iter().zip(b).fold(true, |ok, (&a, &b)| ok & f(a, b)),
        )
    };
    if spread(a.len()) {
        a.par_chunks(PIECE).zip(b.par_chunks(PIECE)).all(|(a, b)| serial(a, b))
    } else {
        serial(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_on_one_thread_and_spread_over_a_pool() {
        let n = 5 * PIECE + 17;
        let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
        let add = |a: &mut f32, b: f32| *a = (*a + b) * 0.25;
        let mut serial = a.clone();
        zip_mut(&mut serial, &b, add);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let mut spread = a.clone();
        pool.install(|| {
            assert!(super::spread(n));
            zip_mut(&mut spread, &b, add);
        });
        assert_eq!(serial, spread);
        assert_eq!(serial[n - 1], (a[n - 1] + b[n - 1]) * 0.25);

        let positive = |a: f32, b: f32| a * a + b * b > 0.0;
        assert!(all(&a, &b, positive) && pool.install(|| all(&a, &b, positive)));
        let mut with_nan = a.clone();
        with_nan[4 * PIECE + 3] = f32::NAN;
        let finite = |a: f32, _: f32| a.is_finite();
        assert!(!all(&with_nan, &b, finite) && !pool.install(|| all(&with_nan, &b, finite)));
    }

    #[test]
    fn small_buffers_and_calls_outside_a_pool_stay_on_the_calling_thread() {
        assert!(!spread(PIECE));
        assert!(!spread(10 * PIECE)); // the test thread is in no pool
    }
}
