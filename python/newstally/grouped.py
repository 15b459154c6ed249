"""Counts grouped by document metadata: an outlet, a category, or a date bucketed by day/week/month/year.

``newstally.count(texts, by=...)`` returns a :class:`GroupedStats`: one :class:`~newstally.CorpusStats`
per group, counted with the same settings, so every group merges, prunes, pickles and saves exactly
like ungrouped results.

>>> import newstally
>>> docs = [{"text": "Rates rose.", "date": "2026-01-05"}, {"text": "Rates fell again.", "date": "2026-02-11"},
...         {"text": "Rates rose.", "date": "Mon, 26 Jan 2026 09:00:00 +0000"}]
>>> g = newstally.count(docs, by="date", bucket="month")
>>> g.groups
['2026-01', '2026-02']
>>> g.trend("rates")
{'2026-01': 2, '2026-02': 1}
"""

from __future__ import annotations

import email.utils
import json
import struct
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from . import _frames, _mixins
from .exceptions import ConfigError, DecodeError, DocumentError, DocumentTypeError

__all__ = ["GroupedStats", "BUCKETS"]

#: Date buckets for ``count(..., bucket=...)``, with the form of their group keys.
BUCKETS = {"day": "2026-01-31", "week": "2026-W05 (ISO week)", "month": "2026-01", "year": "2026"}

_MAGIC = b"NTGROUPD"
_VERSION = 1


