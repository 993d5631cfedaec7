//! Errors as RFC 9457 problem+json, and extractors whose rejections are problems too (so malformed JSON,
//! a wrong content type, an oversized body or an unknown field is a clear 4xx, never a 500 or text).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// The API's error: a status and a problem+json body; internal causes are logged, never returned.
#[derive(Debug)]
pub enum ApiError {
    /// The store failed.
    Store(redflag_store::StoreError),
    /// The request was malformed.
    BadRequest(String),
    /// No credentials, or bad ones.
    Unauthorized,
    /// Credentials without the scope the route needs.
    Forbidden(String),
    /// No such record.
    NotFound(String),
    /// The record exists already.
    Conflict(String),
    /// The body is larger than the route accepts.
    TooLarge(u64),
    /// The body's content type is not one the route reads.
    UnsupportedMediaType(String),
    /// Too many requests from this caller.
    RateLimited,
    /// Something else failed on our side (details logged).
    Internal(String),
    /// Any other status with a detail.
    Status(StatusCode, String),
    /// Uploaded data that cannot be read as the kind named: 422 with the line (and field) in the
    /// problem's `line` and `field` members.
    Input {
        /// What is wrong.
        detail: String,
        /// Line in the upload.
        line: u64,
        /// Field, when known.
        field: Option<String>,
    },
}

impl From<redflag_store::StoreError> for ApiError {
    fn from(value: redflag_store::StoreError) -> Self {
        match value {
            redflag_store::StoreError::NotFound { what, id } => {
                ApiError::NotFound(format!("no {what} {id}"))
            }
            redflag_store::StoreError::Conflict { what, id } => {
                ApiError::Conflict(format!("{what} {id} exists already"))
            }
            other => ApiError::Store(other),
        }
    }
}

/// A problem+json response.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    problem_with(status, detail, serde_json::Map::new())
}

/// A problem+json response with extension members (e.g. `line`).
pub fn problem_with(
    status: StatusCode,
    detail: &str,
    extensions: serde_json::Map<String, serde_json::Value>,
) -> Response {
    let mut body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(object) = body.as_object_mut() {
        for (key, value) in extensions {
            object.entry(key).or_insert(value);
        }
    }
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Input {
            detail,
            line,
            field,
        } = self
        {
            let mut extensions = serde_json::Map::new();
            extensions.insert("line".into(), line.into());
            if let Some(field) = field {
                extensions.insert("field".into(), field.into());
            }
            return problem_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &truncate(&detail, 500),
                extensions,
            );
        }
        let (status, detail) = match self {
            ApiError::Store(error) => {
                tracing::error!(%error, "store error");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is not available".to_string(),
                )
            }
            ApiError::BadRequest(detail) => (StatusCode::BAD_REQUEST, detail),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "authentication required: send `Authorization: Bearer <token>` or sign in".into(),
            ),
            ApiError::Forbidden(detail) => (StatusCode::FORBIDDEN, detail),
            ApiError::NotFound(detail) => (StatusCode::NOT_FOUND, detail),
            ApiError::Conflict(detail) => (StatusCode::CONFLICT, detail),
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than this route accepts ({limit} bytes)"),
            ),
            ApiError::UnsupportedMediaType(detail) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, detail),
            ApiError::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests; slow down".into(),
            ),
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error (logged)".into(),
                )
            }
            ApiError::Status(status, detail) => (status, detail),
            ApiError::Input { detail, .. } => (StatusCode::UNPROCESSABLE_ENTITY, detail),
        };
        let mut response = problem(status, &detail);
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

/// `axum::Json` with problem+json rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
            "send the body as JSON with `Content-Type: application/json`".into(),
        ),
        JsonRejection::JsonDataError(e) => ApiError::Status(
            StatusCode::UNPROCESSABLE_ENTITY,
            // serde's message names the field and the expected type, never echoes values at length.
            truncate(&e.body_text(), 300),
        ),
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::BadRequest(format!("malformed JSON: {}", truncate(&e.body_text(), 300)))
        }
        _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::Status(status, "the body is larger than this route accepts".into())
        }
        other => ApiError::Status(status, truncate(&other.body_text(), 300)),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// `axum::extract::Path` with problem+json rejections.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(path_rejection(rejection)),
        }
    }
}

fn path_rejection(rejection: PathRejection) -> ApiError {
    ApiError::BadRequest(format!(
        "bad path parameter: {}",
        truncate(&rejection.body_text(), 200)
    ))
}

/// `axum::extract::Query` with problem+json rejections.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::BadRequest(format!(
        "bad query string: {}",
        truncate(&rejection.body_text(), 200)
    ))
}
