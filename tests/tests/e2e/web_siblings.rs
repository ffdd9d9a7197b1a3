//! End-to-end over HTTP, on SQLite and PostgreSQL: a child's case page shows their sibling
//! group: the decision in words, the brothers and sisters the reader may see (by reference,
//! placed with the child or apart, left care), and how many are not shown. A leader sees the
//! decision and the counts, never which children. Each sibling listed is a read in the audit.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::pages::{http_sign_in, no_redirects, page};
use permanence_e2e::serde_json::json;
use permanence_e2e::{CLOSE_CASE, TestServer, child_in_care, give_password, on_both_backends};

async fn shown_on_the_case_page(server: &TestServer) -> anyhow::Result<()> {
    let a = child_in_care(server, "WSA", "2016-02-01", "2026-01-05").await?;
    let b = child_in_care(server, "WSB", "2018-05-01", "2026-01-05").await?;
    let c = child_in_care(server, "WSC", "2021-09-01", "2026-01-05").await?;
    // The fourth is in another team, out of the social worker's reach.
    let d = child_in_care(server, "WSD", "2022-09-01", "2026-01-05").await?;
    server
        .ok(
            "mutation($i: AllocateCaseInput!) { allocateCase(input: $i) { case { id } } }",
            json!({ "i": { "caseId": d, "occurredOn": "2026-02-01", "team": "North" } }),
        )
        .await?;
    server
        .ok(
            "mutation($i: RecordSiblingGroupInput!) { recordSiblingGroup(input: $i) { siblingGroup { id } } }",
            json!({ "i": { "members": [a, b, c, d], "placing": "SOME_TOGETHER",
                           "reason": "NO_CARERS_FOR_GROUP", "placedTogether": [[a, b]],
                           "decidedOn": "2026-02-02" } }),
        )
        .await?;
    server
        .ok(
            CLOSE_CASE,
            json!({ "i": { "caseId": c, "reason": "E8", "occurredOn": "2026-05-01" } }),
        )
        .await?;

    give_password(server.engine(), Role::SocialWorker).await?;
    let client = no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "sw.tester").await?;
    let (_, body) = page(server, &client, &session, &format!("/cases/{a}")).await?;
    let section = body
        .split(r#"id="siblings""#)
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .context("the case page has a brothers and sisters section")?;
    assert!(
        section.contains(
            "In a sibling group of 4 children: some placed together, because of no carers able to take the whole group (decided 2 February 2026)"
        ),
        "{section}"
    );
    assert!(
        section.contains(&format!(
            r#"href="/cases/{b}">WSB</a>: placed with this child"#
        )),
        "{section}"
    );
    assert!(
        section.contains(&format!(
            r#"href="/cases/{c}">WSC</a>: placed apart from this child"#
        )),
        "{section}"
    );
    assert!(section.contains("Left care"), "{section}");
    assert!(!section.contains("WSD"), "a case out of reach is not named");
    let timeline = body
        .split(r#"id="timeline""#)
        .nth(1)
        .context("the case page has its timeline")?;
    assert!(
        timeline.contains(
            "Sibling group of 4 children: some placed together, because of no carers able to take the whole group</span>, 2 February 2026"
        ),
        "the group's decision is in what has happened: {timeline}"
    );
    assert!(
        section.contains("1 child of the group not shown to you"),
        "{section}"
    );
    // The siblings listed were read, and the audit says so.
    let reads = server
        .engine()
        .store()
        .audit_of_record(permanence_auth::record_kind::CASE, &b, 100)
        .await?;
    assert!(
        reads
            .iter()
            .any(|r| r.actor == "sw.tester" && r.query == format!("page:/cases/{a}")),
        "{reads:?}"
    );

    // A leader: the decision and the counts, no references of the others.
    give_password(server.engine(), Role::Leader).await?;
    let (session, _) = http_sign_in(server, &client, "leader.tester").await?;
    let (_, body) = page(server, &client, &session, &format!("/cases/{a}")).await?;
    let section = body
        .split(r#"id="siblings""#)
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .context("a leader sees the section")?;
    assert!(
        section.contains("In a sibling group of 4 children"),
        "{section}"
    );
    for other in ["WSB", "WSC", "WSD"] {
        assert!(!section.contains(other), "{section}");
    }
    assert!(
        section.contains("3 children of the group not shown to you"),
        "{section}"
    );
    Ok(())
}
on_both_backends!(a_case_page_shows_the_sibling_group, shown_on_the_case_page);

/// A child on long-term fostering whose carers were identified on `on`: they wait for panel.
async fn waiting_for_panel(
    server: &TestServer,
    reference: &str,
    on: &str,
) -> anyhow::Result<String> {
    let id = child_in_care(server, reference, "2015-01-01", "2026-06-01").await?;
    server
        .ok(
            permanence_e2e::SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "LONG_TERM_FOSTERING", "occurredOn": "2026-07-01" } }),
        )
        .await?;
    permanence_e2e::record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[("carer_identified", on)],
    )
    .await?;
    Ok(id)
}

