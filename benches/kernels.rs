//! The matrix product at the shapes a training step uses: nn-tensor's own kernel against
//! matrixmultiply (through ndarray's `general_mat_mul`, with its AVX-512 kernels enabled by
//! the workspace manifest). Throughput is in multiply-adds × 2, so criterion's elements/s
//! are flop/s.
//!
//! The shapes are those of training steps: the 784-128-10 network over batches or chunks
//! of 64, 128, 250 and 1000 rows, and the 1024-1024-1024-10 network over chunks of 64, 128
//! and 256 rows, in the three forms a step uses (forward `X·W`, weight gradient `Xᵀ·Δ`,
//! error passed back `Δ·Wᵀ`). Each case is short (1 s of warm-up, 2 s of samples), so
//! that the whole run stays within a few minutes; pick a group with a filter:
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
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, NdFloat};
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

/// Benches one `m × k · k × n` product, ours and matrixmultiply's, on the same operands
/// (transposes are views, as the public functions read them).
fn case<F: NdFloat>(
    c: &mut Criterion,
    group: &str,
    product: Product,
    (m, k, n): (usize, usize, usize),
) {
    let mut g = c.benchmark_group(group);
    g.warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
    g.sample_size(20);
    g.throughput(Throughput::Elements((2 * m * k * n) as u64));
    let label = format!("{m}x{k}·{k}x{n}");
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
    g.bench_function(BenchmarkId::new("ours", &label), |bench| {
        bench.iter(|| match product {
            Product::AB => matmul_into(&mut out, black_box(&a_store), black_box(&b_store)),
            Product::AtB => matmul_at_b_into(&mut out, black_box(&a_store), black_box(&b_store)),
            Product::ABt => matmul_a_bt_into(&mut out, black_box(&a_store), black_box(&b_store)),
        })
    });
    g.bench_function(BenchmarkId::new("matrixmultiply", &label), |bench| {
        bench.iter(|| general_mat_mul(F::one(), black_box(&a), black_box(&b), F::zero(), &mut out))
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

criterion_group!(benches, forward, weight_gradient, backward, tiny);
criterion_main!(benches);
