//! End-to-end: the panel's pages and the notifications page in a real browser (headless
//! Chromium over WebDriver), against the real server on SQLite and PostgreSQL.
//!
//! A panel chair schedules a meeting, puts a case from the queue on its agenda, sees that
//! documents are missing before the case is heard, and records the panel's recommendation;
//! the agency decision maker records the decision, and the case moves on to the next step of
//! its plan. A meeting of another authority reads exactly as a missing one, and a leader sees
//! the queue's references and never a name. A social worker sees the escalation of one of
//! their cases, naming the child's reference, and acknowledges it. Forms without their CSRF
//! token are refused. axe-core finds no serious or critical violation on any of these pages,
//! and none loads anything from another host.

use anyhow::Context;
use fantoccini::Locator;
use permanence_auth::Role;
use permanence_e2e::browser::Browser;
use permanence_e2e::pages::{hidden_field, http_sign_in, no_redirects, sign_in};
use permanence_e2e::serde_json::json;
use permanence_e2e::{
    SET_ROUTE_PLAN, TEST_PASSWORD, TestServer, child_in_care, give_password, on_both_backends,
    record_steps,
};
use permanence_engine::store::{NewUser, NotificationAudience};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};

/// A case whose long-term foster carer has been identified: it waits for panel.
async fn waiting_for_panel(server: &TestServer, reference: &str) -> anyhow::Result<String> {
    let case_id = child_in_care(server, reference, "2015-01-01", "2026-06-01").await?;
    long_term_plan_to_panel(server, &case_id).await?;
    Ok(case_id)
}

async fn long_term_plan_to_panel(server: &TestServer, case_id: &str) -> anyhow::Result<()> {
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": case_id, "route": "LONG_TERM_FOSTERING", "occurredOn": "2026-07-01" } }),
        )
        .await?;
    record_steps(
        server,
        case_id,
        "LONG_TERM_FOSTERING",
        &[("carer_identified", "2026-07-20")],
    )
    .await?;
    Ok(())
}

/// Checks the page the browser is on as every page is checked, and keeps a screenshot of it.
async fn check_page(browser: &Browser, what: &str, screenshot: &str) -> anyhow::Result<()> {
    browser.assert_accessible(what).await?;
    browser.assert_nothing_from_elsewhere(what).await?;
    browser.screenshot(screenshot).await?;
    Ok(())
}

async fn submit(browser: &Browser) -> anyhow::Result<()> {
    browser
        .click_and_load("main form[method='post'] button[type='submit']")
        .await
}

