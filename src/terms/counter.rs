//! The counting engine: a streaming map-reduce over batches of documents.
//!
//! Each batch runs in three steps. (1) Chunks of documents are tokenized in parallel; each chunk interns its
//! words in a local table and counts unigrams there, so threads share nothing. (2) The local tables are
//! merged into the corpus vocabulary, which renumbers every chunk's token ids. (3) N-grams are counted
//! from the id streams by shards: each thread owns the n-grams whose hash falls in its shard, reads every
//! stream, and never meets another thread's keys, so no table is ever merged or locked. Results are
//! sorted at the end, which makes them independent of thread count, chunking and batch size.

use ahash::AHashMap;
use rayon::ThreadPool;
use rayon::prelude::*;

use super::analyzer::{Analyzer, Streams};
use super::config::{CountConfig, NgramStopWords, Pruning};
use super::matrix::{Columns, Csr, NONE, build_rows};
use crate::error::{Error, Result};
use crate::ngrams::{NgramTable, hash_words, shard_of};
use crate::parallel::{Cancel, balanced_ranges, pool, resolve_threads};
use crate::stats::{CorpusStats, TermTable, TermTableBuilder};

/// One chunk's words and unigram counts, before they join the corpus vocabulary.
struct Chunk {
    words: Vec<(Box<str>, u32)>,
    count: Vec<u64>,
    df: Vec<u32>,
    streams: Streams,
    n_tokens: u64,
}

/// Counts terms and n-grams over documents fed in batches.
///
/// ```
/// use newstally::terms::{Counter, CountConfig};
/// use newstally::parallel::Cancel;
/// let config = CountConfig { ngram_range: (1, 2), ..CountConfig::default() };
/// let mut counter = Counter::new(config, Some(2), false).unwrap();
/// counter.update(&["The cat sat.", "The cat ran."], &Cancel::new()).unwrap();
/// let stats = counter.stats(Default::default());
/// let bigrams = stats.table(2).unwrap();
/// assert_eq!(bigrams.term(bigrams.position("the cat").unwrap()), "the cat");
/// assert_eq!(bigrams.count(bigrams.position("the cat").unwrap()), 2);
/// ```
pub struct Counter {
    analyzer: Analyzer,
    pool: ThreadPool,
    threads: usize,
    keep_rows: bool,
    vocab: AHashMap<Box<str>, u32>,
    words: Vec<Box<str>>,
    word_stop: Vec<bool>,
    /// Whether every word is non-empty and free of bytes <= 0x20, so that comparing n-grams as tuples of
    /// word ranks orders them exactly as their space-joined strings.
    plain_words: bool,
    uni_count: Vec<u64>,
    uni_df: Vec<u64>,
    /// `shards[s][n - first]`: the n-grams of length `n` owned by shard `s`.
    shards: Vec<Vec<NgramTable>>,
    n_documents: u64,
    n_tokens: u64,
    rows: Vec<Streams>,
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
        Ok(Counter {
            analyzer,
            pool: pool(threads)?,
            threads,
            keep_rows,
            vocab: AHashMap::new(),
            words: Vec::new(),
            word_stop: Vec::new(),
            plain_words: true,
            uni_count: Vec::new(),
            uni_df: Vec::new(),
            shards,
            n_documents: 0,
            n_tokens: 0,
            rows: Vec::new(),
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
        if docs.is_empty() {
            return Ok(());
        }
        let first_doc = self.n_documents;
        if first_doc + docs.len() as u64 > u64::from(u32::MAX) {
            return Err(Error::TooLarge(
                "more than 4294967295 documents in one result; count in parts and merge".into(),
            ));
        }
        let hi = self.analyzer.config.ngram_range.1;
        let need_streams = hi >= 2 || self.keep_rows;
        let lens: Vec<usize> = docs.iter().map(|d| d.as_ref().len()).collect();
        let ranges = balanced_ranges(&lens, self.threads * 4);
        let analyzer = &self.analyzer;
        let mut chunks: Vec<Chunk> = self.pool.install(|| {
            ranges
                .par_iter()
                .map(|r| tokenize_chunk(analyzer, &docs[r.clone()], need_streams, cancel))
                .collect::<Result<Vec<_>>>()
        })?;
        let mut next_doc = first_doc;
        for c in &mut chunks {
            c.streams.first_doc = next_doc;
            next_doc += c.streams.n_docs() as u64;
        }
        // Vocabulary merge and n-gram counting change the counter, so nothing below may fail half-way;
        // a cancel is only honoured between batches from here on.
        let streams = self.absorb(chunks);
        if hi >= 2 {
            self.count_ngrams(&streams);
        }
        self.n_documents = next_doc;
        if self.keep_rows {
            self.rows.extend(streams);
        }
        Ok(())
    }

    fn absorb(&mut self, chunks: Vec<Chunk>) -> Vec<Streams> {
        let mut remaps = Vec::with_capacity(chunks.len());
        let mut streams = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let mut remap = vec![0u32; chunk.words.len()];
            for (word, lid) in chunk.words {
                let lid = lid as usize;
                let gid = if let Some(&gid) = self.vocab.get(&word) {
                    gid
                } else {
                    let gid = u32::try_from(self.words.len()).unwrap_or(NONE);
                    self.plain_words &= !word.is_empty() && word.bytes().all(|b| b > b' ');
                    self.word_stop.push(self.analyzer.is_stop(&word));
                    self.words.push(word.clone());
                    self.vocab.insert(word, gid);
                    self.uni_count.push(0);
                    self.uni_df.push(0);
                    gid
                };
                remap[lid] = gid;
                self.uni_count[gid as usize] += chunk.count[lid];
                self.uni_df[gid as usize] += u64::from(chunk.df[lid]);
            }
            self.n_tokens += chunk.n_tokens;
            remaps.push(remap);
            streams.push(chunk.streams);
        }
        self.pool.install(|| {
            streams
                .par_iter_mut()
                .zip(remaps.par_iter())
                .for_each(|(s, remap)| s.ids.iter_mut().for_each(|id| *id = remap[*id as usize]));
        });
        streams
    }

