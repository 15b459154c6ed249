//! What to count and how to prune it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ngrams::MAX_N;
use crate::tokenize::TokenizerConfig;

/// What stop words do to n-grams longer than one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum NgramStopWords {
    /// Stop words are taken out before n-grams are formed (scikit-learn's behaviour), so "bank of england"
    /// yields the bigram "bank england".
    #[default]
    Remove,
    /// N-grams keep inner stop words but are dropped when they start or end with one: "bank of england"
    /// is kept, "of england" is not.
    Edges,
    /// N-grams keep every stop word; only the unigram table leaves them out.
    Keep,
}

/// Everything that decides what gets counted. Stored with results: only results counted with equal
/// configs can be merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountConfig {
    /// How documents become tokens.
    pub tokenizer: TokenizerConfig,
    /// Smallest and largest n-gram length, both inclusive, `1 <= lo <= hi <= 8`.
    pub ngram_range: (usize, usize),
    /// Whether n-grams may span a sentence boundary (scikit-learn's vectorizers: yes).
    pub cross_sentences: bool,
    /// Terms left out of the counts, compared after the tokenizer's normalisation. Sorted and unique.
    pub stop_words: Vec<String>,
    /// How stop words affect n-grams.
    pub ngram_stop_words: NgramStopWords,
}

impl Default for CountConfig {
    fn default() -> Self {
        CountConfig {
            tokenizer: TokenizerConfig::sklearn(),
            ngram_range: (1, 1),
            cross_sentences: true,
            stop_words: Vec::new(),
            ngram_stop_words: NgramStopWords::Remove,
        }
    }
}

impl CountConfig {
    /// Checks ranges and normalises the stop word list (sorted, unique).
    ///
    /// # Errors
    /// An n-gram range outside `1..=8` or with `lo > hi`.
    pub fn build(mut self) -> Result<Self> {
        let (lo, hi) = self.ngram_range;
        if lo == 0 || hi < lo || hi > MAX_N {
            return Err(Error::config(
                "ngram_range",
                format!("need 1 <= min_n <= max_n <= {MAX_N}, got ({lo}, {hi})"),
            ));
        }
        self.stop_words.sort_unstable();
        self.stop_words.dedup();
        Ok(self)
    }

    /// The n-gram orders counted, in increasing order.
    pub fn orders(&self) -> std::ops::RangeInclusive<usize> {
        self.ngram_range.0..=self.ngram_range.1
    }
}

/// A document-frequency bound: an absolute number of documents or a fraction of them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum DocFreq {
    /// At least / at most this many documents.
    Count(u64),
    /// At least / at most this fraction of the documents, in `[0, 1]`.
    Fraction(f64),
}

impl DocFreq {
    /// The bound in documents, as scikit-learn computes it (fractions are not rounded).
    pub fn resolve(self, n_documents: u64) -> f64 {
        match self {
            #[allow(clippy::cast_precision_loss)]
            DocFreq::Count(c) => c as f64,
            #[allow(clippy::cast_precision_loss)]
            DocFreq::Fraction(f) => f * n_documents as f64,
        }
    }
}

/// Which terms a result shows. Applied when a table is read, never to the stored counts, so merged
/// results prune exactly as a single run over all their documents would.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pruning {
    /// Keep terms counted at least this often in the corpus.
    pub min_count: u64,
    /// Keep terms in at least this many documents.
    pub min_df: DocFreq,
    /// Keep terms in at most this many documents.
    pub max_df: DocFreq,
    /// Keep at most this many terms per table, the most frequent (ties: term ascending).
    pub max_features: Option<usize>,
}

impl Default for Pruning {
    fn default() -> Self {
        Pruning {
            min_count: 1,
            min_df: DocFreq::Count(1),
            max_df: DocFreq::Fraction(1.0),
            max_features: None,
        }
    }
}

impl Pruning {
    /// Checks the bounds.
    ///
    /// # Errors
    /// A fraction outside `[0, 1]` or not finite.
    pub fn build(self) -> Result<Self> {
        for (name, v) in [("min_df", self.min_df), ("max_df", self.max_df)] {
            if let DocFreq::Fraction(f) = v
                && !(0.0..=1.0).contains(&f)
            {
                return Err(Error::config(
                    name,
                    format!("a fraction must be in [0.0, 1.0], got {f}"),
                ));
            }
        }
        Ok(self)
    }

    /// The accepted document-frequency interval for a corpus of `n_documents`.
    ///
    /// # Errors
    /// `max_df` resolves below `min_df` (scikit-learn's check).
    pub fn df_bounds(&self, n_documents: u64) -> Result<(f64, f64)> {
        let lo = self.min_df.resolve(n_documents);
        let hi = self.max_df.resolve(n_documents);
        if hi < lo {
            // scikit-learn's wording first, so its users recognise it; then the numbers behind it.
            return Err(Error::config(
                "max_df",
                format!(
                    "max_df corresponds to < documents than min_df (max_df {hi} < min_df {lo} documents, of {n_documents})"
                ),
            ));
        }
        Ok((lo, hi))
    }
}