async fn choose_option(browser: &Browser, css: &str) -> anyhow::Result<()> {
    browser
        .client
        .find(Locator::Css(css))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn a_panel_hears_a_case_and_the_decision_maker_decides_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::PanelChair).await?;
    give_password(server.engine(), Role::AgencyDecisionMaker).await?;
    let case_id = waiting_for_panel(server, "PNL1").await?;
    let browser = Browser::start(&server.server.url("")).await?;

    // The chair's home page is the panel's queue: the case waits, with its days and documents.
    browser.goto("/").await?;
    sign_in(&browser, "chair.tester", TEST_PASSWORD).await?;
    assert_eq!(browser.wait_for_path("/").await?, "/");
    assert_eq!(browser.text("h1").await?, "Panel");
    let waiting = browser.text("#waiting").await?;
    assert!(waiting.contains("PNL1"), "{waiting}");
    assert!(waiting.contains("Long-term foster match"), "{waiting}");
    assert!(waiting.contains("105 days"), "{waiting}");
    assert!(waiting.contains("0 of 3 received"), "{waiting}");
    assert_eq!(
        browser.text("#navigation [aria-current='page']").await?,
        "Panel"
    );
    check_page(&browser, "the panel's queue", "panel-queue").await?;

    // Scheduling a meeting: a form sent without its choices says what is missing.
    browser.click("#schedule").await?;
    browser.wait_for_path("/panel/meetings/new").await?;
    let chair = browser
        .client
        .find(Locator::Css("#chair"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(chair.as_deref(), Some("chair.tester"));
    check_page(&browser, "the form to schedule a meeting", "panel-schedule").await?;
    submit(&browser).await?;
    browser
        .client
        .wait()
        .for_element(Locator::Css(".govuk-error-summary"))
        .await?;
    let summary = browser.text(".govuk-error-summary").await?;
    assert!(summary.contains("Choose the kind of panel"), "{summary}");
    assert!(
        summary.contains("Enter the date the panel sits"),
        "{summary}"
    );
    check_page(
        &browser,
        "the form to schedule a meeting, with errors",
        "panel-schedule-error",
    )
    .await?;
    browser.click("#kind").await?;
    browser.fill("#sits_on-day", "2").await?;
    browser.fill("#sits_on-month", "11").await?;
    browser.fill("#sits_on-year", "2026").await?;
    browser.fill("#members", "member.tester").await?;
    submit(&browser).await?;
    let meeting_path = browser.wait_for_path("/panel/meetings/0").await?;
    let meeting_path = meeting_path
        .split('?')
        .next()
        .context("meeting path")?
        .to_owned();
    assert!(
        browser
            .text(".govuk-notification-banner")
            .await?
            .contains("Panel meeting scheduled")
    );
    assert_eq!(browser.text("h1").await?, "Panel on 2 November 2026");
    assert!(browser.text("#members").await?.contains("member.tester"));
    check_page(
        &browser,
        "a meeting with no agenda yet",
        "panel-meeting-new",
    )
    .await?;

    // Who sits on it.
    browser.click("#meeting-forms a[href$='/members']").await?;
    browser
        .wait_for_path(&format!("{meeting_path}/members"))
        .await?;
    check_page(&browser, "the members form", "panel-members").await?;
    browser
        .fill("#members", "member.tester\nsecond.member")
        .await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{meeting_path}?done="))
        .await?;
    assert!(browser.text("#members").await?.contains("second.member"));

    // A case from the queue goes on the agenda, with a warning of the documents missing.
    browser.click("#meeting-forms a[href$='/agenda']").await?;
    browser
        .wait_for_path(&format!("{meeting_path}/agenda"))
        .await?;
    check_page(
        &browser,
        "the form to add a case to the agenda",
        "panel-agenda",
    )
    .await?;
    choose_option(&browser, &format!("#case option[value^='{case_id}:']")).await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{meeting_path}?done="))
        .await?;
    let agenda = browser.text("#agenda").await?;
    assert!(agenda.contains("PNL1"), "{agenda}");
    let warning = browser.text("#agenda .govuk-warning-text").await?;
    assert!(
        warning.contains(
            "Documents missing: Long-term match report, Carer's assessment, Support plan"
        ),
        "{warning}"
    );
    check_page(&browser, "a meeting's agenda", "panel-meeting-agenda").await?;
    // The queue no longer lists it as waiting.
    browser.goto("/panel").await?;
    assert!(!browser.text("main").await?.contains("0 of 3 received"));
    browser.goto(&meeting_path).await?;

    // One document arrives; two are still missing.
    browser.click("#agenda a[href$='/documents']").await?;
    browser.wait_for_path("/panel/items/").await?;
    check_page(&browser, "the documents form", "panel-documents").await?;
    browser.click("#ready").await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{meeting_path}?done="))
        .await?;
    let warning = browser.text("#agenda .govuk-warning-text").await?;
    assert!(
        warning.contains("Documents missing: Carer's assessment, Support plan"),
        "{warning}"
    );
    assert!(browser.text("#agenda").await?.contains("1 of 3 received"));

    // The recommendation: the form warns before the case is heard without its documents.
    browser.click("#agenda a[href$='/recommendation']").await?;
    browser.wait_for_path("/panel/items/").await?;
    let warning = browser.text("#warning").await?;
    assert!(warning.contains("Documents missing"), "{warning}");
    check_page(&browser, "the recommendation form", "panel-recommendation").await?;
    browser.click("#recommendation").await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{meeting_path}?done="))
        .await?;
    assert!(
        browser
            .text(".govuk-notification-banner")
            .await?
            .contains("The panel's recommendation is recorded")
    );
    let agenda = browser.text("#agenda").await?;
    assert!(
        agenda.contains("Recommended: waiting for the agency decision"),
        "{agenda}"
    );
    assert!(agenda.contains("Heard on 2 November 2026"), "{agenda}");
    assert!(browser.text("#meeting").await?.contains("Held"));
    // The chair records no decision.
    assert!(!browser.exists("#agenda a[href$='/decision']").await?);
    browser
        .click_and_load("form[action='/sign-out'] button")
        .await?;
    browser.wait_for_path("/sign-in").await?;

    // The agency decision maker decides from the queue's list of recommendations.
    browser.goto("/").await?;
    sign_in(&browser, "adm.tester", TEST_PASSWORD).await?;
    assert_eq!(browser.wait_for_path("/").await?, "/");
    let awaiting = browser.text("#awaiting").await?;
    assert!(awaiting.contains("PNL1"), "{awaiting}");
    assert!(awaiting.contains("0 of 7 working days"), "{awaiting}");
    check_page(
        &browser,
        "the queue with a recommendation awaiting decision",
        "panel-queue-awaiting",
    )
    .await?;
    browser
        .click("#awaiting a[href^='/panel/meetings/']")
        .await?;
    browser.wait_for_path(&meeting_path).await?;
    assert!(!browser.exists("#agenda a[href$='/recommendation']").await?);
    browser.click("#agenda a[href$='/decision']").await?;
    browser.wait_for_path("/panel/items/").await?;
    check_page(&browser, "the decision form", "panel-decision").await?;
    browser.click("#agrees").await?;
    browser.fill("#on-day", "2").await?;
    browser.fill("#on-month", "11").await?;
    browser.fill("#on-year", "2026").await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("{meeting_path}?done="))
        .await?;
    let agenda = browser.text("#agenda").await?;
    assert!(
        agenda.contains("Decided: the agency decision maker agreed"),
        "{agenda}"
    );
    check_page(
        &browser,
        "a meeting after the decision",
        "panel-meeting-decided",
    )
    .await?;

    // The case has moved on to the next step of its plan.
    browser.click("#agenda h3 a").await?;
    browser.wait_for_path(&format!("/cases/{case_id}")).await?;
    let plans = browser.text("#plans").await?;
    assert!(plans.contains("Long-term match approval"), "{plans}");
    assert!(
        browser
            .text("#deadlines")
            .await?
            .contains("Long-term foster match confirmed after the panel recommendation")
    );
    browser.screenshot("panel-case-after-decision").await?;
    browser.close().await
}

