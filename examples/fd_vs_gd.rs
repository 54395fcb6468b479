//! Lesson 6, the notes' experiment: the NAND neuron trained for N epochs (default 8,000,000) by forward finite differences and by back-propagation; prints each time, each final cost and the ratio (`--json`: one JSON object per method per line).
//!
//! `cargo run --release --example fd_vs_gd -- --help` lists the settings. The lesson itself,
//! with its comments, is `src/lessons/fd_vs_gd.rs`; `nn demo fd_vs_gd` runs the same code.

use std::process::ExitCode;

use clap::Parser;
use nn::lessons::fd_vs_gd;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    options: fd_vs_gd::Options,
}

fn main() -> ExitCode {
    let options = Args::parse().options;
    let json = options.json;
    nn::lessons::print_outcome(
        fd_vs_gd::run(&options).map(
            |report| {
                if json { report.json_lines() } else { report.to_string() }
            },
        ),
    )
}
