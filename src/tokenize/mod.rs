//! Tokenizers: turn a document into terms with byte offsets.
//!
//! Two families: [`PatternTokenizer`] reproduces scikit-learn's `token_pattern` tokens exactly, and the
//! word tokenizer follows Unicode word boundaries with news-specific rules (possessives, hyphenated words,
//! URLs, handles). Both call back with borrowed terms, so counting allocates nothing per token.
//!
//! ```
//! use newstally::tokenize::{Tokenizer, TokenizerConfig};
//! let tok = Tokenizer::new(&TokenizerConfig::sklearn()).unwrap();
//! let mut terms = Vec::new();
//! tok.for_each_token("The cat sat.", |t, _, _| terms.push(t.to_owned()));
//! assert_eq!(terms, ["the", "cat", "sat"]);
//! ```

mod pattern;
mod pyword;
mod pyword_table;

pub use pattern::{PatternTokenizer, SKLEARN_TOKEN_PATTERN};
pub use pyword_table::UNICODE_VERSION as PYTHON_WORD_TABLE_UNICODE_VERSION;

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// How to tokenize, as stored with results so that merges can check they agree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenizerConfig {
    /// scikit-learn's regex tokenization (`token_pattern`, default `(?u)\b\w\w+\b`).
    Pattern {
        /// The regex; `None` is scikit-learn's default.
        pattern: Option<String>,
        /// Lowercase the document first.
        lowercase: bool,
    },
}

impl TokenizerConfig {
    /// scikit-learn's defaults.
    pub fn sklearn() -> Self {
        TokenizerConfig::Pattern {
            pattern: None,
            lowercase: true,
        }
    }
}

/// A built tokenizer, ready to share across threads.
#[derive(Debug, Clone)]
pub enum Tokenizer {
    /// See [`PatternTokenizer`].
    Pattern(PatternTokenizer),
}

impl Tokenizer {
    /// Builds the tokenizer a config describes.
    ///
    /// # Errors
    /// An invalid regex pattern.
    pub fn new(config: &TokenizerConfig) -> Result<Self> {
        Ok(match config {
            TokenizerConfig::Pattern { pattern, lowercase } => {
                Tokenizer::Pattern(PatternTokenizer::new(pattern.as_deref(), *lowercase)?)
            }
        })
    }

    /// Calls `emit(term, start, end)` for each token of `text`, in order; offsets are bytes of `text`.
    #[inline]
    pub fn for_each_token<F: FnMut(&str, usize, usize)>(&self, text: &str, emit: F) {
        match self {
            Tokenizer::Pattern(t) => t.for_each_token(text, emit),
        }
    }
}
