//! Word n-grams: counting tables keyed by word-id tuples.
//!
//! An n-gram is stored as the ids of its words, never as a joined string, so counting one costs a hash of
//! a few integers and one probe. Strings are built once, for the n-grams that survive into a result.

mod table;

pub use table::{NgramTable, hash_words, shard_of};

/// The longest n-gram newstally counts.
pub const MAX_N: usize = 8;
