//! The one error type of the crate: everything a caller can get wrong, named.

use thiserror::Error;

/// What went wrong, with what was expected and what was found.
///
/// Every check on data from outside (an architecture, a dataset, a setting) returns one of
/// these instead of panicking, so a program that embeds the engine decides what to do.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum NetError {
    /// An architecture with fewer than two sizes (it needs inputs and at least one layer).
    #[error(
        "an architecture needs at least two sizes (the inputs and one layer), such as 2-1; \
         found {found} size{}",
        if *found == 1 { "" } else { "s" }
    )]
    EmptyArchitecture {
        /// How many sizes were given.
        found: usize,
    },
    /// A size of zero in an architecture.
    #[error(
        "every size in an architecture must be at least 1; size {index} (counting the inputs \
         as 0) is 0"
    )]
    ZeroWidthLayer {
        /// The position of the zero, the inputs being position 0.
        index: usize,
    },
    /// An architecture string that is not sizes joined by `-`.
    #[error("architecture {input:?}: expected sizes joined by '-', such as 2-2-1; {reason}")]
    ParseArchitecture {
        /// The string that was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A normalisation name that is not one of `none`, `scale`, `standardize`.
    #[error("expected a normalization of none, scale or standardize; found {found:?}")]
    ParseNormalization {
        /// The string that was given.
        found: String,
    },
    /// Saved normalisation statistics that cannot be used.
    #[error("invalid normalization: {reason}")]
    InvalidNormalization {
        /// What is wrong, with the expected and the found.
        reason: String,
    },
    /// A list of activations whose length is not the number of layers.
    #[error("expected one activation per layer ({expected}); found {found}")]
    ActivationCount {
        /// The number of layers.
        expected: usize,
        /// The number of activations given.
        found: usize,
    },
    /// A layer whose weights and bias do not fit the layer before it or each other.
    #[error(
        "layer {index}: expected weights of {expected_rows}×{expected_cols} and a bias of \
         {expected_cols}; found weights of {found_rows}×{found_cols} and a bias of {found_bias}"
    )]
    LayerShape {
        /// The layer, counting from 0.
        index: usize,
        /// The rows the weights must have (the width of the layer before).
        expected_rows: usize,
        /// The columns the weights must have, and the bias length.
        expected_cols: usize,
        /// The rows found.
        found_rows: usize,
        /// The columns found.
        found_cols: usize,
        /// The bias length found.
        found_bias: usize,
    },
    /// A network with no layers.
    #[error("a network needs at least one layer; found none")]
    NoLayers,
    /// Inputs whose width is not the network's input size.
    #[error("expected inputs with {expected} columns (the network's input size); found {found}")]
    InputWidth {
        /// The network's input size.
        expected: usize,
        /// The width of the inputs.
        found: usize,
    },
    /// Targets whose width is not the network's output size.
    #[error("expected targets with {expected} columns (the network's output size); found {found}")]
    TargetWidth {
        /// The network's output size.
        expected: usize,
        /// The width of the targets.
        found: usize,
    },
    /// Inputs and targets with different numbers of rows.
    #[error("expected one target row per input row; found {inputs} inputs and {targets} targets")]
    RowMismatch {
        /// Rows of inputs.
        inputs: usize,
        /// Rows of targets.
        targets: usize,
    },
    /// A dataset without samples, or with zero-width inputs or targets.
    #[error(
        "expected at least one sample with at least one input and one target; found {rows} rows of {inputs} inputs and {targets} targets"
    )]
    EmptyData {
        /// Rows given.
        rows: usize,
        /// Input width given.
        inputs: usize,
        /// Target width given.
        targets: usize,
    },
    /// A NaN or infinite value in data or parameters.
    #[error("expected finite numbers in the {what}; found {value} at row {row}, column {column}")]
    NonFinite {
        /// Which matrix: `inputs`, `targets`, `weights` or `bias`.
        what: String,
        /// The row of the value.
        row: usize,
        /// The column of the value.
        column: usize,
        /// The value itself (NaN or ±inf).
        value: f64,
    },
    /// A learning rate that is not a positive finite number.
    #[error("expected a learning rate that is a positive finite number; found {found}")]
    InvalidRate {
        /// The rate given.
        found: f64,
    },
    /// A finite-difference step that is not a positive finite number.
    #[error("expected a finite-difference step that is a positive finite number; found {found}")]
    InvalidStep {
        /// The step given.
        found: f64,
    },
    /// An initialisation range that is empty or not finite.
    #[error(
        "expected an initialisation range with finite low < high and a finite width; found [{low}, {high})"
    )]
    InvalidInit {
        /// The lower bound given.
        low: f64,
        /// The upper bound given.
        high: f64,
    },
    /// A chunking of zero rows per chunk.
    #[error("expected at least 1 row per chunk; found 0")]
    InvalidChunkRows,
    /// A mini-batch size of zero.
    #[error("expected a batch size of at least 1 (or none, for the whole dataset); found 0")]
    InvalidBatchSize,
    /// A batch with more rows than the workspace was built for.
    #[error("the workspace holds {capacity} rows; the batch has {rows}")]
    BatchTooLarge {
        /// The rows the workspace was built for.
        capacity: usize,
        /// The rows of the batch.
        rows: usize,
    },
    /// A workspace or gradient built for another network.
    #[error("the {what} was built for architecture {expected}; the network is {found}")]
    ShapeMismatch {
        /// `workspace` or `gradient`.
        what: &'static str,
        /// The architecture it was built for.
        expected: String,
        /// The network's architecture.
        found: String,
    },
    /// A network, a trainer or a training run whose buffers would take more memory than the
    /// limit allows: refused before anything is allocated.
    #[error(
        "{what} would take {} of memory; the limit is {} (raise it with {raise} if the \
         machine has the memory)",
        crate::memory::Bytes(*bytes),
        crate::memory::Bytes(Some(*limit))
    )]
    MemoryLimit {
        /// What would be built: `a 100000-100000-100000 network of f32`.
        what: String,
        /// The bytes it would take; `None` for more than a `u64` counts.
        bytes: Option<u64>,
        /// The limit, in bytes.
        limit: u64,
        /// The setting that raises the limit: `TrainConfig::memory_limit`, or a command's
        /// `--memory-limit`.
        raise: &'static str,
    },
    /// Training whose cost, gradient or update stopped being finite.
    #[error(
        "training diverged at epoch {epoch}: the {what} is not finite (try a smaller learning \
         rate); the parameters are the last finite ones, from before the step that failed"
    )]
    Diverged {
        /// The epoch (counting from 0) whose step failed. With mini-batches the steps of
        /// the epoch before the failing one stand: the parameters are those after the last
        /// step that succeeded.
        epoch: usize,
        /// `cost`, `gradient` or `parameter update`.
        what: &'static str,
    },
    /// A validation fraction outside (0, 1), or one that leaves a side of the split empty.
    #[error(
        "expected a validation fraction between 0 and 1 that leaves at least one of the \
         {rows} samples on each side; found {fraction}"
    )]
    InvalidSplit {
        /// The fraction given.
        fraction: f64,
        /// The samples to split.
        rows: usize,
    },
    /// A row index past the end of a dataset.
    #[error("expected row indices below {rows} (the samples of the dataset); found {index}")]
    RowIndex {
        /// The index given.
        index: usize,
        /// The samples of the dataset.
        rows: usize,
    },
    /// An activation that is only valid on the output layer (softmax) on a hidden layer.
    #[error(
        "layer {index} is a hidden layer: expected an element-wise activation (sigmoid, tanh, \
         relu, leaky-relu or identity); found {found}, which is only valid on the output layer"
    )]
    OutputOnlyActivation {
        /// The layer, counting from 0.
        index: usize,
        /// The activation found.
        found: crate::Activation,
    },
    /// A loss paired with an output activation it does not work with (cross-entropy
    /// without softmax, binary cross-entropy without sigmoid).
    #[error("loss {loss} expects a {expected} output layer; found {found}")]
    LossOutputMismatch {
        /// The loss.
        loss: crate::Loss,
        /// The output activation the loss needs.
        expected: crate::Activation,
        /// The network's output activation.
        found: crate::Activation,
    },
    /// A matrix handed to a kernel with a shape other than the one the outputs give it
    /// (targets or an error buffer for [`Loss::output_delta_into`](crate::Loss::output_delta_into)).
    #[error(
        "expected the {what} to be {}×{}, as the outputs are; found {}×{}",
        expected.0, expected.1, found.0, found.1
    )]
    OperandShape {
        /// Which matrix: `targets` or `output error`.
        what: &'static str,
        /// The outputs' shape, rows × columns.
        expected: (usize, usize),
        /// The matrix's shape.
        found: (usize, usize),
    },
    /// A name on the command line (an optimizer, a schedule, an initialisation) that is not
    /// one of the known ones.
    #[error("expected {what} of {expected}; found {found:?}")]
    ParseSetting {
        /// What was being named, with its article: `an optimizer`, `a schedule`.
        what: &'static str,
        /// The names accepted.
        expected: &'static str,
        /// The string that was given.
        found: String,
    },
    /// A training setting (an optimizer's hyperparameter, the weight decay, the clipping
    /// norm, a schedule's parameter) outside the values it can take.
    #[error("expected the {setting} to be {expected}; found {found}")]
    InvalidSetting {
        /// The setting, such as `adam beta1` or `weight decay`.
        setting: &'static str,
        /// The values it can take, such as `in [0, 1)`.
        expected: &'static str,
        /// The value given.
        found: f64,
    },
    /// Optimizer state that does not fit the optimizer or the network it is used with.
    #[error("invalid optimizer state: {reason}")]
    InvalidOptimizerState {
        /// What is wrong, with the expected and the found.
        reason: String,
    },
    /// Early stopping asked for without validation data to watch.
    #[error("early stopping watches the validation cost: expected validation data; found none")]
    EarlyStoppingWithoutValidation,
    /// Early stopping with a patience of 0 epochs.
    #[error("expected a patience of at least 1 epoch; found 0")]
    InvalidPatience,
    /// Checkpoints every 0 epochs.
    #[error("expected checkpoints every 1 or more epochs; found 0")]
    InvalidCheckpointEvery,
    /// A checkpoint that cannot be written or read, or is damaged.
    #[error("checkpoint: {reason}")]
    Checkpoint {
        /// What went wrong, naming the file.
        reason: String,
    },
    /// A checkpoint resumed with other settings than it was saved with.
    #[error(
        "the checkpoint was saved with {setting} {saved}; this run has {found} (resume with \
         the settings of the saved run)"
    )]
    CheckpointMismatch {
        /// The setting that differs.
        setting: String,
        /// Its value in the checkpoint.
        saved: String,
        /// Its value in this run.
        found: String,
    },
}
