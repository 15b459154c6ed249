"""Shared fixtures: small hand-written documents, and the shared news corpora when present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEWS = ROOT.parent / "shared" / "data" / "news"
CORPORA = ("bbc", "reuters21578", "reuters_c50")

#: Written for these tests: varied punctuation, case, non-ASCII and repetition.
DOCS = [
    "The Bank of England raised rates to 5.25% on Thursday, the 14th rise in a row.",
    "Vladimir Putin met Joe Biden in Geneva. Putin’s aides said the talks were 'constructive'.",
    "BREAKING: Markets fall as the U.S. dollar climbs; the FTSE 100 lost 1.2 percent.",
    "",
    "Zürich, São Paulo and Łódź: three cities, three mayors, one climate pledge.",
    "well-known, long-running, e-mail: hyphens everywhere -- and a dash - too",
    "the the the THE The tHe",
    "Ωμέγα ΟΔΟΣ δρόμος · 東京都 大阪 · مرحبا بالعالم · नमस्ते दुनिया",
    "snake_case_word x_y __init__ 42 7 3.14159 1,000,000",
    "Contact press@example.org or visit https://example.org/news?id=7 #Elections @NewsDesk",
]


def news_path(name: str) -> Path:
    return NEWS / f"{name}.jsonl"


def load_news(name: str, limit: int | None = None) -> list[str]:
    path = news_path(name)
    if not path.exists():
        pytest.skip(f"shared corpus {path} is absent (it lives in ../shared beside the repository)")
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line)["text"])
            if limit is not None and len(out) >= limit:
                break
    return out


@pytest.fixture(scope="session")
def news_all() -> list[str]:
    """All three shared corpora (about 36 MB of text); skips when ../shared is absent."""
    texts: list[str] = []
    for name in CORPORA:
        texts += load_news(name)
    return texts


@pytest.fixture(scope="session")
def news_sample() -> list[str]:
    """Every 20th article of the shared corpora (about 1,350 articles)."""
    texts: list[str] = []
    for name in CORPORA:
        texts += load_news(name)[::20]
    return texts
