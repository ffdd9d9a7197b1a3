//! End-to-end: the pages in a real browser (headless Chromium over WebDriver), against the real
//! server on SQLite and PostgreSQL. A person signs in, sees their cases, and signs out; a wrong
//! password is refused by the field with what was typed kept; the keyboard alone does it all;
//! axe-core finds no serious or critical violation on any page; nothing is loaded from
//! another host; forms without their CSRF token, and guessing, are refused.

use anyhow::Context;
use fantoccini::key::Key;
use permanence_auth::Role;
use permanence_e2e::browser::Browser;
use permanence_e2e::pages::{cookie_named, http_sign_in, no_redirects, sign_in, sign_in_form};
use permanence_e2e::serde_json::json;
use permanence_e2e::{TEST_PASSWORD, TestServer, child_in_care, give_password, on_both_backends};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};

fn key(k: Key) -> String {
    char::from(k).to_string()
}

async fn sign_in_see_cases_and_sign_out_journey(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::TeamManager).await?;
    child_in_care(server, "WEB1", "2019-03-14", "2026-01-05").await?;
    let browser = Browser::start(&server.server.url("")).await?;

    // A page asked for before signing in leads to sign-in, and back afterwards.
    browser.goto("/").await?;
    assert_eq!(browser.path().await?, "/sign-in?next=%2F");
    browser.assert_accessible("the sign-in page").await?;
    browser
        .assert_nothing_from_elsewhere("the sign-in page")
        .await?;

    // A wrong password: the error summary and the message by the field; the username kept.
    sign_in(&browser, "tm.tester", "not the password at all").await?;
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css(".govuk-error-summary"))
        .await?;
    let summary = browser.text(".govuk-error-summary").await?;
    assert!(
        summary.contains("The username or password is not right"),
        "{summary}"
    );
    assert!(browser.exists("#username-error").await?);
    let kept = browser
        .client
        .find(fantoccini::Locator::Css("#username"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(kept.as_deref(), Some("tm.tester"));
    // The page's title says there is an error, for screen-reader users who hear it first.
    assert!(browser.client.title().await?.starts_with("Error: Sign in"));
    browser
        .assert_accessible("the sign-in page with an error")
        .await?;
    browser.screenshot("sign-in-error").await?;

    sign_in(&browser, "tm.tester", TEST_PASSWORD).await?;
    assert_eq!(browser.wait_for_path("/").await?, "/");
    assert_eq!(browser.text("h1").await?, "Your teams' cases");
    let table = browser.text("#cases").await?;
    assert!(table.contains("WEB1"), "{table}");
    assert!(table.contains("Team A"), "{table}");
    browser.assert_accessible("the home page").await?;
    browser
        .assert_nothing_from_elsewhere("the home page")
        .await?;
    browser.screenshot("home").await?;

    // The case page: the child, the plan, the deadlines and what happened, in words.
    browser.click_and_load("#cases a").await?;
    browser.wait_for_path("/cases/").await?;
    assert_eq!(browser.text("h1").await?, "WEB1");
    assert!(browser.text("#timeline").await?.contains("Entered care"));
    assert!(
        browser
            .text("#deadlines")
            .await?
            .contains("Initial health assessment")
    );
    browser.assert_accessible("the case page").await?;
    browser.screenshot("case").await?;

    // A path the service does not have: the pages' own "not found", as accessible as the rest.
    browser.goto("/no-such-page").await?;
    assert_eq!(browser.text("h1").await?, "Page not found");
    browser.assert_accessible("the not-found page").await?;
    browser.screenshot("not-found").await?;
    browser.goto("/").await?;

    browser
        .click_and_load("form[action='/sign-out'] button")
        .await?;
    assert_eq!(
        browser.wait_for_path("/sign-in").await?,
        "/sign-in?signed_out=1"
    );
    assert!(
        browser
            .text(".govuk-notification-banner")
            .await?
            .contains("You have signed out")
    );
    // The session is over: the home page asks to sign in again.
    browser.goto("/").await?;
    assert!(browser.path().await?.starts_with("/sign-in"));
    browser.close().await
}

on_both_backends!(
    sign_in_see_cases_and_sign_out,
    sign_in_see_cases_and_sign_out_journey
);

async fn the_keyboard_alone_signs_in_and_out_journey(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::SocialWorker).await?;
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto("/sign-in").await?;
    // Skip link, the service's name, then the form.
    for _ in 0..3 {
        browser.keys(&key(Key::Tab)).await?;
    }
    assert_eq!(browser.focused().await?, "username");
    browser.keys("sw.tester").await?;
    browser.keys(&key(Key::Tab)).await?;
    assert_eq!(browser.focused().await?, "password");
    browser.keys(TEST_PASSWORD).await?;
    browser.keys(&key(Key::Enter)).await?;
    assert_eq!(browser.wait_for_path("/").await?, "/");
    assert_eq!(browser.text("h1").await?, "Your cases");
    // Skip link, the service's name, "Cases", "Panel", "Notifications", then "Sign out".
    for _ in 0..6 {
        browser.keys(&key(Key::Tab)).await?;
    }
    assert!(
        browser.focused().await?.starts_with("Sign out"),
        "{}",
        browser.focused().await?
    );
    browser.keys(&key(Key::Enter)).await?;
    assert_eq!(
        browser.wait_for_path("/sign-in").await?,
        "/sign-in?signed_out=1"
    );
    browser.close().await
}

