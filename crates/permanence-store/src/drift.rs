//! Drift: the open deadlines that are overdue or due soon, read straight from the deadline
//! projection (`case_deadlines`) as SQL, in one total order that both the API's cursor and
//! the drift board's numbered pages rely on.

use crate::deadlines::deadline_from_row;
use crate::entities::{case_deadlines, cases};
use crate::{DriftFilter, DriftRow, Store, StoreError};
use chrono::NaiveDate;
use permanence_domain::CaseId;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

impl Store {
    /// Open deadlines overdue or due soon on `as_of` (or in the filter's status), most
    /// overdue first, after the cursor.
    pub async fn drift_page(
        &self,
        filter: &DriftFilter,
        after: Option<&DriftCursor>,
        limit: u64,
    ) -> Result<Vec<DriftRow>, StoreError> {
        let mut query = drift_in_order(filter);
        if let Some(cursor) = after {
            // Keyset pagination on (due_on, case_id, key).
            let due = case_deadlines::Column::DueOn;
            let case = case_deadlines::Column::CaseId;
            let key = case_deadlines::Column::DeadlineKey;
            query = query.filter(
                sea_orm::Condition::any()
                    .add(due.gt(cursor.due_on))
                    .add(
                        sea_orm::Condition::all()
                            .add(due.eq(cursor.due_on))
                            .add(case.gt(cursor.case_id.0)),
                    )
                    .add(
                        sea_orm::Condition::all()
                            .add(due.eq(cursor.due_on))
                            .add(case.eq(cursor.case_id.0))
                            .add(key.gt(cursor.key.as_str())),
                    ),
            );
        }
        let models = query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        models.into_iter().map(drift_row).collect()
    }

    /// The same rows as `drift_page`, in the same order, by position: the pages' numbered
    /// pages (`offset` rows skipped).
    pub async fn drift_rows(
        &self,
        filter: &DriftFilter,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<DriftRow>, StoreError> {
        let models = drift_in_order(filter)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        models.into_iter().map(drift_row).collect()
    }

    /// How many rows `drift_page` lists for the filter, over all its pages.
    pub async fn drift_count(&self, filter: &DriftFilter) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        drifting(filter)
            .count(&self.db)
            .await
            .map_err(StoreError::from_db)
    }
}

/// The keyset position of a drift row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriftCursor {
    pub due_on: NaiveDate,
    pub case_id: CaseId,
    pub key: String,
}

/// The deadlines a drift filter admits (no order): the API's `drift` and the drift board
/// share it.
fn drifting(filter: &DriftFilter) -> sea_orm::Select<case_deadlines::Entity> {
    let mut query = case_deadlines::Entity::find().filter(drift_condition(
        filter.status,
        filter.as_of,
        filter.due_soon_days,
    ));
    if let Some(route) = filter.route {
        query = query.filter(case_deadlines::Column::Route.eq(route.key()));
    }
    if let Some(team) = &filter.team {
        query = query.filter(case_deadlines::Column::Team.eq(team.as_str()));
    }
    if let Some(la) = &filter.local_authority {
        query = query.filter(case_deadlines::Column::LocalAuthority.eq(la.as_str()));
    }
    if let Some(las) = &filter.reach.local_authorities {
        query = query.filter(case_deadlines::Column::LocalAuthority.is_in(las.iter().cloned()));
    }
    if filter.reach.narrows_cases() {
        let mut in_reach = Query::select();
        in_reach.column(cases::Column::Id).from(cases::Entity);
        filter.reach.apply_to_cases(&mut in_reach);
        query = query.filter(case_deadlines::Column::CaseId.in_subquery(in_reach.to_owned()));
    }
    if let Some((route, step)) = &filter.step {
        let mut at_step = Query::select();
        at_step
            .column(cases::Column::Id)
            .from(cases::Entity)
            .and_where(Expr::col(cases::Column::PrimaryRoute).eq(route.key()))
            .and_where(Expr::col(cases::Column::PrimaryStep).eq(step.as_str()));
        query = query.filter(case_deadlines::Column::CaseId.in_subquery(at_step.to_owned()));
    }
    if filter.after_panel_only {
        query = query.filter(case_deadlines::Column::AfterPanel.eq(true));
    }
    query
}

/// Drifting deadlines, most overdue first: by due date, then case and key (a total order,
/// which both the cursor and the numbered pages rely on).
fn drift_in_order(filter: &DriftFilter) -> sea_orm::Select<case_deadlines::Entity> {
    drifting(filter)
        .order_by_asc(case_deadlines::Column::DueOn)
        .order_by_asc(case_deadlines::Column::CaseId)
        .order_by_asc(case_deadlines::Column::DeadlineKey)
}

fn drift_row(m: case_deadlines::Model) -> Result<DriftRow, StoreError> {
    Ok(DriftRow {
        case_id: CaseId(m.case_id),
        deadline: deadline_from_row(m)?,
    })
}

/// The deadlines in a drift status on `as_of` (without one: overdue or due soon), as SQL on
/// `case_deadlines`: the domain's `Deadline::drift`, over the stored due dates. A deadline
/// not known from the return is in no status but its own.
pub(crate) fn drift_condition(
    status: Option<permanence_domain::DriftStatus>,
    as_of: NaiveDate,
    due_soon_days: u32,
) -> sea_orm::Condition {
    use case_deadlines::Column as D;
    use permanence_domain::DriftStatus;
    let soon = as_of + chrono::Days::new(due_soon_days.into());
    let known = sea_orm::Condition::all().add(D::NotKnownFromReturn.eq(false));
    match status {
        None => known.add(D::DueOn.lte(soon)),
        Some(DriftStatus::Overdue) => known.add(D::DueOn.lt(as_of)),
        Some(DriftStatus::DueSoon) => known.add(D::DueOn.gte(as_of)).add(D::DueOn.lte(soon)),
        Some(DriftStatus::OnTrack) => known.add(D::DueOn.gt(soon)),
        Some(DriftStatus::NotKnownFromReturn) => {
            sea_orm::Condition::all().add(D::NotKnownFromReturn.eq(true))
        }
    }
}
