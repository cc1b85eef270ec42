//! Faults found by adversarial testing, each pinned by a test named after
//! it, and randomised comparisons of every op family against plain loops.
//!
//! The randomised tests draw shapes of rank 0 to 4, with size-0 and size-1
//! axes and negative axis arguments, from a seeded generator. They compare
//! values and gradients element by element with loops written here, so a
//! failure names the op, the shapes and the element.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{
    gradcheck, Conv1dConfig, Conv2dConfig, CustomOp, Float, ParamId, Tape, Tensor, TensorError, Var,
};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Draws a tensor with values uniform in `[-2, 2)`.
fn random(rng: &mut StdRng, dims: &[usize]) -> Tensor<f64> {
    Tensor::from_fn(dims, |_| rng.random_range(-2.0..2.0))
}

/// Draws dims of rank `0..=max_rank`, each in `0..=4`, with extra weight on 1.
fn random_dims(rng: &mut StdRng, max_rank: usize) -> Vec<usize> {
    let rank = rng.random_range(0..=max_rank);
    (0..rank)
        .map(|_| {
            if rng.random_bool(0.3) {
                1
            } else {
                rng.random_range(0..=4)
            }
        })
        .collect()
}

/// Returns `axis` or its negative twin `axis - rank`, picked at random.
fn signed_axis(rng: &mut StdRng, axis: usize, rank: usize) -> isize {
    if rng.random_bool(0.5) {
        axis as isize - rank as isize
    } else {
        axis as isize
    }
}

fn unravel(mut flat: usize, dims: &[usize]) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for axis in (0..dims.len()).rev() {
        index[axis] = flat % dims[axis];
        flat /= dims[axis];
    }
    index
}

fn ravel(index: &[usize], dims: &[usize]) -> usize {
    index.iter().zip(dims).fold(0, |flat, (i, d)| flat * d + i)
}

/// Returns the flat index into an operand of shape `dims` that NumPy
/// broadcasting reads for the output element at `out_index`.
fn broadcast_source(out_index: &[usize], dims: &[usize]) -> usize {
    let pad = out_index.len() - dims.len();
    let index: Vec<usize> = dims
        .iter()
        .enumerate()
        .map(|(axis, &d)| if d == 1 { 0 } else { out_index[axis + pad] })
        .collect();
    ravel(&index, dims)
}

/// Returns `true` when both are NaN, or they differ by at most `tolerance` relative
/// to `1 + |expected|`.
fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual.is_nan() && expected.is_nan())
        || actual == expected
        || (actual - expected).abs() <= tolerance * (1.0 + expected.abs())
}

#[track_caller]
fn assert_all_close(actual: &[f64], expected: &[f64], tolerance: f64, context: &str) {
    assert_eq!(actual.len(), expected.len(), "{context}: lengths differ");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        assert!(
            close(a, e, tolerance),
            "{context}: element {i} is {a}, expected {e}"
        );
    }
}

/// Compares shapes and bit patterns, with every NaN equal to every NaN.
fn same_bits(a: &Tensor<f64>, b: &Tensor<f64>) -> bool {
    a.dims() == b.dims()
        && a.data()
            .iter()
            .zip(b.data())
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

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

/// Leaves NaN in the pooled buffers of every length up to 400 and a few larger
/// ones: each `exp` output comes from the pool and returns to it at the
/// clear, so the next step's ops receive buffers full of NaN.
fn poison_pool(tape: &mut Tape<f64>) {
    let lengths = (1..400).chain([500, 700, 1000, 1600, 3000, 5000, 10_000, 20_000]);
    for len in lengths {
        tape.constant(Tensor::full(&[len], f64::NAN)).exp();
    }
    tape.clear();
}

// ---------------------------------------------------------------------------
// Faults, one test each
// ---------------------------------------------------------------------------

#[test]
fn broadcast_to_from_rank_zero_fills_every_element() {
    // The equal-shape fast path of the broadcast kernel matched the rank-0
    // input with its rank-0 dummy operand and wrote only the first element.
    let mut tape = Tape::<f64>::new();
    poison_pool(&mut tape);
    let x = tape.var(Tensor::scalar(2.5));
    let y = x.broadcast_to(&[2, 3]);
    assert_eq!(y.value().dims(), &[2, 3]);
    assert_eq!(y.value().data(), &[2.5; 6]);

    let upstream = Tensor::from_fn(&[2, 3], |i| i as f64);
    let grads = y.backward_with(upstream);
    assert_eq!(grads.wrt(x).data(), &[15.0]);
}

#[test]
fn relu_keeps_nan() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![f64::NAN, -1.0, 0.0, 2.0], &[4]));
    let y = x.relu().to_tensor();
    assert!(y.data()[0].is_nan(), "relu(NaN) is {}", y.data()[0]);
    assert_eq!(&y.data()[1..], &[0.0, 0.0, 2.0]);
}

#[test]
fn div_by_scalar_is_ieee_division() {
    // `x / c` was `x * (1 / c)`: one extra rounding, and infinite where
    // `1 / c` overflows although `x / c` is finite.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![1e-300, 1.0, 7.0], &[3]));
    let c = 1e-310;
    let y = x / c;
    let expected: Vec<f64> = [1e-300, 1.0, 7.0].iter().map(|v| v / c).collect();
    assert_eq!(y.value().data(), &expected[..]);
    assert!(y.value().data()[0].is_finite());
    let grads = (x / 3.0).sum().backward();
    assert_eq!(grads.wrt(x).data(), &[1.0 / 3.0; 3]);

    let tape = Tape::<f32>::new();
    let values = [0.1f32, 0.3, 0.7, 1.1, 2.9];
    let x = tape.var(Tensor::new(values.to_vec(), &[5]));
    let expected: Vec<f32> = values.iter().map(|v| v / 10.0).collect();
    assert_eq!((x / 10.0).value().data(), &expected[..]);
}

#[test]
fn div_gradient_finite_for_extreme_divisors() {
    // d(a/b)/db = -a/b^2 was computed with b^2 itself, which overflows to
    // infinity (gradient 0) or underflows to 0 (gradient -inf).
    for (a, b) in [(1e300, 1e200), (1e-300, 1e-200)] {
        let tape = Tape::<f64>::new();
        let x = tape.var(Tensor::scalar(a));
        let y = tape.var(Tensor::scalar(b));
        let grads = (x / y).backward();
        let expected = -(a / b) / b;
        let actual = grads.wrt(y).item();
        assert!(
            close(actual, expected, 1e-12),
            "d(a/b)/db at a = {a}, b = {b} is {actual}, expected {expected}"
        );
    }
}

#[test]
fn whole_tensor_f32_sum_mean_var_stay_accurate() {
    // Summing in order lost 9e-3 of the sum of these 2^20 values and 4e-4
    // of the variance of 2^20 uniform ones. Pairwise summation keeps both
    // within about 1e-6.
    let len = 1 << 20;
    let periodic: Vec<f32> = (0..len).map(|i| 0.1 + (i % 7) as f32 * 0.25).collect();
    let mut rng = StdRng::seed_from_u64(12);
    let uniform: Vec<f32> = (0..len).map(|_| rng.random_range(0.0..1.0)).collect();
    let exact_sum = |values: &[f32]| values.iter().map(|&v| f64::from(v)).sum::<f64>();
    let exact_var = |values: &[f32]| {
        let mean = exact_sum(values) / len as f64;
        let squares: f64 = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum();
        squares / len as f64
    };

    let tape = Tape::<f32>::new();
    let x = tape.constant(Tensor::new(periodic.clone(), &[len]));
    let u = tape.constant(Tensor::new(uniform.clone(), &[len]));
    let checks = [
        ("sum", x.sum().item(), exact_sum(&periodic)),
        ("mean", x.mean().item(), exact_sum(&periodic) / len as f64),
        ("var", u.var(0).item(), exact_var(&uniform)),
    ];
    for (name, actual, exact) in checks {
        let relative = (f64::from(actual) - exact).abs() / exact;
        assert!(
            relative < 1e-5,
            "f32 {name} of {len} values is {actual}, exact {exact} (relative error {relative:e})"
        );
    }
}

