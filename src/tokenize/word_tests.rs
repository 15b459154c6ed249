//! Tests of the word tokenizer: rule table, offsets, non-ASCII input, hostile input, and
//! equivalence of the ASCII fast path with the `unicode-segmentation` reference.

use super::super::stop_words;
use super::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

type Tokens = Vec<(String, usize, usize)>;

fn config(edit: impl FnOnce(&mut WordTokenizerConfig)) -> WordTokenizerConfig {
    let mut c = WordTokenizerConfig::default();
    edit(&mut c);
    c
}

fn default() -> WordTokenizerConfig {
    WordTokenizerConfig::default()
}

fn slow_tokens(tokenizer: &WordTokenizer, text: &str) -> Tokens {
    let mut out = Vec::new();
    tokenizer.for_each_token_slow(text, |t, s, e| out.push((t.to_owned(), s, e)));
    out
}

/// Tokens of `text`, after checking the output invariants and that both paths agree.
fn tokens(cfg: &WordTokenizerConfig, text: &str) -> Tokens {
    let tokenizer = WordTokenizer::new(cfg.clone());
    let fast = tokenizer.tokenize(text);
    assert_eq!(
        fast,
        slow_tokens(&tokenizer, text),
        "fast and slow paths differ on {text:?}"
    );
    check_invariants(cfg, text, &fast);
    fast
}

fn terms(cfg: &WordTokenizerConfig, text: &str) -> Vec<String> {
    tokens(cfg, text).into_iter().map(|t| t.0).collect()
}

fn check_invariants(cfg: &WordTokenizerConfig, text: &str, tokens: &[(String, usize, usize)]) {
    let mut last_end = 0;
    for (term, start, end) in tokens {
        assert!(!term.is_empty(), "empty term in {text:?}");
        assert!(
            term.chars()
                .all(|c| c > ' ' && !c.is_whitespace() && !c.is_control()),
            "term {term:?} has whitespace/control in {text:?}"
        );
        assert!(
            start < end && *start >= last_end && *end <= text.len(),
            "bad span {start}..{end} in {text:?}"
        );
        assert!(
            text.is_char_boundary(*start) && text.is_char_boundary(*end),
            "span not on char boundaries"
        );
        assert!(
            term.chars().count() >= cfg.min_length,
            "term {term:?} shorter than min_length"
        );
        last_end = *end;
    }
}

impl SegmentSink for Vec<(usize, usize, u8)> {
    fn segment(&mut self, start: usize, end: usize, flags: u8) {
        self.push((start, end, flags));
    }
}

fn segments(text: &str, path: Path) -> Vec<(usize, usize, u8)> {
    let mut out = Vec::new();
    segment_region(text, 0, text.len(), path, &mut out);
    out
}

