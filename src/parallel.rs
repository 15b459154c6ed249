//! Thread pools and chunking.
//!
//! Every run builds its own rayon pool instead of using the global one. A pool costs tens of microseconds
//! to start, and owning it means a process forked after a run (multiprocessing's default on Linux) starts
//! fresh threads instead of waiting forever on a global pool whose threads did not survive the fork.

use rayon::ThreadPool;

use crate::error::{Error, Result};

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

/// Splits `0..lens.len()` into at most `parts` contiguous ranges of roughly equal total weight.
///
/// Documents vary from a headline to a 50 MB dump, so chunks balance bytes rather than document counts.
pub fn balanced_ranges(lens: &[usize], parts: usize) -> Vec<std::ops::Range<usize>> {
    let n = lens.len();
    if n == 0 {
        return Vec::new();
    }
    let parts = parts.clamp(1, n);
    let total: usize = lens.iter().map(|&l| l + 1).sum();
    let target = total.div_ceil(parts).max(1);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    let mut acc = 0;
    for (i, &l) in lens.iter().enumerate() {
        acc += l + 1;
        if acc >= target {
            out.push(start..i + 1);
            start = i + 1;
            acc = 0;
        }
    }
    if start < n {
        out.push(start..n);
    }
    out
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
                assert!(r.len() <= parts.max(1));
                assert!(r.iter().all(|x| !x.is_empty()));
            }
        }
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