on_both_backends!(
    the_keyboard_alone_signs_in_and_out,
    the_keyboard_alone_signs_in_and_out_journey
);

async fn forms_without_their_csrf_token_are_refused_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::TeamManager).await?;
    let client = no_redirects()?;
    let (session, token) = http_sign_in(server, &client, "tm.tester").await?;

    for form in [vec![], vec![("csrf_token", "forged")]] {
        let refused = client
            .post(server.server.url("/sign-out"))
            .header(COOKIE, &session)
            .form(&form)
            .send()
            .await?;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    // Still signed in: the refused forms changed nothing.
    let home = client
        .get(server.server.url("/"))
        .header(COOKIE, &session)
        .send()
        .await?;
    assert_eq!(home.status(), StatusCode::OK);

    // A sign-in form posted without the cookie it was paired with.
    let (_, csrf) = sign_in_form(server, &client).await?;
    let unpaired = client
        .post(server.server.url("/sign-in"))
        .form(&[
            ("username", "tm.tester"),
            ("password", TEST_PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await?;
    assert_eq!(unpaired.status(), StatusCode::BAD_REQUEST);
    assert!(cookie_named(&unpaired, "permanence_session").is_none());

    // With its token, signing out works and ends the session.
    let out = client
        .post(server.server.url("/sign-out"))
        .header(COOKIE, &session)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await?;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = client
        .get(server.server.url("/"))
        .header(COOKIE, &session)
        .send()
        .await?;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert!(after.headers()[LOCATION].to_str()?.starts_with("/sign-in"));
    Ok(())
}

on_both_backends!(
    forms_without_their_csrf_token_are_refused,
    forms_without_their_csrf_token_are_refused_journey
);

async fn a_wrong_username_reads_as_a_wrong_password_and_guessing_is_throttled_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::TeamManager).await?;
    let client = no_redirects()?;
    let attempt = |username: &'static str, password: &'static str| {
        let client = client.clone();
        async move {
            let (pairing, csrf) = sign_in_form(server, &client).await?;
            let response = client
                .post(server.server.url("/sign-in"))
                .header(COOKIE, pairing)
                .form(&[
                    ("username", username),
                    ("password", password),
                    ("csrf_token", &csrf),
                ])
                .send()
                .await?;
            let status = response.status();
            let body = response.text().await?;
            anyhow::Ok((status, body))
        }
    };
    let (unknown_status, unknown_body) = attempt("nobody.here", "a wrong password").await?;
    let (wrong_status, wrong_body) = attempt("tm.tester", "a wrong password").await?;
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    let message = "The username or password is not right";
    assert!(unknown_body.contains(message) && wrong_body.contains(message));
    // Four more wrong passwords make five for this account: the sixth try is refused even
    // with the right password, and says why.
    for _ in 0..4 {
        attempt("tm.tester", "a wrong password").await?;
    }
    let (status, body) = attempt("tm.tester", TEST_PASSWORD).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("too many failed attempts"), "{body}");
    Ok(())
}

