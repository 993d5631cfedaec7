//! The `redflag` binary driven as a user would: README commands, ingest with rejects, assess, report.

use std::path::Path;

mod common;

use common::{redflag, text};

#[test]
fn readme_quick_start_has_exactly_the_two_commands_and_ci_reads_the_test_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let marker = readme
        .find("<!-- ci:test-command -->")
        .expect("README has the ci:test-command marker");
    let after: Vec<&str> = readme[marker..].lines().collect();
    assert_eq!(after[1], "```sh");
    assert_eq!(after[2], "cargo test --workspace");
    assert!(readme.contains("```sh\ncargo run --release -- demo\n```"));
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    assert!(ci.contains("<!-- ci:test-command -->") && ci.contains("eval \"$test_command\""));
    assert!(
        !ci.lines().any(|l| l.trim_start().starts_with("cargo test")),
        "CI must not hard-code the test command"
    );
}

#[test]
fn ingest_keeps_good_rows_writes_rejects_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        "id,name,email,country\n1,Ana Lima,ana@example.com,Brazil\n2,Bad Email,bad@,Brazil\n3,Kim Min-jun,kim@example.kr,South Korea\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = redflag(
        &data,
        &[
            "ingest",
            "people",
            people.to_str().unwrap(),
            "--system",
            "greenhouse",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("ingested 2 records, rejected 1"),
        "{}",
        text(&out.stderr)
    );
    let rejects = std::fs::read_to_string(data.join("rejects/people.csv.rejects.csv")).unwrap();
    assert!(rejects.contains("people.csv,3,email,"), "{rejects}");

    let out = redflag(&data, &["assess"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("assessed 2 subjects"),
        "{}",
        text(&out.stderr)
    );

    let out = redflag(&data, &["report", "--min-level", "low", "--format", "csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.starts_with("subject,name,level,score"), "{csv}");
    assert!(csv.contains("greenhouse:1,Ana Lima,low"), "{csv}");

    let out = redflag(&data, &["report", "--subject", "greenhouse:404"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: no assessment for subject greenhouse:404"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_missing_input_file_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = redflag(dir.path(), &["ingest", "people", "/nonexistent/people.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
    assert!(err.contains("cannot open /nonexistent/people.csv"), "{err}");
}

#[test]
fn demo_runs_offline_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let out = redflag(
        dir.path(),
        &["demo", "--no-serve", "--subjects", "400", "--days", "7"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Demo finished"), "{stdout}");
    assert!(dir.path().join("redflag.db").exists());
    assert!(
        text(&out.stderr).contains("assessed 400 subjects"),
        "{}",
        text(&out.stderr)
    );
}