#[test]
#[allow(clippy::too_many_lines, reason = "one table row per rule")]
fn rule_table() {
    let lower_off = config(|c| c.lowercase = false);
    let numbers_off = config(|c| c.drop_numbers = true);
    let nfkc = config(|c| c.nfkc = true);
    let min3 = config(|c| c.min_length = 3);
    let special_off = config(|c| c.special_tokens = false);
    let nfkc_min2 = config(|c| {
        c.nfkc = true;
        c.min_length = 2;
    });
    let dflt = default();
    #[rustfmt::skip]
    let cases: Vec<(&str, &WordTokenizerConfig, &str, &[&str])> = vec![
        ("plain sentence", &dflt, "The quick brown fox.", &["the", "quick", "brown", "fox"]),
        ("empty", &dflt, "", &[]),
        ("only punctuation", &dflt, " ... -- !? ", &[]),
        ("lowercase off", &lower_off, "The Quick BROWN", &["The", "Quick", "BROWN"]),
        ("lowercase is per token", &dflt, "NATO and Nato", &["nato", "and", "nato"]),
        ("underscore joins", &dflt, "snake_case __init__ ___", &["snake_case", "__init__"]),
        // Apostrophes.
        ("curly apostrophe", &dflt, "don’t Don't", &["don't", "don't"]),
        ("modifier apostrophe", &dflt, "donʼt", &["don't"]),
        ("possessive curly", &dflt, "Russia’s", &["russia"]),
        ("possessive straight", &dflt, "Russia's", &["russia"]),
        ("possessive upper", &dflt, "PUTIN'S PUTIN’S", &["putin", "putin"]),
        ("possessive with lowercase off", &lower_off, "Russia’s Putin'S", &["Russia", "Putin"]),
        ("it's becomes it", &dflt, "it's", &["it"]),
        ("plural possessive", &dflt, "workers' rights", &["workers", "rights"]),
        ("possessive after digits", &dflt, "the 1990's and 1980’s", &["the", "1990", "and", "1980"]),
        ("possessive after hyphen compound", &dflt, "covid-19's mother-in-law's", &["covid-19", "mother-in-law"]),
        ("not a possessive", &dflt, "rock'n'roll o'clock", &["rock'n'roll", "o'clock"]),
        ("quotes around words", &dflt, "'hello' ‘world’", &["hello", "world"]),
        ("lone s after apostrophe and space", &dflt, "Jones ' s", &["jones", "s"]),
        // Hyphens.
        ("hyphenated", &dflt, "well-known covid-19 anti-war mother-in-law", &["well-known", "covid-19", "anti-war", "mother-in-law"]),
        ("unicode hyphens", &dflt, "well‐known non‑stop", &["well-known", "non-stop"]),
        ("spaced dash", &dflt, "war - peace war – peace war—peace", &["war", "peace", "war", "peace", "war", "peace"]),
        ("double hyphen", &dflt, "war--peace", &["war", "peace"]),
        ("leading and trailing hyphens", &dflt, "-leading trailing- -both-", &["leading", "trailing", "both"]),
        ("scores and ranges", &dflt, "won 2-1 in 2004-05", &["won", "2-1", "in", "2004-05"]),
        ("hyphen after dot", &dflt, "U.S.-led", &["u.s", "led"]),
        // Numbers.
        ("numbers kept", &dflt, "1,000 3.5 2024 $1.13bn 76%", &["1,000", "3.5", "2024", "1.13bn", "76"]),
        ("numbers dropped", &numbers_off, "1,000 3.5 2024 ½ g7 covid-19 3d 2-1", &["g7", "covid-19", "3d"]),
        ("fraction after digit", &dflt, "2½", &["2", "½"]),
        ("colon splits digits", &dflt, "12:30", &["12", "30"]),
        ("comma splits letters", &dflt, "a,b 1,b", &["a", "b", "1", "b"]),
        // UAX #29 behaviour around dots and colons.
        ("abbreviations", &dflt, "U.S. troops e.g. this", &["u.s", "troops", "e.g", "this"]),
        ("missing space after full stop", &dflt, "end.Start", &["end.start"]),
        ("colon joins letters", &dflt, "Note:this", &["note:this"]),
        ("mid character at the end", &dflt, "abc. 1. x:", &["abc", "1", "x"]),
        // Options.
        ("nfkc ligature", &nfkc, "ﬁnance Ｈｅｌｌｏ ①", &["finance", "hello", "1"]),
        ("no nfkc by default", &dflt, "ﬁnance", &["ﬁnance"]),
        ("nfkc before lowercase", &nfkc, "ℌilbert", &["hilbert"]),
        ("nfkc composes", &nfkc, "Cafe\u{301}", &["café"]),
        ("min length", &min3, "a an the cat ab", &["the", "cat"]),
        ("min length counts chars", &min3, "éé ééé 東", &["ééé"]),
        ("min length after nfkc", &nfkc_min2, "ﬁ", &["fi"]),
        // Special tokens.
        ("url", &dflt, "see https://example.com/a/b?x=1.", &["see", "https://example.com/a/b?x=1"]),
        ("url lowercased", &dflt, "HTTP://Example.COM/Path", &["http://example.com/path"]),
        ("url case kept", &lower_off, "HTTPS://Example.com/A", &["HTTPS://Example.com/A"]),
        ("url in sentence with parens", &dflt, "(see https://x.org/a_(b)).", &["see", "https://x.org/a_(b)"]),
        ("uppercase www is an ordinary word", &dflt, "WWW.BBC.CO.UK/news", &["www.bbc.co.uk", "news"]),
        ("url balanced parens", &dflt, "(http://x.org/wiki/Foo_(bar))", &["http://x.org/wiki/foo_(bar)"]),
        ("url trailing punctuation", &dflt, "at http://bbc.co.uk/news!, then", &["at", "http://bbc.co.uk/news", "then"]),
        ("url in quotes", &dflt, "“https://example.com/x”", &["https://example.com/x"]),
        ("url in angle brackets", &dflt, "<https://example.com/x>", &["https://example.com/x"]),
        ("url after colon", &dflt, "site:https://a.org", &["site", "https://a.org"]),
        ("url unicode path", &dflt, "https://de.wikipedia.org/wiki/Köln.", &["https://de.wikipedia.org/wiki/köln"]),
        ("unknown scheme", &dflt, "foo://bar", &["foo", "bar"]),
        ("scheme without host", &dflt, "http:// x", &["http", "x"]),
        ("scheme inside word", &dflt, "xhttp://a.com", &["xhttp", "a.com"]),
        ("www url", &dflt, "visit www.example.org/path, now", &["visit", "www.example.org/path", "now"]),
        ("www needs a dotted host", &dflt, "www.example and www.", &["www.example", "and", "www"]),
        ("email", &dflt, "mail jane.doe@example.co.uk.", &["mail", "jane.doe@example.co.uk"]),
        ("email in brackets", &dflt, "(Jane.Doe@Example.com)", &["jane.doe@example.com"]),
        ("email mailto", &dflt, "mailto:jane@x.org", &["mailto", "jane@x.org"]),
        ("not an email", &dflt, "foo@bar and a@b.c", &["foo", "bar", "and", "a", "b.c"]),
        ("handle", &dflt, "@BBCNews said", &["@bbcnews", "said"]),
        ("handle possessive", &dflt, "@BBCNews’s report", &["@bbcnews", "report"]),
        ("hashtags", &dflt, "#Brexit #COP26, #MeToo-era", &["#brexit", "#cop26", "#metoo", "era"]),
        ("hashtag with unicode", &dflt, "#Zürich", &["#zürich"]),
        ("number is not a hashtag", &dflt, "#1 hit", &["1", "hit"]),
        ("hashtag is not a number", &numbers_off, "#COP26 @123", &["#cop26", "@123"]),
        ("lone sigils", &dflt, "@ # @@ ## a @", &["a"]),
        ("sigil inside word", &dflt, "C#is a&#39;b x@y", &["c", "is", "a", "39", "b", "x", "y"]),
        ("double sigil", &dflt, "##tag @@user", &["tag", "user"]),
        ("special off", &special_off, "@BBCNews #Brexit https://x.com/a jane@x.org", &["bbcnews", "brexit", "https", "x.com", "a", "jane", "x.org"]),
        ("special tokens with min length", &min3, "@a #b https://x.co", &["https://x.co"]),
        // Non-ASCII.
        ("german", &dflt, "Straße GRÜSSE Ärger", &["straße", "grüsse", "ärger"]),
        ("french", &dflt, "L’État aujourd’hui, déjà-vu", &["l'état", "aujourd'hui", "déjà-vu"]),
        ("greek final sigma", &dflt, "ΟΔΟΣ ΣΟΦΟΣ", &["οδος", "σοφος"]),
        ("turkish dotted capital i", &dflt, "İSTANBUL", &["i\u{307}stanbul"]),
        ("cyrillic", &dflt, "Привет, мир!", &["привет", "мир"]),
        ("han ideographs one by one", &dflt, "東京都に行く", &["東", "京", "都", "に", "行", "く"]),
        ("katakana run", &dflt, "カタカナ", &["カタカナ"]),
        ("arabic", &dflt, "مرحبا بالعالم", &["مرحبا", "بالعالم"]),
        ("hebrew", &dflt, "שָׁלוֹם", &["שָׁלוֹם"]),
        ("emoji dropped", &dflt, "I ❤️ NY 👍🏽 🇬🇧!", &["i", "ny"]),
        ("arabic-indic digits", &numbers_off, "٣٤ abc", &["abc"]),
        ("nbsp separates", &dflt, "10\u{a0}km", &["10", "km"]),
        ("narrow nbsp joins digits (ExtendNumLet)", &dflt, "100\u{202f}000", &["100000"]),
        // Hostile input.
        ("nul bytes", &dflt, "a\0b\0\0c\0", &["a", "b", "c"]),
        ("lone combining mark", &dflt, "\u{301}", &[]),
        ("combining mark after space", &dflt, "x \u{301}y", &["x", "y"]),
        ("combining mark kept on letter", &dflt, "e\u{301}", &["e\u{301}"]),
        ("letter-like mark after space", &dflt, "x \u{93e}", &["x", "\u{93e}"]),
        ("letter-like mark after nul", &dflt, "\0\u{93e}", &["\u{93e}"]),
        ("nfkc space removed", &nfkc, "\u{fe70}", &["\u{64b}"]),
        ("soft hyphen removed", &dflt, "co\u{ad}op", &["coop"]),
        ("ideographic space before letter-like mark", &dflt, "\u{3000}\u{93e} \u{a0}\u{93e}", &["\u{93e}", "\u{93e}"]),
        ("zero width joiner", &dflt, "a\u{200d}b", &["a\u{200d}b"]),
        ("line separators", &dflt, "a\u{2028}b\u{85}c\r\nd", &["a", "b", "c", "d"]),
    ];
    let mut failures = Vec::new();
    for (name, cfg, input, expected) in &cases {
        let got = terms(cfg, input);
        if got != *expected {
            failures.push(format!(
                "{name}: {input:?} gave {got:?}, expected {expected:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn offsets_are_source_spans() {
    let text = "Russia’s well‐known #Brexit, don’t see www.bbc.co.uk. Workers' PUTIN'S";
    let got = tokens(&default(), text);
    let spans: Vec<(&str, &str)> = got
        .iter()
        .map(|(t, s, e)| (t.as_str(), &text[*s..*e]))
        .collect();
    assert_eq!(
        spans,
        [
            ("russia", "Russia"),
            ("well-known", "well‐known"),
            ("#brexit", "#Brexit"),
            ("don't", "don’t"),
            ("see", "see"),
            ("www.bbc.co.uk", "www.bbc.co.uk"),
            ("workers", "Workers"),
            ("putin", "PUTIN"),
        ]
    );
    assert_eq!(tokens(&default(), "  ab  ")[0], ("ab".to_owned(), 2, 4));
    assert_eq!(tokens(&default(), "é’s")[0], ("é".to_owned(), 0, 2));
    // Leading whitespace that UAX #29 attaches to a combining mark is not part of the span.
    assert_eq!(
        tokens(&default(), "x\u{3000}\u{93e}")[1],
        ("\u{93e}".to_owned(), 4, 7)
    );
}

#[test]
fn term_borrows_source_when_unchanged() {
    let text = "plain words only";
    let tokenizer = WordTokenizer::new(default());
    let range = text.as_bytes().as_ptr_range();
    let mut count = 0;
    tokenizer.for_each_token(text, |term, _, _| {
        assert!(range.contains(&term.as_ptr()), "term {term:?} was copied");
        count += 1;
    });
    assert_eq!(count, 3);
}

#[test]
fn config_accessors() {
    fn shareable<T: Send + Sync + Clone + std::fmt::Debug>() {}
    shareable::<WordTokenizer>();
    let cfg = config(|c| c.min_length = 4);
    let tokenizer = WordTokenizer::new(cfg.clone());
    assert_eq!(tokenizer.config(), &cfg);
    let d = WordTokenizerConfig::default();
    assert!(d.lowercase && !d.drop_numbers && !d.nfkc && d.min_length == 1 && d.special_tokens);
}

#[test]
fn stop_words_are_tokenizer_terms() {
    let tokenizer = WordTokenizer::new(default());
    for word in stop_words::ENGLISH {
        let got: Vec<String> = tokenizer.tokenize(word).into_iter().map(|t| t.0).collect();
        assert_eq!(
            got,
            [*word],
            "stop word {word:?} is not a single default term"
        );
    }
}

#[test]
fn wseg_space_matches_unicode_segmentation() {
    // WB3d keeps a WSegSpace character and a following space in one segment.
    for c in (0..=0xFFFF).filter_map(char::from_u32) {
        let joined = format!("{c} ").split_word_bounds().count() == 1;
        assert_eq!(is_wseg_space(c), joined, "U+{:04X}", u32::from(c));
    }
}

/// Deterministic generator for the equivalence tests (`SplitMix64`).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn text(&mut self, pieces: &[&str], max_pieces: usize) -> String {
        let n = self.below(max_pieces + 1);
        (0..n).map(|_| pieces[self.below(pieces.len())]).collect()
    }
}

const ASCII_PIECES: &[&str] = &[
    "a",
    "b",
    "S",
    "s",
    "Z",
    "x",
    "0",
    "1",
    "9",
    "_",
    " ",
    " ",
    "  ",
    ".",
    ",",
    ":",
    ";",
    "'",
    "'s",
    "-",
    "--",
    "@",
    "#",
    "/",
    "!",
    "?",
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\"",
    "(",
    ")",
    "&",
    "\0",
    "\x0b",
    "www.",
    "://",
    "http",
    "https://",
    "x.com",
    "co.uk",
    "ab",
    "12",
    "A.B.",
    "3.5",
    "1,000",
    "it's",
    "e@x.io",
    // Runs longer than the eight bytes the fast path classifies at once.
    "internationalisation",
    "ABCDEFGHIJKLMNOPQ",
    "1234567890123",
    "snake_case_name",
    "Mixed9Case_",
    "zZ@[`{/:",
];

const MIXED_PIECES: &[&str] = &[
    "é",
    "É",
    "’",
    "’s",
    "ʼ",
    "‘",
    "\u{301}",
    "\u{93e}",
    "\u{3000}",
    "\u{2000}",
    "\u{2007}",
    "\u{200d}",
    "\u{200b}",
    "\u{ad}",
    "\u{fe0f}",
    "🇬",
    "🇧",
    "👍",
    "\u{1f3fd}",
    "❤",
    "ש",
    "\"",
    "カ",
    "東",
    "·",
    "٣",
    "\u{202f}",
    "\u{85}",
    "\u{2010}",
    "\u{2011}",
    "—",
    "Σ",
    "İ",
    "\u{fe70}",
    "½",
    "ﬁ",
    "\u{2028}",
    "\u{a0}",
    "\u{ff0e}",
    "\u{2024}",
    "ß",
];

fn check_equivalence(text: &str, configs: &[WordTokenizerConfig]) {
    assert_eq!(
        segments(text, Path::Fast),
        segments(text, Path::Slow),
        "segments differ on {text:?}"
    );
    for cfg in configs {
        tokens(cfg, text);
    }
}

fn equivalence_configs() -> Vec<WordTokenizerConfig> {
    vec![
        default(),
        config(|c| c.special_tokens = false),
        config(|c| {
            c.lowercase = false;
            c.drop_numbers = true;
            c.nfkc = true;
            c.min_length = 2;
        }),
    ]
}

#[test]
fn fast_path_matches_slow_path_on_generated_ascii() {
    let configs = equivalence_configs();
    let mut rng = Rng(0x5EED_0001);
    let single_bytes: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
    let single_refs: Vec<&str> = single_bytes.iter().map(String::as_str).collect();
    for i in 0..20_000 {
        // Every ASCII byte appears, but structured pieces make joins and specials likely.
        let text = if i % 4 == 0 {
            rng.text(&single_refs, 24)
        } else {
            rng.text(ASCII_PIECES, 24)
        };
        assert!(text.is_ascii());
        check_equivalence(&text, &configs[i % configs.len()..=i % configs.len()]);
    }
}

/// Pieces at the edges of the fast path's hand-over rules, densely mixed.
const TRICKY_PIECES: &[&str] = &[
    " ", "  ", "\u{3000}", "\u{2000}", "\u{93e}", "\u{301}", "\u{200d}", "\u{ad}", "a", "1", ".",
    "'", ":", ",", "_", "\r", "\n", "\t", "\0", "é", "’", "٣", "ש", "\"", "カ", "🇬", "👍", "-",
    "#", "@", "abcdefg", "XYZ0123",
];

#[test]
fn fast_path_matches_slow_path_on_generated_tricky_text() {
    let configs = equivalence_configs();
    let mut rng = Rng(0x5EED_0003);
    for i in 0..30_000 {
        let text = rng.text(TRICKY_PIECES, 12);
        check_equivalence(&text, &configs[i % configs.len()..=i % configs.len()]);
    }
}

#[test]
fn fast_path_matches_slow_path_on_generated_mixed_text() {
    let configs = equivalence_configs();
    let mut rng = Rng(0x5EED_0002);
    let mut pieces: Vec<&str> = ASCII_PIECES.to_vec();
    pieces.extend_from_slice(MIXED_PIECES);
    for i in 0..20_000 {
        let mut text = rng.text(&pieces, 20);
        if i % 3 == 0 {
            // Mostly ASCII with a rare non-ASCII character, like real news text.
            text = rng.text(ASCII_PIECES, 20)
                + MIXED_PIECES[rng.below(MIXED_PIECES.len())]
                + &rng.text(ASCII_PIECES, 20);
        }
        check_equivalence(&text, &configs[i % configs.len()..=i % configs.len()]);
    }
}

/// Where the news corpus lives: `$NEWSTALLY_NEWS_DIR`, or a `shared/data/news` folder next to
/// (or above) the crate.
fn corpus_dir() -> Option<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<PathBuf> = std::env::var_os("NEWSTALLY_NEWS_DIR")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend(manifest.ancestors().map(|dir| dir.join("shared/data/news")));
    candidates.push(PathBuf::from("/work/shared/data/news"));
    candidates.into_iter().find(|dir| dir.is_dir())
}

/// Texts of the `*.jsonl` files in the corpus, at most `max_bytes_per_file` of text from each.
fn corpus_texts(max_bytes_per_file: usize) -> Vec<(String, String)> {
    let Some(dir) = corpus_dir() else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let content = std::fs::read_to_string(&file).expect("read corpus file");
        let mut bytes = 0;
        for line in content.lines().filter(|l| !l.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line).expect("corpus line is JSON");
            if let Some(text) = value.get("text").and_then(|t| t.as_str()) {
                bytes += text.len();
                out.push((name.clone(), text.to_owned()));
            }
            if bytes >= max_bytes_per_file {
                break;
            }
        }
    }
    out
}

