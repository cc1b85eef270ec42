//! Conv: train a one-channel 1-D convolution on the linearly separable set.
//!
//! Run with `cargo run --release --example conv`.

use nn::{mse, Activation, Conv1d, Conv1dConfig, Dense, Flatten, Init, Module, Optimizer};
use nn::{Sequential, Sgd};
use rand::SeedableRng;
use tensor::{Tape, Tensor};

fn main() {
    // 1. The data: 100 points of [0, 1]^2, label 0 when x0 > x1, else 1.
    //    Each point is read as a signal of length 2 with one channel, so the
    //    input is [batch, channels, length] = [100, 1, 2].
    let data = experiments::data::linear(100, 0);
    let x = Tensor::new(data.inputs_flat(), &[data.len(), 1, 2]);
    let y = Tensor::new(data.labels_flat(), &[data.len(), 1]);

    // 2. The model: a kernel of 3 with one zero of padding on each side keeps
    //    the length at 2; Flatten turns [100, 1, 2] into [100, 2] for Dense.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let padding = Conv1dConfig {
        padding: 1,
        ..Conv1dConfig::default()
    };
    let mut model = Sequential::new()
        .add(Conv1d::new(
            1,
            1,
            3,
            padding,
            Init::StandardNormal,
            &mut rng,
        ))
        .add(Activation::Sigmoid)
        .add(Flatten)
        .add(Dense::new(2, 1, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid);
    println!("{}", model.describe());

    // 3. Full-batch gradient descent on the MSE loss.
    let mut optimizer = Sgd::new(1.0);
    let mut tape = Tape::new();
    for epoch in 1..=2000 {
        tape.clear();
        let loss = mse(
            model.forward(tape.constant(x.clone())),
            tape.constant(y.clone()),
        );
        if epoch % 200 == 0 {
            println!("epoch {epoch:>5}  loss {:.5}", loss.item());
        }
        let grads = loss.backward();
        optimizer.step(&mut model, &grads);
    }

    // 4. Accuracy on the training points, thresholding the output at 0.5,
    //    and the learned parameters.
    tape.clear();
    let prediction = model.forward(tape.constant(x.clone())).to_tensor();
    let correct = prediction
        .data()
        .iter()
        .zip(y.data())
        .filter(|&(&p, &label)| (p > 0.5) == (label == 1.0))
        .count();
    let accuracy = 100.0 * correct as f64 / data.len() as f64;
    println!("accuracy {correct}/{} = {accuracy:.2}%", data.len());
    for (name, param) in model.named_parameters() {
        println!(
            "{name:<9} {:?} {:.3?}",
            param.value().dims(),
            param.value().data()
        );
    }
}
