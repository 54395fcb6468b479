//! Property tests: invariants of the engine checked on random architectures, activations,
//! losses, batch sizes, chunkings and seeds, each failure shrunk by proptest to a smallest
//! case.
//!
//! - [`shapes`]: outputs are `rows × d_L` and each output row depends on its input row
//!   alone; the gradient has every layer's shapes; a batch of the wrong input or target
//!   width (or mismatched rows) is an error naming the expected and the found, from every
//!   entry point, never a panic.
//! - [`gradients`]: back-propagation, whole-batch and chunked, equals a central finite
//!   difference in f64.
//! - [`round_trips`]: a saved model (f32 or f64, any finite parameters, any normalisation)
//!   loads back bit-identical and predicts the same bits; narrowing f64 to f32 rounds as
//!   `as f32` does or is refused; a checkpoint loads the run's state to the bit and resumes
//!   to the bits of the uninterrupted run.
//! - [`parallel`]: a batch's cost and gradient, a few training steps, mini-batch training and
//!   an evaluation give the same bits on 1, 2 and 3 threads, for any chunking.
//! - [`repeat`]: `Trainer::repeat_step` gives the bits of as many `Trainer::step`s.
//!
//! Every property runs from a fixed seed, so a run is reproducible and CI cannot flake; no
//! failure file is written into the source tree (a failure's minimal case is printed, and
//! what it finds becomes a plain regression test). To explore further, set
//! `PROPTEST_CASES` and `PROPTEST_RNG_SEED`: `config` defers to them.

#![cfg(test)]

mod gradients;
mod parallel;
mod repeat;
mod round_trips;
mod shapes;
mod spec;

use proptest::test_runner::{Config, RngSeed};

/// The seed every property runs from unless `PROPTEST_RNG_SEED` says otherwise.
const SEED: u64 = 0x6e6e_2d70_726f_7073;

/// `cases` cases from [`SEED`] (either overridden by `PROPTEST_CASES` or
/// `PROPTEST_RNG_SEED`), with no failure persistence.
pub(crate) fn config(cases: u32) -> Config {
    // `Config::default()` has read the `PROPTEST_*` variables.
    let from_environment = Config::default();
    let set = |name: &str| std::env::var_os(name).is_some();
    Config {
        cases: if set("PROPTEST_CASES") { from_environment.cases } else { cases },
        rng_seed: if set("PROPTEST_RNG_SEED") {
            from_environment.rng_seed
        } else {
            RngSeed::Fixed(SEED)
        },
        // The default writes `proptest-regressions/` beside the source; a seeded run needs
        // no record to replay, and a failure found is kept as a named regression test.
        failure_persistence: None,
        ..from_environment
    }
}
