//! End-to-end: the leaders' dashboard (`/dashboard`) and the cases behind its figures
//! (`/dashboard/cases`), on SQLite and PostgreSQL, over HTTP and in headless Chromium.
//!
//! A small cohort is recorded through the API (`permanence_e2e::dashboard_cohort`) and its
//! figures worked out by hand (there, and below); the page must show exactly those, the same
//! as the API's `timeliness` query, for the period asked and the one before it. The test clock stands at 2 November 2026, so the
//! default period is 3 November 2025 to 2 November 2026 and the one before it 3 November
//! 2024 to 2 November 2025.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::browser::Browser;
use permanence_e2e::dashboard_cohort::{assert_nothing_identifying, cohort};
use permanence_e2e::pages::{http_sign_in, no_redirects, sign_in};
use permanence_e2e::serde_json::json;
use permanence_e2e::{TEST_PASSWORD, TestServer, give_password, on_both_backends};
use reqwest::StatusCode;
use reqwest::header::COOKIE;

/// The text of the element with this id, up to its first tag, with HTML's escapes undone.
fn text_of(page: &str, id: &str) -> anyhow::Result<String> {
    let marker = format!("id=\"{id}\"");
    let at = page
        .find(&marker)
        .with_context(|| format!("no #{id} on the page"))?;
    let rest = &page[at..];
    let start = rest.find('>').context("tag")? + 1;
    let end = rest[start..].find('<').context("text")? + start;
    Ok(rest[start..end]
        .trim()
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&amp;", "&"))
}

async fn get(
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

/// The tiles' figures, worked out by hand from the cohort: (id, text).
const CURRENT: &[(&str, &str)] = &[
    // A1: 441 and 308. Mean and median 374.5.
    ("a1-value", "374.5 days"),
    ("a1-median", "374.5 days"),
    ("a1-counted", "2 children"),
    // A2: 217 and 161. Mean and median 189.
    ("a2-value", "189 days"),
    ("a2-median", "189 days"),
    ("a2-counted", "2 children"),
    // A10: 441 and 0 (D3 was adopted by the carers he lived with from the first day).
    ("a10-value", "220.5 days"),
    ("a10-median", "220.5 days"),
    // A3: D3's 308 days is within 426, D2's 441 is not.
    ("a3-value", "50%"),
    ("a3-counted", "1 of 2 children"),
    // Waiting on 2 November 2026: D4 and D5.
    ("waiting-value", "2"),
    ("waiting-counted", "2 children"),
];

const PREVIOUS: &[(&str, &str)] = &[
    // D1 alone: A1 = A10 = 259, A2 = 98, within 14 months.
    ("a1-previous-value", "259 days"),
    ("a1-previous-median", "259 days"),
    ("a1-previous-counted", "1 child"),
    ("a2-previous-value", "98 days"),
    ("a10-previous-value", "259 days"),
    ("a3-previous-value", "100%"),
    ("a3-previous-counted", "1 of 1 child"),
    // Waiting on 2 November 2025: D3 (decision 3 March 2025, placed 17 November 2025).
    ("waiting-previous-value", "1"),
];

const CHANGES: &[(&str, &str)] = &[
    ("a1-change", "115.5 days longer"),
    ("a1-median-change", "115.5 days longer"),
    ("a2-change", "91 days longer"),
    ("a10-change", "38.5 days shorter"),
    ("a3-change", "50 percentage points lower"),
    ("waiting-change", "1 more child"),
    // The first line of the compiled-in reference file for each measure.
    (
        "a1-reference",
        "England average, 2015-04-01/2018-03-31: 486 days",
    ),
    ("a2-reference", "England estimate, 2014-15: 234 days"),
    ("a10-reference", "No national figure in the reference file"),
];

async fn tiles_worked_by_hand(server: &TestServer) -> anyhow::Result<()> {
    let cohort = cohort(server).await?;
    give_password(server.engine(), Role::Leader).await?;
    let client = no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "leader.tester").await?;
    let (status, page) = get(server, &client, &session, "/dashboard").await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        text_of(&page, "period")?.starts_with("3 November 2025 to 2 November 2026"),
        "{}",
        text_of(&page, "period")?
    );
    for (id, expected) in CURRENT.iter().chain(PREVIOUS).chain(CHANGES) {
        assert_eq!(text_of(&page, id)?, *expected, "#{id}");
    }

    // The page's figures are the API's: the same report for the same period.
    let api = server
        .ok_as(
            Role::Leader,
            "{ timeliness(from: \"2025-11-03\", to: \"2026-11-02\") { a1 { meanDays medianDays } a2 { meanDays } a10 { meanDays } a3Percent report { childrenWaiting { withDecision { count } } } } }",
            json!({}),
        )
        .await?;
    let t = &api["timeliness"];
    assert_eq!(t["a1"], json!({ "meanDays": 374.5, "medianDays": 374.5 }));
    assert_eq!(t["a2"]["meanDays"], json!(189.0));
    assert_eq!(t["a10"]["meanDays"], json!(220.5));
    assert_eq!(t["a3Percent"], json!(50.0));
    assert_eq!(
        t.pointer("/report/childrenWaiting/withDecision/count"),
        Some(&json!(2))
    );

    // Trends: both adoptions of the period were in April to June 2026; the review was
    // late in January to March, the health assessment on time.
    let a1_trend = section(&page, "trend-a1-table")?;
    assert!(
        a1_trend.contains("Apr to Jun 2026")
            && a1_trend.contains(">374.5 days<")
            && a1_trend.contains("3 Nov to 31 Dec 2025"),
        "{a1_trend}"
    );
    let reviews = section(&page, "trend-reviews-table")?;
    assert!(
        reviews.contains(">0%<") && reviews.contains(">0 of 1<"),
        "{reviews}"
    );
    // The health assessment in January to March was on time.
    let health = section(&page, "trend-health-assessments-table")?;
    assert!(
        health.contains(">100%<") && health.contains(">1 of 1<"),
        "{health}"
    );
    // A trend chart draws one mark per quarter with a figure, and the reference line.
    let a1_chart = section(&page, "trend-a1")?;
    assert_eq!(a1_chart.matches("<circle").count(), 1, "{a1_chart}");
    assert!(a1_chart.contains("role=\"img\"") && a1_chart.contains("England average"));

    // A1 by team: Team A (441) above South (308), each linking to its cases.
    let by_team = section(&page, "by-team-table")?;
    let (team_a, south) = (
        by_team.find("Team A").context("Team A")?,
        by_team.find("South").context("South")?,
    );
    assert!(team_a < south, "{by_team}");
    assert!(
        by_team
            .replace("&#38;", "&")
            .contains("?measure=a1&from=2025-11-03&to=2026-11-02&by=team&group=Team%20A\""),
        "{by_team}"
    );
    assert!(section(&page, "by-ethnicity-table")?.contains("MWBC: White and Black Caribbean"));

    // The cases behind A2: D2 (217 days) before D3 (161), with their teams and stages.
    let (status, a2) = get(
        server,
        &client,
        &session,
        "/dashboard/cases?measure=a2&from=2025-11-03&to=2026-11-02",
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{a2}");
    let table = section(&a2, "cases")?;
    let (at_d2, at_d3) = (
        table.find(">D2<").context("D2 listed")?,
        table.find(">D3<").context("D3 listed")?,
    );
    assert!(at_d2 < at_d3, "{table}");
    assert!(
        table.contains(">217<") && table.contains(">161<"),
        "{table}"
    );
    assert!(table.contains("Left care: adopted"), "{table}");
    assert!(table.contains(&format!("href=\"/cases/{}\"", cohort.d2)));
    assert_eq!(
        text_of(&a2, "summary")?,
        "Mean 189 days, median 189 days: 2 children."
    );

    // A group of a breakdown lists its own cases only.
    let (_, south) = get(
        server,
        &client,
        &session,
        "/dashboard/cases?measure=a1&from=2025-11-03&to=2026-11-02&by=team&group=South",
    )
    .await?;
    let table = section(&south, "cases")?;
    assert!(table.contains(">D3<") && !table.contains(">D2<"), "{table}");
    assert!(table.contains(">308<"), "{table}");
    assert!(table.contains(&cohort.d3));

    // The children waiting, and the leader's reads of them are in the audit log.
    let (_, waiting) = get(
        server,
        &client,
        &session,
        "/dashboard/cases?measure=waiting&from=2025-11-03&to=2026-11-02",
    )
    .await?;
    let table = section(&waiting, "cases")?;
    assert!(table.contains(">D5<") && table.contains(">336<"), "{table}");
    assert!(table.contains(">D4<") && table.contains(">182<"), "{table}");
    assert!(table.contains("East"), "{table}");
    let audited = server
        .engine()
        .store()
        .audit_of_record(permanence_auth::record_kind::CASE, &cohort.d5, 100)
        .await?;
    assert!(
        audited.iter().any(|row| row.actor == "leader.tester"
            && row.query == "page:/dashboard/cases"
            && row.action == "READ_CHILDREN_WAITING"),
        "{:?}",
        audited.iter().map(|r| &r.query).collect::<Vec<_>>()
    );

    // Nothing a leader must not read, on any of these pages.
    for (what, html) in [
        ("dashboard", &page),
        ("A2's cases", &a2),
        ("waiting", &waiting),
    ] {
        assert_nothing_identifying(what, html)?;
    }
    Ok(())
}

on_both_backends!(
    the_dashboard_shows_the_figures_worked_by_hand,
    tiles_worked_by_hand
);

/// The element with this id, to its end (as far as the next element with an id of the same
/// kind would begin: enough for a table or a section).
fn section<'a>(page: &'a str, id: &str) -> anyhow::Result<&'a str> {
    let marker = format!("id=\"{id}\"");
    let at = page
        .find(&marker)
        .with_context(|| format!("no #{id} on the page"))?;
    let rest = &page[at..];
    let end = ["</table>", "</section>"]
        .iter()
        .filter_map(|close| rest.find(close))
        .min()
        .unwrap_or(rest.len());
    Ok(&rest[..end])
}

