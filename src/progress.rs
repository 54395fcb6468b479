//! Progress of a training run on stderr: a bar while an epoch runs, a summary line when it
//! ends.
//!
//! [`EpochProgress`] is driven from the training loop: [`batch_done`] after each batch,
//! [`epoch_done`] after each epoch, [`finish`] at the end. Where its output goes is an
//! [`Output`]:
//!
//! - [`Output::Bar`], when stderr is a terminal: an [indicatif] bar over the epoch's
//!   batches, its message the running cost and the samples per second, with the elapsed
//!   time and an estimate of what is left; each epoch ends with a summary line above it.
//! - [`Output::Lines`], when it is not (a log, a pipe, CI): the summary lines only,
//! ```text
//! epoch  3/10  train cost 0.1234  test cost 0.2345  accuracy 97.12%  12,345 samples/s  1.2 s
//! ```
//! - [`Output::Quiet`]: nothing at all.
//!
//! [`Output::stderr`] picks between the three. A `--json` run can keep its progress: all of
//! it goes to stderr, so stdout stays one JSON document; `Output::Quiet` is for `--quiet`
//! (or for a `--json` that should print nothing else).
//!
//! Progress is best-effort: a write that fails (a closed pipe) is ignored and the training
//! goes on.
//!
//! [`batch_done`]: EpochProgress::batch_done
//! [`epoch_done`]: EpochProgress::epoch_done
//! [`finish`]: EpochProgress::finish

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The shortest time between two updates of the bar: at most ~15 updates a second.
const REDRAW: Duration = Duration::from_millis(66);

/// How often [`EpochProgress::batch_done`] aims to read the clock, and the most batches it
/// lets pass between two reads.
const READ: Duration = Duration::from_millis(16);
const MAX_STRIDE: u32 = 256;

/// The bar's layout (indicatif's template language).
const TEMPLATE: &str =
    "{prefix} [{bar:30}] {pos}/{len} batches  {msg}  {elapsed_precise} (eta {eta_precise})";

/// The shape of a training run, which sizes the bar and the summary lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// How many epochs the run asks for.
    pub epochs: usize,
    /// How many batches make an epoch (1 for full-batch training).
    pub batches_per_epoch: usize,
    /// How many training samples an epoch goes through.
    pub samples_per_epoch: usize,
    /// A summary line every this many epochs, and after the last: 1 (or 0) for every
    /// epoch; more for runs of many short epochs, such as full-batch training on a gate.
    /// The bar then runs over the batches of all the epochs between two lines.
    pub every: usize,
}

/// Where progress goes.
pub enum Output {
    /// An indicatif bar on stderr, with the summary lines printed above it. Meant for a
    /// terminal.
    Bar,
    /// The summary lines alone, written to this writer.
    Lines(Box<dyn Write + Send>),
    /// Nothing.
    Quiet,
}

impl Output {
    /// [`Output::Quiet`] when `quiet`; otherwise [`Output::Bar`] when stderr is a terminal,
    /// and [`Output::Lines`] to stderr when it is not.
    pub fn stderr(quiet: bool) -> Output {
        if quiet {
            Output::Quiet
        } else if io::stderr().is_terminal() {
            Output::Bar
        } else {
            Output::Lines(Box::new(io::stderr()))
        }
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Output::Bar => "Bar",
            Output::Lines(_) => "Lines(..)",
            Output::Quiet => "Quiet",
        })
    }
}

/// What an epoch did, for its summary line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpochSummary {
    /// The epoch just done, counting from 1.
    pub epoch: usize,
    /// The training cost of the epoch.
    pub train_cost: f64,
    /// The cost on the test data, if there is any.
    pub test_cost: Option<f64>,
    /// The fraction of test samples classified right, from 0 to 1, if it was measured.
    pub accuracy: Option<f64>,
    /// How many samples the epoch trained on.
    pub samples: usize,
    /// How long the epoch took ([`EpochProgress::epoch_elapsed`] measures it for a caller
    /// that does not time its own).
    pub elapsed: Duration,
}

