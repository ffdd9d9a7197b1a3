//! The pages over plain HTTP, as a browser sends them: signing in with the sign-in form's
//! pairing cookie and CSRF token, and reading the tokens and cookies pages carry. For tests
//! of what a browser cannot be made to send (a form without its token).

use crate::{TEST_PASSWORD, TestServer};
use anyhow::Context;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

/// Signs in over plain HTTP as a browser would; returns the session cookie and the page's
/// CSRF token.
pub async fn http_sign_in(
    server: &TestServer,
    client: &reqwest::Client,
    username: &str,
) -> anyhow::Result<(String, String)> {
    let (pairing, csrf) = sign_in_form(server, client).await?;
    let response = client
        .post(server.server.url("/sign-in"))
        .header(COOKIE, &pairing)
        .form(&[
            ("username", username),
            ("password", TEST_PASSWORD),
            ("csrf_token", &csrf),
            ("next", "/"),
        ])
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let session = cookie_named(&response, "permanence_session").context("session cookie")?;
    let home = client
        .get(server.server.url("/"))
        .header(COOKIE, &session)
        .send()
        .await?
        .text()
        .await?;
    let token = hidden_csrf(&home).context("the home page's CSRF token")?;
    Ok((session, token))
}

/// The sign-in form's pairing cookie and CSRF token.
pub async fn sign_in_form(
    server: &TestServer,
    client: &reqwest::Client,
) -> anyhow::Result<(String, String)> {
    let response = client.get(server.server.url("/sign-in")).send().await?;
    let pairing = cookie_named(&response, "permanence_sign_in").context("pairing cookie")?;
    let csrf = hidden_csrf(&response.text().await?).context("form token")?;
    Ok((pairing, csrf))
}

pub fn cookie_named(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")) && !v.starts_with(&format!("{name}=;")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

pub fn hidden_csrf(page: &str) -> Option<String> {
    let start = page.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_owned())
}

pub fn no_redirects() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}
