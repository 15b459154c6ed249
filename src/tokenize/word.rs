//! Word tokenizer for news articles.
//!
//! Text is split at the Unicode word boundaries of [UAX #29] and every segment that holds at least
//! one alphanumeric character (a letter, a digit of any script, an ideograph, a numeric symbol
//! such as `½`) becomes a token; punctuation, symbols, emoji and whitespace are dropped. A few
//! refinements for news text are layered on top:
//!
//! * **Case**: terms are lowercased with [`str::to_lowercase`] semantics (so Greek final sigma and
//!   the Turkish dotted capital I behave as in the standard library).
//! * **Apostrophes**: `’` (U+2019) and `ʼ` (U+02BC) inside a word become `'`, so `don’t` and
//!   `don't` are the same term. A possessive `'s` / `’s` (either case) at the end of a word is
//!   dropped: `Russia’s` → `russia`. The same rule turns `it's` into `it`, `he's` into `he`; this
//!   is accepted on purpose, as telling a possessive from a contraction needs a parser. A bare
//!   trailing apostrophe (`workers'`) is never part of a word in the first place. The token's end
//!   offset stops before whatever was dropped.
//! * **Hyphens**: words joined by one hyphen (`-`, `‐` U+2010 or `‑` U+2011) with nothing else in
//!   between form one token (`well-known`, `covid-19`, `mother-in-law`); the Unicode hyphens are
//!   written as `-` in the term. Dashes with spaces around them, `--`, and leading or trailing
//!   hyphens separate words.
//! * **Numbers** are kept as UAX #29 groups them (`1,000`, `3.5`, `2024`) unless
//!   [`WordTokenizerConfig::drop_numbers`] is set, which drops every ordinary token without a
//!   letter. Mixed tokens such as `g7`, `3d` or `covid-19` always stay.
//! * **Special tokens** (on by default) are single tokens that keep their inner punctuation, are
//!   lowercased like other terms and are never dropped as numbers:
//!   - URLs starting with `http://`, `https://`, `ftp://`, `ftps://`, `sftp://`, `ws://` or
//!     `wss://` (any case), or with a lowercase `www.` followed by a dotted host name. Sentence
//!     punctuation (`.,;:!?`), quotes and unbalanced closing brackets at the end are not part of
//!     the URL: `(see https://x.org/a_(b)).` gives `https://x.org/a_(b)`.
//!   - ASCII e-mail addresses such as `jane.doe@example.co.uk`.
//!   - `@handles` and `#hashtags`: a `@` or `#` right before a word, unless it follows a letter,
//!     digit, `_`, `&`, `#` or `@` (so `C#`, `&#39;` and `a@b` hold no tags). A hashtag needs a
//!     letter, so `#1` stays the number `1`. Tags end where their word ends, also at a hyphen
//!     (`#MeToo-era` gives `#metoo` and `era`), and lose a possessive `'s` like other words.
//!
//!   A lone `@` or `#` is punctuation and dropped.
//! * **Options**: NFKC normalisation of each term (before lowercasing, so that compatibility
//!   letters such as `ℌ` end up lowercase too) and a minimum term length in characters, counted
//!   on the final term.
//!
//! Every term is non-empty and holds no whitespace or control character (nothing at or below
//! U+0020 in particular), so terms can be joined with spaces and split again losslessly. Such
//! characters, and soft hyphens, zero-width spaces, word joiners and byte-order marks, are removed
//! where UAX #29 lets them into a segment: `100\u{202F}000` (narrow no-break space) gives `100000`
//! and `co\u{AD}op` gives `coop`.
//!
//! # Behaviour inherited from UAX #29
//!
//! * Dots, colons and apostrophes between letters join them: `U.S.` gives `u.s` (the last dot is
//!   punctuation), `e.g.` gives `e.g`, a missing space as in `end.Start` gives `end.start`, and
//!   French elision stays whole (`l’état`).
//! * A colon does not join digits, so `12:30` is `12` and `30`.
//! * Han ideographs and Hiragana have no word property: each such character is its own token
//!   (dictionary-based CJK segmentation is out of scope). Katakana runs stay together.
//! * Fractions and other numeric symbols are separate segments: `2½` gives `2` and `½`.
//!
//! # Known limitations
//!
//! * Only `'`, `’` and `ʼ` count as apostrophes: `‘` (U+2018) or a full-width `＇` inside a word
//!   is kept (NFKC turns the latter into `'`, but its possessive is not stripped).
//! * E-mail addresses with non-ASCII characters, URLs starting with `WWW.` and URLs with other
//!   schemes are tokenized as ordinary words.
//!
//! # Performance
//!
//! Runs of ASCII text are segmented by a hand-written implementation of the UAX #29 rules for
//! ASCII; only a stretch around non-ASCII characters (to the next ASCII whitespace) goes through
//! `unicode-segmentation`. Both give identical segments, which the tests check on generated text
//! and on the news corpus. No allocation happens per token: a term that equals its source text is
//! passed as a slice of the input, and other terms are built in a buffer reused for the whole call.
//! Special-token detection costs three substring scans when a text contains no `@`, `://` or
//! `www.`, which news text rarely does.
//!
//! # Example
//!
//! ```
//! use newstally::tokenize::{WordTokenizer, WordTokenizerConfig};
//!
//! let tokenizer = WordTokenizer::new(WordTokenizerConfig::default());
//! let text = "Russia’s well-known plan, per @BBCNews: see https://example.com/a?x=1.";
//! let terms: Vec<String> = tokenizer.tokenize(text).into_iter().map(|t| t.0).collect();
//! assert_eq!(
//!     terms,
//!     ["russia", "well-known", "plan", "per", "@bbcnews", "see", "https://example.com/a?x=1"]
//! );
//!
//! // Offsets are byte offsets of the source span, which may differ from the term.
//! let mut spans = Vec::new();
//! tokenizer.for_each_token("Don’t", |term, start, end| {
//!     spans.push((term.to_owned(), start, end));
//! });
//! assert_eq!(spans, [("don't".to_owned(), 0, 7)]);
//! ```
//!
//! [UAX #29]: https://www.unicode.org/reports/tr29/#Word_Boundaries

