//! Conversions between Python values and core types.

use numpy::{IntoPyArray, PyArray1};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use super::errors::raise;
use crate::terms::{CountConfig, Csr, DocFreq, NgramStopWords, Pruning};
use crate::tokenize::TokenizerConfig;

fn item<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    match d.get_item(key)? {
        Some(v) => v.extract::<T>().map_err(|e| {
            let e: PyErr = e.into();
            PyTypeError::new_err(format!("config option {key}: {e}"))
        }),
        None => Err(PyTypeError::new_err(format!(
            "config option {key} is missing"
        ))),
    }
}

/// A [`CountConfig`] from the dict `newstally._config` builds.
pub fn count_config(py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<CountConfig> {
    let tokenizer = match item::<String>(d, "tokenizer")?.as_str() {
        "pattern" => TokenizerConfig::Pattern {
            pattern: item(d, "token_pattern")?,
            lowercase: item(d, "lowercase")?,
        },
        "word" => TokenizerConfig::Word(crate::tokenize::WordTokenizerConfig {
            lowercase: item(d, "lowercase")?,
            drop_numbers: item(d, "drop_numbers")?,
            nfkc: item(d, "nfkc")?,
            min_length: item(d, "min_length")?,
            special_tokens: item(d, "special_tokens")?,
        }),
        other => {
            return Err(raise(
                py,
                "ConfigError",
                format!("invalid tokenizer: {other:?}; expected \"word\" or \"pattern\""),
            ));
        }
    };
    let ngram_stop_words = match item::<String>(d, "ngram_stop_words")?.as_str() {
        "remove" => NgramStopWords::Remove,
        "edges" => NgramStopWords::Edges,
        "keep" => NgramStopWords::Keep,
        other => {
            return Err(raise(
                py,
                "ConfigError",
                format!(
                    "invalid ngram_stop_words: {other:?}; expected \"remove\", \"edges\" or \"keep\""
                ),
            ));
        }
    };
    Ok(CountConfig {
        tokenizer,
        ngram_range: item(d, "ngram_range")?,
        cross_sentences: item(d, "cross_sentences")?,
        stop_words: item(d, "stop_words")?,
        ngram_stop_words,
    })
}

/// The dict form of a config (inverse of [`count_config`]).
pub fn config_dict<'py>(py: Python<'py>, c: &CountConfig) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match &c.tokenizer {
        TokenizerConfig::Pattern { pattern, lowercase } => {
            d.set_item("tokenizer", "pattern")?;
            d.set_item("token_pattern", pattern)?;
            d.set_item("lowercase", lowercase)?;
        }
        TokenizerConfig::Word(w) => {
            d.set_item("tokenizer", "word")?;
            d.set_item("lowercase", w.lowercase)?;
            d.set_item("drop_numbers", w.drop_numbers)?;
            d.set_item("nfkc", w.nfkc)?;
            d.set_item("min_length", w.min_length)?;
            d.set_item("special_tokens", w.special_tokens)?;
        }
    }
    d.set_item("ngram_range", c.ngram_range)?;
    d.set_item("cross_sentences", c.cross_sentences)?;
    d.set_item("stop_words", &c.stop_words)?;
    let mode = match c.ngram_stop_words {
        NgramStopWords::Remove => "remove",
        NgramStopWords::Edges => "edges",
        NgramStopWords::Keep => "keep",
    };
    d.set_item("ngram_stop_words", mode)?;
    Ok(d)
}

fn doc_freq(py: Python<'_>, name: &str, v: &Bound<'_, PyAny>) -> PyResult<DocFreq> {
    // bool is an int subclass in Python; True as a bound is almost certainly a mistake.
    if v.is_instance_of::<pyo3::types::PyBool>() {
        return Err(raise(
            py,
            "ConfigError",
            format!("invalid {name}: expected an int or a float, got a bool"),
        ));
    }
    if v.is_instance_of::<pyo3::types::PyInt>() {
        let n: i64 = v.extract()?;
        return u64::try_from(n).map(DocFreq::Count).map_err(|_| {
            raise(
                py,
                "ConfigError",
                format!("invalid {name}: must be >= 0, got {n}"),
            )
        });
    }
    if let Ok(f) = v.extract::<f64>() {
        return Ok(DocFreq::Fraction(f));
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be an int (documents) or a float (fraction), got {}",
        v.get_type().name()?
    )))
}

