//! Load on `/v1/screen` (and ingest) over real TCP on 127.0.0.1, bounded in time: starts the server
//! in-process on its own runtime (SQLite store in a temporary directory, a screen token, the built-in
//! lists), then drives it from a second runtime with keep-alive connections and reports requests/s,
//! p50/p90/p99 latency and errors.
//!
//! `cargo run --release -p redflag-server --example screen_load -- [seconds] [concurrency] [server threads]`

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench: a failure is a failed run

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use redflag_server::{AppState, ServerConfig, router};

const NAMES: &[&str] = &[
    "Sim Hyon Sop",
    "Kim Jong Un",
    "Margaret Thornbury",
    "Jan de Vries",
    "Pak Il Woo",
    "Chen Wei",
    "Maria Garcia Lopez",
    "Ri Jong Won",
    "John Smith",
    "Kang Chol Su",
    "Aisha Bello",
    "Park Ji-hoon",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let concurrency: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(32);
    let server_threads: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(2);

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(server_threads)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = "rf_load_test_token";
    let (address, state) = server_rt.block_on(async {
        let store = redflag_store::Store::open_data_dir(dir.path())
            .await
            .unwrap();
        store
            .create_token("bench", "load", token, &["screen", "ingest"])
            .await
            .unwrap();
        let state = AppState::with_config(
            store,
            ServerConfig {
                rate_per_second: 0.0,
                ..ServerConfig::default()
            },
        );
        let started = Instant::now();
        state.engines().await.unwrap();
        eprintln!("engines built in {:.1} s", started.elapsed().as_secs_f64());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app =
            router(state.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (address, state)
    });
    let _keep = state;

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    client_rt.block_on(async move {
        let screen_url = format!("http://{address}/v1/screen");
        let report = run(&screen_url, token, seconds, concurrency, |i| {
            let name = NAMES[i % NAMES.len()];
            let body = if i % 10 == 9 {
                serde_json::json!({ "wallet": "0x4F47BC496083C727C5FBE3CE9CDF2B0F6496270C" })
            } else if i % 3 == 0 {
                serde_json::json!({ "name": name, "dob": "1983", "country": "KP" })
            } else {
                serde_json::json!({ "name": name })
            };
            ("application/json", body.to_string())
        })
        .await;
        println!("/v1/screen: {report}");
        let mut csv = String::from("id,name,email\n");
        for i in 0..1000 {
            csv.push_str(&format!("{i},Person {i},p{i}@example.com\n"));
        }
        let csv = Arc::new(csv);
        let ingest_url = format!("http://{address}/v1/ingest/people?system=load");
        let ingest_seconds = (seconds / 2).max(2);
        let report = run(&ingest_url, token, ingest_seconds, 8, move |_| {
            ("text/csv", csv.to_string())
        })
        .await;
        println!(
            "/v1/ingest/people (1000-row CSV, 8 connections, accept = job committed): {report}"
        );
    });
}

struct Report {
    requests: usize,
    errors: usize,
    seconds: f64,
    latencies: Vec<Duration>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = self.latencies.clone();
        l.sort();
        let q = |p: f64| {
            l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        write!(
            f,
            "{} requests in {:.1} s = {:.0} req/s; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} errors",
            self.requests,
            self.seconds,
            self.requests as f64 / self.seconds,
            q(0.50),
            q(0.90),
            q(0.99),
            q(1.0),
            self.errors
        )
    }
}

async fn run(
    url: &str,
    token: &str,
    seconds: u64,
    concurrency: usize,
    body: impl Fn(usize) -> (&'static str, String) + Send + Sync + 'static,
) -> Report {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(concurrency)
        .build_http();
    let stop = Arc::new(AtomicBool::new(false));
    let body = Arc::new(body);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let stop = stop.clone();
        let body = body.clone();
        let url = url.to_string();
        let auth = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut i = worker;
            while !stop.load(Ordering::Relaxed) {
                let (content_type, payload) = body(i);
                i += concurrency;
                let request = hyper::Request::post(&url)
                    .header("content-type", content_type)
                    .header("authorization", &auth)
                    .body(Full::new(Bytes::from(payload)))
                    .unwrap();
                let t = Instant::now();
                match client.request(request).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let _ = response.into_body().collect().await;
                        latencies.push(t.elapsed());
                        if !ok {
                            errors += 1;
                        }
                    }
                    Err(_) => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut report = Report {
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (latencies, errors) = task.await.unwrap();
        report.requests += latencies.len() + errors;
        report.errors += errors;
        report.latencies.extend(latencies);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}
