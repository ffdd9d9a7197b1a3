//! Reports for leaders: the timeliness measures over the engine's own records.
//!
//! The measures themselves are pure functions of the domain; this module loads every case
//! with its child (one pass, paged) and hands them over. It refuses windows no one means.

use crate::{Engine, EngineError};
use chrono::NaiveDate;
use permanence_domain::DomainError;
use permanence_domain::measures::{
    self, CaseView, ChildFacts, ChildrenWaiting, GroupBy, GroupReport, PeriodReport,
};
use permanence_store::{CaseRecord, ChildRecord};
use std::sync::Arc;

/// Every case with its child, as loaded for one report.
#[derive(Clone, Debug)]
pub struct ReportData {
    rows: Arc<Vec<(CaseRecord, ChildRecord)>>,
}

impl ReportData {
    /// The cases as the measures read them.
    pub fn views(&self) -> Vec<CaseView<'_>> {
        self.rows
            .iter()
            .map(|(case, child)| CaseView {
                case: &case.state,
                child: ChildFacts {
                    birth_date: child.birth_date,
                    sex: child.sex,
                    ethnicity: child.ethnicity.clone(),
                    local_authority: child.local_authority.clone(),
                    reference: child.reference.clone(),
                },
            })
            .collect()
    }

    pub fn report(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        group_by: Option<GroupBy>,
    ) -> Vec<GroupReport> {
        let views = self.views();
        match group_by {
            Some(by) => measures::grouped_report(&views, from, to, by),
            None => vec![GroupReport {
                group: measures::ALL_GROUP.to_owned(),
                report: measures::timeliness_report(&views, from, to),
            }],
        }
    }

    pub fn quarters(&self, from: NaiveDate, to: NaiveDate) -> Vec<PeriodReport> {
        measures::quarterly_report(&self.views(), from, to)
    }

    pub fn children_waiting(&self, on: NaiveDate) -> ChildrenWaiting {
        measures::children_waiting(&self.views(), on)
    }
}

/// The longest window a report may cover: records go back decades, but a leader's question
/// does not, and an unbounded window is more likely a typo than a need.
pub const MAX_WINDOW_YEARS: i32 = 20;

/// Checks a report window: `to` not before `from`, and not absurdly long.
pub fn check_window(from: NaiveDate, to: NaiveDate) -> Result<(), EngineError> {
    if to < from {
        return Err(EngineError::Domain(DomainError::validation(
            "to",
            "the end of the window cannot be before its start",
        )));
    }
    if (to - from).num_days() > i64::from(MAX_WINDOW_YEARS) * 366 {
        return Err(EngineError::Domain(DomainError::validation(
            "to",
            format!("a window can cover at most {MAX_WINDOW_YEARS} years"),
        )));
    }
    Ok(())
}

impl Engine {
    /// Loads every case of these authorities with its child, for reports.
    pub async fn report_data_in(
        &self,
        local_authorities: &[String],
    ) -> Result<ReportData, EngineError> {
        let mut rows = Vec::new();
        for la in local_authorities {
            rows.extend(
                self.store()
                    .cases_with_children(Some(la))
                    .await
                    .map_err(EngineError::from_store)?,
            );
        }
        Ok(ReportData {
            rows: Arc::new(rows),
        })
    }

    /// Loads every case (of one authority, or all) with its child, for reports.
    pub async fn report_data(
        &self,
        local_authority: Option<&str>,
    ) -> Result<ReportData, EngineError> {
        let rows = self
            .store()
            .cases_with_children(local_authority)
            .await
            .map_err(EngineError::from_store)?;
        Ok(ReportData {
            rows: Arc::new(rows),
        })
    }
}
