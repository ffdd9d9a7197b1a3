//! The leaders' dashboard's cohort, recorded through the API, whose figures the dashboard
//! tests work out by hand (`tests/tests/e2e/dashboard.rs`), and what a leader must never read in
//! its pages and downloads.

use crate::serde_json::{Value, json};
use crate::{CLOSE_CASE, SET_ROUTE_PLAN, TestServer, child_in_care, record_steps};
use anyhow::{Context, ensure};

/// The child named in the cohort, whose name, birth date and postcodes a leader must never
/// read.
pub const NAME: &str = "Amelia Example";
pub const BORN: &str = "2024-11-14";
pub const HOME_POSTCODE: &str = "SW1A 1AA";
pub const PLACEMENT_POSTCODE: &str = "M1 1AE";

/// Every child's birth date, in every written form a page could use.
pub const BIRTH_DATES: &[&str] = &["2023-05-02", "2024-02-19", "2024-12-30", "2025-09-22", BORN];

pub struct Cohort {
    pub d2: String,
    pub d3: String,
    pub d5: String,
}

fn id_at(data: &Value, pointer: &str) -> anyhow::Result<String> {
    Ok(data
        .pointer(pointer)
        .and_then(Value::as_str)
        .with_context(|| format!("{pointer} in {data}"))?
        .to_owned())
}

/// An adoption through the API, from the plan to the order and leaving care.
async fn adopted(
    server: &TestServer,
    id: &str,
    plan_on: &str,
    steps: &[(&str, &str)],
    reason: &str,
) -> anyhow::Result<()> {
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": plan_on } }),
        )
        .await?;
    record_steps(server, id, "ADOPTION", steps).await?;
    let order_on = steps
        .last()
        .map(|(_, on)| *on)
        .context("the adoption order")?;
    server
        .ok(
            CLOSE_CASE,
            json!({ "i": { "caseId": id, "reason": reason, "occurredOn": order_on } }),
        )
        .await?;
    Ok(())
}

/// The cohort, worked by hand:
///
/// - D1 (Team A) entered care 8 Jan 2024, placement order 3 Jun 2024, match 9 Sep 2024,
///   placed 23 Sep 2024, adopted 3 Mar 2025 (the period before): A1 = 259, A2 = 98.
/// - D2 (Team A) entered 5 Aug 2024, order 3 Feb 2025, match 8 Sep 2025, placed 20 Oct
///   2025, adopted 13 Apr 2026: A1 = 441 (over 426: not within 14 months), A2 = 217.
/// - D3 (South) entered 13 Jan 2025 with carers approved to foster and adopt, who adopt
///   him: decision 3 Mar 2025, order 2 Jun 2025, match 10 Nov 2025, placed 17 Nov 2025,
///   adopted 1 Jun 2026: A1 = 308, A10 = 0, A2 = 161. On 2 Nov 2025 he was waiting.
/// - D4 (Team A) entered 5 Jan 2026, decision 4 May 2026, not placed: waiting now. Her
///   first review was held on 20 Feb 2026, after it was due; her initial health assessment
///   on 30 Jan 2026, before it was due (with the first review).
/// - D5 (named, moved to team East) entered 2 Jun 2025, decision 1 Dec 2025, not placed:
///   waiting now.
pub async fn cohort(server: &TestServer) -> anyhow::Result<Cohort> {
    let d1 = child_in_care(server, "D1", BIRTH_DATES[0], "2024-01-08").await?;
    adopted(
        server,
        &d1,
        "2024-02-01",
        &[
            ("shobpa_decision", "2024-03-04"),
            ("placement_order", "2024-06-03"),
            ("family_finding", "2024-06-04"),
            ("matching_panel_recommendation", "2024-09-02"),
            ("match_decision", "2024-09-09"),
            ("placed_for_adoption", "2024-09-23"),
            ("adoption_application", "2024-12-02"),
            ("adoption_order", "2025-03-03"),
        ],
        "E11",
    )
    .await?;

    let d2 = child_in_care(server, "D2", BIRTH_DATES[1], "2024-08-05").await?;
    adopted(
        server,
        &d2,
        "2024-09-02",
        &[
            ("shobpa_decision", "2024-10-07"),
            ("placement_order", "2025-02-03"),
            ("family_finding", "2025-02-04"),
            ("matching_panel_recommendation", "2025-09-01"),
            ("match_decision", "2025-09-08"),
            ("placed_for_adoption", "2025-10-20"),
            ("adoption_application", "2026-01-05"),
            ("adoption_order", "2026-04-13"),
        ],
        "E11",
    )
    .await?;

    let d3 = adopted_by_foster_carers(server).await?;

    let d4 = child_in_care(server, "D4", BIRTH_DATES[3], "2026-01-05").await?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": d4, "route": "ADOPTION", "occurredOn": "2026-02-02" } }),
        )
        .await?;
    record_steps(
        server,
        &d4,
        "ADOPTION",
        &[("shobpa_decision", "2026-05-04")],
    )
    .await?;
    server
        .ok(
            "mutation($i: RecordDatedInput!) { recordReview(input: $i) { duplicate } }",
            json!({ "i": { "caseId": d4, "occurredOn": "2026-02-20" } }),
        )
        .await?;
    server
        .ok(
            "mutation($i: RecordDatedInput!) { recordHealthAssessment(input: $i) { duplicate } }",
            json!({ "i": { "caseId": d4, "occurredOn": "2026-01-30" } }),
        )
        .await?;

    let d5 = named_child_waiting(server).await?;
    Ok(Cohort { d2, d3, d5 })
}

