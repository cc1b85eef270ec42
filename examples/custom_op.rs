//! Custom op: add the Huber loss to the tape, check its gradient, and train with it.
//!
//! Run with `cargo run --example custom_op`.

use nn::{Activation, Dense, Init, Module, Optimizer, Sequential, Sgd};
use rand::SeedableRng;
use tensor::{gradcheck, CustomOp, Float, Tape, Tensor, TensorError, Var};

/// The Huber loss `mean_i h(p_i - t_i)` of a prediction `p` against a target
/// `t` of the same shape, with
/// `h(r) = r^2 / 2` for `|r| <= delta` and `delta (|r| - delta / 2)` beyond:
/// quadratic for small residuals, linear for outliers.
struct HuberLoss<T> {
    delta: T,
}

impl<T: Float> HuberLoss<T> {
    fn residual_loss(&self, r: T) -> T {
        let half = T::from_f64(0.5);
        if r.abs() <= self.delta {
            half * r * r
        } else {
            self.delta * (r.abs() - half * self.delta)
        }
    }
}

impl<T: Float> CustomOp<T> for HuberLoss<T> {
    fn name(&self) -> &'static str {
        "huber_loss"
    }

    fn forward(&self, inputs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let (prediction, target) = (inputs[0], inputs[1]);
        if prediction.shape() != target.shape() {
            return Err(TensorError::shape_mismatch(
                "huber_loss",
                prediction.dims(),
                target.dims(),
                "differ: the prediction and the target must have the same shape".to_string(),
            ));
        }
        let total: T = prediction
            .data()
            .iter()
            .zip(target.data())
            .map(|(&p, &t)| self.residual_loss(p - t))
            .sum();
        Ok(Tensor::scalar(total / T::from_usize(prediction.len())))
    }

    fn backward(
        &self,
        inputs: &[&Tensor<T>],
        _output: &Tensor<T>,
        grad_output: &Tensor<T>,
    ) -> Vec<Option<Tensor<T>>> {
        let (prediction, target) = (inputs[0], inputs[1]);
        // h'(r) = r inside [-delta, delta] and delta sign(r) outside: the
        // residual clamped to the interval. The mean divides by n, and
        // r = p - t, so the target's gradient is the prediction's negated.
        let scale = grad_output.item() / T::from_usize(prediction.len());
        let grad_prediction = Tensor::from_fn(prediction.dims(), |i| {
            let r = prediction.data()[i] - target.data()[i];
            scale * r.max(-self.delta).min(self.delta)
        });
        let grad_target = grad_prediction.map(|g| -g);
        vec![Some(grad_prediction), Some(grad_target)]
    }
}

/// Makes the op read like a built-in method: `prediction.huber_loss(target, 1.0)`.
trait HuberLossExt<'t, T: Float> {
    /// Computes the mean Huber loss against `target`, as a scalar var.
    fn huber_loss(self, target: Var<'t, T>, delta: T) -> Var<'t, T>;
}

impl<'t, T: Float> HuberLossExt<'t, T> for Var<'t, T> {
    #[track_caller]
    fn huber_loss(self, target: Var<'t, T>, delta: T) -> Var<'t, T> {
        Var::apply(HuberLoss { delta }, &[self, target])
    }
}

fn main() {
    // 1. Check the hand-written backward against central differences, with
    //    residuals on both sides of delta = 1 so both branches are exercised.
    let prediction = Tensor::new(vec![0.2, -1.5, 3.0, 0.9, -0.4, 2.2], &[3, 2]);
    let target = Tensor::new(vec![0.0, 0.0, 0.5, 1.2, 0.3, -0.1], &[3, 2]);
    let report = gradcheck(|v| v[0].huber_loss(v[1], 1.0), &[prediction, target])
        .expect("the Huber loss gradient matches finite differences");
    println!(
        "gradcheck: {} elements, max abs error {:.2e}",
        report.elements, report.max_abs_error
    );

    // 2. XOR-like data: four points around each corner of the unit square,
    //    labelled 1 where exactly one coordinate is near 1.
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for (a, b) in [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)] {
        for (da, db) in [(0.1, 0.1), (0.1, -0.1), (-0.1, 0.1), (-0.1, -0.1)] {
            points.extend([a + da, b + db]);
            labels.push(if a != b { 1.0 } else { 0.0 });
        }
    }
    let x = Tensor::new(points, &[16, 2]);
    let y = Tensor::new(labels, &[16, 1]);

    // 3. A 2-8-1 network with a tanh hidden layer and a sigmoid output.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut model = Sequential::<f64>::new()
        .add(Dense::new(2, 8, Init::Xavier, &mut rng))
        .add(Activation::Tanh)
        .add(Dense::new(8, 1, Init::Xavier, &mut rng))
        .add(Activation::Sigmoid);

    // 4. Train with the custom loss exactly as with a built-in one: record
    //    the forward pass, call backward, and step the parameters.
    let mut optimizer = Sgd::new(2.0);
    let mut tape = Tape::new();
    for step in 0..=600 {
        tape.clear();
        let prediction = model.forward(tape.constant(x.clone()));
        let loss = prediction.huber_loss(tape.constant(y.clone()), 1.0);
        if step % 50 == 0 {
            println!("step {step:>3}  huber loss {:.5}", loss.item());
        }
        let grads = loss.backward();
        optimizer.step(&mut model, &grads);
    }

    // 5. The trained network's outputs at the four corners.
    tape.clear();
    let corners = Tensor::new(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]);
    let outputs = model.forward(tape.constant(corners)).to_tensor();
    for (corner, output) in ["(0, 0)", "(0, 1)", "(1, 0)", "(1, 1)"]
        .iter()
        .zip(outputs.data())
    {
        println!("{corner} -> {output:.3}");
    }
}
