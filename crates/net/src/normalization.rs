//! How inputs are mapped before they reach the network, fitted on the training data and
//! saved with the model so that evaluation and prediction map their inputs the same way.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayRef2, NdFloat};

use crate::NetError;
use crate::check::cast;

/// The kinds of input normalisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum NormalizationKind {
    /// Inputs used as they are.
    #[default]
    None,
    /// `(x − min) / (max − min)` with the minimum and maximum of all the training inputs:
    /// one range for every column, as for the pixels of an image (0..255 → 0..1).
    Scale,
    /// `(x − mean_j) / std_j` per column `j`, with the training inputs' statistics.
    Standardize,
}

impl NormalizationKind {
    /// Every kind, in declaration order.
    pub const ALL: [NormalizationKind; 3] =
        [NormalizationKind::None, NormalizationKind::Scale, NormalizationKind::Standardize];

    /// The name used on the command line and in model files.
    pub fn name(self) -> &'static str {
        match self {
            NormalizationKind::None => "none",
            NormalizationKind::Scale => "scale",
            NormalizationKind::Standardize => "standardize",
        }
    }
}

impl fmt::Display for NormalizationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NormalizationKind {
    type Err = NetError;

    fn from_str(s: &str) -> Result<Self, NetError> {
        NormalizationKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| NetError::ParseNormalization { found: s.to_owned() })
    }
}

/// A per-column affine map of the inputs, `x'_j = (x_j − shift_j) / scale_j`, with its
/// statistics kept in `f64` whatever the network's float type, so that a model file holds
/// them exactly.
///
/// ```
/// use ndarray::array;
/// use nn_net::{Normalization, NormalizationKind};
///
/// let train = array![[0.0_f32, 10.0], [255.0, 20.0]];
/// let scale = Normalization::fit(NormalizationKind::Scale, &train);
/// let mut x = array![[51.0_f32, 255.0]];
/// scale.apply(&mut x)?;
/// assert_eq!(x, array![[0.2, 1.0]]);
///
/// let standard = Normalization::fit(NormalizationKind::Standardize, &train);
/// assert_eq!(standard.shift(), [127.5, 15.0]);
/// assert_eq!(standard.scale(), [127.5, 5.0]);
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Normalization {
    kind: NormalizationKind,
    shift: Vec<f64>,
    scale: Vec<f64>,
}

impl Normalization {
    /// The identity map on `width` columns.
    pub fn none(width: usize) -> Self {
        Normalization {
            kind: NormalizationKind::None,
            shift: vec![0.0; width],
            scale: vec![1.0; width],
        }
    }

    /// The map of `kind` fitted on `inputs` (one row per sample). A column (or, for
    /// [`NormalizationKind::Scale`], a whole matrix) with no spread gets scale 1, so that
    /// it maps to 0 rather than to a division by zero.
    pub fn fit<F: NdFloat>(kind: NormalizationKind, inputs: &ArrayRef2<F>) -> Self {
        let width = inputs.ncols();
        let value = |v: &F| v.to_f64().unwrap_or(f64::NAN);
        let spread_or_one = |s: f64| if s > 0.0 && s.is_finite() { s } else { 1.0 };
        match kind {
            NormalizationKind::None => Normalization::none(width),
            NormalizationKind::Scale => {
                let (low, high) = inputs
                    .iter()
                    .map(value)
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
                let low = if low.is_finite() { low } else { 0.0 };
                let range = spread_or_one(high - low);
                Normalization { kind, shift: vec![low; width], scale: vec![range; width] }
            }
            NormalizationKind::Standardize => {
                let rows = inputs.nrows().max(1) as f64;
                let mut shift = Vec::with_capacity(width);
                let mut scale = Vec::with_capacity(width);
                for column in inputs.columns() {
                    let mean = column.iter().map(value).sum::<f64>() / rows;
                    let variance =
                        column.iter().map(|v| (value(v) - mean).powi(2)).sum::<f64>() / rows;
                    shift.push(mean);
                    scale.push(spread_or_one(variance.sqrt()));
                }
                Normalization { kind, shift, scale }
            }
        }
    }

    /// A map from saved parts, as a model file holds them.
    ///
    /// # Errors
    /// [`NetError::InvalidNormalization`] if the two vectors differ in length, a shift is
    /// not finite, a scale is not a positive finite number, or the kind is
    /// [`NormalizationKind::None`] with a shift other than 0 or a scale other than 1
    /// ([`Normalization::apply`] skips the map for `none`, so such statistics would say one
    /// thing and do another; a model file holding them is refused on load).
    pub fn from_parts(
        kind: NormalizationKind,
        shift: Vec<f64>,
        scale: Vec<f64>,
    ) -> Result<Self, NetError> {
        if shift.len() != scale.len() {
            return Err(NetError::InvalidNormalization {
                reason: format!(
                    "{} shifts but {} scales; expected one of each per input column",
                    shift.len(),
                    scale.len()
                ),
            });
        }
        if let Some((column, s)) = shift.iter().enumerate().find(|(_, s)| !s.is_finite()) {
            return Err(NetError::InvalidNormalization {
                reason: format!("shift of column {column} is {s}; expected a finite number"),
            });
        }
        if let Some((column, s)) =
            scale.iter().enumerate().find(|(_, s)| !(s.is_finite() && **s > 0.0))
        {
            return Err(NetError::InvalidNormalization {
                reason: format!("scale of column {column} is {s}; expected a positive number"),
            });
        }
        if kind == NormalizationKind::None {
            let mut columns = shift.iter().zip(&scale).enumerate();
            if let Some((i, (s, d))) = columns.find(|&(_, (&s, &d))| s != 0.0 || d != 1.0) {
                return Err(NetError::InvalidNormalization {
                    reason: format!(
                        "kind none must have shift 0 and scale 1; column {i} has shift {s} and \
                         scale {d}"
                    ),
                });
            }
        }
        Ok(Normalization { kind, shift, scale })
    }

    /// The kind fitted.
    pub fn kind(&self) -> NormalizationKind {
        self.kind
    }

    /// The value subtracted from each column.
    pub fn shift(&self) -> &[f64] {
        &self.shift
    }

    /// The value each column is divided by, after the shift.
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// The number of input columns it maps.
    pub fn width(&self) -> usize {
        self.shift.len()
    }

    /// Maps `inputs` in place, row by row.
    ///
    /// # Errors
    /// [`NetError::InputWidth`] if `inputs` has another number of columns than the map.
    pub fn apply<F: NdFloat>(&self, inputs: &mut ArrayRef2<F>) -> Result<(), NetError> {
        if inputs.ncols() != self.width() {
            return Err(NetError::InputWidth { expected: self.width(), found: inputs.ncols() });
        }
        if self.kind == NormalizationKind::None {
            return Ok(());
        }
        let shift: Vec<F> = self.shift.iter().map(|&s| cast(s)).collect();
        let scale: Vec<F> = self.scale.iter().map(|&s| cast(s)).collect();
        for mut row in inputs.rows_mut() {
            for ((x, &s), &d) in row.iter_mut().zip(&shift).zip(&scale) {
                *x = (*x - s) / d;
            }
        }
        Ok(())
    }
}
