//! The memory a training run needs, checked before it is taken: a typo such as
//! `--arch 784-1000000000-10` is refused with the sum it would need, rather than the
//! allocator aborting the process.

use nn_net::Architecture;
use nn_net::data::DEFAULT_MEMORY_LIMIT;
use thiserror::Error;

/// A network and batch whose buffers would not fit the memory limit.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error(
    "--arch {arch} with batches of {rows} rows would take at least {bytes} bytes of memory; \
     expected at most {limit} bytes (use a smaller --arch or --batch)"
)]
pub struct TooLarge {
    /// The architecture.
    pub arch: String,
    /// Rows per step.
    pub rows: usize,
    /// The least the run would take (`u64::MAX` for more than a `u64` holds).
    pub bytes: u64,
    /// The limit.
    pub limit: u64,
}

/// The least memory, in bytes, that training `arch` on batches of `rows` rows of
/// `float_bytes`-byte floats takes: the parameters four times (weights, gradient, and an
/// optimizer's two moments), and per row the inputs, the targets, and each layer's
/// activations and errors. `None` if it overflows a `u64`.
///
/// A lower bound (the chunked batch sum keeps a gradient per chunk, too): its job is to
/// refuse what cannot fit, not to predict the peak.
pub fn training_bytes(arch: &Architecture, rows: usize, float_bytes: usize) -> Option<u64> {
    let sizes: Vec<u64> = arch.sizes().iter().map(|&s| s as u64).collect();
    let mut parameters: u64 = 0;
    for pair in sizes.windows(2) {
        let [inputs, outputs] = [pair[0], pair[1]];
        parameters = parameters.checked_add(inputs.checked_add(1)?.checked_mul(outputs)?)?;
    }
    let layer_widths = sizes.iter().skip(1).try_fold(0_u64, |sum, &w| sum.checked_add(w))?;
    let per_row = layer_widths
        .checked_mul(2)?
        .checked_add(arch.inputs() as u64)?
        .checked_add(arch.outputs() as u64)?;
    let values = parameters.checked_mul(4)?.checked_add(per_row.checked_mul(rows as u64)?)?;
    values.checked_mul(float_bytes as u64)
}

/// Checks that training `arch` on batches of `rows` rows fits [`DEFAULT_MEMORY_LIMIT`],
/// the limit the data loaders keep to.
///
/// # Errors
/// [`TooLarge`] with the least the run would take.
pub fn check_training_memory(
    arch: &Architecture,
    rows: usize,
    float_bytes: usize,
) -> Result<(), TooLarge> {
    let limit = DEFAULT_MEMORY_LIMIT;
    match training_bytes(arch, rows, float_bytes) {
        Some(bytes) if bytes <= limit => Ok(()),
        bytes => {
            Err(TooLarge { arch: arch.to_string(), rows, bytes: bytes.unwrap_or(u64::MAX), limit })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_parameters_four_times_and_each_row_once() {
        let arch: Architecture = "2-3-1".parse().unwrap();
        // Parameters (2+1)·3 + (3+1)·1 = 13, four times: 52. Per row: inputs 2, targets 1,
        // activations and errors of 3 + 1 outputs: 2 + 1 + 8 = 11; 10 rows: 110.
        assert_eq!(training_bytes(&arch, 10, 4), Some((52 + 110) * 4));
    }

    #[test]
    fn refuses_what_cannot_fit_and_what_overflows() {
        let mnist: Architecture = "784-128-10".parse().unwrap();
        assert_eq!(check_training_memory(&mnist, 64, 4), Ok(()));
        let wide: Architecture = "2-1000000000000-3".parse().unwrap();
        let e = check_training_memory(&wide, 3, 4).unwrap_err();
        assert!(e.bytes > e.limit, "{e}");
        assert!(e.to_string().starts_with("--arch 2-1000000000000-3 with batches of 3 rows"));
        let huge: Architecture = format!("2-{}-3", u64::MAX).parse().unwrap();
        assert_eq!(check_training_memory(&huge, 1, 8).unwrap_err().bytes, u64::MAX);
    }
}
