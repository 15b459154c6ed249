//! Greedy left-to-right averaged-perceptron tagger over BILOU tags.
//!
//! Word-only features (form, affixes, shape, clusters at offsets -2..=2) are
//! summed once per distinct word form into a cached score vector; per token
//! only a handful of "dynamic" features (previous tags, bigrams, sentence
//! and document context, gazetteer matches) need a hash lookup.

use crate::entities::clusters::Clusters;
use crate::entities::conll::{Document, Label, Sentence, Span, decode_iob1};
use crate::entities::eval::EvalReport;
use crate::entities::features::{self, HALF, WINDOW, WordInfo, feat, hash_str, mix, t};
use crate::error::Error;
use crate::parallel::Cancel;
use hashbrown::HashMap;
use serde::{Deserialize, Serialize};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

mod lexicon;
use crate::prefetch::prefetch;
pub use lexicon::Lexicon;

/// No weight row: the feature was never seen in training.
const NO_ROW: u32 = u32::MAX;

/// Number of BILOU tags: O + {B,I,L,U} x {PER,LOC,ORG,MISC}.
pub const NT: usize = 17;
/// Pseudo-tag id for "before the sentence".
const BOS_TAG: usize = NT;
/// Values a previous tag can take: the tags and `BOS_TAG`.
const TAG_CONTEXTS: usize = NT + 1;

#[inline]
fn tag_kind(t: usize) -> usize {
    (t - 1) % 4 // 0=B 1=I 2=L 3=U
}
#[inline]
fn tag_type(t: usize) -> usize {
    (t - 1) / 4
}
#[inline]
fn mk_tag(ty: usize, kind: usize) -> usize {
    1 + ty * 4 + kind
}

/// BILOU tags for a sentence of `n` tokens from spans.
pub fn spans_to_bilou(spans: &[Span], n: usize) -> Vec<u8> {
    let mut tags = vec![0u8; n];
    for &(s, e, l) in spans {
        if s >= e || e > n {
            continue;
        }
        let ty = l.index();
        if e - s == 1 {
            tags[s] = mk_tag(ty, 3) as u8;
        } else {
            tags[s] = mk_tag(ty, 0) as u8;
            for x in tags.iter_mut().take(e - 1).skip(s + 1) {
                *x = mk_tag(ty, 1) as u8;
            }
            tags[e - 1] = mk_tag(ty, 2) as u8;
        }
    }
    tags
}

/// Spans from BILOU tags (lenient for invalid sequences).
pub fn bilou_to_spans(tags: &[u8]) -> Vec<Span> {
    let mut out = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    for (i, &tg) in tags.iter().enumerate() {
        let tg = tg as usize;
        if tg == 0 {
            if let Some((s, ty)) = open.take() {
                out.push((s, i, Label::from_index(ty)));
            }
            continue;
        }
        let (ty, kind) = (tag_type(tg), tag_kind(tg));
        let continues = matches!(open, Some((_, oty)) if oty == ty) && (kind == 1 || kind == 2);
        if !continues {
            if let Some((s, oty)) = open.take() {
                out.push((s, i, Label::from_index(oty)));
            }
            open = Some((i, ty));
        }
        if kind == 2 || kind == 3 {
            let (s, oty) = open.take().unwrap_or((i, ty));
            out.push((s, i + 1, Label::from_index(oty)));
        }
    }
    if let Some((s, ty)) = open {
        out.push((s, tags.len(), Label::from_index(ty)));
    }
    out
}

/// Whether BILOU tag `cur` may follow `prev` (`BOS_TAG` for the start);
/// `last` forbids B/I at the end of the sentence.
#[inline]
fn allowed(prev: usize, cur: usize, last: bool) -> bool {
    let inside = prev != BOS_TAG && prev != 0 && tag_kind(prev) <= 1;
    if inside {
        if cur == 0 || tag_type(cur) != tag_type(prev) {
            return false;
        }
        let k = tag_kind(cur);
        if last { k == 2 } else { k == 1 || k == 2 }
    } else {
        if cur == 0 {
            return true;
        }
        let k = tag_kind(cur);
        if last { k == 3 } else { k == 0 || k == 3 }
    }
}

// ---------------------------------------------------------------------------
// hashing helpers

/// Hasher for keys that already are well-mixed 64-bit hashes.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);
impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0, b as u64);
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}
type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;
type StrMap<V> = HashMap<Box<str>, V, ahash::RandomState>;

// ---------------------------------------------------------------------------
// gazetteer

const GAZ_SEED: u64 = 0x6A2;

/// Multi-token entity lists matched case-insensitively.
#[derive(Clone, Debug, Default)]
pub struct Gazetteer {
    /// hash of the lower-cased token sequence -> type bit mask
    map: IdMap<u8>,
    /// lower-case hash of a first token -> longest entry length
    first: IdMap<u8>,
}

/// Longest gazetteer entry, in tokens.
pub const GAZ_MAX_LEN: usize = 8;

impl Gazetteer {
    fn add(&mut self, lowers: &[u64], mask: u8) {
        if lowers.is_empty() || lowers.len() > GAZ_MAX_LEN {
            return;
        }
        let mut h = GAZ_SEED;
        for &l in lowers {
            h = mix(h, l);
        }
        *self.map.entry(h).or_insert(0) |= mask;
        let f = self.first.entry(lowers[0]).or_insert(0);
        *f = (*f).max(lowers.len() as u8);
    }

    /// Appends per-token gazetteer codes (type*4 + B/I/L/U position).
    fn matches(&self, infos: &[WordInfo], caps: bool, starts: &mut Vec<u32>, codes: &mut Vec<u8>) {
        let n = infos.len();
        let mut per_tok: Vec<Vec<u8>> = Vec::new();
        starts.clear();
        codes.clear();
        if self.map.is_empty() {
            starts.resize(n + 1, 0);
            return;
        }
        for i in 0..n {
            if !(infos[i].has_upper || caps) {
                continue;
            }
            let Some(&maxlen) = self.first.get(&infos[i].lower) else {
                continue;
            };
            let mut h = GAZ_SEED;
            for j in i..n.min(i + maxlen as usize) {
                h = mix(h, infos[j].lower);
                if let Some(&mask) = self.map.get(&h) {
                    if per_tok.is_empty() {
                        per_tok.resize(n, Vec::new());
                    }
                    for ty in 0..4 {
                        if mask & (1 << ty) == 0 {
                            continue;
                        }
                        if j == i {
                            per_tok[i].push((ty * 4 + 3) as u8);
                        } else {
                            per_tok[i].push((ty * 4) as u8);
                            for k in per_tok.iter_mut().take(j).skip(i + 1) {
                                k.push((ty * 4 + 1) as u8);
                            }
                            per_tok[j].push((ty * 4 + 2) as u8);
                        }
                    }
                }
            }
        }
        starts.push(0);
        for i in 0..n {
            if let Some(v) = per_tok.get_mut(i) {
                v.sort_unstable();
                v.dedup();
                codes.extend_from_slice(v);
            }
            starts.push(codes.len() as u32);
        }
    }
}

// ---------------------------------------------------------------------------
// sentence / document context shared by training and prediction

#[derive(Default)]
struct SentCtx {
    wids: Vec<u32>,
    infos: Vec<WordInfo>,
    caps: bool,
    gaz_starts: Vec<u32>,
    gaz_codes: Vec<u8>,
    cased: Vec<u8>,
    /// second-stage features (from first-stage predictions), per token
    ext_starts: Vec<u32>,
    ext: Vec<(u64, f32)>,
    /// matches of the gazetteer mined from unlabelled news
    auto_starts: Vec<u32>,
    auto_codes: Vec<u8>,
}

fn is_caps_sentence(infos: &[WordInfo]) -> bool {
    let mut letters = 0;
    for w in infos {
        if w.has_lower {
            return false;
        }
        if w.has_letter {
            letters += 1;
        }
    }
    letters >= 1
}

/// Document-level state: casing of each lower-cased form in running text and
/// the labels predicted earlier for it.
#[derive(Default)]
struct DocState {
    /// lower -> (capitalised count, lower-case count), from non-headline,
    /// non-initial positions of the whole document.
    casing: IdMap<(u16, u16)>,
    /// lower -> counts of PER, LOC, ORG, MISC, O predicted earlier.
    hist: IdMap<[u16; 5]>,
}

