//! The generated report links every figure it names, and every link points at a file.

use std::collections::BTreeSet;
use std::path::Path;

use experiments::catalogue::catalogue;
use experiments::figures::{wants_boundary, write_figures, FIGURE_DIR};
use experiments::report::{write_report, write_results_json, RunContext, REPORT_FILE};
use experiments::suite::{run_suite, RunRecord, SuiteOptions};

/// Runs one value of every sweep on both sets, with few epochs, plus a diverging run.
fn reduced_records(seeds: usize) -> Vec<RunRecord> {
    let keep = [
        "base",
        "lr/1.0",
        "lr/0.01",
        "hidden/4",
        "no-activation/A",
        "no-activation/B",
        "optimizer/adam",
        "activation/relu",
        "activation/tanh",
        "conv",
    ];
    let specs: Vec<_> = catalogue(1)
        .into_iter()
        .filter(|spec| keep.contains(&spec.stem()))
        .map(|spec| spec.with_epochs(spec.epochs.min(60)))
        .collect();
    let options = SuiteOptions {
        seeds,
        base_seeds: seeds + 1,
        data: None,
        ..SuiteOptions::default()
    };
    run_suite(&specs, &options, &wants_boundary, &mut |_, _| {}).unwrap()
}

/// Returns the targets of all markdown links and images in `text`.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for (start, _) in text.match_indices("](") {
        let rest = &text[start + 2..];
        let end = rest.find(')').expect("a closed link");
        targets.push(rest[..end].to_string());
    }
    targets
}

fn write_all(out: &Path, seeds: usize) -> String {
    std::fs::create_dir_all(out.join(FIGURE_DIR)).unwrap();
    let records = reduced_records(seeds);
    let context = RunContext {
        command: "experiments (reduced test run)".to_string(),
        seed: 1,
        seeds,
        base_seeds: seeds + 1,
        data_file: None,
        total_seconds: 0.0,
    };
    let figures = write_figures(out, &records).unwrap();
    write_results_json(out, &context, &records).unwrap();
    write_report(out, &context, &records, &figures).unwrap();
    let report = std::fs::read_to_string(out.join(REPORT_FILE)).unwrap();

    let targets: BTreeSet<String> = link_targets(&report).into_iter().collect();
    for target in &targets {
        assert!(
            out.join(target).is_file(),
            "the report links {target}, which is missing"
        );
    }
    for path in figures.paths() {
        assert!(
            targets.contains(path),
            "figure {path} is not linked from the report"
        );
    }
    let on_disk: BTreeSet<String> = std::fs::read_dir(out.join(FIGURE_DIR))
        .unwrap()
        .map(|entry| {
            format!(
                "{FIGURE_DIR}/{}",
                entry.unwrap().file_name().to_string_lossy()
            )
        })
        .collect();
    let linked_figures: BTreeSet<String> = targets
        .iter()
        .filter(|target| target.starts_with(FIGURE_DIR))
        .cloned()
        .collect();
    assert_eq!(
        on_disk, linked_figures,
        "figures written but not linked, or linked but missing"
    );
    report
}

#[test]
fn report_links_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_all(dir.path(), 1);
    assert!(report.contains("(results.json)"));
    assert!(report.contains("figures/base-linear-curve.png"));
    assert!(report.contains("figures/conv-xor-comparison.png"));
    assert!(report.contains("figures/activation-relu-xor-boundary.png"));
    assert!(report.contains("figures/lr-xor-curves.png"));
}

#[test]
fn report_sections_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_all(dir.path(), 1);
    let headings = [
        "Results: the baseline",
        "Learning rates",
        "Hidden units",
        "Without activation functions",
        "Optimizers",
        "Hidden activations",
        "Convolution",
    ];
    let positions: Vec<usize> = headings
        .iter()
        .map(|heading| {
            report
                .find(heading)
                .unwrap_or_else(|| panic!("no {heading}"))
        })
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{positions:?}"
    );
}

#[test]
fn report_states_divergence_and_bound() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_all(dir.path(), 1);
    assert!(
        report.contains("diverged at epoch"),
        "the fully linear run diverges at lr 0.1"
    );
    assert!(report.contains("no linear classifier gets more than 16 of the 21"));
    assert!(
        !report.contains("**Flag:**"),
        "a linear run beat the linear bound"
    );
    assert!(report.contains("On XOR the conv model ends"));
}

#[test]
fn report_with_seeds_has_spread_columns() {
    let dir = tempfile::tempdir().unwrap();
    let report = write_all(dir.path(), 2);
    assert!(report.contains("accuracy, mean ± std"));
    assert!(report.contains("Over 2 seeds"));
    assert!(
        report.contains("Over seeds 1 to 3"),
        "base runs use one more seed"
    );
    let json = std::fs::read_to_string(dir.path().join("results.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let runs = value["runs"].as_array().unwrap();
    assert_eq!(runs[0]["results"].as_array().unwrap().len(), 3);
    assert_eq!(runs[2]["results"].as_array().unwrap().len(), 2);
}
