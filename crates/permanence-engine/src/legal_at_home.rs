//! The Public Law Outline for a child who lives at home: recording its steps, and carrying a
//! round under way into the child's period of care when they enter care
//! (`permanence_domain::legal_at_home`).

use crate::{CONFLICT_RETRIES, CommandMeta, Engine, EngineError, EnterCare, check_note};
use permanence_domain::legal::LegalRound;
use permanence_domain::legal_at_home::{self, AtHomeEvent, ChildNow, RecordAtHome};
use permanence_domain::{CaseId, ChildId};
use permanence_store::{
    AtHomeOutcome, ChildRecord, ContinuesFromHome, LegalAtHomeRecord, NewAtHomeEvent, RunError,
    StoreError, StoredAtHomeEvent,
};
use uuid::Uuid;

/// A child's record at home after a command, and what the command recorded.
#[derive(Clone, Debug)]
pub struct AtHomeRecorded {
    pub record: LegalAtHomeRecord,
    pub recorded: Vec<StoredAtHomeEvent>,
    /// The command id had been processed before: nothing new was recorded.
    pub duplicate: bool,
}

impl Engine {
    /// Records a step of the legal track for a child who is not in care.
    pub async fn record_legal_step_at_home(
        &self,
        meta: &CommandMeta,
        child_id: ChildId,
        command: RecordAtHome,
    ) -> Result<AtHomeRecorded, EngineError> {
        check_note(meta)?;
        let store = self.store();
        let child = store
            .child(child_id)
            .await
            .map_err(EngineError::from_store)?
            .ok_or(EngineError::NotFound("child"))?;

        let command_id = meta.command_id.unwrap_or_else(Uuid::now_v7);
        let mut attempt = 0;
        let (recorded, duplicate) = loop {
            attempt += 1;
            let outcome = store
                .run_legal_at_home_command(
                    child_id,
                    &child.local_authority,
                    command_id,
                    self.now(),
                    |state, version, in_care| {
                        if let Some(expected) = meta.expected_version
                            && expected != version
                        {
                            return Err(EngineError::VersionConflict);
                        }
                        let now_child = ChildNow {
                            born_on: child.birth_date,
                            in_care,
                            today: self.today(),
                        };
                        let events = legal_at_home::decide(state, &command, now_child)
                            .map_err(EngineError::Domain)?;
                        Ok(events
                            .into_iter()
                            .map(|event| new_event(meta, event))
                            .collect())
                    },
                )
                .await;
            match outcome {
                Ok(AtHomeOutcome::Applied { events, .. }) => break (events, false),
                Ok(AtHomeOutcome::AlreadyProcessed { .. }) => break (vec![], true),
                Err(RunError::Rejected(refusal)) => return Err(refusal),
                // Another writer appended first: decide again on the record as it now stands.
                Err(RunError::Store(StoreError::VersionConflict))
                    if meta.expected_version.is_none() && attempt < CONFLICT_RETRIES =>
                {
                    continue;
                }
                Err(RunError::Store(err)) => return Err(EngineError::from_store(err)),
            }
        };
        let record = store
            .legal_at_home(child_id)
            .await
            .map_err(EngineError::from_store)?
            .ok_or(EngineError::NotFound("legal record at home"))?;
        Ok(AtHomeRecorded {
            record,
            recorded,
            duplicate,
        })
    }
}

/// When the child has a round under way at home: the round, for the new case to record, and
/// the note the record at home takes that the round goes on on `case_id`.
pub(crate) async fn continuation(
    engine: &Engine,
    meta: &CommandMeta,
    child: &ChildRecord,
    input: &EnterCare,
    case_id: CaseId,
) -> Result<Option<(LegalRound, ContinuesFromHome)>, EngineError> {
    let Some(record) = engine
        .store()
        .legal_at_home(child.id)
        .await
        .map_err(EngineError::from_store)?
    else {
        return Ok(None);
    };
    let Some(round) = record.state.round_to_continue_in_care() else {
        return Ok(None);
    };
    let write = ContinuesFromHome {
        child_id: child.id,
        local_authority: child.local_authority.clone(),
        read_at_version: record.version,
        event: new_event(
            meta,
            AtHomeEvent::ContinuedInCare {
                on: input.entered_care_on,
                case_id,
            },
        ),
    };
    Ok(Some((round, write)))
}

fn new_event(meta: &CommandMeta, event: AtHomeEvent) -> NewAtHomeEvent {
    NewAtHomeEvent {
        id: Uuid::now_v7(),
        event,
        actor: meta.actor.0.clone(),
        note: meta.note.clone(),
    }
}
