//! `newstally._core.CorpusStats`: counting results.

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use super::convert::{config_dict, pruning};
use super::entities::{PyEntityCounter, entity_rows};
use super::errors::ToPyResult;
use crate::stats::{CorpusStats, Merge};

/// Counting results (see `newstally.CorpusStats` for the public wrapper).
#[pyclass(module = "newstally._core", name = "CorpusStats", frozen)]
pub struct PyCorpusStats {
    pub inner: CorpusStats,
}

type Rows<'py> = (
    Vec<String>,
    Bound<'py, PyArray1<u64>>,
    Bound<'py, PyArray1<u64>>,
);

#[pymethods]
impl PyCorpusStats {
    /// Decodes bytes from `to_bytes`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let inner = py.detach(|| CorpusStats::from_bytes(data)).py(py)?;
        Ok(PyCorpusStats { inner })
    }

    /// The versioned binary encoding.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| self.inner.to_bytes());
        PyBytes::new(py, &bytes)
    }

    #[getter]
    fn n_documents(&self) -> u64 {
        self.inner.n_documents()
    }

    #[getter]
    fn n_tokens(&self) -> u64 {
        self.inner.n_tokens()
    }

    /// The counting settings as a dict.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        config_dict(py, self.inner.config())
    }

    /// The pruning settings as a dict.
    fn pruning<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = self.inner.pruning();
        let d = PyDict::new(py);
        d.set_item("min_count", p.min_count)?;
        for (name, v) in [("min_df", p.min_df), ("max_df", p.max_df)] {
            match v {
                crate::terms::DocFreq::Count(c) => d.set_item(name, c)?,
                crate::terms::DocFreq::Fraction(f) => d.set_item(name, f)?,
            }
        }
        d.set_item("max_features", p.max_features)?;
        Ok(d)
    }

    /// The same counts read through other pruning settings (a dict, see `convert::pruning`).
    fn with_pruning(&self, py: Python<'_>, pruning_options: &Bound<'_, PyDict>) -> PyResult<Self> {
        let p = pruning(py, pruning_options)?;
        Ok(PyCorpusStats {
            inner: self.inner.clone().with_pruning(p),
        })
    }

    /// Number of rows of the `n`-gram table that pass the pruning.
    fn n_rows(&self, py: Python<'_>, n: usize) -> PyResult<usize> {
        py.detach(|| self.inner.n_rows(n)).py(py)
    }

    /// The top `limit` rows of the pruned `n`-gram table: (terms, counts, dfs), count descending then
    /// term ascending.
    #[pyo3(signature = (n, limit=None))]
    fn rows<'py>(&self, py: Python<'py>, n: usize, limit: Option<usize>) -> PyResult<Rows<'py>> {
        let (terms, counts, dfs) = py
            .detach(|| {
                let idx = self.inner.ranked(n, limit)?;
                let t = self.inner.table(n)?;
                let terms: Vec<String> = idx.iter().map(|&i| t.term(i).to_owned()).collect();
                let counts: Vec<u64> = idx.iter().map(|&i| t.count(i)).collect();
                let dfs: Vec<u64> = idx.iter().map(|&i| t.df(i)).collect();
                Ok((terms, counts, dfs))
            })
            .py(py)?;
        Ok((terms, counts.into_pyarray(py), dfs.into_pyarray(py)))
    }

    /// (count, df) of `term` in the `n`-gram table, or None if absent or pruned away.
    fn lookup(&self, py: Python<'_>, n: usize, term: &str) -> PyResult<Option<(u64, u64)>> {
        self.inner.get(n, term).py(py)
    }

    /// The same results with the entity counts of the same documents attached.
    fn with_entities(
        &self,
        py: Python<'_>,
        counter: &Bound<'_, PyEntityCounter>,
    ) -> PyResult<Self> {
        let counts = counter.borrow().counts.clone();
        let inner = self.inner.clone().with_entities(counts).py(py)?;
        Ok(PyCorpusStats { inner })
    }

    /// Whether entities were counted.
    fn has_entities(&self) -> bool {
        self.inner.entities().is_some()
    }

    /// Entity rows (name, label, count, df), count descending then name; at most `k`, only
    /// `label` if given. Raises if entities were not counted.
    #[pyo3(signature = (k = None, label = None))]
    fn entity_rows(
        &self,
        py: Python<'_>,
        k: Option<usize>,
        label: Option<&str>,
    ) -> PyResult<Vec<(String, &'static str, u64, u64)>> {
        let Some(counts) = self.inner.entities() else {
            return Err(super::errors::raise(
                py,
                "ConfigError",
                "entities were not counted; use count(..., entities=True)".to_owned(),
            ));
        };
        entity_rows(counts, k, label).py(py)
    }

    /// The entity alias table as (alias, replacement) pairs (aliases lower-cased).
    fn entity_aliases(&self) -> Vec<(String, String)> {
        self.inner
            .entities()
            .map(|e| e.aliases().to_vec())
            .unwrap_or_default()
    }

    /// The sum of two results.
    fn merge(&self, py: Python<'_>, other: &Self) -> PyResult<Self> {
        let inner = py.detach(|| self.inner.merge(&other.inner)).py(py)?;
        Ok(PyCorpusStats { inner })
    }
}

/// Raises if the pruning options (a dict) are invalid.
#[pyfunction]
pub fn check_pruning(py: Python<'_>, pruning_options: &Bound<'_, PyDict>) -> PyResult<()> {
    pruning(py, pruning_options).map(|_| ())
}
