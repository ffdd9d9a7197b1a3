//! Storage for importing a national return (SSDA903): reading which of its children and
//! commands are already known, and writing a whole import in one transaction, so that an
//! import is all or nothing and a large one is not a transaction per command.

use crate::bulk::insert_rows;
use crate::case_rows::case_row;
use crate::children::facts_text;
use crate::deadlines::deadline_row;
use crate::entities::{case_deadlines, case_events, cases, children, processed_commands};
use crate::rows::in_chunks;
use crate::{Backend, ChildRecord, NewEvent, Store, StoreError};
use chrono::{DateTime, Utc};
use permanence_domain::child::{ChildFacts, NewChild};
use permanence_domain::codes::Sex;
use permanence_domain::{CaseId, CaseState, ChildId, Deadline};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The kind recorded for an import's commands: their ids are never a duplicate of a command
/// sent through the API.
const IMPORT_COMMAND_KIND: &str = "ssda903Import";

/// Rows per multi-row INSERT on SQLite: well under its limit of 32,766 bound parameters for
/// tables of up to 11 columns.
const INSERT_CHUNK: usize = 2_000;
/// The same for `case_deadlines`, of 16 columns: 24,000 parameters.
const DEADLINES_INSERT_CHUNK: usize = 1_500;

/// Rows gathered before they are inserted: enough for a few statements on each backend,
/// few enough that an import of 100,000 children does not hold all its rows twice.
const FLUSH_CASES: usize = 2_000;
const FLUSH_EVENTS: usize = 10_000;

/// SQLite's page cache while an import writes, and its default (both in KiB).
const IMPORT_CACHE_KIB: u32 = 256 * 1024;
const SQLITE_DEFAULT_CACHE_KIB: u32 = 2_000;

/// A child registered by the import.
#[derive(Clone, Debug)]
pub struct ImportedChildWrite {
    pub id: ChildId,
    pub command_id: Uuid,
    pub child: NewChild,
}

/// A child already held whose sex, ethnicity and return facts the import corrects.
#[derive(Clone, Debug)]
pub struct ImportedChildCorrection {
    pub id: ChildId,
    pub sex: Sex,
    pub ethnicity: String,
    pub facts: ChildFacts,
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

    /// Which of these cases are held (their ids only: no state is read or decoded).
    pub async fn held_case_ids(&self, ids: &[CaseId]) -> Result<HashSet<CaseId>, StoreError> {
        let found: Vec<Uuid> = in_chunks(ids, |chunk| {
            cases::Entity::find()
                .select_only()
                .column(cases::Column::Id)
                .filter(cases::Column::Id.is_in(chunk.iter().map(|id| id.0)))
                .into_tuple()
                .all(&self.db)
        })
        .await?;
        Ok(found.into_iter().map(CaseId).collect())
    }

