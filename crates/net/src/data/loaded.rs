//! What a loader returns: the dataset and what is known of its labels.

use crate::Dataset;

/// A loaded dataset, with the class count when the targets are one-hot classes.
///
/// Keep `classes` to load a test set with the same count
/// ([`Targets::Classes`](super::Targets::Classes) `{ count: Some(c) }` or
/// [`IdxOptions::classes`](super::IdxOptions::classes)), so its targets have the training
/// set's width even if it lacks the last class.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded<F> {
    /// The samples: inputs as read, targets one-hot or as read.
    pub dataset: Dataset<F>,
    /// The number of classes for one-hot targets; `None` for regression targets.
    pub classes: Option<usize>,
}
