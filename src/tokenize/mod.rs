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
mod runs;
mod stop_words;
mod word;

pub use pattern::{PatternTokenizer, SKLEARN_TOKEN_PATTERN};
pub(crate) use pyword::only_ascii_words;
pub use pyword_table::UNICODE_VERSION as PYTHON_WORD_TABLE_UNICODE_VERSION;
pub(crate) use runs::for_each_ascii_run;
pub use stop_words::ENGLISH as ENGLISH_STOP_WORDS;
pub use word::{WordTokenizer, WordTokenizerConfig};

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
    /// Unicode word boundaries with news rules (see [`WordTokenizer`]).
    Word(WordTokenizerConfig),
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
#[allow(
    clippy::large_enum_variant,
    reason = "built once per run and shared by reference"
)]
#[derive(Debug, Clone)]
pub enum Tokenizer {
    /// See [`PatternTokenizer`].
    Pattern(PatternTokenizer),
    /// See [`WordTokenizer`].
    Word(WordTokenizer),
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
            TokenizerConfig::Word(c) => Tokenizer::Word(WordTokenizer::new(c.clone())),
        })
    }

    /// Calls `emit(term)` for each token of `text`, in order, when offsets are not needed (they can be
    /// costly to compute for some tokenizers).
    #[inline]
    pub fn for_each_term<F: FnMut(&str)>(&self, text: &str, mut emit: F) {
        match self {
            Tokenizer::Pattern(t) => t.for_each_term(text, emit),
            Tokenizer::Word(t) => t.for_each_token(text, |term, _, _| emit(term)),
        }
    }

    /// Calls `emit(term, start, end)` for each token of `text`, in order; offsets are bytes of `text`.
    #[inline]
    pub fn for_each_token<F: FnMut(&str, usize, usize)>(&self, text: &str, emit: F) {
        match self {
            Tokenizer::Pattern(t) => t.for_each_token(text, emit),
            Tokenizer::Word(t) => t.for_each_token(text, emit),
        }
    }
}

/// Converts byte spans (in increasing order of start) to character spans, in one pass over `text`.
///
/// ```
/// let text = "né à Zürich";
/// assert_eq!(newstally::tokenize::char_offsets(text, &[(0, 3), (7, 14)]), [(0, 2), (5, 11)]);
/// ```
pub fn char_offsets(text: &str, spans: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(spans.len());
    let (mut byte, mut chars) = (0usize, 0usize);
    let advance = |to: usize, byte: &mut usize, chars: &mut usize| {
        if to >= *byte {
            *chars += text[*byte..to].chars().count();
        } else {
            *chars -= text[to..*byte].chars().count();
        }
        *byte = to;
        *chars
    };
    for &(s, e) in spans {
        let cs = advance(s, &mut byte, &mut chars);
        let ce = advance(e, &mut byte, &mut chars);
        out.push((cs, ce));
    }
    out
}
