"""Plots of results (matplotlib, optional: ``pip install 'newstally[plot]'``). Each returns its Axes.

>>> import newstally
>>> stats = newstally.count(["rates rose", "rates fell", "oil rose"])
>>> ax = stats.terms.plot(k=3)            # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'newstally[plot]'") from None
    _, ax = plt.subplots(figsize=(7, 5))
    return ax


def plot_top(rows: list[tuple[Any, ...]], *, title: str, xlabel: str = "count", ax: Any = None) -> Any:
    """A horizontal bar chart of ``(label, count)`` rows, the first at the top."""
    ax = _axes(ax)
    labels = [str(r[0]) for r in rows]
    counts = [r[1] for r in rows]
    positions = list(range(len(rows)))
    ax.barh(positions, counts, color="#3b6ea8")
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return ax


def plot_trend(series: dict[str, dict[str, int]], *, title: str, xlabel: str, ax: Any = None) -> Any:
    """One line per term over the groups: ``series`` maps term -> {group: count}, groups in order."""
    ax = _axes(ax)
    groups: list[str] = []
    for values in series.values():
        groups = list(values)
        break
    positions = list(range(len(groups)))
    for term, values in series.items():
        ax.plot(positions, [values[g] for g in groups], marker="o", label=term)
    # Many groups (days) would crowd the axis: label at most about 12 of them.
    step = max(1, len(groups) // 12)
    ax.set_xticks(positions[::step], groups[::step], rotation=45, ha="right")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    ax.set_title(title)
    if series:
        ax.legend()
    return ax
