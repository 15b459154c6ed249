//! The corpus vocabulary: each word once, with its id, found by its [`Key`].
//!
//! During a batch every thread reads it and none writes it, so the threads share one copy (in memory
//! and in the caches) and keep only their own counts, in arrays by word id. It is compact, because it
//! lives as long as the counts: a 16-byte key by id, which is the text of a word of up to 16 bytes, the
//! text of longer words back to back, and 4-byte slots in a table at most half full. A slot holds the
//! id in its low bits and a fragment of the hash in the bits the ids do not need yet, so a probe reads
//! a key only when the fragments agree.

use super::words::{Key, LongWords, MAX_WORDS, Seed, WordText};

/// A free slot. The id bits of a used slot are below half the table size, never all ones.
const EMPTY: u32 = u32::MAX;

#[derive(Debug)]
pub(crate) struct WordIndex {
    seed: Seed,
    /// Per slot, a hash fragment above the id (in the low `id_bits`), or [`EMPTY`].
    slots: Vec<u32>,
    /// log2 of the number of slots: every id fits, with the top id bit clear.
    id_bits: u32,
    keys: Vec<Key>,
    long: LongWords,
    stop: Vec<bool>,
}

/// The hash fragment of a slot, placed above `id_bits` bits of id (none is left at 32 id bits).
#[inline]
fn fragment(hash: u64, id_bits: u32) -> u32 {
    ((hash >> 32) << id_bits) as u32
}

