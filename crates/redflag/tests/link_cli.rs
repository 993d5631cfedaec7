//! `redflag link` driven as a user would: two ingests linked incrementally give the rings a full run
//! gives, and a damaged state file is reported and replaced by a full run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use redflag_synth::WorldConfig;

mod common;

use common::{redflag, text};

fn ok(data: &Path, args: &[&str]) -> String {
    let out = redflag(data, args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// Ingests a file; exit code 2 (some rows rejected: the synthetic world plants malformed rows) is fine.
fn ingest(data: &Path, kind: &str, file: &Path, system: &str) {
    let out = redflag(
        data,
        &["ingest", kind, file.to_str().unwrap(), "--system", system],
    );
    assert!(
        matches!(out.status.code(), Some(0 | 2)) && text(&out.stderr).contains("ingested"),
        "{kind} {}: {}",
        file.display(),
        text(&out.stderr)
    );
}

/// Splits a header-plus-rows file (CSV, or NDJSON with `header = false`) into two files: the first
/// `share` of the rows, and the rest.
fn split(path: &Path, share: f64, header: bool) -> (PathBuf, PathBuf) {
    let body = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = body.lines().collect();
    let head = if header {
        vec![lines.remove(0)]
    } else {
        vec![]
    };
    let cut = (lines.len() as f64 * share) as usize;
    let write = |suffix: &str, rows: &[&str]| {
        let name = path.file_name().unwrap().to_str().unwrap();
        let out = path.with_file_name(format!("{suffix}-{name}"));
        let mut all = head.clone();
        all.extend_from_slice(rows);
        std::fs::write(&out, all.join("\n") + "\n").unwrap();
        out
    };
    (write("a", &lines[..cut]), write("b", &lines[cut..]))
}

/// Every ring as its id and member set, from `rings list --format json`.
fn rings(data: &Path) -> BTreeSet<(String, BTreeSet<String>)> {
    let out = redflag(data, &["rings", "list", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let members = r["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_string())
                .collect();
            (r["id"].as_str().unwrap().to_string(), members)
        })
        .collect()
}

#[test]
fn incremental_link_over_two_ingests_equals_a_full_run_and_a_damaged_state_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let config = WorldConfig {
        seed: 11,
        subjects: 600,
        days: 5,
        rings_per_10k: 250.0,
        ..WorldConfig::default()
    };
    let world = redflag_synth::generate(&config);
    let written = world.write_to(&dir.path().join("world")).unwrap();
    let data = dir.path().join("data");
    let system = config.system.as_str();
    // Two thirds of the people and events first, the rest later (a smaller second batch, so the
    // saved model is kept and the second run is incremental).
    let (people_a, people_b) = split(&written.path("people.csv"), 0.7, true);
    let events: Vec<(&str, &str, bool)> = vec![
        ("okta", "okta_system_log.ndjson", false),
        ("payroll", "payroll_changes.csv", true),
        ("shipping", "laptop_shipments.csv", true),
    ];
    let mut later = Vec::new();
    ingest(&data, "people", &people_a, system);
    for (kind, file, header) in &events {
        let path = written.path(file);
        if !path.exists() {
            continue;
        }
        let (a, b) = split(&path, 0.7, *header);
        ingest(&data, kind, &a, system);
        later.push((*kind, b));
    }
    let first = ok(&data, &["link"]);
    assert!(
        first.contains("full run (no saved linkage state)"),
        "{first}"
    );
    assert!(data.join("linkage/state.bin").exists());
    let rings_first = rings(&data);
    assert!(!rings_first.is_empty(), "the first batch has rings");

    ingest(&data, "people", &people_b, system);
    for (kind, b) in &later {
        ingest(&data, kind, b, system);
    }
    let second = ok(&data, &["link"]);
    assert!(second.contains("(incremental:"), "{second}");
    let incremental = rings(&data);
    assert_ne!(
        incremental, rings_first,
        "the second batch changes the rings"
    );

    // A run with nothing new changes nothing.
    let idle = ok(&data, &["link"]);
    assert!(
        idle.contains("linked 0 new or changed subjects and 0 new events"),
        "{idle}"
    );
    assert_eq!(rings(&data), incremental);

    let full = ok(&data, &["link", "--full"]);
    assert!(full.contains("full run (--full)"), "{full}");
    assert_eq!(rings(&data), incremental, "incremental equals full");

    // A damaged state is reported with its path and reason, and a full run replaces it.
    let state = data.join("linkage/state.bin");
    let mut bytes = std::fs::read(&state).unwrap();
    let mid = bytes.len() / 2;
    bytes.truncate(mid);
    std::fs::write(&state, &bytes).unwrap();
    let damaged = ok(&data, &["link"]);
    assert!(
        damaged.contains("warning: the saved state")
            && damaged.contains("state.bin")
            && damaged.contains("corrupt or truncated")
            && damaged.contains("running a full link instead"),
        "{damaged}"
    );
    assert_eq!(rings(&data), incremental);
    // And the state written by that run is usable again.
    let again = ok(&data, &["link"]);
    assert!(again.contains("(incremental:"), "{again}");

    std::fs::write(&state, b"not a state").unwrap();
    let foreign = ok(&data, &["link"]);
    assert!(foreign.contains("wrong magic bytes"), "{foreign}");
    assert_eq!(rings(&data), incremental);
}
