//! Lesson 1: `y = x·w` learns `w = 2` from the samples of `y = 2x`, by the derivative `C'(w)`.
//!
//! `cargo run --release --example twice -- --help` lists the settings. The lesson itself,
//! with its comments, is `src/lessons/twice.rs`; `nn demo twice` runs the same code.

use std::process::ExitCode;

use clap::Parser;
use nn::lessons::twice;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    options: twice::Options,
}

fn main() -> ExitCode {
    let options = Args::parse().options;
    nn::lessons::print_outcome(twice::run(&options))
}
