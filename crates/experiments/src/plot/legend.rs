//! The legend of a learning-curve figure, placed in the corner of the plot area where it
//! covers the fewest drawn points.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::lines::{draw_line, draw_marker, Marker, Pixel};
use super::{DrawResult, FONT, TICK_SIZE};

/// Distance between the legend box and the edges of the plot area, in pixels.
const INSET: i32 = 8;
/// Space between the legend's border and its contents, in pixels.
const PADDING: i32 = 10;
/// Length of the line sample before each label, in pixels. It is long enough to show one
/// whole period of every dash pattern.
const SAMPLE_LENGTH: i32 = 36;
/// Space between a line sample and its label, in pixels.
const SAMPLE_GAP: i32 = 8;
/// Height of one legend row, in pixels.
const ROW_HEIGHT: i32 = TICK_SIZE as i32 + 6;
/// Half the width of the cross sample, in pixels.
const CROSS_SIZE: i32 = 7;

/// The symbol a legend row shows before its label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Sample {
    /// A line with the colour, dash pattern and marker of its series.
    Line {
        /// The series colour.
        colour: RGBColor,
        /// The series dash pattern (see [`super::lines::DASHES`]).
        dashes: &'static [u32],
        /// The series marker, drawn at the middle of the line, if the series has one.
        marker: Option<Marker>,
    },
    /// A black cross, the mark of a diverged series' last finite loss.
    Cross,
    /// Nothing: the row is a note.
    Blank,
}

/// One row of the legend.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Entry {
    /// The symbol before the label.
    pub sample: Sample,
    /// The label text.
    pub label: String,
}

/// The corners the legend may take, in order of preference when several cover equally few
/// points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Corner {
    UpperRight,
    UpperLeft,
    LowerLeft,
    LowerRight,
}

impl Corner {
    const ALL: [Corner; 4] = [
        Corner::UpperRight,
        Corner::UpperLeft,
        Corner::LowerLeft,
        Corner::LowerRight,
    ];

    /// Returns the top-left pixel of a box of `size` in this corner of `plot`.
    fn origin(self, plot: &(Range<i32>, Range<i32>), size: (i32, i32)) -> Pixel {
        let (x, y) = plot;
        let left = x.start + INSET;
        let right = x.end - INSET - size.0;
        let top = y.start + INSET;
        let bottom = y.end - INSET - size.1;
        match self {
            Corner::UpperRight => (right, top),
            Corner::UpperLeft => (left, top),
            Corner::LowerLeft => (left, bottom),
            Corner::LowerRight => (right, bottom),
        }
    }
}

/// Returns the corner of `plot` (pixel ranges of the plot area) where a box of `size` covers
/// the fewest of `ink`, the sampled pixels of everything drawn. Ties go to the earlier
/// corner of [`Corner::ALL`].
pub(super) fn choose_corner(
    plot: &(Range<i32>, Range<i32>),
    size: (i32, i32),
    ink: &[Pixel],
) -> Corner {
    let covered = |corner: Corner| {
        let (left, top) = corner.origin(plot, size);
        // Points just outside the box would touch its border, so they count too.
        let margin = 3;
        ink.iter()
            .filter(|&&(x, y)| {
                (left - margin..=left + size.0 + margin).contains(&x)
                    && (top - margin..=top + size.1 + margin).contains(&y)
            })
            .count()
    };
    Corner::ALL
        .into_iter()
        .min_by_key(|&corner| covered(corner))
        .expect("there are four corners")
}

/// Draws the legend of `entries` on `area`, whose coordinates are backend pixels, in the
/// corner of `plot` that covers the fewest of `ink` (see [`choose_corner`]).
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    plot: &(Range<i32>, Range<i32>),
    entries: &[Entry],
    ink: &[Pixel],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if entries.is_empty() {
        return Ok(());
    }
    let font =
        TextStyle::from((FONT, TICK_SIZE).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    let mut text_width = 0;
    for entry in entries {
        let (width, _) = area.estimate_text_size(&entry.label, &font)?;
        text_width = text_width.max(width as i32);
    }
    let size = (
        2 * PADDING + SAMPLE_LENGTH + SAMPLE_GAP + text_width,
        2 * PADDING + ROW_HEIGHT * entries.len() as i32,
    );
    let (left, top) = choose_corner(plot, size, ink).origin(plot, size);
    let corners = [(left, top), (left + size.0, top + size.1)];
    area.draw(&Rectangle::new(corners, WHITE.mix(0.85).filled()))?;
    area.draw(&Rectangle::new(corners, BLACK.mix(0.4)))?;

    for (row, entry) in entries.iter().enumerate() {
        let y = top + PADDING + ROW_HEIGHT * row as i32 + ROW_HEIGHT / 2;
        let x = left + PADDING;
        match entry.sample {
            Sample::Line {
                colour,
                dashes,
                marker,
            } => {
                draw_line(area, &[(x, y), (x + SAMPLE_LENGTH, y)], colour, dashes)?;
                if let Some(marker) = marker {
                    draw_marker(area, (x + SAMPLE_LENGTH / 2, y), marker, colour)?;
                }
            }
            Sample::Cross => {
                let centre = (x + SAMPLE_LENGTH / 2, y);
                area.draw(&Cross::new(centre, CROSS_SIZE, BLACK.stroke_width(2)))?;
            }
            Sample::Blank => {}
        }
        let text_x = x + SAMPLE_LENGTH + SAMPLE_GAP;
        area.draw(&Text::new(entry.label.as_str(), (text_x, y), font.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns the pixel ranges of a 600 x 400 plot area at (100, 50).
    fn plot() -> (Range<i32>, Range<i32>) {
        (100..700, 50..450)
    }

    #[test]
    fn empty_plot_takes_upper_right() {
        assert_eq!(choose_corner(&plot(), (150, 80), &[]), Corner::UpperRight);
    }

    #[test]
    fn crowded_upper_corners_move_legend_down() {
        // A flat line along the top of the plot, as a slow run's loss draws it.
        let ink: Vec<Pixel> = (100..700).map(|x| (x, 70)).collect();
        assert_eq!(choose_corner(&plot(), (150, 80), &ink), Corner::LowerLeft);
    }

    #[test]
    fn corner_with_fewest_points_wins() {
        let mut ink: Vec<Pixel> = (100..700).map(|x| (x, 70)).collect();
        ink.extend((100..260).map(|x| (x, 400)));
        ink.push((650, 420));
        assert_eq!(choose_corner(&plot(), (150, 80), &ink), Corner::LowerRight);
    }

    #[test]
    fn origins_stay_inside_plot() {
        let size = (150, 80);
        for corner in Corner::ALL {
            let (left, top) = corner.origin(&plot(), size);
            assert!(left >= 100, "{corner:?} left {left}");
            assert!(left + size.0 <= 700, "{corner:?} right {}", left + size.0);
            assert!(top >= 50, "{corner:?} top {top}");
            assert!(top + size.1 <= 450, "{corner:?} bottom {}", top + size.1);
        }
    }
}
