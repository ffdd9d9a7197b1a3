//! End-to-end: leaders' timeliness figures, worked by hand, through GraphQL and the CSV
//! report, on SQLite and PostgreSQL.

use anyhow::{Context, ensure};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{
    CLOSE_CASE, SET_ROUTE_PLAN, TestServer, child_in_care, on_both_backends, record_steps,
};

async fn adopted_child(server: &TestServer) -> anyhow::Result<()> {
    // Entered care 9 Jan 2023, placed for adoption 23 Oct 2023: A1 = 287 days.
    // Placement order 10 Jul 2023, match 6 Oct 2023: A2 = 88 days.
    let id = child_in_care(server, "TA1", "2022-03-01", "2023-01-09").await?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2023-03-01" } }),
        )
        .await?;
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[
            ("shobpa_decision", "2023-04-03"),
            ("placement_order", "2023-07-10"),
            ("family_finding", "2023-07-11"),
            ("matching_panel_recommendation", "2023-10-02"),
            ("match_decision", "2023-10-06"),
            ("placed_for_adoption", "2023-10-23"),
            ("adoption_application", "2024-01-02"),
            ("adoption_order", "2024-04-15"),
        ],
    )
    .await?;
    server
        .ok(
            CLOSE_CASE,
            json!({ "i": { "caseId": id, "reason": "E11", "occurredOn": "2024-04-15" } }),
        )
        .await?;
    Ok(())
}

async fn adopted_by_foster_carers(server: &TestServer) -> anyhow::Result<()> {
    // Entered care 1 Jun 2022 with carers approved to foster and adopt (U5, carer FC-9); the
    // same carers became the adoptive placement (A5) on 16 Jan 2023.
    // A1 = 16 Jan 2023 - 1 Jun 2022 = 229 days; A10 = 0 (with those carers from day 0).
    // Placement order 1 Dec 2022, match 12 Jan 2023: A2 = 42 days.
    let child = server
        .ok(
            "mutation { registerChild(input: {localAuthority: \"E10000003\", reference: \"TB1\", birthDate: \"2022-05-20\", sex: MALE, ethnicity: \"WBRI\"}) { child { id } } }",
            json!({}),
        )
        .await?;
    let child_id = child
        .pointer("/registerChild/child/id")
        .and_then(Value::as_str)
        .context("id")?;
    let case = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": "2022-06-01", "legalStatus": "C1",
                           "placement": "U5", "provider": "PR1", "carer": "FC-9", "team": "South" } }),
        )
        .await?;
    let id = case
        .pointer("/enterCare/case/id")
        .and_then(Value::as_str)
        .context("case id")?
        .to_owned();
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2022-07-01" } }),
        )
        .await?;
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[
            ("shobpa_decision", "2022-08-01"),
            ("placement_order", "2022-12-01"),
            ("family_finding", "2022-12-02"),
            ("matching_panel_recommendation", "2023-01-10"),
            ("match_decision", "2023-01-12"),
            ("placed_for_adoption", "2023-01-16"),
        ],
    )
    .await?;
    server
        .ok(
            "mutation($i: RecordPlacementChangeInput!) { recordPlacementChange(input: $i) { case { version } } }",
            json!({ "i": { "caseId": id, "occurredOn": "2023-01-16", "placement": "A5", "legalStatus": "E1" } }),
        )
        .await?;
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[
            ("adoption_application", "2023-04-03"),
            ("adoption_order", "2023-09-01"),
        ],
    )
    .await?;
    server
        .ok(
            CLOSE_CASE,
            json!({ "i": { "caseId": id, "reason": "E12", "occurredOn": "2023-09-01" } }),
        )
        .await?;
    Ok(())
}

const TIMELINESS: &str =
    "query($from: Date!, $to: Date!) { timeliness(from: $from, to: $to, groupBy: TEAM) {
    a1 { children meanDays medianDays p90Days minDays maxDays cases { childReference days } }
    a2 { children meanDays medianDays p90Days minDays maxDays }
    a10 { children meanDays medianDays p90Days minDays maxDays }
    a3Percent
    groups { group report { a1 { children meanDays } } }
  } }";

