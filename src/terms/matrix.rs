//! Sparse document-term matrices (CSR) from token streams.

use std::mem::MaybeUninit;
use std::sync::{Mutex, PoisonError};

use rayon::ThreadPool;

use super::analyzer::Streams;
use super::radix;
use crate::error::{Error, Result};
use crate::ngrams::hash_words;
use crate::parallel::{Cancel, run_in_order_with, take_front};

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

    /// Calls `f` with an [`entry`] for each feature of document `d` of `streams`, in any order; a column
    /// may come more than once, and its counts then add up.
    fn for_each_doc_entry<F: FnMut(u64)>(&self, streams: &Streams, d: usize, f: F);

    /// Appends the entries of [`Columns::for_each_doc_entry`] to `out`.
    fn doc_entries(&self, streams: &Streams, d: usize, out: &mut Vec<u64>) {
        self.for_each_doc_entry(streams, d, |e| out.push(e));
    }

    /// The most entries [`Columns::doc_entries`] can give for all documents of `streams` together.
    fn max_entries(&self, streams: &Streams) -> usize;
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

    fn max_entries(&self, s: &Streams) -> usize {
        // At most one entry per token and order.
        let (lo, hi) = self.ngram_range();
        s.ids.len() * (hi + 1 - lo)
    }

    fn for_each_doc_entry<F: FnMut(u64)>(&self, s: &Streams, d: usize, mut f: F) {
        let (lo, hi) = self.ngram_range();
        for seg in s.doc_segments(d) {
            if lo == 1 {
                for &w in seg {
                    let c = self.unigram(w);
                    if c != NONE {
                        f(entry(c, 1));
                    }
                }
            }
            for n in lo.max(2)..=hi {
                if seg.len() < n {
                    break;
                }
                for gram in seg.windows(n) {
                    let c = self.ngram(gram, hash_words(gram));
                    if c != NONE {
                        f(entry(c, 1));
                    }
                }
            }
        }
    }
}

/// Builds the rows of every document in `streams`, in order.
///
/// Each part (a stream's documents) writes its rows straight into its own stretch of the output, as
/// long as the most entries its documents can give; the stretches are then closed up. So the output is
/// allocated once, and where no row repeats a feature (unigram rows) each byte is written once.
pub(crate) fn build_rows<C: Columns>(
    streams: &[Streams],
    columns: &C,
    pool: &ThreadPool,
    cancel: &Cancel,
) -> Result<Csr> {
    let bounds: Vec<usize> = streams.iter().map(|s| columns.max_entries(s)).collect();
    let total: usize = bounds.iter().sum();
    let rows: usize = streams.iter().map(Streams::n_docs).sum();
    if i64::try_from(total).is_err() {
        return Err(Error::TooLarge("matrix has too many entries".into()));
    }
    // Entries go into uninitialised room: only what is written is ever read. Zeroed room cost a pass
    // over the whole of it, wherever the allocator gave back a block an earlier call freed
    // (`src/alloc.rs`).
    let mut indptr = vec![0; rows + 1];
    let mut indices: Vec<i32> = Vec::with_capacity(total);
    let mut data: Vec<i64> = Vec::with_capacity(total);
    let mut jobs = Vec::with_capacity(streams.len());
    let (mut ends, mut ix_room, mut dt_room) = (
        &mut indptr[1..],
        &mut indices.spare_capacity_mut()[..total],
        &mut data.spare_capacity_mut()[..total],
    );
    for (s, &bound) in streams.iter().zip(&bounds) {
        let e = take_front(&mut ends, s.n_docs());
        let ix = take_front(&mut ix_room, bound);
        let dt = take_front(&mut dt_room, bound);
        jobs.push((s, e, ix, dt));
    }
    // Handed out in order, to the first thread free: a batch's streams shrink towards its end, so
    // the last job to finish is a short one. (Split by rayon, one thread was left building a
    // long stream's rows alone for 5-7 ms at the end of a unigram fit.)
    let jobs: Vec<Mutex<Option<_>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let n_columns = columns.n_columns();
    let nnz = run_in_order_with(
        pool,
        jobs.len(),
        || RowScratch::new(n_columns),
        |scratch, i| {
            cancel.check()?;
            let job = jobs[i]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            Ok(job.map_or(0, |(s, e, ix, dt)| rows_of(s, columns, e, ix, dt, scratch)))
        },
    )?;
    // Close up the stretches, and turn each part's row ends into offsets in the whole.
    let (mut at, mut from, mut row) = (0, 0, 1);
    for ((s, &n), &bound) in streams.iter().zip(&nnz).zip(&bounds) {
        if from != at {
            indices.spare_capacity_mut().copy_within(from..from + n, at);
            data.spare_capacity_mut().copy_within(from..from + n, at);
        }
        let base = at as i64;
        indptr[row..row + s.n_docs()]
            .iter_mut()
            .for_each(|e| *e += base);
        (at, from, row) = (at + n, from + bound, row + s.n_docs());
    }
    // SAFETY: each part wrote the first `n` entries of its stretch (`rows_of` returns how many it
    // wrote, front first), and closing up moved them, in order, to `0..at`.
    unsafe {
        indices.set_len(at);
        data.set_len(at);
    }
    Ok(Csr {
        indptr,
        indices,
        data,
    })
}