    fn count_ngrams(&mut self, streams: &[Streams]) {
        let Counter {
            pool,
            shards,
            word_stop,
            analyzer,
            ..
        } = self;
        let edges = analyzer.config.ngram_stop_words == NgramStopWords::Edges;
        let n_shards = shards.len();
        pool.install(|| {
            shards.par_iter_mut().enumerate().for_each(|(shard, tables)| {
                for s in streams {
                    for d in 0..s.n_docs() {
                        #[allow(clippy::cast_possible_truncation)]
                        let doc = (s.first_doc + d as u64) as u32;
                        for seg in s.doc_segments(d) {
                            for table in tables.iter_mut() {
                                let n = table.n();
                                if seg.len() < n {
                                    break;
                                }
                                for gram in seg.windows(n) {
                                    if edges
                                        && (word_stop[gram[0] as usize]
                                            || word_stop[gram[n - 1] as usize])
                                    {
                                        continue;
                                    }
                                    let h = hash_words(gram);
                                    if shard_of(h, n_shards) == shard {
                                        table.add(h, gram, doc);
                                    }
                                }
                            }
                        }
                    }
                }
            });
        });
    }

    /// Word ids in term order, and each word's position in that order.
    fn word_order(&self) -> (Vec<u32>, Vec<u32>) {
        let words = &self.words;
        let mut order: Vec<u32> = (0..u32::try_from(words.len()).unwrap_or(NONE)).collect();
        self.pool.install(|| {
            order.par_sort_unstable_by(|&a, &b| words[a as usize].as_bytes().cmp(words[b as usize].as_bytes()));
        });
        let mut rank = vec![0u32; words.len()];
        for (r, &w) in order.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            {
                rank[w as usize] = r as u32;
            }
        }
        (order, rank)
    }

    /// The n-grams of table `t` (all shards), sorted by their joined strings, as (shard, id).
    fn sorted_ngrams(&self, t: usize, rank: &[u32]) -> Vec<(u32, u32)> {
        let mut refs: Vec<(u32, u32)> = Vec::new();
        for (s, tables) in self.shards.iter().enumerate() {
            let table = &tables[t];
            #[allow(clippy::cast_possible_truncation)]
            refs.extend((0..table.len() as u32).map(|id| (s as u32, id)));
        }
        let gram = |&(s, id): &(u32, u32)| self.shards[s as usize][t].gram(id);
        self.pool.install(|| {
            if self.plain_words {
                let n = self.shards.first().map_or(2, |tables| tables[t].n());
                if n == 2 {
                    // Two ranks pack into one integer: the common case sorts on plain u64 keys.
                    let mut keyed: Vec<(u64, (u32, u32))> = refs
                        .iter()
                        .map(|r| {
                            let g = gram(r);
                            ((u64::from(rank[g[0] as usize]) << 32) | u64::from(rank[g[1] as usize]), *r)
                        })
                        .collect();
                    keyed.par_sort_unstable_by_key(|k| k.0);
                    refs = keyed.into_iter().map(|k| k.1).collect();
                } else {
                    refs.par_sort_unstable_by(|a, b| {
                        let (ga, gb) = (gram(a), gram(b));
                        ga.iter()
                            .map(|&w| rank[w as usize])
                            .cmp(gb.iter().map(|&w| rank[w as usize]))
                    });
                }
            } else {
                let joined: Vec<String> = refs.iter().map(|r| self.joined(gram(r))).collect();
                let mut idx: Vec<usize> = (0..refs.len()).collect();
                idx.par_sort_unstable_by(|&a, &b| joined[a].as_bytes().cmp(joined[b].as_bytes()));
                refs = idx.into_iter().map(|i| refs[i]).collect();
            }
        });
        refs
    }

    fn joined(&self, gram: &[u32]) -> String {
        let mut s = String::new();
        for (i, &w) in gram.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&self.words[w as usize]);
        }
        s
    }

    /// Per-order tables, each sorted by term, with where each row came from.
    fn tables(&self) -> Vec<(TermTable, Vec<Feature>)> {
        let (lo, hi) = self.analyzer.config.ngram_range;
        let (order, rank) = self.word_order();
        let mut out = Vec::new();
        if lo == 1 {
            let mut b = TermTableBuilder::default();
            let mut refs = Vec::new();
            for &w in &order {
                let c = self.uni_count[w as usize];
                if c > 0 {
                    b.push(&self.words[w as usize], c, self.uni_df[w as usize]);
                    refs.push(Feature { shard: 0, table: NONE, id: w });
                }
            }
            out.push((b.finish(), refs));
        }
        for (t, _) in (lo.max(2)..=hi).enumerate() {
            let sorted = self.sorted_ngrams(t, &rank);
            let mut b = TermTableBuilder::default();
            let mut refs = Vec::with_capacity(sorted.len());
            for &(s, id) in &sorted {
                let table = &self.shards[s as usize][t];
                let words = table.gram(id).iter().map(|&w| &*self.words[w as usize]);
                b.push_joined(words, table.count(id), table.df(id));
                #[allow(clippy::cast_possible_truncation)]
                refs.push(Feature { shard: s, table: t as u32, id });
            }
            out.push((b.finish(), refs));
        }
        out
    }

    /// The counts so far, to be read through `pruning`.
    pub fn stats(&self, pruning: Pruning) -> CorpusStats {
        let tables = self.tables().into_iter().map(|t| t.0).collect();
        CorpusStats::from_parts(
            self.analyzer.config.clone(),
            pruning,
            self.n_documents,
            self.n_tokens,
            tables,
        )
    }

    /// Every feature of every order in one table sorted by term (scikit-learn's vocabulary order).
    pub fn features(&self) -> Features {
        let mut tables = self.tables();
        // Merge the per-order tables pairwise: each is sorted, and all are disjoint.
        while tables.len() > 1 {
            let (b_table, b_refs) = tables.pop().unwrap_or_default();
            let (a_table, a_refs) = tables.pop().unwrap_or_default();
            tables.push(merge_disjoint(&a_table, &a_refs, &b_table, &b_refs));
        }
        let (table, refs) = tables.pop().unwrap_or_default();
        Features { table, refs }
    }

    /// The document-term matrix over the features at `keep` (indices into `features`, ascending), which
    /// become columns `0..keep.len()`. Needs `keep_rows`.
    ///
    /// # Errors
    /// The counter did not keep rows, `keep` is not ascending or out of range, or the job was cancelled.
    pub fn matrix(&self, features: &Features, keep: &[usize], cancel: &Cancel) -> Result<Csr> {
        if !self.keep_rows {
            return Err(Error::config("keep_rows", "this counter did not keep document rows"));
        }
        if keep.windows(2).any(|w| w[0] >= w[1]) || keep.last().is_some_and(|&k| k >= features.refs.len()) {
            return Err(Error::config("keep", "feature indices must be ascending and in range"));
        }
        if i32::try_from(keep.len()).is_err() {
            return Err(Error::TooLarge("more than 2^31 features".into()));
        }
        let mut cols = CounterColumns {
            counter: self,
            unigram: vec![NONE; self.words.len()],
            ngram: self
                .shards
                .iter()
                .map(|tables| tables.iter().map(|t| vec![NONE; t.len()]).collect())
                .collect(),
        };
        for (col, &f) in keep.iter().enumerate() {
            let r = features.refs[f];
            #[allow(clippy::cast_possible_truncation)]
            let col = col as u32;
            if r.table == NONE {
                cols.unigram[r.id as usize] = col;
            } else {
                cols.ngram[r.shard as usize][r.table as usize][r.id as usize] = col;
            }
        }
        build_rows(&self.rows, self.analyzer.config.ngram_range, &cols, &self.pool, cancel)
    }

    /// Approximate heap bytes of the counts (not the kept rows), for memory reports.
    pub fn heap_bytes(&self) -> usize {
        let words: usize = self.words.iter().map(|w| w.len() * 2 + 48).sum();
        let grams: usize = self.shards.iter().flatten().map(NgramTable::heap_bytes).sum();
        words + self.uni_count.len() * 17 + grams
    }
}

