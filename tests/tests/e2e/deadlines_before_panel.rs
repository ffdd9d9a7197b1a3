//! End-to-end: the deadlines that run from a long-term fostering or reunification plan,
//! before any panel, show in `drift` on SQLite and on PostgreSQL, and end when the step is
//! recorded.

use anyhow::Context;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{SET_ROUTE_PLAN, TestServer, child_in_care, on_both_backends, record_steps};

const DRIFT: &str = "query($asOf: Date, $route: RouteKind, $status: DriftStatus) {
    drift(asOf: $asOf, route: $route, status: $status) { edges { node {
        case { id } deadline { rule status dueOn startedOn daysOverdue afterPanel basis reference } } } } }";

async fn set_plan(server: &TestServer, case_id: &str, route: &str, on: &str) -> anyhow::Result<()> {
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": case_id, "route": route, "occurredOn": on } }),
        )
        .await?;
    Ok(())
}

/// The drift item of a rule on a case, seen on `as_of` (overdue or due soon).
async fn drifting(
    server: &TestServer,
    as_of: &str,
    route: &str,
    case_id: &str,
    rule: &str,
) -> anyhow::Result<Option<Value>> {
    in_status(server, as_of, route, None, case_id, rule).await
}

/// The drift item of a rule on a case, seen on `as_of`, in `status` (default: overdue or
/// due soon).
async fn in_status(
    server: &TestServer,
    as_of: &str,
    route: &str,
    status: Option<&str>,
    case_id: &str,
    rule: &str,
) -> anyhow::Result<Option<Value>> {
    let data = server
        .ok(
            DRIFT,
            json!({ "asOf": as_of, "route": route, "status": status }),
        )
        .await?;
    let edges = data
        .pointer("/drift/edges")
        .and_then(Value::as_array)
        .context("edges")?;
    Ok(edges
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| {
            n.pointer("/case/id") == Some(&json!(case_id))
                && n.pointer("/deadline/rule") == Some(&json!(rule))
        })
        .map(|n| n["deadline"].clone()))
}

async fn long_term_match_drifts_before_panel(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "LTF1", "2012-06-01", "2024-01-08").await?;
    set_plan(server, &id, "LONG_TERM_FOSTERING", "2024-02-01").await?;
    record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[("carer_identified", "2024-05-01")],
    )
    .await?;
    // Six months from the plan: due 1 August 2024; four days late on the 5th, no panel held.
    let late = drifting(
        server,
        "2024-08-05",
        "LONG_TERM_FOSTERING",
        &id,
        "long_term_match_after_plan",
    )
    .await?
    .context("the match after the plan is in drift before any panel")?;
    assert_eq!(late["status"], json!("OVERDUE"));
    assert_eq!(late["startedOn"], json!("2024-02-01"));
    assert_eq!(late["dueOn"], json!("2024-08-01"));
    assert_eq!(late["daysOverdue"], json!(4));
    assert_eq!(late["afterPanel"], json!(false));
    assert_eq!(late["basis"], json!("LOCAL_SETTING"));
    let reference = late["reference"].as_str().context("reference")?;
    assert!(reference.starts_with("local practice"), "{reference}");

    record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[
            ("panel_recommendation", "2024-08-06"),
            ("match_approved", "2024-08-08"),
        ],
    )
    .await?;
    let after = drifting(
        server,
        "2024-08-09",
        "LONG_TERM_FOSTERING",
        &id,
        "long_term_match_after_plan",
    )
    .await?;
    assert_eq!(after, None, "the approved match ends the deadline");
    Ok(())
}
on_both_backends!(
    long_term_match_before_panel,
    long_term_match_drifts_before_panel
);

async fn reunification_drifts_before_panel(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "REU1", "2015-03-01", "2024-01-08").await?;
    set_plan(server, &id, "REUNIFICATION", "2024-02-01").await?;
    // Twelve weeks from Thursday 1 February: Thursday 25 April.
    let assessment = drifting(
        server,
        "2024-04-20",
        "REUNIFICATION",
        &id,
        "parent_assessment_after_plan",
    )
    .await?
    .context("the assessment of the parent is in drift")?;
    assert_eq!(assessment["status"], json!("DUE_SOON"));
    assert_eq!(assessment["dueOn"], json!("2024-04-25"));
    let home = in_status(
        server,
        "2024-04-20",
        "REUNIFICATION",
        Some("ON_TRACK"),
        &id,
        "return_home_after_plan",
    )
    .await?
    .context("the return home is on track")?;
    assert_eq!(home["status"], json!("ON_TRACK"));
    assert_eq!(home["dueOn"], json!("2024-08-01"));

    record_steps(
        server,
        &id,
        "REUNIFICATION",
        &[("parent_assessment", "2024-04-22")],
    )
    .await?;
    let gone = drifting(
        server,
        "2024-04-23",
        "REUNIFICATION",
        &id,
        "parent_assessment_after_plan",
    )
    .await?;
    assert_eq!(gone, None, "the assessment recorded ends its deadline");
    let home = drifting(
        server,
        "2024-08-02",
        "REUNIFICATION",
        &id,
        "return_home_after_plan",
    )
    .await?
    .context("the return home still runs from the plan")?;
    assert_eq!(home["status"], json!("OVERDUE"));
    Ok(())
}
on_both_backends!(
    reunification_before_panel,
    reunification_drifts_before_panel
);
