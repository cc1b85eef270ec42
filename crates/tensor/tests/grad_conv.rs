//! conv1d and conv2d: forward values against direct nested-loop
//! convolutions, gradients against central differences, and the shape
//! errors.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{gradcheck, Conv1dConfig, Conv2dConfig, Tape, Tensor, TensorError};

fn random(dims: &[usize], seed: u64) -> Tensor<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Tensor::from_fn(dims, |_| rng.random_range(-1.0..1.0))
}

/// `y[n, o, i, j] = b[o] + sum_{c, ki, kj} w[o, c, ki, kj] x[n, c, i sh + ki - ph, j sw + kj - pw]`,
/// one output element at a time, with out-of-range input reads as zero.
fn reference_conv2d(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    b: Option<&Tensor<f64>>,
    config: Conv2dConfig,
) -> Tensor<f64> {
    let (batch, channels, height, width) = (x.dims()[0], x.dims()[1], x.dims()[2], x.dims()[3]);
    let (out_channels, kh, kw) = (w.dims()[0], w.dims()[2], w.dims()[3]);
    let [sh, sw] = config.stride;
    let [ph, pw] = config.padding;
    let out_h = (height + 2 * ph - kh) / sh + 1;
    let out_w = (width + 2 * pw - kw) / sw + 1;
    let mut y = Tensor::zeros(&[batch, out_channels, out_h, out_w]);
    for n in 0..batch {
        for o in 0..out_channels {
            for i in 0..out_h {
                for j in 0..out_w {
                    let mut sum = b.map_or(0.0, |b| b.get(&[o]));
                    for c in 0..channels {
                        for ki in 0..kh {
                            for kj in 0..kw {
                                let row = (i * sh + ki) as isize - ph as isize;
                                let col = (j * sw + kj) as isize - pw as isize;
                                let inside = row >= 0
                                    && col >= 0
                                    && (row as usize) < height
                                    && (col as usize) < width;
                                if inside {
                                    sum += w.get(&[o, c, ki, kj])
                                        * x.get(&[n, c, row as usize, col as usize]);
                                }
                            }
                        }
                    }
                    y.set(&[n, o, i, j], sum);
                }
            }
        }
    }
    y
}

/// `y[n, o, i] = b[o] + sum_{c, k} w[o, c, k] x[n, c, i stride + k - padding]`.
fn reference_conv1d(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    b: Option<&Tensor<f64>>,
    config: Conv1dConfig,
) -> Tensor<f64> {
    let (batch, channels, length) = (x.dims()[0], x.dims()[1], x.dims()[2]);
    let (out_channels, kernel) = (w.dims()[0], w.dims()[2]);
    let out_len = (length + 2 * config.padding - kernel) / config.stride + 1;
    let mut y = Tensor::zeros(&[batch, out_channels, out_len]);
    for n in 0..batch {
        for o in 0..out_channels {
            for i in 0..out_len {
                let mut sum = b.map_or(0.0, |b| b.get(&[o]));
                for c in 0..channels {
                    for k in 0..kernel {
                        let position = (i * config.stride + k) as isize - config.padding as isize;
                        if position >= 0 && (position as usize) < length {
                            sum += w.get(&[o, c, k]) * x.get(&[n, c, position as usize]);
                        }
                    }
                }
                y.set(&[n, o, i], sum);
            }
        }
    }
    y
}

/// Asserts equal shapes and elements within `tolerance`, naming the first
/// differing index.
fn assert_close(actual: &Tensor<f64>, expected: &Tensor<f64>, tolerance: f64, case: &str) {
    assert_eq!(actual.dims(), expected.dims(), "{case}: shapes differ");
    for (index, (a, e)) in actual.data().iter().zip(expected.data()).enumerate() {
        assert!(
            (a - e).abs() <= tolerance,
            "{case}: element {index} is {a}, expected {e}"
        );
    }
}

fn configs_2d() -> Vec<Conv2dConfig> {
    let mut configs = Vec::new();
    for stride in [1, 2] {
        for padding in [0, 1] {
            configs.push(Conv2dConfig {
                stride: [stride, stride],
                padding: [padding, padding],
            });
        }
    }
    // Different values per axis, to catch a swapped height and width.
    configs.push(Conv2dConfig {
        stride: [1, 2],
        padding: [2, 0],
    });
    configs
}