/// Columns up to which rows are added up in a [`RowAccumulator`] rather than sorted: its counts, 8 bytes
/// a column, then stay within a core's L2 cache.
const ACCUMULATE_MAX_COLUMNS: usize = 1 << 18;

/// A row builder's working space, kept by its thread from one part to the next: an accumulator's
/// counts span a page per 512 columns, and one made for every part faulted its pages in afresh (2,200
/// of the 12,500 page faults of a unigram fit of the shared corpora).
struct RowScratch {
    /// A row's entries and the radix sort's space, where rows are too wide to accumulate.
    entries: Vec<u64>,
    acc: Option<RowAccumulator>,
    sort: Vec<u64>,
}

impl RowScratch {
    fn new(n_columns: usize) -> Self {
        RowScratch {
            entries: Vec::new(),
            acc: (n_columns <= ACCUMULATE_MAX_COLUMNS).then(|| RowAccumulator::new(n_columns)),
            sort: Vec::new(),
        }
    }
}

/// Writes the rows of the documents of `s` into `indices` and `data` (at most
/// [`Columns::max_entries`]), the end of each row at `ends[d]`; returns the entries written.
/// `scratch` is made for `columns`' number of columns.
#[inline(never)]
fn rows_of<C: Columns>(
    s: &Streams,
    columns: &C,
    ends: &mut [i64],
    indices: &mut [MaybeUninit<i32>],
    data: &mut [MaybeUninit<i64>],
    scratch: &mut RowScratch,
) -> usize {
    let mut out = RowWriter {
        indices,
        data,
        n: 0,
    };
    let RowScratch { entries, acc, sort } = scratch;
    for (d, end) in ends.iter_mut().enumerate() {
        if let Some(acc) = acc {
            acc.add_doc(columns, s, d);
            out.n += acc.drain_into(&mut out.indices[out.n..], &mut out.data[out.n..]);
        } else {
            entries.clear();
            columns.doc_entries(s, d, entries);
            sort_entries(entries, sort);
            let mut i = 0;
            while i < entries.len() {
                let col = entries[i] >> 32;
                let mut count = entries[i] & 0xFFFF_FFFF;
                i += 1;
                while i < entries.len() && entries[i] >> 32 == col {
                    count += entries[i] & 0xFFFF_FFFF;
                    i += 1;
                }
                out.put(col, count);
            }
        }
        *end = out.n as i64;
    }
    out.n
}

/// Writes row entries one after another.
struct RowWriter<'a> {
    indices: &'a mut [MaybeUninit<i32>],
    data: &'a mut [MaybeUninit<i64>],
    n: usize,
}

impl RowWriter<'_> {
    #[inline]
    fn put(&mut self, col: u64, count: u64) {
        #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
        {
            self.indices[self.n].write(col as i32);
            self.data[self.n].write(count as i64);
        }
        self.n += 1;
    }
}

