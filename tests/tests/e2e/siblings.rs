//! End-to-end: brothers and sisters recorded through GraphQL, on SQLite and PostgreSQL. A
//! sibling group of children's cases is recorded with the decision to place some of them
//! together (and why not all), shown on each member's case, revised (the old decision kept
//! in its history, under the group's version and the command id), and refused with the field
//! and the reason when a rule is broken. A child who leaves care stays listed; a case out of
//! the recorder's reach cannot be linked; a leader sees the decision and counts, never which
//! children; every member read is audited.

use anyhow::Context;
use permanence_auth::Role;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{CLOSE_CASE, TestServer, child_in_care, on_both_backends};

const RECORD: &str = "mutation($i: RecordSiblingGroupInput!) { recordSiblingGroup(input: $i) {
    duplicate siblingGroup { id version placing reason reasonLabel decidedOn memberCount
      history { placing reason decidedOn memberCount recordedBy } } } }";

const CASE_GROUP: &str = "query($id: UUID!) { case(id: $id) { siblingGroup {
    id placing reason decidedOn memberCount membersNotShown leftCareCount
    members { case { id child { reference } } leftCare placedWith }
    history { placing recordedBy } } } }";

fn group_of(data: &Value) -> anyhow::Result<&Value> {
    data.pointer("/recordSiblingGroup/siblingGroup")
        .context("a sibling group")
}