fn configs_1d() -> Vec<Conv1dConfig> {
    let mut configs = Vec::new();
    for stride in [1, 2] {
        for padding in [0, 1] {
            configs.push(Conv1dConfig { stride, padding });
        }
    }
    configs
}

#[test]
fn conv2d_forward_matches_loops() {
    // Batch 2, 2 input and 3 output channels, a 5x4 input, a 3x2 kernel:
    // nothing square, so a transposed index changes the result.
    let x = random(&[2, 2, 5, 4], 1);
    let w = random(&[3, 2, 3, 2], 2);
    let b = random(&[3], 3);
    for config in configs_2d() {
        let tape = Tape::new();
        let (xv, wv, bv) = (
            tape.constant(x.clone()),
            tape.constant(w.clone()),
            tape.constant(b.clone()),
        );
        let case = format!("{config:?}");
        let with_bias = xv.conv2d(wv, Some(bv), config).to_tensor();
        assert_close(
            &with_bias,
            &reference_conv2d(&x, &w, Some(&b), config),
            1e-12,
            &case,
        );
        let without_bias = xv.conv2d(wv, None, config).to_tensor();
        assert_close(
            &without_bias,
            &reference_conv2d(&x, &w, None, config),
            1e-12,
            &case,
        );
    }
}

#[test]
fn conv2d_forward_edge_kernels() {
    let x = random(&[2, 2, 4, 3], 4);
    let cases = [
        // A 1x1 kernel: a per-pixel channel mix.
        ([3, 2, 1, 1], Conv2dConfig::default(), [2, 3, 4, 3]),
        // A kernel as large as the padded input: one output position.
        (
            [3, 2, 6, 5],
            Conv2dConfig {
                stride: [1, 1],
                padding: [1, 1],
            },
            [2, 3, 1, 1],
        ),
        // A stride that skips the last rows and columns (rounded down).
        (
            [3, 2, 2, 2],
            Conv2dConfig {
                stride: [3, 3],
                padding: [0, 0],
            },
            [2, 3, 1, 1],
        ),
    ];
    for (weight_dims, config, out_dims) in cases {
        let w = random(&weight_dims, 5);
        let tape = Tape::new();
        let y = tape
            .constant(x.clone())
            .conv2d(tape.constant(w.clone()), None, config)
            .to_tensor();
        let case = format!("weight {weight_dims:?}, {config:?}");
        assert_eq!(y.dims(), out_dims, "{case}");
        assert_close(&y, &reference_conv2d(&x, &w, None, config), 1e-12, &case);
    }
}

#[test]
fn conv2d_forward_f32() {
    let x = random(&[2, 2, 5, 4], 6);
    let w = random(&[3, 2, 3, 3], 7);
    let b = random(&[3], 8);
    let config = Conv2dConfig {
        stride: [2, 1],
        padding: [1, 1],
    };
    let tape = Tape::<f32>::new();
    let y = tape
        .constant(x.cast())
        .conv2d(
            tape.constant(w.cast()),
            Some(tape.constant(b.cast())),
            config,
        )
        .to_tensor();
    assert_close(
        &y.cast(),
        &reference_conv2d(&x, &w, Some(&b), config),
        1e-5,
        "f32",
    );
}

#[test]
fn conv1d_forward_matches_loops() {
    let x = random(&[2, 2, 7], 9);
    let w = random(&[3, 2, 3], 10);
    let b = random(&[3], 11);
    for config in configs_1d() {
        let tape = Tape::new();
        let (xv, wv, bv) = (
            tape.constant(x.clone()),
            tape.constant(w.clone()),
            tape.constant(b.clone()),
        );
        let case = format!("{config:?}");
        let with_bias = xv.conv1d(wv, Some(bv), config).to_tensor();
        assert_close(
            &with_bias,
            &reference_conv1d(&x, &w, Some(&b), config),
            1e-12,
            &case,
        );
        let without_bias = xv.conv1d(wv, None, config).to_tensor();
        assert_close(
            &without_bias,
            &reference_conv1d(&x, &w, None, config),
            1e-12,
            &case,
        );
    }
}

