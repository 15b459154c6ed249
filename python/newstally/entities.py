"""Named entities: :class:`Recognizer`, :class:`Entity` and :func:`train_recognizer`.

The recognizer is an averaged-perceptron tagger trained on CoNLL-2003 English (see
``newstally/data/NER_MODEL.md``). It labels people (``PER``), places (``LOC``), organisations
(``ORG``) and other names (``MISC``).

>>> import newstally
>>> rec = newstally.Recognizer()
>>> text = "Peter Blackburn visited Paris."
>>> [(e.text, e.label) for e in rec.predict(text)]
[('Peter Blackburn', 'PER'), ('Paris', 'LOC')]
>>> e = rec.predict(text)[1]
>>> text[e.start:e.end]
'Paris'
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, Union

from . import _core
from .exceptions import ConfigError, DocumentTypeError

__all__ = ["Entity", "Gazetteer", "GazetteerMatch", "Recognizer", "train_recognizer", "SHIPPED_MODEL"]

#: The model file shipped in the package.
SHIPPED_MODEL = Path(__file__).resolve().parent / "data" / "ner-conll2003.bin"

_PathLike = Union[str, "os.PathLike[str]"]

_shipped_lock = threading.Lock()
_shipped: _core.Recognizer | None = None


def _shipped_core() -> _core.Recognizer:
    """The shipped model, loaded once per process on first use and shared (it is immutable)."""
    global _shipped
    with _shipped_lock:
        if _shipped is None:
            _shipped = _core.Recognizer.load(str(SHIPPED_MODEL))
        return _shipped


class Entity(NamedTuple):
    """An entity: ``text[start:end] == entity.text`` for the text it was found in.

    ``start`` and ``end`` are character offsets (Python string indices); ``label`` is ``"PER"``,
    ``"LOC"``, ``"ORG"`` or ``"MISC"``.
    """

    start: int
    end: int
    label: str
    text: str


class GazetteerMatch(NamedTuple):
    """A gazetteer match: like :class:`Entity`, plus the ``id`` of the matched entry."""

    start: int
    end: int
    label: str
    text: str
    id: str


class Gazetteer:
    """Your own entity list: ``{phrase: (label, canonical_id)}``, matched as whole tokens.

    All phrases go into one Aho-Corasick automaton (leftmost-longest): at each token the longest
    phrase starting there wins. Phrases and texts are tokenized like the recognizer's input, so
    "Russia" matches in "Russia’s" but not in "Russian". Labels are ``PER``, ``LOC``, ``ORG`` or
    ``MISC``. A million entries build in seconds. Pass it to :meth:`Recognizer.predict` to combine
    it with the model (gazetteer matches win over overlapping model entities).

    >>> g = Gazetteer({"New York Times": ("ORG", "Q9684"), "New York": ("LOC", "Q60")})
    >>> g.find("The New York Times moved to New York.")
    [GazetteerMatch(start=4, end=18, label='ORG', text='New York Times', id='Q9684'), GazetteerMatch(start=28, end=36, label='LOC', text='New York', id='Q60')]
    """

    __slots__ = ("_core",)

    def __init__(self, entries: Any, *, ignore_case: bool = False) -> None:
        items = entries.items() if hasattr(entries, "items") else entries
        rows = []
        for item in items:
            try:
                phrase, (label, ident) = item
            except (TypeError, ValueError):
                raise ConfigError(
                    f"invalid gazetteer entry {item!r}; expected phrase: (label, canonical_id)"
                ) from None
            if not isinstance(phrase, str) or not isinstance(label, str) or not isinstance(ident, str):
                raise ConfigError(f"invalid gazetteer entry {phrase!r}: ({label!r}, {ident!r}); expected str values")
            rows.append((phrase, label, ident))
        self._core = _core.Gazetteer(rows, ignore_case=bool(ignore_case))

    def __len__(self) -> int:
        return len(self._core)

    @property
    def ignore_case(self) -> bool:
        """Whether matching ignores case."""
        return self._core.ignore_case

    def to_dict(self) -> dict[str, tuple[str, str]]:
        """The entries as ``{phrase: (label, canonical_id)}``."""
        return {p: (label, ident) for p, label, ident in self._core.entries()}

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_gazetteer, (self.to_dict(), self.ignore_case))

    def __repr__(self) -> str:
        return f"Gazetteer({len(self)} entries, ignore_case={self.ignore_case})"

    def find(self, text: str) -> list[GazetteerMatch]:
        """The matches in ``text``, in text order, not overlapping."""
        if not isinstance(text, str):
            raise DocumentTypeError(f"document 0 is {type(text).__name__}, not str")
        return [GazetteerMatch(*m) for m in self._core.find_batch([text], n_threads=1)[0]]

    def find_batch(self, texts: Iterable[str], *, n_threads: int | None = None) -> list[list[GazetteerMatch]]:
        """The matches in each text, in parallel with the GIL released."""
        _check_threads(n_threads)
        if isinstance(texts, str):
            raise DocumentTypeError("find_batch() takes an iterable of str, not a single str")
        docs = texts if isinstance(texts, list) else list(texts)
        with _gc_paused():
            return [[GazetteerMatch(*m) for m in ms] for ms in self._core.find_batch(docs, n_threads=n_threads)]


def _rebuild_gazetteer(entries: dict[str, tuple[str, str]], ignore_case: bool) -> Gazetteer:
    return Gazetteer(entries, ignore_case=ignore_case)


def _gazetteer_core(gazetteer: Gazetteer | None) -> Any:
    if gazetteer is None:
        return None
    if not isinstance(gazetteer, Gazetteer):
        raise ConfigError(f"invalid gazetteer: expected a newstally.Gazetteer, got {type(gazetteer).__name__}")
    return gazetteer._core


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector while a batch's results are built.

    Tens of thousands of new tuples would trigger full collections that walk the caller's whole
    heap (with a spaCy model loaded, these took 30% of the batch time); the results hold no cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _entities(rows: list[tuple[int, int, str, str]]) -> list[Entity]:
    return [Entity(s, e, label, text) for s, e, label, text in rows]


def _check_threads(n_threads: int | None) -> None:
    if n_threads is not None and (isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1):
        raise ConfigError(f"invalid n_threads: {n_threads!r}; expected an int >= 1 or None")


class Recognizer:
    """The learned named-entity recognizer.

    ``Recognizer()`` uses the model shipped with newstally (loaded once per process);
    :meth:`load` reads a model file written by :meth:`save` or :func:`train_recognizer`.
    Instances are immutable and safe to share between threads; they pickle.
    """

    __slots__ = ("_core",)

    def __init__(self) -> None:
        self._core = _shipped_core()

    @classmethod
    def _wrap(cls, core: _core.Recognizer) -> Recognizer:
        obj = cls.__new__(cls)
        obj._core = core
        return obj

    @classmethod
    def load(cls, path: _PathLike) -> Recognizer:
        """Loads a model file; corrupt or foreign files raise :class:`~newstally.exceptions.DecodeError`."""
        return cls._wrap(_core.Recognizer.load(os.fspath(path)))

    @classmethod
    def from_bytes(cls, data: bytes) -> Recognizer:
        """Decodes a model from :meth:`to_bytes`."""
        return cls._wrap(_core.Recognizer.from_bytes(bytes(data)))

    def forget_words(self) -> None:
        """Frees the word lookups that batch calls keep for later calls (up to 4 threads' worth,
        about 35 MB each). They only make later calls faster: results never depend on them. The
        shipped model is shared, so this frees them for every ``Recognizer()``."""
        self._core.forget_words()

    def to_bytes(self) -> bytes:
        """The model's versioned binary encoding."""
        return self._core.to_bytes()

    def save(self, path: _PathLike) -> None:
        """Writes the model to ``path``."""
        self._core.save(os.fspath(path))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Recognizer.from_bytes, (self.to_bytes(),))

    def __repr__(self) -> str:
        return f"Recognizer(n_features={self._core.n_features})"

    def predict(self, text: str, *, gazetteer: Gazetteer | None = None) -> list[Entity]:
        """The entities of one text (treated as one document), in text order.

        With a :class:`Gazetteer`, its matches are added and model entities overlapping them are
        dropped.

        >>> Recognizer().predict("Russia’s envoy met officials of the European Commission.")
        [Entity(start=0, end=6, label='LOC', text='Russia'), Entity(start=36, end=55, label='ORG', text='European Commission')]
        """
        if not isinstance(text, str):
            raise DocumentTypeError(f"document 0 is {type(text).__name__}, not str")
        g = _gazetteer_core(gazetteer)
        return _entities(self._core.predict_batch([text], n_threads=1, gazetteer=g)[0])

    def predict_batch(
        self, texts: Iterable[str], *, n_threads: int | None = None, gazetteer: Gazetteer | None = None
    ) -> list[list[Entity]]:
        """The entities of each text, computed in parallel with the GIL released.

        The result does not depend on ``n_threads`` (default: ``NEWSTALLY_NUM_THREADS`` or all cores).
        """
        _check_threads(n_threads)
        if isinstance(texts, str):
            raise DocumentTypeError("predict_batch() takes an iterable of str, not a single str")
        g = _gazetteer_core(gazetteer)
        docs = texts if isinstance(texts, list) else list(texts)
        with _gc_paused():
            return [_entities(rows) for rows in self._core.predict_batch(docs, n_threads=n_threads, gazetteer=g)]

    def tag(self, sentences: list[list[str]]) -> list[list[str]]:
        """IOB2 tags (``B-PER``, ``I-PER``, ``O`` ...) for pre-tokenized sentences of one document.

        >>> Recognizer().tag([["EU", "rejects", "German", "call"]])
        [['B-ORG', 'O', 'B-MISC', 'O']]
        """
        if not isinstance(sentences, list):
            sentences = list(sentences)
        return self._core.tag([s if isinstance(s, list) else list(s) for s in sentences])

    def evaluate(self, path: _PathLike, *, n_threads: int | None = 1) -> dict[str, Any]:
        """Exact-span precision, recall and F1 on a CoNLL file (IOB1 or IOB2 tags).

        Returns ``{"PER": {...}, ..., "overall": {...}, "tokens": n, "seconds": s}`` where each
        label maps to ``precision``, ``recall``, ``f1``, ``tp``, ``fp``, ``fn``; ``seconds`` is the
        prediction time, without reading the file.
        """
        _check_threads(n_threads)
        rows, tokens, seconds = self._core.evaluate(os.fspath(path), n_threads=n_threads)
        out: dict[str, Any] = {}
        for label, tp, fp, fn in rows:
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            out[label] = {"precision": p, "recall": r, "f1": f, "tp": tp, "fp": fp, "fn": fn}
        out["tokens"] = tokens
        out["seconds"] = seconds
        return out


