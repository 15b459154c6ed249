//! Feature extraction: a small self-written 64-bit hash, token
//! normalisation, word shapes, and the word-only feature templates whose
//! scores the model caches per distinct word form.

use crate::entities::clusters::Clusters;
use std::borrow::Cow;

/// Number of neighbouring positions whose word-only features are used
/// (offsets -2..=2).
pub const WINDOW: usize = 5;
pub const HALF: isize = 2;

/// Finaliser in the style of splitmix64 (constants from Steele, Lea & Flood 2014).
#[inline]
pub fn fmix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Combines two 64-bit values into one hash.
#[inline]
pub fn mix(a: u64, b: u64) -> u64 {
    fmix(a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b)
}

/// Hashes bytes 8 at a time (stable across platforms and versions: the
/// model file stores these hashes).
#[inline]
pub fn hash_bytes(seed: u64, b: &[u8]) -> u64 {
    let mut h = mix(seed, b.len() as u64);
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = mix(h, v);
    }
    let rem = chunks.remainder();
    if !rem.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rem.len()].copy_from_slice(rem);
        h = mix(h, u64::from_le_bytes(buf) ^ 0xFF);
    }
    h
}

#[inline]
pub fn hash_str(s: &str) -> u64 {
    hash_bytes(0x5EED, s.as_bytes())
}

/// Feature-template ids (mixed into every feature hash).
pub mod t {
    pub const BIAS: u64 = 1;
    pub const FORM: u64 = 2;
    pub const LOWER: u64 = 3;
    pub const PREFIX: u64 = 4;
    pub const SUFFIX: u64 = 5;
    pub const SHAPE: u64 = 6;
    pub const SSHAPE: u64 = 7;
    pub const FLAG: u64 = 8;
    pub const LEN: u64 = 9;
    pub const CLUSTER: u64 = 10;
    pub const PAD: u64 = 11;
    pub const NOCLUSTER: u64 = 12;
    pub const CASEPROF: u64 = 13;
    // dynamic (per token) templates
    pub const T1: u64 = 20;
    pub const T2: u64 = 21;
    pub const T1_LOWER: u64 = 22;
    pub const T1_SSHAPE: u64 = 23;
    pub const BIGRAM_L: u64 = 24;
    pub const BIGRAM_R: u64 = 25;
    pub const FIRST_LOWER: u64 = 26;
    pub const FIRST_SSHAPE: u64 = 27;
    pub const CAPS_LOWER: u64 = 28;
    pub const HIST: u64 = 30;
    pub const GAZ: u64 = 31;
    pub const CAPS_BIAS: u64 = 32;
    pub const DOC_CASED: u64 = 35;
    pub const S1TAG: u64 = 37;
    pub const AGG: u64 = 38;
    pub const DOCGAZ: u64 = 42;
    pub const AUTOGAZ: u64 = 43;
}

#[inline]
pub fn feat(template: u64, sub: u64, value: u64) -> u64 {
    mix(mix(template, sub), value)
}

/// Normalises curly quotes/apostrophes to ASCII (only allocates when the
/// token has non-ASCII characters that change).
pub fn normalize(tok: &str) -> Cow<'_, str> {
    if tok.is_ascii() {
        if tok == "``" || tok == "''" {
            return Cow::Borrowed("\"");
        }
        return Cow::Borrowed(tok);
    }
    if !tok.chars().any(|c| map_char(c).is_some()) {
        return Cow::Borrowed(tok);
    }
    Cow::Owned(tok.chars().map(|c| map_char(c).unwrap_or(c)).collect())
}

/// ASCII replacements for typographic quotes, apostrophes and dashes.
#[inline]
fn map_char(c: char) -> Option<char> {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' => Some('\''),
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => Some('"'),
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => Some('-'),
        '\u{00A0}' => Some(' '),
        _ => None,
    }
}

fn shape_class(c: char) -> char {
    if c.is_uppercase() {
        'X'
    } else if c.is_lowercase() {
        'x'
    } else if c.is_ascii_digit() {
        'd'
    } else if c.is_alphabetic() {
        'a'
    } else if c.is_numeric() {
        'd'
    } else {
        c
    }
}

