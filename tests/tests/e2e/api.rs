//! End-to-end: the real server over HTTP, on SQLite and on PostgreSQL.

use anyhow::{Context, ensure};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{
    CLOSE_CASE, RECORD_PLACEMENT_CHANGE, RECORD_STEP, SET_ROUTE_PLAN, TestServer, child_in_care,
    long_term_placement, on_both_backends, record_steps,
};

const CASE_QUERY: &str =
    "query($id: UUID!, $asOf: Date) { case(id: $id) { id version status reasonCeased
    primaryPlan { route currentStep achieved steps { step occurredOn } }
    deadlines(asOf: $asOf) { rule status dueOn startedOn daysOverdue workingDaysOverdue afterPanel }
    timeline { sequence kind occurredOn actor } } }";

async fn case(server: &TestServer, id: &str, as_of: Option<&str>) -> anyhow::Result<Value> {
    let data = server
        .ok(CASE_QUERY, json!({ "id": id, "asOf": as_of }))
        .await?;
    data.get("case").cloned().context("case")
}

async fn set_plan(server: &TestServer, case_id: &str, route: &str, on: &str) -> anyhow::Result<()> {
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": case_id, "route": route, "occurredOn": on } }),
        )
        .await?;
    Ok(())
}

async fn close(
    server: &TestServer,
    case_id: &str,
    reason: &str,
    on: &str,
) -> anyhow::Result<Value> {
    server
        .ok(
            CLOSE_CASE,
            json!({ "i": { "caseId": case_id, "reason": reason, "occurredOn": on } }),
        )
        .await
}

/// After the route, the stored projection equals the replay of the events.
async fn assert_projection_consistent(server: &TestServer, case_id: &str) -> anyhow::Result<()> {
    let id = permanence_domain::CaseId(case_id.parse()?);
    ensure!(
        server.engine().verify_projection(id).await?,
        "projection differs from replay"
    );
    Ok(())
}

/// A route's journey ends as the adoption journey does: the last step achieves permanence,
/// and closing the case records why and when the child left care.
async fn assert_achieved_and_closed(
    server: &TestServer,
    case_id: &str,
    last_step: &Value,
    (step, reason, on): (&str, &str, &str),
) -> anyhow::Result<()> {
    assert_eq!(
        last_step.pointer("/recordRouteStep/case/primaryPlan/currentStep"),
        Some(&json!(step))
    );
    assert_eq!(
        last_step.pointer("/recordRouteStep/case/primaryPlan/achieved"),
        Some(&json!(true)),
        "{step} achieves permanence"
    );
    let closed = close(server, case_id, reason, on).await?;
    assert_eq!(
        closed.pointer("/closeCase/case"),
        Some(&json!({ "status": "CLOSED", "reasonCeased": reason, "leftCareOn": on }))
    );
    let case = case(server, case_id, None).await?;
    assert_eq!(case["status"], json!("CLOSED"));
    assert_eq!(case["reasonCeased"], json!(reason));
    assert_eq!(
        case["deadlines"],
        json!([]),
        "a closed case has no open deadlines"
    );
    // Closing the case ends its plan; the plan keeps what it achieved.
    let plans = server
        .ok(
            "query($id: UUID!) { case(id: $id) { plans { currentStep achieved endedOn endReason } } }",
            json!({ "id": case_id }),
        )
        .await?;
    assert_eq!(
        plans.pointer("/case/plans"),
        Some(
            &json!([{ "currentStep": step, "achieved": true, "endedOn": on, "endReason": "CaseClosed" }])
        )
    );
    Ok(())
}

