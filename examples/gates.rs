//! Lesson 2: one sigmoid neuron learns OR, AND and NAND, and fails on XOR; prints each truth table.
//!
//! `cargo run --release --example gates -- --help` lists the settings. The lesson itself,
//! with its comments, is `src/lessons/gates.rs`; `nn demo gates` runs the same code.

use std::process::ExitCode;

use clap::Parser;
use nn::lessons::gates;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    options: gates::Options,
}

fn main() -> ExitCode {
    let options = Args::parse().options;
    nn::lessons::print_outcome(gates::run(&options))
}
