//! Lines in pixel coordinates, drawn one straight piece at a time with a dash pattern.
//!
//! Plotters draws a wide polyline as one polygon whose corners are mitred, so at a sharp
//! turn the corner becomes a long spike (a 2 px line of a noisy loss curve can reach into
//! the title). Drawing each piece as its own 2-point path leaves no joins to mitre.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;

/// Pixel position on the drawing backend, `(x, y)` with `y` growing downwards.
pub(super) type Pixel = (i32, i32);

/// Width of a series line, in pixels.
pub(super) const LINE_WIDTH: u32 = 2;

/// Dash patterns of the series, in series order and repeated past the sixth: the lengths in
/// pixels of alternating drawn and skipped stretches, starting with a drawn one. Empty is a
/// solid line. Every pattern has an even length. Each pattern after the first skips at
/// least a quarter of its period, so a line drawn over an earlier one leaves gaps where the
/// earlier colour shows.
pub(super) const DASHES: [&[u32]; 6] = [
    &[],
    &[12, 6],
    &[2, 5],
    &[12, 5, 2, 5],
    &[24, 8],
    &[8, 4, 2, 4, 2, 4],
];

/// Returns the straight pieces that a line through `points` leaves drawn under the pattern
/// `dashes` (see [`DASHES`]). The pattern runs on across the vertices, so a curve made of
/// many short segments still shows whole dashes. Pieces that round to a single pixel are
/// left out.
pub(super) fn dash_pieces(points: &[Pixel], dashes: &[u32]) -> Vec<(Pixel, Pixel)> {
    debug_assert!(
        dashes.len().is_multiple_of(2),
        "dash pattern {dashes:?} has an odd length"
    );
    let mut pieces = Vec::new();
    if dashes.is_empty() {
        for pair in points.windows(2) {
            if pair[0] != pair[1] {
                pieces.push((pair[0], pair[1]));
            }
        }
        return pieces;
    }
    // The stretch of the pattern the walk is in, and the pixels left in it.
    let mut stretch = 0;
    let mut left = f64::from(dashes[0]);
    for pair in points.windows(2) {
        let start = (f64::from(pair[0].0), f64::from(pair[0].1));
        let delta = (
            f64::from(pair[1].0) - start.0,
            f64::from(pair[1].1) - start.1,
        );
        let length = delta.0.hypot(delta.1);
        let at = |distance: f64| -> Pixel {
            let fraction = distance / length;
            (
                (start.0 + fraction * delta.0).round() as i32,
                (start.1 + fraction * delta.1).round() as i32,
            )
        };
        let mut walked = 0.0;
        while walked < length {
            let step = left.min(length - walked);
            if stretch % 2 == 0 {
                let (from, to) = (at(walked), at(walked + step));
                if from != to {
                    pieces.push((from, to));
                }
            }
            walked += step;
            left -= step;
            if left <= 0.0 {
                stretch = (stretch + 1) % dashes.len();
                left = f64::from(dashes[stretch]);
            }
        }
    }
    pieces
}

/// Draws a line through `points` on `area`, whose coordinates are backend pixels, with
/// `colour`, [`LINE_WIDTH`] and the pattern `dashes`.
pub(super) fn draw_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[Pixel],
    colour: RGBColor,
    dashes: &[u32],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let style = colour.stroke_width(LINE_WIDTH);
    for (from, to) in dash_pieces(points, dashes) {
        area.draw(&PathElement::new(vec![from, to], style))?;
    }
    Ok(())
}

/// A marker shape, drawn white inside with an outline in the series colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Plus,
}

/// Marker shapes of the series, in series order and repeated past the sixth.
pub(super) const MARKERS: [Marker; 6] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Plus,
];

/// Half the width of a marker, in pixels.
const MARKER_SIZE: i32 = 5;

/// Draws `marker` centred on `centre` on `area`, whose coordinates are backend pixels.
pub(super) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    centre: Pixel,
    marker: Marker,
    colour: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (x, y) = centre;
    let size = MARKER_SIZE;
    let outline = colour.stroke_width(2);
    let corners: Vec<Pixel> = match marker {
        Marker::Circle => {
            area.draw(&Circle::new(centre, size, WHITE.filled()))?;
            area.draw(&Circle::new(centre, size, outline))?;
            return Ok(());
        }
        Marker::Plus => {
            area.draw(&PathElement::new(
                vec![(x - size, y), (x + size, y)],
                outline,
            ))?;
            area.draw(&PathElement::new(
                vec![(x, y - size), (x, y + size)],
                outline,
            ))?;
            return Ok(());
        }
        // Squares and diamonds look larger than circles of the same width, so they are
        // drawn a pixel smaller.
        Marker::Square => vec![
            (x - size + 1, y - size + 1),
            (x + size - 1, y - size + 1),
            (x + size - 1, y + size - 1),
            (x - size + 1, y + size - 1),
        ],
        Marker::Diamond => vec![(x, y - size), (x + size, y), (x, y + size), (x - size, y)],
        Marker::TriangleUp => vec![(x, y - size), (x + size, y + size), (x - size, y + size)],
        Marker::TriangleDown => vec![(x - size, y - size), (x + size, y - size), (x, y + size)],
    };
    area.draw(&Polygon::new(corners.clone(), WHITE.filled()))?;
    let mut closed = corners.clone();
    closed.push(corners[0]);
    for pair in closed.windows(2) {
        area.draw(&PathElement::new(vec![pair[0], pair[1]], outline))?;
    }
    Ok(())
}

