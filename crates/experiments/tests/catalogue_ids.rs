//! The catalogue contains every run of the experiments, on both data sets, once.

use std::collections::BTreeSet;

use experiments::catalogue::{catalogue, DataSpec, ModelSpec, OptimizerSpec};

fn expected_stems() -> Vec<String> {
    let mut stems = vec!["base".to_string(), "conv".to_string()];
    for lr in ["1.0", "0.1", "0.01", "0.001"] {
        stems.push(format!("lr/{lr}"));
    }
    for units in ["2", "4", "10", "32"] {
        stems.push(format!("hidden/{units}"));
    }
    for variant in ["A", "B"] {
        stems.push(format!("no-activation/{variant}"));
    }
    for rule in ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"] {
        stems.push(format!("optimizer/{rule}"));
    }
    for activation in ["sigmoid", "relu", "tanh", "leaky_relu"] {
        stems.push(format!("activation/{activation}"));
    }
    stems
}

#[test]
fn every_run_on_both_sets() {
    let ids: BTreeSet<String> = catalogue(1).into_iter().map(|spec| spec.id).collect();
    for stem in expected_stems() {
        for data in ["linear", "xor"] {
            let id = format!("{stem}/{data}");
            assert!(ids.contains(&id), "catalogue lacks {id}");
        }
    }
    assert_eq!(
        ids.len(),
        2 * expected_stems().len(),
        "unexpected extra runs: {ids:?}"
    );
}

#[test]
fn ids_unique() {
    let runs = catalogue(1);
    let ids: BTreeSet<&str> = runs.iter().map(|spec| spec.id.as_str()).collect();
    assert_eq!(ids.len(), runs.len());
}

#[test]
fn conv_schedules() {
    let runs = catalogue(1);
    let conv = |data: DataSpec| {
        runs.iter()
            .find(|spec| spec.model == ModelSpec::Conv && spec.dataset == data)
            .expect("a conv run on each set")
    };
    assert_eq!(
        (conv(DataSpec::Linear).epochs, conv(DataSpec::Linear).lr),
        (100, 0.1)
    );
    assert_eq!(
        (conv(DataSpec::Xor).epochs, conv(DataSpec::Xor).lr),
        (500, 1.0)
    );
}

#[test]
fn sweeps_change_one_setting() {
    let runs = catalogue(1);
    let find = |id: &str| runs.iter().find(|spec| spec.id == id).unwrap();
    let base = find("base/xor");
    assert_eq!(base.lr, 0.1);
    assert_eq!(base.epochs, 10_000);
    assert_eq!(base.optimizer, OptimizerSpec::Sgd);
    assert_eq!(find("lr/0.001/xor").lr, 0.001);
    assert_eq!(find("optimizer/adam/xor").optimizer, OptimizerSpec::Adam);
    assert_eq!(find("optimizer/adam/xor").lr, base.lr);
    let hidden = match &find("hidden/32/linear").model {
        ModelSpec::Mlp { hidden, .. } => hidden.clone(),
        other => panic!("hidden/32/linear is {other:?}"),
    };
    assert_eq!(hidden, vec![32, 32]);
}

#[test]
fn spec_round_trips_through_json() {
    for spec in catalogue(3) {
        let text = serde_json::to_string(&spec).unwrap();
        let back: experiments::catalogue::RunSpec = serde_json::from_str(&text).unwrap();
        assert_eq!(back, spec);
    }
}