use memchr::memmem;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Options of a [`WordTokenizer`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent on/off switches of the public configuration"
)]
pub struct WordTokenizerConfig {
    /// Lowercase each term with full Unicode case mapping ([`str::to_lowercase`] semantics).
    /// Default `true`.
    pub lowercase: bool,
    /// Drop tokens that are numbers, i.e. ordinary tokens without any letter (`1,000`, `3.5`,
    /// `2024`, `½`). Tokens mixing letters and digits (`g7`, `covid-19`, `3d`) and special
    /// tokens are kept. Default `false`.
    pub drop_numbers: bool,
    /// Apply Unicode NFKC normalisation to each term (before lowercasing). Default `false`.
    pub nfkc: bool,
    /// Minimum length of a term in `char`s, counted after all normalisation. Default `1`.
    pub min_length: usize,
    /// Keep URLs, e-mail addresses, `@handles` and `#hashtags` as single tokens. Default `true`.
    pub special_tokens: bool,
}

impl Default for WordTokenizerConfig {
    fn default() -> Self {
        Self {
            lowercase: true,
            drop_numbers: false,
            nfkc: false,
            min_length: 1,
            special_tokens: true,
        }
    }
}

/// Splits text into normalised word tokens, by the rules in the documentation of the source module
/// `tokenize/word.rs` (summed up in the README's Tokenization section).
///
/// A tokenizer holds only its configuration, so it is cheap to clone and can be shared between
/// threads.
#[derive(Debug, Clone)]
pub struct WordTokenizer {
    config: WordTokenizerConfig,
    // Built once: setting up a substring searcher costs about as much as scanning a headline.
    scheme_finder: memmem::Finder<'static>,
    www_finder: memmem::Finder<'static>,
}

impl WordTokenizer {
    /// Creates a tokenizer with the given options.
    #[must_use]
    pub fn new(config: WordTokenizerConfig) -> Self {
        Self {
            config,
            scheme_finder: memmem::Finder::new(b"://"),
            www_finder: memmem::Finder::new(b"www."),
        }
    }

    /// The options this tokenizer was created with.
    #[must_use]
    pub fn config(&self) -> &WordTokenizerConfig {
        &self.config
    }

    /// Calls `emit(term, start, end)` for each token of `text`, in order.
    ///
    /// `term` is the normalised text of the token and may differ from `text[start..end]`;
    /// `start` and `end` are byte offsets of the token's source span, always on `char`
    /// boundaries, with `start < end` and spans strictly increasing and non-overlapping. `term`
    /// is never empty and never contains a whitespace or control character (so nothing at or
    /// below U+0020). The `&str` passed to `emit` only lives for that call.
    ///
    /// Runs in time linear in `text.len()` and does not panic on any input.
    pub fn for_each_token<F: FnMut(&str, usize, usize)>(&self, text: &str, emit: F) {
        self.run(text, emit, Path::Fast);
    }

