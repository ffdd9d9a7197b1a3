//! Reports for leaders: the timeliness measures over the engine's own records.
//!
//! The measures themselves are pure functions of the domain; this module loads every case
//! with its child and hands them over. It refuses windows no one means.
//!
//! Reading and decoding every case's state is most of a report's cost, and between two
//! reports few cases change. So the engine keeps the cases it last read, by authority, and
//! each report first reads only the cases' versions (a version moves with every command on
//! the case, whichever process ran it) and then reads again only the cases whose version
//! moved, and the new ones. Children's records are written once and never change. The
//! memory this holds is that of one report's working set, kept between reports.

use crate::{Engine, EngineError};
use chrono::NaiveDate;
use permanence_domain::measures::{
    self, CaseView, ChildFacts, ChildrenWaiting, GroupBy, GroupReport, PeriodReport,
};
use permanence_domain::{CaseId, DomainError};
use permanence_store::{CaseRecord, ChildRecord};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

type ReportRow = Arc<(CaseRecord, ChildRecord)>;

/// The cases last read for reports, by authority and case.
#[derive(Debug, Default)]
pub(crate) struct ReportCache {
    by_authority: Mutex<HashMap<String, HashMap<CaseId, ReportRow>>>,
}

/// Every case with its child, as loaded for one report.
#[derive(Clone, Debug)]
pub struct ReportData {
    rows: Arc<Vec<ReportRow>>,
}

impl ReportData {
    /// The cases as the measures read them.
    pub fn views(&self) -> Vec<CaseView<'_>> {
        self.rows
            .iter()
            .map(|row| (&row.0, &row.1))
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
    /// Every case of these authorities with its child, for reports: read again only where a
    /// case changed since the last report.
    pub async fn report_data_in(
        &self,
        local_authorities: &[String],
    ) -> Result<ReportData, EngineError> {
        let mut rows = Vec::new();
        let mut cache = self.report_cache.by_authority.lock().await;
        for la in local_authorities {
            let versions = self
                .store()
                .case_versions(la)
                .await
                .map_err(EngineError::from_store)?;
            let kept = cache.entry(la.clone()).or_default();
            let stale: Vec<CaseId> = versions
                .iter()
                .filter(|(id, version)| kept.get(id).is_none_or(|row| row.0.version != *version))
                .map(|(id, _)| *id)
                .collect();
            if !stale.is_empty() {
                let fresh = self
                    .store()
                    .cases_with_children_by_ids(&stale)
                    .await
                    .map_err(EngineError::from_store)?;
                for row in fresh {
                    kept.insert(row.0.id, Arc::new(row));
                }
            }
            if kept.len() > versions.len() {
                let current: std::collections::HashSet<CaseId> =
                    versions.iter().map(|(id, _)| *id).collect();
                kept.retain(|id, _| current.contains(id));
            }
            // In the order of the versions read: by case id, as a fresh read would give.
            rows.extend(versions.iter().filter_map(|(id, _)| kept.get(id).cloned()));
        }
        Ok(ReportData {
            rows: Arc::new(rows),
        })
    }

    /// Forgets the cases kept for reports (a benchmark's cold start; memory back).
    pub async fn clear_report_cache(&self) {
        self.report_cache.by_authority.lock().await.clear();
    }
}
