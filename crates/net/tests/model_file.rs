//! Model files: a saved model loads back bit-identical; every kind of damage or disagreement
//! in a file is refused with an error naming the file and what is wrong; saving over a file
//! is atomic and leaves no temporary files.

// So that clippy.toml's allow-*-in-tests covers the helpers too (rust-clippy#11119).
#![cfg(test)]

use std::fs;
use std::path::{Path, PathBuf};

use ndarray::{Array2, NdFloat};
use ndarray_rand::rand_distr::uniform::SampleUniform;
use nn_net::rand::rngs::StdRng;
use nn_net::rand::{Rng, SeedableRng};
use nn_net::{
    Activation, Init, Loss, MODEL_FORMAT_VERSION, Mlp, Model, ModelFileError, ModelFileErrorKind,
    Normalization, NormalizationKind, Tensor, TensorData, TensorFile,
};
use safetensors::SafeTensors;

/// Seeded inputs, `rows × width`, spread over roughly -5..5 plus a column offset.
fn inputs<F: NdFloat>(rows: usize, width: usize, seed: u64) -> Array2<F> {
    let mut rng = StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, width), |(_, j)| {
        F::from(rng.random_range(-5.0..5.0) + j as f64).unwrap_or_else(F::zero)
    })
}

/// A model of `architecture` with `activations`, drawn from `seed`, its inputs standardised.
fn model<F: NdFloat + SampleUniform>(
    architecture: &str,
    activations: &[Activation],
    seed: u64,
) -> Model<F> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mlp =
        Mlp::new(&architecture.parse().unwrap(), activations, Init::default(), &mut rng).unwrap();
    let x = inputs::<F>(16, mlp.inputs(), seed);
    let normalization = Normalization::fit(NormalizationKind::Standardize, &x);
    Model::new(mlp, normalization, Loss::MeanSquaredError).unwrap()
}

/// A small f32 model, `2-3-1`.
fn small(seed: u64) -> Model<f32> {
    model("2-3-1", &[Activation::Tanh, Activation::Sigmoid], seed)
}

/// The error of a call that must fail.
#[track_caller]
fn err<T: std::fmt::Debug>(result: Result<T, ModelFileError>) -> ModelFileError {
    result.expect_err("a bad file was accepted")
}

/// Asserts that the message names the file and contains every one of `parts`.
#[track_caller]
fn assert_says(error: &ModelFileError, path: &Path, parts: &[&str]) {
    let message = error.to_string();
    assert_eq!(error.path, path);
    assert!(
        message.starts_with(&format!("{}: ", path.display())),
        "{message:?} does not start with the path"
    );
    for part in parts {
        assert!(message.contains(part), "{message:?} does not say {part:?}");
    }
}

/// Loads the model at `path` as f32, expecting an error that says `parts`.
#[track_caller]
fn assert_refused(path: &Path, parts: &[&str]) -> ModelFileError {
    let error = err(Model::<f32>::load(path));
    assert_says(&error, path, parts);
    error
}

/// Saves a small model, changes its tensors or metadata, and saves the result.
fn edited(dir: &Path, edit: impl FnOnce(&mut TensorFile)) -> PathBuf {
    let path = dir.join("edited.safetensors");
    small(1).save(&path).unwrap();
    let mut file = TensorFile::load(&path).unwrap();
    edit(&mut file);
    file.save(&path).unwrap();
    path
}

/// The names in a directory, sorted (hidden ones included: temporary files start with `.`).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn round_trip<F: NdFloat + SampleUniform>(dir: &Path) {
    let path = dir.join("model.safetensors");
    for (seed, activation) in Activation::ALL.into_iter().enumerate() {
        // Softmax is only valid on the output layer: tanh stands in for it on hidden ones.
        let hidden = if activation.is_elementwise() { activation } else { Activation::Tanh };
        for (architecture, activations) in [
            ("3-2", vec![activation]),
            ("3-4-2", vec![hidden, activation]),
            ("5-4-3-2", vec![Activation::Relu, hidden, activation]),
        ] {
            let model = model::<F>(architecture, &activations, seed as u64);
            model.save(&path).unwrap();
            let loaded = Model::<F>::load(&path).unwrap();
            assert_eq!(loaded, model, "{architecture} {activation}");
            let x = inputs::<F>(7, model.mlp.inputs(), 99);
            // Bit-identical: the same parameters give the same products.
            assert_eq!(loaded.predict(&x).unwrap(), model.predict(&x).unwrap());
        }
    }
}

