//! End-to-end, in a real browser on SQLite and PostgreSQL: a social worker does their casework
//! on the pages. They register a child, the child enters care, they set an adoption plan and
//! record its steps up to the match (the panel's and the decision maker's steps recorded by
//! those people), with the GOV.UK error summary and the message by the field when a form is
//! wrong, what they typed kept; a form opened before someone else changed the case comes back
//! saying so and showing what changed; a form sent after the session ended comes back filled
//! in once they have signed in again. Every page passes axe and loads nothing from elsewhere.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::browser::Browser;
use permanence_e2e::pages::{hidden_field, http_sign_in, no_redirects};
use permanence_e2e::serde_json::json;
use permanence_e2e::{TEST_PASSWORD, TestServer, give_password, on_both_backends, record_steps};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

async fn sign_in(browser: &Browser, username: &str) -> anyhow::Result<()> {
    permanence_e2e::pages::sign_in(browser, username, TEST_PASSWORD).await
}

/// Checks a page as a person meets it: accessible, nothing from another host; keeps a
/// screenshot to look at.
async fn check_page(browser: &Browser, what: &str) -> anyhow::Result<()> {
    browser.assert_accessible(what).await?;
    browser.assert_nothing_from_elsewhere(what).await?;
    browser.screenshot(&what.replace(' ', "-")).await?;
    Ok(())
}

async fn submit(browser: &Browser) -> anyhow::Result<()> {
    browser
        .click_and_load("main form button[type='submit']")
        .await
}

/// Opens one of the case page's "Record" links by its words.
async fn open_form(browser: &Browser, case_path: &str, title: &str) -> anyhow::Result<()> {
    browser.goto(case_path).await?;
    browser
        .client
        .find(fantoccini::Locator::LinkText(title))
        .await
        .with_context(|| format!("the case page offers \"{title}\""))?
        .click()
        .await?;
    browser
        .wait_for_path(&format!("{case_path}/record/"))
        .await?;
    Ok(())
}

