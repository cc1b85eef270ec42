//! Sample figures for a person to look at, written to `/tmp/plots-sample` by
//! `cargo test -p experiments --lib sample -- --ignored`. Each prints its drawing time.

use std::path::PathBuf;

use super::{comparison, decision_boundary, learning_curves, Series};
use crate::data::xor_easy;

/// Returns the folder for sample figures, created if missing.
fn sample_dir() -> PathBuf {
    let dir = PathBuf::from("/tmp/plots-sample");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Returns a loss history that decays exponentially from 0.25 towards 1e-4.
fn decaying(epochs: usize, rate: f64) -> Vec<f64> {
    (0..epochs)
        .map(|epoch| 0.25 * (-rate * epoch as f64).exp() + 1e-4)
        .collect()
}

#[test]
#[ignore = "writes sample figures to /tmp/plots-sample for a person to look at"]
fn sample_curves() {
    let dir = sample_dir();
    let baseline = [Series {
        label: "lr = 0.1".to_string(),
        losses: decaying(10_000, 0.0008),
    }];
    let start = std::time::Instant::now();
    learning_curves(
        &dir.join("curve-single.png"),
        "Learning curve (linear)",
        "loss (MSE, log scale)",
        &baseline,
    )
    .unwrap();
    eprintln!("single series: {:?}", start.elapsed());

    let mut exploding: Vec<f64> = (0..300).map(|epoch| 0.3 * 1.08_f64.powi(epoch)).collect();
    exploding.extend(vec![f64::NAN; 9_700]);
    let mut sweep: Vec<Series> = [1.0, 0.1, 0.01, 0.001]
        .iter()
        .map(|&lr| Series {
            label: format!("lr = {lr}"),
            losses: decaying(10_000, 0.01 * lr)
                .iter()
                .enumerate()
                .map(|(epoch, loss)| loss * (1.0 + 0.3 * (epoch as f64 * lr).sin().abs()))
                .collect(),
        })
        .collect();
    sweep.push(Series {
        label: "linear net".to_string(),
        losses: exploding,
    });
    let start = std::time::Instant::now();
    learning_curves(
        &dir.join("curve-sweep.png"),
        "Learning-rate sweep (XOR)",
        "loss (MSE, log scale)",
        &sweep,
    )
    .unwrap();
    eprintln!("five series: {:?}", start.elapsed());

    let short = [
        Series {
            label: "conv, lr = 0.1".to_string(),
            losses: decaying(100, 0.02),
        },
        Series {
            label: "NaN from the start".to_string(),
            losses: vec![f64::NAN; 100],
        },
    ];
    let path = dir.join("curve-short.png");
    learning_curves(&path, "Short run", "loss (MSE, log scale)", &short).unwrap();
}

#[test]
#[ignore = "writes sample figures to /tmp/plots-sample for a person to look at"]
fn sample_comparison() {
    let dir = sample_dir();
    let data = xor_easy();
    let (points, labels) = (data.points, data.labels);
    // One label-1 point predicted wrong, to show a mismatch.
    let mut predicted: Vec<f64> = labels.iter().map(|label| 0.05 + 0.9 * label).collect();
    predicted[3] = 0.377;
    let start = std::time::Instant::now();
    comparison(
        &dir.join("comparison.png"),
        "XOR: ground truth and prediction",
        &points,
        &labels,
        &predicted,
    )
    .unwrap();
    eprintln!("comparison: {:?}", start.elapsed());
}

#[test]
#[ignore = "writes sample figures to /tmp/plots-sample for a person to look at"]
fn sample_boundary() {
    let dir = sample_dir();
    let resolution = 101;
    let step = 1.0 / (resolution - 1) as f64;
    // An XOR-like field: class 1 away from the main diagonal.
    let mut field = Vec::new();
    for row in 0..resolution {
        for column in 0..resolution {
            let (x0, x1) = (column as f64 * step, row as f64 * step);
            field.push(1.0 / (1.0 + (-30.0 * ((x1 - x0).abs() - 0.2)).exp()));
        }
    }
    let data = xor_easy();
    let start = std::time::Instant::now();
    decision_boundary(
        &dir.join("boundary.png"),
        "Decision boundary (XOR)",
        &field,
        resolution,
        crate::runner::GridBounds::UNIT,
        &data.points,
        &data.labels,
    )
    .unwrap();
    eprintln!("boundary: {:?}", start.elapsed());
}
