//! Runs a list of [`RunSpec`]s, each over one or more seeds, and summarises the seeds.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use serde::Serialize;

use crate::catalogue::RunSpec;
use crate::data::Dataset;
use crate::model::validate;
use crate::runner::{train, GridBounds, RunData, RunResult, TrainOptions};

/// Mean and sample standard deviation of a quantity over seeds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MeanStd {
    /// The arithmetic mean.
    pub mean: f64,
    /// The sample standard deviation (divisor `n - 1`); 0 for a single value.
    pub std: f64,
    /// How many values the two numbers summarise.
    pub count: usize,
}

impl MeanStd {
    /// Summarises `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<MeanStd> {
        if values.is_empty() {
            return None;
        }
        let count = values.len();
        let mean = values.iter().sum::<f64>() / count as f64;
        let std = if count < 2 {
            0.0
        } else {
            let squares: f64 = values.iter().map(|value| (value - mean).powi(2)).sum();
            (squares / (count - 1) as f64).sqrt()
        };
        Some(MeanStd { mean, std, count })
    }
}

/// Statistics of one run over its seeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeedStats {
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// Seeds whose loss became non-finite.
    pub diverged: usize,
    /// Final loss over the seeds that did not diverge; `None` if all diverged.
    pub final_loss: Option<MeanStd>,
    /// Training accuracy over the seeds that did not diverge, whose number is its `count`.
    /// `None` if all diverged.
    pub accuracy: Option<MeanStd>,
    /// Test accuracy over the seeds that did not diverge, when the data has a test set;
    /// `None` without one or if all diverged.
    pub test_accuracy: Option<MeanStd>,
    /// Seeds that classified every training point correctly.
    pub perfect: usize,
}

impl SeedStats {
    /// Summarises the results of one run over several seeds.
    ///
    /// # Panics
    ///
    /// When `results` is empty.
    pub fn of(results: &[RunResult]) -> SeedStats {
        assert!(
            !results.is_empty(),
            "SeedStats::of needs at least one result; run at least one seed"
        );
        let finite_losses: Vec<f64> = results
            .iter()
            .filter(|result| result.divergence.is_none())
            .map(|result| result.final_loss)
            .collect();
        // A diverged result has no accuracy, so these leave it out.
        let accuracies: Vec<f64> = results.iter().filter_map(|r| r.accuracy).collect();
        let test_accuracies: Vec<f64> = results.iter().filter_map(|r| r.test_accuracy).collect();
        SeedStats {
            seeds: results.iter().map(|result| result.seed).collect(),
            diverged: results.len() - finite_losses.len(),
            final_loss: MeanStd::of(&finite_losses),
            accuracy: MeanStd::of(&accuracies),
            test_accuracy: MeanStd::of(&test_accuracies),
            perfect: accuracies
                .iter()
                .filter(|&&accuracy| accuracy == 1.0)
                .count(),
        }
    }
}

/// One run of the suite: its spec, one result per seed and their statistics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunRecord {
    /// The spec, with the first seed.
    pub spec: RunSpec,
    /// One result per seed, in seed order. The first is the one shown in figures and
    /// printed listings.
    pub results: Vec<RunResult>,
    /// Statistics over the seeds.
    pub stats: SeedStats,
}

impl RunRecord {
    /// Returns the result of the first seed.
    pub fn first(&self) -> &RunResult {
        &self.results[0]
    }
}

/// How a suite is run.
#[derive(Clone, Debug, PartialEq)]
pub struct SuiteOptions {
    /// Seeds per run outside the `base` sweep: the spec's seed, seed + 1, ... Must be at
    /// least 1.
    pub seeds: usize,
    /// Seeds per run of the `base` sweep, which may differ from `seeds` so the report can
    /// give the spread of the baseline's outcome even when other runs use one seed. Must be
    /// at least 1.
    pub base_seeds: usize,
    /// Trains every run on this data set instead of the spec's own, without a test set.
    pub data: Option<Dataset>,
    /// Runs trained at once, each on its own thread. Must be at least 1. The results do
    /// not depend on it: every run has its own seed and model.
    pub threads: usize,
}