    /// Collects every token as `(term, start, end)`; see [`WordTokenizer::for_each_token`].
    #[must_use]
    pub fn tokenize(&self, text: &str) -> Vec<(String, usize, usize)> {
        let mut out = Vec::new();
        self.for_each_token(text, |term, start, end| {
            out.push((term.to_owned(), start, end));
        });
        out
    }

    /// Same as [`WordTokenizer::for_each_token`] but segments everything with
    /// `unicode-segmentation`; the reference the ASCII fast path is tested against.
    #[cfg(test)]
    fn for_each_token_slow<F: FnMut(&str, usize, usize)>(&self, text: &str, emit: F) {
        self.run(text, emit, Path::Slow);
    }

    fn run<F: FnMut(&str, usize, usize)>(&self, text: &str, emit: F, path: Path) {
        let mut emitter = Emitter {
            cfg: &self.config,
            text,
            emit,
            buf: String::new(),
            scratch: String::new(),
            region_start: 0,
            pending: None,
        };
        let mut cursor = 0;
        if self.config.special_tokens {
            let mut finder = SpanFinder::new(text, &self.scheme_finder, &self.www_finder);
            while let Some((start, end)) = finder.next_span(cursor) {
                emitter.region(cursor, start, path);
                let flags = text.get(start..end).map_or(NON_ASCII, flags_of);
                emitter.finish(start, end, flags, false);
                cursor = end;
            }
        }
        emitter.region(cursor, text.len(), path);
    }
}

/// Which segmenter handles ASCII text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Fast,
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the reference path only runs in tests")
    )]
    Slow,
}

/// Receives the UAX #29 segments that contain an alphanumeric character, in order.
trait SegmentSink {
    /// `flags` is the OR of [`class`] over the bytes of `text[start..end]`: [`NON_ASCII`] tells
    /// whether the segment is pure ASCII, and for ASCII segments the other bits tell what kind of
    /// characters it holds without looking at it again.
    fn segment(&mut self, start: usize, end: usize, flags: u8);
}

fn segment_region<S: SegmentSink>(text: &str, start: usize, end: usize, path: Path, sink: &mut S) {
    match path {
        Path::Fast => segment_fast(text, start, end, sink),
        Path::Slow => segment_slow(text, start, end, sink),
    }
}

fn segment_slow<S: SegmentSink>(text: &str, start: usize, end: usize, sink: &mut S) {
    let Some(region) = text.get(start..end) else {
        return;
    };
    for (offset, seg) in region.split_word_bound_indices() {
        let flags = flags_of(seg);
        let wordy = if flags & NON_ASCII == 0 {
            flags & (LETTER | DIGIT) != 0
        } else {
            seg.chars().any(char::is_alphanumeric)
        };
        if wordy {
            // UAX #29 glues combining marks to a preceding space or control character (WB4); a
            // mark that counts as a letter would otherwise drag that character into the token.
            let lead: usize = seg
                .chars()
                .take_while(|&c| is_invisible(c))
                .map(char::len_utf8)
                .sum();
            sink.segment(start + offset + lead, start + offset + seg.len(), flags);
        }
    }
}

fn flags_of(s: &str) -> u8 {
    s.bytes().fold(0, |flags, b| flags | class(b))
}

const LOWER: u8 = 1;
const UPPER: u8 = 2;
const LETTER: u8 = LOWER | UPPER;
const DIGIT: u8 = 4;
const UNDERSCORE: u8 = 8;
const WORD: u8 = LETTER | DIGIT | UNDERSCORE;
/// `MidLetter` or `MidNumLetQ`: joins two letters (WB6/WB7).
const JOINS_LETTERS: u8 = 16;
/// `MidNum` or `MidNumLetQ`: joins two digits (WB11/WB12).
const JOINS_DIGITS: u8 = 32;
const APOSTROPHE: u8 = 64;
const NON_ASCII: u8 = 128;

/// Word-break classes of bytes as far as the ASCII fast path needs them: `ALetter` (split by
/// case, to know without a second pass whether a term needs lowercasing), `Numeric`,
/// `ExtendNumLet` (`_`), `MidLetter` (`:`), `MidNumLet` and `Single_Quote` (`.` `'`), `MidNum`
/// (`,` `;`). Everything else in ASCII never joins with a neighbour except through combining
/// marks, which are not ASCII.
static CLASSES: [u8; 256] = build_classes();

