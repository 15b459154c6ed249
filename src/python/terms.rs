//! `newstally._core.Counter` and `newstally._core.Vocabulary`.

use numpy::{IntoPyArray, PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use super::convert::{
    CsrArrays, Text, count_config, csr, list_texts, prefetch_ahead, pruning, strs, text,
};
use super::errors::ToPyResult;
use super::run::detached;
use super::stats::PyCorpusStats;
use crate::terms::{Counter, Features, Vocabulary};

/// Corpus counts and document frequencies, one entry per feature.
type CountArrays<'py> = (Bound<'py, PyArray1<u64>>, Bound<'py, PyArray1<u64>>);

/// A streaming counter: feed batches with `update`, read results with `stats`.
#[pyclass(module = "newstally._core", name = "Counter")]
pub struct PyCounter {
    inner: Counter,
    features: Option<Features>,
}

impl PyCounter {
    /// Counts `texts` with the GIL released.
    fn count_texts(&mut self, py: Python<'_>, texts: &[Text<'_>]) -> PyResult<()> {
        let docs = strs(texts);
        self.features = None;
        let inner = &mut self.inner;
        detached(py, |cancel| inner.update(&docs, cancel))
    }

    /// Computes the sorted features once per batch of updates.
    fn ensure_features(&mut self, py: Python<'_>) -> PyResult<()> {
        if self.features.is_none() {
            let inner = &mut self.inner;
            self.features = Some(detached(py, |cancel| inner.features(cancel))?);
        }
        Ok(())
    }

    /// The feature indices `keep` as given, or all of them for `None`; computes the features.
    fn keep(
        &mut self,
        py: Python<'_>,
        keep: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<Vec<usize>> {
        self.ensure_features(py)?;
        match keep {
            Some(k) => indices(py, &k),
            None => Ok((0..self.features.as_ref().map_or(0, Features::len)).collect()),
        }
    }
}

#[pymethods]
#[allow(
    clippy::needless_pass_by_value,
    reason = "pyo3 passes extracted arguments by value"
)]
impl PyCounter {
    #[new]
    #[pyo3(signature = (config, *, n_threads=None, keep_rows=false))]
    fn new(
        py: Python<'_>,
        config: &Bound<'_, PyDict>,
        n_threads: Option<usize>,
        keep_rows: bool,
    ) -> PyResult<Self> {
        let config = count_config(py, config)?;
        let inner = Counter::new(config, n_threads, keep_rows).py(py)?;
        Ok(PyCounter {
            inner,
            features: None,
        })
    }

    /// Counts a batch of documents (a list of str). Releases the GIL; Ctrl-C interrupts it.
    fn update(&mut self, py: Python<'_>, docs: &Bound<'_, PyList>) -> PyResult<()> {
        let texts = list_texts(py, docs, self.inner.n_documents())?;
        self.count_texts(py, &texts)
    }

    /// Counts the documents of the list `docs` from `start` on, up to `max_docs` of them or until they
    /// hold `max_chars` characters, and returns where it stopped. Slicing the batch out in Python
    /// touched every document's object twice more (its length, then its reference count): 10 ms for
    /// the 27,000 shared articles, whose objects lie all over the heap. Releases the GIL; Ctrl-C
    /// interrupts it.
    fn update_from(
        &mut self,
        py: Python<'_>,
        docs: &Bound<'_, PyList>,
        start: usize,
        max_docs: usize,
        max_chars: usize,
    ) -> PyResult<usize> {
        let first = self.inner.n_documents();
        let (mut texts, mut chars, mut end) = (Vec::new(), 0, start);
        // At least one document, so that the caller's loop always moves on.
        while end < docs.len()
            && (texts.is_empty() || (texts.len() < max_docs && chars < max_chars))
        {
            prefetch_ahead(docs, end);
            let t = text(py, docs.get_item(end)?, first + texts.len() as u64)?;
            chars += t.chars;
            texts.push(t);
            end += 1;
        }
        self.count_texts(py, &texts)?;
        Ok(end)
    }

    #[getter]
    fn n_documents(&self) -> u64 {
        self.inner.n_documents()
    }

    #[getter]
    fn n_tokens(&self) -> u64 {
        self.inner.n_tokens()
    }

    /// The results, ending the counter (it is empty afterwards): uses less memory than `stats`.
    fn finish(
        &mut self,
        py: Python<'_>,
        pruning_options: &Bound<'_, PyDict>,
    ) -> PyResult<PyCorpusStats> {
        let p = pruning(py, pruning_options)?;
        let empty = Counter::new(self.inner.config().clone(), Some(1), false).py(py)?;
        let counter = std::mem::replace(&mut self.inner, empty);
        self.features = None;
        let stats = detached(py, move |_| counter.into_stats(p))?;
        Ok(PyCorpusStats { inner: stats })
    }

