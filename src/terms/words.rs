//! Word keys, and a thread's table of the words a batch meets for the first time: open addressing over
//! 32-byte entries that hold a word's key and its counts, so counting a token touches one cache line.
//!
//! A word of up to 16 bytes without a NUL byte is its own key: its bytes, zero-padded, in two `u64`s,
//! compared without reading any string. A longer word is keyed by a seeded 64-bit hash and a marker, and
//! its text is compared too. Profiles of the former `HashMap<CompactString, u32>` plus a counter array
//! showed two cache misses per rare token (the bucket, then the counter); this layout has one.

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Marks an empty entry (in `Entry::lid`).
const EMPTY: u32 = u32::MAX;
/// Stop-word flag, kept in the top bit of `Entry::lid` so the hot path reads no other array.
const STOP: u32 = 1 << 31;
/// `k1` of a long word's key: eight 0xFF bytes never occur in UTF-8, so no short key has it.
const LONG: u64 = u64::MAX;
/// Most local ids a table hands out (the top bit of `Entry::lid` is the stop flag).
pub(crate) const MAX_WORDS: usize = (STOP - 1) as usize;

/// Random seeds for the table hash, so crafted text cannot force collisions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seed(u64, u64);

impl Seed {
    pub fn random() -> Self {
        let s = RandomState::new();
        let mut a = s.build_hasher();
        a.write_u64(0x5EED);
        let mut b = s.build_hasher();
        b.write_u64(0xB0B);
        Seed(a.finish(), b.finish() | 1)
    }
}

/// A word's key; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub k0: u64,
    pub k1: u64,
}

impl Key {
    /// The key of `word`, as stored (already lowercased if the tokenizer lowercases).
    #[inline]
    pub fn of(word: &[u8], seed: Seed) -> Key {
        let n = word.len();
        if n <= 16 {
            let (k0, k1) = read_short(word);
            // A NUL byte would make "a\0" and "a" the same key.
            if !has_zero_byte(k0, k1, n) {
                return Key { k0, k1 };
            }
        }
        Key {
            k0: hash_bytes(word, seed),
            k1: LONG,
        }
    }

    /// The key of the run of ASCII word bytes `text[start..end]`, lowercased when `lower`, read straight
    /// from the document; `None` when the run is longer than 16 bytes (its key is then [`Key::of`] its
    /// final text).
    #[inline]
    pub fn of_ascii_run(text: &[u8], start: usize, end: usize, lower: bool) -> Option<Key> {
        let len = end - start;
        if len > 16 {
            return None;
        }
        if let Some(block) = text.get(start..start + 16) {
            return Some(key_of_block(
                block.try_into().unwrap_or(&[0; 16]),
                len,
                lower,
            ));
        }
        // Near the end of the text, where fewer than 16 bytes remain, the run is copied into a
        // block of its own.
        let mut padded = [0u8; 16];
        padded[..len].copy_from_slice(&text[start..end]);
        Some(key_of_block(&padded, len, lower))
    }

    #[inline]
    pub fn is_long(self) -> bool {
        self.k1 == LONG
    }

    /// The text of a short key's word (its bytes are the key); `None` for a long key.
    #[inline]
    pub fn short_text(self) -> Option<WordText<'static>> {
        if self.is_long() {
            return None;
        }
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.k0.to_le_bytes());
        bytes[8..].copy_from_slice(&self.k1.to_le_bytes());
        // A short word has no zero byte, so its length is where the zero padding begins.
        let bits = 128 - ((u128::from(self.k1) << 64) | u128::from(self.k0)).leading_zeros();
        Some(WordText::Short {
            bytes,
            len: bits.div_ceil(8) as u8,
        })
    }

    #[inline]
    pub fn hash(self, seed: Seed) -> u64 {
        folded_multiply(self.k0 ^ seed.0, self.k1 ^ seed.1)
    }
}

/// A word's text: read out of its key (a short word), or borrowed (a long one).
#[derive(Debug, Clone, Copy)]
pub(crate) enum WordText<'a> {
    Short { bytes: [u8; 16], len: u8 },
    Long(&'a [u8]),
}

impl WordText<'_> {
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            WordText::Short { bytes, len } => &bytes[..*len as usize],
            WordText::Long(s) => s,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }
}

/// The text of long words (those whose key is a hash), by id: the ids ascending, the text back to
/// back. A short word's text is its key, so only these need storing.
#[derive(Debug, Default)]
pub(crate) struct LongWords {
    ids: Vec<u32>,
    /// The `j`-th word ends at `ends[j]`.
    ends: Vec<usize>,
    text: Vec<u8>,
}

