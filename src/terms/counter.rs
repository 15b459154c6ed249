//! The counting engine: a streaming map-reduce over batches of documents.
//!
//! Each batch runs in three steps. (1) Chunks of documents are tokenized in parallel; each chunk interns its
//! words in a local table and counts unigrams there, so threads share nothing. (2) The local tables are
//! merged into the corpus vocabulary, which renumbers every chunk's token ids. (3) N-grams are counted
//! from the id streams by shards: each thread owns the n-grams whose hash falls in its shard, reads every
//! stream, and never meets another thread's keys, so no table is ever merged or locked. Results are
//! sorted at the end, which makes them independent of thread count, chunking and batch size.
//!
//! A counter that keeps its documents' rows, for a document-term matrix, skips step (3): when the
//! features are asked for, it sorts every window instead ([`SortedGrams`]), which reads and writes
//! memory in order where the tables miss the caches once per window. Where a window's key and its
//! document's number do not fit in 64 bits together, it counts the kept windows into the tables then.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use rayon::ThreadPool;
use rayon::prelude::*;
use std::sync::{Mutex, PoisonError};

use super::analyzer::{Analyzer, Streams};
use super::chunk::{Chunk, FRESH, Slot, count_chunk};
use super::config::{CountConfig, NgramStopWords, Pruning};
use super::matrix::{Columns, Csr, NONE, build_rows, entry};
use super::radix;
use super::shards::ShardJob;
use super::sorted_grams::{self, Packing, SortedGrams};
use super::word_index::WordIndex;
use super::words::{MAX_WORDS, Seed, WordCount, WordTable};
use crate::error::{Error, Result};
use crate::ngrams::NgramTable;
use crate::parallel::{Cancel, JOBS_PER_THREAD, pool, resolve_threads, run_chunks, take_front};
use crate::stats::{CorpusStats, TermTable};

/// The most text counted in one step of [`Counter::update`]: it keeps every per-batch count and
/// position below 2^32.
const MAX_BATCH_BYTES: usize = 1 << 30;

/// Counts terms and n-grams over documents fed in batches.
///
/// ```
/// use newstally::terms::{Counter, CountConfig};
/// use newstally::parallel::Cancel;
/// let config = CountConfig { ngram_range: (1, 2), ..CountConfig::default() };
/// let mut counter = Counter::new(config, Some(2), false).unwrap();
/// counter.update(&["The cat sat.", "The cat ran."], &Cancel::new()).unwrap();
/// let stats = counter.stats(Default::default()).unwrap();
/// let bigrams = stats.table(2).unwrap();
/// assert_eq!(bigrams.term(bigrams.position("the cat").unwrap()), "the cat");
/// assert_eq!(bigrams.count(bigrams.position("the cat").unwrap()), 2);
/// ```
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent settings and states, not a mode in disguise"
)]
pub struct Counter {
    analyzer: Analyzer,
    threads: usize,
    /// Set when a run was cancelled part-way: the counts are then incomplete and the counter refuses work.
    interrupted: bool,
    keep_rows: bool,
    /// The corpus vocabulary, shared read-only by the threads during a batch.
    index: WordIndex,
    /// Whether every word is non-empty and free of bytes <= 0x20, so that comparing n-grams as tuples of
    /// word ranks orders them exactly as their space-joined strings.
    plain_words: bool,
    uni_count: Vec<u64>,
    /// Documents are fewer than 2^32 (see [`Counter::update`]), so document frequencies fit 32 bits.
    uni_df: Vec<u32>,
    /// One per thread: a chunk uses the slot of the thread that runs it, so each slot learns the
    /// vocabulary once rather than once per chunk.
    slots: Vec<Mutex<Slot>>,
    /// `shards[s][n - first]`: the n-grams of length `n` owned by shard `s`.
    shards: Vec<Vec<NgramTable>>,
    n_documents: u64,
    n_tokens: u64,
    rows: Vec<Streams>,
    /// With `keep_rows`, n-grams are not counted as batches arrive but when results are asked for:
    /// by sorting the kept windows ([`SortedGrams`]) where they pack, else into `shards`. The kept
    /// streams before this one are in `shards` already.
    counted_rows: usize,
    /// Whether n-grams of kept rows may be counted by sorting (tests turn it off to compare the ways).
    pub(super) sort_kept: bool,
    /// The rows and what only counting needs were dropped ([`Counter::release_rows`]).
    released: bool,
}

impl Counter {
    /// A counter for `config` on `threads` threads (`None`: `NEWSTALLY_NUM_THREADS`, else all cores).
    /// With `keep_rows` it also keeps each document's token ids, for [`Counter::matrix`].
    ///
    /// # Errors
    /// An invalid config or thread count.
    pub fn new(config: CountConfig, threads: Option<usize>, keep_rows: bool) -> Result<Self> {
        let analyzer = Analyzer::new(config)?;
        let threads = resolve_threads(threads)?;
        let (lo, hi) = analyzer.config.ngram_range;
        let shards = (0..threads)
            .map(|_| (lo.max(2)..=hi).map(NgramTable::new).collect())
            .collect();
        let seed = Seed::random();
        Ok(Counter {
            analyzer,
            interrupted: false,
            threads,
            keep_rows,
            index: WordIndex::new(seed),
            plain_words: true,
            uni_count: Vec::new(),
            uni_df: Vec::new(),
            slots: (0..threads).map(|_| Mutex::new(Slot::new(seed))).collect(),
            shards,
            n_documents: 0,
            n_tokens: 0,
            rows: Vec::new(),
            counted_rows: 0,
            sort_kept: true,
            released: false,
        })
    }

    /// The settings in force.
    pub fn config(&self) -> &CountConfig {
        &self.analyzer.config
    }

    /// Documents counted so far.
    pub fn n_documents(&self) -> u64 {
        self.n_documents
    }

    /// Tokens seen so far, stop words included.
    pub fn n_tokens(&self) -> u64 {
        self.n_tokens
    }

