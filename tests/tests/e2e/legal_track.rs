//! End-to-end: the legal track through GraphQL, on SQLite and PostgreSQL. A child may go
//! through the Public Law Outline more than once in a period of care, and the order made at
//! the final hearing reaches the rest of the case: a care order is legal status C2 from its
//! day, a placement order the adoption plan's step and legal status E1.

use anyhow::Context;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{SET_ROUTE_PLAN, TestServer, child_in_care, on_both_backends, record_steps};

const RECORD_LEGAL_STEP: &str = "mutation($i: RecordLegalStepInput!) { recordLegalStep(input: $i) {
    case { legalTrack { proceedingsIssuedOn finalHearingOn finalOrder }
           legalRounds { preProceedingsStartedOn preProceedingsEndedOn preProceedingsOutcome
                         proceedingsIssuedOn finalHearingOn finalOrder }
           placements { startsOn legalStatus placement }
           primaryPlan { currentStep } }
    recorded { kind label } } }";

async fn legal(
    server: &TestServer,
    case_id: &str,
    step: &str,
    on: &str,
    order: Option<&str>,
) -> anyhow::Result<Value> {
    server
        .ok(
            RECORD_LEGAL_STEP,
            json!({ "i": { "caseId": case_id, "step": step, "occurredOn": on, "finalOrder": order } }),
        )
        .await
        .with_context(|| format!("recording {step} on {on}"))
}

async fn rounds_and_a_care_order(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "PLO1", "2019-02-01", "2025-01-06").await?;
    // The first round, before the child entered care, stepped down.
    legal(server, &id, "PRE_PROCEEDINGS_STARTED", "2024-09-02", None).await?;
    legal(
        server,
        &id,
        "LETTER_BEFORE_PROCEEDINGS_SENT",
        "2024-09-03",
        None,
    )
    .await?;
    legal(
        server,
        &id,
        "PRE_PROCEEDINGS_STEPPED_DOWN",
        "2024-11-29",
        None,
    )
    .await?;
    // Concerns return: proceedings issued without a second pre-proceedings.
    let (code, message, field) = server
        .error(
            RECORD_LEGAL_STEP,
            json!({ "i": { "caseId": id, "step": "PROCEEDINGS_ISSUED", "occurredOn": "2024-11-28" } }),
        )
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("occurredOn"))
    );
    assert!(message.contains("end of the earlier"), "{message}");
    legal(server, &id, "PROCEEDINGS_ISSUED", "2025-01-07", None).await?;
    legal(
        server,
        &id,
        "CASE_MANAGEMENT_HEARING_HELD",
        "2025-01-21",
        None,
    )
    .await?;
    let data = legal(
        server,
        &id,
        "FINAL_HEARING_HELD",
        "2025-06-30",
        Some("CARE_ORDER"),
    )
    .await?;
    let case = data.pointer("/recordLegalStep/case").context("case")?;
    assert_eq!(
        case["legalRounds"],
        json!([
            { "preProceedingsStartedOn": "2024-09-02", "preProceedingsEndedOn": "2024-11-29",
              "preProceedingsOutcome": "SteppedDown", "proceedingsIssuedOn": null,
              "finalHearingOn": null, "finalOrder": null },
            { "preProceedingsStartedOn": null, "preProceedingsEndedOn": null,
              "preProceedingsOutcome": null, "proceedingsIssuedOn": "2025-01-07",
              "finalHearingOn": "2025-06-30", "finalOrder": "CARE_ORDER" },
        ])
    );
    assert_eq!(
        case["legalTrack"],
        json!({ "proceedingsIssuedOn": "2025-01-07", "finalHearingOn": "2025-06-30",
                "finalOrder": "CARE_ORDER" })
    );
    // The care order: a new episode from its day, legal status C2, the placement unchanged.
    assert_eq!(
        case["placements"],
        json!([
            { "startsOn": "2025-01-06", "legalStatus": "C1", "placement": "U6" },
            { "startsOn": "2025-06-30", "legalStatus": "C2", "placement": "U6" },
        ])
    );
    let kinds: Vec<&str> = data
        .pointer("/recordLegalStep/recorded")
        .and_then(Value::as_array)
        .context("recorded")?
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["LegalStepRecorded", "EpisodeStarted"]);
    Ok(())
}
on_both_backends!(
    a_child_goes_through_the_legal_track_twice_and_a_care_order_sets_c2,
    rounds_and_a_care_order
);

