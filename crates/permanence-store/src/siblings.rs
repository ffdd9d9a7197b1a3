//! Sibling groups: their events (append-only), the projection of each group's state, and
//! which group each member case is in.
//!
//! A decision is written in one transaction: the event, the group's new state under its
//! version (a changed version refuses it), the members' rows (whose key on the case keeps a
//! case in one group, even against a concurrent request), and the command id.

use crate::entities::{
    processed_commands, sibling_group_events, sibling_group_members, sibling_groups,
};
use crate::rows::{from_json_string, in_chunks, to_json_string};
use crate::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use permanence_domain::CaseId;
use permanence_domain::ids::SiblingGroupId;
use permanence_domain::siblings::{SiblingEvent, SiblingGroupState};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The kind recorded for a group's decision in `processed_commands`.
pub const RECORD_SIBLING_GROUP_KIND: &str = "recordSiblingGroup";

/// A group as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiblingGroupRecord {
    pub id: SiblingGroupId,
    pub local_authority: String,
    /// Increases by one with every decision.
    pub version: i64,
    pub state: SiblingGroupState,
    pub updated_at: DateTime<Utc>,
}

/// One of a group's events with its envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiblingGroupEventRecord {
    pub id: Uuid,
    pub group_id: SiblingGroupId,
    pub sequence: i64,
    pub event: SiblingEvent,
    /// Who recorded it (a user id).
    pub actor: String,
    pub occurred_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub command_id: Uuid,
}

/// A decision to write.
#[derive(Clone, Debug)]
pub struct SiblingGroupWrite {
    pub command_id: Uuid,
    pub group_id: SiblingGroupId,
    /// The version the decision was made on: 0 for a new group.
    pub expected_version: i64,
    pub event_id: Uuid,
    pub event: SiblingEvent,
    /// The group after the event.
    pub state: SiblingGroupState,
    pub actor: String,
}

/// What writing a decision did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiblingWriteOutcome {
    Recorded,
    /// The command id had recorded a decision on this group before: nothing new was written.
    AlreadyProcessed(SiblingGroupId),
}

impl TryFrom<sibling_groups::Model> for SiblingGroupRecord {
    type Error = StoreError;
    fn try_from(m: sibling_groups::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: SiblingGroupId(m.id),
            local_authority: m.local_authority,
            version: m.version,
            state: from_json_string(&m.state, "sibling group")?,
            updated_at: m.updated_at,
        })
    }
}

impl TryFrom<sibling_group_events::Model> for SiblingGroupEventRecord {
    type Error = StoreError;
    fn try_from(m: sibling_group_events::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: m.id,
            group_id: SiblingGroupId(m.group_id),
            sequence: m.sequence,
            event: from_json_string(&m.payload, "sibling group event")?,
            actor: m.actor,
            occurred_on: m.occurred_on,
            recorded_at: m.recorded_at,
            command_id: m.command_id,
        })
    }
}

impl Store {
    pub async fn sibling_group(
        &self,
        id: SiblingGroupId,
    ) -> Result<Option<SiblingGroupRecord>, StoreError> {
        sibling_groups::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .map(SiblingGroupRecord::try_from)
            .transpose()
    }