    /// Counts a batch of documents.
    ///
    /// # Errors
    /// The job was cancelled (the counter is then unchanged), or the corpus outgrew 2^32 documents.
    pub fn update<S: AsRef<str> + Sync>(&mut self, docs: &[S], cancel: &Cancel) -> Result<()> {
        self.check_usable()?;
        if docs.is_empty() {
            return Ok(());
        }
        // Per-batch counts, positions and tags are 32-bit: a batch of more text is counted in parts,
        // and a single document must stay below 2 GiB, so that even a token per byte counts below
        // 2^31.
        if let Some(i) = docs
            .iter()
            .position(|d| d.as_ref().len() > i32::MAX as usize)
        {
            return Err(Error::TooLarge(format!(
                "document {} is larger than 2 GiB; split it",
                self.n_documents + i as u64
            )));
        }
        let bytes: usize = docs.iter().map(|d| d.as_ref().len()).sum();
        if bytes > MAX_BATCH_BYTES && docs.len() > 1 {
            let (a, b) = docs.split_at(docs.len() / 2);
            self.update(a, cancel)?;
            return self.update(b, cancel);
        }
        let first_doc = self.n_documents;
        if first_doc + docs.len() as u64 > u64::from(u32::MAX) {
            return Err(Error::TooLarge(
                "more than 4294967295 documents in one result; count in parts and merge".into(),
            ));
        }
        let (lo, hi) = self.analyzer.config.ngram_range;
        // Token ids are only needed to form n-grams: matrix rows take unigrams from per-document lists.
        let need_streams = hi >= 2;
        let unigram_rows = self.keep_rows && lo == 1;
        let lens: Vec<usize> = docs.iter().map(|d| d.as_ref().len()).collect();
        let pool = pool(self.threads)?;
        let n_words = self.index.len();
        for slot in self.slots_mut() {
            slot.counts.resize(n_words, WordCount::default());
            slot.tag = 0;
        }
        let Counter {
            analyzer,
            index,
            slots,
            ..
        } = self;
        let chunks: Result<Vec<Chunk>> = run_chunks(&pool, &lens, |range| {
            // A chunk runs start to end on one thread, so its slot is never contended.
            let s = rayon::current_thread_index().unwrap_or(0) % slots.len();
            let mut slot = slots[s].lock().unwrap_or_else(PoisonError::into_inner);
            let mut chunk = count_chunk(
                analyzer,
                index,
                &mut slot,
                &docs[range],
                need_streams,
                unigram_rows,
                cancel,
            )?;
            chunk.slot = s;
            Ok(chunk)
        });
        let fresh: usize = self.slots_mut().map(|s| s.fresh.len()).sum();
        let chunks = chunks.and_then(|c| {
            if self.index.len() + fresh > MAX_WORDS {
                return Err(Error::TooLarge(format!(
                    "more than {MAX_WORDS} distinct words in one result; count in parts and merge"
                )));
            }
            Ok(c)
        });
        let mut chunks = match chunks {
            Ok(c) => c,
            Err(e) => {
                self.slots_mut().for_each(Slot::discard_batch);
                return Err(e);
            }
        };
        let mut next_doc = first_doc;
        for c in &mut chunks {
            c.streams.first_doc = next_doc;
            next_doc += c.streams.n_docs() as u64;
        }
        // From here on the counter changes: a cancel leaves it marked as interrupted.
        let mut streams = self.absorb(chunks, &pool);
        if hi >= 2 && !self.keep_rows {
            self.count_ngrams(&mut streams, &pool, cancel)?;
        }
        self.n_documents = next_doc;
        if self.keep_rows {
            self.rows.extend(streams);
        }
        Ok(())
    }

