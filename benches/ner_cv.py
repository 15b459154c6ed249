"""Held-out F1 of the recognizer's training recipe by k-fold cross-validation on a CoNLL file.

    python benches/ner_cv.py TRAIN DEV [--folds 5] [--clusters FILE] [--jobs 2] [--ensemble 8]

TRAIN's documents (split at -DOCSTART- lines) are dealt into --folds folds in turn. For each fold a
model is trained on the other folds, with DEV selecting the epoch as for the shipped model, and
scored on the fold it never saw (exact-span F1, the CoNLL-2003 measure). The pooled counts over all
folds give the held-out precision, recall and F1. The shipped model's own recipe uses all of TRAIN, so
this estimates its accuracy on unseen text of the same kind; CoNLL-2003's test split (not available
here) is known to be harder than its train and dev splits.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor

LABELS = ("PER", "LOC", "ORG", "MISC")


def documents(path: str) -> list[str]:
    """The documents of a CoNLL file, each as its text from one -DOCSTART- line to the next."""
    docs: list[list[str]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("-DOCSTART-") or not docs:
                docs.append([])
            docs[-1].append(line)
    return ["".join(d) for d in docs if any(x.strip() and not x.startswith("-DOCSTART-") for x in d)]


def run_fold(job: tuple[int, str, str, str, str | None, int]) -> tuple[int, dict[str, dict[str, float]]]:
    fold, train_path, test_path, dev_path, clusters, ensemble = job
    import newstally

    rec = newstally.train_recognizer(train_path, dev_path, clusters=clusters, ensemble=ensemble)
    return fold, rec.evaluate(test_path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train")
    ap.add_argument("dev")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--clusters", help="word-cluster file, as for the shipped model")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="folds trained at once")
    ap.add_argument("--ensemble", type=int, default=8)
    args = ap.parse_args(argv)
    if args.folds < 2:
        ap.error("--folds must be at least 2")

    docs = documents(args.train)
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for k in range(args.folds):
            held = [d for i, d in enumerate(docs) if i % args.folds == k]
            rest = [d for i, d in enumerate(docs) if i % args.folds != k]
            train_k, test_k = os.path.join(tmp, f"train{k}.txt"), os.path.join(tmp, f"test{k}.txt")
            with open(train_k, "w", encoding="utf-8") as f:
                f.write("".join(rest))
            with open(test_k, "w", encoding="utf-8") as f:
                f.write("".join(held))
            jobs.append((k, train_k, test_k, args.dev, args.clusters, args.ensemble))
        with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = sorted(pool.map(run_fold, jobs))

    print(f"{len(docs)} documents in {args.folds} folds; exact-span scores on each held-out fold\n")
    print("| fold | " + " | ".join(LABELS) + " | overall F1 |")
    print("| --- |" + " --- |" * (len(LABELS) + 1))
    total = {label: [0, 0, 0] for label in LABELS}
    for k, scores in results:
        print(f"| {k} | " + " | ".join(f"{scores[label]['f1']:.4f}" for label in LABELS)
              + f" | {scores['overall']['f1']:.4f} |")
        for label in LABELS:
            for i, key in enumerate(("tp", "fp", "fn")):
                total[label][i] += scores[label][key]
    tp, fp, fn = (sum(total[label][i] for label in LABELS) for i in range(3))
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * p * r / max(p + r, 1e-12)
    print(f"\npooled over all folds: precision {p:.4f}, recall {r:.4f}, **F1 {f1:.4f}**")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
