//! Children: registering one (once per command id), and reading them by id or a page at a
//! time within a reach.

use crate::entities::{cases, children, processed_commands};
use crate::processed::{ProcessedKey, insert_processed};
use crate::rows::in_chunks;
use crate::{Backend, ChildRecord, Reach, Store, StoreError};
use chrono::{DateTime, Utc};
use permanence_domain::ChildId;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The kind recorded for a child's registration.
const REGISTER_CHILD_KIND: &str = "registerChild";

impl Store {
    /// Registers a child. The same command id twice registers one child and returns it.
    pub async fn register_child(
        &self,
        command_id: Uuid,
        id: ChildId,
        child: &permanence_domain::child::NewChild,
        now: DateTime<Utc>,
    ) -> Result<(ChildRecord, bool), StoreError> {
        match self.try_register_child(command_id, id, child, now).await {
            Err(err @ (StoreError::DuplicateCommand | StoreError::Conflict(_))) => {
                // A concurrent request with the same command id may have registered the child.
                match self.processed(command_id).await? {
                    Some(done) => Ok((self.registered_before(done, child).await?, false)),
                    None => Err(err),
                }
            }
            other => other,
        }
    }

    /// The child an earlier registration with this command id registered: only the same
    /// registration (the same reference in the same authority) is answered with it.
    async fn registered_before(
        &self,
        done: processed_commands::Model,
        child: &permanence_domain::child::NewChild,
    ) -> Result<ChildRecord, StoreError> {
        let same_kind = done
            .command_kind
            .as_deref()
            .is_none_or(|kind| kind == REGISTER_CHILD_KIND);
        let registered = match done.child_id {
            Some(id) if same_kind && done.case_id.is_none() => self.child(ChildId(id)).await?,
            _ => None,
        };
        registered
            .filter(|r| {
                r.local_authority == child.local_authority && r.reference == child.reference
            })
            .ok_or(StoreError::CommandIdReused)
    }

    async fn try_register_child(
        &self,
        command_id: Uuid,
        id: ChildId,
        child: &permanence_domain::child::NewChild,
        now: DateTime<Utc>,
    ) -> Result<(ChildRecord, bool), StoreError> {
        let txn = self.begin_write().await?;
        if let Some(done) = processed_commands::Entity::find_by_id(command_id)
            .one(&txn)
            .await
            .map_err(StoreError::from_db)?
        {
            txn.rollback().await.map_err(StoreError::from_db)?;
            return Ok((self.registered_before(done, child).await?, false));
        }
        let model = children::ActiveModel {
            id: Set(id.0),
            local_authority: Set(child.local_authority.clone()),
            reference: Set(child.reference.clone()),
            birth_date: Set(child.birth_date),
            sex: Set(child.sex.code().to_owned()),
            ethnicity: Set(child.ethnicity.clone()),
            name: Set(child.name.clone()),
            created_at: Set(now),
            return_facts: Set(facts_text(&child.facts)?),
        };
        children::Entity::insert(model)
            .exec_without_returning(&txn)
            .await
            .map_err(StoreError::from_db)?;
        let key = ProcessedKey {
            command_id,
            kind: REGISTER_CHILD_KIND,
            case_id: None,
            child_id: Some(id.0),
        };
        insert_processed(&txn, key, 0, now).await?;
        txn.commit().await.map_err(StoreError::from_db)?;
        let record = self.child(id).await?.ok_or(StoreError::NotFound)?;
        Ok((record, true))
    }

    pub async fn child(&self, id: ChildId) -> Result<Option<ChildRecord>, StoreError> {
        let model = children::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        model.map(ChildRecord::try_from).transpose()
    }

    pub async fn children_by_ids(
        &self,
        ids: &[ChildId],
    ) -> Result<HashMap<ChildId, ChildRecord>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            children::Entity::find()
                .filter(children::Column::Id.is_in(chunk.iter().map(|id| id.0)))
                .all(&self.db)
        })
        .await?;
        models
            .into_iter()
            .map(|m| ChildRecord::try_from(m).map(|r| (r.id, r)))
            .collect()
    }

    /// A page of children in registration order, after the cursor.
    pub async fn children_page(
        &self,
        local_authority: Option<&str>,
        reach: &Reach,
        after: Option<ChildId>,
        limit: u64,
    ) -> Result<Vec<ChildRecord>, StoreError> {
        let mut query = children::Entity::find().order_by_asc(children::Column::Id);
        if let Some(la) = local_authority {
            query = query.filter(children::Column::LocalAuthority.eq(la));
        }
        if let Some(las) = &reach.local_authorities {
            query = query.filter(children::Column::LocalAuthority.is_in(las.iter().cloned()));
        }
        if reach.narrows_cases() {
            // A child is in reach through a case in reach; with a team reach, a child not yet
            // in care is in reach too (the team will take the case).
            let mut with_case = Query::select();
            with_case.column(cases::Column::ChildId).from(cases::Entity);
            reach.apply_to_cases(&mut with_case);
            let mut condition = sea_orm::Condition::any()
                .add(children::Column::Id.in_subquery(with_case.to_owned()));
            if reach.teams_or_unassigned.is_some() {
                let mut any_case = Query::select();
                any_case.column(cases::Column::ChildId).from(cases::Entity);
                condition =
                    condition.add(children::Column::Id.not_in_subquery(any_case.to_owned()));
            }
            query = query.filter(condition);
        }
        if let Some(after) = after {
            query = query.filter(children::Column::Id.gt(after.0));
        }
        let models = query
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?;
        models.into_iter().map(ChildRecord::try_from).collect()
    }

    /// On PostgreSQL, locks a child's row until the transaction ends (SQLite's writers take
    /// turns already).
    pub(crate) async fn lock_child(
        &self,
        txn: &DatabaseTransaction,
        child: ChildId,
    ) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            children::Entity::find_by_id(child.0)
                .lock_exclusive()
                .one(txn)
                .await
                .map_err(StoreError::from_db)?;
        }
        Ok(())
    }
}

/// A child's return facts as stored: none when nothing is recorded.
pub(crate) fn facts_text(
    facts: &permanence_domain::child::ChildFacts,
) -> Result<Option<String>, StoreError> {
    if *facts == Default::default() {
        return Ok(None);
    }
    serde_json::to_string(facts)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("child facts: {e}")))
}
