//! Checkpoints: everything a training run needs to continue exactly where it stood, in one
//! safetensors file written atomically.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, NdFloat};
use serde::{Deserialize, Serialize};

use crate::model_file::{Tensor, TensorData, TensorFile};
use crate::run_state::{Best, RunState};
use crate::{
    Activation, Architecture, EpochRecord, Gradient, Layer, Metrics, Mlp, NetError, Optimizer,
    OptimizerState, TrainConfig,
};

/// The `format` a checkpoint's metadata names.
const FORMAT: &str = "nn-checkpoint";
/// The layout version this code writes and reads.
const FORMAT_VERSION: &str = "1";

/// A training run as a checkpoint holds it: the parameters, the optimizer's state, where
/// the run stands, and the settings it was made with.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingState<F> {
    /// The network after the last epoch done.
    pub mlp: Mlp<F>,
    /// The optimizer's buffers and step count.
    pub optimizer: OptimizerState<F>,
    /// The epoch to run next, the history, and the early-stopping state.
    pub run: RunState<F>,
    /// The settings that must not change for the resumed run to give the same bits, as
    /// text, by name (see [`Checkpoint`]).
    pub settings: BTreeMap<String, String>,
}

/// Where and how often a run saves its checkpoint: `dir/checkpoint.safetensors`, replaced
/// atomically (a temporary file, then a rename) every `every` epochs and after the run's
/// last (the one early stopping ends on, if it does), so the file on disk is always one
/// whole checkpoint, never a partial one.
///
/// A checkpoint holds the parameters, the optimizer's buffers and step count, the best
/// parameters of early stopping, the epoch to run next and the history, and the settings
/// the run was made with. A resumed run ([`Training::resume`](crate::Training::resume))
/// must have the same settings (architecture, activations, loss, gradient method,
/// optimizer, rate, schedule, weight decay, clipping, batch size, seed, chunking, float
/// type) and then ends with the same parameters, to the bit, as the run left
/// uninterrupted; it may ask for more epochs than the original (with the cosine schedule,
/// whose rates depend on the number of epochs, the rates then differ from the original
/// run's).
///
/// ```
/// use std::ops::ControlFlow;
/// use ndarray::array;
/// use nn_net::{Activation, Checkpoint, Dataset, Init, Mlp, TrainConfig, Training};
/// use nn_net::rand::{SeedableRng, rngs::StdRng};
///
/// let dir = tempfile::tempdir()?;
/// let data = Dataset::new(array![[0.0_f32, 1.0], [1.0, 0.0]], array![[1.0], [0.0]])?;
/// let start = Mlp::new(&"2-1".parse()?, &[Activation::Sigmoid], Init::default(), &mut StdRng::seed_from_u64(1))?;
///
/// // Ten epochs straight through.
/// let config = TrainConfig { epochs: 10, ..TrainConfig::default() };
/// let mut straight = start.clone();
/// Training::new(&config).run(&mut straight, &data, |_| ControlFlow::Continue(()))?;
///
/// // Four epochs with checkpoints, then a new process resumes for the other six.
/// let mut first = start.clone();
/// let four = TrainConfig { epochs: 4, ..config };
/// Training::new(&four).checkpoints(dir.path(), 2).run(&mut first, &data, |_| ControlFlow::Continue(()))?;
/// let state = Checkpoint::load::<f32>(dir.path())?;
/// assert_eq!(state.run.next_epoch, 4);
/// let mut resumed = start.clone();
/// Training::new(&config).resume(state).run(&mut resumed, &data, |_| ControlFlow::Continue(()))?;
/// assert_eq!(resumed, straight);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    dir: PathBuf,
    every: usize,
}

impl Checkpoint {
    /// The checkpoint's file name inside its directory.
    pub const FILE_NAME: &'static str = "checkpoint.safetensors";

