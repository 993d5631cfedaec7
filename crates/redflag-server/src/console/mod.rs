//! The analyst console: server-rendered HTML pages (maud) under `/console`, readable without
//! JavaScript, with charts drawn server-side as SVG.
//!
//! Pages: overview, subjects (filters, sort, search, keyset pagination), subject (findings, sanctions
//! explanation, sign-in map, timeline, activity heatmap, identifiers and linked personas), rings (graph
//! and member comparison), screening, cases, rules and lists, and evidence packs (zip).
//!
//! **Design decisions.** Every chart is SVG built here, so a page needs no script to be read and the
//! evidence pack reuses the same drawing code offline. Pages read the store only through its methods
//! (`console_*` in `redflag_store::console_queries`), all keyset-paginated over indexes, so a page costs
//! the same at a million subjects. The engines (network data, sanctions index, rule pack) are built once
//! per process on first use. Every response carries a strict CSP (`script-src 'self'`, no inline code,
//! `frame-ancestors 'none'`); user data only ever reaches HTML through maud's escaping.
//!
//! **Must never:** render a value without escaping, load anything from another origin, or write data
//! except through the store's case functions (which audit every change).

mod charts;
pub mod fixture;
mod layout;
mod pack;
mod pages;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::html;
use redflag_pipeline::Engines;
use redflag_store::Store;

use crate::AppState;

/// The signed-in analyst, when the server's authentication layer inserts one into the request's
/// extensions; the console records case changes under this name (else `console`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUser(pub String);

/// The console's routes (merge into the server's router).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(pages::overview::page))
        .route("/console/", get(pages::overview::page))
        .route("/console/subjects", get(pages::subjects::list))
        .route("/console/subjects/{id}", get(pages::subject::page))
        .route("/console/subjects/{id}/pack.zip", get(pack::subject_pack))
        .route("/console/rings", get(pages::rings::list))
        .route("/console/rings/{id}", get(pages::rings::page))
        .route("/console/rings/{id}/pack.zip", get(pack::ring_pack))
        .route(
            "/console/screen",
            get(pages::screen::page).post(pages::screen::page_post),
        )
        .route(
            "/console/cases",
            get(pages::cases::list).post(pages::cases::open),
        )
        .route("/console/cases/{id}", get(pages::cases::page))
        .route("/console/cases/{id}/assign", post(pages::cases::assign))
        .route("/console/cases/{id}/comment", post(pages::cases::comment))
        .route("/console/cases/{id}/decide", post(pages::cases::decide))
        .route("/console/rules", get(pages::rules::rules))
        .route("/console/lists", get(pages::rules::lists))
        .route("/console/static/{file}", get(static_file))
        .layer(middleware::from_fn(guard))
}

/// The strict content security policy of every console response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Refuses cross-site form posts and adds the security headers to every console response.
async fn guard(request: Request, next: Next) -> Response {
    if request.method() == axum::http::Method::POST && !same_origin(&request) {
        return ConsoleError::Forbidden("Cross-site form posts are refused.".into())
            .into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        // `same-origin`, not `no-referrer`: with `no-referrer` browsers send `Origin: null` on form
        // posts, and the origin check above needs the real origin. Nothing leaks to other sites.
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "geolocation=(), camera=(), microphone=()",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A POST is accepted when it carries no `Origin` (old clients, curl) or one whose host is ours.
fn same_origin(request: &Request) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return true;
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://").map(|(_, rest)| rest));
    matches!((host, origin_host), (Some(h), Some(o)) if h == o)
}

const CSS: &str = include_str!("../../static/console.css");
const JS: &str = include_str!("../../static/console.js");

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// The store behind the console.
pub(crate) fn store(state: &AppState) -> &Store {
    state.store()
}

/// An error page; the cause is logged, never shown.
#[derive(Debug)]
pub(crate) enum ConsoleError {
    /// The store failed.
    Store(redflag_store::StoreError),
    /// Nothing by that id.
    NotFound(String),
    /// A bad request (shown to the user).
    BadRequest(String),
    /// The engines failed to load.
    Engines(String),
    /// Refused (shown to the user).
    Forbidden(String),
}

impl From<redflag_store::StoreError> for ConsoleError {
    fn from(value: redflag_store::StoreError) -> Self {
        ConsoleError::Store(value)
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ConsoleError::Store(error) => {
                tracing::error!(%error, "console: store error");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is not available.".to_string(),
                )
            }
            ConsoleError::Engines(error) => {
                tracing::error!(%error, "console: engines failed to load");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The screening data could not be loaded.".to_string(),
                )
            }
            ConsoleError::NotFound(what) => (StatusCode::NOT_FOUND, format!("No {what}.")),
            ConsoleError::BadRequest(what) => (StatusCode::BAD_REQUEST, what),
            ConsoleError::Forbidden(what) => (StatusCode::FORBIDDEN, what),
        };
        let body = layout::page(
            status.canonical_reason().unwrap_or("Error"),
            layout::Nav::None,
            html! {
                h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
                p.notice { (message) }
                p { a href="/console" { "Back to the overview" } }
            },
        );
        (status, body).into_response()
    }
}

pub(crate) type PageResult = Result<Response, ConsoleError>;

/// The engines (the server's, built on first use).
pub(crate) async fn engines(state: &AppState) -> Result<Arc<Engines>, ConsoleError> {
    state
        .engines()
        .await
        .map_err(|e| ConsoleError::Engines(format!("{e:?}")))
}

/// Makes sure the console's indexes exist (once per process).
pub(crate) async fn ensure_indexes(store: &Store) -> Result<(), ConsoleError> {
    static DONE: OnceLock<()> = OnceLock::new();
    if DONE.get().is_none() {
        store.ensure_console_indexes().await?;
        let _ = DONE.set(());
    }
    Ok(())
}

/// Per-rule hit counts, cached for a minute (a `GROUP BY` over every finding).
pub(crate) async fn rule_hits(store: &Store) -> Result<Arc<Vec<(String, i64)>>, ConsoleError> {
    type Cache = Mutex<Option<(Instant, Arc<Vec<(String, i64)>>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(None));
    if let Ok(guard) = cache.lock()
        && let Some((at, hits)) = guard.as_ref()
        && at.elapsed() < Duration::from_secs(60)
    {
        return Ok(hits.clone());
    }
    let hits = Arc::new(store.console_rule_hits().await?);
    if let Ok(mut guard) = cache.lock() {
        *guard = Some((Instant::now(), hits.clone()));
    }
    Ok(hits)
}

/// Who is acting: the authenticated user, else `console`.
pub(crate) fn actor(extensions: &axum::http::Extensions) -> String {
    extensions
        .get::<ConsoleUser>()
        .map(|u| format!("user:{}", u.0))
        .unwrap_or_else(|| "console".to_string())
}
