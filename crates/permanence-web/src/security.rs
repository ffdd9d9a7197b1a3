//! Headers every answer of the pages carries. The Content-Security-Policy allows scripts,
//! styles, images and fonts from this server only, no inline script and no framing; pages are
//! never cached (they hold children's records). GraphiQL's page has a policy of its own.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// GraphiQL's page: the pages' policy, and what GraphiQL's own files need beyond it, no more.
/// - `font-src data:`: its stylesheet carries its typefaces (Roboto, Fira Code) as `data:`
///   URLs. (Its images are `data:` too, as the pages already allow.)
/// - No `'unsafe-eval'`: neither GraphiQL nor React evaluates strings.
/// - No `style-src 'unsafe-inline'`: GraphiQL styles elements through the DOM (which the
///   policy allows). Only its dialogs (settings, keyboard shortcuts) add a `<style>` element,
///   to stop the page behind them scrolling; the browser refuses it, and this page does not
///   scroll anyway (GraphiQL fills the window), so the dialogs work as they are.
/// - `connect-src 'self'` covers the API and the subscriptions' WebSocket on this host.
pub(crate) const GRAPHIQL_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
    script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
    object-src 'none'";

pub(crate) async fn headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    apply(&mut response, !is_asset);
    response
}

/// Adds the headers to an answer made outside the pages' router (the server's "not found").
pub(crate) fn apply(response: &mut Response, never_cache: bool) {
    apply_policy(response, CONTENT_SECURITY_POLICY, never_cache);
}

/// The headers, with this Content-Security-Policy.
pub(crate) fn apply_policy(response: &mut Response, policy: &'static str, never_cache: bool) {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if never_cache {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
