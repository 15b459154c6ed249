"""count(..., by=...): grouped counts by a metadata field or a date bucket."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

import newstally
from newstally.exceptions import ConfigError, DecodeError, DocumentError, DocumentTypeError, IncompatibleError
from newstally.grouped import bucket_key

from conftest import news_path

RECORDS = [
    {"text": "Rates rose in Berlin.", "date": "2026-01-05", "source": "Harbour Post"},
    {"text": "Rates fell again.", "date": "2026-01-31T23:59:00Z", "source": "Meridian Wire"},
    {"text": "Berlin talks stall.", "date": "Mon, 02 Feb 2026 09:00:00 +0000", "source": "Harbour Post"},
    {"text": "Rates rose, then fell.", "date": "2026-03-01", "source": "Meridian Wire"},
]


def test_bucket_keys():
    assert bucket_key("2026-01-31T23:59:00Z", "day") == "2026-01-31"
    assert bucket_key("2026-01-01", "week") == "2026-W01"
    assert bucket_key("2027-01-01", "week") == "2026-W53"
    assert bucket_key("Mon, 02 Feb 2026 09:00:00 +0000", "month") == "2026-02"
    assert bucket_key("2026-06-15 10:00:00+02:00", "year") == "2026"
    for bad in ("yesterday", "2026-13-01", ""):
        with pytest.raises(ValueError):
            bucket_key(bad, "month")


def test_group_by_field_and_by_month():
    by_source = newstally.count(RECORDS, by="source")
    assert by_source.groups == ["Harbour Post", "Meridian Wire"]
    assert by_source["Harbour Post"].terms.to_dict() == {"berlin": 2, "in": 1, "rates": 1, "rose": 1, "stall": 1, "talks": 1}
    by_month = newstally.count(RECORDS, by="date", bucket="month")
    assert by_month.groups == ["2026-01", "2026-02", "2026-03"]
    assert by_month.trend("rates") == {"2026-01": 2, "2026-02": 0, "2026-03": 1}
    assert by_month.n_documents == 4
    assert ("2026-01", "rates", 2, 2) in by_month.table()


def same_groups(a, b) -> bool:
    """Equal group keys and equal stats per group (the grouping's name may differ)."""
    return a.groups == b.groups and all(a[k] == b[k] for k in a.groups)


def test_every_input_shape_gives_the_same_groups():
    pd = pytest.importorskip("pandas")
    expected = newstally.count(RECORDS, by="source", ngram_range=(1, 2))
    df = pd.DataFrame(RECORDS)
    assert newstally.count(df, by="source", ngram_range=(1, 2)) == expected
    assert newstally.count(df["text"], by=df["source"], ngram_range=(1, 2)) == expected
    values = newstally.count([r["text"] for r in RECORDS], by=[r["source"] for r in RECORDS], ngram_range=(1, 2))
    assert same_groups(values, expected) and values.by == "<values>"
    docs = newstally.read_frame(df, text_column="text", meta_columns=["source"])
    assert newstally.count(docs, by="source", ngram_range=(1, 2)) == expected


def test_bad_group_values_name_the_document_or_are_reported_skips():
    records = RECORDS + [{"text": "No date here.", "source": "X"}, {"text": "Bad date.", "date": "soon"}]
    with pytest.raises(DocumentError, match="document 4 has no"):
        newstally.count(records, by="date", bucket="month")
    grouped = newstally.count(records, by="date", bucket="month", on_bad_group="skip")
    assert [i for i, _ in grouped.skipped] == [4, 5]
    assert "not an ISO 8601 or RFC 2822 date" in grouped.skipped[1][1]
    assert grouped.n_documents == 4
    assert "2 skipped" in repr(grouped)


def test_option_errors():
    with pytest.raises(ConfigError, match="bucket"):
        newstally.count(RECORDS, by="date", bucket="fortnight")
    with pytest.raises(ConfigError, match="needs by"):
        newstally.count(["a"], bucket="month")
    with pytest.raises(ConfigError, match="more documents"):
        newstally.count(["a b", "c d"], by=["x"])
    with pytest.raises(ConfigError, match="more values"):
        newstally.count(["a b"], by=["x", "y"])
    with pytest.raises(DocumentTypeError, match="document 0 is str"):
        newstally.count(["plain text"], by="source")
    with pytest.raises(ConfigError, match="on_bad_group"):
        newstally.count(RECORDS, by="source", on_bad_group="ignore")


def test_errors_in_documents_name_their_corpus_index():
    texts = ["ok one", "ok two", "bad \ud800", "ok"]
    with pytest.raises(DocumentError, match="document 2 is not valid Unicode"):
        newstally.count(texts, by=["a", "b", "b", "a"])
    with pytest.raises(DocumentTypeError, match="document 3 is int"):
        newstally.count(["x y", "y z", "z", 5], by=["a", "b", "a", "b"])


def test_merge_pickle_save_load(tmp_path):
    whole = newstally.count(RECORDS, by="date", bucket="month", ngram_range=(1, 2))
    halves = [newstally.count(RECORDS[:2], by="date", bucket="month", ngram_range=(1, 2)),
              newstally.count(RECORDS[2:], by="date", bucket="month", ngram_range=(1, 2))]
    assert sum(halves) == whole
    assert halves[1] + halves[0] == whole
    assert pickle.loads(pickle.dumps(whole)) == whole
    path = tmp_path / "g.ntstats"
    whole.save(path)
    assert newstally.load(path) == whole
    data = whole.to_bytes()
    for cut in (0, 5, 12, len(data) // 2, len(data) - 1):
        with pytest.raises(DecodeError):
            newstally.GroupedStats.from_bytes(data[:cut])
    with pytest.raises(IncompatibleError):
        whole + newstally.count(RECORDS, by="source", ngram_range=(1, 2))


def test_wide_frame_for_plotting():
    pytest.importorskip("pandas")
    g = newstally.count(RECORDS, by="date", bucket="month")
    wide = g.to_pandas(wide=True, terms=["rates", "berlin"])
    assert list(wide.index) == ["2026-01", "2026-02", "2026-03"]
    assert wide["rates"].tolist() == [2, 0, 1] and wide["berlin"].tolist() == [1, 1, 0]
    tidy = g.to_pandas()
    assert list(tidy.columns) == ["group", "term", "count", "df"]


def test_grouped_entities():
    g = newstally.count(RECORDS, by="source", entities=True)
    assert all(s.entities is not None for _, s in g.items())
    assert "Berlin" in {e for e, *_ in g["Harbour Post"].entities.top(None)}


def test_monthly_counts_equal_a_pandas_group_by_on_reuters():
    pd = pytest.importorskip("pandas")
    path = news_path("reuters21578")
    if not path.exists():
        pytest.skip(f"shared corpus {path} is absent")
    with open(path, encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    texts = [r["text"] for r in records]
    months = pd.to_datetime(pd.Series([r["date"] for r in records]), format="ISO8601").dt.to_period("M").astype(str)
    # Per-document counts, then a pandas group-by over months.
    vec = newstally.CountVectorizer()
    X = vec.fit_transform(texts).tocsc()
    per_doc = pd.DataFrame.sparse.from_spmatrix(X, columns=vec.get_feature_names_out())
    monthly = per_doc.groupby(months.values).sum()
    grouped = newstally.count(records, by="date", bucket="month", tokenizer="pattern", cross_sentences=True)
    assert grouped.groups == sorted(monthly.index)
    for month in grouped.groups:
        row = monthly.loc[month]
        expected = {t: int(c) for t, c in zip(row.index, np.asarray(row)) if c}
        assert grouped[month].terms.to_dict() == expected, month
