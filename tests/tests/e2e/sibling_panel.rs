//! End-to-end: the panel hears a sibling group as one agenda item, over HTTP on SQLite and
//! PostgreSQL. Brothers and sisters waiting for panel for the same purpose are listed together
//! in the queue and on the agenda, with their group named; one recommendation is recorded on
//! each of their items and cases, all or nothing, once per command id; the per-case path
//! still works beside it.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{
    CLOSE_CASE, SET_ROUTE_PLAN, TestServer, child_in_care, on_both_backends, record_steps,
};

const QUEUE: &str = "query { panelQueue(localAuthority: \"E10000003\", asOf: \"2026-08-10\") {
    waiting { case { id } purpose siblingGroupId siblingsWaiting } } }";

const AGENDA: &str = "query($id: UUID!) { panelMeeting(id: $id) { agenda {
    item { id position status case { id } } siblingGroupId } } }";

const GROUP_RECOMMEND: &str = "mutation($i: RecordSiblingGroupPanelRecommendationInput!) {
    recordSiblingGroupPanelRecommendation(input: $i) {
      duplicate meeting { status }
      items { status heardOn case { id } }
      cases { id version primaryPlan { currentStep } } } }";

const GROUP: &str = "mutation($i: RecordSiblingGroupInput!) { recordSiblingGroup(input: $i) {
    siblingGroup { id } } }";

/// A child on long-term fostering whose carers were identified on `on`: they wait for panel.
async fn waiting_for_panel(
    server: &TestServer,
    reference: &str,
    on: &str,
) -> anyhow::Result<String> {
    let id = child_in_care(server, reference, "2015-01-01", "2026-06-01").await?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "LONG_TERM_FOSTERING", "occurredOn": "2026-07-01" } }),
        )
        .await?;
    record_steps(
        server,
        &id,
        "LONG_TERM_FOSTERING",
        &[("carer_identified", on)],
    )
    .await?;
    Ok(id)
}

async fn group(server: &TestServer, members: &[&str]) -> anyhow::Result<String> {
    let data = server
        .ok(
            GROUP,
            json!({ "i": { "members": members, "placing": "TOGETHER", "decidedOn": "2026-07-15" } }),
        )
        .await?;
    Ok(data
        .pointer("/recordSiblingGroup/siblingGroup/id")
        .and_then(Value::as_str)
        .context("group id")?
        .to_owned())
}

async fn meeting(server: &TestServer, sits_on: &str) -> anyhow::Result<String> {
    let data = server
        .ok_as(
            Role::PanelChair,
            "mutation($d: Date!) { schedulePanelMeeting(input: {localAuthority: \"E10000003\", kind: FOSTERING, sitsOn: $d, chair: \"chair.tester\"}) { id } }",
            json!({ "d": sits_on }),
        )
        .await?;
    Ok(data
        .pointer("/schedulePanelMeeting/id")
        .and_then(Value::as_str)
        .context("meeting id")?
        .to_owned())
}

async fn add_item(server: &TestServer, meeting: &str, case: &str) -> anyhow::Result<String> {
    let data = server
        .ok(
            "mutation($i: AddAgendaItemInput!) { addAgendaItem(input: $i) { id } }",
            json!({ "i": { "meetingId": meeting, "caseId": case, "purpose": "LONG_TERM_FOSTER_MATCH" } }),
        )
        .await?;
    Ok(data
        .pointer("/addAgendaItem/id")
        .and_then(Value::as_str)
        .context("item id")?
        .to_owned())
}

fn column(list: Option<&Value>, pointer: &str) -> Vec<Value> {
    list.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| v.pointer(pointer).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .unwrap_or_default()
}