#[test]
fn f32_and_f64_models_round_trip_bit_identical_for_every_activation() {
    let dir = tempfile::tempdir().unwrap();
    round_trip::<f32>(dir.path());
    round_trip::<f64>(dir.path());
    for kind in NormalizationKind::ALL {
        let mut model = small(3);
        model.normalization = Normalization::fit(kind, &inputs::<f32>(9, 2, 3));
        let path = dir.path().join(format!("{kind}.safetensors"));
        model.save(&path).unwrap();
        assert_eq!(Model::<f32>::load(&path).unwrap(), model, "{kind}");
    }
}

#[test]
fn the_file_holds_the_documented_layout_and_the_safetensors_crate_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let model = small(4);
    model.save(&path).unwrap();

    let file = TensorFile::load(&path).unwrap();
    let meta = |key: &str| file.metadata[key].as_str();
    assert_eq!(meta("format"), "nn-mlp");
    assert_eq!(meta("format_version"), MODEL_FORMAT_VERSION.to_string());
    assert_eq!(meta("architecture"), "2-3-1");
    assert_eq!(meta("activations"), "tanh,sigmoid");
    assert_eq!(meta("loss"), "mse");
    assert_eq!(meta("normalization"), "standardize");
    assert_eq!(meta("dtype"), "f32");
    assert_eq!(meta("nn_version"), env!("CARGO_PKG_VERSION"));
    let names: Vec<&str> = file.tensors.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "layers.0.bias",
            "layers.0.weight",
            "layers.1.bias",
            "layers.1.weight",
            "normalization.scale",
            "normalization.shift"
        ]
    );
    let w0 = &file.tensors["layers.0.weight"];
    assert_eq!(w0.shape, [2, 3]);
    // Row-major [inputs, outputs], as the network holds it.
    let w: Vec<f32> = model.mlp.layers()[0].w().iter().copied().collect();
    assert_eq!(w0.data, TensorData::F32(w));
    assert_eq!(
        file.tensors["normalization.shift"].data,
        TensorData::F64(model.normalization.shift().to_vec())
    );

    // The reference reader accepts it, and every tensor is aligned to its type's size.
    let bytes = fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(header_len % 8, 0);
    let parsed = SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(parsed.len(), 6);
    let data_start = bytes.as_ptr() as usize + 8 + header_len;
    for (name, view) in parsed.iter() {
        let offset = view.data().as_ptr() as usize - data_start;
        assert_eq!(offset % (view.dtype().bitsize() / 8), 0, "{name} at {offset}");
    }

    // The same model gives the same bytes.
    let again = dir.path().join("again.safetensors");
    model.save(&again).unwrap();
    assert_eq!(fs::read(&again).unwrap(), bytes);
}

#[test]
fn a_file_loads_as_the_other_float_type_by_the_documented_rule() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");

    // f32 → f64 widens exactly.
    let narrow = small(5);
    narrow.save(&path).unwrap();
    let wide = Model::<f64>::load(&path).unwrap();
    for (a, b) in narrow.mlp.parameters().zip(wide.mlp.parameters()) {
        assert_eq!(f64::from(a), b);
    }

    // f64 → f32 rounds to nearest, as `as f32` does.
    let wide = model::<f64>("2-3-1", &[Activation::Tanh, Activation::Sigmoid], 6);
    wide.save(&path).unwrap();
    let narrow = Model::<f32>::load(&path).unwrap();
    for (a, b) in wide.mlp.parameters().zip(narrow.mlp.parameters()) {
        assert_eq!(a as f32, b);
    }
    assert_eq!(narrow.normalization, wide.normalization);

    // A weight beyond f32's range is refused, not turned into infinity.
    let mut huge = wide.clone();
    huge.mlp.layer_mut(1).unwrap().w_mut()[[2, 0]] = 1e300;
    huge.save(&path).unwrap();
    assert_refused(&path, &["tensor layers.1.weight: value 2 is 1e300, beyond the range of f32"]);
    assert_eq!(Model::<f64>::load(&path).unwrap(), huge);
}