impl DocState {
    fn scan_casing(&mut self, sents: &[Vec<WordInfo>]) {
        self.casing.clear();
        self.hist.clear();
        for s in sents {
            if is_caps_sentence(s) {
                continue;
            }
            for w in s.iter().skip(1) {
                if !w.has_letter {
                    continue;
                }
                let e = self.casing.entry(w.lower).or_insert((0, 0));
                if w.init_upper {
                    e.0 = e.0.saturating_add(1);
                } else if !w.has_upper {
                    e.1 = e.1.saturating_add(1);
                }
            }
        }
    }

    fn cased_code(&self, w: &WordInfo) -> u8 {
        match self.casing.get(&w.lower) {
            None => 0,
            Some(&(u, l)) => match (u > 0, l > 0) {
                (true, false) => 1,
                (false, true) => 2,
                (true, true) => 3,
                (false, false) => 0,
            },
        }
    }

    fn record(&mut self, infos: &[WordInfo], tags: &[u8]) {
        for (w, &tg) in infos.iter().zip(tags) {
            if !w.has_upper {
                continue;
            }
            let class = if tg == 0 { 4 } else { tag_type(tg as usize) };
            let e = self.hist.entry(w.lower).or_insert([0; 5]);
            e[class] = e[class].saturating_add(1);
        }
    }
}

const PAD_BOS_LOWER: u64 = 0xB05;
const PAD_EOS_LOWER: u64 = 0xE05;

/// Dynamic (per token) features with values: those of the previous tags, then the rest.
fn dyn_feats(
    ctx: &SentCtx,
    i: usize,
    t1: usize,
    t2: usize,
    doc: &DocState,
    out: &mut Vec<(u64, f32)>,
) {
    out.clear();
    let w = &ctx.infos[i];
    out.extend(tag_feats(w, t1, t2).map(|h| (h, 1.0)));
    static_feats(ctx, i, doc, out);
}

/// The features of token `w` that depend on the two tags before it. Prediction caches their rows
/// (per tag pair, and per word in a [`Lexicon`]) through the same key functions.
#[inline]
fn tag_feats(w: &WordInfo, t1: usize, t2: usize) -> [u64; 4] {
    [
        prev_tag_key(t1),
        prev_tags_key(t2, t1),
        prev_tag_lower_key(t1, w.lower),
        prev_tag_shape_key(t1, w.sshape),
    ]
}

#[inline]
fn prev_tag_key(t1: usize) -> u64 {
    feat(t::T1, t1 as u64, 0)
}

#[inline]
fn prev_tags_key(t2: usize, t1: usize) -> u64 {
    feat(t::T2, (t2 * 32 + t1) as u64, 0)
}

#[inline]
fn prev_tag_lower_key(t1: usize, lower: u64) -> u64 {
    feat(t::T1_LOWER, t1 as u64, lower)
}

#[inline]
fn prev_tag_shape_key(t1: usize, sshape: u64) -> u64 {
    feat(t::T1_SSHAPE, t1 as u64, sshape)
}

/// The dynamic features of token `i` that do not depend on the tags of its sentence, appended
/// to `out`.
fn static_feats(ctx: &SentCtx, i: usize, doc: &DocState, out: &mut Vec<(u64, f32)>) {
    let w = &ctx.infos[i];
    let n = ctx.infos.len();
    let lp = if i > 0 {
        ctx.infos[i - 1].lower
    } else {
        PAD_BOS_LOWER
    };
    let ln = if i + 1 < n {
        ctx.infos[i + 1].lower
    } else {
        PAD_EOS_LOWER
    };
    out.push((feat(t::BIGRAM_L, 0, mix(lp, w.lower)), 1.0));
    out.push((feat(t::BIGRAM_R, 0, mix(w.lower, ln)), 1.0));
    if i == 0 {
        out.push((feat(t::FIRST_LOWER, 0, w.lower), 1.0));
        out.push((feat(t::FIRST_SSHAPE, 0, w.sshape), 1.0));
    }
    if ctx.caps {
        out.push((feat(t::CAPS_BIAS, 0, 0), 1.0));
        out.push((feat(t::CAPS_LOWER, 0, w.lower), 1.0));
    }
    let code = ctx.cased[i] as u64;
    if code != 0 && w.has_letter {
        let pos = (ctx.caps as u64) * 2 + (i == 0) as u64;
        out.push((feat(t::DOC_CASED, code * 4 + pos, w.init_upper as u64), 1.0));
    }
    if w.has_upper
        && let Some(c) = doc.hist.get(&w.lower)
    {
        let total: u32 = c.iter().map(|&x| x as u32).sum();
        if total > 0 {
            for (k, &x) in c.iter().enumerate() {
                if x > 0 {
                    out.push((feat(t::HIST, k as u64, 0), x as f32 / total as f32));
                }
            }
        }
    }
    let (gs, ge) = (ctx.gaz_starts[i] as usize, ctx.gaz_starts[i + 1] as usize);
    for &code in &ctx.gaz_codes[gs..ge] {
        out.push((feat(t::GAZ, code as u64, w.init_upper as u64), 1.0));
    }
    if !ctx.auto_starts.is_empty() {
        let (s0, s1) = (ctx.auto_starts[i] as usize, ctx.auto_starts[i + 1] as usize);
        for &code in &ctx.auto_codes[s0..s1] {
            out.push((feat(t::AUTOGAZ, code as u64, w.init_upper as u64), 1.0));
        }
    }
    if !ctx.ext_starts.is_empty() {
        let (es, ee) = (ctx.ext_starts[i] as usize, ctx.ext_starts[i + 1] as usize);
        out.extend_from_slice(&ctx.ext[es..ee]);
    }
}

/// Second-stage features of every sentence of a document, from first-stage
/// BILOU predictions: the token's own and neighbouring first-stage tags, and
/// the distribution of first-stage labels given to the other occurrences of
/// the same (lower-cased, capitalised) word anywhere in the document
/// (Ratinov & Roth 2009's non-local "context aggregation" idea).
/// Per-token feature lists of one sentence: (start offsets, features).
type TokenFeats = (Vec<u32>, Vec<(u64, f32)>);

fn stage2_feats(infos: &[Vec<WordInfo>], tags1: &[Vec<u8>]) -> Vec<TokenFeats> {
    let class = |tg: u8| if tg == 0 { 4 } else { tag_type(tg as usize) };
    let mut counts: IdMap<[u16; 5]> = IdMap::default();
    for (si, s) in infos.iter().enumerate() {
        for (w, &tg) in s.iter().zip(&tags1[si]) {
            if w.has_upper {
                let e = counts.entry(w.lower).or_insert([0; 5]);
                e[class(tg)] = e[class(tg)].saturating_add(1);
            }
        }
    }
    // document gazetteer: the first-stage spans with capitalised words,
    // matched case-insensitively anywhere in the document
    let mut dgaz = Gazetteer::default();
    let mut lows: Vec<u64> = Vec::new();
    for (si, s) in infos.iter().enumerate() {
        for (a, b, l) in bilou_to_spans(&tags1[si]) {
            if s[a..b].iter().any(|w| w.has_upper) {
                lows.clear();
                lows.extend(s[a..b].iter().map(|w| w.lower));
                dgaz.add(&lows, 1 << l.index());
            }
        }
    }
    let (mut gstarts, mut gcodes) = (Vec::new(), Vec::new());
    let mut out = Vec::with_capacity(infos.len());
    for (si, s) in infos.iter().enumerate() {
        let tg = &tags1[si];
        let mut starts = Vec::with_capacity(s.len() + 1);
        let mut feats = Vec::new();
        starts.push(0u32);
        dgaz.matches(s, is_caps_sentence(s), &mut gstarts, &mut gcodes);
        for (i, w) in s.iter().enumerate() {
            for &code in &gcodes[gstarts[i] as usize..gstarts[i + 1] as usize] {
                feats.push((feat(t::DOCGAZ, code as u64, w.init_upper as u64), 1.0));
            }
            let prev = if i > 0 { tg[i - 1] as u64 } else { 31 };
            let next = if i + 1 < s.len() {
                tg[i + 1] as u64
            } else {
                31
            };
            feats.push((feat(t::S1TAG, 0, tg[i] as u64), 1.0));
            feats.push((feat(t::S1TAG, 1, prev * 32 + tg[i] as u64), 1.0));
            feats.push((feat(t::S1TAG, 2, tg[i] as u64 * 32 + next), 1.0));
            if w.has_upper
                && let Some(c) = counts.get(&w.lower)
            {
                let mut c = *c;
                let own = class(tg[i]);
                c[own] = c[own].saturating_sub(1);
                let total: u32 = c.iter().map(|&x| x as u32).sum();
                if total > 0 {
                    for (k, &x) in c.iter().enumerate() {
                        if x > 0 {
                            let v = x as f32 / total as f32;
                            feats.push((feat(t::AGG, k as u64, 0), v));
                            feats.push((feat(t::AGG, 8 + k as u64, own as u64), v));
                        }
                    }
                }
            }
            starts.push(feats.len() as u32);
        }
        out.push((starts, feats));
    }
    out
}