    fn slots_mut(&mut self) -> impl Iterator<Item = &mut Slot> {
        self.slots
            .iter_mut()
            .map(|s| s.get_mut().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds the slots' new words to the corpus vocabulary and their batch counts to the corpus counts,
    /// and turns the chunks' local ids into corpus ids.
    fn absorb(&mut self, chunks: Vec<Chunk>, pool: &ThreadPool) -> Vec<Streams> {
        let Counter {
            index,
            plain_words,
            uni_count,
            uni_df,
            slots,
            n_tokens,
            ..
        } = self;
        let slots: Vec<&mut Slot> = slots
            .iter_mut()
            .map(|s| s.get_mut().unwrap_or_else(PoisonError::into_inner))
            .collect();
        // The new words number at least the most any slot met and at most their sum. Room for the sum
        // (capped, as many threads meet mostly the same words) spares the index a rehash at each
        // doubling: a millisecond of a unigram fit, with the other threads idle.
        let (sum, max) = slots.iter().fold((0, 0), |(sum, max), s| {
            (sum + s.fresh.len(), max.max(s.fresh.len()))
        });
        let room = sum.min(2 * max);
        index.reserve(room);
        uni_count.reserve(room);
        uni_df.reserve(room);
        for slot in slots {
            slot.fresh_ids.clear();
            // The next batch's fresh words are few: the table of this one's is not kept.
            let seed = slot.fresh.seed();
            let fresh = std::mem::replace(&mut slot.fresh, WordTable::new(seed));
            for (key, text, e) in fresh.words() {
                let word = text.as_bytes();
                let (id, new) = index.find_or_insert(key, word, e.is_stop());
                if new {
                    *plain_words &= !word.is_empty() && word.iter().all(|&b| b > b' ');
                    uni_count.push(0);
                    uni_df.push(0);
                }
                slot.fresh_ids.push(id);
                uni_count[id as usize] += u64::from(e.counts.count);
                uni_df[id as usize] += e.counts.df;
            }
            for &id in &slot.touched {
                let c = &mut slot.counts[id as usize];
                uni_count[id as usize] += u64::from(c.count);
                uni_df[id as usize] += c.df;
                *c = WordCount::default();
            }
            slot.touched.clear();
        }
        *n_tokens += chunks.iter().map(|c| c.n_tokens).sum::<u64>();
        let slots: Vec<&Slot> = self
            .slots
            .iter_mut()
            .map(|s| &*s.get_mut().unwrap_or_else(PoisonError::into_inner))
            .collect();
        pool.install(|| {
            chunks
                .into_par_iter()
                .map(|mut c| {
                    let fresh = &slots[c.slot].fresh_ids;
                    let corpus_id = |id: u32| {
                        if id & FRESH == 0 {
                            id
                        } else {
                            fresh[(id & !FRESH) as usize]
                        }
                    };
                    c.streams.ids.iter_mut().for_each(|id| *id = corpus_id(*id));
                    c.streams
                        .uni
                        .iter_mut()
                        .for_each(|(id, _)| *id = corpus_id(*id));
                    c.streams
                })
                .collect()
        })
    }

    fn count_ngrams(
        &mut self,
        streams: &mut [Streams],
        pool: &ThreadPool,
        cancel: &Cancel,
    ) -> Result<()> {
        let Counter {
            shards,
            index,
            analyzer,
            keep_rows,
            ..
        } = self;
        let edges = analyzer.config.ngram_stop_words == NgramStopWords::Edges;
        let n_shards = shards.len();
        let n_tables = shards.first().map_or(0, Vec::len);
        if *keep_rows {
            pool.install(|| {
                streams.par_iter_mut().for_each(|s| {
                    s.grams = (0..n_tables)
                        .map(|_| (0..s.ids.len()).map(|_| AtomicU32::new(NONE)).collect())
                        .collect();
                });
            });
        }
        let job = ShardJob {
            streams,
            word_stop: index.stop_flags(),
            edges,
            record: *keep_rows,
            n_shards,
            cancel,
            overflow: AtomicBool::new(false),
        };
        pool.install(|| {
            shards
                .par_iter_mut()
                .with_max_len(1)
                .enumerate()
                .for_each(|(shard, tables)| job.count(shard, tables));
        });
        let overflow = job.overflow.load(Ordering::Relaxed);
        if cancel.is_cancelled() {
            self.interrupted = true;
            return Err(Error::Interrupted);
        }
        if overflow {
            return Err(Error::TooLarge(
                "too many distinct n-grams for a document-term matrix (2^32)".into(),
            ));
        }
        Ok(())
    }

    /// Counts the n-grams of the kept streams not yet in the shard tables (see `counted_rows`).
    fn count_kept_ngrams(&mut self, pool: &ThreadPool, cancel: &Cancel) -> Result<()> {
        if self.analyzer.config.ngram_range.1 < 2 || self.counted_rows == self.rows.len() {
            return Ok(());
        }
        let mut rows = std::mem::take(&mut self.rows);
        let counted = self.count_ngrams(&mut rows[self.counted_rows..], pool, cancel);
        self.rows = rows;
        counted?;
        self.counted_rows = self.rows.len();
        Ok(())
    }

    fn check_usable(&self) -> Result<()> {
        if self.interrupted {
            return Err(Error::config(
                "counter",
                "a run on this counter was interrupted, so its counts are incomplete; start a new one",
            ));
        }
        if self.released {
            return Err(Error::config(
                "counter",
                "this counter's document rows were released after its matrix was built; it can \
                 only name the features it computed",
            ));
        }
        Ok(())
    }

    /// Drops the kept rows and what only counting needs (the threads' slots, the word index's lookup
    /// table, the sorted windows of `features`), keeping what names the features: for a vectorizer
    /// whose matrix is built, these were most of the memory it held. Everything but naming features
    /// fails afterwards.
    pub fn release_rows(&mut self, features: Option<&mut Features>) {
        self.drop_counting_state();
        if let Some(f) = features {
            f.grams = None;
        }
        self.released = true;
    }

    /// Frees what only counting and matrices need: the kept rows, the threads' slots and the word
    /// index's lookup table (its words stay, to name results).
    fn drop_counting_state(&mut self) {
        self.rows = Vec::new();
        self.slots = Vec::new();
        self.index.release_index();
    }

    /// Word ids in term order, and (`with_rank`; else empty) each word's position in that order.
    fn word_order(&self, pool: &ThreadPool, with_rank: bool) -> (Vec<u32>, Vec<u32>) {
        let index = &self.index;
        // Words sort by their first 8 bytes as a big-endian integer (zero-padded, so a prefix comes
        // first, as in bytewise order); only ties compare the whole text. Sixteen bytes a word, at a
        // run's peak of memory.
        #[allow(clippy::cast_possible_truncation)]
        let mut keyed: Vec<(u64, u32)> = pool.install(|| {
            (0..index.len() as u32)
                .into_par_iter()
                .map(|i| {
                    let w = index.word(i);
                    let mut head = [0u8; 8];
                    let n = w.len().min(8);
                    head[..n].copy_from_slice(&w.as_bytes()[..n]);
                    (u64::from_be_bytes(head), i)
                })
                .collect()
        });
        pool.install(|| {
            keyed.par_sort_unstable_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| index.word(a.1).as_bytes().cmp(index.word(b.1).as_bytes()))
            });
        });
        let order: Vec<u32> = keyed.into_iter().map(|k| k.1).collect();
        let mut rank = Vec::new();
        if with_rank {
            rank = vec![0u32; index.len()];
            for (r, &w) in order.iter().enumerate() {
                #[allow(clippy::cast_possible_truncation)]
                {
                    rank[w as usize] = r as u32;
                }
            }
        }
        (order, rank)
    }

    /// The words of feature `f`.
    #[inline]
    fn gram<'a>(&'a self, f: &'a Feature) -> &'a [u32] {
        debug_assert_ne!(
            f.table, SORTED,
            "sorted n-grams are named by their packed keys"
        );
        if f.table == NONE {
            std::slice::from_ref(&f.id)
        } else {
            let n = self.shards.len() as u32;
            self.shards[(f.id % n) as usize][f.table as usize].gram(f.id / n)
        }
    }

    /// Bytes of the feature's words joined by spaces, without building the string.
    fn joined_bytes<'a>(&'a self, gram: &'a [u32]) -> impl Iterator<Item = u8> + 'a {
        gram.iter().enumerate().flat_map(move |(i, &w)| {
            (i > 0).then_some(b' ').into_iter().chain({
                let word = self.index.word(w);
                (0..word.len()).map(move |i| word.as_bytes()[i])
            })
        })
    }

    /// Orders two features as their space-joined strings compare, bytewise.
    fn compare(&self, a: Feature, b: Feature, rank: &[u32]) -> std::cmp::Ordering {
        let (ga, gb) = (self.gram(&a), self.gram(&b));
        if self.plain_words {
            // With no word empty or holding a byte <= ' ', joined strings compare as their rank tuples:
            // at the first differing word, either the words differ inside both (same verdict) or one is a
            // prefix of the other, and then the shorter one meets ' ' (or its end) first in both orders.
            ga.iter()
                .map(|&w| rank[w as usize])
                .cmp(gb.iter().map(|&w| rank[w as usize]))
        } else {
            self.joined_bytes(ga).cmp(self.joined_bytes(gb))
        }
    }

    /// Bits per word when every feature packs into one `u64` of word ranks, or `None`.
    ///
    /// Each word is stored as rank + 1 in a field just wide enough for the vocabulary, first word
    /// highest, missing words as 0; integer order is then term order: a prefix sorts before its
    /// extensions, as its joined string does. Narrow fields leave the radix sort fewer bytes to pass
    /// over.
    fn pack_bits(&self) -> Option<u32> {
        let hi = self.analyzer.config.ngram_range.1 as u32;
        let bits = (u64::BITS - (self.index.len() as u64 + 1).leading_zeros()).max(1);
        (self.plain_words && bits * hi <= 64).then_some(bits)
    }

    #[inline]
    fn packed_key(&self, gram: &[u32], rank: &[u32], bits: u32) -> u64 {
        let hi = self.analyzer.config.ngram_range.1 as u32;
        sorted_grams::packed_key(gram, rank, bits, hi)
    }

    /// All features of the tables `orders` (`NONE`: unigrams) with their counts, unsorted, and with
    /// `packing` (ranks and bits) each one's packed key. Each table of each shard fills its own part of
    /// the lists, in parallel.
    fn counted(
        &self,
        orders: &[u32],
        packing: Option<(&[u32], u32)>,
        pool: &ThreadPool,
    ) -> (Vec<Counted>, Vec<u64>) {
        let n_shards = self.shards.len();
        // (shard, table) per part; the unigrams are `(0, NONE)`.
        let mut parts = Vec::new();
        for &t in orders {
            if t == NONE {
                let n = self.uni_count.iter().filter(|&&c| c > 0).count();
                parts.push((0, t, n));
            } else {
                for (s, tables) in self.shards.iter().enumerate() {
                    parts.push((s, t, tables[t as usize].len()));
                }
            }
        }
        let total = parts.iter().map(|p| p.2).sum();
        let mut items = vec![Counted::default(); total];
        let mut keys = vec![0u64; if packing.is_some() { total } else { 0 }];
        let mut jobs = Vec::with_capacity(parts.len());
        let (mut rest_items, mut rest_keys) = (items.as_mut_slice(), keys.as_mut_slice());
        for (s, t, n) in parts {
            let i = take_front(&mut rest_items, n);
            let keys_here = if packing.is_some() { n } else { 0 };
            let k = take_front(&mut rest_keys, keys_here);
            jobs.push((s, t, i, k));
        }
        pool.install(|| {
            jobs.into_par_iter()
                .with_max_len(1)
                .for_each(|(s, t, items, keys)| {
                    let mut at = 0;
                    let mut put = |f: Feature, gram: &[u32], count: u64, df: u64| {
                        items[at] = Counted { f, count, df };
                        if let Some((rank, bits)) = packing {
                            keys[at] = self.packed_key(gram, rank, bits);
                        }
                        at += 1;
                    };
                    if t == NONE {
                        for (w, (&count, &df)) in
                            self.uni_count.iter().zip(&self.uni_df).enumerate()
                        {
                            if count > 0 {
                                #[allow(clippy::cast_possible_truncation)]
                                let w = w as u32;
                                put(Feature { table: NONE, id: w }, &[w], count, u64::from(df));
                            }
                        }
                    } else {
                        self.shards[s][t as usize].for_each(|id, gram, count, df| {
                            #[allow(clippy::cast_possible_truncation)]
                            let id = (id as usize * n_shards + s) as u32;
                            put(Feature { table: t, id }, gram, count, df);
                        });
                    }
                });
        });
        (items, keys)
    }

    /// The order of items by packed key: `keys[i]` is item `i`'s key.
    fn sort_packed(keys: Vec<u64>, pool: &ThreadPool) -> Order {
        let index_bits = u64::BITS - (keys.len() as u64).leading_zeros();
        let key_bits = keys
            .iter()
            .max()
            .map_or(0, |k| u64::BITS - k.leading_zeros());
        #[allow(clippy::cast_possible_truncation)]
        if key_bits + index_bits <= 64 {
            // Key and index share one u64, index low: half the bytes to move per pass of a pair.
            let mut keyed: Vec<u64> = keys
                .into_iter()
                .enumerate()
                .map(|(i, k)| (k << index_bits) | i as u64)
                .collect();
            radix::sort_by(&mut keyed, |&x| x >> index_bits, pool);
            // The sorted keys stay: the terms are named from them, without their tables.
            Order::Keyed { keyed, index_bits }
        } else {
            let mut keyed: Vec<(u64, u32)> = keys
                .into_iter()
                .enumerate()
                .map(|(i, k)| (k, i as u32))
                .collect();
            radix::sort_by(&mut keyed, |k| k.0, pool);
            Order::Indices(keyed.into_iter().map(|k| k.1).collect())
        }
    }

    /// Features of each counted order with their counts, each list sorted by term; and the words in
    /// term order and their ranks ([`Counter::word_order`]).
    fn sorted_orders(&self, pool: &ThreadPool) -> (Vec<Sorted>, Vec<u32>, Vec<u32>) {
        let (lo, hi) = self.analyzer.config.ngram_range;
        let (order, rank) = self.word_order(pool, true);
        let mut out = Vec::new();
        if lo == 1 {
            out.push(self.unigram_features(&order));
        }
        #[allow(clippy::cast_possible_truncation)]
        for t in 0..(lo.max(2)..=hi).count() as u32 {
            out.push(self.sorted_table(t, &rank, pool));
        }
        (out, order, rank)
    }

    /// What names packed keys, when features are packed (`by_rank`: the words in term order).
    fn naming<'a>(&self, by_rank: &'a [u32]) -> Option<Naming<'a>> {
        self.pack_bits().map(|bits| Naming { bits, by_rank })
    }

    /// The n-grams of table `t` with their counts, sorted by term (`rank`: the words' ranks).
    fn sorted_table(&self, t: u32, rank: &[u32], pool: &ThreadPool) -> Sorted {
        let packing = self.pack_bits().map(|bits| (rank, bits));
        let (mut items, keys) = self.counted(&[t], packing, pool);
        if packing.is_some() {
            let order = Self::sort_packed(keys, pool);
            Sorted { items, order }
        } else {
            pool.install(|| items.par_sort_unstable_by(|a, b| self.compare(a.f, b.f, rank)));
            Sorted {
                items,
                order: Order::Items,
            }
        }
    }

    /// The counted words, in term order (`order` from [`Counter::word_order`]).
    fn unigram_features(&self, order: &[u32]) -> Sorted {
        let items = order
            .iter()
            .filter(|&&w| self.uni_count[w as usize] > 0)
            .map(|&w| Counted {
                f: Feature { table: NONE, id: w },
                count: self.uni_count[w as usize],
                df: u64::from(self.uni_df[w as usize]),
            })
            .collect();
        Sorted {
            items,
            order: Order::Items,
        }
    }

    /// Calls `f` with each word of the `k`-th feature of `sorted`, in order. With `naming`, a feature
    /// that has a packed key is read from it: consecutive terms share their first words, so this
    /// mostly hits the caches, where reading an n-gram's words from its table misses them per term.
    #[inline]
    fn for_each_word(
        &self,
        sorted: &Sorted,
        k: usize,
        naming: Option<Naming<'_>>,
        mut f: impl FnMut(u32),
    ) {
        if let (Some(naming), Some(key)) = (naming, sorted.packed_key(k)) {
            let hi = self.analyzer.config.ngram_range.1 as u32;
            let mask = (1u64 << naming.bits) - 1;
            for i in (0..hi).rev() {
                let field = (key >> (naming.bits * i)) & mask;
                if field == 0 {
                    break;
                }
                #[allow(clippy::cast_possible_truncation)]
                f(naming.by_rank[field as usize - 1]);
            }
        } else {
            self.gram(&sorted.get(k).f).iter().for_each(|&w| f(w));
        }
    }

    /// The table of `terms`, built in parallel.
    fn term_table(&self, terms: &SortedTerms<'_>, pool: &ThreadPool) -> TermTable {
        let (text, ends) = self.term_names(terms, pool);
        let n = terms.len();
        // Filled in place: a parallel unzip would gather per-thread pieces and copy them.
        let (mut counts, mut dfs) = (vec![0u64; n], vec![0u64; n]);
        pool.install(|| {
            counts
                .par_iter_mut()
                .zip(&mut dfs)
                .enumerate()
                .for_each(|(k, (count, df))| {
                    let c = terms.sorted.get(k);
                    (*count, *df) = (c.count, c.df);
                });
        });
        TermTable::from_columns(text, ends, counts, dfs)
    }

    /// The names of `terms` back to back, and where each ends: every term's length first, then each
    /// run of terms writes its own stretch of one exactly sized text buffer (a doubling string would
    /// briefly hold twice the largest table).
    fn term_names(&self, terms: &impl Terms, pool: &ThreadPool) -> (String, Vec<u64>) {
        const RUN: usize = 1 << 14;
        let n = terms.len();
        // Each term's length, then (in place) where each ends.
        let mut ends: Vec<u64> = pool.install(|| {
            (0..n)
                .into_par_iter()
                .map(|k| {
                    let mut len = 0;
                    terms.for_each_word(k, |w| {
                        len += self.index.word(w).len() + 1;
                    });
                    (len as u64).saturating_sub(1)
                })
                .collect()
        });
        let mut at = 0;
        for e in &mut ends {
            at += *e;
            *e = at;
        }
        let start = |k: usize| if k == 0 { 0 } else { ends[k - 1] as usize };
        let total = start(n);
        let mut text = vec![0u8; total];
        let mut jobs = Vec::with_capacity(n.div_ceil(RUN));
        let mut rest = text.as_mut_slice();
        for first in (0..n).step_by(RUN) {
            let last = (first + RUN).min(n);
            let buf = take_front(&mut rest, start(last) - start(first));
            jobs.push((first..last, buf));
        }
        pool.install(|| {
            jobs.into_par_iter().with_max_len(1).for_each(|(run, buf)| {
                let mut p = 0;
                for k in run {
                    let mut first = true;
                    terms.for_each_word(k, |w| {
                        if !first {
                            buf[p] = b' ';
                            p += 1;
                        }
                        first = false;
                        let word = self.index.word(w);
                        let w = word.as_bytes();
                        buf[p..p + w.len()].copy_from_slice(w);
                        p += w.len();
                    });
                }
            });
        });
        // Words joined by spaces are UTF-8 by construction, so the check passes; were it ever to fail,
        // the text is rebuilt from the words the slow, infallible way rather than mangled.
        let text = String::from_utf8(text).unwrap_or_else(|_| {
            let mut t = String::with_capacity(total);
            for k in 0..n {
                let mut first = true;
                terms.for_each_word(k, |w| {
                    if !first {
                        t.push(' ');
                    }
                    first = false;
                    t.push_str(&String::from_utf8_lossy(self.index.word(w).as_bytes()));
                });
            }
            t
        });
        (text, ends)
    }

    fn sorted_terms<'a>(
        &'a self,
        sorted: &'a Sorted,
        naming: Option<Naming<'a>>,
    ) -> SortedTerms<'a> {
        SortedTerms {
            counter: self,
            sorted,
            naming,
        }
    }

    /// The counts so far, to be read through `pruning`. A counter that keeps rows counts their
    /// n-grams into its tables first.
    ///
    /// # Errors
    /// The counter was interrupted, or threads could not be started.
    pub fn stats(&mut self, pruning: Pruning) -> Result<CorpusStats> {
        self.check_usable()?;
        let pool = pool(self.threads)?;
        self.count_kept_ngrams(&pool, &Cancel::new())?;
        let (orders, by_rank, _) = self.sorted_orders(&pool);
        let naming = self.naming(&by_rank);
        let tables = orders
            .iter()
            .map(|sorted| self.term_table(&self.sorted_terms(sorted, naming), &pool))
            .collect();
        Ok(self.with_tables(pruning, tables))
    }

    fn with_tables(&self, pruning: Pruning, tables: Vec<TermTable>) -> CorpusStats {
        CorpusStats::from_parts(
            self.analyzer.config.clone(),
            pruning,
            self.n_documents,
            self.n_tokens,
            tables,
        )
    }

    /// The counts, consuming the counter. To keep the peak memory of a run low, what only counting
    /// needs (the slots, the word index, the n-gram indexes) goes first, and each n-gram order's
    /// counts and words go as soon as its result table is built.
    ///
    /// # Errors
    /// The counter was interrupted, or threads could not be started.
    pub fn into_stats(mut self, pruning: Pruning) -> Result<CorpusStats> {
        self.check_usable()?;
        let pool = pool(self.threads)?;
        self.count_kept_ngrams(&pool, &Cancel::new())?;
        self.drop_counting_state();
        let (lo, hi) = self.analyzer.config.ngram_range;
        let (by_rank, rank) = self.word_order(&pool, hi > 1);
        let naming = self.naming(&by_rank);
        let mut tables = Vec::new();
        // The unigram columns come straight from the corpus counts, which go before the names are
        // built: a sorted list of features would add 24 bytes a word at the peak.
        let unigrams = (lo == 1).then(|| {
            let words: Vec<u32> = by_rank
                .iter()
                .copied()
                .filter(|&w| self.uni_count[w as usize] > 0)
                .collect();
            let counts: Vec<u64> = words.iter().map(|&w| self.uni_count[w as usize]).collect();
            let dfs: Vec<u64> = words
                .iter()
                .map(|&w| u64::from(self.uni_df[w as usize]))
                .collect();
            (words, counts, dfs)
        });
        (self.uni_count, self.uni_df) = (Vec::new(), Vec::new());
        if let Some((words, counts, dfs)) = unigrams {
            let (text, ends) = self.term_names(&WordTerms { words: &words }, &pool);
            tables.push(TermTable::from_columns(text, ends, counts, dfs));
        }
        for t in 0..(lo.max(2)..=hi).count() {
            for shard in &mut self.shards {
                shard[t].release_index();
            }
            #[allow(clippy::cast_possible_truncation)]
            let sorted = self.sorted_table(t as u32, &rank, &pool);
            // The sorted features hold the counts now, and packed keys name them: the table is
            // needed only for names without a key.
            let named_by_keys = sorted.has_keys();
            for shard in &mut self.shards {
                if named_by_keys {
                    shard[t] = NgramTable::new(shard[t].n());
                } else {
                    shard[t].drop_counts();
                }
            }
            tables.push(self.term_table(&self.sorted_terms(&sorted, naming), &pool));
            drop(sorted);
            if !named_by_keys {
                for shard in &mut self.shards {
                    shard[t] = NgramTable::new(shard[t].n());
                }
            }
        }
        Ok(self.with_tables(pruning, tables))
    }

    /// Every feature of every order, sorted by term (scikit-learn's vocabulary order), with counts.
    /// A counter that keeps rows counts their n-grams here.
    ///
    /// # Errors
    /// The counter was interrupted, the job was cancelled, there were 2^32 n-grams or more, or threads
    /// could not be started.
    pub fn features(&mut self, cancel: &Cancel) -> Result<Features> {
        self.check_usable()?;
        let pool = pool(self.threads)?;
        let (lo, hi) = self.analyzer.config.ngram_range;
        if self.keep_rows && self.sort_kept && hi >= 2 {
            if let Some(bits) = self.pack_bits() {
                #[allow(clippy::cast_possible_truncation)]
                if sorted_grams::fits(bits * hi as u32, self.n_documents) {
                    return self.features_by_sorting(bits, &pool, cancel);
                }
            }
        }
        self.count_kept_ngrams(&pool, cancel)?;
        // The words in term order, kept when the features' packed keys are kept to name them.
        let mut by_rank = Vec::new();
        let sorted = if hi == 1 {
            self.unigram_features(&self.word_order(&pool, false).0)
        } else if let Some(bits) = self.pack_bits() {
            // One sort over every order: packed keys already place "new" before "new york".
            let rank;
            (by_rank, rank) = self.word_order(&pool, true);
            let packing = Some((&rank[..], bits));
            #[allow(clippy::cast_possible_truncation)]
            let orders: Vec<u32> = (lo == 1)
                .then_some(NONE)
                .into_iter()
                .chain(0..(lo.max(2)..=hi).count() as u32)
                .collect();
            let (items, keys) = self.counted(&orders, packing, &pool);
            let order = Self::sort_packed(keys, &pool);
            Sorted { items, order }
        } else {
            let (orders, _, rank) = self.sorted_orders(&pool);
            // Each list is sorted and they are disjoint: merge them pairwise.
            let mut orders: Vec<Vec<Counted>> = orders.into_iter().map(Sorted::into_vec).collect();
            while orders.len() > 1 {
                let b = orders.pop().unwrap_or_default();
                let a = orders.pop().unwrap_or_default();
                let mut merged = Vec::with_capacity(a.len() + b.len());
                let (mut i, mut j) = (0, 0);
                while i < a.len() && j < b.len() {
                    if self.compare(a[i].f, b[j].f, &rank).is_lt() {
                        merged.push(a[i]);
                        i += 1;
                    } else {
                        merged.push(b[j]);
                        j += 1;
                    }
                }
                merged.extend_from_slice(&a[i..]);
                merged.extend_from_slice(&b[j..]);
                orders.push(merged);
            }
            Sorted {
                items: orders.pop().unwrap_or_default(),
                order: Order::Items,
            }
        };
        let n = sorted.len();
        let (refs, (count, df)) = pool.install(|| {
            (0..n)
                .into_par_iter()
                .map(|k| {
                    let c = sorted.get(k);
                    (c.f, (c.count, c.df))
                })
                .unzip()
        });
        // The sorted keys, if the sort kept them (it may fall back to indices alone), name the features.
        let (keys, key_shift) = match sorted.order {
            Order::Keyed { keyed, index_bits } if !by_rank.is_empty() => (keyed, index_bits),
            _ => (Vec::new(), 0),
        };
        Ok(Features {
            refs,
            count,
            df,
            keys,
            key_shift,
            by_rank,
            grams: None,
            n_documents: self.n_documents,
        })
    }

    /// [`Counter::features`] from the kept rows' windows, sorted ([`SortedGrams`]) rather than counted
    /// into tables: the unigrams, in term order, merge with the sorted n-grams by packed key.
    fn features_by_sorting(
        &self,
        bits: u32,
        pool: &ThreadPool,
        cancel: &Cancel,
    ) -> Result<Features> {
        let (lo, hi) = self.analyzer.config.ngram_range;
        let (by_rank, rank) = self.word_order(pool, true);
        let packing = Packing {
            rank: &rank,
            bits,
            ngram_range: (lo, hi),
            word_stop: self.index.stop_flags(),
            edges: self.analyzer.config.ngram_stop_words == NgramStopWords::Edges,
        };
        let (grams, gram_keys, gram_dfs) =
            SortedGrams::new(&self.rows, &packing, self.n_documents, pool, cancel)?;
        if u32::try_from(grams.len()).is_err() {
            return Err(Error::TooLarge(
                "too many distinct n-grams for a document-term matrix (2^32)".into(),
            ));
        }
        let words: Vec<u32> = if lo == 1 {
            by_rank
                .iter()
                .copied()
                .filter(|&w| self.uni_count[w as usize] > 0)
                .collect()
        } else {
            Vec::new()
        };
        #[allow(clippy::cast_possible_truncation)]
        let word_keys: Vec<u64> = words
            .iter()
            .map(|&w| sorted_grams::packed_key(&[w], &rank, bits, hi as u32))
            .collect();
        let lists = SortedLists {
            words: &words,
            word_keys: &word_keys,
            grams: &grams,
            gram_keys: &gram_keys,
            gram_dfs: &gram_dfs,
        };
        let n = words.len() + grams.len();
        // The merge writes every feature, on all threads: zeroed vectors come from the kernel
        // untouched, and `refs` is left unwritten. (Filling 1.4 million refs ahead took 6 ms of a
        // unigram + bigram fit on one thread while the other waited; the merge that then writes them
        // takes 2-3 ms longer.)
        let mut features = Features {
            refs: Vec::with_capacity(n),
            count: vec![0; n],
            df: vec![0; n],
            keys: vec![0; n],
            key_shift: 0,
            by_rank,
            grams: None,
            n_documents: self.n_documents,
        };
        self.merge_sorted(&lists, &mut features, pool);
        features.grams = Some(grams);
        Ok(features)
    }

    /// Fills `out` with the features of `lists` in key order: `out.count`, `out.df` and `out.keys` are
    /// as long as both lists, and `out.refs` is empty with room for them all. The lists merge in
    /// parts: a part takes its stretch of n-grams and the words whose keys fall before the next
    /// part's first n-gram, and fills its own stretch of the features.
    fn merge_sorted(&self, lists: &SortedLists<'_>, out: &mut Features, pool: &ThreadPool) {
        let (n_words, n_grams) = (lists.words.len(), lists.gram_keys.len());
        let n = n_words + n_grams;
        assert!(out.refs.is_empty() && out.refs.capacity() >= n && out.count.len() == n);
        let parts = if n_grams == 0 {
            1
        } else {
            self.threads * JOBS_PER_THREAD
        };
        let gram_at = |part: usize| n_grams * part / parts;
        let word_at = |part: usize| match part {
            0 => 0,
            last if last == parts => n_words,
            part => {
                let first_gram = lists.gram_keys[gram_at(part)];
                lists.word_keys.partition_point(|&k| k < first_gram)
            }
        };
        let mut jobs = Vec::with_capacity(parts);
        let (mut refs, mut count, mut df, mut keys) = (
            &mut out.refs.spare_capacity_mut()[..n],
            &mut out.count[..],
            &mut out.df[..],
            &mut out.keys[..],
        );
        for part in 0..parts {
            let (grams, words) = (
                gram_at(part)..gram_at(part + 1),
                word_at(part)..word_at(part + 1),
            );
            let len = grams.len() + words.len();
            let refs_here = take_front(&mut refs, len);
            let count_here = take_front(&mut count, len);
            let df_here = take_front(&mut df, len);
            let keys_here = take_front(&mut keys, len);
            jobs.push((grams, words, refs_here, count_here, df_here, keys_here));
        }
        pool.install(|| {
            jobs.into_par_iter().with_max_len(1).for_each(
                |(mut grams, mut words, refs, count, df, keys)| {
                    for at in 0..refs.len() {
                        let next_is_word = !words.is_empty()
                            && (grams.is_empty()
                                || lists.word_keys[words.start] < lists.gram_keys[grams.start]);
                        if next_is_word {
                            let w = words.next().unwrap_or_default();
                            let word = lists.words[w];
                            refs[at].write(Feature {
                                table: NONE,
                                id: word,
                            });
                            count[at] = self.uni_count[word as usize];
                            df[at] = u64::from(self.uni_df[word as usize]);
                            keys[at] = lists.word_keys[w];
                        } else {
                            let g = grams.next().unwrap_or_default();
                            #[allow(clippy::cast_possible_truncation)]
                            let id = g as u32;
                            refs[at].write(Feature { table: SORTED, id });
                            count[at] = lists.grams.count(g);
                            df[at] = u64::from(lists.gram_dfs[g]);
                            keys[at] = lists.gram_keys[g];
                        }
                    }
                },
            );
        });
        // SAFETY: the parts' stretches of `refs` cover its first `n` slots one after another (each
        // part as long as its n-grams and words, which add up to `n`), and each part wrote every
        // slot of its stretch, on one branch or the other, before `pool.install` returned.
        unsafe { out.refs.set_len(n) };
    }

    /// The features at `keep` (ascending indices into `features`) as a table: their names, in one
    /// buffer rather than a string each, with their counts.
    ///
    /// # Errors
    /// `keep` is not ascending or out of range.
    pub fn feature_table(&self, features: &Features, keep: &[usize]) -> Result<TermTable> {
        check_keep(features, keep)?;
        let items: Vec<Counted> = keep
            .iter()
            .map(|&i| Counted {
                f: features.refs[i],
                count: features.count[i],
                df: features.df[i],
            })
            .collect();
        let order = if features.keys.is_empty() {
            Order::Items
        } else {
            Order::ItemsKeyed(
                keep.iter()
                    .map(|&i| features.keys[i] >> features.key_shift)
                    .collect(),
            )
        };
        let sorted = Sorted { items, order };
        Ok(self.term_table(
            &self.sorted_terms(&sorted, self.naming(&features.by_rank)),
            &pool(self.threads)?,
        ))
    }

    /// The names of the features at `keep`.
    ///
    /// # Errors
    /// `keep` is not ascending or out of range.
    pub fn feature_names(&self, features: &Features, keep: &[usize]) -> Result<Vec<String>> {
        let t = self.feature_table(features, keep)?;
        Ok((0..t.len()).map(|i| t.term(i).to_owned()).collect())
    }

    /// The document-term matrix over the features at `keep` (indices into `features`, ascending), which
    /// become columns `0..keep.len()`. Needs `keep_rows`.
    ///
    /// # Errors
    /// The counter did not keep rows, `features` predate its last update, `keep` is not ascending or
    /// out of range, or the job was cancelled.
    pub fn matrix(&self, features: &Features, keep: &[usize], cancel: &Cancel) -> Result<Csr> {
        self.check_usable()?;
        if !self.keep_rows {
            return Err(Error::config(
                "keep_rows",
                "this counter did not keep document rows",
            ));
        }
        check_keep(features, keep)?;
        if features.n_documents != self.n_documents {
            // Rows counted since have no n-grams in these features (nor, without sorting, in the
            // tables yet).
            return Err(Error::config(
                "features",
                "these features were computed before the last update; compute them again",
            ));
        }
        if i32::try_from(keep.len()).is_err() {
            return Err(Error::TooLarge("more than 2^31 features".into()));
        }
        if let Some(grams) = &features.grams {
            let pool = pool(self.threads)?;
            let (uni_col, gram_col) = self.sorted_columns(features, grams.len(), keep, &pool);
            let lo = self.analyzer.config.ngram_range.0;
            let uni_col = (lo == 1).then_some(&uni_col[..]);
            return grams.matrix(&self.rows, &gram_col, uni_col, &pool, cancel);
        }
        let n_shards = self.shards.len();
        let mut cols = CounterColumns {
            n_columns: keep.len(),
            ngram_range: self.analyzer.config.ngram_range,
            unigram: vec![NONE; self.index.len()],
            ngram: (0..self.shards.first().map_or(0, Vec::len))
                .map(|t| {
                    let most = self
                        .shards
                        .iter()
                        .map(|tables| tables[t].len())
                        .max()
                        .unwrap_or(0);
                    vec![NONE; most * n_shards]
                })
                .collect(),
        };
        for (col, &f) in keep.iter().enumerate() {
            let r = features.refs[f];
            #[allow(clippy::cast_possible_truncation)]
            let col = col as u32;
            if r.table == NONE {
                cols.unigram[r.id as usize] = col;
            } else {
                cols.ngram[r.table as usize][r.id as usize] = col;
            }
        }
        build_rows(&self.rows, &cols, &pool(self.threads)?, cancel)
    }

    /// The column of each word and of each sorted n-gram (of `n_grams`), or [`NONE`]: the features at
    /// `keep` (checked) become columns `0..keep.len()`.
    ///
    /// Parts of `keep` fill their own stretches of the n-grams' columns in parallel: the n-grams'
    /// indices ascend in term order, as the features do. A serial loop took 11 ms of a unigram +
    /// bigram fit while the other thread waited. The words' ids do not ascend, and are few: each
    /// part lists its words' columns, set afterwards.
    fn sorted_columns(
        &self,
        features: &Features,
        n_grams: usize,
        keep: &[usize],
        pool: &ThreadPool,
    ) -> (Vec<u32>, Vec<u32>) {
        let parts = self.threads * JOBS_PER_THREAD;
        let cut = |p: usize| keep.len() * p / parts;
        // The first n-gram index a part may write: that of its first kept n-gram, if it has one.
        let first_gram = |p: usize| {
            keep[cut(p)..]
                .iter()
                .map(|&f| features.refs[f])
                .find(|r| r.table != NONE)
                .map_or(n_grams, |r| r.id as usize)
        };
        let mut gram_col = vec![NONE; n_grams];
        let mut jobs = Vec::with_capacity(parts);
        let mut from = first_gram(0);
        let mut rest = &mut gram_col[from..];
        for p in 0..parts {
            let to = if p + 1 == parts {
                n_grams
            } else {
                first_gram(p + 1)
            };
            let mine = take_front(&mut rest, to - from);
            jobs.push((cut(p)..cut(p + 1), from, mine));
            from = to;
        }
        let words: Vec<Vec<(u32, u32)>> = pool.install(|| {
            jobs.into_par_iter()
                .with_max_len(1)
                .map(|(cols, first, mine)| {
                    let mut words = Vec::new();
                    for col in cols {
                        let r = features.refs[keep[col]];
                        #[allow(clippy::cast_possible_truncation)]
                        let col = col as u32;
                        if r.table == NONE {
                            words.push((r.id, col));
                        } else {
                            mine[r.id as usize - first] = col;
                        }
                    }
                    words
                })
                .collect()
        });
        let mut uni_col = vec![NONE; self.index.len()];
        for (w, col) in words.into_iter().flatten() {
            uni_col[w as usize] = col;
        }
        (uni_col, gram_col)
    }

    /// Approximate heap bytes of the counts (not the kept rows), for memory reports.
    pub fn heap_bytes(&self) -> usize {
        let words = self.index.heap_bytes();
        let grams: usize = self
            .shards
            .iter()
            .flatten()
            .map(NgramTable::heap_bytes)
            .sum();
        let per_thread: usize = self
            .slots
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(PoisonError::into_inner);
                s.counts.capacity() * std::mem::size_of::<WordCount>() + s.touched.capacity() * 4
            })
            .sum();
        words + self.uni_count.capacity() * 8 + self.uni_df.capacity() * 4 + per_thread + grams
    }
}