/// Adds up a row's counts by column and hands them back in column order, in time linear in the
/// entries rather than a sort's n log n: a bit per column marks the columns present, a bit per word of
/// those marks the words in use, and a single word marks those, so finding the next column skips empty
/// space 64 or 4096 columns at a time. Three levels cover [`ACCUMULATE_MAX_COLUMNS`].
///
/// Adding and draining each work on local slices and a local output position: reached through
/// `&mut self` and a writer, the position went through memory at every column, and each count's
/// store made the compiler load the column's bit word again.
struct RowAccumulator {
    /// A bit per column.
    columns: Vec<u64>,
    /// A bit per word of `columns` (at most 64 words).
    words: Vec<u64>,
    /// A bit per word of `words`.
    top: u64,
    counts: Vec<u64>,
}

impl RowAccumulator {
    fn new(n_columns: usize) -> Self {
        assert!(
            n_columns <= ACCUMULATE_MAX_COLUMNS,
            "too wide to accumulate"
        );
        let columns = n_columns.div_ceil(64).max(1);
        RowAccumulator {
            columns: vec![0; columns],
            words: vec![0; columns.div_ceil(64)],
            top: 0,
            counts: vec![0; n_columns],
        }
    }

    /// Adds each [`entry`]'s count to its column.
    #[cfg(test)]
    fn add_all(&mut self, entries: &[u64]) {
        let mut adder = self.adder();
        for &e in entries {
            adder.add(e);
        }
        self.top = adder.top;
    }

    /// Adds the entries of document `d` of `s` under `columns`, as they come: gathering them in a
    /// list first cost a push and a read each.
    #[inline]
    fn add_doc<C: Columns>(&mut self, columns: &C, s: &Streams, d: usize) {
        let mut adder = self.adder();
        columns.for_each_doc_entry(s, d, |e| adder.add(e));
        self.top = adder.top;
    }

    /// The adding state as local slices (see the type's docs); `top` is to be stored back.
    fn adder(&mut self) -> Adder<'_> {
        Adder {
            columns: &mut self.columns,
            words: &mut self.words,
            counts: &mut self.counts,
            top: self.top,
        }
    }

    /// Writes the columns added since the last drain, in column order, to the front of `indices`,
    /// their counts to the front of `data`, and clears them; returns how many there were.
    #[inline]
    fn drain_into(
        &mut self,
        indices: &mut [MaybeUninit<i32>],
        data: &mut [MaybeUninit<i64>],
    ) -> usize {
        let (columns, words, counts) =
            (&mut self.columns[..], &mut self.words[..], &self.counts[..]);
        let mut n = 0;
        let mut top = std::mem::take(&mut self.top);
        while top != 0 {
            let i = top.trailing_zeros() as usize;
            top &= top - 1;
            let mut in_use = std::mem::take(&mut words[i]);
            while in_use != 0 {
                let w = i * 64 + in_use.trailing_zeros() as usize;
                in_use &= in_use - 1;
                let mut marks = std::mem::take(&mut columns[w]);
                while marks != 0 {
                    let col = w * 64 + marks.trailing_zeros() as usize;
                    marks &= marks - 1;
                    #[allow(clippy::cast_possible_wrap, clippy::cast_possible_truncation)]
                    {
                        indices[n].write(col as i32);
                        data[n].write(counts[col] as i64);
                    }
                    n += 1;
                }
            }
        }
        n
    }
}

/// [`RowAccumulator`]'s state while entries are added.
struct Adder<'a> {
    columns: &'a mut [u64],
    words: &'a mut [u64],
    counts: &'a mut [u64],
    top: u64,
}

impl Adder<'_> {
    /// Adds an [`entry`]'s count to its column.
    #[inline]
    fn add(&mut self, e: u64) {
        let col = (e >> 32) as usize;
        let count = e & 0xFFFF_FFFF;
        let (w, bit) = (col >> 6, 1u64 << (col & 63));
        let marks = self.columns[w];
        if marks & bit != 0 {
            self.counts[col] += count;
            return;
        }
        self.counts[col] = count;
        self.columns[w] = marks | bit;
        if marks == 0 {
            self.words[w >> 6] |= 1 << (w & 63);
            self.top |= 1 << (w >> 6);
        }
    }
}

/// Sorts row entries by column. A document holds hundreds of entries with columns below 2^21 or so,
/// where a radix sort over the column's four bytes does a few linear passes instead of a comparison
/// sort's n log n steps, and skips each byte on which all columns agree (the high ones, usually).
fn sort_entries(v: &mut [u64], scratch: &mut Vec<u64>) {
    scratch.clear();
    scratch.resize(v.len(), 0);
    radix::sort_slice::<_, _, 4>(v, scratch, |&x| x >> 32);
}

