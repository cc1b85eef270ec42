//! Sentences of the report written from the measured numbers: which run converged first,
//! which diverged, which classified every point, and checks of facts every correct run
//! obeys.

use crate::catalogue::{format_lr, DataSpec, RunSpec};
use crate::console::format_loss;
use crate::figures::legend;
use crate::runner::{predicted_class, RunResult};
use crate::suite::RunRecord;

/// The most XOR points any linear classifier gets right: 16 of the 21, found by exhaustive
/// search over lines. A network without hidden activations is linear in its input and
/// thresholds that at 0.5, so it can never do better.
pub const XOR_LINEAR_BOUND: usize = 16;

/// The number of points in the XOR set.
const XOR_POINTS: usize = 21;

/// Returns `correct/total` for a result, as `20/21`, or `no accuracy (diverged)` for a
/// diverged run.
pub fn fraction(result: &RunResult) -> String {
    match result.correct {
        Some(correct) => format!("{correct}/{}", result.labels.len()),
        None => "no accuracy (diverged)".to_string(),
    }
}

/// Joins names as `a`, `a and b` or `a, b and c`.
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Returns the name of a run within its group, in backticks for legibility.
fn name(record: &RunRecord) -> String {
    format!("`{}`", legend(&record.spec))
}

/// Writes the findings for one group of runs on one data set (the runs of a sweep, or
/// the base runs), from the first seed of each run.
pub fn group_findings(dataset: &str, group: &[&RunRecord]) -> String {
    if let [only] = group {
        return single_findings(dataset, only);
    }
    let mut sentences = Vec::new();
    let finished: Vec<&&RunRecord> = group
        .iter()
        .filter(|record| record.first().divergence.is_none())
        .collect();

    let reached: Vec<(&&RunRecord, usize)> = finished
        .iter()
        .filter_map(|record| record.first().updates_to_target.map(|n| (*record, n)))
        .collect();
    if let Some(&(fastest, updates)) = reached.iter().min_by_key(|(_, updates)| *updates) {
        let mut sentence = format!(
            "On {dataset}, {} brought the loss below 0.01 first, after {updates} updates",
            name(fastest)
        );
        let never: Vec<String> = finished
            .iter()
            .filter(|record| record.first().updates_to_target.is_none())
            .map(|record| name(record))
            .collect();
        if !never.is_empty() {
            sentence.push_str(&format!(
                "; {} never got there within {} epochs",
                join_names(&never),
                epochs_phrase(&finished, &never)
            ));
        }
        sentences.push(sentence + ".");
    } else if !finished.is_empty() {
        sentences.push(format!(
            "On {dataset}, no run brought the loss below 0.01 within its epochs."
        ));
    }

    if finished.len() > 1 {
        let lowest = finished
            .iter()
            .min_by(|a, b| a.first().final_loss.total_cmp(&b.first().final_loss))
            .expect("finished has at least two runs");
        sentences.push(format!(
            "The lowest final loss is {}, from {}.",
            format_loss(lowest.first().final_loss),
            name(lowest)
        ));
    }

    let perfect: Vec<String> = group
        .iter()
        .filter(|record| record.first().accuracy == Some(1.0))
        .map(|record| name(record))
        .collect();
    let imperfect: Vec<String> = group
        .iter()
        .filter(|record| {
            record
                .first()
                .accuracy
                .is_some_and(|accuracy| accuracy < 1.0)
        })
        .map(|record| format!("{} {}", name(record), fraction(record.first())))
        .collect();
    match (perfect.is_empty(), imperfect.is_empty()) {
        (false, true) if finished.len() == group.len() => {
            sentences.push("Every run classifies every training point.".to_string())
        }
        (false, true) => {
            sentences.push("Every run that finished classifies every training point.".to_string())
        }
        (false, false) => sentences.push(format!(
            "100% training accuracy: {}; the others: {}.",
            join_names(&perfect),
            join_names(&imperfect)
        )),
        (true, false) => sentences.push(format!(
            "No run classifies every training point: {}.",
            join_names(&imperfect)
        )),
        (true, true) => {}
    }
    for record in group {
        if let Some(sentence) = divergence_sentence(record) {
            sentences.push(sentence);
        }
        if let Some(sentence) = spike_sentence(record) {
            sentences.push(sentence);
        }
        if let Some(sentence) = constant_class_sentence(record, &name(record)) {
            sentences.push(sentence);
        }
    }
    sentences.join(" ")
}

