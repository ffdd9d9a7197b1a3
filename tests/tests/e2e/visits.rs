//! End-to-end: statutory visits by the social worker (CPPCR 2010 reg 28) recorded through
//! GraphQL, on SQLite and PostgreSQL: refusals name the field, the case lists its visits and
//! the next visit due, the timeline says what happened, drift on a past date shows a late
//! visit as it stood, and leaders see visits on time in the timeliness figures and the CSV.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{RECORD_PLACEMENT_CHANGE, TestServer, child_in_care, on_both_backends};

const RECORD_VISIT: &str = "mutation($i: RecordVisitInput!) { recordVisit(input: $i) {
    case { visits { occurredOn seenAlone } deadlines(asOf: \"2025-01-01\") { rule label dueOn timescale reference } }
    recorded { kind label } } }";

fn visit_deadline(data: &Value) -> anyhow::Result<&Value> {
    data.pointer("/recordVisit/case/deadlines")
        .and_then(Value::as_array)
        .context("deadlines")?
        .iter()
        .find(|d| d["rule"] == "visit")
        .context("a visit deadline")
}

async fn visits_are_recorded_and_measured(server: &TestServer) -> anyhow::Result<()> {
    // Entered care on Monday 6 January 2025 with foster carer FC-1.
    let id = child_in_care(server, "VIS1", "2014-05-01", "2025-01-06").await?;

    for (on, reason) in [
        ("2025-01-05", "cannot be before the child entered care"),
        ("2099-01-01", "cannot be in the future"),
    ] {
        let (code, message, field) = server
            .error_as(
                Role::SocialWorker,
                RECORD_VISIT,
                json!({ "i": { "caseId": id, "occurredOn": on } }),
            )
            .await?;
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("VALIDATION", Some("occurredOn"))
        );
        assert!(message.contains(reason), "{message}");
    }

    // The first visit was due on 13 January; held on the 10th, seen alone.
    let data = server
        .ok_as(
            Role::SocialWorker,
            RECORD_VISIT,
            json!({ "i": { "caseId": id, "occurredOn": "2025-01-10", "seenAlone": true } }),
        )
        .await?;
    assert_eq!(
        data.pointer("/recordVisit/case/visits"),
        Some(&json!([{ "occurredOn": "2025-01-10", "seenAlone": true }]))
    );
    assert_eq!(
        data.pointer("/recordVisit/recorded"),
        Some(&json!([{ "kind": "VisitHeld",
                       "label": "Visit by social worker: the child was seen alone" }]))
    );
    // The next, 6 weeks on in the placement's first year: 21 February.
    assert_eq!(
        visit_deadline(&data)?,
        &json!({ "rule": "visit", "label": "statutory visit by the social worker",
                 "dueOn": "2025-02-21", "timescale": "6 weeks", "reference": "CPPCR 2010 reg 28" })
    );
    // Not dated on or before the previous visit.
    let (code, _, field) = server
        .error(
            RECORD_VISIT,
            json!({ "i": { "caseId": id, "occurredOn": "2025-01-10" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("occurredOn"))
    );

    // Held late, on 3 March: the chain runs on from the day it was held (14 April).
    let data = server
        .ok(
            RECORD_VISIT,
            json!({ "i": { "caseId": id, "occurredOn": "2025-03-03" } }),
        )
        .await?;
    assert_eq!(visit_deadline(&data)?["dueOn"], "2025-04-14");
    assert_eq!(
        data.pointer("/recordVisit/recorded/0/label"),
        Some(&json!("Visit by social worker"))
    );

    // Drift on 25 February, before the late visit: 4 days overdue then.
    let drift = server
        .ok(
            "query($asOf: Date) { drift(asOf: $asOf, first: 100) { edges { node {
                case { id } deadline { rule status dueOn daysOverdue } } } } }",
            json!({ "asOf": "2025-02-25" }),
        )
        .await?;
    let late = drift
        .pointer("/drift/edges")
        .and_then(Value::as_array)
        .context("edges")?
        .iter()
        .map(|e| &e["node"])
        .find(|n| n.pointer("/case/id") == Some(&json!(id)) && n["deadline"]["rule"] == "visit")
        .context("the visit was overdue on 25 February")?;
    assert_eq!(
        late["deadline"],
        json!({ "rule": "visit", "status": "OVERDUE", "dueOn": "2025-02-21", "daysOverdue": 4 })
    );

    // A move to new carers on 1 April: the first visit there is due within a week.
    server
        .ok(
            RECORD_PLACEMENT_CHANGE,
            json!({ "i": { "caseId": id, "occurredOn": "2025-04-01", "carer": "FC-2" } }),
        )
        .await?;
    let (code, _, field) = server
        .error(
            RECORD_VISIT,
            json!({ "i": { "caseId": id, "occurredOn": "2025-03-31" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("occurredOn"))
    );
    let data = server
        .ok(
            RECORD_VISIT,
            json!({ "i": { "caseId": id, "occurredOn": "2025-04-08", "seenAlone": false } }),
        )
        .await?;
    assert_eq!(visit_deadline(&data)?["dueOn"], "2025-05-20");

    // Leaders: 2 of 3 on time (3 days early, 10 days late, on the day).
    let figures = server
        .ok(
            "query($from: Date!, $to: Date!) { timeliness(from: $from, to: $to) { report {
                visitsOnTime { met of percent cases { childReference days met } } } } }",
            json!({ "from": "2025-01-01", "to": "2025-06-30" }),
        )
        .await?;
    assert_eq!(
        figures.pointer("/timeliness/report/visitsOnTime"),
        Some(&json!({ "met": 2, "of": 3, "percent": 66.7, "cases": [
            { "childReference": "VIS1", "days": -3, "met": true },
            { "childReference": "VIS1", "days": 10, "met": false },
            { "childReference": "VIS1", "days": 0, "met": true },
        ] }))
    );
    let response = server
        .client
        .get(
            server
                .server
                .url("/reports/timeliness.csv?from=2025-01-01&to=2025-06-30"),
        )
        .header("authorization", server.bearer(Role::TeamManager))
        .send()
        .await?;
    anyhow::ensure!(response.status() == 200, "CSV status {}", response.status());
    let csv = response.text().await?;
    assert!(
        csv.lines()
            .any(|l| l == "all,visits_on_time,3,,,,,,2,3,66.7"),
        "{csv}"
    );
    Ok(())
}
on_both_backends!(
    statutory_visits_are_recorded_and_measured,
    visits_are_recorded_and_measured
);
