//! Our own matrix product, `C ← α·A·B + β·C`, allocation-free once warm.
//!
//! Files: this one holds the entry points and the three algorithms' drivers; [`pack`] the
//! packing; [`kernel`] the micro-kernels in plain Rust (the portable copy, and the tiny
//! product); [`simd`] the same kernels with AVX-512 and AVX2 intrinsics; [`dispatch`] the
//! run-time choice of instruction set, and the `unsafe` calls into code compiled for it.
//!
//! # Three paths, chosen by shape ([`choose`])
//!
//! - **Tiny** (`m·k·n ≤ 32`, the NAND and XOR lessons): element by element, straight from
//!   the operands, no scratch; what it saves is per-call overhead.
//! - **Direct**: B packed into panels `NR` columns wide, A read where it lies, all rows of C
//!   swept per panel by [`kernel::direct`]. Taken when B is a single panel, or A is
//!   row-major, small enough to stay in L2 and reread by a few panels only: then packing A
//!   would cost more than it saves (the adder's `256×8 · 8×16`, a batch of 64 through a
//!   784-128 layer). A row-major B of up to three vectors' width that fits in L1 is not
//!   packed at all: the narrow kernel (AVX-512 and AVX2) reads it where it lies and sweeps
//!   all of its columns at once, the last vector masked; a column-major one (`Δ·Wᵀ`) is
//!   copied row-major first (a small network's every product: the 5-bit adder's
//!   `28×10 · 10×20` was two passes over A, one for 16 columns and one for 4 of a panel of
//!   8, after a copy of B into the panels).
//! - **Blocked** (Goto / BLIS), for the rest:
//!
//! ```text
//! for jc in steps of NC over the columns of C            (B block: KC × NC, in L2)
//!   for pc in steps of KC over k                         pack B[pc.., jc..] into panels of NR
//!     for ic in steps of MC over the rows of C           (A block: MC × KC, in L1)
//!       pack α·A[ic.., pc..] into panels of MR
//!       for jr in steps of NR                            (B panel: KC × NR, from L2)
//!         for ir in steps of MR                          (A panels stay in L1)
//!           micro-kernel: C[MR × NR tile] (+)= A panel · B panel
//! ```
//!
//! With AVX-512, MC is one or two tiles tall (24 KiB of A, half of L1) and the B block is
//! sized for L2, rather than the textbook's A block in L2 and B panel in L1: then C is
//! written a few rows at a time, front to back, which the hardware prefetcher follows. With
//! an A block 96 rows tall, each panel of B moved on to 96 rows of C at once, 96 pages in
//! flight; a cold C of the weight gradient (`1024 × 64 · 64 × 1024`, 4 MiB of C for each
//! chunk of 64 rows) was then written at the latency of memory.
//!
//! # No allocation once warm
//!
//! The packing buffers live in a thread-local [`Scratch`] per float type, grown to the
//! largest size a thread has needed and never shrunk: after the first call of a given size
//! on a thread, a call allocates nothing.
//!
//! # Numerics
//!
//! Every element of `C` is a single chain of (fused, where the CPU has FMA) multiply-adds
//! `c = (α·a[i, p])·b[p, j] + c` over `p` in order, from zero (or from `β·C`), continued
//! across blocks of `k` through `C` itself. So the result depends only on the inputs, their
//! shapes and the CPU's instruction set, never on the thread; and for `α = 1` the three
//! paths, and the AVX-512 and AVX2 kernels, give the same bits, and a row of `C` does not
//! depend on how many other rows are computed with it.

mod dispatch;
mod kernel;
mod pack;
#[cfg(target_arch = "x86_64")]
mod simd;

use std::any::Any;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayRef2, ArrayView1, ArrayView2, NdFloat, s};

pub(crate) use dispatch::Isa;
use dispatch::{Element, Tile};