on_both_backends!(
    a_panel_hears_a_case_and_the_decision_maker_decides,
    a_panel_hears_a_case_and_the_decision_maker_decides_journey
);

/// Schedules a combined meeting through the API, as the chair, with a case on its agenda for
/// a long-term foster match; answers the meeting's id and the item's.
async fn meeting_with_case(
    server: &TestServer,
    sits_on: &str,
    case_ids: &[&str],
) -> anyhow::Result<(String, Vec<String>)> {
    let meeting = server
        .ok_as(
            Role::PanelChair,
            "mutation($i: SchedulePanelMeetingInput!) { schedulePanelMeeting(input: $i) { id } }",
            json!({ "i": { "localAuthority": "E10000003", "kind": "COMBINED", "sitsOn": sits_on,
                           "chair": "chair.tester", "members": ["member.tester"] } }),
        )
        .await?;
    let meeting_id = meeting["schedulePanelMeeting"]["id"]
        .as_str()
        .context("meeting")?
        .to_owned();
    let mut items = Vec::new();
    for case_id in case_ids {
        let item = server
            .ok_as(
                Role::PanelChair,
                "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }",
                json!({ "i": { "meetingId": meeting_id, "caseId": case_id, "purpose": "LONG_TERM_FOSTER_MATCH" } }),
            )
            .await?;
        items.push(
            item["addAgendaItem"]["id"]
                .as_str()
                .context("item")?
                .to_owned(),
        );
    }
    Ok((meeting_id, items))
}

