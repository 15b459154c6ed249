"""HTML rendering of results for Jupyter (``_repr_html_``): small, escaped, dependency-free tables."""

from __future__ import annotations

from html import escape
from typing import Any

#: Rows shown in a notebook before "… N more".
ROWS = 10


def table(caption: str, header: list[str], rows: list[tuple[Any, ...]], total: int) -> str:
    """An HTML table of ``rows`` (already cut), with a caption and a note of rows not shown."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c)) if isinstance(c, str) else f'{c:,}'}</td>" for c in r) + "</tr>"
        for r in rows
    )
    more = f"<tr><td colspan='{len(header)}'>… {total - len(rows):,} more</td></tr>" if total > len(rows) else ""
    return (
        f"<table><caption style='text-align:left'>{escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}{more}</tbody></table>"
    )
