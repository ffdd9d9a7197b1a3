//! Cases' open deadlines as the store keeps them: replaced with each command, read back
//! soonest first.

use crate::entities::case_deadlines;
use crate::rows::{IN_LIST_CHUNK, from_json_string, to_json_string};
use crate::{Store, StoreError};
use permanence_domain::{CaseId, CaseState, Deadline};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::HashMap;

impl Store {
    /// The open deadlines of many cases, soonest first, those not known from the return
    /// last (the order `derive_deadlines` gives).
    pub async fn deadlines_of_cases(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, Vec<Deadline>>, StoreError> {
        let mut out: HashMap<CaseId, Vec<Deadline>> = HashMap::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let models = case_deadlines::Entity::find()
                .filter(case_deadlines::Column::CaseId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(case_deadlines::Column::NotKnownFromReturn)
                .order_by_asc(case_deadlines::Column::DueOn)
                .order_by_asc(case_deadlines::Column::DeadlineKey)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            for model in models {
                let case_id = CaseId(model.case_id);
                out.entry(case_id)
                    .or_default()
                    .push(deadline_from_row(model)?);
            }
        }
        Ok(out)
    }
}

pub(crate) async fn replace_deadlines(
    txn: &DatabaseTransaction,
    state: &CaseState,
    deadlines: &[Deadline],
) -> Result<(), StoreError> {
    case_deadlines::Entity::delete_many()
        .filter(case_deadlines::Column::CaseId.eq(state.id.0))
        .exec(txn)
        .await
        .map_err(StoreError::from_db)?;
    if deadlines.is_empty() {
        return Ok(());
    }
    let rows = deadlines
        .iter()
        .map(|d| deadline_row(state, d))
        .collect::<Result<Vec<_>, _>>()?;
    case_deadlines::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    Ok(())
}

pub(crate) fn deadline_row(
    state: &CaseState,
    d: &Deadline,
) -> Result<case_deadlines::ActiveModel, StoreError> {
    Ok(case_deadlines::ActiveModel {
        case_id: Set(state.id.0),
        deadline_key: Set(d.key.clone()),
        rule: Set(d.rule.clone()),
        label: Set(d.label.clone()),
        category: Set(to_json_string(&d.category)?),
        route: Set(d.route.map(|r| r.key().to_owned())),
        plan_id: Set(d.plan_id.and_then(|p| i32::try_from(p).ok())),
        started_on: Set(d.started_on),
        due_on: Set(d.due_on),
        period: Set(to_json_string(&d.period)?),
        basis: Set(to_json_string(&d.basis)?),
        reference: Set(d.reference.clone()),
        after_panel: Set(d.after_panel),
        local_authority: Set(state.local_authority.clone()),
        team: Set(state.team.clone()),
        not_known_from_return: Set(d.not_known_from_return),
    })
}

pub(crate) fn deadline_from_row(m: case_deadlines::Model) -> Result<Deadline, StoreError> {
    Ok(Deadline {
        key: m.deadline_key,
        rule: m.rule,
        label: m.label,
        category: from_json_string(&m.category, "deadline category")?,
        route: match m.route {
            Some(key) => Some(
                permanence_domain::Route::from_key(&key)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown route {key}")))?,
            ),
            None => None,
        },
        plan_id: m.plan_id.and_then(|p| u32::try_from(p).ok()),
        started_on: m.started_on,
        due_on: m.due_on,
        period: from_json_string(&m.period, "deadline period")?,
        basis: from_json_string(&m.basis, "deadline basis")?,
        reference: m.reference,
        after_panel: m.after_panel,
        not_known_from_return: m.not_known_from_return,
    })
}
