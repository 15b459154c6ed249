use std::fmt::Write as _;
use std::ops::Range;
use std::time::{Duration, Instant};

use super::SentenceSplitter;
use super::abbreviations::{
    CAPITALIZED, CAPITALIZED_KEYS, COMPANY_KEYS, COMPANY_SUFFIXES, END_PRONE, END_PRONE_KEYS,
    MAX_ABBREVIATION, MAX_KEY, NUMERIC, NUMERIC_KEYS, ORDINARY, ORDINARY_KEYS, STARTER_KEYS,
    STARTERS, TITLE_KEYS, TITLES,
};

/// (name, input, expected sentences) for the default splitter.
const CASES: &[(&str, &str, &[&str])] = &[
    // Basics and whitespace ownership.
    ("empty", "", &[]),
    ("no terminator", "Hello world", &["Hello world"]),
    (
        "two sentences",
        "Hello world. Goodbye world.",
        &["Hello world. ", "Goodbye world."],
    ),
    (
        "question and exclamation",
        "Is it? Yes! It is.",
        &["Is it? ", "Yes! ", "It is."],
    ),
    (
        "interrobang run",
        "Really?! I can't believe it.",
        &["Really?! ", "I can't believe it."],
    ),
    (
        "trailing whitespace goes with sentence",
        "One.  Two.  ",
        &["One.  ", "Two.  "],
    ),
    (
        "leading whitespace belongs to first",
        "  \n One. Two.",
        &["  \n One. ", "Two."],
    ),
    (
        "leading blank lines",
        "\n\n\nTitle\n\nBody.",
        &["\n\n\nTitle\n\n", "Body."],
    ),
    ("whitespace only", "  \n\n  ", &["  \n\n  "]),
    (
        "tabs and spaces",
        "One.\tTwo.   Three.",
        &["One.\t", "Two.   ", "Three."],
    ),
    ("terminator at end with newline", "Hello.\n", &["Hello.\n"]),
    (
        "currency start",
        "Costs rose. $5 million was spent.",
        &["Costs rose. ", "$5 million was spent."],
    ),
    // Line breaks and paragraphs.
    (
        "single newline does not split",
        "The company said\nprofits rose.",
        &["The company said\nprofits rose."],
    ),
    (
        "hard wrap after period",
        "Profits rose.\nThe company said so.",
        &["Profits rose.\n", "The company said so."],
    ),
    (
        "headline paragraph",
        "BAHIA COCOA REVIEW\n\nShowers continued.",
        &["BAHIA COCOA REVIEW\n\n", "Showers continued."],
    ),
    (
        "blank line with spaces",
        "Headline one\n   \n  Body text",
        &["Headline one\n   \n  ", "Body text"],
    ),
    (
        "paragraph before lowercase",
        "first part\n\nsecond part",
        &["first part\n\n", "second part"],
    ),
    (
        "crlf",
        "Title\r\n\r\nBody.\r\nMore.",
        &["Title\r\n\r\n", "Body.\r\n", "More."],
    ),
    (
        "lone cr",
        "One.\rTwo.\r\rthree",
        &["One.\r", "Two.\r\r", "three"],
    ),
    (
        "paragraph separator",
        "Title\u{2029}Body",
        &["Title\u{2029}", "Body"],
    ),
    (
        "paragraph after abbreviation",
        "Acme Inc.\n\nMr.\n\nSmith",
        &["Acme Inc.\n\n", "Mr.\n\n", "Smith"],
    ),
    (
        "reuters table stays together",
        "Shr 1.50 dlrs vs 1.20 dlrs\n    Net 5 mln vs 4 mln\n    Note: full year.",
        &["Shr 1.50 dlrs vs 1.20 dlrs\n    Net 5 mln vs 4 mln\n    Note: full year."],
    ),
    (
        "indented line after company suffix",
        "sold to San Mateo\nInc.\n    Terms were not disclosed.",
        &["sold to San Mateo\nInc.\n    ", "Terms were not disclosed."],
    ),
    (
        "wrapped line after company suffix",
        "Acme\nInc.\nChairman Smith said.",
        &["Acme\nInc.\nChairman Smith said."],
    ),
    // Titles and ordinary abbreviations.
    (
        "titles",
        "Mr. Smith met Mrs. Jones and Dr. Who at noon.",
        &["Mr. Smith met Mrs. Jones and Dr. Who at noon."],
    ),
    (
        "military titles",
        "Gen. Powell and Lt. Col. North testified. Sgt. York did not.",
        &[
            "Gen. Powell and Lt. Col. North testified. ",
            "Sgt. York did not.",
        ],
    ),
    (
        "political titles",
        "Sen. Kennedy and Rep. Smith met Gov. Brown. They agreed.",
        &[
            "Sen. Kennedy and Rep. Smith met Gov. Brown. ",
            "They agreed.",
        ],
    ),
    (
        "title before starter word",
        "Dr. No is a film.",
        &["Dr. No is a film."],
    ),
    (
        "hyphenated title",
        "The ex-Gov. Brown spoke.",
        &["The ex-Gov. Brown spoke."],
    ),
    (
        "jr mid sentence",
        "Martin Luther King Jr. Day is a holiday.",
        &["Martin Luther King Jr. Day is a holiday."],
    ),
    (
        "jr at end",
        "The speech was by Martin Luther King Jr. It was moving.",
        &[
            "The speech was by Martin Luther King Jr. ",
            "It was moving.",
        ],
    ),
    (
        "no with number",
        "He was ranked No. 1 in Vol. 3 of the list.",
        &["He was ranked No. 1 in Vol. 3 of the list."],
    ),
    (
        "no as an answer",
        "\"No. Definitely not,\" he said.",
        &["\"No. ", "Definitely not,\" he said."],
    ),
    (
        "percent at end",
        "Growth was 5 pct. Final figures come later.",
        &["Growth was 5 pct. ", "Final figures come later."],
    ),
    (
        "month abbreviations",
        "The meeting on Jan. 15 was moved to Feb. 3. The board agreed.",
        &[
            "The meeting on Jan. 15 was moved to Feb. 3. ",
            "The board agreed.",
        ],
    ),
    (
        "versus",
        "It was Apple vs. Samsung in court.",
        &["It was Apple vs. Samsung in court."],
    ),
    (
        "etc before lowercase",
        "apples, pears, etc. and more fruit.",
        &["apples, pears, etc. and more fruit."],
    ),
    (
        "etc before capital",
        "apples, pears, etc. Prices rose.",
        &["apples, pears, etc. ", "Prices rose."],
    ),
    (
        "places",
        "She climbed Mt. Everest and visited St. Louis. It was fun.",
        &[
            "She climbed Mt. Everest and visited St. Louis. ",
            "It was fun.",
        ],
    ),
    (
        "state abbreviation",
        "He lives in Dallas, Tex. The city is big.",
        &["He lives in Dallas, Tex. ", "The city is big."],
    ),
    (
        "lowercase word that is a state abbreviation",
        "He was ill. Doctors came.",
        &["He was ill. ", "Doctors came."],
    ),
    (
        "sentence-initial title",
        "Prof. Smith said so. Dr. Jones disagreed.",
        &["Prof. Smith said so. ", "Dr. Jones disagreed."],
    ),
    (
        "nbsp after title",
        "Mr.\u{a0}Smith left. He returned.",
        &["Mr.\u{a0}Smith left. ", "He returned."],
    ),
    // Company suffixes.
    (
        "exclamation in company name",
        "Shares of Yahoo! Inc. rose. Wow! Shares fell.",
        &["Shares of Yahoo! Inc. rose. ", "Wow! ", "Shares fell."],
    ),
    (
        "abbreviation cannot end a two-word sentence",
        "The U.S. Last year was good. Acme Inc. The company.",
        &["The U.S. Last year was good. ", "Acme Inc. The company."],
    ),
    (
        "capitalized verb after acronym",
        "The U.S. Is pressing Japan, said J.B. Were analysts.",
        &["The U.S. Is pressing Japan, said J.B. Were analysts."],
    ),
    (
        "company suffix continues",
        "Acme Inc. President John Doe resigned.",
        &["Acme Inc. President John Doe resigned."],
    ),
    (
        "company suffix ends",
        "He joined Acme Inc. The company makes anvils.",
        &["He joined Acme Inc. ", "The company makes anvils."],
    ),
    (
        "corp co ltd",
        "Shares of Widget Corp. rose. Widget Co. Ltd. said so.",
        &["Shares of Widget Corp. rose. ", "Widget Co. Ltd. said so."],
    ),
    // Initials and acronyms.
    (
        "initial",
        "John F. Kennedy was president.",
        &["John F. Kennedy was president."],
    ),
    (
        "several initials",
        "J. R. R. Tolkien wrote books. C. S. Lewis did too.",
        &["J. R. R. Tolkien wrote books. ", "C. S. Lewis did too."],
    ),
    (
        "initial before starter-like initial",
        "J. A. Smith arrived.",
        &["J. A. Smith arrived."],
    ),
    (
        "us acronym inside",
        "The U.S. economy grew and U.S. Treasury yields fell.",
        &["The U.S. economy grew and U.S. Treasury yields fell."],
    ),
    (
        "us acronym at end",
        "Prices rose in the U.S. The next day they fell.",
        &["Prices rose in the U.S. ", "The next day they fell."],
    ),
    (
        "uk acronym at end",
        "He moved to the U.K. He liked it.",
        &["He moved to the U.K. ", "He liked it."],
    ),
    (
        "acronym before number",
        "The U.S. 30-year bond fell.",
        &["The U.S. 30-year bond fell."],
    ),
    (
        "eg and ie",
        "Some fruit, e.g. Apples, i.e. Red ones, sell well.",
        &["Some fruit, e.g. Apples, i.e. Red ones, sell well."],
    ),
    (
        "am and pm",
        "The vote is at 10 a.m. Tuesday and ends at 5 p.m. The results follow.",
        &[
            "The vote is at 10 a.m. Tuesday and ends at 5 p.m. ",
            "The results follow.",
        ],
    ),
    // Numbers.
    (
        "decimals",
        "Growth was 3.5 pct on 1.2 billion units of v1.2 software.",
        &["Growth was 3.5 pct on 1.2 billion units of v1.2 software."],
    ),
    (
        "number ends sentence",
        "Sales rose to 1,234. The rest fell.",
        &["Sales rose to 1,234. ", "The rest fell."],
    ),
    (
        "digit starts sentence",
        "He was born in 1950. 1987 was his best year.",
        &["He was born in 1950. ", "1987 was his best year."],
    ),
    (
        "numbered list",
        "1. Mix the flour. 2. Bake it.",
        &["1. Mix the flour. ", "2. Bake it."],
    ),
    (
        "url",
        "Visit example.com for details. Then call.",
        &["Visit example.com for details. ", "Then call."],
    ),
    // Ellipses.
    (
        "ellipsis before capital",
        "He hesitated... Then he spoke.",
        &["He hesitated... ", "Then he spoke."],
    ),
    (
        "ellipsis before lowercase",
        "He hesitated... and then spoke.",
        &["He hesitated... and then spoke."],
    ),
    (
        "unicode ellipsis",
        "Wait… The results are in… or not.",
        &["Wait… ", "The results are in… or not."],
    ),
    (
        "spaced ellipsis",
        "Wait . . . The end.",
        &["Wait . . . ", "The end."],
    ),
    // Quotes and brackets.
    (
        "full stop inside quote",
        "He said \"we will win.\" Then he left.",
        &["He said \"we will win.\" ", "Then he left."],
    ),
    (
        "quoted abbreviation-like word then lowercase",
        "'No.' he said firmly.",
        &["'No.' he said firmly."],
    ),
    (
        "comma inside quote",
        "\"Stop,\" he said. \"Now.\"",
        &["\"Stop,\" he said. ", "\"Now.\""],
    ),
    (
        "curly double quotes",
        "He said “we will win.” Then he left.",
        &["He said “we will win.” ", "Then he left."],
    ),
    (
        "curly single quotes lowercase",
        "She said ‘no.’ he replied.",
        &["She said ‘no.’ he replied."],
    ),
    (
        "opening quote starts sentence",
        "He left. “Good riddance,” she said.",
        &["He left. ", "“Good riddance,” she said."],
    ),
    (
        "question inside quote",
        "“Why?” he asked.",
        &["“Why?” he asked."],
    ),
    (
        "brackets",
        "He spoke. (The rest was silence.) Then he left.",
        &["He spoke. ", "(The rest was silence.) ", "Then he left."],
    ),
    (
        "guillemets",
        "Il a dit «oui.» Puis il est parti.",
        &["Il a dit «oui.» ", "Puis il est parti."],
    ),
    // Non-ASCII.
    (
        "umlauts",
        "Er wohnt in Zürich. Über den Fluss.",
        &["Er wohnt in Zürich. ", "Über den Fluss."],
    ),
    (
        "cjk full stop",
        "今天天气很好。我们去公园吧。",
        &["今天天气很好。", "我们去公园吧。"],
    ),
    (
        "cjk question and exclamation",
        "你好吗？我很好！",
        &["你好吗？", "我很好！"],
    ),
    (
        "japanese quote particle",
        "「はい。」と言った。次へ。",
        &["「はい。」と言った。", "次へ。"],
    ),
    (
        "emoji",
        "Fans cheered 🎉. Next week more.",
        &["Fans cheered 🎉. ", "Next week more."],
    ),
    (
        "greek",
        "Η ζωή είναι ωραία. Ναι!",
        &["Η ζωή είναι ωραία. ", "Ναι!"],
    ),
];

