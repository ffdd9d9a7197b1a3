//! End-to-end: a child's care recorded step by step through the GraphQL API, then exported
//! as the national return (SSDA903) by `permanence ssda903 export`: the rows are the ones the
//! specification asks for, worked out by hand, on SQLite and PostgreSQL.

use anyhow::Context;
use permanence_cohort::CohortConfig;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::ssda903::{TempDir, export_to, imported, quiet};
use permanence_e2e::{SET_ROUTE_PLAN, TestServer, on_both_backends, record_steps};
use permanence_server::demo::{DemoOptions, record_cohort};
use permanence_server::ssda903::import::{ImportProblem, import_files, read_dir};
use permanence_ssda903::import::SourceFile;

const PLACEMENT_CHANGE: &str = "mutation($i: RecordPlacementChangeInput!) { recordPlacementChange(input: $i) { case { version } } }";

async fn placement_change(server: &TestServer, input: Value) -> anyhow::Result<()> {
    server.ok(PLACEMENT_CHANGE, json!({ "i": input })).await?;
    Ok(())
}

/// Registers a girl and records her adoption, with every fact the return needs.
async fn record_an_adoption(server: &TestServer) -> anyhow::Result<()> {
    let data = server
        .ok(
            "mutation($i: RegisterChildInput!) { registerChild(input: $i) { child { id } } }",
            json!({ "i": { "localAuthority": "E10000003", "reference": "A1", "birthDate": "2022-03-01",
                           "sex": "FEMALE", "ethnicity": "WBRI", "upn": "a873200122001",
                           "mother": false } }),
        )
        .await?;
    let child_id = data
        .pointer("/registerChild/child/id")
        .and_then(Value::as_str)
        .context("child id")?;
    let data = server
        .ok(
            "mutation($i: EnterCareInput!) { enterCare(input: $i) { case { id } } }",
            json!({ "i": { "childId": child_id, "enteredCareOn": "2025-04-10", "legalStatus": "C1",
                           "placement": "U6", "provider": "PR1", "carer": "FC-1",
                           "homePostcode": "pe13 2hh", "placementPostcode": "CB7 9BR",
                           "urn": "SC100001", "categoryOfNeed": "N1" } }),
        )
        .await?;
    let case_id = data
        .pointer("/enterCare/case/id")
        .and_then(Value::as_str)
        .context("case id")?
        .to_owned();
    server
        .ok(
            "mutation($i: RecordDatedInput!) { recordReview(input: $i) { case { version } } }",
            json!({ "i": { "caseId": case_id, "occurredOn": "2025-05-05", "participation": "PN0" } }),
        )
        .await?;
    // New foster carers: the first placement ended at the carers' request.
    placement_change(
        server,
        json!({ "caseId": case_id, "occurredOn": "2025-05-20", "carer": "FC-2",
                "placementPostcode": "CB2 1TN", "urn": "SC100001",
                "placementChangeReason": "CREQO" }),
    )
    .await?;
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": case_id, "route": "ADOPTION", "role": "PRIMARY",
                           "occurredOn": "2025-06-01" } }),
        )
        .await?;
    record_steps(
        server,
        &case_id,
        "ADOPTION",
        &[
            ("shobpa_decision", "2025-06-10"),
            ("placement_order", "2025-08-01"),
        ],
    )
    .await?;
    // The placement order is a change of legal status only.
    placement_change(
        server,
        json!({ "caseId": case_id, "occurredOn": "2025-08-01", "legalStatus": "E1" }),
    )
    .await?;
    record_steps(
        server,
        &case_id,
        "ADOPTION",
        &[
            ("family_finding", "2025-08-02"),
            ("matching_panel_recommendation", "2025-09-01"),
            ("match_decision", "2025-09-05"),
        ],
    )
    .await?;
    server
        .ok(
            "mutation($i: RecordAdoptersInput!) { recordAdopters(input: $i) { case { version } } }",
            json!({ "i": { "caseId": case_id, "occurredOn": "2025-09-05", "sex": "MF",
                           "legalStatus": "L11" } }),
        )
        .await?;
    record_steps(
        server,
        &case_id,
        "ADOPTION",
        &[("placed_for_adoption", "2025-09-20")],
    )
    .await?;
    placement_change(
        server,
        json!({ "caseId": case_id, "occurredOn": "2025-09-20", "placement": "A6",
                "provider": "PR1", "carer": "AD-1", "placementPostcode": "SG8 7PD",
                "urn": "SC100001", "placementChangeReason": "CARPL" }),
    )
    .await?;
    record_steps(
        server,
        &case_id,
        "ADOPTION",
        &[
            ("adoption_application", "2025-12-01"),
            ("adoption_order", "2026-02-10"),
        ],
    )
    .await?;
    server
        .ok(
            permanence_e2e::CLOSE_CASE,
            json!({ "i": { "caseId": case_id, "reason": "E11", "occurredOn": "2026-02-10" } }),
        )
        .await?;
    Ok(())
}