impl SuiteOptions {
    /// Returns the number of seeds `spec` runs with: `base_seeds` for the `base` sweep, else
    /// `seeds`.
    pub fn seeds_for(&self, spec: &RunSpec) -> usize {
        if spec.sweep == "base" {
            self.base_seeds
        } else {
            self.seeds
        }
    }

    /// Returns the rectangle of the decision-boundary grid: the unit square for the built-in
    /// data sets, or the bounding box of `data` with a margin (see [`GridBounds::around`]).
    pub fn grid_bounds(&self) -> GridBounds {
        match &self.data {
            Some(dataset) => GridBounds::around(&dataset.points),
            None => GridBounds::UNIT,
        }
    }
}

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            seeds: 1,
            base_seeds: 1,
            data: None,
            threads: default_threads(),
        }
    }
}

/// Returns the number of threads the machine can run at once, or 1 when it cannot tell.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Trains every spec over its seeds (see [`SuiteOptions::seeds_for`]) and returns one
/// record per spec, in the order of `specs`.
///
/// Up to `options.threads` runs train at once. `on_result` is still called on the calling
/// thread in spec and seed order, once per training run, for progress output, and the
/// records are the same for any thread count. `wants_grid` selects the specs whose first
/// seed also computes the decision-boundary grid. A run whose loss becomes non-finite is
/// recorded with its divergence and the suite goes on.
///
/// # Errors
///
/// Returns the message of [`validate`] for the first invalid spec, before any training, and
/// an error when `options.seeds`, `options.base_seeds` or `options.threads` is 0.
pub fn run_suite(
    specs: &[RunSpec],
    options: &SuiteOptions,
    wants_grid: &dyn Fn(&RunSpec) -> bool,
    on_result: &mut dyn FnMut(&RunSpec, &RunResult),
) -> Result<Vec<RunRecord>, String> {
    if options.seeds == 0 || options.base_seeds == 0 {
        return Err(format!(
            "seeds is {} and base_seeds is {}, but 0 seeds run nothing, so give both at \
             least 1 seed",
            options.seeds, options.base_seeds
        ));
    }
    if options.threads == 0 {
        return Err("threads is 0, but training needs at least 1 thread".to_string());
    }
    for spec in specs {
        validate(spec)?;
    }
    let jobs = jobs(specs, options, wants_grid);
    let mut results = Vec::with_capacity(jobs.len());
    run_ordered(
        &jobs,
        options.threads,
        &|job| job.train(options),
        &mut |job, result| {
            on_result(&job.spec, &result);
            results.push(result);
        },
    )?;
    let mut results = results.into_iter();
    let records = specs
        .iter()
        .map(|spec| {
            let results: Vec<RunResult> = results.by_ref().take(options.seeds_for(spec)).collect();
            RunRecord {
                spec: spec.clone(),
                stats: SeedStats::of(&results),
                results,
            }
        })
        .collect();
    Ok(records)
}

/// A job's outcome as it crosses from a worker: its result, or the payload
/// of the panic that ended it.
type Outcome<R> = std::thread::Result<Result<R, String>>;

