//! Refusals of the HTTP layer, in GraphQL's shape: `{"errors":[{"message", "extensions":
//! {"code"}}]}` with the status that fits, so that a client reads every refusal the same way
//! (never a bare text body, never a Rust debug string).

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use permanence_graphql::ErrorCode;

/// An answer of one error with a code.
pub(crate) fn refusal(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": code.as_str() } }]
        })),
    )
        .into_response()
}

pub(crate) fn bad_request(message: &str) -> Response {
    refusal(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
}

/// Any path the server does not serve: the pages' "page not found" for a browser, a
/// GraphQL-shaped error for any other client.
pub(crate) async fn no_such_path(headers: axum::http::HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        return permanence_web::page_not_found();
    }
    refusal(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "there is nothing at this address: the API is at /graphql",
    )
}

/// A method `/graphql` does not take.
pub(crate) async fn wrong_method() -> Response {
    let mut response = refusal(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::BadRequest,
        "GraphQL requests are sent with POST (GET opens GraphiQL where it is enabled)",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
    response
}
