//! Entity counts over a corpus: one row per (canonical entity, label) with mentions and articles.
//!
//! Within an article, mentions are merged into full names: a later mention whose tokens are a
//! subsequence (case-insensitive, in order) of an earlier, longer mention of the same label counts
//! toward that earlier full name ("Vladimir Putin" … "Putin" … "PUTIN": one entity, 3 mentions).
//! A user alias table rewrites a mention before that ("U.S." → "United States").
//!
//! Across articles, rows are keyed by the lower-cased full name and the label, so case variants
//! merge. Each row keeps how often each written form of the full name was the target of a mention;
//! the displayed name is the most frequent form (ties: the smallest in byte order). Everything is a
//! sum over articles, so [`EntityCounts::merge`] of two halves of a corpus equals counting the
//! whole, exactly.
//!
//! ```
//! use newstally::entities::Label;
//! use newstally::entities::counts::EntityCounts;
//!
//! let mut counts = EntityCounts::new(&[("U.S.", "United States")]);
//! counts.add_article(&[
//!     ("Vladimir Putin", Label::Per),
//!     ("U.S.", Label::Loc),
//!     ("Putin", Label::Per),
//!     ("PUTIN", Label::Per),
//! ]);
//! counts.add_article(&[("United States", Label::Loc)]);
//! let top = counts.top(None, None);
//! assert_eq!(top[0], ("Vladimir Putin".to_owned(), Label::Per, 3, 1));
//! assert_eq!(top[1], ("United States".to_owned(), Label::Loc, 2, 2));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Label;
use crate::error::{Error, Result};

/// Mentions, articles and written forms of one entity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Row {
    count: u64,
    df: u64,
    /// Written form of the full name -> mentions that resolved to it.
    forms: BTreeMap<String, u64>,
}

/// Entity rows, mergeable exactly (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityCounts {
    /// (lower-cased, space-normalised alias, replacement), sorted by alias.
    aliases: Vec<(String, String)>,
    n_documents: u64,
    rows: BTreeMap<(String, Label), Row>,
}

