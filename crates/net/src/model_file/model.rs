//! A trained model: the network, how its inputs are normalised, and the loss it was trained
//! with; saved as and loaded from one safetensors file.

use std::path::Path;

use ndarray::{Array1, Array2, ArrayRef2, NdFloat};
use nn_tensor::Activation;

use super::tensor_file::float_name;
use super::{ModelFileError, ModelFileErrorKind, Tensor, TensorData, TensorFile};
use crate::{Architecture, Layer, Loss, Mlp, NetError, Normalization, NormalizationKind};

/// The `format` metadata of a model file.
pub const MODEL_FORMAT: &str = "nn-mlp";

/// The `format_version` metadata this crate writes, and the newest it reads.
///
/// The version changes only when the meaning of existing tensors or keys changes; new
/// metadata keys that older readers can ignore do not change it.
pub const MODEL_FORMAT_VERSION: u64 = 1;

/// A trained network with what it needs to be used: the input normalisation fitted on the
/// training data, and the loss it was trained with.
///
/// The fields are public, so a model is built, taken apart and changed directly. One rule
/// ties them: the normalisation maps as many columns as the network has inputs.
/// [`Model::new`] checks it, [`Model::save`] refuses a model that breaks it, and
/// [`Model::load`] only returns models that keep it.
///
/// # File layout
///
/// A model file is a [safetensors](https://huggingface.co/docs/safetensors) file holding,
/// for a network of `L` layers:
///
/// | tensor | type | shape |
/// |---|---|---|
/// | `layers.{i}.weight`, `i` in `0..L` | `F` | `[inputs_i, outputs_i]` |
/// | `layers.{i}.bias` | `F` | `[outputs_i]` |
/// | `normalization.shift` | f64 | `[inputs]` |
/// | `normalization.scale` | f64 | `[inputs]` |
///
/// Layer `i` computes `a_i = f_i(a_{i-1} · W_i + b_i)` with the weight as stored: one row
/// per input, one column per neuron. PyTorch's `nn.Linear.weight` is the transpose,
/// `[outputs, inputs]`. Inputs are normalised first as `x' = (x − shift) / scale`.
///
/// The metadata: `format` = `nn-mlp`, `format_version` = `1`, `architecture` (such as
/// `784-128-10`), `activations` (one name per layer, comma-separated, such as
/// `relu,sigmoid`), `loss` (such as `mse`), `normalization` (`none`, `scale` or
/// `standardize`), `dtype` (`f32` or `f64`, the type of the layers' tensors), and, for
/// people reading the file, `nn_version` and `weight_layout`.
///
/// # Loading as another float type
///
/// A file is loaded as whatever `F` the caller asks for: `f32` weights widen to `f64`
/// exactly; `f64` weights loaded as `f32` round to the nearest `f32` (as `as f32` does),
/// and a weight beyond `f32`'s range is refused ([`ModelFileErrorKind::OutOfRange`]). A
/// model saved and loaded as the same type is bit-identical.
///
/// ```
/// use ndarray::array;
/// use nn_net::{Activation, Init, Loss, Mlp, Model, Normalization, NormalizationKind};
/// use nn_net::rand::{SeedableRng, rngs::StdRng};
///
/// let inputs = array![[0.0_f32, 10.0], [255.0, 20.0]];
/// let mlp = Mlp::new(&"2-3-1".parse()?, &[Activation::Tanh, Activation::Sigmoid],
///                    Init::default(), &mut StdRng::seed_from_u64(7))?;
/// let normalization = Normalization::fit(NormalizationKind::Standardize, &inputs);
/// let model = Model::new(mlp, normalization, Loss::MeanSquaredError)?;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.safetensors");
/// model.save(&path)?;
/// let loaded = Model::<f32>::load(&path)?;
/// assert_eq!(loaded, model);
/// assert_eq!(loaded.predict(&inputs)?, model.predict(&inputs)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Model<F> {
    /// The network's parameters and activations.
    pub mlp: Mlp<F>,
    /// How inputs are mapped before they reach the network; as wide as its inputs.
    pub normalization: Normalization,
    /// The loss the network was trained with.
    pub loss: Loss,
}

