//! The decision-boundary figure: the model output over a rectangle of the input plane as a
//! colour field, with the 0.5 contour and the data points on top.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{canvas, Canvas};
use super::contour::{contour_segments, Grid};
use super::{
    check_lengths, class_colour, covering_range, ensure_font, finish, DrawResult, PlotError,
    AXIS_LABEL_SIZE, CLASS_0, CLASS_1, FONT, NO_CLASS, THRESHOLD, TICK_SIZE, TITLE_SIZE,
};
use crate::runner::GridBounds;

/// Figure size in pixels.
const SIZE: (u32, u32) = (800, 600);
/// Width of the colour bar column at the right, in pixels.
const BAR_WIDTH: u32 = 130;
/// Height of the key below the plot, in pixels.
const KEY_HEIGHT: u32 = 36;
/// Radius of a data point, in pixels.
const POINT_RADIUS: i32 = 6;
/// Number of bands the colour bar is drawn with.
const BAR_STEPS: usize = 100;
/// Colour of the 0.5 contour line.
const CONTOUR: RGBColor = RGBColor(40, 40, 40);

/// Draws the model output `field` over the rectangle `bounds` as a red-white-blue colour
/// field with its 0.5 contour, and the data points on top, as an 800x600 PNG at `path`.
///
/// `field` has `resolution * resolution` values in row-major order: row `r` is at grid line
/// `r` of `bounds.x1` and column `c` at grid line `c` of `bounds.x0`. The first grid line
/// lies on the low edge and the last on the high edge (see [`GridBounds::line`]). An output of 0 is
/// light red, 0.5 white and 1 light blue, and a NaN or infinite output is grey. A colour bar
/// at the right gives the scale, and a black line follows the 0.5 contour. Points are
/// filled with the full colour of their class (`labels` contains 0 or 1) and outlined in
/// black. The axes cover `bounds`, widened to include every point, with a 5% margin. The
/// field covers only `bounds`.
///
/// # Errors
///
/// Returns [`PlotError::InvalidInput`] when `resolution` is below 2 or a range of `bounds`
/// is empty, reversed or not finite. Returns [`PlotError::LengthMismatch`] when `field` does
/// not have `resolution * resolution` values or `labels` does not have one entry per point.
/// Returns [`PlotError::Draw`] when drawing or writing the file fails.
pub fn decision_boundary(
    path: &Path,
    title: &str,
    field: &[f64],
    resolution: usize,
    bounds: GridBounds,
    points: &[[f64; 2]],
    labels: &[f64],
) -> Result<(), PlotError> {
    if resolution < 2 {
        return Err(PlotError::InvalidInput {
            path: path.to_path_buf(),
            reason: format!(
                "the grid resolution is {resolution}, so pass a resolution of at least 2"
            ),
        });
    }
    for (axis, [low, high]) in [("x0", bounds.x0), ("x1", bounds.x1)] {
        if !(low.is_finite() && high.is_finite() && low < high) {
            return Err(PlotError::InvalidInput {
                path: path.to_path_buf(),
                reason: format!(
                    "the grid range of {axis} is [{low}, {high}], so pass finite bounds with \
                     the low end first"
                ),
            });
        }
    }
    let cells = resolution.saturating_mul(resolution);
    check_lengths(
        path,
        ("resolution * resolution", cells),
        ("field", field.len()),
    )?;
    check_lengths(path, ("points", points.len()), ("labels", labels.len()))?;
    ensure_font()?;

    let grid = Grid {
        field,
        resolution,
        bounds,
    };
    finish(path, draw(path, title, &grid, points, labels))
}

/// How far the colour field goes from white towards the class colours at outputs 0 and 1.
/// Below 1, so the data points, drawn in the full class colours, stand out.
const FIELD_SATURATION: f64 = 0.6;

/// Maps a model output to the diverging colour map: 0 light red, 0.5 white, 1 light blue.
fn output_colour(output: f64) -> RGBColor {
    if !output.is_finite() {
        return NO_CLASS;
    }
    let output = output.clamp(0.0, 1.0);
    let (end, distance) = if output < 0.5 {
        (CLASS_0, (0.5 - output) * 2.0)
    } else {
        (CLASS_1, (output - 0.5) * 2.0)
    };
    let weight = distance * FIELD_SATURATION;
    let blend = |channel: u8| (255.0 + (f64::from(channel) - 255.0) * weight).round() as u8;
    RGBColor(blend(end.0), blend(end.1), blend(end.2))
}

