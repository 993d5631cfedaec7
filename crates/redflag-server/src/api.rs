//! The JSON API: handlers, their request and response types, and the route table that names the scope
//! each route needs (the router and the authorisation test are both built from [`routes`]).

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, delete, get, post};
use axum::{Form, Json};
use futures_util::StreamExt;
use redflag_model::{RiskLevel, SubjectId};
use redflag_store::{CaseFilter, CaseTarget, Decision, NewJob};
use redflag_watchlist::{PartialDate, Query as ScreenQuery, ScreenOptions};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{Principal, Role, Scope};
use crate::problem::{ApiError, ApiJson, ApiPath, ApiQuery};

/// One API route: method, path template and the scope it needs (`None`: public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path template (`{id}` for parameters).
    pub path: &'static str,
    /// Needed scope; `None` for the public probes, the OpenAPI document and sign-in.
    pub scope: Option<Scope>,
}

fn r(
    method: Method,
    path: &'static str,
    scope: Option<Scope>,
    handler: MethodRouter<AppState>,
) -> (RouteSpec, MethodRouter<AppState>) {
    (
        RouteSpec {
            method,
            path,
            scope,
        },
        handler,
    )
}

/// Every API route with its handler.
pub fn routes() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Scope::*;
    vec![
        r(Method::GET, "/healthz", None, get(healthz)),
        r(Method::GET, "/readyz", None, get(readyz)),
        r(Method::GET, "/openapi.json", None, get(openapi)),
        r(Method::GET, "/login", None, get(login_page)),
        r(Method::POST, "/login", None, post(login_form)),
        r(Method::POST, "/v1/auth/login", None, post(login_json)),
        r(Method::POST, "/v1/auth/logout", Some(Read), post(logout)),
        r(Method::GET, "/v1/auth/me", Some(Read), get(me)),
        r(Method::GET, "/metrics", Some(Read), get(metrics)),
        r(Method::POST, "/v1/screen", Some(Screen), post(screen)),
        r(
            Method::POST,
            "/match/{dataset}",
            Some(Screen),
            post(yente_match),
        ),
        r(
            Method::POST,
            "/v1/ingest/{kind}",
            Some(Ingest),
            post(ingest),
        ),
        r(Method::POST, "/v1/assess", Some(Ingest), post(assess)),
        r(Method::GET, "/v1/jobs", Some(Read), get(jobs)),
        r(Method::GET, "/v1/jobs/{id}", Some(Read), get(job)),
        r(Method::GET, "/v1/subjects", Some(Read), get(subjects)),
        r(Method::GET, "/v1/subjects/{id}", Some(Read), get(subject)),
        r(
            Method::DELETE,
            "/v1/subjects/{id}",
            Some(Admin),
            delete(erase_subject),
        ),
        r(
            Method::GET,
            "/v1/subjects/{id}/events",
            Some(Read),
            get(subject_events),
        ),
        r(
            Method::GET,
            "/v1/subjects/{id}/export",
            Some(Admin),
            get(export_subject),
        ),
        r(Method::GET, "/v1/assessments", Some(Read), get(assessments)),
        r(
            Method::GET,
            "/v1/assessments/{id}",
            Some(Read),
            get(assessment),
        ),
        r(Method::GET, "/v1/rings", Some(Read), get(rings)),
        r(Method::GET, "/v1/rings/{id}", Some(Read), get(ring)),
        r(Method::GET, "/v1/cases", Some(Read), get(cases)),
        r(Method::POST, "/v1/cases", Some(Decide), post(open_case)),
        r(Method::GET, "/v1/cases/{id}", Some(Read), get(case)),
        r(
            Method::POST,
            "/v1/cases/{id}/assign",
            Some(Decide),
            post(assign_case),
        ),
        r(
            Method::POST,
            "/v1/cases/{id}/comments",
            Some(Decide),
            post(comment_case),
        ),
        r(
            Method::POST,
            "/v1/cases/{id}/decision",
            Some(Decide),
            post(decide_case),
        ),
        r(Method::GET, "/v1/rules", Some(Read), get(rules)),
        r(Method::GET, "/v1/rules/{id}", Some(Read), get(rule)),
        r(Method::GET, "/v1/lists", Some(Read), get(lists)),
        r(Method::GET, "/v1/audit", Some(Admin), get(audit)),
        r(
            Method::GET,
            "/v1/audit/verify",
            Some(Admin),
            get(audit_verify),
        ),
        r(Method::GET, "/v1/tokens", Some(Admin), get(tokens)),
        r(Method::POST, "/v1/tokens", Some(Admin), post(create_token)),
        r(
            Method::DELETE,
            "/v1/tokens/{id}",
            Some(Admin),
            delete(revoke_token),
        ),
        r(Method::GET, "/v1/users", Some(Admin), get(users)),
        r(Method::POST, "/v1/users", Some(Admin), post(create_user)),
    ]
}

/// The route table without handlers.
pub fn route_specs() -> Vec<RouteSpec> {
    routes().into_iter().map(|(spec, _)| spec).collect()
}

// ---------------------------------------------------------------------------------------------
// Probes, metrics, OpenAPI

