//! One to three steps of each optimizer against values derived by hand.
//!
//! The test model computes `y = sum(x * weight) + bias` and is trained on
//! `y` itself, so the gradient of `weight` is the input `x` and the gradient
//! of `bias` is 1 at every step. Every step starts from `weight = [1, -2]`,
//! `bias = [0]`. A third parameter, `unused`, is registered on the tape but
//! does not reach `y`, so it has no gradient and must never change.

use nn::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Module, Momentum, Nesterov, Optimizer, Param,
    RmsProp, RmsPropConfig, Sgd,
};
use tensor::{Tape, Tensor, Var};

struct Affine {
    weight: Param<f64>,
    bias: Param<f64>,
    unused: Param<f64>,
}

impl Affine {
    fn new() -> Self {
        Affine {
            weight: Param::new("weight", Tensor::new(vec![1.0, -2.0], &[2])),
            bias: Param::new("bias", Tensor::new(vec![0.0], &[1])),
            unused: Param::new("unused", Tensor::new(vec![3.0, 4.0], &[2])),
        }
    }
}

impl Module<f64> for Affine {
    fn forward<'t>(&self, input: Var<'t, f64>) -> Var<'t, f64> {
        let tape = input.tape();
        self.unused.on(tape);
        ((input * self.weight.on(tape)).sum() + self.bias.on(tape)).sum()
    }

    fn visit_params<'a>(&'a self, f: &mut dyn FnMut(&'a Param<f64>)) {
        f(&self.weight);
        f(&self.bias);
        f(&self.unused);
    }

    fn visit_params_mut(&mut self, f: &mut dyn FnMut(&mut Param<f64>)) {
        f(&mut self.weight);
        f(&mut self.bias);
        f(&mut self.unused);
    }

    fn describe(&self) -> String {
        "Affine".to_string()
    }
}

/// Runs one optimizer step per entry of `weight_grads` and returns
/// `(weight, bias)` after each step.
fn train(
    optimizer: &mut dyn Optimizer<f64>,
    weight_grads: &[[f64; 2]],
) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut model = Affine::new();
    let mut tape = Tape::new();
    let mut history = Vec::new();
    for grad in weight_grads {
        tape.clear();
        let y = model.forward(tape.constant(Tensor::new(grad.to_vec(), &[2])));
        let grads = y.backward();
        assert_eq!(grads.param(model.weight.id()).unwrap().data(), grad);
        assert_eq!(grads.param(model.bias.id()).unwrap().data(), [1.0]);
        assert_eq!(grads.params_without_grad(), vec![model.unused.id()]);

        optimizer.step(&mut model, &grads);

        assert_eq!(
            model.unused.value().data(),
            [3.0, 4.0],
            "{}: a parameter without a gradient changed",
            optimizer.name()
        );
        history.push((
            model.weight.value().data().to_vec(),
            model.bias.value().data().to_vec(),
        ));
    }
    history
}

/// Asserts that `actual` is within 1e-12 of `expected`, element by element.
fn assert_close(label: &str, actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{label}: lengths differ");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            (a - e).abs() < 1e-12,
            "{label}[{i}] is {a:.17} but {e:.17} was derived by hand"
        );
    }
}

/// Checks each step's `(weight, bias)` against the expected rows.
fn assert_history(name: &str, history: &[(Vec<f64>, Vec<f64>)], expected: &[([f64; 2], f64)]) {
    assert_eq!(history.len(), expected.len());
    for (step, ((weight, bias), (want_weight, want_bias))) in
        history.iter().zip(expected).enumerate()
    {
        assert_close(
            &format!("{name} step {} weight", step + 1),
            weight,
            want_weight,
        );
        assert_close(
            &format!("{name} step {} bias", step + 1),
            bias,
            &[*want_bias],
        );
    }
}

/// The gradient `[0.5, -1]` at every step.
const CONSTANT: [[f64; 2]; 3] = [[0.5, -1.0], [0.5, -1.0], [0.5, -1.0]];

#[test]
fn sgd_one_step() {
    // w -= 0.1 g: [1 - 0.05, -2 + 0.1] and 0 - 0.1.
    let history = train(&mut Sgd::new(0.1), &CONSTANT[..1]);
    assert_history("sgd", &history, &[([0.95, -1.9], -0.1)]);
}

