//! `nn`: the command line of the `nn` engine.
//!
//! With no arguments it runs the main job on an embedded default: it trains the 4-bit
//! binary adder (8-16-5) until every sum is right, printing progress and the result.
//! `nn demo NAME` runs each of the notes' lessons.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nn::lessons::{LessonError, adder, chain, fd_vs_gd, gates, twice, xor};
use nn::{bench, commands};

/// A neural-network engine for CPUs: feed-forward and back-propagation over whole batches.
#[derive(Parser, Debug)]
#[command(name = "nn", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one of the notes' lessons, from one weight to an n-bit adder.
    Demo {
        #[command(subcommand)]
        lesson: Lesson,
    },
    /// Measure training throughput per thread count on seeded synthetic data.
    Bench(bench::Options),
    /// Train a model on a CSV or IDX file; save it, checkpoints and a plot of the costs.
    Train(Box<commands::train::Options>),
    /// A saved model's cost, accuracy and confusion matrix on a data file.
    Eval(commands::eval::Options),
    /// A saved model's outputs for every sample of a data file, one line each.
    Predict(commands::predict::Options),
}

#[derive(Subcommand, Debug)]
enum Lesson {
    /// y = x·w learns to double its input, by the derivative C'(w).
    Twice(twice::Options),
    /// One sigmoid neuron learns OR, AND and NAND, and fails on XOR.
    Gates(gates::Options),
    /// Two neurons in a chain (1-1-1): back-propagation against finite differences.
    Chain(chain::Options),
    /// A 2-2-1 network learns XOR.
    Xor(xor::Options),
    /// An n-bit binary adder, trained until every sum is right.
    Adder(adder::Options),
    /// The notes' timing: 8,000,000 epochs of the NAND neuron, finite differences vs back-propagation.
    #[command(name = "fd_vs_gd", alias = "fd-vs-gd")]
    FdVsGd(fd_vs_gd::Options),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help and --version print to stdout
        Err(e) => {
            // clap's first line names the problem; the usage hint after it is noise in
            // scripts and logs.
            let rendered = e.render().to_string();
            eprintln!("{}", rendered.lines().next().unwrap_or("error: bad arguments"));
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        None => run(&Lesson::Adder(adder::Options::default())).map_err(|e| e.to_string()),
        Some(Command::Demo { lesson }) => run(&lesson).map_err(|e| e.to_string()),
        Some(Command::Bench(options)) => bench::run(&options)
            .map(|report| {
                print!("{}", if options.json { report.json_lines() } else { report.to_string() })
            })
            .map_err(|e| e.to_string()),
        Some(Command::Train(options)) => commands::train::run(&options)
            .map(|r| print_report(&r, options.json))
            .map_err(|e| e.to_string()),
        Some(Command::Eval(options)) => commands::eval::run(&options)
            .map(|r| print_report(&r, options.json))
            .map_err(|e| e.to_string()),
        Some(Command::Predict(options)) => {
            commands::predict::run(&options, &mut std::io::stdout().lock())
                .map_err(|e| e.to_string())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A summary as text, or as one JSON object with `--json`.
fn print_report<R: std::fmt::Display + serde::Serialize>(report: &R, json: bool) {
    if json {
        println!("{}", serde_json::to_string(report).unwrap_or_default());
    } else {
        print!("{report}");
    }
}

fn run(lesson: &Lesson) -> Result<(), LessonError> {
    match lesson {
        Lesson::Twice(options) => print!("{}", twice::run(options)?),
        Lesson::Gates(options) => print!("{}", gates::run(options)?),
        Lesson::Chain(options) => print!("{}", chain::run(options)?),
        Lesson::Xor(options) => print!("{}", xor::run(options)?),
        Lesson::Adder(options) => {
            println!("Training a {}-bit adder until every sum is right…", options.bits);
            let report = adder::run(options, adder::print_progress)?;
            print!("{report}");
        }
        Lesson::FdVsGd(options) => {
            let report = fd_vs_gd::run(options)?;
            print!("{}", if options.json { report.json_lines() } else { report.to_string() });
        }
    }
    Ok(())
}
