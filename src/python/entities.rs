//! `newstally._core.Recognizer` and `train_recognizer`: the named-entity recognizer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use super::convert::texts;
use super::errors::{ToPyResult, raise};
use super::run::detached;
use crate::entities::{
    Entity, EntityRecognizer, Label, Recognizer, TrainConfig,
    clusters::Clusters,
    conll::read_conll,
    counts::EntityCounts,
    eval::EvalReport,
    gazetteer::{self, Gazetteer, combine},
    map_batch, map_chunks, train_cancellable,
};
use crate::error::Error;
use crate::parallel::resolve_threads;
use crate::tokenize::char_offsets;

/// An entity as (start, end, label, text) with character offsets.
type PyEntity = (usize, usize, &'static str, String);

/// Entities with byte offsets to the Python form, with character offsets.
fn to_py_entities(text: &str, ents: &[Entity]) -> Vec<PyEntity> {
    let spans: Vec<(usize, usize)> = ents.iter().map(|e| (e.start, e.end)).collect();
    let chars = if text.is_ascii() {
        spans.clone()
    } else {
        char_offsets(text, &spans)
    };
    ents.iter()
        .zip(chars)
        .map(|(e, (s, t))| (s, t, e.label.as_str(), text[e.start..e.end].to_owned()))
        .collect()
}

fn read_file(path: &std::path::Path) -> crate::error::Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Evaluation counts per label, the token count and the prediction time in seconds.
type Evaluation = (Vec<(&'static str, usize, usize, usize)>, usize, f64);

/// The learned recognizer (see `newstally.Recognizer` for the public wrapper).
#[pyclass(module = "newstally._core", name = "Recognizer", frozen)]
pub struct PyRecognizer {
    inner: Arc<Recognizer>,
}

#[pymethods]
impl PyRecognizer {
    /// Decodes a model from `to_bytes`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let data = data.to_vec();
        let inner = detached(py, move |_| Recognizer::from_bytes(&data))?;
        Ok(PyRecognizer {
            inner: Arc::new(inner),
        })
    }

    /// Loads a model file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = detached(py, move |_| Recognizer::from_bytes(&read_file(&path)?))?;
        Ok(PyRecognizer {
            inner: Arc::new(inner),
        })
    }

    /// The model's versioned binary encoding.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| self.inner.to_bytes());
        PyBytes::new(py, &bytes)
    }

    /// Writes the model to a file.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let inner = Arc::clone(&self.inner);
        detached(py, move |_| {
            std::fs::write(&path, inner.to_bytes()).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })
        })
    }

    /// Frees the word lookups kept from earlier batch calls.
    fn forget_words(&self) {
        self.inner.forget_words();
    }

    /// The number of weighted features of the tagger.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.model().n_features()
    }

    /// Entities of each text as (start, end, label, text), character offsets. With a gazetteer,
    /// its matches are kept and model entities overlapping them are dropped.
    #[pyo3(signature = (docs, *, n_threads = None, gazetteer = None))]
    fn predict_batch(
        &self,
        py: Python<'_>,
        docs: &Bound<'_, PyList>,
        n_threads: Option<usize>,
        gazetteer: Option<&Bound<'_, PyGazetteer>>,
    ) -> PyResult<Vec<Vec<PyEntity>>> {
        let threads = resolve_threads(n_threads).py(py)?;
        let docs = texts(py, docs, 0)?;
        let inner = Arc::clone(&self.inner);
        let gazetteer = gazetteer.map(|g| Arc::clone(&g.get().inner));
        detached(py, move |cancel| {
            let threads = threads.min(docs.len().max(1));
            let mut ents = inner.predict_batch(&docs, threads, cancel)?;
            if let Some(g) = &gazetteer {
                let found = map_batch(&docs, threads, cancel, |t| g.recognize(t))?;
                for (model, matched) in ents.iter_mut().zip(&found) {
                    *model = combine(matched, model);
                }
            }
            Ok(docs
                .iter()
                .zip(&ents)
                .map(|(t, e)| to_py_entities(t, e))
                .collect())
        })
    }

    /// The number of tokens the tagger sees in the texts (for throughput figures).
    fn count_tokens(&self, py: Python<'_>, docs: &Bound<'_, PyList>) -> PyResult<usize> {
        let docs = texts(py, docs, 0)?;
        let inner = Arc::clone(&self.inner);
        detached(py, move |_| {
            Ok(docs.iter().map(|t| inner.count_tokens(t)).sum())
        })
    }

    /// IOB2 tags for pre-tokenized sentences (one document).
    fn tag(
        &self,
        py: Python<'_>,
        sentences: &Bound<'_, PyList>,
    ) -> PyResult<Vec<Vec<&'static str>>> {
        let mut owned: Vec<Vec<String>> = Vec::with_capacity(sentences.len());
        for (i, s) in sentences.iter().enumerate() {
            let list = s.cast::<PyList>().map_err(|_| {
                raise(
                    py,
                    "DocumentTypeError",
                    format!("sentence {i} is not a list of str"),
                )
            })?;
            owned.push(texts(py, list, 0).map_err(|e| {
                let msg = e.value(py).to_string();
                raise(py, "DocumentTypeError", format!("sentence {i}: {msg}"))
            })?);
        }
        let inner = Arc::clone(&self.inner);
        detached(py, move |_| {
            let refs: Vec<Vec<&str>> = owned
                .iter()
                .map(|s| s.iter().map(String::as_str).collect())
                .collect();
            Ok(inner.tag(&refs))
        })
    }

    /// Exact-span evaluation on a tagged file (`CoNLL` format): (rows, tokens, seconds). Rows are
    /// (label, tp, fp, fn) per type, then ("overall", ...). `seconds` is the prediction time only.
    #[pyo3(signature = (path, *, n_threads = None))]
    fn evaluate(
        &self,
        py: Python<'_>,
        path: PathBuf,
        n_threads: Option<usize>,
    ) -> PyResult<Evaluation> {
        let threads = resolve_threads(n_threads).py(py)?;
        let inner = Arc::clone(&self.inner);
        detached(py, move |cancel| {
            let docs = read_conll(&path.display().to_string())?;
            let inputs: Vec<Vec<Vec<&str>>> = docs
                .iter()
                .map(|d| d.sentences.iter().map(|s| s.token_refs()).collect())
                .collect();
            let n_tokens = inputs.iter().flatten().map(Vec::len).sum();
            let t0 = Instant::now();
            let preds = inner
                .model()
                .predict_documents_on(&inputs, threads, cancel)?;
            let seconds = t0.elapsed().as_secs_f64();
            let mut report = EvalReport::default();
            for (d, p) in docs.iter().zip(&preds) {
                for (s, ps) in d.sentences.iter().zip(p) {
                    report.add(&s.spans_iob1(), ps);
                }
            }
            let mut rows: Vec<_> = crate::entities::Label::ALL
                .iter()
                .map(|l| {
                    let c = report.per_type[l.index()];
                    (l.as_str(), c.tp, c.fp, c.fn_)
                })
                .collect();
            let c = report.overall;
            rows.push(("overall", c.tp, c.fp, c.fn_));
            Ok((rows, n_tokens, seconds))
        })
    }
}