/// The two sorted lists [`Counter::features_by_sorting`] merges: the counted words in term order,
/// and the n-grams counted by sorting, each with its packed key.
struct SortedLists<'a> {
    words: &'a [u32],
    word_keys: &'a [u64],
    grams: &'a SortedGrams,
    gram_keys: &'a [u64],
    gram_dfs: &'a [u32],
}

/// Marks a feature counted by sorting ([`Features::grams`]).
const SORTED: u32 = NONE - 1;

/// A feature: a unigram (`table == NONE`, `id` = word id), an n-gram counted by sorting (`table ==
/// SORTED`), or an n-gram of table `table` whose id is `local id * shards + shard`, unique across
/// shards.
#[derive(Debug, Clone, Copy, Default)]
struct Feature {
    table: u32,
    id: u32,
}

/// A feature with its counts.
#[derive(Debug, Clone, Copy, Default)]
struct Counted {
    f: Feature,
    count: u64,
    df: u64,
}

/// Features in term order: `items`, read in `order`. Sorting records the order and leaves the items
/// where they are, which saves a copy of every feature at the peak memory of a run.
struct Sorted {
    items: Vec<Counted>,
    order: Order,
}

/// How the items of a [`Sorted`] list are in term order.
enum Order {
    /// As they stand.
    Items,
    /// As they stand, each with its packed key (see [`Counter::pack_bits`]).
    ItemsKeyed(Vec<u64>),
    /// Item indices, in term order.
    Indices(Vec<u32>),
    /// Per feature in term order, its packed key above its item index, which is `index_bits` wide.
    Keyed { keyed: Vec<u64>, index_bits: u32 },
}

