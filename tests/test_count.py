"""newstally.count() and its results: tables, ordering, pruning, merging, persistence."""

from __future__ import annotations

import pickle

import pytest

import newstally
from newstally.exceptions import ConfigError, DecodeError, IncompatibleError

from conftest import DOCS


def test_counts_terms_and_document_frequencies():
    stats = newstally.count(["the cat sat", "the cat", "a dog"], tokenizer="pattern")
    assert stats.n_documents == 3
    assert stats.n_tokens == 6  # "a" is a single character: not a token for the default pattern
    assert stats.terms.top(None) == [("cat", 2, 2), ("the", 2, 2), ("dog", 1, 1), ("sat", 1, 1)]
    assert stats.terms["cat"] == 2
    assert stats.terms.df("cat") == 2
    assert "dog" in stats.terms and "bird" not in stats.terms
    assert stats.terms.get("bird", 0) == 0
    with pytest.raises(KeyError):
        stats.terms["bird"]


def test_word_tokenizer_news_rules():
    stats = newstally.count(
        ["Russia’s envoy met Russia's allies; RUSSIA'S well-known e-mail: news@example.org #Vote @UN"]
    )
    t = stats.terms.to_dict()
    assert t["russia"] == 3
    for term in ("well-known", "e-mail", "news@example.org", "#vote", "@un"):
        assert t[term] == 1, term


def test_fixed_order_count_desc_then_term_bytewise():
    stats = newstally.count(["b a Z é z a b"], tokenizer="pattern", token_pattern=r"\S+", lowercase=False)
    assert [t for t, _, _ in stats.terms.top(None)] == ["a", "b", "Z", "z", "é"]


def test_ngrams_stop_at_sentences_unless_asked():
    docs = ["Prices rose. Markets fell sharply."]
    inside = newstally.count(docs, ngram_range=(2, 2))
    assert "rose markets" not in inside.ngrams(2)
    assert inside.ngrams(2)["markets fell"] == 1
    across = newstally.count(docs, ngram_range=(2, 2), cross_sentences=True)
    assert across.ngrams(2)["rose markets"] == 1


def test_abbreviations_do_not_end_sentences():
    stats = newstally.count(["Mr. Smith met Dr. Jones in St. Louis."], ngram_range=(2, 2))
    assert stats.ngrams(2)["mr smith"] == 1
    assert stats.ngrams(2)["st louis"] == 1


def test_stop_word_modes():
    docs = ["the bank of england raised the rate"]
    remove = newstally.count(docs, ngram_range=(1, 3), stop_words=["the", "of"])
    assert "the" not in remove.terms
    assert remove.ngrams(2)["bank england"] == 1
    edges = newstally.count(docs, ngram_range=(1, 3), stop_words=["the", "of"], ngram_stop_words="edges")
    assert edges.ngrams(3)["bank of england"] == 1
    assert "of england" not in edges.ngrams(2) and "the rate" not in edges.ngrams(2)
    assert "bank england" not in edges.ngrams(2)
    keep = newstally.count(docs, ngram_range=(2, 2), stop_words=["the", "of"], ngram_stop_words="keep")
    assert keep.ngrams(2)["of england"] == 1
    english = newstally.count(docs, stop_words="english")
    assert "the" not in english.terms and "bank" in english.terms


def test_user_stop_words_follow_the_tokenizer_normalisation():
    stats = newstally.count(["Don’t stop. THE END"], stop_words=["DON’T", "The"])
    assert "don't" not in stats.terms and "the" not in stats.terms
    assert stats.terms["end"] == 1


def test_pruning_is_applied_when_reading():
    docs = ["a b c", "a b", "a", "d d d d"]
    stats = newstally.count(docs, tokenizer="pattern", token_pattern=r"\w")
    assert len(stats.terms) == 4
    assert [t for t, _, _ in stats.with_pruning(min_df=2).terms.top(None)] == ["a", "b"]
    assert [t for t, _, _ in stats.with_pruning(max_df=0.5).terms.top(None)] == ["d", "b", "c"]
    assert stats.with_pruning(min_count=2).terms.to_dict() == {"d": 4, "a": 3, "b": 2}
    assert stats.with_pruning(max_features=2).terms.top(None) == [("d", 4, 1), ("a", 3, 3)]
    assert len(stats.with_pruning(max_features=2).terms) == 2
    pruned = newstally.count(docs, tokenizer="pattern", token_pattern=r"\w", min_df=2)
    assert "d" not in pruned.terms and pruned.terms.get("d") is None
    with pytest.raises(ConfigError):
        newstally.count(docs, min_df=-1)
    with pytest.raises(ConfigError):
        newstally.count(docs, max_df=1.5)
    with pytest.raises(ConfigError, match="max_df"):
        newstally.count(docs, min_df=3, max_df=1).terms.top()


def test_merge_equals_counting_the_whole():
    whole = newstally.count(DOCS, ngram_range=(1, 3))
    parts = [newstally.count(DOCS[i : i + 3], ngram_range=(1, 3)) for i in range(0, len(DOCS), 3)]
    assert sum(parts) == whole
    assert parts[0] + parts[1] == parts[0].merge(parts[1])
    assert (parts[0] + parts[1]).n_documents == 6


def test_merge_refuses_different_settings():
    a = newstally.count(DOCS, ngram_range=(1, 2))
    b = newstally.count(DOCS, ngram_range=(1, 1))
    with pytest.raises(IncompatibleError, match="ngram_range"):
        a + b
    with pytest.raises(IncompatibleError, match="pruning"):
        a + newstally.count(DOCS, ngram_range=(1, 2), min_df=2)


