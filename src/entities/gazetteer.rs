//! A user gazetteer: a list of phrases with a label and a canonical id, matched as whole tokens.
//!
//! All phrases go into one aho-corasick automaton (`MatchKind::LeftmostLongest`), built once and
//! shared read-only. Phrases and texts are cut by the recognizer's tokenizer ([`super::tokenize`])
//! and matched token by token, so "Russia" matches in "Russia’s" but not in "Russian". Matching
//! is leftmost-longest over whole tokens: at each token, the longest phrase that starts there wins,
//! and the search resumes after it. With `ignore_case`, phrases and text are compared lower-cased.
//!
//! ```
//! use newstally::entities::{EntityRecognizer, Label};
//! use newstally::entities::gazetteer::Gazetteer;
//!
//! let g = Gazetteer::new(
//!     [("New York", Label::Loc, "Q60"), ("New York Times", Label::Org, "Q9684")],
//!     false,
//! )?;
//! let text = "The New York Times moved to New York’s west side.";
//! let m = g.find(text);
//! assert_eq!(&text[m[0].start..m[0].end], "New York Times");
//! assert_eq!(g.id(m[0].entry), "Q9684");
//! assert_eq!(&text[m[1].start..m[1].end], "New York");
//! assert_eq!(g.recognize(text)[1].label, Label::Loc);
//! # Ok::<(), newstally::Error>(())
//! ```

use aho_corasick::{AhoCorasick, Anchored, Input, MatchKind, StartKind};

use super::features::normalize;
use super::tokenize::{tokenize, tokenize_phrase};
use super::{Entity, EntityRecognizer, Label};
use crate::error::{Error, Result};
use crate::sentence::SentenceSplitter;

/// Token separator in the automaton's haystack; it never occurs inside a token.
const SEP: char = ' ';

/// A gazetteer match: a byte span of the text and the entry it matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GazetteerMatch {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset one past the last character.
    pub end: usize,
    /// The entry's index (see [`Gazetteer::label`], [`Gazetteer::id`], [`Gazetteer::phrase`]).
    pub entry: usize,
}

/// Phrases with labels and ids, matched as whole tokens (see the module docs).
#[derive(Clone, Debug)]
pub struct Gazetteer {
    automaton: AhoCorasick,
    /// Entry of each automaton pattern.
    pattern_entry: Vec<u32>,
    phrases: Vec<String>,
    labels: Vec<Label>,
    ids: Vec<String>,
    ignore_case: bool,
    splitter: SentenceSplitter,
}

/// Appends a token to the haystack form: normalised quotes and dashes, lower-cased if asked.
fn push_token(out: &mut String, token: &str, ignore_case: bool) {
    let t = normalize(token);
    if ignore_case {
        out.push_str(&t.to_lowercase());
    } else {
        out.push_str(&t);
    }
    out.push(SEP);
}

