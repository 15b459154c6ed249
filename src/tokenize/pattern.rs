//! scikit-learn compatible tokenization: lowercase the document, then take the matches of `token_pattern`.

use regex::Regex;

use super::pyword::{is_py_word, only_ascii_words};
use super::runs::for_each_ascii_run;
use crate::error::{Error, Result};

/// scikit-learn's default `token_pattern`.
pub const SKLEARN_TOKEN_PATTERN: &str = r"(?u)\b\w\w+\b";

/// Tokens as scikit-learn's `CountVectorizer(analyzer="word")` finds them.
///
/// The default pattern `(?u)\b\w\w+\b` is not run through a regex engine: its matches are exactly the
/// maximal runs of two or more Python `\w` characters, which a table-driven scan finds much faster, with
/// Python's definition of `\w` (see `tools/gen_pyword_table.py`). Other patterns run on the `regex`
/// crate with `\w` and `\W` rewritten to Python's classes. Its `\b` cannot be redefined: it counts
/// combining marks (Devanagari vowel signs, Thai tone marks) as word characters where Python does not,
/// so a custom pattern using `\b` can differ from scikit-learn next to such marks.
///
/// ```
/// use newstally::tokenize::PatternTokenizer;
/// let tok = PatternTokenizer::new(None, true).unwrap();
/// let terms: Vec<String> = tok.tokenize("Putin's U.S. visit, a 2-day trip").into_iter().map(|t| t.0).collect();
/// assert_eq!(terms, ["putin", "visit", "day", "trip"]);
/// ```
#[derive(Debug, Clone)]
pub struct PatternTokenizer {
    lowercase: bool,
    pattern: Option<(Regex, bool)>,
    source: String,
}

impl PatternTokenizer {
    /// Builds a tokenizer; `pattern` `None` means scikit-learn's default.
    ///
    /// # Errors
    /// The pattern does not compile, or has more than one capturing group (scikit-learn's rule).
    pub fn new(pattern: Option<&str>, lowercase: bool) -> Result<Self> {
        let source = pattern.unwrap_or(SKLEARN_TOKEN_PATTERN).to_owned();
        let compiled = if is_default_pattern(&source) {
            None
        } else {
            let re =
                Regex::new(&python_word_classes(&source)).map_err(|e| Error::InvalidPattern {
                    pattern: source.clone(),
                    reason: e.to_string(),
                })?;
            let groups = re.captures_len() - 1;
            if groups > 1 {
                return Err(Error::InvalidPattern {
                    pattern: source,
                    reason: format!(
                        "more than one capturing group ({groups}); at most one is allowed"
                    ),
                });
            }
            Some((re, groups == 1))
        };
        Ok(PatternTokenizer {
            lowercase,
            pattern: compiled,
            source,
        })
    }

    /// Whether this is scikit-learn's default pattern, whose tokens on ASCII text are the runs of two or
    /// more ASCII word bytes ([`crate::tokenize::for_each_ascii_run`]).
    pub(crate) fn is_default(&self) -> bool {
        self.pattern.is_none()
    }

    /// The pattern as given.
    pub fn pattern(&self) -> &str {
        &self.source
    }

    /// Whether the document is lowercased before matching.
    pub fn lowercase(&self) -> bool {
        self.lowercase
    }

    /// Calls `emit(term)` for each token, skipping the offset bookkeeping of
    /// [`PatternTokenizer::for_each_token`]: mapping offsets back from a lowercased non-ASCII document
    /// costs more than finding its tokens.
    pub fn for_each_term<F: FnMut(&str)>(&self, text: &str, mut emit: F) {
        let mut emit = |term: &str, _, _| emit(term);
        if self.is_default() && only_ascii_words(text) {
            self.scan_ascii(text, &mut emit);
        } else if self.lowercase && !text.is_ascii() {
            self.scan(&text.to_lowercase(), &mut emit);
        } else {
            self.for_each_token(text, emit);
        }
    }

    /// Calls `emit(term, start, end)` for each token; offsets are bytes of `text`.
    pub fn for_each_token<F: FnMut(&str, usize, usize)>(&self, text: &str, mut emit: F) {
        if self.is_default() && only_ascii_words(text) {
            self.scan_ascii(text, &mut emit);
        } else if self.lowercase && !text.is_ascii() {
            // Python lowercases the whole document before matching; lowercasing can change character classes
            // (e.g. 'İ' becomes "i̇" whose dot is not \w) and sigma depends on context, so it must happen first.
            let lowered = text.to_lowercase();
            let mut map = OffsetMap::new(text);
            self.scan(&lowered, &mut |term, s, e| {
                let os = map.start(s);
                let oe = map.end(e).max(os);
                emit(term, os, oe);
            });
        } else if self.lowercase {
            // A regex may hold literals ("ing"), so it must see the lowercased text; ASCII lowercasing
            // keeps every offset.
            self.scan(&text.to_ascii_lowercase(), &mut emit);
        } else {
            self.scan(text, &mut emit);
        }
    }