/// Where a feature row came from: a unigram (`table == NONE`, `id` = word id) or n-gram `id` of table
/// `table` in shard `shard`.
#[derive(Debug, Clone, Copy)]
struct Feature {
    shard: u32,
    table: u32,
    id: u32,
}

/// All features of a [`Counter`], sorted by term.
#[derive(Debug, Default)]
pub struct Features {
    /// Terms with corpus counts and document frequencies.
    pub table: TermTable,
    refs: Vec<Feature>,
}

fn merge_disjoint(
    a: &TermTable,
    a_refs: &[Feature],
    b: &TermTable,
    b_refs: &[Feature],
) -> (TermTable, Vec<Feature>) {
    let mut out = TermTableBuilder::with_capacity(a.len() + b.len(), 0);
    let mut refs = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let take_a = j >= b.len() || (i < a.len() && a.term(i).as_bytes() < b.term(j).as_bytes());
        if take_a {
            out.push(a.term(i), a.count(i), a.df(i));
            refs.push(a_refs[i]);
            i += 1;
        } else {
            out.push(b.term(j), b.count(j), b.df(j));
            refs.push(b_refs[j]);
            j += 1;
        }
    }
    (out.finish(), refs)
}

struct CounterColumns<'a> {
    counter: &'a Counter,
    unigram: Vec<u32>,
    ngram: Vec<Vec<Vec<u32>>>,
}