/// `c ← alpha · a · b + beta · c`, the general matrix product, into `c`.
///
/// Operands may be any 2-D arrays or views: transposed (`x.t()`), column-major, or strided
/// slices; they are read through their strides, never copied by the caller. When `beta` is
/// zero, `c` is only written, never read (so it may hold NaN beforehand), matching ndarray's
/// `general_mat_mul`. With `k = 0` the product is empty and `c` becomes `beta · c`.
///
/// After the first call of a given size on a thread, calls allocate nothing: the packing
/// buffers are thread-local and reused. The work runs on the calling thread; the result is
/// the same to the last bit for the same inputs and shapes, whichever thread runs it.
///
/// # Shapes
/// `a` is `m × k`, `b` is `k × n`, `c` is `m × n`.
///
/// # Panics
/// If the shapes disagree; the message names all three.
///
/// # Example
///
/// ```
/// use ndarray::array;
/// use nn_tensor::gemm_into;
///
/// let a = array![[1.0_f32, 2.0], [3.0, 4.0]];
/// let b = array![[5.0_f32], [6.0]];
/// let mut c = array![[1.0_f32], [1.0]];
/// gemm_into(2.0, &a, &b, 10.0, &mut c);
/// // 2·[1·5 + 2·6, 3·5 + 4·6] + 10·[1, 1] = [2·17 + 10, 2·39 + 10]
/// assert_eq!(c, array![[44.0], [88.0]]);
/// ```
#[track_caller]
pub fn gemm_into<F: NdFloat>(
    alpha: F,
    a: &ArrayRef2<F>,
    b: &ArrayRef2<F>,
    beta: F,
    c: &mut ArrayRef2<F>,
) {
    let ((m, k), (k2, n)) = (a.dim(), b.dim());
    assert!(
        k == k2 && c.dim() == (m, n),
        "gemm_into: a is {m}×{k} and b is {k2}×{n}, so c must be {m}×{n} with equal inner \
         sizes; c is {}×{}",
        c.nrows(),
        c.ncols(),
    );
    product(Path::Auto, Isa::detect(), alpha, a.view(), b.view(), beta, None, c);
}

/// Which algorithm a product takes: chosen by shape, or forced by the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// By shape (see [`choose`]).
    Auto,
    /// Straight from the operands, no scratch ([`kernel::tiny`]).
    Tiny,
    /// A where it lies, B packed ([`direct`]).
    Direct,
    /// Both packed, in cache blocks ([`blocked`]).
    Blocked,
}

/// Up to this many multiply-adds (`m·k·n`), a product takes the tiny path (the lessons' NAND
/// and XOR products, 8 and 16; at 64 the direct path was already faster).
const TINY_WORK: usize = 32;

/// Up to this size of A in bytes, half the L2 cache of the machine the block sizes were
/// tuned on (2 MiB per core), a row-major A may be read where it lies (see [`choose`]).
const DIRECT_A_BYTES: usize = 1024 * 1024;

/// Up to this many panels of B (`⌈n / NR⌉`), a row-major A may be read where it lies: each
/// panel rereads it, and past this count packing it once costs less than the rereads.
const DIRECT_PANELS: usize = 8;

/// The path for an `m × k · k × n` product of `E`, whose tile is `nr` columns wide; `a_rows`
/// says whether A is row-major.
///
/// The direct path reads A where it lies once per panel of `nr` columns of B, and packs
/// nothing but B; the blocked path packs A once, in blocks that fit the L2 cache, and
/// rereads the packed copy. So A is read directly when that costs no more: when B is one
/// panel (A is read once either way), or when A is row-major, fits comfortably in L2, and
/// is reread by a few panels only (784 × 128 layers: 4 panels of `f32`, 8 of `f64`).
/// A wide B (a 1024 × 1024 layer, 32 panels) takes the blocked path: its rereads of A,
/// rows `k` apart, were slower than packing A once (110 against 104 GFLOP/s at 64 rows,
/// 130 against 122 at 256, and 75 against 67 inside a training step). A column-major A (the
/// weight gradient's `Xᵀ`) takes it whenever B is wider than a panel: the direct kernel
/// reads it a step at a time, `m` values apart, and was slower at every shape but one
/// (1024 × 64 · 64 × 1024: 114 against 88 GFLOP/s; 784 × 1000 · 1000 × 128: 120 against
/// 83; 784 × 64 · 64 × 128: 148 against 159). A B narrow and small enough for the narrow
/// kernel (up to three vectors wide, in L1) takes the direct path whatever A's layout: one
/// pass over A, and no packing at all when B is row-major (a small network's weight
/// gradient, `(28 × 10)ᵀ · 28 × 20`).
fn choose<E>(m: usize, k: usize, n: usize, nr: usize, a_rows: bool) -> Path {
    if m * k * n <= TINY_WORK {
        Path::Tiny
    } else if n <= nr
        || narrow_fits::<E>(k, n, nr / 2)
        || (a_rows && n.div_ceil(nr) <= DIRECT_PANELS && m * k * size_of::<E>() <= DIRECT_A_BYTES)
    {
        Path::Direct
    } else {
        Path::Blocked
    }
}