impl LongWords {
    /// Adds the text of word `id`; ids come in ascending order.
    pub fn push(&mut self, id: u32, word: &[u8]) {
        debug_assert!(self.ids.last().is_none_or(|&last| last <= id));
        self.ids.push(id);
        self.text.extend_from_slice(word);
        self.ends.push(self.text.len());
    }

    /// The text of long word `id` (empty if there is none).
    pub fn get(&self, id: u32) -> &[u8] {
        match self.ids.binary_search(&id) {
            Ok(j) => {
                let start = if j == 0 { 0 } else { self.ends[j - 1] };
                &self.text[start..self.ends[j]]
            }
            Err(_) => &[],
        }
    }

    /// The text of word `id`, whose key is `key`.
    #[inline]
    pub fn text(&self, key: Key, id: u32) -> WordText<'_> {
        key.short_text()
            .unwrap_or_else(|| WordText::Long(self.get(id)))
    }

    pub fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 4 + self.ends.capacity() * 8 + self.text.capacity()
    }
}

/// Per length 0..=16, the masks that keep a short word's bytes in the two halves of a 16-byte load.
#[cfg(any(test, not(target_arch = "x86_64")))]
const RUN_MASKS: [(u64, u64); 17] = {
    let mut t = [(0u64, 0u64); 17];
    let mut len = 0;
    while len <= 16 {
        let m0 = if len >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * len)) - 1
        };
        let m1 = if len >= 16 {
            u64::MAX
        } else if len <= 8 {
            0
        } else {
            (1u64 << (8 * (len - 8))) - 1
        };
        t[len] = (m0, m1);
        len += 1;
    }
    t
};

/// The key of the first `len` (at most 16) bytes of `block`, ASCII word bytes, lowercased when
/// `lower`: the bytes past the run cleared and the capitals lowered in one SSE2 register, where the
/// two 8-byte halves took about 20 instructions (SSE2 is part of every x86-64 CPU).
#[cfg(target_arch = "x86_64")]
#[inline]
fn key_of_block(block: &[u8; 16], len: usize, lower: bool) -> Key {
    use std::arch::x86_64::{
        _mm_add_epi8, _mm_and_si128, _mm_cmplt_epi8, _mm_cvtsi128_si64, _mm_loadu_si128,
        _mm_or_si128, _mm_set_epi8, _mm_set1_epi8, _mm_unpackhi_epi64,
    };
    debug_assert!(len <= 16);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        reason = "len is at most 16"
    )]
    // SAFETY: SSE2 is part of the x86-64 baseline; the unaligned load reads the 16 bytes of `block`.
    unsafe {
        let x = _mm_loadu_si128(block.as_ptr().cast());
        // Byte i is kept where i < len.
        let positions = _mm_set_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        let x = _mm_and_si128(x, _mm_cmplt_epi8(positions, _mm_set1_epi8(len as i8)));
        let x = if lower {
            // `x` lies in `A..=Z` exactly when `x + (0x80 - b'A')` is below `0x80 + 26` as a signed
            // byte (cleared bytes are not capitals).
            let capital = _mm_cmplt_epi8(
                _mm_add_epi8(x, _mm_set1_epi8(0x80u8.wrapping_sub(b'A') as i8)),
                _mm_set1_epi8(0x80u8.wrapping_add(26) as i8),
            );
            _mm_or_si128(x, _mm_and_si128(capital, _mm_set1_epi8(0x20)))
        } else {
            x
        };
        Key {
            k0: _mm_cvtsi128_si64(x) as u64,
            k1: _mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x)) as u64,
        }
    }
}

/// [`key_of_block`] where SSE2 is not at hand: one unaligned load per half, then the bytes past the
/// run are masked off.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn key_of_block(block: &[u8; 16], len: usize, lower: bool) -> Key {
    key_of_block_portable(block, len, lower)
}

#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline]
fn key_of_block_portable(block: &[u8; 16], len: usize, lower: bool) -> Key {
    let (m0, m1) = RUN_MASKS[len];
    let (lo, hi) = block.split_at(8);
    let k0 = u64::from_le_bytes(lo.try_into().unwrap_or_default()) & m0;
    let k1 = u64::from_le_bytes(hi.try_into().unwrap_or_default()) & m1;
    if lower {
        Key {
            k0: ascii_lower(k0),
            k1: ascii_lower(k1),
        }
    } else {
        Key { k0, k1 }
    }
}

