//! redflag's HTTP API (axum). For now: health and readiness probes and read access to assessments;
//! issue #11 adds screening, ingest, cases, audit, authentication and metrics, and issue #12 the
//! analyst console.
//!
//! The router is built by [`router`] from an [`AppState`], apart from `main`, so tests drive it with
//! `tower::ServiceExt::oneshot` without opening a socket.
//!
//! ```no_run
//! # async fn serve(store: redflag_store::Store) -> std::io::Result<()> {
//! let app = redflag_server::router(redflag_server::AppState::new(store));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! **What this crate must never do:** compute findings itself (it calls the pipeline and the store), or
//! return internal error details or personal data in logs.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use redflag_model::RiskLevel;
use redflag_store::Store;
use serde::Deserialize;

/// Everything a request handler needs.
#[derive(Clone)]
pub struct AppState {
    store: Store,
}

impl AppState {
    /// State over a store.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// The API's error: a status and a problem+json body; the internal cause is logged, never returned.
#[derive(Debug)]
pub enum ApiError {
    /// The store failed.
    Store(redflag_store::StoreError),
    /// The request was malformed.
    BadRequest(String),
}

impl From<redflag_store::StoreError> for ApiError {
    fn from(value: redflag_store::StoreError) -> Self {
        ApiError::Store(value)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = match self {
            ApiError::Store(error) => {
                tracing::error!(%error, "store error");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is not available".to_string(),
                )
            }
            ApiError::BadRequest(detail) => (StatusCode::BAD_REQUEST, detail),
        };
        let body = serde_json::json!({ "type": "about:blank", "title": status.canonical_reason(), "status": status.as_u16(), "detail": detail });
        (
            status,
            [("content-type", "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// The API's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/v1/assessments", get(assessments))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.ping().await?;
    Ok("ready")
}

#[derive(Debug, Deserialize)]
struct AssessmentQuery {
    min_level: Option<String>,
    limit: Option<i64>,
}

async fn assessments(
    State(state): State<AppState>,
    Query(query): Query<AssessmentQuery>,
) -> Result<Json<Vec<redflag_model::Assessment>>, ApiError> {
    let level = match query.min_level.as_deref() {
        None => RiskLevel::Medium,
        Some(s) => RiskLevel::parse(s)
            .ok_or_else(|| ApiError::BadRequest(format!("unknown level {s:?}")))?,
    };
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(state.store.assessments(level, limit).await?))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn app() -> (Router, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).await.unwrap();
        (router(AppState::new(store)), dir)
    }

    async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
        let response = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    #[tokio::test]
    async fn probes_answer() {
        let (app, _dir) = app().await;
        assert_eq!(get(&app, "/healthz").await, (StatusCode::OK, "ok".into()));
        assert_eq!(get(&app, "/readyz").await, (StatusCode::OK, "ready".into()));
    }

    #[tokio::test]
    async fn bad_levels_are_problem_json() {
        let (app, _dir) = app().await;
        let (status, body) = get(&app, "/v1/assessments?min_level=extreme").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("unknown level"), "{body}");
        let (status, body) = get(&app, "/v1/assessments").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "[]"));
    }
}
