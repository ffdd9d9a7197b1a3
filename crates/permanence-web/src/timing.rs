//! `Server-Timing: app;dur=…` on every answer of the pages: the milliseconds from the request
//! reaching the pages to the answer made (the session looked up, the records read, the audit
//! rows written, the page rendered), without the network or the client. Browsers show it in
//! their developer tools, and the benchmark (`permanence-bench suite --only PAGES`) reads it.
//! It tells no more than a client's own clock does. A page may name its own steps in the same
//! header (the dashboard: `cases;dur=…, periods;dur=…, quarters;dur=…, breakdowns;dur=…,
//! page;dur=…`); they follow the whole.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub(crate) async fn server_timing(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut response = next.run(request).await;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let steps = response
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .map(|steps| format!(", {steps}"))
        .unwrap_or_default();
    if let Ok(value) = HeaderValue::from_str(&format!("app;dur={millis:.3}{steps}")) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}