/// A meeting of another authority reads exactly as a missing one, to a person of that other
/// authority; a leader sees the queue's references and never a name; a panel member reads
/// the cases on the agenda of the meeting they sit on; every case a panel page names is in
/// the audit log.
async fn what_is_out_of_reach_reads_as_missing_journey(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::PanelChair).await?;
    give_password(server.engine(), Role::Leader).await?;
    give_password(server.engine(), Role::PanelMember).await?;
    let store = server.engine().store();
    let elsewhere = store
        .create_user(
            &NewUser {
                username: "chair.elsewhere".into(),
                display_name: "Chair of another authority".into(),
                role: Role::PanelChair,
                teams: vec![],
                local_authorities: vec!["E10000004".into()],
            },
            server.engine().now(),
        )
        .await?;
    store
        .set_password(
            elsewhere.id,
            &permanence_auth::hash_password(TEST_PASSWORD)?,
            server.engine().now(),
        )
        .await?;

    let child = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "PNL3", "birthDate": "2016-05-01",
                           "sex": "FEMALE", "ethnicity": "WBRI", "name": "Robin Example" } }),
        )
        .await?;
    let opened = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child["registerChild"]["child"]["id"], "enteredCareOn": "2026-06-01",
                           "legalStatus": "C2", "placement": "U6", "team": "Team A",
                           "allocatedWorker": "sw.tester" } }),
        )
        .await?;
    let case_id = opened["enterCare"]["case"]["id"]
        .as_str()
        .context("case")?
        .to_owned();
    long_term_plan_to_panel(server, &case_id).await?;
    let client = no_redirects()?;
    let (chair, _) = http_sign_in(server, &client, "chair.tester").await?;
    let (other, _) = http_sign_in(server, &client, "chair.elsewhere").await?;
    let (leader, _) = http_sign_in(server, &client, "leader.tester").await?;
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

    // A leader reads the queue pseudonymised: the reference, never the name.
    let (status, queue) = get(leader.clone(), "/panel".into()).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("PNL3"), "the leader sees the case waiting");
    assert!(
        !queue.contains("Robin Example"),
        "a leader never sees a name"
    );
    let (_, chair_queue) = get(chair.clone(), "/panel".into()).await?;
    assert!(chair_queue.contains("PNL3") && chair_queue.contains("Robin Example"));

    let (meeting_id, items) = meeting_with_case(server, "2026-11-20", &[&case_id]).await?;
    let item_id = &items[0];

    let (status, page) = get(chair.clone(), format!("/panel/meetings/{meeting_id}")).await?;
    assert_eq!(status, StatusCode::OK, "the authority's chair opens it");
    assert!(page.contains("PNL3") && page.contains("Robin Example"));
    // A member of the meeting reads its case, from their home page too (the queue).
    let (member, _) = http_sign_in(server, &client, "member.tester").await?;
    let (status, page) = get(member.clone(), format!("/panel/meetings/{meeting_id}")).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("PNL3") && page.contains("Robin Example"));
    let (_, home) = get(member, "/".into()).await?;
    assert!(home.contains("<h1 class=\"govuk-heading-l\">Panel</h1>") && home.contains("PNL3"));
    // Each of those reads is in the audit log, with the page it came through.
    let audited: Vec<(String, String)> = store
        .audit_of_record(permanence_auth::record_kind::CASE, &case_id, 100)
        .await?
        .into_iter()
        .map(|row| (row.actor, row.query))
        .collect();
    for (who, page) in [
        ("leader.tester", "page:/panel".to_owned()),
        ("chair.tester", format!("page:/panel/meetings/{meeting_id}")),
        (
            "member.tester",
            format!("page:/panel/meetings/{meeting_id}"),
        ),
        ("member.tester", "page:/panel".to_owned()),
    ] {
        assert!(
            audited.iter().any(|(a, q)| a == who && *q == page),
            "{who} {page}: {audited:?}"
        );
    }

    let missing_id = uuid::Uuid::now_v7();
    for (theirs, none) in [
        (
            format!("/panel/meetings/{meeting_id}"),
            format!("/panel/meetings/{missing_id}"),
        ),
        (
            format!("/panel/meetings/{meeting_id}/agenda"),
            format!("/panel/meetings/{missing_id}/agenda"),
        ),
        (
            format!("/panel/items/{item_id}/recommendation"),
            format!("/panel/items/{missing_id}/recommendation"),
        ),
    ] {
        let (out_of_reach, refused) = get(other.clone(), theirs.clone()).await?;
        let (absent, missing) = get(other.clone(), none).await?;
        assert_eq!(out_of_reach, StatusCode::NOT_FOUND, "{theirs}");
        assert_eq!(absent, StatusCode::NOT_FOUND);
        assert_eq!(
            refused, missing,
            "{theirs}: out of reach and missing read the same"
        );
        assert!(refused.contains("Page not found"));
        assert!(!refused.contains("PNL3"));
    }
    // Nor does the other authority's queue show anything of this one's.
    let (_, queue) = get(other, "/panel".into()).await?;
    assert!(!queue.contains("PNL3") && !queue.contains("20 November 2026"));

    // On the agenda, the leader still reads the reference and never the name.
    let (_, queue) = get(leader.clone(), "/panel".into()).await?;
    assert!(queue.contains("PNL3") && !queue.contains("Robin Example"));
    // Meetings are not the leader's to open, as in the API.
    let (status, _) = get(leader, format!("/panel/meetings/{meeting_id}")).await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

