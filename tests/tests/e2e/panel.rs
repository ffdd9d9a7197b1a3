//! End-to-end: a panel chair's session over HTTP, on SQLite and PostgreSQL: the queue, an
//! agenda, recommendations and decisions advancing cases, a deferral back to the queue, and
//! the drift after panel that the inspections keep finding.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{
    SET_ROUTE_PLAN, TestServer, child_in_care, long_term_placement, on_both_backends, record_steps,
};

const QUEUE: &str = "query($asOf: Date) { panelQueue(localAuthority: \"E10000003\", asOf: $asOf) {
    waiting { case { id } purpose step daysWaited returnBy documents { required ready allReady } }
    waitingTotal
    agendas { meeting { id sitsOn } items { item { id purpose case { id } } hearable } }
    awaitingDecision { item { id case { id } } recommendedOn workingDaysElapsed workingDaysAllowed decisionDueOn overdue }
  } }";

async fn case_at(
    server: &TestServer,
    reference: &str,
    route: &str,
    steps: &[(&str, &str)],
) -> anyhow::Result<String> {
    let id = child_in_care(server, reference, "2015-01-01", "2026-06-01").await?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": route, "occurredOn": "2026-07-01" } }),
        )
        .await?;
    record_steps(server, &id, route, steps).await?;
    Ok(id)
}

fn ids_in(list: &Value, pointer: &str) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| {
                    v.pointer(pointer)
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn add_item(
    server: &TestServer,
    meeting: &str,
    case: &str,
    purpose: &str,
) -> anyhow::Result<String> {
    let data = server
        .ok(
            "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id status position } }",
            json!({ "i": { "meetingId": meeting, "caseId": case, "purpose": purpose } }),
        )
        .await?;
    Ok(data
        .pointer("/addAgendaItem/id")
        .and_then(Value::as_str)
        .context("item id")?
        .to_owned())
}

const RECOMMEND: &str = "mutation($i: RecordPanelRecommendationInput!) { recordPanelRecommendation(input: $i) {
    item { status heardOn } meeting { status } case { primaryPlan { currentStep } } recorded { kind } } }";
const DECIDE: &str = "mutation($i: RecordAgencyDecisionInput!) { recordAgencyDecision(input: $i) {
    item { status decisionAgrees decisionOn } case { primaryPlan { currentStep } } } }";

