//! PNG figures of the experiments: learning curves, the ground-truth against prediction
//! comparison, and the decision boundary of a trained model.
//!
//! Text is drawn with DejaVu Sans, which is embedded in the binary (see `assets/README.md`),
//! so rendering needs no system font library, and each glyph is placed by this crate's
//! own text drawing (`canvas.rs`) at its left side bearing. Every function writes one PNG file to the
//! path it is given; the folder must already exist.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::style::{FontStyle, RGBColor};

mod boundary;
mod canvas;
mod comparison;
mod contour;
mod curves;
mod legend;
mod lines;
#[cfg(test)]
mod samples;

pub use boundary::decision_boundary;
pub use comparison::comparison;
pub use curves::{learning_curves, Series};

/// The embedded font, registered as the `sans-serif` family before the first drawing.
const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Font family name used for all text, the one registered with [`FONT_BYTES`].
const FONT: &str = "sans-serif";

/// Font size of the figure title in pixels.
const TITLE_SIZE: u32 = 28;
/// Font size of panel captions in pixels.
const CAPTION_SIZE: u32 = 22;
/// Font size of axis descriptions in pixels.
const AXIS_LABEL_SIZE: u32 = 20;
/// Font size of tick labels, legends and notes in pixels.
const TICK_SIZE: u32 = 16;

/// Colour of class 0 points (red).
const CLASS_0: RGBColor = RGBColor(214, 39, 40);
/// Colour of class 1 points (blue).
const CLASS_1: RGBColor = RGBColor(31, 119, 180);
/// Colour of a point whose model output is NaN or infinite.
const NO_CLASS: RGBColor = RGBColor(150, 150, 150);

/// Model outputs above this value are predicted as class 1.
const THRESHOLD: f64 = 0.5;

/// An error from drawing a figure.
#[derive(Debug)]
pub enum PlotError {
    /// Two inputs that must have matching lengths do not.
    LengthMismatch {
        /// Path of the figure that was requested.
        path: PathBuf,
        /// Name and length of the input that sets the expected length.
        expected: (&'static str, usize),
        /// Name and length of the input that differs.
        found: (&'static str, usize),
    },
    /// An input is outside the range the figure supports.
    InvalidInput {
        /// Path of the figure that was requested.
        path: PathBuf,
        /// Explanation of the problem and its fix.
        reason: String,
    },
    /// The embedded font could not be loaded, which is a bug in this crate's build.
    Font,
    /// Drawing or writing the PNG failed.
    Draw {
        /// Path of the figure that was requested.
        path: PathBuf,
        /// Error text from plotters or the image encoder.
        cause: String,
    },
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::LengthMismatch {
                path,
                expected,
                found,
            } => write!(
                f,
                "cannot draw figure '{}' because {} has {} entries but {} has {}, so pass \
                 inputs of the same length",
                path.display(),
                expected.0,
                expected.1,
                found.0,
                found.1
            ),
            PlotError::InvalidInput { path, reason } => {
                write!(
                    f,
                    "cannot draw figure '{}' because {reason}",
                    path.display()
                )
            }
            PlotError::Font => write!(
                f,
                "the embedded DejaVu Sans font failed to load, which is a bug in the \
                 experiments crate"
            ),
            PlotError::Draw { path, cause } => write!(
                f,
                "failed to draw figure '{}' ({cause}), so check that its folder exists and \
                 is writable",
                path.display()
            ),
        }
    }
}

impl std::error::Error for PlotError {}

/// The error type of the drawing code inside each figure function, converted to
/// [`PlotError::Draw`] at the public boundary.
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Registers the embedded font with plotters on the first call and reports whether the
/// registration succeeded.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if registered {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Converts the result of a figure's drawing code into the public error type.
fn finish(path: &Path, result: DrawResult) -> Result<(), PlotError> {
    result.map_err(|error| PlotError::Draw {
        path: path.to_path_buf(),
        cause: error.to_string(),
    })
}

/// Returns a [`PlotError::LengthMismatch`] when the two lengths differ.
fn check_lengths(
    path: &Path,
    expected: (&'static str, usize),
    found: (&'static str, usize),
) -> Result<(), PlotError> {
    if expected.1 == found.1 {
        Ok(())
    } else {
        Err(PlotError::LengthMismatch {
            path: path.to_path_buf(),
            expected,
            found,
        })
    }
}

/// Returns the colour of a class label (`0.0` or `1.0`), or of the class of a model output:
/// above 0.5 is class 1, as in the runner's accuracy count.
fn class_colour(label: f64) -> RGBColor {
    if label > THRESHOLD {
        CLASS_1
    } else {
        CLASS_0
    }
}

/// Returns the axis range for point coordinates: `[0, 1]` widened to cover every finite
/// coordinate, plus a 5% margin on each side.
fn point_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    covering_range([0.0, 1.0], values)
}

/// Returns the axis range that covers `base` (low end first) and every finite value, plus
/// a 5% margin on each side.
fn covering_range(base: [f64; 2], values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (low, high) = values
        .filter(|value| value.is_finite())
        .fold((base[0], base[1]), |(low, high), value| {
            (low.min(value), high.max(value))
        });
    let margin = 0.05 * (high - low);
    (low - margin)..(high + margin)
}

#[cfg(test)]
mod test_support {
    use std::path::Path;

    /// Reads the width and height from a PNG file's IHDR chunk (bytes 16..24, big-endian).
    pub fn png_size(path: &Path) -> (u32, u32) {
        let bytes = std::fs::read(path).expect("the figure was written");
        assert!(
            bytes.len() > 24,
            "{} has only {} bytes",
            path.display(),
            bytes.len()
        );
        assert_eq!(
            &bytes[..8],
            b"\x89PNG\r\n\x1a\n",
            "{} is not a PNG",
            path.display()
        );
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        (width, height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_registers() {
        assert!(ensure_font().is_ok());
        assert!(ensure_font().is_ok());
    }

    #[test]
    fn length_mismatch_message() {
        let error = check_lengths(Path::new("out/a.png"), ("points", 21), ("truth", 20))
            .expect_err("lengths differ");
        let message = error.to_string();
        assert!(message.contains("'out/a.png'"), "{message}");
        assert!(message.contains("points has 21 entries"), "{message}");
        assert!(message.contains("truth has 20"), "{message}");
    }

    #[test]
    fn point_range_covers_unit_square() {
        let range = point_range([0.2, 0.7].into_iter());
        assert!((range.start + 0.05).abs() < 1e-12, "{range:?}");
        assert!((range.end - 1.05).abs() < 1e-12, "{range:?}");
    }

    #[test]
    fn covering_range_starts_from_base() {
        let range = covering_range([-5.0, 5.0], [0.0, 6.0].into_iter());
        assert!((range.start + 5.55).abs() < 1e-12, "{range:?}");
        assert!((range.end - 6.55).abs() < 1e-12, "{range:?}");
    }

    #[test]
    fn point_range_widens_for_outliers() {
        let range = point_range([-1.0, 0.5, f64::NAN].into_iter());
        assert!(range.start < -1.0, "{range:?}");
        assert!(range.end > 1.0, "{range:?}");
    }
}
