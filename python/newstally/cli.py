"""The ``newstally`` command line tool, e.g. ``newstally count news.jsonl --ngram-range 1 2 --top 10``.

Each subcommand is an ``_add_<name>`` function (its options) plus a ``_cmd_<name>`` function (its
work); input options shared by future commands live in :func:`_input_options`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import newstally

from .exceptions import NewstallyError

if TYPE_CHECKING:  # only for annotations: the module moved between Python versions
    from importlib.resources.abc import Traversable


class CliError(Exception):
    """A user error: printed as one line on stderr, exit status 1."""


def _format(src: str | Traversable, args: argparse.Namespace) -> str:
    """The input format: ``--format-in``, or for ``auto`` by extension (``.gz``/``.zst`` ignored):
    ``txt``, ``csv``, ``tsv``, and ``jsonl`` for anything else (and ``-``)."""
    if args.format_in != "auto":
        return str(args.format_in)
    name = str(src).lower()
    for ext in (".gz", ".zst", ".zstd"):
        name = name.removesuffix(ext)
    return next((f for f in ("txt", "csv", "tsv") if name.endswith(f".{f}")), "jsonl")


def _reader(src: str | Traversable, args: argparse.Namespace) -> newstally.Corpus:
    """The reader of one input, by :func:`_format`."""
    fmt = _format(src, args)
    on_error = "skip" if args.lenient else "raise"
    if fmt == "txt":
        return newstally.read_text(src, errors=args.errors, on_error=on_error)
    if fmt in ("csv", "tsv"):
        return newstally.read_csv(src, text_column=args.text_field, delimiter="\t" if fmt == "tsv" else ",",
                                  errors=args.errors, on_error=on_error)
    return newstally.read_jsonl(src, text_field=args.text_field, errors=args.errors, on_error=on_error)


def _report(corpora: list[newstally.Corpus]) -> None:
    """One stderr line for skipped records (with the first few places) and one for replaced bytes."""
    skipped = [s for c in corpora for s in c.skipped]
    if skipped:
        shown = "; ".join(f"{src}:{line}: {reason}" for src, line, reason in skipped[:3])
        more = f"; and {len(skipped) - 3:,} more" if len(skipped) > 3 else ""
        print(f"newstally: skipped {len(skipped):,} bad record{'s' * (len(skipped) != 1)}: {shown}{more}",
              file=sys.stderr)
    replaced = sum(c.replaced for c in corpora)
    if replaced:
        print(f"newstally: replaced {replaced:,} undecodable byte sequence{'s' * (replaced != 1)} with U+FFFD",
              file=sys.stderr)


def _total_bytes(sources: list[str | Traversable]) -> int | None:
    """Total size of the inputs when all are uncompressed files (so a bar can show an ETA), else None."""
    total = 0
    for src in sources:
        if not isinstance(src, str) or src == "-" or not os.path.isfile(src):
            return None
        with open(src, "rb") as f:
            if f.read(4).startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd")):  # gzip, zstd: size is not text size
                return None
        total += os.path.getsize(src)
    return total


def _texts(corpora: list[newstally.Corpus], sources: list[str | Traversable]) -> Iterator[str]:
    """The texts of the inputs. On a terminal, with tqdm installed, a progress bar of bytes read shows
    the rate, and an ETA when the inputs are plain files whose sizes give the total."""
    bar = None
    if sys.stderr.isatty():
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=_total_bytes(sources), unit="B", unit_scale=True, desc="reading", leave=False,
                       file=sys.stderr)
    if bar is None:
        yield from (t for c in corpora for t in c.texts())
        return
    done = 0
    try:
        for c in corpora:
            for i, text in enumerate(c.texts()):
                yield text
                if i % 256 == 0:  # a bar update per document would cost more than it shows
                    bar.update(done + c.bytes_read - bar.n)
            done += c.bytes_read
        bar.update(done - bar.n)
    finally:
        bar.close()


def _stop_words(value: str) -> str | list[str] | None:
    """``english``, ``none``, or a file of one word per line (``#`` starts a comment line)."""
    if value in ("english", "none"):
        return None if value == "none" else value
    try:
        with open(value, encoding="utf-8") as f:
            return [w for w in (line.strip() for line in f) if w and not w.startswith("#")]
    except (OSError, UnicodeDecodeError) as e:
        raise CliError(f"{value}: {getattr(e, 'strerror', None) or e}") from None


def _gazetteer(path: str | None) -> newstally.Gazetteer | None:
    """A gazetteer from a CSV file with the columns phrase, label, id (a header row of those names
    is skipped); errors name the file and line."""
    if path is None:
        return None
    import csv

    rows: dict[str, tuple[str, str]] = {}
    try:
        with open(path, encoding="utf-8", newline="") as f:
            for line, row in enumerate(csv.reader(f), start=1):
                if not row or (line == 1 and [c.strip().lower() for c in row] == ["phrase", "label", "id"]):
                    continue
                if len(row) != 3:
                    raise CliError(f"{path}:{line}: expected 3 columns (phrase, label, id), got {len(row)}")
                rows[row[0]] = (row[1].strip(), row[2])
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise CliError(f"{path}: {getattr(e, 'strerror', None) or e}") from None
    try:
        return newstally.Gazetteer(rows)
    except newstally.exceptions.ConfigError as e:
        raise CliError(f"{path}: {e}") from None


def _number(value: str) -> int | float:
    """An int (documents) or a float (fraction of documents), like ``min_df`` itself."""
    try:
        return float(value) if any(c in value for c in ".eE") else int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None


def _at_least(minimum: int) -> Any:
    """An argparse type: an int >= ``minimum``."""

    def parse(value: str) -> int:
        with contextlib.suppress(ValueError):
            if int(value) >= minimum:
                return int(value)
        raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value!r}")

    return parse


