//! Webhook alerts over HTTPS: a local TLS receiver with a self-signed certificate (rcgen) for
//! `localhost`. A worker trusting only the public (webpki) roots refuses the certificate and the alert
//! waits for its retry; a worker whose roots hold that certificate delivers it, HMAC-signed.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use redflag_server::worker::{TlsRoots, Webhook, Worker, WorkerConfig, sign};
use redflag_store::testing::TestStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A TCP listener that completes a TLS handshake before handing a connection to axum.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A client that refuses our certificate aborts the handshake: wait for the next one.
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

type Received = Arc<Mutex<Vec<(String, String)>>>;

/// An HTTPS receiver on 127.0.0.1; returns its URL (host `localhost`), its certificate and what it got.
async fn tls_receiver() -> (String, CertificateDer<'static>, Received) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.clone()], key)
    .unwrap();
    let received: Received = Arc::default();
    let app = Router::new().route(
        "/hook",
        post({
            let received = received.clone();
            move |headers: HeaderMap, body: String| async move {
                let signature = headers
                    .get("x-redflag-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                received.lock().unwrap().push((signature, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("https://localhost:{port}/hook"), cert, received)
}

fn worker(t: &TestStore, url: &str, roots: TlsRoots) -> Worker {
    Worker::new(
        t.store.clone(),
        WorkerConfig {
            id: "tls".into(),
            webhook: Some(Webhook {
                url: url.to_string(),
                secret: "tls-hmac-key".into(),
                roots,
            }),
            ..WorkerConfig::default()
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_go_over_https_to_a_trusted_certificate_only() {
    let t = TestStore::sqlite().await.unwrap();
    let (url, cert, received) = tls_receiver().await;
    let payload_json =
        serde_json::json!({ "type": "assessment.high_risk", "subject": "ats:1", "level": "high" });
    let payload = payload_json.to_string();
    assert!(
        t.store
            .enqueue_alert(
                "assessment",
                "ats:1",
                "assessment:ats:1:high:x",
                &payload_json
            )
            .await
            .unwrap()
    );

    // Public roots only: the self-signed certificate is refused, nothing is sent, the alert waits.
    let public = worker(&t, &url, TlsRoots::WebPki);
    assert_eq!(public.deliver_alerts().await.unwrap(), 0);
    assert!(received.lock().unwrap().is_empty());
    assert_eq!(
        t.store.alert_counts().await.unwrap(),
        [("pending".to_string(), 1)]
    );

    // After the backoff, a worker trusting the receiver's certificate delivers it.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let trusting = worker(&t, &url, TlsRoots::Custom(Arc::new(roots)));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(trusting.deliver_alerts().await.unwrap(), 1);
    let (signature, body) = received.lock().unwrap()[0].clone();
    assert_eq!(body, payload);
    let timestamp: i64 = signature
        .strip_prefix("t=")
        .and_then(|s| s.split(',').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        signature,
        sign("tls-hmac-key", timestamp, &body),
        "valid HMAC"
    );
    assert_eq!(
        t.store.alert_counts().await.unwrap(),
        [("delivered".to_string(), 1)]
    );
}

#[test]
fn ca_files_are_read_from_pem() {
    let certified = rcgen::generate_simple_self_signed(vec!["hooks.internal".to_string()]).unwrap();
    let pem = certified.cert.pem();
    match TlsRoots::with_pem(pem.as_bytes()).unwrap() {
        TlsRoots::WebPkiAnd(extra) => assert_eq!(extra.len(), 1),
        other => panic!("{other:?}"),
    }
    assert!(TlsRoots::with_pem(b"not a certificate").is_err());
    assert!(TlsRoots::WebPki.client_config().is_ok());
}
