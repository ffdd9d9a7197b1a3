//! Drift on a past date: the deadlines as they stood then, replayed from each case's events.
//!
//! Today's drift reads the stored deadlines (`case_deadlines`) in one query. Those are the
//! deadlines open now, so a past date applied to them hides every deadline a later step has
//! met. This path reads the events of the cases the filter admits and replays each up to the
//! date (`permanence_domain::deadlines_as_of`): slower, and only taken for a past date.
//!
//! The cases are those the access policy lets the user see now, narrowed by the filter's
//! authority and team as the cases stand now (the reach is a present-day permission, and a
//! team filter names today's teams). Route, after-panel and status apply to the deadlines as
//! they stood.

use crate::Engine;
use crate::store::{CaseFilter, DriftCursor, DriftFilter, DriftRow, StoreError};
use permanence_domain::deadlines_as_of::deadlines_as_of;
use permanence_domain::{Deadline, DriftStatus};

/// How many cases are read at once: their states, then their events.
const CASES_AT_ONCE: u64 = 500;

impl Engine {
    /// The deadlines in the filter's drift status on `filter.as_of` as they stood on that
    /// date, most overdue first (due date, case, key: the order of `Store::drift_page`),
    /// after the cursor, at most `limit`. `filter.step` is not supported here (the stage a
    /// case stood at is not what the drift board narrows by) and is ignored.
    pub async fn drift_page_as_of(
        &self,
        filter: &DriftFilter,
        after: Option<&DriftCursor>,
        limit: u64,
    ) -> Result<Vec<DriftRow>, StoreError> {
        let cases = CaseFilter {
            local_authority: filter.local_authority.clone(),
            team: filter.team.clone(),
            reach: filter.reach.clone(),
            ..CaseFilter::default()
        };
        let mut rows = Vec::new();
        let mut last = None;
        loop {
            let page = self.store().cases_page(&cases, last, CASES_AT_ONCE).await?;
            let Some(tail) = page.last() else { break };
            last = Some(tail.id);
            // A case that entered care after the date had nothing due on it.
            let ids: Vec<_> = page
                .iter()
                .filter(|c| c.state.entered_care_on <= filter.as_of)
                .map(|c| c.id)
                .collect();
            let events = self.store().events_of_cases(&ids).await?;
            for (case_id, stored) in events {
                let Some(deadlines) = deadlines_as_of(
                    stored.iter().map(|s| &s.event),
                    filter.as_of,
                    self.catalog(),
                    self.timescales(),
                ) else {
                    continue;
                };
                rows.extend(
                    deadlines
                        .into_iter()
                        .filter(|d| admitted(filter, d))
                        .map(|deadline| DriftRow { case_id, deadline }),
                );
            }
            if (page.len() as u64) < CASES_AT_ONCE {
                break;
            }
        }
        rows.sort_by(|a, b| order(a).cmp(&order(b)));
        Ok(rows
            .into_iter()
            .filter(|row| after.is_none_or(|cursor| order(row) > cursor_order(cursor)))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }
}

type Order<'a> = (chrono::NaiveDate, uuid::Uuid, &'a str);

fn order(row: &DriftRow) -> Order<'_> {
    (
        row.deadline.due_on,
        row.case_id.0,
        row.deadline.key.as_str(),
    )
}

fn cursor_order(cursor: &DriftCursor) -> Order<'_> {
    (cursor.due_on, cursor.case_id.0, cursor.key.as_str())
}

/// The filter's conditions on a deadline, as `Store::drift_page` puts them in SQL.
fn admitted(filter: &DriftFilter, deadline: &Deadline) -> bool {
    if filter.route.is_some() && deadline.route != filter.route {
        return false;
    }
    if filter.after_panel_only && !deadline.after_panel {
        return false;
    }
    let status = deadline.drift(filter.as_of, filter.due_soon_days).status;
    match filter.status {
        None => matches!(status, DriftStatus::Overdue | DriftStatus::DueSoon),
        Some(wanted) => status == wanted,
    }
}
