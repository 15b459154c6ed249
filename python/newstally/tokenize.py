"""Tokenizing single documents, for inspection: the same tokens :func:`newstally.count` counts."""

from __future__ import annotations

from typing import NamedTuple

from . import _core
from ._config import count_config
from .exceptions import DocumentTypeError

__all__ = ["Token", "tokenize"]


class Token(NamedTuple):
    """A token: its normalised ``term`` and the ``start``/``end`` character offsets of its source text."""

    term: str
    start: int
    end: int


def tokenize(
    text: str,
    *,
    tokenizer: str = "word",
    token_pattern: str | None = None,
    lowercase: bool = True,
    drop_numbers: bool = False,
    nfkc: bool = False,
    min_length: int = 1,
    special_tokens: bool = True,
) -> list[Token]:
    """The tokens of ``text`` with the options of :func:`newstally.count`.

    >>> from newstally import tokenize
    >>> [t.term for t in tokenize("Russia’s well-known envoy e-mailed @UN_News")]
    ['russia', 'well-known', 'envoy', 'e-mailed', '@un_news']
    >>> tokenize("Zürich is big")[0]
    Token(term='zürich', start=0, end=6)
    """
    if not isinstance(text, str):
        raise DocumentTypeError(f"expected str, got {type(text).__name__}")
    config = count_config(
        tokenizer=tokenizer,
        token_pattern=token_pattern,
        lowercase=lowercase,
        drop_numbers=drop_numbers,
        nfkc=nfkc,
        min_length=min_length,
        special_tokens=special_tokens,
    )
    return [Token(t, s, e) for t, s, e in _core.tokenize(text, config)]
