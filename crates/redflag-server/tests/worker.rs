//! Ingest → assess → alert through the queue: a listed wallet in a people upload becomes a high-risk
//! assessment, whose webhook alert is HMAC-signed, retried after a failed delivery, and never sent twice
//! when the assessment is re-run.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use redflag_server::worker::{Webhook, Worker, WorkerConfig, sign};
use redflag_store::NewJob;
use redflag_store::testing::TestStore;

#[derive(Default)]
struct Received {
    calls: usize,
    delivered: Vec<(String, String)>,
}

async fn webhook_server() -> (String, Arc<Mutex<Received>>) {
    let received: Arc<Mutex<Received>> = Arc::default();
    let state = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let mut r = state.lock().unwrap();
                r.calls += 1;
                if r.calls == 1 {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let signature = headers
                    .get("x-redflag-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                r.delivered.push((signature, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/hook"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_wallet_raises_one_signed_alert_delivered_after_a_retry() {
    let t = TestStore::sqlite().await.unwrap();
    let (url, received) = webhook_server().await;
    let secret = "s3cret-hmac-key";
    let worker = Worker::new(
        t.store.clone(),
        WorkerConfig {
            id: "w".into(),
            webhook: Some(Webhook {
                url,
                secret: secret.into(),
                ..Webhook::default()
            }),
            ..WorkerConfig::default()
        },
    );
    let csv = "id,name,email,wallet\n1,Jon Smithers,jon@example.com,0x4F47BC496083C727C5FBE3CE9CDF2B0F6496270C\n2,Ann Normal,ann@example.com,\n";
    t.store
        .enqueue_job(&NewJob {
            kind: "ingest".into(),
            payload: serde_json::json!({ "kind": "people", "system": "ats", "source": "people.csv" }),
            blob: Some(csv.as_bytes().to_vec()),
            ..Default::default()
        })
        .await
        .unwrap();
    let reports = worker.drain().await.unwrap();
    let kinds: Vec<&str> = reports.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["ingest", "assess"], "{reports:?}");
    let assess = reports[1].outcome.as_ref().unwrap();
    assert_eq!(assess["high_risk"], 1, "{assess}");
    assert_eq!(assess["new_alerts"], 1);
    // The first delivery failed (500): the alert waits for its backoff.
    assert_eq!(received.lock().unwrap().calls, 1);
    assert!(received.lock().unwrap().delivered.is_empty());
    assert_eq!(
        t.store.alert_counts().await.unwrap(),
        [("pending".to_string(), 1)]
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(worker.deliver_alerts().await.unwrap(), 1);
    let (signature, body) = received.lock().unwrap().delivered[0].clone();
    let timestamp: i64 = signature
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(signature, sign(secret, timestamp, &body), "valid HMAC");
    assert_ne!(signature, sign("other key", timestamp, &body));
    let alert: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(alert["type"], "assessment.high_risk");
    assert_eq!(alert["subject"], "ats:1");
    assert!(
        !body.contains("Jon Smithers"),
        "alerts carry ids, not names"
    );

    // Re-running the assessment raises nothing new.
    t.store
        .enqueue_job(&NewJob {
            kind: "assess".into(),
            dedupe_key: Some("assess".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let again = worker.drain().await.unwrap();
    assert_eq!(again[0].outcome.as_ref().unwrap()["new_alerts"], 0);
    assert_eq!(received.lock().unwrap().delivered.len(), 1);
    // The run recorded the rule pack and list versions it used, audited.
    assert_eq!(t.store.rule_pack_versions().await.unwrap().len(), 1);
    assert!(!t.store.list_versions().await.unwrap().is_empty());
    let actions: Vec<String> = t
        .store
        .audit_records(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(
        actions.contains(&"rules.change".to_string())
            && actions.contains(&"lists.update".to_string())
    );
}

#[tokio::test]
async fn a_job_of_unknown_kind_fails_with_its_reason_after_its_attempts() {
    let t = TestStore::sqlite().await.unwrap();
    let worker = Worker::new(t.store.clone(), WorkerConfig::default());
    let id = t
        .store
        .enqueue_job(&NewJob {
            kind: "mystery".into(),
            max_attempts: Some(1),
            ..Default::default()
        })
        .await
        .unwrap()
        .unwrap();
    let report = worker.run_once().await.unwrap().unwrap();
    assert!(report.outcome.unwrap_err().contains("unknown job kind"));
    let status = t.store.job(id).await.unwrap().unwrap();
    assert_eq!(status.status, "failed");
}
