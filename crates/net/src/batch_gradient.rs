//! The cost and gradient of a batch, summed over chunks by a fixed tree in parallel.

use ndarray::{ArrayRef2, ArrayView2, NdFloat, s};

use crate::check::cast;
use crate::{Chunking, Gradient, Loss, Mlp, NetError, Workspace};

/// Whether a chunk runs its own feed-forward before back-propagation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    ForwardAndBackward,
    BackwardOnly,
}

/// One chunk's buffers and its partial loss sum.
#[derive(Clone, Debug)]
struct Chunk<F> {
    workspace: Workspace<F>,
    gradient: Gradient<F>,
    loss_sum: F,
}

/// Computes the cost and gradient of a batch by back-propagation, spread over the cores of
/// the rayon pool it is called from, with a result that is the same to the last bit
/// whatever the number of threads.
///
/// The batch is cut by a [`Chunking`] (from the batch size alone, never from the thread
/// count). Each chunk's loss sum and gradient sum are computed serially into its
/// own buffers; the chunk sums are then combined by a fixed binary tree over the chunk
/// indices: split at the middle, run the halves with `rayon::join`, add the right half's
/// sum into the left's. The tree's shape depends only on the number of chunks, so 1 thread
/// and 64 add the same numbers in the same order. The sum is divided by `n` once, at the
/// end. A batch below the chunking's work threshold is one chunk, computed directly.
///
/// All buffers are built once, in [`BatchGradient::new`], for batches up to a capacity.
///
/// ```
/// use ndarray::Array2;
/// use nn_net::{Activation, BatchGradient, Chunking, Init, Loss, Mlp};
/// use nn_net::rand::{SeedableRng, rngs::StdRng};
///
/// let mut rng = StdRng::seed_from_u64(1);
/// let net = Mlp::<f64>::new(&"20-30-4".parse()?, &[Activation::Tanh; 2], Init::Uniform { low: -0.5, high: 0.5 }, &mut rng)?;
/// let x = Array2::from_shape_fn((300, 20), |(i, j)| ((i * 7 + j) % 11) as f64 / 11.0);
/// let y = Array2::from_shape_fn((300, 4), |(i, j)| ((i + j) % 2) as f64);
///
/// let chunking = Chunking { rows: 64, max_chunks: 8, min_work: 0 };
/// let mut batch = BatchGradient::new(&net, 300, chunking)?;
/// let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
/// let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// let cost_1 = one.install(|| batch.compute(&net, &x, &y, Loss::MeanSquaredError))?;
/// let gradient_1 = batch.gradient().clone();
/// let cost_2 = two.install(|| batch.compute(&net, &x, &y, Loss::MeanSquaredError))?;
/// assert_eq!(cost_1.to_bits(), cost_2.to_bits());
/// assert_eq!(&gradient_1, batch.gradient()); // bit for bit
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Debug)]
pub struct BatchGradient<F> {
    chunking: Chunking,
    capacity: usize,
    parameters: usize,
    /// Chunk 0 holds the whole capacity (it is the only chunk below the work threshold);
    /// the others hold the largest chunk of any batch up to the capacity.
    chunks: Vec<Chunk<F>>,
    /// The rows of the last forward pass, so `backward` can check it follows one.
    forward_rows: Option<usize>,
}

impl<F: NdFloat> BatchGradient<F> {
    /// Buffers for `mlp` and batches of up to `capacity` rows, cut by `chunking`.
    ///
    /// # Errors
    /// [`NetError::InvalidChunkRows`] for a chunking of zero rows; [`NetError::MemoryLimit`]
    /// for buffers over [`DEFAULT_MEMORY_LIMIT`](crate::DEFAULT_MEMORY_LIMIT), 8 GiB (see
    /// [`BatchGradient::with_memory_limit`]).
    pub fn new(mlp: &Mlp<F>, capacity: usize, chunking: Chunking) -> Result<Self, NetError> {
        Self::with_memory_limit(mlp, capacity, chunking, crate::DEFAULT_MEMORY_LIMIT)
    }

    /// [`BatchGradient::new`] with buffers of up to `memory_limit` bytes: more is refused
    /// before anything is allocated.
    ///
    /// # Errors
    /// As [`BatchGradient::new`], with `memory_limit` for the limit.
    pub fn with_memory_limit(
        mlp: &Mlp<F>,
        capacity: usize,
        chunking: Chunking,
        memory_limit: u64,
    ) -> Result<Self, NetError> {
        chunking.check()?;
        let arch = mlp.architecture();
        crate::memory::check_memory(
            || format!("the buffers of {arch} for batches of {capacity} rows"),
            crate::memory::batch_gradient_bytes::<F>(arch, capacity, chunking),
            memory_limit,
            "BatchGradient::with_memory_limit",
        )?;
        let parameters = mlp.parameter_count();
        let count = chunking.count(capacity, parameters);
        let chunks = (0..count)
            .map(|i| {
                let rows =
                    if i == 0 { capacity } else { chunking.largest_chunk(capacity, parameters) };
                Chunk {
                    workspace: Workspace::new(mlp, rows),
                    gradient: Gradient::zeros(mlp),
                    loss_sum: F::zero(),
                }
            })
            .collect();
        Ok(BatchGradient { chunking, capacity, parameters, chunks, forward_rows: None })
    }

