//! From fixed data and initial weights, the f64 baseline must end on the
//! final losses that numpy, PyTorch and JAX all reach.

use std::path::Path;

use nn::{mse, Activation, Dense, Module, Optimizer, Sequential, Sgd};
use tensor::{Tape, Tensor};

fn fixture(name: &str) -> std::collections::BTreeMap<String, Tensor<f64>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    experiments::fixtures::load(&path).expect("fixture file should parse")
}

fn baseline(arrays: &std::collections::BTreeMap<String, Tensor<f64>>) -> Sequential<f64> {
    let dense = |name: &str| {
        let w = arrays[name].clone();
        let outputs = w.dims()[1];
        Dense::from_tensors(w, Tensor::zeros(&[outputs]))
    };
    Sequential::new()
        .add(dense("W1"))
        .add(Activation::Sigmoid)
        .add(dense("W2"))
        .add(Activation::Sigmoid)
        .add(dense("W3"))
        .add(Activation::Sigmoid)
}

/// Trains for `epochs` full-batch steps and returns the loss of one more
/// forward pass after the last update.
fn final_loss(
    model: &mut Sequential<f64>,
    optimizer: &mut dyn Optimizer<f64>,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    epochs: usize,
) -> f64 {
    let mut tape = Tape::new();
    for _ in 0..epochs {
        tape.clear();
        let loss = mse(
            model.forward(tape.constant(x.clone())),
            tape.constant(y.clone()),
        );
        let grads = loss.backward();
        optimizer.step(model, &grads);
    }
    tape.clear();
    mse(
        model.forward(tape.constant(x.clone())),
        tape.constant(y.clone()),
    )
    .item()
}

fn assert_relative(actual: f64, expected: f64) {
    let relative = ((actual - expected) / expected).abs();
    assert!(
        relative < 1e-8,
        "final loss {actual:.12} differs from {expected:.12} by {relative:.2e} relative"
    );
}

#[test]
fn baseline_linear_matches_reference_loss() {
    let arrays = fixture("linear.txt");
    let mut model = baseline(&arrays);
    let loss = final_loss(
        &mut model,
        &mut Sgd::new(0.1),
        &arrays["X"],
        &arrays["Y"],
        10_000,
    );
    assert_relative(loss, 0.01054536029);
}

#[test]
fn baseline_xor_matches_reference_loss() {
    let arrays = fixture("xor.txt");
    let mut model = baseline(&arrays);
    let loss = final_loss(
        &mut model,
        &mut Sgd::new(0.1),
        &arrays["X"],
        &arrays["Y"],
        10_000,
    );
    assert_relative(loss, 0.04267004339);
}
