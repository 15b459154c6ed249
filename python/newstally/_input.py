"""Reading documents from any iterable in bounded batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .exceptions import DocumentTypeError

#: Documents per batch handed to the core, and the characters that also end a batch. Big enough for the
#: threads to have work, small enough that a generator is never held whole and Ctrl-C is noticed quickly.
BATCH_DOCS = 20_000
BATCH_CHARS = 4_000_000


def _values(texts: Any) -> Iterable[Any]:
    # pandas Series iterate their values; going through .array avoids building an index per item.
    if type(texts).__module__.startswith("pandas") and hasattr(texts, "array"):
        return iter(texts.array)
    return texts


def batches(texts: Any, batch_size: int | None = None, whole_lists: bool = False) -> Iterator[list[Any]]:
    """Yield lists of documents from ``texts``, bounded by count and total length.

    With ``whole_lists``, a list is handed over as one batch: it is in memory already, the core borrows
    its ASCII strings without copying them (others are encoded into a copy for the call), and each
    batch costs a pass of thread start-up and merging.
    Items are not type-checked here beyond ``str``'s length; the core names the index of a bad one.
    """
    if whole_lists and type(texts) is list:
        if texts:
            yield texts
        return
    if isinstance(texts, (str, bytes)):
        raise DocumentTypeError(
            "expected an iterable of documents (e.g. a list of str), got a single "
            f"{type(texts).__name__}; wrap it in a list"
        )
    try:
        it = iter(_values(texts))
    except TypeError:
        raise DocumentTypeError(f"expected an iterable of str, got {type(texts).__name__}") from None
    max_docs = batch_size or BATCH_DOCS
    batch: list[Any] = []
    chars = 0
    for doc in it:
        batch.append(doc)
        if isinstance(doc, str):
            chars += len(doc)
        if len(batch) >= max_docs or chars >= BATCH_CHARS:
            yield batch
            batch = []
            chars = 0
    if batch:
        yield batch
