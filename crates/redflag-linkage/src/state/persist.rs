//! Saving and loading a [`LinkState`] as bytes, so that incremental linking survives between runs.
//!
//! Layout: the magic `RFLINKST`, a little-endian `u32` format version, then a zstd frame (with its
//! content checksum) holding the state in postcard. Derived parts (the id index, households, ring
//! membership, the photo index, the MinHash permutations) are rebuilt on load, not stored. A state made under another
//! configuration is refused: its pairs were scored with other thresholds, so only a full run is right.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use rayon::prelude::*;
use redflag_model::SubjectId;
use serde::{Deserialize, Serialize};

use super::{KeyIndex, LinkState, Scored};
use crate::LinkageError;
use crate::compare::Comparison;
use crate::config::LinkageConfig;
use crate::model::ModelParams;
use crate::record::Record;
use crate::types::ExcludedValue;

const MAGIC: &[u8; 8] = b"RFLINKST";
/// Bumped whenever the stored layout or the meaning of a stored field changes (5: blocking keys carry
/// their rule in their top bits).
const FORMAT_VERSION: u32 = 5;

/// What is stored, borrowed for writing (serialises exactly as [`Stored`]).
#[derive(Serialize)]
struct StoredRef<'a> {
    config: &'a LinkageConfig,
    model: &'a Option<ModelParams>,
    ids: &'a Vec<SubjectId>,
    records: &'a Vec<Record>,
    holders: &'a KeyIndex,
    blocks: &'a KeyIndex,
    excluded: &'a HashMap<u64, ExcludedValue>,
    placeholders: Vec<(&'a (Comparison, String), &'a usize)>,
    pairs: Vec<(&'a (u32, u32), &'a Scored)>,
    sanctioned: &'a HashSet<u32>,
    hours: &'a HashMap<u32, Vec<(IpAddr, u32)>>,
    rings: &'a Vec<Vec<u32>>,
    seen: &'a HashSet<u64>,
}

#[derive(Deserialize)]
struct Stored {
    config: LinkageConfig,
    model: Option<ModelParams>,
    ids: Vec<SubjectId>,
    records: Vec<Record>,
    holders: KeyIndex,
    blocks: KeyIndex,
    excluded: HashMap<u64, ExcludedValue>,
    placeholders: Vec<((Comparison, String), usize)>,
    pairs: Vec<((u32, u32), Scored)>,
    sanctioned: HashSet<u32>,
    hours: HashMap<u32, Vec<(IpAddr, u32)>>,
    rings: Vec<Vec<u32>>,
    seen: HashSet<u64>,
}

fn bad(reason: impl Into<String>) -> LinkageError {
    LinkageError::State {
        reason: reason.into(),
    }
}

impl LinkState {
    /// The state as bytes (see the module notes for the layout), for [`LinkState::from_bytes`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, LinkageError> {
        let stored = StoredRef {
            config: &self.config,
            model: &self.model,
            ids: &self.ids,
            records: &self.records,
            holders: &self.holders,
            blocks: &self.blocks,
            excluded: &self.excluded,
            placeholders: self.placeholders.iter().collect(),
            pairs: self.pairs.iter().collect(),
            sanctioned: &self.sanctioned,
            hours: &self.hours,
            rings: &self.rings,
            seen: &self.seen,
        };
        let mut out = Vec::with_capacity(1 << 16);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let mut encoder = zstd::Encoder::new(out, 3).map_err(|e| bad(format!("zstd: {e}")))?;
        encoder
            .include_checksum(true)
            .map_err(|e| bad(format!("zstd: {e}")))?;
        postcard::to_io(&stored, &mut encoder).map_err(|e| bad(format!("encoding: {e}")))?;
        encoder.finish().map_err(|e| bad(format!("zstd: {e}")))
    }

    /// A state saved by [`LinkState::to_bytes`], checked against the configuration in force: a state
    /// that is not one, is truncated or corrupt, has another format version or was made under another
    /// configuration is refused with [`LinkageError::State`] saying which.
    pub fn from_bytes(bytes: &[u8], config: &LinkageConfig) -> Result<Self, LinkageError> {
        config.validate()?;
        let Some(rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
            return Err(bad("not a redflag linkage state (wrong magic bytes)"));
        };
        let Some((version, body)) = rest.split_first_chunk::<4>() else {
            return Err(bad("truncated before the format version"));
        };
        let version = u32::from_le_bytes(*version);
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "format version {version}, this build reads version {FORMAT_VERSION}"
            )));
        }
        let raw = zstd::decode_all(body).map_err(|e| bad(format!("corrupt or truncated: {e}")))?;
        let stored: Stored =
            postcard::from_bytes(&raw).map_err(|e| bad(format!("corrupt contents: {e}")))?;
        if &stored.config != config {
            return Err(bad(
                "made under another linkage configuration (thresholds, caps or benign values changed)",
            ));
        }
        let n = stored.ids.len();
        let in_range = |i: &u32| (*i as usize) < n;
        if stored.records.len() != n
            || !stored.rings.iter().flatten().all(in_range)
            || !stored
                .pairs
                .iter()
                .all(|((a, b), _)| in_range(a) && in_range(b))
            || !stored.holders.all_holders().all(in_range)
            || !stored.blocks.all_holders().all(in_range)
        {
            return Err(bad("inconsistent contents (record indices out of range)"));
        }
        let mut state = LinkState::new(stored.config, stored.model);
        state.index = super::IdIndex::build(&stored.ids);
        state.ids = stored.ids;
        let mut records = stored.records;
        // The values' hashes are not stored: derived again, as when the records were built.
        records.par_iter_mut().for_each(Record::derive_keys);
        for (i, r) in records.iter().enumerate() {
            for &p in &r.photos {
                state.photos.insert(p, i as u32);
            }
        }
        state.records = records;
        state.holders = stored.holders;
        state.blocks = stored.blocks;
        state.excluded = stored.excluded;
        state.placeholders = stored.placeholders.into_iter().collect::<BTreeMap<_, _>>();
        state.pairs = stored.pairs.into_iter().collect();
        state.sanctioned = stored.sanctioned;
        state.hours = stored.hours;
        state.ring_of = stored
            .rings
            .iter()
            .enumerate()
            .flat_map(|(r, m)| m.iter().map(move |i| (*i, r)))
            .collect();
        state.rings = stored.rings;
        state.seen = stored.seen;
        Ok(state)
    }
}

/// A stable 64-bit fingerprint of some bytes (xxh3 of the parts, each followed by a separator), for
/// [`LinkState::mark_seen`]: the same input gives the same fingerprint in every build.
pub fn fingerprint(parts: &[&[u8]]) -> u64 {
    super::mix(0x7365_656e, parts)
}
