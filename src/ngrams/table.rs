//! A hash table of n-grams (word-id tuples) with corpus counts and document frequencies.

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Equality of two n-grams of the same length. A plain loop: slice `==` on `u32` calls `memcmp`, whose
/// call overhead dominated probing for these 2-8 element keys.
#[inline]
fn same(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Hash of a word-id tuple. Good in every bit: a table takes its entry from the low bits, and
/// [`shard_of`] remixes it.
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

/// Which of `shards` owns an n-gram with this hash. A second multiply decorrelates it from the bits a
/// table uses, so each shard's table still sees well-spread hashes.
#[inline]
pub fn shard_of(hash: u64, shards: usize) -> usize {
    let mixed = hash.wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 32;
    ((mixed * shards as u64) >> 32) as usize
}

/// Marks a free entry.
const FREE_ID: u32 = u32::MAX;

/// An n-gram's entry: its key and counts together, so counting an occurrence touches one cache line
/// (the former layout, a hash slot plus a separate counter row, touched two or three).
#[derive(Debug, Clone, Copy)]
#[repr(C, align(32))]
struct Entry {
    /// A bigram's two word ids (exact); for longer n-grams, their hash (the words are compared too).
    key: u64,
    count: u64,
    id: u32,
    df: u32,
    /// Last document (plus one) that added to `df`; a document counts once however often it repeats a gram.
    last_doc: u32,
}

const FREE: Entry = Entry {
    key: 0,
    count: 0,
    id: FREE_ID,
    df: 0,
    last_doc: 0,
};

/// Counts of the n-grams of one order: open addressing with linear probing over `Entry`s.
#[derive(Debug, Clone)]
pub struct NgramTable {
    n: usize,
    entries: Vec<Entry>,
    /// Entry index of each id.
    pos: Vec<u32>,
    /// The words of each id, `n` per n-gram.
    words: Vec<u32>,
    /// Counts by id, once the entries are released.
    released: Vec<(u64, u32)>,
}

impl NgramTable {
    /// An empty table for n-grams of `n` words (`n >= 2`).
    pub fn new(n: usize) -> Self {
        debug_assert!(n >= 2);
        NgramTable {
            n,
            entries: vec![FREE; 64],
            pos: Vec::new(),
            words: Vec::new(),
            released: Vec::new(),
        }
    }

    /// Words per n-gram.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Number of distinct n-grams.
    pub fn len(&self) -> usize {
        self.words.len() / self.n
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    #[inline]
    fn key(&self, hash: u64, gram: &[u32]) -> u64 {
        if self.n == 2 {
            (u64::from(gram[0]) << 32) | u64::from(gram[1])
        } else {
            hash
        }
    }

    /// Starts loading the cache line where a lookup of `hash` begins; counting issues this some
    /// n-grams ahead, so the misses of a table far larger than the caches overlap.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        crate::prefetch::prefetch(&self.entries[hash as usize & (self.entries.len() - 1)]);
    }

    /// The entry index of `gram`, or the free entry where it would go.
    #[allow(
        clippy::inline_always,
        reason = "left to itself the compiler calls this from the counting loop, which profiles showed"
    )]
    #[inline(always)]
    fn probe(&self, hash: u64, gram: &[u32]) -> usize {
        let key = self.key(hash, gram);
        let mask = self.entries.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let e = &self.entries[i];
            if e.id == FREE_ID
                || (e.key == key
                    && (self.n == 2
                        || same(
                            &self.words[e.id as usize * self.n..(e.id as usize + 1) * self.n],
                            gram,
                        )))
            {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds one occurrence of `gram` (of hash `hash`) in document `doc`; returns its id.
    #[inline]
    pub fn add(&mut self, hash: u64, gram: &[u32], doc: u32) -> u32 {
        debug_assert_eq!(gram.len(), self.n);
        let i = self.entry(hash, gram);
        let e = &mut self.entries[i];
        e.count += 1;
        let tag = doc + 1;
        if e.last_doc != tag {
            e.last_doc = tag;
            e.df += 1;
        }
        e.id
    }

    /// The id of `gram`, added with zero counts if new.
    pub fn intern(&mut self, hash: u64, gram: &[u32]) -> u32 {
        let i = self.entry(hash, gram);
        self.entries[i].id
    }

    /// The entry index of `gram`, inserted with zero counts if new.
    #[inline]
    fn entry(&mut self, hash: u64, gram: &[u32]) -> usize {
        let i = self.probe(hash, gram);
        if self.entries[i].id == FREE_ID {
            self.insert(i, hash, gram)
        } else {
            i
        }
    }

    #[cold]
    #[inline(never)]
    fn insert(&mut self, i: usize, hash: u64, gram: &[u32]) -> usize {
        let id = u32::try_from(self.pos.len()).unwrap_or(FREE_ID - 1);
        self.entries[i] = Entry {
            key: self.key(hash, gram),
            id,
            ..FREE
        };
        self.pos.push(i as u32);
        self.words.extend_from_slice(gram);
        // Linear probing stays short below 3/4 full.
        if self.pos.len() * 4 > self.entries.len() * 3 {
            self.grow();
            return self.pos[id as usize] as usize;
        }
        i
    }

    fn grow(&mut self) {
        let size = self.entries.len() * 2;
        let old = std::mem::replace(&mut self.entries, crate::hugepages::vec_of(FREE, size));
        let mask = size - 1;
        for e in old.into_iter().filter(|e| e.id != FREE_ID) {
            // The hash comes from the entry alone (a bigram's key holds its words, a longer n-gram's
            // key is its hash): reading the words would miss the cache once per entry.
            let hash = if self.n == 2 {
                #[allow(clippy::cast_possible_truncation)]
                hash_words(&[(e.key >> 32) as u32, e.key as u32])
            } else {
                e.key
            };
            let mut i = hash as usize & mask;
            while self.entries[i].id != FREE_ID {
                i = (i + 1) & mask;
            }
            self.pos[e.id as usize] = i as u32;
            self.entries[i] = e;
        }
    }

    /// The id of `gram`, if counted.
    #[inline]
    pub fn find(&self, hash: u64, gram: &[u32]) -> Option<u32> {
        if self.entries.is_empty() {
            return None;
        }
        let e = &self.entries[self.probe(hash, gram)];
        (e.id != FREE_ID).then_some(e.id)
    }

    /// Words of n-gram `id`.
    #[inline]
    pub fn gram(&self, id: u32) -> &[u32] {
        &self.words[id as usize * self.n..(id as usize + 1) * self.n]
    }

    /// Corpus count of n-gram `id`.
    #[inline]
    pub fn count(&self, id: u32) -> u64 {
        if self.entries.is_empty() {
            self.released[id as usize].0
        } else {
            self.entries[self.pos[id as usize] as usize].count
        }
    }

    /// Document frequency of n-gram `id`.
    #[inline]
    pub fn df(&self, id: u32) -> u64 {
        u64::from(if self.entries.is_empty() {
            self.released[id as usize].1
        } else {
            self.entries[self.pos[id as usize] as usize].df
        })
    }

    /// Calls `f(id, gram, count, df)` for every n-gram, in storage order. A bigram's words come from its
    /// entry, so listing bigrams reads memory only in order.
    pub fn for_each<F: FnMut(u32, &[u32], u64, u64)>(&self, mut f: F) {
        if self.entries.is_empty() {
            for (id, &(count, df)) in self.released.iter().enumerate() {
                #[allow(clippy::cast_possible_truncation)]
                let id = id as u32;
                f(id, self.gram(id), count, u64::from(df));
            }
            return;
        }
        for e in self.entries.iter().filter(|e| e.id != FREE_ID) {
            if self.n == 2 {
                #[allow(clippy::cast_possible_truncation)]
                let gram = [(e.key >> 32) as u32, e.key as u32];
                f(e.id, &gram, e.count, u64::from(e.df));
            } else {
                f(e.id, self.gram(e.id), e.count, u64::from(e.df));
            }
        }
    }

    /// Frees the hash index, keeping the n-grams and their counts (enough to list them, not to find
    /// or count them): results are built after counting, and the index is the largest part of a table.
    pub fn release_index(&mut self) {
        if self.entries.is_empty() {
            return;
        }
        let entries = std::mem::take(&mut self.entries);
        self.released = self
            .pos
            .iter()
            .map(|&i| (entries[i as usize].count, entries[i as usize].df))
            .collect();
        self.pos = Vec::new();
    }

    /// Frees the counts (after [`NgramTable::release_index`]), keeping only the words.
    pub fn drop_counts(&mut self) {
        self.released = Vec::new();
    }

    /// Approximate heap bytes, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.pos.capacity() * 4
            + self.words.capacity() * 4
            + self.released.capacity() * 16
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
        let listed = |t: &NgramTable| {
            let mut all = Vec::new();
            t.for_each(|id, gram, count, df| all.push((id, gram.to_vec(), count, df)));
            all.sort_unstable();
            all
        };
        let before = listed(&t);
        assert_eq!(before.len(), 2);
        assert!(before.contains(&(id, vec![1, 2], 3, 2)));
        t.release_index();
        assert_eq!((t.count(id), t.df(id)), (3, 2));
        assert_eq!(t.gram(id), &[1, 2]);
        assert_eq!(listed(&t), before);
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