def _input_options() -> argparse.ArgumentParser:
    """Options for reading a corpus, shared by every command that reads one."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("input")
    g.add_argument("files", nargs="*", metavar="FILE",
                   help="JSON Lines (.jsonl, .ndjson, or - for stdin), .csv, .tsv or .txt with one document per "
                        "line; gzip or zstd compressed; a directory or a glob pattern")
    g.add_argument("--sample", action="store_true", help="also read the bundled sample of 30 news articles")
    g.add_argument("--format-in", choices=("auto", "jsonl", "csv", "tsv", "txt"), default="auto",
                   help="input format (default auto: by extension, else JSON Lines)")
    g.add_argument("--text-field", default="text", metavar="NAME",
                   help="JSON field or CSV column with the text (default: text)")
    g.add_argument("--lenient", action="store_true", help="skip bad records and report them on stderr")
    g.add_argument("--errors", choices=("strict", "replace"), default="strict",
                   help="invalid UTF-8: an error (default), or replace it with U+FFFD and report how many")
    return p


def _add_count(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("count", parents=parents, help="count terms and n-grams; print the most frequent",
                       description="Count terms and word n-grams and print the most frequent of each length.")
    grams = p.add_mutually_exclusive_group()
    grams.add_argument("--ngrams", type=_at_least(1), metavar="N", help="count n-grams of N words only")
    grams.add_argument("--ngram-range", type=_at_least(1), nargs=2, metavar=("MIN", "MAX"),
                       help="count n-grams of MIN to MAX words (default: 1 1)")
    p.add_argument("--top", type=_at_least(0), default=20, metavar="K", help="rows per table (default 20; 0 for all)")
    p.add_argument("--stop-words", default="english", metavar="english|none|FILE",
                   help="stop word list (default: english); FILE has one word per line")
    p.add_argument("--tokenizer", choices=("word", "pattern"), default="word",
                   help="news-aware word tokenizer (default) or scikit-learn's token pattern")
    p.add_argument("--min-df", type=_number, default=1, metavar="X",
                   help="drop rows in fewer documents than X (an int) or fraction X (a float)")
    p.add_argument("--threads", type=_at_least(1), metavar="N", help="worker threads (default: all cores)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    p.add_argument("--save", metavar="OUT", help="also save the counts (conventionally OUT.ntstats)")
    p.add_argument("--entities", action="store_true", help="also count named entities (people, places, ...)")
    p.add_argument("--gazetteer", metavar="CSV",
                   help="with --entities: also match these phrases (CSV columns phrase,label,id); "
                        "matches count under their id")
    p.set_defaults(func=_cmd_count, command_parser=p)


def _cmd_count(args: argparse.Namespace) -> int:
    """``newstally count``: count the inputs, print the top rows, then a summary on stderr."""
    parser: argparse.ArgumentParser = args.command_parser
    sources: list[str | Traversable] = list(args.files)
    if args.sample:
        sources.append(files("newstally") / "data" / "sample.jsonl")
    if not sources:
        parser.error("no input: give FILE arguments, - for stdin, or --sample")
    if args.ngram_range and args.ngram_range[0] > args.ngram_range[1]:
        parser.error(f"--ngram-range: MIN ({args.ngram_range[0]}) is greater than MAX ({args.ngram_range[1]})")
    lo, hi = (args.ngrams, args.ngrams) if args.ngrams else tuple(args.ngram_range or (1, 1))
    if args.gazetteer and not args.entities:
        parser.error("--gazetteer needs --entities")
    gazetteer = _gazetteer(args.gazetteer)
    # Readers expand their paths when made: a missing file fails before time is spent on the others.
    corpora = [_reader(src, args) for src in sources]
    start = time.perf_counter()
    stats = newstally.count(_texts(corpora, sources), ngram_range=(lo, hi), stop_words=_stop_words(args.stop_words),
                            tokenizer=args.tokenizer, min_df=args.min_df, n_threads=args.threads,
                            entities=args.entities, gazetteer=gazetteer, progress=False)
    seconds = time.perf_counter() - start
    if args.save:  # before printing, so a closed pipe cannot lose it
        stats.save(args.save)

    # An empty corpus has no tables to read (its pruning bounds are empty), so print empty ones.
    tables = {n: stats.ngrams(n).top(args.top or None) if stats.n_documents else [] for n in range(lo, hi + 1)}
    totals = {n: len(stats.ngrams(n)) if stats.n_documents else 0 for n in tables}
    entities = None
    if stats.entities is not None:
        entities = (stats.entities.top(args.top or None), len(stats.entities))
    sys.stdout.write(_render(args.format, stats, tables, totals, entities))
    sys.stdout.flush()  # inside main's try, so a broken pipe surfaces here, not at exit

    _report(corpora)
    mb = sum(c.text_bytes for c in corpora) / 1e6
    print(f"newstally: {stats.n_documents:,} documents, {stats.n_tokens:,} tokens, {mb:.2f} MB in "
          f"{seconds:.2f} s ({mb / max(seconds, 1e-9):.1f} MB/s)", file=sys.stderr)
    return 0


def _load(path: str) -> Any:
    """Saved results, or a CliError naming the file (missing files are OSErrors, reported by main)."""
    try:
        return newstally.load(path)
    except ValueError as e:  # DecodeError: load already names the file
        raise CliError(str(e)) from None


def _add_top(sub: Any) -> None:
    p = sub.add_parser("top", help="print the most frequent rows of saved counts",
                       description="Print the most frequent rows of a file written by `count --save`.")
    p.add_argument("stats", metavar="STATS", help="saved counts (e.g. OUT.ntstats)")
    p.add_argument("--ngrams", type=_at_least(1), metavar="N", help="only the table of N-word n-grams")
    p.add_argument("--top", type=_at_least(0), default=20, metavar="K", help="rows per table (default 20; 0 for all)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    p.set_defaults(func=_cmd_top, command_parser=p)


def _cmd_top(args: argparse.Namespace) -> int:
    """``newstally top``: the top rows of saved counts."""
    stats = _load(args.stats)
    if not isinstance(stats, newstally.CorpusStats):
        raise CliError(f"{args.stats}: holds counts grouped by {stats.by!r}; `top` shows ungrouped counts only")
    lo, hi = stats.ngram_range
    if args.ngrams is not None and not lo <= args.ngrams <= hi:
        raise CliError(f"{args.stats}: holds {lo}- to {hi}-grams, not {args.ngrams}-grams")
    ns = [args.ngrams] if args.ngrams is not None else list(range(lo, hi + 1))
    tables = {n: stats.ngrams(n).top(args.top or None) if stats.n_documents else [] for n in ns}
    totals = {n: len(stats.ngrams(n)) if stats.n_documents else 0 for n in ns}
    sys.stdout.write(_render(args.format, stats, tables, totals))
    sys.stdout.flush()
    return 0


def _add_merge(sub: Any) -> None:
    p = sub.add_parser("merge", help="merge saved counts into one file",
                       description="Add up files written by `count --save` (counted with the same settings) "
                       "into OUT; the result equals counting all their documents at once.")
    p.add_argument("out", metavar="OUT", help="where to write the merged counts")
    p.add_argument("inputs", nargs="+", metavar="STATS", help="saved counts to merge")
    p.set_defaults(func=_cmd_merge, command_parser=p)


def _cmd_merge(args: argparse.Namespace) -> int:
    """``newstally merge``: add up saved counts."""
    total = None
    for path in args.inputs:
        stats = _load(path)
        try:
            total = stats if total is None else total + stats
        except (TypeError, newstally.exceptions.IncompatibleError) as e:
            reason = "grouped and ungrouped counts" if isinstance(e, TypeError) else e
            raise CliError(f"{path}: cannot merge with the files before it: {reason}") from None
    total.save(args.out)
    print(f"newstally: merged {len(args.inputs)} files, {total.n_documents:,} documents, into {args.out}",
          file=sys.stderr)
    return 0


def _add_report(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("report", parents=parents, help="write a self-contained HTML report of a corpus",
                       description="Write an HTML report: top terms and phrases, named entities by type, and "
                       "counts over time when documents carry dates. Open it in a browser.")
    p.add_argument("-o", "--output", required=True, metavar="OUT.html", help="where to write the report")
    p.add_argument("--title", default="newstally report", help="the report's title")
    p.add_argument("--date-field", default="date", metavar="NAME", help="JSON field with the date (default: date)")
    p.add_argument("--bucket", choices=("day", "week", "month", "year"), default="month",
                   help="period for counts over time (default: month)")
    p.add_argument("--no-entities", action="store_true", help="skip named entities (faster)")
    p.add_argument("--top", type=_at_least(1), default=20, metavar="K", help="rows per table (default 20)")
    p.set_defaults(func=_cmd_report, command_parser=p)


def _cmd_report(args: argparse.Namespace) -> int:
    """``newstally report``: count the inputs (terms, bigrams, entities, dates) and write an HTML page."""
    from .report import render

    sources: list[str | Traversable] = list(args.files)
    if args.sample:
        sources.append(files("newstally") / "data" / "sample.jsonl")
    if not sources or "-" in sources:
        args.command_parser.error("give FILE arguments or --sample (the report reads its input twice, not stdin)")
    corpora = [_reader(src, args) for src in sources]
    stats = newstally.count(_texts(corpora, sources), ngram_range=(1, 2), stop_words="english",
                            entities=not args.no_entities, progress=False)
    # Dates come from JSON Lines fields; the second pass groups the same documents by period.
    dated = [newstally.read_jsonl(src, text_field=args.text_field, meta_fields=[args.date_field])
             for src in sources if _format(src, args) == "jsonl"]
    grouped = None
    if dated:
        grouped = newstally.count((d for c in dated for d in c), by=args.date_field, bucket=args.bucket,
                                  stop_words="english", on_bad_group="skip")
        if len(grouped) == 0:
            grouped = None
    html = render(stats, title=args.title, grouped=grouped, top=args.top)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(html)
    _report(corpora)
    print(f"newstally: wrote {args.output} ({stats.n_documents:,} documents)", file=sys.stderr)
    return 0


def _render(
    fmt: str,
    stats: Any,
    tables: dict[int, list[tuple[str, int, int]]],
    totals: dict[int, int],
    entities: tuple[list[tuple[str, str, int, int]], int] | None = None,
) -> str:
    """The rows as an aligned text table, JSON or CSV; entity rows (and their total) after the terms."""
    ent_rows, ent_total = entities if entities is not None else ([], 0)
    if fmt == "json":
        json_tables = {str(n): [{"term": t, "count": c, "df": d} for t, c, d in rows] for n, rows in tables.items()}
        doc: dict[str, Any] = {"n_documents": stats.n_documents, "n_tokens": stats.n_tokens, "tables": json_tables}
        if entities is not None:
            doc["entities"] = [{"entity": e, "label": lab, "count": c, "df": d} for e, lab, c, d in ent_rows]
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(("n", "term", "count", "df"))
        w.writerows((n, t, c, d) for n, rows in tables.items() for t, c, d in rows)
        if entities is not None:  # a second table, with its own header, after a blank line
            w.writerow(())
            w.writerow(("entity", "label", "count", "df"))
            w.writerows(ent_rows)
        return out.getvalue()
    blocks = []
    for n, rows in tables.items():
        lines = [f"{'terms' if n == 1 else f'{n}-grams'}: top {len(rows)} of {totals[n]:,}"]
        cells = [("term", "count", "df"), *((t, str(c), str(d)) for t, c, d in rows)]
        tw, cw, dw = (max(len(row[i]) for row in cells) for i in range(3))  # widest cell of each column
        lines += (f"{t:<{tw}}  {c:>{cw}}  {d:>{dw}}" for t, c, d in (cells if rows else []))
        blocks.append("\n".join(lines) + "\n")
    if entities is not None:
        cells4 = [("entity", "label", "count", "df"), *((e, lab, str(c), str(d)) for e, lab, c, d in ent_rows)]
        w4 = [max(len(r[i]) for r in cells4) for i in range(4)]
        lines = [f"entities: top {len(ent_rows)} of {ent_total:,}"]
        lines += (f"{e:<{w4[0]}}  {lab:<{w4[1]}}  {c:>{w4[2]}}  {d:>{w4[3]}}" for e, lab, c, d in (cells4 if ent_rows else []))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="newstally", description="Fast text statistics for news.")
    parser.add_argument("--version", action="version", version=f"newstally {newstally.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_count(sub, [_input_options()])
    _add_top(sub)
    _add_merge(sub)
    _add_report(sub, [_input_options()])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line tool; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)  # type: ignore[no-any-return]
    except BrokenPipeError:
        # The reader (e.g. `head`) has gone. Point stdout at devnull so the interpreter's final
        # flush does not raise again, and exit as a process killed by SIGPIPE would.
        with contextlib.suppress(OSError, ValueError):  # stdout may have no file descriptor
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("newstally: interrupted", file=sys.stderr)
        return 130
    except (CliError, NewstallyError) as e:
        print(f"newstally: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # e.g. --save into a missing directory
        print(f"newstally: {f'{e.filename}: ' if e.filename else ''}{e.strerror or e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
