//! Authentication and authorisation: API tokens with scopes, console users with roles, sessions in
//! secure cookies with a CSRF token, and the per-route check.
//!
//! Every API route names the scope it needs in [`crate::api::routes`]; the router wraps each route
//! in [`authorize`] with that scope, so a route cannot be added without one. A token is
//! `rf_` + 43 characters of base64url (256 random bits); the store keeps its SHA-256 only. Passwords are
//! argon2id PHC strings. A request signed in by cookie that changes something must also send the
//! session's CSRF token in `X-CSRF-Token` (bearer-token requests cannot be forged cross-site).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::problem::ApiError;

/// What a credential may do.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read subjects, assessments, rings, cases, rules, lists, jobs, metrics.
    Read,
    /// Screen names and identifiers against the lists.
    Screen,
    /// Upload data and start assessment runs.
    Ingest,
    /// Open, assign, comment on and decide cases.
    Decide,
    /// Everything, including tokens, users, the audit log, export and erasure.
    Admin,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 5] = [
        Scope::Read,
        Scope::Screen,
        Scope::Ingest,
        Scope::Decide,
        Scope::Admin,
    ];

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Screen => "screen",
            Scope::Ingest => "ingest",
            Scope::Decide => "decide",
            Scope::Admin => "admin",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

/// A console user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads only.
    ReadOnly,
    /// Reads, screens and decides cases.
    Analyst,
    /// Everything.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "read_only",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "read_only" | "read-only" => Some(Role::ReadOnly),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The scopes the role grants.
    pub fn scopes(self) -> Vec<Scope> {
        match self {
            Role::ReadOnly => vec![Scope::Read],
            Role::Analyst => vec![Scope::Read, Scope::Screen, Scope::Decide],
            Role::Admin => Scope::ALL.to_vec(),
        }
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `token:ID` or `user:NAME` (what the audit log records).
    pub actor: String,
    /// Granted scopes.
    pub scopes: Vec<Scope>,
    /// The session's CSRF token when signed in by cookie.
    pub csrf: Option<String>,
}

impl Principal {
    /// Whether the principal may use a route needing `scope` (admin may use every route).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }

    /// Whether this is a cookie session (CSRF applies).
    pub fn is_session(&self) -> bool {
        self.csrf.is_some()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or(ApiError::Unauthorized)
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "redflag_session";
/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// How long a token lookup is cached (a revoked token stops working within this time).
const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);

/// A fresh 256-bit secret, base64url.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh API token.
pub fn new_token() -> String {
    format!("rf_{}", random_secret())
}

/// An argon2id PHC hash of a password.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches a PHC hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A token lookup and when it was made.
type CachedLookup = (Option<Principal>, Instant);

/// Caches token lookups so that a busy screening client costs no database round trip per request.
#[derive(Default, Clone)]
pub(crate) struct TokenCache {
    entries: Arc<RwLock<HashMap<String, CachedLookup>>>,
}

impl TokenCache {
    fn get(&self, secret: &str) -> Option<Option<Principal>> {
        let entries = self.entries.read().ok()?;
        let (principal, at) = entries.get(secret)?;
        (at.elapsed() < TOKEN_CACHE_TTL).then(|| principal.clone())
    }

    fn put(&self, secret: &str, principal: Option<Principal>) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() > 10_000 {
                entries.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
            }
            entries.insert(secret.to_string(), (principal, Instant::now()));
        }
    }

    /// Forgets every cached lookup (after a revocation).
    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The value of a cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Resolves the caller from a bearer token or a session cookie; `None` when neither is valid.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    if let Some(secret) = bearer(headers) {
        if let Some(cached) = state.tokens.get(secret) {
            return Ok(cached);
        }
        let principal = state
            .store
            .token_by_secret(secret)
            .await?
            .map(|token| Principal {
                actor: format!("token:{}", token.id),
                scopes: token
                    .scopes
                    .iter()
                    .filter_map(|s| Scope::parse(s))
                    .collect(),
                csrf: None,
            });
        state.tokens.put(secret, principal.clone());
        return Ok(principal);
    }
    if let Some(session) = cookie(headers, SESSION_COOKIE) {
        let Some(record) = state.store.session(session).await? else {
            return Ok(None);
        };
        let role = Role::parse(&record.user.role).unwrap_or(Role::ReadOnly);
        return Ok(Some(Principal {
            actor: format!("user:{}", record.user.username),
            scopes: role.scopes(),
            csrf: Some(record.csrf),
        }));
    }
    Ok(None)
}

/// What a route needs: `None` for public routes.
#[derive(Clone)]
pub(crate) struct Required {
    pub(crate) state: AppState,
    pub(crate) scope: Option<Scope>,
}

