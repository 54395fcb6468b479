//! `nn bench`: training throughput per thread count, on seeded synthetic data.
//!
//! For each thread count, in a rayon pool of that size: the same seeded network and batch;
//! 10 steps, then a checksum of the parameters (equal across thread counts when the
//! engine's promise holds); then timed full training steps (`Trainer::step`) for samples/s
//! and GFLOP/s; then as many steps again with the phases run apart (feed-forward,
//! back-propagation with the chunk sums, descent) for the per-phase split.
//!
//! With `--rounds N` the thread counts are run in turn N times (1, 2, 1, 2, …) and each
//! row is the round with the median samples/s, with the slowest and fastest beside it: on a
//! shared machine a neighbour's load lands on some rounds, and alternating spreads it over
//! every thread count instead of one.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use ndarray::{Array2, NdFloat};
use nn_net::rand::distr::uniform::SampleUniform;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    Activation, Architecture, BatchGradient, Chunking, Init, Loss, Mlp, NetError, TrainConfig,
    Trainer,
};
use serde::Serialize;
use thiserror::Error;

use crate::commands::MAX_THREADS;

/// The standard shapes, one word each: the rows of the speed table in docs/performance.md.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// The NAND neuron: 2-1, sigmoid, MSE, batch 4.
    Nand,
    /// XOR: 2-2-1, sigmoid, MSE, batch 4.
    Xor,
    /// The 4-bit adder: 8-16-5, sigmoid, MSE, full batch of 256.
    Adder,
    /// The 5-bit adder: 10-20-6, sigmoid, MSE, batches of 28.
    Adder5,
    /// MNIST-shaped, the numpy reference's model: 784-128-10, sigmoid hidden layer,
    /// softmax output, cross-entropy, batch 1000.
    Mnist,
    /// The same model in batches of 64.
    Mnist64,
    /// Wide: 1024-1024-1024-10, ReLU hidden layers, softmax output, cross-entropy,
    /// batch 256.
    Wide,
}

/// What a preset sets: everything `--arch`, `--activation`, `--output`, `--loss` and
/// `--batch` override.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresetSettings {
    /// Layer sizes, inputs first.
    pub arch: &'static str,
    /// Hidden-layer activation.
    pub hidden: Activation,
    /// Output-layer activation.
    pub output: Activation,
    /// Loss.
    pub loss: Loss,
    /// Rows per step.
    pub batch: usize,
}

impl Preset {
    /// The preset's network, loss and batch size.
    pub fn settings(self) -> PresetSettings {
        use Activation::{Relu, Sigmoid, Softmax};
        let (arch, hidden, output, loss, batch) = match self {
            Preset::Nand => ("2-1", Sigmoid, Sigmoid, Loss::MeanSquaredError, 4),
            Preset::Xor => ("2-2-1", Sigmoid, Sigmoid, Loss::MeanSquaredError, 4),
            Preset::Adder => ("8-16-5", Sigmoid, Sigmoid, Loss::MeanSquaredError, 256),
            Preset::Adder5 => ("10-20-6", Sigmoid, Sigmoid, Loss::MeanSquaredError, 28),
            Preset::Mnist => ("784-128-10", Sigmoid, Softmax, Loss::CrossEntropy, 1000),
            Preset::Mnist64 => ("784-128-10", Sigmoid, Softmax, Loss::CrossEntropy, 64),
            Preset::Wide => ("1024-1024-1024-10", Relu, Softmax, Loss::CrossEntropy, 256),
        };
        PresetSettings { arch, hidden, output, loss, batch }
    }
}

/// Steps run before the timed loop, untimed but for choosing [`clock_every`].
const WARM_UP_STEPS: usize = 10;

/// How many steps the timed loop runs between readings of the clock, for steps that take
/// `step` each: 16 when a step is shorter than 50 µs, else 1. Read every step, the clock
/// was 2% of the 5-bit adder's measured time (perf: `clock_gettime`), a cost of the bench
/// and not of training; 16 such steps overshoot `--seconds` by under a millisecond.
fn clock_every(step: Duration) -> usize {
    if step < Duration::from_micros(50) { 16 } else { 1 }
}

