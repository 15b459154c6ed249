"""Streaming corpus readers: formats, compression, path expansion, errors with FILE:LINE, lenient mode."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import os
from pathlib import Path

import pytest
from conftest import news_path

import newstally
from newstally.exceptions import NewstallyError, ReadError

RECORDS = [
    {"id": 1, "text": "Putin met Biden in Geneva.", "date": "2021-06-16", "source": "wire"},
    {"id": 2, "text": "Zürich, São Paulo and Łódź.", "date": "2021-06-17", "source": "paper"},
    {"id": 3, "text": "Biden left Geneva.", "date": "2021-06-18"},
]


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def zstd_compress(data: bytes) -> bytes:
    zstandard = pytest.importorskip("zstandard")
    return zstandard.ZstdCompressor().compress(data)


# --- JSON Lines ---------------------------------------------------------------------------------------------
def test_jsonl_documents_meta_and_report(tmp_path: Path) -> None:
    data = jsonl(RECORDS)
    path = write(tmp_path / "news.jsonl", data.replace(b"\n", b"\n\n", 1))  # a blank line 2 is ignored
    corpus = newstally.read_jsonl(path, meta_fields=["date", "source"])
    docs = list(corpus)
    assert [d.text for d in docs] == [r["text"] for r in RECORDS]
    assert [d.line for d in docs] == [1, 3, 4]
    assert docs[0] == newstally.Document(RECORDS[0]["text"], {"date": "2021-06-16", "source": "wire"}, str(path), 1)
    assert docs[2].meta == {"date": "2021-06-18"}  # absent fields are left out
    assert (corpus.n_documents, corpus.skipped, corpus.replaced) == (3, [], 0)
    assert corpus.bytes_read == len(data) + 1
    assert corpus.text_bytes == sum(len(r["text"].encode()) for r in RECORDS)
    assert list(corpus.texts()) == [r["text"] for r in RECORDS]  # iterable again, report reset
    assert corpus.n_documents == 3


def test_jsonl_meta_all_none_and_text_field(tmp_path: Path) -> None:
    path = write(tmp_path / "n.jsonl", jsonl([{"body": "x", "id": 7, "tags": ["a"]}]))
    (doc,) = newstally.read_jsonl(path, text_field="body", meta_fields="all")
    assert doc.meta == {"id": 7, "tags": ["a"]}
    (doc,) = newstally.read_jsonl(path, text_field="body")
    assert doc.meta == {}


def test_count_reads_a_corpus(tmp_path: Path) -> None:
    path = write(tmp_path / "news.jsonl.gz", gzip.compress(jsonl(RECORDS)))
    stats = newstally.count(newstally.read_jsonl(path).texts())
    assert stats.n_documents == 3 and stats.terms["geneva"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "fine"}\n{"text": oops}\n', ":2: invalid JSON (Expecting value at column 10)"),
        ('{"text": "fine"}\n\n{"title": "no text"}\n', ':3: no "text" field'),
        ('{"text": 42}\n', ':1: "text" field is a number, not a string'),
        ('{"text": null}\n', ':1: "text" field is null, not a string'),
        ('["text"]\n', ":1: expected a JSON object, got an array"),
    ],
)
def test_jsonl_errors_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path / "bad.jsonl", content)
    with pytest.raises(ReadError) as e:
        list(newstally.read_jsonl(path))
    assert str(e.value) == f"{path}{message}"
    assert isinstance(e.value, NewstallyError) and isinstance(e.value, ValueError)


def test_jsonl_lenient_skips_and_reports(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl", b'{"text": "a"}\n{oops\n{"text": 1}\n{"t": "x"}\n\xff\xfe\n{"text": "b"}\n')
    corpus = newstally.read_jsonl(path, on_error="skip")
    assert list(corpus.texts()) == ["a", "b"]
    assert [(s, line) for s, line, _ in corpus.skipped] == [(str(path), n) for n in (2, 3, 4, 5)]
    assert corpus.skipped[1][2] == '"text" field is a number, not a string'
    assert corpus.skipped[3][2].startswith("not valid UTF-8")
    assert corpus.n_documents == 2


def test_invalid_utf8_strict_names_line_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path / "latin1.jsonl", '{"text": "ok"}\n{"text": "Zürich"}\n'.encode("latin-1"))
    with pytest.raises(ReadError) as e:
        list(newstally.read_jsonl(path))
    # Line 2 starts at byte 15; "ü" is its 12th byte, so byte offset 26 of the file.
    assert str(e.value) == f"{path}:2: not valid UTF-8 (byte 12 of the line, byte offset 26 in the file)"
    assert path.read_bytes()[26:27] == b"\xfc"


def test_invalid_utf8_replace_counts(tmp_path: Path) -> None:
    # Two bad bytes, plus a genuine U+FFFD in the data that must not be counted.
    data = '{"text": "Zürich \ufffd"}\n'.encode("latin-1", "replace").replace(b"?", "\ufffd".encode())
    path = write(tmp_path / "l.jsonl", data + b'{"text": "Caf\xe9 \xff"}\n')
    corpus = newstally.read_jsonl(path, errors="replace")
    assert list(corpus.texts()) == ["Z\ufffdrich \ufffd", "Caf\ufffd \ufffd"]
    assert corpus.replaced == 3


def test_option_values_are_checked() -> None:
    with pytest.raises(ValueError, match="errors"):
        newstally.read_jsonl([], errors="ignore")
    with pytest.raises(ValueError, match="on_error"):
        newstally.read_jsonl([], on_error="warn")
    with pytest.raises(ValueError, match="mode"):
        newstally.read_text([], mode="paragraphs")


def test_bom_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.jsonl", b"\xef\xbb\xbf" + jsonl(RECORDS[:1]))
    assert list(newstally.read_jsonl(path).texts()) == [RECORDS[0]["text"]]


# --- compression --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["news.jsonl.gz", "news.jsonl", "news.data"])
def test_gzip_detected_by_content_not_name(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, gzip.compress(jsonl(RECORDS)))
    corpus = newstally.read_jsonl(path)
    assert list(corpus.texts()) == [r["text"] for r in RECORDS]
    assert corpus.bytes_read == len(jsonl(RECORDS))  # decompressed bytes


def test_plain_file_named_gz_is_read_plain(tmp_path: Path) -> None:
    path = write(tmp_path / "news.jsonl.gz", jsonl(RECORDS))
    assert newstally.read_jsonl(path).n_documents == 0 and len(list(newstally.read_jsonl(path))) == 3


def test_gzip_error_lines_and_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl.gz", gzip.compress(b'{"text": "a"}\n{"text": 2}\n'))
    with pytest.raises(ReadError, match=r"bad\.jsonl\.gz:2: "):
        list(newstally.read_jsonl(path))
    path = write(tmp_path / "n.tsv.gz", gzip.compress(b"id\ttext\n1\thello, world\n"))
    assert list(newstally.read_csv(path).texts()) == ["hello, world"]


@pytest.mark.parametrize("cut", [-5, -30])
def test_truncated_gzip_names_the_line(tmp_path: Path, cut: int) -> None:
    data = gzip.compress(jsonl(RECORDS) * 3)
    path = write(tmp_path / "cut.jsonl.gz", data[:cut])
    corpus = newstally.read_jsonl(path)
    with pytest.raises(ReadError, match=r"cut\.jsonl\.gz:\d+: truncated or corrupt compressed data"):
        for _ in corpus:
            pass
    corrupt = write(tmp_path / "bad.jsonl.gz", data[:10] + b"\xff" * 40)
    with pytest.raises(ReadError, match=r"bad\.jsonl\.gz:1: truncated or corrupt compressed data"):
        list(newstally.read_jsonl(corrupt))


def test_zstd_truncated(tmp_path: Path) -> None:
    path = write(tmp_path / "cut.jsonl.zst", zstd_compress(jsonl(RECORDS) * 3)[:-6])
    with pytest.raises(ReadError, match=r"cut\.jsonl\.zst:\d+: truncated or corrupt compressed data"):
        list(newstally.read_jsonl(path))


def test_zstd(tmp_path: Path) -> None:
    path = write(tmp_path / "news.jsonl.zst", zstd_compress(jsonl(RECORDS)))
    assert list(newstally.read_jsonl(path).texts()) == [r["text"] for r in RECORDS]
    # Several frames one after another (as `cat a.zst b.zst` makes) read as one stream.
    path = write(tmp_path / "two.jsonl.zst", zstd_compress(jsonl(RECORDS[:2])) + zstd_compress(jsonl(RECORDS[2:])))
    assert [d.line for d in newstally.read_jsonl(path)] == [1, 2, 3]
    big = b"".join(b'{"text": "doc %d"}\n' % i for i in range(100_000))  # many 16 KiB chunks
    path = write(tmp_path / "big.jsonl.zst", zstd_compress(big) + zstd_compress(big))
    assert next(iter(newstally.read_jsonl(path))).text == "doc 0"
    assert sum(1 for _ in newstally.read_jsonl(path)) == 200_000


def test_zstd_missing_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "zstandard", None)  # makes `import zstandard` raise ImportError
    path = write(tmp_path / "news.jsonl", b"\x28\xb5\x2f\xfd" + b"\0" * 20)
    with pytest.raises(ImportError, match=r"news\.jsonl is zstd-compressed.*zstandard.*newstally\[zstd\]"):
        list(newstally.read_jsonl(path))


# --- CSV / TSV ----------------------------------------------------------------------------------------------
def test_csv_quoting_multiline_and_meta(tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", 'id,text,date\n1,"Putin, Biden",2021\n2,"two\nlines ""quoted""",2022\n\n3,c,\n')
    corpus = newstally.read_csv(path, meta_columns=["id", "date"])
    docs = list(corpus)
    assert [d.text for d in docs] == ["Putin, Biden", 'two\nlines "quoted"', "c"]
    assert [d.line for d in docs] == [2, 3, 6]
    assert docs[0].meta == {"id": "1", "date": "2021"}
    assert list(newstally.read_csv(path, meta_columns="all"))[2].meta == {"id": "3", "date": ""}