const fn build_classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b: u8 = 0;
    loop {
        table[b as usize] = if b >= 0x80 {
            NON_ASCII
        } else if b.is_ascii_lowercase() {
            LOWER
        } else if b.is_ascii_uppercase() {
            UPPER
        } else if b.is_ascii_digit() {
            DIGIT
        } else {
            match b {
                b'_' => UNDERSCORE,
                b':' => JOINS_LETTERS,
                b'.' => JOINS_LETTERS | JOINS_DIGITS,
                b'\'' => JOINS_LETTERS | JOINS_DIGITS | APOSTROPHE,
                b',' | b';' => JOINS_DIGITS,
                _ => 0,
            }
        };
        if b == 0xFF {
            return table;
        }
        b += 1;
    }
}

#[inline]
fn class(b: u8) -> u8 {
    CLASSES[usize::from(b)]
}

/// UAX #29 segmentation of `text[start..end]` for ASCII, handing stretches with non-ASCII
/// characters to [`segment_slow`].
///
/// The hand-over is exact because `unicode-segmentation` computes every segment afresh from
/// its first character (its iterator keeps no state between segments): starting it at any
/// boundary it would itself produce gives the same segments from there on. The fast path
/// therefore restarts it at the start of the segment a non-ASCII character could join, and
/// resumes at an ASCII whitespace character that is certainly a boundary.
fn segment_fast<S: SegmentSink>(text: &str, start: usize, end: usize, sink: &mut S) {
    let b = text.as_bytes();
    let end = end.min(b.len());
    // Where the current ASCII stretch began; the slow path never has to look back before it.
    let mut chunk_start = start;
    let mut i = start;
    while i < end {
        let c = class(b[i]);
        if c & WORD == 0 {
            if c == NON_ASCII {
                let restart = restart_point(b, chunk_start, i);
                let resume = resume_point(text, i, end);
                segment_slow(text, restart, resume, sink);
                i = resume;
                chunk_start = resume;
            } else {
                i += 1;
            }
            continue;
        }
        let seg_start = i;
        let mut flags = c;
        i += 1;
        // Some(p): byte p is non-ASCII and decides whether the segment goes on.
        let mut undecided = None;
        loop {
            (i, flags) = word_run(b, i, end, flags);
            if i == end {
                break;
            }
            let mid = class(b[i]);
            if mid == NON_ASCII {
                undecided = Some(i);
                break;
            }
            // WB6/WB7 and WB11/WB12: the character before the middle one decides what may follow.
            let prev = class(b[i - 1]);
            let needed = if prev & LETTER != 0 && mid & JOINS_LETTERS != 0 {
                LETTER
            } else if prev & DIGIT != 0 && mid & JOINS_DIGITS != 0 {
                DIGIT
            } else {
                break;
            };
            if i + 1 == end {
                break;
            }
            let next = class(b[i + 1]);
            if next == NON_ASCII {
                undecided = Some(i + 1);
                break;
            }
            if next & needed == 0 {
                break;
            }
            flags |= mid | next;
            i += 2;
        }
        if let Some(p) = undecided {
            let resume = resume_point(text, p, end);
            segment_slow(text, seg_start, resume, sink);
            i = resume;
            chunk_start = resume;
            continue;
        }
        // A segment of underscores alone has nothing alphanumeric.
        if flags != UNDERSCORE {
            sink.segment(seg_start, i, flags);
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Sets the high bit of each byte of `x` that lies in `lo..=hi`. Exact for the bytes below the
/// first byte of 0x80 or more, since carries only move towards higher bytes.
#[inline]
fn bytes_in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x.wrapping_add(ONES * u64::from(0x80 - lo));
    let above_hi = x.wrapping_add(ONES * u64::from(0x7F - hi));
    at_least_lo & !above_hi & HIGHS
}

/// End of the run of ASCII word bytes (letters, digits, `_`) starting at `i`, and `flags`
/// combined with their classes.
///
/// Eight bytes at a time: a byte-by-byte loop mispredicts its exit once per word, which cost
/// more than all the classification work below.
#[inline]
fn word_run(b: &[u8], mut i: usize, end: usize, mut flags: u8) -> (usize, u8) {
    while i + 8 <= end {
        let Some(Ok(chunk)) = b.get(i..i + 8).map(<[u8; 8]>::try_from) else {
            break;
        };
        let x = u64::from_le_bytes(chunk);
        let lower = bytes_in_range(x, b'a', b'z');
        let upper = bytes_in_range(x, b'A', b'Z');
        let digit = bytes_in_range(x, b'0', b'9');
        let under = bytes_in_range(x, b'_', b'_');
        let stop = (!(lower | upper | digit | under) & HIGHS) | (x & HIGHS);
        // High bits of the bytes before the first stop byte.
        let run = stop.wrapping_sub(1) & !stop;
        flags |= (u8::from(lower & run != 0) * LOWER)
            | (u8::from(upper & run != 0) * UPPER)
            | (u8::from(digit & run != 0) * DIGIT)
            | (u8::from(under & run != 0) * UNDERSCORE);
        if stop != 0 {
            return (i + (stop.trailing_zeros() / 8) as usize, flags);
        }
        i += 8;
    }
    while i < end {
        let c = class(b[i]);
        if c & WORD == 0 {
            break;
        }
        flags |= c;
        i += 1;
    }
    (i, flags)
}

/// Start of the segment that a non-ASCII character at `at` may extend (combining marks attach
/// to anything but line breaks). `b[at - 1]` is a non-word ASCII character here: word segments
/// hand over on their own.
fn restart_point(b: &[u8], chunk_start: usize, at: usize) -> usize {
    if at <= chunk_start {
        return at;
    }
    match b[at - 1] {
        b' ' => {
            // WB3d keeps a run of spaces together.
            let mut r = at - 1;
            while r > chunk_start && b[r - 1] == b' ' {
                r -= 1;
            }
            r
        }
        b'\n' if at - 1 > chunk_start && b[at - 2] == b'\r' => at - 2,
        _ => at - 1,
    }
}

/// First ASCII whitespace at or after `from` that is always preceded by a word boundary and
/// never part of a longer segment on its left, or `end`.
fn resume_point(text: &str, from: usize, end: usize) -> usize {
    let b = text.as_bytes();
    let mut j = from;
    while j < end {
        match b[j] {
            // CR, LF, VT and FF break on both sides (WB3a/WB3b; CR LF is found at the CR), and
            // no rule joins a TAB to what precedes it.
            b'\t' | b'\n' | 0x0B | 0x0C | b'\r' => return j,
            // A space only continues a run of WSegSpace characters (WB3d).
            b' ' if !prev_char(text, j).is_some_and(is_wseg_space) => return j,
            _ => {}
        }
        j += 1;
    }
    end
}

/// Whether `c` has the word-break property `WSegSpace`.
fn is_wseg_space(c: char) -> bool {
    matches!(c, ' ' | '\u{1680}' | '\u{205F}' | '\u{3000}')
        || matches!(c, '\u{2000}'..='\u{2006}' | '\u{2008}'..='\u{200A}')
}

/// A word token waiting to see whether the next segment continues it.
#[derive(Debug, Clone, Copy)]
struct Pending {
    start: usize,
    end: usize,
    /// OR of the segments' flags (see [`SegmentSink::segment`]).
    flags: u8,
    /// Starts with a `#` or `@` sigil.
    tagged: bool,
}

/// Turns segments into tokens: joins hyphenated words, drops possessives, attaches sigils,
/// normalises terms and applies the filters.
struct Emitter<'a, F> {
    cfg: &'a WordTokenizerConfig,
    text: &'a str,
    emit: F,
    /// Holds a term that differs from its source text.
    buf: String,
    /// Second buffer for the normalisation steps that cannot work in place.
    scratch: String,
    region_start: usize,
    pending: Option<Pending>,
}

impl<F: FnMut(&str, usize, usize)> Emitter<'_, F> {
    /// Tokenizes `text[start..end]`, a stretch without URLs or e-mail addresses.
    fn region(&mut self, start: usize, end: usize, path: Path) {
        if start < end {
            self.region_start = start;
            let text = self.text;
            segment_region(text, start, end, path, self);
            self.flush();
        }
    }

    #[inline]
    fn flush(&mut self) {
        if let Some(p) = self.pending.take() {
            let end = if p.flags & (APOSTROPHE | NON_ASCII) == 0 {
                p.end
            } else {
                strip_possessive(self.text.as_bytes(), p.start + usize::from(p.tagged), p.end)
            };
            self.finish(p.start, end, p.flags, !p.tagged);
        }
    }

    /// Normalises `text[start..end]`, applies the filters and emits the token. `flags` describe
    /// the text as in [`SegmentSink::segment`]; `may_be_number`: subject to `drop_numbers`.
    #[inline]
    fn finish(&mut self, start: usize, end: usize, flags: u8, may_be_number: bool) {
        let Some(src) = self.text.get(start..end) else {
            return;
        };
        let cfg = self.cfg;
        let drop_numbers = cfg.drop_numbers && may_be_number;
        let ascii = flags & NON_ASCII == 0;
        let term: &str = if ascii {
            // The flags may still count a stripped `'S`: at worst a needless copy.
            if drop_numbers && flags & LETTER == 0 {
                return;
            }
            if cfg.lowercase && flags & UPPER != 0 {
                self.buf.clear();
                self.buf.push_str(src);
                self.buf.make_ascii_lowercase();
                &self.buf
            } else {
                src
            }
        } else {
            normalize(src, cfg, &mut self.buf, &mut self.scratch);
            let term = self.buf.as_str();
            if term.is_empty() || (drop_numbers && !term.chars().any(char::is_alphabetic)) {
                return;
            }
            term
        };
        if cfg.min_length > 1 {
            let len = if ascii {
                term.len()
            } else {
                term.chars().count()
            };
            if len < cfg.min_length {
                return;
            }
        }
        debug_assert!(!term.is_empty() && !term.chars().any(is_invisible));
        (self.emit)(term, start, end);
    }
}

