//! The matrix product at the shapes a training step uses: nn-tensor's own kernel against
//! matrixmultiply (through ndarray's `general_mat_mul`, with its AVX-512 kernels enabled by
//! the workspace manifest). Throughput is in multiply-adds × 2, so criterion's elements/s
//! are flop/s.
//!
//! `cargo bench --bench kernels -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

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

/// Feed-forward `X · W` at network shapes.
fn forward(c: &mut Criterion) {
    for shape in [(64, 784, 128), (1000, 784, 128), (256, 1024, 1024), (256, 1024, 10)] {
        case::<f32>(c, "forward X·W f32", Product::AB, shape);
    }
    for shape in [(64, 784, 128), (256, 1024, 1024)] {
        case::<f64>(c, "forward X·W f64", Product::AB, shape);
    }
}

/// Weight gradients `Xᵀ · Δ`: `X` is a batch of 64 or 1000 rows of 784, `Δ` 128 wide.
fn weight_gradient(c: &mut Criterion) {
    for rows in [64, 1000] {
        case::<f32>(c, "gradient Xᵀ·Δ f32", Product::AtB, (784, rows, 128));
    }
    case::<f64>(c, "gradient Xᵀ·Δ f64", Product::AtB, (784, 64, 128));
}

/// Errors passed back, `Δ · Wᵀ`.
fn backward(c: &mut Criterion) {
    for shape in [(64, 10, 128), (256, 1024, 1024)] {
        case::<f32>(c, "backward Δ·Wᵀ f32", Product::ABt, shape);
    }
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
