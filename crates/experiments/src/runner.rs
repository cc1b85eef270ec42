//! Trains one [`RunSpec`] and measures it: loss per epoch, final loss, predictions,
//! accuracy, test accuracy, wall time, speed of convergence and divergence.
//!
//! # Seeds
//!
//! A run's seed sets everything random in it. The initial weights come from
//! `StdRng::seed_from_u64(seed)`. On the linear set, the training points are
//! `data::linear(100, seed + 1_000_000)` and the test points
//! `data::linear(100, seed + 2_000_000)`, so the three streams never overlap for seeds less
//! than a million apart and the same seed gives the same numbers, bit for bit. The XOR set
//! is fixed, so there only the weights change with the seed.
//!
//! # Training
//!
//! Every epoch is one full-batch step: clear the tape, forward the whole training set,
//! record the loss, backward, update. The loss of epoch `e` (1-based) is the loss before the
//! `e`-th update. After the last update one more forward pass gives the final loss and the
//! predictions. A non-finite loss stops the run: the same forward pass is repeated with the
//! tape's anomaly mode on to name the first op that produced a NaN or an infinity.

use std::time::Instant;

use nn::{bce_with_logits, mse, Module, Sequential};
use rand::SeedableRng;
use serde::Serialize;
use tensor::{AnomalyMode, Tape, Var};

use crate::catalogue::{DataSpec, LossSpec, RunSpec};
use crate::data::{self, Dataset};
use crate::model::{build_model, build_optimizer, validate};

/// Points in each draw of the linear set.
pub const LINEAR_POINTS: usize = 100;
/// Added to the run's seed to seed the linear training draw.
pub const TRAIN_SEED_OFFSET: u64 = 1_000_000;
/// Added to the run's seed to seed the linear test draw.
pub const TEST_SEED_OFFSET: u64 = 2_000_000;
/// The loss below which a run counts as converged, for [`RunResult::updates_to_target`].
pub const TARGET_LOSS: f64 = 0.01;
/// Points along each side of the decision-boundary grid.
pub const GRID_RESOLUTION: usize = 100;
/// The margin [`GridBounds::around`] adds on each side, as a fraction of the data's extent.
pub const GRID_MARGIN: f64 = 0.05;

/// The rectangle of the input plane that a decision-boundary grid covers: `x0` from
/// `x0[0]` to `x0[1]` and `x1` from `x1[0]` to `x1[1]`, each with the low end first.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridBounds {
    /// The range of the first coordinate.
    pub x0: [f64; 2],
    /// The range of the second coordinate.
    pub x1: [f64; 2],
}

impl GridBounds {
    /// The unit square `[0, 1]^2`, which contains both built-in data sets.
    pub const UNIT: GridBounds = GridBounds {
        x0: [0.0, 1.0],
        x1: [0.0, 1.0],
    };

    /// Returns the bounding box of the finite coordinates of `points`, widened on each side
    /// by [`GRID_MARGIN`] of its extent. An axis whose coordinates are all equal gets a
    /// range of 1 centred on them, and an axis without finite coordinates gets `[0, 1]`.
    pub fn around(points: &[[f64; 2]]) -> GridBounds {
        GridBounds {
            x0: padded_range(points.iter().map(|point| point[0])),
            x1: padded_range(points.iter().map(|point| point[1])),
        }
    }

    /// Returns the coordinates of grid line `index` of `resolution` along `range`: the first
    /// line is at the low end and the last at the high end.
    ///
    /// # Panics
    ///
    /// When `resolution` is below 2.
    pub fn line(range: [f64; 2], index: usize, resolution: usize) -> f64 {
        assert!(
            resolution >= 2,
            "a grid of resolution {resolution} has no spacing; use a resolution of at least 2"
        );
        let fraction = index as f64 / (resolution - 1) as f64;
        range[0] + fraction * (range[1] - range[0])
    }
}

/// Returns the range of the finite `values` widened by [`GRID_MARGIN`] on each side (see
/// [`GridBounds::around`]).
fn padded_range(values: impl Iterator<Item = f64>) -> [f64; 2] {
    let (low, high) = values
        .filter(|value| value.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| {
            (low.min(value), high.max(value))
        });
    if low > high {
        return [0.0, 1.0];
    }
    if low == high {
        return [low - 0.5, high + 0.5];
    }
    let margin = GRID_MARGIN * (high - low);
    [low - margin, high + margin]
}

/// The data a run trains on and, optionally, a held-out set to test on.
#[derive(Clone, Debug, PartialEq)]
pub struct RunData {
    /// The training set; accuracy is measured on it too.
    pub train: Dataset,
    /// A fresh draw from the same distribution, when one exists.
    pub test: Option<Dataset>,
}

