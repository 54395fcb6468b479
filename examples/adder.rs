//! Lesson 5: an n-bit binary adder (default 4 bits, 8-16-5) trained until every sum is right; prints the accuracy and a few sums.
//!
//! `cargo run --release --example adder -- --help` lists the settings. The lesson itself,
//! with its comments, is `src/lessons/adder.rs`; `nn demo adder` runs the same code.

use std::process::ExitCode;

use clap::Parser;
use nn::lessons::adder;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    options: adder::Options,
}

fn main() -> ExitCode {
    let options = Args::parse().options;
    nn::lessons::print_outcome(adder::run(&options, adder::print_progress))
}
