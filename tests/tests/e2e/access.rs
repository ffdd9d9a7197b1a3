//! End-to-end: who may see and do what, over HTTP, on SQLite and PostgreSQL. Every request
//! needs a token; each role reaches what the policy table says and no more; leaders see
//! references, not names; every read of a child's or case's record is in the audit log, whose
//! hash chain verifies.

use anyhow::Context;
use permanence_auth::{Role, verify_chain};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{SET_ROUTE_PLAN, TestServer, on_both_backends};

const CASE: &str =
    "query($id: UUID!) { case(id: $id) { id child { reference name birthDate birthMonth } } }";
const REVIEW: &str =
    "mutation($i: RecordDatedInput!) { recordReview(input: $i) { case { version } } }";

/// A child in care allocated to `worker`, in team "Team A"; returns (child id, case id).
async fn allocated_case(
    server: &TestServer,
    reference: &str,
    worker: &str,
) -> anyhow::Result<(String, String)> {
    let child = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": reference, "birthDate": "2019-03-14",
                           "sex": "FEMALE", "ethnicity": "WBRI", "name": "Named Child" } }),
        )
        .await?;
    let child_id = child
        .pointer("/registerChild/child/id")
        .and_then(Value::as_str)
        .context("child")?
        .to_owned();
    let case = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": "2026-01-05", "legalStatus": "C2",
                           "placement": "U6", "team": "Team A", "allocatedWorker": worker } }),
        )
        .await?;
    let case_id = case
        .pointer("/enterCare/case/id")
        .and_then(Value::as_str)
        .context("case")?
        .to_owned();
    Ok((child_id, case_id))
}