impl Columns for CounterColumns<'_> {
    #[inline]
    fn unigram(&self, word: u32) -> u32 {
        self.unigram[word as usize]
    }

    #[inline]
    fn ngram(&self, gram: &[u32], hash: u64) -> u32 {
        let shards = &self.counter.shards;
        let s = shard_of(hash, shards.len());
        let (lo, _) = self.counter.analyzer.config.ngram_range;
        let t = gram.len() - lo.max(2);
        match shards[s][t].find(hash, gram) {
            Some(id) => self.ngram[s][t][id as usize],
            None => NONE,
        }
    }
}

fn tokenize_chunk<S: AsRef<str>>(
    analyzer: &Analyzer,
    docs: &[S],
    need_streams: bool,
    cancel: &Cancel,
) -> Result<Chunk> {
    let mut map: AHashMap<Box<str>, u32> = AHashMap::new();
    let mut is_stop: Vec<bool> = Vec::new();
    let mut count: Vec<u64> = Vec::new();
    let mut df: Vec<u32> = Vec::new();
    let mut last: Vec<u32> = Vec::new();
    let mut streams = Streams::default();
    let mut n_tokens = 0u64;
    let mut sentence_ends = Vec::new();
    let remove_stops = analyzer.removes_stop_words();
    for (d, doc) in docs.iter().enumerate() {
        cancel.check()?;
        #[allow(clippy::cast_possible_truncation)]
        let tag = d as u32 + 1;
        analyzer.for_each_token(doc.as_ref(), &mut sentence_ends, |term, new_segment| {
            n_tokens += 1;
            if need_streams && new_segment {
                streams.close_segment();
            }
            let id = if let Some(&id) = map.get(term) {
                id as usize
            } else {
                let id = count.len();
                #[allow(clippy::cast_possible_truncation)]
                map.insert(term.into(), id as u32);
                is_stop.push(analyzer.is_stop(term));
                count.push(0);
                df.push(0);
                last.push(0);
                id
            };
            if is_stop[id] {
                if remove_stops {
                    return;
                }
            } else {
                count[id] += 1;
                if last[id] != tag {
                    last[id] = tag;
                    df[id] += 1;
                }
            }
            if need_streams {
                #[allow(clippy::cast_possible_truncation)]
                streams.ids.push(id as u32);
            }
        });
        if need_streams {
            streams.close_doc();
        } else {
            streams.doc_ends.push(0);
        }
    }
    Ok(Chunk {
        words: map.into_iter().collect(),
        count,
        df,
        streams,
        n_tokens,
    })
}
