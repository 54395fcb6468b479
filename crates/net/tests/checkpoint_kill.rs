//! The fault test of checkpoints: a process that trains with a checkpoint after every
//! epoch is killed (SIGKILL on Unix: no destructor, no flush, no clean-up runs) at seeded
//! random moments, many times over; each time the checkpoint on disk must load and be
//! exactly one of the states the run saved, never a partial file, and before the first save
//! there must be no checkpoint at all.
//!
//! The writer is this test binary itself, started again with `--exact --ignored` on the
//! ignored test [`checkpoint_writer`] and told its directory by an environment variable,
//! so no extra binary is built. Every state it saves is known in advance: training is
//! deterministic from its seed (the same bits on any number of threads), so the state
//! saved after epoch `k` is the network this test gets by training `k` epochs itself.
//!
//! A kill inside a save leaves that save's temporary file beside the checkpoint; loading
//! never reads it, and the next run in the directory removes it. The test checks both.
//! (Swapping the atomic save for a plain `fs::write` makes it fail within a few kills: a
//! checkpoint of 0 bytes, or one whose tensor data stops short.)

#![cfg(test)]

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ndarray::Array2;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    Activation, Checkpoint, Dataset, Init, Mlp, NetError, Optimizer, TrainConfig, Training,
};

/// Where the writer saves; set only in the child process.
const WRITER_DIR: &str = "NN_CHECKPOINT_WRITER_DIR";

/// Kills in all.
const KILLS: usize = 60;

/// Every this many kills, one lands as soon as the writer says it is about to train,
/// before its first save.
const EARLY_EVERY: usize = 6;

/// The longest wait before the other kills, in milliseconds, once the first checkpoint is
/// on disk: a few saves on a disk that syncs slowly, dozens on a fast one.
const LONGEST_WAIT_MS: u64 = 60;

/// What the writer prints when it starts training.
const READY: &str = "checkpoint writer ready";

/// 8 samples of 16 inputs and 4 classes, from a fixed formula.
fn data() -> Dataset<f32> {
    let x = Array2::from_shape_fn((8, 16), |(i, j)| ((i * 16 + j) as f32 * 0.61).sin());
    let y = Array2::from_shape_fn((8, 4), |(i, j)| if i % 4 == j { 1.0 } else { 0.0 });
    Dataset::new(x, y).expect("finite data")
}

/// A network large enough (71,172 parameters; with Adam's two moments the checkpoint is
/// about 850 kB) that writing it takes a good part of each epoch, so that a kill often
/// lands inside a write.
fn start() -> Mlp<f32> {
    let arch = "16-256-256-4".parse().expect("an architecture");
    let activations = [Activation::Tanh, Activation::Tanh, Activation::Softmax];
    Mlp::new(&arch, &activations, Init::Xavier, &mut StdRng::seed_from_u64(11)).expect("a net")
}

/// Adam, in batches of 4 (two steps an epoch), for as many epochs as `epochs`.
fn config(epochs: usize) -> TrainConfig<f32> {
    TrainConfig {
        rate: 1e-3,
        epochs,
        loss: nn_net::Loss::CrossEntropy,
        batch_size: Some(4),
        optimizer: Optimizer::adam(),
        seed: 3,
        ..TrainConfig::default()
    }
}

/// The writer: trains with a checkpoint after every epoch until it is killed (or, should
/// the test that started it be gone, for a few minutes at most).
#[test]
#[ignore = "the process that checkpoints_survive_being_killed starts and kills"]
fn checkpoint_writer() {
    let Some(dir) = std::env::var_os(WRITER_DIR) else {
        return;
    };
    let mut mlp = start();
    println!("{READY}");
    std::io::stdout().flush().expect("stdout");
    Training::new(&config(100_000))
        .checkpoints(dir, 1)
        .run(&mut mlp, &data(), |_| ControlFlow::Continue(()))
        .expect("training runs");
}

/// Kills the writer when dropped, so that a failing assertion leaves no process behind.
struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The network after each epoch of the writer's run, computed here as far as asked.
struct Reference {
    after: Vec<Mlp<f32>>,
    costs: Vec<f32>,
}

impl Reference {
    /// The network after `epochs` epochs and the training cost of each epoch up to it.
    fn get(&mut self, epochs: usize) -> (&Mlp<f32>, &[f32]) {
        if epochs > self.after.len() {
            let target = epochs.max(2 * self.after.len());
            let (mut after, mut costs) = (Vec::new(), Vec::new());
            Training::new(&config(target))
                .run(&mut start(), &data(), |p| {
                    after.push(p.mlp.clone());
                    costs.push(p.cost);
                    ControlFlow::Continue(())
                })
                .expect("the reference run");
            (self.after, self.costs) = (after, costs);
        }
        (&self.after[epochs - 1], &self.costs[..epochs])
    }
}

/// Files in `dir`, by name.
fn entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .map(|d| d.map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned()))
        .map(Iterator::collect)
        .unwrap_or_default()
}