async fn adoption_to_adoption_order(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "A1", "2022-03-01", "2023-01-09").await?;
    set_plan(server, &id, "ADOPTION", "2023-03-01").await?;
    let last = record_steps(
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
    assert_eq!(
        last.pointer("/recordRouteStep/case/primaryPlan/achieved"),
        Some(&json!(true))
    );
    let closed = close(server, &id, "E11", "2024-04-15").await?;
    assert_eq!(
        closed.pointer("/closeCase/case/status"),
        Some(&json!("CLOSED"))
    );
    assert_eq!(
        closed.pointer("/closeCase/case/reasonCeased"),
        Some(&json!("E11"))
    );
    let case = case(server, &id, None).await?;
    assert_eq!(
        case["deadlines"],
        json!([]),
        "a closed case has no open deadlines"
    );
    let timeline = case["timeline"].as_array().context("timeline")?;
    let sequences: Vec<i64> = timeline
        .iter()
        .filter_map(|e| e["sequence"].as_i64())
        .collect();
    assert_eq!(
        sequences,
        (1..=timeline.len() as i64).collect::<Vec<_>>(),
        "gap-free sequence"
    );
    assert_eq!(case["version"].as_i64(), Some(timeline.len() as i64));
    // Each step is recorded by the role its route definition names: decisions by the agency
    // decision maker, the matching panel's recommendation by the panel chair.
    let actors: std::collections::BTreeSet<&str> = timeline
        .iter()
        .filter_map(|e| e["actor"].as_str())
        .collect();
    assert_eq!(
        actors,
        ["adm.tester", "chair.tester", "tm.tester"]
            .into_iter()
            .collect()
    );
    assert_projection_consistent(server, &id).await
}
on_both_backends!(
    adoption_route_reaches_adoption_order,
    adoption_to_adoption_order
);

async fn special_guardianship_to_order(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "S1", "2019-05-01", "2024-01-08").await?;
    set_plan(server, &id, "SPECIAL_GUARDIANSHIP", "2024-02-01").await?;
    let last = record_steps(
        server,
        &id,
        "SPECIAL_GUARDIANSHIP",
        &[
            ("assessment_started", "2024-02-05"),
            ("sgo_report_completed", "2024-04-01"),
            ("support_plan_agreed", "2024-04-15"),
            ("panel_recommendation", "2024-05-01"),
            ("adm_decision", "2024-05-08"),
            ("sgo_granted", "2024-06-20"),
        ],
    )
    .await?;
    assert_achieved_and_closed(server, &id, &last, ("sgo_granted", "E47", "2024-06-20")).await?;
    assert_projection_consistent(server, &id).await
}
on_both_backends!(
    special_guardianship_route_reaches_order,
    special_guardianship_to_order
);

async fn reunification_to_return_home(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "R1", "2015-09-09", "2024-02-12").await?;
    set_plan(server, &id, "REUNIFICATION", "2024-03-01").await?;
    let last = record_steps(
        server,
        &id,
        "REUNIFICATION",
        &[
            ("parent_assessment", "2024-03-20"),
            ("return_home_approved", "2024-04-10"),
            ("placed_with_parents", "2024-04-20"),
            ("returned_home", "2024-09-01"),
        ],
    )
    .await?;
    // Placed with parents: P1 with provider PR0, as the national return requires.
    server
        .ok(
            "mutation($i: RecordPlacementChangeInput!) { recordPlacementChange(input: $i) { case { placements { placement provider } } } }",
            json!({ "i": { "caseId": id, "occurredOn": "2024-09-01", "placement": "P1", "provider": "PR0" } }),
        )
        .await?;
    assert_achieved_and_closed(server, &id, &last, ("returned_home", "E4A", "2024-09-02")).await?;
    assert_projection_consistent(server, &id).await
}
on_both_backends!(
    reunification_route_reaches_return_home,
    reunification_to_return_home
);

