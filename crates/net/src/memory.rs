//! The memory limit of networks and training: the bytes their buffers would take, counted
//! from the sizes before anything is allocated, so that an architecture or a batch too
//! large for the machine is refused with an error rather than taking every byte and being
//! killed (or, for a size past what a `usize` can count, panicking in ndarray).

use std::fmt;
use std::mem::size_of;

use ndarray::NdFloat;

use crate::direct_run::LANES;
use crate::{Architecture, Chunking, NetError, Optimizer, TrainConfig};

pub use crate::data::DEFAULT_MEMORY_LIMIT;

use crate::metrics::EVALUATION_ROWS;

/// Bytes, shown exactly and in binary units: `80000800000 bytes (74.5 GiB)`; `None`, a count
/// past `u64`, as such.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bytes(pub(crate) Option<u64>);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(bytes) = self.0 else {
            return f.write_str("more than 2^64 bytes");
        };
        write!(f, "{bytes} bytes")?;
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        // The largest unit the count reaches, as a decimal with one digit.
        let (mut value, mut unit) = (bytes as f64, None);
        for name in units {
            if value < 1024.0 {
                break;
            }
            value /= 1024.0;
            unit = Some(name);
        }
        match unit {
            Some(unit) => write!(f, " ({value:.1} {unit})"),
            None => Ok(()),
        }
    }
}

/// `Ok` if `bytes` is within `limit`; otherwise [`NetError::MemoryLimit`] naming `what`
/// and the setting that raises the limit.
pub(crate) fn check_memory(
    what: impl FnOnce() -> String,
    bytes: Option<u64>,
    limit: u64,
    raise: &'static str,
) -> Result<(), NetError> {
    match bytes {
        Some(b) if b <= limit => Ok(()),
        _ => Err(NetError::MemoryLimit { what: what(), bytes, limit, raise }),
    }
}

/// `Σ terms`, `None` if a term is `None` or the sum overflows.
fn sum(terms: &[Option<u64>]) -> Option<u64> {
    terms.iter().try_fold(0_u64, |total, &term| total.checked_add(term?))
}

/// `a · b`, `None` if either is `None` or the product overflows.
fn times(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    a?.checked_mul(b?)
}

fn count(n: usize) -> Option<u64> {
    u64::try_from(n).ok()
}

/// The bytes of `values` values of `F`.
fn floats<F: NdFloat>(values: Option<u64>) -> Option<u64> {
    times(values, count(size_of::<F>()))
}

/// The weights and biases of `architecture`, `Σ_l (d_{l-1}·d_l + d_l)`, counted without
/// overflow.
pub(crate) fn parameters(architecture: &Architecture) -> Option<u64> {
    count(architecture.checked_parameter_count()?)
}

/// The bytes of a network's parameters in `F`: what [`Mlp::new`](crate::Mlp::new) allocates,
/// and each copy of the network (a gradient, an optimizer's buffer, the best epoch kept by
/// early stopping) again. `None` for more than a `u64` counts.
///
/// ```
/// // 784·128 + 128 + 128·10 + 10 = 101,770 parameters of 4 bytes.
/// assert_eq!(nn_net::network_bytes::<f32>(&"784-128-10".parse()?), Some(407_080));
/// # Ok::<(), nn_net::NetError>(())
/// ```
pub fn network_bytes<F: NdFloat>(architecture: &Architecture) -> Option<u64> {
    floats::<F>(parameters(architecture))
}

/// Refuses a network of `architecture` in `F` whose parameters would take more than
/// `memory_limit` bytes: the check of [`Mlp::with_memory_limit`](crate::Mlp::with_memory_limit),
/// for a caller who wants it before other work (reading the data, say).
///
/// # Errors
/// [`NetError::MemoryLimit`] naming the architecture, the bytes and the limit.
pub fn check_network_bytes<F: NdFloat>(
    architecture: &Architecture,
    memory_limit: u64,
) -> Result<(), NetError> {
    check_memory(
        || {
            let parameters = parameters(architecture);
            let parameters = parameters.map_or("more than 2^64".into(), |p| p.to_string());
            let float = crate::model_file::float_name::<F>();
            format!("a {architecture} network of {float} ({parameters} parameters)")
        },
        network_bytes::<F>(architecture),
        memory_limit,
        "Mlp::with_memory_limit",
    )
}

