//! Turns a document into the token stream counting works on: tokens, sentence breaks, stop words.

use ahash::AHashSet;

use super::config::{CountConfig, NgramStopWords};
use super::words::{Key, Seed};
use crate::error::Result;
use crate::sentence::SentenceSplitter;
use crate::tokenize::{Tokenizer, for_each_ascii_run, only_ascii_words};

/// Token ids of a run of documents, split into segments n-grams may not cross (sentences, or whole
/// documents when n-grams cross sentences).
#[derive(Debug, Default)]
pub(crate) struct Streams {
    /// Corpus index of the first document.
    pub first_doc: u64,
    /// Word ids, all documents one after another.
    pub ids: Vec<u32>,
    /// End (exclusive) in `ids` of each segment.
    pub seg_ends: Vec<usize>,
    /// End (exclusive) in `seg_ends` of each document's segments.
    pub doc_ends: Vec<usize>,
    /// For each counted n-gram length (in table order), the id of the n-gram starting at each position of
    /// `ids`, recorded while counting so a matrix needs no second hash probe. Filled by the counter's
    /// shards, each at the positions of its own n-grams; hence atomics (relaxed stores are plain moves).
    pub grams: Vec<Vec<std::sync::atomic::AtomicU32>>,
    /// With unigram rows kept: each document's distinct counted words (in order of first occurrence)
    /// with their counts in it, so a matrix row needs no pass over the tokens.
    pub uni: Vec<(u32, u32)>,
    /// End (exclusive) in `uni` of each document's words.
    pub uni_ends: Vec<usize>,
}

impl Streams {
    pub fn n_docs(&self) -> usize {
        self.doc_ends.len()
    }

    /// Reserves room for counting documents of the lengths `lens`, keeping token ids with `STREAMS`
    /// and documents' distinct words with `ROWS`, at the rates of news text: a token per 6 bytes or
    /// so, and a document's distinct words half its tokens (the shared corpora: 5.9 million tokens and
    /// 3.2 million document-word pairs in 36.5 MB). Grown a doubling at a time instead, each list
    /// moved to a larger block half a dozen times per chunk, copied whenever that block was one the
    /// allocator had kept (`src/alloc.rs`): 2% of a repeated unigram fit's time. Denser text still
    /// grows them. Room in a fresh mapping that is never written costs no memory.
    pub fn reserve_for<const STREAMS: bool, const ROWS: bool>(
        &mut self,
        lens: impl ExactSizeIterator<Item = usize>,
    ) {
        let docs = lens.len();
        let bytes: usize = lens.sum();
        self.doc_ends.reserve(docs);
        if ROWS {
            self.uni.reserve(bytes / 8);
            self.uni_ends.reserve(docs);
        }
        if STREAMS {
            self.ids.reserve(bytes / 5);
        }
    }

    /// The segments of document `d` as ranges of `ids`.
    pub fn doc_segment_ranges(
        &self,
        d: usize,
    ) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        let first_seg = if d == 0 { 0 } else { self.doc_ends[d - 1] };
        (first_seg..self.doc_ends[d]).map(move |s| {
            let start = if s == 0 { 0 } else { self.seg_ends[s - 1] };
            start..self.seg_ends[s]
        })
    }

    /// The distinct words of document `d` with their counts (with unigram rows kept).
    pub fn doc_unigrams(&self, d: usize) -> &[(u32, u32)] {
        let start = if d == 0 { 0 } else { self.uni_ends[d - 1] };
        &self.uni[start..self.uni_ends[d]]
    }

    /// The segments of document `d` as id slices.
    pub fn doc_segments(&self, d: usize) -> impl Iterator<Item = &[u32]> {
        self.doc_segment_ranges(d).map(move |r| &self.ids[r])
    }

    /// Ends the current segment, if it has any tokens.
    pub fn close_segment(&mut self) {
        let last = self.seg_ends.last().copied().unwrap_or(0);
        if self.ids.len() > last {
            self.seg_ends.push(self.ids.len());
        }
    }

    /// Ends the current document.
    pub fn close_doc(&mut self) {
        self.close_segment();
        self.doc_ends.push(self.seg_ends.len());
    }
}

/// Receives the tokens of [`Analyzer::for_each_key`]. A trait rather than a closure so that the
/// receiver can ask to be inlined at each of the places that call it (a closure cannot, on stable
/// Rust): a call per token cost more than its body's lookups save.
pub(crate) trait KeySink {
    /// One token: its word-table key, its text (as stored when `is_final`, else to be ASCII
    /// lowercased), and whether it starts a new segment.
    fn token(&mut self, key: Key, term: &str, is_final: bool, new_segment: bool);
}

/// Tokenizer, sentence splitter and stop words, built once from a [`CountConfig`].
#[derive(Debug, Clone)]
pub(crate) struct Analyzer {
    pub config: CountConfig,
    tokenizer: Tokenizer,
    splitter: Option<SentenceSplitter>,
    stop: AHashSet<String>,
    /// With scikit-learn's default pattern, whether it lowercases: documents whose words are all ASCII
    /// then take [`Analyzer::for_each_key`]'s fast path.
    ascii_runs_lowercase: Option<bool>,
}

impl Analyzer {
    pub fn new(config: CountConfig) -> Result<Self> {
        let config = config.build()?;
        let tokenizer = Tokenizer::new(&config.tokenizer)?;
        // Sentences only matter where n-grams of two or more words are formed.
        let splitter =
            (!config.cross_sentences && config.ngram_range.1 >= 2).then(SentenceSplitter::new);
        let stop = config.stop_words.iter().cloned().collect();
        let ascii_runs_lowercase = match &tokenizer {
            Tokenizer::Pattern(p) if p.is_default() => Some(p.lowercase()),
            _ => None,
        };
        Ok(Analyzer {
            config,
            tokenizer,
            splitter,
            stop,
            ascii_runs_lowercase,
        })
    }

