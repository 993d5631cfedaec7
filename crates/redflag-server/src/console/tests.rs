//! The console end to end through the router (no socket): every page on the fixture population,
//! escaping of hostile data, security headers, filters, keyset pagination, cases and evidence packs.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use super::fixture::{self, FixtureIds, PAYLOAD_NAME};
use super::layout::enc;
use crate::AppState;

/// The engines, built once for every test of this binary.
async fn shared_engines() -> std::sync::Arc<redflag_pipeline::Engines> {
    static ENGINES: std::sync::OnceLock<std::sync::Arc<redflag_pipeline::Engines>> =
        std::sync::OnceLock::new();
    tokio::task::spawn_blocking(|| {
        ENGINES
            .get_or_init(|| std::sync::Arc::new(redflag_pipeline::Engines::builtin().unwrap()))
            .clone()
    })
    .await
    .unwrap()
}

struct App {
    router: Router,
    ids: FixtureIds,
    store: redflag_store::Store,
    _dir: tempfile::TempDir,
}

async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = redflag_store::Store::open_data_dir(dir.path())
        .await
        .unwrap();
    store.ensure_console_indexes().await.unwrap();
    let engines = shared_engines().await;
    let ids = fixture::populate(&store, &engines).await.unwrap();
    let router = super::routes().with_state(AppState::new(store.clone()).with_engines(engines));
    App {
        router,
        ids,
        store,
        _dir: dir,
    }
}

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
    bytes: Vec<u8>,
}

async fn send(app: &Router, request: Request<Body>) -> Page {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap()
        .to_vec();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

async fn get(app: &Router, uri: &str) -> Page {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn post(app: &Router, uri: &str, form: &str) -> Page {
    send(
        app,
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_string()))
            .unwrap(),
    )
    .await
}

fn ok(page: &Page, uri: &str) {
    assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_renders_with_security_headers() {
    let app = app().await;
    let member = &app.ids.ring_members[0];
    let uris = [
        "/console".to_string(),
        "/console/subjects".into(),
        format!("/console/subjects/{}", enc(member)),
        "/console/rings".into(),
        format!("/console/rings/{}", app.ids.ring),
        "/console/screen".into(),
        "/console/cases".into(),
        "/console/rules".into(),
        "/console/lists".into(),
        "/console/static/console.css".into(),
        "/console/static/console.js".into(),
    ];
    for uri in &uris {
        let page = get(&app.router, uri).await;
        ok(&page, uri);
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{uri}: {csp}");
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        if uri.ends_with(".css") || uri.ends_with(".js") {
            continue;
        }
        // No inline script or style anywhere (the CSP would block it).
        assert!(!page.body.contains("<script>"), "{uri}");
        assert!(!page.body.contains(" style=\""), "{uri}");
        assert!(!page.body.contains("<style"), "{uri}");
        assert!(page.body.contains("<main id=\"main\""), "{uri}");
    }
    let missing = get(&app.router, "/console/subjects/demo%3Anobody").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.headers.contains_key("content-security-policy"));
}

