//! Every ingest kind through `/v1/ingest/{kind}`: a small vendor-shaped file is POSTed, the worker's
//! counts come back (`?wait=`), the records land in the store exactly as the connector reads them, a
//! second POST of the same file stores nothing new, and a body of another kind is refused with a 422
//! problem+json naming the line.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use redflag_server::worker::{Worker, WorkerConfig, parse_input_with};
use redflag_server::{AppState, router};
use redflag_store::testing::TestStore;
use tower::ServiceExt;

const TOKEN: &str = "rf_test_ingest";

/// One fixture per kind: kind, file, content type, column mapping.
const CASES: [(&str, &str, &str, Option<&str>); 9] = [
    (
        "people",
        "greenhouse_candidates.csv",
        "text/csv",
        Some("greenhouse"),
    ),
    ("okta", "okta_system_log.json", "application/json", None),
    (
        "entra",
        "entra_graph_signins.json",
        "application/json",
        None,
    ),
    (
        "google",
        "google_login_drive_token.json",
        "application/json",
        None,
    ),
    (
        "osquery",
        "osquery_results.log",
        "application/x-ndjson",
        None,
    ),
    ("github", "github_api.json", "application/json", None),
    ("payroll", "payroll_synth.csv", "text/csv", None),
    ("shipping", "shipments_synth.csv", "text/csv", None),
    (
        "marketplace",
        "marketplace_profiles.json",
        "application/json",
        None,
    ),
];

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

struct Reply {
    status: StatusCode,
    content_type: String,
    json: serde_json::Value,
}

async fn post(app: &Router, uri: &str, content_type: &str, body: Vec<u8>) -> Reply {
    let request = Request::post(uri)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let json = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
    Reply {
        status,
        content_type,
        json,
    }
}

fn uri(kind: &str, mapping: Option<&str>) -> String {
    let mut uri = format!("/v1/ingest/{kind}?system=ats&source={kind}-fixture&wait=30");
    if let Some(mapping) = mapping {
        uri.push_str(&format!("&mapping={mapping}"));
    }
    uri
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_ingests_through_the_api_and_a_second_post_stores_nothing_new() {
    let t = TestStore::sqlite().await.unwrap();
    t.store
        .create_token("test", "ingest", TOKEN, &["ingest", "read"])
        .await
        .unwrap();
    let app = router(AppState::new(t.store.clone()));
    let worker = Worker::new(
        t.store.clone(),
        WorkerConfig {
            poll: Duration::from_millis(10),
            assess_after_ingest: false,
            ..WorkerConfig::default()
        },
    );
    let running = tokio::spawn(async move { worker.run(std::future::pending()).await });

    for (kind, file, content_type, mapping) in CASES {
        let data = fixture(file);
        // What the connector itself reads from the file: the API must store exactly this.
        let expected = parse_input_with(kind, "ats", "x", mapping, &data[..]).unwrap();
        let records = expected.subjects.len() + expected.events.len();
        assert!(records > 0, "{kind}: the fixture holds records");
        let before = t.store.counts().await.unwrap();

        let first = post(&app, &uri(kind, mapping), content_type, data.clone()).await;
        assert_eq!(first.status, StatusCode::OK, "{kind}: {}", first.json);
        assert_eq!(first.json["status"], "done", "{kind}: {}", first.json);
        let result = &first.json["result"];
        assert_eq!(result["accepted"], records as u64, "{kind}: {result}");
        assert_eq!(result["duplicates"], 0, "{kind}: {result}");
        assert_eq!(
            result["rejected"],
            expected.rejects.len() as u64,
            "{kind}: {result}"
        );
        let after = t.store.counts().await.unwrap();
        assert_eq!(
            after.subjects - before.subjects,
            expected.subjects.len() as i64,
            "{kind}: subjects stored"
        );
        assert_eq!(
            after.events - before.events,
            expected.events.len() as i64,
            "{kind}: events stored"
        );
        for subject in &expected.subjects {
            assert!(
                t.store.subject(&subject.id).await.unwrap().is_some(),
                "{kind}: {} stored",
                subject.id
            );
        }

        // The same file again: the job runs, nothing new is stored.
        let again = post(&app, &uri(kind, mapping), content_type, data).await;
        assert_eq!(again.status, StatusCode::OK, "{kind}: {}", again.json);
        assert_eq!(
            again.json["result"]["duplicates"],
            expected.events.len() as u64,
            "{kind}: {}",
            again.json
        );
        assert_eq!(
            t.store.counts().await.unwrap(),
            after,
            "{kind}: a re-POST is idempotent"
        );
    }
    running.abort();
}

#[tokio::test]
async fn a_body_of_another_kind_is_refused_naming_the_line() {
    let t = TestStore::sqlite().await.unwrap();
    t.store
        .create_token("test", "ingest", TOKEN, &["ingest"])
        .await
        .unwrap();
    let app = router(AppState::new(t.store.clone()));
    // Each kind is sent the next kind's fixture (same transport: CSV to CSV kinds, JSON to JSON ones,
    // so the refusal comes from reading the data, not from the content type).
    let wrong: [(&str, &str, &str); 9] = [
        ("people", "payroll_synth.csv", "text/csv"),
        ("payroll", "shipments_synth.csv", "text/csv"),
        ("shipping", "greenhouse_candidates.csv", "text/csv"),
        ("okta", "entra_graph_signins.json", "application/json"),
        ("entra", "google_login_drive_token.json", "application/json"),
        ("google", "github_api.json", "application/json"),
        ("github", "osquery_results.log", "application/json"),
        ("osquery", "okta_system_log.json", "application/json"),
        ("marketplace", "okta_system_log.json", "application/json"),
    ];
    for (kind, file, content_type) in wrong {
        let reply = post(
            &app,
            &format!("/v1/ingest/{kind}"),
            content_type,
            fixture(file),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind} given {file}: {}",
            reply.json
        );
        assert_eq!(reply.content_type, "application/problem+json");
        let line = reply.json["line"].as_u64().unwrap();
        assert!(line >= 1, "{kind}: {}", reply.json);
        let detail = reply.json["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(&format!("this is not {kind} data: line {line}")),
            "{kind} given {file}: {detail}"
        );
    }
    // Nothing was queued.
    assert!(t.store.jobs(None, 10).await.unwrap().is_empty());

    // An unknown mapping and a mapping on a JSON kind are 400s.
    for uri in [
        "/v1/ingest/people?mapping=%2Fetc%2Fpasswd",
        "/v1/ingest/okta?mapping=generic",
    ] {
        let content_type = if uri.contains("people") {
            "text/csv"
        } else {
            "application/json"
        };
        let reply = post(&app, uri, content_type, fixture("okta_system_log.json")).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            reply.json
        );
    }
}
