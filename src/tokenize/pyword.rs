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

/// Byte classes for scanning ASCII text: 0 not a word byte, 1 a word byte, 3 an uppercase letter
/// (bit 1 set), so OR-ing the classes of a run tells whether it needs lowercasing.
const fn class_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_uppercase() {
            3
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            1
        } else {
            0
        };
        b += 1;
    }
    t
}

/// See [`class_table`].
pub static ASCII_CLASS: [u8; 256] = class_table();

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

/// Whether the ASCII byte `b` is a Python `\w` byte.
#[inline]
pub fn is_py_word_ascii(b: u8) -> bool {
    ASCII_WORD[b as usize]
}