impl Gazetteer {
    /// Builds the automaton. Entries are (phrase, label, id); a phrase whose tokens equal an
    /// earlier one's (after case folding with `ignore_case`) replaces it.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a phrase without tokens, or an automaton too large to build.
    pub fn new<I, P, D>(entries: I, ignore_case: bool) -> Result<Self>
    where
        I: IntoIterator<Item = (P, Label, D)>,
        P: AsRef<str>,
        D: AsRef<str>,
    {
        let mut phrases = Vec::new();
        let mut labels = Vec::new();
        let mut ids = Vec::new();
        let mut patterns: Vec<String> = Vec::new();
        let mut index: ahash::AHashMap<String, usize> = ahash::AHashMap::new();
        let mut pattern_entry: Vec<u32> = Vec::new();
        for (phrase, label, id) in entries {
            let phrase = phrase.as_ref();
            let mut pattern = String::with_capacity(phrase.len() + 4);
            for r in tokenize_phrase(phrase) {
                push_token(&mut pattern, &phrase[r], ignore_case);
            }
            if pattern.is_empty() {
                return Err(Error::config(
                    "gazetteer",
                    format!("phrase {phrase:?} has no tokens"),
                ));
            }
            let entry = u32::try_from(phrases.len())
                .map_err(|_| Error::TooLarge("more than 2^32 gazetteer entries".to_owned()))?;
            phrases.push(phrase.to_owned());
            labels.push(label);
            ids.push(id.as_ref().to_owned());
            if let Some(&p) = index.get(&pattern) {
                pattern_entry[p] = entry;
            } else {
                index.insert(pattern.clone(), patterns.len());
                patterns.push(pattern);
                pattern_entry.push(entry);
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(&patterns)
            .map_err(|e| Error::config("gazetteer", format!("cannot build the automaton: {e}")))?;
        Ok(Gazetteer {
            automaton,
            pattern_entry,
            phrases,
            labels,
            ids,
            ignore_case,
            splitter: SentenceSplitter::new(),
        })
    }

    /// Number of entries (as given, replaced ones included).
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Whether matching ignores case.
    pub fn ignore_case(&self) -> bool {
        self.ignore_case
    }

    /// The phrase of an entry.
    pub fn phrase(&self, entry: usize) -> &str {
        &self.phrases[entry]
    }

    /// The label of an entry.
    pub fn label(&self, entry: usize) -> Label {
        self.labels[entry]
    }

    /// The id of an entry.
    pub fn id(&self, entry: usize) -> &str {
        &self.ids[entry]
    }

    /// A match as an entity: its span and its entry's label.
    pub fn entity(&self, m: &GazetteerMatch) -> Entity {
        Entity {
            start: m.start,
            end: m.end,
            label: self.labels[m.entry],
        }
    }

    /// The matches in `text`, in text order, not overlapping. Matches do not cross sentences.
    pub fn find(&self, text: &str) -> Vec<GazetteerMatch> {
        let mut out = Vec::new();
        let mut hay = String::new();
        let mut tokens: Vec<std::ops::Range<usize>> = Vec::new();
        let mut starts: Vec<usize> = Vec::new();
        self.splitter.for_each_sentence(text, |sentence| {
            hay.clear();
            tokens.clear();
            starts.clear();
            for r in tokenize(text, sentence) {
                starts.push(hay.len());
                push_token(&mut hay, &text[r.clone()], self.ignore_case);
                tokens.push(r);
            }
            let mut i = 0;
            while i < tokens.len() {
                let input = Input::new(&hay).range(starts[i]..).anchored(Anchored::Yes);
                if let Some(m) = self.automaton.find(input) {
                    // Patterns end with SEP, so the match ends just before a token start (or at
                    // the end of the haystack).
                    let next = starts.partition_point(|&s| s < m.end());
                    out.push(GazetteerMatch {
                        start: tokens[i].start,
                        end: tokens[next - 1].end,
                        entry: self.pattern_entry[m.pattern().as_usize()] as usize,
                    });
                    i = next;
                } else {
                    i += 1;
                }
            }
        });
        out
    }
}

impl EntityRecognizer for Gazetteer {
    fn recognize(&self, text: &str) -> Vec<Entity> {
        self.find(text).iter().map(|m| self.entity(m)).collect()
    }
}

/// Combines gazetteer matches with model entities: every gazetteer match is kept, and model
/// entities that overlap one are dropped. Both inputs are in text order; so is the output.
pub fn combine(gazetteer: &[Entity], model: &[Entity]) -> Vec<Entity> {
    let mut out: Vec<Entity> = Vec::with_capacity(gazetteer.len() + model.len());
    let mut g = 0;
    for m in model {
        while g < gazetteer.len() && gazetteer[g].end <= m.start {
            out.push(gazetteer[g]);
            g += 1;
        }
        let overlaps = gazetteer[g..]
            .iter()
            .take_while(|x| x.start < m.end)
            .any(|x| x.end > m.start);
        if !overlaps {
            out.push(*m);
        }
    }
    out.extend_from_slice(&gazetteer[g..]);
    out
}

/// One article's mentions for [`super::counts::EntityCounts`]: the gazetteer's matches under their
/// canonical ids, and the model's entities that do not overlap a match under their text, in text
/// order.
pub fn mentions<'a>(
    gazetteer: &'a Gazetteer,
    text: &'a str,
    found: &[GazetteerMatch],
    model: &[Entity],
) -> Vec<(&'a str, Label)> {
    let matched: Vec<Entity> = found.iter().map(|m| gazetteer.entity(m)).collect();
    let mut next = 0;
    combine(&matched, model)
        .into_iter()
        .map(|e| {
            // Matches come out of `combine` in order, each exactly once.
            if next < found.len() && (found[next].start, found[next].end) == (e.start, e.end) {
                next += 1;
                (gazetteer.id(found[next - 1].entry), e.label)
            } else {
                (&text[e.start..e.end], e.label)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans<'a>(g: &'a Gazetteer, text: &'a str) -> Vec<(&'a str, &'a str)> {
        g.find(text)
            .iter()
            .map(|m| (&text[m.start..m.end], g.id(m.entry)))
            .collect()
    }

    #[test]
    fn whole_tokens_leftmost_longest() {
        let g = Gazetteer::new(
            [
                ("New York", Label::Loc, "ny"),
                ("New York Times", Label::Org, "nyt"),
                ("York", Label::Loc, "york"),
                ("Russia", Label::Loc, "ru"),
                ("U.S.", Label::Loc, "us"),
                ("Acme Inc.", Label::Org, "acme"),
                ("Paris", Label::Loc, "paris"),
                ("London", Label::Loc, "london"),
            ],
            false,
        )
        .unwrap();
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("The New York Times said", &[("New York Times", "nyt")]),
            ("New York Timesheet", &[("New York", "ny")]),
            ("Russia’s and Russian troops", &[("Russia", "ru")]),
            ("in the U.S. and US", &[("U.S.", "us")]),
            ("Acme Inc. rose", &[("Acme Inc.", "acme")]),
            ("Paris London", &[("Paris", "paris"), ("London", "london")]),
            ("NewYork york", &[]),
            (
                "Old York. New\nYork",
                &[("York", "york"), ("New\nYork", "ny")],
            ),
            ("", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(&spans(&g, text), want, "{text:?}");
        }
    }

    #[test]
    fn case_folding_duplicates_and_bad_entries() {
        let g = Gazetteer::new(
            [
                ("Apple", Label::Org, "a1"),
                ("APPLE", Label::Org, "a2"),
                ("Zürich", Label::Loc, "z"),
            ],
            true,
        )
        .unwrap();
        assert_eq!(
            spans(&g, "apple and ZÜRICH"),
            [("apple", "a2"), ("ZÜRICH", "z")]
        );
        assert_eq!(g.len(), 3);
        let exact = Gazetteer::new([("Apple", Label::Org, "a")], false).unwrap();
        assert!(exact.find("apple").is_empty());
        assert!(Gazetteer::new([("  ", Label::Org, "x")], false).is_err());
        let empty = Gazetteer::new(Vec::<(&str, Label, &str)>::new(), false).unwrap();
        assert!(empty.find("anything at all").is_empty());
    }

    #[test]
    fn a_million_entries_build() {
        let entries: Vec<(String, Label, String)> = (0..1_000_000)
            .map(|i| (format!("Entity{i} Holdings"), Label::Org, format!("id{i}")))
            .collect();
        let g = Gazetteer::new(entries, false).unwrap();
        assert_eq!(g.len(), 1_000_000);
        let text = "Shares of Entity999999 Holdings and Entity5 Holdings rose.";
        assert_eq!(
            spans(&g, text),
            [
                ("Entity999999 Holdings", "id999999"),
                ("Entity5 Holdings", "id5")
            ]
        );
    }

    #[test]
    fn mentions_use_canonical_ids() {
        let g = Gazetteer::new(
            [
                ("U.S.", Label::Loc, "United States"),
                ("Vladimir Putin", Label::Per, "Vladimir Putin"),
            ],
            false,
        )
        .unwrap();
        let text = "Vladimir Putin told U.S. envoys in Moscow that Putin would wait.";
        let span = |s: &str, label| {
            let start = text.find(s).unwrap();
            Entity {
                start,
                end: start + s.len(),
                label,
            }
        };
        // The model's entities: one overlapping the first match, Moscow, and the second "Putin".
        let model = [
            span("Putin told", Label::Per),
            span("Moscow", Label::Loc),
            Entity {
                start: text.rfind("Putin").unwrap(),
                end: text.rfind("Putin").unwrap() + 5,
                label: Label::Per,
            },
        ];
        assert_eq!(
            mentions(&g, text, &g.find(text), &model),
            vec![
                ("Vladimir Putin", Label::Per),
                ("United States", Label::Loc),
                ("Moscow", Label::Loc),
                ("Putin", Label::Per),
            ]
        );
        assert_eq!(
            mentions(&g, text, &[], &model[1..2]),
            vec![("Moscow", Label::Loc)]
        );
    }

    #[test]
    fn combine_prefers_the_gazetteer() {
        let e = |start, end, label| Entity { start, end, label };
        let gaz = [e(5, 10, Label::Org), e(20, 25, Label::Loc)];
        let model = [
            e(0, 3, Label::Per),
            e(4, 6, Label::Per),
            e(10, 12, Label::Misc),
            e(22, 30, Label::Org),
            e(40, 45, Label::Loc),
        ];
        assert_eq!(
            combine(&gaz, &model),
            vec![
                e(0, 3, Label::Per),
                e(5, 10, Label::Org),
                e(10, 12, Label::Misc),
                e(20, 25, Label::Loc),
                e(40, 45, Label::Loc),
            ]
        );
        assert_eq!(combine(&[], &model), model.to_vec());
        assert_eq!(combine(&gaz, &[]), gaz.to_vec());
    }
}