impl RunData {
    /// Returns the data of `spec` from its seed (see the module docs): the linear set with a
    /// test draw, or the XOR set without one.
    pub fn for_spec(spec: &RunSpec) -> RunData {
        match spec.dataset {
            DataSpec::Linear => RunData {
                train: data::linear(LINEAR_POINTS, spec.seed.wrapping_add(TRAIN_SEED_OFFSET)),
                test: Some(data::linear(
                    LINEAR_POINTS,
                    spec.seed.wrapping_add(TEST_SEED_OFFSET),
                )),
            },
            DataSpec::Xor => RunData {
                train: data::xor_easy(),
                test: None,
            },
        }
    }
}

/// Where and why a run stopped on a non-finite loss.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Divergence {
    /// The first epoch (1-based) whose loss is NaN or infinite.
    pub epoch: usize,
    /// The first op of that epoch's forward pass whose output held a NaN or an infinity, as
    /// in `matmul` or `square`; `leaf` means a parameter was already non-finite after the
    /// previous update. `None` when the anomaly check found no such op.
    pub op: Option<String>,
    /// The anomaly report: op, input shapes and source location.
    pub detail: Option<String>,
}

/// Everything measured in one training run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunResult {
    /// The run id, as in the catalogue.
    pub id: String,
    /// The seed the run used.
    pub seed: u64,
    /// The name of the training set.
    pub dataset: String,
    /// The training points, `[x0, x1]` each.
    pub points: Vec<[f64; 2]>,
    /// The label of each training point, `0.0` or `1.0`.
    pub labels: Vec<f64>,
    /// The loss of each epoch, before that epoch's update. A diverged run ends with its
    /// first non-finite loss, which JSON stores as `null`.
    pub losses: Vec<f64>,
    /// The loss of one more forward pass after the last update (non-finite if diverged).
    pub final_loss: f64,
    /// The model's output for each training point after training: a probability (the
    /// sigmoid of the logit for a logit model), or the raw output of a fully linear model.
    pub predictions: Vec<f64>,
    /// Training points whose predicted class equals their label (see [`predicted_class`]).
    /// `None` for a diverged run, because its outputs come from exploded weights and tell
    /// nothing about the model.
    pub correct: Option<usize>,
    /// `correct / number of training points`; `None` for a diverged run.
    pub accuracy: Option<f64>,
    /// Test points classified correctly; `None` without a test set or for a diverged run.
    pub test_correct: Option<usize>,
    /// Accuracy on the test set; `None` without a test set or for a diverged run.
    pub test_accuracy: Option<f64>,
    /// The number of updates after which the loss was first below [`TARGET_LOSS`] (0 is the
    /// initial loss, the epoch count is the final loss); `None` if it never was.
    pub updates_to_target: Option<usize>,
    /// Wall time of training and the final forward pass, in seconds.
    pub seconds: f64,
    /// Set when the loss became non-finite; training stopped at that epoch.
    pub divergence: Option<Divergence>,
    /// The output on a [`GRID_RESOLUTION`]-square grid over [`RunResult::grid_bounds`],
    /// row-major: row `r` is at grid line `r` of `x1` and column `c` at grid line `c` of
    /// `x0` (see [`GridBounds::line`]). Empty unless requested. Not written to JSON.
    #[serde(skip)]
    pub grid: Vec<f64>,
    /// The rectangle that [`RunResult::grid`] covers; [`GridBounds::UNIT`] when there is
    /// no grid. Not written to JSON.
    #[serde(skip)]
    pub grid_bounds: GridBounds,
}

/// Returns the class of a model output: `Some(1)` above 0.5, `Some(0)` at or below, and
/// `None` for NaN or an infinity, which never counts as correct.
///
/// For a logit model the output is the sigmoid of the logit, so this is the rule
/// `logit > 0` except within about 1e-16 of 0, where the sigmoid rounds to exactly 0.5.
/// Deciding on the sigmoid keeps the class equal to the one shown by the printed
/// probability.
pub fn predicted_class(output: f64) -> Option<u8> {
    if !output.is_finite() {
        None
    } else if output > 0.5 {
        Some(1)
    } else {
        Some(0)
    }
}

/// Returns how many `outputs` have the class of their label.
pub fn count_correct(outputs: &[f64], labels: &[f64]) -> usize {
    outputs
        .iter()
        .zip(labels)
        .filter(|(&output, &label)| predicted_class(output) == Some(label as u8))
        .count()
}

/// Options of [`train`] that do not change the numbers of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TrainOptions {
    /// Computes [`RunResult::grid`] over this rectangle after training.
    pub grid: Option<GridBounds>,
}

