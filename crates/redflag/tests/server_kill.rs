//! The server killed with SIGKILL in the middle of an ingest sent through the HTTP API, restarted on
//! the same data directory, and the client resuming: nothing accepted before the kill is lost and
//! nothing is duplicated. The result is compared, id by id, with a clean reference ingest of the same
//! batches into a fresh store.
//!
//! The server is the built `redflag serve` (started as a child process, killed with `kill -9`); the
//! client sends a people file and an Okta event file in batches and treats a batch as accepted only
//! when it got its `202`, re-sending any other after the restart (the batch in flight at the kill may
//! have been committed without its answer arriving; a re-sent copy must not duplicate anything).

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use redflag_server::worker::{Worker, WorkerConfig};
use redflag_store::{NewJob, Store};

const PEOPLE_BATCHES: usize = 8;
const PEOPLE_PER_BATCH: usize = 1500;
const EVENT_BATCHES: usize = 8;
const EVENTS_PER_BATCH: usize = 1000;
const PASSWORD: &str = "kill-test-admin-password";

/// One upload: kind and body.
struct Batch {
    kind: &'static str,
    body: Vec<u8>,
}

fn batches() -> Vec<Batch> {
    let mut out = Vec::new();
    for b in 0..PEOPLE_BATCHES {
        let mut csv = String::from("id,name,email,phone,country\n");
        for row in 0..PEOPLE_PER_BATCH {
            let n = b * PEOPLE_PER_BATCH + row;
            csv.push_str(&format!(
                "{n},Person Number {n},person{n}@example.com,+1 415 555 {:04},US\n",
                n % 10_000
            ));
        }
        out.push(Batch {
            kind: "people",
            body: csv.into_bytes(),
        });
    }
    let people = PEOPLE_BATCHES * PEOPLE_PER_BATCH;
    for b in 0..EVENT_BATCHES {
        let mut ndjson = String::new();
        for row in 0..EVENTS_PER_BATCH {
            let n = b * EVENTS_PER_BATCH + row;
            let event = serde_json::json!({
                "uuid": format!("5e1f0000-0000-4000-8000-{n:012}"),
                "published": format!("2024-08-{:02}T{:02}:{:02}:00.000Z", 1 + n % 28, n % 24, n % 60),
                "eventType": "user.session.start",
                "actor": { "id": format!("00u{n}"), "type": "User", "alternateId": format!("person{}@example.com", n % people), "displayName": format!("Person Number {n}") },
                "client": { "ipAddress": format!("198.51.100.{}", n % 250), "userAgent": { "rawUserAgent": "Mozilla/5.0" } },
                "outcome": { "result": "SUCCESS" },
            });
            ndjson.push_str(&event.to_string());
            ndjson.push('\n');
        }
        out.push(Batch {
            kind: "okta",
            body: ndjson.into_bytes(),
        });
    }
    out
}

fn content_type(kind: &str) -> &'static str {
    if kind == "people" {
        "text/csv"
    } else {
        "application/x-ndjson"
    }
}

/// A running `redflag serve` and what it printed.
struct Server {
    child: Child,
    base: String,
    token: Option<String>,
}

#[allow(clippy::zombie_processes)] // the caller kills and waits for the child
fn start(data: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_redflag"))
        .arg("--data-dir")
        .arg(data)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--lease-seconds",
            "2",
            "--no-auto-assess",
            "--rate-limit",
            "0",
        ])
        .env("REDFLAG_ADMIN_PASSWORD", PASSWORD)
        .env_remove("REDFLAG_DATABASE_URL")
        .env_remove("REDFLAG_WEBHOOK_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                // Keep draining so the server never blocks on a full pipe.
                continue;
            }
        }
    });
    let mut token = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("the server did not start"));
        if let Some(t) = line.split("API token (admin): ").nth(1) {
            token = Some(t.trim().to_string());
        }
        if let Some(rest) = line.split("serving on ").nth(1) {
            let base = rest.split_whitespace().next().unwrap().to_string();
            return Server { child, base, token };
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(20))
        .build()
}

