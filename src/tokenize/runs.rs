//! Runs of ASCII word bytes (`[0-9A-Za-z_]`), found 64 bytes at a time.
//!
//! On ASCII text, scikit-learn's default `token_pattern` matches exactly the runs of two or more word
//! bytes. A byte loop spends most of its time on the branch at each byte; here each 64-byte block is
//! classified at once into a bit mask (SSE2, part of every x86-64 CPU, so any wheel can use it), and
//! the runs are read off the mask's edges with one `trailing_zeros` per run boundary.

/// Calls `f(start, end)` for each maximal run of at least `min_len` ASCII word bytes of `text`, in
/// order. Bytes outside ASCII never belong to a run (callers use this on ASCII text).
#[inline]
pub(crate) fn for_each_ascii_run<F: FnMut(usize, usize)>(text: &[u8], min_len: usize, mut f: F) {
    let n = text.len();
    let mut base = 0;
    let mut in_run = false;
    let mut start = 0;
    let mut cur = mask_at(text, 0);
    // Bit 63 of the previous block's mask.
    let mut before = 0u64;
    // One block past the text when it fills its last block, so that a run reaching the end closes
    // inside the loop (on the zero padding): `f` is then called from one place only, and inlines.
    while base < n || (base == n && in_run) {
        let next = mask_at(text, base + 64);
        // Runs of one byte are dropped from the mask itself (a byte stays if a neighbour is a word
        // byte too): a one-letter token is common enough ("a", the "s" of "'s") that a length test
        // per run would keep the branch predictor guessing.
        let m = if min_len >= 2 {
            cur & ((cur << 1 | before) | (cur >> 1 | (next & 1) << 63))
        } else {
            cur
        };
        before = cur >> 63;
        // Bit i is set where byte i differs in kind from the byte before it: each edge toggles the run.
        // Edges are taken in pairs, a run's start and its end (the start is the last block's when a
        // run crosses into this one), rather than one at a time with a test of which it is.
        let mut edges = m ^ ((m << 1) | u64::from(in_run));
        while edges != 0 {
            if !in_run {
                start = base + edges.trailing_zeros() as usize;
                edges &= edges - 1;
                in_run = true;
                if edges == 0 {
                    break;
                }
            }
            let end = base + edges.trailing_zeros() as usize;
            edges &= edges - 1;
            in_run = false;
            if min_len <= 2 || end - start >= min_len {
                f(start, end);
            }
        }
        cur = next;
        base += 64;
    }
    debug_assert!(!in_run);
}

/// The word-byte mask of the 64 bytes of `text` from `base`; zero bytes pad past the end, and are
/// not word bytes, so a run ends with the text.
#[inline]
fn mask_at(text: &[u8], base: usize) -> u64 {
    if let Some(block) = text.get(base..base + 64) {
        word_mask(block.try_into().unwrap_or(&[0; 64]))
    } else if base < text.len() {
        let mut block = [0u8; 64];
        block[..text.len() - base].copy_from_slice(&text[base..]);
        word_mask(&block)
    } else {
        0
    }
}

/// Bit i set when `block[i]` is an ASCII word byte.
#[cfg(target_arch = "x86_64")]
#[inline]
fn word_mask(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi8, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    // `x` lies in `lo..lo + len` exactly when `x + (0x80 - lo)` (wrapping) is below `0x80 + len` as a
    // signed byte, which SSE2's signed compare can test.
    #[inline]
    fn in_range(x: __m128i, lo: u8, len: u8) -> __m128i {
        // SAFETY: SSE2 is part of the x86-64 baseline.
        unsafe {
            _mm_cmplt_epi8(
                _mm_add_epi8(x, _mm_set1_epi8(0x80u8.wrapping_sub(lo) as i8)),
                _mm_set1_epi8(0x80u8.wrapping_add(len) as i8),
            )
        }
    }
    let mut m = 0u64;
    for (k, part) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of the x86-64 baseline; the unaligned load reads the 16 bytes of `part`.
        #[allow(
            clippy::cast_ptr_alignment,
            reason = "_mm_loadu_si128 takes unaligned pointers"
        )]
        let bits = unsafe {
            let x = _mm_loadu_si128(part.as_ptr().cast::<__m128i>());
            let digit = in_range(x, b'0', 10);
            // Setting bit 5 maps A-Z onto a-z and nothing else onto a-z.
            let letter = in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), b'a', 26);
            let underscore = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'_' as i8));
            _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(digit, letter), underscore))
        };
        m |= u64::from(bits as u16) << (16 * k);
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn word_mask(block: &[u8; 64]) -> u64 {
    block.iter().enumerate().fold(0u64, |m, (i, &b)| {
        m | (u64::from(b.is_ascii_alphanumeric() || b == b'_') << i)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(text: &[u8], min_len: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            if word(text[i]) {
                let s = i;
                while i < text.len() && word(text[i]) {
                    i += 1;
                }
                if i - s >= min_len {
                    out.push((s, i));
                }
            } else {
                i += 1;
            }
        }
        out
    }

    #[test]
    fn runs_match_a_byte_loop_at_every_length_and_boundary() {
        let mut state = 11u64;
        let alphabet = b"aZ09_ .-\t\x7f@[`{/:";
        for len in 0..300 {
            for _ in 0..4 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1);
                        alphabet[(state >> 33) as usize % alphabet.len()]
                    })
                    .collect();
                for min_len in [1, 2, 3] {
                    let mut got = Vec::new();
                    for_each_ascii_run(&text, min_len, |s, e| got.push((s, e)));
                    assert_eq!(
                        got,
                        naive(&text, min_len),
                        "{:?}",
                        String::from_utf8_lossy(&text)
                    );
                }
            }
        }
        // Runs that reach the end of the text, at and around whole blocks.
        for len in [1, 2, 3, 63, 64, 65, 127, 128, 200] {
            for text in ["x".repeat(len), format!("{} a", "x".repeat(len))] {
                for min_len in [1, 2, 3] {
                    let mut got = Vec::new();
                    for_each_ascii_run(text.as_bytes(), min_len, |s, e| got.push((s, e)));
                    assert_eq!(got, naive(text.as_bytes(), min_len), "{len} {min_len}");
                }
            }
        }
    }

    #[test]
    fn every_byte_is_classified_like_ascii() {
        let all: Vec<u8> = (0..=255u8).collect();
        let mut got = Vec::new();
        for_each_ascii_run(&all, 1, |s, e| got.push((s, e)));
        assert_eq!(got, [(48, 58), (65, 91), (95, 96), (97, 123)]);
    }
}
