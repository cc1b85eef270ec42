//! Learning curves: loss against epoch on a log-scale y axis, one line per run.

use std::path::Path;

use plotters::prelude::*;

use super::canvas::canvas;
use super::legend::{draw_legend, Entry, Sample};
use super::lines::{
    draw_line, draw_marker, marker_positions, sample_line, Marker, Pixel, DASHES, MARKERS,
};
use super::{
    ensure_font, finish, DrawResult, PlotError, AXIS_LABEL_SIZE, FONT, TICK_SIZE, TITLE_SIZE,
};

/// Figure size in pixels.
const SIZE: (u32, u32) = (800, 600);
/// Losses at or below zero are drawn at this value, because a log axis cannot show them.
const LOG_FLOOR: f64 = 1e-12;
/// Series longer than twice this many epochs are reduced to this many buckets before
/// drawing. Each bucket keeps its minimum and maximum, so spikes stay visible.
const MAX_BUCKETS: usize = 1000;
/// Half the width of the cross that marks a diverged series' last finite loss, in pixels.
const CROSS_SIZE: i32 = 7;
/// Line colours, in series order, repeated past the tenth series. Each series also gets a
/// dash pattern of [`DASHES`] and a marker of [`MARKERS`], so lines that lie on each other
/// stay apart.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// One run's loss history, drawn as one line of a learning-curve figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text, such as `"lr = 0.1"`.
    pub label: String,
    /// Loss of each epoch: `losses[i]` is drawn at epoch `i + 1`. A run that diverged ends
    /// with non-finite values.
    pub losses: Vec<f64>,
}

/// Draws the loss of each series against epoch, with a log-scale y axis and a legend, as an
/// 800x600 PNG at `path`.
///
/// The x axis is labelled "epoch" and runs from 1 to the longest series; the y axis is
/// labelled `y_label`. Series `i` has colour `i` of a 10-colour palette and dash pattern
/// `i` of 6 (solid, dashed, dotted, dash-dot, long dashes, dash-dot-dot). When there is
/// more than one series, it also gets marker `i` of 6 (circle, square, triangle up,
/// diamond, triangle down, plus), drawn every 120 pixels along x. Later series are drawn on
/// top, but a series hidden under another still shows through the gaps, and the markers of
/// different series sit at different x positions and are drawn over every line. The legend
/// repeats each line's style and takes the corner of the plot area where it covers the
/// fewest drawn points.
///
/// When a series contains a NaN or infinite loss, only the epochs before the first one are
/// drawn and a cross in the series colour marks its last finite loss. Its legend label gains `" (diverged at epoch N)"`, where `N` is the epoch of that
/// first non-finite loss. When any series diverged, the y axis ends at the largest loss of
/// the series that did not diverge, or at 10 times the largest first-epoch loss when every
/// series diverged, rounded up to a power of ten. Diverged losses above that top are drawn
/// along the top edge, and the legend gains a note that names the top. Losses at or below zero are drawn
/// at 1e-12. Series longer than 2,000 epochs are reduced to the minimum and maximum of
/// 1,000 buckets of epochs, which keeps spikes and is faster to draw.
///
/// # Errors
///
/// Returns [`PlotError::InvalidInput`] when `series` is empty or every series is empty, and
/// [`PlotError::Draw`] when drawing or writing the file fails.
pub fn learning_curves(
    path: &Path,
    title: &str,
    y_label: &str,
    series: &[Series],
) -> Result<(), PlotError> {
    let epochs = series.iter().map(|run| run.losses.len()).max().unwrap_or(0);
    if epochs == 0 {
        return Err(PlotError::InvalidInput {
            path: path.to_path_buf(),
            reason: "no series has any loss value, so pass at least one series with one or \
                     more epochs"
                .to_string(),
        });
    }
    ensure_font()?;
    let curves: Vec<Curve> = series.iter().map(Curve::new).collect();
    finish(path, draw(path, title, y_label, epochs, &curves))
}

/// A series prepared for drawing: its legend text and the (epoch, loss) points to draw.
struct Curve {
    legend: String,
    points: Vec<(f64, f64)>,
    /// Whether the series contains a NaN or infinite loss, so `points` stops before it.
    diverged: bool,
}