/// ASCII lowercase of eight bytes, all below 0x80: each byte in `A..=Z` gains bit 5.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline]
fn ascii_lower(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // With each byte's top bit set first, the subtractions never borrow across bytes; the top bit of a
    // result byte then says whether the byte was at least the subtrahend.
    let at_least_a = (x | HI).wrapping_sub(LO * u64::from(b'A')) & HI;
    let past_z = (x | HI).wrapping_sub(LO * u64::from(b'Z' + 1)) & HI;
    x | ((at_least_a & !past_z) >> 2)
}

#[inline]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Seeded hash of any bytes, for long keys.
fn hash_bytes(word: &[u8], seed: Seed) -> u64 {
    let mut h = seed.0 ^ (word.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut chunks = word.chunks_exact(8);
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().unwrap_or_default());
        h = folded_multiply(h ^ v, seed.1 ^ 0xA076_1D64_78BD_642F);
    }
    let mut tail = [0u8; 8];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    folded_multiply(h ^ u64::from_le_bytes(tail), seed.1 ^ 0xE703_7ED1_A0B4_28DB)
}

/// The bytes of a word of at most 16 bytes as two little-endian `u64`s, zero-padded. Reads only inside
/// the slice, with overlapping loads instead of a byte loop.
#[inline]
fn read_short(word: &[u8]) -> (u64, u64) {
    let n = word.len();
    let u64_at = |i: usize| u64::from_le_bytes(word[i..i + 8].try_into().unwrap_or_default());
    let u32_at = |i: usize| {
        u64::from(u32::from_le_bytes(
            word[i..i + 4].try_into().unwrap_or_default(),
        ))
    };
    if n >= 8 {
        let k0 = u64_at(0);
        // The last 8 bytes, shifted so the bytes already in k0 fall off.
        let k1 = if n > 8 {
            u64_at(n - 8) >> (8 * (16 - n))
        } else {
            0
        };
        (k0, k1)
    } else if n >= 4 {
        (u32_at(0) | (u32_at(n - 4) << (8 * (n - 4))), 0)
    } else if n > 0 {
        let (first, mid, last) = (word[0], word[n / 2], word[n - 1]);
        (
            u64::from(first)
                | (u64::from(mid) << (8 * (n / 2)))
                | (u64::from(last) << (8 * (n - 1))),
            0,
        )
    } else {
        (0, 0)
    }
}

/// Whether any of the first `n` bytes of `k0, k1` is zero.
#[inline]
fn has_zero_byte(k0: u64, k1: u64, n: usize) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zeros = |x: u64, bytes: usize| {
        if bytes == 0 {
            return false;
        }
        // Fill the bytes past the word so they do not count as zeros.
        let pad = if bytes >= 8 {
            0
        } else {
            u64::MAX << (8 * bytes)
        };
        let x = x | pad;
        x.wrapping_sub(LO) & !x & HI != 0
    };
    zeros(k0, n.min(8)) || zeros(k1, n.saturating_sub(8))
}

/// A word's counts in the current batch.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WordCount {
    /// Occurrences. A batch holds under 2^31 bytes of text (see `Counter::update`), so under 2^31
    /// tokens.
    pub count: u32,
    /// Documents holding the word.
    pub df: u32,
    /// The tag of the last document that counted the word (0 before the first), so that a document
    /// adds to `df` once. A tag, unlike a flag cleared when the document ends, needs no pass over the
    /// document's words: dropping that pass made counting on one thread 5-6% faster.
    pub at: u32,
}

/// A word's entry: key, local id and the counts of the current batch.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
pub(crate) struct Entry {
    key: Key,
    /// Local id, with [`STOP`] set for a stop word; [`EMPTY`] for a free entry.
    lid: u32,
    pub counts: WordCount,
}

const FREE: Entry = Entry {
    key: Key { k0: 0, k1: 0 },
    lid: EMPTY,
    counts: WordCount {
        count: 0,
        df: 0,
        at: 0,
    },
};

impl Entry {
    #[inline]
    pub fn lid(&self) -> u32 {
        self.lid & !STOP
    }

    #[inline]
    pub fn is_stop(&self) -> bool {
        self.lid & STOP != 0
    }
}

/// Words with per-batch counts; see the module docs.
#[derive(Debug)]
pub(crate) struct WordTable {
    seed: Seed,
    entries: Vec<Entry>,
    /// Entry index of each local id, so batch counts can be read back by id.
    pos: Vec<u32>,
    /// The text of each long word (a short word's is its key), by local id.
    long: LongWords,
}

