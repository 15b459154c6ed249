"""Behaviour shared by result classes, each built on a few methods the class provides."""

from __future__ import annotations

import os
from typing import Any

from . import _frames


class Frames:
    """``to_pandas()``, ``to_polars()`` and ``to_arrow()`` of a table, from its ``_columns()``."""

    __slots__ = ()

    def to_pandas(self) -> Any:
        """The rows as a pandas DataFrame, in table order."""
        return _frames.build("pandas", self._columns())  # type: ignore[attr-defined]

    def to_polars(self) -> Any:
        """The rows as a polars DataFrame, in table order."""
        return _frames.build("polars", self._columns())  # type: ignore[attr-defined]

    def to_arrow(self) -> Any:
        """The rows as a pyarrow Table, in table order."""
        return _frames.build("arrow", self._columns())  # type: ignore[attr-defined]


class Results:
    """Adding (``a + b``, ``sum(...)``), equality, ``save`` and pickling of results, from the class's
    ``merge``, ``to_bytes`` and ``from_bytes``. Results are mutable in meaning only through merging,
    so they compare by their bytes and are not hashable."""

    __slots__ = ()

    def __add__(self, other: object) -> Any:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.merge(other)  # type: ignore[attr-defined]

    def __radd__(self, other: object) -> Any:
        # sum(list_of_results) starts from 0.
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return bool(self.to_bytes() == other.to_bytes())  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write to ``path`` (conventionally ``*.ntstats``); read back with :func:`newstally.load`."""
        data = self.to_bytes()  # type: ignore[attr-defined]
        with open(path, "wb") as f:
            f.write(data)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self).from_bytes, (self.to_bytes(),))  # type: ignore[attr-defined]
