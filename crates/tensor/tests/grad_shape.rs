//! Hand-derived values and gradients of the shape and layout ops, and of
//! detach and no_grad.

mod common;

use common::{arange, assert_close};
use tensor::{Tape, Tensor, Var};

#[test]
fn transpose_gradient_is_transposed_upstream() {
    let tape = Tape::<f64>::new();
    let x = tape.var(arange(&[2, 3], 1.0, 1.0));
    let upstream = tape.constant(arange(&[3, 2], 10.0, 10.0));

    let t = x.transpose();
    let grads = (t * upstream).sum().backward();

    assert_close(
        &t.to_tensor(),
        &[3, 2],
        &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0],
        0.0,
    );
    // upstream [[10, 20], [30, 40], [50, 60]] transposed back.
    assert_close(
        grads.wrt(x),
        &[2, 3],
        &[10.0, 30.0, 50.0, 20.0, 40.0, 60.0],
        0.0,
    );
}

#[test]
fn permute_then_inverse_is_identity() {
    let tape = Tape::<f64>::new();
    let x = tape.var(arange(&[2, 3, 4], 0.0, 1.0));

    let y = x.permute(&[1, 2, 0]);
    let back = y.permute(&[2, 0, 1]);

    assert_eq!(y.value().dims(), &[3, 4, 2]);
    assert_eq!(y.value().get(&[2, 1, 1]), x.value().get(&[1, 2, 1]));
    assert_eq!(back.to_tensor(), x.to_tensor());
    assert_eq!(x.transpose_axes(1, 1).to_tensor(), x.to_tensor());
}

#[test]
fn concat_splits_gradient() {
    let tape = Tape::<f64>::new();
    let a = tape.var(arange(&[2, 1], 1.0, 1.0));
    let b = tape.var(arange(&[2, 2], 3.0, 1.0));
    let upstream = tape.constant(arange(&[2, 3], 10.0, 10.0));

    let c = Var::concat(&[a, b], 1);
    let grads = (c * upstream).sum().backward();

    assert_close(
        &c.to_tensor(),
        &[2, 3],
        &[1.0, 3.0, 4.0, 2.0, 5.0, 6.0],
        0.0,
    );
    // upstream [[10, 20, 30], [40, 50, 60]]: column 0 goes to a, 1..3 to b.
    assert_close(grads.wrt(a), &[2, 1], &[10.0, 40.0], 0.0);
    assert_close(grads.wrt(b), &[2, 2], &[20.0, 30.0, 50.0, 60.0], 0.0);
}

#[test]
fn stack_splits_gradient() {
    let tape = Tape::<f64>::new();
    let a = tape.var(arange(&[2], 1.0, 1.0));
    let b = tape.var(arange(&[2], 3.0, 1.0));
    let upstream = tape.constant(arange(&[2, 2], 10.0, 10.0));

    let s = Var::stack(&[a, b], 1);
    let grads = (s * upstream).sum().backward();

    assert_close(&s.to_tensor(), &[2, 2], &[1.0, 3.0, 2.0, 4.0], 0.0);
    // upstream [[10, 20], [30, 40]]: column 0 goes to a, column 1 to b.
    assert_close(grads.wrt(a), &[2], &[10.0, 30.0], 0.0);
    assert_close(grads.wrt(b), &[2], &[20.0, 40.0], 0.0);
}

#[test]
fn stack_of_scalars_is_vector() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::scalar(2.0));
    let b = tape.var(Tensor::scalar(5.0));

    let v = Var::stack(&[a, b], -1);
    let grads = v.square().sum().backward();

    assert_close(&v.to_tensor(), &[2], &[2.0, 5.0], 0.0);
    // d (a^2 + b^2) = 2a and 2b, back in rank 0.
    assert_close(grads.wrt(a), &[], &[4.0], 0.0);
    assert_close(grads.wrt(b), &[], &[10.0], 0.0);
}

#[test]
fn slice_gradient_is_zero_outside() {
    let tape = Tape::<f64>::new();
    let x = tape.var(arange(&[2, 4], 1.0, 1.0));
    let upstream = tape.constant(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));

    let y = x.slice(-1, 1..3);
    let grads = (y * upstream).sum().backward();

    assert_close(&y.to_tensor(), &[2, 2], &[2.0, 3.0, 6.0, 7.0], 0.0);
    assert_close(
        grads.wrt(x),
        &[2, 4],
        &[0.0, 1.0, 2.0, 0.0, 0.0, 3.0, 4.0, 0.0],
        0.0,
    );
}

#[test]
fn empty_slice_has_zero_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.var(arange(&[3, 2], 1.0, 1.0));

    let y = x.slice(0, 2..2);
    let grads = (y.sum() + x.sum()).backward();

    assert_eq!(y.value().dims(), &[0, 2]);
    assert_close(grads.wrt(x), &[3, 2], &[1.0; 6], 0.0);
}

#[test]
fn index_select_repeats_accumulate() {
    let tape = Tape::<f64>::new();
    let x = tape.var(arange(&[3, 2], 1.0, 1.0));
    let upstream = tape.constant(arange(&[4, 2], 1.0, 1.0));

    let rows = x.index_select(0, &[2, 0, 2, 2]);
    let grads = (rows * upstream).sum().backward();

    assert_close(
        &rows.to_tensor(),
        &[4, 2],
        &[5.0, 6.0, 1.0, 2.0, 5.0, 6.0, 5.0, 6.0],
        0.0,
    );
    // Row 2 is selected at positions 0, 2 and 3, so it receives the sum of
    // upstream rows [1, 2] + [5, 6] + [7, 8]; row 1 is never selected.
    assert_close(
        grads.wrt(x),
        &[3, 2],
        &[3.0, 4.0, 0.0, 0.0, 13.0, 16.0],
        0.0,
    );
}

#[test]
fn reshape_and_broadcast_to_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.var(arange(&[2, 3], 1.0, 1.0));
    let column = tape.var(Tensor::new(vec![1.0, 2.0], &[2, 1]));
    let upstream = tape.constant(arange(&[3, 2], 1.0, 1.0));

    let reshaped = x.reshape(&[3, 2]);
    let reshape_grads = (reshaped * upstream).sum().backward();
    let broadcast = column.broadcast_to(&[3, 2, 4]);
    let broadcast_grads = broadcast.sum().backward();

    // Reshape keeps the row-major order, so the gradient is the upstream
    // reshaped back.
    assert_close(
        reshape_grads.wrt(x),
        &[2, 3],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        0.0,
    );
    // Each element of the column is copied 3 * 4 times.
    assert_close(broadcast_grads.wrt(column), &[2, 1], &[12.0, 12.0], 0.0);
}

#[test]
fn detach_stops_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![3.0, -2.0], &[2]));

    let grads = (x * x.detach()).sum().backward();

    // Only the first factor is differentiated: d(x c)/dx = c = x.
    assert_close(grads.wrt(x), &[2], &[3.0, -2.0], 0.0);
}

#[test]
fn no_grad_records_constants() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![3.0], &[1]));

    let frozen = tape.no_grad(|| x.square());
    let grads = (frozen + x).sum().backward();

    assert!(!frozen.requires_grad());
    assert!(x.requires_grad());
    assert_close(grads.wrt(x), &[1], &[1.0], 0.0);
}
