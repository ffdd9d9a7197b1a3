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

/// Any path the server does not serve.
pub(crate) async fn no_such_path() -> Response {
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
