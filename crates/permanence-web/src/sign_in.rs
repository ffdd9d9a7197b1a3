//! Signing in and out.
//!
//! A wrong username and a wrong password get the same answer, in the same time (an unknown
//! username still costs one Argon2id verification). Failed sign-ins are counted per account
//! and per address over a window, in the database so that every server process counts them;
//! past the limit, sign-in is refused until the window has passed. Signing in always starts a
//! new session (a session id fixed before sign-in is never promoted), and the sign-in form
//! carries a CSRF token of its own, paired with a short-lived cookie. Where the council's
//! identity provider is set up, the page also offers signing in with the council account
//! (`single_sign_on`), which ends in the same kind of session.

use crate::error::{PageError, html};
use crate::form::{FieldError, Values};
use crate::session::{self, PeerAddress, SESSION_COOKIE, SignedIn, cookie, is_secure, set_cookie};
use crate::{WebState, format};
use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use permanence_auth::{
    csrf_matches, hash_session_secret, new_session, verify_against_nothing, verify_password,
};
use permanence_engine::store::SessionRecord;
use serde::Deserialize;

/// The cookie that pairs a sign-in form with the browser it was sent to.
const SIGN_IN_CSRF_COOKIE: &str = "permanence_sign_in";

/// The id of the "Sign in with your council account" button, which the error summary links
/// to when signing in that way went wrong.
pub(crate) const SINGLE_SIGN_ON_FIELD: &str = "single-sign-on";

/// How many failed sign-ins are allowed, and over how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttle {
    pub per_account: u64,
    pub per_address: u64,
    pub window_minutes: i64,
}

impl Default for Throttle {
    /// Five tries for an account and twenty from one address (an office behind one address
    /// has many people) in a quarter of an hour.
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            window_minutes: 15,
        }
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    csrf_token: String,
    next: String,
    username: String,
    signed_out: bool,
    session_ended: bool,
    /// Whether to offer signing in with the council account.
    single_sign_on: bool,
    errors: Vec<FieldError>,
    /// What the person had typed into a form when their session ended (`Values` as JSON),
    /// carried through signing in to come back in the form.
    draft: String,
}

impl SignInPage {
    fn new(state: &WebState, next: String) -> Result<Self, PageError> {
        Ok(Self {
            csrf_token: fresh_csrf()?,
            next,
            username: String::new(),
            signed_out: false,
            session_ended: false,
            single_sign_on: state.options.single_sign_on.is_some(),
            errors: Vec::new(),
            draft: String::new(),
        })
    }

    /// `next`, for the council account button's link.
    fn next_query(&self) -> String {
        format::query_value(&self.next)
    }

    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
    ended: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    draft: String,
}

/// The sign-in form, with a fresh CSRF token in the form and in a cookie.
fn form_page(
    state: &WebState,
    headers: &HeaderMap,
    page: SignInPage,
    status: StatusCode,
) -> Response {
    let secure = is_secure(state, headers);
    let mut response = html(&page);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_CSRF_COOKIE, Some(&page.csrf_token), secure),
    );
    response
}

fn fresh_csrf() -> Result<String, PageError> {
    new_session()
        .map(|s| s.csrf_token)
        .map_err(|e| PageError::Internal(e.to_string()))
}

pub(crate) async fn form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Result<Response, PageError> {
    let next = format::local_path(query.next.as_deref()).to_owned();
    if session::current(&state, &headers).await?.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let page = SignInPage {
        signed_out: query.signed_out.is_some(),
        session_ended: query.ended.is_some(),
        ..SignInPage::new(&state, next)?
    };
    Ok(form_page(&state, &headers, page, StatusCode::OK))
}

/// The sign-in page with one error, linked to `field`.
pub(crate) fn page_with_error(
    state: &WebState,
    headers: &HeaderMap,
    next: String,
    field: &'static str,
    message: &str,
    status: StatusCode,
) -> Result<Response, PageError> {
    let mut page = SignInPage::new(state, next)?;
    page.errors.push(FieldError::new(field, message));
    Ok(form_page(state, headers, page, status))
}

/// The subjects failures are counted against: the account (whether or not it exists, so the
/// count tells nothing) and the address.
fn subjects(username: &str, peer: &PeerAddress) -> Vec<String> {
    let mut out = vec![format!("account:{}", username.trim().to_lowercase())];
    if let Some(ip) = peer.0 {
        out.push(format!("address:{ip}"));
    }
    out
}

async fn throttled(state: &WebState, subjects: &[String]) -> Result<bool, PageError> {
    let throttle = state.options.sign_in_throttle;
    let since = state.engine.now() - Duration::minutes(throttle.window_minutes);
    for subject in subjects {
        let limit = if subject.starts_with("account:") {
            throttle.per_account
        } else {
            throttle.per_address
        };
        if state
            .engine
            .store()
            .sign_in_failures_since(subject, since)
            .await?
            >= limit
        {
            return Ok(true);
        }
    }
    Ok(false)
}

