//! Worker threads that take parts of a large matrix product (the `threads`
//! feature).
//!
//! The workers start at the first product large enough to be split and
//! live until the process ends. After a part they spin for a while before
//! they sleep, because the products of a training step come one after
//! another, tens of microseconds apart, and waking a sleeping thread costs
//! about as long.
//!
//! Parts are not assigned in advance: every thread, the caller included,
//! takes the next unclaimed part until none is left. When a busy machine
//! keeps a worker off its CPU, the caller runs that worker's share itself
//! instead of waiting for it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock, TryLockError};
use std::time::{Duration, Instant};

/// How long a worker spins for the next part before it sleeps.
const SPIN: Duration = Duration::from_micros(200);

/// Returns the number of threads that split products, the calling thread
/// included: `MATMUL_NUM_THREADS`, or one per logical CPU when it is
/// unset, but no more than the CPUs this process may run on, because a
/// spinning worker without a CPU of its own would slow the others down.
/// The count is then rounded down to 1, 2 or 4 (0 counts as 1). An empty
/// value counts as unset, and a value that is not a count prints a warning
/// and gives 1.
pub(crate) fn thread_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let requested = match std::env::var("MATMUL_NUM_THREADS") {
            // Empty counts as unset, as in matrixmultiply.
            Ok(text) if text.is_empty() => cpus,
            Ok(text) => text.trim().parse::<usize>().unwrap_or_else(|_| {
                eprintln!(
                    "warning: MATMUL_NUM_THREADS={text:?} is not a thread count; \
                     using 1 thread (set 1, 2 or 4)"
                );
                1
            }),
            Err(_) => cpus,
        };
        match requested.min(cpus) {
            0 | 1 => 1,
            2 | 3 => 2,
            _ => 4,
        }
    })
}

/// A part of a job: `run(part)` for one `part` in `0..parts`.
type Job<'a> = dyn Fn(usize) + Sync + 'a;

/// The job being run, as a worker reads it.
#[derive(Clone, Copy)]
struct Current {
    /// The low 32 bits of the job's generation, as in `Shared::claims`.
    tag: u64,
    /// The job, with its lifetime erased. It may be called only for a part
    /// claimed through `Shared::claims`: [`run_parts`] returns only after
    /// every claimed part has finished, and closes the claims first.
    job: &'static Job<'static>,
    parts: usize,
}

/// State shared between the calling thread and the workers.
struct Shared {
    /// The current job, `None` between jobs.
    current: Mutex<Option<Current>>,
    /// The job's tag in the high 32 bits and the next unclaimed part in
    /// the low 32. Threads claim parts by bumping the low half while the
    /// tag still matches, so a worker that wakes late cannot claim a part
    /// of a later job, and the first free thread takes each part.
    claims: AtomicU64,
    /// Parts of the current job that have finished or were skipped.
    done: AtomicUsize,
    /// Bumped once per job. A worker looks for work when it reads a new
    /// value.
    generation: AtomicU64,
    /// Set when a part panicked on a worker.
    panicked: AtomicBool,
    /// Workers asleep or about to sleep on `wake`.
    sleepers: AtomicUsize,
    sleep: Mutex<()>,
    wake: Condvar,
}

/// The workers and the lock that lets one job run at a time.
struct Pool {
    shared: &'static Shared,
    workers: usize,
    busy: Mutex<()>,
    /// The process that started the workers. A child made by `fork` has
    /// none of them, so it runs every part itself.
    process: u32,
}

/// Returns the pool, starting its workers on first use; `None` with one
/// thread.
fn pool() -> Option<&'static Pool> {
    static POOL: OnceLock<Option<Pool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let workers = thread_count() - 1;
        if workers == 0 {
            return None;
        }
        let shared: &'static Shared = Box::leak(Box::new(Shared {
            current: Mutex::new(None),
            claims: AtomicU64::new(0),
            done: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
            panicked: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
        }));
        // A worker that fails to start only means one helper fewer: every
        // part is claimed by whichever thread is free, the caller included.
        let workers = (1..=workers)
            .take_while(|index| {
                std::thread::Builder::new()
                    .name(format!("tensor-gemm-{index}"))
                    .spawn(move || work(shared))
                    .is_ok()
            })
            .count();
        if workers == 0 {
            return None;
        }
        Some(Pool {
            shared,
            workers,
            busy: Mutex::new(()),
            process: std::process::id(),
        })
    })
    .as_ref()
}