async fn casework_journey(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::SocialWorker).await?;
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto("/").await?;
    sign_in(&browser, "sw.tester").await?;
    browser.wait_for_path("/").await?;

    // Register a child: a form with a problem comes back with what was typed.
    browser.click("#register-child").await?;
    browser.wait_for_path("/children/new").await?;
    check_page(&browser, "register a child").await?;
    browser.fill("#reference", "WEB42").await?;
    browser.fill("#name", "Ada Test").await?;
    browser.fill_date("birth_date", 31, 2, 2019).await?;
    browser.click("input[name='sex'][value='F']").await?;
    submit(&browser).await?;
    browser.wait_for_path("/children/new").await?;
    let summary = browser.text(".govuk-error-summary").await?;
    assert!(
        summary.contains("The child's date of birth must be a real date"),
        "{summary}"
    );
    assert!(
        summary.contains("Choose the child's ethnicity"),
        "{summary}"
    );
    assert!(browser.exists("#birth_date-error").await?);
    assert!(browser.exists("#ethnicity-error").await?);
    assert_eq!(browser.value("#reference").await?, "WEB42");
    assert_eq!(browser.value("#name").await?, "Ada Test");
    assert!(browser.client.title().await?.starts_with("Error: "));
    check_page(&browser, "register a child with errors").await?;
    browser.fill_date("birth_date", 14, 3, 2019).await?;
    browser.choose("#ethnicity", "WBRI").await?;
    submit(&browser).await?;

    // The child enters care: the team and the worker start as the social worker's own.
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("#entered_care_on-day"))
        .await?;
    let care_path = browser.path().await?;
    assert!(care_path.ends_with("/enter-care"), "{care_path}");
    assert_eq!(browser.value("#team").await?, "Team A");
    assert_eq!(browser.value("#allocated_worker").await?, "sw.tester");
    check_page(&browser, "enter care").await?;
    browser.fill_date("entered_care_on", 5, 1, 2026).await?;
    browser.choose("#legal_status", "C1").await?;
    browser.choose("#placement", "U6").await?;
    submit(&browser).await?;
    let case_path = browser.wait_for_path("/cases/").await?;
    let case_path = case_path.split('?').next().context("case path")?.to_owned();
    let case_id = case_path.trim_start_matches("/cases/").to_owned();
    assert!(
        browser
            .text(".govuk-notification-banner")
            .await?
            .contains("their case is open")
    );
    assert_eq!(browser.text("h1").await?, "WEB42");
    assert!(browser.text("#child").await?.contains("Ada Test"));

    // The plan for permanence.
    open_form(&browser, &case_path, "Set the plan for permanence").await?;
    check_page(&browser, "set the plan").await?;
    browser
        .click("input[name='route'][value='ADOPTION']")
        .await?;
    browser.click("input[name='role'][value='PRIMARY']").await?;
    browser.fill_date("on", 2, 3, 2026).await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{case_path}?recorded=plan"))
        .await?;
    assert!(browser.text("#plans").await?.contains("Adoption"));

    // The decision that the child should be placed for adoption is the decision maker's.
    record_steps(
        server,
        &case_id,
        "ADOPTION",
        &[("shobpa_decision", "2026-04-01")],
    )
    .await?;

    // A step dated before the step it follows is refused, beside the date, as typed.
    open_form(&browser, &case_path, "Record a step of the plan").await?;
    check_page(&browser, "record a step").await?;
    browser.choose("#step", "ADOPTION:placement_order").await?;
    submit(&browser).await?;
    let summary = browser.text(".govuk-error-summary").await?;
    assert!(summary.contains("Enter the date of the step"), "{summary}");
    assert_eq!(browser.value("#step").await?, "ADOPTION:placement_order");
    browser.fill_date("on", 1, 2, 2026).await?;
    browser
        .fill("#note", "Sealed order received from the court")
        .await?;
    submit(&browser).await?;
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css(".govuk-error-summary"))
        .await?;
    let refused = browser.text("#on-error").await?;
    assert!(
        refused.contains("before"),
        "the refusal is by the date: {refused}"
    );
    assert_eq!(browser.value("#on-day").await?, "1");
    assert_eq!(
        browser.value("#note").await?,
        "Sealed order received from the court"
    );
    check_page(&browser, "record a step refused").await?;
    browser.fill_date("on", 20, 4, 2026).await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{case_path}?recorded=route-step"))
        .await?;
    assert!(
        browser
            .text("#plans")
            .await?
            .to_lowercase()
            .contains("placement order")
    );
    assert!(
        browser
            .text("#timeline")
            .await?
            .contains("Sealed order received from the court")
    );

    // Someone else changes the case while the form is open: the form says so, shows what
    // changed, keeps what was typed, and goes through when sent again.
    open_form(&browser, &case_path, "Record a step of the plan").await?;
    browser.choose("#step", "ADOPTION:family_finding").await?;
    browser.fill_date("on", 1, 5, 2026).await?;
    server
        .ok_as(
            Role::TeamManager,
            "mutation($i: RecordDatedInput!) { recordReview(input: $i) { case { version } } }",
            json!({ "i": { "caseId": case_id, "occurredOn": "2026-04-28" } }),
        )
        .await?;
    submit(&browser).await?;
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("#changes"))
        .await?;
    let summary = browser.text(".govuk-error-summary").await?;
    assert!(
        summary.contains("Someone else changed this case"),
        "{summary}"
    );
    assert!(browser.text("#changes").await?.contains("Review held"));
    assert_eq!(browser.value("#step").await?, "ADOPTION:family_finding");
    assert_eq!(browser.value("#on-month").await?, "5");
    check_page(&browser, "record a step after a conflict").await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{case_path}?recorded=route-step"))
        .await?;
    assert!(
        browser
            .text("#plans")
            .await?
            .to_lowercase()
            .contains("family finding")
    );

    // The panel recommends the match and the decision maker decides it.
    record_steps(
        server,
        &case_id,
        "ADOPTION",
        &[
            ("matching_panel_recommendation", "2026-06-01"),
            ("match_decision", "2026-06-05"),
        ],
    )
    .await?;
    browser.goto(&case_path).await?;
    let plans = browser.text("#plans").await?;
    assert!(plans.to_lowercase().contains("match decision"), "{plans}");
    // The progress line: what is done, where the plan is, and what can come next.
    assert!(plans.contains("Done"), "{plans}");
    assert!(plans.contains("Current"), "{plans}");
    assert!(plans.contains("Can come next"), "{plans}");
    check_page(&browser, "case page with a plan").await?;

    // The session ends while a form is being filled in: what was typed survives signing in.
    open_form(&browser, &case_path, "Record a health assessment").await?;
    browser.fill_date("on", 10, 6, 2026).await?;
    browser
        .fill("#note", "Seen by the looked-after children's nurse")
        .await?;
    let user = server
        .engine()
        .store()
        .user_by_username("sw.tester")
        .await?
        .context("user")?;
    server
        .engine()
        .store()
        .revoke_sessions_of_user(user.id, server.engine().now())
        .await?;
    submit(&browser).await?;
    // The answer is the sign-in page itself (nothing is recorded), carrying the form.
    browser
        .client
        .wait()
        .for_element(fantoccini::Locator::Css("form[action='/sign-in']"))
        .await?;
    assert!(
        browser
            .text(".govuk-notification-banner")
            .await?
            .contains("What you typed into the form has been kept")
    );
    check_page(&browser, "sign in again keeping a form").await?;
    sign_in(&browser, "sw.tester").await?;
    browser
        .wait_for_path(&format!("{case_path}/record/health-assessment"))
        .await?;
    assert!(
        browser
            .text(".govuk-notification-banner")
            .await?
            .contains("What you typed is below")
    );
    assert_eq!(browser.value("#on-day").await?, "10");
    assert_eq!(
        browser.value("#note").await?,
        "Seen by the looked-after children's nurse"
    );
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{case_path}?recorded=health-assessment"))
        .await?;
    assert!(
        browser
            .text("#timeline")
            .await?
            .contains("Initial health assessment")
    );
    // The kept form was taken back once: opening the form again starts empty.
    browser
        .goto(&format!("{case_path}/record/health-assessment"))
        .await?;
    assert_eq!(browser.value("#note").await?, "");

    // A statutory visit, with whether the child was seen alone.
    open_form(&browser, &case_path, "Record a visit to the child").await?;
    check_page(&browser, "record a visit").await?;
    browser.fill_date("on", 12, 6, 2026).await?;
    browser
        .click("input[name='seen_alone'][value='yes']")
        .await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{case_path}?recorded=visit"))
        .await?;
    assert!(
        browser
            .text("#timeline")
            .await?
            .contains("Visit by social worker: the child was seen alone")
    );

    browser.goto("/").await?;
    browser
        .click_and_load("form[action='/sign-out'] button")
        .await?;
    browser.wait_for_path("/sign-in").await?;
    browser.close().await
}