/// Picks the best allowed tag.
#[inline]
fn best_tag(scores: &[f32; NT], prev: usize, last: bool) -> usize {
    let mut best = usize::MAX;
    let mut bs = f32::NEG_INFINITY;
    for (tg, &s) in scores.iter().enumerate() {
        if allowed(prev, tg, last) && (best == usize::MAX || s > bs) {
            best = tg;
            bs = s;
        }
    }
    if best == usize::MAX { 0 } else { best }
}

// ---------------------------------------------------------------------------
// the model

/// Word table: cached per-word score vectors (WINDOW x NT) and word facts.
#[derive(Default, Clone)]
struct WordTable {
    map: StrMap<u32>,
    vecs: Vec<f32>,
    infos: Vec<WordInfo>,
}

/// A trained tagger. Immutable after loading, `Send + Sync`.
#[derive(Clone)]
pub struct Model {
    keys: Vec<u64>,
    weights: Vec<f32>,
    vocab: Vec<String>,
    /// Shared with the first stage when equal (as trained): unknown words are featurised once.
    clusters: Arc<Clusters>,
    gaz_entries: Vec<(String, u8)>,
    /// first-stage model whose predictions feed this model's features
    stage1: Option<Box<Model>>,
    /// entity list mined from unlabelled news with an earlier model
    auto_entries: Vec<(String, u8)>,
    // derived at load time
    index: IdMap<u32>,
    gaz: Gazetteer,
    auto_gaz: Gazetteer,
    words: WordTable,
    /// Scores of the previous-two-tags features, per (t2, t1), summed.
    tag_pairs: Vec<[f32; NT]>,
    /// Distinct for every model built in this process, so a [`Lexicon`] knows whose entries it
    /// holds.
    identity: u64,
}

/// Source of [`Model`] identities; 0 is never given out.
static NEXT_IDENTITY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

const MAGIC: &[u8; 8] = b"NSTNER\0\x01";
const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ModelData {
    keys: Vec<u64>,
    scale: f32,
    weights: Vec<i16>,
    vocab: Vec<String>,
    clusters: Vec<(String, u64, u8)>,
    case: Vec<(String, u8)>,
    cluster_prefixes: Vec<u8>,
    gaz: Vec<(String, u8)>,
    stage1: Option<Vec<u8>>,
    auto_gaz: Vec<(String, u8)>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("features", &self.keys.len())
            .field("vocab", &self.vocab.len())
            .field("clusters", &self.clusters.len())
            .field("gazetteer", &self.gaz_entries.len())
            .finish()
    }
}

impl Model {
    fn build(
        keys: Vec<u64>,
        weights: Vec<f32>,
        vocab: Vec<String>,
        clusters: Clusters,
        gaz_entries: Vec<(String, u8)>,
        stage1: Option<Box<Model>>,
        auto_entries: Vec<(String, u8)>,
    ) -> Model {
        let mut index: IdMap<u32> = IdMap::default();
        index.reserve(keys.len());
        for (i, &k) in keys.iter().enumerate() {
            index.insert(k, i as u32);
        }
        let mut gaz = Gazetteer::default();
        for (e, mask) in &gaz_entries {
            let lows: Vec<u64> = e.split(' ').map(hash_str).collect();
            gaz.add(&lows, *mask);
        }
        let auto_gaz = gazetteer_from(&auto_entries);
        let clusters = Arc::new(clusters);
        let mut stage1 = stage1;
        if let Some(m1) = &mut stage1
            && m1.clusters == clusters
        {
            m1.clusters = Arc::clone(&clusters);
        }
        let mut m = Model {
            auto_entries,
            auto_gaz,
            keys,
            weights,
            vocab,
            clusters,
            gaz_entries,
            stage1,
            index,
            gaz,
            words: WordTable::default(),
            tag_pairs: Vec::new(),
            identity: NEXT_IDENTITY.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        };
        let mut tag_pairs = vec![[0f32; NT]; TAG_CONTEXTS * TAG_CONTEXTS];
        for t2 in 0..TAG_CONTEXTS {
            for t1 in 0..TAG_CONTEXTS {
                let scores = &mut tag_pairs[t2 * TAG_CONTEXTS + t1];
                m.add_feat(prev_tag_key(t1), 1.0, scores);
                m.add_feat(prev_tags_key(t2, t1), 1.0, scores);
            }
        }
        m.tag_pairs = tag_pairs;
        let mut words = WordTable::default();
        let mut buf: [Vec<u64>; WINDOW] = Default::default();
        // ids 0 and 1: sentence padding before / after
        for before in [true, false] {
            features::pad_features(before, &mut buf);
            m.push_word_vec(&buf, &mut words.vecs);
            words.infos.push(WordInfo::default());
        }
        for w in &m.vocab {
            if words.map.contains_key(w.as_str()) {
                continue;
            }
            features::word_features(w, &m.clusters, &mut buf);
            m.push_word_vec(&buf, &mut words.vecs);
            words.infos.push(features::word_info(w));
            words
                .map
                .insert(w.as_str().into(), (words.infos.len() - 1) as u32);
        }
        m.words = words;
        m
    }

    fn push_word_vec(&self, feats: &[Vec<u64>; WINDOW], vecs: &mut Vec<f32>) {
        for fs in feats {
            let mut acc = [0f32; NT];
            for &f in fs {
                self.add_feat(f, 1.0, &mut acc);
            }
            vecs.extend_from_slice(&acc);
        }
    }

    /// The weight row of feature `h`, or `NO_ROW`.
    #[inline]
    fn row_of(&self, h: u64) -> u32 {
        self.index.get(&h).copied().unwrap_or(NO_ROW)
    }

    /// Adds `v` times weight row `r` (nothing for `NO_ROW`). With `v = 1.0` the products are the
    /// row's values exactly, so one routine serves valued and plain features.
    #[inline]
    fn add_row(&self, r: u32, v: f32, scores: &mut [f32; NT]) {
        if r != NO_ROW {
            let row = &self.weights[r as usize * NT..r as usize * NT + NT];
            for k in 0..NT {
                scores[k] += v * row[k];
            }
        }
    }

    #[inline]
    fn add_feat(&self, h: u64, v: f32, scores: &mut [f32; NT]) {
        self.add_row(self.row_of(h), v, scores);
    }

    /// The number of weighted features.
    pub fn n_features(&self) -> usize {
        self.keys.len()
    }

    /// Tags one document given as sentences of tokens; returns the spans of
    /// each sentence (`end` exclusive).
    pub fn predict_document(&self, sentences: &[Vec<&str>]) -> Vec<Vec<(usize, usize, Label)>> {
        self.predict_document_tags(sentences)
            .iter()
            .map(|t| bilou_to_spans(t))
            .collect()
    }

    /// Tags many documents on a pool of `threads` threads; the same output as calling
    /// [`Model::predict_document`] on each, for any thread count.
    ///
    /// # Errors
    /// [`Error::Interrupted`] once `cancel` is set, or a pool that cannot start.
    pub fn predict_documents_on(
        &self,
        docs: &[Vec<Vec<&str>>],
        threads: usize,
        cancel: &Cancel,
    ) -> Result<Vec<Vec<Vec<Span>>>, Error> {
        use rayon::prelude::*;
        let one = |d: &Vec<Vec<&str>>| {
            cancel.check()?;
            Ok(self.predict_document(d))
        };
        if threads <= 1 {
            return docs.iter().map(one).collect();
        }
        crate::parallel::pool(threads)?.install(|| docs.par_iter().map(one).collect())
    }

