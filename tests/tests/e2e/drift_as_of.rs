//! End-to-end: `drift(asOf:)` on a past date gives the deadlines as they stood then,
//! replayed from the events that had happened by that date, on SQLite and PostgreSQL; it
//! keeps the access policy and the audit of today's drift.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{SET_ROUTE_PLAN, TestServer, child_in_care, on_both_backends, record_steps};

const DRIFT: &str = "query($asOf: Date) { drift(asOf: $asOf, first: 100) { edges { node {
    case { id } deadline { rule status dueOn asOf daysOverdue } } } } }";

/// The (case, rule) → deadline items of `drift` on `as_of`, as `role` sees them.
async fn drift_as(server: &TestServer, role: Role, as_of: &str) -> anyhow::Result<Vec<Value>> {
    let data = server.ok_as(role, DRIFT, json!({ "asOf": as_of })).await?;
    Ok(data
        .pointer("/drift/edges")
        .and_then(Value::as_array)
        .context("edges")?
        .iter()
        .map(|e| e["node"].clone())
        .collect())
}

fn find<'a>(items: &'a [Value], case_id: &str, rule: &str) -> Option<&'a Value> {
    items.iter().find(|n| {
        n.pointer("/case/id") == Some(&json!(case_id))
            && n.pointer("/deadline/rule") == Some(&json!(rule))
    })
}

async fn a_later_step_does_not_hide_past_drift(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "ASOF1", "2012-06-01", "2024-01-08").await?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "LONG_TERM_FOSTERING", "occurredOn": "2024-02-01" } }),
        )
        .await?;
    // The match after the plan was due on 1 August 2024; the panel sat on 2 September and
    // the match was approved on 10 September, after the date asked about.
    record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[
            ("carer_identified", "2024-05-01"),
            ("panel_recommendation", "2024-09-02"),
            ("match_approved", "2024-09-10"),
        ],
    )
    .await?;

    let then = drift_as(server, Role::TeamManager, "2024-08-31").await?;
    let late = find(&then, &id, "long_term_match_after_plan")
        .context("the match was overdue on 31 August")?;
    assert_eq!(late.pointer("/deadline/status"), Some(&json!("OVERDUE")));
    assert_eq!(late.pointer("/deadline/dueOn"), Some(&json!("2024-08-01")));
    assert_eq!(late.pointer("/deadline/daysOverdue"), Some(&json!(30)));
    assert_eq!(late.pointer("/deadline/asOf"), Some(&json!("2024-08-31")));
    // What today's open deadlines say of that date: the approved match is not among them.
    let today = drift_as(server, Role::TeamManager, "2026-11-02").await?;
    assert!(find(&today, &id, "long_term_match_after_plan").is_none());
    // Nor is a deadline after the panel, which had not sat by 31 August.
    assert!(find(&then, &id, "long_term_match_confirmed").is_none());
    // By the day of the approval, the deadline had ended.
    let approved = drift_as(server, Role::TeamManager, "2024-09-10").await?;
    assert!(find(&approved, &id, "long_term_match_after_plan").is_none());
    assert!(
        find(&approved, &id, "long_term_match_confirmed").is_none(),
        "not yet due soon"
    );

    // The access policy: a social worker sees only their own cases, in the past as now.
    let theirs = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": registered(server, "ASOF2").await?, "enteredCareOn": "2024-01-08",
                           "legalStatus": "C1", "placement": "U6", "team": "Team A",
                           "allocatedWorker": "someone.else" } }),
        )
        .await?
        .pointer("/enterCare/case/id")
        .and_then(Value::as_str)
        .context("case")?
        .to_owned();
    let by_manager = drift_as(server, Role::TeamManager, "2024-08-31").await?;
    ensure_some(&by_manager, &theirs)?;
    let by_worker = drift_as(server, Role::SocialWorker, "2024-08-31").await?;
    assert!(find(&by_worker, &id, "long_term_match_after_plan").is_some());
    assert!(
        by_worker
            .iter()
            .all(|n| n.pointer("/case/id") != Some(&json!(theirs))),
        "another worker's case is out of reach"
    );

    // The audit: each case listed is a read of its record by the user.
    let audited = server
        .engine()
        .store()
        .audit_of_record(permanence_auth::record_kind::CASE, &id, 100)
        .await?;
    assert!(
        audited
            .iter()
            .any(|row| row.actor == "sw.tester" && row.query == "drift"),
        "{:?}",
        audited.iter().map(|r| &r.query).collect::<Vec<_>>()
    );
    Ok(())
}
on_both_backends!(
    past_drift_replays_history,
    a_later_step_does_not_hide_past_drift
);

async fn registered(server: &TestServer, reference: &str) -> anyhow::Result<String> {
    Ok(server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": reference, "birthDate": "2013-02-01",
                           "sex": "MALE", "ethnicity": "WBRI" } }),
        )
        .await?
        .pointer("/registerChild/child/id")
        .and_then(Value::as_str)
        .context("child")?
        .to_owned())
}

/// The other worker's case drifts on the date (its first review was long overdue), so its
/// absence from the worker's list is the policy's doing.
fn ensure_some(items: &[Value], case_id: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        items
            .iter()
            .any(|n| n.pointer("/case/id") == Some(&json!(case_id))),
        "the team manager sees the other worker's case drifting"
    );
    Ok(())
}