on_both_backends!(
    a_social_worker_does_casework_in_the_browser,
    casework_journey
);

/// Opens a case for a child through the API, allocated as given (or to nobody).
async fn case_allocated_to(
    server: &TestServer,
    reference: &str,
    entered: &str,
    worker: Option<&str>,
) -> anyhow::Result<String> {
    let data = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": reference,
                           "birthDate": "2020-05-01", "sex": "MALE", "ethnicity": "WBRI" } }),
        )
        .await?;
    let child_id = data
        .pointer("/registerChild/child/id")
        .and_then(|v| v.as_str())
        .context("child id")?;
    let data = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": entered, "legalStatus": "V2",
                           "placement": "U6", "team": "Team A", "allocatedWorker": worker } }),
        )
        .await?;
    Ok(data
        .pointer("/enterCare/case/id")
        .and_then(|v| v.as_str())
        .context("case id")?
        .to_owned())
}

/// The case as the store holds it now.
async fn stored_case(
    server: &TestServer,
    case_id: &str,
) -> anyhow::Result<permanence_engine::store::CaseRecord> {
    server
        .engine()
        .store()
        .case(permanence_domain::CaseId(case_id.parse()?))
        .await?
        .context("case")
}

async fn get_page(
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

/// Where each reference first appears on a page.
fn positions(page: &str, references: &[&str]) -> anyhow::Result<Vec<usize>> {
    references
        .iter()
        .map(|r| {
            page.find(&format!(">{r}<"))
                .with_context(|| format!("{r} listed"))
        })
        .collect()
}

async fn forms_on_a_case_are_refused_without_their_token_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::SocialWorker).await?;
    let case_id = case_allocated_to(server, "CSRF1", "2026-02-01", Some("sw.tester")).await?;
    let client = no_redirects()?;
    let (session, token) = http_sign_in(server, &client, "sw.tester").await?;
    let path = format!("/cases/{case_id}/record/review");
    let review = [("on-day", "3"), ("on-month", "3"), ("on-year", "2026")];
    for csrf in [None, Some("forged")] {
        let mut form: Vec<(&str, &str)> = review.to_vec();
        if let Some(csrf) = csrf {
            form.push(("csrf_token", csrf));
        }
        let refused = client
            .post(server.server.url(&path))
            .header(COOKIE, &session)
            .form(&form)
            .send()
            .await?;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    let case = stored_case(server, &case_id).await?;
    assert!(
        case.state.reviews.is_empty(),
        "a refused form recorded nothing"
    );

    // With the session's token it is recorded, once, however often it is sent.
    let (_, form_page) = get_page(server, &client, &session, &path).await?;
    let command_id = hidden_field(&form_page, "command_id").context("command id")?;
    let version = hidden_field(&form_page, "expected_version").context("version")?;
    for _ in 0..2 {
        let mut form: Vec<(&str, &str)> = review.to_vec();
        form.extend([
            ("csrf_token", token.as_str()),
            ("command_id", command_id.as_str()),
            ("expected_version", version.as_str()),
        ]);
        let sent = client
            .post(server.server.url(&path))
            .header(COOKIE, &session)
            .form(&form)
            .send()
            .await?;
        assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    }
    let case = stored_case(server, &case_id).await?;
    assert_eq!(
        case.state.reviews.len(),
        1,
        "the same form sent twice records once"
    );
    Ok(())
}