/// A temporary file of an atomic save: `.checkpoint.safetensors.XXXXXX.tmp`.
fn is_leftover(name: &str) -> bool {
    name.starts_with(&format!(".{}.", Checkpoint::FILE_NAME)) && name.ends_with(".tmp")
}

#[test]
fn checkpoints_survive_being_killed() {
    let exe = std::env::current_exe().expect("the test binary");
    let mut rng = StdRng::seed_from_u64(2024);
    let mut reference = Reference { after: Vec::new(), costs: Vec::new() };
    let root = tempfile::tempdir().expect("a temporary directory");
    let (mut before_first_save, mut loaded, mut leftovers) = (0, Vec::new(), 0);
    for kill in 0..KILLS {
        let dir = root.path().join(format!("run-{kill}"));
        let child = Command::new(&exe)
            .args(["--exact", "checkpoint_writer", "--ignored", "--nocapture", "--test-threads=1"])
            .env(WRITER_DIR, &dir)
            .env("RAYON_NUM_THREADS", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the writer starts");
        let mut writer = Writer(child);
        let stdout = writer.0.stdout.take().expect("the writer's stdout");
        let ready = BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains(READY));
        assert!(ready, "kill {kill}: the writer never started training");
        let early = kill % EARLY_EVERY == 0;
        if !early {
            // Polled rather than timed, so that a slow machine changes nothing but the
            // test's length.
            while !dir.join(Checkpoint::FILE_NAME).exists() {
                assert!(writer.0.try_wait().expect("the writer").is_none(), "the writer ended");
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_micros(rng.random_range(0..LONGEST_WAIT_MS * 1000)));
        }
        // SIGKILL on Unix (TerminateProcess on Windows).
        writer.0.kill().expect("the writer is killed");
        let status = writer.0.wait().expect("the writer ends");
        assert!(!status.success(), "kill {kill}: the writer ended by itself: {status}");

        let names = entries(&dir);
        leftovers += names.iter().filter(|n| is_leftover(n)).count();
        // Nothing but the checkpoint and the temporary files of saves cut short.
        let others: Vec<&String> =
            names.iter().filter(|n| *n != Checkpoint::FILE_NAME && !is_leftover(n)).collect();
        assert!(others.is_empty(), "kill {kill}: unexpected files {others:?}");
        if !names.contains(Checkpoint::FILE_NAME) {
            assert!(early, "kill {kill}: the checkpoint seen before the kill is gone");
            before_first_save += 1;
            continue;
        }
        let state = match Checkpoint::load::<f32>(&dir) {
            Ok(state) => state,
            Err(e) => panic!("kill {kill}: the checkpoint on disk does not load: {e}"),
        };
        let k = state.run.next_epoch;
        assert!(k >= 1, "kill {kill}: a checkpoint of no epoch");
        let (expected, costs) = reference.get(k);
        assert!(state.mlp == *expected, "kill {kill}: the parameters are not those of epoch {k}");
        let saved_costs: Vec<f32> = state.run.history.iter().map(|r| r.train_cost).collect();
        assert_eq!(saved_costs, costs, "kill {kill}: the history is not that of epoch {k}");
        assert_eq!(state.optimizer.steps(), 2 * k, "kill {kill}: two steps an epoch");
        loaded.push(k);
    }
    eprintln!(
        "{KILLS} kills: {before_first_save} before the first save, checkpoints of epochs \
         {loaded:?} loaded; {leftovers} temporary files left by saves cut short"
    );
    // The early kills land within microseconds of the writer's start, long before it can
    // have trained an epoch and written 850 kB; at least one must have, or the test did
    // not see the state before the first save.
    assert!(before_first_save >= 1, "no kill landed before the first save");

    // A run restarted in each directory a killed one left resumes from its checkpoint and
    // starts by removing the temporary files of the save cut short.
    for kill in 0..KILLS {
        let dir = root.path().join(format!("run-{kill}"));
        let saved = match Checkpoint::load::<f32>(&dir) {
            Ok(state) => Some(state),
            Err(NetError::Checkpoint { .. }) => None,
            Err(e) => panic!("run {kill}: {e}"),
        };
        // One epoch more than the checkpoint holds.
        let settings = config(saved.as_ref().map_or(0, |s| s.run.next_epoch) + 1);
        let mut training = Training::new(&settings).checkpoints(&dir, 1);
        if let Some(state) = saved {
            training = training.resume(state);
        }
        let mut mlp = start();
        training.run(&mut mlp, &data(), |_| ControlFlow::Continue(())).expect("resumed");
        assert_eq!(entries(&dir), BTreeSet::from([Checkpoint::FILE_NAME.to_owned()]), "run {kill}");
        let k = Checkpoint::load::<f32>(&dir).unwrap().run.next_epoch;
        assert!(mlp == *reference.get(k).0, "run {kill}: the resumed run's epoch {k} differs");
    }
}
