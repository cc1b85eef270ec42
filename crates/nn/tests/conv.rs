//! Conv1d, Conv2d and Flatten as modules: shapes, parameters, gradients by
//! parameter id, and agreement with the tensor ops they wrap.

use nn::{
    mse, Activation, Conv1d, Conv1dConfig, Conv2d, Conv2dConfig, Dense, Flatten, Init, Module,
    Optimizer, Sequential, Sgd,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Tape, Tensor};

fn random(dims: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Tensor::from_fn(dims, |_| rng.random_range(-1.0..1.0))
}

#[test]
fn conv1d_params_and_shapes() {
    let mut rng = StdRng::seed_from_u64(0);
    let config = Conv1dConfig {
        stride: 2,
        padding: 1,
    };
    let conv = Conv1d::<f64>::new(2, 3, 3, config, Init::StandardNormal, &mut rng);
    let names: Vec<&str> = conv.parameters().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["weight", "bias"]);
    assert_eq!(conv.weight().value().dims(), &[3, 2, 3]);
    assert_eq!(conv.bias().value().data(), &[0.0, 0.0, 0.0]);
    assert_eq!(conv.num_parameters(), 3 * 2 * 3 + 3);
    assert_eq!(
        conv.describe(),
        "Conv1d(2 -> 3, kernel 3, stride 2, padding 1)"
    );

    // (7 + 2 - 3) / 2 + 1 = 4 output positions.
    let tape = Tape::new();
    let y = conv.forward(tape.constant(Tensor::zeros(&[5, 2, 7])));
    assert_eq!(y.value().dims(), &[5, 3, 4]);
    assert_eq!(&conv.output_shape(&[5, 2, 7]).unwrap()[..], &[5, 3, 4]);
}

#[test]
fn conv2d_params_and_shapes() {
    let mut rng = StdRng::seed_from_u64(1);
    let config = Conv2dConfig {
        stride: [1, 2],
        padding: [1, 0],
    };
    let conv = Conv2d::<f64>::new(2, 4, [3, 2], config, Init::Xavier, &mut rng);
    assert_eq!(conv.weight().value().dims(), &[4, 2, 3, 2]);
    assert_eq!(conv.kernel_size(), [3, 2]);
    assert_eq!(conv.num_parameters(), 4 * 2 * 3 * 2 + 4);
    assert_eq!(
        conv.describe(),
        "Conv2d(2 -> 4, kernel 3x2, stride [1, 2], padding [1, 0])"
    );

    // Height (5 + 2 - 3) / 1 + 1 = 5, width (6 - 2) / 2 + 1 = 3.
    let tape = Tape::new();
    let y = conv.forward(tape.constant(Tensor::zeros(&[2, 2, 5, 6])));
    assert_eq!(y.value().dims(), &[2, 4, 5, 3]);
    assert_eq!(
        &conv.output_shape(&[2, 2, 5, 6]).unwrap()[..],
        &[2, 4, 5, 3]
    );
}

#[test]
fn conv2d_forward_equals_tensor_op() {
    let weight = random(&[3, 2, 2, 2], 2);
    let bias = random(&[3], 3);
    let x = random(&[2, 2, 4, 4], 4);
    let config = Conv2dConfig {
        stride: [2, 2],
        padding: [1, 1],
    };
    let conv = Conv2d::from_tensors(weight.clone(), bias.clone(), config);
    let tape = Tape::new();
    let from_layer = conv.forward(tape.constant(x.clone())).to_tensor();
    let from_op = tape
        .constant(x)
        .conv2d(tape.constant(weight), Some(tape.constant(bias)), config)
        .to_tensor();
    assert_eq!(from_layer.dims(), from_op.dims());
    assert_eq!(from_layer.data(), from_op.data());
}

#[test]
fn conv1d_gradients_reach_params() {
    let conv = Conv1d::from_tensors(
        random(&[3, 2, 3], 5),
        random(&[3], 6),
        Conv1dConfig::default(),
    );
    let tape = Tape::new();
    let loss = conv
        .forward(tape.constant(random(&[4, 2, 6], 7)))
        .square()
        .mean();
    let grads = loss.backward();
    let grad_weight = grads.param(conv.weight().id()).expect("weight gradient");
    let grad_bias = grads.param(conv.bias().id()).expect("bias gradient");
    assert_eq!(grad_weight.dims(), &[3, 2, 3]);
    assert_eq!(grad_bias.dims(), &[3]);
    assert!(grad_weight.data().iter().any(|&g| g != 0.0));
}

