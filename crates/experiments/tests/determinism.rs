//! The same seed gives the same numbers, bit for bit.

use experiments::catalogue::{catalogue, DataSpec, RunSpec};
use experiments::runner::{train, RunData, TrainOptions};

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