async fn adopted_by_foster_carers(server: &TestServer) -> anyhow::Result<String> {
    let child = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "D3", "birthDate": BIRTH_DATES[2],
                           "sex": "MALE", "ethnicity": "MWBC" } }),
        )
        .await?;
    let child_id = id_at(&child, "/registerChild/child/id")?;
    let case = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": "2025-01-13", "legalStatus": "C1",
                           "placement": "U5", "provider": "PR1", "carer": "FC-9", "team": "South" } }),
        )
        .await?;
    let id = id_at(&case, "/enterCare/case/id")?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2025-02-03" } }),
        )
        .await?;
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[
            ("shobpa_decision", "2025-03-03"),
            ("placement_order", "2025-06-02"),
            ("family_finding", "2025-06-03"),
            ("matching_panel_recommendation", "2025-11-03"),
            ("match_decision", "2025-11-10"),
            ("placed_for_adoption", "2025-11-17"),
        ],
    )
    .await?;
    server
        .ok(
            "mutation($i: RecordPlacementChangeInput!) { recordPlacementChange(input: $i) { case { version } } }",
            json!({ "i": { "caseId": id, "occurredOn": "2025-11-17", "placement": "A5", "legalStatus": "E1" } }),
        )
        .await?;
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[
            ("adoption_application", "2026-02-02"),
            ("adoption_order", "2026-06-01"),
        ],
    )
    .await?;
    server
        .ok(
            CLOSE_CASE,
            json!({ "i": { "caseId": id, "reason": "E12", "occurredOn": "2026-06-01" } }),
        )
        .await?;
    Ok(id)
}

async fn named_child_waiting(server: &TestServer) -> anyhow::Result<String> {
    let child = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "D5", "birthDate": BORN,
                           "sex": "FEMALE", "ethnicity": "WBRI", "name": NAME } }),
        )
        .await?;
    let child_id = id_at(&child, "/registerChild/child/id")?;
    let case = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": "2025-06-02", "legalStatus": "C2",
                           "placement": "U3", "provider": "PR1", "carer": "FC-5", "team": "Team A",
                           "homePostcode": HOME_POSTCODE, "placementPostcode": PLACEMENT_POSTCODE } }),
        )
        .await?;
    let id = id_at(&case, "/enterCare/case/id")?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": id, "route": "ADOPTION", "occurredOn": "2025-07-01" } }),
        )
        .await?;
    record_steps(
        server,
        &id,
        "ADOPTION",
        &[("shobpa_decision", "2025-12-01")],
    )
    .await?;
    // Moved to a team the test team manager does not manage: out of their reach from now on.
    server
        .ok(
            "mutation($i: AllocateCaseInput!) { allocateCase(input: $i) { duplicate } }",
            json!({ "i": { "caseId": id, "occurredOn": "2026-01-05", "team": "East" } }),
        )
        .await?;
    Ok(id)
}

/// Fails if `text` (a page, or a download read as text) holds the cohort's name, a postcode,
/// a carer's reference or a birth date in any of the forms a page or a file could write it.
pub fn assert_nothing_identifying(what: &str, html: &str) -> anyhow::Result<()> {
    for text in [NAME, HOME_POSTCODE, PLACEMENT_POSTCODE, "FC-5", "FC-9"] {
        ensure!(!html.contains(text), "{what} shows {text}");
    }
    for born in BIRTH_DATES {
        let date = chrono::NaiveDate::parse_from_str(born, "%Y-%m-%d")?;
        for form in [
            date.format("%Y-%m-%d").to_string(),
            date.format("%d/%m/%Y").to_string(),
            date.format("%-d %B %Y").to_string(),
        ] {
            ensure!(!html.contains(&form), "{what} shows the birth date {form}");
        }
    }
    Ok(())
}
