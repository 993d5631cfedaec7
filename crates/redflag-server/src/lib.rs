//! redflag's HTTP API (axum): screening, ingest, subjects, assessments with evidence, rings, cases and
//! decisions, rules and lists, the audit log, tokens and users, probes and Prometheus metrics, plus the
//! analyst console (the `console` module) and the background [`worker::Worker`].
//!
//! - [`router`] builds the whole application from an [`AppState`] (store, engines built once, token
//!   cache, rate limiter, metrics), apart from `main`, so tests drive it with `tower::ServiceExt::oneshot`.
//! - [`api::routes`] is the route table: method, path, the [`auth::Scope`] it needs and the handler. The
//!   router wraps every route in [`auth`]'s check with that scope, and the authorisation test walks the
//!   same table, so a route cannot exist without a scope or escape the test.
//! - [`api::ApiDoc`] is the OpenAPI document (utoipa), generated from the handlers, at `/openapi.json`.
//!
//! **Design decision:** ingest is accepted, not performed, by the server: the upload is streamed (with a
//! size limit) into a job row and the answer is `202` once that row is committed. Workers (in-process
//! with `redflag serve`, or `redflag worker` processes on other machines) do the parsing and writing,
//! idempotently, so a crash on either side neither loses an accepted upload nor duplicates it.
//!
//! ```no_run
//! # async fn serve(store: redflag_store::Store) -> std::io::Result<()> {
//! let app = redflag_server::router(redflag_server::AppState::new(store));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
//! # }
//! ```
//!
//! **What this crate must never do:** compute findings itself (it calls the pipeline and the store),
//! return internal error details, or write personal data, tokens or passwords to logs (requests are
//! logged by route template and status only).

pub mod api;
pub mod auth;
pub mod console;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod worker;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use redflag_pipeline::Engines;
use redflag_store::Store;
use redflag_watchlist::Index;

pub use auth::{Principal, Role, Scope};
pub use problem::ApiError;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Mark the session cookie `Secure` (turn off only for plain-HTTP development on another host).
    pub secure_cookies: bool,
    /// Largest JSON body accepted (default 256 KiB).
    pub max_json_bytes: usize,
    /// Largest upload accepted by `/v1/ingest/{kind}` (default 256 MiB).
    pub max_ingest_bytes: u64,
    /// Sustained requests per second per credential or address (0 disables; default 2 000).
    pub rate_per_second: f64,
    /// Burst size (default 4 000).
    pub rate_burst: f64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            max_json_bytes: 256 * 1024,
            max_ingest_bytes: 256 * 1024 * 1024,
            rate_per_second: 2000.0,
            rate_burst: 4000.0,
        }
    }
}

/// Engines built once, on first use, and shared by the API and the in-process workers (so a server
/// can listen before they are built).
pub type SharedEngines = Arc<tokio::sync::OnceCell<Arc<Engines>>>;

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    engines: SharedEngines,
    pub(crate) tokens: auth::TokenCache,
    pub(crate) limiter: limits::RateLimiter,
    pub(crate) login_limiter: limits::RateLimiter,
    pub(crate) metrics: metrics::Metrics,
    pub(crate) config: Arc<ServerConfig>,
}

impl AppState {
    /// State over a store with default settings; the engines are built on first use.
    pub fn new(store: Store) -> Self {
        Self::with_config(store, ServerConfig::default())
    }

    /// State with settings.
    pub fn with_config(store: Store, config: ServerConfig) -> Self {
        Self {
            store,
            engines: Arc::default(),
            tokens: auth::TokenCache::default(),
            limiter: limits::RateLimiter::new(config.rate_per_second, config.rate_burst),
            // Sign-in: 10 attempts a minute per address and name, bursts of 5.
            login_limiter: limits::RateLimiter::new(10.0 / 60.0, 5.0),
            metrics: metrics::Metrics::default(),
            config: Arc::new(config),
        }
    }

    /// Uses engines built elsewhere (shared with an in-process worker).
    pub fn with_engines(self, engines: Arc<Engines>) -> Self {
        let cell = tokio::sync::OnceCell::new();
        let _ = cell.set(engines);
        Self {
            engines: Arc::new(cell),
            ..self
        }
    }

    /// Shares an engine cell with in-process workers ([`worker::Worker::with_shared_engines`]); whoever
    /// needs the engines first builds them.
    pub fn with_shared_engines(self, engines: SharedEngines) -> Self {
        Self { engines, ..self }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The engines (built once, on first use, off the async threads).
    pub async fn engines(&self) -> Result<Arc<Engines>, ApiError> {
        self.engines
            .get_or_try_init(|| async {
                tokio::task::spawn_blocking(Engines::builtin)
                    .await
                    .map_err(|e| ApiError::Internal(e.to_string()))?
                    .map(Arc::new)
                    .map_err(|e| ApiError::Internal(format!("cannot build the engines: {e}")))
            })
            .await
            .cloned()
    }

    /// The sanctions index the screening routes use.
    pub async fn index(&self) -> Result<Arc<Index>, ApiError> {
        Ok(self.engines().await?.watchlist.clone())
    }

    /// The caller of a request, from its bearer token or session cookie (for the console's pages).
    pub async fn principal(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Result<Option<Principal>, ApiError> {
        auth::authenticate(self, headers).await
    }
}

/// The whole application: the API routes (each behind its scope check), the console (behind a
/// signed-in check), metrics, body limits, security headers and problem+json fallbacks.
pub fn router(state: AppState) -> Router {
    let mut app: Router<AppState> = Router::new();
    for (spec, handler) in api::routes() {
        let required = auth::Required {
            state: state.clone(),
            scope: spec.scope,
        };
        app = app.route(
            spec.path,
            handler.route_layer(middleware::from_fn_with_state(required, auth::authorize)),
        );
    }
    let console =
        console::routes().route_layer(middleware::from_fn_with_state(state.clone(), console_auth));
    app.merge(console)
        .fallback(|| async { problem::problem(StatusCode::NOT_FOUND, "no such route") })
        .method_not_allowed_fallback(|| async {
            problem::problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this route",
            )
        })
        .layer(DefaultBodyLimit::max(state.config.max_json_bytes))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Console pages need a signed-in user (or a token): `read` to look, `decide` to change a case,
/// `screen` to screen. A browser that is not signed in is sent to `/login`.
async fn console_auth(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(principal) = auth::authenticate(&state, request.headers()).await? else {
        if request.method() == Method::GET {
            return Ok(Redirect::to("/login").into_response());
        }
        return Err(ApiError::Unauthorized);
    };
    let needed = if request.method() == Method::GET {
        Scope::Read
    } else if request.uri().path().starts_with("/console/screen") {
        Scope::Screen
    } else {
        Scope::Decide
    };
    if !principal.allows(needed) {
        return Err(ApiError::Forbidden(format!(
            "this page needs the `{}` scope",
            needed.as_str()
        )));
    }
    if !state.limiter.allow(&principal.actor) {
        return Err(ApiError::RateLimited);
    }
    request
        .extensions_mut()
        .insert(console::ConsoleUser(principal.actor.clone()));
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}

async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry("referrer-policy")
        .or_insert(HeaderValue::from_static("no-referrer"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