/// The per-route check: authenticates, checks the scope, CSRF for cookie sessions and the rate limit,
/// then hands the [`Principal`] to the handler in the request's extensions.
pub(crate) async fn authorize(
    State(required): State<Required>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let state = &required.state;
    let Some(scope) = required.scope else {
        if !state.limiter.allow(&client_key(&request)) {
            return Err(ApiError::RateLimited);
        }
        return Ok(next.run(request).await);
    };
    let principal = authenticate(state, request.headers())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !principal.allows(scope) {
        return Err(ApiError::Forbidden(format!(
            "this route needs the `{}` scope",
            scope.as_str()
        )));
    }
    if let Some(csrf) = &principal.csrf {
        let unsafe_method = !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
        let sent = request
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        if unsafe_method && sent != Some(csrf.as_str()) {
            return Err(ApiError::Forbidden(
                "missing or wrong X-CSRF-Token for a signed-in session".into(),
            ));
        }
    }
    if !state.limiter.allow(&principal.actor) {
        return Err(ApiError::RateLimited);
    }
    request.extensions_mut().insert(principal);
    Ok(next.run(request).await)
}

/// The rate-limit key of an unauthenticated request: the peer address when known.
pub(crate) fn client_key(request: &Request) -> String {
    request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| format!("ip:{}", c.0.ip()))
        .unwrap_or_else(|| "ip:unknown".into())
}

/// The `Set-Cookie` value of a new session.
pub(crate) fn session_cookie(value: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_TTL.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that ends a session.
pub(crate) fn clear_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Signs a user in: checks the password, creates a session, audits `auth.login` (or
/// `auth.login_failed`). Returns the session id (cookie value) and its CSRF token.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<(String, String, Role), ApiError> {
    let found = state.store.user_with_hash(username).await?;
    // Verify against a fixed hash when the user does not exist, so timing does not reveal names.
    let (user, hash) = match found {
        Some((user, hash)) if !user.disabled => (Some(user), hash),
        _ => (None, DUMMY_HASH.to_string()),
    };
    let ok = tokio::task::spawn_blocking({
        let password = password.to_string();
        move || verify_password(&password, &hash)
    })
    .await
    .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        state
            .store
            .audit(
                "anonymous",
                "auth.login_failed",
                "user:?",
                &serde_json::json!({}),
            )
            .await?;
        return Err(ApiError::Unauthorized);
    };
    let session = random_secret();
    let csrf = random_secret();
    let expires = chrono::Utc::now()
        + chrono::Duration::from_std(SESSION_TTL).unwrap_or(chrono::Duration::hours(12));
    state
        .store
        .create_session(&session, user.id, &csrf, expires)
        .await?;
    state
        .store
        .audit(
            &format!("user:{}", user.username),
            "auth.login",
            &format!("user:{}", user.id),
            &serde_json::json!({}),
        )
        .await?;
    Ok((
        session,
        csrf,
        Role::parse(&user.role).unwrap_or(Role::ReadOnly),
    ))
}

/// An argon2id hash of a random password, verified against when a login names no user.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Hk2S5uQpt9OPZlqvbUQkUuVv6Qm1YF3dK0R2U1kf4k8";

/// Credentials created on first start.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    /// The admin user's name.
    pub username: String,
    /// The admin password (generated unless `REDFLAG_ADMIN_PASSWORD` was given).
    pub password: Option<String>,
    /// An admin API token.
    pub token: String,
}

/// Creates an `admin` user and an admin token when the store has no credentials at all; returns them
/// so the caller can print them once. `password` is used when given, else one is generated.
pub async fn bootstrap(
    state: &AppState,
    password: Option<String>,
) -> Result<Option<Bootstrap>, ApiError> {
    if state.store.has_credentials().await? {
        return Ok(None);
    }
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| random_secret()[..20].to_string());
    let hash = hash_password(&password)?;
    state
        .store
        .create_user("system", "admin", &hash, Role::Admin.as_str())
        .await?;
    let token = new_token();
    state
        .store
        .create_token("system", "bootstrap admin", &token, &["admin"])
        .await?;
    Ok(Some(Bootstrap {
        username: "admin".into(),
        password: generated.then_some(password),
        token,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("anything", DUMMY_HASH));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn roles_grant_scopes() {
        assert_eq!(Role::ReadOnly.scopes(), [Scope::Read]);
        assert!(!Role::Analyst.scopes().contains(&Scope::Admin));
        let admin = Principal {
            actor: "user:a".into(),
            scopes: Role::Admin.scopes(),
            csrf: None,
        };
        assert!(Scope::ALL.iter().all(|s| admin.allows(*s)));
    }

    #[test]
    fn cookies_and_bearer_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; redflag_session=abc; b=2".parse().unwrap(),
        );
        headers.insert(header::AUTHORIZATION, "Bearer rf_x".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(bearer(&headers), Some("rf_x"));
        assert!(new_token().starts_with("rf_") && new_token().len() == 46);
    }
}
