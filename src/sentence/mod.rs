//! Sentence boundary detection tuned for English news text.
//!
//! [`SentenceSplitter`] turns a text into byte ranges that tile it exactly: every byte belongs to
//! one sentence, a sentence owns the whitespace that follows it, and the leading whitespace of
//! the text belongs to the first sentence.
//!
//! # Rules
//!
//! * A sentence ends at `.`, `!`, `?`, `…` or a run of them (`?!`, `...`), followed by optional
//!   closing quotes or brackets, then whitespace, then something that can open a sentence: an
//!   uppercase or caseless letter, a digit, a currency amount, a bullet, or an opening quote or
//!   bracket followed by one of those. A lowercase word never starts a sentence, which covers
//!   `"Why?" he asked`, ellipses inside a sentence and most abbreviations.
//! * A blank line (two or more line breaks, possibly with spaces between them) always ends a
//!   sentence, so headlines and datelines without punctuation stand alone. A single line break
//!   does not, because wire copy is hard-wrapped.
//! * A period glued to the next character (`3.5`, `v1.2`, `U.S.-based`, `example.com`) never
//!   ends a sentence.
//! * A period after an abbreviation is judged by the abbreviation and the next word:
//!   - titles such as `Mr.`, `Gen.`, `vs.` or `e.g.` never end a sentence;
//!   - `etc.` ends one before any capitalized word;
//!   - `No.` is an abbreviation only before a number;
//!   - the rest (company suffixes like `Inc.`, months, states, single-letter initials, dotted
//!     acronyms like `U.S.` and the caller's own abbreviations) end one only when the next word
//!     is a common sentence opener such as "The" or "He", or starts an indented line (how wire
//!     copy marks a paragraph), and never when the sentence would be just "The U.S." or
//!     "Acme Inc.". That keeps "U.S. Treasury" and "John F. Kennedy" together while splitting
//!     "... in the U.S. The next day".
//!
//!   No abbreviation ends a sentence before a number ("Jan. 15", "U.S. 30-year bonds").
//! * A number of one to three digits or a Roman numeral opening a sentence is a list label
//!   ("1. Mix the flour."), not a sentence.
//! * CJK terminators (`。`, `！`, `？`) end a sentence without needing a following space, except
//!   when a closing quote and a hiragana particle follow (`「はい。」と言った`).
//! * An exclamation mark followed by a company suffix is part of a name (`Yahoo! Inc.`).
//!
//! # Known limitations
//!
//! The rules are heuristics. They miss a boundary after an ambiguous abbreviation or a single
//! capital letter followed by a capitalized word that is not a common opener ("at 5 p.m.
//! Officials said", "vitamin C. Doctors say"), after a title that really ends a sentence, and
//! after a terminator glued to the next word ("end.The"). They split wrongly after `?` or `!`
//! inside a name or title ("Who Wants to Be a Millionaire? Host ...") and after an unlisted
//! abbreviation followed by a capitalized word. Non-Latin terminators other than the CJK ones
//! (Devanagari `।`, Arabic `؟`) are not recognised.
//!
//! # Performance
//!
//! The scan jumps between candidate bytes with `memchr`, looks at most a few dozen bytes around
//! each candidate, and never revisits the whitespace or punctuation run it has consumed, so the
//! running time is linear in the input whatever its shape.

#![warn(missing_docs)]

use std::ops::Range;

use memchr::{memchr2, memchr3};

mod abbreviations;
#[cfg(test)]
mod tests;

use abbreviations::{Kind, MAX_KEY};

/// Longest token, in bytes, examined before a period. Longer tokens are never abbreviations, and
/// the cap bounds the backward scan even on a huge run of non-space bytes.
const MAX_TOKEN: usize = 32;
/// Opening quotes and brackets skipped before deciding how the next sentence starts.
const MAX_OPENERS: usize = 4;