    /// Tags one sentence, returning IOB2 tag strings.
    pub fn tag_iob2(&self, sentence: &[&str]) -> Vec<String> {
        let spans = self.predict_document(&[sentence.to_vec()]);
        crate::entities::conll::encode_iob2(&spans[0], sentence.len())
            .into_iter()
            .map(super::conll::Tag::to_string_tag)
            .collect()
    }

    fn predict_document_tags(&self, sentences: &[Vec<&str>]) -> Vec<Vec<u8>> {
        self.predict_document_tags_with(sentences, &mut Lexicon::new())
    }

    /// Tags one document, resolving words through `lexicon` (which may have seen other documents:
    /// the tags do not depend on it).
    pub fn predict_document_with(
        &self,
        sentences: &[Vec<&str>],
        lexicon: &mut Lexicon,
    ) -> Vec<Vec<(usize, usize, Label)>> {
        self.predict_document_tags_with(sentences, lexicon)
            .iter()
            .map(|t| bilou_to_spans(t))
            .collect()
    }

    fn predict_document_tags_with(
        &self,
        sentences: &[Vec<&str>],
        lexicon: &mut Lexicon,
    ) -> Vec<Vec<u8>> {
        lexicon.start_document(self);
        let entries: Vec<Vec<u32>> = sentences
            .iter()
            .map(|s| s.iter().map(|tok| lexicon.entry(self, tok)).collect())
            .collect();
        self.tag_entries(&entries, lexicon, 0)
    }

    /// Tags a document of lexicon entries with the stage at `depth` (0: this model).
    fn tag_entries(
        &self,
        entries: &[Vec<u32>],
        lexicon: &mut Lexicon,
        depth: usize,
    ) -> Vec<Vec<u8>> {
        let g = self.words.infos.len() as u32;
        let all_infos: Vec<Vec<WordInfo>> = entries
            .iter()
            .map(|s| s.iter().map(|&e| lexicon.info(e)).collect())
            .collect();
        let mut ext = match &self.stage1 {
            Some(m1) => stage2_feats(&all_infos, &m1.tag_entries(entries, lexicon, depth + 1)),
            None => Vec::new(),
        }
        .into_iter();
        let mut doc = DocState::default();
        doc.scan_casing(&all_infos);
        let mut ctx = SentCtx::default();
        let mut fbuf = Vec::with_capacity(32);
        let mut base: Vec<[f32; NT]> = Vec::new();
        let mut out = Vec::with_capacity(entries.len());
        for (infos, sent) in all_infos.into_iter().zip(entries) {
            ctx.caps = is_caps_sentence(&infos);
            ctx.wids.clear();
            ctx.wids.extend(sent.iter().map(|&e| lexicon.id(depth, e)));
            ctx.infos = infos;
            self.auto_gaz.matches(
                &ctx.infos,
                ctx.caps,
                &mut ctx.auto_starts,
                &mut ctx.auto_codes,
            );
            self.gaz.matches(
                &ctx.infos,
                ctx.caps,
                &mut ctx.gaz_starts,
                &mut ctx.gaz_codes,
            );
            ctx.cased.clear();
            ctx.cased
                .extend(ctx.infos.iter().map(|w| doc.cased_code(w)));
            if let Some((st, fs)) = ext.next() {
                ctx.ext_starts = st;
                ctx.ext = fs;
            }
            let n = ctx.wids.len();
            // First every score that does not depend on this sentence's tags: the lookups are
            // independent, so the memory system can overlap them.
            base.clear();
            base.resize(n, [0f32; NT]);
            // Each word's cached scores for its five window positions lie together: adding them
            // word by word reads one block per token instead of rows of five different words.
            let block_of = |j: isize| {
                let wid = if j < 0 {
                    0
                } else if j as usize >= n {
                    1
                } else {
                    ctx.wids[j as usize]
                };
                if wid < g {
                    &self.words.vecs[wid as usize * WINDOW * NT..][..WINDOW * NT]
                } else {
                    lexicon.local_block(depth, wid - g)
                }
            };
            for j in -HALF..n as isize + HALF {
                let ahead = block_of(j + 4);
                for line in (0..WINDOW * NT).step_by(16) {
                    prefetch(&ahead[line]);
                }
                let block = block_of(j);
                for p in 0..WINDOW {
                    let i = j - p as isize + HALF;
                    if i < 0 || i as usize >= n {
                        continue;
                    }
                    let scores = &mut base[i as usize];
                    let v = &block[p * NT..][..NT];
                    for k in 0..NT {
                        scores[k] += v[k];
                    }
                }
            }
            for (i, scores) in base.iter_mut().enumerate() {
                // The greedy pass below waits on each token's tag rows in turn; fetch them now.
                lexicon.prefetch_tag_rows(depth, sent[i]);
                fbuf.clear();
                static_feats(&ctx, i, &doc, &mut fbuf);
                for &(h, v) in &fbuf {
                    self.add_feat(h, v, scores);
                }
            }
            let mut tags: Vec<u8> = Vec::with_capacity(n);
            for (i, &(mut scores)) in base.iter().enumerate() {
                let t1 = if i > 0 { tags[i - 1] as usize } else { BOS_TAG };
                let t2 = if i > 1 { tags[i - 2] as usize } else { BOS_TAG };
                let pair = &self.tag_pairs[t2 * TAG_CONTEXTS + t1];
                for k in 0..NT {
                    scores[k] += pair[k];
                }
                let (lower, shape) = lexicon.tag_rows(self, depth, sent[i], t1);
                self.add_row(lower, 1.0, &mut scores);
                self.add_row(shape, 1.0, &mut scores);
                tags.push(best_tag(&scores, t1, i + 1 == n) as u8);
            }
            doc.record(&ctx.infos, &tags);
            out.push(tags);
        }
        out
    }

    /// Evaluates on documents with gold IOB1/IOB2 tags.
    pub fn evaluate(&self, docs: &[Document]) -> EvalReport {
        let mut r = EvalReport::default();
        for d in docs {
            let sents: Vec<Vec<&str>> = d.sentences.iter().map(|s| s.token_refs()).collect();
            let pred = self.predict_document(&sents);
            for (s, p) in d.sentences.iter().zip(pred) {
                r.add(&decode_iob1(&s.tags), &p);
            }
        }
        r
    }

    /// Serialises the model: magic, format version, payload length,
    /// postcard payload, checksum.
    pub fn to_bytes(&self) -> Vec<u8> {
        let max = self.weights.iter().fold(0f32, |a, &w| a.max(w.abs()));
        let scale = if max > 0.0 { max / 32767.0 } else { 1.0 };
        let weights: Vec<i16> = self
            .weights
            .iter()
            .map(|&w| (w / scale).round().clamp(-32767.0, 32767.0) as i16)
            .collect();
        let data = ModelData {
            keys: self.keys.clone(),
            scale,
            weights,
            vocab: self.vocab.clone(),
            clusters: self.clusters.to_sorted(),
            case: self.clusters.case_sorted(),
            cluster_prefixes: self.clusters.prefixes.clone(),
            gaz: self.gaz_entries.clone(),
            stage1: self.stage1.as_ref().map(|m| m.to_bytes()),
            auto_gaz: self.auto_entries.clone(),
        };
        let payload = postcard::to_stdvec(&data).expect("postcard serialization of plain data");
        let mut out = Vec::with_capacity(payload.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&payload);
        out.extend_from_slice(&features::hash_bytes(0xC4EC, &payload).to_le_bytes());
        out
    }