#[test]
fn var_with_empty_output_and_large_correction_runs() {
    // An empty output skips the count check, and `count - correction` then
    // underflowed: a subtract-with-overflow panic in debug builds.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[2, 0]));
    let y = x.var_axes(&[0], true, 5);
    assert_eq!(y.value().dims(), &[1, 0]);
    let grads = y.sum().backward();
    assert_eq!(grads.wrt(x).dims(), &[2, 0]);
}

#[test]
fn var_error_advice_for_empty_axes() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[0]));
    let message = panic_message(|| x.var(0)).expect("var of nothing panics");
    assert!(message.starts_with("var: correction 0"), "{message}");
    // Correction 0 is what was passed, so advising it would not help.
    assert!(!message.contains("use correction 0"), "{message}");
    assert!(message.contains("non-empty axes"), "{message}");
}

#[test]
fn conv_of_empty_input_reads_only_padding() {
    // The last valid output position was computed as `in_len - 1 + ...`,
    // which underflowed for a length-0 input with padding: a
    // subtract-with-overflow panic in debug builds.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[1, 1, 0, 3]));
    let w = tape.var(Tensor::ones(&[2, 1, 1, 1]));
    let b = tape.var(Tensor::new(vec![0.5, -1.5], &[2]));
    let config = Conv2dConfig {
        stride: [1, 1],
        padding: [1, 0],
    };
    let y = x.conv2d(w, Some(b), config);
    assert_eq!(y.value().dims(), &[1, 2, 2, 3]);
    let expected: Vec<f64> = [[0.5; 6], [-1.5; 6]].concat();
    assert_eq!(y.value().data(), &expected[..]);
    let grads = y.sum().backward();
    assert_eq!(grads.wrt(w).data(), &[0.0, 0.0]);
    assert_eq!(grads.wrt(b).data(), &[6.0, 6.0]);

    let x = tape.var(Tensor::zeros(&[2, 1, 0]));
    let w = tape.var(Tensor::ones(&[1, 1, 1]));
    let config = Conv1dConfig {
        stride: 2,
        padding: 2,
    };
    let y = x.conv1d(w, None, config);
    // (0 + 2 * 2 - 1) / 2 + 1 = 2 positions, both in the padding.
    assert_eq!(y.value().dims(), &[2, 1, 2]);
    assert_eq!(y.value().data(), &[0.0; 4]);
}

#[test]
fn matmul_with_empty_inner_axis_ignores_reused_buffers() {
    let mut tape = Tape::<f64>::new();
    poison_pool(&mut tape);
    let a = tape.var(Tensor::zeros(&[2, 0]));
    let b = tape.var(Tensor::zeros(&[0, 3]));
    let y = a.matmul(b);
    assert_eq!(y.value().data(), &[0.0; 6], "[2, 0] x [0, 3]");

    // Backward: the gradient of a [2, 3] x [3, 0] product with respect to
    // the left operand is a product over the empty axis.
    tape.clear();
    poison_pool(&mut tape);
    let a = tape.var(Tensor::ones(&[2, 3]));
    let b = tape.var(Tensor::zeros(&[3, 0]));
    let grads = (a.matmul(b).sum() + a.sum()).backward();
    assert_eq!(
        grads.wrt(a).data(),
        &[1.0; 6],
        "gradient of [2, 3] x [3, 0]"
    );
}

#[test]
fn gradients_reject_vars_recorded_after_clear() {
    let mut tape = Tape::<f64>::new();
    let grads = {
        let x = tape.var(Tensor::new(vec![5.0], &[1]));
        (x * 3.0).sum().backward()
    };
    tape.clear();
    let fresh = tape.var(Tensor::new(vec![7.0], &[1]));
    // The new var reuses node 0, whose gradient in `grads` belongs to the
    // var of the previous step.
    let stale = panic_message(|| grads.get(fresh).cloned());
    assert!(
        stale.is_some(),
        "a var recorded after clear received a gradient of the previous step"
    );
}

#[test]

fn param_registered_again_with_other_values_panics() {
    let tape = Tape::<f64>::new();
    let id = ParamId::new();
    tape.param(id, &Tensor::new(vec![1.0], &[1]));
    let message = panic_message(|| tape.param(id, &Tensor::new(vec![2.0], &[1])));
    assert!(
        message.is_some(),
        "a second registration with other values silently reused the first"
    );
}

#[test]
fn param_first_recorded_under_no_grad_gets_gradient_later() {
    let tape = Tape::<f64>::new();
    let id = ParamId::new();
    let w = Tensor::new(vec![1.0, 2.0], &[2]);
    // An evaluation pass, then a training pass, on one tape.
    tape.no_grad(|| tape.param(id, &w).sum());
    let p = tape.param(id, &w);
    let grads = (p * p).sum().backward();
    assert_eq!(
        grads.param(id).map(|g| g.data().to_vec()),
        Some(vec![2.0, 4.0])
    );
}

#[test]
fn max_abs_diff_reports_nan() {
    let a = Tensor::new(vec![f64::NAN, 1.0], &[2]);
    let b = Tensor::new(vec![0.0, 1.0], &[2]);
    // A NaN difference reported as 0 passes every `< tolerance` check.
    assert!(a.max_abs_diff(&b).is_nan(), "{}", a.max_abs_diff(&b));
}

// ---------------------------------------------------------------------------
// Verified behaviour without earlier coverage
// ---------------------------------------------------------------------------

type Graph = Box<dyn for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>>;