/// Splits English news text into sentences.
///
/// The splitter is cheap to build and to clone; a default one uses the built-in abbreviation
/// lists, and [`with_abbreviations`](Self::with_abbreviations) adds domain-specific ones.
///
/// ```
/// use newstally::sentence::SentenceSplitter;
///
/// let text = "Mr. Smith paid $1.5 billion for Acme Inc. The deal closed in the U.S. on \
///             Friday.\n\nMARKETS RALLY\nStocks rose 2.5 pct.";
/// let splitter = SentenceSplitter::new();
/// let sentences: Vec<&str> = splitter.split(text).into_iter().map(|r| &text[r]).collect();
/// assert_eq!(
///     sentences,
///     [
///         "Mr. Smith paid $1.5 billion for Acme Inc. ",
///         "The deal closed in the U.S. on Friday.\n\n",
///         "MARKETS RALLY\nStocks rose 2.5 pct.",
///     ]
/// );
///
/// // Caller-supplied abbreviations behave like "Inc.": they end a sentence only before a
/// // common sentence opener.
/// let splitter = SentenceSplitter::new().with_abbreviations(["Cmte"]);
/// assert_eq!(splitter.split("The Cmte. Chairman spoke.").len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct SentenceSplitter {
    /// Extra abbreviations, lowercased char by char, sorted and deduplicated so a lookup is a
    /// binary search that needs no allocation.
    extra: Vec<Box<str>>,
}

impl SentenceSplitter {
    /// Creates a splitter with the built-in abbreviation lists only.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds user abbreviations, written without the trailing dot and matched case-insensitively,
    /// e.g. `"Sen"` or `"Ph.D"`. A trailing dot and surrounding whitespace are tolerated; empty
    /// entries and entries containing inner whitespace (which could never match a token) are
    /// ignored. They end a sentence only before a common sentence opener ("The", "He", ...).
    #[must_use]
    pub fn with_abbreviations<I: IntoIterator<Item = S>, S: AsRef<str>>(
        mut self,
        extra: I,
    ) -> Self {
        for abbreviation in extra {
            let trimmed = abbreviation.as_ref().trim().trim_end_matches('.');
            if trimmed.is_empty() || trimmed.contains(char::is_whitespace) {
                continue;
            }
            self.extra.push(fold_case(trimmed).into_boxed_str());
        }
        self.extra.sort_unstable();
        self.extra.dedup();
        self
    }

    /// Byte ranges of the sentences, in order. Concatenating `text[r]` for all ranges gives back
    /// `text` exactly (each sentence's trailing whitespace belongs to it); every range is
    /// non-empty and on char boundaries. Empty text gives an empty `Vec`.
    #[must_use]
    pub fn split(&self, text: &str) -> Vec<Range<usize>> {
        let mut sentences = Vec::new();
        self.for_each_sentence(text, |range| sentences.push(range));
        sentences
    }

    /// Same as [`split`](Self::split), calling `f(range)` for each sentence in order without
    /// allocating a `Vec`.
    pub fn for_each_sentence<F: FnMut(Range<usize>)>(&self, text: &str, mut f: F) {
        if text.is_empty() {
            return;
        }
        Scanner::new(self, text).run(&mut f);
    }

    fn is_extra(&self, word: &str) -> bool {
        !self.extra.is_empty()
            && self
                .extra
                .binary_search_by(|probe| {
                    probe.chars().cmp(word.chars().flat_map(char::to_lowercase))
                })
                .is_ok()
    }
}

/// Lowercases char by char, the same folding `is_extra` applies to tokens, so stored entries and
/// tokens compare consistently (`str::to_lowercase` treats a final sigma differently).
fn fold_case(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// How a run of terminators behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A single `.`: may be an abbreviation, so the word before it matters.
    Period,
    /// `!`, `?`, `…` or any multi-character run: only the next word matters.
    Strong,
    /// Contains a CJK terminator, which ends a sentence even without a following space.
    Wide,
}

/// What follows the whitespace after a terminator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// A lowercase letter: the sentence goes on.
    Lower,
    /// A number (or a currency amount): a new sentence unless an abbreviation precedes it.
    Digit,
    /// A capitalized or caseless word starting at byte `at`.
    Word { at: usize },
    /// A list bullet or dash.
    Bullet,
    /// Punctuation or a symbol that rarely opens a sentence.
    Other,
}

/// Finds the next occurrence of some bytes, caching it so that interleaving several finders stays
/// linear: each finder only ever searches forward from where the scan has got to.
struct Finder {
    needles: Needles,
    /// Position of the next occurrence, or `usize::MAX` when there is none left.
    next: usize,
}