impl<F: FnMut(&str, usize, usize)> SegmentSink for Emitter<'_, F> {
    #[inline]
    fn segment(&mut self, start: usize, end: usize, flags: u8) {
        let b = self.text.as_bytes();
        if let Some(p) = self.pending.as_mut() {
            let gap = &b[p.end..start];
            // Hashtags and handles are identifiers and end at a hyphen.
            if !p.tagged && is_hyphen(gap) {
                p.end = end;
                p.flags |= flags | if gap.len() == 1 { 0 } else { NON_ASCII };
                return;
            }
            // After a digit UAX #29 does not join `'s` (`1990's`, `covid-19's`): drop it here.
            if end - start == 1 && b[start] | 0x20 == b's' && is_apostrophe(gap) {
                self.flush();
                return;
            }
        }
        self.flush();
        let mut start = start;
        let mut tagged = false;
        if self.cfg.special_tokens && start > self.region_start {
            let sigil = b[start - 1];
            if (sigil == b'@' || (sigil == b'#' && has_letter(&self.text[start..end], flags)))
                && sigil_allowed_after(self.text, start - 1)
            {
                start -= 1;
                tagged = true;
            }
        }
        self.pending = Some(Pending {
            start,
            end,
            flags,
            tagged,
        });
    }
}

fn is_hyphen(gap: &[u8]) -> bool {
    // `-`, U+2010 HYPHEN, U+2011 NON-BREAKING HYPHEN.
    matches!(gap, [b'-'] | [0xE2, 0x80, 0x90 | 0x91])
}