/// Records the loss of `spec` for the model output `output` and labels `target`.
fn loss_of<'t>(loss: LossSpec, output: Var<'t, f64>, target: Var<'t, f64>) -> Var<'t, f64> {
    match loss {
        LossSpec::Mse => mse(output, target),
        LossSpec::BceWithLogits => bce_with_logits(output, target),
    }
}

/// Converts raw model outputs to the values reported as predictions: the sigmoid of each
/// logit for a logit model, else the outputs unchanged.
fn to_predictions(loss: LossSpec, mut outputs: Vec<f64>) -> Vec<f64> {
    if loss == LossSpec::BceWithLogits {
        for value in &mut outputs {
            *value = 1.0 / (1.0 + (-*value).exp());
        }
    }
    outputs
}

/// Returns the model's predictions for `points`, recorded without gradients.
fn predict(
    model: &Sequential<f64>,
    tape: &mut Tape<f64>,
    loss: LossSpec,
    points: &[f64],
) -> Vec<f64> {
    tape.clear();
    let rows = points.len() / 2;
    let outputs = tape.no_grad(|| {
        let x = tape.constant_from_slice(points, &[rows, 2]);
        model.forward(x).value().data().to_vec()
    });
    to_predictions(loss, outputs)
}

/// Returns the points of the decision-boundary grid over `bounds` as a row-major `[n, 2]`
/// buffer.
fn grid_points(bounds: GridBounds) -> Vec<f64> {
    let mut points = Vec::with_capacity(2 * GRID_RESOLUTION * GRID_RESOLUTION);
    for row in 0..GRID_RESOLUTION {
        for column in 0..GRID_RESOLUTION {
            points.push(GridBounds::line(bounds.x0, column, GRID_RESOLUTION));
            points.push(GridBounds::line(bounds.x1, row, GRID_RESOLUTION));
        }
    }
    points
}

/// Forwards the training set once and returns the loss and the raw outputs.
fn evaluate(
    model: &Sequential<f64>,
    tape: &mut Tape<f64>,
    spec: &RunSpec,
    inputs: &[f64],
    labels: &[f64],
) -> (f64, Vec<f64>) {
    tape.clear();
    let rows = labels.len();
    let x = tape.constant_from_slice(inputs, &[rows, 2]);
    let y = tape.constant_from_slice(labels, &[rows, 1]);
    let output = model.forward(x);
    let loss = loss_of(spec.loss, output, y).item();
    let outputs = output.value().data().to_vec();
    (loss, outputs)
}