#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "The process is up")))]
async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, description = "The database answers"), (status = 503, description = "It does not")))]
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.ping().await?;
    Ok("ready")
}

#[utoipa::path(get, path = "/openapi.json", tag = "ops", responses((status = 200, description = "This document")))]
async fn openapi() -> Response {
    let doc = crate::openapi::document();
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_json().unwrap_or_default(),
    )
        .into_response()
}

#[utoipa::path(get, path = "/metrics", tag = "ops", security(("bearer" = ["read"])), responses((status = 200, description = "Prometheus text format")))]
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let counts = state.store.counts().await?;
    let jobs = state.store.job_counts().await?;
    let queued = jobs
        .iter()
        .find(|(s, _)| s == "queued")
        .map_or(0, |(_, n)| *n);
    let failed = jobs
        .iter()
        .find(|(s, _)| s == "failed")
        .map_or(0, |(_, n)| *n);
    let text = state.metrics.render(&[
        (
            "redflag_subjects",
            "Subjects stored.",
            counts.subjects as f64,
        ),
        ("redflag_events", "Events stored.", counts.events as f64),
        (
            "redflag_assessments",
            "Assessments stored.",
            counts.assessments as f64,
        ),
        ("redflag_jobs_queued", "Jobs waiting.", queued as f64),
        (
            "redflag_jobs_failed",
            "Jobs that used all attempts.",
            failed as f64,
        ),
    ]);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

// ---------------------------------------------------------------------------------------------
// Sign-in

/// Sign-in request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Sign-in answer (the session itself is the `redflag_session` cookie).
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send this in `X-CSRF-Token` with every state-changing request of the session.
    pub csrf_token: String,
    /// The user's role.
    pub role: Role,
}

fn login_limited(state: &AppState, headers: &HeaderMap, username: &str) -> bool {
    let peer = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("direct");
    !state.login_limiter.allow(&format!("{peer}|{username}"))
}

#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "Wrong name or password"), (status = 429, description = "Too many attempts")))]
async fn login_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    if login_limited(&state, &headers, &body.username) {
        return Err(ApiError::RateLimited);
    }
    let (session, csrf, role) = crate::auth::login(&state, &body.username, &body.password).await?;
    let mut response = Json(LoginResponse {
        csrf_token: csrf,
        role,
    })
    .into_response();
    set_cookie(
        &mut response,
        &crate::auth::session_cookie(&session, state.config.secure_cookies),
    );
    Ok(response)
}

fn set_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

const LOGIN_PAGE: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>redflag · sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>redflag</h1><form method="post" action="/login">
<p><label>User <input name="username" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>{error}</form></main></body></html>"#;

#[utoipa::path(get, path = "/login", tag = "auth", responses((status = 200, description = "The console's sign-in page")))]
async fn login_page() -> Response {
    page(LOGIN_PAGE.replace("{error}", ""))
}

fn page(html: String) -> Response {
    let mut response = Html(html).into_response();
    response.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}

#[utoipa::path(post, path = "/login", tag = "auth", request_body(content = LoginRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "Signed in: to the console"), (status = 401, description = "Wrong name or password")))]
async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LoginRequest>, axum::extract::rejection::FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(body)) = form else {
        return Err(ApiError::BadRequest(
            "send username and password as a form".into(),
        ));
    };
    if login_limited(&state, &headers, &body.username) {
        return Err(ApiError::RateLimited);
    }
    match crate::auth::login(&state, &body.username, &body.password).await {
        Ok((session, _, _)) => {
            let mut response = Redirect::to("/console").into_response();
            set_cookie(
                &mut response,
                &crate::auth::session_cookie(&session, state.config.secure_cookies),
            );
            Ok(response)
        }
        Err(ApiError::Unauthorized) => {
            let mut response = page(
                LOGIN_PAGE.replace("{error}", "<p role=\"alert\">Wrong user or password.</p>"),
            );
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}

#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = ["read"])), responses((status = 204, description = "Signed out")))]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(session) = crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE) {
        state.store.delete_session(session).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_cookie(
        &mut response,
        &crate::auth::clear_cookie(state.config.secure_cookies),
    );
    Ok(response)
}

/// Who the caller is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `token:ID` or `user:NAME`.
    pub actor: String,
    /// Granted scopes.
    pub scopes: Vec<Scope>,
}

#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = ["read"])), responses((status = 200, body = Me)))]
async fn me(principal: Principal) -> Json<Me> {
    Json(Me {
        actor: principal.actor,
        scopes: principal.scopes,
    })
}

// ---------------------------------------------------------------------------------------------
// Screening

/// One subject to screen. Give a name, an identifier, or both.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenRequest {
    /// Full name as written (any script).
    #[serde(default)]
    pub name: Option<String>,
    /// Date of birth: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[serde(default)]
    pub dob: Option<String>,
    /// Country (ISO alpha-2 or English name).
    #[serde(default)]
    pub country: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Crypto wallet address.
    #[serde(default)]
    pub wallet: Option<String>,
    /// Minimum score in [0, 1] (default 0.80).
    #[serde(default)]
    pub threshold: Option<f64>,
    /// Most matches returned (1–50, default 10).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Screening answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScreenResponse {
    /// Matches, best first, each explained field by field.
    #[schema(value_type = Vec<Object>)]
    pub matches: Vec<redflag_watchlist::Match>,
    /// The list versions screened against.
    pub lists: Vec<String>,
}