impl Sorted {
    fn len(&self) -> usize {
        match &self.order {
            Order::Items | Order::ItemsKeyed(_) => self.items.len(),
            Order::Indices(order) => order.len(),
            Order::Keyed { keyed, .. } => keyed.len(),
        }
    }

    /// The `k`-th feature in term order.
    #[inline]
    fn get(&self, k: usize) -> Counted {
        match &self.order {
            Order::Items | Order::ItemsKeyed(_) => self.items[k],
            Order::Indices(order) => self.items[order[k] as usize],
            Order::Keyed { keyed, index_bits } => {
                #[allow(clippy::cast_possible_truncation)]
                let i = (keyed[k] & ((1u64 << index_bits) - 1)) as usize;
                self.items[i]
            }
        }
    }

    /// Whether packed keys were kept (see [`Sorted::packed_key`]).
    fn has_keys(&self) -> bool {
        matches!(self.order, Order::ItemsKeyed(_) | Order::Keyed { .. })
    }

    /// The packed key of the `k`-th feature in term order, if kept.
    #[inline]
    fn packed_key(&self, k: usize) -> Option<u64> {
        match &self.order {
            Order::Items | Order::Indices(_) => None,
            Order::ItemsKeyed(keys) => Some(keys[k]),
            Order::Keyed { keyed, index_bits } => Some(keyed[k] >> index_bits),
        }
    }

