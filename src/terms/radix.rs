//! Radix sorting by a `u64` key, for ordering features by their packed keys.
//!
//! Packed keys use few of their bits, so a least-significant-digit radix sort makes a handful of
//! linear passes where a comparison sort of a million keys makes twenty. A million items outgrow the
//! caches, though, and each pass then scatters to memory at random; so the items are first split by
//! the top byte of their keys (one pass), and each of the 256 buckets, small enough for a core's
//! cache, is finished on its own, the buckets in parallel.

use rayon::ThreadPool;
use rayon::prelude::*;

use crate::parallel::take_front;

/// Below this many items one cache-resident pass set does it all.
const SPLIT_ABOVE: usize = 1 << 15;

/// Sorts `v` by `key`, stably.
pub(super) fn sort_by<T, K>(v: &mut Vec<T>, key: K, pool: &ThreadPool)
where
    T: Copy + Send + Sync,
    K: Fn(&T) -> u64 + Sync + Copy,
{
    let mut scratch = v.clone();
    if v.len() <= SPLIT_ABOVE {
        sort_slice::<_, _, 8>(v, &mut scratch, key);
        return;
    }
    let top = v.iter().map(key).max().unwrap_or(0);
    let shift = (u64::BITS - top.leading_zeros()).saturating_sub(8);
    let mut offsets = [0usize; 256];
    for x in v.iter() {
        offsets[(key(x) >> shift) as usize & 0xFF] += 1;
    }
    let sizes = offsets;
    let mut sum = 0;
    for o in &mut offsets {
        (*o, sum) = (sum, sum + *o);
    }
    for &x in v.iter() {
        let b = (key(&x) >> shift) as usize & 0xFF;
        scratch[offsets[b]] = x;
        offsets[b] += 1;
    }
    // The buckets now lie in order in `scratch`; `v` is their scratch space.
    let mut jobs = Vec::with_capacity(256);
    let (mut items, mut spare) = (scratch.as_mut_slice(), v.as_mut_slice());
    for &n in &sizes {
        let a = take_front(&mut items, n);
        let b = take_front(&mut spare, n);
        jobs.push((a, b));
    }
    pool.install(|| {
        jobs.into_par_iter()
            .for_each(|(a, b)| sort_slice::<_, _, 8>(a, b, key));
    });
    std::mem::swap(v, &mut scratch);
}

/// Sorts `v` by the low `KEY_BYTES` bytes of `key`, stably, least significant byte first, skipping
/// bytes on which all keys agree; `scratch` is as long as `v`. Short slices use the standard sort.
pub(super) fn sort_slice<T: Copy, K: Fn(&T) -> u64, const KEY_BYTES: usize>(
    v: &mut [T],
    scratch: &mut [T],
    key: K,
) {
    #[allow(clippy::cast_possible_truncation)]
    sort_digits::<_, _, KEY_BYTES, 256>(v, scratch, key, 8 * KEY_BYTES as u32);
}

/// Widest digit of [`sort_low_bits`]: 2048 counters a digit, 8 KiB, stay in a core's first-level cache.
const DIGIT_BITS: u32 = 11;
const WIDE: usize = 1 << DIGIT_BITS;
/// Slices shorter than this (twice a wide digit's counters) are sorted in digits of 8 bits.
const NARROW_BELOW: usize = 2 * WIDE;

/// Sorts `v` by the low `bits` bits of `key` (at most 64), stably; `scratch` is as long as `v`.
///
/// A long slice is sorted in as few passes as digits of up to [`DIGIT_BITS`] bits allow: for the
/// n-gram sort's buckets (22 bits of key for a vocabulary under 2^17 words), two passes of 11 bits
/// replace three of 8 and the copy back that an odd number of passes needs. A short one is sorted
/// in digits of 8 bits, because clearing and summing two digits' 4,096 counters then costs more
/// than moving its items once more: most of the n-gram sort's buckets hold under 4,096 items
/// (a third of the windows of the shared corpora), and sorting them so took the sort's bucket step
/// from 115 ms to 84 ms on one thread (`examples/count_corpus --ngrams 2 --matrix`).
pub(super) fn sort_low_bits<T: Copy, K: Fn(&T) -> u64>(
    v: &mut [T],
    scratch: &mut [T],
    key: K,
    bits: u32,
) {
    let bits = bits.min(u64::BITS);
    // Digits may reach past `bits`: the key is cut to its low bits first.
    let low = u64::MAX >> (u64::BITS - bits.max(1));
    let key = |x: &T| key(x) & low;
    if v.len() < NARROW_BELOW && bits <= 32 {
        match bits.div_ceil(8) {
            0 => {}
            1 => sort_digits::<_, _, 1, 256>(v, scratch, key, bits),
            2 => sort_digits::<_, _, 2, 256>(v, scratch, key, bits),
            3 => sort_digits::<_, _, 3, 256>(v, scratch, key, bits),
            _ => sort_digits::<_, _, 4, 256>(v, scratch, key, bits),
        }
        return;
    }
    match bits.div_ceil(DIGIT_BITS) {
        0 => {}
        1 => sort_digits::<_, _, 1, WIDE>(v, scratch, key, bits),
        2 => sort_digits::<_, _, 2, WIDE>(v, scratch, key, bits),
        3 => sort_digits::<_, _, 3, WIDE>(v, scratch, key, bits),
        4 => sort_digits::<_, _, 4, WIDE>(v, scratch, key, bits),
        5 => sort_digits::<_, _, 5, WIDE>(v, scratch, key, bits),
        _ => sort_digits::<_, _, 6, WIDE>(v, scratch, key, bits),
    }
}

