//! Signing in through the council's identity provider: OpenID Connect's authorisation code
//! flow with PKCE.
//!
//! The sign-in page links to `/sign-in/single-sign-on`, which makes a state, a nonce and a
//! PKCE code verifier, keeps them in a short-lived cookie, and sends the browser to the
//! provider with the state, the nonce and the verifier's S256 challenge. The provider sends
//! the person back to `/sign-in/callback` with a code; the callback checks the state against
//! the cookie, exchanges the code (with the verifier, and the client secret when there is
//! one) at the token endpoint, verifies the ID token (signature from the local JWKS file,
//! issuer, audience = client id, expiry, nonce), maps its claims to a role as the API does
//! for the same provider's tokens, and starts a session exactly as a password sign-in does.
//!
//! Two cookie rules shape it. The attempt's cookie is `SameSite=Lax`: the provider's
//! redirect back is a cross-site navigation, on which a `Strict` cookie is not sent. And the
//! callback answers a page that moves on by itself (a meta refresh, with a link) rather than
//! a redirect: a redirect would still belong to the navigation the provider started, so the
//! browser would leave out the new `Strict` session cookie and the person would arrive at the
//! home page signed out. A refresh from our own page is a same-site navigation.
//!
//! The start is a link, not a form: the pages' Content-Security-Policy has `form-action
//! 'self'`, which browsers also apply to where a form's answer redirects, so a form could not
//! lead to the provider. Following the link changes nothing but the attempt's cookie, and a
//! sign-in started by someone else's link cannot finish in this browser without its cookie.
//!
//! What goes wrong is said on the sign-in page in plain words; the reason is logged at warn,
//! never a code, a token, a claim value that names a person, or what the provider wrote.

use crate::error::{PageError, html};
use crate::session::{cookie, is_secure};
use crate::sign_in::{self, SINGLE_SIGN_ON_FIELD};
use crate::{WebState, format};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use permanence_auth::{AuthError, JwtConfig, JwtVerifier, SignInAttempt};
use permanence_engine::store::{NewUser, SingleSignOnUser};
use reqwest::Url;
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The cookie that keeps a sign-in's state, nonce and code verifier while the person is at
/// the identity provider.
const ATTEMPT_COOKIE: &str = "permanence_single_sign_on";

/// How long a person may take at the identity provider (a second factor included).
const ATTEMPT_SECONDS: u32 = 600;

/// The path the identity provider sends people back to.
pub(crate) const CALLBACK_PATH: &str = "/sign-in/callback";

/// The most of the token endpoint's answer that is read: an ID token is a few kilobytes.
const MAX_TOKEN_ANSWER_BYTES: usize = 256 * 1024;

/// The longest subject that fits a username.
const MAX_USERNAME_CHARS: usize = 100;

/// The longest display name kept.
const MAX_DISPLAY_NAME_CHARS: usize = 200;

/// The `[web_sign_in]` table of the single sign-on settings file: how the pages sign people
/// in through the identity provider whose tokens the rest of the file describes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSignInSettings {
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the server exchanges the code for the ID token.
    pub token_endpoint: String,
    /// This service's client id at the provider; the ID token's audience.
    pub client_id: String,
    /// A file holding the client secret alone. Without it the client is public (PKCE only).
    #[serde(default)]
    pub client_secret_file: Option<PathBuf>,
    /// Only so that a secret written into the settings is refused with the reason.
    #[serde(default)]
    client_secret: Option<serde::de::IgnoredAny>,
    /// The server's public address followed by `/sign-in/callback`, exactly as registered
    /// at the provider.
    pub redirect_uri: String,
    /// The scopes asked for; `openid` must be among them.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".to_owned(), "profile".to_owned()]
}

/// A setting of `[web_sign_in]` that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    pub key: &'static str,
    pub reason: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "web_sign_in.{}: {}", self.key, self.reason)
    }
}