async fn status_without_token(
    server: &TestServer,
    authorization: Option<&str>,
) -> anyhow::Result<(u16, Value)> {
    let mut request = server
        .client
        .post(server.server.url("/graphql"))
        .json(&json!({ "query": "{ today }" }));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

async fn roles_reach_what_the_policy_says(server: &TestServer) -> anyhow::Result<()> {
    // No token, a malformed one, an unknown one: UNAUTHENTICATED, and nothing else said.
    for authorization in [None, Some("Basic abc"), Some("Bearer pmt_notarealtoken")] {
        let (status, body) = status_without_token(server, authorization).await?;
        assert_eq!(status, 401, "{authorization:?}");
        assert_eq!(
            body.pointer("/errors/0/extensions/code"),
            Some(&json!("UNAUTHENTICATED"))
        );
    }
    let health = server
        .client
        .get(server.server.url("/healthz"))
        .send()
        .await?;
    assert_eq!(health.status(), 200, "the health check needs no token");

    let (_, mine) = allocated_case(server, "AC1", "sw.tester").await?;
    let (_, theirs) = allocated_case(server, "AC2", "someone.else").await?;

    // The social worker reads and records on their own case only.
    let own = server
        .ok_as(Role::SocialWorker, CASE, json!({ "id": mine }))
        .await?;
    assert_eq!(own.pointer("/case/child/name"), Some(&json!("Named Child")));
    server
        .ok_as(
            Role::SocialWorker,
            REVIEW,
            json!({ "i": { "caseId": mine, "occurredOn": "2026-01-30" } }),
        )
        .await?;
    let (code, _, _) = server
        .error_as(Role::SocialWorker, CASE, json!({ "id": theirs }))
        .await?;
    assert_eq!(code, "FORBIDDEN");
    let (code, _, _) = server
        .error_as(
            Role::SocialWorker,
            REVIEW,
            json!({ "i": { "caseId": theirs, "occurredOn": "2026-01-30" } }),
        )
        .await?;
    assert_eq!(code, "FORBIDDEN");
    // A case that does not exist is refused exactly like one out of reach.
    let missing = uuid::Uuid::now_v7().to_string();
    let (code, message_missing, _) = server
        .error_as(Role::SocialWorker, CASE, json!({ "id": missing }))
        .await?;
    let (_, message_theirs, _) = server
        .error_as(Role::SocialWorker, CASE, json!({ "id": theirs }))
        .await?;
    assert_eq!(
        (code.as_str(), message_missing.as_str()),
        ("FORBIDDEN", message_theirs.as_str())
    );
    let listed = server
        .ok_as(
            Role::SocialWorker,
            "{ cases { edges { node { id } } } }",
            json!({}),
        )
        .await?;
    let ids: Vec<&str> = listed
        .pointer("/cases/edges")
        .and_then(Value::as_array)
        .context("edges")?
        .iter()
        .filter_map(|e| e.pointer("/node/id").and_then(Value::as_str))
        .collect();
    assert_eq!(
        ids,
        vec![mine.as_str()],
        "a caseload lists only the worker's cases"
    );

    // A leader sees the case pseudonymised, and may not write.
    let seen = server
        .ok_as(Role::Leader, CASE, json!({ "id": theirs }))
        .await?;
    assert_eq!(
        seen.pointer("/case/child"),
        Some(
            &json!({ "reference": "AC2", "name": null, "birthDate": null, "birthMonth": "2019-03" })
        )
    );
    let (code, _, _) = server
        .error_as(
            Role::Leader,
            REVIEW,
            json!({ "i": { "caseId": theirs, "occurredOn": "2026-01-30" } }),
        )
        .await?;
    assert_eq!(code, "FORBIDDEN");
    // An administrator manages users, not case content.
    let (code, _, _) = server
        .error_as(Role::Administrator, CASE, json!({ "id": mine }))
        .await?;
    assert_eq!(code, "FORBIDDEN");
    // A panel member reads only cases on the agendas of panels they sit on.
    let (code, _, _) = server
        .error_as(Role::PanelMember, CASE, json!({ "id": mine }))
        .await?;
    assert_eq!(code, "FORBIDDEN");
    // Recording a panel's recommendation or an agency decision belongs to those roles.
    server
        .ok(SET_ROUTE_PLAN, json!({ "i": { "caseId": mine, "route": "LONG_TERM_FOSTERING", "occurredOn": "2026-02-02" } }))
        .await?;
    let step =
        "mutation($i: RecordRouteStepInput!) { recordRouteStep(input: $i) { case { version } } }";
    server
        .ok_as(Role::SocialWorker, step, json!({ "i": { "caseId": mine, "route": "LONG_TERM_FOSTERING", "step": "carer_identified", "occurredOn": "2026-02-10" } }))
        .await?;
    let panel = json!({ "i": { "caseId": mine, "route": "LONG_TERM_FOSTERING", "step": "panel_recommendation", "occurredOn": "2026-03-05" } });
    let (code, _, _) = server
        .error_as(Role::SocialWorker, step, panel.clone())
        .await?;
    assert_eq!(code, "FORBIDDEN");
    server.ok_as(Role::PanelChair, step, panel).await?;

    // Every read above is in the audit log, chained.
    let store = server.engine().store();
    let reads = store
        .audit_of_record(permanence_auth::record_kind::CASE, &mine, 100)
        .await?;
    let by_worker: Vec<_> = reads.iter().filter(|r| r.actor == "sw.tester").collect();
    assert!(by_worker.iter().any(|r| r.query == "case"), "{reads:?}");
    assert!(by_worker.iter().any(|r| r.query == "cases"), "{reads:?}");
    assert!(
        !reads.iter().any(|r| r.actor == "leader.tester"),
        "the leader read only the other case"
    );
    let theirs_reads = store
        .audit_of_record(permanence_auth::record_kind::CASE, &theirs, 100)
        .await?;
    assert!(theirs_reads.iter().any(|r| r.actor == "leader.tester"));
    assert!(
        !theirs_reads.iter().any(|r| r.actor == "sw.tester"),
        "a refused read is not a read"
    );
    let rows = store.audit_page(0, 10_000).await?;
    let summary = verify_chain(rows.into_iter().map(|r| (r.entry, r.hash)))
        .map_err(|b| anyhow::anyhow!("audit chain broken: {b:?}"))?;
    // The worker's `case` and `cases` reads of their case, and the leader's read of the other:
    // refused requests read nothing and leave no row.
    assert_eq!(summary.rows, 3, "{summary:?}");
    Ok(())
}
on_both_backends!(access_follows_the_policy, roles_reach_what_the_policy_says);

async fn revoked_and_expired_tokens_are_refused(server: &TestServer) -> anyhow::Result<()> {
    let store = server.engine().store();
    let tokens = store.list_tokens().await?;
    let (token, _) = tokens
        .iter()
        .find(|(_, username)| username == "sw.tester")
        .context("the social worker's token")?;
    assert!(store.revoke_token(token.id, server.engine().now()).await?);
    let (status, body) =
        status_without_token(server, Some(&server.bearer(Role::SocialWorker))).await?;
    assert_eq!(status, 401);
    assert!(
        body.pointer("/errors/0/message")
            .and_then(Value::as_str)
            .is_some_and(|m| m.contains("revoked")),
        "{body}"
    );
    Ok(())
}
on_both_backends!(
    revoked_tokens_are_refused,
    revoked_and_expired_tokens_are_refused
);