async fn steps_recorded_through_the_api_are_exported(server: &TestServer) -> anyhow::Result<()> {
    record_an_adoption(server).await?;
    let dir = TempDir::new();
    export_to(server, &dir, 2026).await?;
    assert_eq!(
        dir.read("header.csv")?,
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n\
         A1,F,01/03/2022,WBRI,A873200122001,0,\n"
    );
    assert_eq!(
        dir.read("episodes.csv")?,
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n\
         A1,10/04/2025,S,C1,N1,U6,PR1,20/05/2025,X1,CREQO,PE13 2HH,CB7 9BR,SC100001\n\
         A1,20/05/2025,P,C1,N1,U6,PR1,01/08/2025,X1,,PE13 2HH,CB2 1TN,SC100001\n\
         A1,01/08/2025,L,E1,N1,U6,PR1,20/09/2025,X1,CARPL,PE13 2HH,CB2 1TN,SC100001\n\
         A1,20/09/2025,P,E1,N1,A6,PR1,10/02/2026,E11,,PE13 2HH,SG8 7PD,SC100001\n"
    );
    assert_eq!(
        dir.read("reviews.csv")?,
        "CHILD,DOB,REVIEW,REVIEW_CODE\nA1,01/03/2022,05/05/2025,PN0\n"
    );
    assert_eq!(
        dir.read("ad1.csv")?,
        "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\n\
         A1,01/03/2022,10/06/2025,05/09/2025,0,2,MF,L11\n"
    );
    assert_eq!(
        dir.read("placed_for_adoption.csv")?,
        "CHILD,DOB,DATE_PLACED,DATE_PLACED_CEASED,REASON_PLACED_CEASED\n\
         A1,01/03/2022,10/06/2025,,\n"
    );
    // The year before the child entered care has nobody in it.
    let earlier = TempDir::new();
    export_to(server, &earlier, 2025).await?;
    assert_eq!(
        earlier.read("episodes.csv")?,
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    );
    Ok(())
}

on_both_backends!(
    export_of_recorded_steps,
    steps_recorded_through_the_api_are_exported
);

/// Records a generated cohort through the engine, refusing nothing.
async fn recorded_cohort(
    server: &TestServer,
    children: usize,
    seed: u64,
    options: &DemoOptions,
) -> anyhow::Result<()> {
    let engine = server.engine();
    let config = CohortConfig::new(children, seed, engine.today());
    let report = record_cohort(engine, &config, options, |_| {}).await;
    anyhow::ensure!(report.is_clean(), "{report}");
    Ok(())
}

/// A recorded cohort, exported, imported into an empty database and exported again: the two
/// returns are the same, byte for byte; importing the same files again records nothing.
async fn a_return_survives_the_round_trip(server: &TestServer) -> anyhow::Result<()> {
    recorded_cohort(server, 150, 6, &DemoOptions::for_engine(server.engine())).await?;
    let first = TempDir::new();
    export_to(server, &first, 2026).await?;
    let files = read_dir(&first.0)?;

    let other = server.start_like().await?;
    let outcome = imported(other.engine(), &files).await?;
    anyhow::ensure!(outcome.children_registered > 50, "{outcome:?}");
    anyhow::ensure!(outcome.commands_skipped == 0, "{outcome:?}");
    let second = TempDir::new();
    export_to(&other, &second, 2026).await?;
    assert_eq!(first.files()?, second.files()?);

    let again = imported(other.engine(), &files).await?;
    assert_eq!(again.commands_recorded, 0, "{again:?}");
    assert_eq!(again.children_registered, 0);
    // Every command of the first import (each opening included) is known as recorded.
    assert_eq!(again.commands_skipped, outcome.commands_recorded);
    let third = TempDir::new();
    export_to(&other, &third, 2026).await?;
    assert_eq!(first.files()?, third.files()?);
    other.stop().await
}

on_both_backends!(round_trip, a_return_survives_the_round_trip);

