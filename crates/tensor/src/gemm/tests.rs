//! The product against a naive reference: every path, every instruction set this CPU has,
//! both float types, awkward sizes, and operands in every layout.

use approx::assert_relative_eq;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, ShapeBuilder, s};

use super::{Element, Isa, Path, product};

const ISAS: [Isa; 3] = [Isa::Avx512, Isa::Avx2, Isa::Portable];
const PATHS: [Path; 4] = [Path::Auto, Path::Tiny, Path::Direct, Path::Blocked];

/// Deterministic, non-trivial entries without a random generator.
fn filled(rows: usize, cols: usize, salt: f64) -> Array2<f64> {
    Array2::from_shape_fn((rows, cols), |(i, j)| ((i * 31 + j * 17) as f64 * 0.37 + salt).sin())
}

/// How an operand is stored.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Row-major, contiguous.
    Rows,
    /// Column-major, contiguous (the same memory as a `.t()` view of a row-major array).
    Cols,
    /// Every other row of a twice-as-tall row-major array.
    EveryOtherRow,
}

const LAYOUTS: [Layout; 3] = [Layout::Rows, Layout::Cols, Layout::EveryOtherRow];

/// The backing array for `x` stored as `layout`.
fn store<E: Element>(x: &Array2<f64>, layout: Layout) -> Array2<E> {
    let (r, c) = x.dim();
    let x = x.mapv(|v| E::from(v).expect("a float"));
    match layout {
        Layout::Rows => x,
        Layout::Cols => {
            let mut f = Array2::zeros((r, c).f());
            f.assign(&x);
            f
        }
        Layout::EveryOtherRow => {
            let mut big = Array2::from_elem((2 * r, c), E::nan());
            big.slice_mut(s![..;2, ..]).assign(&x);
            big
        }
    }
}

/// The view of `backing` that holds the operand (`store`'s inverse).
fn view<E: Element>(backing: &Array2<E>, layout: Layout) -> ArrayView2<'_, E> {
    match layout {
        Layout::Rows | Layout::Cols => backing.view(),
        Layout::EveryOtherRow => backing.slice(s![..;2, ..]),
    }
}

fn view_mut<E: Element>(backing: &mut Array2<E>, layout: Layout) -> ArrayViewMut2<'_, E> {
    match layout {
        Layout::Rows | Layout::Cols => backing.view_mut(),
        Layout::EveryOtherRow => backing.slice_mut(s![..;2, ..]),
    }
}

/// `alpha·a·b + beta·c` in f64, the textbook triple loop, and per element the bound
/// `Σ_p |α a_ip b_pj| + |β c_ij|` its rounding error is measured against.
fn naive(
    alpha: f64,
    a: &Array2<f64>,
    b: &Array2<f64>,
    beta: f64,
    c: &Array2<f64>,
) -> (Array2<f64>, Array2<f64>) {
    let (m, k) = a.dim();
    let n = b.ncols();
    let c0 = |i, j| if beta == 0.0 { 0.0 } else { beta * c[[i, j]] };
    let value = Array2::from_shape_fn((m, n), |(i, j)| {
        alpha * (0..k).map(|p| a[[i, p]] * b[[p, j]]).sum::<f64>() + c0(i, j)
    });
    let scale = Array2::from_shape_fn((m, n), |(i, j)| {
        (0..k).map(|p| (alpha * a[[i, p]] * b[[p, j]]).abs()).sum::<f64>() + c0(i, j).abs()
    });
    (value, scale)
}

