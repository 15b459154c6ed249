"""Streaming corpus readers: JSON Lines, CSV/TSV, plain text, pandas, Parquet; gzip and zstd by content.

Each reader returns a :class:`Corpus`: iterate it for :class:`Document` s, or call ``.texts()`` for
plain strings to hand to :func:`newstally.count`. Files are read one line (or one Arrow batch) at a
time, so memory stays bounded by the largest document. Errors are :class:`~newstally.exceptions.ReadError`
with a message starting ``FILE:LINE: ``; with ``on_error="skip"`` bad records are skipped and listed
in ``Corpus.skipped`` instead, never dropped silently.

>>> import newstally
>>> corpus = newstally.read_frame(["Putin met Biden.", "Biden left."])
>>> [doc.text for doc in corpus]
['Putin met Biden.', 'Biden left.']
>>> corpus.n_documents
2
"""

from __future__ import annotations

import csv
import errno
import glob
import gzip
import io
import json
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NamedTuple

from .exceptions import ReadError

__all__ = [
    "Corpus",
    "Document",
    "read",
    "read_csv",
    "read_frame",
    "read_jsonl",
    "read_parquet",
    "read_text",
]

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BOM = b"\xef\xbb\xbf"
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}


class Document(NamedTuple):
    """One document: its text, its metadata, where it came from and its 1-based line (or row)."""

    text: str
    meta: dict[str, Any]
    source: str
    line: int


class _Skip(Exception):
    """A bad record: raised inside a reader, turned into a ReadError or a skip by :class:`Corpus`."""

    def __init__(self, where: str, line: int, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.line = line
        self.reason = reason


class Corpus:
    """The documents of some inputs, read lazily each time the corpus is iterated.

    The report attributes describe the latest iteration so far (they are reset when a new one starts):
    ``n_documents``, ``skipped`` (a list of ``(source, line, reason)``), ``replaced`` (U+FFFD
    characters put in place of undecodable bytes with ``errors="replace"``), ``bytes_read``
    (bytes read after decompression) and ``text_bytes`` (UTF-8 bytes of the texts yielded).
    """

    def __init__(self, records: Callable[[Corpus], Iterator[Document]], on_error: str = "raise") -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f'on_error must be "raise" or "skip", got {on_error!r}')
        self._records = records
        self.on_error = on_error
        self._reset()

    def _reset(self) -> None:
        self.n_documents = 0
        self.skipped: list[tuple[str, int, str]] = []
        self.replaced = 0
        self.bytes_read = 0
        self.text_bytes = 0

    def __iter__(self) -> Iterator[Document]:
        self._reset()
        for doc in self._records(self):
            self.n_documents += 1
            t = doc.text
            self.text_bytes += len(t) if t.isascii() else len(t.encode("utf-8"))
            yield doc

    def texts(self) -> Iterator[str]:
        """The texts alone, e.g. for :func:`newstally.count`."""
        return (doc.text for doc in self)

    def _bad(self, source: str, err: _Skip) -> None:
        """Raise ``err`` as a :class:`ReadError`, or record it as skipped."""
        if self.on_error == "raise":
            raise ReadError(str(err)) from None
        self.skipped.append((source, err.line, err.reason))

    def __repr__(self) -> str:
        return (f"Corpus(n_documents={self.n_documents}, skipped={len(self.skipped)}, "
                f"replaced={self.replaced}, bytes_read={self.bytes_read})")


# --- sources -------------------------------------------------------------------------------------------------
def _expand(paths: Any, recursive: bool = False) -> list[Any]:
    """Files of ``paths``: one path, or a list of paths, directories (sorted) and glob patterns (sorted).

    ``-`` is stdin; binary file objects and package resources pass through unchanged.
    """
    single = isinstance(paths, (str, os.PathLike)) or hasattr(paths, "read") or hasattr(paths, "open")
    items = [paths] if single else list(paths)
    out: list[Any] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            out.append(item)  # a binary file object or an importlib.resources Traversable
            continue
        path = os.fspath(item)
        if path == "-" or os.path.isfile(path):
            out.append(path)
        elif os.path.isdir(path):
            found = _walk(path, recursive)
            if not found:
                raise FileNotFoundError(errno.ENOENT, "no files in this directory", path)
            out += found
        elif glob.has_magic(path):
            found = sorted(p for p in glob.glob(path, recursive=recursive) if os.path.isfile(p))
            if not found:
                raise FileNotFoundError(errno.ENOENT, "no files match this pattern", path)
            out += found
        else:
            raise FileNotFoundError(errno.ENOENT, "no such file", path)
    return out