/// The bytes of a [`Workspace`](crate::Workspace) for `rows` rows: the activations and
/// errors of every layer, and the output layer's pre-activations.
pub(crate) fn workspace_bytes<F: NdFloat>(architecture: &Architecture, rows: usize) -> Option<u64> {
    let widths: Vec<Option<u64>> = architecture.sizes()[1..].iter().map(|&d| count(d)).collect();
    let per_row = sum(&[times(Some(2), sum(&widths)), count(architecture.outputs())]);
    floats::<F>(times(count(rows), per_row))
}

/// The bytes of a [`BatchGradient`](crate::BatchGradient)'s buffers: a workspace and a
/// gradient per chunk, the first chunk's workspace holding the whole capacity.
pub(crate) fn batch_gradient_bytes<F: NdFloat>(
    architecture: &Architecture,
    capacity: usize,
    chunking: Chunking,
) -> Option<u64> {
    let parameters = architecture.parameter_count();
    let chunks = chunking.count(capacity, parameters);
    let gradient = network_bytes::<F>(architecture);
    let first = sum(&[workspace_bytes::<F>(architecture, capacity), gradient]);
    let largest = chunking.largest_chunk(capacity, parameters);
    let other = sum(&[workspace_bytes::<F>(architecture, largest), gradient]);
    sum(&[first, times(count(chunks - 1), other)])
}

/// The bytes of a direct run's buffers for batches of up to `rows` rows (the
/// [`DirectBuffers`](crate::direct_run::DirectBuffers) a trainer grows at its first
/// [`Trainer::repeat_step`](crate::Trainer::repeat_step)), for an architecture on the
/// direct path; none for any other. Each feature's samples are padded to whole blocks of
/// [`LANES`]: the inputs' and every layer's activations, and as many errors; for a single
/// output, the outputs' and the targets' padded rows; the output layer's pre-activations,
/// outputs and errors row by row, `rows × d_L` each; the parameters and their gradient.
/// Both ways of taking the output are counted, as the buffers are grown for both (the
/// loss, which picks one, can change from one run to the next). The table of the layers'
/// places, a few words a layer, is not counted, as no buffer's header is.
pub(crate) fn direct_run_bytes<F: NdFloat>(
    architecture: &Architecture,
    rows: usize,
) -> Option<u64> {
    if !architecture.takes_direct_path() {
        return Some(0);
    }
    let padded = times(count(rows.div_ceil(LANES)), count(LANES));
    let units: Vec<Option<u64>> = architecture.sizes().iter().map(|&d| count(d)).collect();
    let d_last = architecture.outputs();
    let activations_and_errors = times(Some(2), times(padded, sum(&units)));
    let output_blocks = if d_last == 1 { times(Some(2), padded) } else { Some(0) };
    let output_rows = times(Some(3), times(count(rows), count(d_last)));
    let parameters_and_gradient = times(Some(2), parameters(architecture));
    floats::<F>(sum(&[activations_and_errors, output_blocks, output_rows, parameters_and_gradient]))
}

/// The bytes of a [`Trainer`](crate::Trainer)'s buffers for batches of up to `rows` rows:
/// each chunk's workspace and gradient (cut by `chunking`); `optimizer`'s buffers, one
/// copy of the network each (none for SGD, one for momentum and RMSProp, two for Adam);
/// and for an architecture on the direct path (every layer at most 16 weights), the
/// buffers [`Trainer::repeat_step`](crate::Trainer::repeat_step) runs on, for `rows` rows
/// (grown at its first run, counted here all the same; and for `rows` whatever the
/// chunking, though that run takes only a batch of one chunk). The network itself is not
/// counted. `None` for more than a `u64` counts.
///
/// ```
/// use nn_net::{Chunking, Optimizer, trainer_bytes};
///
/// // 2-2-1 in one chunk of 4 rows: activations and errors of 2 + 1 units and the output's
/// // pre-activations, 4·(2·3 + 1) = 28 values; a gradient of 9; Adam's two moments, 18.
/// // On the direct path, repeat_step's buffers: activations and errors of the 2 inputs and
/// // 2 + 1 units in blocks of 4 samples, 2·(2 + 2 + 1)·4 = 40; the one output's and its
/// // targets' blocks, 2·4 = 8; the output's pre-activations, outputs and errors by rows,
/// // 3·4·1 = 12; the parameters and their gradient, 2·9 = 18: 78 in all.
/// let bytes = trainer_bytes::<f64>(&"2-2-1".parse()?, 4, Chunking::default(), &Optimizer::adam());
/// assert_eq!(bytes, Some((28 + 9 + 18 + 78) * 8));
/// # Ok::<(), nn_net::NetError>(())
/// ```
pub fn trainer_bytes<F: NdFloat>(
    architecture: &Architecture,
    rows: usize,
    chunking: Chunking,
    optimizer: &Optimizer<F>,
) -> Option<u64> {
    let slots = count(optimizer.slot_names().len());
    sum(&[
        batch_gradient_bytes::<F>(architecture, rows, chunking),
        times(slots, network_bytes::<F>(architecture)),
        direct_run_bytes::<F>(architecture, rows),
    ])
}