#[test]
fn momentum_three_steps() {
    // v = 0.9 v + 0.1 g; w -= v. For the weight, v is 0.1 g times
    // 1, 1.9 and 2.71, so w = w0 - 0.1 g (1, 2.9, 5.61):
    // [1 - 0.05, -2 + 0.1], [1 - 0.145, -2 + 0.29], [1 - 0.2805, -2 + 0.561].
    // The bias has g = 1 and moves by -0.1 times the same factors.
    let history = train(&mut Momentum::new(0.1, 0.9), &CONSTANT);
    assert_history(
        "momentum",
        &history,
        &[
            ([0.95, -1.9], -0.1),
            ([0.855, -1.71], -0.29),
            ([0.7195, -1.439], -0.561),
        ],
    );
}

#[test]
fn nesterov_three_steps() {
    // v = 0.9 v + 0.1 g; w -= 0.9 v + 0.1 g. v is 0.1 g times 1, 1.9 and
    // 2.71, so the steps are 0.1 g times 1.9, 2.71 and 3.439 (= 0.9 * 2.71
    // + 1), and w = w0 - 0.1 g (1.9, 4.61, 8.049). PyTorch's nesterov=True
    // gives the same first step: lr (g + 0.9 g) = 0.19 g.
    let history = train(&mut Nesterov::new(0.1, 0.9), &CONSTANT);
    assert_history(
        "nesterov",
        &history,
        &[
            ([0.905, -1.81], -0.19),
            ([0.7695, -1.539], -0.461),
            ([0.59755, -1.1951], -0.8049),
        ],
    );
}

#[test]
fn adagrad_three_steps() {
    // s = k g^2 after step k, so step k moves each element by
    // 0.1 g / (sqrt(k) |g| + 1e-10) = 0.1 sign(g) / (sqrt(k) + 1e-10 / |g|):
    // 0.1, 0.1 / sqrt(2), 0.1 / sqrt(3), less about 1e-11 from eps.
    // After three steps |w - w0| = 0.1 (1 + 0.70710678 + 0.57735027).
    let history = train(&mut Adagrad::new(0.1), &CONSTANT);
    assert_history(
        "adagrad",
        &history,
        &[
            ([0.90000000002, -1.90000000001], -0.09999999999),
            (
                [0.8292893219113453, -1.8292893218963453],
                -0.17071067810365476,
            ),
            ([0.7715542949990494, -1.771554294980716], -0.228445705019284),
        ],
    );
}

#[test]
fn adagrad_eps_is_configurable() {
    // With eps = 1, the first step is 0.1 g / (|g| + 1):
    // 0.05 / 1.5 for the first element, 0.1 / 2 for the second.
    let mut optimizer = Adagrad::with_config(0.1, AdagradConfig { eps: 1.0 });
    let history = train(&mut optimizer, &CONSTANT[..1]);
    assert_history(
        "adagrad eps 1",
        &history,
        &[([1.0 - 0.05 / 1.5, -2.0 + 0.05], -0.05)],
    );
}

#[test]
fn rmsprop_three_steps() {
    // rho = 0.9 makes s = (1 - 0.9^k) g^2 after step k: 0.1, 0.19 and
    // 0.271 times g^2. Step k moves each element by
    // 0.01 sign(g) / (sqrt(1 - 0.9^k) + 1e-8 / |g|): 0.0316227756,
    // 0.0229415729 and 0.0192094532 for the first element (|g| = 0.5).
    let config = RmsPropConfig {
        rho: 0.9,
        eps: 1e-8,
    };
    let history = train(&mut RmsProp::with_config(0.01, config), &CONSTANT);
    assert_history(
        "rmsprop",
        &history,
        &[
            (
                [0.968377225398316, -1.9683772243983162],
                -0.03162277560168383,
            ),
            (
                [0.9454356530638914, -1.9454356515375757],
                -0.05456434846242422,
            ),
            ([0.9262261850420164, -1.926226183146697], -0.073773816853303),
        ],
    );
}