pub(crate) async fn submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    peer: PeerAddress,
    Form(input): Form<SignInForm>,
) -> Result<Response, PageError> {
    let next = format::local_path(Some(&input.next)).to_owned();
    let mut page = SignInPage {
        username: input.username.clone(),
        draft: kept_draft(&input.draft),
        ..SignInPage::new(&state, next.clone())?
    };
    let paired = cookie(&headers, SIGN_IN_CSRF_COOKIE)
        .is_some_and(|expected| csrf_matches(&input.csrf_token, expected));
    if !paired {
        page.errors.push(FieldError::new(
            "username",
            "The sign-in form had expired. Sign in again.",
        ));
        return Ok(form_page(&state, &headers, page, StatusCode::BAD_REQUEST));
    }
    if input.username.trim().is_empty() {
        page.errors
            .push(FieldError::new("username", "Enter your username"));
    }
    if input.password.is_empty() {
        page.errors
            .push(FieldError::new("password", "Enter your password"));
    }
    if !page.errors.is_empty() {
        return Ok(form_page(&state, &headers, page, StatusCode::BAD_REQUEST));
    }
    let subjects = subjects(&input.username, &peer);
    if throttled(&state, &subjects).await? {
        page.errors.push(FieldError::new("username", format!(
                "There have been too many failed attempts to sign in. Wait {} minutes, then try again.",
                state.options.sign_in_throttle.window_minutes
            )));
        return Ok(form_page(
            &state,
            &headers,
            page,
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let store = state.engine.store();
    let now = state.engine.now();
    let candidate = store.sign_in_candidate(input.username.trim()).await?;
    let user = match candidate {
        Some(c) if !c.user.is_disabled_at(now) => match c.password_hash {
            Some(hash) if verify_password(&input.password, &hash) => Some(c.user),
            Some(_) => None,
            None => {
                verify_against_nothing(&input.password);
                None
            }
        },
        _ => {
            verify_against_nothing(&input.password);
            None
        }
    };
    let Some(user) = user else {
        store.record_sign_in_failure(&subjects, now).await?;
        page.errors.push(FieldError::new(
            "username",
            "The username or password is not right",
        ));
        return Ok(form_page(&state, &headers, page, StatusCode::UNAUTHORIZED));
    };
    let window = Duration::minutes(state.options.sign_in_throttle.window_minutes);
    store
        .forget_sign_in_failures(&subjects[0], now - window)
        .await?;
    let mut response = Redirect::to(&next).into_response();
    let session = begin_session(&state, &headers, user.id, &mut response).await?;
    if !page.draft.is_empty() && next != "/" {
        let lifetime = Duration::from_std(state.options.session.absolute)
            .unwrap_or_else(|_| Duration::hours(10));
        store
            .save_form_draft(session.id, &next, &page.draft, now, now - lifetime)
            .await?;
    }
    Ok(response)
}

/// Starts a new session for a user who has just shown who they are, however they did:
/// the session the request named, if any, ends (another person's, or one planted), and the
/// response gets the new session's cookie and loses the sign-in form's.
pub(crate) async fn begin_session(
    state: &WebState,
    headers: &HeaderMap,
    user_id: uuid::Uuid,
    response: &mut Response,
) -> Result<SessionRecord, PageError> {
    let store = state.engine.store();
    let now = state.engine.now();
    if let Some(old) = cookie(headers, SESSION_COOKIE)
        && let Some((session, _)) = store
            .session_by_secret_hash(&hash_session_secret(old))
            .await?
    {
        store.revoke_session(session.id, now).await?;
    }
    let fresh = new_session().map_err(|e| PageError::Internal(e.to_string()))?;
    let session = store
        .create_session(user_id, &fresh.hash, &fresh.csrf_token, now)
        .await?;
    let secure = is_secure(state, headers);
    let cookies = response.headers_mut();
    cookies.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, Some(&fresh.secret), secure),
    );
    cookies.append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_CSRF_COOKIE, None, secure),
    );
    Ok(session)
}

/// The largest draft carried through signing in: far more than any form holds, small enough
/// that a forged one cannot fill the database.
const DRAFT_LIMIT_BYTES: usize = 64 * 1024;

/// A draft sent back with the sign-in form, if it is one (anything else is dropped).
fn kept_draft(sent: &str) -> String {
    if sent.is_empty()
        || sent.len() > DRAFT_LIMIT_BYTES
        || serde_json::from_str::<Values>(sent).is_err()
    {
        return String::new();
    }
    sent.to_owned()
}

/// The answer to a form sent after its session ended: the sign-in page, saying the session
/// ended, carrying what was typed so that it comes back in the form once the person has
/// signed in again. Nothing is recorded; the draft is never shown to anyone but the browser
/// that typed it and, after sign-in, that person's new session.
pub(crate) fn sign_in_again_keeping(
    state: &WebState,
    headers: &HeaderMap,
    form_path: &str,
    values: &Values,
) -> Result<Response, PageError> {
    let draft = serde_json::to_string(values).map_err(|e| PageError::Internal(e.to_string()))?;
    let page = SignInPage {
        session_ended: true,
        draft: kept_draft(&draft),
        ..SignInPage::new(state, format::local_path(Some(form_path)).to_owned())?
    };
    Ok(form_page(state, headers, page, StatusCode::UNAUTHORIZED))
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

pub(crate) async fn sign_out(
    State(state): State<WebState>,
    headers: HeaderMap,
    signed_in: SignedIn,
    Form(input): Form<CsrfForm>,
) -> Result<Response, PageError> {
    if !csrf_matches(&input.csrf_token, &signed_in.session.csrf_token) {
        return Err(PageError::Forbidden);
    }
    state
        .engine
        .store()
        .revoke_session(signed_in.session.id, state.engine.now())
        .await?;
    let mut response = Redirect::to("/sign-in?signed_out=1").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, None, is_secure(&state, &headers)),
    );
    Ok(response)
}