#[test]
fn conv2d_gradcheck() {
    let x = random(&[2, 2, 5, 4], 12);
    let w = random(&[3, 2, 3, 2], 13);
    let b = random(&[3], 14);
    for config in configs_2d() {
        let inputs = [x.clone(), w.clone(), b.clone()];
        let report = gradcheck(|v| v[0].conv2d(v[1], Some(v[2]), config), &inputs)
            .unwrap_or_else(|err| panic!("{config:?}: {err}"));
        assert_eq!(report.elements, x.len() + w.len() + b.len());
    }
}

#[test]
fn conv2d_gradcheck_without_bias() {
    // A sigmoid after the convolution makes the upstream gradient depend on
    // the output values.
    let x = random(&[2, 2, 4, 4], 15);
    let w = random(&[3, 2, 2, 3], 16);
    let config = Conv2dConfig {
        stride: [2, 1],
        padding: [1, 1],
    };
    gradcheck(|v| v[0].conv2d(v[1], None, config).sigmoid(), &[x, w])
        .unwrap_or_else(|err| panic!("{err}"));
}

#[test]
fn conv1d_gradcheck() {
    let x = random(&[2, 2, 7], 17);
    let w = random(&[3, 2, 3], 18);
    let b = random(&[3], 19);
    for config in configs_1d() {
        let inputs = [x.clone(), w.clone(), b.clone()];
        let report = gradcheck(|v| v[0].conv1d(v[1], Some(v[2]), config), &inputs)
            .unwrap_or_else(|err| panic!("{config:?}: {err}"));
        assert_eq!(report.elements, x.len() + w.len() + b.len());
    }
}

#[test]
fn conv1d_gradients_have_operand_shapes() {
    let tape = Tape::new();
    let x = tape.var(random(&[2, 2, 7], 20));
    let w = tape.var(random(&[3, 2, 3], 21));
    let b = tape.var(random(&[3], 22));
    let config = Conv1dConfig {
        stride: 2,
        padding: 1,
    };
    let grads = x.conv1d(w, Some(b), config).square().sum().backward();
    assert_eq!(grads.wrt(x).dims(), &[2, 2, 7]);
    assert_eq!(grads.wrt(w).dims(), &[3, 2, 3]);
    assert_eq!(grads.wrt(b).dims(), &[3]);
}

#[test]
fn conv_input_used_twice_accumulates() {
    // y = conv(x, w) + conv(x, w): every gradient is twice that of one conv.
    let x = random(&[2, 2, 5], 23);
    let w = random(&[3, 2, 2], 24);
    let config = Conv1dConfig::default();
    let tape = Tape::new();
    let (xv, wv) = (tape.var(x.clone()), tape.var(w.clone()));
    let once = xv.conv1d(wv, None, config).sum().backward();
    let doubled_tape = Tape::new();
    let (xv2, wv2) = (doubled_tape.var(x), doubled_tape.var(w));
    let twice = (xv2.conv1d(wv2, None, config) + xv2.conv1d(wv2, None, config))
        .sum()
        .backward();
    assert_close(
        twice.wrt(xv2),
        &once.wrt(xv).map(|g| 2.0 * g),
        1e-12,
        "input",
    );
    assert_close(
        twice.wrt(wv2),
        &once.wrt(wv).map(|g| 2.0 * g),
        1e-12,
        "weight",
    );
}

fn conv2d_error(
    input: &[usize],
    weight: &[usize],
    bias: Option<&[usize]>,
    config: Conv2dConfig,
) -> TensorError {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros(input));
    let w = tape.constant(Tensor::zeros(weight));
    let b = bias.map(|dims| tape.constant(Tensor::zeros(dims)));
    x.try_conv2d(w, b, config)
        .expect_err("the shapes should be rejected")
}

