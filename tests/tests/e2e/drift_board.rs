//! End-to-end: the drift board (`/drift`) and the after-panel view
//! (`/dashboard/after-panel`), on SQLite and PostgreSQL, over HTTP and in headless Chromium.
//!
//! A set of cases is recorded through the API with known stages and deadlines (worked out by
//! hand below, the test clock standing at Monday 2 November 2026), and one period of care is
//! imported from a national return, whose care-planning deadlines are not known from it.
//! The board must list exactly the API's `drift` rows in the API's order, for each filter and
//! for each reader's reach; the after-panel view must show the hand count.

use anyhow::{Context, ensure};
use permanence_auth::Role;
use permanence_e2e::browser::Browser;
use permanence_e2e::pages::{http_sign_in, no_redirects, sign_in};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::ssda903::imported;
use permanence_e2e::{
    SET_ROUTE_PLAN, TEST_PASSWORD, TestServer, child_in_care, give_password, long_term_placement,
    on_both_backends, record_steps,
};
use permanence_ssda903::import::SourceFile;
use reqwest::StatusCode;
use reqwest::header::COOKIE;

/// The named child (X2), whose name and postcodes no leader may read.
const NAME: &str = "Amelia Example";
const HOME_POSTCODE: &str = "SW1A 1AA";
const PLACEMENT_POSTCODE: &str = "M1 1AE";
/// The imported child's postcodes and carer.
const IMPORTED_POSTCODES: &[&str] = &["PE13 2HH", "CB7 9BR"];
/// Every birth date of the cohort (the imported child's is 1 February 2015).
const BIRTH_DATES: &[&str] = &["2019-03-14", "2018-07-21", "2015-02-01"];
/// The born date of every child recorded through the API but X2.
const BORN: &str = "2019-03-14";
const X2_BORN: &str = "2018-07-21";
const ENTERED: &str = "2026-01-05";

/// The page size of the board.
const PAGE_SIZE: usize = 25;

/// The cases, by reference.
struct Cohort {
    x1: String,
    x2: String,
    x3: String,
    x4: String,
    x5: String,
    x6: String,
    x7: String,
    x8: String,
    x9: String,
}

fn id_at(data: &Value, pointer: &str) -> anyhow::Result<String> {
    Ok(data
        .pointer(pointer)
        .and_then(Value::as_str)
        .with_context(|| format!("{pointer} in {data}"))?
        .to_owned())
}

/// A child in care on a route: the plan on `plan_on`, then the steps.
async fn on_route(
    server: &TestServer,
    reference: &str,
    route: &str,
    plan_on: &str,
    steps: &[(&str, &str)],
) -> anyhow::Result<String> {
    let id = child_in_care(server, reference, BORN, ENTERED).await?;
    plan_and_steps(server, &id, route, plan_on, steps).await?;
    Ok(id)
}

async fn plan_and_steps(
    server: &TestServer,
    id: &str,
    route: &str,
    plan_on: &str,
    steps: &[(&str, &str)],
) -> anyhow::Result<()> {
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": route, "occurredOn": plan_on } }),
        )
        .await?;
    record_steps(server, id, route, steps).await?;
    Ok(())
}

async fn move_to_team(server: &TestServer, id: &str, team: &str) -> anyhow::Result<()> {
    server
        .ok(
            "mutation($i: AllocateCaseInput!) { allocateCase(input: $i) { duplicate } }",
            json!({ "i": { "caseId": id, "occurredOn": "2026-01-12", "team": team } }),
        )
        .await?;
    Ok(())
}

const ADOPTION_TO_FAMILY_FINDING: &[(&str, &str)] = &[
    ("shobpa_decision", "2026-03-02"),
    ("placement_order", "2026-04-06"),
    ("family_finding", "2026-04-07"),
];

