//! The Python script of `docs/model-files.md`, run on saved models with `python3`,
//! safetensors and numpy, predicts what `Model::predict` predicts. Skipped, with a message,
//! where those are not installed.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::fs;
use std::path::Path;
use std::process::Command;

use ndarray::{Array2, NdFloat};
use ndarray_rand::rand_distr::uniform::SampleUniform;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    Activation, Dataset, Init, Loss, Mlp, Model, Normalization, NormalizationKind, TrainConfig,
    train,
};

/// The page whose script is run: the test fails if the documented script is wrong.
const PAGE: &str = include_str!("../../../docs/model-files.md");

/// The first ```python block of the page.
fn script() -> &'static str {
    let start = PAGE.find("```python\n").expect("a python block in docs/model-files.md") + 10;
    let len = PAGE[start..].find("\n```").expect("the end of the python block") + 1;
    &PAGE[start..start + len]
}

fn python_with_packages() -> bool {
    Command::new("python3")
        .args(["-c", "import safetensors, numpy"])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Seeded raw inputs, `rows × width`, spread over roughly -5..5 plus a column offset.
fn inputs<F: NdFloat>(rows: usize, width: usize, seed: u64) -> Array2<F> {
    let mut rng = StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, width), |(_, j)| {
        F::from(rng.random_range(-5.0..5.0) + j as f64).unwrap_or_else(F::zero)
    })
}

/// A model of `architecture` with `activations` drawn from `seed`, its inputs
/// standardised; trained for a few epochs on a made-up target when `trained`.
fn model<F: NdFloat + SampleUniform>(
    architecture: &str,
    activations: &[Activation],
    seed: u64,
    trained: bool,
) -> Model<F> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut mlp =
        Mlp::new(&architecture.parse().unwrap(), activations, Init::default(), &mut rng).unwrap();
    let x = inputs::<F>(32, mlp.inputs(), seed);
    let normalization = Normalization::fit(NormalizationKind::Standardize, &x);
    if trained {
        let mut normalised = x.clone();
        normalization.apply(&mut normalised).unwrap();
        // Target: whether the first input is above its mean, in every output column.
        let y = Array2::from_shape_fn((x.nrows(), mlp.outputs()), |(i, _)| {
            if normalised[[i, 0]] > F::zero() { F::one() } else { F::zero() }
        });
        let data = Dataset::new(normalised, y).unwrap();
        let config =
            TrainConfig { rate: F::from(0.5).unwrap(), epochs: 300, ..TrainConfig::default() };
        train(&mut mlp, &data, &config).unwrap();
    }
    Model::new(mlp, normalization, Loss::MeanSquaredError).unwrap()
}

/// Runs the script on `model` and compares its predictions with [`Model::predict`]:
/// `|python − rust| ≤ tolerance · max(1, |rust|)`.
fn check<F: NdFloat>(dir: &Path, name: &str, model: &Model<F>, tolerance: f64) {
    let model_path = dir.join(format!("{name}.safetensors"));
    model.save(&model_path).unwrap();
    let x = inputs::<F>(9, model.mlp.inputs(), 77);
    // Each value widened to f64 and printed in full, so Python reads exactly `x`.
    let csv: String = x
        .rows()
        .into_iter()
        .map(|row| {
            let values: Vec<String> =
                row.iter().map(|v| format!("{:?}", v.to_f64().unwrap())).collect();
            values.join(",") + "\n"
        })
        .collect();
    let inputs_path = dir.join(format!("{name}.csv"));
    fs::write(&inputs_path, csv).unwrap();

    let out = Command::new("python3")
        .arg(dir.join("predict.py"))
        .arg(&model_path)
        .arg(&inputs_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name}: the script failed: {stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let python: Vec<Vec<f64>> = stdout
        .lines()
        .map(|line| line.split(',').map(|v| v.parse::<f64>().unwrap()).collect())
        .collect();

    let rust = model.predict(&x).unwrap();
    assert_eq!(python.len(), rust.nrows(), "{name}: rows");
    for (i, (p_row, r_row)) in python.iter().zip(rust.rows()).enumerate() {
        assert_eq!(p_row.len(), r_row.len(), "{name}: columns of row {i}");
        for (j, (&p, r)) in p_row.iter().zip(r_row).enumerate() {
            let r = r.to_f64().unwrap();
            assert!(
                (p - r).abs() <= tolerance * r.abs().max(1.0),
                "{name}: row {i}, column {j}: python {p}, rust {r}"
            );
        }
    }
}

#[test]
fn the_documented_python_script_predicts_what_rust_predicts() {
    if !python_with_packages() {
        println!("skipped: python3 with safetensors and numpy not found");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("predict.py"), script()).unwrap();

    for (seed, activation) in Activation::ALL.into_iter().enumerate() {
        let seed = seed as u64;
        let name = format!("{activation}-f32");
        // Softmax is only valid on the output layer: tanh stands in for it on the hidden one.
        let hidden = if activation.is_elementwise() { activation } else { Activation::Tanh };
        let activations = [hidden, activation];
        check(dir.path(), &name, &model::<f32>("4-5-3", &activations, seed, false), 1e-5);
        let name = format!("relu-{activation}-f64");
        let activations = [Activation::Relu, activation];
        check(dir.path(), &name, &model::<f64>("4-6-3", &activations, seed, false), 1e-12);
    }
    let activations = [Activation::Tanh, Activation::Relu, Activation::Sigmoid];
    check(dir.path(), "trained-f32", &model::<f32>("3-8-4-2", &activations, 21, true), 1e-5);
    check(dir.path(), "trained-f64", &model::<f64>("3-8-4-2", &activations, 22, true), 1e-12);
}
