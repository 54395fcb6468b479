//! The matrix product at the shapes a training step uses: nn-tensor's own kernel against
//! matrixmultiply (through ndarray's `general_mat_mul`, with its AVX-512 kernels enabled by
//! the workspace manifest) and against the `gemm` crate (single-threaded, its AVX-512
//! kernels enabled by the manifest's `x86-v4`; docs/gemm_crate.md records the comparison).
//! Throughput is in multiply-adds × 2, so criterion's elements/s are flop/s.
//!
//! The shapes are those of training steps: the 784-128-10 network over batches or chunks
//! of 64, 128, 250 and 1000 rows, and the 1024-1024-1024-10 network over chunks of 64, 128
//! and 256 rows, in the three forms a step uses (forward `X·W`, weight gradient `Xᵀ·Δ`,
//! error passed back `Δ·Wᵀ`); and the adders' products, the 8-16-5 network over its full
//! batch of 256 and the 10-20-6 one over batches of 28, in the forms of a step. Each case
//! is short (1 s of warm-up, 2 s of samples), so that the whole run stays within a few
//! minutes; pick a group with a filter:
//!
//! `cargo bench --bench kernels -- --noplot "gradient Xᵀ·Δ f32"`
//!
//! (`--noplot`: criterion's plots need system fonts.)

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark whose set-up fails should stop loudly, at the line that failed"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use gemm::Parallelism;
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, NdFloat, Zip};
use nn_tensor::{matmul_a_bt_into, matmul_at_b_into, matmul_into};

/// Deterministic, non-trivial entries in `[-1, 1]`.
fn filled<F: NdFloat>(rows: usize, cols: usize, salt: f64) -> Array2<F> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        F::from(((i * 31 + j * 17) as f64 * 0.37 + salt).sin()).expect("a float")
    })
}

/// Which of the three public products a case exercises.
#[derive(Clone, Copy)]
enum Product {
    /// `c = a · b` (feed-forward, `X · W`).
    AB,
    /// `c = aᵀ · b` (weight gradient, `Xᵀ · Δ`), `a` stored `k × m`.
    AtB,
    /// `c = a · bᵀ` (error passed back, `Δ · Wᵀ`), `b` stored `n × k`.
    ABt,
}