on_both_backends!(
    what_is_out_of_reach_reads_as_missing,
    what_is_out_of_reach_reads_as_missing_journey
);

/// Records the escalations due on the test's today: a case that entered care on 6 October
/// 2026 has its first review and initial health assessment due within a week.
async fn escalated_case(server: &TestServer, reference: &str) -> anyhow::Result<String> {
    let case_id = child_in_care(server, reference, "2018-02-01", "2026-10-06").await?;
    let counts = server.engine().escalate(None).await?;
    anyhow::ensure!(counts.due_soon > 0, "no due-soon notification: {counts:?}");
    Ok(case_id)
}

async fn a_social_worker_acknowledges_a_notification_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::SocialWorker).await?;
    let case_id = escalated_case(server, "NOTE1").await?;
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto("/notifications").await?;
    sign_in(&browser, "sw.tester", TEST_PASSWORD).await?;
    assert_eq!(
        browser.wait_for_path("/notifications").await?,
        "/notifications"
    );
    assert_eq!(
        browser.text("#navigation [aria-current='page']").await?,
        "Notifications"
    );
    let list = browser.text("#notifications").await?;
    assert!(list.contains("NOTE1"), "{list}");
    assert!(list.contains("Due soon"), "{list}");
    assert!(list.contains("First statutory review"), "{list}");
    assert!(
        browser
            .exists(&format!("#notifications a[href='/cases/{case_id}']"))
            .await?
    );
    let unacknowledged = browser
        .client
        .find_all(Locator::Css("#notifications form button"))
        .await?
        .len();
    assert!(unacknowledged >= 2, "{list}");
    check_page(&browser, "the notifications page", "notifications").await?;

    browser.click_and_load("#notifications form button").await?;
    assert_eq!(
        browser
            .wait_for_path("/notifications?acknowledged=1")
            .await?,
        "/notifications?acknowledged=1"
    );
    assert!(
        browser
            .text(".govuk-notification-banner")
            .await?
            .contains("Notification acknowledged")
    );
    let list = browser.text("#notifications").await?;
    assert!(list.contains("Acknowledged by sw.tester"), "{list}");
    assert_eq!(
        browser
            .client
            .find_all(Locator::Css("#notifications form button"))
            .await?
            .len(),
        unacknowledged - 1
    );
    check_page(
        &browser,
        "the notifications page after acknowledging",
        "notifications-acknowledged",
    )
    .await?;

    // The store agrees: one of the worker's notifications is acknowledged, by them.
    let principal = server
        .engine()
        .store()
        .user_by_username("sw.tester")
        .await?
        .context("worker")?
        .principal();
    let mine = server
        .engine()
        .store()
        .notifications_for(
            &NotificationAudience::for_principal(&principal),
            false,
            None,
            100,
        )
        .await?;
    let acknowledged: Vec<_> = mine
        .iter()
        .filter(|n| n.acknowledged_at.is_some())
        .collect();
    assert_eq!(acknowledged.len(), 1);
    assert_eq!(
        acknowledged[0].acknowledged_by.as_deref(),
        Some("sw.tester")
    );
    browser.close().await
}

