//! N-grams counted by sorting, for a counter that keeps its documents' token ids.
//!
//! Counting n-grams into hash tables as documents arrive costs a cache miss per window: a corpus's
//! n-gram tables are far larger than the caches. A counter that keeps every document's token ids
//! anyway, to build a document-term matrix, can wait until its vocabulary is complete and write each
//! window as one integer, its packed key (word ranks, see `Counter::pack_bits`) above its document
//! number. Once sorted, equal n-grams lie together, in term order, with their documents ascending, so
//! counts, document frequencies and matrix rows are read off in passes over memory in order. This
//! applies when a key and a document number fit in 64 bits together; otherwise the counter counts the
//! kept windows into its tables.

use rayon::ThreadPool;
use rayon::prelude::*;

use super::analyzer::Streams;
use super::matrix::{Csr, NONE, entry};
use super::radix;
use super::shards::is_counted;
use crate::error::{Error, Result};
use crate::parallel::{Cancel, JOBS_PER_THREAD, balanced_ranges, take_front};

/// The packed key of `gram`: each word's rank + 1 in a field `bits` wide, first word highest, `hi`
/// fields in all, missing words 0. Integer order is term order (see `Counter::pack_bits`).
#[inline]
pub(super) fn packed_key(gram: &[u32], rank: &[u32], bits: u32, hi: u32) -> u64 {
    gram.iter().enumerate().fold(0u64, |key, (i, &w)| {
        key | (u64::from(rank[w as usize]) + 1) << (bits * (hi - 1 - i as u32))
    })
}

/// Bits that hold any document number below `n_docs`.
fn doc_bits(n_docs: u64) -> u32 {
    u64::BITS - n_docs.saturating_sub(1).leading_zeros()
}

/// Whether windows whose keys are `key_bits` wide pack with the numbers of `n_docs` documents.
pub(super) fn fits(key_bits: u32, n_docs: u64) -> bool {
    key_bits + doc_bits(n_docs) <= u64::BITS
}

/// Which windows count, and how their keys pack.
pub(super) struct Packing<'a> {
    /// Each word's position in term order.
    pub rank: &'a [u32],
    /// Bits per word of a key.
    pub bits: u32,
    pub ngram_range: (usize, usize),
    pub word_stop: &'a [bool],
    /// Skip n-grams that start or end with a stop word.
    pub edges: bool,
}

/// Every counted window of a counter's documents, sorted by n-gram.
#[derive(Debug, Default)]
pub(super) struct SortedGrams {
    /// Each window as `key << doc_bits | document`, by key, documents ascending within a key.
    items: Vec<u64>,
    doc_bits: u32,
    /// Where each distinct n-gram's windows start in `items`, and last where the last one ends.
    starts: Vec<usize>,
    /// N-gram lengths counted (those of two words or more): a token starts at most this many windows.
    orders: usize,
}

impl SortedGrams {
    /// Sorts the windows of `streams` (documents `0..n_docs`, in order); returns them with each
    /// n-gram's packed key and document frequency.
    ///
    /// # Errors
    /// The job was cancelled.
    pub fn new(
        streams: &[Streams],
        p: &Packing<'_>,
        n_docs: u64,
        pool: &ThreadPool,
        cancel: &Cancel,
    ) -> Result<(Self, Vec<u64>, Vec<u32>)> {
        let doc_bits = doc_bits(n_docs);
        let (items, runs) = sorted_windows(streams, p, doc_bits, pool, cancel)?;
        let (lo, hi) = p.ngram_range;
        let grams = SortedGrams {
            items,
            doc_bits,
            starts: runs.starts,
            orders: (hi + 1).saturating_sub(lo.max(2)),
        };
        Ok((grams, runs.keys, runs.dfs))
    }

    /// Number of distinct n-grams.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Windows of the `g`-th n-gram: its corpus count.
    #[inline]
    pub fn count(&self, g: usize) -> u64 {
        (self.starts[g + 1] - self.starts[g]) as u64
    }

    /// Calls `visit(document, count)` for each document holding the `gram`-th n-gram, in order.
    #[inline]
    fn for_each_doc(&self, gram: usize, mut visit: impl FnMut(u64, u32)) {
        let mask = (1u64 << self.doc_bits) - 1;
        let run = &self.items[self.starts[gram]..self.starts[gram + 1]];
        let mut at = 0;
        while at < run.len() {
            let doc = run[at] & mask;
            let mut n = 1;
            while at + n < run.len() && run[at + n] & mask == doc {
                n += 1;
            }
            #[allow(clippy::cast_possible_truncation)]
            visit(doc, n as u32);
            at += n;
        }
    }

    /// Calls `visit(document, column, count)` for each kept n-gram (`gram_col`) of `grams` in each
    /// document holding it, column by column.
    ///
    /// # Errors
    /// The job was cancelled.
    fn for_each_entry(
        &self,
        grams: std::ops::Range<usize>,
        gram_col: &[u32],
        cancel: &Cancel,
        mut visit: impl FnMut(u64, u32, u32),
    ) -> Result<()> {
        for gram in grams {
            if gram % CHECK_EVERY == 0 {
                cancel.check()?;
            }
            let col = gram_col[gram];
            if col != NONE {
                self.for_each_doc(gram, |doc, count| visit(doc, col, count));
            }
        }
        Ok(())
    }

