//! Signing in to the pages, in the browser and over plain HTTP as a browser would, for the
//! pages' end-to-end tests.

use crate::browser::Browser;
use crate::{TEST_PASSWORD, TestServer};
use anyhow::Context;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

/// Fills in and sends the sign-in form the browser is on.
pub async fn sign_in(browser: &Browser, username: &str, password: &str) -> anyhow::Result<()> {
    browser.fill("#username", username).await?;
    browser.fill("#password", password).await?;
    browser
        .click_and_load("form[action='/sign-in'] button")
        .await
}

/// An HTTP client that shows redirects instead of following them.
pub fn no_redirects() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Signs in over plain HTTP as a browser would; returns the session cookie and the CSRF token
/// of the pages (read from the home page's sign-out form).
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
    anyhow::ensure!(
        response.status() == StatusCode::SEE_OTHER,
        "signing in as {username}: HTTP {}",
        response.status()
    );
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

/// `name=value` of the cookie an answer sets (not one it removes).
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

/// The value of the first hidden CSRF field of a page.
pub fn hidden_csrf(page: &str) -> Option<String> {
    hidden_field(page, "csrf_token")
}

/// The value of the first field of a page with this name (as the pages write a hidden one:
/// `name="..." value="..."`).
pub fn hidden_field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_owned())
}

/// A page fetched with a session's cookie: its status and its HTML.
pub async fn page(
    server: &TestServer,
    client: &reqwest::Client,
    session: &str,
    path: &str,
) -> anyhow::Result<(StatusCode, String)> {
    let response = client
        .get(server.server.url(path))
        .header(COOKIE, session)
        .send()
        .await?;
    Ok((response.status(), response.text().await?))
}
