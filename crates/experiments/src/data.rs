//! The two data sets of the experiments: a seeded linearly separable set and the fixed
//! 21-point XOR set.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A labelled set of points in the plane for binary classification.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Name used in output file names and report headings, such as `"linear"`.
    pub name: String,
    /// Input points `[x0, x1]`, one per sample.
    pub points: Vec<[f64; 2]>,
    /// Class of each point, `0.0` or `1.0`, in the same order as `points`.
    pub labels: Vec<f64>,
}

impl Dataset {
    /// Returns the number of samples.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Returns `true` when the set has no samples.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Returns the inputs as a row-major `(n, 2)` buffer: `[x0_0, x1_0, x0_1, x1_1, ...]`.
    pub fn inputs_flat(&self) -> Vec<f64> {
        self.points
            .iter()
            .flat_map(|point| point.iter().copied())
            .collect()
    }

    /// Returns the labels as an `(n, 1)` buffer.
    pub fn labels_flat(&self) -> Vec<f64> {
        self.labels.clone()
    }
}

/// Draws `n` points uniformly from `[0, 1]^2` and labels each `0` when `x0 > x1`, else `1`.
///
/// The draw uses `StdRng::seed_from_u64(seed)` and takes `x0` then `x1` for each point, so
/// the same seed gives the same data.
///
/// # Examples
///
/// ```
/// let data = experiments::data::linear(100, 7);
/// assert_eq!(data.len(), 100);
/// assert_eq!(data, experiments::data::linear(100, 7));
/// ```
pub fn linear(n: usize, seed: u64) -> Dataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut points = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let x0 = rng.random::<f64>();
        let x1 = rng.random::<f64>();
        points.push([x0, x1]);
        labels.push(if x0 > x1 { 0.0 } else { 1.0 });
    }
    Dataset {
        name: "linear".to_string(),
        points,
        labels,
    }
}

/// Builds the 21 fixed XOR points.
///
/// For `i` in `0..=10` it adds `(0.1 i, 0.1 i)` with label `0`, then, unless `i == 5`, the
/// point `(0.1 i, 1 - 0.1 i)` with label `1`. The centre `(0.5, 0.5)` lies on both
/// diagonals, so it appears once, with label `0`.
///
/// # Examples
///
/// ```
/// let data = experiments::data::xor_easy();
/// assert_eq!(data.len(), 21);
/// assert_eq!(data.points[1], [0.0, 1.0]);
/// ```
pub fn xor_easy() -> Dataset {
    let mut points = Vec::with_capacity(21);
    let mut labels = Vec::with_capacity(21);
    for i in 0..=10 {
        let step = i as f64 * 0.1;
        points.push([step, step]);
        labels.push(0.0);
        if i != 5 {
            points.push([step, 1.0 - step]);
            labels.push(1.0);
        }
    }
    Dataset {
        name: "xor".to_string(),
        points,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_count_and_range() {
        let data = linear(100, 1);
        assert_eq!(data.len(), 100);
        assert_eq!(data.labels.len(), 100);
        assert_eq!(data.name, "linear");
        for point in &data.points {
            for &value in point {
                assert!(
                    (0.0..1.0).contains(&value),
                    "coordinate {value} outside [0, 1)"
                );
            }
        }
    }

    #[test]
    fn linear_label_rule() {
        let data = linear(500, 3);
        for (point, &label) in data.points.iter().zip(&data.labels) {
            let expected = if point[0] > point[1] { 0.0 } else { 1.0 };
            assert_eq!(label, expected, "point {point:?}");
        }
        // Both classes occur in a draw this large.
        assert!(data.labels.contains(&0.0));
        assert!(data.labels.contains(&1.0));
    }

    #[test]
    fn linear_same_seed_same_data() {
        assert_eq!(linear(50, 42), linear(50, 42));
    }

    #[test]
    fn linear_different_seeds_differ() {
        assert_ne!(linear(50, 42).points, linear(50, 43).points);
    }

    #[test]
    fn linear_zero_points() {
        let data = linear(0, 1);
        assert!(data.is_empty());
        assert!(data.inputs_flat().is_empty());
    }

    #[test]
    fn flat_buffers_row_major() {
        let data = linear(3, 5);
        let inputs = data.inputs_flat();
        assert_eq!(inputs.len(), 6);
        for (row, point) in data.points.iter().enumerate() {
            assert_eq!(inputs[2 * row], point[0]);
            assert_eq!(inputs[2 * row + 1], point[1]);
        }
        assert_eq!(data.labels_flat(), data.labels);
    }

    #[test]
    fn xor_order_and_counts() {
        let data = xor_easy();
        assert_eq!(data.name, "xor");
        assert_eq!(data.len(), 21);
        assert_eq!(data.points[0], [0.0, 0.0]);
        assert_eq!(data.labels[0], 0.0);
        assert_eq!(data.points[1], [0.0, 1.0]);
        assert_eq!(data.labels[1], 1.0);
        assert_eq!(data.points[19], [1.0, 1.0]);
        assert_eq!(data.labels[19], 0.0);
        assert_eq!(data.points[20], [1.0, 0.0]);
        assert_eq!(data.labels[20], 1.0);
        let zeros = data.labels.iter().filter(|&&label| label == 0.0).count();
        let ones = data.labels.iter().filter(|&&label| label == 1.0).count();
        assert_eq!(zeros, 11);
        assert_eq!(ones, 10);
    }

    #[test]
    fn xor_points_on_diagonals() {
        let data = xor_easy();
        for (point, &label) in data.points.iter().zip(&data.labels) {
            if label == 0.0 {
                assert_eq!(point[0], point[1], "label-0 point {point:?}");
            } else {
                assert!(
                    (point[0] + point[1] - 1.0).abs() < 1e-12,
                    "label-1 point {point:?}"
                );
            }
        }
    }
}