#[derive(Clone, Copy)]
enum Needles {
    Two(u8, u8),
    Three(u8, u8, u8),
}

impl Finder {
    fn new(needles: Needles, haystack: &[u8]) -> Self {
        let mut finder = Self { needles, next: 0 };
        finder.search(haystack, 0);
        finder
    }

    fn search(&mut self, haystack: &[u8], from: usize) {
        let rest = haystack.get(from..).unwrap_or_default();
        let found = match self.needles {
            Needles::Two(a, b) => memchr2(a, b, rest),
            Needles::Three(a, b, c) => memchr3(a, b, c, rest),
        };
        self.next = found.map_or(usize::MAX, |offset| from + offset);
    }

    fn next_from(&mut self, haystack: &[u8], from: usize) -> usize {
        if self.next < from {
            self.search(haystack, from);
        }
        self.next
    }
}

/// One pass over one text.
struct Scanner<'a> {
    splitter: &'a SentenceSplitter,
    text: &'a str,
    /// Start of the sentence being built.
    start: usize,
    /// First non-whitespace byte of that sentence. Only the first sentence can start with
    /// whitespace, since every later one starts right after a whitespace run.
    content_start: usize,
}

impl<'a> Scanner<'a> {
    fn new(splitter: &'a SentenceSplitter, text: &'a str) -> Self {
        Self {
            splitter,
            text,
            start: 0,
            content_start: 0,
        }
    }

    fn run(&mut self, f: &mut impl FnMut(Range<usize>)) {
        let bytes = self.text.as_bytes();
        let len = bytes.len();
        // Skipping the leading whitespace up front means a blank line there never produces a
        // whitespace-only sentence.
        let mut pos = skip_whitespace(self.text, 0).end;
        self.content_start = pos;
        // Non-ASCII terminators and separators all start with 0xE2 (`…`, U+2028/2029, `‼`),
        // 0xE3 (`。`) or 0xEF (`！`, `？`, `｡`). These lead bytes never occur inside another
        // character, so every hit is on a char boundary.
        let mut punct = Finder::new(Needles::Three(b'.', b'!', b'?'), bytes);
        let mut breaks = Finder::new(Needles::Three(b'\n', b'\r', 0xE2), bytes);
        let mut wide = Finder::new(Needles::Two(0xE3, 0xEF), bytes);
        while pos < len {
            let at = punct
                .next_from(bytes, pos)
                .min(breaks.next_from(bytes, pos))
                .min(wide.next_from(bytes, pos));
            let Some(&byte) = bytes.get(at) else { break };
            pos = match byte {
                b'\n' | b'\r' => self.line_break(at, f),
                b'.' | b'!' | b'?' => self.terminator(at, f),
                _ => match next_char(self.text, at) {
                    Some(c) if terminator_class(c).is_some() => self.terminator(at, f),
                    Some('\u{2028}' | '\u{2029}') => self.line_break(at, f),
                    Some(c) => at + c.len_utf8(),
                    None => at + 1,
                },
            };
        }
        if self.start < len {
            f(self.start..len);
        }
    }

    fn emit(&mut self, at: usize, f: &mut impl FnMut(Range<usize>)) {
        f(self.start..at);
        self.start = at;
        self.content_start = at;
    }

    /// Handles a line break; returns where scanning resumes.
    fn line_break(&mut self, at: usize, f: &mut impl FnMut(Range<usize>)) -> usize {
        let gap = skip_whitespace(self.text, at);
        if gap.is_paragraph() && gap.end < self.text.len() {
            self.emit(gap.end, f);
        }
        gap.end.max(at + 1)
    }

