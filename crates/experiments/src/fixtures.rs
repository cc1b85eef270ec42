//! Reads the cross-implementation fixture files: fixed data and initial
//! weights from which numpy, PyTorch and JAX reach known final losses.
//!
//! The format is a list of arrays, each a header line `NAME ROWS COLS`
//! followed by `ROWS * COLS` whitespace-separated `f64` values in row-major
//! order, written so that they parse back exactly.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use nn::{Activation, Conv1d, Conv1dConfig, Dense, Flatten, Sequential};
use tensor::Tensor;

/// An error reading a fixture file, naming the file and what is wrong.
#[derive(Debug)]
pub struct FixtureError {
    path: String,
    message: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fixture {}: {}", self.path, self.message)
    }
}

impl std::error::Error for FixtureError {}

/// Reads every array of a fixture file, keyed by name, each a 2-D tensor.
///
/// # Errors
///
/// [`FixtureError`] when the file cannot be read, a header is malformed, a
/// value is not a number, or an array has too few values.
pub fn load(path: &Path) -> Result<BTreeMap<String, Tensor<f64>>, FixtureError> {
    let error = |message: String| FixtureError {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot be read: {e}")))?;
    parse(&text).map_err(error)
}

/// Parses fixture text; see [`load`].
///
/// # Errors
///
/// A message naming the array and the problem.
pub fn parse(text: &str) -> Result<BTreeMap<String, Tensor<f64>>, String> {
    let mut tokens = text.split_whitespace();
    let mut arrays = BTreeMap::new();
    while let Some(name) = tokens.next() {
        let mut dim = |what: &str| -> Result<usize, String> {
            let token = tokens
                .next()
                .ok_or(format!("array {name}: missing {what} in its header"))?;
            token
                .parse()
                .map_err(|_| format!("array {name}: {what} `{token}` is not a count"))
        };
        let rows = dim("row count")?;
        let cols = dim("column count")?;
        let mut values = Vec::with_capacity(rows * cols);
        for _ in 0..rows * cols {
            let token = tokens.next().ok_or(format!(
                "array {name}: expected {} values, found {}",
                rows * cols,
                values.len()
            ))?;
            let value: f64 = token
                .parse()
                .map_err(|_| format!("array {name}: value `{token}` is not a number"))?;
            values.push(value);
        }
        arrays.insert(name.to_string(), Tensor::new(values, &[rows, cols]));
    }
    Ok(arrays)
}

/// Builds the baseline 2-10-10-1 network from a fixture's weights `W1`,
/// `W2` and `W3` (each `[in, out]`), with zero biases, `hidden` after both
/// hidden layers and a sigmoid output.
///
/// # Panics
///
/// When `arrays` lacks one of the three weights.
pub fn baseline(arrays: &BTreeMap<String, Tensor<f64>>, hidden: Activation) -> Sequential<f64> {
    let dense = |name: &str| {
        let Some(weight) = arrays.get(name) else {
            panic!("fixture has no array `{name}`; the baseline needs W1, W2 and W3");
        };
        let outputs = weight.dims()[1];
        Dense::from_tensors(weight.clone(), Tensor::zeros(&[outputs]))
    };
    Sequential::new()
        .add(dense("W1"))
        .add(hidden)
        .add(dense("W2"))
        .add(hidden)
        .add(dense("W3"))
        .add(Activation::Sigmoid)
}

/// Builds the convolutional XOR net from a fixture's kernel `K` (`[1, 3]`)
/// and dense weight `W` (`[2, 1]`), with zero biases: Conv1d(1 -> 1,
/// kernel 3, stride 1, padding 1) and a sigmoid, Flatten, then Dense 2 -> 1
/// and a sigmoid. It takes each sample's two features as a one-channel
/// signal of length 2, an input of shape `[samples, 1, 2]`.
///
/// # Panics
///
/// When `arrays` lacks `K` or `W`, or they have other shapes.
pub fn conv(arrays: &BTreeMap<String, Tensor<f64>>) -> Sequential<f64> {
    let array = |name: &str, dims: &[usize]| {
        let Some(array) = arrays.get(name) else {
            panic!("fixture has no array `{name}`; the conv net needs K and W");
        };
        assert_eq!(
            array.dims(),
            dims,
            "fixture array `{name}` has the wrong shape for the conv net"
        );
        array.clone()
    };
    let config = Conv1dConfig {
        stride: 1,
        padding: 1,
    };
    let kernel = array("K", &[1, 3]).reshaped(&[1, 1, 3]);
    Sequential::new()
        .add(Conv1d::from_tensors(kernel, Tensor::zeros(&[1]), config))
        .add(Activation::Sigmoid)
        .add(Flatten)
        .add(Dense::from_tensors(
            array("W", &[2, 1]),
            Tensor::zeros(&[1]),
        ))
        .add(Activation::Sigmoid)
}
