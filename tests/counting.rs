//! Integration tests of the public counting API: determinism, exact merges, codec robustness.

use newstally::parallel::Cancel;
use newstally::stats::{CorpusStats, Merge};
use newstally::terms::{CountConfig, Counter, NgramStopWords, Pruning, Vocabulary};
use newstally::tokenize::{TokenizerConfig, WordTokenizerConfig};

/// A deterministic corpus of news-like sentences with non-ASCII words, punctuation and empty documents.
fn corpus(n_docs: usize, seed: u64) -> Vec<String> {
    const WORDS: &[&str] = &[
        "the",
        "minister",
        "said",
        "Putin",
        "Putin’s",
        "U.S.",
        "bank",
        "of",
        "England",
        "rates",
        "rose",
        "3.5",
        "percent",
        "Zürich",
        "São",
        "Paulo",
        "well-known",
        "e-mail",
        "talks",
        "on",
        "Monday",
        "東京",
        "Ωμέγα",
        "and",
        "a",
        "deal",
        "#Brexit",
        "@newsdesk",
        "1,200",
        "Dr.",
    ];
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    (0..n_docs)
        .map(|_| {
            let words = next() % 60;
            let mut doc = String::new();
            for i in 0..words {
                doc.push_str(WORDS[next() % WORDS.len()]);
                doc.push_str(match next() % 12 {
                    0 => ". ",
                    1 => ", ",
                    2 => "\n\n",
                    _ => " ",
                });
                if i % 17 == 16 {
                    doc.push_str("He said. The ");
                }
            }
            doc
        })
        .collect()
}

fn configs() -> Vec<CountConfig> {
    let word = TokenizerConfig::Word(WordTokenizerConfig::default());
    vec![
        CountConfig::default(),
        CountConfig {
            ngram_range: (1, 3),
            ..CountConfig::default()
        },
        CountConfig {
            tokenizer: word.clone(),
            ngram_range: (1, 2),
            cross_sentences: false,
            stop_words: vec!["the".into(), "of".into(), "and".into(), "a".into()],
            ngram_stop_words: NgramStopWords::Edges,
        },
        CountConfig {
            tokenizer: word,
            ngram_range: (2, 4),
            cross_sentences: false,
            stop_words: vec!["the".into(), "of".into()],
            ngram_stop_words: NgramStopWords::Keep,
        },
    ]
}

fn count(config: &CountConfig, docs: &[String], threads: usize, batch: usize) -> CorpusStats {
    let mut c = Counter::new(config.clone(), Some(threads), false).unwrap();
    for chunk in docs.chunks(batch.max(1)) {
        c.update(chunk, &Cancel::new()).unwrap();
    }
    c.stats(Pruning::default()).unwrap()
}

#[test]
fn identical_bytes_for_any_thread_count_and_batch_size() {
    let docs = corpus(400, 7);
    for config in configs() {
        let reference = count(&config, &docs, 1, docs.len()).to_bytes();
        for (threads, batch) in [(2, 400), (3, 37), (4, 1), (2, 150)] {
            assert_eq!(
                count(&config, &docs, threads, batch).to_bytes(),
                reference,
                "threads={threads} batch={batch} config={config:?}"
            );
        }
    }
}

#[test]
fn finishing_a_counter_gives_what_reading_it_gives() {
    // into_stats frees the lookup structures before it builds the tables.
    let docs = corpus(200, 5);
    for config in configs() {
        let mut c = Counter::new(config.clone(), Some(2), false).unwrap();
        for chunk in docs.chunks(64) {
            c.update(chunk, &Cancel::new()).unwrap();
        }
        let read = c.stats(Pruning::default()).unwrap().to_bytes();
        assert_eq!(
            c.into_stats(Pruning::default()).unwrap().to_bytes(),
            read,
            "{config:?}"
        );
    }
}

#[test]
fn merging_parts_equals_counting_the_whole() {
    let docs = corpus(300, 11);
    for config in configs() {
        let whole = count(&config, &docs, 2, 64);
        let (a, rest) = docs.split_at(100);
        let (b, c) = rest.split_at(77);
        let (sa, sb, sc) = (
            count(&config, a, 1, 50),
            count(&config, b, 2, 50),
            count(&config, c, 2, 9),
        );
        let left = sa.merge(&sb).unwrap().merge(&sc).unwrap();
        let right = sa.merge(&sb.merge(&sc).unwrap()).unwrap();
        let swapped = sc.merge(&sa).unwrap().merge(&sb).unwrap();
        assert_eq!(left, whole);
        assert_eq!(right, whole);
        assert_eq!(swapped, whole);
        let empty = CorpusStats::empty(config.clone(), Pruning::default()).unwrap();
        assert_eq!(whole.merge(&empty).unwrap(), whole);
    }
}

