//! What a page answers when it cannot show what was asked: "page not found" (also for a record
//! outside the person's reach: the same words, so that a page never tells which ids exist), or
//! "sorry, there is a problem with the service" for anything else, whose cause is logged and
//! never shown.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use permanence_engine::store::StoreError;

#[derive(Debug)]
pub(crate) enum PageError {
    /// Missing, or outside the person's reach: the same page either way.
    NotFound,
    /// A form without its session's CSRF token.
    Forbidden,
    Internal(String),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::Internal(e.to_string())
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("rendering a page: {e}"))
    }
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage;

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage;

#[derive(Template)]
#[template(path = "form_refused.html")]
struct FormRefusedPage;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::NotFound => not_found_response(),
            PageError::Forbidden => {
                let body = FormRefusedPage
                    .render()
                    .unwrap_or_else(|_| "The form could not be sent.".into());
                (StatusCode::FORBIDDEN, Html(body)).into_response()
            }
            PageError::Internal(cause) => {
                tracing::error!(error = %cause, "a page could not be shown");
                let body = ProblemPage
                    .render()
                    .unwrap_or_else(|_| "Sorry, there is a problem with the service.".into());
                (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
            }
        }
    }
}

fn not_found_response() -> Response {
    let body = NotFoundPage
        .render()
        .unwrap_or_else(|_| "Page not found".into());
    (StatusCode::NOT_FOUND, Html(body)).into_response()
}

/// The "page not found" page, with the pages' security headers: the server answers it for
/// any path it does not serve when the asker is a browser (it accepts HTML).
pub fn page_not_found() -> Response {
    let mut response = not_found_response();
    crate::security::apply(&mut response, true);
    response
}

/// A rendered page, or the problem page.
pub(crate) fn html(page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}
