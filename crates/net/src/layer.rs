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
        // Row-major, contiguous storage, whatever the caller passed: the kernels, the direct
        // path's slices and the parameter order (`Mlp::parameters`) assume it.
        let w = if w.is_standard_layout() { w } else { w.as_standard_layout().into_owned() };
        let b = if b.is_standard_layout() { b } else { b.as_standard_layout().into_owned() };
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

/// One layer of a network, lent to change its parameters in place
/// ([`Mlp::layers_mut`](crate::Mlp::layers_mut), [`Mlp::layer_mut`](crate::Mlp::layer_mut)):
/// the weights and bias as views, so that their shapes, and the network's architecture, stay
/// fixed. Everything [`Layer`] reads is available through it.
#[derive(Debug)]
pub struct LayerMut<'a, F>(&'a mut Layer<F>);

impl<'a, F: NdFloat> LayerMut<'a, F> {
    pub(crate) fn new(layer: &'a mut Layer<F>) -> Self {
        LayerMut(layer)
    }

    /// The weights, `d_prev × d`, to change in place.
    pub fn w_mut(&mut self) -> ArrayViewMut2<'_, F> {
        self.0.w_mut()
    }

    /// The bias, length `d`, to change in place.
    pub fn b_mut(&mut self) -> ArrayViewMut1<'_, F> {
        self.0.b_mut()
    }
}

impl<F> std::ops::Deref for LayerMut<'_, F> {
    type Target = Layer<F>;

    fn deref(&self) -> &Layer<F> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2, Axis, array};

    use super::*;

    #[test]
    fn parameters_are_stored_row_major_whatever_the_layout_handed_in() {
        // A transposed weight matrix and a bias with a reversed stride: the kernels and
        // the direct path read both as plain slices, so the layer stores copies in order.
        let w: Array2<f64> = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]].reversed_axes();
        let mut b: Array1<f64> = array![7.0, 8.0];
        b.invert_axis(Axis(0));
        assert!(w.as_slice().is_none() && b.as_slice().is_none());
        let layer = Layer::new(w.clone(), b.clone(), Activation::Sigmoid).unwrap();
        assert_eq!(layer.w.as_slice(), Some(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0][..]));
        assert_eq!(layer.b.as_slice(), Some(&[8.0, 7.0][..]));
        assert_eq!((layer.w(), layer.b()), (w.view(), b.view()));
    }
}
