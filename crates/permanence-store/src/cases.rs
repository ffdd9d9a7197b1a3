//! Reading cases: by id, by child, a page at a time under a list's filter and order, and
//! with their children for reports; and the reach that narrows what a list reads.

use crate::case_rows::{STATUS_CLOSED, STATUS_OPEN};
use crate::drift::drift_condition;
use crate::entities::{case_deadlines, cases};
use crate::rows::IN_LIST_CHUNK;
use crate::{CaseFilter, CaseOrder, CaseRecord, ChildRecord, Reach, Store, StoreError, panel};
use permanence_domain::{CaseId, ChildId};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

/// An authority's count of cases and sum of their versions (see `Store::cases_fingerprint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CasesFingerprint {
    pub cases: i64,
    pub versions: i64,
}

impl Store {
    /// Whether the child has a period of care open, as this transaction sees it.
    pub(crate) async fn has_open_case(
        txn: &DatabaseTransaction,
        child: ChildId,
    ) -> Result<bool, StoreError> {
        use sea_orm::PaginatorTrait;
        let open = cases::Entity::find()
            .filter(cases::Column::ChildId.eq(child.0))
            .filter(cases::Column::Status.eq(STATUS_OPEN))
            .count(txn)
            .await
            .map_err(StoreError::from_db)?;
        Ok(open > 0)
    }

    pub async fn case(&self, id: CaseId) -> Result<Option<CaseRecord>, StoreError> {
        let model = cases::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        model.map(|m| self.case_states.record(m)).transpose()
    }

    pub async fn cases_by_ids(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, CaseRecord>, StoreError> {
        // One case is one query, its state's text read with it: a second round trip would
        // cost more than the text. A page's worth reads its cases' heads first, and the text
        // only of the states not yet parsed (see `case_states`).
        match ids {
            [] => return Ok(HashMap::new()),
            [id] => {
                return Ok(self
                    .case(*id)
                    .await?
                    .map(|r| (r.id, r))
                    .into_iter()
                    .collect());
            }
            _ => {}
        }
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let query =
                cases::Entity::find().filter(cases::Column::Id.is_in(chunk.iter().map(|id| id.0)));
            out.extend(
                self.cases_of_select(query)
                    .await?
                    .into_iter()
                    .map(|r| (r.id, r)),
            );
        }
        Ok(out)
    }

    /// The periods of care of children, oldest first, for many children in one query.
    pub async fn cases_of_children(
        &self,
        ids: &[ChildId],
    ) -> Result<HashMap<ChildId, Vec<CaseRecord>>, StoreError> {
        let mut out: HashMap<ChildId, Vec<CaseRecord>> = HashMap::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let models = cases::Entity::find()
                .filter(cases::Column::ChildId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(cases::Column::EnteredCareOn)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            for model in models {
                let record = self.case_states.record(model)?;
                out.entry(record.child_id).or_default().push(record);
            }
        }
        Ok(out)
    }

    /// A page of cases matching the filter, in creation order after the cursor.
    pub async fn cases_page(
        &self,
        filter: &CaseFilter,
        after: Option<CaseId>,
        limit: u64,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let mut query = filtered_cases(filter).order_by_asc(cases::Column::Id);
        if let Some(after) = after {
            query = query.filter(cases::Column::Id.gt(after.0));
        }
        self.cases_of_select(query.limit(limit)).await
    }

    /// A page of the cases the filter admits, in a chosen order (ties by id), `offset` cases
    /// in: for lists a person sorts, where a page number is what they need.
    pub async fn cases_sorted(
        &self,
        filter: &CaseFilter,
        order: CaseOrder,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        use sea_orm::sea_query::{NullOrdering, Order};
        let query = filtered_cases(filter);
        let query = match order {
            CaseOrder::Registered => query,
            CaseOrder::UnallocatedFirst => query.order_by(
                Expr::col(cases::Column::AllocatedWorker).is_null(),
                Order::Desc,
            ),
            CaseOrder::LongestInCare => query.order_by_asc(cases::Column::EnteredCareOn),
            // The soonest open deadline the engine knows; cases with none last (a deadline
            // not known from the return has no due date to come first by). The same SQL on
            // both databases.
            CaseOrder::NextDeadline => query.order_by_with_nulls(
                Expr::cust(
                    "(SELECT MIN(case_deadlines.due_on) FROM case_deadlines \
                     WHERE case_deadlines.case_id = cases.id \
                     AND case_deadlines.not_known_from_return = FALSE)",
                ),
                Order::Asc,
                NullOrdering::Last,
            ),
        };
        self.cases_of_select(
            query
                .order_by_asc(cases::Column::Id)
                .offset(offset)
                .limit(limit),
        )
        .await
    }