/// Builds one graph per op family and shape path, for the buffer reuse test.
fn reuse_cases() -> Vec<(&'static str, Vec<Vec<usize>>, Graph)> {
    let conv2d = Conv2dConfig {
        stride: [2, 1],
        padding: [1, 2],
    };
    let conv1d = Conv1dConfig {
        stride: 2,
        padding: 1,
    };
    vec![
        (
            "matmul",
            vec![vec![5, 4], vec![4, 3]],
            Box::new(|v| v[0].matmul(v[1])),
        ),
        (
            "matmul packed",
            vec![vec![40, 50], vec![50, 30]],
            Box::new(|v| v[0].matmul(v[1])),
        ),
        (
            "batched matmul",
            vec![vec![2, 3, 4], vec![2, 4, 5]],
            Box::new(|v| v[0].matmul(v[1])),
        ),
        (
            "shared matmul",
            vec![vec![2, 3, 4], vec![4, 5]],
            Box::new(|v| v[0].matmul(v[1])),
        ),
        (
            "matmul of itself",
            vec![vec![4, 4]],
            Box::new(|v| v[0].matmul(v[0])),
        ),
        (
            "sum_axes",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].sum_axes(&[0, 2], false)),
        ),
        ("mean", vec![vec![3, 4, 5]], Box::new(|v| v[0].mean())),
        (
            "max_axes",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].max_axes(&[1], true)),
        ),
        (
            "var_axes",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].var_axes(&[-1, 0], false, 1)),
        ),
        (
            "sum over empty axis",
            vec![vec![0, 3]],
            Box::new(|v| v[0].sum_axes(&[0], false)),
        ),
        (
            "add broadcast",
            vec![vec![3, 1, 5], vec![4, 1]],
            Box::new(|v| v[0] + v[1]),
        ),
        (
            "mul broadcast",
            vec![vec![3, 1, 5], vec![4, 1]],
            Box::new(|v| v[0] * v[1]),
        ),
        (
            "div row",
            vec![vec![3, 5], vec![5]],
            Box::new(|v| v[0] / v[1]),
        ),
        (
            "maximum",
            vec![vec![3, 1, 5], vec![4, 1]],
            Box::new(|v| v[0].maximum(v[1])),
        ),
        (
            "broadcast_to",
            vec![vec![3, 1]],
            Box::new(|v| v[0].broadcast_to(&[2, 3, 4])),
        ),
        (
            "broadcast_to scalar",
            vec![vec![]],
            Box::new(|v| v[0].broadcast_to(&[2, 3])),
        ),
        (
            "softmax",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].softmax(1)),
        ),
        (
            "log_softmax",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].log_softmax(0)),
        ),
        (
            "permute",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].permute(&[2, 0, 1])),
        ),
        (
            "concat",
            vec![vec![3, 4], vec![3, 2]],
            Box::new(|v| Var::concat(&[v[0], v[1], v[0]], 1)),
        ),
        (
            "stack",
            vec![vec![3, 4], vec![3, 4]],
            Box::new(|v| Var::stack(&[v[0], v[1], v[0]], 1)),
        ),
        (
            "slice",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].slice(1, 1..3)),
        ),
        (
            "index_select",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].index_select(-1, &[4, 0, 4])),
        ),
        (
            "index_select of nothing",
            vec![vec![3, 4]],
            Box::new(|v| v[0].index_select(1, &[]).sum() + v[0].sum()),
        ),
        (
            "reshape",
            vec![vec![3, 4, 5]],
            Box::new(|v| v[0].reshape(&[12, 5])),
        ),
        (
            "detach",
            vec![vec![3, 4]],
            Box::new(|v| v[0].detach() * v[0]),
        ),
        (
            "unary chain",
            vec![vec![3, 4]],
            Box::new(|v| {
                let x = v[0].tanh().sigmoid().softplus().log_sigmoid();
                x.relu().leaky_relu(0.1).abs().square().clamp(0.0, 0.5) / 3.0
            }),
        ),
        (
            "conv2d",
            vec![vec![2, 3, 5, 6], vec![4, 3, 2, 3], vec![4]],
            Box::new(move |v| v[0].conv2d(v[1], Some(v[2]), conv2d)),
        ),
        (
            "conv2d packed",
            vec![vec![2, 8, 12, 12], vec![16, 8, 3, 3], vec![16]],
            Box::new(|v| v[0].conv2d(v[1], Some(v[2]), Conv2dConfig::default())),
        ),
        (
            "conv1d",
            vec![vec![2, 3, 7], vec![4, 3, 3]],
            Box::new(move |v| v[0].conv1d(v[1], None, conv1d)),
        ),
    ]
}

#[test]
fn reused_buffers_never_change_results() {
    // Ops write their outputs and gradients into buffers that earlier
    // steps used. A kernel that assumes a zeroed buffer shows here as a
    // difference from a fresh tape, whose buffers start zeroed.
    let mut rng = StdRng::seed_from_u64(6);
    for (name, shapes, graph) in reuse_cases() {
        let inputs: Vec<Tensor<f64>> = shapes.iter().map(|d| random(&mut rng, d)).collect();
        let run = |tape: &Tape<f64>| {
            let vars: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.var(x.clone())).collect();
            let y = graph(&vars);
            let value = y.to_tensor();
            let upstream = Tensor::from_fn(value.dims(), |i| 0.5 + (i % 7) as f64 * 0.25);
            let grads = y.backward_with(upstream);
            let gradients: Vec<Option<Tensor<f64>>> =
                vars.iter().map(|&v| grads.get(v).cloned()).collect();
            (value, gradients)
        };
        let (expected_value, expected_grads) = run(&Tape::new());

        let mut tape = Tape::new();
        for step in 0..3 {
            poison_pool(&mut tape);
            let (value, grads) = run(&tape);
            assert!(
                same_bits(&value, &expected_value),
                "{name}, step {step}: value {value:?}, expected {expected_value:?}"
            );
            for (input, (actual, expected)) in grads.iter().zip(&expected_grads).enumerate() {
                let same = match (actual, expected) {
                    (Some(a), Some(e)) => same_bits(a, e),
                    (None, None) => true,
                    _ => false,
                };
                assert!(
                    same,
                    "{name}, step {step}: gradient of input {input} is {actual:?}, \
                     expected {expected:?}"
                );
            }
            tape.clear();
        }
    }
}

#[test]
fn training_loop_with_varying_batch_matches_fresh_tape() {
    // Batch sizes change every step, so buffers of every length come and
    // go through the pool; some steps also keep their gradients alive.
    let mut rng = StdRng::seed_from_u64(11);
    let w1 = random(&mut rng, &[3, 8]);
    let w2 = random(&mut rng, &[8, 2]);
    let kernel = random(&mut rng, &[2, 1, 3]);
    let id = ParamId::new();
    let step = |tape: &Tape<f64>, x: &Tensor<f64>| {
        let a = tape.param(id, &w1);
        let b = tape.var(w2.clone());
        let k = tape.var(kernel.clone());
        let input = tape.constant_from_slice(x.data(), x.dims());
        let hidden = input.matmul(a).relu() + 0.1;
        let out = hidden.matmul(b).softmax(-1);
        let batch = x.dims()[0];
        let conv = input.reshape(&[batch, 1, 3]).conv1d(
            k,
            None,
            Conv1dConfig {
                stride: 1,
                padding: 1,
            },
        );
        let joined = Var::concat(&[hidden, hidden.slice(1, 0..3)], 1);
        let loss = out.log_softmax(0).mean()
            + conv.var(0)
            + hidden.max_axes(&[0], false).sum()
            + joined.square().mean()
            + (hidden / 3.0).sum();
        let grads = loss.backward();
        let result = (
            loss.item(),
            grads.wrt(a).clone(),
            grads.wrt(b).clone(),
            grads.wrt(k).clone(),
        );
        (result, grads)
    };

    let mut tape = Tape::<f64>::new();
    let mut kept = Vec::new();
    for index in 0..200 {
        let batch = rng.random_range(1..40);
        let x = random(&mut rng, &[batch, 3]);
        tape.clear();
        let (actual, grads) = step(&tape, &x);
        if index % 7 == 0 {
            // Gradients outliving their step hand their buffers back late.
            kept.push(grads);
        } else {
            drop(grads);
        }
        let (expected, _) = step(&Tape::new(), &x);
        assert_eq!(
            actual.0.to_bits(),
            expected.0.to_bits(),
            "loss at step {index}"
        );
        assert!(
            same_bits(&actual.1, &expected.1),
            "gradient of a at step {index}"
        );
        assert!(
            same_bits(&actual.2, &expected.2),
            "gradient of b at step {index}"
        );
        assert!(
            same_bits(&actual.3, &expected.3),
            "gradient of k at step {index}"
        );
        if kept.len() > 3 {
            kept.remove(0);
        }
    }
}

/// Draws two dims that broadcast together, from one output shape with axes
/// dropped on the left or set to 1, and returns the shape they broadcast to.
fn broadcast_pair(rng: &mut StdRng) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let out = random_dims(rng, 4);
    let operand = |rng: &mut StdRng| -> Vec<usize> {
        let keep = rng.random_range(0..=out.len());
        out[out.len() - keep..]
            .iter()
            .map(|&d| if rng.random_bool(0.4) { 1 } else { d })
            .collect()
    };
    let a = operand(rng);
    let b = operand(rng);
    let rank = a.len().max(b.len());
    let dim = |dims: &[usize], axis: usize| {
        let pad = rank - dims.len();
        if axis < pad {
            1
        } else {
            dims[axis - pad]
        }
    };
    let broadcast = (0..rank)
        .map(|axis| match dim(&a, axis) {
            1 => dim(&b, axis),
            d => d,
        })
        .collect();
    (a, b, broadcast)
}

