//! The row a case is kept in: its state as JSON, and beside it the columns that lists
//! filter and sort on.

use crate::StoreError;
use crate::entities::cases;
use chrono::{DateTime, NaiveDate, Utc};
use permanence_domain::CaseState;
use sea_orm::ActiveValue::Set;

pub(crate) const STATUS_OPEN: &str = "OPEN";
pub(crate) const STATUS_CLOSED: &str = "CLOSED";

pub(crate) fn case_row(
    state: &CaseState,
    version: i64,
    now: DateTime<Utc>,
) -> Result<cases::ActiveModel, StoreError> {
    let json = serde_json::to_string(state).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let primary = state.primary_plan();
    Ok(cases::ActiveModel {
        id: Set(state.id.0),
        child_id: Set(state.child_id.0),
        local_authority: Set(state.local_authority.clone()),
        team: Set(state.team.clone()),
        allocated_worker: Set(state.allocated_worker.clone()),
        entered_care_on: Set(state.entered_care_on),
        left_care_on: Set(state.closed.map(|c| c.on)),
        reason_ceased: Set(state.closed.map(|c| c.reason.code().to_owned())),
        primary_route: Set(primary.map(|p| p.route.key().to_owned())),
        primary_step: Set(primary.map(|p| p.current_step().to_owned())),
        parallel_route: Set(state.parallel_plan().map(|p| p.route.key().to_owned())),
        primary_step_on: Set(primary_step_on(state)),
        status: Set(if state.is_open() {
            STATUS_OPEN
        } else {
            STATUS_CLOSED
        }
        .to_owned()),
        version: Set(version),
        state: Set(json),
        updated_at: Set(now),
    })
}

pub(crate) fn decode_state(json: &str) -> Result<CaseState, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("case state: {e}")))
}

/// Since when the primary plan has stood at its current step: how long a case has waited.
pub(crate) fn primary_step_on(state: &CaseState) -> Option<NaiveDate> {
    state.primary_plan().map(|p| p.current_step_on())
}
