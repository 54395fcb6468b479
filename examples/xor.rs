//! Lesson 4: a 2-2-1 sigmoid network learns XOR; prints the truth table.
//!
//! `cargo run --release --example xor -- --help` lists the settings. The lesson itself,
//! with its comments, is `src/lessons/xor.rs`; `nn demo xor` runs the same code.

use std::process::ExitCode;

use clap::Parser;
use nn::lessons::xor;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    options: xor::Options,
}

fn main() -> ExitCode {
    let options = Args::parse().options;
    nn::lessons::print_outcome(xor::run(&options))
}
