//! Faults found by adversarial testing of the layers, losses and
//! optimizers, each pinned by a test named after it, and checks of
//! behaviour that had no test before.

use std::panic::{catch_unwind, AssertUnwindSafe};

use nn::{
    bce_with_logits, mse, try_bce_with_logits, try_mse, Activation, Adagrad, Adam, Conv1d,
    Conv1dConfig, Conv2d, Conv2dConfig, Dense, Flatten, Init, Module, Momentum, Nesterov,
    Optimizer, Param, RmsProp, Sequential, Sgd,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Tape, Tensor};

/// Returns the message of the panic that `f` raises, or `None` when it
/// returns.
fn panic_message<R>(f: impl FnOnce() -> R) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    Some(message)
}

/// Returns every parameter's values as bit patterns.
fn snapshot(model: &dyn Module<f64>) -> Vec<Vec<u64>> {
    model
        .parameters()
        .iter()
        .map(|p| p.value().data().iter().map(|v| v.to_bits()).collect())
        .collect()
}

#[test]
fn sgd_rejects_gradient_of_other_shape() {
    // The update zipped the value with the gradient, so a shorter gradient
    // silently updated only the first elements.
    let mut param = Param::new("weight", Tensor::new(vec![1.0, 2.0, 3.0], &[3]));
    let message = panic_message(|| Sgd::new(0.1).update(&mut param, &Tensor::new(vec![1.0], &[1])))
        .expect("a gradient of another shape panics");
    assert!(
        message.starts_with("Sgd::update: the gradient's shape [1]"),
        "{message}"
    );
    assert!(message.contains("parameter `weight`"), "{message}");
    assert_eq!(param.value().data(), &[1.0, 2.0, 3.0]);
}

#[test]
fn momentum_rejects_gradient_and_state_of_other_shape() {
    let mut param = Param::new("weight", Tensor::new(vec![1.0, 2.0, 3.0], &[3]));
    let mut optimizer = Momentum::new(0.1, 0.9);
    let message = panic_message(|| optimizer.update(&mut param, &Tensor::new(vec![1.0], &[1])))
        .expect("a gradient of another shape panics");
    assert!(
        message.starts_with("Momentum::update: the gradient's shape [1]"),
        "{message}"
    );
    assert_eq!(param.value().data(), &[1.0, 2.0, 3.0]);

    // A velocity kept for the old shape no longer fits after the value is
    // replaced. It used to update only as many elements as it had.
    optimizer.update(&mut param, &Tensor::ones(&[3]));
    *param.value_mut() = Tensor::ones(&[5]);
    let message = panic_message(|| optimizer.update(&mut param, &Tensor::ones(&[5])))
        .expect("a velocity of another shape panics");
    assert!(
        message.contains("has shape [3] but the parameter now has shape [5]"),
        "{message}"
    );
    assert_eq!(param.value().data(), &[1.0; 5]);
}

#[test]
fn cloned_layer_is_independent() {
    // A clone used to keep its original's ParamIds, so on one tape the
    // clone's forward pass used the original's values, and one optimizer
    // mixed the two layers' states.
    let mut rng = StdRng::seed_from_u64(0);
    let original = Dense::<f64>::new(2, 2, Init::StandardNormal, &mut rng);
    let mut clone = original.clone();
    assert_ne!(original.weight().id(), clone.weight().id());
    assert_ne!(original.bias().id(), clone.bias().id());
    assert_eq!(original.weight().value(), clone.weight().value());
    assert_eq!(clone.weight().name(), "weight");

    clone.visit_params_mut(&mut |p| p.value_mut().data_mut().iter_mut().for_each(|v| *v += 1.0));
    let tape = Tape::new();
    let x = tape.constant(Tensor::new(vec![1.0, 2.0], &[1, 2]));
    let from_original = original.forward(x).to_tensor();
    let from_clone = clone.forward(x).to_tensor();
    // The clone's weights and bias are each 1 larger: every output grows by
    // x0 + x1 + 1 = 4.
    for (a, b) in from_original.data().iter().zip(from_clone.data()) {
        assert!((b - a - 4.0).abs() < 1e-12, "original {a}, clone {b}");
    }
}