/// Checks one product against the reference: the error in each element is at most a few
/// roundings per step of `k`, relative to the sum of magnitudes that went into it.
#[allow(clippy::too_many_arguments)]
fn check<E: Element>(
    path: Path,
    isa: Isa,
    (m, k, n): (usize, usize, usize),
    layouts: (Layout, Layout, Layout),
    alpha: f64,
    beta: f64,
) {
    let a = filled(m, k, 0.1);
    let b = filled(k, n, 0.7);
    let c0 = filled(m, n, 0.3);
    let (expected, scale) = naive(alpha, &a, &b, beta, &c0);
    let a_store = store::<E>(&a, layouts.0);
    let b_store = store::<E>(&b, layouts.1);
    let mut c_store = store::<E>(&c0, layouts.2);
    if beta == 0.0 {
        // β = 0 must not read C: NaN there must not survive.
        view_mut(&mut c_store, layouts.2).fill(E::nan());
    }
    let (alpha_e, beta_e) = (E::from(alpha).unwrap(), E::from(beta).unwrap());
    let mut c = view_mut(&mut c_store, layouts.2);
    product(
        path,
        isa,
        alpha_e,
        view(&a_store, layouts.0),
        view(&b_store, layouts.1),
        beta_e,
        None,
        &mut c,
    );
    let eps = E::epsilon().to_f64().unwrap();
    let tol = 4.0 * (k as f64 + 2.0) * eps;
    for ((i, j), &got) in c.indexed_iter() {
        let got = got.to_f64().unwrap();
        let err = (got - expected[[i, j]]).abs();
        assert!(
            err <= tol * scale[[i, j]] + f64::MIN_POSITIVE,
            "{path:?} {isa:?} {}: {m}×{k}·{k}×{n}, layouts {layouts:?}, α={alpha} β={beta}: \
             c[{i}, {j}] = {got}, expected {} (error {err:e}, bound {:e})",
            std::any::type_name::<E>(),
            expected[[i, j]],
            tol * scale[[i, j]],
        );
    }
    // The rows around a strided C are untouched.
    if let Layout::EveryOtherRow = layouts.2 {
        assert!(c_store.slice(s![1..;2, ..]).iter().all(|x| x.is_nan()));
    }
}

fn all_isas() -> impl Iterator<Item = Isa> {
    ISAS.into_iter().filter(|isa| isa.available())
}

/// Awkward sizes: a single element, fewer than a SIMD lane, one under and one over a power
/// of two (so kernel edges and packing edges are both exercised).
const SIZES: [usize; 4] = [1, 3, 63, 65];