/// Without a preset: 784-128-10, sigmoid throughout, MSE, batch 1000.
const NO_PRESET: PresetSettings = PresetSettings {
    arch: "784-128-10",
    hidden: Activation::Sigmoid,
    output: Activation::Sigmoid,
    loss: Loss::MeanSquaredError,
    batch: 1000,
};

/// The float type to train in.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Dtype {
    /// 32-bit floats.
    #[default]
    F32,
    /// 64-bit floats.
    F64,
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        })
    }
}

/// A comma-separated list of thread counts, such as `1,2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadCounts(pub Vec<usize>);

impl FromStr for ThreadCounts {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let counts = s
            .split(',')
            .map(|t| match t.trim().parse::<usize>() {
                Ok(n @ 1..=MAX_THREADS) => Ok(n),
                _ => Err(format!(
                    "expected thread counts of at least 1 (and at most {MAX_THREADS}) joined \
                     by ',', such as 1,2; found {t:?}"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ThreadCounts(counts))
    }
}

/// The settings of `nn bench`.
#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// A standard shape; the flags below override its settings.
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Layer sizes, inputs first [default: 784-128-10].
    #[arg(long)]
    pub arch: Option<Architecture>,
    /// Hidden-layer activation [default: sigmoid].
    #[arg(long)]
    pub activation: Option<Activation>,
    /// Output-layer activation, softmax only here, not on hidden layers [default: sigmoid].
    #[arg(long)]
    pub output: Option<Activation>,
    /// Loss: mse (any output), ce (softmax output) or bce (sigmoid output) [default: mse].
    #[arg(long)]
    pub loss: Option<Loss>,
    /// Optimizer: sgd, momentum, nesterov, adam, adamw or rmsprop.
    #[arg(long, default_value = "sgd", value_parser = crate::commands::check_parses::<nn_net::Optimizer<f64>>)]
    pub optimizer: String,
    /// Rows per step [default: 1000].
    #[arg(long, allow_negative_numbers = true)]
    pub batch: Option<usize>,
    /// Thread counts to run, such as 1,2.
    #[arg(long, allow_negative_numbers = true, default_value = "1,2")]
    pub threads: ThreadCounts,
    /// Float type.
    #[arg(long, value_enum, default_value_t = Dtype::F32)]
    pub dtype: Dtype,
    /// Timed steps per thread count (instead of --seconds).
    #[arg(long, allow_negative_numbers = true, conflicts_with = "seconds")]
    pub steps: Option<usize>,
    /// Seconds of timed steps per thread count.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub seconds: f64,
    /// Times to run the thread counts in turn; each row reports the median round.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1)]
    pub rounds: usize,
    /// The fewest rows per chunk of the parallel batch sum, for every started million
    /// parameters of the network.
    #[arg(long, allow_negative_numbers = true, default_value_t = Chunking::default().rows)]
    pub chunk_rows: usize,
    /// The most chunks a batch is cut into.
    #[arg(long, allow_negative_numbers = true, default_value_t = Chunking::default().max_chunks)]
    pub max_chunks: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    pub rate: f64,
    /// Seed of the network and the data.
    #[arg(long, allow_negative_numbers = true, default_value_t = 0)]
    pub seed: u64,
    /// The memory the network, the batch and the training buffers may take together:
    /// bytes, or with K, M, G or T (powers of 1024), such as 16G. More is refused before
    /// it is allocated.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = crate::commands::DEFAULT_MEMORY_LIMIT_TEXT,
        value_parser = crate::commands::parse_memory_limit
    )]
    pub memory_limit: u64,
    /// One JSON object per thread count, each on its own line.
    #[arg(long)]
    pub json: bool,
}

/// Why the benchmark could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BenchError {
    /// The engine refused a setting or the training diverged.
    #[error(transparent)]
    Net(#[from] NetError),
    /// A bench setting out of range.
    #[error("--{name}: expected {expected}; found {found}")]
    Setting {
        /// The flag, without the dashes.
        name: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What was given.
        found: String,
    },
    /// rayon could not start a pool.
    #[error("could not start a pool of {threads} threads: {reason}")]
    Pool {
        /// The threads asked for.
        threads: usize,
        /// rayon's reason.
        reason: String,
    },
}