#[test]
fn model_of_cloned_layers_trains_like_separate_layers() {
    // Two copies of one layer in a model must train as two layers: the
    // same steps on a model built from separate layers with equal values
    // give bit-identical parameters.
    let mut rng = StdRng::seed_from_u64(1);
    let template = Dense::<f64>::new(3, 3, Init::Xavier, &mut rng);
    let mut cloned = Sequential::new()
        .add(template.clone())
        .add(Activation::Tanh)
        .add(template.clone());
    let separate = || {
        Dense::from_tensors(
            template.weight().value().clone(),
            template.bias().value().clone(),
        )
    };
    let mut built = Sequential::new()
        .add(separate())
        .add(Activation::Tanh)
        .add(separate());

    let x = Tensor::new(vec![0.5, -1.0, 2.0, 1.5, 0.0, -0.5], &[2, 3]);
    let mut tape = Tape::new();
    let mut optimizers = (Adam::new(0.05), Adam::new(0.05));
    for _ in 0..5 {
        tape.clear();
        let grads = cloned
            .forward(tape.constant(x.clone()))
            .square()
            .mean()
            .backward();
        optimizers.0.step(&mut cloned, &grads);
        drop(grads);
        tape.clear();
        let grads = built
            .forward(tape.constant(x.clone()))
            .square()
            .mean()
            .backward();
        optimizers.1.step(&mut built, &grads);
    }
    assert_eq!(snapshot(&cloned), snapshot(&built));
}

#[test]
fn one_optimizer_keeps_two_models_apart() {
    // State is keyed by ParamId, so stepping two models with one optimizer
    // equals stepping each with its own. Adam is left out: its documented
    // step counter advances once per step call, whichever model it steps.
    type Make = fn() -> Box<dyn Optimizer<f64>>;
    let optimizers: [(&str, Make); 5] = [
        ("sgd", || Box::new(Sgd::new(0.1))),
        ("momentum", || Box::new(Momentum::new(0.1, 0.9))),
        ("nesterov", || Box::new(Nesterov::new(0.1, 0.9))),
        ("adagrad", || Box::new(Adagrad::new(0.1))),
        ("rmsprop", || Box::new(RmsProp::new(0.1))),
    ];
    let x = Tensor::new(vec![0.5, -1.0, 2.0, 1.5], &[2, 2]);
    for (name, make) in optimizers {
        let build = |seed: u64| {
            let mut rng = StdRng::seed_from_u64(seed);
            Sequential::<f64>::new()
                .add(Dense::new(2, 3, Init::StandardNormal, &mut rng))
                .add(Activation::Sigmoid)
                .add(Dense::new(3, 1, Init::StandardNormal, &mut rng))
        };
        let (mut a, mut b) = (build(1), build(2));
        let (mut own_a, mut own_b) = (build(1), build(2));
        let mut shared = make();
        let (mut alone_a, mut alone_b) = (make(), make());
        let mut tape = Tape::new();
        let mut train = |model: &mut Sequential<f64>, optimizer: &mut dyn Optimizer<f64>| {
            tape.clear();
            let grads = model
                .forward(tape.constant(x.clone()))
                .square()
                .sum()
                .backward();
            optimizer.step(model, &grads);
        };
        for _ in 0..4 {
            train(&mut a, shared.as_mut());
            train(&mut b, shared.as_mut());
            train(&mut own_a, alone_a.as_mut());
            train(&mut own_b, alone_b.as_mut());
        }
        assert_eq!(snapshot(&a), snapshot(&own_a), "{name}: first model");
        assert_eq!(snapshot(&b), snapshot(&own_b), "{name}: second model");
    }
}

#[test]
fn losses_reject_mismatched_shapes() {
    let pairs: [(&[usize], &[usize]); 6] = [
        (&[3, 1], &[3]),
        (&[3], &[3, 1]),
        (&[3], &[1]),
        (&[], &[1]),
        (&[2, 3], &[3, 2]),
        (&[1, 3], &[3]),
    ];
    for (prediction, target) in pairs {
        let tape = Tape::<f64>::new();
        let p = tape.var(Tensor::zeros(prediction));
        let t = tape.constant(Tensor::zeros(target));
        let expected = format!(
            "shapes {prediction:?} and {target:?} differ: the prediction and the target must \
             have the same shape"
        );
        for (name, error) in [
            ("mse", try_mse(p, t).err()),
            ("bce_with_logits", try_bce_with_logits(p, t).err()),
        ] {
            let error =
                error.unwrap_or_else(|| panic!("{name} broadcast {prediction:?} and {target:?}"));
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("{name}: {expected}")),
                "{message}"
            );
        }
        let message = panic_message(|| mse(p, t)).expect("mse panics");
        assert!(
            message.starts_with(&format!("mse: {expected}")),
            "{message}"
        );
        let message = panic_message(|| bce_with_logits(p, t)).expect("bce_with_logits panics");
        assert!(
            message.starts_with(&format!("bce_with_logits: {expected}")),
            "{message}"
        );
    }
}

