//! A small OpenID Connect identity provider for the tests, in the test's own process: an axum
//! app on `127.0.0.1:0` that signs people in without asking (the test says who), and signs ID
//! tokens with the auth crate's fixture RSA key (`rsa-1`, in its `jwks.json`).
//!
//! `GET /authorize` checks the request as a provider would (response type, client, registered
//! redirect URI, state, nonce, an S256 PKCE challenge) and shows its sign-in page, whose
//! button (`#provider-sign-in`, a form) sends the browser back with a code; or it sends the
//! browser straight back with the error the test asked for. `/token` takes each code once,
//! checks the client's
//! credentials (HTTP Basic, form-encoded, for a confidential client; `client_id` in the form
//! for a public one), the redirect URI and the PKCE verifier against the challenge (with its
//! own SHA-256, not the server's code), and answers an ID token; the test may alter the next
//! token's claims to make it wrong in one way.
//!
//! The browser reaches `/authorize` as `localhost`, and the server under test is at
//! `127.0.0.1`: two sites. And the way back starts from the provider's own page, as when a
//! person signs in there, so it is a cross-site navigation, as from a real provider: an
//! immediate redirect would leave the navigation started by the server's own page (same-site
//! for the browser), and two ports of one host would be one site; either would hide what
//! SameSite cookies do.

use anyhow::Context;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// The fixture keys of the auth crate: `jwks.json` holds the public half of `rsa-private.pem`.
pub const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/permanence-auth/tests/keys"
);

/// A person known to the provider.
#[derive(Clone, Debug)]
pub struct Person {
    pub subject: String,
    pub name: String,
    pub groups: Vec<String>,
    pub team: Option<String>,
}

/// How the provider knows the server under test.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    pub issuer: String,
    pub client_id: String,
    /// `None`: a public client (PKCE alone).
    pub client_secret: Option<String>,
    /// The one redirect URI registered for the client.
    pub redirect_uri: String,
    /// The server's clock, for `iat` and `exp`.
    pub now: DateTime<Utc>,
}

type ClaimsChange = Box<dyn FnOnce(&mut Map<String, Value>) + Send>;

/// An authorisation request waiting for the person to sign in at the provider's page.
struct Pending {
    state: String,
    nonce: String,
    code_challenge: String,
}

/// What a code was issued for.
struct Grant {
    person: Person,
    nonce: String,
    code_challenge: String,
    redirect_uri: String,
}

struct Shared {
    settings: ProviderSettings,
    key: EncodingKey,
    signed_in: Option<Person>,
    refuse_next: Option<String>,
    change_next_token: Option<ClaimsChange>,
    pending: HashMap<String, Pending>,
    codes: HashMap<String, Grant>,
    authorization_requests: Vec<HashMap<String, String>>,
    token_requests: usize,
}

type SharedState = Arc<Mutex<Shared>>;