async fn panel_session(server: &TestServer) -> anyhow::Result<()> {
    let long_term = case_at(
        server,
        "P1",
        "LONG_TERM_FOSTERING",
        &[("carer_identified", "2026-07-20")],
    )
    .await?;
    let adoption = case_at(
        server,
        "P2",
        "ADOPTION",
        &[
            ("shobpa_decision", "2026-07-06"),
            ("placement_order", "2026-07-27"),
            ("family_finding", "2026-07-28"),
        ],
    )
    .await?;
    let guardianship = case_at(
        server,
        "P3",
        "SPECIAL_GUARDIANSHIP",
        &[
            ("assessment_started", "2026-07-02"),
            ("sgo_report_completed", "2026-07-30"),
            ("support_plan_agreed", "2026-08-03"),
        ],
    )
    .await?;

    // The queue: all three wait for panel, the oldest wait first.
    let queue = server.ok(QUEUE, json!({ "asOf": "2026-08-10" })).await?;
    let waiting = ids_in(&queue["panelQueue"]["waiting"], "/case/id");
    assert_eq!(
        waiting,
        vec![long_term.clone(), adoption.clone(), guardianship.clone()],
        "{queue}"
    );
    // Every case the queue listed was read, and the audit log says so.
    for case in &waiting {
        let reads = server
            .engine()
            .store()
            .audit_of_record(permanence_auth::record_kind::CASE, case, 100)
            .await?;
        assert!(
            reads
                .iter()
                .any(|r| r.query == "panelQueue" && r.actor == "tm.tester"),
            "{reads:?}"
        );
    }

    // A decision cannot be recorded where the route needs a recommendation first.
    let (code, message, _) = server
        .error_as(
            Role::AgencyDecisionMaker,
            "mutation($i: RecordRouteStepInput!) { recordRouteStep(input: $i) { case { version } } }",
            json!({ "i": { "caseId": long_term, "route": "LONG_TERM_FOSTERING", "step": "match_approved", "occurredOn": "2026-08-10" } }),
        )
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(
        message.contains("permanence panel recommendation"),
        "{message}"
    );

    let meeting = server
        .ok_as(
            Role::PanelChair,
            "mutation { schedulePanelMeeting(input: {localAuthority: \"E10000003\", kind: COMBINED, sitsOn: \"2026-09-03\", chair: \"J. Chair\"}) { id status } }",
            json!({}),
        )
        .await?;
    let meeting_id = meeting
        .pointer("/schedulePanelMeeting/id")
        .and_then(Value::as_str)
        .context("meeting")?
        .to_owned();
    let long_term_item =
        add_item(server, &meeting_id, &long_term, "LONG_TERM_FOSTER_MATCH").await?;
    let adoption_item = add_item(server, &meeting_id, &adoption, "ADOPTION_MATCH").await?;
    let guardianship_item = add_item(
        server,
        &meeting_id,
        &guardianship,
        "SPECIAL_GUARDIANSHIP_PLAN",
    )
    .await?;

    // On the agenda, out of the waiting list.
    let queue = server.ok(QUEUE, json!({ "asOf": "2026-08-20" })).await?;
    assert_eq!(queue["panelQueue"]["waitingTotal"], json!(0), "{queue}");
    let agenda = ids_in(&queue["panelQueue"]["agendas"][0]["items"], "/item/id");
    // A case reached through an agenda item is audited as read too.
    let through_items = server
        .engine()
        .store()
        .audit_of_record(permanence_auth::record_kind::CASE, &guardianship, 100)
        .await?
        .iter()
        .filter(|r| r.query == "panelQueue")
        .count();
    assert!(through_items >= 2, "listed waiting, then on the agenda");
    assert_eq!(
        agenda,
        vec![
            long_term_item.clone(),
            adoption_item.clone(),
            guardianship_item.clone()
        ]
    );

    // The panel sits: each outcome advances the case in the same transaction.
    let recommended = server
        .ok_as(
            Role::PanelChair,
            RECOMMEND,
            json!({ "i": { "itemId": long_term_item, "recommendation": "RECOMMENDED" } }),
        )
        .await?;
    assert_eq!(
        recommended.pointer("/recordPanelRecommendation/item/status"),
        Some(&json!("RECOMMENDED"))
    );
    assert_eq!(
        recommended.pointer("/recordPanelRecommendation/item/heardOn"),
        Some(&json!("2026-09-03"))
    );
    assert_eq!(
        recommended.pointer("/recordPanelRecommendation/meeting/status"),
        Some(&json!("HELD"))
    );
    assert_eq!(
        recommended.pointer("/recordPanelRecommendation/case/primaryPlan/currentStep"),
        Some(&json!("panel_recommendation"))
    );
    let deferred = server
        .ok_as(Role::PanelChair, RECOMMEND,
            json!({ "i": { "itemId": adoption_item, "recommendation": "DEFERRED",
                           "deferralReason": "adoption placement report not ready", "returnBy": "2026-10-01" } }),
        )
        .await?;
    assert_eq!(
        deferred.pointer("/recordPanelRecommendation/item/status"),
        Some(&json!("DEFERRED"))
    );
    server
        .ok_as(
            Role::PanelChair,
            RECOMMEND,
            json!({ "i": { "itemId": guardianship_item, "recommendation": "RECOMMENDED" } }),
        )
        .await?;

    // The deferred case is back in the queue with its date to return by; two recommendations
    // wait for a decision, counted in working days against seven.
    let queue = server.ok(QUEUE, json!({ "asOf": "2026-09-07" })).await?;
    let waiting = &queue["panelQueue"]["waiting"];
    assert_eq!(ids_in(waiting, "/case/id"), vec![adoption.clone()]);
    assert_eq!(waiting[0]["returnBy"], json!("2026-10-01"));
    let awaiting = &queue["panelQueue"]["awaitingDecision"];
    assert_eq!(ids_in(awaiting, "/item/id").len(), 2);
    // Thursday 3 September to Monday 7 September: 2 working days; due 14 September.
    assert_eq!(awaiting[0]["workingDaysElapsed"], json!(2));
    assert_eq!(awaiting[0]["workingDaysAllowed"], json!(7));
    assert_eq!(awaiting[0]["decisionDueOn"], json!("2026-09-14"));
    assert_eq!(awaiting[0]["overdue"], json!(false));

    let decided = server
        .ok_as(Role::AgencyDecisionMaker, DECIDE, json!({ "i": { "itemId": long_term_item, "agrees": true, "occurredOn": "2026-09-08" } }))
        .await?;
    assert_eq!(
        decided.pointer("/recordAgencyDecision/item/status"),
        Some(&json!("DECIDED"))
    );
    assert_eq!(
        decided.pointer("/recordAgencyDecision/case/primaryPlan/currentStep"),
        Some(&json!("match_approved"))
    );
    let decided = server
        .ok_as(Role::AgencyDecisionMaker, DECIDE, json!({ "i": { "itemId": guardianship_item, "agrees": true, "occurredOn": "2026-09-10" } }))
        .await?;
    assert_eq!(
        decided.pointer("/recordAgencyDecision/case/primaryPlan/currentStep"),
        Some(&json!("adm_decision"))
    );

    // 2 November: the long-term match was due to be confirmed 56 days after the panel
    // (29 October): stalled after panel, 4 days overdue. The deferred case is 32 days past
    // its date to return.
    let drift = server
        .ok(
            "{ drift(asOf: \"2026-11-02\", afterPanelOnly: true) { edges { node { case { id } panelOn decisionOn daysStalled
                deadline { rule dueOn daysOverdue status } } } } }",
            json!({}),
        )
        .await?;
    let nodes: Vec<&Value> = drift
        .pointer("/drift/edges")
        .and_then(Value::as_array)
        .context("edges")?
        .iter()
        .map(|e| &e["node"])
        .collect();
    let stalled = nodes
        .iter()
        .find(|n| n.pointer("/deadline/rule") == Some(&json!("long_term_match_confirmed")))
        .context("stalled long-term match in drift")?;
    assert_eq!(stalled.pointer("/case/id"), Some(&json!(long_term)));
    assert_eq!(stalled["panelOn"], json!("2026-09-03"));
    assert_eq!(stalled["decisionOn"], json!("2026-09-08"));
    assert_eq!(stalled["daysStalled"], json!(60));
    assert_eq!(stalled["deadline"]["dueOn"], json!("2026-10-29"));
    assert_eq!(stalled["deadline"]["daysOverdue"], json!(4));
    let deferral = nodes
        .iter()
        .find(|n| n.pointer("/deadline/rule") == Some(&json!("return_to_panel")))
        .context("deferral in drift")?;
    assert_eq!(deferral.pointer("/case/id"), Some(&json!(adoption)));
    assert_eq!(deferral["deadline"]["daysOverdue"], json!(32));

    // Confirming the match clears the flag.
    long_term_placement(server, &long_term, "2026-11-02").await?;
    record_steps(
        server,
        &long_term,
        "LONG_TERM_FOSTERING",
        &[("match_confirmed", "2026-11-02")],
    )
    .await?;
    let drift = server
        .ok("{ drift(asOf: \"2026-11-02\", afterPanelOnly: true) { edges { node { case { id } deadline { rule } } } } }", json!({}))
        .await?;
    let rules: Vec<String> = ids_in(
        drift.pointer("/drift/edges").context("edges")?,
        "/node/deadline/rule",
    );
    assert!(
        !rules.contains(&"long_term_match_confirmed".to_owned()),
        "{rules:?}"
    );
    Ok(())
}
on_both_backends!(panel_chairs_session, panel_session);

