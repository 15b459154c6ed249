//! Counting one chunk of documents into its slot's word table: the first step of a batch.

use std::borrow::Cow;

use super::analyzer::{Analyzer, KeySink, Streams};
use super::word_index::WordIndex;
use super::words::{Key, MAX_WORDS, Seed, WordCount, WordTable};
use crate::error::{Error, Result};
use crate::parallel::Cancel;

/// One chunk's token ids and token count. Ids are corpus ids, or [`FRESH`] plus a local id for a word
/// the corpus vocabulary did not have when the batch began.
pub(super) struct Chunk {
    pub streams: Streams,
    pub n_tokens: u64,
    /// The slot whose local ids `streams` holds.
    pub slot: usize,
}

/// Marks a local id (of a slot's fresh words) in a chunk's streams.
pub(super) const FRESH: u32 = 1 << 31;

/// A thread's counts, kept across batches: its batch counts of the corpus words, by corpus id, and
/// the words that are new to the corpus in this batch.
pub(super) struct Slot {
    /// Batch counts by corpus id (as long as the vocabulary when the batch began).
    pub counts: Vec<WordCount>,
    /// Corpus ids counted in the current batch.
    pub touched: Vec<u32>,
    /// Words not in the corpus vocabulary, with their keys (and long words' text) and batch counts, by
    /// local id.
    pub fresh: WordTable,
    /// Corpus id of each fresh word, once absorbed.
    pub fresh_ids: Vec<u32>,
    /// The tag of the last document counted in the current batch (see [`WordCount::at`]).
    pub tag: u32,
}

impl Slot {
    pub fn new(seed: Seed) -> Self {
        Slot {
            counts: Vec::new(),
            touched: Vec::new(),
            fresh: WordTable::new(seed),
            fresh_ids: Vec::new(),
            tag: 0,
        }
    }

    /// Forgets the current batch's counts (after a cancel or an error).
    pub fn discard_batch(&mut self) {
        for &id in &self.touched {
            self.counts[id as usize] = WordCount::default();
        }
        self.touched.clear();
        self.fresh = WordTable::new(self.fresh.seed());
    }
}

/// Counts the documents `docs` into `slot`, looking words up in `index` (shared, read-only). With
/// `need_streams` it keeps the token ids, with `unigram_rows` each document's distinct words and their
/// counts.
///
/// # Errors
/// The job was cancelled, or the slot's fresh words outgrew [`MAX_WORDS`].
#[allow(clippy::too_many_arguments)]
pub(super) fn count_chunk<S: AsRef<str>>(
    analyzer: &Analyzer,
    index: &WordIndex,
    slot: &mut Slot,
    docs: &[S],
    need_streams: bool,
    unigram_rows: bool,
    cancel: &Cancel,
) -> Result<Chunk> {
    // Each combination of what is kept is its own loop, so that a token tests neither.
    match (need_streams, unigram_rows) {
        (false, false) => count_docs::<S, false, false>(analyzer, index, slot, docs, cancel),
        (false, true) => count_docs::<S, false, true>(analyzer, index, slot, docs, cancel),
        (true, false) => count_docs::<S, true, false>(analyzer, index, slot, docs, cancel),
        (true, true) => count_docs::<S, true, true>(analyzer, index, slot, docs, cancel),
    }
}

/// [`count_chunk`] with what it keeps fixed: `STREAMS` is `need_streams`, `ROWS` `unigram_rows`.
fn count_docs<S: AsRef<str>, const STREAMS: bool, const ROWS: bool>(
    analyzer: &Analyzer,
    index: &WordIndex,
    slot: &mut Slot,
    docs: &[S],
    cancel: &Cancel,
) -> Result<Chunk> {
    let Slot {
        counts,
        touched,
        fresh,
        tag,
        ..
    } = slot;
    let seed = fresh.seed();
    let mut sink = TokenSink::<STREAMS, ROWS> {
        analyzer,
        index,
        counts,
        touched,
        fresh,
        streams: Streams::default(),
        n_tokens: 0,
        doc_tag: 0,
        full: false,
        remove_stops: analyzer.removes_stop_words(),
    };
    sink.streams
        .reserve_for::<STREAMS, ROWS>(docs.iter().map(|d| d.as_ref().len()));
    let mut sentence_ends = Vec::new();
    for doc in docs {
        cancel.check()?;
        let doc_start = sink.streams.uni.len();
        *tag += 1;
        sink.doc_tag = *tag;
        analyzer.for_each_key(doc.as_ref(), seed, &mut sentence_ends, &mut sink);
        let TokenSink {
            streams,
            counts,
            fresh,
            full,
            ..
        } = &mut sink;
        if ROWS {
            doc_counts(&mut streams.uni[doc_start..], counts, fresh);
        }
        if *full {
            return Err(Error::TooLarge(format!(
                "more than {MAX_WORDS} distinct words in one part of the corpus; count in parts and merge"
            )));
        }
        if ROWS {
            streams.uni_ends.push(streams.uni.len());
        }
        if STREAMS {
            streams.close_doc();
        } else {
            streams.doc_ends.push(0);
        }
    }
    let TokenSink {
        streams, n_tokens, ..
    } = sink;
    Ok(Chunk {
        streams,
        n_tokens,
        slot: 0,
    })
}

