//! The report facts the store keeps beside each case are what the case's state gives, on
//! SQLite and PostgreSQL, whichever way the case was written (the import's batches, one
//! command), and reports read from them equal reports worked out from the states: with the
//! rows there, with none (a database from before the table), and with rows of another
//! format, which are never read. `fill_report_facts` (run by `migrate`) restores them.

use anyhow::{Context, ensure};
use permanence_cohort::CohortConfig;
use permanence_domain::measures::{CaseFacts, GroupBy};
use permanence_domain::{CaseId, Command};
use permanence_e2e::{TestServer, on_both_backends};
use permanence_engine::{Actor, CommandMeta, Engine};
use permanence_server::demo::{DemoOptions, record_cohort};
use std::collections::HashMap;

const CHILDREN: usize = 150;
const SEED: u64 = 6;

/// Every report the dashboard and the API make, as JSON, over a cold read of the cases.
async fn reports(engine: &Engine, authority: &str) -> anyhow::Result<String> {
    engine.clear_report_cache().await;
    let data = engine.report_data_in(&[authority.to_owned()]).await?;
    let to = engine.today();
    let from = to - chrono::Days::new(3 * 365);
    let mut out = Vec::new();
    for by in [
        None,
        Some(GroupBy::Team),
        Some(GroupBy::Route),
        Some(GroupBy::Sex),
        Some(GroupBy::AgeBandAtEntry),
        Some(GroupBy::Ethnicity),
        Some(GroupBy::LocalAuthority),
    ] {
        out.push(serde_json::to_value(data.report(from, to, by))?);
    }
    out.push(serde_json::to_value(data.quarters(from, to))?);
    out.push(serde_json::to_value(data.children_waiting(to))?);
    Ok(serde_json::to_string(&out)?)
}

/// Every case's stored facts equal those of its state, at its version.
async fn stored_facts_are_the_states(engine: &Engine, authority: &str) -> anyhow::Result<usize> {
    let store = engine.store();
    let stored: HashMap<CaseId, (i64, CaseFacts)> = store
        .report_facts(authority)
        .await?
        .into_iter()
        .map(|row| (row.facts.case_id, (row.version, row.facts)))
        .collect();
    let cases = store.cases_with_children(Some(authority)).await?;
    ensure!(
        stored.len() == cases.len(),
        "{} facts rows for {} cases",
        stored.len(),
        cases.len()
    );
    for (case, child) in &cases {
        let (version, facts) = stored
            .get(&case.id)
            .with_context(|| format!("no facts row for case {}", case.id))?;
        ensure!(
            *version == case.version,
            "case {}: facts at version {version}, case at {}",
            case.id,
            case.version
        );
        ensure!(
            *facts == CaseFacts::of(&case.state),
            "case {}: the stored facts are not the state's",
            case.id
        );
        ensure!(child.local_authority == authority);
    }
    Ok(cases.len())
}

async fn facts_follow_the_cases(server: &TestServer) -> anyhow::Result<()> {
    let engine = server.engine();
    let config = CohortConfig::new(CHILDREN, SEED, engine.today());
    // Through the import's batches.
    let report = record_cohort(engine, &config, &DemoOptions::in_batches(40), |_| {}).await;
    ensure!(report.is_clean(), "{report}");
    let store = engine.store();
    let first = store
        .cases_with_children(None)
        .await?
        .into_iter()
        .find(|(case, _)| case.state.is_open())
        .context("an open case")?;
    let authority = first.0.state.local_authority.clone();

    // And one command: a case moved to a team no other case has.
    engine
        .execute(
            &CommandMeta {
                actor: Actor("worker-1".to_owned()),
                command_id: None,
                expected_version: None,
                note: None,
            },
            first.0.id,
            Command::AllocateCase {
                on: engine.today(),
                team: Some("Moved here".to_owned()),
                allocated_worker: None,
            },
        )
        .await?;
    let cases = stored_facts_are_the_states(engine, &authority).await?;
    ensure!(cases >= CHILDREN, "{cases} cases for {CHILDREN} children");

    let from_facts = reports(engine, &authority).await?;
    ensure!(
        from_facts.contains("\"Moved here\""),
        "the team the command gave is in the breakdown by team"
    );

    // A database from before the table: every case is worked out from its state.
    store
        .execute_raw_for_tests("DELETE FROM case_report_facts")
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(store.report_facts(&authority).await?.is_empty());
    ensure!(
        reports(engine, &authority).await? == from_facts,
        "reports worked out from the states differ from those read from the facts"
    );
    let filled = store.fill_report_facts().await?;
    ensure!(
        filled as usize == cases,
        "{filled} rows filled for {cases} cases"
    );
    stored_facts_are_the_states(engine, &authority).await?;
    ensure!(
        store.fill_report_facts().await? == 0,
        "a second fill writes nothing"
    );
    ensure!(reports(engine, &authority).await? == from_facts);

    // Some rows missing: those cases are worked out from their states, the rest read.
    store
        .execute_raw_for_tests(
            "DELETE FROM case_report_facts WHERE case_id IN \
             (SELECT case_id FROM case_report_facts ORDER BY case_id LIMIT 3)",
        )
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(reports(engine, &authority).await? == from_facts);
    ensure!(store.fill_report_facts().await? == 3);

    // Rows of another format are not read, and a fill writes them again.
    store
        .execute_raw_for_tests("UPDATE case_report_facts SET format = format + 1")
        .await
        .map_err(anyhow::Error::msg)?;
    ensure!(store.report_facts(&authority).await?.is_empty());
    ensure!(reports(engine, &authority).await? == from_facts);
    ensure!(store.fill_report_facts().await? as usize == cases);
    ensure!(reports(engine, &authority).await? == from_facts);
    Ok(())
}

on_both_backends!(report_facts, facts_follow_the_cases);
