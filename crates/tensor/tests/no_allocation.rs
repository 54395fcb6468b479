//! A warm matrix product allocates nothing: after one call of a shape on a thread, the
//! next hundred calls of every public `matmul*_into` make no heap allocation, from the
//! lessons' tiny products to `1024×1024 · 1024×256`, in `f32` and `f64`.
//!
//! The allocator below counts the allocations of each thread, so the test harness's own
//! threads do not disturb the count.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]
// A `#[global_allocator]` is an `unsafe impl GlobalAlloc`; this file is the only place in
// the crate outside `gemm::{dispatch, simd}` that needs `unsafe`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ndarray::{Array2, NdFloat, s};
use nn_tensor::{gemm_into, matmul_a_bt_into, matmul_at_b_into, matmul_into};

/// The system allocator, counting the allocations made by the current thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds as it does for `System`; counting touches only a
// `const`-initialised thread-local `Cell`, which allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `realloc`'s contract, passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract, passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by this thread while `f` runs.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// `m × k · k × n` products, from the NAND neuron to a wide layer over a large batch.
const SHAPES: [(usize, usize, usize); 10] = [
    (4, 2, 1),
    (4, 2, 2),
    (2, 4, 1),
    (256, 8, 16),
    (256, 16, 5),
    (64, 10, 128),
    (64, 784, 128),
    (256, 1024, 10),
    (1000, 784, 128),
    (1024, 1024, 256),
];

fn filled<F: NdFloat>(rows: usize, cols: usize) -> Array2<F> {
    Array2::from_shape_fn((rows, cols), |(i, j)| {
        F::from(((i * 31 + j * 17) as f64 * 0.37).sin()).expect("a float")
    })
}

/// One warm-up call, then 100 counted calls, of `product`.
fn warm_calls_allocate_nothing(
    what: &str,
    (m, k, n): (usize, usize, usize),
    mut product: impl FnMut(),
) {
    product();
    let count = allocations(|| {
        for _ in 0..100 {
            product();
        }
    });
    assert_eq!(count, 0, "{what} at {m}×{k}·{k}×{n}: {count} allocations in 100 warm calls");
}

fn every_product_allocates_nothing<F: NdFloat>() {
    let name = std::any::type_name::<F>();
    for &(m, k, n) in &SHAPES {
        let a = filled::<F>(m, k);
        let b = filled::<F>(k, n);
        let at = filled::<F>(k, m); // stored k × m, used as aᵀ
        let bt = filled::<F>(n, k); // stored n × k, used as bᵀ
        let mut c = Array2::<F>::zeros((m, n));
        warm_calls_allocate_nothing(&format!("matmul_into {name}"), (m, k, n), || {
            matmul_into(&mut c, &a, &b);
        });
        warm_calls_allocate_nothing(&format!("matmul_at_b_into {name}"), (m, k, n), || {
            matmul_at_b_into(&mut c, &at, &b);
        });
        warm_calls_allocate_nothing(&format!("matmul_a_bt_into {name}"), (m, k, n), || {
            matmul_a_bt_into(&mut c, &a, &bt);
        });
        // A destination that is every other row of a larger array (not one slice).
        let mut big = Array2::<F>::zeros((2 * m, n));
        warm_calls_allocate_nothing(&format!("matmul_into, strided c, {name}"), (m, k, n), || {
            matmul_into(&mut big.slice_mut(s![..;2, ..]), &a, &b);
        });
        let one = F::one();
        warm_calls_allocate_nothing(&format!("gemm_into, β = 1, {name}"), (m, k, n), || {
            gemm_into(one, &a, &b, one, &mut c);
        });
    }
}

#[test]
fn warm_products_allocate_nothing_f32() {
    every_product_allocates_nothing::<f32>();
}

#[test]
fn warm_products_allocate_nothing_f64() {
    every_product_allocates_nothing::<f64>();
}

/// The counter counts: a fresh vector is one allocation, and so is the packing buffer
/// matrixmultiply (behind ndarray's `general_mat_mul`) allocates on every call, which is
/// why the crate has its own product.
#[test]
fn the_counter_sees_allocations() {
    let count = allocations(|| {
        std::hint::black_box(vec![1_u8; 10]);
    });
    assert_eq!(count, 1);
    let (a, b) = (filled::<f32>(64, 784), filled::<f32>(784, 128));
    let mut c = Array2::<f32>::zeros((64, 128));
    let mut product = || ndarray::linalg::general_mat_mul(1.0, &a, &b, 0.0, &mut c);
    product();
    assert!(allocations(product) >= 1, "matrixmultiply allocates per call");
}