    /// Loads a model; corrupt, truncated or foreign bytes give an error.
    pub fn from_bytes(b: &[u8]) -> Result<Model, Error> {
        let err = |m: &str| Error::decode("ner model", m);
        if b.len() < 8 + 4 + 8 + 8 {
            return Err(err("too short"));
        }
        if &b[..8] != MAGIC {
            return Err(err("bad magic header (not a newstally NER model)"));
        }
        let ver = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
        if ver != FORMAT_VERSION {
            return Err(Error::decode(
                "ner model",
                format!("unsupported format version {ver} (expected {FORMAT_VERSION})"),
            ));
        }
        let mut lb = [0u8; 8];
        lb.copy_from_slice(&b[12..20]);
        let len = u64::from_le_bytes(lb);
        let rest = (b.len() - 20 - 8) as u64;
        if len != rest {
            return Err(Error::decode(
                "ner model",
                format!(
                    "payload length {len} does not match the {rest} bytes present (truncated?)"
                ),
            ));
        }
        let payload = &b[20..20 + len as usize];
        let mut cb = [0u8; 8];
        cb.copy_from_slice(&b[20 + len as usize..]);
        if u64::from_le_bytes(cb) != features::hash_bytes(0xC4EC, payload) {
            return Err(err("checksum mismatch (corrupt file)"));
        }
        let data: ModelData = postcard::from_bytes(payload)
            .map_err(|e| Error::decode("ner model", format!("payload decode: {e}")))?;
        // sanity limits (far above any real model) so that a crafted file
        // cannot make the load-time caches explode
        if data.vocab.len() > 5_000_000 || data.keys.len() > 50_000_000 {
            return Err(err("implausibly large vocabulary or feature table"));
        }
        if data.weights.len() != data.keys.len().saturating_mul(NT) {
            return Err(err("weights/keys length mismatch"));
        }
        if !data.scale.is_finite() || data.scale <= 0.0 {
            return Err(err("bad weight scale"));
        }
        let weights: Vec<f32> = data
            .weights
            .iter()
            .map(|&q| q as f32 * data.scale)
            .collect();
        let mut clusters = Clusters::from_entries(data.clusters, data.case);
        clusters.prefixes = data.cluster_prefixes;
        let stage1 = match data.stage1 {
            Some(b1) => {
                let m1 = Model::from_bytes(&b1)?;
                if m1.stage1.is_some() {
                    return Err(err("nested first stage has its own first stage"));
                }
                Some(Box::new(m1))
            }
            None => None,
        };
        Ok(Model::build(
            data.keys,
            weights,
            data.vocab,
            clusters,
            data.gaz,
            stage1,
            data.auto_gaz,
        ))
    }
}

// ---------------------------------------------------------------------------
// training

/// Training settings.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Maximum number of passes over the training data.
    pub epochs: usize,
    /// Seed of the shuffles (same data and seed give the same model bytes).
    pub seed: u64,
    /// Stop after this many epochs without a dev improvement.
    pub patience: usize,
    /// Drop features whose averaged weights are all below this in absolute value.
    pub prune_threshold: f32,
    /// Number of jackknife folds for the training-set gazetteer (0 = no gazetteer).
    pub gaz_folds: usize,
    /// Word clusters used as features (empty: none).
    pub clusters: Clusters,
    /// Folds for jackknifed first-stage predictions feeding a second stage
    /// (0 = single stage).
    pub stage2_folds: usize,
    /// Number of perceptrons (different shuffles) whose averaged weights
    /// are averaged into the final model.
    pub ensemble: usize,
    /// Unlabelled documents (sentences of tokens) from which an entity list
    /// is mined with jackknifed first-stage models (empty = none).
    pub unlabelled: std::sync::Arc<Vec<Vec<Vec<String>>>>,
    /// Print progress to stderr.
    pub verbose: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 30,
            seed: 1,
            patience: 4,
            prune_threshold: 1e-3,
            gaz_folds: 10,
            clusters: Clusters::default(),
            stage2_folds: 5,
            ensemble: 8,
            unlabelled: Default::default(),
            verbose: false,
        }
    }
}

impl TrainConfig {
    /// Checks the settings.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the bad setting.
    pub fn check(&self) -> Result<(), Error> {
        if self.epochs == 0 {
            return Err(Error::config("epochs", "must be at least 1, got 0"));
        }
        if self.ensemble == 0 {
            return Err(Error::config("ensemble", "must be at least 1, got 0"));
        }
        if self.patience == 0 {
            return Err(Error::config("patience", "must be at least 1, got 0"));
        }
        if self.stage2_folds == 1 {
            return Err(Error::config(
                "stage2_folds",
                "must be 0 (one stage) or at least 2, got 1",
            ));
        }
        if self.gaz_folds == 1 {
            return Err(Error::config(
                "gazetteer_folds",
                "must be 0 (no gazetteer) or at least 2, got 1",
            ));
        }
        Ok(())
    }
}

struct TrainSent {
    ctx: SentCtx,
    gold: Vec<u8>,
}

struct Trainer {
    index: IdMap<u32>,
    keys: Vec<u64>,
    /// weights, averaging accumulators and instance counters of each
    /// ensemble member (members share the feature index)
    w: Vec<Vec<f32>>,
    acc: Vec<Vec<f64>>,
    c: Vec<f64>,
    cur: usize,
    /// per word: WINDOW lists of rows (flattened)
    word_rows: Vec<u32>,
    word_row_start: Vec<u32>,
}

impl Trainer {
    fn row_or_insert(&mut self, h: u64) -> usize {
        if let Some(&r) = self.index.get(&h) {
            return r as usize;
        }
        let r = self.keys.len();
        self.keys.push(h);
        self.index.insert(h, r as u32);
        for w in &mut self.w {
            w.extend_from_slice(&[0.0; NT]);
        }
        for a in &mut self.acc {
            a.extend_from_slice(&[0.0; NT]);
        }
        r
    }

    #[inline]
    fn word_rows(&self, wid: u32, p: usize) -> &[u32] {
        let k = wid as usize * WINDOW + p;
        &self.word_rows[self.word_row_start[k] as usize..self.word_row_start[k + 1] as usize]
    }

    #[inline]
    fn update(&mut self, r: usize, tg: usize, d: f32) {
        let m = self.cur;
        self.w[m][r * NT + tg] += d;
        self.acc[m][r * NT + tg] += self.c[m] * d as f64;
    }

    fn averaged(&self, threshold: f32) -> (Vec<u64>, Vec<f32>) {
        let mut keys = Vec::new();
        let mut weights = Vec::new();
        let mut row = [0f32; NT];
        let nm = self.w.len() as f64;
        for (r, &k) in self.keys.iter().enumerate() {
            let mut keep = false;
            for (tg, slot) in row.iter_mut().enumerate() {
                let mut v = 0f64;
                for m in 0..self.w.len() {
                    let c = self.c[m].max(1.0);
                    v += self.w[m][r * NT + tg] as f64 - self.acc[m][r * NT + tg] / c;
                }
                let v = (v / nm) as f32;
                *slot = v;
                keep |= v.abs() >= threshold;
            }
            if keep {
                keys.push(k);
                weights.extend_from_slice(&row);
            }
        }
        (keys, weights)
    }
}

/// Deterministic PRNG (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        features::fmix(self.0)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn gaz_entries_of(docs: &[Document], keep: impl Fn(usize) -> bool) -> Vec<(String, u8)> {
    let mut m: std::collections::BTreeMap<String, u8> = std::collections::BTreeMap::new();
    for (di, d) in docs.iter().enumerate() {
        if !keep(di) {
            continue;
        }
        for s in &d.sentences {
            for (a, b, l) in decode_iob1(&s.tags) {
                if b - a > GAZ_MAX_LEN {
                    continue;
                }
                let key: Vec<String> = s.tokens[a..b]
                    .iter()
                    .map(|w| features::normalize(w).to_lowercase())
                    .collect();
                *m.entry(key.join(" ")).or_insert(0) |= 1 << l.index();
            }
        }
    }
    m.into_iter().collect()
}

fn gazetteer_from(entries: &[(String, u8)]) -> Gazetteer {
    let mut g = Gazetteer::default();
    for (e, mask) in entries {
        let lows: Vec<u64> = e.split(' ').map(hash_str).collect();
        g.add(&lows, *mask);
    }
    g
}

/// Trains a model on `train`, selecting the epoch with the best dev F1
/// (if `dev` is empty, the last epoch is kept).
pub fn train(train: &[Document], dev: &[Document], cfg: &TrainConfig) -> Model {
    train_cancellable(train, dev, cfg, &Cancel::new()).expect("a fresh Cancel is never set")
}