/// `c ← α·a·b + β·c + 1·biasᵀ` with shapes already checked (`bias`, when given, holds `n`
/// values), on the given path and instruction set.
///
/// The bias is added last, one addition of `bias[j]` to each value after its product's
/// chain: the bits of the product followed by [`crate::add_row_into`]. On the direct path
/// (a small product, [`choose`]) the narrow kernel adds it to each row as it stores it, and
/// the direct kernel's panels after them; every other path adds it after the product. In
/// the narrow kernel that saves a pass over C: a small network's feed-forward spent about
/// 1,400 of the 5-bit adder's 25,000 instructions a step on the bias pass over `Z`
/// (callgrind).
///
/// The kernels exist for `f32` and `f64`. `F` is one of them when the function pointer
/// `typed_product::<f32>` (or `::<f64>`) has the type of `typed_product::<F>`: a safe
/// downcast through `Any`, a comparison of two constants, after which `F` is a concrete
/// type. Any other `NdFloat` type (ndarray implements the trait for those two only) is
/// handed to ndarray's `general_mat_mul`, which allocates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product<F: NdFloat>(
    path: Path,
    isa: Isa,
    alpha: F,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    beta: F,
    bias: Option<&[F]>,
    c: &mut ArrayRef2<F>,
) {
    let for_f32: ProductFn<f32> = typed_product::<f32>;
    let for_f64: ProductFn<f64> = typed_product::<f64>;
    if let Some(typed) = (&for_f32 as &dyn Any).downcast_ref::<ProductFn<F>>() {
        typed(path, isa, alpha, a, b, beta, bias, c);
    } else if let Some(typed) = (&for_f64 as &dyn Any).downcast_ref::<ProductFn<F>>() {
        typed(path, isa, alpha, a, b, beta, bias, c);
    } else {
        general_mat_mul(alpha, &a, &b, beta, c);
        add_bias(c, bias);
    }
}

/// The signature of [`product`] as a function pointer type (`'static`, so `Any` can name it).
type ProductFn<F> = for<'a, 'b, 'c, 'd> fn(
    Path,
    Isa,
    F,
    ArrayView2<'a, F>,
    ArrayView2<'b, F>,
    F,
    Option<&'c [F]>,
    &'d mut ArrayRef2<F>,
);

/// `c ← c + 1·biasᵀ` when there is a bias: the pass the paths without an epilogue of their
/// own make after the product.
fn add_bias<F: NdFloat>(c: &mut ArrayRef2<F>, bias: Option<&[F]>) {
    if let Some(bias) = bias {
        crate::add_row_into(c, &ArrayView1::from(bias));
    }
}

