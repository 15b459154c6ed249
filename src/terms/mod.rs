//! Term and n-gram counting, vocabularies and document-term matrices.

mod analyzer;
mod chunk;
mod config;
mod counter;
mod matrix;
mod radix;
mod shards;
mod sorted_grams;
mod vocab;
mod word_index;
mod words;

pub use config::{CountConfig, DocFreq, NgramStopWords, Pruning};
pub use counter::{Counter, Features};
pub use matrix::Csr;
pub use vocab::Vocabulary;
