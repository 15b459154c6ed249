//! A hash table of n-grams (word-id tuples) with corpus counts and document frequencies.

use hashbrown::HashTable;

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Equality of two n-grams of the same length. A plain loop: slice `==` on `u32` calls `memcmp`, whose
/// call overhead dominated probing for these 2-8 element keys.
#[inline]
fn same(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Hash of a word-id tuple. Good in every bit: hashbrown takes its bucket from the low bits and its tag
/// from the top ones, and [`shard_of`] remixes it.
#[inline]
pub fn hash_words(words: &[u32]) -> u64 {
    let mut h = words.len() as u64;
    for &w in words {
        h = (h.rotate_left(5) ^ u64::from(w)).wrapping_mul(K);
    }
    // murmur3's 64-bit finalizer
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Which of `shards` owns an n-gram with this hash. A second multiply decorrelates it from the bits
/// hashbrown uses, so each shard's table still sees well-spread hashes.
#[inline]
pub fn shard_of(hash: u64, shards: usize) -> usize {
    let mixed = hash.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 32;
    ((mixed * shards as u64) >> 32) as usize
}

/// A hash slot: the id and the first two words inline, so probing a bigram never leaves the table and
/// longer n-grams read their tail from the arena only when the first two words already match.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: u32,
    w0: u32,
    w1: u32,
    /// The n-gram's hash, kept so growing the table never reads the word arena.
    hash: u32,
}

/// The 64-bit hash hashbrown sees, rebuilt from the 32 bits a slot keeps; the multiply spreads them over
/// the low bits (bucket) and the top bits (tag).
#[inline]
fn table_hash(h32: u32) -> u64 {
    u64::from(h32).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(h32)
}

/// Per n-gram counters, together so one cache line serves an update.
#[derive(Debug, Clone, Copy, Default)]
struct Meta {
    count: u64,
    df: u32,
    /// Last document (plus one) that added to `df`; a document counts once however often it repeats a gram.
    last_doc: u32,
}

/// Counts of the n-grams of one order.
#[derive(Debug, Clone)]
pub struct NgramTable {
    n: usize,
    index: HashTable<Slot>,
    words: Vec<u32>,
    meta: Vec<Meta>,
}

impl NgramTable {
    /// An empty table for n-grams of `n` words (`n >= 2`).
    pub fn new(n: usize) -> Self {
        debug_assert!(n >= 2);
        NgramTable {
            n,
            index: HashTable::new(),
            words: Vec::new(),
            meta: Vec::new(),
        }
    }

    /// Words per n-gram.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of distinct n-grams.
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Adds one occurrence of `gram` (of hash `hash`) in document `doc`; returns its id.
    #[inline]
    pub fn add(&mut self, hash: u64, gram: &[u32], doc: u32) -> u32 {
        debug_assert_eq!(gram.len(), self.n);
        let id = self.intern(hash, gram);
        let m = &mut self.meta[id as usize];
        m.count += 1;
        let tag = doc + 1;
        if m.last_doc != tag {
            m.last_doc = tag;
            m.df += 1;
        }
        id
    }

    #[inline]
    fn matches(words: &[u32], n: usize, slot: &Slot, gram: &[u32]) -> bool {
        slot.w0 == gram[0]
            && slot.w1 == gram[1]
            && (n == 2
                || same(
                    &words[slot.id as usize * n + 2..(slot.id as usize + 1) * n],
                    &gram[2..],
                ))
    }

    /// The id of `gram`, added with zero counts if new.
    pub fn intern(&mut self, hash: u64, gram: &[u32]) -> u32 {
        let n = self.n;
        let words = &self.words;
        let h32 = (hash >> 32) as u32;
        let th = table_hash(h32);
        if let Some(slot) = self.index.find(th, |slot| {
            slot.hash == h32 && Self::matches(words, n, slot, gram)
        }) {
            return slot.id;
        }
        let id = u32::try_from(self.meta.len()).unwrap_or(u32::MAX);
        self.index.insert_unique(
            th,
            Slot {
                id,
                w0: gram[0],
                w1: gram[1],
                hash: h32,
            },
            |slot| table_hash(slot.hash),
        );
        self.words.extend_from_slice(gram);
        self.meta.push(Meta::default());
        id
    }

    /// The id of `gram`, if counted.
    #[inline]
    pub fn find(&self, hash: u64, gram: &[u32]) -> Option<u32> {
        let n = self.n;
        let h32 = (hash >> 32) as u32;
        self.index
            .find(table_hash(h32), |slot| {
                slot.hash == h32 && Self::matches(&self.words, n, slot, gram)
            })
            .map(|slot| slot.id)
    }

    /// Words of n-gram `id`.
    #[inline]
    pub fn gram(&self, id: u32) -> &[u32] {
        &self.words[id as usize * self.n..(id as usize + 1) * self.n]
    }

    /// Corpus count of n-gram `id`.
    #[inline]
    pub fn count(&self, id: u32) -> u64 {
        self.meta[id as usize].count
    }

    /// Document frequency of n-gram `id`.
    #[inline]
    pub fn df(&self, id: u32) -> u64 {
        u64::from(self.meta[id as usize].df)
    }

    /// Frees the hash index, keeping the n-grams and their counts (enough to list them, not to find
    /// them): results are built after counting, and the index is the largest part of a table.
    pub fn release_index(&mut self) {
        self.index = HashTable::new();
    }

    /// Approximate heap bytes, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.index.capacity() * 17 + self.words.capacity() * 4 + self.meta.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_document_frequency() {
        let mut t = NgramTable::new(2);
        for (gram, doc) in [([1, 2], 0), ([1, 2], 0), ([2, 3], 0), ([1, 2], 1)] {
            t.add(hash_words(&gram), &gram, doc);
        }
        let id = t.find(hash_words(&[1, 2]), &[1, 2]).unwrap();
        assert_eq!((t.count(id), t.df(id)), (3, 2));
        assert_eq!(t.gram(id), &[1, 2]);
        assert_eq!(t.len(), 2);
        assert!(t.find(hash_words(&[2, 1]), &[2, 1]).is_none());
    }

    #[test]
    fn many_grams_survive_rehashing() {
        let mut t = NgramTable::new(3);
        for i in 0..50_000u32 {
            let g = [i, i / 7, i % 13];
            t.add(hash_words(&g), &g, i);
        }
        for i in (0..50_000u32).step_by(997) {
            let g = [i, i / 7, i % 13];
            let id = t.find(hash_words(&g), &g).unwrap();
            assert_eq!(t.count(id), 1);
        }
    }

    #[test]
    fn shards_split_evenly() {
        let mut seen = [0usize; 4];
        for i in 0..40_000u32 {
            seen[shard_of(hash_words(&[i, i + 1]), 4)] += 1;
        }
        assert!(
            seen.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{seen:?}"
        );
    }
}
