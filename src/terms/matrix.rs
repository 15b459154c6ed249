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

/// Where features live: column lookups for unigrams (by word id) and longer n-grams (by word ids).
pub(crate) trait Columns: Sync {
    /// Column of the unigram `word`.
    fn unigram(&self, word: u32) -> u32;
    /// Column of the n-gram `gram` (its hash given), or [`NONE`].
    fn ngram(&self, gram: &[u32], hash: u64) -> u32;
}

/// Builds the rows of every document in `streams`, in order.
pub(crate) fn build_rows<C: Columns>(
    streams: &[Streams],
    ngram_range: (usize, usize),
    columns: &C,
    pool: &ThreadPool,
    cancel: &Cancel,
) -> Result<Csr> {
    let parts: Vec<Csr> = pool.install(|| {
        streams
            .par_iter()
            .map(|s| {
                cancel.check()?;
                Ok(rows_of(s, ngram_range, columns))
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

fn rows_of<C: Columns>(s: &Streams, (lo, hi): (usize, usize), columns: &C) -> Csr {
    let mut out = Csr {
        indptr: Vec::with_capacity(s.n_docs() + 1),
        ..Csr::default()
    };
    out.indptr.push(0);
    let mut cols: Vec<u32> = Vec::new();
    for d in 0..s.n_docs() {
        cols.clear();
        for seg in s.doc_segments(d) {
            if lo == 1 {
                cols.extend(seg.iter().map(|&w| columns.unigram(w)).filter(|&c| c != NONE));
            }
            for n in lo.max(2)..=hi {
                if seg.len() < n {
                    break;
                }
                for gram in seg.windows(n) {
                    let c = columns.ngram(gram, hash_words(gram));
                    if c != NONE {
                        cols.push(c);
                    }
                }
            }
        }
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