async fn a_placement_order(server: &TestServer) -> anyhow::Result<()> {
    let id = child_in_care(server, "PLO2", "2023-02-01", "2024-03-04").await?;
    legal(server, &id, "PROCEEDINGS_ISSUED", "2024-03-05", None).await?;
    let final_hearing = json!({ "i": { "caseId": id, "step": "FINAL_HEARING_HELD",
                                       "occurredOn": "2024-08-30", "finalOrder": "PLACEMENT_ORDER" } });
    let (code, message, _) = server
        .error(RECORD_LEGAL_STEP, final_hearing.clone())
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(message.contains("no adoption plan"), "{message}");
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2024-04-01" } }),
        )
        .await?;
    // No decision that the child should be placed for adoption yet: the route refuses.
    let (code, message, _) = server
        .error(RECORD_LEGAL_STEP, final_hearing.clone())
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(
        message.starts_with("a placement order is the adoption plan's placement order step: "),
        "{message}"
    );
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[("shobpa_decision", "2024-05-10")],
    )
    .await?;
    let data = server.ok(RECORD_LEGAL_STEP, final_hearing).await?;
    let case = data.pointer("/recordLegalStep/case").context("case")?;
    assert_eq!(case["primaryPlan"]["currentStep"], "placement_order");
    assert_eq!(
        case["placements"][1],
        json!({ "startsOn": "2024-08-30", "legalStatus": "E1", "placement": "U6" })
    );
    let labels: Vec<&str> = data
        .pointer("/recordLegalStep/recorded")
        .and_then(Value::as_array)
        .context("recorded")?
        .iter()
        .filter_map(|e| e["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "Final hearing held: placement order",
            "Placement order",
            "Placement or legal status changed: foster placement with other foster carer, not long-term or fostering for adoption (U6), legal status placement order granted (E1)",
        ]
    );
    Ok(())
}
on_both_backends!(
    a_placement_order_at_the_final_hearing_is_the_adoption_step_and_e1,
    a_placement_order
);