#[test]
fn a_damaged_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    small(7).save(&path).unwrap();
    let good = fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let damaged = |change: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.clone();
        change(&mut bytes);
        fs::write(&path, &bytes).unwrap();
    };

    // The header length: its top byte makes it enormous, its low byte moves the JSON's end.
    damaged(&|b| b[7] ^= 0x40);
    assert_refused(
        &path,
        &["damaged safetensors file: the header length is", "expected at most 100000000"],
    );
    damaged(&|b| b[0] ^= 0x08);
    let e = assert_refused(&path, &["damaged safetensors file"]);
    assert!(matches!(e.kind, ModelFileErrorKind::Damaged { .. }), "{e}");
    damaged(&|b| b[1] ^= 0x10);
    assert_refused(&path, &["damaged safetensors file: truncated: the header length is"]);

    // The JSON itself.
    let json = |b: &Vec<u8>, text: &str| {
        let header = &b[8..8 + header_len];
        8 + header.windows(text.len()).position(|w| w == text.as_bytes()).unwrap()
    };
    damaged(&|b| b[8] = b'[');
    assert_refused(&path, &["damaged safetensors file: the header is not a JSON object"]);
    damaged(&|b| {
        let i = json(b, "\"layers.0.bias\"");
        b[i] = b'x';
    });
    assert_refused(&path, &["the header is not a JSON object", "line 1"]);
    damaged(&|b| b[8 + header_len - 1] = 0xff);
    assert_refused(&path, &["the header is not UTF-8 text"]);
    damaged(&|b| {
        let i = json(b, "F32");
        b[i + 2] = b'7';
    });
    assert_refused(
        &path,
        &["damaged safetensors file: tensor layers.0.bias: expected an entry with dtype"],
    );
    damaged(&|b| {
        let i = json(b, "\"shape\":[3]");
        b[i + 9] = b'4';
    });
    assert_refused(
        &path,
        &[
            "tensor layers.0.bias: shape [4] of F32 needs 16 bytes; its data_offsets",
            "span 12 bytes",
        ],
    );
    damaged(&|b| {
        let i = json(b, "\"data_offsets\":[0,");
        b[i + 16] = b'8';
    });
    assert_refused(&path, &["damaged safetensors file: tensor"]);
    damaged(&|b| {
        let i = json(b, "\"__metadata__\":{");
        b[i + 16] = b'1';
    });
    assert_refused(&path, &["damaged safetensors file"]);
}

#[test]
fn a_truncated_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    small(8).save(&path).unwrap();
    let good = fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let data_len = good.len() - 8 - header_len;

    fs::write(&path, &good[..good.len() - 4]).unwrap();
    assert_refused(
        &path,
        &[&format!(
            "truncated: the header describes {data_len} bytes of tensor data, but only {} bytes \
             follow it",
            data_len - 4
        )],
    );
    fs::write(&path, &good[..8 + header_len / 2]).unwrap();
    assert_refused(
        &path,
        &[&format!(
            "truncated: the header length is {header_len} bytes, but only {} bytes follow it",
            header_len / 2
        )],
    );
    fs::write(&path, &good[..5]).unwrap();
    assert_refused(&path, &["the file is 5 bytes long; expected at least 8"]);
    fs::write(&path, b"").unwrap();
    assert_refused(&path, &["the file is 0 bytes long"]);

    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 4]);
    fs::write(&path, &longer).unwrap();
    assert_refused(&path, &["expected the file to end after the last tensor"]);
}

