//! The sizes of a network: inputs, then each layer's width.

use std::fmt;
use std::str::FromStr;

use crate::NetError;

/// The sizes of a feed-forward network, inputs first: `[2, 2, 1]` is two inputs, a hidden
/// layer of two neurons and one output. Written `2-2-1`.
///
/// Always valid once built: at least two sizes, none zero.
///
/// ```
/// use nn_net::Architecture;
///
/// let arch: Architecture = "8-16-5".parse()?;
/// assert_eq!(arch.sizes(), &[8, 16, 5]);
/// assert_eq!((arch.inputs(), arch.outputs(), arch.layers()), (8, 5, 2));
/// assert_eq!(arch.to_string(), "8-16-5");
/// assert!("8-0-5".parse::<Architecture>().is_err());
/// # Ok::<(), nn_net::NetError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Architecture {
    sizes: Vec<usize>,
}

impl Architecture {
    /// Checks and wraps a list of sizes.
    ///
    /// # Errors
    /// [`NetError::EmptyArchitecture`] for fewer than two sizes, [`NetError::ZeroWidthLayer`]
    /// for a zero.
    pub fn new(sizes: impl Into<Vec<usize>>) -> Result<Self, NetError> {
        let sizes = sizes.into();
        if sizes.len() < 2 {
            return Err(NetError::EmptyArchitecture { found: sizes.len() });
        }
        if let Some(index) = sizes.iter().position(|&s| s == 0) {
            return Err(NetError::ZeroWidthLayer { index });
        }
        Ok(Architecture { sizes })
    }

    /// All sizes, inputs first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.sizes[0]
    }

    /// The width of the last layer.
    pub fn outputs(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }

    /// The number of layers with weights (one less than the number of sizes).
    pub fn layers(&self) -> usize {
        self.sizes.len() - 1
    }

    /// The number of weights and biases: `Σ_l (d_{l-1}·d_l + d_l)`, or `usize::MAX` if
    /// that does not fit a `usize` (such a network cannot be built: [`Mlp::new`] refuses
    /// it by the memory it would take).
    ///
    /// [`Mlp::new`]: crate::Mlp::new
    pub fn parameter_count(&self) -> usize {
        self.checked_parameter_count().unwrap_or(usize::MAX)
    }

    /// The number of weights and biases, `None` if it does not fit a `usize`: what the
    /// memory limit counts from.
    pub fn checked_parameter_count(&self) -> Option<usize> {
        self.sizes
            .windows(2)
            .try_fold(0_usize, |n, w| n.checked_add(w[0].checked_mul(w[1])?.checked_add(w[1])?))
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, size) in self.sizes.iter().enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            write!(f, "{size}")?;
        }
        Ok(())
    }
}

impl FromStr for Architecture {
    type Err = NetError;

    /// Parses sizes joined by `-` (`"784-128-10"`); spaces around sizes are allowed.
    fn from_str(input: &str) -> Result<Self, NetError> {
        let parse_error =
            |reason: String| NetError::ParseArchitecture { input: input.to_owned(), reason };
        if input.trim().is_empty() {
            return Err(parse_error("found an empty string".into()));
        }
        let sizes = input
            .split('-')
            .enumerate()
            .map(|(index, token)| {
                let token = token.trim();
                token.parse::<usize>().map_err(|_| {
                    parse_error(format!("size {index} is {token:?}, not a whole number"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Architecture::new(sizes)
    }
}

impl TryFrom<&[usize]> for Architecture {
    type Error = NetError;

    fn try_from(sizes: &[usize]) -> Result<Self, NetError> {
        Architecture::new(sizes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let arch: Architecture = " 2 - 2-1".parse().unwrap();
        assert_eq!(arch.sizes(), &[2, 2, 1]);
        assert_eq!(arch.to_string(), "2-2-1");
        // 2·2 + 2 weights and biases in the hidden layer, 2·1 + 1 in the output: 6 + 3
        assert_eq!(arch.parameter_count(), 9);
    }

    #[test]
    fn bad_architectures_are_named_errors() {
        assert_eq!(Architecture::new(vec![]), Err(NetError::EmptyArchitecture { found: 0 }));
        assert_eq!(Architecture::new(vec![3]), Err(NetError::EmptyArchitecture { found: 1 }));
        assert_eq!(Architecture::new(vec![2, 0, 1]), Err(NetError::ZeroWidthLayer { index: 1 }));
        for bad in ["", "  ", "2--1", "2-x-1", "-2-1", "2-1-", "2-1.5", "2-+-1", "2 2 1"] {
            let err = bad.parse::<Architecture>().unwrap_err();
            assert!(matches!(err, NetError::ParseArchitecture { .. }), "{bad:?}: {err}");
        }
        assert_eq!(
            "2-x-1".parse::<Architecture>().unwrap_err().to_string(),
            "architecture \"2-x-1\": expected sizes joined by '-', such as 2-2-1; size 1 is \
             \"x\", not a whole number"
        );
        assert_eq!("7".parse::<Architecture>(), Err(NetError::EmptyArchitecture { found: 1 }));
        assert_eq!("7-0".parse::<Architecture>(), Err(NetError::ZeroWidthLayer { index: 1 }));
    }

    #[test]
    fn parameter_count_of_a_huge_architecture_saturates() {
        // Found by the architecture fuzz target: (2⁶⁴ − 1) · 2 weights overflowed a usize.
        let arch: Architecture = "18446744073709551615-2".parse().unwrap();
        assert_eq!(arch.parameter_count(), usize::MAX);
        assert_eq!(arch.checked_parameter_count(), None);
        assert_eq!(
            "784-128-10".parse::<Architecture>().unwrap().checked_parameter_count(),
            Some(101_770)
        );
    }
}
