//! A table of terms (or n-grams) with corpus counts and document frequencies, sorted by term.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Terms sorted bytewise, each with its corpus count and document frequency.
///
/// The terms live in one string with end offsets, so a table of millions of n-grams is a handful of
/// allocations, and merging two tables is a linear merge join.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermTable {
    text: String,
    ends: Vec<u64>,
    count: Vec<u64>,
    df: Vec<u64>,
}

/// Builds a [`TermTable`] from terms pushed in strictly increasing order.
#[derive(Debug, Default)]
pub struct TermTableBuilder {
    table: TermTable,
}

impl TermTableBuilder {
    /// A builder with room for `n` terms of `bytes` total length.
    pub fn with_capacity(n: usize, bytes: usize) -> Self {
        TermTableBuilder {
            table: TermTable {
                text: String::with_capacity(bytes),
                ends: Vec::with_capacity(n),
                count: Vec::with_capacity(n),
                df: Vec::with_capacity(n),
            },
        }
    }

    /// Appends a term given as parts joined by single spaces (an n-gram), avoiding a temporary string.
    pub fn push_joined<'a, I: IntoIterator<Item = &'a str>>(
        &mut self,
        parts: I,
        count: u64,
        df: u64,
    ) {
        let t = &mut self.table;
        for (i, p) in parts.into_iter().enumerate() {
            if i > 0 {
                t.text.push(' ');
            }
            t.text.push_str(p);
        }
        t.ends.push(t.text.len() as u64);
        t.count.push(count);
        t.df.push(df);
    }

    /// Appends one term.
    pub fn push(&mut self, term: &str, count: u64, df: u64) {
        self.push_joined([term], count, df);
    }

    /// The finished table. Callers guarantee sorted, unique terms; debug builds check it.
    pub fn finish(self) -> TermTable {
        debug_assert!(self.table.validate().is_ok());
        self.table
    }
}

impl TermTable {
    /// A table from its columns: `text` holds the terms back to back and term `i` ends at `ends[i]`.
    /// Callers guarantee sorted, unique terms; debug builds check it.
    pub(crate) fn from_columns(
        text: String,
        ends: Vec<u64>,
        count: Vec<u64>,
        df: Vec<u64>,
    ) -> Self {
        let table = TermTable {
            text,
            ends,
            count,
            df,
        };
        debug_assert!(table.validate().is_ok());
        table
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.count.len()
    }

    /// Whether there are no terms.
    pub fn is_empty(&self) -> bool {
        self.count.is_empty()
    }

    /// Term `i` (in sorted order).
    #[inline]
    pub fn term(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Corpus count of term `i`.
    #[inline]
    pub fn count(&self, i: usize) -> u64 {
        self.count[i]
    }

    /// Document frequency of term `i`.
    #[inline]
    pub fn df(&self, i: usize) -> u64 {
        self.df[i]
    }

    /// All corpus counts, in term order.
    pub fn counts(&self) -> &[u64] {
        &self.count
    }

    /// All document frequencies, in term order.
    pub fn dfs(&self) -> &[u64] {
        &self.df
    }

    /// Index of `term`, if present.
    pub fn position(&self, term: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = usize::midpoint(lo, hi);
            match self.term(mid).as_bytes().cmp(term.as_bytes()) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// Sum of the two tables: counts and document frequencies add (the documents are disjoint).
    #[must_use]
    pub fn merge(&self, other: &TermTable) -> TermTable {
        let mut out = TermTableBuilder::with_capacity(
            self.len() + other.len(),
            self.text.len() + other.text.len(),
        );
        let (mut i, mut j) = (0, 0);
        while i < self.len() && j < other.len() {
            let (a, b) = (self.term(i), other.term(j));
            match a.as_bytes().cmp(b.as_bytes()) {
                Ordering::Less => {
                    out.push(a, self.count[i], self.df[i]);
                    i += 1;
                }
                Ordering::Greater => {
                    out.push(b, other.count[j], other.df[j]);
                    j += 1;
                }
                Ordering::Equal => {
                    out.push(a, self.count[i] + other.count[j], self.df[i] + other.df[j]);
                    i += 1;
                    j += 1;
                }
            }
        }
        for k in i..self.len() {
            out.push(self.term(k), self.count[k], self.df[k]);
        }
        for k in j..other.len() {
            out.push(other.term(k), other.count[k], other.df[k]);
        }
        out.finish()
    }

    /// Checks the invariants a decoded table must hold before anything indexes into it.
    ///
    /// # Errors
    /// Lengths disagree, offsets run backwards or off the text or split a character, terms are not
    /// strictly increasing, or a document frequency exceeds its count.
    pub fn validate(&self) -> Result<()> {
        let bad = |r: &str| Err(Error::decode("term table", r));
        let n = self.ends.len();
        if self.count.len() != n || self.df.len() != n {
            return bad("column lengths differ");
        }
        let mut prev_end = 0u64;
        for (i, &e) in self.ends.iter().enumerate() {
            if e < prev_end || e > self.text.len() as u64 {
                return bad("term offsets out of range");
            }
            if !self.text.is_char_boundary(e as usize) {
                return bad("term offset splits a character");
            }
            if i > 0 && self.term(i - 1).as_bytes() >= self.term(i).as_bytes() {
                return bad("terms are not sorted and unique");
            }
            if self.df[i] > self.count[i] {
                return bad("a document frequency exceeds its count");
            }
            prev_end = e;
        }
        if prev_end != self.text.len() as u64 {
            return bad("trailing bytes after the last term");
        }
        Ok(())
    }

    /// Indices of the rows `keep` accepts, ordered by count descending then term ascending (bytewise),
    /// cut to `limit` rows.
    pub fn ranked<F: Fn(usize) -> bool>(&self, keep: F, limit: Option<usize>) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.len()).filter(|&i| keep(i)).collect();
        // Terms are unique and already ascending, so index order breaks count ties by term.
        let by_rank = |a: &usize, b: &usize| self.count[*b].cmp(&self.count[*a]).then(a.cmp(b));
        match limit {
            Some(k) if k < idx.len() => {
                if k > 0 {
                    idx.select_nth_unstable_by(k - 1, by_rank);
                }
                idx.truncate(k);
                idx.sort_unstable_by(by_rank);
            }
            _ => idx.sort_unstable_by(by_rank),
        }
        idx
    }

