//! The report's text follows the run: data-set sentences only for the sets that ran, the
//! seed rule as applied, the grid over a user's data, and seed spreads without diverged
//! seeds.

use experiments::catalogue::{catalogue, RunSpec};
use experiments::cli::{retarget, select};
use experiments::console::write_stats_line;
use experiments::figures::{wants_boundary, write_figures, FigureIndex, FIGURE_DIR};
use experiments::report::{render_report, RunContext};
use experiments::runner::GridBounds;
use experiments::suite::{run_suite, RunRecord, SeedStats, SuiteOptions};

/// Returns the catalogue runs (seed 4) that `patterns` select, cut to at most `epochs`.
fn specs(patterns: &[&str], epochs: usize) -> Vec<RunSpec> {
    let patterns: Vec<String> = patterns.iter().map(|pattern| pattern.to_string()).collect();
    select(&catalogue(4), &patterns)
        .expect("the patterns name catalogue runs")
        .into_iter()
        .map(|spec| spec.with_epochs(spec.epochs.min(epochs)))
        .collect()
}

/// Runs `specs` with `options`, computing the grids of the runs that get a boundary map.
fn run(specs: &[RunSpec], options: &SuiteOptions) -> Vec<RunRecord> {
    run_suite(specs, options, &wants_boundary, &mut |_, _| {}).expect("the runs are valid")
}

/// Returns the context of a run with seed 4 and these seed counts.
fn context(seeds: usize, base_seeds: usize, data_file: Option<&str>) -> RunContext {
    RunContext {
        command: "experiments (test)".to_string(),
        seed: 4,
        seeds,
        base_seeds,
        data_file: data_file.map(str::to_string),
        total_seconds: 0.0,
    }
}

/// Returns the report's setup section, from `## Setup` to the first sweep section.
fn setup(report: &str) -> &str {
    let start = report.find("## Setup").expect("a setup section");
    let end = report[start..].find("## 1.").expect("a first section") + start;
    &report[start..end]
}

/// 40 points on the square [-5, 5]^2, labelled by the sign of x0 * x1.
fn wide_csv() -> String {
    let mut text = String::from("x0,x1,label\n");
    for index in 0..40 {
        let x0 = -5.0 + 10.0 * f64::from(index % 8) / 7.0;
        let x1 = -5.0 + 10.0 * f64::from(index / 8) / 4.0;
        let label = u8::from(x0 * x1 > 0.0);
        text.push_str(&format!("{x0},{x1},{label}\n"));
    }
    text
}

#[test]
fn user_data_grid_spans_points() {
    let data = experiments::csv::parse_csv("wide", &wide_csv()).unwrap();
    let specs = retarget(&specs(&["base", "activation/relu"], 30), "wide");
    let options = SuiteOptions {
        seeds: 1,
        base_seeds: 1,
        data: Some(data.clone()),
        ..SuiteOptions::default()
    };
    let records = run(&specs, &options);
    let expected = GridBounds::around(&data.points);
    assert!(
        expected.x0[0] < -5.0 && expected.x0[1] > 5.0,
        "{expected:?}"
    );
    for record in &records {
        let result = record.first();
        assert_eq!(result.grid_bounds, expected, "run {}", record.spec.id);
        assert!(
            !result.grid.is_empty(),
            "run {} has no grid",
            record.spec.id
        );
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(FIGURE_DIR)).unwrap();
    let figures = write_figures(dir.path(), &records).unwrap();
    let boundary = figures.runs["base/wide"].boundary.as_ref().unwrap();
    assert!(dir.path().join(boundary).is_file());
    let report = render_report(&context(1, 1, Some("wide.csv")), &records, &figures);
    assert!(report.contains("over the data's bounding box"), "{report}");
    assert!(!report.contains("over the unit square"), "{report}");
}

#[test]
fn user_data_setup_names_only_its_set() {
    let data = experiments::csv::parse_csv("wide", &wide_csv()).unwrap();
    let specs = retarget(&specs(&["base", "lr/0.1"], 5), "wide");
    let options = SuiteOptions {
        seeds: 1,
        base_seeds: 1,
        data: Some(data),
        ..SuiteOptions::default()
    };
    let records = run(&specs, &options);
    let report = render_report(
        &context(1, 1, Some("wide.csv")),
        &records,
        &FigureIndex::default(),
    );
    let setup = setup(&report);
    assert!(setup.contains("a multiple of 1/40 on wide."), "{setup}");
    assert!(!setup.contains("1/21"), "{setup}");
    assert!(!setup.contains("1/100"), "{setup}");
    assert!(!setup.contains("1000000"), "{setup}");
    assert!(!setup.contains("linear set"), "{setup}");
}

#[test]
fn xor_only_setup_omits_linear() {
    let records = run(&specs(&["lr/1.0/xor"], 5), &SuiteOptions::default());
    let report = render_report(&context(1, 1, None), &records, &FigureIndex::default());
    let setup = setup(&report);
    assert!(setup.contains("a multiple of 1/21 on XOR."), "{setup}");
    assert!(!setup.contains("1/100"), "{setup}");
    assert!(!setup.contains("1000000"), "{setup}");
    assert!(!report.contains("test accuracy"), "{report}");
}

