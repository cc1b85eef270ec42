//! XOR: train a 2-10-10-1 sigmoid network on the 21 XOR_easy points.
//!
//! Run with `cargo run --release --example xor`.

use nn::{mse, Activation, Dense, Init, Module, Optimizer, Sequential, Sgd};
use rand::SeedableRng;
use tensor::{Tape, Tensor};

fn main() {
    // 1. The data: (0.1 i, 0.1 i) has label 0 and (0.1 i, 1 - 0.1 i) label 1.
    let data = experiments::data::xor_easy();
    let x = Tensor::new(data.inputs_flat(), &[data.len(), 2]);
    let y = Tensor::new(data.labels_flat(), &[data.len(), 1]);

    // 2. The model, declared as data: weights from N(0, 1), biases zero.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut model = Sequential::new()
        .add(Dense::new(2, 10, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(10, 10, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(10, 1, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid);

    // 3. Full-batch gradient descent: record the forward pass and the loss on
    //    a tape, walk it backward, and step every parameter by -lr * grad.
    let mut optimizer = Sgd::new(0.1);
    let mut tape = Tape::new();
    for epoch in 1..=10_000 {
        tape.clear();
        let loss = mse(
            model.forward(tape.constant(x.clone())),
            tape.constant(y.clone()),
        );
        if epoch % 1000 == 0 {
            println!("epoch {epoch:>6}  loss {:.5}", loss.item());
        }
        let grads = loss.backward();
        optimizer.step(&mut model, &grads);
    }

    // 4. Accuracy on the training points, thresholding the output at 0.5.
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
}