/// Trains a recognizer on a tagged file (`CoNLL` format) (see `newstally.train_recognizer`).
#[pyfunction]
#[pyo3(signature = (
    train_path, dev_path = None, *, epochs, seed, ensemble, stage2_folds, gazetteer_folds,
    patience, clusters_path = None, verbose = false
))]
#[allow(
    clippy::too_many_arguments,
    reason = "mirrors the keyword-only Python signature"
)]
pub fn train_recognizer(
    py: Python<'_>,
    train_path: PathBuf,
    dev_path: Option<PathBuf>,
    epochs: usize,
    seed: u64,
    ensemble: usize,
    stage2_folds: usize,
    gazetteer_folds: usize,
    patience: usize,
    clusters_path: Option<PathBuf>,
    verbose: bool,
) -> PyResult<PyRecognizer> {
    let model = detached(py, move |cancel| {
        let clusters = match &clusters_path {
            Some(p) => {
                let bytes = read_file(p)?;
                let text = String::from_utf8(bytes).map_err(|e| {
                    Error::config("clusters", format!("{} is not UTF-8: {e}", p.display()))
                })?;
                Clusters::parse(&text)
            }
            None => Clusters::default(),
        };
        let cfg = TrainConfig {
            epochs,
            seed,
            ensemble,
            stage2_folds,
            gaz_folds: gazetteer_folds,
            patience,
            clusters,
            verbose,
            ..TrainConfig::default()
        };
        cfg.check()?;
        let train_docs = read_conll(&train_path.display().to_string())?;
        if train_docs.is_empty() {
            return Err(Error::config(
                "train_path",
                format!("{} has no sentences", train_path.display()),
            ));
        }
        let dev_docs = match &dev_path {
            Some(p) => read_conll(&p.display().to_string())?,
            None => Vec::new(),
        };
        train_cancellable(&train_docs, &dev_docs, &cfg, cancel)
    })?;
    Ok(PyRecognizer {
        inner: Arc::new(Recognizer::new(model)),
    })
}