#[test]
fn fast_path_matches_slow_path_on_corpus() {
    // Debug builds check a sample of each file; release builds check everything.
    let limit = if cfg!(debug_assertions) {
        1_500_000
    } else {
        usize::MAX
    };
    let texts = corpus_texts(limit);
    if texts.is_empty() {
        eprintln!("news corpus not found; set NEWSTALLY_NEWS_DIR to check the fast path on it");
        return;
    }
    let configs = [default(), config(|c| c.special_tokens = false)];
    for (_, text) in &texts {
        check_equivalence(text, &configs);
    }
}

fn assert_quick(label: &str, started: Instant) {
    // Generous for debug builds; quadratic behaviour on these inputs would take hours.
    let limit = Duration::from_secs(20);
    let took = started.elapsed();
    assert!(took < limit, "{label} took {took:?}");
}

#[test]
fn long_runs_without_spaces() {
    let tokenizer = WordTokenizer::new(default());
    let five_mb = 5 * 1024 * 1024;

    let started = Instant::now();
    let text = "a".repeat(five_mb);
    let mut seen = Vec::new();
    tokenizer.for_each_token(&text, |t, s, e| seen.push((t.len(), s, e)));
    assert_eq!(seen, [(five_mb, 0, five_mb)]);
    assert_quick("5 MB of one letter", started);

    let started = Instant::now();
    let text = "A".repeat(five_mb);
    let got = tokenizer.tokenize(&text);
    assert_eq!(got.len(), 1);
    assert!(got[0].0.bytes().all(|b| b == b'a') && got[0].0.len() == five_mb);
    assert_quick("5 MB of one capital letter", started);

    let started = Instant::now();
    let text = "é".repeat(five_mb / 2);
    let got = tokenizer.tokenize(&text);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].1, got[0].2), (0, text.len()));
    assert_quick("5 MB of one non-ASCII letter", started);
}