    fn into_vec(self) -> Vec<Counted> {
        match self.order {
            Order::Items | Order::ItemsKeyed(_) => self.items,
            _ => (0..self.len()).map(|k| self.get(k)).collect(),
        }
    }
}

/// The terms of a table in order, as the words that make each.
trait Terms: Sync {
    fn len(&self) -> usize;
    fn for_each_word(&self, k: usize, f: impl FnMut(u32));
}

/// Sorted features of a counter, named through `naming` when they have packed keys.
struct SortedTerms<'a> {
    counter: &'a Counter,
    sorted: &'a Sorted,
    naming: Option<Naming<'a>>,
}

impl Terms for SortedTerms<'_> {
    fn len(&self) -> usize {
        self.sorted.len()
    }

    #[inline]
    fn for_each_word(&self, k: usize, f: impl FnMut(u32)) {
        self.counter.for_each_word(self.sorted, k, self.naming, f);
    }
}

/// Words, by id, in term order.
struct WordTerms<'a> {
    words: &'a [u32],
}

impl Terms for WordTerms<'_> {
    fn len(&self) -> usize {
        self.words.len()
    }

    #[inline]
    fn for_each_word(&self, k: usize, mut f: impl FnMut(u32)) {
        f(self.words[k]);
    }
}

/// What names a feature by its packed key: the field width, and each rank's word.
#[derive(Clone, Copy)]
struct Naming<'a> {
    bits: u32,
    by_rank: &'a [u32],
}