#[test]
fn metadata_that_disagrees_with_the_tensors_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let set = |key: &str, value: &str| {
        let (key, value) = (key.to_owned(), value.to_owned());
        edited(dir, move |f| {
            f.metadata.insert(key, value);
        })
    };

    let path = set("architecture", "3-4-1");
    assert_refused(
        &path,
        &["tensor layers.0.weight has shape [2, 3]; expected [3, 4] for architecture 3-4-1"],
    );
    let path = set("architecture", "2-x-1");
    assert_refused(
        &path,
        &[
            "metadata architecture is \"2-x-1\": expected sizes joined by '-', such as 784-128-10; size 1 is",
            "size 1 is \"x\"",
        ],
    );
    let path = set("architecture", "2-3-1-1");
    assert_refused(
        &path,
        &[
            "metadata activations is \"tanh,sigmoid\": expected one activation per layer, 3 for architecture 2-3-1-1; found 2",
        ],
    );
    let path = set("activations", "tanh");
    assert_refused(
        &path,
        &[
            "metadata activations is \"tanh\": expected one activation per layer, 2 for architecture 2-3-1; found 1",
        ],
    );
    let path = set("activations", "tanh,cosine");
    assert_refused(
        &path,
        &[
            "metadata activations is \"tanh,cosine\": name 1: unknown activation \"cosine\"; expected one of sigmoid, tanh",
        ],
    );
    let path = set("loss", "hinge");
    assert_refused(&path, &["metadata loss is \"hinge\": unknown loss \"hinge\""]);
    let path = set("normalization", "whiten");
    assert_refused(
        &path,
        &["metadata normalization is \"whiten\": expected none, scale or standardize"],
    );
    let path = set("dtype", "f16");
    assert_refused(&path, &["metadata dtype is \"f16\": expected f32 or f64"]);
    let path = set("dtype", "f64");
    assert_refused(
        &path,
        &["tensor layers.0.weight holds F32 values; expected F64 (the metadata's dtype)"],
    );
    let path = set("format", "pt");
    assert_refused(
        &path,
        &["metadata format is \"pt\": expected \"nn-mlp\" (this is not an nn model file)"],
    );
    let path = set("format_version", "2");
    let e =
        assert_refused(&path, &["format_version is 2, newer than the 1 this version of nn reads"]);
    assert!(matches!(e.kind, ModelFileErrorKind::NewerVersion { found: 2, supported: 1 }));
    let path = set("format_version", "one");
    assert_refused(&path, &["metadata format_version is \"one\": expected a whole number from 1"]);
    let path = edited(dir, |f| {
        f.metadata.remove("loss");
    });
    assert_refused(&path, &["no metadata loss; expected a loss name"]);
    let path = edited(dir, |f| f.metadata.clear());
    assert_refused(&path, &["no metadata format; expected \"nn-mlp\""]);

    // Tensors.
    let path = edited(dir, |f| {
        f.tensors.remove("layers.1.bias");
    });
    assert_refused(
        &path,
        &[
            "no tensor layers.1.bias; expected layers.{i}.weight and layers.{i}.bias for each of the 2 layers of architecture 2-3-1",
        ],
    );
    let path = edited(dir, |f| {
        f.tensors.insert("layers.1.weight".into(), Tensor::new(vec![1, 3], vec![0.5_f32; 3]));
    });
    assert_refused(
        &path,
        &["tensor layers.1.weight has shape [1, 3]; expected [3, 1] for architecture 2-3-1"],
    );
    let path = edited(dir, |f| {
        f.tensors.insert("layers.2.weight".into(), Tensor::new(vec![1, 1], vec![0.5_f32]));
    });
    assert_refused(&path, &["unexpected tensor layers.2.weight"]);
    let path = edited(dir, |f| {
        f.tensors.insert("layers.0.bias".into(), Tensor::new(vec![3], vec![0.5_f64; 3]));
    });
    assert_refused(
        &path,
        &["tensor layers.0.bias holds F64 values; expected F32 (the metadata's dtype)"],
    );

    // Normalisation.
    let path = edited(dir, |f| {
        f.tensors.insert("normalization.shift".into(), Tensor::new(vec![3], vec![0.0_f64; 3]));
    });
    assert_refused(
        &path,
        &[
            "tensor normalization.shift has shape [3]; expected [2] for the 2 inputs of architecture 2-3-1",
        ],
    );
    let path = edited(dir, |f| {
        f.tensors.insert("normalization.scale".into(), Tensor::new(vec![2], vec![1.0_f32; 2]));
    });
    assert_refused(&path, &["tensor normalization.scale holds F32 values; expected F64"]);
    let path = edited(dir, |f| {
        f.tensors.insert("normalization.scale".into(), Tensor::new(vec![2], vec![1.0, -2.0]));
    });
    assert_refused(
        &path,
        &["invalid normalization: scale of column 1 is -2; expected a positive number"],
    );
    let path = edited(dir, |f| {
        f.metadata.insert("normalization".into(), "none".into());
    });
    assert_refused(&path, &["invalid normalization: kind none must have shift 0 and scale 1"]);
}

