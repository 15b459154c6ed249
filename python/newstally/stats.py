"""Counting results: :class:`CorpusStats`, its :class:`TermTable` views, and :func:`count`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from . import _core, _display, _mixins, _progress
from ._config import count_config
from ._input import BATCH_CHARS, BATCH_DOCS, batches
from .exceptions import ConfigError, DocumentError, DocumentTypeError

__all__ = ["CorpusStats", "EntityTable", "TermTable", "count", "load"]

_LABELS = ("PER", "LOC", "ORG", "MISC")


class TermTable(_mixins.Frames):
    """The terms (or n-grams of one length) of a :class:`CorpusStats`, after pruning.

    Rows are ordered by count descending, then term ascending (bytewise). Each row is
    ``(term, count, df)``: occurrences in the corpus and number of documents containing the term.
    """

    __slots__ = ("_stats", "_n")

    def __init__(self, stats: CorpusStats, n: int) -> None:
        self._stats = stats
        self._n = n
        stats._inner.n_rows(n)  # raises if n was not counted

    @property
    def n(self) -> int:
        """Words per entry (1 for terms)."""
        return self._n

    def __len__(self) -> int:
        return self._stats._inner.n_rows(self._n)

    def top(self, k: int | None = 10) -> list[tuple[str, int, int]]:
        """The ``k`` most frequent rows as ``(term, count, df)`` tuples (all rows if ``k`` is None)."""
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
            raise ConfigError(f"invalid k: {k!r}; expected an int >= 0 or None")
        terms, counts, dfs = self._stats._inner.rows(self._n, k)
        return list(zip(terms, counts.tolist(), dfs.tolist()))

    def to_dict(self) -> dict[str, int]:
        """``{term: count}`` in table order."""
        terms, counts, _ = self._stats._inner.rows(self._n, None)
        return dict(zip(terms, counts.tolist()))

    def _columns(self) -> dict[str, Any]:
        """Columns ``term``, ``count``, ``df`` for ``to_pandas()`` and friends."""
        terms, counts, dfs = self._stats._inner.rows(self._n, None)
        return {"term": terms, "count": counts, "df": dfs}

    def get(self, term: str, default: Any = None) -> Any:
        """The count of ``term``, or ``default`` when it is absent or pruned away."""
        row = self._stats._inner.lookup(self._n, term)
        return default if row is None else row[0]

    def df(self, term: str) -> int:
        """Number of documents containing ``term`` (0 when absent or pruned away)."""
        row = self._stats._inner.lookup(self._n, term)
        return 0 if row is None else row[1]

    def __getitem__(self, term: str) -> int:
        row = self._stats._inner.lookup(self._n, term)
        if row is None:
            raise KeyError(term)
        return row[0]

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._stats._inner.lookup(self._n, term) is not None

    def __iter__(self) -> Iterator[str]:
        terms, _, _ = self._stats._inner.rows(self._n, None)
        return iter(terms)

    def __repr__(self) -> str:
        kind = "terms" if self._n == 1 else f"{self._n}-grams"
        rows = self.top(5)
        shown = ", ".join(f"{t!r}: {c}" for t, c, _ in rows)
        more = ", ..." if len(self) > len(rows) else ""
        return f"<TermTable of {len(self)} {kind}: {{{shown}{more}}}>"

    def plot(self, k: int = 20, *, ax: Any = None) -> Any:
        """A bar chart of the ``k`` most frequent rows (matplotlib); returns the Axes."""
        from .plots import plot_top

        kind = "terms" if self._n == 1 else f"{self._n}-grams"
        return plot_top(self.top(k), title=f"Top {kind}", ax=ax)

    def _repr_html_(self) -> str:
        kind = "terms" if self._n == 1 else f"{self._n}-grams"
        return _display.table(f"{len(self):,} {kind}", ["term", "count", "df"], self.top(_display.ROWS), len(self))


class EntityTable(_mixins.Frames):
    """Named-entity counts of a :class:`CorpusStats` (``count(..., entities=True)``).

    One row per entity and label: ``(entity, label, count, df)``, where ``count`` is the number of
    mentions and ``df`` the number of articles mentioning it. Within an article a later partial
    mention ("Putin" after "Vladimir Putin", any case) counts toward the full name; across
    articles case variants merge and the name shown is the most frequent full form.
    """

    __slots__ = ("_stats",)

    def __init__(self, stats: CorpusStats) -> None:
        self._stats = stats

    def __len__(self) -> int:
        return len(self._stats._inner.entity_rows(None, None))

    def top(self, k: int | None = 10, label: str | None = None) -> list[tuple[str, str, int, int]]:
        """The ``k`` most mentioned entities (all if None), only ``label`` if given: count descending,
        then entity, then label."""
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
            raise ConfigError(f"invalid k: {k!r}; expected an int >= 0 or None")
        if label is not None and label not in _LABELS:
            raise ConfigError(f"invalid label: {label!r}; expected one of {', '.join(_LABELS)} or None")
        return self._stats._inner.entity_rows(k, label)

    @property
    def aliases(self) -> dict[str, str]:
        """The alias table the entities were counted with (aliases lower-cased)."""
        return dict(self._stats._inner.entity_aliases())

    def _columns(self) -> dict[str, Any]:
        """Columns ``entity``, ``label``, ``count``, ``df`` for ``to_pandas()`` and friends."""
        rows = self.top(None)
        return {
            "entity": [r[0] for r in rows],
            "label": [r[1] for r in rows],
            "count": [r[2] for r in rows],
            "df": [r[3] for r in rows],
        }

    def __repr__(self) -> str:
        rows = self.top(5)
        shown = ", ".join(f"{e!r} {lab}: {c}" for e, lab, c, _ in rows)
        more = ", ..." if len(self) > len(rows) else ""
        return f"<EntityTable of {len(self)} entities: {{{shown}{more}}}>"

    def plot(self, k: int = 20, *, label: str | None = None, ax: Any = None) -> Any:
        """A bar chart of the ``k`` most mentioned entities (of one ``label`` if given); returns the Axes."""
        from .plots import plot_top

        rows = [(f"{e} ({lab})", c) for e, lab, c, _ in self.top(k, label=label)]
        return plot_top(rows, title=f"Top {label or ''} entities".replace("  ", " "), xlabel="mentions", ax=ax)

    def _repr_html_(self) -> str:
        return _display.table(
            f"{len(self):,} entities", ["entity", "label", "count", "df"], self.top(_display.ROWS), len(self)
        )


class CorpusStats(_mixins.Results):
    """Term and n-gram counts of a corpus, as returned by :func:`count`.

    Results add up: ``count(a) + count(b) == count(a + b)`` for any split of a corpus, exactly. They
    pickle, and :meth:`save` / :func:`load` store them in a compact versioned binary format.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner: _core.CorpusStats) -> None:
        if not isinstance(inner, _core.CorpusStats):
            raise TypeError("CorpusStats is created by newstally.count() or newstally.load()")
        self._inner = inner

    # --- reading -------------------------------------------------------------------------------
    @property
    def n_documents(self) -> int:
        """Documents counted (empty ones included)."""
        return self._inner.n_documents

    @property
    def n_tokens(self) -> int:
        """Tokens seen, stop words included."""
        return self._inner.n_tokens

    @property
    def config(self) -> dict[str, Any]:
        """The counting settings."""
        return self._inner.config()

    @property
    def pruning(self) -> dict[str, Any]:
        """The pruning settings applied when tables are read."""
        return self._inner.pruning()

    @property
    def ngram_range(self) -> tuple[int, int]:
        """The n-gram lengths counted."""
        return tuple(self.config["ngram_range"])  # type: ignore[return-value]

    @property
    def terms(self) -> TermTable:
        """The single-word terms (needs 1 in ``ngram_range``)."""
        return TermTable(self, 1)

    @property
    def entities(self) -> EntityTable | None:
        """The named-entity counts, or None when they were not asked for (``count(..., entities=True)``)."""
        return EntityTable(self) if self._inner.has_entities() else None

    def ngrams(self, n: int) -> TermTable:
        """The n-grams of ``n`` words."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise ConfigError(f"invalid n: {n!r}; expected an int")
        return TermTable(self, n)

    def with_pruning(
        self,
        *,
        min_count: int | None = None,
        min_df: int | float | None = None,
        max_df: int | float | None = None,
        max_features: int | None = -1,
    ) -> CorpusStats:
        """The same counts read through other pruning settings (unspecified ones are kept)."""
        p = self.pruning
        return CorpusStats(
            self._inner.with_pruning(
                {
                    "min_count": p["min_count"] if min_count is None else min_count,
                    "min_df": p["min_df"] if min_df is None else min_df,
                    "max_df": p["max_df"] if max_df is None else max_df,
                    "max_features": p["max_features"] if max_features == -1 else max_features,
                }
            )
        )

    # --- combining -----------------------------------------------------------------------------
    def merge(self, other: CorpusStats) -> CorpusStats:
        """The counts of both corpora; both must be counted with the same settings."""
        if not isinstance(other, CorpusStats):
            raise TypeError(f"can only merge CorpusStats, not {type(other).__name__}")
        return CorpusStats(self._inner.merge(other._inner))

    # --- persistence ---------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The versioned binary encoding (see :meth:`from_bytes`)."""
        return self._inner.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> CorpusStats:
        """Decode :meth:`to_bytes` output; raises :class:`~newstally.exceptions.DecodeError` (a ValueError)
        on foreign, truncated or corrupt bytes."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"expected bytes, got {type(data).__name__}")
        return cls(_core.CorpusStats.from_bytes(bytes(data)))

    def __repr__(self) -> str:
        lo, hi = self.ngram_range
        rng = f"{lo}" if lo == hi else f"{lo}-{hi}"
        return f"<CorpusStats: {self.n_documents} documents, {self.n_tokens} tokens, {rng}-grams>"

    def _repr_html_(self) -> str:
        lo, hi = self.ngram_range
        parts = [f"<p><b>CorpusStats</b>: {self.n_documents:,} documents, {self.n_tokens:,} tokens</p>"]
        parts += [self.ngrams(n)._repr_html_() for n in range(lo, hi + 1)]
        if self.entities is not None:
            parts.append(self.entities._repr_html_())
        return "".join(parts)


def load(path: str | os.PathLike[str]) -> Any:
    """Read results written by :meth:`CorpusStats.save` (or :meth:`GroupedStats.save
    <newstally.grouped.GroupedStats.save>`)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        if data.startswith(b"NTGROUPD"):
            from .grouped import GroupedStats

            return GroupedStats.from_bytes(data)
        return CorpusStats.from_bytes(data)
    except ValueError as e:
        raise type(e)(f"{os.fspath(path)}: {e}") from None


