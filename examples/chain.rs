//! Lesson 3: two neurons in a chain (1-1-1); back-propagation through one hidden activation, checked against finite differences.
//!
//! `cargo run --release --example chain -- --help` lists the settings. The lesson itself,
//! with its comments, is `src/lessons/chain.rs`; `nn demo chain` runs the same code.

use std::process::ExitCode;

use clap::Parser;
use nn::lessons::chain;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    options: chain::Options,
}

fn main() -> ExitCode {
    let options = Args::parse().options;
    nn::lessons::print_outcome(chain::run(&options))
}