/// A return of an earlier collection year, imported after a later one, describes the same
/// periods of care from earlier first episodes: refused whole, naming each such period's
/// DECOM, rather than recording a second period of care beside the first (or failing in the
/// database).
async fn another_years_return_is_refused(server: &TestServer) -> anyhow::Result<()> {
    recorded_cohort(server, 60, 11, &DemoOptions::for_engine(server.engine())).await?;
    let later = TempDir::new();
    export_to(server, &later, 2026).await?;
    let earlier = TempDir::new();
    export_to(server, &earlier, 2025).await?;

    let other = server.start_like().await?;
    imported(other.engine(), &read_dir(&later.0)?).await?;
    let before = other.engine().store().all_case_ids().await?.len();
    let Err(ImportProblem::Refused(errors)) =
        import_files(other.engine(), "E10000003", &read_dir(&earlier.0)?, &quiet).await
    else {
        anyhow::bail!("the earlier year's return was not refused");
    };
    // Periods that began in the later year's file with another first episode collide with
    // the held ones; others (the same first episode) replay steps older than those held,
    // which the domain refuses in its own words. Either way, nothing is recorded.
    let collisions = errors
        .iter()
        .filter(|e| e.column == "DECOM" && e.reason.contains("oldest collection year first"))
        .count();
    anyhow::ensure!(
        collisions > 0,
        "no period refused as a collision: {errors:?}"
    );
    assert_eq!(
        other.engine().store().all_case_ids().await?.len(),
        before,
        "nothing is recorded"
    );
    other.stop().await
}

on_both_backends!(another_year_refused, another_years_return_is_refused);

/// An authority loads its returns year by year: the earlier collection year's, then the
/// later one's. Periods of care running across the year's start continue (the later return
/// begins them at the episode then running); the database then writes both returns exactly
/// as they were read, and loading either again records nothing.
async fn a_later_years_return_continues_the_earlier(server: &TestServer) -> anyhow::Result<()> {
    recorded_cohort(server, 80, 11, &DemoOptions::in_batches(40)).await?;
    let earlier = TempDir::new();
    export_to(server, &earlier, 2025).await?;
    let later = TempDir::new();
    export_to(server, &later, 2026).await?;

    let other = server.start_like().await?;
    let import = |dir: &TempDir| {
        let files = read_dir(&dir.0);
        let engine = other.engine().clone();
        async move { imported(&engine, &files?).await }
    };
    let first = import(&earlier).await?;
    let second = import(&later).await?;
    println!("earlier year: {first:?}\nlater year: {second:?}");
    anyhow::ensure!(
        second.cases_changed > 10,
        "few periods continued: {second:?}"
    );
    anyhow::ensure!(second.commands_skipped > 0, "{second:?}");

    for (year, original) in [(2025, &earlier), (2026, &later)] {
        let written = TempDir::new();
        export_to(&other, &written, year).await?;
        assert_eq!(
            original.files()?,
            written.files()?,
            "the {year} return as read and as written"
        );
    }
    for dir in [&earlier, &later] {
        let again = import(dir).await?;
        assert_eq!(again.commands_recorded, 0, "{again:?}");
    }
    other.stop().await
}

on_both_backends!(
    later_year_continues,
    a_later_years_return_continues_the_earlier
);

fn file(name: &str, text: &str) -> SourceFile {
    SourceFile {
        name: name.to_owned(),
        text: text.to_owned(),
    }
}

/// A return with a bad date, an unknown code and a child with no Header row is refused
/// whole, every problem named by file, row and column, and nothing is recorded.
async fn a_return_with_errors_is_refused_whole(server: &TestServer) -> anyhow::Result<()> {
    let files = [
        file(
            "h.csv",
            "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n\
             K1,M,01/02/2015,WBRI,UN4,,\n\
             K2,F,03/04/2016,WBRI,UN4,0,\n",
        ),
        file(
            "e.csv",
            "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n\
             K1,31/04/2025,S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n\
             K2,01/05/2025,S,C1,N1,Q9,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n",
        ),
        file(
            "r.csv",
            "CHILD,DOB,REVIEW,REVIEW_CODE\nK3,01/02/2015,01/06/2025,PN1\n",
        ),
    ];
    let Err(ImportProblem::Refused(errors)) =
        import_files(server.engine(), "E10000003", &files, &quiet).await
    else {
        anyhow::bail!("the import was not refused");
    };
    let found: Vec<(String, usize, String)> = errors
        .iter()
        .map(|e| (e.file.clone(), e.row, e.column.clone()))
        .collect();
    assert_eq!(
        found,
        [
            ("e.csv".to_owned(), 2, "DECOM".to_owned()),
            ("e.csv".to_owned(), 3, "PLACE".to_owned()),
            ("r.csv".to_owned(), 2, "CHILD".to_owned()),
        ]
    );
    assert!(errors[0].reason.contains("dd/mm/yyyy"), "{}", errors[0]);
    assert!(
        errors[1].reason.contains("placement type code"),
        "{}",
        errors[1]
    );
    assert!(errors[2].reason.contains("no Header row"), "{}", errors[2]);
    // No value from the files is repeated in the messages.
    for error in &errors {
        let text = error.to_string();
        assert!(
            !text.contains("31/04/2025") && !text.contains("Q9"),
            "{text}"
        );
    }
    let children = server
        .engine()
        .store()
        .children_by_references("E10000003", &["K1".to_owned(), "K2".to_owned()])
        .await?;
    assert!(children.is_empty(), "nothing is recorded");
    Ok(())
}