fn sentences<'t>(splitter: &SentenceSplitter, text: &'t str) -> Vec<&'t str> {
    splitter
        .split(text)
        .into_iter()
        .map(|range| &text[range])
        .collect()
}

#[test]
fn table() {
    let splitter = SentenceSplitter::new();
    let mut failures = String::new();
    for &(name, input, expected) in CASES {
        let got = sentences(&splitter, input);
        if got != expected {
            let _ = writeln!(
                failures,
                "{name}:\n  input:    {input:?}\n  expected: {expected:?}\n  got:      {got:?}"
            );
        }
    }
    assert!(failures.is_empty(), "failing cases:\n{failures}");
}

#[test]
fn table_is_large_enough_and_unique() {
    assert!(CASES.len() >= 40);
    let mut names: Vec<&str> = CASES.iter().map(|case| case.0).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CASES.len(), "duplicate case names");
}

#[test]
fn user_abbreviations() {
    let text = "The Senate Cmte. Chairman spoke. Ask the Cmte. The end.";
    let plain = SentenceSplitter::new();
    assert_eq!(
        sentences(&plain, text),
        [
            "The Senate Cmte. ",
            "Chairman spoke. ",
            "Ask the Cmte. ",
            "The end."
        ]
    );
    // Case-insensitive, trailing dot and whitespace tolerated, junk ignored.
    for extra in [&["cmte"][..], &["CMTE."], &[" Cmte ", "", "two words", "."]] {
        let splitter = SentenceSplitter::new().with_abbreviations(extra);
        assert_eq!(
            sentences(&splitter, text),
            [
                "The Senate Cmte. Chairman spoke. ",
                "Ask the Cmte. ",
                "The end."
            ],
            "{extra:?}"
        );
    }
    // Non-ASCII entries fold case per char; owned strings are accepted too.
    let text = "Es sprach PRÄS. Müller. Dann ging er.";
    assert_eq!(
        sentences(&plain, text),
        ["Es sprach PRÄS. ", "Müller. ", "Dann ging er."]
    );
    let splitter = SentenceSplitter::new().with_abbreviations(vec![String::from("Präs")]);
    assert_eq!(
        sentences(&splitter, text),
        ["Es sprach PRÄS. Müller. ", "Dann ging er."]
    );
}

