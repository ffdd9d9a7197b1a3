//! A child's legal track while they live at home (`permanence_domain::legal_at_home`): its
//! events, append-only, and its state beside them, written in one transaction, with the
//! command id kept so that a command sent again records nothing.

use crate::processed::{ProcessedKey, insert_processed};
use crate::rows::in_chunks;
use crate::{Reach, RunError, Store, StoreError};
use chrono::{DateTime, Utc};
use permanence_domain::ChildId;
use permanence_domain::legal_at_home::{AtHomeEvent, LegalAtHome};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::HashMap;
use uuid::Uuid;

mod records {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "child_legal_records")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub child_id: Uuid,
        pub local_authority: String,
        pub team: Option<String>,
        pub version: i64,
        pub under_way: bool,
        pub state: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "child_legal_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub child_id: Uuid,
        pub sequence: i64,
        pub event_type: String,
        pub payload: String,
        pub actor: String,
        pub occurred_on: Date,
        pub recorded_at: DateTimeUtc,
        pub command_id: Uuid,
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A child's legal record at home as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalAtHomeRecord {
    pub child_id: ChildId,
    pub local_authority: String,
    pub version: i64,
    pub state: LegalAtHome,
}

/// One event of a child's legal record at home, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAtHomeEvent {
    pub id: Uuid,
    pub sequence: i64,
    pub event: AtHomeEvent,
    pub actor: String,
    pub recorded_at: DateTime<Utc>,
    pub command_id: Uuid,
}

/// An event to append, with who recorded it and why.
#[derive(Clone, Debug)]
pub struct NewAtHomeEvent {
    pub id: Uuid,
    pub event: AtHomeEvent,
    pub actor: String,
    pub note: Option<String>,
}

/// What a command on a child's record at home did.
#[derive(Clone, Debug)]
pub enum AtHomeOutcome {
    Applied {
        version: i64,
        events: Vec<StoredAtHomeEvent>,
    },
    /// The command id was seen before: nothing was recorded this time.
    AlreadyProcessed { version: i64 },
}

/// A child entering care with a round under way at home: the record's next event, written in
/// the transaction that opens the case, at the version it was read at.
#[derive(Clone, Debug)]
pub struct ContinuesFromHome {
    pub child_id: ChildId,
    pub local_authority: String,
    pub read_at_version: i64,
    pub event: NewAtHomeEvent,
}

/// The command kind a record at home's commands are kept under.
pub const RECORD_AT_HOME_KIND: &str = "recordLegalStepAtHome";

impl Store {
    /// A child's legal record at home; `None` when nothing has been recorded.
    pub async fn legal_at_home(
        &self,
        child_id: ChildId,
    ) -> Result<Option<LegalAtHomeRecord>, StoreError> {
        records::Entity::find_by_id(child_id.0)
            .one(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .map(record_from_row)
            .transpose()
    }

    /// The records at home of these children (children with none are left out): one query
    /// for a page of children, not one a child.
    pub async fn legal_at_home_of(
        &self,
        ids: &[ChildId],
    ) -> Result<HashMap<ChildId, LegalAtHomeRecord>, StoreError> {
        let rows = in_chunks(ids, |chunk| {
            records::Entity::find()
                .filter(records::Column::ChildId.is_in(chunk.iter().map(|id| id.0)))
                .all(&self.db)
        })
        .await?;
        rows.into_iter()
            .map(|row| record_from_row(row).map(|r| (r.child_id, r)))
            .collect()
    }

    /// The records at home with a round under way that `reach` admits, in child id order.
    /// A record at home has a team but no allocated worker: a reach by allocation or by a
    /// panel's agenda admits none of them.
    pub async fn legal_at_home_under_way(
        &self,
        reach: &Reach,
    ) -> Result<Vec<LegalAtHomeRecord>, StoreError> {
        if reach.allocated_to.is_some() || reach.on_agenda_of.is_some() {
            return Ok(vec![]);
        }
        let mut query = records::Entity::find().filter(records::Column::UnderWay.eq(true));
        if let Some(authorities) = &reach.local_authorities {
            query =
                query.filter(records::Column::LocalAuthority.is_in(authorities.iter().cloned()));
        }
        if let Some(teams) = &reach.teams_or_unassigned {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(records::Column::Team.is_null())
                    .add(records::Column::Team.is_in(teams.iter().cloned())),
            );
        }
        query
            .order_by_asc(records::Column::ChildId)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(record_from_row)
            .collect()
    }

