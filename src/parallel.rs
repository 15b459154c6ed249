//! Thread pools and chunking.
//!
//! Every run builds its own rayon pool instead of using the global one. A pool costs tens of microseconds
//! to start, and owning it means a process forked after a run (multiprocessing's default on Linux) starts
//! fresh threads instead of waiting forever on a global pool whose threads did not survive the fork.
//!
//! Work is cut into several jobs per thread, and a parallel iterator over such a list of jobs takes
//! `with_max_len(1)`. Without it rayon splits a list only a few times, and further only where a thread
//! steals: a thread that takes back the unsplit half of its own list runs all of it, while the other
//! waits. Traces of a two-thread vectorizer fit showed one thread idle for 20 to 30 ms at the end of
//! several steps.
//!
//! The longest steps (counting a batch, transforming one, counting its entities) hand their chunks
//! out in order instead, each to the first thread free, and cut the last ones shorter
//! ([`shrinking_ranges`], [`run_in_order`]).

use rayon::ThreadPool;

use crate::error::{Error, Result};

/// Jobs per thread in a parallel step, so that a thread that finishes early can take another.
pub const JOBS_PER_THREAD: usize = 4;

/// Environment variable that sets the default thread count.
pub const THREADS_ENV: &str = "NEWSTALLY_NUM_THREADS";

/// The thread count to use: the explicit one, else `NEWSTALLY_NUM_THREADS`, else all cores.
///
/// # Errors
/// Zero threads, or an environment value that is not a positive integer.
pub fn resolve_threads(explicit: Option<usize>) -> Result<usize> {
    if let Some(n) = explicit {
        if n == 0 {
            return Err(Error::config("n_threads", "must be at least 1, got 0"));
        }
        return Ok(n);
    }
    match std::env::var(THREADS_ENV) {
        Ok(v) if !v.trim().is_empty() => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(Error::config(
                "n_threads",
                format!("{THREADS_ENV}={v:?} is not a positive integer"),
            )),
        },
        _ => Ok(std::thread::available_parallelism().map_or(1, std::num::NonZero::get)),
    }
}

/// A pool with `threads` workers.
///
/// # Errors
/// The operating system refused to start the threads.
pub fn pool(threads: usize) -> Result<ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("newstally-{i}"))
        .build()
        .map_err(|e| Error::config("n_threads", format!("cannot start {threads} threads: {e}")))
}

/// Splits `0..lens.len()` into `parts` contiguous, non-empty ranges of roughly equal total weight (fewer
/// only when there are fewer items). Each cut is the boundary nearest its share of the total, so no
/// range outweighs its share by more than about one item.
///
/// Documents vary from a headline to a 50 MB dump, so chunks balance bytes rather than document counts.
/// A greedy cut that closes a range once it reaches its share can leave a part short: eight streams of
/// nearly equal size made three parts where four were asked for, and one thread did two of them.
pub fn balanced_ranges(lens: &[usize], parts: usize) -> Vec<std::ops::Range<usize>> {
    let n = lens.len();
    if n == 0 {
        return Vec::new();
    }
    let parts = parts.clamp(1, n);
    let total: u128 = lens.iter().map(|&l| weight(l)).sum();
    let mut out = Vec::with_capacity(parts);
    let (mut start, mut before) = (0, 0u128);
    for k in 1..parts {
        let goal = total * k as u128 / parts as u128;
        // Every range leaves an item for each range after it.
        let (end, taken) = take(lens, start, n - (parts - k), goal.saturating_sub(before));
        out.push(start..end);
        (start, before) = (end, before + taken);
    }
    out.push(start..n);
    out
}

/// Each item weighs one more than its length, so empty documents still spread out.
fn weight(len: usize) -> u128 {
    len as u128 + 1
}

/// The end of a range of `lens` from `start` (not past `max_end`) that holds at least one item and
/// then each next one whose midpoint lies before `goal` weight; and the range's weight.
fn take(lens: &[usize], start: usize, max_end: usize, goal: u128) -> (usize, u128) {
    let (mut end, mut taken) = (start, 0u128);
    while end < max_end {
        let w = weight(lens[end]);
        if end > start && 2 * taken + w > 2 * goal {
            break;
        }
        taken += w;
        end += 1;
    }
    (end, taken)
}