#[test]
fn a_normalization_of_kind_none_with_other_statistics_cannot_be_built() {
    // Found by the round-trip property (tests/properties): `from_parts` took kind `none`
    // with shift 1 and scale 2, `Model::new` and `save` took the model, and `load` refused
    // the file it had just written. Now the statistics are refused where they are made,
    // with the message a file holding them gets on load.
    let e = Normalization::from_parts(NormalizationKind::None, vec![0.0, 1.0], vec![1.0, 2.0])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid normalization: kind none must have shift 0 and scale 1; column 1 has shift 1 \
         and scale 2"
    );
    // The identity's statistics (a zero of either sign) still make a `none` that saves and
    // loads back.
    let none = Normalization::from_parts(NormalizationKind::None, vec![-0.0], vec![1.0]).unwrap();
    let layer =
        nn_net::Layer::new(ndarray::array![[0.5_f32]], ndarray::array![0.25], Activation::Identity);
    let mlp = Mlp::from_layers(vec![layer.unwrap()]).unwrap();
    let model = Model::new(mlp, none, Loss::MeanSquaredError).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.safetensors");
    model.save(&path).unwrap();
    assert_eq!(Model::<f32>::load(&path).unwrap(), model);
}

#[test]
fn non_finite_parameters_are_refused_on_load_and_on_save() {
    let dir = tempfile::tempdir().unwrap();
    for (value, says) in [(f32::NAN, "NaN"), (f32::INFINITY, "inf"), (f32::NEG_INFINITY, "-inf")] {
        let path = edited(dir.path(), |f| {
            let mut w = vec![0.25_f32; 3];
            w[2] = value;
            f.tensors.insert("layers.1.weight".into(), Tensor::new(vec![3, 1], w));
        });
        assert_refused(
            &path,
            &[&format!("tensor layers.1.weight: value 2 is {says}; expected finite numbers")],
        );
    }
    let path = edited(dir.path(), |f| {
        f.tensors.insert("normalization.shift".into(), Tensor::new(vec![2], vec![1.0, f64::NAN]));
    });
    assert_refused(&path, &["tensor normalization.shift: value 1 is NaN"]);

    let mut model = small(9);
    model.mlp.layer_mut(0).unwrap().b_mut()[1] = f32::NAN;
    let path = dir.path().join("nan.safetensors");
    let e = err(model.save(&path));
    assert_says(&e, &path, &["tensor layers.0.bias: value 1 is NaN; expected finite numbers"]);
    assert!(!path.exists());

    let mut model = small(9);
    model.normalization = Normalization::none(5);
    let e = err(model.save(&path));
    assert_says(&e, &path, &["the normalization covers 5 input columns; expected 2"]);
}

#[test]
fn missing_files_and_directories_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.safetensors");
    let e = assert_refused(&missing, &["cannot read the file: No such file or directory"]);
    assert!(
        matches!(&e.kind, ModelFileErrorKind::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    );
    let e = assert_refused(dir.path(), &["is a directory; expected a safetensors file"]);
    assert!(matches!(e.kind, ModelFileErrorKind::IsDirectory));

    let tensors = TensorFile::load(&missing);
    assert_says(&err(tensors), &missing, &["cannot read the file"]);
}

#[test]
fn tensor_files_refuse_tensors_that_do_not_fill_their_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.safetensors");
    let mut file = TensorFile::default();
    file.tensors.insert("w".into(), Tensor::new(vec![2, 3], vec![1.0_f32; 5]));
    assert_says(&err(file.save(&path)), &path, &["tensor w has shape [2, 3] but 5 values"]);
    file.tensors.insert("w".into(), Tensor::new(vec![], vec![1.0_f32]));
    file.tensors.insert("__metadata__".into(), Tensor::new(vec![], vec![1.0_f32]));
    assert_says(&err(file.save(&path)), &path, &["a tensor is named __metadata__"]);
    file.tensors.remove("__metadata__");
    file.save(&path).unwrap();
    assert_eq!(TensorFile::load(&path).unwrap(), file);
    assert_eq!(entries(dir.path()), ["t.safetensors"]);
}

