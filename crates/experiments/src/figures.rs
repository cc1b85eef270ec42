//! Draws the figures of a finished suite from its records, and indexes them for the report.
//!
//! | figure | for | file |
//! |---|---|---|
//! | learning curve | each base run | `base-DATA-curve.png` |
//! | comparison (truth beside prediction) | each base and conv run | `ID-comparison.png` |
//! | decision boundary | each base, activation and conv run | `ID-boundary.png` |
//! | overlaid learning curves | each sweep but `base`, per data set | `SWEEP-DATA-curves.png` |
//!
//! `ID` is the run id with `/` replaced by `-`. Figures show the first seed of each run,
//! and their titles name the run without the seed, which the report's setup states.

use std::collections::BTreeMap;
use std::path::Path;

use crate::catalogue::{LossSpec, RunSpec};
use crate::plot::{self, PlotError, Series};
use crate::runner::GRID_RESOLUTION;
use crate::suite::RunRecord;

/// The folder inside the output folder that contains the figures.
pub const FIGURE_DIR: &str = "figures";

/// The figures of one run, as paths relative to the output folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFigures {
    /// The learning curve.
    pub curve: Option<String>,
    /// Ground truth beside the predicted classes.
    pub comparison: Option<String>,
    /// The model output over the run's grid rectangle, with the data points.
    pub boundary: Option<String>,
}

/// Every figure written for a suite, as paths relative to the output folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FigureIndex {
    /// Per-run figures, by run id.
    pub runs: BTreeMap<String, RunFigures>,
    /// The overlaid learning curves, by sweep name and then data-set name.
    pub sweeps: BTreeMap<String, BTreeMap<String, String>>,
}

impl FigureIndex {
    /// Returns every path in the index.
    pub fn paths(&self) -> Vec<&str> {
        let mut paths = Vec::new();
        for figures in self.runs.values() {
            for path in [&figures.curve, &figures.comparison, &figures.boundary]
                .into_iter()
                .flatten()
            {
                paths.push(path.as_str());
            }
        }
        for by_data in self.sweeps.values() {
            paths.extend(by_data.values().map(String::as_str));
        }
        paths
    }
}

/// Returns the heading of a sweep, such as `Learning rate` for `lr`.
pub fn sweep_title(sweep: &str) -> &str {
    match sweep {
        "base" => "Baseline",
        "lr" => "Learning rate",
        "hidden" => "Hidden units",
        "no-activation" => "Without hidden activations",
        "optimizer" => "Optimizer",
        "activation" => "Hidden activation",
        "conv" => "Convolution",
        other => other,
    }
}

/// Returns the legend text of a run within its sweep, such as `lr = 0.1` or `32 units`.
pub fn legend(spec: &RunSpec) -> String {
    match spec.sweep.as_str() {
        "lr" => format!("lr = {}", spec.value),
        "hidden" => format!("{} units", spec.value),
        "no-activation" if spec.value == "A" => "A: identity hidden, sigmoid output".to_string(),
        "no-activation" if spec.value == "B" => "B: fully linear".to_string(),
        _ => spec.value.clone(),
    }
}

/// Returns whether the run gets a decision-boundary map.
pub fn wants_boundary(spec: &RunSpec) -> bool {
    matches!(spec.sweep.as_str(), "base" | "activation" | "conv")
}

/// Returns whether the run gets a comparison figure.
fn wants_comparison(spec: &RunSpec) -> bool {
    matches!(spec.sweep.as_str(), "base" | "conv")
}

/// Returns the file stem of a run: its id with `/` replaced by `-`.
pub fn file_stem(id: &str) -> String {
    id.replace('/', "-")
}

/// Returns the y-axis label for a loss.
fn loss_label(loss: LossSpec) -> &'static str {
    match loss {
        LossSpec::Mse => "MSE loss (log scale)",
        LossSpec::BceWithLogits => "BCE loss (log scale)",
    }
}

/// Draws every figure for `records` into `out/figures` (which must exist) and returns their
/// index. Runs whose results have no grid get no boundary map.
///
/// # Errors
///
/// Returns the first [`PlotError`].
pub fn write_figures(out: &Path, records: &[RunRecord]) -> Result<FigureIndex, PlotError> {
    let mut index = FigureIndex::default();
    let relative = |name: String| format!("{FIGURE_DIR}/{name}");
    for record in records {
        let spec = &record.spec;
        let result = record.first();
        let stem = file_stem(&spec.id);
        let mut figures = RunFigures::default();
        if spec.sweep == "base" {
            let path = relative(format!("{stem}-curve.png"));
            let series = [Series {
                label: spec.id.clone(),
                losses: result.losses.clone(),
            }];
            let title = format!("Learning curve: {}", spec.id);
            plot::learning_curves(&out.join(&path), &title, loss_label(spec.loss), &series)?;
            figures.curve = Some(path);
        }
        if wants_comparison(spec) {
            let path = relative(format!("{stem}-comparison.png"));
            plot::comparison(
                &out.join(&path),
                &spec.id,
                &result.points,
                &result.labels,
                &result.predictions,
            )?;
            figures.comparison = Some(path);
        }
        if wants_boundary(spec) && !result.grid.is_empty() {
            let path = relative(format!("{stem}-boundary.png"));
            let title = format!("Model output: {}", spec.id);
            plot::decision_boundary(
                &out.join(&path),
                &title,
                &result.grid,
                GRID_RESOLUTION,
                result.grid_bounds,
                &result.points,
                &result.labels,
            )?;
            figures.boundary = Some(path);
        }
        if figures != RunFigures::default() {
            index.runs.insert(spec.id.clone(), figures);
        }
    }
    write_sweep_curves(out, records, &mut index)?;
    Ok(index)
}

/// Draws one overlaid learning-curve figure per sweep (except `base`) and data set.
fn write_sweep_curves(
    out: &Path,
    records: &[RunRecord],
    index: &mut FigureIndex,
) -> Result<(), PlotError> {
    // Group by sweep and data set, keeping the catalogue order of the runs in each group.
    let mut groups: BTreeMap<(String, String), Vec<&RunRecord>> = BTreeMap::new();
    for record in records.iter().filter(|record| record.spec.sweep != "base") {
        let key = (record.spec.sweep.clone(), record.first().dataset.clone());
        groups.entry(key).or_default().push(record);
    }
    for ((sweep, dataset), group) in groups {
        let series: Vec<Series> = group
            .iter()
            .map(|record| Series {
                label: legend(&record.spec),
                losses: record.first().losses.clone(),
            })
            .collect();
        let path = format!("{FIGURE_DIR}/{}-{dataset}-curves.png", file_stem(&sweep));
        let title = format!("{} on {dataset}", sweep_title(&sweep));
        plot::learning_curves(
            &out.join(&path),
            &title,
            loss_label(group[0].spec.loss),
            &series,
        )?;
        index.sweeps.entry(sweep).or_default().insert(dataset, path);
    }
    Ok(())
}
