//! Text output of the binary: the training log of a run in the classic format, and one
//! fixed-width line per run of a sweep. Every function writes to any [`Write`], so tests can
//! capture the text.
//!
//! A training log reads:
//!
//! ```text
//! epoch 500 loss : 0.2372
//! ...
//! Iter 1 | Ground truth: 1 | Prediction: 0.95913
//! ...
//! loss=0.01054 accuracy=100.00%
//! ```

use std::io::{self, Write};

use crate::runner::{predicted_class, RunResult};
use crate::suite::RunRecord;

/// Decimals of a printed prediction, unless more are needed to keep its class.
const PREDICTION_DECIMALS: usize = 5;

/// Formats a model output with 5 decimals, or more when rounding to 5 would move it across
/// the 0.5 threshold.
///
/// Thresholding the printed text with [`predicted_class`] always gives the class of the
/// unrounded value: `0.5000004` prints as `0.5000004`, not `0.50000`, which would read as
/// class 0. Non-finite outputs print as `NaN`, `inf` or `-inf`.
///
/// # Examples
///
/// ```
/// use experiments::console::format_prediction;
///
/// assert_eq!(format_prediction(0.959128964), "0.95913");
/// assert_eq!(format_prediction(0.5000004), "0.5000004");
/// assert_eq!(format_prediction(0.4999996), "0.50000");
/// ```
pub fn format_prediction(output: f64) -> String {
    if !output.is_finite() {
        return output.to_string();
    }
    let class = predicted_class(output);
    for decimals in PREDICTION_DECIMALS..=17 {
        let text = format!("{output:.decimals$}");
        let printed: f64 = text.parse().expect("formatted floats parse back");
        if predicted_class(printed) == class {
            return text;
        }
    }
    // The shortest representation parses back to the same f64, so it keeps the class.
    output.to_string()
}

/// Formats a loss for tables and run lines: 5 decimals from 0.001 to 10,000, else 3
/// significant digits in scientific notation (`2.01e-4`, `4.50e98`), so small losses do not
/// all read `0.00000` and exploding ones stay short.
///
/// # Examples
///
/// ```
/// use experiments::console::format_loss;
///
/// assert_eq!(format_loss(0.0139421), "0.01394");
/// assert_eq!(format_loss(0.000201), "2.01e-4");
/// assert_eq!(format_loss(4.499e98), "4.50e98");
/// ```
pub fn format_loss(loss: f64) -> String {
    if !loss.is_finite() || loss == 0.0 || (1e-3..1e4).contains(&loss.abs()) {
        format!("{loss:.5}")
    } else {
        format!("{loss:.2e}")
    }
}

/// Formats an accuracy in `[0, 1]` as a percentage with two decimals, as `95.24%`.
pub fn format_percent(accuracy: f64) -> String {
    format!("{:.2}%", 100.0 * accuracy)
}

/// Formats a wall time given in seconds: `1.23 s` from one second up, else whole
/// milliseconds from 10 ms (`350 ms`) and two significant digits below (`4.1 ms`,
/// `0.41 ms`), so runs of a few milliseconds do not all read `0.00 s`.
///
/// # Examples
///
/// ```
/// use experiments::console::format_duration;
///
/// assert_eq!(format_duration(12.345), "12.35 s");
/// assert_eq!(format_duration(0.35), "350 ms");
/// assert_eq!(format_duration(0.0041), "4.1 ms");
/// ```
pub fn format_duration(seconds: f64) -> String {
    let milliseconds = 1000.0 * seconds;
    // Each threshold is where the shorter format would round up to the next one's range.
    if milliseconds >= 999.5 {
        format!("{seconds:.2} s")
    } else if milliseconds >= 9.95 {
        format!("{milliseconds:.0} ms")
    } else if milliseconds >= 0.995 {
        format!("{milliseconds:.1} ms")
    } else {
        format!("{milliseconds:.2} ms")
    }
}

/// Formats an optional accuracy as [`format_percent`] does, or `-` for `None`.
fn format_optional_percent(accuracy: Option<f64>) -> String {
    accuracy.map_or_else(|| "-".to_string(), format_percent)
}

