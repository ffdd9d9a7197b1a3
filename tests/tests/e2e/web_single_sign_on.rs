//! End-to-end: signing in to the pages with a council account, through OpenID Connect's
//! authorisation code flow with PKCE, against the tests' own identity provider
//! (`permanence_e2e::identity_provider`, on `localhost`: another site than the server's
//! `127.0.0.1`), on SQLite and PostgreSQL.
//!
//! In headless Chromium a person clicks "Sign in with your council account" and lands on their
//! role's home page, signed in; axe-core finds nothing serious on the sign-in page with the
//! button. Over plain HTTP: the cookies' attributes, the person becoming a user (and staying
//! the same user, with what the provider says now), a disabled user, a local account and an
//! unmapped role refused; and a wrong state, a PKCE verifier that is not the code's, a token
//! for another audience, another nonce, an expired token and the provider's error each end on
//! the sign-in page with the error said in words and no session. Without `[web_sign_in]` the
//! pages are what they were.

use anyhow::{Context, bail};
use chrono::TimeZone;
use permanence_auth::Role;
use permanence_e2e::browser::Browser;
use permanence_e2e::identity_provider::{IdentityProvider, KEYS, Person, ProviderSettings};
use permanence_e2e::pages::{cookie_named, no_redirects};
use permanence_e2e::serde_json::json;
use permanence_e2e::{
    Backend, TestServer, child_in_care, on_both_backends, test_today, test_username,
};
use permanence_server::{HttpOptions, load_single_sign_on_settings};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const ISSUER: &str = "https://login.example.gov.uk/council";
const CLIENT_ID: &str = "permanence-pages";
/// Characters that RFC 6749's form-encoding of Basic credentials must carry through.
const CLIENT_SECRET: &str = "s3cret+with/odd=chars";

const PRIYA: &str = "5b0e3f8a-priya";

fn priya(groups: &[&str]) -> Person {
    Person {
        subject: PRIYA.to_owned(),
        name: "Priya Shah".to_owned(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        team: Some("Team A".to_owned()),
    }
}

const TEAM_MANAGERS: &str = "permanence-team-managers";
const SOCIAL_WORKERS: &str = "permanence-social-workers";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Client {
    /// With a client secret (in a file of its own).
    Confidential,
    /// PKCE alone.
    Public,
}

/// The server with single sign-on set up through a settings file, and its provider.
struct SignOnServer {
    server: TestServer,
    provider: IdentityProvider,
    dir: PathBuf,
}

fn temp_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "permanence-web-sso-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A settings file as a council would write it; `web_sign_in` is the table's body.
fn write_settings(dir: &Path, web_sign_in: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join("single-sign-on.toml");
    std::fs::write(
        &path,
        format!(
            r#"jwks_file = "{KEYS}/jwks.json"
issuer = "{ISSUER}"
audience = "permanence"
role_claim = "groups"
team_claim = "team"
authorities = {{ fixed = ["E10000003"] }}

[role_map]
"{TEAM_MANAGERS}" = "TEAM_MANAGER"
"{SOCIAL_WORKERS}" = "SOCIAL_WORKER"

[web_sign_in]
{web_sign_in}
"#
        ),
    )?;
    Ok(path)
}

impl SignOnServer {
    async fn start(backend: Backend, client: Client) -> anyhow::Result<Self> {
        // The server's address is in the settings (its redirect URI): bind it first.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let redirect_uri = format!("http://{}/sign-in/callback", listener.local_addr()?);
        let noon = test_today().and_hms_opt(12, 0, 0).context("time")?;
        let provider = IdentityProvider::start(ProviderSettings {
            issuer: ISSUER.to_owned(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: (client == Client::Confidential).then(|| CLIENT_SECRET.to_owned()),
            redirect_uri: redirect_uri.clone(),
            now: chrono::Utc.from_utc_datetime(&noon),
        })
        .await?;
        provider.sign_in_as(priya(&["all-staff", TEAM_MANAGERS]));
        let dir = temp_dir()?;
        let secret_line = match client {
            Client::Confidential => {
                let secret = dir.join("client-secret");
                std::fs::write(&secret, format!("{CLIENT_SECRET}\n"))?;
                format!("client_secret_file = \"{}\"", secret.display())
            }
            Client::Public => String::new(),
        };
        let settings = write_settings(
            &dir,
            &format!(
                "authorization_endpoint = \"{}\"\ntoken_endpoint = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
                 {secret_line}\nredirect_uri = \"{redirect_uri}\"\n",
                provider.authorization_endpoint(),
                provider.token_endpoint(),
            ),
        )?;
        let loaded = load_single_sign_on_settings(&settings)?;
        let options = HttpOptions {
            jwt: Some(Arc::new(loaded.verifier)),
            web: permanence_web_options(loaded.web),
            ..HttpOptions::default()
        };
        let server = TestServer::start_on(backend, listener, options).await?;
        Ok(Self {
            server,
            provider,
            dir,
        })
    }

    fn url(&self, path: &str) -> String {
        self.server.server.url(path)
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.provider.stop().await?;
        let _ = std::fs::remove_dir_all(&self.dir);
        self.server.stop().await
    }
}

fn permanence_web_options(web: Option<permanence_web::SingleSignOn>) -> permanence_web::WebOptions {
    permanence_web::WebOptions {
        single_sign_on: web.map(Arc::new),
        ..permanence_web::WebOptions::default()
    }
}

/// Runs a test body on both backends, each with its own server and provider.
macro_rules! on_both_backends_signing_on {
    ($name:ident, $client:expr, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                let sso = SignOnServer::start(Backend::Sqlite, $client).await?;
                ($body)(&sso).await?;
                sso.stop().await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                let sso = SignOnServer::start(Backend::Postgres, $client).await?;
                ($body)(&sso).await?;
                sso.stop().await
            }
        }
    };
}

