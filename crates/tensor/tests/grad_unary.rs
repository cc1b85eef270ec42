//! Hand-derived gradients of the elementwise ops, including the points
//! where an op has a kink and the rule picks a derivative.

mod common;

use common::assert_close;
use tensor::{Tape, Tensor};

fn vector(values: &[f64]) -> Tensor<f64> {
    Tensor::new(values.to_vec(), &[values.len()])
}

#[test]
fn relu_derivative_at_zero_is_zero() {
    let tape = Tape::<f64>::new();
    let x = tape.var(vector(&[-1.0, 0.0, 2.0]));

    let grads = x.relu().sum().backward();

    // relu'(x) = 1 for x > 0, else 0, so relu'(0) = 0.
    assert_close(grads.wrt(x), &[3], &[0.0, 0.0, 1.0], 0.0);
}

#[test]
fn abs_derivative_at_zero_is_zero() {
    let tape = Tape::<f64>::new();
    let x = tape.var(vector(&[-2.0, 0.0, 3.0]));

    let grads = x.abs().sum().backward();

    // |x|' = sign(x), with sign(0) = 0.
    assert_close(grads.wrt(x), &[3], &[-1.0, 0.0, 1.0], 0.0);
}

#[test]
fn leaky_relu_derivative_at_zero_is_slope() {
    let tape = Tape::<f64>::new();
    let x = tape.var(vector(&[-2.0, 0.0, 3.0]));

    let grads = x.leaky_relu(0.1).sum().backward();

    assert_close(grads.wrt(x), &[3], &[0.1, 0.1, 1.0], 0.0);
}

#[test]
fn clamp_passes_gradient_at_bounds() {
    let tape = Tape::<f64>::new();
    let x = tape.var(vector(&[-2.0, -1.0, 0.0, 1.0, 2.0]));

    let grads = x.clamp(-1.0, 1.0).sum().backward();

    // 1 inside [-1, 1] with both bounds included, 0 outside.
    assert_close(grads.wrt(x), &[5], &[0.0, 1.0, 1.0, 1.0, 0.0], 0.0);
}

#[test]
fn sigmoid_squared_chain_rule() {
    let tape = Tape::<f64>::new();
    let x = tape.var(vector(&[0.0, 3f64.ln()]));

    let grads = x.sigmoid().square().sum().backward();

    // d s(x)^2 / dx = 2 s s (1 - s): s(0) = 1/2 gives 1/4, s(ln 3) = 3/4
    // gives 2 * 9/16 * 1/4 = 9/32.
    assert_close(grads.wrt(x), &[2], &[0.25, 9.0 / 32.0], 1e-15);
}

#[test]
fn ln_squared_chain_rule() {
    let e = std::f64::consts::E;
    let tape = Tape::<f64>::new();
    let x = tape.var(vector(&[1.0, e]));

    let grads = x.ln().square().sum().backward();

    // d ln(x)^2 / dx = 2 ln(x) / x: 0 at 1, 2 / e at e.
    assert_close(grads.wrt(x), &[2], &[0.0, 2.0 / e], 1e-15);
}

#[test]
fn elementary_derivatives_with_upstream_seed() {
    let tape = Tape::<f64>::new();
    let x = tape.var(vector(&[4.0]));
    let seed = || vector(&[3.0]);

    // Each op's derivative at x = 4, times the upstream gradient 3.
    let cases: [(&str, f64, tensor::Var<'_, f64>); 8] = [
        // d sqrt(x) = 1 / (2 sqrt(x)) = 1/4
        ("sqrt", 0.25, x.sqrt()),
        // d x^1.5 = 1.5 x^0.5 = 3
        ("powf", 3.0, x.powf(1.5)),
        // d (1/x) = -1/x^2 = -1/16
        ("recip", -1.0 / 16.0, x.recip()),
        // d e^x = e^4
        ("exp", 4f64.exp(), x.exp()),
        // d tanh(x) = 1 - tanh(x)^2
        ("tanh", 1.0 - 4f64.tanh().powi(2), x.tanh()),
        // d softplus(x) = sigmoid(x)
        ("softplus", 1.0 / (1.0 + (-4f64).exp()), x.softplus()),
        // d log_sigmoid(x) = sigmoid(-x)
        ("log_sigmoid", 1.0 / (1.0 + 4f64.exp()), x.log_sigmoid()),
        // d (x * -2 + 1) = -2
        (
            "mul_scalar then add_scalar",
            -2.0,
            x.mul_scalar(-2.0).add_scalar(1.0),
        ),
    ];
    for (name, derivative, y) in cases {
        let grads = y.backward_with(seed());
        let grad = grads.wrt(x).data()[0];
        let expected = 3.0 * derivative;
        assert!(
            (grad - expected).abs() <= 1e-12 * expected.abs().max(1.0),
            "{name}: gradient {grad}, expected {expected}"
        );
    }
}

#[test]
fn scalar_left_operators() {
    let tape = Tape::<f64>::new();
    let x = tape.var(vector(&[2.0, -4.0]));

    let minus = (1.0 - x).sum().backward();
    let divide = (2.0 / x).sum().backward();

    // d (1 - x) = -1; d (2 / x) = -2 / x^2.
    assert_close(minus.wrt(x), &[2], &[-1.0, -1.0], 0.0);
    assert_close(divide.wrt(x), &[2], &[-0.5, -0.125], 1e-15);
}