/// A [`Pruning`] from the dict `{"min_count", "min_df", "max_df", "max_features"}` the Python layer
/// passes (see `newstally/stats.py`).
pub fn pruning(py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<Pruning> {
    let min_count: i64 = item(d, "min_count")?;
    let max_features: Option<i64> = item(d, "max_features")?;
    let get = |key: &str| {
        d.get_item(key)?
            .ok_or_else(|| PyTypeError::new_err(format!("config option {key} is missing")))
    };
    let (min_df, max_df) = (get("min_df")?, get("max_df")?);
    let (min_df, max_df) = (&min_df, &max_df);
    let min_count = u64::try_from(min_count).map_err(|_| {
        raise(
            py,
            "ConfigError",
            format!("invalid min_count: must be >= 0, got {min_count}"),
        )
    })?;
    let max_features = match max_features {
        None => None,
        Some(m) => Some(usize::try_from(m).map_err(|_| {
            raise(
                py,
                "ConfigError",
                format!("invalid max_features: must be >= 0, got {m}"),
            )
        })?),
    };
    let p = Pruning {
        min_count,
        min_df: doc_freq(py, "min_df", min_df)?,
        max_df: doc_freq(py, "max_df", max_df)?,
        max_features,
    };
    p.build().map_err(|e| super::errors::to_py(py, e))
}

/// The texts of a list of documents, copied out so the GIL can be released. `first` is the corpus index
/// of the first, for error messages.
pub fn texts(py: Python<'_>, docs: &Bound<'_, PyList>, first: u64) -> PyResult<Vec<String>> {
    Ok(list_texts(py, docs, first)?
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect())
}

/// The texts of a list of documents (see [`Text`]); `first` is the corpus index of the first, for
/// error messages.
pub fn list_texts<'py>(
    py: Python<'py>,
    docs: &Bound<'py, PyList>,
    first: u64,
) -> PyResult<Vec<Text<'py>>> {
    let mut out = Vec::with_capacity(docs.len());
    // The length is read again each time: a `str` subclass's `isascii` may change the list.
    let mut i = 0;
    while i < docs.len() {
        prefetch_ahead(docs, i);
        out.push(text(py, docs.get_item(i)?, first + i as u64)?);
        i += 1;
    }
    Ok(out)
}

/// Starts loading the object of the item some way after item `i` of `list`, if there is one, into the
/// cache, for a loop reading the items in order. A corpus's string objects lie all over the heap, and
/// the first read of each missed the caches: asking ahead overlaps those misses (conversion of the
/// 27,000 shared articles 6.8 -> 3.5 ms; 16 ahead was no better than 8).
pub fn prefetch_ahead(list: &Bound<'_, PyList>, i: usize) {
    const AHEAD: usize = 8;
    let i = i + AHEAD;
    if i < list.len() {
        // SAFETY: `i` is in range and the GIL is held; the borrowed pointer is only a prefetch
        // address, never dereferenced.
        let item = unsafe { pyo3::ffi::PyList_GetItem(list.as_ptr(), i as pyo3::ffi::Py_ssize_t) };
        crate::prefetch::prefetch_addr(item);
    }
}