// ----- over HTTP -----------------------------------------------------------------------------

/// The whole `Set-Cookie` line that sets `name` to a value.
fn set_cookie_line(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")) && !v.starts_with(&format!("{name}=;")))
        .map(str::to_owned)
}

fn removes_cookie(response: &reqwest::Response, name: &str) -> bool {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with(&format!("{name}=;")) && v.contains("Max-Age=0"))
}

fn location(response: &reqwest::Response) -> anyhow::Result<String> {
    Ok(response
        .headers()
        .get(LOCATION)
        .context("a redirect")?
        .to_str()?
        .to_owned())
}

/// A sign-in started as the button starts it: the attempt's cookie and the provider's page.
async fn begin(
    sso: &SignOnServer,
    client: &reqwest::Client,
    next: &str,
) -> anyhow::Result<(reqwest::Response, String, String)> {
    let response = client
        .get(sso.url(&format!("/sign-in/single-sign-on?next={next}")))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_named(&response, "permanence_single_sign_on").context("attempt cookie")?;
    let authorize = location(&response)?;
    assert!(authorize.starts_with(&sso.provider.authorization_endpoint()));
    Ok((response, cookie, authorize))
}

/// Where the provider sends the browser back to: straight away with an error, or once the
/// person has signed in on its page.
async fn at_provider(client: &reqwest::Client, authorize: &str) -> anyhow::Result<String> {
    let response = client.get(authorize).send().await?;
    if response.status() == StatusCode::SEE_OTHER {
        return location(&response);
    }
    assert_eq!(response.status(), StatusCode::OK, "the provider's page");
    let page = response.text().await?;
    let marker = "name=\"request\" value=\"";
    let start = page.find(marker).context("the provider's form")? + marker.len();
    let request = &page[start..start + page[start..].find('"').context("the request")?];
    let signed_in = client
        .post(authorize)
        .form(&[("request", request)])
        .send()
        .await?;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "the provider");
    location(&signed_in)
}