/// Lower case with runs of whitespace collapsed to one space.
fn key_of(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `short` is an in-order subsequence of `long`.
fn is_subsequence(short: &[String], long: &[String]) -> bool {
    let mut it = long.iter();
    short.iter().all(|s| it.any(|l| l == s))
}

impl EntityCounts {
    /// Empty counts with a user alias table of (alias, replacement) pairs. Aliases match
    /// case-insensitively; a later pair for the same alias wins.
    pub fn new<A: AsRef<str>, B: AsRef<str>>(aliases: &[(A, B)]) -> Self {
        let mut map: BTreeMap<String, String> = BTreeMap::new();
        for (a, b) in aliases {
            let key = key_of(a.as_ref());
            let value = b.as_ref().split_whitespace().collect::<Vec<_>>().join(" ");
            if !key.is_empty() && !value.is_empty() {
                map.insert(key, value);
            }
        }
        EntityCounts {
            aliases: map.into_iter().collect(),
            ..EntityCounts::default()
        }
    }

    /// The alias table, sorted by (lower-cased) alias.
    pub fn aliases(&self) -> &[(String, String)] {
        &self.aliases
    }

    /// Articles counted.
    pub fn n_documents(&self) -> u64 {
        self.n_documents
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn resolve_alias(&self, surface: &str) -> String {
        let key = key_of(surface);
        match self.aliases.binary_search_by(|(a, _)| a.as_str().cmp(&key)) {
            Ok(i) => self.aliases[i].1.clone(),
            Err(_) => surface.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }

    /// Adds one article's mentions, in text order.
    pub fn add_article<S: AsRef<str>>(&mut self, mentions: &[(S, Label)]) {
        self.n_documents += 1;
        // Full names of this article: (lower-cased tokens, written form, label).
        let mut full: Vec<(Vec<String>, String, Label)> = Vec::new();
        let mut seen: Vec<(String, Label)> = Vec::new();
        for (surface, label) in mentions {
            let form = self.resolve_alias(surface.as_ref());
            if form.is_empty() {
                continue;
            }
            let tokens: Vec<String> = form.split(' ').map(str::to_lowercase).collect();
            let target = full.iter().find(|(ft, _, fl)| {
                fl == label && ft.len() > tokens.len() && is_subsequence(&tokens, ft)
            });
            let target_form = if let Some((_, f, _)) = target {
                f.clone()
            } else {
                full.push((tokens, form.clone(), *label));
                form
            };
            let key = (key_of(&target_form), *label);
            let row = self.rows.entry(key.clone()).or_default();
            row.count += 1;
            *row.forms.entry(target_form).or_insert(0) += 1;
            if !seen.contains(&key) {
                row.df += 1;
                seen.push(key);
            }
        }
    }

    /// The sum of two counts (associative and commutative).
    ///
    /// # Errors
    /// [`Error::Incompatible`] when the alias tables differ.
    pub fn merge(&self, other: &Self) -> Result<Self> {
        let mut out = self.clone();
        out.absorb(other.clone())?;
        Ok(out)
    }

    /// Adds `other` to these counts in place (see [`EntityCounts::merge`]).
    ///
    /// # Errors
    /// [`Error::Incompatible`] when the alias tables differ; the counts are then unchanged.
    pub fn absorb(&mut self, other: Self) -> Result<()> {
        if self.aliases != other.aliases {
            return Err(Error::Incompatible(
                "entity counts made with different alias tables".to_owned(),
            ));
        }
        self.n_documents += other.n_documents;
        for (key, row) in other.rows {
            let r = self.rows.entry(key).or_default();
            r.count += row.count;
            r.df += row.df;
            for (form, n) in row.forms {
                *r.forms.entry(form).or_insert(0) += n;
            }
        }
        Ok(())
    }

    /// Empty counts with the same alias table.
    #[must_use]
    pub fn empty_like(&self) -> Self {
        EntityCounts {
            aliases: self.aliases.clone(),
            n_documents: 0,
            rows: BTreeMap::new(),
        }
    }

    /// Rows as (name, label, count, df): count descending, then name, then label; at most `k`,
    /// only `label` if given. The name is the most frequent written form (ties: smallest bytes).
    pub fn top(&self, k: Option<usize>, label: Option<Label>) -> Vec<(String, Label, u64, u64)> {
        let mut rows: Vec<(String, Label, u64, u64)> = self
            .rows
            .iter()
            .filter(|((_, l), _)| label.is_none_or(|want| *l == want))
            .map(|((_, l), row)| {
                let name = row
                    .forms
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .map(|(f, _)| f.clone())
                    .unwrap_or_default();
                (name, *l, row.count, row.df)
            })
            .collect();
        rows.sort_by(|a, b| {
            b.2.cmp(&a.2)
                .then_with(|| a.0.cmp(&b.0))
                .then(a.1.cmp(&b.1))
        });
        if let Some(k) = k {
            rows.truncate(k);
        }
        rows
    }

    /// Checks decoded counts.
    ///
    /// # Errors
    /// [`Error::Decode`] if a row is inconsistent.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: &str| Err(Error::decode("entity counts", why));
        if !self.aliases.windows(2).all(|w| w[0].0 < w[1].0) {
            return bad("alias table is not sorted and unique");
        }
        for row in self.rows.values() {
            if row.df == 0 || row.df > row.count || row.df > self.n_documents {
                return bad("a row's article count is inconsistent");
            }
            if row.forms.values().try_fold(0u64, |a, &n| a.checked_add(n)) != Some(row.count) {
                return bad("a row's written forms do not add up to its count");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::{Loc, Org, Per};

    #[test]
    fn aliases_and_partial_mentions_merge_within_an_article() {
        let mut c = EntityCounts::new::<&str, &str>(&[]);
        c.add_article(&[
            ("Vladimir Putin", Per),
            ("Putin", Per),
            ("PUTIN", Per),
            ("Putin", Loc), // a different label never merges
            ("Joe Biden", Per),
            ("Biden", Per),
        ]);
        assert_eq!(
            c.top(None, None),
            vec![
                ("Vladimir Putin".to_owned(), Per, 3, 1),
                ("Joe Biden".to_owned(), Per, 2, 1),
                ("Putin".to_owned(), Loc, 1, 1),
            ]
        );
        // A short mention before the full name is its own entity.
        let mut c = EntityCounts::new::<&str, &str>(&[]);
        c.add_article(&[("Putin", Per), ("Vladimir Putin", Per)]);
        assert_eq!(c.len(), 2);
        assert_eq!(c.top(None, Some(Loc)), vec![]);
    }

    #[test]
    fn canonical_form_is_the_most_frequent_across_articles() {
        let mut c = EntityCounts::new(&[("U.S.", "United States"), ("usa", "United States")]);
        c.add_article(&[("BANK OF ENGLAND", Org)]);
        c.add_article(&[("Bank of England", Org), ("Bank of England", Org)]);
        c.add_article(&[("U.S.", Loc), ("USA", Loc)]);
        let top = c.top(None, None);
        assert_eq!(top[0], ("Bank of England".to_owned(), Org, 3, 2));
        assert_eq!(top[1], ("United States".to_owned(), Loc, 2, 1));
        // Ties go to the smallest bytes: "ACME" < "Acme".
        let mut c = EntityCounts::new::<&str, &str>(&[]);
        c.add_article(&[("Acme", Org)]);
        c.add_article(&[("ACME", Org)]);
        assert_eq!(c.top(Some(1), None), vec![("ACME".to_owned(), Org, 2, 2)]);
    }

    #[test]
    fn merging_halves_equals_counting_the_whole() {
        let articles: Vec<Vec<(&str, Label)>> = vec![
            vec![("Angela Merkel", Per), ("Merkel", Per), ("Berlin", Loc)],
            vec![("MERKEL", Per), ("Berlin", Loc), ("BERLIN", Loc)],
            vec![("Angela Merkel", Per), ("Siemens", Org)],
            vec![],
            vec![
                ("angela merkel", Per),
                ("Siemens AG", Org),
                ("Siemens", Org),
            ],
        ];
        let aliases = [("Siemens AG", "Siemens")];
        let mut whole = EntityCounts::new(&aliases);
        for a in &articles {
            whole.add_article(a);
        }
        for cut in 0..=articles.len() {
            let (mut a, mut b) = (EntityCounts::new(&aliases), EntityCounts::new(&aliases));
            for x in &articles[..cut] {
                a.add_article(x);
            }
            for x in &articles[cut..] {
                b.add_article(x);
            }
            assert_eq!(a.merge(&b).unwrap(), whole, "cut {cut}");
            assert_eq!(b.merge(&a).unwrap(), whole, "cut {cut}");
        }
        whole.validate().unwrap();
        assert!(whole.merge(&EntityCounts::new::<&str, &str>(&[])).is_err());
        // In place, part by part, as the batch counter adds up its parallel parts.
        let mut summed = whole.empty_like();
        for a in &articles {
            let mut part = whole.empty_like();
            part.add_article(a);
            summed.absorb(part).unwrap();
        }
        assert_eq!(summed, whole);
        let before = summed.clone();
        assert!(summed.absorb(EntityCounts::new::<&str, &str>(&[])).is_err());
        assert_eq!(summed, before);
    }
}
