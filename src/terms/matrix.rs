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
    /// Number of columns.
    fn n_columns(&self) -> usize;

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
    /// Number of features (columns).
    fn n_features(&self) -> usize;
}

impl<L: Lookup> Columns for L {
    fn n_columns(&self) -> usize {
        self.n_features()
    }

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
    if i64::try_from(nnz).is_err() {
        return Err(Error::TooLarge("matrix has too many entries".into()));
    }
    // Zeroed allocations of this size come straight from the OS, already zero, so the parallel copy
    // below is the first and only write.
    let mut out = Csr {
        indptr: vec![0; rows + 1],
        indices: vec![0; nnz],
        data: vec![0; nnz],
    };
    let mut jobs = Vec::with_capacity(parts.len());
    let (mut indptr, mut indices, mut data) = (
        &mut out.indptr[1..],
        out.indices.as_mut_slice(),
        out.data.as_mut_slice(),
    );
    let mut base = 0i64;
    for p in &parts {
        let (r, n) = (p.indptr.len() - 1, p.data.len());
        let (ip, rest) = std::mem::take(&mut indptr).split_at_mut(r);
        indptr = rest;
        let (ix, rest) = std::mem::take(&mut indices).split_at_mut(n);
        indices = rest;
        let (dt, rest) = std::mem::take(&mut data).split_at_mut(n);
        data = rest;
        jobs.push((p, base, ip, ix, dt));
        base += n as i64;
    }
    pool.install(|| {
        jobs.into_par_iter().for_each(|(p, base, ip, ix, dt)| {
            ip.iter_mut()
                .zip(&p.indptr[1..])
                .for_each(|(o, &x)| *o = x + base);
            ix.copy_from_slice(&p.indices);
            dt.copy_from_slice(&p.data);
        });
    });
    Ok(out)
}

/// Columns up to which rows are added up in a [`RowAccumulator`] rather than sorted: its counts, 8 bytes
/// a column, then stay within a core's L2 cache.
const ACCUMULATE_MAX_COLUMNS: usize = 1 << 18;

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
    let n_columns = columns.n_columns();
    let mut acc = (n_columns <= ACCUMULATE_MAX_COLUMNS).then(|| RowAccumulator::new(n_columns));
    let mut scratch: Vec<u64> = Vec::new();
    for d in 0..s.n_docs() {
        entries.clear();
        columns.doc_entries(s, d, &mut entries);
        if let Some(acc) = &mut acc {
            for &e in &entries {
                acc.add((e >> 32) as usize, e & 0xFFFF_FFFF);
            }
            acc.drain(|col, count| {
                #[allow(clippy::cast_possible_wrap)]
                out.indices.push(col as i32);
                out.data.push(count as i64);
            });
        } else {
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
        }
        out.indptr.push(out.data.len() as i64);
    }
    out
}

/// Adds up a row's counts by column and hands them back in column order, in time linear in the
/// entries rather than a sort's n log n: a bit per column marks the columns present, and each level
/// above has a bit per 64-bit word of the level below, so finding the next column skips empty space
/// 64, 4096, ... columns at a time.
struct RowAccumulator {
    /// `levels[0]` has a bit per column; the last level is a single word.
    levels: Vec<Vec<u64>>,
    counts: Vec<u64>,
}

impl RowAccumulator {
    fn new(n_columns: usize) -> Self {
        let mut levels = vec![vec![0u64; n_columns.div_ceil(64).max(1)]];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let below = levels.last().map_or(1, Vec::len);
            levels.push(vec![0u64; below.div_ceil(64)]);
        }
        RowAccumulator {
            levels,
            counts: vec![0; n_columns],
        }
    }

    #[inline]
    fn add(&mut self, col: usize, count: u64) {
        let (mut word, bit) = (col >> 6, 1u64 << (col & 63));
        let w = &mut self.levels[0][word];
        if *w & bit != 0 {
            self.counts[col] += count;
            return;
        }
        self.counts[col] = count;
        let mut was_empty = *w == 0;
        *w |= bit;
        for level in &mut self.levels[1..] {
            if !was_empty {
                break;
            }
            let w = &mut level[word >> 6];
            was_empty = *w == 0;
            *w |= 1 << (word & 63);
            word >>= 6;
        }
    }

    /// Calls `f(column, count)` for each column added since the last drain, in column order, and
    /// clears them.
    fn drain<F: FnMut(usize, u64)>(&mut self, mut f: F) {
        let top = self.levels.len() - 1;
        self.drain_word(top, 0, &mut f);
    }

    fn drain_word<F: FnMut(usize, u64)>(&mut self, level: usize, word: usize, f: &mut F) {
        let mut bits = std::mem::take(&mut self.levels[level][word]);
        while bits != 0 {
            let at = word * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if level == 0 {
                f(at, self.counts[at]);
            } else {
                self.drain_word(level - 1, at, f);
            }
        }
    }
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
    use super::{ACCUMULATE_MAX_COLUMNS, Columns, RowAccumulator, entry, rows_of, sort_entries};
    use crate::terms::analyzer::Streams;

    /// Rows of pseudo-random entries (repeated columns included), as wide as asked.
    struct Random(usize);

    impl Columns for Random {
        fn n_columns(&self) -> usize {
            self.0
        }

        fn doc_entries(&self, _: &Streams, d: usize, out: &mut Vec<u64>) {
            let mut state = d as u64 + 1;
            for _ in 0..(d * 37) % 300 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                out.push(entry(((state >> 33) % 5000) as u32, (state % 3) as u32 + 1));
            }
        }
    }

    #[test]
    fn accumulated_and_sorted_rows_agree() {
        let s = Streams {
            doc_ends: vec![0; 50],
            ..Streams::default()
        };
        let narrow = rows_of(&s, &Random(5000));
        let wide = rows_of(&s, &Random(ACCUMULATE_MAX_COLUMNS + 1));
        assert_eq!(narrow, wide);
        assert_eq!(narrow.indptr.len(), 51);
        assert!(narrow.indices.len() > 1000);
    }

    #[test]
    fn accumulator_adds_up_and_orders_columns() {
        for n_columns in [1usize, 63, 64, 65, 4095, 4097, 300_000] {
            let mut acc = RowAccumulator::new(n_columns);
            let mut state = n_columns as u64;
            for _ in 0..3 {
                let mut want = std::collections::BTreeMap::new();
                for _ in 0..500 {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    let col = (state >> 33) as usize % n_columns;
                    let count = state % 7 + 1;
                    acc.add(col, count);
                    *want.entry(col).or_insert(0) += count;
                }
                let mut got = Vec::new();
                acc.drain(|c, n| got.push((c, n)));
                assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{n_columns}");
            }
            let mut empty = Vec::new();
            acc.drain(|c, n| empty.push((c, n)));
            assert!(empty.is_empty());
        }
    }

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