#[test]
fn hostile_inputs_are_linear() {
    let tokenizer = WordTokenizer::new(default());
    let n = 400_000;
    let inputs: Vec<(&str, String)> = vec![
        ("dots", "a.".repeat(n)),
        ("digit commas", "1,".repeat(n)),
        ("at signs", "@".repeat(n)),
        ("hashes", "#a".repeat(n)),
        ("www", "www.".repeat(n)),
        ("schemes", "http://".repeat(n)),
        ("scheme separators", "://".repeat(n)),
        ("failed emails", "a@b.".repeat(n)),
        ("emails", "a@bc.de,".repeat(n)),
        ("long local part", "a".repeat(n) + "@x.com"),
        ("long domain", "a@".to_owned() + &"b.".repeat(n)),
        (
            "unbalanced url",
            "http://x.com/".to_owned() + &")".repeat(n),
        ),
        ("spaces", " ".repeat(n)),
        ("spaces then mark", " ".repeat(n) + "\u{301}"),
        ("marks", "\u{301}".repeat(n)),
        ("letter then marks", "a".repeat(n) + &"\u{301}".repeat(n)),
        ("hyphens", "a-".repeat(n)),
        ("apostrophes", "a'".repeat(n)),
        ("alternating scripts", "aé".repeat(n)),
        ("ideographic spaces", "\u{3000} ".repeat(n)),
        ("nul", "\0".repeat(n)),
        ("flags", "🇬🇧".repeat(n / 4)),
    ];
    for (label, text) in &inputs {
        let started = Instant::now();
        let mut count = 0usize;
        let mut last_end = 0;
        tokenizer.for_each_token(text, |term, start, end| {
            assert!(!term.is_empty() && !term.chars().any(|c| c.is_whitespace() || c.is_control()));
            assert!(start >= last_end && start < end);
            last_end = end;
            count += 1;
        });
        assert_quick(label, started);
        assert!(count <= text.len());
    }
}