/// Returns the value and partial derivatives `(d/da, d/db)` of binary op
/// `op`.
fn binary_reference(op: usize, a: f64, b: f64) -> (f64, f64, f64) {
    let pick = |first: bool, second: bool| match (first, second) {
        (true, _) => (1.0, 0.0),
        (_, true) => (0.0, 1.0),
        _ => (0.5, 0.5),
    };
    match op {
        0 => (a + b, 1.0, 1.0),
        1 => (a - b, 1.0, -1.0),
        2 => (a * b, b, a),
        3 => (a / b, 1.0 / b, -a / (b * b)),
        4 => {
            let (da, db) = pick(a > b, a < b);
            (a.max(b), da, db)
        }
        _ => {
            let (da, db) = pick(a < b, a > b);
            (a.min(b), da, db)
        }
    }
}

#[test]
fn broadcast_binary_ops_match_loops() {
    let names = ["add", "sub", "mul", "div", "maximum", "minimum"];
    let mut rng = StdRng::seed_from_u64(1);
    for iteration in 0..600 {
        let (a_dims, b_dims, out_dims) = broadcast_pair(&mut rng);
        let a = random(&mut rng, &a_dims);
        let mut b = random(&mut rng, &b_dims);
        if iteration % 3 == 0 && !a.is_empty() && !b.is_empty() {
            // A tie, for maximum and minimum.
            b.data_mut()[0] = a.data()[0];
        }
        let upstream = random(&mut rng, &out_dims);
        for (op, name) in names.iter().enumerate() {
            let context = format!("{name} of {a_dims:?} and {b_dims:?}");
            let tape = Tape::<f64>::new();
            let (x, y) = (tape.var(a.clone()), tape.var(b.clone()));
            let z = match op {
                0 => x + y,
                1 => x - y,
                2 => x * y,
                3 => x / y,
                4 => x.maximum(y),
                _ => x.minimum(y),
            };
            assert_eq!(z.value().dims(), &out_dims[..], "{context}: shape");

            let mut value = vec![0.0; upstream.len()];
            let mut grad_a = vec![0.0; a.len()];
            let mut grad_b = vec![0.0; b.len()];
            for (flat, slot) in value.iter_mut().enumerate() {
                let index = unravel(flat, &out_dims);
                let (ia, ib) = (
                    broadcast_source(&index, &a_dims),
                    broadcast_source(&index, &b_dims),
                );
                let (v, da, db) = binary_reference(op, a.data()[ia], b.data()[ib]);
                *slot = v;
                grad_a[ia] += upstream.data()[flat] * da;
                grad_b[ib] += upstream.data()[flat] * db;
            }
            assert_all_close(z.value().data(), &value, 1e-14, &context);
            let grads = z.backward_with(upstream.clone());
            assert_eq!(
                grads.wrt(x).dims(),
                &a_dims[..],
                "{context}: lhs gradient shape"
            );
            assert_eq!(
                grads.wrt(y).dims(),
                &b_dims[..],
                "{context}: rhs gradient shape"
            );
            assert_all_close(grads.wrt(x).data(), &grad_a, 1e-12, &context);
            assert_all_close(grads.wrt(y).data(), &grad_b, 1e-12, &context);
        }
    }
}

/// Draws a random subset of the axes, shuffled, each possibly negative.
fn random_axes(rng: &mut StdRng, rank: usize) -> Vec<isize> {
    let mut axes = Vec::new();
    for axis in 0..rank {
        if rng.random_bool(0.5) {
            axes.push(signed_axis(rng, axis, rank));
        }
    }
    for i in (1..axes.len()).rev() {
        let j = rng.random_range(0..=i);
        axes.swap(i, j);
    }
    axes
}

#[test]
fn reductions_match_loops_over_random_axes() {
    let names = ["sum", "mean", "max", "var(0)", "var(1)"];
    let mut rng = StdRng::seed_from_u64(2);
    for iteration in 0..600 {
        let dims = random_dims(&mut rng, 4);
        let rank = dims.len();
        let mut input = random(&mut rng, &dims);
        if iteration % 4 == 0 {
            // Integers, so that maxima tie.
            input = input.map(f64::round);
        }
        let axes = random_axes(&mut rng, rank);
        let keepdim = rng.random_bool(0.5);
        let reduced: Vec<usize> = axes
            .iter()
            .map(|&a| (if a < 0 { a + rank as isize } else { a }) as usize)
            .collect();
        let kept: Vec<usize> = (0..rank)
            .map(|axis| {
                if reduced.contains(&axis) {
                    1
                } else {
                    dims[axis]
                }
            })
            .collect();
        let out_dims: Vec<usize> = if keepdim {
            kept.clone()
        } else {
            (0..rank)
                .filter(|axis| !reduced.contains(axis))
                .map(|axis| dims[axis])
                .collect()
        };
        let count: usize = reduced.iter().map(|&axis| dims[axis]).product();
        let slots: usize = kept.iter().product();

        // Reference sums, maxima, tie counts and squared deviations per slot.
        let slot_of = |flat: usize| broadcast_source(&unravel(flat, &dims), &kept);
        let mut sums = vec![0.0; slots];
        let mut maxima = vec![f64::NEG_INFINITY; slots];
        for (flat, &x) in input.data().iter().enumerate() {
            sums[slot_of(flat)] += x;
            maxima[slot_of(flat)] = maxima[slot_of(flat)].max(x);
        }
        let means: Vec<f64> = sums.iter().map(|s| s / count as f64).collect();
        let mut squares = vec![0.0; slots];
        let mut ties = vec![0.0; slots];
        for (flat, &x) in input.data().iter().enumerate() {
            let slot = slot_of(flat);
            squares[slot] += (x - means[slot]).powi(2);
            if x == maxima[slot] {
                ties[slot] += 1.0;
            }
        }

        for (op, name) in names.iter().enumerate() {
            let correction = usize::from(op == 4);
            let context = format!("{name} of {dims:?} over {axes:?}, keepdim {keepdim}");
            let tape = Tape::<f64>::new();
            let x = tape.var(input.clone());
            let result = catch_unwind(AssertUnwindSafe(|| match op {
                0 => x.sum_axes(&axes, keepdim),
                1 => x.mean_axes(&axes, keepdim),
                2 => x.max_axes(&axes, keepdim),
                _ => x.var_axes(&axes, keepdim, correction),
            }));
            let invalid =
                slots > 0 && ((op == 2 && count == 0) || (op >= 3 && count <= correction));
            let y = match result {
                Ok(y) => y,
                Err(_) => {
                    assert!(invalid, "{context}: panicked");
                    continue;
                }
            };
            assert!(!invalid, "{context}: returned instead of panicking");
            assert_eq!(y.value().dims(), &out_dims[..], "{context}: shape");
            let divisor = count as f64 - correction as f64;
            let expected: Vec<f64> = match op {
                0 => sums.clone(),
                1 => means.clone(),
                2 => maxima.clone(),
                _ => squares.iter().map(|s| s / divisor).collect(),
            };
            assert_all_close(y.value().data(), &expected, 1e-12, &context);

            let upstream = random(&mut rng, &out_dims);
            let grads = y.backward_with(upstream.clone());
            let expected: Vec<f64> = input
                .data()
                .iter()
                .enumerate()
                .map(|(flat, &x)| {
                    let slot = slot_of(flat);
                    let g = upstream.data()[slot];
                    match op {
                        0 => g,
                        1 => g / count as f64,
                        2 if x == maxima[slot] => g / ties[slot],
                        2 => 0.0,
                        _ => g * 2.0 * (x - means[slot]) / divisor,
                    }
                })
                .collect();
            assert_all_close(grads.wrt(x).data(), &expected, 1e-12, &context);
        }
    }
}