async fn back(
    client: &reqwest::Client,
    callback: &str,
    cookies: &[&str],
) -> anyhow::Result<reqwest::Response> {
    let mut request = client.get(callback);
    if !cookies.is_empty() {
        request = request.header(COOKIE, cookies.join("; "));
    }
    Ok(request.send().await?)
}

/// A whole sign-in over HTTP: the server's answer at the end.
async fn sign_in(
    sso: &SignOnServer,
    client: &reqwest::Client,
) -> anyhow::Result<reqwest::Response> {
    let (_, cookie, authorize) = begin(sso, client, "%2F").await?;
    let callback = at_provider(client, &authorize).await?;
    back(client, &callback, &[&cookie]).await
}

fn query_param(url: &str, name: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(url)?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .with_context(|| format!("no {name} in {url}"))
}

fn with_param(url: &str, name: &str, value: &str) -> anyhow::Result<String> {
    let mut url = reqwest::Url::parse(url)?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    Ok(url.into())
}

async fn home(
    sso: &SignOnServer,
    client: &reqwest::Client,
    session: &str,
) -> anyhow::Result<reqwest::Response> {
    Ok(client
        .get(sso.url("/"))
        .header(COOKIE, session)
        .send()
        .await?)
}

/// The answer is the sign-in page with `message` in its error summary (linked to the
/// button), the attempt spent, and no session; and Priya did not become a user.
async fn assert_refused(
    sso: &SignOnServer,
    response: reqwest::Response,
    status: StatusCode,
    message: &str,
) -> anyhow::Result<()> {
    assert_eq!(response.status(), status, "{message}");
    assert!(
        set_cookie_line(&response, "permanence_session").is_none(),
        "no session"
    );
    assert!(removes_cookie(&response, "permanence_single_sign_on"));
    let page = response.text().await?;
    assert!(page.contains("<title>Error: Sign in"), "{page}");
    assert!(page.contains("There is a problem"), "{page}");
    assert!(
        page.contains(&format!("<a href=\"#single-sign-on\">{message}</a>")),
        "{page}"
    );
    assert!(
        page.contains("id=\"single-sign-on\""),
        "the button to try again"
    );
    assert!(!page.contains("code-"), "the code is not repeated");
    assert!(!page.contains(PRIYA), "no claim is repeated");
    assert!(
        sso.server
            .engine()
            .store()
            .user_by_username(PRIYA)
            .await?
            .is_none(),
        "nobody was made a user"
    );
    Ok(())
}

const DID_NOT_WORK: &str = "Signing in with your council account did not work. Try again. If it keeps happening, tell your system administrator.";
const CANNOT_BE_USED: &str = "Your council account cannot be used to sign in to this service. Ask your system administrator for access.";

