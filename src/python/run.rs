//! Running core work with the GIL released, interruptible by Ctrl-C.

use std::sync::mpsc;
use std::time::Duration;

use pyo3::prelude::*;

use super::errors::ToPyResult;
use crate::error::Result;
use crate::parallel::Cancel;

/// How often a detached job looks for a pending Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// Runs `f` on a worker thread with the GIL released. Meanwhile the calling thread wakes every 50 ms
/// to run Python's signal handlers; on `KeyboardInterrupt` it cancels the job, waits for it to stop
/// (jobs check between documents), and raises. Python only runs signal handlers on the main thread
/// while it holds the GIL, which a long detached call never gives it, hence the polling.
#[allow(
    clippy::redundant_closure_for_method_calls,
    reason = "Python::check_signals as a path does not satisfy attach's higher-ranked bound"
)]
pub fn detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(&Cancel) -> Result<T> + Send,
{
    let cancel = Cancel::new();
    let mut interrupt: Option<PyErr> = None;
    let result = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<()>();
            let cancel_ref = &cancel;
            let worker = scope.spawn(move || {
                let r = f(cancel_ref);
                let _ = tx.send(());
                r
            });
            loop {
                match rx.recv_timeout(SIGNAL_POLL) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if interrupt.is_none()
                            && let Err(e) = Python::attach(|py| py.check_signals())
                        {
                            interrupt = Some(e);
                            cancel.cancel();
                        }
                    }
                }
            }
            worker.join()
        })
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    match result {
        Ok(r) => r.py(py),
        Err(_) => Err(pyo3::exceptions::PyRuntimeError::new_err(
            "newstally worker thread panicked; please report this as a bug",
        )),
    }
}