#[test]
fn conv2d_channel_mismatch_error() {
    let err = conv2d_error(&[2, 3, 5, 5], &[4, 2, 3, 3], None, Conv2dConfig::default());
    assert!(matches!(err, TensorError::ShapeMismatch { .. }), "{err:?}");
    assert_eq!(err.op(), "conv2d");
    let message = err.to_string();
    assert!(
        message.starts_with("conv2d: shapes [2, 3, 5, 5] and [4, 2, 3, 3]"),
        "{message}"
    );
    assert!(
        message.contains("the input has in_channels = 3 but the weight"),
        "{message}"
    );
    assert!(message.contains("expects in_channels = 2"), "{message}");
}

#[test]
fn conv1d_channel_mismatch_error() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros(&[2, 1, 2]));
    let w = tape.constant(Tensor::zeros(&[1, 2, 3]));
    let err = x
        .try_conv1d(w, None, Conv1dConfig::default())
        .expect_err("1 input channel against a weight for 2");
    assert_eq!(err.op(), "conv1d");
    let message = err.to_string();
    assert!(
        message.starts_with("conv1d: shapes [2, 1, 2] and [1, 2, 3]"),
        "{message}"
    );
    assert!(
        message.contains("the input has in_channels = 1 but the weight"),
        "{message}"
    );
}

#[test]
#[should_panic(expected = "conv2d: shapes [2, 3, 5, 5] and [4, 2, 3, 3] do not fit")]
fn conv2d_channel_mismatch_panics() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros(&[2, 3, 5, 5]));
    let w = tape.constant(Tensor::zeros(&[4, 2, 3, 3]));
    x.conv2d(w, None, Conv2dConfig::default());
}

#[test]
fn conv2d_kernel_larger_than_padded_input_error() {
    let config = Conv2dConfig {
        stride: [1, 1],
        padding: [1, 0],
    };
    let err = conv2d_error(&[1, 2, 3, 3], &[1, 2, 3, 4], None, config);
    let message = err.to_string();
    assert!(
        message.starts_with("conv2d: shapes [1, 2, 3, 3] and [1, 2, 3, 4]"),
        "{message}"
    );
    assert!(
        message.contains("the kernel [3, 4] is larger than the input [3, 3] with padding [1, 0]"),
        "{message}"
    );
}

#[test]
fn conv1d_kernel_longer_than_padded_input_error() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros(&[1, 1, 2]));
    let w = tape.constant(Tensor::zeros(&[1, 1, 5]));
    let config = Conv1dConfig {
        stride: 1,
        padding: 1,
    };
    let message = x.try_conv1d(w, None, config).unwrap_err().to_string();
    assert!(
        message.contains("the kernel [5] is larger than the input [2] with padding [1] ([4])"),
        "{message}"
    );
}

#[test]
fn conv2d_bias_shape_error() {
    let err = conv2d_error(
        &[1, 2, 3, 3],
        &[4, 2, 2, 2],
        Some(&[2]),
        Conv2dConfig::default(),
    );
    let message = err.to_string();
    assert!(
        message.starts_with("conv2d: shapes [4, 2, 2, 2] and [2]"),
        "{message}"
    );
    assert!(message.contains("[out_channels] = [4]"), "{message}");
}

#[test]
fn conv2d_rank_error() {
    let err = conv2d_error(&[2, 5, 5], &[4, 2, 3, 3], None, Conv2dConfig::default());
    let message = err.to_string();
    assert!(
        message.contains("the input must be 4-D [batch, channels, height, width]"),
        "{message}"
    );
    let err = conv2d_error(&[2, 2, 5, 5], &[4, 2, 3], None, Conv2dConfig::default());
    assert!(err.to_string().contains("the weight must be 4-D"), "{err}");
}

#[test]
fn conv2d_zero_stride_error() {
    let config = Conv2dConfig {
        stride: [1, 0],
        padding: [0, 0],
    };
    let err = conv2d_error(&[1, 1, 3, 3], &[1, 1, 2, 2], None, config);
    assert!(
        matches!(err, TensorError::InvalidArgument { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("stride [1, 0]"), "{err}");
}

#[test]
fn conv2d_empty_weight_error() {
    let err = conv2d_error(&[1, 1, 3, 3], &[0, 1, 2, 2], None, Conv2dConfig::default());
    assert!(
        matches!(err, TensorError::InvalidArgument { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("zero-sized dimension"), "{err}");
}
