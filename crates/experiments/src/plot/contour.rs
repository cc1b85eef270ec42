//! The contour of a sampled field at one level, by marching squares.

use crate::runner::GridBounds;

/// The model output sampled on a grid of `resolution` lines along each axis of `bounds`.
pub(super) struct Grid<'a> {
    /// Values in row-major order, `resolution * resolution` of them.
    pub field: &'a [f64],
    /// Number of grid lines along each axis, at least 2.
    pub resolution: usize,
    /// The rectangle whose edges the first and last grid lines lie on.
    pub bounds: GridBounds,
}

impl Grid<'_> {
    /// Returns the value at grid line `row` of x1 and `column` of x0.
    pub fn value(&self, row: usize, column: usize) -> f64 {
        self.field[row * self.resolution + column]
    }

    /// Returns the x0 coordinate of grid column `column`.
    pub fn x0(&self, column: usize) -> f64 {
        GridBounds::line(self.bounds.x0, column, self.resolution)
    }

    /// Returns the x1 coordinate of grid row `row`.
    pub fn x1(&self, row: usize) -> f64 {
        GridBounds::line(self.bounds.x1, row, self.resolution)
    }
}

/// Returns the line segments where the field crosses `level`, by marching squares with
/// linear interpolation along cell edges. Cells with a non-finite corner are skipped.
pub(super) fn contour_segments(grid: &Grid, level: f64) -> Vec<((f64, f64), (f64, f64))> {
    let mut segments = Vec::new();
    for row in 0..grid.resolution - 1 {
        for column in 0..grid.resolution - 1 {
            // Corners counter-clockwise from the lower left: (x, y, value).
            let corners = [
                (column, row),
                (column + 1, row),
                (column + 1, row + 1),
                (column, row + 1),
            ]
            .map(|(c, r)| (grid.x0(c), grid.x1(r), grid.value(r, c)));
            if corners.iter().any(|corner| !corner.2.is_finite()) {
                continue;
            }

            // Crossings on the bottom, right, top and left edges, in that order.
            let mut crossings = Vec::with_capacity(4);
            for edge in 0..4 {
                let (x_a, y_a, a) = corners[edge];
                let (x_b, y_b, b) = corners[(edge + 1) % 4];
                if (a >= level) != (b >= level) {
                    let t = (level - a) / (b - a);
                    crossings.push((x_a + t * (x_b - x_a), y_a + t * (y_b - y_a)));
                }
            }

            match crossings.len() {
                2 => segments.push((crossings[0], crossings[1])),
                4 => {
                    // A saddle: the mean of the corners decides which diagonal is connected.
                    // When the lower-left corner is on the other side from the centre, it is
                    // cut off alone, so bottom pairs with left and right with top.
                    let centre = corners.iter().map(|corner| corner.2).sum::<f64>() / 4.0;
                    if (corners[0].2 >= level) != (centre >= level) {
                        segments.push((crossings[0], crossings[3]));
                        segments.push((crossings[1], crossings[2]));
                    } else {
                        segments.push((crossings[0], crossings[1]));
                        segments.push((crossings[2], crossings[3]));
                    }
                }
                _ => {}
            }
        }
    }
    segments
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Returns a sigmoid of `x1 - x0` on the grid: 0.5 on the line x0 = x1, below 0.5 where
    /// x1 < x0.
    pub fn diagonal_field(resolution: usize) -> Vec<f64> {
        let step = 1.0 / (resolution - 1) as f64;
        let mut field = Vec::with_capacity(resolution * resolution);
        for row in 0..resolution {
            for column in 0..resolution {
                let (x0, x1) = (column as f64 * step, row as f64 * step);
                field.push(1.0 / (1.0 + (-8.0 * (x1 - x0)).exp()));
            }
        }
        field
    }

    #[test]
    fn contour_follows_diagonal() {
        let field = diagonal_field(21);
        let grid = Grid {
            field: &field,
            resolution: 21,
            bounds: GridBounds::UNIT,
        };
        let segments = contour_segments(&grid, 0.5);
        assert!(!segments.is_empty());
        for (start, end) in segments {
            for (x0, x1) in [start, end] {
                assert!(
                    (x0 - x1).abs() < 0.06,
                    "contour point ({x0}, {x1}) is off the diagonal"
                );
            }
        }
    }

    #[test]
    fn contour_scales_to_bounds() {
        // The same field over [-5, 5] x [0, 2]: the diagonal x1 = x0 of the unit square maps
        // to x1 = (x0 + 5) / 5.
        let field = diagonal_field(21);
        let grid = Grid {
            field: &field,
            resolution: 21,
            bounds: GridBounds {
                x0: [-5.0, 5.0],
                x1: [0.0, 2.0],
            },
        };
        let segments = contour_segments(&grid, 0.5);
        assert!(!segments.is_empty());
        for (start, end) in segments {
            for (x0, x1) in [start, end] {
                assert!((-5.0..=5.0).contains(&x0), "x0 {x0} outside the bounds");
                assert!(
                    (x1 - (x0 + 5.0) / 5.0).abs() < 0.12,
                    "contour point ({x0}, {x1}) is off the mapped diagonal"
                );
            }
        }
    }

    #[test]
    fn contour_saddle_two_segments() {
        // High on the main diagonal corners, low on the others: a saddle.
        let field = [0.75, 0.25, 0.25, 0.75];
        let grid = Grid {
            field: &field,
            resolution: 2,
            bounds: GridBounds::UNIT,
        };
        let segments = contour_segments(&grid, 0.5);
        // The mean, 0.5, is on the high side with the lower-left corner, so the two low
        // corners are cut off: bottom (0.5, 0) to right (1, 0.5), top (0.5, 1) to left (0, 0.5).
        assert_eq!(
            segments,
            vec![((0.5, 0.0), (1.0, 0.5)), ((0.5, 1.0), (0.0, 0.5))]
        );
    }
}
