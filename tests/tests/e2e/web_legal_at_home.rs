//! End-to-end over HTTP, on SQLite and PostgreSQL: a social worker records the Public Law
//! Outline for a child who lives at home, from the child's page. A step the track refuses
//! comes back by the step with everything as typed; the page shows the round and its
//! deadline; the drift board lists the child; once the child is in care, the page sends the
//! worker to the case.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::pages::{hidden_field, http_sign_in, no_redirects, page};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{TestServer, give_password, on_both_backends};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

async fn recorded_from_the_page(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::SocialWorker).await?;
    give_password(server.engine(), Role::TeamManager).await?;
    let data = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "WPLO", "birthDate": "2020-02-02",
                           "sex": "FEMALE", "ethnicity": "WBRI" } }),
        )
        .await?;
    let child = data
        .pointer("/registerChild/child/id")
        .and_then(Value::as_str)
        .context("child id")?
        .to_owned();
    let client = no_redirects()?;
    let (session, token) = http_sign_in(server, &client, "sw.tester").await?;
    let path = format!("/children/{child}/legal-at-home");

    // The enter-care form offers the way to the child's record at home.
    let (_, care_form) = page(
        server,
        &client,
        &session,
        &format!("/children/{child}/enter-care"),
    )
    .await?;
    assert!(care_form.contains(&path), "{care_form}");
    let (status, form) = page(server, &client, &session, &path).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Nothing recorded at home yet"), "{form}");
    let command_id = hidden_field(&form, "command_id").context("command id")?;
    let post = |step: &str, day: &str| {
        let all = vec![
            ("csrf_token", token.clone()),
            ("command_id", command_id.clone()),
            ("legal_step", step.to_owned()),
            ("on-day", day.to_owned()),
            ("on-month", "6".to_owned()),
            ("on-year", "2026".to_owned()),
            ("team", "Team A".to_owned()),
        ];
        client
            .post(server.server.url(&path))
            .header(COOKIE, &session)
            .form(&all)
            .send()
    };

    // A letter before pre-proceedings began: refused by the step, as typed.
    let refused = post("letter_before_proceedings_sent", "3").await?;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await?;
    assert!(body.contains("not in pre-proceedings"), "{body}");
    assert!(body.contains(r#"id="legal_step-error""#), "{body}");
    assert!(body.contains(r#"name="on-day" type="text" inputmode="numeric" value="3""#));
    assert!(
        body.contains(r#"value="letter_before_proceedings_sent" selected"#),
        "{body}"
    );

    let sent = post("pre_proceedings_started", "1").await?;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let (_, after) = page(server, &client, &session, &path).await?;
    assert!(
        after.contains("Pre-proceedings since 1 June 2026"),
        "{after}"
    );
    assert!(
        after
            .contains("Pre-proceedings ended: step down or issue by 21 September 2026 (overdue by"),
        "{after}"
    );

    // The team manager's drift board lists the child at home.
    let (tm_session, _) = http_sign_in(server, &client, "tm.tester").await?;
    let (_, board) = page(server, &client, &tm_session, "/drift").await?;
    assert!(
        board.contains("Children at home in the Public Law Outline"),
        "{board}"
    );
    assert!(
        board.contains(&format!(r#"data-child="{child}""#)),
        "{board}"
    );

    // In care, the page sends the worker to the case.
    let data = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child, "enteredCareOn": "2026-07-01", "legalStatus": "C1",
                           "placement": "U6", "provider": "PR1", "carer": "FC-1", "team": "Team A",
                           "allocatedWorker": "sw.tester" } }),
        )
        .await?;
    let case = data
        .pointer("/enterCare/case/id")
        .and_then(Value::as_str)
        .context("case")?;
    let (_, in_care) = page(server, &client, &session, &path).await?;
    assert!(
        in_care.contains("The child is in care: record legal steps on their case."),
        "{in_care}"
    );
    assert!(in_care.contains(&format!("/cases/{case}")), "{in_care}");
    let (_, board) = page(server, &client, &tm_session, "/drift").await?;
    assert!(
        !board.contains("Children at home in the Public Law Outline"),
        "{board}"
    );
    Ok(())
}
on_both_backends!(
    the_public_law_outline_at_home_recorded_from_the_page,
    recorded_from_the_page
);

/// In Chromium, as a team manager: the page with its form, a refusal, and the recorded round,
/// then the drift board's list of children at home; axe-core finds no serious or critical
/// violation on either and nothing is loaded from elsewhere. (The browser's part of the
/// pages does not depend on the database: SQLite only.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_in_a_browser() -> anyhow::Result<()> {
    use permanence_e2e::browser::Browser;
    let server = TestServer::start(permanence_e2e::Backend::Sqlite).await?;
    give_password(server.engine(), Role::TeamManager).await?;
    let data = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "BPLO", "birthDate": "2020-02-02",
                           "sex": "MALE", "ethnicity": "WBRI" } }),
        )
        .await?;
    let child = data
        .pointer("/registerChild/child/id")
        .and_then(Value::as_str)
        .context("child id")?
        .to_owned();
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto("/").await?;
    permanence_e2e::pages::sign_in(&browser, "tm.tester", permanence_e2e::TEST_PASSWORD).await?;
    browser.wait_for_path("/").await?;
    let path = format!("/children/{child}/legal-at-home");
    browser.goto(&path).await?;
    assert_eq!(browser.value("#team").await?, "Team A");
    browser
        .assert_accessible("the Public Law Outline at home")
        .await?;
    browser
        .assert_nothing_from_elsewhere("the Public Law Outline at home")
        .await?;

    // A meeting before any letter: refused, by the step, with the date kept.
    browser
        .choose("#legal_step", "pre_proceedings_meeting_held")
        .await?;
    browser.fill_date("on", 2, 6, 2026).await?;
    browser
        .click_and_load("main form button[type='submit']")
        .await?;
    let summary = browser.text(".govuk-error-summary").await?;
    assert!(summary.contains("not in pre-proceedings"), "{summary}");
    assert_eq!(browser.value("#on-day").await?, "2");
    browser
        .assert_accessible("the Public Law Outline at home with an error")
        .await?;

    browser
        .choose("#legal_step", "pre_proceedings_started")
        .await?;
    browser.fill_date("on", 1, 6, 2026).await?;
    browser
        .click_and_load("main form button[type='submit']")
        .await?;
    browser.wait_for_path(&path).await?;
    let about = browser.text("#about").await?;
    assert!(
        about.contains("Pre-proceedings since 1 June 2026"),
        "{about}"
    );
    browser.screenshot("legal-at-home").await?;

    // Sixteen weeks from 1 June 2026 passed on 21 September: the board shows it overdue.
    browser.goto("/drift").await?;
    let at_home = browser.text("#at-home").await?;
    assert!(at_home.contains("BPLO"), "{at_home}");
    assert!(at_home.contains("Overdue by"), "{at_home}");
    browser
        .assert_accessible("the drift board with children at home")
        .await?;
    browser.screenshot("drift-board-at-home").await?;
    browser.close().await?;
    server.stop().await
}
