//! The printed accuracy always equals the accuracy counted from the printed predictions.

use experiments::catalogue::{catalogue, DataSpec, RunSpec};
use experiments::console::write_training_log;
use experiments::runner::{train, RunData, RunResult, TrainOptions};

/// A parsed training log: (label, printed prediction) per sample, and the summary's
/// accuracy text such as `95.24%`.
struct ParsedLog {
    samples: Vec<(u8, String)>,
    accuracy: String,
    epoch_lines: Vec<usize>,
}

fn parse(text: &str) -> ParsedLog {
    let mut samples = Vec::new();
    let mut accuracy = None;
    let mut epoch_lines = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("epoch ") {
            let (epoch, loss) = rest.split_once(" loss : ").expect("epoch line format");
            assert!(loss.parse::<f64>().is_ok(), "loss in {line:?}");
            epoch_lines.push(epoch.parse().expect("epoch number"));
        } else if line.starts_with("Iter ") {
            let fields: Vec<&str> = line.split(" | ").collect();
            assert_eq!(fields.len(), 3, "sample line {line:?}");
            let label = fields[1]
                .strip_prefix("Ground truth: ")
                .unwrap()
                .parse()
                .unwrap();
            let prediction = fields[2].strip_prefix("Prediction: ").unwrap().to_string();
            samples.push((label, prediction));
        } else if let Some(rest) = line.strip_prefix("loss=") {
            let (_, percent) = rest.split_once(" accuracy=").expect("summary format");
            accuracy = Some(percent.to_string());
        }
    }
    ParsedLog {
        samples,
        accuracy: accuracy.expect("a summary line"),
        epoch_lines,
    }
}

/// Counts the printed predictions that threshold (above 0.5 is class 1) to their label.
fn accuracy_from_printed(samples: &[(u8, String)]) -> String {
    let correct = samples
        .iter()
        .filter(|(label, printed)| {
            let value: f64 = printed.parse().expect("printed prediction parses");
            value.is_finite() && u8::from(value > 0.5) == *label
        })
        .count();
    format!("{:.2}%", 100.0 * correct as f64 / samples.len() as f64)
}

fn log_of(result: &RunResult, print_every: usize) -> String {
    let mut out = Vec::new();
    write_training_log(&mut out, result, print_every).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn printed_accuracy_matches_trained_runs() {
    // Short runs end with predictions on both sides of 0.5 and imperfect accuracy, which
    // is where a mismatch would show.
    for id in ["base/xor", "base/linear", "lr/0.001/xor", "hidden/2/xor"] {
        let spec = catalogue(2)
            .into_iter()
            .find(|s| s.id == id)
            .unwrap()
            .with_epochs(700);
        let result = train(&spec, &RunData::for_spec(&spec), TrainOptions::default()).unwrap();
        let parsed = parse(&log_of(&result, 500));
        assert_eq!(parsed.samples.len(), result.labels.len(), "run {id}");
        assert_eq!(
            parsed.accuracy,
            accuracy_from_printed(&parsed.samples),
            "run {id}"
        );
        assert_eq!(parsed.epoch_lines, vec![500], "run {id}");
    }
}

#[test]
fn predictions_near_threshold_keep_class() {
    let spec = RunSpec::baseline(DataSpec::Xor, 1).with_epochs(1);
    let mut result = train(&spec, &RunData::for_spec(&spec), TrainOptions::default()).unwrap();
    // Values within 5e-6 of 0.5 round to 0.50000 at five decimals. The printed text must
    // still fall on the same side of 0.5 as the value.
    let near = [
        0.5000004,
        0.4999996,
        0.5,
        0.500_000_000_001,
        0.500005,
        0.499995,
    ];
    result.labels = vec![1.0, 0.0, 1.0, 1.0, 0.0, 0.0];
    result.predictions = near.to_vec();
    result.points.truncate(near.len());
    // Labels 1, 0, 1, 1, 0, 0 against classes 1, 0, 0, 1, 1, 0: four correct.
    result.correct = Some(4);
    result.accuracy = Some(4.0 / 6.0);
    let parsed = parse(&log_of(&result, 0));
    assert_eq!(parsed.accuracy, "66.67%");
    assert_eq!(parsed.accuracy, accuracy_from_printed(&parsed.samples));
    assert!(parsed.epoch_lines.is_empty());
}

#[test]
fn diverged_run_prints_no_accuracy() {
    let mut spec = catalogue(1)
        .into_iter()
        .find(|s| s.id == "no-activation/B/xor")
        .unwrap();
    spec.lr = 1.0;
    let result = train(&spec, &RunData::for_spec(&spec), TrainOptions::default()).unwrap();
    let text = log_of(&result, 500);
    assert!(text.contains("loss became non-finite at epoch"), "{text}");
    let parsed = parse(&text);
    assert_eq!(parsed.samples.len(), result.labels.len());
    assert_eq!(parsed.accuracy, "- (diverged)");
}
