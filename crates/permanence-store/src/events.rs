//! Commands on cases and the events they append: one transaction locks and loads the case,
//! lets the engine decide, appends the events, updates the case's projections and records
//! the command id; a command id seen before answers with what it did. And the events of
//! cases, read back in order.

use crate::case_rows::{case_row, decode_state};
use crate::deadlines::replace_deadlines;
use crate::entities::{case_events, cases, processed_commands};
use crate::processed::{ProcessedKey, insert_processed};
use crate::rows::IN_LIST_CHUNK;
use crate::{
    Backend, Changes, CommandOutcome, NewEvent, RunError, Store, StoreError, StoredEvent,
    legal_at_home, panel, report_facts,
};
use chrono::{DateTime, Utc};
use permanence_domain::{CaseId, CaseState, ChildId};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use uuid::Uuid;

/// The version of the event payload format; bumped when a payload's shape changes.
pub const EVENT_SCHEMA_VERSION: i32 = 1;

/// A command on a case as its idempotency record knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaseCommandKey {
    /// The client's command id (or one generated for it).
    pub id: Uuid,
    /// What the command does (`recordReview`): the same id with another kind is another
    /// command.
    pub kind: &'static str,
    /// For the opening of a case, the child it is opened for: the case's id is new on each
    /// attempt, so the child is what makes two openings the same.
    pub opens_case_of: Option<ChildId>,
}

