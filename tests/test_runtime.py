"""Threads, determinism, Ctrl-C and fork safety."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import newstally

from conftest import DOCS

CORPUS = [d * 3 for d in DOCS] * 40


def digest(stats: newstally.CorpusStats) -> str:
    return hashlib.sha256(stats.to_bytes()).hexdigest()


def test_identical_results_for_any_thread_count():
    for kw in ({"ngram_range": (1, 3)}, {"tokenizer": "pattern", "ngram_range": (1, 2), "stop_words": "english"}):
        reference = digest(newstally.count(CORPUS, n_threads=1, **kw))
        for n in (2, 3, 8):
            assert digest(newstally.count(CORPUS, n_threads=n, **kw)) == reference
            assert digest(newstally.count(CORPUS, n_threads=n, batch_size=17, **kw)) == reference


def test_identical_results_on_real_news_for_any_thread_count(news_sample):
    reference = digest(newstally.count(news_sample, ngram_range=(1, 2), n_threads=1))
    assert digest(newstally.count(news_sample, ngram_range=(1, 2), n_threads=2)) == reference
    assert digest(newstally.count(news_sample, ngram_range=(1, 2), n_threads=5, batch_size=100)) == reference


def test_thread_count_from_environment():
    code = (
        "import hashlib, newstally, sys; sys.path.insert(0, 'tests'); from conftest import DOCS; "
        "print(hashlib.sha256(newstally.count(DOCS * 20, ngram_range=(1, 2)).to_bytes()).hexdigest())"
    )
    outs = set()
    for n in ("1", "3"):
        env = dict(os.environ, NEWSTALLY_NUM_THREADS=n)
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    assert len(outs) == 1
    env = dict(os.environ, NEWSTALLY_NUM_THREADS="lots")
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "NEWSTALLY_NUM_THREADS" in bad.stderr


def test_gil_is_released_while_counting():
    # Two Python threads counting at once finish in far less than twice the time of one if the GIL is
    # released; correctness of both results is what this checks, timing is not asserted.
    results = []
    threads = [threading.Thread(target=lambda: results.append(digest(newstally.count(CORPUS)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(set(results)) == 1 and len(results) == 4


@pytest.mark.skipif(sys.platform == "win32", reason="uses SIGINT")
def test_ctrl_c_interrupts_a_long_run_within_a_second():
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    big = " ".join(words[(i * 7 + i // 5) % len(words)] + str(i % 997) for i in range(1_200_000))
    docs = [big] * 12  # ~100 MB; counting 8-grams over it takes many seconds
    sent = []
    timer = threading.Timer(0.5, lambda: (sent.append(time.monotonic()), os.kill(os.getpid(), signal.SIGINT)))
    # A process started in the background by a shell without job control ignores SIGINT, and Python
    # then installs no KeyboardInterrupt handler: put Python's default one in place for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    timer.start()
    interrupted = False
    try:
        newstally.count(docs, ngram_range=(1, 8), cross_sentences=True)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        ended = time.monotonic()
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    # Say which way it failed: the signal never sent, or sent and not turned into KeyboardInterrupt.
    assert sent, f"the run finished after {ended - started:.2f} s, before the interrupt was sent"
    assert interrupted, (
        f"SIGINT sent {sent[0] - started:.2f} s into the run did not interrupt it "
        f"(it ended at {ended - started:.2f} s)"
    )
    assert ended - sent[0] < 1.0
    # The library is still usable afterwards.
    assert newstally.count(DOCS).n_documents == len(DOCS)


FITTED = newstally.CountVectorizer(ngram_range=(1, 2)).fit(DOCS)


def _work_in_child(docs: list[str]) -> tuple[int, list[list[int]]]:
    return newstally.count(docs, ngram_range=(1, 2)).n_tokens, FITTED.transform(docs).toarray().tolist()


@pytest.mark.skipif(sys.platform == "win32", reason="fork start method")
@pytest.mark.timeout(120)
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_usable_after_fork():
    newstally.count(CORPUS, ngram_range=(1, 2))  # the parent has run threads before forking
    FITTED.transform(DOCS)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        results = pool.map(_work_in_child, [DOCS[:5], DOCS[5:]])
    expected = [_work_in_child(DOCS[:5]), _work_in_child(DOCS[5:])]
    assert results == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="freed memory is kept on Linux only")
def test_memory_kept_between_calls_is_given_back_on_request():
    first = newstally.count(CORPUS, ngram_range=(1, 2))
    X = newstally.CountVectorizer(ngram_range=(1, 2)).fit_transform(CORPUS)
    del X
    assert newstally.release_memory() > 0
    assert newstally.release_memory() == 0
    # Counted again on fresh pages, and again on the blocks that count left kept.
    assert digest(newstally.count(CORPUS, ngram_range=(1, 2))) == digest(first)
    assert digest(newstally.count(CORPUS, ngram_range=(1, 2))) == digest(first)


def test_counting_leaves_the_callers_strings_as_they_were():
    # Python keeps a str's UTF-8 form inside the object once asked for it: for non-ASCII text that
    # would be a second copy of the corpus, kept for as long as the caller keeps the strings.
    docs = [f"café número {i}, Ελληνικά and русский " * 50 for i in range(20)] + ["plain ascii"]
    before = [sys.getsizeof(d) for d in docs]
    stats = newstally.count(docs)
    newstally.CountVectorizer().fit_transform(docs)
    newstally.TfidfVectorizer().fit(docs).transform(docs)
    assert [sys.getsizeof(d) for d in docs] == before
    assert stats.terms["café"] == 20 * 50 and stats.terms["ελληνικά"] == 20 * 50
