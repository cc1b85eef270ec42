//! Save and load: write a trained model's weights to a safetensors file and
//! read them into a fresh model.
//!
//! Run with `cargo run --release --example save_load [PATH]`; the weights go
//! to PATH, or to `model.safetensors` in the current directory.

use std::error::Error;
use std::path::{Path, PathBuf};

use nn::{mse, weights, Activation, Dense, Init, Module, Optimizer, Sequential, Sgd};
use rand::SeedableRng;
use tensor::{Tape, Tensor};

/// Builds the baseline network, 2-10-10-1 with sigmoid activations, with weights
/// drawn from N(0, 1) by `seed`.
fn baseline(seed: u64) -> Sequential<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Sequential::new()
        .add(Dense::new(2, 10, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(10, 10, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(10, 1, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
}

/// Computes the model's outputs for `x` without recording gradients.
fn predict(model: &Sequential<f64>, x: &Tensor<f64>) -> Tensor<f64> {
    let tape = Tape::new();
    tape.no_grad(|| model.forward(tape.constant(x.clone())).to_tensor())
}

fn main() {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "model.safetensors".into()),
    );
    if let Err(err) = run(&path) {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

fn run(path: &Path) -> Result<(), Box<dyn Error>> {
    // 1. Train the baseline network on the linearly separable set.
    let data = experiments::data::linear(100, 0);
    let x = Tensor::new(data.inputs_flat(), &[data.len(), 2]);
    let y = Tensor::new(data.labels_flat(), &[data.len(), 1]);
    let mut trained = baseline(0);
    let mut optimizer = Sgd::new(0.1);
    let mut tape = Tape::new();
    let epochs = 2000;
    for epoch in 1..=epochs {
        tape.clear();
        let loss = mse(
            trained.forward(tape.constant(x.clone())),
            tape.constant(y.clone()),
        );
        if epoch == epochs {
            println!("trained for {epochs} epochs, loss {:.5}", loss.item());
        }
        let grads = loss.backward();
        optimizer.step(&mut trained, &grads);
    }

    // 2. Save every parameter to a safetensors file, under its structured
    //    name: the layer's index and the parameter's name, as in 2.weight.
    weights::save(&trained, path)?;
    let bytes = std::fs::metadata(path)?.len();
    let tensors = trained.named_parameters().len();
    let values = trained.num_parameters();
    println!(
        "wrote {tensors} tensors, {values} values, {bytes} bytes to {}",
        path.display()
    );
    for (name, param) in trained.named_parameters() {
        println!("  {name:<9} {:?}", param.value().dims());
    }

    // 3. A fresh model of the same architecture starts from other weights,
    //    so its predictions differ until the file is loaded into it.
    let mut fresh = baseline(1);
    let before = predict(&fresh, &x).max_abs_diff(&predict(&trained, &x));
    println!("largest prediction difference before loading: {before:.3e}");
    weights::load(&mut fresh, path)?;
    let after = predict(&fresh, &x).max_abs_diff(&predict(&trained, &x));
    println!("largest prediction difference after loading:  {after:.3e}");

    // 4. The file stores f64 values bit for bit, so the predictions agree
    //    exactly.
    assert!(
        before > 0.0,
        "the fresh model should start from other weights"
    );
    assert_eq!(
        after, 0.0,
        "the loaded model should predict as the trained one"
    );
    for (index, row) in predict(&fresh, &x).data().iter().take(3).enumerate() {
        println!(
            "sample {index}: label {} prediction {row:.5}",
            y.data()[index]
        );
    }
    Ok(())
}