async fn listed_together_at_panel(server: &TestServer) -> anyhow::Result<()> {
    let elder = waiting_for_panel(server, "WPA", "2026-07-20").await?;
    let other = waiting_for_panel(server, "WPX", "2026-07-21").await?;
    let younger = waiting_for_panel(server, "WPB", "2026-07-22").await?;
    server
        .ok(
            "mutation($i: RecordSiblingGroupInput!) { recordSiblingGroup(input: $i) { siblingGroup { id } } }",
            json!({ "i": { "members": [elder, younger], "placing": "TOGETHER", "decidedOn": "2026-07-15" } }),
        )
        .await?;
    give_password(server.engine(), Role::PanelChair).await?;
    let client = no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "chair.tester").await?;

    // The queue: the sisters next to each other, each naming the other.
    let (_, body) = page(server, &client, &session, "/panel").await?;
    let at = |needle: &str| {
        body.find(needle)
            .with_context(|| format!("{needle} on /panel"))
    };
    assert!(at("WPA")? < at("WPB")? && at("WPB")? < at("WPX")?, "{body}");
    assert!(
        body.contains("Sibling group</strong> heard with WPB"),
        "{body}"
    );
    assert!(
        body.contains("Sibling group</strong> heard with WPA"),
        "{body}"
    );

    // The agenda: added in waiting order, listed with the group together.
    let data = server
        .ok_as(
            Role::PanelChair,
            "mutation { schedulePanelMeeting(input: {localAuthority: \"E10000003\", kind: FOSTERING, sitsOn: \"2026-08-12\", chair: \"chair.tester\"}) { id } }",
            json!({}),
        )
        .await?;
    let meeting = data
        .pointer("/schedulePanelMeeting/id")
        .and_then(|v| v.as_str())
        .context("meeting")?
        .to_owned();
    for case in [&elder, &other, &younger] {
        server
            .ok(
                "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }",
                json!({ "i": { "meetingId": meeting, "caseId": case, "purpose": "LONG_TERM_FOSTER_MATCH" } }),
            )
            .await?;
    }
    let (_, body) = page(
        server,
        &client,
        &session,
        &format!("/panel/meetings/{meeting}"),
    )
    .await?;
    let at = |needle: &str| {
        body.find(needle)
            .with_context(|| format!("{needle} on the meeting"))
    };
    assert!(at("WPA")? < at("WPB")? && at("WPB")? < at("WPX")?, "{body}");
    assert!(body.contains("heard as one item with WPB"), "{body}");
    assert!(body.contains("heard as one item with WPA"), "{body}");

    // The chair records one recommendation for the group from the meeting's page.
    let marker = format!("/panel/meetings/{meeting}/sibling-groups/");
    let start = body
        .find(&marker)
        .context("the meeting page offers the group's form")?;
    let end = start + body[start..].find('"').context("link end")?;
    let form_path = body[start..end].to_owned();
    let (status, form) = page(server, &client, &session, &form_path).await?;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(
        form.contains("WPA, WPB"),
        "the form names the children: {form}"
    );
    let command_id =
        permanence_e2e::pages::hidden_field(&form, "command_id").context("command id")?;
    let token = csrf_of(&form)?;
    let post = |recommendation: &str, reason: &str| {
        client
            .post(server.server.url(&form_path))
            .header(reqwest::header::COOKIE, &session)
            .form(&[
                ("csrf_token", token.clone()),
                ("command_id", command_id.clone()),
                ("recommendation", recommendation.to_owned()),
                ("deferral_reason", reason.to_owned()),
            ])
            .send()
    };
    let refused = post("DEFERRED", "").await?;
    assert_eq!(refused.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text().await?;
    assert!(
        text.contains("Enter why the panel deferred the case"),
        "{text}"
    );
    assert!(
        text.contains(r#"type="radio" value="DEFERRED" checked"#),
        "{text}"
    );
    let sent = post("RECOMMENDED", "").await?;
    assert_eq!(sent.status(), reqwest::StatusCode::SEE_OTHER);
    let again = post("RECOMMENDED", "").await?;
    assert_eq!(
        again.status(),
        reqwest::StatusCode::SEE_OTHER,
        "sent twice, recorded once"
    );
    for case in [&elder, &younger] {
        let data = server
            .ok(
                "query($id: UUID!) { case(id: $id) { version primaryPlan { currentStep } } }",
                json!({ "id": case }),
            )
            .await?;
        assert_eq!(
            data.pointer("/case/primaryPlan/currentStep"),
            Some(&json!("panel_recommendation"))
        );
    }
    let data = server
        .ok(
            "query($id: UUID!) { panelMeeting(id: $id) { agenda { item { status case { id } } } } }",
            json!({ "id": meeting }),
        )
        .await?;
    let statuses: Vec<String> = data
        .pointer("/panelMeeting/agenda")
        .and_then(|a| a.as_array())
        .context("agenda")?
        .iter()
        .filter_map(|i| {
            i.pointer("/item/status")
                .and_then(|s| s.as_str())
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(statuses, vec!["RECOMMENDED", "RECOMMENDED", "SCHEDULED"]);
    Ok(())
}

/// The CSRF token a page's form carries.
fn csrf_of(form: &str) -> anyhow::Result<String> {
    permanence_e2e::pages::hidden_field(form, "csrf_token").context("csrf token")
}
on_both_backends!(
    the_panel_pages_list_a_sibling_group_together,
    listed_together_at_panel
);

async fn recorded_from_the_case_page(server: &TestServer) -> anyhow::Result<()> {
    use permanence_e2e::pages::hidden_field;
    use reqwest::StatusCode;
    use reqwest::header::COOKIE;

    let a = child_in_care(server, "WFA", "2016-02-01", "2026-01-05").await?;
    let b = child_in_care(server, "WFB", "2018-05-01", "2026-01-05").await?;
    let c = child_in_care(server, "WFC", "2021-09-01", "2026-01-05").await?;
    give_password(server.engine(), Role::SocialWorker).await?;
    let client = no_redirects()?;
    let (session, token) = http_sign_in(server, &client, "sw.tester").await?;
    let case_path = format!("/cases/{a}");
    let form_path = format!("{case_path}/sibling-group");
    let (_, case_page) = page(server, &client, &session, &case_path).await?;
    assert!(case_page.contains(&form_path), "the case page offers it");
    let (status, form) = page(server, &client, &session, &form_path).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Record the sibling group"), "{form}");
    let command_id = hidden_field(&form, "command_id").context("command id")?;
    let version = hidden_field(&form, "expected_version").context("version")?;
    assert_eq!(version, "0");
    let post = |placing: &str, reason: &str, together: &str| {
        let all = vec![
            ("csrf_token", token.clone()),
            ("command_id", command_id.clone()),
            ("expected_version", version.clone()),
            ("members", "WFB, WFC".to_owned()),
            ("placing", placing.to_owned()),
            ("reason", reason.to_owned()),
            ("placed_together", together.to_owned()),
            ("decided_on-day", "2".to_owned()),
            ("decided_on-month", "2".to_owned()),
            ("decided_on-year", "2026".to_owned()),
        ];
        client
            .post(server.server.url(&form_path))
            .header(COOKIE, &session)
            .form(&all)
            .send()
    };

    // Some together, without saying why: refused by the reason, everything kept as typed.
    let refused = post("SOME_TOGETHER", "", "WFA, WFB").await?;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await?;
    assert!(
        body.contains("Say why the children are not all placed together"),
        "{body}"
    );
    assert!(
        body.contains(r#"id="reason-error""#),
        "the message is by the reason"
    );
    assert!(
        body.contains(r#"value="WFB, WFC""#),
        "the references are kept"
    );
    assert!(
        body.contains(r#"type="radio" value="SOME_TOGETHER" checked"#),
        "the choice is kept"
    );
    assert!(body.contains("WFA, WFB</textarea>"), "the sets are kept");
    // A reference of no child the worker may link is refused without saying more.
    let unknown = client
        .post(server.server.url(&form_path))
        .header(COOKIE, &session)
        .form(&[
            ("csrf_token", token.as_str()),
            ("command_id", command_id.as_str()),
            ("expected_version", "0"),
            ("members", "NOSUCH"),
            ("placing", "TOGETHER"),
            ("decided_on-day", "2"),
            ("decided_on-month", "2"),
            ("decided_on-year", "2026"),
        ])
        .send()
        .await?;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text().await?.contains("check the references"));

    let sent = post("SOME_TOGETHER", "NO_CARERS_FOR_GROUP", "WFA, WFB").await?;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    // Sent twice (a double click): recorded once.
    let again = post("SOME_TOGETHER", "NO_CARERS_FOR_GROUP", "WFA, WFB").await?;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let (_, case_page) = page(
        server,
        &client,
        &session,
        &format!("{case_path}?recorded=sibling-group"),
    )
    .await?;
    assert!(case_page.contains("Sibling group recorded"), "{case_page}");
    assert!(
        case_page.contains(&format!(
            r#"href="/cases/{b}">WFB</a>: placed with this child"#
        )),
        "{case_page}"
    );
    assert!(
        case_page.contains(&format!(
            r#"href="/cases/{c}">WFC</a>: placed apart from this child"#
        )),
        "{case_page}"
    );
    let data = server
        .ok(
            "query($id: UUID!) { case(id: $id) { siblingGroup { version placing reason history { recordedBy } } } }",
            json!({ "id": c }),
        )
        .await?;
    assert_eq!(
        data.pointer("/case/siblingGroup"),
        Some(
            &json!({ "version": 1, "placing": "SOME_TOGETHER", "reason": "NO_CARERS_FOR_GROUP",
                       "history": [{ "recordedBy": "sw.tester" }] })
        )
    );
    // The form on another member's case shows the group as it stands, ready to revise.
    let (_, form) = page(
        server,
        &client,
        &session,
        &format!("/cases/{c}/sibling-group"),
    )
    .await?;
    assert_eq!(
        hidden_field(&form, "expected_version").as_deref(),
        Some("1")
    );
    assert!(form.contains(r#"value="WFA, WFB""#), "{form}");
    Ok(())
}
on_both_backends!(
    a_sibling_group_is_recorded_from_the_case_page,
    recorded_from_the_case_page
);

/// The sibling group's pages in Chromium: the panel's queue and a meeting's agenda with the
/// group heard as one item, the group's recommendation form, the case page's section, and
/// the form that records the group. axe-core finds no serious or critical violation on any,
/// nothing is loaded from elsewhere, and each is kept as a screenshot. (What a browser adds
/// does not depend on the database: SQLite only.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sibling_pages_in_a_browser() -> anyhow::Result<()> {
    use permanence_e2e::browser::Browser;
    let server = TestServer::start(permanence_e2e::Backend::Sqlite).await?;
    let elder = waiting_for_panel(&server, "BSA", "2026-07-20").await?;
    let younger = waiting_for_panel(&server, "BSB", "2026-07-22").await?;
    server
        .ok(
            "mutation($i: RecordSiblingGroupInput!) { recordSiblingGroup(input: $i) { siblingGroup { id } } }",
            json!({ "i": { "members": [elder, younger], "placing": "TOGETHER", "decidedOn": "2026-07-15" } }),
        )
        .await?;
    let data = server
        .ok_as(
            Role::PanelChair,
            "mutation { schedulePanelMeeting(input: {localAuthority: \"E10000003\", kind: FOSTERING, sitsOn: \"2026-08-12\", chair: \"chair.tester\"}) { id } }",
            json!({}),
        )
        .await?;
    let meeting = data
        .pointer("/schedulePanelMeeting/id")
        .and_then(|v| v.as_str())
        .context("meeting")?
        .to_owned();
    for case in [&elder, &younger] {
        server
            .ok(
                "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }",
                json!({ "i": { "meetingId": meeting, "caseId": case, "purpose": "LONG_TERM_FOSTER_MATCH" } }),
            )
            .await?;
    }
    give_password(server.engine(), Role::PanelChair).await?;
    give_password(server.engine(), Role::TeamManager).await?;

    let browser = Browser::start(&server.server.url("")).await?;
    let check = async |what: &str| -> anyhow::Result<()> {
        browser.assert_accessible(what).await?;
        browser.assert_nothing_from_elsewhere(what).await?;
        browser.screenshot(&what.replace(' ', "-")).await?;
        Ok(())
    };
    browser.goto("/").await?;
    permanence_e2e::pages::sign_in(&browser, "chair.tester", permanence_e2e::TEST_PASSWORD).await?;
    browser.wait_for_path("/").await?;
    browser.goto(&format!("/panel/meetings/{meeting}")).await?;
    let agenda = browser.text("main").await?;
    assert!(agenda.contains("heard as one item with BSB"), "{agenda}");
    check("panel meeting with a sibling group").await?;
    browser
        .click_and_load("main a[href*='/sibling-groups/']")
        .await?;
    browser
        .wait_for_path(&format!("/panel/meetings/{meeting}/sibling-groups/"))
        .await?;
    check("sibling group recommendation").await?;
    browser.goto(&format!("/cases/{elder}")).await?;
    let siblings = browser.text("#siblings").await?;
    assert!(siblings.contains("BSB"), "{siblings}");
    check("case with a sibling group").await?;

    browser.click_and_load(".app-sign-out button").await?;
    browser.goto("/").await?;
    permanence_e2e::pages::sign_in(&browser, "tm.tester", permanence_e2e::TEST_PASSWORD).await?;
    browser.wait_for_path("/").await?;
    browser
        .goto(&format!("/cases/{elder}/sibling-group"))
        .await?;
    check("sibling group form").await?;
    browser.close().await?;
    server.stop().await
}
