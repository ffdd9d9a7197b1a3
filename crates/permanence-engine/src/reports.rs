//! Reports for leaders: the timeliness measures over the engine's own records.
//!
//! The measures themselves are pure functions of the domain; this module loads every case
//! with its child and hands them over. It refuses windows no one means.
//!
//! Reading and decoding every case's state is most of a report's cost, and between two
//! reports few cases change. So the engine keeps the cases it last read, by authority. Each
//! report first asks the database one aggregate, the authority's count of cases and sum of
//! their versions (a version moves with every command on the case, whichever process ran
//! it, and cases are never deleted): when it has not moved, the kept cases are the current
//! ones. When it has, the report reads the cases' versions and reads again only the cases
//! whose version moved, and the new ones. Children's records are written once and never
//! change. The memory this holds is that of one report's working set, kept between reports.

use crate::{Engine, EngineError};
use chrono::NaiveDate;
use permanence_domain::measures::{
    self, CaseFacts, CaseView, ChildFacts, ChildrenWaiting, GroupBy, GroupReport, PeriodReport,
};
use permanence_domain::{CaseId, DomainError};
use permanence_store::{CaseRecord, CasesFingerprint, ChildRecord};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

/// A case as reports keep it: what the measures read of it and of its child, at a version
/// of the case (worked out once, when the case is read, not for every report).
#[derive(Debug)]
struct CaseAndChild {
    version: i64,
    facts: CaseFacts,
    child: ChildFacts,
}

type ReportRow = Arc<CaseAndChild>;

impl CaseAndChild {
    fn new((case, child): (CaseRecord, ChildRecord)) -> Self {
        Self {
            version: case.version,
            facts: CaseFacts::of(&case.state),
            child: ChildFacts {
                birth_date: child.birth_date,
                sex: child.sex,
                ethnicity: child.ethnicity,
                local_authority: child.local_authority,
                reference: child.reference.into(),
            },
        }
    }
}

/// The cases last read for reports, by authority.
#[derive(Debug, Default)]
pub(crate) struct ReportCache {
    by_authority: Mutex<HashMap<String, AuthorityCases>>,
}

/// One authority's cases as last read.
#[derive(Debug, Default)]
struct AuthorityCases {
    /// The authority's fingerprint read before its cases were: if it has not moved since,
    /// neither has any case.
    fingerprint: Option<CasesFingerprint>,
    by_id: HashMap<CaseId, ReportRow>,
    /// The same rows in case id order, as a fresh read gives them.
    in_order: Vec<ReportRow>,
}

/// Every case with its child, as loaded for one report.
#[derive(Clone, Debug)]
pub struct ReportData {
    rows: Arc<Vec<ReportRow>>,
}

impl ReportData {
    /// Runs `f` over the cases on tokio's blocking pool. Over a national cohort a report
    /// keeps a CPU busy for a large fraction of a second, which on the runtime's own threads
    /// (one per CPU) would stall every other request in the meantime.
    pub async fn compute<T, F>(&self, f: F) -> Result<T, EngineError>
    where
        F: FnOnce(&ReportData) -> T + Send + 'static,
        T: Send + 'static,
    {
        let data = self.clone();
        tokio::task::spawn_blocking(move || f(&data))
            .await
            .map_err(|e| EngineError::Internal(format!("a report computation failed: {e}")))
    }