async fn a_person_becomes_a_user_and_stays_that_user_journey(
    sso: &SignOnServer,
) -> anyhow::Result<()> {
    let client = no_redirects()?;
    let (started, cookie, authorize) = begin(sso, &client, "%2F%3Fteam%3DNorth").await?;
    // The attempt's cookie comes back on the provider's cross-site redirect: Lax, not Strict.
    let attempt = set_cookie_line(&started, "permanence_single_sign_on").context("attempt")?;
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/sign-in", "Max-Age=600"] {
        assert!(attempt.contains(attribute), "{attribute}: {attempt}");
    }
    let challenge = query_param(&authorize, "code_challenge")?;
    assert_eq!(challenge.len(), 43, "a SHA-256, base64url");
    assert_eq!(query_param(&authorize, "code_challenge_method")?, "S256");
    assert_eq!(query_param(&authorize, "scope")?, "openid profile");
    assert_eq!(query_param(&authorize, "response_type")?, "code");
    assert!(
        !cookie.contains(&challenge),
        "the cookie holds the verifier, not the challenge"
    );

    let callback = at_provider(&client, &authorize).await?;
    let finished = back(&client, &callback, &[&cookie]).await?;
    assert_eq!(finished.status(), StatusCode::OK);
    let session_line = set_cookie_line(&finished, "permanence_session").context("session")?;
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            session_line.contains(attribute),
            "{attribute}: {session_line}"
        );
    }
    assert!(removes_cookie(&finished, "permanence_single_sign_on"));
    let session = cookie_named(&finished, "permanence_session").context("session")?;
    let page = finished.text().await?;
    // Not a redirect: a page of this site that moves on, so that the Strict cookie goes too.
    assert!(
        page.contains(r#"<meta http-equiv="refresh" content="0; url=/?team=North">"#),
        "{page}"
    );
    assert!(page.contains(r#"href="/?team=North""#), "{page}");

    let first_home = home(sso, &client, &session).await?;
    assert_eq!(first_home.status(), StatusCode::OK);
    let first_home = first_home.text().await?;
    // "Your teams' cases", as askama escapes it.
    assert!(first_home.contains("Your teams&#39; cases"), "{first_home}");
    assert!(first_home.contains("Priya Shah"));
    let store = sso.server.engine().store();
    let user = store
        .user_by_username(PRIYA)
        .await?
        .context("Priya is a user")?;
    assert_eq!(user.role, Role::TeamManager);
    assert_eq!(user.teams, ["Team A"]);
    assert_eq!(user.local_authorities, ["E10000003"]);
    assert!(
        store
            .sign_in_candidate(PRIYA)
            .await?
            .context("candidate")?
            .password_hash
            .is_none(),
        "no password"
    );

    // She moves to a social work team: the next sign-in says so, for the same user; the
    // session her browser still names (when it sends it along) ends.
    sso.provider.sign_in_as(priya(&[SOCIAL_WORKERS]));
    let (_, cookie, authorize) = begin(sso, &client, "%2F").await?;
    let callback = at_provider(&client, &authorize).await?;
    let again = back(&client, &callback, &[&cookie, &session]).await?;
    assert_eq!(again.status(), StatusCode::OK);
    let second = cookie_named(&again, "permanence_session").context("session")?;
    assert_ne!(second, session, "a new session");
    let moved = store.user_by_username(PRIYA).await?.context("user")?;
    assert_eq!(moved.id, user.id);
    assert_eq!(moved.role, Role::SocialWorker);
    let second_home = home(sso, &client, &second).await?.text().await?;
    assert!(second_home.contains("Your cases"), "{second_home}");
    assert_eq!(
        home(sso, &client, &session).await?.status(),
        StatusCode::SEE_OTHER,
        "the session named before sign-in ended"
    );

    // Disabled here, she cannot sign in however the provider vouches for her.
    assert!(
        store
            .disable_user(user.id, sso.server.engine().now())
            .await?
    );
    let refused = sign_in(sso, &client).await?;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie_line(&refused, "permanence_session").is_none());
    assert!(refused.text().await?.contains(CANNOT_BE_USED));
    assert_eq!(
        home(sso, &client, &second).await?.status(),
        StatusCode::SEE_OTHER,
        "a disabled user's session ends too"
    );
    Ok(())
}

on_both_backends_signing_on!(
    a_person_becomes_a_user_and_stays_that_user,
    Client::Confidential,
    a_person_becomes_a_user_and_stays_that_user_journey
);

async fn a_public_client_signs_in_with_pkce_alone_journey(
    sso: &SignOnServer,
) -> anyhow::Result<()> {
    let client = no_redirects()?;
    let finished = sign_in(sso, &client).await?;
    assert_eq!(finished.status(), StatusCode::OK);
    let session = cookie_named(&finished, "permanence_session").context("session")?;
    assert_eq!(home(sso, &client, &session).await?.status(), StatusCode::OK);
    Ok(())
}

on_both_backends_signing_on!(
    a_public_client_signs_in_with_pkce_alone,
    Client::Public,
    a_public_client_signs_in_with_pkce_alone_journey
);

async fn a_local_account_or_an_unmapped_role_is_not_signed_in_journey(
    sso: &SignOnServer,
) -> anyhow::Result<()> {
    let client = no_redirects()?;
    // The provider's subject is the username of a local account (here, an administrator's):
    // the provider never signs anyone in as it.
    let administrator = test_username(Role::Administrator);
    sso.provider.sign_in_as(Person {
        subject: administrator.to_owned(),
        ..priya(&[TEAM_MANAGERS])
    });
    let refused = sign_in(sso, &client).await?;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie_line(&refused, "permanence_session").is_none());
    assert!(refused.text().await?.contains(CANNOT_BE_USED));
    let local = sso
        .server
        .engine()
        .store()
        .user_by_username(administrator)
        .await?
        .context("the administrator")?;
    assert_eq!(local.role, Role::Administrator, "untouched");

    // No group of hers is mapped to a role.
    sso.provider.sign_in_as(priya(&["all-staff"]));
    let unmapped = sign_in(sso, &client).await?;
    assert_refused(sso, unmapped, StatusCode::FORBIDDEN, CANNOT_BE_USED).await
}

