//! The list repository: imports verify before they switch, keep earlier versions, and never activate a
//! broken file.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use redflag_watchlist::{Index, ListFormat, ListOrigin, ListRepository, Query, ScreenOptions};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn import_switch_keep_previous_and_refuse_broken() {
    let dir = tempfile::tempdir().unwrap();
    let repo = ListRepository::new(dir.path());
    let t1 = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    // Before any import: the builtin lists.
    let status = repo.status().unwrap();
    assert!(status.iter().all(|s| s.origin == ListOrigin::Builtin));
    assert!(status.iter().any(|s| s.info.id == "us-ofac-sdn"));

    // Import the UK list.
    let out = repo
        .import(
            &fixture("uk_sanctions_list_sample.xml"),
            ListFormat::Auto,
            t1,
        )
        .unwrap();
    assert_eq!(out.info.id, "gb-fcdo-sanctions");
    assert!(out.replaced.is_none() && !out.unchanged);
    let again = repo
        .import(
            &fixture("uk_sanctions_list_sample.xml"),
            ListFormat::Auto,
            t1,
        )
        .unwrap();
    assert!(again.unchanged);

    // A changed file becomes a new version; the old one is kept.
    let changed = dir.path().join("uk2.xml");
    let text = std::fs::read_to_string(fixture("uk_sanctions_list_sample.xml"))
        .unwrap()
        .replace(
            "<DateGenerated>19/11/2025</DateGenerated>",
            "<DateGenerated>20/11/2025</DateGenerated>",
        );
    std::fs::write(&changed, text).unwrap();
    let out = repo.import(&changed, ListFormat::Auto, t1).unwrap();
    assert!(out.replaced.unwrap().starts_with("2025-11-19-"));
    let status = repo.status().unwrap();
    let uk = status
        .iter()
        .find(|s| s.info.id == "gb-fcdo-sanctions")
        .unwrap();
    assert_eq!(uk.origin, ListOrigin::Imported);
    assert_eq!(uk.info.version, "2025-11-20");
    assert_eq!(uk.imported_at, Some(t1));
    assert_eq!(uk.previous_versions.len(), 1);

    // A truncated file is refused and the active version stays.
    let broken = dir.path().join("broken.xml");
    let text = std::fs::read_to_string(fixture("uk_sanctions_list_sample.xml")).unwrap();
    std::fs::write(&broken, &text[..text.len() / 2]).unwrap();
    let err = repo
        .import(&broken, ListFormat::Auto, t1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("broken.xml"), "{err}");
    let status = repo.status().unwrap();
    assert_eq!(
        status
            .iter()
            .find(|s| s.info.id == "gb-fcdo-sanctions")
            .unwrap()
            .info
            .version,
        "2025-11-20"
    );

    // Switch back to the previous version.
    repo.activate("gb-fcdo-sanctions", &uk.previous_versions[0])
        .unwrap();
    let status = repo.status().unwrap();
    assert_eq!(
        status
            .iter()
            .find(|s| s.info.id == "gb-fcdo-sanctions")
            .unwrap()
            .info
            .version,
        "2025-11-19"
    );

    // Active lists: builtins plus the import; screening sees the imported list.
    let index = Index::build(repo.load_active().unwrap());
    assert!(index.lists().iter().any(|l| l.id == "gb-fcdo-sanctions"));
    let hits = index
        .screen(&Query::name("Kim Sang Man"), &ScreenOptions::default())
        .unwrap();
    assert!(hits.iter().any(|m| m.list == "gb-fcdo-sanctions"));

    // An imported list of a builtin id replaces the builtin.
    repo.import(
        &fixture("un_consolidated_excerpt.xml"),
        ListFormat::Auto,
        t1,
    )
    .unwrap();
    let active = repo.load_active().unwrap();
    let un = active
        .iter()
        .find(|s| s.info.id == "un-sc-consolidated")
        .unwrap();
    assert!(un.entities.len() < 20);
}
