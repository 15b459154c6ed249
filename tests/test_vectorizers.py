"""CountVectorizer / TfidfVectorizer against scikit-learn: same vocabulary order, same entries."""

from __future__ import annotations

import pickle
import unicodedata

import numpy as np
import pytest

sklearn_text = pytest.importorskip("sklearn.feature_extraction.text")
sp = pytest.importorskip("scipy.sparse")

import newstally  # noqa: E402
from newstally.exceptions import ConfigError, EmptyVocabularyError, NotFittedError  # noqa: E402

from conftest import DOCS  # noqa: E402

SKLEARN_STOP = sorted(sklearn_text.ENGLISH_STOP_WORDS)

COUNT_PARAMS = [
    {},
    {"ngram_range": (1, 2)},
    {"ngram_range": (2, 3)},
    {"ngram_range": (1, 3), "stop_words": SKLEARN_STOP},
    {"lowercase": False},
    {"min_df": 2},
    {"min_df": 0.01, "max_df": 0.5},
    {"max_df": 3},
    {"min_df": 0.05, "max_df": 0.95, "ngram_range": (1, 2)},
    {"min_df": 0.0, "max_df": 1.0},
    {"max_df": 0.5, "max_features": 40},
    {"max_features": 50},
    {"max_features": 300, "ngram_range": (1, 2), "binary": True},
    {"binary": True, "dtype": np.float32},
    {"token_pattern": r"(?u)\b\w+\b"},
    {"token_pattern": r"\b[a-zA-Z]{3,}\b", "ngram_range": (1, 2)},
    {"token_pattern": r"(\w+)ing\b"},
]

TFIDF_PARAMS = [
    {},
    {"ngram_range": (1, 2), "sublinear_tf": True},
    {"norm": "l1", "smooth_idf": False},
    {"norm": None, "use_idf": False},
    {"use_idf": False},
    {"min_df": 2, "max_features": 100, "dtype": np.float32},
]


def assert_same_matrix(a, b) -> None:
    a, b = sp.csr_matrix(a), sp.csr_matrix(b)
    a.sort_indices()
    b.sort_indices()
    assert a.shape == b.shape
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == b.dtype


def comparable(params: dict, docs: list[str]) -> list[str]:
    """The documents a parity check may use. A custom token_pattern with \\b differs from Python's re
    next to combining marks (documented in PatternTokenizer), so those documents are left out for it."""
    if "\\b" in params.get("token_pattern", r"\b") and "token_pattern" in params:
        return [d for d in docs if not any(unicodedata.category(c).startswith("M") for c in d)]
    return docs


