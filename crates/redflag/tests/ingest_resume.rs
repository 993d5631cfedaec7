//! Crash-resume of `redflag ingest`: the binary is killed (SIGKILL) in the middle of a large Okta file,
//! re-run, and the store must equal the store of one clean run: no event lost, none stored twice, the
//! rejects kept. Also: payroll and shipping files of a generated world read with zero rejects.

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use redflag_store::Store;

const PEOPLE: usize = 40;
const EVENTS: usize = 30_000;
const BROKEN_EVERY: usize = 4_999;

mod common;

use common::{command, redflag, text};

/// A people file and an Okta NDJSON file whose actors are those people, with a few broken lines.
fn write_inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let mut people = String::from("id,name,email,country\n");
    for i in 0..PEOPLE {
        writeln!(people, "E{i:03},Person {i},user{i}@example.com,Japan").unwrap();
    }
    let mut okta = String::with_capacity(EVENTS * 420);
    for n in 0..EVENTS {
        if n % BROKEN_EVERY == BROKEN_EVERY - 1 {
            okta.push_str("{\"uuid\":\"truncated-line\",\"published\":\n");
            continue;
        }
        let user = n % PEOPLE;
        writeln!(
            okta,
            r#"{{"uuid":"00000000-0000-4000-8000-{n:012}","published":"2024-05-{:02}T{:02}:{:02}:{:02}.000Z","eventType":"user.session.start","actor":{{"id":"00u{user:05}","type":"User","alternateId":"user{user}@example.com"}},"client":{{"ipAddress":"198.51.100.{}","userAgent":{{"rawUserAgent":"Mozilla/5.0"}},"geographicalContext":{{"country":"Japan"}}}},"outcome":{{"result":"SUCCESS"}}}}"#,
            1 + (n / 3000) % 28,
            (n / 60) % 24,
            n % 60,
            (n * 7) % 60,
            n % 250,
        )
        .unwrap();
    }
    let people_path = dir.join("people.csv");
    let okta_path = dir.join("okta.ndjson");
    std::fs::write(&people_path, people).unwrap();
    std::fs::write(&okta_path, okta).unwrap();
    (people_path, okta_path)
}

fn checkpoint_offset(data_dir: &Path) -> Option<u64> {
    let dir = data_dir.join("checkpoints");
    let entry = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .find(|e| e.path().extension().and_then(|x| x.to_str()) == Some("json"))?;
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(entry.path()).ok()?).ok()?;
    saved["checkpoint"]["offset"].as_u64()
}

async fn snapshot(data_dir: &Path) -> (String, String, String) {
    let store = Store::open_data_dir(data_dir).await.unwrap();
    let subjects = serde_json::to_string(&store.subjects().await.unwrap()).unwrap();
    let events = store.attributed_events().await.unwrap();
    let counts = store.counts().await.unwrap();
    store.close().await;
    (
        subjects,
        serde_json::to_string(&events).unwrap(),
        format!("{counts:?}"),
    )
}

fn rejects(data_dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(data_dir.join("rejects/okta.ndjson.rejects.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines.dedup();
    lines
}

#[test]
fn killed_okta_ingest_resumes_to_the_same_store_as_a_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let (people, okta) = write_inputs(dir.path());
    let okta_len = std::fs::metadata(&okta).unwrap().len();
    let people = people.to_str().unwrap();
    let okta = okta.to_str().unwrap();
    let broken = EVENTS / BROKEN_EVERY;

    // One clean run.
    let clean = dir.path().join("clean");
    assert!(
        redflag(&clean, &["ingest", "people", people])
            .status
            .success()
    );
    let out = redflag(&clean, &["ingest", "okta", okta, "--batch-size", "250"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!(
            "ingested {} records, rejected {broken}",
            EVENTS - broken
        )),
        "{}",
        text(&out.stderr)
    );
    assert!(
        checkpoint_offset(&clean).is_none(),
        "a finished file leaves no checkpoint"
    );

    // A run killed in the middle of the file, then the same command again.
    let killed = dir.path().join("killed");
    assert!(
        redflag(&killed, &["ingest", "people", people])
            .status
            .success()
    );
    let mut child = command(&killed)
        .args(["ingest", "okta", okta, "--batch-size", "250"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if checkpoint_offset(&killed).is_some_and(|o| o > 0) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the ingest finished before it could be killed; make the file larger"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(150));
    assert!(
        child.try_wait().unwrap().is_none(),
        "finished before the kill"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let stopped_at = checkpoint_offset(&killed).unwrap();
    assert!(
        stopped_at > 0 && stopped_at < okta_len,
        "killed mid-file: {stopped_at}/{okta_len}"
    );

    let out = redflag(&killed, &["ingest", "okta", okta, "--batch-size", "250"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("resuming at line"), "{stderr}");
    assert!(
        stderr.contains(&format!("ingested {} records, rejected", EVENTS - broken)),
        "{stderr}"
    );
    assert!(checkpoint_offset(&killed).is_none());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let a = runtime.block_on(snapshot(&clean));
    let b = runtime.block_on(snapshot(&killed));
    assert_eq!(a.2, b.2, "counts differ");
    assert!(
        a.2.contains(&format!("events: {}", EVENTS - broken)),
        "{}",
        a.2
    );
    assert!(a.2.contains("unattributed_events: 0"), "{}", a.2);
    assert_eq!(a.0, b.0, "subjects differ");
    assert!(a.1 == b.1, "stored events differ after the resume");
    assert_eq!(rejects(&clean), rejects(&killed), "rejects lost or changed");
    assert_eq!(
        rejects(&clean).len(),
        broken + 1,
        "header plus one line per broken record"
    );

    // --restart reads from the start and stores nothing twice.
    let out = redflag(&killed, &["ingest", "okta", okta, "--restart"]);
    assert_eq!(out.status.code(), Some(2));
    let c = runtime.block_on(snapshot(&killed));
    assert_eq!(a.2, c.2);
}

#[test]
fn generated_payroll_and_shipping_files_read_with_zero_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    let config = redflag_synth::WorldConfig {
        subjects: 120,
        ..redflag_synth::WorldConfig::default()
    };
    redflag_synth::generate(&config).write_to(&world).unwrap();
    let data = dir.path().join("data");
    let people = world.join("people.csv");
    let out = redflag(
        &data,
        &[
            "ingest",
            "people",
            people.to_str().unwrap(),
            "--system",
            "synth",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    for (kind, file) in [
        ("payroll", "payroll_changes.csv"),
        ("shipping", "laptop_shipments.csv"),
    ] {
        let path = world.join(file);
        let rows = std::fs::read_to_string(&path).unwrap().lines().count() - 1;
        assert!(rows > 0, "{file} is empty");
        let out = redflag(&data, &["ingest", kind, path.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "{kind}: {stderr}");
        assert!(
            stderr.contains(&format!("ingested {rows} records, rejected 0")),
            "{kind}: {stderr}"
        );
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let counts = runtime.block_on(async {
        let store = Store::open_data_dir(&data).await.unwrap();
        store.counts().await.unwrap()
    });
    assert_eq!(
        counts.unattributed_events, 0,
        "every payroll and shipping row is attributed"
    );
}
