//! Helpers shared by the integration tests: seeded inputs and one tensor
//! comparison that names the first differing element.

// Each test binary compiles this module and uses only some of the helpers.
#![allow(dead_code)]

use tensor::{Float, Tensor};

/// Draws a tensor of `dims` with values uniform on `[low, high)` from a
/// linear congruential generator seeded with `seed`, so inputs never depend
/// on a global random state.
pub fn uniform(dims: &[usize], low: f64, high: f64, seed: u64) -> Tensor<f64> {
    let mut state = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    Tensor::from_fn(dims, |_| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
        low + (high - low) * unit
    })
}

/// Builds a tensor of `dims` containing `start, start + step, ...` in
/// row-major order.
pub fn arange(dims: &[usize], start: f64, step: f64) -> Tensor<f64> {
    Tensor::from_fn(dims, |i| start + step * i as f64)
}

/// Asserts that `actual` has `expected_dims` and that every element is
/// within `tolerance` of `expected`, naming the first element that is not.
#[track_caller]
pub fn assert_close<T: Float>(
    actual: &Tensor<T>,
    expected_dims: &[usize],
    expected: &[f64],
    tolerance: f64,
) {
    assert_eq!(actual.dims(), expected_dims, "shape differs");
    assert_eq!(actual.len(), expected.len(), "element count differs");
    for (i, (&a, &e)) in actual.data().iter().zip(expected).enumerate() {
        let a = a.to_f64();
        let close = (a - e).abs() <= tolerance || (a == e);
        assert!(
            close,
            "element {i} (index {:?}) is {a}, expected {e} within {tolerance}; \
             actual {:?}",
            unravel(i, expected_dims),
            actual.data()
        );
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
