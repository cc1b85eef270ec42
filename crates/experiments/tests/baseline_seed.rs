//! The baseline, trained for its full 10,000 epochs with the binary's default seed, learns
//! both data sets. Over seeds 1 to 10 it classifies every linear point for 5 seeds and
//! gets 21/21 on XOR for 8; the default seed is one where both hold (see `cli::DEFAULT_SEED`).

use experiments::catalogue::{DataSpec, RunSpec};
use experiments::cli::DEFAULT_SEED;
use experiments::runner::{train, RunData, TrainOptions};

#[test]
fn baseline_learns_linear() {
    let spec = RunSpec::baseline(DataSpec::Linear, DEFAULT_SEED);
    let result = train(&spec, &RunData::for_spec(&spec), TrainOptions::default()).unwrap();
    assert_eq!(result.losses.len(), 10_000);
    assert!(result.divergence.is_none());
    assert_eq!(
        result.correct,
        Some(100),
        "final loss {}",
        result.final_loss
    );
    assert_eq!(result.accuracy, Some(1.0));
}

#[test]
fn baseline_learns_xor() {
    let spec = RunSpec::baseline(DataSpec::Xor, DEFAULT_SEED);
    let result = train(&spec, &RunData::for_spec(&spec), TrainOptions::default()).unwrap();
    assert_eq!(result.losses.len(), 10_000);
    assert!(result.divergence.is_none());
    let correct = result.correct.expect("the baseline does not diverge");
    assert!(
        correct >= 20,
        "{correct}/21 correct, final loss {}",
        result.final_loss
    );
}
