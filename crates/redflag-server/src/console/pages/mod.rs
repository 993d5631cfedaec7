//! One module per page.

pub(crate) mod cases;
pub(crate) mod overview;
pub(crate) mod rings;
pub(crate) mod rules;
pub(crate) mod screen;
pub(crate) mod subject;
pub(crate) mod subjects;

use maud::Markup;

/// An HTML response.
pub(crate) fn html(markup: Markup) -> axum::response::Response {
    axum::response::IntoResponse::into_response(markup)
}
