//! The crate's one error type.

use std::fmt;

/// Everything that can go wrong in newstally's core.
///
/// Messages are lowercase and name the bad value, so the Python bindings can pass them on unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range or inconsistent.
    #[error("invalid {name}: {reason}")]
    InvalidConfig {
        /// The option's name, as the user spells it.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A user-supplied regular expression does not compile.
    #[error("invalid token_pattern {pattern:?}: {reason}")]
    InvalidPattern {
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's message.
        reason: String,
    },
    /// Bytes handed to a decoder are not a valid newstally blob.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// What was being decoded ("corpus stats", "model").
        what: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// Two results built with different settings cannot be merged.
    #[error("cannot merge stats counted with different settings: {0}")]
    Incompatible(String),
    /// Pruning removed every term, or the corpus had none to begin with.
    #[error("{0}")]
    EmptyVocabulary(String),
    /// A count or index went past what the format can hold.
    #[error("too large: {0}")]
    TooLarge(String),
    /// A line of a training or evaluation file is malformed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The file, as named by the caller.
        file: String,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
    /// The run was cancelled (Ctrl-C in the bindings).
    #[error("interrupted")]
    Interrupted,
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn config(name: &'static str, reason: impl fmt::Display) -> Self {
        Error::InvalidConfig {
            name,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn decode(what: &'static str, reason: impl fmt::Display) -> Self {
        Error::Decode {
            what,
            reason: reason.to_string(),
        }
    }
}
