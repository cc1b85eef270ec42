//! Graph: draw the tape of the baseline network's forward pass and loss.
//!
//! Run with `cargo run --example graph [PATH]`; the graph goes to PATH, or
//! to `graph.dot` in the current directory.

use std::path::PathBuf;

use nn::{mse, Activation, Dense, Init, Module, Sequential};
use rand::SeedableRng;
use tensor::{Tape, Tensor};

fn main() -> std::io::Result<()> {
    let path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "graph.dot".into()),
    );

    // 1. The baseline network: 2-10-10-1 with sigmoid activations.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let model = Sequential::<f64>::new()
        .add(Dense::new(2, 10, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(10, 10, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(10, 1, Init::StandardNormal, &mut rng))
        .add(Activation::Sigmoid);

    // 2. One forward pass and the MSE loss on the 21 XOR_easy points. Each
    //    op appends a node to the tape; nothing is differentiated yet.
    let data = experiments::data::xor_easy();
    let tape = Tape::new();
    let x = tape.constant(Tensor::new(data.inputs_flat(), &[data.len(), 2]));
    let y = tape.constant(Tensor::new(data.labels_flat(), &[data.len(), 1]));
    let loss = mse(model.forward(x), y);

    // 3. The tape as text: one line per node, with the line that recorded it.
    print!("{tape}");
    println!("loss = {:.5}", loss.item());

    // 4. The tape as a Graphviz graph: parameters are blue boxes, constants
    //    dashed boxes, ops ellipses, and edges run from inputs to ops.
    std::fs::write(&path, tape.to_dot())?;
    println!("wrote {} nodes to {}", tape.len(), path.display());
    println!("render it with: dot -Tpng {} -o graph.png", path.display());
    Ok(())
}