/// Word shape (`Xxxx`, `dd-dd`), capped at 16 characters.
pub fn shape(w: &str) -> String {
    w.chars().take(16).map(shape_class).collect()
}

/// Shape with runs of the same class collapsed (`Xx`, `d-d`, `X.X.`).
pub fn short_shape(w: &str) -> String {
    let mut out = String::new();
    let mut last = '\0';
    for c in w.chars().map(shape_class) {
        if c != last {
            out.push(c);
            last = c;
        }
    }
    out
}

/// Facts about one word form that the per-token features need.
#[derive(Clone, Copy, Debug, Default)]
pub struct WordInfo {
    pub lower: u64,
    pub sshape: u64,
    pub has_letter: bool,
    pub has_lower: bool,
    pub has_upper: bool,
    pub init_upper: bool,
}

pub fn word_info(w: &str) -> WordInfo {
    let lower = w.to_lowercase();
    WordInfo {
        lower: hash_str(&lower),
        sshape: hash_str(&short_shape(w)),
        has_letter: w.chars().any(char::is_alphabetic),
        has_lower: w.chars().any(char::is_lowercase),
        has_upper: w.chars().any(char::is_uppercase),
        init_upper: w.chars().next().is_some_and(char::is_uppercase),
    }
}

/// Title-cases a word ("JAPAN" -> "Japan").
pub fn title_case(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    for (i, c) in w.chars().enumerate() {
        if i == 0 {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Cluster bit-string prefix lengths used as features (Ratinov & Roth 2009
/// use prefixes of length 4, 6, 10 and 20 of Brown-cluster paths).
pub const CLUSTER_PREFIXES: [u8; 4] = [4, 6, 10, 20];

/// Finds a word's cluster path, falling back to title case and lower case
/// (for all-caps headlines).
pub fn cluster_of(clusters: &Clusters, w: &str) -> Option<(u64, u8)> {
    if let Some(c) = clusters.get(w) {
        return Some(c);
    }
    if w.chars().any(char::is_uppercase) {
        if let Some(c) = clusters.get(&title_case(w)) {
            return Some(c);
        }
        if let Some(c) = clusters.get(&w.to_lowercase()) {
            return Some(c);
        }
    }
    None
}

/// Emits the word-only feature hashes of normalised word `w` for each of the
/// `WINDOW` relative positions (index 0 = offset -2, 2 = the token itself).
pub fn word_features(w: &str, clusters: &Clusters, out: &mut [Vec<u64>; WINDOW]) {
    for v in out.iter_mut() {
        v.clear();
    }
    // Every string-derived value once: unknown words are scored per lexicon, and this dominates.
    let chars: Vec<(usize, char)> = w.char_indices().collect();
    let n = chars.len();
    let lower = w.to_lowercase();
    let h_form = hash_str(w);
    let h_lower = hash_str(&lower);
    let h_sshape = hash_str(&short_shape(w));
    let h_shape = hash_str(&shape(w));
    let suffix_at = |k: usize| if n > k { chars[n - k].0 } else { 0 };
    let suffix = |k: usize| hash_str(&w[suffix_at(k)..].to_lowercase());
    let (suf3, suf2) = (suffix(3), suffix(2));
    let cl = cluster_of(clusters, w);
    let mut cl_feats = [0u64; 4];
    let prefixes: &[u8] = if clusters.prefixes.is_empty() {
        &CLUSTER_PREFIXES
    } else {
        &clusters.prefixes[..clusters.prefixes.len().min(4)]
    };
    for (k, &p) in prefixes.iter().enumerate() {
        cl_feats[k] = match cl {
            Some((bits, len)) => {
                let l = p.min(len);
                let pre = if len > l { bits >> (len - l) } else { bits };
                mix(l as u64, pre)
            }
            None => u64::MAX,
        };
    }
    let case_p = clusters.case_profile(&lower).map_or(0, |p| p as u64 + 1);
    let init_up = w.chars().next().is_some_and(char::is_uppercase) as u64;
    for (pos, v) in out.iter_mut().enumerate() {
        let off = pos as u64;
        if (1..=3).contains(&pos) {
            v.push(feat(t::CASEPROF, off, case_p * 2 + init_up));
        }
        v.push(feat(t::LOWER, off, h_lower));
        v.push(feat(t::SSHAPE, off, h_sshape));
        if cl.is_some() {
            for (k, &f) in cl_feats.iter().take(prefixes.len()).enumerate() {
                if pos == 2 || pos == 1 || pos == 3 || k != 1 {
                    v.push(feat(t::CLUSTER, off * 8 + k as u64, f));
                }
            }
        } else {
            v.push(feat(t::NOCLUSTER, off, 0));
        }
        if pos == 1 || pos == 3 {
            v.push(feat(t::FORM, off, h_form));
            v.push(feat(t::SUFFIX, off * 8 + 3, suf3));
            v.push(feat(t::SUFFIX, off * 8 + 2, suf2));
            v.push(feat(t::SHAPE, off, h_shape));
        } else if pos != 2 {
            v.push(feat(t::FORM, off, h_form));
        }
    }
    // the token itself
    let v = &mut out[2];
    v.push(feat(t::BIAS, 0, 0));
    v.push(feat(t::FORM, 2, h_form));
    v.push(feat(t::SHAPE, 2, h_shape));
    for k in 1..=4usize {
        if k > n {
            break;
        }
        let pre_end = if k < n { chars[k].0 } else { w.len() };
        v.push(feat(t::PREFIX, k as u64, hash_str(&w[..pre_end])));
        v.push(feat(t::SUFFIX, 16 + k as u64, suffix(k)));
    }
    let len_bucket = match n {
        0..=1 => 1,
        2 => 2,
        3 => 3,
        4..=5 => 4,
        6..=8 => 5,
        _ => 6,
    };
    v.push(feat(t::LEN, 0, len_bucket));
    let has_letter = w.chars().any(char::is_alphabetic);
    let has_lower = w.chars().any(char::is_lowercase);
    let has_upper = w.chars().any(char::is_uppercase);
    let has_digit = w.chars().any(|c| c.is_ascii_digit());
    let all_digit = n > 0 && w.chars().all(|c| c.is_ascii_digit());
    for (bit, on) in [
        init_up == 1,
        has_upper && !has_lower,
        has_digit,
        w.contains('-'),
        w.contains('.'),
        w.contains('\''),
        all_digit,
        !has_letter,
        has_upper && has_lower && init_up == 0,
    ]
    .into_iter()
    .enumerate()
    {
        if on {
            v.push(feat(t::FLAG, bit as u64, 1));
        }
    }
}

/// Features of the padding positions before/after a sentence.
pub fn pad_features(before: bool, out: &mut [Vec<u64>; WINDOW]) {
    for (pos, v) in out.iter_mut().enumerate() {
        v.clear();
        v.push(feat(t::PAD, pos as u64, before as u64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(shape("Xi'an"), "Xx'xx");
        assert_eq!(short_shape("Washington"), "Xx");
        assert_eq!(short_shape("1996-08-22"), "d-d-d");
        assert_eq!(short_shape("U.S."), "X.X.");
        assert_eq!(short_shape("IBM"), "X");
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize("Russia\u{2019}s"), "Russia's");
        assert_eq!(normalize("\u{201C}"), "\"");
        assert_eq!(normalize("``"), "\"");
        assert_eq!(normalize("Jean\u{2013}Marie"), "Jean-Marie");
        assert!(matches!(normalize("plain"), Cow::Borrowed(_)));
        assert!(matches!(normalize("Zürich"), Cow::Borrowed(_)));
    }

    #[test]
    fn hash_stable() {
        assert_eq!(hash_str("abc"), hash_str("abc"));
        assert_ne!(hash_str("abc"), hash_str("abd"));
        assert_ne!(hash_str(""), hash_str("\0"));
        assert_ne!(hash_str("abcdefgh"), hash_str("abcdefgh\0"));
    }

    #[test]
    fn features_for_odd_tokens() {
        let c = Clusters::default();
        let mut out: [Vec<u64>; WINDOW] = Default::default();
        for w in ["", "...", "\u{201C}", "ÄÖÜ", "1996-08-22", "a"] {
            word_features(w, &c, &mut out);
            assert!(out[2].len() > 3);
        }
    }
}
