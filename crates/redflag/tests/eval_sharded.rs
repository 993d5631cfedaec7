//! The sharded `redflag eval` (world generated and assessed in subject shards, population-wide stages
//! over every subject and the few events they read) gives the same assessments and rings as the
//! in-memory run on the same world. Shards are small so that rings, families and offices span several
//! of them. One process runs both (`--in-memory-assessments`), so the engines are built once.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::Value;

/// Evidence names its record by file, line and byte offset: a shard's file, not the whole world's.
/// Everything else must be equal.
fn without_record_positions(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if object.contains_key("connector") && object.contains_key("line") {
                for key in ["source", "line", "byte_offset"] {
                    object.remove(key);
                }
            }
            object.values_mut().for_each(without_record_positions);
        }
        Value::Array(items) => items.iter_mut().for_each(without_record_positions),
        _ => {}
    }
}

fn read_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            without_record_positions(&mut v);
            v
        })
        .collect()
}

#[test]
fn sharded_eval_gives_the_same_assessments_and_rings_as_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    let sharded_path = dir.path().join("sharded.jsonl");
    let whole_path = dir.path().join("whole.jsonl");
    let output = common::redflag(
        dir.path(),
        &[
            "--quiet",
            "eval",
            "--subjects",
            "500",
            "--days",
            "10",
            "--rings-per-10k",
            "150",
            "--ttd-subjects",
            "0",
            "--format",
            "json",
            "--out",
            world.to_str().unwrap(),
            "--shard-size",
            "120",
            "--assessments",
            sharded_path.to_str().unwrap(),
            "--in-memory-assessments",
            whole_path.to_str().unwrap(),
        ],
    );
    assert!(
        output.status.success(),
        "eval failed: {}",
        common::text(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let sharded = read_lines(&sharded_path);
    let whole = read_lines(&whole_path);

    // The world is big enough to mean something: operators in rings across shards, some flagged,
    // rings stored, findings with record evidence.
    assert_eq!(whole.len(), 500);
    assert!(report["world"]["operators"].as_u64().unwrap() >= 8);
    assert!(
        report["subjects"]["confusion"]["true_positives"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(report["rings"]["linkage"]["stored"].as_u64().unwrap() > 0);
    assert!(whole.iter().any(|a| !a["ring"].is_null()));
    assert!(
        std::fs::read_to_string(&whole_path)
            .unwrap()
            .contains("\"byte_offset\"")
    );

    // The same, subject by subject: scores, levels, findings with their evidence, sanctions, rings.
    assert_eq!(sharded.len(), whole.len());
    for (s, w) in sharded.iter().zip(&whole) {
        assert_eq!(s, w, "assessment of {}", w["subject"]);
    }

    // It did run in shards, some subjects were deferred, and no event was lost to an earlier shard.
    let notes = report["notes"].as_array().unwrap();
    let note = notes
        .iter()
        .filter_map(Value::as_str)
        .find(|n| n.starts_with("Assessed in shards of 120 subjects"))
        .unwrap_or_else(|| panic!("no sharding note in {notes:?}"));
    assert!(
        note.contains(" 0 events attributed to a subject of an earlier shard"),
        "{note}"
    );
}
