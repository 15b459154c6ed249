//! newstally: fast, parallel text statistics for news analysis.
//!
//! The core counts terms and word n-grams over a corpus in parallel ([`terms::Counter`]), with
//! results that merge exactly ([`stats::CorpusStats`]), and builds scikit-learn compatible
//! document-term matrices ([`terms`]). The Python package `newstally` wraps it; the bindings live in
//! `src/python/` only.
#![warn(missing_docs)]

// Only the Python extension installs it; the library's Rust users keep their own allocator.
#[cfg(target_os = "linux")]
#[cfg_attr(not(feature = "python"), allow(dead_code))]
mod alloc;
pub mod entities;
pub mod error;
mod hugepages;
mod prefetch;
pub mod tokenize;

pub use error::{Error, Result};
pub mod ngrams;
pub mod parallel;
pub mod sentence;
pub mod stats;
pub mod terms;

#[cfg(feature = "python")]
mod python;
