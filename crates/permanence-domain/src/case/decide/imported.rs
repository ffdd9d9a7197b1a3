//! Deciding what an import's return held for the period (only an import records it).

use super::Decision;
use crate::DomainError;
use crate::case::recorded::{ImportedHistory, LiveRules};
use crate::case::{CaseState, Event};
use chrono::NaiveDate;

pub(super) fn decide_imported_history(
    case: &CaseState,
    on: NaiveDate,
    history: ImportedHistory,
    rules: &LiveRules,
) -> Decision {
    if !rules.is_history() {
        return Err(DomainError::not_allowed(
            "only an import records what its return held",
        ));
    }
    if case.imported.is_some() {
        return Err(DomainError::not_allowed(
            "the period's imported history is recorded already",
        ));
    }
    Ok(vec![Event::HistoryImported { on, history }])
}