impl WordTable {
    pub fn new(seed: Seed) -> Self {
        WordTable {
            seed,
            entries: vec![FREE; 1024],
            pos: Vec::new(),
            long: LongWords::default(),
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.pos.len()
    }

    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The entry of `word` (key `key`), inserted with zero counts if new; for a new word, `new(lid)` is
    /// called with its local id and gives its text as stored (lowercased if the tokenizer lowercases)
    /// and whether it is a stop word; the table keeps the text of a long key only. `word` must be the
    /// text as stored when the key is long; a short key is compared alone.
    ///
    /// (Prefetching the entries of a block of tokens ahead was tried: the buffering cost as much as the
    /// overlapped misses saved.)
    #[inline]
    pub fn entry<'w>(
        &mut self,
        key: Key,
        word: &[u8],
        new: impl FnOnce(u32) -> (Cow<'w, str>, bool),
    ) -> &mut Entry {
        let mask = self.entries.len() - 1;
        let mut i = key.hash(self.seed) as usize & mask;
        loop {
            let e = &self.entries[i];
            if e.lid == EMPTY {
                break;
            }
            if e.key == key && (!key.is_long() || self.long.get(e.lid()) == word) {
                return &mut self.entries[i];
            }
            i = (i + 1) & mask;
        }
        self.insert(i, key, new)
    }

    /// The batch counts of local id `lid`.
    #[inline]
    pub fn counts_mut(&mut self, lid: u32) -> &mut WordCount {
        &mut self.entries[self.pos[lid as usize] as usize].counts
    }

    #[cold]
    #[inline(never)]
    fn insert<'w>(
        &mut self,
        mut i: usize,
        key: Key,
        new: impl FnOnce(u32) -> (Cow<'w, str>, bool),
    ) -> &mut Entry {
        // Callers stop at MAX_WORDS (a TooLarge error); saturating keeps this path panic-free.
        let lid =
            u32::try_from(self.pos.len()).map_or(MAX_WORDS as u32, |l| l.min(MAX_WORDS as u32));
        let (text, stop) = new(lid);
        debug_assert_eq!(key, Key::of(text.as_bytes(), self.seed));
        if key.is_long() {
            self.long.push(lid, text.as_bytes());
        }
        self.entries[i] = Entry {
            key,
            lid: lid | if stop { STOP } else { 0 },
            ..FREE
        };
        self.pos.push(i as u32);
        // Linear probing stays short below 3/4 full.
        if self.pos.len() * 4 > self.entries.len() * 3 {
            self.grow();
            i = self.pos[lid as usize] as usize;
        }
        &mut self.entries[i]
    }

    fn grow(&mut self) {
        let size = self.entries.len() * 2;
        let old = std::mem::replace(&mut self.entries, crate::hugepages::vec_of(FREE, size));
        let mask = self.entries.len() - 1;
        for e in old.into_iter().filter(|e| e.lid != EMPTY) {
            let mut i = e.key.hash(self.seed) as usize & mask;
            while self.entries[i].lid != EMPTY {
                i = (i + 1) & mask;
            }
            self.pos[e.lid() as usize] = i as u32;
            self.entries[i] = e;
        }
    }

    /// The words in local id order, each with its key, text and entry.
    pub fn words(&self) -> impl Iterator<Item = (Key, WordText<'_>, &Entry)> {
        // A large table is read out of order: loads issued some words ahead overlap their misses.
        const AHEAD: usize = 16;
        self.pos.iter().zip(0u32..).map(move |(&at, lid)| {
            if let Some(&ahead) = self.pos.get(lid as usize + AHEAD) {
                crate::prefetch::prefetch(&self.entries[ahead as usize]);
            }
            let e = &self.entries[at as usize];
            (e.key, self.long.text(e.key, lid), e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(t: &mut WordTable, w: &str, seen: &mut Vec<String>) -> u32 {
        let e = t.entry(Key::of(w.as_bytes(), t.seed()), w.as_bytes(), |lid| {
            assert_eq!(lid as usize, seen.len());
            seen.push(w.into());
            (Cow::Borrowed(w), w == "the")
        });
        e.counts.count += 1;
        e.lid()
    }

    #[test]
    fn short_keys_are_exact_and_read_inside_the_word() {
        let seed = Seed::random();
        let words = [
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnop",
            "é",
            "ü",
            "aé",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    Key::of(a.as_bytes(), seed) == Key::of(b.as_bytes(), seed),
                    a == b,
                    "{a:?} {b:?}"
                );
            }
            let key = Key::of(a.as_bytes(), seed);
            assert!(!key.is_long());
            assert_eq!(key.short_text().unwrap().as_bytes(), a.as_bytes());
        }
        // A NUL byte or more than 16 bytes makes a long key, compared by text.
        assert!(Key::of(b"a\0", seed).is_long());
        assert!(Key::of(b"abcdefghijklmnopq", seed).is_long());
        assert!(Key::of(b"abcdefghijklmnopq", seed).short_text().is_none());
        assert_ne!(Key::of(b"a\0", seed), Key::of(b"a", seed));
    }

    #[test]
    fn run_keys_equal_the_keys_of_the_lowercased_word() {
        let seed = Seed::random();
        let text = b"The QUICK brown_Fox42 jumped OverTheLazyDogsAgain Z a9_ZZ";
        let mut runs = Vec::new();
        crate::tokenize::for_each_ascii_run(text, 1, |s, e| runs.push((s, e)));
        for (s, e) in runs {
            let word = &text[s..e];
            let lowered = word.to_ascii_lowercase();
            // Also at the end of the text, where fewer than 16 bytes remain.
            for t in [&text[..], &text[..e]] {
                match Key::of_ascii_run(t, s, e, true) {
                    Some(k) => assert_eq!(k, Key::of(&lowered, seed), "{word:?}"),
                    None => assert!(word.len() > 16),
                }
                if let Some(k) = Key::of_ascii_run(t, s, e, false) {
                    assert_eq!(k, Key::of(word, seed));
                }
            }
        }
        for x in 0..128u8 {
            let k = ascii_lower(u64::from_le_bytes([x; 8]));
            assert_eq!(k, u64::from_le_bytes([x.to_ascii_lowercase(); 8]), "{x}");
        }
    }

    #[test]
    fn block_keys_agree_with_the_portable_ones_for_every_byte_and_length() {
        let seed = Seed::random();
        for x in 0..=255u8 {
            for len in 0..=16 {
                // Every ASCII byte at every position of the run (the callers' runs are ASCII), and
                // every byte past it.
                let block: [u8; 16] = std::array::from_fn(|i| {
                    let b = x.wrapping_add(i as u8 * 17);
                    if i < len { b & 0x7F } else { b }
                });
                for lower in [false, true] {
                    assert_eq!(
                        key_of_block(&block, len, lower),
                        key_of_block_portable(&block, len, lower),
                        "{x} {len} {lower}"
                    );
                }
                let word: Vec<u8> = block[..len].iter().map(|&b| (b % 26) + b'A').collect();
                let padded: [u8; 16] =
                    std::array::from_fn(|i| word.get(i).copied().unwrap_or(b'!'));
                let lowered = word.to_ascii_lowercase();
                assert_eq!(key_of_block(&padded, len, true), Key::of(&lowered, seed));
                assert_eq!(key_of_block(&padded, len, false), Key::of(&word, seed));
            }
        }
    }

    #[test]
    fn counts_words_across_growth() {
        let hash_seed = Seed::random();
        let mut t = WordTable::new(hash_seed);
        let mut seen = Vec::new();
        let words: Vec<String> = (0..5000)
            .map(|i| match i % 3 {
                0 => format!("w{i}"),
                1 => format!("a-rather-long-word-number-{i}"),
                _ => format!("x{i}\0"),
            })
            .collect();
        for round in 0..3 {
            for (i, w) in words.iter().enumerate() {
                assert_eq!(count(&mut t, w, &mut seen) as usize, i, "round {round}");
            }
        }
        assert_eq!(seen, words);
        assert_eq!(t.len(), words.len());
        count(&mut t, "the", &mut seen);
        let out: Vec<(Key, WordText<'_>, &Entry)> = t.words().collect();
        assert_eq!(out.len(), 5001);
        for (lid, (key, text, e)) in out.iter().enumerate() {
            let text = text.as_bytes();
            assert_eq!(text, seen[lid].as_bytes());
            assert_eq!(matches!(out[lid].1, WordText::Long(_)), key.is_long());
            assert_eq!(*key, Key::of(text, hash_seed));
            assert_eq!(e.lid() as usize, lid);
            assert_eq!(e.counts.count, if lid < 5000 { 3 } else { 1 });
            assert_eq!(e.is_stop(), lid == 5000);
        }
    }
}
