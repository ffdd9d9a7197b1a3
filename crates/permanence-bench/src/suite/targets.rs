//! What the scenarios ask for, chosen from the database as it stands: case ids to read, the
//! teams, and route steps that are valid next (so that every M1 request is a real write).
//!
//! A step is chosen by asking the domain's own `decide` whether it may be recorded today on
//! the case as it stands; chains of steps on one case are kept far apart in the list (see
//! [`spread`]) so that a case's next step is not sent while its previous one is in flight.

use anyhow::Context;
use chrono::NaiveDate;
use permanence_cohort::DEFAULT_LOCAL_AUTHORITY;
use permanence_domain::case::DecisionContext;
use permanence_domain::route::Role as Recorder;
use permanence_domain::{CaseState, Command, Timescales, decide, evolve};
use permanence_engine::SystemClock;
use permanence_engine::store::{CaseFilter, CaseRecord};
use permanence_server::open_engine;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use uuid::Uuid;

/// Cases read by Q1 and Q2, spread evenly over all cases.
const READ_SAMPLE: usize = 2_000;
/// Steps chained on one case at most.
const MAX_CHAIN: usize = 6;
/// Requests between two steps of one case: several times the most connections used (MIX's 50).
pub const MIN_GAP: usize = 200;
const PAGE: u64 = 1_000;

/// One route step to record.
#[derive(Clone, Debug)]
pub struct Write {
    pub case_id: Uuid,
    pub route: &'static str,
    pub step: String,
    pub expected_version: i64,
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub local_authority: String,
    pub today: NaiveDate,
    pub cases: usize,
    pub open_cases: usize,
    pub read_ids: Vec<Uuid>,
    pub teams: Vec<String>,
    pub writes: Vec<Write>,
    /// Open cases with at least one valid step.
    pub writable_cases: usize,
}

impl Plan {
    pub async fn from_database(url: &str) -> anyhow::Result<Self> {
        let engine = open_engine(url, Timescales::default(), Arc::new(SystemClock))
            .await
            .context("opening the working database")?;
        let filter = CaseFilter {
            local_authority: Some(DEFAULT_LOCAL_AUTHORITY.to_owned()),
            ..CaseFilter::default()
        };
        let mut all: Vec<CaseRecord> = Vec::new();
        loop {
            let after = all.last().map(|c| c.id);
            let page = engine.store().cases_page(&filter, after, PAGE).await?;
            let done = (page.len() as u64) < PAGE;
            all.extend(page);
            if done {
                break;
            }
        }
        let today = engine.today();
        let ctx = DecisionContext {
            today,
            catalog: engine.catalog(),
        };
        let step = (all.len() / READ_SAMPLE).max(1);
        let read_ids = all.iter().step_by(step).map(|c| c.id.0).collect();
        let teams: BTreeSet<String> = all.iter().filter_map(|c| c.state.team.clone()).collect();
        let open: Vec<&CaseRecord> = all.iter().filter(|c| c.state.is_open()).collect();
        let chains: Vec<Vec<Write>> = open
            .iter()
            .map(|c| chain(&c.state, c.version, &ctx))
            .filter(|chain| !chain.is_empty())
            .collect();
        Ok(Self {
            local_authority: DEFAULT_LOCAL_AUTHORITY.to_owned(),
            today,
            cases: all.len(),
            open_cases: open.len(),
            read_ids,
            teams: teams.into_iter().collect(),
            writable_cases: chains.len(),
            writes: spread(chains, MIN_GAP),
        })
    }

    pub fn summary(&self) -> String {
        format!(
            "{} cases ({} open) in {}; teams {:?}; {} valid route steps to record on {} cases",
            self.cases,
            self.open_cases,
            self.local_authority,
            self.teams,
            self.writes.len(),
            self.writable_cases
        )
    }
}

/// Steps a team manager may record on the case today, one after another, as the domain
/// decides them.
fn chain(state: &CaseState, version: i64, ctx: &DecisionContext<'_>) -> Vec<Write> {
    let mut state = state.clone();
    let mut version = version;
    let mut out = Vec::new();
    while out.len() < MAX_CHAIN {
        let Some(plan) = state.primary_plan() else {
            break;
        };
        let Some(definition) = ctx.catalog.get(plan.route, plan.version) else {
            break;
        };
        let route = plan.route;
        let found = definition
            .next_steps(plan.current_step())
            .into_iter()
            // Panel and agency steps go through the panel's own mutations and roles.
            .filter(|s| {
                matches!(
                    s.recorded_by,
                    Recorder::SocialWorker | Recorder::TeamManager
                )
            })
            .find_map(|s| {
                let command = Command::RecordRouteStep {
                    route,
                    step: s.key.to_owned(),
                    on: ctx.today,
                };
                decide(Some(&state), &command, ctx)
                    .ok()
                    .map(|events| (s.key, events))
            });
        let Some((step, events)) = found else {
            break;
        };
        out.push(Write {
            case_id: state.id.0,
            route: route.key(),
            step: step.to_owned(),
            expected_version: version,
        });
        version += events.len() as i64;
        match events.iter().fold(Some(state.clone()), evolve) {
            Some(next) => state = next,
            None => break,
        }
    }
    out
}

/// Orders the chains' steps so that two steps of one case are at least `gap` requests apart:
/// first steps of every case in turn, each case's next step queued until `gap` more requests
/// have been placed. Steps that cannot be placed that far apart are left out.
fn spread(chains: Vec<Vec<Write>>, gap: usize) -> Vec<Write> {
    let mut chains: Vec<VecDeque<Write>> = chains.into_iter().map(VecDeque::from).collect();
    let mut ready: VecDeque<usize> = (0..chains.len()).collect();
    let mut waiting: VecDeque<(usize, usize)> = VecDeque::new();
    let mut out = Vec::new();
    loop {
        while let Some(&(at, case)) = waiting.front() {
            if at > out.len() {
                break;
            }
            ready.push_back(case);
            waiting.pop_front();
        }
        let Some(case) = ready.pop_front() else {
            break;
        };
        let Some(write) = chains.get_mut(case).and_then(VecDeque::pop_front) else {
            continue;
        };
        out.push(write);
        if chains.get(case).is_some_and(|c| !c.is_empty()) {
            waiting.push_back((out.len() + gap, case));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(case: u128, n: i64) -> Write {
        Write {
            case_id: Uuid::from_u128(case),
            route: "ADOPTION",
            step: format!("s{n}"),
            expected_version: n,
        }
    }

    #[test]
    fn steps_of_one_case_are_kept_apart() {
        let chains = vec![
            vec![w(1, 1), w(1, 2), w(1, 3)],
            vec![w(2, 1)],
            vec![w(3, 1), w(3, 2)],
            vec![w(4, 1)],
        ];
        let out = spread(chains, 2);
        let order: Vec<(u128, i64)> = out
            .iter()
            .map(|w| (w.case_id.as_u128(), w.expected_version))
            .collect();
        assert_eq!(order, [(1, 1), (2, 1), (3, 1), (4, 1), (1, 2), (3, 2)]);
        for (i, a) in out.iter().enumerate() {
            for b in out.iter().skip(i + 1).take(1) {
                assert_ne!(a.case_id, b.case_id);
            }
        }
    }
}
