//! How well a network does on a dataset: the cost, and for classes the accuracy and the
//! confusion matrix.

use std::fmt;

use ndarray::{ArrayView1, ArrayView2, NdFloat, s};
use rayon::prelude::*;

use crate::check::cast;
use crate::{Dataset, Loss, Mlp, NetError, Workspace};

/// Rows per evaluation chunk: large enough for efficient products, small enough that a
/// chunk's workspace stays in cache-friendly sizes on MNIST-sized layers.
pub(crate) const EVALUATION_ROWS: usize = 1024;

/// The cost and, when the targets are classes, the accuracy of a network on a dataset.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metrics<F> {
    /// The mean loss over the samples.
    pub cost: F,
    /// The share of samples whose predicted class is the target class, in `[0, 1]`; `None`
    /// when the targets are not classes (see [`target_class`]).
    pub accuracy: Option<f64>,
    /// The number of samples.
    pub samples: usize,
}

/// The class a row of targets stands for, or `None` if the row is not a class: a one-hot
/// row (one 1, the rest 0) of two or more columns is the index of its 1; a single column
/// of 0 or 1 is that value (binary classification).
pub fn target_class<F: NdFloat>(row: ArrayView1<'_, F>) -> Option<usize> {
    if row.len() == 1 {
        let v = row[0];
        return if v == F::zero() {
            Some(0)
        } else if v == F::one() {
            Some(1)
        } else {
            None
        };
    }
    let mut hot = None;
    for (j, &v) in row.iter().enumerate() {
        if v == F::one() && hot.is_none() {
            hot = Some(j);
        } else if v != F::zero() {
            return None;
        }
    }
    hot
}

/// The class a row of outputs predicts: the index of the largest output (the first of
/// equal ones) for two or more columns; for a single output, 1 when it is at least ½.
pub fn predicted_class<F: NdFloat>(row: ArrayView1<'_, F>) -> usize {
    if row.len() == 1 {
        return usize::from(row[0] >= cast::<F>(0.5));
    }
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}

/// Counts of (target class, predicted class) pairs.
///
/// ```
/// use ndarray::array;
/// use nn_net::{Activation, Dataset, Init, Mlp, confusion_matrix};
/// use nn_net::rand::{SeedableRng, rngs::StdRng};
///
/// let data = Dataset::new(array![[0.0_f32], [1.0]], array![[0.0], [1.0]])?;
/// let net = Mlp::new(&"1-1".parse()?, &[Activation::Identity], Init::default(), &mut StdRng::seed_from_u64(0))?;
/// let matrix = confusion_matrix(&net, &data)?;
/// assert_eq!(matrix.classes(), 2);
/// assert_eq!(matrix.total(), 2);
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An empty matrix of `classes × classes`.
    pub fn new(classes: usize) -> Self {
        ConfusionMatrix { classes, counts: vec![0; classes * classes] }
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// How many samples of class `target` were predicted as `predicted`.
    pub fn count(&self, target: usize, predicted: usize) -> u64 {
        if target < self.classes && predicted < self.classes {
            self.counts[target * self.classes + predicted]
        } else {
            0
        }
    }

    /// All the samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The samples on the diagonal: predicted as their own class.
    pub fn correct(&self) -> u64 {
        (0..self.classes).map(|c| self.count(c, c)).sum()
    }

    fn add(&mut self, target: usize, predicted: usize) {
        if target < self.classes && predicted < self.classes {
            self.counts[target * self.classes + predicted] += 1;
        }
    }

    fn merge(&mut self, other: &ConfusionMatrix) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }
}