/// Splits `0..lens.len()` into contiguous, non-empty ranges for workers that take them in order, each
/// as it finishes the last ([`run_in_order`]). A range weighs what remains split in twice as many
/// ranges as threads, but at most a `threads * JOBS_PER_THREAD`-th of the total (as
/// [`balanced_ranges`] would cut it: the first ranges, while half or more remains) and at least a
/// sixteenth of that. When one worker takes the last range, the others are then at most a short
/// range from done.
///
/// Equal ranges leave that to chance: counting the shared corpora in one batch on two threads, one
/// thread counted alone for 12 to 15 ms (the length of a range) at the end of the step.
pub fn shrinking_ranges(lens: &[usize], threads: usize) -> Vec<std::ops::Range<usize>> {
    let n = lens.len();
    let threads = threads.max(1) as u128;
    let total: u128 = lens.iter().map(|&l| weight(l)).sum();
    let most = total.div_ceil(threads * JOBS_PER_THREAD as u128);
    let least = most.div_ceil(16);
    let mut out = Vec::new();
    let (mut start, mut left) = (0, total);
    while start < n {
        let goal = (left / (2 * threads)).clamp(least, most);
        let (end, taken) = take(lens, start, n, goal);
        out.push(start..end);
        (start, left) = (end, left - taken);
    }
    out
}

/// Runs `job` on the chunks of items with lengths `lens` that [`shrinking_ranges`] cuts for the
/// threads of `pool`, handed out in order ([`run_in_order`]); the results in chunk order.
///
/// # Errors
/// A job failed (the first in order that did).
pub fn run_chunks<R: Send>(
    pool: &ThreadPool,
    lens: &[usize],
    job: impl Fn(std::ops::Range<usize>) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let ranges = shrinking_ranges(lens, pool.current_num_threads());
    run_in_order(pool, ranges.len(), |i| job(ranges[i].clone()))
}

/// Cuts the first `n` items off `rest` and returns them: how a buffer is dealt out to jobs in
/// disjoint stretches, each written by one job alone.
///
/// # Panics
/// `rest` holds fewer than `n` items.
#[allow(
    clippy::mut_mut,
    reason = "the remainder is advanced in place, as `<[T]>::split_off_mut` does (Rust 1.87)"
)]
pub fn take_front<'a, T>(rest: &mut &'a mut [T], n: usize) -> &'a mut [T] {
    let (front, tail) = std::mem::take(rest).split_at_mut(n);
    *rest = tail;
    front
}

/// Runs `job(i)` for each `i` in `0..n` on the threads of `pool`, each thread taking the next `i` when
/// it finishes its last, and returns the results in order of `i`. Once a job fails no more start, and
/// the error of the first job (in order of `i`) that failed is returned.
///
/// # Errors
/// A job failed.
pub fn run_in_order<R: Send>(
    pool: &ThreadPool,
    n: usize,
    job: impl Fn(usize) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    run_in_order_with(pool, n, || (), |(), i| job(i))
}

