//! Named entities: a learned recognizer for people, places, organisations and other names.
//!
//! The recognizer is a greedy left-to-right averaged-perceptron tagger over BILOU tags
//! ([`model::Model`]), after Ratinov & Roth (2009), "Design Challenges and Misconceptions in Named
//! Entity Recognition". It uses word-only features, word clusters, a jackknifed training gazetteer,
//! document-level prediction history and a second stage fed by the first stage's tags. Trained on
//! CoNLL-2003 English it labels `PER`, `LOC`, `ORG` and `MISC`.
//!
//! [`Recognizer`] takes raw text: it splits sentences with [`crate::sentence::SentenceSplitter`],
//! cuts CoNLL-style tokens ([`tokenize`]) and returns entities as byte spans of the input.
//!
//! ```no_run
//! use newstally::entities::{Label, Recognizer};
//!
//! let recognizer = Recognizer::from_bytes(&std::fs::read("ner-conll2003.bin")?)?;
//! let text = "Peter Blackburn visited Paris.";
//! let entities = recognizer.predict(text);
//! assert_eq!(&text[entities[0].start..entities[0].end], "Peter Blackburn");
//! assert_eq!(entities[1].label, Label::Loc);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Modules: [`conll`] reads CoNLL files and decodes IOB1/IOB2 tags, `features` extracts
//! features, [`clusters`] holds word clusters, [`model`] trains, predicts and serialises, [`eval`]
//! scores predictions with the CoNLL exact-span measure, [`counts`] tallies entities over a corpus.

// The tagger came from a research prototype written for this project. These pedantic lints would
// only rename variables or reorder arithmetic in its tight numeric loops; the casts between the
// u8 tag ids, u32 row ids and usize indices are all bounded by the tag and feature counts.
// `WordInfo` is a bag of per-word flags (not a state machine), the `Model` Debug output leaves out
// the multi-megabyte derived caches on purpose, and the float comparisons in tests are against
// exactly representable 0.0 and 1.0.
#![allow(
    clippy::cast_lossless,
    clippy::default_trait_access,
    clippy::doc_markdown,
    clippy::float_cmp,
    clippy::format_push_string,
    clippy::missing_fields_in_debug,
    clippy::struct_excessive_bools,
    clippy::many_single_char_names,
    clippy::needless_range_loop,
    clippy::similar_names,
    clippy::too_many_lines
)]

pub mod clusters;
pub mod conll;
pub mod counts;
pub mod eval;
pub(crate) mod features;
pub mod gazetteer;
pub mod model;
pub mod tokenize;

use std::ops::Range;
use std::sync::{Arc, Mutex};

pub use conll::{Document, Label, Sentence, Span, read_conll};
pub use model::{Lexicon, Model, TrainConfig, train, train_cancellable};

use crate::error::Result;
use crate::parallel::{self, Cancel, pool, shrinking_ranges};
use crate::sentence::SentenceSplitter;

/// Lexicons a [`Recognizer`] keeps between batch calls.
pub const KEPT_LEXICONS: usize = 4;

/// Sentences longer than this many tokens are tagged in windows of this size, so a text without
/// sentence ends (a table, a run of numbers) costs linear time and memory.
pub const MAX_WINDOW_TOKENS: usize = 1000;

/// An entity found in a text: a byte span of the input and its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entity {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset one past the last character.
    pub end: usize,
    /// The entity type.
    pub label: Label,
}

/// Anything that finds entities in raw text.
pub trait EntityRecognizer: Send + Sync {
    /// The entities of `text`, in text order, not overlapping.
    fn recognize(&self, text: &str) -> Vec<Entity>;
}

/// The learned recognizer on raw text: sentence splitting, tokenization and the tagger.
///
/// Batch calls look words up in [`Lexicon`]s, one per thread (at most about 35 MB each), and keep
/// up to [`KEPT_LEXICONS`] of them for later calls, so a stream of batches does not score the same
/// unknown words again and again; results never depend on them. [`Recognizer::forget_words`]
/// frees them.
#[derive(Debug, Clone)]
pub struct Recognizer {
    model: Model,
    splitter: SentenceSplitter,
    lexicons: Arc<Mutex<Vec<Lexicon>>>,
}

