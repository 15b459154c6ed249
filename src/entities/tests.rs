//! Tests of the raw-text path: tokenizer, windows, offsets, and the shipped model.

use super::*;

fn toks(text: &str) -> Vec<&str> {
    tokenize::tokenize(text, 0..text.len())
        .map(|r| &text[r])
        .collect()
}

#[test]
fn tokenizer_table() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("empty", "", &[]),
        ("spaces only", " \n\t ", &[]),
        (
            "punctuation split",
            "Hello, world!",
            &["Hello", ",", "world", "!"],
        ),
        (
            "possessive ascii",
            "Russia's army",
            &["Russia", "'s", "army"],
        ),
        (
            "possessive curly",
            "Russia\u{2019}s army",
            &["Russia", "\u{2019}s", "army"],
        ),
        (
            "caps possessive",
            "RUSSIA'S ARMY",
            &["RUSSIA", "'S", "ARMY"],
        ),
        (
            "plural possessive",
            "investors' cash",
            &["investors", "'", "cash"],
        ),
        ("dotted acronym", "the U.S. army", &["the", "U.S.", "army"]),
        (
            "acronym at sentence end",
            "in the U.S.",
            &["in", "the", "U.S."],
        ),
        ("abbreviation", "Mr. Smith", &["Mr.", "Smith"]),
        (
            "abbreviation at end",
            "bought by Acme Inc.",
            &["bought", "by", "Acme", "Inc", "."],
        ),
        ("initial", "John F. Kennedy", &["John", "F.", "Kennedy"]),
        ("hyphen", "German-based firm", &["German-based", "firm"]),
        (
            "numbers",
            "1,000.50 and 3.5%",
            &["1,000.50", "and", "3.5", "%"],
        ),
        ("date", "1996-08-22", &["1996-08-22"]),
        ("name apostrophe", "O'Neill said", &["O'Neill", "said"]),
        ("n't", "don't stop", &["do", "n't", "stop"]),
        ("clitic", "they're here", &["they", "'re", "here"]),
        (
            "quotes",
            "\u{201C}Yes,\u{201D} he said",
            &["\u{201C}", "Yes", ",", "\u{201D}", "he", "said"],
        ),
        ("ellipsis run", "wait... now", &["wait", "...", "now"]),
        ("dashes", "a -- b", &["a", "--", "b"]),
        ("brackets", "(Reuters)", &["(", "Reuters", ")"]),
        ("ampersand", "AT&T rose", &["AT&T", "rose"]),
        ("non-ascii", "Zürich and Łódź", &["Zürich", "and", "Łódź"]),
        (
            "no letters",
            "!!! 123 ... ???",
            &["!!!", "123", "...", "???"],
        ),
    ];
    for (name, text, want) in cases {
        assert_eq!(&toks(text), want, "{name}");
    }
}

#[test]
fn tokens_are_in_order_and_inside_the_range() {
    let text = "  A \u{2014} «x» U.S.-based 'quoted' n't \u{2019}s \0 end.  ";
    let mut last = 0;
    for r in tokenize::tokenize(text, 0..text.len()) {
        assert!(
            r.start >= last && r.start < r.end && r.end <= text.len(),
            "{r:?}"
        );
        assert!(!text[r.clone()].trim().is_empty(), "{r:?}");
        last = r.end;
    }
    // A sub-range never yields offsets outside it.
    for r in tokenize::tokenize(text, 4..20) {
        assert!(r.start >= 4 && r.end <= 20, "{r:?}");
    }
}

fn shipped() -> Recognizer {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/python/newstally/data/ner-conll2003.bin"
    );
    Recognizer::from_bytes(&std::fs::read(path).expect("the shipped model is in the repository"))
        .expect("the shipped model loads")
}

fn found<'a>(text: &'a str, ents: &[Entity]) -> Vec<(&'a str, Label)> {
    ents.iter()
        .map(|e| (&text[e.start..e.end], e.label))
        .collect()
}

#[test]
fn shipped_model_on_short_articles() {
    let r = shipped();
    let text = "Peter Blackburn visited Paris on Monday. \
                The European Commission said Russia\u{2019}s President Vladimir Putin would meet \
                officials of Siemens in Berlin.";
    let got = found(text, &r.predict(text));
    for want in [
        ("Peter Blackburn", Label::Per),
        ("Paris", Label::Loc),
        ("European Commission", Label::Org),
        ("Russia", Label::Loc),
        ("Vladimir Putin", Label::Per),
        ("Siemens", Label::Org),
        ("Berlin", Label::Loc),
    ] {
        assert!(got.contains(&want), "{want:?} not in {got:?}");
    }
    // The tagger on CoNLL tokens, as in the prototype's README.
    let tags = r.tag(&[vec!["EU", "rejects", "German", "call"]]);
    assert_eq!(tags, vec![vec!["B-ORG", "O", "B-MISC", "O"]]);
}