/// Returns where to put markers on the line through `points`, whose x coordinates must not
/// decrease: at `first_x`, then every `spacing` pixels to the right, the first point at or
/// after each of those x coordinates.
pub(super) fn marker_positions(points: &[Pixel], first_x: i32, spacing: i32) -> Vec<Pixel> {
    let mut positions = Vec::new();
    let mut target = first_x;
    for &point in points {
        if point.0 >= target {
            positions.push(point);
            while target <= point.0 {
                target += spacing.max(1);
            }
        }
    }
    positions
}

/// Returns points along the line through `points`, at most `spacing` pixels apart and
/// including every vertex, to test which regions a line crosses.
pub(super) fn sample_line(points: &[Pixel], spacing: f64) -> Vec<Pixel> {
    let mut samples: Vec<Pixel> = points.first().copied().into_iter().collect();
    for pair in points.windows(2) {
        let delta = (
            f64::from(pair[1].0 - pair[0].0),
            f64::from(pair[1].1 - pair[0].1),
        );
        let steps = (delta.0.hypot(delta.1) / spacing).ceil().max(1.0) as usize;
        for step in 1..=steps {
            let fraction = step as f64 / steps as f64;
            samples.push((
                pair[0].0 + (fraction * delta.0).round() as i32,
                pair[0].1 + (fraction * delta.1).round() as i32,
            ));
        }
    }
    samples
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_have_even_length() {
        for dashes in DASHES {
            assert!(dashes.len().is_multiple_of(2), "{dashes:?}");
        }
    }

    #[test]
    fn patterns_skip_a_quarter() {
        for dashes in &DASHES[1..] {
            let period: u32 = dashes.iter().sum();
            let skipped: u32 = dashes.iter().skip(1).step_by(2).sum();
            assert!(
                4 * skipped >= period,
                "{dashes:?} skips {skipped} of {period}"
            );
        }
    }

    #[test]
    fn solid_keeps_every_segment() {
        let points = [(0, 0), (10, 0), (10, 0), (10, 5)];
        assert_eq!(
            dash_pieces(&points, &[]),
            vec![((0, 0), (10, 0)), ((10, 0), (10, 5))]
        );
    }

    #[test]
    fn dashes_alternate_along_line() {
        let pieces = dash_pieces(&[(0, 0), (30, 0)], &[12, 6]);
        assert_eq!(pieces, vec![((0, 0), (12, 0)), ((18, 0), (30, 0))]);
    }

    #[test]
    fn dashes_continue_across_vertices() {
        // A 12 px dash split over two segments at the corner (8, 0), then a 6 px gap.
        let pieces = dash_pieces(&[(0, 0), (8, 0), (8, 20)], &[12, 6]);
        assert_eq!(
            pieces,
            vec![((0, 0), (8, 0)), ((8, 0), (8, 4)), ((8, 10), (8, 20))]
        );
    }

    #[test]
    fn markers_every_spacing() {
        let points: Vec<Pixel> = (0..=100).map(|x| (x, 2 * x)).collect();
        assert_eq!(
            marker_positions(&points, 10, 40),
            vec![(10, 20), (50, 100), (90, 180)]
        );
    }

    #[test]
    fn markers_skip_sparse_gaps() {
        // A long segment from x 12 to 95 passes two targets but has one point to mark.
        let points = [(0, 0), (12, 5), (95, 7), (100, 9)];
        assert_eq!(marker_positions(&points, 10, 40), vec![(12, 5), (95, 7)]);
    }

    #[test]
    fn samples_are_close_and_keep_vertices() {
        let samples = sample_line(&[(0, 0), (10, 0), (10, 3)], 2.0);
        assert_eq!(samples.first(), Some(&(0, 0)));
        assert!(samples.contains(&(10, 0)));
        assert_eq!(samples.last(), Some(&(10, 3)));
        for pair in samples.windows(2) {
            let gap = (pair[1].0 - pair[0].0).abs() + (pair[1].1 - pair[0].1).abs();
            assert!(gap <= 2, "samples {pair:?} are {gap} px apart");
        }
    }
}