#[test]
fn for_each_matches_split() {
    let splitter = SentenceSplitter::new();
    for &(_, input, _) in CASES {
        let mut seen = Vec::new();
        splitter.for_each_sentence(input, |range| seen.push(range));
        assert_eq!(seen, splitter.split(input));
    }
}

#[test]
fn word_lists_are_sorted_lowercase_and_disjoint() {
    let lists: [(&str, &[&str], &[u128], usize); 7] = [
        ("TITLES", TITLES, &TITLE_KEYS, MAX_ABBREVIATION),
        ("ORDINARY", ORDINARY, &ORDINARY_KEYS, MAX_ABBREVIATION),
        (
            "CAPITALIZED",
            CAPITALIZED,
            &CAPITALIZED_KEYS,
            MAX_ABBREVIATION,
        ),
        ("END_PRONE", END_PRONE, &END_PRONE_KEYS, MAX_ABBREVIATION),
        ("NUMERIC", NUMERIC, &NUMERIC_KEYS, MAX_ABBREVIATION),
        (
            "COMPANY_SUFFIXES",
            COMPANY_SUFFIXES,
            &COMPANY_KEYS,
            MAX_ABBREVIATION,
        ),
        ("STARTERS", STARTERS, &STARTER_KEYS, MAX_KEY),
    ];
    for (name, list, keys, max_len) in lists {
        assert!(
            list.windows(2).all(|w| w[0] < w[1]),
            "{name} is not strictly sorted"
        );
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "{name} keys are not strictly sorted"
        );
        for word in list {
            assert!(
                !word.is_empty()
                    && word.len() <= max_len
                    && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'.'),
                "{name}: bad entry {word:?}"
            );
        }
    }
    let mut all: Vec<&str> = [TITLES, ORDINARY, CAPITALIZED, END_PRONE, NUMERIC].concat();
    let total = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), total, "an abbreviation is listed twice");
}