/// Trains `spec` on `data` and measures the result.
///
/// # Errors
///
/// Returns the message of [`validate`] when the parts of `spec` do not fit together.
///
/// # Panics
///
/// When `data.train` is empty.
///
/// # Examples
///
/// ```
/// use experiments::catalogue::{DataSpec, RunSpec};
/// use experiments::runner::{train, RunData, TrainOptions};
///
/// let spec = RunSpec::baseline(DataSpec::Linear, 1).with_epochs(50);
/// let result = train(&spec, &RunData::for_spec(&spec), TrainOptions::default()).unwrap();
/// assert_eq!(result.losses.len(), 50);
/// assert!(result.final_loss < result.losses[0]);
/// ```
pub fn train(spec: &RunSpec, data: &RunData, options: TrainOptions) -> Result<RunResult, String> {
    validate(spec)?;
    assert!(
        !data.train.is_empty(),
        "run {}: the training set is empty; pass at least one point",
        spec.id
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(spec.seed);
    let mut model = build_model(spec, &mut rng);
    let mut optimizer = build_optimizer(spec);
    let inputs = data.train.inputs_flat();
    let labels = data.train.labels_flat();
    let rows = labels.len();

    let started = Instant::now();
    let mut tape = Tape::new();
    let mut losses = Vec::with_capacity(spec.epochs);
    let mut divergence = None;
    for epoch in 1..=spec.epochs {
        tape.clear();
        let x = tape.constant_from_slice(&inputs, &[rows, 2]);
        let y = tape.constant_from_slice(&labels, &[rows, 1]);
        let loss = loss_of(spec.loss, model.forward(x), y);
        let value = loss.item();
        losses.push(value);
        if !value.is_finite() {
            divergence = Some(locate_divergence(
                &model, &mut tape, spec, &inputs, &labels, epoch,
            ));
            break;
        }
        let grads = loss.backward();
        optimizer.step(&mut model, &grads);
        tape.recycle(grads);
    }
    let (final_loss, outputs) = evaluate(&model, &mut tape, spec, &inputs, &labels);
    let seconds = started.elapsed().as_secs_f64();

    let predictions = to_predictions(spec.loss, outputs);
    // A diverged run stopped with exploded weights, so counting its outputs would report
    // an accuracy for a model that does not exist.
    let diverged = divergence.is_some();
    let correct = (!diverged).then(|| count_correct(&predictions, &labels));
    let test = data.test.as_ref().filter(|_| !diverged);
    let test_correct = test.map(|test| {
        let outputs = predict(&model, &mut tape, spec.loss, &test.inputs_flat());
        count_correct(&outputs, &test.labels)
    });
    let grid = match options.grid {
        Some(bounds) => predict(&model, &mut tape, spec.loss, &grid_points(bounds)),
        None => Vec::new(),
    };
    let updates_to_target = losses
        .iter()
        .chain(std::iter::once(&final_loss))
        .position(|&loss| loss < TARGET_LOSS)
        .filter(|_| divergence.is_none());

    Ok(RunResult {
        id: spec.id.clone(),
        seed: spec.seed,
        dataset: data.train.name.clone(),
        points: data.train.points.clone(),
        labels,
        losses,
        final_loss,
        accuracy: correct.map(|correct| correct as f64 / rows as f64),
        predictions,
        correct,
        test_accuracy: test
            .zip(test_correct)
            .map(|(test, correct)| correct as f64 / test.len() as f64),
        test_correct,
        updates_to_target,
        seconds,
        divergence,
        grid,
        grid_bounds: options.grid.unwrap_or(GridBounds::UNIT),
    })
}

/// Repeats the forward pass of a diverged epoch with anomaly recording on and returns where
/// the first non-finite value appeared. The parameters are those the epoch used, because the
/// update after a non-finite loss is skipped.
fn locate_divergence(
    model: &Sequential<f64>,
    tape: &mut Tape<f64>,
    spec: &RunSpec,
    inputs: &[f64],
    labels: &[f64],
    epoch: usize,
) -> Divergence {
    tape.clear();
    tape.set_anomaly_mode(AnomalyMode::Record);
    let rows = labels.len();
    {
        let x = tape.constant_from_slice(inputs, &[rows, 2]);
        let y = tape.constant_from_slice(labels, &[rows, 1]);
        loss_of(spec.loss, model.forward(x), y);
    }
    let anomaly = tape.anomaly();
    tape.set_anomaly_mode(AnomalyMode::Off);
    Divergence {
        epoch,
        op: anomaly.as_ref().map(|found| found.op.to_string()),
        detail: anomaly.map(|found| found.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_threshold_is_strict() {
        assert_eq!(predicted_class(0.5), Some(0));
        assert_eq!(predicted_class(0.500_000_1), Some(1));
        assert_eq!(predicted_class(f64::NAN), None);
        assert_eq!(predicted_class(f64::INFINITY), None);
    }

    #[test]
    fn nan_never_counts_as_correct() {
        assert_eq!(count_correct(&[f64::NAN, 0.2, 0.9], &[0.0, 0.0, 1.0]), 2);
    }

    #[test]
    fn grid_row_major_x0_fastest() {
        let points = grid_points(GridBounds::UNIT);
        assert_eq!(points.len(), 2 * GRID_RESOLUTION * GRID_RESOLUTION);
        assert_eq!(&points[..4], &[0.0, 0.0, 1.0 / 99.0, 0.0]);
        let last = points.len() - 2;
        assert!((points[last] - 1.0).abs() < 1e-12);
        assert!((points[last + 1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn grid_spans_given_bounds() {
        let bounds = GridBounds {
            x0: [-5.0, 5.0],
            x1: [2.0, 4.0],
        };
        let points = grid_points(bounds);
        assert_eq!(&points[..2], &[-5.0, 2.0]);
        assert!((points[2] - (-5.0 + 10.0 / 99.0)).abs() < 1e-12);
        let last = points.len() - 2;
        assert!((points[last] - 5.0).abs() < 1e-12);
        assert!((points[last + 1] - 4.0).abs() < 1e-12);
    }

    #[test]
    fn bounds_around_add_margin() {
        let bounds = GridBounds::around(&[[-5.0, 0.0], [5.0, 2.0], [f64::NAN, 1.0]]);
        assert_eq!(bounds.x0, [-5.5, 5.5]);
        assert_eq!(bounds.x1, [-0.1, 2.1]);
    }

    #[test]
    fn bounds_around_flat_and_empty() {
        let flat = GridBounds::around(&[[3.0, 1.0], [3.0, 2.0]]);
        assert_eq!(flat.x0, [2.5, 3.5]);
        assert_eq!(GridBounds::around(&[]), GridBounds::UNIT);
    }

    #[test]
    fn seed_streams_differ() {
        let spec = RunSpec::baseline(DataSpec::Linear, 3);
        let data = RunData::for_spec(&spec);
        let test = data.test.expect("the linear set has a test draw");
        assert_ne!(data.train.points, test.points);
    }
}