def count(
    texts: Any,
    *,
    ngram_range: tuple[int, int] = (1, 1),
    tokenizer: str = "word",
    token_pattern: str | None = None,
    lowercase: bool = True,
    stop_words: Any = None,
    ngram_stop_words: str = "remove",
    cross_sentences: bool = False,
    drop_numbers: bool = False,
    nfkc: bool = False,
    min_length: int = 1,
    special_tokens: bool = True,
    min_count: int = 1,
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    max_features: int | None = None,
    n_threads: int | None = None,
    batch_size: int | None = None,
    by: Any = None,
    bucket: str | None = None,
    text_field: str = "text",
    on_bad_group: str = "raise",
    progress: bool | None = None,
    entities: bool = False,
    recognizer: Any = None,
    entity_aliases: Any = None,
    gazetteer: Any = None,
) -> Any:
    """Count terms and word n-grams over ``texts``, in parallel.

    Parameters
    ----------
    texts
        Any iterable of str: a list, a generator, a pandas Series. Generators are read in batches and
        never held whole.
    ngram_range
        ``(min_n, max_n)`` word n-gram lengths to count, up to 8.
    tokenizer
        ``"word"`` (Unicode word boundaries with news rules: possessives stripped, hyphenated words
        kept, URLs/e-mails/@handles/#hashtags whole) or ``"pattern"`` (a regex, scikit-learn's
        ``token_pattern``; giving ``token_pattern`` selects it).
    lowercase, drop_numbers, nfkc, min_length, special_tokens
        Word tokenizer options (``lowercase`` applies to both tokenizers).
    stop_words
        None, ``"english"`` (newstally's built-in list, :data:`newstally.ENGLISH_STOP_WORDS`) or a list.
    ngram_stop_words
        ``"remove"``: stop words are dropped before n-grams form (scikit-learn's way); ``"edges"``:
        n-grams keep inner stop words but not those starting or ending with one; ``"keep"``.
    cross_sentences
        Whether n-grams may span sentences (default False: they stop at sentence ends).
    min_count, min_df, max_df, max_features
        Pruning applied when tables are read: ints are counts of documents, floats fractions of them;
        ``max_features`` keeps the most frequent rows of each table.
    n_threads
        Threads to use (default: ``NEWSTALLY_NUM_THREADS`` or all cores). Results do not depend on it.
    batch_size
        Most documents handed to the core at a time (default 20,000; a batch also ends at 4 million
        characters). Results do not depend on it.
    by, bucket, text_field, on_bad_group
        Group the counts (returns a :class:`~newstally.grouped.GroupedStats`): ``by`` is a field name
        (of dict records, of reader Documents' meta, or a DataFrame column; the text is in
        ``text_field``) or a sequence of group values aligned with ``texts``. ``bucket`` ("day",
        "week", "month", "year") parses the values as ISO 8601 or RFC 2822 dates and groups by that
        period. A missing or unparseable value is an error naming the document, or with
        ``on_bad_group="skip"`` a skip listed in ``GroupedStats.skipped``.
    progress
        Show a progress bar (tqdm's auto mode, updated per batch): None shows one only in a terminal or
        a notebook when tqdm is installed; True requires tqdm; False never.
    entities
        Also count named entities (:attr:`CorpusStats.entities`), found with ``recognizer`` (default:
        the shipped :class:`newstally.Recognizer`). ``entity_aliases`` maps a mention to the name it
        stands for, e.g. ``{"U.S.": "United States"}`` (case-insensitive). Results with entities merge
        only with results counted with the same alias table.
    gazetteer
        A :class:`newstally.Gazetteer` used with the recognizer (needs ``entities=True``): its matches
        count under their canonical ids, and model entities overlapping a match are dropped. An id
        that is a full name ("Vladimir Putin") also takes later partial mentions ("Putin") of the
        same label in the article, as model mentions do.

    Examples
    --------
    >>> import newstally
    >>> stats = newstally.count(["Putin met Biden.", "Putin’s visit"], ngram_range=(1, 2))
    >>> stats.terms.top(2)
    [('putin', 2, 2), ('biden', 1, 1)]
    >>> stats.ngrams(2)["putin met"]
    1
    """
    config = count_config(
        tokenizer=tokenizer,
        token_pattern=token_pattern,
        lowercase=lowercase,
        ngram_range=ngram_range,
        stop_words=stop_words,
        ngram_stop_words=ngram_stop_words,
        cross_sentences=cross_sentences,
        drop_numbers=drop_numbers,
        nfkc=nfkc,
        min_length=min_length,
        special_tokens=special_tokens,
    )
    if batch_size is not None and (type(batch_size) is not int or batch_size < 1):
        raise ConfigError(f"invalid batch_size: {batch_size!r}; expected a positive int or None")
    # Validate pruning before reading any input, so a typo fails fast.
    pruning = {"min_count": min_count, "min_df": min_df, "max_df": max_df, "max_features": max_features}
    _core.check_pruning(pruning)
    aliases: Any = []
    if entities:
        from .entities import Recognizer, _gazetteer_core

        if recognizer is None:
            recognizer = Recognizer()
        elif not isinstance(recognizer, Recognizer):
            raise ConfigError(f"invalid recognizer: expected a newstally.Recognizer, got {type(recognizer).__name__}")
        aliases = dict(entity_aliases or {})
        for a, b in aliases.items():
            if not isinstance(a, str) or not isinstance(b, str):
                raise ConfigError(f"invalid entity_aliases: {a!r}: {b!r}; keys and values must be str")
        aliases = list(aliases.items())
        gazetteer = _gazetteer_core(gazetteer)
    elif recognizer is not None or entity_aliases is not None or gazetteer is not None:
        raise ConfigError("recognizer=, entity_aliases= and gazetteer= need entities=True")
    if by is None and bucket is not None:
        raise ConfigError("bucket= needs by= (the date field or values to bucket)")

    def accumulator() -> _Accumulator:
        return _Accumulator(_core.Counter(config, n_threads=n_threads), recognizer, aliases, n_threads, gazetteer)

    total = len(texts) if hasattr(texts, "__len__") and not isinstance(texts, (str, bytes)) else None
    bar = _progress.bar(progress, total, "counting")
    try:
        if by is None:
            acc = accumulator()
            if type(texts) is list:
                start = 0
                while start < len(texts):
                    end = acc.update_from(texts, start, batch_size or BATCH_DOCS)
                    bar.update(end - start)
                    start = end
            else:
                for batch in batches(texts, batch_size):
                    acc.update(batch)
                    bar.update(len(batch))
            return acc.finish(pruning)
        return _count_grouped(texts, by, bucket, text_field, on_bad_group, batch_size, accumulator, pruning, bar)
    finally:
        bar.close()