    /// Splits the n-grams into about `parts` ranges of similar numbers of windows.
    fn gram_ranges(&self, parts: usize) -> Vec<std::ops::Range<usize>> {
        let (n, windows) = (self.len(), self.items.len());
        let mut cuts: Vec<usize> = (0..=parts)
            .map(|p| {
                self.starts
                    .partition_point(|&s| s < windows * p / parts)
                    .min(n)
            })
            .collect();
        cuts[parts] = n;
        cuts.dedup();
        cuts.windows(2).map(|w| w[0]..w[1]).collect()
    }

    /// The document-term matrix over columns `gram_col` (each n-gram's column, or [`NONE`]) and, with
    /// unigrams counted, `uni_col` (each word's); `streams` hold documents `0..n` in order.
    ///
    /// The n-grams come column by column, each to another row: written straight into their rows they
    /// would miss the caches every time. So the rows are cut into blocks small enough for a core's
    /// cache (by the most entries their documents can hold), and the n-grams are built in three
    /// steps:
    /// 1. ranges of n-grams, one job each, count their entries per block;
    /// 2. the same jobs copy their entries to each block's stage, in the block's own stretch of the
    ///    matrix, every range to its own part of it, in column order;
    /// 3. parts of the rows, one job each, take their blocks' stages into the rows, block by block,
    ///    and merge in the rows' words.
    ///
    /// Each job of steps 1 and 2 reads only its own n-grams, once, and keeps a count per block, not
    /// per document.
    ///
    /// # Errors
    /// The job was cancelled.
    pub fn matrix(
        &self,
        streams: &[Streams],
        gram_col: &[u32],
        uni_col: Option<&[u32]>,
        pool: &ThreadPool,
        cancel: &Cancel,
    ) -> Result<Csr> {
        let threads = pool.current_num_threads();
        let n_docs = streams
            .last()
            .map_or(0, |s| s.first_doc as usize + s.n_docs());
        let lens: Vec<usize> = streams.iter().map(|s| s.ids.len()).collect();
        let parts: Vec<Part<'_>> = balanced_ranges(&lens, threads * JOBS_PER_THREAD)
            .into_iter()
            .map(|r| Part::new(&streams[r], uni_col))
            .collect();
        let mut blocks: Vec<Vec<Block>> = parts.iter().map(|p| p.blocks(self.orders)).collect();
        let mut block_of = vec![0u32; n_docs];
        for (b, block) in blocks.iter().flatten().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            block_of[block.rows.clone()].fill(b as u32);
        }
        let n_blocks = blocks.iter().map(Vec::len).sum();
        let ranges = self.gram_ranges(threads * JOBS_PER_THREAD);
        let per_range: Vec<Vec<usize>> = pool.install(|| {
            ranges
                .par_iter()
                .with_max_len(1)
                .map(|grams| {
                    let mut n = vec![0usize; n_blocks];
                    #[allow(clippy::cast_possible_truncation)]
                    self.for_each_entry(grams.clone(), gram_col, cancel, |doc, _, _| {
                        n[block_of[doc as usize] as usize] += 1;
                    })?;
                    Ok(n)
                })
                .collect::<Result<_>>()
        })?;
        // Each block's kept words, then where its stage and its rows begin: a part's stages one after
        // another from its first entry on.
        let words: Vec<Vec<u32>> = pool.install(|| {
            parts
                .par_iter()
                .zip(&mut blocks)
                .with_max_len(1)
                .map(|(part, blocks)| part.count_words(blocks))
                .collect()
        });
        let mut end = 0;
        for (k, block) in blocks.iter_mut().flatten().enumerate() {
            block.grams = per_range.iter().map(|n| n[k]).sum();
            block.start = end;
            end += block.words + block.grams;
        }
        for part in &mut blocks {
            let mut stage = part.first().map_or(0, |b| b.start);
            for block in part {
                block.stage = stage;
                stage += block.grams;
            }
        }
        if i64::try_from(end).is_err() {
            return Err(Error::TooLarge("matrix has too many entries".into()));
        }
        let mut out = Csr {
            indptr: vec![0; n_docs + 1],
            indices: vec![0; end],
            data: vec![0; end],
        };
        let all: Vec<&Block> = blocks.iter().flatten().collect();
        self.stage(
            &ranges, &per_range, &all, &block_of, gram_col, &mut out, pool, cancel,
        )?;
        drop((per_range, block_of));
        let mut jobs = Vec::with_capacity(parts.len());
        let (mut ends, mut indices, mut data) = (
            &mut out.indptr[1..],
            out.indices.as_mut_slice(),
            out.data.as_mut_slice(),
        );
        for ((part, blocks), words) in parts.iter().zip(&blocks).zip(&words) {
            let n: usize = blocks.iter().map(|b| b.words + b.grams).sum();
            let e = take_front(&mut ends, blocks.iter().map(|b| b.rows.len()).sum());
            let ix = take_front(&mut indices, n);
            let dt = take_front(&mut data, n);
            jobs.push((part, blocks, words, e, Rows { ix, dt }));
        }
        pool.install(|| {
            jobs.into_par_iter().with_max_len(1).try_for_each(
                |(part, blocks, words, ends, mut rows)| {
                    place_rows(part, blocks, words, ends, &mut rows, cancel)
                },
            )
        })?;
        Ok(out)
    }

    /// Step 2 of [`SortedGrams::matrix`]: the n-grams of each of `ranges` (whose entries per block
    /// `per_range` holds) copied to the stages of `blocks` (all the parts' blocks, in row order; the
    /// block of each document in `block_of`).
    ///
    /// # Errors
    /// The job was cancelled.
    #[allow(clippy::too_many_arguments)]
    fn stage(
        &self,
        ranges: &[std::ops::Range<usize>],
        per_range: &[Vec<usize>],
        blocks: &[&Block],
        block_of: &[u32],
        gram_col: &[u32],
        out: &mut Csr,
        pool: &ThreadPool,
        cancel: &Cancel,
    ) -> Result<()> {
        let (cursors, ends) = stretches(blocks.iter().map(|b| b.stage).collect(), per_range);
        let ix = Scatter::new(&mut out.indices);
        let dt = Scatter::new(&mut out.data);
        let mut jobs: Vec<_> = ranges.iter().zip(cursors).zip(ends).collect();
        pool.install(|| {
            jobs.par_iter_mut()
                .with_max_len(1)
                .try_for_each(|((grams, cursor), ends)| {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
                    self.for_each_entry((*grams).clone(), gram_col, cancel, |doc, col, count| {
                        let b = block_of[doc as usize] as usize;
                        let value = entry(col, count) as i64;
                        ix.write_with(&dt, cursor[b], ends[b], doc as u32 as i32, value);
                        cursor[b] += 1;
                    })
                })
        })
    }
}