    /// The largest batch the buffers hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The chunking the batch is cut by.
    pub fn chunking(&self) -> Chunking {
        self.chunking
    }

    /// The number of chunks a batch of `rows` rows is cut into.
    pub fn chunk_count(&self, rows: usize) -> usize {
        self.chunking.count(rows, self.parameters)
    }

    /// The cost `C = (1/n) Σ_i loss(a_i, y_i)` of a batch, with its gradient `∂C/∂θ` left
    /// in [`BatchGradient::gradient`]: feed-forward and back-propagation chunk by chunk,
    /// in parallel in the current rayon pool.
    ///
    /// # Errors
    /// The batch errors of [`Mlp::gradient_into`] ([`NetError::InputWidth`],
    /// [`NetError::TargetWidth`], [`NetError::RowMismatch`], [`NetError::EmptyData`],
    /// [`NetError::BatchTooLarge`], [`NetError::ShapeMismatch`]);
    /// [`NetError::LossOutputMismatch`] if the loss does not work with the output
    /// activation.
    ///
    /// # Shapes
    /// `x` is `n × d_0` and `y` is `n × d_L`, with `0 < n ≤` [`BatchGradient::capacity`].
    pub fn compute(
        &mut self,
        mlp: &Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        loss: Loss,
    ) -> Result<F, NetError> {
        self.check(mlp, x, y, loss)?;
        self.forward_rows = Some(x.nrows());
        Ok(self.compute_unchecked(mlp, x.view(), y.view(), loss))
    }

    /// The feed-forward half of [`BatchGradient::compute`], alone: for profiling the two
    /// halves separately (as `nn bench` does). Follow it with [`BatchGradient::backward`]
    /// on the same batch.
    ///
    /// # Errors
    /// As [`BatchGradient::compute`], for the inputs.
    pub fn forward(&mut self, mlp: &Mlp<F>, x: &ArrayRef2<F>) -> Result<(), NetError> {
        self.chunks[0].workspace.check_fits(mlp)?;
        mlp.check_input_width(x.ncols())?;
        self.chunks[0].workspace.check_rows(x.nrows())?;
        let (x, n) = (x.view(), x.nrows());
        let (chunking, count) = (self.chunking, self.chunk_count(n));
        for_each_chunk(&mut self.chunks[..count], 0, &|i, chunk| {
            let rows = chunking.range(i, count, n);
            mlp.forward_unchecked(&mut chunk.workspace, &x.slice(s![rows, ..]));
        });
        self.forward_rows = Some(n);
        Ok(())
    }

    /// The back-propagation half of [`BatchGradient::compute`], after
    /// [`BatchGradient::forward`] on the same inputs `x`: returns the cost and leaves the
    /// gradient in [`BatchGradient::gradient`], bit for bit what `compute` gives.
    ///
    /// # Errors
    /// As [`BatchGradient::compute`]; [`NetError::RowMismatch`] if the last forward pass
    /// was over a different number of rows (or there was none).
    pub fn backward(
        &mut self,
        mlp: &Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        loss: Loss,
    ) -> Result<F, NetError> {
        self.check(mlp, x, y, loss)?;
        if self.forward_rows != Some(x.nrows()) {
            return Err(NetError::RowMismatch {
                inputs: self.forward_rows.unwrap_or(0),
                targets: y.nrows(),
            });
        }
        Ok(self.sum_over_chunks(mlp, x.view(), y.view(), loss, Pass::BackwardOnly))
    }

    /// The gradient of the last [`BatchGradient::compute`] or [`BatchGradient::backward`].
    pub fn gradient(&self) -> &Gradient<F> {
        &self.chunks[0].gradient
    }

    /// `compute`, everything already checked.
    pub(crate) fn compute_unchecked(
        &mut self,
        mlp: &Mlp<F>,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        loss: Loss,
    ) -> F {
        self.sum_over_chunks(mlp, x, y, loss, Pass::ForwardAndBackward)
    }

