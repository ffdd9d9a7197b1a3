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

/// Follows a connection's pages as `role`; answers every node.
async fn all_nodes(
    server: &TestServer,
    role: Role,
    query: &str,
    path: &str,
    variables: Value,
) -> anyhow::Result<Vec<Value>> {
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let mut vars = variables.clone();
        vars["after"] = after.clone();
        let data = server.ok_as(role, query, vars).await?;
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

    // Some children in care are brothers and sisters: every group generated is recorded, and
    // a leader reads each one's decision and count on its members' cases.
    let scripts = permanence_cohort::generate(&config);
    let groups = permanence_cohort::sibling_groups(&config, &scripts);
    ensure!(!groups.is_empty(), "the cohort has no sibling group");
    ensure!(
        report.sibling_groups as usize == groups.len(),
        "{} of {} sibling groups recorded",
        report.sibling_groups,
        groups.len()
    );
    let open = all_nodes(
        server,
        Role::Leader,
        "query($after: String) { cases(filter: {open: true}, first: 100, after: $after) {
            nodes { siblingGroup { id memberCount members { case { id } } } }
            pageInfo { hasNextPage endCursor } } }",
        "/cases",
        json!({}),
    )
    .await?;
    let members: usize = groups.iter().map(|g| g.members.len()).sum();
    let in_groups: Vec<&Value> = open
        .iter()
        .filter_map(|n| n.get("siblingGroup").filter(|g| !g.is_null()))
        .collect();
    ensure!(
        in_groups.len() == members,
        "{} cases in groups",
        in_groups.len()
    );
    ensure!(
        in_groups.iter().all(|g| g["members"] == json!([])),
        "a leader sees no member of a group"
    );

    // The children at home with the Public Law Outline are recorded beside them, and those
    // with a round under way are on the team managers' list.
    let at_home = permanence_cohort::children_at_home(&config);
    ensure!(!at_home.is_empty() && report.children_at_home == at_home.len());
    let steps: usize = at_home.iter().map(|s| s.steps.len() + 1).sum();
    ensure!(report.commands_at_home as usize == steps);
    let listed = server
        .ok_as(
            Role::TeamManager,
            "{ legalAtHomeUnderWay { child { reference } legalAtHome { rounds { preProceedingsStartedOn } } } }",
            json!({}),
        )
        .await?;
    let listed = listed["legalAtHomeUnderWay"].as_array().context("list")?;
    ensure!(
        !listed.is_empty(),
        "no child at home is in the Public Law Outline"
    );
    ensure!(
        listed.len() < at_home.len(),
        "every round at home is under way"
    );

    // Every case the generator left drifting after a panel shows as overdue, after panel.
    let drifting: BTreeSet<String> = permanence_cohort::generate(&config)
        .iter()
        .filter(|s| s.periods.iter().any(|p| p.drift.is_some()))
        .map(|s| s.child.reference.clone())
        .collect();
    ensure!(!drifting.is_empty(), "the cohort has no drifting case");
    let drift = all_nodes(
        server,
        Role::Leader,
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
        Role::Leader,
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

/// Every case as the API shows it to the agency decision maker (free text included),
/// keyed by the child's reference and the day the period began: its version, dates, open
/// deadlines and whole timeline with command ids. The case's and child's own ids, which the
/// two ways of recording choose differently, are masked.
async fn cases_as_shown(
    server: &TestServer,
) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let cases = all_nodes(
        server,
        Role::AgencyDecisionMaker,
        "query($after: String) { cases(first: 100, after: $after) {
            nodes { id version status enteredCareOn leftCareOn reasonCeased permanencePlanOn
                    child { id reference }
                    plans { route role currentStep achieved endedOn reversedOn steps { step occurredOn } }
                    deadlines { key rule dueOn status }
                    timeline { sequence kind occurredOn actor commandId note data } }
            pageInfo { hasNextPage endCursor } } }",
        "/cases",
        json!({}),
    )
    .await?;
    let mut shown = std::collections::BTreeMap::new();
    for case in cases {
        let case_id = case["id"].as_str().context("case id")?.to_owned();
        let child_id = case
            .pointer("/child/id")
            .and_then(Value::as_str)
            .context("child id")?
            .to_owned();
        let key = format!(
            "{} {}",
            case.pointer("/child/reference")
                .and_then(Value::as_str)
                .context("reference")?,
            case["enteredCareOn"].as_str().context("entered care")?
        );
        let text = case
            .to_string()
            .replace(&case_id, "<case>")
            .replace(&child_id, "<child>");
        shown.insert(key, text);
    }
    Ok(shown)
}

/// The same cohort recorded in batches through the engine's import, and one command per
/// transaction on an empty database: the API shows the same cases, event for event, and a
/// second run in batches records nothing.
async fn batches_record_what_commands_record(server: &TestServer) -> anyhow::Result<()> {
    const SMALL: usize = 40;
    let engine = server.engine();
    let config = CohortConfig::new(SMALL, SEED, engine.today());
    // Batches of 7 children: several batches, the last one short.
    let batches = DemoOptions::in_batches(7);
    let report = record_cohort(engine, &config, &batches, |_| {}).await;
    println!("in batches: {report}");
    ensure!(report.is_clean(), "in batches:\n{report}");
    ensure!(report.children_recorded == SMALL);
    ensure!(
        report.commands as usize == report.stats.commands,
        "{} commands recorded of {} generated",
        report.commands,
        report.stats.commands
    );
    ensure!(report.duplicates == 0);

    let other = server.start_like().await?;
    let by_command = record_cohort(
        other.engine(),
        &config,
        &DemoOptions::for_engine(other.engine()),
        |_| {},
    )
    .await;
    ensure!(by_command.is_clean(), "by command:\n{by_command}");

    let batched = cases_as_shown(server).await?;
    let commanded = cases_as_shown(&other).await?;
    other.stop().await?;
    ensure!(
        batched.len() == by_command.cases_opened as usize,
        "{} cases in batches, {} by command",
        batched.len(),
        by_command.cases_opened
    );
    let differing: Vec<&String> = commanded
        .iter()
        .filter(|(key, shown)| batched.get(*key) != Some(shown))
        .map(|(key, _)| key)
        .collect();
    if let Some(first) = differing.first() {
        anyhow::bail!(
            "{} of {} cases differ; the first, {first}:\nin batches: {}\nby command: {}",
            differing.len(),
            commanded.len(),
            batched.get(*first).map_or("(missing)", String::as_str),
            commanded[*first]
        );
    }

    let again = record_cohort(engine, &config, &batches, |_| {}).await;
    ensure!(again.is_clean(), "again:\n{again}");
    ensure!(
        again.duplicates == again.commands && again.commands == report.commands,
        "a second run recorded something new: {again}"
    );
    ensure!(cases_as_shown(server).await? == batched);
    Ok(())
}

on_both_backends!(demo_cohort_in_batches, batches_record_what_commands_record);