async fn long_term_fostering_to_confirmation(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "L1", "2013-01-01", "2024-01-15").await?;
    set_plan(server, &id, "LONG_TERM_FOSTERING", "2024-03-01").await?;
    record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[
            ("carer_identified", "2024-04-01"),
            ("panel_recommendation", "2024-05-01"),
            ("match_approved", "2024-05-07"),
        ],
    )
    .await?;
    long_term_placement(server, &id, "2024-06-03").await?;
    let last = record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[("match_confirmed", "2024-06-03")],
    )
    .await?;
    // The child stays in care: permanence is achieved with the case still open.
    assert_eq!(
        last.pointer("/recordRouteStep/case/primaryPlan/achieved"),
        Some(&json!(true))
    );
    let case = case(server, &id, None).await?;
    assert_eq!(case["status"], json!("OPEN"));
    assert_projection_consistent(server, &id).await
}
on_both_backends!(
    long_term_fostering_route_reaches_confirmation,
    long_term_fostering_to_confirmation
);

async fn child_arrangements_order(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "C1", "2018-02-02", "2024-05-01").await?;
    set_plan(server, &id, "CHILD_ARRANGEMENTS_ORDER", "2024-06-01").await?;
    let last = record_steps(
        server,
        &id,
        "CHILD_ARRANGEMENTS_ORDER",
        &[("cao_granted", "2024-09-09")],
    )
    .await?;
    assert_achieved_and_closed(server, &id, &last, ("cao_granted", "E41", "2024-09-09")).await?;
    assert_projection_consistent(server, &id).await
}
on_both_backends!(
    child_arrangements_route_reaches_order,
    child_arrangements_order
);

async fn refuses_a_step_the_route_does_not_allow(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "T1", "2021-01-01", "2024-01-08").await?;
    set_plan(server, &id, "ADOPTION", "2024-02-01").await?;
    let before = case(server, &id, None).await?;
    let (code, message, _) = server
        .error_as(
            permanence_auth::Role::AgencyDecisionMaker,
            RECORD_STEP,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "step": "match_decision", "occurredOn": "2024-03-01" } }),
        )
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(
        message.contains("matching panel recommendation"),
        "{message}"
    );
    // Matching panel reached without a placement order or a consent route: the decision names both.
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[
            ("shobpa_decision", "2024-02-10"),
            ("family_finding", "2024-02-11"),
            ("matching_panel_recommendation", "2024-03-01"),
        ],
    )
    .await?;
    let (code, message, _) = server
        .error_as(
            permanence_auth::Role::AgencyDecisionMaker,
            RECORD_STEP,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "step": "match_decision", "occurredOn": "2024-03-04" } }),
        )
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(
        message.contains("placement order") && message.contains("adoption panel recommendation"),
        "{message}"
    );
    let (code, _, field) = server
        .error(
            RECORD_STEP,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "step": "no_such_step", "occurredOn": "2024-03-04" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("step"))
    );
    let (code, _, field) = server
        .error(
            CLOSE_CASE,
            json!({ "i": { "caseId": id, "reason": "E99", "occurredOn": "2024-03-04" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("reason"))
    );
    let after = case(server, &id, None).await?;
    assert_eq!(
        after["version"].as_i64(),
        Some(before["version"].as_i64().unwrap_or(0) + 3)
    );
    Ok(())
}
on_both_backends!(
    step_not_allowed_is_refused,
    refuses_a_step_the_route_does_not_allow
);

/// Records that agree (DOMAIN.md §3.1, the validator's rule 551): a placement order or a
/// placement for adoption needs the decision to place for adoption, and a confirmed
/// long-term match needs a long-term foster placement. Refused with the field, nothing
/// recorded; accepted once the record holds what the rule needs.
async fn refuses_records_that_disagree(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "AGREE1", "2022-04-04", "2024-01-15").await?;
    set_plan(server, &id, "ADOPTION", "2024-02-01").await?;
    let before = case(server, &id, None).await?;
    for (change, expected) in [
        (json!({ "legalStatus": "E1" }), "legalStatus"),
        (
            json!({ "placement": "A6", "provider": "PR1", "carer": "AD-1" }),
            "placement",
        ),
    ] {
        let mut input = json!({ "caseId": id, "occurredOn": "2024-03-01" });
        input
            .as_object_mut()
            .context("input")?
            .extend(change.as_object().context("change")?.clone());
        let (code, message, field) = server
            .error(RECORD_PLACEMENT_CHANGE, json!({ "i": input }))
            .await?;
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("VALIDATION", Some(expected)),
            "{message}"
        );
        assert!(message.contains("decision"), "{message}");
    }
    let after = case(server, &id, None).await?;
    assert_eq!(after["version"], before["version"], "nothing recorded");
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[("shobpa_decision", "2024-02-20")],
    )
    .await?;
    server
        .ok(
            RECORD_PLACEMENT_CHANGE,
            json!({ "i": { "caseId": id, "occurredOn": "2024-03-01", "legalStatus": "E1" } }),
        )
        .await?;

    let long_term = child_in_care(server, "AGREE2", "2013-01-01", "2024-01-15").await?;
    set_plan(server, &long_term, "LONG_TERM_FOSTERING", "2024-03-01").await?;
    record_steps(
        server,
        &long_term,
        "LONG_TERM_FOSTERING",
        &[
            ("carer_identified", "2024-04-01"),
            ("panel_recommendation", "2024-05-01"),
            ("match_approved", "2024-05-07"),
        ],
    )
    .await?;
    let confirm = json!({ "i": { "caseId": long_term, "route": "LONG_TERM_FOSTERING",
                                  "step": "match_confirmed", "occurredOn": "2024-06-03" } });
    let (code, message, field) = server.error(RECORD_STEP, confirm.clone()).await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("step")),
        "{message}"
    );
    assert!(message.contains("U1 or U4"), "{message}");
    long_term_placement(server, &long_term, "2024-06-03").await?;
    server.ok(RECORD_STEP, confirm).await?;
    Ok(())
}
on_both_backends!(
    records_that_disagree_are_refused,
    refuses_records_that_disagree
);