    /// A child's legal events at home, oldest first.
    pub async fn legal_at_home_events(
        &self,
        child_id: ChildId,
    ) -> Result<Vec<StoredAtHomeEvent>, StoreError> {
        events::Entity::find()
            .filter(events::Column::ChildId.eq(child_id.0))
            .order_by_asc(events::Column::Sequence)
            .all(&self.db)
            .await
            .map_err(StoreError::from_db)?
            .into_iter()
            .map(|row| {
                Ok(StoredAtHomeEvent {
                    id: row.id,
                    sequence: row.sequence,
                    event: serde_json::from_str(&row.payload)
                        .map_err(|e| StoreError::Corrupt(format!("legal event at home: {e}")))?,
                    actor: row.actor,
                    recorded_at: row.recorded_at,
                    command_id: row.command_id,
                })
            })
            .collect()
    }

    /// Runs one command on a child's record at home in one transaction: `decide` receives
    /// the record as it stands, its version and whether the child has a period of care open
    /// (seen in the same transaction, which takes turns with entering care), and answers
    /// with the events to append or a refusal. A command id already processed answers
    /// `AlreadyProcessed`.
    pub async fn run_legal_at_home_command<E, F>(
        &self,
        child_id: ChildId,
        local_authority: &str,
        command_id: Uuid,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<AtHomeOutcome, RunError<E>>
    where
        F: FnOnce(Option<&LegalAtHome>, i64, bool) -> Result<Vec<NewAtHomeEvent>, E>,
    {
        let store_err = |e: sea_orm::DbErr| RunError::Store(StoreError::from_db(e));
        let txn = self.begin_write().await.map_err(RunError::Store)?;
        if let Some(done) = crate::entities::processed_commands::Entity::find_by_id(command_id)
            .one(&txn)
            .await
            .map_err(store_err)?
        {
            txn.rollback().await.map_err(store_err)?;
            let same = done.command_kind.as_deref() == Some(RECORD_AT_HOME_KIND)
                && done.child_id == Some(child_id.0)
                && done.case_id.is_none();
            return if same {
                Ok(AtHomeOutcome::AlreadyProcessed {
                    version: done.version,
                })
            } else {
                Err(RunError::Store(StoreError::CommandIdReused))
            };
        }
        // Serialises commands on one child's record, and with entering care, across server
        // processes.
        self.lock_child(&txn, child_id)
            .await
            .map_err(RunError::Store)?;
        let in_care = Store::has_open_case(&txn, child_id)
            .await
            .map_err(RunError::Store)?;
        let current = records::Entity::find_by_id(child_id.0)
            .one(&txn)
            .await
            .map_err(store_err)?;
        let (state, version) = match current.map(record_from_row).transpose() {
            Ok(Some(record)) => (Some(record.state), record.version),
            Ok(None) => (None, 0),
            Err(err) => return Err(RunError::Store(err)),
        };
        let new_events = match decide(state.as_ref(), version, in_care) {
            Ok(events) => events,
            Err(refusal) => {
                txn.rollback().await.map_err(store_err)?;
                return Err(RunError::Rejected(refusal));
            }
        };
        let stored = append(
            &txn,
            child_id,
            local_authority,
            state,
            version,
            new_events,
            now,
            command_id,
        )
        .await
        .map_err(RunError::Store)?;
        let new_version = version + i64::try_from(stored.len()).unwrap_or(i64::MAX);
        let key = ProcessedKey {
            command_id,
            kind: RECORD_AT_HOME_KIND,
            case_id: None,
            child_id: Some(child_id.0),
        };
        insert_processed(&txn, key, new_version, now)
            .await
            .map_err(RunError::Store)?;
        txn.commit().await.map_err(store_err)?;
        Ok(AtHomeOutcome::Applied {
            version: new_version,
            events: stored,
        })
    }
}

/// Appends the round's continuation in care, in the transaction that opens the case: the
/// record must still be at the version it was read at, or the opening is a conflict to retry.
pub(crate) async fn continue_in_care(
    txn: &DatabaseTransaction,
    continues: &ContinuesFromHome,
    command_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let current = records::Entity::find_by_id(continues.child_id.0)
        .one(txn)
        .await
        .map_err(StoreError::from_db)?
        .map(record_from_row)
        .transpose()?;
    let Some(record) = current.filter(|r| r.version == continues.read_at_version) else {
        return Err(StoreError::VersionConflict);
    };
    append(
        txn,
        continues.child_id,
        &continues.local_authority,
        Some(record.state),
        record.version,
        vec![continues.event.clone()],
        now,
        command_id,
    )
    .await?;
    Ok(())
}

/// Appends events after `version` and writes the state they make, guarded by the version.
#[allow(clippy::too_many_arguments)]
async fn append(
    txn: &DatabaseTransaction,
    child_id: ChildId,
    local_authority: &str,
    state: Option<LegalAtHome>,
    version: i64,
    new_events: Vec<NewAtHomeEvent>,
    now: DateTime<Utc>,
    command_id: Uuid,
) -> Result<Vec<StoredAtHomeEvent>, StoreError> {
    if new_events.is_empty() {
        return Ok(vec![]);
    }
    let existed = state.is_some();
    let mut state = state;
    let mut stored = Vec::with_capacity(new_events.len());
    let mut rows = Vec::with_capacity(new_events.len());
    for (offset, new) in new_events.into_iter().enumerate() {
        let sequence = version + 1 + i64::try_from(offset).unwrap_or(i64::MAX);
        state = Some(permanence_domain::legal_at_home::evolve(state, &new.event));
        let payload =
            serde_json::to_string(&new.event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        rows.push(events::ActiveModel {
            id: Set(new.id),
            child_id: Set(child_id.0),
            sequence: Set(sequence),
            event_type: Set(new.event.kind().to_owned()),
            payload: Set(payload),
            actor: Set(new.actor.clone()),
            occurred_on: Set(new.event.occurred_on()),
            recorded_at: Set(now),
            command_id: Set(command_id),
            note: Set(new.note.clone()),
        });
        stored.push(StoredAtHomeEvent {
            id: new.id,
            sequence,
            event: new.event,
            actor: new.actor,
            recorded_at: now,
            command_id,
        });
    }
    let state = state.unwrap_or_default();
    let new_version = version + i64::try_from(stored.len()).unwrap_or(i64::MAX);
    let row = records::ActiveModel {
        child_id: Set(child_id.0),
        local_authority: Set(local_authority.to_owned()),
        team: Set(state.team.clone()),
        version: Set(new_version),
        under_way: Set(state.track.is_under_way()),
        state: Set(serde_json::to_string(&state).map_err(|e| StoreError::Corrupt(e.to_string()))?),
        updated_at: Set(now),
    };
    if existed {
        let updated = records::Entity::update_many()
            .set(row)
            .filter(records::Column::ChildId.eq(child_id.0))
            .filter(records::Column::Version.eq(version))
            .exec(txn)
            .await
            .map_err(StoreError::from_db)?;
        if updated.rows_affected != 1 {
            return Err(StoreError::VersionConflict);
        }
    } else {
        records::Entity::insert(row)
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::from_db)?;
    }
    events::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    Ok(stored)
}

fn record_from_row(row: records::Model) -> Result<LegalAtHomeRecord, StoreError> {
    Ok(LegalAtHomeRecord {
        child_id: ChildId(row.child_id),
        local_authority: row.local_authority,
        version: row.version,
        state: serde_json::from_str(&row.state)
            .map_err(|e| StoreError::Corrupt(format!("legal record at home: {e}")))?,
    })
}
