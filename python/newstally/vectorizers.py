"""Drop-in replacements for scikit-learn's ``CountVectorizer`` and ``TfidfVectorizer``.

Same parameters, same vocabulary order, same matrix entries (TF-IDF values within float rounding), computed
by newstally's parallel core. Only ``analyzer="word"`` with a regex ``token_pattern`` is supported; other
values of scikit-learn-only options raise :class:`~newstally.exceptions.ConfigError`.
"""

from __future__ import annotations

import inspect
import math
from numbers import Integral
from typing import Any

import numpy as np

from . import _core
from ._config import ENGLISH_STOP_WORDS, count_config
from ._input import batches
from .exceptions import ConfigError, EmptyVocabularyError, NotFittedError

__all__ = ["CountVectorizer", "TfidfVectorizer"]

_SKLEARN_PATTERN = r"(?u)\b\w\w+\b"
_U64_MAX = 2**64 - 1


def _scipy_sparse() -> Any:
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("the vectorizers return scipy sparse matrices: pip install scipy") from None
    return sp


class _Params:
    """get_params / set_params as scikit-learn's BaseEstimator does them, so Pipeline and clone work."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Any:
        valid = set(self._param_names())
        for k, v in params.items():
            if k not in valid:
                raise ConfigError(f"invalid parameter {k!r} for {type(self).__name__}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values() if p.name != "self"
        }
        changed = []
        for k, v in self.get_params().items():
            d = defaults.get(k, inspect.Parameter.empty)
            if not (v is d or (type(v) is type(d) and v == d)):
                changed.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(changed)})"


class CountVectorizer(_Params):
    """Convert a collection of text documents to a sparse matrix of token counts.

    Accepts scikit-learn's parameters; see ``sklearn.feature_extraction.text.CountVectorizer``.
    ``stop_words="english"`` uses newstally's own list (:data:`newstally.ENGLISH_STOP_WORDS`), which
    differs from scikit-learn's; pass scikit-learn's list explicitly for identical output.
    ``n_threads`` (newstally only) sets the threads used; results do not depend on it.

    Examples
    --------
    >>> from newstally import CountVectorizer
    >>> v = CountVectorizer(ngram_range=(1, 2))
    >>> X = v.fit_transform(["the cat sat", "the cat ran"])
    >>> list(v.get_feature_names_out())
    ['cat', 'cat ran', 'cat sat', 'ran', 'sat', 'the', 'the cat']
    >>> X.toarray().tolist()
    [[1, 0, 1, 0, 1, 1, 1], [1, 1, 0, 1, 0, 1, 1]]
    """

    def __init__(
        self,
        *,
        input: str = "content",
        encoding: str = "utf-8",
        decode_error: str = "strict",
        strip_accents: Any = None,
        lowercase: bool = True,
        preprocessor: Any = None,
        tokenizer: Any = None,
        stop_words: Any = None,
        token_pattern: str | None = _SKLEARN_PATTERN,
        ngram_range: tuple[int, int] = (1, 1),
        analyzer: Any = "word",
        max_df: float | int = 1.0,
        min_df: float | int = 1,
        max_features: int | None = None,
        vocabulary: Any = None,
        binary: bool = False,
        dtype: Any = np.int64,
        n_threads: int | None = None,
    ) -> None:
        self.input = input
        self.encoding = encoding
        self.decode_error = decode_error
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self.preprocessor = preprocessor
        self.tokenizer = tokenizer
        self.stop_words = stop_words
        self.token_pattern = token_pattern
        self.ngram_range = ngram_range
        self.analyzer = analyzer
        self.max_df = max_df
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary = vocabulary
        self.binary = binary
        self.dtype = dtype
        self.n_threads = n_threads

    # --- configuration -------------------------------------------------------------------------
    def _core_config(self) -> dict[str, Any]:
        unsupported = {
            "input": (self.input, "content"),
            "strip_accents": (self.strip_accents, None),
            "preprocessor": (self.preprocessor, None),
            "tokenizer": (self.tokenizer, None),
            "analyzer": (self.analyzer, "word"),
        }
        for name, (value, default) in unsupported.items():
            if value != default:
                raise ConfigError(
                    f"{type(self).__name__}({name}={value!r}) is not supported by newstally; "
                    f"only {name}={default!r} (use scikit-learn for this option)"
                )
        if self.token_pattern is None:
            raise ConfigError("token_pattern=None needs a custom tokenizer, which newstally does not support")
        stop = self.stop_words
        if isinstance(stop, str) and stop == "english":
            stop = sorted(ENGLISH_STOP_WORDS)
        elif stop is not None and isinstance(stop, str):
            raise ConfigError(f"invalid stop_words: {stop!r}; use 'english', a list of words, or None")
        cfg = count_config(
            tokenizer="pattern",
            token_pattern=self.token_pattern,
            lowercase=self.lowercase,
            ngram_range=self.ngram_range,
            stop_words=None,
            cross_sentences=True,
        )
        # scikit-learn compares stop words to tokens as given: no case folding.
        cfg["stop_words"] = sorted(set(stop)) if stop is not None else []
        if self.max_features is not None and (
            isinstance(self.max_features, bool) or not isinstance(self.max_features, Integral) or self.max_features <= 0
        ):
            raise ConfigError(f"max_features={self.max_features!r}, neither a positive integer nor None")
        for name in ("min_df", "max_df"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (Integral, float)):
                raise ConfigError(f"{name} must be an int or a float, got {v!r}")
            if isinstance(v, float) and not 0.0 <= v <= 1.0:
                raise ConfigError(f"{name} must be in [0.0, 1.0] when a float, got {v!r}")
            if isinstance(v, Integral) and v < 0:
                raise ConfigError(f"{name} must be >= 0 when an int, got {v!r}")
        return cfg

    def _fixed_vocabulary(self) -> list[str] | None:
        v = self.vocabulary
        if v is None:
            return None
        if isinstance(v, dict):
            cols = sorted(v.values()) if v else []
            if cols != list(range(len(v))):
                raise ConfigError("vocabulary indices must be 0 .. len(vocabulary) - 1, each once")
            terms: list[str] = [""] * len(v)
            for term, col in v.items():
                terms[col] = term
        else:
            terms = list(v)
            if len(set(terms)) != len(terms):
                raise ConfigError("duplicate term in vocabulary")
        if not terms:
            raise ConfigError("empty vocabulary passed to fit")
        return terms

    # --- fitting -------------------------------------------------------------------------------
    def fit(self, raw_documents: Any, y: Any = None) -> CountVectorizer:
        """Learn the vocabulary of ``raw_documents``."""
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents: Any, y: Any = None) -> Any:
        """Learn the vocabulary and return the document-term matrix (``scipy.sparse.csr_matrix``)."""
        sp = _scipy_sparse()
        config = self._core_config()
        fixed = self._fixed_vocabulary()
        if fixed is not None:
            self._vocab = _core.Vocabulary(config, fixed, n_threads=self.n_threads)
            self._names = fixed
            self._pending = None
            self.fixed_vocabulary_ = True
            return self._transform(raw_documents, sp)
        counter = _core.Counter(config, n_threads=self.n_threads, keep_rows=True)
        for batch in batches(raw_documents, whole_lists=True):
            counter.update(batch)
        n_doc = counter.n_documents
        max_df, min_df = self.max_df, self.min_df
        max_doc_count = max_df if isinstance(max_df, Integral) else max_df * n_doc
        min_doc_count = min_df if isinstance(min_df, Integral) else min_df * n_doc
        if max_doc_count < min_doc_count:
            raise ConfigError("max_df corresponds to < documents than min_df")
        n_features = counter.n_features
        if n_features == 0:
            raise EmptyVocabularyError("empty vocabulary; perhaps the documents only contain stop words")
        # scikit-learn keeps min_doc_count <= df <= max_doc_count; a df is a whole number, so the bounds
        # round inwards. Every feature has 1 <= df <= n_doc: the default bounds keep all, and then the
        # counts need not be copied out at all.
        lo, hi = min(math.ceil(min_doc_count), _U64_MAX), min(math.floor(max_doc_count), _U64_MAX)
        kept = None if lo <= 1 and hi >= n_doc else counter.within_df(lo, hi)
        n_kept = n_features if kept is None else len(kept)
        limit = self.max_features
        if limit is not None and n_kept > limit:
            # Exactly scikit-learn's selection, ties included: the same numpy argsort on the same array
            # (column sums of the matrix, whose dtype follows the matrix's; binary counts are the dfs).
            tf, df = counter.feature_counts()
            if kept is None:
                kept = np.arange(n_features, dtype=np.int64)
            sums = df.astype(np.int64) if self.binary else tf.astype(np.int64)
            if np.issubdtype(np.dtype(self.dtype), np.floating):
                sums = sums.astype(self.dtype)
            kept = np.sort(kept[(-sums[kept]).argsort()[:limit]])
            n_kept = len(kept)
        if n_kept == 0:
            raise EmptyVocabularyError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        indptr, indices, data = counter.matrix(kept)
        # Only the features' names are left to build: the rows go (after a unigram + bigram fit of the
        # shared corpora, the process then holds 165 MB more than before it, not 282; the matrix is 97).
        counter.release_rows()
        X = self._csr(sp, indptr, indices, data, (n_doc, n_kept))
        # Names and the transform vocabulary are built on first use: a fit_transform caller who only
        # wants the matrix never pays for a million Python strings.
        self._pending = (counter, kept)
        self._vocab = None
        self._names = None
        self.fixed_vocabulary_ = False
        return X

    def _csr(self, sp: Any, indptr: Any, indices: Any, data: Any, shape: tuple[int, int]) -> Any:
        if self.binary:
            data = np.ones_like(data)
        if indptr[-1] <= np.iinfo(np.int32).max:
            indptr = indptr.astype(np.int32)
        X = sp.csr_matrix((data.astype(self.dtype, copy=False), indices, indptr), shape=shape)
        X.has_sorted_indices = True
        return X

    def _materialise_names(self) -> None:
        if self._names is None and getattr(self, "_pending", None) is not None:
            counter, kept = self._pending
            self._names = counter.feature_names(kept)

    def _materialise(self) -> None:
        """Build what transform needs (names and the fixed vocabulary), then drop the fit's counter."""
        if getattr(self, "_pending", None) is None:
            return
        counter, kept = self._pending
        self._materialise_names()
        self._vocab = counter.vocabulary(kept, n_threads=self.n_threads)
        self._pending = None

    def _check_fitted(self) -> None:
        if not hasattr(self, "fixed_vocabulary_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this estimator."
            )

    # --- using ---------------------------------------------------------------------------------
    def transform(self, raw_documents: Any) -> Any:
        """The document-term matrix of ``raw_documents`` over the learned vocabulary."""
        self._check_fitted()
        return self._transform(raw_documents, _scipy_sparse())

    def _transform(self, raw_documents: Any, sp: Any) -> Any:
        self._materialise()
        vocab = self._vocab
        n_features = len(self._names)
        parts_indptr, parts_indices, parts_data = [np.zeros(1, dtype=np.int64)], [], []
        n_rows = 0
        nnz = 0
        for batch in batches(raw_documents, whole_lists=True):
            indptr, indices, data = vocab.transform(batch, n_rows)
            parts_indptr.append(indptr[1:] + nnz)
            parts_indices.append(indices)
            parts_data.append(data)
            n_rows += len(batch)
            nnz += len(data)
        indptr = np.concatenate(parts_indptr)
        indices = np.concatenate(parts_indices) if parts_indices else np.zeros(0, dtype=np.int32)
        data = np.concatenate(parts_data) if parts_data else np.zeros(0, dtype=np.int64)
        return self._csr(sp, indptr, indices, data, (n_rows, n_features))

    @property
    def vocabulary_(self) -> dict[str, int]:
        """Mapping of terms to column indices."""
        self._check_fitted()
        self._materialise_names()
        return {t: i for i, t in enumerate(self._names)}

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """Feature names in column order, as a numpy object array."""
        self._check_fitted()
        self._materialise_names()
        names = np.empty(len(self._names), dtype=object)
        names[:] = self._names
        return names

    def build_analyzer(self) -> Any:
        """A callable returning the tokens (and n-grams) of one document, like scikit-learn's."""
        config = self._core_config()
        lo, hi = config["ngram_range"]
        stop = set(config["stop_words"])

        def analyze(doc: str) -> list[str]:
            tokens = [t for t, _, _ in _core.tokenize(doc, config) if t not in stop]
            out = tokens[:] if lo == 1 else []
            for n in range(max(lo, 2), hi + 1):
                out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
            return out

        return analyze

    # --- pickling ------------------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        self._materialise()
        state = dict(self.__dict__)
        state.pop("_vocab", None)
        state.pop("_pending", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pending = None
        self._vocab = None
        if getattr(self, "_names", None) is not None:
            self._vocab = _core.Vocabulary(self._core_config(), self._names, n_threads=self.n_threads)


class TfidfVectorizer(CountVectorizer):
    """Convert documents to a matrix of TF-IDF features, like scikit-learn's ``TfidfVectorizer``.

    idf = ln((1 + n) / (1 + df)) + 1 with ``smooth_idf`` (else ln(n / df) + 1); rows are then scaled to unit
    ``norm`` ("l2", "l1" or None); ``sublinear_tf`` replaces tf by 1 + ln(tf).

    Examples
    --------
    >>> from newstally import TfidfVectorizer
    >>> X = TfidfVectorizer().fit_transform(["a cat", "a dog", "the cat"])
    >>> X.shape
    (3, 3)
    """

    def __init__(
        self,
        *,
        input: str = "content",
        encoding: str = "utf-8",
        decode_error: str = "strict",
        strip_accents: Any = None,
        lowercase: bool = True,
        preprocessor: Any = None,
        tokenizer: Any = None,
        analyzer: Any = "word",
        stop_words: Any = None,
        token_pattern: str | None = _SKLEARN_PATTERN,
        ngram_range: tuple[int, int] = (1, 1),
        max_df: float | int = 1.0,
        min_df: float | int = 1,
        max_features: int | None = None,
        vocabulary: Any = None,
        binary: bool = False,
        dtype: Any = np.float64,
        norm: str | None = "l2",
        use_idf: bool = True,
        smooth_idf: bool = True,
        sublinear_tf: bool = False,
        n_threads: int | None = None,
    ) -> None:
        super().__init__(
            input=input,
            encoding=encoding,
            decode_error=decode_error,
            strip_accents=strip_accents,
            lowercase=lowercase,
            preprocessor=preprocessor,
            tokenizer=tokenizer,
            analyzer=analyzer,
            stop_words=stop_words,
            token_pattern=token_pattern,
            ngram_range=ngram_range,
            max_df=max_df,
            min_df=min_df,
            max_features=max_features,
            vocabulary=vocabulary,
            binary=binary,
            dtype=dtype,
            n_threads=n_threads,
        )
        self.norm = norm
        self.use_idf = use_idf
        self.smooth_idf = smooth_idf
        self.sublinear_tf = sublinear_tf

    def _float_dtype(self) -> Any:
        dt = np.dtype(self.dtype)
        return dt if dt in (np.float64, np.float32) else np.dtype(np.float64)

    def _check_norm(self) -> None:
        if self.norm not in ("l1", "l2", None):
            raise ConfigError(f"invalid norm: {self.norm!r}; expected 'l1', 'l2' or None")

    def fit(self, raw_documents: Any, y: Any = None) -> TfidfVectorizer:
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents: Any, y: Any = None) -> Any:
        self._check_norm()
        X = super().fit_transform(raw_documents)
        dt = self._float_dtype()
        X = X.astype(dt) if X.dtype != dt else X
        if self.use_idf:
            n_samples, n_features = X.shape
            df = np.bincount(X.indices, minlength=n_features).astype(dt, copy=False)
            df += float(self.smooth_idf)
            n_samples += int(self.smooth_idf)
            self.idf_ = (np.log(n_samples / df) + 1).astype(dt, copy=False)
        return self._weight(X)

    def transform(self, raw_documents: Any) -> Any:
        self._check_fitted()
        self._check_norm()
        X = super().transform(raw_documents)
        dt = self._float_dtype()
        return self._weight(X.astype(dt) if X.dtype != dt else X)

    def _weight(self, X: Any) -> Any:
        if self.sublinear_tf:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.use_idf:
            X.data *= self.idf_[X.indices]
        if self.norm is not None:
            rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
            if self.norm == "l2":
                norms = np.sqrt(np.bincount(rows, weights=X.data * X.data, minlength=X.shape[0]))
            else:
                norms = np.bincount(rows, weights=np.abs(X.data), minlength=X.shape[0])
            norms[norms == 0.0] = 1.0
            X.data /= norms.astype(X.dtype, copy=False)[rows]
        return X