    /// Approximate heap bytes.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity()
            + (self.ends.capacity() + self.count.capacity() + self.df.capacity()) * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, u64, u64)]) -> TermTable {
        let mut b = TermTableBuilder::default();
        for &(t, c, d) in rows {
            b.push(t, c, d);
        }
        b.finish()
    }

    #[test]
    fn merge_adds_and_keeps_order() {
        let a = table(&[("apple", 3, 2), ("kiwi", 1, 1)]);
        let b = table(&[("banana", 2, 1), ("kiwi", 4, 2), ("zebra", 1, 1)]);
        let m = a.merge(&b);
        let rows: Vec<_> = (0..m.len())
            .map(|i| (m.term(i), m.count(i), m.df(i)))
            .collect();
        assert_eq!(
            rows,
            [
                ("apple", 3, 2),
                ("banana", 2, 1),
                ("kiwi", 5, 3),
                ("zebra", 1, 1)
            ]
        );
        assert_eq!(m, b.merge(&a));
        assert_eq!(m.merge(&TermTable::default()), m);
    }

    #[test]
    fn ranked_breaks_ties_by_term() {
        let t = table(&[("a", 2, 1), ("b", 5, 1), ("c", 2, 2), ("d", 9, 1)]);
        assert_eq!(t.ranked(|_| true, None), [3, 1, 0, 2]);
        assert_eq!(t.ranked(|_| true, Some(3)), [3, 1, 0]);
        assert_eq!(t.ranked(|i| t.df(i) > 1, None), [2]);
        assert!(t.ranked(|_| true, Some(0)).is_empty());
    }

    #[test]
    fn position_finds_terms() {
        let t = table(&[("new", 1, 1), ("new york", 2, 1), ("york", 1, 1)]);
        assert_eq!(t.position("new york"), Some(1));
        assert_eq!(t.position("paris"), None);
    }

    #[test]
    fn validate_rejects_broken_tables() {
        let raw = |text: &str, ends: Vec<u64>, count: Vec<u64>, df: Vec<u64>| TermTable {
            text: text.into(),
            ends,
            count,
            df,
        };
        assert!(
            raw("ba", vec![1, 2], vec![1, 1], vec![1, 1])
                .validate()
                .is_err()
        );
        assert!(
            raw("aa", vec![1, 2], vec![1, 1], vec![1, 1])
                .validate()
                .is_err()
        );
        assert!(raw("a", vec![1], vec![1], vec![2]).validate().is_err());
        assert!(raw("a", vec![2], vec![1], vec![1]).validate().is_err());
        assert!(raw("ab", vec![1], vec![1], vec![1]).validate().is_err());
        assert!(raw("a", vec![1], vec![1, 2], vec![1]).validate().is_err());
        assert!(
            raw("ab", vec![1, 2], vec![1, 1], vec![1, 1])
                .validate()
                .is_ok()
        );
        let mut t = table(&[("é", 1, 1)]);
        t.ends[0] = 1;
        t.text.truncate(2);
        assert!(t.validate().is_err());
    }
}