/// What a [`Training`](crate::Training) run needs besides its settings.
pub(crate) struct RunShape {
    /// Training samples.
    pub(crate) samples: usize,
    /// Validation samples (0 without validation).
    pub(crate) validation: usize,
    /// The input and target widths.
    pub(crate) widths: (usize, usize),
    /// Rows per step (the batch size, at most the samples).
    pub(crate) batch: usize,
    /// Whether early stopping keeps a copy of the best network.
    pub(crate) early_stopping: bool,
    /// Whether checkpoints are saved.
    pub(crate) checkpoints: bool,
}

/// The bytes a training run holds at its peak, beyond its data: the network, the trainer's
/// buffers, the mini-batch buffers, a workspace per thread for evaluation, the best
/// network of early stopping, and a checkpoint's tensors and file bytes while it is saved.
pub(crate) fn training_bytes<F: NdFloat>(
    architecture: &Architecture,
    config: &TrainConfig<F>,
    run: &RunShape,
) -> Option<u64> {
    let network = network_bytes::<F>(architecture);
    let trainer = trainer_bytes::<F>(architecture, run.batch, config.chunking, &config.optimizer);
    // Mini-batches are gathered into buffers of a batch's rows, with the sample order.
    let mini_batches = if run.batch < run.samples {
        let (inputs, targets) = run.widths;
        let rows = floats::<F>(times(count(run.batch), sum(&[count(inputs), count(targets)])));
        sum(&[rows, times(count(run.samples), count(size_of::<usize>()))])
    } else {
        Some(0)
    };
    let evaluated = run.samples.max(run.validation).min(EVALUATION_ROWS);
    let evaluation =
        times(count(rayon::current_num_threads()), workspace_bytes::<F>(architecture, evaluated));
    let best = if run.early_stopping { network } else { Some(0) };
    // The file's tensors (network, optimizer buffers, best network), then its bytes.
    let copies = 1 + config.optimizer.slot_names().len() + usize::from(run.early_stopping);
    let checkpoint = if run.checkpoints { times(count(2 * copies), network) } else { Some(0) };
    sum(&[network, trainer, mini_batches, evaluation, best, checkpoint])
}

#[cfg(test)]
mod tests {
    use ndarray_rand::rand::SeedableRng;
    use ndarray_rand::rand::rngs::StdRng;

    use super::*;
    use crate::direct_run::{DirectBuffers, DirectRun};
    use crate::{Activation, Gradient, GradientMethod, Init, Loss, Mlp};

    /// The bytes a trainer's direct-run buffers hold after runs on batches of each of
    /// `rows` rows in turn, of a network of `arch` with `activations` and `loss`.
    fn direct_buffer_bytes<F: NdFloat + ndarray_rand::rand_distr::uniform::SampleUniform>(
        arch: &Architecture,
        activations: &[Activation],
        loss: Loss,
        rows: &[usize],
    ) -> u64 {
        let mut rng = StdRng::seed_from_u64(1);
        let mut mlp = Mlp::<F>::new(arch, activations, Init::Xavier, &mut rng).unwrap();
        let mut gradient = Gradient::zeros(&mlp);
        let mut buffers = DirectBuffers::default();
        for &n in rows {
            let x = vec![F::one(); n * arch.inputs()];
            let y = vec![F::one(); n * arch.outputs()];
            let batch = (&x[..], &y[..], n);
            let run = DirectRun::new(&mut mlp, &mut gradient, &mut buffers, batch, loss).unwrap();
            let (taken, _) = run.descend(GradientMethod::BackPropagation, F::one(), 1);
            assert_eq!(taken, 1);
        }
        buffers.bytes().try_into().unwrap()
    }