const MAX_FIELD: usize = 500;

fn parse_dob(s: &str) -> Result<PartialDate, ApiError> {
    let bad = || {
        ApiError::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "dob must be YYYY, YYYY-MM or YYYY-MM-DD".into(),
        )
    };
    let parts: Vec<&str> = s.trim().split('-').collect();
    let num = |p: &str| p.parse::<i32>().map_err(|_| bad());
    match parts.as_slice() {
        [y] => PartialDate::year(num(y)?).ok_or_else(bad),
        [y, m] => PartialDate::month(num(y)?, num(m)? as u32).ok_or_else(bad),
        [y, m, d] => chrono::NaiveDate::from_ymd_opt(num(y)?, num(m)? as u32, num(d)? as u32)
            .map(PartialDate::day)
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

fn screen_query(req: &ScreenRequest) -> Result<(ScreenQuery, ScreenOptions), ApiError> {
    let unprocessable = |m: &str| ApiError::Status(StatusCode::UNPROCESSABLE_ENTITY, m.to_string());
    for value in [
        &req.name,
        &req.dob,
        &req.country,
        &req.email,
        &req.phone,
        &req.wallet,
    ]
    .into_iter()
    .flatten()
    {
        if value.len() > MAX_FIELD {
            return Err(unprocessable("a field is longer than 500 bytes"));
        }
    }
    let mut query = ScreenQuery::name(req.name.clone().unwrap_or_default());
    if let Some(dob) = req.dob.as_deref().filter(|d| !d.trim().is_empty()) {
        query = query.with_dob(parse_dob(dob)?);
    }
    if let Some(country) = req.country.as_deref().filter(|c| !c.trim().is_empty()) {
        query = query.with_country(country);
    }
    if let Some(v) = req.email.as_deref().filter(|v| !v.trim().is_empty()) {
        query = query.with_email(v);
    }
    if let Some(v) = req.phone.as_deref().filter(|v| !v.trim().is_empty()) {
        query = query.with_phone(v);
    }
    if let Some(v) = req.wallet.as_deref().filter(|v| !v.trim().is_empty()) {
        query = query.with_wallet(v);
    }
    let mut options = ScreenOptions::default();
    if let Some(t) = req.threshold {
        if !(0.0..=1.0).contains(&t) {
            return Err(unprocessable("threshold must be between 0 and 1"));
        }
        options.threshold = t;
    }
    if let Some(limit) = req.limit {
        if !(1..=50).contains(&limit) {
            return Err(unprocessable("limit must be between 1 and 50"));
        }
        options.top_k = limit;
    }
    Ok((query, options))
}

#[utoipa::path(post, path = "/v1/screen", tag = "screening", request_body = ScreenRequest, security(("bearer" = ["screen"])),
    responses((status = 200, body = ScreenResponse), (status = 422, description = "Nothing to screen, or a bad field")))]
async fn screen(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ScreenRequest>,
) -> Result<Json<ScreenResponse>, ApiError> {
    let (query, options) = screen_query(&req)?;
    let index = state.index().await?;
    let matches = index
        .screen(&query, &options)
        .map_err(|e| ApiError::Status(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    Ok(Json(ScreenResponse {
        matches,
        lists: index.versions(),
    }))
}

/// A yente (OpenSanctions) `/match` request: named queries in FollowTheMoney shape.
#[derive(Debug, Deserialize, ToSchema)]
pub struct YenteRequest {
    /// Queries by the caller's key.
    #[schema(value_type = Object)]
    pub queries: std::collections::BTreeMap<String, YenteEntity>,
}

/// One FollowTheMoney-shaped query entity.
#[derive(Debug, Deserialize, ToSchema)]
pub struct YenteEntity {
    /// `Person`, `Company`, `LegalEntity`, …
    #[serde(default)]
    pub schema: Option<String>,
    /// Property values (`name`, `birthDate`, `nationality`, `country`, `email`, `phone`, `address`, …).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: std::collections::BTreeMap<String, Vec<String>>,
}

/// yente `/match` query parameters.
#[derive(Debug, Deserialize)]
struct YenteParams {
    #[serde(default)]
    threshold: Option<f64>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    #[allow(dead_code)]
    algorithm: Option<String>,
}

#[utoipa::path(post, path = "/match/{dataset}", tag = "screening", request_body = YenteRequest, security(("bearer" = ["screen"])),
    params(("dataset" = String, Path, description = "`default`, `sanctions` or a list id")),
    responses((status = 200, description = "yente-compatible responses by query key"), (status = 404, description = "Unknown dataset")))]