/// All features of a [`Counter`], sorted by term, with their counts.
#[derive(Debug, Default)]
pub struct Features {
    refs: Vec<Feature>,
    count: Vec<u64>,
    df: Vec<u64>,
    /// Each feature's packed key shifted left by `key_shift` (the low bits are the sort's), when
    /// packed keys name the features (else empty), and the words in term order that decode them.
    keys: Vec<u64>,
    key_shift: u32,
    by_rank: Vec<u32>,
    /// The sorted windows of the n-grams, when counted by sorting: then an n-gram feature's ref is
    /// `(SORTED, its index in them)`.
    grams: Option<SortedGrams>,
    /// Documents counted when the features were computed: a matrix needs features of all of them.
    n_documents: u64,
}

impl Features {
    /// Number of features.
    pub fn len(&self) -> usize {
        self.refs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// Corpus counts, in term order.
    pub fn counts(&self) -> &[u64] {
        &self.count
    }

    /// Document frequencies, in term order.
    pub fn dfs(&self) -> &[u64] {
        &self.df
    }

    /// Indices of the features whose document frequency lies in `lo..=hi`, ascending: the `keep` of
    /// scikit-learn's `min_df` / `max_df` pruning, without copying every count out first.
    pub fn within_df(&self, lo: u64, hi: u64) -> Vec<usize> {
        (0..self.df.len())
            .filter(|&i| (lo..=hi).contains(&self.df[i]))
            .collect()
    }

    /// Whether feature `i` is a single word.
    #[cfg(test)]
    pub(super) fn is_word(&self, i: usize) -> bool {
        self.refs[i].table == NONE
    }

    /// Whether the n-grams were counted by sorting the kept rows' windows.
    #[cfg(test)]
    pub(super) fn counted_by_sorting(&self) -> bool {
        self.grams.is_some()
    }
}

struct CounterColumns {
    n_columns: usize,
    ngram_range: (usize, usize),
    unigram: Vec<u32>,
    ngram: Vec<Vec<u32>>,
}

impl Columns for CounterColumns {
    fn n_columns(&self) -> usize {
        self.n_columns
    }