def test_tsv_by_extension_and_explicit_delimiter(tmp_path: Path) -> None:
    tsv = write(tmp_path / "n.tsv", "text\tid\nhello, world\t1\n")
    assert list(newstally.read_csv(tsv).texts()) == ["hello, world"]
    semi = write(tmp_path / "n.txt", "id;text\n1;a,b\n")
    assert list(newstally.read_csv(semi, delimiter=";").texts()) == ["a,b"]


def test_csv_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", "id,body\n1,x\n")
    with pytest.raises(ReadError, match=r"n\.csv:1: no \"text\" column in the header \['id', 'body'\]"):
        list(newstally.read_csv(path))
    path = write(tmp_path / "r.csv", "id,text\n1,a\n2,b,extra\n3,c\n")
    with pytest.raises(ReadError) as e:
        list(newstally.read_csv(path))
    assert str(e.value) == f"{path}:3: expected 2 fields, got 3"
    corpus = newstally.read_csv(path, on_error="skip")
    assert list(corpus.texts()) == ["a", "c"]
    assert corpus.skipped == [(str(path), 3, "expected 2 fields, got 3")]


def test_csv_invalid_utf8(tmp_path: Path) -> None:
    path = write(tmp_path / "n.csv", b"id,text\n1,ok\n2,Z\xfcrich\n")
    with pytest.raises(ReadError, match=r"n\.csv:3: not valid UTF-8 \(byte 4 of the line"):
        list(newstally.read_csv(path))
    corpus = newstally.read_csv(path, errors="replace")
    assert list(corpus.texts()) == ["ok", "Z\ufffdrich"] and corpus.replaced == 1