#[test]
fn rmsprop_default_first_step_is_ten_lr() {
    // With rho = 0.99, s = 0.01 g^2 after the first step, so each element
    // moves by 0.01 / (0.1 + 1e-8 / |g|), about 10 lr = 0.1.
    let history = train(&mut RmsProp::new(0.01), &CONSTANT[..1]);
    let (weight, bias) = &history[0];
    assert!((weight[0] - 0.9).abs() < 1e-6, "weight[0] = {}", weight[0]);
    assert!((weight[1] + 1.9).abs() < 1e-6, "weight[1] = {}", weight[1]);
    assert!((bias[0] + 0.1).abs() < 1e-6, "bias = {}", bias[0]);
}

#[test]
fn adam_three_steps() {
    // Weight gradients [0.5, -1], [-0.25, 2], [0.5, -1]; lr 0.1 and the
    // default betas 0.9, 0.999 and eps 1e-8. The moments, first element:
    //   t = 1: m = 0.05,  v = 0.00025;     m^ = 0.5,     v^ = 0.25
    //   t = 2: m = 0.02,  v = 0.00031225;  m^ = 0.02 / 0.19, v^ = 0.00031225 / 0.001999
    //   t = 3: m = 0.068, v = 0.00056193775; divided by 0.271 and 0.002997001
    // and the step is 0.1 m^ / (sqrt(v^) + 1e-8): 0.09999999800, 0.02663370129,
    // 0.05794806674. The second element has m = -0.1, 0.11, -0.001 and
    // v = 0.001, 0.004999, 0.005994001. The bias gradient is always 1, so
    // m^ = v^ = 1 and each step is 0.1 / (1 + 1e-8).
    let grads = [[0.5, -1.0], [-0.25, 2.0], [0.5, -1.0]];
    let mut optimizer = Adam::new(0.1);
    let history = train(&mut optimizer, &grads);
    assert_eq!(optimizer.steps(), 3);
    assert_history(
        "adam",
        &history,
        &[
            ([0.900000002, -1.900000001], -0.099999999),
            ([0.8733662987078462, -1.936610353472075], -0.199999998),
            ([0.8154182319699206, -1.9363494284406466], -0.299999997),
        ],
    );
}

#[test]
fn adam_config_changes_betas() {
    // beta1 = 0 and beta2 = 0 make m = g and v = g^2, with no correction
    // left (1 - 0^t = 1), so each step is 0.1 g / (|g| + eps) with eps 0.5:
    // 0.05 / 1.0 for the first element and 0.1 / 1.5 for the second.
    let config = AdamConfig {
        beta1: 0.0,
        beta2: 0.0,
        eps: 0.5,
    };
    let history = train(&mut Adam::with_config(0.1, config), &CONSTANT[..1]);
    assert_history(
        "adam betas 0",
        &history,
        &[([0.95, -2.0 + 0.1 / 1.5], -0.1 / 1.5)],
    );
}

#[test]
#[should_panic(expected = "no step has begun")]
fn adam_update_before_begin_step_panics() {
    let mut param = Param::new("weight", Tensor::new(vec![1.0], &[1]));
    Adam::new(0.1).update(&mut param, &Tensor::new(vec![1.0], &[1]));
}

#[test]
#[should_panic(expected = "differs from the shape [2] of parameter `weight`")]
fn update_rejects_gradient_of_other_shape() {
    let mut param = Param::new("weight", Tensor::new(vec![1.0, 2.0], &[2]));
    Nesterov::new(0.1, 0.9).update(&mut param, &Tensor::new(vec![1.0, 2.0, 3.0], &[3]));
}

#[test]
fn names_are_distinct() {
    let names = [
        Optimizer::<f64>::name(&Sgd::new(0.1)),
        Optimizer::<f64>::name(&Momentum::new(0.1, 0.9)),
        Optimizer::<f64>::name(&Nesterov::new(0.1, 0.9)),
        Optimizer::<f64>::name(&Adagrad::new(0.1)),
        Optimizer::<f64>::name(&RmsProp::new(0.1)),
        Optimizer::<f64>::name(&Adam::new(0.1)),
    ];
    assert_eq!(
        names,
        ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    );
}