impl Curve {
    fn new(series: &Series) -> Curve {
        let finite_len = series
            .losses
            .iter()
            .position(|loss| !loss.is_finite())
            .unwrap_or(series.losses.len());
        let diverged = finite_len < series.losses.len();
        let legend = if diverged {
            format!("{} (diverged at epoch {})", series.label, finite_len + 1)
        } else {
            series.label.clone()
        };
        let finite = &series.losses[..finite_len];
        let points = downsample(finite)
            .into_iter()
            .map(|index| ((index + 1) as f64, finite[index].max(LOG_FLOOR)))
            .collect();
        Curve {
            legend,
            points,
            diverged,
        }
    }
}

/// Returns the indices of `losses` to draw: all of them for short series, else the minimum
/// and maximum of each of [`MAX_BUCKETS`] buckets in epoch order, plus the last epoch.
fn downsample(losses: &[f64]) -> Vec<usize> {
    if losses.len() <= 2 * MAX_BUCKETS {
        return (0..losses.len()).collect();
    }
    let bucket = losses.len().div_ceil(MAX_BUCKETS);
    let mut indices = Vec::with_capacity(2 * MAX_BUCKETS + 1);
    for start in (0..losses.len()).step_by(bucket) {
        let end = (start + bucket).min(losses.len());
        let mut low = start;
        let mut high = start;
        for index in start..end {
            if losses[index] < losses[low] {
                low = index;
            }
            if losses[index] > losses[high] {
                high = index;
            }
        }
        indices.push(low.min(high));
        if low != high {
            indices.push(low.max(high));
        }
    }
    if indices.last() != Some(&(losses.len() - 1)) {
        indices.push(losses.len() - 1);
    }
    indices
}

/// Returns the y range: from the power of ten at or below the lowest drawn loss to the power
/// of ten at or above the highest, capped by [`divergence_cap`], at least one decade, so
/// both ends get a tick label.
fn loss_range(curves: &[Curve]) -> (f64, f64) {
    let (low, high) = curves
        .iter()
        .flat_map(|curve| curve.points.iter().map(|&(_, loss)| loss))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), loss| {
            (low.min(loss), high.max(loss))
        });
    if !low.is_finite() {
        // Every series diverged at its first epoch, so there is nothing to scale to.
        return (1e-3, 1.0);
    }
    let high = match divergence_cap(curves) {
        Some(cap) => high.min(cap),
        None => high,
    };
    let low_exponent = low.log10().floor();
    let high_exponent = high.log10().ceil().max(low_exponent + 1.0);
    // The small widening keeps both end decades inside the range despite rounding in
    // `powf`, so plotters labels them.
    let low = 10f64.powf(low_exponent) * (1.0 - 1e-9);
    let high = (10f64.powf(high_exponent) * (1.0 + 1e-9)).min(f64::MAX);
    (low, high)
}

/// Returns the highest loss the y axis must show when a series diverged, or `None` when
/// none did or no diverged series has a finite loss.
///
/// A diverged run's losses can grow by many orders of magnitude before turning non-finite
/// (the fully linear network of the `no-activation` sweep reaches 1e98 in four epochs), and
/// scaling the axis to them flattens every other curve. The
/// cap is the largest loss of the series that did not diverge, so those are never clipped
/// and fill the chart. When every series diverged, the cap is 10 times the largest
/// first-epoch loss, which shows where each run started and the first decade of its growth.
fn divergence_cap(curves: &[Curve]) -> Option<f64> {
    if !curves.iter().any(|curve| curve.diverged) {
        return None;
    }
    let stable_max = curves
        .iter()
        .filter(|curve| !curve.diverged)
        .flat_map(|curve| curve.points.iter().map(|&(_, loss)| loss))
        .fold(f64::NEG_INFINITY, f64::max);
    if stable_max.is_finite() {
        return Some(stable_max);
    }
    let first_max = curves
        .iter()
        .filter_map(|curve| curve.points.first().map(|&(_, loss)| loss))
        .fold(f64::NEG_INFINITY, f64::max);
    first_max
        .is_finite()
        .then(|| (10.0 * first_max).min(f64::MAX))
}

