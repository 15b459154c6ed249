"""Helpers shared by the comparison scripts in this folder."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any


def load(paths: list[str], field: str = "text") -> list[str]:
    """The ``field`` of every record of the JSON Lines files, in order."""
    texts = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            texts.extend(json.loads(line)[field] for line in f if line.strip())
    return texts


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time of ``repeat`` calls of ``fn``, and the last call's result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out