def check_count(params: dict, docs: list[str]) -> None:
    docs = comparable(params, docs)
    ours = newstally.CountVectorizer(**params)
    theirs = sklearn_text.CountVectorizer(**params)
    X = ours.fit_transform(docs)
    Y = theirs.fit_transform(docs)
    assert isinstance(X, sp.csr_matrix)
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert ours.vocabulary_ == theirs.vocabulary_
    assert_same_matrix(X, Y)
    half = docs[: len(docs) // 2 + 1]
    assert_same_matrix(ours.transform(half), theirs.transform(half))


def check_tfidf(params: dict, docs: list[str]) -> None:
    ours = newstally.TfidfVectorizer(**params)
    theirs = sklearn_text.TfidfVectorizer(**params)
    X = sp.csr_matrix(ours.fit_transform(docs))
    Y = sp.csr_matrix(theirs.fit_transform(docs))
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    for a, b in ((X, Y), (ours.transform(docs[:40]), theirs.transform(docs[:40]))):
        a, b = sp.csr_matrix(a), sp.csr_matrix(b)
        a.sort_indices()
        b.sort_indices()
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        assert a.dtype == b.dtype
        tol = 1e-12 if a.dtype == np.float64 else 1e-6
        np.testing.assert_allclose(a.data, b.data, rtol=0, atol=tol)
    if ours.use_idf:
        np.testing.assert_allclose(ours.idf_, theirs.idf_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("params", COUNT_PARAMS, ids=repr)
def test_count_matches_sklearn_on_fixtures(params):
    check_count(params, DOCS * 3)


@pytest.mark.parametrize("params", TFIDF_PARAMS, ids=repr)
def test_tfidf_matches_sklearn_on_fixtures(params):
    check_tfidf(params, DOCS * 3)


#: English news whose only characters outside ASCII are punctuation and symbols (the core reads them
#: like ASCII text), and some where a symbol changes under lowercasing or a letter is not ASCII.
PUNCTUATED = [
    "“Brexit’s cost,” the Chancellor said — £5bn… or €6bn (US$7bn).",
    "©BBC\u00a02005 • Page\u00a03 × 2 – ‘Quoted’ ‘x’ “” ‘’",
    "Ⓐ circled capital, then ⓐ; Σ and µ; café — £1",
    "plain ASCII to end with: The Cost of Brexit",
]


@pytest.mark.parametrize("params", [{}, {"lowercase": False}, {"ngram_range": (1, 2)}], ids=repr)
def test_count_matches_sklearn_where_punctuation_is_not_ascii(params):
    check_count(params, PUNCTUATED * 2)


@pytest.mark.parametrize("params", COUNT_PARAMS, ids=repr)
def test_count_matches_sklearn_on_news_sample(params, news_sample):
    check_count(params, news_sample)


@pytest.mark.parametrize("params", TFIDF_PARAMS, ids=repr)
def test_tfidf_matches_sklearn_on_news_sample(params, news_sample):
    check_tfidf(params, news_sample)


@pytest.mark.slow
@pytest.mark.parametrize("params", [{}, {"ngram_range": (1, 2)}, {"min_df": 5, "max_df": 0.3, "max_features": 5000}])
def test_count_matches_sklearn_on_all_shared_corpora(params, news_all):
    check_count(params, news_all)


@pytest.mark.slow
def test_tfidf_matches_sklearn_on_all_shared_corpora(news_all):
    check_tfidf({"ngram_range": (1, 2), "sublinear_tf": True}, news_all)


def synthetic_corpus(n_docs: int, seed: int) -> list[str]:
    """Documents over a 600-word vocabulary, Zipf-like, some empty or one word long: enough entries
    (some 200,000 with bigrams) that a matrix's rows span many of the blocks it is built in."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(600)] + ["New", "York", "Zürich", "東京"]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    docs = []
    for _ in range(n_docs):
        n = int(rng.choice([0, 1, rng.integers(2, 120)], p=[0.05, 0.05, 0.9]))
        docs.append(" ".join(rng.choice(vocab, size=n, p=weights)))
    return docs


@pytest.mark.parametrize(
    "params", [{"ngram_range": (1, 2)}, {"ngram_range": (1, 3), "min_df": 2}, {"ngram_range": (2, 2)}], ids=repr
)
def test_matrices_are_the_same_for_any_thread_count(params):
    docs = synthetic_corpus(3000, 7)
    expected = sklearn_text.CountVectorizer(**params).fit_transform(docs)
    names = None
    for n_threads in (1, 2, 3):
        ours = newstally.CountVectorizer(n_threads=n_threads, **params)
        X = ours.fit_transform(docs)
        resorted = X.copy()
        resorted.has_sorted_indices = False
        resorted.sort_indices()
        assert X.has_sorted_indices and resorted.indices.tobytes() == X.indices.tobytes()
        assert_same_matrix(X, expected)
        # Byte-identical, not just equal as matrices: the same entries in the same order.
        if names is None:
            names, first = list(ours.get_feature_names_out()), X
        else:
            assert list(ours.get_feature_names_out()) == names
            for a, b in ((X.indptr, first.indptr), (X.indices, first.indices), (X.data, first.data)):
                assert a.tobytes() == b.tobytes()


def test_fixed_vocabulary_list_and_dict():
    vocab = ["putin", "the bank", "zürich", "nothing here", "the"]
    for v in (vocab, {t: i for i, t in enumerate(vocab)}):
        ours = newstally.CountVectorizer(vocabulary=v, ngram_range=(1, 2))
        theirs = sklearn_text.CountVectorizer(vocabulary=v, ngram_range=(1, 2))
        assert_same_matrix(ours.fit_transform(DOCS), theirs.fit_transform(DOCS))
        assert list(ours.get_feature_names_out()) == vocab


def test_generators_and_pickling_round_trip():
    ours = newstally.CountVectorizer(ngram_range=(1, 2)).fit(d for d in DOCS)
    restored = pickle.loads(pickle.dumps(ours))
    assert_same_matrix(restored.transform(DOCS), ours.transform(DOCS))
    assert restored.vocabulary_ == ours.vocabulary_
    tf = newstally.TfidfVectorizer().fit(DOCS)
    tf2 = pickle.loads(pickle.dumps(tf))
    np.testing.assert_array_equal(tf2.transform(DOCS).toarray(), tf.transform(DOCS).toarray())


def test_params_api_works_like_sklearn():
    v = newstally.CountVectorizer(min_df=2)
    assert v.get_params()["min_df"] == 2
    v.set_params(ngram_range=(1, 2))
    assert v.ngram_range == (1, 2)
    assert "min_df=2" in repr(v)
    with pytest.raises(ConfigError):
        v.set_params(bogus=1)


def test_errors_match_sklearn_kinds():
    with pytest.raises(NotFittedError):
        newstally.CountVectorizer().transform(DOCS)
    with pytest.raises(ValueError, match="empty vocabulary"):
        newstally.CountVectorizer(stop_words=["a"]).fit(["a", "a a"])
    with pytest.raises(EmptyVocabularyError, match="no terms remain"):
        newstally.CountVectorizer(min_df=50, max_df=100).fit(DOCS)
    with pytest.raises(ValueError, match="max_df corresponds to < documents than min_df"):
        newstally.CountVectorizer(min_df=5, max_df=2).fit(DOCS)
    with pytest.raises(ConfigError, match="analyzer"):
        newstally.CountVectorizer(analyzer="char").fit(DOCS)
    with pytest.raises(ConfigError, match="token_pattern"):
        newstally.CountVectorizer(token_pattern="(a)(b)").fit(DOCS)
    with pytest.raises(ConfigError, match="norm"):
        newstally.TfidfVectorizer(norm="l3").fit(DOCS)
    with pytest.raises(TypeError, match="single str"):
        newstally.CountVectorizer().fit("just one string")


def test_english_stop_words_are_newstallys_own_list():
    v = newstally.CountVectorizer(stop_words="english").fit(DOCS)
    assert not set(v.vocabulary_) & newstally.ENGLISH_STOP_WORDS


def test_build_analyzer_matches_sklearn():
    ours = newstally.CountVectorizer(ngram_range=(1, 3), stop_words=["the"]).build_analyzer()
    theirs = sklearn_text.CountVectorizer(ngram_range=(1, 3), stop_words=["the"]).build_analyzer()
    for d in DOCS:
        assert ours(d) == theirs(d)


def test_a_fit_lets_go_of_its_rows_once_the_matrix_is_built():
    v = newstally.CountVectorizer(ngram_range=(1, 2))
    X = v.fit_transform(DOCS)
    counter, _ = v._pending
    with pytest.raises(ConfigError, match="released"):
        counter.matrix()
    # Names, transform and pickling need only what the counter kept.
    theirs = sklearn_text.CountVectorizer(ngram_range=(1, 2)).fit(DOCS)
    assert list(v.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert_same_matrix(v.transform(DOCS), X)
    assert_same_matrix(pickle.loads(pickle.dumps(v)).transform(DOCS), X)