/// The measurements of one thread count.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// The architecture, such as `784-128-10`.
    pub arch: String,
    /// Hidden activation.
    pub activation: String,
    /// Output activation.
    pub output: String,
    /// Loss.
    pub loss: String,
    /// Optimizer.
    pub optimizer: String,
    /// Rows per step.
    pub batch: usize,
    /// `f32` or `f64`.
    pub dtype: String,
    /// Threads in the pool.
    pub threads: usize,
    /// The fewest rows per chunk for this network: `--chunk-rows` for every started
    /// million parameters ([`Chunking::least_rows`]).
    pub chunk_rows: usize,
    /// The most chunks per batch (`--max-chunks`).
    pub max_chunks: usize,
    /// Chunks per batch.
    pub chunks: usize,
    /// Timed steps.
    pub steps: usize,
    /// Training samples per second over the timed full steps (the median round's).
    pub samples_per_s: f64,
    /// Rounds run (`--rounds`).
    pub rounds: usize,
    /// The slowest round's samples/s.
    pub samples_per_s_min: f64,
    /// The fastest round's samples/s.
    pub samples_per_s_max: f64,
    /// Milliseconds per full step.
    pub ms_per_step: f64,
    /// Milliseconds per step in feed-forward (phases run apart).
    pub forward_ms: f64,
    /// Milliseconds per step in back-propagation and the chunk sums (phases run apart).
    pub backward_ms: f64,
    /// Milliseconds per step in the update: plain SGD's descent timed apart; for another
    /// optimizer, the full step's time beyond the forward and backward phases.
    pub update_ms: f64,
    /// Billions of floating-point operations per second in the matrix products actually
    /// done (2 per multiply-add), over the timed full steps.
    pub gflops: f64,
    /// Samples/s over `threads ×` the 1-thread samples/s, when 1 thread was run.
    pub efficiency: Option<f64>,
    /// FNV-1a hash of the parameters' bits after 10 steps from the seeded start.
    pub checksum: String,
}

/// The report: one row per thread count.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The rows, in the order of `--threads`.
    pub rows: Vec<Row>,
}

/// The resolved settings of a run.
struct Settings {
    arch: Architecture,
    activation: Activation,
    output: Activation,
    loss: Loss,
    batch: usize,
}

impl Options {
    fn resolve(&self) -> Result<Settings, BenchError> {
        let preset = self.preset.map_or(NO_PRESET, Preset::settings);
        let arch = match &self.arch {
            Some(a) => a.clone(),
            None => preset.arch.parse()?,
        };
        let batch = self.batch.unwrap_or(preset.batch);
        if batch == 0 {
            return Err(BenchError::Setting {
                name: "batch",
                expected: "at least 1",
                found: "0".into(),
            });
        }
        if self.steps == Some(0) {
            return Err(BenchError::Setting {
                name: "steps",
                expected: "at least 1",
                found: "0".into(),
            });
        }
        if self.rounds == 0 {
            return Err(BenchError::Setting {
                name: "rounds",
                expected: "at least 1",
                found: "0".into(),
            });
        }
        if !(self.seconds.is_finite() && self.seconds > 0.0) {
            return Err(BenchError::Setting {
                name: "seconds",
                expected: "a positive number",
                found: self.seconds.to_string(),
            });
        }
        Ok(Settings {
            arch,
            activation: self.activation.unwrap_or(preset.hidden),
            output: self.output.unwrap_or(preset.output),
            loss: self.loss.unwrap_or(preset.loss),
            batch,
        })
    }
}

/// Multiply-adds ×2 of the matrix products of one training step on `rows` rows:
/// feed-forward `A_{l-1}·W_l` for every layer, `A_{l-1}ᵀ·Δ_l` for every layer, and
/// `Δ_l·W_lᵀ` for every layer but the first.
pub fn flops_per_step(arch: &Architecture, rows: usize) -> f64 {
    let products: Vec<f64> = arch.sizes().windows(2).map(|w| (w[0] * w[1]) as f64).collect();
    let all: f64 = products.iter().sum();
    2.0 * rows as f64 * (3.0 * all - products[0])
}

