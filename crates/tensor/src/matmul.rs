//! Matrix products into a destination.
//!
//! All three go through the crate's own product ([`gemm_into`](crate::gemm_into), in
//! `gemm/`), which reads contiguous or strided operands through their strides, picks its
//! micro-kernel by CPU features at run time (AVX-512, AVX2, or portable), and keeps its
//! packing buffers per thread, so that a warm call allocates nothing. A transposed operand
//! is a `.t()` view: it is read in place, so no transpose is ever copied by the caller.

use ndarray::{Array2, ArrayRef1, ArrayRef2, NdFloat};

use crate::gemm::{Isa, Path, product};

/// `c = a · b`.
///
/// `a` and `b` may be any 2-D arrays or views, transposed views included.
///
/// # Shapes
/// `a` is `m × k`, `b` is `k × n`, `c` is `m × n`.
///
/// # Panics
/// If the shapes disagree; the message names all three.
#[track_caller]
pub fn matmul_into<F: NdFloat>(c: &mut ArrayRef2<F>, a: &ArrayRef2<F>, b: &ArrayRef2<F>) {
    assert_product_shapes(c.dim(), a.dim(), b.dim(), "a · b");
    product(Path::Auto, Isa::detect(), F::one(), a.view(), b.view(), F::zero(), None, c);
}

/// `c = a · b + 1·biasᵀ`: the product with `bias` added to every row, a layer's
/// feed-forward `Z = A·W + 1·bᵀ`.
///
/// The bits are those of [`matmul_into`] followed by [`add_row_into`](crate::add_row_into)
/// (each value its product's sum, then its `bias[j]` added once), but a small product adds
/// the bias as it stores each row, in one pass over `c` instead of two.
///
/// # Shapes
/// `a` is `m × k`, `b` is `k × n`, `c` is `m × n`, `bias` has length `n`.
///
/// # Panics
/// If the shapes disagree; the message names them.
///
/// # Example
///
/// ```
/// use ndarray::array;
/// use nn_tensor::matmul_bias_into;
///
/// let (a, w, b) = (array![[1.0_f32, 2.0], [3.0, 4.0]], array![[1.0_f32], [0.5]], array![10.0_f32]);
/// let mut z = array![[0.0_f32], [0.0]];
/// matmul_bias_into(&mut z, &a, &w, &b);
/// assert_eq!(z, array![[12.0], [15.0]]); // [1 + 1, 3 + 2] + 10
/// ```
#[track_caller]
pub fn matmul_bias_into<F: NdFloat>(
    c: &mut ArrayRef2<F>,
    a: &ArrayRef2<F>,
    b: &ArrayRef2<F>,
    bias: &ArrayRef1<F>,
) {
    assert_product_shapes(c.dim(), a.dim(), b.dim(), "a · b");
    assert_eq!(
        bias.len(),
        c.ncols(),
        "matmul_bias_into: the product has {} columns but the bias has {} entries",
        c.ncols(),
        bias.len()
    );
    // A strided bias (a column of a matrix, say) is added after, by its own pass.
    let row = bias.as_slice();
    product(Path::Auto, Isa::detect(), F::one(), a.view(), b.view(), F::zero(), row, c);
    if row.is_none() {
        crate::add_row_into(c, bias);
    }
}

/// `c = aᵀ · b`, reading `a` through a transposed view.
///
/// This is the weight gradient of a layer, `∂C/∂W = A_prevᵀ · Δ`.
///
/// # Shapes
/// `a` is `k × m`, `b` is `k × n`, `c` is `m × n`.
///
/// # Panics
/// If the shapes disagree; the message names all three.
#[track_caller]
pub fn matmul_at_b_into<F: NdFloat>(c: &mut ArrayRef2<F>, a: &ArrayRef2<F>, b: &ArrayRef2<F>) {
    let at = a.t();
    assert_product_shapes(c.dim(), at.dim(), b.dim(), "aᵀ · b");
    product(Path::Auto, Isa::detect(), F::one(), at, b.view(), F::zero(), None, c);
}

/// `c = a · bᵀ`, reading `b` through a transposed view.
///
/// This is the error passed back through a layer, `Δ · Wᵀ`.
///
/// # Shapes
/// `a` is `m × k`, `b` is `n × k`, `c` is `m × n`.
///
/// # Panics
/// If the shapes disagree; the message names all three.
#[track_caller]
pub fn matmul_a_bt_into<F: NdFloat>(c: &mut ArrayRef2<F>, a: &ArrayRef2<F>, b: &ArrayRef2<F>) {
    let bt = b.t();
    assert_product_shapes(c.dim(), a.dim(), bt.dim(), "a · bᵀ");
    product(Path::Auto, Isa::detect(), F::one(), a.view(), bt, F::zero(), None, c);
}

/// `a · b` in a new array: the allocating convenience over [`matmul_into`].
///
/// # Shapes
/// `a` is `m × k`, `b` is `k × n`; the result is `m × n`.
///
/// # Panics
/// If the inner dimensions disagree.
#[track_caller]
pub fn matmul<F: NdFloat>(a: &ArrayRef2<F>, b: &ArrayRef2<F>) -> Array2<F> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    matmul_into(&mut c, a, b);
    c
}

