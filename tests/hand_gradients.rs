//! The gradients of a 2-10-10-1 sigmoid MLP under MSE, derived by hand
//! with plain loops and compared with the tape's.
//!
//! Notation, for a batch of `n` samples (rows):
//!
//! ```text
//! z1 = X W1 + b1      a1 = sigmoid(z1)      X: [n, 2], W1: [2, 10], b1: [10]
//! z2 = a1 W2 + b2     a2 = sigmoid(z2)      W2: [10, 10], b2: [10]
//! z3 = a2 W3 + b3     y_hat = sigmoid(z3)   W3: [10, 1], b3: [1]
//! L = (1/n) sum_i (y_hat_i - y_i)^2         the mean over the n outputs
//! ```
//!
//! The bias is added to every row, so its gradient is the upstream
//! gradient summed over the batch axis only, one entry per unit. Summing
//! over every axis instead (`np.sum(delta)` without `axis=0`) gives each
//! unit the same number, which is the classic bug the second test pins.

use nn::{mse, Activation, Dense, Module, Sequential};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Tape, Tensor};

/// A row-major matrix as nested rows.
type Matrix = Vec<Vec<f64>>;

const SAMPLES: usize = 5;
const SIZES: [usize; 4] = [2, 10, 10, 1];

/// The weights `[in, out]` and biases `[out]` of the three layers.
struct Weights {
    w: [Matrix; 3],
    b: [Vec<f64>; 3],
}

/// Draws every weight and bias uniformly from `[-1, 1)`, so no bias is zero
/// and a wrong bias gradient changes the result.
fn random_weights(seed: u64) -> Weights {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut draw = |rows: usize, cols: usize| -> Matrix {
        (0..rows)
            .map(|_| (0..cols).map(|_| rng.random_range(-1.0..1.0)).collect())
            .collect()
    };
    let w = [
        draw(SIZES[0], SIZES[1]),
        draw(SIZES[1], SIZES[2]),
        draw(SIZES[2], SIZES[3]),
    ];
    let b = [
        draw(1, SIZES[1]).remove(0),
        draw(1, SIZES[2]).remove(0),
        draw(1, SIZES[3]).remove(0),
    ];
    Weights { w, b }
}