#[test]
fn losses_match_formulas_at_extreme_logits() {
    let logits = [-1000.0, -20.0, -0.5, 0.0, 3.0, 40.0, 1000.0];
    let targets = [1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0];
    let n = logits.len() as f64;
    let tape = Tape::<f64>::new();
    let z = tape.var(Tensor::new(logits.to_vec(), &[7]));
    let y = tape.constant(Tensor::new(targets.to_vec(), &[7]));

    // bce = mean(softplus(z) - y z), d/dz = (sigmoid(z) - y) / n.
    let softplus = |v: f64| v.max(0.0) + (-v.abs()).exp().ln_1p();
    let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
    let expected: f64 = logits
        .iter()
        .zip(&targets)
        .map(|(&v, &t)| softplus(v) - t * v)
        .sum::<f64>()
        / n;
    let loss = bce_with_logits(z, y);
    assert!(loss.item().is_finite());
    assert!(
        (loss.item() - expected).abs() < 1e-12 * expected.abs(),
        "{}",
        loss.item()
    );
    let grads = loss.backward();
    for (i, (&v, &t)) in logits.iter().zip(&targets).enumerate() {
        let expected = (sigmoid(v) - t) / n;
        let actual = grads.wrt(z).data()[i];
        assert!(
            (actual - expected).abs() < 1e-15,
            "d bce / d z{i} is {actual}, expected {expected}"
        );
    }

    // mse = mean((p - y)^2), d/dp = 2 (p - y) / n.
    let p = tape.var(Tensor::new(vec![0.5, -1.0, 2.0], &[3, 1]));
    let t = tape.constant(Tensor::new(vec![0.0, 1.0, 2.0], &[3, 1]));
    let loss = mse(p, t);
    assert_eq!(loss.value().dims(), &[] as &[usize]);
    assert!((loss.item() - (0.25 + 4.0) / 3.0).abs() < 1e-15);
    let grads = loss.backward();
    assert_eq!(grads.wrt(p).data(), &[1.0 / 3.0, -4.0 / 3.0, 0.0]);
}

#[test]
fn summary_matches_forward_shapes() {
    // For random convolution geometries, the shapes the summary predicts
    // are the shapes the forward pass produces.
    let mut rng = StdRng::seed_from_u64(3);
    let mut checked = 0;
    while checked < 100 {
        let (in_channels, out_channels) = (rng.random_range(1..3), rng.random_range(1..3));
        let kernel = [rng.random_range(1..4), rng.random_range(1..4)];
        let config = Conv2dConfig {
            stride: [rng.random_range(1..3), rng.random_range(1..3)],
            padding: [rng.random_range(0..3), rng.random_range(0..3)],
        };
        let input = [
            rng.random_range(1..3),
            in_channels,
            rng.random_range(1..8),
            rng.random_range(1..8),
        ];
        let conv = Conv2d::<f64>::new(
            in_channels,
            out_channels,
            kernel,
            config,
            Init::He,
            &mut rng,
        );
        let Ok(conv_shape) = conv.output_shape(&input) else {
            continue;
        };
        checked += 1;
        let features: usize = conv_shape[1..].iter().product();
        let model = Sequential::<f64>::new()
            .add(conv)
            .add(Activation::Relu)
            .add(Flatten)
            .add(Dense::new(features, 2, Init::Xavier, &mut rng))
            .add(Activation::LeakyRelu { slope: 0.1 });
        let summary = model.summary(&input).unwrap();
        let tape = Tape::new();
        let output = model.forward(tape.constant(Tensor::zeros(&input)));
        assert_eq!(
            summary.output_shape(),
            &output.shape()[..],
            "{}",
            model.describe()
        );

        let conv1d = Conv1d::<f64>::new(
            in_channels,
            out_channels,
            kernel[1],
            Conv1dConfig {
                stride: config.stride[1],
                padding: config.padding[1],
            },
            Init::Xavier,
            &mut rng,
        );
        let input = [input[0], in_channels, input[3]];
        if let Ok(shape) = conv1d.output_shape(&input) {
            let output = conv1d.forward(tape.constant(Tensor::zeros(&input)));
            assert_eq!(&shape[..], &output.shape()[..], "{}", conv1d.describe());
        }
    }
}