/// FNV-1a over the bits of every parameter, in `Mlp::parameters` order.
pub fn checksum<F: NdFloat>(mlp: &Mlp<F>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for p in mlp.parameters() {
        let bits = p.to_f64().map_or(0, f64::to_bits);
        for byte in bits.to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Runs the benchmark for every thread count.
///
/// # Errors
/// [`BenchError`] for bad settings, a pool that cannot start, or a diverging run.
pub fn run(options: &Options) -> Result<Report, BenchError> {
    match options.dtype {
        Dtype::F32 => run_typed::<f32>(options),
        Dtype::F64 => run_typed::<f64>(options),
    }
}

fn run_typed<F: NdFloat + SampleUniform>(options: &Options) -> Result<Report, BenchError> {
    let settings = options.resolve()?;
    let chunking = Chunking {
        rows: options.chunk_rows,
        max_chunks: options.max_chunks,
        ..Chunking::default()
    };
    chunking.check()?;
    check_memory::<F>(options, &settings, chunking)?;
    let pools = options
        .threads
        .0
        .iter()
        .map(|&threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map(|pool| (threads, pool))
                .map_err(|e| BenchError::Pool { threads, reason: e.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // rounds[i] holds every round of the i-th thread count, run in turn with the others.
    let mut rounds: Vec<Vec<Row>> = vec![Vec::with_capacity(options.rounds); pools.len()];
    for _ in 0..options.rounds {
        for ((threads, pool), runs) in pools.iter().zip(&mut rounds) {
            runs.push(pool.install(|| measure::<F>(options, &settings, chunking, *threads))?);
        }
    }
    let mut rows: Vec<Row> = rounds.into_iter().filter_map(median_round).collect();
    let one_thread = rows.iter().find(|r| r.threads == 1).map(|r| r.samples_per_s);
    for row in &mut rows {
        row.efficiency = one_thread.map(|one| row.samples_per_s / (one * row.threads as f64));
    }
    Ok(Report { rows })
}

/// Refuses a benchmark whose network, batch and buffers (a trainer's, with the optimizer's,
/// and the phases' own) would take more than `--memory-limit` together, before any of
/// them is allocated.
fn check_memory<F: NdFloat>(
    options: &Options,
    settings: &Settings,
    chunking: Chunking,
) -> Result<(), BenchError> {
    let Settings { arch, batch, .. } = settings;
    let optimizer: nn_net::Optimizer<F> = options.optimizer.parse()?;
    let float = u64::try_from(std::mem::size_of::<F>()).ok();
    let batch_values = u64::try_from(*batch)
        .ok()
        .zip(u64::try_from(arch.inputs().saturating_add(arch.outputs())).ok())
        .and_then(|(rows, width)| rows.checked_mul(width));
    let parts = [
        nn_net::network_bytes::<F>(arch),
        nn_net::trainer_bytes(arch, *batch, chunking, &optimizer),
        nn_net::trainer_bytes(arch, *batch, chunking, &nn_net::Optimizer::<F>::Sgd),
        batch_values.zip(float).and_then(|(values, float)| values.checked_mul(float)),
    ];
    let bytes = parts.iter().try_fold(0_u64, |total, part| total.checked_add((*part)?));
    match bytes {
        Some(b) if b <= options.memory_limit => Ok(()),
        _ => Err(BenchError::Net(NetError::MemoryLimit {
            what: format!("benchmarking {arch} ({}) in batches of {batch}", options.dtype),
            bytes,
            limit: options.memory_limit,
            raise: "--memory-limit",
        })),
    }
}

/// One thread count's measurements, run inside its pool.
fn measure<F: NdFloat + SampleUniform>(
    options: &Options,
    settings: &Settings,
    chunking: Chunking,
    threads: usize,
) -> Result<Row, BenchError> {
    let Settings { arch, activation, output, loss, batch } = settings;
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut activations = vec![*activation; arch.layers()];
    if let Some(last) = activations.last_mut() {
        *last = *output;
    }
    let init = Init::Uniform { low: -0.1, high: 0.1 };
    let mut net = Mlp::<F>::with_memory_limit(arch, &activations, init, &mut rng, u64::MAX)?;
    let x = Array2::from_shape_fn((*batch, arch.inputs()), |_| cast::<F>(rng.random::<f64>()));
    // One-hot targets of a random class per row (a random bit, for one output): a single
    // class for every row would saturate the outputs within a few steps, and the tiny
    // gradients that follow are not what training real data costs.
    let mut y = Array2::zeros((*batch, arch.outputs()));
    for mut row in y.rows_mut() {
        if arch.outputs() == 1 {
            row[0] = cast::<F>(f64::from(u8::from(rng.random_bool(0.5))));
        } else {
            row[rng.random_range(0..arch.outputs())] = F::one();
        }
    }
    let config = TrainConfig {
        rate: cast::<F>(options.rate),
        loss: *loss,
        chunking,
        optimizer: options.optimizer.parse()?,
        // `check_memory` counted everything this function holds, together.
        memory_limit: u64::MAX,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::from_config(&net, *batch, &config)?;

    let warm_up = Instant::now();
    for _ in 0..WARM_UP_STEPS {
        trainer.step(&mut net, &x, &y, &config)?;
    }
    let clock_every = clock_every(warm_up.elapsed() / WARM_UP_STEPS as u32);
    let checksum = checksum(&net);

    // Full steps, as training runs them.
    let budget = Duration::from_secs_f64(options.seconds);
    let started = Instant::now();
    let mut steps = 0;
    let more = |steps: usize| match options.steps {
        Some(n) => steps < n,
        None => !steps.is_multiple_of(clock_every) || started.elapsed() < budget,
    };
    while more(steps) {
        trainer.step(&mut net, &x, &y, &config)?;
        steps += 1;
    }
    let full = started.elapsed().as_secs_f64();

    // The same number of steps with the phases run apart and timed one by one.
    let mut engine = BatchGradient::with_memory_limit(&net, *batch, chunking, u64::MAX)?;
    let (mut forward, mut backward, mut update) = (0.0, 0.0, 0.0);
    for _ in 0..steps {
        let t0 = Instant::now();
        engine.forward(&net, &x)?;
        let t1 = Instant::now();
        engine.backward(&net, &x, &y, *loss)?;
        let t2 = Instant::now();
        net.descend(engine.gradient(), config.rate)?;
        let t3 = Instant::now();
        forward += (t1 - t0).as_secs_f64();
        backward += (t2 - t1).as_secs_f64();
        update += (t3 - t2).as_secs_f64();
    }

    // Only plain SGD's update is a public call on its own (`Mlp::descend`); another
    // optimizer's update is what the full step takes beyond its forward and backward phases.
    if !matches!(config.optimizer, nn_net::Optimizer::Sgd) {
        update = (full - forward - backward).max(0.0);
    }
    let per_step_ms = |s: f64| 1e3 * s / steps as f64;
    Ok(Row {
        arch: arch.to_string(),
        activation: activation.to_string(),
        output: output.to_string(),
        loss: loss.to_string(),
        optimizer: options.optimizer.clone(),
        batch: *batch,
        dtype: options.dtype.to_string(),
        threads,
        chunk_rows: chunking.least_rows(net.parameter_count()),
        max_chunks: chunking.max_chunks,
        chunks: engine.chunk_count(*batch),
        steps,
        samples_per_s: (steps * batch) as f64 / full,
        rounds: 1,
        samples_per_s_min: (steps * batch) as f64 / full,
        samples_per_s_max: (steps * batch) as f64 / full,
        ms_per_step: per_step_ms(full),
        forward_ms: per_step_ms(forward),
        backward_ms: per_step_ms(backward),
        update_ms: per_step_ms(update),
        gflops: flops_per_step(arch, *batch) * steps as f64 / full / 1e9,
        efficiency: None,
        checksum,
    })
}

/// The round with the median samples/s (the lower middle of an even count), carrying the
/// spread of all the rounds.
fn median_round(mut runs: Vec<Row>) -> Option<Row> {
    runs.sort_by(|a, b| a.samples_per_s.total_cmp(&b.samples_per_s));
    let (min, max) = (runs.first()?.samples_per_s, runs.last()?.samples_per_s);
    let count = runs.len();
    let mut median = runs.swap_remove((count - 1) / 2);
    median.rounds = count;
    median.samples_per_s_min = min;
    median.samples_per_s_max = max;
    Some(median)
}

fn cast<F: NdFloat>(v: f64) -> F {
    <F as num_traits::NumCast>::from(v).unwrap_or_else(F::zero)
}

impl Report {
    /// One JSON object per thread count, each on its own line.
    pub fn json_lines(&self) -> String {
        self.rows.iter().map(|row| serde_json::to_string(row).unwrap_or_default() + "\n").collect()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(first) = self.rows.first() else { return Ok(()) };
        writeln!(
            f,
            "arch {}  activation {}  output {}  loss {}  optimizer {}  batch {}  dtype {}  {} chunks (≥ {} rows, ≤ {} chunks)",
            first.arch,
            first.activation,
            first.output,
            first.loss,
            first.optimizer,
            first.batch,
            first.dtype,
            first.chunks,
            first.chunk_rows,
            first.max_chunks
        )?;
        writeln!(
            f,
            "threads  steps   samples/s   ms/step   forward  backward    update   GFLOP/s  efficiency  checksum"
        )?;
        for r in &self.rows {
            let efficiency = r.efficiency.map_or("-".to_owned(), |e| format!("{:.0}%", 100.0 * e));
            writeln!(
                f,
                "{:>7} {:>6} {:>11.0} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.2} {:>11}  {}",
                r.threads,
                r.steps,
                r.samples_per_s,
                r.ms_per_step,
                r.forward_ms,
                r.backward_ms,
                r.update_ms,
                r.gflops,
                efficiency,
                r.checksum
            )?;
        }
        if first.rounds > 1 {
            writeln!(f, "each row is the median of {} rounds; samples/s ranged:", first.rounds)?;
            for r in &self.rows {
                writeln!(
                    f,
                    "{:>7} {:>11.0} to {:.0}",
                    r.threads, r.samples_per_s_min, r.samples_per_s_max
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flops_of_a_step_by_hand() {
        // 784-128-10 on 1 row: forward 784·128 + 128·10, weight gradients the same again,
        // and Δ·Wᵀ only for the second layer: 128·10. Two flops each multiply-add.
        let arch: Architecture = "784-128-10".parse().unwrap();
        let expected = 2.0 * (2.0 * (784.0 * 128.0 + 1280.0) + 1280.0);
        assert_eq!(flops_per_step(&arch, 1), expected);
        assert_eq!(flops_per_step(&arch, 1000), 1000.0 * expected);
    }

    #[test]
    fn short_steps_read_the_clock_every_sixteenth_step_and_long_ones_every_step() {
        assert_eq!(clock_every(Duration::from_micros(3)), 16);
        assert_eq!(clock_every(Duration::from_micros(49)), 16);
        assert_eq!(clock_every(Duration::from_micros(50)), 1);
        assert_eq!(clock_every(Duration::from_millis(40)), 1);
    }

    #[test]
    fn the_median_round_is_reported_with_the_spread() {
        let row = |samples_per_s: f64, steps: usize| Row {
            arch: "2-1".into(),
            activation: "sigmoid".into(),
            output: "sigmoid".into(),
            loss: "mse".into(),
            optimizer: "sgd".into(),
            batch: 4,
            dtype: "f32".into(),
            threads: 1,
            chunk_rows: 64,
            max_chunks: 8,
            chunks: 1,
            steps,
            samples_per_s,
            rounds: 1,
            samples_per_s_min: samples_per_s,
            samples_per_s_max: samples_per_s,
            ms_per_step: 1.0,
            forward_ms: 0.3,
            backward_ms: 0.6,
            update_ms: 0.1,
            gflops: 1.0,
            efficiency: None,
            checksum: "0".into(),
        };
        let median = median_round(vec![row(5.0, 1), row(1.0, 2), row(9.0, 3)]).unwrap();
        assert_eq!((median.steps, median.rounds), (1, 3));
        assert_eq!((median.samples_per_s_min, median.samples_per_s_max), (1.0, 9.0));
        // An even count reports the lower middle, a round that was really measured.
        let median = median_round(vec![row(4.0, 1), row(2.0, 2), row(3.0, 3), row(1.0, 4)]);
        assert_eq!(median.unwrap().steps, 2);
        assert!(median_round(Vec::new()).is_none());
    }

    #[test]
    fn thread_counts_parse_and_bad_ones_are_refused() {
        assert_eq!("1, 2,4".parse::<ThreadCounts>(), Ok(ThreadCounts(vec![1, 2, 4])));
        for bad in ["", "0", "1,,2", "two", "-1"] {
            assert!(bad.parse::<ThreadCounts>().is_err(), "{bad:?}");
        }
    }
}
