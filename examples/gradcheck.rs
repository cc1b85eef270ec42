//! Gradcheck: hand-derived gradients of a small network against the tape's.
//!
//! Run with `cargo run --release --example gradcheck`.

use tensor::{gradcheck, Tape, Tensor, Var};

/// Records the MSE loss of the network
/// `y_hat = sigmoid(sigmoid(x W1 + b1) W2 + b2)` on the inputs' tape, one
/// tensor op per step.
fn loss<'t>(x: Var<'t, f64>, y: Var<'t, f64>, params: &[Var<'t, f64>]) -> Var<'t, f64> {
    let (w1, b1, w2, b2) = (params[0], params[1], params[2], params[3]);
    let hidden = (x.matmul(w1) + b1).sigmoid();
    let y_hat = (hidden.matmul(w2) + b2).sigmoid();
    (y_hat - y).square().mean()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Computes the same gradients by the chain rule, with plain loops over the
/// row-major data: `[dW1, db1, dW2, db2]`.
fn hand_gradients(x: &Tensor<f64>, y: &Tensor<f64>, params: &[Tensor<f64>]) -> Vec<Vec<f64>> {
    let (n, inputs, hidden) = (x.dims()[0], x.dims()[1], params[0].dims()[1]);
    let (w1, b1, w2, b2) = (
        params[0].data(),
        params[1].data(),
        params[2].data(),
        params[3].data(),
    );
    let mut grads = vec![
        vec![0.0; inputs * hidden],
        vec![0.0; hidden],
        vec![0.0; hidden],
        vec![0.0; 1],
    ];
    for i in 0..n {
        // Forward pass for sample i: a = sigmoid(x W1 + b1), y_hat = sigmoid(a W2 + b2).
        let mut a = vec![0.0; hidden];
        for j in 0..hidden {
            let mut z = b1[j];
            for k in 0..inputs {
                z += x.get(&[i, k]) * w1[k * hidden + j];
            }
            a[j] = sigmoid(z);
        }
        let y_hat = sigmoid(b2[0] + (0..hidden).map(|j| a[j] * w2[j]).sum::<f64>());

        // Output error: dL/dz2 = 2/n (y_hat - y) y_hat (1 - y_hat).
        let delta_out = 2.0 / n as f64 * (y_hat - y.get(&[i, 0])) * y_hat * (1.0 - y_hat);
        grads[3][0] += delta_out;
        for j in 0..hidden {
            grads[2][j] += a[j] * delta_out;
            // Hidden error: dL/dz1_j = delta_out W2_j a_j (1 - a_j).
            let delta_hidden = delta_out * w2[j] * a[j] * (1.0 - a[j]);
            grads[1][j] += delta_hidden;
            for k in 0..inputs {
                grads[0][k * hidden + j] += x.get(&[i, k]) * delta_hidden;
            }
        }
    }
    grads
}

fn main() {
    // 1. Four samples, a 2-3-1 network and fixed, non-zero parameters.
    let x = Tensor::new(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]);
    let y = Tensor::new(vec![0.0, 1.0, 1.0, 0.0], &[4, 1]);
    let params = vec![
        Tensor::new(vec![0.5, -0.3, 0.8, -0.6, 0.4, 0.2], &[2, 3]),
        Tensor::new(vec![0.1, -0.2, 0.05], &[3]),
        Tensor::new(vec![0.7, -0.5, 0.3], &[3, 1]),
        Tensor::new(vec![-0.1], &[1]),
    ];
    let names = ["W1", "b1", "W2", "b2"];

    // 2. Autograd: record the loss on a tape and walk it backward once.
    let tape = Tape::new();
    let vars: Vec<Var<'_, f64>> = params.iter().map(|p| tape.var(p.clone())).collect();
    let grads = loss(tape.constant(x.clone()), tape.constant(y.clone()), &vars).backward();

    // 3. By hand, and side by side with the tape's values.
    let hand = hand_gradients(&x, &y, &params);
    println!(
        "{:<9} {:<8} {:>18} {:>18} {:>10}",
        "parameter", "element", "hand", "autograd", "difference"
    );
    let mut worst: f64 = 0.0;
    for ((name, var), hand) in names.iter().zip(&vars).zip(&hand) {
        let autograd = grads.wrt(*var);
        for (flat, (&h, &a)) in hand.iter().zip(autograd.data()).enumerate() {
            let element = if autograd.rank() == 2 {
                let cols = autograd.dims()[1];
                format!("[{}, {}]", flat / cols, flat % cols)
            } else {
                format!("[{flat}]")
            };
            let difference = (h - a).abs();
            worst = worst.max(difference);
            println!("{name:<9} {element:<8} {h:>18.12e} {a:>18.12e} {difference:>10.1e}");
        }
    }
    println!("largest difference: {worst:.1e}");
    assert!(
        worst < 1e-12,
        "hand and autograd gradients differ by {worst:e}"
    );

    // 4. Central finite differences on every parameter element, in f64.
    let report = gradcheck(
        |v| {
            loss(
                v[0].tape().constant(x.clone()),
                v[0].tape().constant(y.clone()),
                v,
            )
        },
        &params,
    )
    .expect("the tape's gradients match central differences");
    println!(
        "gradcheck: {} elements pass, largest |autograd - numeric| {:.1e}",
        report.elements, report.max_abs_error
    );
}
