//! End-to-end, on SQLite and PostgreSQL: an authority's real history goes in as it happened.
//!
//! `tests/assets/ssda903-patterns` is a hand-made return for 2025-26 with one child per
//! pattern that real returns hold and the national validator accepts (CI runs the validator
//! over it: `.ci/run`), each of which the route rules of live work would refuse or mismeasure:
//! - MATCHFIRST: matched (AD1 DATE_MATCH) before the placement order (the E1 episode);
//! - CONSENT: placed for adoption with consent (A4, V2), no placement order;
//! - ORDERAFTER: moved in with carers who became adopters (U5) before the placement order;
//! - DECIDELATE: the decision to place for adoption dated after the child moved in with the
//!   fostering-for-adoption carers;
//! - REENTRY: two periods of care, home in between;
//! - PARTWAY: a period that began before the first episode the return holds (RNE P);
//! - SAMECARER: a change of legal status and a change of placement with the same carer.
//!
//! The return imports whole, exports again byte for byte, notes what live work would have
//! refused on the case (shown by the API), and measures A1, A2 and A10 as worked out by hand
//! below, leaving out what the return cannot tell (the part-way period's start and order).

use anyhow::Context;
use permanence_auth::Role;
use permanence_domain::history::DataQualityKind;
use permanence_e2e::browser::Browser;
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::ssda903::{TempDir, export_to, imported};
use permanence_e2e::{TEST_PASSWORD, TestServer, give_password, on_both_backends};
use permanence_server::ssda903::import::read_dir;
use std::collections::BTreeMap;
use std::path::Path;

fn patterns_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/ssda903-patterns")
}

const CASES: &str = "{ cases(first: 50) { nodes {
    id
    child { reference }
    enteredCareOn
    beganBeforeItsHistory
    dataQualityNotes { on kind reason source }
    timeline { kind label }
} } }";

const MEASURES: &str = "query($from: Date!, $to: Date!) { timeliness(from: $from, to: $to) {
    a1 { cases { childReference days } }
    a2 { cases { childReference days } }
    a10 { cases { childReference days } }
} }";