/// The cases, worked out by hand on 2 November 2026 (7 working days for an agency decision,
/// 28 days from a match to the placement or from an approval to the return home, 56 days
/// from a long-term fostering panel to the match confirmed, 182 days from a special
/// guardianship plan to the order; due soon within 7 days):
///
/// - X1 (Team A), adoption, matching panel on 1 Sep: the match decision was due on 10 Sep
///   (after panel, overdue 53 days); the match within 121 days of the placement order of
///   6 Apr was due on 5 Aug. At the matching panel stage for 62 days, past the deadline.
/// - X2 (South, named, with postcodes), adoption, matched on 10 Aug: the placement was due on
///   7 Sep (after panel, overdue). At the match for 84 days, past the deadline.
/// - X3 (Team A), adoption, matched on 28 Oct: the placement is due on 25 Nov (on track).
///   At the match for 5 days, within the deadline.
/// - X4 (East: not one of the team manager's teams), long-term fostering, panel on 1 Jul:
///   the approval was due on 10 Jul and the match confirmed on 26 Aug (both after panel,
///   overdue). At the panel stage for 124 days, past the deadline.
/// - X5 (North), special guardianship, panel on Wednesday 28 Oct: the agency decision is due
///   on Friday 6 Nov (after panel, due soon); the order on 30 Nov (on track). At the panel
///   stage for 5 days, within the deadline.
/// - X6 (Team A), reunification, the return home approved on 1 Jun without a panel: not in
///   the after-panel view (though its return home, due on 29 Jun, is a deadline the route
///   marks as after panel, so the API and the board list it with them).
/// - X7 (Team A), reunification, panel on 11 May, approved on 18 May: the return home was due
///   on 15 Jun (after panel, overdue). At the approval for 168 days, past the deadline.
/// - X8 (North), adoption, adoption panel on Thursday 1 Oct: the decision that the child
///   should be placed for adoption was due on 12 Oct (after panel, overdue). At the
///   adoption panel stage for 32 days, past the deadline.
/// - X9 (Team A), long-term fostering, the match confirmed on 3 Aug: permanence achieved, in
///   no stage after panel.
///
/// Every one entered care on 5 January 2026 with no review held since, so each also has
/// care-planning deadlines overdue; and K1 is imported (no team), whose care-planning chain
/// is not known from its return.
async fn cohort(server: &TestServer) -> anyhow::Result<Cohort> {
    let x1 = on_route(server, "X1", "ADOPTION", "2026-02-02", &{
        let mut steps = ADOPTION_TO_FAMILY_FINDING.to_vec();
        steps.push(("matching_panel_recommendation", "2026-09-01"));
        steps
    })
    .await?;
    let x2 = named_child(server).await?;
    plan_and_steps(server, &x2, "ADOPTION", "2026-02-02", &{
        let mut steps = ADOPTION_TO_FAMILY_FINDING.to_vec();
        steps.push(("matching_panel_recommendation", "2026-08-03"));
        steps.push(("match_decision", "2026-08-10"));
        steps
    })
    .await?;
    let x3 = on_route(server, "X3", "ADOPTION", "2026-02-02", &{
        let mut steps = ADOPTION_TO_FAMILY_FINDING.to_vec();
        steps.push(("matching_panel_recommendation", "2026-10-26"));
        steps.push(("match_decision", "2026-10-28"));
        steps
    })
    .await?;
    let x4 = on_route(
        server,
        "X4",
        "LONG_TERM_FOSTERING",
        "2026-05-01",
        &[
            ("carer_identified", "2026-06-01"),
            ("panel_recommendation", "2026-07-01"),
        ],
    )
    .await?;
    move_to_team(server, &x4, "East").await?;
    let x5 = on_route(
        server,
        "X5",
        "SPECIAL_GUARDIANSHIP",
        "2026-06-01",
        &[
            ("assessment_started", "2026-06-15"),
            ("sgo_report_completed", "2026-08-03"),
            ("support_plan_agreed", "2026-09-01"),
            ("panel_recommendation", "2026-10-28"),
        ],
    )
    .await?;
    move_to_team(server, &x5, "North").await?;
    let x6 = on_route(
        server,
        "X6",
        "REUNIFICATION",
        "2026-04-01",
        &[
            ("parent_assessment", "2026-05-01"),
            ("return_home_approved", "2026-06-01"),
        ],
    )
    .await?;
    let x7 = on_route(
        server,
        "X7",
        "REUNIFICATION",
        "2026-04-01",
        &[
            ("parent_assessment", "2026-05-01"),
            ("panel_recommendation", "2026-05-11"),
            ("return_home_approved", "2026-05-18"),
        ],
    )
    .await?;
    let x8 = on_route(
        server,
        "X8",
        "ADOPTION",
        "2026-09-01",
        &[("adoption_panel_recommendation", "2026-10-01")],
    )
    .await?;
    move_to_team(server, &x8, "North").await?;
    let x9 = on_route(
        server,
        "X9",
        "LONG_TERM_FOSTERING",
        "2026-05-01",
        &[
            ("carer_identified", "2026-06-01"),
            ("panel_recommendation", "2026-07-01"),
            ("match_approved", "2026-07-08"),
        ],
    )
    .await?;
    long_term_placement(server, &x9, "2026-08-03").await?;
    record_steps(
        server,
        &x9,
        "LONG_TERM_FOSTERING",
        &[("match_confirmed", "2026-08-03")],
    )
    .await?;
    // A period of care from the national return: its reviews are not known from it.
    let file = |name: &str, text: &str| SourceFile {
        name: name.to_owned(),
        text: text.to_owned(),
    };
    imported(
        server.engine(),
        &[
            file(
                "header.csv",
                "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nK1,M,01/02/2015,WBRI,A873200120001,,\n",
            ),
            file(
                "episodes.csv",
                "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n\
                 K1,01/05/2025,S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n",
            ),
        ],
    )
    .await?;
    Ok(Cohort {
        x1,
        x2,
        x3,
        x4,
        x5,
        x6,
        x7,
        x8,
        x9,
    })
}