/// Clips a line at the loss `top`: each segment that crosses `top` is cut where it crosses,
/// and the part above runs along `top`, so the line stays inside the plot area.
///
/// The crossing is interpolated in `log10(loss)`, because the y axis is logarithmic and a
/// segment is straight in that space. Points must be positive, as [`Curve`] makes them.
fn clip_top(points: &[(f64, f64)], top: f64) -> Vec<(f64, f64)> {
    let mut clipped = Vec::with_capacity(points.len());
    for (index, &(epoch, loss)) in points.iter().enumerate() {
        if index > 0 {
            let (previous_epoch, previous_loss) = points[index - 1];
            if (previous_loss > top) != (loss > top) {
                let fraction =
                    (top.log10() - previous_loss.log10()) / (loss.log10() - previous_loss.log10());
                let crossing = previous_epoch + fraction * (epoch - previous_epoch);
                clipped.push((crossing, top));
            }
        }
        clipped.push((epoch, loss.min(top)));
    }
    clipped
}

/// Returns `true` when the tick labels of a loss range need scientific notation, that is
/// when the range reaches below 0.0001 or above 100,000.
fn needs_scientific((low, high): (f64, f64)) -> bool {
    low < 1e-4 * (1.0 - 1e-6) || high > 1e5 * (1.0 + 1e-6)
}

/// Formats a loss tick label in scientific notation, or else in plain decimals.
fn format_loss(loss: f64, scientific: bool) -> String {
    if !scientific {
        // Enough decimals for the leading digit: 0.03 needs 2, 200 needs 0.
        let decimals = (-loss.log10().floor()).max(0.0) as usize;
        format!("{loss:.decimals$}")
    } else {
        format!("{loss:.0e}")
    }
}

/// Returns the colour, dash pattern and marker of series `index`.
fn series_style(index: usize) -> (RGBColor, &'static [u32], Marker) {
    (
        PALETTE[index % PALETTE.len()],
        DASHES[index % DASHES.len()],
        MARKERS[index % MARKERS.len()],
    )
}

/// Distance along x between two markers of a series, in pixels.
const MARKER_SPACING: i32 = 120;
/// Distance from the left edge of the plot area to the first marker of the first series,
/// in pixels. It keeps markers off the start, where most curves begin close together.
const MARKER_START: i32 = 30;

/// The spacing, in pixels, of the points sampled along each line to place the legend.
const INK_SPACING: f64 = 2.0;

fn draw(path: &Path, title: &str, y_label: &str, epochs: usize, curves: &[Curve]) -> DrawResult {
    let root = canvas(path, SIZE)?;
    root.fill(&WHITE)?;

    let (low, high) = loss_range(curves);
    let scientific = needs_scientific((low, high));
    let x_end = (epochs as f64).max(2.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, TITLE_SIZE))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(52)
        .y_label_area_size(84)
        .build_cartesian_2d(1.0..x_end, (low..high).log_scale())?;

    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_label)
        .axis_desc_style((FONT, AXIS_LABEL_SIZE))
        .label_style((FONT, TICK_SIZE))
        .x_labels(8)
        .x_label_formatter(&|epoch| format!("{epoch:.0}"))
        .y_label_formatter(&|loss| format_loss(*loss, scientific))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;

    // Lines are drawn in backend pixels, one straight piece at a time (see `lines`). Only
    // diverged series can reach above `high`, because the cap keeps every other series
    // inside the range, so clipping leaves charts without divergence unchanged.
    let area = chart.plotting_area();
    let screen = area.use_screen_coord();
    let mut ink: Vec<Pixel> = Vec::new();
    let mut entries = Vec::with_capacity(curves.len() + 2);
    let mut lines = Vec::with_capacity(curves.len());
    for (index, curve) in curves.iter().enumerate() {
        let (colour, dashes, marker) = series_style(index);
        let pixels: Vec<Pixel> = clip_top(&curve.points, high)
            .iter()
            .map(|point| area.map_coordinate(point))
            .collect();
        draw_line(&screen, &pixels, colour, dashes)?;
        ink.extend(sample_line(&pixels, INK_SPACING));
        entries.push(Entry {
            sample: Sample::Line {
                colour,
                dashes,
                marker: (curves.len() > 1).then_some(marker),
            },
            label: curve.legend.clone(),
        });
        lines.push(pixels);
    }
    // Each series starts its markers a fraction of the spacing later than the one before,
    // so markers of curves that lie on each other do not cover each other.
    let left = area.get_pixel_range().0.start;
    let marked = if curves.len() > 1 {
        lines.as_slice()
    } else {
        &[]
    };
    for (index, pixels) in marked.iter().enumerate() {
        let (colour, _, marker) = series_style(index);
        let offset = MARKER_SPACING * index as i32 / curves.len() as i32;
        for centre in marker_positions(pixels, left + MARKER_START + offset, MARKER_SPACING) {
            draw_marker(&screen, centre, marker, colour)?;
        }
    }
    let (marks, mark_entries) = draw_divergence_marks(&chart, curves, high, scientific)?;
    ink.extend(marks);
    entries.extend(mark_entries);
    draw_legend(&screen, &area.get_pixel_range(), &entries, &ink)?;

    root.present()?;
    Ok(())
}