    /// Which of these command ids have been processed already.
    pub async fn processed_command_ids(&self, ids: &[Uuid]) -> Result<HashSet<Uuid>, StoreError> {
        let found: Vec<Uuid> = in_chunks(ids, |chunk| {
            processed_commands::Entity::find()
                .select_only()
                .column(processed_commands::Column::CommandId)
                .filter(processed_commands::Column::CommandId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
        })
        .await?;
        Ok(found.into_iter().collect())
    }

    /// Writes an import in one transaction: the children and corrections to those held, the
    /// cases (a case that exists must still be at the version the import read), their
    /// events, deadlines and processed command ids. `progress` is called with the cases
    /// written so far.
    pub async fn write_import(
        &self,
        new_children: &[ImportedChildWrite],
        corrected_children: &[ImportedChildCorrection],
        written_cases: &[ImportedCaseWrite],
        now: DateTime<Utc>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        let err = StoreError::from_db;
        let sqlite = self.backend == Backend::Sqlite;
        if sqlite {
            // SQLite's default page cache (2 MB) spills a large transaction's pages into the
            // WAL and reads them back while its indexes grow; 256 MB while importing kept
            // 100,000 children's import about 3 s (15%) shorter.
            txn.execute_unprepared(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}"))
                .await
                .map_err(err)?;
        }
        let written = self
            .write_import_rows(
                &txn,
                new_children,
                corrected_children,
                written_cases,
                now,
                progress,
            )
            .await;
        if sqlite {
            // The connection goes back to the pool, whether or not the rows went in.
            let restored = txn
                .execute_unprepared(&format!("PRAGMA cache_size = -{SQLITE_DEFAULT_CACHE_KIB}"))
                .await;
            if written.is_ok() {
                restored.map_err(err)?;
            }
        }
        // On an error the transaction rolls back as it is dropped.
        let new_cases_written = written?;
        txn.commit().await.map_err(err)?;
        self.refresh_statistics(new_cases_written).await;
        Ok(())
    }

    /// The rows of `write_import`, in its transaction; answers how many cases it opened.
    async fn write_import_rows(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        new_children: &[ImportedChildWrite],
        corrected_children: &[ImportedChildCorrection],
        written_cases: &[ImportedCaseWrite],
        now: DateTime<Utc>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<usize, StoreError> {
        let err = StoreError::from_db;
        let rows = new_children
            .iter()
            .map(|c| child_row(c, now))
            .collect::<Result<Vec<_>, _>>()?;
        insert_rows::<children::Entity, _>(txn, self.backend, rows, INSERT_CHUNK).await?;
        let processed = new_children
            .iter()
            .map(|c| processed_commands::ActiveModel {
                command_id: Set(c.command_id),
                case_id: Set(None),
                child_id: Set(Some(c.id.0)),
                version: Set(0),
                recorded_at: Set(now),
                record_id: Set(None),
                command_kind: Set(Some(IMPORT_COMMAND_KIND.to_owned())),
            })
            .collect();
        insert_rows::<processed_commands::Entity, _>(txn, self.backend, processed, INSERT_CHUNK)
            .await?;
        for correction in corrected_children {
            children::Entity::update_many()
                .col_expr(children::Column::Sex, correction.sex.code().into())
                .col_expr(
                    children::Column::Ethnicity,
                    correction.ethnicity.clone().into(),
                )
                .col_expr(
                    children::Column::ReturnFacts,
                    facts_text(&correction.facts)?.into(),
                )
                .filter(children::Column::Id.eq(correction.id.0))
                .exec(txn)
                .await
                .map_err(err)?;
        }
        let mut new_cases = Vec::new();
        let mut new_cases_written = 0;
        let mut events = Vec::new();
        let mut processed = Vec::new();
        let mut deadlines = Vec::new();
        let mut facts = Vec::new();
        for (done, case) in written_cases.iter().enumerate() {
            let added: i64 = case
                .commands
                .iter()
                .map(|(_, e)| i64::try_from(e.len()).unwrap_or(i64::MAX))
                .sum();
            let version = case.previous_version + added;
            let row = case_row(&case.state, version, now)?;
            facts.push(crate::report_facts::facts_row(&case.state, version)?);
            if case.previous_version == 0 {
                new_cases.push(row);
                new_cases_written += 1;
            } else {
                let updated = cases::Entity::update_many()
                    .set(row)
                    .filter(cases::Column::Id.eq(case.state.id.0))
                    .filter(cases::Column::Version.eq(case.previous_version))
                    .exec(txn)
                    .await
                    .map_err(err)?;
                if updated.rows_affected != 1 {
                    return Err(StoreError::VersionConflict);
                }
                case_deadlines::Entity::delete_many()
                    .filter(case_deadlines::Column::CaseId.eq(case.state.id.0))
                    .exec(txn)
                    .await
                    .map_err(err)?;
            }
            let mut sequence = case.previous_version;
            for (command_id, command_events) in &case.commands {
                for new_event in command_events {
                    sequence += 1;
                    events.push(crate::events::event_row(
                        case.state.id,
                        *command_id,
                        sequence,
                        new_event,
                    )?);
                }
                processed.push(processed_commands::ActiveModel {
                    command_id: Set(*command_id),
                    case_id: Set(Some(case.state.id.0)),
                    child_id: Set(None),
                    version: Set(sequence),
                    recorded_at: Set(now),
                    record_id: Set(None),
                    command_kind: Set(Some(IMPORT_COMMAND_KIND.to_owned())),
                });
            }
            for deadline in &case.deadlines {
                deadlines.push(deadline_row(&case.state, deadline)?);
            }
            if new_cases.len() >= FLUSH_CASES || events.len() >= FLUSH_EVENTS {
                flush(
                    txn,
                    self.backend,
                    &mut new_cases,
                    &mut events,
                    &mut processed,
                    &mut deadlines,
                )
                .await?;
                crate::report_facts::write_facts(txn, std::mem::take(&mut facts))
                    .await
                    .map_err(err)?;
                progress(done + 1);
            }
        }
        flush(
            txn,
            self.backend,
            &mut new_cases,
            &mut events,
            &mut processed,
            &mut deadlines,
        )
        .await?;
        crate::report_facts::write_facts(txn, facts)
            .await
            .map_err(err)?;
        progress(written_cases.len());
        Ok(new_cases_written)
    }

    /// Fresh statistics for the planner after a large load, as autovacuum would take them
    /// later (and never, where it is off). Without them PostgreSQL goes on planning these
    /// tables as they were: a statement prepared while the database was empty kept a
    /// sequential scan, and looking up 100,000 children's periods of care by id right after
    /// importing them took 684 s instead of 6 s. SQLite's ANALYZE is cheap and taken after
    /// every import (see migration 4); PostgreSQL's when the cases grew by a tenth or more,
    /// autovacuum's own rule. The import has committed: a failure here is only logged.
    async fn refresh_statistics(&self, new_cases_written: usize) {
        let analyze = match self.backend {
            Backend::Sqlite => Some("ANALYZE"),
            Backend::Postgres => {
                let estimate = self
                    .db
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = 'cases'::regclass",
                    ))
                    .await
                    .ok()
                    .flatten()
                    .and_then(|row| row.try_get_by_index::<i64>(0).ok())
                    .unwrap_or(-1);
                let grown = i64::try_from(new_cases_written).unwrap_or(i64::MAX);
                (estimate < 0 || grown.saturating_mul(10) >= estimate).then_some(
                    "ANALYZE children, cases, case_events, processed_commands, case_deadlines",
                )
            }
        };
        if let Some(statement) = analyze
            && let Err(e) = self.db.execute_unprepared(statement).await
        {
            tracing::warn!(error = %e, "statistics were not refreshed after an import");
        }
    }
}