async fn yente_match(
    State(state): State<AppState>,
    ApiPath(dataset): ApiPath<String>,
    ApiQuery(params): ApiQuery<YenteParams>,
    ApiJson(req): ApiJson<YenteRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let index = state.index().await?;
    let lists: Vec<String> = match dataset.as_str() {
        "default" | "sanctions" | "all" => Vec::new(),
        id if index.lists().iter().any(|l| l.id == id) => vec![id.to_string()],
        _ => return Err(ApiError::NotFound("unknown dataset".into())),
    };
    if req.queries.len() > 100 {
        return Err(ApiError::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "at most 100 queries per request".into(),
        ));
    }
    let threshold = params
        .threshold
        .unwrap_or(redflag_watchlist::DEFAULT_THRESHOLD)
        .clamp(0.0, 1.0);
    let limit = params.limit.unwrap_or(5).clamp(1, 50);
    let mut responses = serde_json::Map::new();
    for (key, entity) in &req.queries {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| entity.properties.get(*n).and_then(|v| v.first()).cloned())
        };
        let request = ScreenRequest {
            name: first(&["name", "firstName"]).map(|n| {
                match (
                    entity.properties.get("firstName").and_then(|v| v.first()),
                    entity.properties.get("lastName").and_then(|v| v.first()),
                ) {
                    (Some(f), Some(l)) if !entity.properties.contains_key("name") => {
                        format!("{f} {l}")
                    }
                    _ => n,
                }
            }),
            dob: first(&["birthDate"]),
            country: first(&["nationality", "country", "citizenship"]),
            email: first(&["email"]),
            phone: first(&["phone"]),
            wallet: first(&["publicKey", "cryptoWallet"]),
            threshold: Some(threshold.min(0.5)),
            limit: Some(limit),
        };
        let (query, mut options) = screen_query(&request)?;
        options.lists = lists.clone();
        let matches = index
            .screen(&query, &options)
            .map_err(|e| ApiError::Status(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
        let results: Vec<serde_json::Value> = matches
            .iter()
            .map(|m| {
                let features: serde_json::Map<String, serde_json::Value> = m
                    .explanation
                    .iter()
                    .map(|e| (e.feature.clone(), serde_json::json!(e.score)))
                    .collect();
                serde_json::json!({
                    "id": format!("{}-{}", m.list, m.entity_id),
                    "caption": m.entity_name,
                    "schema": match m.entity_kind { redflag_watchlist::EntityKind::Person => "Person", _ => "LegalEntity" },
                    "properties": { "name": [m.entity_name.clone()], "program": m.programs.clone() },
                    "datasets": [m.list.clone()],
                    "score": m.score,
                    "match": m.score >= threshold,
                    "features": features,
                    "explanation": m.explanation,
                })
            })
            .collect();
        responses.insert(
            key.clone(),
            serde_json::json!({
                "status": 200,
                "results": results,
                "total": { "value": results.len(), "relation": "eq" },
                "query": { "schema": entity.schema.clone().unwrap_or_else(|| "Person".into()), "properties": entity.properties },
            }),
        );
    }
    Ok(Json(
        serde_json::json!({ "responses": responses, "limit": limit }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Ingest and jobs

/// Ingest parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestParams {
    #[serde(default)]
    system: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    mapping: Option<String>,
    #[serde(default)]
    wait: Option<u64>,
}

/// The longest `?wait=` an ingest may ask for, in seconds.
const MAX_INGEST_WAIT: u64 = 60;

/// A queued job.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// The job's id.
    pub job_id: i64,
    /// Where to follow it.
    pub status_url: String,
}

fn safe_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

#[utoipa::path(post, path = "/v1/ingest/{kind}", tag = "ingest", security(("bearer" = ["ingest"])),
    params(("kind" = String, Path, description = "people, okta, entra, google, osquery, github, payroll, shipping or marketplace"),
           ("system" = Option<String>, Query, description = "Source system; prefixes subject ids (people), names the platform (marketplace)"),
           ("source" = Option<String>, Query, description = "File name shown in provenance"),
           ("mapping" = Option<String>, Query, description = "Built-in column mapping of a CSV kind (people: generic, greenhouse, lever, workday; payroll, shipping: generic)"),
           ("wait" = Option<u64>, Query, description = "Seconds (at most 60) to wait for a worker to finish the job; the answer is then 200 with the job and its counts")),
    request_body(content = String, content_type = "text/csv", description = "The file (CSV for people, payroll and shipping; JSON/NDJSON for the others)"),
    responses((status = 202, body = Accepted), (status = 200, description = "The finished job (with `wait`)"),
              (status = 413, description = "Too large"), (status = 415, description = "Wrong content type"),
              (status = 422, description = "Not data of this kind: the problem names the line and field")))]