/// Writes the training log of `result`: the loss of every `print_every`-th epoch
/// (`epoch 500 loss : 0.2372`), one line per training point
/// (`Iter 1 | Ground truth: 1 | Prediction: 0.95913`) and the summary
/// (`loss=0.01054 accuracy=100.00%`). A diverged run gets a line naming the epoch and op
/// before the predictions. A `print_every` of 0 leaves out the epoch lines.
///
/// The summary's accuracy is counted from the printed predictions: thresholding each
/// printed value at 0.5 (above is class 1) gives the same count. A diverged run has no
/// accuracy, so its summary reads `accuracy=- (diverged)`.
///
/// # Errors
///
/// Returns the error of the writer.
pub fn write_training_log(
    out: &mut impl Write,
    result: &RunResult,
    print_every: usize,
) -> io::Result<()> {
    if print_every > 0 {
        for (index, loss) in result.losses.iter().enumerate() {
            let epoch = index + 1;
            if epoch % print_every == 0 {
                writeln!(out, "epoch {epoch} loss : {loss:.4}")?;
            }
        }
    }
    if let Some(divergence) = &result.divergence {
        writeln!(
            out,
            "loss became non-finite at epoch {}{}, so training stopped there",
            divergence.epoch,
            op_suffix(divergence.op.as_deref())
        )?;
    }
    for (index, (&label, &output)) in result.labels.iter().zip(&result.predictions).enumerate() {
        writeln!(
            out,
            "Iter {} | Ground truth: {} | Prediction: {}",
            index + 1,
            label as u8,
            format_prediction(output)
        )?;
    }
    let accuracy = match result.accuracy {
        Some(accuracy) => format_percent(accuracy),
        None => "- (diverged)".to_string(),
    };
    writeln!(out, "loss={:.5} accuracy={accuracy}", result.final_loss)
}

/// Returns ` (op `NAME`)` for a known op, else nothing.
fn op_suffix(op: Option<&str>) -> String {
    op.map(|name| format!(" (op `{name}`)")).unwrap_or_default()
}

/// Writes one fixed-width line for a finished run: id and seed, final loss, training accuracy, test
/// accuracy (or `-`), updates until the loss fell below 0.01 (or `never`) and wall time.
/// A diverged run shows `diverged at epoch N (op `x`)` in place of the numbers.
///
/// # Errors
///
/// Returns the error of the writer.
pub fn write_run_line(out: &mut impl Write, result: &RunResult) -> io::Result<()> {
    let label = format!("{} seed {}", result.id, result.seed);
    let time = format_duration(result.seconds);
    if let Some(divergence) = &result.divergence {
        return writeln!(
            out,
            "{label:<36} diverged at epoch {}{}  {time:>8}",
            divergence.epoch,
            op_suffix(divergence.op.as_deref()),
        );
    }
    let target = result
        .updates_to_target
        .map_or_else(|| "never".to_string(), |updates| updates.to_string());
    writeln!(
        out,
        "{label:<36} loss {:>9}  acc {:>7}  test {:>7}  <0.01 after {:>6}  {time:>8}",
        format_loss(result.final_loss),
        format_optional_percent(result.accuracy),
        format_optional_percent(result.test_accuracy),
        target,
    )
}

/// Writes the seed statistics of a record run over more than one seed, as
/// `base/linear  over 5 seeds: loss 0.01234 ± 0.00400, acc 98.10% ± 2.00%, 4/5 at 100%,
/// 0 diverged` on one line. Loss and accuracy cover the seeds that did not diverge, and
/// name their count when some did (`acc 97.50% ± 2.50% over 4 seeds`). Writes nothing for a
/// single seed.
///
/// # Errors
///
/// Returns the error of the writer.
pub fn write_stats_line(out: &mut impl Write, record: &RunRecord) -> io::Result<()> {
    let stats = &record.stats;
    if stats.seeds.len() < 2 {
        return Ok(());
    }
    let seeds = stats.seeds.len();
    let over = |count: usize| {
        if count < seeds {
            format!(" over {count} seeds")
        } else {
            String::new()
        }
    };
    let loss = stats.final_loss.map_or_else(
        || "all diverged".to_string(),
        |loss| {
            format!(
                "{} ± {}{}",
                format_loss(loss.mean),
                format_loss(loss.std),
                over(loss.count)
            )
        },
    );
    let accuracy = stats.accuracy.map_or_else(
        || "all diverged".to_string(),
        |accuracy| {
            format!(
                "{} ± {}{}",
                format_percent(accuracy.mean),
                format_percent(accuracy.std),
                over(accuracy.count)
            )
        },
    );
    writeln!(
        out,
        "{:<36} over {seeds} seeds: loss {loss}, acc {accuracy}, {}/{seeds} at 100%, {} \
         diverged",
        record.spec.id, stats.perfect, stats.diverged
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_units() {
        assert_eq!(format_duration(1.0), "1.00 s");
        assert_eq!(format_duration(0.9996), "1.00 s");
        assert_eq!(format_duration(0.999), "999 ms");
        assert_eq!(format_duration(0.0412), "41 ms");
        assert_eq!(format_duration(0.00996), "10 ms");
        assert_eq!(format_duration(0.0041), "4.1 ms");
        assert_eq!(format_duration(0.00041), "0.41 ms");
        assert_eq!(format_duration(0.0), "0.00 ms");
    }
}