/// Rows whose n-grams are placed together, and where they go.
#[derive(Debug, Default)]
struct Block {
    /// Its rows (documents).
    rows: std::ops::Range<usize>,
    /// Entries of its rows' kept words, and of their n-grams.
    words: usize,
    grams: usize,
    /// Where its first row starts in the matrix's arrays.
    start: usize,
    /// Where its staged n-grams start: after the stages of its part's earlier blocks, from the part's
    /// first entry on. So a block's stage starts no later than its rows (each row holds at least its
    /// n-grams), and placing a part's blocks last to first never writes over a stage not yet read.
    stage: usize,
}

/// Places the staged n-grams of each of `blocks` in their rows and merges in the rows' words (of
/// which `words` are kept): the rows of `part`, whose entries `rows` holds and whose ends (in the
/// whole matrix) go in `ends`.
///
/// # Errors
/// The job was cancelled.
fn place_rows(
    part: &Part<'_>,
    blocks: &[Block],
    words: &[u32],
    ends: &mut [i64],
    rows: &mut Rows<'_>,
    cancel: &Cancel,
) -> Result<()> {
    #[allow(clippy::cast_possible_truncation)]
    let first = part.docs.start as usize;
    // Offsets into `rows`, which begin with the part's first row.
    let base = blocks.first().map_or(0, |b| b.start);
    let docs: Vec<(&Streams, usize)> = part.rows().collect();
    let mut staged: Vec<(u32, u64)> = Vec::new();
    let (mut starts, mut next) = (Vec::new(), Vec::new());
    let mut scratch = Vec::new();
    for block in blocks.iter().rev() {
        cancel.check()?;
        let from = block.stage - base;
        staged.clear();
        #[allow(clippy::cast_sign_loss)]
        staged.extend((from..from + block.grams).map(|i| (rows.ix[i] as u32, rows.dt[i] as u64)));
        // Each row's n-grams, then where it starts, and where its first n-gram goes: after its
        // words.
        let rows_here = block.rows.clone();
        next.clear();
        next.resize(rows_here.len(), 0usize);
        for &(doc, _) in &staged {
            next[doc as usize - rows_here.start] += 1;
        }
        starts.clear();
        let mut at = block.start - base;
        for (doc, n) in rows_here.clone().zip(&mut next) {
            let words = words[doc - first] as usize;
            starts.push(at);
            let grams = *n;
            *n = at + words;
            at += words + grams;
            #[allow(clippy::cast_possible_wrap)]
            {
                ends[doc - first] = (base + at) as i64;
            }
        }
        starts.push(at);
        for &(doc, e) in &staged {
            let at = &mut next[doc as usize - rows_here.start];
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            {
                (rows.ix[*at], rows.dt[*at]) = ((e >> 32) as i32, (e & 0xFFFF_FFFF) as i64);
            }
            *at += 1;
        }
        if let Some(cols) = part.uni_col {
            for (k, doc) in rows_here.enumerate() {
                let (s, d) = docs[doc - first];
                let range = starts[k]..starts[k + 1];
                merge_words(
                    s.doc_unigrams(d),
                    cols,
                    &mut scratch,
                    &mut rows.ix[range.clone()],
                    &mut rows.dt[range],
                );
            }
        }
    }
    Ok(())
}

/// A run of streams whose rows one job builds.
struct Part<'a> {
    streams: &'a [Streams],
    /// Their documents.
    docs: std::ops::Range<u64>,
    uni_col: Option<&'a [u32]>,
}

