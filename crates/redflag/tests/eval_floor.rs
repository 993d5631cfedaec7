//! The quality floor: `redflag eval` on a small fixed world must keep subject-level F1 and recall at or
//! above the floor recorded in `docs/EVALUATION.md` (the `eval-floor` marker line, the one source of the
//! figures) and the fairness table must have no violation.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

/// The floor line of docs/EVALUATION.md: `<!-- eval-floor: f1=0.50 recall=0.38 -->`.
fn recorded_floor() -> (f64, f64) {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/EVALUATION.md");
    let text = std::fs::read_to_string(&doc).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("<!-- eval-floor:"))
        .expect("docs/EVALUATION.md records the floor in an `<!-- eval-floor: … -->` line");
    let value = |key: &str| -> f64 {
        let start = line.find(&format!("{key}=")).unwrap() + key.len() + 1;
        line[start..]
            .split(|c: char| c.is_whitespace())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (value("f1"), value("recall"))
}

#[test]
fn small_world_stays_above_the_recorded_floor_and_within_fairness_tolerance() {
    let (floor_f1, floor_recall) = recorded_floor();
    assert!(
        floor_f1 > 0.0 && floor_recall > 0.0,
        "a floor of 0 checks nothing"
    );
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    let output = Command::new(env!("CARGO_BIN_EXE_redflag"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--quiet",
            "eval",
            "--subjects",
            "1000",
            "--days",
            "14",
            "--rings-per-10k",
            "60",
            "--ttd-subjects",
            "300",
            "--ttd-days",
            "3,7",
            "--format",
            "json",
            "--out",
        ])
        .arg(&world)
        .env_remove("REDFLAG_DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "eval failed: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(report["world"]["subjects"], 1000);
    let operators = report["world"]["operators"].as_u64().unwrap();
    assert!(
        operators >= 20,
        "too few operators ({operators}) for a meaningful floor"
    );
    let f1 = report["subjects"]["f1"].as_f64().unwrap();
    let recall = report["subjects"]["recall"].as_f64().unwrap();
    let violations = report["fairness"]["violations"].as_u64().unwrap();
    assert!(
        f1 >= floor_f1,
        "subject-level F1 {f1:.3} fell below the recorded floor {floor_f1}"
    );
    assert!(
        recall >= floor_recall,
        "subject-level recall {recall:.3} fell below the recorded floor {floor_recall}"
    );
    let unfair: Vec<String> = report["fairness"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["violation"] == true)
        .map(|r| format!("{}={} ({})", r["dimension"], r["group"], r["rate"]))
        .collect();
    assert_eq!(violations, 0, "fairness violations: {unfair:?}");
    // The fairness table judged something: a table of unjudged groups would pass vacuously.
    assert!(
        report["fairness"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["judged"] == true)
    );

    // Time to detect ran on the prefixes asked for.
    let prefixes: Vec<u64> = report["time_to_detect"]["prefixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["days"].as_u64().unwrap())
        .collect();
    assert_eq!(prefixes, vec![3, 7]);

    // The Markdown report and the curve were written next to the world.
    let md = std::fs::read_to_string(world.join("eval-report.md")).unwrap();
    assert!(md.contains("### Fairness") && md.contains("Command: `redflag --data-dir"));
    let svg = std::fs::read_to_string(world.join("pr-curve.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<polyline"));
}

#[test]
fn a_directory_without_ground_truth_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_redflag"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["eval", "--ttd-subjects", "0", "--world"])
        .arg(dir.path())
        .env_remove("REDFLAG_DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ground_truth.json"), "{stderr}");
}
