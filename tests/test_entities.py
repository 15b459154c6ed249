"""newstally.Recognizer, Entity and train_recognizer: predictions, offsets, persistence, bad input."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import newstally
from newstally import Entity, Recognizer, train_recognizer
from newstally.exceptions import ConfigError, DecodeError, DocumentTypeError, ParseError

from conftest import CORPORA, DOCS, load_news

ROOT = Path(__file__).resolve().parent.parent
CONLL_DEV = ROOT.parent / "shared" / "data" / "conll2003" / "dev.txt"

#: Short articles written for these tests.
ARTICLES = [
    (
        "Peter Blackburn visited Paris on Monday. He met officials of the European Commission "
        "and executives of Siemens.",
        [("Peter Blackburn", "PER"), ("Paris", "LOC"), ("European Commission", "ORG"), ("Siemens", "ORG")],
    ),
    (
        "Russia’s President Vladimir Putin said on Tuesday that talks with Germany had failed. "
        "Putin spoke in Moscow.",
        [("Russia", "LOC"), ("Vladimir Putin", "PER"), ("Germany", "LOC"), ("Putin", "PER"), ("Moscow", "LOC")],
    ),
    (
        "Shares of Microsoft rose 3 percent in New York after the company said Satya Nadella "
        "would speak in London.",
        [("Microsoft", "ORG"), ("New York", "LOC"), ("Satya Nadella", "PER"), ("London", "LOC")],
    ),
]


@pytest.fixture(scope="module")
def rec() -> Recognizer:
    return Recognizer()


def assert_offsets(text: str, ents: list[Entity]) -> None:
    last = 0
    for e in ents:
        assert isinstance(e, Entity)
        assert text[e.start : e.end] == e.text, (e, text[e.start : e.end])
        assert e.label in ("PER", "LOC", "ORG", "MISC")
        assert last <= e.start < e.end <= len(text)
        assert e.text == e.text.strip() and e.text
        last = e.end


@pytest.mark.parametrize("text,expected", ARTICLES)
def test_finds_people_places_and_organisations(rec, text, expected):
    ents = rec.predict(text)
    assert_offsets(text, ents)
    got = [(e.text, e.label) for e in ents]
    for want in expected:
        assert want in got, (want, got)


def test_possessive_and_curly_quotes(rec):
    text = "“Russia’s army is ready,” said Britain's defence minister in London."
    ents = rec.predict(text)
    assert_offsets(text, ents)
    got = [(e.text, e.label) for e in ents]
    assert ("Russia", "LOC") in got
    assert ("Britain", "LOC") in got
    assert ("London", "LOC") in got


def test_all_caps_headline(rec):
    text = "GERMANY BEAT ENGLAND IN LONDON\n\nBerlin officials said the team flew home."
    ents = rec.predict(text)
    assert_offsets(text, ents)
    got = {(e.text, e.label) for e in ents}
    assert ("LONDON", "LOC") in got, got
    assert ("Berlin", "LOC") in got, got


def test_offsets_are_character_offsets_with_non_ascii(rec):
    text = "🙂 Zürich — Café owners met José García of Nestlé in São Paulo. 東京 too."
    ents = rec.predict(text)
    assert_offsets(text, ents)
    assert any(e.text == "Zürich" for e in ents)
    assert any(e.text == "José García" and e.label == "PER" for e in ents)


def test_offsets_on_shared_docs(rec):
    for text, ents in zip(DOCS, rec.predict_batch(DOCS)):
        assert_offsets(text, ents)


@pytest.mark.parametrize("name", CORPORA)
def test_offsets_on_news_corpora(rec, name):
    texts = load_news(name)[::10]
    results = rec.predict_batch(texts, n_threads=2)
    assert len(results) == len(texts)
    n = 0
    for text, ents in zip(texts, results):
        assert_offsets(text, ents)
        n += len(ents)
    assert n > len(texts)  # news has more than one name per article on average


def test_batch_equals_single_and_is_independent_of_threads(rec):
    texts = [t for t, _ in ARTICLES] + DOCS + ["Mary Jones of IBM flew to Bonn. " * 50]
    one = rec.predict_batch(texts, n_threads=1)
    two = rec.predict_batch(texts, n_threads=2)
    assert one == two
    assert one == [rec.predict(t) for t in texts]
    assert rec.predict_batch(iter(texts), n_threads=2) == one  # any iterable
    assert rec.predict_batch([]) == []
    # Word lookups kept from earlier calls only save time.
    rec.forget_words()
    assert rec.predict_batch(texts, n_threads=2) == one


def test_tag_gives_iob2(rec):
    tags = rec.tag([["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."],
                    ["Peter", "Blackburn"], []])
    assert tags[0] == ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]
    assert tags[1] == ["B-PER", "I-PER"]
    assert tags[2] == []


def test_shipped_model_is_shared_and_loads():
    # Its load time is a benchmark's business (benches/compare_ner.py), not a test's.
    fresh = Recognizer.load(newstally.entities.SHIPPED_MODEL)
    assert Recognizer()._core is Recognizer()._core  # loaded once per process
    assert fresh.to_bytes() == Recognizer().to_bytes()


def test_save_load_and_pickle_round_trip(rec, tmp_path):
    path = tmp_path / "model.bin"
    rec.save(path)
    assert path.read_bytes() == newstally.entities.SHIPPED_MODEL.read_bytes()
    loaded = Recognizer.load(path)
    text = ARTICLES[1][0]
    assert loaded.predict(text) == rec.predict(text)
    again = pickle.loads(pickle.dumps(rec))
    assert again.predict(text) == rec.predict(text)
    assert Recognizer.from_bytes(rec.to_bytes()).predict(text) == rec.predict(text)
    assert "n_features=" in repr(rec)


def test_odd_texts(rec):
    assert rec.predict("") == []
    assert rec.predict("   \n\t ") == []
    assert rec.predict("123 456 7.5% -- !!! ??? ... $ € 2024-01-01") == []
    assert rec.predict("\x00\x00 Paris \x00") == [Entity(3, 8, "LOC", "Paris")]
    long = "Smith and Jones met in Paris and " * 3000  # one 21,000-token sentence
    ents = rec.predict(long)
    assert_offsets(long, ents)
    assert ents
    no_spaces = "a" * 100_000
    assert rec.predict(no_spaces) == [] or all(e.text for e in rec.predict(no_spaces))


def test_non_str_documents(rec):
    with pytest.raises(DocumentTypeError, match="document 2 is int"):
        rec.predict_batch(["a", "b", 3])
    with pytest.raises(TypeError, match="document 0 is bytes"):
        rec.predict(b"Paris")
    with pytest.raises(TypeError):
        rec.predict_batch("a single string")
    with pytest.raises(DocumentTypeError, match="sentence 1"):
        rec.tag([["Paris"], ["a", 5]])
    with pytest.raises(ValueError, match="lone surrogate"):
        rec.predict("Paris \ud800")
    with pytest.raises(ConfigError):
        rec.predict_batch(["a"], n_threads=0)


def test_corrupt_model_bytes(rec, tmp_path):
    good = rec.to_bytes()
    for bad in [b"", b"not a model", good[: len(good) // 2], good[:-1], good + b"\0"]:
        with pytest.raises(DecodeError):
            Recognizer.from_bytes(bad)
    flipped = bytearray(good)
    flipped[len(good) // 3] ^= 0x55
    with pytest.raises(DecodeError, match="checksum"):
        Recognizer.from_bytes(bytes(flipped))
    path = tmp_path / "broken.bin"
    path.write_bytes(good[:1000])
    with pytest.raises(DecodeError):
        Recognizer.load(path)
    with pytest.raises(FileNotFoundError):
        Recognizer.load(tmp_path / "missing.bin")


# --- training ----------------------------------------------------------------------------------

PEOPLE = ["John Smith", "Mary Jones", "Peter Blackburn", "Ann Lee", "Tom Hardy"]
PLACES = ["Paris", "London", "New York", "Bonn", "Madrid"]
ORGS = ["Reuters", "European Commission", "IBM", "Siemens"]


def write_conll(path: Path, n_docs: int, offset: int, scheme: str = "iob1") -> None:
    """A small synthetic corpus in CoNLL format (4 columns, -DOCSTART- lines)."""
    lines = []
    for d in range(n_docs):
        lines += ["-DOCSTART- -X- -X- O", ""]
        for s in range(4):
            k = d * 7 + s * 3 + offset
            sent = []
            for words, label in (
                (PEOPLE[k % len(PEOPLE)], "PER"),
                ("of", None),
                (ORGS[(k // 2) % len(ORGS)], "ORG"),
                ("flew to", None),
                (PLACES[(k // 3) % len(PLACES)], "LOC"),
                ("on Monday .", None),
            ):
                for i, w in enumerate(words.split()):
                    if label is None:
                        tag = "O"
                    elif scheme == "iob2":
                        tag = ("B-" if i == 0 else "I-") + label
                    else:
                        tag = "I-" + label
                    sent.append(f"{w} NNP I-NP {tag}")
            lines += sent + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_train_recognizer_on_a_tiny_corpus(tmp_path):
    train, dev = tmp_path / "train.txt", tmp_path / "dev.txt"
    write_conll(train, 30, 0)
    write_conll(dev, 6, 1)
    opts = dict(epochs=3, ensemble=2, stage2_folds=3, gazetteer_folds=3)
    model = train_recognizer(train, dev, **opts)
    assert isinstance(model, Recognizer)
    text = "Mary Jones of IBM flew to London on Monday."
    got = [(e.text, e.label) for e in model.predict(text)]
    assert got == [("Mary Jones", "PER"), ("IBM", "ORG"), ("London", "LOC")]
    scores = model.evaluate(dev)
    assert scores["overall"]["f1"] > 0.9
    # Deterministic: same data and seed, same bytes; round trip through a file.
    assert train_recognizer(train, dev, **opts).to_bytes() == model.to_bytes()
    model.save(tmp_path / "m.bin")
    assert Recognizer.load(tmp_path / "m.bin").predict(text) == model.predict(text)
    # Without a dev file the last epoch is kept.
    assert train_recognizer(train, epochs=2, ensemble=1, stage2_folds=0, gazetteer_folds=0).predict(text)


def test_iob1_and_iob2_files_evaluate_the_same(rec, tmp_path):
    a, b = tmp_path / "iob1.txt", tmp_path / "iob2.txt"
    write_conll(a, 5, 0, "iob1")
    write_conll(b, 5, 0, "iob2")
    assert a.read_text() != b.read_text()
    ra, rb = rec.evaluate(a), rec.evaluate(b)
    for key in ("PER", "LOC", "ORG", "MISC", "overall"):
        assert ra[key] == rb[key]
    assert ra["overall"]["tp"] + ra["overall"]["fn"] == 5 * 4 * 3  # 3 gold spans per sentence
    assert ra["tokens"] > 0


def test_train_recognizer_errors(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("EU NNP I-NP I-ORG\nrejects VBZ I-VP X-FOO\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"bad\.txt:2: invalid tag"):
        train_recognizer(bad, epochs=1)
    ragged = tmp_path / "ragged.txt"
    ragged.write_text("EU NNP I-NP I-ORG\n\nrejects O\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"ragged\.txt:3: expected 4 columns"):
        train_recognizer(ragged, epochs=1)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no sentences"):
        train_recognizer(empty, epochs=1)
    with pytest.raises(FileNotFoundError):
        train_recognizer(tmp_path / "missing.txt", epochs=1)
    good = tmp_path / "good.txt"
    write_conll(good, 3, 0)
    with pytest.raises(ConfigError, match="epochs"):
        train_recognizer(good, epochs=0)
    with pytest.raises(ConfigError, match="stage2_folds"):
        train_recognizer(good, stage2_folds=1)
    with pytest.raises(ConfigError, match="seed"):
        train_recognizer(good, seed=-1)


@pytest.mark.skipif(not CONLL_DEV.exists(), reason=f"{CONLL_DEV} is absent (../shared beside the repository)")
def test_shipped_model_dev_f1(rec):
    scores = rec.evaluate(CONLL_DEV, n_threads=2)
    assert scores["overall"]["f1"] > 0.91
    assert scores["tokens"] == 51362


# --- entity counts -------------------------------------------------------------------------------

NEWS = [
    "Vladimir Putin met Angela Merkel in Berlin on Monday. Putin said the talks went well. "
    "PUTIN LEAVES BERLIN",
    "Angela Merkel said Germany would help. Merkel spoke in Berlin. The U.S. agreed.",
    "",
    "Officials of the United States met Vladimir Putin in Moscow.",
    "Siemens shares rose in Frankfurt. Siemens said profits grew.",
]


def test_count_entities_rows_and_alias_merging():
    stats = newstally.count(NEWS, entities=True, entity_aliases={"U.S.": "United States"})
    table = stats.entities
    assert table is not None
    rows = {(e, lab): (c, df) for e, lab, c, df in table.top(None)}
    assert rows[("Vladimir Putin", "PER")] == (4, 2)  # "Putin", "PUTIN" count toward the full name
    assert rows[("Angela Merkel", "PER")] == (3, 2)
    assert rows[("Berlin", "LOC")] == (3, 2)  # "BERLIN" in the headline is a case variant
    assert rows[("United States", "LOC")] == (2, 2)  # "U.S." through the alias table
    assert table.aliases == {"u.s.": "United States"}
    assert table.top(1, label="LOC") == [("Berlin", "LOC", 3, 2)]
    top = table.top(None)
    assert top == sorted(top, key=lambda r: (-r[2], r[0], r[1]))
    assert len(table) == len(top)
    df = table.to_pandas()
    assert list(df.columns) == ["entity", "label", "count", "df"]
    assert df["count"].sum() == sum(r[2] for r in top)
    assert "EntityTable" in repr(table)
    assert newstally.count(NEWS).entities is None


def test_entity_counts_merge_exactly_pickle_and_save(tmp_path):
    opts = dict(entities=True, entity_aliases={"U.S.": "United States"})
    whole = newstally.count(NEWS, **opts)
    for cut in range(len(NEWS) + 1):
        merged = newstally.count(NEWS[:cut], **opts) + newstally.count(NEWS[cut:], **opts)
        assert merged == whole, cut
        assert merged.entities.top(None) == whole.entities.top(None)
    assert newstally.count(NEWS, batch_size=2, n_threads=2, **opts) == whole
    assert pickle.loads(pickle.dumps(whole)).entities.top(None) == whole.entities.top(None)
    whole.save(tmp_path / "s.ntstats")
    assert newstally.load(tmp_path / "s.ntstats") == whole
    with pytest.raises(newstally.exceptions.IncompatibleError):
        whole + newstally.count(NEWS)
    with pytest.raises(newstally.exceptions.IncompatibleError):
        whole + newstally.count(NEWS, entities=True)  # another alias table


def test_count_entities_bad_options():
    with pytest.raises(ConfigError):
        newstally.count(NEWS, entity_aliases={"U.S.": "United States"})
    with pytest.raises(ConfigError):
        newstally.count(NEWS, entities=True, recognizer="shipped")
    with pytest.raises(ConfigError):
        newstally.count(NEWS, entities=True, entity_aliases={"U.S.": 1})
    stats = newstally.count(NEWS, entities=True)
    with pytest.raises(ConfigError):
        stats.entities.top(3, label="PERSON")
    with pytest.raises(DocumentTypeError):
        newstally.count(["Paris", 3], entities=True)


# --- gazetteer -----------------------------------------------------------------------------------

from newstally import Gazetteer, GazetteerMatch  # noqa: E402


def test_gazetteer_whole_tokens_leftmost_longest():
    g = Gazetteer({
        "New York": ("LOC", "Q60"),
        "New York Times": ("ORG", "Q9684"),
        "Russia": ("LOC", "Q159"),
        "U.S.": ("LOC", "Q30"),
    })
    text = "The New York Times said Russia’s envoy, not Russian ones, visited New York and the U.S. 🙂"
    got = g.find(text)
    assert [(m.text, m.label, m.id) for m in got] == [
        ("New York Times", "ORG", "Q9684"),
        ("Russia", "LOC", "Q159"),
        ("New York", "LOC", "Q60"),
        ("U.S.", "LOC", "Q30"),
    ]
    for m in got:
        assert isinstance(m, GazetteerMatch) and text[m.start : m.end] == m.text
    assert g.find("NEW YORK") == []
    folded = Gazetteer({"new york": ("LOC", "Q60")}, ignore_case=True)
    assert [m.text for m in folded.find("NEW YORK and New York")] == ["NEW YORK", "New York"]
    assert g.find_batch(["Russia", "", "New York Times"], n_threads=2) == [
        g.find("Russia"), [], g.find("New York Times")
    ]
    assert len(g) == 4 and "4 entries" in repr(g)
    again = pickle.loads(pickle.dumps(folded))
    assert again.to_dict() == folded.to_dict() and again.ignore_case


def test_gazetteer_combined_with_the_model(rec):
    text = "Acme Widgets hired Peter Blackburn in Paris."
    g = Gazetteer({"Acme Widgets": ("ORG", "acme"), "Blackburn": ("LOC", "blackburn-town")})
    combined = rec.predict(text, gazetteer=g)
    assert_offsets(text, combined)
    got = [(e.text, e.label) for e in combined]
    assert ("Acme Widgets", "ORG") in got
    assert ("Blackburn", "LOC") in got  # the gazetteer wins over the overlapping model entity
    assert ("Peter Blackburn", "PER") not in got
    assert ("Paris", "LOC") in got
    assert rec.predict_batch([text, text], gazetteer=g, n_threads=2) == [combined, combined]
    with pytest.raises(ConfigError):
        rec.predict(text, gazetteer={"Acme": ("ORG", "x")})


def test_count_entities_with_a_gazetteer():
    g = Gazetteer({
        "U.S.": ("LOC", "United States"),
        "Kremlin": ("ORG", "Q-kremlin"),
        "Vladimir Putin": ("PER", "Vladimir Putin"),
        "Zorblax Corp": ("ORG", "Zorblax Corporation"),
    })
    docs = [
        "Vladimir Putin met U.S. officials at the Kremlin. Putin said little.",
        "Zorblax Corp, a firm the model has never heard of, hired U.S. lawyers.",
        "The United States said nothing.",
    ]
    stats = newstally.count(docs, entities=True, gazetteer=g)
    rows = {(e, lab): (c, df) for e, lab, c, df in stats.entities.top(None)}
    # Matches count under their ids; a later "Putin" joins the full name the gazetteer gave.
    assert rows[("Vladimir Putin", "PER")] == (2, 1)
    assert rows[("United States", "LOC")][1] == 3  # 2 matches + the model's "United States"
    assert rows[("Q-kremlin", "ORG")] == (1, 1)
    assert rows[("Zorblax Corporation", "ORG")] == (1, 1)
    assert not any(e == "U.S." for e, _ in rows)
    # Without the gazetteer, the ids do not appear.
    plain = {e for e, *_ in newstally.count(docs, entities=True).entities.top(None)}
    assert "Q-kremlin" not in plain and "Zorblax Corporation" not in plain
    # Exact merges and thread-count independence hold with a gazetteer too.
    halves = newstally.count(docs[:1], entities=True, gazetteer=g) + newstally.count(
        docs[1:], entities=True, gazetteer=g
    )
    assert halves == stats
    assert newstally.count(docs, entities=True, gazetteer=g, n_threads=1, batch_size=1) == stats
    with pytest.raises(ConfigError, match="gazetteer"):
        newstally.count(docs, gazetteer=g)
    with pytest.raises(ConfigError, match="gazetteer"):
        newstally.count(docs, entities=True, gazetteer={"U.S.": ("LOC", "United States")})


def test_gazetteer_bad_entries_and_size():
    with pytest.raises(ConfigError, match="PRODUCT"):
        Gazetteer({"iPhone": ("PRODUCT", "x")})
    with pytest.raises(ConfigError):
        Gazetteer({"iPhone": "ORG"})
    with pytest.raises(ConfigError, match="no tokens"):
        Gazetteer({"   ": ("ORG", "x")})
    with pytest.raises(DocumentTypeError):
        Gazetteer({"a": ("ORG", "x")}).find_batch(["a", None])
    # A million entries build (in about 3 s); a quadratic build would not finish under CI's limit.
    big = Gazetteer({f"Company {i} Holdings": ("ORG", f"c{i}") for i in range(1_000_000)})
    assert [m.id for m in big.find("Company 999999 Holdings and Company 7 Holdings")] == ["c999999", "c7"]


@pytest.mark.timeout(120)
def test_shared_recognizer_from_many_python_threads(rec):
    import threading

    texts = [t for t, _ in ARTICLES] * 5
    want = rec.predict_batch(texts, n_threads=1)
    results: list[object] = [None] * 6
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            results[i] = rec.predict_batch(texts, n_threads=2) if i % 2 else [rec.predict(t) for t in texts]
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(r == want for r in results)