/// What counting a chunk's tokens updates, keeping token ids with `STREAMS` and documents' distinct
/// words with `ROWS`. A [`KeySink`] rather than the closure it was, so that it is inlined into the
/// tokenizer's loop: the closure was a call per token.
struct TokenSink<'a, const STREAMS: bool, const ROWS: bool> {
    analyzer: &'a Analyzer,
    index: &'a WordIndex,
    counts: &'a mut Vec<WordCount>,
    touched: &'a mut Vec<u32>,
    fresh: &'a mut WordTable,
    streams: Streams,
    n_tokens: u64,
    /// The current document's tag (see [`WordCount::at`]).
    doc_tag: u32,
    /// A fresh word's local id reached [`MAX_WORDS`].
    full: bool,
    remove_stops: bool,
}

impl<const STREAMS: bool, const ROWS: bool> KeySink for TokenSink<'_, STREAMS, ROWS> {
    /// Counts one token.
    #[allow(
        clippy::inline_always,
        reason = "called from two places in the tokenizer's loop; a call per token measured slower"
    )]
    #[inline(always)]
    fn token(&mut self, key: Key, term: &str, is_final: bool, new_segment: bool) {
        self.n_tokens += 1;
        if STREAMS && new_segment {
            self.streams.close_segment();
        }
        let (id, stop, c) = if let Some(id) = self.index.find(key, term.as_bytes()) {
            (id, self.index.is_stop(id), &mut self.counts[id as usize])
        } else {
            let (analyzer, full) = (self.analyzer, &mut self.full);
            let e = self.fresh.entry(key, term.as_bytes(), |lid| {
                *full |= lid as usize >= MAX_WORDS;
                let word = if is_final {
                    Cow::Borrowed(term)
                } else {
                    Cow::Owned(term.to_ascii_lowercase())
                };
                let stop = analyzer.is_stop(&word);
                (word, stop)
            });
            (FRESH | e.lid(), e.is_stop(), &mut e.counts)
        };
        if stop {
            if self.remove_stops {
                return;
            }
        } else {
            if c.count == 0 && id & FRESH == 0 {
                self.touched.push(id);
            }
            let first = c.at != self.doc_tag;
            c.at = self.doc_tag;
            c.df += u32::from(first);
            if ROWS {
                // The batch count so far; the document's end turns it into the document's count.
                // (Adding to the pair found through the word instead made the count 15% slower:
                // each token's store then waits on its lookup.) Whether a token is its word's first
                // in the document is a coin toss for the branch predictor, so every token writes its
                // pair and only a first one keeps it. (A spare tail filled ahead of the pairs cost 5%
                // more instructions here, and page faults for the part no pair reached.)
                let uni = &mut self.streams.uni;
                let len = uni.len();
                uni.push((id, c.count));
                uni.truncate(len + usize::from(first));
            }
            c.count += 1;
        }
        if STREAMS {
            self.streams.ids.push(id);
        }
    }
}

/// Turns a document's `(id, batch count before the document)` pairs into `(id, count in the
/// document)`, from the batch counts after it.
fn doc_counts(pairs: &mut [(u32, u32)], counts: &[WordCount], fresh: &mut WordTable) {
    for pair in pairs {
        let count = if pair.0 & FRESH == 0 {
            counts[pair.0 as usize].count
        } else {
            fresh.counts_mut(pair.0 & !FRESH).count
        };
        pair.1 = count - pair.1;
    }
}