def _count_grouped(
    texts: Any,
    by: Any,
    bucket: str | None,
    text_field: str,
    on_bad_group: str,
    batch_size: int | None,
    accumulator: Any,
    pruning: dict[str, Any],
    bar: Any,
) -> Any:
    """``count(..., by=...)``: one accumulator per group, fed in bounded batches."""
    from .grouped import GroupedStats, group_records

    records, skipped, name = group_records(texts, by, bucket, text_field, on_bad_group)
    accs: dict[str, _Accumulator] = {}
    pending: dict[str, list[tuple[int, Any]]] = {}
    size = [0, 0]

    def flush() -> None:
        for key, docs in pending.items():
            if key not in accs:
                accs[key] = accumulator()
            accs[key].update_indexed(docs)
            bar.update(len(docs))
        pending.clear()
        size[:] = [0, 0]

    for i, text, key in records:
        pending.setdefault(key, []).append((i, text))
        size[0] += 1
        size[1] += len(text) if isinstance(text, str) else 0
        if size[0] >= (batch_size or BATCH_DOCS) or size[1] >= BATCH_CHARS:
            flush()
    flush()
    return GroupedStats({k: a.finish(pruning) for k, a in accs.items()}, name, bucket, skipped)


class _Accumulator:
    """One term counter (and optionally one entity counter) fed batch by batch."""

    def __init__(
        self, counter: Any, recognizer: Any, aliases: Any, n_threads: int | None, gazetteer: Any = None
    ) -> None:
        """``gazetteer``: the core of a :class:`~newstally.Gazetteer`, or None."""
        self.counter = counter
        self.recognizer = recognizer
        self.entities = None if recognizer is None else _core.EntityCounter(aliases)
        self.n_threads = n_threads
        self.gazetteer = gazetteer

    def update(self, batch: list[Any]) -> None:
        self.counter.update(batch)
        self._update_entities(batch)

    def update_from(self, texts: list[Any], start: int, max_docs: int) -> int:
        """Update with a batch of the list ``texts`` from ``start`` on, and return where it ends. The core
        reads the term counter's batch in place: slicing it out first would touch every document's
        object twice more, and they lie all over the heap."""
        end = self.counter.update_from(texts, start, max_docs, BATCH_CHARS)
        if self.entities is not None:
            self._update_entities(texts[start:end])
        return end

    def _update_entities(self, batch: list[Any]) -> None:
        if self.entities is not None:
            self.entities.update(self.recognizer._core, batch, n_threads=self.n_threads, gazetteer=self.gazetteer)

    def update_indexed(self, docs: list[tuple[int, Any]]) -> None:
        """Update with documents that carry their corpus index, so errors name the right one."""
        batch = [t for _, t in docs]
        try:
            self.update(batch)
        except (DocumentError, DocumentTypeError):
            # The core numbers documents within this group; find the culprit to name it correctly.
            for i, t in docs:
                if not isinstance(t, str):
                    what = "a missing value" if t is None or (isinstance(t, float) and t != t) else type(t).__name__
                    raise DocumentTypeError(f"document {i} is {what}, not str") from None
                try:
                    t.encode("utf-8")
                except UnicodeEncodeError as e:
                    raise DocumentError(
                        f"document {i} is not valid Unicode: a lone surrogate at character {e.start} "
                        "cannot be encoded as UTF-8"
                    ) from None
            raise

    def finish(self, pruning: dict[str, Any]) -> CorpusStats:
        inner = self.counter.finish(pruning)
        if self.entities is not None:
            inner = inner.with_entities(self.entities)
        return CorpusStats(inner)
