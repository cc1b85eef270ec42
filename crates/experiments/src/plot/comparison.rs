//! The comparison figure: the ground-truth classes beside the predicted classes.

use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{canvas, Canvas};
use super::{
    check_lengths, class_colour, ensure_font, finish, point_range, DrawResult, PlotError,
    AXIS_LABEL_SIZE, CAPTION_SIZE, CLASS_0, CLASS_1, FONT, NO_CLASS, THRESHOLD, TICK_SIZE,
    TITLE_SIZE,
};

/// Figure size in pixels.
const SIZE: (u32, u32) = (1000, 480);
/// Height of the key below the two panels, in pixels.
const KEY_HEIGHT: u32 = 36;
/// Radius of a data point, in pixels.
const POINT_RADIUS: i32 = 6;
/// Radius of the ring that marks a wrong prediction, in pixels.
const RING_RADIUS: i32 = 10;

/// Draws two scatter plots side by side, "Ground truth" coloured by `truth` and
/// "Predict result" coloured by the class of `predicted`, as a 1000x480 PNG at `path`.
///
/// `predicted` contains the raw model outputs (sigmoid values); an output above 0.5 is
/// class 1. Class 0 is red and class 1 is blue, and a NaN or infinite output is drawn grey.
/// In "Predict result" a black ring marks each point whose predicted class differs from
/// `truth`. A key below the panels states the colours and how many predictions are correct.
/// Both axes cover `[0, 1]`, widened to include every point, with a 5% margin.
///
/// # Errors
///
/// Returns [`PlotError::LengthMismatch`] when `truth` or `predicted` does not have one entry
/// per point, and [`PlotError::Draw`] when drawing or writing the file fails.
pub fn comparison(
    path: &Path,
    title: &str,
    points: &[[f64; 2]],
    truth: &[f64],
    predicted: &[f64],
) -> Result<(), PlotError> {
    check_lengths(path, ("points", points.len()), ("truth", truth.len()))?;
    check_lengths(
        path,
        ("points", points.len()),
        ("predicted", predicted.len()),
    )?;
    ensure_font()?;

    let truth_colours: Vec<RGBColor> = truth.iter().map(|&label| class_colour(label)).collect();
    let predicted_colours: Vec<RGBColor> = predicted
        .iter()
        .map(|&output| {
            if output.is_finite() {
                class_colour(output)
            } else {
                NO_CLASS
            }
        })
        .collect();
    // A NaN output is grey, so it never equals a class colour and counts as wrong.
    let wrong: Vec<bool> = truth_colours
        .iter()
        .zip(&predicted_colours)
        .map(|(truth, predicted)| truth != predicted)
        .collect();

    let figure = Figure {
        title,
        points,
        truth_colours: &truth_colours,
        predicted_colours: &predicted_colours,
        wrong: &wrong,
        unknown: predicted
            .iter()
            .filter(|output| !output.is_finite())
            .count(),
    };
    finish(path, draw(path, &figure))
}

/// Everything the drawing code needs, computed up front.
struct Figure<'a> {
    title: &'a str,
    points: &'a [[f64; 2]],
    truth_colours: &'a [RGBColor],
    predicted_colours: &'a [RGBColor],
    /// Whether each predicted class differs from the ground truth.
    wrong: &'a [bool],
    /// Number of NaN or infinite outputs.
    unknown: usize,
}

fn draw(path: &Path, figure: &Figure) -> DrawResult {
    let root = canvas(path, SIZE)?;
    root.fill(&WHITE)?;

    let body = root
        .margin(8, 0, 0, 0)
        .titled(figure.title, (FONT, TITLE_SIZE))?;
    let (panels, key) = body.split_vertically(body.dim_in_pixel().1 - KEY_HEIGHT);
    let (left, right) = panels.split_horizontally(SIZE.0 / 2);

    let x_range = point_range(figure.points.iter().map(|point| point[0]));
    let y_range = point_range(figure.points.iter().map(|point| point[1]));
    let ranges = (x_range, y_range);
    let no_rings = vec![false; figure.points.len()];
    let truth_panel = Panel {
        caption: "Ground truth",
        colours: figure.truth_colours,
        rings: &no_rings,
    };
    let predicted_panel = Panel {
        caption: "Predict result",
        colours: figure.predicted_colours,
        rings: figure.wrong,
    };
    draw_panel(&left, &ranges, figure.points, &truth_panel)?;
    draw_panel(&right, &ranges, figure.points, &predicted_panel)?;
    draw_key(&key, figure)?;

    root.present()?;
    Ok(())
}

