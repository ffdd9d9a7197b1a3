//! Reading a GraphQL request from an HTTP body: its content type, its size, how deeply it
//! nests, and its JSON, each refused with a GraphQL-shaped error and the status that fits.
//! The nesting is checked on the raw bytes before the JSON is parsed: parsing recurses.

use crate::http_errors::refusal;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use permanence_graphql::{ErrorCode, json_too_deep, too_deep_message};

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

pub(crate) fn not_json() -> Response {
    refusal(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::BadRequest,
        "GraphQL requests must be sent as application/json",
    )
}

fn too_large(limit: usize) -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::BadRequest,
        &format!("the request is larger than this server accepts ({limit} bytes)"),
    )
}

/// The body's bytes, if within `limit`. A declared length over it is refused unread.
pub(crate) async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(too_large(limit));
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes.to_vec()),
        // The only failure short of a dropped connection is the limit.
        Err(_) => Err(too_large(limit)),
    }
}

/// The GraphQL request a body holds: one operation, as a JSON object; or why it is refused
/// (answered as a bad request).
pub(crate) fn parse(bytes: &[u8], max_nesting: usize) -> Result<async_graphql::Request, String> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => {
            return Err(
                "the request has no body: send {\"query\": \"...\", \"variables\": {...}}".into(),
            );
        }
        Some(b'[') => {
            return Err(
                "batches of operations are not accepted: send one operation per request".into(),
            );
        }
        Some(_) => {}
    }
    // Two more levels: the body's object, and the object of the variables.
    if json_too_deep(bytes, max_nesting + 2) {
        return Err(too_deep_message(max_nesting));
    }
    let request: async_graphql::Request = serde_json::from_slice(bytes).map_err(|e| {
        // serde's own message may quote the input: only its kind and place are told.
        let place = format!("line {}, column {}", e.line(), e.column());
        match e.classify() {
            serde_json::error::Category::Data => format!(
                "the body is JSON but not a GraphQL request ({place}): \"query\" must be a \
                 string and \"variables\" an object"
            ),
            _ => format!("the body is not valid JSON ({place})"),
        }
    })?;
    if request.query.trim().is_empty() {
        return Err("the request has no query".into());
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(body: &[u8]) -> bool {
        parse(body, 32).is_err()
    }

    #[test]
    fn takes_one_operation_as_json() {
        assert!(parse(br#"{"query": "{ today }", "variables": {"a": [1]}}"#, 32).is_ok());
        assert!(refused(b""));
        assert!(refused(b"  "));
        assert!(refused(br#"[{"query": "{ today }"}]"#));
        assert!(refused(br#"{"query": 5}"#));
        assert!(refused(br#"{}"#));
        assert!(refused(b"{\"query\": \"\xff\"}"));
        let deep = format!(
            "{{\"query\": \"{{ today }}\", \"variables\": {{\"a\": {}1{}}}}}",
            "[".repeat(40),
            "]".repeat(40)
        );
        assert!(refused(deep.as_bytes()));
    }
}