impl EpochSummary {
    /// The summary line, without a newline, for a run of `epochs` epochs:
    /// `epoch  3/10  train cost 0.1234  test cost 0.2345  accuracy 97.12%  12,345 samples/s  1.2 s`.
    ///
    /// The epoch is padded to the width of `epochs`, so the columns of successive lines
    /// line up. Costs get four decimals, or scientific notation below 0.001 and from
    /// 100 000 up; the test cost and accuracy appear only when known, the rate only when
    /// the time is not zero.
    pub fn line(&self, epochs: usize) -> String {
        let width = epochs.to_string().len();
        let mut line =
            format!("epoch {:>width$}/{epochs}  train cost {}", self.epoch, Cost(self.train_cost));
        if let Some(test) = self.test_cost {
            line += &format!("  test cost {}", Cost(test));
        }
        if let Some(accuracy) = self.accuracy {
            line += &format!("  accuracy {:.2}%", accuracy * 100.0);
        }
        if let Some(rate) = rate(self.samples as f64, self.elapsed) {
            line += &format!("  {rate} samples/s");
        }
        line += &format!("  {}", Elapsed(self.elapsed));
        line
    }
}

/// Where the reports go, once the [`Output`] is set up.
enum Sink {
    Bar(ProgressBar),
    Lines(Box<dyn Write + Send>),
    Quiet,
}

/// The progress of a training run: see the [module docs](self).
///
/// ```
/// use std::time::Duration;
/// use nn::progress::{EpochProgress, EpochSummary, Output, Plan};
///
/// let plan = Plan { epochs: 2, batches_per_epoch: 3, samples_per_epoch: 96, every: 1 };
/// let mut progress = EpochProgress::new(plan, Output::Quiet);
/// for epoch in 1..=plan.epochs {
///     for batch in 1..=plan.batches_per_epoch {
///         progress.batch_done(batch, 0.5); // the cost of the batch just trained
///     }
///     progress.epoch_done(&EpochSummary {
///         epoch,
///         train_cost: 0.5,
///         test_cost: None,
///         accuracy: None,
///         samples: plan.samples_per_epoch,
///         elapsed: progress.epoch_elapsed(),
///     });
/// }
/// progress.finish();
/// ```
pub struct EpochProgress {
    plan: Plan,
    sink: Sink,
    /// The epoch running, from 1.
    epoch: usize,
    /// The first epoch of the bar's stretch (the epochs up to the next summary line).
    first: usize,
    /// Batches done in the running epoch, and the sum of their costs.
    batches: usize,
    cost_sum: f64,
    epoch_start: Instant,
    stretch_start: Instant,
    next_draw: Instant,
    /// Batches left before the next clock read; how many there were after the last read,
    /// and when that was.
    countdown: u32,
    stride: u32,
    last_read: Instant,
    /// The last epoch's summary, until its line is written.
    pending: Option<EpochSummary>,
    closed: bool,
}

impl fmt::Debug for EpochProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpochProgress")
            .field("plan", &self.plan)
            .field("epoch", &self.epoch)
            .field("batches", &self.batches)
            .finish_non_exhaustive()
    }
}

impl EpochProgress {
    /// Progress for a run shaped as `plan`, reported to `output`; the first epoch's clock
    /// starts now.
    pub fn new(plan: Plan, output: Output) -> Self {
        let sink = match output {
            Output::Bar => Sink::Bar(bar(ProgressDrawTarget::stderr_with_hz(15))),
            Output::Lines(w) => Sink::Lines(w),
            Output::Quiet => Sink::Quiet,
        };
        Self::with_sink(plan, sink)
    }

    fn with_sink(mut plan: Plan, sink: Sink) -> Self {
        plan.batches_per_epoch = plan.batches_per_epoch.max(1);
        plan.every = plan.every.max(1);
        let now = Instant::now();
        let mut progress = EpochProgress {
            plan,
            sink,
            epoch: 1,
            first: 1,
            batches: 0,
            cost_sum: 0.0,
            epoch_start: now,
            stretch_start: now,
            next_draw: now,
            countdown: 1,
            stride: 1,
            last_read: now,
            pending: None,
            closed: false,
        };
        progress.start_stretch(now);
        progress
    }