def train_recognizer(
    train_path: _PathLike,
    dev_path: _PathLike | None = None,
    *,
    epochs: int = 30,
    seed: int = 1,
    ensemble: int = 8,
    stage2_folds: int = 5,
    gazetteer_folds: int = 10,
    patience: int = 4,
    clusters: _PathLike | None = None,
    verbose: bool = False,
) -> Recognizer:
    """Trains a recognizer on a CoNLL-format file (token first, IOB1 or IOB2 tag last).

    ``dev_path`` selects the epoch (early stopping after ``patience`` epochs without a gain); without
    it the last epoch is kept. ``ensemble`` perceptrons on different shuffles are averaged;
    ``stage2_folds`` (0 for one stage) and ``gazetteer_folds`` (0 for no gazetteer) set the
    jackknifing. ``clusters`` is a word-cluster file (``bits<TAB>word`` lines). The same data and
    ``seed`` give byte-identical models. Malformed lines raise
    :class:`~newstally.exceptions.ParseError` naming ``file:line``.
    """
    opts = {
        "epochs": epochs,
        "seed": seed,
        "ensemble": ensemble,
        "stage2_folds": stage2_folds,
        "gazetteer_folds": gazetteer_folds,
        "patience": patience,
    }
    for name, value in opts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"invalid {name}: {value!r}; expected an int >= 0")
    core = _core.train_recognizer(
        os.fspath(train_path),
        None if dev_path is None else os.fspath(dev_path),
        clusters_path=None if clusters is None else os.fspath(clusters),
        verbose=bool(verbose),
        **opts,
    )
    return Recognizer._wrap(core)
