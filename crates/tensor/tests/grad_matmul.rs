//! Hand-derived matmul gradients, and batched products checked against the
//! 2-D product of each batch entry.

mod common;

use common::{assert_close, uniform};
use tensor::{Tape, Tensor, Var};

#[test]
fn matmul_2d_hand_derived() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    let b = tape.var(Tensor::new(vec![5.0, 6.0], &[2, 1]));

    let y = a.matmul(b);
    let grads = y.sum().backward();

    assert_close(&y.to_tensor(), &[2, 1], &[17.0, 39.0], 0.0);
    // dL/da = 1 b^T: every row is [5, 6]; dL/db = a^T 1: the column sums.
    assert_close(grads.wrt(a), &[2, 2], &[5.0, 6.0, 5.0, 6.0], 0.0);
    assert_close(grads.wrt(b), &[2, 1], &[4.0, 6.0], 0.0);
}

/// Returns the batch entry `index` of a `[b, m, k]` var as an `[m, k]` var.
fn entry<'t>(x: Var<'t, f64>, index: usize) -> Var<'t, f64> {
    let dims = x.shape();
    x.slice(0, index..index + 1).reshape(&dims[1..])
}

#[test]
fn batched_matches_each_entry() {
    let tape = Tape::<f64>::new();
    let a = tape.var(uniform(&[3, 2, 4], -1.0, 1.0, 1));
    let b = tape.var(uniform(&[3, 4, 5], -1.0, 1.0, 2));
    let upstream = uniform(&[3, 2, 5], -1.0, 1.0, 3);

    let batched = a.matmul(b);
    let batched_grads = batched.backward_with(upstream.clone());
    let entries: Vec<Var<'_, f64>> = (0..3)
        .map(|i| entry(a, i).matmul(entry(b, i)).reshape(&[1, 2, 5]))
        .collect();
    let looped = Var::concat(&entries, 0);
    let looped_grads = looped.backward_with(upstream);

    assert_eq!(batched.value().dims(), &[3, 2, 5]);
    assert!(batched.to_tensor().max_abs_diff(&looped.to_tensor()) < 1e-14);
    assert!(batched_grads.wrt(a).max_abs_diff(looped_grads.wrt(a)) < 1e-14);
    assert!(batched_grads.wrt(b).max_abs_diff(looped_grads.wrt(b)) < 1e-14);
}

#[test]
fn shared_rhs_gradient_sums_over_batch() {
    let tape = Tape::<f64>::new();
    let a = tape.var(uniform(&[3, 2, 4], -1.0, 1.0, 4));
    let w = tape.var(uniform(&[4, 5], -1.0, 1.0, 5));
    let upstream = uniform(&[3, 2, 5], -1.0, 1.0, 6);

    let batched = a.matmul(w);
    let batched_grads = batched.backward_with(upstream.clone());
    let entries: Vec<Var<'_, f64>> = (0..3)
        .map(|i| entry(a, i).matmul(w).reshape(&[1, 2, 5]))
        .collect();
    let looped = Var::concat(&entries, 0);
    let looped_grads = looped.backward_with(upstream);

    assert_eq!(batched.value().dims(), &[3, 2, 5]);
    assert_eq!(batched_grads.wrt(w).dims(), &[4, 5]);
    assert!(batched.to_tensor().max_abs_diff(&looped.to_tensor()) < 1e-14);
    assert!(batched_grads.wrt(a).max_abs_diff(looped_grads.wrt(a)) < 1e-14);
    // The looped graph uses w three times, so fan-out sums its gradient over
    // the batch; the batched rule must give the same sum.
    assert!(batched_grads.wrt(w).max_abs_diff(looped_grads.wrt(w)) < 1e-14);
}

#[test]
fn matmul_then_square() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::new(vec![1.0, -1.0], &[1, 2]));
    let w = tape.var(Tensor::new(vec![3.0, 1.0], &[2, 1]));

    let grads = x.matmul(w).square().sum().backward();

    // L = (x w)^2 with x w = 2, so dL/dw = 2 (x w) x^T = [4, -4].
    assert_close(grads.wrt(w), &[2, 1], &[4.0, -4.0], 0.0);
}