on_both_backends!(
    a_social_worker_acknowledges_a_notification,
    a_social_worker_acknowledges_a_notification_journey
);

async fn panel_and_notification_forms_without_their_csrf_token_are_refused_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::PanelChair).await?;
    give_password(server.engine(), Role::SocialWorker).await?;
    give_password(server.engine(), Role::TeamManager).await?;
    escalated_case(server, "NOTE2").await?;
    let store = server.engine().store();
    let worker = store
        .user_by_username("sw.tester")
        .await?
        .context("worker")?
        .principal();
    let audience = NotificationAudience::for_principal(&worker);
    let notification = store
        .notifications_for(&audience, true, None, 1)
        .await?
        .pop()
        .context("a notification for the worker")?;
    let acknowledge = format!("/notifications/{}/acknowledge", notification.id);

    let client = no_redirects()?;
    let (chair, chair_token) = http_sign_in(server, &client, "chair.tester").await?;
    let (sw, sw_token) = http_sign_in(server, &client, "sw.tester").await?;
    let (tm, tm_token) = http_sign_in(server, &client, "tm.tester").await?;
    let post = |session: &str, path: &str, form: Vec<(&'static str, String)>| {
        client
            .post(server.server.url(path))
            .header(COOKIE, session)
            .form(&form)
            .send()
    };
    let schedule = |token: Option<&str>| {
        let mut form = vec![
            ("kind", "COMBINED".to_owned()),
            ("sits_on-day", "20".to_owned()),
            ("sits_on-month", "11".to_owned()),
            ("sits_on-year", "2026".to_owned()),
            ("chair", "chair.tester".to_owned()),
        ];
        if let Some(token) = token {
            form.push(("csrf_token", token.to_owned()));
        }
        form
    };

    for token in [None, Some("forged")] {
        let refused = post(&chair, "/panel/meetings/new", schedule(token)).await?;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let refused = post(
            &sw,
            &acknowledge,
            token
                .map(|t| vec![("csrf_token", t.to_owned())])
                .unwrap_or_default(),
        )
        .await?;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
    // Nothing was recorded.
    let queue = server
        .ok_as(
            Role::PanelChair,
            "{ panelQueue(localAuthority: \"E10000003\") { agendas { meeting { id } } } }",
            json!({}),
        )
        .await?;
    assert_eq!(queue["panelQueue"]["agendas"], json!([]), "{queue}");
    let unacknowledged = store.notifications_for(&audience, true, None, 100).await?;
    assert!(unacknowledged.iter().any(|n| n.id == notification.id));

    // Someone else's notification reads as a missing one, even with the right token.
    let theirs = post(&tm, &acknowledge, vec![("csrf_token", tm_token)]).await?;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);

    // With their tokens, the same forms are done.
    let scheduled = post(&chair, "/panel/meetings/new", schedule(Some(&chair_token))).await?;
    assert_eq!(scheduled.status(), StatusCode::SEE_OTHER);
    assert!(
        scheduled.headers()[LOCATION]
            .to_str()?
            .starts_with("/panel/meetings/")
    );
    let acknowledged = post(&sw, &acknowledge, vec![("csrf_token", sw_token)]).await?;
    assert_eq!(acknowledged.status(), StatusCode::SEE_OTHER);
    let after = store.notifications_for(&audience, false, None, 100).await?;
    let by = after
        .iter()
        .find(|n| n.id == notification.id)
        .and_then(|n| n.acknowledged_by.as_deref());
    assert_eq!(by, Some("sw.tester"));
    Ok(())
}