    /// Checkpoints into `dir` (made if missing) every `every` epochs.
    ///
    /// A process killed in the middle of a save leaves its temporary file
    /// (`.checkpoint.safetensors.XXXXXX.tmp`) beside the checkpoint, which it never
    /// touched; loading never reads such a file, and this removes any there, so a run
    /// restarted after a crash begins with a clean directory. (Two runs must not share a
    /// directory: they would replace each other's checkpoints anyway.)
    ///
    /// # Errors
    /// [`NetError::InvalidCheckpointEvery`] for `every == 0`; [`NetError::Checkpoint`] if
    /// the directory cannot be made.
    pub fn new(dir: impl Into<PathBuf>, every: usize) -> Result<Self, NetError> {
        if every == 0 {
            return Err(NetError::InvalidCheckpointEvery);
        }
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| NetError::Checkpoint {
            reason: format!("cannot make the directory {}: {e}", dir.display()),
        })?;
        crate::atomic_file::remove_leftovers(&dir.join(Self::FILE_NAME));
        Ok(Checkpoint { dir, every })
    }

    /// Epochs between saves.
    pub fn every(&self) -> usize {
        self.every
    }

    /// The checkpoint file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(Self::FILE_NAME)
    }

    /// Saves a run's state, replacing the previous checkpoint atomically.
    pub(crate) fn save<F: NdFloat>(
        &self,
        mlp: &Mlp<F>,
        optimizer: &OptimizerState<F>,
        run: &RunState<F>,
        config: &TrainConfig<F>,
    ) -> Result<(), NetError> {
        let mut file = TensorFile::default();
        put_mlp(&mut file, "", mlp);
        for (name, slot) in optimizer.slot_names().iter().zip(optimizer.slots()) {
            put_gradient(&mut file, &format!("optimizer.{name}."), slot);
        }
        if let Some(best) = &run.best {
            put_mlp(&mut file, "best.", &best.mlp);
        }
        let history: Vec<SavedEpoch> = run.history.iter().map(SavedEpoch::from_record).collect();
        let mut metadata: BTreeMap<String, String> =
            settings(mlp, config).into_iter().map(|(k, v)| (format!("setting.{k}"), v)).collect();
        metadata.insert("format".into(), FORMAT.into());
        metadata.insert("format_version".into(), FORMAT_VERSION.into());
        metadata.insert("next_epoch".into(), run.next_epoch.to_string());
        metadata.insert("stale_epochs".into(), run.stale_epochs.to_string());
        metadata.insert("optimizer_steps".into(), optimizer.steps().to_string());
        metadata.insert("history".into(), json(&history)?);
        if let Some(best) = &run.best {
            metadata.insert("best_epoch".into(), best.epoch.to_string());
            metadata.insert("best_cost".into(), Exact(to_f64(best.cost)).to_string());
        }
        file.metadata = metadata;
        file.save(self.path()).map_err(|e| NetError::Checkpoint { reason: e.to_string() })
    }

    /// Loads the checkpoint in `dir`, checked: the format, every tensor's shape against the
    /// saved architecture, finite numbers, the optimizer's buffers.
    ///
    /// # Errors
    /// [`NetError::Checkpoint`] naming the file and what is missing, damaged or
    /// inconsistent.
    pub fn load<F: NdFloat>(dir: impl AsRef<Path>) -> Result<TrainingState<F>, NetError> {
        let path = dir.as_ref().join(Self::FILE_NAME);
        let fail = |reason: String| NetError::Checkpoint {
            reason: format!("{}: {reason}", path.display()),
        };
        let mut file =
            TensorFile::load(&path).map_err(|e| NetError::Checkpoint { reason: e.to_string() })?;
        let meta = |file: &TensorFile, key: &str| -> Result<String, NetError> {
            file.metadata.get(key).cloned().ok_or_else(|| fail(format!("missing metadata {key:?}")))
        };
        let format = meta(&file, "format")?;
        if format != FORMAT {
            return Err(fail(format!("expected format {FORMAT:?}; found {format:?}")));
        }
        let version = meta(&file, "format_version")?;
        if version != FORMAT_VERSION {
            return Err(fail(format!(
                "expected format_version {FORMAT_VERSION} (this build's); found {version:?}"
            )));
        }
        let settings: BTreeMap<String, String> = file
            .metadata
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("setting.").map(|k| (k.to_owned(), v.clone())))
            .collect();
        let setting = |key: &str| {
            settings.get(key).cloned().ok_or_else(|| fail(format!("missing setting {key:?}")))
        };
        let dtype = setting("dtype")?;
        if dtype != float_name::<F>() {
            return Err(fail(format!(
                "expected a checkpoint of {}; found one of {dtype} (resume with --dtype {dtype})",
                float_name::<F>()
            )));
        }
        let architecture: Architecture = setting("architecture")?
            .parse()
            .map_err(|e: NetError| fail(format!("setting architecture: {e}")))?;
        let activations = setting("activations")?
            .split(',')
            .map(|name| name.parse::<Activation>().map_err(|e| fail(format!("activations: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mlp = take_mlp(&mut file, "", &architecture, &activations).map_err(&fail)?;
        // Every setting a run has (their names do not depend on the values), and no other.
        let names = self::settings(&mlp, &TrainConfig::<F>::default());
        if let Some(name) = names.keys().find(|name| !settings.contains_key(*name)) {
            return Err(fail(format!("missing setting {name:?}")));
        }
        if let Some(name) = settings.keys().find(|name| !names.contains_key(*name)) {
            return Err(fail(format!("unexpected setting {name:?}")));
        }
        let number = |key: &str| -> Result<usize, NetError> {
            let text = meta(&file, key)?;
            text.parse()
                .map_err(|_| fail(format!("{key}: expected a whole number; found {text:?}")))
        };
        let next_epoch = number("next_epoch")?;
        let stale_epochs = number("stale_epochs")?;
        let steps = number("optimizer_steps")?;

        let optimizer_settings = parse_optimizer::<F>(&setting("optimizer")?).map_err(&fail)?;
        let mut slots = Vec::new();
        for name in optimizer_settings.slot_names() {
            slots.push(
                take_gradient(&mut file, &format!("optimizer.{name}."), &mlp).map_err(&fail)?,
            );
        }
        let optimizer = OptimizerState::from_parts(optimizer_settings, steps, slots)
            .map_err(|e| fail(e.to_string()))?;

        let best = match file.metadata.get("best_epoch").cloned() {
            None => None,
            Some(epoch) => {
                let epoch = epoch.parse().map_err(|_| {
                    fail(format!("best_epoch: expected a whole number; found {epoch:?}"))
                })?;
                let cost = Exact::parse(&meta(&file, "best_cost")?)
                    .map_err(|e| fail(format!("best_cost: {e}")))?;
                let mlp =
                    take_mlp(&mut file, "best.", &architecture, &activations).map_err(&fail)?;
                Some(Best { epoch, cost: from_f64(cost), mlp })
            }
        };
        let history: Vec<SavedEpoch> = serde_json::from_str(&meta(&file, "history")?)
            .map_err(|e| fail(format!("history: {e}")))?;
        if history.len() != next_epoch {
            return Err(fail(format!(
                "the history holds {} epochs; expected next_epoch = {next_epoch}",
                history.len()
            )));
        }
        if let Some(extra) = file.tensors.keys().next() {
            return Err(fail(format!("unexpected tensor {extra:?}")));
        }
        let run = RunState {
            next_epoch,
            history: history.iter().map(SavedEpoch::to_record).collect(),
            best,
            stale_epochs,
        };
        Ok(TrainingState { mlp, optimizer, run, settings })
    }
}

impl<F: NdFloat> TrainingState<F> {
    /// Checks that this state can continue a run of `mlp`'s shape with `config`: the saved
    /// settings must be the run's, every one of them (a setting missing on either side is
    /// `nothing` there, so a state whose settings were taken out is refused, not trusted).
    pub(crate) fn check_belongs(
        &self,
        mlp: &Mlp<F>,
        config: &TrainConfig<F>,
    ) -> Result<(), NetError> {
        let now = settings(mlp, config);
        let names: BTreeSet<&String> = now.keys().chain(self.settings.keys()).collect();
        for key in names {
            let saved = self.settings.get(key).map_or("nothing", String::as_str);
            let found = now.get(key).map_or("nothing", String::as_str);
            if found != saved {
                return Err(NetError::CheckpointMismatch {
                    setting: key.clone(),
                    saved: saved.to_owned(),
                    found: found.to_owned(),
                });
            }
        }
        Ok(())
    }
}

/// The settings a resumed run must share with the saved one, as text.
fn settings<F: NdFloat>(mlp: &Mlp<F>, config: &TrainConfig<F>) -> BTreeMap<String, String> {
    let activations: Vec<String> =
        mlp.layers().iter().map(|l| l.activation().to_string()).collect();
    BTreeMap::from([
        ("architecture".to_owned(), mlp.architecture().to_string()),
        ("activations".to_owned(), activations.join(",")),
        ("dtype".to_owned(), float_name::<F>().to_owned()),
        ("loss".to_owned(), config.loss.to_string()),
        ("optimizer".to_owned(), optimizer_text(&config.optimizer)),
        ("rate".to_owned(), format!("{:?}", to_f64(config.rate))),
        ("schedule".to_owned(), format!("{:?}", config.schedule)),
        ("weight_decay".to_owned(), format!("{:?}", to_f64(config.weight_decay))),
        ("clip_norm".to_owned(), format!("{:?}", config.clip_norm.map(to_f64))),
        ("batch_size".to_owned(), format!("{:?}", config.batch_size)),
        ("seed".to_owned(), config.seed.to_string()),
        ("chunk_rows".to_owned(), config.chunking.rows.to_string()),
        ("chunk_max".to_owned(), config.chunking.max_chunks.to_string()),
        ("chunk_min_work".to_owned(), config.chunking.min_work.to_string()),
        ("method".to_owned(), format!("{:?}", config.method)),
    ])
}

/// An optimizer with its hyperparameters, as text that [`parse_optimizer`] reads back
/// exactly: `adam beta1=0.9 beta2=0.999 epsilon=1e-8`.
fn optimizer_text<F: NdFloat>(optimizer: &Optimizer<F>) -> String {
    let fields: Vec<(&str, f64)> = match *optimizer {
        Optimizer::Sgd => vec![],
        Optimizer::Momentum { beta, .. } => vec![("beta", to_f64(beta))],
        Optimizer::Adam { beta1, beta2, epsilon } | Optimizer::AdamW { beta1, beta2, epsilon } => {
            vec![("beta1", to_f64(beta1)), ("beta2", to_f64(beta2)), ("epsilon", to_f64(epsilon))]
        }
        Optimizer::RmsProp { decay, epsilon } => {
            vec![("decay", to_f64(decay)), ("epsilon", to_f64(epsilon))]
        }
    };
    let mut text = optimizer.name().to_owned();
    for (name, value) in fields {
        text.push_str(&format!(" {name}={value:?}"));
    }
    text
}

/// The optimizer [`optimizer_text`] wrote.
fn parse_optimizer<F: NdFloat>(text: &str) -> Result<Optimizer<F>, String> {
    let mut words = text.split(' ');
    let name = words.next().unwrap_or_default();
    let mut optimizer: Optimizer<F> =
        name.parse().map_err(|e: NetError| format!("setting optimizer: {e}"))?;
    for word in words {
        let parsed = word.split_once('=').and_then(|(k, v)| Some((k, v.parse::<f64>().ok()?)));
        let Some((key, value)) = parsed else {
            return Err(format!("setting optimizer: expected name=number; found {word:?}"));
        };
        let value = from_f64::<F>(value);
        let slot = match (&mut optimizer, key) {
            (Optimizer::Momentum { beta, .. }, "beta") => beta,
            (Optimizer::Adam { beta1, .. } | Optimizer::AdamW { beta1, .. }, "beta1") => beta1,
            (Optimizer::Adam { beta2, .. } | Optimizer::AdamW { beta2, .. }, "beta2") => beta2,
            (
                Optimizer::Adam { epsilon, .. }
                | Optimizer::AdamW { epsilon, .. }
                | Optimizer::RmsProp { epsilon, .. },
                "epsilon",
            ) => epsilon,
            (Optimizer::RmsProp { decay, .. }, "decay") => decay,
            _ => return Err(format!("setting optimizer: {name} has no hyperparameter {key:?}")),
        };
        *slot = value;
    }
    optimizer.check().map_err(|e| format!("setting optimizer: {e}"))?;
    Ok(optimizer)
}

/// One epoch of the history, in `f64` (exact for `f32` and `f64`), each number [`Exact`].
#[derive(Serialize, Deserialize)]
struct SavedEpoch {
    epoch: usize,
    train_cost: Exact,
    validation_cost: Option<Exact>,
    validation_accuracy: Option<Exact>,
    validation_samples: Option<usize>,
    rate: Exact,
    seconds: Exact,
}

/// A float written in the metadata as the text Rust prints for it (`{:?}`, the shortest
/// that reads back to the same bits; `NaN`, `inf`, `-inf`), a JSON string inside the
/// history, and read back by Rust's correctly rounded parser.
///
/// Not a JSON number: `serde_json` reads numbers to the nearest bit only with its
/// `float_roundtrip` feature (without it about one `f64` in ten comes back one unit in the
/// last place off, which would break the history's bits and could move early stopping's
/// comparisons after a resume), and JSON has no NaN or infinity (a validation cost that
/// overflowed would be written as `null` and read back as no validation at all).
#[derive(Clone, Copy)]
struct Exact(f64);

impl Exact {
    fn parse(text: &str) -> Result<f64, String> {
        text.parse().map_err(|_| format!("expected a number; found {text:?}"))
    }
}

impl std::fmt::Display for Exact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl Serialize for Exact {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Exact {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Exact::parse(&text).map(Exact).map_err(serde::de::Error::custom)
    }
}

impl SavedEpoch {
    fn from_record<F: NdFloat>(r: &EpochRecord<F>) -> Self {
        SavedEpoch {
            epoch: r.epoch,
            train_cost: Exact(to_f64(r.train_cost)),
            validation_cost: r.validation.map(|m| Exact(to_f64(m.cost))),
            validation_accuracy: r.validation.and_then(|m| m.accuracy.map(Exact)),
            validation_samples: r.validation.map(|m| m.samples),
            rate: Exact(to_f64(r.rate)),
            seconds: Exact(r.seconds),
        }
    }

    fn to_record<F: NdFloat>(&self) -> EpochRecord<F> {
        EpochRecord {
            epoch: self.epoch,
            train_cost: from_f64(self.train_cost.0),
            validation: self.validation_cost.map(|cost| Metrics {
                cost: from_f64(cost.0),
                accuracy: self.validation_accuracy.map(|a| a.0),
                samples: self.validation_samples.unwrap_or(0),
            }),
            rate: from_f64(self.rate.0),
            seconds: self.seconds.0,
        }
    }
}

fn put_mlp<F: NdFloat>(file: &mut TensorFile, prefix: &str, mlp: &Mlp<F>) {
    put_layers(file, prefix, mlp.layers().iter().map(|l| (l.w(), l.b())));
}

fn put_gradient<F: NdFloat>(file: &mut TensorFile, prefix: &str, gradient: &Gradient<F>) {
    put_layers(file, prefix, gradient.layers().iter().map(|l| (l.w(), l.b())));
}

/// `{prefix}layers.{i}.weight` and `.bias` for each layer's pair of weights and biases.
fn put_layers<'a, F: NdFloat>(
    file: &mut TensorFile,
    prefix: &str,
    layers: impl Iterator<Item = (ArrayView2<'a, F>, ArrayView1<'a, F>)>,
) {
    for (i, (w, b)) in layers.enumerate() {
        put(file, format!("{prefix}layers.{i}.weight"), w.shape(), w.iter().copied());
        put(file, format!("{prefix}layers.{i}.bias"), b.shape(), b.iter().copied());
    }
}

fn put<F: NdFloat>(
    file: &mut TensorFile,
    name: String,
    shape: &[usize],
    values: impl Iterator<Item = F>,
) {
    file.tensors.insert(name, Tensor::new(shape.to_vec(), TensorData::from_floats(values)));
}

/// Takes tensor `name`, checked to have `shape`.
fn take<F: NdFloat>(file: &mut TensorFile, name: &str, shape: &[usize]) -> Result<Vec<F>, String> {
    let expected = format!("{shape:?}");
    let tensor = file.take_tensor(name, &expected).map_err(|e| e.to_string())?;
    if tensor.shape != shape {
        return Err(format!("tensor {name:?}: expected shape {shape:?}; found {:?}", tensor.shape));
    }
    tensor.data.to_floats::<F>(name).map_err(|e| e.to_string())
}

fn take_mlp<F: NdFloat>(
    file: &mut TensorFile,
    prefix: &str,
    architecture: &Architecture,
    activations: &[Activation],
) -> Result<Mlp<F>, String> {
    let sizes = architecture.sizes();
    if activations.len() != sizes.len() - 1 {
        return Err(format!(
            "expected {} activations for {architecture}; found {}",
            sizes.len() - 1,
            activations.len()
        ));
    }
    let mut layers = Vec::with_capacity(activations.len());
    for (i, (pair, &activation)) in sizes.windows(2).zip(activations).enumerate() {
        let (inputs, outputs) = (pair[0], pair[1]);
        let w = take::<F>(file, &format!("{prefix}layers.{i}.weight"), &[inputs, outputs])?;
        let b = take::<F>(file, &format!("{prefix}layers.{i}.bias"), &[outputs])?;
        let w = Array2::from_shape_vec((inputs, outputs), w).map_err(|e| e.to_string())?;
        let layer = Layer::new(w, Array1::from(b), activation).map_err(|e| e.to_string())?;
        layers.push(layer);
    }
    Mlp::from_layers(layers).map_err(|e| e.to_string())
}

fn take_gradient<F: NdFloat>(
    file: &mut TensorFile,
    prefix: &str,
    mlp: &Mlp<F>,
) -> Result<Gradient<F>, String> {
    let mut gradient = Gradient::zeros(mlp);
    for (i, layer) in gradient.layers_mut().iter_mut().enumerate() {
        let (rows, columns) = layer.w().dim();
        let w = take::<F>(file, &format!("{prefix}layers.{i}.weight"), &[rows, columns])?;
        let b = take::<F>(file, &format!("{prefix}layers.{i}.bias"), &[columns])?;
        layer.w_mut().iter_mut().zip(w).for_each(|(slot, v)| *slot = v);
        layer.b_mut().iter_mut().zip(b).for_each(|(slot, v)| *slot = v);
    }
    Ok(gradient)
}

fn json<T: Serialize>(value: &T) -> Result<String, NetError> {
    serde_json::to_string(value)
        .map_err(|e| NetError::Checkpoint { reason: format!("cannot write the metadata: {e}") })
}

fn to_f64<F: NdFloat>(v: F) -> f64 {
    v.to_f64().unwrap_or(f64::NAN)
}

fn from_f64<F: NdFloat>(v: f64) -> F {
    <F as num_traits::NumCast>::from(v).unwrap_or_else(F::nan)
}

fn float_name<F: NdFloat>() -> &'static str {
    if std::mem::size_of::<F>() == 4 { "f32" } else { "f64" }
}
