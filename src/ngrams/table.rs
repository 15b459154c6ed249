//! A hash table of n-grams (word-id tuples) with corpus counts and document frequencies.

use hashbrown::HashTable;

const K: u64 = 0x9E37_79B9_7F4A_7C15;

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

/// Counts of the n-grams of one order.
#[derive(Debug, Clone)]
pub struct NgramTable {
    n: usize,
    index: HashTable<u32>,
    words: Vec<u32>,
    count: Vec<u64>,
    df: Vec<u32>,
    /// Last document (plus one) that added to `df`; a document is counted once however often it repeats a gram.
    last_doc: Vec<u32>,
}

impl NgramTable {
    /// An empty table for n-grams of `n` words.
    pub fn new(n: usize) -> Self {
        NgramTable {
            n,
            index: HashTable::new(),
            words: Vec::new(),
            count: Vec::new(),
            df: Vec::new(),
            last_doc: Vec::new(),
        }
    }

    /// Words per n-gram.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of distinct n-grams.
    pub fn len(&self) -> usize {
        self.count.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.count.is_empty()
    }

    /// Adds one occurrence of `gram` (of hash `hash`) in document `doc`.
    #[inline]
    pub fn add(&mut self, hash: u64, gram: &[u32], doc: u32) {
        debug_assert_eq!(gram.len(), self.n);
        let id = self.intern(hash, gram) as usize;
        self.count[id] += 1;
        let tag = doc + 1;
        if self.last_doc[id] != tag {
            self.last_doc[id] = tag;
            self.df[id] += 1;
        }
    }

    /// The id of `gram`, added with zero counts if new.
    pub fn intern(&mut self, hash: u64, gram: &[u32]) -> u32 {
        let n = self.n;
        let words = &self.words;
        if let Some(&id) = self
            .index
            .find(hash, |&id| &words[id as usize * n..id as usize * n + n] == gram)
        {
            return id;
        }
        let id = u32::try_from(self.count.len()).unwrap_or(u32::MAX);
        self.index.insert_unique(hash, id, |&id| {
            hash_words(&words[id as usize * n..id as usize * n + n])
        });
        self.words.extend_from_slice(gram);
        self.count.push(0);
        self.df.push(0);
        self.last_doc.push(0);
        id
    }

    /// The id of `gram`, if counted.
    #[inline]
    pub fn find(&self, hash: u64, gram: &[u32]) -> Option<u32> {
        let n = self.n;
        self.index
            .find(hash, |&id| &self.words[id as usize * n..id as usize * n + n] == gram)
            .copied()
    }

    /// Words of n-gram `id`.
    #[inline]
    pub fn gram(&self, id: u32) -> &[u32] {
        &self.words[id as usize * self.n..(id as usize + 1) * self.n]
    }

    /// Corpus count of n-gram `id`.
    #[inline]
    pub fn count(&self, id: u32) -> u64 {
        self.count[id as usize]
    }

    /// Document frequency of n-gram `id`.
    #[inline]
    pub fn df(&self, id: u32) -> u64 {
        u64::from(self.df[id as usize])
    }

    /// Approximate heap bytes, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.index.capacity() * 5 + self.words.capacity() * 4 + self.count.capacity() * 16
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
        assert!(seen.iter().all(|&c| (9_000..11_000).contains(&c)), "{seen:?}");
    }
}
