//! Counting one chunk of documents into its slot's word table: the first step of a batch.

use super::analyzer::{Analyzer, Streams};
use super::matrix::NONE;
use super::words::{Key, MAX_WORDS, Seed, WordTable};
use crate::error::{Error, Result};
use crate::parallel::Cancel;

/// One chunk's token ids (local to its slot) and token count, before they join the corpus vocabulary.
pub(super) struct Chunk {
    pub streams: Streams,
    pub n_tokens: u64,
    /// The slot whose local ids `streams` holds.
    pub slot: usize,
}

/// A thread's word table, kept across batches: once a slot has seen a word it also knows its corpus
/// id, so merging a batch into the corpus vocabulary only looks up the words the slot meets for the
/// first time, instead of every distinct word of every chunk.
pub(super) struct Slot {
    /// Words with their counts in the current batch.
    pub table: WordTable,
    /// Corpus id of each local id; `NONE` until the word is absorbed.
    pub global: Vec<u32>,
    /// Local ids counted in the current batch.
    pub touched: Vec<u32>,
    /// Words first met in the current batch, to be added to the corpus vocabulary.
    pub fresh: Vec<(u32, Key, Box<str>)>,
}

impl Slot {
    pub fn new(seed: Seed) -> Self {
        Slot {
            table: WordTable::new(seed),
            global: Vec::new(),
            touched: Vec::new(),
            fresh: Vec::new(),
        }
    }

    /// Forgets the current batch's counts (after a cancel); fresh words stay pending.
    pub fn discard_batch(&mut self) {
        for &lid in &self.touched {
            let e = self.table.by_lid(lid);
            // The batch may be fed again, with the same document tags.
            (e.count, e.df, e.last) = (0, 0, 0);
        }
        self.touched.clear();
    }
}

/// Counts the documents `docs` (the first tagged `first_tag`) into `slot`. With `need_streams` it keeps
/// the token ids, with `unigram_rows` each document's distinct words and their counts.
///
/// # Errors
/// The job was cancelled, or the slot outgrew [`MAX_WORDS`].
pub(super) fn count_chunk<S: AsRef<str>>(
    analyzer: &Analyzer,
    slot: &mut Slot,
    docs: &[S],
    first_tag: u32,
    need_streams: bool,
    unigram_rows: bool,
    cancel: &Cancel,
) -> Result<Chunk> {
    let mut streams = Streams::default();
    let mut n_tokens = 0u64;
    let mut sentence_ends = Vec::new();
    let remove_stops = analyzer.removes_stop_words();
    let Slot {
        table,
        global,
        touched,
        fresh,
    } = slot;
    let seed = table.seed();
    let mut full = false;
    for (d, doc) in docs.iter().enumerate() {
        cancel.check()?;
        #[allow(clippy::cast_possible_truncation)]
        let tag = first_tag + d as u32;
        let doc_start = streams.uni.len();
        analyzer.for_each_key(
            doc.as_ref(),
            seed,
            &mut sentence_ends,
            |key, term, is_final, new_segment| {
                n_tokens += 1;
                if need_streams && new_segment {
                    streams.close_segment();
                }
                let e = table.entry(key, term.as_bytes(), |lid| {
                    full |= lid as usize >= MAX_WORDS;
                    let word: Box<str> = if is_final {
                        term.into()
                    } else {
                        term.to_ascii_lowercase().into()
                    };
                    let stop = analyzer.is_stop(&word);
                    fresh.push((lid, key, word));
                    global.push(NONE);
                    stop
                });
                let lid = e.lid();
                if e.is_stop() {
                    if remove_stops {
                        return;
                    }
                } else {
                    if e.count == 0 {
                        touched.push(lid);
                    }
                    e.count += 1;
                    if unigram_rows {
                        // `last` holds where the word's (id, count) pair of its latest document is in
                        // `uni`: it is this document's pair only if it lies in this document's part
                        // of `uni` and names this word (each word has one pair per document).
                        let at = e.last as usize;
                        match streams.uni.get_mut(at) {
                            Some(pair) if at >= doc_start && pair.0 == lid => pair.1 += 1,
                            _ => {
                                e.last = u32::try_from(streams.uni.len()).unwrap_or(u32::MAX);
                                e.df += 1;
                                streams.uni.push((lid, 1));
                            }
                        }
                    } else if e.last != tag {
                        e.last = tag;
                        e.df += 1;
                    }
                }
                if need_streams {
                    streams.ids.push(lid);
                }
            },
        );
        if full {
            return Err(Error::TooLarge(format!(
                "more than {MAX_WORDS} distinct words in one part of the corpus; count in parts and merge"
            )));
        }
        if unigram_rows {
            streams.uni_ends.push(streams.uni.len());
        }
        if need_streams {
            streams.close_doc();
        } else {
            streams.doc_ends.push(0);
        }
    }
    Ok(Chunk {
        streams,
        n_tokens,
        slot: 0,
    })
}