/// [`train`] that stops with [`Error::Interrupted`] soon after `cancel` is set (it is checked
/// between training documents).
///
/// # Errors
/// Only [`Error::Interrupted`].
pub fn train_cancellable(
    train: &[Document],
    dev: &[Document],
    cfg: &TrainConfig,
    cancel: &Cancel,
) -> Result<Model, Error> {
    let k = cfg.stage2_folds.max(2);
    let auto = if !cfg.unlabelled.is_empty() && train.len() >= k {
        Some(build_auto(train, cfg, k, cancel)?)
    } else {
        None
    };
    let all_folds: Vec<usize> = (0..train.len()).map(|i| i % k).collect();
    let auto_all = auto.as_ref().map(|a| (a, &all_folds[..], &a.full[..]));
    let (m1, best_epoch) = train_stage(train, dev, cfg, None, auto_all, cancel)?;
    if cfg.stage2_folds < 2 || train.len() < cfg.stage2_folds {
        return Ok(m1);
    }
    // jackknifed first-stage predictions on the training documents
    let fixed = TrainConfig {
        epochs: best_epoch,
        verbose: false,
        ..cfg.clone()
    };
    let mut tags1: Vec<Vec<Vec<u8>>> = vec![Vec::new(); train.len()];
    for fold in 0..k {
        let part: Vec<Document> = train
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != fold)
            .map(|(_, d)| d.clone())
            .collect();
        let part_folds: Vec<usize> = (0..train.len())
            .filter(|i| i % k != fold)
            .map(|i| i % k)
            .collect();
        let auto_part = auto
            .as_ref()
            .map(|a| (a, &part_folds[..], &a.entries[fold][..]));
        let (mf, _) = train_stage(&part, &[], &fixed, None, auto_part, cancel)?;
        for (i, d) in train.iter().enumerate() {
            if i % k == fold {
                let sents: Vec<Vec<&str>> = d.sentences.iter().map(|s| s.token_refs()).collect();
                tags1[i] = mf.predict_document_tags(&sents);
            }
        }
        if cfg.verbose {
            eprintln!("stage-1 jackknife fold {}/{k} done", fold + 1);
        }
    }
    let (m2, _) = train_stage(train, dev, cfg, Some((m1, &tags1)), auto_all, cancel)?;
    Ok(m2)
}

/// An [`AutoGaz`] in use: the per-document fold of the documents being
/// trained on, and the entity list the trained model keeps.
type AutoUse<'a> = Option<(&'a AutoGaz, &'a [usize], &'a [(String, u8)])>;

/// Entity lists mined from the unlabelled documents: one per fold (by a
/// model trained without that fold) and one by a model trained on all.
struct AutoGaz {
    entries: Vec<Vec<(String, u8)>>,
    gazes: Vec<Gazetteer>,
    full: Vec<(String, u8)>,
}

fn build_auto(
    train: &[Document],
    cfg: &TrainConfig,
    k: usize,
    cancel: &Cancel,
) -> Result<AutoGaz, Error> {
    let sub = TrainConfig {
        epochs: 8,
        ensemble: 2,
        stage2_folds: 0,
        unlabelled: Default::default(),
        verbose: false,
        ..cfg.clone()
    };
    let mut entries = Vec::with_capacity(k);
    for fold in 0..=k {
        let part: Vec<Document> = train
            .iter()
            .enumerate()
            .filter(|(i, _)| fold == k || i % k != fold)
            .map(|(_, d)| d.clone())
            .collect();
        let (m, _) = train_stage(&part, &[], &sub, None, None, cancel)?;
        let e = mine_entities(&m, &cfg.unlabelled);
        if cfg.verbose {
            eprintln!(
                "unlabelled-news entity list {}/{}: {} entries",
                fold + 1,
                k + 1,
                e.len()
            );
        }
        entries.push(e);
    }
    let full = entries.pop().unwrap_or_default();
    let gazes = entries.iter().map(|e| gazetteer_from(e)).collect();
    Ok(AutoGaz {
        entries,
        gazes,
        full,
    })
}

/// Tags unlabelled documents and keeps the spans seen at least twice whose
/// most frequent label has at least 80% of their occurrences.
fn mine_entities(m: &Model, docs: &[Vec<Vec<String>>]) -> Vec<(String, u8)> {
    let mut counts: std::collections::BTreeMap<String, [u32; 4]> = Default::default();
    for d in docs {
        let sents: Vec<Vec<&str>> = d
            .iter()
            .map(|s| s.iter().map(std::string::String::as_str).collect())
            .collect();
        for (s, spans) in d.iter().zip(m.predict_document(&sents)) {
            for (a, b, l) in spans {
                if b - a > GAZ_MAX_LEN {
                    continue;
                }
                let key: Vec<String> = s[a..b]
                    .iter()
                    .map(|w| features::normalize(w).to_lowercase())
                    .collect();
                counts.entry(key.join(" ")).or_insert([0; 4])[l.index()] += 1;
            }
        }
    }
    counts
        .into_iter()
        .filter_map(|(key, c)| {
            let total: u32 = c.iter().sum();
            let (best, &n) = c.iter().enumerate().max_by_key(|&(i, &n)| (n, 4 - i))?;
            (total >= 2 && n as f64 >= 0.8 * total as f64).then_some((key, 1u8 << best))
        })
        .collect()
}