const AT_HOME: &str = "mutation($i: RecordLegalStepAtHomeInput!) { recordLegalStepAtHome(input: $i) {
    duplicate
    legalAtHome { team version underWay
        rounds { preProceedingsStartedOn letterBeforeProceedingsOn continuedInCareOn continuedOnCase }
        deadlines(asOf: \"2026-11-02\") { rule dueOn status timescale } } } }";

async fn at_home(server: &TestServer) -> anyhow::Result<()> {
    // A child at home, known to the service, with no period of care.
    let data = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "PLOH", "birthDate": "2021-04-01",
                           "sex": "MALE", "ethnicity": "WBRI" } }),
        )
        .await?;
    let child = data
        .pointer("/registerChild/child/id")
        .and_then(Value::as_str)
        .context("child id")?
        .to_owned();
    let step = |step: &str, on: &str, team: Option<&str>| json!({ "i": { "childId": child, "step": step, "occurredOn": on, "team": team } });

    // The record needs the team that holds the child's case.
    let (code, _, field) = server
        .error(AT_HOME, step("PRE_PROCEEDINGS_STARTED", "2026-06-01", None))
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("team"))
    );
    // The legal gateway meeting decides to enter pre-proceedings.
    let command_id = "0192b9d0-0000-7000-8000-00000000a001";
    let mut first = step("PRE_PROCEEDINGS_STARTED", "2026-06-01", Some("Team A"));
    first["i"]["commandId"] = json!(command_id);
    let data = server.ok(AT_HOME, first.clone()).await?;
    let record = data
        .pointer("/recordLegalStepAtHome/legalAtHome")
        .context("record")?;
    assert_eq!(record["team"], "Team A");
    assert_eq!(record["underWay"], true);
    // Sixteen weeks of pre-proceedings from 1 June: due 21 September, overdue on 2 November.
    assert_eq!(
        record["deadlines"],
        json!([{ "rule": "pre_proceedings", "dueOn": "2026-09-21", "status": "OVERDUE",
                 "timescale": "16 weeks" }])
    );
    // The same command again records nothing.
    let again = server.ok(AT_HOME, first).await?;
    assert_eq!(
        again.pointer("/recordLegalStepAtHome/duplicate"),
        Some(&json!(true))
    );
    assert_eq!(
        again.pointer("/recordLegalStepAtHome/legalAtHome/version"),
        Some(&json!(1))
    );
    server
        .ok(
            AT_HOME,
            step("LETTER_BEFORE_PROCEEDINGS_SENT", "2026-06-03", None),
        )
        .await?;
    // A care order makes the child looked after: it is recorded on their case.
    let mut care_order = step("FINAL_HEARING_HELD", "2026-06-10", None);
    care_order["i"]["finalOrder"] = json!("CARE_ORDER");
    let (code, message, _) = server.error(AT_HOME, care_order).await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(message.contains("looked after"), "{message}");

    // The team manager's list of children at home in the Public Law Outline.
    let listed = server
        .ok(
            "{ legalAtHomeUnderWay { child { reference } legalAtHome { underWay } } }",
            json!({}),
        )
        .await?;
    assert_eq!(
        listed["legalAtHomeUnderWay"],
        json!([{ "child": { "reference": "PLOH" }, "legalAtHome": { "underWay": true } }])
    );

    // The child enters care: the round goes on on their case.
    let data = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id
                legalTrack { preProceedingsStartedOn letterBeforeProceedingsOn }
                deadlines(asOf: \"2026-11-02\") { rule dueOn } } } }",
            json!({ "i": { "childId": child, "enteredCareOn": "2026-07-01", "legalStatus": "V2",
                           "placement": "U6", "provider": "PR1", "carer": "FC-1", "team": "Team A" } }),
        )
        .await?;
    let case = data.pointer("/enterCare/case").context("case")?;
    let case_id = case["id"].as_str().context("case id")?.to_owned();
    assert_eq!(
        case["legalTrack"],
        json!({ "preProceedingsStartedOn": "2026-06-01", "letterBeforeProceedingsOn": "2026-06-03" })
    );
    assert!(
        case["deadlines"]
            .as_array()
            .context("deadlines")?
            .iter()
            .any(|d| d["rule"] == "pre_proceedings" && d["dueOn"] == "2026-09-21"),
        "{case}"
    );
    let data = server
        .ok(
            "query($id: UUID!) { child(id: $id) { legalAtHome { underWay
                rounds { preProceedingsStartedOn continuedInCareOn continuedOnCase }
                deadlines { rule } } } }",
            json!({ "id": child }),
        )
        .await?;
    assert_eq!(
        data.pointer("/child/legalAtHome"),
        Some(&json!({ "underWay": false, "deadlines": [], "rounds": [
            { "preProceedingsStartedOn": "2026-06-01", "continuedInCareOn": "2026-07-01",
              "continuedOnCase": case_id },
            { "preProceedingsStartedOn": null, "continuedInCareOn": null, "continuedOnCase": null },
        ] }))
    );
    let listed = server
        .ok("{ legalAtHomeUnderWay { child { reference } } }", json!({}))
        .await?;
    assert_eq!(listed["legalAtHomeUnderWay"], json!([]));
    // While the child is in care, legal steps are recorded on the case.
    let (code, message, _) = server
        .error(AT_HOME, step("PROCEEDINGS_ISSUED", "2026-07-02", None))
        .await?;
    assert_eq!(code, "TRANSITION_NOT_ALLOWED");
    assert!(
        message.contains("record the legal step on their case"),
        "{message}"
    );
    Ok(())
}
on_both_backends!(
    the_public_law_outline_for_a_child_at_home_goes_on_in_care,
    at_home
);