/// Draws a cross at the last finite loss of each diverged series, clipped to `high`.
/// Returns the centres of the crosses and the legend entries that explain the cross and,
/// when a line was clipped, the clip level.
fn draw_divergence_marks<DB: DrawingBackend>(
    chart: &ChartContext<DB, Cartesian2d<plotters::coord::types::RangedCoordf64, LogCoord<f64>>>,
    curves: &[Curve],
    high: f64,
    scientific: bool,
) -> Result<(Vec<Pixel>, Vec<Entry>), Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    // A series that diverged at its first epoch has no finite loss to mark.
    let marked = curves
        .iter()
        .any(|curve| curve.diverged && !curve.points.is_empty());
    if !marked {
        return Ok((Vec::new(), Vec::new()));
    }

    // Crosses go on after every line, so no later line covers them. A run that diverges
    // within a few epochs has its last finite loss at the left edge. So a cross near the
    // left, right or bottom edge moves inward by up to its half width plus its stroke, which
    // keeps it off the axes and their tick labels. A cross on the clip level stays centred on
    // the top edge, where only the empty margin under the title lies above it.
    let area = chart.plotting_area();
    let (x_pixels, y_pixels) = area.get_pixel_range();
    let inset = CROSS_SIZE + 3;
    let mut centres = Vec::new();
    for (index, curve) in curves.iter().enumerate() {
        let Some(&(epoch, loss)) = curve.points.last().filter(|_| curve.diverged) else {
            continue;
        };
        let (x, y) = area.map_coordinate(&(epoch, loss.min(high)));
        let centre = (
            x.clamp(x_pixels.start + inset, x_pixels.end - inset),
            y.min(y_pixels.end - inset),
        );
        let style = PALETTE[index % PALETTE.len()].stroke_width(3);
        area.use_screen_coord()
            .draw(&Cross::new(centre, CROSS_SIZE, style))?;
        centres.push(centre);
    }

    let mut entries = vec![Entry {
        sample: Sample::Cross,
        label: "last finite loss before divergence".to_string(),
    }];
    let clipped = curves
        .iter()
        .any(|curve| curve.points.iter().any(|&(_, loss)| loss > high));
    if clipped {
        entries.push(Entry {
            sample: Sample::Blank,
            label: format!("diverged runs clipped at {}", format_loss(high, scientific)),
        });
    }
    Ok((centres, entries))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::png_size;
    use super::*;

    fn decaying(epochs: usize, rate: f64) -> Vec<f64> {
        (0..epochs)
            .map(|epoch| 0.25 * (-rate * epoch as f64).exp() + 1e-4)
            .collect()
    }

    #[test]
    fn single_series_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("curve.png");
        let series = [Series {
            label: "baseline".to_string(),
            losses: decaying(100, 0.05),
        }];
        learning_curves(&path, "Baseline", "loss", &series).unwrap();
        assert_eq!(png_size(&path), SIZE);
    }

    #[test]
    fn diverged_series_draws() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("diverged.png");
        let mut exploding: Vec<f64> = (0..40).map(|epoch| 0.3 * 1.5_f64.powi(epoch)).collect();
        exploding.extend([f64::INFINITY, f64::NAN, f64::NAN]);
        let series = [
            Series {
                label: "lr = 0.1".to_string(),
                losses: decaying(43, 0.1),
            },
            Series {
                label: "linear".to_string(),
                losses: exploding,
            },
            Series {
                label: "at once".to_string(),
                losses: vec![f64::NAN; 43],
            },
        ];
        learning_curves(&path, "Divergence", "loss", &series).unwrap();
        assert_eq!(png_size(&path), SIZE);
    }

    #[test]
    fn diverged_legend_and_prefix() {
        let series = Series {
            label: "lr = 1".to_string(),
            losses: vec![0.5, 0.0, 2.0, f64::NAN, 1.0],
        };
        let curve = Curve::new(&series);
        assert_eq!(curve.legend, "lr = 1 (diverged at epoch 4)");
        assert_eq!(curve.points, vec![(1.0, 0.5), (2.0, LOG_FLOOR), (3.0, 2.0)]);
    }

    #[test]
    fn finite_legend_unchanged() {
        let curve = Curve::new(&Series {
            label: "sgd".to_string(),
            losses: vec![0.3, 0.2],
        });
        assert_eq!(curve.legend, "sgd");
        assert_eq!(curve.points.len(), 2);
    }

    #[test]
    fn downsample_keeps_extremes_and_ends() {
        let mut losses = decaying(10_000, 0.001);
        losses[5_000] = 10.0;
        let indices = downsample(&losses);
        assert!(
            indices.len() <= 2 * MAX_BUCKETS + 1,
            "{} indices",
            indices.len()
        );
        assert_eq!(indices.first(), Some(&0));
        assert_eq!(indices.last(), Some(&9_999));
        assert!(indices.contains(&5_000), "the spike was dropped");
        assert!(
            indices.windows(2).all(|pair| pair[0] < pair[1]),
            "indices not increasing"
        );
    }

    #[test]
    fn loss_range_snaps_to_decades() {
        let curve = |losses: &[f64]| {
            Curve::new(&Series {
                label: String::new(),
                losses: losses.to_vec(),
            })
        };
        let close = |value: f64, expected: f64| (value / expected - 1.0).abs() < 1e-6;
        let (low, high) = loss_range(&[curve(&[0.25, 0.034])]);
        assert!(close(low, 0.01), "low {low}");
        assert!(close(high, 1.0), "high {high}");
        assert!(
            low <= 0.01 && high >= 1.0,
            "end decades outside ({low}, {high})"
        );
        let (low, high) = loss_range(&[curve(&[0.1, 0.1])]);
        assert!(close(low, 0.1), "low {low}");
        assert!(close(high, 1.0), "high {high}");
        let (_, high) = loss_range(&[curve(&[1e308, 1.0])]);
        assert!(high.is_finite(), "high {high}");
    }

    /// Prepares a series with an empty label, as `learning_curves` does.
    fn curve_of(losses: &[f64]) -> Curve {
        Curve::new(&Series {
            label: String::new(),
            losses: losses.to_vec(),
        })
    }

    /// Returns whether `value` is within a relative 1e-6 of `expected`.
    fn near(value: f64, expected: f64) -> bool {
        (value / expected - 1.0).abs() < 1e-6
    }

    #[test]
    fn cap_absent_without_divergence() {
        let curves = [curve_of(&[0.5, 2e8, 0.1]), curve_of(&[0.3, 0.01])];
        assert_eq!(divergence_cap(&curves), None);
        let (low, high) = loss_range(&curves);
        assert!(near(low, 0.01), "low {low}");
        assert!(near(high, 1e9), "high {high}");
    }

    #[test]
    fn cap_is_stable_series_max() {
        let curves = [
            curve_of(&[0.49, 0.3, 0.24]),
            curve_of(&[0.2, 0.06]),
            curve_of(&[100.0, 9.5e4, 7.8e20, 4.3e100, f64::NAN]),
        ];
        assert_eq!(divergence_cap(&curves), Some(0.49));
        let (low, high) = loss_range(&curves);
        assert!(near(low, 0.01), "low {low}");
        assert!(near(high, 1.0), "high {high}");
    }

    #[test]
    fn cap_keeps_range_below_stable_max() {
        let stable = [0.5, 0.2, 0.03];
        let diverged = [0.4, 0.45, f64::INFINITY];
        let with_divergence = loss_range(&[curve_of(&stable), curve_of(&diverged)]);
        let without = loss_range(&[curve_of(&stable)]);
        assert_eq!(with_divergence, without);
    }

    #[test]
    fn cap_when_every_series_diverged() {
        let curves = [
            curve_of(&[3.0, 1e40, f64::NAN]),
            curve_of(&[100.0, 1e60, f64::INFINITY]),
            curve_of(&[f64::NAN]),
        ];
        let cap = divergence_cap(&curves).expect("two series have a finite first loss");
        assert!(near(cap, 1000.0), "cap {cap}");
        let (low, high) = loss_range(&curves);
        assert!(near(low, 1.0), "low {low}");
        assert!(near(high, 1000.0), "high {high}");
    }

    #[test]
    fn cap_absent_when_nothing_finite() {
        let curves = [curve_of(&[f64::NAN, 1.0]), curve_of(&[f64::INFINITY])];
        assert_eq!(divergence_cap(&curves), None);
        assert_eq!(loss_range(&curves), (1e-3, 1.0));
    }

    #[test]
    fn clip_top_cuts_at_crossings() {
        let points = [(1.0, 0.1), (2.0, 10.0), (3.0, 1000.0), (4.0, 0.01)];
        let clipped = clip_top(&points, 1.0);
        // In log10 space, 0.1 -> 10 crosses 1 halfway, and 1000 -> 0.01 crosses it 3/5 of
        // the way.
        let expected = [
            (1.0, 0.1),
            (1.5, 1.0),
            (2.0, 1.0),
            (3.0, 1.0),
            (3.6, 1.0),
            (4.0, 0.01),
        ];
        assert_eq!(clipped.len(), expected.len(), "{clipped:?}");
        for (&(epoch, loss), &(expected_epoch, expected_loss)) in clipped.iter().zip(&expected) {
            assert!((epoch - expected_epoch).abs() < 1e-12, "{clipped:?}");
            assert_eq!(loss, expected_loss, "{clipped:?}");
        }
    }

    #[test]
    fn clip_top_keeps_lower_line() {
        let points = [(1.0, 0.5), (2.0, 1.0), (3.0, 0.2)];
        assert_eq!(clip_top(&points, 1.0), points.to_vec());
    }

    #[test]
    fn every_series_diverged_draws() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("all-diverged.png");
        let series = [
            Series {
                label: "lr = 10".to_string(),
                losses: vec![0.4, 30.0, 1e30, f64::NAN],
            },
            Series {
                label: "lr = 100".to_string(),
                losses: vec![0.5, 1e80, f64::INFINITY],
            },
        ];
        learning_curves(&path, "Divergence", "loss", &series).unwrap();
        assert_eq!(png_size(&path), SIZE);
    }

    #[test]
    fn loss_labels_plain() {
        assert_eq!(format_loss(0.03, false), "0.03");
        assert_eq!(format_loss(0.5, false), "0.5");
        assert_eq!(format_loss(1.0, false), "1");
        assert_eq!(format_loss(200.0, false), "200");
        assert_eq!(format_loss(1e-4, false), "0.0001");
    }

    #[test]
    fn loss_labels_scientific() {
        assert_eq!(format_loss(1e-6, true), "1e-6");
        assert_eq!(format_loss(0.1, true), "1e-1");
        assert_eq!(format_loss(1e8, true), "1e8");
        assert!(needs_scientific((1e-5, 1.0)));
        assert!(needs_scientific((0.01, 1e6)));
        assert!(!needs_scientific((1e-4, 1e5)));
    }

    #[test]
    fn downsample_short_keeps_all() {
        assert_eq!(downsample(&[1.0, 2.0, 3.0]), vec![0, 1, 2]);
    }

    #[test]
    fn no_series_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.png");
        let error = learning_curves(&path, "Empty", "loss", &[]).unwrap_err();
        assert!(matches!(error, PlotError::InvalidInput { .. }), "{error:?}");
        assert!(error.to_string().contains("no series"), "{error}");
        assert!(!path.exists());
    }

    #[test]
    fn missing_folder_draw_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent").join("curve.png");
        let series = [Series {
            label: "a".to_string(),
            losses: vec![0.2, 0.1],
        }];
        let error = learning_curves(&path, "t", "loss", &series).unwrap_err();
        assert!(matches!(error, PlotError::Draw { .. }), "{error:?}");
        assert!(
            error.to_string().contains(&path.display().to_string()),
            "{error}"
        );
    }
}