    /// Handles a run of terminators starting at `at`; returns where scanning resumes.
    fn terminator(&mut self, at: usize, f: &mut impl FnMut(Range<usize>)) -> usize {
        let len = self.text.len();
        let (run_end, class) = scan_terminators(self.text, at);
        let close_end = skip_closers(self.text, run_end);
        let gap = skip_whitespace(self.text, close_end);
        let ws_end = gap.end;
        if ws_end >= len {
            // Trailing punctuation and whitespace belong to the last sentence.
            return len;
        }
        if ws_end == close_end {
            // Glued to the next character: a decimal, URL or "U.S.-based". CJK needs no space,
            // but a particle straight after a closing quote ("「はい。」と言った") continues it.
            let continues =
                close_end > run_end && next_char(self.text, close_end).is_some_and(is_hiragana);
            if class == Class::Wide && !continues {
                self.emit(close_end, f);
            }
            return close_end.max(at + 1);
        }
        let ends = gap.is_paragraph()
            || match class {
                Class::Wide => true,
                Class::Period => self.period_ends(at, gap),
                Class::Strong => match classify(self.text, ws_end) {
                    Next::Digit | Next::Bullet => true,
                    // "Yahoo! Inc." is a name, not an exclamation.
                    Next::Word { at: word } => {
                        !(run_end == at + 1
                            && self.text.as_bytes().get(at) == Some(&b'!')
                            && is_company_suffix_at(self.text, word))
                    }
                    Next::Lower | Next::Other => false,
                },
            };
        if ends {
            self.emit(ws_end, f);
        }
        ws_end
    }

    /// Decides a single period at `dot` followed by the whitespace `gap`.
    fn period_ends(&self, dot: usize, gap: Gap) -> bool {
        match classify(self.text, gap.end) {
            Next::Lower | Next::Other => false,
            Next::Digit => self.abbreviation_before(dot).is_none(),
            Next::Bullet => self.abbreviation_before(dot) != Some(Kind::Title),
            Next::Word { at } => match self.abbreviation_before(dot) {
                None | Some(Kind::EndProne | Kind::Numeric) => true,
                Some(Kind::Title) => false,
                // Looked up last because most periods follow an ordinary word.
                Some(Kind::Ordinary) => {
                    gap.is_indented_line() || starts_with_starter(self.text, at)
                }
            },
        }
    }

    /// Classifies the token that ends at the period `dot`, or `None` for an ordinary word.
    fn abbreviation_before(&self, dot: usize) -> Option<Kind> {
        let bytes = self.text.as_bytes();
        let floor = self.content_start.max(dot.saturating_sub(MAX_TOKEN));
        let mut token_start = dot;
        while token_start > floor && !is_ascii_space(bytes[token_start - 1]) {
            token_start -= 1;
        }
        if token_start == floor
            && floor > self.content_start
            && !is_ascii_space(bytes[token_start - 1])
        {
            return None;
        }
        let kind = self.token_kind(self.text.get(token_start..dot)?, token_start);
        if kind == Some(Kind::Ordinary) && self.at_most_one_word_before(token_start) {
            // "The U.S." or "Acme Inc." alone is not a plausible sentence; in copy that
            // capitalizes after abbreviations it is "The U.S. Now imports ...".
            return Some(Kind::Title);
        }
        kind
    }

    /// Whether the sentence holds at most one word before `token_start`.
    fn at_most_one_word_before(&self, token_start: usize) -> bool {
        let bytes = self.text.as_bytes();
        let floor = self
            .content_start
            .max(token_start.saturating_sub(MAX_TOKEN));
        let mut i = token_start;
        while i > floor && is_ascii_space(bytes[i - 1]) {
            i -= 1;
        }
        while i > floor && !is_ascii_space(bytes[i - 1]) {
            i -= 1;
        }
        i == self.content_start
    }

    /// Classifies `token`, the whitespace-delimited token before a period starting at
    /// `token_start`.
    fn token_kind(&self, token: &str, token_start: usize) -> Option<Kind> {
        let word = token.trim_start_matches(is_opener);
        if word.is_empty() {
            return None;
        }
        if token_start == self.content_start && is_list_marker(word) {
            // "1. Mix the flour." — the marker opens the sentence rather than being one.
            return Some(Kind::Title);
        }
        if self.splitter.is_extra(word) {
            return Some(Kind::Ordinary);
        }
        // In "ex-Gov." or "Sen./Rep." the last part is the abbreviation.
        let whole = word;
        let word = whole.rsplit(['-', '/']).next().unwrap_or(whole);
        let mut chars = word.chars();
        let first = chars.next()?;
        if chars.next().is_none() {
            // A single letter is an initial ("John F. Kennedy") or a list label.
            return first.is_alphabetic().then_some(Kind::Ordinary);
        }
        if let Some(kind) = builtin_abbreviation(word) {
            return Some(kind);
        }
        if word.len() != whole.len() && self.splitter.is_extra(word) {
            return Some(Kind::Ordinary);
        }
        is_acronym(word).then_some(Kind::Ordinary)
    }
}