/// [`product`] for a float type with compiled kernels.
#[allow(clippy::too_many_arguments)]
fn typed_product<E: Element>(
    path: Path,
    isa: Isa,
    alpha: E,
    a: ArrayView2<'_, E>,
    b: ArrayView2<'_, E>,
    beta: E,
    bias: Option<&[E]>,
    c: &mut ArrayRef2<E>,
) {
    let ((m, k), n) = (a.dim(), b.ncols());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        scale(c, beta);
        add_bias(c, bias);
        return;
    }
    let tiny = match path {
        Path::Auto => m * k * n <= TINY_WORK,
        path => path == Path::Tiny,
    };
    if tiny {
        // Straight from the operands, when each is one slice (any order of its axes).
        if let (Some(a), Some(b), Some(c_strided)) = (strided(&a), strided(&b), strided_mut(c)) {
            E::tiny(isa, (m, k, n), alpha, a, b, beta, c_strided);
            add_bias(c, bias);
            return;
        }
    }
    // The kernels store rows of C. A column-major C is the row-major Cᵀ = Bᵀ·Aᵀ, whose bias
    // would be a column: it is added after.
    if !c.is_standard_layout() && c.t().is_standard_layout() {
        let mut ct = c.view_mut().reversed_axes();
        typed_product(path, isa, alpha, b.t(), a.t(), beta, None, &mut ct);
        add_bias(c, bias);
        return;
    }
    let path = match path {
        Path::Auto => choose::<E>(m, k, n, E::panel_width(isa), a.strides()[1] == 1),
        path => path,
    };
    // `β = 0` never reads C; `β = 1` accumulates onto it; any other β scales it first.
    let load = beta != E::zero();
    if load && beta != E::one() {
        scale(c, beta);
    }
    E::with_scratch(|scratch| {
        let Scratch { pack, a: a_tmp, c: c_tmp } = scratch;
        let bufs = Buffers { pack, a: a_tmp };
        if let Some(c_slice) = c.as_slice_mut() {
            run(path, isa, alpha, a, b, load, bias, c_slice, n, bufs);
        } else {
            // A strided C (every other row, a column slice): compute into a contiguous
            // copy and write it back.
            grow(c_tmp, m * n);
            let c_slice = &mut c_tmp[..m * n];
            if load {
                for (to, from) in c_slice.chunks_exact_mut(n).zip(c.rows()) {
                    to.iter_mut().zip(from).for_each(|(to, &from)| *to = from);
                }
            }
            run(path, isa, alpha, a, b, load, bias, c_slice, n, bufs);
            for (mut to, from) in c.rows_mut().into_iter().zip(c_slice.chunks_exact(n)) {
                to.iter_mut().zip(from).for_each(|(to, &from)| *to = from);
            }
        }
    });
}

/// The scratch buffers a product may use.
struct Buffers<'s, E> {
    pack: &'s mut Vec<E>,
    a: &'s mut Vec<E>,
}

/// Runs `path` with the kernels for `isa` and `E`, into the row-major `c`, adding `bias`
/// (when given) after the product.
///
/// Inlined into [`typed_product`]: passing its ten arguments cost about 45 instructions a
/// product, and the 5-bit adder's step makes five (callgrind, 238.0M against 235.7M
/// instructions for `nn bench --preset adder5 --threads 1 --steps 5000`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn run<E: Element>(
    path: Path,
    isa: Isa,
    alpha: E,
    a: ArrayView2<'_, E>,
    b: ArrayView2<'_, E>,
    load: bool,
    bias: Option<&[E]>,
    c: &mut [E],
    ldc: usize,
    bufs: Buffers<'_, E>,
) {
    let (m, k) = a.dim();
    match path {
        // A tiny product with an operand that is not one slice goes the direct way.
        Path::Tiny | Path::Direct | Path::Auto => {
            // A is read where it lies when it is one slice, either way round, and α = 1;
            // otherwise α·A is copied, row-major (rare: a strided A, or α ≠ 1).
            let one = alpha == E::one();
            let (a_slice, lda, a_rows) = match (a.to_slice(), a.t().to_slice()) {
                (Some(s), _) if one => (s, k, true),
                (_, Some(s)) if one => (s, m, false),
                _ => {
                    grow(bufs.a, m * k);
                    for (to, from) in bufs.a[..m * k].chunks_exact_mut(k).zip(a.rows()) {
                        to.iter_mut().zip(from).for_each(|(to, &from)| *to = from * alpha);
                    }
                    (&bufs.a[..m * k], k, true)
                }
            };
            E::direct(isa, m, (a_slice, lda, a_rows), b, load, c, ldc, bufs.pack, bias);
        }
        Path::Blocked => {
            E::blocked(isa, alpha, a, b, load, c, ldc, bufs.pack);
            add_bias_to_rows(c, ldc, m, bias);
        }
    }
}