fn csv_row<'a>(csv: &'a str, group: &str, figure: &str) -> anyhow::Result<Vec<&'a str>> {
    csv.lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|cols| cols.first() == Some(&group) && cols.get(1) == Some(&figure))
        .with_context(|| format!("no row {group},{figure} in\n{csv}"))
}

fn number(text: &str) -> Option<f64> {
    text.parse().ok()
}

async fn hand_worked_measures(server: &TestServer) -> anyhow::Result<()> {
    adopted_child(server).await?;
    adopted_by_foster_carers(server).await?;
    let data = server
        .ok(
            TIMELINESS,
            json!({ "from": "2023-04-01", "to": "2024-06-30" }),
        )
        .await?;
    let t = &data["timeliness"];
    // A1: 229 and 287. Mean 258.0; median 258.0; p90 = 229 + 0.9 x 58 = 281.2.
    assert_eq!(
        t["a1"],
        json!({ "children": 2, "meanDays": 258.0, "medianDays": 258.0, "p90Days": 281.2, "minDays": 229, "maxDays": 287,
                "cases": [{ "childReference": "TA1", "days": 287 }, { "childReference": "TB1", "days": 229 }] })
    );
    // A10: 0 (adopted by the foster carers) and 287: mean 143.5, p90 = 0 + 0.9 x 287 = 258.3.
    assert_eq!(
        t["a10"],
        json!({ "children": 2, "meanDays": 143.5, "medianDays": 143.5, "p90Days": 258.3, "minDays": 0, "maxDays": 287 })
    );
    // A2: 88 and 42: mean 65.0; p90 = 42 + 0.9 x 46 = 83.4.
    assert_eq!(
        t["a2"],
        json!({ "children": 2, "meanDays": 65.0, "medianDays": 65.0, "p90Days": 83.4, "minDays": 42, "maxDays": 88 })
    );
    assert_eq!(t["a3Percent"], json!(100.0));
    // Team A adopted TA1 (287 days); South adopted TB1 (229 days). The README shows this answer.
    assert_eq!(
        t["groups"],
        json!([
            { "group": "all", "report": { "a1": { "children": 2, "meanDays": 258.0 } } },
            { "group": "South", "report": { "a1": { "children": 1, "meanDays": 229.0 } } },
            { "group": "Team A", "report": { "a1": { "children": 1, "meanDays": 287.0 } } }
        ])
    );

    // A window that ends before the first adoption: nobody counted.
    let early = server
        .ok(
            TIMELINESS,
            json!({ "from": "2023-04-01", "to": "2023-08-31" }),
        )
        .await?;
    assert_eq!(early.pointer("/timeliness/a1/children"), Some(&json!(0)));

    // The CSV gives the same figures.
    let response = server
        .client
        .get(
            server
                .server
                .url("/reports/timeliness.csv?from=2023-04-01&to=2024-06-30&groupBy=TEAM"),
        )
        .header(
            "authorization",
            server.bearer(permanence_auth::Role::TeamManager),
        )
        .send()
        .await?;
    ensure!(response.status() == 200, "CSV status {}", response.status());
    let csv = response.text().await?;
    for (figure, node) in [("a1", &t["a1"]), ("a2", &t["a2"]), ("a10", &t["a10"])] {
        let row = csv_row(&csv, "all", figure)?;
        assert_eq!(
            number(row[2]),
            node["children"].as_f64(),
            "{figure} children"
        );
        assert_eq!(number(row[3]), node["meanDays"].as_f64(), "{figure} mean");
        assert_eq!(
            number(row[4]),
            node["medianDays"].as_f64(),
            "{figure} median"
        );
        assert_eq!(number(row[5]), node["p90Days"].as_f64(), "{figure} p90");
        assert_eq!(number(row[6]), node["minDays"].as_f64(), "{figure} min");
        assert_eq!(number(row[7]), node["maxDays"].as_f64(), "{figure} max");
    }
    assert_eq!(number(csv_row(&csv, "all", "a3")?[10]), Some(100.0));
    assert_eq!(number(csv_row(&csv, "Team A", "a1")?[2]), Some(1.0));

    // Children waiting on 1 Sep 2023: the first child has a decision and an order, not yet placed.
    let waiting = server
        .ok(
            "{ childrenWaiting(on: \"2023-09-01\") { withDecision { count cases { childReference days } } withPlacementOrder { count } placementOrderOver12Months { count } } }",
            json!({}),
        )
        .await?;
    // Decision 3 Apr 2023 to 1 Sep 2023: 151 days.
    assert_eq!(
        waiting["childrenWaiting"],
        json!({ "withDecision": { "count": 1, "cases": [{ "childReference": "TA1", "days": 151 }] },
                "withPlacementOrder": { "count": 1 }, "placementOrderOver12Months": { "count": 0 } })
    );
    Ok(())
}
on_both_backends!(timeliness_measures_worked_by_hand, hand_worked_measures);