    /// Corpus counts and document frequencies of all features, in vocabulary (term) order.
    fn feature_counts<'py>(&mut self, py: Python<'py>) -> PyResult<CountArrays<'py>> {
        self.ensure_features(py)?;
        let f = self
            .features
            .as_ref()
            .map_or((&[][..], &[][..]), |f| (f.counts(), f.dfs()));
        Ok((f.0.to_vec().into_pyarray(py), f.1.to_vec().into_pyarray(py)))
    }

    /// Names of the features at `keep` (ascending indices into the vocabulary).
    #[pyo3(signature = (keep=None))]
    fn feature_names<'py>(
        &mut self,
        py: Python<'py>,
        keep: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<Bound<'py, PyList>> {
        let keep = self.keep(py, keep)?;
        let (inner, f) = (&self.inner, self.features.as_ref());
        let table = match f {
            Some(f) => py.detach(|| inner.feature_table(f, &keep)).py(py)?,
            None => crate::stats::TermTable::default(),
        };
        // Strings straight from slices of one buffer: no Rust String per name.
        PyList::new(
            py,
            (0..table.len()).map(|i| PyString::new(py, table.term(i))),
        )
    }

    /// Number of features (of every order), computing them if needed.
    #[getter]
    fn n_features(&mut self, py: Python<'_>) -> PyResult<usize> {
        self.ensure_features(py)?;
        Ok(self.features.as_ref().map_or(0, Features::len))
    }

    /// Indices (ascending) of the features whose document frequency lies in `lo..=hi`.
    fn within_df<'py>(
        &mut self,
        py: Python<'py>,
        lo: u64,
        hi: u64,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        self.ensure_features(py)?;
        let f = self.features.as_ref();
        let kept = py.detach(|| f.map_or_else(Vec::new, |f| f.within_df(lo, hi)));
        #[allow(clippy::cast_possible_wrap)]
        Ok(kept
            .into_iter()
            .map(|i| i as i64)
            .collect::<Vec<_>>()
            .into_pyarray(py))
    }

    /// The CSR document-term matrix restricted to the features at `keep` (all of them for `None`).
    #[pyo3(signature = (keep=None))]
    fn matrix<'py>(
        &mut self,
        py: Python<'py>,
        keep: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<CsrArrays<'py>> {
        let keep = self.keep(py, keep)?;
        let (inner, features) = (&self.inner, self.features.as_ref());
        let m = detached(py, |cancel| match features {
            Some(f) => inner.matrix(f, &keep, cancel),
            None => Ok(crate::terms::Csr::default()),
        })?;
        Ok(csr(py, m))
    }

    /// Drops the document rows once the matrix is built (see `Counter::release_rows`): the counter
    /// can then only name its features.
    fn release_rows(&mut self) {
        self.inner.release_rows(self.features.as_mut());
    }

    /// A fixed vocabulary of the features at `keep`, for transforming new documents.
    #[pyo3(signature = (keep=None, *, n_threads=None))]
    fn vocabulary(
        &mut self,
        py: Python<'_>,
        keep: Option<PyReadonlyArray1<'_, i64>>,
        n_threads: Option<usize>,
    ) -> PyResult<PyVocabulary> {
        let keep = self.keep(py, keep)?;
        let config = self.inner.config().clone();
        let (counter, f) = (&self.inner, self.features.as_ref());
        let inner = detached(py, |_| {
            let table = match f {
                Some(f) => counter.feature_table(f, &keep)?,
                None => crate::stats::TermTable::default(),
            };
            let names: Vec<&str> = (0..table.len()).map(|i| table.term(i)).collect();
            Vocabulary::new(config, &names, n_threads)
        })?;
        Ok(PyVocabulary { inner })
    }
}

fn indices(py: Python<'_>, a: &PyReadonlyArray1<'_, i64>) -> PyResult<Vec<usize>> {
    a.as_array()
        .iter()
        .map(|&i| usize::try_from(i))
        .collect::<Result<_, _>>()
        .map_err(|_| super::errors::raise(py, "ConfigError", "feature indices must be >= 0".into()))
}

/// Features with fixed columns.
#[pyclass(module = "newstally._core", name = "Vocabulary", frozen)]
pub struct PyVocabulary {
    inner: Vocabulary,
}

#[pymethods]
#[allow(
    clippy::needless_pass_by_value,
    reason = "pyo3 passes extracted arguments by value"
)]
impl PyVocabulary {
    #[new]
    #[pyo3(signature = (config, features, *, n_threads=None))]
    fn new(
        py: Python<'_>,
        config: &Bound<'_, PyDict>,
        features: Vec<String>,
        n_threads: Option<usize>,
    ) -> PyResult<Self> {
        let config = count_config(py, config)?;
        let inner = detached(py, |_| Vocabulary::new(config, &features, n_threads))?;
        Ok(PyVocabulary { inner })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// The CSR document-term matrix of a batch of documents; `first` numbers them in error messages.
    #[pyo3(signature = (docs, first=0))]
    fn transform<'py>(
        &self,
        py: Python<'py>,
        docs: &Bound<'_, PyList>,
        first: u64,
    ) -> PyResult<CsrArrays<'py>> {
        let texts = list_texts(py, docs, first)?;
        let docs = strs(&texts);
        let inner = &self.inner;
        let m = detached(py, |cancel| inner.transform(&docs, cancel))?;
        Ok(csr(py, m))
    }
}