/// Accumulates entity counts over batches of articles (see `newstally.count(entities=True)`).
#[pyclass(module = "newstally._core", name = "EntityCounter")]
pub struct PyEntityCounter {
    pub counts: EntityCounts,
}

#[pymethods]
impl PyEntityCounter {
    #[new]
    #[allow(
        clippy::needless_pass_by_value,
        reason = "pyo3 extracts the Python list into an owned Vec"
    )]
    fn new(aliases: Vec<(String, String)>) -> Self {
        PyEntityCounter {
            counts: EntityCounts::new(&aliases),
        }
    }

    /// Finds the entities of a batch of articles with `recognizer` (and `gazetteer`, whose matches
    /// count under their canonical ids) and counts them.
    #[pyo3(signature = (recognizer, docs, *, n_threads = None, gazetteer = None))]
    fn update(
        &mut self,
        py: Python<'_>,
        recognizer: &PyRecognizer,
        docs: &Bound<'_, PyList>,
        n_threads: Option<usize>,
        gazetteer: Option<&Bound<'_, PyGazetteer>>,
    ) -> PyResult<()> {
        let threads = resolve_threads(n_threads).py(py)?;
        let docs = texts(py, docs, 0)?;
        let inner = Arc::clone(&recognizer.inner);
        let gazetteer = gazetteer.map(|g| Arc::clone(&g.get().inner));
        let mut counts = std::mem::take(&mut self.counts);
        let counts = detached(py, move |cancel| {
            let threads = threads.min(docs.len().max(1));
            let ents = inner.predict_batch(&docs, threads, cancel)?;
            let found = match &gazetteer {
                Some(g) => map_batch(&docs, threads, cancel, |t| g.find(t))?,
                None => Vec::new(),
            };
            // Articles are tallied in parallel parts; the rows are sums, so adding the parts up in
            // order gives the same counts as one pass.
            let parts = map_chunks(&docs, threads, cancel, |range| {
                let mut part = counts.empty_like();
                for i in range {
                    let (text, es) = (&docs[i], &ents[i]);
                    let mentions: Vec<(&str, Label)> = match &gazetteer {
                        Some(g) => gazetteer::mentions(g, text, &found[i], es),
                        None => es
                            .iter()
                            .map(|e| (&text[e.start..e.end], e.label))
                            .collect(),
                    };
                    part.add_article(&mentions);
                }
                part
            })?;
            for part in parts {
                counts.absorb(part)?;
            }
            Ok(counts)
        })?;
        self.counts = counts;
        Ok(())
    }

    /// Articles counted so far.
    #[getter]
    fn n_documents(&self) -> u64 {
        self.counts.n_documents()
    }
}