impl std::error::Error for SettingsError {}

fn refuse<T>(key: &'static str, reason: impl Into<String>) -> Result<T, SettingsError> {
    Err(SettingsError {
        key,
        reason: reason.into(),
    })
}

/// Single sign-on for the pages, ready to use.
pub struct SingleSignOn {
    authorization_endpoint: Url,
    token_endpoint: Url,
    client_id: String,
    client_secret: Option<String>,
    redirect_uri: String,
    scope: String,
    /// Verifies ID tokens: the provider's keys, issuer and claim mapping, with the client id
    /// as the audience.
    verifier: JwtVerifier,
    http: reqwest::Client,
}

impl fmt::Debug for SingleSignOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SingleSignOn")
            .field(
                "authorization_endpoint",
                &self.authorization_endpoint.as_str(),
            )
            .field("token_endpoint", &self.token_endpoint.as_str())
            .field("client_id", &self.client_id)
            .field("confidential", &self.client_secret.is_some())
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl SingleSignOn {
    /// Checks the settings and reads the client secret. `jwks` and `jwt` are the file's key
    /// set and claim mapping: ID tokens are verified with them, with the client id in place of
    /// `audience` (an ID token's audience is always the client it was issued to).
    pub fn configure(
        settings: WebSignInSettings,
        jwks: &str,
        jwt: &JwtConfig,
    ) -> Result<Self, SettingsError> {
        if settings.client_secret.is_some() {
            return refuse(
                "client_secret",
                "a secret does not belong in the settings file: put it alone in a file that \
                 only the server can read, and name that file with client_secret_file",
            );
        }
        let authorization_endpoint =
            endpoint("authorization_endpoint", &settings.authorization_endpoint)?;
        let token_endpoint = endpoint("token_endpoint", &settings.token_endpoint)?;
        let redirect = endpoint("redirect_uri", &settings.redirect_uri)?;
        if redirect.path() != CALLBACK_PATH || redirect.query().is_some() {
            return refuse(
                "redirect_uri",
                format!(
                    "must be the server's public address followed by {CALLBACK_PATH} \
                     (the path this server answers the identity provider on), with no query"
                ),
            );
        }
        let client_id = settings.client_id;
        if client_id.trim().is_empty() {
            return refuse("client_id", "is empty");
        }
        if client_id.trim() != client_id || client_id.chars().any(char::is_control) {
            return refuse(
                "client_id",
                "has spaces around it or a control character in it",
            );
        }
        let client_secret = match &settings.client_secret_file {
            None => None,
            Some(path) => Some(read_secret(path)?),
        };
        if !settings.scopes.iter().any(|s| s == "openid") {
            return refuse(
                "scopes",
                "must include \"openid\" (without it there is no ID token)",
            );
        }
        // RFC 6749's scope-token: printable ASCII but space, double quote and backslash.
        if let Some(bad) = settings.scopes.iter().find(|scope| {
            scope.is_empty()
                || !scope
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        }) {
            return refuse(
                "scopes",
                format!("{bad:?} is not a scope (printable characters, no spaces or quotes)"),
            );
        }
        let verifier = JwtVerifier::from_jwks_json(
            jwks,
            JwtConfig {
                audience: client_id.clone(),
                ..jwt.clone()
            },
        )
        .or_else(|e| refuse("client_id", e.to_string()))?;
        let http = reqwest::Client::builder()
            // A token endpoint answers where it is; following a redirect would send the code
            // and the secret somewhere nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .or_else(|e| refuse("token_endpoint", format!("no HTTP client: {e}")))?;
        Ok(Self {
            authorization_endpoint,
            token_endpoint,
            client_id,
            client_secret,
            redirect_uri: redirect.to_string(),
            scope: settings.scopes.join(" "),
            verifier,
            http,
        })
    }

    /// Where people are sent to sign in: for the server's start-up log.
    pub fn authorization_endpoint(&self) -> &str {
        self.authorization_endpoint.as_str()
    }

    /// The provider's page for this attempt.
    fn authorization_url(&self, attempt: &SignInAttempt) -> Url {
        let mut url = self.authorization_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", &self.scope)
            .append_pair("state", &attempt.state)
            .append_pair("nonce", &attempt.nonce)
            .append_pair("code_challenge", &attempt.code_challenge())
            .append_pair("code_challenge_method", "S256");
        url
    }

    /// Exchanges the code for the ID token. The error is a reason for the log.
    async fn exchange(&self, code: &str, code_verifier: &str) -> Result<String, String> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("code_verifier", code_verifier),
        ];
        let mut request = self
            .http
            .post(self.token_endpoint.clone())
            .header(header::ACCEPT, "application/json");
        match &self.client_secret {
            // RFC 6749 (2.3.1): both form-encoded, then HTTP Basic.
            Some(secret) => {
                request = request.basic_auth(
                    format::query_value(&self.client_id),
                    Some(format::query_value(secret)),
                );
            }
            None => form.push(("client_id", self.client_id.as_str())),
        }
        let mut response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("the token endpoint could not be reached: {}", causes(&e)))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("the token endpoint's answer broke off: {}", causes(&e)))?
        {
            if body.len() + chunk.len() > MAX_TOKEN_ANSWER_BYTES {
                return Err("the token endpoint's answer is too long".to_owned());
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let code = serde_json::from_slice::<TokenRefusal>(&body)
                .ok()
                .map_or_else(
                    || "no error code".to_owned(),
                    |refusal| error_code(&refusal.error).to_owned(),
                );
            return Err(format!("the token endpoint answered {status} ({code})"));
        }
        serde_json::from_slice::<TokenAnswer>(&body)
            .map(|answer| answer.id_token)
            .map_err(|_| "the token endpoint's answer is not JSON with an id_token".to_owned())
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: String,
}