async fn concurrent_updates_with_one_version(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "V1", "2020-01-01", "2024-01-08").await?;
    let version = case(server, &id, None).await?["version"]
        .as_i64()
        .context("version")?;
    let send = |step_date: &'static str| {
        server.graphql(
            "mutation($i: RecordDatedInput!) { recordReview(input: $i) { case { version } } }",
            json!({ "i": { "caseId": id, "occurredOn": step_date, "expectedVersion": version } }),
        )
    };
    let (a, b) = tokio::join!(send("2024-01-30"), send("2024-01-31"));
    let results = [a?, b?];
    let succeeded = results.iter().filter(|r| r.get("errors").is_none()).count();
    let conflicts = results
        .iter()
        .filter(|r| r.pointer("/errors/0/extensions/code") == Some(&json!("VERSION_CONFLICT")))
        .count();
    assert_eq!((succeeded, conflicts), (1, 1), "{results:?}");
    let after = case(server, &id, None).await?;
    assert_eq!(after["version"].as_i64(), Some(version + 1));
    Ok(())
}
on_both_backends!(one_version_two_writers, concurrent_updates_with_one_version);

async fn same_command_twice_records_once(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "I1", "2020-01-01", "2024-01-08").await?;
    let command_id = uuid::Uuid::now_v7().to_string();
    let vars = json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2024-02-01", "commandId": command_id } });
    let query = "mutation($i: SetRoutePlanInput!) { setRoutePlan(input: $i) { case { version } recorded { sequence } duplicate } }";
    let first = server.ok(query, vars.clone()).await?;
    let second = server.ok(query, vars.clone()).await?;
    assert_eq!(
        first.pointer("/setRoutePlan/duplicate"),
        Some(&json!(false))
    );
    assert_eq!(
        second.pointer("/setRoutePlan/duplicate"),
        Some(&json!(true))
    );
    assert_eq!(second.pointer("/setRoutePlan/recorded"), Some(&json!([])));
    let (a, b) = tokio::join!(
        server.graphql(query, vars.clone()),
        server.graphql(query, vars)
    );
    assert!(a?.get("errors").is_none() && b?.get("errors").is_none());
    let timeline = case(server, &id, None).await?["timeline"].clone();
    let plan_events = timeline
        .as_array()
        .context("timeline")?
        .iter()
        .filter(|e| e["kind"] == json!("RoutePlanStarted"))
        .count();
    assert_eq!(plan_events, 1);
    Ok(())
}
on_both_backends!(idempotent_command_ids, same_command_twice_records_once);