/// Looks `word` up in the built-in lists if it is short ASCII, lowercasing it on the stack.
fn builtin_abbreviation(word: &str) -> Option<Kind> {
    let bytes = word.as_bytes();
    if bytes.len() > abbreviations::MAX_ABBREVIATION
        || !bytes.iter().all(|&b| b.is_ascii_alphabetic() || b == b'.')
    {
        return None;
    }
    let capitalized = bytes.first().is_some_and(u8::is_ascii_uppercase);
    abbreviations::builtin(abbreviations::pack(bytes), capitalized)
}

/// Whether a company suffix ("Inc", "Corp.", "Co,") starts at `at`.
fn is_company_suffix_at(text: &str, at: usize) -> bool {
    let rest = text.as_bytes().get(at..).unwrap_or_default();
    let n = rest
        .iter()
        .take(abbreviations::MAX_ABBREVIATION + 1)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let ends_word = matches!(
        rest.get(n),
        None | Some(b'.' | b',' | b' ' | b'\t' | b'\n' | b'\r')
    );
    n <= abbreviations::MAX_ABBREVIATION
        && ends_word
        && abbreviations::is_company_suffix(abbreviations::pack(&rest[..n]))
}

/// Dotted acronyms and abbreviations: "U.S", "e.g", "Ph.D", "S.p.A" (final dot already removed).
fn is_acronym(word: &str) -> bool {
    word.contains('.')
        && word.split('.').all(|part| {
            let count = part.chars().count();
            (1..=3).contains(&count) && part.chars().all(char::is_alphabetic)
        })
}

/// "1", "12", "iv", "XI": labels that open a numbered list item.
fn is_list_marker(word: &str) -> bool {
    let bytes = word.as_bytes();
    let digits = (1..=3).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_digit);
    let roman = (1..=4).contains(&bytes.len())
        && (bytes.iter().all(|b| b"IVX".contains(b)) || bytes.iter().all(|b| b"ivx".contains(b)));
    digits || roman
}

/// Classifies what starts at `at` (just after the whitespace following a terminator).
fn classify(text: &str, at: usize) -> Next {
    let mut i = at;
    let mut openers = 0;
    let c = loop {
        let Some(c) = next_char(text, i) else {
            return Next::Other;
        };
        if openers < MAX_OPENERS && is_opener(c) {
            openers += 1;
            i += c.len_utf8();
        } else {
            break c;
        }
    };
    if c.is_lowercase() {
        Next::Lower
    } else if c.is_numeric() {
        Next::Digit
    } else if c.is_alphabetic() {
        Next::Word { at: i }
    } else if openers == 0
        && is_currency(c)
        && next_char(text, i + c.len_utf8()).is_some_and(|d| d.is_ascii_digit())
    {
        Next::Digit
    } else if openers == 0 && is_bullet(c) {
        Next::Bullet
    } else {
        Next::Other
    }
}

/// Whether the word at `at` is a capitalized common sentence opener ("The", "It's").
fn starts_with_starter(text: &str, at: usize) -> bool {
    let rest = text.as_bytes().get(at..).unwrap_or_default();
    let n = rest
        .iter()
        .take(MAX_KEY + 1)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if n == 0 || n > MAX_KEY {
        return false;
    }
    // A period right after makes it an initial or abbreviation ("J. A. Smith"), and a non-ASCII
    // letter means the word goes on.
    if rest.get(n) == Some(&b'.') || next_char(text, at + n).is_some_and(char::is_alphabetic) {
        return false;
    }
    let Some((first, tail)) = rest.get(..n).and_then(<[u8]>::split_first) else {
        return false;
    };
    if !first.is_ascii_uppercase() || tail.iter().any(u8::is_ascii_uppercase) {
        return false;
    }
    abbreviations::is_starter(abbreviations::pack(&rest[..n]))
}