/// Returns five seeded points in the unit square with labels 0, 1, 1, 0, 1.
fn batch() -> (Matrix, Matrix) {
    let mut rng = StdRng::seed_from_u64(11);
    let x = (0..SAMPLES)
        .map(|_| vec![rng.random::<f64>(), rng.random::<f64>()])
        .collect();
    let y = [0.0, 1.0, 1.0, 0.0, 1.0].iter().map(|&v| vec![v]).collect();
    (x, y)
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Multiplies `a: [n, k]` by `b: [k, m]`.
fn matmul(a: &Matrix, b: &Matrix) -> Matrix {
    let (n, k, m) = (a.len(), b.len(), b[0].len());
    let mut out = vec![vec![0.0; m]; n];
    for i in 0..n {
        for j in 0..m {
            for p in 0..k {
                out[i][j] += a[i][p] * b[p][j];
            }
        }
    }
    out
}

fn transpose(a: &Matrix) -> Matrix {
    (0..a[0].len())
        .map(|j| a.iter().map(|row| row[j]).collect())
        .collect()
}

/// Computes one layer's forward pass, `sigmoid(input W + b)`, adding `b` to
/// every row.
fn dense_sigmoid(input: &Matrix, w: &Matrix, b: &[f64]) -> Matrix {
    let mut a = matmul(input, w);
    for row in &mut a {
        for (value, bias) in row.iter_mut().zip(b) {
            *value = sigmoid(*value + bias);
        }
    }
    a
}

/// The gradients of every weight and bias, plus the per-layer error terms
/// `delta` (the gradient with respect to each layer's pre-activation `z`).
struct HandGradients {
    dw: [Matrix; 3],
    db: [Vec<f64>; 3],
    delta: [Matrix; 3],
}

/// Derives every gradient of the MSE loss by the chain rule, layer by layer
/// from the output back.
fn hand_gradients(weights: &Weights, x: &Matrix, y: &Matrix) -> HandGradients {
    // Forward pass, keeping each layer's activation.
    let a1 = dense_sigmoid(x, &weights.w[0], &weights.b[0]);
    let a2 = dense_sigmoid(&a1, &weights.w[1], &weights.b[1]);
    let y_hat = dense_sigmoid(&a2, &weights.w[2], &weights.b[2]);
    let n = x.len() as f64;

    // Output layer. dL/dy_hat = 2/n (y_hat - y), and
    // dy_hat/dz3 = sigmoid'(z3) = y_hat (1 - y_hat), so
    // delta3 = 2/n (y_hat - y) y_hat (1 - y_hat), elementwise.
    let delta3: Matrix = y_hat
        .iter()
        .zip(y)
        .map(|(p, t)| vec![2.0 / n * (p[0] - t[0]) * p[0] * (1.0 - p[0])])
        .collect();

    // Hidden layers. z3 = a2 W3 + b3 gives dL/da2 = delta3 W3^T, and
    // da2/dz2 = a2 (1 - a2), so delta2 = (delta3 W3^T) a2 (1 - a2); the same
    // step through W2 gives delta1 = (delta2 W2^T) a1 (1 - a1).
    let back = |delta: &Matrix, w: &Matrix, a: &Matrix| -> Matrix {
        let mut upstream = matmul(delta, &transpose(w));
        for (row, activation) in upstream.iter_mut().zip(a) {
            for (value, a) in row.iter_mut().zip(activation) {
                *value *= a * (1.0 - a);
            }
        }
        upstream
    };
    let delta2 = back(&delta3, &weights.w[2], &a2);
    let delta1 = back(&delta2, &weights.w[1], &a1);

    // Weights and biases. z = a_prev W + b gives dL/dW = a_prev^T delta, and
    // since b is added to each of the n rows, dL/db_j = sum_i delta[i][j]:
    // a sum over the batch axis only.
    let bias_grad = |delta: &Matrix| -> Vec<f64> {
        let mut sums = vec![0.0; delta[0].len()];
        for row in delta {
            for (sum, value) in sums.iter_mut().zip(row) {
                *sum += value;
            }
        }
        sums
    };
    HandGradients {
        dw: [
            matmul(&transpose(x), &delta1),
            matmul(&transpose(&a1), &delta2),
            matmul(&transpose(&a2), &delta3),
        ],
        db: [bias_grad(&delta1), bias_grad(&delta2), bias_grad(&delta3)],
        delta: [delta1, delta2, delta3],
    }
}

fn to_tensor(rows: &Matrix) -> Tensor<f64> {
    let data = rows.iter().flatten().copied().collect();
    Tensor::new(data, &[rows.len(), rows[0].len()])
}

/// Builds the same network as an `nn` model, with the same weights.
fn model(weights: &Weights) -> Sequential<f64> {
    let mut model = Sequential::new();
    for (w, b) in weights.w.iter().zip(&weights.b) {
        let bias = Tensor::new(b.clone(), &[b.len()]);
        model.push(Dense::from_tensors(to_tensor(w), bias));
        model.push(Activation::Sigmoid);
    }
    model
}

/// Computes the tape's gradients of the MSE loss, as
/// `[W1, b1, W2, b2, W3, b3]`.
fn tape_gradients(model: &Sequential<f64>, x: &Matrix, y: &Matrix) -> Vec<Tensor<f64>> {
    let tape = Tape::new();
    let prediction = model.forward(tape.constant(to_tensor(x)));
    let loss = mse(prediction, tape.constant(to_tensor(y)));
    let grads = loss.backward();
    model
        .parameters()
        .iter()
        .map(|param| {
            grads
                .param(param.id())
                .expect("every parameter gets a gradient")
                .clone()
        })
        .collect()
}

/// Asserts that every element of the tape's gradient `actual` is within
/// 1e-10 of the hand-derived `expected`, naming the parameter and element.
fn assert_close(name: &str, actual: &Tensor<f64>, expected: &[f64], dims: &[usize]) {
    assert_eq!(actual.dims(), dims, "{name}: shape");
    for (index, (a, e)) in actual.data().iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() < 1e-10,
            "{name}[{index}]: tape {a:.15e}, hand {e:.15e}, difference {:.3e}",
            (a - e).abs()
        );
    }
}

#[test]
fn mlp_gradients_match_hand_derivation() {
    let weights = random_weights(3);
    let (x, y) = batch();
    let hand = hand_gradients(&weights, &x, &y);
    let tape = tape_gradients(&model(&weights), &x, &y);

    assert_eq!(tape.len(), 6);
    for layer in 0..3 {
        let (inputs, outputs) = (SIZES[layer], SIZES[layer + 1]);
        let dw: Vec<f64> = hand.dw[layer].iter().flatten().copied().collect();
        let name = format!("W{}", layer + 1);
        assert_close(&name, &tape[2 * layer], &dw, &[inputs, outputs]);
        let name = format!("b{}", layer + 1);
        assert_close(&name, &tape[2 * layer + 1], &hand.db[layer], &[outputs]);
    }
}

#[test]
fn bias_summed_over_all_axes_differs_from_tape() {
    let weights = random_weights(3);
    let (x, y) = batch();
    let hand = hand_gradients(&weights, &x, &y);
    let tape = tape_gradients(&model(&weights), &x, &y);

    for layer in 0..3 {
        // The faulty gradient: every element of delta summed, then given to
        // each unit.
        let total: f64 = hand.delta[layer].iter().flatten().sum();
        let units = SIZES[layer + 1];
        let wrong = vec![total; units];
        let tape_bias = tape[2 * layer + 1].data();
        let distance = tape_bias
            .iter()
            .zip(&wrong)
            .map(|(t, w)| (t - w).abs())
            .fold(0.0, f64::max);
        if units == 1 {
            // With one unit the batch axis is the only axis with more than
            // one entry, so both sums agree: only a hidden layer exposes the
            // fault.
            assert!(distance < 1e-12, "b{}: distance {distance:e}", layer + 1);
        } else {
            assert!(distance > 1e-3, "b{}: distance {distance:e}", layer + 1);
            assert_close(
                &format!("b{}", layer + 1),
                &tape[2 * layer + 1],
                &hand.db[layer],
                &[units],
            );
        }
    }
}