#[test]
fn both_sets_setup_names_both() {
    let records = run(&specs(&["lr/1.0"], 5), &SuiteOptions::default());
    let report = render_report(&context(1, 1, None), &records, &FigureIndex::default());
    let setup = setup(&report);
    assert!(
        setup.contains("a multiple of 1/100 on linear and 1/21 on XOR."),
        "{setup}"
    );
    assert!(setup.contains("seed + 1000000"), "{setup}");
    assert!(report.contains("test accuracy"), "{report}");
}

#[test]
fn setup_seeds_same_for_base() {
    let options = SuiteOptions {
        seeds: 3,
        base_seeds: 3,
        data: None,
        ..SuiteOptions::default()
    };
    let records = run(&specs(&["base/xor", "lr/1.0/xor"], 2), &options);
    assert_eq!(records[0].results.len(), 3, "base runs use 3 seeds");
    let report = render_report(&context(3, 3, None), &records, &FigureIndex::default());
    let setup = setup(&report);
    assert!(setup.contains("every run uses seeds 4 to 6."), "{setup}");
    assert!(!setup.contains("except the base runs"), "{setup}");
    assert!(
        setup.contains("else `--seeds` seeds when that is given"),
        "{setup}"
    );
    assert!(
        setup.contains("Figures and per-run columns show seed 4"),
        "{setup}"
    );
}

#[test]
fn setup_seeds_default_base_spread() {
    let options = SuiteOptions {
        seeds: 1,
        base_seeds: 10,
        data: None,
        ..SuiteOptions::default()
    };
    let records = run(&specs(&["base/xor", "lr/1.0/xor"], 1), &options);
    let report = render_report(&context(1, 10, None), &records, &FigureIndex::default());
    let setup = setup(&report);
    assert!(
        setup.contains("every run uses seed 4, except the base runs, which use seeds 4 to 13."),
        "{setup}"
    );
}

/// Returns a `base/xor` record over seeds 1 to 3 whose seed 2 is replaced by a diverged
/// run: the fully linear network, which diverges within 10 epochs at lr 0.1.
fn record_with_diverged_seed() -> RunRecord {
    let base = RunSpec::baseline(experiments::catalogue::DataSpec::Xor, 1).with_epochs(200);
    let mut records = run(
        &[base],
        &SuiteOptions {
            seeds: 3,
            base_seeds: 3,
            data: None,
            ..SuiteOptions::default()
        },
    );
    let diverging = catalogue(2)
        .into_iter()
        .find(|spec| spec.id == "no-activation/B/xor")
        .unwrap();
    let diverged = run(&[diverging], &SuiteOptions::default())
        .remove(0)
        .results
        .remove(0);
    assert!(
        diverged.divergence.is_some(),
        "the fully linear run diverges"
    );
    let mut record = records.remove(0);
    record.results[1] = diverged;
    record.stats = SeedStats::of(&record.results);
    record
}

#[test]
fn spread_skips_diverged_seeds() {
    let record = record_with_diverged_seed();
    let finished: Vec<f64> = [&record.results[0], &record.results[2]]
        .iter()
        .map(|result| result.accuracy.expect("the baseline does not diverge"))
        .collect();
    let accuracy = record.stats.accuracy.expect("two seeds finished");
    assert_eq!(accuracy.count, 2);
    assert!((accuracy.mean - (finished[0] + finished[1]) / 2.0).abs() < 1e-12);

    let report = render_report(
        &context(3, 3, None),
        std::slice::from_ref(&record),
        &FigureIndex::default(),
    );
    let row = report
        .lines()
        .find(|line| line.starts_with("| `base/xor`"))
        .expect("a table row for base/xor");
    assert!(row.contains("(over 2 of 3 seeds)"), "{row}");
    assert!(report.contains("1 seed diverged (seed 2)"), "{report}");

    let mut line = Vec::new();
    write_stats_line(&mut line, &record).unwrap();
    let line = String::from_utf8(line).unwrap();
    assert!(line.contains("over 2 seeds"), "{line}");
    assert!(line.contains("1 diverged"), "{line}");
}

#[test]
fn short_runs_show_milliseconds() {
    let records = run(&specs(&["conv/xor"], 500), &SuiteOptions::default());
    let seconds = records[0].first().seconds;
    let report = render_report(&context(1, 1, None), &records, &FigureIndex::default());
    let row = report
        .lines()
        .find(|line| line.starts_with("| `conv/xor`"))
        .expect("a table row for conv/xor");
    assert!(
        seconds < 0.5,
        "500 epochs of a 7-parameter model took {seconds} s"
    );
    assert!(row.contains(" ms |"), "{seconds} s shown as {row}");
    assert!(!row.contains("0.00"), "{row}");
}