def parse_date(value: Any) -> datetime:
    """A datetime from a date, a datetime (pandas Timestamps included), an ISO 8601 string or an
    RFC 2822 string ("Mon, 26 Jan 2026 09:00:00 +0000"). Raises ValueError otherwise."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    s = value.strip()
    try:
        # Python 3.10's fromisoformat does not take a trailing Z.
        return datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        raise ValueError(f"not an ISO 8601 or RFC 2822 date: {value!r}")
    return parsed


def bucket_key(value: Any, bucket: str) -> str:
    """The group key of a date in ``bucket``. Dates are bucketed as written: no timezone conversion."""
    d = parse_date(value)
    if bucket == "day":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if bucket == "week":
        year, week, _ = d.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if bucket == "month":
        return f"{d.year:04d}-{d.month:02d}"
    return f"{d.year:04d}"


def period_keys(first: str, last: str, bucket: str) -> list[str]:
    """Every bucket key from ``first`` to ``last`` inclusive, so a time axis shows empty periods."""
    from datetime import timedelta

    if bucket == "year":
        return [f"{y:04d}" for y in range(int(first), int(last) + 1)]
    if bucket == "month":
        (y, m), (y2, m2) = map(int, first.split("-")), map(int, last.split("-"))
        keys = []
        while (y, m) <= (y2, m2):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return keys
    if bucket == "week":
        start = date.fromisocalendar(int(first[:4]), int(first[6:]), 1)
        end = date.fromisocalendar(int(last[:4]), int(last[6:]), 1)
        step = timedelta(days=7)
    else:
        start, end, step = date.fromisoformat(first), date.fromisoformat(last), timedelta(days=1)
    keys = []
    while start <= end:
        keys.append(bucket_key(start, bucket))
        start += step
    return keys


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def group_records(
    texts: Any, by: Any, bucket: str | None, text_field: str, on_bad_group: str
) -> tuple[Iterator[tuple[int, Any, str]], list[tuple[int, str]], str]:
    """Yields (document index, text, group key) for every document, and the list skipped ones go to.

    ``by`` is a field name (of dicts, of reader Documents' meta, or a DataFrame column) or a sequence of
    group values aligned with ``texts``. Returns the iterator, the skip list it fills, and a name for
    ``by``.
    """
    if bucket is not None and bucket not in BUCKETS:
        raise ConfigError(f"invalid bucket: {bucket!r}; expected one of {sorted(BUCKETS)}")
    if on_bad_group not in ("raise", "skip"):
        raise ConfigError(f"invalid on_bad_group: {on_bad_group!r}; expected 'raise' or 'skip'")
    skipped: list[tuple[int, str]] = []

    def key_of(i: int, value: Any, what: str) -> str | None:
        reason = None
        if _is_missing(value):
            reason = f"document {i} has no {what}"
        elif bucket is not None:
            try:
                return bucket_key(value, bucket)
            except ValueError as e:
                reason = f"document {i}: {what}: {e}"
        else:
            return str(value)
        if on_bad_group == "skip":
            skipped.append((i, reason))
            return None
        raise DocumentError(reason)

    is_frame = type(texts).__module__.startswith("pandas") and hasattr(texts, "columns")
    if isinstance(by, str):
        name = by
        if is_frame:
            for col in (text_field, by):
                if col not in texts.columns:
                    raise ConfigError(f"the DataFrame has no column {col!r}")
            pairs: Iterable[tuple[Any, Any]] = zip(texts[text_field].array, texts[by].array)
        else:
            pairs = (_record_field(i, item, by, text_field) for i, item in enumerate(texts))
    else:
        if isinstance(by, (str, bytes)) or not isinstance(by, Iterable):
            raise ConfigError(f"invalid by: expected a field name or a sequence of group values, got {by!r}")
        name = getattr(by, "name", None) or "<values>"
        values = iter(by.array if type(by).__module__.startswith("pandas") else by)
        source = texts[text_field].array if is_frame else texts
        pairs = _zip_strict(source, values)

    def gen() -> Iterator[tuple[int, Any, str]]:
        for i, (text, value) in enumerate(pairs):
            key = key_of(i, value, f"{name!r} value" if bucket is None else f"date in {name!r}")
            if key is not None:
                yield i, text, key

    return gen(), skipped, str(name)


def _record_field(i: int, item: Any, field: str, text_field: str) -> tuple[Any, Any]:
    if isinstance(item, dict):
        return item.get(text_field), item.get(field)
    meta = getattr(item, "meta", None)
    if isinstance(meta, dict) and hasattr(item, "text"):
        return item.text, meta.get(field)
    raise DocumentTypeError(
        f"document {i} is {type(item).__name__}: grouping by a field name needs dicts, newstally "
        "Documents (from the readers) or a DataFrame; or pass by= a sequence of group values"
    )


def _zip_strict(a: Iterable[Any], b: Iterator[Any]) -> Iterator[tuple[Any, Any]]:
    sentinel = object()
    i = -1
    for i, x in enumerate(a):
        y = next(b, sentinel)
        if y is sentinel:
            raise ConfigError(f"by= has {i} values but there are more documents")
        yield x, y
    if next(b, sentinel) is not sentinel:
        raise ConfigError(f"by= has more values than the {i + 1} documents")


class GroupedStats(_mixins.Results):
    """Counting results per group, from ``newstally.count(texts, by=...)``.

    Groups are sorted by key (date keys sort chronologically). ``stats[key]`` is that group's
    :class:`~newstally.CorpusStats`. Grouped results merge group by group, exactly.
    """

    __slots__ = ("_groups", "by", "bucket", "skipped")

    def __init__(self, groups: dict[str, Any], by: str, bucket: str | None, skipped: list[tuple[int, str]]):
        self._groups = dict(sorted(groups.items()))
        self.by = by
        self.bucket = bucket
        self.skipped = list(skipped)

    @property
    def groups(self) -> list[str]:
        """The group keys, sorted."""
        return list(self._groups)

    def __getitem__(self, key: str) -> Any:
        return self._groups[key]

    def __contains__(self, key: object) -> bool:
        return key in self._groups

    def __len__(self) -> int:
        return len(self._groups)

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(self._groups.items())

    @property
    def n_documents(self) -> int:
        """Documents counted, all groups together (skipped ones not included)."""
        return sum(s.n_documents for s in self._groups.values())

    def table(self, n: int = 1, top: int | None = None) -> list[tuple[str, str, int, int]]:
        """Tidy rows ``(group, term, count, df)``: each group's ``top`` rows of its ``n``-gram table."""
        return [(g, t, c, d) for g, s in self._groups.items() for t, c, d in s.ngrams(n).top(top)]

    def trend(self, term: str, n: int | None = None) -> dict[str, int]:
        """``{group: count of term}`` over all groups (0 where absent), for plotting a term over time."""
        n = n if n is not None else len(term.split(" "))
        return {g: s.ngrams(n).get(term, 0) for g, s in self._groups.items()}

    def to_pandas(
        self,
        n: int = 1,
        top: int | None = None,
        *,
        wide: bool = False,
        terms: list[str] | None = None,
        entities: bool = False,
    ) -> Any:
        """A DataFrame of the counts. Tidy (columns group, term, count, df) by default; ``wide=True``
        gives one row per group and one column per term (``terms``, or the ``top`` terms overall,
        default 10), zeros where absent, ready to plot a trend. ``entities=True`` gives the tidy entity
        table instead (group, entity, label, count, df)."""
        if entities:
            rows = self.entity_table(top)
            names = ("group", "entity", "label", "count", "df")
            return _frames.build("pandas", {k: [r[i] for r in rows] for i, k in enumerate(names)})
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas() needs pandas: pip install 'newstally[pandas]'") from None
        if not wide:
            return _frames.build("pandas", self._tidy_columns(n, top))
        if terms is None:
            total = None
            for s in self._groups.values():
                total = s if total is None else total + s
            terms = [] if total is None else [t for t, _, _ in total.ngrams(n).top(10 if top is None else top)]
        data = {t: [s.ngrams(n).get(t, 0) for s in self._groups.values()] for t in terms}
        return pd.DataFrame(data, index=pd.Index(self.groups, name="group"), columns=list(terms))

    def _tidy_columns(self, n: int, top: int | None) -> dict[str, Any]:
        rows = self.table(n, top)
        return {name: [r[i] for r in rows] for i, name in enumerate(("group", "term", "count", "df"))}

    def to_polars(self, n: int = 1, top: int | None = None) -> Any:
        """The tidy table (group, term, count, df) as a polars DataFrame."""
        return _frames.build("polars", self._tidy_columns(n, top))

    def to_arrow(self, n: int = 1, top: int | None = None) -> Any:
        """The tidy table (group, term, count, df) as a pyarrow Table."""
        return _frames.build("arrow", self._tidy_columns(n, top))

    # --- combining and persistence -------------------------------------------------------------
    def merge(self, other: GroupedStats) -> GroupedStats:
        """Group-by-group sum; both must be grouped the same way and counted with the same settings."""
        if not isinstance(other, GroupedStats):
            raise TypeError(f"can only merge GroupedStats, not {type(other).__name__}")
        if (self.by, self.bucket) != (other.by, other.bucket):
            from .exceptions import IncompatibleError

            raise IncompatibleError(
                f"cannot merge stats grouped by {self.by!r}/{self.bucket!r} with {other.by!r}/{other.bucket!r}"
            )
        groups = dict(self._groups)
        for k, s in other._groups.items():
            groups[k] = groups[k] + s if k in groups else s
        return GroupedStats(groups, self.by, self.bucket, self.skipped + other.skipped)

    def to_bytes(self) -> bytes:
        """Magic, version, a JSON header (grouping, keys, skips), then each group's stats bytes."""
        header = json.dumps(
            {"by": self.by, "bucket": self.bucket, "keys": self.groups, "skipped": self.skipped},
            ensure_ascii=False,
        ).encode()
        parts = [_MAGIC, struct.pack("<HI", _VERSION, len(header)), header]
        for s in self._groups.values():
            blob = s.to_bytes()
            parts += [struct.pack("<Q", len(blob)), blob]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> GroupedStats:
        """Decode :meth:`to_bytes`; corrupt, truncated or foreign bytes raise DecodeError."""
        from .stats import CorpusStats

        data = bytes(data)
        if not data.startswith(_MAGIC) or len(data) < len(_MAGIC) + 6:
            raise DecodeError("cannot decode grouped stats: not a newstally grouped-stats file")
        version, hlen = struct.unpack_from("<HI", data, len(_MAGIC))
        if version != _VERSION:
            raise DecodeError(f"cannot decode grouped stats: format version {version} is not supported")
        pos = len(_MAGIC) + 6
        if pos + hlen > len(data):
            raise DecodeError("cannot decode grouped stats: truncated header")
        try:
            header = json.loads(data[pos : pos + hlen].decode())
            keys, by, bucket = header["keys"], header["by"], header["bucket"]
            skipped = [(int(i), str(r)) for i, r in header["skipped"]]
        except (ValueError, KeyError, TypeError) as e:
            raise DecodeError(f"cannot decode grouped stats: corrupt header ({e})") from None
        pos += hlen
        groups = {}
        for key in keys:
            if pos + 8 > len(data):
                raise DecodeError("cannot decode grouped stats: truncated")
            (blen,) = struct.unpack_from("<Q", data, pos)
            pos += 8
            if pos + blen > len(data):
                raise DecodeError("cannot decode grouped stats: truncated")
            groups[str(key)] = CorpusStats.from_bytes(data[pos : pos + blen])
            pos += blen
        if pos != len(data):
            raise DecodeError(f"cannot decode grouped stats: {len(data) - pos} unexpected trailing bytes")
        return cls(groups, by, bucket, skipped)

    def entity_table(self, top: int | None = None, label: str | None = None) -> list[tuple[str, str, str, int, int]]:
        """Tidy rows ``(group, entity, label, count, df)``: each group's ``top`` entities (of one ``label``
        if given). Needs ``count(..., entities=True, by=...)``."""
        rows = []
        for g, s in self._groups.items():
            if s.entities is None:
                raise ConfigError("entity counts need count(..., entities=True)")
            rows += [(g, e, lab, c, d) for e, lab, c, d in s.entities.top(top, label=label)]
        return rows

    def entity_trend(self, entity: str, label: str | None = None) -> dict[str, int]:
        """``{group: mentions of entity}`` (its canonical name; of one ``label`` if given), 0 where absent.
        Needs ``count(..., entities=True, by=...)``."""
        out = {}
        for g, s in self._groups.items():
            if s.entities is None:
                raise ConfigError("entity counts need count(..., entities=True)")
            out[g] = sum(c for e, _, c, _ in s.entities.top(None, label=label) if e == entity)
        return out

    def plot(self, terms: str | list[str], *, n: int | None = None, entities: bool = False, ax: Any = None) -> Any:
        """Counts of ``terms`` (or, with ``entities=True``, mentions of these entities) in each group as
        lines, over time for date buckets; returns the Axes."""
        from .plots import plot_trend

        terms = [terms] if isinstance(terms, str) else list(terms)
        series = {t: self.entity_trend(t) if entities else self.trend(t, n) for t in terms}
        if self.bucket and self._groups:
            # A period without documents is a zero on a time axis, not a missing tick.
            periods = period_keys(self.groups[0], self.groups[-1], self.bucket)
            series = {t: {p: counts.get(p, 0) for p in periods} for t, counts in series.items()}
        xlabel = self.bucket or self.by
        return plot_trend(series, title=f"Counts by {xlabel}", xlabel=xlabel, ax=ax)

    def _repr_html_(self) -> str:
        from . import _display

        rows = [(g, s.n_documents, s.n_tokens, ", ".join(t for t, _, _ in s.ngrams(s.ngram_range[0]).top(5)))
                for g, s in list(self._groups.items())[: _display.ROWS]]
        return _display.table(repr(self).strip("<>"), ["group", "documents", "tokens", "top terms"], rows, len(self))

    def __repr__(self) -> str:
        how = f"{self.by!r}" + (f" by {self.bucket}" if self.bucket else "")
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return f"<GroupedStats: {len(self)} groups of {how}, {self.n_documents} documents{skipped}>"
