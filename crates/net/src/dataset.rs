//! Inputs and targets, checked where they enter.

use ndarray::{Array2, Axis, NdFloat, s};
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::seq::SliceRandom;

use crate::check::check_finite_matrix;
use crate::{Architecture, NetError, Normalization};

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

/// Subsets, splits and normalisation: the steps between a loaded file and training.
impl<F: NdFloat> Dataset<F> {
    /// The samples at `rows`, in that order (an index may repeat).
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_net::Dataset;
    ///
    /// let data = Dataset::new(array![[0.0_f32], [1.0], [2.0]], array![[0.0], [10.0], [20.0]])?;
    /// let picked = data.select(&[2, 0])?;
    /// assert_eq!(picked.targets(), array![[20.0], [0.0]]);
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    ///
    /// # Errors
    /// [`NetError::RowIndex`] for an index past the last sample; [`NetError::EmptyData`]
    /// for no indices.
    pub fn select(&self, rows: &[usize]) -> Result<Self, NetError> {
        if let Some(&index) = rows.iter().find(|&&i| i >= self.len()) {
            return Err(NetError::RowIndex { index, rows: self.len() });
        }
        Dataset::new(self.inputs.select(Axis(0), rows), self.targets.select(Axis(0), rows))
    }

    /// The first `n` samples, or all of them if there are fewer: a quick run on part of a
    /// large dataset.
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_net::Dataset;
    ///
    /// let data = Dataset::new(array![[0.0_f32], [1.0], [2.0]], array![[0.0], [1.0], [0.0]])?;
    /// assert_eq!(data.take(2)?.len(), 2);
    /// assert_eq!(data.take(10)?.len(), 3);
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    ///
    /// # Errors
    /// [`NetError::EmptyData`] for `n = 0`.
    pub fn take(&self, n: usize) -> Result<Self, NetError> {
        let n = n.min(self.len());
        Dataset::new(
            self.inputs.slice(s![..n, ..]).to_owned(),
            self.targets.slice(s![..n, ..]).to_owned(),
        )
    }

    /// Splits the samples in two at random: `(training, validation)`, the validation part
    /// `round(fraction · n)` samples. The seed fixes the split; each part keeps the
    /// samples in their original order.
    ///
    /// ```
    /// use ndarray::Array2;
    /// use nn_net::{Dataset, NetError};
    ///
    /// let data = Dataset::new(
    ///     Array2::from_shape_fn((10, 1), |(i, _)| i as f32),
    ///     Array2::zeros((10, 1)),
    /// )?;
    /// let (train, validation) = data.split(0.2, 42)?;
    /// assert_eq!((train.len(), validation.len()), (8, 2));
    /// assert_eq!(data.split(0.2, 42)?, (train, validation));
    /// assert!(matches!(data.split(1.0, 42), Err(NetError::InvalidSplit { .. })));
    /// # Ok::<(), NetError>(())
    /// ```
    ///
    /// # Errors
    /// [`NetError::InvalidSplit`] for a fraction not strictly between 0 and 1, or one
    /// that leaves either part without samples.
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(Self, Self), NetError> {
        let n = self.len();
        let invalid = || NetError::InvalidSplit { fraction, rows: n };
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(invalid());
        }
        let held_out = (fraction * n as f64).round() as usize;
        if held_out == 0 || held_out >= n {
            return Err(invalid());
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        let (validation, train) = order.split_at_mut(held_out);
        validation.sort_unstable();
        train.sort_unstable();
        Ok((self.select(train)?, self.select(validation)?))
    }

    /// Maps the inputs with `normalization` (fitted on the training inputs, and applied
    /// alike to every set that the model sees).
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_net::{Dataset, Normalization, NormalizationKind};
    ///
    /// let mut data = Dataset::new(array![[0.0_f32], [255.0]], array![[0.0], [1.0]])?;
    /// let scale = Normalization::fit(NormalizationKind::Scale, data.inputs());
    /// data.normalize(&scale)?;
    /// assert_eq!(data.inputs(), array![[0.0], [1.0]]);
    /// # Ok::<(), nn_net::NetError>(())
    /// ```
    ///
    /// # Errors
    /// [`NetError::InputWidth`] if the map is for another number of columns;
    /// [`NetError::NonFinite`] if a mapped input would not be finite (an extreme scale
    /// in `f32`), in which case the inputs are left as they were.
    pub fn normalize(&mut self, normalization: &Normalization) -> Result<(), NetError> {
        if normalization.width() != self.input_width() {
            return Err(NetError::InputWidth {
                expected: normalization.width(),
                found: self.input_width(),
            });
        }
        // Map a block of rows at a time into a scratch copy and check it, so that a map
        // that overflows is refused before the inputs change; then map them in place
        // (the same arithmetic, so the same numbers).
        const BLOCK: usize = 256;
        let mut scratch = Array2::zeros((BLOCK.min(self.len()), self.input_width()));
        for (k, block) in self.inputs.axis_chunks_iter(Axis(0), BLOCK).enumerate() {
            let mut mapped = scratch.slice_mut(s![..block.nrows(), ..]);
            mapped.assign(&block);
            normalization.apply(&mut mapped)?;
            check_finite_matrix(|| "normalized inputs".to_owned(), &mapped).map_err(
                |e| match e {
                    NetError::NonFinite { what, row, column, value } => {
                        NetError::NonFinite { what, row: row + k * BLOCK, column, value }
                    }
                    other => other,
                },
            )?;
        }
        normalization.apply(&mut self.inputs)
    }
}