/// Writes the findings of a group with one run, such as a base run.
fn single_findings(dataset: &str, record: &RunRecord) -> String {
    let result = record.first();
    if result.divergence.is_some() {
        return format!(
            "On {dataset}, {}",
            divergence_sentence(record).unwrap_or_default()
        );
    }
    let loss = match result.updates_to_target {
        Some(updates) => format!(
            "the loss fell below 0.01 after {updates} updates and ended at {}",
            format_loss(result.final_loss)
        ),
        None => format!(
            "the loss stayed above 0.01 for all {} epochs and ended at {}",
            record.spec.epochs,
            format_loss(result.final_loss)
        ),
    };
    let points = if result.accuracy == Some(1.0) {
        format!(
            "every training point ({}) is classified correctly",
            fraction(result)
        )
    } else {
        format!(
            "{} training points are classified correctly",
            fraction(result)
        )
    };
    let mut sentence = format!("On {dataset}, {loss}; {points}.");
    if let Some(constant) = constant_class_sentence(record, "It") {
        sentence.push(' ');
        sentence.push_str(&constant);
    }
    sentence
}

/// The factor by which a loss must rise above its lowest value so far to count as a spike.
const SPIKE_FACTOR: f64 = 100.0;

/// Describes the largest rise of a finished run's loss above its lowest value so far, when
/// that rise exceeds [`SPIKE_FACTOR`]. Returns `None` for steadier runs and diverged ones.
fn spike_sentence(record: &RunRecord) -> Option<String> {
    let result = record.first();
    if result.divergence.is_some() {
        return None;
    }
    let mut lowest = f64::INFINITY;
    // (epoch, lowest loss before it, loss at it) of the largest rise found so far.
    let mut spike: Option<(usize, f64, f64)> = None;
    for (index, &loss) in result.losses.iter().enumerate() {
        let ratio = loss / lowest;
        let largest = match spike {
            Some((_, low, high)) => ratio > high / low,
            None => true,
        };
        if ratio > SPIKE_FACTOR && largest {
            spike = Some((index + 1, lowest, loss));
        }
        lowest = lowest.min(loss);
    }
    let (epoch, low, high) = spike?;
    Some(format!(
        "The loss of {} is not monotone: after reaching {} it jumped to {} at epoch {epoch}.",
        name(record),
        format_loss(low),
        format_loss(high)
    ))
}

/// Notes a finished run that predicts the same class for every training point although both
/// classes occur, as a network whose hidden units all output 0 does. `subject` names the run
/// in the sentence.
fn constant_class_sentence(record: &RunRecord, subject: &str) -> Option<String> {
    let result = record.first();
    if result.divergence.is_some() {
        return None;
    }
    let first_class = predicted_class(*result.predictions.first()?)?;
    let constant = result
        .predictions
        .iter()
        .all(|&output| predicted_class(output) == Some(first_class));
    let both_labels = result.labels.contains(&0.0) && result.labels.contains(&1.0);
    (constant && both_labels)
        .then(|| format!("{subject} predicts class {first_class} for every training point."))
}

/// Describes a diverged run from its numbers: the epoch, the op, and how the loss grew
/// before it. Returns `None` for a run that did not diverge.
fn divergence_sentence(record: &RunRecord) -> Option<String> {
    let result = record.first();
    let divergence = result.divergence.as_ref()?;
    let op = divergence
        .op
        .as_ref()
        .map(|op| format!(", where op `{op}` first produced a non-finite value"))
        .unwrap_or_default();
    let mut sentence = format!(
        "{} diverged at epoch {}{op}.",
        name(record),
        divergence.epoch
    );
    let finite = &result.losses[..divergence.epoch - 1];
    if let (Some(first), Some(last)) = (finite.first(), finite.last()) {
        if finite.len() > 1 && last > first {
            sentence.push_str(&format!(
                " Its loss grew from {} at epoch 1 to {} at epoch {} and then overflowed: \
                 the updates exploded, the gradients did not vanish.",
                format_loss(*first),
                format_loss(*last),
                finite.len()
            ));
        }
    }
    Some(sentence)
}