# --- plain text, directories and globs ----------------------------------------------------------------------
def test_text_lines_and_files(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "first doc\r\n\n  \nsecond doc\n")
    docs = list(newstally.read_text(path))
    assert [(d.text, d.line) for d in docs] == [("first doc", 1), ("second doc", 4)]
    (doc,) = newstally.read_text(path, mode="file")
    assert doc == newstally.Document("first doc\r\n\n  \nsecond doc\n", {}, str(path), 1)


def test_directory_and_glob_expansion_is_sorted(tmp_path: Path) -> None:
    for name in ["b.txt", "a.txt", "c.md", ".hidden.txt", "sub/d.txt", "sub/deeper/e.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write(tmp_path / name, name)
    texts = list(newstally.read_text(tmp_path, mode="file").texts())
    assert texts == ["a.txt", "b.txt", "c.md"]
    texts = list(newstally.read_text(tmp_path, mode="file", recursive=True).texts())
    assert texts == ["a.txt", "b.txt", "c.md", "sub/d.txt", "sub/deeper/e.txt"]
    assert list(newstally.read_text(str(tmp_path / "*.txt")).texts()) == ["a.txt", "b.txt"]
    pattern = str(tmp_path / "**" / "*.txt")
    assert list(newstally.read_text(pattern, recursive=True).texts()) == [
        "a.txt", "b.txt", "sub/d.txt", "sub/deeper/e.txt"]
    # A list keeps its own order; each entry expands sorted.
    both = [tmp_path / "sub", tmp_path / "a.txt"]
    assert [d.source for d in newstally.read_text(both)] == [str(tmp_path / "sub" / "d.txt"), str(tmp_path / "a.txt")]


def test_missing_inputs_are_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        newstally.read_jsonl(tmp_path / "nope.jsonl")
    with pytest.raises(FileNotFoundError, match=r"no files match this pattern.*\*\.zzz"):
        newstally.read_text(str(tmp_path / "*.zzz"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no files in this directory"):
        newstally.read_text(tmp_path / "empty")


def test_unreadable_file_is_os_error_with_path(tmp_path: Path) -> None:
    path = write(tmp_path / "locked.txt", "x\n")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file")
        with pytest.raises(PermissionError) as e:
            list(newstally.read_text(path))
        assert e.value.filename == str(path)
    finally:
        path.chmod(0o600)


# --- streaming ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("compress", ["plain", "gzip", "zstd"])
def test_first_document_without_reading_the_rest(tmp_path: Path, compress: str) -> None:
    # Random hex so that compression keeps the file large; the first two lines are known.
    line = json.dumps({"text": "word " * 200}).encode() + b"\n"
    noise = os.urandom(25_000_000).hex().encode()
    data = line * 2 + b"".join(b'{"text": "%s"}\n' % noise[i : i + 1000] for i in range(0, len(noise), 1000))
    packed = {"plain": lambda: data, "gzip": lambda: gzip.compress(data, compresslevel=1),
              "zstd": lambda: zstd_compress(data)}[compress]()
    path = write(tmp_path / "big.jsonl", packed)
    assert path.stat().st_size > (50_000_000 if compress == "plain" else 20_000_000)
    with open(path, "rb") as f:
        corpus = newstally.read_jsonl(f)  # a file object: its position shows how much was read
        first = list(itertools.islice(corpus, 2))
        assert [d.text for d in first] == ["word " * 200] * 2
        assert f.tell() < 1_000_000
        assert corpus.bytes_read < 1_000_000


def test_stdin_and_file_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    stdin = io.TextIOWrapper(io.BytesIO(gzip.compress(jsonl(RECORDS))))
    monkeypatch.setattr(sys, "stdin", stdin)
    docs = list(newstally.read_jsonl("-"))
    assert [d.text for d in docs] == [r["text"] for r in RECORDS] and docs[0].source == "<stdin>"
    assert not stdin.closed  # stdin belongs to the caller
    raw = io.BytesIO(b"one\ntwo\n")  # no peek(): sniffed through a prefix
    assert list(newstally.read_text(raw).texts()) == ["one", "two"] and not raw.closed


def test_package_resources_and_zip_traversables(tmp_path: Path) -> None:
    import zipfile
    from importlib.resources import files

    sample = files("newstally") / "data" / "sample.jsonl"
    assert newstally.read_jsonl(sample).n_documents == 0 and len(list(newstally.read_jsonl(sample))) == 30
    with zipfile.ZipFile(tmp_path / "corpus.zip", "w") as z:
        z.writestr("news.jsonl", gzip.compress(jsonl(RECORDS)))
    inside = zipfile.Path(tmp_path / "corpus.zip", "news.jsonl")  # a Traversable that is not a path
    docs = list(newstally.read_jsonl(inside))
    assert [d.text for d in docs] == [r["text"] for r in RECORDS] and docs[0].source.endswith("news.jsonl")


# --- pandas, Parquet ----------------------------------------------------------------------------------------
def test_frame_and_series() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"id": [1, 2, 3], "text": ["a", None, "c"], "date": ["d1", "d2", "d3"]})
    with pytest.raises(ReadError, match=r"^text: row 2: (None \(NoneType\)|nan \(float\)), not a str$"):
        list(newstally.read_frame(df))
    corpus = newstally.read_frame(df, meta_columns=["date"], on_error="skip")
    docs = list(corpus)
    assert [(d.text, d.meta, d.line) for d in docs] == [("a", {"date": "d1"}, 1), ("c", {"date": "d3"}, 3)]
    assert [(s, line) for s, line, _ in corpus.skipped] == [("text", 2)]
    assert list(newstally.read_frame(df.dropna(), meta_columns="all"))[1].meta == {"id": 3, "date": "d3"}
    with pytest.raises(ReadError, match='no "body" column'):
        newstally.read_frame(df, "body")
    series = pd.Series(["x", "y"], name="headline")
    assert [(d.text, d.source) for d in newstally.read_frame(series)] == [("x", "headline"), ("y", "headline")]


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "news.parquet"
    table = pa.table({"text": ["a", None, "c"] * 5, "date": [f"d{i}" for i in range(15)]})
    pq.write_table(table, path)
    corpus = newstally.read_parquet(path, meta_columns=["date"], batch_size=4, on_error="skip")
    docs = list(corpus)
    assert len(docs) == 10 and docs[1] == newstally.Document("c", {"date": "d2"}, str(path), 3)
    assert [line for _, line, _ in corpus.skipped] == [2, 5, 8, 11, 14]
    with pytest.raises(ReadError, match=r"news\.parquet: row 2: "):
        list(newstally.read_parquet(path))
    assert newstally.read(path).__class__ is newstally.Corpus and len(list(newstally.read(path, on_error="skip"))) == 10


def test_parquet_missing_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"pyarrow.*newstally\[arrow\]"):
        newstally.read_parquet("news.parquet")


