"""Evaluates a named-entity model on a CoNLL file and measures tagging speed.

    python benches/ner_eval.py [MODEL] CONLL_FILE [--news FILE.jsonl ...] [--threads N ...] [--repeat R]

MODEL defaults to the model shipped with newstally. The table gives exact-span precision, recall
and F1 per type and overall (the CoNLL-2003 measure; IOB1 or IOB2 tags). Speed is reported as
tokens/s of prediction on the CoNLL tokens (sentences as given), and, with --news, on raw news
text (JSON lines with a "text" field: sentence splitting, tokenization and tagging), for each
--threads value. Raw-text results are checked to be identical for every thread count.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import newstally


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", help="[MODEL] CONLL_FILE")
    ap.add_argument("--news", action="append", default=[], help="JSON lines news file (repeatable)")
    ap.add_argument("--threads", type=int, action="append", default=[], help="thread counts (default 1 and 2)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = ap.parse_args(argv)
    if len(args.paths) > 2:
        ap.error("expected [MODEL] CONLL_FILE")
    threads = args.threads or [1, 2]

    t0 = time.perf_counter()
    rec = newstally.Recognizer.load(args.paths[0]) if len(args.paths) == 2 else newstally.Recognizer()
    load_s = time.perf_counter() - t0
    conll = args.paths[-1]

    scores = rec.evaluate(conll, n_threads=1)
    print(f"{'type':<8} {'precision':>9} {'recall':>9} {'F1':>9} {'gold':>6} {'pred':>6}")
    for label in ("PER", "LOC", "ORG", "MISC", "overall"):
        s = scores[label]
        gold, pred = s["tp"] + s["fn"], s["tp"] + s["fp"]
        print(f"{label:<8} {s['precision']:>9.4f} {s['recall']:>9.4f} {s['f1']:>9.4f} {gold:>6} {pred:>6}")
    print(f"\nmodel load {load_s:.3f} s ({len(rec.to_bytes()) / 1e6:.1f} MB)")

    for n in threads:
        best = min(rec.evaluate(conll, n_threads=n)["seconds"] for _ in range(args.repeat))
        print(f"{conll}: {scores['tokens']} tokens, {n} thread(s): {scores['tokens'] / best:,.0f} tokens/s")

    if args.news:
        texts: list[str] = []
        for path in args.news:
            with open(path, encoding="utf-8") as f:
                texts += [json.loads(line)["text"] for line in f if line.strip()]
        n_tokens = rec._core.count_tokens(texts)
        mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
        reference = None
        for n in threads:
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                out = rec.predict_batch(texts, n_threads=n)
                best = min(best, time.perf_counter() - t)
            if reference is None:
                reference = out
            elif out != reference:
                print(f"error: results with {n} threads differ from {threads[0]}", file=sys.stderr)
                return 1
            n_ent = sum(len(e) for e in out)
            print(
                f"raw news: {len(texts)} articles, {mb:.1f} MB, {n_tokens} tokens, {n_ent} entities, "
                f"{n} thread(s): {n_tokens / best:,.0f} tokens/s ({mb / best:.2f} MB/s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
