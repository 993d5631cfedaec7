//! redflag's compact list snapshot: one JSON header line, then one entity per line, usually
//! zstd-compressed. It is what the vendored lists and the list repository store: parsing the official
//! XML once at import time keeps start-up fast (the OFAC SDN file is 121 MB of XML, 2 MB here).

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, ListInfo, ListSnapshot};
use crate::error::{Location, WatchlistError};

/// The current compact format version.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    redflag_list_snapshot: u32,
    info: ListInfo,
}

/// Writes a snapshot as JSON lines, zstd-compressed at `level` (0 = uncompressed).
pub fn write_compact<W: Write>(snapshot: &ListSnapshot, out: W, level: i32) -> std::io::Result<()> {
    fn body<W: Write>(snapshot: &ListSnapshot, mut w: W) -> std::io::Result<W> {
        let header = Header {
            redflag_list_snapshot: VERSION,
            info: snapshot.info.clone(),
        };
        serde_json::to_writer(&mut w, &header)?;
        w.write_all(b"\n")?;
        for e in &snapshot.entities {
            serde_json::to_writer(&mut w, e)?;
            w.write_all(b"\n")?;
        }
        Ok(w)
    }
    if level == 0 {
        body(snapshot, out)?.flush()
    } else {
        let encoder = zstd::stream::write::Encoder::new(out, level)?;
        body(snapshot, encoder)?.finish()?.flush()
    }
}

/// Reads a (decompressed) compact snapshot.
pub(crate) fn read<R: BufRead>(reader: &mut R, name: &str) -> Result<ListSnapshot, WatchlistError> {
    let malformed = |line: u64, reason: String| WatchlistError::Malformed {
        at: Location {
            file: name.into(),
            line: Some(line),
            column: None,
            element: Some(if line == 1 {
                "header".into()
            } else {
                "entity".into()
            }),
        },
        reason,
    };
    let mut line = String::new();
    let mut n: u64 = 0;
    let mut info: Option<ListInfo> = None;
    let mut entities: Vec<Entity> = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_line(&mut line)
            .map_err(|source| WatchlistError::Io {
                path: name.into(),
                source,
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.trim().is_empty() {
            continue;
        }
        if info.is_none() {
            let header: Header = serde_json::from_str(&line)
                .map_err(|e| malformed(n, format!("bad header: {e}")))?;
            if header.redflag_list_snapshot != VERSION {
                return Err(malformed(
                    n,
                    format!(
                        "compact format version {} is not supported (expected {VERSION})",
                        header.redflag_list_snapshot
                    ),
                ));
            }
            entities.reserve(header.info.entity_count);
            info = Some(header.info);
            continue;
        }
        let entity: Entity =
            serde_json::from_str(&line).map_err(|e| malformed(n, format!("bad entity: {e}")))?;
        entities.push(entity);
    }
    let info = info.ok_or_else(|| malformed(1, "empty file".into()))?;
    if entities.len() != info.entity_count {
        return Err(malformed(
            n,
            format!(
                "truncated: header announces {} entities, file holds {}",
                info.entity_count,
                entities.len()
            ),
        ));
    }
    Ok(ListSnapshot { info, entities })
}