    /// The default pattern's tokens of a text whose words are all ASCII ([`only_ascii_words`]).
    fn scan_ascii<F: FnMut(&str, usize, usize)>(&self, text: &str, emit: &mut F) {
        if self.lowercase {
            // The class is closed under ASCII case, and lowercasing leaves the other characters as
            // they are, so scanning the original and lowercasing each token gives the same tokens
            // without copying the document.
            scan_ascii_runs_lowercase(text, emit);
        } else {
            scan_ascii_runs(text, emit);
        }
    }

    /// Convenience: the tokens as `(term, start, end)`.
    pub fn tokenize(&self, text: &str) -> Vec<(String, usize, usize)> {
        let mut out = Vec::new();
        self.for_each_token(text, |t, s, e| out.push((t.to_owned(), s, e)));
        out
    }

    fn scan<F: FnMut(&str, usize, usize)>(&self, text: &str, emit: &mut F) {
        match &self.pattern {
            None if text.is_ascii() => scan_ascii_runs(text, emit),
            None => scan_unicode_runs(text, emit),
            Some((re, true)) => {
                for caps in re.captures_iter(text) {
                    // An unmatched optional group is an empty token in Python's findall.
                    if let Some(m) = caps.get(1) {
                        emit(m.as_str(), m.start(), m.end());
                    } else {
                        let s = caps.get(0).map_or(0, |m| m.start());
                        emit("", s, s);
                    }
                }
            }
            Some((re, false)) => {
                for m in re.find_iter(text) {
                    emit(m.as_str(), m.start(), m.end());
                }
            }
        }
    }
}

/// The regex class of Python's `\w` (or its complement), from the generated table.
fn python_word_class(negated: bool) -> String {
    use std::fmt::Write as _;
    let mut class = String::from(if negated {
        "[^0-9A-Za-z_"
    } else {
        "[0-9A-Za-z_"
    });
    for &(lo, hi) in &super::pyword_table::NON_ASCII_WORD_RANGES {
        let _ = write!(class, "\\x{{{lo:X}}}-\\x{{{hi:X}}}");
    }
    class.push(']');
    class
}

/// Rewrites `\w` and `\W` to Python's classes. A class in a class is valid regex-crate syntax
/// (`[[...]-]`), so the same text serves inside and outside brackets.
fn python_word_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('w') => out.push_str(&python_word_class(false)),
            Some('W') => out.push_str(&python_word_class(true)),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn is_default_pattern(p: &str) -> bool {
    // Python 3 str patterns are Unicode whether or not they say (?u).
    p == SKLEARN_TOKEN_PATTERN || p == r"\b\w\w+\b"
}

/// The default pattern's tokens of a text whose words are all ASCII: runs of two or more word bytes.
fn scan_ascii_runs<F: FnMut(&str, usize, usize)>(text: &str, emit: &mut F) {
    for_each_ascii_run(text.as_bytes(), 2, |start, end| {
        emit(&text[start..end], start, end);
    });
}

/// [`scan_ascii_runs`] with each token holding an uppercase letter lowercased.
fn scan_ascii_runs_lowercase<F: FnMut(&str, usize, usize)>(text: &str, emit: &mut F) {
    let mut buf = String::new();
    for_each_ascii_run(text.as_bytes(), 2, |start, end| {
        let term = &text[start..end];
        if term.bytes().any(|b| b.is_ascii_uppercase()) {
            buf.clear();
            buf.push_str(term);
            buf.make_ascii_lowercase();
            emit(&buf, start, end);
        } else {
            emit(term, start, end);
        }
    });
}

fn scan_unicode_runs<F: FnMut(&str, usize, usize)>(text: &str, emit: &mut F) {
    let mut start = 0;
    let mut chars_in_run = 0usize;
    for (i, c) in text.char_indices() {
        if is_py_word(c) {
            if chars_in_run == 0 {
                start = i;
            }
            chars_in_run += 1;
        } else {
            if chars_in_run >= 2 {
                emit(&text[start..i], start, i);
            }
            chars_in_run = 0;
        }
    }
    if chars_in_run >= 2 {
        emit(&text[start..], start, text.len());
    }
}

/// Maps byte offsets in `text.to_lowercase()` back to `text`, for queries in non-decreasing order.
///
/// `str::to_lowercase` lowercases each char on its own except capital sigma, which becomes a two-byte
/// sigma either way, so each original char's share of the lowered text is known without redoing the work.
struct OffsetMap<'a> {
    chars: std::str::CharIndices<'a>,
    len: usize,
    lowered: usize,
    /// The current char: (orig start, orig end, lowered start, lowered end).
    cur: Option<(usize, usize, usize, usize)>,
}

impl<'a> OffsetMap<'a> {
    fn new(text: &'a str) -> Self {
        OffsetMap {
            chars: text.char_indices(),
            len: text.len(),
            lowered: 0,
            cur: None,
        }
    }

