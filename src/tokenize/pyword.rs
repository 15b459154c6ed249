//! Python's `re` notion of a word character, for exact scikit-learn token parity.

use super::pyword_table::NON_ASCII_WORD_RANGES;

/// Byte table: `[0-9A-Za-z_]`; every byte >= 0x80 is false (callers use it on ASCII text only).
const fn ascii_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
}

static ASCII_WORD: [bool; 256] = ascii_table();

/// Whether `c` matches `\w` in Python's `re` (Unicode mode).
#[inline]
pub fn is_py_word(c: char) -> bool {
    let cp = c as u32;
    if cp < 128 {
        return ASCII_WORD[cp as usize];
    }
    NON_ASCII_WORD_RANGES
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}