async fn siblings_are_linked_and_decided(server: &TestServer) -> anyhow::Result<()> {
    let a = child_in_care(server, "SIB1", "2016-02-01", "2026-01-05").await?;
    let b = child_in_care(server, "SIB2", "2018-05-01", "2026-01-05").await?;
    let c = child_in_care(server, "SIB3", "2021-09-01", "2026-01-05").await?;
    let other = child_in_care(server, "SIB4", "2019-01-01", "2026-01-05").await?;

    // Refusals name the field.
    for (input, field, reason) in [
        (
            json!({ "members": [a], "placing": "TOGETHER", "decidedOn": "2026-02-02" }),
            "members",
            "at least two",
        ),
        (
            json!({ "members": [a, b], "placing": "APART", "decidedOn": "2026-02-02" }),
            "reason",
            "say why",
        ),
        (
            json!({ "members": [a, b], "placing": "TOGETHER", "decidedOn": "2099-01-01" }),
            "decidedOn",
            "future",
        ),
        (
            json!({ "members": [a, b, c], "placing": "SOME_TOGETHER",
                    "reason": "NO_CARERS_FOR_GROUP", "placedTogether": [[a]],
                    "decidedOn": "2026-02-02" }),
            "placedTogether",
            "two or more",
        ),
    ] {
        let (code, message, got) = server
            .error_as(Role::SocialWorker, RECORD, json!({ "i": input }))
            .await?;
        assert_eq!(
            (code.as_str(), got.as_deref()),
            ("VALIDATION", Some(field)),
            "{message}"
        );
        assert!(message.contains(reason), "{message}");
    }

    // The two elder children together, the youngest apart: no carers for all three.
    let data = server
        .ok_as(
            Role::SocialWorker,
            RECORD,
            json!({ "i": { "members": [a, b, c], "placing": "SOME_TOGETHER",
                           "reason": "NO_CARERS_FOR_GROUP", "placedTogether": [[b, a]],
                           "decidedOn": "2026-02-02" } }),
        )
        .await?;
    let group = group_of(&data)?;
    let group_id = group["id"].as_str().context("group id")?.to_owned();
    assert_eq!(group["version"], 1);
    assert_eq!(group["placing"], "SOME_TOGETHER");
    assert_eq!(group["reason"], "NO_CARERS_FOR_GROUP");
    assert_eq!(
        group["reasonLabel"],
        "no carers able to take the whole group"
    );
    assert_eq!(group["memberCount"], 3);
    assert_eq!(
        group["history"],
        json!([{ "placing": "SOME_TOGETHER", "reason": "NO_CARERS_FOR_GROUP",
                 "decidedOn": "2026-02-02", "memberCount": 3, "recordedBy": "sw.tester" }])
    );

    // Each member's case shows the group, and who is placed with whom.
    let seen = server
        .ok_as(Role::SocialWorker, CASE_GROUP, json!({ "id": c }))
        .await?;
    let shown = seen
        .pointer("/case/siblingGroup")
        .context("case C's group")?;
    assert_eq!(shown["id"], group_id.as_str());
    assert_eq!(shown["membersNotShown"], 0);
    let members = shown["members"].as_array().context("members")?;
    assert_eq!(members.len(), 3);
    let placed_with = |case: &str| -> Vec<Value> {
        members
            .iter()
            .find(|m| m.pointer("/case/id") == Some(&json!(case)))
            .and_then(|m| m["placedWith"].as_array().cloned())
            .unwrap_or_default()
    };
    assert_eq!(placed_with(&a), vec![json!(b)]);
    assert_eq!(placed_with(&c), Vec::<Value>::new());
    // The fourth child's case is in no group.
    let none = server.ok(CASE_GROUP, json!({ "id": other })).await?;
    assert_eq!(none.pointer("/case/siblingGroup"), Some(&Value::Null));

    // A case is in one group at a time.
    let (code, message, field) = server
        .error(
            RECORD,
            json!({ "i": { "members": [a, other], "placing": "TOGETHER", "decidedOn": "2026-02-03" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("members"))
    );
    assert!(message.contains("another sibling group"), "{message}");

    // Revised: all three together once carers for the whole group were found.
    let command_id = "0190b3c4-1111-7000-8000-00000000aa01";
    let revise = json!({ "i": { "siblingGroupId": group_id, "members": [a, b, c],
                                "placing": "TOGETHER", "decidedOn": "2026-04-01",
                                "expectedVersion": 1, "commandId": command_id } });
    let data = server
        .ok_as(Role::SocialWorker, RECORD, revise.clone())
        .await?;
    let group = group_of(&data)?;
    assert_eq!(
        (&group["version"], &group["placing"], &group["reason"]),
        (&json!(2), &json!("TOGETHER"), &Value::Null)
    );
    let history = group["history"].as_array().context("history")?;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["placing"], "SOME_TOGETHER");
    // The same command again records nothing more.
    let again = server.ok_as(Role::SocialWorker, RECORD, revise).await?;
    assert_eq!(
        again.pointer("/recordSiblingGroup/duplicate"),
        Some(&json!(true))
    );
    assert_eq!(group_of(&again)?["version"], 2);
    // A decision made on an old version is refused.
    let (code, _, _) = server
        .error_as(
            Role::SocialWorker,
            RECORD,
            json!({ "i": { "siblingGroupId": group_id, "members": [a, b, c], "placing": "APART",
                           "reason": "COURT_DECISION", "decidedOn": "2026-04-02",
                           "expectedVersion": 1 } }),
        )
        .await?;
    assert_eq!(code, "VERSION_CONFLICT");
    // Not dated before the decision it revises.
    let (code, _, field) = server
        .error(
            RECORD,
            json!({ "i": { "siblingGroupId": group_id, "members": [a, b, c], "placing": "APART",
                           "reason": "COURT_DECISION", "decidedOn": "2026-03-01" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("decidedOn"))
    );

    // A case out of the social worker's reach (allocated to nobody) cannot be linked by them,
    // and the refusal reads as for any case out of reach.
    server
        .ok(
            "mutation($i: AllocateCaseInput!) { allocateCase(input: $i) { case { id } } }",
            json!({ "i": { "caseId": other, "occurredOn": "2026-02-01", "team": "North" } }),
        )
        .await?;
    let (code, _, _) = server
        .error_as(
            Role::SocialWorker,
            RECORD,
            json!({ "i": { "siblingGroupId": group_id, "members": [a, b, c, other],
                           "placing": "TOGETHER", "decidedOn": "2026-04-02" } }),
        )
        .await?;
    assert_eq!(code, "FORBIDDEN");
    // Their team manager reaches it, but sees only what the social worker may: the worker
    // reading the group is shown three members and told of one more.
    let data = server
        .ok(
            RECORD,
            json!({ "i": { "siblingGroupId": group_id, "members": [a, b, c, other],
                           "placing": "TOGETHER", "decidedOn": "2026-04-02" } }),
        )
        .await?;
    assert_eq!(group_of(&data)?["memberCount"], 4);
    let seen = server
        .ok_as(Role::SocialWorker, CASE_GROUP, json!({ "id": a }))
        .await?;
    assert_eq!(
        seen.pointer("/case/siblingGroup/membersNotShown"),
        Some(&json!(1))
    );
    assert_eq!(
        seen.pointer("/case/siblingGroup/members")
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(3)
    );

    // The youngest leaves care: they stay listed, and cannot be taken out of the group.
    server
        .ok(
            CLOSE_CASE,
            json!({ "i": { "caseId": c, "reason": "E8", "occurredOn": "2026-05-01" } }),
        )
        .await?;
    let seen = server.ok(CASE_GROUP, json!({ "id": a })).await?;
    let left = seen
        .pointer("/case/siblingGroup/members")
        .and_then(Value::as_array)
        .context("members")?
        .iter()
        .find(|m| m.pointer("/case/id") == Some(&json!(c)))
        .context("the child who left care is listed")?
        .clone();
    assert_eq!(left["leftCare"], true);
    assert_eq!(
        seen.pointer("/case/siblingGroup/leftCareCount"),
        Some(&json!(1))
    );
    let (code, message, field) = server
        .error(
            RECORD,
            json!({ "i": { "siblingGroupId": group_id, "members": [a, b, other],
                           "placing": "APART", "reason": "ASSESSED_NEEDS",
                           "decidedOn": "2026-05-02" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("members"))
    );
    assert!(message.contains("stays listed"), "{message}");

    // A leader sees the decision and the counts, never which children or who recorded it.
    let seen = server
        .ok_as(Role::Leader, CASE_GROUP, json!({ "id": a }))
        .await?;
    let shown = seen.pointer("/case/siblingGroup").context("group")?;
    assert_eq!(shown["members"], json!([]));
    assert_eq!(shown["memberCount"], 4);
    assert_eq!(shown["membersNotShown"], 4);
    assert_eq!(shown["placing"], "TOGETHER");
    assert!(
        shown["history"]
            .as_array()
            .context("history")?
            .iter()
            .all(|h| h["recordedBy"].is_null())
    );
    // ...and records nothing.
    let (code, _, _) = server
        .error_as(
            Role::Leader,
            RECORD,
            json!({ "i": { "members": [a, b], "placing": "TOGETHER", "decidedOn": "2026-05-02" } }),
        )
        .await?;
    assert_eq!(code, "FORBIDDEN");

    // Every decision is in the group's events, which replay to what is stored; they are
    // append-only in the database.
    let engine = server.engine();
    let id = permanence_domain::ids::SiblingGroupId(group_id.parse()?);
    assert!(engine.verify_sibling_group(id).await?);
    assert_eq!(engine.sibling_group_history(id).await?.len(), 3);
    for statement in [
        "UPDATE sibling_group_events SET actor = 'x'",
        "DELETE FROM sibling_group_events",
    ] {
        let refused = engine.store().execute_raw_for_tests(statement).await;
        let message = refused.expect_err("the group's events are append-only");
        assert!(message.contains("append-only"), "{message}");
    }
    assert!(engine.verify_sibling_group(id).await?);

    // Reading the group's members through one case is audited as a read of each member's case.
    let store = server.engine().store();
    let reads = store.audit_of_record("CASE", &b, 100).await?;
    assert!(
        reads
            .iter()
            .any(|r| r.actor == "sw.tester" && r.action == "READ_CASE" && r.query == "case"),
        "{reads:?}"
    );
    Ok(())
}
on_both_backends!(
    sibling_groups_are_recorded_shown_and_revised,
    siblings_are_linked_and_decided
);