fn is_apostrophe(gap: &[u8]) -> bool {
    // `'`, U+2019 RIGHT SINGLE QUOTATION MARK, U+02BC MODIFIER LETTER APOSTROPHE.
    matches!(gap, [b'\''] | [0xE2, 0x80, 0x99] | [0xCA, 0xBC])
}

/// End of the token after dropping a final `'s`, `’s` or `ʼs` (either case), provided something
/// is left after `keep_from`.
fn strip_possessive(b: &[u8], keep_from: usize, end: usize) -> usize {
    let cut = match b.get(..end) {
        Some([.., b'\'', b's' | b'S']) => end - 2,
        Some([.., 0xCA, 0xBC, b's' | b'S']) => end - 3,
        Some([.., 0xE2, 0x80, 0x99, b's' | b'S']) => end - 4,
        _ => return end,
    };
    if cut > keep_from { cut } else { end }
}

fn has_letter(s: &str, flags: u8) -> bool {
    if flags & NON_ASCII == 0 {
        flags & LETTER != 0
    } else {
        s.chars().any(char::is_alphabetic)
    }
}

/// A `#` or `@` starts a tag unless it sits inside a word, an e-mail-like string or an HTML
/// character reference (`&#39;`).
fn sigil_allowed_after(text: &str, sigil: usize) -> bool {
    !prev_char(text, sigil)
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '&' | '#' | '@'))
}