async fn ingest(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(kind): ApiPath<String>,
    ApiQuery(params): ApiQuery<IngestParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if !crate::worker::INGEST_KINDS.contains(&kind.as_str()) {
        return Err(ApiError::NotFound(format!(
            "unknown input kind; use one of {}",
            crate::worker::INGEST_KINDS.join(", ")
        )));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let allowed: &[&str] = if crate::worker::is_csv_kind(&kind) {
        &[
            "text/csv",
            "application/csv",
            "text/plain",
            "application/octet-stream",
        ]
    } else {
        &[
            "application/json",
            "application/x-ndjson",
            "application/jsonl",
            "application/octet-stream",
        ]
    };
    if !allowed.contains(&content_type.as_str()) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send {kind} data as one of: {}",
            allowed.join(", ")
        )));
    }
    let system = params.system.unwrap_or_else(|| "api".into());
    let source = params.source.unwrap_or_else(|| format!("upload.{kind}"));
    if !safe_label(&system) || !safe_label(&source) {
        return Err(ApiError::BadRequest(
            "system and source may hold letters, digits, '-', '_' and '.' (at most 100)".into(),
        ));
    }
    if let Some(mapping) = &params.mapping
        && !crate::worker::builtin_mappings(&kind).contains(&mapping.as_str())
    {
        return Err(ApiError::BadRequest(format!(
            "{kind} uploads take the column mappings: {}",
            match crate::worker::builtin_mappings(&kind) {
                [] => "none".to_string(),
                names => names.join(", "),
            }
        )));
    }
    let limit = state.config.max_ingest_bytes;
    if let Some(length) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && length > limit
    {
        return Err(ApiError::TooLarge(limit));
    }
    // Streamed: stop reading as soon as the limit is passed.
    let mut data = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("the upload was interrupted".into()))?;
        if (data.len() + chunk.len()) as u64 > limit {
            return Err(ApiError::TooLarge(limit));
        }
        data.extend_from_slice(&chunk);
    }
    if data.is_empty() {
        return Err(ApiError::BadRequest("the upload is empty".into()));
    }
    // Refuse data of another kind now, naming the line, rather than failing the job later. Reads a
    // header and at most a few records.
    match crate::worker::probe_input(
        &kind,
        &system,
        &source,
        params.mapping.as_deref(),
        &data[..],
    ) {
        Ok(()) => {}
        Err(crate::worker::ParseError::Setup(detail)) => return Err(ApiError::BadRequest(detail)),
        Err(crate::worker::ParseError::Input(problem)) => {
            return Err(ApiError::Input {
                detail: format!("this is not {kind} data: {problem}"),
                line: problem.line,
                field: problem.field,
            });
        }
    }
    let bytes = data.len();
    let mut payload = serde_json::json!({ "kind": kind, "system": system, "source": source, "bytes": bytes, "by": principal.actor });
    if let Some(mapping) = &params.mapping {
        payload["mapping"] = serde_json::Value::from(mapping.as_str());
    }
    let id = state
        .store
        .enqueue_job(&NewJob {
            kind: "ingest".into(),
            payload,
            blob: Some(data),
            ..Default::default()
        })
        .await?
        .ok_or_else(|| ApiError::Internal("an ingest job was not queued".into()))?;
    if let Some(wait) = params.wait.filter(|w| *w > 0) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(wait.min(MAX_INGEST_WAIT));
        loop {
            if let Some(job) = state.store.job(id).await?
                && (job.status == "done" || job.status == "failed")
            {
                return Ok(Json(job).into_response());
            }
            if tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(accepted(id))
}

fn accepted(id: i64) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(Accepted {
            job_id: id,
            status_url: format!("/v1/jobs/{id}"),
        }),
    )
        .into_response()
}

#[utoipa::path(post, path = "/v1/assess", tag = "ingest", security(("bearer" = ["ingest"])),
    responses((status = 202, body = Accepted), (status = 200, description = "An assessment run is already queued")))]
async fn assess(State(state): State<AppState>) -> Result<Response, ApiError> {
    let queued = state
        .store
        .enqueue_job(&NewJob {
            kind: "assess".into(),
            dedupe_key: Some("assess".into()),
            ..Default::default()
        })
        .await?;
    Ok(match queued {
        Some(id) => accepted(id),
        None => Json(serde_json::json!({ "detail": "an assessment run is already queued" }))
            .into_response(),
    })
}

/// Paging and filters for lists.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    min_level: Option<String>,
}

