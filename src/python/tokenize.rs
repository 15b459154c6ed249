//! `newstally._core.tokenize` and the built-in stop words.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::count_config;
use super::errors::ToPyResult;
use crate::tokenize::{Tokenizer, char_offsets};

/// Tokens of `text` as (term, start, end), with start/end character offsets into `text`.
#[pyfunction]
pub fn tokenize(
    py: Python<'_>,
    text: &str,
    config: &Bound<'_, PyDict>,
) -> PyResult<Vec<(String, usize, usize)>> {
    let config = count_config(py, config)?;
    let tok = Tokenizer::new(&config.tokenizer).py(py)?;
    Ok(py.detach(|| {
        let mut terms = Vec::new();
        let mut spans = Vec::new();
        tok.for_each_token(text, |t, s, e| {
            terms.push(t.to_owned());
            spans.push((s, e));
        });
        let chars = char_offsets(text, &spans);
        terms
            .into_iter()
            .zip(chars)
            .map(|(t, (s, e))| (t, s, e))
            .collect()
    }))
}

/// The built-in English stop word list.
#[pyfunction]
pub fn english_stop_words() -> Vec<&'static str> {
    crate::tokenize::ENGLISH_STOP_WORDS.to_vec()
}