impl<'a> Part<'a> {
    fn new(streams: &'a [Streams], uni_col: Option<&'a [u32]>) -> Self {
        let first = streams.first().map_or(0, |s| s.first_doc);
        let end = streams
            .last()
            .map_or(0, |s| s.first_doc + s.n_docs() as u64);
        Part {
            streams,
            docs: first..end,
            uni_col,
        }
    }

    /// Each document, as its stream and its index there.
    fn rows(&self) -> impl Iterator<Item = (&'a Streams, usize)> + 'a {
        self.streams
            .iter()
            .flat_map(|s| (0..s.n_docs()).map(move |d| (s, d)))
    }

    /// The part's documents in blocks whose entries (kept words and n-grams, at most `orders` per
    /// token) fit in [`BLOCK_ENTRIES`], or of one document where that alone does not.
    fn blocks(&self, orders: usize) -> Vec<Block> {
        #[allow(clippy::cast_possible_truncation)]
        let first = self.docs.start as usize;
        let mut blocks: Vec<Block> = Vec::new();
        let mut size = 0;
        for (doc, (s, d)) in (first..).zip(self.rows()) {
            let tokens: usize = s.doc_segment_ranges(d).map(|r| r.len()).sum();
            let words = if self.uni_col.is_some() {
                s.doc_unigrams(d).len()
            } else {
                0
            };
            let most = words + tokens * orders;
            if blocks.is_empty() || (size + most > BLOCK_ENTRIES && size > 0) {
                blocks.push(Block {
                    rows: doc..doc,
                    ..Block::default()
                });
                size = 0;
            }
            size += most;
            blocks.last_mut().expect("a block is open").rows.end = doc + 1;
        }
        blocks
    }

    /// Each row's kept words; fills in each block's (`blocks` are this part's).
    fn count_words(&self, blocks: &mut [Block]) -> Vec<u32> {
        #[allow(clippy::cast_possible_truncation)]
        let words: Vec<u32> = self
            .rows()
            .map(|(s, d)| self.kept_words(s, d) as u32)
            .collect();
        #[allow(clippy::cast_possible_truncation)]
        let first = self.docs.start as usize;
        for block in blocks {
            block.words = words[block.rows.start - first..block.rows.end - first]
                .iter()
                .map(|&w| w as usize)
                .sum();
        }
        words
    }

    /// How many of the words of document `d` of `s` have a column.
    fn kept_words(&self, s: &Streams, d: usize) -> usize {
        self.uni_col.map_or(0, |cols| {
            s.doc_unigrams(d)
                .iter()
                .filter(|&&(w, _)| cols[w as usize] != NONE)
                .count()
        })
    }
}

/// The rows of a part: column indices and counts.
struct Rows<'a> {
    ix: &'a mut [i32],
    dt: &'a mut [i64],
}

/// N-grams between checks for a cancel while building a matrix.
const CHECK_EVERY: usize = 1 << 16;

/// Row entries per block when placing n-grams in rows: 12 bytes each, some 200 KB a block. The unit
/// tests' small corpora use small blocks, so that their rows span many.
const BLOCK_ENTRIES: usize = if cfg!(test) { 64 } else { 1 << 14 };

/// Fills the front of a row (`ix`, `dt`; its n-grams already at its end) with its kept words (the
/// document's `unigrams` with a column in `cols`), merging them into column order; `words` is
/// scratch space.
fn merge_words(
    unigrams: &[(u32, u32)],
    cols: &[u32],
    words: &mut Vec<u64>,
    ix: &mut [i32],
    dt: &mut [i64],
) {
    words.clear();
    words.extend(unigrams.iter().filter_map(|&(w, count)| {
        let c = cols[w as usize];
        (c != NONE).then(|| entry(c, count))
    }));
    words.sort_unstable();
    // From the front: the row's n-grams sit behind the room left for its words, so the place written
    // next is never past the next n-gram to read; once the words run out, the rest of the n-grams are
    // in place.
    let (mut g, mut k) = (words.len(), 0);
    for &word in words.iter() {
        let (col, count) = ((word >> 32) as i32, (word & 0xFFFF_FFFF) as i64);
        while g < ix.len() && ix[g] < col {
            (ix[k], dt[k]) = (ix[g], dt[g]);
            (g, k) = (g + 1, k + 1);
        }
        (ix[k], dt[k]) = (col, count);
        k += 1;
    }
}

/// Bits of a key that place a window in its bucket in the first pass of the sort: 4096 buckets keep
/// a job's write positions within a core's cache, and leave buckets of a few thousand windows.
const BUCKET_BITS: u32 = 12;
// `first_word_buckets` holds a bucket in a u16.
const _: () = assert!(BUCKET_BITS <= u16::BITS);

