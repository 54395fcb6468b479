//! Lesson 5, a real circuit: an n-bit binary adder learned from all its sums.
//!
//! The inputs are the bits of two n-bit numbers `a` and `b` (least significant first), the
//! targets the n bits of `a + b` and an overflow bit (set when `a + b ≥ 2ⁿ`). For 4 bits
//! that is 8 inputs, 5 outputs and 2⁸ = 256 samples; with a hidden layer of `4n` sigmoid
//! neurons (8-16-5), full-batch gradient descent learns every sum.
//!
//! Training stops as soon as every sum is right: a sum counts as right when each of its
//! `n + 1` output bits is on the right side of 0.5.

use std::fmt;
use std::io::Write as _;
use std::ops::ControlFlow;
use std::time::Instant;

use ndarray::{Array2, ArrayRef2};
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{Activation, Architecture, Dataset, Init, Mlp, TrainConfig, Workspace, train_with};

use super::LessonError;

/// The largest adder the lesson builds: 2^(2·10) ≈ 1M samples.
pub const MAX_BITS: usize = 10;

/// Settings of the lesson.
#[derive(clap::Args, Clone, Debug, PartialEq)]
pub struct Options {
    /// Bits of each addend.
    #[arg(long, default_value_t = 4)]
    pub bits: usize,
    /// Hidden neurons (default: 4 × bits).
    #[arg(long)]
    pub hidden: Option<usize>,
    /// Learning rate.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub rate: f32,
    /// Give up after this many epochs.
    #[arg(long, default_value_t = 100_000)]
    pub max_epochs: usize,
    /// Check whether every sum is right after every this many epochs.
    #[arg(long, default_value_t = 100)]
    pub check_every: usize,
    /// Seed of the starting weights.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { bits: 4, hidden: None, rate: 1.0, max_epochs: 100_000, check_every: 100, seed: 1 }
    }
}

/// Where training stands, reported after every check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Epochs done.
    pub epoch: usize,
    /// The cost at the last epoch.
    pub cost: f32,
    /// Sums that are right.
    pub correct: usize,
    /// All sums.
    pub total: usize,
}

/// One sum as the network computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sum {
    /// The first addend.
    pub a: usize,
    /// The second addend.
    pub b: usize,
    /// The network's sum, read off its output bits (overflow bit included).
    pub answer: usize,
}

/// What the lesson found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The network's sizes.
    pub architecture: Architecture,
    /// Epochs trained.
    pub epochs: usize,
    /// The final cost.
    pub cost: f32,
    /// Sums that are right.
    pub correct: usize,
    /// All sums, `2^(2n)`.
    pub total: usize,
    /// Wall-clock training time.
    pub seconds: f64,
    /// A few sums, to show.
    pub examples: Vec<Sum>,
}

impl Report {
    /// Whether every sum is right.
    pub fn learned(&self) -> bool {
        self.correct == self.total
    }

    /// The share of sums that are right.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.total as f64
    }
}

/// Every sum of two `bits`-bit numbers: `(a, b)` in order, `a` major.
///
/// # Errors
/// [`LessonError::Setting`] for `bits` outside `1..=MAX_BITS`.
pub fn dataset(bits: usize) -> Result<Dataset<f32>, LessonError> {
    if !(1..=MAX_BITS).contains(&bits) {
        return Err(LessonError::Setting {
            name: "bits",
            expected: format!("a whole number from 1 to {MAX_BITS}"),
            found: bits.to_string(),
        });
    }
    let count = 1usize << bits;
    let rows = count * count;
    let bit = |v: usize, i: usize| ((v >> i) & 1) as f32;
    let x = Array2::from_shape_fn((rows, 2 * bits), |(r, c)| {
        let (a, b) = (r / count, r % count);
        if c < bits { bit(a, c) } else { bit(b, c - bits) }
    });
    // n + 1 output bits: the sum's n bits and the overflow, which is simply bit n of a + b.
    let y = Array2::from_shape_fn((rows, bits + 1), |(r, c)| bit(r / count + r % count, c));
    Ok(Dataset::new(x, y)?)
}

/// The sum each output row stands for, reading each bit as set when it is at least 0.5.
fn decode(outputs: &ArrayRef2<f32>) -> impl Iterator<Item = usize> + '_ {
    outputs
        .rows()
        .into_iter()
        .map(|row| row.iter().enumerate().map(|(i, &a)| if a >= 0.5 { 1 << i } else { 0 }).sum())
}

/// How many rows of `outputs` decode to the right sum.
fn count_correct(outputs: &ArrayRef2<f32>, bits: usize) -> usize {
    let count = 1usize << bits;
    decode(outputs).enumerate().filter(|&(r, answer)| answer == r / count + r % count).count()
}