    /// The cases as the measures read them.
    pub fn views(&self) -> Vec<CaseView<'_>> {
        self.rows
            .iter()
            .map(|row| CaseView {
                facts: &row.facts,
                child: &row.child,
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

    /// The groups of each breakdown (no "all" group), in one pass over the cases.
    pub fn breakdowns(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        by: &[GroupBy],
    ) -> Vec<Vec<GroupReport>> {
        measures::breakdowns(&self.views(), from, to, by)
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
            // Read before the versions: a change between the two reads leaves an older
            // fingerprint kept, which only makes the next report look again.
            let fingerprint = self
                .store()
                .cases_fingerprint(la)
                .await
                .map_err(EngineError::from_store)?;
            let kept = cache.entry(la.clone()).or_default();
            if kept.fingerprint != Some(fingerprint) {
                let whole = kept.by_id.is_empty() && self.first_read(la, kept, fingerprint).await?;
                if !whole {
                    self.refresh(la, kept).await?;
                }
                kept.fingerprint = Some(fingerprint);
            }
            rows.extend(kept.in_order.iter().cloned());
        }
        Ok(ReportData {
            rows: Arc::new(rows),
        })
    }

    /// A first read of an authority: every case's report facts, as the store keeps them, in
    /// one pass. Whole (true) when they are every case the fingerprint counted, at the
    /// versions it summed; otherwise what was read is kept and [`Self::refresh`] reads the
    /// rest (cases with no facts at their version, or facts of another format).
    async fn first_read(
        &self,
        la: &str,
        kept: &mut AuthorityCases,
        fingerprint: CasesFingerprint,
    ) -> Result<bool, EngineError> {
        let read = self
            .store()
            .report_facts(la)
            .await
            .map_err(EngineError::from_store)?;
        let (mut cases, mut versions) = (0_i64, 0_i64);
        for row in read {
            cases += 1;
            versions += row.version;
            let row = Arc::new(CaseAndChild {
                version: row.version,
                facts: row.facts,
                child: row.child,
            });
            kept.by_id.insert(row.facts.case_id, Arc::clone(&row));
            kept.in_order.push(row);
        }
        Ok(cases == fingerprint.cases && versions == fingerprint.versions)
    }

    /// Reads again the authority's cases whose version moved, and the new ones: their report
    /// facts as the store keeps them, and from their state where the store has none at the version (a case last written by
    /// a server that kept none, or of another format).
    async fn refresh(&self, la: &str, kept: &mut AuthorityCases) -> Result<(), EngineError> {
        let store = self.store();
        let versions = store
            .case_versions(la)
            .await
            .map_err(EngineError::from_store)?;
        let stale: HashMap<CaseId, i64> = versions
            .iter()
            .filter(|(id, version)| kept.by_id.get(id).is_none_or(|row| row.version != *version))
            .map(|(id, version)| (*id, *version))
            .collect();
        if !stale.is_empty() {
            let ids: Vec<CaseId> = stale.keys().copied().collect();
            let read = store
                .report_facts_by_ids(&ids)
                .await
                .map_err(EngineError::from_store)?;
            let mut from_state: std::collections::HashSet<CaseId> = stale.keys().copied().collect();
            for row in read {
                let id = row.facts.case_id;
                // Facts at an older version than the case's were written by a server that
                // did not keep them up to date: not read.
                if stale.get(&id).is_some_and(|listed| row.version >= *listed) {
                    from_state.remove(&id);
                    kept.by_id.insert(
                        id,
                        Arc::new(CaseAndChild {
                            version: row.version,
                            facts: row.facts,
                            child: row.child,
                        }),
                    );
                }
            }
            if !from_state.is_empty() {
                let ids: Vec<CaseId> = from_state.into_iter().collect();
                let fresh = store
                    .cases_with_children_by_ids(&ids)
                    .await
                    .map_err(EngineError::from_store)?;
                for row in fresh {
                    let row = CaseAndChild::new(row);
                    kept.by_id.insert(row.facts.case_id, Arc::new(row));
                }
            }
        }
        if kept.by_id.len() > versions.len() {
            let current: std::collections::HashSet<CaseId> =
                versions.iter().map(|(id, _)| *id).collect();
            kept.by_id.retain(|id, _| current.contains(id));
        }
        kept.in_order = versions
            .iter()
            .filter_map(|(id, _)| kept.by_id.get(id).cloned())
            .collect();
        Ok(())
    }

    /// Forgets the cases kept for reports (a benchmark's cold start; memory back).
    pub async fn clear_report_cache(&self) {
        self.report_cache.by_authority.lock().await.clear();
    }
}