on_both_backends_signing_on!(
    a_local_account_or_an_unmapped_role_is_not_signed_in,
    Client::Confidential,
    a_local_account_or_an_unmapped_role_is_not_signed_in_journey
);

async fn a_wrong_or_missing_state_is_refused_before_the_exchange_journey(
    sso: &SignOnServer,
) -> anyhow::Result<()> {
    let client = no_redirects()?;
    let (_, cookie, authorize) = begin(sso, &client, "%2F").await?;
    let callback = at_provider(&client, &authorize).await?;
    let forged = with_param(&callback, "state", "a-state-this-browser-never-sent")?;
    let message = "Signing in took too long, or was started in another window. Sign in again.";
    assert_refused(
        sso,
        back(&client, &forged, &[&cookie]).await?,
        StatusCode::BAD_REQUEST,
        message,
    )
    .await?;
    // The right answer, in a browser that did not start this sign-in (no cookie).
    assert_refused(
        sso,
        back(&client, &callback, &[]).await?,
        StatusCode::BAD_REQUEST,
        message,
    )
    .await?;
    assert_eq!(
        sso.provider.token_requests(),
        0,
        "no code was exchanged for a state that did not match"
    );
    Ok(())
}

on_both_backends_signing_on!(
    a_wrong_or_missing_state_is_refused_before_the_exchange,
    Client::Confidential,
    a_wrong_or_missing_state_is_refused_before_the_exchange_journey
);

async fn a_code_issued_for_another_verifier_is_refused_journey(
    sso: &SignOnServer,
) -> anyhow::Result<()> {
    let client = no_redirects()?;
    // The person's own sign-in, and an attacker's code (issued for the attacker's challenge)
    // slipped into the way back with the person's state.
    let (_, cookie, authorize) = begin(sso, &client, "%2F").await?;
    let (_, _, other_authorize) = begin(sso, &client, "%2F").await?;
    let attacker = at_provider(&client, &other_authorize).await?;
    let callback = at_provider(&client, &authorize).await?;
    let injected = with_param(&callback, "code", &query_param(&attacker, "code")?)?;
    let response = back(&client, &injected, &[&cookie]).await?;
    assert_eq!(
        sso.provider.token_requests(),
        1,
        "the provider was asked, and refused"
    );
    assert_refused(sso, response, StatusCode::BAD_GATEWAY, DID_NOT_WORK).await
}

on_both_backends_signing_on!(
    a_code_issued_for_another_verifier_is_refused,
    Client::Confidential,
    a_code_issued_for_another_verifier_is_refused_journey
);

async fn a_token_for_another_audience_is_refused_journey(sso: &SignOnServer) -> anyhow::Result<()> {
    sso.provider.change_next_id_token(|claims| {
        // The API's own audience: an access token for it is not an ID token for the pages.
        claims.insert("aud".into(), json!("permanence"));
    });
    let response = sign_in(sso, &no_redirects()?).await?;
    assert_refused(sso, response, StatusCode::UNAUTHORIZED, DID_NOT_WORK).await
}

on_both_backends_signing_on!(
    a_token_for_another_audience_is_refused,
    Client::Confidential,
    a_token_for_another_audience_is_refused_journey
);

