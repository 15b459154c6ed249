//! CoNLL-format reading, IOB1/IOB2 decoding and IOB2 encoding.

use crate::error::Error;
use serde::{Deserialize, Serialize};

/// Entity type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Label {
    /// A person.
    Per,
    /// A location.
    Loc,
    /// An organisation.
    Org,
    /// Other names: nationalities, events, works, products.
    Misc,
}

impl Label {
    /// Every label, in index order.
    pub const ALL: [Label; 4] = [Label::Per, Label::Loc, Label::Org, Label::Misc];

    /// The CoNLL name (`PER`, `LOC`, `ORG`, `MISC`).
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Per => "PER",
            Label::Loc => "LOC",
            Label::Org => "ORG",
            Label::Misc => "MISC",
        }
    }

    /// Parses a CoNLL name.
    pub fn parse(s: &str) -> Option<Label> {
        match s {
            "PER" => Some(Label::Per),
            "LOC" => Some(Label::Loc),
            "ORG" => Some(Label::Org),
            "MISC" => Some(Label::Misc),
            _ => None,
        }
    }

    /// 0 for `PER` .. 3 for `MISC`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label of an index below 4.
    pub fn from_index(i: usize) -> Label {
        Label::ALL[i]
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A span of tokens `[start, end)` with its label.
pub type Span = (usize, usize, Label);

/// One IOB tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    /// Outside any entity.
    O,
    /// Begins an entity.
    B(Label),
    /// Inside an entity.
    I(Label),
}

impl Tag {
    /// Parses `O`, `B-TYPE`, `I-TYPE` (the types PER, LOC, ORG, MISC).
    pub fn parse(s: &str) -> Option<Tag> {
        if s == "O" {
            return Some(Tag::O);
        }
        let (p, t) = s.split_once('-')?;
        let l = Label::parse(t)?;
        match p {
            "B" => Some(Tag::B(l)),
            "I" => Some(Tag::I(l)),
            _ => None,
        }
    }

    /// The tag as text (`O`, `B-PER`, ...).
    pub fn as_str(self) -> &'static str {
        const B: [&str; 4] = ["B-PER", "B-LOC", "B-ORG", "B-MISC"];
        const I: [&str; 4] = ["I-PER", "I-LOC", "I-ORG", "I-MISC"];
        match self {
            Tag::O => "O",
            Tag::B(l) => B[l.index()],
            Tag::I(l) => I[l.index()],
        }
    }

    /// The tag as an owned string.
    pub fn to_string_tag(self) -> String {
        match self {
            Tag::O => "O".to_string(),
            Tag::B(l) => format!("B-{}", l.as_str()),
            Tag::I(l) => format!("I-{}", l.as_str()),
        }
    }
}

/// One sentence: tokens and their (original-scheme) tags.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sentence {
    /// The tokens.
    pub tokens: Vec<String>,
    /// One tag per token, as written in the file.
    pub tags: Vec<Tag>,
}

impl Sentence {
    /// Gold spans, decoding the tags as IOB1 (CoNLL-2003's scheme).
    pub fn spans_iob1(&self) -> Vec<Span> {
        decode_iob1(&self.tags)
    }
    /// Gold spans, decoding the tags as IOB2.
    pub fn spans_iob2(&self) -> Vec<Span> {
        decode_iob2(&self.tags)
    }
    /// The tokens as string slices.
    pub fn token_refs(&self) -> Vec<&str> {
        self.tokens
            .iter()
            .map(std::string::String::as_str)
            .collect()
    }
}

/// A document: its sentences in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    /// The sentences.
    pub sentences: Vec<Sentence>,
}

/// Reads a CoNLL file from disk.
pub fn read_conll(path: &str) -> Result<Vec<Document>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_string(),
        source: e,
    })?;
    parse_conll(&text, path)
}

/// Parses CoNLL text: whitespace-separated columns, token first, tag last;
/// blank lines end sentences; `-DOCSTART-` lines start documents.
/// A file without any `-DOCSTART-` is one document.
pub fn parse_conll(text: &str, file: &str) -> Result<Vec<Document>, Error> {
    let mut docs: Vec<Document> = Vec::new();
    let mut cur_doc = Document::default();
    let mut cur = Sentence::default();
    let mut ncols: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !cur.tokens.is_empty() {
                cur_doc.sentences.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols[0] == "-DOCSTART-" {
            if !cur.tokens.is_empty() {
                cur_doc.sentences.push(std::mem::take(&mut cur));
            }
            if !cur_doc.sentences.is_empty() {
                docs.push(std::mem::take(&mut cur_doc));
            }
            continue;
        }
        let err = |message: String| Error::Parse {
            file: file.to_string(),
            line: line_no,
            message,
        };
        if cols.len() < 2 {
            return Err(err(format!(
                "expected at least 2 columns (token ... tag), got {}: {line:?}",
                cols.len()
            )));
        }
        match ncols {
            None => ncols = Some(cols.len()),
            Some(n) if n != cols.len() => {
                return Err(err(format!(
                    "expected {n} columns like earlier lines, got {}: {line:?}",
                    cols.len()
                )));
            }
            _ => {}
        }
        let tag_s = cols[cols.len() - 1];
        let tag = Tag::parse(tag_s).ok_or_else(|| {
            err(format!(
                "invalid tag {tag_s:?} (want O, B-TYPE or I-TYPE with TYPE in PER/LOC/ORG/MISC)"
            ))
        })?;
        cur.tokens.push(cols[0].to_string());
        cur.tags.push(tag);
    }
    if !cur.tokens.is_empty() {
        cur_doc.sentences.push(cur);
    }
    if !cur_doc.sentences.is_empty() {
        docs.push(cur_doc);
    }
    Ok(docs)
}