/// Consumes a run of terminators starting at `at` and tells how the run behaves.
fn scan_terminators(text: &str, at: usize) -> (usize, Class) {
    let mut i = at;
    let mut count = 0usize;
    let mut wide = false;
    let mut only_dots = true;
    while let Some(c) = next_char(text, i) {
        let Some(class) = terminator_class(c) else {
            break;
        };
        wide |= class == Class::Wide;
        only_dots &= c == '.';
        count += 1;
        i += c.len_utf8();
    }
    let class = if wide {
        Class::Wide
    } else if count == 1 && only_dots {
        Class::Period
    } else {
        Class::Strong
    };
    (i, class)
}

fn terminator_class(c: char) -> Option<Class> {
    match c {
        '.' => Some(Class::Period),
        '!' | '?' | '…' | '‼' | '⁇' | '⁈' | '⁉' => Some(Class::Strong),
        '。' | '｡' | '！' | '？' => Some(Class::Wide),
        _ => None,
    }
}

fn skip_closers(text: &str, mut i: usize) -> usize {
    while let Some(c) = next_char(text, i) {
        if !is_closer(c) {
            break;
        }
        i += c.len_utf8();
    }
    i
}

/// A whitespace run.
#[derive(Debug, Clone, Copy)]
struct Gap {
    /// First byte after the run.
    end: usize,
    /// Line breaks in the run (`\r\n` counts once, a paragraph separator counts as two).
    newlines: usize,
    /// Columns of indentation after the last line break.
    indent: usize,
}

impl Gap {
    /// A blank line: always a sentence boundary.
    fn is_paragraph(self) -> bool {
        self.newlines >= 2
    }

    /// A line break followed by indentation, which is how wire copy such as Reuters starts a
    /// paragraph without a blank line.
    fn is_indented_line(self) -> bool {
        self.newlines == 1 && self.indent >= 2
    }
}

/// Skips the whitespace run starting at `i`.
fn skip_whitespace(text: &str, mut i: usize) -> Gap {
    let bytes = text.as_bytes();
    let mut newlines = 0usize;
    let mut indent = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' => indent += 1,
            b'\t' => indent += 4,
            0x0B | 0x0C => {}
            b'\n' => {
                newlines += 1;
                indent = 0;
            }
            b'\r' => {
                if bytes.get(i + 1) != Some(&b'\n') {
                    newlines += 1;
                }
                indent = 0;
            }
            _ if b.is_ascii() => break,
            _ => match next_char(text, i) {
                Some(c) if c.is_whitespace() => {
                    match c {
                        '\u{2029}' => newlines += 2,
                        '\u{2028}' | '\u{85}' => newlines += 1,
                        _ => indent += 1,
                    }
                    // The loop's own step covers one byte.
                    i += c.len_utf8() - 1;
                }
                _ => break,
            },
        }
        i += 1;
    }
    Gap {
        end: i,
        newlines,
        indent,
    }
}

/// The char starting at byte `i`, or `None` at the end (or off a char boundary, which the scan
/// never asks for but must not panic on).
#[inline]
fn next_char(text: &str, i: usize) -> Option<char> {
    match text.as_bytes().get(i) {
        Some(&b) if b.is_ascii() => Some(char::from(b)),
        Some(_) => text.get(i..)?.chars().next(),
        None => None,
    }
}

fn is_ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

fn is_opener(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '('
            | '['
            | '{'
            | '“'
            | '‘'
            | '„'
            | '‚'
            | '«'
            | '‹'
            | '»'
            | '¿'
            | '¡'
            | '「'
            | '『'
            | '（'
            | '【'
    )
}

/// Closing quotes and brackets that can follow a terminator. German-style `“` and `«` are
/// included because a quote glued to a terminator and followed by a space closes a quotation.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | ')'
            | ']'
            | '}'
            | '’'
            | '”'
            | '“'
            | '»'
            | '«'
            | '›'
            | '‹'
            | '」'
            | '』'
            | '）'
            | '】'
            | '〉'
            | '》'
    )
}

fn is_currency(c: char) -> bool {
    matches!(c, '$' | '€' | '£' | '¥' | '₹' | '₩' | '₽' | '₣')
}

fn is_bullet(c: char) -> bool {
    matches!(c, '•' | '‣' | '◦' | '▪' | '●' | '–' | '—' | '-' | '*')
}

fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}