/// Returns the thread count of the pool, the calling thread included: 1
/// when it has no workers.
pub(crate) fn available_threads() -> usize {
    pool().map_or(1, |pool| pool.workers + 1)
}

/// Claims the next part of the job tagged `tag`; `None` once all are
/// claimed or the job is over.
fn claim(shared: &Shared, tag: u64, parts: usize) -> Option<usize> {
    let mut claims = shared.claims.load(Ordering::Acquire);
    loop {
        let next = (claims & 0xffff_ffff) as usize;
        if claims >> 32 != tag || next >= parts {
            return None;
        }
        match shared.claims.compare_exchange_weak(
            claims,
            claims + 1,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return Some(next),
            Err(actual) => claims = actual,
        }
    }
}

/// Runs `job(part)` for every `part` in `0..parts` and returns when all
/// are done. The calling thread and the workers each take the next
/// unclaimed part until none is left, so a worker that a busy machine
/// keeps waiting leaves its share to the others. Runs every part on the
/// calling thread when there are no workers, another thread's job is
/// using them, or this process is a `fork` of the one that started them.
///
/// # Panics
///
/// When `parts` does not fit in 32 bits, and when a part panics, after
/// every claimed part has finished.
pub(crate) fn run_parts(parts: usize, job: &Job<'_>) {
    let pool = match pool() {
        Some(pool) if parts > 1 && pool.process == std::process::id() => pool,
        _ => return (0..parts).for_each(job),
    };
    assert!(
        parts <= u32::MAX as usize,
        "run_parts: {parts} parts is too many"
    );
    // A part that panicked poisons the lock but leaves nothing half-done.
    let _busy = match pool.busy.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return (0..parts).for_each(job),
    };
    let shared = pool.shared;
    let generation = shared.generation.load(Ordering::Relaxed) + 1;
    let tag = generation & 0xffff_ffff;
    // SAFETY: the job is called only for claimed parts, and `Finish`
    // below closes the claims and waits for every claimed part before
    // `job`'s borrow ends, even when a part on this thread panics.
    let job_static = unsafe { std::mem::transmute::<&Job<'_>, &'static Job<'static>>(job) };
    shared.panicked.store(false, Ordering::Relaxed);
    shared.done.store(0, Ordering::Relaxed);
    *shared.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(Current {
        tag,
        job: job_static,
        parts,
    });
    shared.claims.store(tag << 32, Ordering::Release);
    shared.generation.store(generation, Ordering::SeqCst);
    if shared.sleepers.load(Ordering::SeqCst) > 0 {
        let _lock = shared.sleep.lock().unwrap_or_else(|e| e.into_inner());
        shared.wake.notify_all();
    }

    /// Closes the claims and waits for the claimed parts when dropped, so
    /// that a panic on the calling thread cannot end the borrow of `job`
    /// while a worker still runs it.
    struct Finish {
        shared: &'static Shared,
        tag: u64,
        parts: usize,
        /// Whether a part of the calling thread is running, so that a
        /// panic in it counts it as finished.
        running: bool,
    }
    impl Drop for Finish {
        fn drop(&mut self) {
            let shared = self.shared;
            if self.running {
                shared.done.fetch_add(1, Ordering::Release);
            }
            let mut skipped = 0;
            while claim(shared, self.tag, self.parts).is_some() {
                skipped += 1;
            }
            shared.done.fetch_add(skipped, Ordering::Release);
            let start = Instant::now();
            while shared.done.load(Ordering::Acquire) < self.parts {
                // A worker descheduled by a busy machine may take a time
                // slice to finish its part, so stop burning the core.
                if start.elapsed() < SPIN {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            *shared.current.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
    let mut finish = Finish {
        shared,
        tag,
        parts,
        running: false,
    };
    while let Some(part) = claim(shared, tag, parts) {
        finish.running = true;
        job(part);
        finish.running = false;
        shared.done.fetch_add(1, Ordering::Release);
    }
    drop(finish);
    if shared.panicked.load(Ordering::Relaxed) {
        panic!("a part of a matrix product panicked on a worker thread");
    }
}

/// Runs a worker: waits for a new job, runs the parts it claims and
/// counts them as done, forever.
fn work(shared: &'static Shared) {
    let mut seen = 0;
    loop {
        seen = wait_for_job(shared, seen);
        let current = *shared.current.lock().unwrap_or_else(|e| e.into_inner());
        let Some(Current { tag, job, parts }) = current else {
            continue;
        };
        while let Some(part) = claim(shared, tag, parts) {
            if catch_unwind(AssertUnwindSafe(|| job(part))).is_err() {
                shared.panicked.store(true, Ordering::Relaxed);
            }
            shared.done.fetch_add(1, Ordering::Release);
        }
    }
}

/// Spins, then sleeps, until the generation differs from `seen`; returns
/// the new generation.
fn wait_for_job(shared: &Shared, seen: u64) -> u64 {
    let start = Instant::now();
    loop {
        let generation = shared.generation.load(Ordering::Acquire);
        if generation != seen {
            return generation;
        }
        if start.elapsed() < SPIN {
            std::hint::spin_loop();
            continue;
        }
        let mut lock = shared.sleep.lock().unwrap_or_else(|e| e.into_inner());
        // Counted before the check, so that either the caller reads a
        // sleeper and wakes it, or this check reads the new generation.
        shared.sleepers.fetch_add(1, Ordering::SeqCst);
        while shared.generation.load(Ordering::SeqCst) == seen {
            lock = shared.wake.wait(lock).unwrap_or_else(|e| e.into_inner());
        }
        shared.sleepers.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a job of `parts` parts and returns how often each part ran.
    fn part_counts(parts: usize) -> Vec<usize> {
        let counts: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
        run_parts(parts, &|part| {
            counts[part].fetch_add(1, Ordering::Relaxed);
        });
        counts.into_iter().map(AtomicUsize::into_inner).collect()
    }

    #[test]
    fn every_part_runs_once() {
        for parts in [1, 2, 3, 4, 7] {
            for _ in 0..200 {
                assert_eq!(part_counts(parts), vec![1; parts], "{parts} parts");
            }
        }
    }

    #[test]
    fn concurrent_callers_each_get_their_parts() {
        std::thread::scope(|scope| {
            let callers: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| (0..300).all(|_| part_counts(4) == vec![1; 4])))
                .collect();
            for caller in callers {
                assert!(
                    caller.join().expect("a caller panicked"),
                    "a part ran twice or never"
                );
            }
        });
    }

    /// Runs `parts` parts that each take `micros` and returns how many ran
    /// on a worker, or `Err` with the panic if `panic_on_worker` made one
    /// panic there.
    fn run_timed_parts(
        parts: usize,
        micros: u64,
        panic_on_worker: bool,
    ) -> Result<usize, Box<dyn std::any::Any + Send>> {
        let caller = std::thread::current().id();
        let on_workers = AtomicUsize::new(0);
        catch_unwind(|| {
            run_parts(parts, &|part| {
                std::thread::sleep(Duration::from_micros(micros));
                if std::thread::current().id() != caller {
                    on_workers.fetch_add(1, Ordering::Relaxed);
                    if panic_on_worker {
                        panic!("part {part} fails on purpose");
                    }
                }
            })
        })
        .map(|()| on_workers.into_inner())
    }

    #[test]
    fn worker_panic_reaches_caller() {
        if available_threads() == 1 {
            eprintln!("skipped: the pool has no worker threads");
            return;
        }
        // Other tests may hold the pool for a moment, and then the parts
        // run serially on this thread, so try a few times.
        let worker_panicked = (0..200).any(|_| run_timed_parts(8, 200, true).is_err());
        assert!(worker_panicked, "no worker's panic reached the caller");
        let workers_took_parts =
            (0..200).any(|_| run_timed_parts(8, 200, false).is_ok_and(|count| count > 0));
        assert!(workers_took_parts, "no worker took a part after the panic");
    }

    #[test]
    fn double_panic_leaves_no_stale_flag() {
        // Parts panic on the caller and on a worker in the same job; the
        // next job, which panics nowhere, must not report a panic.
        for _ in 0..50 {
            let both = catch_unwind(|| {
                run_parts(8, &|_| {
                    std::thread::sleep(Duration::from_micros(100));
                    panic!("every part fails on purpose");
                })
            });
            assert!(both.is_err(), "the panics were lost");
            let clean = catch_unwind(|| run_parts(8, &|_| {}));
            assert!(clean.is_ok(), "a clean job reported an earlier panic");
        }
    }

    #[test]
    fn thread_count_is_one_two_or_four() {
        assert!([1, 2, 4].contains(&thread_count()), "{}", thread_count());
    }
}