#[test]
fn flatten_shapes() {
    let tape = Tape::<f64>::new();
    let cases: [(&[usize], [usize; 2]); 3] =
        [(&[4, 3, 2, 5], [4, 30]), (&[4, 3], [4, 3]), (&[4], [4, 1])];
    for (input, expected) in cases {
        let x = tape.constant(Tensor::zeros(input));
        assert_eq!(Flatten.forward(x).value().dims(), &expected, "{input:?}");
        let shape = Module::<f64>::output_shape(&Flatten, input).unwrap();
        assert_eq!(&shape[..], &expected, "{input:?}");
    }
}

#[test]
fn flatten_keeps_row_major_order() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_fn(&[2, 3, 2], |i| i as f64));
    let y = Flatten.forward(x);
    let expected: Vec<f64> = (0..12).map(|i| i as f64).collect();
    assert_eq!(y.value().data(), &expected[..]);
}

#[test]
#[should_panic(expected = "Flatten: the input is a scalar")]
fn flatten_scalar_panics() {
    let tape = Tape::<f64>::new();
    Flatten.forward(tape.constant(Tensor::scalar(1.0)));
}

#[test]
#[should_panic(expected = "Conv1d::from_tensors: weight [3, 2, 3] and bias [2] do not fit")]
fn conv1d_bias_mismatch_panics() {
    Conv1d::<f64>::from_tensors(
        Tensor::zeros(&[3, 2, 3]),
        Tensor::zeros(&[2]),
        Conv1dConfig::default(),
    );
}

#[test]
#[should_panic(expected = "Conv2d: stride [0, 1] contains a zero")]
fn conv2d_zero_stride_panics() {
    let config = Conv2dConfig {
        stride: [0, 1],
        padding: [0, 0],
    };
    Conv2d::<f64>::from_tensors(Tensor::zeros(&[1, 1, 2, 2]), Tensor::zeros(&[1]), config);
}

#[test]
#[should_panic(expected = "conv2d: shapes [2, 3, 5, 5] and [4, 2, 3, 3] do not fit")]
fn conv2d_channel_mismatch_panics() {
    let conv = Conv2d::<f64>::from_tensors(
        Tensor::zeros(&[4, 2, 3, 3]),
        Tensor::zeros(&[4]),
        Conv2dConfig::default(),
    );
    let tape = Tape::new();
    conv.forward(tape.constant(Tensor::zeros(&[2, 3, 5, 5])));
}

#[test]
fn conv_model_training_reduces_loss() {
    // Conv2d, ReLU, Flatten, Dense on random 6x6 images with random
    // targets: a smoke test that training through a convolution lowers the
    // loss and updates the convolution's weight.
    let mut rng = StdRng::seed_from_u64(8);
    let config = Conv2dConfig {
        stride: [2, 2],
        padding: [1, 1],
    };
    let mut model = Sequential::<f64>::new()
        .add(Conv2d::new(1, 4, [3, 3], config, Init::He, &mut rng))
        .add(Activation::Relu)
        .add(Flatten)
        .add(Dense::new(4 * 3 * 3, 1, Init::Xavier, &mut rng));
    assert_eq!(&model.output_shape(&[8, 1, 6, 6]).unwrap()[..], &[8, 1]);
    let initial_conv_weight = model.parameters()[0].value().clone();

    let x = random(&[8, 1, 6, 6], 9);
    let y = random(&[8, 1], 10);
    let mut optimizer = Sgd::new(0.05);
    let mut tape = Tape::new();
    let mut losses = Vec::new();
    for _ in 0..50 {
        tape.clear();
        let loss = mse(
            model.forward(tape.constant(x.clone())),
            tape.constant(y.clone()),
        );
        losses.push(loss.item());
        let grads = loss.backward();
        optimizer.step(&mut model, &grads);
    }

    assert!(
        losses[49] < 0.5 * losses[0],
        "loss went from {} to {}",
        losses[0],
        losses[49]
    );
    let conv_weight = model.parameters()[0].value();
    assert_eq!(conv_weight.dims(), &[4, 1, 3, 3]);
    assert!(conv_weight.max_abs_diff(&initial_conv_weight) > 0.0);
}