#[test]
fn softmax_matches_loops_along_each_axis() {
    let mut rng = StdRng::seed_from_u64(3);
    for _ in 0..300 {
        let dims = random_dims(&mut rng, 4);
        if dims.is_empty() {
            continue;
        }
        // Magnitudes up to 100, so that an unshifted exp would overflow.
        let input = random(&mut rng, &dims).map(|v| v * 50.0);
        let axis = rng.random_range(0..dims.len());
        let axis_arg = signed_axis(&mut rng, axis, dims.len());
        let lane = |flat: usize| -> Vec<usize> {
            let index = unravel(flat, &dims);
            (0..dims[axis])
                .map(|j| {
                    let mut other = index.clone();
                    other[axis] = j;
                    ravel(&other, &dims)
                })
                .collect()
        };
        for log in [false, true] {
            let context = format!("log {log}, dims {dims:?}, axis {axis_arg}");
            let tape = Tape::<f64>::new();
            let x = tape.var(input.clone());
            let y = if log {
                x.log_softmax(axis_arg)
            } else {
                x.softmax(axis_arg)
            };
            let value = y.to_tensor();
            let expected: Vec<f64> = (0..input.len())
                .map(|flat| {
                    let members = lane(flat);
                    let max = members
                        .iter()
                        .map(|&m| input.data()[m])
                        .fold(f64::NEG_INFINITY, f64::max);
                    let total: f64 = members.iter().map(|&m| (input.data()[m] - max).exp()).sum();
                    let shifted = input.data()[flat] - max;
                    if log {
                        shifted - total.ln()
                    } else {
                        shifted.exp() / total
                    }
                })
                .collect();
            assert_all_close(value.data(), &expected, 1e-12, &context);

            // The vector-Jacobian product, summed over each lane.
            let upstream = random(&mut rng, &dims);
            let grads = y.backward_with(upstream.clone());
            let softmax = |i: usize| {
                if log {
                    value.data()[i].exp()
                } else {
                    value.data()[i]
                }
            };
            let expected: Vec<f64> = (0..input.len())
                .map(|i| {
                    lane(i)
                        .iter()
                        .map(|&j| {
                            let delta = if i == j { 1.0 } else { 0.0 };
                            let dy_j = if log {
                                delta - softmax(i)
                            } else {
                                value.data()[j] * (delta - value.data()[i])
                            };
                            upstream.data()[j] * dy_j
                        })
                        .sum()
                })
                .collect();
            assert_all_close(grads.wrt(x).data(), &expected, 1e-10, &context);
        }
    }
}

#[test]
fn layout_ops_match_loops() {
    let mut rng = StdRng::seed_from_u64(4);
    for _ in 0..400 {
        let dims = random_dims(&mut rng, 4);
        let rank = dims.len();
        let input = random(&mut rng, &dims);

        // permute
        let mut perm: Vec<usize> = (0..rank).collect();
        for i in (1..rank).rev() {
            let j = rng.random_range(0..=i);
            perm.swap(i, j);
        }
        let perm_args: Vec<isize> = perm
            .iter()
            .map(|&p| signed_axis(&mut rng, p, rank))
            .collect();
        let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
        let context = format!("permute {dims:?} by {perm_args:?}");
        let tape = Tape::<f64>::new();
        let x = tape.var(input.clone());
        let y = x.permute(&perm_args);
        assert_eq!(y.value().dims(), &out_dims[..], "{context}");
        let source = |flat: usize| {
            let out_index = unravel(flat, &out_dims);
            let mut index = vec![0; rank];
            for (k, &p) in perm.iter().enumerate() {
                index[p] = out_index[k];
            }
            ravel(&index, &dims)
        };
        let upstream = random(&mut rng, &out_dims);
        let mut grad = vec![0.0; input.len()];
        for flat in 0..upstream.len() {
            assert_eq!(
                y.value().data()[flat],
                input.data()[source(flat)],
                "{context}"
            );
            grad[source(flat)] = upstream.data()[flat];
        }
        assert_eq!(
            y.backward_with(upstream).wrt(x).data(),
            &grad[..],
            "{context}"
        );
        if rank == 0 {
            continue;
        }

        let axis = rng.random_range(0..rank);
        let axis_arg = signed_axis(&mut rng, axis, rank);
        let size = dims[axis];
        let moved = |flat: usize, out_dims: &[usize], map: &dyn Fn(usize) -> usize| {
            let mut index = unravel(flat, out_dims);
            index[axis] = map(index[axis]);
            ravel(&index, &dims)
        };

        // slice, possibly empty
        let start = rng.random_range(0..=size);
        let end = rng.random_range(start..=size);
        let mut out_dims = dims.clone();
        out_dims[axis] = end - start;
        let context = format!("slice {dims:?} on axis {axis_arg} by {start}..{end}");
        let tape = Tape::<f64>::new();
        let x = tape.var(input.clone());
        let y = x.slice(axis_arg, start..end);
        assert_eq!(y.value().dims(), &out_dims[..], "{context}");
        let upstream = random(&mut rng, &out_dims);
        let mut grad = vec![0.0; input.len()];
        for flat in 0..upstream.len() {
            let from = moved(flat, &out_dims, &|i| i + start);
            assert_eq!(y.value().data()[flat], input.data()[from], "{context}");
            grad[from] += upstream.data()[flat];
        }
        assert_eq!(
            y.backward_with(upstream).wrt(x).data(),
            &grad[..],
            "{context}"
        );

        // index_select with repeats, possibly of no indices
        let count = if size == 0 { 0 } else { rng.random_range(0..5) };
        let indices: Vec<usize> = (0..count).map(|_| rng.random_range(0..size)).collect();
        let mut out_dims = dims.clone();
        out_dims[axis] = indices.len();
        let context = format!("index_select {dims:?} on axis {axis_arg} at {indices:?}");
        let tape = Tape::<f64>::new();
        let x = tape.var(input.clone());
        let y = x.index_select(axis_arg, &indices);
        assert_eq!(y.value().dims(), &out_dims[..], "{context}");
        let upstream = random(&mut rng, &out_dims);
        let mut grad = vec![0.0; input.len()];
        for flat in 0..upstream.len() {
            let from = moved(flat, &out_dims, &|i| indices[i]);
            assert_eq!(y.value().data()[flat], input.data()[from], "{context}");
            grad[from] += upstream.data()[flat];
        }
        let grads = y.backward_with(upstream);
        assert_all_close(grads.wrt(x).data(), &grad, 1e-14, &context);

        // concat of parts with random sizes on the axis, some empty
        let parts: Vec<Tensor<f64>> = (0..rng.random_range(1..4))
            .map(|_| {
                let mut part_dims = dims.clone();
                part_dims[axis] = rng.random_range(0..3);
                random(&mut rng, &part_dims)
            })
            .collect();
        let mut out_dims = dims.clone();
        out_dims[axis] = parts.iter().map(|p| p.dims()[axis]).sum();
        let context = format!("concat of {} parts on axis {axis_arg}", parts.len());
        let tape = Tape::<f64>::new();
        let vars: Vec<Var<'_, f64>> = parts.iter().map(|p| tape.var(p.clone())).collect();
        let y = Var::concat(&vars, axis_arg);
        assert_eq!(y.value().dims(), &out_dims[..], "{context}");
        let upstream = random(&mut rng, &out_dims);
        let grads = y.backward_with(upstream.clone());
        for flat in 0..upstream.len() {
            let mut index = unravel(flat, &out_dims);
            let mut part = 0;
            while index[axis] >= parts[part].dims()[axis] {
                index[axis] -= parts[part].dims()[axis];
                part += 1;
            }
            let inner = ravel(&index, parts[part].dims());
            assert_eq!(
                y.value().data()[flat],
                parts[part].data()[inner],
                "{context}"
            );
            assert_eq!(
                grads.wrt(vars[part]).data()[inner],
                upstream.data()[flat],
                "{context}"
            );
        }

        // stack on a new axis anywhere, including after the last
        let parts: Vec<Tensor<f64>> = (0..rng.random_range(1..4))
            .map(|_| random(&mut rng, &dims))
            .collect();
        let new_axis = rng.random_range(0..=rank);
        let new_axis_arg = signed_axis(&mut rng, new_axis, rank + 1);
        let mut out_dims = dims.clone();
        out_dims.insert(new_axis, parts.len());
        let context = format!("stack of {} on axis {new_axis_arg}", parts.len());
        let tape = Tape::<f64>::new();
        let vars: Vec<Var<'_, f64>> = parts.iter().map(|p| tape.var(p.clone())).collect();
        let y = Var::stack(&vars, new_axis_arg);
        assert_eq!(y.value().dims(), &out_dims[..], "{context}");
        let upstream = random(&mut rng, &out_dims);
        let grads = y.backward_with(upstream.clone());
        for flat in 0..upstream.len() {
            let mut index = unravel(flat, &out_dims);
            let part = index.remove(new_axis);
            let inner = ravel(&index, &dims);
            assert_eq!(
                y.value().data()[flat],
                parts[part].data()[inner],
                "{context}"
            );
            assert_eq!(
                grads.wrt(vars[part]).data()[inner],
                upstream.data()[flat],
                "{context}"
            );
        }
    }
}

