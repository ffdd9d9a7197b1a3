//! End-to-end: a placement breakdown (a disruption) recorded through GraphQL, on SQLite and
//! PostgreSQL: the route goes back to family finding with the decision to place for
//! adoption still open, the timeline says what happened, the child is waiting again, and
//! leaders see the disruption in the timeliness figures.

use anyhow::Context;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{SET_ROUTE_PLAN, TestServer, child_in_care, on_both_backends, record_steps};

const BREAKDOWN: &str =
    "mutation($i: RecordPlacementBreakdownInput!) { recordPlacementBreakdown(input: $i) {
    case { primaryPlan { currentStep reversedOn reversalReason
        breakdowns { occurredOn reason stage stageLabel undoneSteps { step occurredOn } } } }
    recorded { kind label } } }";

async fn placed_for_adoption(server: &TestServer) -> anyhow::Result<String> {
    let id = child_in_care(server, "BD1", "2022-03-01", "2023-01-09").await?;
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
        ],
    )
    .await?;
    Ok(id)
}

async fn a_breakdown_goes_back_to_family_finding(server: &TestServer) -> anyhow::Result<()> {
    let id = placed_for_adoption(server).await?;

    // Before the placement began: refused, naming the field.
    let (code, _, field) = server
        .error(
            BREAKDOWN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2023-10-23", "reason": "CREQB" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("occurredOn"))
    );
    let (code, _, field) = server
        .error(
            BREAKDOWN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2024-01-15", "reason": "RD1" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("reason"))
    );

    let data = server
        .ok(
            BREAKDOWN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2024-01-15", "reason": "CREQB" } }),
        )
        .await?;
    let answer = &data["recordPlacementBreakdown"];
    assert_eq!(
        answer["case"]["primaryPlan"],
        json!({ "currentStep": "family_finding", "reversedOn": null, "reversalReason": null,
                "breakdowns": [{ "occurredOn": "2024-01-15", "reason": "CREQB",
                                 "stage": "placed_for_adoption", "stageLabel": "placement for adoption",
                                 "undoneSteps": [
                                     { "step": "matching_panel_recommendation", "occurredOn": "2023-10-02" },
                                     { "step": "match_decision", "occurredOn": "2023-10-06" },
                                     { "step": "placed_for_adoption", "occurredOn": "2023-10-23" }] }] })
    );
    assert_eq!(
        answer["recorded"],
        json!([{ "kind": "PlacementBrokeDown",
                 "label": "Adoptive placement broke down: carer requests placement end due to the child's behaviour (CREQB)" }])
    );

    // The child is waiting again: decision 3 Apr 2023 to 1 Feb 2024 is 304 days.
    let waiting = server
        .ok(
            "{ childrenWaiting(on: \"2024-02-01\") { withDecision { count cases { childReference days } } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        waiting["childrenWaiting"]["withDecision"],
        json!({ "count": 1, "cases": [{ "childReference": "BD1", "days": 304 }] })
    );

    // Leaders see it: one adoptive placement begun in the window, one broken down 84 days
    // after it began (23 Oct 2023 to 15 Jan 2024).
    let figures = server
        .ok(
            "query($from: Date!, $to: Date!) { timeliness(from: $from, to: $to) { report {
                disruptions { route stage placements percent breakdowns { children cases { childReference days } } } } } }",
            json!({ "from": "2023-04-01", "to": "2024-03-31" }),
        )
        .await?;
    let disruptions = figures
        .pointer("/timeliness/report/disruptions")
        .and_then(Value::as_array)
        .context("disruptions")?;
    assert_eq!(
        disruptions[..2],
        [
            json!({ "route": "ADOPTION", "stage": null, "placements": 1, "percent": 100.0,
                    "breakdowns": { "children": 1, "cases": [{ "childReference": "BD1", "days": 84 }] } }),
            json!({ "route": "ADOPTION", "stage": "placed_for_adoption", "placements": 1, "percent": 100.0,
                    "breakdowns": { "children": 1, "cases": [{ "childReference": "BD1", "days": 84 }] } }),
        ]
    );

    // The CSV report gives the same: 1 breakdown of 1 placement, 84 days.
    let response = server
        .client
        .get(
            server
                .server
                .url("/reports/timeliness.csv?from=2023-04-01&to=2024-03-31"),
        )
        .header(
            "authorization",
            server.bearer(permanence_auth::Role::TeamManager),
        )
        .send()
        .await?;
    anyhow::ensure!(response.status() == 200, "CSV status {}", response.status());
    let csv = response.text().await?;
    assert!(
        csv.lines()
            .any(|l| l == "all,disruption:ADOPTION,1,84,84,84,84,84,1,1,100"),
        "{csv}"
    );

    // Matched and placed again, after the breakdown.
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[
            ("matching_panel_recommendation", "2024-03-04"),
            ("match_decision", "2024-03-08"),
            ("placed_for_adoption", "2024-03-25"),
        ],
    )
    .await?;
    Ok(())
}
on_both_backends!(
    a_placement_breakdown_goes_back_to_family_finding,
    a_breakdown_goes_back_to_family_finding
);