/// A measure's cases as (child, days), sorted.
fn by_child(measure: &Value) -> anyhow::Result<Vec<(String, i64)>> {
    let mut out: Vec<(String, i64)> = measure["cases"]
        .as_array()
        .context("cases")?
        .iter()
        .map(|c| {
            (
                c["childReference"].as_str().unwrap_or_default().to_owned(),
                c["days"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    out.sort();
    Ok(out)
}

fn pairs(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    expected
        .iter()
        .map(|(c, d)| ((*c).to_owned(), *d))
        .collect()
}

async fn real_history_goes_in_as_it_happened(server: &TestServer) -> anyhow::Result<()> {
    let files = read_dir(&patterns_dir())?;
    let outcome = imported(server.engine(), &files).await?;
    // Seven children, eight periods of care (REENTRY has two).
    assert_eq!(
        (outcome.children_registered, outcome.cases_opened),
        (7, 8),
        "{outcome:?}"
    );
    assert_eq!(
        outcome.data_quality_notes,
        BTreeMap::from([
            (DataQualityKind::StepOutOfOrder, 1),
            (DataQualityKind::PrerequisiteMissing, 1),
        ]),
        "{outcome:?}"
    );

    // Exported again, the return is the same, byte for byte.
    let exported = TempDir::new();
    export_to(server, &exported, 2026).await?;
    let given: Vec<(String, String)> = files.into_iter().map(|f| (f.name, f.text)).collect();
    assert_eq!(exported.files()?, given);

    // The notes are on the case, with the rule and the row; only MATCHFIRST has any.
    let data = server.ok(CASES, json!({})).await?;
    let cases = data["cases"]["nodes"].as_array().context("cases")?;
    assert_eq!(cases.len(), 8);
    for case in cases {
        let child = case["child"]["reference"].as_str().unwrap_or_default();
        let notes = case["dataQualityNotes"].as_array().context("notes")?;
        match child {
            "MATCHFIRST" => assert_eq!(
                *notes,
                [
                    json!({
                        "on": "2025-08-01",
                        "kind": "PREREQUISITE_MISSING",
                        "reason": "the match decision needs the placement order or the adoption panel recommendation first",
                        "source": "imported from ad1.csv row 3",
                    }),
                    json!({
                        "on": "2025-08-15",
                        "kind": "STEP_OUT_OF_ORDER",
                        "reason": "the placement order is recorded after the match decision, which follows it on the route",
                        "source": "imported from episodes.csv row 8",
                    }),
                ],
                "{child}"
            ),
            _ => assert!(notes.is_empty(), "{child}: {notes:?}"),
        }
        assert_eq!(
            case["beganBeforeItsHistory"],
            json!(child == "PARTWAY"),
            "{child}"
        );
        // The timeline says what happened in words: which step, placement and order.
        if child == "MATCHFIRST" {
            let labels: Vec<&str> = case["timeline"]
                .as_array()
                .context("timeline")?
                .iter()
                .filter_map(|e| e["label"].as_str())
                .collect();
            for said in [
                "Entered care: foster placement with other foster carer, not long-term or fostering for adoption (U6), legal status full care order (C2)",
                "Placement order",
                "Data-quality note: step out of the route's order",
                "Left care: adopted, application for an adoption order unopposed (E11)",
            ] {
                assert!(labels.contains(&said), "{said:?} in {labels:?}");
            }
        }
    }

    // Worked out by hand from the files (DOMAIN.md §4), adoptions in 2025-26:
    // MATCHFIRST entered care 1 Apr 2025, moved in with adopters (A6) 1 Sep 2025: A1 153
    // days; A10 the same (not adopted by its foster carers); matched 1 Aug 2025 before the
    // order of 15 Aug 2025: A2 0.
    // CONSENT entered 1 Apr, placed (A4) 1 Sep: A1 and A10 153; no order, so no A2.
    // ORDERAFTER entered 1 Apr, placed with its foster carers (A5) 1 Sep: A1 153; those
    // carers took it in on 1 Jun (U5, the same carer since): A10 61; order 1 Aug, match
    // 20 Aug: A2 19.
    // PARTWAY began before 15 Jan 2025, its first held episode, already under a placement
    // order: its start and its order's day are not known, so it is in none of the three.
    let data = server
        .ok(
            MEASURES,
            json!({ "from": "2025-04-01", "to": "2026-03-31" }),
        )
        .await?;
    let t = &data["timeliness"];
    assert_eq!(
        by_child(&t["a1"])?,
        pairs(&[("CONSENT", 153), ("MATCHFIRST", 153), ("ORDERAFTER", 153)])
    );
    assert_eq!(
        by_child(&t["a10"])?,
        pairs(&[("CONSENT", 153), ("MATCHFIRST", 153), ("ORDERAFTER", 61)])
    );
    assert_eq!(
        by_child(&t["a2"])?,
        pairs(&[("MATCHFIRST", 0), ("ORDERAFTER", 19)])
    );

    // The case page shows the notes to the person checking the file, and says when the
    // period's start is not known.
    let case_of = |reference: &str| {
        cases
            .iter()
            .find(|c| c["child"]["reference"] == reference)
            .and_then(|c| c["id"].as_str())
            .map(str::to_owned)
            .with_context(|| format!("the case of {reference}"))
    };
    give_password(server.engine(), Role::TeamManager).await?;
    let browser = Browser::start(&server.server.url("")).await?;
    let matched_first = format!("/cases/{}", case_of("MATCHFIRST")?);
    browser.goto(&matched_first).await?;
    permanence_e2e::pages::sign_in(&browser, "tm.tester", TEST_PASSWORD).await?;
    browser.wait_for_path(&matched_first).await?;
    let table = browser.text("#data-quality").await?;
    assert!(table.contains("Step without its prerequisite"), "{table}");
    assert!(
        table.contains("imported from episodes.csv row 8"),
        "{table}"
    );
    assert!(!browser.exists("#history-start").await?);
    browser
        .assert_accessible("a case with data-quality notes")
        .await?;
    browser
        .assert_nothing_from_elsewhere("a case with data-quality notes")
        .await?;
    browser.screenshot("case-data-quality-notes").await?;
    browser
        .goto(&format!("/cases/{}", case_of("PARTWAY")?))
        .await?;
    assert!(
        browser
            .text("#history-start")
            .await?
            .contains("real start is not known")
    );
    assert!(!browser.exists("#data-quality").await?);
    browser.close().await?;

    // Imported again, nothing is added and no note is written twice.
    let again = imported(server.engine(), &read_dir(&patterns_dir())?).await?;
    assert_eq!(again.commands_recorded, 0, "{again:?}");
    assert!(again.data_quality_notes.is_empty(), "{again:?}");
    Ok(())
}

on_both_backends!(real_history, real_history_goes_in_as_it_happened);