fn lock(shared: &SharedState) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The provider, running until `stop`.
pub struct IdentityProvider {
    addr: SocketAddr,
    shared: SharedState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl IdentityProvider {
    pub async fn start(settings: ProviderSettings) -> anyhow::Result<Self> {
        let pem = std::fs::read(format!("{KEYS}/rsa-private.pem")).context("the fixture key")?;
        let shared = Arc::new(Mutex::new(Shared {
            settings,
            key: EncodingKey::from_rsa_pem(&pem)?,
            signed_in: None,
            refuse_next: None,
            change_next_token: None,
            pending: HashMap::new(),
            codes: HashMap::new(),
            authorization_requests: Vec::new(),
            token_requests: 0,
        }));
        let app = Router::new()
            .route("/authorize", get(authorize).post(signed_in_at_provider))
            .route("/token", post(token))
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Where browsers are sent: by the name `localhost`, another site than `127.0.0.1`.
    pub fn authorization_endpoint(&self) -> String {
        format!("http://localhost:{}/authorize", self.addr.port())
    }

    /// Where the server exchanges codes (server to server: no site involved).
    pub fn token_endpoint(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// Who the provider signs in from now on.
    pub fn sign_in_as(&self, person: Person) {
        lock(&self.shared).signed_in = Some(person);
    }

    /// The next authorisation request is answered with this error (`access_denied`, say).
    pub fn refuse_next(&self, error: &str) {
        lock(&self.shared).refuse_next = Some(error.to_owned());
    }

    /// The next ID token's claims pass through `change` before it is signed.
    pub fn change_next_id_token(
        &self,
        change: impl FnOnce(&mut Map<String, Value>) + Send + 'static,
    ) {
        lock(&self.shared).change_next_token = Some(Box::new(change));
    }

    /// How many times the token endpoint was asked.
    pub fn token_requests(&self) -> usize {
        lock(&self.shared).token_requests
    }

    /// The parameters of every authorisation request so far, oldest first.
    pub fn authorization_requests(&self) -> Vec<HashMap<String, String>> {
        lock(&self.shared).authorization_requests.clone()
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn bad_request(why: &str) -> Response {
    (StatusCode::BAD_REQUEST, why.to_owned()).into_response()
}

fn back_to(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    match reqwest::Url::parse_with_params(redirect_uri, params) {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(_) => bad_request("the redirect URI is not an address"),
    }
}

async fn authorize(
    State(shared): State<SharedState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut shared = lock(&shared);
    shared.authorization_requests.push(params.clone());
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    // A provider shows its own error page, never a redirect, for a request it cannot trust.
    if param("client_id") != shared.settings.client_id {
        return bad_request("unknown client");
    }
    if param("redirect_uri") != shared.settings.redirect_uri {
        return bad_request("the redirect URI is not the one registered");
    }
    let redirect_uri = shared.settings.redirect_uri.clone();
    let state = param("state").to_owned();
    if let Some(error) = shared.refuse_next.take() {
        return back_to(
            &redirect_uri,
            &[
                ("error", &error),
                ("error_description", "The person said no"),
                ("state", &state),
            ],
        );
    }
    let malformed = if param("response_type") != "code" {
        Some("unsupported_response_type")
    } else if !param("scope").split(' ').any(|s| s == "openid") {
        Some("invalid_scope")
    } else if state.is_empty()
        || param("nonce").is_empty()
        || param("code_challenge").is_empty()
        || param("code_challenge_method") != "S256"
    {
        Some("invalid_request")
    } else {
        None
    };
    if let Some(error) = malformed {
        return back_to(&redirect_uri, &[("error", error), ("state", &state)]);
    }
    let request = format!("request-{}", uuid::Uuid::now_v7().simple());
    shared.pending.insert(
        request.clone(),
        Pending {
            state,
            nonce: param("nonce").to_owned(),
            code_challenge: param("code_challenge").to_owned(),
        },
    );
    Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><title>Council sign-in</title></head><body>\
         <main><h1>Sign in to your council account</h1>\
         <form method=\"post\" action=\"/authorize\">\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\
         <button type=\"submit\" id=\"provider-sign-in\">Sign in</button>\
         </form></main></body></html>"
    ))
    .into_response()
}

/// The person signs in at the provider's page: back to the client with a code.
async fn signed_in_at_provider(
    State(shared): State<SharedState>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut shared = lock(&shared);
    let Some(pending) = form
        .get("request")
        .and_then(|request| shared.pending.remove(request))
    else {
        return bad_request("no such authorisation request");
    };
    let Some(person) = shared.signed_in.clone() else {
        return bad_request("nobody is signed in at the provider");
    };
    let redirect_uri = shared.settings.redirect_uri.clone();
    let code = format!("code-{}", uuid::Uuid::now_v7().simple());
    shared.codes.insert(
        code.clone(),
        Grant {
            person,
            nonce: pending.nonce,
            code_challenge: pending.code_challenge,
            redirect_uri: redirect_uri.clone(),
        },
    );
    back_to(&redirect_uri, &[("code", &code), ("state", &pending.state)])
}

fn token_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

/// Decodes `application/x-www-form-urlencoded` text (RFC 6749's encoding of Basic credentials).
fn form_decoded(text: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).ok()
}

/// The client id and secret of an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decoded(id)?, form_decoded(secret)?))
}

async fn token(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut shared = lock(&shared);
    shared.token_requests += 1;
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let settings = shared.settings.clone();
    let client_known = match &settings.client_secret {
        Some(secret) => basic_credentials(&headers)
            .is_some_and(|(id, given)| id == settings.client_id && given == *secret),
        None => {
            headers.get(header::AUTHORIZATION).is_none() && field("client_id") == settings.client_id
        }
    };
    if !client_known {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if field("grant_type") != "authorization_code" {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    // A code is good once, whatever happens next.
    let Some(grant) = shared.codes.remove(field("code")) else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if field("redirect_uri") != grant.redirect_uri || challenge != grant.code_challenge {
        return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let now = settings.now.timestamp();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(settings.issuer));
    claims.insert("sub".into(), json!(grant.person.subject));
    claims.insert("aud".into(), json!(settings.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + 300));
    claims.insert("nonce".into(), json!(grant.nonce));
    claims.insert("name".into(), json!(grant.person.name));
    claims.insert("groups".into(), json!(grant.person.groups));
    if let Some(team) = &grant.person.team {
        claims.insert("team".into(), json!(team));
    }
    if let Some(change) = shared.change_next_token.take() {
        change(&mut claims);
    }
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-1".to_owned());
    match jsonwebtoken::encode(&header, &Value::Object(claims), &shared.key) {
        Ok(id_token) => Json(json!({
            "access_token": format!("access-{}", uuid::Uuid::now_v7().simple()),
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }))
        .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoded_credentials_decode() {
        assert_eq!(form_decoded("a%2Bb+c").as_deref(), Some("a+b c"));
        assert_eq!(form_decoded("%zz"), None);
    }
}