/// `c = a · b` by the `gemm` crate on one thread, reading every operand in place through
/// its strides (so a transposed view costs no copy, as with the other two contenders).
///
/// # Panics
/// If the shapes disagree.
#[allow(unsafe_code, reason = "the gemm crate's only entry point is an unsafe fn on raw pointers")]
fn gemm_crate_into<F: NdFloat>(
    mut c: ArrayViewMut2<'_, F>,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
) {
    let ((m, k), (k_b, n)) = (a.dim(), b.dim());
    assert!(k == k_b && c.dim() == (m, n), "gemm crate: {m}×{k} · {k_b}×{n} into {:?}", c.dim());
    let (c_rs, c_cs) = (c.strides()[0], c.strides()[1]);
    let (a_rs, a_cs) = (a.strides()[0], a.strides()[1]);
    let (b_rs, b_cs) = (b.strides()[0], b.strides()[1]);
    // SAFETY: each pointer is the address of element [0, 0] of an ndarray view, and element
    // [i, j] of that view lies at offset i·row stride + j·column stride from it, for every
    // i < rows and j < columns; we pass exactly those strides (in elements, gemm's unit, and
    // column stride first, gemm's order) and the dimensions just checked against the three
    // views, so gemm reads and writes only elements of the views. `c` is borrowed mutably,
    // so it aliases neither operand, and a mutable view never maps two indices to one
    // element. With `read_dst` false gemm writes `c = 1 · a · b` without reading `c` (its
    // `alpha`, the factor on the old `c`, is then unused). `F` is f32 or f64 (`NdFloat`),
    // both types gemm accepts (it panics on any other).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            c_cs,
            c_rs,
            false,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            F::zero(),
            F::one(),
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// Checks that two results of `a · b` agree within the rounding error of sums of `k`
/// products in any order: `|c_ij − c'_ij| ≤ 2·k·ε·Σ_p |a_ip|·|b_pj|`, each result being within
/// half of that of the exact product.
///
/// # Panics
/// If an entry is off by more; the message names it.
fn assert_same_product<F: NdFloat>(
    ours: &Array2<F>,
    theirs: &Array2<F>,
    a: ArrayView2<'_, F>,
    b: ArrayView2<'_, F>,
    who: &str,
) {
    let scale = a.mapv(F::abs).dot(&b.mapv(F::abs));
    let bound = F::from(2 * a.ncols()).expect("a float") * F::epsilon();
    Zip::indexed(ours).and(theirs).and(&scale).for_each(|(i, j), &x, &y, &s| {
        assert!(
            (x - y).abs() <= bound * s,
            "{who} differs from ours at [{i}, {j}] of {:?}: {y} against {x}",
            ours.dim()
        );
    });
}

/// Benches one `m × k · k × n` product, ours, matrixmultiply's and the gemm crate's, on the
/// same operands (transposes are views, as the public functions read them), labelled with
/// its shape.
fn case<F: NdFloat>(
    c: &mut Criterion,
    group: &str,
    product: Product,
    shape: (usize, usize, usize),
) {
    let (m, k, n) = shape;
    labelled_case::<F>(c, group, &format!("{m}x{k}·{k}x{n}"), product, shape);
}

/// [`case`] under a label of the caller's choosing (where a group's shapes alone would not
/// say which product each is).
fn labelled_case<F: NdFloat>(
    c: &mut Criterion,
    group: &str,
    label: &str,
    product: Product,
    (m, k, n): (usize, usize, usize),
) {
    let mut g = c.benchmark_group(group);
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    g.sample_size(20);
    g.throughput(Throughput::Elements((2 * m * k * n) as u64));
    let (a_store, b_store) = match product {
        Product::AB => (filled::<F>(m, k, 0.1), filled::<F>(k, n, 0.7)),
        Product::AtB => (filled::<F>(k, m, 0.1), filled::<F>(k, n, 0.7)),
        Product::ABt => (filled::<F>(m, k, 0.1), filled::<F>(n, k, 0.7)),
    };
    // The operands as the product reads them: `a` is m × k, `b` is k × n.
    let (a, b): (ArrayView2<'_, F>, ArrayView2<'_, F>) = match product {
        Product::AB => (a_store.view(), b_store.view()),
        Product::AtB => (a_store.t(), b_store.view()),
        Product::ABt => (a_store.view(), b_store.t()),
    };
    let mut out = Array2::<F>::zeros((m, n));
    let ours = |out: &mut Array2<F>| match product {
        Product::AB => matmul_into(out, black_box(&a_store), black_box(&b_store)),
        Product::AtB => matmul_at_b_into(out, black_box(&a_store), black_box(&b_store)),
        Product::ABt => matmul_a_bt_into(out, black_box(&a_store), black_box(&b_store)),
    };

    // The three compute the same product: checked once per case, before any timing.
    let mut expected = Array2::<F>::zeros((m, n));
    ours(&mut expected);
    general_mat_mul(F::one(), &a, &b, F::zero(), &mut out);
    assert_same_product(&expected, &out, a, b, "matrixmultiply");
    out.fill(F::nan());
    gemm_crate_into(out.view_mut(), a, b);
    assert_same_product(&expected, &out, a, b, "the gemm crate");

    g.bench_function(BenchmarkId::new("ours", label), |bench| bench.iter(|| ours(&mut out)));
    g.bench_function(BenchmarkId::new("matrixmultiply", label), |bench| {
        bench.iter(|| general_mat_mul(F::one(), black_box(&a), black_box(&b), F::zero(), &mut out))
    });
    g.bench_function(BenchmarkId::new("gemm crate", label), |bench| {
        bench.iter(|| gemm_crate_into(out.view_mut(), black_box(a), black_box(b)))
    });
    g.finish();
}

/// Feed-forward `X · W`: a batch or chunk through the 784-128 and 1024-1024 layers, and
/// the 10-wide output layer.
fn forward(c: &mut Criterion) {
    let f32_shapes = [
        (64, 784, 128),
        (128, 784, 128),
        (250, 784, 128),
        (1000, 784, 128),
        (64, 1024, 1024),
        (128, 1024, 1024),
        (256, 1024, 1024),
        (256, 1024, 10),
    ];
    for shape in f32_shapes {
        case::<f32>(c, "forward X·W f32", Product::AB, shape);
    }
    for shape in [(64, 784, 128), (64, 1024, 1024), (256, 1024, 1024)] {
        case::<f64>(c, "forward X·W f64", Product::AB, shape);
    }
}

/// Weight gradients `Xᵀ · Δ` over a batch or chunk (`k` is its number of rows).
fn weight_gradient(c: &mut Criterion) {
    for rows in [64, 128, 250, 1000] {
        case::<f32>(c, "gradient Xᵀ·Δ f32", Product::AtB, (784, rows, 128));
    }
    for rows in [64, 128, 256] {
        case::<f32>(c, "gradient Xᵀ·Δ f32", Product::AtB, (1024, rows, 1024));
    }
    for shape in [(784, 64, 128), (1024, 64, 1024)] {
        case::<f64>(c, "gradient Xᵀ·Δ f64", Product::AtB, shape);
    }
}

/// Errors passed back, `Δ · Wᵀ`: through the 10-wide output layer and the 1024-wide ones.
fn backward(c: &mut Criterion) {
    for shape in [(64, 10, 128), (64, 1024, 1024), (128, 1024, 1024), (256, 1024, 1024)] {
        case::<f32>(c, "backward Δ·Wᵀ f32", Product::ABt, shape);
    }
    case::<f64>(c, "backward Δ·Wᵀ f64", Product::ABt, (64, 1024, 1024));
}

/// The lessons' tiny products: NAND, XOR, and the adder's two layers over a batch of 256.
fn tiny(c: &mut Criterion) {
    for shape in [(4, 2, 1), (4, 2, 2), (256, 8, 16), (256, 16, 5)] {
        case::<f32>(c, "tiny f32", Product::AB, shape);
    }
    case::<f64>(c, "tiny f64", Product::AB, (4, 2, 1));
}

/// The adders' products, every one a training step makes, with the form in the label: the
/// 4-bit adder (8-16-5) over its full batch of 256 rows, the 5-bit adder (10-20-6) over
/// batches of 28. The first layer's error is never passed back (there is no layer below),
/// so each network has one `Δ·Wᵀ`.
fn adders(c: &mut Criterion) {
    for (name, rows, (d0, d1, d2)) in [("4-bit", 256, (8, 16, 5)), ("5-bit", 28, (10, 20, 6))] {
        let cases = [
            ("X·W", Product::AB, (rows, d0, d1)),
            ("X·W", Product::AB, (rows, d1, d2)),
            ("Xᵀ·Δ", Product::AtB, (d0, rows, d1)),
            ("Xᵀ·Δ", Product::AtB, (d1, rows, d2)),
            ("Δ·Wᵀ", Product::ABt, (rows, d2, d1)),
        ];
        for (form, product, (m, k, n)) in cases {
            let label = format!("{name} {form} {m}x{k}·{k}x{n}");
            labelled_case::<f32>(c, "adders f32", &label, product, (m, k, n));
        }
    }
}

criterion_group!(benches, forward, weight_gradient, backward, tiny, adders);
criterion_main!(benches);
