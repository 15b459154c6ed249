"""A self-contained HTML report: top terms and phrases, entities by type, and counts over time.

One file with inline styles and its charts embedded as PNG data (matplotlib, optional: without it
the report has tables only, and says so). ``newstally report`` writes one from the command line.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime, timezone
from html import escape
from typing import Any

from . import __version__, _display

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 1.5em 1em 0; display: inline-table; vertical-align: top; }
td, th { padding: 0.15em 0.6em; text-align: left; } td:nth-child(n+2) { text-align: right; }
caption { font-weight: bold; padding-bottom: 0.3em; } img { max-width: 100%; }
.meta { color: #666; }
"""


def _chart(draw: Any) -> str | None:
    """``draw(ax)`` rendered to an inline PNG <img>, or None without matplotlib."""
    # A bare Figure renders to PNG by itself: no pyplot and no backend switch, which would change the
    # plotting backend of a notebook the report is written from.
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(7, 4.2), dpi=96)
    ax = fig.add_subplot()
    draw(ax)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = base64.b64encode(buf.getvalue()).decode()
    return f"<img alt='chart' src='data:image/png;base64,{data}'>"


def render(stats: Any, *, title: str, grouped: Any = None, top: int = 20) -> str:
    """The report of ``stats`` (a CorpusStats), with a section over time when ``grouped`` (a
    GroupedStats of the same documents by date) is given."""
    from .plots import plot_top

    lo, hi = stats.ngram_range
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>",
        f"<p class='meta'>{stats.n_documents:,} documents, {stats.n_tokens:,} tokens. "
        f"Made by newstally {escape(__version__)} on {when}.</p>",
    ]
    charts = True
    for n in range(lo, hi + 1):
        table = stats.ngrams(n)
        kind = "Terms" if n == 1 else f"{n}-word phrases"
        rows = table.top(top)
        parts.append(f"<h2>{kind}</h2>")
        chart = _chart(lambda ax, rows=rows, kind=kind: plot_top(rows[:15], title=f"Top {kind.lower()}", ax=ax))
        charts &= chart is not None
        parts.append(chart or "")
        parts.append(_display.table(f"Top {len(rows)} of {len(table):,}", ["term", "count", "documents"], rows, len(rows)))
    if stats.entities is not None:
        parts.append("<h2>Named entities</h2>")
        ents = stats.entities
        chart = _chart(lambda ax: plot_top([(f"{e} ({lab})", c) for e, lab, c, _ in ents.top(15)],
                                           title="Most mentioned", xlabel="mentions", ax=ax))
        parts.append(chart or "")
        for label, name in (("PER", "People"), ("LOC", "Places"), ("ORG", "Organisations"), ("MISC", "Other")):
            rows = [(e, c, d) for e, _, c, d in ents.top(top, label=label)]
            parts.append(_display.table(name, ["entity", "mentions", "documents"], rows, len(rows)))
    if grouped is not None and len(grouped) > 0:
        terms = [t for t, _, _ in stats.ngrams(lo).top(5)]
        parts.append(f"<h2>Over time ({escape(str(grouped.bucket or grouped.by))})</h2>")
        chart = _chart(lambda ax: grouped.plot(terms, ax=ax))
        parts.append(chart or "")
        rows = [(g, s.n_documents, *(s.ngrams(lo).get(t, 0) for t in terms)) for g, s in grouped.items()]
        parts.append(_display.table("Documents and top terms per period", ["period", "documents", *terms], rows, len(rows)))
        if grouped.skipped:
            parts.append(f"<p class='meta'>{len(grouped.skipped):,} documents had no usable date.</p>")
    if not charts:
        parts.append("<p class='meta'>Charts need matplotlib: pip install 'newstally[plot]'.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
