//! Pages of cases read through a store that keeps the states it has parsed (see the store's
//! `case_states`) give what a store that has parsed nothing gives, before and after another
//! process changes a case; and the API's pages that read their cases' children and
//! deadlines ahead answer as a case read on its own does.

use anyhow::{Context, ensure};
use permanence_domain::CaseId;
use permanence_e2e::{SET_ROUTE_PLAN, TestServer, child_in_care, on_both_backends};
use permanence_engine::store::{CaseFilter, CaseRecord, Store};
use serde_json::{Value, json};

/// Each case's id, version and whole state, as JSON, in the page's order.
fn as_read(page: &[CaseRecord]) -> anyhow::Result<Vec<(CaseId, i64, String)>> {
    page.iter()
        .map(|case| Ok((case.id, case.version, serde_json::to_string(&*case.state)?)))
        .collect()
}

async fn page(store: &Store) -> anyhow::Result<Vec<CaseRecord>> {
    Ok(store.cases_page(&CaseFilter::default(), None, 100).await?)
}

async fn pages_agree_with_a_fresh_store(server: &TestServer) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(child_in_care(server, &format!("READ{n}"), "2019-03-01", "2025-01-10").await?);
    }
    let store = server.engine().store();
    let first = as_read(&page(store).await?)?;
    ensure!(first.len() == 4, "{} cases", first.len());
    // Read again: from the parsed states, and the same.
    ensure!(
        as_read(&page(store).await?)? == first,
        "a second read differs"
    );

    // Another process (a store of its own on the same database) has read every case; then
    // the server changes one.
    let elsewhere = Store::connect(store.url()).await?;
    ensure!(
        as_read(&page(&elsewhere).await?)? == first,
        "another store reads the same"
    );
    server
        .ok(
            SET_ROUTE_PLAN,
            json!({ "i": { "caseId": ids[1], "route": "ADOPTION", "occurredOn": "2025-02-01" } }),
        )
        .await?;
    let after = as_read(&page(&elsewhere).await?)?;
    let fresh = as_read(&page(&Store::connect(store.url()).await?).await?)?;
    ensure!(
        after == fresh,
        "a store that had parsed the case gives an old state"
    );
    let changed = after
        .iter()
        .find(|(id, _, _)| id.0.to_string() == ids[1])
        .context("the changed case")?;
    let before = first
        .iter()
        .find(|(id, _, _)| id == &changed.0)
        .context("the case, before")?;
    ensure!(changed.1 > before.1, "the new version is read");
    ensure!(changed.2 != before.2, "the new state is read");
    ensure!(
        changed.2.contains("\"plans\":[{"),
        "the plan is in the state read"
    );
    Ok(())
}
on_both_backends!(
    pages_of_cases_agree_with_a_fresh_store,
    pages_agree_with_a_fresh_store
);

const PAGE: &str = "{ cases(first: 50) { edges { node { id child { reference } \
    deadlines { rule dueOn status } } } } }";
const ONE: &str = "query($id: UUID!) { case(id: $id) { id child { reference } \
    deadlines { rule dueOn status } } }";
const DRIFT: &str = "{ drift(first: 50, asOf: \"2030-01-01\") { edges { node { \
    case { id child { reference } deadlines { rule dueOn } } deadline { rule } } } } }";

/// A page's cases, which read their children and deadlines ahead, answer as each case read
/// on its own does (through the loaders); and so do a drift page's.
async fn read_ahead_answers_as_each_case_alone(server: &TestServer) -> anyhow::Result<()> {
    for n in 0..3 {
        child_in_care(server, &format!("AHEAD{n}"), "2018-06-01", "2025-03-01").await?;
    }
    let listed = server.ok(PAGE, json!({})).await?;
    let edges = listed
        .pointer("/cases/edges")
        .and_then(Value::as_array)
        .context("edges")?;
    ensure!(edges.len() == 3, "{listed}");
    for edge in edges {
        let node = &edge["node"];
        let alone = server.ok(ONE, json!({ "id": node["id"] })).await?;
        ensure!(alone["case"] == *node, "{} against {node}", alone["case"]);
        let deadlines = node["deadlines"].as_array().context("deadlines")?;
        ensure!(
            !deadlines.is_empty(),
            "a case in care has deadlines: {node}"
        );
        ensure!(node["child"]["reference"].is_string(), "{node}");
    }
    let drift = server.ok(DRIFT, json!({})).await?;
    let items = drift
        .pointer("/drift/edges")
        .and_then(Value::as_array)
        .context("drift edges")?;
    ensure!(!items.is_empty(), "{drift}");
    for item in items {
        let case = &item["node"]["case"];
        let alone = server.ok(ONE, json!({ "id": case["id"] })).await?;
        ensure!(
            alone["case"]["child"] == case["child"],
            "{alone} against {case}"
        );
        let rules = |v: &Value| -> Vec<(Value, Value)> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .map(|d| (d["rule"].clone(), d["dueOn"].clone()))
                        .collect()
                })
                .unwrap_or_default()
        };
        ensure!(
            rules(&alone["case"]["deadlines"]) == rules(&case["deadlines"]),
            "{alone} against {case}"
        );
    }
    Ok(())
}
on_both_backends!(read_ahead_pages, read_ahead_answers_as_each_case_alone);