    /// Records that `batch` batches of the running epoch are done (counting from 1), the
    /// last of them with cost `cost`. The bar shows the mean cost of the epoch's batches
    /// so far.
    ///
    /// Cheap enough to call after every batch: the bar is redrawn at most ~15 times a
    /// second, and the other outputs only add up the cost.
    pub fn batch_done(&mut self, batch: usize, cost: f64) {
        self.batches = batch;
        self.cost_sum += cost;
        if let Sink::Bar(_) = self.sink {
            // Even a clock read (tens of nanoseconds) shows against the microsecond batches
            // of a small network, so the clock is read every `stride` batches, the stride
            // set at each read from the time per batch since the last one, to read about
            // every `READ` (a few reads per redraw).
            self.countdown -= 1;
            if self.countdown > 0 {
                return;
            }
            let now = Instant::now();
            let per_batch = (now - self.last_read).as_nanos() / u128::from(self.stride);
            self.stride = (READ.as_nanos() / per_batch.max(1)).clamp(1, MAX_STRIDE as u128) as u32;
            self.countdown = self.stride;
            self.last_read = now;
            if now >= self.next_draw {
                self.next_draw = now + REDRAW;
                let cost = self.cost_sum / batch.max(1) as f64;
                self.draw(now, cost);
            }
        }
    }

    /// The time since the running epoch started: since [`EpochProgress::new`] for the
    /// first epoch, since the last [`epoch_done`](EpochProgress::epoch_done) for the others.
    pub fn epoch_elapsed(&self) -> Duration {
        self.epoch_start.elapsed()
    }

    /// Reports an epoch done: its summary line is written now if `summary.epoch` is a
    /// multiple of [`Plan::every`] or the last epoch, and otherwise kept for
    /// [`finish`](EpochProgress::finish) in case the run stops early. The next epoch's
    /// clock starts.
    pub fn epoch_done(&mut self, summary: &EpochSummary) {
        let now = Instant::now();
        self.epoch = summary.epoch;
        self.batches = self.plan.batches_per_epoch;
        self.pending = Some(*summary);
        let report =
            summary.epoch.is_multiple_of(self.plan.every) || summary.epoch >= self.plan.epochs;
        if report {
            self.write_pending();
        } else if let Sink::Bar(_) = self.sink
            && now >= self.next_draw
        {
            self.next_draw = now + REDRAW;
            self.draw(now, summary.train_cost);
        }
        self.epoch = summary.epoch + 1;
        self.batches = 0;
        self.cost_sum = 0.0;
        self.epoch_start = now;
        if report {
            self.start_stretch(now);
        }
    }

    /// Ends the report: writes the last epoch's line if [`Plan::every`] held it back (a run
    /// stopped early), clears the bar and flushes the writer. Dropping the progress does
    /// the same.
    pub fn finish(mut self) {
        self.close();
    }

    fn close(&mut self) {
        if std::mem::replace(&mut self.closed, true) {
            return;
        }
        self.write_pending();
        match &mut self.sink {
            Sink::Bar(bar) => bar.finish_and_clear(),
            Sink::Lines(w) => {
                let _ = w.flush();
            }
            Sink::Quiet => {}
        }
    }

    /// Writes the held summary line, if any.
    fn write_pending(&mut self) {
        let Some(summary) = self.pending.take() else { return };
        let line = summary.line(self.plan.epochs);
        match &mut self.sink {
            Sink::Bar(bar) => bar.println(line),
            // Best-effort, as the module docs say: a failed write must not stop training.
            Sink::Lines(w) => {
                let _ = writeln!(w, "{line}");
            }
            Sink::Quiet => {}
        }
    }

    /// Points the bar at the epochs from the running one to the next summary line.
    fn start_stretch(&mut self, now: Instant) {
        self.first = self.epoch;
        self.stretch_start = now;
        self.next_draw = now;
        (self.countdown, self.stride, self.last_read) = (1, 1, now);
        if let Sink::Bar(bar) = &self.sink {
            let every = self.plan.every;
            // The next multiple of `every`, or the last epoch.
            let last = (self.epoch.div_ceil(every) * every).min(self.plan.epochs).max(self.epoch);
            let epochs = last + 1 - self.epoch;
            bar.reset();
            bar.set_length((epochs * self.plan.batches_per_epoch) as u64);
            bar.set_prefix(self.prefix());
            bar.set_message("");
        }
    }

    /// Updates the bar: position, prefix, and a message with `cost` and the samples per
    /// second of the stretch so far.
    fn draw(&self, now: Instant, cost: f64) {
        let Sink::Bar(bar) = &self.sink else { return };
        let per_batch = self.plan.samples_per_epoch as f64 / self.plan.batches_per_epoch as f64;
        let batches = (self.epoch - self.first) * self.plan.batches_per_epoch + self.batches;
        let mut message = format!("cost {}", Cost(cost));
        if let Some(rate) = rate(batches as f64 * per_batch, now - self.stretch_start) {
            message += &format!("  {rate} samples/s");
        }
        bar.set_position(batches as u64);
        bar.set_prefix(self.prefix());
        bar.set_message(message);
    }