/// Trains one stage; returns the model and the selected epoch.
fn train_stage(
    train: &[Document],
    dev: &[Document],
    cfg: &TrainConfig,
    stage1: Option<(Model, &[Vec<Vec<u8>>])>,
    auto: AutoUse<'_>,
    cancel: &Cancel,
) -> Result<(Model, usize), Error> {
    let (stage1_model, train_tags1) = match stage1 {
        Some((m, t)) => (Some(Box::new(m)), Some(t)),
        None => (None, None),
    };
    let mut tr = Trainer {
        index: IdMap::default(),
        keys: Vec::new(),
        w: vec![Vec::new(); cfg.ensemble.max(1)],
        acc: vec![Vec::new(); cfg.ensemble.max(1)],
        c: vec![1.0; cfg.ensemble.max(1)],
        cur: 0,
        word_rows: Vec::new(),
        word_row_start: vec![0],
    };
    // vocabulary (in first-seen order: deterministic)
    let mut vocab: Vec<String> = Vec::new();
    let mut vmap: StrMap<u32> = StrMap::default();
    let mut buf: [Vec<u64>; WINDOW] = Default::default();
    let mut word_infos: Vec<WordInfo> = Vec::new();
    let push_rows = |tr: &mut Trainer, buf: &[Vec<u64>; WINDOW]| {
        for fs in buf {
            for &f in fs {
                let r = tr.row_or_insert(f) as u32;
                tr.word_rows.push(r);
            }
            tr.word_row_start.push(tr.word_rows.len() as u32);
        }
    };
    for before in [true, false] {
        features::pad_features(before, &mut buf);
        push_rows(&mut tr, &buf);
        word_infos.push(WordInfo::default());
    }
    // jackknifed gazetteers
    let folds = cfg.gaz_folds;
    let fold_gaz: Vec<Gazetteer> = (0..folds)
        .map(|k| gazetteer_from(&gaz_entries_of(train, |di| di % folds != k)))
        .collect();
    let mut docs: Vec<Vec<TrainSent>> = Vec::with_capacity(train.len());
    let mut doc_states: Vec<DocState> = Vec::with_capacity(train.len());
    for (di, d) in train.iter().enumerate() {
        let mut sents = Vec::with_capacity(d.sentences.len());
        for s in &d.sentences {
            let mut ctx = SentCtx::default();
            for tok in &s.tokens {
                let w = features::normalize(tok);
                let id = if let Some(&id) = vmap.get(w.as_ref()) {
                    id
                } else {
                    features::word_features(&w, &cfg.clusters, &mut buf);
                    push_rows(&mut tr, &buf);
                    word_infos.push(features::word_info(&w));
                    let id = (word_infos.len() - 1) as u32;
                    vocab.push(w.to_string());
                    vmap.insert(w.as_ref().into(), id);
                    id
                };
                ctx.wids.push(id);
                ctx.infos.push(word_infos[id as usize]);
            }
            ctx.caps = is_caps_sentence(&ctx.infos);
            if let Some((a, doc_fold, _)) = auto {
                a.gazes[doc_fold[di]].matches(
                    &ctx.infos,
                    ctx.caps,
                    &mut ctx.auto_starts,
                    &mut ctx.auto_codes,
                );
            }
            if folds > 0 {
                fold_gaz[di % folds].matches(
                    &ctx.infos,
                    ctx.caps,
                    &mut ctx.gaz_starts,
                    &mut ctx.gaz_codes,
                );
            } else {
                ctx.gaz_starts = vec![0; ctx.infos.len() + 1];
            }
            let gold = spans_to_bilou(&decode_iob1(&s.tags), s.tokens.len());
            sents.push(TrainSent { ctx, gold });
        }
        let infos: Vec<Vec<WordInfo>> = sents.iter().map(|s| s.ctx.infos.clone()).collect();
        let mut ds = DocState::default();
        ds.scan_casing(&infos);
        if let Some(t1) = train_tags1 {
            for (s, (st, fs)) in sents.iter_mut().zip(stage2_feats(&infos, &t1[di])) {
                s.ctx.ext_starts = st;
                s.ctx.ext = fs;
            }
        }
        for s in &mut sents {
            s.ctx.cased = s.ctx.infos.iter().map(|w| ds.cased_code(w)).collect();
        }
        docs.push(sents);
        doc_states.push(ds);
    }
    let gaz_full = if folds > 0 {
        gaz_entries_of(train, |_| true)
    } else {
        Vec::new()
    };

    let members = cfg.ensemble.max(1);
    let mut orders: Vec<Vec<usize>> = vec![(0..docs.len()).collect(); members];
    let mut rngs: Vec<Rng> = (0..members)
        .map(|m| Rng(cfg.seed.wrapping_add(m as u64 * 7919)))
        .collect();
    let mut best: Option<(f64, Model, usize)> = None;
    let mut since_best = 0;
    let mut fbuf: Vec<(u64, f32)> = Vec::with_capacity(32);
    let mut rows: Vec<(usize, f32)> = Vec::with_capacity(128);
    for epoch in 1..=cfg.epochs.max(1) {
        let t0 = std::time::Instant::now();
        let mut errors = 0usize;
        let mut ntok = 0usize;
        for m in 0..members {
            tr.cur = m;
            let order = &mut orders[m];
            let rng = &mut rngs[m];
            for i in (1..order.len()).rev() {
                let j = rng.below(i + 1);
                order.swap(i, j);
            }
            for &di in order.iter() {
                cancel.check()?;
                let doc = &mut doc_states[di];
                doc.hist.clear();
                for s in &docs[di] {
                    let ctx = &s.ctx;
                    let n = ctx.wids.len();
                    let mut tags: Vec<u8> = Vec::with_capacity(n);
                    for i in 0..n {
                        rows.clear();
                        for p in 0..WINDOW {
                            let j = i as isize + p as isize - HALF;
                            let wid = if j < 0 {
                                0
                            } else if j as usize >= n {
                                1
                            } else {
                                ctx.wids[j as usize]
                            };
                            for &r in tr.word_rows(wid, p) {
                                rows.push((r as usize, 1.0));
                            }
                        }
                        let t1 = if i > 0 { tags[i - 1] as usize } else { BOS_TAG };
                        let t2 = if i > 1 { tags[i - 2] as usize } else { BOS_TAG };
                        dyn_feats(ctx, i, t1, t2, doc, &mut fbuf);
                        let mut scores = [0f32; NT];
                        for &(r, v) in &rows {
                            let row = &tr.w[m][r * NT..r * NT + NT];
                            for k in 0..NT {
                                scores[k] += v * row[k];
                            }
                        }
                        for &(h, v) in &fbuf {
                            if let Some(&r) = tr.index.get(&h) {
                                let row = &tr.w[m][r as usize * NT..r as usize * NT + NT];
                                for k in 0..NT {
                                    scores[k] += v * row[k];
                                }
                            }
                        }
                        let pred = best_tag(&scores, t1, i + 1 == n);
                        let gold = s.gold[i] as usize;
                        if pred != gold {
                            errors += 1;
                            for &(h, v) in &fbuf {
                                let r = tr.row_or_insert(h);
                                rows.push((r, v));
                            }
                            for &(r, v) in &rows {
                                tr.update(r, gold, v);
                                tr.update(r, pred, -v);
                            }
                        }
                        tr.c[m] += 1.0;
                        ntok += 1;
                        tags.push(pred as u8);
                    }
                    doc.record(&ctx.infos, &tags);
                }
            }
        }
        let (keys, weights) = tr.averaged(cfg.prune_threshold);
        let model = Model::build(
            keys,
            weights,
            vocab.clone(),
            cfg.clusters.clone(),
            gaz_full.clone(),
            stage1_model.clone(),
            auto.map(|a| a.2.to_vec()).unwrap_or_default(),
        );
        let f1 = if dev.is_empty() {
            epoch as f64
        } else {
            model.evaluate(dev).f1()
        };
        if cfg.verbose {
            eprintln!(
                "epoch {epoch:>2}: train errors {:.4}  dev F1 {:.4}  features {}  ({:.1}s)",
                errors as f64 / ntok.max(1) as f64,
                f1,
                model.n_features(),
                t0.elapsed().as_secs_f64()
            );
        }
        if best.as_ref().is_none_or(|(b, _, _)| f1 > *b) {
            best = Some((f1, model, epoch));
            since_best = 0;
        } else {
            since_best += 1;
            if since_best >= cfg.patience {
                break;
            }
        }
    }
    let (_, m, epoch) = best.expect("at least one epoch");
    // re-load through the serialized form so the returned model equals a
    // loaded one (quantized weights)
    Ok((
        Model::from_bytes(&m.to_bytes()).expect("fresh model round-trips"),
        epoch,
    ))
}