#[utoipa::path(get, path = "/v1/jobs", tag = "ingest", security(("bearer" = ["read"])), responses((status = 200, description = "Recent jobs")))]
async fn jobs(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<redflag_store::JobStatus>>, ApiError> {
    Ok(Json(
        state
            .store
            .jobs(params.status.as_deref(), params.limit.unwrap_or(100))
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "ingest", security(("bearer" = ["read"])), params(("id" = i64, Path)), responses((status = 200, description = "The job"), (status = 404, description = "No such job")))]
async fn job(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<redflag_store::JobStatus>, ApiError> {
    state
        .store
        .job(id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such job".into()))
}

// ---------------------------------------------------------------------------------------------
// Subjects, assessments, rings

fn subject_id(id: &str) -> Result<SubjectId, ApiError> {
    if id.is_empty() || id.len() > 300 {
        return Err(ApiError::BadRequest("bad subject id".into()));
    }
    Ok(SubjectId::from_stored(id.to_string()))
}

#[utoipa::path(get, path = "/v1/subjects", tag = "subjects", security(("bearer" = ["read"])),
    params(("after" = Option<String>, Query), ("limit" = Option<i64>, Query)), responses((status = 200, description = "Subjects in id order")))]
async fn subjects(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<redflag_model::Subject>>, ApiError> {
    Ok(Json(
        state
            .store
            .subjects_page(
                params.after.as_deref(),
                params.limit.unwrap_or(100).clamp(1, 1000),
            )
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/subjects/{id}", tag = "subjects", security(("bearer" = ["read"])), params(("id" = String, Path)),
    responses((status = 200, description = "The subject and its assessment"), (status = 404, description = "No such subject")))]
async fn subject(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = subject_id(&id)?;
    let subject = state
        .store
        .subject(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such subject".into()))?;
    let assessment = state.store.assessment(&id).await?;
    Ok(Json(
        serde_json::json!({ "subject": subject, "assessment": assessment }),
    ))
}

#[utoipa::path(get, path = "/v1/subjects/{id}/events", tag = "subjects", security(("bearer" = ["read"])), params(("id" = String, Path), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "Events attributed to the subject")))]
async fn subject_events(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<redflag_model::Event>>, ApiError> {
    let id = subject_id(&id)?;
    Ok(Json(
        state
            .store
            .subject_events(&id, params.limit.unwrap_or(1000))
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/subjects/{id}/export", tag = "privacy", security(("bearer" = ["admin"])), params(("id" = String, Path)),
    responses((status = 200, description = "Everything stored about the subject"), (status = 404, description = "No such subject")))]
async fn export_subject(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<redflag_store::SubjectExport>, ApiError> {
    let export = state
        .store
        .export_subject(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such subject".into()))?;
    state
        .store
        .audit(
            &principal.actor,
            "subject.export",
            &format!("subject:{id}"),
            &serde_json::json!({}),
        )
        .await?;
    Ok(Json(export))
}

#[utoipa::path(delete, path = "/v1/subjects/{id}", tag = "privacy", security(("bearer" = ["admin"])), params(("id" = String, Path)),
    responses((status = 200, description = "What was erased"), (status = 404, description = "No such subject")))]
async fn erase_subject(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<redflag_store::ErasureCounts>, ApiError> {
    Ok(Json(
        state.store.erase_subject(&principal.actor, &id).await?,
    ))
}

#[utoipa::path(get, path = "/v1/assessments", tag = "subjects", security(("bearer" = ["read"])),
    params(("min_level" = Option<String>, Query, description = "low, medium (default), high, critical"), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "Assessments with findings and evidence, highest score first")))]
async fn assessments(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<redflag_model::Assessment>>, ApiError> {
    let level = match params.min_level.as_deref() {
        None => RiskLevel::Medium,
        Some(s) => RiskLevel::parse(s).ok_or_else(|| {
            ApiError::BadRequest("unknown level; use low, medium, high or critical".into())
        })?,
    };
    let limit = params.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(state.store.assessments(level, limit).await?))
}

#[utoipa::path(get, path = "/v1/assessments/{id}", tag = "subjects", security(("bearer" = ["read"])), params(("id" = String, Path)),
    responses((status = 200, description = "The subject's assessment"), (status = 404, description = "Not assessed")))]
async fn assessment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<redflag_model::Assessment>, ApiError> {
    let id = subject_id(&id)?;
    state
        .store
        .assessment(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no assessment for that subject".into()))
}

#[utoipa::path(get, path = "/v1/rings", tag = "subjects", security(("bearer" = ["read"])), responses((status = 200, description = "Rings, largest first")))]
async fn rings(State(state): State<AppState>) -> Result<Json<Vec<redflag_model::Ring>>, ApiError> {
    Ok(Json(state.store.rings().await?))
}

#[utoipa::path(get, path = "/v1/rings/{id}", tag = "subjects", security(("bearer" = ["read"])), params(("id" = String, Path)),
    responses((status = 200, description = "The ring"), (status = 404, description = "No such ring")))]
async fn ring(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<redflag_model::Ring>, ApiError> {
    state
        .store
        .ring(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound("no such ring".into()))
}

// ---------------------------------------------------------------------------------------------
// Cases

/// Opening a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenCase {
    /// `subject` or `ring`.
    #[schema(value_type = String)]
    pub target_kind: CaseTarget,
    /// The subject or ring id.
    pub target_id: String,
    /// A short title.
    pub title: String,
}

/// Assigning a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCase {
    /// The analyst's user name.
    pub assignee: String,
}

/// Commenting on a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentCase {
    /// The text.
    pub body: String,
}

/// Deciding a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideCase {
    /// `cleared`, `escalated`, `confirmed` or `false_positive`.
    #[schema(value_type = String)]
    pub decision: Decision,
    /// Why (required; an auditor will read it).
    pub reason: String,
}

fn text_field(name: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name} must not be empty"),
        ));
    }
    if value.len() > max {
        return Err(ApiError::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{name} is longer than {max} bytes"),
        ));
    }
    Ok(())
}

#[utoipa::path(get, path = "/v1/cases", tag = "cases", security(("bearer" = ["read"])),
    params(("status" = Option<String>, Query), ("assignee" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "Cases, most recently changed first")))]
