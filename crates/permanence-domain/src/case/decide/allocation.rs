//! Deciding who holds a case: its team and allocated worker.

use super::Decision;
use super::checks::{check_date, check_reference};
use crate::case::{CaseState, DecisionContext, Event};
use chrono::NaiveDate;

pub(super) fn decide_allocation(
    case: &CaseState,
    on: NaiveDate,
    team: &Option<String>,
    allocated_worker: &Option<String>,
    ctx: &DecisionContext<'_>,
) -> Decision {
    check_date(case, on, ctx, "occurredOn")?;
    check_reference(team.as_deref(), "team")?;
    check_reference(allocated_worker.as_deref(), "allocatedWorker")?;
    Ok(vec![Event::CaseAllocated {
        on,
        team: team.clone(),
        allocated_worker: allocated_worker.clone(),
    }])
}