impl Recognizer {
    /// Wraps a trained model.
    pub fn new(model: Model) -> Self {
        Recognizer {
            model,
            splitter: SentenceSplitter::new(),
            lexicons: Arc::default(),
        }
    }

    /// Loads a model from its serialised bytes ([`Model::to_bytes`]).
    ///
    /// # Errors
    /// [`crate::Error::Decode`] for truncated, corrupt or foreign bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(Recognizer::new(Model::from_bytes(bytes)?))
    }

    /// The model's serialised bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.model.to_bytes()
    }

    /// How many lexicons are kept for the next batch call.
    pub fn kept_lexicons(&self) -> usize {
        self.lexicons
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Frees the word lookups kept from earlier batch calls (they only make later calls faster).
    pub fn forget_words(&self) {
        self.lexicons
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// The tagger.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The token spans of `text`, grouped in tagging windows (sentences, cut at
    /// [`MAX_WINDOW_TOKENS`]).
    pub fn windows(&self, text: &str) -> Vec<Vec<Range<usize>>> {
        let mut out = Vec::new();
        self.splitter.for_each_sentence(text, |sentence| {
            let mut cur: Vec<Range<usize>> = Vec::new();
            for t in tokenize::tokenize(text, sentence) {
                cur.push(t);
                if cur.len() == MAX_WINDOW_TOKENS {
                    out.push(std::mem::take(&mut cur));
                }
            }
            if !cur.is_empty() {
                out.push(cur);
            }
        });
        out
    }

    /// The number of tokens the tagger sees in `text`.
    pub fn count_tokens(&self, text: &str) -> usize {
        let mut n = 0;
        self.splitter.for_each_sentence(text, |sentence| {
            n += tokenize::tokenize(text, sentence).count();
        });
        n
    }

    /// The entities of one text (one document: the tagger uses document-wide context).
    pub fn predict(&self, text: &str) -> Vec<Entity> {
        self.predict_with(text, &mut Lexicon::new())
    }

    /// The entities of one text, looking words up in `lexicon`, which can be reused for any number
    /// of texts (one per thread) and makes later texts faster; the result does not depend on it.
    pub fn predict_with(&self, text: &str, lexicon: &mut Lexicon) -> Vec<Entity> {
        let windows = self.windows(text);
        let sentences: Vec<Vec<&str>> = windows
            .iter()
            .map(|w| w.iter().map(|r| &text[r.clone()]).collect())
            .collect();
        let spans = self.model.predict_document_with(&sentences, lexicon);
        let mut out = Vec::new();
        for (w, sp) in windows.iter().zip(spans) {
            for (a, b, label) in sp {
                out.push(Entity {
                    start: w[a].start,
                    end: w[b - 1].end,
                    label,
                });
            }
        }
        out
    }

    /// The entities of many texts, on `threads` threads. The output does not depend on the
    /// thread count.
    ///
    /// # Errors
    /// [`crate::Error::Interrupted`] when `cancel` is set, or a thread pool that cannot start.
    pub fn predict_batch(
        &self,
        texts: &[String],
        threads: usize,
        cancel: &Cancel,
    ) -> Result<Vec<Vec<Entity>>> {
        let wanted = threads.max(1);
        let mut mine: Vec<Lexicon> = {
            let mut kept = self
                .lexicons
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let from = kept.len().saturating_sub(wanted);
            kept.drain(from..).collect()
        };
        mine.resize_with(wanted, Lexicon::default);
        let states: Vec<Mutex<Lexicon>> = mine.into_iter().map(Mutex::new).collect();
        let out = map_batch_in(texts, threads, cancel, &states, |t, lexicon| {
            self.predict_with(t, lexicon)
        });
        // Back for the next call (concurrent calls each took their own), within the bound.
        let mut kept = self
            .lexicons
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.extend(states.into_iter().filter_map(|m| m.into_inner().ok()));
        kept.truncate(KEPT_LEXICONS);
        drop(kept);
        out
    }

    /// IOB2 tags for pre-tokenized sentences of one document.
    pub fn tag(&self, sentences: &[Vec<&str>]) -> Vec<Vec<&'static str>> {
        self.model
            .predict_document(sentences)
            .iter()
            .zip(sentences)
            .map(|(spans, s)| {
                conll::encode_iob2(spans, s.len())
                    .into_iter()
                    .map(conll::Tag::as_str)
                    .collect()
            })
            .collect()
    }
}

