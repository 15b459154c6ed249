"""Plots render: bar charts of top terms/entities and trends over groups, checked in the Axes and as PNG."""

from __future__ import annotations

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import newstally  # noqa: E402

RECORDS = [
    {"text": "Rates rose as oil rose.", "date": "2026-01-05"},
    {"text": "Rates fell; oil fell.", "date": "2026-02-11"},
    {"text": "Rates rose again. Rates!", "date": "2026-03-02"},
]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def png_size(ax, path) -> int:
    ax.figure.savefig(path, format="png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return len(data)


def test_top_terms_bar_chart(tmp_path):
    stats = newstally.count([r["text"] for r in RECORDS])
    ax = stats.terms.plot(k=3)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [t for t, _, _ in stats.terms.top(3)] == ["rates", "rose", "fell"]
    assert [round(p.get_width()) for p in ax.patches] == [4, 3, 2]
    assert ax.get_title() == "Top terms"
    assert png_size(ax, tmp_path / "top.png") > 1000


def test_entity_bar_chart(tmp_path):
    stats = newstally.count(["Angela Merkel met Emmanuel Macron in Paris.", "Merkel left Paris."], entities=True)
    ax = stats.entities.plot(k=5)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(stats.entities.top(5)) and all("(" in lab for lab in labels)
    assert png_size(ax, tmp_path / "ents.png") > 1000


def test_trend_over_months(tmp_path):
    grouped = newstally.count(RECORDS, by="date", bucket="month")
    ax = grouped.plot(["rates", "oil"])
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["rates", "oil"]
    assert [int(y) for y in lines[0].get_ydata()] == [1, 1, 2]
    assert [int(y) for y in lines[1].get_ydata()] == [1, 1, 0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026-01", "2026-02", "2026-03"]
    assert ax.get_xlabel() == "month"
    assert png_size(ax, tmp_path / "trend.png") > 1000


def test_plots_draw_on_given_axes():
    _, ax = plt.subplots()
    out = newstally.count(["a bb cc bb"]).terms.plot(k=2, ax=ax)
    assert out is ax and len(ax.patches) == 2


def test_trend_over_time_shows_empty_periods():
    records = [{"text": "oil", "date": "2026-01-31"}, {"text": "oil oil", "date": "2026-04-01"}]
    ax = newstally.count(records, by="date", bucket="month").plot("oil")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert [int(y) for y in ax.get_lines()[0].get_ydata()] == [1, 0, 0, 2]


def test_period_keys():
    from newstally.grouped import period_keys

    assert period_keys("2025-11", "2026-02", "month") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert period_keys("2026-12-30", "2027-01-02", "day") == ["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"]
    assert period_keys("2026-W52", "2027-W02", "week") == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    assert period_keys("1999", "2001", "year") == ["1999", "2000", "2001"]


def test_entity_trend_over_months(tmp_path):
    records = [
        {"text": "Angela Merkel met Emmanuel Macron in Paris.", "date": "2026-01-05"},
        {"text": "Angela Merkel spoke in Berlin. Merkel left.", "date": "2026-03-05"},
    ]
    grouped = newstally.count(records, by="date", bucket="month", entities=True)
    trend = grouped.entity_trend("Angela Merkel", label="PER")
    assert trend == {"2026-01": 1, "2026-03": 2}
    ax = grouped.plot(["Angela Merkel", "Paris"], entities=True)
    assert [int(y) for y in ax.get_lines()[0].get_ydata()] == [1, 0, 2]
    assert [line.get_label() for line in ax.get_lines()] == ["Angela Merkel", "Paris"]
    assert png_size(ax, tmp_path / "entities.png") > 1000
    tidy = grouped.to_pandas(entities=True)
    assert list(tidy.columns) == ["group", "entity", "label", "count", "df"]
    assert ("2026-03", "Angela Merkel", "PER", 2, 1) in grouped.entity_table()
    with pytest.raises(ValueError, match="entities=True"):
        newstally.count(records, by="date", bucket="month").entity_trend("Angela Merkel")
