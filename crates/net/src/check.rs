//! Checks shared by the places where data enters.

use ndarray::{ArrayRef1, ArrayRef2, NdFloat};

use crate::NetError;

/// The first NaN or infinite value of a matrix, as an error naming `what` and where.
pub(crate) fn check_finite_matrix<F: NdFloat>(
    what: impl Fn() -> String,
    m: &ArrayRef2<F>,
) -> Result<(), NetError> {
    match m.indexed_iter().find(|(_, v)| !v.is_finite()) {
        None => Ok(()),
        Some(((row, column), &value)) => Err(NetError::NonFinite {
            what: what(),
            row,
            column,
            value: value.to_f64().unwrap_or(f64::NAN),
        }),
    }
}

/// The first NaN or infinite value of a vector, reported as row 0.
pub(crate) fn check_finite_vector<F: NdFloat>(
    what: impl Fn() -> String,
    v: &ArrayRef1<F>,
) -> Result<(), NetError> {
    match v.indexed_iter().find(|(_, v)| !v.is_finite()) {
        None => Ok(()),
        Some((column, &value)) => Err(NetError::NonFinite {
            what: what(),
            row: 0,
            column,
            value: value.to_f64().unwrap_or(f64::NAN),
        }),
    }
}

/// A learning rate must be a positive finite number.
pub(crate) fn check_rate<F: NdFloat>(rate: F) -> Result<(), NetError> {
    if rate.is_finite() && rate > F::zero() {
        Ok(())
    } else {
        Err(NetError::InvalidRate { found: rate.to_f64().unwrap_or(f64::NAN) })
    }
}

/// `v` as the float type `F` (exact for the small integers and constants used here).
pub(crate) fn cast<F: NdFloat>(v: f64) -> F {
    <F as num_traits::NumCast>::from(v).unwrap_or_else(F::nan)
}