/// `c ← c + 1·biasᵀ` on the first `m` rows of the row-major `c`, `n = bias.len()` values
/// each, through the bias add's own loops (`bias::add_to_rows`, runs of whole rows).
///
/// The rows are packed (`ldc = n`): `typed_product` hands `run` a C of `n` columns, or a
/// packed copy of a strided one, and `run` is the only caller of the paths that take a bias.
fn add_bias_to_rows<E: NdFloat>(c: &mut [E], ldc: usize, m: usize, bias: Option<&[E]>) {
    let Some(bias) = bias.filter(|bias| m > 0 && !bias.is_empty()) else {
        return;
    };
    let n = bias.len();
    assert_eq!(ldc, n, "a bias is added to packed rows of C only");
    crate::bias::add_to_rows(&mut c[..m * n], bias);
}

/// Steps of `k` per block of the direct path: a panel of B this deep (256 × `NR` values,
/// 32 KiB for AVX-512) stays in L1 while every row of A meets it.
const DIRECT_KC: usize = 256;

/// The direct path: B packed into panels of `NR` columns, block of [`DIRECT_KC`] steps by
/// block, then for each panel [`kernel::direct`] over all `m` rows of C (`c` row-major,
/// rows `ldc` apart), with A read where it lies: `a[i·lda + p]` if `a_rows`, else
/// `a[p·lda + i]`. Panels `NR2` or fewer columns wide (the right edge, or a narrow B) take
/// the narrower kernel. Blocks of `k` after the first continue each element's chain from C.
/// A `bias` (`n` values) is added to each row of C after the product: by the narrow kernel
/// as it stores a row, or here after the panels.
#[allow(clippy::too_many_arguments)]
fn direct<E: NdFloat, K: Tile<E>, const R: usize, const NR: usize, const NR2: usize>(
    kernel: K,
    m: usize,
    (a, lda, a_rows): (&[E], usize, bool),
    b: ArrayView2<'_, E>,
    load: bool,
    c: &mut [E],
    ldc: usize,
    buf: &mut Vec<E>,
    bias: Option<&[E]>,
) {
    let (k, n) = b.dim();
    // A narrow B small enough to stay in L1 goes through the narrow kernel, all of its
    // columns in one pass ([`Tile::narrow`]), where the instruction set has that kernel:
    // read where it lies if row-major; if column-major (a transposed view: a small
    // network's `Δ·Wᵀ`), copied row-major first, `k·n` values, with no panels to pad.
    // `NR2` is one vector's lanes.
    if narrow_fits::<E>(k, n, NR2) {
        let rows = if let Some(rows) = b.to_slice() {
            Some(rows)
        } else if let Some(columns) = b.t().to_slice() {
            grow(buf, k * n);
            for (p, row) in buf[..k * n].chunks_exact_mut(n).enumerate() {
                for (x, column) in row.iter_mut().zip(columns.chunks_exact(k)) {
                    *x = column[p];
                }
            }
            Some(&buf[..k * n])
        } else {
            None
        };
        if let Some(rows) = rows {
            let (a, b) = ((a, lda), (rows, k, n));
            let done = match (n.div_ceil(NR2), a_rows) {
                (1, true) => narrow::<E, K, 1, true>(kernel, m, a, b, load, c, ldc, bias),
                (1, false) => narrow::<E, K, 1, false>(kernel, m, a, b, load, c, ldc, bias),
                (2, true) => narrow::<E, K, 2, true>(kernel, m, a, b, load, c, ldc, bias),
                (2, false) => narrow::<E, K, 2, false>(kernel, m, a, b, load, c, ldc, bias),
                (_, true) => narrow::<E, K, 3, true>(kernel, m, a, b, load, c, ldc, bias),
                (_, false) => narrow::<E, K, 3, false>(kernel, m, a, b, load, c, ldc, bias),
            };
            if done {
                return;
            }
        }
    }
    // Blocks of equal depth (784 = 4 × 196, not 3 × 256 + 16: a shallow last block would
    // cost a pass over C for little work).
    let step = k.div_ceil(k.div_ceil(DIRECT_KC));
    grow(buf, n.div_ceil(NR) * NR * step);
    for pc in (0..k).step_by(step) {
        let kc = step.min(k - pc);
        let load = load || pc > 0;
        // A from step `pc` on: the same rows (or steps) `lda` apart.
        let a = if a_rows { &a[pc..] } else { &a[pc * lda..] };
        let len = n.div_ceil(NR) * NR * kc;
        // One block of depth (every small product) packs B as it is: cutting a view of
        // all of it cost about as much as a small product's arithmetic (perf, the 5-bit
        // adder's step: 4% of it in ndarray's slicing).
        let block = if kc == k { b.view() } else { b.slice(s![pc..pc + kc, ..]) };
        pack::pack::<E, K, NR>(kernel, buf, block, E::one(), true);
        for (q, panel) in buf[..len].chunks_exact(kc * NR).enumerate() {
            let j0 = q * NR;
            let nr = NR.min(n - j0);
            let c = &mut c[j0..];
            let (k, kernel) = (kc, kernel);
            match (a_rows, nr > NR2) {
                (true, true) => {
                    kernel.direct::<R, NR, NR, true>(k, a, lda, m, panel, c, ldc, nr, load)
                }
                (true, false) => {
                    kernel.direct::<R, NR2, NR, true>(k, a, lda, m, panel, c, ldc, nr, load)
                }
                (false, true) => {
                    kernel.direct::<R, NR, NR, false>(k, a, lda, m, panel, c, ldc, nr, load)
                }
                (false, false) => {
                    kernel.direct::<R, NR2, NR, false>(k, a, lda, m, panel, c, ldc, nr, load)
                }
            }
        }
    }
    add_bias_to_rows(c, ldc, m, bias);
}

