//! A fixed vocabulary: features mapped to columns, for transforming new documents.

use ahash::AHashMap;

use super::analyzer::{Analyzer, Streams};
use super::config::CountConfig;
use super::matrix::{Csr, Lookup, NONE, build_rows};
use crate::error::{Error, Result};
use crate::ngrams::{MAX_N, NgramTable, hash_words};
use crate::parallel::{Cancel, pool, resolve_threads, run_chunks};

/// Features (terms and space-joined n-grams) with fixed column numbers.
///
/// ```
/// use newstally::terms::{CountConfig, Vocabulary};
/// use newstally::parallel::Cancel;
/// let config = CountConfig { ngram_range: (1, 2), ..CountConfig::default() };
/// let vocab = Vocabulary::new(config, &["cat", "the cat"], Some(1)).unwrap();
/// let m = vocab.transform(&["The cat and the cat.", "dog"], &Cancel::new()).unwrap();
/// assert_eq!((m.indptr, m.indices, m.data), (vec![0, 2, 2], vec![0, 1], vec![2, 2]));
/// ```
pub struct Vocabulary {
    analyzer: Analyzer,
    threads: usize,
    words: AHashMap<Box<str>, u32>,
    unigram: Vec<u32>,
    tables: Vec<NgramTable>,
    table_cols: Vec<Vec<u32>>,
    n_features: usize,
}

impl Vocabulary {
    /// A vocabulary whose column `i` is `features[i]`. An n-gram feature is its words joined by single
    /// spaces; features of a length outside `ngram_range`, or holding words the tokenizer never yields,
    /// simply never match.
    ///
    /// # Errors
    /// A duplicate or empty feature, an invalid config, or too many features.
    pub fn new<S: AsRef<str>>(
        config: CountConfig,
        features: &[S],
        threads: Option<usize>,
    ) -> Result<Self> {
        let analyzer = Analyzer::new(config)?;
        let threads = resolve_threads(threads)?;
        let (lo, hi) = analyzer.config.ngram_range;
        if u32::try_from(features.len()).is_err() {
            return Err(Error::TooLarge("more than 2^32 features".into()));
        }
        let mut v = Vocabulary {
            threads,
            words: AHashMap::new(),
            unigram: Vec::new(),
            tables: (lo.max(2)..=hi).map(NgramTable::new).collect(),
            table_cols: (lo.max(2)..=hi).map(|_| Vec::new()).collect(),
            n_features: features.len(),
            analyzer,
        };
        let mut gram = Vec::with_capacity(MAX_N);
        for (col, f) in features.iter().enumerate() {
            let f = f.as_ref();
            #[allow(clippy::cast_possible_truncation)]
            let col = col as u32;
            if f.is_empty() {
                return Err(Error::config(
                    "vocabulary",
                    format!("feature {col} is an empty string"),
                ));
            }
            gram.clear();
            for w in f.split(' ') {
                gram.push(v.intern(w));
            }
            let n = gram.len();
            let duplicate = if n == 1 {
                let w = gram[0] as usize;
                let dup = v.unigram[w] != NONE;
                // Stop words are never counted, so a stop-word feature keeps an empty column.
                if !v.analyzer.is_stop(f) {
                    v.unigram[w] = col;
                }
                dup
            } else if n >= lo.max(2) && n <= hi {
                let t = n - lo.max(2);
                let table = &mut v.tables[t];
                let before = table.len();
                table.intern(hash_words(&gram), &gram);
                if table.len() > before {
                    v.table_cols[t].push(col);
                }
                table.len() == before
            } else {
                false
            };
            if duplicate {
                return Err(Error::config("vocabulary", format!("duplicate term {f:?}")));
            }
        }
        Ok(v)
    }

    fn intern(&mut self, w: &str) -> u32 {
        if let Some(&id) = self.words.get(w) {
            return id;
        }
        #[allow(clippy::cast_possible_truncation)]
        let id = self.unigram.len() as u32;
        self.words.insert(w.into(), id);
        self.unigram.push(NONE);
        id
    }

    /// Number of features (columns).
    pub fn len(&self) -> usize {
        self.n_features
    }

    /// Whether there are no features.
    pub fn is_empty(&self) -> bool {
        self.n_features == 0
    }

    /// The settings documents are analysed with.
    pub fn config(&self) -> &CountConfig {
        &self.analyzer.config
    }

    /// The document-term matrix of `docs`: one row per document, one column per feature.
    ///
    /// # Errors
    /// The job was cancelled.
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S], cancel: &Cancel) -> Result<Csr> {
        let lens: Vec<usize> = docs.iter().map(|d| d.as_ref().len()).collect();
        // A pool per call: a vocabulary may outlive a fork, which a stored pool's threads would not.
        let pool = pool(self.threads)?;
        let streams = run_chunks(&pool, &lens, |range| self.streams_of(&docs[range], cancel))?;
        let mut m = build_rows(&streams, self, &pool, cancel)?;
        if docs.is_empty() {
            m.indptr = vec![0];
        }
        Ok(m)
    }

    fn streams_of<S: AsRef<str>>(&self, docs: &[S], cancel: &Cancel) -> Result<Streams> {
        let mut s = Streams::default();
        let mut ends = Vec::new();
        let remove = self.analyzer.removes_stop_words();
        for doc in docs {
            cancel.check()?;
            self.analyzer
                .for_each_token(doc.as_ref(), &mut ends, |term, new_segment| {
                    if new_segment {
                        s.close_segment();
                    }
                    if remove && self.analyzer.is_stop(term) {
                        return;
                    }
                    s.ids.push(self.words.get(term).copied().unwrap_or(NONE));
                });
            s.close_doc();
        }
        Ok(s)
    }
}

impl Lookup for Vocabulary {
    fn ngram_range(&self) -> (usize, usize) {
        self.analyzer.config.ngram_range
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    #[inline]
    fn unigram(&self, word: u32) -> u32 {
        if word == NONE {
            NONE
        } else {
            self.unigram[word as usize]
        }
    }

    #[inline]
    fn ngram(&self, gram: &[u32], hash: u64) -> u32 {
        let t = gram.len() - self.analyzer.config.ngram_range.0.max(2);
        match self.tables[t].find(hash, gram) {
            Some(id) => self.table_cols[t][id as usize],
            None => NONE,
        }
    }
}