/// Returns the epoch count of the named runs when they share one, as `10000`, else
/// `their`.
fn epochs_phrase(records: &[&&RunRecord], names: &[String]) -> String {
    let epochs: Vec<usize> = records
        .iter()
        .filter(|record| names.contains(&name(record)))
        .map(|record| record.spec.epochs)
        .collect();
    match epochs.split_first() {
        Some((first, rest)) if rest.iter().all(|e| e == first) => first.to_string(),
        _ => "their".to_string(),
    }
}

/// Writes the seed statistics sentence of a group run over more than one seed: which runs
/// reached 100% on every seed and which diverged on some. Returns `None` for one seed.
pub fn seed_findings(dataset: &str, group: &[&RunRecord]) -> Option<String> {
    let seeds = group.first()?.stats.seeds.len();
    if seeds < 2 {
        return None;
    }
    if let [only] = group {
        return Some(single_seed_findings(only));
    }
    let always: Vec<String> = group
        .iter()
        .filter(|record| record.stats.perfect == seeds)
        .map(|record| name(record))
        .collect();
    let spread: Vec<String> = group
        .iter()
        .filter(|record| record.stats.perfect < seeds)
        .map(|record| format!("{} on {} of {seeds}", name(record), record.stats.perfect))
        .collect();
    let mut sentence = format!("Over {seeds} seeds on {dataset}, ");
    if spread.is_empty() {
        sentence.push_str("every run classified every training point on every seed.");
    } else if always.is_empty() {
        sentence.push_str(&format!(
            "runs classified every training point {}.",
            join_names(&spread)
        ));
    } else {
        sentence.push_str(&format!(
            "{} classified every training point on every seed, {}.",
            join_names(&always),
            join_names(&spread)
        ));
    }
    let diverged: Vec<String> = group
        .iter()
        .filter(|record| record.stats.diverged > 0)
        .map(|record| format!("{} on {} of {seeds}", name(record), record.stats.diverged))
        .collect();
    if !diverged.is_empty() {
        sentence.push_str(&format!(" Seeds that diverged: {}.", join_names(&diverged)));
    }
    Some(sentence)
}

/// Writes the spread of one run over its seeds: how many diverged, how many of the others
/// classify every training point, and what the rest get.
fn single_seed_findings(record: &RunRecord) -> String {
    let seeds = &record.stats.seeds;
    let total = seeds.len();
    let range = format!("Over seeds {} to {}", seeds[0], seeds[total - 1]);
    let diverged: Vec<String> = record
        .results
        .iter()
        .filter(|result| result.divergence.is_some())
        .map(|result| result.seed.to_string())
        .collect();
    let imperfect: Vec<String> = record
        .results
        .iter()
        .filter(|result| result.accuracy.is_some_and(|accuracy| accuracy < 1.0))
        .map(|result| format!("{} (seed {})", fraction(result), result.seed))
        .collect();
    let imperfect = join_names(&imperfect);
    let finished = total - diverged.len();
    let perfect = record.stats.perfect;
    let verb = if perfect == 1 {
        "classifies"
    } else {
        "classify"
    };

    if diverged.is_empty() {
        return match perfect {
            0 => format!("{range}, no seed classifies every training point; they get {imperfect}."),
            p if p == total => format!("{range}, every seed classifies every training point."),
            p => format!(
                "{range}, {p} of {total} {verb} every training point; the rest get {imperfect}."
            ),
        };
    }
    let diverged_part = match diverged.as_slice() {
        [only] => format!("1 seed diverged (seed {only})"),
        list => format!("{} seeds diverged (seeds {})", list.len(), join_names(list)),
    };
    let finished_part = match (finished, perfect) {
        (0, _) => return format!("{range}, every seed diverged."),
        (1, 1) => "The other seed classifies every training point.".to_string(),
        (1, _) => format!("The other seed gets {imperfect}."),
        (_, 0) => format!(
            "Of the other {finished}, none classifies every training point; they get \
             {imperfect}."
        ),
        (_, p) if p == finished => {
            format!("Of the other {finished}, all classify every training point.")
        }
        (_, p) => format!(
            "Of the other {finished}, {p} {verb} every training point; the rest get \
             {imperfect}."
        ),
    };
    format!("{range}, {diverged_part}. {finished_part}")
}

/// Returns whether a run trains on the XOR set itself (not on a user's file).
fn on_xor(spec: &RunSpec, result: &RunResult) -> bool {
    spec.dataset == DataSpec::Xor && result.dataset == "xor" && result.labels.len() == XOR_POINTS
}

