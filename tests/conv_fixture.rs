//! From the fixed data and initial weights of `tests/data/conv.txt`, the
//! f64 conv model must end on the final loss and accuracy that numpy,
//! PyTorch and JAX all reach. After 500 epochs of full-batch SGD with
//! lr 1.0 these are a loss of 0.2494065589 and 11 of 21 correct.

use std::collections::BTreeMap;
use std::path::Path;

use nn::{mse, Module, Optimizer, Sgd};
use tensor::{Tape, Tensor};

fn fixture(name: &str) -> BTreeMap<String, Tensor<f64>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    experiments::fixtures::load(&path).expect("fixture file should parse")
}

#[test]
fn conv_xor_matches_reference_loss() {
    let arrays = fixture("conv.txt");
    let mut model = experiments::fixtures::conv(&arrays);
    // The two features of each sample are a length-2 signal with one channel.
    let samples = arrays["X"].dims()[0];
    let x = arrays["X"].clone().reshaped(&[samples, 1, 2]);
    let y = arrays["Y"].clone();
    let mut optimizer = Sgd::new(1.0);
    let mut tape = Tape::new();
    for _ in 0..500 {
        tape.clear();
        let loss = mse(
            model.forward(tape.constant(x.clone())),
            tape.constant(y.clone()),
        );
        let grads = loss.backward();
        optimizer.step(&mut model, &grads);
    }

    tape.clear();
    let output = model.forward(tape.constant(x));
    let loss = mse(output, tape.constant(y.clone())).item();
    let expected = 0.2494065589;
    let relative = ((loss - expected) / expected).abs();
    assert!(
        relative < 1e-8,
        "final loss {loss:.12} differs from {expected:.12} by {relative:.2e} relative"
    );

    let predictions = output.to_tensor();
    let correct = predictions
        .data()
        .iter()
        .zip(y.data())
        .filter(|&(&p, &label)| (p > 0.5) == (label > 0.5))
        .count();
    assert_eq!(correct, 11, "predictions {:?}", predictions.data());
}
