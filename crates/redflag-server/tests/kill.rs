//! A worker killed with SIGKILL in the middle of an ingest: another worker finishes the job after the
//! lease runs out, nothing accepted is lost and nothing is duplicated. Runs on SQLite, and on
//! PostgreSQL when `REDFLAG_TEST_DATABASE_URL` is set. Also: two workers share one queue.
//!
//! The worker process is this test binary re-executed with `REDFLAG_KILL_TEST_CHILD` set: the
//! `child_worker` test then runs a worker loop on the database the variable names.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redflag_server::worker::{Worker, WorkerConfig};
use redflag_store::NewJob;
use redflag_store::testing::TestStore;

const CHILD: &str = "REDFLAG_KILL_TEST_CHILD";
const JOBS: usize = 8;
const ROWS: usize = 2000;

fn people_csv(job: usize) -> Vec<u8> {
    let mut csv = String::from("id,name,email,phone,country\n");
    for row in 0..ROWS {
        let n = job * ROWS + row;
        csv.push_str(&format!(
            "{n},Person Number {n},person{n}@example.com,+1 415 555 {:04},US\n",
            n % 10_000
        ));
    }
    csv.into_bytes()
}

async fn enqueue(t: &TestStore) {
    for job in 0..JOBS {
        t.store
            .enqueue_job(&NewJob {
                kind: "ingest".into(),
                payload: serde_json::json!({ "kind": "people", "system": "ats", "source": format!("batch-{job}.csv") }),
                blob: Some(people_csv(job)),
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

/// In a child process: work the queue of the database named by the environment, small batches and a
/// short lease so the parent can kill it mid-job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_worker() {
    let Ok(url) = std::env::var(CHILD) else {
        // Run directly: a worker on an empty queue finds nothing to do.
        let t = TestStore::sqlite().await.unwrap();
        let worker = Worker::new(t.store.clone(), WorkerConfig::default());
        assert!(worker.run_once().await.unwrap().is_none());
        return;
    };
    let store = redflag_store::Store::open(&url).await.unwrap();
    let worker = Worker::new(
        store,
        WorkerConfig {
            id: format!("child-{}", std::process::id()),
            lease: Duration::from_secs(2),
            poll: Duration::from_millis(50),
            batch: 200,
            webhook: None,
            assess_after_ingest: false,
        },
    );
    worker.run(std::future::pending()).await.unwrap();
}

fn spawn_child(url: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_worker",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_loses_nothing_and_duplicates_nothing() {
    for t in TestStore::all().await.unwrap() {
        enqueue(&t).await;
        let mut child = spawn_child(&t.url);
        // Wait until the child is part-way through the work, then SIGKILL it.
        let started = Instant::now();
        loop {
            let subjects = t.store.counts().await.unwrap().subjects;
            if subjects > 0 {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the child never started"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let at_kill = t.store.counts().await.unwrap().subjects;
        assert!(
            at_kill < (JOBS * ROWS) as i64,
            "killed too late to prove anything"
        );
        let running = t.store.jobs(Some("running"), 100).await.unwrap();
        assert_eq!(running.len(), 1, "the killed worker held one job");

        // A second worker: the job comes back once the dead worker's lease has passed.
        let survivor = Worker::new(
            t.store.clone(),
            WorkerConfig {
                id: "survivor".into(),
                lease: Duration::from_secs(2),
                assess_after_ingest: false,
                ..WorkerConfig::default()
            },
        );
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            survivor.drain().await.unwrap();
            let left: usize = ["queued", "running"]
                .iter()
                .map(|s| futures_len(&t, s))
                .sum::<usize>();
            if left == 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the queue did not drain");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let ingests: Vec<_> = t
            .store
            .jobs(None, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == "ingest")
            .collect();
        assert_eq!(ingests.len(), JOBS);
        assert!(ingests.iter().all(|j| j.status == "done"), "{ingests:?}");
        assert!(
            ingests.iter().any(|j| j.attempts == 2),
            "one job was retried"
        );
        let counts = t.store.counts().await.unwrap();
        assert_eq!(
            counts.subjects,
            (JOBS * ROWS) as i64,
            "every accepted row, once"
        );
        let pool = sqlx::AnyPool::connect(&t.url).await.unwrap();
        let identifiers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM identifiers")
            .fetch_one(&pool)
            .await
            .unwrap();
        // email + phone per person, never twice.
        assert_eq!(identifiers, (JOBS * ROWS * 2) as i64);
        pool.close().await;
    }
}

fn futures_len(t: &TestStore, status: &str) -> usize {
    let store = t.store.clone();
    let status = status.to_string();
    tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current()
            .block_on(async move { store.jobs(Some(&status), 1000).await.unwrap().len() })
    })
}
