//! Back-propagation equals a central finite difference on random small networks, in f64.
//!
//! The comparison and the kink guard are those of `tests/gradient_check.rs`, which explains
//! them at length: every entry within `1e-6` of its size plus a floor of `1e-8·max(1, C)`
//! for the quotient's rounding (`ε_mach·C/h ≈ 3.7e-11·C` at the default step, so the
//! floor is some 270 times it), and the whole gradient within `1e-6` of its norm plus that
//! floor over all `P` entries, `√P` times it. A wrong formula is off by a fraction of the
//! entry, not 1e-6 of it; a gradient below the floor is below what the quotient resolves.
//! A case where moving one parameter by `±h` could carry a ReLU's pre-activation across
//! its kink, so the difference quotient averages two slopes, is rejected rather than
//! checked (with random inputs this is rare: a pre-activation within about `1e-5` of 0).

use ndarray::{Array2, Axis};
use nn_net::{
    Activation, BatchGradient, Chunking, FiniteDifference, Gradient, Mlp, Workspace,
    finite_difference_gradient,
};
use proptest::prelude::*;

use crate::config;
use crate::spec::{Spec, chunking, spec};

/// The largest relative error allowed, over the whole gradient and per entry.
const TOLERANCE: f64 = 1e-6;

/// Compares a back-propagated gradient with a finite-difference one: the relative error
/// over the whole gradient, then entry by entry with an absolute floor for the quotient's
/// rounding.
fn compare(bp: &[f64], fd: &[f64], cost: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(bp.len(), fd.len());
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff: Vec<f64> = bp.iter().zip(fd).map(|(a, b)| a - b).collect();
    let floor = 1e-8 * cost.abs().max(1.0);
    // The floor of every entry, over the whole gradient: without it, a gradient whose norm
    // is near the quotient's rounding (a saturated tanh or sigmoid output, most ReLUs
    // dead) fails on rounding alone; seen at ‖g‖ = 6e-5 and 3e-9 with 1e-6 alone.
    let allowed = TOLERANCE * norm(bp).max(norm(fd)) + floor * (bp.len() as f64).sqrt();
    prop_assert!(
        norm(&diff) <= allowed,
        "‖bp − fd‖ = {:e} > {:e}: ‖bp‖ = {:e}, ‖fd‖ = {:e}",
        norm(&diff),
        allowed,
        norm(bp),
        norm(fd)
    );
    for (i, (&a, &b)) in bp.iter().zip(fd).enumerate() {
        let allowed = TOLERANCE * a.abs().max(b.abs()) + floor;
        prop_assert!(
            (a - b).abs() <= allowed,
            "entry {}: back-propagation {:e}, difference {:e}",
            i,
            a,
            b
        );
    }
    Ok(())
}

/// Every layer's pre-activations, by a plain forward pass over the public parameters.
fn pre_activations(mlp: &Mlp<f64>, x: &Array2<f64>) -> Vec<(Array2<f64>, Array2<f64>)> {
    let mut out: Vec<(Array2<f64>, Array2<f64>)> = Vec::new();
    for layer in mlp.layers() {
        let a_prev = out.last().map_or(x, |(_, a)| a);
        let z = a_prev.dot(&layer.w()) + layer.b().insert_axis(Axis(0));
        // Only hidden layers' activations are read (by the next layer), and those are
        // element-wise.
        let a = z.mapv(|v| layer.activation().value(v));
        out.push((z, a));
    }
    out
}

/// Whether a step of `h` on one parameter could carry a ReLU or leaky ReLU pre-activation
/// across 0: some `|z| ≤ 2·r_l`, where `r_l` bounds how far one parameter moved by `h`
/// moves layer `l`'s pre-activations (`tests/gradient_check.rs`, `reach`, derives it:
/// `r_0 = h·max(1, ‖X‖_∞)`, `r_l = max(c_l·r_{l−1}, h·max(1, ‖A_{l−1}‖_∞))` with `c_l` the
/// largest column sum of `|W_l|`; every hidden activation is 1-Lipschitz).
fn kink_within_reach(mlp: &Mlp<f64>, x: &Array2<f64>, h: f64) -> bool {
    let max_abs = |m: &Array2<f64>| m.iter().fold(0.0_f64, |acc, v| acc.max(v.abs()));
    let forward = pre_activations(mlp, x);
    let mut r_prev: Option<f64> = None;
    for (l, (layer, (z, _))) in mlp.layers().iter().zip(&forward).enumerate() {
        let a_prev = if l == 0 { x } else { &forward[l - 1].1 };
        let own = h * max_abs(a_prev).max(1.0);
        let carried = r_prev.map_or(0.0, |r| {
            let c = layer
                .w()
                .axis_iter(Axis(1))
                .map(|column| column.iter().map(|w| w.abs()).sum::<f64>())
                .fold(0.0, f64::max);
            c * r
        });
        let r = own.max(carried);
        let kinked = matches!(layer.activation(), Activation::Relu | Activation::LeakyRelu);
        if kinked && z.iter().any(|v| v.abs() <= 2.0 * r) {
            return true;
        }
        r_prev = Some(r);
    }
    false
}

fn check(spec: &Spec, spare: usize, chunking: Chunking) -> Result<(), TestCaseError> {
    let (mlp, data) = spec.case::<f64>();
    let (x, y) = (data.inputs(), data.targets());
    let settings = FiniteDifference::default();
    prop_assume!(!kink_within_reach(&mlp, x, settings.step), "a kink within a step");

    let fd = finite_difference_gradient(&mlp, &data, spec.loss, settings).expect("a fitting batch");
    let fd: Vec<f64> = fd.iter().collect();

    let mut workspace = Workspace::new(&mlp, spec.rows + spare);
    let mut gradient = Gradient::zeros(&mlp);
    let cost =
        mlp.gradient_into(&mut workspace, x, y, spec.loss, &mut gradient).expect("a fitting batch");
    compare(&gradient.iter().collect::<Vec<_>>(), &fd, cost)?;

    // Cut into chunks and summed by the tree, the same gradient.
    let mut batch = BatchGradient::new(&mlp, spec.rows, chunking).expect("a valid chunking");
    let cost = batch.compute(&mlp, x, y, spec.loss).expect("a fitting batch");
    compare(&batch.gradient().iter().collect::<Vec<_>>(), &fd, cost)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn back_propagation_equals_central_differences(
        spec in spec(12, 20),
        spare in 0..3_usize,
        chunking in chunking(),
    ) {
        check(&spec, spare, chunking)?;
    }
}
