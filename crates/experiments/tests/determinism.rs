//! The same seed gives the same numbers, bit for bit.

use experiments::catalogue::{catalogue, DataSpec, RunSpec};
use experiments::runner::{train, RunData, RunResult, TrainOptions};
use experiments::suite::{run_suite, RunRecord, SuiteOptions};

fn losses(spec: &RunSpec) -> Vec<u64> {
    let result = train(spec, &RunData::for_spec(spec), TrainOptions::default()).unwrap();
    result.losses.iter().map(|loss| loss.to_bits()).collect()
}

#[test]
fn same_seed_same_losses() {
    for stem in ["base", "optimizer/adam", "activation/relu", "conv"] {
        let id = format!("{stem}/linear");
        let spec = catalogue(7)
            .into_iter()
            .find(|spec| spec.id == id)
            .unwrap()
            .with_epochs(300);
        assert_eq!(losses(&spec), losses(&spec), "run {id}");
    }
}

#[test]
fn other_seed_other_losses() {
    let spec = RunSpec::baseline(DataSpec::Xor, 7).with_epochs(20);
    assert_ne!(losses(&spec), losses(&spec.with_seed(8)));
}

/// Runs a few short specs over two seeds each with `threads` threads, and returns the
/// records and the ids and seeds in the order `on_result` saw them.
fn suite(threads: usize) -> (Vec<RunRecord>, Vec<(String, u64)>) {
    let specs: Vec<RunSpec> = catalogue(7)
        .into_iter()
        .filter(|spec| spec.id.ends_with("/xor"))
        .take(5)
        .map(|spec| spec.with_epochs(50))
        .collect();
    let options = SuiteOptions {
        seeds: 2,
        base_seeds: 2,
        threads,
        ..SuiteOptions::default()
    };
    let mut seen = Vec::new();
    let mut on_result = |spec: &RunSpec, _: &RunResult| seen.push((spec.id.clone(), spec.seed));
    let records = run_suite(&specs, &options, &|_| true, &mut on_result).unwrap();
    (records, seen)
}

/// Returns the losses of every record and seed, as bits.
fn outcome(records: &[RunRecord]) -> Vec<(String, Vec<u64>)> {
    records
        .iter()
        .flat_map(|record| &record.results)
        .map(|result| {
            let losses = result.losses.iter().map(|loss| loss.to_bits()).collect();
            (format!("{} seed {}", result.id, result.seed), losses)
        })
        .collect()
}

#[test]
fn thread_count_changes_nothing() {
    let (one, seen_one) = suite(1);
    let (three, seen_three) = suite(3);
    assert_eq!(outcome(&one), outcome(&three));
    // Progress comes in spec order, each spec's seeds in order, whatever finished first.
    assert_eq!(seen_one, seen_three);
    let expected: Vec<(String, u64)> = one
        .iter()
        .flat_map(|record| [(record.spec.id.clone(), 7), (record.spec.id.clone(), 8)])
        .collect();
    assert_eq!(seen_one, expected);
    assert_eq!(one.len(), 5);
}