/// Runs `work` on every job, up to `threads` jobs at once, and hands each
/// result to `on_result` on the calling thread in job order, whatever order
/// they finish in.
///
/// After the first failure no new job starts. The first error in job order
/// is returned once every job before it has been handed on. A panic in
/// `work` is caught on its worker and resumed on the calling thread, with
/// its own payload, at the same point.
fn run_ordered<J: Sync, R: Send>(
    jobs: &[J],
    threads: usize,
    work: &(dyn Fn(&J) -> Result<R, String> + Sync),
    on_result: &mut dyn FnMut(&J, R),
) -> Result<(), String> {
    let failed = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let failure = std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::channel::<(usize, Outcome<R>)>();
        for _ in 0..threads.min(jobs.len()).max(1) {
            let sender = sender.clone();
            let (failed, next) = (&failed, &next);
            scope.spawn(move || {
                while !failed.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(index) else { break };
                    let outcome = panic::catch_unwind(AssertUnwindSafe(|| work(job)));
                    if !matches!(outcome, Ok(Ok(_))) {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if sender.send((index, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        // Jobs are taken in index order, so every job before a failed one
        // has started and will arrive.
        let mut arrived: Vec<Option<Outcome<R>>> = jobs.iter().map(|_| None).collect();
        let mut cursor = 0;
        for (index, outcome) in receiver {
            arrived[index] = Some(outcome);
            while let Some(outcome) = arrived.get_mut(cursor).and_then(Option::take) {
                match outcome {
                    Ok(Ok(result)) => on_result(&jobs[cursor], result),
                    failure => {
                        failed.store(true, Ordering::Relaxed);
                        return Some(failure);
                    }
                }
                cursor += 1;
            }
        }
        None
    });
    match failure {
        None | Some(Ok(Ok(_))) => Ok(()),
        Some(Ok(Err(message))) => Err(message),
        Some(Err(payload)) => panic::resume_unwind(payload),
    }
}

/// One training run of a suite: a spec with one of its seeds.
struct Job {
    spec: RunSpec,
    grid: Option<GridBounds>,
}

impl Job {
    fn train(&self, options: &SuiteOptions) -> Result<RunResult, String> {
        let data = match &options.data {
            Some(dataset) => RunData {
                train: dataset.clone(),
                test: None,
            },
            None => RunData::for_spec(&self.spec),
        };
        train(&self.spec, &data, TrainOptions { grid: self.grid })
    }
}

/// Lists the runs of `specs` over their seeds, in spec and seed order.
fn jobs(
    specs: &[RunSpec],
    options: &SuiteOptions,
    wants_grid: &dyn Fn(&RunSpec) -> bool,
) -> Vec<Job> {
    let bounds = options.grid_bounds();
    let mut jobs = Vec::new();
    for spec in specs {
        for offset in 0..options.seeds_for(spec) as u64 {
            jobs.push(Job {
                spec: spec.with_seed(spec.seed.wrapping_add(offset)),
                grid: (offset == 0 && wants_grid(spec)).then_some(bounds),
            });
        }
    }
    jobs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::DataSpec;
    use crate::runner::Divergence;

    #[test]
    fn mean_std_of_known_values() {
        let stats = MeanStd::of(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(stats.mean, 2.5);
        // Sum of squared deviations 5, divided by n - 1 = 3.
        assert!((stats.std - (5.0_f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(stats.count, 4);
    }

    /// Returns a one-epoch `base/xor` result with `accuracy`, or a diverged one for `None`.
    fn result_with(seed: u64, accuracy: Option<f64>) -> RunResult {
        let spec = RunSpec::baseline(DataSpec::Xor, seed).with_epochs(1);
        let mut result = train(&spec, &RunData::for_spec(&spec), TrainOptions::default())
            .expect("the baseline is valid");
        result.accuracy = accuracy;
        result.correct = accuracy.map(|accuracy| (accuracy * 21.0).round() as usize);
        if accuracy.is_none() {
            result.final_loss = f64::INFINITY;
            result.divergence = Some(Divergence {
                epoch: 1,
                op: None,
                detail: None,
            });
        }
        result
    }

    #[test]
    fn stats_skip_diverged_seeds() {
        let results = [
            result_with(1, Some(1.0)),
            result_with(2, None),
            result_with(3, Some(0.5)),
        ];
        let stats = SeedStats::of(&results);
        assert_eq!(stats.seeds, vec![1, 2, 3]);
        assert_eq!(stats.diverged, 1);
        assert_eq!(stats.perfect, 1);
        let accuracy = stats.accuracy.expect("two seeds finished");
        assert_eq!(accuracy.count, 2);
        assert_eq!(accuracy.mean, 0.75);
        assert_eq!(stats.final_loss.expect("two seeds finished").count, 2);
    }

    #[test]
    fn stats_all_diverged() {
        let stats = SeedStats::of(&[result_with(1, None), result_with(2, None)]);
        assert_eq!(stats.diverged, 2);
        assert_eq!(stats.accuracy, None);
        assert_eq!(stats.final_loss, None);
        assert_eq!(stats.perfect, 0);
    }

    #[test]
    fn base_seeds_only_for_base() {
        let options = SuiteOptions {
            seeds: 3,
            base_seeds: 2,
            ..SuiteOptions::default()
        };
        let base = RunSpec::baseline(DataSpec::Linear, 1);
        let lr = crate::catalogue::sweep_runs("lr", DataSpec::Linear, 1).remove(0);
        assert_eq!(options.seeds_for(&base), 2);
        assert_eq!(options.seeds_for(&lr), 3);
    }

    #[test]
    fn zero_base_seeds_rejected() {
        let options = SuiteOptions {
            seeds: 1,
            base_seeds: 0,
            data: None,
            ..SuiteOptions::default()
        };
        let base = RunSpec::baseline(DataSpec::Xor, 1).with_epochs(1);
        let error = run_suite(&[base], &options, &|_| false, &mut |_, _| {}).unwrap_err();
        assert!(error.contains("base_seeds is 0"), "{error}");
    }

    /// Sleeps longer for earlier jobs, so that later jobs finish first.
    fn slow_first(job: &usize) {
        std::thread::sleep(std::time::Duration::from_millis(5 * (6 - *job as u64)));
    }

    #[test]
    fn results_come_in_job_order() {
        let jobs: Vec<usize> = (0..6).collect();
        let mut seen = Vec::new();
        let work = |job: &usize| {
            slow_first(job);
            Ok(job * 10)
        };
        run_ordered(&jobs, 3, &work, &mut |job, result| {
            seen.push((*job, result))
        })
        .unwrap();
        let expected: Vec<(usize, usize)> = (0..6).map(|job| (job, job * 10)).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn first_error_in_order_wins() {
        let jobs: Vec<usize> = (0..6).collect();
        let mut seen = Vec::new();
        let work = |job: &usize| {
            slow_first(job);
            if *job >= 2 {
                Err(format!("job {job} failed"))
            } else {
                Ok(*job)
            }
        };
        let error = run_ordered(&jobs, 3, &work, &mut |job, _| seen.push(*job)).unwrap_err();
        // Job 3 or 4 may fail first in time, but job 2 fails first in order.
        assert_eq!(error, "job 2 failed");
        assert_eq!(seen, [0, 1]);
    }

    #[test]
    fn job_panic_keeps_its_payload() {
        let jobs: Vec<usize> = (0..6).collect();
        let mut seen = Vec::new();
        let work = |job: &usize| -> Result<usize, String> {
            slow_first(job);
            if *job == 2 {
                panic!("job 2 panicked");
            }
            Ok(*job)
        };
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
            run_ordered(&jobs, 2, &work, &mut |job, _| seen.push(*job))
        }));
        let payload = caught.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"job 2 panicked"));
        assert_eq!(seen, [0, 1]);
    }

    #[test]
    fn zero_threads_rejected() {
        let options = SuiteOptions {
            threads: 0,
            ..SuiteOptions::default()
        };
        let base = RunSpec::baseline(DataSpec::Xor, 1).with_epochs(1);
        let error = run_suite(&[base], &options, &|_| false, &mut |_, _| {}).unwrap_err();
        assert!(error.contains("threads is 0"), "{error}");
    }

    #[test]
    fn more_threads_than_runs() {
        let options = SuiteOptions {
            threads: 8,
            ..SuiteOptions::default()
        };
        let good = RunSpec::baseline(DataSpec::Xor, 1).with_epochs(1);
        let specs = [good.clone(), good.clone(), good];
        let mut count = 0;
        let records = run_suite(&specs, &options, &|_| false, &mut |_, _| count += 1).unwrap();
        assert_eq!((records.len(), count), (3, 3));
    }

    #[test]
    fn mean_std_single_and_empty() {
        assert_eq!(MeanStd::of(&[]), None);
        let single = MeanStd::of(&[0.25]).unwrap();
        assert_eq!(single.mean, 0.25);
        assert_eq!(single.std, 0.0);
    }
}