/// Up to this size of B in bytes (half of a 32 KiB L1 data cache), the direct path reads a
/// narrow, row-major B where it lies instead of packing it (see [`direct`]): it is reread
/// once per group of rows of C.
const NARROW_B_BYTES: usize = 16 * 1024;

/// Whether a `k × n` B suits the narrow kernel with vectors of `lanes` values: at most
/// [`simd::MAX_NARROW_NV`] vectors wide and [`NARROW_B_BYTES`] in all. The one rule, asked
/// by [`choose`] (which sends such a product to the direct path) and by [`direct`].
fn narrow_fits<E>(k: usize, n: usize, lanes: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    let columns = simd::MAX_NARROW_NV * lanes;
    // Off x86-64 there is no narrow kernel.
    #[cfg(not(target_arch = "x86_64"))]
    let columns = {
        let _ = lanes;
        0
    };
    n <= columns && k * n * size_of::<E>() <= NARROW_B_BYTES
}

/// One call of [`Tile::narrow`] with `NV` vectors a row; says whether it ran.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn narrow<E: NdFloat, K: Tile<E>, const NV: usize, const A_ROWS: bool>(
    kernel: K,
    m: usize,
    (a, lda): (&[E], usize),
    (b, k, n): (&[E], usize, usize),
    load: bool,
    c: &mut [E],
    ldc: usize,
    bias: Option<&[E]>,
) -> bool {
    kernel.narrow::<NV, A_ROWS>(k, a, lda, m, b, n, c, ldc, load, bias)
}

/// `x` as one slice with its row and column strides, if its elements are one contiguous
/// run of memory, in any order, with no negative stride.
fn strided<'a, E: NdFloat>(x: &ArrayView2<'a, E>) -> Option<dispatch::Strided<'a, E>> {
    let (rs, cs) = (x.strides()[0], x.strides()[1]);
    let slice = x.to_slice_memory_order()?;
    Some((slice, usize::try_from(rs).ok()?, usize::try_from(cs).ok()?))
}

/// [`strided`] for the destination.
fn strided_mut<E: NdFloat>(x: &mut ArrayRef2<E>) -> Option<dispatch::StridedMut<'_, E>> {
    let (rs, cs) = (x.strides()[0], x.strides()[1]);
    let (rs, cs) = (usize::try_from(rs).ok()?, usize::try_from(cs).ok()?);
    Some((x.as_slice_memory_order_mut()?, rs, cs))
}