    /// The teams of the open cases in reach, in alphabetical order: what a list of cases can
    /// be narrowed to.
    pub async fn teams_in_reach(&self, reach: &Reach) -> Result<Vec<String>, StoreError> {
        let open_in_reach = CaseFilter {
            open: Some(true),
            reach: reach.clone(),
            ..CaseFilter::default()
        };
        filtered_cases(&open_in_reach)
            .select_only()
            .column(cases::Column::Team)
            .distinct()
            .filter(cases::Column::Team.is_not_null())
            .order_by_asc(cases::Column::Team)
            .into_tuple::<String>()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)
    }

    /// Every case with its child, for reports over the whole service (or one authority),
    /// read in pages so that no single query holds the whole table.
    pub async fn cases_with_children(
        &self,
        local_authority: Option<&str>,
    ) -> Result<Vec<(CaseRecord, ChildRecord)>, StoreError> {
        const PAGE: u64 = 5_000;
        let mut out = Vec::new();
        let mut after: Option<Uuid> = None;
        loop {
            let mut query = cases::Entity::find().order_by_asc(cases::Column::Id);
            if let Some(la) = local_authority {
                query = query.filter(cases::Column::LocalAuthority.eq(la));
            }
            if let Some(after) = after {
                query = query.filter(cases::Column::Id.gt(after));
            }
            let models = query
                .limit(PAGE)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            let Some(last) = models.last() else { break };
            after = Some(last.id);
            let full_page = models.len() as u64 == PAGE;
            let cases = models
                .into_iter()
                .map(|m| self.case_states.record(m))
                .collect::<Result<Vec<_>, _>>()?;
            out.extend(self.with_children(cases).await?);
            if !full_page {
                break;
            }
        }
        Ok(out)
    }

    /// The open cases of these authorities whose primary plan stands at one of these steps
    /// of its route, with their children, in case id order.
    pub async fn open_cases_at_steps(
        &self,
        local_authorities: &[String],
        steps: &[(permanence_domain::Route, &str)],
    ) -> Result<Vec<(CaseRecord, ChildRecord)>, StoreError> {
        let mut at_a_step = sea_orm::Condition::any();
        for (route, step) in steps {
            at_a_step = at_a_step.add(
                sea_orm::Condition::all()
                    .add(cases::Column::PrimaryRoute.eq(route.key()))
                    .add(cases::Column::PrimaryStep.eq(*step)),
            );
        }
        let cases = cases::Entity::find()
            .filter(cases::Column::LocalAuthority.is_in(local_authorities.iter().cloned()))
            .filter(cases::Column::Status.eq(STATUS_OPEN))
            .filter(at_a_step)
            .order_by_asc(cases::Column::Id)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(|m| self.case_states.record(m))
            .collect::<Result<Vec<_>, _>>()?;
        self.with_children(cases).await
    }

    /// How many cases an authority has, and the sum of their versions: one aggregate that
    /// moves whenever any of its cases changes or a case is added, because cases are never
    /// deleted and a version only grows. A report asks this before anything else.
    pub async fn cases_fingerprint(
        &self,
        local_authority: &str,
    ) -> Result<CasesFingerprint, StoreError> {
        let row: Option<(i64, i64)> = cases::Entity::find()
            .select_only()
            .expr_as(Expr::cust("COUNT(*)"), "cases")
            // PostgreSQL sums bigints as numeric: cast back.
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(version), 0) AS BIGINT)"),
                "versions",
            )
            .filter(cases::Column::LocalAuthority.eq(local_authority))
            .into_tuple()
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        let (cases, versions) = row.unwrap_or_default();
        Ok(CasesFingerprint { cases, versions })
    }

    /// Every case of an authority with its version, in id order: enough to tell which
    /// cases changed since they were last read (a case's version moves with every command).
    pub async fn case_versions(
        &self,
        local_authority: &str,
    ) -> Result<Vec<(CaseId, i64)>, StoreError> {
        let rows: Vec<(Uuid, i64)> = cases::Entity::find()
            .select_only()
            .column(cases::Column::Id)
            .column(cases::Column::Version)
            .filter(cases::Column::LocalAuthority.eq(local_authority))
            .order_by_asc(cases::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(rows.into_iter().map(|(id, v)| (CaseId(id), v)).collect())
    }

    /// Cases with their children, by id (ids not found are left out).
    pub async fn cases_with_children_by_ids(
        &self,
        ids: &[CaseId],
    ) -> Result<Vec<(CaseRecord, ChildRecord)>, StoreError> {
        let cases = self.cases_by_ids(ids).await?;
        self.with_children(cases.into_values()).await
    }

    /// Each case with its child, read in one query for them all.
    async fn with_children(
        &self,
        cases: impl IntoIterator<Item = CaseRecord>,
    ) -> Result<Vec<(CaseRecord, ChildRecord)>, StoreError> {
        let cases: Vec<CaseRecord> = cases.into_iter().collect();
        let child_ids: Vec<ChildId> = cases.iter().map(|c| c.child_id).collect();
        let children = self.children_by_ids(&child_ids).await?;
        cases
            .into_iter()
            .map(|case| {
                // A child who came back into care has several cases: cloned for each.
                let child = children
                    .get(&case.child_id)
                    .cloned()
                    .ok_or_else(|| StoreError::Corrupt("case without child".into()))?;
                Ok((case, child))
            })
            .collect()
    }

    /// Every case id, for rebuilding projections and for checks.
    pub async fn all_case_ids(&self) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<Uuid> = cases::Entity::find()
            .select_only()
            .column(cases::Column::Id)
            .order_by_asc(cases::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        Ok(ids.into_iter().map(CaseId).collect())
    }
}

