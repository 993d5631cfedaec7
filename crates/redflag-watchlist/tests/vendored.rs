//! The vendored compact snapshot is exactly what the parser makes of the vendored official file.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use redflag_watchlist::{ListFormat, builtin_snapshots, load_path};

#[test]
fn un_compact_snapshot_equals_a_fresh_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sanctions");
    let fresh = load_path(
        &root.join("un-sc-consolidated-2026-02-27.xml.zst"),
        ListFormat::Auto,
    )
    .unwrap();
    let builtin = builtin_snapshots().unwrap();
    let vendored = builtin
        .iter()
        .find(|s| s.info.id == "un-sc-consolidated")
        .unwrap();
    assert_eq!(&fresh, vendored);
    assert_eq!(fresh.info.version, "2026-02-27");
    assert_eq!(fresh.entities.len(), 1003);
    assert_eq!(
        fresh
            .entities
            .iter()
            .filter(|e| e.programs == ["DPRK"])
            .count(),
        155
    );
}

#[test]
fn compact_snapshot_equals_a_fresh_parse_of_the_official_xml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sanctions");
    let fresh = load_path(
        &root.join("us-ofac-sdn-advanced-2025-11-19.xml.bz2"),
        ListFormat::Auto,
    )
    .unwrap();
    let builtin = builtin_snapshots().unwrap();
    let vendored = builtin.iter().find(|s| s.info.id == "us-ofac-sdn").unwrap();
    assert_eq!(fresh.info, vendored.info);
    assert_eq!(fresh.entities.len(), vendored.entities.len());
    for (a, b) in fresh.entities.iter().zip(&vendored.entities) {
        assert_eq!(
            a, b,
            "entity {} differs: regenerate the compact snapshot (data/sanctions/README.md)",
            a.id
        );
    }
    assert_eq!(
        fresh.info.sha256,
        "36c517bd264d8d97eff353eadd8d84427d5eb293505a8ce07271a5bc258c3117"
    );
}