/// One scatter plot: its caption, the colour of each point and which points get a ring.
struct Panel<'a> {
    caption: &'a str,
    colours: &'a [RGBColor],
    rings: &'a [bool],
}

fn draw_panel(
    area: &DrawingArea<Canvas, Shift>,
    (x_range, y_range): &(Range<f64>, Range<f64>),
    points: &[[f64; 2]],
    panel: &Panel,
) -> DrawResult {
    let mut chart = ChartBuilder::on(area)
        .caption(panel.caption, (FONT, CAPTION_SIZE))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(x_range.clone(), y_range.clone())?;

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
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.1))
        .draw()?;

    let rings = points
        .iter()
        .zip(panel.rings)
        .filter(|(_, &ring)| ring)
        .map(|(point, _)| Circle::new((point[0], point[1]), RING_RADIUS, BLACK.stroke_width(2)));
    chart.draw_series(rings)?;
    let markers = points.iter().zip(panel.colours).map(|(point, &colour)| {
        EmptyElement::at((point[0], point[1]))
            + Circle::new((0, 0), POINT_RADIUS, colour.filled())
            + Circle::new((0, 0), POINT_RADIUS, BLACK.mix(0.6).stroke_width(1))
    });
    chart.draw_series(markers)?;
    Ok(())
}

/// Draws one line below the panels: the class colours, the ring and the agreement count.
fn draw_key(area: &DrawingArea<Canvas, Shift>, figure: &Figure) -> DrawResult {
    let style =
        TextStyle::from((FONT, TICK_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let y = KEY_HEIGHT as i32 / 2;
    let mut x = 40;

    let mut entries = vec![
        (Some(CLASS_0), "class 0".to_string()),
        (Some(CLASS_1), "class 1".to_string()),
    ];
    if figure.unknown > 0 {
        entries.push((Some(NO_CLASS), format!("NaN output ({})", figure.unknown)));
    }
    entries.push((None, "prediction differs from ground truth".to_string()));
    for (colour, text) in entries {
        match colour {
            Some(colour) => {
                area.draw(&Circle::new((x, y), POINT_RADIUS, colour.filled()))?;
                area.draw(&Circle::new(
                    (x, y),
                    POINT_RADIUS,
                    BLACK.mix(0.6).stroke_width(1),
                ))?;
            }
            None => area.draw(&Circle::new((x, y), RING_RADIUS, BLACK.stroke_width(2)))?,
        }
        let text_x = x + RING_RADIUS + 6;
        area.draw(&Text::new(text.clone(), (text_x, y), style.clone()))?;
        let (width, _) = area.estimate_text_size(&text, &style)?;
        x = text_x + width as i32 + 28;
    }

    let correct = figure.wrong.iter().filter(|&&wrong| !wrong).count();
    let summary = format!(
        "class 1 when output > {THRESHOLD}, {correct} of {} correct",
        figure.points.len()
    );
    area.draw(&Text::new(summary, (x, y), style))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_support::png_size;
    use super::*;

    fn xor_like() -> (Vec<[f64; 2]>, Vec<f64>) {
        let data = crate::data::xor_easy();
        (data.points, data.labels)
    }

    #[test]
    fn comparison_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("comparison.png");
        let (points, labels) = xor_like();
        let predicted: Vec<f64> = labels.iter().map(|label| 0.1 + 0.8 * label).collect();
        comparison(&path, "XOR", &points, &labels, &predicted).unwrap();
        assert_eq!(png_size(&path), SIZE);
    }

    #[test]
    fn comparison_nan_outputs_draw() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nan.png");
        let (points, labels) = xor_like();
        let predicted = vec![f64::NAN; points.len()];
        comparison(&path, "diverged", &points, &labels, &predicted).unwrap();
        assert_eq!(png_size(&path), SIZE);
    }

    #[test]
    fn comparison_truth_length_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.png");
        let (points, labels) = xor_like();
        let error = comparison(&path, "t", &points, &labels[..20], &labels).unwrap_err();
        assert!(
            matches!(error, PlotError::LengthMismatch { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("points has 21 entries"), "{message}");
        assert!(message.contains("truth has 20"), "{message}");
        assert!(!path.exists());
    }

    #[test]
    fn comparison_predicted_length_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.png");
        let (points, labels) = xor_like();
        let error = comparison(&path, "t", &points, &labels, &[0.5; 3]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("points has 21 entries"), "{message}");
        assert!(message.contains("predicted has 3"), "{message}");
    }
}
