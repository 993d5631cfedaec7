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

/// `serve` and `worker` build their engines on the data directory's lists in the background; when that
/// build fails they stop with the reason instead of going on with other engines than the directory names.
#[test]
fn serve_and_worker_refuse_a_data_directory_whose_lists_do_not_load() {
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("reshippers");
    std::fs::create_dir_all(&lists).unwrap();
    std::fs::write(
        lists.join("broken.csv"),
        "name,address_lines,city,postcode,country,source\n,,,,,\n",
    )
    .unwrap();

    let worker = redflag(dir.path(), &["worker", "--drain"]);
    assert!(!worker.status.success(), "worker ran without its lists");
    let stderr = text(&worker.stderr);
    assert!(stderr.contains("broken.csv"), "{stderr}");

    // A free port, so the server would listen if it went on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = common::command(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = serve.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = serve.kill();
            panic!("serve kept running without its lists");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut serve.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("broken.csv"), "{stderr}");
}