fn awkward_sizes<E: Element>() {
    for isa in all_isas() {
        for path in PATHS {
            for &m in &SIZES {
                for &k in &SIZES {
                    for &n in &SIZES {
                        for (i, &la) in LAYOUTS.iter().enumerate() {
                            for (j, &lb) in LAYOUTS.iter().enumerate() {
                                // C's layout cycles with A's and B's, to keep the count down.
                                let lc = LAYOUTS[(i + j) % 3];
                                check::<E>(path, isa, (m, k, n), (la, lb, lc), 1.0, 0.0);
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn awkward_sizes_all_layouts_f32() {
    awkward_sizes::<f32>();
}

#[test]
fn awkward_sizes_all_layouts_f64() {
    awkward_sizes::<f64>();
}

/// Sizes that cross the block sizes (`kc = 256`, `mc` from 12 to 96, `nc` from 512 to 2048)
/// in one dimension at a time, with an odd remainder.
const CROSSING: [(usize, usize, usize); 7] = [
    (1025, 65, 63),
    (63, 1025, 65),
    (65, 63, 1025),
    (129, 257, 65),
    (257, 129, 33),
    (3, 5, 4097),
    (13, 300, 2049),
];

fn crossing_block_sizes<E: Element>() {
    for isa in all_isas() {
        for &(m, k, n) in &CROSSING {
            for layouts in [
                (Layout::Rows, Layout::Rows, Layout::Rows),
                (Layout::Cols, Layout::Rows, Layout::Rows),
                (Layout::Rows, Layout::Cols, Layout::EveryOtherRow),
                (Layout::EveryOtherRow, Layout::EveryOtherRow, Layout::Cols),
            ] {
                check::<E>(Path::Auto, isa, (m, k, n), layouts, 1.0, 0.0);
            }
        }
    }
}

#[test]
fn crossing_block_sizes_f32() {
    crossing_block_sizes::<f32>();
}

#[test]
fn crossing_block_sizes_f64() {
    crossing_block_sizes::<f64>();
}

#[test]
fn alpha_and_beta() {
    for isa in all_isas() {
        for path in PATHS {
            for (alpha, beta) in [(1.0, 1.0), (-2.5, 0.0), (0.5, -1.5), (3.0, 1.0), (0.0, 2.0)] {
                for &(m, k, n) in &[(3, 5, 7), (65, 63, 33), (13, 300, 70)] {
                    for layouts in [
                        (Layout::Rows, Layout::Rows, Layout::Rows),
                        (Layout::Cols, Layout::Cols, Layout::Cols),
                        (Layout::Rows, Layout::Cols, Layout::EveryOtherRow),
                    ] {
                        check::<f32>(path, isa, (m, k, n), layouts, alpha, beta);
                        check::<f64>(path, isa, (m, k, n), layouts, alpha, beta);
                    }
                }
            }
        }
    }
}

/// With `k = 0` the product is empty: `c ← β·c`, zeros for `β = 0` even over NaN.
#[test]
fn empty_dimensions() {
    for isa in all_isas() {
        for path in PATHS {
            let a = Array2::<f32>::zeros((3, 0));
            let b = Array2::<f32>::zeros((0, 4));
            let mut c = Array2::from_elem((3, 4), f32::NAN);
            product(path, isa, 1.0, a.view(), b.view(), 0.0, None, &mut c);
            assert_eq!(c, Array2::zeros((3, 4)));
            let mut c = Array2::from_elem((3, 4), 1.5_f64);
            product(
                path,
                isa,
                1.0,
                a.mapv(f64::from).view(),
                b.mapv(f64::from).view(),
                2.0,
                None,
                &mut c,
            );
            assert_eq!(c, Array2::from_elem((3, 4), 3.0));
            // m = 0 or n = 0: nothing to write, nothing read.
            let mut c = Array2::<f32>::zeros((0, 4));
            product(
                path,
                isa,
                1.0,
                Array2::zeros((0, 5)).view(),
                Array2::ones((5, 4)).view(),
                0.0,
                None,
                &mut c,
            );
            let mut c = Array2::<f32>::zeros((3, 0));
            product(
                path,
                isa,
                1.0,
                Array2::ones((3, 5)).view(),
                Array2::zeros((5, 0)).view(),
                0.0,
                None,
                &mut c,
            );
        }
    }
}

/// One product, as bits.
fn bits<E: Element>(path: Path, isa: Isa, a: ArrayView2<'_, E>, b: ArrayView2<'_, E>) -> Array2<E> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    product(path, isa, E::one(), a, b, E::zero(), None, &mut c);
    c
}

/// Every element is one chain of FMAs over `p` in order, so the tiny, direct and blocked paths,
/// and the AVX-512 and AVX2 kernels, agree to the last bit; and a row of C does not depend
/// on how many rows are computed with it (a batch cut into chunks gives the same rows). The
/// small network's shapes, `28×10 · 10×20` and the like, take the direct path's narrow
/// kernel (B read where it lies, every column in one pass, the last vector masked) for a
/// row-major B with A either way round, and for a column-major B copied row-major first.
#[test]
fn same_bits_whatever_the_path_kernel_or_rows() {
    let shapes = [(65, 63, 33), (100, 300, 70), (7, 1025, 3), (28, 10, 20), (10, 28, 20)];
    let narrow = [(20, 28, 6), (29, 40, 24), (13, 5, 9), (6, 7, 1), (9, 17, 16), (6, 2, 12)];
    for &(m, k, n) in shapes.iter().chain(&narrow) {
        let a = filled(m, k, 0.2).mapv(|v| v as f32);
        let b = filled(k, n, 0.4).mapv(|v| v as f32);
        let fused: Vec<Isa> = all_isas().filter(|&isa| isa != Isa::Portable).collect();
        for isa in all_isas() {
            let reference = bits(Path::Blocked, isa, a.view(), b.view());
            assert_eq!(bits(Path::Blocked, isa, a.view(), b.view()), reference, "repeatable");
            assert_eq!(bits(Path::Tiny, isa, a.view(), b.view()), reference, "tiny = blocked");
            assert_eq!(bits(Path::Direct, isa, a.view(), b.view()), reference, "direct = blocked");
            assert_eq!(bits(Path::Direct, isa, a.t().to_owned().t(), b.view()), reference);
            assert_eq!(bits(Path::Direct, isa, a.view(), b.t().to_owned().t()), reference);
            assert_eq!(bits(Path::Blocked, isa, a.t().t(), b.view()), reference);
            let rows = bits(Path::Auto, isa, a.slice(s![5..m.min(40), ..]), b.view());
            assert_eq!(rows, reference.slice(s![5..m.min(40), ..]), "rows do not depend on m");
            if fused.contains(&isa) {
                assert_eq!(reference, bits(Path::Blocked, fused[0], a.view(), b.view()));
            }
        }
    }
}

#[test]
#[should_panic(expected = "a is 2×3 and b is 2×1")]
fn gemm_into_names_the_shapes() {
    let mut c = Array2::<f64>::zeros((2, 1));
    super::gemm_into(1.0, &Array2::zeros((2, 3)), &Array2::zeros((2, 1)), 0.0, &mut c);
}

#[test]
fn gemm_into_accumulates() {
    // [[1, 2], [3, 4]] · [[5], [6]] = [[17], [39]]; 2·that + 10·[[1], [1]] = [[44], [88]]
    let a = ndarray::array![[1.0_f32, 2.0], [3.0, 4.0]];
    let b = ndarray::array![[5.0_f32], [6.0]];
    let mut c = ndarray::array![[1.0_f32], [1.0]];
    super::gemm_into(2.0, &a, &b, 10.0, &mut c);
    assert_relative_eq!(c, ndarray::array![[44.0], [88.0]]);
}

/// The kernels' groups of rows cover `0..m` in order, each `R`, 4, 2 or 1 rows, with
/// whole groups of `R` first (28 rows with `R = 6`: four of 6, then one of 4).
#[test]
fn row_groups_cover_every_row_once() {
    fn check<const R: usize>() {
        for m in 0..40 {
            let groups: Vec<_> = super::kernel::row_groups::<R>(m).collect();
            let mut next = 0;
            for &(i, rows) in &groups {
                assert_eq!(i, next, "R = {R}, m = {m}: {groups:?}");
                assert!(rows == R || (rows < R && [4, 2, 1].contains(&rows)), "{groups:?}");
                next += rows;
            }
            assert_eq!(next, m, "R = {R}, m = {m}: {groups:?}");
            let whole = groups.iter().take_while(|g| g.1 == R).count();
            assert_eq!(whole, m / R, "R = {R}, m = {m}: {groups:?}");
        }
    }
    check::<8>();
    check::<6>();
    check::<4>();
    check::<3>();
    check::<1>();
    let groups: Vec<_> = super::kernel::row_groups::<6>(28).collect();
    assert_eq!(groups, [(0, 6), (6, 6), (12, 6), (18, 6), (24, 4)]);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn narrow_extents_fit_exactly_and_no_further() {
    use super::simd::narrow_extents_fit;
    // A 5 × 3 product with n = 4: row-major A (5 rows of 3, 7 apart) ends at 4·7 + 3 = 31,
    // column-major A (3 rows of 5, 6 apart) at 2·6 + 5 = 17; B is 3 × 4 = 12 values; C (5
    // rows of 4, 9 apart) ends at 4·9 + 4 = 40. One value fewer anywhere does not fit.
    assert!(narrow_extents_fit(true, 5, 3, (31, 7), 12, 4, (40, 9)));
    assert!(!narrow_extents_fit(true, 5, 3, (30, 7), 12, 4, (40, 9)));
    assert!(narrow_extents_fit(false, 5, 3, (17, 6), 12, 4, (40, 9)));
    assert!(!narrow_extents_fit(false, 5, 3, (16, 6), 12, 4, (40, 9)));
    assert!(!narrow_extents_fit(true, 5, 3, (31, 7), 11, 4, (40, 9)));
    assert!(!narrow_extents_fit(true, 5, 3, (31, 7), 12, 4, (39, 9)));
    // No rows or no steps read nothing of A; no rows write nothing of C.
    assert!(narrow_extents_fit(true, 0, 3, (0, 7), 12, 4, (0, 9)));
    assert!(narrow_extents_fit(false, 5, 0, (0, 6), 0, 4, (40, 9)));
    // Arithmetic that overflows does not fit.
    assert!(!narrow_extents_fit(true, usize::MAX, 3, (usize::MAX, 7), 12, 4, (40, 9)));
    assert!(!narrow_extents_fit(true, 5, usize::MAX, (31, 7), usize::MAX, 4, (40, 9)));
}

/// The product with a bias row gives the bits of the product followed by the bias pass, on
/// every path and instruction set, for A and B either way round and C row-major,
/// column-major or strided, onto zeros (β = 0, C holding NaN) and onto C (β = 1): the narrow
/// kernel's stores (the small shapes), the direct kernel's panels, and the other paths (the
/// bias added after). With no steps (`k = 0`) C is `β·C + 1·biasᵀ`.
fn bias_row_gives_the_bits_of_product_then_bias<E: Element>() {
    let shapes = [(28, 10, 20), (28, 20, 6), (20, 28, 6), (13, 5, 9), (6, 7, 1), (29, 40, 24)];
    let more = [(3, 1, 1), (28, 10, 40), (65, 63, 33), (7, 1025, 3), (100, 300, 70), (4, 2, 1)];
    let edges = [(3, 0, 4), (2, 3, 2)];
    let bits = |x: &E| x.to_f64().map(f64::to_bits);
    for &(m, k, n) in shapes.iter().chain(&more).chain(&edges) {
        let bias: Vec<E> =
            (0..n).map(|j| E::from(0.3 - j as f64 * 0.07).unwrap_or(E::one())).collect();
        let bias_row = ndarray::ArrayView1::from(&bias[..]);
        for (isa, path, beta) in all_isas()
            .flat_map(|isa| PATHS.map(|path| (isa, path)))
            .flat_map(|(isa, path)| [(isa, path, 0.0), (isa, path, 1.0)])
        {
            let beta = E::from(beta).unwrap_or(E::zero());
            let c0 = if beta == E::zero() {
                Array2::from_elem((m, n), f64::NAN)
            } else {
                filled(m, n, 0.5)
            };
            for (i, &la) in LAYOUTS.iter().enumerate() {
                for (j, &lb) in LAYOUTS.iter().enumerate() {
                    let lc = LAYOUTS[(i + j) % 3];
                    let (a, b) =
                        (store::<E>(&filled(m, k, 0.2), la), store::<E>(&filled(k, n, 0.4), lb));
                    let (a, b) = (view(&a, la), view(&b, lb));
                    let mut expected = c0.mapv(|x| E::from(x).unwrap_or(E::zero()));
                    product(path, isa, E::one(), a, b, beta, None, &mut expected);
                    crate::add_row_into(&mut expected, &bias_row);
                    let mut backing = store::<E>(&c0, lc);
                    product(
                        path,
                        isa,
                        E::one(),
                        a,
                        b,
                        beta,
                        Some(&bias),
                        &mut view_mut(&mut backing, lc),
                    );
                    let found = view(&backing, lc).to_owned();
                    let same = found.iter().zip(&expected).all(|(x, y)| bits(x) == bits(y));
                    assert!(
                        same,
                        "{m}×{k}·{k}×{n}, {path:?} {isa:?} β={beta:?}, {la:?} {lb:?} {lc:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn bias_row_gives_the_bits_of_product_then_bias_f32() {
    bias_row_gives_the_bits_of_product_then_bias::<f32>();
}

#[test]
fn bias_row_gives_the_bits_of_product_then_bias_f64() {
    bias_row_gives_the_bits_of_product_then_bias::<f64>();
}