impl WordIndex {
    pub fn new(seed: Seed) -> Self {
        WordIndex {
            seed,
            slots: vec![EMPTY; 1024],
            id_bits: 10,
            keys: Vec::new(),
            long: LongWords::default(),
            stop: Vec::new(),
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The id of the word with key `key`; `word` (its text as stored) is compared only for long keys.
    #[inline]
    pub fn find(&self, key: Key, word: &[u8]) -> Option<u32> {
        // A counter's vocabulary is empty until its first batch is absorbed, and a vectorizer's fit
        // counts its documents as one batch: hashing every token to miss was 10% of a one-thread
        // unigram count.
        if self.keys.is_empty() {
            return None;
        }
        self.probe(key, word).ok()
    }

    /// The id of the word with key `key` (text `word`, as stored), added with stop flag `stop` if it
    /// is new, and whether it was added. One probe serves both the search and the insertion.
    /// Callers keep the count below [`MAX_WORDS`].
    pub fn find_or_insert(&mut self, key: Key, word: &[u8], stop: bool) -> (u32, bool) {
        debug_assert_eq!(key, Key::of(word, self.seed));
        let free = match self.probe(key, word) {
            Ok(id) => return (id, false),
            Err(free) => free,
        };
        debug_assert!(self.len() < MAX_WORDS);
        #[allow(clippy::cast_possible_truncation)]
        let id = self.keys.len() as u32;
        self.keys.push(key);
        if key.is_long() {
            self.long.push(id, word);
        }
        self.stop.push(stop);
        if self.keys.len() * 2 > self.slots.len() {
            self.rehash(self.slots.len() * 2);
        } else {
            self.slots[free] = fragment(key.hash(self.seed), self.id_bits) | id;
        }
        (id, true)
    }

    /// Makes room for `additional` more words, so that adding them needs no rehash. (Callers keep the
    /// words below [`MAX_WORDS`]; past that, room is left to insertion.)
    pub fn reserve(&mut self, additional: usize) {
        let slots = (self.len() + additional)
            .saturating_mul(2)
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX);
        if slots > self.slots.len() && slots <= 2 * (MAX_WORDS + 1) {
            self.rehash(slots);
        }
        self.keys.reserve(additional);
        self.stop.reserve(additional);
    }

    /// Looks `key` up along its probe sequence: the word's id, or the free slot where the sequence
    /// ends, where the word would go.
    #[inline]
    fn probe(&self, key: Key, word: &[u8]) -> std::result::Result<u32, usize> {
        let hash = key.hash(self.seed);
        let fragment = fragment(hash, self.id_bits);
        #[allow(clippy::cast_possible_truncation)]
        let id_mask = ((1u64 << self.id_bits) - 1) as u32;
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let s = self.slots[i];
            if s == EMPTY {
                return Err(i);
            }
            let id = s & id_mask;
            if s & !id_mask == fragment
                && self.keys[id as usize] == key
                && (!key.is_long() || self.long.get(id) == word)
            {
                return Ok(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Re-places every word in a table of `size` slots (a power of two, more than twice the words).
    fn rehash(&mut self, size: usize) {
        self.id_bits = size.trailing_zeros();
        self.slots = vec![EMPTY; size];
        for (id, &k) in self.keys.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            place(&mut self.slots, k.hash(self.seed), id as u32, self.id_bits);
        }
    }

    /// The text of word `id`.
    #[inline]
    pub fn word(&self, id: u32) -> WordText<'_> {
        self.long.text(self.keys[id as usize], id)
    }

    #[inline]
    pub fn is_stop(&self, id: u32) -> bool {
        self.stop[id as usize]
    }

    /// Whether each word is a stop word, by id.
    pub fn stop_flags(&self) -> &[bool] {
        &self.stop
    }

    /// Frees the lookup table, keeping the words (enough to name results, not to find words).
    pub fn release_index(&mut self) {
        self.slots = vec![EMPTY; 1];
        self.id_bits = 0;
    }

    /// Heap bytes, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 4
            + self.keys.capacity() * std::mem::size_of::<Key>()
            + self.long.heap_bytes()
            + self.stop.capacity()
    }
}

/// Puts `id` (of hash `hash`) in the first free slot of its probe sequence.
fn place(slots: &mut [u32], hash: u64, id: u32, id_bits: u32) {
    let mask = slots.len() - 1;
    let mut i = hash as usize & mask;
    while slots[i] != EMPTY {
        i = (i + 1) & mask;
    }
    slots[i] = fragment(hash, id_bits) | id;
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
            assert_eq!(
                index.find_or_insert(key, w.as_bytes(), i % 7 == 0),
                (i as u32, true)
            );
        }
        for (i, w) in words.iter().enumerate() {
            let key = Key::of(w.as_bytes(), seed);
            assert_eq!(index.find(key, w.as_bytes()), Some(i as u32), "{w:?}");
            assert_eq!(
                index.find_or_insert(key, w.as_bytes(), false),
                (i as u32, false)
            );
            assert_eq!(index.word(i as u32).as_bytes(), w.as_bytes());
            assert_eq!(index.is_stop(i as u32), i % 7 == 0);
        }
        assert_eq!(index.find(Key::of(b"absent", seed), b"absent"), None);
        assert_eq!(index.len(), words.len());
        index.release_index();
        assert_eq!(index.len(), words.len());
        assert_eq!(index.word(7).as_bytes(), words[7].as_bytes());
        assert_eq!(index.word(5).as_bytes(), words[5].as_bytes());
        assert_eq!(index.find(Key::of(b"w0", seed), b"w0"), None);
    }

    #[test]
    fn reserved_room_takes_the_words_without_a_rehash() {
        let seed = Seed::random();
        let mut index = WordIndex::new(seed);
        index.find_or_insert(Key::of(b"first", seed), b"first", false);
        index.reserve(5000);
        let slots = index.slots.len();
        assert!(slots >= 2 * 5001);
        for i in 0..5000 {
            let w = format!("word{i}");
            index.find_or_insert(Key::of(w.as_bytes(), seed), w.as_bytes(), false);
        }
        assert_eq!(index.slots.len(), slots);
        assert_eq!(index.len(), 5001);
        for i in 0..5000 {
            let w = format!("word{i}");
            assert_eq!(
                index.find(Key::of(w.as_bytes(), seed), w.as_bytes()),
                Some(i + 1)
            );
        }
        // Less room than there is already changes nothing.
        index.reserve(10);
        assert_eq!(index.slots.len(), slots);
    }
}
