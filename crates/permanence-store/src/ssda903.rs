//! Storage for importing a national return (SSDA903): reading which of its children and
//! commands are already known, and writing a whole import in one transaction, so that an
//! import is all or nothing and a large one is not a transaction per command.

use crate::entities::{case_deadlines, case_events, cases, children, processed_commands};
use crate::{
    Backend, ChildRecord, EVENT_SCHEMA_VERSION, IN_LIST_CHUNK, NewEvent, Store, StoreError,
    case_row, deadline_row, in_chunks,
};
use chrono::{DateTime, Utc};
use permanence_domain::child::NewChild;
use permanence_domain::{CaseState, ChildId, Deadline};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Rows per multi-row INSERT: well under SQLite's bound-parameter limit (the widest table
/// written here has 11 columns).
const INSERT_CHUNK: usize = 2_000;

/// A child registered by the import.
#[derive(Clone, Debug)]
pub struct ImportedChildWrite {
    pub id: ChildId,
    pub command_id: Uuid,
    pub child: NewChild,
}

/// A case the import opens or adds to: its state after the import, the version it had
/// before (0 for a new case), and the events of each command, in order.
#[derive(Clone, Debug)]
pub struct ImportedCaseWrite {
    pub state: CaseState,
    pub previous_version: i64,
    pub commands: Vec<(Uuid, Vec<NewEvent>)>,
    pub deadlines: Vec<Deadline>,
}

impl Store {
    /// The authority's children with these references.
    pub async fn children_by_references(
        &self,
        local_authority: &str,
        references: &[String],
    ) -> Result<HashMap<String, ChildRecord>, StoreError> {
        let models = in_chunks(references, |chunk| {
            children::Entity::find()
                .filter(children::Column::LocalAuthority.eq(local_authority))
                .filter(children::Column::Reference.is_in(chunk.iter().cloned()))
                .all(&self.db)
        })
        .await?;
        models
            .into_iter()
            .map(|m| ChildRecord::try_from(m).map(|r| (r.reference.clone(), r)))
            .collect()
    }

    /// Which of these command ids have been processed already.
    pub async fn processed_command_ids(&self, ids: &[Uuid]) -> Result<HashSet<Uuid>, StoreError> {
        let mut done = HashSet::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let found: Vec<Uuid> = processed_commands::Entity::find()
                .select_only()
                .column(processed_commands::Column::CommandId)
                .filter(processed_commands::Column::CommandId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            done.extend(found);
        }
        Ok(done)
    }

    /// Writes an import in one transaction: the children, the cases (a case that exists
    /// must still be at the version the import read), their events, deadlines and
    /// processed command ids. `progress` is called with the cases written so far.
    pub async fn write_import(
        &self,
        new_children: &[ImportedChildWrite],
        written_cases: &[ImportedCaseWrite],
        now: DateTime<Utc>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        let err = StoreError::from_db;
        for chunk in new_children.chunks(INSERT_CHUNK) {
            let rows = chunk
                .iter()
                .map(|c| child_row(c, now))
                .collect::<Result<Vec<_>, _>>()?;
            children::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await
                .map_err(err)?;
            let processed = chunk.iter().map(|c| processed_commands::ActiveModel {
                command_id: Set(c.command_id),
                case_id: Set(None),
                child_id: Set(Some(c.id.0)),
                version: Set(0),
                recorded_at: Set(now),
                record_id: Set(None),
            });
            processed_commands::Entity::insert_many(processed)
                .exec_without_returning(&txn)
                .await
                .map_err(err)?;
        }
        let mut new_cases = Vec::new();
        let mut events = Vec::new();
        let mut processed = Vec::new();
        let mut deadlines = Vec::new();
        for (done, case) in written_cases.iter().enumerate() {
            let added: i64 = case
                .commands
                .iter()
                .map(|(_, e)| i64::try_from(e.len()).unwrap_or(i64::MAX))
                .sum();
            let version = case.previous_version + added;
            let row = case_row(&case.state, version, now)?;
            if case.previous_version == 0 {
                new_cases.push(row);
            } else {
                let updated = cases::Entity::update_many()
                    .set(row)
                    .filter(cases::Column::Id.eq(case.state.id.0))
                    .filter(cases::Column::Version.eq(case.previous_version))
                    .exec(&txn)
                    .await
                    .map_err(err)?;
                if updated.rows_affected != 1 {
                    txn.rollback().await.map_err(err)?;
                    return Err(StoreError::VersionConflict);
                }
                case_deadlines::Entity::delete_many()
                    .filter(case_deadlines::Column::CaseId.eq(case.state.id.0))
                    .exec(&txn)
                    .await
                    .map_err(err)?;
            }
            let mut sequence = case.previous_version;
            for (command_id, command_events) in &case.commands {
                for new_event in command_events {
                    sequence += 1;
                    events.push(event_row(case, *command_id, sequence, new_event)?);
                }
                processed.push(processed_commands::ActiveModel {
                    command_id: Set(*command_id),
                    case_id: Set(Some(case.state.id.0)),
                    child_id: Set(None),
                    version: Set(sequence),
                    recorded_at: Set(now),
                    record_id: Set(None),
                });
            }
            for deadline in &case.deadlines {
                deadlines.push(deadline_row(&case.state, deadline)?);
            }
            if new_cases.len() >= INSERT_CHUNK / 4 || events.len() >= INSERT_CHUNK {
                flush(
                    &txn,
                    &mut new_cases,
                    &mut events,
                    &mut processed,
                    &mut deadlines,
                )
                .await?;
                progress(done + 1);
            }
        }
        flush(
            &txn,
            &mut new_cases,
            &mut events,
            &mut processed,
            &mut deadlines,
        )
        .await?;
        progress(written_cases.len());
        txn.commit().await.map_err(err)?;
        if self.backend == Backend::Sqlite {
            // Fresh statistics for the planner after a large load (see migration 4).
            let _ = sea_orm::ConnectionTrait::execute_unprepared(&self.db, "ANALYZE").await;
        }
        Ok(())
    }
}