/// Calls `f(key, document)` for every counted window of `streams`, in document order.
///
/// # Errors
/// The job was cancelled (checked between streams).
#[inline]
fn for_each_window(
    streams: &[Streams],
    p: &Packing<'_>,
    cancel: &Cancel,
    mut f: impl FnMut(u64, u64),
) -> Result<()> {
    let (lo, hi) = p.ngram_range;
    #[allow(clippy::cast_possible_truncation)]
    let hi32 = hi as u32;
    for s in streams {
        cancel.check()?;
        for d in 0..s.n_docs() {
            let doc = s.first_doc + d as u64;
            for seg in s.doc_segments(d) {
                for n in lo.max(2)..=hi {
                    if seg.len() < n {
                        break;
                    }
                    if n == 2 {
                        // Bigrams, by far the most common: each word's rank is read once, for the
                        // window it ends and the one it starts.
                        let low = p.bits * (hi32 - 2);
                        let mut prev = (seg[0], u64::from(p.rank[seg[0] as usize]) + 1);
                        for &w in &seg[1..] {
                            let r = u64::from(p.rank[w as usize]) + 1;
                            if is_counted(&[prev.0, w], p.word_stop, p.edges) {
                                f((prev.1 << p.bits | r) << low, doc);
                            }
                            prev = (w, r);
                        }
                    } else {
                        for w in seg.windows(n) {
                            if is_counted(w, p.word_stop, p.edges) {
                                f(packed_key(w, p.rank, p.bits, hi32), doc);
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Each word's bucket (see [`sorted_windows`]) as the first word of a window, where that alone
/// decides a window's bucket and every window counts: the bucket is the top [`BUCKET_BITS`] of the
/// key, which lie in the first word's field when a word takes at least that many bits, and no
/// window is skipped unless stop words are dropped at the edges.
fn first_word_buckets(p: &Packing<'_>) -> Option<Vec<u16>> {
    if p.edges || p.bits < BUCKET_BITS {
        return None;
    }
    let drop = p.bits - BUCKET_BITS;
    #[allow(clippy::cast_possible_truncation)]
    Some(p.rank.iter().map(|&r| ((r + 1) >> drop) as u16).collect())
}

/// The number of counted windows of `streams` in each of `n_buckets` buckets (the key shifted right
/// by `shift`). With `first_bucket` (see [`first_word_buckets`]), a token adds the windows it starts
/// to its word's bucket, without building their keys: for the bigrams of the shared corpora, 29 ms
/// where building every window's key took 45 ms (one thread, `examples/count_corpus`).
///
/// # Errors
/// The job was cancelled (checked between streams).
fn bucket_sizes(
    streams: &[Streams],
    p: &Packing<'_>,
    shift: u32,
    n_buckets: usize,
    first_bucket: Option<&[u16]>,
    cancel: &Cancel,
) -> Result<Vec<usize>> {
    let mut hist = vec![0usize; n_buckets];
    let Some(bucket) = first_bucket else {
        #[allow(clippy::cast_possible_truncation)]
        for_each_window(streams, p, cancel, |key, _| {
            hist[(key >> shift) as usize] += 1;
        })?;
        return Ok(hist);
    };
    let (lo, hi) = (p.ngram_range.0.max(2), p.ngram_range.1);
    for s in streams {
        cancel.check()?;
        for d in 0..s.n_docs() {
            for seg in s.doc_segments(d) {
                // Windows of every length in lo..=hi that end inside the segment.
                for (i, &w) in seg.iter().enumerate() {
                    let longest = (seg.len() - i).min(hi);
                    if longest >= lo {
                        hist[usize::from(bucket[w as usize])] += longest + 1 - lo;
                    }
                }
            }
        }
    }
    Ok(hist)
}

/// Every counted window of `streams`, as `key << doc_bits | document`, sorted by key, documents
/// ascending within a key.
///
/// A most-significant-digit radix sort whose first pass is fused with writing the windows: parts of
/// the streams count their windows per bucket (the top [`BUCKET_BITS`] of the key), then write each
/// straight into its bucket, every part to its own stretch of each bucket, in document order. Each
/// bucket, small enough for a core's cache, is then sorted on the rest of its keys, stably.
fn sorted_windows(
    streams: &[Streams],
    p: &Packing<'_>,
    doc_bits: u32,
    pool: &ThreadPool,
    cancel: &Cancel,
) -> Result<(Vec<u64>, Runs)> {
    #[allow(clippy::cast_possible_truncation)]
    let key_bits = p.bits * p.ngram_range.1 as u32;
    let shift = key_bits.saturating_sub(BUCKET_BITS);
    let n_buckets = 1usize << (key_bits - shift);
    let lens: Vec<usize> = streams.iter().map(|s| s.ids.len()).collect();
    let parts: Vec<&[Streams]> =
        balanced_ranges(&lens, pool.current_num_threads() * JOBS_PER_THREAD)
            .into_iter()
            .map(|r| &streams[r])
            .collect();
    let first_bucket = first_word_buckets(p);
    let hists: Vec<Vec<usize>> = pool.install(|| {
        parts
            .par_iter()
            .with_max_len(1)
            .map(|part| bucket_sizes(part, p, shift, n_buckets, first_bucket.as_deref(), cancel))
            .collect::<Result<_>>()
    })?;
    let (mut starts, mut bucket_ends) =
        (Vec::with_capacity(n_buckets), Vec::with_capacity(n_buckets));
    let mut at = 0;
    for b in 0..n_buckets {
        starts.push(at);
        at += hists.iter().map(|hist| hist[b]).sum::<usize>();
        bucket_ends.push(at);
    }
    let (mut cursors, ends) = stretches(starts, &hists);
    drop(hists);
    let mut items = vec![0u64; at];
    {
        let out = Scatter::new(&mut items);
        pool.install(|| {
            parts
                .par_iter()
                .zip(cursors.par_iter_mut())
                .zip(&ends)
                .with_max_len(1)
                .try_for_each(|((part, cursor), ends)| {
                    for_each_window(part, p, cancel, |key, doc| {
                        #[allow(clippy::cast_possible_truncation)]
                        let b = (key >> shift) as usize;
                        out.write(cursor[b], ends[b], key << doc_bits | doc);
                        cursor[b] += 1;
                    })
                })
        })?;
    }
    cancel.check()?;
    let mut buckets = Vec::with_capacity(n_buckets);
    let mut rest = items.as_mut_slice();
    let mut from = 0;
    for &end in &bucket_ends {
        let bucket = take_front(&mut rest, end - from);
        buckets.push(bucket);
        from = end;
    }
    // Each bucket sorted, with its number of distinct keys; then each bucket's runs written straight
    // into its own stretch of the whole. (Collecting each bucket's runs and joining them afterwards
    // copied 25 MB on one thread while the other waited, for the 1.3 million bigrams of the shared
    // corpora.)
    let distinct: Vec<usize> = pool.install(|| {
        buckets
            .into_par_iter()
            .map_init(Vec::new, |scratch, bucket| {
                scratch.resize(bucket.len(), 0);
                let scratch = &mut scratch[..bucket.len()];
                // Within a bucket only the key's low `shift` bits differ: the sort reads no others.
                radix::sort_low_bits(bucket, scratch, |x| x >> doc_bits, shift);
                bucket
                    .iter()
                    .enumerate()
                    .filter(|&(i, &x)| i == 0 || (bucket[i - 1] ^ x) >> doc_bits != 0)
                    .count()
            })
            .collect()
    });
    cancel.check()?;
    let runs = bucket_runs(&items, &bucket_ends, &distinct, doc_bits, pool);
    Ok((items, runs))
}

/// The runs of every bucket of the sorted `items` (bucket `b` ends at `bucket_ends[b]` and holds
/// `distinct[b]` distinct keys), each bucket's written by a job of its own to its own stretch.
fn bucket_runs(
    items: &[u64],
    bucket_ends: &[usize],
    distinct: &[usize],
    doc_bits: u32,
    pool: &ThreadPool,
) -> Runs {
    let n: usize = distinct.iter().sum();
    let mut all = Runs {
        starts: vec![0; n + 1],
        keys: vec![0; n],
        dfs: vec![0; n],
    };
    all.starts[n] = items.len();
    let mut jobs = Vec::with_capacity(bucket_ends.len());
    let (mut starts, mut keys, mut dfs) =
        (&mut all.starts[..n], &mut all.keys[..], &mut all.dfs[..]);
    let mut from = 0;
    for (&end, &len) in bucket_ends.iter().zip(distinct) {
        let starts_here = take_front(&mut starts, len);
        let keys_here = take_front(&mut keys, len);
        let dfs_here = take_front(&mut dfs, len);
        jobs.push((from, &items[from..end], starts_here, keys_here, dfs_here));
        from = end;
    }
    pool.install(|| {
        jobs.into_par_iter()
            .for_each(|(first, bucket, starts, keys, dfs)| {
                runs(bucket, first, doc_bits, starts, keys, dfs);
            });
    });
    all
}

/// Writes where each distinct key of the sorted `items` starts (offset by `first`, their place in all
/// the items) to `starts`, the key to `keys`, and how many documents its windows hold to `dfs`; each
/// is as long as there are distinct keys.
fn runs(
    items: &[u64],
    first: usize,
    doc_bits: u32,
    starts: &mut [usize],
    keys: &mut [u64],
    dfs: &mut [u32],
) {
    let mut r = 0;
    let mut prev: Option<(u64, u64)> = None;
    for (i, &x) in items.iter().enumerate() {
        let (k, doc) = (x >> doc_bits, x ^ (x >> doc_bits << doc_bits));
        match prev {
            Some((pk, pd)) if pk == k => {
                dfs[r - 1] += u32::from(pd != doc);
            }
            _ => {
                starts[r] = first + i;
                keys[r] = k;
                dfs[r] = 1;
                r += 1;
            }
        }
        prev = Some((k, doc));
    }
    debug_assert_eq!(r, keys.len());
}

/// The distinct keys of sorted windows: where each one's windows start, the key, and how many
/// documents its windows hold.
#[derive(Debug, Default)]
pub(super) struct Runs {
    pub starts: Vec<usize>,
    pub keys: Vec<u64>,
    pub dfs: Vec<u32>,
}

/// Where jobs write their entries into shared destinations (buckets, blocks), each to a stretch of its
/// own: job `j` writes `counts[j][d]` entries to destination `d`, whose space begins at `starts[d]`, from
/// `cursors[j][d]` up to `ends[j][d]`, after the earlier jobs' entries. Returns `(cursors, ends)`.
fn stretches(starts: Vec<usize>, counts: &[Vec<usize>]) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut next = starts;
    let mut cursors = Vec::with_capacity(counts.len());
    for n in counts {
        cursors.push(next.clone());
        next.iter_mut().zip(n).for_each(|(at, n)| *at += n);
    }
    let ends = (0..cursors.len())
        .map(|j| cursors.get(j + 1).unwrap_or(&next).clone())
        .collect();
    (cursors, ends)
}

/// A slice that parallel jobs write at positions each owns alone.
struct Scatter<'a, T> {
    ptr: *mut T,
    _slice: std::marker::PhantomData<&'a mut [T]>,
    len: usize,
}

// SAFETY: jobs write through `Scatter::write` only below the end of a stretch they own (checked).
unsafe impl<T: Send> Sync for Scatter<'_, T> {}

impl<'a, T> Scatter<'a, T> {
    fn new(slice: &'a mut [T]) -> Self {
        Scatter {
            ptr: slice.as_mut_ptr(),
            _slice: std::marker::PhantomData,
            len: slice.len(),
        }
    }

    /// Writes `value` at `at`, inside a caller's own stretch that ends at `end`.
    #[inline]
    fn write(&self, at: usize, end: usize, value: T) {
        assert!(at < end && end <= self.len, "a write left its stretch");
        // SAFETY: `at` is in bounds, and inside the stretch ending at `end`, which only the caller
        // writes: the stretches of a pass are disjoint (see `sorted_windows`, `SortedGrams::matrix`).
        unsafe { self.ptr.add(at).write(value) }
    }

    /// Writes `value` here and `also` in `other` at `at`, inside a caller's own stretch ending at
    /// `end` in both: one check for the two writes.
    #[inline]
    fn write_with<U>(&self, other: &Scatter<'_, U>, at: usize, end: usize, value: T, also: U) {
        assert!(
            at < end && end <= self.len && end <= other.len,
            "a write left its stretch"
        );
        // SAFETY: as for `write`, in both slices.
        unsafe {
            self.ptr.add(at).write(value);
            other.ptr.add(at).write(also);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{doc_bits, fits};
    use crate::parallel::Cancel;
    use crate::terms::{CountConfig, Counter, Features, NgramStopWords};
    use crate::tokenize::{TokenizerConfig, WordTokenizerConfig};

    /// A pseudo-random number source seeded by `seed`.
    fn random(seed: u64) -> impl FnMut() -> usize {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize
        }
    }

    /// Documents over a small vocabulary, so n-grams repeat within and across documents; some empty,
    /// some a single word, some with sentence breaks.
    fn corpus(n_docs: usize, seed: u64) -> Vec<String> {
        const WORDS: &[&str] = &[
            "the", "of", "bank", "England", "rates", "rose", "Zürich", "talks", "on", "Monday",
            "東京", "deal", "a", "and", "New", "York", "Yorker", "new",
        ];
        let mut next = random(seed);
        (0..n_docs)
            .map(|_| {
                let len = match next() % 10 {
                    0 => 0,
                    1 => 1,
                    _ => next() % 40,
                };
                let mut doc = String::new();
                for _ in 0..len {
                    let sep = if next() % 9 == 0 { ". " } else { " " };
                    doc.push_str(WORDS[next() % WORDS.len()]);
                    doc.push_str(sep);
                }
                doc
            })
            .collect()
    }

    fn configs() -> Vec<CountConfig> {
        let word = TokenizerConfig::Word(WordTokenizerConfig::default());
        let stops = vec!["a".into(), "and".into(), "of".into(), "the".into()];
        vec![
            CountConfig {
                ngram_range: (1, 2),
                ..CountConfig::default()
            },
            CountConfig {
                ngram_range: (2, 3),
                stop_words: stops.clone(),
                ..CountConfig::default()
            },
            CountConfig {
                tokenizer: word.clone(),
                ngram_range: (1, 3),
                cross_sentences: false,
                stop_words: stops.clone(),
                ngram_stop_words: NgramStopWords::Edges,
            },
            CountConfig {
                tokenizer: word,
                ngram_range: (1, 4),
                cross_sentences: false,
                stop_words: stops,
                ngram_stop_words: NgramStopWords::Keep,
            },
        ]
    }

    /// A counter that keeps rows, fed `docs` in batches of `batch`.
    fn counter(config: &CountConfig, docs: &[String], threads: usize, batch: usize) -> Counter {
        let mut c = Counter::new(config.clone(), Some(threads), true).unwrap();
        for chunk in docs.chunks(batch) {
            c.update(chunk, &Cancel::new()).unwrap();
        }
        c
    }

    /// `docs` counted by sorting and by the tables, with the features of each.
    fn both_ways(
        config: &CountConfig,
        docs: &[String],
        threads: usize,
        batch: usize,
    ) -> (Counter, Counter, Features, Features) {
        let mut sorted = counter(config, docs, threads, batch);
        let mut tabled = counter(config, docs, threads, batch);
        tabled.sort_kept = false;
        let cancel = Cancel::new();
        let a = sorted.features(&cancel).unwrap();
        let b = tabled.features(&cancel).unwrap();
        (sorted, tabled, a, b)
    }

    /// Asserts that both ways give the same counts, document frequencies and matrix of every
    /// feature.
    fn assert_agree(both: &mut (Counter, Counter, Features, Features), context: &str) {
        let (sorted, tabled, a, b) = both;
        assert_eq!((a.counts(), a.dfs()), (b.counts(), b.dfs()), "{context}");
        let all: Vec<usize> = (0..a.len()).collect();
        let cancel = Cancel::new();
        assert_eq!(
            sorted.matrix(a, &all, &cancel).unwrap(),
            tabled.matrix(b, &all, &cancel).unwrap(),
            "{context}"
        );
    }

    #[test]
    fn sorting_counts_what_the_tables_count() {
        let docs = corpus(400, 5);
        for config in configs() {
            for (threads, batch) in [(1, 400), (3, 37)] {
                let (mut sorted, mut tabled, a, b) = both_ways(&config, &docs, threads, batch);
                let cancel = Cancel::new();
                assert!(a.counted_by_sorting() && !b.counted_by_sorting());
                assert_eq!(a.counts(), b.counts(), "{config:?}");
                assert_eq!(a.dfs(), b.dfs(), "{config:?}");
                let all: Vec<usize> = (0..a.len()).collect();
                let some: Vec<usize> = (0..a.len()).filter(|i| i % 3 != 1).collect();
                // Stretches of the features that parts of `keep` split unevenly between them.
                let head: Vec<usize> = (0..a.len() / 5).collect();
                let tail: Vec<usize> = (a.len() - 7..a.len()).collect();
                let sparse: Vec<usize> = (0..a.len()).step_by(97).collect();
                // Every n-gram, with none or some of the words.
                let grams: Vec<usize> = (0..a.len()).filter(|&i| !a.is_word(i)).collect();
                let grams_some_words: Vec<usize> = (0..a.len())
                    .filter(|&i| !a.is_word(i) || i % 2 == 0)
                    .collect();
                for keep in [
                    &all,
                    &some,
                    &head,
                    &tail,
                    &sparse,
                    &Vec::new(),
                    &grams,
                    &grams_some_words,
                ] {
                    assert_eq!(
                        sorted.feature_names(&a, keep).unwrap(),
                        tabled.feature_names(&b, keep).unwrap()
                    );
                    assert_eq!(
                        sorted.matrix(&a, keep, &cancel).unwrap(),
                        tabled.matrix(&b, keep, &cancel).unwrap(),
                        "{config:?} threads {threads} batch {batch}"
                    );
                }
                // Results asked for after sorting count the kept rows into the tables.
                assert_eq!(
                    sorted.stats(crate::terms::Pruning::default()).unwrap(),
                    tabled.stats(crate::terms::Pruning::default()).unwrap()
                );
            }
        }
    }

    #[test]
    fn odd_corpora_sort_too() {
        let config = &configs()[0];
        for docs in [
            vec!["one".to_owned()],
            vec!["just words".to_owned()],
            vec![String::new(), "a b".into(), String::new()],
            vec!["x".to_owned(); 5],
        ] {
            assert_agree(&mut both_ways(config, &docs, 2, 2), &format!("{docs:?}"));
        }
    }

    /// A vocabulary of over 4,096 words gives each word 13 bits of key or more, so that a window's
    /// bucket is its first word's (see `first_word_buckets`) wherever no window is skipped.
    #[test]
    fn large_vocabularies_sort_as_the_tables_count() {
        let mut next = random(11);
        let docs: Vec<String> = (0..300)
            .map(|_| {
                (0..next() % 60)
                    .map(|_| match next() % 8 {
                        0 => "the".to_owned(),
                        1 => "of. and".to_owned(),
                        _ => format!("w{}", next() % 12_000),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let stops = vec!["and".into(), "of".into(), "the".into()];
        for (ngram_range, ngram_stop_words) in [
            ((1, 2), NgramStopWords::Remove),
            ((2, 3), NgramStopWords::Keep),
            ((1, 3), NgramStopWords::Edges),
        ] {
            let config = CountConfig {
                ngram_range,
                stop_words: stops.clone(),
                ngram_stop_words,
                cross_sentences: false,
                tokenizer: TokenizerConfig::Word(WordTokenizerConfig::default()),
            };
            for (threads, batch) in [(1, 300), (2, 41)] {
                let mut both = both_ways(&config, &docs, threads, batch);
                let a = &both.2;
                assert!(a.counted_by_sorting());
                if ngram_range.0 == 1 {
                    assert!((0..a.len()).filter(|&i| a.is_word(i)).count() > 4096);
                }
                assert_agree(
                    &mut both,
                    &format!("{config:?} threads {threads} batch {batch}"),
                );
            }
        }
    }

    #[test]
    fn a_cancelled_sort_is_an_error() {
        let docs = corpus(50, 9);
        let mut c = counter(&configs()[0], &docs, 2, 50);
        let cancel = Cancel::new();
        cancel.cancel();
        assert!(c.features(&cancel).is_err());
    }

    #[test]
    fn document_numbers_take_only_the_bits_they_need() {
        assert_eq!(doc_bits(0), 0);
        assert_eq!(doc_bits(1), 0);
        assert_eq!(doc_bits(2), 1);
        assert_eq!(doc_bits(1 << 20), 20);
        assert_eq!(doc_bits((1 << 20) + 1), 21);
        assert!(fits(64, 1));
        assert!(!fits(64, 2));
        assert!(fits(44, 1 << 20));
        assert!(!fits(45, 1 << 20));
    }
}