impl Reach {
    /// Whether the reach narrows cases beyond their authority.
    pub(crate) fn narrows_cases(&self) -> bool {
        self.teams_or_unassigned.is_some()
            || self.allocated_to.is_some()
            || self.on_agenda_of.is_some()
    }

    /// Narrows a `SELECT … FROM cases` to the cases in reach.
    pub(crate) fn apply_to_cases(&self, select: &mut sea_orm::sea_query::SelectStatement) {
        if let Some(las) = &self.local_authorities {
            select.and_where(
                Expr::col((cases::Entity, cases::Column::LocalAuthority))
                    .is_in(las.iter().cloned()),
            );
        }
        if let Some(teams) = &self.teams_or_unassigned {
            select.cond_where(
                sea_orm::Condition::any()
                    .add(
                        Expr::col((cases::Entity, cases::Column::Team))
                            .is_in(teams.iter().cloned()),
                    )
                    .add(Expr::col((cases::Entity, cases::Column::Team)).is_null()),
            );
        }
        if let Some(user) = &self.allocated_to {
            select.and_where(
                Expr::col((cases::Entity, cases::Column::AllocatedWorker)).eq(user.as_str()),
            );
        }
        if let Some(user) = &self.on_agenda_of {
            select.and_where(
                Expr::col((cases::Entity, cases::Column::Id))
                    .in_subquery(panel::cases_on_agenda_of(user)),
            );
        }
    }
}

/// The cases a list filter admits (no order): the API's lists and the pages' share it.
pub(crate) fn filtered_cases(filter: &CaseFilter) -> sea_orm::Select<cases::Entity> {
    let mut query = cases::Entity::find();
    if let Some(la) = &filter.local_authority {
        query = query.filter(cases::Column::LocalAuthority.eq(la.as_str()));
    }
    if let Some(route) = filter.route {
        query = query.filter(cases::Column::PrimaryRoute.eq(route.key()));
    }
    if let Some(step) = &filter.step {
        query = query.filter(cases::Column::PrimaryStep.eq(step.as_str()));
    }
    if let Some(team) = &filter.team {
        query = query.filter(cases::Column::Team.eq(team.as_str()));
    }
    if let Some(worker) = &filter.allocated_worker {
        query = query.filter(cases::Column::AllocatedWorker.eq(worker.as_str()));
    }
    if let Some(las) = &filter.reach.local_authorities {
        query = query.filter(cases::Column::LocalAuthority.is_in(las.iter().cloned()));
    }
    if filter.reach.narrows_cases() {
        let mut in_reach = Query::select();
        in_reach.column(cases::Column::Id).from(cases::Entity);
        filter.reach.apply_to_cases(&mut in_reach);
        query = query.filter(cases::Column::Id.in_subquery(in_reach.to_owned()));
    }
    if let Some(open) = filter.open {
        query =
            query.filter(cases::Column::Status.eq(if open { STATUS_OPEN } else { STATUS_CLOSED }));
    }
    if let Some((status, as_of, due_soon_days)) = filter.drift {
        use permanence_domain::DriftStatus;
        let mut sub = Query::select();
        sub.column(case_deadlines::Column::CaseId)
            .from(case_deadlines::Entity);
        query = if status == DriftStatus::OnTrack {
            // On track: nothing the engine knows is overdue or due soon. A closed case has no
            // deadlines, but it is not "on track" either.
            sub.cond_where(drift_condition(None, as_of, due_soon_days));
            query
                .filter(cases::Column::Status.eq(STATUS_OPEN))
                .filter(cases::Column::Id.not_in_subquery(sub.to_owned()))
        } else {
            sub.cond_where(drift_condition(Some(status), as_of, due_soon_days));
            query.filter(cases::Column::Id.in_subquery(sub.to_owned()))
        };
    }
    query
}
