"""Tests of the ``newstally`` command line tool (``newstally.cli``)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

import newstally
from newstally.cli import main

SAMPLE = files("newstally") / "data" / "sample.jsonl"
SCRIPT = shutil.which("newstally")
needs_script = pytest.mark.skipif(SCRIPT is None, reason="the newstally script is not on PATH")


def sample_records() -> list[dict[str, str]]:
    with SAMPLE.open("r", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def sample_stats(ngram_range: tuple[int, int] = (1, 1)) -> newstally.CorpusStats:
    """What the CLI should report for the sample with its default stop words."""
    return newstally.count([r["text"] for r in sample_records()], ngram_range=ngram_range, stop_words="english")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- the sample corpus ----------------------------------------------------------------------------
def test_sample_corpus_shape() -> None:
    records = sample_records()
    assert len(records) == 30
    assert [r["id"] for r in records] == [f"sample-{i:03d}" for i in range(1, 31)]
    assert {r["category"] for r in records} == {"business", "politics", "sport", "tech", "science"}
    for r in records:
        assert set(r) == {"id", "title", "text", "date", "source", "category"}
        assert "2026-01-01" <= r["date"] <= "2026-06-30"
        assert 120 <= len(r["text"].split()) <= 350


# --- count: output ----------------------------------------------------------------------------------
def test_sample_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "count", "--sample", "--top", "10")
    assert code == 0
    expected = sample_stats()
    lines = out.splitlines()
    assert lines[0] == f"terms: top 10 of {len(expected.terms):,}"
    assert lines[1].split() == ["term", "count", "df"]
    rows = [line.split() for line in lines[2:]]
    assert rows == [[t, str(c), str(d)] for t, c, d in expected.terms.top(10)]
    # Words the sample is about: its prime minister, its economy stories, its football club.
    assert rows[0][0] == "said" and {"okafor", "percent", "minister", "kestrel"} <= {r[0] for r in rows}
    assert "the" not in {r[0] for r in rows}  # English stop words are the default
    assert len({len(line) for line in lines[1:]}) == 1  # columns padded to one width
    assert err.startswith(f"newstally: 30 documents, {expected.n_tokens:,} tokens, 0.0") and "MB/s" in err


def test_sample_ngrams(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", "--sample", "--ngram-range", "1", "2", "--top", "5")
    assert code == 0
    first, second = out.split("\n\n")
    assert first.startswith("terms: top 5 of")
    assert second.startswith("2-grams: top 5 of")
    bigrams = {line.rsplit(None, 2)[0] for line in second.splitlines()}
    assert {"port avalon", "kestrel city", "prime minister"} <= bigrams

    code, out, _ = run(capsys, "count", "--sample", "--ngrams", "2", "--top", "3")
    assert out.startswith("2-grams: top 3 of") and "terms:" not in out


def test_json_matches_library(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", "--sample", "--ngram-range", "1", "2", "--format", "json", "--top", "15")
    assert code == 0
    doc = json.loads(out)
    expected = sample_stats(ngram_range=(1, 2))
    assert doc["n_documents"] == 30 == expected.n_documents
    assert doc["n_tokens"] == expected.n_tokens
    assert set(doc["tables"]) == {"1", "2"}
    for n in (1, 2):
        rows = [(r["term"], r["count"], r["df"]) for r in doc["tables"][str(n)]]
        assert rows == expected.ngrams(n).top(15)


def test_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "count", "--sample", "--ngram-range", "1", "2", "--top", "4", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["n", "term", "count", "df"]
    assert [r["n"] for r in rows] == ["1"] * 4 + ["2"] * 4
    assert rows[0]["term"] == "said"
    assert rows[-1]["term"] == sample_stats(ngram_range=(2, 2)).ngrams(2).top(4)[-1][0]


def test_top_zero_lists_everything(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "count", "--sample", "--top", "0", "--format", "json")
    assert len(json.loads(out)["tables"]["1"]) == len(sample_stats().terms) > 1000


def test_save_then_load(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_path = tmp_path / "sample.ntstats"
    argv = ["count", "--sample", "--ngram-range", "1", "3", "--save", str(out_path), "--format", "json"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    loaded = newstally.load(out_path)
    assert loaded == sample_stats(ngram_range=(1, 3))
    assert [r["term"] for r in json.loads(out)["tables"]["3"]] == [t for t, _, _ in loaded.ngrams(3).top(20)]


# --- count: inputs and options ------------------------------------------------------------------------
def test_txt_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path / "docs.txt", "Berlin met Lagos.\n\nLagos met São Paulo.\r\nBerlin again\n")
    code, out, err = run(capsys, "count", path, "--format", "json", "--stop-words", "none")
    assert code == 0
    rows = {r["term"]: (r["count"], r["df"]) for r in json.loads(out)["tables"]["1"]}
    assert rows == {"berlin": (2, 2), "lagos": (2, 2), "met": (2, 2), "são": (1, 1), "paulo": (1, 1), "again": (1, 1)}
    assert "3 documents" in err  # the blank line is skipped


def test_stdin_text_field_and_several_inputs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"body": "Okafor in Berlin"}\n')))
    path = write(tmp_path / "more.ndjson", '\ufeff{"body": "Okafor\u2019s visit", "text": 3}\n')
    code, out, err = run(capsys, "count", "-", path, "--text-field", "body", "--format", "csv")
    assert code == 0
    assert "1,okafor,2,2" in out.splitlines()
    assert "2 documents" in err


def test_stop_words_file_and_min_df(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stop = write(tmp_path / "stop.txt", "# news filler\nsaid\npercent\n")
    _, out, _ = run(capsys, "count", "--sample", "--stop-words", stop, "--top", "3", "--format", "json")
    terms = [r["term"] for r in json.loads(out)["tables"]["1"]]
    assert terms[0] == "the" and "said" not in terms

    _, out, _ = run(capsys, "count", "--sample", "--min-df", "0.5", "--top", "0", "--format", "json")
    assert all(r["df"] >= 15 for r in json.loads(out)["tables"]["1"])


def test_empty_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "count", write(tmp_path / "empty.jsonl", "\n"))
    assert (code, out) == (0, "terms: top 0 of 0\n")
    assert "0 documents" in err


# --- count: errors ---------------------------------------------------------------------------------------
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
def test_bad_records(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path / "bad.jsonl", content)
    code, out, err = run(capsys, "count", path)
    assert code == 1
    assert (out, err) == ("", f"newstally: {path}{message}\n")


def test_invalid_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("ok\nZ\u00fcrich\n".encode("latin-1"))
    code, _, err = run(capsys, "count", str(path))
    assert code == 1 and f"{path}:2: not valid UTF-8" in err


def terms(out: str) -> dict[str, int]:
    return {r["term"]: r["count"] for r in json.loads(out)["tables"]["1"]}


def test_csv_tsv_gzip_and_format_in(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    csv_path = write(tmp_path / "a.csv", 'id,body\n1,"Berlin, Lagos"\n')
    tsv_path = tmp_path / "b.tsv.gz"
    tsv_path.write_bytes(gzip.compress("id\tbody\n2\tLagos, again\n".encode()))
    code, out, err = run(capsys, "count", csv_path, str(tsv_path), "--text-field", "body", "--format", "json")
    assert code == 0 and terms(out) == {"lagos": 2, "berlin": 1}, err
    assert "2 documents" in err
    # The same comma file read as JSON Lines fails on its first line; forced to csv it counts.
    code, _, err = run(capsys, "count", csv_path, "--format-in", "jsonl")
    assert code == 1 and err.startswith(f"newstally: {csv_path}:1: invalid JSON")
    data = write(tmp_path / "a.data", "text\tid\nSão Paulo\t1\n")
    code, out, _ = run(capsys, "count", data, "--format-in", "tsv", "--format", "json", "--stop-words", "none")
    assert code == 0 and terms(out) == {"são": 1, "paulo": 1}


def test_directory_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    write(tmp_path / "b.jsonl", '{"text": "Lagos"}\n')
    write(tmp_path / "a.jsonl", '{"text": "Berlin"}\n')
    code, out, err = run(capsys, "count", str(tmp_path), "--format", "json")
    assert code == 0 and terms(out) == {"berlin": 1, "lagos": 1} and "2 documents" in err


def test_lenient_reports_skips(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    lines = ['{"text": "Berlin"}', "{oops", '{"title": "x"}', "[1]", '{"text": 5}', '{"text": "Lagos"}']
    path = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    code, _, err = run(capsys, "count", path)
    assert code == 1 and err.startswith(f"newstally: {path}:2: invalid JSON")
    code, out, err = run(capsys, "count", path, "--lenient", "--format", "json")
    assert code == 0 and terms(out) == {"berlin": 1, "lagos": 1}
    first, summary = err.splitlines()
    assert first == (f"newstally: skipped 4 bad records: {path}:2: invalid JSON (Expecting property name "
                     f'enclosed in double quotes at column 2); {path}:3: no "text" field; {path}:4: expected a '
                     "JSON object, got an array; and 1 more")
    assert "2 documents" in summary


def test_errors_replace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Zürich\nGenève\n".encode("latin-1"))
    code, out, err = run(capsys, "count", str(path), "--errors", "replace", "--format", "json")
    assert code == 0 and terms(out) == {"z": 1, "rich": 1, "gen": 1, "ve": 1}
    assert err.splitlines()[0] == "newstally: replaced 2 undecodable byte sequences with U+FFFD"
    code, _, err = run(capsys, "count", str(path), "--lenient")
    assert code == 0 and err.startswith(f"newstally: skipped 2 bad records: {path}:1: not valid UTF-8 (byte 2 ")


def test_missing_file_and_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "count", "--sample", str(tmp_path / "nope.jsonl"))
    assert (code, out) == (1, "") and err == f"newstally: {tmp_path / 'nope.jsonl'}: no such file\n"
    code, _, err = run(capsys, "count", str(tmp_path))
    assert code == 1 and err.startswith(f"newstally: {tmp_path}: ")


def test_library_and_os_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "count", "--sample", "--ngrams", "9")
    assert code == 1 and err.startswith("newstally: invalid ngram_range") and len(err.splitlines()) == 1
    code, _, err = run(capsys, "count", "--sample", "--save", str(tmp_path / "no" / "dir.ntstats"))
    assert code == 1 and "dir.ntstats" in err and "Traceback" not in err
    code, _, err = run(capsys, "count", "--sample", "--stop-words", str(tmp_path / "missing.txt"))
    assert code == 1 and "missing.txt" in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["count"],
        ["frobnicate"],
        ["count", "--sample", "--top", "-1"],
        ["count", "--sample", "--top", "ten"],
        ["count", "--sample", "--ngrams", "2", "--ngram-range", "1", "2"],
        ["count", "--sample", "--ngram-range", "3", "1"],
        ["count", "--sample", "--format", "xml"],
        ["count", "--sample", "--min-df", "lots"],
    ],
)
def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "usage: newstally" in capsys.readouterr().err


def test_interrupt(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(newstally, "count", interrupted)
    assert run(capsys, "count", "--sample") == (130, "", "newstally: interrupted\n")


def test_broken_pipe_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["count", "--sample"]) == 141
    assert capsys.readouterr().err == ""


# --- the installed script ----------------------------------------------------------------------------------
@needs_script
def test_script_sample() -> None:
    proc = subprocess.run([SCRIPT, "count", "--sample", "--top", "5"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[2].split()[0] == "said"
    assert "30 documents" in proc.stderr


@needs_script
def test_script_closed_pipe_is_quiet() -> None:
    # The reading end is closed before the script writes anything, so its first write must fail.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([SCRIPT, "count", "--sample", "--top", "500"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""


@needs_script
def test_script_like_head() -> None:
    # `newstally count ... | head -1`: the reader takes one line and goes away.
    argv = [SCRIPT, "count", "--sample", "--top", "500", "--ngram-range", "1", "4"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().startswith(b"terms: top 500 of")
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) in (0, 141)
    assert "Traceback" not in err


def test_python_dash_m() -> None:
    proc = subprocess.run([sys.executable, "-m", "newstally.cli", "count", "--sample", "--top", "1", "--format", "csv"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("n,term,count,df\n1,said,") and len(proc.stdout.splitlines()) == 2


def test_top_and_merge_saved_counts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    records = sample_records()
    a = write(tmp_path / "a.jsonl", "".join(json.dumps(r) + "\n" for r in records[:12]))
    b = write(tmp_path / "b.jsonl", "".join(json.dumps(r) + "\n" for r in records[12:]))
    for src in (a, b):
        code, _, _ = run(capsys, "count", src, "--ngram-range", "1", "2", "--save", src + ".ntstats")
        assert code == 0
    merged = str(tmp_path / "m.ntstats")
    code, _, err = run(capsys, "merge", merged, a + ".ntstats", b + ".ntstats")
    assert code == 0 and "merged 2 files" in err
    whole = newstally.count(
        (r["text"] for r in records), ngram_range=(1, 2), stop_words="english"
    )
    assert newstally.load(merged) == whole
    code, out, _ = run(capsys, "top", merged, "--ngrams", "2", "--top", "3", "--format", "json")
    assert code == 0
    rows = json.loads(out)["tables"]["2"]
    assert [(r["term"], r["count"], r["df"]) for r in rows] == whole.ngrams(2).top(3)


def test_top_and_merge_errors_name_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    uni = str(tmp_path / "uni.ntstats")
    sample_stats((1, 1)).save(uni)
    bi = str(tmp_path / "bi.ntstats")
    sample_stats((1, 2)).save(bi)
    junk = write(tmp_path / "junk.ntstats", "not stats")
    code, _, err = run(capsys, "top", junk)
    assert code == 1 and "junk.ntstats" in err and "not a newstally file" in err
    code, _, err = run(capsys, "top", uni, "--ngrams", "2")
    assert code == 1 and "not 2-grams" in err
    code, _, err = run(capsys, "merge", str(tmp_path / "out.ntstats"), uni, bi)
    assert code == 1 and "bi.ntstats: cannot merge" in err and "ngram_range" in err
    code, _, err = run(capsys, "top", str(tmp_path / "missing.ntstats"))
    assert code == 1 and "missing.ntstats" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["merge", str(tmp_path / "out.ntstats")])
    assert exit_info.value.code == 2


def test_count_entities_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    stats = newstally.count([r["text"] for r in sample_records()], stop_words="english", entities=True)
    expected = stats.entities.top(3)
    code, out, _ = run(capsys, "count", "--sample", "--entities", "--top", "3", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert [(e["entity"], e["label"], e["count"], e["df"]) for e in doc["entities"]] == expected
    code, out, _ = run(capsys, "count", "--sample", "--entities", "--top", "3", "--format", "csv")
    entity_part = out.split("\n\n", 1)[1]
    rows = list(csv.reader(io.StringIO(entity_part)))
    assert rows[0] == ["entity", "label", "count", "df"]
    assert [(e, lab, int(c), int(d)) for e, lab, c, d in rows[1:]] == expected
    code, out, _ = run(capsys, "count", "--sample", "--entities", "--top", "3")
    assert f"entities: top 3 of {len(stats.entities):,}" in out and expected[0][0] in out


def test_count_entities_with_a_gazetteer_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    gaz = write(tmp_path / "gaz.csv", 'phrase,label,id\nLendrian Reserve Bank,ORG,central-bank\n"Okafor, Adaeze",PER,x\n')
    code, out, _ = run(capsys, "count", "--sample", "--entities", "--gazetteer", gaz, "--top", "0", "--format", "json")
    assert code == 0
    names = {(e["entity"], e["label"]) for e in json.loads(out)["entities"]}
    assert ("central-bank", "ORG") in names and ("Lendrian Reserve Bank", "ORG") not in names
    bad = write(tmp_path / "bad.csv", "Lendrian Reserve Bank,ORG\n")
    code, _, err = run(capsys, "count", "--sample", "--entities", "--gazetteer", bad)
    assert code == 1 and "bad.csv:1:" in err and "3 columns" in err
    label = write(tmp_path / "label.csv", "Lendrian Reserve Bank,BANK,x\n")
    code, _, err = run(capsys, "count", "--sample", "--entities", "--gazetteer", label)
    assert code == 1 and "label.csv" in err and "BANK" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["count", "--sample", "--gazetteer", gaz])
    assert exit_info.value.code == 2


def test_progress_bar_on_a_terminal_shows_rate_and_total(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pytest.importorskip("tqdm")
    src = write(tmp_path / "news.jsonl", "".join(json.dumps(r) + "\n" for r in sample_records()))
    code, _, err = run(capsys, "count", src)
    assert code == 0 and "reading" not in err  # not a terminal: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(capsys, "count", src)
    size = os.path.getsize(src)
    assert code == 0 and "reading" in err and "B/s" in err
    assert f"/{size / 1000:.1f}k" in err  # the total (for the ETA) is the file size