async fn a_token_with_another_nonce_is_refused_journey(sso: &SignOnServer) -> anyhow::Result<()> {
    sso.provider.change_next_id_token(|claims| {
        claims.insert("nonce".into(), json!("the-nonce-of-another-sign-in"));
    });
    let response = sign_in(sso, &no_redirects()?).await?;
    assert_refused(sso, response, StatusCode::UNAUTHORIZED, DID_NOT_WORK).await
}

on_both_backends_signing_on!(
    a_token_with_another_nonce_is_refused,
    Client::Confidential,
    a_token_with_another_nonce_is_refused_journey
);

async fn an_expired_token_is_refused_journey(sso: &SignOnServer) -> anyhow::Result<()> {
    let now = sso.server.engine().now().timestamp();
    sso.provider.change_next_id_token(move |claims| {
        claims.insert("iat".into(), json!(now - 3900));
        claims.insert("exp".into(), json!(now - 3600));
    });
    let response = sign_in(sso, &no_redirects()?).await?;
    assert_refused(sso, response, StatusCode::UNAUTHORIZED, DID_NOT_WORK).await
}

on_both_backends_signing_on!(
    an_expired_token_is_refused,
    Client::Confidential,
    an_expired_token_is_refused_journey
);

async fn the_providers_error_is_said_in_words_journey(sso: &SignOnServer) -> anyhow::Result<()> {
    sso.provider.refuse_next("access_denied");
    let response = sign_in(sso, &no_redirects()?).await?;
    assert_refused(
        sso,
        response,
        StatusCode::UNAUTHORIZED,
        "Your council account was not allowed to sign in to this service, or signing in was \
         cancelled. Try again, or ask your system administrator for access.",
    )
    .await?;
    assert_eq!(sso.provider.token_requests(), 0);
    Ok(())
}

on_both_backends_signing_on!(
    the_providers_error_is_said_in_words,
    Client::Confidential,
    the_providers_error_is_said_in_words_journey
);

/// Without `[web_sign_in]`, nothing of it is there.
async fn without_web_sign_in_the_pages_are_as_before_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    let client = no_redirects()?;
    let page = client
        .get(server.server.url("/sign-in"))
        .send()
        .await?
        .text()
        .await?;
    assert!(!page.contains("council account"), "{page}");
    assert!(page.contains("action=\"/sign-in\""));
    for path in [
        "/sign-in/single-sign-on?next=%2F",
        "/sign-in/callback?code=abc&state=def",
    ] {
        let response = client
            .get(server.server.url(path))
            .header("accept", "text/html")
            .send()
            .await?;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    Ok(())
}

on_both_backends!(
    without_web_sign_in_the_pages_are_as_before,
    without_web_sign_in_the_pages_are_as_before_journey
);