    pub async fn sibling_groups_by_ids(
        &self,
        ids: &[SiblingGroupId],
    ) -> Result<HashMap<SiblingGroupId, SiblingGroupRecord>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            sibling_groups::Entity::find()
                .filter(sibling_groups::Column::Id.is_in(chunk.iter().map(|id| id.0)))
                .all(&self.db)
        })
        .await?;
        models
            .into_iter()
            .map(|m| SiblingGroupRecord::try_from(m).map(|r| (r.id, r)))
            .collect()
    }

    /// The group each of these cases is in (cases in none are left out).
    pub async fn sibling_groups_of_cases(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, SiblingGroupId>, StoreError> {
        let models = in_chunks(ids, |chunk| {
            sibling_group_members::Entity::find()
                .filter(sibling_group_members::Column::CaseId.is_in(chunk.iter().map(|id| id.0)))
                .all(&self.db)
        })
        .await?;
        Ok(models
            .into_iter()
            .map(|m| (CaseId(m.case_id), SiblingGroupId(m.group_id)))
            .collect())
    }

    /// A group's events, oldest first.
    pub async fn sibling_group_events(
        &self,
        id: SiblingGroupId,
    ) -> Result<Vec<SiblingGroupEventRecord>, StoreError> {
        sibling_group_events::Entity::find()
            .filter(sibling_group_events::Column::GroupId.eq(id.0))
            .order_by_asc(sibling_group_events::Column::Sequence)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(SiblingGroupEventRecord::try_from)
            .collect()
    }

    /// The decisions of the group a case is in (none when it is in none), oldest first.
    pub async fn sibling_group_events_of_case(
        &self,
        case_id: CaseId,
    ) -> Result<Vec<SiblingGroupEventRecord>, StoreError> {
        match self
            .sibling_groups_of_cases(&[case_id])
            .await?
            .remove(&case_id)
        {
            Some(group) => self.sibling_group_events(group).await,
            None => Ok(Vec::new()),
        }
    }

    /// The group a command id recorded a decision on, if it was processed before; a command
    /// id used for anything else is a reuse.
    pub async fn sibling_group_of_command(
        &self,
        command_id: Uuid,
    ) -> Result<Option<SiblingGroupId>, StoreError> {
        match self.processed(command_id).await? {
            None => Ok(None),
            Some(done) => group_of(done).map(Some),
        }
    }

    /// Writes a decision in one transaction (see the module's documentation).
    pub async fn record_sibling_group(
        &self,
        write: &SiblingGroupWrite,
        now: DateTime<Utc>,
    ) -> Result<SiblingWriteOutcome, StoreError> {
        let txn = self.begin_write().await?;
        match self.write_sibling_group(&txn, write, now).await {
            Ok(SiblingWriteOutcome::Recorded) => {
                txn.commit().await.map_err(StoreError::from_db)?;
                Ok(SiblingWriteOutcome::Recorded)
            }
            Ok(done) => {
                txn.rollback().await.map_err(StoreError::from_db)?;
                Ok(done)
            }
            Err(err) => {
                txn.rollback().await.map_err(StoreError::from_db)?;
                // A concurrent request with the same command id may have won the race.
                if matches!(err, StoreError::DuplicateCommand)
                    && let Some(group) = self.sibling_group_of_command(write.command_id).await?
                {
                    return Ok(SiblingWriteOutcome::AlreadyProcessed(group));
                }
                Err(err)
            }
        }
    }

    async fn write_sibling_group(
        &self,
        txn: &DatabaseTransaction,
        write: &SiblingGroupWrite,
        now: DateTime<Utc>,
    ) -> Result<SiblingWriteOutcome, StoreError> {
        if let Some(done) = processed_commands::Entity::find_by_id(write.command_id)
            .one(txn)
            .await
            .map_err(StoreError::from_db)?
        {
            return group_of(done).map(SiblingWriteOutcome::AlreadyProcessed);
        }
        let version = write.expected_version + 1;
        let state = to_json_string(&write.state)?;
        if write.expected_version == 0 {
            sibling_groups::Entity::insert(sibling_groups::ActiveModel {
                id: Set(write.group_id.0),
                local_authority: Set(write.state.local_authority.clone()),
                version: Set(version),
                state: Set(state),
                updated_at: Set(now),
            })
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::from_db)?;
        } else {
            let mut find = sibling_groups::Entity::find_by_id(write.group_id.0);
            if self.backend == crate::Backend::Postgres {
                find = find.lock_exclusive();
            }
            find.one(txn).await.map_err(StoreError::from_db)?;
            let updated = sibling_groups::Entity::update_many()
                .set(sibling_groups::ActiveModel {
                    version: Set(version),
                    state: Set(state),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .filter(sibling_groups::Column::Id.eq(write.group_id.0))
                .filter(sibling_groups::Column::Version.eq(write.expected_version))
                .exec(txn)
                .await
                .map_err(StoreError::from_db)?;
            if updated.rows_affected != 1 {
                return Err(StoreError::VersionConflict);
            }
        }
        sibling_group_events::Entity::insert(sibling_group_events::ActiveModel {
            id: Set(write.event_id),
            group_id: Set(write.group_id.0),
            sequence: Set(version),
            event_type: Set(write.event.kind().to_owned()),
            payload: Set(to_json_string(&write.event)?),
            actor: Set(write.actor.clone()),
            occurred_on: Set(write.event.occurred_on()),
            recorded_at: Set(now),
            command_id: Set(write.command_id),
        })
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
        sibling_group_members::Entity::delete_many()
            .filter(sibling_group_members::Column::GroupId.eq(write.group_id.0))
            .exec(txn)
            .await
            .map_err(StoreError::from_db)?;
        let rows = write
            .state
            .members
            .iter()
            .map(|case_id| sibling_group_members::ActiveModel {
                case_id: Set(case_id.0),
                group_id: Set(write.group_id.0),
            });
        sibling_group_members::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::from_db)?;
        processed_commands::Entity::insert(processed_commands::ActiveModel {
            command_id: Set(write.command_id),
            case_id: Set(None),
            child_id: Set(None),
            version: Set(version),
            recorded_at: Set(now),
            record_id: Set(Some(write.group_id.0)),
            command_kind: Set(Some(RECORD_SIBLING_GROUP_KIND.to_owned())),
        })
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
        Ok(SiblingWriteOutcome::Recorded)
    }
}

/// The group an earlier decision with this command id was on.
fn group_of(done: processed_commands::Model) -> Result<SiblingGroupId, StoreError> {
    let same_kind = done.command_kind.as_deref() == Some(RECORD_SIBLING_GROUP_KIND);
    done.record_id
        .filter(|_| same_kind)
        .map(SiblingGroupId)
        .ok_or(StoreError::CommandIdReused)
}