/// [`run_in_order`] with state of each thread's own, made by `state()` before its first job and passed
/// to each of its jobs: scratch space that a job would otherwise allocate, and fault in, afresh.
///
/// # Errors
/// A job failed.
pub fn run_in_order_with<R: Send, S>(
    pool: &ThreadPool,
    n: usize,
    state: impl Fn() -> S + Sync,
    job: impl Fn(&mut S, usize) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let per_thread: Vec<Vec<(usize, Result<R>)>> = pool.broadcast(|_| {
        let mut done = Vec::new();
        let mut own = None;
        while !failed.load(Relaxed) {
            let i = next.fetch_add(1, Relaxed);
            if i >= n {
                break;
            }
            let r = job(own.get_or_insert_with(&state), i);
            if r.is_err() {
                failed.store(true, Relaxed);
            }
            done.push((i, r));
        }
        done
    });
    let mut all: Vec<(usize, Result<R>)> = per_thread.into_iter().flatten().collect();
    all.sort_unstable_by_key(|&(i, _)| i);
    // Jobs start in order of `i`, so every job before a failed one ran.
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_everything_in_order() {
        for lens in [
            vec![],
            vec![5],
            vec![1; 10],
            vec![100, 1, 1, 1, 100, 3],
            vec![0; 7],
        ] {
            for parts in 1..6 {
                let r = balanced_ranges(&lens, parts);
                let flat: Vec<usize> = r.iter().flat_map(Clone::clone).collect();
                assert_eq!(flat, (0..lens.len()).collect::<Vec<_>>());
                assert_eq!(r.len(), parts.min(lens.len()));
                assert!(r.iter().all(|x| !x.is_empty()));
            }
        }
    }

    #[test]
    fn no_range_outweighs_its_share_by_more_than_an_item() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for _ in 0..500 {
            let n = 1 + next(40) as usize;
            let spread = [1, 10, 1000][next(3) as usize];
            let lens: Vec<usize> = (0..n).map(|_| next(spread) as usize).collect();
            let parts = 1 + next(12) as usize;
            let r = balanced_ranges(&lens, parts);
            assert_eq!(r.len(), parts.min(n));
            let weight =
                |r: &std::ops::Range<usize>| lens[r.clone()].iter().map(|l| l + 1).sum::<usize>();
            let total: usize = lens.iter().map(|l| l + 1).sum();
            let heaviest = lens.iter().max().unwrap() + 1;
            for range in &r {
                assert!(
                    weight(range) <= total.div_ceil(r.len()) + heaviest,
                    "{lens:?} into {parts}: {r:?}"
                );
            }
        }
        // Eight nearly equal items make four pairs.
        let lens = [4556, 4560, 4560, 4555, 4559, 4554, 4549, 4554];
        assert_eq!(balanced_ranges(&lens, 4), vec![0..2, 2..4, 4..6, 6..8]);
    }

    #[test]
    fn shrinking_ranges_cover_everything_and_shrink() {
        for lens in [vec![], vec![5], vec![0; 7], vec![1000, 1, 1, 1, 1000, 3]] {
            for threads in 1..4 {
                let r = shrinking_ranges(&lens, threads);
                let flat: Vec<usize> = r.iter().flat_map(Clone::clone).collect();
                assert_eq!(flat, (0..lens.len()).collect::<Vec<_>>());
                assert!(r.iter().all(|x| !x.is_empty()));
            }
        }
        let lens = vec![100; 10_000];
        let r = shrinking_ranges(&lens, 2);
        let sizes: Vec<usize> = r.iter().map(ExactSizeIterator::len).collect();
        // Eighths while half or more remains, then shrinking to a sixteenth of an eighth.
        assert!(
            sizes[..4].iter().all(|&s| s.abs_diff(1250) <= 1),
            "{sizes:?}"
        );
        assert!(sizes.windows(2).all(|w| w[1] <= w[0] + 1), "{sizes:?}");
        assert!(
            sizes.last().is_some_and(|&s| s <= 1250 / 16 + 1),
            "{sizes:?}"
        );
        assert!(sizes.len() < 3 * 4 * 2, "{sizes:?}");
    }

    #[test]
    fn jobs_run_once_each_and_results_come_in_order() {
        let pool = pool(3).unwrap();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let out = run_in_order(&pool, 100, |i| {
            runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(i * 2)
        })
        .unwrap();
        assert_eq!(out, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(runs.into_inner(), 100);
        assert!(run_in_order(&pool, 0, Ok).unwrap().is_empty());
        // The first failure in order of the jobs is the one returned.
        for _ in 0..20 {
            let r = run_in_order(&pool, 50, |i| {
                if i == 7 || i == 30 {
                    Err(Error::TooLarge(format!("job {i}")))
                } else {
                    Ok(i)
                }
            });
            assert!(matches!(r, Err(Error::TooLarge(m)) if m == "job 7"));
        }
    }

    #[test]
    fn each_thread_makes_its_state_once_and_keeps_it() {
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
        let pool = pool(3).unwrap();
        let made = AtomicUsize::new(0);
        let out = run_in_order_with(
            &pool,
            200,
            || {
                made.fetch_add(1, Relaxed);
                Vec::new()
            },
            |seen: &mut Vec<usize>, i| {
                seen.push(i);
                // A thread's jobs come in order of `i`.
                assert!(seen.windows(2).all(|w| w[0] < w[1]));
                Ok(seen.len())
            },
        )
        .unwrap();
        let made = made.into_inner();
        assert!((1..=3).contains(&made));
        // Each state was new to exactly one job: the first of its thread.
        assert_eq!(out.len(), 200);
        assert_eq!(out.iter().filter(|&&n| n == 1).count(), made);
    }

    #[test]
    fn explicit_zero_threads_is_an_error() {
        assert!(resolve_threads(Some(0)).is_err());
        assert_eq!(resolve_threads(Some(3)).unwrap(), 3);
    }
}

/// A flag that asks a running job to stop; checked between documents.
#[derive(Debug, Default)]
pub struct Cancel(std::sync::atomic::AtomicBool);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Asks the job to stop.
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a stop was asked for.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `Err(Interrupted)` once a stop was asked for.
    ///
    /// # Errors
    /// The job was cancelled.
    #[inline]
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }
}
