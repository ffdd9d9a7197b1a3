//! A generated cohort as the engine would hold it, for the crate's integration tests.

#![allow(dead_code)]

use chrono::NaiveDate;
use permanence_cohort::{ChildScript, CohortConfig};
use permanence_domain::case::{CaseState, Command, DecisionContext};
use permanence_domain::{CaseId, ChildId, RouteCatalog, decide, evolve};
use permanence_ssda903::ReturnChild;
use uuid::Uuid;

/// The route definitions the tests decide with.
pub fn catalog() -> &'static RouteCatalog {
    static CATALOG: std::sync::OnceLock<RouteCatalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| RouteCatalog::standard().expect("routes"))
}

/// A child's script decided and applied as live work, one state per period of care.
pub fn apply(script: &ChildScript, ctx: &DecisionContext<'_>, child_no: u128) -> Vec<CaseState> {
    let child_id = ChildId(Uuid::from_u128(child_no << 8));
    let mut states = Vec::new();
    for (p, period) in script.periods.iter().enumerate() {
        let case_id = CaseId(Uuid::from_u128((child_no << 8) | (p as u128 + 1)));
        let open = Command::OpenCase(period.enter.open_case(&script.child, case_id, child_id));
        let mut state: Option<CaseState> = None;
        for command in std::iter::once(&open).chain(&period.commands) {
            let events = decide(state.as_ref(), command, ctx)
                .unwrap_or_else(|e| panic!("{}: {e}", script.child.reference));
            state = events.iter().fold(state, evolve);
        }
        states.push(state.expect("a state"));
    }
    states
}

/// `children` generated children of `seed`, as the engine would hold them on `today`.
pub fn cohort(seed: u64, children: usize, today: NaiveDate) -> Vec<ReturnChild> {
    let ctx = DecisionContext {
        today,
        catalog: catalog(),
    };
    permanence_cohort::generate(&CohortConfig::new(children, seed, today))
        .iter()
        .enumerate()
        .map(|(n, script)| ReturnChild {
            reference: script.child.reference.clone(),
            birth_date: script.child.birth_date,
            sex: script.child.sex,
            ethnicity: script.child.ethnicity.clone(),
            facts: script.child.facts.clone(),
            periods: apply(script, &ctx, n as u128),
        })
        .collect()
}