def test_save_load_pickle(tmp_path):
    stats = newstally.count(DOCS, ngram_range=(1, 2), stop_words="english", min_df=1)
    path = tmp_path / "s.ntstats"
    stats.save(path)
    assert newstally.load(path) == stats
    assert pickle.loads(pickle.dumps(stats)) == stats
    assert newstally.CorpusStats.from_bytes(stats.to_bytes()).terms.top(5) == stats.terms.top(5)


@pytest.mark.parametrize(
    "data",
    [b"", b"garbage", b"NEWSTALY", b"NEWSTALY\x63\x00\x01", b"\x89PNG\r\n\x1a\n" + bytes(100)],
)
def test_loading_foreign_or_corrupt_bytes_raises_value_error(tmp_path, data):
    with pytest.raises(DecodeError):
        newstally.CorpusStats.from_bytes(data)
    path = tmp_path / "bad.ntstats"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="bad.ntstats"):
        newstally.load(path)


def test_truncated_and_flipped_bytes_never_crash():
    data = newstally.count(DOCS, ngram_range=(1, 2)).to_bytes()
    for cut in range(0, len(data), max(1, len(data) // 200)):
        with pytest.raises(DecodeError):
            newstally.CorpusStats.from_bytes(data[:cut])
    for i in range(0, len(data), 7):
        damaged = bytearray(data)
        damaged[i] ^= 0xFF
        try:
            newstally.CorpusStats.from_bytes(bytes(damaged))
        except DecodeError:
            pass


def test_to_pandas_and_repr():
    pd = pytest.importorskip("pandas")
    stats = newstally.count(DOCS, ngram_range=(1, 2))
    df = stats.ngrams(2).to_pandas()
    assert list(df.columns) == ["term", "count", "df"]
    assert len(df) == len(stats.ngrams(2))
    assert df["count"].is_monotonic_decreasing
    assert isinstance(df, pd.DataFrame)
    assert "CorpusStats" in repr(stats) and "TermTable" in repr(stats.terms)


def test_table_for_an_uncounted_length_is_an_error():
    stats = newstally.count(DOCS, ngram_range=(2, 3))
    with pytest.raises(ConfigError, match="ngram_range"):
        stats.terms
    with pytest.raises(ConfigError):
        newstally.count(DOCS, ngram_range=(1, 9))
    with pytest.raises(ConfigError):
        newstally.count(DOCS, ngram_range=(3, 2))


def test_accepts_any_iterable():
    pd = pytest.importorskip("pandas")
    as_list = newstally.count(DOCS)
    assert newstally.count(iter(DOCS)) == as_list
    assert newstally.count(d for d in DOCS) == as_list
    assert newstally.count(tuple(DOCS)) == as_list
    assert newstally.count(pd.Series(DOCS)) == as_list
    assert newstally.count(DOCS, batch_size=1) == as_list


def test_tokenize_offsets_slice_the_text():
    text = "Zürich’s mayor, Dr. Müller, e-mailed https://zh.example/x?y=1 today."
    for tok in newstally.tokenize(text):
        assert tok.end > tok.start
        source = text[tok.start : tok.end].lower().replace("\u2019", "'")
        assert source == tok.term


def test_notebook_html_is_escaped_and_cut():
    docs = ["<script>alert(1)</script> " + " ".join(f"w{i}" for i in range(30))]
    stats = newstally.count(docs, tokenizer="pattern", token_pattern=r"\S+", ngram_range=(1, 2))
    html = stats._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "… 21 more" in stats.terms._repr_html_()
    assert html.count("<table>") == 2
    grouped = newstally.count(docs * 2, by=["a<b", "c"])
    assert "a&lt;b" in grouped._repr_html_()


def test_progress_bar_is_optional_and_off_when_not_interactive(capsys):
    pytest.importorskip("tqdm")
    docs = DOCS * 30
    expected = newstally.count(docs)
    assert newstally.count(docs, progress=True, batch_size=50) == expected
    # A fast run may only draw the first frame (the bar is cleared at the end): check it was drawn.
    err = capsys.readouterr().err
    assert "counting" in err and "/300" in err and "doc" in err
    assert newstally.count((d for d in docs), progress=True) == expected
    assert "counting" in capsys.readouterr().err
    # Under pytest stderr is not a terminal, so the default shows nothing.
    newstally.count(docs)
    newstally.count(docs, by=["a", "b"] * 150, progress=False)
    assert capsys.readouterr().err == ""
    grouped = newstally.count(docs, by=["a", "b"] * 150, progress=True)
    assert grouped.n_documents == 300 and "/300" in capsys.readouterr().err


def test_tables_to_pandas_polars_and_arrow():
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    stats = newstally.count(DOCS, ngram_range=(1, 2), entities=True)
    for table, cols in ((stats.ngrams(2), ["term", "count", "df"]), (stats.entities, ["entity", "label", "count", "df"])):
        expected = table.to_pandas()
        assert list(expected.columns) == cols and expected["count"].dtype == "int64"
        assert table.to_polars().to_pandas().equals(expected)
        arrow = table.to_arrow()
        assert isinstance(arrow, pa.Table) and arrow.column_names == cols
        assert arrow.to_pandas().equals(expected)
    grouped = newstally.count(DOCS, by=["a", "b"] * 5)
    tidy = grouped.to_pandas()
    assert grouped.to_polars().to_pandas().equals(tidy)
    assert grouped.to_arrow().to_pandas().equals(tidy)
    assert isinstance(grouped.to_polars(), pl.DataFrame) and isinstance(tidy, pd.DataFrame)