    /// Each chunk's loss and gradient sums (after its own feed-forward, or after the one
    /// [`BatchGradient::forward`] left), added up the tree and divided by `n`: the cost.
    fn sum_over_chunks(
        &mut self,
        mlp: &Mlp<F>,
        x: ArrayView2<'_, F>,
        y: ArrayView2<'_, F>,
        loss: Loss,
        pass: Pass,
    ) -> F {
        let n = x.nrows();
        let (chunking, count) = (self.chunking, self.chunk_count(n));
        let inverse_n = F::one() / cast::<F>(n as f64);
        let chunks = &mut self.chunks[..count];
        // One chunk is the whole batch and its gradient the batch's: its sums are scaled
        // by `1/n` as they are written. Several are scaled at the tree's root.
        let scale = if count == 1 { inverse_n } else { F::one() };
        let work = |i, chunk: &mut Chunk<F>| {
            // One chunk is the whole batch: no view to cut (a slice costs more than a
            // small network's step does arithmetic).
            let (x, y) = if count == 1 {
                (x.view(), y.view())
            } else {
                let rows = chunking.range(i, count, n);
                (x.slice(s![rows.clone(), ..]), y.slice(s![rows, ..]))
            };
            if pass == Pass::ForwardAndBackward {
                mlp.forward_unchecked(&mut chunk.workspace, &x);
            }
            chunk.loss_sum = mlp.backward_sums_unchecked(
                &mut chunk.workspace,
                (&x, &y),
                loss,
                &mut chunk.gradient,
                scale,
            );
        };
        if count == 1 {
            // One chunk is the serial path, below the work worth spreading: no rayon, no
            // tree (its closure and join cost more than a small network's step).
            let first = &mut chunks[0];
            work(0, first);
            return first.loss_sum / cast::<F>(n as f64);
        }
        run_tree(
            chunks,
            0,
            &work,
            // The last addition, at the root, also divides by `n`: one pass over the
            // gradient fewer, and the same bits as adding then scaling.
            &|into: &mut Chunk<F>, from: &Chunk<F>, root: bool| {
                into.gradient
                    .add_then_scale(&from.gradient, if root { inverse_n } else { F::one() });
                into.loss_sum += from.loss_sum;
            },
        );
        self.chunks[0].loss_sum / cast::<F>(n as f64)
    }

    /// The O(1) checks of a batch and a loss against the network and the buffers: once
    /// per call, before any chunk runs.
    pub(crate) fn check(
        &self,
        mlp: &Mlp<F>,
        x: &ArrayRef2<F>,
        y: &ArrayRef2<F>,
        loss: Loss,
    ) -> Result<(), NetError> {
        mlp.check_batch(&self.chunks[0].workspace, x, y)?;
        self.chunks[0].gradient.check_fits(mlp)?;
        loss.check_output(mlp.output_activation())
    }

    /// The whole-capacity workspace and gradient of chunk 0, for the serial
    /// finite-difference path.
    pub(crate) fn first_chunk_mut(&mut self) -> (&mut Workspace<F>, &mut Gradient<F>) {
        let first = &mut self.chunks[0];
        (&mut first.workspace, &mut first.gradient)
    }
}

/// Runs `work` on every chunk by the fixed tree: split the range at the middle, run the
/// halves with `rayon::join`, then `combine` the right half's first chunk into the left's
/// (`root` tells the last combination, of the whole range). The order of every combination
/// depends only on `chunks.len()`, so the total, which ends in `chunks[0]`, is the same on
/// any number of threads.
fn run_tree<F, W, C>(chunks: &mut [Chunk<F>], first: usize, work: &W, combine: &C)
where
    F: NdFloat,
    W: Fn(usize, &mut Chunk<F>) + Sync,
    C: Fn(&mut Chunk<F>, &Chunk<F>, bool) + Sync,
{
    fn walk<F, W, C>(chunks: &mut [Chunk<F>], first: usize, root: bool, work: &W, combine: &C)
    where
        F: NdFloat,
        W: Fn(usize, &mut Chunk<F>) + Sync,
        C: Fn(&mut Chunk<F>, &Chunk<F>, bool) + Sync,
    {
        match chunks {
            [] => {}
            [only] => work(first, only),
            _ => {
                let mid = chunks.len() / 2;
                let (left, right) = chunks.split_at_mut(mid);
                rayon::join(
                    || walk(left, first, false, work, combine),
                    || walk(right, first + mid, false, work, combine),
                );
                combine(&mut left[0], &right[0], root);
            }
        }
    }
    walk(chunks, first, true, work, combine);
}

/// Runs `work` on every chunk, in parallel, combining nothing.
fn for_each_chunk<F, W>(chunks: &mut [Chunk<F>], first: usize, work: &W)
where
    F: NdFloat,
    W: Fn(usize, &mut Chunk<F>) + Sync,
{
    run_tree(chunks, first, work, &|_, _, _| {});
}
