//! Sparse document-term matrices (CSR) from token streams.

use rayon::ThreadPool;
use rayon::prelude::*;

use super::analyzer::Streams;
use crate::error::{Error, Result};
use crate::ngrams::hash_words;
use crate::parallel::Cancel;

/// Marks a word or feature that has no column.
pub(crate) const NONE: u32 = u32::MAX;

/// A compressed sparse row matrix in scipy's layout: row `r` holds `indices[indptr[r]..indptr[r + 1]]`
/// with values `data[..]`; column indices ascend within each row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Csr {
    /// Row start offsets, one more than the number of rows.
    pub indptr: Vec<i64>,
    /// Column of each stored value.
    pub indices: Vec<i32>,
    /// The counts.
    pub data: Vec<i64>,
}

/// Where features live: the columns of one document's features.
pub(crate) trait Columns: Sync {
    /// Appends the column of every feature occurrence of document `d` of `streams` (in any order,
    /// repeated as often as it occurs) to `out`.
    fn doc_columns(&self, streams: &Streams, d: usize, out: &mut Vec<u32>);
}

/// Columns found by looking each n-gram up: for documents the features were not counted from.
pub(crate) trait Lookup: Sync {
    /// Column of the unigram `word`, or [`NONE`].
    fn unigram(&self, word: u32) -> u32;
    /// Column of the n-gram `gram` (its hash given), or [`NONE`].
    fn ngram(&self, gram: &[u32], hash: u64) -> u32;
    /// The n-gram lengths looked up.
    fn ngram_range(&self) -> (usize, usize);
}

impl<L: Lookup> Columns for L {
    fn doc_columns(&self, s: &Streams, d: usize, cols: &mut Vec<u32>) {
        let (lo, hi) = self.ngram_range();
        for seg in s.doc_segments(d) {
            if lo == 1 {
                cols.extend(seg.iter().map(|&w| self.unigram(w)).filter(|&c| c != NONE));
            }
            for n in lo.max(2)..=hi {
                if seg.len() < n {
                    break;
                }
                for gram in seg.windows(n) {
                    let c = self.ngram(gram, hash_words(gram));
                    if c != NONE {
                        cols.push(c);
                    }
                }
            }
        }
    }
}

/// Builds the rows of every document in `streams`, in order.
pub(crate) fn build_rows<C: Columns>(
    streams: &[Streams],
    columns: &C,
    pool: &ThreadPool,
    cancel: &Cancel,
) -> Result<Csr> {
    let parts: Vec<Csr> = pool.install(|| {
        streams
            .par_iter()
            .map(|s| {
                cancel.check()?;
                Ok(rows_of(s, columns))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let nnz: usize = parts.iter().map(|p| p.data.len()).sum();
    let rows: usize = parts.iter().map(|p| p.indptr.len() - 1).sum();
    let mut out = Csr {
        indptr: Vec::with_capacity(rows + 1),
        indices: Vec::with_capacity(nnz),
        data: Vec::with_capacity(nnz),
    };
    out.indptr.push(0);
    for p in parts {
        let base = out.data.len() as i64;
        out.indptr.extend(p.indptr[1..].iter().map(|&x| x + base));
        out.indices.extend_from_slice(&p.indices);
        out.data.extend_from_slice(&p.data);
    }
    if i64::try_from(out.data.len()).is_err() {
        return Err(Error::TooLarge("matrix has too many entries".into()));
    }
    Ok(out)
}

fn rows_of<C: Columns>(s: &Streams, columns: &C) -> Csr {
    let mut out = Csr {
        indptr: Vec::with_capacity(s.n_docs() + 1),
        ..Csr::default()
    };
    out.indptr.push(0);
    let mut cols: Vec<u32> = Vec::new();
    for d in 0..s.n_docs() {
        cols.clear();
        columns.doc_columns(s, d, &mut cols);
        cols.sort_unstable();
        let mut i = 0;
        while i < cols.len() {
            let c = cols[i];
            let mut j = i + 1;
            while j < cols.len() && cols[j] == c {
                j += 1;
            }
            #[allow(clippy::cast_possible_wrap)]
            out.indices.push(c as i32);
            out.data.push((j - i) as i64);
            i = j;
        }
        out.indptr.push(out.data.len() as i64);
    }
    out
}