async fn bad_windows_are_refused(server: &TestServer) -> anyhow::Result<()> {
    let (code, _, field) = server
        .error(
            TIMELINESS,
            json!({ "from": "2024-04-01", "to": "2023-04-01" }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("to"))
    );
    let response = server
        .client
        .get(server.server.url("/reports/timeliness.csv?from=2024-04-01"))
        .header(
            "authorization",
            server.bearer(permanence_auth::Role::TeamManager),
        )
        .send()
        .await?;
    assert_eq!(response.status(), 400);
    assert!(response.text().await?.starts_with("to:"));
    Ok(())
}
on_both_backends!(timeliness_windows_are_checked, bad_windows_are_refused);

/// `GET /reports/timeliness.csv` as the test user of `role` (no token when `None`); the
/// status and the body.
async fn csv_as(
    server: &TestServer,
    role: Option<permanence_auth::Role>,
    query: &str,
) -> anyhow::Result<(u16, String)> {
    let mut request = server.client.get(
        server
            .server
            .url(&format!("/reports/timeliness.csv?{query}")),
    );
    if let Some(role) = role {
        request = request.header("authorization", server.bearer(role));
    }
    let response = request.send().await?;
    Ok((response.status().as_u16(), response.text().await?))
}

/// The CSV report is for those who may read timeliness: a social worker is refused, so is
/// a request for another authority's figures, and a request without a token.
async fn csv_report_refusals(server: &TestServer) -> anyhow::Result<()> {
    use permanence_auth::Role;
    let window = "from=2023-04-01&to=2024-06-30";
    let (status, body) = csv_as(server, Some(Role::TeamManager), window).await?;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("group,"), "{body}");

    let (status, body) = csv_as(server, Some(Role::SocialWorker), window).await?;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("not allowed"), "{body}");
    assert!(!body.contains("group,"), "{body}");

    for role in [Role::TeamManager, Role::Leader, Role::AgencyDecisionMaker] {
        let (status, body) = csv_as(
            server,
            Some(role),
            &format!("{window}&localAuthority=E10000004"),
        )
        .await?;
        assert_eq!(status, 403, "{role:?}: {body}");
        assert!(body.contains("not allowed"), "{role:?}: {body}");
        // Their own authority, asked for by name, is answered.
        let (status, body) = csv_as(
            server,
            Some(role),
            &format!("{window}&localAuthority=E10000003"),
        )
        .await?;
        assert_eq!(status, 200, "{role:?}: {body}");
    }

    let (status, body) = csv_as(server, None, window).await?;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("UNAUTHENTICATED"), "{body}");
    Ok(())
}
on_both_backends!(timeliness_csv_is_refused_outside_reach, csv_report_refusals);