#[test]
fn saving_over_a_model_replaces_it_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let old = small(10);
    old.save(&path).unwrap();
    let only_the_model = vec!["model.safetensors".to_owned()];

    // (b) A successful save over it: the new model.
    let new = model::<f32>("2-5-1", &[Activation::Relu, Activation::Identity], 11);
    new.save(&path).unwrap();
    assert_eq!(Model::<f32>::load(&path).unwrap(), new);
    assert_eq!(entries(dir.path()), only_the_model);
    old.save(&path).unwrap();

    // (a) Saves that fail leave it as it was.
    let mut bad = new.clone();
    bad.mlp.layer_mut(1).unwrap().w_mut()[[0, 0]] = f32::INFINITY;
    assert_says(&err(bad.save(&path)), &path, &["value 0 is inf"]);
    assert_eq!(Model::<f32>::load(&path).unwrap(), old);
    assert_eq!(entries(dir.path()), only_the_model);

    let nowhere = dir.path().join("no-such-dir").join("model.safetensors");
    let e = err(new.save(&nowhere));
    assert_says(&e, &nowhere, &["cannot create a temporary file in", "no-such-dir to save into"]);

    // A rename that fails (over a directory) after the temporary file is written: the
    // temporary file is removed.
    let taken = dir.path().join("taken");
    fs::create_dir(&taken).unwrap();
    fs::write(taken.join("keep"), b"x").unwrap();
    let e = err(new.save(&taken));
    assert_says(&e, &taken, &["cannot rename the temporary file over it"]);
    assert_eq!(entries(dir.path()), ["model.safetensors", "taken"]);
    fs::remove_dir_all(&taken).unwrap();

    // A directory the process may not write into (not a failure for root, who may).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let result = new.save(&path);
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        match result {
            Err(e) => {
                assert_says(&e, &path, &["cannot create a temporary file in", "Permission denied"]);
                assert_eq!(Model::<f32>::load(&path).unwrap(), old);
            }
            Ok(()) => {
                // Root writes anyway; the save then succeeded whole.
                assert_eq!(Model::<f32>::load(&path).unwrap(), new);
                old.save(&path).unwrap();
            }
        }
        assert_eq!(entries(dir.path()), only_the_model);
    }
}

/// A save that fails half-way through writing (the process's file-size limit is smaller
/// than the new model), over an existing model: the old model stays, the temporary file
/// goes. The test runs itself again in a child process under `ulimit -f`, which works for
/// any user, root included.
#[cfg(unix)]
#[test]
fn a_save_that_fails_while_writing_leaves_the_old_model() {
    const CHILD: &str = "NN_TEST_SAVE_UNDER_FILE_SIZE_LIMIT";
    if let Some(path) = std::env::var_os(CHILD) {
        // In the child: a 784-128-10 model is about 400 kB; the limit is 8 kB.
        let big = model::<f32>("784-128-10", &[Activation::Relu, Activation::Sigmoid], 12);
        let path = PathBuf::from(path);
        let e = err(big.save(&path));
        assert_says(&e, &path, &["cannot write the temporary file", "File too large"]);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let old = small(13);
    old.save(&path).unwrap();
    let child = std::process::Command::new("sh")
        .arg("-c")
        // Ignore SIGXFSZ so that a write past the limit fails with EFBIG instead of
        // killing the process; `ulimit -f` counts 512-byte blocks in dash, 1024 in bash.
        .arg("trap '' XFSZ; ulimit -f 8; exec \"$0\" --exact --test-threads 1 $1")
        .arg(std::env::current_exe().unwrap())
        .arg("a_save_that_fails_while_writing_leaves_the_old_model")
        .env(CHILD, &path)
        .output()
        .unwrap();
    let says = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    assert!(
        child.status.success() && says(&child.stdout).contains("1 passed"),
        "the child test failed: {}\n{}\n{}",
        child.status,
        says(&child.stdout),
        says(&child.stderr)
    );
    assert_eq!(Model::<f32>::load(&path).unwrap(), old);
    assert_eq!(entries(dir.path()), ["model.safetensors"]);
}

/// Every single-byte change to a model file loads or fails with an error; none panics.
#[test]
fn no_damaged_byte_makes_loading_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let model = model::<f32>("2-1", &[Activation::Sigmoid], 14);
    model.save(&path).unwrap();
    let good = fs::read(&path).unwrap();
    let (mut loaded, mut refused) = (0, 0);
    for i in 0..good.len() {
        for change in [0x01_u8, 0x80, 0xff] {
            let mut bytes = good.clone();
            bytes[i] ^= change;
            // A new file each time: rewriting one file in place makes ext4 flush it to disk
            // on every truncation, which is a hundred times slower.
            let path = dir.path().join(format!("{i}-{change}.safetensors"));
            fs::write(&path, &bytes).unwrap();
            let result = Model::<f32>::load(&path);
            fs::remove_file(&path).unwrap();
            match result {
                Ok(_) => loaded += 1,
                Err(e) => {
                    assert_says(&e, &path, &[]);
                    refused += 1;
                }
            }
        }
    }
    // Changed weights still load (the file cannot know); damage to the header does not.
    assert!(loaded > 0 && refused > loaded, "{loaded} loaded, {refused} refused");
}
