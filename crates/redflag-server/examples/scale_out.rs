//! Scale-out: one vs two workers draining the same ingest batch from one PostgreSQL queue.
//! Each worker runs on its own OS thread and runtime with its own connection pool, as separate
//! processes would. Needs `REDFLAG_TEST_DATABASE_URL` (a fresh database is created per run).
//!
//! `REDFLAG_TEST_DATABASE_URL=postgres://… cargo run --release -p redflag-server --example scale_out -- [jobs] [rows per job]`

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench: a failure is a failed run

use std::time::{Duration, Instant};

use redflag_server::worker::{Worker, WorkerConfig};
use redflag_store::NewJob;
use redflag_store::testing::TestStore;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let jobs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(40);
    let rows: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5000);
    let mut baseline = None;
    for workers in [1usize, 2] {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let t = rt.block_on(async {
            let t = TestStore::postgres()
                .await
                .unwrap()
                .expect("set REDFLAG_TEST_DATABASE_URL");
            for job in 0..jobs {
                let mut csv = String::from("id,name,email,phone,country\n");
                for row in 0..rows {
                    let n = job * rows + row;
                    csv.push_str(&format!(
                        "{n},Person Number {n},person{n}@example.com,+1 415 555 {:04},US\n",
                        n % 10_000
                    ));
                }
                t.store
                    .enqueue_job(&NewJob {
                        kind: "ingest".into(),
                        payload: serde_json::json!({ "kind": "people", "system": "ats" }),
                        blob: Some(csv.into_bytes()),
                        ..Default::default()
                    })
                    .await
                    .unwrap();
            }
            t
        });
        let url = t.url.clone();
        let started = Instant::now();
        let threads: Vec<_> = (0..workers)
            .map(|w| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async move {
                        let store = redflag_store::Store::open(&url).await.unwrap();
                        let worker = Worker::new(
                            store,
                            WorkerConfig {
                                id: format!("w{w}"),
                                lease: Duration::from_secs(60),
                                assess_after_ingest: false,
                                ..WorkerConfig::default()
                            },
                        );
                        worker.drain().await.unwrap().len()
                    })
                })
            })
            .collect();
        let per_worker: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let seconds = started.elapsed().as_secs_f64();
        let subjects = rt.block_on(t.store.counts()).unwrap().subjects;
        assert_eq!(subjects, (jobs * rows) as i64);
        let rate = subjects as f64 / seconds;
        let speedup = baseline.map_or(1.0, |b: f64| rate / b);
        baseline.get_or_insert(rate);
        println!(
            "{workers} worker(s): {subjects} subjects from {jobs} jobs in {seconds:.2} s = {rate:.0} subjects/s (jobs per worker {per_worker:?}), speed-up {speedup:.2}x"
        );
    }
}
