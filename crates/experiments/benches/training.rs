//! Training-step benchmarks: one full epoch or step (forward, backward and
//! optimizer update) through the public API, plus a hand-written XOR epoch
//! without a tape, so that every run reports the tape's overhead as a ratio
//! measured in the same process.
//!
//! Run with `cargo bench -p experiments`; BENCHMARKS.md at the repository
//! root records the figures.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use nn::{mse, Activation, Dense, Init, Module, Momentum, Optimizer, Sequential, Sgd};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Float, Tape, Tensor};

/// Reads a fixture file from the workspace's `tests/data` folder.
fn fixture(name: &str) -> BTreeMap<String, Tensor<f64>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(name);
    experiments::fixtures::load(&path).expect("fixture file should parse")
}

/// A full-batch training state: model, optimizer, data and a reused tape.
struct Trainer<T: Float> {
    model: Sequential<T>,
    optimizer: Box<dyn Optimizer<T>>,
    inputs: Tensor<T>,
    targets: Tensor<T>,
    tape: Tape<T>,
}

impl<T: Float> Trainer<T> {
    /// Runs one epoch: clears the tape, records the forward pass and the
    /// MSE loss, back-propagates and updates every parameter. Returns the
    /// loss before the update.
    fn epoch(&mut self) -> T {
        self.tape.clear();
        let tape = &self.tape;
        let x = tape.constant_from_slice(self.inputs.data(), self.inputs.dims());
        let y = tape.constant_from_slice(self.targets.data(), self.targets.dims());
        let loss = mse(self.model.forward(x), y);
        let value = loss.item();
        let grads = loss.backward();
        self.optimizer.step(&mut self.model, &grads);
        value
    }
}

fn fixture_trainer(
    name: &str,
    hidden: Activation,
    optimizer: Box<dyn Optimizer<f64>>,
) -> Trainer<f64> {
    let arrays = fixture(name);
    Trainer {
        model: experiments::fixtures::baseline(&arrays, hidden),
        optimizer,
        inputs: arrays["X"].clone(),
        targets: arrays["Y"].clone(),
        tape: Tape::new(),
    }
}

/// Builds the convolutional XOR net of `experiments::fixtures::conv` from
/// the `conv.txt` fixture weights.
fn conv_trainer() -> Trainer<f64> {
    let arrays = fixture("conv.txt");
    let model = experiments::fixtures::conv(&arrays);
    let samples = arrays["X"].dims()[0];
    Trainer {
        model,
        optimizer: Box::new(Sgd::new(0.1)),
        inputs: arrays["X"].clone().reshaped(&[samples, 1, 2]),
        targets: arrays["Y"].clone(),
        tape: Tape::new(),
    }
}

