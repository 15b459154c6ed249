//! The binary format of saved results: magic, format version, kind, then a postcard body.
//!
//! postcard reads lengths as varints and checks them against the bytes that remain before it allocates
//! (serde caps up-front reservations), so foreign or truncated input fails cleanly instead of asking for
//! gigabytes. The header makes "not a newstally file" and "newer version" separate, clear errors.

use super::CorpusStats;
use crate::error::{Error, Result};

/// First bytes of every newstally blob.
pub const MAGIC: &[u8; 8] = b"NEWSTALY";
/// Version of the stats body layout; bump on any change to the serialized types.
pub const STATS_VERSION: u16 = 1;
const KIND_STATS: u8 = 1;
const HEADER: usize = MAGIC.len() + 2 + 1;

pub(super) fn encode(stats: &CorpusStats) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&STATS_VERSION.to_le_bytes());
    out.push(KIND_STATS);
    // Serializing plain structs into a Vec cannot fail.
    postcard::to_extend(stats, out).unwrap_or_default()
}

pub(super) fn decode(bytes: &[u8]) -> Result<CorpusStats> {
    let what = "corpus stats";
    if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::decode(
            what,
            "not a newstally file (bad magic bytes)",
        ));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != STATS_VERSION {
        return Err(Error::decode(
            what,
            format!(
                "format version {version} is not supported (this build reads version {STATS_VERSION})"
            ),
        ));
    }
    if bytes[10] != KIND_STATS {
        return Err(Error::decode(
            what,
            format!("the file holds kind {}, not corpus stats", bytes[10]),
        ));
    }
    let (stats, rest) = postcard::take_from_bytes::<CorpusStats>(&bytes[HEADER..])
        .map_err(|e| Error::decode(what, format!("corrupt or truncated body ({e})")))?;
    if !rest.is_empty() {
        return Err(Error::decode(
            what,
            format!("{} unexpected trailing bytes", rest.len()),
        ));
    }
    Ok(stats)
}
