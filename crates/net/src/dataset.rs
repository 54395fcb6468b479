//! Inputs and targets, checked where they enter.

use ndarray::{Array2, NdFloat};

use crate::check::check_finite_matrix;
use crate::{Architecture, NetError};

/// A set of samples: inputs `X` (`n × d_0`) and targets `Y` (`n × d_L`), one row per sample.
///
/// Checked once, when built: at least one sample, one target row per input row, and only
/// finite numbers. Everything downstream (training, cost, gradients) relies on that.
///
/// ```
/// use ndarray::array;
/// use nn_net::{Dataset, NetError};
///
/// let nand = Dataset::new(
///     array![[0.0_f32, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]],
///     array![[1.0], [1.0], [1.0], [0.0]],
/// )?;
/// assert_eq!((nand.len(), nand.input_width(), nand.target_width()), (4, 2, 1));
///
/// let bad = Dataset::new(array![[0.0_f32, f32::NAN]], array![[1.0]]);
/// assert!(matches!(bad, Err(NetError::NonFinite { row: 0, column: 1, .. })));
/// # Ok::<(), NetError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<F> {
    inputs: Array2<F>,
    targets: Array2<F>,
}

impl<F: NdFloat> Dataset<F> {
    /// Checks and wraps inputs and targets.
    ///
    /// # Errors
    /// [`NetError::RowMismatch`] if the row counts differ; [`NetError::EmptyData`] for no
    /// rows or zero-width inputs or targets; [`NetError::NonFinite`] naming the first NaN or
    /// infinite value, its matrix, row and column.
    pub fn new(inputs: Array2<F>, targets: Array2<F>) -> Result<Self, NetError> {
        if inputs.nrows() != targets.nrows() {
            return Err(NetError::RowMismatch { inputs: inputs.nrows(), targets: targets.nrows() });
        }
        if inputs.is_empty() || targets.is_empty() {
            return Err(NetError::EmptyData {
                rows: inputs.nrows(),
                inputs: inputs.ncols(),
                targets: targets.ncols(),
            });
        }
        check_finite_matrix(|| "inputs".to_owned(), &inputs)?;
        check_finite_matrix(|| "targets".to_owned(), &targets)?;
        Ok(Dataset { inputs, targets })
    }

    /// The inputs, `n × d_0`.
    pub fn inputs(&self) -> &Array2<F> {
        &self.inputs
    }

    /// The targets, `n × d_L`.
    pub fn targets(&self) -> &Array2<F> {
        &self.targets
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        self.inputs.nrows()
    }

    /// Always `false`: a dataset has at least one sample.
    pub fn is_empty(&self) -> bool {
        self.inputs.nrows() == 0
    }

    /// The number of inputs per sample.
    pub fn input_width(&self) -> usize {
        self.inputs.ncols()
    }

    /// The number of targets per sample.
    pub fn target_width(&self) -> usize {
        self.targets.ncols()
    }

    /// The inputs and targets, taken back.
    pub fn into_parts(self) -> (Array2<F>, Array2<F>) {
        (self.inputs, self.targets)
    }

    /// Checks that the data fits a network's input and output sizes.
    ///
    /// # Errors
    /// [`NetError::InputWidth`] or [`NetError::TargetWidth`], with both widths.
    pub fn check_fits(&self, architecture: &Architecture) -> Result<(), NetError> {
        if self.input_width() != architecture.inputs() {
            return Err(NetError::InputWidth {
                expected: architecture.inputs(),
                found: self.input_width(),
            });
        }
        if self.target_width() != architecture.outputs() {
            return Err(NetError::TargetWidth {
                expected: architecture.outputs(),
                found: self.target_width(),
            });
        }
        Ok(())
    }
}