    fn prefix(&self) -> String {
        let width = self.plan.epochs.to_string().len();
        format!("epoch {:>width$}/{}", self.epoch.min(self.plan.epochs.max(1)), self.plan.epochs)
    }
}

impl Drop for EpochProgress {
    fn drop(&mut self) {
        self.close();
    }
}

/// The bar, drawn on `target`.
fn bar(target: ProgressDrawTarget) -> ProgressBar {
    // The template is a constant that the tests draw; the fallback is never expected.
    let style = ProgressStyle::with_template(TEMPLATE)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::with_draw_target(Some(0), target).with_style(style);
    // Keeps the elapsed time moving through batches slower than the redraw interval.
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}

/// `samples / elapsed` per second with thousands separators, or `None` for no time.
fn rate(samples: f64, elapsed: Duration) -> Option<Thousands> {
    let seconds = elapsed.as_secs_f64();
    (seconds > 0.0).then(|| Thousands((samples / seconds).round() as u64))
}

/// A whole number with commas between groups of three digits: `12,345`.
struct Thousands(u64);

impl fmt::Display for Thousands {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                f.write_str(",")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// A cost: four decimals from 0.001 up to 100 000, scientific notation outside (where four
/// decimals would show nothing, or too much), `NaN` and `inf` as themselves.
struct Cost(f64);

impl fmt::Display for Cost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        if !c.is_finite() || c == 0.0 || (1e-3..1e5).contains(&c.abs()) {
            write!(f, "{c:.4}")
        } else {
            write!(f, "{c:.3e}")
        }
    }
}

