"""Bad and extreme input: clear exceptions naming the document, never a crash or a hang."""

from __future__ import annotations

import pytest

import newstally
from newstally.exceptions import DocumentError, DocumentTypeError

from conftest import DOCS


@pytest.mark.parametrize("bad", [42, b"bytes", ["list"], 3.5])
def test_non_str_document_names_its_index(bad):
    docs = DOCS[:3] + [bad] + DOCS[3:]
    with pytest.raises(TypeError, match=r"document 3 is \w+, not str"):
        newstally.count(docs)
    with pytest.raises(DocumentTypeError, match="document 3"):
        newstally.CountVectorizer().fit(docs)


def test_missing_values_are_named_as_such():
    pd = pytest.importorskip("pandas")
    with pytest.raises(DocumentTypeError, match=r"document 1 is a missing value \((nan|None)\)"):
        newstally.count(pd.Series(["a b", None, "c d"]))
    with pytest.raises(DocumentTypeError, match=r"document 0 is a missing value \(None\)"):
        newstally.count([None])


def test_index_counts_across_batches_and_generators():
    def gen():
        yield from ["fine"] * 25
        yield 7

    with pytest.raises(DocumentTypeError, match="document 25 is int"):
        newstally.count(gen(), batch_size=10)
    # A list is read in place by the core, batch by batch.
    with pytest.raises(DocumentTypeError, match="document 25 is int"):
        newstally.count(list(gen()), batch_size=10)
    with pytest.raises(DocumentError, match="document 13 is not valid Unicode"):
        newstally.count(["fine"] * 13 + ["\udc00"], batch_size=4)
    v = newstally.CountVectorizer().fit(DOCS)
    with pytest.raises(DocumentTypeError, match="document 25 is int"):
        v.transform(gen())


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "10"])
def test_bad_batch_size_is_a_config_error(size):
    with pytest.raises(newstally.exceptions.ConfigError, match="invalid batch_size"):
        newstally.count(DOCS, batch_size=size)


def test_a_single_string_is_not_a_corpus():
    with pytest.raises(TypeError, match="single str"):
        newstally.count("one document")
    with pytest.raises(TypeError, match="iterable"):
        newstally.count(12)


def test_lone_surrogate_is_a_clear_error():
    docs = ["ok", "also ok", "bad \ud800 here"]
    with pytest.raises(DocumentError, match=r"document 2 is not valid Unicode.*character 4"):
        newstally.count(docs)
    with pytest.raises(ValueError, match="document 2"):
        newstally.CountVectorizer().fit(docs)


def test_empty_documents_count_as_documents_with_no_tokens():
    stats = newstally.count(["", "", "word", "   ", "!!!"])
    assert stats.n_documents == 5
    assert stats.n_tokens == 1
    assert stats.terms.top(None) == [("word", 1, 1)]
    empty = newstally.count([])
    assert empty.n_documents == 0 and len(empty.terms) == 0 and empty.terms.top() == []
    X = newstally.CountVectorizer().fit(["a word"]).transform(["", "word"])
    assert X.shape == (2, 1) and X.toarray().tolist() == [[0], [1]]


def test_nul_bytes_control_characters_and_mixed_scripts():
    docs = ["null\x00byte\x00split", "tab\tand\x07bell", "mixed Ελληνικά русский 中文 עברית اَلْعَرَبِيَّة"]
    for tokenizer in ("word", "pattern"):
        stats = newstally.count(docs, tokenizer=tokenizer, ngram_range=(1, 2))
        assert stats.terms["null"] == 1 and stats.terms["byte"] == 1
        assert stats.terms["русский"] == 1
        for term, _, _ in stats.ngrams(2).top(None):
            assert "\x00" not in term


def test_fifty_megabyte_document():
    sentence = "Officials in Zürich said the 3.5% rise was well-known; markets (and Putin’s aides) disagreed. "
    doc = sentence * (50_000_000 // len(sentence))
    stats = newstally.count([doc, "tail"], ngram_range=(1, 2))
    reps = 50_000_000 // len(sentence)
    assert stats.terms["zürich"] == reps
    assert stats.terms["putin"] == reps
    assert stats.ngrams(2)["officials in"] == reps
    no_space = "x" * 50_000_000
    assert newstally.count([no_space], tokenizer="pattern").terms[no_space] == 1


def test_bad_options_are_config_errors():
    with pytest.raises(ValueError, match="tokenizer"):
        newstally.count(DOCS, tokenizer="spaces")
    with pytest.raises(ValueError, match="ngram_stop_words"):
        newstally.count(DOCS, ngram_stop_words="sometimes")
    with pytest.raises(ValueError, match="stop_words"):
        newstally.count(DOCS, stop_words="french")
    with pytest.raises(ValueError, match="token_pattern"):
        newstally.count(DOCS, token_pattern="(unclosed")
    with pytest.raises(ValueError, match="n_threads"):
        newstally.count(DOCS, n_threads=0)
    with pytest.raises(ValueError, match="min_df"):
        newstally.count(DOCS, min_df=True)


class Text(str):
    """A str subclass, as some libraries hand out."""


def test_str_subclasses_count_like_str():
    docs = [Text(d) for d in DOCS]
    assert newstally.count(docs).terms.top(None) == newstally.count(DOCS).terms.top(None)
    X, Y = (newstally.CountVectorizer().fit_transform(d) for d in (docs, DOCS))
    assert (X != Y).nnz == 0


def test_a_list_that_shrinks_while_it_is_read_is_read_as_it_stands():
    """A str subclass's isascii runs Python code in the middle of reading the list: the core must
    neither crash nor read past the list's new end."""
    docs: list = []

    class Shrinking(str):
        def isascii(self):
            del docs[len(docs) // 2 :]
            return str.isascii(self)

    docs.extend(Shrinking(f"document number {i}") for i in range(40))
    stats = newstally.count(docs)
    assert 1 <= stats.n_documents < 40
    assert stats.terms["document"] == stats.n_documents
