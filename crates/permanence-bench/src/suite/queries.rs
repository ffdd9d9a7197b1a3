//! The GraphQL documents of the scenarios, and their request bodies.

use super::targets::{Plan, Write};
use anyhow::bail;
use chrono::NaiveDate;
use permanence_cohort::years_before;
use serde_json::{Value, json};

/// The read scenarios, in order.
pub const READS: &[&str] = &["Q1", "Q2", "Q3", "Q4", "Q5"];

/// Years the Q5 report covers, ending today.
const WINDOW_YEARS: u32 = 3;
/// Cases on a Q3 page and drift items on a Q4 page.
pub const PAGE: u32 = 50;

const Q1: &str = "query Q1($id: UUID!) { case(id: $id) { id version status team allocatedWorker \
    enteredCareOn primaryPlan { route currentStep } } }";

const Q2: &str = "query Q2($id: UUID!) { case(id: $id) { id version \
    timeline { sequence kind occurredOn recordedAt actor data } } }";

const Q3: &str = "query Q3($la: String!, $team: String!, $first: Int!) { \
    cases(filter: {localAuthority: $la, team: $team, open: true}, first: $first) { \
    edges { node { id version child { reference } \
    primaryPlan { route currentStep steps { step occurredOn } } \
    deadlines { rule dueOn status } } } } }";

const Q4: &str = "query Q4($la: String!, $first: Int!) { drift(localAuthority: $la, first: $first) { \
    edges { node { case { id team child { reference } } \
    deadline { rule dueOn status daysOverdue } } } } }";

const Q5: &str = "query Q5($la: String!, $from: Date!, $to: Date!) { \
    timeliness(from: $from, to: $to, localAuthority: $la) { \
    a1 { children meanDays medianDays } a2 { children meanDays } a10 { children meanDays } \
    a3Percent } }";

const M1: &str = "mutation M1($input: RecordRouteStepInput!) { \
    recordRouteStep(input: $input) { case { id version } } }";

pub(super) fn body(query: &str, variables: Value) -> String {
    json!({ "query": query, "variables": variables }).to_string()
}

/// The window of Q5: three years ending today.
pub fn window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (years_before(today, WINDOW_YEARS), today)
}

/// One system's documents for the read scenarios, each with the variables it takes.
pub(super) struct ReadDocuments {
    pub q1: &'static str,
    pub q2: &'static str,
    pub q3: &'static str,
    pub q4: &'static str,
    /// Q5 and its variables: the engine's takes the window, PostGraphile's cannot use one.
    pub q5: fn(&Plan) -> String,
}

impl ReadDocuments {
    /// The bodies a read scenario cycles through.
    pub(super) fn bodies(&self, scenario: &str, plan: &Plan) -> anyhow::Result<Vec<String>> {
        let la = &plan.local_authority;
        let by_id = |query| {
            plan.read_ids
                .iter()
                .map(|id| body(query, json!({ "id": id })))
                .collect()
        };
        Ok(match scenario {
            "Q1" => by_id(self.q1),
            "Q2" => by_id(self.q2),
            "Q3" => plan
                .teams
                .iter()
                .map(|team| body(self.q3, json!({ "la": la, "team": team, "first": PAGE })))
                .collect(),
            "Q4" => vec![body(self.q4, json!({ "la": la, "first": PAGE }))],
            "Q5" => vec![(self.q5)(plan)],
            other => bail!("no read scenario {other}"),
        })
    }
}

/// The engine's documents.
const ENGINE: ReadDocuments = ReadDocuments {
    q1: Q1,
    q2: Q2,
    q3: Q3,
    q4: Q4,
    q5: |plan| {
        let (from, to) = window(plan.today);
        body(
            Q5,
            json!({ "la": plan.local_authority, "from": from.to_string(), "to": to.to_string() }),
        )
    },
};

/// The bodies a read scenario cycles through.
pub fn read_bodies(scenario: &str, plan: &Plan) -> anyhow::Result<Vec<String>> {
    ENGINE.bodies(scenario, plan)
}

/// The reads of MIX: mostly single cases, some timelines, caseload pages and drift (the
/// timeliness report, a leader's monthly look, is left out).
pub fn mix_reads(plan: &Plan) -> anyhow::Result<Vec<String>> {
    let q1 = read_bodies("Q1", plan)?;
    let q2 = read_bodies("Q2", plan)?;
    let q3 = read_bodies("Q3", plan)?;
    let q4 = read_bodies("Q4", plan)?;
    let mut out = Vec::new();
    for (i, one) in q1.iter().enumerate() {
        out.push(one.clone());
        match i % 4 {
            0 => out.extend(q2.get(i).cloned()),
            1 => out.extend(q3.get(i % q3.len().max(1)).cloned()),
            2 => out.extend(q4.first().cloned()),
            _ => {}
        }
    }
    Ok(out)
}

/// One M1 body per write, each recorded once with the version it expects.
pub fn write_bodies(writes: &[Write], today: NaiveDate) -> Vec<String> {
    writes
        .iter()
        .map(|w| {
            body(
                M1,
                json!({ "input": {
                    "caseId": w.case_id,
                    "route": w.route,
                    "step": w.step,
                    "occurredOn": today.to_string(),
                    "expectedVersion": w.expected_version,
                } }),
            )
        })
        .collect()
}