#[tokio::test(flavor = "multi_thread")]
async fn overview_leads_to_the_planted_ring() {
    let app = app().await;
    let page = get(&app.router, "/console").await;
    ok(&page, "/console");
    assert!(
        page.body.contains("/console/rings/ring-001"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Daniel Whitaker"));
    assert!(page.body.contains("us-ofac-sdn") || page.body.contains("OFAC"));
    let ring = get(&app.router, "/console/rings/ring-001").await;
    ok(&ring, "ring");
    assert!(ring.body.contains("id=\"ring-graph\""));
    assert!(ring.body.contains("data-personas=\"3\""), "{}", ring.body);
    for name in ["Daniel Whitaker", "Ethan Brooks", "Ryan Coleman"] {
        assert!(ring.body.contains(name), "{name}");
    }
    assert!(ring.body.contains("PAYEE88213407"), "{}", ring.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn subject_page_explains_and_draws() {
    let app = app().await;
    let uri = format!("/console/subjects/{}", enc(&app.ids.sanctioned));
    let page = get(&app.router, &uri).await;
    ok(&page, &uri);
    let body = &page.body;
    assert!(body.contains("id=\"map\""));
    assert!(body.contains("id=\"timeline\""));
    assert!(body.contains("id=\"heatmap\""));
    assert!(body.contains("class=\"finding"), "no finding rendered");
    assert!(body.contains("RF-"), "no rule id");
    assert!(body.contains("Sanctions matches"), "no sanctions section");
    // Sign-ins are drawn: VPN (red) and direct points exist, and the claimed location.
    assert!(body.contains("fill=\"#d92d20\""), "no VPN point");
    assert!(
        body.contains("claimed location: Austin"),
        "no claimed point"
    );
    // The personas linked through the shared laptop are listed with the identifiers.
    assert!(body.contains("Ethan Brooks") && body.contains("Ryan Coleman"));
    assert!(body.contains("href=\"https://"), "no public source link");
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_fields_render_as_text() {
    let app = app().await;
    let uri = format!("/console/subjects/{}", enc(&app.ids.hostile));
    for uri in [
        uri.clone(),
        "/console/subjects?sort=name".into(),
        format!("/console/subjects?q={}", enc(&app.ids.hostile)),
        format!("/console/subjects?q={}", enc("<script>")),
    ] {
        let page = get(&app.router, &uri).await;
        ok(&page, &uri);
        assert!(!page.body.contains("<script>alert"), "{uri}");
        assert!(!page.body.contains("<img src=x"), "{uri}");
        assert!(!page.body.contains("<svg onload"), "{uri}");
        assert!(!page.body.contains("<b>London</b>"), "{uri}");
    }
    let page = get(&app.router, &uri).await;
    assert!(
        page.body
            .contains("&lt;script&gt;alert('xss')&lt;/script&gt;")
    );
    assert!(page.body.contains("&lt;b&gt;London&lt;/b&gt;"));
    // The evidence pack's report escapes too.
    let pack = get(&app.router, &format!("{uri}/pack.zip")).await;
    let report = unzip(&pack.bytes, "report.html");
    assert!(!report.contains("<script"));
    assert!(report.contains("&lt;script&gt;"));
    assert!(PAYLOAD_NAME.contains("<script>"));
}

fn unzip(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut file = archive.by_name(name).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_search_and_sort() {
    let app = app().await;
    let ring = get(&app.router, "/console/subjects?ring=ring-001").await;
    ok(&ring, "ring filter");
    assert_eq!(ring.body.matches("/console/subjects/demo%3A100").count(), 3);
    assert!(!ring.body.contains("Maria Fernandes"));

    let by_email = get(
        &app.router,
        "/console/subjects?q=ethanbrooks.codes%40outlook.com",
    )
    .await;
    assert!(by_email.body.contains("Ethan Brooks"));
    assert!(!by_email.body.contains("Daniel Whitaker"));

    let prefix = get(&app.router, "/console/subjects?q=MARIA").await;
    assert!(prefix.body.contains("Maria Fernandes"));
    assert!(!prefix.body.contains("Jonas Becker"));

    let network = get(&app.router, "/console/subjects?stage=network").await;
    ok(&network, "stage");
    assert!(network.body.contains("Daniel Whitaker"));
    assert!(
        !network.body.contains("Sofia Lindqvist"),
        "{}",
        network.body
    );

    let by_name = get(&app.router, "/console/subjects?sort=name").await;
    let a = by_name.body.find("Aisha Bello").unwrap();
    let s = by_name.body.find("Sofia Lindqvist").unwrap();
    assert!(a < s);

    for bad in [
        "/console/subjects?level=extreme",
        "/console/subjects?sort=zzz",
        "/console/subjects?stage=moon",
    ] {
        assert_eq!(
            get(&app.router, bad).await.status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keyset_pages_cover_everyone_once_in_order() {
    let app = app().await;
    let mut seen = Vec::new();
    let mut uri = "/console/subjects?sort=name".to_string();
    for _ in 0..10 {
        let page = get(&app.router, &uri).await;
        ok(&page, &uri);
        for part in page.body.split("<td><a href=\"/console/subjects/").skip(1) {
            seen.push(part.split('"').next().unwrap().to_string());
        }
        match page.body.split("id=\"next-page\" href=\"").nth(1) {
            Some(rest) => uri = rest.split('"').next().unwrap().replace("&amp;", "&"),
            None => break,
        }
    }
    let counts = app.store.counts().await.unwrap();
    assert_eq!(seen.len() as i64, counts.assessments);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());

    // Direct store paging with a page of 3 walks the same set in score order.
    use redflag_store::console_queries::{SubjectFilter, SubjectSort};
    let mut after = None;
    let mut scores = Vec::new();
    loop {
        let rows = app
            .store
            .console_subjects(&SubjectFilter::default(), SubjectSort::ScoreDesc, after, 3)
            .await
            .unwrap();
        let Some(last) = rows.last() else { break };
        after = Some((last.sort_key(SubjectSort::ScoreDesc), last.id.clone()));
        scores.extend(rows.iter().map(|r| r.score));
    }
    assert_eq!(scores.len(), seen.len());
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cases_open_assign_comment_decide() {
    let app = app().await;
    let target = &app.ids.ring_members[1];
    let opened = post(
        &app.router,
        "/console/cases",
        &format!("target_kind=subject&target_id={}", enc(target)),
    )
    .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let location = opened.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with("/console/cases/"));
    for (action, form) in [
        ("assign", "assignee=alex"),
        (
            "comment",
            "body=Payout+account+shared+with+two+other+applicants",
        ),
        (
            "decide",
            "decision=escalated&reason=Shared+laptop+serial+and+payout+account%3B+to+security",
        ),
    ] {
        let done = post(&app.router, &format!("{location}/{action}"), form).await;
        assert_eq!(
            done.status,
            StatusCode::SEE_OTHER,
            "{action}: {}",
            done.body
        );
    }
    let page = get(&app.router, &location).await;
    ok(&page, &location);
    assert!(page.body.contains("alex"));
    assert!(page.body.contains("Payout account shared"));
    assert!(page.body.contains("escalated"));
    assert!(
        page.body.contains("case.decide"),
        "audit history missing: {}",
        page.body
    );
    let short = post(
        &app.router,
        &format!("{location}/decide"),
        "decision=cleared&reason=ok",
    )
    .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let list = get(&app.router, "/console/subjects?case=open").await;
    assert!(list.body.contains("Ethan Brooks"), "{}", list.body);

    // A cross-site post is refused.
    let forged = send(
        &app.router,
        Request::post("/console/cases")
            .header(header::HOST, "console.example")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "target_kind=subject&target_id={}",
                enc(target)
            )))
            .unwrap(),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn screening_explains_an_exact_wallet() {
    let app = app().await;
    let page = post(
        &app.router,
        "/console/screen",
        &format!("name=&wallet={}", fixture::SANCTIONED_WALLET),
    )
    .await;
    ok(&page, "screen");
    assert!(page.body.contains("exact identifier"), "{}", page.body);
    assert!(page.body.contains(fixture::SANCTIONED_WALLET));
    let empty = post(&app.router, "/console/screen", "name=").await;
    assert!(empty.body.contains("id=\"screen-error\""), "{}", empty.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn evidence_packs_hold_report_json_and_csv() {
    let app = app().await;
    let pack = get(
        &app.router,
        &format!("/console/subjects/{}/pack.zip", enc(&app.ids.sanctioned)),
    )
    .await;
    ok(&pack, "pack");
    assert_eq!(pack.headers[header::CONTENT_TYPE], "application/zip");
    let report = unzip(&pack.bytes, "report.html");
    assert!(report.contains("<style>"), "styles must be inline");
    assert!(
        !report.contains("/console/static/"),
        "no external stylesheet"
    );
    assert!(report.contains("id=\"map\""));
    let json: serde_json::Value =
        serde_json::from_str(&unzip(&pack.bytes, "findings.json")).unwrap();
    assert!(
        !json["assessment"]["findings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let csv = unzip(&pack.bytes, "events.csv");
    assert!(csv.lines().count() > 50, "{csv}");
    assert!(csv.starts_with("subject,event_id,time_utc"));

    let ring = get(&app.router, "/console/rings/ring-001/pack.zip").await;
    ok(&ring, "ring pack");
    let report = unzip(&ring.bytes, "report.html");
    assert!(report.contains("Ryan Coleman"));
    let csv = unzip(&ring.bytes, "events.csv");
    assert!(csv.lines().count() > 150);
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_page_counts_hits() {
    let app = app().await;
    let page = get(&app.router, "/console/rules").await;
    ok(&page, "rules");
    assert!(page.body.contains("id=\"rules\""));
    // At least one rule links to its subjects with a non-zero count.
    assert!(
        page.body.contains("/console/subjects?rule=RF-"),
        "{}",
        page.body
    );
}
