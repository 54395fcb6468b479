//! `nn`: the command line of the `nn` engine.
//!
//! With no arguments it runs the main job on an embedded default: it trains the 4-bit
//! binary adder (8-16-5) until every sum is right, printing progress and the result.
//! `nn demo NAME` runs each of the notes' lessons.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use nn::lessons::{adder, chain, fd_vs_gd, gates, twice, xor};
use nn::output::{emit, finish};
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
    // Without a lesson, an error naming the lessons rather than the help on stderr.
    #[command(arg_required_else_help = false)]
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
            eprintln!("{}", one_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        None => run(&Lesson::Adder(adder::Options::default())),
        Some(Command::Demo { lesson }) => run(&lesson),
        Some(Command::Bench(options)) => bench::run(&options)
            .map_err(|e| e.to_string())
            .and_then(|r| emit(if options.json { r.json_lines() } else { r.to_string() })),
        Some(Command::Train(options)) => commands::train::run(&options)
            .map_err(|e| e.to_string())
            .and_then(|r| emit_report(&r, options.json)),
        Some(Command::Eval(options)) => commands::eval::run(&options)
            .map_err(|e| e.to_string())
            .and_then(|r| emit_report(&r, options.json)),
        Some(Command::Predict(options)) => {
            commands::predict::run(&options, &mut std::io::stdout().lock())
                .map_err(|e| e.to_string())
        }
    };
    finish(outcome)
}

/// clap's message as one line: its first paragraph, which names the problem (and, for
/// missing arguments or a missing subcommand, lists them on the lines below the first).
/// The tips and usage after it are noise in scripts and logs.
fn one_line(rendered: &str) -> String {
    let problem: Vec<&str> =
        rendered.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
    if problem.is_empty() { "error: bad arguments".to_owned() } else { problem.join(" ") }
}

/// A summary as text, or as one JSON object with `--json`.
fn emit_report<R: std::fmt::Display + serde::Serialize>(
    report: &R,
    json: bool,
) -> Result<(), String> {
    if json {
        let line = serde_json::to_string(report).map_err(|e| format!("cannot write JSON: {e}"))?;
        emit(format_args!("{line}\n"))
    } else {
        emit(report)
    }
}

fn run(lesson: &Lesson) -> Result<(), String> {
    match lesson {
        Lesson::Twice(options) => emit(twice::run(options).map_err(|e| e.to_string())?),
        Lesson::Gates(options) => emit(gates::run(options).map_err(|e| e.to_string())?),
        Lesson::Chain(options) => emit(chain::run(options).map_err(|e| e.to_string())?),
        Lesson::Xor(options) => emit(xor::run(options).map_err(|e| e.to_string())?),
        Lesson::Adder(options) => {
            emit(format_args!(
                "Training a {}-bit adder until every sum is right…\n",
                options.bits
            ))?;
            emit(adder::run(options, adder::print_progress).map_err(|e| e.to_string())?)
        }
        Lesson::FdVsGd(options) => {
            let report = fd_vs_gd::run(options).map_err(|e| e.to_string())?;
            emit(if options.json { report.json_lines() } else { report.to_string() })
        }
    }
}