/// Inserts what has been gathered, cases before the rows that refer to them.
async fn flush(
    txn: &sea_orm::DatabaseTransaction,
    backend: Backend,
    new_cases: &mut Vec<cases::ActiveModel>,
    events: &mut Vec<case_events::ActiveModel>,
    processed: &mut Vec<processed_commands::ActiveModel>,
    deadlines: &mut Vec<case_deadlines::ActiveModel>,
) -> Result<(), StoreError> {
    // A case row holds its whole state: fewer of them per SQLite statement.
    let cases = std::mem::take(new_cases);
    insert_rows::<cases::Entity, _>(txn, backend, cases, INSERT_CHUNK / 8).await?;
    let events = std::mem::take(events);
    insert_rows::<case_events::Entity, _>(txn, backend, events, INSERT_CHUNK).await?;
    let processed = std::mem::take(processed);
    insert_rows::<processed_commands::Entity, _>(txn, backend, processed, INSERT_CHUNK).await?;
    let deadlines = std::mem::take(deadlines);
    insert_rows::<case_deadlines::Entity, _>(txn, backend, deadlines, DEADLINES_INSERT_CHUNK).await
}

fn child_row(
    c: &ImportedChildWrite,
    now: DateTime<Utc>,
) -> Result<children::ActiveModel, StoreError> {
    Ok(children::ActiveModel {
        id: Set(c.id.0),
        local_authority: Set(c.child.local_authority.clone()),
        reference: Set(c.child.reference.clone()),
        birth_date: Set(c.child.birth_date),
        sex: Set(c.child.sex.code().to_owned()),
        ethnicity: Set(c.child.ethnicity.clone()),
        name: Set(c.child.name.clone()),
        created_at: Set(now),
        return_facts: Set(facts_text(&c.child.facts)?),
    })
}