#[test]
fn merging_different_settings_is_an_error() {
    let docs = corpus(20, 3);
    let cs = configs();
    let a = count(&cs[0], &docs, 1, 20);
    let b = count(&cs[1], &docs, 1, 20);
    let err = a.merge(&b).unwrap_err().to_string();
    assert!(err.contains("ngram_range"), "{err}");
}

#[test]
fn codec_round_trips_and_rejects_damage_without_panicking() {
    let docs = corpus(60, 5);
    let stats = count(&configs()[2], &docs, 2, 60);
    let bytes = stats.to_bytes();
    assert_eq!(CorpusStats::from_bytes(&bytes).unwrap(), stats);
    // Every truncation fails cleanly.
    for cut in 0..bytes.len() {
        assert!(
            CorpusStats::from_bytes(&bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    // Flipped bytes either fail or decode to something that passed validation; never a panic.
    for i in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[i] ^= 0x5A;
        let _ = CorpusStats::from_bytes(&damaged);
    }
    assert!(
        CorpusStats::from_bytes(b"PK\x03\x04 not ours at all")
            .unwrap_err()
            .to_string()
            .contains("not a newstally")
    );
    let mut future = bytes.clone();
    future[8] = 99;
    assert!(
        CorpusStats::from_bytes(&future)
            .unwrap_err()
            .to_string()
            .contains("version")
    );
    let mut huge_len = bytes[..11].to_vec();
    huge_len.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
    assert!(CorpusStats::from_bytes(&huge_len).is_err());
}

#[test]
fn matrix_rows_equal_transform_with_the_learned_vocabulary() {
    let docs = corpus(200, 13);
    for config in configs() {
        let mut c = Counter::new(config.clone(), Some(2), true).unwrap();
        c.update(&docs[..120], &Cancel::new()).unwrap();
        c.update(&docs[120..], &Cancel::new()).unwrap();
        let f = c.features(&Cancel::new()).unwrap();
        let keep: Vec<usize> = (0..f.len()).filter(|i| i % 3 != 1).collect();
        let m = c.matrix(&f, &keep, &Cancel::new()).unwrap();
        let names = c.feature_names(&f, &keep).unwrap();
        let v = Vocabulary::new(config.clone(), &names, Some(3)).unwrap();
        assert_eq!(v.transform(&docs, &Cancel::new()).unwrap(), m, "{config:?}");
        // Column sums equal the counts of the kept features.
        let mut sums = vec![0i64; keep.len()];
        for (&col, &val) in m.indices.iter().zip(&m.data) {
            sums[col as usize] += val;
        }
        let expected: Vec<i64> = keep.iter().map(|&i| f.counts()[i] as i64).collect();
        assert_eq!(sums, expected);
    }
}

#[test]
fn cancelled_update_leaves_the_counter_unchanged() {
    let docs = corpus(50, 17);
    let mut c = Counter::new(CountConfig::default(), Some(2), false).unwrap();
    c.update(&docs, &Cancel::new()).unwrap();
    let before = c.stats(Pruning::default()).unwrap();
    let cancel = Cancel::new();
    cancel.cancel();
    assert!(c.update(&docs, &cancel).is_err());
    assert_eq!(c.stats(Pruning::default()).unwrap(), before);
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Counter>();
    check::<CorpusStats>();
    check::<Vocabulary>();
    check::<newstally::tokenize::Tokenizer>();
    check::<newstally::sentence::SentenceSplitter>();
}

#[test]
fn row_counts_and_lookups_agree_with_the_ranking() {
    use newstally::terms::DocFreq;
    let docs = corpus(150, 23);
    let stats = count(&configs()[1], &docs, 2, 150);
    let prunings = [
        Pruning::default(),
        Pruning {
            min_count: 3,
            ..Pruning::default()
        },
        Pruning {
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Fraction(0.5),
            ..Pruning::default()
        },
        Pruning {
            max_features: Some(17),
            ..Pruning::default()
        },
        Pruning {
            min_count: 2,
            max_features: Some(5),
            ..Pruning::default()
        },
    ];
    for p in prunings {
        let s = stats.clone().with_pruning(p);
        for n in 1..=3 {
            let ranked = s.ranked(n, None).unwrap();
            assert_eq!(s.n_rows(n).unwrap(), ranked.len(), "{p:?} n={n}");
            let table = s.table(n).unwrap();
            for i in 0..table.len() {
                let kept = ranked.contains(&i);
                let got = s.get(n, table.term(i)).unwrap();
                assert_eq!(got.is_some(), kept, "{p:?} n={n} term {:?}", table.term(i));
                if kept {
                    assert_eq!(got, Some((table.count(i), table.df(i))));
                }
            }
            assert_eq!(s.get(n, "no such term").unwrap(), None);
        }
    }
}

#[test]
fn names_read_from_packed_keys_equal_names_read_from_the_tables() {
    // Terms are named from their sorted packed keys when every n-gram of the run packs into 64 bits,
    // and from the n-gram tables otherwise: here 1-3 packs and 1-8 (over 600 words, 10 bits each)
    // does not, so their common orders must come out the same either way.
    let mut docs = corpus(300, 11);
    docs.extend((0..200).map(|i| format!("w{i} x{} y{} w{i}. z{}", i % 7, i * 3, i % 13)));
    let table = |config: &CountConfig, n: usize, finish: bool| {
        let mut c = Counter::new(config.clone(), Some(2), true).unwrap();
        for chunk in docs.chunks(128) {
            c.update(chunk, &Cancel::new()).unwrap();
        }
        let features = c.features(&Cancel::new()).unwrap();
        let all: Vec<usize> = (0..features.len()).collect();
        let names = c.feature_names(&features, &all).unwrap();
        let stats = if finish {
            c.into_stats(Pruning::default()).unwrap()
        } else {
            c.stats(Pruning::default()).unwrap()
        };
        let t = stats.table(n).unwrap();
        let rows: Vec<(String, u64, u64)> = (0..t.len())
            .map(|i| (t.term(i).to_owned(), t.count(i), t.df(i)))
            .collect();
        let names: Vec<String> = names
            .into_iter()
            .filter(|s| s.split(' ').count() == n)
            .collect();
        (rows, names)
    };
    for tokenizer in [
        TokenizerConfig::sklearn(),
        TokenizerConfig::Word(WordTokenizerConfig::default()),
    ] {
        let packed = CountConfig {
            tokenizer: tokenizer.clone(),
            ngram_range: (1, 3),
            ..CountConfig::default()
        };
        let unpacked = CountConfig {
            ngram_range: (1, 8),
            ..packed.clone()
        };
        for n in 1..=3 {
            for finish in [false, true] {
                let (rows, names) = table(&packed, n, finish);
                assert!(rows.len() > 100, "n={n}");
                assert_eq!(
                    table(&unpacked, n, finish),
                    (rows, names),
                    "n={n} finish={finish} {tokenizer:?}"
                );
            }
        }
    }
}

#[test]
fn features_from_before_an_update_are_refused() {
    let docs = corpus(60, 31);
    for config in configs() {
        let mut c = Counter::new(config.clone(), Some(2), true).unwrap();
        c.update(&docs[..30], &Cancel::new()).unwrap();
        let f = c.features(&Cancel::new()).unwrap();
        c.update(&docs[30..], &Cancel::new()).unwrap();
        let all: Vec<usize> = (0..f.len()).collect();
        let err = c.matrix(&f, &all, &Cancel::new()).unwrap_err().to_string();
        assert!(err.contains("features"), "{err}");
    }
}

#[test]
fn released_rows_leave_names_and_refuse_everything_else() {
    let docs = corpus(80, 37);
    for config in configs() {
        let mut c = Counter::new(config.clone(), Some(2), true).unwrap();
        c.update(&docs, &Cancel::new()).unwrap();
        let mut f = c.features(&Cancel::new()).unwrap();
        let all: Vec<usize> = (0..f.len()).collect();
        c.matrix(&f, &all, &Cancel::new()).unwrap();
        let names = c.feature_names(&f, &all).unwrap();
        let table = c.feature_table(&f, &all).unwrap();
        c.release_rows(Some(&mut f));
        assert_eq!(c.feature_names(&f, &all).unwrap(), names, "{config:?}");
        assert_eq!(c.feature_table(&f, &all).unwrap(), table);
        let refused = [
            c.matrix(&f, &all, &Cancel::new()).unwrap_err(),
            c.features(&Cancel::new()).unwrap_err(),
            c.update(&docs[..3], &Cancel::new()).unwrap_err(),
            c.stats(Pruning::default()).unwrap_err(),
        ];
        for err in refused {
            assert!(err.to_string().contains("released"), "{err}");
        }
    }
}