on_both_backends!(
    forms_on_a_case_are_refused_without_their_token,
    forms_on_a_case_are_refused_without_their_token_journey
);

async fn who_may_record_what_journey(server: &TestServer) -> anyhow::Result<()> {
    for role in [Role::SocialWorker, Role::Leader, Role::TeamManager] {
        give_password(server.engine(), role).await?;
    }
    let others = case_allocated_to(server, "OTHER1", "2026-01-10", Some("another.worker")).await?;
    let mine = case_allocated_to(server, "MINE1", "2026-03-10", Some("sw.tester")).await?;
    let client = no_redirects()?;

    // A social worker: another worker's case, and its forms, read exactly as a missing case.
    let (session, _) = http_sign_in(server, &client, "sw.tester").await?;
    let missing = uuid::Uuid::now_v7();
    let (status, not_found) = get_page(
        server,
        &client,
        &session,
        &format!("/cases/{missing}/record/review"),
    )
    .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        format!("/cases/{others}/record/review"),
        format!("/cases/{others}"),
    ] {
        let (status, page) = get_page(server, &client, &session, &path).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(page, not_found, "{path}");
    }
    // Their own case offers casework, but not what is a manager's (allocation).
    let (status, page) = get_page(server, &client, &session, &format!("/cases/{mine}")).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Record a review"));
    assert!(!page.contains("Allocate the case"));
    let (status, _) = get_page(
        server,
        &client,
        &session,
        &format!("/cases/{mine}/record/allocation"),
    )
    .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A leader reads the case, pseudonymised, and is offered nothing to record.
    let (session, _) = http_sign_in(server, &client, "leader.tester").await?;
    let (status, page) = get_page(server, &client, &session, &format!("/cases/{mine}")).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("id=\"record\""));
    assert!(!page.contains("Register a child"));
    let (status, _) = get_page(
        server,
        &client,
        &session,
        &format!("/cases/{mine}/record/review"),
    )
    .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get_page(server, &client, &session, "/children/new").await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

on_both_backends!(who_may_record_what, who_may_record_what_journey);

async fn a_team_manager_sees_unallocated_cases_first_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::TeamManager).await?;
    case_allocated_to(server, "ALLOC1", "2025-06-01", Some("sw.tester")).await?;
    case_allocated_to(server, "NOBODY1", "2026-02-01", None).await?;
    case_allocated_to(server, "ALLOC2", "2024-01-15", Some("sw.tester")).await?;
    let client = no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "tm.tester").await?;

    let (_, home) = get_page(server, &client, &session, "/").await?;
    let at = positions(&home, &["NOBODY1", "ALLOC1", "ALLOC2"])?;
    assert!(at[0] < at[1] && at[0] < at[2], "unallocated first: {at:?}");
    assert!(home.contains("<option value=\"unallocated\" selected>"));

    let (_, by_time) = get_page(server, &client, &session, "/?sort=in-care").await?;
    let at = positions(&by_time, &["ALLOC2", "ALLOC1", "NOBODY1"])?;
    assert!(
        at[0] < at[1] && at[1] < at[2],
        "longest in care first: {at:?}"
    );
    Ok(())
}

on_both_backends!(
    a_team_manager_sees_unallocated_cases_first,
    a_team_manager_sees_unallocated_cases_first_journey
);
