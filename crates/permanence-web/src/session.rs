//! Who is signed in: the session cookie, checked against the store on every page.
//!
//! The cookie holds a random secret; the store keeps its hash. A session ends when it has been
//! idle too long, when it is too old, when its user signs out or is disabled, or when their
//! password changes. A page asked for without a live session sends the person to sign in and
//! back to the page afterwards.

use crate::WebState;
use crate::error::PageError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use permanence_auth::{Principal, SessionStatus, hash_session_secret};
use permanence_engine::store::{SessionRecord, UserRecord};
use std::net::{IpAddr, SocketAddr};

pub(crate) const SESSION_COOKIE: &str = "permanence_session";

/// How stale `last_seen_at` may get before a request writes it again: the idle expiry is
/// minutes long, so a write per request would cost without telling anything more.
const TOUCH_AFTER_SECONDS: i64 = 60;

/// The signed-in person of a page request.
pub(crate) struct SignedIn {
    pub principal: Principal,
    pub session: SessionRecord,
}

/// The value of a cookie sent with the request.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Whether the request reached us over HTTPS (directly or through a proxy that says so).
pub(crate) fn is_secure(state: &WebState, headers: &HeaderMap) -> bool {
    state.options.always_secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, for the whole site; `Secure` over HTTPS.
/// With no value, the cookie is removed.
pub(crate) fn set_cookie(name: &str, value: Option<&str>, secure: bool) -> HeaderValue {
    let mut text = match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Strict"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    };
    if secure {
        text.push_str("; Secure");
    }
    // Names and values are ours (base64url and ASCII), so this cannot fail; an empty header
    // would only fail to set the cookie.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The live session named by the request's cookie, if any.
pub(crate) async fn current(
    state: &WebState,
    headers: &HeaderMap,
) -> Result<Option<SignedIn>, PageError> {
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let store = state.engine.store();
    let Some((session, user)) = store
        .session_by_secret_hash(&hash_session_secret(secret))
        .await?
    else {
        return Ok(None);
    };
    let now = state.engine.now();
    let status = SessionStatus::at(
        &state.options.session,
        session.created_at,
        session.last_seen_at,
        session.revoked_at,
        now,
    );
    if !status.is_live() || user.is_disabled_at(now) {
        return Ok(None);
    }
    if now - session.last_seen_at > Duration::seconds(TOUCH_AFTER_SECONDS) {
        store.touch_session(session.id, now).await?;
    }
    Ok(Some(signed_in(session, &user)))
}

fn signed_in(session: SessionRecord, user: &UserRecord) -> SignedIn {
    SignedIn {
        principal: user.principal(),
        session,
    }
}

/// Where to send someone who must sign in first: the sign-in page, then back to `path`.
pub(crate) fn to_sign_in(path_and_query: &str) -> Response {
    let next = crate::format::query_value(path_and_query);
    Redirect::to(&format!("/sign-in?next={next}")).into_response()
}

impl FromRequestParts<WebState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        match current(state, &parts.headers).await {
            Ok(Some(signed_in)) => Ok(signed_in),
            Ok(None) => {
                let path = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                Err(to_sign_in(&path))
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The address the request came from, when the server knows it (for throttling sign-ins).
pub(crate) struct PeerAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddress(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}