on_both_backends!(refused_whole, a_return_with_errors_is_refused_whole);

const HEADER: &str =
    "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nK1,M,01/02/2015,WBRI,A873200120001,,\n";
const EPISODES: &str = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n";

/// Next month's files hold this month's rows and more: importing them adds only the more.
async fn next_month_adds_what_is_new(server: &TestServer) -> anyhow::Result<()> {
    let this_month = [
        file("header.csv", HEADER),
        file(
            "episodes.csv",
            &format!("{EPISODES}K1,01/05/2025,S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n"),
        ),
        file(
            "reviews.csv",
            "CHILD,DOB,REVIEW,REVIEW_CODE\nK1,01/02/2015,01/06/2025,PN1\n",
        ),
    ];
    let next_month = [
        file("header.csv", HEADER),
        file(
            "episodes.csv",
            &format!(
                "{EPISODES}K1,01/05/2025,S,C1,N1,U6,PR1,01/07/2025,X1,CREQB,PE13 2HH,CB7 9BR,SC100001\n\
                 K1,01/07/2025,P,C1,N1,U6,PR1,,,,PE13 2HH,CB2 1TN,SC100001\n"
            ),
        ),
        file(
            "reviews.csv",
            "CHILD,DOB,REVIEW,REVIEW_CODE\nK1,01/02/2015,01/06/2025,PN1\nK1,01/02/2015,01/09/2025,PN5\n",
        ),
    ];
    let first = imported(server.engine(), &this_month).await?;
    // The opening, what the return held for the period, and the review.
    assert_eq!((first.cases_opened, first.commands_recorded), (1, 3));
    let second = imported(server.engine(), &next_month).await?;
    assert_eq!(
        (
            second.cases_opened,
            second.cases_changed,
            second.commands_recorded,
            second.commands_skipped
        ),
        (0, 1, 2, 3),
        "{second:?}"
    );
    let dir = TempDir::new();
    export_to(server, &dir, 2026).await?;
    assert_eq!(
        dir.read("episodes.csv")?,
        format!(
            "{EPISODES}K1,01/05/2025,S,C1,N1,U6,PR1,01/07/2025,X1,CREQB,PE13 2HH,CB7 9BR,SC100001\n\
             K1,01/07/2025,P,C1,N1,U6,PR1,,,,PE13 2HH,CB2 1TN,SC100001\n"
        )
    );
    assert_eq!(
        dir.read("reviews.csv")?,
        "CHILD,DOB,REVIEW,REVIEW_CODE\nK1,01/02/2015,01/06/2025,PN1\nK1,01/02/2015,01/09/2025,PN5\n"
    );
    // Imported events say where they came from.
    let cases = server
        .engine()
        .store()
        .cases_with_children(Some("E10000003"))
        .await?;
    let events = server.engine().store().case_events(cases[0].0.id).await?;
    assert_eq!(
        events[0].note.as_deref(),
        Some("imported from episodes.csv row 2")
    );
    assert_eq!(events[0].actor, "ssda903-import");
    assert_eq!(
        events.last().and_then(|e| e.note.as_deref()),
        Some("imported from reviews.csv row 3")
    );
    Ok(())
}

on_both_backends!(next_month, next_month_adds_what_is_new);

const CASE_DEADLINES: &str =
    "query($id: UUID!) { case(id: $id) { deadlines { key status dueOn daysOverdue } } }";
const DRIFT: &str = "query($status: DriftStatus, $overdueOnly: Boolean! = false) {
    drift(status: $status, overdueOnly: $overdueOnly, first: 100) {
        nodes { case { id } deadline { key status dueOn } } } }";
