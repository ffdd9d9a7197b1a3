//! One command on several cases in one transaction: all of them are recorded, or none.
//!
//! The panel hears a sibling group as one agenda item and records one outcome for it; each
//! child's case takes the outcome as its own events, under its own version, and the group's
//! command id is recorded once, so that sending it again records nothing more.

use crate::RunError;
use crate::case_rows::decode_state;
use crate::entities::{cases, processed_commands};
use crate::events::write_case_changes;
use crate::{Backend, Changes, Store, StoreError, StoredEvent};
use chrono::{DateTime, Utc};
use permanence_domain::{CaseId, CaseState};
use sea_orm::{ActiveValue::Set, EntityTrait, QuerySelect};
use uuid::Uuid;

/// A command on several cases as its idempotency record knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeveralCasesCommandKey {
    pub id: Uuid,
    /// What the command does (`recordSiblingGroupPanelRecommendation`).
    pub kind: &'static str,
    /// The record the command is about (a sibling group): the same id sent about another is a
    /// reuse of the id.
    pub record_id: Uuid,
}

/// What a command on several cases did.
#[derive(Clone, Debug)]
pub enum SeveralCasesOutcome {
    /// Each case with its new version and the events recorded on it.
    Applied(Vec<(CaseId, i64, Vec<StoredEvent>)>),
    /// The command id was seen before: nothing was recorded this time.
    AlreadyProcessed,
}

impl Store {
    /// Runs one command on each case in `case_ids`, in one transaction. `decide` receives each
    /// case as it stands (locked, on PostgreSQL, in id order so that two such commands never
    /// wait on each other) and answers with its changes or a refusal, which records nothing
    /// on any of them.
    pub async fn run_several_cases_command<E, F>(
        &self,
        command: SeveralCasesCommandKey,
        case_ids: &[CaseId],
        now: DateTime<Utc>,
        mut decide: F,
    ) -> Result<SeveralCasesOutcome, RunError<E>>
    where
        F: FnMut(CaseId, &CaseState, i64) -> Result<Changes, E>,
    {
        let mut ids = case_ids.to_vec();
        ids.sort();
        ids.dedup();
        let txn = self.begin_write().await.map_err(RunError::Store)?;
        let outcome = async {
            if let Some(done) = processed_commands::Entity::find_by_id(command.id)
                .one(&txn)
                .await
                .map_err(|e| RunError::Store(StoreError::from_db(e)))?
            {
                let same = done.command_kind.as_deref() == Some(command.kind)
                    && done.record_id == Some(command.record_id);
                return if same {
                    Ok(SeveralCasesOutcome::AlreadyProcessed)
                } else {
                    Err(RunError::Store(StoreError::CommandIdReused))
                };
            }
            let mut applied = Vec::with_capacity(ids.len());
            for case_id in &ids {
                let mut find = cases::Entity::find_by_id(case_id.0);
                if self.backend == Backend::Postgres {
                    find = find.lock_exclusive();
                }
                let model = find
                    .one(&txn)
                    .await
                    .map_err(|e| RunError::Store(StoreError::from_db(e)))?
                    .ok_or(RunError::Store(StoreError::NotFound))?;
                let state = decode_state(&model.state).map_err(RunError::Store)?;
                let changes =
                    decide(*case_id, &state, model.version).map_err(RunError::Rejected)?;
                if changes.events.is_empty() {
                    applied.push((*case_id, model.version, vec![]));
                    continue;
                }
                let (version, events) = write_case_changes(
                    &txn,
                    *case_id,
                    true,
                    model.version,
                    changes,
                    command.id,
                    now,
                )
                .await
                .map_err(RunError::Store)?;
                applied.push((*case_id, version, events));
            }
            processed_commands::Entity::insert(processed_commands::ActiveModel {
                command_id: Set(command.id),
                case_id: Set(None),
                child_id: Set(None),
                version: Set(0),
                recorded_at: Set(now),
                record_id: Set(Some(command.record_id)),
                command_kind: Set(Some(command.kind.to_owned())),
            })
            .exec_without_returning(&txn)
            .await
            .map_err(|e| RunError::Store(StoreError::from_db(e)))?;
            Ok(SeveralCasesOutcome::Applied(applied))
        }
        .await;
        match outcome {
            Ok(SeveralCasesOutcome::Applied(applied)) => {
                txn.commit()
                    .await
                    .map_err(|e| RunError::Store(StoreError::from_db(e)))?;
                Ok(SeveralCasesOutcome::Applied(applied))
            }
            other => {
                txn.rollback()
                    .await
                    .map_err(|e| RunError::Store(StoreError::from_db(e)))?;
                other
            }
        }
    }
}