impl Store {
    /// Runs one command on a case in one transaction. `decide` receives the case as it stands
    /// (locked against concurrent writers) and its version, and answers with the changes to
    /// store or a refusal. A command id already processed returns `AlreadyProcessed` and
    /// records nothing.
    pub async fn run_case_command<E, F>(
        &self,
        case_id: CaseId,
        command: CaseCommandKey,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<CommandOutcome, RunError<E>>
    where
        F: FnOnce(Option<&CaseState>, i64) -> Result<Changes, E>,
    {
        let command_id = command.id;
        let result = self
            .try_run_case_command(case_id, command, now, decide)
            .await;
        match result {
            Err(RunError::Store(
                err @ (StoreError::DuplicateCommand | StoreError::Conflict(_)),
            )) => {
                // On PostgreSQL a concurrent request with the same command id may have won the
                // race (its unique violation surfaces only once it commits): answer as it did.
                match self.processed(command_id).await.map_err(RunError::Store)? {
                    Some(done) => {
                        already_processed(done, command, case_id).map_err(RunError::Store)
                    }
                    None => Err(RunError::Store(err)),
                }
            }
            other => other,
        }
    }

    async fn try_run_case_command<E, F>(
        &self,
        case_id: CaseId,
        command: CaseCommandKey,
        now: DateTime<Utc>,
        decide: F,
    ) -> Result<CommandOutcome, RunError<E>>
    where
        F: FnOnce(Option<&CaseState>, i64) -> Result<Changes, E>,
    {
        let store_err = |e: sea_orm::DbErr| RunError::Store(StoreError::from_db(e));
        let txn = self.begin_write().await.map_err(RunError::Store)?;
        if let Some(child) = command.opens_case_of {
            // Entering care and a legal step at home for the same child take turns, so that
            // the step sees the case once it is open (`legal_at_home`).
            self.lock_child(&txn, child)
                .await
                .map_err(RunError::Store)?;
        }
        let mut find = cases::Entity::find_by_id(case_id.0);
        if self.backend == Backend::Postgres {
            // Serialises commands on one case across server processes.
            find = find.lock_exclusive();
        }
        let current = find.one(&txn).await.map_err(store_err)?;
        let command_id = command.id;
        if let Some(done) = processed_commands::Entity::find_by_id(command_id)
            .one(&txn)
            .await
            .map_err(store_err)?
        {
            txn.rollback().await.map_err(store_err)?;
            return already_processed(done, command, case_id).map_err(RunError::Store);
        }
        let (state, version) = match &current {
            Some(model) => (
                Some(decode_state(&model.state).map_err(RunError::Store)?),
                model.version,
            ),
            None => (None, 0),
        };
        let changes = match decide(state.as_ref(), version) {
            Ok(changes) => changes,
            Err(refusal) => {
                txn.rollback().await.map_err(store_err)?;
                return Err(RunError::Rejected(refusal));
            }
        };
        if changes.events.is_empty() {
            txn.rollback().await.map_err(store_err)?;
            return Ok(CommandOutcome::Applied {
                case_id,
                version,
                events: vec![],
            });
        }
        let written = write_case_changes(
            &txn,
            case_id,
            current.is_some(),
            version,
            changes,
            command_id,
            now,
        )
        .await;
        let (new_version, stored) = match written {
            Ok(done) => done,
            Err(err) => {
                txn.rollback().await.map_err(store_err)?;
                return Err(RunError::Store(err));
            }
        };
        let key = ProcessedKey {
            command_id,
            kind: command.kind,
            case_id: Some(case_id.0),
            child_id: command.opens_case_of.map(|child| child.0),
        };
        insert_processed(&txn, key, new_version, now)
            .await
            .map_err(RunError::Store)?;
        txn.commit().await.map_err(store_err)?;
        Ok(CommandOutcome::Applied {
            case_id,
            version: new_version,
            events: stored,
        })
    }

    /// Every event of a case, in order.
    pub async fn case_events(&self, id: CaseId) -> Result<Vec<StoredEvent>, StoreError> {
        Ok(self
            .events_of_cases(&[id])
            .await?
            .remove(&id)
            .unwrap_or_default())
    }

    /// The events of many cases in one query per 500 cases.
    pub async fn events_of_cases(
        &self,
        ids: &[CaseId],
    ) -> Result<HashMap<CaseId, Vec<StoredEvent>>, StoreError> {
        let mut out: HashMap<CaseId, Vec<StoredEvent>> = HashMap::new();
        for chunk in ids.chunks(IN_LIST_CHUNK) {
            let models = case_events::Entity::find()
                .filter(case_events::Column::CaseId.is_in(chunk.iter().map(|id| id.0)))
                .order_by_asc(case_events::Column::CaseId)
                .order_by_asc(case_events::Column::Sequence)
                .all(&self.db)
                .await
                .map_err(StoreError::from_db)?;
            for model in models {
                let event = StoredEvent::try_from(model)?;
                out.entry(event.case_id).or_default().push(event);
            }
        }
        Ok(out)
    }
}

/// The answer to a command id seen before: the same command (same kind, same case, or for
/// an opening the same child) answers with what it did; anything else is a reuse of the id,
/// refused without saying what the id was used for.
fn already_processed(
    done: processed_commands::Model,
    command: CaseCommandKey,
    asked_for: CaseId,
) -> Result<CommandOutcome, StoreError> {
    // Rows recorded before kinds were kept are recognised by their target alone.
    let same_kind = done
        .command_kind
        .as_deref()
        .is_none_or(|kind| kind == command.kind);
    let same_target = match command.opens_case_of {
        Some(child) => done.child_id == Some(child.0),
        None => done.case_id == Some(asked_for.0) && done.child_id.is_none(),
    };
    match done.case_id {
        Some(case_id) if same_kind && same_target => Ok(CommandOutcome::AlreadyProcessed {
            case_id: CaseId(case_id),
            version: done.version,
        }),
        _ => Err(StoreError::CommandIdReused),
    }
}

/// Writes one case's changes inside a command's transaction: the case's projection under its
/// version (another version refuses with `VersionConflict`), its events, deadlines and report
/// facts, and the panel item the command records on. Answers with the new version and the
/// events as stored.
pub(crate) async fn write_case_changes(
    txn: &DatabaseTransaction,
    case_id: CaseId,
    exists: bool,
    version: i64,
    changes: Changes,
    command_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<StoredEvent>), StoreError> {
    let new_version = version + i64::try_from(changes.events.len()).unwrap_or(i64::MAX);
    let row = case_row(&changes.state, new_version, now)?;
    let facts = report_facts::facts_row(&changes.state, new_version)?;
    if exists {
        // The version check makes a lost update impossible even without the row lock.
        let updated = cases::Entity::update_many()
            .set(row)
            .filter(cases::Column::Id.eq(case_id.0))
            .filter(cases::Column::Version.eq(version))
            .exec(txn)
            .await
            .map_err(StoreError::from_db)?;
        if updated.rows_affected != 1 {
            return Err(StoreError::VersionConflict);
        }
    } else {
        cases::Entity::insert(row)
            .exec_without_returning(txn)
            .await
            .map_err(StoreError::from_db)?;
    }
    let mut stored = Vec::with_capacity(changes.events.len());
    let mut models = Vec::with_capacity(changes.events.len());
    for (offset, new_event) in changes.events.into_iter().enumerate() {
        let sequence = version + 1 + i64::try_from(offset).unwrap_or(i64::MAX);
        models.push(event_row(case_id, command_id, sequence, &new_event)?);
        stored.push(StoredEvent {
            id: new_event.id,
            case_id,
            sequence,
            occurred_on: new_event.event.occurred_on(),
            event: new_event.event,
            actor: new_event.actor,
            recorded_at: new_event.recorded_at,
            command_id,
            note: new_event.note,
            schema_version: EVENT_SCHEMA_VERSION,
        });
    }
    case_events::Entity::insert_many(models)
        .exec_without_returning(txn)
        .await
        .map_err(StoreError::from_db)?;
    replace_deadlines(txn, &changes.state, &changes.deadlines).await?;
    report_facts::write_facts(txn, vec![facts])
        .await
        .map_err(StoreError::from_db)?;
    if let Some(change) = &changes.panel_item {
        panel::apply_item_change(txn, change, now).await?;
    }
    if let Some(continues) = &changes.continues_from_home {
        legal_at_home::continue_in_care(txn, continues, command_id, now).await?;
    }
    Ok((new_version, stored))
}

/// The row of an event in a case's append-only history: the one place the stored format is
/// written, for commands and imports alike.
pub(crate) fn event_row(
    case_id: CaseId,
    command_id: Uuid,
    sequence: i64,
    new_event: &NewEvent,
) -> Result<case_events::ActiveModel, StoreError> {
    let payload =
        serde_json::to_string(&new_event.event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(case_events::ActiveModel {
        id: Set(new_event.id),
        case_id: Set(case_id.0),
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