impl fmt::Display for ConfusionMatrix {
    /// Rows are target classes, columns predicted classes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.counts.iter().max().map_or(1, |m| m.to_string().len()).max(3);
        write!(f, "{:>w$}", "t\\p", w = width)?;
        for p in 0..self.classes {
            write!(f, " {p:>width$}")?;
        }
        writeln!(f)?;
        for t in 0..self.classes {
            write!(f, "{t:>width$}")?;
            for p in 0..self.classes {
                write!(f, " {:>width$}", self.count(t, p))?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// What one chunk of rows contributes: its summed loss and its class counts.
struct ChunkTally<F> {
    loss_sum: F,
    matrix: ConfusionMatrix,
    unclassed: usize,
}

/// Feed-forward over `data` in chunks spread over the current rayon pool; the chunks'
/// tallies are combined in chunk order, so the result is the same on any number of threads.
fn tally<F: NdFloat>(
    mlp: &Mlp<F>,
    data: &Dataset<F>,
    loss: Loss,
) -> Result<ChunkTally<F>, NetError> {
    data.check_fits(mlp.architecture())?;
    let classes = mlp.outputs().max(2);
    let rows = EVALUATION_ROWS.min(data.len());
    let chunks = data.len().div_ceil(rows);
    let chunk_tallies: Vec<ChunkTally<F>> = (0..chunks)
        .into_par_iter()
        .map_init(
            || Workspace::new(mlp, rows),
            |workspace, k| {
                let range = k * rows..((k + 1) * rows).min(data.len());
                let x = data.inputs().slice(s![range.clone(), ..]);
                let y = data.targets().slice(s![range, ..]);
                chunk_tally(mlp, workspace, x, y, loss, classes)
            },
        )
        .collect();
    let mut total =
        ChunkTally { loss_sum: F::zero(), matrix: ConfusionMatrix::new(classes), unclassed: 0 };
    for chunk in &chunk_tallies {
        total.loss_sum += chunk.loss_sum;
        total.matrix.merge(&chunk.matrix);
        total.unclassed += chunk.unclassed;
    }
    Ok(total)
}

fn chunk_tally<F: NdFloat>(
    mlp: &Mlp<F>,
    workspace: &mut Workspace<F>,
    x: ArrayView2<'_, F>,
    y: ArrayView2<'_, F>,
    loss: Loss,
    classes: usize,
) -> ChunkTally<F> {
    let rows = cast::<F>(x.nrows() as f64);
    let loss_sum = mlp.cost_unchecked(workspace, &x, &y, loss) * rows;
    let mut matrix = ConfusionMatrix::new(classes);
    let mut unclassed = 0;
    let outputs = workspace.activations(mlp.layers().len() - 1, x.nrows());
    for (a, t) in outputs.rows().into_iter().zip(y.rows()) {
        match target_class(t) {
            Some(target) => matrix.add(target, predicted_class(a)),
            None => unclassed += 1,
        }
    }
    ChunkTally { loss_sum, matrix, unclassed }
}

/// The cost of `mlp` on `data` and, when every target row is a class, the accuracy.
///
/// Runs in chunks over the current rayon pool with the same result on any number of
/// threads.
///
/// # Errors
/// [`NetError::InputWidth`] or [`NetError::TargetWidth`] if the data does not fit.
pub fn evaluate<F: NdFloat>(
    mlp: &Mlp<F>,
    data: &Dataset<F>,
    loss: Loss,
) -> Result<Metrics<F>, NetError> {
    Ok(evaluate_with_confusion(mlp, data, loss)?.0)
}

/// The confusion matrix of `mlp` on `data`: target classes against predicted ones. Rows
/// whose targets are not classes are left out.
///
/// # Errors
/// [`NetError::InputWidth`] or [`NetError::TargetWidth`] if the data does not fit.
pub fn confusion_matrix<F: NdFloat>(
    mlp: &Mlp<F>,
    data: &Dataset<F>,
) -> Result<ConfusionMatrix, NetError> {
    Ok(evaluate_with_confusion(mlp, data, Loss::default())?.1)
}

/// [`evaluate`] and [`confusion_matrix`] from one feed-forward pass over the data.
///
/// # Errors
/// [`NetError::InputWidth`] or [`NetError::TargetWidth`] if the data does not fit.
pub fn evaluate_with_confusion<F: NdFloat>(
    mlp: &Mlp<F>,
    data: &Dataset<F>,
    loss: Loss,
) -> Result<(Metrics<F>, ConfusionMatrix), NetError> {
    let total = tally(mlp, data, loss)?;
    let n = data.len();
    let accuracy = (total.unclassed == 0).then(|| total.matrix.correct() as f64 / n as f64);
    let metrics = Metrics { cost: total.loss_sum / cast(n as f64), accuracy, samples: n };
    Ok((metrics, total.matrix))
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    #[test]
    fn classes_of_targets_and_outputs() {
        assert_eq!(target_class(array![0.0_f32, 1.0, 0.0].view()), Some(1));
        assert_eq!(target_class(array![0.0_f32, 0.5, 0.5].view()), None);
        assert_eq!(target_class(array![1.0_f32, 1.0].view()), None);
        assert_eq!(target_class(array![0.0_f32, 0.0].view()), None);
        assert_eq!(target_class(array![1.0_f64].view()), Some(1));
        assert_eq!(target_class(array![0.3_f64].view()), None);
        assert_eq!(predicted_class(array![0.1_f32, 0.7, 0.2].view()), 1);
        assert_eq!(predicted_class(array![0.5_f32, 0.5].view()), 0);
        assert_eq!(predicted_class(array![0.5_f32].view()), 1);
        assert_eq!(predicted_class(array![0.49_f32].view()), 0);
    }

    #[test]
    fn the_matrix_counts_and_prints() {
        let mut m = ConfusionMatrix::new(2);
        m.add(0, 0);
        m.add(0, 1);
        m.add(1, 1);
        m.add(5, 0); // out of range: ignored
        assert_eq!((m.total(), m.correct(), m.count(0, 1)), (3, 2, 1));
        assert_eq!(m.to_string(), "t\\p   0   1\n  0   1   1\n  1   0   1\n");
    }
}