on_both_backends!(
    panel_and_notification_forms_without_their_csrf_token_are_refused,
    panel_and_notification_forms_without_their_csrf_token_are_refused_journey
);

/// A form sent after the session ended comes back, as typed, once the person has signed in
/// again; a deferral puts the case back in the queue with its date to return by.
async fn a_panel_form_is_kept_through_signing_in_again_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::PanelChair).await?;
    let case_id = waiting_for_panel(server, "PNL6").await?;
    let (meeting_id, items) = meeting_with_case(server, "2026-11-02", &[&case_id]).await?;
    let form_path = format!("/panel/items/{}/recommendation", items[0]);
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto(&form_path).await?;
    sign_in(&browser, "chair.tester", TEST_PASSWORD).await?;
    browser.wait_for_path(&form_path).await?;

    // The session ends (signed out elsewhere) while the form is being filled in.
    let ended = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const token = document.querySelector('input[name=csrf_token]').value;
             fetch('/sign-out', { method: 'POST', redirect: 'manual',
                 headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                 body: 'csrf_token=' + encodeURIComponent(token) })
               .then(r => done(r.type)).catch(e => done(String(e)));",
            vec![],
        )
        .await?;
    assert_eq!(ended.as_str(), Some("opaqueredirect"), "{ended}");
    browser.click("#recommendation-3").await?;
    browser
        .fill("#deferral_reason", "The carer's assessment is not finished")
        .await?;
    browser.fill("#return_by-day", "1").await?;
    browser.fill("#return_by-month", "12").await?;
    browser.fill("#return_by-year", "2026").await?;
    submit(&browser).await?;
    browser
        .client
        .wait()
        .for_element(Locator::Css("#username"))
        .await?;
    let banner = browser.text(".govuk-notification-banner").await?;
    assert!(banner.contains("Your session ended"), "{banner}");
    assert!(banner.contains("has been kept"), "{banner}");

    sign_in(&browser, "chair.tester", TEST_PASSWORD).await?;
    browser.wait_for_path(&form_path).await?;
    assert!(
        browser
            .text(".govuk-notification-banner")
            .await?
            .contains("Your session ended before the form was sent")
    );
    let kept = browser
        .client
        .find(Locator::Css("#deferral_reason"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(
        kept.as_deref(),
        Some("The carer's assessment is not finished")
    );
    check_page(
        &browser,
        "a form restored after signing in",
        "panel-form-restored",
    )
    .await?;
    submit(&browser).await?;
    browser
        .wait_for_path(&format!("/panel/meetings/{meeting_id}?done="))
        .await?;
    let agenda = browser.text("#agenda").await?;
    assert!(agenda.contains("Deferred"), "{agenda}");
    assert!(
        agenda.contains("The carer's assessment is not finished"),
        "{agenda}"
    );
    assert!(agenda.contains("1 December 2026"), "{agenda}");
    // Back in the queue, with the date the panel asked for it by.
    browser.goto("/panel").await?;
    let waiting = browser.text("#waiting").await?;
    assert!(waiting.contains("PNL6"), "{waiting}");
    assert!(
        waiting.contains("Deferred: return by 1 December 2026"),
        "{waiting}"
    );
    browser.close().await
}

on_both_backends!(
    a_panel_form_is_kept_through_signing_in_again,
    a_panel_form_is_kept_through_signing_in_again_journey
);

/// A form sent twice records once (its command id), and a form filled in against an item
/// someone else has since changed comes back saying so, with the item as it is now.
async fn a_panel_form_sent_twice_records_once_and_a_stale_one_is_refused_journey(
    server: &TestServer,
) -> anyhow::Result<()> {
    give_password(server.engine(), Role::PanelChair).await?;
    let first = waiting_for_panel(server, "PNL4").await?;
    let second = waiting_for_panel(server, "PNL5").await?;
    let (meeting_id, items) = meeting_with_case(server, "2026-11-02", &[&first, &second]).await?;
    let client = no_redirects()?;
    let (chair, token) = http_sign_in(server, &client, "chair.tester").await?;
    let open_form = |item: String| {
        let client = client.clone();
        let chair = chair.clone();
        async move {
            let page = client
                .get(
                    server
                        .server
                        .url(&format!("/panel/items/{item}/recommendation")),
                )
                .header(COOKIE, chair)
                .send()
                .await?
                .text()
                .await?;
            let command_id = hidden_field(&page, "command_id").context("command id")?;
            let version = hidden_field(&page, "expected_version").context("version")?;
            anyhow::Ok((command_id, version))
        }
    };
    let send = |item: String, command_id: String, version: String| {
        let client = client.clone();
        let chair = chair.clone();
        let token = token.clone();
        async move {
            let response = client
                .post(
                    server
                        .server
                        .url(&format!("/panel/items/{item}/recommendation")),
                )
                .header(COOKIE, chair)
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("command_id", &command_id),
                    ("expected_version", &version),
                    ("recommendation", "RECOMMENDED"),
                ])
                .send()
                .await?;
            anyhow::Ok((response.status(), response.text().await?))
        }
    };

    // The second item's form is opened before anything is recorded.
    let (stale_command, stale_version) = open_form(items[1].clone()).await?;

    let (command_id, version) = open_form(items[0].clone()).await?;
    for _ in 0..2 {
        let (status, _) = send(items[0].clone(), command_id.clone(), version.clone()).await?;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let events = server
        .engine()
        .store()
        .events_of_cases(&[permanence_domain::CaseId(first.parse()?)])
        .await?
        .remove(&permanence_domain::CaseId(first.parse()?))
        .unwrap_or_default();
    let outcomes = events
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                permanence_domain::case::Event::PanelOutcomeRecorded { .. }
            )
        })
        .count();
    assert_eq!(outcomes, 1, "sent twice, recorded once");

    // Someone else records the second item's outcome meanwhile.
    server
        .ok_as(
            Role::PanelChair,
            "mutation($i: RecordPanelRecommendationInput!) { recordPanelRecommendation(input: $i) { item { status } } }",
            json!({ "i": { "itemId": items[1], "recommendation": "NOT_RECOMMENDED" } }),
        )
        .await?;
    let (status, page) = send(items[1].clone(), stale_command, stale_version.clone()).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Someone else changed"), "{page}");
    assert!(page.contains("Not recommended"), "the item as it is now");
    let now = hidden_field(&page, "expected_version").context("version")?;
    assert_ne!(
        now, stale_version,
        "the form now carries the item's version"
    );
    let agenda = client
        .get(server.server.url(&format!("/panel/meetings/{meeting_id}")))
        .header(COOKIE, chair.clone())
        .send()
        .await?
        .text()
        .await?;
    assert!(agenda.contains("Not recommended"));
    Ok(())
}

on_both_backends!(
    a_panel_form_sent_twice_records_once_and_a_stale_one_is_refused,
    a_panel_form_sent_twice_records_once_and_a_stale_one_is_refused_journey
);
