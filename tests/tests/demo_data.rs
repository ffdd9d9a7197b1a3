//! End-to-end: a synthetic cohort recorded through the engine with no refusal, then read
//! back through GraphQL as a leader would: drifting cases and adopted children are there, on
//! SQLite and PostgreSQL.

use anyhow::{Context, ensure};
use permanence_auth::Role;
use permanence_cohort::{CohortConfig, years_before};
use permanence_e2e::serde_json::{Value, json};
use permanence_e2e::{TestServer, on_both_backends};
use permanence_server::demo::{DemoOptions, record_cohort};
use std::collections::BTreeSet;

const CHILDREN: usize = 200;
/// A seed whose cohort drifts in every way the generator knows (see the test output).
const SEED: u64 = 6;

/// Follows a connection's pages; answers every node.
async fn all_nodes(
    server: &TestServer,
    query: &str,
    path: &str,
    variables: Value,
) -> anyhow::Result<Vec<Value>> {
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let mut vars = variables.clone();
        vars["after"] = after.clone();
        let data = server.ok_as(Role::Leader, query, vars).await?;
        let page = data.pointer(path).context("connection")?;
        nodes.extend(page["nodes"].as_array().context("nodes")?.iter().cloned());
        if page.pointer("/pageInfo/hasNextPage") != Some(&Value::Bool(true)) {
            return Ok(nodes);
        }
        after = page
            .pointer("/pageInfo/endCursor")
            .cloned()
            .context("cursor")?;
    }
}

async fn cohort_is_recorded_and_reported(server: &TestServer) -> anyhow::Result<()> {
    let engine = server.engine();
    let today = engine.today();
    let config = CohortConfig::new(CHILDREN, SEED, today);
    let options = DemoOptions::for_engine(engine);
    let report = record_cohort(engine, &config, &options, |_| {}).await;
    println!("{report}");
    ensure!(
        report.is_clean(),
        "the cohort was not recorded cleanly:\n{report}"
    );
    ensure!(report.children_recorded == CHILDREN);
    ensure!(report.commands as usize == report.stats.commands);

    // Every case the generator left drifting after a panel shows as overdue, after panel.
    let drifting: BTreeSet<String> = permanence_cohort::generate(&config)
        .iter()
        .filter(|s| s.periods.iter().any(|p| p.drift.is_some()))
        .map(|s| s.child.reference.clone())
        .collect();
    ensure!(!drifting.is_empty(), "the cohort has no drifting case");
    let drift = all_nodes(
        server,
        "query($after: String) { drift(afterPanelOnly: true, overdueOnly: true, first: 100, after: $after) {
            nodes { case { child { reference } } deadline { rule } daysStalled }
            pageInfo { hasNextPage endCursor } } }",
        "/drift",
        json!({}),
    )
    .await?;
    let stalled: BTreeSet<String> = drift
        .iter()
        .filter_map(|n| n.pointer("/case/child/reference").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    let missing: Vec<&String> = drifting.difference(&stalled).collect();
    ensure!(
        missing.is_empty(),
        "drifting cases not reported as drifting: {missing:?}"
    );
    // A match decision with no placement, and a panel recommendation with no decision.
    let rules: BTreeSet<&str> = drift
        .iter()
        .filter_map(|n| n.pointer("/deadline/rule").and_then(Value::as_str))
        .collect();
    println!("drift after panel by rule: {rules:?}");
    ensure!(rules.contains("placement_after_match"), "{rules:?}");
    ensure!(rules.contains("adm_match_decision"), "{rules:?}");
    ensure!(rules.contains("long_term_match_confirmed"), "{rules:?}");

    let overdue = all_nodes(
        server,
        "query($after: String) { cases(filter: {driftStatus: OVERDUE, open: true}, first: 100, after: $after) {
            nodes { id child { reference } } pageInfo { hasNextPage endCursor } } }",
        "/cases",
        json!({}),
    )
    .await?;
    println!(
        "{} drifting after panel as generated, {} cases with an overdue deadline, {} overdue items after panel",
        drifting.len(),
        overdue.len(),
        drift.len()
    );
    ensure!(overdue.len() >= drifting.len());

    // Adopted children are in the leaders' figures: A1 counts each of them.
    let data = server
        .ok_as(
            Role::Leader,
            "query($from: Date!, $to: Date!) { timeliness(from: $from, to: $to) {
                a1 { children meanDays } a2 { children } report { adoptions { children } a5Reversals } } }",
            json!({ "from": config.start, "to": today }),
        )
        .await?;
    let a1 = data
        .pointer("/timeliness/a1/children")
        .and_then(Value::as_u64)
        .context("a1")?;
    let adopted = data
        .pointer("/timeliness/report/adoptions/children")
        .and_then(Value::as_u64)
        .context("adoptions")?;
    println!(
        "timeliness {} to {today}: {}",
        config.start, data["timeliness"]
    );
    ensure!(a1 > 0, "no adopted child in A1");
    ensure!(
        adopted as usize == report.stats.adopted,
        "adoptions {adopted} against {}",
        report.stats.adopted
    );
    ensure!(
        a1 == adopted,
        "A1 counts {a1} of {adopted} adopted children"
    );
    ensure!(config.start == years_before(today, 10));
    Ok(())
}

on_both_backends!(demo_cohort, cohort_is_recorded_and_reported);