/// `f` applied to every text, on `threads` threads, in order. Texts are split into chunks of
/// similar byte size; the output does not depend on the thread count.
///
/// # Errors
/// [`crate::Error::Interrupted`] when `cancel` is set (checked between texts), or a thread pool that
/// cannot start.
pub fn map_batch<T, F>(texts: &[String], threads: usize, cancel: &Cancel, f: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(&str) -> T + Sync,
{
    map_batch_in::<(), _, _>(texts, threads, cancel, &[], |t, ()| f(t))
}

/// `f` applied to contiguous chunks of `0..texts.len()` of similar byte size, on `threads`
/// threads; the results in chunk order. How the texts are cut depends on `threads`, so `f`'s
/// results must add up the same for any cut.
///
/// # Errors
/// [`crate::Error::Interrupted`] when `cancel` is set (checked between chunks), or a thread pool
/// that cannot start.
pub fn map_chunks<T, F>(texts: &[String], threads: usize, cancel: &Cancel, f: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(Range<usize>) -> T + Sync,
{
    run_chunks(texts, threads, |r| {
        cancel.check()?;
        Ok(f(r))
    })
}

/// [`map_batch`] with a state per thread that `f` may reuse across texts, such as a [`Lexicon`]:
/// `states` holds one per thread (fewer: threads share them; none: each chunk gets a fresh
/// `S::default()`). The output must not depend on the states.
fn map_batch_in<S, T, F>(
    texts: &[String],
    threads: usize,
    cancel: &Cancel,
    states: &[Mutex<S>],
    f: F,
) -> Result<Vec<T>>
where
    S: Default + Send,
    T: Send,
    F: Fn(&str, &mut S) -> T + Sync,
{
    // Each worker only takes its own slot, so the locks are never contended; should a slot be
    // busy anyway (a worker re-entered), a fresh state does the job.
    let parts = run_chunks(texts, threads, |r| {
        let slot = rayon::current_thread_index().unwrap_or(0);
        let mut guard = states
            .get(slot % states.len().max(1))
            .and_then(|m| m.try_lock().ok());
        let mut fresh = None;
        let state: &mut S = match guard.as_deref_mut() {
            Some(s) => s,
            None => fresh.insert(S::default()),
        };
        let mut part = Vec::with_capacity(r.len());
        for t in &texts[r] {
            cancel.check()?;
            part.push(f(t, state));
        }
        Ok(part)
    })?;
    Ok(parts.into_iter().flatten().collect())
}

/// `job` on chunks of `0..texts.len()` (see [`shrinking_ranges`]), on `threads` threads; the results
/// in chunk order. One thread runs on the caller's thread: rayon's global pool is never used.
fn run_chunks<T, F>(texts: &[String], threads: usize, job: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(Range<usize>) -> Result<T> + Sync,
{
    let lens: Vec<usize> = texts.iter().map(String::len).collect();
    if threads <= 1 {
        shrinking_ranges(&lens, 1).into_iter().map(job).collect()
    } else {
        parallel::run_chunks(&pool(threads)?, &lens, job)
    }
}

impl EntityRecognizer for Recognizer {
    fn recognize(&self, text: &str) -> Vec<Entity> {
        self.predict(text)
    }
}

#[cfg(test)]
mod tests;
