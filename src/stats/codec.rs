//! The binary format of saved results: magic, format version, kind, then a postcard body.
//!
//! postcard reads lengths as varints and checks them against the bytes that remain before it allocates
//! (serde caps up-front reservations), so foreign or truncated input fails cleanly instead of asking for
//! gigabytes. The header makes "not a newstally file" and "newer version" separate, clear errors.

use serde::Deserialize;

use super::{CorpusStats, TermTable};
use crate::terms::{CountConfig, Pruning};

/// The version 1 body: [`CorpusStats`] before entity counts.
#[derive(Deserialize)]
struct StatsV1 {
    config: CountConfig,
    pruning: Pruning,
    n_documents: u64,
    n_tokens: u64,
    tables: Vec<TermTable>,
}
use crate::error::{Error, Result};

/// First bytes of every newstally blob.
pub const MAGIC: &[u8; 8] = b"NEWSTALY";
/// Version of the stats body layout; bump on any change to the serialized types.
/// Version 2 added the optional entity counts; version 1 files still decode (without them).
pub const STATS_VERSION: u16 = 2;
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
    if version != STATS_VERSION && version != 1 {
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
    let body = &bytes[HEADER..];
    let corrupt =
        |e: postcard::Error| Error::decode(what, format!("corrupt or truncated body ({e})"));
    let (stats, rest) = if version == 1 {
        let (v1, rest) = postcard::take_from_bytes::<StatsV1>(body).map_err(corrupt)?;
        let stats = CorpusStats {
            config: v1.config,
            pruning: v1.pruning,
            n_documents: v1.n_documents,
            n_tokens: v1.n_tokens,
            tables: v1.tables,
            entities: None,
        };
        (stats, rest)
    } else {
        postcard::take_from_bytes::<CorpusStats>(body).map_err(corrupt)?
    };
    if !rest.is_empty() {
        return Err(Error::decode(
            what,
            format!("{} unexpected trailing bytes", rest.len()),
        ));
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::{Label, counts::EntityCounts};
    use crate::stats::Merge;

    fn sample() -> CorpusStats {
        CorpusStats::empty(CountConfig::default(), Pruning::default()).unwrap()
    }

    #[test]
    fn version_1_bodies_still_decode() {
        let stats = sample();
        // A version 1 file is the version 2 body without the trailing `entities: None` byte.
        let mut v1 = encode(&stats);
        assert_eq!(v1.pop(), Some(0));
        v1[8..10].copy_from_slice(&1u16.to_le_bytes());
        assert_eq!(decode(&v1).unwrap(), stats);
    }

    #[test]
    fn entity_counts_round_trip_and_merge() {
        let mut e = EntityCounts::new(&[("U.S.", "United States")]);
        e.add_article(&[("Vladimir Putin", Label::Per), ("Putin", Label::Per)]);
        let mut one = sample();
        one.n_documents = 1;
        let with = one.clone().with_entities(e).unwrap();
        let bytes = encode(&with);
        assert_eq!(CorpusStats::from_bytes(&bytes).unwrap(), with);
        assert!(with.merge(&one).is_err());
        assert_eq!(
            with.merge(&with)
                .unwrap()
                .entities()
                .unwrap()
                .top(None, None),
            vec![("Vladimir Putin".to_owned(), Label::Per, 4, 2)]
        );
        assert!(one.with_entities(EntityCounts::default()).is_err());
    }
}