/// Checks the tiling contract and returns the ranges.
fn check_invariants(splitter: &SentenceSplitter, text: &str) -> Vec<Range<usize>> {
    let ranges = splitter.split(text);
    let mut expected_start = 0;
    for (i, range) in ranges.iter().enumerate() {
        assert_eq!(
            range.start, expected_start,
            "gap or overlap in {text:?}: {ranges:?}"
        );
        assert!(
            range.start < range.end,
            "empty sentence in {text:?}: {ranges:?}"
        );
        assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
        if i > 0 {
            let first = text[range.clone()].chars().next();
            assert!(
                first.is_some_and(|c| !c.is_whitespace()),
                "sentence {i} starts with whitespace in {text:?}: {ranges:?}"
            );
        }
        expected_start = range.end;
    }
    assert_eq!(expected_start, text.len(), "ranges do not cover {text:?}");
    let joined: String = ranges.iter().map(|range| &text[range.clone()]).collect();
    assert_eq!(joined, text);
    let mut streamed = Vec::new();
    splitter.for_each_sentence(text, |range| streamed.push(range));
    assert_eq!(streamed, ranges);
    ranges
}

/// Small deterministic generator so the property test needs no extra dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

#[test]
fn property_spans_tile_the_input() {
    let splitter = SentenceSplitter::new().with_abbreviations(["Cmte", "Ph.D", "ü"]);
    let edge_cases = [
        "",
        " ",
        "\n",
        "\r\n",
        "\r\n\r\n",
        "   \t\n\n  ",
        ".",
        "..........",
        ". . . .",
        "!?!?",
        "…",
        "。",
        "A.",
        "A. ",
        " A. B",
        "\"",
        "\" \"",
        "Mr.",
        "U.S.",
        "x\u{a0}.\u{a0}Y",
        "Hello.\r\nWorld.\r\n",
        "Line one\r\nLine two\r\n\r\nPara two.\r\n",
        "🎉🎉. 🎉! Ünïcödé? ÜBER. Straße…  日本語。テスト！",
        "Ελληνικά. Русский текст. עברית. العربية؟ 한국어. हिन्दी।",
        "\u{2028}\u{2029}\u{85}\u{3000}",
        "a\u{2029}",
        "「」『』（）。。。",
    ];
    for text in edge_cases {
        check_invariants(&splitter, text);
    }
    let fragments = [
        "a", "A", "Mr", "Inc", "U.S", "The", "etc", "1", "3.5", "ü", "Ü", "日本", "🎉", "é", ".",
        ".", ".", "!", "?", "…", "。", "？", " ", " ", " ", "\n", "\n\n", "\r\n", "\r", "\t",
        "\u{a0}", "\u{3000}", "\u{2029}", "\"", "'", "“", "”", "‘", "’", "(", ")", "«", "»", "「",
        "」", "$", "-", "•",
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = rng.below(40);
        let text: String = (0..len)
            .map(|_| fragments[rng.below(fragments.len())])
            .collect();
        check_invariants(&splitter, &text);
    }
}

