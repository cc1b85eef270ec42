//! Hand-derived values and gradients of the reductions: sum, mean, max
//! (with ties) and variance (with both corrections).

mod common;

use common::{arange, assert_close};
use tensor::{Tape, Tensor};

#[test]
fn max_ties_split_evenly() {
    let tape = Tape::<f64>::new();
    let two_way = tape.var(Tensor::new(vec![1.0, 3.0, 3.0, 2.0], &[4]));
    let three_way = tape.var(Tensor::new(vec![5.0, 5.0, 5.0], &[3]));

    let two = two_way.max().backward();
    let three = three_way.max().backward();

    // k tied maxima take 1/k of the gradient each.
    assert_close(two.wrt(two_way), &[4], &[0.0, 0.5, 0.5, 0.0], 0.0);
    assert_close(three.wrt(three_way), &[3], &[1.0 / 3.0; 3], 1e-16);
}

#[test]
fn max_axes_ties_per_row() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![1.0, 4.0, 4.0, 2.0, 2.0, 2.0], &[2, 3]));
    let upstream = tape.constant(Tensor::new(vec![6.0, 9.0], &[2]));

    let rows = x.max_axes(&[1], false);
    let grads = (rows * upstream).sum().backward();

    assert_close(&rows.to_tensor(), &[2], &[4.0, 2.0], 0.0);
    // Row 0 splits 6 between two maxima, row 1 splits 9 among three.
    assert_close(grads.wrt(x), &[2, 3], &[0.0, 3.0, 3.0, 3.0, 3.0, 3.0], 0.0);
}

#[test]
fn max_axes_shapes_and_values() {
    let tape = Tape::<f64>::new();
    let x = tape.var(arange(&[2, 3, 4], 0.0, 1.0));

    let over_middle = x.max_axes(&[1], true);
    let over_outer = x.max_axes(&[0, -1], false);

    assert_close(
        &over_middle.to_tensor(),
        &[2, 1, 4],
        &[8.0, 9.0, 10.0, 11.0, 20.0, 21.0, 22.0, 23.0],
        0.0,
    );
    assert_close(&over_outer.to_tensor(), &[3], &[15.0, 19.0, 23.0], 0.0);
    let grads = over_outer.sum().backward();
    let grad = grads.wrt(x);
    // Only the max of each slot, x[1, j, 3], receives a gradient.
    for j in 0..3 {
        assert_eq!(grad.get(&[1, j, 3]), 1.0, "slot {j}");
    }
    assert_eq!(grad.data().iter().sum::<f64>(), 3.0);
}

#[test]
fn max_propagates_nan() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![1.0, f64::NAN, 3.0], &[3]));

    assert!(x.max().item().is_nan());
}

#[test]
fn var_population_and_sample() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![1.0, 2.0, 3.0, 4.0], &[4]));

    let population = x.var(0);
    let sample = x.var(1);

    // The mean is 2.5 and the squared deviations sum to 5.
    assert_eq!(population.item(), 1.25);
    assert!((sample.item() - 5.0 / 3.0).abs() < 1e-15);
    // d var / dx_i = 2 (x_i - 2.5) / (n - correction).
    let population_grads = population.backward();
    let sample_grads = sample.backward();
    assert_close(
        population_grads.wrt(x),
        &[4],
        &[-0.75, -0.25, 0.25, 0.75],
        1e-15,
    );
    assert_close(
        sample_grads.wrt(x),
        &[4],
        &[-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0],
        1e-15,
    );
}

#[test]
fn var_axes_with_upstream() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![1.0, 3.0, 2.0, 2.0, 0.0, 6.0], &[3, 2]));
    let upstream = tape.constant(Tensor::new(vec![1.0, 10.0, 100.0], &[3, 1]));

    let rows = x.var_axes(&[-1], true, 1);
    let grads = (rows * upstream).sum().backward();

    // Row variances with n - 1 = 1: (1 - 2)^2 + (3 - 2)^2 = 2, 0, and 18.
    assert_close(&rows.to_tensor(), &[3, 1], &[2.0, 0.0, 18.0], 1e-15);
    // 2 (x - mean) * upstream: row 0 mean 2, row 1 mean 2, row 2 mean 3.
    assert_close(
        grads.wrt(x),
        &[3, 2],
        &[-2.0, 2.0, 0.0, 0.0, -600.0, 600.0],
        1e-12,
    );
}

#[test]
fn var_is_stable_for_large_mean() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::new(vec![1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0], &[3]));

    // E[x^2] - E[x]^2 would lose every digit here; two passes keep them.
    assert!((x.var(0).item() - 2.0 / 3.0).abs() < 1e-6);
}

#[test]
fn sum_and_mean_axes_with_upstream() {
    let tape = Tape::<f64>::new();
    let x = tape.var(arange(&[2, 3], 1.0, 1.0));
    let upstream = tape.constant(Tensor::new(vec![1.0, 2.0, 3.0], &[3]));

    let sums = x.sum_axes(&[0], false);
    let means = x.mean_axes(&[0], false);
    let sum_grads = (sums * upstream).sum().backward();
    let mean_grads = (means * upstream).sum().backward();

    assert_close(&sums.to_tensor(), &[3], &[5.0, 7.0, 9.0], 0.0);
    assert_close(&means.to_tensor(), &[3], &[2.5, 3.5, 4.5], 0.0);
    // Each column's upstream repeats down the column, halved for the mean.
    assert_close(
        sum_grads.wrt(x),
        &[2, 3],
        &[1.0, 2.0, 3.0, 1.0, 2.0, 3.0],
        0.0,
    );
    assert_close(
        mean_grads.wrt(x),
        &[2, 3],
        &[0.5, 1.0, 1.5, 0.5, 1.0, 1.5],
        0.0,
    );
}

#[test]
fn keepdim_controls_rank() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::zeros(&[2, 3, 4]));

    for keepdim in [false, true] {
        let expected: &[usize] = if keepdim { &[2, 1, 1] } else { &[2] };
        assert_eq!(x.sum_axes(&[1, 2], keepdim).value().dims(), expected);
        assert_eq!(x.mean_axes(&[1, 2], keepdim).value().dims(), expected);
        assert_eq!(x.max_axes(&[1, 2], keepdim).value().dims(), expected);
        assert_eq!(x.var_axes(&[1, 2], keepdim, 1).value().dims(), expected);
    }
}