#[test]
#[ignore = "benchmark: cargo test --release -- --ignored --nocapture"]
fn corpus_throughput() {
    let texts = corpus_texts(usize::MAX);
    assert!(
        !texts.is_empty(),
        "news corpus not found; set NEWSTALLY_NEWS_DIR"
    );
    let total: usize = texts.iter().map(|(_, t)| t.len()).sum();
    println!("corpus: {} documents, {:.1} MB", texts.len(), mb(total));

    let tokenizer = WordTokenizer::new(default());
    // The machine may be shared: on-CPU time tells the tokenizer's speed apart from time spent
    // waiting for a core. The wall-clock median is the headline figure.
    let measure = |label: &str, run: &dyn Fn() -> usize| {
        let mut wall = Vec::new();
        let mut cpu = Vec::new();
        for _ in 0..3 {
            let cpu_before = thread_cpu_time();
            let started = Instant::now();
            std::hint::black_box(run());
            wall.push(mb(total) / started.elapsed().as_secs_f64());
            if let (Some(before), Some(after)) = (cpu_before, thread_cpu_time()) {
                cpu.push(mb(total) / after.saturating_sub(before).as_secs_f64());
            }
        }
        wall.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        let cpu_median = cpu
            .get(1)
            .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.1} MB/s"));
        println!(
            "{label:<44} median {:>6.1} MB/s wall (runs {wall:.1?}), {cpu_median} on-CPU",
            wall[1]
        );
    };
    measure("for_each_token (default config)", &|| {
        let mut sum = 0usize;
        for (_, text) in &texts {
            tokenizer.for_each_token(text, |term, start, end| {
                sum = sum.wrapping_add(term.len() ^ start ^ end);
            });
        }
        sum
    });
    let all_options = WordTokenizer::new(config(|c| {
        c.drop_numbers = true;
        c.nfkc = true;
        c.min_length = 2;
    }));
    measure("for_each_token (drop_numbers, nfkc, min 2)", &|| {
        let mut sum = 0usize;
        for (_, text) in &texts {
            all_options.for_each_token(text, |term, _, _| sum = sum.wrapping_add(term.len()));
        }
        sum
    });
    measure("tokenize (collects owned Strings)", &|| {
        texts.iter().map(|(_, t)| tokenizer.tokenize(t).len()).sum()
    });
    measure("slow path (unicode-segmentation only)", &|| {
        let mut sum = 0usize;
        for (_, text) in &texts {
            tokenizer.for_each_token_slow(text, |term, _, _| sum = sum.wrapping_add(term.len()));
        }
        sum
    });
    measure("split_word_bound_indices alone", &|| {
        texts
            .iter()
            .map(|(_, t)| {
                t.split_word_bound_indices()
                    .filter(|(_, w)| w.len() > 1)
                    .count()
            })
            .sum()
    });

    let token_count: usize = texts.iter().map(|(_, t)| tokenizer.tokenize(t).len()).sum();
    println!("tokens: {token_count}");
    for (name, text) in texts.iter().step_by(texts.len() / 4) {
        let sample: Vec<String> = tokenizer
            .tokenize(text)
            .into_iter()
            .take(40)
            .map(|t| t.0)
            .collect();
        println!("\n{name}: {}", sample.join(" "));
    }
    let mut specials: Vec<String> = Vec::new();
    for (_, text) in &texts {
        tokenizer.for_each_token(text, |term, _, _| {
            if term.contains(['@', '#', '/', '\'', '-'])
                && specials.len() < 60
                && !specials.iter().any(|s| s == term)
            {
                specials.push(term.to_owned());
            }
        });
    }
    println!("\nterms with @ # / ' -: {}", specials.join(" "));
}

/// Time this thread has spent on a CPU, where Linux tells it.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

fn mb(bytes: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "display only")]
    let bytes = bytes as f64;
    bytes / 1e6
}
