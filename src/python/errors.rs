//! The one conversion from core errors to Python exceptions.
//!
//! The exception classes are defined in `newstally/exceptions.py`, where they can subclass both
//! `NewstallyError` and the builtin a caller would catch (`ValueError`, `TypeError`); pyo3's
//! `create_exception!` allows a single base only.

use pyo3::exceptions::{
    PyFileNotFoundError, PyKeyboardInterrupt, PyOSError, PyPermissionError, PyValueError,
};
use pyo3::prelude::*;

use crate::error::Error;

/// Raises `newstally.exceptions.<name>(message)`, falling back to `ValueError` if the module is missing.
pub fn raise(py: Python<'_>, name: &str, message: String) -> PyErr {
    let class = py
        .import("newstally.exceptions")
        .and_then(|m| m.getattr(name));
    match class {
        Ok(class) => match class.call1((message.clone(),)) {
            Ok(exc) => PyErr::from_value(exc),
            Err(e) => e,
        },
        Err(_) => PyValueError::new_err(message),
    }
}

/// Converts a core error.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let message = e.to_string();
    match e {
        Error::InvalidConfig { .. } | Error::InvalidPattern { .. } => {
            raise(py, "ConfigError", message)
        }
        Error::Decode { .. } => raise(py, "DecodeError", message),
        Error::Incompatible(_) => raise(py, "IncompatibleError", message),
        Error::EmptyVocabulary(_) => raise(py, "EmptyVocabularyError", message),
        Error::TooLarge(_) => raise(py, "CapacityError", message),
        Error::Parse { .. } => raise(py, "ParseError", message),
        Error::Interrupted => PyKeyboardInterrupt::new_err("interrupted"),
        Error::Io { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
            std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
            _ => PyOSError::new_err(message),
        },
    }
}

/// `Result` conversion for the bindings.
pub trait ToPyResult<T> {
    /// Converts the error, if any.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> ToPyResult<T> for crate::error::Result<T> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
