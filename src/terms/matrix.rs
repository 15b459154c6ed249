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

/// A row entry: the column in the high 32 bits and a count in the low 32, so that sorting entries
/// sorts them by column.
#[inline]
pub(crate) fn entry(col: u32, count: u32) -> u64 {
    (u64::from(col) << 32) | u64::from(count)
}

/// Where features live: the columns of one document's features.
pub(crate) trait Columns: Sync {
    /// Appends [`entry`]s for the features of document `d` of `streams` to `out`, in any order; a column
    /// may come more than once, and its counts then add up.
    fn doc_entries(&self, streams: &Streams, d: usize, out: &mut Vec<u64>);
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
    fn doc_entries(&self, s: &Streams, d: usize, out: &mut Vec<u64>) {
        let (lo, hi) = self.ngram_range();
        for seg in s.doc_segments(d) {
            if lo == 1 {
                out.extend(
                    seg.iter()
                        .map(|&w| self.unigram(w))
                        .filter(|&c| c != NONE)
                        .map(|c| entry(c, 1)),
                );
            }
            for n in lo.max(2)..=hi {
                if seg.len() < n {
                    break;
                }
                for gram in seg.windows(n) {
                    let c = self.ngram(gram, hash_words(gram));
                    if c != NONE {
                        out.push(entry(c, 1));
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
    // Roughly one stored entry per distinct word and n-gram occurrence is a good first guess.
    let guess = s.uni.len() + s.ids.len();
    let mut out = Csr {
        indptr: Vec::with_capacity(s.n_docs() + 1),
        indices: Vec::with_capacity(guess),
        data: Vec::with_capacity(guess),
    };
    out.indptr.push(0);
    let mut entries: Vec<u64> = Vec::with_capacity(4096);
    let mut scratch: Vec<u64> = Vec::new();
    for d in 0..s.n_docs() {
        entries.clear();
        columns.doc_entries(s, d, &mut entries);
        sort_entries(&mut entries, &mut scratch);
        let mut i = 0;
        while i < entries.len() {
            let col = entries[i] >> 32;
            let mut count = entries[i] & 0xFFFF_FFFF;
            i += 1;
            while i < entries.len() && entries[i] >> 32 == col {
                count += entries[i] & 0xFFFF_FFFF;
                i += 1;
            }
            #[allow(clippy::cast_possible_wrap)]
            out.indices.push(col as i32);
            out.data.push(count as i64);
        }
        out.indptr.push(out.data.len() as i64);
    }
    out
}

/// Sorts row entries by column. A document holds hundreds of entries with columns below 2^21 or so,
/// where a least-significant-digit radix sort over the column's bytes does a few linear passes instead
/// of a comparison sort's n log n steps, and skips each byte on which all columns agree (the high ones,
/// usually). Short rows use the standard sort.
fn sort_entries(v: &mut [u64], scratch: &mut Vec<u64>) {
    if v.len() <= 64 {
        v.sort_unstable();
        return;
    }
    // All four column-byte histograms in one pass.
    let mut counts = [[0u32; 256]; 4];
    for &x in v.iter() {
        for (byte, c) in counts.iter_mut().enumerate() {
            c[((x >> (32 + 8 * byte)) & 0xFF) as usize] += 1;
        }
    }
    scratch.clear();
    scratch.resize(v.len(), 0);
    let (mut src, mut dst): (&mut [u64], &mut [u64]) = (v, scratch.as_mut_slice());
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
        let shift = 32 + 8 * byte;
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
    use super::{entry, sort_entries};

    #[test]
    fn radix_sort_orders_by_column() {
        let mut state = 7u64;
        let mut scratch = Vec::new();
        for len in [0usize, 1, 5, 64, 65, 200, 1000, 5000] {
            for spread in [1u32, 255, 70_000, 1 << 21, u32::MAX] {
                let mut v: Vec<u64> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        entry(((state >> 32) as u32) % spread, state as u32 % 5)
                    })
                    .collect();
                let mut expected = v.clone();
                expected.sort_unstable();
                sort_entries(&mut v, &mut scratch);
                // Only columns are ordered; within a column any order of counts will do.
                let cols = |v: &[u64]| v.iter().map(|x| x >> 32).collect::<Vec<_>>();
                assert_eq!(cols(&v), cols(&expected), "len {len} spread {spread}");
                v.sort_unstable();
                assert_eq!(v, expected);
            }
        }
    }
}