#[derive(Deserialize)]
struct TokenRefusal {
    error: String,
}

/// An absolute http(s) address without credentials or fragment; plain http only to this
/// machine (the code, the secret and the token cross it).
fn endpoint(key: &'static str, text: &str) -> Result<Url, SettingsError> {
    let url = match Url::parse(text.trim()) {
        Ok(url) => url,
        Err(e) => return refuse(key, format!("{text:?} is not an address: {e}")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return refuse(key, "must not hold a user name or password");
    }
    if url.fragment().is_some() {
        return refuse(key, "must not have a fragment (#…)");
    }
    let loopback = url.host_str().is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => refuse(
            key,
            "must use https (plain http only to this machine: localhost, 127.0.0.1 or ::1)",
        ),
        other => refuse(key, format!("must be an https address, not {other}:")),
    }
}

fn read_secret(path: &std::path::Path) -> Result<String, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            return refuse(
                "client_secret_file",
                format!("{} cannot be read: {e}", path.display()),
            );
        }
    };
    // An editor's final newline is not part of the secret.
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return refuse("client_secret_file", format!("{} is empty", path.display()));
    }
    if secret.contains(['\r', '\n']) {
        return refuse(
            "client_secret_file",
            format!("{} holds more than one line", path.display()),
        );
    }
    Ok(secret.to_owned())
}

/// An OAuth error code for the log: RFC 6749's codes are a few lowercase words; anything else
/// is not repeated.
fn error_code(code: &str) -> &str {
    if !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        code
    } else {
        "an unrecognised error code"
    }
}

/// An error and its causes, for the log (reqwest's own message leaves out why).
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

// ----- the attempt's cookie ------------------------------------------------------------------

/// `state.nonce.verifier.next`: three base64url secrets (no dots) and the page to return to,
/// percent-encoded.
fn attempt_cookie_value(attempt: &SignInAttempt, next: &str) -> String {
    format!(
        "{}.{}.{}.{}",
        attempt.state,
        attempt.nonce,
        attempt.code_verifier,
        format::query_value(next)
    )
}

