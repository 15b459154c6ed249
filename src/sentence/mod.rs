//! TEMPORARY development shim, replaced by the real splitter before commit.
#![allow(missing_docs)]
#[derive(Debug, Clone, Default)]
pub struct SentenceSplitter;
impl SentenceSplitter {
    pub fn new() -> Self { SentenceSplitter }
    pub fn for_each_sentence<F: FnMut(std::ops::Range<usize>)>(&self, text: &str, mut f: F) {
        let mut s = 0;
        for (i, _) in text.match_indices(". ") { f(s..i + 2); s = i + 2; }
        if s < text.len() { f(s..text.len()); }
    }
}