/// `c ← β·c`, writing zeros without reading when `β = 0` (so NaN in `c` does not survive).
fn scale<F: NdFloat>(c: &mut ArrayRef2<F>, beta: F) {
    if beta == F::zero() {
        c.fill(F::zero());
    } else if beta != F::one() {
        c.mapv_inplace(|x| x * beta);
    }
}

/// Cache-blocking sizes, in elements: `mc` rows of A (a multiple of MR) by `kc` steps of `p`
/// make the packed A block; `kc` by `nc` columns of B (a multiple of NR) the packed B block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Blocking {
    pub(crate) mc: usize,
    pub(crate) kc: usize,
    pub(crate) nc: usize,
}

/// The blocked product with an `MR × NR` micro-kernel, into the row-major `c` (rows `ldc`
/// apart); `load` says whether C's values are accumulated onto (`β ≠ 0`).
///
/// Tiles at the bottom edge of C use `MR2` or `MR3` rows, at the right edge `NR2` columns,
/// whichever is the smallest that covers what is left (`MR3 < MR2 < MR`, `NR2 < NR`).
///
/// `#[inline(always)]`, like the packing it calls, so that each `#[target_feature]` wrapper
/// in [`dispatch`] compiles all of it for its instruction set.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn blocked<
    F: NdFloat,
    K: Tile<F>,
    const MR: usize,
    const MR2: usize,
    const MR3: usize,
    const NR: usize,
    const NR2: usize,
>(
    kernel: K,
    blocking: Blocking,
    alpha: F,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    load: bool,
    c: &mut [F],
    ldc: usize,
    buf: &mut Vec<F>,
) {
    let ((m, k), n) = (a.dim(), b.ncols());
    let Blocking { mc: mc_max, kc: kc_max, nc: nc_max } = blocking;
    let kc_max = kc_max.max(1);
    let mc_max = mc_max.next_multiple_of(MR);
    let nc_max = nc_max.next_multiple_of(NR);
    // A row-major A is packed by rows (a copy), any other by steps of p (see `kernel::tile`).
    let a_rows = a.strides()[1] == 1;

    // One buffer holds both packed blocks, each starting on a 64-byte line.
    let line = (64 / size_of::<F>()).max(1);
    let a_len = (mc_max.min(m).div_ceil(MR) * MR * kc_max.min(k)).next_multiple_of(line);
    let b_len = nc_max.min(n).div_ceil(NR) * NR * kc_max.min(k);
    grow(buf, a_len + b_len + line);
    let offset = buf.as_ptr().align_offset(64);
    let offset = if offset < line { offset } else { 0 };
    let (a_pack, b_pack) = buf[offset..].split_at_mut(a_len);

    for jc in (0..n).step_by(nc_max) {
        let nc = nc_max.min(n - jc);
        for pc in (0..k).step_by(kc_max) {
            let kc = kc_max.min(k - pc);
            // Blocks of k after the first continue each element's chain from C.
            let load = load || pc > 0;
            pack::pack::<F, K, NR>(
                kernel,
                b_pack,
                b.slice(s![pc..pc + kc, jc..jc + nc]),
                F::one(),
                true,
            );
            for ic in (0..m).step_by(mc_max) {
                let mc = mc_max.min(m - ic);
                let a_block = a.slice(s![ic..ic + mc, pc..pc + kc]);
                if a_rows {
                    pack::pack_rows::<F, MR>(a_pack, a_block, alpha);
                } else {
                    pack::pack::<F, K, MR>(kernel, a_pack, a_block.t(), alpha, false);
                }
                for (jr, b_panel) in (0..nc).step_by(NR).zip(b_pack.chunks_exact(kc * NR)) {
                    let nr = NR.min(nc - jr);
                    for (ir, a_panel) in (0..mc).step_by(MR).zip(a_pack.chunks_exact(kc * MR)) {
                        let mr = MR.min(mc - ir);
                        let c = &mut c[(ic + ir) * ldc + jc + jr..];
                        let t = Tiles { kernel, kc, a_panel, b_panel, ldc, load, mr, nr };
                        if a_rows {
                            t.pick::<MR, MR2, MR3, NR, NR2, true>(c);
                        } else {
                            t.pick::<MR, MR2, MR3, NR, NR2, false>(c);
                        }
                    }
                }
            }
        }
    }
}