#[test]
fn matmul_matches_loops_for_random_sizes() {
    // Sizes up to 40 cross the switch between the plain loops and the
    // packed GEMM; zero sizes and batches of 0 are included.
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..300 {
        let batch = rng.random_range(0..4);
        let (m, k, n) = (
            rng.random_range(0..40),
            rng.random_range(0..40),
            rng.random_range(0..40),
        );
        let form = rng.random_range(0..3);
        let (a_dims, b_dims, out_dims) = match form {
            0 => (vec![m, k], vec![k, n], vec![m, n]),
            1 => (vec![batch, m, k], vec![batch, k, n], vec![batch, m, n]),
            _ => (vec![batch, m, k], vec![k, n], vec![batch, m, n]),
        };
        let entries = if form == 0 { 1 } else { batch };
        let context = format!("{a_dims:?} x {b_dims:?}");
        let a = random(&mut rng, &a_dims);
        let b = random(&mut rng, &b_dims);
        let upstream = random(&mut rng, &out_dims);
        let tape = Tape::<f64>::new();
        let (x, y) = (tape.var(a.clone()), tape.var(b.clone()));
        let z = x.matmul(y);
        assert_eq!(z.value().dims(), &out_dims[..], "{context}");

        let mut value = vec![0.0; upstream.len()];
        let mut grad_a = vec![0.0; a.len()];
        let mut grad_b = vec![0.0; b.len()];
        for t in 0..entries {
            for i in 0..m {
                for j in 0..n {
                    let out = t * m * n + i * n + j;
                    for p in 0..k {
                        let ia = t * m * k + i * k + p;
                        let ib = if form == 2 {
                            p * n + j
                        } else {
                            t * k * n + p * n + j
                        };
                        value[out] += a.data()[ia] * b.data()[ib];
                        grad_a[ia] += upstream.data()[out] * b.data()[ib];
                        grad_b[ib] += upstream.data()[out] * a.data()[ia];
                    }
                }
            }
        }
        assert_all_close(z.value().data(), &value, 1e-12, &context);
        let grads = z.backward_with(upstream);
        assert_all_close(grads.wrt(x).data(), &grad_a, 1e-12, &context);
        assert_all_close(grads.wrt(y).data(), &grad_b, 1e-12, &context);
    }
}

#[test]
fn conv2d_matches_loops_for_random_geometry() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut checked = 0;
    while checked < 60 {
        let batch = rng.random_range(0..3);
        let (in_channels, out_channels) = (rng.random_range(1..4), rng.random_range(1..4));
        let kernel = [rng.random_range(1..5), rng.random_range(1..5)];
        let stride = [rng.random_range(1..4), rng.random_range(1..4)];
        let padding = [rng.random_range(0..4), rng.random_range(0..4)];
        let size = [rng.random_range(0..7), rng.random_range(0..7)];
        if (0..2).any(|axis| kernel[axis] > size[axis] + 2 * padding[axis]) {
            continue;
        }
        checked += 1;
        let x = random(&mut rng, &[batch, in_channels, size[0], size[1]]);
        let w = random(&mut rng, &[out_channels, in_channels, kernel[0], kernel[1]]);
        let bias = random(&mut rng, &[out_channels]);
        let config = Conv2dConfig { stride, padding };
        let context = format!("input {:?}, weight {:?}, {config:?}", x.dims(), w.dims());
        let tape = Tape::<f64>::new();
        let y =
            tape.var(x.clone())
                .conv2d(tape.var(w.clone()), Some(tape.var(bias.clone())), config);
        let out: Vec<usize> = (0..2)
            .map(|axis| (size[axis] + 2 * padding[axis] - kernel[axis]) / stride[axis] + 1)
            .collect();
        assert_eq!(
            y.value().dims(),
            &[batch, out_channels, out[0], out[1]],
            "{context}"
        );
        let value = y.to_tensor();
        for (flat, &actual) in value.data().iter().enumerate() {
            let [n, o, i, j] = unravel(flat, value.dims())[..] else {
                unreachable!("the output is 4-D");
            };
            let mut expected = bias.data()[o];
            for c in 0..in_channels {
                for ki in 0..kernel[0] {
                    for kj in 0..kernel[1] {
                        let row = (i * stride[0] + ki).checked_sub(padding[0]);
                        let col = (j * stride[1] + kj).checked_sub(padding[1]);
                        if let (Some(row), Some(col)) = (row, col) {
                            if row < size[0] && col < size[1] {
                                expected += w.get(&[o, c, ki, kj]) * x.get(&[n, c, row, col]);
                            }
                        }
                    }
                }
            }
            assert!(
                close(actual, expected, 1e-12),
                "{context}: element {flat} is {actual}, expected {expected}"
            );
        }
        if !x.is_empty() {
            let report = gradcheck(
                move |v| v[0].conv2d(v[1], Some(v[2]), config),
                &[x, w, bias],
            );
            assert!(report.is_ok(), "{context}: {}", report.unwrap_err());
        }
    }
}