fn draw(path: &Path, title: &str, grid: &Grid, points: &[[f64; 2]], labels: &[f64]) -> DrawResult {
    let root = canvas(path, SIZE)?;
    root.fill(&WHITE)?;

    let body = root.margin(8, 0, 0, 0).titled(title, (FONT, TITLE_SIZE))?;
    let (upper, key) = body.split_vertically(body.dim_in_pixel().1 - KEY_HEIGHT);
    let (main, bar) = upper.split_horizontally(SIZE.0 - BAR_WIDTH);

    let x_range = covering_range(grid.bounds.x0, points.iter().map(|point| point[0]));
    let y_range = covering_range(grid.bounds.x1, points.iter().map(|point| point[1]));
    let mut chart = ChartBuilder::on(&main)
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(x_range, y_range)?;
    chart
        .configure_mesh()
        .x_desc("x0")
        .y_desc("x1")
        .axis_desc_style((FONT, AXIS_LABEL_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|value| format!("{value:.1}"))
        .y_label_formatter(&|value| format!("{value:.1}"))
        .disable_mesh()
        .draw()?;

    // Each grid value fills the cell centred on its grid point, cut to the bounds.
    let [x_low, x_high] = grid.bounds.x0;
    let [y_low, y_high] = grid.bounds.x1;
    let half_x = 0.5 * (x_high - x_low) / (grid.resolution - 1) as f64;
    let half_y = 0.5 * (y_high - y_low) / (grid.resolution - 1) as f64;
    let cells = (0..grid.resolution).flat_map(|row| {
        (0..grid.resolution).map(move |column| {
            let x = grid.x0(column);
            let y = grid.x1(row);
            let corner_low = ((x - half_x).max(x_low), (y - half_y).max(y_low));
            let corner_high = ((x + half_x).min(x_high), (y + half_y).min(y_high));
            let colour = output_colour(grid.value(row, column));
            Rectangle::new([corner_low, corner_high], colour.filled())
        })
    });
    chart.draw_series(cells)?;

    let contour = contour_segments(grid, THRESHOLD);
    chart.draw_series(
        contour
            .into_iter()
            .map(|(start, end)| PathElement::new(vec![start, end], CONTOUR.stroke_width(2))),
    )?;

    let markers = points.iter().zip(labels).map(|(point, &label)| {
        EmptyElement::at((point[0], point[1]))
            + Circle::new((0, 0), POINT_RADIUS, class_colour(label).filled())
            + Circle::new((0, 0), POINT_RADIUS, BLACK.stroke_width(1))
    });
    chart.draw_series(markers)?;

    draw_colour_bar(&bar)?;
    draw_key(&key)?;
    root.present()?;
    Ok(())
}

/// Draws a vertical colour bar from output 0 (bottom) to 1 (top) with its scale.
fn draw_colour_bar(area: &DrawingArea<Canvas, Shift>) -> DrawResult {
    // The top and bottom margins line the bar up with the plot beside it, whose x-axis
    // label area is 44 pixels high.
    let mut bar = ChartBuilder::on(area)
        .margin_top(12)
        .margin_bottom(12 + 44)
        .margin_left(8)
        .margin_right(12)
        .right_y_label_area_size(80)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(3)
        .y_label_formatter(&|value| match value {
            v if *v < 0.25 => "0 (red)".to_string(),
            v if *v > 0.75 => "1 (blue)".to_string(),
            _ => "0.5".to_string(),
        })
        .y_desc("model output")
        .axis_desc_style((FONT, TICK_SIZE))
        .label_style((FONT, TICK_SIZE))
        .draw()?;

    let band = 1.0 / BAR_STEPS as f64;
    bar.draw_series((0..BAR_STEPS).map(|step| {
        let low = step as f64 * band;
        let colour = output_colour(low + band / 2.0);
        Rectangle::new([(0.0, low), (1.0, low + band)], colour.filled())
    }))?;
    bar.draw_series([Rectangle::new(
        [(0.0, 0.0), (1.0, 1.0)],
        BLACK.stroke_width(1),
    )])?;
    Ok(())
}

/// Draws the key below the plot, which names the point markers and the contour line.
fn draw_key(area: &DrawingArea<Canvas, Shift>) -> DrawResult {
    let style =
        TextStyle::from((FONT, TICK_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let y = KEY_HEIGHT as i32 / 2;
    let mut x = 70;
    for (colour, text) in [(CLASS_0, "class 0 sample"), (CLASS_1, "class 1 sample")] {
        area.draw(&Circle::new((x, y), POINT_RADIUS, colour.filled()))?;
        area.draw(&Circle::new((x, y), POINT_RADIUS, BLACK.stroke_width(1)))?;
        area.draw(&Text::new(text, (x + 12, y), style.clone()))?;
        let (width, _) = area.estimate_text_size(text, &style)?;
        x += 12 + width as i32 + 30;
    }
    area.draw(&PathElement::new(
        vec![(x - 6, y), (x + 18, y)],
        CONTOUR.stroke_width(2),
    ))?;
    area.draw(&Text::new(
        "output = 0.5 (decision boundary)",
        (x + 26, y),
        style,
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::contour::tests::diagonal_field;
    use super::super::test_support::png_size;
    use super::*;

    #[test]
    fn boundary_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("boundary.png");
        let points = [[0.2, 0.8], [0.8, 0.2]];
        boundary_ok(&path, &diagonal_field(50), 50, &points, &[1.0, 0.0]);
        assert_eq!(png_size(&path), SIZE);
    }

    fn boundary_ok(
        path: &Path,
        field: &[f64],
        resolution: usize,
        points: &[[f64; 2]],
        labels: &[f64],
    ) {
        decision_boundary(
            path,
            "Decision boundary",
            field,
            resolution,
            GridBounds::UNIT,
            points,
            labels,
        )
        .unwrap();
    }

    #[test]
    fn boundary_png_over_wide_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.png");
        let points = [[-4.5, 4.0], [4.0, -4.5]];
        let bounds = GridBounds::around(&points);
        decision_boundary(
            &path,
            "Wide data",
            &diagonal_field(50),
            50,
            bounds,
            &points,
            &[1.0, 0.0],
        )
        .unwrap();
        assert_eq!(png_size(&path), SIZE);
    }

    #[test]
    fn reversed_bounds_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reversed.png");
        let bounds = GridBounds {
            x0: [0.0, 1.0],
            x1: [2.0, -2.0],
        };
        let error = decision_boundary(&path, "t", &[0.5; 4], 2, bounds, &[], &[]).unwrap_err();
        assert!(matches!(error, PlotError::InvalidInput { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("x1 is [2, -2]"), "{message}");
        assert!(!path.exists());
    }

    #[test]
    fn field_length_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.png");
        let error =
            decision_boundary(&path, "t", &[0.5; 10], 4, GridBounds::UNIT, &[], &[]).unwrap_err();
        assert!(
            matches!(error, PlotError::LengthMismatch { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains("resolution * resolution has 16 entries"),
            "{message}"
        );
        assert!(message.contains("field has 10"), "{message}");
        assert!(!path.exists());
    }

    #[test]
    fn labels_length_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.png");
        let error = decision_boundary(
            &path,
            "t",
            &[0.5; 4],
            2,
            GridBounds::UNIT,
            &[[0.1, 0.2]; 3],
            &[1.0],
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(message.contains("points has 3 entries"), "{message}");
        assert!(message.contains("labels has 1"), "{message}");
    }

    #[test]
    fn resolution_one_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.png");
        let error =
            decision_boundary(&path, "t", &[0.5], 1, GridBounds::UNIT, &[], &[]).unwrap_err();
        assert!(matches!(error, PlotError::InvalidInput { .. }), "{error:?}");
        assert!(error.to_string().contains("at least 2"), "{error}");
    }

    #[test]
    fn colour_map_ends_and_middle() {
        // The ends are the class colours moved 60% of the way from white.
        assert_eq!(output_colour(0.0), RGBColor(230, 125, 126));
        assert_eq!(output_colour(1.0), RGBColor(121, 173, 210));
        assert_eq!(output_colour(0.5), RGBColor(255, 255, 255));
        assert_eq!(output_colour(-3.0), output_colour(0.0));
        assert_eq!(output_colour(7.0), output_colour(1.0));
        assert_eq!(output_colour(f64::NAN), NO_CLASS);
        let (low, high) = (output_colour(0.25), output_colour(0.75));
        assert!(low.0 > low.2, "0.25 is not reddish: {low:?}");
        assert!(high.2 > high.0, "0.75 is not bluish: {high:?}");
    }
}
