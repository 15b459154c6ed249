//! Python bindings: the `newstally._core` extension module. The only place pyo3 appears.

mod convert;
mod entities;
mod errors;
mod run;
mod stats;
mod terms;
mod tokenize;

use pyo3::prelude::*;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: crate::alloc::MapLarge = crate::alloc::MapLarge;

/// Gives the memory newstally keeps for reuse back to the operating system; returns how many bytes.
/// Large blocks a call frees are kept for the next call (see `src/alloc.rs`): at most what the
/// last call had in use at its peak.
#[pyfunction]
fn release_memory() -> usize {
    #[cfg(target_os = "linux")]
    return crate::alloc::release_kept();
    #[cfg(not(target_os = "linux"))]
    0
}

/// The compiled core of newstally. Use the `newstally` package, not this module.
#[pymodule]
mod _core {
    #[pymodule_export]
    use super::entities::{PyEntityCounter, PyGazetteer, PyRecognizer, train_recognizer};
    #[pymodule_export]
    use super::release_memory;
    #[pymodule_export]
    use super::stats::{PyCorpusStats, check_pruning};
    #[pymodule_export]
    use super::terms::{PyCounter, PyVocabulary};
    #[pymodule_export]
    use super::tokenize::{english_stop_words, tokenize};

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add(
            "PYTHON_WORD_TABLE_UNICODE_VERSION",
            crate::tokenize::PYTHON_WORD_TABLE_UNICODE_VERSION,
        )?;
        Ok(())
    }
}
