//! Hand-derived gradients of the binary ops, their reduction to each
//! input's shape under broadcasting, and the split of ties.

mod common;

use common::{arange, assert_close};
use tensor::{Tape, Tensor, Var};

#[test]
fn mul_broadcast_column_by_row() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::new(vec![1.0, 2.0, 3.0], &[3, 1]));
    let b = tape.var(Tensor::new(vec![10.0, 20.0, 30.0, 40.0], &[1, 4]));

    let grads = (a * b).sum().backward();

    // y_ij = a_i b_j, so dL/da_i = sum_j b_j = 100 and dL/db_j = sum_i a_i = 6.
    assert_close(grads.wrt(a), &[3, 1], &[100.0; 3], 0.0);
    assert_close(grads.wrt(b), &[1, 4], &[6.0; 4], 0.0);
}

#[test]
fn add_broadcast_vector_over_batch() {
    let tape = Tape::<f64>::new();
    let a = tape.var(arange(&[4], 0.0, 1.0));
    let b = tape.var(arange(&[2, 3, 4], 0.0, 1.0));
    let weights = tape.constant(arange(&[2, 3, 4], 1.0, 1.0));

    let grads = ((a + b) * weights).sum().backward();

    // dL/da_k sums the weights over the 6 copies of a: w[i, j, k] = 1 + 12 i
    // + 4 j + k, which sums over i in 0..2 and j in 0..3 to
    // 6 (1 + k) + 12 * 3 + 4 * 2 * 3 = 66 + 6k.
    assert_close(grads.wrt(a), &[4], &[66.0, 72.0, 78.0, 84.0], 0.0);
    let expected_b: Vec<f64> = (1..=24).map(f64::from).collect();
    assert_close(grads.wrt(b), &[2, 3, 4], &expected_b, 0.0);
}

#[test]
fn div_partials() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::new(vec![3.0], &[1]));
    let b = tape.var(Tensor::new(vec![2.0], &[1]));

    let grads = (a / b).sum().backward();

    // d(a/b)/da = 1/b = 0.5, d(a/b)/db = -a/b^2 = -0.75.
    assert_close(grads.wrt(a), &[1], &[0.5], 0.0);
    assert_close(grads.wrt(b), &[1], &[-0.75], 0.0);
}

#[test]
fn sub_with_nontrivial_upstream() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::new(vec![1.0, 2.0], &[2]));
    let b = tape.var(Tensor::new(vec![5.0, 7.0], &[2]));
    let c = tape.constant(Tensor::new(vec![3.0, -4.0], &[2]));

    let grads = ((a - b) * c).sum().backward();

    assert_close(grads.wrt(a), &[2], &[3.0, -4.0], 0.0);
    assert_close(grads.wrt(b), &[2], &[-3.0, 4.0], 0.0);
}

#[test]
fn maximum_and_minimum_split_ties() {
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::new(vec![1.0, 2.0, 3.0], &[3]));
    let b = tape.var(Tensor::new(vec![1.0, 5.0, 0.0], &[3]));

    let max_grads = a.maximum(b).sum().backward();
    let min_grads = a.minimum(b).sum().backward();

    // The larger (smaller) input takes the gradient; on the tie at index 0
    // each input takes half.
    assert_close(max_grads.wrt(a), &[3], &[0.5, 0.0, 1.0], 0.0);
    assert_close(max_grads.wrt(b), &[3], &[0.5, 1.0, 0.0], 0.0);
    assert_close(min_grads.wrt(a), &[3], &[0.5, 1.0, 0.0], 0.0);
    assert_close(min_grads.wrt(b), &[3], &[0.5, 0.0, 1.0], 0.0);
}

#[test]
fn fan_out_accumulates() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![3.0, -1.0], &[2]));

    let grads = (x * x + x).sum().backward();

    // d(x^2 + x)/dx = 2x + 1, from three uses of x.
    assert_close(grads.wrt(x), &[2], &[7.0, -1.0], 0.0);
}

#[test]
fn gradients_have_input_shapes() {
    let pairs: [(&[usize], &[usize]); 4] = [
        (&[3, 1], &[1, 4]),
        (&[4], &[2, 3, 4]),
        (&[2, 1, 4], &[3, 1]),
        (&[], &[2, 2]),
    ];
    type BinaryFn = for<'t> fn(Var<'t, f64>, Var<'t, f64>) -> Var<'t, f64>;
    let ops: [(&str, BinaryFn); 6] = [
        ("add", |a, b| a + b),
        ("sub", |a, b| a - b),
        ("mul", |a, b| a * b),
        ("div", |a, b| a / b),
        ("maximum", |a, b| a.maximum(b)),
        ("minimum", |a, b| a.minimum(b)),
    ];
    for (lhs, rhs) in pairs {
        for (name, op) in ops {
            let tape = Tape::<f64>::new();
            let a = tape.var(Tensor::full(lhs, 2.0));
            let b = tape.var(Tensor::full(rhs, 3.0));

            let grads = op(a, b).sum().backward();

            assert_eq!(
                grads.wrt(a).dims(),
                lhs,
                "{name}: lhs of {lhs:?} and {rhs:?}"
            );
            assert_eq!(
                grads.wrt(b).dims(),
                rhs,
                "{name}: rhs of {lhs:?} and {rhs:?}"
            );
        }
    }
}
