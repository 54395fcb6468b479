//! MNIST: a 784-128-10 network (ReLU, softmax with cross-entropy, Adam, a cosine schedule)
//! learns the handwritten digits to about 98% test accuracy.
//!
//! ```sh
//! cargo run --release --example mnist                      # ../shared/data/mnist, 15 epochs
//! cargo run --release --example mnist -- --dir DIR --epochs 3 --limit 10000
//! ```
//!
//! `DIR` holds the four IDX files (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
//! `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`; gzipped or not); the README
//! says where to get them. This is the library API a program embeds; `nn train` runs the
//! same engine from the command line.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use nn_net::data::{IdxOptions, load_idx};
use nn_net::rand::SeedableRng;
use nn_net::rand::rngs::StdRng;
use nn_net::{
    Activation, Init, Loss, Mlp, Normalization, NormalizationKind, Optimizer, Schedule,
    TrainConfig, Training, evaluate,
};

#[derive(Parser)]
struct Args {
    /// The directory of the four MNIST IDX files.
    #[arg(long, default_value = "../shared/data/mnist")]
    dir: PathBuf,
    /// Passes over the training images.
    #[arg(long, default_value_t = 15)]
    epochs: usize,
    /// Use only the first N training images (for a quick run).
    #[arg(long)]
    limit: Option<usize>,
    /// Seed of the weights and the shuffles.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> ExitCode {
    nn::output::finish(run(&Args::parse()).map_err(|e| e.to_string()))
}

fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let options = IdxOptions { classes: Some(10), ..IdxOptions::default() };
    let mut train = load_idx::<f32>(&args.dir.join("train-images-idx3-ubyte.gz"), &options)
        .or_else(|_| load_idx::<f32>(&args.dir.join("train-images-idx3-ubyte"), &options))?
        .dataset;
    let mut test = load_idx::<f32>(&args.dir.join("t10k-images-idx3-ubyte.gz"), &options)
        .or_else(|_| load_idx::<f32>(&args.dir.join("t10k-images-idx3-ubyte"), &options))?
        .dataset;
    if let Some(limit) = args.limit {
        train = train.take(limit)?;
    }

    // Pixels 0..255 → 0..1, with the range of the training images (saved with a model).
    let scale = Normalization::fit(NormalizationKind::Scale, train.inputs());
    train.normalize(&scale)?;
    test.normalize(&scale)?;

    let mut rng = StdRng::seed_from_u64(args.seed);
    let activations = [Activation::Relu, Activation::Softmax];
    let mut net = Mlp::new(&"784-128-10".parse()?, &activations, Init::He, &mut rng)?;
    let config = TrainConfig {
        rate: 1e-3,
        epochs: args.epochs,
        loss: Loss::CrossEntropy,
        batch_size: Some(64),
        seed: args.seed,
        optimizer: Optimizer::adam(),
        schedule: Schedule::cosine(),
        ..TrainConfig::default()
    };

    // Written through a handle rather than `println!`, which panics when stdout is a
    // closed pipe (`… | head`): a failed write ends the run with an error line instead.
    let mut out = std::io::stdout().lock();
    writeln!(out, "training 784-128-10 on {} images, testing on {}", train.len(), test.len())?;
    let started = Instant::now();
    let mut written = Ok(());
    let history = Training::new(&config).validation(&test).run(&mut net, &train, |p| {
        let Some(test) = p.record.validation else { return ControlFlow::Continue(()) };
        written = writeln!(
            out,
            "epoch {:>2}/{}  train cost {:.4}  test cost {:.4}  test accuracy {:.2}%  {:.1} s",
            p.epoch + 1,
            p.epochs,
            p.cost,
            test.cost,
            100.0 * test.accuracy.unwrap_or(0.0),
            p.record.seconds
        );
        if written.is_ok() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
    })?;
    written?;
    let metrics = evaluate(&net, &test, Loss::CrossEntropy)?;
    writeln!(
        out,
        "test accuracy {:.2}% after {} epochs, {:.1} s",
        100.0 * metrics.accuracy.unwrap_or(0.0),
        history.epochs.len(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
