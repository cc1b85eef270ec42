//! Learning curves: loss against epoch on a log-scale y axis, one line per run.

use std::path::Path;

use plotters::prelude::*;

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
/// Line colours, in series order, repeated past the tenth series.
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
/// labelled `y_label`. When a series contains a NaN or infinite loss, only the epochs
/// before the first one are drawn and its legend label gains
/// `" (diverged at epoch N)"`, where `N` is the epoch of that first non-finite loss. Losses
/// at or below zero are drawn at 1e-12. Series longer than 2,000 epochs are reduced to the
/// minimum and maximum of 1,000 buckets of epochs, which keeps spikes and is faster to draw.
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
}

impl Curve {
    fn new(series: &Series) -> Curve {
        let finite_len = series
            .losses
            .iter()
            .position(|loss| !loss.is_finite())
            .unwrap_or(series.losses.len());
        let legend = if finite_len < series.losses.len() {
            format!("{} (diverged at epoch {})", series.label, finite_len + 1)
        } else {
            series.label.clone()
        };
        let finite = &series.losses[..finite_len];
        let points = downsample(finite)
            .into_iter()
            .map(|index| ((index + 1) as f64, finite[index].max(LOG_FLOOR)))
            .collect();
        Curve { legend, points }
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
/// of ten at or above the highest, at least one decade, so both ends get a tick label.
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
    let low_exponent = low.log10().floor();
    let high_exponent = high.log10().ceil().max(low_exponent + 1.0);
    // The small widening keeps both end decades inside the range despite rounding in
    // `powf`, so plotters labels them.
    let low = 10f64.powf(low_exponent) * (1.0 - 1e-9);
    let high = (10f64.powf(high_exponent) * (1.0 + 1e-9)).min(f64::MAX);
    (low, high)
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

fn draw(path: &Path, title: &str, y_label: &str, epochs: usize, curves: &[Curve]) -> DrawResult {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
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

    for (index, curve) in curves.iter().enumerate() {
        let colour = PALETTE[index % PALETTE.len()];
        let style = colour.stroke_width(2);
        chart
            .draw_series(LineSeries::new(curve.points.iter().copied(), style))?
            .label(curve.legend.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
    }

    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, TICK_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .margin(10)
        .draw()?;

    root.present()?;
    Ok(())
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