#[test]
fn large_inputs_are_linear() {
    const SIZE: usize = 20 << 20;
    let splitter = SentenceSplitter::new();
    let repeat = |unit: &str| unit.repeat(SIZE / unit.len() + 1);
    let news = "Acme Inc. said profits rose 3.5 pct in the U.S. The company, led by Mr. J. R. Smith, \
                expects growth.\n    \"We are pleased,\" he said. Shares rose... then fell!\n\n";
    let mixed: String = [
        repeat("."),
        repeat("word "),
        repeat("A. "),
        repeat("\n\n"),
        repeat("x.\"\"\"\"\"\"\"\"\"\""),
        repeat(". \"\"\"\"\"\"\"\"\"\"A"),
        repeat("Mr. "),
        repeat("ü…"),
    ]
    .iter()
    .map(|s| &s[..SIZE / 8])
    .collect();
    let inputs = [
        ("news", repeat(news)),
        ("only dots", repeat(".")),
        ("no punctuation, one line", repeat("abcdefghij")),
        ("mixed pathological", mixed),
    ];
    for (name, text) in &inputs {
        let started = Instant::now();
        let mut count = 0usize;
        let mut end = 0;
        splitter.for_each_sentence(text, |range| {
            assert_eq!(range.start, end);
            end = range.end;
            count += 1;
        });
        let elapsed = started.elapsed();
        assert_eq!(end, text.len(), "{name}");
        assert!(count > 0, "{name}");
        // A quadratic scan would take hours here; the bound only catches that, not slowness.
        assert!(
            elapsed < Duration::from_secs(100),
            "{name} took {elapsed:?}"
        );
    }
}
