//! Counting n-grams by shards: each thread owns the n-grams whose hash falls in its shard, reads every
//! window, and never meets another thread's keys, so no table is ever merged or locked.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use super::analyzer::Streams;
use super::matrix::NONE;
use crate::ngrams::{NgramTable, hash_words, shard_of};
use crate::parallel::Cancel;

/// Windows between finding an n-gram (and prefetching its entry) and counting it. The tables of a
/// corpus's n-grams are far larger than the caches, so most counts would otherwise wait on memory one
/// at a time; sixteen in flight cover the latency.
const AHEAD: usize = 16;

/// Whether the window `gram` counts as an n-gram: with `edges`, one that starts or ends with a stop
/// word does not. The rule for both ways of counting (these shards, and sorting kept windows).
#[inline]
pub(super) fn is_counted(gram: &[u32], word_stop: &[bool], edges: bool) -> bool {
    !(edges && (word_stop[gram[0] as usize] || word_stop[gram[gram.len() - 1] as usize]))
}

/// What every shard of an n-gram counting step shares.
pub(super) struct ShardJob<'a> {
    pub streams: &'a [Streams],
    pub word_stop: &'a [bool],
    /// Skip n-grams that start or end with a stop word.
    pub edges: bool,
    /// Record each window's n-gram id in `Streams::grams`.
    pub record: bool,
    pub n_shards: usize,
    pub cancel: &'a Cancel,
    /// Set when a recorded id does not fit in 32 bits.
    pub overflow: AtomicBool,
}

/// A window owned by this shard, waiting for its entry's cache line.
#[derive(Clone, Copy, Default)]
struct Pending {
    pos: usize,
    hash: u64,
    doc: u32,
}

impl ShardJob<'_> {
    /// Counts the n-grams of shard `shard` in every stream, into `tables` (one per n-gram length).
    #[inline(never)]
    pub fn count(&self, shard: usize, tables: &mut [NgramTable]) {
        for (t, table) in tables.iter_mut().enumerate() {
            for s in self.streams {
                let record = if self.record {
                    &s.grams[t][..]
                } else {
                    &[][..]
                };
                let done = if table.n() == 2 {
                    // Bigrams, by far the most common, as fixed-size arrays: hashing and comparing
                    // them unrolls.
                    self.count_stream::<2>(shard, table, s, record)
                } else {
                    self.count_stream::<0>(shard, table, s, record)
                };
                if !done {
                    return;
                }
            }
        }
    }

    /// Counts the windows of one stream; `N` is the n-gram length when fixed at compile time (else 0).
    /// Returns false when cancelled.
    #[inline]
    fn count_stream<const N: usize>(
        &self,
        shard: usize,
        table: &mut NgramTable,
        s: &Streams,
        record: &[AtomicU32],
    ) -> bool {
        let n = if N == 0 { table.n() } else { N };
        let mut ring = [Pending::default(); AHEAD];
        let mut queued = 0usize;
        for d in 0..s.n_docs() {
            if self.cancel.is_cancelled() {
                return false;
            }
            #[allow(clippy::cast_possible_truncation)]
            let doc = (s.first_doc + d as u64) as u32;
            for seg in s.doc_segment_ranges(d) {
                if seg.len() < n {
                    continue;
                }
                for pos in seg.start..=seg.end - n {
                    // A single huge document must not delay a Ctrl-C.
                    if pos & 0xFFFF == 0xFFFF && self.cancel.is_cancelled() {
                        return false;
                    }
                    let gram = &s.ids[pos..pos + n];
                    if !is_counted(gram, self.word_stop, self.edges) {
                        continue;
                    }
                    let hash = if N == 2 {
                        hash_words(&[gram[0], gram[1]])
                    } else {
                        hash_words(gram)
                    };
                    if shard_of(hash, self.n_shards) != shard {
                        continue;
                    }
                    table.prefetch(hash);
                    let slot = &mut ring[queued % AHEAD];
                    let ready = std::mem::replace(slot, Pending { pos, hash, doc });
                    if queued >= AHEAD {
                        self.add::<N>(shard, table, s, record, ready);
                    }
                    queued += 1;
                }
            }
        }
        // The last windows still in the ring, oldest first.
        for k in queued.saturating_sub(AHEAD)..queued {
            self.add::<N>(shard, table, s, record, ring[k % AHEAD]);
        }
        true
    }

    /// Counts one window and records its id.
    #[inline]
    fn add<const N: usize>(
        &self,
        shard: usize,
        table: &mut NgramTable,
        s: &Streams,
        record: &[AtomicU32],
        p: Pending,
    ) {
        let id = if N == 2 {
            table.add(p.hash, &[s.ids[p.pos], s.ids[p.pos + 1]], p.doc)
        } else {
            table.add(p.hash, &s.ids[p.pos..p.pos + table.n()], p.doc)
        };
        if let Some(slot) = record.get(p.pos) {
            let global = u64::from(id) * self.n_shards as u64 + shard as u64;
            match u32::try_from(global) {
                Ok(g) if g != NONE => slot.store(g, Ordering::Relaxed),
                _ => self.overflow.store(true, Ordering::Relaxed),
            }
        }
    }
}
