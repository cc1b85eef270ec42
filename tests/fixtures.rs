//! From fixed data and initial weights, the f64 baseline must end on the
//! final losses that numpy, PyTorch and JAX all reach.

use std::path::Path;

use nn::{mse, Activation, Module, Momentum, Optimizer, Sequential, Sgd};
use tensor::{Tape, Tensor};

fn fixture(name: &str) -> std::collections::BTreeMap<String, Tensor<f64>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    experiments::fixtures::load(&path).expect("fixture file should parse")
}

/// The baseline with sigmoid hidden layers.
fn baseline(arrays: &std::collections::BTreeMap<String, Tensor<f64>>) -> Sequential<f64> {
    experiments::fixtures::baseline(arrays, Activation::Sigmoid)
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

/// The fraction of samples whose output, thresholded at 0.5 (above counts
/// as 1), equals the label.
fn accuracy(model: &Sequential<f64>, x: &Tensor<f64>, y: &Tensor<f64>) -> f64 {
    let tape = Tape::new();
    let output = model.forward(tape.constant(x.clone())).to_tensor();
    assert_eq!(output.dims(), y.dims());
    let correct = output
        .data()
        .iter()
        .zip(y.data())
        .filter(|&(&out, &label)| {
            let predicted = if out > 0.5 { 1.0 } else { 0.0 };
            predicted == label
        })
        .count();
    correct as f64 / y.len() as f64
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
    assert_eq!(accuracy(&model, &arrays["X"], &arrays["Y"]), 1.0);
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
    assert_eq!(accuracy(&model, &arrays["X"], &arrays["Y"]), 20.0 / 21.0);
}

#[test]
fn momentum_xor_matches_reference_loss() {
    // v = 0.9 v + lr g; w -= v, with v starting at 0.
    let arrays = fixture("xor.txt");
    let mut model = baseline(&arrays);
    let loss = final_loss(
        &mut model,
        &mut Momentum::new(0.1, 0.9),
        &arrays["X"],
        &arrays["Y"],
        10_000,
    );
    assert_relative(loss, 0.0001835863353);
    assert_eq!(accuracy(&model, &arrays["X"], &arrays["Y"]), 1.0);
}

#[test]
fn relu_xor_matches_reference_loss() {
    // XOR's first point is (0, 0) and the biases start at 0, so the first
    // hidden layer's inputs there are exactly 0: this loss holds only with
    // ReLU'(0) = 0.
    let arrays = fixture("xor.txt");
    let mut model = experiments::fixtures::baseline(&arrays, Activation::Relu);
    let loss = final_loss(
        &mut model,
        &mut Sgd::new(0.1),
        &arrays["X"],
        &arrays["Y"],
        10_000,
    );
    assert_relative(loss, 0.0003798758704);
    assert_eq!(accuracy(&model, &arrays["X"], &arrays["Y"]), 1.0);
}