    #[test]
    fn bytes_read_exactly_and_in_binary_units() {
        assert_eq!(Bytes(Some(1000)).to_string(), "1000 bytes");
        assert_eq!(Bytes(Some(8 << 30)).to_string(), "8589934592 bytes (8.0 GiB)");
        assert_eq!(Bytes(Some(1536)).to_string(), "1536 bytes (1.5 KiB)");
        assert_eq!(Bytes(Some(u64::MAX)).to_string(), "18446744073709551615 bytes (16.0 EiB)");
        assert_eq!(Bytes(None).to_string(), "more than 2^64 bytes");
    }

    #[test]
    fn sizes_past_a_u64_are_none_not_a_panic() {
        let huge = Architecture::new(vec![usize::MAX, usize::MAX, 1]).unwrap();
        assert_eq!(network_bytes::<f32>(&huge), None);
        assert_eq!(workspace_bytes::<f32>(&huge, usize::MAX), None);
        assert_eq!(trainer_bytes::<f32>(&huge, 64, Chunking::default(), &Optimizer::Sgd), None);
        // 2^32 · 2^32 parameters overflow too; 2^31 · 2^31 do not, but their bytes do.
        let wide = Architecture::new(vec![1 << 32, 1 << 32]).unwrap();
        assert_eq!(parameters(&wide), None);
        let two = Architecture::new(vec![1 << 31, 1 << 31]).unwrap();
        assert_eq!(parameters(&two), Some((1 << 62) + (1 << 31)));
        assert_eq!(network_bytes::<f32>(&two), None);
    }

    #[test]
    fn a_trainer_counts_every_chunk() {
        // 1000 rows of 784-128-10 (101,770 parameters) at the default chunking: 4 chunks of
        // 250 rows, chunk 0 built for the whole 1000 (it is the only chunk of a small batch).
        let arch: Architecture = "784-128-10".parse().unwrap();
        let per_row = 2 * (128 + 10) + 10;
        let expected = 4 * (1000 * per_row + 101_770) + 3 * 4 * (250 * per_row + 101_770);
        let chunking = Chunking::default();
        assert_eq!(chunking.count(1000, 101_770), 4);
        assert_eq!(chunking.largest_chunk(1000, 101_770), 250);
        assert_eq!(trainer_bytes::<f32>(&arch, 1000, chunking, &Optimizer::Sgd), Some(expected));
    }

    #[test]
    fn the_direct_run_count_is_what_its_buffers_hold() {
        use Activation::{Relu, Sigmoid, Softmax};
        let (mse, ce, bce) = (Loss::MeanSquaredError, Loss::CrossEntropy, Loss::BinaryCrossEntropy);
        // One output taken by blocks and outputs taken by rows (a softmax's, even of one
        // unit), batches of whole blocks of 4 samples and not, and buffers grown by a
        // smaller batch first.
        let cases: [(&str, &[Activation], Loss, &[usize]); 6] = [
            ("2-1", &[Sigmoid], mse, &[4]),
            ("2-1", &[Sigmoid], bce, &[5]),
            ("2-2-1", &[Sigmoid, Sigmoid], mse, &[3]),
            ("2-2-1", &[Sigmoid, Softmax], ce, &[7]),
            ("2-4-3", &[Relu, Softmax], ce, &[9]),
            ("2-4-3", &[Relu, Sigmoid], mse, &[2, 5, 9]),
        ];
        for (arch, activations, loss, rows) in cases {
            let arch: Architecture = arch.parse().unwrap();
            let n = rows[rows.len() - 1];
            let held = direct_buffer_bytes::<f64>(&arch, activations, loss, rows);
            assert_eq!(direct_run_bytes::<f64>(&arch, n), Some(held), "{arch}, {rows:?} rows");
            let held = direct_buffer_bytes::<f32>(&arch, activations, loss, rows);
            assert_eq!(direct_run_bytes::<f32>(&arch, n), Some(held), "{arch}, {rows:?} rows");
        }
        // By hand, 2-1 at 5 rows in f32: 2 blocks of 4 samples; activations and errors of
        // 2 + 1 features, 2·3·8 = 48; output and target blocks, 2·8 = 16; the output's rows,
        // 3·5 = 15; parameters and gradient, 2·3 = 6: 85 values.
        assert_eq!(direct_run_bytes::<f32>(&"2-1".parse().unwrap(), 5), Some(85 * 4));
        // Off the direct path (4·5 = 20 weights), nothing.
        assert_eq!(direct_run_bytes::<f32>(&"4-5".parse().unwrap(), 5), Some(0));
    }
}