# --- read(): dispatch ---------------------------------------------------------------------------------------
def test_read_dispatches_by_extension_then_content(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl.gz", gzip.compress(jsonl(RECORDS[:1])))
    write(tmp_path / "b.csv", "text\nfrom csv\n")
    write(tmp_path / "c.txt", '{"text": "a line, not JSON"}\n')
    write(tmp_path / "d.data", gzip.compress(b'\n {"text": "sniffed JSON"}\n'))
    write(tmp_path / "e", b"sniffed text\n")
    assert list(newstally.read(tmp_path / "a.jsonl.gz").texts()) == [RECORDS[0]["text"]]
    assert list(newstally.read(tmp_path / "b.csv").texts()) == ["from csv"]
    assert list(newstally.read(tmp_path / "c.txt").texts()) == ['{"text": "a line, not JSON"}']
    assert list(newstally.read(tmp_path / "d.data").texts()) == ["sniffed JSON"]
    assert list(newstally.read(tmp_path / "e").texts()) == ["sniffed text"]
    assert list(newstally.read(tmp_path / "c.txt", mode="file").texts()) == ['{"text": "a line, not JSON"}\n']


# --- the shared corpora -------------------------------------------------------------------------------------
def test_reuters_jsonl_matches_json_loads() -> None:
    path = news_path("reuters21578")
    if not path.exists():
        pytest.skip(f"shared corpus {path} is absent (it lives in ../shared beside the repository)")
    corpus = newstally.read_jsonl(path, meta_fields=["date", "source"])
    n = 0
    with open(path, encoding="utf-8") as f:
        for doc, line in zip(corpus, f, strict=True):
            record = json.loads(line)
            assert doc.text == record["text"]
            assert doc.meta == {k: record[k] for k in ("date", "source") if k in record}
            n += 1
    assert n == corpus.n_documents == 19_779
    assert corpus.bytes_read == path.stat().st_size and corpus.skipped == []