/// Decodes IOB1 tags: `I-X` continues a span of type X if the previous token
/// is inside one, otherwise starts one; `B-X` always starts a new span.
pub fn decode_iob1(tags: &[Tag]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Label)> = None;
    for (i, &t) in tags.iter().enumerate() {
        match t {
            Tag::O => {
                if let Some((s, l)) = open.take() {
                    out.push((s, i, l));
                }
            }
            Tag::B(l) => {
                if let Some((s, pl)) = open.take() {
                    out.push((s, i, pl));
                }
                open = Some((i, l));
            }
            Tag::I(l) => match open {
                Some((_, pl)) if pl == l => {}
                _ => {
                    if let Some((s, pl)) = open.take() {
                        out.push((s, i, pl));
                    }
                    open = Some((i, l));
                }
            },
        }
    }
    if let Some((s, l)) = open {
        out.push((s, tags.len(), l));
    }
    out
}

/// Decodes IOB2 tags: `B-X` starts a span; `I-X` continues a span of type X,
/// and (leniently, like conlleval) starts one after `O` or a different type.
pub fn decode_iob2(tags: &[Tag]) -> Vec<Span> {
    // With the lenient rule IOB2 decoding coincides with IOB1 decoding.
    decode_iob1(tags)
}

/// Encodes spans as IOB2 tags for a sentence of `n` tokens. Spans must be
/// non-overlapping and inside `0..n`; offending spans are skipped.
pub fn encode_iob2(spans: &[Span], n: usize) -> Vec<Tag> {
    let mut tags = vec![Tag::O; n];
    let mut sorted: Vec<Span> = spans.to_vec();
    sorted.sort();
    let mut last_end = 0;
    for (s, e, l) in sorted {
        if s >= e || e > n || s < last_end {
            continue;
        }
        tags[s] = Tag::B(l);
        for t in tags.iter_mut().take(e).skip(s + 1) {
            *t = Tag::I(l);
        }
        last_end = e;
    }
    tags
}

/// Decodes string tags (IOB1 or IOB2; unknown strings count as `O`).
pub fn decode_str_tags<S: AsRef<str>>(tags: &[S]) -> Vec<Span> {
    let t: Vec<Tag> = tags
        .iter()
        .map(|s| Tag::parse(s.as_ref()).unwrap_or(Tag::O))
        .collect();
    decode_iob1(&t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::*;

    fn tags(s: &str) -> Vec<Tag> {
        s.split_whitespace()
            .map(|t| Tag::parse(t).unwrap())
            .collect()
    }

    #[test]
    fn iob1_basic() {
        let t = tags("I-PER I-PER O I-LOC B-LOC I-LOC O");
        assert_eq!(decode_iob1(&t), vec![(0, 2, Per), (3, 4, Loc), (4, 6, Loc)]);
    }

    #[test]
    fn iob1_type_change_and_end() {
        let t = tags("I-PER I-ORG I-ORG I-MISC");
        assert_eq!(
            decode_iob1(&t),
            vec![(0, 1, Per), (1, 3, Org), (3, 4, Misc)]
        );
    }

    #[test]
    fn iob2_i_after_o_and_type_change() {
        let t = tags("O I-PER B-PER I-PER I-LOC O B-ORG");
        assert_eq!(
            decode_iob2(&t),
            vec![(1, 2, Per), (2, 4, Per), (4, 5, Loc), (6, 7, Org)]
        );
    }

    #[test]
    fn encode_decode_round_trip() {
        let spans = vec![(0, 2, Per), (2, 3, Per), (5, 8, Misc), (8, 9, Loc)];
        let t = encode_iob2(&spans, 10);
        assert_eq!(t[2], Tag::B(Per));
        assert_eq!(decode_iob2(&t), spans);
        let strs: Vec<String> = t.iter().map(|t| t.to_string_tag()).collect();
        assert_eq!(decode_str_tags(&strs), spans);
        // IOB1 text converted to IOB2 and back keeps the spans
        let iob1 = tags("I-ORG I-ORG B-ORG O I-MISC I-LOC");
        let sp = decode_iob1(&iob1);
        assert_eq!(decode_iob2(&encode_iob2(&sp, iob1.len())), sp);
    }

    #[test]
    fn parse_docs_and_errors() {
        let txt = "-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\n\nPeter NNP I-NP I-PER\n\n-DOCSTART- -X- O O\n\nHi X X O\n";
        let docs = parse_conll(txt, "t.txt").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].sentences.len(), 2);
        assert_eq!(docs[0].sentences[0].spans_iob1(), vec![(0, 1, Org)]);
        let bad = "EU NNP I-NP I-ORG\nrejects VBZ I-VP X-FOO\n";
        let e = parse_conll(bad, "b.txt").unwrap_err().to_string();
        assert!(e.starts_with("b.txt:2:"), "{e}");
        let bad2 = "EU NNP I-NP I-ORG\nrejects\n";
        let e = parse_conll(bad2, "c.txt").unwrap_err().to_string();
        assert!(e.starts_with("c.txt:2:"), "{e}");
        // two-column files work too
        let two = "Paris I-LOC\nis O\n";
        let d = parse_conll(two, "x").unwrap();
        assert_eq!(d[0].sentences[0].spans_iob1(), vec![(0, 1, Loc)]);
    }
}