#[test]
fn odd_inputs_do_not_panic() {
    let r = shipped();
    assert!(r.predict("").is_empty());
    assert_eq!(r.count_tokens(""), 0);
    assert_eq!(r.count_tokens("Mr. Smith left. He came back!"), 8);
    assert!(r.predict("   \n\n ").is_empty());
    assert!(r.predict("123 456 --- !!! ... 7.5% $").is_empty());
    // One "sentence" of 5,000 tokens is tagged in windows.
    let long = "Smith and Jones met in Paris and ".repeat(700);
    assert_eq!(
        r.windows(&long).iter().map(Vec::len).max(),
        Some(MAX_WINDOW_TOKENS)
    );
    let ents = r.predict(&long);
    assert!(!ents.is_empty());
    for e in &ents {
        assert!(e.start < e.end && long.is_char_boundary(e.start) && long.is_char_boundary(e.end));
    }
    // An all-caps headline.
    let head = "PUTIN MEETS MERKEL IN BERLIN";
    let got = found(head, &r.predict(head));
    assert!(got.contains(&("BERLIN", Label::Loc)), "{got:?}");
}

#[test]
fn batch_is_independent_of_threads() {
    let r = shipped();
    let texts: Vec<String> = (0..40)
        .map(|i| format!("Officials in London said Mary Jones {i} met IBM executives. "))
        .collect();
    let one = r.predict_batch(&texts, 1, &Cancel::new()).unwrap();
    let two = r.predict_batch(&texts, 2, &Cancel::new()).unwrap();
    assert_eq!(one, two);
    let seq: Vec<Vec<Entity>> = texts.iter().map(|t| r.predict(t)).collect();
    assert_eq!(one, seq);
    let cancel = Cancel::new();
    cancel.cancel();
    assert!(matches!(
        r.predict_batch(&texts, 2, &cancel),
        Err(crate::Error::Interrupted)
    ));
}

#[test]
fn kept_word_lookups_do_not_change_results() {
    let r = shipped();
    let texts: Vec<String> = [
        "Zbigniew Quorvant of Veltrix Holdings met Mr. Putin in Vladivostok.",
        "VELTRIX HOLDINGS SHARES FALL IN LONDON",
        "The Quorvant family sold Veltrix to Siemens; Putin's office declined comment.",
        "Markets in Tokyo, Frankfurt and New York rose after the Bundesbank spoke.",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let fresh: Vec<Vec<Entity>> = texts.iter().map(|t| r.predict(t)).collect();
    // One lexicon for all texts, in both orders, and one so small that it starts over often.
    for max_forms in [usize::MAX, 5] {
        let mut lexicon = Lexicon::with_max_forms(max_forms);
        for _ in 0..2 {
            for (t, want) in texts.iter().zip(&fresh).rev() {
                assert_eq!(&r.predict_with(t, &mut lexicon), want);
            }
        }
    }
    // A lexicon used with another model starts over rather than mixing their entries.
    let mut lexicon = Lexicon::new();
    let docs = conll::parse_conll(
        &"Zbigniew B-PER\nsaid O\nhello O\n\nVeltrix B-ORG\nrose O\n\n".repeat(5),
        "tiny",
    )
    .unwrap();
    let cfg = TrainConfig {
        epochs: 2,
        gaz_folds: 0,
        stage2_folds: 0,
        ensemble: 1,
        ..TrainConfig::default()
    };
    let other = Recognizer::new(train(&docs, &[], &cfg));
    let text = &texts[0];
    let want_other = other.predict(text);
    assert_eq!(r.predict_with(text, &mut lexicon), fresh[0]);
    assert_eq!(other.predict_with(text, &mut lexicon), want_other);
    assert_eq!(r.predict_with(text, &mut lexicon), fresh[0]);
    // Batch calls keep their lexicons for the next call, whatever its thread count.
    for threads in [2, 1, 3, 2, 6] {
        assert_eq!(
            r.predict_batch(&texts, threads, &Cancel::new()).unwrap(),
            fresh
        );
        assert!(r.kept_lexicons() <= KEPT_LEXICONS);
    }
    assert!(r.kept_lexicons() > 0);
    r.forget_words();
    assert_eq!(r.kept_lexicons(), 0);
    assert_eq!(r.predict_batch(&texts, 2, &Cancel::new()).unwrap(), fresh);
}

#[test]
fn public_types_are_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<Recognizer>();
    check::<Model>();
    check::<Entity>();
}