/// Sorts `v` by the low `bits` bits of `key` in `DIGITS` digits of equal width, at most `RADIX`
/// values each, stably, least significant digit first, skipping digits on which all keys agree.
/// Short slices use the standard sort, on the whole key.
fn sort_digits<T: Copy, K: Fn(&T) -> u64, const DIGITS: usize, const RADIX: usize>(
    v: &mut [T],
    scratch: &mut [T],
    key: K,
    bits: u32,
) {
    #[allow(clippy::cast_possible_truncation)]
    let width = bits.div_ceil(DIGITS as u32);
    debug_assert!(1usize << width <= RADIX);
    let mask = (1u64 << width) - 1;
    if v.len() <= 64 || u32::try_from(v.len()).is_err() {
        v.sort_by_key(key);
        return;
    }
    // Every digit's histogram in one pass: independent counters per item keep the increments from
    // waiting on each other, where a pass per digit stalls on repeated buckets.
    let mut counts = [[0u32; RADIX]; DIGITS];
    for x in v.iter() {
        let k = key(x);
        for (d, c) in counts.iter_mut().enumerate() {
            #[allow(clippy::cast_possible_truncation)]
            let shift = width * d as u32;
            c[((k >> shift) & mask) as usize] += 1;
        }
    }
    let len = v.len() as u32;
    let radix = 1usize << width;
    let (mut src, mut dst) = (v, scratch);
    let mut in_scratch = false;
    for (d, c) in counts.iter_mut().enumerate() {
        #[allow(clippy::cast_possible_truncation)]
        let shift = width * d as u32;
        // A digit every key shares moves nothing.
        if c[((key(&src[0]) >> shift) & mask) as usize] == len {
            continue;
        }
        let mut sum = 0;
        for o in &mut c[..radix] {
            (*o, sum) = (sum, sum + *o);
        }
        for &x in src.iter() {
            let b = ((key(&x) >> shift) & mask) as usize;
            dst[c[b] as usize] = x;
            c[b] += 1;
        }
        std::mem::swap(&mut src, &mut dst);
        in_scratch = !in_scratch;
    }
    if in_scratch {
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::{sort_by, sort_low_bits};

    #[test]
    fn low_bits_sort_matches_a_stable_sort() {
        let mut state = 5u64;
        for (len, shared) in [0usize, 1, 64, 65, 1000, 4095, 4096, 5000]
            .into_iter()
            .flat_map(|len| [(len, false), (len, true)])
        {
            for bits in [0u32, 1, 8, 11, 12, 22, 23, 33, 40, 63, 64] {
                let mut v: Vec<(u64, usize)> = (0..len)
                    .map(|i| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        let random = state ^ (state >> 29);
                        // Keys whose bits 11..22 are all zero, and 40.. all the same, as in a
                        // bucket of packed keys, so that whole digits are shared by every key.
                        let key = if shared {
                            (random & 0x7FF) | (random >> 53) << 22 | 0x5A5A << 40
                        } else {
                            random
                        };
                        (key, i)
                    })
                    .collect();
                let low = |k: &(u64, usize)| {
                    if bits == 64 {
                        k.0
                    } else {
                        k.0 & ((1u64 << bits) - 1)
                    }
                };
                let mut expected = v.clone();
                expected.sort_by_key(low);
                let mut scratch = v.clone();
                sort_low_bits(&mut v, &mut scratch, |k| k.0, bits);
                assert_eq!(v, expected, "len {len} bits {bits} shared {shared}");
            }
        }
    }

    #[test]
    fn matches_a_stable_sort() {
        let pool = crate::parallel::pool(2).unwrap();
        let mut state = 3u64;
        for len in [0usize, 7, 64, 65, 256, 257, 10_000, 100_000] {
            for mask in [0xFFu64, 0x1_FFFF_0001_FFFF, u64::MAX, 0x3_FFFF_FFFF] {
                let mut v: Vec<(u64, usize)> = (0..len)
                    .map(|i| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        (state & mask, i)
                    })
                    .collect();
                let mut expected = v.clone();
                expected.sort_by_key(|k| k.0);
                sort_by(&mut v, |k| k.0, &pool);
                assert_eq!(v, expected, "len {len} mask {mask:x}");
            }
        }
    }
}
