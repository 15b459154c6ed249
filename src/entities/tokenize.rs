//! A CoNLL-2003 style tokenizer for recognizer input.
//!
//! The recognizer was trained on CoNLL-2003 tokens, so raw text is cut the same way: punctuation
//! marks are tokens of their own, a possessive `'s` (or `’s`) and the clitics `'re`, `'ve`, `'ll`,
//! `'d`, `'m` and `n't` are split off, while hyphenated words (`German-based`), numbers (`1,000.5`),
//! dotted acronyms (`U.S.`), initials (`J.`) and common abbreviations (`Mr.`, `Inc.`) stay whole.
//! Tokens are byte spans of the input; their text is never rewritten (curly quotes are normalised
//! only inside the feature extractor), so entity offsets slice the original text.
//!
//! ```
//! use newstally::entities::tokenize::tokenize;
//!
//! let text = "Russia’s envoy met U.S. officials.";
//! let tokens: Vec<&str> = tokenize(text, 0..text.len()).map(|r| &text[r]).collect();
//! assert_eq!(tokens, ["Russia", "’s", "envoy", "met", "U.S.", "officials", "."]);
//! ```

use std::ops::Range;

/// Abbreviations that keep their full stop (lower-cased, without the stop) unless the stop ends
/// the sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "gov", "sen", "rep", "rev", "col", "lt", "sgt", "capt",
    "maj", "cmdr", "adm", "st", "jr", "sr", "inc", "corp", "ltd", "co", "bros", "plc", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs",
    "etc", "mt", "ft", "pres", "gov't", "univ", "dept", "assn", "ave", "blvd",
];

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Length in bytes of a clitic (`'s`, `'re`, `n't` ...) starting at `rest`, if `rest` starts with
/// one and the clitic ends the word. `rest` starts at an apostrophe.
fn clitic_len(rest: &str) -> Option<usize> {
    let mut it = rest.char_indices();
    let (_, a) = it.next()?;
    debug_assert!(is_apostrophe(a));
    let after = &rest[a.len_utf8()..];
    for suffix in ["s", "re", "ve", "ll", "d", "m"] {
        if after.len() >= suffix.len()
            && after.is_char_boundary(suffix.len())
            && after[..suffix.len()].eq_ignore_ascii_case(suffix)
            && !after[suffix.len()..]
                .chars()
                .next()
                .is_some_and(is_word_char)
        {
            return Some(a.len_utf8() + suffix.len());
        }
    }
    None
}

/// The byte ranges of the tokens of `text[range]` (offsets into `text`), where `range` is a
/// sentence: a full stop that ends it is split from an abbreviation ("Acme Inc." at the end gives
/// "Inc" and ".").
pub fn tokenize(text: &str, range: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
    let sentence_end = text[range.clone()].trim_end().len() + range.start;
    Tokens {
        text,
        pos: range.start,
        end: range.end,
        sentence_end,
    }
}

/// The tokens of a phrase that is not a whole sentence (a gazetteer entry): a final abbreviation
/// keeps its full stop ("Acme Inc." gives "Acme", "Inc.").
pub fn tokenize_phrase(text: &str) -> impl Iterator<Item = Range<usize>> + '_ {
    Tokens {
        text,
        pos: 0,
        end: text.len(),
        sentence_end: usize::MAX,
    }
}

struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
    /// End of the last non-space character of the sentence.
    sentence_end: usize,
}

impl Tokens<'_> {
    fn peek(&self, at: usize) -> Option<char> {
        if at >= self.end {
            return None;
        }
        self.text[at..self.end].chars().next()
    }

    /// Scans a word starting at `start` (a word character) and returns its end.
    fn word(&self, start: usize) -> usize {
        if let Some(len) = self.nt_at(start) {
            return start + len;
        }
        let mut i = start;
        while let Some(c) = self.peek(i) {
            if is_word_char(c) {
                i += c.len_utf8();
                continue;
            }
            let next = self.peek(i + c.len_utf8());
            let prev = self.text[start..i].chars().next_back();
            let joins = match c {
                '-' | '.' | '&' | '\u{2010}' | '\u{2011}' => next.is_some_and(is_word_char),
                ',' => {
                    prev.is_some_and(|p| p.is_ascii_digit())
                        && next.is_some_and(|n| n.is_ascii_digit())
                }
                c if is_apostrophe(c) => {
                    // "don't" -> "do" + "n't": stop before the "n" (a bare "n't" stays whole).
                    if i > start + 1
                        && matches!(prev, Some('n' | 'N'))
                        && self.nt_at(i - 1).is_some()
                    {
                        return i - 1;
                    }
                    next.is_some_and(char::is_alphabetic)
                        && clitic_len(&self.text[i..self.end]).is_none()
                }
                _ => false,
            };
            if !joins {
                break;
            }
            i += c.len_utf8();
        }
        // A full stop after an acronym, an initial or a known abbreviation stays with the word.
        if self.peek(i) == Some('.') {
            let w = &self.text[start..i];
            let acronym = w.contains('.')
                && w.split('.')
                    .all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic));
            let initial = w.chars().count() == 1 && w.chars().all(char::is_uppercase);
            let abbreviation =
                i + 1 < self.sentence_end && ABBREVIATIONS.contains(&w.to_lowercase().as_str());
            if acronym || initial || abbreviation {
                return i + 1;
            }
        }
        i
    }

    /// The byte length of "n't" if it starts at `at` and ends a word.
    fn nt_at(&self, at: usize) -> Option<usize> {
        let mut it = self.text[at..self.end].chars();
        let n = it.next()?;
        let a = it.next()?;
        let t = it.next()?;
        let ok = (n == 'n' || n == 'N')
            && is_apostrophe(a)
            && (t == 't' || t == 'T')
            && !it.next().is_some_and(is_word_char);
        ok.then(|| 2 + a.len_utf8())
    }
}

impl Iterator for Tokens<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        // Skip whitespace (and other invisible separators).
        let c = loop {
            let c = self.peek(self.pos)?;
            if c.is_whitespace() || c.is_control() || c == '\u{200B}' || c == '\u{FEFF}' {
                self.pos += c.len_utf8();
            } else {
                break c;
            }
        };
        let start = self.pos;
        let end = if is_word_char(c) {
            self.word(start)
        } else if is_apostrophe(c)
            && self.text[..start]
                .chars()
                .next_back()
                .is_some_and(is_word_char)
            && let Some(len) = clitic_len(&self.text[start..self.end])
        {
            start + len
        } else if matches!(c, '.' | '-' | '`' | '\'' | '*' | '=' | '_' | '!' | '?') {
            // Runs of these ("...", "--", "``", "''", "?!") are one token.
            let mut i = start + c.len_utf8();
            while self.peek(i) == Some(c) {
                i += c.len_utf8();
            }
            i
        } else {
            start + c.len_utf8()
        };
        self.pos = end;
        Some(start..end)
    }
}
