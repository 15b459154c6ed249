"""newstally against scikit-learn on the same texts, in one run: speed (MB/s, medians) and agreement.

    python benches/compare.py ../shared/data/news/*.jsonl [--repeat 5]

For each configuration both libraries run ``fit_transform`` on the same list of texts; the outputs are
checked equal (vocabulary and matrix) before any figure is printed. newstally builds feature names
lazily, so its time is shown both without and with ``get_feature_names_out()`` (scikit-learn always
builds its vocabulary dict). Also reported: ``newstally.count()`` throughput on 1 thread and on all
cores, and the peak memory of a ``count()`` run against the size of the tables it returns (each
measured in a fresh process, so earlier runs do not raise the high-water mark).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys

from _common import load, median_time


def same_output(sk_vec, sk_X, nt_vec, nt_X) -> bool:
    import numpy as np

    if list(sk_vec.get_feature_names_out()) != list(nt_vec.get_feature_names_out()):
        return False
    a, b = sk_X.tocsr(), nt_X.tocsr()
    a.sort_indices()
    b.sort_indices()
    return (
        a.shape == b.shape
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


def vectorizers(texts: list[str], mb: float, repeat: int) -> list[str]:
    from sklearn.feature_extraction.text import CountVectorizer as SkCount

    import newstally

    rows = []
    for ngram_range in [(1, 1), (1, 2)]:
        sk_t, (sk_vec, sk_X) = median_time(lambda: (v := SkCount(ngram_range=ngram_range), v.fit_transform(texts)), repeat)
        nt_t, (nt_vec, nt_X) = median_time(
            lambda: (v := newstally.CountVectorizer(ngram_range=ngram_range), v.fit_transform(texts)), repeat
        )
        nt_names_t, _ = median_time(
            lambda: (v := newstally.CountVectorizer(ngram_range=ngram_range), v.fit_transform(texts),
                     v.get_feature_names_out()),
            repeat,
        )
        if not same_output(sk_vec, sk_X, nt_vec, nt_X):
            sys.exit(f"outputs differ for ngram_range={ngram_range}: not reporting speed")
        rows.append(
            f"| CountVectorizer{ngram_range}.fit_transform | {mb / sk_t:.1f} | {mb / nt_t:.1f} | "
            f"**{sk_t / nt_t:.1f}x** | {mb / nt_names_t:.1f} ({sk_t / nt_names_t:.1f}x) | equal |"
        )
        print(rows[-1], flush=True)
    return rows


def counting(texts: list[str], mb: float, repeat: int) -> list[str]:
    import newstally

    rows = []
    cores = os.cpu_count() or 1
    for tokenizer, ngram_range in [("word", (1, 1)), ("word", (1, 2)), ("pattern", (1, 1)), ("pattern", (1, 2))]:
        cells = []
        for threads in (1, cores):
            t, _ = median_time(lambda: newstally.count(texts, tokenizer=tokenizer, ngram_range=ngram_range,
                                                 n_threads=threads), repeat)
            cells.append(f"{mb / t:.1f}")
        rows.append(f"| count(tokenizer={tokenizer!r}, ngram_range={ngram_range}) | {cells[0]} | {cells[1]} |")
        print(rows[-1], flush=True)
    return rows


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def memory_probe(paths: list[str], field: str, ngram_range: tuple[int, int]) -> None:
    """Child process: peak RSS added by one count() run, and the size of the tables it returns."""
    import gc

    import newstally

    texts = load(paths, field)
    gc.collect()
    base = _rss_kib("VmRSS:")
    with open("/proc/self/clear_refs", "w") as f:  # reset the high-water mark to the current RSS
        f.write("5")
    stats = newstally.count(texts, ngram_range=ngram_range)
    peak = _rss_kib("VmHWM:")
    table_bytes = 0
    for n in range(ngram_range[0], ngram_range[1] + 1):
        for term, _, _ in stats.ngrams(n).top(None):
            table_bytes += len(term.encode()) + 24  # text + offset, count, df (8 bytes each)
    print(json.dumps({"peak_mb": (peak - base) / 1024, "tables_mb": table_bytes / 1e6}))


def memory(paths: list[str], field: str) -> list[str]:
    rows = []
    for ngram_range in [(1, 1), (1, 2)]:
        out = subprocess.run(
            [sys.executable, __file__, "--memory-probe", f"{ngram_range[0]},{ngram_range[1]}", "--field", field, *paths],
            capture_output=True, text=True, check=True,
        ).stdout
        m = json.loads(out.strip().splitlines()[-1])
        rows.append(
            f"| count(ngram_range={ngram_range}) | {m['peak_mb']:.0f} MB | {m['tables_mb']:.0f} MB | "
            f"{m['peak_mb'] / m['tables_mb']:.2f}x |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="+", help="JSON Lines files")
    ap.add_argument("--field", default="text")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians are reported")
    ap.add_argument("--memory-probe", help=argparse.SUPPRESS)
    ap.add_argument("--skip", nargs="*", default=[], choices=["vectorizers", "count", "memory"])
    args = ap.parse_args()
    if args.memory_probe:
        lo, hi = map(int, args.memory_probe.split(","))
        memory_probe(args.corpus, args.field, (lo, hi))
        return

    import newstally
    import sklearn

    texts = load(args.corpus, args.field)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"corpus: {len(texts):,} documents, {mb:.1f} MB of text; newstally {newstally.__version__}, "
          f"scikit-learn {sklearn.__version__}, Python {platform.python_version()}, {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}; medians of {args.repeat} runs")
    if "vectorizers" not in args.skip:
        print("\n| task | scikit-learn MB/s | newstally MB/s | ratio | newstally + feature names MB/s | output |")
        print("| --- | --- | --- | --- | --- | --- |")
        vectorizers(texts, mb, args.repeat)
    if "count" not in args.skip:
        print("\n| newstally.count() | 1 thread MB/s | all cores MB/s |")
        print("| --- | --- | --- |")
        counting(texts, mb, args.repeat)
    if "memory" not in args.skip:
        print("\n| run | peak memory added | final tables | ratio |")
        print("| --- | --- | --- | --- |")
        memory(args.corpus, args.field)


if __name__ == "__main__":
    main()
