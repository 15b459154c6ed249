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

#[inline(never)]
fn rows_of<C: Columns>(s: &Streams, columns: &C) -> Csr {
    // Roughly one stored entry per token is a good first guess for news text.
    let mut out = Csr {
        indptr: Vec::with_capacity(s.n_docs() + 1),
        indices: Vec::with_capacity(s.ids.len()),
        data: Vec::with_capacity(s.ids.len()),
    };
    out.indptr.push(0);
    let mut cols: Vec<u32> = Vec::with_capacity(4096);
    let mut scratch: Vec<u32> = Vec::new();
    for d in 0..s.n_docs() {
        cols.clear();
        columns.doc_columns(s, d, &mut cols);
        sort_columns(&mut cols, &mut scratch);
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

/// Sorts column ids. A document holds hundreds of ids below 2^21 or so, where a least-significant-digit
/// radix sort over bytes does a few linear passes instead of a comparison sort's n log n steps, and
/// skips each byte position on which all ids agree (the high bytes, usually). Short rows use the
/// standard sort.
fn sort_columns(v: &mut [u32], scratch: &mut Vec<u32>) {
    if v.len() <= 64 {
        v.sort_unstable();
        return;
    }
    // All four byte histograms in one pass.
    let mut counts = [[0u32; 256]; 4];
    for &x in v.iter() {
        for (byte, c) in counts.iter_mut().enumerate() {
            c[((x >> (8 * byte)) & 0xFF) as usize] += 1;
        }
    }
    scratch.clear();
    scratch.resize(v.len(), 0);
    let (mut src, mut dst): (&mut [u32], &mut [u32]) = (v, scratch.as_mut_slice());
    let mut in_scratch = false;
    let len = src.len() as u32;
    for (byte, c) in counts.iter().enumerate() {
        if c.contains(&len) {
            continue;
        }
        let mut offsets = [0u32; 256];
        let mut sum = 0;
        for (o, &n) in offsets.iter_mut().zip(c) {
            (*o, sum) = (sum, sum + n);
        }
        let shift = 8 * byte;
        for &x in src.iter() {
            let b = ((x >> shift) & 0xFF) as usize;
            dst[offsets[b] as usize] = x;
            offsets[b] += 1;
        }
        std::mem::swap(&mut src, &mut dst);
        in_scratch = !in_scratch;
    }
    if in_scratch {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::sort_columns;

    #[test]
    fn radix_sort_matches_the_standard_sort() {
        let mut state = 7u64;
        let mut scratch = Vec::new();
        for len in [0usize, 1, 5, 64, 65, 200, 1000, 5000] {
            for spread in [1u32, 255, 70_000, 1 << 21, u32::MAX] {
                let mut v: Vec<u32> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        ((state >> 32) as u32) % spread
                    })
                    .collect();
                let mut expected = v.clone();
                expected.sort_unstable();
                sort_columns(&mut v, &mut scratch);
                assert_eq!(v, expected, "len {len} spread {spread}");
            }
        }
    }
}