    fn max_entries(&self, s: &Streams) -> usize {
        // A document's distinct words, and at most one n-gram per token and order.
        s.uni.len() + s.ids.len() * self.ngram.len()
    }

    fn for_each_doc_entry<F: FnMut(u64)>(&self, s: &Streams, d: usize, mut emit: F) {
        let (lo, hi) = self.ngram_range;
        if lo == 1 {
            // Stop words are never counted, so they are not in the document's list.
            for &(w, count) in s.doc_unigrams(d) {
                let c = self.unigram[w as usize];
                if c != NONE {
                    emit(entry(c, count));
                }
            }
        }
        for seg in s.doc_segment_ranges(d) {
            for (t, n) in (lo.max(2)..=hi).enumerate() {
                if seg.len() < n {
                    break;
                }
                let table_cols = &self.ngram[t];
                for pos in seg.start..=seg.end - n {
                    let g = s.grams[t][pos].load(Ordering::Relaxed);
                    if g != NONE {
                        let c = table_cols[g as usize];
                        if c != NONE {
                            emit(entry(c, 1));
                        }
                    }
                }
            }
        }
    }
}

fn check_keep(features: &Features, keep: &[usize]) -> Result<()> {
    if keep.windows(2).any(|w| w[0] >= w[1]) || keep.last().is_some_and(|&k| k >= features.len()) {
        return Err(Error::config(
            "keep",
            format!(
                "feature indices must be ascending and below {}",
                features.len()
            ),
        ));
    }
    Ok(())
}