const CASES_IN: &str = "query($status: DriftStatus!) { cases(filter: { driftStatus: $status }, first: 100) { nodes { id } } }";

/// (case id, deadline key, status, due date) of each drift item `status` asks for.
async fn drift_items(
    server: &TestServer,
    status: Value,
) -> anyhow::Result<Vec<(String, String, String, Value)>> {
    let data = server.ok(DRIFT, json!({ "status": status })).await?;
    let nodes = data
        .pointer("/drift/nodes")
        .and_then(Value::as_array)
        .context("drift nodes")?;
    Ok(nodes
        .iter()
        .map(|n| {
            let text = |p: &str| {
                n.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            (
                text("/case/id"),
                text("/deadline/key"),
                text("/deadline/status"),
                n.pointer("/deadline/dueOn").cloned().unwrap_or(Value::Null),
            )
        })
        .collect())
}

/// The ids of the cases listed with a deadline in `status`.
async fn cases_in(server: &TestServer, status: &str) -> anyhow::Result<Vec<String>> {
    let data = server.ok(CASES_IN, json!({ "status": status })).await?;
    Ok(data
        .pointer("/cases/nodes")
        .and_then(Value::as_array)
        .context("cases")?
        .iter()
        .filter_map(|n| n.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect())
}

/// A case's deadlines by key: (status, due date, days overdue).
async fn case_deadlines(
    server: &TestServer,
    case: &str,
) -> anyhow::Result<std::collections::BTreeMap<String, (String, Value, i64)>> {
    let data = server.ok(CASE_DEADLINES, json!({ "id": case })).await?;
    Ok(data
        .pointer("/case/deadlines")
        .and_then(Value::as_array)
        .context("deadlines")?
        .iter()
        .map(|d| {
            (
                d["key"].as_str().unwrap_or("").to_owned(),
                (
                    d["status"].as_str().unwrap_or("").to_owned(),
                    d["dueOn"].clone(),
                    d["daysOverdue"].as_i64().unwrap_or(-1),
                ),
            )
        })
        .collect())
}

/// A return with no Reviews table (and, as every national return, no dated health
/// assessments) brings in K1, who entered care on 1 May 2025, and K2, whose period began
/// before the return's first episode of it. On 2 November 2026 a live case would have its
/// first review and initial health assessment overdue by more than a year; the imported
/// ones are "not known from the return": not on the drift board, not counted as overdue,
/// not escalated, sorted after what is known, and listed when asked for by that status.
/// Once a worker records a health assessment (K1) or a review (K2), that chain is known.
async fn imported_care_planning_is_not_known_from_the_return(
    server: &TestServer,
) -> anyhow::Result<()> {
    let files = [
        file(
            "header.csv",
            &format!("{HEADER}K2,F,03/04/2016,WBRI,UN4,0,\n"),
        ),
        file(
            "episodes.csv",
            &format!(
                "{EPISODES}K1,01/05/2025,S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n\
                 K2,01/03/2025,P,C2,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n"
            ),
        ),
    ];
    imported(server.engine(), &files).await?;
    let store = server.engine().store();
    let mut imported_ids = std::collections::BTreeMap::new();
    for (case, child) in store.cases_with_children(Some("E10000003")).await? {
        imported_ids.insert(child.reference, case.id.to_string());
    }
    let (k1, k2) = (imported_ids["K1"].clone(), imported_ids["K2"].clone());
    // A live child, in care since 1 October 2026: the first review was due on 29 October.
    let live = permanence_e2e::child_in_care(server, "L1", "2019-05-01", "2026-10-01").await?;

    // The drift board: the live case's overdue items, nothing of the imported ones.
    let board = drift_items(server, Value::Null).await?;
    assert!(
        board
            .iter()
            .any(|(case, key, status, _)| *case == live && key == "review" && status == "OVERDUE"),
        "{board:?}"
    );
    assert!(
        board.iter().all(|(case, ..)| *case == live),
        "only the live case drifts: {board:?}"
    );
    for status in ["OVERDUE", "DUE_SOON"] {
        let listed = drift_items(server, json!(status)).await?;
        assert!(listed.iter().all(|(case, ..)| *case == live), "{listed:?}");
        let cases = cases_in(server, status).await?;
        assert!(
            !cases.contains(&k1) && !cases.contains(&k2),
            "{status}: {cases:?}"
        );
    }
    assert_eq!(cases_in(server, "OVERDUE").await?, vec![live.clone()]);

    // Asked for by their own status: the care-planning chains of both imported periods.
    let not_known = drift_items(server, json!("NOT_KNOWN_FROM_RETURN")).await?;
    let mut listed: Vec<(String, String)> = not_known
        .iter()
        .map(|(case, key, status, due)| {
            assert_eq!(status, "NOT_KNOWN_FROM_RETURN");
            assert_eq!(*due, Value::Null, "no due date is shown");
            (case.clone(), key.clone())
        })
        .collect();
    listed.sort();
    let mut expected: Vec<(String, String)> = [&k1, &k2]
        .into_iter()
        .flat_map(|case| {
            ["health_assessment", "permanence_plan", "review", "visit"]
                .map(|key| (case.clone(), key.to_owned()))
        })
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    let mut with_unknowns = cases_in(server, "NOT_KNOWN_FROM_RETURN").await?;
    with_unknowns.sort();
    let mut both = vec![k1.clone(), k2.clone()];
    both.sort();
    assert_eq!(with_unknowns, both);
    let (code, _, field) = server
        .error(DRIFT, json!({ "status": "DUE_SOON", "overdueOnly": true }))
        .await?;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("VALIDATION", Some("status"))
    );

    // The case's own deadlines say so too.
    let deadlines = case_deadlines(server, &k1).await?;
    for key in ["review", "health_assessment", "permanence_plan", "visit"] {
        assert_eq!(
            deadlines.get(key),
            Some(&("NOT_KNOWN_FROM_RETURN".to_owned(), Value::Null, 0)),
            "{key}: {deadlines:?}"
        );
    }

    // Sorted by the next deadline, the live case comes first: the imported ones have no
    // deadline the engine knows.
    use permanence_engine::store::{CaseFilter, CaseOrder};
    let open = CaseFilter {
        open: Some(true),
        ..CaseFilter::default()
    };
    let sorted = store
        .cases_sorted(&open, CaseOrder::NextDeadline, 0, 10)
        .await?;
    assert_eq!(
        sorted.iter().map(|c| c.id.to_string()).collect::<Vec<_>>()[0],
        live
    );

    // Escalation tells the team manager about the live case's review, and no one about the
    // imported periods.
    let counts = server.engine().escalate(None).await?;
    assert!(counts.overdue > 0, "{counts:?}");
    let notices = store.notifications_after(0, 1_000).await?;
    assert!(notices.iter().any(|n| n.case_id.to_string() == live));
    assert!(
        notices
            .iter()
            .all(|n| n.case_id.to_string() != k1 && n.case_id.to_string() != k2),
        "{notices:?}"
    );

    // The pages: a grey "Not known from the return", never "Overdue"; sorted by the next
    // deadline, the imported children come after the live one; the home page's filter
    // asks for them by that status.
    permanence_e2e::give_password(server.engine(), permanence_auth::Role::TeamManager).await?;
    let client = permanence_e2e::pages::no_redirects()?;
    let (session, _) = permanence_e2e::pages::http_sign_in(server, &client, "tm.tester").await?;
    let page = |path: String| {
        let (client, session) = (client.clone(), session.clone());
        async move {
            anyhow::Ok(
                client
                    .get(server.server.url(&path))
                    .header(reqwest::header::COOKIE, session)
                    .send()
                    .await?
                    .text()
                    .await?,
            )
        }
    };
    let case_page = page(format!("/cases/{k1}")).await?;
    assert!(
        case_page.contains("govuk-tag--grey\">Not known from the return<"),
        "{case_page}"
    );
    assert!(!case_page.contains("Overdue"), "{case_page}");
    let home = page("/?sort=deadline".to_owned()).await?;
    let at = |reference: &str| home.find(&format!(">{reference}<"));
    assert!(
        at("L1").is_some() && at("K1").is_some() && at("K2").is_some(),
        "{home}"
    );
    assert!(at("L1") < at("K1") && at("L1") < at("K2"), "{home}");
    assert!(home.contains("Not known from the return"), "{home}");
    let overdue = page("/?status=OVERDUE".to_owned()).await?;
    assert!(overdue.contains(">L1<") && !overdue.contains(">K1<") && !overdue.contains(">K2<"));
    let unknown = page("/?status=NOT_KNOWN_FROM_RETURN".to_owned()).await?;
    assert!(unknown.contains(">K1<") && unknown.contains(">K2<") && !unknown.contains(">L1<"));

    // A worker records K1's health assessment (15 October 2026; K1 is 11): the next is due
    // a year later. The review chain is still not known.
    server
        .ok(
            "mutation($i: RecordDatedInput!) { recordHealthAssessment(input: $i) { case { id } } }",
            json!({ "i": { "caseId": k1, "occurredOn": "2026-10-15" } }),
        )
        .await?;
    let deadlines = case_deadlines(server, &k1).await?;
    assert_eq!(
        deadlines.get("health_assessment"),
        Some(&("ON_TRACK".to_owned(), json!("2027-10-15"), 0))
    );
    assert_eq!(
        deadlines.get("review").map(|d| d.0.as_str()),
        Some("NOT_KNOWN_FROM_RETURN")
    );
    // And K2's review of 1 June 2026: the period began before the return, so this is not
    // its first review; the next is due within 6 months (1 December), not 3 (overdue since
    // 1 September).
    server
        .ok(
            "mutation($i: RecordDatedInput!) { recordReview(input: $i) { case { id } } }",
            json!({ "i": { "caseId": k2, "occurredOn": "2026-06-01" } }),
        )
        .await?;
    let deadlines = case_deadlines(server, &k2).await?;
    assert_eq!(
        deadlines.get("review"),
        Some(&("ON_TRACK".to_owned(), json!("2026-12-01"), 0))
    );
    // And a visit to K1 on 20 October 2026: the return held none, so the chain starts
    // from it, 6 weeks on (the placement of 1 May 2025 is past its first year, and not a
    // long-term one).
    server
        .ok(
            "mutation($i: RecordVisitInput!) { recordVisit(input: $i) { case { id } } }",
            json!({ "i": { "caseId": k1, "occurredOn": "2026-10-20" } }),
        )
        .await?;
    let deadlines = case_deadlines(server, &k1).await?;
    assert_eq!(
        deadlines.get("visit").map(|d| &d.1),
        Some(&json!("2026-12-01"))
    );
    let not_known = drift_items(server, json!("NOT_KNOWN_FROM_RETURN")).await?;
    assert!(
        !not_known.iter().any(|(case, key, ..)| (*case == k1
            && (key == "health_assessment" || key == "visit"))
            || (*case == k2 && key == "review")),
        "{not_known:?}"
    );
    assert_eq!(not_known.len(), 5, "{not_known:?}");
    Ok(())
}

on_both_backends!(
    not_known_from_the_return,
    imported_care_planning_is_not_known_from_the_return
);

/// A later return corrects a child's Header facts (here the UPN and the ethnicity), but not
/// the date of birth the periods of care held are dated from: that is refused whole.
async fn a_later_return_corrects_the_header(server: &TestServer) -> anyhow::Result<()> {
    let episodes = file(
        "episodes.csv",
        &format!("{EPISODES}K1,01/05/2025,S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n"),
    );
    let first = [file("header.csv", HEADER), episodes.clone()];
    imported(server.engine(), &first).await?;
    let corrected_header =
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nK1,M,01/02/2015,WIRI,B873200120002,,\n";
    let corrected = [file("header.csv", corrected_header), episodes.clone()];
    let outcome = imported(server.engine(), &corrected).await?;
    assert_eq!(
        (
            outcome.children_registered,
            outcome.children_corrected,
            outcome.commands_recorded
        ),
        (0, 1, 0),
        "{outcome:?}"
    );
    let dir = TempDir::new();
    export_to(server, &dir, 2026).await?;
    assert_eq!(dir.read("header.csv")?, corrected_header);
    // The same files again correct nothing.
    let again = imported(server.engine(), &corrected).await?;
    assert_eq!((again.children_corrected, again.commands_recorded), (0, 0));

    let other_birth_date = [
        file(
            "header.csv",
            "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nK1,M,02/02/2015,WIRI,B873200120002,,\n",
        ),
        file(
            "episodes.csv",
            &format!("{EPISODES}K1,01/05/2025,S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n"),
        ),
    ];
    let Err(ImportProblem::Refused(errors)) =
        import_files(server.engine(), "E10000003", &other_birth_date, &quiet).await
    else {
        anyhow::bail!("a different date of birth was accepted");
    };
    let reported: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(
        reported[0].starts_with(
            "header.csv (Header) row 2, column DOB: differs from the date of birth held"
        ),
        "{reported:?}"
    );
    // Refused whole: the Header held is still the corrected one.
    export_to(server, &dir, 2026).await?;
    assert_eq!(dir.read("header.csv")?, corrected_header);
    Ok(())
}

on_both_backends!(header_corrections, a_later_return_corrects_the_header);

/// With `--skip-refused-children`, a return with three children who cannot go in (an
/// unreadable date, a review outside any period of care, a date of birth that disagrees with
/// the one held) imports every other child, leaves those three out whole, and the report
/// lists exactly their rows; the default, all or nothing, imports none of it.
async fn refused_children_are_left_out(server: &TestServer) -> anyhow::Result<()> {
    use permanence_server::ssda903::import::{
        RefusedChildren, import_files_with, write_refused_report,
    };
    let header = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n";
    let episodes = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n";
    let episode = |child: &str, decom: &str| {
        format!("{child},{decom},S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n")
    };
    // Held already, born on another day than the return says.
    let held = [
        file("h.csv", &format!("{header}S5,M,01/02/2015,WBRI,UN4,,\n")),
        file(
            "e.csv",
            &format!("{episodes}{}", episode("S5", "01/03/2025")),
        ),
    ];
    import_files(server.engine(), "E10000003", &held, &quiet)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;

    let files = [
        file(
            "h.csv",
            &format!(
                "{header}G1,M,01/02/2015,WBRI,UN4,,\nS2,F,03/04/2016,WBRI,UN4,0,\n\
                 G3,F,05/06/2017,WBRI,UN4,0,\nS4,M,07/08/2018,WBRI,UN4,,\n\
                 S5,M,02/02/2015,WBRI,UN4,,\n"
            ),
        ),
        file(
            "e.csv",
            &format!(
                "{episodes}{}{}{}{}{}",
                episode("G1", "01/05/2025"),
                episode("S2", "31/04/2025"),
                episode("G3", "01/06/2025"),
                episode("S4", "01/07/2025"),
                episode("S5", "01/03/2025"),
            ),
        ),
        file(
            "r.csv",
            "CHILD,DOB,REVIEW,REVIEW_CODE\nS4,07/08/2018,01/01/2025,PN1\nG1,01/02/2015,01/06/2025,PN1\n",
        ),
    ];
    // All or nothing by default: nothing of the return goes in.
    let Err(ImportProblem::Refused(errors)) =
        import_files(server.engine(), "E10000003", &files, &quiet).await
    else {
        anyhow::bail!("the import was not refused");
    };
    assert!(!errors.is_empty());
    let store = server.engine().store();
    let good = ["G1".to_owned(), "G3".to_owned()];
    assert!(
        store
            .children_by_references("E10000003", &good)
            .await?
            .is_empty(),
        "nothing is recorded"
    );

    let report = import_files_with(
        server.engine(),
        "E10000003",
        &files,
        &quiet,
        RefusedChildren::LeaveOut,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let refused: Vec<(Option<String>, &str, usize, &str)> = report
        .left_out
        .iter()
        .map(|e| (e.child.clone(), e.file.as_str(), e.row, e.column.as_str()))
        .collect();
    assert_eq!(
        refused,
        [
            (Some("S2".to_owned()), "e.csv", 3, "DECOM"),
            (Some("S5".to_owned()), "h.csv", 6, "DOB"),
            (Some("S4".to_owned()), "r.csv", 2, "REVIEW"),
        ],
        "{:#?}",
        report.left_out
    );
    assert_eq!(report.children_left_out(), 3);
    assert_eq!(report.outcome.children_registered, 2);
    assert_eq!(report.outcome.cases_opened, 2);
    let imported = store.children_by_references("E10000003", &good).await?;
    assert_eq!(imported.len(), 2, "G1 and G3 are imported");
    let left_out = ["S2".to_owned(), "S4".to_owned()];
    assert!(
        store
            .children_by_references("E10000003", &left_out)
            .await?
            .is_empty(),
        "no half child: a child left out has nothing recorded"
    );
    // G1's review went in with G1.
    let g1 = imported.get("G1").context("G1")?;
    let cases = store.cases_of_children(&[g1.id]).await?;
    let case = cases
        .get(&g1.id)
        .and_then(|c| c.first())
        .context("G1's case")?;
    assert_eq!(case.state.reviews.len(), 1);

    // The report: one row per problem, naming the child, never repeating a value.
    let dir = TempDir::new();
    std::fs::create_dir_all(&dir.0)?;
    let path = dir.0.join("refused.csv");
    write_refused_report(&path, &report.left_out)?;
    let text = std::fs::read_to_string(&path)?;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "CHILD,file,table,row,column,reason");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with("S2,e.csv,Episodes,3,DECOM,"), "{text}");
    assert!(
        !text.contains("31/04/2025") && !text.contains("02/02/2015"),
        "{text}"
    );
    Ok(())
}

on_both_backends!(left_out, refused_children_are_left_out);
