//! Counting results: [`CorpusStats`], merging, and the binary format.

mod codec;
mod table;

pub use table::{TermTable, TermTableBuilder};

use serde::{Deserialize, Serialize};

use crate::entities::counts::EntityCounts;
use crate::error::{Error, Result};
use crate::terms::{CountConfig, Pruning};

/// Results that add up: merging the results of two disjoint parts of a corpus gives exactly the result of
/// counting the whole. Implementations are associative and commutative.
pub trait Merge: Sized {
    /// The sum of `self` and `other`.
    ///
    /// # Errors
    /// The two were counted with different settings.
    fn merge(&self, other: &Self) -> Result<Self>;
}

/// Term and n-gram counts of a corpus, with the settings that produced them.
///
/// The tables hold every counted term; [`Pruning`] is applied when a table is read
/// ([`CorpusStats::ranked`]), so merged results prune exactly like one run over all documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusStats {
    config: CountConfig,
    pruning: Pruning,
    n_documents: u64,
    n_tokens: u64,
    /// One table per n-gram order, from `ngram_range.0` to `ngram_range.1`.
    tables: Vec<TermTable>,
    /// Named-entity counts, when they were asked for.
    entities: Option<EntityCounts>,
}

impl CorpusStats {
    /// Assembles results; `tables` has one table per order of `config.ngram_range`.
    pub fn from_parts(
        config: CountConfig,
        pruning: Pruning,
        n_documents: u64,
        n_tokens: u64,
        tables: Vec<TermTable>,
    ) -> Self {
        debug_assert_eq!(tables.len(), config.orders().count());
        CorpusStats {
            config,
            pruning,
            n_documents,
            n_tokens,
            tables,
            entities: None,
        }
    }

    /// The same counts with entity counts of the same documents attached.
    ///
    /// # Errors
    /// The entity counts cover a different number of documents.
    pub fn with_entities(mut self, entities: EntityCounts) -> Result<Self> {
        if entities.n_documents() != self.n_documents {
            return Err(Error::Incompatible(format!(
                "entity counts cover {} documents, the term counts {}",
                entities.n_documents(),
                self.n_documents
            )));
        }
        self.entities = Some(entities);
        Ok(self)
    }

    /// The entity counts, if they were counted.
    pub fn entities(&self) -> Option<&EntityCounts> {
        self.entities.as_ref()
    }

    /// Empty results for `config` (the identity of [`Merge::merge`]).
    ///
    /// # Errors
    /// An invalid config or pruning.
    pub fn empty(config: CountConfig, pruning: Pruning) -> Result<Self> {
        let config = config.build()?;
        let pruning = pruning.build()?;
        let tables = config.orders().map(|_| TermTable::default()).collect();
        Ok(CorpusStats::from_parts(config, pruning, 0, 0, tables))
    }

    /// The settings the counts were made with.
    pub fn config(&self) -> &CountConfig {
        &self.config
    }

    /// The pruning applied when tables are read.
    pub fn pruning(&self) -> &Pruning {
        &self.pruning
    }

    /// The same counts read through other pruning settings.
    #[must_use]
    pub fn with_pruning(mut self, pruning: Pruning) -> Self {
        self.pruning = pruning;
        self
    }

    /// Documents counted.
    pub fn n_documents(&self) -> u64 {
        self.n_documents
    }

    /// Tokens seen, stop words included.
    pub fn n_tokens(&self) -> u64 {
        self.n_tokens
    }

    /// The full (unpruned) table of `n`-grams.
    ///
    /// # Errors
    /// `n` is outside the counted `ngram_range`.
    pub fn table(&self, n: usize) -> Result<&TermTable> {
        let (lo, hi) = self.config.ngram_range;
        if n < lo || n > hi {
            return Err(Error::config(
                "n",
                format!("{n}-grams were not counted; ngram_range is ({lo}, {hi})"),
            ));
        }
        Ok(&self.tables[n - lo])
    }

    /// Rows of the `n`-gram table that pass the pruning, most frequent first (ties: term ascending),
    /// at most `limit` of them (and at most `max_features`).
    ///
    /// # Errors
    /// `n` was not counted, or `max_df` resolves below `min_df`.
    pub fn ranked(&self, n: usize, limit: Option<usize>) -> Result<Vec<usize>> {
        let Some((table, passes)) = self.filter(n)? else {
            return Ok(Vec::new());
        };
        let limit = match (limit, self.pruning.max_features) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Ok(table.ranked(passes, limit))
    }

    /// The `n`-gram table and the test of `min_count`, `min_df` and `max_df`, or `None` for an empty
    /// table (an empty corpus must not trip the `min_df`/`max_df` consistency check).
    fn filter(&self, n: usize) -> Result<Option<(&TermTable, impl Fn(usize) -> bool + '_)>> {
        let table = self.table(n)?;
        if table.is_empty() {
            return Ok(None);
        }
        let p = &self.pruning;
        let (lo, hi) = p.df_bounds(self.n_documents)?;
        let passes = move |i: usize| {
            #[allow(clippy::cast_precision_loss)]
            let df = table.df(i) as f64;
            table.count(i) >= p.min_count && df >= lo && df <= hi
        };
        Ok(Some((table, passes)))
    }

