//! Word lists used to decide whether a period ends a sentence.
//!
//! Every list is lowercase ASCII and sorted, and is packed at compile time into sorted integer
//! keys for allocation-free binary search; a unit test guards these properties because a
//! misplaced entry would silently stop matching.

/// How an abbreviation behaves when the next word is capitalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Always followed by the thing it qualifies ("Mr. Smith", "vs. Apple"), so never sentence-final.
    Title,
    /// May end a sentence ("... of Acme Inc. The company ..."); the next word decides.
    Ordinary,
    /// Usually ends a list and therefore often the sentence ("etc."): any capitalized word splits.
    EndProne,
    /// Only an abbreviation before a numeral ("No. 5"); elsewhere an ordinary word.
    Numeric,
}

/// Titles and connectives that precede a name or another phrase. Splitting after them is almost
/// always wrong, even before a common sentence starter ("Dr. No", "vs. The Times").
pub(super) const TITLES: &[&str] = &[
    "a.k.a", "adm", "amb", "atty", "brig", "capt", "cdr", "cf", "chas", "cmdr", "col", "comdr",
    "cpl", "det", "dr", "drs", "e.g", "fr", "gen", "gens", "gov", "govs", "hon", "i.e", "insp",
    "jas", "lieut", "lt", "maj", "messrs", "mlle", "mme", "mmes", "mr", "mrs", "ms", "msgr", "mx",
    "pfc", "pres", "prof", "profs", "pvt", "rep", "reps", "rev", "rt", "sen", "sens", "sgt",
    "supt", "thos", "viz", "vs", "wm",
];

/// Abbreviations that can legitimately end a sentence (company suffixes, street types, units),
/// matched in any letter case.
pub(super) const ORDINARY: &[&str] = &[
    "al", "approx", "assn", "assoc", "ave", "bhd", "bldg", "blvd", "bros", "ca", "co", "corp",
    "cos", "dept", "dist", "div", "esq", "est", "fig", "figs", "ft", "govt", "hr", "hrs", "hwy",
    "inc", "intl", "jr", "lb", "lbs", "ltd", "mfg", "mgmt", "mgr", "mt", "natl", "oz", "plc", "pp",
    "pt", "pty", "qtr", "rd", "sq", "sr", "st", "ste", "tel", "univ", "vol", "vols", "yr", "yrs",
];

/// Abbreviations that are also ordinary lowercase words ("ill.", "mass.", "wash."), so they only
/// count as abbreviations when capitalized: months, weekdays, the state and province
/// abbreviations of North American datelines, and "Alex." of the broker "Alex. Brown".
pub(super) const CAPITALIZED: &[&str] = &[
    "ala", "alex", "alta", "apr", "ariz", "ark", "aug", "calif", "colo", "conn", "dec", "del",
    "feb", "fla", "fri", "ga", "ill", "ind", "jan", "jul", "jun", "kan", "kans", "ky", "la", "mar",
    "mass", "md", "mich", "minn", "miss", "mo", "mon", "mont", "neb", "nev", "nfld", "nov", "oct",
    "okla", "ont", "ore", "pa", "penn", "que", "sask", "sep", "sept", "tenn", "tex", "thu", "thur",
    "thurs", "tue", "tues", "va", "vt", "wash", "wis", "wyo",
];

/// Abbreviations that usually close an enumeration.
pub(super) const END_PRONE: &[&str] = &["etc"];

/// Abbreviations of "number", which are only abbreviations before a numeral ("No. 1"); before a
/// word they are the answer "no" ("'No. Definitely not.'").
pub(super) const NUMERIC: &[&str] = &["no", "nos"];

/// Company suffixes, which continue a name even after an exclamation mark ("Yahoo! Inc.").
pub(super) const COMPANY_SUFFIXES: &[&str] = &[
    "ag", "bhd", "co", "corp", "cos", "inc", "llc", "ltd", "plc", "pty", "sa",
];