/// Checks the runs without hidden activations on XOR against the linear bound and writes
/// what it found; `None` when no such run is in `records`. A run over the bound is flagged,
/// because it can only come from a bug.
pub fn linear_bound_check(records: &[&RunRecord]) -> Option<String> {
    let checked: Vec<(&RunRecord, &RunResult)> = records
        .iter()
        .filter(|record| record.spec.sweep == "no-activation")
        .flat_map(|record| record.results.iter().map(move |result| (*record, result)))
        .filter(|(record, result)| on_xor(&record.spec, result))
        .collect();
    if checked.is_empty() {
        return None;
    }
    let over: Vec<String> = checked
        .iter()
        .filter(|(_, result)| {
            result
                .correct
                .is_some_and(|correct| correct > XOR_LINEAR_BOUND)
        })
        .map(|(record, result)| {
            format!(
                "`{}` seed {} ({})",
                record.spec.id,
                result.seed,
                fraction(result)
            )
        })
        .collect();
    let finished: Vec<usize> = checked
        .iter()
        .filter_map(|(_, result)| result.correct)
        .collect();
    let bound = format!(
        "Without hidden activations the network is linear in its input, and no linear \
         classifier gets more than {XOR_LINEAR_BOUND} of the {XOR_POINTS} XOR points right \
         ({:.2}%, found by exhaustive search over lines).",
        100.0 * XOR_LINEAR_BOUND as f64 / XOR_POINTS as f64
    );
    if over.is_empty() {
        let measured = match (finished.len(), finished.iter().max()) {
            (1, Some(best)) => format!(
                "The one XOR run that finished gets {best}/{XOR_POINTS}, within that bound."
            ),
            (count, Some(best)) => format!(
                "The best of the {count} XOR runs that finished gets {best}/{XOR_POINTS}, \
                 within that bound."
            ),
            (_, None) => {
                "Every XOR run here diverged, so none can be checked against it.".to_string()
            }
        };
        Some(format!("{bound} {measured}"))
    } else {
        Some(format!(
            "{bound} **Flag:** {} claim(s) more, which is impossible and points to a bug in \
             the model or the accuracy count.",
            join_names(&over)
        ))
    }
}