/// Who opens the dashboard: those who may read timeliness through the API (leaders, agency
/// decision makers, team managers), and for the others the same "page not found" as any
/// page their role does not have. A team manager's list of cases opens only the cases
/// within their teams.
async fn who_sees_the_dashboard(server: &TestServer) -> anyhow::Result<()> {
    let cohort = cohort(server).await?;
    let client = no_redirects()?;
    let list = "/dashboard/cases?measure=waiting&from=2025-11-03&to=2026-11-02";
    for (role, username, allowed) in [
        (Role::Leader, "leader.tester", true),
        (Role::AgencyDecisionMaker, "adm.tester", true),
        (Role::TeamManager, "tm.tester", true),
        (Role::SocialWorker, "sw.tester", false),
        (Role::PanelChair, "chair.tester", false),
        (Role::PanelMember, "member.tester", false),
        (Role::Administrator, "admin.tester", false),
    ] {
        give_password(server.engine(), role).await?;
        let (session, _) = http_sign_in(server, &client, username).await?;
        let (status, home) = get(server, &client, &session, "/").await?;
        assert!(status == StatusCode::OK || status == StatusCode::SEE_OTHER);
        assert_eq!(
            home.contains("href=\"/dashboard\""),
            allowed,
            "{username}'s navigation"
        );
        for path in ["/dashboard", list] {
            let (status, page) = get(server, &client, &session, path).await?;
            let expected = if allowed {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, expected, "{username} {path}");
            if !allowed {
                assert!(page.contains("Page not found"), "{username} {path}");
            }
        }
        if role == Role::TeamManager {
            let (_, page) = get(server, &client, &session, list).await?;
            let table = section(&page, "cases")?;
            // D4 is in Team A, theirs; D5 moved to East, outside their reach.
            assert!(table.contains(">D5<") && table.contains(">D4<"), "{table}");
            assert!(!table.contains(&format!("/cases/{}", cohort.d5)), "{table}");
            let (status, _) =
                get(server, &client, &session, &format!("/cases/{}", cohort.d5)).await?;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
    }

    // Links that are not the dashboard's own.
    let (leader, _) = http_sign_in(server, &client, "leader.tester").await?;
    for path in [
        "/dashboard/cases?measure=a4&from=2025-11-03&to=2026-11-02",
        "/dashboard/cases?measure=a1&from=2025-11-03&to=2027-11-02",
        "/dashboard/cases?measure=a1&from=2026-11-03&to=2025-11-02",
        "/dashboard/cases?measure=a1&from=2025-11-03&to=2026-11-02&by=team&group=Nobody",
        "/dashboard/cases?measure=a1&from=2025-11-03&to=2026-11-02&by=postcode&group=A",
        "/dashboard/cases?measure=a1&from=2025-11-03&to=2026-11-02&page=9",
    ] {
        let (status, _) = get(server, &client, &leader, path).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let _ = (cohort.d2, cohort.d3);
    Ok(())
}

on_both_backends!(
    the_dashboard_is_for_those_who_read_timeliness,
    who_sees_the_dashboard
);

/// Dates that make no period come back the GOV.UK way: an error summary linking to the
/// field, the message by it, what was typed kept, and no figures.
async fn bad_dates_are_refused_by_the_field(server: &TestServer) -> anyhow::Result<()> {
    give_password(server.engine(), Role::Leader).await?;
    let client = no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "leader.tester").await?;
    for (query, field, message) in [
        (
            "from-day=31&from-month=2&from-year=2026&to-day=1&to-month=3&to-year=2026",
            "from-day",
            "The start date must be a real date",
        ),
        (
            "from-day=1&from-month=6&from-year=2026&to-day=1&to-month=5&to-year=2026",
            "to-day",
            "The end date must be the same as or after the start date",
        ),
        (
            "from-day=1&from-month=6&from-year=2026&to-day=1&to-month=5&to-year=2027",
            "to-day",
            "The end date must be today or in the past",
        ),
        (
            "from-day=1&from-month=6&from-year=2026&to-month=5&to-year=2026",
            "to-day",
            "The end date must include a day",
        ),
    ] {
        let (status, page) = get(server, &client, &session, &format!("/dashboard?{query}")).await?;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert!(page.contains("<title>Error: Dashboard"), "{query}");
        let summary = section(&page, "window")?;
        let _ = summary;
        assert!(
            page.contains(&format!("<li><a href=\"#{field}\">{message}</a></li>")),
            "{query}: {page}"
        );
        assert!(page.contains("govuk-error-message"), "{query}");
        assert!(!page.contains("id=\"tile-a1\""), "{query}: no figures");
    }
    // What was typed is kept.
    let (_, page) = get(
        server,
        &client,
        &session,
        "/dashboard?from-day=31&from-month=2&from-year=2026&to-day=1&to-month=3&to-year=2026",
    )
    .await?;
    assert!(page.contains("name=\"from-day\" type=\"text\" inputmode=\"numeric\" value=\"31\""));
    Ok(())
}

on_both_backends!(
    the_dashboard_refuses_bad_dates,
    bad_dates_are_refused_by_the_field
);

/// In the browser: a leader signs in, opens the dashboard, changes the period, sees the
/// tiles and charts, goes from the A2 figure to its cases and opens one. axe-core finds no
/// serious or critical violation, and nothing comes from another host.
async fn a_leader_drills_down_in_the_browser(server: &TestServer) -> anyhow::Result<()> {
    let cohort = cohort(server).await?;
    give_password(server.engine(), Role::Leader).await?;
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto("/sign-in").await?;
    sign_in(&browser, "leader.tester", TEST_PASSWORD).await?;
    browser
        .click_and_load("#navigation a[href='/dashboard']")
        .await?;
    assert_eq!(browser.path().await?, "/dashboard");
    assert_eq!(browser.text("#a1-value").await?, "374.5 days");
    assert_eq!(browser.text("#a2-value").await?, "189 days");
    let charts = browser
        .client
        .find_all(fantoccini::Locator::Css("svg[role='img']"))
        .await?;
    assert_eq!(charts.len(), 6 + 5, "six trends and five breakdowns");
    browser.assert_accessible("the dashboard").await?;
    browser
        .assert_nothing_from_elsewhere("the dashboard")
        .await?;
    let shot = browser.screenshot("dashboard").await?;
    eprintln!("screenshot: {}", shot.display());

    // More of the page, to look at: the trends, the last of them, and the breakdowns.
    for section in ["trends", "trend-visits", "breakdowns"] {
        browser
            .client
            .execute(
                &format!("document.getElementById('{section}').scrollIntoView();"),
                vec![],
            )
            .await?;
        browser.screenshot(&format!("dashboard-{section}")).await?;
    }

    // The period before, typed in (the dates are folded away under the quick choices).
    browser.click("#choose-period summary").await?;
    browser.fill_date("from", 3, 11, 2024).await?;
    browser.fill_date("to", 2, 11, 2025).await?;
    browser.click_and_load("#show-period").await?;
    assert!(browser.path().await?.starts_with("/dashboard?from-day=3"));
    assert_eq!(browser.text("#a1-value").await?, "259 days");
    assert_eq!(browser.text("#a2-value").await?, "98 days");
    assert_eq!(browser.value("#from-year").await?, "2024");

    // A typo, then a quick choice.
    browser.fill_date("to", 31, 2, 2025).await?;
    browser.click_and_load("#show-period").await?;
    assert!(
        browser
            .text(".govuk-error-summary")
            .await?
            .contains("The end date must be a real date")
    );
    browser
        .assert_accessible("the dashboard with an error")
        .await?;
    browser.screenshot("dashboard-error").await?;
    browser
        .click_and_load("#quick-periods a[href='/dashboard?period=12-months']")
        .await?;
    assert_eq!(browser.text("#a2-value").await?, "189 days");

    // From the A2 figure to its cases, and to the longest-waiting case.
    browser
        .click_and_load("#tile-a2 .app-tile__figure a")
        .await?;
    assert!(
        browser
            .path()
            .await?
            .starts_with("/dashboard/cases?measure=a2&from=2025-11-03&to=2026-11-02")
    );
    assert_eq!(browser.text("h1").await?, "A2: placement order to match");
    let rows = browser.text("#cases tbody").await?;
    assert!(rows.contains("D2") && rows.contains("D3"), "{rows}");
    browser.assert_accessible("the cases behind A2").await?;
    browser
        .assert_nothing_from_elsewhere("the cases behind A2")
        .await?;
    browser.screenshot("dashboard-a2-cases").await?;
    browser
        .click_and_load("#cases tbody tr:first-child a")
        .await?;
    assert_eq!(browser.path().await?, format!("/cases/{}", cohort.d2));
    assert_eq!(browser.text("h1").await?, "D2");
    browser.close().await
}

on_both_backends!(
    a_leader_uses_the_dashboard_in_the_browser,
    a_leader_drills_down_in_the_browser
);