async fn named_child(server: &TestServer) -> anyhow::Result<String> {
    let child = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "X2", "birthDate": X2_BORN,
                           "sex": "FEMALE", "ethnicity": "WBRI", "name": NAME } }),
        )
        .await?;
    let child_id = id_at(&child, "/registerChild/child/id")?;
    let case = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": ENTERED, "legalStatus": "C2",
                           "placement": "U3", "provider": "PR1", "carer": "FC-5", "team": "South",
                           "allocatedWorker": "sw.tester",
                           "homePostcode": HOME_POSTCODE, "placementPostcode": PLACEMENT_POSTCODE } }),
        )
        .await?;
    id_at(&case, "/enterCare/case/id")
}

const DRIFT: &str = "query($route: RouteKind, $team: String, $status: DriftStatus, $afterPanelOnly: Boolean! = false) {
    drift(route: $route, team: $team, status: $status, afterPanelOnly: $afterPanelOnly, first: 100) {
        pageInfo { hasNextPage }
        nodes { case { id } deadline { key status daysOverdue } } } }";

/// One row of the board or of the API's drift: (case id, deadline key).
type Row = (String, String);

/// The API's drift rows for these arguments, as `role` reads them, in its order.
async fn api_rows(server: &TestServer, role: Role, args: Value) -> anyhow::Result<Vec<Row>> {
    let data = server.ok_as(role, DRIFT, args).await?;
    ensure!(
        data.pointer("/drift/pageInfo/hasNextPage") == Some(&json!(false)),
        "more than one page of the API's drift"
    );
    Ok(data
        .pointer("/drift/nodes")
        .and_then(Value::as_array)
        .context("drift nodes")?
        .iter()
        .map(|n| {
            (
                n.pointer("/case/id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                n.pointer("/deadline/key")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect())
}

/// An attribute's values on the page, in order.
fn attribute_values(page: &str, attribute: &str) -> Vec<String> {
    let marker = format!("{attribute}=\"");
    page.split(&marker)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|v| v.replace("&#x3a;", ":").replace("&#58;", ":"))
        .collect()
}

/// The board's rows on one page, in order.
fn board_rows(page: &str) -> Vec<Row> {
    attribute_values(page, "data-case")
        .into_iter()
        .zip(attribute_values(page, "data-deadline"))
        .collect()
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

/// An `href` as the page writes it, its `&` escaped.
fn unescaped(href: &str) -> String {
    href.replace("&#38;", "&").replace("&amp;", "&")
}

/// Every row of the board for a query, over all its numbered pages (following each page's
/// "next" link), with every page's HTML.
async fn whole_board(
    server: &TestServer,
    client: &reqwest::Client,
    session: &str,
    query: &str,
) -> anyhow::Result<(Vec<Row>, Vec<String>)> {
    let mut rows = Vec::new();
    let mut pages = Vec::new();
    let mut path = if query.is_empty() {
        "/drift".to_owned()
    } else {
        format!("/drift?{query}")
    };
    loop {
        let (status, html) = get(server, client, session, &path).await?;
        ensure!(status == StatusCode::OK, "{path}: {status}");
        let these = board_rows(&html);
        ensure!(these.len() <= PAGE_SIZE, "{path}: {} rows", these.len());
        rows.extend(these);
        let next = html
            .split("rel=\"next\"")
            .next()
            .filter(|before| before.len() < html.len())
            .and_then(|before| before.rsplit("href=\"").next())
            .and_then(|href| href.split('"').next())
            .map(unescaped);
        pages.push(html);
        match next {
            Some(next) => path = next,
            None => break,
        }
    }
    Ok((rows, pages))
}

/// The text of the element with this id, up to its first tag.
fn text_of(page: &str, id: &str) -> anyhow::Result<String> {
    let marker = format!("id=\"{id}\"");
    let at = page
        .find(&marker)
        .with_context(|| format!("no #{id} on the page"))?;
    let rest = &page[at..];
    let start = rest.find('>').context("tag")? + 1;
    let end = rest[start..].find('<').context("text")? + start;
    Ok(rest[start..end].trim().replace("&#x27;", "'"))
}

fn assert_nothing_identifying(what: &str, html: &str) -> anyhow::Result<()> {
    for text in [NAME, HOME_POSTCODE, PLACEMENT_POSTCODE, "FC-1", "FC-5"]
        .iter()
        .chain(IMPORTED_POSTCODES)
    {
        ensure!(!html.contains(text), "{what} shows {text}");
    }
    for born in BIRTH_DATES {
        let date = chrono::NaiveDate::parse_from_str(born, "%Y-%m-%d")?;
        for form in [
            date.format("%Y-%m-%d").to_string(),
            date.format("%d/%m/%Y").to_string(),
            date.format("%-d %B %Y").to_string(),
        ] {
            ensure!(!html.contains(&form), "{what} shows the birth date {form}");
        }
    }
    Ok(())
}

/// The board lists the API's rows, in its order, for each filter; each filter narrows as
/// worked out by hand; the numbered pages cover every row once; a leader reads no name; the
/// reads are audited.
async fn the_board_is_the_apis_drift(server: &TestServer) -> anyhow::Result<()> {
    let c = cohort(server).await?;
    give_password(server.engine(), Role::Leader).await?;
    let client = no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "leader.tester").await?;

    // Unfiltered: what is overdue or due soon, most overdue first, over two pages or more.
    let (all, pages) = whole_board(server, &client, &session, "").await?;
    let api_all = api_rows(server, Role::Leader, json!({})).await?;
    assert_eq!(all, api_all);
    assert!(
        all.len() > PAGE_SIZE,
        "the numbered pages are exercised: {} rows",
        all.len()
    );
    let first = &pages[0];
    assert_eq!(
        text_of(first, "drift-summary")?,
        format!(
            "{} deadlines overdue or due soon, most overdue first.",
            all.len()
        )
    );
    assert!(first.contains("aria-label=\"Page 2\""), "numbered pages");
    // Most overdue first: the days overdue never grow down the board.
    let days: Vec<i64> = pages
        .iter()
        .flat_map(|p| {
            p.split("data-case=\"").skip(1).filter_map(|row| {
                let cell = row.split("</tr>").next()?;
                let last = cell.rsplit("govuk-table__cell--numeric\">").next()?;
                let text = last.split('<').next()?.replace(',', "");
                Some(text.parse::<i64>().unwrap_or(-1))
            })
        })
        .collect();
    assert_eq!(days.len(), all.len());
    assert!(days.windows(2).all(|w| w[0] >= w[1]), "{days:?}");
    // The imported period's deadlines are not known from the return: never on this board.
    let imported_case = server
        .engine()
        .store()
        .cases_with_children(Some("E10000003"))
        .await?
        .into_iter()
        .find(|(_, child)| child.reference == "K1")
        .map(|(case, _)| case.id.to_string())
        .context("K1")?;
    assert!(!all.iter().any(|(case, _)| *case == imported_case));

    // Each filter: the API's rows for the same arguments, fewer than all, and the rows
    // worked out by hand.
    let after_panel: Vec<Row> = vec![
        (c.x7.clone(), "plan1:return_home_after_approval".into()),
        (c.x6.clone(), "plan1:return_home_after_approval".into()),
        (c.x4.clone(), "plan1:adm_long_term_match_approval".into()),
        (c.x4.clone(), "plan1:long_term_match_confirmed".into()),
        (c.x2.clone(), "plan1:placement_after_match".into()),
        (c.x1.clone(), "plan1:adm_match_decision".into()),
        (c.x8.clone(), "plan1:adm_shobpa_decision".into()),
        (
            c.x5.clone(),
            "plan1:adm_special_guardianship_decision".into(),
        ),
    ];
    for (query, args) in [
        ("route=ADOPTION", json!({ "route": "ADOPTION" })),
        ("team=South", json!({ "team": "South" })),
        ("status=OVERDUE", json!({ "status": "OVERDUE" })),
        ("status=DUE_SOON", json!({ "status": "DUE_SOON" })),
        (
            "status=NOT_KNOWN_FROM_RETURN",
            json!({ "status": "NOT_KNOWN_FROM_RETURN" }),
        ),
        ("after-panel=yes", json!({ "afterPanelOnly": true })),
        (
            "route=LONG_TERM_FOSTERING&status=OVERDUE&after-panel=yes",
            json!({ "route": "LONG_TERM_FOSTERING", "status": "OVERDUE", "afterPanelOnly": true }),
        ),
    ] {
        let (rows, pages) = whole_board(server, &client, &session, query).await?;
        let api = api_rows(server, Role::Leader, args).await?;
        assert_eq!(rows, api, "{query}");
        assert!(!rows.is_empty(), "{query}");
        assert!(
            rows.len() < all.len() || query.starts_with("status=NOT"),
            "{query}"
        );
        // The form keeps its values.
        let form = pages[0]
            .split("id=\"filters\"")
            .nth(1)
            .and_then(|f| f.split("</form>").next())
            .context("the filters")?;
        for part in query.split('&') {
            let (name, value) = part.split_once('=').context("name=value")?;
            let kept = if name == "after-panel" {
                form.contains("name=\"after-panel\" type=\"checkbox\" value=\"yes\" checked")
            } else {
                form.contains(&format!("value=\"{value}\" selected"))
            };
            assert!(kept, "{query}: {name} kept");
        }
        for html in &pages {
            assert_nothing_identifying(query, html)?;
        }
        match query {
            "after-panel=yes" => {
                let mut sorted = rows.clone();
                sorted.sort();
                let mut expected = after_panel.clone();
                expected.sort();
                assert_eq!(sorted, expected);
            }
            "status=DUE_SOON" => assert!(rows.contains(&(
                c.x5.clone(),
                "plan1:adm_special_guardianship_decision".into()
            ))),
            "status=NOT_KNOWN_FROM_RETURN" => {
                assert!(
                    rows.iter().all(|(case, _)| *case == imported_case),
                    "{rows:?}"
                );
                // Never shown as overdue, with no due date and no days overdue.
                let html = &pages[0];
                assert!(html.contains("Not known from the return</strong>"));
                assert!(!html.contains("govuk-tag--red"), "nothing overdue");
            }
            "team=South" => assert!(rows.iter().all(|(case, _)| *case == c.x2)),
            "route=LONG_TERM_FOSTERING&status=OVERDUE&after-panel=yes" => assert_eq!(
                rows,
                vec![
                    (c.x4.clone(), "plan1:adm_long_term_match_approval".into()),
                    (c.x4.clone(), "plan1:long_term_match_confirmed".into()),
                ]
            ),
            _ => {}
        }
    }

    // The stage: every deadline of the cases whose plan stands at that step now (X2 and X3
    // are at the match decision; X3's placement is not yet due soon), in the API's order.
    let (at_match, _) =
        whole_board(server, &client, &session, "stage=ADOPTION%3Amatch_decision").await?;
    let expected: Vec<Row> = api_all
        .iter()
        .filter(|(case, _)| *case == c.x2 || *case == c.x3)
        .cloned()
        .collect();
    assert_eq!(at_match, expected);
    assert!(at_match.iter().any(|(case, _)| *case == c.x2));
    assert!(at_match.len() < all.len());
    let (at_match_after_panel, _) = whole_board(
        server,
        &client,
        &session,
        "stage=ADOPTION%3Amatch_decision&after-panel=yes",
    )
    .await?;
    assert_eq!(
        at_match_after_panel,
        vec![(c.x2.clone(), "plan1:placement_after_match".into())]
    );

    // A row tells the stage and the days stalled at it, and the days overdue: X1 has stood
    // at the matching panel since 1 September (62 days); its match decision is 53 days
    // overdue.
    let (_, route_pages) =
        whole_board(server, &client, &session, "route=ADOPTION&after-panel=yes").await?;
    let x1_row = route_pages[0]
        .split(&format!(
            "data-case=\"{}\" data-deadline=\"plan1:adm_match_decision\"",
            c.x1
        ))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .context("X1's row")?;
    for expected in [
        "Matching panel recommendation",
        ">62<",
        "Overdue by 53 days",
        ">53<",
        "After panel",
        &format!("href=\"/cases/{}\"", c.x1),
    ] {
        assert!(x1_row.contains(expected), "{expected} in {x1_row}");
    }

    // Links that mean nothing are not pages.
    for path in ["/drift?page=0", "/drift?page=99", "/drift?page=two"] {
        let (status, _) = get(server, &client, &session, path).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    // The leader's reads are in the audit log, named by the page.
    let audited = server
        .engine()
        .store()
        .audit_of_record(permanence_auth::record_kind::CASE, &c.x1, 100)
        .await?;
    assert!(
        audited.iter().any(|row| row.actor == "leader.tester"
            && row.query == "page:/drift"
            && row.action == "READ_DRIFT"),
        "{:?}",
        audited.iter().map(|r| &r.query).collect::<Vec<_>>()
    );
    let _ = (c.x3, c.x9);
    Ok(())
}

on_both_backends!(
    the_drift_board_lists_the_apis_drift,
    the_board_is_the_apis_drift
);

/// A team manager's board holds their teams' cases and those with no team, as the API's
/// drift does for them; the navigation offers the board to those who open the dashboard, and
/// everyone else gets "page not found", as from `/dashboard`.
async fn who_sees_the_board(server: &TestServer) -> anyhow::Result<()> {
    let c = cohort(server).await?;
    let client = no_redirects()?;
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
        let (_, home) = get(server, &client, &session, "/").await?;
        assert_eq!(
            home.contains("href=\"/drift\""),
            allowed,
            "{username}'s navigation"
        );
        for path in [
            "/drift",
            "/drift?status=OVERDUE",
            "/dashboard/after-panel",
            "/dashboard/after-panel/cases?route=ADOPTION&stage=match_decision",
        ] {
            let (status, page) = get(server, &client, &session, path).await?;
            if allowed {
                assert_eq!(status, StatusCode::OK, "{username} {path}");
            } else {
                assert_eq!(status, StatusCode::NOT_FOUND, "{username} {path}");
                assert!(page.contains("Page not found"), "{username} {path}");
            }
        }
        if !allowed {
            continue;
        }
        let (rows, pages) = whole_board(server, &client, &session, "").await?;
        assert_eq!(rows, api_rows(server, role, json!({})).await?, "{username}");
        let (overdue, _) = whole_board(server, &client, &session, "status=OVERDUE").await?;
        assert_eq!(
            overdue,
            api_rows(server, role, json!({ "status": "OVERDUE" })).await?,
            "{username}"
        );
        if role == Role::TeamManager {
            // X4 moved to East: not theirs. Their teams' cases are there.
            assert!(!rows.iter().any(|(case, _)| *case == c.x4), "{rows:?}");
            for case in [&c.x1, &c.x2, &c.x5, &c.x7] {
                assert!(rows.iter().any(|(id, _)| id == case), "{case}");
            }
            assert!(pages.iter().all(|p| !p.contains(">X4<")));
            // The teams to filter by are theirs only.
            let form = pages[0].split("id=\"team\"").nth(1).unwrap_or_default();
            let form = form.split("</select>").next().unwrap_or_default();
            assert!(
                form.contains(">South<") && !form.contains(">East<"),
                "{form}"
            );
            // They read names: the full view of their cases.
            assert!(pages.iter().any(|p| p.contains(NAME)));
            // A team they do not manage lists nothing.
            let (east, _) = whole_board(server, &client, &session, "team=East").await?;
            assert!(east.is_empty());
        } else {
            assert!(rows.iter().any(|(case, _)| *case == c.x4), "{username}");
            let team = pages[0].split("id=\"team\"").nth(1).unwrap_or_default();
            assert!(
                team.split("</select>")
                    .next()
                    .unwrap_or_default()
                    .contains(">East<")
            );
        }
    }
    let _ = (c.x3, c.x6, c.x8, c.x9);
    Ok(())
}

on_both_backends!(
    the_drift_board_is_for_those_who_open_the_dashboard,
    who_sees_the_board
);

/// The after-panel view counts, by hand: each route's stages with the cases at them now,
/// their median and longest days there, and how many are past the deadline; each figure
/// opens exactly those cases.
async fn after_panel_by_hand(server: &TestServer) -> anyhow::Result<()> {
    let c = cohort(server).await?;
    give_password(server.engine(), Role::Leader).await?;
    let client = no_redirects()?;
    let (session, _) = http_sign_in(server, &client, "leader.tester").await?;
    let (status, dashboard) = get(server, &client, &session, "/dashboard").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(dashboard.contains("href=\"/dashboard/after-panel\""));
    let (status, page) = get(server, &client, &session, "/dashboard/after-panel").await?;
    assert_eq!(status, StatusCode::OK, "{page}");
    // (row, cases, median, longest, past), worked out above.
    for (row, cases, median, longest, past) in [
        (
            "adoption-adoption-panel-recommendation",
            "1",
            "32",
            "32",
            "1",
        ),
        (
            "adoption-matching-panel-recommendation",
            "1",
            "62",
            "62",
            "1",
        ),
        ("adoption-match-decision", "2", "44.5", "84", "1"),
        ("adoption-placed-for-adoption", "0", "–", "–", "0"),
        ("adoption-adoption-application", "0", "–", "–", "0"),
        (
            "special-guardianship-panel-recommendation",
            "1",
            "5",
            "5",
            "0",
        ),
        ("special-guardianship-adm-decision", "0", "–", "–", "0"),
        ("reunification-panel-recommendation", "0", "–", "–", "0"),
        ("reunification-return-home-approved", "1", "168", "168", "1"),
        ("reunification-placed-with-parents", "0", "–", "–", "0"),
        (
            "long-term-fostering-panel-recommendation",
            "1",
            "124",
            "124",
            "1",
        ),
        ("long-term-fostering-match-approved", "0", "–", "–", "0"),
    ] {
        assert_eq!(text_of(&page, &format!("{row}-cases"))?, cases, "{row}");
        assert_eq!(text_of(&page, &format!("{row}-median"))?, median, "{row}");
        assert_eq!(text_of(&page, &format!("{row}-longest"))?, longest, "{row}");
        assert_eq!(text_of(&page, &format!("{row}-past"))?, past, "{row}");
    }
    assert_eq!(
        text_of(&page, "after-panel-adoption-total")?,
        "4 cases after panel, 3 past the deadline."
    );
    // No route without a panel; one chart a route with one, drawn in the route's order.
    assert!(!page.contains("after-panel-child-arrangements-order"));
    assert_eq!(page.matches("<svg role=\"img\"").count(), 4);
    let chart = page
        .split("id=\"after-panel-adoption\"")
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .context("the adoption chart")?;
    assert!(chart.contains("2: 1 past the deadline"), "{chart}");
    assert!(
        chart.contains("Matching panel recommendation") && chart.contains("Match decision"),
        "{chart}"
    );

    // The figures open their cases: at the match, X2 (84 days) before X3 (5); past the
    // deadline, X2 alone with its overdue placement.
    let (status, list) = get(
        server,
        &client,
        &session,
        "/dashboard/after-panel/cases?route=ADOPTION&stage=match_decision",
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        unescaped(&page)
            .contains("href=\"/dashboard/after-panel/cases?route=ADOPTION&stage=match_decision\""),
        "the figure links to its cases"
    );
    let table = list.split("id=\"cases\"").nth(1).context("the list")?;
    let (at_x2, at_x3) = (
        table.find(">X2<").context("X2")?,
        table.find(">X3<").context("X3")?,
    );
    assert!(at_x2 < at_x3);
    assert!(table.contains(">84<") && table.contains(">5<"), "{table}");
    assert_eq!(
        text_of(&list, "summary")?,
        "2 cases at this stage now, 1 of them past the deadline."
    );
    let (_, past) = get(
        server,
        &client,
        &session,
        "/dashboard/after-panel/cases?route=ADOPTION&stage=match_decision&past-deadline=yes",
    )
    .await?;
    let table = past.split("id=\"cases\"").nth(1).context("the list")?;
    assert!(table.contains(">X2<") && !table.contains(">X3<"), "{table}");
    assert!(
        table.contains("Child placed with the adopters after the match decision")
            && table.contains("Overdue by 56 days"),
        "{table}"
    );
    // The reunification without a panel is not counted; the one with it is.
    let (_, approved) = get(
        server,
        &client,
        &session,
        "/dashboard/after-panel/cases?route=REUNIFICATION&stage=return_home_approved",
    )
    .await?;
    assert!(approved.contains(">X7<") && !approved.contains(">X6<"));
    assert!(approved.contains(&format!("href=\"/cases/{}\"", c.x7)));
    // Lists that are not the view's own.
    for path in [
        "/dashboard/after-panel/cases?route=ADOPTION&stage=shobpa_decision",
        "/dashboard/after-panel/cases?route=CHILD_ARRANGEMENTS_ORDER&stage=plan_endorsed",
        "/dashboard/after-panel/cases?route=ADOPTION&stage=match_decision&past-deadline=maybe",
        "/dashboard/after-panel/cases?route=ADOPTION&stage=match_decision&page=2",
    ] {
        let (status, _) = get(server, &client, &session, path).await?;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for (what, html) in [
        ("after panel", &page),
        ("a stage's cases", &list),
        ("past", &past),
    ] {
        assert_nothing_identifying(what, html)?;
    }
    let audited = server
        .engine()
        .store()
        .audit_of_record(permanence_auth::record_kind::CASE, &c.x2, 100)
        .await?;
    assert!(audited.iter().any(|row| row.actor == "leader.tester"
        && row.query == "page:/dashboard/after-panel/cases"
        && row.action == "READ_TIMELINESS"));

    // A team manager reads the same figures (the dashboard is over their authority); the
    // case outside their teams is listed by reference, without a link.
    give_password(server.engine(), Role::TeamManager).await?;
    let (manager, _) = http_sign_in(server, &client, "tm.tester").await?;
    let (_, their_page) = get(server, &client, &manager, "/dashboard/after-panel").await?;
    assert_eq!(
        text_of(
            &their_page,
            "long-term-fostering-panel-recommendation-cases"
        )?,
        "1"
    );
    let (_, fostering) = get(
        server,
        &client,
        &manager,
        "/dashboard/after-panel/cases?route=LONG_TERM_FOSTERING&stage=panel_recommendation",
    )
    .await?;
    assert!(fostering.contains(">X4<"), "{fostering}");
    assert!(!fostering.contains(&format!("/cases/{}", c.x4)));
    let _ = (c.x1, c.x3, c.x5, c.x8, c.x9);
    Ok(())
}

on_both_backends!(the_after_panel_view_counts_by_hand, after_panel_by_hand);

/// In the browser: a leader opens the board from the navigation, filters it, opens a case;
/// then the after-panel view from the dashboard, and a figure's cases. axe-core finds no
/// serious or critical violation, and nothing comes from another host.
async fn a_leader_uses_the_board(server: &TestServer) -> anyhow::Result<()> {
    let c = cohort(server).await?;
    give_password(server.engine(), Role::Leader).await?;
    let browser = Browser::start(&server.server.url("")).await?;
    browser.goto("/sign-in").await?;
    sign_in(&browser, "leader.tester", TEST_PASSWORD).await?;
    browser
        .click_and_load("#navigation a[href='/drift']")
        .await?;
    assert_eq!(browser.path().await?, "/drift");
    assert_eq!(browser.text("h1").await?, "Drift board");
    browser.assert_accessible("the drift board").await?;
    browser
        .assert_nothing_from_elsewhere("the drift board")
        .await?;
    browser.screenshot("drift-board").await?;

    // The second numbered page, and back to the filters.
    browser
        .click_and_load("#pages a[aria-label='Page 2']")
        .await?;
    assert_eq!(browser.path().await?, "/drift?page=2");
    browser
        .assert_accessible("the drift board's second page")
        .await?;

    browser.choose("#route", "ADOPTION").await?;
    browser.choose("#status", "OVERDUE").await?;
    browser.click("#after-panel").await?;
    browser.click_and_load("#apply").await?;
    let path = browser.path().await?;
    assert!(
        path.starts_with("/drift?route=ADOPTION")
            && path.contains("status=OVERDUE")
            && path.contains("after-panel=yes"),
        "{path}"
    );
    // The form keeps what was chosen.
    assert_eq!(browser.value("#route").await?, "ADOPTION");
    assert_eq!(browser.value("#status").await?, "OVERDUE");
    let checked = browser
        .client
        .find(fantoccini::Locator::Css("#after-panel"))
        .await?
        .prop("checked")
        .await?;
    assert_eq!(checked.as_deref(), Some("true"));
    let rows = browser.text("#drift tbody").await?;
    for reference in ["X1", "X2", "X8"] {
        assert!(rows.contains(reference), "{reference} in {rows}");
    }
    assert!(!rows.contains("X4") && !rows.contains("X3"), "{rows}");
    browser
        .assert_accessible("the filtered drift board")
        .await?;
    browser.screenshot("drift-board-filtered").await?;
    let html = browser.client.source().await?;
    assert_nothing_identifying("the filtered drift board", &html)?;

    // The most overdue first: X2's placement (overdue since 7 September).
    browser
        .click_and_load("#drift tbody tr:first-child a")
        .await?;
    assert_eq!(browser.path().await?, format!("/cases/{}", c.x2));
    assert_eq!(browser.text("h1").await?, "X2");

    // The after-panel view, from the dashboard.
    browser.goto("/dashboard").await?;
    browser
        .click_and_load("#where-cases-stand a[href='/dashboard/after-panel']")
        .await?;
    assert_eq!(browser.path().await?, "/dashboard/after-panel");
    let figure = browser.text("#adoption-match-decision-cases").await?;
    assert_eq!(figure.lines().next(), Some("2"), "{figure}");
    browser.assert_accessible("the after-panel view").await?;
    browser
        .assert_nothing_from_elsewhere("the after-panel view")
        .await?;
    browser.screenshot("after-panel").await?;
    browser
        .client
        .execute(
            "document.getElementById('after-panel-reunification').scrollIntoView();",
            vec![],
        )
        .await?;
    browser.screenshot("after-panel-reunification").await?;
    browser
        .click_and_load("#adoption-match-decision-past")
        .await?;
    assert!(browser.path().await?.contains("past-deadline=yes"));
    let rows = browser.text("#cases tbody").await?;
    assert!(rows.contains("X2") && !rows.contains("X3"), "{rows}");
    browser
        .assert_accessible("a stage's cases past the deadline")
        .await?;
    browser
        .assert_nothing_from_elsewhere("a stage's cases past the deadline")
        .await?;
    browser.screenshot("after-panel-cases").await?;
    let html = browser.client.source().await?;
    assert_nothing_identifying("a stage's cases", &html)?;
    let _ = (c.x1, c.x3, c.x4, c.x5, c.x6, c.x7, c.x8, c.x9);
    browser.close().await
}

on_both_backends!(
    a_leader_uses_the_drift_board_in_the_browser,
    a_leader_uses_the_board
);