#[test]
fn a_bad_web_sign_in_table_is_refused_at_start_up_with_the_key_and_the_reason() -> anyhow::Result<()>
{
    let dir = temp_dir()?;
    let good_endpoints = "authorization_endpoint = \"https://login.example.gov.uk/authorize\"\n\
        token_endpoint = \"https://login.example.gov.uk/token\"\nclient_id = \"permanence-pages\"\n";
    let callback = "redirect_uri = \"https://permanence.council.gov.uk/sign-in/callback\"\n";
    for (table, expected) in [
        (
            format!("{good_endpoints}{callback}").replace(
                "https://login.example.gov.uk/token",
                "http://login.example.gov.uk/token",
            ),
            "web_sign_in.token_endpoint: must use https",
        ),
        (
            format!("{good_endpoints}{callback}client_secret = \"in the open\"\n"),
            "web_sign_in.client_secret: a secret does not belong in the settings file",
        ),
        (
            format!(
                "{good_endpoints}{callback}client_secret_file = \"{}/none\"\n",
                dir.display()
            ),
            "web_sign_in.client_secret_file:",
        ),
        (good_endpoints.to_owned(), "missing field `redirect_uri`"),
        (
            format!("{good_endpoints}redirect_uri = \"https://permanence.council.gov.uk/\"\n"),
            "web_sign_in.redirect_uri: must be the server's public address followed by /sign-in/callback",
        ),
        (
            format!("{good_endpoints}{callback}scopes = [\"profile\"]\n"),
            "web_sign_in.scopes: must include \"openid\"",
        ),
        (
            format!("{good_endpoints}{callback}client_secert_file = \"/etc/secret\"\n"),
            "unknown field `client_secert_file`",
        ),
    ] {
        let path = write_settings(&dir, &table)?;
        let error = match load_single_sign_on_settings(&path) {
            Ok(_) => bail!("accepted: {table}"),
            Err(e) => format!("{e:#}"),
        };
        assert!(error.contains(expected), "{expected}\n{error}");
        assert!(
            error.contains(&path.display().to_string()),
            "names the file: {error}"
        );
        assert!(
            !error.contains("in the open"),
            "never repeats a secret: {error}"
        );
    }
    let path = write_settings(&dir, &format!("{good_endpoints}{callback}"))?;
    let loaded = load_single_sign_on_settings(&path)?;
    assert!(loaded.web.is_some());
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

// ----- in a browser --------------------------------------------------------------------------

/// Waits (up to ten seconds) for the browser to settle on exactly `path`.
async fn wait_for_exactly(browser: &Browser, path: &str) -> anyhow::Result<()> {
    let mut at = String::new();
    for _ in 0..100 {
        at = browser.path().await?;
        let loaded = browser
            .client
            .execute("return document.readyState;", vec![])
            .await?;
        if at == path && loaded.as_str() == Some("complete") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the browser stayed at {at}, not {path}")
}

async fn the_council_account_button_signs_a_person_in_journey(
    sso: &SignOnServer,
) -> anyhow::Result<()> {
    child_in_care(&sso.server, "SSO1", "2019-03-14", "2026-01-05").await?;
    let browser = Browser::start(&sso.url("")).await?;
    browser.goto("/").await?;
    assert_eq!(browser.path().await?, "/sign-in?next=%2F");
    assert_eq!(
        browser.text("#single-sign-on").await?,
        "Sign in with your council account"
    );
    assert!(
        browser.exists("#username").await?,
        "passwords stay available"
    );
    browser
        .assert_accessible("the sign-in page with the council account button")
        .await?;
    browser
        .assert_nothing_from_elsewhere("the sign-in page with the council account button")
        .await?;
    browser.screenshot("sign-in-single-sign-on").await?;

    // To the provider (another site), signing in there, and back, signed in, on the page
    // asked for first.
    browser.click("#single-sign-on").await?;
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("#provider-sign-in"))
        .await?;
    assert!(
        browser
            .client
            .current_url()
            .await?
            .as_str()
            .starts_with(&sso.provider.authorization_endpoint())
    );
    browser.click("#provider-sign-in").await?;
    wait_for_exactly(&browser, "/").await?;
    assert_eq!(browser.text("h1").await?, "Your teams' cases");
    assert!(browser.text("#cases").await?.contains("SSO1"));
    assert!(browser.text("#navigation").await?.contains("Sign out"));
    assert_eq!(sso.provider.authorization_requests().len(), 1);
    assert_eq!(sso.provider.token_requests(), 1);
    browser
        .assert_accessible("the home page after signing in with a council account")
        .await?;
    browser.screenshot("home-after-single-sign-on").await?;

    // Signing out ends the session here (the provider's own session is the provider's).
    browser
        .click_and_load("form[action='/sign-out'] button")
        .await?;
    wait_for_exactly(&browser, "/sign-in?signed_out=1").await?;
    browser.goto("/").await?;
    assert!(browser.path().await?.starts_with("/sign-in"));
    browser.close().await
}

on_both_backends_signing_on!(
    the_council_account_button_signs_a_person_in,
    Client::Confidential,
    the_council_account_button_signs_a_person_in_journey
);