    pub fn is_stop(&self, term: &str) -> bool {
        !self.stop.is_empty() && self.stop.contains(term)
    }

    /// Whether stop words are dropped from the stream entirely.
    pub fn removes_stop_words(&self) -> bool {
        self.config.ngram_stop_words == NgramStopWords::Remove
    }

    /// Calls `f(term, starts_sentence)` for each token of `text`; `sentence_ends` is scratch space.
    /// Stop words are not filtered here: callers cache a flag per word id instead of hashing twice.
    pub fn for_each_token<F: FnMut(&str, bool)>(
        &self,
        text: &str,
        sentence_ends: &mut Vec<usize>,
        mut f: F,
    ) {
        sentence_ends.clear();
        let Some(sp) = &self.splitter else {
            self.tokenizer.for_each_term(text, |term| f(term, false));
            return;
        };
        sp.for_each_sentence(text, |r| sentence_ends.push(r.end));
        let mut next = 0;
        self.tokenizer.for_each_token(text, |term, start, _| {
            let mut new_segment = false;
            while next < sentence_ends.len() && start >= sentence_ends[next] {
                next += 1;
                new_segment = true;
            }
            f(term, new_segment);
        });
    }

    /// Calls `f(key, term, is_final, starts_sentence)` for each token of `text`, with its word-table key:
    /// `term` is the token as stored when `is_final`, else its ASCII lowercase is. A key longer than 16
    /// bytes always comes with the final text, which the table compares.
    ///
    /// Documents whose words are all ASCII (see [`only_ascii_words`]) take a fast path under
    /// scikit-learn's default pattern: tokens are read as bit runs and keyed straight from the document
    /// bytes, lowercased sixteen at a time, with no copy.
    #[inline]
    pub fn for_each_key<K: KeySink>(
        &self,
        text: &str,
        seed: Seed,
        sentence_ends: &mut Vec<usize>,
        sink: &mut K,
    ) {
        let Some(lower) = self.ascii_runs_lowercase.filter(|_| only_ascii_words(text)) else {
            self.for_each_token(text, sentence_ends, |term, new_segment| {
                sink.token(Key::of(term.as_bytes(), seed), term, true, new_segment);
            });
            return;
        };
        sentence_ends.clear();
        if let Some(sp) = &self.splitter {
            sp.for_each_sentence(text, |r| sentence_ends.push(r.end));
        }
        let bytes = text.as_bytes();
        let mut next = 0;
        let mut long = String::new();
        for_each_ascii_run(bytes, 2, |start, end| {
            let mut new_segment = false;
            while next < sentence_ends.len() && start >= sentence_ends[next] {
                next += 1;
                new_segment = true;
            }
            // SAFETY: a run starts at an ASCII byte and ends at the text's end or just after an
            // ASCII byte, which no UTF-8 continuation byte can follow: both are char boundaries.
            // (The checked slice tested both, about 16 instructions a token.)
            debug_assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
            let term = unsafe { text.get_unchecked(start..end) };
            // One call of the sink, so that the run loop's body is called from one place and
            // inlines.
            let (key, term, is_final) =
                if let Some(key) = Key::of_ascii_run(bytes, start, end, lower) {
                    (key, term, !lower)
                } else {
                    long.clear();
                    long.push_str(term);
                    if lower {
                        long.make_ascii_lowercase();
                    }
                    (Key::of(long.as_bytes(), seed), long.as_str(), true)
                };
            sink.token(key, term, is_final, new_segment);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each token as `for_each_key` gives it: its key, its text as stored, and whether it starts a
    /// sentence.
    fn keyed(a: &Analyzer, text: &str, seed: Seed) -> Vec<(Key, String, bool)> {
        struct Keyed {
            seed: Seed,
            out: Vec<(Key, String, bool)>,
        }
        impl KeySink for Keyed {
            fn token(&mut self, key: Key, term: &str, is_final: bool, starts: bool) {
                let stored = if is_final {
                    term.to_owned()
                } else {
                    term.to_ascii_lowercase()
                };
                assert_eq!(key, Key::of(stored.as_bytes(), self.seed), "{stored:?}");
                self.out.push((key, stored, starts));
            }
        }
        let mut sink = Keyed {
            seed,
            out: Vec::new(),
        };
        a.for_each_key(text, seed, &mut Vec::new(), &mut sink);
        sink.out
    }

    #[test]
    fn separators_outside_ascii_take_the_fast_path_with_the_same_keys() {
        let seed = Seed::random();
        // Unigrams across sentences, as scikit-learn counts; and bigrams within sentences, which
        // split the text into sentences too.
        let sentences = CountConfig {
            ngram_range: (1, 2),
            cross_sentences: false,
            ..CountConfig::default()
        };
        for config in [CountConfig::default(), sentences] {
            let analyzer = Analyzer::new(config).unwrap();
            for text in [
                "“Brexit’s cost,” he said — £5bn… or €6bn. “It’s over.” Mr. Smith left.",
                "An ‘Internationalisation’ word’s KEY — “Electroencephalography”, twenty bytes",
            ] {
                // " é" takes the general route and adds no token.
                let fast = keyed(&analyzer, text, seed);
                assert_eq!(
                    fast,
                    keyed(&analyzer, &format!("{text} é"), seed),
                    "{text:?}"
                );
                assert!(fast.len() >= 6);
            }
        }
    }
}
