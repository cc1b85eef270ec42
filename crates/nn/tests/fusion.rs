//! `Sequential` runs a `Dense` layer and the activation after it as one
//! tape node where it can, with the bits of running them one by one.

use nn::{mse, Activation, Dense, Init, Module, Sequential};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Tape, Tensor};

/// Returns the loss bits, every parameter gradient's bits and the node
/// count of one forward and backward pass. With `fused` the model runs as a
/// `Sequential`; without, each layer's `forward` is called in turn. Both
/// draw the same weights and data from one seed.
fn pass(activations: &[Activation], fused: bool) -> (Vec<u64>, usize) {
    let mut rng = StdRng::seed_from_u64(11);
    let mut layers = Vec::new();
    let mut width = 3;
    for &activation in activations {
        layers.push((
            Dense::<f64>::new(width, 4, Init::Xavier, &mut rng),
            activation,
        ));
        width = 4;
    }
    let inputs = Tensor::from_fn(&[9, 3], |i| {
        if i == 4 {
            0.0
        } else {
            rng.random_range(-2.0..2.0)
        }
    });
    let targets = Tensor::from_fn(&[9, 4], |_| rng.random_range(0.0..1.0));
    let model = layers
        .iter()
        .fold(Sequential::new(), |model, (dense, activation)| {
            model.add(dense.clone()).add(*activation)
        });

    let tape = Tape::new();
    let x = tape.constant(inputs);
    let output = if fused {
        model.forward(x)
    } else {
        layers.iter().fold(x, |h, (dense, activation)| {
            activation.forward(dense.forward(h))
        })
    };
    let loss = mse(output, tape.constant(targets));
    let grads = loss.backward();
    let params = if fused {
        model.parameters()
    } else {
        layers
            .iter()
            .flat_map(|(dense, _)| dense.parameters())
            .collect()
    };
    let mut bits = vec![loss.item().to_bits()];
    for param in params {
        let grad = grads
            .param(param.id())
            .expect("expected a gradient for every parameter");
        bits.extend(grad.data().iter().map(|v| v.to_bits()));
    }
    (bits, tape.len())
}

#[test]
fn fused_layers_keep_every_bit() {
    let all = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
        Activation::LeakyRelu { slope: 0.1 },
        Activation::Identity,
    ];
    let (fused, fused_nodes) = pass(&all, true);
    let (separate, separate_nodes) = pass(&all, false);
    assert_eq!(fused, separate);
    // Sigmoid, tanh and ReLU fuse; leaky ReLU and identity do not.
    assert_eq!(fused_nodes + 3, separate_nodes);
}

#[test]
fn activation_without_dense_before_runs_alone() {
    let model = Sequential::<f64>::new()
        .add(Activation::Sigmoid)
        .add(Activation::Tanh);
    let tape = Tape::new();
    let x = tape.constant(Tensor::new(vec![-1.0, 0.0, 2.0], &[1, 3]));
    let y = model.forward(x);
    let expected: Vec<f64> = [-1.0_f64, 0.0, 2.0]
        .iter()
        .map(|v| (1.0 / (1.0 + (-v).exp())).tanh())
        .collect();
    for (got, want) in y.value().data().iter().zip(&expected) {
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
    }
    assert_eq!(tape.len(), 3);
}

#[test]
fn every_node_records_the_callers_line() {
    let mut rng = StdRng::seed_from_u64(1);
    let model = Sequential::<f64>::new()
        .add(Dense::new(2, 3, Init::Xavier, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(3, 1, Init::Xavier, &mut rng))
        .add(Activation::LeakyRelu { slope: 0.1 });
    let tape = Tape::new();
    model.forward(tape.constant(Tensor::zeros(&[4, 2])));
    let listing = tape.to_string();
    assert_eq!(listing.lines().count(), 8, "{listing}");
    for line in listing.lines() {
        assert!(line.contains("tests/fusion.rs"), "{line}");
    }
}