/// Inserts what has been gathered, cases before the rows that refer to them.
async fn flush(
    txn: &sea_orm::DatabaseTransaction,
    new_cases: &mut Vec<cases::ActiveModel>,
    events: &mut Vec<case_events::ActiveModel>,
    processed: &mut Vec<processed_commands::ActiveModel>,
    deadlines: &mut Vec<case_deadlines::ActiveModel>,
) -> Result<(), StoreError> {
    // A case row holds its whole state: fewer of them per statement.
    insert_in_chunks::<cases::Entity>(txn, std::mem::take(new_cases), INSERT_CHUNK / 8).await?;
    insert_in_chunks::<case_events::Entity>(txn, std::mem::take(events), INSERT_CHUNK).await?;
    insert_in_chunks::<processed_commands::Entity>(txn, std::mem::take(processed), INSERT_CHUNK)
        .await?;
    insert_in_chunks::<case_deadlines::Entity>(txn, std::mem::take(deadlines), INSERT_CHUNK).await
}

/// Multi-row INSERTs of at most `per_statement` rows each.
async fn insert_in_chunks<E>(
    txn: &sea_orm::DatabaseTransaction,
    mut rows: Vec<E::ActiveModel>,
    per_statement: usize,
) -> Result<(), StoreError>
where
    E: EntityTrait,
{
    while !rows.is_empty() {
        let rest = rows.split_off(per_statement.min(rows.len()));
        E::insert_many(rows)
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::from_db)?;
        rows = rest;
    }
    Ok(())
}

fn child_row(
    c: &ImportedChildWrite,
    now: DateTime<Utc>,
) -> Result<children::ActiveModel, StoreError> {
    let facts = if c.child.facts == Default::default() {
        None
    } else {
        Some(
            serde_json::to_string(&c.child.facts)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        )
    };
    Ok(children::ActiveModel {
        id: Set(c.id.0),
        local_authority: Set(c.child.local_authority.clone()),
        reference: Set(c.child.reference.clone()),
        birth_date: Set(c.child.birth_date),
        sex: Set(c.child.sex.code().to_owned()),
        ethnicity: Set(c.child.ethnicity.clone()),
        name: Set(c.child.name.clone()),
        created_at: Set(now),
        return_facts: Set(facts),
    })
}

fn event_row(
    case: &ImportedCaseWrite,
    command_id: Uuid,
    sequence: i64,
    new_event: &NewEvent,
) -> Result<case_events::ActiveModel, StoreError> {
    let payload =
        serde_json::to_string(&new_event.event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(case_events::ActiveModel {
        id: Set(new_event.id),
        case_id: Set(case.state.id.0),
        sequence: Set(sequence),
        event_type: Set(new_event.event.kind().to_owned()),
        schema_version: Set(EVENT_SCHEMA_VERSION),
        payload: Set(payload),
        actor: Set(new_event.actor.clone()),
        occurred_on: Set(new_event.event.occurred_on()),
        recorded_at: Set(new_event.recorded_at),
        command_id: Set(command_id),
        note: Set(new_event.note.clone()),
    })
}
