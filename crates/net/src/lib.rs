//! The `nn` network: parameters, feed-forward, cost, gradients by back-propagation and by
//! finite differences, and training by gradient descent.
//!
//! Three types carry the state, each for one job:
//!
//! - [`Mlp`]: the parameters (a stack of [`Layer`]s, each `W`, `b` and an [`Activation`]).
//!   Small, cloneable, comparable.
//! - [`Workspace`]: the per-batch scratch (each layer's activations and errors), built once
//!   for a number of rows and reused every step.
//! - [`Gradient`]: the same shape as the network; overwritten each step, never rebuilt.
//!
//! Rows are samples: a batch of `n` samples is an `n × d_0` matrix, and feed-forward and
//! back-propagation are matrix products over the whole batch. The math, in the code's
//! symbols, is derived in `docs/backprop.md`.
//!
//! Data from outside is checked where it enters ([`Architecture`], [`Dataset`], the
//! settings) and refused with a [`NetError`] that says what was expected and what was found.
//! The library never prints and never touches a global random generator: randomness comes
//! in as a generator or seed, progress goes out through a callback.
//!
//! A trained network, with its input [`Normalization`] and [`Loss`], is a [`Model`]: saved
//! atomically as a safetensors file that numpy and PyTorch read, and loaded back with
//! everything in the file checked ([`Model::save`], [`Model::load`]; the layout is in
//! `docs/model-files.md`).
//!
//! # Training real models
//!
//! [`data`] loads CSV and IDX files (MNIST's format), gzipped or not, into a [`Dataset`];
//! a [`Normalization`] fitted on the training set maps every set's inputs. [`Training`]
//! runs epochs of shuffled mini-batches with any [`Optimizer`] (SGD, momentum, Nesterov,
//! Adam, AdamW, RMSProp; weight decay, clipping) and [`Schedule`], evaluates held-out data
//! every epoch ([`evaluate`]: cost and accuracy), stops early with a patience, and saves
//! [`Checkpoint`]s that a later run resumes to the bit. The losses ([`Loss`]) include
//! cross-entropy after a softmax output and binary cross-entropy after a sigmoid, both
//! computed stably from the output's logits. `docs/training.md` walks through a run.
//!
//! # Threads
//!
//! A batch's cost and gradient are computed in chunks of a fixed number of rows
//! ([`Chunking`]) and summed by a fixed tree, in parallel over the cores of the rayon pool
//! the call runs in ([`BatchGradient`]). The library never builds rayon's global pool:
//! choose the threads with a pool of your own, and everything called inside
//! [`ThreadPool::install`](rayon::ThreadPool::install) uses it:
//!
//! ```
//! # use ndarray::array;
//! # use nn_net::{train, Activation, Dataset, Init, Mlp, TrainConfig};
//! # use nn_net::rand::{SeedableRng, rngs::StdRng};
//! # let data = Dataset::new(array![[0.0_f32, 1.0], [1.0, 0.0]], array![[1.0], [0.0]])?;
//! # let mut net = Mlp::new(&"2-3-1".parse()?, &[Activation::Tanh, Activation::Sigmoid], Init::default(), &mut StdRng::seed_from_u64(1))?;
//! # let config = TrainConfig { epochs: 10, ..TrainConfig::default() };
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("a pool");
//! let history = pool.install(|| train(&mut net, &data, &config))?;
//! # assert_eq!(history.epochs.len(), 10);
//! # Ok::<(), nn_net::NetError>(())
//! ```
//!
//! Outside any pool, calls use rayon's global pool (sized by `RAYON_NUM_THREADS`, or one
//! thread per core). The chunks and the tree depend only on the batch size, the network's
//! size and the [`Chunking`], never on the number of threads, so the cost, the gradient and
//! the trained parameters are the same to the last bit on 1 thread or 64.
//!
//! # Example
//!
//! A 2-2-1 network learns XOR:
//!
//! ```
//! use ndarray::array;
//! use nn_net::{train, Activation, Architecture, Dataset, Init, Mlp, TrainConfig};
//! use nn_net::rand::{SeedableRng, rngs::StdRng};
//!
//! let xor = Dataset::new(
//!     array![[0.0_f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
//!     array![[0.0], [1.0], [1.0], [0.0]],
//! )?;
//! let arch: Architecture = "2-2-1".parse()?;
//! let mut rng = StdRng::seed_from_u64(2);
//! let mut net = Mlp::new(&arch, &[Activation::Sigmoid; 2], Init::default(), &mut rng)?;
//!
//! let config = TrainConfig { rate: 1.0, epochs: 20_000, ..TrainConfig::default() };
//! let history = train(&mut net, &xor, &config)?;
//! assert!(history.final_cost < 0.01);
//!
//! let out = net.predict(xor.inputs())?;
//! let rounded: Vec<f32> = out.iter().map(|a| a.round()).collect();
//! assert_eq!(rounded, [0.0, 1.0, 1.0, 0.0]);
//! # Ok::<(), nn_net::NetError>(())
//! ```

mod architecture;
mod atomic_file;
mod backprop;
mod batch_gradient;
mod check;
mod checkpoint;
mod chunking;
pub mod data;
mod dataset;
mod direct;
mod direct_run;
mod elementwise;
mod error;
mod finite_difference;
mod gradient;
mod init;
mod layer;
mod loss;
mod memory;
mod metrics;
mod mini_batches;
mod mlp;
mod model_file;
mod normalization;
mod optimizer;
mod run_state;
mod schedule;
mod train;
mod trainer;
mod training;
mod workspace;

pub use architecture::Architecture;
pub use batch_gradient::BatchGradient;
pub use checkpoint::{Checkpoint, TrainingState};
pub use chunking::Chunking;
pub use dataset::Dataset;
pub use error::NetError;
pub use finite_difference::{
    Difference, FiniteDifference, finite_difference_gradient, finite_difference_gradient_into,
};
pub use gradient::{Gradient, LayerGradient};
pub use init::Init;
pub use layer::{Layer, LayerMut};
pub use loss::Loss;
pub use memory::{DEFAULT_MEMORY_LIMIT, check_network_bytes, network_bytes, trainer_bytes};
pub use metrics::{
    ConfusionMatrix, Metrics, confusion_matrix, evaluate, evaluate_with_confusion, predicted_class,
    target_class,
};
pub use mlp::Mlp;
pub use model_file::{
    MODEL_FORMAT, MODEL_FORMAT_VERSION, Model, ModelFileError, ModelFileErrorKind, Tensor,
    TensorData, TensorFile,
};
pub use normalization::{Normalization, NormalizationKind};
pub use optimizer::{Optimizer, OptimizerState};
pub use run_state::{Best, RunState};
pub use schedule::Schedule;
pub use train::{GradientMethod, TrainConfig, train, train_with};
pub use trainer::Trainer;
pub use training::{BatchProgress, EarlyStopping, EpochRecord, History, Progress, Training};
pub use workspace::Workspace;

/// The activations, from `nn-tensor`.
pub use nn_tensor::Activation;

/// The `rand` crate this crate draws with, so callers seed the same generator types.
pub use ndarray_rand::rand;