/// Records op number `op` on either float type, for comparing f32 with f64.
fn either_float<'t, T: Float>(op: usize, v: &[Var<'t, T>]) -> Var<'t, T> {
    let half = T::from_f64(0.5);
    match op {
        0 => v[0].matmul(v[1]),
        1 => v[0].sigmoid() * v[1].tanh().transpose(),
        2 => v[0].softplus().log_sigmoid() + v[0].abs().sqrt(),
        3 => v[0].softmax(-1) + v[0].log_softmax(0),
        4 => v[0].var_axes(&[0], true, 1) + v[0].max_axes(&[1], true),
        5 => v[0].exp().ln() * half + v[0].square().recip().clamp(T::ZERO, T::ONE),
        6 => {
            let (rows, cols) = (v[0].shape()[0], v[0].shape()[1]);
            let side = v[1].shape()[0].min(v[1].shape()[1]).min(3);
            let kernel = v[1].slice(0, 0..side).slice(1, 0..side);
            let config = Conv2dConfig {
                stride: [1, 2],
                padding: [2, 1],
            };
            v[0].reshape(&[1, 1, rows, cols]).conv2d(
                kernel.reshape(&[1, 1, side, side]),
                None,
                config,
            )
        }
        7 => {
            let x = v[0].powf(T::from_f64(2.0)) / T::from_f64(3.0);
            x - v[0].leaky_relu(T::from_f64(0.01)).relu()
        }
        _ => Var::concat(&[v[0], v[0].slice(1, 0..1)], 1).index_select(0, &[0, 0]),
    }
}

#[test]
fn f32_matches_f64() {
    let mut rng = StdRng::seed_from_u64(10);
    for op in 0..9 {
        for _ in 0..15 {
            // At least 2 rows, for the variance with correction 1.
            let (m, k) = (rng.random_range(2..60), rng.random_range(1..60));
            let a = random(&mut rng, &[m, k]);
            let b = random(&mut rng, &[k, m]);

            let wide = Tape::<f64>::new();
            let wide_vars = [wide.var(a.clone()), wide.var(b.clone())];
            let wide_out = either_float(op, &wide_vars);
            let wide_grads = wide_out.sum().backward();
            let narrow = Tape::<f32>::new();
            let narrow_vars = [narrow.var(a.cast()), narrow.var(b.cast())];
            let narrow_out = either_float(op, &narrow_vars);
            let narrow_grads = narrow_out.sum().backward();

            // f32 rounding grows with the length of the sums inside an op.
            let tolerance = 1e-4 * (m.max(k) as f64).sqrt();
            let scale = |t: &Tensor<f64>| t.data().iter().fold(1.0, |s: f64, v| s.max(v.abs()));
            let expected = wide_out.to_tensor();
            let difference = narrow_out.to_tensor().cast::<f64>().max_abs_diff(&expected);
            assert!(
                difference <= tolerance * scale(&expected),
                "op {op}, [{m}, {k}]: values differ by {difference}"
            );
            for input in 0..2 {
                let (Some(narrow_grad), Some(wide_grad)) = (
                    narrow_grads.get(narrow_vars[input]),
                    wide_grads.get(wide_vars[input]),
                ) else {
                    continue;
                };
                let difference = narrow_grad.cast::<f64>().max_abs_diff(wide_grad);
                assert!(
                    difference <= tolerance * scale(wide_grad),
                    "op {op}, [{m}, {k}]: gradients of input {input} differ by {difference}"
                );
            }
        }
    }
}

#[test]
fn mixing_tapes_panics_naming_op() {
    let first = Tape::<f64>::new();
    let second = Tape::<f64>::new();
    let a = first.var(Tensor::ones(&[1, 1, 3]));
    let b = second.var(Tensor::ones(&[1, 1, 3]));
    let w = second.var(Tensor::ones(&[1, 1, 1]));
    let image = first.var(Tensor::ones(&[1, 1, 2, 2]));
    let kernel = second.var(Tensor::ones(&[1, 1, 1, 1]));
    let own_kernel = first.var(Tensor::ones(&[1, 1, 1, 1]));
    let bias = second.var(Tensor::ones(&[1]));
    let m1 = first.var(Tensor::ones(&[2, 2]));
    let m2 = second.var(Tensor::ones(&[2, 2]));

    type Case<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let cases: Vec<Case<'_>> = vec![
        ("add", Box::new(|| _ = a + b)),
        ("sub", Box::new(|| _ = a - b)),
        ("mul", Box::new(|| _ = a * b)),
        ("div", Box::new(|| _ = a / b)),
        ("maximum", Box::new(|| _ = a.maximum(b))),
        ("minimum", Box::new(|| _ = a.minimum(b))),
        ("matmul", Box::new(|| _ = m1.matmul(m2))),
        (
            "conv1d",
            Box::new(|| _ = a.conv1d(w, None, Conv1dConfig::default())),
        ),
        (
            "conv2d",
            Box::new(|| _ = image.conv2d(kernel, None, Conv2dConfig::default())),
        ),
        (
            "conv2d",
            Box::new(|| _ = image.conv2d(own_kernel, Some(bias), Conv2dConfig::default())),
        ),
        ("concat", Box::new(|| _ = Var::concat(&[a, b], 0))),
        ("stack", Box::new(|| _ = Var::stack(&[a, b], 0))),
        ("cube", Box::new(|| _ = Var::apply(Cube, &[a, b]))),
    ];

    for (op, case) in cases {
        let message = panic_message(case).unwrap_or_else(|| panic!("{op} of two tapes returned"));
        assert_eq!(
            message,
            format!("{op}: the operands are on different tapes; record both on one tape")
        );
    }

    let grads = (a * 2.0).sum().backward();
    let message = panic_message(|| grads.get(b).is_some()).expect("Gradients::get panics");
    assert!(
        message.starts_with("Gradients::get: the var is on a different tape"),
        "{message}"
    );
}

/// `x^3` per input, summed over inputs of one shape, with derivative `3x^2`.
struct Cube;

impl CustomOp<f64> for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
        let mut out = Tensor::zeros(inputs[0].dims());
        for input in inputs {
            for (o, &x) in out.data_mut().iter_mut().zip(input.data()) {
                *o += x * x * x;
            }
        }
        Ok(out)
    }

    fn backward(
        &self,
        inputs: &[&Tensor<f64>],
        _output: &Tensor<f64>,
        grad_output: &Tensor<f64>,
    ) -> Vec<Option<Tensor<f64>>> {
        inputs
            .iter()
            .map(|x| {
                let grad = Tensor::from_fn(x.dims(), |i| {
                    3.0 * x.data()[i] * x.data()[i] * grad_output.data()[i]
                });
                Some(grad)
            })
            .collect()
    }
}

/// A custom op whose backward returns gradients of the wrong shape or count.
struct Faulty {
    flatten_gradient: bool,
}

impl CustomOp<f64> for Faulty {
    fn name(&self) -> &'static str {
        "faulty"
    }

    fn forward(&self, inputs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
        Ok(inputs[0].clone())
    }

    fn backward(
        &self,
        _inputs: &[&Tensor<f64>],
        _output: &Tensor<f64>,
        grad_output: &Tensor<f64>,
    ) -> Vec<Option<Tensor<f64>>> {
        if self.flatten_gradient {
            vec![Some(grad_output.clone().reshaped(&[grad_output.len()]))]
        } else {
            Vec::new()
        }
    }
}

#[test]
fn custom_op_bad_backward_panics_naming_op() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    let wrong_shape = Faulty {
        flatten_gradient: true,
    };
    let message = panic_message(|| Var::apply(wrong_shape, &[x]).sum().backward())
        .expect("a gradient of the wrong shape panics");
    assert_eq!(
        message,
        "custom op `faulty`: backward returned a gradient of shape [4] for input 0 of shape \
         [2, 2]; each gradient must have its input's shape"
    );
    let wrong_count = Faulty {
        flatten_gradient: false,
    };
    let message = panic_message(|| Var::apply(wrong_count, &[x]).sum().backward())
        .expect("too few gradients panic");
    assert_eq!(
        message,
        "custom op `faulty`: backward returned 0 gradients for 1 inputs; return one (or None) \
         per input"
    );
    // The tape stays usable after the panics.
    let grads = (x * x).sum().backward();
    assert_eq!(grads.wrt(x).data(), &[2.0, 4.0, 6.0, 8.0]);
}