/// Builds the term of a non-ASCII token in `buf`.
fn normalize(src: &str, cfg: &WordTokenizerConfig, buf: &mut String, scratch: &mut String) {
    buf.clear();
    for c in src.chars() {
        match c {
            '\u{2019}' | '\u{2BC}' => buf.push('\''),
            '\u{2010}' | '\u{2011}' => buf.push('-'),
            // Whitespace inside a segment (U+202F joins digits in UAX #29) would break joining
            // terms with spaces; soft hyphens and zero-width characters would split counts.
            c if is_invisible(c) => {}
            c => buf.push(c),
        }
    }
    if cfg.nfkc {
        scratch.clear();
        // NFKC maps some characters to sequences with a space (U+00A0, U+FE70…).
        scratch.extend(buf.nfkc().filter(|&c| !is_invisible(c)));
        std::mem::swap(buf, scratch);
    }
    if cfg.lowercase {
        if buf.is_ascii() {
            buf.make_ascii_lowercase();
        } else if buf.contains('Σ') {
            // Only sigma's lowercase form depends on its context; `str::to_lowercase` knows the
            // final-sigma rule, `char::to_lowercase` does not.
            *scratch = buf.to_lowercase();
            std::mem::swap(buf, scratch);
        } else {
            scratch.clear();
            for c in buf.chars() {
                scratch.extend(c.to_lowercase());
            }
            std::mem::swap(buf, scratch);
        }
    }
}

/// Characters never kept in a term: Unicode whitespace, control characters, and the format
/// characters that only affect rendering (soft hyphen, zero-width space, word joiner, BOM).
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

fn prev_char(text: &str, pos: usize) -> Option<char> {
    text.get(..pos)?.chars().next_back()
}

fn next_char(text: &str, pos: usize) -> Option<char> {
    text.get(pos..)?.chars().next()
}

/// Finds URLs and e-mail addresses from left to right. Each candidate is found by a substring
/// search and checked locally with bounded look-behind, so the whole search is linear.
struct SpanFinder<'t> {
    text: &'t str,
    at_signs: memchr::Memchr<'t>,
    schemes: memmem::FindIter<'t, 't>,
    wwws: memmem::FindIter<'t, 't>,
    /// Next unexamined position of `@`, `://` and `www.`.
    next: [Option<usize>; 3],
}

impl<'t> SpanFinder<'t> {
    fn new(
        text: &'t str,
        scheme_finder: &'t memmem::Finder<'static>,
        www_finder: &'t memmem::Finder<'static>,
    ) -> Self {
        let b = text.as_bytes();
        let mut at_signs = memchr::memchr_iter(b'@', b);
        let mut schemes = scheme_finder.find_iter(b);
        let mut wwws = www_finder.find_iter(b);
        let next = [at_signs.next(), schemes.next(), wwws.next()];
        Self {
            text,
            at_signs,
            schemes,
            wwws,
            next,
        }
    }

    fn advance(&mut self, kind: usize) {
        self.next[kind] = match kind {
            0 => self.at_signs.next(),
            1 => self.schemes.next(),
            _ => self.wwws.next(),
        };
    }

    /// The next URL or e-mail address that starts at or after `cursor`.
    fn next_span(&mut self, cursor: usize) -> Option<(usize, usize)> {
        loop {
            for kind in 0..3 {
                // Candidates inside the previous span are already taken care of.
                while self.next[kind].is_some_and(|p| p < cursor) {
                    self.advance(kind);
                }
            }
            let (kind, pos) = self
                .next
                .iter()
                .enumerate()
                .filter_map(|(kind, p)| p.map(|p| (kind, p)))
                .min_by_key(|&(_, p)| p)?;
            self.advance(kind);
            let span = match kind {
                0 => email_at(self.text, pos, cursor),
                1 => url_at_scheme(self.text, pos, cursor),
                _ => url_at_www(self.text, pos),
            };
            if span.is_some() {
                return span;
            }
        }
    }
}

/// Longest local part considered (RFC 5321's limit); also bounds the look-behind.
const MAX_LOCAL: usize = 64;
/// Longest domain considered (RFC 1035's limit).
const MAX_DOMAIN: usize = 253;

fn is_local_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'-'
}