def _walk(directory: str, recursive: bool) -> list[str]:
    """The regular files of ``directory`` (not hidden ones), sorted by path; all levels if ``recursive``."""
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        found += [os.path.join(root, n) for n in names if not n.startswith(".")]
    return sorted(found)


def _name(src: Any) -> str:
    if src == "-":
        return "<stdin>"
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    return str(getattr(src, "name", None) or src)


class _Prefixed(io.RawIOBase):
    """``head`` then the rest of ``rest``: lets a non-seekable stream be sniffed. Never closes ``rest``."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buf))
        buf[: len(data)] = data
        return len(data)


class _Zstd(io.RawIOBase):
    """zstd frames of ``source`` decompressed 16 KiB of input at a time (text rarely grows more than
    tenfold). Unlike ``stream_reader``, a frame cut short is an ``EOFError``, not a quiet end."""

    def __init__(self, decompressor: Any, source: IO[bytes]) -> None:
        self._decompressor = decompressor
        self._source = source
        self._frame: Any = None  # the decompressobj of the frame in progress
        self._out = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        while not self._out:
            chunk = self._source.read(16_384)
            if not chunk:
                if self._frame is not None:
                    raise EOFError("the zstd data ends in the middle of a frame")
                return 0
            while chunk:
                self._frame = self._frame or self._decompressor.decompressobj()
                self._out += self._frame.decompress(chunk)
                chunk = b""
                if self._frame.eof:  # the frame ended: the rest of the chunk starts the next one
                    chunk = self._frame.unused_data
                    self._frame = None
        n = min(len(buf), len(self._out))
        buf[:n] = self._out[:n]
        self._out = self._out[n:]
        return n


def _raw(src: Any) -> tuple[IO[bytes], bool]:
    """A binary stream of ``src`` and whether it is ours to close."""
    if src == "-":
        return sys.stdin.buffer, False
    if hasattr(src, "read"):
        return src, False
    if isinstance(src, (str, os.PathLike)):
        return open(src, "rb"), True
    return src.open("rb"), True  # an importlib.resources Traversable


class _opened:
    """Context manager: the decompressed binary stream of ``src``, gzip or zstd detected by magic bytes."""

    def __init__(self, src: Any) -> None:
        self.src = src

    def __enter__(self) -> IO[bytes]:
        raw, self.owned = _raw(self.src)
        self.raw = raw
        stream: IO[bytes] = raw
        try:
            if hasattr(raw, "peek"):
                head = raw.peek(4)[:4]
            else:
                head = raw.read(4)
                stream = io.BufferedReader(_Prefixed(head, raw))
            if head.startswith(_GZIP_MAGIC):
                stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
            elif head.startswith(_ZSTD_MAGIC):
                try:
                    import zstandard
                except ImportError:
                    raise ImportError(f"{_name(self.src)} is zstd-compressed: reading it needs the zstandard "
                                      "package (pip install 'newstally[zstd]')") from None
                stream = io.BufferedReader(_Zstd(zstandard.ZstdDecompressor(), stream))
        except BaseException:
            self.__exit__()
            raise
        self.stream = stream
        return stream

    def __exit__(self, *exc: object) -> None:
        if self.owned:
            self.raw.close()


def _lines(corpus: Corpus, src: Any, errors: str) -> Iterator[tuple[int, str]]:
    """``(line number, decoded line)`` of ``src``, one at a time, BOM dropped; bad UTF-8 raised or skipped."""
    name = _name(src)
    with _opened(src) as f:
        offset = 0
        for lineno, raw in _raw_lines(f, name):
            if lineno == 1 and raw.startswith(_BOM):  # UTF-8 BOM from Windows tools
                raw = raw[3:]
                offset = 3
            corpus.bytes_read += len(raw)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                if errors == "replace":
                    line = raw.decode("utf-8", "replace")
                    corpus.replaced += line.count("\ufffd") - raw.count("\ufffd".encode())
                else:
                    corpus._bad(name, _Skip(f"{name}:{lineno}", lineno,
                                            f"not valid UTF-8 (byte {e.start + 1} of the line, "
                                            f"byte offset {offset + e.start} in the file)"))
                    offset += len(raw)
                    continue
            offset += len(raw)
            yield lineno, line


def _raw_lines(f: IO[bytes], name: str) -> Iterator[tuple[int, bytes]]:
    """Numbered lines of ``f``; broken compressed data is a :class:`ReadError` naming the line it broke in."""
    lineno = 0
    while True:
        try:
            raw = f.readline()
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:
            raise ReadError(f"{name}:{lineno + 1}: truncated or corrupt compressed data ({e})") from None
        except Exception as e:
            if type(e).__name__ != "ZstdError":
                raise
            raise ReadError(f"{name}:{lineno + 1}: truncated or corrupt compressed data ({e})") from None
        if not raw:
            return
        lineno += 1
        yield lineno, raw


def _check_errors(errors: str) -> None:
    if errors not in ("strict", "replace"):
        raise ValueError(f'errors must be "strict" or "replace", got {errors!r}')


def _meta(record: dict[str, Any], key: str, fields: Any) -> dict[str, Any]:
    """The metadata of a record: none, the listed fields that are present, or ``"all"`` but the text."""
    if fields is None:
        return {}
    if fields == "all":
        return {k: v for k, v in record.items() if k != key}
    return {k: record[k] for k in fields if k in record}


# --- readers -------------------------------------------------------------------------------------------------
def read_jsonl(paths: Any, *, text_field: str = "text", meta_fields: list[str] | str | None = None,
               errors: str = "strict", on_error: str = "raise", recursive: bool = False) -> Corpus:
    """JSON Lines: one object per line, its text in ``text_field``. Blank lines are ignored.

    Parameters
    ----------
    paths
        A path, ``-`` (stdin), a binary file object, a directory, a glob pattern, or a list of them.
        Directories and patterns expand to their files, sorted. gzip and zstd are detected by content.
    text_field
        The field holding the text; it must be a string.
    meta_fields
        Fields copied into ``Document.meta`` when present: a list, ``"all"`` (every field but the
        text), or None.
    errors
        ``"strict"``: invalid UTF-8 is an error. ``"replace"``: it becomes U+FFFD, counted in
        ``Corpus.replaced``.
    on_error
        ``"raise"`` a :class:`~newstally.exceptions.ReadError` naming ``FILE:LINE``, or ``"skip"`` the
        record and list it in ``Corpus.skipped``.
    recursive
        Descend into subdirectories and let ``**`` in patterns match them.
    """
    _check_errors(errors)
    sources = _expand(paths, recursive)

    def records(corpus: Corpus) -> Iterator[Document]:
        for src in sources:
            name = _name(src)
            for lineno, line in _lines(corpus, src, errors):
                if not line.strip():
                    continue
                try:
                    record = _json_record(line, text_field, f"{name}:{lineno}", lineno)
                except _Skip as e:
                    corpus._bad(name, e)
                    continue
                yield Document(record[text_field], _meta(record, text_field, meta_fields), name, lineno)

    return Corpus(records, on_error)


def _json_record(line: str, field: str, where: str, lineno: int) -> dict[str, Any]:
    """One JSON Lines record whose ``field`` is a string, or a :class:`_Skip` naming ``where``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        # e.msg, not str(e): its "line 1" would contradict the file line number in `where`.
        raise _Skip(where, lineno, f"invalid JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(record, dict):
        raise _Skip(where, lineno, f"expected a JSON object, got {_JSON_TYPES[type(record)]}")
    if field not in record:
        raise _Skip(where, lineno, f'no "{field}" field')
    if not isinstance(record[field], str):
        raise _Skip(where, lineno, f'"{field}" field is {_JSON_TYPES[type(record[field])]}, not a string')
    return record


def read_csv(paths: Any, *, text_column: str = "text", delimiter: str | None = None,
             meta_columns: list[str] | str | None = None, errors: str = "strict", on_error: str = "raise",
             recursive: bool = False) -> Corpus:
    """CSV or TSV with a header row; each further row is a document, its text in ``text_column``.

    ``delimiter`` None means a tab for names ending ``.tsv`` (also ``.tsv.gz``, ``.tsv.zst``), else a
    comma. ``Document.line`` is the line where the row starts. Other options as in :func:`read_jsonl`;
    a missing ``text_column`` in a header is always an error.
    """
    _check_errors(errors)
    sources = _expand(paths, recursive)

    def records(corpus: Corpus) -> Iterator[Document]:
        for src in sources:
            name = _name(src)
            delim = delimiter or ("\t" if _stem(name).endswith(".tsv") else ",")
            starts: list[int] = []

            def lines(src: Any = src, starts: list[int] = starts) -> Iterator[str]:
                for lineno, line in _lines(corpus, src, errors):
                    starts.append(lineno)
                    yield line

            reader = csv.reader(lines(), delimiter=delim)
            header: list[str] | None = None
            col = 0
            while True:
                n_before = len(starts)
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    lineno = starts[-1] if starts else 1
                    corpus._bad(name, _Skip(f"{name}:{lineno}", lineno, f"invalid CSV ({e})"))
                    continue
                lineno = starts[n_before] if len(starts) > n_before else (starts[-1] if starts else 1)
                del starts[: len(starts) - 1]  # keep only the latest, so memory stays bounded
                if header is None:
                    header = row
                    if text_column not in header:
                        raise ReadError(f'{name}:{lineno}: no "{text_column}" column in the header {header}')
                    col = header.index(text_column)
                    continue
                if not row or row == [""]:
                    continue  # a blank line
                if len(row) != len(header):
                    corpus._bad(name, _Skip(f"{name}:{lineno}", lineno,
                                            f"expected {len(header)} fields, got {len(row)}"))
                    continue
                values = dict(zip(header, row))
                yield Document(row[col], _meta(values, text_column, meta_columns), name, lineno)

    return Corpus(records, on_error)


def _stem(name: str) -> str:
    """``name`` lower-cased without a compression suffix."""
    name = name.lower()
    for ext in (".gz", ".zst", ".zstd"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def read_text(paths: Any, *, mode: str = "lines", errors: str = "strict", on_error: str = "raise",
              recursive: bool = False) -> Corpus:
    """Plain UTF-8 text: one document per non-blank line (``mode="lines"``) or per file (``"file"``).

    In ``"file"`` mode a document's ``line`` is 1 and a file with invalid UTF-8 (strict, skipping) is
    skipped whole. Other options as in :func:`read_jsonl`.
    """
    _check_errors(errors)
    if mode not in ("lines", "file"):
        raise ValueError(f'mode must be "lines" or "file", got {mode!r}')
    sources = _expand(paths, recursive)

    def records(corpus: Corpus) -> Iterator[Document]:
        for src in sources:
            name = _name(src)
            if mode == "lines":
                for lineno, line in _lines(corpus, src, errors):
                    if line.strip():
                        yield Document(line.rstrip("\r\n"), {}, name, lineno)
                continue
            n_skipped = len(corpus.skipped)
            text = "".join(line for _, line in _lines(corpus, src, errors))
            if len(corpus.skipped) == n_skipped:
                yield Document(text, {}, name, 1)

    return Corpus(records, on_error)


def read_frame(data: Any, text_column: str | None = None, *, meta_columns: list[str] | str | None = None,
               on_error: str = "raise") -> Corpus:
    """The rows of a pandas DataFrame (its ``text_column``, default ``"text"``), a Series or any iterable.

    ``Document.source`` is the Series or column name, ``line`` the 1-based row position; ``meta`` holds
    the ``meta_columns`` (a list or ``"all"``) of the row. A value that is not a str (e.g. NaN) is a
    :class:`~newstally.exceptions.ReadError` naming its row, or skipped with ``on_error="skip"``.

    >>> import newstally
    >>> [d.line for d in newstally.read_frame(("a", "b"))]
    [1, 2]
    """
    is_frame = hasattr(data, "columns") and hasattr(data, "iloc")
    if is_frame:
        text_column = "text" if text_column is None else text_column
        if text_column not in data.columns:
            raise ReadError(f'<DataFrame>: no "{text_column}" column (columns: {list(data.columns)})')
        names = [c for c in data.columns if c != text_column] if meta_columns == "all" else list(meta_columns or [])
        missing = [c for c in names if c not in data.columns]
        if missing:
            raise ReadError(f"<DataFrame>: no meta column(s) {missing}")
        texts: Iterable[Any] = data[text_column].array
        columns = [data[c].array for c in names]
        source = str(text_column)
    else:
        if text_column is not None or meta_columns is not None:
            raise ValueError("text_column and meta_columns apply to a DataFrame only")
        texts = data.array if hasattr(data, "array") else data
        names, columns = [], []
        source = str(getattr(data, "name", None) or f"<{type(data).__name__}>")

    def records(corpus: Corpus) -> Iterator[Document]:
        metas: Iterator[tuple[Any, ...]] = zip(*columns) if columns else iter(tuple, None)  # or endless ()
        for row, (text, values) in enumerate(zip(texts, metas), 1):
            if not isinstance(text, str):
                corpus._bad(source, _Skip(f"{source}: row {row}", row, f"{text!r} ({type(text).__name__}), not a str"))
                continue
            yield Document(text, dict(zip(names, values)), source, row)

    return Corpus(records, on_error)


def read_parquet(paths: Any, *, text_column: str = "text", meta_columns: list[str] | None = None,
                 batch_size: int = 10_000, on_error: str = "raise", recursive: bool = False) -> Corpus:
    """Parquet files, read ``batch_size`` rows at a time through pyarrow (``pip install 'newstally[arrow]'``).

    ``Document.line`` is the 1-based row in its file. A null text is a ReadError, or skipped.
    """
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("read_parquet needs pyarrow: pip install 'newstally[arrow]'") from None
    sources = _expand(paths, recursive)
    names = list(meta_columns or [])

    def records(corpus: Corpus) -> Iterator[Document]:
        for src in sources:
            name = _name(src)
            with open(src, "rb") as fh:
                f = pq.ParquetFile(fh)
                if text_column not in f.schema_arrow.names:
                    raise ReadError(f'{name}: no "{text_column}" column (columns: {f.schema_arrow.names})')
                row = 0
                for batch in f.iter_batches(batch_size=batch_size, columns=[text_column, *names]):
                    cols = [batch.column(c).to_pylist() for c in [text_column, *names]]
                    for text, *values in zip(*cols):
                        row += 1
                        if not isinstance(text, str):
                            corpus._bad(name, _Skip(f"{name}: row {row}", row, f'"{text_column}" is null'))
                            continue
                        yield Document(text, dict(zip(names, values)), name, row)

    return Corpus(records, on_error)


_BY_EXTENSION: dict[str, Callable[..., Corpus]] = {
    ".jsonl": read_jsonl, ".ndjson": read_jsonl, ".json": read_jsonl, ".csv": read_csv, ".tsv": read_csv,
    ".txt": read_text, ".parquet": read_parquet,
}


def read(paths: Any, **kw: Any) -> Corpus:
    """Any supported file, chosen by the extension of the first file (ignoring ``.gz``/``.zst``).

    Without a known extension the content decides: ``PAR1`` is Parquet, a first non-blank byte ``{``
    is JSON Lines, anything else plain text. Keyword options go to the chosen reader.
    """
    sources = _expand(paths, kw.get("recursive", False))
    if not sources:
        raise FileNotFoundError(errno.ENOENT, "no input files", str(paths))
    first = sources[0]
    ext = os.path.splitext(_stem(_name(first)))[1]
    reader = _BY_EXTENSION.get(ext)
    if reader is None:
        reader = _sniff(first)
    return reader(sources, **kw)


def _sniff(src: Any) -> Callable[..., Corpus]:
    if isinstance(src, (str, os.PathLike)) and os.path.isfile(src):
        with open(src, "rb") as f:
            if f.read(4) == b"PAR1":
                return read_parquet
    if hasattr(src, "read") or src == "-":
        return read_jsonl  # a stream cannot be sniffed without consuming it
    with _opened(src) as f:
        head = f.read(1024).lstrip(_BOM).lstrip()
    return read_jsonl if head.startswith(b"{") else read_text
