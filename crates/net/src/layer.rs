//! One layer: weights, bias and activation.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, NdFloat};
use nn_tensor::Activation;

use crate::NetError;
use crate::check::{check_finite_matrix, check_finite_vector};

/// One layer of a feed-forward network: `A = f(A_prev · W + 1·bᵀ)`.
///
/// # Shapes
/// `W` is `d_prev × d` (one column per neuron, one row per input), `b` has length `d`.
///
/// The shapes are fixed once the layer is built: the weights and bias can be changed in
/// place through [`Layer::w_mut`] and [`Layer::b_mut`], but not resized, so a network is
/// always consistent.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer<F> {
    pub(crate) w: Array2<F>,
    pub(crate) b: Array1<F>,
    pub(crate) activation: Activation,
}

impl<F: NdFloat> Layer<F> {
    /// Checks and builds a layer.
    ///
    /// # Errors
    /// [`NetError::LayerShape`] if the bias length is not the number of columns of `w` or
    /// either is empty; [`NetError::NonFinite`] for a NaN or infinite parameter.
    pub fn new(w: Array2<F>, b: Array1<F>, activation: Activation) -> Result<Self, NetError> {
        if w.nrows() == 0 || w.ncols() == 0 || b.len() != w.ncols() {
            return Err(NetError::LayerShape {
                index: 0,
                expected_rows: w.nrows().max(1),
                expected_cols: w.ncols().max(1),
                found_rows: w.nrows(),
                found_cols: w.ncols(),
                found_bias: b.len(),
            });
        }
        check_finite_matrix(|| "weights".to_owned(), &w)?;
        check_finite_vector(|| "bias".to_owned(), &b)?;
        // Row-major storage, whatever the caller passed: the kernels and the parameter
        // order (`Mlp::parameters`) assume it.
        let w = if w.is_standard_layout() { w } else { w.as_standard_layout().into_owned() };
        Ok(Layer { w, b, activation })
    }

    /// The weights, `d_prev × d`.
    pub fn w(&self) -> ArrayView2<'_, F> {
        self.w.view()
    }

    /// The bias, length `d`.
    pub fn b(&self) -> ArrayView1<'_, F> {
        self.b.view()
    }

    /// The weights, to change in place.
    pub fn w_mut(&mut self) -> ArrayViewMut2<'_, F> {
        self.w.view_mut()
    }

    /// The bias, to change in place.
    pub fn b_mut(&mut self) -> ArrayViewMut1<'_, F> {
        self.b.view_mut()
    }

    /// The activation applied after the affine map.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The number of inputs the layer takes (`d_prev`).
    pub fn inputs(&self) -> usize {
        self.w.nrows()
    }

    /// The number of neurons (`d`).
    pub fn outputs(&self) -> usize {
        self.w.ncols()
    }
}
