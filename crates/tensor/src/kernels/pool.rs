//! Worker threads that take parts of a large matrix product (the `threads`
//! feature).
//!
//! The workers start at the first product large enough to be split and
//! live until the process ends. After a part they spin for a while before
//! they sleep, because the products of a training step come one after
//! another, tens of microseconds apart, and waking a sleeping thread costs
//! about as long.

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
/// The count is then rounded down to 1, 2 or 4 (0 counts as 1). A value
/// that is not a count prints a warning and gives 1.
pub(crate) fn thread_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let requested = match std::env::var("MATMUL_NUM_THREADS") {
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

/// State shared between the calling thread and the workers.
struct Shared {
    /// The current job, valid while `pending` is above 0. The lifetime is
    /// erased: [`run_parts`] waits for every worker before it returns.
    job: Mutex<Option<&'static Job<'static>>>,
    /// How many parts the current job has.
    parts: AtomicUsize,
    /// The workers and the calling thread: thread `t` runs parts `t`,
    /// `t + threads`, `t + 2 threads` and so on.
    threads: usize,
    /// Bumped once per job. A worker runs a job when it reads a new value.
    generation: AtomicU64,
    /// Workers that have not yet finished the current job.
    pending: AtomicUsize,
    /// Set when a worker's part panicked.
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
            job: Mutex::new(None),
            parts: AtomicUsize::new(0),
            threads: workers + 1,
            generation: AtomicU64::new(0),
            pending: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            sleepers: AtomicUsize::new(0),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
        }));
        for index in 1..=workers {
            let started = std::thread::Builder::new()
                .name(format!("tensor-gemm-{index}"))
                .spawn(move || work(shared, index));
            if started.is_err() {
                // Without all its workers the pool is not used: parts would wait for
                // a thread that does not exist.
                return None;
            }
        }
        Some(Pool {
            shared,
            workers,
            busy: Mutex::new(()),
        })
    })
    .as_ref()
}

/// Returns the thread count of the pool, the calling thread included: 1
/// when it has no workers.
pub(crate) fn available_threads() -> usize {
    pool().map_or(1, |pool| pool.workers + 1)
}

/// Runs `job(part)` for every `part` in `0..parts`, the calling thread
/// taking parts 0, `threads`, `2 threads`, ... and worker `w` parts `w`,
/// `w + threads`, ..., and returns when all are done.
/// Runs every part on the calling thread when there are no workers or
/// another thread's job is using them.
///
/// # Panics
///
/// When a part panics, after every part has finished.
pub(crate) fn run_parts(parts: usize, job: &Job<'_>) {
    let pool = match pool() {
        Some(pool) if parts > 1 => pool,
        _ => return (0..parts).for_each(job),
    };
    // A part that panicked poisons the lock but leaves nothing half-done.
    let _busy = match pool.busy.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => return (0..parts).for_each(job),
    };
    let shared = pool.shared;
    // SAFETY: the erased lifetime never outlives this call, because
    // `Finish` below waits for every worker before `job`'s borrow ends,
    // even when a part on the calling thread panics.
    let job_static = unsafe { std::mem::transmute::<&Job<'_>, &'static Job<'static>>(job) };
    *shared.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(job_static);
    shared.parts.store(parts, Ordering::Relaxed);
    shared.pending.store(pool.workers, Ordering::Relaxed);
    shared.generation.fetch_add(1, Ordering::SeqCst);
    if shared.sleepers.load(Ordering::SeqCst) > 0 {
        let _lock = shared.sleep.lock().unwrap_or_else(|e| e.into_inner());
        shared.wake.notify_all();
    }

    /// Waits for the workers when dropped, so that a panic in the calling
    /// thread's parts cannot end the borrow of `job` while a worker still runs it.
    struct Finish(&'static Shared);
    impl Drop for Finish {
        fn drop(&mut self) {
            let start = Instant::now();
            while self.0.pending.load(Ordering::Acquire) != 0 {
                // A worker descheduled by a busy machine may take a time
                // slice to return, so stop burning the core after a while.
                if start.elapsed() < SPIN {
                    std::hint::spin_loop();
                } else {
                    std::thread::yield_now();
                }
            }
            *self.0.job.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
    let finish = Finish(shared);
    (0..parts).step_by(shared.threads).for_each(job);
    drop(finish);
    if shared.panicked.swap(false, Ordering::Relaxed) {
        panic!("a part of a matrix product panicked on a worker thread");
    }
}

/// Runs worker `index`: waits for a new job, runs its parts and reports
/// that they are done, forever.
fn work(shared: &'static Shared, index: usize) {
    let mut seen = 0;
    loop {
        seen = wait_for_job(shared, seen);
        let job = *shared.job.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = job {
            let parts = shared.parts.load(Ordering::Relaxed);
            let threads = shared.threads;
            let run = || (index..parts).step_by(threads).for_each(job);
            if catch_unwind(AssertUnwindSafe(run)).is_err() {
                shared.panicked.store(true, Ordering::Relaxed);
            }
        }
        shared.pending.fetch_sub(1, Ordering::Release);
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

    #[test]
    fn worker_panic_reaches_caller() {
        let last = available_threads() - 1;
        if last == 0 {
            eprintln!("skipped: the pool has no worker threads");
            return;
        }
        let outcome = catch_unwind(|| {
            run_parts(last + 1, &|part| {
                if part == last {
                    panic!("part {part} fails on purpose");
                }
            })
        });
        assert!(outcome.is_err(), "the worker's panic was lost");
        // The workers still take parts after a panic. Other tests may
        // hold the pool for a moment, and then the parts run serially, so
        // try a few times.
        let caller = std::thread::current().id();
        let workers_took_parts = (0..1000).any(|_| {
            let on_workers = AtomicUsize::new(0);
            run_parts(last + 1, &|_| {
                if std::thread::current().id() != caller {
                    on_workers.fetch_add(1, Ordering::Relaxed);
                }
            });
            on_workers.into_inner() == last
        });
        assert!(workers_took_parts, "no worker took a part after the panic");
    }

    #[test]
    fn thread_count_is_one_two_or_four() {
        assert!([1, 2, 4].contains(&thread_count()), "{}", thread_count());
    }
}