/// Trains an adder until every sum is right (or `max_epochs`), calling `on_progress` after
/// each check.
///
/// # Errors
/// [`LessonError::Setting`] for bad `bits`, `hidden` (0, or too many to fit in memory) or
/// `check_every`; the engine's errors for a bad rate or a diverging run.
pub fn run(
    options: &Options,
    mut on_progress: impl FnMut(&Progress),
) -> Result<Report, LessonError> {
    let data = dataset(options.bits)?;
    let hidden = options.hidden.unwrap_or(4 * options.bits);
    if hidden == 0 {
        return Err(LessonError::Setting {
            name: "hidden",
            expected: "at least 1 hidden neuron".into(),
            found: "0".into(),
        });
    }
    if options.check_every == 0 {
        return Err(LessonError::Setting {
            name: "check-every",
            expected: "at least 1".into(),
            found: "0".into(),
        });
    }
    let architecture = Architecture::new(vec![2 * options.bits, hidden, options.bits + 1])?;
    // The whole table is one batch: the network and its trainer must fit the default
    // memory limit, checked before anything is allocated.
    let needed = nn_net::trainer_bytes::<f32>(
        &architecture,
        data.len(),
        nn_net::Chunking::default(),
        &nn_net::Optimizer::Sgd,
    )
    .and_then(|trainer| trainer.checked_add(nn_net::network_bytes::<f32>(&architecture)?));
    if needed.is_none_or(|bytes| bytes > nn_net::DEFAULT_MEMORY_LIMIT) {
        return Err(LessonError::Setting {
            name: "hidden",
            expected: format!(
                "a network within the memory limit of {} bytes",
                nn_net::DEFAULT_MEMORY_LIMIT
            ),
            found: match needed {
                Some(bytes) => format!("{hidden}, which would take {bytes} bytes"),
                None => format!("{hidden}, which would take more bytes than a u64 counts"),
            },
        });
    }
    let mut rng = StdRng::seed_from_u64(options.seed);
    let mut adder = Mlp::new(
        &architecture,
        &[Activation::Sigmoid; 2],
        Init::Uniform { low: -1.0, high: 1.0 },
        &mut rng,
    )?;
    let total = data.len();
    let config =
        TrainConfig { rate: options.rate, epochs: options.max_epochs, ..TrainConfig::default() };
    let started = Instant::now();
    let mut check_error = None;
    // The checks' feed-forward buffers, built once rather than at every check.
    let mut check_workspace = Workspace::new(&adder, total);
    let history = train_with(&mut adder, &data, &config, |p| {
        let epoch = p.epoch + 1;
        if !epoch.is_multiple_of(options.check_every) && epoch != p.epochs {
            return ControlFlow::Continue(());
        }
        let correct = match p.mlp.forward_into(&mut check_workspace, data.inputs()) {
            Ok(out) => count_correct(&out, options.bits),
            Err(e) => {
                check_error = Some(e);
                return ControlFlow::Break(());
            }
        };
        on_progress(&Progress { epoch, cost: p.cost, correct, total });
        if correct == total { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    })?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(e) = check_error {
        return Err(e.into());
    }

    let outputs = adder.predict(data.inputs())?;
    let correct = count_correct(&outputs, options.bits);
    let count = 1usize << options.bits;
    // A few sums spread over the table: the first, the last, and some between.
    let examples = decode(&outputs)
        .enumerate()
        .filter(|(r, _)| r % (total / 6).max(1) == 0 || *r == total - 1)
        .map(|(r, answer)| Sum { a: r / count, b: r % count, answer })
        .collect();
    Ok(Report {
        architecture,
        epochs: history.epochs.len(),
        cost: history.final_cost,
        correct,
        total,
        seconds,
        examples,
    })
}

/// Prints a progress line every 1,000 epochs, and one when every sum is right: the
/// progress report the `nn` command and the example share. Best-effort, like the training
/// progress: a closed stdout must not stop (or crash) the training.
pub fn print_progress(progress: &Progress) {
    if progress.epoch.is_multiple_of(1000) || progress.correct == progress.total {
        let _ = writeln!(std::io::stdout(), "{progress}");
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "epoch {:>7}  cost {:.6}  right {:>5}/{} ({:.1}%)",
            self.epoch,
            self.cost,
            self.correct,
            self.total,
            100.0 * self.correct as f64 / self.total as f64
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.learned() { "every sum right" } else { "NOT every sum right" };
        writeln!(
            f,
            "adder {}: {} epochs in {:.2} s, cost {:.6}, {}/{} sums right ({:.2}%), {verdict}",
            self.architecture,
            self.epochs,
            self.seconds,
            self.cost,
            self.correct,
            self.total,
            100.0 * self.accuracy()
        )?;
        for s in &self.examples {
            let mark = if s.answer == s.a + s.b { "" } else { "  ✗" };
            writeln!(f, "  {:>4} + {:>4} = {:>5}{mark}", s.a, s.b, s.answer)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_holds_every_sum() {
        let data = dataset(2).unwrap();
        assert_eq!((data.len(), data.input_width(), data.target_width()), (16, 4, 3));
        // Row 3·4 + 2 is a = 3, b = 2: inputs 11 01 (LSB first), sum 5 = 101 (LSB first)
        assert_eq!(data.inputs().row(14).to_vec(), [1.0, 1.0, 0.0, 1.0]);
        assert_eq!(data.targets().row(14).to_vec(), [1.0, 0.0, 1.0]);
        // The targets decode to the right sum on every row.
        assert_eq!(count_correct(data.targets(), 2), 16);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(matches!(dataset(0), Err(LessonError::Setting { name: "bits", .. })));
        assert!(matches!(dataset(MAX_BITS + 1), Err(LessonError::Setting { .. })));
        let zero_check = Options { check_every: 0, ..Options::default() };
        assert!(run(&zero_check, |_| {}).is_err());
        let zero_hidden = Options { hidden: Some(0), ..Options::default() };
        assert!(run(&zero_hidden, |_| {}).is_err());
    }
}