impl<F: NdFloat> Model<F> {
    /// Checks that the parts fit and puts them together.
    ///
    /// # Errors
    /// [`NetError::InputWidth`] if the normalisation does not map as many columns as the
    /// network has inputs.
    pub fn new(mlp: Mlp<F>, normalization: Normalization, loss: Loss) -> Result<Self, NetError> {
        if normalization.width() != mlp.inputs() {
            return Err(NetError::InputWidth {
                expected: mlp.inputs(),
                found: normalization.width(),
            });
        }
        Ok(Model { mlp, normalization, loss })
    }

    /// The network's outputs for raw inputs: normalises a copy of `x`, then feeds it
    /// forward.
    ///
    /// # Errors
    /// [`NetError::InputWidth`] if `x` does not have the network's input width.
    ///
    /// # Shapes
    /// `x` is `n × d_0`; the result is `n × d_L`.
    pub fn predict(&self, x: &ArrayRef2<F>) -> Result<Array2<F>, NetError> {
        self.mlp.check_input_width(x.ncols())?;
        let mut x = x.to_owned();
        self.normalization.apply(&mut x)?;
        self.mlp.predict(&x)
    }

    /// Writes the model to `path` as a safetensors file, atomically: a file already there
    /// is replaced whole or, if anything fails, left as it was (see [`TensorFile::save`]).
    ///
    /// # Errors
    /// [`ModelFileErrorKind::NormalizationWidth`] if the normalisation does not fit the
    /// network; [`ModelFileErrorKind::NonFinite`] for a NaN or infinite parameter (set
    /// through [`Mlp::layers_mut`]); [`ModelFileErrorKind::Io`] if the file cannot be
    /// written. The error names `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        let path = path.as_ref();
        self.to_tensor_file().map_err(ModelFileError::at(path))?.save(path)
    }

    /// Reads a model from `path`, checking everything in it.
    ///
    /// # Errors
    /// Every error names `path`:
    /// - [`ModelFileErrorKind::Io`] or [`ModelFileErrorKind::IsDirectory`] if it cannot be
    ///   read; [`ModelFileErrorKind::Damaged`] or [`ModelFileErrorKind::DamagedTensor`] for a
    ///   damaged or truncated safetensors file;
    /// - [`ModelFileErrorKind::MissingMetadata`] or [`ModelFileErrorKind::Metadata`] for a
    ///   `format` other than `nn-mlp`, a `format_version` that is not a number, an
    ///   architecture, activation, loss, normalisation or dtype that does not parse, or a
    ///   number of activations that is not the number of layers;
    ///   [`ModelFileErrorKind::NewerVersion`] for a file of a newer format;
    /// - [`ModelFileErrorKind::MissingTensor`], [`ModelFileErrorKind::UnexpectedTensor`],
    ///   [`ModelFileErrorKind::TensorShape`] or [`ModelFileErrorKind::TensorDtype`] for
    ///   tensors that disagree with the metadata;
    /// - [`ModelFileErrorKind::NonFinite`], [`ModelFileErrorKind::OutOfRange`] or
    ///   [`ModelFileErrorKind::Invalid`] for parameters or statistics that cannot be used.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ModelFileError> {
        let path = path.as_ref();
        Model::from_tensor_file(TensorFile::load(path)?).map_err(ModelFileError::at(path))
    }

    /// The tensors and metadata of the model file, for callers that store more beside them
    /// (a training checkpoint). [`Model::save`] writes exactly this.
    ///
    /// # Errors
    /// As [`Model::save`], without the path: [`ModelFileErrorKind::NormalizationWidth`] or
    /// [`ModelFileErrorKind::NonFinite`].
    pub fn to_tensor_file(&self) -> Result<TensorFile, ModelFileErrorKind> {
        let inputs = self.mlp.inputs();
        if self.normalization.width() != inputs {
            return Err(ModelFileErrorKind::NormalizationWidth {
                expected: inputs,
                found: self.normalization.width(),
            });
        }
        let mut file = TensorFile::default();
        let activations: Vec<&str> =
            self.mlp.layers().iter().map(|l| l.activation().name()).collect();
        for (key, value) in [
            ("format", MODEL_FORMAT.to_owned()),
            ("format_version", MODEL_FORMAT_VERSION.to_string()),
            ("architecture", self.mlp.architecture().to_string()),
            ("activations", activations.join(",")),
            ("loss", self.loss.to_string()),
            ("normalization", self.normalization.kind().to_string()),
            ("dtype", float_name::<F>().to_owned()),
            ("nn_version", env!("CARGO_PKG_VERSION").to_owned()),
            ("weight_layout", WEIGHT_LAYOUT.to_owned()),
        ] {
            file.metadata.insert(key.to_owned(), value);
        }
        for (i, layer) in self.mlp.layers().iter().enumerate() {
            let (weight, bias) = (format!("layers.{i}.weight"), format!("layers.{i}.bias"));
            check_finite(&weight, layer.w().iter().copied())?;
            check_finite(&bias, layer.b().iter().copied())?;
            let w = Tensor::new(
                vec![layer.inputs(), layer.outputs()],
                TensorData::from_floats(layer.w().iter().copied()),
            );
            let b = Tensor::new(
                vec![layer.outputs()],
                TensorData::from_floats(layer.b().iter().copied()),
            );
            file.tensors.insert(weight, w);
            file.tensors.insert(bias, b);
        }
        let n = &self.normalization;
        file.tensors.insert(SHIFT.into(), Tensor::new(vec![inputs], n.shift().to_vec()));
        file.tensors.insert(SCALE.into(), Tensor::new(vec![inputs], n.scale().to_vec()));
        Ok(file)
    }

    /// The model a [`TensorFile`] holds, checked as [`Model::load`] checks it. Tensors are
    /// taken out of `file` as they are read; any left over are an error.
    ///
    /// # Errors
    /// As [`Model::load`], without the path.
    pub fn from_tensor_file(mut file: TensorFile) -> Result<Self, ModelFileErrorKind> {
        let format = file.metadata_value("format", "\"nn-mlp\"")?;
        if format != MODEL_FORMAT {
            return Err(refuse(
                "format",
                format,
                "expected \"nn-mlp\" (this is not an nn model file)",
            ));
        }
        let version = file.metadata_value("format_version", "a whole number such as 1")?;
        let version =
            version.parse::<u64>().ok().filter(|&v| v >= 1).ok_or_else(|| {
                refuse("format_version", version, "expected a whole number from 1")
            })?;
        if version > MODEL_FORMAT_VERSION {
            return Err(ModelFileErrorKind::NewerVersion {
                found: version,
                supported: MODEL_FORMAT_VERSION,
            });
        }

        let text =
            file.metadata_value("architecture", "sizes joined by '-', such as 784-128-10")?;
        let architecture: Architecture = text.parse().map_err(|e: NetError| {
            let reason = match e {
                NetError::ParseArchitecture { reason, .. } => {
                    format!("expected sizes joined by '-', such as 784-128-10; {reason}")
                }
                other => other.to_string(),
            };
            refuse("architecture", text, &reason)
        })?;
        let text =
            file.metadata_value("activations", "one activation name per layer, joined by ','")?;
        let activations = text
            .split(',')
            .enumerate()
            .map(|(i, name)| {
                name.parse::<Activation>()
                    .map_err(|e| refuse("activations", text, &format!("name {i}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if activations.len() != architecture.layers() {
            return Err(refuse(
                "activations",
                text,
                &format!(
                    "expected one activation per layer, {} for architecture {architecture}; found {}",
                    architecture.layers(),
                    activations.len()
                ),
            ));
        }
        let text = file.metadata_value("loss", "a loss name such as mse")?;
        let loss: Loss = text.parse().map_err(|e: String| refuse("loss", text, &e))?;
        let text = file.metadata_value("normalization", "none, scale or standardize")?;
        let kind: NormalizationKind = text
            .parse()
            .map_err(|_| refuse("normalization", text, "expected none, scale or standardize"))?;
        let dtype = file.metadata_value("dtype", "f32 or f64")?;
        if dtype != "f32" && dtype != "f64" {
            return Err(refuse("dtype", dtype, "expected f32 or f64"));
        }
        let dtype = dtype.to_owned();

        let why = format!("for architecture {architecture}");
        let expected_tensors = format!(
            "expected layers.{{i}}.weight and layers.{{i}}.bias for each of the {} layers of \
             architecture {architecture}, and normalization.shift and normalization.scale",
            architecture.layers()
        );
        let mut layers = Vec::with_capacity(architecture.layers());
        for (i, (sizes, &activation)) in
            architecture.sizes().windows(2).zip(&activations).enumerate()
        {
            let (inputs, outputs) = (sizes[0], sizes[1]);
            let name = format!("layers.{i}.weight");
            let w = take(&mut file, &name, &dtype, &[inputs, outputs], &why, &expected_tensors)?;
            let w = Array2::from_shape_vec((inputs, outputs), w.data.to_floats::<F>(&name)?)
                .map_err(|e| shape_error(&name, e))?;
            let name = format!("layers.{i}.bias");
            let b = take(&mut file, &name, &dtype, &[outputs], &why, &expected_tensors)?;
            let b = Array1::from(b.data.to_floats::<F>(&name)?);
            layers.push(Layer::new(w, b, activation)?);
        }
        let mlp = Mlp::from_layers(layers)?;

        let inputs = architecture.inputs();
        let why = format!("for the {inputs} inputs of architecture {architecture}");
        let shift = take(&mut file, SHIFT, "f64", &[inputs], &why, &expected_tensors)?;
        let shift = shift.data.to_floats::<f64>(SHIFT)?;
        let scale = take(&mut file, SCALE, "f64", &[inputs], &why, &expected_tensors)?;
        let scale = scale.data.to_floats::<f64>(SCALE)?;
        // `from_parts` also refuses `none` with statistics that are not the identity's.
        let normalization = Normalization::from_parts(kind, shift, scale)?;

        if let Some(name) = file.tensors.keys().next() {
            return Err(ModelFileErrorKind::UnexpectedTensor {
                tensor: name.clone(),
                expected: expected_tensors,
            });
        }
        Ok(Model { mlp, normalization, loss })
    }
}

/// `weight_layout` metadata: how to use the weights, for people reading the file.
const WEIGHT_LAYOUT: &str = "layers.{i}.weight is [inputs, outputs]: a = f(x @ weight + bias); \
                             PyTorch's nn.Linear.weight is its transpose";
const SHIFT: &str = "normalization.shift";
const SCALE: &str = "normalization.scale";

/// A metadata value that cannot be used.
fn refuse(key: &str, found: &str, reason: &str) -> ModelFileErrorKind {
    ModelFileErrorKind::Metadata {
        key: key.to_owned(),
        found: found.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Takes tensor `name` out of `file` after checking its type (`f32`/`f64`) and shape.
fn take(
    file: &mut TensorFile,
    name: &str,
    dtype: &str,
    shape: &[usize],
    why: &str,
    expected_tensors: &str,
) -> Result<Tensor, ModelFileErrorKind> {
    let tensor = file.take_tensor(name, expected_tensors)?;
    if tensor.data.dtype() != dtype {
        let expected = if name.starts_with("layers.") {
            format!("{} (the metadata's dtype)", dtype.to_uppercase())
        } else {
            format!("{} (normalisation statistics are always f64)", dtype.to_uppercase())
        };
        return Err(ModelFileErrorKind::TensorDtype {
            tensor: name.to_owned(),
            expected,
            found: tensor.data.dtype().to_uppercase(),
        });
    }
    if tensor.shape != shape {
        return Err(ModelFileErrorKind::TensorShape {
            tensor: name.to_owned(),
            expected: shape.to_vec(),
            found: tensor.shape,
            why: why.to_owned(),
        });
    }
    Ok(tensor)
}

/// A shape that `take` already checked, refused anyway: reported, never a panic.
fn shape_error(name: &str, e: ndarray::ShapeError) -> ModelFileErrorKind {
    ModelFileErrorKind::DamagedTensor { tensor: name.to_owned(), reason: e.to_string() }
}

/// The first NaN or infinite value of a parameter tensor about to be saved.
fn check_finite<F: NdFloat>(
    tensor: &str,
    values: impl Iterator<Item = F>,
) -> Result<(), ModelFileErrorKind> {
    match values.enumerate().find(|(_, v)| !v.is_finite()) {
        None => Ok(()),
        Some((index, value)) => Err(ModelFileErrorKind::NonFinite {
            tensor: tensor.to_owned(),
            index,
            value: value.to_f64().unwrap_or(f64::NAN),
        }),
    }
}
