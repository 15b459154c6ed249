"""newstally: fast, parallel text statistics for news analysis.

>>> import newstally
>>> stats = newstally.count(["Putin met Biden in Geneva.", "Biden left Geneva."], ngram_range=(1, 2))
>>> stats.terms.top(3)
[('biden', 2, 2), ('geneva', 2, 2), ('in', 1, 1)]
"""

from __future__ import annotations

from . import exceptions
from ._config import ENGLISH_STOP_WORDS
from ._core import __version__
from .entities import Entity, Gazetteer, GazetteerMatch, Recognizer, train_recognizer
from .exceptions import NewstallyError
from .grouped import GroupedStats
from .memory import release_memory
from .readers import (
    Corpus,
    Document,
    read,
    read_csv,
    read_frame,
    read_jsonl,
    read_parquet,
    read_text,
)
from .stats import CorpusStats, EntityTable, TermTable, count, load
from .tokenize import tokenize
from .vectorizers import CountVectorizer, TfidfVectorizer

__all__ = [
    "__version__",
    "count",
    "load",
    "tokenize",
    "release_memory",
    "CorpusStats",
    "GroupedStats",
    "Entity",
    "EntityTable",
    "Gazetteer",
    "GazetteerMatch",
    "Recognizer",
    "train_recognizer",
    "TermTable",
    "CountVectorizer",
    "TfidfVectorizer",
    "ENGLISH_STOP_WORDS",
    "read",
    "read_csv",
    "read_frame",
    "read_jsonl",
    "read_parquet",
    "read_text",
    "Corpus",
    "Document",
    "NewstallyError",
    "exceptions",
]