/// Rows of entity counts as (name, label, count, df).
pub fn entity_rows(
    counts: &EntityCounts,
    k: Option<usize>,
    label: Option<&str>,
) -> Result<Vec<(String, &'static str, u64, u64)>, Error> {
    let label = match label {
        None => None,
        Some(l) => Some(Label::parse(l).ok_or_else(|| {
            Error::config(
                "label",
                format!("{l:?}; expected \"PER\", \"LOC\", \"ORG\" or \"MISC\""),
            )
        })?),
    };
    Ok(counts
        .top(k, label)
        .into_iter()
        .map(|(n, l, c, d)| (n, l.as_str(), c, d))
        .collect())
}

/// A gazetteer match as (start, end, label, text, id) with character offsets.
type PyMatch = (usize, usize, &'static str, String, String);

/// The user gazetteer (see `newstally.Gazetteer` for the public wrapper).
#[pyclass(module = "newstally._core", name = "Gazetteer", frozen)]
pub struct PyGazetteer {
    inner: Arc<Gazetteer>,
}

#[pymethods]
impl PyGazetteer {
    /// Builds the automaton from (phrase, label, id) entries.
    #[new]
    #[pyo3(signature = (entries, *, ignore_case = false))]
    fn new(
        py: Python<'_>,
        entries: Vec<(String, String, String)>,
        ignore_case: bool,
    ) -> PyResult<Self> {
        let inner = detached(py, move |_| {
            let mut parsed = Vec::with_capacity(entries.len());
            for (phrase, label, id) in entries {
                let Some(l) = Label::parse(&label) else {
                    return Err(Error::config(
                        "gazetteer",
                        format!(
                            "entry {phrase:?} has label {label:?}; expected \"PER\", \"LOC\", \"ORG\" or \"MISC\""
                        ),
                    ));
                };
                parsed.push((phrase, l, id));
            }
            Gazetteer::new(parsed, ignore_case)
        })?;
        Ok(PyGazetteer {
            inner: Arc::new(inner),
        })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Whether matching ignores case.
    #[getter]
    fn ignore_case(&self) -> bool {
        self.inner.ignore_case()
    }

    /// The entries as (phrase, label, id), in the order given.
    fn entries(&self) -> Vec<(String, &'static str, String)> {
        (0..self.inner.len())
            .map(|i| {
                (
                    self.inner.phrase(i).to_owned(),
                    self.inner.label(i).as_str(),
                    self.inner.id(i).to_owned(),
                )
            })
            .collect()
    }

    /// Matches in each text as (start, end, label, text, id), character offsets.
    #[pyo3(signature = (docs, *, n_threads = None))]
    fn find_batch(
        &self,
        py: Python<'_>,
        docs: &Bound<'_, PyList>,
        n_threads: Option<usize>,
    ) -> PyResult<Vec<Vec<PyMatch>>> {
        let threads = resolve_threads(n_threads).py(py)?;
        let docs = texts(py, docs, 0)?;
        let g = Arc::clone(&self.inner);
        detached(py, move |cancel| {
            let threads = threads.min(docs.len().max(1));
            let found = map_batch(&docs, threads, cancel, |t| g.find(t))?;
            Ok(docs
                .iter()
                .zip(&found)
                .map(|(text, ms)| {
                    let ents: Vec<Entity> = ms.iter().map(|m| g.entity(m)).collect();
                    to_py_entities(text, &ents)
                        .into_iter()
                        .zip(ms)
                        .map(|((s, e, l, t), m)| (s, e, l, t, g.id(m.entry).to_owned()))
                        .collect()
                })
                .collect())
        })
    }
}