on_both_backends!(
    a_wrong_username_reads_as_a_wrong_password_and_guessing_is_throttled,
    a_wrong_username_reads_as_a_wrong_password_and_guessing_is_throttled_journey
);

async fn a_leader_sees_references_and_never_names_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::Leader).await?;
    give_password(server.engine(), Role::TeamManager).await?;
    let child = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "WEB2", "birthDate": "2018-06-01",
                           "sex": "MALE", "ethnicity": "WBRI", "name": "Jamie Example" } }),
        )
        .await?;
    let child_id = child["registerChild"]["child"]["id"]
        .as_str()
        .context("child")?
        .to_owned();
    let opened = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": "2026-01-05", "legalStatus": "C2",
                           "placement": "U6", "team": "Team A", "allocatedWorker": "sw.tester" } }),
        )
        .await?;
    let case_id = opened["enterCare"]["case"]["id"]
        .as_str()
        .context("case")?
        .to_owned();
    let client = no_redirects()?;
    let (manager, _) = http_sign_in(server, &client, "tm.tester").await?;
    let (leader, _) = http_sign_in(server, &client, "leader.tester").await?;
    let page = |session: String| {
        let client = client.clone();
        async move {
            anyhow::Ok(
                client
                    .get(server.server.url("/"))
                    .header(COOKIE, session)
                    .send()
                    .await?
                    .text()
                    .await?,
            )
        }
    };
    let manager_page = page(manager).await?;
    let leader_page = page(leader.clone()).await?;
    assert!(manager_page.contains("WEB2") && manager_page.contains("Jamie Example"));
    assert!(leader_page.contains("WEB2"), "the leader lists the case");
    assert!(
        !leader_page.contains("Jamie Example"),
        "a leader never sees a name"
    );
    assert!(!leader_page.contains("2018-06-01") && !leader_page.contains("1 June 2018"));
    // The case page too: the reference and the month of birth, never the name or the date.
    let leader_case = client
        .get(server.server.url(&format!("/cases/{case_id}")))
        .header(COOKIE, leader)
        .send()
        .await?
        .text()
        .await?;
    assert!(leader_case.contains("WEB2") && leader_case.contains("June 2018"));
    assert!(!leader_case.contains("Jamie Example") && !leader_case.contains("1 June 2018"));
    Ok(())
}

on_both_backends!(
    a_leader_sees_references_and_never_names,
    a_leader_sees_references_and_never_names_journey
);

/// A case outside the reader's reach gets exactly the page a missing case gets.
async fn a_case_out_of_reach_reads_as_missing_journey(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::SocialWorker).await?;
    give_password(server.engine(), Role::PanelMember).await?;
    let case_id = child_in_care(server, "WEB3", "2019-03-14", "2026-01-05").await?;
    let client = no_redirects()?;
    let (worker, _) = http_sign_in(server, &client, "sw.tester").await?;
    let (member, _) = http_sign_in(server, &client, "member.tester").await?;
    let get = |session: String, path: String| {
        let client = client.clone();
        async move {
            let response = client
                .get(server.server.url(&path))
                .header(COOKIE, session)
                .send()
                .await?;
            anyhow::Ok((response.status(), response.text().await?))
        }
    };
    let (status, page) = get(worker.clone(), format!("/cases/{case_id}")).await?;
    assert_eq!(
        status,
        StatusCode::OK,
        "the allocated worker reads the case"
    );
    assert!(page.contains("WEB3"));
    let (out_of_reach, refused) = get(member.clone(), format!("/cases/{case_id}")).await?;
    let (missing, absent) = get(member, format!("/cases/{}", uuid::Uuid::now_v7())).await?;
    let (malformed, garbled) = get(worker, "/cases/not-an-id".into()).await?;
    assert_eq!(out_of_reach, StatusCode::NOT_FOUND);
    assert_eq!(missing, StatusCode::NOT_FOUND);
    assert_eq!(malformed, StatusCode::NOT_FOUND);
    assert_eq!(refused, absent, "out of reach and missing read the same");
    assert_eq!(refused, garbled);
    assert!(!refused.contains("WEB3"));
    Ok(())
}

on_both_backends!(
    a_case_out_of_reach_reads_as_missing,
    a_case_out_of_reach_reads_as_missing_journey
);