/// One tile's packed panels and where it sits in C; `pick` picks the kernel shape.
struct Tiles<'p, F, K> {
    kernel: K,
    kc: usize,
    a_panel: &'p [F],
    b_panel: &'p [F],
    ldc: usize,
    load: bool,
    /// Rows and columns of C the tile covers (at most the kernel's `MR × NR`).
    mr: usize,
    nr: usize,
}

impl<F: NdFloat, K: Tile<F>> Tiles<'_, F, K> {
    /// Runs the smallest kernel shape that covers the tile's `mr × nr`.
    #[inline(always)]
    fn pick<
        const MR: usize,
        const MR2: usize,
        const MR3: usize,
        const NR: usize,
        const NR2: usize,
        const A_ROWS: bool,
    >(
        self,
        c: &mut [F],
    ) {
        match (self.mr > MR2, self.mr > MR3, self.nr > NR2) {
            (true, _, true) => self.run::<MR, NR, MR, NR, A_ROWS>(c),
            (true, _, false) => self.run::<MR, NR2, MR, NR, A_ROWS>(c),
            (false, true, true) => self.run::<MR2, NR, MR, NR, A_ROWS>(c),
            (false, true, false) => self.run::<MR2, NR2, MR, NR, A_ROWS>(c),
            (false, false, true) => self.run::<MR3, NR, MR, NR, A_ROWS>(c),
            (false, false, false) => self.run::<MR3, NR2, MR, NR, A_ROWS>(c),
        }
    }

    /// Runs the `MR × NR` kernel on the panels (`LDA` and `LDB` as in [`kernel::tile`]),
    /// into `c` at the tile's top-left element.
    ///
    /// A tile cut short by the edge of C (`mr < MR` or `nr < NR`) runs on a full tile on
    /// the stack, and only the `mr × nr` part that exists is copied in and out.
    #[inline(always)]
    fn run<
        const MR: usize,
        const NR: usize,
        const LDA: usize,
        const LDB: usize,
        const A_ROWS: bool,
    >(
        self,
        c: &mut [F],
    ) {
        let Self { kernel, kc, a_panel, b_panel, ldc, load, mr, nr } = self;
        if mr == MR && nr == NR {
            kernel.tile::<MR, NR, LDA, LDB, A_ROWS>(kc, a_panel, b_panel, c, ldc, load);
            return;
        }
        let mut t = [[F::zero(); NR]; MR];
        if load {
            for (i, t) in t.iter_mut().take(mr).enumerate() {
                t[..nr].copy_from_slice(&c[i * ldc..][..nr]);
            }
        }
        let t_flat = t.as_flattened_mut();
        kernel.tile::<MR, NR, LDA, LDB, A_ROWS>(kc, a_panel, b_panel, t_flat, NR, load);
        for (i, t) in t.iter().take(mr).enumerate() {
            c[i * ldc..][..nr].copy_from_slice(&t[..nr]);
        }
    }
}

/// The least a scratch buffer grows to: 32 Ki values (128 KiB of `f32`), more than any of
/// the lessons' small products needs, so that whichever small product a thread runs first
/// warms it for all of them (rayon's work stealing decides which worker runs which).
const MIN_SCRATCH: usize = 32 * 1024;

/// Grows `buf` to at least `len` values, and at least [`MIN_SCRATCH`] (never shrinks it).
fn grow<F: NdFloat>(buf: &mut Vec<F>, len: usize) {
    if buf.len() < len {
        buf.resize(len.max(MIN_SCRATCH), F::zero());
    }
}

/// Per-thread buffers, one set per float type (see [`Element::with_scratch`]): packed
/// blocks of A and B, and a contiguous stand-in for a strided C.
#[derive(Debug)]
pub(crate) struct Scratch<F> {
    pack: Vec<F>,
    a: Vec<F>,
    c: Vec<F>,
}

impl<F> Scratch<F> {
    const fn new() -> Self {
        Self { pack: Vec::new(), a: Vec::new(), c: Vec::new() }
    }
}

#[cfg(test)]
mod tests;