/// Writes what the conv model reached on XOR; `None` when no conv run on XOR is in
/// `records`.
pub fn conv_xor_findings(records: &[&RunRecord]) -> Option<String> {
    let record = records
        .iter()
        .find(|record| record.spec.sweep == "conv" && on_xor(&record.spec, record.first()))?;
    let result = record.first();
    let mut sentence = match result.accuracy {
        Some(accuracy) => format!(
            "On XOR the conv model ends, after {} epochs at lr {}, at loss {} with {} points \
             correct ({:.2}%).",
            record.spec.epochs,
            format_lr(record.spec.lr),
            format_loss(result.final_loss),
            fraction(result),
            100.0 * accuracy
        ),
        // Only a diverged run has no accuracy.
        None => format!(
            "On XOR the conv model, at lr {}, diverged{}.",
            format_lr(record.spec.lr),
            result
                .divergence
                .as_ref()
                .map(|divergence| format!(" at epoch {}", divergence.epoch))
                .unwrap_or_default()
        ),
    };
    let seeds = record.stats.seeds.len();
    if seeds > 1 {
        match record.stats.accuracy {
            Some(accuracy) => {
                let over = if accuracy.count < seeds {
                    format!(" (over the {} seeds that did not diverge)", accuracy.count)
                } else {
                    String::new()
                };
                sentence.push_str(&format!(
                    " Over {seeds} seeds its accuracy is {:.2}% ± {:.2}%{over}, and {} of the \
                     {seeds} seeds classify every point.",
                    100.0 * accuracy.mean,
                    100.0 * accuracy.std,
                    record.stats.perfect
                ));
            }
            None => sentence.push_str(&format!(" All {seeds} seeds diverged.")),
        }
    }
    let Some(best) = record.results.iter().filter_map(|r| r.correct).max() else {
        return Some(sentence);
    };
    if best <= XOR_LINEAR_BOUND {
        let subject = if seeds > 1 { "No seed does" } else { "That is" };
        sentence.push_str(&format!(
            " {subject} no better than the best linear classifier ({XOR_LINEAR_BOUND}/\
             {XOR_POINTS}), so the conv model has not learned XOR."
        ));
    } else {
        let subject = if seeds > 1 {
            "The best seed gets"
        } else {
            "That is"
        };
        sentence.push_str(&format!(
            " {subject} {best}/{XOR_POINTS}, more than any linear classifier \
             ({XOR_LINEAR_BOUND}/{XOR_POINTS})."
        ));
    }
    Some(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{train, Divergence, RunData, TrainOptions};
    use crate::suite::SeedStats;

    /// Returns a record of `base/xor` whose seeds 1, 2, ... get `outcomes`: `Some(n)` points
    /// correct, or `None` for a diverged seed. The numbers are set on one-epoch results,
    /// because the sentences read only them.
    fn record_with(outcomes: &[Option<usize>]) -> RunRecord {
        let spec = RunSpec::baseline(DataSpec::Xor, 1).with_epochs(1);
        let results: Vec<RunResult> = outcomes
            .iter()
            .enumerate()
            .map(|(offset, &correct)| {
                let seeded = spec.with_seed(1 + offset as u64);
                let mut result = train(
                    &seeded,
                    &RunData::for_spec(&seeded),
                    TrainOptions::default(),
                )
                .expect("the baseline is valid");
                result.correct = correct;
                result.accuracy = correct.map(|correct| correct as f64 / XOR_POINTS as f64);
                if correct.is_none() {
                    result.divergence = Some(Divergence {
                        epoch: 1,
                        op: None,
                        detail: None,
                    });
                }
                result
            })
            .collect();
        RunRecord {
            spec,
            stats: SeedStats::of(&results),
            results,
        }
    }

    /// Returns the seed sentence of a record with `outcomes` (see [`record_with`]).
    fn seed_sentence(outcomes: &[Option<usize>]) -> String {
        let record = record_with(outcomes);
        seed_findings("xor", &[&record]).expect("more than one seed")
    }

    #[test]
    fn seed_sentence_none_perfect() {
        assert_eq!(
            seed_sentence(&[Some(19), Some(20)]),
            "Over seeds 1 to 2, no seed classifies every training point; they get 19/21 \
             (seed 1) and 20/21 (seed 2)."
        );
    }

    #[test]
    fn seed_sentence_all_perfect() {
        assert_eq!(
            seed_sentence(&[Some(21), Some(21), Some(21)]),
            "Over seeds 1 to 3, every seed classifies every training point."
        );
    }

    #[test]
    fn seed_sentence_some_perfect() {
        assert_eq!(
            seed_sentence(&[Some(21), Some(20), Some(21)]),
            "Over seeds 1 to 3, 2 of 3 classify every training point; the rest get 20/21 \
             (seed 2)."
        );
    }

    #[test]
    fn seed_sentence_one_perfect() {
        assert_eq!(
            seed_sentence(&[Some(20), Some(21)]),
            "Over seeds 1 to 2, 1 of 2 classifies every training point; the rest get 20/21 \
             (seed 1)."
        );
    }

    #[test]
    fn seed_sentence_with_diverged() {
        assert_eq!(
            seed_sentence(&[Some(21), None, Some(18)]),
            "Over seeds 1 to 3, 1 seed diverged (seed 2). Of the other 2, 1 classifies every \
             training point; the rest get 18/21 (seed 3)."
        );
        assert_eq!(
            seed_sentence(&[None, Some(21), None]),
            "Over seeds 1 to 3, 2 seeds diverged (seeds 1 and 3). The other seed classifies \
             every training point."
        );
        assert_eq!(
            seed_sentence(&[None, Some(17), Some(16)]),
            "Over seeds 1 to 3, 1 seed diverged (seed 1). Of the other 2, none classifies \
             every training point; they get 17/21 (seed 2) and 16/21 (seed 3)."
        );
        assert_eq!(
            seed_sentence(&[None, None]),
            "Over seeds 1 to 2, every seed diverged."
        );
    }

    #[test]
    fn fraction_of_diverged_run() {
        let record = record_with(&[None]);
        assert_eq!(fraction(record.first()), "no accuracy (diverged)");
        let record = record_with(&[Some(20)]);
        assert_eq!(fraction(record.first()), "20/21");
    }

    #[test]
    fn join_names_forms() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join_names(&names(&[])), "");
        assert_eq!(join_names(&names(&["a"])), "a");
        assert_eq!(join_names(&names(&["a", "b"])), "a and b");
        assert_eq!(join_names(&names(&["a", "b", "c"])), "a, b and c");
    }
}