/// Spans of a sentence with IOB tags, IOB1 decoding.
pub fn gold_spans(s: &Sentence) -> Vec<Span> {
    decode_iob1(&s.tags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::conll::{Tag, parse_conll};

    /// Small synthetic CoNLL-style corpus (IOB1 tags).
    fn synthetic(n_docs: usize, seed: usize) -> Vec<Document> {
        let people = ["John Smith", "Mary Jones", "Peter Blackburn", "Ann Lee"];
        let places = ["Paris", "London", "New York", "Bonn"];
        let orgs = ["Reuters", "European Commission", "IBM"];
        let mut text = String::new();
        for d in 0..n_docs {
            text.push_str("-DOCSTART- O\n\n");
            for s in 0..4 {
                let k = d * 7 + s * 3 + seed;
                let per = people[k % people.len()];
                let loc = places[(k / 2) % places.len()];
                let org = orgs[(k / 3) % orgs.len()];
                for (i, w) in per.split(' ').enumerate() {
                    let _ = i;
                    text.push_str(&format!("{w} I-PER\n"));
                }
                text.push_str("of O\n");
                for w in org.split(' ') {
                    text.push_str(&format!("{w} I-ORG\n"));
                }
                text.push_str("flew O\nto O\n");
                for w in loc.split(' ') {
                    text.push_str(&format!("{w} I-LOC\n"));
                }
                text.push_str("on O\nMonday O\n. O\n\n");
            }
        }
        parse_conll(&text, "synthetic").unwrap()
    }

    fn small_model() -> Model {
        let docs = synthetic(30, 0);
        let dev = synthetic(5, 1);
        let cfg = TrainConfig {
            epochs: 3,
            gaz_folds: 3,
            stage2_folds: 3,
            ensemble: 2,
            ..TrainConfig::default()
        };
        train(&docs, &dev, &cfg)
    }

    #[test]
    fn bilou_round_trip_and_constraints() {
        let spans = vec![(0, 1, Label::Per), (1, 4, Label::Org), (5, 7, Label::Misc)];
        let tags = spans_to_bilou(&spans, 8);
        assert_eq!(bilou_to_spans(&tags), spans);
        for prev in 0..=NT {
            let ok: Vec<usize> = (0..NT).filter(|&c| allowed(prev, c, false)).collect();
            assert!(!ok.is_empty());
            let ok_last: Vec<usize> = (0..NT).filter(|&c| allowed(prev, c, true)).collect();
            assert!(!ok_last.is_empty());
        }
        // invalid sequences decode leniently
        let bad = [
            tag_index("I-PER"),
            0,
            tag_index("L-LOC"),
            tag_index("B-ORG"),
        ];
        let sp = bilou_to_spans(&bad);
        assert_eq!(
            sp,
            vec![(0, 1, Label::Per), (2, 3, Label::Loc), (3, 4, Label::Org)]
        );
    }

    fn tag_index(s: &str) -> u8 {
        let (k, t) = s.split_once('-').unwrap();
        let ty = Label::parse(t).unwrap().index();
        let kind = "BILU".find(k).unwrap();
        mk_tag(ty, kind) as u8
    }

    #[test]
    fn learns_and_round_trips() {
        let m = small_model();
        let r = m.evaluate(&synthetic(5, 2));
        assert!(r.f1() > 0.9, "synthetic F1 {}", r.f1());
        let b = m.to_bytes();
        let m2 = Model::from_bytes(&b).unwrap();
        assert_eq!(m2.to_bytes(), b);
        let s = [
            "Mary", "Jones", "of", "IBM", "flew", "to", "London", "on", "Monday", ".",
        ];
        assert_eq!(m.tag_iob2(&s), m2.tag_iob2(&s));
        let tags = m.tag_iob2(&s);
        assert_eq!(&tags[..4], ["B-PER", "I-PER", "O", "B-ORG"], "{tags:?}");
        assert_eq!(tags[6], "B-LOC", "{tags:?}");
    }

    #[test]
    fn corrupt_truncated_foreign_bytes_are_errors() {
        let b = small_model().to_bytes();
        for cut in [
            0,
            1,
            7,
            8,
            12,
            19,
            20,
            21,
            b.len() / 2,
            b.len() - 9,
            b.len() - 1,
        ] {
            assert!(Model::from_bytes(&b[..cut]).is_err(), "cut {cut}");
        }
        let mut extended = b.clone();
        extended.push(0);
        assert!(Model::from_bytes(&extended).is_err());
        for pos in [0, 9, 13, 25, b.len() / 3, b.len() - 3] {
            let mut c = b.clone();
            c[pos] ^= 0x55;
            assert!(Model::from_bytes(&c).is_err(), "flip at {pos}");
        }
        assert!(Model::from_bytes(b"PK\x03\x04 definitely not a model file at all....").is_err());
        // a "valid" envelope around garbage payload with a huge length prefix
        let payload = [0xFFu8; 16];
        let mut f = Vec::new();
        f.extend_from_slice(MAGIC);
        f.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        f.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        f.extend_from_slice(&payload);
        f.extend_from_slice(&features::hash_bytes(0xC4EC, &payload).to_le_bytes());
        assert!(Model::from_bytes(&f).is_err());
        let mut v = b.clone();
        v[8] = 99;
        assert!(
            Model::from_bytes(&v)
                .unwrap_err()
                .to_string()
                .contains("version")
        );
    }

    /// Payload corruption behind a valid envelope (checksum recomputed):
    /// loading must never panic, and a model that loads must tag safely.
    #[test]
    fn mutated_payloads_never_panic() {
        let b = small_model().to_bytes();
        let payload = &b[20..b.len() - 8];
        let wrap = |p: &[u8]| {
            let mut f = Vec::new();
            f.extend_from_slice(MAGIC);
            f.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            f.extend_from_slice(&(p.len() as u64).to_le_bytes());
            f.extend_from_slice(p);
            f.extend_from_slice(&features::hash_bytes(0xC4EC, p).to_le_bytes());
            f
        };
        let mut rng = Rng(42);
        for round in 0..300 {
            let mut p = payload.to_vec();
            match round % 3 {
                0 => {
                    let i = rng.below(p.len());
                    p[i] = rng.next() as u8;
                }
                1 => {
                    let cut = rng.below(p.len());
                    p.truncate(cut);
                }
                _ => {
                    p = (0..rng.below(3000)).map(|_| rng.next() as u8).collect();
                }
            }
            if let Ok(m) = Model::from_bytes(&wrap(&p)) {
                let _ = m.tag_iob2(&["John", "Smith", "visited", "PARIS", "."]);
            }
        }
    }

    #[test]
    fn edge_case_inputs() {
        let m = small_model();
        let docs = vec![
            vec![vec!["John", "Smith", "flew", "to", "Paris", "."]],
            vec![vec!["Mary", "Jones"], vec![]],
        ];
        let seq: Vec<_> = docs.iter().map(|d| m.predict_document(d)).collect();
        assert_eq!(
            m.predict_documents_on(&docs, 2, &Cancel::new()).unwrap(),
            seq
        );
        assert!(m.tag_iob2(&[]).is_empty());
        assert_eq!(m.predict_document(&[]).len(), 0);
        let doc: Vec<Vec<&str>> = vec![
            vec![],
            vec!["...", "--", "\u{201C}", "123", "", "\u{2019}s"],
            vec![],
        ];
        let out = m.predict_document(&doc);
        assert_eq!(out.len(), 3);
        assert!(out[0].is_empty() && out[2].is_empty());
        let long: Vec<&str> = ["John", "Smith", "flew", "to", "Paris", "."]
            .iter()
            .copied()
            .cycle()
            .take(100_000)
            .collect();
        let tags = m.tag_iob2(&long);
        assert_eq!(tags.len(), 100_000);
        let spans = crate::entities::conll::decode_str_tags(&tags);
        for (s, e, _) in spans {
            assert!(s < e && e <= long.len());
        }
        // tags are valid IOB2
        let parsed: Vec<Tag> = tags.iter().map(|t| Tag::parse(t).unwrap()).collect();
        for (i, t) in parsed.iter().enumerate() {
            if let Tag::I(l) = t {
                assert!(i > 0 && matches!(parsed[i - 1], Tag::B(x) | Tag::I(x) if x == *l));
            }
        }
    }

    #[test]
    fn unlabelled_entity_mining() {
        let docs = synthetic(20, 0);
        let unl: Vec<Vec<Vec<String>>> = synthetic(10, 5)
            .into_iter()
            .map(|d| d.sentences.into_iter().map(|s| s.tokens).collect())
            .collect();
        let cfg = TrainConfig {
            epochs: 2,
            gaz_folds: 2,
            stage2_folds: 2,
            ensemble: 1,
            unlabelled: std::sync::Arc::new(unl),
            ..TrainConfig::default()
        };
        let m = train(&docs, &[], &cfg);
        assert!(!m.auto_entries.is_empty());
        let b = m.to_bytes();
        let m2 = Model::from_bytes(&b).unwrap();
        assert_eq!(m2.auto_entries, m.auto_entries);
        assert_eq!(m2.to_bytes(), b);
        assert_eq!(train(&docs, &[], &cfg).to_bytes(), b);
    }

    #[test]
    fn cancelled_training_stops_with_interrupted() {
        let cancel = Cancel::new();
        cancel.cancel();
        let r = train_cancellable(&synthetic(5, 0), &[], &TrainConfig::default(), &cancel);
        assert!(matches!(r, Err(Error::Interrupted)));
    }

    #[test]
    fn deterministic_training() {
        let a = small_model().to_bytes();
        let b = small_model().to_bytes();
        assert_eq!(a, b);
    }

    #[test]
    fn model_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Model>();
    }

    #[test]
    fn real_data_subset_if_available() {
        let (tp, dp) = (
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/data/conll2003/train.txt"
            ),
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/data/conll2003/dev.txt"
            ),
        );
        if !std::path::Path::new(tp).exists() || !std::path::Path::new(dp).exists() {
            eprintln!("skipping: CoNLL data not present");
            return;
        }
        let train_docs = crate::entities::conll::read_conll(tp).unwrap();
        let dev_docs = crate::entities::conll::read_conll(dp).unwrap();
        let n_sent: usize = train_docs.iter().map(|d| d.sentences.len()).sum();
        assert_eq!(n_sent, 14_041);
        let cfg = TrainConfig {
            epochs: 2,
            ensemble: 2,
            ..TrainConfig::default()
        };
        let sub = &train_docs[..60];
        let a = train(sub, &dev_docs[..20], &cfg);
        let b = train(sub, &dev_docs[..20], &cfg);
        assert_eq!(a.to_bytes(), b.to_bytes());
        assert!(a.evaluate(&dev_docs[..20]).f1() > 0.3);
    }
}

#[cfg(test)]
mod readme_check {
    use crate::entities::Label;

    /// Checks the prototype's README example against the shipped model.
    #[test]
    fn readme_example_on_shipped_model() {
        let mp = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python/newstally/data/ner-conll2003.bin"
        );
        let b = std::fs::read(mp).expect("the shipped model is in the repository");
        let m = super::Model::from_bytes(&b).expect("model.bin loads");
        let spans = m.predict_document(&[vec!["Peter", "Blackburn", "visited", "Paris", "."]]);
        assert_eq!(spans, vec![vec![(0, 2, Label::Per), (3, 4, Label::Loc)]]);
        assert_eq!(
            m.tag_iob2(&["EU", "rejects", "German", "call"]),
            ["B-ORG", "O", "B-MISC", "O"]
        );
        let t = m.tag_iob2(&[
            "Russia",
            "\u{2019}s",
            "President",
            "Vladimir",
            "Putin",
            "said",
            ".",
        ]);
        assert_eq!(t[0], "B-LOC");
        assert_eq!(&t[3..5], ["B-PER", "I-PER"]);
    }
}