    /// Number of rows of the `n`-gram table that pass the pruning; no sorting needed.
    ///
    /// # Errors
    /// `n` was not counted, or `max_df` resolves below `min_df`.
    pub fn n_rows(&self, n: usize) -> Result<usize> {
        let Some((table, passes)) = self.filter(n)? else {
            return Ok(0);
        };
        let passing = (0..table.len()).filter(|&i| passes(i)).count();
        Ok(self
            .pruning
            .max_features
            .map_or(passing, |m| passing.min(m)))
    }

    /// (count, df) of `term` in the pruned `n`-gram table, or `None` if absent or pruned away.
    ///
    /// # Errors
    /// `n` was not counted, or `max_df` resolves below `min_df`.
    pub fn get(&self, n: usize, term: &str) -> Result<Option<(u64, u64)>> {
        let Some((table, passes)) = self.filter(n)? else {
            return Ok(None);
        };
        let Some(i) = table.position(term).filter(|&i| passes(i)) else {
            return Ok(None);
        };
        if let Some(max) = self.pruning.max_features {
            // Kept iff fewer than `max` passing rows rank above it (count descending, term ascending):
            // one linear count instead of ranking the whole table.
            let c = table.count(i);
            let above = (0..table.len())
                .filter(|&j| passes(j) && (table.count(j) > c || (table.count(j) == c && j < i)))
                .count();
            if above >= max {
                return Ok(None);
            }
        }
        Ok(Some((table.count(i), table.df(i))))
    }

    /// Encodes to newstally's versioned binary format.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Decodes bytes from [`CorpusStats::to_bytes`].
    ///
    /// # Errors
    /// The bytes are not newstally stats, are from a newer format version, or are truncated or corrupt.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let stats = codec::decode(bytes)?;
        stats.validate()?;
        Ok(stats)
    }

    fn validate(&self) -> Result<()> {
        let invalid = |e: Error| Error::decode("corpus stats", format!("invalid settings ({e})"));
        let config = self.config.clone().build().map_err(invalid)?;
        if config != self.config {
            return Err(Error::decode(
                "corpus stats",
                "stop words are not sorted and unique",
            ));
        }
        self.pruning.build().map_err(invalid)?;
        if self.tables.len() != self.config.orders().count() {
            return Err(Error::decode(
                "corpus stats",
                "table count does not match ngram_range",
            ));
        }
        if let Some(e) = &self.entities {
            e.validate()?;
            if e.n_documents() != self.n_documents {
                return Err(Error::decode(
                    "corpus stats",
                    "entity counts cover a different number of documents",
                ));
            }
        }
        for t in &self.tables {
            t.validate()?;
            if t.dfs().iter().any(|&d| d > self.n_documents) {
                return Err(Error::decode(
                    "corpus stats",
                    "a document frequency exceeds the number of documents",
                ));
            }
        }
        Ok(())
    }
}

impl Merge for CorpusStats {
    fn merge(&self, other: &Self) -> Result<Self> {
        if self.config != other.config {
            return Err(Error::Incompatible(describe_difference(
                &self.config,
                &other.config,
            )));
        }
        if self.pruning != other.pruning {
            return Err(Error::Incompatible(format!(
                "pruning {:?} vs {:?}",
                self.pruning, other.pruning
            )));
        }
        let entities = match (&self.entities, &other.entities) {
            (None, None) => None,
            (Some(a), Some(b)) => Some(a.merge(b)?),
            _ => {
                return Err(Error::Incompatible(
                    "one result has entity counts and the other does not".to_owned(),
                ));
            }
        };
        Ok(CorpusStats {
            entities,
            config: self.config.clone(),
            pruning: self.pruning,
            n_documents: self.n_documents + other.n_documents,
            n_tokens: self.n_tokens + other.n_tokens,
            tables: self
                .tables
                .iter()
                .zip(&other.tables)
                .map(|(a, b)| a.merge(b))
                .collect(),
        })
    }
}

fn describe_difference(a: &CountConfig, b: &CountConfig) -> String {
    if a.ngram_range != b.ngram_range {
        return format!("ngram_range {:?} vs {:?}", a.ngram_range, b.ngram_range);
    }
    if a.tokenizer != b.tokenizer {
        return format!("tokenizer {:?} vs {:?}", a.tokenizer, b.tokenizer);
    }
    if a.stop_words != b.stop_words {
        return format!(
            "stop word lists differ ({} vs {} words)",
            a.stop_words.len(),
            b.stop_words.len()
        );
    }
    if a.cross_sentences != b.cross_sentences {
        return format!(
            "cross_sentences {} vs {}",
            a.cross_sentences, b.cross_sentences
        );
    }
    format!(
        "ngram_stop_words {:?} vs {:?}",
        a.ngram_stop_words, b.ngram_stop_words
    )
}