/// Posts one batch; `Some(job id)` when the server answered 202, `None` when the connection failed.
fn post(
    agent: &ureq::Agent,
    server: &str,
    token: &str,
    index: usize,
    batch: &Batch,
) -> Option<i64> {
    let url = format!(
        "{server}/v1/ingest/{}?system=ats&source=batch-{index}",
        batch.kind
    );
    match agent
        .post(&url)
        .set("authorization", &format!("Bearer {token}"))
        .set("content-type", content_type(batch.kind))
        .send_bytes(&batch.body)
    {
        Ok(response) => {
            assert_eq!(response.status(), 202);
            let body: serde_json::Value =
                serde_json::from_str(&response.into_string().unwrap()).unwrap();
            Some(body["job_id"].as_i64().unwrap())
        }
        Err(ureq::Error::Transport(_)) => None,
        Err(ureq::Error::Status(code, response)) => {
            panic!("batch {index}: {code} {}", response.into_string().unwrap())
        }
    }
}

fn get_json(agent: &ureq::Agent, url: &str, token: &str) -> serde_json::Value {
    let text = agent
        .get(url)
        .set("authorization", &format!("Bearer {token}"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Subject ids and identifiers, event ids and counts: what must match the reference.
#[derive(Debug, PartialEq, Eq)]
struct Contents {
    subjects: BTreeSet<String>,
    identifiers: usize,
    events: i64,
    unattributed: i64,
    event_ids: BTreeSet<String>,
}

async fn contents(store: &Store) -> Contents {
    let counts = store.counts().await.unwrap();
    let subjects = store.subjects().await.unwrap();
    Contents {
        identifiers: subjects.iter().map(|s| s.identifiers.len()).sum(),
        subjects: subjects.iter().map(|s| s.id.to_string()).collect(),
        events: counts.events,
        unattributed: counts.unattributed_events,
        event_ids: store
            .attributed_events()
            .await
            .unwrap()
            .iter()
            .map(|e| e.id.as_str().to_string())
            .collect(),
    }
}

/// The same batches as jobs in a fresh store, worked by an in-process worker: no HTTP, no kill.
async fn reference(batches: &[Batch]) -> Contents {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    for (index, batch) in batches.iter().enumerate() {
        store
            .enqueue_job(&NewJob {
                kind: "ingest".into(),
                payload: serde_json::json!({ "kind": batch.kind, "system": "ats", "source": format!("batch-{index}") }),
                blob: Some(batch.body.clone()),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let worker = Worker::new(
        store.clone(),
        WorkerConfig {
            assess_after_ingest: false,
            ..WorkerConfig::default()
        },
    );
    let reports = worker.drain().await.unwrap();
    assert_eq!(reports.len(), batches.len());
    assert!(reports.iter().all(|r| r.outcome.is_ok()), "{reports:?}");
    let contents = contents(&store).await;
    store.close().await;
    contents
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_nothing_accepted_and_duplicates_nothing() {
    let started = Instant::now();
    let batches = batches();
    let expected = reference(&batches).await;
    // The generated data is what it claims to be.
    assert_eq!(expected.subjects.len(), PEOPLE_BATCHES * PEOPLE_PER_BATCH);
    assert_eq!(expected.identifiers, PEOPLE_BATCHES * PEOPLE_PER_BATCH * 2);
    assert_eq!(expected.events, (EVENT_BATCHES * EVENTS_PER_BATCH) as i64);
    assert_eq!(expected.event_ids.len(), EVENT_BATCHES * EVENTS_PER_BATCH);

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start(&data);
    let token = server
        .token
        .clone()
        .expect("first start prints the admin token");
    let agent = agent();

    // Send batches until half are accepted, then kill the server while the next one is being sent and
    // while its worker is still working through the queue.
    let kill_after = batches.len() / 2;
    let mut accepted: Vec<Option<i64>> = vec![None; batches.len()];
    for (index, batch) in batches.iter().enumerate().take(kill_after) {
        accepted[index] = post(&agent, &server.base, &token, index, batch);
        assert!(accepted[index].is_some(), "batch {index} before the kill");
    }
    // Wait until the server's worker is inside a job (and others wait behind it).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let jobs = get_json(
            &agent,
            &format!("{}/v1/jobs?limit=100", server.base),
            &token,
        );
        let status = |s: &str| {
            jobs.as_array()
                .unwrap()
                .iter()
                .filter(|j| j["status"] == s)
                .count()
        };
        if status("running") == 1 {
            assert!(
                status("queued") > 0,
                "the worker had nearly finished: killed too late"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never started: {jobs}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The next batch is half-uploaded (raw HTTP, body cut in the middle) when the kill comes.
    let in_flight = &batches[kill_after];
    let mut stream =
        std::net::TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    let head = format!(
        "POST /v1/ingest/{}?system=ats&source=batch-{kill_after} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n",
        in_flight.kind,
        content_type(in_flight.kind),
        in_flight.body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream
        .write_all(&in_flight.body[..in_flight.body.len() / 2])
        .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    drop(stream);
    let accepted_before_kill = accepted.iter().flatten().count();
    assert!(
        accepted_before_kill < batches.len(),
        "the kill came after every batch was accepted"
    );

    // What was durable at the kill: never more than the reference, and every accepted job is there.
    {
        let store = Store::open_data_dir(&data).await.unwrap();
        let at_kill = contents(&store).await;
        assert!(at_kill.subjects.is_subset(&expected.subjects));
        assert!(
            at_kill.subjects.len() < expected.subjects.len() || at_kill.events < expected.events
        );
        for id in accepted.iter().flatten() {
            assert!(
                store.job(*id).await.unwrap().is_some(),
                "accepted job {id} kept"
            );
        }
        let running = store.jobs(Some("running"), 100).await.unwrap().len();
        let queued = store.jobs(Some("queued"), 100).await.unwrap().len();
        eprintln!("at the kill: {running} job running, {queued} queued");
        assert_eq!(running, 1, "the kill came in the middle of a job");
        store.close().await;
    }

    // Restart on the same data directory and resume: re-send every batch without a 202.
    let mut server = start(&data);
    assert!(
        server.token.is_none(),
        "a restart creates no new credentials"
    );
    for (index, batch) in batches.iter().enumerate() {
        if accepted[index].is_none() {
            accepted[index] = post(&agent, &server.base, &token, index, batch);
            assert!(accepted[index].is_some(), "batch {index} after the restart");
        }
    }
    // Wait for the queue to drain (the killed worker's job comes back when its lease has passed).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let jobs = get_json(
            &agent,
            &format!("{}/v1/jobs?limit=100", server.base),
            &token,
        );
        let jobs = jobs.as_array().unwrap();
        assert!(jobs.iter().all(|j| j["status"] != "failed"), "{jobs:?}");
        if jobs.iter().all(|j| j["status"] == "done") {
            for id in accepted.iter().flatten() {
                assert!(jobs.iter().any(|j| j["id"] == *id), "accepted job {id} ran");
            }
            assert!(
                jobs.iter().any(|j| j["attempts"].as_i64() == Some(2)),
                "the job the kill interrupted was run again: {jobs:?}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the queue did not drain: {jobs:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let store = Store::open_data_dir(&data).await.unwrap();
    let got = contents(&store).await;
    store.close().await;
    assert_eq!(got.subjects, expected.subjects, "every subject, once");
    assert_eq!(
        got.identifiers, expected.identifiers,
        "every identifier, once"
    );
    assert_eq!(got.events, expected.events, "every event, once");
    assert_eq!(got.unattributed, expected.unattributed);
    assert_eq!(got.event_ids, expected.event_ids);
    eprintln!(
        "server kill test: {accepted_before_kill} of {} batches accepted before the kill; {:.1} s",
        batches.len(),
        started.elapsed().as_secs_f64()
    );
}
