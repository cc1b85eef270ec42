//! The ops built to be finite at extreme inputs stay finite, in value and
//! gradient, at -1000 and 1000 in both `f32` and `f64`.

mod common;

use common::assert_close;
use tensor::{Float, Tape, Tensor, Var};

type Op = for<'t> fn(Var<'t, f32>) -> Var<'t, f32>;

/// Checks `op` at `[-1000, 1000]` in type `T`: finite value and gradient
/// (of the sum), each equal to its limit within `tolerance`.
fn check<T: Float>(
    name: &str,
    op: impl for<'t> Fn(Var<'t, T>) -> Var<'t, T>,
    values: [f64; 2],
    grads: [f64; 2],
) {
    let tape = Tape::<T>::new();
    let x = tape.var(Tensor::new(
        vec![T::from_f64(-1000.0), T::from_f64(1000.0)],
        &[2],
    ));

    let y = op(x);
    let grad = y.sum().backward().wrt(x).clone();

    let context = format!("{name} in {}", T::NAME);
    assert!(y.value().all_finite(), "{context}: value {:?}", y.value());
    assert!(grad.all_finite(), "{context}: gradient {grad:?}");
    assert_close(&y.to_tensor(), &[2], &values, 1e-6);
    assert_close(&grad, &[2], &grads, 1e-6);
}

fn check_all<T: Float>() {
    // sigmoid saturates at 0 and 1, where its derivative s (1 - s) is 0.
    check::<T>("sigmoid", |x| x.sigmoid(), [0.0, 1.0], [0.0, 0.0]);
    // softplus(x) = ln(1 + e^x) tends to 0 and x; its derivative is sigmoid.
    check::<T>("softplus", |x| x.softplus(), [0.0, 1000.0], [0.0, 1.0]);
    // log_sigmoid(x) = -softplus(-x) tends to x and 0; derivative sigmoid(-x).
    check::<T>(
        "log_sigmoid",
        |x| x.log_sigmoid(),
        [-1000.0, 0.0],
        [1.0, 0.0],
    );
    // One lane: log_softmax = x - 1000 - ln(1 + e^-2000) = [-2000, 0]; with
    // upstream 1, dx = 1 - softmax * 2 = [1, -1].
    check::<T>(
        "log_softmax",
        |x| x.log_softmax(0),
        [-2000.0, 0.0],
        [1.0, -1.0],
    );
    // softmax = [0, 1]; with upstream 1, dx = y (1 - sum y) = 0.
    check::<T>("softmax", |x| x.softmax(0), [0.0, 1.0], [0.0, 0.0]);
}

#[test]
fn extremes_finite_f32() {
    check_all::<f32>();
}

#[test]
fn extremes_finite_f64() {
    check_all::<f64>();
}

#[test]
fn softmax_of_large_lane_matches_shifted_lane() {
    // Softmax is invariant to adding a constant to a lane, so a lane near
    // 1000 must equal the same lane near 0.
    let tape = Tape::<f32>::new();
    let large = tape.var(Tensor::new(vec![1000.0, 999.0, 998.0], &[1, 3]));
    let small = tape.var(Tensor::new(vec![2.0, 1.0, 0.0], &[1, 3]));
    let ops: [(&str, Op); 2] = [
        ("softmax", |x| x.softmax(-1)),
        ("log_softmax", |x| x.log_softmax(-1)),
    ];

    for (name, op) in ops {
        let expected: Vec<f64> = op(small)
            .to_tensor()
            .data()
            .iter()
            .map(|&v| v as f64)
            .collect();
        assert_close(&op(large).to_tensor(), &[1, 3], &expected, 1e-6);
        assert!(
            expected.iter().all(|v| v.is_finite()),
            "{name}: {expected:?}"
        );
    }
}
