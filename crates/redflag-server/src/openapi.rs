//! The OpenAPI document served at `/openapi.json`.

use utoipa::OpenApi as _;

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    crate::api::ApiDoc::openapi()
}