#[track_caller]
fn assert_product_shapes(c: (usize, usize), a: (usize, usize), b: (usize, usize), product: &str) {
    assert!(
        a.1 == b.0 && c == (a.0, b.1),
        "matrix product {product}: the left operand is {}×{} and the right {}×{}, so the \
         destination must be {}×{} with equal inner sizes; the destination is {}×{}",
        a.0,
        a.1,
        b.0,
        b.1,
        a.0,
        b.1,
        c.0,
        c.1,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::{Array2, ShapeBuilder};

    /// The textbook triple loop, the reference every product is checked against.
    fn naive(a: &Array2<f64>, b: &Array2<f64>) -> Array2<f64> {
        let (m, k) = a.dim();
        let n = b.ncols();
        Array2::from_shape_fn((m, n), |(i, j)| (0..k).map(|p| a[[i, p]] * b[[p, j]]).sum())
    }

    /// Deterministic, non-trivial entries without a random generator: a different
    /// irrational-looking value at each position.
    fn filled(rows: usize, cols: usize, salt: f64) -> Array2<f64> {
        Array2::from_shape_fn((rows, cols), |(i, j)| ((i * 31 + j * 17) as f64 * 0.37 + salt).sin())
    }

    // Awkward sizes: a single element, fewer than a SIMD lane, one under and one over a
    // power of two (so kernel tails and packing edges are both exercised).
    const SIZES: [usize; 4] = [1, 3, 63, 65];

    #[test]
    fn matmul_matches_naive_at_awkward_sizes() {
        for &m in &SIZES {
            for &k in &SIZES {
                for &n in &SIZES {
                    let a = filled(m, k, 0.1);
                    let b = filled(k, n, 0.7);
                    let mut c = Array2::from_elem((m, n), f64::NAN); // overwritten, not added to
                    matmul_into(&mut c, &a, &b);
                    assert_relative_eq!(c, naive(&a, &b), max_relative = 1e-12, epsilon = 1e-12);
                }
            }
        }
    }

    #[test]
    fn transposed_operands_match_naive() {
        for &m in &SIZES {
            for &k in &SIZES {
                for &n in &SIZES {
                    // aᵀ·b with a stored k × m
                    let a = filled(k, m, 0.3);
                    let b = filled(k, n, 0.9);
                    let mut c = Array2::zeros((m, n));
                    matmul_at_b_into(&mut c, &a, &b);
                    let expected = naive(&a.t().to_owned(), &b);
                    assert_relative_eq!(c, expected, max_relative = 1e-12, epsilon = 1e-12);

                    // a·bᵀ with b stored n × k
                    let a = filled(m, k, 0.2);
                    let b = filled(n, k, 0.5);
                    let mut c = Array2::zeros((m, n));
                    matmul_a_bt_into(&mut c, &a, &b);
                    let expected = naive(&a, &b.t().to_owned());
                    assert_relative_eq!(c, expected, max_relative = 1e-12, epsilon = 1e-12);
                }
            }
        }
    }

    #[test]
    fn column_major_and_view_operands_give_the_same_product() {
        let a = filled(65, 63, 0.4);
        let b = filled(63, 3, 0.8);
        let a_f = {
            let mut f = Array2::zeros((65, 63).f());
            f.assign(&a);
            f
        };
        let mut c = Array2::zeros((65, 3));
        matmul_into(&mut c, &a_f, &b.view());
        assert_relative_eq!(c, naive(&a, &b), max_relative = 1e-12, epsilon = 1e-12);
        // A destination that is itself a strided view (every other row).
        let mut big = Array2::zeros((130, 3));
        let mut every_other = big.slice_mut(ndarray::s![..;2, ..]);
        matmul_into(&mut every_other, &a, &b);
        assert_relative_eq!(every_other, naive(&a, &b), max_relative = 1e-12, epsilon = 1e-12);
    }

    #[test]
    fn f32_product_matches_f64_reference() {
        let a = filled(63, 65, 0.6);
        let b = filled(65, 3, 0.2);
        let mut c = Array2::<f32>::zeros((63, 3));
        matmul_into(&mut c, &a.mapv(|v| v as f32), &b.mapv(|v| v as f32));
        assert_relative_eq!(c.mapv(f64::from), naive(&a, &b), epsilon = 1e-4);
    }

    #[test]
    fn allocating_product_is_the_same_as_into() {
        // [[1, 2], [3, 4]] · [[5], [6]] = [[1·5 + 2·6], [3·5 + 4·6]] = [[17], [39]]
        let a = ndarray::array![[1.0, 2.0], [3.0, 4.0]];
        let b = ndarray::array![[5.0], [6.0]];
        assert_eq!(matmul(&a, &b), ndarray::array![[17.0], [39.0]]);
    }

    #[test]
    #[should_panic(expected = "the left operand is 2×3 and the right 2×1")]
    fn mismatched_shapes_name_both_operands() {
        let mut c = Array2::<f64>::zeros((2, 1));
        matmul_into(&mut c, &Array2::zeros((2, 3)), &Array2::zeros((2, 1)));
    }
}