    /// The original char whose lowercase covers lowered byte `at`.
    fn seek(&mut self, at: usize) -> Option<(usize, usize, usize, usize)> {
        loop {
            if let Some(c @ (_, _, _, le)) = self.cur
                && at < le
            {
                return Some(c);
            }
            let (i, c) = self.chars.next()?;
            let width: usize = if c.is_ascii() {
                1
            } else if c == '\u{3A3}' {
                2
            } else {
                c.to_lowercase().map(char::len_utf8).sum()
            };
            let ls = self.lowered;
            self.lowered += width;
            self.cur = Some((i, i + c.len_utf8(), ls, self.lowered));
        }
    }

    fn start(&mut self, at: usize) -> usize {
        self.seek(at).map_or(self.len, |c| c.0)
    }

    fn end(&mut self, at: usize) -> usize {
        if at == 0 {
            return 0;
        }
        self.seek(at - 1).map_or(self.len, |c| c.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(tok: &PatternTokenizer, text: &str) -> Vec<String> {
        tok.tokenize(text).into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn default_pattern_cases() {
        let tok = PatternTokenizer::new(None, true).unwrap();
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("a b c", &[]),
            ("Hello, World!", &["hello", "world"]),
            ("snake_case x_y 42 7", &["snake_case", "x_y", "42"]),
            ("Zürich café naïve", &["zürich", "café", "naïve"]),
            ("ΟΔΟΣ ΟΔΟΣ.", &["οδος", "οδος"]),
            ("İstanbul", &["stanbul"]),
            ("東京都 に", &["東京都"]),
            ("a\u{0}bc\u{0}de", &["bc", "de"]),
            ("e\u{301}t\u{301}e", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(terms(&tok, text), *want, "input {text:?}");
        }
    }

    #[test]
    fn offsets_slice_original_text() {
        let tok = PatternTokenizer::new(None, true).unwrap();
        for text in [
            "İİx abc ΣΑΣ dé",
            "ẞtraße Straße",
            "plain ascii text",
            "ǅemal ǈj",
        ] {
            for (term, s, e) in tok.tokenize(text) {
                assert_eq!(text[s..e].to_lowercase(), term, "{text:?}");
            }
        }
    }

    #[test]
    fn custom_patterns() {
        let tok = PatternTokenizer::new(Some(r"\b\w+\b"), false).unwrap();
        assert_eq!(terms(&tok, "A b-c"), ["A", "b", "c"]);
        let grp = PatternTokenizer::new(Some(r"(\w+)\."), true).unwrap();
        assert_eq!(terms(&grp, "End. Here"), ["end"]);
        let literal = PatternTokenizer::new(Some(r"(\w+)ing\b"), true).unwrap();
        assert_eq!(terms(&literal, "BREAKING news, running"), ["break", "runn"]);
        assert!(PatternTokenizer::new(Some(r"(a)(b)"), true).is_err());
        assert!(PatternTokenizer::new(Some(r"(unclosed"), true).is_err());
    }

    #[test]
    fn custom_word_class_is_pythons() {
        // U+0301 (combining acute) is \w for the regex crate but not for Python.
        let tok = PatternTokenizer::new(Some(r"\w+"), true).unwrap();
        assert_eq!(terms(&tok, "e\u{301}te [x_1]"), ["e", "te", "x_1"]);
        let neg = PatternTokenizer::new(Some(r"[\W\d]+"), true).unwrap();
        assert_eq!(terms(&neg, "ab 12,cd"), [" 12,"]);
    }

    /// Curly quotes, dashes and currency signs around ASCII words: the ASCII route (as on ASCII
    /// text) gives what the general one does. " é" sends a text the general way without adding a token:
    /// a one-letter word is none.
    #[test]
    fn separators_outside_ascii_take_the_ascii_route_with_the_same_tokens() {
        let texts = [
            "“Brexit’s cost,” he said — £5bn… or €6bn.",
            "Mid\u{a0}Sentence×Times\u{2014}Dash ©BBC 2005 • item",
            "’’ABC’’ ‘x’ “” US$10m",
        ];
        for lowercase in [true, false] {
            let tok = PatternTokenizer::new(None, lowercase).unwrap();
            for text in texts {
                assert!(only_ascii_words(text));
                let general = format!("{text} é");
                assert!(!only_ascii_words(&general));
                assert_eq!(tok.tokenize(text), tok.tokenize(&general), "{text:?}");
                let (mut a, mut b) = (Vec::new(), Vec::new());
                tok.for_each_term(text, |t| a.push(t.to_owned()));
                tok.for_each_term(&general, |t| b.push(t.to_owned()));
                assert_eq!(a, b, "{text:?}");
                assert!(!a.is_empty());
            }
        }
    }

    #[test]
    fn no_lowercase_keeps_case() {
        let tok = PatternTokenizer::new(None, false).unwrap();
        assert_eq!(terms(&tok, "New York ÉTÉ"), ["New", "York", "ÉTÉ"]);
    }
}