/// Document `index`, `d`, checked to be a `str`: anything else is a `DocumentTypeError` naming its
/// index.
fn str_item<'py>(
    py: Python<'py>,
    d: Bound<'py, PyAny>,
    index: u64,
) -> PyResult<Bound<'py, PyString>> {
    d.cast_into::<PyString>().map_err(|e| {
        let d = e.into_inner();
        // pandas stores a missing text as NaN (or None): say so rather than "float".
        let missing = d.is_none() || d.extract::<f64>().is_ok_and(f64::is_nan);
        if missing {
            return raise(
                py,
                "DocumentTypeError",
                format!("document {index} is a missing value ({}), not str; drop or fill missing texts first", d.repr().map_or_else(|_| "?".to_owned(), |r| r.to_string())),
            );
        }
        let ty = d
            .get_type()
            .name()
            .map_or_else(|_| "?".to_owned(), |n| n.to_string());
        raise(
            py,
            "DocumentTypeError",
            format!("document {index} is {ty}, not str"),
        )
    })
}

/// A document's text as UTF-8, held for a call together with the object that holds the bytes: an
/// ASCII string, whose own bytes are its UTF-8 form, or a `bytes` object with the UTF-8 encoding of
/// any other string, made for the call. (Python's own UTF-8 form of a string stays inside the string
/// object for as long as the string lives: for a corpus in a non-Latin script, a second copy of the
/// corpus left behind by every count.) Holding the object keeps the text alive whatever happens to
/// the list while the GIL is released.
pub struct Text<'py> {
    _owner: Bound<'py, PyAny>,
    ptr: *const u8,
    len: usize,
    /// Length in characters, as Python's `len`.
    pub chars: usize,
}

impl Text<'_> {
    /// The text, borrowed.
    pub fn as_str(&self) -> &str {
        // SAFETY: `ptr` and `len` were taken from a `&str` into the bytes of `_owner`, an immutable
        // `str` or `bytes` object that this value keeps alive, so they stay valid UTF-8 in place.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ptr, self.len)) }
    }
}

/// Document `index`, `d`, as a [`Text`]: a `DocumentTypeError` if it is not a `str`, a
/// `DocumentError` naming the character if it holds a lone surrogate (which has no UTF-8 form).
/// Everything is read off the object at once: a corpus's string objects lie all over the heap, and
/// each separate pass over them missed the caches again.
pub fn text<'py>(py: Python<'py>, d: Bound<'py, PyAny>, index: u64) -> PyResult<Text<'py>> {
    let s = str_item(py, d, index)?;
    if s.call_method0(intern!(py, "isascii"))?.is_truthy()? {
        let t = s.to_str()?;
        let (ptr, len) = (t.as_ptr(), t.len());
        return Ok(Text {
            _owner: s.into_any(),
            ptr,
            len,
            chars: len,
        });
    }
    let chars = s.len()?;
    match s.encode_utf8() {
        Ok(b) => {
            let t = std::str::from_utf8(b.as_bytes())
                .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
            let (ptr, len) = (t.as_ptr(), t.len());
            Ok(Text {
                _owner: b.into_any(),
                ptr,
                len,
                chars,
            })
        }
        Err(e) => {
            // The UnicodeEncodeError knows where the lone surrogate is.
            let at: i64 = e
                .value(py)
                .getattr("start")
                .and_then(|v| v.extract())
                .unwrap_or(-1);
            Err(raise(
                py,
                "DocumentError",
                format!(
                    "document {index} is not valid Unicode: a lone surrogate at character {at} cannot be encoded as UTF-8 (clean it with s.encode('utf-8', 'replace').decode())"
                ),
            ))
        }
    }
}

/// The texts, borrowed for a call.
pub fn strs<'a>(texts: &'a [Text<'_>]) -> Vec<&'a str> {
    texts.iter().map(Text::as_str).collect()
}

/// scipy's CSR triple as numpy arrays: (indptr, indices, data).
pub type CsrArrays<'py> = (
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i32>>,
    Bound<'py, PyArray1<i64>>,
);

/// The arrays of a [`Csr`], moved without copying.
pub fn csr(py: Python<'_>, m: Csr) -> CsrArrays<'_> {
    (
        m.indptr.into_pyarray(py),
        m.indices.into_pyarray(py),
        m.data.into_pyarray(py),
    )
}