/// A duration: `1.2 s` under a minute, `2 min 05 s` under an hour, `1 h 02 min` after.
struct Elapsed(Duration);

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0.as_secs_f64();
        let whole = seconds.round() as u64;
        if seconds < 59.95 {
            write!(f, "{seconds:.1} s")
        } else if whole < 3600 {
            write!(f, "{} min {:02} s", whole / 60, whole % 60)
        } else {
            write!(f, "{} h {:02} min", whole / 3600, whole % 3600 / 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer whose bytes the test reads back after the progress has taken it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn summary(epoch: usize) -> EpochSummary {
        EpochSummary {
            epoch,
            train_cost: 0.1234,
            test_cost: Some(0.2345),
            accuracy: Some(0.9712),
            samples: 14_814,
            elapsed: Duration::from_millis(1200),
        }
    }

    #[test]
    fn the_summary_line_has_every_column() {
        // 14 814 samples / 1.2 s = 12 345 samples/s.
        assert_eq!(
            summary(3).line(10),
            "epoch  3/10  train cost 0.1234  test cost 0.2345  accuracy 97.12%  \
             12,345 samples/s  1.2 s"
        );
    }

    #[test]
    fn the_summary_line_leaves_out_what_is_unknown() {
        let s = EpochSummary {
            epoch: 7,
            train_cost: 2.5e-5,
            test_cost: None,
            accuracy: None,
            samples: 4,
            elapsed: Duration::ZERO,
        };
        assert_eq!(s.line(7), "epoch 7/7  train cost 2.500e-5  0.0 s");
        let nan = EpochSummary { train_cost: f64::NAN, ..s };
        assert_eq!(nan.line(100), "epoch   7/100  train cost NaN  0.0 s");
    }

    #[test]
    fn numbers_are_formatted_for_reading() {
        let t = |n| Thousands(n).to_string();
        assert_eq!(
            [t(0), t(999), t(1000), t(12_345), t(1_234_567)],
            ["0", "999", "1,000", "12,345", "1,234,567"]
        );
        let c = |x| Cost(x).to_string();
        assert_eq!(
            [c(0.0), c(0.001), c(0.00099), c(12.3456789), c(123_456.0)],
            ["0.0000", "0.0010", "9.900e-4", "12.3457", "1.235e5"]
        );
        let e = |s| Elapsed(Duration::from_secs_f64(s)).to_string();
        assert_eq!(
            [e(0.04), e(59.9), e(59.96), e(125.0), e(3725.0)],
            ["0.0 s", "59.9 s", "1 min 00 s", "2 min 05 s", "1 h 02 min"]
        );
    }

    fn run(plan: Plan, out: &Shared, epochs_run: usize) {
        let mut progress = EpochProgress::new(plan, Output::Lines(Box::new(out.clone())));
        for epoch in 1..=epochs_run {
            for batch in 1..=plan.batches_per_epoch {
                progress.batch_done(batch, 0.5);
            }
            progress.epoch_done(&summary(epoch));
        }
        progress.finish();
    }

    #[test]
    fn lines_are_one_per_epoch() {
        let out = Shared::default();
        let plan = Plan { epochs: 3, batches_per_epoch: 4, samples_per_epoch: 14_814, every: 1 };
        run(plan, &out, 3);
        let text = out.text();
        let epochs: Vec<&str> = text.lines().map(|l| &l[..9]).collect();
        assert_eq!(epochs, ["epoch 1/3", "epoch 2/3", "epoch 3/3"]);
        assert!(text.lines().all(|l| l.ends_with("12,345 samples/s  1.2 s")), "{text}");
    }

    #[test]
    fn every_thins_the_lines_but_keeps_the_last() {
        let out = Shared::default();
        let plan = Plan { epochs: 10, batches_per_epoch: 1, samples_per_epoch: 4, every: 4 };
        run(plan, &out, 10);
        let epochs: Vec<String> = out.text().lines().map(|l| l[..11].to_string()).collect();
        assert_eq!(epochs, ["epoch  4/10", "epoch  8/10", "epoch 10/10"]);

        // A run stopped after epoch 6: finish writes the held-back line.
        let out = Shared::default();
        run(plan, &out, 6);
        let epochs: Vec<String> = out.text().lines().map(|l| l[..11].to_string()).collect();
        assert_eq!(epochs, ["epoch  4/10", "epoch  6/10"]);
    }

    #[test]
    fn quiet_writes_nothing_and_a_dropped_progress_flushes_its_last_line() {
        let mut quiet = EpochProgress::new(
            Plan { epochs: 2, batches_per_epoch: 2, samples_per_epoch: 8, every: 1 },
            Output::Quiet,
        );
        quiet.batch_done(1, 1.0);
        quiet.epoch_done(&summary(1));
        quiet.finish();

        let out = Shared::default();
        {
            let plan = Plan { epochs: 5, batches_per_epoch: 2, samples_per_epoch: 8, every: 5 };
            let mut progress = EpochProgress::new(plan, Output::Lines(Box::new(out.clone())));
            progress.epoch_done(&summary(1));
            assert_eq!(out.text(), "");
        }
        assert!(out.text().starts_with("epoch 1/5  train cost 0.1234"), "{}", out.text());
    }

    #[test]
    fn the_bar_follows_batches_and_stretches() {
        // Drawn on a hidden target: what is checked is the bar's state, not the terminal.
        let plan = Plan { epochs: 5, batches_per_epoch: 3, samples_per_epoch: 30, every: 2 };
        let mut progress =
            EpochProgress::with_sink(plan, Sink::Bar(bar(ProgressDrawTarget::hidden())));
        let state = |p: &EpochProgress| match &p.sink {
            Sink::Bar(b) => (b.position(), b.length(), b.prefix()),
            _ => unreachable!(),
        };
        // Epochs 1 and 2 before the first line: 2 × 3 batches.
        assert_eq!(state(&progress), (0, Some(6), "epoch 1/5".to_string()));
        progress.batch_done(1, 0.5);
        assert_eq!(state(&progress).0, 1, "the first batch is drawn at once");
        progress.next_draw = Instant::now(); // past the redraw interval
        progress.epoch_done(&summary(1));
        assert_eq!(state(&progress).0, 3, "epoch 1 done: its 3 batches");
        progress.next_draw = Instant::now(); // past the redraw interval
        progress.countdown = 1; // and the clock read at the next batch
        progress.batch_done(2, 0.5);
        assert_eq!(state(&progress), (5, Some(6), "epoch 2/5".to_string()));
        progress.epoch_done(&summary(2));
        // The line for epoch 2 is written; the next stretch is epochs 3 and 4.
        assert_eq!(state(&progress), (0, Some(6), "epoch 3/5".to_string()));
        progress.epoch_done(&summary(3));
        progress.epoch_done(&summary(4));
        // The last stretch is epoch 5 alone.
        assert_eq!(state(&progress), (0, Some(3), "epoch 5/5".to_string()));
        progress.finish();
    }

    #[test]
    fn the_bar_template_is_valid() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }
}