async fn cases(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<Vec<redflag_store::Case>>, ApiError> {
    Ok(Json(
        state
            .store
            .cases(&CaseFilter {
                status: params.status,
                assignee: params.assignee,
                target_id: None,
                limit: params.limit,
            })
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/cases", tag = "cases", request_body = OpenCase, security(("bearer" = ["decide"])),
    responses((status = 201, description = "The case"), (status = 404, description = "No such subject or ring")))]
async fn open_case(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<OpenCase>,
) -> Result<Response, ApiError> {
    text_field("title", &body.title, 300)?;
    text_field("target_id", &body.target_id, 300)?;
    let exists = match body.target_kind {
        CaseTarget::Subject => state
            .store
            .subject(&subject_id(&body.target_id)?)
            .await?
            .is_some(),
        CaseTarget::Ring => state.store.ring(&body.target_id).await?.is_some(),
    };
    if !exists {
        return Err(ApiError::NotFound(format!(
            "no {} with that id",
            body.target_kind.as_str()
        )));
    }
    let case = state
        .store
        .open_case(
            &principal.actor,
            body.target_kind,
            &body.target_id,
            &body.title,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(case)).into_response())
}

#[utoipa::path(get, path = "/v1/cases/{id}", tag = "cases", security(("bearer" = ["read"])), params(("id" = i64, Path)),
    responses((status = 200, description = "The case with comments and decisions"), (status = 404, description = "No such case")))]
async fn case(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let case = state
        .store
        .case(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such case".into()))?;
    let comments = state.store.case_comments(id).await?;
    let decisions = state.store.case_decisions(id).await?;
    Ok(Json(
        serde_json::json!({ "case": case, "comments": comments, "decisions": decisions }),
    ))
}

#[utoipa::path(post, path = "/v1/cases/{id}/assign", tag = "cases", request_body = AssignCase, security(("bearer" = ["decide"])), params(("id" = i64, Path)),
    responses((status = 200, description = "The case"), (status = 404, description = "No such case")))]
async fn assign_case(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<AssignCase>,
) -> Result<Json<redflag_store::Case>, ApiError> {
    text_field("assignee", &body.assignee, 100)?;
    Ok(Json(
        state
            .store
            .assign_case(&principal.actor, id, &body.assignee)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/cases/{id}/comments", tag = "cases", request_body = CommentCase, security(("bearer" = ["decide"])), params(("id" = i64, Path)),
    responses((status = 201, description = "The comment"), (status = 404, description = "No such case")))]
async fn comment_case(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<CommentCase>,
) -> Result<Response, ApiError> {
    text_field("body", &body.body, 10_000)?;
    let comment = state
        .store
        .comment_case(&principal.actor, id, &body.body)
        .await?;
    Ok((StatusCode::CREATED, Json(comment)).into_response())
}

#[utoipa::path(post, path = "/v1/cases/{id}/decision", tag = "cases", request_body = DecideCase, security(("bearer" = ["decide"])), params(("id" = i64, Path)),
    responses((status = 200, description = "The case"), (status = 404, description = "No such case")))]
async fn decide_case(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecideCase>,
) -> Result<Json<redflag_store::Case>, ApiError> {
    text_field("reason", &body.reason, 5_000)?;
    Ok(Json(
        state
            .store
            .decide_case(&principal.actor, id, body.decision, &body.reason)
            .await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Rules and lists

/// A rule in the active pack.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSummary {
    /// Rule id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Stage.
    pub stage: String,
    /// Severity.
    pub severity: String,
    /// Weight (log-odds).
    pub weight: f64,
    /// File it was loaded from.
    pub file: String,
}

#[utoipa::path(get, path = "/v1/rules", tag = "rules", security(("bearer" = ["read"])), responses((status = 200, body = Vec<RuleSummary>)))]
async fn rules(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let engines = state.engines().await?;
    let rules: Vec<RuleSummary> = engines
        .rules
        .rules()
        .iter()
        .map(|loaded| {
            let rule = loaded.rule();
            RuleSummary {
                id: rule.id.clone(),
                title: rule.title.clone(),
                stage: serde_json::to_value(rule.stage)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                severity: serde_json::to_value(rule.severity)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                weight: loaded.weight(),
                file: loaded.file().to_string(),
            }
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "version": engines.rules.version(), "rules": rules }),
    ))
}

#[utoipa::path(get, path = "/v1/rules/{id}", tag = "rules", security(("bearer" = ["read"])), params(("id" = String, Path)),
    responses((status = 200, description = "The rule as written"), (status = 404, description = "No such rule")))]
async fn rule(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let engines = state.engines().await?;
    let loaded = engines
        .rules
        .rules()
        .iter()
        .find(|r| r.id() == id)
        .ok_or_else(|| ApiError::NotFound("no such rule".into()))?;
    Ok(Json(
        serde_json::json!({ "rule": loaded.rule(), "weight": loaded.weight(), "file": loaded.file() }),
    ))
}

