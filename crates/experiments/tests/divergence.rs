//! A diverging run is reported with its epoch and op, and the suite goes on.

use experiments::catalogue::{catalogue, RunSpec};
use experiments::suite::{run_suite, SuiteOptions};

fn spec(id: &str) -> RunSpec {
    catalogue(1).into_iter().find(|spec| spec.id == id).unwrap()
}

#[test]
fn fully_linear_lr1_diverges_and_suite_continues() {
    let mut diverging = spec("no-activation/B/xor").with_epochs(2_000);
    diverging.lr = 1.0;
    let next = spec("base/xor").with_epochs(50);
    let mut seen = Vec::new();
    let records = run_suite(
        &[diverging, next],
        &SuiteOptions::default(),
        &|_| false,
        &mut |spec, _| seen.push(spec.id.clone()),
    )
    .unwrap();
    assert_eq!(seen, ["no-activation/B/xor", "base/xor"]);

    let result = records[0].first();
    let divergence = result.divergence.as_ref().expect("lr 1.0 diverges");
    assert!(
        divergence.epoch < 2_000,
        "diverged at epoch {}",
        divergence.epoch
    );
    assert_eq!(
        result.losses.len(),
        divergence.epoch,
        "training stops at the epoch"
    );
    assert!(!result.losses[divergence.epoch - 1].is_finite());
    assert!(result.losses[..divergence.epoch - 1]
        .iter()
        .all(|l| l.is_finite()));
    assert!(divergence.op.is_some(), "the anomaly check names an op");
    assert_eq!(records[0].stats.diverged, 1);
    assert_eq!(result.updates_to_target, None);
    assert_eq!(result.correct, None, "a diverged run has no accuracy");
    assert_eq!(result.accuracy, None);
    assert_eq!(records[0].stats.accuracy, None);
    assert_eq!(records[0].stats.perfect, 0);

    let after = records[1].first();
    assert!(after.divergence.is_none());
    assert_eq!(after.losses.len(), 50);
}

#[test]
fn diverged_linear_run_has_no_accuracy() {
    // At the catalogue's lr 0.1 the fully linear network diverges within a few epochs on
    // every seed, with outputs near 1e244 that would otherwise count as about half right.
    let options = SuiteOptions {
        seeds: 3,
        base_seeds: 3,
        data: None,
        ..SuiteOptions::default()
    };
    let records = run_suite(
        &[spec("no-activation/B/linear")],
        &options,
        &|_| false,
        &mut |_, _| {},
    )
    .unwrap();
    let record = &records[0];
    for result in &record.results {
        assert!(result.divergence.is_some(), "seed {} diverged", result.seed);
        assert_eq!(result.correct, None, "seed {}", result.seed);
        assert_eq!(result.accuracy, None, "seed {}", result.seed);
        assert_eq!(result.test_correct, None, "seed {}", result.seed);
        assert_eq!(result.test_accuracy, None, "seed {}", result.seed);
        let json = serde_json::to_value(result).unwrap();
        for field in [
            "final_loss",
            "correct",
            "accuracy",
            "test_correct",
            "test_accuracy",
        ] {
            assert!(
                json[field].is_null(),
                "seed {}: {field} is {}",
                result.seed,
                json[field]
            );
        }
    }
    assert_eq!(record.stats.diverged, 3);
    assert_eq!(record.stats.accuracy, None);
    assert_eq!(record.stats.test_accuracy, None);
}

#[test]
fn divergence_op_is_a_forward_op() {
    let mut diverging = spec("no-activation/B/linear");
    diverging.lr = 1.0;
    let records = run_suite(
        &[diverging],
        &SuiteOptions::default(),
        &|_| false,
        &mut |_, _| {},
    )
    .unwrap();
    let divergence = records[0].first().divergence.clone().unwrap();
    let op = divergence.op.unwrap();
    // The weights grow until a product overflows; the loss ops come after it. A dense layer
    // records either `matmul` and `add` or the fused `affine`, and the loss either `sub`,
    // `square` and `mean` or the fused `mse_loss`.
    let forward_ops = [
        "matmul", "add", "affine", "sub", "square", "mean", "mse_loss", "leaf",
    ];
    assert!(forward_ops.contains(&op.as_str()), "op {op}");
    assert!(divergence.detail.unwrap().contains(&op));
}