fn read_attempt_cookie(value: &str) -> Option<(SignInAttempt, String)> {
    let mut parts = value.splitn(4, '.');
    let (state, nonce, code_verifier, next) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let secret = |s: &str| {
        s.len() == 43
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !(secret(state) && secret(nonce) && secret(code_verifier)) {
        return None;
    }
    let next = format::percent_decoded(next)?;
    Some((
        SignInAttempt {
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            code_verifier: code_verifier.to_owned(),
        },
        format::local_path(Some(&next)).to_owned(),
    ))
}

/// The attempt's cookie: HttpOnly, `SameSite=Lax` so that the provider's redirect back
/// brings it, only for the sign-in paths, and gone after ten minutes. With no value, removed.
fn set_attempt_cookie(value: Option<&str>, secure: bool) -> HeaderValue {
    let mut text = match value {
        Some(v) => format!(
            "{ATTEMPT_COOKIE}={v}; Path=/sign-in; Max-Age={ATTEMPT_SECONDS}; HttpOnly; SameSite=Lax"
        ),
        None => format!("{ATTEMPT_COOKIE}=; Path=/sign-in; Max-Age=0; HttpOnly; SameSite=Lax"),
    };
    if secure {
        text.push_str("; Secure");
    }
    // Our own base64url and percent-encoded ASCII: this cannot fail.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

// ----- the handlers --------------------------------------------------------------------------

#[derive(Deserialize)]
pub(crate) struct StartQuery {
    next: Option<String>,
}

/// Sends the browser to the identity provider, with this attempt's secrets in its cookie.
pub(crate) async fn start(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<StartQuery>,
) -> Result<Response, PageError> {
    let Some(single_sign_on) = state.options.single_sign_on.clone() else {
        return Err(PageError::NotFound);
    };
    let next = format::local_path(query.next.as_deref()).to_owned();
    if crate::session::current(&state, &headers).await?.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let attempt = SignInAttempt::new().map_err(|e| PageError::Internal(e.to_string()))?;
    let mut response =
        Redirect::to(single_sign_on.authorization_url(&attempt).as_str()).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_attempt_cookie(
            Some(&attempt_cookie_value(&attempt, &next)),
            is_secure(&state, &headers),
        ),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Why a sign-in through the identity provider ended without a session.
enum Failure {
    /// The provider sent an error instead of a code.
    Provider(String),
    /// No attempt cookie, or another state: too slow, another window, or not this browser's.
    State,
    /// The code could not be exchanged.
    Exchange(String),
    /// The ID token was refused.
    Token(AuthError),
    /// The person is known to the provider but may not use this service (yet).
    NotAllowed(&'static str),
}

impl Failure {
    /// Whether the person was shown to be who they are, but may not use this service.
    fn is_about_access(&self) -> bool {
        match self {
            Failure::NotAllowed(_) => true,
            Failure::Token(e) => matches!(
                e,
                AuthError::JwtRoleNotMapped(_)
                    | AuthError::JwtAmbiguousRole(_)
                    | AuthError::JwtInvalidAuthority(_)
                    | AuthError::NoLocalAuthority
                    | AuthError::InvalidLocalAuthority(_)
            ),
            _ => false,
        }
    }

    fn status(&self) -> StatusCode {
        if self.is_about_access() {
            return StatusCode::FORBIDDEN;
        }
        match self {
            Failure::State => StatusCode::BAD_REQUEST,
            Failure::Exchange(_) => StatusCode::BAD_GATEWAY,
            Failure::Provider(_) | Failure::Token(_) | Failure::NotAllowed(_) => {
                StatusCode::UNAUTHORIZED
            }
        }
    }

    /// What the person reads.
    fn message(&self) -> &'static str {
        if self.is_about_access() {
            return "Your council account cannot be used to sign in to this service. Ask your \
                    system administrator for access.";
        }
        match self {
            Failure::Provider(code) if code == "access_denied" => {
                "Your council account was not allowed to sign in to this service, or signing in \
                 was cancelled. Try again, or ask your system administrator for access."
            }
            Failure::State => {
                "Signing in took too long, or was started in another window. Sign in again."
            }
            Failure::Provider(_)
            | Failure::Exchange(_)
            | Failure::Token(_)
            | Failure::NotAllowed(_) => {
                "Signing in with your council account did not work. Try again. If it keeps \
                 happening, tell your system administrator."
            }
        }
    }

    /// What the log says: no code, token, claim that names a person, or provider's text.
    fn reason(&self) -> String {
        match self {
            Failure::Provider(code) => {
                format!("the identity provider answered {}", error_code(code))
            }
            Failure::State => {
                "no sign-in attempt matches the state (no cookie, another state, or too late)"
                    .to_owned()
            }
            Failure::Exchange(reason) => reason.clone(),
            Failure::Token(e) => format!("the ID token was refused: {e}"),
            Failure::NotAllowed(why) => (*why).to_owned(),
        }
    }
}

/// Where the identity provider sends the person back.
pub(crate) async fn callback(
    State(state): State<WebState>,
    headers: HeaderMap,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let Some(single_sign_on) = state.options.single_sign_on.clone() else {
        return Err(PageError::NotFound);
    };
    let secure = is_secure(&state, &headers);
    let attempt = cookie(&headers, ATTEMPT_COOKIE).and_then(read_attempt_cookie);
    let next = attempt
        .as_ref()
        .map_or_else(|| "/".to_owned(), |(_, next)| next.clone());
    let mut response = match signed_in_user(&state, &single_sign_on, attempt, query).await {
        Ok(user) => {
            let page = SignedInPage { next: next.clone() };
            let mut response = html(&page);
            sign_in::begin_session(&state, &headers, user.id, &mut response).await?;
            response
        }
        Err(Ok(failure)) => {
            tracing::warn!(reason = %failure.reason(), "single sign-on: no session");
            sign_in::page_with_error(
                &state,
                &headers,
                next,
                SINGLE_SIGN_ON_FIELD,
                failure.message(),
                failure.status(),
            )?
        }
        Err(Err(page_error)) => return Err(page_error),
    };
    // One attempt, one answer: whatever happened, the attempt's secrets are spent.
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_attempt_cookie(None, secure));
    Ok(response)
}

/// The user the provider's answer signs in, or why not (or a fault of our own).
async fn signed_in_user(
    state: &WebState,
    single_sign_on: &SingleSignOn,
    attempt: Option<(SignInAttempt, String)>,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Result<permanence_engine::store::UserRecord, Result<Failure, PageError>> {
    let Ok(Query(query)) = query else {
        return Err(Ok(Failure::Exchange(
            "the identity provider's answer has an unreadable query".to_owned(),
        )));
    };
    if let Some(code) = query.error {
        return Err(Ok(Failure::Provider(code)));
    }
    let Some((attempt, _)) = attempt.filter(|(attempt, _)| {
        query
            .state
            .as_deref()
            .is_some_and(|returned| attempt.state_matches(returned))
    }) else {
        return Err(Ok(Failure::State));
    };
    let Some(code) = query.code.filter(|code| !code.is_empty()) else {
        return Err(Ok(Failure::Exchange(
            "the identity provider sent neither a code nor an error".to_owned(),
        )));
    };
    let id_token = single_sign_on
        .exchange(&code, &attempt.code_verifier)
        .await
        .map_err(|reason| Ok(Failure::Exchange(reason)))?;
    let now = state.engine.now();
    let principal = single_sign_on
        .verifier
        .verify_id_token(&id_token, now, &attempt.nonce)
        .map_err(|e| Ok(Failure::Token(e)))?;
    principal.validate().map_err(|e| Ok(Failure::Token(e)))?;
    if principal.user_id.chars().count() > MAX_USERNAME_CHARS {
        return Err(Ok(Failure::NotAllowed(
            "the subject is longer than 100 characters, the longest username kept",
        )));
    }
    let profile = NewUser {
        username: principal.user_id,
        display_name: principal
            .name
            .chars()
            .take(MAX_DISPLAY_NAME_CHARS)
            .collect(),
        role: principal.role,
        teams: principal.teams,
        local_authorities: principal.local_authorities,
    };
    let issuer = &single_sign_on.verifier.config().issuer;
    match state
        .engine
        .store()
        .single_sign_on_user(issuer, &profile, now)
        .await
    {
        Ok(SingleSignOnUser::Current(user)) => Ok(user),
        Ok(SingleSignOnUser::Disabled) => Err(Ok(Failure::NotAllowed("the user is disabled"))),
        Ok(SingleSignOnUser::UsernameTaken) => Err(Ok(Failure::NotAllowed(
            "a local user that is not linked to the identity provider has the subject as \
             username",
        ))),
        Err(e) => Err(Err(PageError::from(e))),
    }
}

/// The page the callback answers on success: it moves on to `next` by itself.
#[derive(Template)]
#[template(path = "signed_in.html")]
struct SignedInPage {
    next: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWKS: &str = include_str!("../../permanence-auth/tests/keys/jwks.json");

    fn jwt() -> JwtConfig {
        JwtConfig::new(
            "https://login.example.gov.uk/council",
            "permanence",
            "groups",
            [(
                "permanence-team-managers".to_owned(),
                permanence_auth::Role::TeamManager,
            )]
            .into(),
            permanence_auth::AuthorityMapping::Fixed(vec!["E10000003".to_owned()]),
        )
    }

    fn settings() -> WebSignInSettings {
        WebSignInSettings {
            authorization_endpoint: "https://login.example.gov.uk/authorize?tenant=council".into(),
            token_endpoint: "https://login.example.gov.uk/token".into(),
            client_id: "permanence-pages".into(),
            client_secret_file: None,
            client_secret: None,
            redirect_uri: "https://permanence.council.gov.uk/sign-in/callback".into(),
            scopes: default_scopes(),
        }
    }

    fn refused(settings: WebSignInSettings) -> String {
        SingleSignOn::configure(settings, JWKS, &jwt())
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn good_settings_make_an_authorisation_request_with_pkce() {
        let single_sign_on = SingleSignOn::configure(settings(), JWKS, &jwt()).expect("good");
        assert_eq!(
            single_sign_on.verifier.config().audience,
            "permanence-pages",
            "ID tokens are for the client"
        );
        let attempt = SignInAttempt::new().expect("random");
        let url = single_sign_on.authorization_url(&attempt);
        let pairs: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        assert_eq!(url.path(), "/authorize");
        assert_eq!(
            pairs["tenant"], "council",
            "the endpoint's own query is kept"
        );
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["client_id"], "permanence-pages");
        assert_eq!(
            pairs["redirect_uri"],
            "https://permanence.council.gov.uk/sign-in/callback"
        );
        assert_eq!(pairs["scope"], "openid profile");
        assert_eq!(pairs["state"], attempt.state);
        assert_eq!(pairs["nonce"], attempt.nonce);
        assert_eq!(pairs["code_challenge"], attempt.code_challenge());
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert!(!url.as_str().contains(&attempt.code_verifier));
    }

    #[test]
    fn bad_settings_are_refused_with_the_key_and_the_reason() {
        let with = |change: fn(&mut WebSignInSettings)| {
            let mut s = settings();
            change(&mut s);
            refused(s)
        };
        let plain = with(|s| s.token_endpoint = "http://login.example.gov.uk/token".into());
        assert!(
            plain.starts_with("web_sign_in.token_endpoint: must use https"),
            "{plain}"
        );
        let nonsense = with(|s| s.authorization_endpoint = "login".into());
        assert!(
            nonsense.starts_with("web_sign_in.authorization_endpoint: \"login\" is not an address"),
            "{nonsense}"
        );
        let elsewhere =
            with(|s| s.redirect_uri = "https://permanence.council.gov.uk/callback".into());
        assert!(
            elsewhere.starts_with("web_sign_in.redirect_uri: must be the server's public address"),
            "{elsewhere}"
        );
        let no_openid = with(|s| s.scopes = vec!["profile".into()]);
        assert!(
            no_openid.starts_with("web_sign_in.scopes: must include \"openid\""),
            "{no_openid}"
        );
        let spaced = with(|s| s.scopes = vec!["openid profile".into()]);
        assert!(spaced.starts_with("web_sign_in.scopes:"), "{spaced}");
        let empty_client = with(|s| s.client_id = " ".into());
        assert_eq!(empty_client, "web_sign_in.client_id: is empty");
        let inline = with(|s| s.client_secret = Some(serde::de::IgnoredAny));
        assert!(
            inline.starts_with("web_sign_in.client_secret: a secret does not belong"),
            "{inline}"
        );
        let missing = with(|s| s.client_secret_file = Some("/nonexistent/secret".into()));
        assert!(
            missing
                .starts_with("web_sign_in.client_secret_file: /nonexistent/secret cannot be read"),
            "{missing}"
        );
        let credentials =
            with(|s| s.token_endpoint = "https://user:pw@login.example.gov.uk/token".into());
        assert!(
            credentials.starts_with("web_sign_in.token_endpoint: must not hold"),
            "{credentials}"
        );
    }

    #[test]
    fn plain_http_is_allowed_to_this_machine_only() {
        for local in [
            "http://localhost:9000/token",
            "http://127.0.0.1:9000/token",
            "http://[::1]:9000/token",
        ] {
            assert!(endpoint("token_endpoint", local).is_ok(), "{local}");
        }
        for remote in ["http://10.0.0.1/token", "ftp://login.example/token"] {
            assert!(endpoint("token_endpoint", remote).is_err(), "{remote}");
        }
    }

    #[test]
    fn the_client_secret_file_holds_one_line() {
        let dir = std::env::temp_dir().join(format!(
            "permanence-web-secret-{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("secret");
        std::fs::write(&path, "s3cr3t+/=\n").expect("write");
        assert_eq!(read_secret(&path), Ok("s3cr3t+/=".to_owned()));
        std::fs::write(&path, "\n").expect("write");
        assert!(read_secret(&path).is_err());
        std::fs::write(&path, "one\ntwo\n").expect("write");
        assert!(read_secret(&path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_attempt_cookie_reads_back_and_keeps_next_local() {
        let attempt = SignInAttempt::new().expect("random");
        let value = attempt_cookie_value(&attempt, "/cases/1?team=North&route=adoption");
        assert!(
            value
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',' && b != b'"')
        );
        let (read, next) = read_attempt_cookie(&value).expect("reads");
        assert_eq!(read, attempt);
        assert_eq!(next, "/cases/1?team=North&route=adoption");
        let planted = format!(
            "{}.{}.{}.{}",
            attempt.state,
            attempt.nonce,
            attempt.code_verifier,
            format::query_value("//evil.example")
        );
        assert_eq!(read_attempt_cookie(&planted).expect("reads").1, "/");
        for bad in ["", "a.b.c.d", &format!("{}.x.y./", attempt.state)] {
            assert!(read_attempt_cookie(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn error_codes_are_logged_only_when_they_look_like_codes() {
        assert_eq!(error_code("invalid_grant"), "invalid_grant");
        assert_eq!(error_code("Priya Shah"), "an unrecognised error code");
        assert_eq!(error_code(""), "an unrecognised error code");
    }
}
