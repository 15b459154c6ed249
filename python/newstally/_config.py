"""Turning keyword options into the config dict the Rust core reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import _core
from .exceptions import ConfigError

ENGLISH_STOP_WORDS: frozenset[str] = frozenset(_core.english_stop_words())
"""newstally's built-in English stop words (see the README for how the list was chosen)."""

TOKENIZERS = ("word", "pattern")
NGRAM_STOP_WORDS = ("remove", "edges", "keep")


def _normalise_word(w: str, lowercase: bool) -> str:
    # Stop words must compare equal to the tokenizer's output, which folds curly apostrophes and case.
    w = w.replace("\u2019", "'")
    return w.lower() if lowercase else w


def resolve_stop_words(stop_words: Any, *, lowercase: bool, normalise: bool) -> list[str]:
    """The stop word list for ``stop_words`` = None, "english", or an iterable of str."""
    if stop_words is None:
        return []
    if isinstance(stop_words, str):
        if stop_words != "english":
            raise ConfigError(f"invalid stop_words: {stop_words!r}; use 'english', a list of words, or None")
        words: Iterable[str] = ENGLISH_STOP_WORDS
    else:
        try:
            words = list(stop_words)
        except TypeError:
            raise ConfigError(f"invalid stop_words: {stop_words!r} is not iterable") from None
        for i, w in enumerate(words):
            if not isinstance(w, str):
                raise ConfigError(f"invalid stop_words: item {i} is {type(w).__name__}, not str")
    if normalise:
        return sorted({_normalise_word(w, lowercase) for w in words})
    return sorted(set(words))


def _ngram_range(ngram_range: Any) -> tuple[int, int]:
    try:
        lo, hi = ngram_range
        lo, hi = int(lo), int(hi)
    except (TypeError, ValueError):
        raise ConfigError(f"invalid ngram_range: {ngram_range!r}; expected a pair (min_n, max_n)") from None
    if not 1 <= lo <= hi <= 8:
        raise ConfigError(f"invalid ngram_range: need 1 <= min_n <= max_n <= 8, got ({lo}, {hi})")
    return lo, hi


def count_config(
    *,
    tokenizer: str = "word",
    token_pattern: str | None = None,
    lowercase: bool = True,
    ngram_range: Any = (1, 1),
    stop_words: Any = None,
    ngram_stop_words: str = "remove",
    cross_sentences: bool = False,
    drop_numbers: bool = False,
    nfkc: bool = False,
    min_length: int = 1,
    special_tokens: bool = True,
) -> dict[str, Any]:
    """Validate options and build the dict ``_core`` reads."""
    if tokenizer not in TOKENIZERS:
        raise ConfigError(f"invalid tokenizer: {tokenizer!r}; expected one of {TOKENIZERS}")
    if token_pattern is not None and tokenizer != "pattern":
        tokenizer = "pattern"
    if ngram_stop_words not in NGRAM_STOP_WORDS:
        raise ConfigError(f"invalid ngram_stop_words: {ngram_stop_words!r}; expected one of {NGRAM_STOP_WORDS}")
    if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 0:
        raise ConfigError(f"invalid min_length: {min_length!r}; expected an int >= 0")
    return {
        "tokenizer": tokenizer,
        "token_pattern": token_pattern,
        "lowercase": bool(lowercase),
        "ngram_range": _ngram_range(ngram_range),
        "stop_words": resolve_stop_words(stop_words, lowercase=bool(lowercase), normalise=tokenizer == "word"),
        "ngram_stop_words": ngram_stop_words,
        "cross_sentences": bool(cross_sentences),
        "drop_numbers": bool(drop_numbers),
        "nfkc": bool(nfkc),
        "min_length": int(min_length),
        "special_tokens": bool(special_tokens),
    }
