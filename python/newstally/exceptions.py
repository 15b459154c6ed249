"""Exceptions raised by newstally.

Each subclasses both :class:`NewstallyError` and the builtin a caller would already catch, so
``except ValueError`` keeps working while ``except newstally.NewstallyError`` catches everything ours.
"""

from __future__ import annotations

__all__ = [
    "NewstallyError",
    "ConfigError",
    "DocumentError",
    "DocumentTypeError",
    "DecodeError",
    "IncompatibleError",
    "EmptyVocabularyError",
    "CapacityError",
    "NotFittedError",
    "ParseError",
    "ReadError",
]


class NewstallyError(Exception):
    """Base class of every newstally exception."""


class ConfigError(NewstallyError, ValueError):
    """An option is out of range, inconsistent, or unsupported (e.g. a bad ``token_pattern``)."""


class DocumentError(NewstallyError, ValueError):
    """A document cannot be processed; the message names its index."""


class DocumentTypeError(NewstallyError, TypeError):
    """A document is not a ``str``; the message names its index and type."""


class DecodeError(NewstallyError, ValueError):
    """Bytes or a file are not valid newstally data (foreign, truncated, corrupt or too new)."""


class IncompatibleError(NewstallyError, ValueError):
    """Two results counted with different settings cannot be merged."""


class EmptyVocabularyError(NewstallyError, ValueError):
    """No terms were found, or pruning removed them all."""


class CapacityError(NewstallyError, ValueError):
    """A count or size went past what newstally's formats can hold."""


class NotFittedError(NewstallyError, ValueError, AttributeError):
    """A vectorizer was used before ``fit`` (same bases as scikit-learn's ``NotFittedError``)."""


class ParseError(NewstallyError, ValueError):
    """A line of a CoNLL training or evaluation file is malformed; the message gives ``file:line``."""


class ReadError(NewstallyError, ValueError):
    """A corpus file cannot be read: the message starts with ``FILE:LINE: `` (or ``FILE: row N: ``)."""
