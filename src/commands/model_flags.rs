//! The flags that describe a model and how it is trained: `nn train`'s, and the model
//! part of `nn bench`'s.

use std::str::FromStr;

use ndarray::NdFloat;
use nn_net::{Activation, Architecture, Init, Loss, Optimizer, Schedule, TrainConfig};

use super::CommandError;

/// A model and its training settings.
#[derive(clap::Args, Clone, Debug)]
pub struct ModelFlags {
    /// Layer sizes, inputs first, such as 784-128-10.
    #[arg(long)]
    pub arch: Architecture,
    /// Hidden-layer activation: sigmoid, tanh, relu, leaky-relu or identity.
    #[arg(long, default_value = "relu")]
    pub activation: Activation,
    /// Output-layer activation [default: softmax for classes, identity for regression].
    #[arg(long)]
    pub output: Option<Activation>,
    /// Loss: ce, bce or mse [default: ce after softmax, bce after sigmoid, mse otherwise].
    #[arg(long)]
    pub loss: Option<Loss>,
    /// Weight initialisation: uniform, xavier or he [default: he for relu, xavier otherwise].
    #[arg(long)]
    pub init: Option<Init>,
    /// Optimizer: sgd, momentum, nesterov, adam, adamw or rmsprop.
    #[arg(long, default_value = "adam", value_parser = check_parses::<Optimizer<f64>>)]
    pub optimizer: String,
    /// Learning rate [default: 0.001 for adam, adamw and rmsprop; 0.1 otherwise].
    #[arg(long, allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Learning-rate schedule: constant, step, exponential or cosine.
    #[arg(long, default_value = "constant", value_parser = check_parses::<Schedule<f64>>)]
    pub schedule: String,
    /// Weight decay (L2; decoupled for adamw).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub weight_decay: f64,
    /// Clip the gradient to this global L2 norm.
    #[arg(long, allow_negative_numbers = true)]
    pub clip_norm: Option<f64>,
}

/// Validates a flag by parsing it, keeping the text: the float type is chosen later.
pub fn check_parses<T: FromStr>(s: &str) -> Result<String, String>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map(|_| s.to_owned()).map_err(|e| e.to_string())
}

impl ModelFlags {
    /// The output activation: the flag, or the one that suits the targets.
    pub fn output_activation(&self, classes: Option<usize>) -> Activation {
        self.output.unwrap_or(match classes {
            Some(_) => Activation::Softmax,
            None => Activation::Identity,
        })
    }

    /// The loss: the flag, or the one that suits the output activation.
    pub fn loss_for(&self, output: Activation) -> Loss {
        self.loss.unwrap_or(match output {
            Activation::Softmax => Loss::CrossEntropy,
            Activation::Sigmoid => Loss::BinaryCrossEntropy,
            _ => Loss::MeanSquaredError,
        })
    }

    /// The initialisation: the flag, or the one that suits the hidden activation.
    pub fn initialisation(&self) -> Init {
        self.init.unwrap_or(match self.activation {
            Activation::Relu | Activation::LeakyRelu => Init::He,
            _ => Init::Xavier,
        })
    }

    /// The training settings for `F`, with `epochs`, `batch` and `seed`.
    ///
    /// # Errors
    /// [`CommandError::Setting`] for a rate, decay or clipping norm out of range.
    pub fn config<F: NdFloat>(
        &self,
        loss: Loss,
        epochs: usize,
        batch: usize,
        seed: u64,
    ) -> Result<TrainConfig<F>, CommandError> {
        let optimizer: Optimizer<F> = self.optimizer.parse()?;
        let schedule: Schedule<F> = self.schedule.parse()?;
        let adaptive = matches!(
            optimizer,
            Optimizer::Adam { .. } | Optimizer::AdamW { .. } | Optimizer::RmsProp { .. }
        );
        let rate = self.rate.unwrap_or(if adaptive { 0.001 } else { 0.1 });
        if !(rate.is_finite() && rate > 0.0) {
            return Err(CommandError::setting("rate", "a positive number", rate));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(CommandError::setting("weight-decay", "a number ≥ 0", self.weight_decay));
        }
        if let Some(norm) = self.clip_norm.filter(|n| !(n.is_finite() && *n > 0.0)) {
            return Err(CommandError::setting("clip-norm", "a positive number", norm));
        }
        if epochs == 0 {
            return Err(CommandError::setting("epochs", "at least 1", 0));
        }
        if batch == 0 {
            return Err(CommandError::setting("batch", "at least 1", 0));
        }
        let cast = |v: f64| <F as num_traits::NumCast>::from(v).unwrap_or_else(F::nan);
        Ok(TrainConfig {
            rate: cast(rate),
            epochs,
            loss,
            batch_size: Some(batch),
            seed,
            optimizer,
            schedule,
            weight_decay: cast(self.weight_decay),
            clip_norm: self.clip_norm.map(cast),
            ..TrainConfig::default()
        })
    }
}
