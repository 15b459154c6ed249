//! Word clusters: a map from word form to a hierarchical bit-string path
//! (Brown-cluster style; prefixes of the path are used as features).

use hashbrown::HashMap;

/// Word clusters and capitalisation profiles, read from a clusters file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Clusters {
    map: HashMap<String, (u64, u8), ahash::RandomState>,
    /// lower-cased word -> capitalisation profile in running text
    /// (0: nearly always lower case .. 3: nearly always capitalised).
    case: HashMap<String, u8, ahash::RandomState>,
    /// Path prefix lengths used as features (empty = the default
    /// `features::CLUSTER_PREFIXES`).
    pub prefixes: Vec<u8>,
}

impl Clusters {
    /// The cluster path (bits, length) of a word form.
    pub fn get(&self, w: &str) -> Option<(u64, u8)> {
        self.map.get(w).copied()
    }
    /// The capitalisation profile (0..=3) of a lower-cased word.
    pub fn case_profile(&self, lower: &str) -> Option<u8> {
        self.case.get(lower).copied()
    }
    /// Sets a word's cluster path (at most 63 bits).
    pub fn insert(&mut self, w: String, bits: u64, len: u8) {
        self.map.insert(w, (bits, len.min(63)));
    }
    /// Sets a capitalisation profile (clamped to 3).
    pub fn insert_case(&mut self, lower: String, profile: u8) {
        self.case.insert(lower, profile.min(3));
    }
    /// The number of clustered words.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// Whether there are no clusters and no profiles.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.case.is_empty()
    }
    /// Entries sorted by word (deterministic order for serialization).
    pub fn to_sorted(&self) -> Vec<(String, u64, u8)> {
        let mut v: Vec<(String, u64, u8)> = self
            .map
            .iter()
            .map(|(w, &(b, l))| (w.clone(), b, l))
            .collect();
        v.sort();
        v
    }
    /// Capitalisation profiles sorted by word.
    pub fn case_sorted(&self) -> Vec<(String, u8)> {
        let mut v: Vec<(String, u8)> = self.case.iter().map(|(w, &c)| (w.clone(), c)).collect();
        v.sort();
        v
    }
    /// Clusters from sorted entries ([`Clusters::to_sorted`], [`Clusters::case_sorted`]).
    pub fn from_entries(e: Vec<(String, u64, u8)>, case: Vec<(String, u8)>) -> Clusters {
        let mut c = Clusters::default();
        c.map.reserve(e.len());
        for (w, b, l) in e {
            c.insert(w, b, l);
        }
        c.case.reserve(case.len());
        for (w, p) in case {
            c.insert_case(w, p);
        }
        c
    }
    /// Text format: `bitstring<TAB>word` per line (like Brown-cluster
    /// output), plus `@case<TAB>profile<TAB>lowercased-word` lines.
    pub fn parse(text: &str) -> Clusters {
        let mut c = Clusters::default();
        for line in text.lines() {
            let mut it = line.split('\t');
            let (Some(path), Some(w)) = (it.next(), it.next()) else {
                continue;
            };
            if path == "@prefixes" {
                c.prefixes = w.split(',').filter_map(|x| x.parse().ok()).collect();
                continue;
            }
            if path == "@case" {
                if let (Ok(p), Some(word)) = (w.parse::<u8>(), it.next()) {
                    c.insert_case(word.to_string(), p);
                }
                continue;
            }
            if path.is_empty() || path.len() > 63 || !path.bytes().all(|b| b == b'0' || b == b'1') {
                continue;
            }
            let bits = u64::from_str_radix(path, 2).unwrap_or(0);
            c.insert(w.to_string(), bits, path.len() as u8);
        }
        c
    }
    /// The text format that [`Clusters::parse`] reads.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if !self.prefixes.is_empty() {
            let p: Vec<String> = self
                .prefixes
                .iter()
                .map(std::string::ToString::to_string)
                .collect();
            s.push_str(&format!("@prefixes\t{}\n", p.join(",")));
        }
        for (w, b, l) in self.to_sorted() {
            if l == 0 {
                continue;
            }
            s.push_str(&format!("{:0width$b}\t{}\n", b, w, width = l as usize));
        }
        for (w, p) in self.case_sorted() {
            s.push_str(&format!("@case\t{p}\t{w}\n"));
        }
        s
    }
}
