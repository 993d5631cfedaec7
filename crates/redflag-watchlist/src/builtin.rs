//! The list snapshots vendored in the repository (`data/sanctions/`), embedded in the binary so that
//! screening works offline. Each is redflag's compact form of an official file, made by
//! `cargo run -p redflag-watchlist --release --example make_compact` from the original file kept next to it.

use crate::entity::ListSnapshot;
use crate::error::WatchlistError;
use crate::parse::{ListFormat, load_bytes};

/// One embedded snapshot: its file name and bytes.
struct Builtin {
    name: &'static str,
    bytes: &'static [u8],
}

const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "us-ofac-sdn-2025-11-19.jsonl.zst",
        bytes: include_bytes!("../../../data/sanctions/us-ofac-sdn-2025-11-19.jsonl.zst"),
    },
    Builtin {
        name: "un-sc-consolidated-2026-02-27.jsonl.zst",
        bytes: include_bytes!("../../../data/sanctions/un-sc-consolidated-2026-02-27.jsonl.zst"),
    },
];

/// The vendored lists, parsed: OFAC SDN of 2025-11-19 and the UN Security Council Consolidated List of
/// 2026-02-27.
pub fn builtin_snapshots() -> Result<Vec<ListSnapshot>, WatchlistError> {
    BUILTINS
        .iter()
        .map(|b| {
            load_bytes(
                b.bytes,
                &format!("<builtin:{}>", b.name),
                ListFormat::Compact,
            )
        })
        .collect()
}