#[test]
fn one_var_as_every_operand() {
    // Each op receives the same var in every operand slot, so its gradient
    // is the sum over the slots. Gradcheck compares that sum with the
    // derivative of the whole expression.
    let square: Tensor<f64> = Tensor::new(vec![0.7, -1.3, 0.4, 1.9], &[2, 2]);
    let image = Tensor::new(vec![0.7, -1.3, 0.4, 1.9], &[1, 1, 2, 2]);
    type Case = (&'static str, Tensor<f64>, Graph);
    let cases: Vec<Case> = vec![
        ("x * x", square.clone(), Box::new(|v| v[0] * v[0])),
        ("x / x", square.clone(), Box::new(|v| v[0] / v[0])),
        ("x - x", square.clone(), Box::new(|v| v[0] - v[0])),
        (
            "maximum(x, x)",
            square.clone(),
            Box::new(|v| v[0].maximum(v[0])),
        ),
        (
            "minimum(x, x)",
            square.clone(),
            Box::new(|v| v[0].minimum(v[0])),
        ),
        (
            "x matmul x",
            square.clone(),
            Box::new(|v| v[0].matmul(v[0])),
        ),
        (
            "concat(x, x)",
            square.clone(),
            Box::new(|v| Var::concat(&[v[0], v[0]], 0)),
        ),
        (
            "stack(x, x)",
            square.clone(),
            Box::new(|v| Var::stack(&[v[0], v[0]], -1)),
        ),
        (
            "cube(x, x)",
            square.clone(),
            Box::new(|v| Var::apply(Cube, &[v[0], v[0]])),
        ),
        (
            "conv2d(x, x)",
            image,
            Box::new(|v| {
                let bias = v[0].reshape(&[4]).slice(0, 0..1);
                v[0].conv2d(v[0], Some(bias), Conv2dConfig::default())
            }),
        ),
    ];
    for (name, input, graph) in cases {
        let report = gradcheck(&*graph, &[input]);
        assert!(report.is_ok(), "{name}: {}", report.unwrap_err());
    }
}

#[test]
fn backward_twice_and_from_inner_node() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![0.5, -1.0, 2.0], &[3]));
    let e = x.exp();
    let total = e.sum();
    let loss = (total * 2.0).ln();

    let first = loss.backward();
    let second = loss.backward();
    assert_eq!(
        first.wrt(x),
        second.wrt(x),
        "a second pass changed the gradient"
    );

    // d ln(2 s) / d s = 1 / s, and d s / d x = e^x.
    let s: f64 = [0.5f64, -1.0, 2.0].iter().map(|v| v.exp()).sum();
    assert_all_close(
        first.wrt(total).data(),
        &[1.0 / s],
        1e-15,
        "d loss / d total",
    );
    let expected: Vec<f64> = [0.5f64, -1.0, 2.0].iter().map(|v| v.exp() / s).collect();
    assert_all_close(first.wrt(x).data(), &expected, 1e-15, "d loss / d x");
    assert_all_close(first.wrt(e).data(), &[1.0 / s; 3], 1e-15, "d loss / d e");

    // From the inner node the later ops do not count: d total / d x = e^x.
    let inner = total.backward();
    let expected: Vec<f64> = [0.5f64, -1.0, 2.0].iter().map(|v| v.exp()).collect();
    assert_all_close(inner.wrt(x).data(), &expected, 1e-15, "d total / d x");
    assert!(
        inner.get(loss).is_none(),
        "a later node received a gradient"
    );
}

#[test]
fn param_registered_twice_is_one_var() {
    let tape = Tape::<f64>::new();
    let id = ParamId::new();
    let unused = ParamId::new();
    let w = Tensor::new(vec![1.0, -2.0], &[2]);
    let first = tape.param(id, &w);
    let second = tape.param(id, &w);
    tape.param(unused, &Tensor::zeros(&[3]));
    // Two uses: 3 w and w^2, so the gradient is 3 + 2 w.
    let grads = ((first * 3.0).sum() + second.square().sum()).backward();
    assert_eq!(grads.param(id).unwrap().data(), &[5.0, -1.0]);
    assert_eq!(grads.wrt(first), grads.wrt(second));
    let listed: Vec<ParamId> = grads.params().map(|(pid, _)| pid).collect();
    assert_eq!(listed, vec![id, unused]);
    assert_eq!(grads.params_without_grad(), vec![unused]);

    let message = panic_message(|| tape.param(id, &Tensor::zeros(&[3])))
        .expect("another shape for a registered id panics");
    assert!(
        message.contains("already on this tape with shape [2]"),
        "{message}"
    );
}

/// Runs one training step whose forward pass takes scratch buffers (the
/// differences of `mse_loss`, the columns of `conv1d`, the means of
/// `var_axes`) between node values, and returns the addresses of the values
/// it records.
fn step_with_scratch_buffers(tape: &mut Tape<f64>, id: ParamId) -> Vec<usize> {
    tape.clear();
    let x = tape.constant_from_slice(&[0.5, -1.0, 2.0, 0.25, 1.5, -0.75], &[2, 3]);
    let w = tape.param(id, &Tensor::new(vec![0.1, 0.2, 0.3], &[3]));
    let h = x + w;
    let with_loss = h + h.mse_loss(x);
    let kernel = tape.constant_from_slice(&[0.5, -0.5, 1.0, 0.25], &[2, 1, 2]);
    let conv = with_loss
        .reshape(&[2, 1, 3])
        .conv1d(kernel, None, Conv1dConfig::default());
    let spread = conv.var_axes(&[-1], false, 1);
    let loss = with_loss.sum() + conv.sum() + spread.sum();
    drop(loss.backward());
    [h, with_loss, conv, spread, loss]
        .iter()
        .map(|var| var.value().data().as_ptr() as usize)
        .collect()
}

#[test]
fn scratch_keeps_step_buffers() {
    let mut tape = Tape::<f64>::new();
    let id = ParamId::new();
    for _ in 0..4 {
        step_with_scratch_buffers(&mut tape, id);
    }
    let settled = step_with_scratch_buffers(&mut tape, id);
    for step in 0..8 {
        let again = step_with_scratch_buffers(&mut tape, id);
        assert_eq!(again, settled, "step {step} moved a value to a new buffer");
    }
}

/// Records a step whose input comes from the caller as an owned tensor, and
/// returns the addresses of the values computed from it.
fn step_with_owned_input(tape: &mut Tape<f64>, input: &Tensor<f64>, id: ParamId) -> Vec<usize> {
    tape.clear();
    let x = tape.constant(input.clone());
    let w = tape.param(id, &Tensor::new(vec![0.5, -0.25, 1.0, 2.0], &[2, 2]));
    let h = x.matmul(w).sigmoid();
    let loss = h.square().mean();
    drop(loss.backward());
    [h, loss]
        .iter()
        .map(|var| var.value().data().as_ptr() as usize)
        .collect()
}

#[test]
fn owned_input_keeps_step_buffers() {
    // The input's buffer comes from the caller, not the pool. The nodes
    // after it must still get back the buffers of their own positions.
    let mut tape = Tape::<f64>::new();
    let id = ParamId::new();
    let input = Tensor::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    for _ in 0..3 {
        step_with_owned_input(&mut tape, &input, id);
    }
    let settled = step_with_owned_input(&mut tape, &input, id);
    for step in 0..5 {
        let again = step_with_owned_input(&mut tape, &input, id);
        assert_eq!(again, settled, "step {step} moved a value to a new buffer");
    }
}