/// Function words and discourse markers that commonly open an English news sentence. After an
/// ambiguous abbreviation ("Inc.", "U.S.", an initial) a following capitalized word from this list
/// means a new sentence, while a proper noun ("U.S. Treasury", "John F. Kennedy") does not.
/// Deliberately excludes words that often continue a name ("Under Secretary", "First Boston"),
/// and verbs and conjunctions ("Is", "Has", "And", "Were"): they rarely open a news sentence but
/// do follow an abbreviation in copy that capitalizes words after abbreviations, as the Reuters
/// corpus does ("the U.S. Is pressing", "J.B. Were & Son").
pub(super) const STARTERS: &[&str] = &[
    "a",
    "about",
    "according",
    "after",
    "again",
    "all",
    "also",
    "although",
    "among",
    "an",
    "analysts",
    "another",
    "any",
    "as",
    "asked",
    "at",
    "because",
    "before",
    "besides",
    "both",
    "but",
    "by",
    "despite",
    "during",
    "each",
    "earlier",
    "either",
    "even",
    "every",
    "few",
    "finally",
    "following",
    "for",
    "from",
    "further",
    "furthermore",
    "given",
    "he",
    "her",
    "here",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "including",
    "indeed",
    "instead",
    "it",
    "its",
    "last",
    "later",
    "many",
    "meanwhile",
    "moreover",
    "most",
    "much",
    "my",
    "neither",
    "nevertheless",
    "no",
    "nonetheless",
    "now",
    "on",
    "once",
    "one",
    "only",
    "other",
    "others",
    "our",
    "overall",
    "perhaps",
    "prior",
    "rather",
    "separately",
    "she",
    "since",
    "so",
    "some",
    "still",
    "such",
    "that",
    "the",
    "their",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "thus",
    "today",
    "together",
    "unlike",
    "until",
    "we",
    "what",
    "when",
    "where",
    "whether",
    "while",
    "who",
    "why",
    "with",
    "yesterday",
    "yet",
    "you",
    "your",
];

/// Longest word, in bytes, that a packed key can hold.
pub(super) const MAX_KEY: usize = 16;

/// Packs an ASCII word, lowercased, into a big-endian integer padded with zero bytes. For words
/// of at most [`MAX_KEY`] bytes the packing preserves lexicographic order, so a sorted word list
/// packs into a sorted integer list, and a lookup compares integers instead of calling `memcmp`.
/// Longer words are truncated; callers reject them first.
pub(super) const fn pack(word: &[u8]) -> u128 {
    let mut key = 0u128;
    let mut i = 0;
    while i < MAX_KEY {
        key <<= 8;
        if i < word.len() {
            key |= word[i].to_ascii_lowercase() as u128;
        }
        i += 1;
    }
    key
}

const fn pack_all<const N: usize>(list: &[&str]) -> [u128; N] {
    let mut keys = [0u128; N];
    let mut i = 0;
    while i < N {
        keys[i] = pack(list[i].as_bytes());
        i += 1;
    }
    keys
}

pub(super) const TITLE_KEYS: [u128; TITLES.len()] = pack_all(TITLES);
pub(super) const ORDINARY_KEYS: [u128; ORDINARY.len()] = pack_all(ORDINARY);
pub(super) const CAPITALIZED_KEYS: [u128; CAPITALIZED.len()] = pack_all(CAPITALIZED);
pub(super) const END_PRONE_KEYS: [u128; END_PRONE.len()] = pack_all(END_PRONE);
pub(super) const NUMERIC_KEYS: [u128; NUMERIC.len()] = pack_all(NUMERIC);
pub(super) const COMPANY_KEYS: [u128; COMPANY_SUFFIXES.len()] = pack_all(COMPANY_SUFFIXES);
pub(super) const STARTER_KEYS: [u128; STARTERS.len()] = pack_all(STARTERS);

/// Longest built-in abbreviation, so longer words skip the lookup.
pub(super) const MAX_ABBREVIATION: usize = 6;

fn contains(keys: &[u128], key: u128) -> bool {
    keys.binary_search(&key).is_ok()
}

/// Looks up a built-in abbreviation given the [`pack`]ed word without its final period;
/// `capitalized` tells whether the word as written began with an uppercase letter.
pub(super) fn builtin(key: u128, capitalized: bool) -> Option<Kind> {
    if contains(&TITLE_KEYS, key) {
        Some(Kind::Title)
    } else if contains(&END_PRONE_KEYS, key) {
        Some(Kind::EndProne)
    } else if contains(&NUMERIC_KEYS, key) {
        Some(Kind::Numeric)
    } else if contains(&ORDINARY_KEYS, key) || (capitalized && contains(&CAPITALIZED_KEYS, key)) {
        Some(Kind::Ordinary)
    } else {
        None
    }
}

/// Whether the [`pack`]ed word is a company suffix.
pub(super) fn is_company_suffix(key: u128) -> bool {
    contains(&COMPANY_KEYS, key)
}

/// Whether the [`pack`]ed word is a common sentence-opening word.
pub(super) fn is_starter(key: u128) -> bool {
    contains(&STARTER_KEYS, key)
}
