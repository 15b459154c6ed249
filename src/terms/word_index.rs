//! The corpus vocabulary: each word once, with its id, found by its [`Key`].
//!
//! During a batch every thread reads it and none writes it, so the threads share one copy (in memory
//! and in the caches) and keep only their own counts, in arrays by word id. It is compact, because it
//! lives as long as the counts: 8 bytes a slot in a table at most half full (a hash fragment and the
//! id, so a probe reads a key only when the fragments agree), a 16-byte key by id, and the words' text
//! back to back in one string.

use super::words::{Key, MAX_WORDS, Seed};

/// A free slot. No word has id `u32::MAX` (ids stay below [`MAX_WORDS`]).
const EMPTY: u64 = u64::MAX;

#[derive(Debug)]
pub(crate) struct WordIndex {
    seed: Seed,
    /// `(hash >> 32) << 32 | id` per slot, or [`EMPTY`].
    slots: Vec<u64>,
    keys: Vec<Key>,
    /// The words back to back; word `id` ends at `ends[id]`.
    text: String,
    ends: Vec<usize>,
    stop: Vec<bool>,
}

impl WordIndex {
    pub fn new(seed: Seed) -> Self {
        WordIndex {
            seed,
            slots: vec![EMPTY; 1024],
            keys: Vec::new(),
            text: String::new(),
            ends: Vec::new(),
            stop: Vec::new(),
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The id of the word with key `key`; `word` (its text as stored) is compared only for long keys.
    #[inline]
    pub fn find(&self, key: Key, word: &[u8]) -> Option<u32> {
        let hash = key.hash(self.seed);
        let fragment = hash >> 32;
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                return None;
            }
            #[allow(clippy::cast_possible_truncation)]
            let id = s as u32;
            if s >> 32 == fragment
                && self.keys[id as usize] == key
                && (!key.is_long() || self.word(id).as_bytes() == word)
            {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a word that is not in the index yet; returns its id. Callers keep the count below
    /// [`MAX_WORDS`].
    pub fn insert(&mut self, key: Key, word: &str, stop: bool) -> u32 {
        debug_assert!(self.len() < MAX_WORDS);
        #[allow(clippy::cast_possible_truncation)]
        let id = self.ends.len() as u32;
        self.keys.push(key);
        self.text.push_str(word);
        self.ends.push(self.text.len());
        self.stop.push(stop);
        if self.keys.len() * 2 > self.slots.len() {
            let size = self.slots.len() * 2;
            self.slots = vec![EMPTY; size];
            for (id, &k) in self.keys.iter().enumerate() {
                place(&mut self.slots, k.hash(self.seed), id as u64);
            }
        } else {
            place(&mut self.slots, key.hash(self.seed), u64::from(id));
        }
        id
    }

    /// The text of word `id`.
    #[inline]
    pub fn word(&self, id: u32) -> &str {
        let id = id as usize;
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.text[start..self.ends[id]]
    }

    #[inline]
    pub fn is_stop(&self, id: u32) -> bool {
        self.stop[id as usize]
    }

    /// Whether each word is a stop word, by id.
    pub fn stop_flags(&self) -> &[bool] {
        &self.stop
    }

    /// Frees the lookup structures, keeping the words (enough to name results, not to find words).
    pub fn release_index(&mut self) {
        self.slots = vec![EMPTY; 1];
        self.keys = Vec::new();
    }

    /// Heap bytes, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 8
            + self.keys.capacity() * std::mem::size_of::<Key>()
            + self.text.capacity()
            + self.ends.capacity() * 8
            + self.stop.capacity()
    }
}

/// Puts `id` (of hash `hash`) in the first free slot of its probe sequence.
fn place(slots: &mut [u64], hash: u64, id: u64) {
    let mask = slots.len() - 1;
    let mut i = hash as usize & mask;
    while slots[i] != EMPTY {
        i = (i + 1) & mask;
    }
    slots[i] = (hash >> 32) << 32 | id;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_word_it_was_given() {
        let seed = Seed::random();
        let mut index = WordIndex::new(seed);
        let words: Vec<String> = (0..20_000)
            .map(|i| match i % 4 {
                0 => format!("w{i}"),
                1 => format!("a-long-word-over-sixteen-bytes-{i}"),
                2 => format!("x{i}\0"),
                _ => format!("é{i}"),
            })
            .collect();
        for (i, w) in words.iter().enumerate() {
            let key = Key::of(w.as_bytes(), seed);
            assert_eq!(index.find(key, w.as_bytes()), None);
            assert_eq!(index.insert(key, w, i % 7 == 0) as usize, i);
        }
        for (i, w) in words.iter().enumerate() {
            let key = Key::of(w.as_bytes(), seed);
            assert_eq!(index.find(key, w.as_bytes()), Some(i as u32), "{w:?}");
            assert_eq!(index.word(i as u32), w);
            assert_eq!(index.is_stop(i as u32), i % 7 == 0);
        }
        assert_eq!(index.find(Key::of(b"absent", seed), b"absent"), None);
        assert_eq!(index.len(), words.len());
        index.release_index();
        assert_eq!(index.len(), words.len());
        assert_eq!(index.word(7), words[7]);
        assert_eq!(index.find(Key::of(b"w0", seed), b"w0"), None);
    }
}