/// An ASCII e-mail address around the `@` at `at`, starting at or after `cursor`.
fn email_at(text: &str, at: usize, cursor: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let low = cursor.max(at.saturating_sub(MAX_LOCAL));
    let mut start = at;
    while start > low && is_local_byte(b[start - 1]) {
        start -= 1;
    }
    // Refuse to cut a longer string (or a previous span) in two.
    if start > 0
        && (is_local_byte(b[start - 1])
            || prev_char(text, start).is_some_and(char::is_alphanumeric))
    {
        return None;
    }
    while start < at && !(b[start].is_ascii_alphanumeric() || b[start] == b'_') {
        start += 1;
    }
    if start == at {
        return None;
    }
    let limit = (at + 1 + MAX_DOMAIN).min(b.len());
    let mut end = at + 1;
    while end < limit && is_domain_byte(b[end]) {
        end += 1;
    }
    if end == limit && b.get(limit).is_some_and(|&c| is_domain_byte(c)) {
        return None;
    }
    while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    if !is_valid_domain(&b[at + 1..end]) || next_char(text, end).is_some_and(char::is_alphanumeric)
    {
        return None;
    }
    Some((start, end))
}

/// At least two non-empty labels; the last one has a letter and two or more characters.
fn is_valid_domain(domain: &[u8]) -> bool {
    let mut labels = 0;
    for label in domain.split(|&c| c == b'.') {
        if label.is_empty() {
            return false;
        }
        labels += 1;
    }
    let tld = domain.rsplit(|&c| c == b'.').next().unwrap_or_default();
    labels >= 2 && tld.len() >= 2 && tld.iter().any(u8::is_ascii_alphabetic)
}

const SCHEMES: [&[u8]; 7] = [b"https", b"http", b"ftps", b"ftp", b"sftp", b"wss", b"ws"];

/// A URL whose `://` is at `sep`, with a known scheme starting at or after `cursor`.
fn url_at_scheme(text: &str, sep: usize, cursor: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let start = SCHEMES.iter().find_map(|scheme| {
        let start = sep.checked_sub(scheme.len())?;
        (start >= cursor
            && b[start..sep].eq_ignore_ascii_case(scheme)
            && !prev_char(text, start).is_some_and(is_wordish))
        .then_some(start)
    })?;
    let body = sep + 3;
    if !next_char(text, body).is_some_and(char::is_alphanumeric) {
        return None;
    }
    let end = trim_url(b, start, scan_url(text, body));
    Some((start, end))
}

/// A URL starting with the `www.` at `start`, which needs a dotted host name after it.
fn url_at_www(text: &str, start: usize) -> Option<(usize, usize)> {
    if prev_char(text, start).is_some_and(|c| is_wordish(c) || matches!(c, '.' | '-' | '/' | '@')) {
        return None;
    }
    let b = text.as_bytes();
    let host = start + 4;
    if !next_char(text, host).is_some_and(char::is_alphanumeric) {
        return None;
    }
    let mut host_end = host;
    let mut dotted = false;
    while let Some(c) = next_char(text, host_end) {
        if c == '.' {
            dotted |= next_char(text, host_end + 1).is_some_and(char::is_alphanumeric);
        } else if !(c.is_alphanumeric() || c == '-') {
            break;
        }
        host_end += c.len_utf8();
    }
    if !dotted {
        return None;
    }
    let end = trim_url(b, start, scan_url(text, host_end));
    Some((start, end))
}

fn is_wordish(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// End of the run of URL characters starting at `from`: printable ASCII except the quote,
/// angle brackets, backslash, caret, backtick, braces and bar, and alphanumeric non-ASCII
/// characters (internationalised paths).
fn scan_url(text: &str, from: usize) -> usize {
    let b = text.as_bytes();
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if c <= b' '
                || c == 0x7F
                || matches!(
                    c,
                    b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
                )
            {
                break;
            }
            i += 1;
        } else {
            match next_char(text, i) {
                Some(ch) if ch.is_alphanumeric() => i += ch.len_utf8(),
                _ => break,
            }
        }
    }
    i
}

/// Drops sentence punctuation, quotes and unbalanced closing brackets from the end of a URL.
fn trim_url(b: &[u8], start: usize, mut end: usize) -> usize {
    let count = |c: u8| memchr::memchr_iter(c, &b[start..end]).count();
    let (open_paren, open_bracket) = (count(b'('), count(b'['));
    let (mut close_paren, mut close_bracket) = (count(b')'), count(b']'));
    while end > start {
        match b[end - 1] {
            b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'*' => {}
            b')' if close_paren > open_paren => close_paren -= 1,
            b']' if close_bracket > open_bracket => close_bracket -= 1,
            _ => break,
        }
        end -= 1;
    }
    end
}

#[cfg(test)]
#[path = "word_tests.rs"]
mod tests;