async fn decision_needs_recommendation(server: &TestServer) -> anyhow::Result<()> {
    let case = case_at(
        server,
        "Q1",
        "LONG_TERM_FOSTERING",
        &[("carer_identified", "2026-07-20")],
    )
    .await?;
    let meeting = server
        .ok_as(
            Role::PanelChair,
            "mutation { schedulePanelMeeting(input: {localAuthority: \"E10000003\", kind: FOSTERING, sitsOn: \"2026-09-03\", chair: \"J. Chair\"}) { id } }",
            json!({}),
        )
        .await?;
    let meeting_id = meeting
        .pointer("/schedulePanelMeeting/id")
        .and_then(Value::as_str)
        .context("meeting")?
        .to_owned();
    let (code, _, field) = server
        .error(
            "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }",
            json!({ "i": { "meetingId": meeting_id, "caseId": case, "purpose": "ADOPTION_MATCH" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("purpose")),
        "a fostering panel does not hear adoption matches"
    );
    let item = add_item(server, &meeting_id, &case, "LONG_TERM_FOSTER_MATCH").await?;
    let (code, message, _) = server
        .error_as(
            Role::AgencyDecisionMaker,
            DECIDE,
            json!({ "i": { "itemId": item, "agrees": true, "occurredOn": "2026-09-08" } }),
        )
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(message.contains("recommendation"), "{message}");
    Ok(())
}
on_both_backends!(
    agency_decision_needs_a_recommendation,
    decision_needs_recommendation
);

const CASE_REFERENCE: &str = "query($id: UUID!) { case(id: $id) { id child { reference } } }";

/// A panel member reads the cases on the agendas of the meetings they sit on, and only
/// those, as the meeting's membership changes.
async fn members_read_their_agenda(server: &TestServer) -> anyhow::Result<()> {
    let heard = case_at(
        server,
        "M1",
        "LONG_TERM_FOSTERING",
        &[("carer_identified", "2026-07-20")],
    )
    .await?;
    let not_heard = case_at(
        server,
        "M2",
        "LONG_TERM_FOSTERING",
        &[("carer_identified", "2026-07-21")],
    )
    .await?;
    let member = permanence_e2e::test_username(Role::PanelMember);
    let meeting = server
        .ok_as(
            Role::PanelChair,
            "mutation($m: [String!]!) { schedulePanelMeeting(input: {localAuthority: \"E10000003\", kind: FOSTERING, sitsOn: \"2026-09-03\", chair: \"chair.tester\", members: $m}) { id members version } }",
            json!({ "m": [member, " other.member ", member] }),
        )
        .await?;
    assert_eq!(
        meeting.pointer("/schedulePanelMeeting/members"),
        Some(&json!([member, "other.member"])),
        "members are trimmed, sorted and listed once"
    );
    let meeting_id = meeting
        .pointer("/schedulePanelMeeting/id")
        .and_then(Value::as_str)
        .context("meeting")?
        .to_owned();
    let read = |case: &str| json!({ "id": case });
    let (code, _, _) = server
        .error_as(Role::PanelMember, CASE_REFERENCE, read(&heard))
        .await?;
    assert_eq!(code, "FORBIDDEN", "not on the agenda yet");

    add_item(server, &meeting_id, &heard, "LONG_TERM_FOSTER_MATCH").await?;
    let seen = server
        .ok_as(Role::PanelMember, CASE_REFERENCE, read(&heard))
        .await?;
    assert_eq!(seen.pointer("/case/child/reference"), Some(&json!("M1")));
    let (code, _, _) = server
        .error_as(Role::PanelMember, CASE_REFERENCE, read(&not_heard))
        .await?;
    assert_eq!(code, "FORBIDDEN", "a case on no agenda they sit on");
    let listed = server
        .ok_as(
            Role::PanelMember,
            "{ cases(first: 50) { edges { node { id } } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        listed.pointer("/cases/edges"),
        Some(&json!([{ "node": { "id": heard } }])),
        "their list holds the agenda's cases only"
    );

    // Off the meeting, off the case; a stale version is refused.
    const SET_MEMBERS: &str =
        "mutation($i: SetPanelMembersInput!) { setPanelMembers(input: $i) { members version } }";
    let (code, _, _) = server
        .error_as(
            Role::PanelChair,
            SET_MEMBERS,
            json!({ "i": { "meetingId": meeting_id, "members": [], "expectedVersion": 1 } }),
        )
        .await?;
    assert_eq!(
        code, "VERSION_CONFLICT",
        "adding the item moved the meeting on"
    );
    let changed = server
        .ok_as(
            Role::PanelChair,
            SET_MEMBERS,
            json!({ "i": { "meetingId": meeting_id, "members": ["other.member"] } }),
        )
        .await?;
    assert_eq!(
        changed.pointer("/setPanelMembers/members"),
        Some(&json!(["other.member"]))
    );
    let (code, _, _) = server
        .error_as(Role::PanelMember, CASE_REFERENCE, read(&heard))
        .await?;
    assert_eq!(code, "FORBIDDEN", "no longer sits on the meeting");
    let (code, _, field) = server
        .error_as(
            Role::PanelChair,
            SET_MEMBERS,
            json!({ "i": { "meetingId": meeting_id, "members": [""] } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("members"))
    );
    let (code, _, _) = server
        .error_as(
            Role::SocialWorker,
            SET_MEMBERS,
            json!({ "i": { "meetingId": meeting_id, "members": [member] } }),
        )
        .await?;
    assert_eq!(
        code, "FORBIDDEN",
        "a social worker does not choose the panel"
    );
    Ok(())
}
on_both_backends!(panel_members_read_their_agenda, members_read_their_agenda);