#[cfg(test)]
mod tests {
    use super::{ACCUMULATE_MAX_COLUMNS, Columns, RowAccumulator, build_rows, entry, sort_entries};
    use crate::terms::analyzer::Streams;
    use std::mem::MaybeUninit;

    /// Rows of pseudo-random entries (repeated columns included), as wide as asked.
    struct Random(usize);

    impl Columns for Random {
        fn n_columns(&self) -> usize {
            self.0
        }

        fn max_entries(&self, s: &Streams) -> usize {
            (0..s.n_docs()).map(|d| (d * 37) % 300).sum()
        }

        fn for_each_doc_entry<F: FnMut(u64)>(&self, _: &Streams, d: usize, mut f: F) {
            let mut state = d as u64 + 1;
            for _ in 0..(d * 37) % 300 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                f(entry(((state >> 33) % 5000) as u32, (state % 3) as u32 + 1));
            }
        }
    }

    #[test]
    fn accumulated_and_sorted_rows_agree() {
        let part = || Streams {
            doc_ends: vec![0; 50],
            ..Streams::default()
        };
        let pool = crate::parallel::pool(2).unwrap();
        let cancel = crate::parallel::Cancel::new();
        let parts = [part(), part(), part()];
        let narrow = build_rows(&parts, &Random(5000), &pool, &cancel).unwrap();
        let wide = build_rows(&parts, &Random(ACCUMULATE_MAX_COLUMNS + 1), &pool, &cancel).unwrap();
        assert_eq!(narrow, wide);
        assert_eq!(narrow.indptr.len(), 151);
        assert_eq!(narrow.indptr[150] as usize, narrow.indices.len());
        assert!(narrow.indices.len() > 3000);
        // Repeated columns were added up, so the stretches had gaps to close.
        let entries: usize = (0..50).map(|d| (d * 37) % 300).sum::<usize>() * 3;
        assert!(narrow.indices.len() < entries);
        for r in 0..150 {
            let row = &narrow.indices[narrow.indptr[r] as usize..narrow.indptr[r + 1] as usize];
            assert!(row.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn accumulator_adds_up_and_orders_columns() {
        for n_columns in [
            1usize,
            63,
            64,
            65,
            4095,
            4096,
            4097,
            200_000,
            ACCUMULATE_MAX_COLUMNS,
        ] {
            let mut acc = RowAccumulator::new(n_columns);
            let mut state = n_columns as u64;
            let (mut indices, mut data) = (
                vec![MaybeUninit::new(-1i32); 600],
                vec![MaybeUninit::new(-1i64); 600],
            );
            // SAFETY (both): every element was initialised to -1 and since written or left.
            let read_ix = |v: &[MaybeUninit<i32>]| -> Vec<i32> {
                v.iter().map(|x| unsafe { x.assume_init() }).collect()
            };
            let read_dt = |v: &[MaybeUninit<i64>]| -> Vec<i64> {
                v.iter().map(|x| unsafe { x.assume_init() }).collect()
            };
            for _ in 0..3 {
                let mut want = std::collections::BTreeMap::new();
                let mut entries = Vec::new();
                for _ in 0..500 {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    let col = (state >> 33) as usize % n_columns;
                    let count = state % 7 + 1;
                    entries.push(entry(col as u32, count as u32));
                    *want.entry(col as i32).or_insert(0) += count as i64;
                }
                // In two helpings, so that some columns are already present when more arrive.
                acc.add_all(&entries[..200]);
                acc.add_all(&entries[200..]);
                let n = acc.drain_into(&mut indices[50..], &mut data[50..]);
                let got: Vec<(i32, i64)> = read_ix(&indices[50..50 + n])
                    .into_iter()
                    .zip(read_dt(&data[50..50 + n]))
                    .collect();
                assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "{n_columns}");
                assert!(
                    read_ix(&indices[..50]).iter().all(|&i| i == -1),
                    "wrote before its slice"
                );
            }
            assert_eq!(acc.drain_into(&mut indices, &mut data), 0);
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
