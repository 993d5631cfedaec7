//! The API end to end through the router (no socket): route-by-route authorisation, the OpenAPI
//! document, screening, cases with the audit chain, sessions with CSRF, bad input, ingest via jobs.

#![allow(clippy::unwrap_used)] // test helpers: a failure is a test failure

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use redflag_server::api::route_specs;
use redflag_server::worker::{Worker, WorkerConfig};
use redflag_server::{AppState, Scope, router};
use redflag_store::testing::TestStore;
use tower::ServiceExt;

const ADMIN: &str = "rf_test_admin";

struct App {
    router: Router,
    state: AppState,
    t: TestStore,
}

async fn app() -> App {
    let t = TestStore::sqlite().await.unwrap();
    let state = AppState::new(t.store.clone());
    t.store
        .create_token("test", "admin", ADMIN, &["admin"])
        .await
        .unwrap();
    App {
        router: router(state.clone()),
        state,
        t,
    }
}

struct Reply {
    status: StatusCode,
    content_type: String,
    body: String,
    set_cookie: Option<String>,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header(header::CONTENT_TYPE).unwrap_or_default();
    let set_cookie = header(header::SET_COOKIE);
    let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
        .await
        .unwrap();
    Reply {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        set_cookie,
    }
}

fn request(
    method: Method,
    uri: &str,
    token: Option<&str>,
    json: Option<serde_json::Value>,
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    match json {
        Some(value) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(value.to_string()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "999")
        .replace("{dataset}", "default")
        .replace("{kind}", "people")
}

#[tokio::test]
async fn every_route_refuses_anonymous_and_wrongly_scoped_callers() {
    let app = app().await;
    let specs = route_specs();
    assert!(specs.len() >= 35, "the table lost routes: {}", specs.len());
    // One token per scope, holding every other scope except admin.
    for scope in Scope::ALL {
        let others: Vec<&str> = Scope::ALL
            .iter()
            .filter(|s| **s != scope && **s != Scope::Admin)
            .map(|s| s.as_str())
            .collect();
        app.t
            .store
            .create_token(
                "test",
                scope.as_str(),
                &format!("rf_without_{}", scope.as_str()),
                &others,
            )
            .await
            .unwrap();
    }
    let mut checked = 0;
    for spec in &specs {
        let uri = concrete(spec.path);
        let anonymous = send(&app.router, request(spec.method.clone(), &uri, None, None)).await;
        match spec.scope {
            None => {
                assert_ne!(
                    anonymous.status,
                    StatusCode::UNAUTHORIZED,
                    "{} {}",
                    spec.method,
                    spec.path
                );
                continue;
            }
            Some(scope) => {
                assert_eq!(
                    anonymous.status,
                    StatusCode::UNAUTHORIZED,
                    "{} {} anonymous",
                    spec.method,
                    spec.path
                );
                assert_eq!(anonymous.content_type, "application/problem+json");
                let bogus = send(
                    &app.router,
                    request(spec.method.clone(), &uri, Some("rf_not_a_token"), None),
                )
                .await;
                assert_eq!(
                    bogus.status,
                    StatusCode::UNAUTHORIZED,
                    "{} {} bogus token",
                    spec.method,
                    spec.path
                );
                let token = format!("rf_without_{}", scope.as_str());
                let wrong = send(
                    &app.router,
                    request(spec.method.clone(), &uri, Some(&token), None),
                )
                .await;
                assert_eq!(
                    wrong.status,
                    StatusCode::FORBIDDEN,
                    "{} {} without {scope:?}",
                    spec.method,
                    spec.path
                );
                assert!(wrong.body.contains(scope.as_str()), "{}", wrong.body);
                // The right scope gets past the check (whatever the handler then says about the input).
                let right = send(
                    &app.router,
                    request(spec.method.clone(), &uri, Some(ADMIN), None),
                )
                .await;
                assert!(
                    right.status != StatusCode::UNAUTHORIZED
                        && right.status != StatusCode::FORBIDDEN,
                    "{} {} admin got {}",
                    spec.method,
                    spec.path,
                    right.status
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30);
    // The console is behind sign-in too.
    let console = send(&app.router, request(Method::GET, "/console", None, None)).await;
    assert_eq!(console.status, StatusCode::SEE_OTHER);
    let console = send(
        &app.router,
        request(Method::POST, "/console/cases", None, None),
    )
    .await;
    assert_eq!(console.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = app().await;
    let doc = send(
        &app.router,
        request(Method::GET, "/openapi.json", None, None),
    )
    .await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    for spec in route_specs() {
        let method = spec.method.as_str().to_ascii_lowercase();
        assert!(
            doc["paths"][spec.path][&method].is_object(),
            "{} {} missing from /openapi.json",
            spec.method,
            spec.path
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn screening_finds_a_listed_name_and_an_exact_wallet() {
    let app = app().await;
    let hit = send(
        &app.router,
        request(
            Method::POST,
            "/v1/screen",
            Some(ADMIN),
            Some(serde_json::json!({ "name": "Sim Hyon Sop" })),
        ),
    )
    .await;
    assert_eq!(hit.status, StatusCode::OK, "{}", hit.body);
    let hit = hit.json();
    assert_eq!(hit["matches"][0]["entity_id"], "42498");
    assert!(
        !hit["matches"][0]["explanation"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let wallet = send(
        &app.router,
        request(
            Method::POST,
            "/v1/screen",
            Some(ADMIN),
            Some(serde_json::json!({ "wallet": "0x4F47BC496083C727C5FBE3CE9CDF2B0F6496270C" })),
        ),
    )
    .await
    .json();
    assert_eq!(wallet["matches"][0]["exact_identifier"], true);
    let nobody = send(
        &app.router,
        request(
            Method::POST,
            "/v1/screen",
            Some(ADMIN),
            Some(serde_json::json!({ "name": "Margaret Thornbury", "dob": "1990-04-02" })),
        ),
    )
    .await
    .json();
    assert_eq!(nobody["matches"].as_array().unwrap().len(), 0);

    // The same search in yente's /match shape.
    let yente = send(
        &app.router,
        request(
            Method::POST,
            "/match/default?threshold=0.8",
            Some(ADMIN),
            Some(serde_json::json!({ "queries": { "q1": { "schema": "Person", "properties": { "name": ["Shim Hyun-seop"] } } } })),
        ),
    )
    .await;
    assert_eq!(yente.status, StatusCode::OK, "{}", yente.body);
    let yente = yente.json();
    let top = &yente["responses"]["q1"]["results"][0];
    assert_eq!(top["match"], true);
    assert!(top["id"].as_str().unwrap().ends_with("42498"));
    let unknown = send(
        &app.router,
        request(
            Method::POST,
            "/match/nope",
            Some(ADMIN),
            Some(serde_json::json!({ "queries": {} })),
        ),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_problem_never_a_500() {
    let app = app().await;
    let raw = |uri: &str, content_type: &str, body: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let cases: Vec<(&str, Request<Body>, StatusCode)> = vec![
        (
            "malformed JSON",
            raw("/v1/screen", "application/json", b"{\"name\": ".to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong content type",
            raw("/v1/screen", "text/plain", b"{\"name\":\"x\"}".to_vec()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "unknown field",
            raw(
                "/v1/screen",
                "application/json",
                b"{\"nmae\":\"x\"}".to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "wrong type",
            raw("/v1/screen", "application/json", b"{\"name\":42}".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "oversized body",
            raw(
                "/v1/screen",
                "application/json",
                format!("{{\"name\":\"{}\"}}", "a".repeat(300_000)).into_bytes(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "long field",
            raw(
                "/v1/screen",
                "application/json",
                format!("{{\"name\":\"{}\"}}", "a".repeat(600)).into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "bad date",
            raw(
                "/v1/screen",
                "application/json",
                b"{\"name\":\"x\",\"dob\":\"yesterday\"}".to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "bad threshold",
            raw(
                "/v1/screen",
                "application/json",
                b"{\"name\":\"x\",\"threshold\":7}".to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "not JSON at all",
            raw("/v1/cases", "application/json", b"\xff\xfe<html>".to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad decision",
            raw(
                "/v1/cases/1/decision",
                "application/json",
                b"{\"decision\":\"maybe\",\"reason\":\"r\"}".to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "bad path id",
            raw("/v1/cases/abc/decision", "application/json", b"{}".to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        (
            "ingest wrong type",
            raw(
                "/v1/ingest/people",
                "application/json",
                b"id,name\n".to_vec(),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "ingest unknown kind",
            raw("/v1/ingest/passwords", "text/csv", b"x".to_vec()),
            StatusCode::NOT_FOUND,
        ),
        (
            "ingest empty",
            raw("/v1/ingest/people", "text/csv", Vec::new()),
            StatusCode::BAD_REQUEST,
        ),
        (
            "ingest bad system",
            raw(
                "/v1/ingest/people?system=a%27%3B--",
                "text/csv",
                b"id,name\n1,A\n".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "case on nobody",
            raw(
                "/v1/cases",
                "application/json",
                b"{\"target_kind\":\"subject\",\"target_id\":\"ats:1' OR '1'='1\",\"title\":\"t\"}"
                    .to_vec(),
            ),
            StatusCode::NOT_FOUND,
        ),
    ];
    for (what, req, expected) in cases {
        let reply = send(&app.router, req).await;
        assert_eq!(reply.status, expected, "{what}: {}", reply.body);
        assert_eq!(reply.content_type, "application/problem+json", "{what}");
        let body = reply.json();
        assert_eq!(body["status"], expected.as_u16(), "{what}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}"
        );
    }
    let missing = send(
        &app.router,
        request(Method::GET, "/v2/nothing", Some(ADMIN), None),
    )
    .await;
    assert_eq!(
        (missing.status, missing.content_type.as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json")
    );
    let wrong_method = send(
        &app.router,
        request(Method::PUT, "/v1/screen", Some(ADMIN), None),
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);

    // Injection strings are data: stored and returned verbatim as JSON, the tables intact.
    let csv = "id,name,email\n1,Robert' OR '1'='1,bobby@example.com\n2,<script>alert(1)</script>,x@example.com\n";
    let accepted = send(
        &app.router,
        raw(
            "/v1/ingest/people?system=ats",
            "text/csv",
            csv.as_bytes().to_vec(),
        ),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.body);
    let worker = Worker::new(app.t.store.clone(), WorkerConfig::default());
    let ingest = worker.run_once().await.unwrap().unwrap();
    assert_eq!(
        ingest.outcome.as_ref().unwrap()["accepted"],
        2,
        "{ingest:?}"
    );
    let subject = send(
        &app.router,
        request(Method::GET, "/v1/subjects/ats:1", Some(ADMIN), None),
    )
    .await;
    assert_eq!(subject.status, StatusCode::OK, "{}", subject.body);
    assert_eq!(
        subject.json()["subject"]["name"]["full"],
        "Robert' OR '1'='1"
    );
    assert!(subject.content_type.starts_with("application/json"));
    let html = send(
        &app.router,
        request(Method::GET, "/v1/subjects/ats:2", Some(ADMIN), None),
    )
    .await;
    assert_eq!(
        html.json()["subject"]["name"]["full"],
        "<script>alert(1)</script>"
    );
    let title = "'); DROP TABLE cases;-- <img src=x onerror=alert(1)>";
    let opened = send(
        &app.router,
        request(Method::POST, "/v1/cases", Some(ADMIN), Some(serde_json::json!({ "target_kind": "subject", "target_id": "ats:1", "title": title }))),
    )
    .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let listed = send(
        &app.router,
        request(Method::GET, "/v1/cases", Some(ADMIN), None),
    )
    .await;
    assert_eq!(listed.json()[0]["title"], title);
    assert_eq!(app.t.store.counts().await.unwrap().subjects, 2);
}

#[tokio::test]
async fn cases_and_decisions_through_the_api_are_audited() {
    let app = app().await;
    let decider = "rf_decider";
    app.t
        .store
        .create_token("test", "analyst", decider, &["read", "decide"])
        .await
        .unwrap();
    let csv = "id,name,email\n7,Ann Example,ann@example.com\n";
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/ingest/people?system=ats")
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv))
        .unwrap();
    assert_eq!(send(&app.router, req).await.status, StatusCode::ACCEPTED);
    Worker::new(app.t.store.clone(), WorkerConfig::default())
        .run_once()
        .await
        .unwrap();

    let opened = send(
        &app.router,
        request(Method::POST, "/v1/cases", Some(decider), Some(serde_json::json!({ "target_kind": "subject", "target_id": "ats:7", "title": "VPN and a shared phone" }))),
    )
    .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let id = opened.json()["id"].as_i64().unwrap();
    let path = |tail: &str| format!("/v1/cases/{id}{tail}");
    let ok = |r: &Reply| assert!(r.status.is_success(), "{}", r.body);
    ok(&send(
        &app.router,
        request(
            Method::POST,
            &path("/assign"),
            Some(decider),
            Some(serde_json::json!({ "assignee": "bo" })),
        ),
    )
    .await);
    ok(&send(
        &app.router,
        request(
            Method::POST,
            &path("/comments"),
            Some(decider),
            Some(serde_json::json!({ "body": "called the reference" })),
        ),
    )
    .await);
    let empty_reason = send(
        &app.router,
        request(
            Method::POST,
            &path("/decision"),
            Some(decider),
            Some(serde_json::json!({ "decision": "cleared", "reason": "  " })),
        ),
    )
    .await;
    assert_eq!(empty_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    ok(&send(&app.router, request(Method::POST, &path("/decision"), Some(decider), Some(serde_json::json!({ "decision": "false_positive", "reason": "verified identity in person" })))).await);
    let shown = send(
        &app.router,
        request(Method::GET, &path(""), Some(decider), None),
    )
    .await
    .json();
    assert_eq!(shown["case"]["decision"], "false_positive");
    assert_eq!(shown["comments"].as_array().unwrap().len(), 1);

    let audit = send(
        &app.router,
        request(Method::GET, "/v1/audit", Some(ADMIN), None),
    )
    .await
    .json();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.ends_with(&["case.open", "case.assign", "case.comment", "case.decide"]),
        "{actions:?}"
    );
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["actor"] == "token:2")
    );
    let verdict = send(
        &app.router,
        request(Method::GET, "/v1/audit/verify", Some(ADMIN), None),
    )
    .await
    .json();
    assert!(verdict["Intact"].is_object(), "{verdict}");
    // A reader cannot decide.
    app.t
        .store
        .create_token("test", "reader", "rf_reader", &["read"])
        .await
        .unwrap();
    let refused = send(
        &app.router,
        request(
            Method::POST,
            &path("/decision"),
            Some("rf_reader"),
            Some(serde_json::json!({ "decision": "confirmed", "reason": "r" })),
        ),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sessions_need_the_csrf_token_and_roles_limit_what_users_do() {
    let app = app().await;
    let create = |name: &str, role: &str| {
        request(
            Method::POST,
            "/v1/users",
            Some(ADMIN),
            Some(
                serde_json::json!({ "username": name, "password": "correct horse battery", "role": role }),
            ),
        )
    };
    assert_eq!(
        send(&app.router, create("ana", "analyst")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&app.router, create("rory", "read_only")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        send(&app.router, create("ana", "admin")).await.status,
        StatusCode::CONFLICT
    );
    let short = request(
        Method::POST,
        "/v1/users",
        Some(ADMIN),
        Some(serde_json::json!({ "username": "x", "password": "short", "role": "admin" })),
    );
    assert_eq!(
        send(&app.router, short).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let login = |name: &str, password: &str| {
        request(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(serde_json::json!({ "username": name, "password": password })),
        )
    };
    assert_eq!(
        send(&app.router, login("ana", "wrong password"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app.router, login("nobody", "wrong password"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let signed_in = send(&app.router, login("ana", "correct horse battery")).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let cookie_header = signed_in.set_cookie.clone().unwrap();
    assert!(
        cookie_header.contains("HttpOnly")
            && cookie_header.contains("Secure")
            && cookie_header.contains("SameSite=Strict")
    );
    let cookie = cookie_header.split(';').next().unwrap().to_string();
    let csrf = signed_in.json()["csrf_token"].as_str().unwrap().to_string();

    let with_cookie =
        |method: Method, uri: &str, csrf: Option<&str>, json: Option<serde_json::Value>| {
            let mut req = request(method, uri, None, json);
            req.headers_mut()
                .insert(header::COOKIE, cookie.parse().unwrap());
            if let Some(csrf) = csrf {
                req.headers_mut()
                    .insert("x-csrf-token", csrf.parse().unwrap());
            }
            req
        };
    let me = send(
        &app.router,
        with_cookie(Method::GET, "/v1/auth/me", None, None),
    )
    .await;
    assert_eq!(me.json()["actor"], "user:ana");
    let screen = serde_json::json!({ "name": "Sim Hyon Sop" });
    let forged = send(
        &app.router,
        with_cookie(Method::POST, "/v1/screen", None, Some(screen.clone())),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    let wrong = send(
        &app.router,
        with_cookie(
            Method::POST,
            "/v1/screen",
            Some("nope"),
            Some(screen.clone()),
        ),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let good = send(
        &app.router,
        with_cookie(Method::POST, "/v1/screen", Some(&csrf), Some(screen)),
    )
    .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    let admin_only = send(
        &app.router,
        with_cookie(Method::GET, "/v1/tokens", None, None),
    )
    .await;
    assert_eq!(admin_only.status, StatusCode::FORBIDDEN);

    let reader = send(&app.router, login("rory", "correct horse battery")).await;
    let reader_cookie = reader
        .set_cookie
        .clone()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let reader_csrf = reader.json()["csrf_token"].as_str().unwrap().to_string();
    let mut req = request(
        Method::POST,
        "/v1/screen",
        None,
        Some(serde_json::json!({ "name": "x" })),
    );
    req.headers_mut()
        .insert(header::COOKIE, reader_cookie.parse().unwrap());
    req.headers_mut()
        .insert("x-csrf-token", reader_csrf.parse().unwrap());
    assert_eq!(send(&app.router, req).await.status, StatusCode::FORBIDDEN);

    let out = send(
        &app.router,
        with_cookie(Method::POST, "/v1/auth/logout", Some(&csrf), None),
    )
    .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = send(
        &app.router,
        with_cookie(Method::GET, "/v1/auth/me", None, None),
    )
    .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let records = app.t.store.audit_records(0, 100).await.unwrap();
    assert!(
        records
            .iter()
            .any(|r| r.action == "auth.login" && r.actor == "user:ana")
    );
    assert!(records.iter().any(|r| r.action == "auth.login_failed"));
    // No password or hash in the audit log.
    assert!(
        records
            .iter()
            .all(|r| !r.detail.contains("horse") && !r.detail.contains("argon2"))
    );

    // Sign-in attempts are rate-limited per name.
    let mut limited = false;
    for _ in 0..8 {
        if send(&app.router, login("rory", "bad bad bad")).await.status
            == StatusCode::TOO_MANY_REQUESTS
        {
            limited = true;
        }
    }
    assert!(limited);
}

#[tokio::test]
async fn tokens_are_created_shown_once_and_revoked() {
    let app = app().await;
    let created = send(
        &app.router,
        request(
            Method::POST,
            "/v1/tokens",
            Some(ADMIN),
            Some(serde_json::json!({ "name": "ats", "scopes": ["screen"] })),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let created = created.json();
    let secret = created["token"].as_str().unwrap().to_string();
    let listed = send(
        &app.router,
        request(Method::GET, "/v1/tokens", Some(ADMIN), None),
    )
    .await;
    assert!(!listed.body.contains(&secret));
    let screen = || {
        request(
            Method::POST,
            "/v1/screen",
            Some(&secret),
            Some(serde_json::json!({ "name": "x" })),
        )
    };
    assert_eq!(send(&app.router, screen()).await.status, StatusCode::OK);
    let id = created["id"].as_i64().unwrap();
    let revoked = send(
        &app.router,
        request(
            Method::DELETE,
            &format!("/v1/tokens/{id}"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        send(&app.router, screen()).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = app().await;
    send(
        &app.router,
        request(Method::GET, "/v1/cases/12345", Some(ADMIN), None),
    )
    .await;
    let metrics = send(
        &app.router,
        request(Method::GET, "/metrics", Some(ADMIN), None),
    )
    .await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .body
            .contains("route=\"/v1/cases/{id}\",method=\"GET\",status=\"4xx\"} 1"),
        "{}",
        metrics.body
    );
    assert!(!metrics.body.contains("12345"));
    assert!(metrics.body.contains("redflag_subjects 0"));
    let _ = Arc::new(app.state);
}