async fn sibling_group_heard_as_one(server: &TestServer) -> anyhow::Result<()> {
    // Two sisters and an unrelated child waiting; the unrelated child has waited between them.
    let elder = waiting_for_panel(server, "SP1", "2026-07-20").await?;
    let other = waiting_for_panel(server, "SP4", "2026-07-21").await?;
    let younger = waiting_for_panel(server, "SP2", "2026-07-22").await?;
    // Their brother is in the group but not waiting for panel.
    let brother = child_in_care(server, "SP3", "2012-01-01", "2026-06-01").await?;
    let group_id = group(server, &[&elder, &younger, &brother]).await?;

    // The queue lists the sisters together, naming the group and each other.
    let queue = server.ok(QUEUE, json!({})).await?;
    let waiting = queue.pointer("/panelQueue/waiting");
    assert_eq!(
        column(waiting, "/case/id"),
        vec![json!(elder), json!(younger), json!(other)],
        "{queue}"
    );
    assert_eq!(
        column(waiting, "/siblingGroupId"),
        vec![json!(group_id), json!(group_id), Value::Null]
    );
    assert_eq!(
        column(waiting, "/siblingsWaiting"),
        vec![json!([younger]), json!([elder]), json!([])]
    );

    // On the agenda in the order they were added, then listed together as one item.
    let meeting_id = meeting(server, "2026-08-12").await?;
    add_item(server, &meeting_id, &elder).await?;
    let other_item = add_item(server, &meeting_id, &other).await?;
    add_item(server, &meeting_id, &younger).await?;
    let agenda = server.ok(AGENDA, json!({ "id": meeting_id })).await?;
    let items = agenda.pointer("/panelMeeting/agenda");
    assert_eq!(
        column(items, "/item/case/id"),
        vec![json!(elder), json!(younger), json!(other)]
    );
    assert_eq!(
        column(items, "/item/position"),
        vec![json!(1), json!(3), json!(2)]
    );
    assert_eq!(
        column(items, "/siblingGroupId"),
        vec![json!(group_id), json!(group_id), Value::Null]
    );

    // Only the chair records the panel's recommendation.
    let input = json!({ "i": { "meetingId": meeting_id, "siblingGroupId": group_id,
                               "purpose": "LONG_TERM_FOSTER_MATCH", "recommendation": "RECOMMENDED",
                               "commandId": "0190b3c4-2222-7000-8000-00000000bb01" } });
    let (code, _, _) = server
        .error_as(Role::SocialWorker, GROUP_RECOMMEND, input.clone())
        .await?;
    assert_eq!(code, "FORBIDDEN");

    // One recommendation for the group: both sisters' items and cases take it.
    let data = server
        .ok_as(Role::PanelChair, GROUP_RECOMMEND, input.clone())
        .await?;
    let done = data
        .pointer("/recordSiblingGroupPanelRecommendation")
        .context("payload")?;
    assert_eq!(done["duplicate"], false);
    assert_eq!(done["meeting"]["status"], "HELD");
    assert_eq!(
        column(done.get("items"), "/status"),
        vec![json!("RECOMMENDED"), json!("RECOMMENDED")]
    );
    assert_eq!(
        column(done.get("items"), "/heardOn"),
        vec![json!("2026-08-12"), json!("2026-08-12")]
    );
    assert_eq!(
        column(done.get("cases"), "/primaryPlan/currentStep"),
        vec![json!("panel_recommendation"), json!("panel_recommendation")]
    );
    let versions = column(done.get("cases"), "/version");
    // The same command again records nothing more.
    let again = server
        .ok_as(Role::PanelChair, GROUP_RECOMMEND, input)
        .await?;
    assert_eq!(
        again.pointer("/recordSiblingGroupPanelRecommendation/duplicate"),
        Some(&json!(true))
    );
    assert_eq!(
        column(
            again.pointer("/recordSiblingGroupPanelRecommendation/cases"),
            "/version"
        ),
        versions
    );
    // Heard once: a second command for the group is refused.
    let (code, _, _) = server
        .error_as(
            Role::PanelChair,
            GROUP_RECOMMEND,
            json!({ "i": { "meetingId": meeting_id, "siblingGroupId": group_id,
                           "purpose": "LONG_TERM_FOSTER_MATCH", "recommendation": "NOT_RECOMMENDED" } }),
        )
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");

    // The unrelated child's item is untouched, and the per-case path records it as before.
    let agenda = server.ok(AGENDA, json!({ "id": meeting_id })).await?;
    let statuses = column(agenda.pointer("/panelMeeting/agenda"), "/item/status");
    assert_eq!(statuses[2], json!("SCHEDULED"));
    server
        .ok_as(
            Role::PanelChair,
            "mutation($i: RecordPanelRecommendationInput!) { recordPanelRecommendation(input: $i) { item { status } } }",
            json!({ "i": { "itemId": other_item, "recommendation": "RECOMMENDED" } }),
        )
        .await?;

    // All or nothing: two brothers on the next agenda, one of whom has left care since.
    let first = waiting_for_panel(server, "SP5", "2026-07-20").await?;
    let second = waiting_for_panel(server, "SP6", "2026-07-20").await?;
    let pair = group(server, &[&first, &second]).await?;
    let next = meeting(server, "2026-09-02").await?;
    add_item(server, &next, &first).await?;
    add_item(server, &next, &second).await?;
    let before = server
        .ok(
            "query($id: UUID!) { case(id: $id) { version } }",
            json!({ "id": first }),
        )
        .await?;
    server
        .ok(
            CLOSE_CASE,
            json!({ "i": { "caseId": second, "reason": "E8", "occurredOn": "2026-08-20" } }),
        )
        .await?;
    let (code, _, _) = server
        .error_as(
            Role::PanelChair,
            GROUP_RECOMMEND,
            json!({ "i": { "meetingId": next, "siblingGroupId": pair,
                           "purpose": "LONG_TERM_FOSTER_MATCH", "recommendation": "RECOMMENDED" } }),
        )
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    let agenda = server.ok(AGENDA, json!({ "id": next })).await?;
    assert_eq!(
        column(agenda.pointer("/panelMeeting/agenda"), "/item/status"),
        vec![json!("SCHEDULED"), json!("SCHEDULED")]
    );
    let after = server
        .ok(
            "query($id: UUID!) { case(id: $id) { version } }",
            json!({ "id": first }),
        )
        .await?;
    assert_eq!(
        before, after,
        "nothing was recorded on the other brother's case"
    );

    // A group with one member on the agenda is heard on the item, not as a group.
    let (code, message, _) = server
        .error_as(
            Role::PanelChair,
            GROUP_RECOMMEND,
            json!({ "i": { "meetingId": meeting_id, "siblingGroupId": pair,
                           "purpose": "LONG_TERM_FOSTER_MATCH", "recommendation": "RECOMMENDED" } }),
        )
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(message.contains("fewer than two"), "{message}");

    // Each case's events replay to its stored state.
    for case in [&elder, &younger, &first] {
        let id = permanence_domain::CaseId(case.parse()?);
        assert!(server.engine().verify_projection(id).await?, "{case}");
    }
    Ok(())
}
on_both_backends!(
    a_sibling_group_is_heard_as_one_agenda_item,
    sibling_group_heard_as_one
);
