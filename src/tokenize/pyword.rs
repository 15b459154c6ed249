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

/// Whether the only word characters of `text` are ASCII ones and lowercasing `text` changes nothing
/// else: every character outside ASCII is one Python's `\w` does not match and that lowercases to
/// itself (a pound sign, curly quotes, dashes, a no-break space). Such characters only separate tokens,
/// as ASCII punctuation does, so scikit-learn's default pattern finds exactly the runs of ASCII word
/// bytes: English news in curly quotes can take the ASCII paths.
pub(crate) fn only_ascii_words(text: &str) -> bool {
    // The standard library's test, which reads many bytes at once, settles most documents.
    if text.is_ascii() {
        return true;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // ASCII blocks at a time; `i` is always at a character boundary.
        if bytes.get(i..i + 32).is_some_and(<[u8]>::is_ascii) {
            i += 32;
            continue;
        }
        if bytes[i] < 0x80 {
            i += 1;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        if is_py_word(c) || !lowercases_to_itself(c) {
            return false;
        }
        i += c.len_utf8();
    }
    true
}

fn lowercases_to_itself(c: char) -> bool {
    let mut lower = c.to_lowercase();
    lower.next() == Some(c) && lower.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::{is_py_word, only_ascii_words};

    #[test]
    fn separators_outside_ascii_are_told_from_word_characters() {
        for sep in [
            '£', '€', '‘', '’', '“', '”', '—', '–', '…', '\u{a0}', '©', '×', '•',
        ] {
            assert!(!is_py_word(sep), "{sep:?}");
            let text = format!("Brexit{sep}costs {sep}{sep} 5bn{sep}");
            assert!(only_ascii_words(&text), "{text:?}");
            let long = format!("{} {sep} {}{sep}", "x".repeat(40), "y".repeat(70));
            assert!(only_ascii_words(&long), "{long:?}");
            assert!(!only_ascii_words(&format!("{long}é")));
        }
        // Word characters of Python's `re` (letters, `ª`, `µ`, superscript digits), and a symbol
        // that lowercasing turns into another character (a circled capital letter).
        for other in ['é', 'ß', 'Σ', 'ª', 'µ', '²', 'İ', '中', 'Ⓐ'] {
            for text in [
                format!("{other}"),
                format!("costs £5bn in {other}"),
                format!(
                    "an ASCII prefix longer than a block of thirty-two bytes {other} and after"
                ),
            ] {
                assert!(!only_ascii_words(&text), "{text:?}");
            }
        }
        assert!(only_ascii_words(""));
        assert!(only_ascii_words("plain ASCII, twenty-five bytes"));
    }
}