async fn missing_decision_drifts(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "D1", "2012-06-01", "2024-01-08").await?;
    set_plan(server, &id, "LONG_TERM_FOSTERING", "2024-02-01").await?;
    // Panel on Thursday 7 March 2024: the decision is due 7 working days later, Monday 18 March.
    record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[
            ("carer_identified", "2024-02-15"),
            ("panel_recommendation", "2024-03-07"),
        ],
    )
    .await?;
    // 8 working days after the panel: Tuesday 19 March.
    let data = server
        .ok(
            "query { drift(asOf: \"2024-03-19\", afterPanelOnly: true) { edges { node {
                case { id } panelOn decisionOn daysStalled
                deadline { rule status dueOn startedOn daysOverdue workingDaysOverdue } } } } }",
            json!({}),
        )
        .await?;
    let edges = data
        .pointer("/drift/edges")
        .and_then(Value::as_array)
        .context("edges")?;
    let decision = edges
        .iter()
        .map(|e| &e["node"])
        .find(|n| n.pointer("/deadline/rule") == Some(&json!("adm_long_term_match_approval")))
        .context("the missing decision is in drift")?;
    assert_eq!(decision.pointer("/case/id"), Some(&json!(id)));
    assert_eq!(decision["deadline"]["status"], json!("OVERDUE"));
    assert_eq!(decision["deadline"]["startedOn"], json!("2024-03-07"));
    assert_eq!(decision["deadline"]["dueOn"], json!("2024-03-18"));
    assert_eq!(decision["deadline"]["daysOverdue"], json!(1));
    assert_eq!(decision["deadline"]["workingDaysOverdue"], json!(1));
    assert_eq!(decision["panelOn"], json!("2024-03-07"));
    assert_eq!(decision["decisionOn"], json!(null));
    // Stalled since the panel: 7 March to 19 March.
    assert_eq!(decision["daysStalled"], json!(12));
    // The decision recorded: the deadline leaves drift.
    record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[("match_approved", "2024-03-19")],
    )
    .await?;
    let case = case(server, &id, Some("2024-03-19")).await?;
    let rules: Vec<&Value> = case["deadlines"]
        .as_array()
        .context("deadlines")?
        .iter()
        .map(|d| &d["rule"])
        .collect();
    assert!(
        !rules.contains(&&json!("adm_long_term_match_approval")),
        "{rules:?}"
    );
    Ok(())
}
on_both_backends!(missing_adm_decision_is_overdue, missing_decision_drifts);

async fn routes_are_published(server: &TestServer) -> anyhow::Result<()> {
    let data = server
        .ok("{ routes { route version steps { key isFinal } transitions { from to } deadlineRules { key timescale basis } } }", json!({}))
        .await?;
    let routes = data["routes"].as_array().context("routes")?;
    assert_eq!(routes.len(), 5);
    let adoption = routes
        .iter()
        .find(|r| r["route"] == json!("ADOPTION"))
        .context("adoption")?;
    assert!(
        adoption["transitions"]
            .as_array()
            .context("t")?
            .contains(&json!({ "from": "matching_panel_recommendation", "to": "match_decision" }))
    );
    Ok(())
}
on_both_backends!(route_definitions_are_published, routes_are_published);
