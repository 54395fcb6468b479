//! The `nn` command's library: the notes' lessons, shared by the `nn demo` subcommands and
//! the programs in `examples/`, the throughput benchmark behind `nn bench`, the
//! subcommands that train and use real models ([`commands`]: `nn train`, `nn eval`,
//! `nn predict`), and the cost plots ([`plot`]) and progress reports ([`progress`]) of
//! training runs.
//!
//! The engine itself is in two crates: [`nn_net`] (the network, training) and
//! [`nn_tensor`] (the kernels). This crate adds the lessons that walk from one weight to an
//! n-bit adder, each returning a report that prints itself.
//!
//! # Example
//!
//! ```
//! use nn::lessons::xor;
//!
//! let report = xor::run(&xor::Options::default())?;
//! assert!(report.table.learned());
//! println!("{report}");
//! # Ok::<(), nn_net::NetError>(())
//! ```

pub mod bench;
pub mod commands;
pub mod lessons;
pub mod output;
pub mod plot;
pub mod progress;

/// The README's API tour, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