#[utoipa::path(get, path = "/v1/lists", tag = "rules", security(("bearer" = ["read"])), responses((status = 200, description = "Active lists and version history")))]
async fn lists(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let index = state.index().await?;
    let history = state.store.list_versions().await?;
    let packs = state.store.rule_pack_versions().await?;
    Ok(Json(
        serde_json::json!({ "active": index.lists(), "history": history, "rule_packs": packs }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Audit, tokens, users

/// Audit paging.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    #[serde(default)]
    after: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/v1/audit", tag = "admin", security(("bearer" = ["admin"])), params(("after" = Option<i64>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, description = "Audit records, oldest first")))]
async fn audit(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<Vec<redflag_store::AuditRecord>>, ApiError> {
    Ok(Json(
        state
            .store
            .audit_records(
                params.after.unwrap_or(0),
                params.limit.unwrap_or(100).clamp(1, 5000),
            )
            .await?,
    ))
}

#[utoipa::path(get, path = "/v1/audit/verify", tag = "admin", security(("bearer" = ["admin"])), responses((status = 200, description = "Intact, or the first broken record")))]
async fn audit_verify(
    State(state): State<AppState>,
) -> Result<Json<redflag_store::AuditVerdict>, ApiError> {
    Ok(Json(state.store.verify_audit().await?))
}

/// Creating a token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What uses it.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
}

/// A new token: the secret is shown here once and never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// Id.
    pub id: i64,
    /// The secret to send as `Authorization: Bearer …`.
    pub token: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
}

#[utoipa::path(get, path = "/v1/tokens", tag = "admin", security(("bearer" = ["admin"])), responses((status = 200, description = "Tokens (without secrets)")))]
async fn tokens(
    State(state): State<AppState>,
) -> Result<Json<Vec<redflag_store::ApiToken>>, ApiError> {
    Ok(Json(state.store.tokens().await?))
}

#[utoipa::path(post, path = "/v1/tokens", tag = "admin", request_body = CreateToken, security(("bearer" = ["admin"])), responses((status = 201, body = CreatedToken)))]
async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateToken>,
) -> Result<Response, ApiError> {
    text_field("name", &body.name, 100)?;
    if body.scopes.is_empty() {
        return Err(ApiError::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "give at least one scope".into(),
        ));
    }
    let secret = crate::auth::new_token();
    let scopes: Vec<&str> = body.scopes.iter().map(|s| s.as_str()).collect();
    let token = state
        .store
        .create_token(&principal.actor, &body.name, &secret, &scopes)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: token.id,
            token: secret,
            scopes: body.scopes,
        }),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "admin", security(("bearer" = ["admin"])), params(("id" = i64, Path)), responses((status = 204, description = "Revoked")))]
async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.store.revoke_token(&principal.actor, id).await?;
    state.tokens.clear();
    Ok(StatusCode::NO_CONTENT)
}

/// Creating a console user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Login name (letters, digits, `.`, `_`, `-`).
    pub username: String,
    /// Password (at least 12 characters).
    pub password: String,
    /// Role.
    pub role: Role,
}

#[utoipa::path(get, path = "/v1/users", tag = "admin", security(("bearer" = ["admin"])), responses((status = 200, description = "Users")))]
async fn users(State(state): State<AppState>) -> Result<Json<Vec<redflag_store::User>>, ApiError> {
    Ok(Json(state.store.users().await?))
}

#[utoipa::path(post, path = "/v1/users", tag = "admin", request_body = CreateUser, security(("bearer" = ["admin"])),
    responses((status = 201, description = "The user"), (status = 409, description = "The name is taken")))]
async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<Response, ApiError> {
    if !safe_label(&body.username) {
        return Err(ApiError::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "username may hold letters, digits, '.', '_' and '-'".into(),
        ));
    }
    if body.password.chars().count() < 12 || body.password.len() > 1024 {
        return Err(ApiError::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the password must have 12 to 1024 characters".into(),
        ));
    }
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&body.password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let user = state
        .store
        .create_user(&principal.actor, &body.username, &hash, body.role.as_str())
        .await?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_birth_parse_at_three_precisions() {
        assert_eq!(parse_dob("1984").unwrap(), PartialDate::year(1984).unwrap());
        assert_eq!(
            parse_dob("1984-03").unwrap(),
            PartialDate::month(1984, 3).unwrap()
        );
        assert!(parse_dob("1984-02-30").is_err());
        assert!(parse_dob("84/3/1").is_err());
        assert!(parse_dob("1984-13").is_err());
    }

    #[test]
    fn every_route_is_unique() {
        let specs = route_specs();
        let mut seen = std::collections::HashSet::new();
        for spec in &specs {
            assert!(seen.insert((spec.method.clone(), spec.path)), "{spec:?}");
        }
    }
}

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "redflag API", description = "Screening, ingest, assessments with evidence, rings, cases and decisions, rules and lists. Every route but the probes, this document and sign-in needs a bearer token (or a console session) with the scope shown."),
    paths(
        healthz, readyz, openapi, metrics, login_json, login_page, login_form, logout, me, screen, yente_match,
        ingest, assess, jobs, job, subjects, subject, subject_events, export_subject, erase_subject,
        assessments, assessment, rings, ring, cases, open_case, case, assign_case, comment_case, decide_case,
        rules, rule, lists, audit, audit_verify, tokens, create_token, revoke_token, users, create_user
    ),
    components(schemas(
        LoginRequest, LoginResponse, Me, ScreenRequest, ScreenResponse, YenteRequest, YenteEntity, Accepted,
        OpenCase, AssignCase, CommentCase, DecideCase, RuleSummary, CreateToken, CreatedToken, CreateUser,
        Scope, Role
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