/// Builds the 784-256-256-10 network on a seeded random batch of 256 inputs in
/// `[0, 1)` with one-hot targets.
fn mlp_trainer<T: Float>(seed: u64) -> Trainer<T> {
    const BATCH: usize = 256;
    const CLASSES: usize = 10;
    let mut rng = StdRng::seed_from_u64(seed);
    let model = Sequential::new()
        .add(Dense::new(784, 256, Init::Xavier, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(256, 256, Init::Xavier, &mut rng))
        .add(Activation::Sigmoid)
        .add(Dense::new(256, CLASSES, Init::Xavier, &mut rng));
    let inputs = Tensor::from_fn(&[BATCH, 784], |_| T::from_f64(rng.random::<f64>()));
    let mut targets = Tensor::zeros(&[BATCH, CLASSES]);
    for row in 0..BATCH {
        let class = rng.random_range(0..CLASSES);
        targets.set(&[row, class], T::ONE);
    }
    Trainer {
        model,
        optimizer: Box::new(Sgd::new(T::from_f64(0.1))),
        inputs,
        targets,
        tape: Tape::new(),
    }
}

/// Hidden width of the baseline network.
const HIDDEN: usize = 10;

/// An epoch of the 2-10-10-1 sigmoid baseline written by hand, without a
/// tape. The layer sizes are compile-time constants. Each sample goes
/// forward and backward in one pass that adds its share to the gradients,
/// so every intermediate value stays in registers. Data, initial weights,
/// loss and update are those of `epoch/w2_xor` or `epoch/w1_linear`.
struct HandBaseline {
    x: Vec<[f64; 2]>,
    y: Vec<f64>,
    w1: [[f64; HIDDEN]; 2],
    b1: [f64; HIDDEN],
    w2: [[f64; HIDDEN]; HIDDEN],
    b2: [f64; HIDDEN],
    w3: [f64; HIDDEN],
    b3: f64,
    lr: f64,
}

impl HandBaseline {
    fn new(arrays: &BTreeMap<String, Tensor<f64>>) -> Self {
        let rows = |name: &str| -> Vec<[f64; HIDDEN]> {
            arrays[name]
                .data()
                .chunks_exact(HIDDEN)
                .map(|row| row.try_into().expect("rows of the hidden width"))
                .collect()
        };
        let x = arrays["X"]
            .data()
            .chunks_exact(2)
            .map(|point| [point[0], point[1]])
            .collect();
        HandBaseline {
            x,
            y: arrays["Y"].data().to_vec(),
            w1: rows("W1").try_into().expect("W1 is [2, 10]"),
            b1: [0.0; HIDDEN],
            w2: rows("W2").try_into().expect("W2 is [10, 10]"),
            b2: [0.0; HIDDEN],
            w3: arrays["W3"].data().try_into().expect("W3 is [10, 1]"),
            b3: 0.0,
            lr: 0.1,
        }
    }

    /// One full-batch epoch; returns the loss before the update.
    fn epoch(&mut self) -> f64 {
        let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
        let n = self.x.len() as f64;
        let mut grad_w1 = [[0.0; HIDDEN]; 2];
        let mut grad_b1 = [0.0; HIDDEN];
        let mut grad_w2 = [[0.0; HIDDEN]; HIDDEN];
        let mut grad_b2 = [0.0; HIDDEN];
        let mut grad_w3 = [0.0; HIDDEN];
        let mut grad_b3 = 0.0;
        let mut loss = 0.0;
        for (x, &y) in self.x.iter().zip(&self.y) {
            // Forward: a = sigmoid(input W + b) for each layer.
            let mut a1 = self.b1;
            for (input, w_row) in x.iter().zip(&self.w1) {
                for (a, w) in a1.iter_mut().zip(w_row) {
                    *a += input * w;
                }
            }
            a1 = a1.map(sigmoid);
            let mut a2 = self.b2;
            for (input, w_row) in a1.iter().zip(&self.w2) {
                for (a, w) in a2.iter_mut().zip(w_row) {
                    *a += input * w;
                }
            }
            a2 = a2.map(sigmoid);
            let mut z3 = self.b3;
            for (input, w) in a2.iter().zip(&self.w3) {
                z3 += input * w;
            }
            let a3 = sigmoid(z3);

            // Backward: the loss mean((a3 - y)^2) gives dL/dz3 =
            // 2 (a3 - y) / n * a3 (1 - a3); each hidden layer gives
            // dL/dz = (dL/dz_next W_next^T) a (1 - a).
            let diff = a3 - y;
            loss += diff * diff;
            let d3 = 2.0 * diff / n * a3 * (1.0 - a3);
            grad_b3 += d3;
            let mut d2 = [0.0; HIDDEN];
            for i in 0..HIDDEN {
                grad_w3[i] += a2[i] * d3;
                d2[i] = d3 * self.w3[i] * a2[i] * (1.0 - a2[i]);
            }
            let mut d1 = [0.0; HIDDEN];
            for i in 0..HIDDEN {
                let mut sum = 0.0;
                for j in 0..HIDDEN {
                    grad_w2[i][j] += a1[i] * d2[j];
                    sum += d2[j] * self.w2[i][j];
                }
                d1[i] = sum * a1[i] * (1.0 - a1[i]);
            }
            for j in 0..HIDDEN {
                grad_b2[j] += d2[j];
                grad_b1[j] += d1[j];
            }
            for (input, grad_row) in x.iter().zip(grad_w1.iter_mut()) {
                for (g, d) in grad_row.iter_mut().zip(&d1) {
                    *g += input * d;
                }
            }
        }
        // Plain gradient descent on every parameter.
        let lr = self.lr;
        let step = |w: &mut [f64], g: &[f64]| w.iter_mut().zip(g).for_each(|(w, g)| *w -= lr * g);
        for (w, g) in self.w1.iter_mut().zip(&grad_w1) {
            step(w, g);
        }
        for (w, g) in self.w2.iter_mut().zip(&grad_w2) {
            step(w, g);
        }
        step(&mut self.b1, &grad_b1);
        step(&mut self.b2, &grad_b2);
        step(&mut self.w3, &grad_w3);
        self.b3 -= lr * grad_b3;
        loss / n
    }
}

/// Panics unless the hand-written epochs track the tape's on both data
/// sets, so that the references time the same computation.
fn check_reference_matches_tape() {
    for name in ["xor.txt", "linear.txt"] {
        let arrays = fixture(name);
        let mut hand = HandBaseline::new(&arrays);
        let mut taped = fixture_trainer(name, Activation::Sigmoid, Box::new(Sgd::new(0.1)));
        for epoch in 0..200 {
            let (expected, actual) = (taped.epoch(), hand.epoch());
            assert!(
                (expected - actual).abs() <= 1e-10 * expected.abs(),
                "{name}, epoch {epoch}: hand-written loss {actual} differs from the tape's {expected}"
            );
        }
    }
}

/// Batch size of the 784-256-256-10 step.
const MLP_BATCH: usize = 256;
/// Layer widths of the 784-256-256-10 network, input first.
const MLP_WIDTHS: [usize; 4] = [784, 256, 256, 10];

/// `c = a b + beta c` for row-major `a` (`m x k`), `b` (`k x n`) and `c`
/// (`m x n`), with `a` or `b` read transposed (from a row-major `k x m` or
/// `n x k` matrix) when asked.
#[allow(clippy::too_many_arguments)]
fn sgemm(
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    a_transposed: bool,
    b: &[f32],
    b_transposed: bool,
    beta: f32,
    c: &mut [f32],
) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let (rsa, csa) = if a_transposed { (1, m) } else { (k, 1) };
    let (rsb, csb) = if b_transposed { (1, k) } else { (n, 1) };
    // SAFETY: the assert bounds every operand for these strides, and `c` is
    // a distinct mutable borrow.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// The `w6_mlp_f32` step written by hand without a tape: the same eight
/// products through `matrixmultiply` on preallocated buffers, with the
/// bias, sigmoid, loss gradient and update in plain loops. Weights and data
/// are those of `step/w6_mlp_f32`.
struct HandMlp {
    x: Vec<f32>,
    y: Vec<f32>,
    /// Weight `[in, out]` and bias `[out]` of each layer.
    layers: Vec<(Vec<f32>, Vec<f32>)>,
    /// Output of each layer: the sigmoids of the hidden layers, then the
    /// linear output.
    outputs: Vec<Vec<f32>>,
    /// Loss gradient with respect to each layer's pre-activation.
    deltas: Vec<Vec<f32>>,
    /// Gradient of each weight and bias.
    grads: Vec<(Vec<f32>, Vec<f32>)>,
    lr: f32,
}

impl HandMlp {
    /// Copies the weights and data of `trainer` (built by `mlp_trainer`).
    fn new(trainer: &Trainer<f32>) -> Self {
        let mut params = Vec::new();
        trainer
            .model
            .visit_params(&mut |p| params.push(p.value().data().to_vec()));
        let layers: Vec<(Vec<f32>, Vec<f32>)> = params
            .chunks_exact(2)
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .collect();
        let sized = |width: usize| vec![0.0; MLP_BATCH * width];
        HandMlp {
            x: trainer.inputs.data().to_vec(),
            y: trainer.targets.data().to_vec(),
            outputs: MLP_WIDTHS[1..].iter().map(|&w| sized(w)).collect(),
            deltas: MLP_WIDTHS[1..].iter().map(|&w| sized(w)).collect(),
            grads: layers
                .iter()
                .map(|(w, b)| (vec![0.0; w.len()], vec![0.0; b.len()]))
                .collect(),
            layers,
            lr: 0.1,
        }
    }

    /// One step; returns the loss before the update.
    fn step(&mut self) -> f32 {
        let depth = self.layers.len();
        for l in 0..depth {
            let (inputs, outputs) = (MLP_WIDTHS[l], MLP_WIDTHS[l + 1]);
            let (before, rest) = self.outputs.split_at_mut(l);
            let input = if l == 0 { &self.x } else { &before[l - 1] };
            let out = &mut rest[0];
            let (w, b) = &self.layers[l];
            for row in out.chunks_exact_mut(outputs) {
                row.copy_from_slice(b);
            }
            sgemm(
                (MLP_BATCH, inputs, outputs),
                input,
                false,
                w,
                false,
                1.0,
                out,
            );
            if l + 1 < depth {
                out.iter_mut().for_each(|z| *z = 1.0 / (1.0 + (-*z).exp()));
            }
        }
        // mean((z - y)^2) over every element: dL/dz = 2 (z - y) / count.
        let prediction = &self.outputs[depth - 1];
        let count = prediction.len() as f32;
        let mut loss = 0.0;
        for ((d, &z), &y) in self.deltas[depth - 1]
            .iter_mut()
            .zip(prediction)
            .zip(&self.y)
        {
            let diff = z - y;
            loss += diff * diff;
            *d = 2.0 * diff / count;
        }
        for l in (0..depth).rev() {
            let (inputs, outputs) = (MLP_WIDTHS[l], MLP_WIDTHS[l + 1]);
            let input = if l == 0 {
                &self.x
            } else {
                &self.outputs[l - 1]
            };
            let (grad_w, grad_b) = &mut self.grads[l];
            let (lower, upper) = self.deltas.split_at_mut(l);
            let delta = &upper[0];
            sgemm(
                (inputs, MLP_BATCH, outputs),
                input,
                true,
                delta,
                false,
                0.0,
                grad_w,
            );
            grad_b.fill(0.0);
            for row in delta.chunks_exact(outputs) {
                grad_b.iter_mut().zip(row).for_each(|(g, d)| *g += d);
            }
            if l > 0 {
                // Through the weight, then the sigmoid: a (1 - a).
                let below = &mut lower[l - 1];
                let w = &self.layers[l].0;
                sgemm(
                    (MLP_BATCH, outputs, inputs),
                    delta,
                    false,
                    w,
                    true,
                    0.0,
                    below,
                );
                for (d, &a) in below.iter_mut().zip(&self.outputs[l - 1]) {
                    *d *= a * (1.0 - a);
                }
            }
        }
        let lr = self.lr;
        for ((w, b), (grad_w, grad_b)) in self.layers.iter_mut().zip(&self.grads) {
            w.iter_mut().zip(grad_w).for_each(|(w, g)| *w -= lr * g);
            b.iter_mut().zip(grad_b).for_each(|(b, g)| *b -= lr * g);
        }
        loss / count
    }
}

/// Panics unless the hand-written `w6` step tracks the tape's to f32
/// rounding, so that the reference times the same computation.
fn check_mlp_reference_matches_tape() {
    let mut taped = mlp_trainer::<f32>(7);
    let mut hand = HandMlp::new(&taped);
    for step in 0..5 {
        let (expected, actual) = (taped.epoch(), hand.step());
        assert!(
            (expected - actual).abs() <= 1e-4 * expected.abs(),
            "step {step}: hand-written loss {actual} differs from the tape's {expected}"
        );
    }
}

fn tiny_nets(c: &mut Criterion) {
    check_reference_matches_tape();
    let mut group = c.benchmark_group("epoch");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    let mut linear = fixture_trainer("linear.txt", Activation::Sigmoid, Box::new(Sgd::new(0.1)));
    group.bench_function("w1_linear", |b| b.iter(|| black_box(linear.epoch())));

    let mut xor = fixture_trainer("xor.txt", Activation::Sigmoid, Box::new(Sgd::new(0.1)));
    group.bench_function("w2_xor", |b| b.iter(|| black_box(xor.epoch())));

    let momentum = Box::new(Momentum::new(0.1, 0.9));
    let mut xor_momentum = fixture_trainer("xor.txt", Activation::Sigmoid, momentum);
    group.bench_function("w3_xor_momentum", |b| {
        b.iter(|| black_box(xor_momentum.epoch()))
    });

    let mut xor_relu = fixture_trainer("xor.txt", Activation::Relu, Box::new(Sgd::new(0.1)));
    group.bench_function("w4_xor_relu", |b| b.iter(|| black_box(xor_relu.epoch())));

    let mut xor_conv = conv_trainer();
    group.bench_function("w5_xor_conv", |b| b.iter(|| black_box(xor_conv.epoch())));
    group.finish();

    let mut group = c.benchmark_group("reference");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut hand = HandBaseline::new(&fixture("xor.txt"));
    group.bench_function("w2_xor", |b| b.iter(|| black_box(hand.epoch())));
    let mut hand = HandBaseline::new(&fixture("linear.txt"));
    group.bench_function("w1_linear", |b| b.iter(|| black_box(hand.epoch())));
    group.finish();
}

fn mlp_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("step");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(20);
    let mut f32_trainer = mlp_trainer::<f32>(7);
    group.bench_function("w6_mlp_f32", |b| b.iter(|| black_box(f32_trainer.epoch())));
    let mut f64_trainer = mlp_trainer::<f64>(7);
    group.bench_function("w6_mlp_f64", |b| b.iter(|| black_box(f64_trainer.epoch())));
    group.finish();

    check_mlp_reference_matches_tape();
    let mut group = c.benchmark_group("reference");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .sample_size(20);
    let mut hand = HandMlp::new(&mlp_trainer::<f32>(7));
    group.bench_function("w6_mlp_f32", |b| b.iter(|| black_box(hand.step())));
    group.finish();
}

criterion_group!(benches, tiny_nets, mlp_steps);
criterion_main!(benches);
